//! Visitors following their turn on their phones (`cargo bench --bench follow`), as on a busy
//! center's Wi-Fi: 2,000 long polls on 250 follow links (8 phones a link) from 125 loopback
//! addresses (16 polls each), while 8 staff clients work: one counter calls the followed
//! service every half second, seven others issue and call on the other counters without pause.
//! Measured: the staff commands' latency, how long until every phone has a call (call → page
//! data), whether the hub's loop heartbeat kept beating (the watchdog would fire after
//! 8 s without one), the hub's resident memory with the phones connected, and the page's
//! weight (HTML + script).
//!
//! Where the phones run: by default in a separate process (this bench started again with
//! `INTEGRA_BENCH_PHONES=1`), so their CPU is not counted as the hub's slowness — they still
//! share the machine's cores, as phones on the Wi-Fi would not. The staff clients run in the
//! hub's process on their own runtime. The run then starts itself again with
//! `FOLLOW_PHONES=inline`: the phones in the hub's process on the staff clients' runtime, as this
//! bench measured before (the figure the old rows quote). `FOLLOW_PHONES=process` or `inline`
//! runs one of the two only.

use integra::core::{Catalog, Command, Lang};
use integra::engine::Engine;
use integra::hub::{Hub, Role, auth};
use integra::store::Store;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const LINKS: usize = 250;
const PHONES_PER_LINK: usize = 8;
const PHONES: usize = LINKS * PHONES_PER_LINK;
const ADDRESSES: usize = 125;
const CALLS: usize = 20;
/// The counters of the demo center that serve neither `info` nor a service the followed
/// tickets wait for, each with the service its staff client issues.
const OTHER_WORK: [(&str, &str); 7] = [
    ("3", "health"),
    ("3", "education"),
    ("4", "jobs"),
    ("4", "housing"),
    ("5", "protection"),
    ("3", "health"),
    ("4", "jobs"),
];

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

/// One staff command over HTTP; its latency in ms, or `None` if it failed.
async fn command(http: &reqwest::Client, url: String, token: &str, body: Option<Value>) -> f64 {
    let t = Instant::now();
    let mut r = http.post(url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let ok = matches!(r.send().await, Ok(r) if r.status().is_success());
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if ok { ms } else { -ms }
}

/// The monotonic clock in nanoseconds, the same in every process (Rust's `Instant` reads it
/// too, but cannot cross a pipe).
fn mono_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The phones: 8 on each link, 16 on each address, each long-polling its link's JSON; every
/// time a phone sees a new version after its first, `(phone, when)` goes to `seen`.
fn spawn_phones(
    followed: &[String],
    seen: tokio::sync::mpsc::UnboundedSender<(usize, u64)>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let clients: Vec<reqwest::Client> = (0..ADDRESSES)
        .map(|a| {
            let ip: std::net::IpAddr = format!("127.0.{}.{}", a / 100, 2 + a % 100)
                .parse()
                .expect("ip");
            reqwest::Client::builder()
                .local_address(Some(ip))
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client")
        })
        .collect();
    let mut phones = Vec::new();
    for i in 0..PHONES {
        let client = clients[i % ADDRESSES].clone();
        let (url, tx) = (followed[i % LINKS].clone(), seen.clone());
        phones.push(tokio::spawn(async move {
            let mut version = String::new();
            loop {
                let r = client
                    .get(format!("{url}?wait={version}"))
                    .header("accept", "application/json")
                    .send()
                    .await;
                let v: Value = match r {
                    Ok(r) if r.status().is_success() => r.json().await.unwrap_or(Value::Null),
                    _ => {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                let new = v["version"].as_str().unwrap_or_default().to_string();
                if !version.is_empty() && new != version {
                    let _ = tx.send((i, mono_ns()));
                }
                version = new;
            }
        }));
    }
    phones
}

/// The phones' process: the followed links on stdin (one a line, then an empty line), each
/// update seen on stdout as `phone nanoseconds`, until the bench ends it.
fn phones_process() {
    use std::io::{BufRead, Write};
    integra::hub::tls::provider();
    // 2,000 sockets of phones plus the hub's own: the soft file limit up to the hard one.
    integra::hub::http::raise_file_limit();
    let followed: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.is_empty())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let _phones = spawn_phones(&followed, tx);
        let mut out = std::io::stdout().lock();
        while let Some((i, at)) = rx.recv().await {
            let _ = writeln!(out, "{i} {at}");
            while let Ok((i, at)) = rx.try_recv() {
                let _ = writeln!(out, "{i} {at}");
            }
            if out.flush().is_err() {
                return;
            }
        }
    });
}

