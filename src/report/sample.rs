//! A made-up but plausible history for tests, benchmarks and training: days of walk-in
//! visitors (some priority, in every language), counters calling, serving and marking
//! no-shows, appointments booked ahead (most come, some cancel, some miss), and activity
//! sign-ups. Everything goes through the real queue (`Queue::apply`), so the events are exactly
//! what a center would have recorded. Pure: the randomness is a seeded generator.

use crate::core::catalog::{Day, Mode};
use crate::core::{
    Catalog, Command, Contact, CounterId, Outcome, PriorityClass, Queue, ServiceCode, Stamped,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A small, good-enough PRNG (xorshift64*), so that a seed gives the same history everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// 0..n
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    /// true with probability `percent` %.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

enum Phase {
    Called,
    Serving,
}

struct Busy {
    ticket: crate::core::TicketId,
    phase: Phase,
    /// When the next step happens.
    at: DateTime<Utc>,
    no_show: bool,
    serve_minutes: i64,
}

struct Sim {
    q: Queue,
    events: Vec<Stamped>,
    rng: Rng,
}

impl Sim {
    fn run(&mut self, cmd: Command, now: DateTime<Utc>) -> Option<Vec<Stamped>> {
        match self.q.apply(&cmd, now) {
            Ok(ev) => {
                self.events.extend(ev.iter().cloned());
                Some(ev)
            }
            Err(_) => None,
        }
    }
}

/// A made-up name and phone for most visitors who book or sign up (some give none), so that
/// the privacy purge has real work in benchmarks.
fn made_up_contact(n: u64) -> Contact {
    if n.is_multiple_of(4) {
        return Contact::default();
    }
    Contact {
        name: Some(format!("Visitante {n}")),
        phone: Some(format!("300 555 {:04}", n % 10_000)),
    }
}

/// The demo center open every day 8:00–18:00 with twice the counters, so that a generated
/// history really has about 500 walk-in tickets on each day (benchmarks).
pub fn busy_catalog() -> Result<Catalog, crate::core::CatalogError> {
    let mut c = Catalog::demo()?;
    let span = crate::core::catalog::Span {
        start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
        end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
    };
    let every_day: BTreeMap<Day, Vec<crate::core::catalog::Span>> = [
        chrono::Weekday::Mon,
        chrono::Weekday::Tue,
        chrono::Weekday::Wed,
        chrono::Weekday::Thu,
        chrono::Weekday::Fri,
        chrono::Weekday::Sat,
        chrono::Weekday::Sun,
    ]
    .into_iter()
    .map(|d| (Day(d), vec![span]))
    .collect();
    for s in &mut c.services {
        if !s.hours.is_empty() {
            s.hours = every_day.clone();
        }
    }
    let extra: Vec<_> = c
        .counters
        .iter()
        .map(|k| {
            let mut k = k.clone();
            k.id = format!("{}b", k.id).as_str().into();
            k
        })
        .collect();
    c.counters.extend(extra);
    c.validate("bench")?;
    Ok(c)
}

/// The events of `days` days from `first`, about `per_day` walk-in visitors on each weekday.
pub fn generate(
    catalog: Arc<Catalog>,
    first: NaiveDate,
    days: u32,
    per_day: u32,
    seed: u64,
) -> Vec<Stamped> {
    let tz = catalog.center.timezone;
    let at = |d: NaiveDate, t: NaiveTime| -> DateTime<Utc> {
        tz.from_local_datetime(&d.and_time(t))
            .earliest()
            .map(|x| x.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(t)))
    };
    let mut sim = Sim {
        q: Queue::new(catalog.clone()),
        events: Vec::new(),
        rng: Rng::new(seed),
    };
    let langs = catalog.center.languages.clone();
    let walk_in: Vec<ServiceCode> = catalog
        .services
        .iter()
        .filter(|s| s.takes(Mode::WalkIn))
        .map(|s| s.code.clone())
        .collect();
    let by_appointment: Vec<ServiceCode> = catalog
        .services
        .iter()
        .filter(|s| s.takes(Mode::Appointment))
        .map(|s| s.code.clone())
        .collect();
    let classes: Vec<PriorityClass> = catalog
        .priority
        .classes
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let counters: Vec<CounterId> = catalog.counters.iter().map(|c| c.id.clone()).collect();
    // Appointment codes by day, to check in (or not) when the day comes.
    let mut booked: BTreeMap<NaiveDate, Vec<(String, NaiveTime)>> = BTreeMap::new();
    let mut signups: Vec<(String, NaiveDate)> = Vec::new();
    let mut nonce = seed;

    for offset in 0..days {
        let Some(day) = first.checked_add_days(chrono::Days::new(u64::from(offset))) else {
            break;
        };
        let open = at(day, NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default());
        // The day starts (the waiting of the day before end with it, missed appointments).
        sim.run(
            Command::StartDay {
                day,
                by: "hub".into(),
            },
            open,
        );
        // Closed all day (no walk-in service has hours on this weekday): nobody comes.
        let opens_today = walk_in.iter().any(|code| {
            catalog
                .service(code)
                .is_some_and(|s| s.hours.contains_key(&Day(day.weekday())))
        });
        if !opens_today {
            continue;
        }
        // Book appointments for the coming week and sign up for activities.
        for _ in 0..(per_day / 20).max(1) {
            if by_appointment.is_empty() {
                break;
            }
            let service = &by_appointment[sim.rng.below(by_appointment.len() as u64) as usize];
            let ahead = 1 + sim.rng.below(7);
            let Some(date) = day.checked_add_days(chrono::Days::new(ahead)) else {
                continue;
            };
            let slots = catalog
                .service(service)
                .map(|s| s.slots_on(date))
                .unwrap_or_default();
            if slots.is_empty() {
                continue;
            }
            let time = slots[sim.rng.below(slots.len() as u64) as usize];
            nonce = nonce.wrapping_add(1);
            let lang = langs[sim.rng.below(langs.len() as u64) as usize];
            if let Some(ev) = sim.run(
                Command::BookAppointment {
                    service: service.clone(),
                    date,
                    time,
                    lang,
                    contact: made_up_contact(nonce),
                    nonce,
                },
                open,
            ) && let Some(appointment) = ev.booked()
            {
                booked
                    .entry(appointment.date)
                    .or_default()
                    .push((appointment.code.clone(), appointment.time));
            }
        }
        for a in &catalog.activities {
            let sessions = a.next_dates(day, 7);
            for date in sessions.into_iter().take(1) {
                for _ in 0..sim.rng.below(u64::from(a.seats) / 3 + 2) {
                    nonce = nonce.wrapping_add(1);
                    let lang = langs[sim.rng.below(langs.len() as u64) as usize];
                    if let Some(ev) = sim.run(
                        Command::SignUp {
                            activity: a.code.clone(),
                            date,
                            lang,
                            contact: made_up_contact(nonce),
                            nonce,
                        },
                        open,
                    ) && let Some((signup, _)) = ev.signed_up()
                    {
                        signups.push((signup.code.clone(), signup.date));
                    }
                }
            }
        }
        // Some sign-ups are cancelled.
        let mut keep = Vec::new();
        for (code, date) in std::mem::take(&mut signups) {
            if date >= day && sim.rng.chance(5) {
                sim.run(Command::CancelSignUp { code }, open);
            } else if date >= day {
                keep.push((code, date));
            }
        }
        signups = keep;

        // Today's arrivals: walk-ins between 8:00 and 16:30, appointments around their slot.
        let mut arrivals: Vec<(DateTime<Utc>, Command)> = Vec::new();
        for _ in 0..per_day {
            // A time and a service open at that time (a few tries, as visitors would).
            let mut pick = None;
            for _ in 0..40 {
                let secs = sim.rng.below(8 * 3600 + 1800) as i64;
                let t = open + Duration::seconds(secs);
                let service = walk_in[sim.rng.below(walk_in.len() as u64) as usize].clone();
                let local = t.with_timezone(&tz).naive_local();
                if catalog
                    .service(&service)
                    .is_some_and(|s| s.is_open_at(local.date(), local.time()))
                {
                    pick = Some((t, service));
                    break;
                }
            }
            let Some((t, service)) = pick else { continue };
            let lang = langs[sim.rng.below(langs.len() as u64) as usize];
            let priority = if sim.rng.chance(12) && !classes.is_empty() {
                Some(classes[sim.rng.below(classes.len() as u64) as usize].clone())
            } else {
                None
            };
            arrivals.push((
                t,
                Command::IssueTicket {
                    service,
                    lang,
                    priority,
                },
            ));
        }
        // Most people signed up for today's activities come and check in at the kiosk.
        for (code, date) in &signups {
            if *date == day && sim.rng.chance(80) {
                let t = open + Duration::minutes(30 + sim.rng.below(240) as i64);
                arrivals.push((t, Command::CheckIn { code: code.clone() }));
            }
        }
        for (code, time) in booked.remove(&day).unwrap_or_default() {
            let r = sim.rng.below(100);
            if r < 70 {
                let t = at(day, time) - Duration::minutes(sim.rng.below(15) as i64);
                arrivals.push((t.max(open), Command::CheckIn { code }));
            } else if r < 80 {
                arrivals.push((open, Command::CancelAppointment { code }));
            } // else: missed (the next day's rollover says so)
        }
        arrivals.sort_by_key(|(t, _)| *t);

        // Minute by minute until everyone is served or 18:00.
        let close = at(day, NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default());
        let mut busy: BTreeMap<CounterId, Busy> = BTreeMap::new();
        let mut next_arrival = 0;
        let mut now = open;
        while now <= close {
            while next_arrival < arrivals.len() && arrivals[next_arrival].0 <= now {
                let (t, cmd) = arrivals[next_arrival].clone();
                sim.run(cmd, t);
                next_arrival += 1;
            }
            for counter in &counters {
                if let Some(b) = busy.get_mut(counter)
                    && b.at <= now
                {
                    match b.phase {
                        Phase::Called if b.no_show => {
                            sim.run(Command::NoShow { ticket: b.ticket }, b.at);
                            busy.remove(counter);
                        }
                        Phase::Called => {
                            sim.run(Command::StartServing { ticket: b.ticket }, b.at);
                            b.phase = Phase::Serving;
                            b.at += Duration::minutes(b.serve_minutes)
                                + Duration::seconds(sim.rng.below(60) as i64);
                        }
                        Phase::Serving => {
                            sim.run(Command::Finish { ticket: b.ticket }, b.at);
                            busy.remove(counter);
                        }
                    }
                }
                if !busy.contains_key(counter)
                    && let Some(ev) = sim.run(
                        Command::CallNext {
                            counter: counter.clone(),
                        },
                        now,
                    )
                    && let Some(ticket) = ev.called()
                {
                    let no_show = sim.rng.chance(6);
                    let serve_minutes = 2 + sim.rng.below(7) as i64;
                    busy.insert(
                        counter.clone(),
                        Busy {
                            ticket,
                            phase: Phase::Called,
                            at: now + Duration::minutes(if no_show { 3 } else { 1 }),
                            no_show,
                            serve_minutes,
                        },
                    );
                }
            }
            if next_arrival >= arrivals.len() && busy.is_empty() && now > open {
                break;
            }
            now += Duration::minutes(1);
        }
    }
    sim.events
}
