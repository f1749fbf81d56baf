//! What the public may be told: the view of tickets, appointments, sign-ups and events that
//! devices in the lobby (kiosks, the lobby display) receive. Pure functions of the data and the
//! catalog, shared by every route and the event stream.
//!
//! A discreet ticket (a discreet service or priority class) is shown as an ordinary ticket of
//! the service whose letter it carries, with no class; every counter is shown as the first
//! counter with the same public name; appointment and sign-up codes, names and phones are
//! removed; figures that differ between a discreet ticket and its cover (people ahead, the wait
//! when issued, who could have been called) are removed for every ticket alike, so that nothing
//! marks the discreet ones out. A visitor's own figures are those of their place in this
//! public queue (see [`crate::core::queue::Position`]).
//!
//! Whether something is discreet is decided once: for a service or a class by
//! [`Catalog::is_discreet`], and for a ticket when it is issued or transferred (its `cover`,
//! see [`Ticket::is_discreet`]); what the public sees of it, here.

use super::catalog::Catalog;
use super::model::{Appointment, Event, SignUp, Stamped, Ticket};
use super::types::{Contact, PriorityClass, ServiceCode};

/// The service and priority class a ticket is shown under in public: a discreet ticket is an
/// ordinary ticket (no class) of its cover service.
pub fn shown_as(t: &Ticket) -> (&ServiceCode, Option<&PriorityClass>) {
    match &t.cover {
        Some(cover) => (cover, None),
        None => (&t.service, t.priority.as_ref()),
    }
}

/// A ticket as the public may see it: under the service and class it is shown as, by its
/// counter's public name.
pub fn ticket(t: &mut Ticket, catalog: &Catalog) {
    let (service, class) = shown_as(t);
    let (service, class) = (service.clone(), class.cloned());
    t.service = service;
    t.priority = class;
    t.cover = None;
    if let Some(c) = &t.counter {
        t.counter = Some(catalog.public_counter(c));
    }
    // Who was overtaken depends on what the counter could call: not the lobby's business.
    t.overtaken = 0;
}

/// An appointment as the public may see it: no code, name or phone; a discreet service's shown
/// as the ordinary service whose letter it shares.
pub fn appointment(a: &mut Appointment, catalog: &Catalog) {
    a.code.clear();
    a.contact = Contact::default();
    if catalog.is_discreet(&a.service, None)
        && let Some(s) = catalog.service(&a.service)
    {
        a.service = catalog.cover_of(&s.code, s.prefix);
    }
}

/// A sign-up as the public may see it: no code, name or phone.
pub fn signup(s: &mut SignUp) {
    s.code.clear();
    s.contact = Contact::default();
}

/// An event as the public may see it. Every kind of event is named here, so that a new one
/// cannot reach the lobby without a decision on what it may say.
pub fn event(stamped: &Stamped, catalog: &Catalog) -> Stamped {
    let mut e = stamped.clone();
    let counter = |c: &mut super::types::CounterId| *c = catalog.public_counter(c);
    match &mut e.event {
        Event::DayStarted { .. } => {}
        Event::TicketIssued {
            ticket: t,
            ahead,
            wait_minutes,
        } => {
            ticket(t, catalog);
            *ahead = 0;
            *wait_minutes = 0;
        }
        Event::TicketCalled {
            counter: c, scope, ..
        } => {
            counter(c);
            scope.clear();
        }
        Event::TicketRecalled { counter: c, .. }
        | Event::ServingStarted { counter: c, .. }
        | Event::TicketFinished { counter: c, .. }
        | Event::TicketNoShow { counter: c, .. }
        | Event::TicketReopened { counter: c, .. } => counter(c),
        Event::TicketCancelled { .. } => {}
        Event::TicketTransferred {
            from, to, cover, ..
        } => {
            if let Some(c) = cover.take() {
                *from = c.clone();
                *to = c;
            }
        }
        Event::AppointmentBooked { appointment: a } => appointment(a, catalog),
        Event::AppointmentCancelled { .. }
        | Event::AppointmentCheckedIn { .. }
        | Event::AppointmentMissed { .. } => {}
        Event::SignedUp { signup: s, .. } => signup(s),
        Event::SignUpCancelled { .. }
        | Event::WaitlistPromoted { .. }
        | Event::SignUpAttended { .. } => {}
        Event::ContactErased { by, .. } | Event::CatalogChanged { by, .. } => by.clear(),
    }
    e
}

/// An event of a lobby device's own command, as the device is answered: its visitor's ticket
/// as the public sees it (a discreet one as an ordinary ticket of its cover service, with the
/// figures of its place in the public queue, which the event already carries), and the codes
/// its visitor must be given kept (they are that visitor's own). Every kind of event is named,
/// as in [`event`].
pub fn own_event(stamped: &Stamped, catalog: &Catalog) -> Stamped {
    let mut e = stamped.clone();
    match &mut e.event {
        Event::TicketIssued { ticket: t, .. } => ticket(t, catalog),
        Event::TicketTransferred { .. }
        | Event::TicketCalled { .. }
        | Event::TicketRecalled { .. }
        | Event::ServingStarted { .. }
        | Event::TicketFinished { .. }
        | Event::TicketNoShow { .. }
        | Event::TicketReopened { .. }
        | Event::TicketCancelled { .. }
        | Event::ContactErased { .. }
        | Event::CatalogChanged { .. } => return event(stamped, catalog),
        Event::DayStarted { .. }
        | Event::AppointmentBooked { .. }
        | Event::AppointmentCancelled { .. }
        | Event::AppointmentCheckedIn { .. }
        | Event::AppointmentMissed { .. }
        | Event::SignedUp { .. }
        | Event::SignUpCancelled { .. }
        | Event::WaitlistPromoted { .. }
        | Event::SignUpAttended { .. } => {}
    }
    e
}
