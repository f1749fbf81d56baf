//! The queue's day in the hub. The core decides whether the clock turns the day
//! ([`Queue::day_turn`](crate::core::Queue::day_turn)); the hub asks it every minute and at
//! local midnight with its own [`ClockTrust`], starts the day itself only on a clock it trusts,
//! and otherwise asks a coordinator with the staff alert "new-day" (confirmed on the console,
//! `POST /api/v1/day/start`, audited). A clock put back changes nothing.

use super::*;
use crate::core::{ClockTrust, DayTurn};
use chrono::NaiveDate;

/// How often the hub asks at least whether the day turns.
pub const DAY_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How far a program's own clock can be believed outside a hub (a technician's CLI beside the
/// data, a standalone kiosk): synced when a time source keeps it (the same word the hub's
/// [`clock::Keeper`] takes: the kernel's, or `INTEGRA_CLOCK_SYNCED` in labs and tests), else
/// unsure — a CLI has no coordinator's confirmation of its own.
pub fn system_clock_trust() -> ClockTrust {
    if clock::system_synced() {
        ClockTrust::Synced
    } else {
        ClockTrust::Unsure
    }
}

/// The words of the "new-day" alert in English (the console shows its own translation).
fn ask_words(clock_says: NaiveDate, queue_day: NaiveDate) -> String {
    format!(
        "The clock says {}: start a new day? (the queue is still on {queue_day}; a coordinator confirms on the console)",
        clock_says.format("%A %-d %B %Y")
    )
}

impl Hub {
    /// Turn the day if the core says so on this hub's clock (`now` is passed in, so tests drive
    /// it with a fake clock): on a trusted clock a new day starts ("hub"); on another, staff
    /// are asked (the "new-day" alert); behind the queue's day, nothing changes. Returns what
    /// the core decided.
    pub fn turn_day_if_due(&self, now: DateTime<Utc>) -> Result<DayTurn, EngineError> {
        let trust = self.clock_trust();
        let mut s = self.session();
        let turn = s.queue().day_turn(now, trust);
        match turn {
            DayTurn::Same => {}
            DayTurn::Start(day) => {
                s.execute(
                    &Command::StartDay {
                        day,
                        by: "hub".into(),
                    },
                    now,
                )?;
                log::info!("a new day, {day}: the waiting of the day before end with it");
            }
            DayTurn::Ask {
                clock_says,
                queue_day,
            } => {
                if lock(&self.inner.alerts)
                    .get(&("local-hub".to_string(), AlertKind::NewDay))
                    .is_none_or(|a| a.day != Some(clock_says))
                {
                    log::warn!(
                        "the clock says {clock_says} but cannot be trusted: the queue stays on {queue_day} until a coordinator starts the day"
                    );
                }
            }
            DayTurn::Behind {
                clock_says,
                queue_day,
            } => log::debug!(
                "the clock says {clock_says}, before the queue's day {queue_day}: nothing changes"
            ),
        }
        drop(s);
        self.ask_new_day(match turn {
            DayTurn::Ask {
                clock_says,
                queue_day,
            } => Some((clock_says, queue_day)),
            DayTurn::Same | DayTurn::Start(_) | DayTurn::Behind { .. } => None,
        });
        Ok(turn)
    }

    /// A coordinator confirms the day the clock shows (see `POST /api/v1/day/start`).
    pub fn start_day(
        &self,
        day: NaiveDate,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Stamped>, EngineError> {
        let events = self.session().execute(
            &Command::StartDay {
                day,
                by: by.to_string(),
            },
            now,
        )?;
        log::info!("a new day, {day}, started by {by}");
        self.ask_new_day(None);
        Ok(events)
    }

    /// Raise (with the day the clock says) or clear the "new-day" alert.
    fn ask_new_day(&self, ask: Option<(NaiveDate, NaiveDate)>) {
        let key = ("local-hub".to_string(), AlertKind::NewDay);
        let now = self.now();
        let changed = {
            let mut all = lock(&self.inner.alerts);
            match ask {
                Some((clock_says, queue_day)) => {
                    let fresh = DeviceAlert {
                        device: "hub".into(),
                        device_id: None,
                        kind: AlertKind::NewDay,
                        message: ask_words(clock_says, queue_day),
                        since: now,
                        day: Some(clock_says),
                    };
                    match all.get_mut(&key) {
                        Some(a) if a.day == Some(clock_says) => false,
                        Some(a) => {
                            *a = fresh;
                            true
                        }
                        None => {
                            all.insert(key, fresh);
                            true
                        }
                    }
                }
                None => all.remove(&key).is_some(),
            }
        };
        if changed {
            let _ = self
                .inner
                .pushes
                .send(Push::Alerts(Arc::new(self.alerts())));
        }
    }

    /// The same questions on a thread of its own, for a hub that does not serve (a kiosk that
    /// works alone because its port is taken): the day still turns, or staff are asked.
    pub fn turn_days_on_a_thread(&self) {
        let hub = self.clone();
        let spawned = std::thread::Builder::new()
            .name("days".into())
            .spawn(move || {
                loop {
                    if let Err(e) = hub.turn_day_if_due(hub.now()) {
                        log::error!("cannot turn the day: {e}");
                    }
                    std::thread::sleep(DAY_CHECK_EVERY);
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the day's clock watch: {e}");
        }
    }

    /// Sleep until the core's next deadline (local midnight), then ask whether the day turns;
    /// wake at least every [`DAY_CHECK_EVERY`] so a clock set or jumped (a Pi without a
    /// real-time clock) or a trust gained since is caught up at once: the question is a date
    /// comparison under the engine's lock.
    pub(super) async fn turn_days(&self) {
        loop {
            let now = self.now();
            let deadline = self.session().queue().next_deadline(now);
            let wait = (deadline - now)
                .to_std()
                .unwrap_or_default()
                .min(DAY_CHECK_EVERY);
            tokio::time::sleep(wait).await;
            let h = self.clone();
            let now = self.now();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || h.turn_day_if_due(now)).await {
                log::error!("cannot turn the day: {e}");
            }
        }
    }
}
