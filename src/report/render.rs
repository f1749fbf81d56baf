//! A report as an HTML page (inline CSS and SVG charts: nothing from the internet, no
//! JavaScript) or as CSV (one table after another, each under its title), in one language.

use super::{Appointments, Group, Report, Satisfaction, ratio};
use crate::core::{Catalog, Lang, pick};
use crate::i18n::Localizer;
use fluent_bundle::FluentArgs;
use std::fmt::Write;

/// The columns of the satisfaction tables (after the service or the day).
const SATISFACTION_COLUMNS: [&str; 10] = [
    "report-answers",
    "report-unhappy",
    "report-unhappy-share",
    "report-neutral",
    "report-neutral-share",
    "report-happy",
    "report-happy-share",
    "report-waited-too-long",
    "report-not-understood",
    "report-got-what-needed",
];

/// The columns of each table (CSV and HTML alike).
const SERVICE_COLUMNS: [&str; 11] = [
    "report-service",
    "report-visitors",
    "report-served",
    "report-no-shows",
    "report-cancelled",
    "report-priority-share",
    "report-from-appointments",
    "report-wait-median",
    "report-wait-p90",
    "report-service-median",
    "report-service-p90",
];
pub(crate) const APPOINTMENT_COLUMNS: [&str; 7] = [
    "report-service",
    "report-booked",
    "report-checked-in",
    "report-missed",
    "report-cancelled",
    "report-pending",
    "report-show-up",
];
const ACTIVITY_COLUMNS: [&str; 9] = [
    "report-activity",
    "report-sessions",
    "report-seats",
    "report-seated",
    "report-waitlist",
    "report-cancelled",
    "report-fill",
    "report-attended",
    "report-attendance",
];

/// A decimal in the reader's language (comma except in English).
pub(crate) fn decimal(lang: Lang, v: f64) -> String {
    let s = format!("{v:.1}");
    if lang == Lang::En {
        s
    } else {
        s.replace('.', ",")
    }
}

/// Seconds as "N,N min" in the reader's language ("–" when there is none).
pub(crate) fn minutes(l: &Localizer, secs: Option<u32>) -> String {
    match secs {
        None => "–".into(),
        Some(s) => {
            let mut a = FluentArgs::new();
            a.set("minutes", decimal(l.lang(), f64::from(s) / 60.0));
            l.text("report-minutes", Some(&a))
        }
    }
}

/// A share as "NN,N %" ("–" when there is none).
pub(crate) fn percent(l: &Localizer, r: Option<f64>) -> String {
    r.map_or_else(
        || "–".into(),
        |r| format!("{} %", decimal(l.lang(), r * 100.0)),
    )
}

/// A date in the reader's language.
pub(crate) fn date(lang: Lang, d: chrono::NaiveDate) -> String {
    if lang == Lang::En {
        d.format("%Y-%m-%d").to_string()
    } else {
        d.format("%d/%m/%Y").to_string()
    }
}

struct Text<'a> {
    l: &'a Localizer,
    catalog: &'a Catalog,
}

impl Text<'_> {
    fn t(&self, id: &str) -> String {
        self.l.text(id, None)
    }

    fn lang(&self) -> Lang {
        self.l.lang()
    }

    fn service(&self, code: &str) -> String {
        self.catalog
            .service_name(&crate::core::ServiceCode::from(code), self.lang())
            .unwrap_or(code)
            .to_string()
    }

    fn activity(&self, code: &str) -> String {
        self.catalog
            .activities
            .iter()
            .find(|a| a.code.as_str() == code)
            .map(|a| pick(&a.title, self.lang(), self.catalog.center.default_language).to_string())
            .unwrap_or_else(|| code.to_string())
    }

    fn language(&self, code: &str) -> String {
        code.parse::<Lang>()
            .map(|l| l.native_name().to_string())
            .unwrap_or_else(|_| code.to_string())
    }

    fn minutes(&self, secs: Option<u32>) -> String {
        minutes(self.l, secs)
    }

    fn percent(&self, r: Option<f64>) -> String {
        percent(self.l, r)
    }

    fn date(&self, d: chrono::NaiveDate) -> String {
        date(self.lang(), d)
    }
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Minutes with one decimal, for CSV (always a point).
pub(crate) fn csv_minutes(secs: Option<u32>) -> String {
    secs.map(|s| format!("{:.1}", f64::from(s) / 60.0))
        .unwrap_or_default()
}

pub(crate) fn csv_percent(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}", r * 100.0)).unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) fn csv_row(out: &mut String, fields: &[String]) {
    let line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str(&line);
    out.push_str("\r\n");
}

/// The figures as JSON (durations in seconds, shares 0–1 left to the reader).
pub fn json(r: &Report) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or_default()
}

// ------------------------------------------------------------------------------- tables

