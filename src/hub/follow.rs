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

use super::api::ApiError;
use super::{Hub, Inner, Push, lock};
use crate::core::{
    Appointment, AppointmentId, AppointmentState, Command, Event, Lang, SignUp, SignUpId, Stamped,
    Ticket, TicketId, TicketState, pick,
};
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
use std::time::{Duration, Instant};

/// What a link follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Ticket(TicketId),
    Appointment(AppointmentId),
    SignUp(SignUpId),
}

impl Subject {
    fn kind(self) -> u8 {
        match self {
            Subject::Ticket(_) => b't',
            Subject::Appointment(_) => b'a',
            Subject::SignUp(_) => b's',
        }
    }

    fn id(self) -> u64 {
        match self {
            Subject::Ticket(TicketId(id))
            | Subject::Appointment(AppointmentId(id))
            | Subject::SignUp(SignUpId(id)) => id,
        }
    }

    /// What a command's own events give a link to: the ticket issued (walk-in or check-in),
    /// the appointment booked, the sign-up made.
    pub fn of_events(events: &[Stamped]) -> Option<(Subject, NaiveDate)> {
        events.iter().find_map(|e| match &e.event {
            Event::TicketIssued { ticket, .. } => Some((Subject::Ticket(ticket.id), ticket.day)),
            Event::AppointmentBooked { appointment } => {
                Some((Subject::Appointment(appointment.id), appointment.date))
            }
            Event::SignedUp { signup, .. } => Some((Subject::SignUp(signup.id), signup.date)),
            _ => None,
        })
    }
}

const MAC_BYTES: usize = 16;

/// HMAC-SHA256 (RFC 2104) of `message` under a 32-byte key.
fn hmac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn mac(key: &[u8; 32], subject: Subject, day: NaiveDate) -> [u8; MAC_BYTES] {
    let mut m = b"integra-follow\0".to_vec();
    m.push(subject.kind());
    m.extend_from_slice(&subject.id().to_be_bytes());
    m.extend_from_slice(day.to_string().as_bytes());
    let full = hmac(key, &m);
    let mut out = [0u8; MAC_BYTES];
    out.copy_from_slice(&full[..MAC_BYTES]);
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes() {
        let v = B64.iter().position(|b| *b == c)? as u32;
        bits = bits << 6 | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

/// The token of a link (kind · id · MAC, base64url).
pub fn token(key: &[u8; 32], subject: Subject, day: NaiveDate) -> String {
    let mut b = vec![subject.kind()];
    b.extend_from_slice(&subject.id().to_be_bytes());
    b.extend_from_slice(&mac(key, subject, day));
    b64(&b)
}

/// What a token claims (not yet checked against its day's MAC).
fn parse(token: &str) -> Option<(Subject, [u8; MAC_BYTES])> {
    if token.len() != 34 {
        return None;
    }
    let b = unb64(token)?;
    // One spelling per link (the last character's spare bits must be zero).
    if b.len() != 1 + 8 + MAC_BYTES || b64(&b) != token {
        return None;
    }
    let id = u64::from_be_bytes(b[1..9].try_into().ok()?);
    let subject = match b[0] {
        b't' => Subject::Ticket(TicketId(id)),
        b'a' => Subject::Appointment(AppointmentId(id)),
        b's' => Subject::SignUp(SignUpId(id)),
        _ => return None,
    };
    let mut m = [0u8; MAC_BYTES];
    m.copy_from_slice(&b[9..]);
    Some((subject, m))
}

/// Compare without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

// ---------------------------------------------------------------- where phones reach the hub

/// Check a `follow_url` setting: `http(s)://HOST[:PORT]` with HOST an IP address or a `.local`
/// name (the hub answers no other name), nothing after. Returns it without a trailing slash.
pub fn check_base(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| {
            format!(
                "'{url}' does not start with http:// or https:// (e.g. http://192.168.1.10:7878)"
            )
        })?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
        return Err(format!(
            "'{url}' must be only the address phones reach, with no path (e.g. http://192.168.1.10:7878)"
        ));
    }
    if !super::http::host_ok(rest) {
        return Err(format!(
            "'{url}': the hub answers only at an IP address or a .local name (e.g. http://192.168.1.10:7878 or http://integra.local:7878)"
        ));
    }
    Ok(url.to_string())
}

