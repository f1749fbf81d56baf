//! The queue state machine. `apply(command, now)` validates a command against the state and
//! returns the events it causes; the events alone change the state (`apply_event`), so that
//! replaying the stored events rebuilds exactly the same state. No IO, no clock, no threads.

use super::catalog::{Catalog, CatalogError, Mode};
use super::edit::CatalogEdit;
use super::error::QueueError;
use super::model::{
    Appointment, AppointmentState, CancelReason, Command, Event, FromAppointment, SignUp, Stamped,
    Ticket, TicketState,
};
use super::types::{
    ActivityCode, AppointmentId, Contact, CounterId, Lang, PriorityClass, ServiceCode, SignUpId,
    TicketId,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// How many recent service times feed the wait estimate, per service.
const RECENT_SERVICE_TIMES: usize = 20;

type Key = (DateTime<Utc>, TicketId);

/// The waiting tickets of one service, indexed three ways for a fast "call next".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Waiting {
    /// All waiting tickets by original issue time.
    fifo: BTreeSet<Key>,
    /// Waiting tickets with a priority class, by issue time.
    priority: BTreeSet<Key>,
    /// Waiting tickets from appointments, by slot start.
    appointment: BTreeSet<Key>,
}

/// The whole state of a center's queue. Plain data; cloned only on the rare day rollover.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Sequence number of the last event applied.
    pub seq: u64,
    /// The local day the tickets belong to.
    pub day: Option<NaiveDate>,
    /// Today's tickets.
    pub tickets: BTreeMap<TicketId, Ticket>,
    /// Last number given today, per prefix.
    numbers: BTreeMap<char, u32>,
    next_ticket: u64,
    next_appointment: u64,
    next_signup: u64,
    waiting: BTreeMap<ServiceCode, Waiting>,
    /// The ticket each counter is calling or serving.
    at_counter: BTreeMap<CounterId, TicketId>,
    /// Appointments of today and later.
    pub appointments: BTreeMap<AppointmentId, Appointment>,
    /// Activity sign-ups of today and later.
    pub signups: BTreeMap<SignUpId, SignUp>,
    /// Recent service times in seconds, per service.
    durations: BTreeMap<ServiceCode, VecDeque<u32>>,
    /// The catalog as changed by the coordinator (none while the catalog file is used as is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Arc<Catalog>>,
    /// Fingerprint of the catalog file the changes started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_base: Option<String>,
}

/// The pure queue: catalog + state.
#[derive(Debug, Clone)]
pub struct Queue {
    catalog: Arc<Catalog>,
    state: State,
}

/// What a kiosk shows on a service tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    pub waiting: u32,
    pub wait_minutes: u32,
    pub open: bool,
}

