//! Shared fixtures: a small test center open around the clock, and fixed instants.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use integra::core::{Catalog, Command, Lang, Queue, ServiceCode, Stamped};
use std::sync::Arc;

/// Two walk-in services (one also by appointment), one activity service, three counters with
/// overlapping services, a fairness bound of 2 overtakes or 45 minutes.
pub const TEST_CATALOG: &str = r#"
[center]
name = "Centro de prueba"
timezone = "America/Bogota"
languages = ["es", "en"]
default_language = "es"
retention_days = 30
default_service_minutes = 10
booking_days_ahead = 14

[priority]
max_overtakes = 2
max_wait_minutes = 45

[[priority.classes]]
code = "pregnant"
icon = "pregnant"
name = { es = "Embarazada", en = "Pregnant" }

[[priority.classes]]
code = "older"
icon = "older"
name = { es = "Persona mayor", en = "Older person" }

[[services]]
code = "info"
prefix = "A"
icon = "info"
modes = ["walk-in"]
name = { es = "Información", en = "Information" }
description = { es = "Le orientamos.", en = "We guide you." }
hours = { mon = ["00:00-23:59"], tue = ["00:00-23:59"], wed = ["00:00-23:59"], thu = ["00:00-23:59"], fri = ["00:00-23:59"], sat = ["00:00-23:59"], sun = ["00:00-23:59"] }

[[services]]
code = "legal"
prefix = "B"
icon = "legal"
modes = ["walk-in", "appointment"]
name = { es = "Legal", en = "Legal" }
description = { es = "Asesoría legal.", en = "Legal advice." }
hours = { mon = ["00:00-23:59"], tue = ["00:00-23:59"], wed = ["00:00-23:59"], thu = ["00:00-23:59"], fri = ["00:00-23:59"], sat = ["00:00-23:59"], sun = ["00:00-23:59"] }
appointments = { slot_minutes = 30, capacity = 2, hours = { mon = ["08:00-12:00"], tue = ["08:00-12:00"], wed = ["08:00-12:00"], thu = ["08:00-12:00"], fri = ["08:00-12:00"] } }

[[services]]
code = "jobs"
prefix = "E"
icon = "jobs"
modes = ["walk-in"]
name = { es = "Empleo", en = "Jobs" }
description = { es = "Trabajo.", en = "Work." }
hours = { mon = ["08:00-12:00"] }

[[services]]
code = "culture"
prefix = "K"
icon = "culture"
modes = ["activity"]
name = { es = "Talleres", en = "Workshops" }
description = { es = "Talleres abiertos.", en = "Open workshops." }

[[counters]]
id = "1"
name = "Ventanilla 1"
services = ["info"]

[[counters]]
id = "2"
name = "Ventanilla 2"
services = ["info", "legal"]

[[counters]]
id = "3"
name = "Ventanilla 3"
services = ["legal", "jobs"]

[[activities]]
code = "sewing"
service = "culture"
title = { es = "Costura", en = "Sewing" }
place = "Taller"
weekdays = ["mon", "wed"]
start = "15:00"
minutes = 90
seats = 3
"#;

pub fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::parse(TEST_CATALOG, "test.toml").expect("the test catalog is valid"))
}

pub fn tz() -> Tz {
    chrono_tz::America::Bogota
}

/// A local time in Bogotá on a day of January 2026 (the 5th is a Monday).
pub fn local(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    tz().with_ymd_and_hms(2026, 1, day, h, m, 0)
        .single()
        .expect("valid local time")
        .with_timezone(&Utc)
}

/// Monday 2026-01-05 09:00 in Bogotá.
pub fn monday_9() -> DateTime<Utc> {
    local(5, 9, 0)
}

