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
    the_contact_screen_is_whole_and_still,
    a_priority_is_confirmed_and_days_say_today,
);

/// Type `letters` on the name keyboard, turning its pages as a visitor would.
pub(super) fn type_letters(ui: &KioskWindow, lang: Lang, letters: &[&str]) {
    let c = ui.global::<integra::ui::ContactAdapter>();
    for letter in letters {
        while c.get_page() > 0 && !has(ui, letter) {
            tap(ui, &text_in(lang, "kiosk-page-previous"));
        }
        for _ in 0..10 {
            if has(ui, letter) {
                break;
            }
            tap(ui, &text_in(lang, "kiosk-page-next"));
        }
        tap(ui, letter);
    }
}

/// Every button of the screen lies wholly inside the window, is at least 60×60 px, and no two
/// overlap: what a finger must reach is there, whole, and alone.
fn whole(ui: &KioskWindow, name: &str) {
    let size = ui.window().size().to_logical(ui.window().scale_factor());
    let found: Vec<_> = i_slint_backend_testing::ElementQuery::from_root(ui)
        .match_descendants()
        .match_accessible_role(i_slint_backend_testing::AccessibleRole::Button)
        .find_all()
        .into_iter()
        .map(|b| {
            let (p, z) = (b.absolute_position(), b.size());
            let label = b.accessible_label().unwrap_or_default().to_string();
            (label, p.x, p.y, z.width, z.height)
        })
        .collect();
    // (an element may be found twice, through its component and its base)
    let mut buttons = Vec::new();
    for b in found {
        if !buttons.contains(&b) {
            buttons.push(b);
        }
    }
    for (label, x, y, w, h) in &buttons {
        assert!(
            *w >= 60.0 && *h >= 60.0,
            "{name}: {label:?} is {w}×{h}, under 60"
        );
        assert!(
            *x >= -0.5 && *y >= -0.5 && x + w <= size.width + 0.5 && y + h <= size.height + 0.5,
            "{name}: {label:?} at ({x}, {y}) {w}×{h} leaves the {}×{} window",
            size.width,
            size.height
        );
    }
    for (i, a) in buttons.iter().enumerate() {
        for b in &buttons[i + 1..] {
            let dx = (a.1 + a.3).min(b.1 + b.3) - a.1.max(b.1);
            let dy = (a.2 + a.4).min(b.2 + b.4) - a.2.max(b.2);
            assert!(
                dx <= 0.5 || dy <= 0.5,
                "{name}: {:?} and {:?} overlap",
                a.0,
                b.0
            );
        }
    }
}

/// The contact screen in every language, at 800×480, 480×800 and 1920×1080, with normal and
/// larger text: every letter of the name keyboard is reachable (pages with ◀ ▶ when they do
/// not all fit, never a hidden swipe), Space and Delete too; the phone keypad is whole
/// (Delete, 0, Continue); nothing is outside the window or over something else; and the
/// fields and buttons stay where they are while digits are typed.
fn the_contact_screen_is_whole_and_still() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    for (w, h) in [(800, 480), (480, 800), (1920, 1080)] {
        for larger in [false, true] {
            for lang in Lang::ALL {
                let name = format!(
                    "{w}x{h}{}-{}",
                    if larger { "-larger" } else { "" },
                    lang.code()
                );
                let t = |id: &str| text_in(lang, id);
                let s = start(demo.clone(), monday_9(), None, |_| {});
                s.ui.window().set_size(slint::PhysicalSize::new(w, h));
                tap(&s.ui, lang.native_name());
                if larger {
                    tap(&s.ui, &t("kiosk-larger"));
                }
                tap(&s.ui, &t("kiosk-appointments"));
                tap(&s.ui, &t("kiosk-book"));
                tap(&s.ui, &demo.services[1].name[&lang]);
                let choices = || s.ui.global::<ChoiceAdapter>().get_choices();
                let day = slint::Model::row_data(&choices(), 0).expect("a day");
                tap(&s.ui, &day.label);
                let time = slint::Model::iter(&choices())
                    .find(|c| c.enabled)
                    .expect("a free time");
                tap(&s.ui, &time.label);
                assert_eq!(screen(&s.ui), Screen::Contact, "{name}");
                snapshot(&s.ui, &format!("{name}-contact-letters"));
                whole(&s.ui, &format!("{name} letters"));
                let letters: Vec<String> =
                    slint::Model::iter(&s.ui.global::<integra::ui::ContactAdapter>().get_letters())
                        .map(|l| l.to_string())
                        .collect();
                for key in [t("kiosk-space"), t("kiosk-delete")] {
                    assert!(has(&s.ui, &key), "{name}: {key} on screen");
                }
                let mut pages = 1;
                for letter in &letters {
                    while !has(&s.ui, letter) {
                        assert!(pages < letters.len(), "{name}: {letter} is on no page");
                        tap(&s.ui, &t("kiosk-page-next"));
                        pages += 1;
                        whole(&s.ui, &format!("{name} letters page {pages}"));
                    }
                }
                tap(&s.ui, &t("kiosk-contact-phone"));
                whole(&s.ui, &format!("{name} digits"));
                for key in ["0", &t("kiosk-delete"), &t("kiosk-next"), &t("kiosk-skip")] {
                    assert!(has(&s.ui, key), "{name}: {key} on the phone keypad");
                }
                let watched = [
                    t("kiosk-skip"),
                    t("kiosk-contact-name"),
                    t("kiosk-contact-phone"),
                    t("kiosk-next"),
                    "0".to_string(),
                    t("kiosk-delete"),
                ];
                let before: Vec<_> = watched.iter().map(|l| position(&s.ui, l)).collect();
                for d in ["3", "0", "0", "5", "5", "5", "1", "2", "3", "4"] {
                    tap(&s.ui, d);
                }
                let after: Vec<_> = watched.iter().map(|l| position(&s.ui, l)).collect();
                assert_eq!(before, after, "{name}: nothing moved under the finger");
                snapshot(&s.ui, &format!("{name}-contact-phone"));
            }
        }
    }
}