impl Queue {
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Queue {
            catalog,
            state: State::default(),
        }
    }

    /// Rebuild a queue from its stored events, in order.
    pub fn replay<'a>(
        catalog: Arc<Catalog>,
        events: impl IntoIterator<Item = &'a Stamped>,
    ) -> Self {
        let mut q = Queue::new(catalog);
        for e in events {
            q.state.apply_event(e);
        }
        q.settle_catalog();
        q
    }

    /// Continue from a stored snapshot of the state and the events after it.
    pub fn resume<'a>(
        catalog: Arc<Catalog>,
        state: State,
        events: impl IntoIterator<Item = &'a Stamped>,
    ) -> Self {
        let mut q = Queue { catalog, state };
        for e in events {
            q.state.apply_event(e);
        }
        q.settle_catalog();
        q
    }

    /// After loading: the coordinator's catalog is used when it was made from this catalog
    /// file; a file changed since is adopted by the shell (see `catalog_file_changed`).
    fn settle_catalog(&mut self) {
        let changed = self
            .state
            .catalog
            .as_ref()
            .zip(self.state.catalog_base.as_deref());
        self.catalog = Catalog::in_use(self.catalog.clone(), changed);
    }

    /// The catalog file given at load differs from the one the coordinator's changes were
    /// made from: the shell should send `AdoptCatalog` with the file's catalog.
    pub fn catalog_file_changed(&self) -> bool {
        self.state
            .catalog
            .as_ref()
            .is_some_and(|c| **c != *self.catalog)
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Apply an event decided elsewhere (a mirror of another device's queue follows its hub).
    pub fn follow(&mut self, e: &Stamped) {
        self.state.apply_event(e);
        self.take_new_catalog(std::slice::from_ref(e));
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn seq(&self) -> u64 {
        self.state.seq
    }

    pub fn tz(&self) -> Tz {
        self.catalog.center.timezone
    }

    pub fn local(&self, now: DateTime<Utc>) -> NaiveDateTime {
        now.with_timezone(&self.tz()).naive_local()
    }

    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.state.tickets.get(&id)
    }

    /// Today's ticket with a printed label such as `A-023`.
    pub fn ticket_by_label(&self, label: &str) -> Option<&Ticket> {
        self.state
            .tickets
            .values()
            .find(|t| t.label().eq_ignore_ascii_case(label.trim()))
    }

    /// The ticket a counter is calling or serving now.
    pub fn current_at(&self, counter: &CounterId) -> Option<&Ticket> {
        self.state
            .at_counter
            .get(counter)
            .and_then(|id| self.state.tickets.get(id))
    }

    /// Waiting tickets of a service, in the order they were issued.
    pub fn waiting(&self, service: &ServiceCode) -> Vec<&Ticket> {
        self.state
            .waiting
            .get(service)
            .map(|w| {
                w.fifo
                    .iter()
                    .filter_map(|(_, id)| self.state.tickets.get(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn waiting_count(&self, service: &ServiceCode) -> u32 {
        self.state
            .waiting
            .get(service)
            .map_or(0, |w| w.fifo.len() as u32)
    }

    /// People a waiting ticket has ahead of it now: in its service, the tickets issued before
    /// it, and the priority tickets issued after it (they go first); for a priority ticket, the
    /// priority tickets before it. `None` when the ticket is not waiting.
    pub fn ahead_of(&self, id: TicketId) -> Option<u32> {
        let t = self.state.tickets.get(&id)?;
        if t.state != TicketState::Waiting {
            return None;
        }
        let w = self.state.waiting.get(&t.service)?;
        let key = (t.issued_at, id);
        let n = if t.priority.is_some() {
            w.priority.range(..key).count()
        } else {
            w.fifo.range(..key).count()
                + w.priority
                    .range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded))
                    .count()
        };
        Some(n as u32)
    }

    fn view(&self) -> QueueView<'_> {
        QueueView {
            catalog: &self.catalog,
            state: &self.state,
        }
    }

    /// Average recent service time of a service, in seconds.
    pub fn service_seconds(&self, service: &ServiceCode) -> u32 {
        self.view().service_seconds(service)
    }

    /// Estimated wait in minutes for someone with `ahead` people before them.
    pub fn estimate_minutes(&self, service: &ServiceCode, ahead: u32) -> u32 {
        self.view().estimate(service, ahead)
    }

    /// People waiting, estimated wait and whether it is open now, for a service tile.
    pub fn service_status(&self, service: &ServiceCode, now: DateTime<Utc>) -> ServiceStatus {
        let local = self.local(now);
        let waiting = self.waiting_count(service);
        ServiceStatus {
            waiting,
            wait_minutes: self.estimate_minutes(service, waiting),
            open: self
                .catalog
                .service(service)
                .is_some_and(|s| s.is_open_at(local.date(), local.time())),
        }
    }

    /// Booked (or checked-in) appointments in one slot.
    pub fn slot_taken(&self, service: &ServiceCode, date: NaiveDate, time: NaiveTime) -> u32 {
        self.view().slot_taken(service, date, time)
    }

    /// Seats taken and waitlist length of an activity session.
    pub fn seats_taken(&self, activity: &ActivityCode, date: NaiveDate) -> (u32, u32) {
        self.view().seats(activity, date)
    }

    /// A booked or checked-in appointment by its short code.
    pub fn appointment_by_code(&self, code: &str) -> Option<&Appointment> {
        self.view().active_appointment(code)
    }

    pub fn signup_by_code(&self, code: &str) -> Option<&SignUp> {
        self.state.signups.values().find(|s| s.code == code.trim())
    }

    /// When the shell must next wake the queue: the next local midnight after `now` in the
    /// center's time zone (sans-IO: the core says when, the shell keeps the clock). Where
    /// midnight does not exist (a DST change at 00:00), the first local time of the new day.
    pub fn next_deadline(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let tz = self.tz();
        let tomorrow = self.local(now).date() + Duration::days(1);
        (0..=24 * 60)
            .step_by(15)
            .find_map(|m| {
                let t = tomorrow.and_time(NaiveTime::MIN) + Duration::minutes(m);
                tz.from_local_datetime(&t).earliest()
            })
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|| now + Duration::hours(24))
    }

    /// Whether the local day has turned since the last event (the open tickets of the old day
    /// should be closed: send `Command::Tick`).
    pub fn rollover_due(&self, now: DateTime<Utc>) -> bool {
        self.state.day.is_some_and(|d| self.local(now).date() > d)
    }

    /// Apply a command at time `now`. On success the state has changed and the returned events
    /// (numbered from `seq() + 1`) say how; on error nothing has changed.
    pub fn apply(&mut self, cmd: &Command, now: DateTime<Utc>) -> Result<Vec<Stamped>, QueueError> {
        let today = self.local(now).date();
        let needs_rollover = self.state.day.is_none_or(|d| today > d);
        if needs_rollover {
            // Rare (once a day): work on a copy so that an error leaves everything untouched.
            let mut next = self.state.clone();
            let mut out = Vec::new();
            for event in next.rollover_events(today) {
                out.push(next.stamp_apply(event, now));
            }
            let events = Decide {
                catalog: &self.catalog,
                state: &next,
                now,
            }
            .decide(cmd)?;
            for event in events {
                out.push(next.stamp_apply(event, now));
            }
            self.state = next;
            self.take_new_catalog(&out);
            Ok(out)
        } else {
            let events = Decide {
                catalog: &self.catalog,
                state: &self.state,
                now,
            }
            .decide(cmd)?;
            let out: Vec<Stamped> = events
                .into_iter()
                .map(|e| self.state.stamp_apply(e, now))
                .collect();
            self.take_new_catalog(&out);
            Ok(out)
        }
    }

    /// After a `CatalogChanged` event the coordinator's catalog is the one in use.
    fn take_new_catalog(&mut self, events: &[Stamped]) {
        if events
            .iter()
            .any(|e| matches!(e.event, Event::CatalogChanged { .. }))
            && let Some(c) = &self.state.catalog
        {
            self.catalog = c.clone();
        }
    }
}

impl State {
    /// The state as the public may see it (see [`super::public`]): discreet tickets shown as
    /// ordinary ones of their cover service, counters by their public names, no codes, names
    /// or phones, no service times of discreet services. The indexes are rebuilt, so the
    /// result is a consistent state a lobby device can keep following.
    pub fn for_public(&self, catalog: &Catalog) -> State {
        let mut s = self.clone();
        s.waiting.clear();
        s.at_counter.clear();
        let ids: Vec<TicketId> = s.tickets.keys().copied().collect();
        for id in ids {
            let Some(mut t) = s.tickets.remove(&id) else {
                continue;
            };
            super::public::ticket(&mut t, catalog);
            match t.state {
                TicketState::Waiting => s.index(&t),
                TicketState::Called | TicketState::Serving => {
                    if let Some(c) = &t.counter {
                        s.at_counter.insert(c.clone(), t.id);
                    }
                }
                _ => {}
            }
            s.tickets.insert(id, t);
        }
        for a in s.appointments.values_mut() {
            super::public::appointment(a, catalog);
        }
        for x in s.signups.values_mut() {
            super::public::signup(x);
        }
        s.durations
            .retain(|code, _| catalog.service(code).is_none_or(|x| !x.discreet));
        s
    }

    /// Check that the indexes agree with the tickets: every waiting ticket is indexed exactly
    /// once under its own service, every called or serving ticket sits at exactly one counter,
    /// and nothing else is indexed. Used by the property tests and by `integra doctor`.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut indexed = BTreeMap::new();
        for (service, w) in &self.waiting {
            for (at, id) in &w.fifo {
                let t = self.tickets.get(id).ok_or_else(|| {
                    format!("waiting index of {service} holds unknown ticket {id}")
                })?;
                if t.state != TicketState::Waiting || &t.service != service || *at != t.issued_at {
                    return Err(format!(
                        "{} is indexed as waiting in {service} but is {} in {}",
                        t.label(),
                        t.state.as_str(),
                        t.service
                    ));
                }
                if indexed.insert(*id, service).is_some() {
                    return Err(format!("{} is indexed twice", t.label()));
                }
            }
            for (_, id) in w.priority.iter().chain(w.appointment.iter()) {
                if !w.fifo.iter().any(|(_, f)| f == id) {
                    return Err(format!(
                        "ticket {id} is in a priority index but not waiting"
                    ));
                }
            }
        }
        let mut at_counter = BTreeMap::new();
        for (counter, id) in &self.at_counter {
            let t = self
                .tickets
                .get(id)
                .ok_or_else(|| format!("counter {counter} holds unknown ticket {id}"))?;
            if !matches!(t.state, TicketState::Called | TicketState::Serving)
                || t.counter.as_ref() != Some(counter)
            {
                return Err(format!(
                    "counter {counter} holds {} which is {}",
                    t.label(),
                    t.state.as_str()
                ));
            }
            if at_counter.insert(*id, counter).is_some() {
                return Err(format!("{} is at two counters", t.label()));
            }
        }
        let mut labels = BTreeSet::new();
        for t in self.tickets.values() {
            if Some(t.day) != self.day {
                return Err(format!(
                    "{} belongs to {} but today is {:?}",
                    t.label(),
                    t.day,
                    self.day
                ));
            }
            if !labels.insert((t.prefix, t.number)) {
                return Err(format!("number {} given twice today", t.label()));
            }
            let waiting = indexed.contains_key(&t.id);
            let serving = at_counter.contains_key(&t.id);
            let ok = match t.state {
                TicketState::Waiting => waiting && !serving,
                TicketState::Called | TicketState::Serving => serving && !waiting,
                _ => !waiting && !serving,
            };
            if !ok {
                return Err(format!(
                    "{} is {} but waiting-indexed={waiting} at-counter={serving}",
                    t.label(),
                    t.state.as_str()
                ));
            }
            if self.numbers.get(&t.prefix).copied().unwrap_or(0) < t.number {
                return Err(format!("{} is above the last number given", t.label()));
            }
        }
        Ok(())
    }

    fn stamp_apply(&mut self, event: Event, at: DateTime<Utc>) -> Stamped {
        let stamped = Stamped {
            seq: self.seq + 1,
            at,
            event,
        };
        self.apply_event(&stamped);
        stamped
    }

    /// The events that close the current day and open `today`.
    fn rollover_events(&self, today: NaiveDate) -> Vec<Event> {
        let mut out = Vec::new();
        for t in self.tickets.values().filter(|t| t.state.is_open()) {
            out.push(Event::TicketCancelled {
                ticket: t.id,
                reason: CancelReason::DayEnded,
            });
        }
        for a in self.appointments.values() {
            if a.date < today && a.state == AppointmentState::Booked {
                out.push(Event::AppointmentMissed { id: a.id });
            }
        }
        out.push(Event::DayStarted { day: today });
        out
    }

    fn unindex(&mut self, t: &Ticket) {
        if let Some(w) = self.waiting.get_mut(&t.service) {
            let key = (t.issued_at, t.id);
            w.fifo.remove(&key);
            w.priority.remove(&key);
            if let Some(a) = &t.appointment {
                w.appointment.remove(&(a.slot_start, t.id));
            }
        }
    }

    fn index(&mut self, t: &Ticket) {
        let w = self.waiting.entry(t.service.clone()).or_default();
        let key = (t.issued_at, t.id);
        w.fifo.insert(key);
        if t.priority.is_some() {
            w.priority.insert(key);
        }
        if let Some(a) = &t.appointment {
            w.appointment.insert((a.slot_start, t.id));
        }
    }

    /// Take a ticket off its counter and out of the waiting indexes, then set its state.
    fn settle(&mut self, id: TicketId, state: TicketState, at: DateTime<Utc>) -> Option<Ticket> {
        let t = self.tickets.get(&id)?.clone();
        if t.state == TicketState::Waiting {
            self.unindex(&t);
        }
        if let Some(c) = &t.counter
            && self.at_counter.get(c) == Some(&id)
        {
            self.at_counter.remove(c);
        }
        if let Some(t) = self.tickets.get_mut(&id) {
            t.state = state;
            t.ended_at = (!state.is_open()).then_some(at);
        }
        Some(t)
    }

    /// Apply one event. Deterministic and independent of the catalog, so replay is exact.
    pub fn apply_event(&mut self, stamped: &Stamped) {
        self.seq = stamped.seq;
        let at = stamped.at;
        match &stamped.event {
            Event::DayStarted { day } => {
                self.day = Some(*day);
                self.tickets.clear();
                self.numbers.clear();
                self.waiting.clear();
                self.at_counter.clear();
                self.appointments.retain(|_, a| a.date >= *day);
                self.signups.retain(|_, s| s.date >= *day);
            }
            Event::TicketIssued { ticket, .. } => {
                let n = self.numbers.entry(ticket.prefix).or_insert(0);
                *n = (*n).max(ticket.number);
                self.next_ticket = self.next_ticket.max(ticket.id.0 + 1);
                self.index(ticket);
                self.tickets.insert(ticket.id, ticket.clone());
            }
            Event::TicketCalled {
                ticket,
                counter,
                scope,
            } => {
                let Some(t) = self.tickets.get(ticket).cloned() else {
                    return;
                };
                let key = (t.issued_at, t.id);
                // Every ticket issued before it that this counter could have called is overtaken.
                let mut overtaken = Vec::new();
                for s in scope {
                    if let Some(w) = self.waiting.get(s) {
                        overtaken.extend(w.fifo.range(..key).map(|(_, id)| *id));
                    }
                }
                for id in overtaken {
                    if let Some(o) = self.tickets.get_mut(&id) {
                        o.overtaken += 1;
                    }
                }
                self.unindex(&t);
                self.at_counter.insert(counter.clone(), t.id);
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.state = TicketState::Called;
                    t.counter = Some(counter.clone());
                    t.called_at = Some(at);
                }
            }
            Event::TicketRecalled { ticket, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.called_at = Some(at);
                }
            }
            Event::ServingStarted { ticket, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.state = TicketState::Serving;
                    t.serving_at = Some(at);
                }
            }
            Event::TicketFinished { ticket, .. } => {
                if let Some(t) = self.settle(*ticket, TicketState::Done, at) {
                    let since = t.serving_at.or(t.called_at).unwrap_or(at);
                    let secs = (at - since).num_seconds().clamp(0, i64::from(u32::MAX)) as u32;
                    let d = self.durations.entry(t.service.clone()).or_default();
                    d.push_back(secs);
                    while d.len() > RECENT_SERVICE_TIMES {
                        d.pop_front();
                    }
                }
            }
            Event::TicketNoShow { ticket, .. } => {
                self.settle(*ticket, TicketState::NoShow, at);
            }
            Event::TicketReopened { ticket, counter } => {
                let Some(t) = self.tickets.get(ticket).cloned() else {
                    return;
                };
                // A finish counted its service time for the wait estimates: take it back.
                if t.state == TicketState::Done
                    && let Some(ended) = t.ended_at
                {
                    let since = t.serving_at.or(t.called_at).unwrap_or(ended);
                    let secs = (ended - since).num_seconds().clamp(0, i64::from(u32::MAX)) as u32;
                    if let Some(d) = self.durations.get_mut(&t.service)
                        && let Some(i) = d.iter().rposition(|x| *x == secs)
                    {
                        d.remove(i);
                    }
                }
                self.at_counter.insert(counter.clone(), t.id);
                if let Some(t) = self.tickets.get_mut(ticket) {
                    t.state = if t.serving_at.is_some() {
                        TicketState::Serving
                    } else {
                        TicketState::Called
                    };
                    t.counter = Some(counter.clone());
                    t.ended_at = None;
                }
            }
            Event::TicketCancelled { ticket, .. } => {
                self.settle(*ticket, TicketState::Cancelled, at);
            }
            Event::TicketTransferred {
                ticket, to, cover, ..
            } => {
                if let Some(mut t) = self.settle(*ticket, TicketState::Waiting, at) {
                    t.service = to.clone();
                    if t.cover.is_none() {
                        t.cover = cover.clone();
                    }
                    t.state = TicketState::Waiting;
                    t.counter = None;
                    t.called_at = None;
                    t.serving_at = None;
                    self.index(&t);
                    self.tickets.insert(t.id, t);
                }
            }
            Event::AppointmentBooked { appointment } => {
                self.next_appointment = self.next_appointment.max(appointment.id.0 + 1);
                self.appointments
                    .insert(appointment.id, appointment.clone());
            }
            Event::AppointmentCancelled { id } => {
                if let Some(a) = self.appointments.get_mut(id) {
                    a.state = AppointmentState::Cancelled;
                }
            }
            Event::AppointmentCheckedIn { id, ticket } => {
                if let Some(a) = self.appointments.get_mut(id) {
                    a.state = AppointmentState::CheckedIn;
                    a.ticket = Some(*ticket);
                }
            }
            Event::AppointmentMissed { id } => {
                if let Some(a) = self.appointments.get_mut(id) {
                    a.state = AppointmentState::Missed;
                }
            }
            Event::SignedUp { signup, .. } => {
                self.next_signup = self.next_signup.max(signup.id.0 + 1);
                self.signups.insert(signup.id, signup.clone());
            }
            Event::SignUpCancelled { id } => {
                self.signups.remove(id);
            }
            Event::WaitlistPromoted { id } => {
                if let Some(s) = self.signups.get_mut(id) {
                    s.seated = true;
                }
            }
            Event::SignUpAttended { id } => {
                if let Some(s) = self.signups.get_mut(id) {
                    s.attended = true;
                }
            }
            Event::CatalogChanged { catalog, base, .. } => {
                self.catalog = Some(Arc::new((**catalog).clone()));
                self.catalog_base = Some(base.clone());
            }
            Event::ContactErased {
                appointment,
                signup,
                ..
            } => {
                if let Some(a) = appointment.and_then(|id| self.appointments.get_mut(&id)) {
                    a.contact = Default::default();
                }
                if let Some(s) = signup.and_then(|id| self.signups.get_mut(&id)) {
                    s.contact = Default::default();
                }
            }
        }
    }
}

