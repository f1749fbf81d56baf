//! HTTP + JSON under `/api/v1` (described by `/api/v1/openapi.json`), the event stream, and the
//! staff console's files. Every error is JSON `{"error": {"code", "message"}}` with a 4xx/5xx
//! status; a refused request changes nothing.

use super::auth::{self, Action, Role};
use super::view::{queue_view, redact_state, redact_ticket};
use super::{AlertKind, Hub, RaisedBy, console, stream};
use crate::core::Outcome;
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
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;

mod admin;
mod bookings;
mod caller;
mod devices;
mod error;
mod pairing;
mod setup;
mod tickets;
mod waiting;

use admin::*;
use bookings::*;
use caller::*;
pub use caller::{Caller, caller, request_lang};
use devices::*;
use error::*;
pub use error::{ApiError, Body};
use pairing::*;
use setup::*;
use tickets::*;
use waiting::*;

/// Request bodies larger than this are refused (413) before they are read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every route, as `METHOD path` (the OpenAPI test checks the document lists exactly these).
pub const ROUTES: &[&str] = &[
    "GET /api/v1/health",
    "GET /api/v1/openapi.json",
    "POST /api/v1/pair",
    "GET /api/v1/pair/spake2",
    "POST /api/v1/pair/waiting",
    "GET /api/v1/pair/waiting/{id}",
    "GET /api/v1/setup",
    "POST /api/v1/setup",
    "GET /api/v1/me",
    "POST /api/v1/me/unpair",
    "GET /api/v1/catalog",
    "GET /api/v1/state",
    "GET /api/v1/queue",
    "GET /api/v1/events",
    "GET /api/v1/replica",
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
    "POST /api/v1/devices/doctor",
    "POST /api/v1/pairing-pins",
    "GET /api/v1/admin/waiting",
    "POST /api/v1/admin/waiting/{id}/approve",
    "POST /api/v1/admin/catalog",
    "GET /api/v1/admin/audit",
    "POST /api/v1/day/start",
    "GET /api/v1/admin/icons",
    "GET /api/v1/admin/backup",
    "GET /api/v1/admin/backup/file",
    "GET /api/v1/admin/clock",
    "POST /api/v1/admin/clock",
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
        .route("/api/v1/pair/spake2", get(pair_spake2))
        .route("/api/v1/pair/waiting", post(wait_for_approval))
        .route("/api/v1/pair/waiting/{id}", get(waiting_state))
        .route("/api/v1/setup", get(setup_status).post(setup_pair))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/unpair", post(unpair))
        .route("/api/v1/catalog", get(catalog))
        .route("/api/v1/state", get(state))
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/events", get(stream::events))
        .route("/api/v1/replica", get(crate::hub::replica::route))
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
        .route("/api/v1/devices/doctor", post(report_doctor))
        .route("/api/v1/pairing-pins", post(new_pin))
        .route("/api/v1/admin/waiting", get(waiting_list))
        .route("/api/v1/admin/waiting/{id}/approve", post(approve_waiting))
        .route("/api/v1/admin/catalog", post(edit_catalog))
        .route("/api/v1/admin/audit", get(audit))
        .route("/api/v1/day/start", post(start_day))
        .route("/api/v1/admin/icons", get(icons))
        .route("/api/v1/admin/backup", get(backup_status))
        .route("/api/v1/admin/backup/file", get(backup_download))
        .route("/api/v1/admin/clock", get(clock_status).post(set_clock))
        .route("/api/v1/reports", get(report))
        .route("/", get(console::index))
        .route("/common.js", get(console::common_script))
        .route("/console.js", get(console::script))
        .route("/console.css", get(console::style))
        .route("/admin", get(console::admin))
        .route("/admin.js", get(console::admin_script))
        .route("/setup", get(setup::page))
        .route("/setup.js", get(setup::script))
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

/// A service or priority icon (SVG) for the staff console; icons are public artwork.
async fn icon(Path(name): Path<String>) -> Response {
    let name = name.trim_end_matches(".svg");
    match crate::icons::ICONS.iter().find(|(n, _)| *n == name) {
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

// ---------------------------------------------------------------- handlers

/// Whether the hub is up: `{"status":"starting"}` (503, Retry-After) until a ticket can be
/// issued, then `{"status":"ok"}` — or `"clock-unsure"` (200: it serves) while the hub is not
/// sure of its time. Without a token it says only that; a paired device also gets the program,
/// version, center, position in the log, the hub's clock (`now`) and how far it trusts it
/// (`clock`: trust, hub time, why unsure).
async fn health(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    // A hub that stepped down says so, with the epoch that replaced it and where the hub is
    // (every device and a returning hub read `epoch`: see `hub::epoch`).
    if let Some(by) = hub.replaced_by() {
        return (
            StatusCode::CONFLICT,
            Json(json!({"status": "replaced", "epoch": hub.epoch(), "replaced_by": by,
                "hub": hub.standby_address(), "message": hub.replaced_message(request_lang(&headers))})),
        )
            .into_response();
    }
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
            Json(json!({"status": "degraded", "epoch": hub.epoch()})),
        )
            .into_response();
    }
    // A clock the hub is unsure of: it serves, but it is not "ok" (a coordinator sets it).
    let clock = hub.clock_status();
    let status = match hub.clock_trust() {
        crate::core::ClockTrust::Synced | crate::core::ClockTrust::Confirmed => "ok",
        crate::core::ClockTrust::Unsure => "clock-unsure",
    };
    let paired = bearer(&headers).is_some_and(|t| {
        hub.device_by_token(&auth::token_hash(t))
            .ok()
            .flatten()
            .is_some()
    });
    if !paired {
        return Json(json!({"status": status, "epoch": hub.epoch()})).into_response();
    }
    let s = hub.session();
    Json(json!({
        "status": status,
        "clock": clock,
        "program": "integra",
        "version": env!("CARGO_PKG_VERSION"),
        "center": hub.catalog().center.name,
        "seq": s.queue().seq(),
        "epoch": hub.epoch(),
        // The standby: none, synchronous, behind or offline (issue #32).
        "standby": hub.standby_status(),
        // The hub's clock: a device's doctor compares its own.
        "now": hub.now().to_rfc3339(),
    }))
    .into_response()
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
        .into_response()
}
