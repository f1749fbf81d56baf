//! City figures benchmark (`cargo bench --bench city`), on a real PostgreSQL started here
//! (Debian's `postgresql`, a cluster in a temporary directory, fsync on as a city server has it):
//!
//! 1. 20 centers × 90 days × 500 walk-in tickets a day (with their appointments and sign-ups),
//!    replicated from empty by 20 replicators at once, as 20 hubs coming online would: events
//!    and ticket rows per second.
//! 2. The city report over all of it (figures computed by the database, then the HTML page):
//!    median of several runs. Target < 1 s.
//! 3. A real `integra hub` sending a 90-day backlog: its resident memory while it sends, next to
//!    the same hub without `[city]`.

#[allow(dead_code)]
#[path = "../tests/it/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/it/pg.rs"]
mod pg;

use chrono::{DateTime, NaiveDate, Utc};
use integra::city::{figures, render, replicate};
use integra::core::{Catalog, Lang};
use integra::device::settings::CitySettings;
use integra::report::sample;
use integra::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CENTERS: usize = 20;
const DAYS: u32 = 90;
const PER_DAY: u32 = 500;

struct BenchHost {
    db: PathBuf,
    catalog: Arc<Catalog>,
    now: DateTime<Utc>,
}

impl replicate::Host for BenchHost {
    fn open_store(&self) -> Result<Store, integra::store::StoreError> {
        Store::open_file(&self.db)
    }
    fn catalog(&self) -> Arc<Catalog> {
        self.catalog.clone()
    }
    fn now(&self) -> DateTime<Utc> {
        self.now
    }
    fn link_alert(&self, _message: Option<String>) {}
}

