//! Safeguarding in the hub: urgent protection requests raised to every staff device until one
//! acknowledges them, and the per-kiosk limits (a kiosk is the device a stranger can reach).

use super::{Hub, Inner, Push, lock};
use crate::core::{Catalog, Command, CommandClass, Queue, QueueError, Stamped, TicketId};
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

/// Sliding windows per kiosk: what each kiosk did recently.
#[derive(Debug, Default)]
pub struct KioskLimits {
    seen: BTreeMap<(String, Kind), VecDeque<DateTime<Utc>>>,
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

    /// `Err(seconds)` when kiosk `key` must wait before `cmd`.
    pub fn check(
        &mut self,
        key: &str,
        cmd: &Command,
        catalog: &Catalog,
        now: DateTime<Utc>,
    ) -> Result<(), i64> {
        let Some(kind) = kind_of(cmd) else {
            return Ok(());
        };
        let (max, window) = Self::rule(kind, catalog);
        let Some(q) = self.seen.get_mut(&(key.to_string(), kind)) else {
            return Ok(());
        };
        while q.front().is_some_and(|t| *t + window <= now) {
            q.pop_front();
        }
        if q.len() < max.max(1) {
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        Err((oldest + window - now).num_seconds().max(1))
    }

    /// Count what happened: a ticket issued, a booking made, a wrong code.
    pub fn record(
        &mut self,
        key: &str,
        cmd: &Command,
        outcome: Result<&[Stamped], &QueueError>,
        now: DateTime<Utc>,
    ) {
        let counted = match (kind_of(cmd), outcome) {
            (Some(Kind::Ticket), Ok(_)) => Some(Kind::Ticket),
            (Some(Kind::Booking), Ok(_)) => Some(Kind::Booking),
            (Some(Kind::WrongCode), Err(e)) if e.is_wrong_code() => Some(Kind::WrongCode),
            _ => None,
        };
        if let Some(kind) = counted {
            let q = self.seen.entry((key.to_string(), kind)).or_default();
            q.push_back(now);
            // Bounded: never more than a day's worth of one kiosk's actions.
            while q.len() > 100_000 {
                q.pop_front();
            }
        }
    }
}