/// Validation of one command against a state: produces events or an error, changes nothing.
struct Decide<'a> {
    catalog: &'a Catalog,
    state: &'a State,
    now: DateTime<Utc>,
}

fn issues(e: &CatalogError) -> Vec<String> {
    e.0.iter()
        .map(|i| {
            if i.field.is_empty() {
                i.message.clone()
            } else {
                format!("{}: {}", i.field, i.message)
            }
        })
        .collect()
}

impl<'a> Decide<'a> {
    /// A coordinator's change: applied to a copy, the whole result validated, and refused when
    /// it would strand visitors (waiting tickets, booked appointments, seated sign-ups).
    fn edit_catalog(&self, edit: &CatalogEdit, by: &str) -> Result<Vec<Event>, QueueError> {
        let next = edit
            .apply_to(self.catalog)
            .map_err(|e| QueueError::InvalidCatalog(vec![e]))?;
        let today = self.state.day;
        let upcoming = |date: NaiveDate| today.is_none_or(|d| date >= d);
        match edit {
            CatalogEdit::RemoveService { code } => {
                let waiting = self
                    .state
                    .tickets
                    .values()
                    .filter(|t| &t.service == code && t.state.is_open())
                    .count() as u32;
                let booked = self
                    .state
                    .appointments
                    .values()
                    .filter(|a| {
                        &a.service == code
                            && a.state == AppointmentState::Booked
                            && upcoming(a.date)
                    })
                    .count() as u32;
                if waiting + booked > 0 {
                    return Err(QueueError::ServiceInUse {
                        service: code.clone(),
                        waiting,
                        booked,
                    });
                }
            }
            CatalogEdit::RemoveCounter { id } if self.state.at_counter.contains_key(id) => {
                return Err(QueueError::CounterBusy(id.clone()));
            }
            CatalogEdit::RemoveActivity { code } => {
                let signups = self
                    .state
                    .signups
                    .values()
                    .filter(|s| &s.activity == code && upcoming(s.date))
                    .count() as u32;
                if signups > 0 {
                    return Err(QueueError::ActivityInUse {
                        activity: code.clone(),
                        signups,
                    });
                }
            }
            CatalogEdit::PutActivity { activity } => {
                let mut seated: BTreeMap<NaiveDate, u32> = BTreeMap::new();
                for s in self.state.signups.values() {
                    if s.activity == activity.code && s.seated && upcoming(s.date) {
                        *seated.entry(s.date).or_default() += 1;
                    }
                }
                if let Some((date, n)) = seated.into_iter().max_by_key(|(_, n)| *n)
                    && n > activity.seats
                {
                    return Err(QueueError::SeatsBelowSignUps {
                        activity: activity.code.clone(),
                        date,
                        seated: n,
                    });
                }
            }
            _ => {}
        }
        next.validate("change")
            .map_err(|e| QueueError::InvalidCatalog(issues(&e)))?;
        let base = self
            .state
            .catalog_base
            .clone()
            .unwrap_or_else(|| self.catalog.fingerprint());
        Ok(vec![Event::CatalogChanged {
            catalog: Box::new(next),
            edit: Some(edit.clone()),
            by: by.to_string(),
            base,
        }])
    }

