//! The report as one HTML page: inline CSS and SVG charts, no script, nothing fetched.

use super::*;

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
pub(super) fn vbars(rows: &[(String, u32)], every: usize) -> String {
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
