//! A visitor's whole way at the kiosk on a small screen (issue #35): nothing covers a number,
//! code or QR; "Done" answers the first touch; the idle warning counts down; wrong codes are
//! counted per visitor. Driven like the kiosk scenarios (`kiosk::scenario`), touches included:
//! a tap here is a real press and release at a button's centre, so whatever lies over the
//! button gets it, as a finger's would.

use super::common::*;
use super::kiosk::{Setup, has, position, scenario, screen, snapshot, start, tap, text_in};
use integra::core::{Catalog, Command, Contact, Lang};
use integra::ui::{CheckinAdapter, ChoiceAdapter, KioskAdapter, KioskWindow, Screen};
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};
use std::sync::Arc;
use std::time::Duration;

fn elapse(seconds: u64) {
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(seconds));
}

/// A finger on the centre of the button labelled `label`: whatever is on top there gets it.
fn touch(ui: &KioskWindow, label: &str) {
    let (x, y, w, h) = position(ui, label);
    let at = slint::LogicalPosition::new(x + w / 2.0, y + h / 2.0);
    let w = ui.window();
    w.dispatch_event(WindowEvent::PointerMoved { position: at });
    w.dispatch_event(WindowEvent::PointerPressed {
        position: at,
        button: PointerEventButton::Left,
    });
    w.dispatch_event(WindowEvent::PointerReleased {
        position: at,
        button: PointerEventButton::Left,
    });
}

fn en(id: &str) -> String {
    text_in(Lang::En, id)
}

fn en_args(id: &str, seconds: u32) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("seconds", seconds);
    integra::i18n::Localizer::new(Lang::En)
        .expect("en")
        .text(id, Some(&args))
}

/// Everything a visitor copies or scans stays uncovered until the return: the number (or the
/// code), the follow QR, and no "are you still there?" over them.
fn all_in_view(s: &Setup, number: &str, qr_line: &str, when: &str) {
    assert!(
        !s.ui.global::<KioskAdapter>().get_idle_warning(),
        "{when}: nothing floats over the screen"
    );
    assert!(has(&s.ui, number), "{when}: {number} is on screen");
    assert!(has(&s.ui, qr_line), "{when}: the QR is on screen");
    let (x, y, w, h) = position(&s.ui, number);
    assert!(
        x >= 0.0 && y >= 0.0 && x + w <= 800.5 && y + h <= 480.5,
        "{when}: {number} lies in the window"
    );
}

/// The ticket screen at 800×480: the number, the QR and what it is for stay whole for the
/// ticket's 20 s, every second of them, with nothing over them; then the kiosk goes back by
/// itself. The next visitor's "Done", touched while the number shows, goes home at the first
/// touch. The same for an appointment's confirmation (the code and its QR).
fn the_ticket_stays_whole_until_the_return_and_done_goes_home() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let s = start(demo.clone(), monday_9(), None, |_| {});
    let info = demo.services[0].name[&Lang::En].clone();
    let take_ticket = || {
        tap(&s.ui, "English");
        tap(&s.ui, &info);
        tap(&s.ui, &en("kiosk-priority-skip"));
        assert_eq!(screen(&s.ui), Screen::Ticket);
        s.ui.global::<integra::ui::TicketAdapter>()
            .get_number()
            .to_string()
    };
    let number = take_ticket();
    let qr =
        s.ui.global::<integra::ui::TicketAdapter>()
            .get_follow_line()
            .to_string();
    assert!(!qr.is_empty(), "the ticket has a follow QR");
    for second in 0..20 {
        all_in_view(&s, &number, &qr, &format!("ticket, {second} s"));
        if second == 15 {
            snapshot(&s.ui, "800x480-en-ticket-at-15s");
        }
        elapse(1);
    }
    assert_eq!(screen(&s.ui), Screen::Welcome, "back by itself after 20 s");

    let number = take_ticket();
    elapse(15);
    all_in_view(&s, &number, &qr, "second ticket, 15 s");
    touch(&s.ui, &en("kiosk-done"));
    assert_eq!(screen(&s.ui), Screen::Welcome, "Done: home at one touch");

    // An appointment's confirmation: its code and QR, the same way.
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    tap(&s.ui, &en("kiosk-book"));
    tap(&s.ui, &demo.services[1].name[&Lang::En]);
    let choices = || s.ui.global::<ChoiceAdapter>().get_choices();
    let day = slint::Model::row_data(&choices(), 0).expect("a day");
    tap(&s.ui, &day.label);
    let time = slint::Model::iter(&choices())
        .find(|c| c.enabled)
        .expect("a free time");
    tap(&s.ui, &time.label);
    tap(&s.ui, &en("kiosk-skip"));
    assert_eq!(screen(&s.ui), Screen::Confirm);
    let c = s.ui.global::<integra::ui::ConfirmAdapter>();
    let (code, qr) = (c.get_code().to_string(), c.get_follow_line().to_string());
    for second in 0..19 {
        all_in_view(&s, &code, &qr, &format!("confirmation, {second} s"));
        elapse(1);
    }
    touch(&s.ui, &en("kiosk-done"));
    assert_eq!(screen(&s.ui), Screen::Welcome, "Done: home at one touch");
}

