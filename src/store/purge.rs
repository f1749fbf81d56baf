//! Privacy by default: names and phone numbers are erased once the retention period has passed.
//! They live in the bodies of `appointment_booked` and `signed_up` events and in snapshots of
//! the state; both are rewritten without them and the old bytes are overwritten
//! (`secure_delete`, on for every connection of the store, so pages freed earlier are zeros
//! too), and the write-ahead log is truncated, so no copy stays in the database files.
//!
//! The rewrite goes in small transactions (at most [`BATCH`] rows each), so a ticket being
//! issued or called while the purge runs waits for one batch at most, never for the whole
//! purge. Vacuuming (which holds every writer for as long as it takes) is only for a purge
//! that asks for it: the hub's purge at start, before it says it is ready, and `integra
//! purge` — it also cleans databases written before `secure_delete` was on.

use super::{Store, StoreError};
use crate::core::{AppointmentId, Event, SignUpId, Stamped, State};
use chrono::NaiveDate;
use rusqlite::{TransactionBehavior, params};

/// What a purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Events whose contact details were erased.
    pub events: usize,
    /// Snapshots rewritten.
    pub snapshots: usize,
}

fn erase_event(e: &mut Stamped, before: NaiveDate) -> bool {
    match &mut e.event {
        Event::AppointmentBooked { appointment } if appointment.date < before => {
            let had = !appointment.contact.is_empty();
            appointment.contact = Default::default();
            had
        }
        Event::SignedUp { signup, .. } if signup.date < before => {
            let had = !signup.contact.is_empty();
            signup.contact = Default::default();
            had
        }
        _ => false,
    }
}

fn erase_state(s: &mut State, before: NaiveDate) -> bool {
    let mut changed = false;
    for a in s.appointments.values_mut() {
        if a.date < before && !a.contact.is_empty() {
            a.contact = Default::default();
            changed = true;
        }
    }
    for x in s.signups.values_mut() {
        if x.date < before && !x.contact.is_empty() {
            x.contact = Default::default();
            changed = true;
        }
    }
    changed
}

impl Store {
    /// Erase the names and phones of appointments and sign-ups dated before `before`, overwrite
    /// the freed space and vacuum. The queue's figures (tickets, times) stay.
    pub fn purge_personal(&mut self, before: NaiveDate) -> Result<Purged, StoreError> {
        self.scrub(|e| erase_event(e, before), |s| erase_state(s, before), true)
    }

    /// The same while the queue is in use: small transactions, no vacuum (see the module).
    pub fn purge_personal_online(&mut self, before: NaiveDate) -> Result<Purged, StoreError> {
        self.scrub(
            |e| erase_event(e, before),
            |s| erase_state(s, before),
            false,
        )
    }

    /// The day before which names and phones go, for a clock that says `today`: `retention`
    /// days before today, or before the queue's day (its newest `day_started`) when that is
    /// earlier — a clock a year ahead never erases the appointments still to come.
    pub fn purge_before(&self, today: NaiveDate, retention: u32) -> Result<NaiveDate, StoreError> {
        let queue_day = self
            .events_of_types(&["day_started"], 1)?
            .into_iter()
            .find_map(|e| match e.event {
                Event::DayStarted { day, .. } => Some(day),
                _ => None,
            });
        let day = queue_day.map_or(today, |d| today.min(d));
        Ok(day - chrono::Duration::days(i64::from(retention)))
    }

    /// Erase one visitor's name and phone everywhere (after a `contact_erased` event).
    pub fn erase_contact_of(
        &mut self,
        appointment: Option<AppointmentId>,
        signup: Option<SignUpId>,
    ) -> Result<Purged, StoreError> {
        self.scrub(
            |e| match &mut e.event {
                Event::AppointmentBooked { appointment: a } if Some(a.id) == appointment => {
                    a.contact = Default::default();
                    true
                }
                Event::SignedUp { signup: s, .. } if Some(s.id) == signup => {
                    s.contact = Default::default();
                    true
                }
                _ => false,
            },
            |st| {
                let mut changed = false;
                if let Some(a) = appointment.and_then(|id| st.appointments.get_mut(&id)) {
                    changed |= !a.contact.is_empty();
                    a.contact = Default::default();
                }
                if let Some(s) = signup.and_then(|id| st.signups.get_mut(&id)) {
                    changed |= !s.contact.is_empty();
                    s.contact = Default::default();
                }
                changed
            },
            false,
        )
    }

    /// Rewrite the event bodies and snapshots the two functions change, then overwrite the
    /// freed space and vacuum.
    fn scrub(
        &mut self,
        event: impl Fn(&mut Stamped) -> bool,
        state: impl Fn(&mut State) -> bool,
        vacuum: bool,
    ) -> Result<Purged, StoreError> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let done = Purged {
            events: rewrite(
                &mut self.conn,
                "SELECT seq, body FROM events WHERE type IN ('appointment_booked', 'signed_up')",
                "UPDATE events SET body = ?2 WHERE seq = ?1 AND body = ?3",
                event,
            )?,
            snapshots: rewrite(
                &mut self.conn,
                "SELECT seq, body FROM snapshots",
                "UPDATE snapshots SET body = ?2 WHERE seq = ?1 AND body = ?3",
                state,
            )?,
        };
        if vacuum {
            self.conn.execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
            )?;
        } else if done.events + done.snapshots > 0 {
            // The old pages' images may still be in the write-ahead log: copy it back and
            // empty it (waits for readers at most the busy timeout; the next purge retries).
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(done)
    }
}

/// At most this many rows are rewritten in one transaction.
pub const BATCH: usize = 64;

/// Read the rows (no write lock), change them in memory, and write the changed ones back in
/// transactions of at most [`BATCH`] rows. A row changed meanwhile by someone else (its body
/// differs from what was read) is left alone; the next purge sees it again.
fn rewrite<T: serde::Serialize + serde::de::DeserializeOwned>(
    conn: &mut rusqlite::Connection,
    select: &str,
    update: &str,
    mut change: impl FnMut(&mut T) -> bool,
) -> Result<usize, StoreError> {
    let rows: Vec<(i64, String)> = conn
        .prepare(select)?
        .query_map([], super::seq_body)?
        .collect::<Result<_, _>>()?;
    let mut changed = Vec::new();
    for (seq, body) in rows {
        let mut value: T = serde_json::from_str(&body).map_err(|source| StoreError::Decode {
            seq: seq as u64,
            source,
        })?;
        if change(&mut value) {
            let new = serde_json::to_string(&value).map_err(StoreError::Encode)?;
            changed.push((seq, new, body));
        }
    }
    let mut n = 0;
    for batch in changed.chunks(BATCH) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (seq, new, old) in batch {
            n += tx.execute(update, params![seq, new, old])?;
        }
        tx.commit()?;
    }
    Ok(n)
}
