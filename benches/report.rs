//! Report benchmark (`cargo bench --bench report`): a 90-day history at about 500 walk-in
//! tickets a day (made by the real queue), stored, then the report of the whole period read
//! from the database, computed and rendered as HTML (and as CSV), timed over several runs.
//! Target: < 200 ms for the HTML report.

use integra::core::Lang;
use integra::i18n::Localizer;
use integra::report::{self, render, sample};
use integra::store::Store;
use std::sync::Arc;
use std::time::Instant;

const DAYS: u32 = 90;
const PER_DAY: u32 = 500;
const RUNS: usize = 15;

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // The demo center, open every day 8:00–18:00 with twice the counters, so that the history
    // really has 500 tickets on each of the 90 days.
    let c = sample::busy_catalog().expect("busy catalog");
    let catalog = Arc::new(c);
    let first = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let t = Instant::now();
    let events = sample::generate(catalog.clone(), first, DAYS + 1, PER_DAY, 90);
    let generated = t.elapsed();
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(dir.path()).expect("store");
    let t = Instant::now();
    store.commit(0, &events, None).expect("commit");
    let stored = t.elapsed();
    let to = first + chrono::Duration::days(i64::from(DAYS) - 1);
    let l = Localizer::new(Lang::Es).expect("es");
    let size = std::fs::metadata(dir.path().join("integra.sqlite3"))
        .map(|m| m.len())
        .unwrap_or(0);

    let mut html_runs = Vec::new();
    let mut parts = (0.0, 0.0, 0.0);
    let mut html_len = 0;
    let mut visitors = 0;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let facts = store.facts(first, to).expect("facts");
        let t1 = Instant::now();
        let r = report::compute(&facts, &catalog, first, to);
        let t2 = Instant::now();
        let html = render::html(&r, &l, &catalog);
        let t3 = Instant::now();
        html_runs.push(ms(t3 - t0));
        parts.0 += ms(t1 - t0);
        parts.1 += ms(t2 - t1);
        parts.2 += ms(t3 - t2);
        html_len = html.len();
        visitors = r.total.visitors;
    }
    // What the read is made of: the appointment and sign-up events alone (a period with no
    // tickets still folds them all).
    let empty = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).expect("date");
    let t0 = Instant::now();
    for _ in 0..RUNS {
        store.facts(empty, empty).expect("facts");
    }
    let events_only = ms(t0.elapsed()) / RUNS as f64;
    let mut csv_runs = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let facts = store.facts(first, to).expect("facts");
        let r = report::compute(&facts, &catalog, first, to);
        let csv = render::csv(&r, &l, &catalog);
        csv_runs.push(ms(t0.elapsed()));
        assert!(!csv.is_empty());
    }
    html_runs.sort_by(f64::total_cmp);
    csv_runs.sort_by(f64::total_cmp);
    let n = RUNS as f64;
    println!(
        "history: {DAYS} days, {visitors} tickets, {} events (generated in {:.1} s, stored in {:.1} s, database {:.1} MB)",
        events.len(),
        generated.as_secs_f64(),
        stored.as_secs_f64(),
        size as f64 / 1e6
    );
    println!(
        "90-day report, HTML ({} KB): min {:.1} ms, median {:.1} ms, max {:.1} ms  [read {:.1} + compute {:.1} + render {:.1} ms on average]  target < 200 ms",
        html_len / 1024,
        html_runs[0],
        html_runs[RUNS / 2],
        html_runs[RUNS - 1],
        parts.0 / n,
        parts.1 / n,
        parts.2 / n
    );
    println!(
        "of the read: appointment and sign-up events {events_only:.1} ms, ticket rows the rest"
    );
    println!(
        "90-day report, CSV: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        csv_runs[0],
        csv_runs[RUNS / 2],
        csv_runs[RUNS - 1]
    );
}