/// Numbers for a spreadsheet (point, no unit) or for reading (the page's language).
#[derive(Clone, Copy, PartialEq)]
enum Numbers {
    Plain,
    Local,
}

struct Table {
    title: &'static str,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
    /// The last row is the total.
    total: bool,
}

struct Tables {
    services: Table,
    languages: Table,
    hours: Table,
    days: Table,
    appointments: Table,
    activities: Table,
    satisfaction: Table,
    satisfaction_days: Table,
}

fn tables(r: &Report, x: &Text, n: Numbers) -> Tables {
    let minutes = |v: Option<u32>| match n {
        Numbers::Plain => csv_minutes(v),
        Numbers::Local => x.minutes(v),
    };
    let percent = |v: Option<f64>| match n {
        Numbers::Plain => csv_percent(v),
        Numbers::Local => x.percent(v),
    };
    let head = |ids: &[&str]| ids.iter().map(|id| x.t(id)).collect::<Vec<_>>();
    let group_row = |name: String, g: &Group| {
        vec![
            name,
            g.visitors.to_string(),
            g.served.to_string(),
            g.no_shows.to_string(),
            g.cancelled.to_string(),
            percent(Some(g.priority_share())),
            g.from_appointments.to_string(),
            minutes(g.wait.median),
            minutes(g.wait.p90),
            minutes(g.service.median),
            minutes(g.service.p90),
        ]
    };
    let appt_row = |name: String, a: &Appointments| {
        vec![
            name,
            a.booked.to_string(),
            a.checked_in.to_string(),
            a.missed.to_string(),
            a.cancelled.to_string(),
            a.pending.to_string(),
            percent(a.show_up_rate()),
        ]
    };
    let satisfaction_row = |name: String, s: &Satisfaction| {
        vec![
            name,
            s.answers.to_string(),
            s.unhappy.to_string(),
            percent(s.share(s.unhappy)),
            s.neutral.to_string(),
            percent(s.share(s.neutral)),
            s.happy.to_string(),
            percent(s.share(s.happy)),
            s.waited_too_long.to_string(),
            s.not_understood.to_string(),
            s.got_what_needed.to_string(),
        ]
    };
    let with_first = |first: &str| {
        std::iter::once(x.t(first))
            .chain(SATISFACTION_COLUMNS.iter().map(|id| x.t(id)))
            .collect::<Vec<_>>()
    };
    Tables {
        satisfaction: Table {
            title: "report-satisfaction",
            head: with_first("report-service"),
            rows: r
                .satisfaction
                .iter()
                .map(|(code, s)| satisfaction_row(x.service(code), s))
                .chain(std::iter::once(satisfaction_row(
                    x.t("report-all"),
                    &r.satisfaction_total,
                )))
                .collect(),
            total: true,
        },
        satisfaction_days: Table {
            title: "report-satisfaction-days",
            head: with_first("report-day"),
            rows: r
                .satisfaction_days
                .iter()
                .map(|(d, s)| satisfaction_row(d.to_string(), s))
                .collect(),
            total: false,
        },
        services: Table {
            title: "report-per-service",
            head: head(&SERVICE_COLUMNS),
            rows: r
                .services
                .iter()
                .map(|(code, g)| group_row(x.service(code), g))
                .chain(std::iter::once(group_row(x.t("report-all"), &r.total)))
                .collect(),
            total: true,
        },
        languages: Table {
            title: "report-languages",
            head: head(&["report-language", "report-tickets", "report-share"]),
            rows: r
                .languages
                .iter()
                .map(|(lang, count)| {
                    vec![
                        x.language(lang),
                        count.to_string(),
                        percent(Some(ratio(*count, r.total.visitors))),
                    ]
                })
                .collect(),
            total: false,
        },
        hours: Table {
            title: "report-hours",
            head: head(&["report-hour", "report-tickets"]),
            rows: r
                .hours
                .iter()
                .enumerate()
                .map(|(h, count)| vec![format!("{h:02}:00"), count.to_string()])
                .collect(),
            total: false,
        },
        days: Table {
            title: "report-per-day",
            head: head(&["report-day", "report-tickets"]),
            rows: r
                .days
                .iter()
                .map(|(d, count)| vec![d.to_string(), count.to_string()])
                .collect(),
            total: false,
        },
        appointments: Table {
            title: "report-appointments",
            head: head(&APPOINTMENT_COLUMNS),
            rows: r
                .appointments
                .iter()
                .map(|(code, a)| appt_row(x.service(code), a))
                .chain(std::iter::once(appt_row(
                    x.t("report-all"),
                    &r.appointments_total,
                )))
                .collect(),
            total: true,
        },
        activities: Table {
            title: "report-activities",
            head: head(&ACTIVITY_COLUMNS),
            rows: r
                .activities
                .iter()
                .map(|a| {
                    vec![
                        x.activity(&a.code),
                        a.sessions.to_string(),
                        a.seats.to_string(),
                        a.seated.to_string(),
                        a.waitlist.to_string(),
                        a.cancelled.to_string(),
                        percent(a.fill_rate()),
                        a.attended.to_string(),
                        percent(a.attendance_rate()),
                    ]
                })
                .collect(),
            total: false,
        },
    }
}

