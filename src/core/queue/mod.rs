//! The queue state machine. `apply(command, now)` validates a command against the state and
//! returns the events it causes; the events alone change the state (`apply_event`), so that
//! replaying the stored events rebuilds exactly the same state. No IO, no clock, no threads.

use super::catalog::{Catalog, CatalogError, Mode};
use super::clock::ClockTrust;
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

/// The waiting tickets of one service, indexed three ways for a fast "call next". Arrival
/// order is the ticket id (given in sequence), never the clock: a clock that steps back does
/// not reorder the line.
#[derive(Debug, Clone, Default, PartialEq)]
struct Waiting {
    /// All waiting tickets by arrival.
    fifo: BTreeSet<TicketId>,
    /// Waiting tickets with a priority class, by arrival.
    priority: BTreeSet<TicketId>,
    /// Waiting tickets from appointments, by slot start.
    appointment: BTreeSet<(DateTime<Utc>, TicketId)>,
}

/// The whole state of a center's queue. Plain data; cloned only on the rare day rollover.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Sequence number of the last event applied.
    pub seq: u64,
    /// The local day the tickets belong to.
    pub day: Option<NaiveDate>,
    /// The queue day's tickets, and those of an earlier day still called or at a counter.
    pub tickets: BTreeMap<TicketId, Ticket>,
    /// Last number given today, per prefix.
    numbers: BTreeMap<char, u32>,
    next_ticket: u64,
    next_appointment: u64,
    next_signup: u64,
    /// Rebuilt from the tickets when a stored state is read (see [`Queue::resume`]): snapshots
    /// written before the line was kept by arrival held it keyed by issue time.
    #[serde(skip)]
    waiting: BTreeMap<ServiceCode, Waiting>,
    /// The ticket each counter is calling or serving.
    at_counter: BTreeMap<CounterId, TicketId>,
    /// Appointments of today and later.
    pub appointments: BTreeMap<AppointmentId, Appointment>,
    /// Activity sign-ups of today and later.
    pub signups: BTreeMap<SignUpId, SignUp>,
    /// Recent service times in seconds, per service.
    durations: BTreeMap<ServiceCode, VecDeque<u32>>,
    /// The tickets that were still waiting when the last day ended (`day_ended`), so a visitor's
    /// page can say so calmly; replaced at the next day's end.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub day_ended: BTreeMap<TicketId, Ticket>,
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

/// What the clock says about the queue's day (see [`Queue::day_turn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayTurn {
    /// The clock is on the queue's day.
    Same,
    /// A new day starts now: send `Command::StartDay` with this day.
    Start(NaiveDate),
    /// The clock says a later day but cannot be believed: ask a coordinator.
    Ask {
        clock_says: NaiveDate,
        queue_day: NaiveDate,
    },
    /// The clock is behind the queue's day (put back): the queue's day goes on, nothing changes.
    Behind {
        clock_says: NaiveDate,
        queue_day: NaiveDate,
    },
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
        q.state.reindex();
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

    /// The one ticket with a printed label such as `A-023`. After a new day a visitor still at
    /// a counter keeps yesterday's label and today's numbering skips it, so a label names one
    /// ticket; should two ever share it, the open one is meant, else the label is refused as
    /// ambiguous rather than guessed.
    pub fn ticket_by_label(&self, label: &str) -> Result<&Ticket, QueueError> {
        let label = label.trim();
        let all: Vec<&Ticket> = self
            .state
            .tickets
            .values()
            .filter(|t| t.label().eq_ignore_ascii_case(label))
            .collect();
        let open: Vec<&Ticket> = all.iter().copied().filter(|t| t.state.is_open()).collect();
        match (all.as_slice(), open.as_slice()) {
            ([], _) => Err(QueueError::UnknownLabel(label.to_string())),
            ([one], _) | (_, [one]) => Ok(one),
            _ => Err(QueueError::AmbiguousLabel(label.to_string())),
        }
    }

    /// The ticket a counter is calling or serving now.
    pub fn current_at(&self, counter: &CounterId) -> Option<&Ticket> {
        self.state
            .at_counter
            .get(counter)
            .and_then(|id| self.state.tickets.get(id))
    }

    /// Waiting tickets of a service, in the order they arrived.
    pub fn waiting(&self, service: &ServiceCode) -> Vec<&Ticket> {
        self.state
            .waiting
            .get(service)
            .map(|w| {
                w.fifo
                    .iter()
                    .filter_map(|id| self.state.tickets.get(id))
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

    /// What the clock says about the queue's day, given how far the clock can be believed:
    /// the one rule for when a new day starts (the hub, the CLI and the kiosk all ask it).
    /// A day turns by itself only on a trusted clock; on any other the shell asks a
    /// coordinator; a clock behind the queue's day changes nothing.
    pub fn day_turn(&self, now: DateTime<Utc>, trust: ClockTrust) -> DayTurn {
        let clock_says = self.local(now).date();
        // An empty queue has no day to turn: its first command starts its first day.
        let Some(queue_day) = self.state.day else {
            return DayTurn::Same;
        };
        match clock_says.cmp(&queue_day) {
            std::cmp::Ordering::Equal => DayTurn::Same,
            std::cmp::Ordering::Less => DayTurn::Behind {
                clock_says,
                queue_day,
            },
            std::cmp::Ordering::Greater if trust.may_turn_the_day() => DayTurn::Start(clock_says),
            std::cmp::Ordering::Greater => DayTurn::Ask {
                clock_says,
                queue_day,
            },
        }
    }

    /// The queue's day (none before the first event).
    pub fn day(&self) -> Option<NaiveDate> {
        self.state.day
    }

    /// Apply a command at time `now`. On success the state has changed and the returned events
    /// (numbered from `seq() + 1`) say how; on error nothing has changed.
    ///
    /// The day never turns here, whatever the clock says (see [`Queue::day_turn`] and
    /// `Command::StartDay`): everything goes on in the queue's day. Only an empty queue's very
    /// first command starts its first day.
    pub fn apply(&mut self, cmd: &Command, now: DateTime<Utc>) -> Result<Vec<Stamped>, QueueError> {
        if self.state.day.is_none() && !matches!(cmd, Command::StartDay { .. }) {
            // Once in a queue's life: work on a copy so that an error leaves it untouched.
            let mut next = self.state.clone();
            let mut out = vec![next.stamp_apply(
                Event::DayStarted {
                    day: self.local(now).date(),
                    by: String::new(),
                },
                now,
            )];
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
            return Ok(out);
        }
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
