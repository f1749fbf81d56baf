//! The city's figures on a real PostgreSQL (`pg::Pg`): hubs replicate their anonymous facts
//! exactly once through cuts and restarts, the city report matches each hub's own report, and
//! nothing personal reaches the city database.

use super::pg::Pg;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use integra::city::{self, figures, render, replicate};
use integra::core::{Catalog, Command, CounterId, Lang, Mode, ServiceCode};
use integra::device::settings::CitySettings;
use integra::engine::Engine;
use integra::hub::Hub;
use integra::report::{self, Feedback, sample};
use integra::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIRST: (i32, u32, u32) = (2026, 11, 2);
const DAYS: u32 = 8;

fn first() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).expect("date")
}

/// The hubs' fixed clock: 10:00 on the day after the generated history.
fn clock(catalog: &Catalog) -> DateTime<Utc> {
    let day = first() + chrono::Duration::days(i64::from(DAYS));
    catalog
        .center
        .timezone
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("time"))
        .earliest()
        .expect("local time")
        .with_timezone(&Utc)
}

struct Center {
    _dir: tempfile::TempDir,
    hub: Hub,
    catalog: Arc<Catalog>,
    link: Option<replicate::Link>,
}

impl Center {
    /// A hub with `DAYS` days of generated history (tickets, appointments, sign-ups with made-up
    /// names and phones), and a few feedback answers.
    fn new(name: &str, seed: u64, per_day: u32) -> Center {
        let mut c = sample::busy_catalog().expect("busy catalog");
        c.center.name = name.into();
        let catalog = Arc::new(c);
        let dir = tempfile::tempdir().expect("tempdir");
        let events = sample::generate(catalog.clone(), first(), DAYS, per_day, seed);
        {
            let mut store = Store::open(dir.path()).expect("store");
            store.commit(0, &events, None).expect("commit history");
            for (i, rating) in [3u8, 3, 2, 1, 3, 3, 2].iter().enumerate() {
                store
                    .record_feedback(
                        first() + chrono::Duration::days(2),
                        1_000 + i as u64,
                        "info",
                        Feedback {
                            rating: *rating,
                            waited_too_long: i % 3 == 0,
                            not_understood: i == 4,
                            got_what_needed: *rating == 3,
                        },
                    )
                    .expect("feedback");
            }
        }
        let engine = Engine::open(dir.path(), catalog.clone()).expect("engine");
        let hub = Hub::new(engine, Some(clock(&catalog))).expect("hub");
        Center {
            _dir: dir,
            hub,
            catalog,
            link: None,
        }
    }

    fn connect(&mut self, url: &str) {
        self.link = Some(self.hub.start_city_link(CitySettings {
            url: url.into(),
            ca_file: None,
        }));
    }

    /// Visitors today: walk-in tickets (some booked names typed in), calls and ends.
    fn live(&self, round: u64) {
        let now = clock(&self.catalog) + chrono::Duration::minutes(round as i64);
        let walk_in: Vec<ServiceCode> = self
            .catalog
            .services
            .iter()
            .filter(|s| s.takes(Mode::WalkIn))
            .map(|s| s.code.clone())
            .collect();
        let mut s = self.hub.session();
        for i in 0..6 {
            let service = walk_in[(round as usize + i) % walk_in.len()].clone();
            let lang = [Lang::Es, Lang::Fr, Lang::Ht][i % 3];
            let _ = s.execute(
                &Command::IssueTicket {
                    service,
                    lang,
                    priority: None,
                },
                now,
            );
        }
        for counter in ["1", "2", "3"] {
            let _ = s.execute(
                &Command::CallNext {
                    counter: CounterId::new(counter),
                },
                now + chrono::Duration::seconds(30),
            );
        }
        // A receptionist's mistaken tap, undone (a reopened ticket's end is cleared in the
        // city too): every other round it stays reopened, else it is finished again.
        let current = s.queue().current_at(&CounterId::new("2")).map(|t| t.id);
        if let Some(ticket) = current {
            let at = now + chrono::Duration::seconds(40);
            let mistaken = if round.is_multiple_of(2) {
                Command::NoShow { ticket }
            } else {
                Command::Finish { ticket }
            };
            s.execute(&mistaken, at).expect("mistaken end");
            s.execute(
                &Command::Reopen { ticket },
                at + chrono::Duration::seconds(5),
            )
            .expect("undone");
            if !round.is_multiple_of(2) {
                s.execute(
                    &Command::Finish { ticket },
                    at + chrono::Duration::seconds(50),
                )
                .expect("finished");
            }
        }
        drop(s);
        // Today's answers from phones.
        let store = self.hub.side_store().expect("side store");
        let _ = store;
        let mut store = self.hub.side_store().expect("side store");
        let today = now
            .with_timezone(&self.catalog.center.timezone)
            .date_naive();
        store
            .record_feedback(
                today,
                round,
                "info",
                Feedback {
                    rating: 3,
                    waited_too_long: false,
                    not_understood: false,
                    got_what_needed: true,
                },
            )
            .expect("feedback today");
    }

