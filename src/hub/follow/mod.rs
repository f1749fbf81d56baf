//! Follow your turn on your phone, over the center's Wi-Fi, with no account and no personal
//! data: every walk-in ticket, check-in, appointment and sign-up gets a link (printed as a QR
//! code on the slip, shown on the kiosk's screen). The link opens a small page — no framework,
//! nothing from the internet — in the visitor's language: the number, people ahead, the
//! estimated wait, live; "Your turn — <counter>" when called; after the visit one question,
//! "How was your visit?". An appointment's or sign-up's link shows the day, time, place and
//! what to bring, and lets the visitor cancel.
//!
//! The link: `/f/<token>`, the token = kind · id · 128 bits of HMAC-SHA256 (key: 32 random
//! bytes made once and kept in the database) over the kind, the id and the day it belongs to.
//! Without the key no link can be made or guessed; an altered token or another day's gives 404,
//! never another visitor's ticket. A ticket's link is valid on its day; an appointment's or a
//! sign-up's until the end of its day. Requests are limited per address (links guessed, pages
//! asked). Pages never show a name, a phone or a code, and a discreet ticket's page never
//! names its service.
//!
//! These routes are the only ones a hub speaking HTTPS also answers over plain HTTP (a phone
//! cannot be asked to trust the hub's own certificate); see SECURITY.md.

use super::{Hub, Inner, Push, lock};
use crate::core::{
    Appointment, AppointmentId, AppointmentState, Catalog, Command, Event, Lang, Queue, SignUp,
    SignUpId, Stamped, Ticket, TicketId, TicketState, pick,
};
use crate::hub::api::ApiError;
use crate::i18n::{Localizer, weekday_id};
use crate::store::feedback::Feedback;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use fluent_bundle::{FluentArgs, FluentValue};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod links;
mod page;
mod shared;
mod token;
mod view;

pub use links::*;
use page::*;
pub(crate) use shared::refresh_after_commits;
use shared::{Full, Shown};
pub use shared::{POLL_RETRY_SECS, POLLS_PER_ADDRESS, POLLS_PER_LINK, Views};
pub use token::*;
use view::*;

// ---------------------------------------------------------------- routes

/// The follow routes (the same on HTTPS and, on a hub speaking HTTPS, on plain HTTP).
pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/f/follow.js", get(script))
        .route("/f/{token}", get(page))
        .route("/f/{token}/feedback", post(feedback))
        .route("/f/{token}/cancel", post(cancel))
        .layer(axum::extract::DefaultBodyLimit::max(4096))
}

/// Long polls held at once, on every link together; past this a poll is answered 429 (the
/// phone asks again later), so waiting phones can never hold more than this many tasks.
pub const LONG_POLLS_MAX: usize = 4096;
static LONG_POLLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One held long poll (counted while it lives).
struct Held;

impl Held {
    fn take() -> Option<Held> {
        use std::sync::atomic::Ordering;
        if LONG_POLLS.fetch_add(1, Ordering::SeqCst) >= LONG_POLLS_MAX {
            LONG_POLLS.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Held)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        LONG_POLLS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    lang: Option<String>,
    /// Long poll: answer when the view's version differs from this one (or after 25 s).
    wait: Option<String>,
    /// `cancel`: show the cancellation question.
    ask: Option<String>,
}

/// A browser asks for HTML; anything else (an app, `curl`, the page's own script) gets JSON.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") || !accept.contains("text/html")
}

fn too_many(secs: u64, lang: Lang, json: bool) -> Response {
    let mut r = if json {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            shared::too_many_words(lang),
        )
        .into_response()
    } else {
        let w = Words::new(lang);
        (
            StatusCode::TOO_MANY_REQUESTS,
            Html(shell(&w, lang, &w.t("follow-too-many"), "")),
        )
            .into_response()
    };
    if let Ok(v) = secs.to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    no_store(r)
}

fn gone(hub: &Hub, lang: Option<Lang>, json: bool) -> Response {
    let lang = lang.unwrap_or(hub.catalog().center.default_language);
    if json {
        return no_store(
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown-link",
                "this link opens nothing today: it was altered, or its day is over",
            )
            .into_response(),
        );
    }
    let w = Words::new(lang);
    let body = format!(
        "<main><h1>{}</h1><p class=detail>{}</p></main>",
        esc(&w.t("follow-gone")),
        esc(&w.t("follow-gone-detail"))
    );
    no_store(
        (
            StatusCode::NOT_FOUND,
            Html(shell(&w, lang, &w.t("follow-gone"), &body)),
        )
            .into_response(),
    )
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// Checks every follow request goes through: the address's limits, then the link.
async fn open(
    hub: &Hub,
    ip: IpAddr,
    token: &str,
    lang: Option<Lang>,
    json: bool,
) -> Result<(Subject, Found), Response> {
    let fallback = lang.unwrap_or(hub.catalog().center.default_language);
    if let Err(secs) = hub.inner.follow.admit(ip) {
        return Err(too_many(secs, fallback, json));
    }
    match hub.inner.follow.views.resolve(hub, token).await {
        Some(f) => Ok(f),
        None => {
            hub.inner.follow.unknown(ip);
            Err(gone(hub, lang, json))
        }
    }
}

