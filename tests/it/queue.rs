//! The queue rules, one scenario each, on the pure core (no store, no clock).

use super::common::*;
use integra::core::{
    AppointmentState, CancelReason, Command, Contact, CounterId, Event, Lang, Queue, QueueError,
    ServiceCode, TicketState,
};

fn next(q: &mut Queue, counter: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let events = ok(
        q,
        Command::CallNext {
            counter: CounterId::from(counter),
        },
        now,
    );
    called_label(q, &events)
}

fn id_of(q: &Queue, label: &str) -> integra::core::TicketId {
    q.ticket_by_label(label).expect("one ticket").id
}

#[test]
fn numbers_are_per_prefix_and_restart_when_the_new_day_starts() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    let labels: Vec<String> = [("info", 0), ("info", 1), ("legal", 2), ("info", 3)]
        .iter()
        .map(|(s, m)| issued_label(&ok(&mut q, issue(s, None), t + mins(*m))))
        .collect();
    assert_eq!(labels, ["A-001", "A-002", "B-001", "A-003"]);

    // 23:50 in Bogotá is already the next day in UTC, but still Monday for the center.
    let late = local(5, 23, 50);
    assert_eq!(late.format("%d").to_string(), "06");
    assert_eq!(
        issued_label(&ok(&mut q, issue("info", None), late)),
        "A-004"
    );

    // Just after local midnight the queue is still on Monday until the day is started.
    assert_eq!(
        issued_label(&ok(&mut q, issue("info", None), local(6, 0, 5))),
        "A-005"
    );
    // The new day starts: numbering starts again; Monday's waiting tickets end with it.
    let mut events = ok(
        &mut q,
        Command::StartDay {
            day: local(6, 0, 6).with_timezone(&tz()).date_naive(),
            by: "hub".into(),
        },
        local(6, 0, 6),
    );
    events.extend(ok(&mut q, issue("info", None), local(6, 0, 7)));
    assert_eq!(issued_label(&events), "A-001");
    let cancelled = events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                Event::TicketCancelled {
                    reason: CancelReason::DayEnded,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        cancelled, 6,
        "the six waiting tickets of Monday end with the day"
    );
    assert!(events.iter().any(
        |e| matches!(&e.event, Event::DayStarted { day, .. } if day.to_string() == "2026-01-06")
    ));
    assert_eq!(q.waiting_count(&ServiceCode::from("info")), 1);
}

#[test]
fn a_clock_that_goes_back_never_reuses_a_number() {
    let mut q = Queue::new(catalog());
    ok(&mut q, issue("info", None), local(6, 9, 0));
    // The clock jumps back to the day before (a Pi without RTC, then NTP): the day stays.
    let events = ok(&mut q, issue("info", None), local(5, 9, 0));
    assert_eq!(issued_label(&events), "A-002");
}

#[test]
fn sequence_numbers_only_grow() {
    let mut q = Queue::new(catalog());
    let mut last = 0;
    for i in 0..5 {
        for e in ok(&mut q, issue("info", None), monday_9() + mins(i)) {
            assert!(e.seq > last);
            last = e.seq;
        }
    }
    assert_eq!(q.seq(), last);
}

#[test]
fn priority_goes_first_within_the_fairness_bound() {
    // Bound: a ticket is overtaken at most 2 times.
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("info", Some("pregnant")), t + mins(1));
    ok(&mut q, issue("info", Some("older")), t + mins(2));
    ok(&mut q, issue("info", Some("pregnant")), t + mins(3));
    let order: Vec<String> = (0..4).map(|i| next(&mut q, "1", t + mins(5 + i))).collect();
    assert_eq!(order, ["A-002", "A-003", "A-001", "A-004"]);
}

#[test]
fn nobody_is_overtaken_after_waiting_the_time_bound() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("info", Some("pregnant")), t + mins(50));
    // A-001 has waited 51 minutes (bound 45): it is called first.
    assert_eq!(next(&mut q, "1", t + mins(51)), "A-001");
    assert_eq!(next(&mut q, "1", t + mins(52)), "A-002");
}

