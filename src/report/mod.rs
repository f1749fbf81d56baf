//! Reports for the coordinator: what happened over a day, a week or a month. `compute` is pure
//! (facts in, figures out); `render` writes the figures as an HTML page with SVG charts or as
//! CSV, in the coordinator's language. The facts are anonymous (no name, phone or code).

pub mod render;
pub mod sample;

use crate::core::{AppointmentState, Catalog};
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// One ticket as stored (the `tickets` table).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFact {
    pub day: NaiveDate,
    pub service: String,
    pub lang: String,
    pub priority: bool,
    pub appointment: bool,
    pub issued_at: DateTime<Utc>,
    /// `waiting`, `called`, `serving`, `done`, `no-show`, `cancelled`.
    pub state: String,
    pub called_at: Option<DateTime<Utc>>,
    pub serving_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentFact {
    pub service: String,
    pub date: NaiveDate,
    pub state: AppointmentState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignUpFact {
    pub activity: String,
    pub date: NaiveDate,
    pub seated: bool,
    pub cancelled: bool,
    pub attended: bool,
}

/// One visitor's answer to "How was your visit?" (from their follow page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feedback {
    /// 1 = unhappy, 2 = neutral, 3 = happy.
    pub rating: u8,
    pub waited_too_long: bool,
    pub not_understood: bool,
    pub got_what_needed: bool,
}

/// A stored answer: its day and service, nothing of who gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackFact {
    pub day: NaiveDate,
    pub service: String,
    pub feedback: Feedback,
}

/// Answers to "How was your visit?" in a group (a service, a day, all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Satisfaction {
    pub answers: u32,
    pub unhappy: u32,
    pub neutral: u32,
    pub happy: u32,
    pub waited_too_long: u32,
    pub not_understood: u32,
    pub got_what_needed: u32,
}

impl Satisfaction {
    fn add(&mut self, f: &Feedback) {
        self.answers += 1;
        match f.rating {
            1 => self.unhappy += 1,
            2 => self.neutral += 1,
            _ => self.happy += 1,
        }
        self.waited_too_long += u32::from(f.waited_too_long);
        self.not_understood += u32::from(f.not_understood);
        self.got_what_needed += u32::from(f.got_what_needed);
    }

    /// The share of answers with this count (none when nobody answered).
    pub fn share(&self, count: u32) -> Option<f64> {
        (self.answers > 0).then(|| ratio(count, self.answers))
    }
}

/// What a report is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub tickets: Vec<TicketFact>,
    pub appointments: Vec<AppointmentFact>,
    pub signups: Vec<SignUpFact>,
    pub feedback: Vec<FeedbackFact>,
}

/// Median and 90th percentile of durations, in seconds (nearest-rank: the smallest value with
/// at least p % of the values at or below it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Spread {
    pub count: u32,
    pub median: Option<u32>,
    pub p90: Option<u32>,
}

impl Spread {
    /// The spread of these values (in any order): the two ranks are selected, not sorted for
    /// (linear time — the city report takes it over a million waits).
    pub fn of(mut values: Vec<u32>) -> Spread {
        let n = values.len();
        if n == 0 {
            return Spread::default();
        }
        let rank = |p: usize| (p * n).div_ceil(100).max(1) - 1;
        let (m, q) = (rank(50), rank(90));
        let p90 = *values.select_nth_unstable(q).1;
        // Everything before `q` is at most the 90th percentile: the median is among them.
        let median = match values.get_mut(..q) {
            Some(below) if m < q => *below.select_nth_unstable(m).1,
            _ => p90,
        };
        Spread {
            count: n as u32,
            median: Some(median),
            p90: Some(p90),
        }
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u32], p: usize) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Figures of a group of tickets (one service, or all).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Group {
    pub visitors: u32,
    pub served: u32,
    pub no_shows: u32,
    pub cancelled: u32,
    pub priority: u32,
    pub from_appointments: u32,
    /// From issue to the first call.
    pub wait: Spread,
    /// From the start of service (or the call) to the end, for visitors served.
    pub service: Spread,
}

