//! The hub keeps the center's time: a Raspberry Pi has no battery clock and a center has no
//! internet, so a cold boot may start at systemd's epoch.
//!
//! - **Floor.** The hub never runs behind max(its saved time, its newest stored event, the build
//!   date). A system clock behind it is not believed: the hub runs from the floor in its own
//!   notion of time (an offset over the system clock) and says it is unsure.
//! - **Saved time.** Every minute and at shutdown the hub writes its time to `clock` in its data
//!   directory (write, fsync, rename), with how far it trusted it then (the doctor reads it).
//! - **Trust** ([`ClockTrust`]): `Synced` when the kernel says a time source keeps its clock
//!   (`adjtimex` without `STA_UNSYNC`; `INTEGRA_CLOCK_SYNCED=0|1` overrides it in labs and
//!   tests), `Confirmed` when a coordinator set or confirmed it since this boot and it has not
//!   jumped since, `Unsure` otherwise. A jump is the wall clock moving more than [`JUMP_LIMIT`]
//!   apart from `CLOCK_BOOTTIME` between two checks while no time source keeps it.
//! - **Set.** A coordinator sets the time from their browser: the hub steps the system clock
//!   when its unit allows it (`INTEGRA_CLOCK_SET_SYSTEM=1` with `CAP_SYS_TIME`), else it keeps
//!   the correction as its own offset. Either way [`Keeper::now`] is the corrected time.

use crate::core::ClockTrust;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The saved time, in the hub's data directory.
pub const SAVED_FILE: &str = "clock";
/// How often the saved time is written.
pub const SAVE_EVERY: Duration = Duration::from_secs(60);
/// How often the hub compares its wall clock with the time since boot.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// A wall clock that moved this much more (or less) than the time since boot has jumped.
pub const JUMP_LIMIT: TimeDelta = TimeDelta::seconds(120);
/// Labs and tests: "1" or "0" replaces the kernel's word on whether a time source keeps the
/// clock.
pub const SYNCED_ENV: &str = "INTEGRA_CLOCK_SYNCED";
/// "1": the hub's unit gave it `CAP_SYS_TIME`, so a coordinator's correction steps the system
/// clock (everything on the box then agrees); otherwise the hub keeps its own offset.
pub const SET_SYSTEM_ENV: &str = "INTEGRA_CLOCK_SET_SYSTEM";

/// The instant this program was built: `SOURCE_DATE_EPOCH` or the newest commit's date (see
/// `build.rs`). A clock before it is certainly wrong.
pub fn build_time() -> DateTime<Utc> {
    let secs: i64 = option_env!("INTEGRA_BUILD_EPOCH")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// What the saved-time file holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Saved {
    pub at: DateTime<Utc>,
    /// "synced", "confirmed" or "unsure": how far the hub trusted its clock then.
    pub trust: String,
}

/// The saved time in `dir`, if there is a readable one.
pub fn read_saved(dir: &Path) -> Option<Saved> {
    let text = std::fs::read_to_string(dir.join(SAVED_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The code of a trust in the API, on /health and in the saved file.
pub fn trust_code(t: ClockTrust) -> &'static str {
    match t {
        ClockTrust::Synced => "synced",
        ClockTrust::Confirmed => "confirmed",
        ClockTrust::Unsure => "unsure",
    }
}

/// Whether the kernel says a time source (chrony, timesyncd) keeps the system clock.
pub fn kernel_synced() -> bool {
    // SAFETY: adjtimex with modes 0 only reads into the zeroed struct we own.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    state >= 0 && state != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0
}

/// Whether a time source keeps this machine's clock, as a program without a hub of its own
/// sees it: `INTEGRA_CLOCK_SYNCED` when set (labs and tests), else the kernel's word.
pub fn system_synced() -> bool {
    env_switch(SYNCED_ENV).unwrap_or_else(kernel_synced)
}

/// The time since boot, suspend included (never set, never stepped).
fn since_boot() -> Duration {
    // SAFETY: clock_gettime writes into the zeroed struct we own.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if r != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Why the hub does not believe its clock (for the alert and the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubt {
    /// No time source, and nobody set or confirmed it since this boot.
    NoSource,
    /// The system clock was behind the floor (a boot at the epoch): the hub runs from its floor.
    BehindFloor {
        system: DateTime<Utc>,
        floor: DateTime<Utc>,
    },
    /// The wall clock jumped by this much while running, with no time source to explain it.
    Jumped { by: TimeDelta },
}

impl std::fmt::Display for Doubt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Doubt::NoSource => f.write_str(
                "no time source keeps the hub's clock and nobody has set or confirmed it since it started",
            ),
            Doubt::BehindFloor { system, floor } => write!(
                f,
                "the system clock said {}, before the hub's saved time {}: the hub goes on from its saved time",
                system.format("%Y-%m-%d %H:%M UTC"),
                floor.format("%Y-%m-%d %H:%M UTC")
            ),
            Doubt::Jumped { by } => write!(
                f,
                "the clock jumped by {} min while the hub ran",
                by.num_minutes()
            ),
        }
    }
}

