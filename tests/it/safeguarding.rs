//! Safeguarding: nothing public (the lobby display and its stream, a kiosk's stream, the slip,
//! the kiosk's ticket screen, the spoken call) reveals that a visitor came for protection; staff
//! see who needs what and are alerted; a kiosk cannot probe codes or flood the queue.

use super::common::*;
use super::hub::{Ws, next_msg, start_hub, subscribe, try_msg};
use integra::core::{Catalog, Command, Event, Lang, Queue, Stamped, public};
use integra::hub::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn demo() -> Arc<Catalog> {
    Arc::new(Catalog::demo().expect("demo"))
}

fn issue_in(service: &str, priority: Option<&str>, lang: Lang) -> Command {
    Command::IssueTicket {
        service: service.into(),
        lang,
        priority: priority.map(Into::into),
    }
}

fn issued(events: &[Stamped]) -> integra::core::Ticket {
    events
        .iter()
        .find_map(|e| match &e.event {
            Event::TicketIssued { ticket, .. } => Some(ticket.clone()),
            _ => None,
        })
        .expect("a ticket was issued")
}

// ---------------------------------------------------------------- the pure core

/// A discreet service takes its numbers from the ordinary service with its letter; a discreet
/// class keeps its service's own letter; both are marked with the service the public is shown.
#[test]
fn a_discreet_ticket_takes_an_ordinary_number() {
    let mut q = Queue::new(demo());
    let at = monday_9();
    let rows = [
        // (service, class, label, cover)
        ("info", None, "A-001", None),
        ("protection", None, "A-002", Some("info")),
        ("info", None, "A-003", None),
        ("legal", Some("protection"), "B-001", Some("legal")),
        ("legal", Some("older"), "B-002", None),
        ("protection", Some("pregnant"), "A-004", Some("info")),
    ];
    for (service, class, label, cover) in rows {
        let t = issued(&ok(&mut q, issue_in(service, class, Lang::Es), at));
        assert_eq!(t.label(), label, "{service} {class:?}");
        assert_eq!(
            t.cover.as_ref().map(|c| c.as_str()),
            cover,
            "{label}: the service the public is shown"
        );
        assert_eq!(t.is_discreet(), cover.is_some());
    }
    q.state().check_invariants().expect("invariants");
}

/// Sent to a discreet service, a ticket becomes discreet and stays so (even when sent back);
/// replaying the events gives the same.
#[test]
fn a_transfer_to_a_discreet_service_makes_the_ticket_discreet() {
    let mut q = Queue::new(demo());
    let at = monday_9();
    let mut log = ok(&mut q, issue_in("health", None, Lang::Ht), at);
    let t = issued(&log);
    assert!(!t.is_discreet());
    let moved = ok(
        &mut q,
        Command::Transfer {
            ticket: t.id,
            to: "protection".into(),
        },
        at,
    );
    let cover = moved.iter().find_map(|e| match &e.event {
        Event::TicketTransferred { cover, .. } => Some(cover.clone()),
        _ => None,
    });
    assert_eq!(cover, Some(Some("health".into())), "C is health's letter");
    log.extend(moved);
    assert!(q.ticket(t.id).expect("ticket").is_discreet());
    log.extend(ok(
        &mut q,
        Command::Transfer {
            ticket: t.id,
            to: "legal".into(),
        },
        at,
    ));
    assert!(
        q.ticket(t.id).expect("ticket").is_discreet(),
        "once discreet, discreet for the day"
    );
    let replayed = Queue::replay(demo(), &log);
    assert_eq!(replayed.state(), q.state());
}

