//! Reading what reports are computed from: the ticket rows of a period, and the appointments
//! and sign-ups folded from their events. Anonymous: no name, phone or code leaves here.

use super::{Store, StoreError};
use crate::core::{AppointmentState, Event};
use crate::report::{AppointmentFact, Facts, SignUpFact, TicketFact};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// Everything a report over the local days `from..=to` needs.
    pub fn facts(&self, from: NaiveDate, to: NaiveDate) -> Result<Facts, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, service, lang, priority IS NOT NULL, appointment IS NOT NULL, issued_at,
                    state, called_at, serving_at, ended_at
             FROM tickets WHERE day BETWEEN ?1 AND ?2",
        )?;
        let rows = stmt.query_map([from.to_string(), to.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })?;
        let mut tickets = Vec::new();
        for row in rows {
            let (day, service, lang, priority, appointment, issued, state, called, serving, ended) =
                row?;
            let (Ok(day), Some(issued_at)) = (day.parse::<NaiveDate>(), time(Some(issued))) else {
                continue;
            };
            tickets.push(TicketFact {
                day,
                service,
                lang,
                priority,
                appointment,
                issued_at,
                state,
                called_at: time(called),
                serving_at: time(serving),
                ended_at: time(ended),
            });
        }

        // Appointments and sign-ups: fold their events (bookings may be made long before).
        let mut appointments: BTreeMap<u64, AppointmentFact> = BTreeMap::new();
        let mut signups: BTreeMap<u64, SignUpFact> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, body FROM events WHERE type IN ('appointment_booked',
                'appointment_cancelled', 'appointment_checked_in', 'appointment_missed',
                'signed_up', 'sign_up_cancelled', 'waitlist_promoted', 'sign_up_attended') ORDER BY seq",
        )?;
        let events = super::decode_rows(stmt.query_map([], super::seq_body)?)?;
        for e in events {
            match e.event {
                Event::AppointmentBooked { appointment: a } => {
                    appointments.insert(
                        a.id.0,
                        AppointmentFact {
                            service: a.service.to_string(),
                            date: a.date,
                            state: AppointmentState::Booked,
                        },
                    );
                }
                Event::AppointmentCancelled { id } => {
                    if let Some(a) = appointments.get_mut(&id.0) {
                        a.state = AppointmentState::Cancelled;
                    }
                }
                Event::AppointmentCheckedIn { id, .. } => {
                    if let Some(a) = appointments.get_mut(&id.0) {
                        a.state = AppointmentState::CheckedIn;
                    }
                }
                Event::AppointmentMissed { id } => {
                    if let Some(a) = appointments.get_mut(&id.0) {
                        a.state = AppointmentState::Missed;
                    }
                }
                Event::SignedUp { signup: s, .. } => {
                    signups.insert(
                        s.id.0,
                        SignUpFact {
                            activity: s.activity.to_string(),
                            date: s.date,
                            seated: s.seated,
                            cancelled: false,
                            attended: false,
                        },
                    );
                }
                Event::SignUpCancelled { id } => {
                    if let Some(s) = signups.get_mut(&id.0) {
                        s.cancelled = true;
                    }
                }
                Event::WaitlistPromoted { id } => {
                    if let Some(s) = signups.get_mut(&id.0) {
                        s.seated = true;
                    }
                }
                Event::SignUpAttended { id } => {
                    if let Some(s) = signups.get_mut(&id.0) {
                        s.attended = true;
                    }
                }
                _ => {}
            }
        }
        let in_period = |d: NaiveDate| d >= from && d <= to;
        let feedback = self.feedback(from, to)?;
        Ok(Facts {
            feedback,
            tickets,
            appointments: appointments
                .into_values()
                .filter(|a| in_period(a.date))
                .collect(),
            signups: signups
                .into_values()
                .filter(|s| in_period(s.date))
                .collect(),
        })
    }
}
