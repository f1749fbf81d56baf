//! `integra bench`: committed (fsync'd) ticket issues per second with p50/p99 latency, and
//! "call next" latency on a day that already has 10,000 tickets. Runs on a fresh temporary
//! data directory with the demo center and a simulated Monday morning clock.

use super::{CliError, Context, exit};
use crate::core::Outcome;
use crate::core::{Catalog, Command, CounterId, Lang, Mode, PriorityClass, Queue, ServiceCode};
use crate::engine::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use clap::Args;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Tickets issued in the measured issue phase
    #[arg(long, default_value_t = 2_000)]
    pub issues: u32,
    /// Tickets the day holds before "call next" is measured
    #[arg(long, default_value_t = 10_000)]
    pub day_tickets: u32,
    /// "Call next" operations measured
    #[arg(long, default_value_t = 1_000)]
    pub calls: u32,
    /// Tickets printed to a loopback fake printer, measuring commit → first byte
    #[arg(long, default_value_t = 500)]
    pub prints: u32,
}

/// From "issue" committed to the first ticket byte at a fake printer on loopback (status
/// requests answered, as a real Epson printer does), through layout and the spooler thread.
fn first_byte(
    engine: &mut Engine,
    issue_cmd: &dyn Fn(u64) -> Command,
    clock: &dyn Fn(u64) -> DateTime<Utc>,
    from: u64,
    count: u32,
) -> Result<(), CliError> {
    use crate::printer::fake::{FakePrinter, FakeState};
    use crate::printer::{Format, Job, Slip, Spooler, render};
    let fail = |e: String| CliError::new(exit::FAILURE, e);
    let printer = FakePrinter::start(FakeState::Ready).map_err(|e| fail(e.to_string()))?;
    let uri = printer
        .uri()
        .parse::<crate::printer::PrinterUri>()
        .map_err(|e| fail(e.to_string()))?;
    let spooler = Spooler::start(uri, |_| {});
    let format = Format::default();
    let mut committed = Vec::new();
    let mut total = Vec::new();
    let t0 = Instant::now();
    for i in 0..u64::from(count) {
        let start = Instant::now();
        let events = engine.execute(&issue_cmd(from + i), clock(from + i))?;
        let done = Instant::now();
        let Some(slip) = events.issued().map(|(ticket, ahead, wait_minutes)| {
            (
                ticket.label(),
                Slip::for_ticket(engine.queue().catalog(), ticket, ahead, wait_minutes),
            )
        }) else {
            return Err(fail("no ticket issued".into()));
        };
        let bytes = render(&slip.1, &format).map_err(|e| fail(e.to_string()))?;
        spooler
            .submit(Job {
                label: slip.0,
                bytes,
            })
            .map_err(|e| fail(format!("{e:?}")))?;
        let first = printer
            .next_job(std::time::Duration::from_secs(5))
            .ok_or_else(|| fail("the fake printer received nothing".into()))?;
        committed.push((first - done).as_secs_f64() * 1e3);
        total.push((first - start).as_secs_f64() * 1e3);
    }
    let secs = t0.elapsed().as_secs_f64();
    report(
        "committed → first byte (loopback)",
        &figures(committed, secs),
    );
    report("tap → first byte (issue+print)", &figures(total, secs));
    Ok(())
}

pub struct Figures {
    pub count: usize,
    pub total_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn figures(mut samples: Vec<f64>, total_s: f64) -> Figures {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        if samples.is_empty() {
            0.0
        } else {
            samples[((samples.len() as f64 - 1.0) * q).round() as usize]
        }
    };
    Figures {
        count: samples.len(),
        total_s,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: samples.last().copied().unwrap_or(0.0),
    }
}

fn report(name: &str, f: &Figures) {
    println!(
        "{name:<34} n={:<6} {:>9.0}/s  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        f.count,
        f.count as f64 / f.total_s.max(1e-9),
        f.p50_ms,
        f.p99_ms,
        f.max_ms
    );
}

