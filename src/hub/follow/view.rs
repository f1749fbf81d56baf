use super::*;

// ---------------------------------------------------------------- what a link shows

/// What a valid link opens (as it was when the link was checked).
#[derive(Clone)]
pub(super) enum Found {
    Ticket(Box<Ticket>),
    Appointment(Box<Appointment>),
    SignUp(Box<SignUp>),
}

/// The subject of a valid token, still valid today; `None` for anything else.
pub(super) fn resolve(hub: &Hub, token: &str) -> Option<Found> {
    let (subject, given) = parse(token)?;
    let key = hub.inner.follow.key.get()?;
    let s = hub.session();
    let q = s.queue();
    // The queue's day, not the clock's: a clock that jumps does not close or reopen links.
    let today = q.day().unwrap_or_else(|| q.local(hub.now()).date());
    let (day, found) = match subject {
        Subject::Ticket(id) => {
            // Today's, one still at a counter from the day before, or one the day ended.
            let t = q.ticket(id).or_else(|| q.state().day_ended.get(&id))?;
            (t.day, Found::Ticket(Box::new(t.clone())))
        }
        Subject::Appointment(id) => {
            let a = q.state().appointments.get(&id)?;
            (a.date, Found::Appointment(Box::new(a.clone())))
        }
        Subject::SignUp(id) => {
            let su = q.state().signups.get(&id)?;
            (su.date, Found::SignUp(Box::new(su.clone())))
        }
    };
    if !same(&mac(key, subject, day), &given) {
        return None;
    }
    let valid = match subject {
        Subject::Ticket(_) => true,
        Subject::Appointment(_) | Subject::SignUp(_) => day >= today,
    };
    valid.then_some(found)
}

/// The page's words in one language. The embedded locales are checked by the tests; should
/// one not load, the page shows message ids rather than failing the visitor's request.
pub(super) struct Words {
    l: Option<Localizer>,
}

impl Words {
    pub(super) fn new(lang: Lang) -> Words {
        let l = Localizer::new(lang).or_else(|_| Localizer::new(Lang::En));
        if let Err(e) = &l {
            log::error!("the embedded locales do not load: {e}");
        }
        Words { l: l.ok() }
    }

    pub(super) fn text(&self, id: &str, args: Option<&FluentArgs>) -> String {
        self.l
            .as_ref()
            .map_or_else(|| id.to_string(), |l| l.text(id, args))
    }

    pub(super) fn t(&self, id: &str) -> String {
        self.text(id, None)
    }

