//! The counter terminal's pieces that need no screen: the GPIO button's debounce and the LED.

use integra::core::TicketState;
use integra::device::gpio::{Debouncer, led_on};
use std::time::{Duration, Instant};

/// (milliseconds, raw level) samples → the instants a press is reported.
fn presses(samples: &[(u64, bool)]) -> Vec<u64> {
    let t0 = Instant::now();
    let mut d = Debouncer::new(Duration::from_millis(25));
    samples
        .iter()
        .filter(|(ms, raw)| d.sample(*raw, t0 + Duration::from_millis(*ms)))
        .map(|(ms, _)| *ms)
        .collect()
}

#[test]
fn the_button_is_debounced() {
    let every = |from: u64, to: u64, level: bool| -> Vec<(u64, bool)> {
        (from..to).step_by(3).map(|t| (t, level)).collect()
    };
    type Samples = Vec<(u64, bool)>;
    let cases: Vec<(&str, Samples, Vec<u64>)> = vec![
        ("nothing", every(0, 200, false), vec![]),
        (
            "a clean press",
            [
                every(0, 30, false),
                every(30, 120, true),
                every(120, 200, false),
            ]
            .concat(),
            vec![57],
        ),
        (
            "contact bounce on press and release counts once",
            [
                every(0, 30, false),
                vec![(30, true), (33, false), (36, true), (39, false), (42, true)],
                every(45, 150, true),
                vec![(150, false), (153, true), (156, false)],
                every(159, 260, false),
            ]
            .concat(),
            vec![69],
        ),
        (
            "a glitch shorter than 25 ms is ignored",
            [
                every(0, 30, false),
                every(30, 45, true),
                every(45, 120, false),
            ]
            .concat(),
            vec![],
        ),
        (
            "two real presses are two",
            [
                every(0, 30, false),
                every(30, 90, true),
                every(90, 150, false),
                every(150, 210, true),
                every(210, 260, false),
            ]
            .concat(),
            vec![57, 177],
        ),
        ("held down: one press", every(0, 2000, true), vec![27]),
    ];
    for (name, samples, want) in cases {
        assert_eq!(presses(&samples), want, "{name}");
    }
}

#[test]
fn the_led_is_lit_while_a_visitor_is_being_called() {
    assert!(led_on(Some(TicketState::Called)));
    for s in [
        None,
        Some(TicketState::Serving),
        Some(TicketState::Done),
        Some(TicketState::Waiting),
    ] {
        assert!(!led_on(s), "{s:?}");
    }
}
