//! The staff console: one page, its script and style, embedded in the binary and served by the
//! hub (no internet, no CDN). Its strings come from `locales/<lang>/console.ftl` through
//! `GET /api/v1/strings?lang=xx`.

use super::Hub;
use crate::core::Lang;
use crate::i18n::Localizer;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Every Fluent id the console uses (a test checks the page and script use exactly these).
pub const FLUENT_IDS: &[&str] = &[
    "console-title",
    "console-pair-title",
    "console-pair-help",
    "console-pin",
    "console-device-name",
    "console-pair",
    "console-unpair",
    "console-language",
    "console-counter",
    "console-call-next",
    "console-shortcut",
    "console-now-serving",
    "console-nobody",
    "console-recall",
    "console-start",
    "console-finish",
    "console-no-show",
    "console-transfer",
    "console-reprint",
    "console-waiting",
    "console-waiting-none",
    "console-priority",
    "console-minutes",
    "console-appointment",
    "console-appointments",
    "console-appointments-none",
    "console-check-in",
    "console-book",
    "console-service",
    "console-date",
    "console-time",
    "console-name-optional",
    "console-phone-optional",
    "console-booked",
    "console-no-slots",
    "console-alerts",
    "console-alerts-none",
    "console-live",
    "console-reconnecting",
    "console-state-waiting",
    "console-state-called",
    "console-state-serving",
    "console-state-booked",
    "console-state-checked_in",
    "console-state-cancelled",
    "console-state-missed",
    "console-alert-paper-out",
    "console-alert-paper-near-end",
    "console-alert-cover-open",
    "console-alert-printer-offline",
    "console-alert-printer-unreachable",
    "console-alert-device-offline",
    "console-admin",
    "console-make-pin",
    "console-role",
    "console-role-kiosk",
    "console-role-counter",
    "console-role-display",
    "console-role-admin",
    "console-pin-once",
    "console-revoke",
    "console-last-seen",
];

pub async fn index() -> Html<&'static str> {
    Html(include_str!("../../assets/console/index.html"))
}

pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/console/console.js"),
    )
        .into_response()
}

pub async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../assets/console/console.css"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// The console's strings in one language (the center's default when none or an unknown one is
/// asked), plus the language list in each language's own words. Public: they hold no data.
pub async fn strings(State(hub): State<Hub>, Query(q): Query<LangQuery>) -> Json<Value> {
    let default = hub.catalog().center.default_language;
    let lang = q
        .lang
        .and_then(|l| l.parse::<Lang>().ok())
        .unwrap_or(default);
    let mut out = Map::new();
    if let Ok(l) = Localizer::new(lang) {
        for id in FLUENT_IDS {
            out.insert((*id).to_string(), Value::String(l.text(id, None)));
        }
    }
    let langs: Vec<Value> = hub
        .catalog()
        .center
        .languages
        .iter()
        .map(|l| serde_json::json!({"code": l.code(), "name": l.native_name()}))
        .collect();
    Json(serde_json::json!({"lang": lang.code(), "strings": out, "languages": langs}))
}
