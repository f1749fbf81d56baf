//! The hub over real sockets on loopback: every endpoint × every role, personal data kept from
//! roles that must not see it, bad input refused without a change, the event stream resumed
//! after a cut, and parallel "call next" never giving one visitor to two counters.

use super::common::*;
use futures_util::StreamExt;
use integra::core::{Catalog, Stamped, State};
use integra::engine::Engine;
use integra::hub::{Hub, Role, auth};
use integra::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Message;

pub struct TestHub {
    pub hub: Hub,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub async fn start_hub(catalog: Arc<Catalog>) -> TestHub {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path(), catalog).expect("engine");
    let hub = Hub::new(engine, Some(monday_9())).expect("hub");
    let (addr, _task) = hub
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    assert!(
        hub.wait_ready(std::time::Duration::from_secs(10)).await,
        "the hub became ready"
    );
    TestHub {
        hub,
        addr,
        dir,
        http: http(),
    }
}

impl TestHub {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pin(&self, role: Role) -> String {
        let store = Store::open(self.dir.path()).expect("store");
        auth::new_pin(&store, role, chrono::Utc::now())
            .expect("pin")
            .0
    }

    /// Pair a device of `role`; returns its token.
    pub async fn token(&self, role: Role) -> String {
        let pin = self.pin(role);
        let r = self
            .http
            .post(self.url("/api/v1/pair"))
            .json(&json!({"pin": pin, "name": format!("test {}", role.as_str())}))
            .send()
            .await
            .expect("pair");
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["role"], role.as_str());
        v["token"].as_str().expect("token").to_string()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = match method {
            "GET" => self.http.get(self.url(path)),
            _ => self.http.post(self.url(path)),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    pub fn seq(&self) -> u64 {
        self.hub.session().queue().seq()
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn subscribe(addr: SocketAddr, token: &str, after: Option<u64>) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut url = format!("ws://{addr}/api/v1/events");
    if let Some(a) = after {
        url.push_str(&format!("?after={a}"));
    }
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    ws
}

/// The next JSON message within `wait`, if any.
pub async fn try_msg(ws: &mut Ws, wait: std::time::Duration) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(wait, ws.next()).await.ok()?;
        if let Message::Text(t) = m.expect("stream open").expect("frame") {
            let v: Value = serde_json::from_str(t.as_str()).expect("json message");
            if !is_fence_note(&v) {
                return Some(v);
            }
        }
    }
}

/// The next JSON message (skipping pings and the hub's fence note), within 5 s.
pub async fn next_msg(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("stream open")
            .expect("frame");
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).expect("json message");
            if !is_fence_note(&v) {
                return v;
            }
        }
    }
}

/// The hub's `{"type":"hub","epoch":…,"standby":…}` note (first on every stream, again when it
/// changes) is about which hub this is, not the queue: the readers here skip it, as they skip
/// pings; `promote.rs` tests it.
fn is_fence_note(v: &Value) -> bool {
    v["type"] == "hub"
}

