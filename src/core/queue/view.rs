use super::*;

/// Read-only helpers shared by `Queue` and `Decide`.
pub(super) struct QueueView<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) state: &'a State,
}

impl<'a> QueueView<'a> {
    pub(super) fn active_appointment(&self, code: &str) -> Option<&'a Appointment> {
        self.state.appointments.values().find(|a| {
            a.code == code.trim()
                && matches!(
                    a.state,
                    AppointmentState::Booked | AppointmentState::CheckedIn
                )
        })
    }

    pub(super) fn slot_taken(
        &self,
        service: &ServiceCode,
        date: NaiveDate,
        time: NaiveTime,
    ) -> u32 {
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

    pub(super) fn seats(&self, activity: &ActivityCode, date: NaiveDate) -> (u32, u32) {
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

    pub(super) fn service_seconds(&self, service: &ServiceCode) -> u32 {
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

    pub(super) fn estimate(&self, service: &ServiceCode, ahead: u32) -> u32 {
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
