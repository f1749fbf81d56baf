//! Hub benchmark on loopback (`cargo bench --bench hub`): ticket issues per second over HTTP,
//! and with 100 subscribed clients, the time from "call next" (request sent) to the event having
//! arrived at every one of them.

use futures_util::StreamExt;
use integra::core::Catalog;
use integra::engine::Engine;
use integra::hub::{Hub, Role, auth};
use integra::store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const SUBSCRIBERS: usize = 100;
const CALLS: usize = 300;
const ISSUES: usize = 2000;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn pair(http: &reqwest::Client, base: &str, dir: &std::path::Path, role: Role) -> String {
    let store = Store::open(dir).expect("store");
    let (pin, _) = auth::new_pin(&store, role, chrono::Utc::now()).expect("pin");
    let v: Value = http
        .post(format!("{base}/api/v1/pair"))
        .json(&json!({"pin": pin, "name": format!("bench {}", role.as_str())}))
        .send()
        .await
        .expect("pair")
        .json()
        .await
        .expect("json");
    v["token"].as_str().expect("token").to_string()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let counter = catalog.counters[0].clone();
    let service = counter.services[0].to_string();
    let engine = Engine::open(dir.path(), catalog).expect("engine");
    // Monday 09:00 in Bogotá: the demo center is open.
    let at = "2026-01-05T14:00:00Z".parse().expect("time");
    let hub = Hub::new(engine, Some(at)).expect("hub");
    let (addr, _task) = hub
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let admin = pair(&http, &base, dir.path(), Role::Admin).await;
    let staff = pair(&http, &base, dir.path(), Role::Counter).await;
    let display = pair(&http, &base, dir.path(), Role::Display).await;

    // Issues over HTTP: one client, then 8 at once.
    let body = json!({"service": service, "lang": "es"});
    let t = Instant::now();
    for _ in 0..ISSUES / 2 {
        let r = http
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("issue");
        assert!(r.status().is_success(), "{}", r.status());
    }
    let one = (ISSUES / 2) as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, base, admin, body) = (http.clone(), base.clone(), admin.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..ISSUES / 16 {
                let r = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&admin)
                    .json(&body)
                    .send()
                    .await
                    .expect("issue");
                assert!(r.status().is_success());
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let eight = (ISSUES / 2) as f64 / t.elapsed().as_secs_f64();
    println!(
        "ticket issues over HTTP (committed, fsync): {one:.0}/s from 1 client, {eight:.0}/s from 8 clients"
    );

    // One call before anyone subscribes (is a first call slow by itself?).
    let t = Instant::now();
    let r = http
        .post(format!("{base}/api/v1/counters/{}/next", counter.id))
        .bearer_auth(&staff)
        .send()
        .await
        .expect("next");
    assert!(r.status().is_success());
    println!(
        "first call next with no subscriber: {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    // 100 subscribers.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    for _ in 0..SUBSCRIBERS {
        let url = format!("ws://{addr}/api/v1/events?token={display}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    let now = Instant::now();
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    if v["event"]["type"] == "ticket_called" {
                        let _ = tx.send((v["seq"].as_u64().unwrap_or(0), now));
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut lat = Vec::new();
    for _ in 0..CALLS {
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
        let seq = v["events"]
            .as_array()
            .and_then(|e| e.iter().find(|e| e["event"]["type"] == "ticket_called"))
            .and_then(|e| e["seq"].as_u64())
            .expect("a call");
        let mut got = 0;
        let mut last = t0;
        while got < SUBSCRIBERS {
            let (s, at) = rx.recv().await.expect("arrival");
            if s == seq {
                got += 1;
                last = last.max(at);
            }
        }
        lat.push(last.duration_since(t0).as_secs_f64() * 1e3);
    }
    let worst = lat
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i + 1)
        .unwrap_or(0);
    let first = lat[0];
    lat.sort_by(f64::total_cmp);
    println!(
        "call next → event at all {SUBSCRIBERS} subscribers ({CALLS} calls): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (call #{worst}; the first took {first:.2} ms)",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat[lat.len() - 1]
    );
}