/// Where the phones run (see the module's words).
#[derive(Clone, Copy, PartialEq)]
enum Phones {
    Process,
    Inline,
}

fn main() {
    if std::env::var_os("INTEGRA_BENCH_PHONES").is_some() {
        return phones_process();
    }
    let only = std::env::var("FOLLOW_PHONES").ok();
    match only.as_deref() {
        Some("inline") => run(Phones::Inline),
        Some("process") => run(Phones::Process),
        _ => {
            run(Phones::Process);
            let status = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args(std::env::args_os().skip(1))
                .env("FOLLOW_PHONES", "inline")
                .status()
                .expect("the inline run");
            assert!(status.success(), "the inline run failed");
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn run(mode: Phones) {
    integra::hub::tls::provider();
    let files = integra::hub::http::raise_file_limit().unwrap_or(1024);
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let engine = Engine::open(dir.path(), catalog).expect("engine");
    let hub = Hub::new(engine, Some("2026-01-05T14:00:00Z".parse().expect("time"))).expect("hub");
    let addr = hub
        .serve_in_background("127.0.0.1:0".parse().expect("addr"), None)
        .expect("serve");
    while !hub.is_ready() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut links = Vec::new();
    for _ in 0..LINKS + CALLS + 5 {
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
    // The last LINKS tickets are followed (the first ones are called during the run).
    let followed: Vec<String> = links.split_off(CALLS + 5);
    let rss_before = rss_kib();
    let load_before = load_average();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let base = format!("http://{addr}");
        let http = reqwest::Client::new();
        let admin = pair(&http, &base, dir.path(), Role::Admin).await;
        let staff = pair(&http, &base, dir.path(), Role::Counter).await;
        // Page weight, as a phone loads it.
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
            .get(format!("{base}/f/follow.js"))
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

        // The phones: in their own process (each update read from its output), or here on
        // the staff clients' runtime.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, u64)>();
        let mut phones = Vec::new();
        let mut child = None;
        match mode {
            Phones::Inline => phones = spawn_phones(&followed, tx),
            Phones::Process => {
                use std::io::{BufRead, Write};
                let mut c = std::process::Command::new(std::env::current_exe().expect("exe"))
                    .env("INTEGRA_BENCH_PHONES", "1")
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("the phones' process");
                let mut input = c.stdin.take().expect("stdin");
                for url in &followed {
                    writeln!(input, "{url}").expect("links");
                }
                writeln!(input).expect("links");
                let output = c.stdout.take().expect("stdout");
                std::thread::spawn(move || {
                    for line in std::io::BufReader::new(output).lines().map_while(Result::ok) {
                        let mut it = line.split(' ').map(str::parse::<u64>);
                        if let (Some(Ok(i)), Some(Ok(at))) = (it.next(), it.next())
                            && tx.send((i as usize, at)).is_err()
                        {
                            return;
                        }
                    }
                });
                child = Some((c, input));
            }
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        let rss_polling = rss_kib();

        // The watchdog's view of the hub loop, sampled while everything runs.
        let running = Arc::new(AtomicBool::new(true));
        let watching = {
            let running = running.clone();
            tokio::spawn(async move {
                let (mut late, mut fired, mut samples) = (0, 0, 0);
                while running.load(Ordering::SeqCst) {
                    let beats = integra::device::watchdog::heartbeats();
                    let now = Instant::now();
                    samples += 1;
                    if !beats.stale(now, Duration::from_secs(4)).is_empty() {
                        late += 1;
                    }
                    if !beats
                        .stale(now, integra::device::watchdog::STALE_AFTER)
                        .is_empty()
                    {
                        fired += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                (samples, late, fired)
            })
        };

        // Seven staff clients issuing and calling on the other counters, without pause.
        let mut workers = Vec::new();
        for (counter, service) in OTHER_WORK {
            let (http, base, admin, staff) =
                (http.clone(), base.clone(), admin.clone(), staff.clone());
            let running = running.clone();
            workers.push(tokio::spawn(async move {
                let mut took = Vec::new();
                while running.load(Ordering::SeqCst) {
                    let body = json!({"service": service, "lang": "es"});
                    took.push(command(&http, format!("{base}/api/v1/tickets"), &admin, Some(body)).await);
                    let next = format!("{base}/api/v1/counters/{counter}/next");
                    took.push(command(&http, next, &staff, None).await);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                took
            }));
        }

        // The eighth: counter 1 calls the followed service every half second.
        let mut took = Vec::new();
        let mut delays = Vec::new();
        let mut last_phone = Vec::new();
        let mut missed = 0;
        for _ in 0..CALLS {
            while rx.try_recv().is_ok() {}
            let t0 = mono_ns();
            let ms = command(&http, format!("{base}/api/v1/counters/1/next"), &staff, None).await;
            took.push(ms);
            let mut got = vec![false; PHONES];
            let mut n = 0;
            let mut last = 0.0f64;
            while n < PHONES {
                match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                    Ok(Some((i, at))) if !got[i] => {
                        got[i] = true;
                        n += 1;
                        let ms = at.saturating_sub(t0) as f64 / 1e6;
                        delays.push(ms);
                        last = last.max(ms);
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            missed += PHONES - n;
            last_phone.push(last);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        running.store(false, Ordering::SeqCst);
        for w in workers {
            took.extend(w.await.expect("worker"));
        }
        let (samples, late, fired) = watching.await.expect("watchdog");
        let failed = took.iter().filter(|ms| **ms < 0.0).count();
        let mut took: Vec<f64> = took.iter().map(|ms| ms.abs()).collect();
        took.sort_by(f64::total_cmp);
        delays.sort_by(f64::total_cmp);
        last_phone.sort_by(f64::total_cmp);
        let place = match mode {
            Phones::Process => "the phones in their own process, the staff clients on their own runtime",
            Phones::Inline => "the phones in the hub's process, on the staff clients' runtime",
        };
        println!(
            "{PHONES} polls on {LINKS} links from {ADDRESSES} addresses (soft file limit {files}) + 8 staff clients; {place}; load average before {load_before}, after {}:",
            load_average()
        );
        println!(
            "  staff commands ({} issues and calls, {failed} refused or failed): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            took.len(),
            pct(&took, 0.5),
            pct(&took, 0.99),
            took.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "  call → every phone updated ({CALLS} calls, {} updates, {missed} not seen within 10 s): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; last phone per call p50 {:.1} ms",
            delays.len(),
            pct(&delays, 0.5),
            pct(&delays, 0.99),
            delays.last().copied().unwrap_or(f64::NAN),
            pct(&last_phone, 0.5)
        );
        println!(
            "  hub loop heartbeat over {samples} samples: {late} with no beat for 4 s, {fired} with none for 8 s (the watchdog fires)"
        );
        if let Some(computed) = views_computed(&hub) {
            println!("  follow views computed: {computed}");
        }
        println!(
            "process resident memory (hub + {}): {} MiB before, {} MiB with {PHONES} phones long-polling (+{} KiB)",
            match mode {
                Phones::Process => "the staff clients",
                Phones::Inline => "the bench's clients",
            },
            rss_before / 1024,
            rss_polling / 1024,
            rss_polling.saturating_sub(rss_before)
        );
        for p in phones {
            p.abort();
        }
        if let Some((mut c, input)) = child {
            drop(input);
            let _ = c.kill();
            let _ = c.wait();
        }
    });
}

fn views_computed(hub: &Hub) -> Option<u64> {
    Some(hub.follow_views().computed())
}
