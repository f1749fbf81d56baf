//! Clock jumps and the queue's day (issue #31): the day turns only by decision, a clock put
//! back never cancels, reopens or renumbers, the line keeps arrival order, midnight keeps the
//! visitor at a counter, the purge never erases what is still to come. The core and the
//! engine with an injected clock; the real `integra hub` under libfaketime is in `daysfake`.

use super::common::*;
use chrono::{Duration, NaiveDate, NaiveTime};
use integra::core::{
    AppointmentState, CancelReason, ClockTrust, Command, Contact, DayTurn, Event, Lang, Queue,
    QueueError, Stamped, TicketState,
};
use integra::engine::Engine;

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, day).expect("a January day")
}

fn book(q: &mut Queue, day: u32, hour: u32, now: chrono::DateTime<chrono::Utc>) -> String {
    booked(&ok(
        q,
        Command::BookAppointment {
            service: "legal".into(),
            date: date(day),
            time: NaiveTime::from_hms_opt(hour, 0, 0).expect("time"),
            lang: Lang::Es,
            contact: Contact {
                name: Some("Marie Joseph".into()),
                phone: Some("300 555 0101".into()),
            },
            nonce: u64::from(day * 100 + hour),
        },
        now,
    ))
    .code
}

fn start_day(day: u32) -> Command {
    Command::StartDay {
        day: date(day),
        by: "coordinator".into(),
    }
}

fn cancelled(events: &[Stamped]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e.event, Event::TicketCancelled { .. }))
        .count()
}

/// A clock one day ahead for a while, then put back: nothing is cancelled or missed, numbers
/// go on, Tuesday's appointment does not check in on Monday; the real Tuesday turns the day
/// only when the clock is trusted or a coordinator confirms it.
#[test]
fn a_clock_a_day_ahead_then_back_loses_and_repeats_nothing() {
    let mut q = Queue::new(catalog());
    let t = local(5, 8, 0);
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("info", None), t + mins(1));
    let monday = book(&mut q, 5, 10, t);
    let tuesday = book(&mut q, 6, 9, t);

    // The clock jumps to Tuesday 08:30: an untrusted clock asks, and everything goes on.
    let ahead = local(6, 8, 30);
    assert_eq!(
        q.day_turn(ahead, ClockTrust::Unsure),
        DayTurn::Ask {
            clock_says: date(6),
            queue_day: date(5)
        }
    );
    let events = ok(&mut q, issue("info", None), ahead);
    assert_eq!(issued_label(&events), "A-003");
    assert_eq!(cancelled(&events), 0);
    assert_eq!(q.waiting_count(&"info".into()), 3);
    let err = q
        .apply(&Command::CheckIn { code: tuesday }, ahead)
        .expect_err("Tuesday's visitor cannot check in while the queue is on Monday");
    assert!(matches!(err, QueueError::NotToday { .. }), "{err}");
    // Monday's appointment is still Monday's: it checks in, it is not missed.
    let events = ok(
        &mut q,
        Command::CheckIn {
            code: monday.clone(),
        },
        ahead + mins(1),
    );
    assert_eq!(issued_label(&events), "B-001");
    // The clock is put back: the day stays, numbers go on.
    assert_eq!(
        q.day_turn(local(5, 9, 0), ClockTrust::Synced),
        DayTurn::Same
    );
    assert_eq!(
        issued_label(&ok(&mut q, issue("info", None), local(5, 9, 0))),
        "A-004"
    );
    assert!(
        q.state()
            .appointments
            .values()
            .all(|a| a.state != AppointmentState::Missed)
    );

    // A coordinator may only start a day after the queue's that the clock shows.
    let err = q
        .apply(&start_day(5), local(6, 8, 0))
        .expect_err("not after Monday");
    assert!(matches!(err, QueueError::DayNotAfter { .. }), "{err}");
    let err = q
        .apply(&start_day(7), local(6, 8, 0))
        .expect_err("not the clock's day");
    assert!(matches!(err, QueueError::DayNotClock { .. }), "{err}");

    // The real Tuesday on a trusted clock: the day turns; the waiting of Monday end with it.
    let tuesday_8 = local(6, 8, 0);
    assert_eq!(
        q.day_turn(tuesday_8, ClockTrust::Synced),
        DayTurn::Start(date(6))
    );
    let events = ok(&mut q, start_day(6), tuesday_8);
    assert_eq!(cancelled(&events), 5, "A-001..A-004 and B-001 were waiting");
    assert_eq!(
        issued_label(&ok(&mut q, issue("info", None), tuesday_8 + mins(1))),
        "A-001"
    );
    q.state().check_invariants().expect("consistent");
}