/// A priority ticket says the priority it was given; booking days say "today" and "tomorrow".
fn a_priority_is_confirmed_and_days_say_today() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let s = start(demo.clone(), monday_9(), None, |_| {});
    let class = demo
        .priority
        .classes
        .iter()
        .find(|c| !c.discreet)
        .expect("an ordinary class");
    tap(&s.ui, "English");
    tap(&s.ui, &demo.services[0].name[&Lang::En]);
    tap(&s.ui, &class.name[&Lang::En]);
    assert_eq!(screen(&s.ui), Screen::Ticket);
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("class", class.name[&Lang::En].clone());
    let said = integra::i18n::Localizer::new(Lang::En)
        .expect("en")
        .text("kiosk-ticket-priority", Some(&args));
    let t = s.ui.global::<integra::ui::TicketAdapter>();
    assert_eq!(t.get_priority_line().as_str(), said);
    assert!(super::kiosk::kiosk_shows(&s.ui, &said), "on screen");
    tap(&s.ui, &en("kiosk-done"));
    tap(&s.ui, "English");
    tap(&s.ui, &demo.services[0].name[&Lang::En]);
    tap(&s.ui, &en("kiosk-priority-skip"));
    assert_eq!(
        s.ui.global::<integra::ui::TicketAdapter>()
            .get_priority_line()
            .as_str(),
        "",
        "no priority, no line"
    );
    tap(&s.ui, &en("kiosk-done"));
    tap(&s.ui, "English");
    tap(&s.ui, &en("kiosk-appointments"));
    tap(&s.ui, &en("kiosk-book"));
    tap(&s.ui, &demo.services[1].name[&Lang::En]);
    let labels: Vec<String> = slint::Model::iter(&s.ui.global::<ChoiceAdapter>().get_choices())
        .map(|c| c.label.to_string())
        .collect();
    let today = monday_9().with_timezone(&tz()).date_naive();
    let mut near = 0;
    for (date, word) in [
        (today, en("kiosk-today")),
        (today + chrono::Duration::days(1), en("kiosk-tomorrow")),
    ] {
        let dm = date.format("%d/%m").to_string();
        for l in labels.iter().filter(|l| l.ends_with(&dm)) {
            assert!(l.starts_with(&format!("{word} · ")), "{l}");
            near += 1;
        }
    }
    assert!(near >= 1, "today or tomorrow is offered: {labels:?}");
    assert!(
        labels
            .iter()
            .filter(|l| l.starts_with(&en("kiosk-today")) || l.starts_with(&en("kiosk-tomorrow")))
            .count()
            == near,
        "only those two say so: {labels:?}"
    );
}
