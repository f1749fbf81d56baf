//! systemd's watchdog: the UI loop and the hub loop each beat; a pinger thread tells systemd
//! "WATCHDOG=1" only while every loop that said it runs has beaten recently. A hung UI or a
//! stuck engine stops the pings, and systemd restarts the service (`WatchdogSec=15`).

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A loop that has not beaten for this long is hung.
pub const STALE_AFTER: Duration = Duration::from_secs(8);
/// How often loops beat.
pub const BEAT_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct Heartbeats {
    beats: Mutex<BTreeMap<&'static str, Instant>>,
}

impl Heartbeats {
    /// A loop beats (and, the first time, says it must keep beating).
    pub fn beat(&self, name: &'static str, now: Instant) {
        if let Ok(mut b) = self.beats.lock() {
            b.insert(name, now);
        }
    }

    /// The loops that have not beaten within `stale_after` of `now`.
    pub fn stale(&self, now: Instant, stale_after: Duration) -> Vec<&'static str> {
        self.beats
            .lock()
            .map(|b| {
                b.iter()
                    .filter(|(_, t)| now.saturating_duration_since(**t) > stale_after)
                    .map(|(n, _)| *n)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One pinger round: `ping` when every loop is alive, else log which is not.
    pub fn round(&self, now: Instant, ping: &mut dyn FnMut()) -> Result<(), Vec<&'static str>> {
        let stale = self.stale(now, STALE_AFTER);
        if stale.is_empty() {
            ping();
            Ok(())
        } else {
            Err(stale)
        }
    }
}

/// The process's heartbeats.
pub fn heartbeats() -> &'static Heartbeats {
    static H: OnceLock<Heartbeats> = OnceLock::new();
    H.get_or_init(Heartbeats::default)
}

/// Beat for `name` now.
pub fn beat(name: &'static str) {
    heartbeats().beat(name, Instant::now());
}

/// Tell systemd the service is ready (no-op outside systemd).
pub fn ready(status: &str) {
    let _ = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(status),
    ]);
}

/// When systemd asked for a watchdog, ping it from a thread at a third of its period while every
/// loop is alive.
pub fn start_pinger() {
    let Some(period) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = (period / 3).max(Duration::from_millis(200));
    let spawned = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let mut warned = false;
            loop {
                let r = heartbeats().round(Instant::now(), &mut || {
                    let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                });
                match r {
                    Ok(()) => warned = false,
                    Err(stale) if !warned => {
                        log::error!(
                            "{} stopped answering: systemd's watchdog will restart the service",
                            stale.join(" and ")
                        );
                        warned = true;
                    }
                    Err(_) => {}
                }
                std::thread::sleep(every);
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the watchdog thread: {e}");
    }
}

/// For a window's event loop: beat for "ui" every [`BEAT_EVERY`], say ready once the loop turns,
/// and start the pinger. Keep the returned timer alive while the window runs.
pub fn ui_loop(status: &'static str) -> slint::Timer {
    let heartbeat = slint::Timer::default();
    heartbeat.start(slint::TimerMode::Repeated, BEAT_EVERY, || beat("ui"));
    beat("ui");
    slint::Timer::single_shot(Duration::from_millis(1), move || ready(status));
    start_pinger();
    heartbeat
}
