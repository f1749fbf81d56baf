//! A report as an HTML page (inline CSS and SVG charts: nothing from the internet, no
//! JavaScript) or as CSV (one table after another, each under its title), in one language.

use super::{Appointments, Group, Report, Spread, ratio};
use crate::core::{Catalog, Lang, pick};
use crate::i18n::Localizer;
use fluent_bundle::FluentArgs;
use std::fmt::Write;

/// Every Fluent id used here (the locale test checks each language has them).
pub const FLUENT_IDS: &[&str] = &[
    "report-title",
    "report-period",
    "report-summary",
    "report-measure",
    "report-value",
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
    "report-per-service",
    "report-service",
    "report-languages",
    "report-language",
    "report-tickets",
    "report-share",
    "report-hours",
    "report-hour",
    "report-per-day",
    "report-day",
    "report-appointments",
    "report-booked",
    "report-checked-in",
    "report-missed",
    "report-pending",
    "report-show-up",
    "report-activities",
    "report-activity",
    "report-sessions",
    "report-seats",
    "report-seated",
    "report-waitlist",
    "report-fill",
    "report-attended",
    "report-attendance",
    "report-minutes",
    "report-empty",
    "report-all",
    "report-how-read",
];

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
            .services
            .iter()
            .find(|s| s.code.as_str() == code)
            .map(|s| pick(&s.name, self.lang(), self.catalog.center.default_language).to_string())
            .unwrap_or_else(|| code.to_string())
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

    /// A decimal in the page's language (comma except in English).
    fn decimal(&self, v: f64) -> String {
        let s = format!("{v:.1}");
        if self.lang() == Lang::En {
            s
        } else {
            s.replace('.', ",")
        }
    }

    fn minutes(&self, secs: Option<u32>) -> String {
        match secs {
            None => "–".into(),
            Some(s) => {
                let mut a = FluentArgs::new();
                a.set("minutes", self.decimal(f64::from(s) / 60.0));
                self.l.text("report-minutes", Some(&a))
            }
        }
    }

    fn percent(&self, r: Option<f64>) -> String {
        r.map_or_else(|| "–".into(), |r| format!("{} %", self.decimal(r * 100.0)))
    }

    fn date(&self, d: chrono::NaiveDate) -> String {
        if self.lang() == Lang::En {
            d.format("%Y-%m-%d").to_string()
        } else {
            d.format("%d/%m/%Y").to_string()
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Minutes with one decimal, for CSV (always a point).
fn csv_minutes(secs: Option<u32>) -> String {
    secs.map(|s| format!("{:.1}", f64::from(s) / 60.0))
        .unwrap_or_default()
}

fn csv_percent(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}", r * 100.0)).unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_row(out: &mut String, fields: &[String]) {
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

// ------------------------------------------------------------------------------- CSV

/// The report as CSV: tables one after the other, each under its title, blank line between.
pub fn csv(r: &Report, l: &Localizer, catalog: &Catalog) -> String {
    let x = Text { l, catalog };
    let mut out = String::new();
    csv_row(&mut out, &[title(r, &x)]);
    csv_row(&mut out, &[period(r, &x)]);
    out.push_str("\r\n");

    csv_row(&mut out, &[x.t("report-per-service")]);
    csv_row(
        &mut out,
        &[
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
        ]
        .map(|id| x.t(id)),
    );
    let group_row = |name: String, g: &Group| {
        vec![
            name,
            g.visitors.to_string(),
            g.served.to_string(),
            g.no_shows.to_string(),
            g.cancelled.to_string(),
            csv_percent(Some(g.priority_share())),
            g.from_appointments.to_string(),
            csv_minutes(g.wait.median),
            csv_minutes(g.wait.p90),
            csv_minutes(g.service.median),
            csv_minutes(g.service.p90),
        ]
    };
    for (code, g) in &r.services {
        csv_row(&mut out, &group_row(x.service(code), g));
    }
    csv_row(&mut out, &group_row(x.t("report-all"), &r.total));
    out.push_str("\r\n");

    csv_row(&mut out, &[x.t("report-languages")]);
    csv_row(
        &mut out,
        &["report-language", "report-tickets", "report-share"].map(|id| x.t(id)),
    );
    for (lang, n) in &r.languages {
        csv_row(
            &mut out,
            &[
                x.language(lang),
                n.to_string(),
                csv_percent(Some(ratio(*n, r.total.visitors))),
            ],
        );
    }
    out.push_str("\r\n");

    csv_row(&mut out, &[x.t("report-hours")]);
    csv_row(
        &mut out,
        &["report-hour", "report-tickets"].map(|id| x.t(id)),
    );
    for (h, n) in r.hours.iter().enumerate() {
        csv_row(&mut out, &[format!("{h:02}:00"), n.to_string()]);
    }
    out.push_str("\r\n");

    csv_row(&mut out, &[x.t("report-per-day")]);
    csv_row(
        &mut out,
        &["report-day", "report-tickets"].map(|id| x.t(id)),
    );
    for (d, n) in &r.days {
        csv_row(&mut out, &[d.to_string(), n.to_string()]);
    }
    out.push_str("\r\n");

    csv_row(&mut out, &[x.t("report-appointments")]);
    csv_row(
        &mut out,
        &[
            "report-service",
            "report-booked",
            "report-checked-in",
            "report-missed",
            "report-cancelled",
            "report-pending",
            "report-show-up",
        ]
        .map(|id| x.t(id)),
    );
    let appt_row = |name: String, a: &Appointments| {
        vec![
            name,
            a.booked.to_string(),
            a.checked_in.to_string(),
            a.missed.to_string(),
            a.cancelled.to_string(),
            a.pending.to_string(),
            csv_percent(a.show_up_rate()),
        ]
    };
    for (code, a) in &r.appointments {
        csv_row(&mut out, &appt_row(x.service(code), a));
    }
    csv_row(
        &mut out,
        &appt_row(x.t("report-all"), &r.appointments_total),
    );
    out.push_str("\r\n");

    csv_row(&mut out, &[x.t("report-activities")]);
    csv_row(
        &mut out,
        &[
            "report-activity",
            "report-sessions",
            "report-seats",
            "report-seated",
            "report-waitlist",
            "report-cancelled",
            "report-fill",
            "report-attended",
            "report-attendance",
        ]
        .map(|id| x.t(id)),
    );
    for a in &r.activities {
        csv_row(
            &mut out,
            &[
                x.activity(&a.code),
                a.sessions.to_string(),
                a.seats.to_string(),
                a.seated.to_string(),
                a.waitlist.to_string(),
                a.cancelled.to_string(),
                csv_percent(a.fill_rate()),
                a.attended.to_string(),
                csv_percent(a.attendance_rate()),
            ],
        );
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

const CSS: &str = "body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:2rem;color:#111;background:#fff;max-width:70rem}
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
fn hbars(rows: &[(String, u32)]) -> String {
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

fn table(head: &[String], rows: &[Vec<String>], last_is_total: bool) -> String {
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

    // Per service.
    let _ = write!(s, "<h2>{}</h2>", esc(&x.t("report-per-service")));
    s.push_str(&hbars(
        &r.services
            .iter()
            .map(|(c, g)| (x.service(c), g.visitors))
            .collect::<Vec<_>>(),
    ));
    let spread = |sp: &Spread| [x.minutes(sp.median), x.minutes(sp.p90)];
    let mut rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|(c, g)| (x.service(c), g))
        .chain(std::iter::once((x.t("report-all"), &r.total)))
        .map(|(name, g)| {
            let [wm, wp] = spread(&g.wait);
            let [sm, sp] = spread(&g.service);
            vec![
                name,
                g.visitors.to_string(),
                g.served.to_string(),
                g.no_shows.to_string(),
                x.percent(Some(g.priority_share())),
                wm,
                wp,
                sm,
                sp,
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "report-service",
            "report-visitors",
            "report-served",
            "report-no-shows",
            "report-priority-share",
            "report-wait-median",
            "report-wait-p90",
            "report-service-median",
            "report-service-p90",
        ]
        .map(|id| x.t(id)),
        &rows,
        true,
    ));

    // Languages.
    let _ = write!(s, "<h2>{}</h2>", esc(&x.t("report-languages")));
    s.push_str(&hbars(
        &r.languages
            .iter()
            .map(|(c, n)| (x.language(c), *n))
            .collect::<Vec<_>>(),
    ));
    rows = r
        .languages
        .iter()
        .map(|(c, n)| {
            vec![
                x.language(c),
                n.to_string(),
                x.percent(Some(ratio(*n, r.total.visitors))),
            ]
        })
        .collect();
    s.push_str(&table(
        &["report-language", "report-tickets", "report-share"].map(|id| x.t(id)),
        &rows,
        false,
    ));

    // Load by hour (only the hours with tickets and those between).
    let first = r.hours.iter().position(|n| *n > 0).unwrap_or(8);
    let last = r.hours.iter().rposition(|n| *n > 0).unwrap_or(17);
    let _ = write!(s, "<h2>{}</h2>", esc(&x.t("report-hours")));
    s.push_str(&vbars(
        &(first..=last.max(first))
            .map(|h| (format!("{h:02}h"), r.hours[h]))
            .collect::<Vec<_>>(),
        1,
    ));

    // Per day.
    let _ = write!(s, "<h2>{}</h2>", esc(&x.t("report-per-day")));
    let every = (r.days.len() / 10).max(1);
    s.push_str(&vbars(
        &r.days
            .iter()
            .map(|(d, n)| (d.format("%d/%m").to_string(), *n))
            .collect::<Vec<_>>(),
        every,
    ));

    // Appointments.
    let _ = write!(s, "<h2>{}</h2>", esc(&x.t("report-appointments")));
    rows = r
        .appointments
        .iter()
        .map(|(c, a)| (x.service(c), a))
        .chain(std::iter::once((x.t("report-all"), &r.appointments_total)))
        .map(|(name, a)| {
            vec![
                name,
                a.booked.to_string(),
                a.checked_in.to_string(),
                a.missed.to_string(),
                a.cancelled.to_string(),
                a.pending.to_string(),
                x.percent(a.show_up_rate()),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "report-service",
            "report-booked",
            "report-checked-in",
            "report-missed",
            "report-cancelled",
            "report-pending",
            "report-show-up",
        ]
        .map(|id| x.t(id)),
        &rows,
        true,
    ));

    // Activities.
    let _ = write!(s, "<h2>{}</h2>", esc(&x.t("report-activities")));
    rows = r
        .activities
        .iter()
        .map(|a| {
            vec![
                x.activity(&a.code),
                a.sessions.to_string(),
                a.seats.to_string(),
                a.seated.to_string(),
                a.waitlist.to_string(),
                x.percent(a.fill_rate()),
                a.attended.to_string(),
                x.percent(a.attendance_rate()),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "report-activity",
            "report-sessions",
            "report-seats",
            "report-seated",
            "report-waitlist",
            "report-fill",
            "report-attended",
            "report-attendance",
        ]
        .map(|id| x.t(id)),
        &rows,
        false,
    ));
    s.push_str("</body></html>\n");
    s
}