/// A hub that boots at the epoch (no battery clock) and is corrected later: the clock is behind
/// the queue's day, so nothing is cancelled, reopened or renumbered, and today's appointment
/// still checks in.
#[test]
fn a_boot_at_the_epoch_then_corrected_keeps_the_morning() {
    let mut q = Queue::new(catalog());
    let t = local(5, 8, 0);
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("legal", None), t + mins(1));
    let code = book(&mut q, 5, 11, t);
    let epoch = chrono::DateTime::UNIX_EPOCH;
    assert_eq!(
        q.day_turn(epoch, ClockTrust::Unsure),
        DayTurn::Behind {
            clock_says: chrono::DateTime::UNIX_EPOCH
                .with_timezone(&tz())
                .date_naive(),
            queue_day: date(5)
        }
    );
    let events = ok(&mut q, issue("info", None), epoch);
    assert_eq!(issued_label(&events), "A-002");
    assert_eq!(cancelled(&events), 0);
    let events = ok(
        &mut q,
        Command::CheckIn { code },
        epoch + Duration::seconds(5),
    );
    assert_eq!(issued_label(&events), "B-002");
    // Corrected: the same day goes on.
    assert_eq!(q.day_turn(t + mins(30), ClockTrust::Synced), DayTurn::Same);
    assert_eq!(
        issued_label(&ok(&mut q, issue("info", None), t + mins(30))),
        "A-003"
    );
    assert_eq!(q.state().tickets.len(), 5);
    assert!(q.state().tickets.values().all(|t| t.state.is_open()));
}

/// The clock steps back 40 minutes: the last arrival still waits behind the two before them,
/// and the lobby's figures agree.
#[test]
fn a_step_back_of_forty_minutes_keeps_the_line_in_order() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("info", None), t + mins(1));
    let back = t + mins(2) - mins(40);
    let last = ok(&mut q, issue("info", None), back); // A-003, stamped 38 minutes earlier
    assert_eq!(issued_label(&last), "A-003");
    let id = q.ticket_by_label("A-003").expect("one ticket").id;
    assert_eq!(q.position(id).map(|p| p.ahead), Some(2));
    let order: Vec<String> = (0..3)
        .map(|i| {
            let events = ok(
                &mut q,
                Command::CallNext {
                    counter: "1".into(),
                },
                back + mins(1 + i),
            );
            called_label(&q, &events)
        })
        .collect();
    assert_eq!(order, ["A-001", "A-002", "A-003"]);
}

