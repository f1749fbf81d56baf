use super::*;

impl State {
    /// The state as the public may see it (see [`crate::core::public`]): discreet tickets shown as
    /// ordinary ones of their cover service, counters by their public names, no codes, names
    /// or phones, no service times of discreet services. The indexes are rebuilt, so the
    /// result is a consistent state a lobby device can keep following.
    pub fn for_public(&self, catalog: &Catalog) -> State {
        let mut s = self.clone();
        s.waiting.clear();
        s.at_counter.clear();
        s.day_ended.clear();
        let ids: Vec<TicketId> = s.tickets.keys().copied().collect();
        for id in ids {
            let Some(mut t) = s.tickets.remove(&id) else {
                continue;
            };
            crate::core::public::ticket(&mut t, catalog);
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
            crate::core::public::appointment(a, catalog);
        }
        for x in s.signups.values_mut() {
            crate::core::public::signup(x);
        }
        s.durations
            .retain(|code, _| !catalog.is_discreet(code, None));
        s
    }

    /// Check that the indexes agree with the tickets: every waiting ticket is indexed exactly
    /// once under its own service, every called or serving ticket sits at exactly one counter,
    /// and nothing else is indexed. Used by the property tests and by `integra doctor`.
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        let mut indexed = BTreeMap::new();
        for (service, w) in &self.waiting {
            for id in &w.fifo {
                let t = self
                    .tickets
                    .get(id)
                    .ok_or_else(|| InvariantError::UnknownWaiting {
                        service: service.clone(),
                        ticket: *id,
                    })?;
                if t.state != TicketState::Waiting || &t.service != service {
                    return Err(InvariantError::WrongWaiting {
                        label: t.label(),
                        indexed: service.clone(),
                        state: t.state.as_str(),
                        service: t.service.clone(),
                    });
                }
                if indexed.insert(*id, service).is_some() {
                    return Err(InvariantError::IndexedTwice(t.label()));
                }
            }
            for id in w
                .priority
                .iter()
                .chain(w.appointment.iter().map(|(_, id)| id))
            {
                if !w.fifo.contains(id) {
                    return Err(InvariantError::PriorityNotWaiting(*id));
                }
            }
        }
        let mut at_counter = BTreeMap::new();
        for (counter, id) in &self.at_counter {
            let t = self
                .tickets
                .get(id)
                .ok_or_else(|| InvariantError::UnknownAtCounter {
                    counter: counter.clone(),
                    ticket: *id,
                })?;
            if !matches!(t.state, TicketState::Called | TicketState::Serving)
                || t.counter.as_ref() != Some(counter)
            {
                return Err(InvariantError::WrongAtCounter {
                    counter: counter.clone(),
                    label: t.label(),
                    state: t.state.as_str(),
                });
            }
            if at_counter.insert(*id, counter).is_some() {
                return Err(InvariantError::TwoCounters(t.label()));
            }
        }
        let mut labels = BTreeSet::new();
        for t in self.tickets.values() {
            // A ticket of an earlier day stays when it was called or at a counter as the day
            // turned (then finished, or sent to another service), until the next day.
            let carried = Some(t.day) != self.day;
            if carried && self.day.is_none_or(|d| t.day > d) {
                return Err(InvariantError::OtherDay {
                    label: t.label(),
                    day: t.day,
                    today: self.day,
                });
            }
            if !labels.insert((t.prefix, t.number)) {
                return Err(InvariantError::NumberTwice(t.label()));
            }
            let waiting = indexed.contains_key(&t.id);
            let serving = at_counter.contains_key(&t.id);
            let ok = match t.state {
                TicketState::Waiting => waiting && !serving,
                TicketState::Called | TicketState::Serving => serving && !waiting,
                _ => !waiting && !serving,
            };
            if !ok {
                return Err(InvariantError::Unindexed {
                    label: t.label(),
                    state: t.state.as_str(),
                    waiting,
                    serving,
                });
            }
            if !carried && self.numbers.get(&t.prefix).copied().unwrap_or(0) < t.number {
                return Err(InvariantError::AboveLast(t.label()));
            }
        }
        Ok(())
    }

    pub(super) fn stamp_apply(&mut self, event: Event, at: DateTime<Utc>) -> Stamped {
        let stamped = Stamped {
            seq: self.seq + 1,
            at,
            event,
        };
        self.apply_event(&stamped);
        stamped
    }

    /// The events that close the current day and open `today`: the waiting end with the day;
    /// a visitor called or at a counter stays until finished (counted on the day they came).
    pub(super) fn rollover_events(&self, today: NaiveDate, by: &str) -> Vec<Event> {
        let mut out = Vec::new();
        for t in self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::Waiting)
        {
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
        out.push(Event::DayStarted {
            day: today,
            by: by.to_string(),
        });
        out
    }

    /// Rebuild the waiting indexes from the tickets (a state read from storage or the wire).
    pub(super) fn reindex(&mut self) {
        self.waiting.clear();
        let waiting: Vec<Ticket> = self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::Waiting)
            .cloned()
            .collect();
        for t in &waiting {
            self.index(t);
        }
    }

    pub(super) fn unindex(&mut self, t: &Ticket) {
        if let Some(w) = self.waiting.get_mut(&t.service) {
            w.fifo.remove(&t.id);
            w.priority.remove(&t.id);
            if let Some(a) = &t.appointment {
                w.appointment.remove(&(a.slot_start, t.id));
            }
        }
    }

    pub(super) fn index(&mut self, t: &Ticket) {
        let w = self.waiting.entry(t.service.clone()).or_default();
        w.fifo.insert(t.id);
        if t.priority.is_some() {
            w.priority.insert(t.id);
        }
        if let Some(a) = &t.appointment {
            w.appointment.insert((a.slot_start, t.id));
        }
    }

    /// Take a ticket off its counter and out of the waiting indexes, then set its state.
    pub(super) fn settle(
        &mut self,
        id: TicketId,
        state: TicketState,
        at: DateTime<Utc>,
    ) -> Option<Ticket> {
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
            Event::DayStarted { day, .. } => {
                self.day = Some(*day);
                // Only the day that just ended: its waiting ended in the same command.
                self.day_ended.retain(|_, t| t.ended_at == Some(at));
                // Visitors called or at a counter stay until finished; everything else of the
                // old day leaves (logs written before this rule cancelled them just before).
                self.tickets
                    .retain(|_, t| matches!(t.state, TicketState::Called | TicketState::Serving));
                self.numbers.clear();
                self.waiting.clear();
                let tickets = &self.tickets;
                self.at_counter.retain(|_, id| tickets.contains_key(id));
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
                // Every ticket that came before it that this counter could have called is
                // overtaken.
                let mut overtaken = Vec::new();
                for s in scope {
                    if let Some(w) = self.waiting.get(s) {
                        overtaken.extend(w.fifo.range(..t.id).copied());
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
            Event::TicketCancelled { ticket, reason } => {
                let ended = self.settle(*ticket, TicketState::Cancelled, at);
                if let (CancelReason::DayEnded, Some(mut t)) = (reason, ended) {
                    t.state = TicketState::Cancelled;
                    t.ended_at = Some(at);
                    self.day_ended.insert(t.id, t);
                }
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
