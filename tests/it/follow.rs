//! Follow your turn on your phone: the link every ticket, check-in, appointment and sign-up
//! gets; the page and its JSON, live; "your turn" when called; one feedback per finished visit;
//! links that cannot be guessed, altered or used the next day; limits per address; an
//! appointment cancelled from its page; plain HTTP on a hub that speaks HTTPS.

use super::common::*;
use super::hub::{TestHub, start_hub};
use integra::core::{Catalog, Lang, ServiceCode};
use integra::engine::Engine;
use integra::hub::{Hub, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::demo().expect("demo"))
}

/// GET a follow link as JSON.
async fn view(h: &TestHub, url: &str) -> (StatusCode, Value) {
    let r = h
        .http
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("get");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// GET a follow link as a phone's browser does.
async fn page(h: &TestHub, url: &str) -> (StatusCode, String) {
    let r = h
        .http
        .get(url)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("get");
    let s = r.status();
    (s, r.text().await.unwrap_or_default())
}

async fn post(h: &TestHub, url: &str, body: Value) -> (StatusCode, Value) {
    let r = h.http.post(url).json(&body).send().await.expect("post");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn issue(h: &TestHub, kiosk: &str, service: &str, lang: &str) -> Value {
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(kiosk),
            Some(json!({"service": service, "lang": lang})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

fn link(v: &Value) -> String {
    v["follow_url"].as_str().expect("follow_url").to_string()
}

fn token_of(url: &str) -> &str {
    url.rsplit('/').next().expect("token")
}

/// The feedback stored for the test day (anonymous rows).
fn stored_feedback(h: &TestHub) -> Vec<integra::store::feedback::FeedbackFact> {
    h.hub
        .side_store()
        .expect("store")
        .feedback(monday_9().date_naive(), monday_9().date_naive())
        .expect("feedback")
}

/// A staff action (call next, finish…) that must succeed.
async fn staff_does(h: &TestHub, staff: &str, path: &str) {
    let (s, v) = h.call("POST", path, Some(staff), None).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
}

/// The counter that serves `service` in the demo catalog.
fn counter_for(service: &str) -> (String, String) {
    let c = Catalog::demo().expect("demo");
    let counter = c
        .counters
        .iter()
        .find(|k| k.services.iter().any(|s| s.as_str() == service))
        .expect("a counter");
    let public = c.public_counter(&counter.id);
    let name = c.counter(&public).expect("public").public().to_string();
    (counter.id.to_string(), name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_is_followed_live_until_its_turn_and_answers_one_question() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let staff = h.token(Role::Counter).await;
    let first = issue(&h, &kiosk, "info", "es").await;
    let second = issue(&h, &kiosk, "info", "fr").await;
    let url = link(&second);
    assert!(
        url.starts_with(&format!("http://{}/f/", h.addr)),
        "a link at the hub's address: {url}"
    );
    assert_eq!(token_of(&url).len(), 34);
    assert_ne!(link(&first), url);

    // The JSON answer: number, people ahead, estimated wait, no counter yet.
    let (s, v) = view(&h, &url).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["label"], second["label"]);
    assert_eq!(v["state"], "waiting");
    assert_eq!(v["ahead"], 1);
    assert!(
        v["estimated_wait_minutes"].as_u64().expect("wait") > 0,
        "{v}"
    );
    assert!(v["counter"].is_null());
    assert_eq!(v["lang"], "fr");

    // The page: in the ticket's language, switchable, nothing from the internet.
    let (s, html) = page(&h, &url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("lang=\"fr\""), "{html}");
    assert!(html.contains(second["label"].as_str().expect("label")));
    assert!(html.contains("1 personne avant vous"), "{html}");
    assert!(html.contains("src=\"/f/follow.js\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let (_, es) = page(&h, &format!("{url}?lang=ht")).await;
    assert!(es.contains("Gen 1 moun devan w"), "{es}");
    let js = h.http.get(h.url("/f/follow.js")).send().await.expect("js");
    assert_eq!(js.status(), StatusCode::OK);
    let js = js.text().await.expect("js");
    assert!(!js.contains("http://") && !js.contains("https://"));

    // Live: a long poll held until something changes, answered when the first is called.
    let version = v["version"].as_str().expect("version").to_string();
    let poll = {
        let http = h.http.clone();
        let url = format!("{url}?wait={version}");
        tokio::spawn(async move {
            let t = std::time::Instant::now();
            let v: Value = http
                .get(url)
                .header("accept", "application/json")
                .send()
                .await
                .expect("poll")
                .json()
                .await
                .expect("json");
            (v, t.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "the long poll waits while nothing changes"
    );
    let (counter, counter_name) = counter_for("info");
    staff_does(&h, &staff, &format!("/api/v1/counters/{counter}/next")).await;
    let (v, waited) = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the poll returned")
        .expect("poll");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(v["ahead"], 0, "{v}");
    assert_eq!(v["state"], "waiting");

    // Feedback before the visit: refused.
    let (s, e) = post(&h, &format!("{url}/feedback"), json!({"rating": 3})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "visit-not-finished");

    // Called: "your turn — counter" in big letters, in French.
    staff_does(&h, &staff, &format!("/api/v1/counters/{counter}/next")).await;
    let (_, v) = view(&h, &url).await;
    assert_eq!(v["state"], "called", "{v}");
    assert_eq!(v["counter"], counter_name.as_str());
    assert_eq!(
        v["headline"],
        format!("C’est votre tour — {counter_name}").as_str()
    );
    let (_, html) = page(&h, &url).await;
    assert!(html.contains("class=\"state-called\""), "{html}");

    // Finished: one question, taken once.
    let label = second["label"].as_str().expect("label");
    staff_does(&h, &staff, &format!("/api/v1/tickets/{label}/finish")).await;
    let (_, v) = view(&h, &url).await;
    assert_eq!(v["feedback"], "open", "{v}");
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 4}),
        json!({"stars": 3}),
    ] {
        let (s, e) = post(&h, &format!("{url}/feedback"), bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let (s, v) = post(
        &h,
        &format!("{url}/feedback"),
        json!({"rating": 3, "got_what_needed": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, e) = post(&h, &format!("{url}/feedback"), json!({"rating": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "feedback-given");
    let (_, v) = view(&h, &url).await;
    assert_eq!(v["feedback"], "given");
    // Stored anonymously: the day, the service, the face — no ticket.
    let facts = stored_feedback(&h);
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].service, "info");
    assert_eq!(facts[0].feedback.rating, 3);
    assert!(facts[0].feedback.got_what_needed && !facts[0].feedback.waited_too_long);

    // The coordinator's report: satisfaction per service and per day, as JSON, CSV and HTML.
    let admin = h.token(Role::Admin).await;
    let report = "/api/v1/reports?from=2026-01-05&to=2026-01-05&lang=en";
    let (s, r) = h
        .call("GET", &format!("{report}&format=json"), Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let r = if r.get("report").is_some() {
        r["report"].clone()
    } else {
        r
    };
    assert_eq!(r["satisfaction_total"]["answers"], 1, "{r}");
    assert_eq!(r["satisfaction_total"]["happy"], 1);
    assert_eq!(r["satisfaction_total"]["got_what_needed"], 1);
    assert_eq!(r["satisfaction"][0][0], "info");
    assert_eq!(r["satisfaction_days"][0][0], "2026-01-05");
    let csv = h
        .http
        .get(h.url(&format!("{report}&format=csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("csv");
    let info = catalog()
        .service(&"info".into())
        .map(|s| s.name[&Lang::En].clone())
        .expect("info");
    let after = csv
        .split("How was your visit? (anonymous")
        .nth(1)
        .expect("the satisfaction table");
    let row = after
        .lines()
        .find(|l| l.starts_with(&info) || l.starts_with(&format!("\"{info}")))
        .expect("the service's row");
    assert!(row.contains(",1,0,0.0,0,0.0,1,100.0,0,0,1"), "{row}");
    let html = h
        .http
        .get(h.url(&format!("{report}&format=html")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("html")
        .text()
        .await
        .expect("html");
    assert!(html.contains("☺ 1"), "a face chart in the HTML");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_cannot_be_guessed_altered_or_used_for_another_visitor() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let a = link(&issue(&h, &kiosk, "info", "es").await);
    let b = link(&issue(&h, &kiosk, "info", "es").await);
    let (ta, tb) = (token_of(&a).to_string(), token_of(&b).to_string());
    let base = a.trim_end_matches(&ta).to_string();
    // One character changed anywhere, the id of one with the MAC of the other, garbage.
    let mut tries = Vec::new();
    for i in [0, 5, 12, 20, 33] {
        let mut t: Vec<char> = ta.chars().collect();
        t[i] = if t[i] == 'A' { 'B' } else { 'A' };
        tries.push(t.into_iter().collect::<String>());
    }
    tries.push(format!("{}{}", &tb[..12], &ta[12..]));
    tries.push("x".repeat(34));
    tries.push("..%2F..%2Fapi%2Fv1%2Fstate".into());
    tries.push(String::new() + "A");
    for t in &tries {
        let (s, v) = view(&h, &format!("{base}{t}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{t}: {v}");
        assert!(v.get("label").is_none(), "no ticket for {t}: {v}");
    }
    let (s, html) = page(&h, &format!("{base}{}", &tries[0])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Este enlace ya no abre"), "{html}");

    // A discreet ticket's page names no service but its cover's, in any language.
    let d = link(&issue(&h, &kiosk, "protection", "es").await);
    let (s, v) = view(&h, &d).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["service"], "Información y orientación", "{v}");
    let protection = catalog()
        .service(&"protection".into())
        .cloned()
        .expect("protection");
    for lang in Lang::ALL {
        let (_, html) = page(&h, &format!("{d}?lang={}", lang.code())).await;
        for l in Lang::ALL {
            assert!(
                !html.contains(protection.name[&l].as_str()),
                "{lang}: {}",
                protection.name[&l]
            );
        }
        assert!(!html.to_lowercase().contains("protec"), "{html}");
    }

    // An appointment's page: no name, no phone, no code.
    let (s, booked) = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&kiosk),
            Some(json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "es", "name": "Amina Diallo", "phone": "300 765 4321"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let code = booked["code"].as_str().expect("code");
    let url = link(&booked);
    let (_, v) = view(&h, &url).await;
    let (_, html) = page(&h, &url).await;
    for secret in ["Amina", "Diallo", "300 765 4321", code] {
        assert!(!v.to_string().contains(secret), "{secret} in {v}");
        assert!(!html.contains(secret), "{secret} in the page");
    }
}

/// A ticket's link opens while the queue knows the ticket: on its day, and once the day ended
/// with the visitor still waiting, to say so calmly; after the next day, it opens nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_link_is_valid_on_its_day_and_says_when_the_day_ended() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let url = link(&issue(&h, &kiosk, "info", "es").await);
    let path = url.split_once("/f/").map(|(_, t)| t).expect("path");
    assert_eq!(view(&h, &url).await.0, StatusCode::OK);
    // The same database the next morning (a hub started on Tuesday).
    let engine = Engine::open(h.dir.path(), catalog()).expect("engine");
    let tuesday = Hub::new(engine, Some(monday_9() + chrono::Duration::days(1))).expect("hub");
    let (addr, _task) = tuesday
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let (s, v) = view(&h, &format!("http://{addr}/f/{path}")).await;
    assert_eq!(s, StatusCode::OK, "the queue knows the ticket: {v}");
    // The day turns (by this call, or the hub's own check a moment after it started).
    let tuesday_9 = monday_9() + chrono::Duration::days(1);
    tuesday.turn_day_if_due(tuesday_9).expect("turn");
    let (s, v) = view(&h, &format!("http://{addr}/f/{path}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "day_ended", "{v}");
    assert!(!v["detail"].as_str().unwrap_or_default().is_empty(), "{v}");
    tuesday
        .turn_day_if_due(tuesday_9 + chrono::Duration::days(1))
        .expect("turn");
    let (s, v) = view(&h, &format!("http://{addr}/f/{path}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["code"], "unknown-link");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_tries_links_is_slowed_down_and_others_are_not() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let url = link(&issue(&h, &kiosk, "info", "es").await);
    let base = url.trim_end_matches(token_of(&url)).to_string();
    // A phone at another address of the loopback network.
    let guesser = reqwest::Client::builder()
        .local_address(Some("127.0.0.9".parse().expect("ip")))
        .build()
        .expect("client");
    let mut refused_at = None;
    for i in 0..40 {
        let r = guesser
            .get(format!("{base}{i:0>34}"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("get");
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().get("retry-after").is_some());
            refused_at = Some(i);
            break;
        }
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(
        refused_at,
        Some(integra::hub::follow::UNKNOWN_PER_10_MINUTES),
        "refused after the allowed misses"
    );
    // Even a real link is refused to that address now; others still open it.
    let r = guesser
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(view(&h, &url).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointment_is_cancelled_from_its_page_and_the_slot_is_free_again() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let admin = h.token(Role::Admin).await;
    let free = |v: &Value| {
        v["slots"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["time"] == "10:00"))
            .and_then(|s| s["free"].as_u64())
            .expect("10:00")
    };
    let slots = "/api/v1/slots?service=legal&date=2026-01-06";
    let (_, before) = h.call("GET", slots, Some(&kiosk), None).await;
    let (s, booked) = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&kiosk),
            Some(
                json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "pt"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let (_, during) = h.call("GET", slots, Some(&kiosk), None).await;
    assert_eq!(free(&during) + 1, free(&before));
    let url = link(&booked);
    let (s, v) = view(&h, &url).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "appointment");
    assert_eq!(v["state"], "booked");
    assert_eq!(v["time"], "10:00");
    assert_eq!(v["date"], "2026-01-06");
    assert_eq!(v["cancellable"], true);
    let legal = catalog().service(&"legal".into()).cloned().expect("legal");
    assert_eq!(v["service"], legal.name[&Lang::Pt].as_str());
    assert_eq!(v["bring"], legal.bring[&Lang::Pt].as_str());
    let (_, html) = page(&h, &url).await;
    assert!(
        html.contains("terça-feira") || html.contains("Terça"),
        "{html}"
    );
    let (_, ask) = page(&h, &format!("{url}?ask=cancel")).await;
    assert!(ask.contains("action=\"/f/"), "{ask}");
    // Feedback is for visits, not bookings.
    let (s, _) = post(&h, &format!("{url}/feedback"), json!({"rating": 2})).await;
    assert_eq!(s, StatusCode::CONFLICT);

    let (s, v) = post(&h, &format!("{url}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, after) = h.call("GET", slots, Some(&kiosk), None).await;
    assert_eq!(free(&after), free(&before), "the slot is free again");
    let (_, v) = view(&h, &url).await;
    assert_eq!(v["state"], "cancelled");
    assert_eq!(v["cancellable"], false);
    let (s, _) = post(&h, &format!("{url}/cancel"), json!({})).await;
    assert!(s.is_client_error(), "a second cancel changes nothing: {s}");
    // The audit log says a visitor cancelled, by the link (no name, no code).
    let (s, audit) = h
        .call("GET", "/api/v1/admin/audit", Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let entries = audit["entries"].as_array().cloned().unwrap_or_default();
    let e = entries
        .iter()
        .find(|e| e["op"] == "visitor-cancel")
        .unwrap_or_else(|| panic!("no visitor cancellation in {audit}"));
    let id = booked["appointment"]["id"].as_u64().expect("id");
    assert_eq!(e["target"], format!("appointment #{id}").as_str(), "{e}");
    assert_eq!(e["by"], "", "no device, no name: {e}");

    // A sign-up's link: the activity, its place; cancelled the same way.
    let (s, signed) = h
        .call(
            "POST",
            "/api/v1/signups",
            Some(&kiosk),
            Some(json!({"activity": "sewing", "date": "2026-01-07", "lang": "ht"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{signed}");
    let url = link(&signed);
    let (_, v) = view(&h, &url).await;
    assert_eq!(v["kind"], "signup", "{v}");
    assert_eq!(v["state"], "seated");
    let sewing = catalog()
        .activity(&"sewing".into())
        .cloned()
        .expect("sewing");
    assert_eq!(v["place"], sewing.place.as_str());
    let (s, _) = post(&h, &format!("{url}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_gets_its_own_link_and_a_remote_kiosk_gets_links_too() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let (_, booked) = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&kiosk),
            Some(
                json!({"service": "legal", "date": "2026-01-05", "time": "11:00:00", "lang": "es"}),
            ),
        )
        .await;
    let code = booked["code"].as_str().expect("code");
    let (s, checked) = h
        .call(
            "POST",
            "/api/v1/check-in",
            Some(&kiosk),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{checked}");
    let (s, v) = view(&h, &link(&checked)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["kind"], "ticket");
    assert_eq!(v["label"], checked["label"]);
    // The commands endpoint (what a kiosk on the network uses) answers the link too.
    let (s, answer) = h
        .call(
            "POST",
            "/api/v1/commands",
            Some(&kiosk),
            Some(json!({"kind": "issue_ticket", "service": "info", "lang": "en"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    let (s, v) = view(&h, &link(&answer)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lang"], "en");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_speaking_https_serves_follow_pages_over_plain_http_and_nothing_else() {
    integra::hub::tls::provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path(), catalog()).expect("engine");
    let hub = Hub::new(engine, Some(monday_9())).expect("hub");
    let tls = integra::hub::tls::Identity::load_or_create(dir.path())
        .and_then(|i| i.server_config())
        .expect("tls");
    let (addr, _task) = hub
        .serve_with("127.0.0.1:0".parse().expect("addr"), Some(tls))
        .await
        .expect("serve");
    assert!(hub.wait_ready(Duration::from_secs(10)).await);
    let now = hub.now();
    let events = hub
        .session()
        .execute(&issue_cmd("info"), now)
        .expect("issue");
    let url = hub.follow_url(&events).expect("a link");
    assert!(url.starts_with(&format!("http://{addr}/f/")), "{url}");
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = plain
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["label"], "A-001");
    let r = plain
        .get(format!("http://{addr}/f/follow.js"))
        .send()
        .await
        .expect("js");
    assert_eq!(r.status(), StatusCode::OK);
    for path in ["/api/v1/health", "/api/v1/state", "/", "/admin"] {
        let r = plain
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
    }
    // A wrong Host is refused on the follow pages too (DNS rebinding).
    let r = plain
        .get(&url)
        .header("host", "evil.example")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
}

fn issue_cmd(service: &str) -> integra::core::Command {
    integra::core::Command::IssueTicket {
        service: service.into(),
        lang: Lang::Es,
        priority: None,
    }
}

/// A held poll's outcome: its status, `Retry-After` and body.
type Polled = Result<(StatusCode, Option<String>, Value), reqwest::Error>;

async fn poll(client: reqwest::Client, url: String) -> Polled {
    let r = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await?;
    let status = r.status();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((status, retry, r.json().await.unwrap_or(Value::Null)))
}

/// Wait until at most `expected` of `polls` are still held (the others answered), then a second
/// more; how many are still held.
async fn settle(polls: &[tokio::task::JoinHandle<Polled>], expected: usize) -> usize {
    let held = || polls.iter().filter(|p| !p.is_finished()).count();
    for _ in 0..600 {
        if held() <= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    held()
}

/// Wait until the hub's follow views are no longer being computed; how many were.
async fn views_computed(h: &TestHub) -> u64 {
    let mut last = h.hub.follow_views().computed();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = h.hub.follow_views().computed();
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_polls_on_few_links_share_one_view_per_change_within_caps() {
    use integra::hub::follow::{POLLS_PER_ADDRESS, POLLS_PER_LINK};
    const LINKS: usize = 4;
    const ADDRESSES: usize = 125;
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let mut urls = Vec::new();
    for _ in 0..LINKS {
        urls.push(link(&issue(&h, &kiosk, "info", "es").await));
    }
    let version = |v: &Value| v["version"].as_str().expect("version").to_string();
    let mut versions = Vec::new();
    for url in &urls {
        versions.push(version(&view(&h, url).await.1));
    }
    // 2,000 polls, 500 on each link, from 125 addresses (16 each: all the connections an
    // address may open).
    let clients: Vec<reqwest::Client> = (0..ADDRESSES)
        .map(|a| {
            reqwest::Client::builder()
                .local_address(Some(
                    format!("127.0.{}.{}", 2 + a / 100, 2 + a % 100)
                        .parse()
                        .expect("ip"),
                ))
                .build()
                .expect("client")
        })
        .collect();
    let polls: Vec<_> = (0..2000)
        .map(|i| {
            let url = format!("{}?wait={}", urls[i % LINKS], versions[i % LINKS]);
            tokio::spawn(poll(clients[i % ADDRESSES].clone(), url))
        })
        .collect();
    // Each link holds its cap; every other poll is told at once, calmly and in the visitor's
    // language, to come back later.
    assert_eq!(
        settle(&polls, LINKS * POLLS_PER_LINK).await,
        LINKS * POLLS_PER_LINK,
        "polls held"
    );
    let words = integra::i18n::Localizer::new(Lang::Es).expect("es");
    let (mut held, mut refused) = (Vec::new(), 0);
    for p in polls {
        if !p.is_finished() {
            held.push(p);
            continue;
        }
        let (status, retry, body) = p.await.expect("join").expect("request");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(retry.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s > 0)));
        assert_eq!(body["error"]["code"], "too-many-requests");
        assert_eq!(
            body["error"]["message"],
            words.text("follow-too-many", None)
        );
        refused += 1;
    }
    assert_eq!(refused, 2000 - LINKS * POLLS_PER_LINK);
    // A kiosk and a counter still answer; another ticket changes nothing on their pages.
    let issued = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&kiosk),
            Some(json!({"service": "info", "lang": "es"})),
        )
        .await;
    assert_eq!(issued.0, StatusCode::CREATED);
    let before = views_computed(&h).await;
    assert!(held.iter().all(|p| !p.is_finished()), "no view changed");
    // A call changes every link's view: each is computed once, not once per waiting phone.
    let (counter, _) = counter_for("info");
    let staff = h.token(Role::Counter).await;
    staff_does(&h, &staff, &format!("/api/v1/counters/{counter}/next")).await;
    for p in held {
        let (status, _, body) = tokio::time::timeout(Duration::from_secs(20), p)
            .await
            .expect("answered after the call")
            .expect("join")
            .expect("request");
        assert_eq!(status, StatusCode::OK);
        assert!(!versions.contains(&version(&body)), "a new view: {body}");
    }
    let computed = views_computed(&h).await - before;
    assert!(
        (LINKS as u64..=2 * LINKS as u64).contains(&computed),
        "{computed} views computed for {} phones on {LINKS} links",
        LINKS * POLLS_PER_LINK
    );
    // One address (the hub's own machine, whose connections are not capped) holds at most
    // its cap, on every link together; another address is still held.
    let mut versions = Vec::new();
    for url in &urls {
        versions.push(version(&view(&h, url).await.1));
    }
    let polls: Vec<_> = (0..POLLS_PER_ADDRESS + 4)
        .map(|i| {
            let url = format!("{}?wait={}", urls[i % LINKS], versions[i % LINKS]);
            tokio::spawn(poll(h.http.clone(), url))
        })
        .collect();
    assert_eq!(settle(&polls, POLLS_PER_ADDRESS).await, POLLS_PER_ADDRESS);
    let other = tokio::spawn(poll(
        clients[0].clone(),
        format!("{}?wait={}", urls[1], versions[1]),
    ));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!other.is_finished(), "another address is held");
    for p in polls.into_iter().chain([other]) {
        p.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_without_script_answers_with_the_form_itself() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let staff = h.token(Role::Counter).await;
    let ticket = issue(&h, &kiosk, "info", "pt").await;
    let url = link(&ticket);
    let (counter, _) = counter_for("info");
    staff_does(&h, &staff, &format!("/api/v1/counters/{counter}/next")).await;
    let label = ticket["label"].as_str().expect("label");
    staff_does(&h, &staff, &format!("/api/v1/tickets/{label}/finish")).await;
    // The page itself carries the form: three faces, the boxes, a submit button.
    let (_, html) = page(&h, &url).await;
    assert!(html.contains("Como foi a sua visita?"), "{html}");
    assert_eq!(html.matches("name=rating").count(), 3);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = plain
        .post(format!("{url}/feedback"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("rating=1&waited_too_long=1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = view(&h, &url).await;
    assert_eq!(v["feedback"], "given");
    let facts = stored_feedback(&h);
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].feedback.rating, 1);
    assert!(facts[0].feedback.waited_too_long && !facts[0].feedback.got_what_needed);
    let (_, html) = page(&h, &url).await;
    assert!(html.contains("Obrigado pela sua resposta."), "{html}");
}

// ---------------------------------------------------------------- a discreet visit, in public

/// Issue through a kiosk with an optional priority class; the kiosk's answer.
async fn issue_as(h: &TestHub, kiosk: &str, service: &str, priority: Option<&str>) -> Value {
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(kiosk),
            Some(json!({"service": service, "lang": "pt", "priority": priority})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// The labels the lobby display lists as waiting for `service`, in its order.
async fn display_lists(h: &TestHub, display: &str, service: &str) -> Vec<String> {
    let (s, v) = h.call("GET", "/api/v1/queue", Some(display), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let services = v["services"].as_array().expect("services");
    let listed = services
        .iter()
        .find(|x| x["code"] == service)
        .expect("the service on the display");
    listed["waiting"]
        .as_array()
        .expect("waiting")
        .iter()
        .map(|t| t["label"].as_str().expect("label").to_string())
        .collect()
}

/// Two centers, the same morning: in one, the second visitor came for protection (a discreet
/// service with Information's letter); in the other, for Information. Every visitor's phone
/// page (JSON, and HTML in every language) and the kiosk's answer are the same in both but for
/// the link's token: the protection visitor's are those of an Information ticket in their
/// place (the service's name, people ahead, wait), and so are the ones behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discreet_ticket_looks_to_its_phone_and_kiosk_like_an_ordinary_one_in_its_place() {
    let with = start_hub(catalog()).await;
    let without = start_hub(catalog()).await;
    let (k1, k2) = (
        with.token(Role::Kiosk).await,
        without.token(Role::Kiosk).await,
    );
    for (service_with, label) in [
        ("info", "A-001"),
        ("protection", "A-002"),
        ("info", "A-003"),
    ] {
        let mut a1 = issue_as(&with, &k1, service_with, None).await;
        let mut a2 = issue_as(&without, &k2, "info", None).await;
        assert_eq!(a1["label"], label);
        let (l1, l2) = (link(&a1), link(&a2));
        a1["follow_url"] = Value::Null;
        a2["follow_url"] = Value::Null;
        assert_eq!(a1, a2, "{label}: the kiosk's answer");
        let ((s1, v1), (s2, v2)) = (view(&with, &l1).await, view(&without, &l2).await);
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
        assert_eq!(v1, v2, "{label}: the phone's JSON");
        for lang in Lang::ALL {
            let q = format!("?lang={}", lang.code());
            let (_, p1) = page(&with, &format!("{l1}{q}")).await;
            let (_, p2) = page(&without, &format!("{l2}{q}")).await;
            assert_eq!(
                p1.replace(token_of(&l1), "TOKEN"),
                p2.replace(token_of(&l2), "TOKEN"),
                "{label} {lang}: the phone's page"
            );
        }
    }
    // Still so once the first is called: the protection visitor is next, as A-002 would be.
    let (counter, _) = counter_for("info");
    let staff = with.token(Role::Counter).await;
    let staff2 = without.token(Role::Counter).await;
    staff_does(&with, &staff, &format!("/api/v1/counters/{counter}/next")).await;
    staff_does(
        &without,
        &staff2,
        &format!("/api/v1/counters/{counter}/next"),
    )
    .await;
    let (_, v1) = view(&with, &link(&issue_as(&with, &k1, "info", None).await)).await;
    let (_, v2) = view(
        &without,
        &link(&issue_as(&without, &k2, "info", None).await),
    )
    .await;
    assert_eq!(v1, v2, "A-004 behind the protection visitor");
    assert_eq!(v1["ahead"], 2, "{v1}");
}

/// A protection visitor's appointment (a discreet service that takes appointments) has the
/// phone page of an appointment of its cover service: the cover's name where an ordinary
/// appointment names its service (not a blank), the same fields, and nothing — in any language —
/// that names protection or says what to bring for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discreet_appointments_page_is_that_of_its_cover_service() {
    // Its cover (info, the letter A) takes appointments too: else the catalog is refused.
    let text = integra::core::catalog::DEMO_CATALOG.replacen(
        "icon = \"info\"\nmodes = [\"walk-in\"]",
        "icon = \"info\"\nmodes = [\"walk-in\", \"appointment\"]\nappointments = { slot_minutes = 30, capacity = 1 }",
        1,
    );
    let text = text.replacen(
        "modes = [\"walk-in\"]\ndiscreet = true",
        "modes = [\"walk-in\", \"appointment\"]\ndiscreet = true\nappointments = { slot_minutes = 30, capacity = 1 }\nbring = { es = \"Traiga la orden de protección\", en = \"Bring the protection order\", pt = \"Traga a medida protetiva\", fr = \"Apportez l'ordonnance de protection\", ht = \"Pote lòd pwoteksyon an\" }",
        1,
    );
    let c = Arc::new(
        Catalog::parse(&text, "center.toml").expect("a discreet service with appointments"),
    );
    let h = start_hub(c.clone()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let book = |service: &'static str| {
        let (h, kiosk) = (&h, kiosk.clone());
        async move {
            let (s, v) = h
                .call(
                    "POST",
                    "/api/v1/appointments",
                    Some(&kiosk),
                    Some(json!({"service": service, "date": "2026-01-06", "time": "10:00:00", "lang": "es"})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{service}: {v}");
            link(&v)
        }
    };
    let (ordinary, discreet) = (book("legal").await, book("protection").await);
    let (_, o) = view(&h, &ordinary).await;
    let (_, d) = view(&h, &discreet).await;
    let info = c.service(&ServiceCode::from("info")).expect("info");
    assert_eq!(d["service"], info.name[&Lang::Es].as_str(), "{d}");
    assert_eq!(d["bring"], Value::Null, "{d}");
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&o), keys(&d), "{o} / {d}");
    for lang in Lang::ALL {
        let (_, html) = page(&h, &format!("{discreet}?lang={}", lang.code())).await;
        let (_, json) = view(&h, &format!("{discreet}?lang={}", lang.code())).await;
        for both in [html.to_lowercase(), json.to_string().to_lowercase()] {
            for word in [
                "protec",
                "pwoteksyon",
                "orden de",
                "the protection order",
                "medida protetiva",
                "lòd pwoteksyon",
            ] {
                assert!(!both.contains(word), "{lang}: {word} in {both}");
            }
        }
    }
}

/// An ordinary visitor can compare their own "people ahead" — on the kiosk's answer and on
/// their phone — with the tickets the lobby display lists before theirs: the two agree, the
/// protection visitor (listed as one of Information's) included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_tickets_ahead_is_what_the_display_lists_before_it() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let display = h.token(Role::Display).await;
    let mut answers = Vec::new();
    for service in ["info", "protection", "info", "protection", "info"] {
        let a = issue_as(&h, &kiosk, service, None).await;
        let listed = display_lists(&h, &display, "info").await;
        let label = a["label"].as_str().expect("label").to_string();
        let before = listed
            .iter()
            .position(|l| *l == label)
            .expect("the display lists the ticket");
        assert_eq!(
            a["ahead"], before,
            "{label}: the kiosk's answer; display: {listed:?}"
        );
        answers.push((label, link(&a)));
    }
    let listed = display_lists(&h, &display, "info").await;
    assert_eq!(listed, ["A-001", "A-002", "A-003", "A-004", "A-005"]);
    for (label, url) in &answers {
        let (_, v) = view(&h, url).await;
        let before = listed.iter().position(|l| l == label).expect("listed");
        assert_eq!(
            v["ahead"], before,
            "{label}: the phone; display: {listed:?}"
        );
    }
}

/// A reprint (at the hub, for staff) and the phone give the figures the kiosk gave when the
/// ticket was issued — people ahead and wait — for an ordinary ticket, a priority one, a
/// protection visitor and an urgent-protection class, each checked while nothing has changed
/// since it was issued. (They were computed four ways: the reprint ignored priorities, the
/// phone added one to the people ahead for its wait.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reprint_and_the_phone_give_the_kiosks_figures() {
    use integra::printer::fake::{FakePrinter, FakeState};
    use integra::printer::{Format, Slip, render};
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let counter = h.token(Role::Counter).await;
    let printer = FakePrinter::start(FakeState::Ready).expect("fake printer");
    let uri: integra::printer::PrinterUri = printer.uri().parse().expect("uri");
    h.hub.set_printer(Some(Arc::new(integra::hub::HubPrinter {
        spooler: Arc::new(integra::printer::Spooler::start(uri, |_| {})),
        format: Format::default(),
    })));
    let c = catalog();
    let rows = [
        ("info", None),
        ("info", None),
        ("info", Some("older")),
        ("protection", None),
        ("info", Some("older")),
        ("legal", None),
        ("legal", Some("protection")),
        ("info", None),
    ];
    for (service, class) in rows {
        let a = issue_as(&h, &kiosk, service, class).await;
        let label = a["label"].as_str().expect("label").to_string();
        let (ahead, wait) = (&a["ahead"], &a["wait_minutes"]);
        let (_, v) = view(&h, &link(&a)).await;
        assert_eq!(
            (&v["ahead"], &v["estimated_wait_minutes"]),
            (ahead, wait),
            "{label} ({service}, {class:?}): the phone"
        );
        let before = printer.received().len();
        let (s, r) = h
            .call(
                "POST",
                &format!("/api/v1/tickets/{label}/reprint"),
                Some(&counter),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let ticket: integra::core::Ticket =
            serde_json::from_value(a["ticket"].clone()).expect("the answer's ticket");
        let figures = |x: &Value| u32::try_from(x.as_u64().expect("a figure")).expect("small");
        let expected = render(
            &Slip::for_ticket(&c, &ticket, figures(ahead), figures(wait)),
            &Format::default(),
        )
        .expect("render");
        let printed = printer.received()[before..].to_vec();
        assert!(
            printed.windows(expected.len()).any(|w| w == expected),
            "{label} ({service}, {class:?}): the reprint is not the slip of the kiosk's figures {ahead}, {wait}"
        );
    }
}

/// The threads of this process named `name`: each one's nice value and CPU time (in clock
/// ticks, user + system), from `/proc/self/task`.
fn threads_named(name: &str) -> Vec<(i64, u64)> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")
        .expect("tasks")
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // The fields after the command's ")": state is field 3, utime 14, stime 15, nice 19.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<i64>().ok());
        if let (Some(user), Some(system), Some(nice)) = (field(14), field(15), field(19)) {
            found.push((nice, (user + system) as u64));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_are_served_on_threads_of_lower_priority_than_the_staff() {
    use integra::hub::http::FOLLOW_NICE;
    const ADDRESSES: usize = 8;
    const PAGES: usize = 50;
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let url = link(&issue(&h, &kiosk, "info", "es").await);
    let ticks = || threads_named("hub-follow").iter().map(|t| t.1).sum::<u64>();
    let before = ticks();
    // 400 views asked by phones on 8 addresses (50 each, within the 120 a minute).
    let phones: Vec<_> = (0..ADDRESSES)
        .map(|a| {
            let client = reqwest::Client::builder()
                .local_address(Some(format!("127.0.9.{}", 2 + a).parse().expect("ip")))
                .build()
                .expect("client");
            let url = url.clone();
            tokio::spawn(async move {
                let mut answered = Vec::new();
                for _ in 0..PAGES {
                    answered.push(poll(client.clone(), url.clone()).await.map(|p| p.0));
                }
                answered
            })
        })
        .collect();
    for p in phones {
        for answer in p.await.expect("phone") {
            assert_eq!(answer.expect("answered"), StatusCode::OK);
        }
    }
    // The phones' connections were served by the follow pages' own threads, every one at the
    // lower priority: they did the work (their CPU time grew).
    let follow = threads_named("hub-follow");
    assert!(
        !follow.is_empty(),
        "no thread serves the follow pages apart"
    );
    for (nice, _) in &follow {
        assert_eq!(*nice, i64::from(FOLLOW_NICE), "a follow thread's priority");
    }
    let after = ticks();
    assert!(
        after > before,
        "the follow threads did not serve the phones ({before} → {after} ticks)"
    );
    // The staff's commands are still served, on the hub's own threads.
    let staff = h.token(Role::Counter).await;
    let (counter, _) = counter_for("info");
    staff_does(&h, &staff, &format!("/api/v1/counters/{counter}/next")).await;
    let (s, v) = view(&h, &url).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["state"], "called", "{v}");
}
