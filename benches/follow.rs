//! Visitors following their turn on their phones (`cargo bench --bench follow`): 200 phones
//! (each its own loopback address, as on the Wi-Fi) long-poll their ticket's follow link while a
//! counter calls; how long until every phone has the change (call → page data), the hub's
//! resident memory with them connected, and the page's weight (HTML + script).

use integra::core::{Catalog, Command, Lang};
use integra::engine::Engine;
use integra::hub::Hub;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PHONES: usize = 200;
const CALLS: usize = 20;

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    integra::hub::tls::provider();
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let counter = catalog
        .counters
        .iter()
        .find(|c| c.services.iter().any(|s| s.as_str() == "info"))
        .expect("a counter for info")
        .id
        .clone();
    let engine = Engine::open(dir.path(), catalog).expect("engine");
    let hub = Hub::new(engine, Some("2026-01-05T14:00:00Z".parse().expect("time"))).expect("hub");
    let addr = hub
        .serve_in_background("127.0.0.1:0".parse().expect("addr"), None)
        .expect("serve");
    while !hub.is_ready() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut links = Vec::new();
    for _ in 0..PHONES + CALLS + 5 {
        let now = hub.now();
        let events = hub
            .session()
            .execute(
                &Command::IssueTicket {
                    service: "info".into(),
                    lang: Lang::Es,
                    priority: None,
                },
                now,
            )
            .expect("issue");
        links.push(hub.follow_url(&events).expect("a link"));
    }
    // The last PHONES tickets are followed (the first ones are called during the run).
    let followed: Vec<String> = links.split_off(CALLS + 5);
    let rss_before = rss_kib();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        // Page weight, as a phone loads it.
        let http = reqwest::Client::new();
        let html = http
            .get(&followed[0])
            .header("accept", "text/html")
            .send()
            .await
            .expect("page")
            .bytes()
            .await
            .expect("page");
        let js = http
            .get(format!("http://{addr}/f/follow.js"))
            .send()
            .await
            .expect("js")
            .bytes()
            .await
            .expect("js");
        println!(
            "page weight: HTML {} bytes (style inline) + script {} bytes = {} bytes, nothing else",
            html.len(),
            js.len(),
            html.len() + js.len()
        );

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
        let mut phones = Vec::new();
        for (i, url) in followed.iter().enumerate() {
            let ip: std::net::IpAddr = format!("127.0.{}.{}", 1 + i / 250, 2 + i % 250)
                .parse()
                .expect("ip");
            let client = reqwest::Client::builder()
                .local_address(Some(ip))
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            let (url, tx) = (url.clone(), tx.clone());
            phones.push(tokio::spawn(async move {
                let mut version = String::new();
                loop {
                    let r = client
                        .get(format!("{url}?wait={version}"))
                        .header("accept", "application/json")
                        .send()
                        .await;
                    let Ok(r) = r else {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    };
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    let new = v["version"].as_str().unwrap_or_default().to_string();
                    if !version.is_empty() && new != version {
                        let _ = tx.send((i, Instant::now()));
                    }
                    version = new;
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_polling = rss_kib();
        let mut delays = Vec::new();
        let mut worst_call = Vec::new();
        for _ in 0..CALLS {
            while rx.try_recv().is_ok() {}
            let h = hub.clone();
            let c = counter.clone();
            let t0 = Instant::now();
            tokio::task::spawn_blocking(move || {
                let now = h.now();
                h.session().execute(&Command::CallNext { counter: c }, now)
            })
            .await
            .expect("join")
            .expect("call next");
            let mut got = [false; PHONES];
            let mut n = 0;
            let mut last = 0.0f64;
            while n < PHONES {
                match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                    Ok(Some((i, at))) if !got[i] => {
                        got[i] = true;
                        n += 1;
                        let ms = at.duration_since(t0).as_secs_f64() * 1e3;
                        delays.push(ms);
                        last = last.max(ms);
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            if n < PHONES {
                println!("only {n} of {PHONES} phones saw the call within 10 s");
            }
            worst_call.push(last);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        delays.sort_by(f64::total_cmp);
        worst_call.sort_by(f64::total_cmp);
        println!(
            "call next → {PHONES} phones updated ({CALLS} calls, {} updates): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; last phone per call p50 {:.1} ms",
            delays.len(),
            pct(&delays, 0.5),
            pct(&delays, 0.99),
            delays.last().copied().unwrap_or(f64::NAN),
            pct(&worst_call, 0.5)
        );
        println!(
            "process resident memory (hub + the bench's {PHONES} clients): {} MiB before, {} MiB with {PHONES} phones long-polling (+{} KiB)",
            rss_before / 1024,
            rss_polling / 1024,
            rss_polling.saturating_sub(rss_before)
        );
        for p in phones {
            p.abort();
        }
    });
}