    fn local_seq(&self) -> u64 {
        self.hub
            .side_store()
            .expect("store")
            .last_seq()
            .expect("seq")
    }

    fn feedback_count(&self) -> usize {
        self.hub
            .side_store()
            .expect("store")
            .feedback_rows(None)
            .expect("feedback")
            .len()
    }

    fn center_id(&self) -> String {
        self.hub
            .side_store()
            .expect("store")
            .center_id()
            .expect("id")
    }

    fn status(&self) -> integra::store::city::CityStatus {
        self.link.as_ref().map(|l| l.status()).unwrap_or_default()
    }

    /// The hub's own report over the whole period.
    fn own_report(&self) -> report::Report {
        let (from, to) = period();
        let facts = self
            .hub
            .side_store()
            .expect("store")
            .facts(from, to)
            .expect("facts");
        report::compute(&facts, &self.catalog, from, to)
    }
}

fn period() -> (NaiveDate, NaiveDate) {
    (
        first() - chrono::Duration::days(1),
        first() + chrono::Duration::days(30),
    )
}

/// Wait until every center's events and feedback are in the city database.
fn caught_up(centers: &[Center], pg: &Pg, db: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let mut c = pg.client(db);
        let mut done = true;
        for center in centers {
            let row = c
                .query_opt(
                    "SELECT last_seq, (SELECT count(*) FROM integra.feedback f WHERE f.center = $1)
                     FROM integra.centers WHERE id = $1",
                    &[&center.center_id()],
                )
                .ok()
                .flatten();
            let (acked, feedback) = row
                .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as usize))
                .unwrap_or((0, 0));
            done &= acked == center.local_seq() && feedback == center.feedback_count();
        }
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the city database did not catch up within {within:?}: {:?}",
            centers
                .iter()
                .map(|c| (c.status(), c.local_seq()))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn by_code<T: Clone>(rows: &[(String, T)]) -> BTreeMap<String, T> {
    rows.iter().cloned().collect()
}

/// A center's row in the city report equals its own report, figure by figure.
fn assert_same_figures(own: &report::Report, city: &figures::CenterFigures) {
    let name = &own.center;
    assert_eq!(city.total, own.total, "{name}: total");
    assert_eq!(
        by_code(&city.services),
        by_code(&own.services),
        "{name}: per service"
    );
    assert_eq!(
        city.appointments_total, own.appointments_total,
        "{name}: appointments"
    );
    assert_eq!(
        by_code(&city.appointments),
        by_code(&own.appointments),
        "{name}: appointments per service"
    );
    assert_eq!(
        city.satisfaction_total, own.satisfaction_total,
        "{name}: satisfaction"
    );
    assert_eq!(
        by_code(&city.satisfaction),
        by_code(&own.satisfaction),
        "{name}: satisfaction per service"
    );
    assert_eq!(
        by_code(&city.languages),
        by_code(&own.languages),
        "{name}: languages"
    );
    let signups = |rows: &[report::ActivityRow]| -> BTreeMap<String, (u32, u32, u32, u32)> {
        rows.iter()
            .filter(|a| a.seated + a.waitlist + a.cancelled > 0)
            .map(|a| {
                (
                    a.code.clone(),
                    (a.seated, a.waitlist, a.cancelled, a.attended),
                )
            })
            .collect()
    };
    assert_eq!(
        signups(&city.activities),
        signups(&own.activities),
        "{name}: activities"
    );
    assert!(own.total.visitors > 0, "{name}: the history has visitors");
}

fn city_report(pg: &Pg, db: &str) -> figures::CityReport {
    let (from, to) = period();
    figures::compute(&mut pg.client(db), "test", from, to).expect("city report")
}

