//! HTTP + JSON under `/api/v1` (described by `/api/v1/openapi.json`), the event stream, and the
//! staff console's files. Every error is JSON `{"error": {"code", "message"}}` with a 4xx/5xx
//! status; a refused request changes nothing.

use super::auth::{self, Action, Audience, Role};
use super::view::{queue_view, redact_state, redact_ticket};
use super::{Hub, console, stream};
use crate::core::{
    ActivityCode, CatalogEdit, Command, CommandClass, Contact, CounterId, Event, Lang,
    PriorityClass, QueueError, ServiceCode, Stamped, TicketId,
};
use crate::engine::EngineError;
use crate::i18n::Localizer;
use crate::printer::{Job, Slip, render};
use crate::store::devices::Device;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// Request bodies larger than this are refused (413) before they are read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every route, as `METHOD path` (the OpenAPI test checks the document lists exactly these).
pub const ROUTES: &[&str] = &[
    "GET /api/v1/health",
    "GET /api/v1/openapi.json",
    "POST /api/v1/pair",
    "GET /api/v1/me",
    "POST /api/v1/me/unpair",
    "GET /api/v1/catalog",
    "GET /api/v1/state",
    "GET /api/v1/queue",
    "GET /api/v1/events",
    "GET /api/v1/strings",
    "POST /api/v1/commands",
    "POST /api/v1/tickets",
    "GET /api/v1/tickets/{label}",
    "POST /api/v1/tickets/{label}/{action}",
    "POST /api/v1/counters/{counter}/next",
    "GET /api/v1/appointments",
    "POST /api/v1/appointments",
    "GET /api/v1/slots",
    "POST /api/v1/check-in",
    "POST /api/v1/appointments/{code}/cancel",
    "POST /api/v1/signups",
    "GET /api/v1/personal/{code}",
    "POST /api/v1/personal/{code}/erase",
    "GET /api/v1/alerts",
    "POST /api/v1/alerts",
    "GET /api/v1/devices",
    "POST /api/v1/devices/{id}/revoke",
    "POST /api/v1/pairing-pins",
    "POST /api/v1/admin/catalog",
    "GET /api/v1/admin/audit",
    "GET /api/v1/admin/icons",
    "GET /api/v1/reports",
    "GET /f/{token}",
    "POST /f/{token}/feedback",
    "POST /f/{token}/cancel",
];

pub fn router(hub: Hub) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/pair", post(pair))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/unpair", post(unpair))
        .route("/api/v1/catalog", get(catalog))
        .route("/api/v1/state", get(state))
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/events", get(stream::events))
        .route("/api/v1/strings", get(console::strings))
        .route("/api/v1/commands", post(command))
        .route("/api/v1/tickets", post(issue))
        .route("/api/v1/tickets/{label}", get(ticket))
        .route("/api/v1/tickets/{label}/{action}", post(ticket_action))
        .route("/api/v1/counters/{counter}/next", post(call_next))
        .route("/api/v1/appointments", get(appointments).post(book))
        .route("/api/v1/slots", get(slots))
        .route("/api/v1/check-in", post(check_in))
        .route(
            "/api/v1/appointments/{code}/cancel",
            post(cancel_appointment),
        )
        .route("/api/v1/signups", post(sign_up))
        .route("/api/v1/personal/{code}", get(personal))
        .route("/api/v1/personal/{code}/erase", post(erase_personal))
        .route("/api/v1/alerts", get(alerts).post(report_alerts))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{id}/revoke", post(revoke))
        .route("/api/v1/pairing-pins", post(new_pin))
        .route("/api/v1/admin/catalog", post(edit_catalog))
        .route("/api/v1/admin/audit", get(audit))
        .route("/api/v1/admin/icons", get(icons))
        .route("/api/v1/reports", get(report))
        .route("/", get(console::index))
        .route("/console.js", get(console::script))
        .route("/console.css", get(console::style))
        .route("/admin", get(console::admin))
        .route("/admin.js", get(console::admin_script))
        .route("/icons/{name}", get(icon))
        .route("/hub-certificate.pem", get(certificate))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Outermost last: headers on every answer, then the Host check, then the token gate.
        .layer(axum::middleware::from_fn_with_state(
            hub.clone(),
            super::http::require_token,
        ))
        .layer(axum::middleware::from_fn(super::http::check_host))
        .layer(axum::middleware::from_fn(super::http::headers))
        .with_state(hub)
}

/// The hub's certificate (public), for a technician to install in staff browsers once.
async fn certificate(State(hub): State<Hub>) -> Response {
    match hub.certificate_pem() {
        Some(pem) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"integra-hub.pem\"",
                ),
            ],
            pem,
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "this hub has no certificate of its own (it serves plain HTTP on loopback)",
        )
        .into_response(),
    }
}

