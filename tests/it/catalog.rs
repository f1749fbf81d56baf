//! The center catalog: the demo is valid; each kind of broken file is refused with the file,
//! the line, the field and what is expected.

use super::common::TEST_CATALOG;
use integra::core::catalog::DEMO_CATALOG;
use integra::core::{Catalog, Lang, Mode, ServiceCode};

#[test]
fn demo_center_is_valid_and_complete() {
    let c = Catalog::demo().expect("demo catalog is valid");
    assert_eq!(c.center.languages, Lang::ALL.to_vec());
    assert_eq!(c.center.default_language, Lang::Es);
    // The services the brief names.
    for code in [
        "info",
        "legal",
        "health",
        "education",
        "jobs",
        "housing",
        "family",
        "protection",
        "culture",
        "cowork",
    ] {
        let s = c
            .service(&ServiceCode::from(code))
            .unwrap_or_else(|| panic!("demo lacks service {code}"));
        for l in Lang::ALL {
            assert!(s.name.contains_key(&l), "{code} has no name in {l}");
            let d = &s.description[&l];
            assert!(
                d.split_whitespace().count() <= 12,
                "{code}/{l}: '{d}' is too long"
            );
        }
    }
    assert!(c.services.iter().any(|s| s.takes(Mode::Appointment)));
    assert!(!c.activities.is_empty());
    let classes: Vec<&str> = c.priority.classes.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        classes,
        ["pregnant", "older", "disability", "minor", "protection"]
    );
}

/// The line at which `from` is replaced (the same byte offset in the broken text).
fn line_of(text: &str, from: &str) -> usize {
    let at = text
        .find(from)
        .unwrap_or_else(|| panic!("'{from}' not in the catalog"));
    text[..at].matches('\n').count() + 1
}

/// (what is broken, replace this, with this, expected field, text the message must contain)
const BROKEN: &[(&str, &str, &str, &str, &str)] = &[
    (
        "syntax",
        "retention_days = 30",
        "retention_days = = 30",
        "",
        "retention_days",
    ),
    (
        "unknown field",
        "icon = \"jobs\"",
        "icno = \"jobs\"",
        "",
        "unknown field `icno`",
    ),
    (
        "bad time",
        "hours = { mon = [\"08:00-12:00\"] }",
        "hours = { mon = [\"12:00-08:00\"] }",
        "",
        "HH:MM-HH:MM",
    ),
    (
        "bad weekday",
        "weekdays = [\"mon\", \"wed\"]",
        "weekdays = [\"mon\", \"wednesday\"]",
        "",
        "unknown weekday 'wednesday'",
    ),
    (
        "bad language",
        "languages = [\"es\", \"en\"]",
        "languages = [\"es\", \"de\"]",
        "",
        "unknown variant `de`",
    ),
    (
        "bad timezone",
        "timezone = \"America/Bogota\"",
        "timezone = \"Mars/Olympus\"",
        "",
        "Mars/Olympus",
    ),
    (
        "duplicate prefix",
        "prefix = \"E\"",
        "prefix = \"B\"",
        "services[2].prefix",
        "already used by service 'legal'",
    ),
    (
        "lowercase prefix",
        "prefix = \"E\"",
        "prefix = \"e\"",
        "services[2].prefix",
        "one capital letter",
    ),
    (
        "duplicate code",
        "code = \"jobs\"",
        "code = \"legal\"",
        "services[2].code",
        "used twice",
    ),
    (
        "unknown counter service",
        "services = [\"legal\", \"jobs\"]",
        "services = [\"legal\", \"jbos\"]",
        "counters[2].services[1]",
        "unknown service 'jbos'",
    ),
    (
        "missing translation",
        "name = { es = \"Empleo\", en = \"Jobs\" }",
        "name = { es = \"Empleo\" }",
        "services[2].name.en",
        "missing the text in 'en'",
    ),
    (
        "default language not offered",
        "default_language = \"es\"",
        "default_language = \"pt\"",
        "center.default_language",
        "not in center.languages",
    ),
    (
        "zero seats",
        "seats = 3",
        "seats = 0",
        "activities[0].seats",
        "at least 1 seat",
    ),
    (
        "activity of a walk-in service",
        "service = \"culture\"",
        "service = \"info\"",
        "activities[0].service",
        "does not list \"activity\"",
    ),
    (
        "long description",
        "description = { es = \"Trabajo.\"",
        "description = { es = \"Uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece.\"",
        "services[2].description.es",
        "at most 12 words",
    ),
    (
        "retention zero",
        "retention_days = 30",
        "retention_days = 0",
        "center.retention_days",
        "from 1 to 3650",
    ),
];