    /// Check-in with an activity sign-up code: present, on the day, with a seat, once.
    fn attend(&self, code: &str) -> Result<Vec<Event>, QueueError> {
        let s = self
            .state
            .signups
            .values()
            .find(|s| s.code == code.trim())
            .ok_or_else(|| QueueError::UnknownCode(code.to_string()))?;
        if Some(s.date) != self.state.day {
            return Err(QueueError::ActivityNotToday {
                code: s.code.clone(),
                date: s.date,
            });
        }
        if !s.seated {
            return Err(QueueError::OnWaitlist(s.code.clone()));
        }
        if s.attended {
            return Err(QueueError::AlreadyCheckedIn(s.code.clone()));
        }
        Ok(vec![Event::SignUpAttended { id: s.id }])
    }

    fn queue_view(&self) -> QueueView<'a> {
        QueueView {
            catalog: self.catalog,
            state: self.state,
        }
    }

    fn local(&self) -> NaiveDateTime {
        self.now
            .with_timezone(&self.catalog.center.timezone)
            .naive_local()
    }

    fn today(&self) -> NaiveDate {
        self.state.day.unwrap_or_else(|| self.local().date())
    }

    fn ticket(&self, id: TicketId) -> Result<&Ticket, QueueError> {
        self.state
            .tickets
            .get(&id)
            .ok_or(QueueError::UnknownTicket(id))
    }

    fn wrong(t: &Ticket, action: &'static str) -> QueueError {
        QueueError::WrongState {
            label: t.label(),
            state: t.state.as_str(),
            action,
        }
    }

    fn counter_of(t: &Ticket, action: &'static str) -> Result<CounterId, QueueError> {
        t.counter.clone().ok_or_else(|| Self::wrong(t, action))
    }

    fn decide(&self, cmd: &Command) -> Result<Vec<Event>, QueueError> {
        match cmd {
            Command::Tick => Ok(Vec::new()),
            Command::IssueTicket {
                service,
                lang,
                priority,
            } => {
                let s = self
                    .catalog
                    .service(service)
                    .ok_or_else(|| QueueError::UnknownService(service.clone()))?;
                if !s.takes(Mode::WalkIn) {
                    return Err(QueueError::NoWalkIn(service.clone()));
                }
                if let Some(p) = priority
                    && self.catalog.priority_class(p).is_none()
                {
                    return Err(QueueError::UnknownPriority(p.clone()));
                }
                let local = self.local();
                if !s.is_open_at(local.date(), local.time()) {
                    return Err(QueueError::ServiceClosed(service.clone()));
                }
                Ok(vec![self.issue(
                    service,
                    s.prefix,
                    *lang,
                    priority.clone(),
                    None,
                )])
            }
            Command::CallNext { counter } => self.call_next(counter),
            Command::Recall { ticket } => {
                let t = self.ticket(*ticket)?;
                if t.state != TicketState::Called {
                    return Err(Self::wrong(t, "recalled"));
                }
                Ok(vec![Event::TicketRecalled {
                    ticket: t.id,
                    counter: Self::counter_of(t, "recalled")?,
                }])
            }
            Command::StartServing { ticket } => {
                let t = self.ticket(*ticket)?;
                if t.state != TicketState::Called {
                    return Err(Self::wrong(t, "started"));
                }
                Ok(vec![Event::ServingStarted {
                    ticket: t.id,
                    counter: Self::counter_of(t, "started")?,
                }])
            }
            Command::Finish { ticket } => {
                let t = self.ticket(*ticket)?;
                if !matches!(t.state, TicketState::Called | TicketState::Serving) {
                    return Err(Self::wrong(t, "finished"));
                }
                Ok(vec![Event::TicketFinished {
                    ticket: t.id,
                    counter: Self::counter_of(t, "finished")?,
                }])
            }
            Command::NoShow { ticket } => {
                let t = self.ticket(*ticket)?;
                if t.state != TicketState::Called {
                    return Err(Self::wrong(t, "marked as no-show"));
                }
                Ok(vec![Event::TicketNoShow {
                    ticket: t.id,
                    counter: Self::counter_of(t, "marked as no-show")?,
                }])
            }
            Command::Reopen { ticket } => {
                let t = self.ticket(*ticket)?;
                if !matches!(t.state, TicketState::Done | TicketState::NoShow) {
                    return Err(Self::wrong(t, "reopened"));
                }
                let counter = Self::counter_of(t, "reopened")?;
                let recent = t.ended_at.is_some_and(|e| {
                    (self.now - e).num_seconds() <= crate::core::model::UNDO_SECONDS
                });
                if !recent {
                    return Err(QueueError::TooLateToUndo(t.label()));
                }
                if self.state.at_counter.contains_key(&counter) {
                    return Err(QueueError::CounterBusy(counter));
                }
                Ok(vec![Event::TicketReopened {
                    ticket: t.id,
                    counter,
                }])
            }
            Command::Cancel { ticket } => {
                let t = self.ticket(*ticket)?;
                if !t.state.is_open() {
                    return Err(Self::wrong(t, "cancelled"));
                }
                Ok(vec![Event::TicketCancelled {
                    ticket: t.id,
                    reason: CancelReason::Staff,
                }])
            }
            Command::Transfer { ticket, to } => {
                let t = self.ticket(*ticket)?;
                if !t.state.is_open() {
                    return Err(Self::wrong(t, "transferred"));
                }
                if self.catalog.service(to).is_none() {
                    return Err(QueueError::UnknownService(to.clone()));
                }
                if &t.service == to {
                    return Err(QueueError::SameService(t.label(), to.clone()));
                }
                let discreet = t.is_discreet() || self.catalog.is_discreet(to, t.priority.as_ref());
                Ok(vec![Event::TicketTransferred {
                    ticket: t.id,
                    from: t.service.clone(),
                    to: to.clone(),
                    cover: discreet.then(|| self.catalog.cover_of(&t.service, t.prefix)),
                }])
            }
            Command::BookAppointment {
                service,
                date,
                time,
                lang,
                contact,
                nonce,
            } => self.book(service, *date, *time, *lang, contact, *nonce),
            Command::CancelAppointment { code } => {
                let a = self
                    .queue_view()
                    .active_appointment(code)
                    .ok_or_else(|| QueueError::UnknownCode(code.clone()))?;
                if a.state != AppointmentState::Booked {
                    return Err(QueueError::AlreadyCheckedIn(a.code.clone()));
                }
                Ok(vec![Event::AppointmentCancelled { id: a.id }])
            }
            Command::CheckIn { code } => {
                let Some(a) = self.queue_view().active_appointment(code) else {
                    return self.attend(code);
                };
                if a.state == AppointmentState::CheckedIn {
                    return Err(QueueError::AlreadyCheckedIn(a.code.clone()));
                }
                if a.date != self.today() {
                    return Err(QueueError::NotToday {
                        code: a.code.clone(),
                        date: a.date,
                    });
                }
                let s = self
                    .catalog
                    .service(&a.service)
                    .ok_or_else(|| QueueError::UnknownService(a.service.clone()))?;
                let slot_start = self.to_utc(a.date, a.time);
                let issued = self.issue(
                    &a.service,
                    s.prefix,
                    a.lang,
                    None,
                    Some(FromAppointment {
                        id: a.id,
                        slot_start,
                    }),
                );
                let ticket = match &issued {
                    Event::TicketIssued { ticket, .. } => ticket.id,
                    _ => TicketId(self.state.next_ticket),
                };
                Ok(vec![
                    issued,
                    Event::AppointmentCheckedIn { id: a.id, ticket },
                ])
            }
            Command::SignUp {
                activity,
                date,
                lang,
                contact,
                nonce,
            } => {
                let a = self
                    .catalog
                    .activity(activity)
                    .ok_or_else(|| QueueError::UnknownActivity(activity.clone()))?;
                if !a.happens_on(*date) {
                    return Err(QueueError::NoSession(activity.clone(), *date));
                }
                self.check_future(*date, a.start.0)?;
                let contact = clean_contact(contact)?;
                let (seated, waitlist) = self.queue_view().seats(activity, *date);
                let has_seat = seated < a.seats;
                Ok(vec![Event::SignedUp {
                    signup: SignUp {
                        id: SignUpId(self.state.next_signup),
                        code: self.fresh_code(*nonce),
                        activity: activity.clone(),
                        date: *date,
                        lang: *lang,
                        contact,
                        seated: has_seat,
                        attended: false,
                    },
                    waitlist_position: (!has_seat).then_some(waitlist + 1),
                }])
            }
            Command::EditCatalog { edit, by } => self.edit_catalog(edit, by),
            Command::AdoptCatalog { catalog } => {
                catalog
                    .validate("catalog file")
                    .map_err(|e| QueueError::InvalidCatalog(issues(&e)))?;
                Ok(vec![Event::CatalogChanged {
                    base: catalog.fingerprint(),
                    catalog: catalog.clone(),
                    edit: None,
                    by: String::new(),
                }])
            }
            Command::EraseContact { code, by } => {
                let code = code.trim();
                if let Some(a) = self.state.appointments.values().find(|a| a.code == code) {
                    return Ok(vec![Event::ContactErased {
                        appointment: Some(a.id),
                        signup: None,
                        by: by.clone(),
                    }]);
                }
                let s = self
                    .state
                    .signups
                    .values()
                    .find(|s| s.code == code)
                    .ok_or_else(|| QueueError::UnknownCode(code.to_string()))?;
                Ok(vec![Event::ContactErased {
                    appointment: None,
                    signup: Some(s.id),
                    by: by.clone(),
                }])
            }
            Command::CancelSignUp { code } => {
                let s = self
                    .state
                    .signups
                    .values()
                    .find(|s| s.code == code.trim())
                    .ok_or_else(|| QueueError::UnknownCode(code.clone()))?;
                let mut out = vec![Event::SignUpCancelled { id: s.id }];
                if s.seated
                    && let Some(next) = self
                        .state
                        .signups
                        .values()
                        .find(|o| !o.seated && o.activity == s.activity && o.date == s.date)
                {
                    out.push(Event::WaitlistPromoted { id: next.id });
                }
                Ok(out)
            }
        }
    }

    fn to_utc(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        local_to_utc(self.catalog.center.timezone, date.and_time(time))
    }

    fn issue(
        &self,
        service: &ServiceCode,
        prefix: char,
        lang: Lang,
        priority: Option<PriorityClass>,
        appointment: Option<FromAppointment>,
    ) -> Event {
        let number = self.state.numbers.get(&prefix).copied().unwrap_or(0) + 1;
        let ahead = self.state.waiting.get(service).map_or(0, |w| {
            if priority.is_some() {
                w.priority.len()
            } else {
                w.fifo.len()
            }
        }) as u32;
        let view = self.queue_view();
        let cover = self
            .catalog
            .is_discreet(service, priority.as_ref())
            .then(|| self.catalog.cover_of(service, prefix));
        Event::TicketIssued {
            ticket: Ticket {
                id: TicketId(self.state.next_ticket),
                day: self.today(),
                prefix,
                number,
                service: service.clone(),
                lang,
                priority,
                issued_at: self.now,
                appointment,
                state: TicketState::Waiting,
                counter: None,
                called_at: None,
                serving_at: None,
                ended_at: None,
                overtaken: 0,
                cover,
            },
            ahead,
            wait_minutes: view.estimate(service, ahead),
        }
    }

    fn call_next(&self, counter: &CounterId) -> Result<Vec<Event>, QueueError> {
        let c = self
            .catalog
            .counter(counter)
            .ok_or_else(|| QueueError::UnknownCounter(counter.clone()))?;
        let scope = &c.services;
        let pick = self
            .pick_next(scope)
            .ok_or_else(|| QueueError::NothingWaiting(counter.clone()))?;
        let mut out = Vec::new();
        if let Some(current) = self.state.at_counter.get(counter) {
            out.push(Event::TicketFinished {
                ticket: *current,
                counter: counter.clone(),
            });
        }
        out.push(Event::TicketCalled {
            ticket: pick,
            counter: counter.clone(),
            scope: scope.clone(),
        });
        Ok(out)
    }

    /// Choose the next ticket for a counter serving `scope`:
    /// priority tickets first, then appointments whose slot has come, then by issue time —
    /// unless calling the preferred ticket would overtake a ticket that has already been
    /// overtaken `max_overtakes` times or has waited `max_wait_minutes`: then the oldest waiting
    /// ticket is called, which overtakes nobody.
    fn pick_next(&self, scope: &[ServiceCode]) -> Option<TicketId> {
        let queues: Vec<&Waiting> = scope
            .iter()
            .filter_map(|s| self.state.waiting.get(s))
            .collect();
        let oldest = queues
            .iter()
            .filter_map(|w| w.fifo.first())
            .min()
            .copied()?;
        let first_priority = queues
            .iter()
            .filter_map(|w| w.priority.first())
            .min()
            .copied();
        let first_due = queues
            .iter()
            .filter_map(|w| w.appointment.first())
            .filter(|(slot, _)| *slot <= self.now)
            .min()
            .copied()
            .and_then(|(_, id)| self.state.tickets.get(&id).map(|t| (t.issued_at, t.id)));
        let preferred = first_priority.or(first_due).unwrap_or(oldest);
        if preferred == oldest {
            return Some(oldest.1);
        }
        let bound = self.catalog.priority.max_overtakes;
        let max_wait = Duration::minutes(i64::from(self.catalog.priority.max_wait_minutes));
        // The oldest ticket has waited the longest: if it hit the time bound, nobody may pass it.
        if self.catalog.priority.max_wait_minutes > 0 && self.now - oldest.0 >= max_wait {
            return Some(oldest.1);
        }
        let blocked = queues.iter().any(|w| {
            w.fifo.range(..preferred).any(|(_, id)| {
                self.state
                    .tickets
                    .get(id)
                    .is_some_and(|t| t.overtaken >= bound)
            })
        });
        Some(if blocked { oldest.1 } else { preferred.1 })
    }

    /// A date and time the visitor can still book: not passed, within the booking horizon.
    fn check_future(&self, date: NaiveDate, time: NaiveTime) -> Result<(), QueueError> {
        let local = self.local();
        if date.and_time(time) <= local {
            return Err(QueueError::InThePast { date, time });
        }
        let days = self.catalog.center.booking_days_ahead;
        if (date - local.date()).num_days() > i64::from(days) {
            return Err(QueueError::TooFarAhead(date, days));
        }
        Ok(())
    }

    fn book(
        &self,
        service: &ServiceCode,
        date: NaiveDate,
        time: NaiveTime,
        lang: Lang,
        contact: &Contact,
        nonce: u64,
    ) -> Result<Vec<Event>, QueueError> {
        let s = self
            .catalog
            .service(service)
            .ok_or_else(|| QueueError::UnknownService(service.clone()))?;
        if s.appointments.is_none() || !s.takes(Mode::Appointment) {
            return Err(QueueError::NoAppointments(service.clone()));
        }
        if !s.slots_on(date).contains(&time) {
            return Err(QueueError::NoSuchSlot {
                service: service.clone(),
                date,
                time,
            });
        }
        self.check_future(date, time)?;
        if self.queue_view().slot_taken(service, date, time) >= s.capacity_on(date) {
            return Err(QueueError::SlotFull {
                service: service.clone(),
                date,
                time,
            });
        }
        let contact = clean_contact(contact)?;
        Ok(vec![Event::AppointmentBooked {
            appointment: Appointment {
                id: AppointmentId(self.state.next_appointment),
                code: self.fresh_code(nonce),
                service: service.clone(),
                date,
                time,
                lang,
                contact,
                state: AppointmentState::Booked,
                ticket: None,
            },
        }])
    }

    /// A 6-digit code not used by any current appointment or sign-up, derived from `nonce`.
    fn fresh_code(&self, nonce: u64) -> String {
        let used: BTreeSet<&str> = self
            .state
            .appointments
            .values()
            .map(|a| a.code.as_str())
            .chain(self.state.signups.values().map(|s| s.code.as_str()))
            .collect();
        let mut n = nonce % 900_000;
        loop {
            let code = format!("{}", 100_000 + n);
            if !used.contains(code.as_str()) {
                return code;
            }
            n = (n + 1) % 900_000;
        }
    }
}