// ---------------------------------------------------------------- errors

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this needs a device token: pair the device first (POST /api/v1/pair with a PIN from `integra pair --role ROLE`) and send `Authorization: Bearer TOKEN`",
        )
    }

    fn forbidden(role: Role) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "a {} device may not do this: pair with a role that may",
                role.as_str()
            ),
        )
    }

    /// The hub cannot save (disk full, read-only, I/O error): 503 with words for the visitor in
    /// the caller's language; nothing was changed; the details go to the hub's log.
    pub(crate) fn storage(what: impl std::fmt::Display, lang: Lang) -> ApiError {
        log::error!("hub storage: {what}");
        let message = Localizer::new(lang)
            .map(|l| l.text("error-storage", None))
            .unwrap_or_else(|_| "The system cannot save right now. Please go to reception.".into());
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage", message);
        e.retry_after = Some(5);
        e
    }

    /// Something failed inside the hub: the details go to the hub's log, never to the caller.
    pub(crate) fn internal(what: impl std::fmt::Display) -> ApiError {
        log::error!("hub: {what}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub could not do this; its log says why (journalctl -u integra on the hub)",
        )
    }

    pub(crate) fn queue(err: &QueueError, lang: Lang, hub: &Hub) -> ApiError {
        let status = match err {
            QueueError::UnknownService(_)
            | QueueError::UnknownCounter(_)
            | QueueError::UnknownTicket(_)
            | QueueError::UnknownCode(_)
            | QueueError::CodeNotForToday(_)
            | QueueError::UnknownActivity(_)
            | QueueError::UnknownPriority(_) => StatusCode::NOT_FOUND,
            QueueError::BadName
            | QueueError::BadPhone
            | QueueError::NoSuchSlot { .. }
            | QueueError::InThePast { .. }
            | QueueError::TooFarAhead(..)
            | QueueError::InvalidCatalog(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::CONFLICT,
        };
        let message = Localizer::new(lang)
            .map(|l| l.error(err, &hub.catalog()))
            .unwrap_or_else(|_| err.to_string());
        ApiError::new(
            status,
            err.fluent_id().trim_start_matches("error-"),
            message,
        )
    }
}

impl ApiError {
    /// A kiosk did too much in a short time: 429 with Retry-After and calm words for the
    /// visitor in their language.
    fn limited(seconds: i64, lang: Lang) -> ApiError {
        let message = Localizer::new(lang)
            .map(|l| l.text("kiosk-too-many", None))
            .unwrap_or_else(|_| "Please wait a moment and try again, or ask at reception.".into());
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too-many-attempts", message);
        e.retry_after = Some(seconds);
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": {"code": self.code, "message": self.message}}));
        let mut resp = (self.status, body).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A service or priority icon (SVG) for the staff console; icons are public artwork.
async fn icon(Path(name): Path<String>) -> Response {
    let name = name.trim_end_matches(".svg");
    match crate::ui::icons::ICONS.iter().find(|(n, _)| *n == name) {
        Some((_, svg)) => ([(header::CONTENT_TYPE, "image/svg+xml")], svg.to_vec()).into_response(),
        None => not_found().await.into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such address: see /api/v1/openapi.json for the API",
    )
}

/// A JSON body whose every problem (not JSON, wrong field, unknown field, too large) is a
/// clear JSON error.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => {
                let status = rejection.status();
                let (code, hint) = match &rejection {
                    JsonRejection::JsonDataError(_) => (
                        "invalid-field",
                        "a field is missing, unknown or of the wrong type",
                    ),
                    JsonRejection::JsonSyntaxError(_) => {
                        ("malformed-json", "the body is not valid JSON")
                    }
                    JsonRejection::MissingJsonContentType(_) => (
                        "content-type",
                        "send the header `Content-Type: application/json`",
                    ),
                    _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                        ("too-large", "the body is too large (at most 16 KiB)")
                    }
                    _ => ("bad-body", "the body could not be read"),
                };
                Err(ApiError::new(
                    status,
                    code,
                    format!("{hint}: {}", rejection.body_text()),
                ))
            }
        }
    }
}

// ---------------------------------------------------------------- who is asking

pub struct Caller {
    pub role: Role,
    pub device: Device,
    pub lang: Lang,
}

/// The language for messages: `Accept-Language` when it names one of ours, else English.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|part| part.split(';').next())
                .filter_map(|tag| tag.trim().get(..2))
                .find_map(|code| code.parse::<Lang>().ok())
        })
        .unwrap_or(Lang::En)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Who sent the request (token in `Authorization: Bearer`, or `token` in the query for the
/// WebSocket, which browsers cannot give headers), and whether that role may do `action`.
pub fn caller(
    hub: &Hub,
    headers: &HeaderMap,
    query_token: Option<&str>,
    action: Action,
) -> ApiResult<Caller> {
    let token = bearer(headers)
        .or(query_token)
        .ok_or_else(ApiError::unauthorized)?;
    let device = hub
        .device_by_token(&auth::token_hash(token))
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::unauthorized)?;
    let role = Role::parse(&device.role).ok_or_else(ApiError::unauthorized)?;
    hub.seen(&device);
    if !role.may(action) {
        return Err(ApiError::forbidden(role));
    }
    Ok(Caller {
        role,
        device,
        lang: request_lang(headers),
    })
}