#[test]
fn counters_call_only_their_services_oldest_first() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("legal", None), t); // B-001
    ok(&mut q, issue("info", None), t + mins(1));
    ok(&mut q, issue("legal", None), t + mins(2)); // B-002
    assert_eq!(next(&mut q, "1", t + mins(3)), "A-001"); // counter 1: info only
    assert_eq!(next(&mut q, "2", t + mins(3)), "B-001"); // counter 2: info + legal
    let err = q
        .apply(
            &Command::CallNext {
                counter: "1".into(),
            },
            t + mins(4),
        )
        .expect_err("nothing left for counter 1");
    assert_eq!(err, QueueError::NothingWaiting("1".into()));
    // Counter 1 still holds A-001 after the refused call.
    assert_eq!(
        q.current_at(&"1".into()).map(|t| t.label()),
        Some("A-001".into())
    );
}

#[test]
fn call_next_finishes_the_current_visitor() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    ok(&mut q, issue("info", None), t);
    next(&mut q, "1", t + mins(1));
    let a = id_of(&q, "A-001");
    ok(&mut q, Command::StartServing { ticket: a }, t + mins(2));
    let events = ok(
        &mut q,
        Command::CallNext {
            counter: "1".into(),
        },
        t + mins(12),
    );
    assert!(matches!(events[0].event, Event::TicketFinished { .. }));
    assert_eq!(
        q.ticket_by_label("A-001").map(|t| t.state),
        Ok(TicketState::Done)
    );
    assert_eq!(
        q.ticket_by_label("A-002").map(|t| t.state),
        Ok(TicketState::Called)
    );
    // The 10-minute service time now drives the estimate (1 counter for info + counter 2 = 2).
    assert_eq!(q.service_seconds(&"info".into()), 600);
    assert_eq!(q.estimate_minutes(&"info".into(), 4), 20);
}

