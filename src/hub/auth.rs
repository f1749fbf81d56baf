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
/// Pairing attempts allowed per address (an IPv4 address, or an IPv6 /64 — what one machine on
/// the LAN can hold) within [`LIMIT_WINDOW_SECONDS`]. There is no hub-wide limit: a stranger
/// must not be able to lock out a valid PIN. See SECURITY.md for the arithmetic.
pub const ATTEMPTS_PER_ADDRESS: usize = 5;
pub const LIMIT_WINDOW_SECONDS: i64 = 600;
/// Digits of a pairing PIN.
pub const PIN_DIGITS: u32 = 8;
/// A kiosk, counter or display without a stream for this long is reported offline.
pub const OFFLINE_AFTER_SECONDS: i64 = 30;
/// A device paired before the hub (re)started and not back this long after the start is
/// reported offline: a device whose hub lost power needs up to the stream's silence limit
/// (31 s) and a few seconds of backoff to notice and come back.
pub const EXPECTED_BACK_SECONDS: i64 = 60;

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

/// Why a PIN, a token or a revocation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no randomness from the system: {0}")]
    NoRandomness(String),
    #[error("cannot store the PIN: {0}")]
    PinNotStored(crate::store::StoreError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AuthError::NoRandomness(e.to_string()))?;
    Ok(b)
}

/// A new one-time PIN for `role`, valid for [`PIN_MINUTES`]; only its hash is stored.
pub fn new_pin(
    hub_store: &crate::store::Store,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), AuthError> {
    let b = random_bytes::<8>()?;
    let pin = format!(
        "{:0width$}",
        u64::from_le_bytes(b) % 10u64.pow(PIN_DIGITS),
        width = PIN_DIGITS as usize
    );
    let expires = now + Duration::minutes(PIN_MINUTES);
    hub_store
        .add_pairing_pin(&pin_hash(&pin), role.as_str(), now, expires)
        .map_err(AuthError::PinNotStored)?;
    Ok((pin, expires))
}