/// The address of this machine on the LAN that phones most likely reach (a private IPv4
/// address of an interface that is up), if any.
fn lan_address() -> Option<IpAddr> {
    let addrs = if_addrs::get_if_addrs().ok()?;
    let v4: Vec<std::net::Ipv4Addr> = addrs
        .iter()
        .filter(|i| !i.is_loopback())
        .filter_map(|i| match i.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    v4.iter()
        .find(|a| a.is_private())
        .or_else(|| v4.first())
        .map(|a| IpAddr::V4(*a))
}

/// Where links point, and what limits their pages.
#[derive(Default)]
pub struct Links {
    key: std::sync::OnceLock<[u8; 32]>,
    /// The technician's `follow_url`, when set.
    base: std::sync::RwLock<Option<String>>,
    /// The address the hub listens on (set when it starts serving).
    listen: std::sync::OnceLock<SocketAddr>,
    limits: std::sync::Mutex<HashMap<IpAddr, Seen>>,
}

#[derive(Default)]
struct Seen {
    requests: VecDeque<Instant>,
    unknown: VecDeque<Instant>,
}

/// Pages and answers one address may ask for per minute (a phone long-polls about twice a
/// minute; a family on one address follows a few tickets).
pub const REQUESTS_PER_MINUTE: usize = 120;
/// Unknown or expired links one address may try per 10 minutes before it is refused.
pub const UNKNOWN_PER_10_MINUTES: usize = 20;

impl Links {
    pub(crate) fn set_key(&self, key: [u8; 32]) {
        let _ = self.key.set(key);
    }

    pub(crate) fn set_listen(&self, addr: SocketAddr) {
        let _ = self.listen.set(addr);
    }

    pub(crate) fn set_base(&self, base: Option<String>) {
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = base;
    }

    /// The address links start with: the setting, else the hub's own address (its LAN address
    /// when it listens on all interfaces). `None` while the hub serves nothing.
    pub fn base(&self) -> Option<String> {
        if let Some(b) = self.base.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Some(b);
        }
        let listen = self.listen.get()?;
        let ip = if listen.ip().is_unspecified() {
            lan_address()?
        } else {
            listen.ip()
        };
        Some(format!("http://{}", SocketAddr::new(ip, listen.port())))
    }

    /// The link of `subject` (of local day `day`).
    pub fn url(&self, subject: Subject, day: NaiveDate) -> Option<String> {
        let key = self.key.get()?;
        Some(format!("{}/f/{}", self.base()?, token(key, subject, day)))
    }

    /// Count a request from `ip`; `Err(seconds)` when it must wait.
    fn admit(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut all = lock(&self.limits);
        if all.len() > 10_000 {
            all.retain(|_, s| {
                s.requests
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(600))
            });
        }
        let s = all.entry(super::auth::address_bucket(ip)).or_default();
        prune(&mut s.requests, now, Duration::from_secs(60));
        prune(&mut s.unknown, now, Duration::from_secs(600));
        if s.unknown.len() >= UNKNOWN_PER_10_MINUTES {
            return Err(wait_for(&s.unknown, now, Duration::from_secs(600)));
        }
        if s.requests.len() >= REQUESTS_PER_MINUTE {
            return Err(wait_for(&s.requests, now, Duration::from_secs(60)));
        }
        s.requests.push_back(now);
        Ok(())
    }

    /// A link that opens nothing was asked for from `ip`.
    fn unknown(&self, ip: IpAddr) {
        let mut all = lock(&self.limits);
        all.entry(super::auth::address_bucket(ip))
            .or_default()
            .unknown
            .push_back(Instant::now());
    }
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

fn wait_for(q: &VecDeque<Instant>, now: Instant, window: Duration) -> u64 {
    q.front().map_or(1, |t| {
        (window.saturating_sub(now.duration_since(*t))).as_secs() + 1
    })
}

impl Inner {
    /// The follow link of what a command's own events made, if the hub serves links.
    pub(crate) fn follow_url_for(&self, events: &[Stamped]) -> Option<String> {
        let (subject, day) = Subject::of_events(events)?;
        self.follow.url(subject, day)
    }
}

impl Hub {
    /// The address phones reach the hub at, for follow links (`follow_url` in the settings);
    /// `None`: the hub's own address.
    pub fn set_follow_base(&self, base: Option<String>) {
        self.inner.follow.set_base(base);
    }

