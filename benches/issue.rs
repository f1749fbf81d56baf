//! Side by side in one run (`cargo bench --bench issue`): the disk's single-commit rate (SQLite,
//! WAL, synchronous=FULL, one row per transaction, on the same filesystem as the hub's data),
//! then the hub's ticket issues over HTTP with group commit at 1, 8, 32 and 128 clients (Rust
//! clients on their own runtime; the hub on its own thread and 2-worker runtime, as in
//! production), p50/p99 latency and errors, the ratio to the disk's rate, and call next → event
//! at 100 subscribers while 8 clients issue.

use futures_util::StreamExt;
use integra::core::Catalog;
use integra::engine::Engine;
use integra::hub::{Hub, Role, auth};
use integra::store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const WINDOW: Duration = Duration::from_secs(4);

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Single-row transactions a second on `dir`'s filesystem, as the hub commits (WAL, FULL).
fn disk_commit_rate(dir: &std::path::Path) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("disk-rate.sqlite3")).expect("sqlite");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .expect("table");
    let body = "x".repeat(300);
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < WINDOW {
        conn.execute("INSERT INTO t (body) VALUES (?1)", [&body])
            .expect("insert");
        n += 1;
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// A hub on a fresh database in `dir`, serving plain HTTP on loopback on its own thread.
fn fresh_hub(dir: &std::path::Path) -> (Hub, std::net::SocketAddr) {
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let engine = Engine::open(dir, catalog).expect("engine");
    // Monday 09:00 in Bogotá: the demo center is open.
    let at = "2026-01-05T14:00:00Z".parse().expect("time");
    let hub = Hub::new(engine, Some(at)).expect("hub");
    let addr = hub
        .serve_in_background("127.0.0.1:0".parse().expect("addr"), None)
        .expect("serve");
    (hub, addr)
}

/// A token of `role` (a counter's is not held to a kiosk's limits) on the hub whose data is in
/// `data`, paired over its API.
fn token_for(data: &std::path::Path, base: &str, role: Role) -> String {
    let store = Store::open(data).expect("store");
    let (pin, _) = auth::new_pin(&store, role, chrono::Utc::now()).expect("pin");
    let out = std::process::Command::new("curl")
        .args(["-s", "-H", "content-type: application/json", "-d"])
        .arg(json!({"pin": pin, "name": format!("bench {}", role.as_str())}).to_string())
        .arg(format!("{base}/api/v1/pair"))
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout).expect("pair answer");
    v["token"].as_str().expect("token").to_string()
}

