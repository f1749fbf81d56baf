//! Property tests over random command sequences (random services, priorities, calls, transfers,
//! appointments, sign-ups and clock jumps across days). After every step:
//! no number twice per day and prefix, every ticket in exactly one consistent state, seats never
//! oversold, the fairness bound always holds (checked by an independent model), a refused command
//! changes nothing; at the end, replaying the events rebuilds the same state.

use super::common::*;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use integra::core::{
    ClockTrust, Command, Contact, DayTurn, Event, Lang, Queue, ServiceCode, Stamped, TicketId,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
enum Op {
    Issue(usize, Option<usize>, usize),
    Call(usize),
    Recall(usize),
    Start(usize),
    Finish(usize),
    NoShow(usize),
    Reopen(usize),
    Cancel(usize),
    Transfer(usize, usize),
    Book(u64, usize, u64),
    CheckIn(usize),
    CancelAppointment(usize),
    SignUp(u64, u64),
    CancelSignUp(usize),
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..4usize, proptest::option::weighted(0.3, 0..3usize), 0..5usize)
            .prop_map(|(s, p, l)| Op::Issue(s, p, l)),
        6 => (0..4usize).prop_map(Op::Call),
        1 => any::<usize>().prop_map(Op::Recall),
        2 => any::<usize>().prop_map(Op::Start),
        2 => any::<usize>().prop_map(Op::Finish),
        1 => any::<usize>().prop_map(Op::NoShow),
        2 => any::<usize>().prop_map(Op::Reopen),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => (any::<usize>(), 0..4usize).prop_map(|(t, s)| Op::Transfer(t, s)),
        2 => (0..3u64, 0..10usize, any::<u64>()).prop_map(|(d, s, n)| Op::Book(d, s, n)),
        2 => any::<usize>().prop_map(Op::CheckIn),
        1 => any::<usize>().prop_map(Op::CancelAppointment),
        2 => (0..8u64, 0..4u64).prop_map(|(d, n)| Op::SignUp(d, n)),
        1 => any::<usize>().prop_map(Op::CancelSignUp),
        4 => prop_oneof![9 => 0..20i64, 1 => 300..1500i64].prop_map(Op::Wait),
    ]
}

const SERVICES: [&str; 4] = ["info", "legal", "jobs", "nope"];
const CLASSES: [&str; 3] = ["pregnant", "older", "vip"];
const COUNTERS: [&str; 4] = ["1", "2", "3", "9"];

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

fn to_command(q: &Queue, op: &Op, now: DateTime<Utc>) -> Option<Command> {
    let tickets: Vec<TicketId> = q.state().tickets.keys().copied().collect();
    let codes: Vec<String> = q
        .state()
        .appointments
        .values()
        .map(|a| a.code.clone())
        .collect();
    let signups: Vec<String> = q.state().signups.values().map(|s| s.code.clone()).collect();
    let today = now.with_timezone(&tz()).date_naive();
    Some(match op {
        Op::Issue(s, p, l) => Command::IssueTicket {
            service: ServiceCode::from(SERVICES[*s]),
            lang: Lang::ALL[*l],
            priority: p.map(|p| CLASSES[p].into()),
        },
        Op::Call(c) => Command::CallNext {
            counter: COUNTERS[*c].into(),
        },
        Op::Recall(t) => Command::Recall {
            ticket: pick(&tickets, *t)?,
        },
        Op::Start(t) => Command::StartServing {
            ticket: pick(&tickets, *t)?,
        },
        Op::Finish(t) => Command::Finish {
            ticket: pick(&tickets, *t)?,
        },
        Op::NoShow(t) => Command::NoShow {
            ticket: pick(&tickets, *t)?,
        },
        Op::Reopen(t) => Command::Reopen {
            ticket: pick(&tickets, *t)?,
        },
        Op::Cancel(t) => Command::Cancel {
            ticket: pick(&tickets, *t)?,
        },
        Op::Transfer(t, s) => Command::Transfer {
            ticket: pick(&tickets, *t)?,
            to: SERVICES[*s].into(),
        },
        Op::Book(d, slot, nonce) => Command::BookAppointment {
            service: "legal".into(),
            date: today + chrono::Days::new(*d),
            time: NaiveTime::from_hms_opt(8, 0, 0)? + Duration::minutes(30 * *slot as i64),
            lang: Lang::Es,
            contact: Contact::default(),
            nonce: *nonce,
        },
        Op::CheckIn(i) => Command::CheckIn {
            code: pick(&codes, *i)?,
        },
        Op::CancelAppointment(i) => Command::CancelAppointment {
            code: pick(&codes, *i)?,
        },
        Op::SignUp(d, nonce) => Command::SignUp {
            activity: "sewing".into(),
            date: today + chrono::Days::new(*d),
            lang: Lang::Pt,
            contact: Contact::default(),
            nonce: *nonce,
        },
        Op::CancelSignUp(i) => Command::CancelSignUp {
            code: pick(&signups, *i)?,
        },
        // Time passes; on a new day (this clock is trusted) the day turns.
        Op::Wait(_) => match q.day_turn(now, ClockTrust::Synced) {
            DayTurn::Start(day) => Command::StartDay {
                day,
                by: "hub".into(),
            },
            DayTurn::Same | DayTurn::Ask { .. } | DayTurn::Behind { .. } => Command::Tick,
        },
    })
}

