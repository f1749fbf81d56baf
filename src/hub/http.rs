//! The HTTP edge of the hub, before any handler runs: the Host check (a web page elsewhere
//! cannot reach the hub through a name that points at it), the token gate (a request without a
//! valid token is refused before its body is read), and the security headers of every answer.

use super::Hub;
use super::api::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// API paths anyone may call (no token).
const OPEN: &[&str] = &[
    "/api/v1/health",
    "/api/v1/openapi.json",
    "/api/v1/pair",
    "/api/v1/pair/spake2",
    "/api/v1/strings",
];

/// The page policy: everything from the hub itself, nothing from elsewhere, never in a frame.
/// (Inline styles are allowed: the report's HTML carries its own CSS; scripts are not.)
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Whether a Host header names the hub in a way a device on the LAN would: an IP address, a
/// `.local` (mDNS) name, or `localhost` — with or without a port.
pub fn host_ok(host: &str) -> bool {
    let host = host.trim();
    // [v6]:port, [v6], v4:port, name:port.
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, _)) => return v6.parse::<std::net::Ipv6Addr>().is_ok(),
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, port)) if port.chars().all(|c| c.is_ascii_digit()) => n,
            _ => host,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.parse::<std::net::IpAddr>().is_ok()
        || name == "localhost"
        || (name.ends_with(".local")
            && name.len() > ".local".len()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
}

/// Refuse requests whose Host does not name the hub (DNS rebinding from a web page).
pub async fn check_host(request: Request, next: Next) -> Response {
    let ok = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(host_ok);
    if !ok {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "wrong-host",
            "this hub answers only at its address (http://IP:7878/) or its .local name",
        )
        .into_response();
    }
    next.run(request).await
}

/// Whether the request carries a bearer token.
pub fn has_bearer(headers: &HeaderMap) -> bool {
    bearer(headers).is_some()
}

/// Every API path but the open ones needs a valid token, checked before anything else of the
/// request (its body included) is looked at.
pub async fn require_token(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/") || OPEN.contains(&path) {
        return next.run(request).await;
    }
    let Some(token) = bearer(request.headers()) else {
        // The event stream of a browser authenticates with its first message (browsers cannot
        // set headers on a WebSocket); nothing is sent on it before that.
        if path == "/api/v1/events" {
            return next.run(request).await;
        }
        return ApiError::unauthorized().into_response();
    };
    // Answered from memory (a cached token, the revocations the hub knows, one lookup by key
    // when the auth connection is free): no thread hand-off for it. Only a token the hub has
    // not seen yet is looked up in the database, off the async threads.
    let hash = super::auth::token_hash(&token);
    let known = match hub.device_by_token_cached(&hash) {
        Some(known) => known,
        None => {
            let hub2 = hub.clone();
            tokio::task::spawn_blocking(move || hub2.device_by_token(&hash))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
                .is_some()
        }
    };
    if !known {
        return ApiError::unauthorized().into_response();
    }
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_string())
}

/// The security headers of every answer; API answers are never cached.
pub async fn headers(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

// ---------------------------------------------------------------- connections

/// A connection that has not sent a whole request head within this long is closed (this is
/// also how long an idle keep-alive connection stays open).
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// A plain HTTP connection lives at most this long (browsers simply reconnect); a WebSocket,
/// once upgraded, is not bound by it.
pub const CONNECTION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(120);
/// Open connections allowed from one address (the hub's own machine is not limited).
pub const CONNECTIONS_PER_ADDRESS: usize = 16;
/// Open connections allowed in all (far below the unit's LimitNOFILE).
pub const CONNECTIONS_TOTAL: usize = 8192;
/// Requests handled at once; more wait their turn.
pub const REQUESTS_IN_FLIGHT: usize = 256;

/// Open connections, per address and in all.
#[derive(Debug, Default)]
pub struct Connections {
    per_address: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
    total: std::sync::atomic::AtomicUsize,
}

/// Held while a connection is open.
pub struct Admitted {
    conns: std::sync::Arc<Connections>,
    ip: Option<std::net::IpAddr>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.conns
            .total
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(ip) = self.ip {
            let mut m = self
                .conns
                .per_address
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(n) = m.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&ip);
                }
            }
        }
    }
}

