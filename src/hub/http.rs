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
    "/api/v1/pair/waiting",
    "/api/v1/setup",
    "/api/v1/strings",
];
/// Open too: a waiting device asks whether it is approved (`/api/v1/pair/waiting/{id}`).
const OPEN_PREFIX: &str = "/api/v1/pair/waiting/";

/// The page policy: everything from the hub itself, nothing from elsewhere, never in a frame.
/// (Inline styles are allowed: the report's HTML carries its own CSS; scripts are not.)
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// What a Host header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostName {
    Ip(std::net::IpAddr),
    /// A name, lower case, without a trailing dot.
    Name(String),
}

/// Read a Host header strictly: `IPv4[:port]`, `[IPv6][:port]` or `name[:port]`, with a port of
/// digits only and a name of letters, digits, `-` and `.` — nothing else (no userinfo, no
/// path, no second colon).
pub fn parse_host(host: &str) -> Option<HostName> {
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit());
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let ok = after.is_empty() || after.strip_prefix(':').is_some_and(port_ok);
        return ok
            .then(|| v6.parse::<std::net::Ipv6Addr>().ok())
            .flatten()
            .map(|ip| HostName::Ip(std::net::IpAddr::V6(ip)));
    }
    let name = match host.split_once(':') {
        Some((n, port)) if port_ok(port) => n,
        Some(_) => return None,
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let well_formed = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !well_formed {
        return None;
    }
    Some(match name.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => HostName::Ip(std::net::IpAddr::V4(ip)),
        Err(_) => HostName::Name(name),
    })
}

/// Whether a Host header names a hub the way a device on the LAN would: an IP address, a
/// `.local` (mDNS) name, or `localhost` — with or without a port (the form of a `follow_url`).
pub fn host_ok(host: &str) -> bool {
    match parse_host(host) {
        Some(HostName::Ip(_)) => true,
        Some(HostName::Name(n)) => {
            n == "localhost" || (n.ends_with(".local") && n.len() > ".local".len())
        }
        None => false,
    }
}

/// Whether a Host header names this hub: one of its own addresses (the one the request
/// reached, or loopback), `localhost`, or one of its own `.local` names.
pub fn own_host(host: &str, reached: Option<&Reached>) -> bool {
    match parse_host(host) {
        Some(HostName::Ip(ip)) => {
            ip.is_loopback() || reached.is_some_and(|r| r.local == Some(ip.to_canonical()))
        }
        Some(HostName::Name(n)) => {
            n == "localhost" || reached.is_some_and(|r| r.names.contains(&n))
        }
        None => false,
    }
}

/// The Host of a request, if it names this hub.
fn own_host_of(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| own_host(h, request.extensions().get::<Reached>()))
        .map(|h| h.trim().to_string())
}

