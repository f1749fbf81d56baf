//! Devices without a keyboard (the lobby TV) waiting to be approved from the admin page.
//!
//! Such a device shows a code of [`CODE_DIGITS`] digits and its address, and registers here as
//! "waiting" — no secret is sent, the hub learns only its address. The admin types the code seen
//! on that screen and chooses the role and name: the hub then opens a pairing PIN whose value is
//! the code, and the device runs the ordinary SPAKE2 pairing with its code (see
//! [`super::pake`]), so the device proves it shows the code and the hub proves the admin typed
//! it. An approved code pairs only from the address that registered it.
//!
//! Strangers on the Wi-Fi can register too; the list is bounded: one entry per address (a new
//! registration replaces the old one), each gone [`WAITING_MINUTES`] after it registered, at most
//! [`MAX_WAITING`] in all. No IO here.

use super::auth::{Role, address_bucket};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::net::IpAddr;

/// The admin page's words for the waiting list (served with the console's strings).
pub const CONSOLE_IDS: &[&str] = &[
    "pairing-console-waiting",
    "pairing-console-waiting-help",
    "pairing-console-none",
    "pairing-console-address",
    "pairing-console-since",
    "pairing-console-code",
    "pairing-console-role",
    "pairing-console-name",
    "pairing-console-approve",
    "pairing-console-approved",
    "pairing-console-display-pin",
];

/// How long a device waits on the list (and its approved code stays open).
pub const WAITING_MINUTES: i64 = 10;
/// At most this many devices wait at once.
pub const MAX_WAITING: usize = 32;
/// Digits of the code a waiting device shows.
pub const CODE_DIGITS: usize = 8;

/// One waiting device, as the admin page lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Waiting {
    pub id: String,
    /// The address it registered from (shown on its screen too).
    pub address: IpAddr,
    pub since: DateTime<Utc>,
    /// Approved (its code typed by the admin), waiting for the device to pair.
    pub approved: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    shown: Waiting,
    /// Once approved: the code's PIN hash, the role and name the admin chose.
    approval: Option<(String, Role, String)>,
}

/// Why a registration or an approval is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitingError {
    #[error(
        "{MAX_WAITING} devices are already waiting to be approved: approve or let them expire ({WAITING_MINUTES} minutes)"
    )]
    Full,
    #[error(
        "no device waits with this number (it paired, or waited more than {WAITING_MINUTES} minutes): see the list again"
    )]
    Unknown,
}

/// What the hub does with a PIN, given the waiting list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeem {
    /// An ordinary PIN (made on the admin page or with `integra pair`).
    Ordinary,
    /// A waiting device's code, from its own address: pair it under the admin's name.
    Approved { name: String },
    /// A waiting device's code from another address (someone who read the screen): refused.
    ElsewhereRefused,
}

/// The list.
#[derive(Debug, Default)]
pub struct WaitingList {
    entries: Vec<Entry>,
}

impl WaitingList {
    fn prune(&mut self, now: DateTime<Utc>) {
        let cutoff = now - Duration::minutes(WAITING_MINUTES);
        self.entries.retain(|e| e.shown.since >= cutoff);
    }