fn acked(client: &mut postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT coalesce(sum(last_seq), 0)::bigint FROM integra.centers",
            &[],
        )
        .map(|r| r.get(0))
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Run `integra hub` on `data` (with `[city]` when `url` is given) and sample its memory every
/// 50 ms until `done` says so (or `for_at_least` has passed without a city). Returns the peak
/// and the last sample, in MiB.
fn hub_memory(
    dir: &Path,
    data: &Path,
    url: Option<&str>,
    done: &mut dyn FnMut() -> bool,
) -> (f64, f64, Duration) {
    let settings = dir.join(if url.is_some() {
        "city.toml"
    } else {
        "plain.toml"
    });
    let mut text = format!(
        "role = \"hub\"\ndata_dir = \"{}\"\nlisten = \"127.0.0.1:{}\"\n",
        data.display(),
        common::free_port()
    );
    if let Some(url) = url {
        text.push_str(&format!("\n[city]\nurl = \"{url}\"\n"));
    }
    std::fs::write(&settings, text).expect("settings");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(&settings)
        .arg("hub")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start integra hub");
    let t = Instant::now();
    let (mut peak, mut last) = (0u64, 0u64);
    loop {
        if let Some(r) = rss_kib(child.id()) {
            peak = peak.max(r);
            last = r;
        }
        if done() || t.elapsed() > Duration::from_secs(600) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = t.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    (peak as f64 / 1024.0, last as f64 / 1024.0, took)
}

fn main() {
    let catalog = sample::busy_catalog().expect("busy catalog");
    let first = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let to = first + chrono::Duration::days(i64::from(DAYS) - 1);
    let tmp = tempfile::tempdir().expect("tempdir");

    // One 90-day history, stored once, copied for every center (each then gets its own id).
    let t = Instant::now();
    let events = sample::generate(Arc::new(catalog.clone()), first, DAYS, PER_DAY, 90);
    let template = tmp.path().join("template");
    std::fs::create_dir_all(&template).expect("dir");
    Store::open(&template)
        .expect("store")
        .commit(0, &events, None)
        .expect("commit");
    let tickets_per_center = events
        .iter()
        .filter(|e| matches!(e.event, integra::core::Event::TicketIssued { .. }))
        .count();
    println!(
        "history: {} events, {} tickets per center ({} days × ~{} a day), made and stored in {:.1} s",
        events.len(),
        tickets_per_center,
        DAYS,
        PER_DAY,
        t.elapsed().as_secs_f64()
    );
    let now = Utc::now();
    let mut hosts = Vec::new();
    for i in 0..CENTERS {
        let dir = tmp.path().join(format!("center-{i:02}"));
        std::fs::create_dir_all(&dir).expect("dir");
        let db = dir.join("integra.sqlite3");
        std::fs::copy(template.join("integra.sqlite3"), &db).expect("copy");
        Store::open_file(&db)
            .expect("store")
            .new_center_id()
            .expect("new id");
        let mut c = catalog.clone();
        c.center.name = format!("Centro {:02}", i + 1);
        hosts.push(BenchHost {
            db,
            catalog: Arc::new(c),
            now,
        });
    }

    let pg = pg::Pg::start_with(&["fsync=on", "full_page_writes=on", "max_connections=60"]);
    pg.create_db("city");
    let url = pg.url("city");
    let mut client = pg.client("city");

    // 1. Replication from empty, 20 centers at once.
    let total_events = (events.len() * CENTERS) as i64;
    let t = Instant::now();
    let links: Vec<replicate::Link> = hosts
        .into_iter()
        .map(|h| {
            replicate::start(
                Arc::new(h),
                CitySettings {
                    url: url.clone(),
                    ca_file: None,
                },
            )
        })
        .collect();
    while acked(&mut client) < total_events {
        assert!(
            t.elapsed() < Duration::from_secs(1800),
            "replication too slow"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = t.elapsed().as_secs_f64();
    drop(links);
    let rows: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM integra.tickets) + (SELECT count(*) FROM integra.appointments)
                  + (SELECT count(*) FROM integra.signups)",
            &[],
        )
        .expect("rows")
        .get(0);
    let tickets: i64 = client
        .query_one("SELECT count(*) FROM integra.tickets", &[])
        .expect("tickets")
        .get(0);
    let size: i64 = client
        .query_one("SELECT pg_database_size('city')", &[])
        .expect("size")
        .get(0);
    println!(
        "replicated from empty: {CENTERS} centers, {total_events} events, {tickets} ticket rows ({rows} rows with appointments and sign-ups) in {took:.1} s = {:.0} events/s, {:.0} ticket rows/s; city database {:.0} MiB",
        total_events as f64 / took,
        tickets as f64 / took,
        size as f64 / 1_048_576.0
    );

    // 2. The city report over all of it: once right after the load (the database still setting
    // hint bits and checkpointing the load), then settled (as autovacuum leaves it).
    let l = integra::i18n::Localizer::new(Lang::Es).expect("es");
    let t0 = Instant::now();
    figures::compute(&mut client, "bench", first, to).expect("city report");
    let right_after = t0.elapsed().as_secs_f64() * 1000.0;
    client.batch_execute("VACUUM (ANALYZE)").expect("vacuum");
    client.batch_execute("CHECKPOINT").expect("checkpoint");
    let mut runs = Vec::new();
    let mut figures_only = Vec::new();
    let mut visitors = 0;
    for _ in 0..7 {
        let t0 = Instant::now();
        let r = figures::compute(&mut client, "bench", first, to).expect("city report");
        let t1 = Instant::now();
        let html = render::html(&r, &l);
        let t2 = Instant::now();
        figures_only.push((t1 - t0).as_secs_f64() * 1000.0);
        runs.push((t2 - t0).as_secs_f64() * 1000.0);
        visitors = r.total.visitors;
        assert!(html.len() > 10_000);
    }
    runs.sort_by(f64::total_cmp);
    figures_only.sort_by(f64::total_cmp);
    println!(
        "city report over {CENTERS} centers × {DAYS} days ({visitors} visitors): {right_after:.0} ms right after the load; settled: median {:.0} ms (figures {:.0} ms + HTML), worst {:.0} ms — target < 1000 ms",
        runs[runs.len() / 2],
        figures_only[figures_only.len() / 2],
        runs[runs.len() - 1]
    );

    // 3. A real hub sending a 90-day backlog: its memory, beside the same hub without [city].
    let data = tmp.path().join("hub");
    std::fs::create_dir_all(&data).expect("dir");
    std::fs::copy(
        template.join("integra.sqlite3"),
        data.join("integra.sqlite3"),
    )
    .expect("copy");
    let id = Store::open(&data)
        .expect("store")
        .new_center_id()
        .expect("id");
    let since = Instant::now();
    let (plain_peak, plain_last, _) = hub_memory(tmp.path(), &data, None, &mut || {
        since.elapsed() > Duration::from_secs(8)
    });
    pg.create_db("city2");
    let url2 = pg.url("city2");
    let local = Store::open(&data).expect("store").last_seq().expect("seq") as i64;
    let mut watch = || {
        let mut c = match postgres::Client::connect(&url2, postgres::NoTls) {
            Ok(c) => c,
            Err(_) => return false,
        };
        c.query_opt("SELECT last_seq FROM integra.centers WHERE id = $1", &[&id])
            .ok()
            .flatten()
            .map(|r| r.get::<_, i64>(0) >= local)
            .unwrap_or(false)
    };
    let (city_peak, city_last, sent_in) = hub_memory(tmp.path(), &data, Some(&url2), &mut watch);
    println!(
        "a real hub started with a {DAYS}-day backlog ({local} events) sent it all in {:.1} s from its start; resident memory: peak {:.1} MiB, {:.1} MiB when the last batch was acknowledged — the same hub without [city]: peak {:.1} MiB (its start: opening 90 days, the privacy purge), {:.1} MiB 8 s later",
        sent_in.as_secs_f64(),
        city_peak,
        city_last,
        plain_peak,
        plain_last
    );
}