/// Run blocking engine work off the async threads.
async fn blocking<T: Send + 'static>(
    hub: &Hub,
    f: impl FnOnce(&Hub) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let hub = hub.clone();
    tokio::task::spawn_blocking(move || f(&hub))
        .await
        .map_err(ApiError::internal)?
}

/// Execute one command for a caller; queue refusals become 4xx in the caller's language.
fn execute(hub: &Hub, cmd: &Command, lang: Lang) -> ApiResult<Vec<Stamped>> {
    let now = hub.now();
    let mut s = hub.session();
    s.execute(cmd, now).map_err(|e| match e {
        EngineError::Queue(q) => ApiError::queue(&q, lang, hub),
        EngineError::Store(e) => ApiError::storage(&e, lang),
    })
}

/// A visitor's command (ticket, booking, check-in, sign-up) for a caller. A kiosk is held to
/// its limits, and a check-in it sends gets one and the same answer for every code that does
/// not check in today. Staff and admin devices are not limited.
fn execute_visit(hub: &Hub, c: &Caller, cmd: &Command) -> ApiResult<Vec<Stamped>> {
    if !c.role.limited() {
        return execute(hub, cmd, c.lang);
    }
    let now = hub.now();
    let result = hub
        .session()
        .execute_for_kiosk(&format!("device-{}", c.device.id), cmd, now);
    result.map_err(|e| match e {
        super::KioskError::Limited(secs) => ApiError::limited(secs, c.lang),
        super::KioskError::Engine(EngineError::Queue(q)) => ApiError::queue(&q, c.lang, hub),
        super::KioskError::Engine(EngineError::Store(e)) => ApiError::storage(&e, c.lang),
    })
}

/// The events of the caller's own command. They are not redacted: they say what the caller
/// asked for (its visitor's ticket, the code it must print) and nothing about anyone else.
fn events_json(events: &[Stamped]) -> Value {
    json!(events)
}

// ---------------------------------------------------------------- handlers

/// Whether the hub is up: `{"status":"starting"}` (503, Retry-After) until a ticket can be
/// issued, then `{"status":"ok"}`. Without a token it says only that; a paired device also gets
/// the program, version, center and position in the log.
async fn health(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    if !hub.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            Json(json!({"status": "starting"})),
        )
            .into_response();
    }
    if hub.degraded() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            Json(json!({"status": "degraded"})),
        )
            .into_response();
    }
    let paired = bearer(&headers).is_some_and(|t| {
        hub.device_by_token(&auth::token_hash(t))
            .ok()
            .flatten()
            .is_some()
    });
    if !paired {
        return Json(json!({"status": "ok"})).into_response();
    }
    let s = hub.session();
    Json(json!({
        "status": "ok",
        "program": "integra",
        "version": env!("CARGO_PKG_VERSION"),
        "center": hub.catalog().center.name,
        "seq": s.queue().seq(),
    }))
    .into_response()
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairReq {
    pin: String,
    /// What to call the device (e.g. "Counter 2 PC", "Lobby TV").
    name: String,
}

async fn pair(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<PairReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "`name` must be 1 to 60 characters, e.g. \"Counter 2 PC\"",
        ));
    }
    // PINs live in real time, even when the queue runs on a fixed training clock.
    let now = chrono::Utc::now();
    let ip = peer.ip();
    // Counted before the PIN is checked, so parallel attempts cannot slip past the limit.
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
            return Err(e);
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
        }
        auth::Attempt::Counted => {}
    }
    let pin = req.pin.trim().to_string();
    blocking(&hub, move |hub| {
        let token = auth::new_token().map_err(ApiError::internal)?;
        let device = hub
            .auth_store()
            .redeem_pairing_pin(&auth::pin_hash(&pin), &name, &auth::token_hash(&token), now)
            .map_err(ApiError::internal)?;
        match device {
            Some(d) => {
                crate::hub::lock(&hub.inner.limiter).succeeded(ip);
                log::info!("paired device {} '{}' as {}", d.id, d.name, d.role);
                Ok((
                    StatusCode::CREATED,
                    Json(json!({"token": token, "role": d.role, "device": d})),
                ))
            }
            None => {
                Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "wrong-pin",
                    "this PIN is wrong, used or expired: ask for a new one with `integra pair --role ROLE` or on the admin page",
                ))
            }
        }
    })
    .await
}

async fn me(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    Ok(Json(json!({"role": c.role, "device": c.device})))
}

