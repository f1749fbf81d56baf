//! The report as tables of words and numbers: what the CSV and the HTML page both show.

use super::*;

// ------------------------------------------------------------------------------- tables

/// Numbers for a spreadsheet (point, no unit) or for reading (the page's language).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Numbers {
    Plain,
    Local,
}

pub(super) struct Table {
    pub(super) title: &'static str,
    pub(super) head: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
    /// The last row is the total.
    pub(super) total: bool,
}

pub(super) struct Tables {
    pub(super) services: Table,
    pub(super) languages: Table,
    pub(super) hours: Table,
    pub(super) days: Table,
    pub(super) appointments: Table,
    pub(super) activities: Table,
    pub(super) satisfaction: Table,
    pub(super) satisfaction_days: Table,
}

pub(super) fn tables(r: &Report, x: &Text, n: Numbers) -> Tables {
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