pub fn mins(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn issue(service: &str, priority: Option<&str>) -> Command {
    Command::IssueTicket {
        service: ServiceCode::from(service),
        lang: Lang::Es,
        priority: priority.map(Into::into),
    }
}

/// Apply a command that must succeed; return its events.
pub fn ok(q: &mut Queue, cmd: Command, now: DateTime<Utc>) -> Vec<Stamped> {
    match q.apply(&cmd, now) {
        Ok(e) => e,
        Err(e) => panic!("{cmd:?} at {now} failed: {e}"),
    }
}

/// The label of the ticket issued by these events.
pub fn issued_label(events: &[Stamped]) -> String {
    events
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::TicketIssued { ticket, .. } => Some(ticket.label()),
            _ => None,
        })
        .expect("a ticket was issued")
}

/// The label of the ticket called by these events.
pub fn called_label(q: &Queue, events: &[Stamped]) -> String {
    events
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::TicketCalled { ticket, .. } => {
                q.ticket(*ticket).map(|t| t.label())
            }
            _ => None,
        })
        .expect("a ticket was called")
}

/// The appointment booked by these events.
pub fn booked(events: &[Stamped]) -> integra::core::Appointment {
    events
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::AppointmentBooked { appointment } => Some(appointment.clone()),
            _ => None,
        })
        .expect("an appointment was booked")
}

/// The sign-up made by these events, with its waitlist position.
pub fn signed(events: &[Stamped]) -> (integra::core::SignUp, Option<u32>) {
    events
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::SignedUp {
                signup,
                waitlist_position,
            } => Some((signup.clone(), *waitlist_position)),
            _ => None,
        })
        .expect("a sign-up was made")
}

/// An HTTP client for a hub served in plain HTTP by the test itself (the program's TLS provider
/// installed first, as the program does).
pub fn http() -> reqwest::Client {
    integra::hub::tls::provider();
    reqwest::Client::new()
}

/// An HTTP client that talks only to the hub whose identity is in `data` (a real `integra hub`
/// serves HTTPS only).
pub fn https_to(data: &std::path::Path) -> reqwest::ClientBuilder {
    let id = integra::hub::tls::Identity::load_or_create(data).expect("the hub's identity");
    integra::hub::tls::http_client(&integra::hub::tls::Pin::to(&id.fingerprint()))
        .expect("TLS client")
}

/// A loopback port nothing listens on now (the one place tests pick a port: none uses a fixed
/// one, so a demo hub on 7878 beside the tests changes nothing).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `integra --data DATA --catalog FILE --at <Monday 09:00> ARGS…`: a technician's command on a
/// test data directory (the environment's own data directory and settings set aside).
pub fn integra_at_monday_9(
    data: &std::path::Path,
    catalog_file: &std::path::Path,
    args: &[&str],
) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_integra"));
    c.arg("--data")
        .arg(data)
        .arg("--catalog")
        .arg(catalog_file)
        .arg("--at")
        .arg(monday_9().to_rfc3339())
        .args(args)
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS");
    c
}

/// A hub on a fixed clock (Monday 09:00) over `dir`, serving plain HTTP on a free loopback
/// port: its runtime (keep it alive), the hub and its address.
pub fn serve(
    dir: &std::path::Path,
) -> (
    tokio::runtime::Runtime,
    integra::hub::Hub,
    std::net::SocketAddr,
) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(dir, catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let (addr, _) = rt
        .block_on(hub.serve(std::net::SocketAddr::from(([127, 0, 0, 1], 0))))
        .expect("serve");
    (rt, hub, addr)
}

/// Pair a device named `name` with `role` to the hub at `addr` (a PIN made in its store):
/// the device's token.
pub fn pair(
    addr: std::net::SocketAddr,
    dir: &std::path::Path,
    role: integra::hub::Role,
    name: &str,
) -> String {
    let store = integra::store::Store::open(dir).expect("store");
    let (pin, _) = integra::hub::auth::new_pin(&store, role, chrono::Utc::now()).expect("pin");
    let (token, _) =
        integra::hub::client::Remote::pair(&format!("http://{addr}"), &pin, name).expect("pair");
    token
}
