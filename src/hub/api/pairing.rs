//! Pairing with a one-time PIN, two ways. A device (`integra join`) proves it knows the PIN by
//! SPAKE2 on a WebSocket bound to its TLS connection (`/api/v1/pair/spake2`, see
//! [`crate::hub::pake`]): the PIN never travels, and the hub proves it knows the PIN first. A
//! staff browser, which has already trusted the hub's certificate and cannot reach the TLS
//! exporter, posts the PIN to `/api/v1/pair`. Both count every attempt against the address's
//! limit before anything is checked, and both redeem the PIN the same way.

use super::*;
use crate::hub::pake;
use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};

/// How long a SPAKE2 pairing may take, from the upgrade to the token.
const PAIRING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// The largest pairing message (a name of 60 characters and a few hex strings).
const MAX_MESSAGE: usize = 4 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PairReq {
    pin: String,
    /// What to call the device (e.g. "Counter 2 PC", "Lobby TV").
    name: String,
}

/// A browser's pairing: the PIN in the body, over the HTTPS connection the browser trusts.
pub(super) async fn pair(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<PairReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = device_name(&req.name)?;
    // PINs live in real time, even when the queue runs on a fixed training clock.
    let now = chrono::Utc::now();
    count_attempt(&hub, peer.ip(), now)?;
    let pin_hash = auth::pin_hash(req.pin.trim());
    let answer = redeem(&hub, pin_hash, name, peer.ip()).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// A device's pairing: SPAKE2 from the PIN, bound to this connection's TLS exporter.
pub(super) async fn pair_spake2(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    channel: Option<Extension<pake::Channel>>,
    held: Option<Extension<crate::hub::http::Held>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let ws = ws.map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "websocket",
            format!("this address is a WebSocket for `integra join`: connect with a WebSocket client ({e})"),
        )
    })?;
    let Some(binding) = pake::Channel::binding(channel.map(|Extension(c)| c)) else {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "tls-version",
            "a device pairs over TLS 1.3 only (its exporter binds the pairing to the connection)",
        ));
    };
    let ip = peer.ip();
    // Counted before anything of the exchange: one SPAKE2 attempt tests one guess.
    count_attempt(&hub, ip, chrono::Utc::now())?;
    Ok(ws
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            // The upgraded connection keeps its slot (per address and in all) until it closes.
            let _held = held;
            if tokio::time::timeout(PAIRING_WAIT, exchange(&hub, socket, ip, &binding))
                .await
                .is_err()
            {
                log::debug!("pairing from {ip}: too slow");
            }
        }))
}

async fn exchange(hub: &Hub, mut socket: WebSocket, ip: std::net::IpAddr, binding: &[u8]) {
    let answer = match steps(hub, &mut socket, ip, binding).await {
        Ok(v) => v,
        Err(e) => json!({"error": {"code": e.code, "message": e.message}}),
    };
    let _ = socket.send(Message::Text(answer.to_string().into())).await;
    let _ = socket.send(Message::Close(None)).await;
}

async fn steps(
    hub: &Hub,
    socket: &mut WebSocket,
    ip: std::net::IpAddr,
    binding: &[u8],
) -> ApiResult<Value> {
    let hello: pake::Hello = receive(socket).await?;
    let name = device_name(&hello.name)?;
    let pins = blocking(hub, |hub| {
        hub.auth_store()
            .open_pairing_pins(chrono::Utc::now(), pake::OFFERS)
            .map_err(ApiError::internal)
    })
    .await?;
    let (state, mut offers) =
        pake::Hub::answer(&hello, &pins, binding, pake::os_rng()).map_err(bad_message)?;
    offers.left = Some(crate::hub::lock(&hub.inner.limiter).left(ip, chrono::Utc::now()));
    socket
        .send(Message::Text(json!(offers).to_string().into()))
        .await
        .map_err(|_| gone())?;
    let proof: pake::Proof = receive(socket).await?;
    match state.verify(&proof) {
        Some(pin_hash) => redeem(hub, pin_hash.to_string(), name, ip).await,
        None => Err(wrong_pin()),
    }
}

