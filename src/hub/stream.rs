//! The event stream: `GET /api/v1/events?after=N` upgraded to a WebSocket.
//!
//! Messages (JSON text frames, server → client):
//! - `{"type":"snapshot","seq":M,"history":H,"state":{…}}` — the whole state at M, when the
//!   client has no position (`after` absent or 0), is ahead of the hub, too far behind, or
//!   resumes another history than the hub's (`history=H'`: the hub was restored from a backup);
//!   the client replaces what it had and keeps H to resume with.
//! - `{"type":"hub","epoch":E,"standby":"https://…"|null}` — first, and again when it changes:
//!   the hub's fencing epoch and where its standby is (devices try it when this hub is gone).
//! - `{"type":"event","seq":…,"at":…,"event":{…}}` — each event after N (or M), in order, once.
//! - `{"type":"alerts","alerts":[…],"protection":[…]}` — to staff devices only (counter,
//!   admin): the current device alerts and the unacknowledged urgent protection requests, after
//!   the start and on change. Lobby devices never receive alerts (not even their timing).
//! - `{"type":"clock","id":N,"hub":"RFC 3339"}` — the hub's time, only in answer to a device's
//!   `{"type":"clock","id":N,"device":"RFC 3339"}` (at connection and at each ping): devices
//!   decide with the hub's clock (`hub::client::clock`).
//! - `{"type":"clock-trust","trust":"synced"|"confirmed"|"unsure"}` — to every device, at the
//!   start when the hub is unsure of its clock and whenever that changes (a display says the
//!   time may be wrong); nothing more, so a lobby stream learns nothing of other alerts.
//!
//! Everything a stream sends goes through the hub's one redaction (`view::redact_event`,
//! `view::redact_state`) for the stream's role, in every phase: snapshot, replay and live.
//!
//! The stream subscribes to the hub's pushes *before* it reads the log under the engine's lock,
//! and skips pushes it already sent from the log, so nothing is missed or doubled. A client that
//! falls too far behind is closed with code 4000 and resumes from its last sequence number.

use super::api::{ApiError, caller};
use super::auth::{Action, Audience};
use super::client::clock;
use super::view::{redact_event, redact_state};
use super::{Hub, Push, Role};
use crate::core::{Catalog, Stamped};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// A client further behind than this gets a snapshot instead of the events it missed.
pub const MAX_REPLAY: u64 = 20_000;
/// Close code for "you fell behind: reconnect with after=your last seq".
pub const CLOSE_LAGGED: u16 = 4000;
/// Close code for "this device was unpaired": pair again.
pub const CLOSE_REVOKED: u16 = 4001;
/// How often the hub pings each stream (so both ends can tell a live link from a dead one).
pub const PING_EVERY: Duration = Duration::from_secs(15);
/// A stream that has carried nothing (no message, no ping, no pong) for this long is dead —
/// a hub or device that lost power sends no FIN — and is dropped: the device reconnects, the
/// hub counts the device as gone. More than two pings, so one lost ping is not a cut.
pub const STALE_AFTER: Duration = Duration::from_secs(PING_EVERY.as_secs() * 2 + 1);
const _: () = assert!(STALE_AFTER.as_secs() > 2 * PING_EVERY.as_secs());

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    #[serde(default)]
    after: Option<u64>,
    /// The history the client's position belongs to (from its last snapshot).
    #[serde(default)]
    history: Option<String>,
}

/// How long a browser has to send its token (the first message) after the stream opens.
pub const AUTH_WAIT: Duration = Duration::from_secs(5);