/// This device gives up its token (the console's "Unpair this computer"): revoked on the hub,
/// its streams closed, recorded in the audit log.
async fn unpair(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    hub.revoke(c.device.id, "unpaired", &c.device.name)
        .map_err(ApiError::internal)?;
    Ok(Json(json!({"unpaired": c.device.id})))
}

async fn catalog(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    caller(&hub, &headers, None, Action::Read)?;
    Ok(Json(json!(hub.catalog().as_ref())))
}

async fn state(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    blocking(&hub, move |hub| {
        let state = {
            let s = hub.session();
            let q = s.queue();
            redact_state(q.state(), c.role, q.catalog())
        };
        Ok(Json(json!({"seq": state.seq, "state": state})))
    })
    .await
}

async fn queue(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    blocking(&hub, move |hub| {
        let now = hub.now();
        Ok(Json(json!(queue_view(hub.session().queue(), c.role, now))))
    })
    .await
}

/// Any queue command, as the core defines it (`{"kind": "issue_ticket", …}`); what a role may
/// send follows the same rules as the specific routes. Answers with the committed events.
async fn command(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(cmd): Body<Command>,
) -> ApiResult<Json<Value>> {
    // Who may send what: the core's one table of command classes, matched whole.
    let action = match cmd.class() {
        CommandClass::Ticket | CommandClass::Booking | CommandClass::CheckIn => Action::Visit,
        CommandClass::Serve => Action::Serve,
        CommandClass::Admin => Action::Admin,
        CommandClass::HubOnly => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "only the hub adopts its catalog file, at start: change the catalog with POST /api/v1/admin/catalog",
            ));
        }
    };
    let c = caller(&hub, &headers, None, action)?;
    // Who did it is the caller's device, never what the body says; the randomness of codes is
    // the hub's, never the caller's.
    let cmd = match cmd {
        Command::EraseContact { code, .. } => Command::EraseContact {
            code,
            by: c.device.name.clone(),
        },
        Command::EditCatalog { edit, .. } => Command::EditCatalog {
            edit,
            by: c.device.name.clone(),
        },
        other => other,
    };
    let mut cmd = cmd;
    if let Command::BookAppointment { nonce, .. } | Command::SignUp { nonce, .. } = &mut cmd {
        *nonce = crate::engine::nonce();
    }
    blocking(&hub, move |hub| {
        let events = if action == Action::Visit {
            execute_visit(hub, &c, &cmd)?
        } else {
            execute(hub, &cmd, c.lang)?
        };
        Ok(Json(
            json!({"events": events_json(&events), "follow_url": hub.follow_url(&events)}),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueReq {
    service: String,
    lang: Lang,
    #[serde(default)]
    priority: Option<String>,
}

async fn issue(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(req): Body<IssueReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = caller(&hub, &headers, None, Action::Visit)?;
    let cmd = Command::IssueTicket {
        service: ServiceCode::new(req.service),
        lang: req.lang,
        priority: req.priority.map(PriorityClass::new),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let issued = events.iter().find_map(|e| match &e.event {
            Event::TicketIssued {
                ticket,
                ahead,
                wait_minutes,
            } => Some(json!({"label": ticket.label(), "ticket": ticket, "ahead": ahead, "wait_minutes": wait_minutes})),
            _ => None,
        });
        let mut body = issued.unwrap_or_else(|| json!({}));
        body["follow_url"] = json!(hub.follow_url(&events));
        body["events"] = events_json(&events);
        Ok((StatusCode::CREATED, Json(body)))
    })
    .await
}

fn find_ticket(hub: &Hub, label: &str) -> ApiResult<TicketId> {
    let s = hub.session();
    let q = s.queue();
    q.ticket_by_label(&label.to_ascii_uppercase())
        .map(|t| t.id)
        .or_else(|| {
            label
                .parse::<u64>()
                .ok()
                .map(TicketId)
                .filter(|id| q.ticket(*id).is_some())
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown-ticket",
                format!("no ticket '{label}' today: give its number as printed, e.g. A-023"),
            )
        })
}

async fn ticket(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(label): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    blocking(&hub, move |hub| {
        let id = find_ticket(hub, &label)?;
        let s = hub.session();
        let q = s.queue();
        Ok(Json(json!(q.ticket(id).map(|t| redact_ticket(
            t,
            c.role,
            q.catalog()
        )))))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActionReq {
    /// For `transfer`: the service to send the visitor to.
    #[serde(default)]
    to: Option<String>,
}

async fn ticket_action(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path((label, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Serve)?;
    // The body is optional here (only `transfer` needs one).
    let req: ActionReq = if body.iter().all(u8::is_ascii_whitespace) {
        ActionReq::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                if e.is_data() {
                    "invalid-field"
                } else {
                    "malformed-json"
                },
                format!("the body is not valid: {e}; for transfer send {{\"to\": \"SERVICE\"}}"),
            )
        })?
    };
    blocking(&hub, move |hub| {
        let id = find_ticket(hub, &label)?;
        let ticket = id;
        let cmd = match action.as_str() {
            "recall" => Command::Recall { ticket },
            "start" => Command::StartServing { ticket },
            "finish" => Command::Finish { ticket },
            "no-show" => Command::NoShow { ticket },
            "reopen" => Command::Reopen { ticket },
            "cancel" => Command::Cancel { ticket },
            "transfer" => match req.to {
                Some(to) => Command::Transfer {
                    ticket,
                    to: ServiceCode::new(to),
                },
                None => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-field",
                        "transfer needs `to`: the service code to send the visitor to",
                    ));
                }
            },
            "reprint" => return reprint(hub, id),
            "acknowledge" => return acknowledge(hub, id, &c),
            other => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown-action",
                    format!(
                        "unknown action '{other}': use recall, start, finish, no-show, reopen, cancel, transfer, reprint or acknowledge"
                    ),
                ));
            }
        };
        let events = execute(hub, &cmd, c.lang)?;
        let s = hub.session();
        Ok(Json(json!({"ticket": s.queue().ticket(id), "events": events_json(&events)})))
    })
    .await
}

