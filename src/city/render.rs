//! The city report as one self-contained HTML page (the center report's style and charts: no
//! script, nothing fetched), as CSV in the reader's language, and as an open-data CSV fit to
//! publish (stable column names, small counts suppressed).

use super::figures::{CenterFigures, CityReport};
use crate::core::{Lang, pick};
use crate::i18n::Localizer;
use crate::report::render::{
    APPOINTMENT_COLUMNS, CSS, csv_minutes, csv_percent, csv_row, date, esc, faces, hbars,
    html_table, minutes, percent,
};
use crate::report::{Appointments, Group, Satisfaction};
use fluent_bundle::FluentArgs;
use std::fmt::Write;

/// The queue's columns of the per-center and per-service tables (after the center or service),
/// as in the center's own report.
const QUEUE_COLUMNS: [&str; 9] = [
    "report-visitors",
    "report-served",
    "report-no-shows",
    "report-cancelled",
    "report-priority-share",
    "report-wait-median",
    "report-wait-p90",
    "report-service-median",
    "report-service-p90",
];

/// Appointments, activities and visitors' answers per center.
const BOOKING_COLUMNS: [&str; 9] = [
    "report-booked",
    "report-checked-in",
    "report-missed",
    "report-show-up",
    "report-seated",
    "report-attended",
    "report-attendance",
    "report-answers",
    "report-happy-share",
];

fn t(l: &Localizer, id: &str) -> String {
    l.text(id, None)
}

fn name(c: &CenterFigures, code: &str, lang: Lang) -> String {
    c.names
        .get(code)
        .filter(|n| !n.is_empty())
        .map(|n| pick(n, lang, Lang::Es).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn title(r: &CityReport, l: &Localizer) -> (String, String) {
    let mut a = FluentArgs::new();
    a.set("centers", r.centers.len());
    let mut p = FluentArgs::new();
    p.set("from", date(l.lang(), r.from));
    p.set("to", date(l.lang(), r.to));
    (
        l.text("city-title", Some(&a)),
        l.text("report-period", Some(&p)),
    )
}

/// Minutes and shares as the reader sees them (`local`) or plain for CSV.
struct Fmt<'a> {
    l: &'a Localizer,
    local: bool,
}

impl Fmt<'_> {
    fn min(&self, v: Option<u32>) -> String {
        if self.local {
            minutes(self.l, v)
        } else {
            csv_minutes(v)
        }
    }

    fn pct(&self, v: Option<f64>) -> String {
        if self.local {
            percent(self.l, v)
        } else {
            csv_percent(v)
        }
    }

    /// The queue's figures of a group (after its label).
    fn queue(&self, g: &Group) -> Vec<String> {
        vec![
            g.visitors.to_string(),
            g.served.to_string(),
            g.no_shows.to_string(),
            g.cancelled.to_string(),
            self.pct((g.visitors > 0).then(|| g.priority_share())),
            self.min(g.wait.median),
            self.min(g.wait.p90),
            self.min(g.service.median),
            self.min(g.service.p90),
        ]
    }

    fn appointments(&self, a: &Appointments) -> Vec<String> {
        vec![
            a.booked.to_string(),
            a.checked_in.to_string(),
            a.missed.to_string(),
            a.cancelled.to_string(),
            a.pending.to_string(),
            self.pct(a.show_up_rate()),
        ]
    }

    fn bookings(
        &self,
        a: &Appointments,
        seated: u32,
        attended: u32,
        s: &Satisfaction,
    ) -> Vec<String> {
        vec![
            a.booked.to_string(),
            a.checked_in.to_string(),
            a.missed.to_string(),
            self.pct(a.show_up_rate()),
            seated.to_string(),
            attended.to_string(),
            self.pct((seated > 0).then(|| crate::report::ratio(attended, seated))),
            s.answers.to_string(),
            self.pct(s.share(s.happy)),
        ]
    }
}

struct Table {
    title: String,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
    total: bool,
}

fn head(l: &Localizer, first: &str, ids: &[&str]) -> Vec<String> {
    std::iter::once(t(l, first))
        .chain(ids.iter().map(|id| t(l, id)))
        .collect()
}

fn signups(c: &CenterFigures) -> (u32, u32) {
    (
        c.activities.iter().map(|a| a.seated).sum(),
        c.activities.iter().map(|a| a.attended).sum(),
    )
}

