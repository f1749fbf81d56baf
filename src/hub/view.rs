//! What each role may see: personal fields removed for roles that must not see them, and the
//! queue as the staff console shows it.

use super::Role;
use super::auth::Audience;
use crate::core::{Catalog, Queue, Stamped, State, Ticket, TicketState};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The one redaction of the hub: what `role` may see of the state. Staff (counter, admin) see
/// everything; lobby devices (kiosk, display) see the public view of [`crate::core::public`].
/// Every route and the event stream go through this function and [`redact_event`].
pub fn redact_state(state: &State, role: Role, catalog: &Catalog) -> State {
    match role.audience() {
        Audience::Staff => state.clone(),
        Audience::Public => state.for_public(catalog),
    }
}

/// The same for one event (stream, replay, and event lists in answers).
pub fn redact_event(stamped: &Stamped, role: Role, catalog: &Catalog) -> Stamped {
    match role.audience() {
        Audience::Staff => stamped.clone(),
        Audience::Public => crate::core::public::event(stamped, catalog),
    }
}

/// The events of a device's own command, as it is answered: all of them for staff; for a
/// lobby device, its visitor's ticket as the public sees it, codes kept
/// ([`crate::core::public::own_event`]).
pub fn redact_own_event(stamped: &Stamped, role: Role, catalog: &Catalog) -> Stamped {
    match role.audience() {
        Audience::Staff => stamped.clone(),
        Audience::Public => crate::core::public::own_event(stamped, catalog),
    }
}

/// The same for one ticket.
pub fn redact_ticket(t: &Ticket, role: Role, catalog: &Catalog) -> Ticket {
    let mut t = t.clone();
    match role.audience() {
        Audience::Staff => {}
        Audience::Public => crate::core::public::ticket(&mut t, catalog),
    }
    t
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
    /// A discreet ticket (staff only; never true for lobby devices): call it to a private
    /// place, never aloud by its service.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub discreet: bool,
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
        discreet: t.is_discreet(),
    }
}

/// The queue as staff and displays see it, in the catalog's order. Lobby devices get it built
/// from the public state (so a discreet ticket counts as one of its cover service).
pub fn queue_view(q: &Queue, role: Role, now: DateTime<Utc>) -> QueueView {
    match role.audience() {
        Audience::Staff => view_of(q, role, now),
        Audience::Public => view_of(&q.for_public(), role, now),
    }
}

fn view_of(q: &Queue, role: Role, now: DateTime<Utc>) -> QueueView {
    let catalog = q.catalog();
    let public = role.audience() == Audience::Public;
    let services = catalog
        .services
        .iter()
        // The lobby does not learn that a discreet service has a queue at all.
        .filter(|s| !(public && catalog.is_discreet(&s.code, None)))
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
    // The lobby sees counters by their public names, one entry per public name, with the
    // ordinary services they call.
    let counters = catalog
        .counters
        .iter()
        .filter(|c| !public || catalog.public_counter(&c.id) == c.id)
        .map(|c| CounterView {
            id: c.id.to_string(),
            name: if public {
                c.public().to_string()
            } else {
                c.name.clone()
            },
            services: c
                .services
                .iter()
                .filter(|s| !public || !catalog.is_discreet(s, None))
                .map(|s| s.to_string())
                .collect(),
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
