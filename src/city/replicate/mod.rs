//! The hub's replicator: a thread of its own that sends the center's anonymous facts to the
//! city database, batch after batch, exactly once per (center, event sequence number).
//!
//! Each batch is one PostgreSQL transaction: it locks the center's row, reads the last
//! sequence number the city acknowledged (`centers.last_seq` — the truth, so a hub that lost
//! its answer, restarted or was restored resumes right), reads the next events after it from
//! the hub's database, writes what they change (new rows, and updates that only move a state
//! forward), advances `last_seq` and commits. A batch cut off anywhere leaves nothing; a batch
//! sent twice cannot happen (the second finds `last_seq` past it). The queue never waits: the
//! events are read on the replicator's own SQLite connection, memory is one batch, and a
//! failure backs off (1 s doubling to 60 s) and tries again, for days if need be.

use super::{CityError, connect, describe, migrate};
use crate::core::{AppointmentState, Catalog, Event, Stamped, TicketState};
use crate::device::settings::CitySettings;
use crate::store::Store;
use crate::store::city::CityStatus;
use chrono::{DateTime, Duration as Days, NaiveDate, NaiveTime, Utc};
use postgres::{Client, Transaction};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A state the database resolves: `serving` when service had started, else `called`.
mod fold;

use fold::*;

const REOPENED: &str = "reopened";

/// Events per transaction: one batch is all the replicator holds in memory.
pub const BATCH: usize = 5_000;

/// A staff alert when the link has been down this long.
pub const ALERT_AFTER_HOURS: i64 = 24;

/// The alert kind staff see.
pub const ALERT: crate::hub::AlertKind = crate::hub::AlertKind::CityLinkDown;

/// What the replicator needs from the program it runs in (the hub).
pub trait Host: Send + Sync + 'static {
    /// A connection of the replicator's own to the hub's database.
    fn open_store(&self) -> Result<Store, crate::store::StoreError>;
    /// The catalog in use (its center's name, time zone, services and activities).
    fn catalog(&self) -> Arc<Catalog>;
    fn now(&self) -> DateTime<Utc>;
    /// Raise (`Some(message)`) or clear (`None`) the "city link down" staff alert.
    fn link_alert(&self, message: Option<String>);
}
/// Record the center (name, time zone) and its catalog's services and activities (names in
/// every language, seats) — no person in any of it.
fn register(tx: &mut Transaction, center: &str, catalog: &Catalog) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO integra.centers (id, name, timezone) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone",
        &[
            &center,
            &catalog.center.name,
            &catalog.center.timezone.name(),
        ],
    )?;
    for (i, s) in catalog.services.iter().enumerate() {
        let names = serde_json::to_value(&s.name).unwrap_or_default();
        tx.execute(
            "INSERT INTO integra.services (center, code, position, names) VALUES ($1, $2, $3, $4)
             ON CONFLICT (center, code) DO UPDATE SET position = EXCLUDED.position, names = EXCLUDED.names",
            &[&center, &s.code.as_str(), &(i as i32), &names],
        )?;
    }
    for (i, a) in catalog.activities.iter().enumerate() {
        let names = serde_json::to_value(&a.title).unwrap_or_default();
        tx.execute(
            "INSERT INTO integra.activities (center, code, position, names, seats) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (center, code) DO UPDATE SET position = EXCLUDED.position,
                 names = EXCLUDED.names, seats = EXCLUDED.seats",
            &[
                &center,
                &a.code.as_str(),
                &(i as i32),
                &names,
                &(a.seats.min(i32::MAX as u32) as i32),
            ],
        )?;
    }
    Ok(())
}

/// One connection to the city database, ready to send this center's facts.
pub struct Sender {
    client: Client,
    center: String,
    shown: String,
    /// Feedback rows already sent since `feedback_from` (resent when it changes).
    feedback_sent: Option<(Option<NaiveDate>, usize)>,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Events in the batch (0: nothing was waiting).
    pub events: usize,
    /// The city's acknowledged sequence number after it.
    pub acked: u64,
}

impl Sender {
    /// Connect, bring the city schema up to date and record the center and its catalog.
    pub fn open(
        settings: &CitySettings,
        center: &str,
        catalog: &Catalog,
        timeout: Duration,
    ) -> Result<Sender, CityError> {
        let shown = super::shown_url(&settings.url);
        let mut client = connect(settings, timeout)?;
        migrate(&mut client, &shown)?;
        let mut s = Sender {
            client,
            center: center.to_string(),
            shown,
            feedback_sent: None,
        };
        let center = s.center.clone();
        let db = s.db();
        let mut tx = s.client.transaction().map_err(&db)?;
        register(&mut tx, &center, catalog).map_err(&db)?;
        tx.commit().map_err(&db)?;
        Ok(s)
    }

