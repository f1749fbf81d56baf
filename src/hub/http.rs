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

fn query_token(request: &Request) -> Option<String> {
    request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_string())
    })
}

/// Every API path but the open ones needs a valid token, checked before anything else of the
/// request (its body included) is looked at.
pub async fn require_token(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/") || OPEN.contains(&path) {
        return next.run(request).await;
    }
    let token = bearer(request.headers()).or_else(|| {
        // Only the event stream takes a token in the query (browsers cannot set headers on a
        // WebSocket).
        (path == "/api/v1/events")
            .then(|| query_token(&request))
            .flatten()
    });
    let Some(token) = token else {
        return ApiError::unauthorized().into_response();
    };
    let hash = super::auth::token_hash(&token);
    let hub2 = hub.clone();
    let known = tokio::task::spawn_blocking(move || hub2.auth_store().device_by_token(&hash))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
        .is_some();
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
