//! A report as an HTML page (inline CSS and SVG charts: nothing from the internet, no
//! JavaScript) or as CSV (one table after another, each under its title), in one language.

use super::{Appointments, Group, Report, Satisfaction, ratio};
use crate::core::{Catalog, Lang, pick};
use crate::i18n::Localizer;
use fluent_bundle::FluentArgs;
use std::fmt::Write;

/// The columns of the satisfaction tables (after the service or the day).
mod html;
mod tables;

pub use html::html;
pub(crate) use html::{CSS, faces, hbars, html_table};
use tables::*;

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

pub(super) struct Text<'a> {
    l: &'a Localizer,
    catalog: &'a Catalog,
}

impl Text<'_> {
    pub(super) fn t(&self, id: &str) -> String {
        self.l.text(id, None)
    }

    pub(super) fn lang(&self) -> Lang {
        self.l.lang()
    }

    pub(super) fn service(&self, code: &str) -> String {
        self.catalog
            .service_name(&crate::core::ServiceCode::from(code), self.lang())
            .unwrap_or(code)
            .to_string()
    }

    pub(super) fn activity(&self, code: &str) -> String {
        self.catalog
            .activities
            .iter()
            .find(|a| a.code.as_str() == code)
            .map(|a| pick(&a.title, self.lang(), self.catalog.center.default_language).to_string())
            .unwrap_or_else(|| code.to_string())
    }

    pub(super) fn language(&self, code: &str) -> String {
        code.parse::<Lang>()
            .map(|l| l.native_name().to_string())
            .unwrap_or_else(|_| code.to_string())
    }

    pub(super) fn minutes(&self, secs: Option<u32>) -> String {
        minutes(self.l, secs)
    }

    pub(super) fn percent(&self, r: Option<f64>) -> String {
        percent(self.l, r)
    }

    pub(super) fn date(&self, d: chrono::NaiveDate) -> String {
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

/// One CSV cell. A cell a spreadsheet would run as a formula — it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (a service named `=HYPERLINK(…)`, a center's name) — gets a
/// leading `'` (OWASP, CSV injection), so it is shown as text; a plain number (`-1.5`) is left
/// as it is. Every CSV the hub and the city write goes through here.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `-12` or `-0.5`: a number, which no spreadsheet takes for a formula.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !frac.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
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
