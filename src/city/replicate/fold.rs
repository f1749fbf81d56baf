//! Events folded into the rows the city database gets: new rows and forward-only updates,
//! the same fold as the hub's own `tickets` table.

use super::*;

#[derive(Default)]
pub(super) struct TicketRow {
    pub(super) day: Option<NaiveDate>,
    pub(super) service: Option<String>,
    pub(super) priority: Option<String>,
    pub(super) lang: String,
    pub(super) appointment: bool,
    pub(super) issued_at: Option<DateTime<Utc>>,
    pub(super) state: Option<&'static str>,
    pub(super) called_at: Option<DateTime<Utc>>,
    pub(super) serving_at: Option<DateTime<Utc>>,
    pub(super) ended_at: Option<DateTime<Utc>>,
    /// Reopened (a finish or no-show undone) after its last end: the end is cleared.
    pub(super) reopened: bool,
}

pub(super) struct AppointmentRow {
    pub(super) service: String,
    pub(super) day: NaiveDate,
    pub(super) slot: NaiveTime,
    pub(super) state: &'static str,
}

#[derive(Default)]
pub(super) struct SignUpRow {
    pub(super) activity: String,
    pub(super) day: Option<NaiveDate>,
    pub(super) seated: Option<bool>,
    pub(super) cancelled: Option<bool>,
    pub(super) attended: Option<bool>,
}

pub(super) fn appointment_state(s: AppointmentState) -> &'static str {
    match s {
        AppointmentState::Booked => "booked",
        AppointmentState::CheckedIn => "checked-in",
        AppointmentState::Cancelled => "cancelled",
        AppointmentState::Missed => "missed",
    }
}

/// What a batch of events changes, by subject: rows made in this batch (`new`) and changes
/// to rows sent before (`changed`) — the same fold as the hub's own `tickets` table and
/// report facts.
#[derive(Default)]
pub(super) struct Fold {
    pub(super) tickets_new: BTreeMap<u64, TicketRow>,
    pub(super) tickets_changed: BTreeMap<u64, TicketRow>,
    pub(super) appointments_new: BTreeMap<u64, AppointmentRow>,
    pub(super) appointments_changed: BTreeMap<u64, &'static str>,
    pub(super) signups_new: BTreeMap<u64, SignUpRow>,
    pub(super) signups_changed: BTreeMap<u64, SignUpRow>,
    pub(super) catalog: Option<Catalog>,
}

impl Fold {
    pub(super) fn ticket(&mut self, id: u64) -> &mut TicketRow {
        if self.tickets_new.contains_key(&id) {
            return self.tickets_new.entry(id).or_default();
        }
        self.tickets_changed.entry(id).or_default()
    }

    pub(super) fn signup(&mut self, id: u64) -> &mut SignUpRow {
        if self.signups_new.contains_key(&id) {
            return self.signups_new.entry(id).or_default();
        }
        self.signups_changed.entry(id).or_default()
    }

    pub(super) fn appointment(&mut self, id: u64, state: &'static str) {
        match self.appointments_new.get_mut(&id) {
            Some(a) => a.state = state,
            None => {
                self.appointments_changed.insert(id, state);
            }
        }
    }

    pub(super) fn of(events: &[Stamped]) -> Fold {
        let mut f = Fold::default();
        for e in events {
            let at = e.at;
            match &e.event {
                Event::TicketIssued { ticket: t, .. } => {
                    f.tickets_new.insert(
                        t.id.0,
                        TicketRow {
                            day: Some(t.day),
                            service: Some(t.service.to_string()),
                            priority: t.priority.as_ref().map(|p| p.as_str().to_string()),
                            lang: t.lang.code().to_string(),
                            appointment: t.appointment.is_some(),
                            issued_at: Some(t.issued_at),
                            state: Some(TicketState::Waiting.as_str()),
                            ..Default::default()
                        },
                    );
                }
                Event::TicketCalled { ticket, .. } => {
                    let t = f.ticket(ticket.0);
                    t.state = Some(TicketState::Called.as_str());
                    t.called_at.get_or_insert(at);
                }
                Event::ServingStarted { ticket, .. } => {
                    let t = f.ticket(ticket.0);
                    t.state = Some(TicketState::Serving.as_str());
                    t.serving_at.get_or_insert(at);
                }
                Event::TicketFinished { ticket, .. } => {
                    let t = f.ticket(ticket.0);
                    t.state = Some(TicketState::Done.as_str());
                    t.ended_at = Some(at);
                }
                Event::TicketNoShow { ticket, .. } => {
                    let t = f.ticket(ticket.0);
                    t.state = Some(TicketState::NoShow.as_str());
                    t.ended_at = Some(at);
                }
                Event::TicketCancelled { ticket, .. } => {
                    let t = f.ticket(ticket.0);
                    t.state = Some(TicketState::Cancelled.as_str());
                    t.ended_at = Some(at);
                }
                Event::TicketReopened { ticket, .. } => {
                    // As the hub's own row: back to serving if service had started.
                    let t = f.ticket(ticket.0);
                    t.state = Some(REOPENED);
                    t.ended_at = None;
                    t.reopened = true;
                }
                Event::TicketTransferred { ticket, to, .. } => {
                    let t = f.ticket(ticket.0);
                    t.state = Some(TicketState::Waiting.as_str());
                    t.service = Some(to.to_string());
                }
                Event::AppointmentBooked { appointment: a } => {
                    f.appointments_new.insert(
                        a.id.0,
                        AppointmentRow {
                            service: a.service.to_string(),
                            day: a.date,
                            slot: a.time,
                            state: appointment_state(AppointmentState::Booked),
                        },
                    );
                }
                Event::AppointmentCancelled { id } => {
                    f.appointment(id.0, appointment_state(AppointmentState::Cancelled))
                }
                Event::AppointmentCheckedIn { id, .. } => {
                    f.appointment(id.0, appointment_state(AppointmentState::CheckedIn))
                }
                Event::AppointmentMissed { id } => {
                    f.appointment(id.0, appointment_state(AppointmentState::Missed))
                }
                Event::SignedUp { signup: s, .. } => {
                    f.signups_new.insert(
                        s.id.0,
                        SignUpRow {
                            activity: s.activity.to_string(),
                            day: Some(s.date),
                            seated: Some(s.seated),
                            cancelled: Some(false),
                            attended: Some(false),
                        },
                    );
                }
                Event::SignUpCancelled { id } => f.signup(id.0).cancelled = Some(true),
                Event::WaitlistPromoted { id } => f.signup(id.0).seated = Some(true),
                Event::SignUpAttended { id } => f.signup(id.0).attended = Some(true),
                Event::CatalogChanged { catalog, .. } => f.catalog = Some((**catalog).clone()),
                Event::DayStarted { .. }
                | Event::TicketRecalled { .. }
                | Event::ContactErased { .. } => {}
            }
        }
        f
    }

