//! The cost of the standby (`cargo bench --bench standby`): ticket issues over HTTP on loopback
//! with 1 and 8 clients, p50/p99, on a hub without a standby, then on a hub whose standby (a
//! kiosk's `standby::Standby`, here in the same process and on the same disk — on a center's
//! LAN it is another Pi) must acknowledge each commit before it is answered.

use integra::core::Catalog;
use integra::engine::Engine;
use integra::hub::{Hub, Role, auth};
use integra::store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(4);

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A hub on a fresh database in `dir`, serving plain HTTP on loopback on its own thread.
fn fresh_hub(dir: &std::path::Path) -> (Hub, String) {
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let engine = Engine::open(dir, catalog).expect("engine");
    let at = "2026-01-05T14:00:00Z".parse().expect("time");
    let hub = Hub::new(engine, Some(at)).expect("hub");
    let addr = hub
        .serve_in_background("127.0.0.1:0".parse().expect("addr"), None)
        .expect("serve");
    (hub, format!("http://{addr}"))
}

fn token_for(data: &std::path::Path, base: &str, role: Role, name: &str) -> String {
    let store = Store::open(data).expect("store");
    let (pin, _) = auth::new_pin(&store, role, chrono::Utc::now()).expect("pin");
    integra::hub::client::Remote::pair(base, &pin, name)
        .expect("pair")
        .0
}

/// `clients` clients issuing for WINDOW: (issued, p50 ms, p99 ms, failures).
fn issue(base: &str, token: &str, clients: usize) -> (usize, f64, f64, usize) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::new();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (http, base, token) = (http.clone(), base.to_string(), token.to_string());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut failed = 0;
                let start = Instant::now();
                while start.elapsed() < WINDOW {
                    let t = Instant::now();
                    let r = http
                        .post(format!("{base}/api/v1/tickets"))
                        .bearer_auth(&token)
                        .json(&json!({"service": "info", "lang": "es"}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 201 => {
                            lat.push(t.elapsed().as_secs_f64() * 1000.0)
                        }
                        _ => failed += 1,
                    }
                }
                (lat, failed)
            }));
        }
        let mut all = Vec::new();
        let mut failed = 0;
        for t in tasks {
            let (l, f) = t.await.expect("client");
            all.extend(l);
            failed += f;
        }
        all.sort_by(f64::total_cmp);
        (all.len(), pct(&all, 0.5), pct(&all, 0.99), failed)
    })
}

fn main() {
    integra::hub::tls::provider();
    let dir = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into()))
        .expect("tempdir");
    let alone = dir.path().join("alone");
    let (_hub_a, base_a) = fresh_hub(&alone);
    let token_a = token_for(&alone, &base_a, Role::Counter, "bench counter");
    let primary = dir.path().join("primary");
    let spare = dir.path().join("spare");
    let (hub_b, base_b) = fresh_hub(&primary);
    let token_b = token_for(&primary, &base_b, Role::Counter, "bench counter");
    let kiosk = token_for(&primary, &base_b, Role::Kiosk, "bench standby");
    std::fs::create_dir_all(&spare).expect("spare");
    integra::standby::Standby {
        data_dir: spare.clone(),
        hub: base_b.clone(),
        token: kiosk,
        fingerprint: None,
    }
    .spawn()
    .expect("standby");
    let t = Instant::now();
    while hub_b.standby_status().state != "synchronous" {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the standby never caught up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "ticket issues over HTTP on loopback, {} s per row",
        WINDOW.as_secs()
    );
    println!("| clients | standby | issued | p50 ms | p99 ms | failed |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for clients in [1, 8] {
        for (label, base, token) in [
            ("none", &base_a, &token_a),
            ("synchronous", &base_b, &token_b),
        ] {
            let (n, p50, p99, failed) = issue(base, token, clients);
            println!("| {clients} | {label} | {n} | {p50:.2} | {p99:.2} | {failed} |");
        }
    }
    assert_eq!(
        hub_b.standby_status().state,
        "synchronous",
        "the standby fell behind during the bench"
    );
}
