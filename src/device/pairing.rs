//! A device with no token pairs from its own screen (issue #33): this is the work behind that
//! screen, on its own thread. It finds the hub (its address, or over mDNS, forever), then:
//!
//! - on a touch device (counter terminal, network kiosk): shows the hub's certificate
//!   fingerprint for a person to compare with the admin page, and pairs with each PIN typed on
//!   the keypad by SPAKE2 ([`Remote::pair_pinned`]), pinned to the certificate shown;
//! - on a device without touch (the lobby TV): makes a code, registers as waiting (no secret
//!   sent) and, once the admin typed that code on the admin page, pairs with the code as its
//!   PIN — the same SPAKE2, so a hub that does not know the code learns nothing and approves
//!   nothing (see [`crate::hub::waiting`]).
//!
//! Also the `pair_pin` mark: a PIN from `integra.toml` pairs once.

use crate::hub::client::{ClientError, Paired, Remote, WaitingTicket};
use crate::hub::waiting::{CODE_DIGITS, WAITING_MINUTES, grouped_code};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the device pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A keypad for the PIN the admin page makes.
    Keypad,
    /// A code on screen that the admin types on the admin page.
    Code,
}

/// Where the hub is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    /// This address (https://…; http://… only for a hub on loopback, tests).
    At(String),
    /// Whatever hub answers over mDNS.
    Auto,
}

/// What the screen says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Looking for the hub (or it does not answer).
    Looking,
    /// Keypad: type the PIN. Code: waiting for the admin.
    Ready,
    /// Pairing now.
    Pairing,
    /// The PIN did not pair; the attempts this address has left, when the hub said.
    Wrong { left: Option<usize> },
    /// The hub refused (too many attempts, a full waiting list): wait and try again.
    Refused,
    /// Paired: the token is kept; the role starts.
    Paired,
}

/// What the pairing screen shows, written by the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub status: Status,
    /// The hub's address, once found.
    pub hub: Option<String>,
    /// The hub's certificate fingerprint, grouped (keypad mode, over HTTPS).
    pub fingerprint: Option<String>,
    /// The code to type on the admin page, grouped (code mode).
    pub code: Option<String>,
    /// This device's address as the hub sees it (code mode).
    pub address: Option<String>,
}

/// Keeps what pairing gave (the token and the hub's fingerprint) where the role reads it.
pub type Keep = Box<dyn Fn(&str, &Paired) -> std::io::Result<()> + Send>;

/// The worker behind a pairing screen; stops when dropped.
pub struct Worker {
    shown: Arc<Mutex<Shown>>,
    pins: Sender<String>,
    stop: Arc<AtomicBool>,
}