/// A staff member has seen an urgent protection request: it stops alerting on every console
/// and counter; the audit log records who and when.
fn acknowledge(hub: &Hub, id: TicketId, c: &Caller) -> ApiResult<Json<Value>> {
    use super::guard::AckError;
    let ack = hub.acknowledge(id, &c.device.name).map_err(|e| match e {
        AckError::UnknownTicket => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-ticket",
            "no such ticket today",
        ),
        AckError::NotAProtectionRequest(label) => ApiError::new(
            StatusCode::CONFLICT,
            "not-a-protection-request",
            format!("{label} is not an urgent protection request: there is nothing to acknowledge"),
        ),
        AckError::Store(e) => ApiError::internal(e),
    })?;
    Ok(Json(json!({"acknowledged": ack})))
}

fn reprint(hub: &Hub, id: TicketId) -> ApiResult<Json<Value>> {
    let (slip, label) = {
        let s = hub.session();
        let q = s.queue();
        let t = q.ticket(id).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "unknown-ticket", "no such ticket")
        })?;
        let ahead = q
            .waiting(&t.service)
            .iter()
            .take_while(|w| w.id != t.id)
            .count() as u32;
        let wait = q.estimate_minutes(&t.service, ahead);
        (Slip::for_ticket(q.catalog(), t, ahead, wait), t.label())
    };
    let printer = hub.printer().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no-printer",
            "this hub has no printer: reprint from a kiosk, or set a printer in the hub's settings",
        )
    })?;
    let bytes = render(&slip, &printer.format).map_err(ApiError::internal)?;
    hub.print(Job {
        label: label.clone(),
        bytes,
    })
    .map_err(|m| ApiError::new(StatusCode::CONFLICT, "printer", m))?;
    Ok(Json(json!({"reprinted": label})))
}

