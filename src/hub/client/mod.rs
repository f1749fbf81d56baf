//! A hub on another device, as a second kiosk (and later counters and displays) sees it: a
//! mirror of its queue kept current by the event stream (reconnecting by itself, resuming from
//! the last sequence number), and commands sent over HTTP. When the hub cannot be reached a
//! command fails with [`Refusal::Unavailable`] — a number is never invented here.

use super::{QueueAccess, Refusal};
use crate::core::{Catalog, Command, Lang, Queue, Stamped, State};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How long a command may take before the visitor is sent to reception.
pub mod clock;
mod command;
mod error;
mod fence;
mod pair;
mod probe;
pub mod standby;
mod stream;
mod waiting;

pub use command::COMMAND_TRIES;
use command::send_command;
pub use error::ClientError;
pub use fence::{EPOCH_FILE, STANDBY_FILE};
pub use pair::Paired;
pub use probe::{Probe, probe};
pub(crate) use stream::connect_ws;
use stream::*;
pub use waiting::WaitingTicket;

pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// The files a device keeps in its data directory about its hub: the token `integra join` or
/// the pairing screen got, the pinned certificate's fingerprint, and the address that worked
/// last (where a device with `hub = "auto"` starts, without mDNS).
pub const TOKEN_FILE: &str = "hub-token";
pub const FINGERPRINT_FILE: &str = "hub-fingerprint";
pub const LAST_ADDRESS_FILE: &str = "hub-last-address";