impl Connections {
    /// Admit a connection from `ip`, or `None` when its address or the hub is full (the
    /// connection is then closed at once).
    pub fn admit(self: &std::sync::Arc<Self>, ip: std::net::IpAddr) -> Option<Admitted> {
        use std::sync::atomic::Ordering;
        if self.total.fetch_add(1, Ordering::SeqCst) >= CONNECTIONS_TOTAL {
            self.total.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        // The hub's own machine (its kiosk, the command line) is never shut out.
        let own = matches!(ip, std::net::IpAddr::V4(v4) if v4 == std::net::Ipv4Addr::LOCALHOST)
            || ip == std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
        if own {
            return Some(Admitted {
                conns: self.clone(),
                ip: None,
            });
        }
        let key = super::auth::address_bucket(ip);
        let mut m = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(key).or_insert(0);
        if *n >= CONNECTIONS_PER_ADDRESS {
            drop(m);
            self.total.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        *n += 1;
        Some(Admitted {
            conns: self.clone(),
            ip: Some(key),
        })
    }

    pub fn open(&self) -> usize {
        self.total.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Serve `app` on `listener`: hyper's HTTP/1 with a header-read timeout and upgrades
/// (WebSockets), the connection caps above, tower's concurrency limit, and the peer's address
/// for handlers (`ConnectInfo`). With `tls`, the hub speaks HTTPS: a connection that does not
/// start a TLS handshake gets only the visitors' follow pages (`follow`, `/f/…`: no token, name,
/// phone or code on them) or else a redirect to the same address over HTTPS (so a technician
/// typing `http://hub:7878` lands on the console, and no token or name ever travels in clear).
/// Without `tls` (tests, and a hub that listens on loopback only) it speaks plain HTTP.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    follow: axum::Router,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
) {
    let app = app.layer(tower::limit::ConcurrencyLimitLayer::new(REQUESTS_IN_FLIGHT));
    // The follow pages (`/f/…`) are served beside the API, not under its concurrency limit: a
    // phone's long poll waits up to 25 s, and hundreds of phones must never hold the slots the
    // kiosks and counters need (the follow pages bound their own waiting, see hub::follow).
    // They are also the only pages a hub speaking HTTPS answers over plain HTTP (a phone cannot
    // be asked to trust the hub's certificate); everything else there is redirected.
    let follow = follow
        .layer(axum::middleware::from_fn(check_host))
        .layer(axum::middleware::from_fn(headers));
    let redirect = axum::Router::new()
        .fallback(to_https)
        .layer(axum::middleware::from_fn(headers));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let conns = std::sync::Arc::new(Connections::default());
    let mut refused: u64 = 0;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of files or memory: wait a moment rather than spin.
                log::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(admitted) = conns.admit(peer.ip()) else {
            refused += 1;
            if refused.is_power_of_two() {
                log::warn!(
                    "refused a connection from {} (too many open: {} in all); {refused} refused so far",
                    peer.ip(),
                    conns.open()
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, redirect, follow, acceptor) = (
            app.clone(),
            redirect.clone(),
            follow.clone(),
            acceptor.clone(),
        );
        tokio::spawn(async move {
            let _admitted = admitted;
            let Some(acceptor) = acceptor else {
                serve_connection(stream, app, follow, peer, None).await;
                return;
            };
            // A TLS connection starts with a handshake record (0x16); anything else is plain
            // HTTP: the follow pages, or a redirect. A silent connection is dropped like a slow
            // header.
            let mut first = [0u8; 1];
            match tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)).await {
                Ok(Ok(1)) if first[0] == 0x16 => {
                    match tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            // What a pairing on this connection binds (its TLS exporter).
                            let channel = super::pake::Channel::of(tls.get_ref().1);
                            serve_connection(tls, app, follow, peer, Some(channel)).await
                        }
                        Ok(Err(e)) => log::debug!("TLS handshake with {peer}: {e}"),
                        Err(_) => log::debug!("TLS handshake with {peer}: too slow"),
                    }
                }
                Ok(Ok(1)) => serve_connection(stream, redirect, follow, peer, None).await,
                _ => {}
            }
        });
    }
}

/// Serve one connection: `/f/…` to the follow pages, everything else to `app`. Over TLS, its
/// requests carry the connection's [`super::pake::Channel`] (pairing binds its exporter).
async fn serve_connection<IO>(
    io: IO,
    app: axum::Router,
    follow: axum::Router,
    peer: std::net::SocketAddr,
    channel: Option<super::pake::Channel>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tower::ServiceExt as _;
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            if let Some(channel) = channel {
                req.extensions_mut().insert(channel);
            }
            if req.uri().path().starts_with("/f/") {
                follow.clone().oneshot(req)
            } else {
                app.clone().oneshot(req)
            }
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .with_upgrades();
    if let Ok(Err(e)) = tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
        log::debug!("connection from {peer}: {e}");
    }
}

/// Plain HTTP on a hub that speaks HTTPS: the same address over HTTPS (308 keeps the method),
/// nothing else — not even /health.
async fn to_https(request: Request) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| host_ok(h))
        .map(str::to_string);
    let Some(host) = host else {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "wrong-host",
            "this hub answers only over HTTPS at its address (https://IP:7878/) or its .local name",
        )
        .into_response();
    };
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    (
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, format!("https://{host}{path}"))],
        "this hub speaks HTTPS only\n",
    )
        .into_response()
}
