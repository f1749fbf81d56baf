use super::*;

impl Decide<'_> {
    /// A date and time the visitor can still book: not passed, within the booking horizon.
    pub(super) fn check_future(&self, date: NaiveDate, time: NaiveTime) -> Result<(), QueueError> {
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

    pub(super) fn book(
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
    pub(super) fn fresh_code(&self, nonce: u64) -> String {
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

/// Trim the optional contact details and check they are sane; empty strings become absent.
pub(super) fn clean_contact(c: &Contact) -> Result<Contact, QueueError> {
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