impl Group {
    fn of<'a>(tickets: impl Iterator<Item = &'a TicketFact>) -> Group {
        let mut g = Group::default();
        let mut waits = Vec::new();
        let mut services = Vec::new();
        for t in tickets {
            g.visitors += 1;
            match t.state.as_str() {
                "done" => g.served += 1,
                "no-show" => g.no_shows += 1,
                "cancelled" => g.cancelled += 1,
                _ => {}
            }
            g.priority += u32::from(t.priority);
            g.from_appointments += u32::from(t.appointment);
            if let Some(called) = t.called_at {
                waits.push(seconds(t.issued_at, called));
            }
            if t.state == "done"
                && let (Some(start), Some(end)) = (t.serving_at.or(t.called_at), t.ended_at)
            {
                services.push(seconds(start, end));
            }
        }
        g.wait = Spread::of(waits);
        g.service = Spread::of(services);
        g
    }

    /// Share of priority tickets, 0–1.
    pub fn priority_share(&self) -> f64 {
        ratio(self.priority, self.visitors)
    }
}

fn seconds(a: DateTime<Utc>, b: DateTime<Utc>) -> u32 {
    u32::try_from((b - a).num_seconds().max(0)).unwrap_or(u32::MAX)
}

pub fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// Appointments whose day is in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Appointments {
    pub booked: u32,
    pub checked_in: u32,
    pub missed: u32,
    pub cancelled: u32,
    /// Still to come (today or later).
    pub pending: u32,
}

impl Appointments {
    /// Checked in out of those whose day has passed or who came (cancelled ones left out).
    pub fn show_up_rate(&self) -> Option<f64> {
        let due = self.checked_in + self.missed;
        (due > 0).then(|| ratio(self.checked_in, due))
    }
}

/// One group activity over the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ActivityRow {
    pub code: String,
    pub sessions: u32,
    pub seats: u32,
    pub seated: u32,
    pub waitlist: u32,
    pub cancelled: u32,
    /// Seated people who checked in on the day.
    pub attended: u32,
}

impl ActivityRow {
    /// Checked in out of those who had a seat.
    pub fn attendance_rate(&self) -> Option<f64> {
        (self.seated > 0).then(|| ratio(self.attended, self.seated))
    }