/// The event stream. A device gives its token in the `Authorization` header; a browser (which
/// cannot set headers on a WebSocket) sends `{"type":"auth","token":"…"}` as its first message.
/// Never in the URL: addresses end up in logs and histories.
pub async fn events(
    State(hub): State<Hub>,
    held: Option<axum::Extension<super::http::Held>>,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid-query",
            format!(
                "{e}: use ?after=SEQ (a number); the token goes in the Authorization header or the first message, never in the address"
            ),
        )
    })?;
    // With a header, the caller is known before the upgrade (401/403 as for any route).
    let known = if super::http::has_bearer(&headers) {
        Some(caller(&hub, &headers, None, Action::Read)?)
    } else {
        None
    };
    // Not a WebSocket and no token: nothing to say but "who are you".
    if known.is_none() && ws.is_err() {
        return Err(ApiError::unauthorized());
    }
    let ws = ws.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::UPGRADE_REQUIRED,
            "websocket",
            format!("this address is a WebSocket: connect with a WebSocket client ({e})"),
        )
    })?;
    // A position in another history (the hub was restored since) is no position at all.
    let after = match &q.history {
        Some(h) if *h != hub.history_id() => None,
        Some(_) | None => q.after,
    };
    // A browser always sends Origin on a WebSocket handshake; the devices' own client does
    // not. A staff browser that closes is not a device going offline — but only a counter's
    // stream may be one: the presence check lets the token's role decide (`check_presence_at`).
    let browser = headers.contains_key(axum::http::header::ORIGIN);
    // The upgraded connection keeps its slot (per address and in all) until it closes.
    let held = held.map(|axum::Extension(h)| h);
    Ok(ws.on_upgrade(move |mut socket| async move {
        let c = match known {
            Some(c) => c,
            None => {
                // Not yet authenticated: shed first when the hub is full.
                let shed = held.as_ref().map(|h| h.0.opening());
                let c = tokio::select! {
                    c = first_message_auth(&hub, &mut socket) => c,
                    () = fired(shed.as_ref()) => None,
                };
                if let Some(h) = &held {
                    h.0.finished();
                }
                match c {
                    Some(c) => c,
                    None => return,
                }
            }
        };
        let device = c.device;
        // At most STREAMS_PER_DEVICE streams per device: a newer one replaces the oldest.
        let stream = held.as_ref().map(|h| h.0.stream(device.id));
        hub.stream_presence(&device, true, browser);
        let replaced = stream.as_ref().map(|s| s.replaced.clone());
        let source = super::AlertSource::device(device.id, &device.name);
        run(socket, &hub, c.role, after, &source, replaced).await;
        hub.stream_presence(&device, false, browser);
        drop(stream);
        drop(held);
    }))
}

/// Close code for "no valid token in the first message".
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code for "a newer stream of this device took this one's place".
pub const CLOSE_REPLACED: u16 = 4002;

/// Wait for `signal`, or forever without one.
async fn fired(signal: Option<&std::sync::Arc<tokio::sync::Notify>>) {
    match signal {
        Some(s) => s.notified().await,
        None => std::future::pending().await,
    }
}

/// Wait for `{"type":"auth","token":"…"}`; a wrong, missing or late token closes the stream.
async fn first_message_auth(hub: &Hub, socket: &mut WebSocket) -> Option<crate::hub::api::Caller> {
    let first = tokio::time::timeout(AUTH_WAIT, socket.recv()).await;
    let token = match first {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<serde_json::Value>(t.as_str())
            .ok()
            .filter(|v| v["type"] == "auth")
            .and_then(|v| v["token"].as_str().map(str::to_string)),
        _ => None,
    };
    let c = match token {
        Some(token) => {
            let hub = hub.clone();
            tokio::task::spawn_blocking(move || {
                let mut headers = HeaderMap::new();
                let value = format!("Bearer {token}").parse().ok()?;
                headers.insert(axum::http::header::AUTHORIZATION, value);
                caller(&hub, &headers, None, Action::Read).ok()
            })
            .await
            .ok()
            .flatten()
        }
        None => None,
    };
    if c.is_none() {
        // A client that does not read is not waited for.
        let close = socket.send(Message::Close(Some(CloseFrame {
            code: CLOSE_UNAUTHORIZED,
            reason: "send {\"type\":\"auth\",\"token\":\"…\"} first, with a paired device's token"
                .into(),
        })));
        let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
    }
    c
}

fn event_msg(e: &Stamped, role: Role, catalog: &Catalog) -> String {
    let e = redact_event(e, role, catalog);
    let mut v = json!(e);
    v["type"] = json!("event");
    v.to_string()
}

/// What to send first: a snapshot or the events after `after`; and the last seq sent.
fn catch_up(
    hub: &Hub,
    role: Role,
    after: Option<u64>,
) -> Result<(Vec<String>, u64), crate::store::StoreError> {
    // Hold the engine's lock only to copy what is needed; serialise after releasing it, so
    // many clients connecting at once never hold up a "call next".
    let (seq, first, catalog) = {
        // Nothing pending: the state is exactly what is durable (never a number that a failed
        // commit could take back).
        let (_writer, engine) = hub.inner.quiesce();
        let s = &*engine;
        let q = s.queue();
        let seq = q.seq();
        let catalog = q.catalog().clone();
        match after {
            Some(n) if n > 0 && n <= seq && seq - n <= MAX_REPLAY => {
                let mut events = s.store().events_after(n)?;
                // What another program committed and the hub has not taken in yet comes live,
                // once, after the hub publishes it.
                events.retain(|e| e.seq <= seq);
                (seq, Ok(events), catalog)
            }
            _ => (seq, Err(q.state().clone()), catalog),
        }
    };
    match first {
        Ok(events) => Ok((
            events
                .iter()
                .map(|e| event_msg(e, role, &catalog))
                .collect(),
            seq,
        )),
        Err(state) => {
            let state = redact_state(&state, role, &catalog);
            let msg = json!({"type": "snapshot", "seq": seq, "history": hub.history_id(), "epoch": hub.epoch(), "state": state});
            Ok((vec![msg.to_string()], seq))
        }
    }
}