/// The view a poll answers with (`null` should its computation have failed).
fn shown(shared: &tokio::sync::watch::Receiver<Option<Shown>>) -> Arc<Value> {
    shared
        .borrow()
        .as_ref()
        .map_or_else(|| Arc::new(Value::Null), |s| s.value.clone())
}

/// The view a JSON poll answers with, as serialized once for every poll on the link.
fn shown_json(shared: &tokio::sync::watch::Receiver<Option<Shown>>) -> axum::body::Bytes {
    shared.borrow().as_ref().map_or_else(
        || axum::body::Bytes::from_static(b"null"),
        |s| s.json.clone(),
    )
}

/// Longest a long poll is held.
pub const LONG_POLL: Duration = Duration::from_secs(25);

async fn page(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let (subject, found) = match open(&hub, peer.ip(), &token, lang_param(&q), json).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lang = lang_param(&q).unwrap_or_else(|| lang_of(&found));
    // The view every phone on this link shares: no engine lock here.
    let views = &hub.inner.follow.views;
    let mut shared = views.watch(&hub, subject, &found, lang).await;
    if json {
        let current = shared
            .borrow()
            .as_ref()
            .and_then(|s| s.version().map(str::to_owned));
        if let Some(wait) = q.wait.as_deref()
            && current.as_deref() == Some(wait)
        {
            let _held = match views.hold(&hub, (subject, lang), peer.ip()) {
                Ok(h) => h,
                Err(Full::Link | Full::Address | Full::Hub) => {
                    return too_many(POLL_RETRY_SECS, lang, json);
                }
            };
            // A held poll costs the hub nothing until its view changes: it is not counted
            // against the address's requests per minute (the caps above bound it).
            hub.inner.follow.refund(peer.ip());
            let changed = shared.wait_for(|s| s.as_ref().and_then(Shown::version) != Some(wait));
            let deadline = tokio::time::Instant::now() + LONG_POLL;
            let _ = tokio::time::timeout_at(deadline, async { changed.await.map(|_| ()) }).await;
        }
        let body = shown_json(&shared);
        return no_store(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    let v = shown(&shared);
    let w = Words::new(lang);
    let body = render(&w, &token, &v, lang, q.ask.as_deref() == Some("cancel"));
    let title = match v["label"].as_str() {
        Some(l) => format!("{l} · {}", v["center"].as_str().unwrap_or_default()),
        None => v["center"].as_str().unwrap_or_default().to_string(),
    };
    no_store(Html(shell(&w, lang, &title, &body)).into_response())
}

#[derive(Deserialize)]
struct FeedbackReq {
    rating: u8,
    #[serde(default)]
    waited_too_long: bool,
    #[serde(default)]
    not_understood: bool,
    #[serde(default)]
    got_what_needed: bool,
}

/// A form's fields (a browser without script posts the form itself).
fn form_feedback(body: &[u8]) -> Option<FeedbackReq> {
    let text = std::str::from_utf8(body).ok()?;
    let mut rating = None;
    let mut f = FeedbackReq {
        rating: 0,
        waited_too_long: false,
        not_understood: false,
        got_what_needed: false,
    };
    for pair in text.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "rating" => rating = v.parse().ok(),
            "waited_too_long" => f.waited_too_long = true,
            "not_understood" => f.not_understood = true,
            "got_what_needed" => f.got_what_needed = true,
            _ => {}
        }
    }
    f.rating = rating?;
    Some(f)
}

/// A browser posting a form itself (no script): answered with the page, not JSON.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