// ------------------------------------------------------------------------------- CSV

/// The report as CSV: tables one after the other, each under its title, blank line between.
pub fn csv(r: &Report, l: &Localizer, catalog: &Catalog) -> String {
    let x = Text { l, catalog };
    let mut out = String::new();
    csv_row(&mut out, &[title(r, &x)]);
    csv_row(&mut out, &[period(r, &x)]);
    let t = tables(r, &x, Numbers::Plain);
    for table in [
        &t.services,
        &t.languages,
        &t.hours,
        &t.days,
        &t.appointments,
        &t.activities,
        &t.satisfaction,
        &t.satisfaction_days,
    ] {
        out.push_str("\r\n");
        csv_row(&mut out, &[x.t(table.title)]);
        csv_row(&mut out, &table.head);
        for row in &table.rows {
            csv_row(&mut out, row);
        }
    }
    out
}

fn title(r: &Report, x: &Text) -> String {
    let mut a = FluentArgs::new();
    a.set("center", r.center.clone());
    x.l.text("report-title", Some(&a))
}

fn period(r: &Report, x: &Text) -> String {
    let mut a = FluentArgs::new();
    a.set("from", x.date(r.from));
    a.set("to", x.date(r.to));
    x.l.text("report-period", Some(&a))
}

// ------------------------------------------------------------------------------- HTML

