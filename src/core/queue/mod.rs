//! The queue state machine. `apply(command, now)` validates a command against the state and
//! returns the events it causes; the events alone change the state (`apply_event`), so that
//! replaying the stored events rebuilds exactly the same state. No IO, no clock, no threads.

use super::catalog::{Catalog, CatalogError, Mode};
use super::edit::CatalogEdit;
use super::error::{InvariantError, QueueError};
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

mod booking;
mod decide;
mod fairness;
mod position;
mod state;
mod view;

use booking::clean_contact;
use decide::Decide;
pub use position::Position;
use view::QueueView;
pub use view::local_to_utc;

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

    /// Where a waiting ticket stands as the lobby sees the queue (see [`Position`]): the one
    /// figure of people ahead and wait that every visitor-facing place shows. `None` when the
    /// ticket is not waiting.
    pub fn position(&self, id: TicketId) -> Option<Position> {
        let t = self.state.tickets.get(&id)?;
        (t.state == TicketState::Waiting).then(|| self.view().position(t))
    }

    /// The queue as the lobby may see it (see [`State::for_public`]): the one door through
    /// which every lobby reader — the hub's own kiosk, network kiosks, the display — reads it.
    pub fn for_public(&self) -> Queue {
        Queue::resume(
            self.catalog.clone(),
            self.state.for_public(&self.catalog),
            std::iter::empty(),
        )
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