/// How a coordinator's correction was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applied {
    /// The system clock was stepped (the unit allows it).
    System,
    /// The hub keeps the correction as its own offset over the system clock.
    Offset,
}

struct State {
    /// Added to the system clock.
    offset: TimeDelta,
    /// A coordinator set or confirmed the clock since this boot, and it has not jumped since.
    confirmed: bool,
    /// Why it is unsure (kept for the alert until trust comes back).
    doubt: Doubt,
    /// Never run behind this.
    floor: DateTime<Utc>,
    /// The system clock and the time since boot at the last check.
    last: (DateTime<Utc>, Duration),
}

/// The hub's clock: a fixed training clock, or the system clock with the hub's corrections.
pub struct Keeper {
    fixed: Option<DateTime<Utc>>,
    dir: Option<PathBuf>,
    synced_override: Mutex<Option<bool>>,
    set_system: bool,
    state: Mutex<State>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A "0"/"1" switch from the environment; anything else is named in the log and ignored.
fn env_switch(name: &str) -> Option<bool> {
    match std::env::var(name).ok()?.trim() {
        "1" => Some(true),
        "0" => Some(false),
        other => {
            log::warn!("{name}={other:?} is neither 0 nor 1: ignored (set {name}=1 or {name}=0)");
            None
        }
    }
}

impl Keeper {
    /// The keeper of a hub whose data lives in `dir` and whose newest stored event is
    /// `newest_event`. `fixed`: a training clock, believed as it is.
    pub fn new(
        fixed: Option<DateTime<Utc>>,
        dir: Option<&Path>,
        newest_event: Option<DateTime<Utc>>,
    ) -> Keeper {
        let saved = dir.and_then(read_saved).map(|s| s.at);
        let floor = [saved, newest_event, Some(build_time())]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or_default();
        let system = Utc::now();
        let keeper = Keeper {
            fixed,
            dir: dir.map(Path::to_path_buf),
            synced_override: Mutex::new(env_switch(SYNCED_ENV)),
            set_system: env_switch(SET_SYSTEM_ENV).unwrap_or(false),
            state: Mutex::new(State {
                offset: TimeDelta::zero(),
                confirmed: false,
                doubt: Doubt::NoSource,
                floor,
                last: (system, since_boot()),
            }),
        };
        if fixed.is_none() {
            keeper.hold_floor(&mut lock(&keeper.state), system);
        }
        keeper
    }

    /// Replace the system's word on synchronisation (`None`: ask the kernel again) — the
    /// in-process form of [`SYNCED_ENV`], for labs and tests.
    pub fn assume_synced(&self, synced: Option<bool>) {
        *lock(&self.synced_override) = synced;
    }

    /// A time source keeps the clock: the override's word, else a fixed training clock (set
    /// on purpose), else the kernel's.
    fn synced(&self) -> bool {
        lock(&self.synced_override).unwrap_or_else(|| self.fixed.is_some() || kernel_synced())
    }

    /// Whether this is a fixed training clock (`--at`).
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// The corrected time.
    pub fn now(&self) -> DateTime<Utc> {
        match self.fixed {
            Some(t) => t,
            None => Utc::now() + lock(&self.state).offset,
        }
    }

    /// Whether the clock may turn the day by itself.
    pub fn trust(&self) -> ClockTrust {
        if self.synced() {
            return ClockTrust::Synced;
        }
        if lock(&self.state).confirmed {
            ClockTrust::Confirmed
        } else {
            ClockTrust::Unsure
        }
    }

    /// Why the clock is unsure (`None` when it is trusted).
    pub fn doubt(&self) -> Option<Doubt> {
        match self.trust() {
            ClockTrust::Synced | ClockTrust::Confirmed => None,
            ClockTrust::Unsure => Some(lock(&self.state).doubt),
        }
    }

