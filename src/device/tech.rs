//! The technician screen's rules, apart from any screen: the setup code's gate (wrong codes
//! limited), and what the screen says about the device. `ui::tech` draws it.

use super::setup_code::SetupCode;
use std::time::{Duration, Instant};

/// Wrong codes in a row before the prompt pauses.
pub const WRONG_BEFORE_PAUSE: u32 = 3;
/// How long the prompt refuses every code after too many wrong ones (each further wrong code
/// after a pause starts another).
pub const PAUSE: Duration = Duration::from_secs(300);
/// How long a press on the corner must last to open the code prompt (also in `ui/tech.slint`).
pub const HOLD: Duration = Duration::from_secs(3);
/// The screen closes by itself after this long untouched.
pub const IDLE_CLOSE: Duration = Duration::from_secs(60);

/// What a typed code does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The right code: the screen opens.
    Open,
    /// A wrong code; `left` more before a pause.
    Wrong { left: u32 },
    /// Too many wrong codes: nothing is tried for this long (even the right code).
    Paused { secs: u64 },
    /// This device's settings have no `setup_code`: the screen cannot be opened.
    NoCode,
}

/// The setup code's gate: the code compared by `SetupCode::matches` (digits only, spaces and
/// dashes group them), wrong codes counted, a pause after too many.
pub struct CodeGate {
    code: Option<SetupCode>,
    wrong: u32,
    paused_until: Option<Instant>,
}

impl CodeGate {
    /// `code`: the device's `setup_code` (None when its settings have none).
    pub fn new(code: Option<SetupCode>) -> CodeGate {
        CodeGate {
            code,
            wrong: 0,
            paused_until: None,
        }
    }

    pub fn has_code(&self) -> bool {
        self.code.is_some()
    }

    pub fn try_code(&mut self, typed: &str, now: Instant) -> Gate {
        let Some(code) = &self.code else {
            return Gate::NoCode;
        };
        if let Some(until) = self.paused_until {
            if now < until {
                return Gate::Paused {
                    secs: (until - now).as_secs().max(1),
                };
            }
            self.paused_until = None;
        }
        if code.matches(typed) {
            self.wrong = 0;
            return Gate::Open;
        }
        self.wrong += 1;
        if self.wrong >= WRONG_BEFORE_PAUSE {
            self.paused_until = Some(now + PAUSE);
            return Gate::Paused {
                secs: PAUSE.as_secs(),
            };
        }
        Gate::Wrong {
            left: WRONG_BEFORE_PAUSE - self.wrong,
        }
    }
}

/// This device's address on the LAN: the local address a packet to `toward` would leave from
/// (no packet is sent), else to a documentation address (the default route's interface).
pub fn local_address(toward: Option<std::net::SocketAddr>) -> Option<std::net::IpAddr> {
    let target = toward.unwrap_or_else(|| std::net::SocketAddr::from(([192, 0, 2, 1], 9)));
    let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    socket.connect(target).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_opens_on_the_code_and_pauses_after_wrong_ones() {
        let t0 = Instant::now();
        let mut g = CodeGate::new(Some(SetupCode::new("5820-4173-96")));
        assert_eq!(g.try_code("1111", t0), Gate::Wrong { left: 2 });
        assert_eq!(g.try_code("58204173 96", t0), Gate::Open);
        assert_eq!(g.try_code("1", t0), Gate::Wrong { left: 2 });
        assert_eq!(g.try_code("2", t0), Gate::Wrong { left: 1 });
        assert_eq!(g.try_code("3", t0), Gate::Paused { secs: 300 });
        assert!(matches!(
            g.try_code("5820417396", t0 + Duration::from_secs(10)),
            Gate::Paused { .. }
        ));
        assert_eq!(g.try_code("5820417396", t0 + PAUSE), Gate::Open);
        assert_eq!(CodeGate::new(None).try_code("1", t0), Gate::NoCode);
    }
}
