//! A hub on another device, as a second kiosk (and later counters and displays) sees it: a
//! mirror of its queue kept current by the event stream (reconnecting by itself, resuming from
//! the last sequence number), and commands sent over HTTP. When the hub cannot be reached a
//! command fails with [`Refusal::Unavailable`] — a number is never invented here.

use super::{QueueAccess, Refusal};
use crate::core::{Catalog, Command, Lang, Queue, Stamped, State};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How long a command may take before the visitor is sent to reception.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Told of each live event, with the mirror after it.
type EventHook = Box<dyn Fn(&Queue, &Stamped) + Send + Sync>;

struct Inner {
    base: String,
    token: String,
    /// For an `https://` hub: the certificate fingerprint this device pinned at `join`.
    pin: Option<super::tls::Pin>,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
    mirror: Mutex<Queue>,
    online: AtomicBool,
    /// Called (from the network thread) after the mirror or the link changed.
    on_change: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    /// Called with each live event applied to the mirror (after it was applied).
    on_event: Mutex<Option<EventHook>>,
    /// Urgent protection requests nobody has acknowledged (staff devices only receive them).
    protection: Mutex<Vec<super::guard::ProtectionAlert>>,
    /// This device's alerts as last reported: sent again at every (re)connection, so a hub
    /// that restarted (alerts live in its memory) or was unreachable still hears of them.
    alerts: Mutex<Option<Vec<(String, String)>>>,
}

