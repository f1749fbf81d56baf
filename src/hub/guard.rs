//! Safeguarding in the hub: urgent protection requests raised to every staff device until one
//! acknowledges them, and the per-kiosk limits (a kiosk is the device a stranger can reach).

use super::{Hub, Inner, Push, lock};
use crate::core::{Catalog, Command, CommandClass, Queue, QueueError, TicketId};
use crate::store::safeguarding::Acknowledgement;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// An open ticket whose priority class is discreet (e.g. "I need urgent protection") that no
/// staff member has acknowledged yet. Only staff devices ever receive these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProtectionAlert {
    pub ticket: u64,
    pub label: String,
    /// The priority class code (the console shows its icon and name).
    pub class: String,
    /// The visitor's language.
    pub lang: String,
    /// waiting, called or serving.
    pub state: String,
    pub counter: Option<String>,
    /// Waiting since (issue time).
    pub since: DateTime<Utc>,
}

/// The protection requests of a queue that nobody has acknowledged.
pub fn protection_alerts(q: &Queue, acknowledged: &BTreeSet<u64>) -> Vec<ProtectionAlert> {
    let catalog = q.catalog();
    if !catalog.priority.classes.iter().any(|c| c.discreet) {
        return Vec::new();
    }
    let mut out: Vec<ProtectionAlert> = q
        .state()
        .tickets
        .values()
        .filter(|t| t.state.is_open() && !acknowledged.contains(&t.id.0))
        .filter_map(|t| {
            let class = t.priority.as_ref()?;
            catalog.priority_class(class).filter(|c| c.discreet)?;
            Some(ProtectionAlert {
                ticket: t.id.0,
                label: t.label(),
                class: class.to_string(),
                lang: t.lang.code().to_string(),
                state: t.state.as_str().to_string(),
                counter: t.counter.as_ref().map(|c| c.to_string()),
                since: t.issued_at,
            })
        })
        .collect();
    out.sort_by_key(|a| (a.since, a.ticket));
    out
}

/// Why an acknowledgement was refused.
#[derive(Debug)]
pub enum AckError {
    UnknownTicket,
    NotAProtectionRequest(String),
    Store(String),
}

impl Inner {
    /// Recompute the protection requests after a change; tell staff streams when they changed.
    /// Recompute the protection requests when `events` may have changed them (a discreet
    /// class issued, an alerted ticket moving on, a new day or catalog): the check is per event;
    /// the recomputation walks the whole day, so it is not done for every commit.
    pub(crate) fn refresh_protection_after(&self, q: &Queue, events: &[crate::core::Stamped]) {
        if self.protection_may_change(q.catalog(), events) {
            self.refresh_protection(q);
        }
    }

    /// Whether `events` may change the protection requests (see `refresh_protection_after`).
    pub(crate) fn protection_may_change(
        &self,
        catalog: &crate::core::Catalog,
        events: &[crate::core::Stamped],
    ) -> bool {
        use crate::core::Event;
        let alerted: BTreeSet<u64> = lock(&self.protection).iter().map(|a| a.ticket).collect();
        events.iter().any(|e| match &e.event {
            // (a reopened ticket may be a request whose alert went with its end)
            Event::DayStarted { .. }
            | Event::CatalogChanged { .. }
            | Event::TicketReopened { .. } => true,
            Event::TicketIssued { ticket, .. } => ticket
                .priority
                .as_ref()
                .and_then(|c| catalog.priority_class(c))
                .is_some_and(|c| c.discreet),
            Event::TicketCalled { ticket, .. }
            | Event::TicketRecalled { ticket, .. }
            | Event::ServingStarted { ticket, .. }
            | Event::TicketFinished { ticket, .. }
            | Event::TicketNoShow { ticket, .. }
            | Event::TicketCancelled { ticket, .. }
            | Event::TicketTransferred { ticket, .. }
            | Event::AppointmentCheckedIn { ticket, .. } => alerted.contains(&ticket.0),
            Event::AppointmentBooked { .. }
            | Event::AppointmentCancelled { .. }
            | Event::AppointmentMissed { .. }
            | Event::SignedUp { .. }
            | Event::SignUpCancelled { .. }
            | Event::WaitlistPromoted { .. }
            | Event::SignUpAttended { .. }
            | Event::ContactErased { .. } => false,
        })
    }

    pub(crate) fn refresh_protection(&self, q: &Queue) {
        let now = {
            let acks = lock(&self.acknowledged);
            protection_alerts(q, &acks)
        };
        let changed = {
            let mut current = lock(&self.protection);
            if *current == now {
                false
            } else {
                *current = now;
                true
            }
        };
        if changed {
            let _ = self.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        }
    }
}

impl Hub {
    /// The urgent protection requests nobody has acknowledged yet (staff only).
    pub fn protection_alerts(&self) -> Vec<ProtectionAlert> {
        lock(&self.inner.protection).clone()
    }