/// The next message, as JSON of `T`.
async fn receive<T: serde::de::DeserializeOwned>(socket: &mut WebSocket) -> ApiResult<T> {
    loop {
        match socket.recv().await {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(t.as_str()).map_err(bad_message);
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Binary(_))) => {
                return Err(bad_message("a binary message"));
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => return Err(gone()),
        }
    }
}

fn bad_message(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-message",
        format!("{e}: see /api/v1/openapi.json, GET /api/v1/pair/spake2"),
    )
}

fn gone() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "closed",
        "the device closed the pairing",
    )
}

fn wrong_pin() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "wrong-pin",
        "this PIN is wrong, used or expired: ask for a new one with `integra pair --role ROLE` or on the admin page",
    )
}

/// A device's name as given: 1 to 60 printable characters.
pub(super) fn device_name(given: &str) -> ApiResult<String> {
    let name = given.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "`name` must be 1 to 60 characters, e.g. \"Counter 2 PC\"",
        ));
    }
    Ok(name)
}

/// Count a pairing attempt from `ip` (before its PIN is checked, so parallel attempts cannot
/// slip past the limit); refused when the address has used its attempts.
pub(super) fn count_attempt(
    hub: &Hub,
    ip: std::net::IpAddr,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    let attempt = crate::hub::lock(&hub.inner.limiter).attempt(ip, now);
    match attempt {
        auth::Attempt::Blocked(wait) => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                format!(
                    "too many pairing attempts from this address: wait {wait} seconds, then ask for a new PIN"
                ),
            );
            e.retry_after = Some(wait);
            Err(e)
        }
        auth::Attempt::CountedLast => {
            let bucket = auth::address_bucket(ip);
            log::warn!(
                "pairing: {bucket} used its {} attempts; it waits {} minutes",
                auth::ATTEMPTS_PER_ADDRESS,
                auth::LIMIT_WINDOW_SECONDS / 60
            );
            if let Err(e) = hub
                .auth_store()
                .log_security(now, "lockout", &bucket.to_string(), "")
            {
                log::error!("cannot record a pairing lockout: {e}");
            }
            Ok(())
        }
        auth::Attempt::Counted => Ok(()),
    }
}

/// Use the PIN (by its hash) for a new device named `name`: its token, role and record.
async fn redeem(
    hub: &Hub,
    pin_hash: String,
    name: String,
    ip: std::net::IpAddr,
) -> ApiResult<Value> {
    // A waiting device's code pairs only that device, under the name the admin chose.
    let waiting = crate::hub::lock(&hub.inner.waiting).redeem(&pin_hash, ip);
    let (name, approved) = match waiting {
        crate::hub::waiting::Redeem::Ordinary => (name, false),
        crate::hub::waiting::Redeem::Approved { name } => (name, true),
        crate::hub::waiting::Redeem::ElsewhereRefused => {
            log::warn!(
                "pairing: a waiting device's code was tried from {}, not from that device",
                auth::address_bucket(ip)
            );
            return Err(wrong_pin());
        }
    };
    blocking(hub, move |hub| {
        let token = auth::new_token().map_err(ApiError::internal)?;
        let device = hub
            .auth_store()
            .redeem_pairing_pin(
                &pin_hash,
                &name,
                &auth::token_hash(&token),
                chrono::Utc::now(),
            )
            .map_err(ApiError::internal)?;
        match device {
            Some(d) => {
                crate::hub::lock(&hub.inner.limiter).succeeded(ip);
                if approved {
                    crate::hub::lock(&hub.inner.waiting).paired(&pin_hash);
                }
                log::info!("paired device {} '{}' as {}", d.id, d.name, d.role);
                // The pairing is answered once the standby's copy holds it (bounded).
                hub.inner
                    .replica
                    .rebase_and_wait(crate::hub::replica::SYNC_WAIT);
                Ok(json!({"token": token, "role": d.role, "device": d}))
            }
            None => Err(wrong_pin()),
        }
    })
    .await
}