/// A new long-lived token (shown once to the device, stored hashed).
pub fn new_token() -> Result<String, AuthError> {
    let b = random_bytes::<32>()?;
    Ok(format!(
        "itg_{}",
        b.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Pairing attempts per address, in a sliding window. An attempt is counted *before* its PIN is
/// checked (so parallel attempts cannot slip past the limit) and given back when it succeeds.
#[derive(Debug, Default)]
pub struct PairLimiter {
    per_address: BTreeMap<IpAddr, VecDeque<DateTime<Utc>>>,
}

/// The bucket an address counts in: IPv4 addresses one by one, IPv6 by /64 (one machine can
/// hold a whole /64).
pub fn address_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// What the limiter says about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted; check the PIN.
    Counted,
    /// Counted, and this address has now used up its attempts (log a lockout once).
    CountedLast,
    /// Refused: wait this many seconds.
    Blocked(i64),
}

impl PairLimiter {
    fn prune(&mut self, now: DateTime<Utc>) {
        let cutoff = now - Duration::seconds(LIMIT_WINDOW_SECONDS);
        self.per_address.retain(|_, q| {
            while q.front().is_some_and(|t| *t < cutoff) {
                q.pop_front();
            }
            !q.is_empty()
        });
    }

    /// Count an attempt from `ip` now, or refuse it when the address used up its attempts.
    pub fn attempt(&mut self, ip: IpAddr, now: DateTime<Utc>) -> Attempt {
        self.prune(now);
        let q = self.per_address.entry(address_bucket(ip)).or_default();
        if q.len() >= ATTEMPTS_PER_ADDRESS {
            let wait = q
                .front()
                .map(|t| {
                    (*t + Duration::seconds(LIMIT_WINDOW_SECONDS) - now)
                        .num_seconds()
                        .max(1)
                })
                .unwrap_or(1);
            return Attempt::Blocked(wait);
        }
        q.push_back(now);
        if q.len() == ATTEMPTS_PER_ADDRESS {
            Attempt::CountedLast
        } else {
            Attempt::Counted
        }
    }

    /// The attempts `ip` has left now (the one being made already counted).
    pub fn left(&mut self, ip: IpAddr, now: DateTime<Utc>) -> usize {
        self.prune(now);
        ATTEMPTS_PER_ADDRESS.saturating_sub(
            self.per_address
                .get(&address_bucket(ip))
                .map_or(0, VecDeque::len),
        )
    }

    /// The attempt succeeded: it does not count against the address.
    pub fn succeeded(&mut self, ip: IpAddr) {
        if let Some(q) = self.per_address.get_mut(&address_bucket(ip)) {
            q.pop_back();
        }
    }
}

/// A paired device's streams.
#[derive(Debug, Clone, Default)]
pub struct Presence {
    pub name: String,
    pub role: Option<Role>,
    pub open_streams: u32,
    pub last_closed: Option<DateTime<Utc>>,
    /// Unpaired since: no longer watched.
    pub revoked: bool,
    /// Its last stream's handshake carried an `Origin`: for a counter, a receptionist's
    /// browser, whose closing is someone going home, not a device going offline (a kiosk's or
    /// display's is ignored: the role decides).
    pub browser: bool,
    /// Paired before this hub started and not back since: reported offline
    /// [`EXPECTED_BACK_SECONDS`] after the start.
    pub expected: bool,
}

/// How many paired devices' tokens are kept in memory (a center has tens).
const MAX_CACHED_TOKENS: usize = 10_000;

/// How often a device's `last_seen` is written at most.
const SEEN_EVERY_SECONDS: i64 = 60;

impl Hub {
    /// Unpair a device: its token stops working at once, its open streams close within a
    /// second, staff stop watching it, and the audit log records it (`kind`: "revoked" by an
    /// admin, "unpaired" by the device itself; `by`: who). `false` when there is no such device.
    pub fn revoke(&self, id: u64, kind: &str, by: &str) -> Result<bool, AuthError> {
        let now = Utc::now();
        let device = {
            let store = self.auth_store();
            let device = store.devices()?.into_iter().find(|d| d.id == id);
            let Some(device) = device else {
                return Ok(false);
            };
            store.revoke_device(id, now)?;
            store.log_security(
                now,
                kind,
                &format!("{} ({}) #{}", device.name, device.role, device.id),
                by,
            )?;
            device
        };
        log::warn!(
            "device {} '{}' ({}) {kind} by {by}: its streams close now",
            device.id,
            device.name,
            device.role
        );
        self.inner.revoked.send_modify(|set| {
            set.insert(id);
        });
        if let Some(p) = super::lock(&self.inner.presence).get_mut(&id) {
            p.revoked = true;
        }
        self.set_offline(&super::AlertSource::device(id, &device.name), None);
        // The standby's copy gets it too (the admin's answer waits for it: `api::devices`).
        self.inner.replica.rebase();
        Ok(true)
    }

    /// The paired device holding a token (by the token's hash), unless it was revoked. Known
    /// devices are answered from memory: a token check never waits for the database — at most
    /// it asks, when the connection is free, whether the device was revoked meanwhile. Only a
    /// hash never seen before is looked up (and waits its turn).
    pub(crate) fn device_by_token(
        &self,
        hash: &str,
    ) -> Result<Option<crate::store::devices::Device>, crate::store::StoreError> {
        let cached = super::lock(&self.inner.tokens).get(hash).cloned();
        if let Some(d) = cached {
            // Revoked by another program a moment ago? Asked of the database when its
            // connection is free (one lookup by key); when it is busy, the revocations the hub
            // reads every half second decide.
            let revoked = self.is_revoked(d.id)
                || self
                    .inner
                    .auth
                    .try_lock()
                    .ok()
                    .and_then(|store| store.device_revoked(d.id).ok())
                    .unwrap_or(false);
            if revoked {
                super::lock(&self.inner.tokens).remove(hash);
                return Ok(None);
            }
            return Ok(Some(d));
        }
        self.inner
            .token_lookups
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = self.auth_store().device_by_token(hash)?;
        match found {
            Some(d) if !self.is_revoked(d.id) => {
                let mut tokens = super::lock(&self.inner.tokens);
                if tokens.len() < MAX_CACHED_TOKENS {
                    tokens.insert(hash.to_string(), d.clone());
                }
                Ok(Some(d))
            }
            _ => Ok(None),
        }
    }

    /// The check of a token the hub has seen: `Some(valid)` from memory (and the revocation
    /// check of [`Hub::device_by_token`]), `None` when it must be looked up in the database.
    pub(crate) fn device_by_token_cached(&self, hash: &str) -> Option<bool> {
        let cached = super::lock(&self.inner.tokens).contains_key(hash);
        if !cached {
            return None;
        }
        self.device_by_token(hash).ok().map(|d| d.is_some())
    }

    /// How many token checks had to look the token up in the database (the others were
    /// answered from memory).
    pub fn token_lookups(&self) -> u64 {
        self.inner
            .token_lookups
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Note that a device was heard from (written at most once a minute; skipped while the
    /// database connection is busy — the next request writes it).
    pub(crate) fn seen(&self, device: &crate::store::devices::Device) {
        let now = Utc::now();
        let fresh = device
            .last_seen
            .is_some_and(|t| now.signed_duration_since(t).num_seconds() < SEEN_EVERY_SECONDS);
        if fresh {
            return;
        }
        let Ok(store) = self.inner.auth.try_lock() else {
            return;
        };
        if let Err(e) = store.device_seen(device.id, now) {
            log::warn!("cannot note when device {} was seen: {e}", device.id);
            return;
        }
        drop(store);
        for d in super::lock(&self.inner.tokens).values_mut() {
            if d.id == device.id {
                d.last_seen = Some(now);
            }
        }
    }

    /// Whether device `id` has been unpaired (as the hub last heard).
    pub(crate) fn is_revoked(&self, id: u64) -> bool {
        self.inner.revoked.borrow().contains(&id)
    }

    /// Whether device `id` is still paired, asked of the database now (another program may
    /// have revoked it a moment ago).
    pub(crate) fn still_paired(&self, id: u64) -> bool {
        if self.is_revoked(id) {
            return false;
        }
        match self.auth_store().revoked_ids() {
            Ok(ids) => !ids.contains(&id),
            Err(e) => {
                log::error!("cannot check whether device {id} is still paired: {e}");
                false
            }
        }
    }

    /// A stream from a paired device opened (`true`) or closed; `browser`: its handshake
    /// carried an `Origin` (a counter's is then a receptionist's browser, never reported
    /// offline; a kiosk or display is watched whatever it carried).
    pub(crate) fn stream_presence(
        &self,
        device: &crate::store::devices::Device,
        open: bool,
        browser: bool,
    ) {
        // Real time, even when the queue runs on a fixed training clock.
        let now = Utc::now();
        {
            let mut p = super::lock(&self.inner.presence);
            let e = p.entry(device.id).or_default();
            e.name = device.name.clone();
            e.role = Role::parse(&device.role);
            if open {
                e.expected = false;
                e.browser = browser;
                e.open_streams += 1;
            } else {
                e.open_streams = e.open_streams.saturating_sub(1);
                e.last_closed = Some(now);
            }
        }
        self.check_presence();
    }

    /// At the start: every paired, non-revoked device is expected back (a hub that restarted
    /// after a power cut must notice the device that does not return, not only those it sees).
    pub(crate) fn expect_paired_devices(
        &self,
        started: DateTime<Utc>,
    ) -> Result<(), crate::store::StoreError> {
        let devices = self.auth_store().devices()?;
        let mut p = super::lock(&self.inner.presence);
        for d in devices.into_iter().filter(|d| d.revoked_at.is_none()) {
            p.entry(d.id).or_insert_with(|| Presence {
                name: d.name.clone(),
                role: Role::parse(&d.role),
                last_closed: Some(started),
                expected: true,
                ..Presence::default()
            });
        }
        Ok(())
    }

    /// Raise "device-offline" for kiosks, counters and displays whose stream has been closed
    /// for [`OFFLINE_AFTER_SECONDS`], and clear it when they are back. Only that kind of alert
    /// is touched (a kiosk's paper-out stays), and only devices that are still paired.
    pub(crate) fn check_presence(&self) {
        self.check_presence_at(Utc::now());
    }

    /// The presence check as if it were `now` (the tests' way to let 30 s pass).
    #[doc(hidden)]
    pub fn check_presence_at(&self, now: DateTime<Utc>) {
        self.check_standby_at(now);
        let entries: Vec<(u64, Presence)> = super::lock(&self.inner.presence)
            .iter()
            .map(|(id, p)| (*id, p.clone()))
            .collect();
        for (id, e) in entries {
            let source = super::AlertSource::device(id, &e.name);
            // The token's role decides: a kiosk or a display is a device whatever headers its
            // stream carries (an `Origin` cannot hide its going away); only a counter's stream
            // may be a receptionist's browser, whose closing is not a device going offline.
            let watched = match e.role {
                Some(Role::Kiosk | Role::Display) => !e.revoked,
                Some(Role::Counter) => !e.revoked && !e.browser,
                Some(Role::Admin) | None => false,
            };
            let after = if e.expected {
                EXPECTED_BACK_SECONDS
            } else {
                OFFLINE_AFTER_SECONDS
            };
            let offline = watched
                && e.open_streams == 0
                && e.last_closed
                    .is_some_and(|t| now.signed_duration_since(t).num_seconds() >= after);
            self.set_offline(
                &source,
                offline.then(|| {
                    format!(
                        "{} has not been connected for a while: check that it is on and on the network",
                        e.name
                    )
                }),
            );
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
