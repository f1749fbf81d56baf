//! The hub's time on a device: every decision a device makes — a kiosk's opening hours and
//! booking days, a display's "is this call live?" — reads the hub's clock, not its own.
//!
//! The device asks on its event stream when it connects and at each of the hub's pings
//! (`{"type":"clock","id":N,"device":T}`); the hub answers at once with its own time
//! (`{"type":"clock","id":N,"hub":H}`). The round trip is measured on the device's monotonic
//! clock, and the hub's time at the answer is taken as H + round trip / 2. The estimate is kept
//! against the monotonic clock, not the device's wall clock, so a step of the device's own
//! clock (chrony setting it, a technician's `date -s`) changes nothing here; with no link, the
//! last estimate goes on. Of the last [`KEEP`] answers the one with the shortest round trip
//! wins (a delayed answer is the least precise); an answer that disagrees with it by more than
//! both round trips and [`STEP`] is the hub's clock set, and is taken at once.

use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many recent answers the estimate is chosen from (≈ 2 min at one ping every 15 s).
pub const KEEP: usize = 8;
/// A disagreement larger than this (and than the answers' round trips) is a step of the hub's
/// clock, not noise.
pub const STEP: Duration = Duration::from_secs(1);
/// A device whose own clock differs from the hub's by more than this says so (the doctor).
pub const TOLERATED: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The hub's time minus the monotonic time since `origin`, in milliseconds.
    offset_ms: i64,
    rtt: Duration,
}

/// The estimate of the hub's clock, from its answers. Pure: the instants are passed in.
#[derive(Debug)]
pub struct Filter {
    origin: Instant,
    samples: VecDeque<Sample>,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Filter {
    pub fn new(origin: Instant) -> Filter {
        Filter {
            origin,
            samples: VecDeque::with_capacity(KEEP),
        }
    }

    fn since_origin(&self, at: Instant) -> i64 {
        ms(at.saturating_duration_since(self.origin))
    }

    fn best(&self) -> Option<Sample> {
        self.samples.iter().copied().min_by_key(|s| s.rtt)
    }

    /// The hub said `hub` in answer to a question sent at `sent`, received at `received`.
    pub fn add(&mut self, hub: DateTime<Utc>, sent: Instant, received: Instant) {
        let rtt = received.saturating_duration_since(sent);
        let at_hub = hub.timestamp_millis() + ms(rtt / 2);
        let sample = Sample {
            offset_ms: at_hub - self.since_origin(received),
            rtt,
        };
        if let Some(best) = self.best() {
            let apart = (sample.offset_ms - best.offset_ms).unsigned_abs();
            let noise = ms(STEP.max(sample.rtt + best.rtt)).unsigned_abs();
            if apart > noise {
                // The hub's clock was set (a coordinator, its time source): follow it now.
                self.samples.clear();
            }
        }
        if self.samples.len() == KEEP {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// The hub's time at `at`, once it has answered.
    pub fn hub_time(&self, at: Instant) -> Option<DateTime<Utc>> {
        let best = self.best()?;
        DateTime::from_timestamp_millis(best.offset_ms + self.since_origin(at))
    }

    /// The round trip of the answer the estimate rests on.
    pub fn precision(&self) -> Option<Duration> {
        self.best().map(|s| s.rtt)
    }
}

/// A device's clock: the hub's time once the hub has answered, its own until then.
#[derive(Debug)]
pub struct HubClock {
    filter: Mutex<Filter>,
}

impl Default for HubClock {
    fn default() -> Self {
        HubClock {
            filter: Mutex::new(Filter::new(Instant::now())),
        }
    }
}

impl HubClock {
    fn filter(&self) -> std::sync::MutexGuard<'_, Filter> {
        self.filter.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add(&self, hub: DateTime<Utc>, sent: Instant, received: Instant) {
        self.filter().add(hub, sent, received);
    }

    /// The hub's time now, if it has ever answered.
    pub fn hub_now(&self) -> Option<DateTime<Utc>> {
        self.filter().hub_time(Instant::now())
    }

    /// The time every decision of this device uses: the hub's, else this device's own.
    pub fn now(&self) -> DateTime<Utc> {
        self.hub_now().unwrap_or_else(Utc::now)
    }

    /// How far this device's own clock is ahead of the hub's (negative: behind).
    pub fn own_ahead(&self) -> Option<chrono::Duration> {
        let hub = self.hub_now()?;
        Some(Utc::now().signed_duration_since(hub))
    }
}

/// "3 h 0 min 5 s ahead of" / "2 min behind": how a clock difference reads in the doctor and
/// the log.
pub fn describe(own_ahead: chrono::Duration) -> String {
    // To the nearest second; past an hour, to the nearest minute (seconds are noise there).
    let mut secs = (own_ahead.num_milliseconds().unsigned_abs() + 500) / 1000;
    if secs >= 3_600 {
        secs = (secs + 30) / 60 * 60;
    }
    let (d, h, m, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} d"));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    let side = if own_ahead >= chrono::Duration::zero() {
        "ahead of"
    } else {
        "behind"
    };
    format!("{} {side}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    #[test]
    fn the_hub_time_is_corrected_by_half_the_round_trip_and_carried_on_the_monotonic_clock() {
        let o = Instant::now();
        let mut f = Filter::new(o);
        assert_eq!(f.hub_time(o), None);
        // Asked at 0, answered at 200 ms: the hub said t(0), so at the answer it is t(0)+100 ms.
        f.add(t(0), o, o + Duration::from_millis(200));
        let later = o + Duration::from_millis(200) + Duration::from_secs(30);
        assert_eq!(
            f.hub_time(later),
            Some(t(30) + chrono::Duration::milliseconds(100))
        );
        assert_eq!(f.precision(), Some(Duration::from_millis(200)));
    }

    #[test]
    fn the_shortest_round_trip_wins_and_a_step_of_the_hubs_clock_is_taken_at_once() {
        let o = Instant::now();
        let mut f = Filter::new(o);
        f.add(t(0), o, o + Duration::from_millis(10));
        // A late answer (800 ms round trip, the hub's word 300 ms old): noise, not followed.
        let s = o + Duration::from_secs(15);
        f.add(
            t(15) - chrono::Duration::milliseconds(300),
            s,
            s + Duration::from_millis(800),
        );
        let at = o + Duration::from_secs(20);
        let got = f.hub_time(at).expect("estimate");
        assert!(
            (got - (t(20) - chrono::Duration::milliseconds(5)))
                .num_milliseconds()
                .abs()
                <= 1,
            "{got}"
        );
        // The hub's clock set 2 h forward: followed at once.
        let s = o + Duration::from_secs(30);
        f.add(t(30 + 7200), s, s + Duration::from_millis(20));
        let got = f.hub_time(o + Duration::from_secs(40)).expect("estimate");
        assert!((got - t(40 + 7200)).num_milliseconds().abs() <= 15, "{got}");
    }

    #[test]
    fn a_difference_reads_plainly() {
        assert_eq!(
            describe(chrono::Duration::seconds(3 * 3600)),
            "3 h ahead of"
        );
        assert_eq!(
            describe(chrono::Duration::seconds(-125)),
            "2 min 5 s behind"
        );
        assert_eq!(describe(chrono::Duration::zero()), "0 s ahead of");
        assert_eq!(
            describe(-chrono::Duration::milliseconds(3 * 3_600_000 - 1_200)),
            "3 h behind"
        );
        assert_eq!(
            describe(chrono::Duration::milliseconds(119_600)),
            "2 min ahead of"
        );
    }
}