/// A finish or a no-show tapped by mistake is undone within 10 seconds: the visitor is back at
/// the counter (called, or being served if service had started), the wait estimate forgets the
/// service time it had counted, and the log replays to the same state. After 10 s, with the
/// counter already busy, or for a ticket that did not end, the undo is refused and nothing
/// changes.
#[test]
fn a_finish_or_no_show_is_undone_within_ten_seconds() {
    use chrono::Duration;
    let secs = Duration::seconds;
    // (what ended it, seconds later the undo, the counter called someone meanwhile) → result
    struct Case {
        end: fn(integra::core::TicketId) -> Command,
        serving: bool,
        after: i64,
        busy: bool,
        undone: Option<TicketState>,
    }
    let finish = |ticket| Command::Finish { ticket };
    let no_show = |ticket| Command::NoShow { ticket };
    let cases = [
        Case {
            end: no_show,
            serving: false,
            after: 5,
            busy: false,
            undone: Some(TicketState::Called),
        },
        Case {
            end: finish,
            serving: true,
            after: 10,
            busy: false,
            undone: Some(TicketState::Serving),
        },
        Case {
            end: finish,
            serving: false,
            after: 1,
            busy: false,
            undone: Some(TicketState::Called),
        },
        Case {
            end: no_show,
            serving: false,
            after: 11,
            busy: false,
            undone: None,
        },
        Case {
            end: finish,
            serving: true,
            after: 3,
            busy: true,
            undone: None,
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        let mut q = Queue::new(catalog());
        let t = monday_9();
        let mut log = Vec::new();
        log.extend(ok(&mut q, issue("info", None), t));
        log.extend(ok(&mut q, issue("info", None), t));
        let a = id_of(&q, "A-001");
        log.extend(ok(
            &mut q,
            Command::CallNext {
                counter: "1".into(),
            },
            t + mins(1),
        ));
        if c.serving {
            log.extend(ok(&mut q, Command::StartServing { ticket: a }, t + mins(2)));
        }
        let service_seconds_before = q.service_seconds(&"info".into());
        let ended = t + mins(5);
        log.extend(ok(&mut q, (c.end)(a), ended));
        if c.busy {
            log.extend(ok(
                &mut q,
                Command::CallNext {
                    counter: "1".into(),
                },
                ended + secs(1),
            ));
        }
        let at = ended + secs(c.after);
        let before = q.state().clone();
        match (q.apply(&Command::Reopen { ticket: a }, at), c.undone) {
            (Ok(events), Some(state)) => {
                assert!(
                    matches!(events[..], [ref e] if matches!(e.event, Event::TicketReopened { .. })),
                    "case {i}"
                );
                assert_eq!(q.ticket(a).map(|t| t.state), Some(state), "case {i}");
                assert_eq!(
                    q.current_at(&"1".into()).map(|t| t.id),
                    Some(a),
                    "case {i}: back at counter 1"
                );
                assert_eq!(q.ticket(a).and_then(|t| t.ended_at), None, "case {i}");
                // The wait estimate is as before the mistaken end.
                assert_eq!(
                    q.service_seconds(&"info".into()),
                    service_seconds_before,
                    "case {i}"
                );
                log.extend(events);
                // The log replays to the same state.
                let mut replay = integra::core::State::default();
                for e in &log {
                    replay.apply_event(e);
                }
                assert_eq!(&replay, q.state(), "case {i}: replay");
                // Ending it again works as usual.
                ok(&mut q, Command::Finish { ticket: a }, at + secs(30));
            }
            (Err(e), None) => {
                if c.busy {
                    assert!(matches!(e, QueueError::CounterBusy(_)), "case {i}: {e}");
                } else {
                    assert!(
                        matches!(e, QueueError::TooLateToUndo(ref l) if l == "A-001"),
                        "case {i}: {e}"
                    );
                    assert!(e.to_string().contains("more than 10 seconds"), "{e}");
                }
                assert_eq!(q.state(), &before, "case {i}: nothing changed");
            }
            (r, want) => panic!("case {i}: {:?} but expected {want:?}", r.map(|e| e.len())),
        }
    }
    // A ticket that did not end cannot be reopened.
    let mut q = Queue::new(catalog());
    ok(&mut q, issue("info", None), monday_9());
    let a = id_of(&q, "A-001");
    let e = q
        .apply(&Command::Reopen { ticket: a }, monday_9())
        .expect_err("waiting");
    assert!(
        matches!(
            e,
            QueueError::WrongState {
                state: "waiting",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn ticket_lifecycle_and_wrong_states() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    let a = id_of(&q, "A-001");
    // Cannot start or finish a ticket that was not called.
    for cmd in [
        Command::StartServing { ticket: a },
        Command::Finish { ticket: a },
        Command::NoShow { ticket: a },
        Command::Recall { ticket: a },
    ] {
        let err = q.apply(&cmd, t).expect_err("waiting ticket");
        assert!(
            matches!(
                err,
                QueueError::WrongState {
                    state: "waiting",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("A-001 is waiting"), "{err}");
    }
    next(&mut q, "1", t + mins(1));
    let recalled = ok(&mut q, Command::Recall { ticket: a }, t + mins(2));
    assert!(matches!(recalled[0].event, Event::TicketRecalled { .. }));
    ok(&mut q, Command::NoShow { ticket: a }, t + mins(3));
    assert_eq!(q.ticket(a).map(|t| t.state), Some(TicketState::NoShow));
    assert!(q.current_at(&"1".into()).is_none());
    let err = q
        .apply(&Command::Cancel { ticket: a }, t + mins(4))
        .expect_err("ended");
    assert!(err.to_string().contains("no-show"), "{err}");
}

#[test]
fn transfer_keeps_the_number_and_the_original_time() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t); // A-001 at 9:00
    ok(&mut q, issue("legal", None), t + mins(5)); // B-001 at 9:05
    next(&mut q, "1", t + mins(6));
    let a = id_of(&q, "A-001");
    ok(
        &mut q,
        Command::Transfer {
            ticket: a,
            to: "legal".into(),
        },
        t + mins(10),
    );
    let ticket = q.ticket(a).expect("still there");
    assert_eq!(ticket.label(), "A-001");
    assert_eq!(ticket.state, TicketState::Waiting);
    assert_eq!(ticket.issued_at, t);
    // Counter 3 (legal, jobs) calls A-001 before B-001: it came earlier.
    assert_eq!(next(&mut q, "3", t + mins(11)), "A-001");
    let err = q
        .apply(
            &Command::Transfer {
                ticket: id_of(&q, "B-001"),
                to: "legal".into(),
            },
            t + mins(12),
        )
        .expect_err("same service");
    assert!(matches!(err, QueueError::SameService(..)));
}

#[test]
fn appointments_book_check_in_and_go_ahead_once_due() {
    let mut q = Queue::new(catalog());
    let t = local(5, 9, 50);
    let monday = t.with_timezone(&tz()).date_naive();
    let book = |time: &str, nonce: u64| Command::BookAppointment {
        service: "legal".into(),
        date: monday,
        time: chrono::NaiveTime::parse_from_str(time, "%H:%M").expect("time"),
        lang: Lang::Ht,
        contact: Contact::default(),
        nonce,
    };
    let events = ok(&mut q, book("10:00", 42), t);
    let code = booked(&events).code;
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
    // Capacity 2 per slot: a second fits, a third does not; a code is never reused.
    let second = ok(&mut q, book("10:00", 42), t);
    assert_ne!(booked(&second).code, code);
    assert!(matches!(
        q.apply(&book("10:00", 7), t),
        Err(QueueError::SlotFull { .. })
    ));
    assert!(matches!(
        q.apply(&book("10:10", 7), t),
        Err(QueueError::NoSuchSlot { .. })
    ));
    assert!(matches!(
        q.apply(&book("09:30", 7), t),
        Err(QueueError::InThePast { .. })
    ));

    ok(&mut q, issue("legal", None), t + mins(1)); // B-001 walk-in at 9:51
    let checked = ok(&mut q, Command::CheckIn { code: code.clone() }, t + mins(5));
    assert_eq!(issued_label(&checked), "B-002");
    assert_eq!(
        q.appointment_by_code(&code).map(|a| a.state),
        Some(AppointmentState::CheckedIn)
    );
    assert!(matches!(
        q.apply(&Command::CheckIn { code: code.clone() }, t + mins(6)),
        Err(QueueError::AlreadyCheckedIn(_))
    ));
    // 10:00 has come: the appointment goes ahead of the earlier walk-in.
    assert_eq!(next(&mut q, "3", t + mins(11)), "B-002");
    assert_eq!(next(&mut q, "3", t + mins(12)), "B-001");
    assert!(matches!(
        q.apply(
            &Command::CheckIn {
                code: "999999".into()
            },
            t
        ),
        Err(QueueError::UnknownCode(_))
    ));
}

#[test]
fn checked_in_early_the_appointment_waits_its_turn() {
    let mut q = Queue::new(catalog());
    let t = local(5, 9, 0);
    let monday = t.with_timezone(&tz()).date_naive();
    let events = ok(
        &mut q,
        Command::BookAppointment {
            service: "legal".into(),
            date: monday,
            time: chrono::NaiveTime::from_hms_opt(11, 0, 0).expect("time"),
            lang: Lang::Es,
            contact: Contact::default(),
            nonce: 1,
        },
        t,
    );
    let appointment = &booked(&events);
    ok(&mut q, issue("legal", None), t + mins(1)); // B-001
    ok(
        &mut q,
        Command::CheckIn {
            code: appointment.code.clone(),
        },
        t + mins(2),
    ); // B-002
    assert_eq!(next(&mut q, "3", t + mins(3)), "B-001");
}

#[test]
fn appointment_on_another_day_is_not_checked_in_and_missed_ones_are_marked() {
    let mut q = Queue::new(catalog());
    let t = local(5, 9, 0);
    let tuesday = chrono::NaiveDate::from_ymd_opt(2026, 1, 6).expect("date");
    let events = ok(
        &mut q,
        Command::BookAppointment {
            service: "legal".into(),
            date: tuesday,
            time: chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("time"),
            lang: Lang::Es,
            contact: Contact {
                name: Some("  Marie ".into()),
                phone: Some("+57 300 123 4567".into()),
            },
            nonce: 9,
        },
        t,
    );
    let appointment = &booked(&events);
    assert_eq!(appointment.contact.name.as_deref(), Some("Marie"));
    let err = q
        .apply(
            &Command::CheckIn {
                code: appointment.code.clone(),
            },
            t,
        )
        .expect_err("not today");
    assert!(err.to_string().contains("2026-01-06"), "{err}");
    // Wednesday comes without a check-in: the appointment is marked missed.
    let events = ok(
        &mut q,
        Command::StartDay {
            day: local(7, 8, 0).with_timezone(&tz()).date_naive(),
            by: "hub".into(),
        },
        local(7, 8, 0),
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e.event, Event::AppointmentMissed { id } if id == appointment.id))
    );
    assert!(
        q.state().appointments.is_empty(),
        "past appointments leave memory"
    );
}

#[test]
fn activities_never_oversell_and_promote_from_the_waitlist() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    let monday = t.with_timezone(&tz()).date_naive();
    let sign = |nonce| Command::SignUp {
        activity: "sewing".into(),
        date: monday,
        lang: Lang::Fr,
        contact: Contact::default(),
        nonce,
    };
    let mut codes = Vec::new();
    let mut positions = Vec::new();
    for n in 0..5 {
        let events = ok(&mut q, sign(n), t);
        let (signup, waitlist_position) = signed(&events);
        codes.push(signup.code);
        positions.push(waitlist_position);
    }
    assert_eq!(positions, [None, None, None, Some(1), Some(2)]);
    assert_eq!(q.seats_taken(&"sewing".into(), monday), (3, 2));
    let events = ok(
        &mut q,
        Command::CancelSignUp {
            code: codes[1].clone(),
        },
        t,
    );
    assert_eq!(events.len(), 2);
    assert!(matches!(events[1].event, Event::WaitlistPromoted { .. }));
    assert_eq!(q.seats_taken(&"sewing".into(), monday), (3, 1));
    assert!(q.signup_by_code(&codes[3]).is_some_and(|s| s.seated));
    // Not on a Tuesday; not once it has started.
    let tuesday = monday.succ_opt().expect("date");
    assert!(matches!(
        q.apply(
            &Command::SignUp {
                activity: "sewing".into(),
                date: tuesday,
                lang: Lang::Es,
                contact: Contact::default(),
                nonce: 1
            },
            t
        ),
        Err(QueueError::NoSession(..))
    ));
    assert!(matches!(
        q.apply(&sign(1), local(5, 15, 30)),
        Err(QueueError::InThePast { .. })
    ));
}

/// Each refused command gives its error and leaves the state exactly as it was.
#[test]
fn refused_commands_change_nothing() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    ok(&mut q, issue("info", None), t);
    let monday = t.with_timezone(&tz()).date_naive();
    let cases: Vec<(Command, &str)> = vec![
        (issue("nope", None), "unknown service 'nope'"),
        (issue("culture", None), "does not take walk-in"),
        (issue("info", Some("vip")), "unknown priority class 'vip'"),
        (
            Command::CallNext {
                counter: "9".into(),
            },
            "unknown counter '9'",
        ),
        (
            Command::Finish {
                ticket: integra::core::TicketId(999),
            },
            "unknown ticket",
        ),
        (
            Command::Transfer {
                ticket: id_of(&q, "A-001"),
                to: "nope".into(),
            },
            "unknown service 'nope'",
        ),
        (
            Command::CheckIn { code: "123".into() },
            "no appointment or sign-up has the code",
        ),
        (
            Command::CancelSignUp { code: "123".into() },
            "no appointment or sign-up has the code",
        ),
        (
            Command::BookAppointment {
                service: "info".into(),
                date: monday,
                time: chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("t"),
                lang: Lang::Es,
                contact: Contact::default(),
                nonce: 1,
            },
            "does not take appointments",
        ),
        (
            Command::BookAppointment {
                service: "legal".into(),
                date: monday,
                time: chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("t"),
                lang: Lang::Es,
                contact: Contact {
                    name: None,
                    phone: Some("call me".into()),
                },
                nonce: 1,
            },
            "phone number",
        ),
        (
            Command::BookAppointment {
                service: "legal".into(),
                date: monday + chrono::Days::new(60),
                time: chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("t"),
                lang: Lang::Es,
                contact: Contact::default(),
                nonce: 1,
            },
            "too far ahead",
        ),
        (
            Command::SignUp {
                activity: "yoga".into(),
                date: monday,
                lang: Lang::Es,
                contact: Contact::default(),
                nonce: 1,
            },
            "unknown activity 'yoga'",
        ),
    ];
    for (cmd, message) in cases {
        let before = q.state().clone();
        let err = q.apply(&cmd, t + mins(1)).expect_err(message);
        assert!(
            err.to_string().contains(message),
            "{cmd:?}: '{err}' lacks '{message}'"
        );
        assert!(!err.fluent_id().is_empty());
        assert_eq!(q.state(), &before, "{cmd:?} changed the state");
    }
    // Closed: the jobs service opens Monday 08:00-12:00 only.
    let before = q.state().clone();
    let err = q
        .apply(&issue("jobs", None), local(5, 13, 0))
        .expect_err("closed");
    assert_eq!(err, QueueError::ServiceClosed("jobs".into()));
    assert_eq!(q.state(), &before);
}