    fn db(&self) -> impl Fn(postgres::Error) -> CityError + 'static {
        let target = self.shown.clone();
        move |e| CityError::Database {
            target: target.clone(),
            detail: describe(&e),
        }
    }

    /// Send the next batch of at most `limit` events after what the city acknowledged.
    pub fn send_batch(&mut self, store: &Store, limit: usize) -> Result<Sent, CityError> {
        let db = self.db();
        let center = self.center.clone();
        let mut tx = self.client.transaction().map_err(&db)?;
        let acked: i64 = tx
            .query_one(
                "SELECT last_seq FROM integra.centers WHERE id = $1 FOR UPDATE",
                &[&center],
            )
            .map_err(&db)?
            .try_get(0)
            .map_err(&db)?;
        let events = store.events_batch(acked.max(0) as u64, limit)?;
        let Some(last) = events.last().map(|e| e.seq) else {
            tx.commit().map_err(&db)?;
            return Ok(Sent {
                events: 0,
                acked: acked.max(0) as u64,
            });
        };
        let fold = Fold::of(&events);
        fold.write(&mut tx, &center).map_err(&db)?;
        if let Some(catalog) = &fold.catalog {
            register(&mut tx, &center, catalog).map_err(&db)?;
        }
        tx.execute(
            "UPDATE integra.centers SET last_seq = $2, last_sent = now() WHERE id = $1",
            &[&center, &(last as i64)],
        )
        .map_err(&db)?;
        drill_abort_before_commit();
        tx.commit().map_err(&db)?;
        Ok(Sent {
            events: events.len(),
            acked: last,
        })
    }

    /// Send the feedback answers that may still be new: every day from the city's
    /// `feedback_from` on (answers come on their visit's day, so days before yesterday are
    /// complete), each row once by its random key. Returns how many rows were sent.
    pub fn send_feedback(&mut self, store: &Store, today: NaiveDate) -> Result<usize, CityError> {
        let db = self.db();
        let center = self.center.clone();
        // Read from the city once per connection; this hub alone moves its center's mark.
        let from: Option<NaiveDate> = match self.feedback_sent {
            Some((from, _)) => from,
            None => self
                .client
                .query_one(
                    "SELECT feedback_from FROM integra.centers WHERE id = $1",
                    &[&center],
                )
                .map_err(&db)?
                .try_get(0)
                .map_err(&db)?,
        };
        let rows = store.feedback_rows(from)?;
        let yesterday = today - Days::days(1);
        if self.feedback_sent == Some((from, rows.len())) && from == Some(yesterday) {
            return Ok(0);
        }
        let mut tx = self.client.transaction().map_err(&db)?;
        if !rows.is_empty() {
            let keys: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let days: Vec<NaiveDate> = rows.iter().map(|r| r.1.day).collect();
            let services: Vec<&str> = rows.iter().map(|r| r.1.service.as_str()).collect();
            let ratings: Vec<i16> = rows
                .iter()
                .map(|r| i16::from(r.1.feedback.rating))
                .collect();
            let waited: Vec<bool> = rows.iter().map(|r| r.1.feedback.waited_too_long).collect();
            let understood: Vec<bool> = rows.iter().map(|r| r.1.feedback.not_understood).collect();
            let got: Vec<bool> = rows.iter().map(|r| r.1.feedback.got_what_needed).collect();
            tx.execute(
                "INSERT INTO integra.feedback (center, key, day, service, rating, waited_too_long,
                     not_understood, got_what_needed)
                 SELECT $1, * FROM unnest($2::bigint[], $3::date[], $4::text[], $5::smallint[],
                     $6::boolean[], $7::boolean[], $8::boolean[])
                 ON CONFLICT (center, key) DO NOTHING",
                &[
                    &center,
                    &keys,
                    &days,
                    &services,
                    &ratings,
                    &waited,
                    &understood,
                    &got,
                ],
            )
            .map_err(&db)?;
        }
        tx.execute(
            "UPDATE integra.centers SET feedback_from = greatest(coalesce(feedback_from, $2), $2)
             WHERE id = $1",
            &[&center, &yesterday],
        )
        .map_err(&db)?;
        tx.commit().map_err(&db)?;
        let next_from = Some(from.map_or(yesterday, |f| f.max(yesterday)));
        let still = rows
            .iter()
            .filter(|r| next_from.is_none_or(|f| r.1.day >= f))
            .count();
        self.feedback_sent = Some((next_from, still));
        Ok(rows.len())
    }

    /// The city's acknowledged sequence number for this center.
    pub fn acked(&mut self) -> Result<u64, CityError> {
        let db = self.db();
        let center = self.center.clone();
        let v: i64 = self
            .client
            .query_one(
                "SELECT last_seq FROM integra.centers WHERE id = $1",
                &[&center],
            )
            .map_err(&db)?
            .try_get(0)
            .map_err(&db)?;
        Ok(v.max(0) as u64)
    }
}