/// Elsewhere "Are you still there?" says the seconds left, and they count down.
fn the_idle_warning_counts_down() {
    let s = start(catalog(), monday_9(), None, |_| {});
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    let a = s.ui.global::<KioskAdapter>();
    elapse(35);
    assert!(a.get_idle_warning());
    let says = |n: u32| {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("seconds", n);
        integra::i18n::Localizer::new(Lang::En)
            .expect("en")
            .text("kiosk-idle-warning", Some(&args))
    };
    assert_eq!(a.get_idle_text().as_str(), says(10));
    elapse(1);
    assert_eq!(a.get_idle_text().as_str(), says(9));
    for _ in 0..3 {
        elapse(1);
    }
    assert_eq!(a.get_idle_text().as_str(), says(6));
    // A touch anywhere keeps the visitor here; the next warning starts again at 10.
    touch(&s.ui, &en("kiosk-idle-continue"));
    assert!(!a.get_idle_warning());
    assert_eq!(screen(&s.ui), Screen::Checkin);
    elapse(35);
    assert_eq!(a.get_idle_text().as_str(), says(10));
    elapse(10);
    assert_eq!(screen(&s.ui), Screen::Welcome);
}

/// Two visitors at one kiosk: the first mistypes their code again and again and is made to
/// wait, longer each time, told how long (the OK key rests meanwhile); Home forgets their
/// count. When they walk away, the next visitor's right code checks in at once — the first
/// visitor's mistakes, under the kiosk's per-minute limit, cost the next one nothing.
fn wrong_codes_count_per_visitor() {
    let at = local(5, 10, 5);
    let mut code = String::new();
    let s = start(catalog(), at, None, |e| {
        let events = e
            .execute(
                &Command::BookAppointment {
                    service: "legal".into(),
                    date: at.with_timezone(&tz()).date_naive(),
                    time: chrono::NaiveTime::from_hms_opt(10, 30, 0).expect("t"),
                    lang: Lang::En,
                    contact: Contact::default(),
                    nonce: 77,
                },
                local(5, 8, 0),
            )
            .expect("book");
        code = booked(&events).code;
    });
    let wrong = if code == "999999" { "999998" } else { "999999" };
    let c = s.ui.global::<CheckinAdapter>();
    let type_code = |digits: &str| {
        while !c.get_code().is_empty() {
            tap(&s.ui, &en("kiosk-delete"));
        }
        for d in digits.chars() {
            tap(&s.ui, &d.to_string());
        }
        touch(&s.ui, &en("kiosk-ok"));
    };
    let plain = integra::i18n::Localizer::new(Lang::En).expect("en").error(
        &integra::core::QueueError::CodeNotForToday(String::new()),
        &catalog(),
    );
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    // Two slips of the finger: said plainly, no wait.
    type_code(wrong);
    assert_eq!(screen(&s.ui), Screen::Checkin);
    assert_eq!(c.get_error().as_str(), plain);
    assert!(!c.get_waiting());
    type_code(wrong);
    assert!(c.get_waiting(), "the third try waits");
    assert_eq!(c.get_error().as_str(), en_args("kiosk-code-wrong-wait", 15));
    snapshot(&s.ui, "800x480-en-checkin-wrong-code-wait");
    // OK rests: a code typed now is not sent, and the wait is still said while typing.
    type_code(wrong);
    assert_eq!(c.get_error().as_str(), en_args("kiosk-code-wrong-wait", 15));
    elapse(1);
    assert_eq!(c.get_error().as_str(), en_args("kiosk-code-wrong-wait", 14));
    elapse(14);
    assert!(!c.get_waiting(), "the wait is over");
    type_code(wrong);
    assert_eq!(c.get_error().as_str(), en_args("kiosk-code-wrong-wait", 30));
    elapse(30);
    type_code(wrong);
    assert_eq!(
        c.get_error().as_str(),
        en_args("kiosk-code-wrong-wait", 60),
        "from the fourth, a minute: the kiosk's minute keeps a try for the next visitor"
    );
    // This visitor goes away; the kiosk goes back to the start by itself.
    elapse(35);
    elapse(10);
    assert_eq!(screen(&s.ui), Screen::Welcome);
    // The next visitor: no wait, and their right code checks in.
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    assert!(!c.get_waiting());
    assert_eq!(c.get_error().as_str(), "");
    type_code(&code);
    assert_eq!(
        c.get_error().as_str(),
        "",
        "the next visitor is not refused"
    );
    assert_eq!(screen(&s.ui), Screen::Ticket, "checked in at once");
}

/// Home forgets a visitor's wrong codes: the one who starts again is not made to wait.
fn home_forgets_the_wrong_codes() {
    let s = start(catalog(), local(5, 10, 5), None, |_| {});
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    let c = s.ui.global::<CheckinAdapter>();
    for _ in 0..2 {
        for d in "999999".chars() {
            tap(&s.ui, &d.to_string());
        }
        touch(&s.ui, &en("kiosk-ok"));
        while !c.get_code().is_empty() {
            tap(&s.ui, &en("kiosk-delete"));
        }
    }
    assert!(c.get_waiting());
    tap(&s.ui, &en("kiosk-home"));
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    assert!(!c.get_waiting());
    assert_eq!(c.get_error().as_str(), "");
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod scenario {
            $(
                #[test]
                fn $name() {
                    super::scenario(super::$name);
                }
            )*
        }
    };
}

scenarios!(
    the_ticket_stays_whole_until_the_return_and_done_goes_home,
    the_idle_warning_counts_down,
    wrong_codes_count_per_visitor,
    home_forgets_the_wrong_codes,
);
