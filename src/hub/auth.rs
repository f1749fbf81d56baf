//! Who may do what: roles, pairing with a one-time PIN, long-lived tokens (stored hashed,
//! revocable), the limit on failed pairings, and which paired devices are online.

use super::Hub;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

/// How long a pairing PIN stays valid.
pub const PIN_MINUTES: i64 = 10;
/// Failed pairings allowed per address, and for the whole hub, within [`LIMIT_WINDOW_SECONDS`].
pub const FAILS_PER_ADDRESS: usize = 5;
pub const FAILS_PER_HUB: usize = 30;
pub const LIMIT_WINDOW_SECONDS: i64 = 600;
/// A kiosk, counter or display without a stream for this long is reported offline.
pub const OFFLINE_AFTER_SECONDS: i64 = 30;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Issue tickets, check in, book, sign up.
    Kiosk,
    /// Call, serve, transfer, reprint; sees names when given.
    Counter,
    /// Numbers and counters only: never a name or a phone.
    Display,
    /// Everything.
    Admin,
}

/// For whom data is redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Receptionists and coordinators: everything, names included.
    Staff,
    /// Devices in the lobby (kiosks, the display): the public view — no names, phones or
    /// codes, discreet tickets indistinguishable from ordinary ones.
    Public,
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the queue, catalog, stream (personal fields only for roles that see them).
    Read,
    /// Issue a ticket, check in, book, sign up.
    Visit,
    /// Call, recall, start, finish, no-show, cancel, transfer, reprint; list appointments.
    Serve,
    /// Pairing PINs, devices.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kiosk => "kiosk",
            Role::Counter => "counter",
            Role::Display => "display",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Kiosk, Role::Counter, Role::Display, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// Whom the role's data is for: staff see everything; lobby devices see the public view.
    pub fn audience(self) -> Audience {
        match self {
            Role::Counter | Role::Admin => Audience::Staff,
            Role::Kiosk | Role::Display => Audience::Public,
        }
    }

    /// Whether this role may see visitors' names and phone numbers.
    pub fn sees_personal(self) -> bool {
        self.audience() == Audience::Staff
    }

    /// The table of who may do what: every role and every action named, no catch-all.
    pub fn may(self, action: Action) -> bool {
        match (self, action) {
            (Role::Kiosk, Action::Read | Action::Visit) => true,
            (Role::Kiosk, Action::Serve | Action::Admin) => false,
            (Role::Display, Action::Read) => true,
            (Role::Display, Action::Visit | Action::Serve | Action::Admin) => false,
            (Role::Counter, Action::Read | Action::Visit | Action::Serve) => true,
            (Role::Counter, Action::Admin) => false,
            (Role::Admin, Action::Read | Action::Visit | Action::Serve | Action::Admin) => true,
        }
    }

    /// Whether the hub limits this device (a kiosk is what a stranger can reach).
    pub fn limited(self) -> bool {
        match self {
            Role::Kiosk => true,
            Role::Counter | Role::Display | Role::Admin => false,
        }
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn pin_hash(pin: &str) -> String {
    sha256_hex(&format!("integra-pin:{pin}"))
}

pub fn token_hash(token: &str) -> String {
    sha256_hex(&format!("integra-token:{token}"))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(b)
}

/// A new one-time PIN for `role`, valid for [`PIN_MINUTES`]; only its hash is stored.
pub fn new_pin(
    hub_store: &crate::store::Store,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), String> {
    let b = random_bytes::<8>()?;
    let pin = format!("{:06}", u64::from_le_bytes(b) % 1_000_000);
    let expires = now + Duration::minutes(PIN_MINUTES);
    hub_store
        .add_pairing_pin(&pin_hash(&pin), role.as_str(), now, expires)
        .map_err(|e| format!("cannot store the PIN: {e}"))?;
    Ok((pin, expires))
}

/// A new long-lived token (shown once to the device, stored hashed).
pub fn new_token() -> Result<String, String> {
    let b = random_bytes::<32>()?;
    Ok(format!(
        "itg_{}",
        b.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Failed pairings, per address and for the whole hub, in a sliding window.
#[derive(Debug, Default)]
pub struct PairLimiter {
    per_address: BTreeMap<IpAddr, VecDeque<DateTime<Utc>>>,
    all: VecDeque<DateTime<Utc>>,
}

impl PairLimiter {
    fn prune(&mut self, now: DateTime<Utc>) {
        let cutoff = now - Duration::seconds(LIMIT_WINDOW_SECONDS);
        while self.all.front().is_some_and(|t| *t < cutoff) {
            self.all.pop_front();
        }
        self.per_address.retain(|_, q| {
            while q.front().is_some_and(|t| *t < cutoff) {
                q.pop_front();
            }
            !q.is_empty()
        });
    }

    /// Seconds to wait before trying again, when this address (or the hub) failed too often.
    pub fn blocked(&mut self, ip: IpAddr, now: DateTime<Utc>) -> Option<i64> {
        self.prune(now);
        let full = |q: &VecDeque<DateTime<Utc>>, max: usize| {
            (q.len() >= max).then(|| {
                q.front()
                    .map(|t| {
                        (*t + Duration::seconds(LIMIT_WINDOW_SECONDS) - now)
                            .num_seconds()
                            .max(1)
                    })
                    .unwrap_or(1)
            })
        };
        let mine = self
            .per_address
            .get(&ip)
            .and_then(|q| full(q, FAILS_PER_ADDRESS));
        mine.or_else(|| full(&self.all, FAILS_PER_HUB))
    }

    pub fn failed(&mut self, ip: IpAddr, now: DateTime<Utc>) {
        self.per_address.entry(ip).or_default().push_back(now);
        self.all.push_back(now);
    }
}

/// A paired device's streams.
#[derive(Debug, Clone, Default)]
pub struct Presence {
    pub name: String,
    pub role: Option<Role>,
    pub open_streams: u32,
    pub last_closed: Option<DateTime<Utc>>,
}

impl Hub {
    /// A stream from a paired device opened (`true`) or closed.
    pub(crate) fn stream_presence(&self, device: &crate::store::devices::Device, open: bool) {
        // Real time, even when the queue runs on a fixed training clock.
        let now = Utc::now();
        {
            let mut p = super::lock(&self.inner.presence);
            let e = p.entry(device.id).or_default();
            e.name = device.name.clone();
            e.role = Role::parse(&device.role);
            if open {
                e.open_streams += 1;
            } else {
                e.open_streams = e.open_streams.saturating_sub(1);
                e.last_closed = Some(now);
            }
        }
        self.check_presence();
    }

    /// Raise "device-offline" for kiosks, counters and displays whose stream has been closed
    /// for [`OFFLINE_AFTER_SECONDS`], and clear it when they are back.
    pub(crate) fn check_presence(&self) {
        let now = Utc::now();
        let entries: Vec<Presence> = super::lock(&self.inner.presence)
            .values()
            .cloned()
            .collect();
        for e in entries {
            if e.role == Some(Role::Admin) {
                continue;
            }
            let offline = e.open_streams == 0
                && e.last_closed.is_some_and(|t| {
                    now.signed_duration_since(t).num_seconds() >= OFFLINE_AFTER_SECONDS
                });
            let alerts = if offline {
                vec![(
                    "device-offline".to_string(),
                    format!(
                        "{} has not been connected for a while: check that it is on and on the network",
                        e.name
                    ),
                )]
            } else {
                Vec::new()
            };
            self.set_device_alerts(&e.name, alerts);
        }
    }
}

/// Check presence every few seconds while the server runs.
pub(crate) async fn watch_presence(hub: Hub) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        hub.check_presence();
    }
}
