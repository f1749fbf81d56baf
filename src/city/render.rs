//! The city report as one self-contained HTML page (the center report's style and charts: no
//! script, nothing fetched), as CSV in the reader's language, and as an open-data CSV fit to
//! publish (stable column names, small counts suppressed).

use super::figures::{CenterFigures, CityReport};
use crate::core::{Lang, pick};
use crate::i18n::Localizer;
use crate::report::render::{
    CSS, csv_minutes, csv_percent, csv_row, date, esc, faces, hbars, html_table, minutes, percent,
};
use crate::report::{Group, Satisfaction};
use fluent_bundle::FluentArgs;
use std::fmt::Write;

/// Every Fluent id used here (the locale test checks each language has them).
pub const FLUENT_IDS: &[&str] = &[
    "city-title",
    "city-centers",
    "city-center",
    "city-per-center",
    "city-satisfaction-per-center",
    "city-last-sent",
    "city-never",
    "city-empty",
    "city-how-read",
    "city-all-centers",
];

/// The columns of the per-center and per-service tables (the first is the center or service).
const GROUP_COLUMNS: [&str; 13] = [
    "report-visitors",
    "report-served",
    "report-no-shows",
    "report-cancelled",
    "report-priority-share",
    "report-wait-median",
    "report-wait-p90",
    "report-service-median",
    "report-service-p90",
    "report-booked",
    "report-show-up",
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

/// One row of figures (after its label), as the reader sees them (`local`) or plain for CSV.
fn group_cells(
    l: &Localizer,
    g: &Group,
    booked: u32,
    show_up: Option<f64>,
    s: &Satisfaction,
    local: bool,
) -> Vec<String> {
    let (min, pct): (
        &dyn Fn(Option<u32>) -> String,
        &dyn Fn(Option<f64>) -> String,
    ) = if local {
        (&|v| minutes(l, v), &|v| percent(l, v))
    } else {
        (&csv_minutes, &csv_percent)
    };
    vec![
        g.visitors.to_string(),
        g.served.to_string(),
        g.no_shows.to_string(),
        g.cancelled.to_string(),
        pct((g.visitors > 0).then(|| g.priority_share())),
        min(g.wait.median),
        min(g.wait.p90),
        min(g.service.median),
        min(g.service.p90),
        booked.to_string(),
        pct(show_up),
        s.answers.to_string(),
        pct(s.share(s.happy)),
    ]
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

/// The tables of the report, in order: centers, then each center's services, appointments,
/// activities; languages of the city.
fn tables(r: &CityReport, l: &Localizer, local: bool) -> Vec<Table> {
    let lang = l.lang();
    let mut out = Vec::new();
    let mut rows: Vec<Vec<String>> = r
        .centers
        .iter()
        .map(|c| {
            let mut row = vec![c.name.clone()];
            row.extend(group_cells(
                l,
                &c.total,
                c.appointments_total.booked,
                c.appointments_total.show_up_rate(),
                &c.satisfaction_total,
                local,
            ));
            row
        })
        .collect();
    let mut all = vec![t(l, "city-all-centers")];
    all.extend(group_cells(
        l,
        &r.total,
        r.appointments_total.booked,
        r.appointments_total.show_up_rate(),
        &r.satisfaction_total,
        local,
    ));
    rows.push(all);
    out.push(Table {
        title: t(l, "city-per-center"),
        head: head(l, "city-center", &GROUP_COLUMNS),
        rows,
        total: true,
    });
    for c in &r.centers {
        let mut rows = Vec::new();
        for (code, g) in &c.services {
            let appts = c
                .appointments
                .iter()
                .find(|a| &a.0 == code)
                .map(|a| a.1.clone())
                .unwrap_or_default();
            let sat = c
                .satisfaction
                .iter()
                .find(|s| &s.0 == code)
                .map(|s| s.1)
                .unwrap_or_default();
            let mut row = vec![name(c, code, lang)];
            row.extend(group_cells(
                l,
                g,
                appts.booked,
                appts.show_up_rate(),
                &sat,
                local,
            ));
            rows.push(row);
        }
        out.push(Table {
            title: format!("{} — {}", c.name, t(l, "report-per-service")),
            head: head(l, "report-service", &GROUP_COLUMNS),
            rows,
            total: false,
        });
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
                            if local {
                                percent(l, a.attendance_rate())
                            } else {
                                csv_percent(a.attendance_rate())
                            },
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
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title><style>{CSS}</style></head><body><h1>{title}</h1><p class=\"period\">{period}</p>",
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

    let tabs = tables(r, l, true);
    let mut tabs = tabs.into_iter();
    // Centers: a bar per center, the table, satisfaction per center, languages of the city.
    if let Some(centers) = tabs.next() {
        let _ = write!(s, "<h2>{}</h2>", esc(&centers.title));
        let bars: Vec<(String, u32)> = r
            .centers
            .iter()
            .map(|c| (c.name.clone(), c.total.visitors))
            .collect();
        s.push_str(&hbars(&bars));
        s.push_str(&html_table(&centers.head, &centers.rows, centers.total));
        let mut last = vec![t(l, "city-center"), t(l, "city-last-sent")];
        last.truncate(2);
        let rows: Vec<Vec<String>> = r
            .centers
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.last_sent
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| t(l, "city-never")),
                ]
            })
            .collect();
        s.push_str(&html_table(&last, &rows, false));
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
    for table in tabs {
        let _ = write!(s, "<h2>{}</h2>", esc(&table.title));
        s.push_str(&html_table(&table.head, &table.rows, table.total));
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