/// The hub's address this device paired with or last reached, if any.
pub fn remembered_address(data: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(data.join(LAST_ADDRESS_FILE))
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

/// Remember the hub's address (at pairing, and at each connection: written only when it
/// changed).
pub fn remember_address(data: &std::path::Path, url: &str) -> std::io::Result<()> {
    if remembered_address(data).as_deref() == Some(url) {
        return Ok(());
    }
    std::fs::write(data.join(LAST_ADDRESS_FILE), url)
}
/// The hub's stream is dropped and reopened after this long without a word from it.
pub use crate::hub::stream::STALE_AFTER;
/// Idle time before the kernel probes a device's TCP connection to the hub, and between probes.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(10);

/// Told of each live event, with the mirror after it.
type EventHook = Box<dyn Fn(&Queue, &Stamped) + Send + Sync>;

/// Looks for the hub again (over mDNS): its address now, if it answered.
type Finder = Box<dyn Fn() -> Option<String> + Send + Sync>;
/// Told the hub's address and catalog at each successful connection (to remember the address
/// that worked last, to take the system clock and time zone from it).
type ConnectedHook = Box<dyn Fn(&str, &Catalog) + Send + Sync>;

struct Inner {
    /// The hub's address now; changes when the hub is found again elsewhere (a new DHCP lease).
    base: Mutex<String>,
    /// Called on each reconnect round after a failure, when the address was not set by hand.
    finder: Mutex<Option<Arc<Finder>>>,
    on_connected: Mutex<Option<ConnectedHook>>,
    token: String,
    /// For an `https://` hub: the certificate fingerprint this device pinned at `join`.
    pin: Option<super::tls::Pin>,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
    mirror: Mutex<Queue>,
    /// The id of the hub's history the mirror is a copy of (from the last snapshot): a hub
    /// restored from a backup has another, and sends a fresh snapshot instead of events.
    history: Mutex<Option<String>>,
    online: AtomicBool,
    /// The hub said it is not sure of its clock (its stream's "clock" message).
    clock_unsure: AtomicBool,
    /// Called (from the network thread) after the mirror or the link changed.
    on_change: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    /// Called with each live event applied to the mirror (after it was applied).
    on_event: Mutex<Option<EventHook>>,
    /// Urgent protection requests nobody has acknowledged (staff devices only receive them).
    protection: Mutex<Vec<super::guard::ProtectionAlert>>,
    /// This device's alerts as last reported: sent again at every (re)connection, so a hub
    /// that restarted (alerts live in its memory) or was unreachable still hears of them.
    alerts: Mutex<Option<Vec<super::AlertKind>>>,
    /// This device's doctor report as last sent (sent again at every connection, like alerts).
    doctor: Mutex<Option<super::doctor_reports::DoctorReport>>,
    /// The hub's time, from its answers on the stream.
    clock: Arc<clock::HubClock>,
    /// The highest hub epoch seen (`fence`): a hub below it is refused.
    epoch: AtomicU64,
    /// The other address tried in a failed round: the hub's standby (as the hub told it).
    other: Mutex<Option<String>>,
    /// The data directory the fence is kept in.
    keep: Mutex<Option<std::path::PathBuf>>,
}
/// A connection to a remote hub. Cheap to clone.
#[derive(Clone)]
pub struct Remote {
    inner: Arc<Inner>,
}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn base(&self) -> String {
        self.base.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Remote {
    /// Follow the hub at `base` with a device token, over plain HTTP (a hub on loopback, tests).
    /// Until the hub answers, the mirror is an empty queue over `catalog`.
    pub fn start(base: &str, token: &str, catalog: Arc<Catalog>) -> Result<Remote, ClientError> {
        Self::start_pinned(base, token, None, catalog)
    }

    /// Follow the hub at `base` (e.g. `https://192.168.1.10:7878`) with a device token; an
    /// `https://` hub must show the certificate whose fingerprint the device pinned at `join`
    /// (anything else — a fake hub — gets neither the token nor a command).
    pub fn start_pinned(
        base: &str,
        token: &str,
        fingerprint: Option<&str>,
        catalog: Arc<Catalog>,
    ) -> Result<Remote, ClientError> {
        let pin = fingerprint.map(super::tls::Pin::to);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hub-client")
            .enable_all()
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot start the network runtime: {e}")))?;
        let http = http_builder(base, pin.as_ref())?
            .connect_timeout(Duration::from_secs(3))
            .tcp_keepalive(KEEPALIVE_IDLE)
            .timeout(COMMAND_TIMEOUT)
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot make an HTTP client: {e}")))?;
        let inner = Arc::new(Inner {
            base: Mutex::new(base.trim_end_matches('/').to_string()),
            finder: Mutex::new(None),
            on_connected: Mutex::new(None),
            token: token.to_string(),
            pin,
            http,
            rt,
            mirror: Mutex::new(Queue::new(catalog)),
            history: Mutex::new(None),
            online: AtomicBool::new(false),
            clock_unsure: AtomicBool::new(false),
            on_change: Mutex::new(None),
            on_event: Mutex::new(None),
            protection: Mutex::new(Vec::new()),
            alerts: Mutex::new(None),
            doctor: Mutex::new(None),
            clock: Arc::default(),
            epoch: AtomicU64::new(1),
            other: Mutex::new(None),
            keep: Mutex::new(None),
        });
        let follower = inner.clone();
        inner.rt.spawn(async move { follow(follower).await });
        Ok(Remote { inner })
    }

    /// Be told (on the network thread) whenever the mirror or the link changes.
    pub fn on_change(&self, f: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut slot) = self.inner.on_change.lock() {
            *slot = Some(Box::new(f));
        }
    }

    /// Be told of each event the hub streams, with the mirror after it (for announcements).
    pub fn on_event(&self, f: impl Fn(&Queue, &Stamped) + Send + Sync + 'static) {
        if let Ok(mut slot) = self.inner.on_event.lock() {
            *slot = Some(Box::new(f));
        }
    }

    /// Read the mirror.
    pub fn with_queue<R>(&self, f: impl FnOnce(&Queue) -> R) -> R {
        f(&lock(&self.inner.mirror))
    }

    /// The urgent protection requests nobody has acknowledged, as the hub last said.
    pub fn protection(&self) -> Vec<super::guard::ProtectionAlert> {
        self.inner
            .protection
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// The time every decision of this device uses: the hub's (its own clock corrected by what
    /// the hub last said, carried on while the link is down), or this device's own until the
    /// hub has answered once.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The hub's clock as this device knows it, to read without holding the connection (a
    /// hook kept by the connection itself must not keep it alive).
    pub fn clock(&self) -> Arc<clock::HubClock> {
        self.inner.clock.clone()
    }

    /// How far this device's own clock is ahead of the hub's (negative: behind), once known.
    pub fn own_clock_ahead(&self) -> Option<chrono::Duration> {
        self.inner.clock.own_ahead()
    }

    /// Whether the hub said it is not sure of its clock (a display says the time may be
    /// wrong).
    pub fn hub_clock_unsure(&self) -> bool {
        self.inner.clock_unsure.load(Ordering::SeqCst)
    }

    /// Whether the event stream is connected now.
    pub fn online(&self) -> bool {
        self.inner.online.load(Ordering::SeqCst)
    }

    /// The mirror's sequence number (the last event seen).
    pub fn seq(&self) -> u64 {
        lock(&self.inner.mirror).seq()
    }

    /// The hub's address now, e.g. `http://192.168.1.10:7878`.
    pub fn base(&self) -> String {
        self.inner.base()
    }

    /// Look for the hub again on each reconnect round after a failure (`find` blocks, e.g. an
    /// mDNS browse): a hub that came back on another address is followed there.
    pub fn keep_looking(&self, find: impl Fn() -> Option<String> + Send + Sync + 'static) {
        if let Ok(mut slot) = self.inner.finder.lock() {
            *slot = Some(Arc::new(Box::new(find)));
        }
    }

    /// Be told the hub's address and catalog at each successful connection (to save the address
    /// that worked last; to follow the hub's clock and time zone).
    pub fn on_connected(&self, f: impl Fn(&str, &Catalog) + Send + Sync + 'static) {
        if let Ok(mut slot) = self.inner.on_connected.lock() {
            *slot = Some(Box::new(f));
        }
    }

    /// The mirror's catalog (the hub's, once connected).
    pub fn catalog(&self) -> Arc<Catalog> {
        lock(&self.inner.mirror).catalog().clone()
    }

    pub fn session(&self) -> RemoteSession<'_> {
        let mirror = lock(&self.inner.mirror);
        let idle = Queue::new(mirror.catalog().clone());
        RemoteSession {
            mirror: Some(mirror),
            idle,
            inner: &self.inner,
            follow: None,
        }
    }

    /// POST to an API path (e.g. a reprint), worded in `lang` when refused.
    pub fn post(&self, path: &str, lang: Lang) -> Result<Value, Refusal> {
        let inner = &self.inner;
        inner.rt.block_on(async {
            let r = inner
                .http
                .post(format!("{}{path}", inner.base()))
                .bearer_auth(&inner.token)
                .header("accept-language", lang.code())
                .header(
                    crate::hub::epoch::HEADER,
                    inner.epoch.load(Ordering::SeqCst),
                )
                .send()
                .await
                .map_err(|e| Refusal::Unavailable(format!("cannot reach the hub: {}", why(&e))))?;
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if status.is_success() {
                Ok(v)
            } else if status.is_server_error() {
                Err(Refusal::Unavailable(format!("the hub answered {status}")))
            } else {
                Err(Refusal::Remote {
                    code: v["error"]["code"].as_str().unwrap_or("").to_string(),
                    message: v["error"]["message"].as_str().unwrap_or("").to_string(),
                })
            }
        })
    }

    /// Tell the hub this device's alerts (its printer's, its speakers'), in the background;
    /// they are told again whenever the link comes back.
    pub fn report_alerts(&self, alerts: Vec<super::AlertKind>) {
        if let Ok(mut a) = self.inner.alerts.lock() {
            *a = Some(alerts.clone());
        }
        send_alerts(self.inner.clone(), alerts);
    }

    /// Tell the hub this device's doctor lines and version, in the background; told again
    /// whenever the link comes back (the hub keeps them in memory only).
    pub fn report_doctor(&self, report: super::doctor_reports::DoctorReport) {
        if let Ok(mut d) = self.inner.doctor.lock() {
            *d = Some(report.clone());
        }
        send_doctor(self.inner.clone(), report);
    }
}

/// An error and its causes in one line (a refused certificate is deep inside a request error).
fn why(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.contains(&c_text) {
            text.push_str(": ");
            text.push_str(&c_text);
        }
        cause = c.source();
    }
    text
}