/// wrk (Debian's) issuing tickets: (requests/s, p50 ms, p99 ms, non-2xx + socket errors).
fn wrk(
    base: &str,
    token: &str,
    clients: usize,
    dir: &std::path::Path,
) -> Option<(f64, f64, f64, u64)> {
    let script = dir.join("issue.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{{\"service\":\"info\",\"lang\":\"es\"}}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
        ),
    )
    .ok()?;
    let out = std::process::Command::new("wrk")
        .args(["-t", if clients == 1 { "1" } else { "2" }])
        .args(["-c", &clients.to_string()])
        .args(["-d", &format!("{}s", WINDOW.as_secs()), "--latency", "-s"])
        .arg(&script)
        .arg(format!("{base}/api/v1/tickets"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let ms = |line: &str| -> Option<f64> {
        let v = line.split_whitespace().nth(1)?;
        let (n, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
        let n: f64 = n.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => n,
        })
    };
    let rate = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let p50 = ms(text.lines().find(|l| l.trim_start().starts_with("50%"))?)?;
    let p99 = ms(text.lines().find(|l| l.trim_start().starts_with("99%"))?)?;
    let non2xx: u64 = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .unwrap_or(0);
    let socket: u64 = text
        .lines()
        .find(|l| l.contains("Socket errors"))
        .map(|l| {
            l.split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Some((rate, p50, p99, non2xx + socket))
}

fn main() {
    integra::hub::tls::provider();
    let dir = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into()))
        .expect("tempdir");
    let disk = disk_commit_rate(dir.path());
    println!(
        "disk ({}): {disk:.0} single-row commits/s (SQLite WAL, synchronous=FULL)",
        dir.path().display()
    );
    // Each client count on a fresh database (a day of 20,000 waiting tickets is not a center).
    let have_wrk = std::process::Command::new("wrk").arg("-v").output().is_ok();
    if have_wrk {
        for clients in [1, 8, 32, 128] {
            let data = dir.path().join(format!("wrk-{clients}"));
            let (hub, addr) = fresh_hub(&data);
            let base = format!("http://{addr}");
            while !hub.is_ready() {
                std::thread::sleep(Duration::from_millis(20));
            }
            let token = token_for(&data, &base, Role::Counter);
            match wrk(&base, &token, clients, dir.path()) {
                Some((rate, p50, p99, errors)) => println!(
                    "hub over HTTP (wrk), {clients:>3} clients: {rate:>6.0} tickets/s (×{:.2} the disk's commit rate), p50 {p50:.2} ms, p99 {p99:.2} ms, {errors} errors",
                    rate / disk
                ),
                None => println!("wrk did not run for {clients} clients"),
            }
        }
    } else {
        println!("(wrk not installed: `apt-get install wrk` for the load generator's figures)");
    }
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let counter = catalog.counters[0].clone();
    let service = counter.services[0].to_string();
    let data = dir.path().join("hub");
    let (hub, addr) = fresh_hub(&data);
    let base = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    rt.block_on(async move {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .expect("client");
        while !hub.wait_ready(Duration::from_secs(1)).await {}
        let staff = token_for(&data, &base, Role::Counter);
        let display = token_for(&data, &base, Role::Display);
        let body = json!({"service": service, "lang": "es"});
        let load = |clients: usize,
                    stop: Arc<AtomicBool>,
                    window: Option<Duration>,
                    pace: Option<Duration>| {
            let (http, base, staff, body) = (http.clone(), base.clone(), staff.clone(), body.clone());
            async move {
                let t0 = Instant::now();
                let mut tasks = Vec::new();
                for _ in 0..clients {
                    let (http, base, staff, body, stop) =
                        (http.clone(), base.clone(), staff.clone(), body.clone(), stop.clone());
                    tasks.push(tokio::spawn(async move {
                        let mut lat = Vec::new();
                        let mut errors = 0u64;
                        while !stop.load(Ordering::Relaxed)
                            && window.is_none_or(|w| t0.elapsed() < w)
                        {
                            if let Some(pause) = pace {
                                tokio::time::sleep(pause).await;
                            }
                            let t = Instant::now();
                            match http
                                .post(format!("{base}/api/v1/tickets"))
                                .bearer_auth(&staff)
                                .json(&body)
                                .send()
                                .await
                            {
                                Ok(r) if r.status().as_u16() == 201 => {
                                    let _ = r.bytes().await;
                                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                                }
                                _ => errors += 1,
                            }
                        }
                        (lat, errors)
                    }));
                }
                let mut lat = Vec::new();
                let mut errors = 0;
                for t in tasks {
                    let (l, e) = t.await.expect("client");
                    lat.extend(l);
                    errors += e;
                }
                let secs = t0.elapsed().as_secs_f64();
                lat.sort_by(f64::total_cmp);
                (lat, errors, secs)
            }
        };
        // Call next → event at 100 subscribers while 8 clients issue.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
        let mut subscribers = Vec::new();
        for _ in 0..100 {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut request = format!("ws://{addr}/api/v1/events")
                .into_client_request()
                .expect("request");
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {display}").parse().expect("header"),
            );
            let (mut ws, _) = tokio_tungstenite::connect_async(request)
                .await
                .expect("ws");
            let tx = tx.clone();
            subscribers.push(tokio::spawn(async move {
                while let Some(Ok(m)) = ws.next().await {
                    if let Message::Text(t) = m {
                        let now = Instant::now();
                        let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                        if v["event"]["type"] == "ticket_called" {
                            let _ = tx.send((v["seq"].as_u64().unwrap_or(0), now));
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stop = Arc::new(AtomicBool::new(false));
        // A very busy lobby and then some: 8 clients, each a ticket every 20 ms (≈ 400/s; every
        // subscriber gets every event, so an unpaced flood would only measure who lags).
        let background = tokio::spawn(load(8, stop.clone(), None, Some(Duration::from_millis(20))));
        let mut calls = Vec::new();
        for _ in 0..60 {
            let t0 = Instant::now();
            let v: Value = http
                .post(format!("{base}/api/v1/counters/{}/next", counter.id))
                .bearer_auth(&staff)
                .send()
                .await
                .expect("next")
                .json()
                .await
                .expect("json");
            let Some(seq) = v["events"]
                .as_array()
                .and_then(|e| e.iter().find(|e| e["event"]["type"] == "ticket_called"))
                .and_then(|e| e["seq"].as_u64())
            else {
                continue;
            };
            let mut got = 0;
            let mut last = t0;
            while got < 100 {
                match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                    Ok(Some((s, at))) => {
                        if s == seq {
                            got += 1;
                            last = last.max(at);
                        }
                    }
                    _ => break,
                }
            }
            if got < 100 {
                println!("call #{}: only {got} of 100 subscribers got it within 5 s", calls.len() + 1);
                break;
            }
            calls.push(last.duration_since(t0).as_secs_f64() * 1e3);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop.store(true, Ordering::Relaxed);
        let (lat, errors, secs) = background.await.expect("load");
        calls.sort_by(f64::total_cmp);
        println!(
            "call next → event at all 100 subscribers while 8 clients issue ({:.0} tickets/s, {errors} errors): {} calls, p50 {:.2} ms, p99 {:.2} ms",
            lat.len() as f64 / secs,
            calls.len(),
            pct(&calls, 0.5),
            pct(&calls, 0.99)
        );
        for s in subscribers {
            s.abort();
        }
        for clients in [1, 8] {
            let stop = Arc::new(AtomicBool::new(false));
            let (lat, errors, secs) = load(clients, stop, Some(WINDOW), None).await;
            let rate = lat.len() as f64 / secs;
            println!(
                "hub over HTTP (Rust clients, same runtime as the subscribers), {clients:>3} clients: {rate:>6.0} tickets/s (×{:.2} the disk's commit rate), p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
                rate / disk,
                pct(&lat, 0.5),
                pct(&lat, 0.99)
            );
        }
    });
}
