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
    integra::hub::tls::provider();
    calls_and_streams().await;
    calls_beside_a_report_and_a_purge().await;
}

async fn calls_and_streams() {
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
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/api/v1/events")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {display}").parse().expect("header"),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("ws");
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

/// Call next on a hub with 90 days of history (about 500 tickets a day, names and phones on
/// three appointments and sign-ups in four), alone and while the 90-day report is read over
/// and over and the privacy purge erases 30 days of names. Target: p99 < 50 ms.
async fn calls_beside_a_report_and_a_purge() {
    use integra::report::sample;
    const DAYS: u32 = 90;
    let catalog = Arc::new(sample::busy_catalog().expect("busy catalog"));
    let first = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let today = first + chrono::Days::new(u64::from(DAYS));
    let events = sample::generate(catalog.clone(), first, DAYS, 500, 90);
    let dir = tempfile::tempdir().expect("tempdir");
    Store::open(dir.path())
        .expect("store")
        .commit(0, &events, None)
        .expect("history");
    let size = std::fs::metadata(dir.path().join("integra.sqlite3")).map_or(0, |m| m.len());
    let tz = catalog.center.timezone;
    let at = today
        .and_hms_opt(9, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).single())
        .expect("local time")
        .with_timezone(&chrono::Utc);
    let engine = Engine::open(dir.path(), catalog.clone()).expect("engine");
    let hub = Hub::new(engine, Some(at)).expect("hub");
    let (addr, _task) = hub
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    assert!(hub.wait_ready(Duration::from_secs(120)).await, "ready");
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let admin = pair(&http, &base, dir.path(), Role::Admin).await;
    let staff = pair(&http, &base, dir.path(), Role::Counter).await;
    let counter = catalog.counters[0].clone();
    let issue = json!({"service": counter.services[0].to_string(), "lang": "es"});
    // At least `n` calls, and on until `busy` is over.
    let call = |n: usize, busy: Arc<std::sync::atomic::AtomicBool>| {
        let (http, base, staff, issue, id) = (
            http.clone(),
            base.clone(),
            staff.clone(),
            issue.clone(),
            counter.id.to_string(),
        );
        async move {
            let mut lat = Vec::new();
            while lat.len() < n || busy.load(std::sync::atomic::Ordering::SeqCst) {
                let r = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&staff)
                    .json(&issue)
                    .send()
                    .await
                    .expect("issue");
                assert!(r.status().is_success(), "{}", r.status());
                let t0 = Instant::now();
                let r = http
                    .post(format!("{base}/api/v1/counters/{id}/next"))
                    .bearer_auth(&staff)
                    .send()
                    .await
                    .expect("next");
                assert!(r.status().is_success(), "{}", r.status());
                lat.push(t0.elapsed().as_secs_f64() * 1e3);
            }
            lat
        }
    };
    let show = |what: &str, mut lat: Vec<f64>| {
        lat.sort_by(f64::total_cmp);
        println!(
            "call next over HTTP, {what} ({} calls): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms  target p99 < 50 ms",
            lat.len(),
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            lat[lat.len() - 1]
        );
    };
    println!(
        "history: {DAYS} days, {} events, database {:.1} MB",
        events.len(),
        size as f64 / 1e6
    );
    let idle = Arc::new(std::sync::atomic::AtomicBool::new(false));
    show("alone", call(300, idle).await);

    // The busy moment: reports read over and over by two admins, the purge erasing every name
    // older than yesterday (the start-up purge left the last 30 days), calls all along.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut reports = Vec::new();
    for _ in 0..2 {
        let (http, base, admin, stop) = (http.clone(), base.clone(), admin.clone(), stop.clone());
        let to = today - chrono::Days::new(1);
        reports.push(tokio::spawn(async move {
            let mut took = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let t0 = Instant::now();
                let r = http
                    .get(format!(
                        "{base}/api/v1/reports?from={first}&to={to}&format=html"
                    ))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .expect("report");
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.expect("report body");
                took.push(t0.elapsed().as_secs_f64() * 1e3);
            }
            took
        }));
    }
    let purging = {
        let hub = hub.clone();
        let before = today - chrono::Days::new(1);
        tokio::task::spawn_blocking(move || {
            let t0 = Instant::now();
            let done = hub
                .side_store()
                .and_then(|mut s| s.purge_personal_online(before))
                .expect("purge");
            (done, t0.elapsed())
        })
    };
    let busy = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let calls = tokio::spawn(call(200, busy.clone()));
    let (purged, purge_took) = purging.await.expect("purge task");
    // Two more seconds of reports after the purge, then stop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    busy.store(false, std::sync::atomic::Ordering::SeqCst);
    let lat = calls.await.expect("calls");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut report_ms = Vec::new();
    for r in reports {
        report_ms.extend(r.await.expect("reports"));
    }
    report_ms.sort_by(f64::total_cmp);
    println!(
        "beside them: the purge erased {} events and {} snapshots in {:.0} ms; {} 90-day HTML reports, median {:.0} ms",
        purged.events,
        purged.snapshots,
        purge_took.as_secs_f64() * 1e3,
        report_ms.len(),
        pct(&report_ms, 0.5)
    );
    show("while 90-day reports and the purge run", lat);

    // For comparison, why later purges do not vacuum: calls during a vacuum (which the hub
    // only does at start, before it says it is ready).
    let vacuuming = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || {
            let t0 = Instant::now();
            hub.side_store()
                .and_then(|mut s| s.purge_personal(today))
                .expect("purge");
            t0.elapsed()
        })
    };
    let busy = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let calls = tokio::spawn(call(50, busy.clone()));
    let took = vacuuming.await.expect("vacuum task");
    busy.store(false, std::sync::atomic::Ordering::SeqCst);
    println!(
        "for comparison, a purge that vacuums took {:.0} ms:",
        took.as_secs_f64() * 1e3
    );
    show("during it", calls.await.expect("calls"));
}