/// A visitor's figures (people ahead, wait) are those of their place in the queue the lobby
/// sees, counted on `Queue::for_public` as the display lists it: for ordinary, priority,
/// discreet-service, discreet-class and transferred tickets alike. The kiosk is told the same
/// when the ticket is issued, and a ticket no longer waiting has no place.
#[test]
fn a_visitors_figures_are_their_place_in_the_public_queue() {
    let mut q = Queue::new(demo());
    let at = monday_9();
    let rows = [
        ("info", None),
        ("protection", None),
        ("info", Some("older")),
        ("legal", Some("protection")),
        ("health", None),
        ("legal", None),
        ("protection", Some("pregnant")),
        ("info", None),
        ("legal", Some("older")),
        ("health", None),
    ];
    let mut health = None;
    for (i, (service, class)) in rows.into_iter().enumerate() {
        let events = ok(
            &mut q,
            issue_in(service, class, Lang::Fr),
            at + mins(i as i64),
        );
        let (t, ahead, wait) = events
            .iter()
            .find_map(|e| match &e.event {
                Event::TicketIssued {
                    ticket,
                    ahead,
                    wait_minutes,
                } => Some((ticket.clone(), *ahead, *wait_minutes)),
                _ => None,
            })
            .expect("issued");
        let at_issue = q.position(t.id).expect("waiting");
        assert_eq!(
            (ahead, wait),
            (at_issue.ahead, at_issue.wait_minutes),
            "{}",
            t.label()
        );
        if service == "health" {
            health = Some(t.id);
        }
    }
    // A health visitor sent on to protection: discreet from now on, shown as health's.
    let moved = health.expect("a health ticket");
    ok(
        &mut q,
        Command::Transfer {
            ticket: moved,
            to: "protection".into(),
        },
        at + mins(20),
    );
    let public = q.for_public();
    let mut checked = 0;
    for t in q.state().tickets.values() {
        let shown = public.ticket(t.id).expect("in public");
        let listed = public.waiting(&shown.service);
        let i = listed
            .iter()
            .position(|x| x.id == t.id)
            .expect("listed under its public service");
        let priority = |x: &&&integra::core::Ticket| x.priority.is_some();
        let ahead = if shown.priority.is_some() {
            listed[..i].iter().filter(priority).count()
        } else {
            i + listed[i + 1..].iter().filter(priority).count()
        } as u32;
        let p = q.position(t.id).expect("waiting");
        assert_eq!(p.ahead, ahead, "{}: {listed:?}", t.label());
        assert_eq!(
            p.wait_minutes,
            public.estimate_minutes(&shown.service, ahead),
            "{}",
            t.label()
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
    assert!(q.ticket(moved).expect("moved").is_discreet());
    assert_eq!(
        public.ticket(moved).map(|t| t.service.as_str()),
        Some("health")
    );
    let called = ok(
        &mut q,
        Command::CallNext {
            counter: "1".into(),
        },
        at + mins(21),
    );
    let id = called
        .iter()
        .find_map(|e| match &e.event {
            Event::TicketCalled { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .expect("called");
    assert_eq!(
        q.position(id),
        None,
        "a called ticket has no place in the queue"
    );
}

/// The catalog refuses what would give a discreet visitor away, naming the field and the fix.
#[test]
fn the_catalog_refuses_what_would_reveal_a_discreet_visitor() {
    let demo_text = integra::core::catalog::DEMO_CATALOG;
    let cases: &[(&str, &str, &str, &str)] = &[
        // (what, replace, with, expected words in the error)
        (
            "a discreet service with a letter of its own",
            "code = \"protection\"\nprefix = \"A\"",
            "code = \"protection\"\nprefix = \"H\"",
            "services[7].prefix",
        ),
        (
            "a protected room announced by its own name",
            "name = \"Sala protegida\"\npublic_name = \"Recepción\"",
            "name = \"Sala protegida\"",
            "counters[4].public_name",
        ),
        (
            "a public name no ordinary counter shares",
            "name = \"Sala protegida\"\npublic_name = \"Recepción\"",
            "name = \"Sala protegida\"\npublic_name = \"Sala 9\"",
            "a public_name that a counter serving ordinary services also shows",
        ),
        (
            "no limit on wrong codes",
            "wrong_codes_per_minute = 5",
            "wrong_codes_per_minute = 0",
            "limits.wrong_codes_per_minute",
        ),
        (
            "no limit on tickets",
            "tickets_per_minute = 12",
            "tickets_per_minute = 0",
            "limits.tickets_per_minute",
        ),
    ];
    for (what, from, to, expected) in cases {
        assert!(demo_text.contains(from), "{what}: the demo has {from:?}");
        let text = demo_text.replacen(from, to, 1);
        let err = Catalog::parse(&text, "center.toml")
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted"));
        let msg = err.to_string();
        assert!(msg.contains(expected), "{what}: {msg}");
        assert!(
            msg.contains("center.toml:"),
            "{what}: names the line: {msg}"
        );
    }
    Catalog::parse(demo_text, "demo").expect("the demo itself is valid");
}

/// What a lobby device may know of a state: discreet tickets shown as ordinary ones of their
/// cover service, counters by their public name, no codes, names, phones or service times of
/// discreet services.
#[test]
fn the_public_state_shows_discreet_tickets_as_ordinary_ones() {
    let catalog = demo();
    let mut q = Queue::new(catalog.clone());
    let at = monday_9();
    ok(&mut q, issue_in("info", None, Lang::Es), at);
    let p = issued(&ok(&mut q, issue_in("protection", None, Lang::Ht), at));
    let b = issued(&ok(
        &mut q,
        issue_in("legal", Some("protection"), Lang::Fr),
        at,
    ));
    ok(
        &mut q,
        Command::CallNext {
            counter: "5".into(),
        },
        at,
    );
    ok(&mut q, Command::Finish { ticket: p.id }, at + mins(20));
    let p2 = issued(&ok(&mut q, issue_in("protection", None, Lang::Es), at));
    ok(
        &mut q,
        Command::CallNext {
            counter: "5".into(),
        },
        at + mins(21),
    );
    let public = q.state().for_public(&catalog);
    let text = serde_json::to_string(&public).expect("json");
    for word in ["protection", "\"cover\"", "\"5\""] {
        assert!(!text.contains(word), "{word} in the public state: {text}");
    }
    let pt = &public.tickets[&p2.id];
    assert_eq!(pt.service.as_str(), "info");
    assert_eq!(pt.counter.as_ref().map(|c| c.as_str()), Some("1"));
    let bt = &public.tickets[&b.id];
    assert_eq!(bt.service.as_str(), "legal");
    assert_eq!(bt.priority, None, "no class for a discreet class");
    // Staff keep everything.
    let staff = serde_json::to_string(q.state()).expect("json");
    assert!(staff.contains("protection"));
    // A queue built on the public state counts the discreet ones in their cover's line.
    let pq = Queue::resume(catalog.clone(), public, []);
    assert_eq!(pq.waiting_count(&"protection".into()), 0);
    assert_eq!(pq.waiting_count(&"info".into()), 1, "A-001 still waits");
}

/// Every event a lobby device receives, for every kind of event: nothing discreet in it.
#[test]
fn public_events_never_name_a_discreet_service_or_class() {
    let catalog = demo();
    let mut q = Queue::new(catalog.clone());
    let at = monday_9();
    let mut events = Vec::new();
    let mut run = |q: &mut Queue, cmd: Command| events.extend(ok(q, cmd, at));
    run(&mut q, issue_in("protection", None, Lang::Ht));
    run(&mut q, issue_in("legal", Some("protection"), Lang::Es));
    run(&mut q, issue_in("health", None, Lang::Pt));
    run(
        &mut q,
        Command::CallNext {
            counter: "5".into(),
        },
    );
    let a = q.state().tickets.values().next().expect("ticket").id;
    run(&mut q, Command::Recall { ticket: a });
    run(&mut q, Command::StartServing { ticket: a });
    run(&mut q, Command::Finish { ticket: a });
    let c = q
        .state()
        .tickets
        .values()
        .find(|t| t.service.as_str() == "health")
        .expect("health")
        .id;
    run(
        &mut q,
        Command::Transfer {
            ticket: c,
            to: "protection".into(),
        },
    );
    run(
        &mut q,
        Command::CallNext {
            counter: "2".into(),
        },
    );
    let staff = serde_json::to_string(&events).expect("json");
    assert!(staff.contains("protection"), "the test has discreet events");
    for e in &events {
        let p = public::event(e, &catalog);
        let text = serde_json::to_string(&p).expect("json");
        for word in ["protection", "\"cover\"", "\"5\"", "\"scope\":[\""] {
            assert!(!text.contains(word), "{word} in {text}");
        }
    }
}

// ---------------------------------------------------------------- the hub, role by role

/// What in a JSON answer would tell a lobby device about a discreet visitor, a code, a name.
fn public_leaks(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let here = format!("{path}.{k}");
                let leak = match k.as_str() {
                    "cover" | "discreet" | "protection" | "5" => true,
                    "counter" => x == "5",
                    "code" => x
                        .as_str()
                        .is_some_and(|c| c.len() == 6 && c.chars().all(|ch| ch.is_ascii_digit())),
                    "contact" => x.as_object().is_some_and(|o| !o.is_empty()),
                    "name" => x.as_str().is_some_and(|n| n.contains("Marisol")),
                    _ => false,
                };
                if leak {
                    out.push(format!("{here} = {x}"));
                }
                public_leaks(x, &here, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                public_leaks(x, &format!("{path}[{i}]"), out);
            }
        }
        Value::String(s) => {
            for word in ["protection", "Marisol", "300 123 4567", "Sala protegida"] {
                if s.contains(word) {
                    out.push(format!("{path} = {s}"));
                }
            }
        }
        _ => {}
    }
}

fn says_protection(v: &Value) -> bool {
    v.to_string().contains("\"protection\"")
}

/// Every message a stream sends within a short quiet time.
async fn drain(ws: &mut Ws) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(m) = try_msg(ws, Duration::from_millis(400)).await {
        out.push(m);
    }
    out
}

/// The sweep: every read route, every role, and the stream in each phase (snapshot at the
/// start, live events, a snapshot later, a replay from the log). Lobby devices (kiosk, display)
/// never receive a discreet ticket's service or class, a protected room's counter, a code, a
/// name or a phone; staff receive all of it (so the sweep can fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_each_role_sees_in_every_route_and_stream_phase() {
    let h = start_hub(demo()).await;
    let roles = [Role::Kiosk, Role::Display, Role::Counter, Role::Admin];
    let mut tokens = Vec::new();
    for r in roles {
        tokens.push((r, h.token(r).await));
    }
    let token = |r: Role| {
        tokens
            .iter()
            .find(|(x, _)| *x == r)
            .map(|(_, t)| t.clone())
            .expect("token")
    };
    let (kiosk, admin) = (token(Role::Kiosk), token(Role::Admin));
    // Live streams, opened before anything happens.
    let mut live = Vec::new();
    for (r, t) in &tokens {
        let mut ws = subscribe(h.addr, t, None).await;
        assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
        live.push((*r, ws));
    }
    // A morning: ordinary and discreet visitors, a booking with a name, calls, a transfer.
    let post = |path: &'static str, t: String, body: Value| {
        let h = &h;
        async move {
            let (s, v) = h.call("POST", path, Some(&t), Some(body)).await;
            assert!(s.is_success(), "{path}: {s} {v}");
            v
        }
    };
    post(
        "/api/v1/tickets",
        admin.clone(),
        json!({"service": "info", "lang": "es"}),
    )
    .await;
    let mine = post(
        "/api/v1/tickets",
        kiosk.clone(),
        json!({"service": "protection", "lang": "ht"}),
    )
    .await;
    assert_eq!(mine["label"], "A-002", "a shared, ordinary-looking number");
    post(
        "/api/v1/tickets",
        admin.clone(),
        json!({"service": "legal", "lang": "fr", "priority": "protection"}),
    )
    .await;
    post(
        "/api/v1/tickets",
        admin.clone(),
        json!({"service": "health", "lang": "pt"}),
    )
    .await;
    post("/api/v1/appointments", kiosk.clone(), json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "es", "name": "Marisol", "phone": "300 123 4567"})).await;
    post("/api/v1/counters/5/next", admin.clone(), json!({})).await;
    post("/api/v1/tickets/A-002/recall", admin.clone(), json!({})).await;
    post(
        "/api/v1/tickets/C-001/transfer",
        admin.clone(),
        json!({"to": "protection"}),
    )
    .await;
    post("/api/v1/counters/2/next", admin.clone(), json!({})).await;
    post("/api/v1/counters/5/next", admin.clone(), json!({})).await;
    let seq = h.seq();
    let mut checked = 0;
    for (r, t) in &tokens {
        let public = r.audience() == integra::hub::auth::Audience::Public;
        let mut answers: Vec<(String, Value)> = Vec::new();
        for path in [
            "/api/v1/state",
            "/api/v1/queue",
            "/api/v1/tickets/A-002",
            "/api/v1/tickets/B-001",
            "/api/v1/tickets/C-001",
            "/api/v1/alerts",
            "/api/v1/me",
            "/api/v1/health",
        ] {
            let (s, v) = h.call("GET", path, Some(t), None).await;
            // Alerts are for staff: a lobby device is refused them.
            let expected = if public && path == "/api/v1/alerts" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
            assert_eq!(s, expected, "{path} for {}", r.as_str());
            answers.push((path.to_string(), v));
        }
        // Stream phases: live (opened at the start), a fresh snapshot, a replay after seq 1.
        let ws = &mut live.iter_mut().find(|(x, _)| x == r).expect("live").1;
        let msgs = drain(ws).await;
        assert!(
            msgs.iter().filter(|m| m["type"] == "event").count() as u64 >= seq - 1,
            "{}: every event arrives live",
            r.as_str()
        );
        for m in msgs {
            answers.push(("live".into(), m));
        }
        let mut fresh = subscribe(h.addr, t, None).await;
        let snap = next_msg(&mut fresh).await;
        assert_eq!(snap["type"], "snapshot");
        answers.push(("snapshot".into(), snap));
        let mut replay = subscribe(h.addr, t, Some(1)).await;
        let msgs = drain(&mut replay).await;
        assert_eq!(
            msgs.iter().filter(|m| m["type"] == "event").count() as u64,
            seq - 1,
            "the replay sends the log"
        );
        for m in msgs {
            answers.push(("replay".into(), m));
        }
        let alerts = answers
            .iter()
            .filter(|(_, v)| v["type"] == "alerts")
            .count();
        if public {
            assert_eq!(alerts, 0, "{}: no alerts on a lobby stream", r.as_str());
            for (path, v) in &answers {
                let mut out = Vec::new();
                public_leaks(v, "", &mut out);
                assert!(out.is_empty(), "{} {path}: {out:?}", r.as_str());
                checked += 1;
            }
            // The discreet tickets are there, as ordinary ones.
            let (_, q) = &answers[1];
            let calls: Vec<&str> = q["recent_calls"]
                .as_array()
                .expect("calls")
                .iter()
                .filter_map(|c| c["label"].as_str())
                .collect();
            assert!(
                calls.contains(&"A-002") && calls.contains(&"C-001"),
                "{calls:?}"
            );
        } else {
            assert!(alerts > 0, "{}: staff streams carry alerts", r.as_str());
            for (path, v) in &answers[..3] {
                assert!(
                    says_protection(v),
                    "{} {path} shows the service: {v}",
                    r.as_str()
                );
            }
            let stream_says = answers
                .iter()
                .filter(|(p, _)| p == "live" || p == "snapshot" || p == "replay")
                .any(|(_, v)| says_protection(v));
            assert!(stream_says, "staff streams name the service");
        }
    }
    assert!(checked > 3 * 20, "the sweep looked at {checked} answers");
}

