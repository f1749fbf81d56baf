//! Where a visitor stands: the one computation of "people ahead" and the estimated wait that
//! every place a visitor reads them uses — the kiosk's screen and its answer to a network kiosk
//! (the issue event), the slip and its reprint, the follow page, the CLI.
//!
//! It is always the ticket's place in the queue the lobby sees (see [`crate::core::public`]):
//! a discreet ticket is an ordinary ticket of its cover service there, so its figures are
//! those of an ordinary ticket in the same place, and the ordinary tickets behind it count it
//! as the lobby display lists it. Staff still call by the real rules (a discreet priority class
//! goes first); the public figures are an estimate that never reflects the hidden queue.

use super::*;
use crate::core::public;
use std::cmp::Ordering;

/// A waiting visitor's place as the lobby sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// People before them: in the service they are shown under, the tickets issued before
    /// them and the priority tickets issued after them (they go first); for a priority ticket,
    /// the priority tickets before it.
    pub ahead: u32,
    /// The estimated wait in minutes until they are called.
    pub wait_minutes: u32,
}

impl<'a> QueueView<'a> {
    /// The place of `t` in the public queue. `t` need not be in the state yet (at issue);
    /// whatever state it is in, it is counted as if waiting.
    pub(super) fn position(&self, t: &Ticket) -> Position {
        let (service, class) = public::shown_as(t);
        let mut ahead = 0u32;
        for w in self.state.waiting.values() {
            for other in w.fifo.iter().filter_map(|id| self.state.tickets.get(id)) {
                if other.id == t.id {
                    continue;
                }
                let (their_service, their_class) = public::shown_as(other);
                if their_service != service {
                    continue;
                }
                let before = other.id.cmp(&t.id) == Ordering::Less;
                let counts = match (class, their_class) {
                    (Some(_), Some(_)) => before,
                    (Some(_), None) => false,
                    (None, Some(_)) => true,
                    (None, None) => before,
                };
                ahead += u32::from(counts);
            }
        }
        Position {
            ahead,
            wait_minutes: self.estimate(service, ahead),
        }
    }
}