    /// A system clock behind the floor (and no time source to vouch for it): run from the
    /// floor and doubt.
    fn hold_floor(&self, s: &mut State, system: DateTime<Utc>) {
        if system + s.offset < s.floor && !self.synced() {
            log::warn!(
                "the system clock says {}, before the hub's floor {} (saved time, newest event, build date): the hub goes on from {} and asks a coordinator to set the time",
                system.to_rfc3339(),
                s.floor.to_rfc3339(),
                s.floor.to_rfc3339()
            );
            s.doubt = Doubt::BehindFloor {
                system: system + s.offset,
                floor: s.floor,
            };
            s.offset = s.floor - system;
            s.confirmed = false;
        }
    }

    /// Compare the wall clock with the time since boot: a jump no time source explains makes
    /// the clock unsure; a clock behind the floor is held at it. Called every [`CHECK_EVERY`].
    pub fn check(&self) {
        if self.fixed.is_some() {
            return;
        }
        let system = Utc::now();
        let boot = since_boot();
        let synced = self.synced();
        let mut s = lock(&self.state);
        let (last_system, last_boot) = s.last;
        s.last = (system, boot);
        let wall = system - last_system;
        let real = TimeDelta::from_std(boot.saturating_sub(last_boot)).unwrap_or_default();
        let by = wall - real;
        if by.abs() > JUMP_LIMIT {
            if synced {
                log::info!(
                    "the system clock moved by {} s, set by its time source",
                    by.num_seconds()
                );
            } else {
                log::warn!(
                    "the clock jumped by {} s with no time source to explain it: the hub is unsure of its time until a coordinator sets or confirms it",
                    by.num_seconds()
                );
                s.confirmed = false;
                s.doubt = Doubt::Jumped { by };
            }
        }
        if synced {
            // The time source's word beats the hub's own correction and floor.
            s.offset = TimeDelta::zero();
            s.floor = s.floor.min(system);
        } else {
            self.hold_floor(&mut s, system);
        }
    }

    /// A coordinator set the time to `to` (their computer's clock).
    pub fn set(&self, to: DateTime<Utc>) -> Applied {
        let mut s = lock(&self.state);
        let applied = if self.set_system && step_system_clock(to) {
            s.offset = TimeDelta::zero();
            Applied::System
        } else {
            s.offset = to - Utc::now();
            Applied::Offset
        };
        s.confirmed = true;
        s.floor = to;
        s.last = (Utc::now(), since_boot());
        drop(s);
        self.save_logged();
        applied
    }

    /// A coordinator said the hub's time is right.
    pub fn confirm(&self) {
        let mut s = lock(&self.state);
        s.confirmed = true;
        s.last = (Utc::now(), since_boot());
        drop(s);
        self.save_logged();
    }

    /// Write the time now to the data directory (write, fsync, rename, fsync the directory);
    /// the floor rises to it.
    pub fn save(&self) -> std::io::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        if self.fixed.is_some() {
            return Ok(());
        }
        let saved = Saved {
            at: self.now(),
            trust: trust_code(self.trust()).to_string(),
        };
        let body = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
        let tmp = dir.join(format!("{SAVED_FILE}.tmp"));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, dir.join(SAVED_FILE))?;
        std::fs::File::open(dir)?.sync_all()?;
        let mut s = lock(&self.state);
        s.floor = s.floor.max(saved.at);
        Ok(())
    }

    /// [`Keeper::save`], a failure logged (the next minute tries again).
    pub fn save_logged(&self) {
        if let Err(e) = self.save() {
            log::warn!("cannot save the hub's time in its data directory: {e}");
        }
    }
}

/// Step the system clock (needs `CAP_SYS_TIME`); false, logged, when the kernel refuses.
fn step_system_clock(to: DateTime<Utc>) -> bool {
    let ts = libc::timespec {
        tv_sec: to.timestamp() as libc::time_t,
        tv_nsec: libc::c_long::from(to.timestamp_subsec_nanos() as i32),
    };
    // SAFETY: clock_settime only reads the timespec we own.
    let r = unsafe { libc::clock_settime(libc::CLOCK_REALTIME, &ts) };
    if r == 0 {
        log::info!("system clock set to {}", to.to_rfc3339());
        true
    } else {
        log::warn!(
            "cannot set the system clock ({}): the hub keeps the correction itself (give its unit AmbientCapabilities=CAP_SYS_TIME)",
            std::io::Error::last_os_error()
        );
        false
    }
}