    /// The follow link of what a command's own events made (a ticket, an appointment, a
    /// sign-up), when the hub serves links.
    pub fn follow_url(&self, events: &[Stamped]) -> Option<String> {
        self.inner.follow_url_for(events)
    }
}

// ---------------------------------------------------------------- what a link shows

/// What a valid link opens (as it was when the link was checked).
#[derive(Clone)]
enum Found {
    Ticket(Box<Ticket>),
    Appointment(Box<Appointment>),
    SignUp(Box<SignUp>),
}

/// The subject of a valid token, still valid today; `None` for anything else.
fn resolve(hub: &Hub, token: &str) -> Option<Found> {
    let (subject, given) = parse(token)?;
    let key = hub.inner.follow.key.get()?;
    let s = hub.session();
    let q = s.queue();
    let today = q.local(hub.now()).date();
    let (day, found) = match subject {
        Subject::Ticket(id) => {
            let t = q.ticket(id)?;
            (t.day, Found::Ticket(Box::new(t.clone())))
        }
        Subject::Appointment(id) => {
            let a = q.state().appointments.get(&id)?;
            (a.date, Found::Appointment(Box::new(a.clone())))
        }
        Subject::SignUp(id) => {
            let su = q.state().signups.get(&id)?;
            (su.date, Found::SignUp(Box::new(su.clone())))
        }
    };
    if !same(&mac(key, subject, day), &given) {
        return None;
    }
    let valid = match subject {
        Subject::Ticket(_) => day == today,
        Subject::Appointment(_) | Subject::SignUp(_) => day >= today,
    };
    valid.then_some(found)
}

/// The page's words in one language. The embedded locales are checked by the tests; should
/// one not load, the page shows message ids rather than failing the visitor's request.
struct Words {
    l: Option<Localizer>,
}

impl Words {
    fn new(lang: Lang) -> Words {
        let l = Localizer::new(lang).or_else(|_| Localizer::new(Lang::En));
        if let Err(e) = &l {
            log::error!("the embedded locales do not load: {e}");
        }
        Words { l: l.ok() }
    }

    fn text(&self, id: &str, args: Option<&FluentArgs>) -> String {
        self.l
            .as_ref()
            .map_or_else(|| id.to_string(), |l| l.text(id, args))
    }

    fn t(&self, id: &str) -> String {
        self.text(id, None)
    }