    /// A staff member has seen the request of `ticket`: it stops alerting, and the audit log
    /// says who and when. Acknowledging twice keeps the first.
    pub fn acknowledge(&self, ticket: TicketId, by: &str) -> Result<Acknowledgement, AckError> {
        let s = self.session();
        let q = s.queue();
        let t = q.ticket(ticket).ok_or(AckError::UnknownTicket)?;
        let discreet_class = t
            .priority
            .as_ref()
            .and_then(|p| q.catalog().priority_class(p))
            .is_some_and(|c| c.discreet);
        if !discreet_class {
            return Err(AckError::NotAProtectionRequest(t.label()));
        }
        let ack = Acknowledgement {
            ticket: t.id.0,
            label: t.label(),
            day: t.day,
            by: by.to_string(),
            at: Utc::now(),
        };
        self.auth_store()
            .acknowledge(&ack)
            .map_err(|e| AckError::Store(e.to_string()))?;
        lock(&self.inner.acknowledged).insert(t.id.0);
        log::info!("protection request {} acknowledged by {by}", ack.label);
        // Kept beside the log: the standby's copy gets it with a new base.
        self.inner.replica.rebase();
        self.inner.refresh_protection(q);
        Ok(ack)
    }
}

/// What a kiosk asks for, as far as its limits are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ticket,
    Booking,
    WrongCode,
}

fn kind_of(cmd: &Command) -> Option<Kind> {
    match cmd.class() {
        CommandClass::Ticket => Some(Kind::Ticket),
        CommandClass::Booking => Some(Kind::Booking),
        CommandClass::CheckIn => Some(Kind::WrongCode),
        CommandClass::Serve | CommandClass::Admin | CommandClass::HubOnly => None,
    }
}

/// Sliding windows per kiosk: what each kiosk did recently, and what it is doing now. A
/// command takes its place in the window *before* it runs and gives it back when it turns out
/// not to count (a refused ticket or booking, a right check-in code, a failed disk), so forty
/// commands at once from one kiosk cannot all pass the check before any is counted.
#[derive(Debug, Default)]
pub struct KioskLimits {
    seen: BTreeMap<(String, Kind), Window>,
    /// The number of the next reservation.
    next: u64,
}

/// One kiosk's places of one kind, oldest first: when each was taken, and its reservation's
/// number.
type Window = VecDeque<(DateTime<Utc>, u64)>;

/// A place a command holds in its kiosk's window while it runs; [`KioskLimits::settle`] keeps
/// it or gives it back.
#[derive(Debug)]
#[must_use = "settle the reservation with the command's outcome"]
pub struct Reservation {
    key: String,
    kind: Kind,
    id: u64,
}

/// What a kiosk's command came to, as far as its limits are concerned.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Carried out.
    Done,
    /// The queue rules refused it.
    Refused(&'a QueueError),
    /// Nothing was done (the disk failed): it does not count.
    Failed,
}

impl KioskLimits {
    fn rule(kind: Kind, catalog: &Catalog) -> (usize, Duration) {
        let l = &catalog.limits;
        match kind {
            Kind::Ticket => (l.tickets_per_minute as usize, Duration::seconds(60)),
            Kind::Booking => (l.bookings_per_hour as usize, Duration::seconds(3600)),
            Kind::WrongCode => (l.wrong_codes_per_minute as usize, Duration::seconds(60)),
        }
    }

    /// Take a place for `cmd` in kiosk `key`'s window (`Ok(None)`: the command is not limited),
    /// or `Err(seconds)` when the kiosk must wait. A check-in holds a place among the wrong
    /// codes until its code is known to be right.
    pub fn reserve(
        &mut self,
        key: &str,
        cmd: &Command,
        catalog: &Catalog,
        now: DateTime<Utc>,
    ) -> Result<Option<Reservation>, i64> {
        let Some(kind) = kind_of(cmd) else {
            return Ok(None);
        };
        let (max, window) = Self::rule(kind, catalog);
        let q = self.seen.entry((key.to_string(), kind)).or_default();
        while q.front().is_some_and(|(t, _)| *t + window <= now) {
            q.pop_front();
        }
        if q.len() >= max.max(1) {
            let oldest = q.front().map(|(t, _)| *t).unwrap_or(now);
            return Err((oldest + window - now).num_seconds().max(1));
        }
        self.next += 1;
        let id = self.next;
        q.push_back((now, id));
        Ok(Some(Reservation {
            key: key.to_string(),
            kind,
            id,
        }))
    }

    /// Keep the place of a command that counts (a ticket issued, a booking made, a wrong
    /// code), give back the place of one that does not.
    pub fn settle(&mut self, r: Reservation, outcome: Outcome<'_>) {
        let counts = match (r.kind, outcome) {
            (Kind::Ticket | Kind::Booking, Outcome::Done) => true,
            (Kind::Ticket | Kind::Booking, Outcome::Refused(_) | Outcome::Failed) => false,
            (Kind::WrongCode, Outcome::Refused(e)) => e.is_wrong_code(),
            (Kind::WrongCode, Outcome::Done | Outcome::Failed) => false,
        };
        if counts {
            return;
        }
        if let Some(q) = self.seen.get_mut(&(r.key, r.kind)) {
            q.retain(|(_, id)| *id != r.id);
        }
    }
}
