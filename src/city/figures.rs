//! The city report's figures: counted by the city database (one pass per table over the
//! period), percentiles taken here with the center report's own nearest-rank code, per center
//! and service.
//! The same measures as `report` — `Group`, `Appointments`, `ActivityRow`,
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
    /// The center's time zone (IANA name), for its times.
    pub timezone: String,
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

/// A column of a row, or a clear error when the city database holds something else.
fn col<'a, T: postgres::types::FromSql<'a>>(
    r: &'a postgres::Row,
    i: usize,
) -> Result<T, CityError> {
    r.try_get(i).map_err(|e| CityError::Database {
        target: "the city database".into(),
        detail: format!(
            "column {} of a row has an unexpected type ({}): is its schema from another program?",
            i + 1,
            describe(&e)
        ),
    })
}

fn n(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
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
        .query(
            "SELECT id, name, timezone, last_sent FROM integra.centers",
            &[],
        )
        .map_err(db)?
    {
        let id: String = col(&r, 0)?;
        centers.insert(
            id.clone(),
            CenterFigures {
                id,
                name: col(&r, 1)?,
                timezone: col(&r, 2)?,
                last_sent: col(&r, 3)?,
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
        let center: String = col(&r, 0)?;
        let code: String = col(&r, 1)?;
        positions
            .entry(center.clone())
            .or_default()
            .insert(code.clone(), col(&r, 2)?);
        if let (Some(c), Ok(names)) = (
            centers.get_mut(&center),
            serde_json::from_value::<Localized>(col(&r, 3)?),
        ) {
            c.names.insert(code, names);
        }
    }

    let mut report = CityReport {
        from,
        to,
        ..Default::default()
    };

    // Tickets: one pass grouped per (center, service) — the counts, and the waits and service
    // times themselves (whole seconds, kept per ticket by the database). The percentiles are
    // then taken here by `Spread::of`, the center report's own nearest-rank code, per service,
    // per center and for the city (counts add up; times are pooled). Sorting a million numbers
    // here takes tens of milliseconds; the database's ordered-set aggregates took a second.
    let rows = client
        .query(
            "SELECT center, service, count(*),
                 count(*) FILTER (WHERE state = 'done'),
                 count(*) FILTER (WHERE state = 'no-show'),
                 count(*) FILTER (WHERE state = 'cancelled'),
                 count(priority),
                 count(*) FILTER (WHERE appointment),
                 array_agg(wait_s) FILTER (WHERE wait_s IS NOT NULL),
                 array_agg(service_s) FILTER (WHERE service_s IS NOT NULL)
             FROM integra.tickets WHERE day BETWEEN $1 AND $2
             GROUP BY center, service",
            &[&from, &to],
        )
        .map_err(db)?;
    let seconds = |v: Option<Vec<i32>>| -> Vec<u32> {
        v.unwrap_or_default()
            .into_iter()
            .map(|s| s.max(0) as u32)
            .collect()
    };
    // Per center: its counts and all its times, pooled.
    let mut pooled: BTreeMap<String, (Group, Vec<u32>, Vec<u32>)> = BTreeMap::new();
    let mut city = (Group::default(), Vec::new(), Vec::new());
    let add = |to: &mut Group, g: &Group| {
        to.visitors += g.visitors;
        to.served += g.served;
        to.no_shows += g.no_shows;
        to.cancelled += g.cancelled;
        to.priority += g.priority;
        to.from_appointments += g.from_appointments;
    };
    for r in rows {
        let center: String = col(&r, 0)?;
        let waits = seconds(col(&r, 8)?);
        let services = seconds(col(&r, 9)?);
        let g = Group {
            visitors: n(col(&r, 2)?),
            served: n(col(&r, 3)?),
            no_shows: n(col(&r, 4)?),
            cancelled: n(col(&r, 5)?),
            priority: n(col(&r, 6)?),
            from_appointments: n(col(&r, 7)?),
            wait: Spread::of(waits.clone()),
            service: Spread::of(services.clone()),
        };
        let p = pooled.entry(center.clone()).or_default();
        add(&mut p.0, &g);
        p.1.extend(waits);
        p.2.extend(services);
        if let Some(c) = centers.get_mut(&center) {
            c.services.push((col(&r, 1)?, g));
        }
    }
    for (center, (mut g, waits, services)) in pooled {
        add(&mut city.0, &g);
        city.1.extend_from_slice(&waits);
        city.2.extend_from_slice(&services);
        g.wait = Spread::of(waits);
        g.service = Spread::of(services);
        if let Some(c) = centers.get_mut(&center) {
            c.total = g;
        }
    }
    let (mut total, waits, services) = city;
    total.wait = Spread::of(waits);
    total.service = Spread::of(services);
    report.total = total;

    let mut city_langs: BTreeMap<String, u32> = BTreeMap::new();
    for r in client
        .query(
            "SELECT center, lang, count(*) FROM integra.tickets WHERE day BETWEEN $1 AND $2
             GROUP BY center, lang",
            &[&from, &to],
        )
        .map_err(db)?
    {
        let center: String = col(&r, 0)?;
        let lang: String = col(&r, 1)?;
        let count = n(col(&r, 2)?);
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
            booked: n(col(&r, 2)?),
            checked_in: n(col(&r, 3)?),
            missed: n(col(&r, 4)?),
            cancelled: n(col(&r, 5)?),
            pending: n(col(&r, 6)?),
        };
        let (gc, gs): (i32, i32) = (col(&r, 7)?, col(&r, 8)?);
        match (gc, gs) {
            (0, 0) => {
                let center: String = col(&r, 0)?;
                if let Some(c) = centers.get_mut(&center) {
                    c.appointments.push((col(&r, 1)?, a));
                }
            }
            (0, _) => {
                let center: String = col(&r, 0)?;
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
        let center: String = col(&r, 0)?;
        if let Some(c) = centers.get_mut(&center) {
            c.activities.push(ActivityRow {
                code: col(&r, 1)?,
                seated: n(col(&r, 2)?),
                waitlist: n(col(&r, 3)?),
                cancelled: n(col(&r, 4)?),
                attended: n(col(&r, 5)?),
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
            answers: n(col(&r, 2)?),
            unhappy: n(col(&r, 3)?),
            neutral: n(col(&r, 4)?),
            happy: n(col(&r, 5)?),
            waited_too_long: n(col(&r, 6)?),
            not_understood: n(col(&r, 7)?),
            got_what_needed: n(col(&r, 8)?),
        };
        let (gc, gs): (i32, i32) = (col(&r, 9)?, col(&r, 10)?);
        match (gc, gs) {
            (0, 0) => {
                let center: String = col(&r, 0)?;
                if let Some(c) = centers.get_mut(&center) {
                    c.satisfaction.push((col(&r, 1)?, s));
                }
            }
            (0, _) => {
                let center: String = col(&r, 0)?;
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