pub fn run(_ctx: &Context, a: BenchArgs) -> Result<(), CliError> {
    let catalog = Arc::new(Catalog::demo()?);
    let dir = std::env::temp_dir().join(format!("integra-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let result = bench_in(&dir, catalog, &a);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench_in(dir: &std::path::Path, catalog: Arc<Catalog>, a: &BenchArgs) -> Result<(), CliError> {
    let tz = catalog.center.timezone;
    // Monday 2026-01-05, 08:00 local: the demo center is open.
    let start: DateTime<Utc> = tz
        .with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| CliError::new(exit::FAILURE, "cannot compute the bench start time"))?;
    let local = start.with_timezone(&tz).naive_local();
    let services: Vec<ServiceCode> = catalog
        .services
        .iter()
        .filter(|s| s.takes(Mode::WalkIn) && s.is_open_at(local.date(), local.time()))
        .map(|s| s.code.clone())
        .collect();
    let classes: Vec<PriorityClass> = catalog
        .priority
        .classes
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let mut engine = Engine::open(dir, catalog.clone())?;
    let mut n: u64 = 0;
    let issue_cmd = |n: u64| Command::IssueTicket {
        service: services[(n as usize) % services.len()].clone(),
        lang: Lang::ALL[(n as usize) % Lang::ALL.len()],
        priority: n
            .is_multiple_of(10)
            .then(|| classes[(n as usize / 10) % classes.len()].clone()),
    };
    // Ten tickets per simulated second, from 08:00: 10,000 tickets end before 08:17.
    let clock = |n: u64| start + Duration::milliseconds(n as i64 * 100);

    println!(
        "integra bench — data in {} (WAL, synchronous=FULL)",
        dir.display()
    );
    let mut samples = Vec::with_capacity(a.issues as usize);
    let t0 = Instant::now();
    for _ in 0..a.issues {
        let cmd = issue_cmd(n);
        let t = Instant::now();
        engine.execute(&cmd, clock(n))?;
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        n += 1;
    }
    report(
        "issue ticket (committed, fsync)",
        &figures(samples, t0.elapsed().as_secs_f64()),
    );

    while n < u64::from(a.day_tickets) {
        let cmd = issue_cmd(n);
        engine.execute(&cmd, clock(n))?;
        n += 1;
    }
    let counters: Vec<CounterId> = catalog.counters.iter().map(|c| c.id.clone()).collect();

    // The pure core alone, on a copy of the same state.
    let mut pure: Queue = engine.queue().clone();
    let mut samples = Vec::new();
    let t0 = Instant::now();
    for i in 0..a.calls {
        let cmd = Command::CallNext {
            counter: counters[i as usize % counters.len()].clone(),
        };
        let t = Instant::now();
        let _ = pure.apply(&cmd, clock(n + u64::from(i)));
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report(
        "call next (pure core, no disk)",
        &figures(samples, t0.elapsed().as_secs_f64()),
    );

    let mut samples = Vec::new();
    let t0 = Instant::now();
    for i in 0..a.calls {
        let cmd = Command::CallNext {
            counter: counters[i as usize % counters.len()].clone(),
        };
        let t = Instant::now();
        // A counter whose services are empty answers "nobody waiting": still a measured call.
        let _ = engine.execute(&cmd, clock(n + u64::from(i)));
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report(
        &format!("call next ({} tickets, committed)", n),
        &figures(samples, t0.elapsed().as_secs_f64()),
    );

    first_byte(
        &mut engine,
        &issue_cmd,
        &clock,
        n + u64::from(a.calls),
        a.prints,
    )?;

    let t = Instant::now();
    let reopened = Engine::open(dir, catalog)?;
    let restart_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "restart ({} events, snapshot+replay)  {restart_ms:.1} ms, same state: {}",
        reopened.queue().seq(),
        reopened.queue().state() == engine.queue().state()
    );
    let db = dir.join(crate::store::DB_FILE);
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "database size                      {:.1} MB",
        size as f64 / 1e6
    );
    Ok(())
}