pub(crate) const CSS: &str = "body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:2rem;color:#111;background:#fff;max-width:70rem}
h1{font-size:1.6rem;margin:0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #1a4d8f}
p.period{margin:.2rem 0 1rem;color:#333}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.3rem .6rem;border-bottom:1px solid #ccc;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#eef2f8}
tr.all td{font-weight:bold;border-top:2px solid #333}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #ccc;border-radius:.4rem;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.5rem}.note{color:#333;font-size:.9rem}
svg{display:block;margin:.5rem 0;max-width:100%;height:auto}svg text{font-size:12px;fill:#111}
@media print{body{margin:0}}";

/// Horizontal bars: one per (label, value).
pub(crate) fn hbars(rows: &[(String, u32)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (220.0, 420.0, 26.0);
    let h = row_h * rows.len() as f64 + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\">",
        w = label_w + bar_w + 60.0
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let w = bar_w * f64::from(*v) / f64::from(max);
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"#1a4d8f\"/><text x=\"{vx:.1}\" y=\"{ty}\">{v}</text>",
            lx = label_w - 8.0,
            ty = y + 16.0,
            label = esc(label),
            bh = row_h - 8.0,
            vx = label_w + w + 6.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars with a label under each (hours, days).
fn vbars(rows: &[(String, u32)], every: usize) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let n = rows.len().max(1) as f64;
    let (w, h, top, bottom, left) = (720.0, 220.0, 20.0, 40.0, 40.0);
    let step = (w - left) / n;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\"><line x1=\"{left}\" y1=\"{base}\" x2=\"{w}\" y2=\"{base}\" stroke=\"#333\"/><text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>",
        base = h - bottom,
        tx = left - 4.0,
        ty = top + 4.0,
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let bh = (h - top - bottom) * f64::from(*v) / f64::from(max);
        let x = left + step * i as f64;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"#1a4d8f\"><title>{label}: {v}</title></rect>",
            y = h - bottom - bh,
            bw = (step * 0.8).max(1.0),
            label = esc(label),
        );
        if every > 0 && i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{x:.1}\" y=\"{y}\">{label}</text>",
                y = h - bottom + 16.0,
                label = esc(label),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// One stacked bar per group: unhappy, neutral, happy answers (red, grey, green) with counts.
pub(crate) fn faces(rows: &[(String, Satisfaction)]) -> String {
    let (label_w, bar_w, row_h) = (220.0, 420.0, 26.0);
    let h = row_h * rows.len() as f64 + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\">",
        w = label_w + bar_w + 20.0
    );
    for (i, (label, sat)) in rows.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>",
            lx = label_w - 8.0,
            ty = y + 16.0,
            label = esc(label),
        );
        let mut x0 = label_w;
        for (count, colour, face) in [
            (sat.unhappy, "#9b1111", "☹"),
            (sat.neutral, "#6b6b6b", "😐"),
            (sat.happy, "#0b5d1e", "☺"),
        ] {
            if count == 0 || sat.answers == 0 {
                continue;
            }
            let w = bar_w * f64::from(count) / f64::from(sat.answers);
            let _ = write!(
                s,
                "<rect x=\"{x0:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"{colour}\"><title>{face} {count}</title></rect><text x=\"{tx:.1}\" y=\"{ty}\" style=\"fill:#fff\">{face} {count}</text>",
                bh = row_h - 8.0,
                tx = x0 + 4.0,
                ty = y + 15.0,
            );
            x0 += w;
        }
    }
    s.push_str("</svg>");
    s
}

pub(crate) fn html_table(head: &[String], rows: &[Vec<String>], last_is_total: bool) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for (i, row) in rows.iter().enumerate() {
        if last_is_total && i + 1 == rows.len() {
            s.push_str("<tr class=\"all\">");
        } else {
            s.push_str("<tr>");
        }
        for c in row {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// The report as one self-contained HTML page.
pub fn html(r: &Report, l: &Localizer, catalog: &Catalog) -> String {
    let x = Text { l, catalog };
    let tabs = tables(r, &x, Numbers::Local);
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title><style>{CSS}</style></head><body><h1>{title}</h1><p class=\"period\">{period}</p>",
        lang = l.lang().code(),
        title = esc(&title(r, &x)),
        period = esc(&period(r, &x)),
    );
    if r.total.visitors == 0 && r.appointments_total.booked == 0 {
        let _ = write!(s, "<p>{}</p>", esc(&x.t("report-empty")));
    }

    // Summary cards.
    let _ = write!(
        s,
        "<h2>{}</h2><div class=\"cards\">",
        esc(&x.t("report-summary"))
    );
    let t = &r.total;
    for (id, value) in [
        ("report-visitors", t.visitors.to_string()),
        ("report-served", t.served.to_string()),
        ("report-no-shows", t.no_shows.to_string()),
        ("report-priority-share", x.percent(Some(t.priority_share()))),
        ("report-wait-median", x.minutes(t.wait.median)),
        ("report-wait-p90", x.minutes(t.wait.p90)),
        ("report-service-median", x.minutes(t.service.median)),
        ("report-service-p90", x.minutes(t.service.p90)),
        (
            "report-show-up",
            x.percent(r.appointments_total.show_up_rate()),
        ),
    ] {
        let _ = write!(
            s,
            "<div class=\"card\"><b>{}</b>{}</div>",
            esc(&value),
            esc(&x.t(id))
        );
    }
    let _ = write!(
        s,
        "</div><p class=\"note\">{}</p>",
        esc(&x.t("report-how-read"))
    );

    let section = |s: &mut String, table: &Table, chart: Option<String>, with_table: bool| {
        let _ = write!(s, "<h2>{}</h2>", esc(&x.t(table.title)));
        if let Some(c) = chart {
            s.push_str(&c);
        }
        if with_table {
            s.push_str(&html_table(&table.head, &table.rows, table.total));
        }
    };
    section(
        &mut s,
        &tabs.services,
        Some(hbars(
            &r.services
                .iter()
                .map(|(c, g)| (x.service(c), g.visitors))
                .collect::<Vec<_>>(),
        )),
        true,
    );
    section(
        &mut s,
        &tabs.languages,
        Some(hbars(
            &r.languages
                .iter()
                .map(|(c, n)| (x.language(c), *n))
                .collect::<Vec<_>>(),
        )),
        true,
    );
    // Load by hour: the hours with tickets and those between.
    let first = r.hours.iter().position(|n| *n > 0).unwrap_or(8);
    let last = r.hours.iter().rposition(|n| *n > 0).unwrap_or(17);
    section(
        &mut s,
        &tabs.hours,
        Some(vbars(
            &(first..=last.max(first))
                .map(|h| (format!("{h:02}h"), r.hours[h]))
                .collect::<Vec<_>>(),
            1,
        )),
        false,
    );
    let every = (r.days.len() / 10).max(1);
    section(
        &mut s,
        &tabs.days,
        Some(vbars(
            &r.days
                .iter()
                .map(|(d, n)| (d.format("%d/%m").to_string(), *n))
                .collect::<Vec<_>>(),
            every,
        )),
        false,
    );
    section(&mut s, &tabs.appointments, None, true);
    section(&mut s, &tabs.activities, None, true);
    // Satisfaction: faces per service as bars (happy share), then the tables.
    section(
        &mut s,
        &tabs.satisfaction,
        (r.satisfaction_total.answers > 0).then(|| {
            faces(
                &r.satisfaction
                    .iter()
                    .map(|(c, sat)| (x.service(c), *sat))
                    .collect::<Vec<_>>(),
            )
        }),
        true,
    );
    section(&mut s, &tabs.satisfaction_days, None, true);
    s.push_str("</body></html>\n");
    s
}