    /// Register the device at `ip` under `id` (a random number it is told): it replaces the
    /// same address's earlier entry.
    pub fn register(
        &mut self,
        ip: IpAddr,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<(), WaitingError> {
        self.prune(now);
        let bucket = address_bucket(ip);
        self.entries
            .retain(|e| address_bucket(e.shown.address) != bucket);
        if self.entries.len() >= MAX_WAITING {
            return Err(WaitingError::Full);
        }
        self.entries.push(Entry {
            shown: Waiting {
                id,
                address: ip,
                since: now,
                approved: false,
            },
            approval: None,
        });
        Ok(())
    }

    /// The waiting devices, oldest first.
    pub fn list(&mut self, now: DateTime<Utc>) -> Vec<Waiting> {
        self.prune(now);
        self.entries.iter().map(|e| e.shown.clone()).collect()
    }

    /// Whether the device `id` is approved, asked from `ip`: `None` when no such device waits
    /// from that address.
    pub fn approved(&mut self, id: &str, ip: IpAddr, now: DateTime<Utc>) -> Option<bool> {
        self.prune(now);
        self.entries
            .iter()
            .find(|e| e.shown.id == id && address_bucket(e.shown.address) == address_bucket(ip))
            .map(|e| e.shown.approved)
    }

    /// The admin typed `pin_hash`'s code for device `id`, as `role` named `name`.
    pub fn approve(
        &mut self,
        id: &str,
        pin_hash: String,
        role: Role,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<(), WaitingError> {
        self.prune(now);
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.shown.id == id)
            .ok_or(WaitingError::Unknown)?;
        entry.shown.approved = true;
        entry.approval = Some((pin_hash, role, name));
        Ok(())
    }

    /// What a pairing with `pin_hash` from `ip` is (the one place this is decided).
    pub fn redeem(&self, pin_hash: &str, ip: IpAddr) -> Redeem {
        let found = self.entries.iter().find_map(|e| {
            e.approval
                .as_ref()
                .filter(|(h, _, _)| h == pin_hash)
                .map(|(_, _, name)| (e.shown.address, name))
        });
        match found {
            None => Redeem::Ordinary,
            Some((at, name)) if address_bucket(at) == address_bucket(ip) => {
                Redeem::Approved { name: name.clone() }
            }
            Some(_) => Redeem::ElsewhereRefused,
        }
    }

    /// The device with this code paired: off the list.
    pub fn paired(&mut self, pin_hash: &str) {
        self.entries
            .retain(|e| e.approval.as_ref().is_none_or(|(h, _, _)| h != pin_hash));
    }
}

/// A code as typed by the admin (spaces and dashes allowed between digits): its digits, or
/// `None` when it is not [`CODE_DIGITS`] digits.
pub fn typed_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == CODE_DIGITS && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// A code as a screen shows it: two groups of four.
pub fn grouped_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a} {b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(2_000_000_000, 0).expect("time") + Duration::minutes(min)
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn one_entry_per_address_bounded_and_expiring() {
        let mut w = WaitingList::default();
        w.register(ip(1), "a".into(), t(0)).expect("room");
        w.register(ip(1), "b".into(), t(1)).expect("room");
        assert_eq!(w.list(t(1)).len(), 1, "one address, one entry");
        for n in 2..=MAX_WAITING as u8 {
            w.register(ip(n), format!("{n}"), t(2)).expect("room");
        }
        assert_eq!(
            w.register(ip(200), "x".into(), t(2)),
            Err(WaitingError::Full)
        );
        // Ten minutes after the first ones registered, there is room again.
        assert!(
            w.register(ip(200), "x".into(), t(12) + Duration::seconds(1))
                .is_ok()
        );
        assert_eq!(w.list(t(13)).len(), 1);
    }

    #[test]
    fn an_approved_code_pairs_only_from_its_own_address() {
        let mut w = WaitingList::default();
        w.register(ip(5), "tv".into(), t(0)).expect("room");
        assert_eq!(w.approved("tv", ip(5), t(0)), Some(false));
        assert_eq!(w.approved("tv", ip(6), t(0)), None);
        w.approve("tv", "h".into(), Role::Display, "Lobby TV".into(), t(1))
            .expect("waiting");
        assert_eq!(w.approved("tv", ip(5), t(1)), Some(true));
        assert_eq!(
            w.redeem("h", ip(5)),
            Redeem::Approved {
                name: "Lobby TV".into()
            }
        );
        assert_eq!(w.redeem("h", ip(6)), Redeem::ElsewhereRefused);
        assert_eq!(w.redeem("other", ip(6)), Redeem::Ordinary);
        w.paired("h");
        assert!(w.list(t(2)).is_empty());
        assert_eq!(
            w.approve("tv", "h".into(), Role::Display, "x".into(), t(2)),
            Err(WaitingError::Unknown)
        );
    }

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(typed_code(" 1234 5678 "), Some("12345678".into()));
        assert_eq!(typed_code("1234-5678"), Some("12345678".into()));
        assert_eq!(typed_code("1234567"), None);
        assert_eq!(typed_code("1234567a"), None);
        assert_eq!(grouped_code("12345678"), "1234 5678");
    }
}