    pub(super) fn ta(&self, id: &str, args: &[(&str, FluentValue<'static>)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.text(id, Some(&a))
    }

    pub(super) fn date(&self, d: NaiveDate) -> String {
        format!(
            "{} {}",
            self.t(weekday_id(d.weekday())),
            d.format("%d/%m/%Y")
        )
    }
}

pub(super) fn lang_param(q: &PageQuery) -> Option<Lang> {
    q.lang.as_deref().and_then(|l| l.parse().ok())
}

/// The view of a link: the JSON phones poll, and what the page shows, from the queue `q`
/// (the engine's, under its lock) in the words `w` of `lang`.
pub(super) fn view(
    catalog: &Catalog,
    q: &Queue,
    w: &Words,
    found: &Found,
    lang: Lang,
    feedback_given: bool,
) -> Value {
    let fallback = catalog.center.default_language;
    let mut v = match found {
        Found::Ticket(t) => {
            let ended_with_day =
                q.ticket(t.id).is_none() && q.state().day_ended.contains_key(&t.id);
            let t = q
                .ticket(t.id)
                .or_else(|| q.state().day_ended.get(&t.id))
                .unwrap_or(t);
            // The visitor's page is public: the ticket as the lobby sees it (a discreet one as
            // an ordinary ticket of its cover service), its place in the public queue.
            let at = q.position(t.id);
            let mut t = t.clone();
            crate::core::public::ticket(&mut t, catalog);
            let ahead = at.map(|p| p.ahead);
            let wait = at.map(|p| p.wait_minutes);
            let counter = t.counter.as_ref().map(|c| {
                catalog
                    .counter(c)
                    .map_or_else(|| c.to_string(), |c| c.public().to_string())
            });
            let service = catalog
                .service_name(&t.service, lang)
                .unwrap_or_default()
                .to_string();
            let headline = match t.state {
                TicketState::Waiting => match ahead {
                    Some(0) | None => w.t("follow-next"),
                    Some(n) => w.ta("follow-ahead", &[("count", FluentValue::from(n))]),
                },
                TicketState::Called => w.ta(
                    "follow-called",
                    &[(
                        "counter",
                        FluentValue::from(counter.clone().unwrap_or_default()),
                    )],
                ),
                TicketState::Serving => w.ta(
                    "follow-serving",
                    &[(
                        "counter",
                        FluentValue::from(counter.clone().unwrap_or_default()),
                    )],
                ),
                TicketState::Done => w.t("follow-done"),
                TicketState::Cancelled if ended_with_day => w.t("follow-day-ended"),
                TicketState::NoShow | TicketState::Cancelled => w.t("follow-closed"),
            };
            let detail = match (t.state, ahead, wait) {
                (TicketState::Cancelled, _, _) if ended_with_day => w.t("follow-day-ended-detail"),
                (TicketState::Waiting, Some(a), Some(m)) if a > 0 => {
                    w.ta("follow-wait", &[("minutes", FluentValue::from(m))])
                }
                (TicketState::Waiting, _, _) => w.t("follow-live"),
                (TicketState::Called, _, _) => w.t("follow-called-at"),
                (TicketState::Done, _, _) if feedback_given => w.t("follow-thanks"),
                _ => String::new(),
            };
            json!({
                "kind": "ticket",
                "label": t.label(),
                "state": if ended_with_day { "day_ended" } else { t.state.as_str() },
                "ahead": ahead,
                "estimated_wait_minutes": wait,
                "counter": counter,
                "service": service,
                "feedback": if t.state != TicketState::Done { "not-yet" } else if feedback_given { "given" } else { "open" },
                "headline": headline,
                "detail": detail,
            })
        }
        Found::Appointment(a) => {
            // The visitor's page is public: the appointment as the lobby sees it (a discreet
            // one as an appointment of its cover service: its name, what it says to bring).
            let mut a = q.state().appointments.get(&a.id).unwrap_or(a).clone();
            crate::core::public::appointment(&mut a, catalog);
            let service = catalog.service(&a.service);
            let name = service.map(|s| pick(&s.name, lang, fallback).to_string());
            let bring = service
                .map(|s| pick(&s.bring, lang, fallback).to_string())
                .filter(|b| !b.is_empty());
            let state = match a.state {
                AppointmentState::Booked => "booked",
                AppointmentState::CheckedIn => "checked-in",
                AppointmentState::Cancelled => "cancelled",
                AppointmentState::Missed => "missed",
            };
            let headline = match a.state {
                AppointmentState::Booked => {
                    name.clone().unwrap_or_else(|| w.t("follow-appointment"))
                }
                AppointmentState::CheckedIn => w.t("follow-checked-in"),
                AppointmentState::Cancelled => w.t("follow-cancelled"),
                AppointmentState::Missed => w.t("follow-missed"),
            };
            json!({
                "kind": "appointment",
                "state": state,
                "service": name,
                "date": a.date,
                "time": a.time.format("%H:%M").to_string(),
                "when": w.ta("follow-when", &[("date", FluentValue::from(w.date(a.date))), ("time", FluentValue::from(a.time.format("%H:%M").to_string()))]),
                "place": catalog.center.name,
                "bring": bring,
                "cancellable": a.state == AppointmentState::Booked,
                "headline": headline,
                "detail": "",
            })
        }
        Found::SignUp(su) => {
            let su = q.state().signups.get(&su.id).unwrap_or(su);
            let activity = catalog.activities.iter().find(|x| x.code == su.activity);
            let title = activity.map(|x| pick(&x.title, lang, fallback).to_string());
            let place = activity.map_or_else(|| catalog.center.name.clone(), |x| x.place.clone());
            let time = activity
                .map(|x| x.start.0.format("%H:%M").to_string())
                .unwrap_or_default();
            let cancelled = !q.state().signups.contains_key(&su.id);
            json!({
                "kind": "signup",
                "state": if cancelled { "cancelled" } else if su.seated { "seated" } else { "waitlist" },
                "activity": title,
                "date": su.date,
                "time": time,
                "when": w.ta("follow-when", &[("date", FluentValue::from(w.date(su.date))), ("time", FluentValue::from(time.clone()))]),
                "place": place,
                "bring": Value::Null,
                "cancellable": !cancelled,
                "headline": if cancelled { w.t("follow-cancelled") } else { title.clone().unwrap_or_else(|| w.t("follow-signup")) },
                "detail": if !cancelled && !su.seated { w.t("follow-waitlist") } else { String::new() },
            })
        }
    };
    v["lang"] = json!(lang);
    v["center"] = json!(catalog.center.name);
    // A version of what the page shows: a long poll returns as soon as it changes.
    let version = {
        let text = v.to_string();
        let h = Sha256::digest(text.as_bytes());
        b64(&h[..9])
    };
    v["version"] = json!(version);
    v
}

pub(super) fn lang_of(found: &Found) -> Lang {
    match found {
        Found::Ticket(t) => t.lang,
        Found::Appointment(a) => a.lang,
        Found::SignUp(s) => s.lang,
    }
}