/// The tables of the report, in order: the centers (queue; bookings and answers), then each
/// center's services, appointments, activities and languages.
fn tables(r: &CityReport, l: &Localizer, local: bool) -> Vec<Table> {
    let lang = l.lang();
    let f = Fmt { l, local };
    let mut out = Vec::new();
    let all = t(l, "city-all-centers");
    let mut rows: Vec<Vec<String>> = r
        .centers
        .iter()
        .map(|c| {
            std::iter::once(c.name.clone())
                .chain(f.queue(&c.total))
                .collect()
        })
        .collect();
    rows.push(
        std::iter::once(all.clone())
            .chain(f.queue(&r.total))
            .collect(),
    );
    out.push(Table {
        title: t(l, "city-per-center"),
        head: head(l, "city-center", &QUEUE_COLUMNS),
        rows,
        total: true,
    });
    let (mut seated, mut attended) = (0, 0);
    let mut rows: Vec<Vec<String>> = r
        .centers
        .iter()
        .map(|c| {
            let (s, a) = signups(c);
            seated += s;
            attended += a;
            std::iter::once(c.name.clone())
                .chain(f.bookings(&c.appointments_total, s, a, &c.satisfaction_total))
                .collect()
        })
        .collect();
    rows.push(
        std::iter::once(all)
            .chain(f.bookings(
                &r.appointments_total,
                seated,
                attended,
                &r.satisfaction_total,
            ))
            .collect(),
    );
    out.push(Table {
        title: t(l, "city-bookings-per-center"),
        head: head(l, "city-center", &BOOKING_COLUMNS),
        rows,
        total: true,
    });
    for c in &r.centers {
        out.push(Table {
            title: format!("{} — {}", c.name, t(l, "report-per-service")),
            head: head(l, "report-service", &QUEUE_COLUMNS),
            rows: c
                .services
                .iter()
                .map(|(code, g)| {
                    std::iter::once(name(c, code, lang))
                        .chain(f.queue(g))
                        .collect()
                })
                .collect(),
            total: false,
        });
        if !c.appointments.is_empty() {
            out.push(Table {
                title: format!("{} — {}", c.name, t(l, "report-appointments")),
                // The center report's appointment columns (its first is the service).
                head: head(l, "report-service", &APPOINTMENT_COLUMNS[1..]),
                rows: c
                    .appointments
                    .iter()
                    .map(|(code, a)| {
                        std::iter::once(name(c, code, lang))
                            .chain(f.appointments(a))
                            .collect()
                    })
                    .collect(),
                total: false,
            });
        }
        if !c.activities.is_empty() {
            out.push(Table {
                title: format!("{} — {}", c.name, t(l, "report-activities")),
                head: head(
                    l,
                    "report-activity",
                    &[
                        "report-seated",
                        "report-waitlist",
                        "report-cancelled",
                        "report-attended",
                        "report-attendance",
                    ],
                ),
                rows: c
                    .activities
                    .iter()
                    .map(|a| {
                        vec![
                            name(c, &a.code, lang),
                            a.seated.to_string(),
                            a.waitlist.to_string(),
                            a.cancelled.to_string(),
                            a.attended.to_string(),
                            f.pct(a.attendance_rate()),
                        ]
                    })
                    .collect(),
                total: false,
            });
        }
        out.push(Table {
            title: format!("{} — {}", c.name, t(l, "report-languages")),
            head: vec![t(l, "report-language"), t(l, "report-tickets")],
            rows: c
                .languages
                .iter()
                .map(|(code, n)| vec![language(code), n.to_string()])
                .collect(),
            total: false,
        });
    }
    out
}

fn language(code: &str) -> String {
    code.parse::<Lang>()
        .map(|l| l.native_name().to_string())
        .unwrap_or_else(|_| code.to_string())
}

/// The report as CSV, in the reader's language (one table after another, each under its
/// title).
pub fn csv(r: &CityReport, l: &Localizer) -> String {
    let (title, period) = title(r, l);
    let mut out = String::new();
    csv_row(&mut out, &[title]);
    csv_row(&mut out, &[period]);
    for table in tables(r, l, false) {
        out.push_str("\r\n");
        csv_row(&mut out, &[table.title]);
        csv_row(&mut out, &table.head);
        for row in &table.rows {
            csv_row(&mut out, row);
        }
    }
    out
}