/// The clock message (every role): how far the hub trusts its clock.
fn clock_msg(trust: crate::core::ClockTrust) -> String {
    json!({"type": "clock-trust", "trust": super::clock::trust_code(trust)}).to_string()
}

/// The hub message (every role): its fencing epoch and where its standby is (`hub::epoch`).
fn hub_msg(hub: &Hub) -> String {
    json!({"type": "hub", "epoch": hub.epoch(), "standby": hub.standby_address()}).to_string()
}

/// Close code for "this hub was replaced by a promoted one": look for the new hub.
pub const CLOSE_HUB_REPLACED: u16 = 4003;

/// The alerts message for a staff stream.
fn alerts_msg(hub: &Hub) -> String {
    json!({"type": "alerts", "alerts": hub.alerts(), "protection": hub.protection_alerts()})
        .to_string()
}

fn revoked_close() -> Message {
    Message::Close(Some(CloseFrame {
        code: CLOSE_REVOKED,
        reason: "this device was unpaired: pair it again".into(),
    }))
}

/// Whether an event carries a visitor's name or phone.
fn carries_personal(e: &Stamped) -> bool {
    use crate::core::Event;
    match &e.event {
        Event::AppointmentBooked { appointment } => !appointment.contact.is_empty(),
        Event::SignedUp { signup, .. } => !signup.contact.is_empty(),
        _ => false,
    }
}

/// Whether a stream of this role gets alerts at all.
fn gets_alerts(role: Role) -> bool {
    match role.audience() {
        Audience::Staff => true,
        Audience::Public => false,
    }
}

