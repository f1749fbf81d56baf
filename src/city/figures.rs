//! The city report's figures, computed by the city database itself (one pass per table over
//! the period, percentiles by nearest rank as in the center's own report), per center and
//! service. The same measures as `report` — `Group`, `Appointments`, `ActivityRow`,
//! `Satisfaction` — so a center's row reads like its own report, and can be checked against it.

use super::{CityError, describe};
use crate::core::Localized;
use crate::report::{ActivityRow, Appointments, Group, Satisfaction, Spread};
use chrono::{DateTime, NaiveDate, Utc};
use postgres::Client;
use std::collections::BTreeMap;

/// One center's figures over the period.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CenterFigures {
    pub id: String,
    pub name: String,
    pub last_sent: Option<DateTime<Utc>>,
    pub total: Group,
    /// Per service, in the center's catalog order (codes it no longer has after).
    pub services: Vec<(String, Group)>,
    /// Language chosen → tickets, most chosen first.
    pub languages: Vec<(String, u32)>,
    pub appointments_total: Appointments,
    pub appointments: Vec<(String, Appointments)>,
    /// Sign-ups per activity (sessions and seats are not known here: 0).
    pub activities: Vec<ActivityRow>,
    pub satisfaction_total: Satisfaction,
    pub satisfaction: Vec<(String, Satisfaction)>,
    /// The names of its services and activities, in every language it gave.
    #[serde(skip)]
    pub names: BTreeMap<String, Localized>,
}

impl CenterFigures {
    /// Checked in out of seated sign-ups, over all activities.
    pub fn attendance(&self) -> Option<f64> {
        let seated: u32 = self.activities.iter().map(|a| a.seated).sum();
        let attended: u32 = self.activities.iter().map(|a| a.attended).sum();
        (seated > 0).then(|| crate::report::ratio(attended, seated))
    }
}

/// The city report: every center that sent figures, and all of them together.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CityReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Group,
    pub appointments_total: Appointments,
    pub satisfaction_total: Satisfaction,
    pub languages: Vec<(String, u32)>,
    pub centers: Vec<CenterFigures>,
}