/// The report as one self-contained HTML page.
pub fn html(r: &CityReport, l: &Localizer) -> String {
    let (title, period) = title(r, l);
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title><style>{CSS}.wide{{overflow-x:auto}}</style></head><body><h1>{title}</h1><p class=\"period\">{period}</p>",
        lang = l.lang().code(),
        title = esc(&title),
        period = esc(&period),
    );
    if r.total.visitors == 0 && r.appointments_total.booked == 0 {
        let _ = write!(s, "<p>{}</p>", esc(&t(l, "city-empty")));
    }
    let _ = write!(
        s,
        "<h2>{}</h2><div class=\"cards\">",
        esc(&t(l, "report-summary"))
    );
    let g = &r.total;
    for (id, value) in [
        ("city-centers", r.centers.len().to_string()),
        ("report-visitors", g.visitors.to_string()),
        ("report-served", g.served.to_string()),
        ("report-no-shows", g.no_shows.to_string()),
        ("report-wait-median", minutes(l, g.wait.median)),
        ("report-wait-p90", minutes(l, g.wait.p90)),
        ("report-service-median", minutes(l, g.service.median)),
        (
            "report-show-up",
            percent(l, r.appointments_total.show_up_rate()),
        ),
        (
            "report-happy-share",
            percent(l, r.satisfaction_total.share(r.satisfaction_total.happy)),
        ),
    ] {
        let _ = write!(
            s,
            "<div class=\"card\"><b>{}</b>{}</div>",
            esc(&value),
            esc(&t(l, id))
        );
    }
    let _ = write!(
        s,
        "</div><p class=\"note\">{}</p>",
        esc(&t(l, "city-how-read"))
    );

    let wide = |table: &Table| {
        format!(
            "<div class=\"wide\">{}</div>",
            html_table(&table.head, &table.rows, table.total)
        )
    };
    let mut tabs = tables(r, l, true).into_iter();
    // Centers: a bar per center, the queue's table, the bookings' table, the answers per center,
    // the city's languages; then each center's own tables.
    if let Some(centers) = tabs.next() {
        let _ = write!(s, "<h2>{}</h2>", esc(&centers.title));
        let bars: Vec<(String, u32)> = r
            .centers
            .iter()
            .map(|c| (c.name.clone(), c.total.visitors))
            .collect();
        s.push_str(&hbars(&bars));
        s.push_str(&wide(&centers));
    }
    if let Some(bookings) = tabs.next() {
        let _ = write!(s, "<h2>{}</h2>", esc(&bookings.title));
        s.push_str(&wide(&bookings));
    }
    let sat: Vec<(String, Satisfaction)> = r
        .centers
        .iter()
        .filter(|c| c.satisfaction_total.answers > 0)
        .map(|c| (c.name.clone(), c.satisfaction_total))
        .collect();
    if !sat.is_empty() {
        let _ = write!(s, "<h2>{}</h2>", esc(&t(l, "city-satisfaction-per-center")));
        s.push_str(&faces(&sat));
    }
    let _ = write!(s, "<h2>{}</h2>", esc(&t(l, "report-languages")));
    let langs: Vec<(String, u32)> = r.languages.iter().map(|(c, n)| (language(c), *n)).collect();
    s.push_str(&hbars(&langs));
    // When each center last sent, in its own time.
    let _ = write!(s, "<h2>{}</h2>", esc(&t(l, "city-last-sent")));
    let rows: Vec<Vec<String>> = r
        .centers
        .iter()
        .map(|c| {
            let when = match (c.last_sent, c.timezone.parse::<chrono_tz::Tz>()) {
                (Some(at), Ok(tz)) => {
                    let local = at.with_timezone(&tz);
                    format!(
                        "{} {}",
                        date(l.lang(), local.date_naive()),
                        local.format("%H:%M %Z")
                    )
                }
                (Some(at), Err(_)) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
                (None, _) => t(l, "city-never"),
            };
            vec![c.name.clone(), when]
        })
        .collect();
    s.push_str(&html_table(
        &[t(l, "city-center"), t(l, "city-last-sent")],
        &rows,
        false,
    ));
    for table in tabs {
        let _ = write!(s, "<h2>{}</h2>", esc(&table.title));
        s.push_str(&wide(&table));
    }
    s.push_str("</body></html>");
    s
}