/// Midnight with a visitor at a counter and two waiting: the one served stays and is counted
/// served on the day they came; the two waiting end with the day (their page says so); the
/// new day's numbers never give the label still at the counter.
#[test]
fn midnight_keeps_the_visitor_at_the_counter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut e = Engine::open(dir.path(), catalog()).expect("engine");
    let t = local(5, 23, 0);
    for m in 0..3 {
        e.execute(&issue("info", None), t + mins(m)).expect("issue");
    }
    e.execute(
        &Command::CallNext {
            counter: "1".into(),
        },
        t + mins(10),
    )
    .expect("call");
    let a1 = e.queue().ticket_by_label("A-001").expect("A-001").id;
    e.execute(&Command::StartServing { ticket: a1 }, t + mins(11))
        .expect("serve");
    let events = e
        .execute(&start_day(6), local(6, 0, 0))
        .expect("the new day");
    let ended: Vec<String> = events
        .iter()
        .filter_map(|x| match &x.event {
            Event::TicketCancelled {
                ticket,
                reason: CancelReason::DayEnded,
            } => Some(e.queue().state().day_ended[ticket].label()),
            _ => None,
        })
        .collect();
    assert_eq!(ended, ["A-002", "A-003"]);
    assert_eq!(
        e.queue().ticket(a1).map(|t| t.state),
        Some(TicketState::Serving)
    );
    assert_eq!(
        e.queue().current_at(&"1".into()).map(|t| t.id),
        Some(a1),
        "still at counter 1"
    );
    // The new day's first number is not the one still at the counter.
    let first = e
        .execute(&issue("info", None), local(6, 0, 5))
        .expect("issue");
    assert_eq!(issued_label(&first), "A-002");
    assert_eq!(e.queue().ticket_by_label("A-001").map(|t| t.id), Ok(a1));
    e.execute(&Command::Finish { ticket: a1 }, local(6, 0, 20))
        .expect("finish A-001");
    let next = e
        .execute(&issue("info", None), local(6, 0, 25))
        .expect("issue");
    assert_eq!(
        issued_label(&next),
        "A-003",
        "A-001 is not given again today"
    );
    e.queue().state().check_invariants().expect("consistent");
    // Reports: the served visitor counts once, served, on Monday; Tuesday has its own two.
    let facts = e.store().facts(date(5), date(6)).expect("facts");
    let monday: Vec<&str> = facts
        .tickets
        .iter()
        .filter(|f| f.day == date(5))
        .map(|f| f.state.as_str())
        .collect();
    assert_eq!(monday, ["done", "cancelled", "cancelled"]);
    assert_eq!(facts.tickets.iter().filter(|f| f.day == date(6)).count(), 2);
    // After a restart the same state comes back (snapshot at the new day, then replay).
    drop(e);
    let e = Engine::open(dir.path(), catalog()).expect("reopen");
    assert_eq!(
        e.queue().ticket_by_label("A-001").map(|t| t.state),
        Ok(TicketState::Done)
    );
    assert_eq!(e.queue().state().day_ended.len(), 2);
}

/// A snapshot written before the line was kept by arrival (its waiting index keyed by issue
/// time) still loads, and the line it rebuilds is in arrival order.
#[test]
fn a_snapshot_of_the_old_format_still_loads() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("info", None), t - mins(40));
    let mut v = serde_json::to_value(q.state()).expect("json");
    v["waiting"] = serde_json::json!({"info": {
        "fifo": [[(t - mins(40)).to_rfc3339(), 1], [t.to_rfc3339(), 0]],
        "priority": [],
        "appointment": []
    }});
    let old: integra::core::State = serde_json::from_value(v).expect("the old snapshot reads");
    let resumed = Queue::resume(catalog(), old, std::iter::empty());
    let line: Vec<String> = resumed
        .waiting(&"info".into())
        .iter()
        .map(|t| t.label())
        .collect();
    assert_eq!(line, ["A-001", "A-002"]);
    assert_eq!(resumed.state(), q.state());
}

/// A clock a year ahead: the purge never erases the contacts of appointments still to come in
/// the queue's day, whatever the clock says.
#[test]
fn a_clock_a_year_ahead_never_purges_future_appointments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut e = Engine::open(dir.path(), catalog()).expect("engine");
    let t = local(5, 8, 0);
    e.execute(&issue("info", None), t).expect("issue");
    e.execute(
        &Command::BookAppointment {
            service: "legal".into(),
            date: date(19),
            time: NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
            lang: Lang::Es,
            contact: Contact {
                name: Some("Wilner Joseph".into()),
                phone: Some("300 555 0202".into()),
            },
            nonce: 7,
        },
        t,
    )
    .expect("book in two weeks");
    drop(e);
    let mut store = integra::store::Store::open(dir.path()).expect("store");
    let a_year_ahead = NaiveDate::from_ymd_opt(2027, 1, 5).expect("date");
    let before = store.purge_before(a_year_ahead, 30).expect("limit");
    assert_eq!(before, date(5) - Duration::days(30));
    store.purge_personal(before).expect("purge");
    drop(store);
    let e = Engine::open(dir.path(), catalog()).expect("reopen");
    let a = e
        .queue()
        .state()
        .appointments
        .values()
        .next()
        .expect("the appointment");
    assert_eq!(a.contact.name.as_deref(), Some("Wilner Joseph"));
}
