//! The doctor's clock line: where the time comes from (a time source, a coordinator, a battery
//! clock, the hub's saved time) and whether it is behind its floor.

use super::Check;
use chrono::{DateTime, Utc};
use std::path::Path;

/// Where this device's time comes from (the doctor says it instead of advising `date -s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    /// The kernel says a time source (chrony, timesyncd) keeps the clock.
    Synced,
    /// A coordinator set or confirmed the hub's clock on the admin page (the hub's saved time).
    SetByStaff(DateTime<Utc>),
    /// A battery clock the kernel knows (`/sys/class/rtc/rtc0`), by its driver's name.
    BatteryClock(String),
    /// Only the hub's saved time (no time source, nobody confirmed it).
    SavedTime(DateTime<Utc>),
    /// Nothing: the system clock alone.
    Nothing,
}

/// Where the time comes from on this device, whose data directory is `data`.
pub fn time_source(data: &Path) -> TimeSource {
    let synced = crate::hub::clock::system_synced();
    let saved = crate::hub::clock::read_saved(data);
    let rtc = std::fs::read_to_string("/sys/class/rtc/rtc0/name")
        .ok()
        .map(|n| n.trim().to_string());
    match (synced, saved, rtc) {
        (true, _, _) => TimeSource::Synced,
        (false, Some(s), _)
            if s.trust == crate::hub::clock::trust_code(crate::core::ClockTrust::Confirmed) =>
        {
            TimeSource::SetByStaff(s.at)
        }
        (false, _, Some(name)) => TimeSource::BatteryClock(name),
        (false, Some(s), None) => TimeSource::SavedTime(s.at),
        (false, None, None) => TimeSource::Nothing,
    }
}

/// The clock against its floor (the real build date, and the hub's saved time when there is
/// one), saying where the time comes from.
pub fn clock_check(now: DateTime<Utc>, built: DateTime<Utc>, source: &TimeSource) -> Check {
    let saved = match source {
        TimeSource::SetByStaff(at) | TimeSource::SavedTime(at) => Some(*at),
        TimeSource::Synced | TimeSource::BatteryClock(_) | TimeSource::Nothing => None,
    };
    let floor = saved.map_or(built, |s| s.max(built));
    let from = match source {
        TimeSource::Synced => "kept by a time source (NTP)".to_string(),
        TimeSource::SetByStaff(at) => format!(
            "set or confirmed by a coordinator on the admin page (saved {})",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        TimeSource::BatteryClock(name) => format!("battery clock ({name})"),
        TimeSource::SavedTime(at) => format!(
            "no time source: the hub goes on from its saved time ({})",
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        TimeSource::Nothing => "no time source, no saved time".to_string(),
    };
    if now < floor {
        Check::fail(
            "clock",
            format!(
                "says {}, before {} ({from})",
                now.format("%Y-%m-%d %H:%M UTC"),
                floor.format("%Y-%m-%d %H:%M UTC"),
            ),
            "the hub runs from its saved time and asks for the correction: a coordinator sets the time on the admin page (Clock), or connect a time source (NTP)",
        )
    } else {
        match source {
            TimeSource::Synced | TimeSource::SetByStaff(_) | TimeSource::BatteryClock(_) => {
                Check::pass(
                    "clock",
                    format!("{} — {from}", now.format("%Y-%m-%d %H:%M UTC")),
                )
            }
            TimeSource::SavedTime(_) | TimeSource::Nothing => Check::warn(
                "clock",
                format!("{} — {from}", now.format("%Y-%m-%d %H:%M UTC")),
                "a coordinator confirms or sets the time on the admin page (Clock) once after each start",
            ),
        }
    }
}
