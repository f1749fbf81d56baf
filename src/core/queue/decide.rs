use super::*;

/// Validation of one command against a state: produces events or an error, changes nothing.
pub(super) struct Decide<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) state: &'a State,
    pub(super) now: DateTime<Utc>,
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
    pub(super) fn edit_catalog(
        &self,
        edit: &CatalogEdit,
        by: &str,
    ) -> Result<Vec<Event>, QueueError> {
        let next = edit
            .apply_to(self.catalog)
            .map_err(|e| QueueError::InvalidCatalog(vec![e.to_string()]))?;
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
    pub(super) fn attend(&self, code: &str) -> Result<Vec<Event>, QueueError> {
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

    pub(super) fn queue_view(&self) -> QueueView<'a> {
        QueueView {
            catalog: self.catalog,
            state: self.state,
        }
    }

    pub(super) fn local(&self) -> NaiveDateTime {
        self.now
            .with_timezone(&self.catalog.center.timezone)
            .naive_local()
    }

    pub(super) fn today(&self) -> NaiveDate {
        self.state.day.unwrap_or_else(|| self.local().date())
    }

    pub(super) fn ticket(&self, id: TicketId) -> Result<&Ticket, QueueError> {
        self.state
            .tickets
            .get(&id)
            .ok_or(QueueError::UnknownTicket(id))
    }

    pub(super) fn wrong(t: &Ticket, action: &'static str) -> QueueError {
        QueueError::WrongState {
            label: t.label(),
            state: t.state.as_str(),
            action,
        }
    }

    pub(super) fn counter_of(t: &Ticket, action: &'static str) -> Result<CounterId, QueueError> {
        t.counter.clone().ok_or_else(|| Self::wrong(t, action))
    }

    pub(super) fn decide(&self, cmd: &Command) -> Result<Vec<Event>, QueueError> {
        match cmd {
            Command::Tick => Ok(Vec::new()),
            Command::StartDay { day, by } => self.start_day(*day, by),
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

    /// A new queue day: after the queue's day, and the day the clock says (a coordinator
    /// confirms what the clock shows, never a day of their own).
    fn start_day(&self, day: NaiveDate, by: &str) -> Result<Vec<Event>, QueueError> {
        if let Some(queue_day) = self.state.day
            && day <= queue_day
        {
            return Err(QueueError::DayNotAfter { day, queue_day });
        }
        let clock_says = self.local().date();
        if day != clock_says {
            return Err(QueueError::DayNotClock { day, clock_says });
        }
        Ok(self.state.rollover_events(day, by))
    }

    pub(super) fn to_utc(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        local_to_utc(self.catalog.center.timezone, date.and_time(time))
    }

    pub(super) fn issue(
        &self,
        service: &ServiceCode,
        prefix: char,
        lang: Lang,
        priority: Option<PriorityClass>,
        appointment: Option<FromAppointment>,
    ) -> Event {
        // Numbers never restart within a day, and skip a label still held by a visitor of the
        // day before who was at a counter as the day turned (even once finished: a reopen or a
        // "finish A-001" must never meet two A-001).
        let held: BTreeSet<u32> = self
            .state
            .tickets
            .values()
            .filter(|t| t.prefix == prefix)
            .map(|t| t.number)
            .collect();
        let mut number = self.state.numbers.get(&prefix).copied().unwrap_or(0) + 1;
        while held.contains(&number) {
            number += 1;
        }
        let cover = self
            .catalog
            .is_discreet(service, priority.as_ref())
            .then(|| self.catalog.cover_of(service, prefix));
        let ticket = Ticket {
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
        };
        // What the visitor is told: their place in the queue the lobby sees.
        let at = self.queue_view().position(&ticket);
        Event::TicketIssued {
            ticket,
            ahead: at.ahead,
            wait_minutes: at.wait_minutes,
        }
    }
}