#[test]
fn broken_catalogs_name_file_line_and_field() {
    for (what, from, to, field, message) in BROKEN {
        assert!(
            TEST_CATALOG.contains(from),
            "{what}: fixture lacks '{from}'"
        );
        let text = TEST_CATALOG.replacen(from, to, 1);
        let err = Catalog::parse(&text, "centro.toml").expect_err(what);
        let shown = err.to_string();
        let issue = &err.0[0];
        assert_eq!(issue.origin, "centro.toml", "{what}");
        assert!(shown.starts_with("centro.toml:"), "{what}: {shown}");
        assert!(
            shown.contains(message),
            "{what}: '{shown}' lacks '{message}'"
        );
        if !field.is_empty() {
            assert!(
                err.0.iter().any(|i| i.field == *field),
                "{what}: no issue for field {field} in {shown}"
            );
        }
        // The line named is the line that was broken.
        let expected_line = line_of(TEST_CATALOG, from);
        assert!(
            err.0.iter().any(|i| i.line == Some(expected_line)),
            "{what}: expected line {expected_line} in '{shown}'"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = TEST_CATALOG.replacen("seats = 3", "seats = 0", 1).replacen(
        "prefix = \"E\"",
        "prefix = \"A\"",
        1,
    );
    let err = Catalog::parse(&text, "c.toml").expect_err("two problems");
    assert_eq!(err.0.len(), 2, "{err}");
    assert!(err.to_string().contains("2 problems"));
}

#[test]
fn demo_text_round_trips_through_check() {
    // The file `integra catalog demo` prints is the embedded one and parses as such.
    let a = Catalog::parse(DEMO_CATALOG, "demo.toml").expect("valid");
    let b = Catalog::demo().expect("valid");
    assert_eq!(a, b);
}

#[test]
fn appointment_slots_follow_the_rules() {
    let c = super::common::catalog();
    let legal = c.service(&ServiceCode::from("legal")).expect("legal");
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let slots: Vec<String> = legal
        .slots_on(monday)
        .iter()
        .map(|t| t.format("%H:%M").to_string())
        .collect();
    assert_eq!(
        slots,
        [
            "08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"
        ]
    );
    let sunday = chrono::NaiveDate::from_ymd_opt(2026, 1, 4).expect("date");
    assert!(legal.slots_on(sunday).is_empty());
}

/// When a closed service opens next, for the kiosk's "Closed · opens …" (local times; the
/// demo's Information: weekdays 08:00–12:30 and 13:30–17:00, Saturday 08:00–12:00).
#[test]
fn a_closed_service_knows_when_it_opens_next() {
    let demo = integra::core::Catalog::demo().expect("demo");
    let info = demo.service(&"info".into()).expect("info");
    let at = |d: u32, h: u32, m: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 1, d)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("time")
    };
    for (now, next) in [
        (at(5, 7, 0), at(5, 8, 0)),     // Monday early: this morning
        (at(5, 12, 45), at(5, 13, 30)), // Monday lunch: this afternoon
        (at(5, 8, 0), at(5, 13, 30)),   // opening now: the next opening after it
        (at(9, 18, 0), at(10, 8, 0)),   // Friday evening: Saturday morning
        (at(10, 12, 30), at(12, 8, 0)), // Saturday after closing: Monday
        (at(11, 10, 0), at(12, 8, 0)),  // Sunday: Monday
    ] {
        assert_eq!(info.next_opening(now), Some(next), "from {now}");
    }
}

/// A discreet service that takes appointments under the letter of an ordinary service that
/// takes none would make its appointments the only ones of that letter (a protection visitor
/// singled out): the catalog is refused with the fix, and accepted once the cover takes
/// appointments too.
#[test]
fn a_discreet_service_with_appointments_needs_a_cover_that_takes_them() {
    let discreet = DEMO_CATALOG.replacen(
        "modes = [\"walk-in\"]\ndiscreet = true",
        "modes = [\"walk-in\", \"appointment\"]\ndiscreet = true\nappointments = { slot_minutes = 30, capacity = 1 }",
        1,
    );
    assert_ne!(discreet, DEMO_CATALOG, "the demo's discreet service");
    let at = Catalog::parse(DEMO_CATALOG, "c.toml")
        .expect("demo")
        .services
        .iter()
        .position(|s| s.code == ServiceCode::from("protection"))
        .expect("protection");
    let err = Catalog::parse(&discreet, "c.toml").expect_err("its cover takes no appointments");
    let shown = err.to_string();
    assert!(
        err.0
            .iter()
            .any(|i| i.field == format!("services[{at}].modes")),
        "{shown}"
    );
    assert!(
        shown.contains("let \"info\" take appointments too"),
        "{shown}"
    );
    let covered = discreet.replacen(
        "icon = \"info\"\nmodes = [\"walk-in\"]",
        "icon = \"info\"\nmodes = [\"walk-in\", \"appointment\"]\nappointments = { slot_minutes = 30, capacity = 1 }",
        1,
    );
    Catalog::parse(&covered, "c.toml").expect("a cover that takes appointments");
}