#[test]
fn a_refused_command_on_a_new_day_does_not_roll_the_day_over() {
    let mut q = Queue::new(catalog());
    ok(&mut q, issue("info", None), monday_9());
    let before = q.state().clone();
    assert!(q.apply(&issue("nope", None), local(6, 9, 0)).is_err());
    assert_eq!(q.state(), &before);
}

#[test]
fn replay_rebuilds_the_same_state() {
    let mut q = Queue::new(catalog());
    let t = monday_9();
    let mut log = Vec::new();
    let script = [
        issue("info", None),
        issue("legal", Some("older")),
        issue("info", Some("pregnant")),
        Command::CallNext {
            counter: "2".into(),
        },
        Command::CallNext {
            counter: "1".into(),
        },
        issue("legal", None),
        Command::CallNext {
            counter: "3".into(),
        },
    ];
    for (i, cmd) in script.into_iter().enumerate() {
        log.extend(ok(&mut q, cmd, t + mins(i as i64)));
    }
    log.extend(ok(&mut q, issue("info", None), local(6, 9, 0)));
    let replayed = Queue::replay(catalog(), &log);
    assert_eq!(replayed.state(), q.state());
    q.state().check_invariants().expect("invariants");
}

/// An activity sign-up code typed at the kiosk on its day counts the person as present: once,
/// only with a seat, only on the day; the attendance survives a replay.
#[test]
fn a_sign_up_code_checks_in_at_the_activity() {
    use integra::core::Stamped;
    let mut q = Queue::new(catalog());
    let mut log: Vec<Stamped> = Vec::new();
    let monday = local(5, 9, 0).with_timezone(&tz()).date_naive();
    let wednesday = local(7, 9, 0).with_timezone(&tz()).date_naive();
    let mut codes = Vec::new();
    for (i, date) in [monday, monday, monday, monday, wednesday]
        .into_iter()
        .enumerate()
    {
        let ev = ok(
            &mut q,
            Command::SignUp {
                activity: "sewing".into(),
                date,
                lang: Lang::Es,
                contact: Default::default(),
                nonce: 100 + i as u64,
            },
            local(5, 9, 0),
        );
        codes.push(signed(&ev).0.code);
        log.extend(ev);
    }
    let check_in = |q: &mut Queue, code: &str| {
        q.apply(
            &Command::CheckIn {
                code: code.to_string(),
            },
            local(5, 14, 50),
        )
    };
    let ev = check_in(&mut q, &codes[0]).expect("present");
    log.extend(ev.clone());
    assert!(matches!(
        ev[..],
        [Stamped {
            event: Event::SignUpAttended { .. },
            ..
        }]
    ));
    assert!(q.signup_by_code(&codes[0]).is_some_and(|s| s.attended));
    let seq = q.seq();
    type Is = fn(&QueueError) -> bool;
    let table: [(&str, Is); 3] = [
        (&codes[0], |e| matches!(e, QueueError::AlreadyCheckedIn(_))),
        (&codes[3], |e| matches!(e, QueueError::OnWaitlist(_))),
        (&codes[4], |e| {
            matches!(e, QueueError::ActivityNotToday { .. })
        }),
    ];
    for (code, is) in table {
        let err = check_in(&mut q, code).expect_err("refused");
        assert!(is(&err), "{code}: {err}");
        assert_eq!(q.seq(), seq, "a refusal changes nothing");
    }
    let replayed = Queue::replay(catalog(), &log);
    assert_eq!(replayed.state(), q.state());
}
