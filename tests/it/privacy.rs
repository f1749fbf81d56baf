//! Privacy by default: once the retention period has passed, no name or phone number is left
//! anywhere in the database file; recent ones stay; the queue still replays.

use super::common::*;
use integra::core::{Command, Contact, Lang};
use integra::engine::Engine;
use integra::store::Store;

fn book(e: &mut Engine, day: u32, name: &str, phone: &str, nonce: u64) {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, day).expect("date");
    e.execute(
        &Command::BookAppointment {
            service: "legal".into(),
            date,
            time: chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("time"),
            lang: Lang::Es,
            contact: Contact {
                name: Some(name.into()),
                phone: Some(phone.into()),
            },
            nonce,
        },
        local(day, 8, 0),
    )
    .expect("book");
}

fn file_has(dir: &std::path::Path, needle: &str) -> bool {
    ["integra.sqlite3", "integra.sqlite3-wal"].iter().any(|f| {
        let bytes = std::fs::read(dir.join(f)).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

/// Both purges: the one that vacuums (at start, `integra purge`) and the one that runs beside
/// the queue in small transactions with no vacuum (secure_delete on every connection).
#[test]
fn the_purge_leaves_no_personal_string_in_the_database_file() {
    for vacuum in [true, false] {
        purge_leaves_nothing(vacuum);
    }
}

fn purge_leaves_nothing(vacuum: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut e = Engine::open(dir.path(), catalog()).expect("engine");
    // Early January: two visitors give their names; days pass (rollovers write snapshots).
    book(&mut e, 5, "Marisol Quintero", "300 555 0101", 1);
    book(&mut e, 6, "Wilner Joseph", "300 555 0202", 2);
    for day in 6..=28 {
        e.execute(
            &Command::StartDay {
                day: local(day, 7, 0).with_timezone(&tz()).date_naive(),
                by: "hub".into(),
            },
            local(day, 7, 0),
        )
        .expect("a new day");
    }
    // A recent visitor, within the retention period.
    book(&mut e, 28, "Ana Recente", "300 555 0303", 3);
    drop(e);
    for s in [
        "Marisol Quintero",
        "300 555 0101",
        "Wilner Joseph",
        "Ana Recente",
    ] {
        assert!(
            file_has(dir.path(), s),
            "{s} should be stored before the purge"
        );
    }
    // Retention 30 days, on 2026-02-10: everything dated before 2026-01-11 goes.
    let before = chrono::NaiveDate::from_ymd_opt(2026, 1, 11).expect("date");
    let mut store = Store::open(dir.path()).expect("store");
    let done = if vacuum {
        store.purge_personal(before)
    } else {
        store.purge_personal_online(before)
    }
    .expect("purge");
    assert_eq!(done.events, 2);
    drop(store);
    for s in [
        "Marisol Quintero",
        "Marisol",
        "Quintero",
        "300 555 0101",
        "Wilner Joseph",
        "300 555 0202",
    ] {
        assert!(
            !file_has(dir.path(), s),
            "{s} is still in the database file (vacuum: {vacuum})"
        );
    }
    assert!(file_has(dir.path(), "Ana Recente"), "recent names stay");
    // The queue still opens and replays; the figures stay.
    let e = Engine::open(dir.path(), catalog()).expect("reopen");
    e.queue().state().check_invariants().expect("invariants");
    assert_eq!(
        Store::open(dir.path())
            .expect("store")
            .events_after(0)
            .expect("events")
            .len() as u64,
        e.queue().seq()
    );
}
