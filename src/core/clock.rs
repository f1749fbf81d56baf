//! Whether the shell's clock may turn the day by itself. The shell decides it (`src/clock.rs`:
//! a time source, a staff member's confirmation, jumps it cannot explain); the core only uses
//! it to decide whether a new day starts on its own or waits for a coordinator.

/// How far the clock a program runs on can be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockTrust {
    /// Kept by a time source since this boot (an NTP/chrony server, a battery clock).
    Synced,
    /// Set or confirmed by a staff member since this boot, and it has not jumped since.
    Confirmed,
    /// Neither, or it jumped in a way the program cannot explain: a new day waits for a
    /// coordinator.
    Unsure,
}

impl ClockTrust {
    /// May a new day start by itself on this clock?
    pub fn may_turn_the_day(self) -> bool {
        match self {
            ClockTrust::Synced | ClockTrust::Confirmed => true,
            ClockTrust::Unsure => false,
        }
    }
}