/// An urgent protection request raises an alert on every staff stream (never a lobby one) until
/// a staff member acknowledges it; the acknowledgement is audited and survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_protection_request_alerts_staff_until_acknowledged() {
    let h = start_hub(demo()).await;
    let counter = h.token(Role::Counter).await;
    let admin = h.token(Role::Admin).await;
    let display = h.token(Role::Display).await;
    let kiosk = h.token(Role::Kiosk).await;
    let mut staff = subscribe(h.addr, &counter, None).await;
    let mut lobby = subscribe(h.addr, &display, None).await;
    assert_eq!(next_msg(&mut staff).await["type"], "snapshot");
    assert_eq!(next_msg(&mut staff).await["protection"], json!([]));
    assert_eq!(next_msg(&mut lobby).await["type"], "snapshot");
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&kiosk),
            Some(json!({"service": "legal", "lang": "ht", "priority": "protection"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let label = v["label"].as_str().expect("label").to_string();
    // An ordinary priority raises nothing.
    h.call(
        "POST",
        "/api/v1/tickets",
        Some(&kiosk),
        Some(json!({"service": "legal", "lang": "es", "priority": "older"})),
    )
    .await;
    let alert = loop {
        let m = next_msg(&mut staff).await;
        if m["type"] == "alerts" {
            break m;
        }
    };
    let p = &alert["protection"];
    assert_eq!(p.as_array().map(Vec::len), Some(1), "{alert}");
    assert_eq!(p[0]["label"], label.as_str());
    assert_eq!(p[0]["class"], "protection");
    assert_eq!(p[0]["lang"], "ht");
    assert_eq!(p[0]["state"], "waiting");
    let (_, al) = h.call("GET", "/api/v1/alerts", Some(&admin), None).await;
    assert_eq!(al["protection"][0]["label"], label.as_str());
    let (_, al) = h.call("GET", "/api/v1/alerts", Some(&display), None).await;
    assert!(al.get("protection").is_none(), "lobby devices: {al}");
    // Nobody but staff may acknowledge; an ordinary ticket has nothing to acknowledge.
    let ack = |t: String, l: &str| {
        let path = format!("/api/v1/tickets/{l}/acknowledge");
        let h = &h;
        async move { h.call("POST", &path, Some(&t), None).await }
    };
    assert_eq!(ack(kiosk.clone(), &label).await.0, StatusCode::FORBIDDEN);
    assert_eq!(ack(display.clone(), &label).await.0, StatusCode::FORBIDDEN);
    let (s, v) = ack(counter.clone(), "B-002").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "not-a-protection-request");
    let (s, v) = ack(counter.clone(), &label).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["acknowledged"]["by"], "test counter");
    let cleared = loop {
        let m = next_msg(&mut staff).await;
        if m["type"] == "alerts" {
            break m;
        }
    };
    assert_eq!(cleared["protection"], json!([]));
    // The lobby stream got the two tickets, and not one alert.
    let lobby_msgs = drain(&mut lobby).await;
    assert!(
        lobby_msgs.iter().all(|m| m["type"] == "event"),
        "{lobby_msgs:?}"
    );
    // Audited: who and when.
    let (_, audit) = h
        .call("GET", "/api/v1/admin/audit", Some(&admin), None)
        .await;
    let entry = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["op"] == "acknowledged")
        .cloned()
        .expect("the acknowledgement is in the audit log");
    assert_eq!(entry["target"], label.as_str());
    assert_eq!(entry["by"], "test counter");
    assert_eq!(entry["kind"], "safeguarding");
    // A restart keeps it acknowledged (and a new request alerts again).
    let dir = h.dir.path().to_path_buf();
    drop(staff);
    let hub2 = integra::hub::Hub::new(
        integra::engine::Engine::open(&dir, demo()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub again");
    assert_eq!(hub2.protection_alerts(), vec![]);
    hub2.session()
        .execute(&issue_in("info", Some("protection"), Lang::Es), monday_9())
        .expect("issue");
    assert_eq!(hub2.protection_alerts().len(), 1);
}

/// A kiosk cannot probe codes: an unknown code and a real code of another day get the same
/// answer; after the limit of wrong codes it must wait (429 + Retry-After, calm words in the
/// visitor's language). Tickets and bookings per kiosk are limited too; staff are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_cannot_probe_codes_or_flood_the_queue() {
    let h = start_hub(demo()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let kiosk2 = h.token(Role::Kiosk).await;
    let counter = h.token(Role::Counter).await;
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&counter),
            Some(
                json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "es"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let tomorrow = v["code"].as_str().expect("code").to_string();
    let unknown = if tomorrow == "999999" {
        "999998"
    } else {
        "999999"
    };
    let check_in = |t: String, code: String, lang: &'static str| {
        let h = &h;
        async move {
            let r = h
                .http
                .post(h.url("/api/v1/check-in"))
                .bearer_auth(&t)
                .header("accept-language", lang)
                .json(&json!({"code": code}))
                .send()
                .await
                .expect("request");
            let status = r.status();
            let retry = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body: Value = r.json().await.expect("json");
            (status, retry, body)
        }
    };
    let seq = h.seq();
    let a = check_in(kiosk.clone(), tomorrow.clone(), "es").await;
    let b = check_in(kiosk.clone(), unknown.to_string(), "es").await;
    assert_eq!(a.0, StatusCode::NOT_FOUND);
    assert_eq!(
        (a.0, &a.2),
        (b.0, &b.2),
        "the same refusal for a real code of another day"
    );
    assert_eq!(a.2["error"]["code"], "code-not-for-today");
    assert!(!a.2.to_string().contains("2026") && !a.2.to_string().contains("06/01"));
    // Staff still learn the real reason.
    let c = check_in(counter.clone(), tomorrow.clone(), "es").await;
    assert_eq!(c.2["error"]["code"], "not-today");
    // Five wrong codes a minute, then the kiosk waits; in Creole for a Creole visitor.
    for _ in 0..3 {
        assert_eq!(
            check_in(kiosk.clone(), unknown.to_string(), "es").await.0,
            StatusCode::NOT_FOUND
        );
    }
    let (s, retry, body) = check_in(kiosk.clone(), tomorrow.clone(), "ht").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let secs: i64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&secs), "{secs}");
    assert_eq!(body["error"]["code"], "too-many-attempts");
    let ht = integra::i18n::Localizer::new(Lang::Ht)
        .expect("ht")
        .text("kiosk-too-many", None);
    assert_eq!(body["error"]["message"], ht.as_str());
    // Another kiosk and the staff are not held up by it.
    assert_eq!(
        check_in(kiosk2.clone(), unknown.to_string(), "es").await.0,
        StatusCode::NOT_FOUND
    );
    for _ in 0..8 {
        assert_eq!(
            check_in(counter.clone(), unknown.to_string(), "es").await.0,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(h.seq(), seq, "refused check-ins change nothing");
    // Tickets per minute.
    let limits = demo().limits;
    for i in 0..limits.tickets_per_minute {
        let (s, v) = h
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&kiosk2),
                Some(json!({"service": "info", "lang": "es"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "ticket {i}: {v}");
    }
    let before = h.seq();
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&kiosk2),
            Some(json!({"service": "info", "lang": "es"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/commands",
            Some(&kiosk2),
            Some(json!({"kind": "issue_ticket", "service": "info", "lang": "es"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "the command route has the same limits"
    );
    assert_eq!(h.seq(), before);
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&counter),
            Some(json!({"service": "info", "lang": "es"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "staff are not limited");
    // Bookings per hour; and the hub, not the caller, draws the codes.
    let mut codes = Vec::new();
    let mut refused = None;
    for i in 0..=limits.bookings_per_hour {
        // Two visitors a slot (the demo's capacity), slot after slot.
        let time = format!("{:02}:{:02}:00", 8 + i / 4, ((i / 2) % 2) * 30);
        let (s, v) = h
            .call("POST", "/api/v1/commands", Some(&kiosk), Some(json!({"kind": "book_appointment", "service": "legal", "date": "2026-01-07", "time": time, "lang": "es", "nonce": 0})))
            .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(i);
            break;
        }
        assert!(s.is_success(), "booking {i}: {v}");
        let code = v["events"]
            .as_array()
            .and_then(|e| {
                e.iter()
                    .find_map(|e| e["event"]["appointment"]["code"].as_str())
            })
            .expect("code")
            .to_string();
        codes.push(code);
    }
    assert_eq!(refused, Some(limits.bookings_per_hour));
    let chosen: Vec<String> = (0..codes.len())
        .map(|i| format!("{}", 100_000 + i))
        .collect();
    assert_ne!(codes, chosen, "a caller's nonce does not choose the codes");
}

/// A kiosk's limits hold when its commands arrive all at once: each takes its place before it
/// runs, so 40 tickets, 40 bookings or 20 wrong codes sent together pass exactly the limit
/// (12, 12, 5) and the rest wait (429); a command refused by the queue gives its place back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosks_limits_hold_under_concurrent_commands() {
    let h = start_hub(catalog()).await;
    let limits = catalog().limits;
    let statuses = |kiosk: String, bodies: Vec<(&'static str, Value)>| {
        let h = &h;
        async move {
            let tries = bodies.into_iter().map(|(path, body)| {
                let kiosk = kiosk.clone();
                async move { h.call("POST", path, Some(&kiosk), Some(body)).await }
            });
            futures_util::future::join_all(tries).await
        }
    };
    let count =
        |got: &[(StatusCode, Value)], s: StatusCode| got.iter().filter(|g| g.0 == s).count();
    let codes = |got: &[(StatusCode, Value)]| got.iter().map(|g| g.0.as_u16()).collect::<Vec<_>>();
    // A walk-in ticket for a service that takes none is refused: its place is given back.
    let refused = h.token(Role::Kiosk).await;
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&refused),
            Some(json!({"service": "culture", "lang": "es"})),
        )
        .await;
    assert!(
        s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS,
        "{s} {v}"
    );
    // 40 tickets at once.
    let kiosk = h.token(Role::Kiosk).await;
    let got = statuses(
        kiosk.clone(),
        (0..40)
            .map(|_| ("/api/v1/tickets", json!({"service": "info", "lang": "es"})))
            .collect(),
    )
    .await;
    assert_eq!(
        count(&got, StatusCode::CREATED),
        limits.tickets_per_minute as usize,
        "{:?}",
        codes(&got)
    );
    assert_eq!(
        count(&got, StatusCode::TOO_MANY_REQUESTS),
        40 - limits.tickets_per_minute as usize
    );
    // The kiosk whose ticket was refused still has all of its own.
    let got = statuses(
        refused,
        (0..limits.tickets_per_minute)
            .map(|_| ("/api/v1/tickets", json!({"service": "info", "lang": "es"})))
            .collect(),
    )
    .await;
    assert_eq!(
        count(&got, StatusCode::CREATED),
        limits.tickets_per_minute as usize,
        "a refused ticket took no place: {:?}",
        codes(&got)
    );
    // 40 bookings at once, each in a slot with room (Tuesday to Friday, 08:00–12:00, two a slot).
    let booker = h.token(Role::Kiosk).await;
    let bookings: Vec<(&'static str, Value)> = (0..40)
        .map(|i| {
            let date = format!("2026-01-{:02}", 6 + i % 4);
            let time = format!("{:02}:{:02}:00", 8 + (i / 4) % 4, ((i / 16) % 2) * 30);
            (
                "/api/v1/appointments",
                json!({"service": "legal", "date": date, "time": time, "lang": "es"}),
            )
        })
        .collect();
    let got = statuses(booker, bookings).await;
    assert_eq!(
        count(&got, StatusCode::CREATED),
        limits.bookings_per_hour as usize,
        "{:?}",
        codes(&got)
    );
    assert_eq!(
        count(&got, StatusCode::TOO_MANY_REQUESTS),
        40 - limits.bookings_per_hour as usize,
        "{:?}",
        codes(&got)
    );
    // 20 wrong codes at once.
    let prober = h.token(Role::Kiosk).await;
    let got = statuses(
        prober,
        (0..20)
            .map(|i| {
                (
                    "/api/v1/check-in",
                    json!({"code": format!("{}", 900_000 + i)}),
                )
            })
            .collect(),
    )
    .await;
    assert_eq!(
        count(&got, StatusCode::NOT_FOUND),
        limits.wrong_codes_per_minute as usize,
        "{:?}",
        codes(&got)
    );
    assert_eq!(
        count(&got, StatusCode::TOO_MANY_REQUESTS),
        20 - limits.wrong_codes_per_minute as usize,
        "{:?}",
        codes(&got)
    );
}

/// The kiosk's reply gives its own visitor's ticket (it must show it) as every lobby device
/// sees it: a protection visitor's as an ordinary ticket of Information, the service whose
/// letter it carries, on the reply as on the stream — nothing in the reply says protection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_learns_only_its_own_visitors_ticket() {
    let h = start_hub(demo()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let other = h.token(Role::Kiosk).await;
    let mut ws = subscribe(h.addr, &other, None).await;
    assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&kiosk),
            Some(json!({"service": "protection", "lang": "es"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["label"], "A-001", "its own visitor");
    assert!(!v.to_string().contains("protection"), "{v}");
    let m = loop {
        let m = next_msg(&mut ws).await;
        if m["event"]["type"] == "ticket_issued" {
            break m;
        }
    };
    assert_eq!(m["event"]["ticket"]["service"], "info", "{m}");
    assert!(m["event"]["ticket"].get("cover").is_none());
    assert_eq!(
        v["ticket"], m["event"]["ticket"],
        "the reply's ticket is the lobby's"
    );
}