impl Worker {
    /// Start pairing as `name` with the hub at `hub`; `keep` stores the result.
    pub fn start(mode: Mode, hub: Where, name: String, keep: Keep) -> Worker {
        let shown = Arc::new(Mutex::new(Shown {
            status: Status::Looking,
            hub: None,
            fingerprint: None,
            code: None,
            address: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (pins, rx) = std::sync::mpsc::channel();
        let job = Job {
            shown: shown.clone(),
            stop: stop.clone(),
            hub,
            name,
            keep,
        };
        let spawned =
            std::thread::Builder::new()
                .name("pairing".into())
                .spawn(move || match mode {
                    Mode::Keypad => job.keypad(&rx),
                    Mode::Code => job.code(),
                });
        if let Err(e) = spawned {
            log::error!("cannot start the pairing: {e}");
        }
        Worker { shown, pins, stop }
    }

    /// What to show now.
    pub fn shown(&self) -> Shown {
        match self.shown.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// A PIN typed on the keypad.
    pub fn submit(&self, pin: String) {
        let _ = self.pins.send(pin);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Job {
    shown: Arc<Mutex<Shown>>,
    stop: Arc<AtomicBool>,
    hub: Where,
    name: String,
    keep: Keep,
}

/// Between two looks for a hub that does not answer.
const RETRY: Duration = Duration::from_secs(3);
/// Between two questions "am I approved?".
const POLL: Duration = Duration::from_secs(2);
/// A code that failed this many pairings is replaced (a fake hub gets few guesses at it).
const FAILS_PER_CODE: u32 = 3;

impl Job {
    fn set(&self, f: impl FnOnce(&mut Shown)) {
        match self.shown.lock() {
            Ok(mut s) => f(&mut s),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleep `d`, or less when told to stop; false when stopped.
    fn pause(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.stopped() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100).min(until - Instant::now()));
        }
        !self.stopped()
    }

    /// The hub's address, looking until one answers (None: stopped).
    fn find(&self) -> Option<String> {
        loop {
            if self.stopped() {
                return None;
            }
            match &self.hub {
                Where::At(url) => return Some(url.clone()),
                Where::Auto => {
                    let found = crate::hub::discovery::discover(
                        Duration::from_secs(3),
                        true,
                        crate::hub::discovery::Scope::Lan,
                    );
                    match found {
                        Ok(f) => {
                            if let Some(first) = f.into_iter().next() {
                                return Some(first.url);
                            }
                        }
                        Err(e) => log::warn!("{e}"),
                    }
                    self.set(|s| s.status = Status::Looking);
                    if !self.pause(RETRY) {
                        return None;
                    }
                }
            }
        }
    }

    fn paired(&self, url: &str, p: &Paired) -> bool {
        match (self.keep)(url, p) {
            Ok(()) => {
                log::info!("paired with the hub at {url} as a {} device", p.role);
                self.set(|s| s.status = Status::Paired);
                true
            }
            Err(e) => {
                log::error!(
                    "paired, but cannot keep the token: {e} (is the data directory writable?)"
                );
                self.set(|s| s.status = Status::Refused);
                false
            }
        }
    }

    fn keypad(&self, pins: &Receiver<String>) {
        while let Some(url) = self.find() {
            let fingerprint = match Remote::hub_fingerprint(&url) {
                Ok(f) => f,
                Err(e) => {
                    log::warn!("pairing: {e}");
                    self.set(|s| s.status = Status::Looking);
                    if !self.pause(RETRY) {
                        return;
                    }
                    continue;
                }
            };
            self.set(|s| {
                s.hub = Some(url.clone());
                s.fingerprint = fingerprint.as_deref().map(crate::hub::tls::grouped);
                if s.status == Status::Looking {
                    s.status = Status::Ready;
                }
            });
            loop {
                if self.stopped() {
                    return;
                }
                let pin = match pins.recv_timeout(Duration::from_millis(500)) {
                    Ok(pin) => pin,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                self.set(|s| s.status = Status::Pairing);
                // Pinned to the certificate shown: the hub the person compared is the one paired.
                match Remote::pair_pinned(&url, pin.trim(), &self.name, fingerprint.as_deref()) {
                    Ok(p) => {
                        if self.paired(&url, &p) {
                            return;
                        }
                    }
                    Err(ClientError::WrongPin { left }) => {
                        self.set(|s| s.status = Status::Wrong { left });
                    }
                    Err(e @ (ClientError::Unreachable(_) | ClientError::Tls(_))) => {
                        log::warn!("pairing: {e}");
                        self.set(|s| s.status = Status::Looking);
                        break;
                    }
                    Err(
                        e @ (ClientError::Refused(_)
                        | ClientError::Setup(_)
                        | ClientError::Address(_)
                        | ClientError::Stream(_)),
                    ) => {
                        log::warn!("pairing: {e}");
                        self.set(|s| s.status = Status::Refused);
                    }
                }
            }
        }
    }

    fn code(&self) {
        while let Some(url) = self.find() {
            let code = match new_code() {
                Ok(c) => c,
                Err(e) => {
                    log::error!("pairing: {e}");
                    return;
                }
            };
            let ticket = match Remote::wait_for_approval(&url) {
                Ok(t) => t,
                Err(e) => {
                    log::warn!("pairing: {e}");
                    self.set(|s| {
                        s.status = match e {
                            ClientError::Refused(_) => Status::Refused,
                            _ => Status::Looking,
                        }
                    });
                    if !self.pause(RETRY) {
                        return;
                    }
                    continue;
                }
            };
            self.set(|s| {
                s.hub = Some(url.clone());
                s.code = Some(grouped_code(&code));
                s.address = Some(ticket.address.clone());
                s.status = Status::Ready;
            });
            if self.wait_and_pair(&url, &code, &ticket) {
                return;
            }
        }
    }

    /// Ask until approved, then pair with the code; true once paired, false for a new code.
    fn wait_and_pair(&self, url: &str, code: &str, ticket: &WaitingTicket) -> bool {
        let registered = Instant::now();
        let mut fails = 0;
        // A little before the hub forgets this device, register again with a new code.
        let lasts = Duration::from_secs(WAITING_MINUTES as u64 * 60 - 30);
        while registered.elapsed() < lasts {
            if !self.pause(POLL) {
                return true;
            }
            match Remote::approved(url, ticket) {
                Ok(false) => {}
                Ok(true) => {
                    self.set(|s| s.status = Status::Pairing);
                    match Remote::pair_pinned(url, code, &self.name, None) {
                        Ok(p) => {
                            if self.paired(url, &p) {
                                return true;
                            }
                        }
                        Err(e) => {
                            log::warn!("pairing: {e}");
                            fails += 1;
                            self.set(|s| s.status = Status::Wrong { left: None });
                            if fails >= FAILS_PER_CODE || !self.pause(RETRY) {
                                return self.stopped();
                            }
                        }
                    }
                }
                // Not (or no longer) waiting there: register again.
                Err(ClientError::Refused(m)) => {
                    log::info!("pairing: {m}");
                    return false;
                }
                Err(e) => {
                    log::warn!("pairing: {e}");
                }
            }
        }
        false
    }
}

/// A new code of [`CODE_DIGITS`] random digits.
pub fn new_code() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b)?;
    Ok(format!(
        "{:0width$}",
        u64::from_le_bytes(b) % 10u64.pow(CODE_DIGITS as u32),
        width = CODE_DIGITS
    ))
}

/// The mark of the `pair_pin` this device already used (the PIN's hash).
pub fn pair_pin_mark(data: &Path) -> PathBuf {
    data.join("pair-pin-used")
}

/// Whether `pin` (from `integra.toml`) already paired this device.
pub fn pair_pin_used(data: &Path, pin: &str) -> bool {
    std::fs::read_to_string(pair_pin_mark(data))
        .is_ok_and(|m| m.trim() == crate::hub::auth::pin_hash(pin.trim()))
}

/// Mark `pin` as used.
pub fn mark_pair_pin_used(data: &Path, pin: &str) -> std::io::Result<()> {
    std::fs::write(pair_pin_mark(data), crate::hub::auth::pin_hash(pin.trim()))
}
