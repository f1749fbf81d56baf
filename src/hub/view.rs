//! What each role may see: personal fields removed for roles that must not see them, and the
//! queue as the staff console shows it.

use super::Role;
use crate::core::{Event, Queue, Stamped, State, TicketState};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Remove what `role` must not see from a state: names and phones unless the role sees
/// personal data; appointment and sign-up codes for displays.
pub fn redact_state(state: &mut State, role: Role) {
    if role.sees_personal() {
        return;
    }
    for a in state.appointments.values_mut() {
        a.contact = Default::default();
        if role == Role::Display {
            a.code.clear();
        }
    }
    for s in state.signups.values_mut() {
        s.contact = Default::default();
        if role == Role::Display {
            s.code.clear();
        }
    }
}

/// The same for one event.
pub fn redact_event(stamped: &Stamped, role: Role) -> Stamped {
    let mut e = stamped.clone();
    if role.sees_personal() {
        return e;
    }
    match &mut e.event {
        Event::AppointmentBooked { appointment } => {
            appointment.contact = Default::default();
            if role == Role::Display {
                appointment.code.clear();
            }
        }
        Event::SignedUp { signup, .. } => {
            signup.contact = Default::default();
            if role == Role::Display {
                signup.code.clear();
            }
        }
        _ => {}
    }
    e
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: u64,
    pub label: String,
    pub service: String,
    pub lang: String,
    pub priority: Option<String>,
    pub state: &'static str,
    pub issued_at: DateTime<Utc>,
    /// Minutes since it was issued.
    pub waited_minutes: i64,
    pub counter: Option<String>,
    /// From an appointment, with its time.
    pub appointment_time: Option<String>,
    /// The visitor's first name, when given and when the role may see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub code: String,
    pub prefix: char,
    pub open: bool,
    pub waiting: Vec<TicketView>,
    pub wait_minutes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CounterView {
    pub id: String,
    pub name: String,
    pub services: Vec<String>,
    pub current: Option<TicketView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub seq: u64,
    pub day: Option<chrono::NaiveDate>,
    pub now: DateTime<Utc>,
    pub services: Vec<ServiceView>,
    pub counters: Vec<CounterView>,
    /// The last calls, newest first (for displays).
    pub recent_calls: Vec<TicketView>,
}

fn ticket_view(q: &Queue, t: &crate::core::Ticket, role: Role, now: DateTime<Utc>) -> TicketView {
    let appointment = t
        .appointment
        .as_ref()
        .and_then(|a| q.state().appointments.get(&a.id));
    TicketView {
        id: t.id.0,
        label: t.label(),
        service: t.service.to_string(),
        lang: t.lang.code().to_string(),
        priority: t.priority.as_ref().map(|p| p.to_string()),
        state: t.state.as_str(),
        issued_at: t.issued_at,
        waited_minutes: now.signed_duration_since(t.issued_at).num_minutes().max(0),
        counter: t.counter.as_ref().map(|c| c.to_string()),
        appointment_time: appointment.map(|a| a.time.format("%H:%M").to_string()),
        name: appointment
            .filter(|_| role.sees_personal())
            .and_then(|a| a.contact.name.clone()),
    }
}

/// The queue as staff and displays see it, in the catalog's order.
pub fn queue_view(q: &Queue, role: Role, now: DateTime<Utc>) -> QueueView {
    let catalog = q.catalog();
    let services = catalog
        .services
        .iter()
        .map(|s| {
            let status = q.service_status(&s.code, now);
            ServiceView {
                code: s.code.to_string(),
                prefix: s.prefix,
                open: status.open,
                waiting: q
                    .waiting(&s.code)
                    .into_iter()
                    .map(|t| ticket_view(q, t, role, now))
                    .collect(),
                wait_minutes: status.wait_minutes,
            }
        })
        .collect();
    let counters = catalog
        .counters
        .iter()
        .map(|c| CounterView {
            id: c.id.to_string(),
            name: c.name.clone(),
            services: c.services.iter().map(|s| s.to_string()).collect(),
            current: q.current_at(&c.id).map(|t| ticket_view(q, t, role, now)),
        })
        .collect();
    let mut called: Vec<&crate::core::Ticket> = q
        .state()
        .tickets
        .values()
        .filter(|t| t.called_at.is_some() && t.state != TicketState::Waiting)
        .collect();
    // Newest first; at the same instant (a training clock), the later ticket first.
    called.sort_by_key(|t| std::cmp::Reverse((t.called_at, t.id)));
    QueueView {
        seq: q.seq(),
        day: q.state().day,
        now,
        services,
        counters,
        recent_calls: called
            .into_iter()
            .take(8)
            .map(|t| ticket_view(q, t, role, now))
            .collect(),
    }
}