/// A byte stream to the hub, plain or TLS.
pub(crate) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// An HTTP client for the hub at `base`: over HTTPS only the pinned hub (a device without a
/// pin is told to pair again); plain HTTP for a hub on loopback or in tests.
fn http_builder(
    base: &str,
    pin: Option<&super::tls::Pin>,
) -> Result<reqwest::ClientBuilder, ClientError> {
    if base.starts_with("https://") {
        let pin = pin.ok_or_else(|| {
            ClientError::Address(format!(
                "no certificate fingerprint is recorded for the hub at {base}: pair this device again (`integra join --pin PIN`)"
            ))
        })?;
        Ok(super::tls::http_client(pin)?)
    } else {
        super::tls::provider();
        Ok(reqwest::Client::builder())
    }
}
/// The mirror, locked, and the way to the hub. The lock is let go while a command travels to
/// the hub, so a screen reading the mirror never waits for the network.
pub struct RemoteSession<'a> {
    mirror: Option<MutexGuard<'a, Queue>>,
    /// What `queue()` shows in the instant the lock is let go (never seen by callers: `run`
    /// takes the lock again before it returns).
    idle: Queue,
    inner: &'a Inner,
    /// The follow link the hub gave with the last command's answer.
    follow: Option<String>,
}

impl QueueAccess for RemoteSession<'_> {
    fn queue(&self) -> &Queue {
        self.mirror.as_deref().unwrap_or(&self.idle)
    }

    fn run(
        &mut self,
        cmd: &Command,
        _now: DateTime<Utc>,
        lang: Lang,
    ) -> Result<Vec<Stamped>, Refusal> {
        // The hub reads its own clock: one clock for the whole center. The mirror is not held
        // while the command travels (up to the command timeout).
        let inner = self.inner;
        self.mirror = None;
        let result = inner.rt.block_on(send_command(inner, cmd, lang));
        let mut mirror = lock(&inner.mirror);
        if let Ok((events, _)) = &result {
            for e in events {
                if e.seq == mirror.seq() + 1 {
                    mirror.follow(e);
                }
            }
        }
        self.mirror = Some(mirror);
        result.map(|(events, follow)| {
            self.follow = follow;
            events
        })
    }

    fn follow_url(&self, _events: &[Stamped]) -> Option<String> {
        self.follow.clone()
    }
}