/// An independent model of who waits where, to check the fairness bound from the events alone.
#[derive(Default)]
struct Fairness {
    issued_at: BTreeMap<TicketId, DateTime<Utc>>,
    waiting: BTreeMap<TicketId, (ServiceCode, u32)>,
}

impl Fairness {
    fn observe(&mut self, e: &Stamped, bound: u32, max_wait: Duration) -> Result<(), String> {
        match &e.event {
            Event::DayStarted { .. } => {
                self.waiting.clear();
            }
            Event::TicketIssued { ticket, .. } => {
                self.issued_at.insert(ticket.id, ticket.issued_at);
                self.waiting.insert(ticket.id, (ticket.service.clone(), 0));
            }
            Event::TicketCalled { ticket, scope, .. } => {
                let key = (self.issued_at[ticket], *ticket);
                for (id, (service, count)) in self.waiting.iter_mut() {
                    let other = (self.issued_at[id], *id);
                    if id != ticket && scope.contains(service) && other < key {
                        *count += 1;
                        if *count > bound {
                            return Err(format!(
                                "ticket {id} overtaken {count} times (bound {bound})"
                            ));
                        }
                        if e.at - other.0 >= max_wait {
                            return Err(format!(
                                "ticket {id} overtaken after waiting {} min",
                                (e.at - other.0).num_minutes()
                            ));
                        }
                    }
                }
                self.waiting.remove(ticket);
            }
            Event::TicketTransferred { ticket, to, .. } => {
                let count = self.waiting.get(ticket).map_or(0, |w| w.1);
                // A called ticket keeps the count it had; the core keeps it on the ticket.
                let kept = self.waiting.remove(ticket).map(|w| w.1);
                self.waiting
                    .insert(*ticket, (to.clone(), kept.unwrap_or(count)));
            }
            Event::TicketFinished { ticket, .. }
            | Event::TicketNoShow { ticket, .. }
            | Event::TicketCancelled { ticket, .. } => {
                self.waiting.remove(ticket);
            }
            _ => {}
        }
        Ok(())
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let catalog = catalog();
    let bound = catalog.priority.max_overtakes;
    let max_wait = Duration::minutes(i64::from(catalog.priority.max_wait_minutes));
    let mut q = Queue::new(catalog.clone());
    let mut now = local(5, 8, 0);
    let mut log: Vec<Stamped> = Vec::new();
    let mut numbers = BTreeSet::new();
    let mut fairness = Fairness::default();
    // Called tickets that get transferred keep their core-side count: mirror it.
    for op in ops {
        if let Op::Wait(m) = op {
            now += Duration::minutes(*m);
        }
        let Some(cmd) = to_command(&q, op, now) else {
            continue;
        };
        let before = q.state().clone();
        match q.apply(&cmd, now) {
            Ok(events) => {
                for e in &events {
                    prop_assert_eq!(e.seq, log.last().map_or(0, |l: &Stamped| l.seq) + 1);
                    if let Event::TicketIssued { ticket, .. } = &e.event {
                        prop_assert!(
                            numbers.insert((ticket.day, ticket.prefix, ticket.number)),
                            "number {} given twice on {}",
                            ticket.label(),
                            ticket.day
                        );
                    }
                    if let Event::TicketTransferred { ticket, .. } = &e.event
                        && let Some(t) = before.tickets.get(ticket)
                    {
                        fairness
                            .waiting
                            .insert(*ticket, (t.service.clone(), t.overtaken));
                    }
                    fairness
                        .observe(e, bound, max_wait)
                        .map_err(TestCaseError::fail)?;
                    log.push(e.clone());
                }
            }
            Err(err) => {
                prop_assert_eq!(
                    q.state(),
                    &before,
                    "refused {:?} ({}) changed the state",
                    cmd,
                    err
                );
            }
        }
        q.state()
            .check_invariants()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for t in q.state().tickets.values() {
            prop_assert!(
                t.overtaken <= bound,
                "{} overtaken {} times",
                t.label(),
                t.overtaken
            );
        }
        let mut seated: BTreeMap<_, u32> = BTreeMap::new();
        for s in q.state().signups.values().filter(|s| s.seated) {
            *seated.entry((s.activity.clone(), s.date)).or_default() += 1;
        }
        for ((activity, date), n) in seated {
            let seats = catalog.activity(&activity).map_or(0, |a| a.seats);
            prop_assert!(
                n <= seats,
                "{activity} on {date}: {n} seated, {seats} seats"
            );
        }
    }
    let replayed = Queue::replay(catalog, &log);
    prop_assert_eq!(replayed.state(), q.state());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_days_keep_every_rule(ops in proptest::collection::vec(op(), 1..300)) {
        run(&ops)?;
    }
}

/// A long busy day of priority tickets: the bound holds under sustained pressure.
#[test]
fn sustained_priority_pressure_respects_the_bound() {
    let mut ops = Vec::new();
    for i in 0..200 {
        ops.push(Op::Issue(0, (i % 4 != 0).then_some(i % 2), 0));
        if i % 3 == 0 {
            ops.push(Op::Call(1));
        }
        ops.push(Op::Wait(1));
    }
    run(&ops).expect("rules hold");
}