async fn call_next(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(counter): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Serve)?;
    let cmd = Command::CallNext {
        counter: CounterId::new(counter),
    };
    blocking(&hub, move |hub| {
        let events = execute(hub, &cmd, c.lang)?;
        let called = events.iter().find_map(|e| match &e.event {
            Event::TicketCalled { ticket, .. } => Some(*ticket),
            _ => None,
        });
        let s = hub.session();
        let t = called.and_then(|id| s.queue().ticket(id).cloned());
        Ok(Json(json!({
            "label": t.as_ref().map(|t| t.label()),
            "ticket": t,
            "events": events_json(&events),
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DateQuery {
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    service: Option<String>,
}

fn bad_query(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-query",
        format!("the query is not valid ({e}): dates are YYYY-MM-DD"),
    )
}

async fn appointments(
    State(hub): State<Hub>,
    headers: HeaderMap,
    query: Result<Query<DateQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Serve)?;
    let Query(q) = query.map_err(bad_query)?;
    blocking(&hub, move |hub| {
        let now = hub.now();
        let s = hub.session();
        let queue = s.queue();
        let date = q.date.unwrap_or_else(|| queue.local(now).date());
        let mut list: Vec<_> = queue
            .state()
            .appointments
            .values()
            .filter(|a| a.date == date)
            .filter(|a| q.service.as_ref().is_none_or(|sv| a.service.as_str() == sv))
            .cloned()
            .collect();
        list.sort_by_key(|a| (a.time, a.id));
        if !c.role.sees_personal() {
            for a in &mut list {
                a.contact = Contact::default();
            }
        }
        Ok(Json(json!({"date": date, "appointments": list})))
    })
    .await
}

async fn slots(
    State(hub): State<Hub>,
    headers: HeaderMap,
    query: Result<Query<DateQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    caller(&hub, &headers, None, Action::Visit)?;
    let Query(q) = query.map_err(bad_query)?;
    let (Some(service), Some(date)) = (q.service, q.date) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "give `service` and `date` (YYYY-MM-DD), e.g. /api/v1/slots?service=legal&date=2026-12-01",
        ));
    };
    blocking(&hub, move |hub| {
        let s = hub.session();
        let queue = s.queue();
        let code = ServiceCode::new(service);
        let svc = queue.catalog().service(&code).ok_or_else(|| {
            ApiError::queue(&QueueError::UnknownService(code.clone()), Lang::En, hub)
        })?;
        let capacity = svc.capacity_on(date);
        let list: Vec<Value> = svc
            .slots_on(date)
            .into_iter()
            .map(|t| {
                let taken = queue.slot_taken(&code, date, t);
                json!({"time": t.format("%H:%M").to_string(), "free": capacity.saturating_sub(taken)})
            })
            .collect();
        Ok(Json(json!({"service": code, "date": date, "slots": list})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BookReq {
    service: String,
    date: NaiveDate,
    time: NaiveTime,
    lang: Lang,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

fn contact(name: Option<String>, phone: Option<String>) -> Contact {
    let keep = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Contact {
        name: keep(name),
        phone: keep(phone),
    }
}

async fn book(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(req): Body<BookReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = caller(&hub, &headers, None, Action::Visit)?;
    let cmd = Command::BookAppointment {
        service: ServiceCode::new(req.service),
        date: req.date,
        time: req.time,
        lang: req.lang,
        contact: contact(req.name, req.phone),
        nonce: crate::engine::nonce(),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let a = events.iter().find_map(|e| match &e.event {
            Event::AppointmentBooked { appointment } => Some(appointment.clone()),
            _ => None,
        });
        // The caller gets the code it must give the visitor, even when it may not see names.
        Ok((
            StatusCode::CREATED,
            Json(json!({"code": a.as_ref().map(|a| a.code.clone()), "follow_url": hub.follow_url(&events), "appointment": a.map(|mut a| { if !c.role.sees_personal() { a.contact = Contact::default(); } a })})),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInReq {
    code: String,
}

async fn check_in(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(req): Body<CheckInReq>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Visit)?;
    let cmd = Command::CheckIn {
        code: req.code.trim().to_string(),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let t = events.iter().find_map(|e| match &e.event {
            Event::TicketIssued { ticket, .. } => Some(ticket.clone()),
            _ => None,
        });
        Ok(Json(json!({"label": t.as_ref().map(|t| t.label()), "ticket": t, "follow_url": hub.follow_url(&events), "events": events_json(&events)})))
    })
    .await
}

async fn cancel_appointment(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Serve)?;
    let cmd = Command::CancelAppointment { code };
    blocking(&hub, move |hub| {
        let events = execute(hub, &cmd, c.lang)?;
        Ok(Json(json!({"events": events_json(&events)})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignUpReq {
    activity: String,
    date: NaiveDate,
    lang: Lang,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

async fn sign_up(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(req): Body<SignUpReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = caller(&hub, &headers, None, Action::Visit)?;
    let cmd = Command::SignUp {
        activity: ActivityCode::new(req.activity),
        date: req.date,
        lang: req.lang,
        contact: contact(req.name, req.phone),
        nonce: crate::engine::nonce(),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let s = events.iter().find_map(|e| match &e.event {
            Event::SignedUp {
                signup,
                waitlist_position,
            } => Some((signup.clone(), *waitlist_position)),
            _ => None,
        });
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "code": s.as_ref().map(|(s, _)| s.code.clone()),
                "seated": s.as_ref().map(|(s, _)| s.seated),
                "waitlist_position": s.as_ref().and_then(|(_, p)| *p),
                "follow_url": hub.follow_url(&events),
            })),
        ))
    })
    .await
}

/// What the center keeps about a visitor, by the code of their appointment or sign-up (shown to
/// the visitor on request).
async fn personal(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Admin)?;
    blocking(&hub, move |hub| {
        let s = hub.session();
        let q = s.queue();
        let code = code.trim();
        if let Some(a) = q.state().appointments.values().find(|a| a.code == code) {
            return Ok(Json(json!({"appointment": a})));
        }
        if let Some(x) = q.state().signups.values().find(|x| x.code == code) {
            return Ok(Json(json!({"signup": x})));
        }
        Err(ApiError::queue(
            &QueueError::UnknownCode(code.to_string()),
            c.lang,
            hub,
        ))
    })
    .await
}

/// Erase a visitor's name and phone on request: in the state, the log and the snapshots.
async fn erase_personal(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Admin)?;
    let cmd = Command::EraseContact {
        code,
        by: c.device.name.clone(),
    };
    blocking(&hub, move |hub| {
        let events = execute(hub, &cmd, c.lang)?;
        Ok(Json(
            json!({"erased": true, "events": events_json(&events)}),
        ))
    })
    .await
}

/// Device alerts for every paired device; the unacknowledged urgent protection requests for
/// staff only.
async fn alerts(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    Ok(Json(match c.role.audience() {
        Audience::Staff => json!({"alerts": hub.alerts(), "protection": hub.protection_alerts()}),
        Audience::Public => json!({"alerts": hub.alerts()}),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertIn {
    kind: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsReq {
    /// The device's alerts now (empty: all clear).
    alerts: Vec<AlertIn>,
}

async fn report_alerts(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(req): Body<AlertsReq>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    if req.alerts.len() > 16
        || req
            .alerts
            .iter()
            .any(|a| a.kind.is_empty() || a.kind.len() > 40 || a.message.len() > 300)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "at most 16 alerts, each with a `kind` of 1 to 40 characters and a `message` of at most 300",
        ));
    }
    if req.alerts.iter().any(|a| a.kind == super::OFFLINE) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "\"device-offline\" is the hub's own finding: a device reports its own problems (paper-out, cover-open, …)",
        ));
    }
    hub.set_device_alerts(
        &super::AlertSource::device(c.device.id, &c.device.name),
        req.alerts
            .into_iter()
            .map(|a| (a.kind, a.message))
            .collect(),
    );
    Ok(Json(json!({"alerts": hub.alerts()})))
}

async fn devices(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    caller(&hub, &headers, None, Action::Admin)?;
    let list = hub.auth_store().devices().map_err(ApiError::internal)?;
    Ok(Json(json!({"devices": list})))
}

async fn revoke(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Admin)?;
    let id: u64 = id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            format!("'{id}' is not a device number: see GET /api/v1/devices"),
        )
    })?;
    let found = hub
        .revoke(id, "revoked", &c.device.name)
        .map_err(ApiError::internal)?;
    if !found {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-device",
            format!("no device {id}: see GET /api/v1/devices"),
        ));
    }
    Ok(Json(json!({"revoked": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinReq {
    role: Role,
}

async fn new_pin(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(req): Body<PinReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller(&hub, &headers, None, Action::Admin)?;
    let (pin, expires) = auth::new_pin(&hub.auth_store(), req.role, chrono::Utc::now())
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"pin": pin, "role": req.role, "expires_at": expires})),
    ))
}

