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
    "console-admin-pages",
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
    "console-alert-storage-failed",
    "console-alert-city-link-down",
    "console-alert-backup-missing",
    "console-alert-standby-behind",
    "console-alert-standby-offline",
    "console-alert-device-clock",
    "console-alert-clock-unsure",
    "console-alert-audio-failed",
    "console-alert-new-day",
    "console-start-day",
    "console-admin",
    "console-make-pin",
    "console-role",
    "console-role-kiosk",
    "console-role-counter",
    "console-role-display",
    "console-role-admin",
    "console-pin-once",
    "console-pin-valid-until",
    "console-undo",
    "console-ended-done",
    "console-ended-no-show",
    "console-revoke",
    "console-last-seen",
    "console-protection-alert",
    "console-acknowledge",
    "console-discreet",
];

/// Every Fluent id the admin pages use (a test checks `admin.html` and `admin.js` use exactly
/// these); the pages also get the weekday names.
pub const ADMIN_IDS: &[&str] = &[
    "admin-devices",
    "admin-devices-help",
    "admin-device",
    "admin-device-version",
    "admin-device-seen",
    "admin-device-checks",
    "admin-device-never",
    "admin-device-no-report",
    "admin-device-checked",
    "admin-device-hub",
    "admin-clock",
    "admin-clock-hub",
    "admin-clock-computer",
    "admin-clock-synced",
    "admin-clock-confirmed",
    "admin-clock-unsure",
    "admin-clock-set",
    "admin-clock-confirm",
    "admin-clock-done",
    "admin-op-clock-set",
    "admin-op-clock-confirmed",
    "admin-title",
    "admin-back",
    "admin-not-admin",
    "admin-center",
    "admin-retention",
    "admin-max-overtakes",
    "admin-max-wait",
    "admin-save",
    "admin-saved",
    "admin-services",
    "admin-new-service",
    "admin-edit",
    "admin-remove",
    "admin-confirm-remove",
    "admin-code",
    "admin-prefix",
    "admin-icon",
    "admin-modes",
    "admin-mode-walk-in",
    "admin-mode-appointment",
    "admin-mode-activity",
    "admin-name",
    "admin-description",
    "admin-hours",
    "admin-served-at",
    "admin-slots",
    "admin-slot-minutes",
    "admin-capacity",
    "admin-weekday-rules",
    "admin-counters",
    "admin-new-counter",
    "admin-counter-id",
    "admin-counter-name",
    "admin-counter-services",
    "admin-activities",
    "admin-new-activity",
    "admin-title-field",
    "admin-place",
    "admin-weekdays",
    "admin-dates",
    "admin-start",
    "admin-minutes",
    "admin-seats",
    "admin-activity-service",
    "admin-cancel",
    "admin-reports",
    "admin-from",
    "admin-to",
    "admin-today",
    "admin-week",
    "admin-month",
    "admin-show-report",
    "admin-download-csv",
    "admin-personal",
    "admin-personal-help",
    "admin-personal-code",
    "admin-personal-phone",
    "admin-personal-date",
    "admin-personal-show",
    "admin-personal-erase",
    "admin-personal-erased",
    "admin-personal-nothing",
    "admin-audit",
    "admin-when",
    "admin-what",
    "admin-who",
    "admin-op-put_service",
    "admin-op-remove_service",
    "admin-op-put_counter",
    "admin-op-remove_counter",
    "admin-op-put_activity",
    "admin-op-remove_activity",
    "admin-op-set_fairness",
    "admin-op-set_retention",
    "admin-op-file",
    "admin-op-file-device",
    "admin-op-erase",
    "admin-op-paired",
    "admin-op-revoked",
    "admin-op-visitor-cancel",
    "admin-limits",
    "admin-limit-wrong-codes",
    "admin-limit-tickets",
    "admin-limit-bookings",
    "admin-discreet-service",
    "admin-public-name",
    "admin-classes",
    "admin-classes-help",
    "admin-new-class",
    "admin-discreet-class",
    "admin-discreet",
    "admin-op-put_priority_class",
    "admin-op-set_limits",
    "admin-op-acknowledged",
    "admin-backup",
    "admin-backup-help",
    "admin-backup-last",
    "admin-backup-none",
    "admin-backup-off",
    "admin-backup-problem",
    "admin-backup-restored",
    "admin-backup-download",
    "admin-op-backup-downloaded",
    "admin-op-setup-code",
    "admin-op-setup-code-wrong",
];

pub async fn admin() -> Html<&'static str> {
    Html(include_str!("../../assets/console/admin.html"))
}

/// What the console and the admin pages share (loaded before each page's script).
pub async fn common_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/console/common.js"),
    )
        .into_response()
}

pub async fn admin_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/console/admin.js"),
    )
        .into_response()
}

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
        let weekdays = (0..7u8)
            .filter_map(|d| chrono::Weekday::try_from(d).ok())
            .map(crate::i18n::weekday_id);
        for id in FLUENT_IDS
            .iter()
            .copied()
            .chain(ADMIN_IDS.iter().copied())
            .chain(crate::hub::waiting::CONSOLE_IDS.iter().copied())
            .chain(super::setup::SETUP_IDS.iter().copied())
            .chain(weekdays)
        {
            out.insert(id.to_string(), Value::String(l.text(id, None)));
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