    /// Seats taken out of seats offered.
    pub fn fill_rate(&self) -> Option<f64> {
        (self.seats > 0).then(|| ratio(self.seated, self.seats))
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub center: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Group,
    /// Per service, in catalog order (services no longer in the catalog after).
    pub services: Vec<(String, Group)>,
    /// Language chosen → tickets, most chosen first.
    pub languages: Vec<(String, u32)>,
    /// Tickets issued per local hour of the day.
    pub hours: [u32; 24],
    /// Tickets issued per day of the period.
    pub days: Vec<(NaiveDate, u32)>,
    pub appointments_total: Appointments,
    pub appointments: Vec<(String, Appointments)>,
    pub activities: Vec<ActivityRow>,
    /// "How was your visit?": all answers, per service (catalog order), per day with answers.
    pub satisfaction_total: Satisfaction,
    pub satisfaction: Vec<(String, Satisfaction)>,
    pub satisfaction_days: Vec<(NaiveDate, Satisfaction)>,
}

/// The figures of the local days `from..=to`.
pub fn compute(facts: &Facts, catalog: &Catalog, from: NaiveDate, to: NaiveDate) -> Report {
    let tz: Tz = catalog.center.timezone;
    let tickets: Vec<&TicketFact> = facts
        .tickets
        .iter()
        .filter(|t| t.day >= from && t.day <= to)
        .collect();

    // Services: catalog order first, then codes only the history knows.
    let mut order: Vec<String> = catalog
        .services
        .iter()
        .map(|s| s.code.to_string())
        .collect();
    for t in &tickets {
        if !order.contains(&t.service) {
            order.push(t.service.clone());
        }
    }
    let services = order
        .iter()
        .filter(|code| tickets.iter().any(|t| &t.service == *code))
        .map(|code| {
            (
                code.clone(),
                Group::of(tickets.iter().copied().filter(|t| &t.service == code)),
            )
        })
        .collect();

    let mut langs: BTreeMap<String, u32> = BTreeMap::new();
    let mut hours = [0u32; 24];
    let mut days: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        days.insert(d, 0);
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    for t in &tickets {
        *langs.entry(t.lang.clone()).or_default() += 1;
        let hour = t.issued_at.with_timezone(&tz).hour() as usize;
        if let Some(h) = hours.get_mut(hour) {
            *h += 1;
        }
        *days.entry(t.day).or_default() += 1;
    }
    let mut languages: Vec<(String, u32)> = langs.into_iter().collect();
    languages.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let mut appts: BTreeMap<String, Appointments> = BTreeMap::new();
    let mut appointments_total = Appointments::default();
    for a in facts
        .appointments
        .iter()
        .filter(|a| a.date >= from && a.date <= to)
    {
        for g in [
            appts.entry(a.service.clone()).or_default(),
            &mut appointments_total,
        ] {
            g.booked += 1;
            match a.state {
                AppointmentState::CheckedIn => g.checked_in += 1,
                AppointmentState::Missed => g.missed += 1,
                AppointmentState::Cancelled => g.cancelled += 1,
                AppointmentState::Booked => g.pending += 1,
            }
        }
    }
    let mut appointments: Vec<(String, Appointments)> = order
        .iter()
        .filter_map(|code| appts.remove(code).map(|a| (code.clone(), a)))
        .collect();
    appointments.extend(appts);

    let mut activities: Vec<ActivityRow> = catalog
        .activities
        .iter()
        .map(|a| {
            let sessions = a
                .next_dates(from, (to - from).num_days().max(0) as u32)
                .len() as u32;
            ActivityRow {
                code: a.code.to_string(),
                sessions,
                seats: sessions * a.seats,
                ..Default::default()
            }
        })
        .collect();
    for s in facts
        .signups
        .iter()
        .filter(|s| s.date >= from && s.date <= to)
    {
        let row = match activities.iter().position(|r| r.code == s.activity) {
            Some(i) => &mut activities[i],
            None => {
                activities.push(ActivityRow {
                    code: s.activity.clone(),
                    ..Default::default()
                });
                let last = activities.len() - 1;
                &mut activities[last]
            }
        };
        if s.cancelled {
            row.cancelled += 1;
        } else if s.seated {
            row.seated += 1;
            row.attended += u32::from(s.attended);
        } else {
            row.waitlist += 1;
        }
    }

    let mut satisfaction_total = Satisfaction::default();
    let mut per_service: BTreeMap<String, Satisfaction> = BTreeMap::new();
    let mut per_day: BTreeMap<NaiveDate, Satisfaction> = BTreeMap::new();
    for f in facts
        .feedback
        .iter()
        .filter(|f| f.day >= from && f.day <= to)
    {
        satisfaction_total.add(&f.feedback);
        per_service
            .entry(f.service.clone())
            .or_default()
            .add(&f.feedback);
        per_day.entry(f.day).or_default().add(&f.feedback);
    }
    let mut satisfaction: Vec<(String, Satisfaction)> = order
        .iter()
        .filter_map(|code| per_service.remove(code).map(|s| (code.clone(), s)))
        .collect();
    satisfaction.extend(per_service);

    Report {
        center: catalog.center.name.clone(),
        from,
        to,
        total: Group::of(tickets.iter().copied()),
        services,
        languages,
        hours,
        days: days.into_iter().collect(),
        appointments_total,
        appointments,
        activities,
        satisfaction_total,
        satisfaction,
        satisfaction_days: per_day.into_iter().collect(),
    }
}
