//! A LAN shared with strangers: what a hostile client tries, and what the hub does. Many
//! "sources" are loopback addresses (127.0.0.x); nothing leaves loopback.

use super::common::*;
use super::hub::{next_msg, start_hub, subscribe};
use futures_util::StreamExt;
use integra::hub::{AlertKind, AlertSource, Role, auth};
use integra::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// A client whose requests come from `127.0.0.n`.
fn from(n: u8) -> reqwest::Client {
    integra::hub::tls::provider();
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .expect("client")
}

/// A pairing attempt; `None` when the hub closed the connection (too many from that address).
async fn try_pair_from(client: &reqwest::Client, url: &str, pin: &str) -> Option<StatusCode> {
    client
        .post(format!("{url}/api/v1/pair"))
        .json(&json!({"pin": pin, "name": "stranger"}))
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

async fn pair_from(client: &reqwest::Client, url: &str, pin: &str) -> StatusCode {
    try_pair_from(client, url, pin).await.expect("request")
}

/// Wait for the stream to be closed by the hub; returns the close code and how long it took.
async fn closed_within(ws: &mut super::hub::Ws, limit: Duration) -> (Option<u16>, Duration) {
    let t = Instant::now();
    loop {
        let left = limit.saturating_sub(t.elapsed());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => return (None, t.elapsed()),
            Ok(None) | Ok(Some(Err(_))) => return (Some(0), t.elapsed()),
            Ok(Some(Ok(Message::Close(f)))) => {
                return (f.map(|f| u16::from(f.code)), t.elapsed());
            }
            Ok(Some(Ok(Message::Text(t2)))) => {
                let v: Value = serde_json::from_str(t2.as_str()).expect("json");
                assert!(
                    !v.to_string().contains("Marisol"),
                    "a revoked stream delivered personal data: {v}"
                );
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Revoking a device closes its open stream within a second — by an admin over the API, by the
/// technician's `integra devices --revoke` (another program on the same database), or by the
/// device itself ("unpair" in the console) — and nothing personal reaches it afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_closes_open_streams_within_a_second() {
    let h = start_hub(demo_catalog()).await;
    let admin = h.token(Role::Admin).await;
    for how in ["api", "command line", "unpair"] {
        let counter = h.token(Role::Counter).await;
        let (_, me) = h.call("GET", "/api/v1/me", Some(&counter), None).await;
        let id = me["device"]["id"].as_u64().expect("id");
        let mut ws = subscribe(h.addr, &counter, None).await;
        assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
        match how {
            "api" => {
                let (s, v) = h
                    .call(
                        "POST",
                        &format!("/api/v1/devices/{id}/revoke"),
                        Some(&admin),
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
            "command line" => {
                let store = Store::open(h.dir.path()).expect("store");
                assert!(store.revoke_device(id, chrono::Utc::now()).expect("revoke"));
            }
            _ => {
                let (s, v) = h
                    .call("POST", "/api/v1/me/unpair", Some(&counter), None)
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
        }
        // A booking with a name right after: the revoked stream must not carry it.
        let (s, _) = h
            .call("POST", "/api/v1/appointments", Some(&admin), Some(json!({"service": "legal", "date": "2026-01-06", "time": "10:00:00", "lang": "es", "name": "Marisol"})))
            .await;
        assert!(s.is_success());
        let (code, took) = closed_within(&mut ws, Duration::from_secs(3)).await;
        assert_eq!(code, Some(integra::hub::stream::CLOSE_REVOKED), "{how}");
        assert!(
            took < Duration::from_secs(1),
            "{how}: closed after {took:?}"
        );
        println!(
            "revocation by {how}: stream closed in {} ms",
            took.as_millis()
        );
        let (s, _) = h.call("GET", "/api/v1/me", Some(&counter), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{how}");
        // The book-and-cancel above must not fill the slot for the next round.
        let (_, list) = h
            .call(
                "GET",
                "/api/v1/appointments?date=2026-01-06",
                Some(&admin),
                None,
            )
            .await;
        for a in list["appointments"].as_array().into_iter().flatten() {
            if let Some(code) = a["code"].as_str() {
                h.call(
                    "POST",
                    &format!("/api/v1/appointments/{code}/cancel"),
                    Some(&admin),
                    None,
                )
                .await;
            }
        }
    }
    // The audit log says who did what; `last_seen` is recorded.
    let (_, audit) = h
        .call("GET", "/api/v1/admin/audit", Some(&admin), None)
        .await;
    let ops: Vec<(String, String)> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["kind"] == "security")
        .map(|e| {
            (
                e["op"].as_str().unwrap_or("").into(),
                e["by"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(
        ops.contains(&("revoked".into(), "test admin".into())),
        "{ops:?}"
    );
    assert!(
        ops.contains(&("unpaired".into(), "test counter".into())),
        "{ops:?}"
    );
    let (_, devices) = h.call("GET", "/api/v1/devices", Some(&admin), None).await;
    assert!(
        devices["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .all(|d| !d["last_seen"].is_null()),
        "every device that called the hub has a last_seen: {devices}"
    );
}

fn demo_catalog() -> std::sync::Arc<integra::core::Catalog> {
    std::sync::Arc::new(integra::core::Catalog::demo().expect("demo"))
}

/// Pairing attempts are counted before the PIN is checked: 20 wrong PINs sent at once from one
/// address get at most the limit of checks. Strangers on seven addresses spending all their
/// attempts do not lock out a valid PIN typed at an eighth. PINs have 8 digits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_can_be_neither_guessed_in_parallel_nor_blocked() {
    let h = start_hub(catalog()).await;
    let url = format!("http://{}", h.addr);
    let pin = h.pin(Role::Admin);
    assert_eq!(pin.len(), auth::PIN_DIGITS as usize);
    assert!(pin.chars().all(|c| c.is_ascii_digit()));
    // Parallel wrong PINs from one address.
    let one = from(2);
    let tries = (0..20).map(|_| try_pair_from(&one, &url, "00000000"));
    let statuses = futures_util::future::join_all(tries).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == Some(StatusCode::UNAUTHORIZED))
        .count();
    // The rest waits (429) or is not even let in (more connections than one address may open).
    let refused = statuses
        .iter()
        .filter(|s| matches!(s, Some(StatusCode::TOO_MANY_REQUESTS) | None))
        .count();
    assert_eq!(checked, auth::ATTEMPTS_PER_ADDRESS, "{statuses:?}");
    assert_eq!(refused, 20 - auth::ATTEMPTS_PER_ADDRESS, "{statuses:?}");
    // Seven strangers spend every attempt they have.
    for n in 3..=9 {
        let c = from(n);
        for _ in 0..auth::ATTEMPTS_PER_ADDRESS + 2 {
            pair_from(&c, &url, "12345678").await;
        }
    }
    // The coordinator at another address pairs at once.
    assert_eq!(pair_from(&from(10), &url, &pin).await, StatusCode::CREATED);
    // Lockouts are in the audit log, with the address.
    let admin = h.token(Role::Admin).await;
    let (_, audit) = h
        .call("GET", "/api/v1/admin/audit", Some(&admin), None)
        .await;
    let lockouts: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["op"] == "lockout")
        .filter_map(|e| e["target"].as_str())
        .collect();
    for n in 2..=9 {
        assert!(
            lockouts.contains(&format!("127.0.0.{n}").as_str()),
            "{lockouts:?}"
        );
    }
}

/// An IPv6 machine can use any address of its /64: they count as one.
#[test]
fn ipv6_addresses_count_by_their_64() {
    let a: Ipv6Addr = "fd00:1:2:3::10".parse().expect("ip");
    let b: Ipv6Addr = "fd00:1:2:3:aaaa:bbbb:cccc:dddd".parse().expect("ip");
    let c: Ipv6Addr = "fd00:1:2:4::10".parse().expect("ip");
    let bucket = |ip: Ipv6Addr| auth::address_bucket(IpAddr::V6(ip));
    assert_eq!(bucket(a), bucket(b));
    assert_ne!(bucket(a), bucket(c));
    let mapped: Ipv6Addr = "::ffff:192.168.1.7".parse().expect("ip");
    assert_eq!(bucket(mapped), IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7)));
    let mut limiter = auth::PairLimiter::default();
    let now = chrono::Utc::now();
    for i in 0..auth::ATTEMPTS_PER_ADDRESS {
        let ip = Ipv6Addr::new(0xfd00, 1, 2, 3, 0, 0, 0, i as u16);
        assert_ne!(
            limiter.attempt(IpAddr::V6(ip), now),
            auth::Attempt::Blocked(0)
        );
    }
    let other_in_64 = IpAddr::V6(Ipv6Addr::new(0xfd00, 1, 2, 3, 9, 9, 9, 9));
    assert!(matches!(
        limiter.attempt(other_in_64, now),
        auth::Attempt::Blocked(_)
    ));
}

/// Alerts belong to a device's identity, not its name: a display that paired under the name
/// "kiosk" cannot clear the hub kiosk's printer alert; a device cannot raise or clear
/// "device-offline"; the presence check leaves a kiosk's paper-out alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_keyed_by_device_and_only_that_device_sets_them() {
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    h.hub
        .set_device_alerts(&AlertSource::local("kiosk"), vec![AlertKind::PaperOut]);
    // A display paired with the name "kiosk".
    let pin = h.pin(Role::Display);
    let r: Value = h
        .http
        .post(h.url("/api/v1/pair"))
        .json(&json!({"pin": pin, "name": "kiosk"}))
        .send()
        .await
        .expect("pair")
        .json()
        .await
        .expect("json");
    let impostor = r["token"].as_str().expect("token").to_string();
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/alerts",
            Some(&impostor),
            Some(json!({"alerts": []})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = h.call("GET", "/api/v1/alerts", Some(&counter), None).await;
    let kinds: Vec<&str> = v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["paper-out"], "the impostor cleared nothing: {v}");
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/alerts",
            Some(&impostor),
            Some(json!({"alerts": [{"kind": "device-offline"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // A remote kiosk's paper-out survives the presence check.
    let kiosk = h.token(Role::Kiosk).await;
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/alerts",
            Some(&kiosk),
            Some(json!({"alerts": [{"kind": "paper-out", "message": "x"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Its stream opens and closes (presence), and the check runs as if 30 s had passed: the
    // kiosk is reported offline (wait for that), and its paper-out is still there.
    let ws = subscribe(h.addr, &kiosk, None).await;
    drop(ws);
    let deadline = Instant::now() + Duration::from_secs(5);
    let v = loop {
        h.hub.check_presence_at(
            chrono::Utc::now() + chrono::Duration::seconds(auth::OFFLINE_AFTER_SECONDS + 1),
        );
        let (_, v) = h.call("GET", "/api/v1/alerts", Some(&counter), None).await;
        let offline = v["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["kind"] == "device-offline");
        if offline {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "the kiosk was never reported offline: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let paper_out = v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["kind"] == "paper-out")
        .count();
    assert_eq!(paper_out, 2, "both paper-out alerts stay: {v}");
    let (_, me) = h.call("GET", "/api/v1/me", Some(&kiosk), None).await;
    let kiosk_id = me["device"]["id"].as_u64();
    assert!(
        v["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["device_id"].as_u64() == kiosk_id),
        "the kiosk's alert carries its id: {v}"
    );
}

/// A lobby device reports only its own alerts, of its own kinds, from the fixed list: a kiosk
/// its printer's, a display its speakers'; never another kind, another device's, or the hub's
/// own findings. Its words are not shown to staff (the hub words each kind); and reading the
/// alerts is for staff only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lobby_device_reports_only_its_own_alert_kinds_and_reads_none() {
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    let kiosk = h.token(Role::Kiosk).await;
    let display = h.token(Role::Display).await;
    let post = |token: &str, body: Value| {
        let token = token.to_string();
        let h = &h;
        async move {
            h.call("POST", "/api/v1/alerts", Some(&token), Some(body))
                .await
        }
    };
    // Another kind than its own: refused, saying which are its own.
    for (token, kind, own) in [
        (&kiosk, "audio-failed", "paper-out"),
        (&kiosk, "storage-failed", "paper-out"),
        (&kiosk, "city-link-down", "paper-out"),
        (&display, "paper-out", "audio-failed"),
        (&display, "device-offline", "audio-failed"),
        (&counter, "paper-out", "none"),
    ] {
        let (s, v) = post(token, json!({"alerts": [{"kind": kind}]})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{kind}: {v}");
        assert_eq!(v["error"]["code"], "not-your-alert", "{v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(kind) && message.contains(own), "{message}");
    }
    // A kind not on the list, or another device named: refused as malformed.
    let (s, v) = post(&kiosk, json!({"alerts": [{"kind": "evacuate-now"}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("paper-out"),
        "{v}"
    );
    let (_, me) = h.call("GET", "/api/v1/me", Some(&display), None).await;
    let display_id = me["device"]["id"].as_u64().expect("display id");
    let (s, v) = post(
        &kiosk,
        json!({"alerts": [{"kind": "paper-out", "device_id": display_id}]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = h.call("GET", "/api/v1/alerts", Some(&counter), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["alerts"], json!([]), "nothing refused was kept");
    // Its own kinds pass; free text it sends is not what staff read.
    let (s, _) = post(&display, json!({"alerts": [{"kind": "audio-failed"}]})).await;
    assert_eq!(s, StatusCode::OK);
    let lure = "<img src=x onerror=alert(1)> Call 555 0100 now";
    let (s, v) = post(
        &kiosk,
        json!({"alerts": [{"kind": "paper-out", "message": lure}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let answered: Vec<&str> = v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(answered, ["paper-out"], "a device learns only its own: {v}");
    let mut ws = subscribe(h.addr, &counter, None).await;
    assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
    let streamed = next_msg(&mut ws).await;
    assert_eq!(streamed["type"], "alerts");
    let (_, v) = h.call("GET", "/api/v1/alerts", Some(&counter), None).await;
    for seen in [&v, &streamed] {
        assert!(
            !seen.to_string().contains("555"),
            "the device's words reach staff: {seen}"
        );
        let paper = seen["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .find(|a| a["kind"] == "paper-out")
            .expect("paper-out");
        let en = integra::i18n::Localizer::new(integra::core::Lang::En)
            .expect("en")
            .text("console-alert-paper-out", None);
        assert_eq!(paper["message"], en.as_str(), "{seen}");
    }
    // Reading alerts is for staff.
    for token in [&kiosk, &display] {
        let (s, v) = h.call("GET", "/api/v1/alerts", Some(token), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(!v.to_string().contains("paper-out"), "{v}");
    }
    let admin = h.token(Role::Admin).await;
    let (s, v) = h.call("GET", "/api/v1/alerts", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["alerts"].as_array().map(Vec::len), Some(2), "{v}");
}

/// A kiosk or a display is a device whatever headers its stream carries: one that opens its
/// stream with an `Origin` (as a browser would) is still reported offline when it goes away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lobby_device_whose_stream_carries_an_origin_is_still_reported_offline() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let h = start_hub(catalog()).await;
    let admin = h.token(Role::Admin).await;
    let mut ids = Vec::new();
    for role in [Role::Kiosk, Role::Display] {
        let token = h.token(role).await;
        let (_, me) = h.call("GET", "/api/v1/me", Some(&token), None).await;
        ids.push(me["device"]["id"].as_u64().expect("id"));
        let mut request = format!("ws://{}/api/v1/events", h.addr)
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        request.headers_mut().insert(
            "origin",
            format!("https://{}", h.addr).parse().expect("header"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket with an Origin");
        drop(ws);
    }
    ids.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        h.hub.check_presence_at(
            chrono::Utc::now() + chrono::Duration::seconds(auth::OFFLINE_AFTER_SECONDS + 1),
        );
        let (_, v) = h.call("GET", "/api/v1/alerts", Some(&admin), None).await;
        let mut offline: Vec<u64> = v["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter(|a| a["kind"] == "device-offline")
            .filter_map(|a| a["device_id"].as_u64())
            .collect();
        offline.sort_unstable();
        if offline == ids {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the kiosk and the display were never both reported offline: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A counter terminal that goes away is "offline" after 30 s; a receptionist's browser that
/// closes is not (its WebSocket handshake carries an Origin, as every browser's does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_devices_not_staff_browsers_are_reported_offline() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let h = start_hub(catalog()).await;
    let terminal = h.token(Role::Counter).await;
    let browser = h.token(Role::Counter).await;
    let admin = h.token(Role::Admin).await;
    let ws = subscribe(h.addr, &terminal, None).await;
    let mut request = format!("ws://{}/api/v1/events", h.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {browser}").parse().expect("header"),
    );
    request.headers_mut().insert(
        "origin",
        format!("https://{}", h.addr).parse().expect("header"),
    );
    let (from_browser, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("browser websocket");
    drop(ws);
    drop(from_browser);
    let offline = |v: &Value| -> Vec<String> {
        v["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter(|a| a["kind"] == "device-offline")
            .map(|a| a["device_id"].to_string())
            .collect()
    };
    // Both closed; 30 s later (the check run as if it were then):
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        h.hub.check_presence_at(
            chrono::Utc::now() + chrono::Duration::seconds(auth::OFFLINE_AFTER_SECONDS + 1),
        );
        let (_, v) = h.call("GET", "/api/v1/alerts", Some(&admin), None).await;
        let names = offline(&v);
        if names.len() == 1 {
            let (_, me) = h.call("GET", "/api/v1/me", Some(&terminal), None).await;
            assert_eq!(names[0], me["device"]["id"].to_string(), "{v}");
            break;
        }
        assert!(names.len() < 2, "the browser was reported offline: {v}");
        assert!(
            Instant::now() < deadline,
            "the terminal was never reported offline: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every answer carries the security headers; API answers are never cached; a request that
/// names the hub by a foreign host name (DNS rebinding from a web page) is refused; without a
/// token, /health says only "ok" and a malformed body is not even read (401, not 4xx about the
/// body); the data directory and the database are private to the hub's user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_refuses_strangers_and_tells_them_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    for path in [
        "/",
        "/admin",
        "/console.js",
        "/api/v1/health",
        "/api/v1/queue",
    ] {
        let r = h
            .http
            .get(h.url(path))
            .bearer_auth(&counter)
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let hd = r.headers();
        let csp = hd
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(
            hd.get("x-content-type-options").map(|v| v.as_bytes()),
            Some(&b"nosniff"[..])
        );
        if path.starts_with("/api/") {
            assert_eq!(
                hd.get("cache-control").map(|v| v.as_bytes()),
                Some(&b"no-store"[..]),
                "{path}"
            );
        }
    }
    // The hub's own names and addresses pass; anything else is refused.
    let own = integra::hub::discovery::host_name();
    for (host, ok) in [
        (format!("127.0.0.1:{}", h.addr.port()), true),
        (format!("{own}.local:7878"), true),
        ("integra-elsewhere.local:7878".to_string(), false),
        ("[::1]@evil.example".to_string(), false),
        ("[::1]:7878".to_string(), true),
        ("localhost".to_string(), true),
        ("evil.example".to_string(), false),
        ("evil.example:7878".to_string(), false),
        ("hub.local.evil.example".to_string(), false),
    ] {
        let r = h
            .http
            .get(h.url("/api/v1/health"))
            .header("host", &host)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().is_success(), ok, "{host}: {}", r.status());
        if !ok {
            assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
        }
    }
    // /health: only "ok" and the fencing epoch for strangers (a returning old hub has no token
    // and must still learn it was replaced: issue #32); more for a paired device.
    let (s, v) = h.call("GET", "/api/v1/health", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"status": "ok", "epoch": 1}));
    let (_, v) = h.call("GET", "/api/v1/health", Some(&counter), None).await;
    assert_eq!(v["program"], "integra");
    assert!(v["center"].is_string());
    // The token is checked before the body is read.
    let r = h
        .http
        .post(h.url("/api/v1/tickets"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = h
        .http
        .post(h.url("/api/v1/tickets"))
        .bearer_auth("itg_forged")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Files: the directory 0700, the database 0600.
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .expect("metadata")
    };
    assert_eq!(mode(h.dir.path()), 0o700);
    assert_eq!(mode(&h.dir.path().join("integra.sqlite3")), 0o600);
    let wal = h.dir.path().join("integra.sqlite3-wal");
    if wal.exists() {
        assert_eq!(mode(&wal) & 0o077, 0, "the WAL is not readable by others");
    }
}

#[test]
fn host_names_a_lan_device_would_use() {
    use integra::hub::http::host_ok;
    for good in [
        "192.168.1.10",
        "192.168.1.10:7878",
        "[fe80::1]:7878",
        "hub.local",
        "Hub-2.local.",
        "localhost:7878",
    ] {
        assert!(host_ok(good), "{good}");
    }
    for bad in [
        "",
        "example.com",
        "192.168.1.10.nip.io",
        ".local",
        "a b.local",
        "[::1]@evil.example",
        "[::1]:7878@evil.example",
        "hub.local@evil.example",
        "192.168.1.10:7878:1",
        "[::1",
        "hub.local:port",
    ] {
        assert!(!host_ok(bad), "{bad}");
    }
}

/// Raise this process's open-file limit to its hard limit (the test holds many sockets).
fn more_files() -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
    r.rlim_cur
}

/// Half-sent requests: 1,100 connections from one address, then 1,100 spread over 55 addresses,
/// each sending half a request head and holding on. A real client's /health answers within a
/// second meanwhile; the hub caps each address and drops heads that do not finish in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_open_connections_do_not_stop_the_service() {
    use tokio::io::AsyncWriteExt;
    let files = more_files();
    assert!(
        files >= 4096,
        "this test needs 4096 open files, the limit is {files}"
    );
    let h = start_hub(catalog()).await;
    let addr = h.addr;
    let real = from(200);
    let health = |client: reqwest::Client| async move {
        let t = Instant::now();
        let r = client
            .get(format!("http://{addr}/api/v1/health"))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        (r.map(|r| r.status()).ok(), t.elapsed())
    };
    for (sources, per_source) in [(1u8, 1100usize), (55, 20)] {
        let mut held = Vec::new();
        let mut refused_at_once = 0;
        for s in 0..sources {
            let local = std::net::SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 1, s + 1)), 0);
            for _ in 0..per_source {
                let sock = tokio::net::TcpSocket::new_v4().expect("socket");
                sock.bind(local).expect("bind");
                match sock.connect(addr).await {
                    Ok(mut stream) => {
                        // Half a request head, never finished.
                        if stream
                            .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                            .await
                            .is_err()
                        {
                            refused_at_once += 1;
                        }
                        held.push(stream);
                    }
                    Err(_) => refused_at_once += 1,
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (status, took) = health(real.clone()).await;
        assert_eq!(
            status,
            Some(StatusCode::OK),
            "{sources} sources: /health did not answer"
        );
        assert!(
            took < Duration::from_secs(1),
            "{sources} sources: /health took {took:?}"
        );
        println!(
            "{} half-open connections from {sources} addresses: /health in {} ms ({refused_at_once} refused while connecting)",
            sources as usize * per_source,
            took.as_millis()
        );
        // The hub closed the excess at once: count how many of ours are still open after a
        // read attempt that does not wait.
        let mut open = 0;
        for s in &held {
            let mut buf = [0u8; 1];
            match s.try_read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => open += 1,
                _ => {}
            }
        }
        let cap = integra::hub::http::CONNECTIONS_PER_ADDRESS * sources as usize;
        assert!(open <= cap, "{open} of ours still open, the cap is {cap}");
        // Heads that never finish are dropped after the header-read timeout.
        tokio::time::sleep(integra::hub::http::HEADER_READ_TIMEOUT + Duration::from_secs(1)).await;
        let mut still = 0;
        for s in &held {
            let mut buf = [0u8; 64];
            match s.try_read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => still += 1,
                _ => {}
            }
        }
        assert_eq!(still, 0, "half-sent heads outlived the header-read timeout");
        drop(held);
    }
}

/// A hub over TLS with its own identity in its data directory (as `integra hub` runs it).
async fn tls_hub() -> (
    integra::hub::Hub,
    std::net::SocketAddr,
    tempfile::TempDir,
    String,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(dir.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let id = integra::hub::tls::Identity::load_or_create(dir.path()).expect("identity");
    let (addr, _task) = hub
        .serve_with(
            "127.0.0.1:0".parse().expect("addr"),
            Some(id.server_config().expect("tls")),
        )
        .await
        .expect("serve");
    assert!(hub.wait_ready(Duration::from_secs(10)).await);
    (hub, addr, dir, id.fingerprint())
}

/// A TCP relay on 127.0.0.1 to `to`: its address, and how many relayed connections the
/// connecting side has closed.
fn counting_relay(
    to: std::net::SocketAddr,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").expect("relay");
    let addr = listener.local_addr().expect("relay address");
    let ended = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = ended.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(to) else {
                continue;
            };
            let (Ok(mut c_read), Ok(mut s_write)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            let count = count.clone();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_read, &mut s_write);
                let _ = s_write.shutdown(Shutdown::Write);
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(Shutdown::Write);
            });
        }
    });
    (addr, ended)
}

/// The hub's identity, pinned: it speaks HTTPS only (plain HTTP gets a redirect and nothing
/// else, not even /health); `join` records the fingerprint; a device pinned to the real hub
/// talks to a fake hub at the same address not at all — the fake gets no token, no command,
/// no pairing PIN; a wrong fingerprint given to `join` refuses to pair; the key stays private.
#[test]
fn devices_talk_only_to_the_hub_they_pinned() {
    use integra::hub::QueueAccess as _;
    use integra::hub::client::Remote;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (real, addr, dir, fingerprint) = rt.block_on(tls_hub());
    // Plain HTTP: a redirect to the same place over HTTPS, whatever the path.
    rt.block_on(async {
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        for path in ["/", "/api/v1/health", "/api/v1/state", "/api/v1/pair"] {
            let r = plain
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .expect("plain answer");
            assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
            assert_eq!(
                r.headers()[reqwest::header::LOCATION],
                format!("https://{addr}{path}").as_str()
            );
            let body = r.text().await.expect("body");
            assert!(!body.contains("status"), "nothing else in plain: {body}");
        }
    });
    // The key is the hub user's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join(integra::hub::tls::KEY_FILE))
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "the key is readable by others: {mode:o}");
    // Pairing over HTTPS gives the fingerprint to pin; it is the hub's.
    let base = format!("https://{addr}");
    let store = Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, Role::Counter, chrono::Utc::now())
        .expect("pin")
        .0;
    let paired = Remote::pair_pinned(&base, &pin, "Desk 1", None).expect("pair");
    assert_eq!(paired.fingerprint.as_deref(), Some(fingerprint.as_str()));
    // A wrong fingerprint given to `join`: no pairing, and the PIN is not even sent.
    let pin2 = auth::new_pin(&store, Role::Counter, chrono::Utc::now())
        .expect("pin")
        .0;
    let wrong = "00".repeat(32);
    let refused = Remote::pair_pinned(&base, &pin2, "Desk 2", Some(&wrong));
    assert!(
        refused.as_ref().is_err_and(|e| e
            .to_string()
            .contains("not the hub this device was paired with")),
        "{:?}",
        refused.map(|p| p.role)
    );
    let still = Remote::pair_pinned(&base, &pin2, "Desk 2", Some(&fingerprint));
    assert!(still.is_ok(), "the PIN was not used by the refused attempt");
    // The pinned device follows the real hub over TLS.
    let remote =
        Remote::start_pinned(&base, &paired.token, Some(&fingerprint), catalog()).expect("remote");
    let t = Instant::now();
    while !remote.online() {
        assert!(t.elapsed() < Duration::from_secs(10), "online over TLS");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(remote);
    // A fake hub (its own certificate) at another address: the pinned device never gets
    // online, and the fake never sees the token (no request reaches it).
    let (fake, fake_addr, _fake_dir, fake_fp) = rt.block_on(tls_hub());
    assert_ne!(fake_fp, fingerprint);
    // The device reaches the fake through a relay that counts the connections the device has
    // ended, so the test waits for a whole attempt rather than for a while.
    let (relay_addr, ended) = counting_relay(fake_addr);
    let fooled = Remote::start_pinned(
        &format!("https://{relay_addr}"),
        &paired.token,
        Some(&fingerprint),
        catalog(),
    )
    .expect("remote");
    let t = Instant::now();
    while ended.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the device did not try the fake hub twice"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!fooled.online(), "a device went online with a fake hub");
    assert_eq!(
        fake.token_lookups(),
        0,
        "the fake hub saw a token from a pinned device"
    );
    let command = fooled.session().run(
        &integra::core::Command::CallNext {
            counter: "1".into(),
        },
        monday_9(),
        integra::core::Lang::Es,
    );
    assert!(
        matches!(command, Err(integra::hub::Refusal::Unavailable(_))),
        "a command to a fake hub is refused here"
    );
    assert_eq!(fake.token_lookups(), 0);
    let probe = integra::hub::client::probe(
        &format!("https://{fake_addr}"),
        Some(&paired.token),
        Some(&fingerprint),
    );
    assert!(probe.is_err(), "the doctor calls the fake hub what it is");
    drop(real);
}

/// Tokens never travel in an address: the stream refuses `?token=`; a browser authenticates
/// with its first message (a wrong or missing one closes the stream and sends nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_travel_in_an_address() {
    use futures_util::SinkExt;
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    // In the query of the stream: refused before any upgrade.
    let r =
        tokio_tungstenite::connect_async(format!("ws://{}/api/v1/events?token={counter}", h.addr))
            .await;
    assert!(r.is_err(), "a token in the stream's address was accepted");
    // In the query of an API route: not a token.
    let (s, _) = h
        .call("GET", &format!("/api/v1/state?token={counter}"), None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // First message: the browser's way.
    let open = || async {
        tokio_tungstenite::connect_async(format!("ws://{}/api/v1/events", h.addr))
            .await
            .expect("websocket")
            .0
    };
    let mut ws = open().await;
    ws.send(Message::Text(
        json!({"type": "auth", "token": counter}).to_string().into(),
    ))
    .await
    .expect("send");
    let first = next_msg(&mut ws).await;
    assert_eq!(first["type"], "snapshot", "{first}");
    // A wrong token: closed with 4401, nothing sent first.
    let mut ws = open().await;
    ws.send(Message::Text(
        json!({"type": "auth", "token": "itg_forged"})
            .to_string()
            .into(),
    ))
    .await
    .expect("send");
    let (code, _) = closed_within(&mut ws, Duration::from_secs(3)).await;
    assert_eq!(code, Some(integra::hub::stream::CLOSE_UNAUTHORIZED));
    // Silence: closed after the wait, nothing sent.
    let mut ws = open().await;
    let (code, took) = closed_within(&mut ws, Duration::from_secs(8)).await;
    assert_eq!(code, Some(integra::hub::stream::CLOSE_UNAUTHORIZED));
    assert!(took >= Duration::from_secs(4), "{took:?}");
}