// ---------------------------------------------------------------- admin pages

/// A coordinator's change to the catalog: validated whole, recorded with the device that made
/// it, pushed to every device through the event stream.
async fn edit_catalog(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(edit): Body<CatalogEdit>,
) -> ApiResult<Json<Value>> {
    let c = caller(&hub, &headers, None, Action::Admin)?;
    // Icons are the shell's (embedded files): an unknown name is refused here.
    let icon = match &edit {
        CatalogEdit::PutService { service, .. } => Some(service.icon.as_str()),
        CatalogEdit::PutPriorityClass { class } => Some(class.icon.as_str()),
        _ => None,
    };
    if let Some(icon) = icon
        && !crate::ui::icons::ICONS.iter().any(|(n, _)| *n == icon)
    {
        let known = crate::ui::icons::ICONS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ");
        let err = QueueError::InvalidCatalog(vec![format!(
            "icon: '{icon}' is not one of the icons ({known})"
        )]);
        return Err(ApiError::queue(&err, c.lang, &hub));
    }
    let summary = edit.summary();
    let cmd = Command::EditCatalog {
        edit,
        by: c.device.name.clone(),
    };
    blocking(&hub, move |hub| {
        let events = execute(hub, &cmd, c.lang)?;
        let seq = events.last().map_or(0, |e| e.seq);
        Ok(Json(json!({
            "seq": seq,
            "summary": summary,
            "catalog": hub.catalog().as_ref(),
        })))
    })
    .await
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<String>,
}