/// For the replication drill: `INTEGRA_DRILL_CITY_ABORT=N` aborts the process in the N-th
/// batch, after its rows are written and before its commit (a power cut in mid-batch).
fn drill_abort_before_commit() {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if let Some(n) = std::env::var("INTEGRA_DRILL_CITY_ABORT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        && COUNT.fetch_add(1, Ordering::SeqCst) + 1 == n
    {
        eprintln!("drill: aborting in the middle of city batch {n}");
        std::process::abort();
    }
}

/// The running replicator. Dropping it stops the thread at its next step.
pub struct Link {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    state: Arc<Mutex<CityStatus>>,
}

impl Link {
    /// How the link is doing, as the replicator last saw it.
    pub fn status(&self) -> CityStatus {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stop the thread and wait for it (at most the current step).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }
}

/// How often a caught-up replicator looks for new events.
const POLL: Duration = Duration::from_secs(1);

/// Start replicating on a thread of its own.
pub fn start(host: Arc<dyn Host>, settings: CitySettings) -> Link {
    let stop = Arc::new(AtomicBool::new(false));
    let state = Arc::new(Mutex::new(CityStatus::default()));
    let thread = {
        let stop = stop.clone();
        let state = state.clone();
        std::thread::Builder::new()
            .name("city-link".into())
            .spawn(move || run(host.as_ref(), &settings, &stop, &state))
            .ok()
    };
    if thread.is_none() {
        log::error!("cannot start the city link thread");
    }
    Link {
        stop,
        thread,
        state,
    }
}

fn sleep(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= until {
            break;
        }
        std::thread::park_timeout(until - now);
    }
}

fn run(host: &dyn Host, settings: &CitySettings, stop: &AtomicBool, shared: &Mutex<CityStatus>) {
    let mut store = None;
    let mut sender: Option<Sender> = None;
    // The city's acknowledged sequence number, as read on the current connection.
    let mut confirmed: Option<u64> = None;
    let mut backoff = Duration::from_secs(1);
    let mut status: Option<CityStatus> = None;
    let mut last_saved = Instant::now() - Duration::from_secs(3600);
    let mut saved = CityStatus::default();
    let mut alert_up = false;
    while !stop.load(Ordering::SeqCst) {
        // The hub's database, on a connection of our own.
        if store.is_none() {
            match host.open_store() {
                Ok(s) => store = Some(s),
                Err(e) => {
                    log::error!("city link: cannot open the hub's database: {e}");
                    sleep(stop, Duration::from_secs(10));
                    continue;
                }
            }
        }
        let Some(db) = store.as_ref() else { continue };
        let st = status.get_or_insert_with(|| db.city_status().unwrap_or_default());
        // (events sent, whether the city was asked at all)
        let step = (|| -> Result<(usize, bool), CityError> {
            if sender.is_none() {
                let center = db.center_id()?;
                sender = Some(Sender::open(
                    settings,
                    &center,
                    &host.catalog(),
                    Duration::from_secs(10),
                )?);
            }
            let Some(s) = sender.as_mut() else {
                return Ok((0, false));
            };
            // Caught up with what the city acknowledged on this connection and nothing new
            // stored: no round trip to the city (it is asked again when there is something).
            let caught_up = confirmed.is_some_and(|acked| db.last_seq().is_ok_and(|l| l <= acked));
            let events = if caught_up {
                0
            } else {
                let sent = s.send_batch(db, BATCH)?;
                st.acked_seq = sent.acked;
                confirmed = Some(sent.acked);
                sent.events
            };
            if events == 0 {
                let tz = host.catalog().center.timezone;
                s.send_feedback(db, host.now().with_timezone(&tz).date_naive())?;
            }
            Ok((events, !caught_up))
        })();
        let now = host.now();
        match step {
            Ok((events, asked)) => {
                backoff = Duration::from_secs(1);
                let was_down = st.down_since.is_some();
                if asked {
                    st.last_ok = Some(now);
                }
                st.down_since = None;
                st.last_error = None;
                if was_down {
                    log::info!(
                        "city link: sending again to {}",
                        super::shown_url(&settings.url)
                    );
                }
                if alert_up || was_down {
                    host.link_alert(None);
                    alert_up = false;
                }
                // Written when it changed (at most every 5 s, at once after an outage): an
                // idle link writes nothing.
                if (was_down || last_saved.elapsed() >= Duration::from_secs(5)) && *st != saved {
                    let _ = db.set_city_status(st);
                    saved = st.clone();
                    last_saved = Instant::now();
                }
                if let Ok(mut s) = shared.lock() {
                    *s = st.clone();
                }
                if events == 0 {
                    sleep(stop, POLL);
                }
            }
            Err(e) => {
                sender = None;
                confirmed = None;
                if matches!(e, CityError::Store(_)) {
                    store = None;
                }
                let first = st.down_since.is_none();
                let since = *st.down_since.get_or_insert(now);
                let message = e.to_string();
                if first || st.last_error.as_deref() != Some(message.as_str()) {
                    log::warn!("city link: {message} (trying again, with backoff)");
                }
                st.last_error = Some(message.clone());
                if let Some(db) = store.as_ref() {
                    let _ = db.set_city_status(st);
                }
                if let Ok(mut s) = shared.lock() {
                    *s = st.clone();
                }
                if now - since >= Days::hours(ALERT_AFTER_HOURS) {
                    host.link_alert(Some(format!(
                        "the city's figures have not been sent since {}: {message}",
                        since.to_rfc3339()
                    )));
                    alert_up = true;
                }
                sleep(stop, backoff);
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}