fn n(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn secs(v: Option<i32>) -> Option<u32> {
    v.map(|v| v.max(0) as u32)
}

fn order<T>(rows: &mut [(String, T)], positions: &BTreeMap<String, i32>) {
    rows.sort_by(|a, b| {
        let pa = positions.get(&a.0).copied().unwrap_or(i32::MAX);
        let pb = positions.get(&b.0).copied().unwrap_or(i32::MAX);
        pa.cmp(&pb).then(a.0.cmp(&b.0))
    });
}

/// Compute the city report over the local days `from..=to` (each center's own days).
pub fn compute(
    client: &mut Client,
    shown: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<CityReport, CityError> {
    let db = |e: postgres::Error| CityError::Database {
        target: shown.to_string(),
        detail: describe(&e),
    };
    let mut centers: BTreeMap<String, CenterFigures> = BTreeMap::new();
    let mut positions: BTreeMap<String, BTreeMap<String, i32>> = BTreeMap::new();
    for r in client
        .query("SELECT id, name, last_sent FROM integra.centers", &[])
        .map_err(db)?
    {
        let id: String = r.get(0);
        centers.insert(
            id.clone(),
            CenterFigures {
                id,
                name: r.get(1),
                last_sent: r.get(2),
                ..Default::default()
            },
        );
    }
    for r in client
        .query(
            "SELECT center, code, position, names FROM integra.services
             UNION ALL SELECT center, code, position + 100000, names FROM integra.activities",
            &[],
        )
        .map_err(db)?
    {
        let center: String = r.get(0);
        let code: String = r.get(1);
        positions
            .entry(center.clone())
            .or_default()
            .insert(code.clone(), r.get(2));
        if let (Some(c), Ok(names)) = (
            centers.get_mut(&center),
            serde_json::from_value::<Localized>(r.get(3)),
        ) {
            c.names.insert(code, names);
        }
    }

    let mut report = CityReport {
        from,
        to,
        ..Default::default()
    };

    // Tickets: one pass, grouped per (center, service), per center and for the city.
    let rows = client
        .query(
            "SELECT center, service, count(*),
                 count(*) FILTER (WHERE state = 'done'),
                 count(*) FILTER (WHERE state = 'no-show'),
                 count(*) FILTER (WHERE state = 'cancelled'),
                 count(priority),
                 count(*) FILTER (WHERE appointment),
                 count(w), percentile_disc(0.5) WITHIN GROUP (ORDER BY w),
                 percentile_disc(0.9) WITHIN GROUP (ORDER BY w),
                 count(s), percentile_disc(0.5) WITHIN GROUP (ORDER BY s),
                 percentile_disc(0.9) WITHIN GROUP (ORDER BY s),
                 GROUPING(center), GROUPING(service)
             FROM (SELECT center, service, state, priority, appointment,
                     CASE WHEN called_at IS NOT NULL
                          THEN greatest(0, floor(extract(epoch FROM called_at - issued_at)))::int
                     END AS w,
                     CASE WHEN state = 'done' AND ended_at IS NOT NULL
                               AND coalesce(serving_at, called_at) IS NOT NULL
                          THEN greatest(0, floor(extract(epoch FROM
                                   ended_at - coalesce(serving_at, called_at))))::int
                     END AS s
                   FROM integra.tickets WHERE day BETWEEN $1 AND $2) t
             GROUP BY GROUPING SETS ((center, service), (center), ())",
            &[&from, &to],
        )
        .map_err(db)?;
    for r in rows {
        let g = Group {
            visitors: n(r.get(2)),
            served: n(r.get(3)),
            no_shows: n(r.get(4)),
            cancelled: n(r.get(5)),
            priority: n(r.get(6)),
            from_appointments: n(r.get(7)),
            wait: Spread {
                count: n(r.get(8)),
                median: secs(r.get(9)),
                p90: secs(r.get(10)),
            },
            service: Spread {
                count: n(r.get(11)),
                median: secs(r.get(12)),
                p90: secs(r.get(13)),
            },
        };
        let (gc, gs): (i32, i32) = (r.get(14), r.get(15));
        match (gc, gs) {
            (0, 0) => {
                let center: String = r.get(0);
                if let Some(c) = centers.get_mut(&center) {
                    c.services.push((r.get(1), g));
                }
            }
            (0, _) => {
                let center: String = r.get(0);
                if let Some(c) = centers.get_mut(&center) {
                    c.total = g;
                }
            }
            _ => report.total = g,
        }
    }

    let mut city_langs: BTreeMap<String, u32> = BTreeMap::new();
    for r in client
        .query(
            "SELECT center, lang, count(*) FROM integra.tickets WHERE day BETWEEN $1 AND $2
             GROUP BY center, lang",
            &[&from, &to],
        )
        .map_err(db)?
    {
        let center: String = r.get(0);
        let lang: String = r.get(1);
        let count = n(r.get(2));
        *city_langs.entry(lang.clone()).or_default() += count;
        if let Some(c) = centers.get_mut(&center) {
            c.languages.push((lang, count));
        }
    }
    report.languages = city_langs.into_iter().collect();

    for r in client
        .query(
            "SELECT center, service, count(*),
                 count(*) FILTER (WHERE state = 'checked-in'),
                 count(*) FILTER (WHERE state = 'missed'),
                 count(*) FILTER (WHERE state = 'cancelled'),
                 count(*) FILTER (WHERE state = 'booked'),
                 GROUPING(center), GROUPING(service)
             FROM integra.appointments WHERE day BETWEEN $1 AND $2
             GROUP BY GROUPING SETS ((center, service), (center), ())",
            &[&from, &to],
        )
        .map_err(db)?
    {
        let a = Appointments {
            booked: n(r.get(2)),
            checked_in: n(r.get(3)),
            missed: n(r.get(4)),
            cancelled: n(r.get(5)),
            pending: n(r.get(6)),
        };
        let (gc, gs): (i32, i32) = (r.get(7), r.get(8));
        match (gc, gs) {
            (0, 0) => {
                let center: String = r.get(0);
                if let Some(c) = centers.get_mut(&center) {
                    c.appointments.push((r.get(1), a));
                }
            }
            (0, _) => {
                let center: String = r.get(0);
                if let Some(c) = centers.get_mut(&center) {
                    c.appointments_total = a;
                }
            }
            _ => report.appointments_total = a,
        }
    }

    for r in client
        .query(
            "SELECT center, activity,
                 count(*) FILTER (WHERE NOT cancelled AND seated),
                 count(*) FILTER (WHERE NOT cancelled AND NOT seated),
                 count(*) FILTER (WHERE cancelled),
                 count(*) FILTER (WHERE NOT cancelled AND seated AND attended)
             FROM integra.signups WHERE day BETWEEN $1 AND $2
             GROUP BY center, activity",
            &[&from, &to],
        )
        .map_err(db)?
    {
        let center: String = r.get(0);
        if let Some(c) = centers.get_mut(&center) {
            c.activities.push(ActivityRow {
                code: r.get(1),
                seated: n(r.get(2)),
                waitlist: n(r.get(3)),
                cancelled: n(r.get(4)),
                attended: n(r.get(5)),
                ..Default::default()
            });
        }
    }

    for r in client
        .query(
            "SELECT center, service, count(*),
                 count(*) FILTER (WHERE rating = 1),
                 count(*) FILTER (WHERE rating = 2),
                 count(*) FILTER (WHERE rating = 3),
                 count(*) FILTER (WHERE waited_too_long),
                 count(*) FILTER (WHERE not_understood),
                 count(*) FILTER (WHERE got_what_needed),
                 GROUPING(center), GROUPING(service)
             FROM integra.feedback WHERE day BETWEEN $1 AND $2
             GROUP BY GROUPING SETS ((center, service), (center), ())",
            &[&from, &to],
        )
        .map_err(db)?
    {
        let s = Satisfaction {
            answers: n(r.get(2)),
            unhappy: n(r.get(3)),
            neutral: n(r.get(4)),
            happy: n(r.get(5)),
            waited_too_long: n(r.get(6)),
            not_understood: n(r.get(7)),
            got_what_needed: n(r.get(8)),
        };
        let (gc, gs): (i32, i32) = (r.get(9), r.get(10));
        match (gc, gs) {
            (0, 0) => {
                let center: String = r.get(0);
                if let Some(c) = centers.get_mut(&center) {
                    c.satisfaction.push((r.get(1), s));
                }
            }
            (0, _) => {
                let center: String = r.get(0);
                if let Some(c) = centers.get_mut(&center) {
                    c.satisfaction_total = s;
                }
            }
            _ => report.satisfaction_total = s,
        }
    }

    let empty = BTreeMap::new();
    for c in centers.values_mut() {
        let pos = positions.get(&c.id).unwrap_or(&empty);
        order(&mut c.services, pos);
        order(&mut c.appointments, pos);
        order(&mut c.satisfaction, pos);
        c.activities.sort_by(|a, b| {
            let pa = pos.get(&a.code).copied().unwrap_or(i32::MAX);
            let pb = pos.get(&b.code).copied().unwrap_or(i32::MAX);
            pa.cmp(&pb).then(a.code.cmp(&b.code))
        });
        c.languages
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    report
        .languages
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut list: Vec<CenterFigures> = centers.into_values().collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    report.centers = list;
    Ok(report)
}