/// What was changed on the admin pages, which personal data was erased on request, which
/// devices were paired or revoked: when, what, which device (newest first).
async fn audit(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Value>> {
    caller(&hub, &headers, None, Action::Admin)?;
    let limit = match q.limit.as_deref() {
        None => 200,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=5000).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-query",
                    format!("limit '{v}' is not a number from 1 to 5000"),
                )
            })?,
    };
    let events = hub
        .auth_store()
        .events_of_types(&["catalog_changed", "contact_erased"], limit)
        .map_err(ApiError::internal)?;
    let mut entries: Vec<Value> = events
        .iter()
        .filter_map(|e| match &e.event {
            Event::CatalogChanged { edit, by, .. } => Some(json!({
                "seq": e.seq,
                "at": e.at,
                "op": edit.as_ref().map_or("file", |x| x.op_target().0),
                "target": edit.as_ref().map(|x| x.op_target().1).unwrap_or_default(),
                "by": if by.is_empty() { "catalog file" } else { by.as_str() },
                "what": edit.as_ref().map_or_else(
                    || "catalog file adopted again (it was changed on disk)".to_string(),
                    CatalogEdit::summary,
                ),
                "kind": "catalog",
            })),
            Event::ContactErased {
                appointment,
                signup,
                by,
            } => Some(json!({
                "seq": e.seq,
                "at": e.at,
                "op": "erase",
                "target": match (appointment, signup) {
                    (Some(a), _) => format!("#{a}"),
                    (_, Some(s)) => format!("#{s}"),
                    _ => String::new(),
                },
                "by": by,
                "what": match (appointment, signup) {
                    (Some(a), _) => format!("name and phone erased on request (appointment {a})"),
                    (_, Some(s)) => format!("name and phone erased on request (sign-up {s})"),
                    _ => "name and phone erased on request".to_string(),
                },
                "kind": "erasure",
            })),
            _ => None,
        })
        .collect();
    // Devices unpaired or revoked (by whom), pairing lockouts (which address).
    let security = hub
        .auth_store()
        .security_log(limit)
        .map_err(ApiError::internal)?;
    for e in &security {
        entries.push(json!({
            "at": e.at,
            "op": e.kind,
            "target": e.target,
            "by": e.by,
            "kind": "security",
        }));
    }
    // Urgent protection requests acknowledged: which staff device, when.
    let acks = hub
        .auth_store()
        .acknowledgements(limit)
        .map_err(ApiError::internal)?;
    for a in &acks {
        entries.push(json!({
            "at": a.at,
            "op": "acknowledged",
            "target": a.label,
            "by": a.by,
            "what": format!("urgent protection request {} of {} acknowledged", a.label, a.day),
            "kind": "safeguarding",
        }));
    }
    // Devices paired and revoked (from the devices list, with their dates).
    let devices = hub.auth_store().devices().map_err(ApiError::internal)?;
    for d in &devices {
        let target = format!("{} ({})", d.name, d.role);
        entries.push(json!({"at": d.created_at, "op": "paired", "target": target, "by": d.name, "kind": "device"}));
    }
    entries.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["at"].as_str().unwrap_or("").to_string(),
                v["seq"].as_u64(),
            )
        };
        key(b).cmp(&key(a))
    });
    entries.truncate(limit);
    Ok(Json(json!({ "entries": entries })))
}

/// The icons a service may use (name and SVG), for the admin page's picker.
async fn icons(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    caller(&hub, &headers, None, Action::Admin)?;
    let list: Vec<Value> = crate::ui::icons::ICONS
        .iter()
        .map(|(name, svg)| json!({"name": name, "svg": String::from_utf8_lossy(svg)}))
        .collect();
    Ok(Json(json!({ "icons": list })))
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

fn query_date(name: &str, v: Option<&str>) -> ApiResult<chrono::NaiveDate> {
    let v = v.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("give {name}=YYYY-MM-DD"),
        )
    })?;
    v.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("{name} '{v}' is not a date: expected YYYY-MM-DD, e.g. 2026-11-02"),
        )
    })
}

/// Figures for a period: `format=html` (a page with SVG charts), `csv` or `json`.
async fn report(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    let c = caller(&hub, &headers, None, Action::Admin)?;
    let from = query_date("from", q.from.as_deref())?;
    let to = query_date("to", q.to.as_deref())?;
    // Two days given the other way round mean the same period.
    let (from, to) = (from.min(to), from.max(to));
    if (to - from).num_days() > 366 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period-too-long",
            "a report covers at most 367 days: ask for one year at a time",
        ));
    }
    let format = q.format.unwrap_or_else(|| "html".into());
    if !matches!(format.as_str(), "html" | "csv" | "json") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("format '{format}' is not one of html, csv, json"),
        ));
    }
    let lang = match q.lang.as_deref() {
        None => c.lang,
        Some(l) => l.parse::<Lang>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid-query",
                format!("lang '{l}' is not one of es, en, pt, fr, ht"),
            )
        })?,
    };
    blocking(&hub, move |hub| {
        let facts = hub
            .side_store()
            .and_then(|s| s.facts(from, to))
            .map_err(ApiError::internal)?;
        let catalog = hub.catalog();
        let r = crate::report::compute(&facts, &catalog, from, to);
        let l = Localizer::new(lang).map_err(ApiError::internal)?;
        let name = format!("integra-report-{from}-{to}");
        Ok(match format.as_str() {
            "csv" => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.csv\""),
                    ),
                ],
                crate::report::render::csv(&r, &l, &catalog),
            )
                .into_response(),
            "json" => Json(crate::report::render::json(&r)).into_response(),
            _ => (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8".to_string())],
                crate::report::render::html(&r, &l, &catalog),
            )
                .into_response(),
        })
    })
    .await
}