/// Which statuses each role gets: [no token, kiosk, counter, display, admin].
struct Case {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    expect: [u16; 5],
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_role() {
    let h = start_hub(catalog()).await;
    let roles = [Role::Kiosk, Role::Counter, Role::Display, Role::Admin];
    let mut tokens: Vec<Option<String>> = vec![None];
    for r in roles {
        tokens.push(Some(h.token(r).await));
    }
    let admin = tokens[4].clone();
    for _ in 0..12 {
        let (s, _) = h
            .call(
                "POST",
                "/api/v1/tickets",
                admin.as_deref(),
                Some(json!({"service": "info", "lang": "es"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let spare = h.token(Role::Display).await;
    let spare_id = h.call("GET", "/api/v1/me", Some(&spare), None).await.1["device"]["id"]
        .as_u64()
        .expect("id");
    let revoke = Box::leak(format!("/api/v1/devices/{spare_id}/revoke").into_boxed_str());
    let cases = [
        // Follow links need no token; an unknown one opens nothing, whoever asks.
        Case {
            method: "GET",
            path: "/f/tAAAAAAAAAAAnotatokenatallnotatoke",
            body: None,
            expect: [404, 404, 404, 404, 404],
        },
        Case {
            method: "POST",
            path: "/f/tAAAAAAAAAAAnotatokenatallnotatoke/feedback",
            body: Some(json!({"rating": 3})),
            expect: [404, 404, 404, 404, 404],
        },
        Case {
            method: "POST",
            path: "/f/tAAAAAAAAAAAnotatokenatallnotatoke/cancel",
            body: None,
            expect: [404, 404, 404, 404, 404],
        },
        Case {
            method: "GET",
            path: "/api/v1/health",
            body: None,
            expect: [200, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/openapi.json",
            body: None,
            expect: [200, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/strings?lang=ht",
            body: None,
            expect: [200, 200, 200, 200, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/pair",
            body: Some(json!({"pin": "000000", "name": "x"})),
            expect: [401, 401, 401, 401, 401],
        },
        // Device pairing is a WebSocket on TLS 1.3: a plain request is told to upgrade, whoever asks.
        Case {
            method: "GET",
            path: "/api/v1/pair/spake2",
            body: None,
            expect: [426, 426, 426, 426, 426],
        },
        // A device without a keyboard waits for the admin (issue #33): open to all, no secret.
        Case {
            method: "POST",
            path: "/api/v1/pair/waiting",
            body: None,
            expect: [201, 201, 201, 201, 201],
        },
        Case {
            method: "GET",
            path: "/api/v1/pair/waiting/w0",
            body: None,
            expect: [404, 404, 404, 404, 404],
        },
        Case {
            method: "GET",
            path: "/api/v1/admin/waiting",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/admin/waiting/w0/approve",
            body: Some(json!({"code": "1234 5678", "role": "display", "name": "Lobby TV"})),
            expect: [401, 403, 403, 403, 404],
        },
        // The setup page's state is public; a hub without a setup code pairs nobody with it.
        Case {
            method: "GET",
            path: "/api/v1/setup",
            body: None,
            expect: [200, 200, 200, 200, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/setup",
            body: Some(json!({"code": "5830 2719 4406", "name": "x"})),
            expect: [409, 409, 409, 409, 409],
        },
        Case {
            method: "GET",
            path: "/api/v1/me",
            body: None,
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/catalog",
            body: None,
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/state",
            body: None,
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/queue",
            body: None,
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/alerts",
            body: None,
            expect: [401, 403, 200, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/events",
            body: None,
            expect: [401, 426, 426, 426, 426],
        },
        // The standby's link: a kiosk only (here without a WebSocket: 426, and it is not made
        // the standby); every other role 403.
        Case {
            method: "GET",
            path: "/api/v1/replica",
            body: None,
            expect: [401, 426, 403, 403, 403],
        },
        Case {
            method: "GET",
            path: "/api/v1/tickets/A-001",
            body: None,
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/tickets",
            body: Some(json!({"service": "info", "lang": "fr"})),
            expect: [401, 201, 201, 403, 201],
        },
        Case {
            method: "POST",
            path: "/api/v1/commands",
            body: Some(json!({"kind": "issue_ticket", "service": "info", "lang": "pt"})),
            expect: [401, 200, 200, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/counters/1/next",
            body: None,
            expect: [401, 403, 200, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/tickets/A-002/recall",
            body: None,
            expect: [401, 403, 200, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/tickets/A-003/cancel",
            body: None,
            expect: [401, 403, 200, 403, 409],
        },
        Case {
            method: "POST",
            path: "/api/v1/tickets/A-004/transfer",
            body: Some(json!({"to": "legal"})),
            expect: [401, 403, 200, 403, 409],
        },
        Case {
            method: "POST",
            path: "/api/v1/tickets/A-001/reprint",
            body: None,
            expect: [401, 403, 409, 403, 409],
        },
        Case {
            method: "GET",
            path: "/api/v1/appointments",
            body: None,
            expect: [401, 403, 200, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/slots?service=legal&date=2026-01-06",
            body: None,
            expect: [401, 200, 200, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/appointments",
            body: Some(
                json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "pt"}),
            ),
            expect: [401, 201, 201, 403, 409],
        },
        Case {
            method: "POST",
            path: "/api/v1/check-in",
            body: Some(json!({"code": "000000"})),
            expect: [401, 404, 404, 403, 404],
        },
        Case {
            method: "POST",
            path: "/api/v1/appointments/000000/cancel",
            body: None,
            expect: [401, 403, 404, 403, 404],
        },
        Case {
            method: "POST",
            path: "/api/v1/signups",
            body: Some(json!({"activity": "sewing", "date": "2026-01-07", "lang": "ht"})),
            expect: [401, 201, 201, 403, 201],
        },
        Case {
            method: "POST",
            path: "/api/v1/alerts",
            body: Some(json!({"alerts": []})),
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/devices/doctor",
            body: Some(json!({"version": "1.0.0", "lines": []})),
            expect: [401, 200, 200, 200, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/personal/000000",
            body: None,
            expect: [401, 403, 403, 403, 404],
        },
        Case {
            method: "POST",
            path: "/api/v1/personal/000000/erase",
            body: None,
            expect: [401, 403, 403, 403, 404],
        },
        Case {
            method: "GET",
            path: "/api/v1/devices",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/pairing-pins",
            body: Some(json!({"role": "display"})),
            expect: [401, 403, 403, 403, 201],
        },
        Case {
            method: "POST",
            path: revoke,
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/admin/catalog",
            body: Some(json!({"op": "set_retention", "days": 60})),
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/admin/audit",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        // A day that is neither after the queue's nor the clock's: refused, nothing changes.
        Case {
            method: "POST",
            path: "/api/v1/day/start",
            body: Some(json!({"day": "2026-01-04"})),
            expect: [401, 403, 403, 403, 409],
        },
        Case {
            method: "GET",
            path: "/api/v1/admin/icons",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/admin/clock",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "POST",
            path: "/api/v1/admin/clock",
            body: Some(json!({"action": "confirm"})),
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/admin/backup",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/admin/backup/file",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        Case {
            method: "GET",
            path: "/api/v1/reports?from=2026-01-01&to=2026-01-07&format=json",
            body: None,
            expect: [401, 403, 403, 403, 200],
        },
        // Last: each device gives up its own token.
        Case {
            method: "POST",
            path: "/api/v1/me/unpair",
            body: None,
            expect: [401, 200, 200, 200, 200],
        },
    ];
    // Every route of the API is in the table.
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| {
            let p = c.path.split('?').next().unwrap_or(c.path);
            let p = p
                .replace("A-002/recall", "{label}/{action}")
                .replace("A-003/cancel", "{label}/{action}")
                .replace("A-004/transfer", "{label}/{action}")
                .replace("A-001/reprint", "{label}/{action}")
                .replace("tickets/A-001", "tickets/{label}")
                .replace("counters/1/", "counters/{counter}/")
                .replace("000000", "{code}")
                .replace("waiting/w0", "waiting/{id}")
                .replace("tAAAAAAAAAAAnotatokenatallnotatoke", "{token}")
                .replace(&format!("devices/{spare_id}/"), "devices/{id}/");
            format!("{} {p}", c.method)
        })
        .collect();
    let routes: BTreeSet<String> = integra::hub::api::ROUTES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(covered, routes, "the table covers every route");
    for c in &cases {
        for (i, token) in tokens.iter().enumerate() {
            let (status, body) = h
                .call(c.method, c.path, token.as_deref(), c.body.clone())
                .await;
            assert_eq!(
                status.as_u16(),
                c.expect[i],
                "{} {} as {}: {body}",
                c.method,
                c.path,
                ["nobody", "kiosk", "counter", "display", "admin"][i]
            );
            if status.is_client_error() {
                assert!(
                    body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.len() > 10),
                    "{} {}: a 4xx says why: {body}",
                    c.method,
                    c.path
                );
            }
        }
    }
    // The revoked device is shut out, and so is every device that unpaired itself.
    let (s, _) = h.call("GET", "/api/v1/me", Some(&spare), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for t in tokens.iter().flatten() {
        let (s, _) = h.call("GET", "/api/v1/me", Some(t), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "unpaired");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_only_for_counter_and_admin() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let counter = h.token(Role::Counter).await;
    let display = h.token(Role::Display).await;
    let admin = h.token(Role::Admin).await;
    let mut display_ws = subscribe(h.addr, &display, None).await;
    let mut kiosk_ws = subscribe(h.addr, &kiosk, None).await;
    let mut counter_ws = subscribe(h.addr, &counter, None).await;
    for ws in [&mut display_ws, &mut kiosk_ws, &mut counter_ws] {
        assert_eq!(next_msg(ws).await["type"], "snapshot");
    }
    // Alerts go to staff only (lobby devices do not even learn when they change).
    assert_eq!(next_msg(&mut counter_ws).await["type"], "alerts");
    let (s, booked) = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&kiosk),
            Some(json!({"service": "legal", "date": "2026-01-05", "time": "11:00:00", "lang": "es", "name": "Marisol", "phone": "300 123 4567"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let code = booked["code"].as_str().expect("code").to_string();
    assert!(
        !booked.to_string().contains("Marisol"),
        "the kiosk gets the code, not the name back"
    );
    let secret = ["Marisol", "300 123 4567"];
    let leaks = |v: &Value| secret.iter().any(|s| v.to_string().contains(s));
    // Streams: the booking event reaches all three; only the counter's carries the name.
    async fn booked_event(ws: &mut Ws) -> Value {
        loop {
            let m = next_msg(ws).await;
            if m["event"]["type"] == "appointment_booked" {
                return m;
            }
        }
    }
    let d = booked_event(&mut display_ws).await;
    let k = booked_event(&mut kiosk_ws).await;
    let c = booked_event(&mut counter_ws).await;
    assert_eq!(d["event"]["type"], "appointment_booked");
    assert!(!leaks(&d) && !leaks(&k), "display {d} kiosk {k}");
    for (who, m) in [("display", &d), ("kiosk", &k)] {
        assert!(
            !m.to_string().contains(&code),
            "a {who} never sees appointment codes on the stream: {m}"
        );
    }
    assert!(leaks(&c), "the counter sees the name: {c}");
    // Reads: nobody gets anything; display and kiosk get no name; counter and admin do.
    for path in [
        "/api/v1/state",
        "/api/v1/queue",
        "/api/v1/appointments?date=2026-01-05",
        "/api/v1/tickets/L-001",
        "/api/v1/catalog",
        "/api/v1/alerts",
    ] {
        let (s, v) = h.call("GET", path, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!leaks(&v));
        for t in [&display, &kiosk] {
            let (_, v) = h.call("GET", path, Some(t), None).await;
            assert!(!leaks(&v), "{path}: {v}");
        }
    }
    for t in [&counter, &admin] {
        let (s, v) = h
            .call("GET", "/api/v1/appointments?date=2026-01-05", Some(t), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(leaks(&v), "{v}");
    }
    // Checked in, the visitor's name shows in the counter's queue only.
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/check-in",
            Some(&kiosk),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, q) = h.call("GET", "/api/v1/queue", Some(&counter), None).await;
    assert!(q.to_string().contains("Marisol"));
    let (_, q) = h.call("GET", "/api/v1/queue", Some(&display), None).await;
    assert!(!leaks(&q));
    // The database keeps only hashes of tokens.
    let bytes = std::fs::read(h.dir.path().join("integra.sqlite3")).expect("db");
    let wal = std::fs::read(h.dir.path().join("integra.sqlite3-wal")).unwrap_or_default();
    for t in [&kiosk, &counter, &display, &admin] {
        let needle = t.as_bytes();
        for file in [&bytes, &wal] {
            assert!(
                !file.windows(needle.len()).any(|w| w == needle),
                "a token is stored in clear"
            );
        }
    }
}

/// A role that may not use a route is refused (403) before its body is read: a display sending a
/// broken body to the ticket route, or a kiosk sending one to the catalog editor, learns only
/// that it may not; the same broken body from a role that may gets the body's own 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_may_not_act_is_refused_before_its_body_is_read() {
    let h = start_hub(catalog()).await;
    let (display, kiosk, admin) = (
        h.token(Role::Display).await,
        h.token(Role::Kiosk).await,
        h.token(Role::Admin).await,
    );
    let before = h.seq();
    for (path, token, status, code) in [
        ("/api/v1/tickets", &display, 403, "forbidden"),
        ("/api/v1/admin/catalog", &kiosk, 403, "forbidden"),
        ("/api/v1/tickets", &admin, 400, "malformed-json"),
        ("/api/v1/admin/catalog", &admin, 400, "malformed-json"),
    ] {
        let r = h
            .http
            .post(h.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body("{\"service\": ")
            .send()
            .await
            .expect("request");
        let got = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (got, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}: {v}"
        );
    }
    assert_eq!(h.seq(), before, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let h = start_hub(catalog()).await;
    let admin = h.token(Role::Admin).await;
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&admin),
            Some(json!({"service": "info", "lang": "es"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let before_seq = h.seq();
    let before_state = serde_json::to_string(h.hub.session().queue().state()).expect("state");
    let big = "x".repeat(20_000);
    // (path, raw body, content type, status, error code)
    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "/api/v1/tickets",
            "{\"service\": ".into(),
            "application/json",
            400,
            "malformed-json",
        ),
        (
            "/api/v1/tickets",
            "not json at all".into(),
            "application/json",
            400,
            "malformed-json",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":"info","lang":"es","color":"red"}"#.into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":"info"}"#.into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":"info","lang":"de"}"#.into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":7,"lang":"es"}"#.into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":"info","lang":"es"}"#.into(),
            "text/plain",
            415,
            "content-type",
        ),
        (
            "/api/v1/tickets",
            format!(r#"{{"service":"{big}","lang":"es"}}"#),
            "application/json",
            413,
            "too-large",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":"nope","lang":"es"}"#.into(),
            "application/json",
            404,
            "unknown-service",
        ),
        (
            "/api/v1/tickets",
            r#"{"service":"info","lang":"es","priority":"vip"}"#.into(),
            "application/json",
            404,
            "unknown-priority",
        ),
        (
            "/api/v1/tickets/A-001/transfer",
            "{}".into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/tickets/A-001/transfer",
            r#"{"to":"nope"}"#.into(),
            "application/json",
            404,
            "unknown-service",
        ),
        (
            "/api/v1/tickets/A-001/transfer",
            r#"{"to":"legal","why":1}"#.into(),
            "application/json",
            400,
            "invalid-field",
        ),
        (
            "/api/v1/tickets/A-001/dance",
            "".into(),
            "application/json",
            404,
            "unknown-action",
        ),
        (
            "/api/v1/tickets/Z-999/finish",
            "".into(),
            "application/json",
            404,
            "unknown-ticket",
        ),
        (
            "/api/v1/counters/99/next",
            "".into(),
            "application/json",
            404,
            "unknown-counter",
        ),
        (
            "/api/v1/appointments",
            r#"{"service":"legal","date":"2026-13-40","time":"10:00:00","lang":"es"}"#.into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/appointments",
            r#"{"service":"legal","date":"2026-01-06","time":"10:10:00","lang":"es"}"#.into(),
            "application/json",
            422,
            "no-such-slot",
        ),
        (
            "/api/v1/appointments",
            r#"{"service":"legal","date":"2026-01-06","time":"10:00:00","lang":"es","phone":"12"}"#
                .into(),
            "application/json",
            422,
            "bad-phone",
        ),
        (
            "/api/v1/signups",
            r#"{"activity":"knitting","date":"2026-01-07","lang":"es"}"#.into(),
            "application/json",
            404,
            "unknown-activity",
        ),
        (
            "/api/v1/pairing-pins",
            r#"{"role":"boss"}"#.into(),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/alerts",
            format!(r#"{{"alerts":[{{"kind":"{}"}}]}}"#, "k".repeat(50)),
            "application/json",
            422,
            "invalid-field",
        ),
        (
            "/api/v1/nowhere",
            "".into(),
            "application/json",
            404,
            "not-found",
        ),
    ];
    for (path, body, ctype, status, code) in cases {
        let r = h
            .http
            .post(h.url(path))
            .bearer_auth(&admin)
            .header("content-type", ctype)
            .body(body.clone())
            .send()
            .await
            .expect("request");
        let got = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{path} {}: {v}", &body[..body.len().min(80)]);
        assert_eq!(v["error"]["code"], code, "{path}: {v}");
        assert!(
            v["error"]["message"].as_str().is_some_and(|m| m.len() > 15),
            "{v}"
        );
        assert_eq!(h.seq(), before_seq, "{path}: nothing changed");
    }
    let (s, v) = h
        .call(
            "GET",
            "/api/v1/slots?service=legal&date=tomorrow",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("invalid-query"))
    );
    let after_state = serde_json::to_string(h.hub.session().queue().state()).expect("state");
    assert_eq!(before_state, after_state);
    // Messages follow Accept-Language.
    let r = h
        .http
        .post(h.url("/api/v1/tickets"))
        .bearer_auth(&admin)
        .header("accept-language", "ht, en;q=0.5")
        .json(&json!({"service": "nope", "lang": "es"}))
        .send()
        .await
        .expect("request");
    let v: Value = r.json().await.expect("json");
    let ht = integra::i18n::Localizer::new(integra::core::Lang::Ht)
        .expect("ht")
        .error(
            &integra::core::QueueError::UnknownService("nope".into()),
            &catalog(),
        );
    assert_eq!(v["error"]["message"], ht);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_pins_are_one_time_limited_and_tokens_revocable() {
    let h = start_hub(catalog()).await;
    let pair = |pin: String| {
        let http = h.http.clone();
        let url = h.url("/api/v1/pair");
        async move {
            let r = http
                .post(url)
                .json(&json!({"pin": pin, "name": "desk"}))
                .send()
                .await
                .expect("pair");
            (
                r.status(),
                r.headers().get("retry-after").is_some(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let pin = h.pin(Role::Counter);
    let (s, _, v) = pair(pin.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["role"], "counter");
    let (s, _, v) = pair(pin).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a PIN works once: {v}");
    assert_eq!(v["error"]["code"], "wrong-pin");
    // An expired PIN.
    let store = Store::open(h.dir.path()).expect("store");
    let old = chrono::Utc::now() - chrono::Duration::minutes(auth::PIN_MINUTES + 1);
    let (stale, _) = auth::new_pin(&store, Role::Admin, old).expect("pin");
    let (s, _, _) = pair(stale).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Wrong PINs: after the limit, even the right one waits (429 with Retry-After).
    for _ in 0..(auth::ATTEMPTS_PER_ADDRESS - 2) {
        let (s, _, _) = pair("000000".into()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let good = h.pin(Role::Admin);
    let (s, retry, v) = pair(good.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(retry);
    assert_eq!(v["error"]["code"], "too-many-attempts");
    // Revoked tokens stop working at once.
    let h2 = start_hub(catalog()).await;
    let t = h2.token(Role::Counter).await;
    let (_, me) = h2.call("GET", "/api/v1/me", Some(&t), None).await;
    let id = me["device"]["id"].as_u64().expect("id");
    let store2 = Store::open(h2.dir.path()).expect("store");
    assert!(
        store2
            .revoke_device(id, chrono::Utc::now())
            .expect("revoke")
    );
    let (s, _) = h2.call("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = h2.call("GET", "/api/v1/me", Some("itg_forged"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Fold stream messages into a state, checking sequence numbers grow by one.
fn fold(state: &mut Option<State>, msg: &Value) -> Option<u64> {
    match msg["type"].as_str() {
        Some("snapshot") => {
            *state = Some(serde_json::from_value(msg["state"].clone()).expect("state"));
            state.as_ref().map(|s| s.seq)
        }
        Some("event") => {
            let e: Stamped = serde_json::from_value(msg.clone()).expect("event");
            let s = state.as_mut().expect("a snapshot first");
            assert_eq!(e.seq, s.seq + 1, "no missed or doubled event");
            s.apply_event(&e);
            Some(e.seq)
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cut_off_mid_stream_resumes_to_exactly_the_hubs_state() {
    let h = start_hub(catalog()).await;
    let admin = h.token(Role::Admin).await;
    // Something happens all the time while the client comes and goes.
    let hub = h.hub.clone();
    let writer = std::thread::spawn(move || {
        let services = ["info", "legal", "jobs"];
        for i in 0..240 {
            let mut s = hub.session();
            let now = monday_9();
            let cmd = if i % 4 == 3 {
                integra::core::Command::CallNext {
                    counter: ["1", "2", "3"][i % 3].into(),
                }
            } else {
                issue(services[i % 3], None)
            };
            let _ = s.execute(&cmd, now);
            drop(s);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    });
    let mut state: Option<State> = None;
    let mut last = 0;
    let mut cuts = 0;
    let mut after = None;
    loop {
        let mut ws = subscribe(h.addr, &admin, after).await;
        // Read a few messages, then cut the connection abruptly (no close frame).
        let take = 7 + cuts * 3;
        for _ in 0..take {
            let Some(m) = try_msg(&mut ws, std::time::Duration::from_millis(300)).await else {
                break;
            };
            if let Some(seq) = fold(&mut state, &m) {
                last = seq;
            }
        }
        drop(ws);
        cuts += 1;
        after = Some(last);
        if writer.is_finished() {
            break;
        }
    }
    writer.join().expect("writer");
    // Catch up to the end.
    let mut ws = subscribe(h.addr, &admin, Some(last)).await;
    while last < h.seq() {
        let m = next_msg(&mut ws).await;
        if let Some(seq) = fold(&mut state, &m) {
            last = seq;
        }
    }
    let mine = serde_json::to_value(state.as_ref().expect("state")).expect("json");
    let hubs = serde_json::to_value(h.hub.session().queue().state()).expect("json");
    assert!(cuts >= 3, "the client was cut off {cuts} times");
    assert_eq!(
        mine, hubs,
        "after {cuts} cuts the client has exactly the hub's state"
    );
    // A client ahead of the hub (a restored database) gets a snapshot.
    let mut ws = subscribe(h.addr, &admin, Some(h.seq() + 100)).await;
    assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
    ws.close(None).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_call_next_never_gives_one_visitor_to_two_counters() {
    let h = start_hub(catalog()).await;
    let admin = h.token(Role::Admin).await;
    let mut tokens = Vec::new();
    for _ in 0..8 {
        tokens.push(h.token(Role::Counter).await);
    }
    let waiting = 150;
    for i in 0..waiting {
        let (s, _) = h
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&admin),
                Some(json!({"service": if i % 2 == 0 { "info" } else { "legal" }, "lang": "es"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    // 8 receptionists on counters 1, 2 and 3 press "next" as fast as they can, together.
    let mut tasks = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let http = h.http.clone();
        let url = h.url(&format!("/api/v1/counters/{}/next", ["1", "2", "3"][i % 3]));
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            // Until nobody is left for this counter (no tickets are added meanwhile).
            let mut got = Vec::new();
            loop {
                let r = http.post(&url).bearer_auth(&t).send().await.expect("next");
                let status = r.status();
                let v: Value = r.json().await.expect("json");
                if status == StatusCode::OK {
                    got.push(v["label"].as_str().expect("label").to_string());
                } else {
                    assert_eq!(status, StatusCode::CONFLICT, "{v}");
                    assert_eq!(v["error"]["code"], "nothing-waiting");
                    return got;
                }
            }
        }));
    }
    let mut called = Vec::new();
    for t in tasks {
        called.extend(t.await.expect("task"));
    }
    let distinct: BTreeSet<&String> = called.iter().collect();
    assert_eq!(
        distinct.len(),
        called.len(),
        "a visitor was called twice: {called:?}"
    );
    assert_eq!(called.len(), waiting, "everybody was called once");
    h.hub
        .session()
        .queue()
        .state()
        .check_invariants()
        .expect("invariants hold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_exactly_the_routes_and_the_console_is_served() {
    let h = start_hub(catalog()).await;
    let (s, doc) = h.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("ops").keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let routes: BTreeSet<String> = integra::hub::api::ROUTES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(documented, routes);
    for (path, ctype) in [
        ("/", "text/html"),
        ("/common.js", "text/javascript"),
        ("/console.js", "text/javascript"),
        ("/console.css", "text/css"),
        ("/admin", "text/html"),
        ("/admin.js", "text/javascript"),
        ("/setup", "text/html"),
        ("/setup.js", "text/javascript"),
    ] {
        let r = h.http.get(h.url(path)).send().await.expect("get");
        assert_eq!(r.status(), StatusCode::OK);
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(ct.starts_with(ctype), "{path}: {ct}");
        let text = r.text().await.expect("text");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path} loads nothing from outside"
        );
    }
}

#[test]
fn the_console_uses_exactly_its_fluent_ids() {
    let page = include_str!("../../assets/console/index.html");
    let script = include_str!("../../assets/console/console.js");
    let mut used = BTreeSet::new();
    for text in [page, script] {
        let mut rest = text;
        while let Some(i) = rest.find("console-") {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '-' || c == '_'))
                .unwrap_or(tail.len());
            let id = &tail[..end];
            // Ids are quoted in the page and the script; css class names are not ids.
            if tail[end..].starts_with('"') && rest[..i].ends_with('"') {
                used.insert(id.to_string());
            }
            rest = &tail[end..];
        }
    }
    let known: BTreeSet<String> = integra::hub::console::FLUENT_IDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(used, known, "ids in the console vs console::FLUENT_IDS");
}

/// Every alert kind of the hub's fixed list is worded by the console: its Fluent id is one the
/// console loads, and the console's script maps the kind's code to it.
#[test]
fn the_console_words_every_alert_kind() {
    let script = include_str!("../../assets/console/console.js");
    for kind in integra::hub::AlertKind::ALL {
        assert!(
            integra::hub::console::FLUENT_IDS.contains(&kind.fluent_id()),
            "{kind}"
        );
        let line = format!("\"{}\": \"{}\"", kind.code(), kind.fluent_id());
        assert!(script.contains(&line), "console.js lacks {line}");
        assert_eq!(integra::hub::AlertKind::parse(kind.code()), Some(kind));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_printer_alerts_and_offline_devices_reach_staff() {
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    let kiosk = h.token(Role::Kiosk).await;
    let mut ws = subscribe(h.addr, &counter, None).await;
    assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
    assert_eq!(next_msg(&mut ws).await["alerts"], json!([]));
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/alerts",
            Some(&kiosk),
            Some(json!({"alerts": [{"kind": "paper-out", "message": "out of paper"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let m = next_msg(&mut ws).await;
    assert_eq!(m["type"], "alerts");
    assert_eq!(m["alerts"][0]["kind"], "paper-out");
    assert_eq!(m["alerts"][0]["device"], "test kiosk");
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/alerts",
            Some(&kiosk),
            Some(json!({"alerts": []})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(next_msg(&mut ws).await["alerts"], json!([]));
    // The hub's own printer (a kiosk's spooler) reports the same way.
    h.hub.set_device_alerts(
        &integra::hub::AlertSource::local("kiosk"),
        vec![integra::hub::AlertKind::CoverOpen],
    );
    assert_eq!(next_msg(&mut ws).await["alerts"][0]["kind"], "cover-open");
}

#[test]
fn the_hub_is_found_over_mdns() {
    use integra::hub::discovery::{Scope, announce, discover};
    // A name of its own, so another hub on the same machine is not mistaken for this one.
    let instance = format!("integra-test-{}", std::process::id());
    let port = 47_878;
    let _a = announce(
        "Centro de prueba",
        port,
        Some(&instance),
        Scope::Loopback,
        &"ab".repeat(32),
    )
    .expect("announce");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found =
            discover(std::time::Duration::from_secs(2), false, Scope::Loopback).expect("browse");
        if let Some(f) = found.iter().find(|f| f.instance == instance) {
            assert_eq!(f.center, "Centro de prueba");
            assert_eq!(f.fingerprint, "ab".repeat(32));
            assert!(f.url.ends_with(&format!(":{port}")), "{f:?}");
            let (_, host) = f.url.split_once("//").expect("url");
            let ip: std::net::IpAddr = host
                .rsplit_once(':')
                .map(|(h, _)| h.trim_matches(['[', ']']))
                .expect("host")
                .parse()
                .expect("an address");
            assert!(ip.is_loopback(), "{ip}: only loopback in tests");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not found: {found:?}");
    }
}

#[test]
fn a_remote_client_reconnects_after_the_hub_restarts_and_catches_up() {
    use integra::hub::client::Remote;
    use integra::hub::{QueueAccess, Refusal};
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = |port: u16| {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let hub = Hub::new(
            Engine::open(dir.path(), catalog()).expect("engine"),
            Some(monday_9()),
        )
        .expect("hub");
        let (addr, _) = rt
            .block_on(hub.serve(SocketAddr::from(([127, 0, 0, 1], port))))
            .expect("serve");
        (rt, hub, addr)
    };
    let (rt, hub, addr) = serve(0);
    let store = Store::open(dir.path()).expect("store");
    let (pin, _) = auth::new_pin(&store, Role::Kiosk, chrono::Utc::now()).expect("pin");
    let base = format!("http://{addr}");
    let (token, _) = Remote::pair(&base, &pin, "kiosk 2").expect("pair");
    let remote = Remote::start(&base, &token, catalog()).expect("remote");
    let wait = |what: &str, f: &dyn Fn() -> bool| {
        let t = std::time::Instant::now();
        while !f() {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(15),
                "timed out: {what}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait("online", &|| remote.online());
    let run = |cmd| {
        remote
            .session()
            .run(&cmd, monday_9(), integra::core::Lang::Es)
    };
    assert!(run(issue("info", None)).is_ok());
    let kinds = |h: &Hub| -> Vec<&str> { h.alerts().into_iter().map(|a| a.kind.code()).collect() };
    remote.report_alerts(vec![integra::hub::AlertKind::PaperOut]);
    wait("the alert at the hub", &|| kinds(&hub) == ["paper-out"]);
    // The hub dies: a command is refused as unavailable (no number), the link is down.
    rt.shutdown_background();
    drop(hub);
    wait("offline", &|| !remote.online());
    assert!(matches!(
        run(issue("info", None)),
        Err(Refusal::Unavailable(_))
    ));
    // While the hub is away the printer's state changes: the device's alerts now.
    remote.report_alerts(vec![integra::hub::AlertKind::CoverOpen]);
    // Meanwhile another process issues two tickets on the same data.
    {
        let mut e = Engine::open(dir.path(), catalog()).expect("engine");
        for _ in 0..2 {
            e.execute(&issue("legal", None), monday_9()).expect("issue");
        }
    }
    // The hub comes back on the same address: the client reconnects by itself and catches up.
    let (_rt2, hub2, _) = serve(addr.port());
    wait("online again", &|| remote.online());
    // The restarted hub (alerts live in its memory) hears the device's alerts as they are now.
    wait("the alerts told again", &|| kinds(&hub2) == ["cover-open"]);
    wait("caught up", &|| {
        remote.seq() == hub2.session().queue().seq()
    });
    let mirror = serde_json::to_value(remote.session().queue().state()).expect("json");
    let truth = serde_json::to_value(hub2.session().queue().state()).expect("json");
    assert_eq!(mirror, truth);
    let events = run(issue("info", None)).expect("issue after the restart");
    assert!(events.iter().any(|e| matches!(&e.event, integra::core::Event::TicketIssued { ticket, .. } if ticket.label() == "A-002")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_sees_and_erases_their_data_by_code() {
    let h = start_hub(catalog()).await;
    let admin = h.token(Role::Admin).await;
    let counter = h.token(Role::Counter).await;
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/appointments",
            Some(&counter),
            Some(json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "ht", "name": "Wilnie Pierre", "phone": "300 555 0199"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let code = v["code"].as_str().expect("code").to_string();
    // Shown on request.
    let (s, v) = h
        .call(
            "GET",
            &format!("/api/v1/personal/{code}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["appointment"]["contact"]["name"], "Wilnie Pierre");
    // Erased on request: gone from the state, the log, the snapshots and the file.
    let (s, v) = h
        .call(
            "POST",
            &format!("/api/v1/personal/{code}/erase"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = h
        .call(
            "GET",
            &format!("/api/v1/personal/{code}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(
        v["appointment"]["contact"]
            .as_object()
            .is_none_or(|c| c.is_empty()),
        "{v}"
    );
    assert_eq!(
        v["appointment"]["code"], code,
        "the appointment itself stays"
    );
    let (_, v) = h
        .call(
            "GET",
            "/api/v1/appointments?date=2026-01-06",
            Some(&counter),
            None,
        )
        .await;
    assert!(!v.to_string().contains("Wilnie"), "{v}");
    for f in ["integra.sqlite3", "integra.sqlite3-wal"] {
        let bytes = std::fs::read(h.dir.path().join(f)).unwrap_or_default();
        for needle in ["Wilnie Pierre", "300 555 0199"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} still in {f}"
            );
        }
    }
    // A restart replays to the same (erased) state.
    let replayed = Engine::open(h.dir.path(), catalog()).expect("reopen");
    let live = serde_json::to_value(h.hub.session().queue().state()).expect("json");
    assert_eq!(
        serde_json::to_value(replayed.queue().state()).expect("json"),
        live
    );
}
