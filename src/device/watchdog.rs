//! systemd's watchdog: the UI loop and the hub loop each beat; a pinger thread tells systemd
//! "WATCHDOG=1" only while every loop that said it runs has beaten recently. A hung UI or a
//! stuck engine makes the pinger say "WATCHDOG=trigger" at once, and systemd restarts the
//! service (hang → restart ≤ [`STALE_AFTER`] + 1 s + `RestartSec`); a process so stuck that
//! even the pinger stops is restarted when `WatchdogSec=15` runs out.

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

/// What the pinger tells systemd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// "WATCHDOG=1": every loop is alive.
    Ping,
    /// "WATCHDOG=trigger": a loop hung — restart now rather than when the period runs out.
    Trigger,
}

/// The pinger's state: it looks every [`Pinger::LOOK_EVERY`], pings at `every` while all loops
/// beat, and triggers once when one stops.
#[derive(Debug)]
pub struct Pinger {
    every: Duration,
    last_ping: Option<Instant>,
    triggered: bool,
}

impl Pinger {
    /// How often the pinger looks at the heartbeats.
    pub const LOOK_EVERY: Duration = Duration::from_secs(1);

    /// A pinger for systemd's watchdog period (pings at a third of it).
    pub fn new(period: Duration) -> Self {
        Pinger {
            every: (period / 3).max(Duration::from_millis(200)),
            last_ping: None,
            triggered: false,
        }
    }

    /// One look at `now`: what to tell systemd, if anything, and the loops that hung.
    pub fn look(
        &mut self,
        beats: &Heartbeats,
        now: Instant,
    ) -> (Option<Notify>, Vec<&'static str>) {
        // The same test as every round; the ping itself is paced below.
        if let Err(stale) = beats.round(now, &mut || {}) {
            if self.triggered {
                return (None, stale);
            }
            self.triggered = true;
            return (Some(Notify::Trigger), stale);
        }
        self.triggered = false;
        let due = self
            .last_ping
            .is_none_or(|t| now.saturating_duration_since(t) >= self.every);
        if due {
            self.last_ping = Some(now);
            (Some(Notify::Ping), Vec::new())
        } else {
            (None, Vec::new())
        }
    }
}

/// When systemd asked for a watchdog, ping it from a thread at a third of its period while every
/// loop is alive, and ask for a restart as soon as one hangs.
pub fn start_pinger() {
    let Some(period) = sd_notify::watchdog_enabled() else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let mut pinger = Pinger::new(period);
            loop {
                match pinger.look(heartbeats(), Instant::now()) {
                    (Some(Notify::Ping), _) => {
                        let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                    }
                    (Some(Notify::Trigger), stale) => {
                        log::error!(
                            "{} stopped answering for {} s: asking systemd to restart the service",
                            stale.join(" and "),
                            STALE_AFTER.as_secs()
                        );
                        let _ = sd_notify::notify(&[sd_notify::NotifyState::WatchdogTrigger]);
                    }
                    (None, _) => {}
                }
                std::thread::sleep(Pinger::LOOK_EVERY);
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the watchdog thread: {e}");
    }
}

/// The hang drill (device-in-a-box only): with `INTEGRA_DRILL_HANG_UI_AFTER=N` the UI loop
/// blocks forever N seconds after it starts — once per boot (a mark with the boot's id in the data
/// directory), so the restarted service draws again. Nothing else sets this variable.
fn hang_drill(data_dir: &std::path::Path) -> Option<slint::Timer> {
    let after: u64 = std::env::var("INTEGRA_DRILL_HANG_UI_AFTER")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let mark = data_dir.join("drill-ui-hung");
    if !boot.is_empty() && std::fs::read_to_string(&mark).is_ok_and(|m| m == boot) {
        log::info!("hang drill: already hung once this boot, the UI loop runs normally");
        return None;
    }
    let timer = slint::Timer::default();
    timer.start(
        slint::TimerMode::SingleShot,
        Duration::from_secs(after),
        move || {
            if let Err(e) = std::fs::write(&mark, &boot) {
                log::error!("hang drill: cannot write {}: {e}", mark.display());
            }
            log::warn!("hang drill: the UI loop hangs now (INTEGRA_DRILL_HANG_UI_AFTER)");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        },
    );
    Some(timer)
}

/// For a window's event loop: beat for "ui" every [`BEAT_EVERY`], say ready once the loop turns,
/// and start the pinger. Keep the returned value alive while the window runs.
pub fn ui_loop(status: &'static str, data_dir: &std::path::Path) -> UiLoop {
    let heartbeat = slint::Timer::default();
    heartbeat.start(slint::TimerMode::Repeated, BEAT_EVERY, || beat("ui"));
    beat("ui");
    slint::Timer::single_shot(Duration::from_millis(1), move || ready(status));
    start_pinger();
    UiLoop {
        _heartbeat: heartbeat,
        _drill: hang_drill(data_dir),
    }
}

/// The UI loop's timers: keep it alive while the window runs.
pub struct UiLoop {
    _heartbeat: slint::Timer,
    _drill: Option<slint::Timer>,
}