/// Why talking to the hub on another device failed; each says what to do.
#[derive(Debug)]
pub enum ClientError {
    /// This device cannot set up its side (network runtime, HTTP client).
    Setup(String),
    /// The hub's address, host or this device's token cannot be used (pair again, fix `hub`).
    Address(String),
    /// The hub cannot be reached, or not safely (its certificate).
    Unreachable(String),
    /// The hub answered no (a PIN, a token), or what answered is not an Integra hub.
    Refused(String),
    /// The event stream broke or carried what does not read.
    Stream(String),
    /// This device's TLS side.
    Tls(super::tls::TlsError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Setup(m)
            | ClientError::Address(m)
            | ClientError::Unreachable(m)
            | ClientError::Refused(m)
            | ClientError::Stream(m) => f.write_str(m),
            ClientError::Tls(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<super::tls::TlsError> for ClientError {
    fn from(e: super::tls::TlsError) -> ClientError {
        ClientError::Tls(e)
    }
}

/// For callers that report errors as text.
impl From<ClientError> for String {
    fn from(e: ClientError) -> String {
        e.to_string()
    }
}

/// A connection to a remote hub. Cheap to clone.
#[derive(Clone)]
pub struct Remote {
    inner: Arc<Inner>,
}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
            .timeout(COMMAND_TIMEOUT)
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot make an HTTP client: {e}")))?;
        let inner = Arc::new(Inner {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            pin,
            http,
            rt,
            mirror: Mutex::new(Queue::new(catalog)),
            online: AtomicBool::new(false),
            on_change: Mutex::new(None),
            on_event: Mutex::new(None),
            protection: Mutex::new(Vec::new()),
            alerts: Mutex::new(None),
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

    /// Whether the event stream is connected now.
    pub fn online(&self) -> bool {
        self.inner.online.load(Ordering::SeqCst)
    }

    /// The mirror's sequence number (the last event seen).
    pub fn seq(&self) -> u64 {
        lock(&self.inner.mirror).seq()
    }

    /// The hub's address, e.g. `http://192.168.1.10:7878`.
    pub fn base(&self) -> &str {
        &self.inner.base
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
                .post(format!("{}{path}", inner.base))
                .bearer_auth(&inner.token)
                .header("accept-language", lang.code())
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
    pub fn report_alerts(&self, alerts: Vec<(String, String)>) {
        if let Ok(mut a) = self.inner.alerts.lock() {
            *a = Some(alerts.clone());
        }
        send_alerts(self.inner.clone(), alerts);
    }

    /// Pair this device with the hub at `base` using a PIN; returns the token and role.
    pub fn pair(base: &str, pin: &str, name: &str) -> Result<(String, String), ClientError> {
        Self::pair_pinned(base, pin, name, None).map(|p| (p.token, p.role))
    }

    /// Pair with the hub at `base`. Over HTTPS the hub's certificate is recorded (its
    /// fingerprint comes back, to be pinned) — or, with `expected`, required.
    pub fn pair_pinned(
        base: &str,
        pin: &str,
        name: &str,
        expected: Option<&str>,
    ) -> Result<Paired, ClientError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot start the network runtime: {e}")))?;
        let tls_pin = expected.map_or_else(super::tls::Pin::first_use, super::tls::Pin::to);
        let http = http_builder(base, Some(&tls_pin))?
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot make an HTTP client: {e}")))?;
        rt.block_on(async {
            let r = http
                .post(format!("{}/api/v1/pair", base.trim_end_matches('/')))
                .timeout(COMMAND_TIMEOUT)
                .json(&json!({"pin": pin, "name": name}))
                .send()
                .await
                .map_err(|e| {
                    ClientError::Unreachable(format!("cannot reach the hub at {base}: {}", why(&e)))
                })?;
            let ok = r.status().is_success();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if !ok {
                return Err(ClientError::Refused(
                    v["error"]["message"]
                        .as_str()
                        .unwrap_or("the hub refused the PIN")
                        .to_string(),
                ));
            }
            match (v["token"].as_str(), v["role"].as_str()) {
                (Some(t), Some(r)) => Ok(Paired {
                    token: t.to_string(),
                    role: r.to_string(),
                    fingerprint: base
                        .starts_with("https://")
                        .then(|| tls_pin.seen())
                        .flatten(),
                }),
                _ => Err(ClientError::Refused("the hub's answer has no token".into())),
            }
        })
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
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// What pairing gives a device.
#[derive(Debug, Clone)]
pub struct Paired {
    pub token: String,
    pub role: String,
    /// The hub's certificate fingerprint (over HTTPS): pin it.
    pub fingerprint: Option<String>,
}

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

/// Open the event stream with the token in a header (never in the URL), over TLS to the
/// pinned hub for `https://`.
async fn open_stream(
    inner: &Inner,
    after: Option<u64>,
) -> Result<tokio_tungstenite::WebSocketStream<Box<dyn Io>>, ClientError> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let ws_base = inner.base.replacen("http", "ws", 1);
    let mut url = format!("{ws_base}/api/v1/events");
    if let Some(after) = after {
        url.push_str(&format!("?after={after}"));
    }
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ClientError::Address(format!("bad hub address {}: {e}", inner.base)))?;
    let auth = format!("Bearer {}", inner.token).parse().map_err(|_| {
        ClientError::Address("the device token is not valid in a header: pair again".to_string())
    })?;
    request.headers_mut().insert("authorization", auth);
    let parsed = reqwest::Url::parse(&inner.base)
        .map_err(|e| ClientError::Address(format!("bad hub address {}: {e}", inner.base)))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| ClientError::Address(format!("no host in the hub address {}", inner.base)))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed
        .port_or_known_default()
        .unwrap_or(super::DEFAULT_PORT);
    let tcp = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| {
        ClientError::Unreachable(format!("cannot reach {}: no answer in 3 s", inner.base))
    })?
    .map_err(|e| ClientError::Unreachable(format!("cannot reach {}: {e}", inner.base)))?;
    let _ = tcp.set_nodelay(true);
    let stream = if parsed.scheme() == "https" {
        let pin = inner.pin.as_ref().ok_or_else(|| {
            ClientError::Address(
                "no certificate fingerprint is recorded for the hub: pair again".to_string(),
            )
        })?;
        let config = super::tls::client_config(pin)?;
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| ClientError::Address(format!("bad hub host {host}: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| {
                ClientError::Unreachable(format!("cannot talk safely to {}: {e}", inner.base))
            })?;
        Box::new(tls) as Box<dyn Io>
    } else {
        Box::new(tcp) as Box<dyn Io>
    };
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| ClientError::Unreachable(format!("cannot open the event stream: {e}")))?;
    Ok(ws)
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
        let result = inner.rt.block_on(async {
            let r = inner
                .http
                .post(format!("{}/api/v1/commands", inner.base))
                .bearer_auth(&inner.token)
                .header("accept-language", lang.code())
                .json(cmd)
                .send()
                .await
                .map_err(|e| Refusal::Unavailable(format!("cannot reach the hub: {}", why(&e))))?;
            let status = r.status();
            let v: Value = r
                .json()
                .await
                .map_err(|e| Refusal::Unavailable(format!("the hub's answer is not JSON: {e}")))?;
            if status.is_success() {
                let follow = v["follow_url"].as_str().map(str::to_string);
                return serde_json::from_value::<Vec<Stamped>>(v["events"].clone())
                    .map(|events| (events, follow))
                    .map_err(|e| {
                        Refusal::Unavailable(format!("the hub's events do not read: {e}"))
                    });
            }
            let code = v["error"]["code"].as_str().unwrap_or("").to_string();
            let message = v["error"]["message"].as_str().unwrap_or("").to_string();
            if status.is_server_error() || status.as_u16() == 401 || status.as_u16() == 403 {
                Err(Refusal::Unavailable(format!(
                    "the hub answered {status}: {message}"
                )))
            } else {
                Err(Refusal::Remote { code, message })
            }
        });
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

fn changed(inner: &Inner) {
    if let Ok(f) = inner.on_change.lock()
        && let Some(f) = f.as_ref()
    {
        f();
    }
}

/// Keep the mirror current: connect, take a snapshot or resume, apply events; on any break,
/// wait a little and resume from the last sequence number.
async fn follow(inner: Arc<Inner>) {
    let mut wait = Duration::from_millis(250);
    loop {
        match stream_once(&inner).await {
            Ok(()) => wait = Duration::from_millis(250),
            Err(e) => log::warn!("hub stream: {e}; retrying in {} ms", wait.as_millis()),
        }
        inner.online.store(false, Ordering::SeqCst);
        changed(&inner);
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Send a device's alerts to its hub, in the background (a failure is logged; the next
/// connection sends them again).
fn send_alerts(inner: Arc<Inner>, alerts: Vec<(String, String)>) {
    let runtime = inner.rt.handle().clone();
    runtime.spawn(async move {

        let body = json!({"alerts": alerts.iter().map(|(k, m)| json!({"kind": k, "message": m})).collect::<Vec<_>>()});
        let r = inner
            .http
            .post(format!("{}/api/v1/alerts", inner.base))
            .bearer_auth(&inner.token)
            .json(&body)
            .send()
            .await;
        if let Err(e) = r {
            log::warn!("cannot tell the hub this device's alerts (sent again when the link is back): {e}");
        }
        });
}

async fn stream_once(inner: &Arc<Inner>) -> Result<(), ClientError> {
    let catalog: Catalog = inner
        .http
        .get(format!("{}/api/v1/catalog", inner.base))
        .bearer_auth(&inner.token)
        .send()
        .await
        .map_err(|e| ClientError::Unreachable(format!("cannot reach {}: {}", inner.base, why(&e))))?
        .error_for_status()
        .map_err(|e| ClientError::Refused(format!("the hub refused: {e}")))?
        .json()
        .await
        .map_err(|e| ClientError::Stream(format!("the hub's catalog does not read: {e}")))?;
    let catalog = Arc::new(catalog);
    let same_catalog = **lock(&inner.mirror).catalog() == *catalog;
    let seq = lock(&inner.mirror).seq();
    let mut ws = open_stream(inner, (same_catalog && seq > 0).then_some(seq)).await?;
    inner.online.store(true, Ordering::SeqCst);
    changed(inner);
    // Connected (again): the hub hears this device's alerts as they are now.
    let alerts = inner.alerts.lock().ok().and_then(|a| a.clone());
    if let Some(alerts) = alerts {
        send_alerts(inner.clone(), alerts);
    }
    while let Some(msg) = ws.next().await {
        let msg = msg.map_err(|e| ClientError::Stream(format!("stream broke: {e}")))?;
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(text.as_str())
            .map_err(|e| ClientError::Stream(format!("the stream's message does not read: {e}")))?;
        let applied = tokio::task::block_in_place(|| -> Result<(), ClientError> {
            let mut q = lock(&inner.mirror);
            match v["type"].as_str() {
                Some("snapshot") => {
                    let state: State = serde_json::from_value(v["state"].clone())
                        .map_err(|e| ClientError::Stream(format!("snapshot does not read: {e}")))?;
                    *q = Queue::resume(catalog.clone(), state, []);
                }
                Some("event") => {
                    let e: Stamped = serde_json::from_value(v)
                        .map_err(|e| ClientError::Stream(format!("event does not read: {e}")))?;
                    if e.seq == q.seq() + 1 {
                        q.follow(&e);
                        if let Ok(f) = inner.on_event.lock()
                            && let Some(f) = f.as_ref()
                        {
                            f(&q, &e);
                        }
                    } else if e.seq > q.seq() + 1 {
                        return Err(ClientError::Stream(format!(
                            "missed events {}..{}",
                            q.seq() + 1,
                            e.seq
                        )));
                    }
                }
                Some("alerts") => {
                    let list = serde_json::from_value(v["protection"].clone()).unwrap_or_default();
                    if let Ok(mut p) = inner.protection.lock() {
                        *p = list;
                    }
                }
                _ => {}
            }
            Ok(())
        });
        applied?;
        changed(inner);
    }
    Err(ClientError::Stream("the hub closed the stream".into()))
}

/// What a device learns by asking the hub (for `integra doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub center: String,
    /// The role and name this device is paired as, when its token is valid.
    pub paired: Option<(String, String)>,
    /// The hub refused the token (revoked or from another hub).
    pub token_refused: bool,
}

/// Ask the hub at `base` whether it is an Integra hub and whether `token` is paired; an
/// `https://` hub must show the certificate `fingerprint`.
pub fn probe(
    base: &str,
    token: Option<&str>,
    fingerprint: Option<&str>,
) -> Result<Probe, ClientError> {
    let base = base.trim_end_matches('/').to_string();
    // Without a pinned certificate any hub may answer whether it is up — but it gets no token
    // (the device counts as not paired: `integra join` pins the hub).
    let pin = Some(fingerprint.map_or_else(super::tls::Pin::first_use, super::tls::Pin::to));
    let token = if base.starts_with("https://") && fingerprint.is_none() {
        None
    } else {
        token
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::Setup(format!("cannot start the network runtime: {e}")))?;
    rt.block_on(async {
        let http = http_builder(&base, pin.as_ref())?
            .connect_timeout(Duration::from_secs(3))
            .timeout(COMMAND_TIMEOUT)
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot make an HTTP client: {e}")))?;
        // Without a token the hub says only whether it is up; with one, which center it is.
        let mut req = http.get(format!("{base}/api/v1/health"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let health: Value = req
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(format!("cannot reach {base}: {}", why(&e))))?
            .json()
            .await
            .map_err(|_| {
                ClientError::Refused(format!("{base} answers, but it is not an Integra hub"))
            })?;
        if !matches!(health["status"].as_str(), Some("ok" | "starting")) {
            return Err(ClientError::Refused(format!(
                "{base} answers, but it is not an Integra hub"
            )));
        }
        let center = health["center"].as_str().unwrap_or("?").to_string();
        let Some(token) = token else {
            return Ok(Probe {
                center,
                paired: None,
                token_refused: false,
            });
        };
        let r = http
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(format!("cannot reach {base}: {}", why(&e))))?;
        if r.status().as_u16() == 401 {
            return Ok(Probe {
                center,
                paired: None,
                token_refused: true,
            });
        }
        let me: Value = r.json().await.map_err(|e| {
            ClientError::Refused(format!("{base} answers, but not as an Integra hub: {e}"))
        })?;
        Ok(Probe {
            center,
            paired: Some((
                me["role"].as_str().unwrap_or_default().to_string(),
                me["device"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )),
            token_refused: false,
        })
    })
}