/// Read-only helpers shared by `Queue` and `Decide`.
struct QueueView<'a> {
    catalog: &'a Catalog,
    state: &'a State,
}

impl<'a> QueueView<'a> {
    fn active_appointment(&self, code: &str) -> Option<&'a Appointment> {
        self.state.appointments.values().find(|a| {
            a.code == code.trim()
                && matches!(
                    a.state,
                    AppointmentState::Booked | AppointmentState::CheckedIn
                )
        })
    }

    fn slot_taken(&self, service: &ServiceCode, date: NaiveDate, time: NaiveTime) -> u32 {
        self.state
            .appointments
            .values()
            .filter(|a| {
                &a.service == service
                    && a.date == date
                    && a.time == time
                    && matches!(
                        a.state,
                        AppointmentState::Booked | AppointmentState::CheckedIn
                    )
            })
            .count() as u32
    }

    fn seats(&self, activity: &ActivityCode, date: NaiveDate) -> (u32, u32) {
        let mut seated = 0;
        let mut waitlist = 0;
        for s in self.state.signups.values() {
            if &s.activity == activity && s.date == date {
                if s.seated {
                    seated += 1;
                } else {
                    waitlist += 1;
                }
            }
        }
        (seated, waitlist)
    }

    fn service_seconds(&self, service: &ServiceCode) -> u32 {
        match self.state.durations.get(service) {
            Some(d) if !d.is_empty() => {
                (d.iter().map(|x| u64::from(*x)).sum::<u64>() / d.len() as u64) as u32
            }
            _ => self
                .catalog
                .center
                .default_service_minutes
                .saturating_mul(60),
        }
    }

    fn estimate(&self, service: &ServiceCode, ahead: u32) -> u32 {
        let secs = u64::from(self.service_seconds(service));
        let counters = self.catalog.counters_serving(service) as u64;
        (u64::from(ahead) * secs / counters).div_ceil(60) as u32
    }
}

/// A local date and time in `tz` as an instant. In a DST gap (a local time that does not
/// exist, e.g. 00:30 when the clocks jump from 00:00 to 01:00) it is the first instant after
/// the gap: the slot starts when the clocks resume. In a repeated hour, the earlier instant.
pub fn local_to_utc(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    (0..=3 * 60)
        .find_map(|m| {
            tz.from_local_datetime(&(naive + Duration::minutes(m)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// Trim the optional contact details and check they are sane; empty strings become absent.
fn clean_contact(c: &Contact) -> Result<Contact, QueueError> {
    let name = c
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.chars().count() > 60 || s.chars().any(char::is_control) {
                Err(QueueError::BadName)
            } else {
                Ok(s.to_string())
            }
        })
        .transpose()?;
    let phone = c
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let digits = s.chars().filter(char::is_ascii_digit).count();
            let ok_chars = s
                .chars()
                .all(|ch| ch.is_ascii_digit() || " +-()".contains(ch));
            if ok_chars && (6..=20).contains(&digits) {
                Ok(s.to_string())
            } else {
                Err(QueueError::BadPhone)
            }
        })
        .transpose()?;
    Ok(Contact { name, phone })
}