/// Counts under this are not published.
pub const SUPPRESS_UNDER: u32 = 5;

/// The open-data CSV: one row per center and service and one per center (`service` = `*`),
/// stable column names, times in minutes. A count from 1 to 4 is written `<5`, and so is
/// every figure computed from fewer than 5 people (a median of three waits is nearly a person's
/// own). When a center has exactly one such cell in a column, the next smallest is suppressed
/// too, so that the center's total does not give it away.
pub fn open_data(r: &CityReport, lang: Lang) -> String {
    const HEAD: [&str; 17] = [
        "from",
        "to",
        "center_id",
        "center",
        "service",
        "service_name",
        "visitors",
        "served",
        "no_shows",
        "wait_median_minutes",
        "wait_p90_minutes",
        "service_median_minutes",
        "service_p90_minutes",
        "appointments",
        "appointments_kept",
        "appointments_missed",
        "feedback_answers",
    ];
    let mut out = String::new();
    csv_row(&mut out, &HEAD.map(String::from));
    for c in &r.centers {
        // Counts per service for the columns that can be suppressed.
        let mut rows: Vec<(String, String, Vec<Cell>)> = Vec::new();
        for (code, g) in &c.services {
            let a = c
                .appointments
                .iter()
                .find(|a| &a.0 == code)
                .map(|a| a.1.clone())
                .unwrap_or_default();
            let s = c
                .satisfaction
                .iter()
                .find(|s| &s.0 == code)
                .map(|s| s.1)
                .unwrap_or_default();
            rows.push((code.clone(), name(c, code, lang), cells(g, &a, &s)));
        }
        complement(&mut rows);
        rows.push((
            "*".into(),
            String::new(),
            cells(&c.total, &c.appointments_total, &c.satisfaction_total),
        ));
        for (code, service_name, cells) in rows {
            let mut line = vec![
                r.from.to_string(),
                r.to.to_string(),
                c.id.clone(),
                c.name.clone(),
                code,
                service_name,
            ];
            line.extend(cells.iter().map(Cell::text));
            csv_row(&mut out, &line);
        }
    }
    out
}

/// A published figure: a count, or a time computed from `of` people.
#[derive(Clone, Copy)]
enum Cell {
    Count(u32, bool),
    Minutes(Option<u32>, u32),
}

impl Cell {
    fn count(v: u32) -> Cell {
        Cell::Count(v, v > 0 && v < SUPPRESS_UNDER)
    }

    fn text(&self) -> String {
        match *self {
            Cell::Count(_, true) => "<5".into(),
            Cell::Count(v, false) => v.to_string(),
            Cell::Minutes(_, of) if of > 0 && of < SUPPRESS_UNDER => "<5".into(),
            Cell::Minutes(v, _) => csv_minutes(v),
        }
    }
}

fn cells(g: &Group, a: &crate::report::Appointments, s: &Satisfaction) -> Vec<Cell> {
    vec![
        Cell::count(g.visitors),
        Cell::count(g.served),
        Cell::count(g.no_shows),
        Cell::Minutes(g.wait.median, g.wait.count),
        Cell::Minutes(g.wait.p90, g.wait.count),
        Cell::Minutes(g.service.median, g.service.count),
        Cell::Minutes(g.service.p90, g.service.count),
        Cell::count(a.booked),
        Cell::count(a.checked_in),
        Cell::count(a.missed),
        Cell::count(s.answers),
    ]
}

/// Complementary suppression per count column: one suppressed cell among a center's services
/// could be computed back from its total, so the smallest other shown cell goes too.
fn complement(rows: &mut [(String, String, Vec<Cell>)]) {
    let columns = rows.first().map(|r| r.2.len()).unwrap_or(0);
    for col in 0..columns {
        let hidden = rows
            .iter()
            .filter(|r| matches!(r.2.get(col), Some(Cell::Count(_, true))))
            .count();
        if hidden != 1 {
            continue;
        }
        let next = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.2.get(col) {
                Some(Cell::Count(v, false)) if *v > 0 => Some((i, *v)),
                _ => None,
            })
            .min_by_key(|(_, v)| *v)
            .map(|(i, _)| i);
        if let Some(i) = next
            && let Some(Cell::Count(v, _)) = rows[i].2.get(col).copied()
        {
            rows[i].2[col] = Cell::Count(v, true);
        }
    }
}