fn count(pg: &Pg, db: &str, sql: &str, center: &str) -> i64 {
    pg.client(db)
        .query_one(sql, &[&center])
        .expect("count")
        .get(0)
}

#[test]
fn three_hubs_replicate_exactly_once_through_a_cut_and_match_their_own_reports() {
    let pg = Pg::start();
    pg.create_db("city");
    let url = pg.url("city");
    let mut centers = vec![
        Center::new("Centro Norte", 1, 60),
        Center::new("Centro Sur", 2, 45),
        Center::new("Casa Este", 3, 30),
    ];
    for c in &mut centers {
        c.connect(&url);
    }
    for (i, c) in centers.iter().enumerate() {
        c.live(i as u64 + 1);
    }
    caught_up(&centers, &pg, "city", Duration::from_secs(60));

    // The link is cut (the city server goes down): the centers work on, nothing waits.
    pg.down();
    let t = Instant::now();
    for round in 10..14 {
        for c in &centers {
            c.live(round);
        }
    }
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the queue waited for the city database: {:?}",
        t.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while centers.iter().any(|c| c.status().down_since.is_none()) {
        assert!(Instant::now() < deadline, "the link never noticed the cut");
        std::thread::sleep(Duration::from_millis(100));
    }
    for c in &centers {
        let st = c.status();
        assert!(
            st.last_error
                .as_deref()
                .is_some_and(|e| e.contains("city database")),
            "a plain error: {st:?}"
        );
        assert!(st.acked_seq < c.local_seq(), "events wait to be sent");
        // Recorded for the doctor (and a restart) in the hub's own database.
        let stored = c
            .hub
            .side_store()
            .expect("store")
            .city_status()
            .expect("status");
        assert!(stored.down_since.is_some(), "{stored:?}");
    }

    // Restored: every center resumes where the city acknowledged, and catches up.
    pg.up();
    caught_up(&centers, &pg, "city", Duration::from_secs(60));
    for c in &centers {
        assert!(c.status().down_since.is_none());
    }

    let city = city_report(&pg, "city");
    assert_eq!(city.centers.len(), 3);
    for c in &centers {
        let undone = c
            .hub
            .side_store()
            .expect("store")
            .events_of_types(&["ticket_reopened"], 100)
            .expect("events");
        assert!(undone.len() >= 2, "the live rounds undid mistaken ends");
    }
    let mut visitors = 0;
    for c in &centers {
        let own = c.own_report();
        let id = c.center_id();
        let row = city
            .centers
            .iter()
            .find(|f| f.id == id)
            .expect("the center is in the city report");
        assert_eq!(row.name, c.catalog.center.name);
        assert_same_figures(&own, row);
        visitors += own.total.visitors;
        // Every ticket row once — not one more, not one less.
        let local = c
            .hub
            .side_store()
            .expect("store")
            .facts(far_past(), far_future())
            .expect("facts");
        assert_eq!(
            count(
                &pg,
                "city",
                "SELECT count(*) FROM integra.tickets WHERE center = $1",
                &id
            ) as usize,
            local.tickets.len()
        );
        assert_eq!(
            count(
                &pg,
                "city",
                "SELECT count(*) FROM integra.appointments WHERE center = $1",
                &id
            ) as usize,
            local.appointments.len()
        );
    }
    assert_eq!(city.total.visitors, visitors, "all centers together");

    // Nothing personal in the whole city database.
    let dump = pg.dump("city");
    assert!(
        dump.contains("Centro Norte"),
        "the dump is of the city database"
    );
    for personal in ["Visitante", "300 555", "555 0"] {
        assert!(
            !dump.contains(personal),
            "the city database holds '{personal}'"
        );
    }

    // The report reads: HTML with each center, CSV, open data.
    let l = integra::i18n::Localizer::new(Lang::Fr).expect("fr");
    let html = render::html(&city, &l);
    for c in &centers {
        assert!(html.contains(&c.catalog.center.name));
    }
    assert!(html.contains("Visiteurs par centre") && html.contains("<svg"));
    let csv = render::csv(&city, &l);
    assert!(csv.contains("Casa Este"));
    let open = render::open_data(&city, Lang::Es);
    assert!(open.starts_with("from,to,center_id,center,service"));
    assert_eq!(
        open.lines().count(),
        1 + city
            .centers
            .iter()
            .map(|c| c.services.len() + 1)
            .sum::<usize>()
    );

    // The same through `integra city report`, as the city office runs it.
    let out = tempfile::tempdir().expect("out");
    let (from, to) = period();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
            .args([
                "city",
                "report",
                "--from",
                &from.to_string(),
                "--to",
                &to.to_string(),
            ])
            .args(args)
            .output()
            .expect("run integra city report")
    };
    let page = out.path().join("city.html");
    let run = cli(&[
        "--url",
        &url,
        "--lang",
        "pt",
        "--out",
        page.to_str().expect("path"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains("Visitantes por centro") && html.contains("Centro Sur"));
    let run = cli(&["--url", &url, "--open-data"]);
    assert!(run.status.success());
    assert_eq!(String::from_utf8_lossy(&run.stdout), open);
    // Bad input: a clear message, the right exit code, nothing written.
    let run = cli(&["--url", "mysql://u:pw@h/db"]);
    assert_eq!(run.status.code(), Some(2));
    let e = String::from_utf8_lossy(&run.stderr);
    assert!(
        e.contains("not a PostgreSQL URL") && !e.contains("pw@"),
        "{e}"
    );
    let gone = format!(
        "postgresql://u:secret@127.0.0.1:{}/city",
        super::common::free_port()
    );
    let run = cli(&[
        "--url",
        &gone,
        "--out",
        out.path().join("no.html").to_str().expect("path"),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let e = String::from_utf8_lossy(&run.stderr);
    assert!(
        e.contains("cannot reach the city database") && !e.contains("secret"),
        "{e}"
    );
    assert!(!out.path().join("no.html").exists());
}

#[test]
fn a_hub_killed_in_the_middle_of_a_batch_sends_that_batch_once_after_restart() {
    let pg = Pg::start();
    pg.create_db("city");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    // A backlog of several batches: 20 days of a busy center.
    let catalog = Arc::new(sample::busy_catalog().expect("catalog"));
    let events = sample::generate(catalog.clone(), first(), 20, 200, 7);
    let total = events.len() as u64;
    assert!(total > 3 * replicate::BATCH as u64, "{total} events");
    Store::open(&data)
        .expect("store")
        .commit(0, &events, None)
        .expect("history");
    let settings = dir.path().join("integra.toml");
    std::fs::write(
        &settings,
        format!(
            "role = \"hub\"\ndata_dir = \"{}\"\nlisten = \"127.0.0.1:{}\"\n\n[city]\nurl = \"{}\"\n",
            data.display(),
            super::common::free_port(),
            pg.url("city")
        ),
    )
    .expect("settings");
    let run = |env: &[(&str, &str)]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
            .envs(env.iter().copied())
            .arg("--settings")
            .arg(&settings)
            .args(["--at", "2026-11-30T15:00:00Z", "hub"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start integra hub")
    };
    let acked = || -> i64 {
        pg.client("city")
            .query_opt("SELECT last_seq FROM integra.centers", &[])
            .ok()
            .flatten()
            .map(|r| r.get(0))
            .unwrap_or(0)
    };
    let rows = || -> i64 {
        pg.client("city")
            .query_opt("SELECT count(*) FROM integra.tickets", &[])
            .ok()
            .flatten()
            .map(|r| r.get(0))
            .unwrap_or(0)
    };

    // 1. Cut in the middle of the second batch (rows written, not committed): the process dies.
    let mut child = run(&[("INTEGRA_DRILL_CITY_ABORT", "2")]);
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the drill aborts the hub");
    let stored = Store::open(&data).expect("store");
    let after_first: Vec<_> = stored
        .events_batch(0, replicate::BATCH)
        .expect("first batch");
    let first_end = after_first.last().expect("events").seq as i64;
    assert_eq!(
        acked(),
        first_end,
        "exactly the first batch is in the city database"
    );
    let issued_in_first = after_first
        .iter()
        .filter(|e| matches!(e.event, integra::core::Event::TicketIssued { .. }))
        .count() as i64;
    assert_eq!(rows(), issued_in_first, "nothing of the cut batch was kept");

    // 2. Killed (SIGKILL) at arbitrary moments while it sends.
    for round in 0..4u64 {
        let mut child = run(&[]);
        std::thread::sleep(Duration::from_millis(300 + round * 170));
        let _ = child.kill();
        let _ = child.wait();
    }

    // 3. Runs to the end: the city has every event once.
    let mut child = run(&[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    // (The hub may have added events of its own at start: a new day, the catalog in use.)
    while acked() < stored.last_seq().expect("seq") as i64 {
        assert!(
            Instant::now() < deadline,
            "the hub did not finish sending: {}",
            acked()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let local = stored.facts(far_past(), far_future()).expect("facts");
    assert_eq!(rows() as usize, local.tickets.len());
    let (from, to) = (first(), first() + chrono::Duration::days(19));
    let city = figures::compute(&mut pg.client("city"), "test", from, to).expect("city report");
    let own = report::compute(&stored.facts(from, to).expect("facts"), &catalog, from, to);
    assert_eq!(city.centers.len(), 1);
    assert_same_figures(&own, &city.centers[0]);
}

#[test]
fn the_city_schema_is_made_once_by_hubs_starting_together_and_a_newer_one_is_refused() {
    let pg = Pg::start();
    pg.create_db("city");
    let settings = CitySettings {
        url: pg.url("city"),
        ca_file: None,
    };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let settings = settings.clone();
            std::thread::spawn(move || {
                let mut c = city::connect(&settings, Duration::from_secs(10)).expect("connect");
                city::migrate(&mut c, "test")
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread"), Ok(city::schema_version()));
    }
    let mut c = pg.client("city");
    let versions: i64 = c
        .query_one("SELECT count(*) FROM integra.schema_version", &[])
        .expect("versions")
        .get(0);
    assert_eq!(versions as usize, city::schema_version());
    c.execute(
        "INSERT INTO integra.schema_version (version) VALUES (99)",
        &[],
    )
    .expect("a newer program was here");
    let mut c = city::connect(&settings, Duration::from_secs(10)).expect("connect");
    let e = city::migrate(&mut c, "test").expect_err("newer schema");
    // (and nothing changed)
    assert!(city::migrate(&mut c, "test").is_err());
    assert!(
        e.to_string().contains("newer than this program knows"),
        "{e}"
    );
}

#[test]
fn a_city_database_made_by_an_older_program_is_migrated_and_keeps_its_figures() {
    let pg = Pg::start();
    pg.create_db("city");
    let settings = CitySettings {
        url: pg.url("city"),
        ca_file: None,
    };
    let mut c = city::connect(&settings, Duration::from_secs(10)).expect("connect");
    assert_eq!(city::migrate_to(&mut c, "test", 1), Ok(1));
    // What a hub of version 1 sent: a ticket called 95.6 s after it was issued, served 4 min.
    c.batch_execute(
        "INSERT INTO integra.centers (id, name, timezone, last_seq) VALUES ('c1', 'Centro', 'America/Bogota', 3);
         INSERT INTO integra.tickets (center, id, day, service, priority, lang, appointment,
             issued_at, state, called_at, serving_at, ended_at)
         VALUES ('c1', 1, '2026-11-02', 'info', NULL, 'es', false, '2026-11-02 14:00:00+00',
             'done', '2026-11-02 14:01:35.6+00', '2026-11-02 14:02:00+00', '2026-11-02 14:06:00+00');",
    )
    .expect("version-1 rows");
    // A newer hub starts: the schema goes to this program's version, the rows stay.
    assert_eq!(city::migrate(&mut c, "test"), Ok(city::schema_version()));
    assert!(city::schema_version() >= 2);
    let r = figures::compute(
        &mut c,
        "test",
        NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
        NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
    )
    .expect("report");
    let g = &r.centers[0].total;
    assert_eq!((g.visitors, g.served), (1, 1));
    assert_eq!(
        g.wait.median,
        Some(95),
        "whole seconds, as the center's report counts them"
    );
    assert_eq!(g.service.median, Some(240));
    let last: i64 = c
        .query_one("SELECT last_seq FROM integra.centers", &[])
        .expect("center")
        .get(0);
    assert_eq!(last, 3, "where the hub resumes is kept");
}

#[test]
fn a_link_down_for_more_than_a_day_raises_the_staff_alert_and_the_doctor_says_so() {
    let center = Center::new("Centro Oeste", 4, 10);
    let now = clock(&center.catalog);
    // Down since yesterday morning (recorded by an earlier run of the hub).
    center
        .hub
        .side_store()
        .expect("store")
        .set_city_status(&integra::store::city::CityStatus {
            acked_seq: 0,
            last_ok: None,
            down_since: Some(now - chrono::Duration::hours(26)),
            last_error: Some("connection refused".into()),
        })
        .expect("status");
    // Nobody listens on this port.
    let dead = format!(
        "postgresql://integra@127.0.0.1:{}/city",
        super::common::free_port()
    );
    let settings = CitySettings {
        url: dead,
        ca_file: None,
    };
    let link = center.hub.start_city_link(settings.clone());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !center
        .hub
        .alerts()
        .iter()
        .any(|a| a.kind == replicate::ALERT)
    {
        assert!(Instant::now() < deadline, "no staff alert after a day down");
        std::thread::sleep(Duration::from_millis(50));
    }
    let alert = center
        .hub
        .alerts()
        .into_iter()
        .find(|a| a.kind == replicate::ALERT)
        .expect("alert");
    assert!(
        alert.message.contains("not been sent since"),
        "{}",
        alert.message
    );
    drop(link);

    let dir = center
        .hub
        .side_store()
        .expect("store")
        .path()
        .parent()
        .expect("dir")
        .to_path_buf();
    let check = integra::device::doctor::city_check(Some(&settings), &dir, now);
    assert_eq!(
        check.verdict,
        integra::device::doctor::Verdict::Fail,
        "{}",
        check.line()
    );
    assert!(
        check.line().contains("events wait here"),
        "{}",
        check.line()
    );
    assert!(check.line().contains("pg_hba.conf"), "{}", check.line());

    // The link comes back: the alert goes, the doctor passes.
    let pg = Pg::start();
    pg.create_db("city");
    let good = CitySettings {
        url: pg.url("city"),
        ca_file: None,
    };
    let link = center.hub.start_city_link(good.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    while center
        .hub
        .alerts()
        .iter()
        .any(|a| a.kind == replicate::ALERT)
        || link.status().acked_seq < center.local_seq()
    {
        assert!(
            Instant::now() < deadline,
            "the alert stayed: {:?}",
            link.status()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    link.stop();
    let check = integra::device::doctor::city_check(Some(&good), &dir, now);
    assert_eq!(
        check.verdict,
        integra::device::doctor::Verdict::Pass,
        "{}",
        check.line()
    );
    assert!(
        check.line().contains("0 events not sent"),
        "{}",
        check.line()
    );
}

#[test]
fn city_settings_are_checked_with_the_fix() {
    let cases = [
        ("url = \"mysql://u@h/db\"", "hub", "is not a PostgreSQL URL"),
        (
            "url = \"postgresql://u@h:5432/db?sslmode=allow\"",
            "hub",
            "sslmode=allow is not known",
        ),
        (
            "url = \"postgresql://u@h:5432\"",
            "hub",
            "names no database",
        ),
        (
            "url = \"postgresql://u@h/db\"\nca_file = \"/nonexistent/ca.pem\"",
            "hub",
            "is not a file",
        ),
        (
            "url = \"postgresql://u@h/db\"",
            "display",
            "only the hub sends",
        ),
        (
            "url = \"postgresql://u:secret@/db\"",
            "hub",
            "names no host",
        ),
    ];
    for (city, role, expect) in cases {
        let hub = if role == "display" {
            "hub = \"auto\"\n"
        } else {
            ""
        };
        let text = format!("role = \"{role}\"\n{hub}[city]\n{city}\n");
        let e = integra::device::settings::Settings::parse(&text, "integra.toml")
            .expect_err(city)
            .to_string();
        assert!(e.contains(expect), "{city}: {e}");
        assert!(e.contains("city"), "names the table: {e}");
        assert!(!e.contains("secret"), "never prints the password: {e}");
    }
    let ok = integra::device::settings::Settings::parse(
        "role = \"hub\"\n[city]\nurl = \"postgresql://integra:pw@city.example:5432/figures?sslmode=verify-full\"\n",
        "integra.toml",
    )
    .expect("a good [city]");
    let target = city::check_url(&ok.city.expect("city").url).expect("url");
    assert!(target.tls, "verify-full means TLS");
    assert_eq!(
        target.shown,
        "postgresql://integra:***@city.example:5432/figures?sslmode=verify-full"
    );
}

#[test]
fn open_data_suppresses_small_counts_and_what_would_give_them_away() {
    let mut c = figures::CenterFigures {
        id: "c1".into(),
        name: "Centro".into(),
        ..Default::default()
    };
    let group = |visitors: u32, waits: u32| report::Group {
        visitors,
        served: visitors,
        wait: report::Spread {
            count: waits,
            median: Some(300),
            p90: Some(600),
        },
        ..Default::default()
    };
    c.services = vec![
        ("info".into(), group(40, 40)),
        ("legal".into(), group(3, 3)),
        ("jobs".into(), group(12, 12)),
        ("housing".into(), group(25, 25)),
    ];
    c.total = group(80, 80);
    let r = figures::CityReport {
        from: first(),
        to: first(),
        centers: vec![c],
        ..Default::default()
    };
    let csv = render::open_data(&r, Lang::Es);
    let rows: BTreeMap<String, Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<String> = l.split(',').map(str::to_string).collect();
            (f[4].clone(), f)
        })
        .collect();
    let visitors = |s: &str| rows[s][6].clone();
    assert_eq!(visitors("legal"), "<5", "3 visitors are not published");
    assert_eq!(rows["legal"][9], "<5", "nor the median of 3 waits");
    assert_eq!(
        visitors("jobs"),
        "<5",
        "the next smallest goes too, or the total gives it away"
    );
    assert_eq!(visitors("info"), "40");
    assert_eq!(visitors("housing"), "25");
    assert_eq!(visitors("*"), "80");
    assert_eq!(rows["info"][9], "5.0", "a median in minutes");
}

fn far_past() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("date")
}

fn far_future() -> NaiveDate {
    NaiveDate::from_ymd_opt(2100, 12, 31).expect("date")
}

/// A certificate authority and a server certificate for 127.0.0.1 signed by it (PEM).
fn city_ca() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "City office test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let mut server = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    server
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
            127, 0, 0, 1,
        ])));
    let cert = server.signed_by(&key, &issuer).expect("server cert");
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

#[test]
fn the_link_speaks_tls_when_the_url_asks_and_checks_the_city_servers_certificate() {
    let (ca, cert, key) = city_ca();
    // The city server takes TLS only from the network (no plain `host` line).
    let pg = Pg::start_with_files(
        &[
            "ssl=on",
            "ssl_cert_file=server.crt",
            "ssl_key_file=server.key",
        ],
        &[
            ("server.crt", cert.as_bytes()),
            ("server.key", key.as_bytes()),
        ],
        Some("local all all trust\nhostssl all all 127.0.0.1/32 trust\n"),
    );
    pg.create_db("city");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("city-ca.pem");
    std::fs::write(&ca_file, &ca).expect("ca file");
    let tcp = format!("postgresql://integra@127.0.0.1:{}/city", pg.port);
    let settings = |url: String, ca: Option<std::path::PathBuf>| CitySettings { url, ca_file: ca };

    // TLS with the city's authority: connected, encrypted.
    let tls = settings(format!("{tcp}?sslmode=require"), Some(ca_file.clone()));
    let mut c = city::connect(&tls, Duration::from_secs(10)).expect("TLS connection");
    let encrypted: bool = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_ssl")
        .get(0);
    assert!(encrypted, "the link is encrypted");

    // Refused: plain (the server wants TLS), an authority the system does not know, another CA.
    let plain = city::connect(&settings(tcp.clone(), None), Duration::from_secs(10))
        .err()
        .expect("plain refused");
    assert!(plain.to_string().contains("pg_hba.conf"), "{plain}");
    let unknown = city::connect(
        &settings(format!("{tcp}?sslmode=verify-full"), None),
        Duration::from_secs(10),
    )
    .err()
    .expect("unknown authority");
    assert!(
        unknown.to_string().to_lowercase().contains("certificate"),
        "{unknown}"
    );
    let (other_ca, _, _) = city_ca();
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, other_ca).expect("other ca");
    let wrong = city::connect(
        &settings(format!("{tcp}?sslmode=require"), Some(other)),
        Duration::from_secs(10),
    )
    .err()
    .expect("another authority");
    assert!(
        wrong.to_string().to_lowercase().contains("certificate"),
        "{wrong}"
    );

    // A hub replicates over it.
    let mut center = Center::new("Centro Seguro", 5, 10);
    center.link = Some(center.hub.start_city_link(tls));
    caught_up(
        std::slice::from_ref(&center),
        &pg,
        "city",
        Duration::from_secs(60),
    );
    let city = city_report(&pg, "city");
    assert_same_figures(&center.own_report(), &city.centers[0]);
}