async fn feedback(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let is_form = is_form(&headers);
    let json = !is_form;
    let (subject, found) = match open(&hub, peer.ip(), &token, None, json).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let req = if is_form {
        form_feedback(&body)
    } else {
        serde_json::from_slice::<FeedbackReq>(&body).ok()
    };
    let Some(req) = req.filter(|r| (1..=3).contains(&r.rating)) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-feedback",
            "send {\"rating\": 1, 2 or 3} (1 unhappy, 2 neutral, 3 happy), optionally with \"waited_too_long\", \"not_understood\", \"got_what_needed\": true",
        )
        .into_response();
    };
    let Found::Ticket(t) = &found else {
        return ApiError::new(
            StatusCode::CONFLICT,
            "no-feedback-here",
            "feedback is asked after a visit at a counter: this link is an appointment's or a sign-up's",
        )
        .into_response();
    };
    let h = hub.clone();
    let (id, day) = (t.id, t.day);
    let result = hub
        .inner
        .follow
        .engine_work(move || {
            let (state, service) = {
                let s = h.session();
                let Some(t) = s.queue().ticket(id) else {
                    return Answer::Gone;
                };
                (t.state, t.service.to_string())
            };
            if state != TicketState::Done {
                return Answer::NotFinished;
            }
            let fresh = h.side_store().and_then(|mut s| {
                s.record_feedback(
                    day,
                    id.0,
                    &service,
                    Feedback {
                        rating: req.rating,
                        waited_too_long: req.waited_too_long,
                        not_understood: req.not_understood,
                        got_what_needed: req.got_what_needed,
                    },
                )
            });
            match fresh {
                Ok(true) => {
                    h.inner.follow.views.feedback_given(&h, subject);
                    Answer::Saved
                }
                Ok(false) => Answer::AlreadyGiven,
                Err(e) => Answer::Storage(e),
            }
        })
        .await;
    match result {
        Ok(Answer::Saved) if is_form => see_page(&token),
        Ok(Answer::Saved) => {
            (StatusCode::CREATED, axum::Json(json!({"status": "thanks"}))).into_response()
        }
        Ok(Answer::NotFinished) => ApiError::new(
            StatusCode::CONFLICT,
            "visit-not-finished",
            "the question is asked once the visit has finished at the counter",
        )
        .into_response(),
        Ok(Answer::AlreadyGiven) if is_form => see_page(&token),
        Ok(Answer::AlreadyGiven) => ApiError::new(
            StatusCode::CONFLICT,
            "feedback-given",
            "this visit's feedback was already given (once per visit)",
        )
        .into_response(),
        Ok(Answer::Gone) => gone(&hub, None, json),
        Ok(Answer::Storage(e)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            format!("the answer could not be saved: {e}"),
        )
        .into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// What became of a visitor's answer to "how did it go?".
enum Answer {
    Saved,
    /// The visit has not finished at the counter yet.
    NotFinished,
    /// Once per visit: this one was already answered.
    AlreadyGiven,
    /// The ticket is no longer in today's queue.
    Gone,
    Storage(crate::store::StoreError),
}

fn see_page(token: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/f/{token}"))],
    )
        .into_response()
}

async fn cancel(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let is_form = is_form(&headers);
    let (_, found) = match open(&hub, peer.ip(), &token, None, !is_form).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (cmd, target) = match &found {
        Found::Appointment(a) => (
            Command::CancelAppointment {
                code: a.code.clone(),
            },
            format!("appointment #{}", a.id.0),
        ),
        Found::SignUp(s) => (
            Command::CancelSignUp {
                code: s.code.clone(),
            },
            format!("sign-up #{}", s.id.0),
        ),
        Found::Ticket(_) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "not-cancellable",
                "a ticket is not cancelled from a phone: tell reception if you leave",
            )
            .into_response();
        }
    };
    let h = hub.clone();
    let lang = lang_of(&found);
    let result = hub
        .inner
        .follow
        .engine_work(move || {
            let now = h.now();
            let done = h.session().execute(&cmd, now);
            if done.is_ok() {
                // The audit log says a visitor did it, from their link (no name, no code).
                if let Err(e) = h
                    .auth_store()
                    .log_security(now, "visitor-cancel", &target, "")
                {
                    log::warn!("cannot record the cancellation in the audit log: {e}");
                }
            }
            done
        })
        .await;
    match result {
        Ok(Ok(_)) if is_form => {
            let w = Words::new(lang);
            let body = format!(
                "<main class=\"booking state-cancelled\"><h1>{}</h1></main>",
                esc(&w.t("follow-cancelled"))
            );
            no_store(Html(shell(&w, lang, &w.t("follow-cancelled"), &body)).into_response())
        }
        Ok(Ok(events)) => {
            axum::Json(json!({"status": "cancelled", "events": events.len()})).into_response()
        }
        Ok(Err(crate::engine::EngineError::Queue(q))) => {
            ApiError::queue(&q, lang, &hub).into_response()
        }
        Ok(Err(crate::engine::EngineError::Store(e))) => {
            ApiError::storage(&e, lang).into_response()
        }
        Ok(Err(crate::engine::EngineError::Replaced(_))) => {
            ApiError::replaced(&hub, lang).into_response()
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../assets/follow/follow.js"),
    )
        .into_response()
}