    fn ta(&self, id: &str, args: &[(&str, FluentValue<'static>)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.text(id, Some(&a))
    }

    fn date(&self, d: NaiveDate) -> String {
        format!(
            "{} {}",
            self.t(weekday_id(d.weekday())),
            d.format("%d/%m/%Y")
        )
    }
}

fn lang_param(q: &PageQuery) -> Option<Lang> {
    q.lang.as_deref().and_then(|l| l.parse().ok())
}

/// The view of a link: the JSON phones poll, and what the page shows.
fn view(hub: &Hub, found: &Found, lang: Lang, feedback_given: bool) -> Value {
    let catalog = hub.catalog();
    let fallback = catalog.center.default_language;
    let w = Words::new(lang);
    let s = hub.session();
    let q = s.queue();
    let mut v = match found {
        Found::Ticket(t) => {
            let t = q.ticket(t.id).unwrap_or(t);
            let ahead = q.ahead_of(t.id);
            let wait = ahead.map(|a| q.estimate_minutes(&t.service, a + 1));
            let counter = t.counter.as_ref().map(|c| {
                let public = catalog.public_counter(c);
                catalog
                    .counter(&public)
                    .map_or_else(|| public.to_string(), |c| c.public().to_string())
            });
            let service = (!t.is_discreet()).then(|| {
                catalog
                    .service(&t.service)
                    .map(|s| pick(&s.name, lang, fallback).to_string())
                    .unwrap_or_default()
            });
            let headline = match t.state {
                TicketState::Waiting => match ahead {
                    Some(0) | None => w.t("follow-next"),
                    Some(n) => w.ta("follow-ahead", &[("count", FluentValue::from(n))]),
                },
                TicketState::Called => w.ta(
                    "follow-called",
                    &[(
                        "counter",
                        FluentValue::from(counter.clone().unwrap_or_default()),
                    )],
                ),
                TicketState::Serving => w.ta(
                    "follow-serving",
                    &[(
                        "counter",
                        FluentValue::from(counter.clone().unwrap_or_default()),
                    )],
                ),
                TicketState::Done => w.t("follow-done"),
                TicketState::NoShow | TicketState::Cancelled => w.t("follow-closed"),
            };
            let detail = match (t.state, ahead, wait) {
                (TicketState::Waiting, Some(a), Some(m)) if a > 0 => {
                    w.ta("follow-wait", &[("minutes", FluentValue::from(m))])
                }
                (TicketState::Waiting, _, _) => w.t("follow-live"),
                (TicketState::Called, _, _) => w.t("follow-called-at"),
                (TicketState::Done, _, _) if feedback_given => w.t("follow-thanks"),
                _ => String::new(),
            };
            json!({
                "kind": "ticket",
                "label": t.label(),
                "state": t.state.as_str(),
                "ahead": ahead,
                "estimated_wait_minutes": wait,
                "counter": counter,
                "service": service,
                "feedback": if t.state != TicketState::Done { "not-yet" } else if feedback_given { "given" } else { "open" },
                "headline": headline,
                "detail": detail,
            })
        }
        Found::Appointment(a) => {
            let a = q.state().appointments.get(&a.id).unwrap_or(a);
            let service = catalog.service(&a.service);
            let discreet = service.is_some_and(|s| s.discreet);
            let name = (!discreet)
                .then(|| service.map(|s| pick(&s.name, lang, fallback).to_string()))
                .flatten();
            let bring = (!discreet)
                .then(|| service.map(|s| pick(&s.bring, lang, fallback).to_string()))
                .flatten()
                .filter(|b| !b.is_empty());
            let state = match a.state {
                AppointmentState::Booked => "booked",
                AppointmentState::CheckedIn => "checked-in",
                AppointmentState::Cancelled => "cancelled",
                AppointmentState::Missed => "missed",
            };
            let headline = match a.state {
                AppointmentState::Booked => {
                    name.clone().unwrap_or_else(|| w.t("follow-appointment"))
                }
                AppointmentState::CheckedIn => w.t("follow-checked-in"),
                AppointmentState::Cancelled => w.t("follow-cancelled"),
                AppointmentState::Missed => w.t("follow-missed"),
            };
            json!({
                "kind": "appointment",
                "state": state,
                "service": name,
                "date": a.date,
                "time": a.time.format("%H:%M").to_string(),
                "when": w.ta("follow-when", &[("date", FluentValue::from(w.date(a.date))), ("time", FluentValue::from(a.time.format("%H:%M").to_string()))]),
                "place": catalog.center.name,
                "bring": bring,
                "cancellable": a.state == AppointmentState::Booked,
                "headline": headline,
                "detail": "",
            })
        }
        Found::SignUp(su) => {
            let su = q.state().signups.get(&su.id).unwrap_or(su);
            let activity = catalog.activities.iter().find(|x| x.code == su.activity);
            let title = activity.map(|x| pick(&x.title, lang, fallback).to_string());
            let place = activity.map_or_else(|| catalog.center.name.clone(), |x| x.place.clone());
            let time = activity
                .map(|x| x.start.0.format("%H:%M").to_string())
                .unwrap_or_default();
            let cancelled = !q.state().signups.contains_key(&su.id);
            json!({
                "kind": "signup",
                "state": if cancelled { "cancelled" } else if su.seated { "seated" } else { "waitlist" },
                "activity": title,
                "date": su.date,
                "time": time,
                "when": w.ta("follow-when", &[("date", FluentValue::from(w.date(su.date))), ("time", FluentValue::from(time.clone()))]),
                "place": place,
                "bring": Value::Null,
                "cancellable": !cancelled,
                "headline": if cancelled { w.t("follow-cancelled") } else { title.clone().unwrap_or_else(|| w.t("follow-signup")) },
                "detail": if !cancelled && !su.seated { w.t("follow-waitlist") } else { String::new() },
            })
        }
    };
    v["lang"] = json!(lang);
    v["center"] = json!(catalog.center.name);
    // A version of what the page shows: a long poll returns as soon as it changes.
    let version = {
        let text = v.to_string();
        let h = Sha256::digest(text.as_bytes());
        b64(&h[..9])
    };
    v["version"] = json!(version);
    v
}

fn lang_of(found: &Found) -> Lang {
    match found {
        Found::Ticket(t) => t.lang,
        Found::Appointment(a) => a.lang,
        Found::SignUp(s) => s.lang,
    }
}

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

/// Long polls held at once; past this a poll is answered at once (the phone asks again), so
/// waiting phones can never hold more than this many tasks.
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
    let w = Words::new(lang);
    let mut r = if json {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            format!("too many requests from this address: wait {secs} s"),
        )
        .into_response()
    } else {
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
) -> Result<Found, Response> {
    let fallback = lang.unwrap_or(hub.catalog().center.default_language);
    if let Err(secs) = hub.inner.follow.admit(ip) {
        return Err(too_many(secs, fallback, json));
    }
    let h = hub.clone();
    let t = token.to_string();
    let found = tokio::task::spawn_blocking(move || resolve(&h, &t))
        .await
        .ok()
        .flatten();
    match found {
        Some(f) => Ok(f),
        None => {
            hub.inner.follow.unknown(ip);
            Err(gone(hub, lang, json))
        }
    }
}

async fn current(hub: &Hub, found: &Found, lang: Lang) -> Value {
    let h = hub.clone();
    let f = found.clone();
    tokio::task::spawn_blocking(move || {
        let given = match &f {
            Found::Ticket(t) => h
                .auth_store()
                .feedback_given(t.day, t.id.0)
                .unwrap_or(false),
            _ => false,
        };
        view(&h, &f, lang, given)
    })
    .await
    .unwrap_or(Value::Null)
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
    let found = match open(&hub, peer.ip(), &token, lang_param(&q), json).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lang = lang_param(&q).unwrap_or_else(|| lang_of(&found));
    // Subscribe before reading, so a change between the two is not missed.
    let mut pushes = hub.subscribe();
    let mut v = current(&hub, &found, lang).await;
    if json {
        if let Some(wait) = q.wait.as_deref()
            && let Some(_held) = Held::take()
        {
            let deadline = tokio::time::Instant::now() + LONG_POLL;
            while v["version"].as_str() == Some(wait) {
                match tokio::time::timeout_at(deadline, pushes.recv()).await {
                    Err(_) => break,
                    Ok(
                        Ok(Push::Event(_))
                        | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)),
                    ) => {
                        v = current(&hub, &found, lang).await;
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) => break,
                }
            }
        }
        return no_store(axum::Json(v).into_response());
    }
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
    let found = match open(&hub, peer.ip(), &token, None, json).await {
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
    let result =
        tokio::task::spawn_blocking(move || -> Result<Result<(), &'static str>, String> {
            let (state, service) = {
                let s = h.session();
                let t = s.queue().ticket(id).ok_or("gone")?;
                (t.state, t.service.to_string())
            };
            if state != TicketState::Done {
                return Ok(Err("visit-not-finished"));
            }
            let fresh = h
                .side_store()
                .and_then(|mut s| {
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
                })
                .map_err(|e| e.to_string())?;
            Ok(if fresh { Ok(()) } else { Err("feedback-given") })
        })
        .await;
    match result {
        Ok(Ok(Ok(()))) if is_form => see_page(&token),
        Ok(Ok(Ok(()))) => {
            (StatusCode::CREATED, axum::Json(json!({"status": "thanks"}))).into_response()
        }
        Ok(Ok(Err("visit-not-finished"))) => ApiError::new(
            StatusCode::CONFLICT,
            "visit-not-finished",
            "the question is asked once the visit has finished at the counter",
        )
        .into_response(),
        Ok(Ok(Err(_))) if is_form => see_page(&token),
        Ok(Ok(Err(_))) => ApiError::new(
            StatusCode::CONFLICT,
            "feedback-given",
            "this visit's feedback was already given (once per visit)",
        )
        .into_response(),
        Ok(Err(e)) if e == "gone" => gone(&hub, None, json),
        Ok(Err(e)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            format!("the answer could not be saved: {e}"),
        )
        .into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
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
    let found = match open(&hub, peer.ip(), &token, None, !is_form).await {
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
    let result = tokio::task::spawn_blocking(move || {
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
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/follow/follow.js"),
    )
        .into_response()
}

// ---------------------------------------------------------------- the page

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The page around a body: one small inline style, nothing fetched but the page's own script.
fn shell(w: &Words, lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{}</style></head><body>{}<p class=langs aria-label=\"{}\">{}</p></body></html>",
        lang.code(),
        esc(title),
        include_str!("../../assets/follow/follow.css"),
        body,
        esc(&w.t("follow-language")),
        langs(lang),
    )
}

fn langs(current: Lang) -> String {
    Lang::ALL
        .iter()
        .map(|l| {
            if *l == current {
                format!("<b>{}</b>", esc(l.native_name()))
            } else {
                format!(
                    "<a href=\"?lang={}\">{}</a>",
                    l.code(),
                    esc(l.native_name())
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn render(w: &Words, token: &str, v: &Value, lang: Lang, ask_cancel: bool) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let mut out = String::new();
    match v["kind"].as_str() {
        Some("ticket") => {
            let state = s("state");
            out.push_str(&format!(
                "<main id=follow data-token=\"{}\" data-lang=\"{}\" data-version=\"{}\" data-state=\"{}\" class=\"state-{}\">",
                esc(token),
                lang.code(),
                esc(&s("version")),
                esc(&state),
                esc(&state)
            ));
            out.push_str(&format!(
                "<p class=center>{}</p><p class=label-caption>{}</p><p class=number id=number>{}</p>",
                esc(&s("center")),
                esc(&w.t("follow-number")),
                esc(&s("label"))
            ));
            if let Some(service) = v["service"].as_str() {
                out.push_str(&format!("<p class=service>{}</p>", esc(service)));
            }
            out.push_str(&format!(
                "<h1 id=headline aria-live=assertive>{}</h1><p class=detail id=detail aria-live=polite>{}</p>",
                esc(&s("headline")),
                esc(&s("detail"))
            ));
            out.push_str(&format!(
                "<button id=sound type=button hidden>{}</button>",
                esc(&w.t("follow-sound"))
            ));
            let open = v["feedback"] == "open";
            out.push_str(&format!(
                "<form id=feedback method=post action=\"/f/{}/feedback\"{}><fieldset class=faces><legend>{}</legend>",
                esc(token),
                if open { "" } else { " hidden" },
                esc(&w.t("follow-question"))
            ));
            for (n, face, id) in [
                (1, "☹", "follow-face-1"),
                (2, "😐", "follow-face-2"),
                (3, "☺", "follow-face-3"),
            ] {
                out.push_str(&format!(
                    "<label class=face><input type=radio name=rating value={n} required><span aria-hidden=true>{face}</span><span class=face-name>{}</span></label>",
                    esc(&w.t(id))
                ));
            }
            out.push_str("</fieldset><fieldset class=ticks>");
            for (k, id) in [
                ("waited_too_long", "follow-waited-too-long"),
                ("not_understood", "follow-not-understood"),
                ("got_what_needed", "follow-got-what-needed"),
            ] {
                out.push_str(&format!(
                    "<label><input type=checkbox name={k} value=1> {}</label>",
                    esc(&w.t(id))
                ));
            }
            out.push_str(&format!(
                "</fieldset><button type=submit>{}</button></form>",
                esc(&w.t("follow-send"))
            ));
            out.push_str("</main><script src=\"/f/follow.js\"></script>");
        }
        _ => {
            out.push_str(&format!(
                "<main class=\"booking state-{}\"><p class=center>{}</p><h1>{}</h1><p class=detail>{}</p><dl>",
                esc(&s("state")),
                esc(&s("center")),
                esc(&s("headline")),
                esc(&s("detail"))
            ));
            out.push_str(&format!(
                "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>",
                esc(&w.t("follow-when-label")),
                esc(&s("when")),
                esc(&w.t("follow-place")),
                esc(&s("place"))
            ));
            if let Some(b) = v["bring"].as_str() {
                out.push_str(&format!(
                    "<dt>{}</dt><dd>{}</dd>",
                    esc(&w.t("follow-bring")),
                    esc(b)
                ));
            }
            out.push_str("</dl>");
            if v["cancellable"] == true {
                if ask_cancel {
                    out.push_str(&format!(
                        "<form method=post action=\"/f/{}/cancel\" class=confirm><p>{}</p><button type=submit class=danger>{}</button> <a class=button href=\"/f/{}?lang={}\">{}</a></form>",
                        esc(token),
                        esc(&w.t("follow-cancel-confirm")),
                        esc(&w.t("follow-cancel-yes")),
                        esc(token),
                        lang.code(),
                        esc(&w.t("follow-cancel-no"))
                    ));
                } else {
                    out.push_str(&format!(
                        "<p><a class=\"button secondary\" href=\"/f/{}?ask=cancel&amp;lang={}\">{}</a></p>",
                        esc(token),
                        lang.code(),
                        esc(&w.t("follow-cancel"))
                    ));
                }
            }
            out.push_str("</main>");
        }
    }
    out
}