async fn run(
    mut socket: WebSocket,
    hub: &Hub,
    role: Role,
    after: Option<u64>,
    source: &super::AlertSource,
    replaced: Option<std::sync::Arc<tokio::sync::Notify>>,
) {
    let device = source.id.unwrap_or_default();
    let mut rx = hub.subscribe();
    let mut revoked = hub.inner.revoked.subscribe();
    let first = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || catch_up(&hub, role, after)).await
    };
    let first = match first {
        Ok(read) => read.map_err(|e| format!("cannot read the event log: {e}")),
        Err(e) => Err(format!("the catch-up task failed: {e}")),
    };
    let (first, mut last) = match first {
        Ok(v) => v,
        Err(why) => {
            log::error!("stream: {why}");
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: 1011,
                    reason: "the hub could not read its log; its log says why".into(),
                })))
                .await;
            return;
        }
    };
    let alerts = gets_alerts(role).then(|| alerts_msg(hub));
    let mut trust = hub.clock_trust();
    let clock = match trust {
        crate::core::ClockTrust::Unsure => Some(clock_msg(trust)),
        crate::core::ClockTrust::Synced | crate::core::ClockTrust::Confirmed => None,
    };
    let mut said = hub_msg(hub);
    for m in std::iter::once(said.clone())
        .chain(first)
        .chain(alerts)
        .chain(clock)
    {
        if socket.send(Message::Text(m.into())).await.is_err() {
            return;
        }
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    // The device answers every ping: silence for STALE_AFTER is a device that lost power.
    let mut heard = tokio::time::Instant::now();
    // Whether this device's own clock is off the hub's, as last told to staff.
    let mut clock_off: Option<bool> = None;
    loop {
        tokio::select! {
            push = rx.recv() => match push {
                Ok(Push::Event(e)) => {
                    if e.seq <= last {
                        continue;
                    }
                    last = e.seq;
                    // A name or a phone goes out only to a device that is still paired now,
                    // even when another program revoked it a moment ago.
                    if role.sees_personal() && carries_personal(&e) && !hub.still_paired(device) {
                        let _ = socket.send(revoked_close()).await;
                        return;
                    }
                    let msg = event_msg(&e, role, &hub.catalog());
                    if socket.send(Message::Text(msg.into())).await.is_err() {
                        return;
                    }
                }
                Ok(Push::Alerts(_)) => {
                    if hub.replaced_by().is_some() {
                        let close = socket.send(Message::Close(Some(CloseFrame {
                            code: CLOSE_HUB_REPLACED,
                            reason: "this hub was replaced by a promoted one".into(),
                        })));
                        let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
                        return;
                    }
                    let now_said = hub_msg(hub);
                    if now_said != said {
                        said = now_said;
                        if socket.send(Message::Text(said.clone().into())).await.is_err() {
                            return;
                        }
                    }
                    // The clock's trust changes with its alert; a lobby device hears of that
                    // change only, never of other alerts or their timing.
                    let now = hub.clock_trust();
                    let clock = (now != trust).then(|| clock_msg(now));
                    trust = now;
                    let alerts = gets_alerts(role).then(|| alerts_msg(hub));
                    for m in alerts.into_iter().chain(clock) {
                        if socket.send(Message::Text(m.into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    let _ = socket
                        .send(Message::Close(Some(CloseFrame {
                            code: CLOSE_LAGGED,
                            reason: format!("fell behind: reconnect with after={last}").into(),
                        })))
                        .await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Text(t))) => {
                    heard = tokio::time::Instant::now();
                    if let Some((answer, apart)) = clock_answer(hub, t.as_str()) {
                        judge_clock(hub, source, apart, &mut clock_off);
                        if socket.send(Message::Text(answer.into())).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(_)) => heard = tokio::time::Instant::now(),
            },
            changed = revoked.changed() => {
                if changed.is_err() || hub.is_revoked(device) {
                    let _ = socket.send(revoked_close()).await;
                    return;
                }
            }
            () = fired(replaced.as_ref()) => {
                let close = socket.send(Message::Close(Some(CloseFrame {
                    code: CLOSE_REPLACED,
                    reason: "a newer stream of this device took this one's place".into(),
                })));
                let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
                return;
            }
            _ = ping.tick() => {
                if heard.elapsed() >= STALE_AFTER {
                    log::warn!("stream of device {device}: silent for {} s, dropped", heard.elapsed().as_secs());
                    return;
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Staff are told when a device's own clock is more than `clock::TOLERATED` off the hub's
/// (a "device-clock" alert, logged once), and the alert clears when it is back; `told` is what
/// this stream last said (unknown at first: an alert left from its previous stream is cleared
/// by a good answer).
fn judge_clock(
    hub: &Hub,
    source: &super::AlertSource,
    apart: Option<chrono::Duration>,
    told: &mut Option<bool>,
) {
    let tolerated = chrono::Duration::from_std(clock::TOLERATED).unwrap_or_default();
    let off = apart.filter(|a| a.abs() > tolerated);
    if *told == Some(off.is_some()) {
        return;
    }
    *told = Some(off.is_some());
    let words = off.map(|a| {
        format!(
            "its own clock is {} the hub's (it uses the hub's time for every decision)",
            clock::describe(a)
        )
    });
    if let Some(w) = &words {
        log::warn!(
            "device {} ({}): {w}",
            source.id.unwrap_or_default(),
            source.name
        );
    }
    hub.set_clock_off(source, words);
}

/// The longest clock question the hub reads (a real one is under 100 bytes).
const CLOCK_QUESTION_MAX: usize = 256;

/// A device asks the hub's time (`{"type":"clock","id":N,"device":T}`): the answer
/// `{"type":"clock","id":N,"hub":H}` with the hub's clock — the one every decision of the center
/// uses (`hub::client::clock`). Anything else a client sends is not a question.
fn clock_answer(hub: &Hub, text: &str) -> Option<(String, Option<chrono::Duration>)> {
    // A question is a few dozen bytes: anything long is not read at all.
    if text.len() > CLOCK_QUESTION_MAX {
        return None;
    }
    let v: Value = serde_json::from_str(text).ok()?;
    if v["type"] != "clock" {
        return None;
    }
    let id = v["id"].as_u64()?;
    let now = hub.now();
    // How far the device's own clock is from the hub's (within the one-way trip).
    let apart = v["device"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|theirs| theirs.signed_duration_since(now));
    let answer = json!({"type": "clock", "id": id, "hub": now.to_rfc3339()});
    Some((answer.to_string(), apart))
}

/// Parse one stream message (for Rust clients: displays, counters, tests).
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}