    pub(super) fn write(&self, tx: &mut Transaction, center: &str) -> Result<(), postgres::Error> {
        if !self.tickets_new.is_empty() {
            let mut c = Columns::default();
            for (id, t) in &self.tickets_new {
                // A ticket made in this batch always has its issue fields.
                let (Some(day), Some(service), Some(issued_at)) = (t.day, &t.service, t.issued_at)
                else {
                    continue;
                };
                c.ids.push(*id as i64);
                c.days.push(day);
                c.services.push(Some(service.clone()));
                c.priorities.push(t.priority.clone());
                c.langs.push(t.lang.clone());
                c.flags.push(t.appointment);
                c.issued.push(issued_at);
                let state = match t.state {
                    Some(REOPENED) if t.serving_at.is_some() => Some(TicketState::Serving.as_str()),
                    Some(REOPENED) => Some(TicketState::Called.as_str()),
                    other => other,
                };
                c.states.push(state.map(str::to_string));
                c.called.push(t.called_at);
                c.serving.push(t.serving_at);
                c.ended.push(t.ended_at);
            }
            tx.execute(
                "INSERT INTO integra.tickets (center, id, day, service, priority, lang, appointment,
                     issued_at, state, called_at, serving_at, ended_at)
                 SELECT $1, * FROM unnest($2::bigint[], $3::date[], $4::text[], $5::text[],
                     $6::text[], $7::boolean[], $8::timestamptz[], $9::text[], $10::timestamptz[],
                     $11::timestamptz[], $12::timestamptz[])
                 ON CONFLICT (center, id) DO UPDATE SET day = EXCLUDED.day,
                     service = EXCLUDED.service, priority = EXCLUDED.priority, lang = EXCLUDED.lang,
                     appointment = EXCLUDED.appointment, issued_at = EXCLUDED.issued_at,
                     state = EXCLUDED.state, called_at = EXCLUDED.called_at,
                     serving_at = EXCLUDED.serving_at, ended_at = EXCLUDED.ended_at",
                &[
                    &center,
                    &c.ids,
                    &c.days,
                    &c.services,
                    &c.priorities,
                    &c.langs,
                    &c.flags,
                    &c.issued,
                    &c.states,
                    &c.called,
                    &c.serving,
                    &c.ended,
                ],
            )?;
        }
        if !self.tickets_changed.is_empty() {
            let mut c = Columns::default();
            for (id, t) in &self.tickets_changed {
                c.ids.push(*id as i64);
                c.states.push(t.state.map(str::to_string));
                c.services.push(t.service.clone());
                c.called.push(t.called_at);
                c.serving.push(t.serving_at);
                c.ended.push(t.ended_at);
                c.flags.push(t.reopened);
            }
            // A reopened ticket (its end undone) loses its end unless it ended again after;
            // its state is serving when service had started, else called.
            tx.execute(
                "UPDATE integra.tickets AS t SET
                     state = CASE WHEN u.state = 'reopened'
                                  THEN CASE WHEN coalesce(t.serving_at, u.serving_at) IS NULL
                                            THEN 'called' ELSE 'serving' END
                                  ELSE coalesce(u.state, t.state) END,
                     service = coalesce(u.service, t.service),
                     called_at = coalesce(t.called_at, u.called_at),
                     serving_at = coalesce(t.serving_at, u.serving_at),
                     ended_at = CASE WHEN u.reopened THEN u.ended_at
                                     ELSE coalesce(u.ended_at, t.ended_at) END
                 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::timestamptz[], $7::timestamptz[], $8::boolean[])
                     AS u(id, state, service, called_at, serving_at, ended_at, reopened)
                 WHERE t.center = $1 AND t.id = u.id",
                &[
                    &center,
                    &c.ids,
                    &c.states,
                    &c.services,
                    &c.called,
                    &c.serving,
                    &c.ended,
                    &c.flags,
                ],
            )?;
        }
        if !self.appointments_new.is_empty() {
            let ids: Vec<i64> = self.appointments_new.keys().map(|k| *k as i64).collect();
            let services: Vec<&str> = self
                .appointments_new
                .values()
                .map(|a| a.service.as_str())
                .collect();
            let days: Vec<NaiveDate> = self.appointments_new.values().map(|a| a.day).collect();
            let slots: Vec<NaiveTime> = self.appointments_new.values().map(|a| a.slot).collect();
            let states: Vec<&str> = self.appointments_new.values().map(|a| a.state).collect();
            tx.execute(
                "INSERT INTO integra.appointments (center, id, service, day, slot, state)
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::date[], $5::time[], $6::text[])
                 ON CONFLICT (center, id) DO UPDATE SET service = EXCLUDED.service,
                     day = EXCLUDED.day, slot = EXCLUDED.slot, state = EXCLUDED.state",
                &[&center, &ids, &services, &days, &slots, &states],
            )?;
        }
        if !self.appointments_changed.is_empty() {
            let ids: Vec<i64> = self
                .appointments_changed
                .keys()
                .map(|k| *k as i64)
                .collect();
            let states: Vec<&str> = self.appointments_changed.values().copied().collect();
            tx.execute(
                "UPDATE integra.appointments AS a SET state = u.state
                 FROM unnest($2::bigint[], $3::text[]) AS u(id, state)
                 WHERE a.center = $1 AND a.id = u.id",
                &[&center, &ids, &states],
            )?;
        }
        if !self.signups_new.is_empty() {
            let mut ids = Vec::new();
            let mut activities = Vec::new();
            let mut days = Vec::new();
            let mut flags: [Vec<bool>; 3] = Default::default();
            for (id, s) in &self.signups_new {
                let Some(day) = s.day else { continue };
                ids.push(*id as i64);
                activities.push(s.activity.as_str());
                days.push(day);
                flags[0].push(s.seated.unwrap_or(false));
                flags[1].push(s.cancelled.unwrap_or(false));
                flags[2].push(s.attended.unwrap_or(false));
            }
            tx.execute(
                "INSERT INTO integra.signups (center, id, activity, day, seated, cancelled, attended)
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::date[], $5::boolean[],
                     $6::boolean[], $7::boolean[])
                 ON CONFLICT (center, id) DO UPDATE SET activity = EXCLUDED.activity,
                     day = EXCLUDED.day, seated = EXCLUDED.seated,
                     cancelled = EXCLUDED.cancelled, attended = EXCLUDED.attended",
                &[&center, &ids, &activities, &days, &flags[0], &flags[1], &flags[2]],
            )?;
        }
        if !self.signups_changed.is_empty() {
            let ids: Vec<i64> = self.signups_changed.keys().map(|k| *k as i64).collect();
            let seated: Vec<Option<bool>> =
                self.signups_changed.values().map(|s| s.seated).collect();
            let cancelled: Vec<Option<bool>> =
                self.signups_changed.values().map(|s| s.cancelled).collect();
            let attended: Vec<Option<bool>> =
                self.signups_changed.values().map(|s| s.attended).collect();
            tx.execute(
                "UPDATE integra.signups AS s SET seated = coalesce(u.seated, s.seated),
                     cancelled = coalesce(u.cancelled, s.cancelled),
                     attended = coalesce(u.attended, s.attended)
                 FROM unnest($2::bigint[], $3::boolean[], $4::boolean[], $5::boolean[])
                     AS u(id, seated, cancelled, attended)
                 WHERE s.center = $1 AND s.id = u.id",
                &[&center, &ids, &seated, &cancelled, &attended],
            )?;
        }
        Ok(())
    }
}

#[derive(Default)]
pub(super) struct Columns {
    pub(super) ids: Vec<i64>,
    pub(super) days: Vec<NaiveDate>,
    pub(super) services: Vec<Option<String>>,
    pub(super) priorities: Vec<Option<String>>,
    pub(super) langs: Vec<String>,
    pub(super) flags: Vec<bool>,
    pub(super) issued: Vec<DateTime<Utc>>,
    pub(super) states: Vec<Option<String>>,
    pub(super) called: Vec<Option<DateTime<Utc>>>,
    pub(super) serving: Vec<Option<DateTime<Utc>>>,
    pub(super) ended: Vec<Option<DateTime<Utc>>>,
}