/// Refuse requests whose Host does not name the hub (DNS rebinding from a web page).
pub async fn check_host(request: Request, next: Next) -> Response {
    if own_host_of(&request).is_none() {
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
    if !path.starts_with("/api/") || OPEN.contains(&path) || path.starts_with(OPEN_PREFIX) {
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

mod conns;
mod pool;
pub use conns::{
    CONNECTIONS_MAX, CONNECTIONS_PER_ADDRESS, Connections, FILES_KEPT, Held, Refused,
    STREAMS_PER_DEVICE, Slot, Stream, Tally, raise_file_limit, total_for_files,
};
pub use pool::FOLLOW_NICE;

/// A connection that has not sent a whole request head within this long is closed (this is
/// also how long an idle keep-alive connection stays open).
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// [`Connections::admit`], waiting (at most ~0.2 s) while connections told to close for earlier
/// newcomers are still closing: under a flood the accept loop would otherwise run ahead of
/// their tasks, fill the slack and refuse a real client that came after the flood.
async fn admit_when_shed(
    conns: &std::sync::Arc<Connections>,
    ip: std::net::IpAddr,
) -> Result<std::sync::Arc<conns::Slot>, Refused> {
    for _ in 0..100 {
        match conns.admit(ip) {
            Err(Refused::Shedding) => {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            done @ (Ok(_) | Err(Refused::Address | Refused::Full)) => return done,
        }
    }
    conns.admit(ip)
}

/// From accept to a finished TLS handshake (or a plain connection's first byte): a connection
/// slower than this is closed.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// A plain HTTP connection lives at most this long (browsers simply reconnect); a WebSocket,
/// once upgraded, is not bound by it (it keeps its connection's slot until it closes).
pub const CONNECTION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(120);
/// Requests handled at once; more wait their turn.
pub const REQUESTS_IN_FLIGHT: usize = 256;

/// Serve `app` on `listener`: hyper's HTTP/1 with a header-read timeout and upgrades
/// (WebSockets), the connection caps of [`Connections`] (the total derived from the process's
/// open-file limit, raised to its hard limit first), tower's concurrency limit, and the peer's
/// address for handlers (`ConnectInfo`). With `tls`, the hub speaks HTTPS: a connection that
/// does not start a TLS handshake gets only the visitors' follow pages (`follow`, `/f/…`: no
/// token, name, phone or code on them) or else a redirect to the same address over HTTPS (so a
/// technician typing `http://hub:7878` lands on the console, and no token or name ever travels
/// in clear). Without `tls` (tests, and a hub that listens on loopback only) it speaks plain
/// HTTP. `names`: the hub's own host names (its `.local` names) besides its addresses and
/// `localhost`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    follow: axum::Router,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    names: Vec<String>,
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
    let files = raise_file_limit().unwrap_or(1024);
    let conns = Connections::for_files(files);
    log::info!(
        "open files allowed: {files}; connections: {} in all, {CONNECTIONS_PER_ADDRESS} per address",
        conns.total_cap()
    );
    let names: std::sync::Arc<[String]> = names.into();
    let mut accept_errors = Tally::per_minute();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of files or memory: one line a minute, and a pause rather than a spin.
                if let Some(n) = accept_errors.note(std::time::Instant::now()) {
                    log::warn!("accept: {e} ({n} since the last line)");
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let slot = match admit_when_shed(&conns, peer.ip()).await {
            Ok(slot) => slot,
            Err(why) => {
                drop(stream);
                if let Some(n) = conns.note_refused() {
                    let why = match why {
                        Refused::Address => "its address holds the most allowed",
                        Refused::Full | Refused::Shedding => "the hub holds the most allowed",
                    };
                    log::warn!(
                        "refused a connection from {} ({why}; {} open of {}); {n} refused since the last line",
                        peer.ip(),
                        conns.open(),
                        conns.total_cap()
                    );
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().map(|a| a.ip().to_canonical()).ok();
        let reached = Reached {
            local,
            names: names.clone(),
        };
        let (app, redirect, follow, acceptor) = (
            app.clone(),
            redirect.clone(),
            follow.clone(),
            acceptor.clone(),
        );
        tokio::spawn(async move {
            let held = Held(slot);
            // Until its handshake is done (or, in plain HTTP, its first byte came), the
            // connection may be shed for a newer one when the hub is full.
            let shed = held.0.opening();
            let opened = async {
                // A TLS connection starts with a handshake record (0x16); anything else is
                // plain HTTP: the follow pages, or a redirect.
                let mut first = [0u8; 1];
                match stream.peek(&mut first).await {
                    Ok(1) => {}
                    _ => return None,
                }
                match acceptor {
                    Some(acceptor) if first[0] == 0x16 => match acceptor.accept(stream).await {
                        Ok(tls) => {
                            // What a pairing on this connection binds (its TLS exporter).
                            let channel = super::pake::Channel::of(tls.get_ref().1);
                            Some(Opened::Tls(Box::new(tls), channel))
                        }
                        Err(e) => {
                            log::debug!("TLS handshake with {peer}: {e}");
                            None
                        }
                    },
                    Some(_) => Some(Opened::Redirect(stream)),
                    None => Some(Opened::Plain(stream)),
                }
            };
            let opened = tokio::select! {
                o = tokio::time::timeout(HANDSHAKE_TIMEOUT, opened) => o.ok().flatten(),
                () = shed.notified() => None,
            };
            held.0.finished();
            match opened {
                Some(Opened::Tls(tls, channel)) => {
                    serve_connection(*tls, app, follow, peer, held, reached, Some(channel)).await
                }
                // A phone's connection (its first request a follow page) is served on the
                // follow pages' own threads, at a lower priority than everything else.
                Some(Opened::Plain(s)) => serve_placed(s, app, follow, peer, held, reached).await,
                Some(Opened::Redirect(s)) => {
                    serve_placed(s, redirect, follow, peer, held, reached).await
                }
                None => {}
            }
        });
    }
}

/// Where a plain connection is served.
enum Placed {
    /// Its first request asks for a follow page: on the follow pages' own runtime ([`pool`]).
    Pool(std::net::TcpStream, &'static tokio::runtime::Handle),
    /// Anything else (or when that runtime is missing): here.
    Here(tokio::net::TcpStream),
    /// Lost while moving it (closed).
    Lost,
}

/// Place a plain connection by its first request.
async fn place(s: tokio::net::TcpStream) -> Placed {
    let Some(pool) = pool::follow_runtime() else {
        return Placed::Here(s);
    };
    if !pool::asks_follow(&s).await {
        return Placed::Here(s);
    }
    match s.into_std() {
        Ok(stream) => Placed::Pool(stream, pool),
        Err(e) => {
            log::debug!("cannot move a follow connection to its runtime: {e}");
            Placed::Lost
        }
    }
}

/// Serve a plain connection where [`place`] put it.
async fn serve_placed(
    s: tokio::net::TcpStream,
    app: axum::Router,
    follow: axum::Router,
    peer: std::net::SocketAddr,
    held: Held,
    reached: Reached,
) {
    match place(s).await {
        Placed::Here(s) => serve_connection(s, app, follow, peer, held, reached, None).await,
        Placed::Pool(stream, pool) => {
            pool.spawn(async move {
                match tokio::net::TcpStream::from_std(stream) {
                    Ok(s) => serve_connection(s, app, follow, peer, held, reached, None).await,
                    Err(e) => log::debug!("cannot serve a follow connection: {e}"),
                }
            });
        }
        Placed::Lost => {}
    }
}

/// A connection once opened.
enum Opened {
    /// With what a pairing on it binds.
    Tls(
        Box<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>,
        super::pake::Channel,
    ),
    /// Plain HTTP on a hub without TLS.
    Plain(tokio::net::TcpStream),
    /// Plain HTTP on a hub speaking HTTPS.
    Redirect(tokio::net::TcpStream),
}

/// Where a request reached the hub: the connection's local address and the hub's own names
/// (a request extension, for the Host check).
#[derive(Debug, Clone)]
pub struct Reached {
    pub local: Option<std::net::IpAddr>,
    pub names: std::sync::Arc<[String]>,
}

/// Serve one connection: `/f/…` to the follow pages, everything else to `app`. Over TLS, its
/// requests carry the connection's [`super::pake::Channel`] (pairing binds its exporter).
async fn serve_connection<IO>(
    io: IO,
    app: axum::Router,
    follow: axum::Router,
    peer: std::net::SocketAddr,
    held: Held,
    reached: Reached,
    channel: Option<super::pake::Channel>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tower::ServiceExt as _;
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            let ext = req.extensions_mut();
            ext.insert(axum::extract::ConnectInfo(peer));
            ext.insert(held.clone());
            ext.insert(reached.clone());
            if let Some(channel) = channel {
                ext.insert(channel);
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
    // Never redirected to a name that is not the hub's own (a Host with `@` once sent the
    // browser to another site).
    let host = own_host_of(&request);
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
