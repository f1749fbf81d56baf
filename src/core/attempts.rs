//! How long one visitor at a kiosk waits after wrong check-in codes (decided here, once).
//!
//! The hub limits wrong codes per kiosk (`limits.wrong_codes_per_minute`, `hub::guard`): a
//! stranger cannot try codes fast. Counted per kiosk alone, one visitor's typing mistakes would
//! make the *next* visitor's right code wait. So the kiosk also counts per visitor (from the
//! language choice to the idle return or Home) and makes that visitor wait a growing time,
//! chosen so that one visitor who waits as told never uses the kiosk's whole minute: at most
//! `per_minute - 1` of their codes fall in any minute, and the next visitor always has a try.

/// Wrong codes a visitor may type again at once (a slip of the finger).
pub const FREE_TRIES: u32 = 2;
/// The first wait after the free tries; each further wrong code doubles it.
pub const FIRST_WAIT_SECONDS: u32 = 15;
/// The longest wait (then reception is the way).
pub const LONGEST_WAIT_SECONDS: u32 = 300;

/// Seconds the visitor waits before the next code, after `wrong` wrong codes in a row, at a
/// hub that allows `per_minute` wrong codes a minute per kiosk.
///
/// The first `FREE_TRIES` go at once, then 15 s, 30 s, 60 s … up to 5 min. From the visitor's
/// `per_minute - 1`-th wrong code on, every wait is at least a minute: the codes before it
/// (at most `per_minute - 1`) have left the hub's minute when the next is sent.
pub fn wait_after_wrong_codes(wrong: u32, per_minute: u32) -> u32 {
    let growing = if wrong < FREE_TRIES {
        0
    } else {
        let doublings = (wrong - FREE_TRIES).min(16);
        FIRST_WAIT_SECONDS
            .saturating_mul(1 << doublings)
            .min(LONGEST_WAIT_SECONDS)
    };
    if wrong > 0 && wrong.saturating_add(1) >= per_minute {
        growing.max(60)
    } else {
        growing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The times (seconds) at which a visitor who waits as told sends each code.
    fn sent_at(codes: u32, per_minute: u32) -> Vec<u64> {
        let mut at = 0u64;
        let mut out = Vec::new();
        for wrong in 0..codes {
            at += u64::from(wait_after_wrong_codes(wrong, per_minute));
            out.push(at);
        }
        out
    }

    #[test]
    fn the_wait_grows_and_says_how_long() {
        let w: Vec<u32> = (0..8).map(|n| wait_after_wrong_codes(n, 5)).collect();
        assert_eq!(w, [0, 0, 15, 30, 60, 120, 240, 300]);
        assert_eq!(wait_after_wrong_codes(u32::MAX, 5), LONGEST_WAIT_SECONDS);
    }

    /// Whatever the hub's limit, one visitor who waits as told leaves the next visitor at least
    /// one try in every minute (a limit of 1 leaves none: the visitor alone uses it).
    #[test]
    fn one_visitor_never_fills_the_kiosks_minute() {
        for per_minute in 2..=12 {
            let times = sent_at(30, per_minute);
            for (i, t) in times.iter().enumerate() {
                let in_minute = times[..=i].iter().filter(|s| **s + 60 > *t).count();
                assert!(
                    in_minute < per_minute as usize,
                    "limit {per_minute}: {in_minute} codes in the minute ending at {t} s"
                );
            }
        }
    }
}
