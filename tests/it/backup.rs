//! Backup while tickets are being issued, restore and compare; refusals of wrong files.

use super::common::*;
use integra::core::Queue;
use integra::engine::Engine;
use integra::store::backup::{restore, verify};
use integra::store::{DB_FILE, Store, StoreError};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

#[test]
fn backups_taken_while_issuing_restore_to_a_consistent_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog_file = dir.path().join("centro.toml");
    std::fs::File::create(&catalog_file)
        .and_then(|mut f| f.write_all(TEST_CATALOG.as_bytes()))
        .expect("catalog");
    let data = dir.path().join("data");
    let mut child = integra_at_monday_9(
        &data,
        &catalog_file,
        &["issue", "--service", "info", "--count", "1000000"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut backups = Vec::new();
    for i in 0..3 {
        // Let some tickets through, then back up while the child keeps issuing.
        for _ in 0..100 {
            let _ = lines.next();
        }
        let store = Store::open(&data).expect("open beside the writer");
        let file = dir.path().join(format!("backup-{i}.sqlite3"));
        let info = store.backup_to(&file).expect("backup while issuing");
        assert!(info.tickets >= 100 * (i + 1), "{info:?}");
        backups.push((file, info));
    }
    child.kill().expect("stop the writer");
    let _ = child.wait();

    let live = Store::open(&data)
        .expect("live")
        .events_after(0)
        .expect("events");
    for (i, (file, info)) in backups.iter().enumerate() {
        assert_eq!(verify(file).expect("valid backup"), *info);
        let target = dir.path().join(format!("restored-{i}"));
        let (restored, kept) = restore(&target, file, "t").expect("restore");
        assert_eq!(restored, *info);
        assert!(kept.is_none());
        let events = Store::open(&target)
            .expect("restored")
            .events_after(0)
            .expect("events");
        // A consistent snapshot: exactly the first N events of the live log.
        assert_eq!(events.len() as u64, info.events);
        assert_eq!(
            events[..],
            live[..events.len()],
            "backup {i} is not a prefix of the log"
        );
        let engine = Engine::open(&target, catalog()).expect("engine on the restored data");
        assert_eq!(
            engine.queue().state(),
            Queue::replay(catalog(), &events).state()
        );
        engine
            .queue()
            .state()
            .check_invariants()
            .expect("invariants");
        assert_eq!(
            engine.queue().waiting_count(&"info".into()) as u64,
            info.tickets,
            "every ticket of the backup is waiting in the restored queue"
        );
    }
}

#[test]
fn restore_keeps_the_previous_data_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (d, n) in [(&a, 2), (&b, 5)] {
        let mut e = Engine::open(d, catalog()).expect("open");
        for i in 0..n {
            e.execute(&issue("info", None), monday_9() + mins(i))
                .expect("issue");
        }
    }
    let file = dir.path().join("a.bak");
    Store::open(&a)
        .expect("a")
        .backup_to(&file)
        .expect("backup");
    let (_, kept) = restore(&b, &file, "20260105T1400Z").expect("restore");
    let kept = kept.expect("previous data kept");
    assert!(kept.ends_with(format!("{DB_FILE}.before-restore-20260105T1400Z")));
    let old = Store::open_file(&kept).expect("old data intact");
    assert_eq!(
        old.tickets_of_day(monday_9().with_timezone(&tz()).date_naive())
            .expect("rows")
            .len(),
        5
    );
    let e = Engine::open(&b, catalog()).expect("restored");
    assert_eq!(e.queue().waiting_count(&"info".into()), 2);
}

#[test]
fn restore_refuses_wrong_files_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut e = Engine::open(&data, catalog()).expect("open");
    e.execute(&issue("info", None), monday_9()).expect("issue");
    drop(e);

    let foreign = dir.path().join("foreign.sqlite3");
    rusqlite::Connection::open(&foreign)
        .and_then(|c| c.execute_batch("CREATE TABLE x (y INTEGER);"))
        .expect("foreign db");
    let newer = dir.path().join("newer.sqlite3");
    Store::open(&data)
        .expect("s")
        .backup_to(&newer)
        .expect("backup");
    rusqlite::Connection::open(&newer)
        .and_then(|c| c.pragma_update(None, "user_version", 42))
        .expect("bump");
    let garbage = dir.path().join("garbage.sqlite3");
    std::fs::write(&garbage, vec![7u8; 8192]).expect("garbage");
    let missing = dir.path().join("missing.sqlite3");

    for (file, expected) in [
        (&foreign, "another program"),
        (&newer, "newer version"),
        (&garbage, "not an Integra database"),
        (&missing, "no such backup file"),
    ] {
        let err = restore(&data, file, "t").expect_err("refused");
        assert!(
            err.to_string().contains(expected),
            "{}: {err}",
            file.display()
        );
        if file == &newer {
            assert!(matches!(err, StoreError::TooNew { found: 42, .. }));
        }
    }
    // Nothing moved: the data is the same, no copy was set aside.
    let names: Vec<String> = std::fs::read_dir(&data)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains("before-restore"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    let e = Engine::open(&data, catalog()).expect("open");
    assert_eq!(e.queue().waiting_count(&"info".into()), 1);
}

#[test]
fn restore_refuses_while_the_database_is_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = dir.path().join("b.sqlite3");
    Store::open(&data)
        .expect("s")
        .backup_to(&file)
        .expect("backup");
    let holder = rusqlite::Connection::open(data.join(DB_FILE)).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE;")
        .expect("hold a write lock");
    let err = restore(&data, &file, "t").expect_err("busy");
    assert!(matches!(err, StoreError::Busy { .. }), "{err}");
    assert!(err.to_string().contains("stop it first"));
}

/// Two restores in the same second keep both earlier databases (the original is never lost);
/// a backup cut off while copying is called damaged ("cut off"), not another program's file,
/// and changes nothing.
#[test]
fn restore_keeps_every_earlier_copy_and_names_a_cut_off_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut e = Engine::open(&data, catalog()).expect("open");
    e.execute(&issue("info", None), monday_9()).expect("issue");
    drop(e);
    let empty_backup = dir.path().join("empty-center.sqlite3");
    Store::open(&dir.path().join("other"))
        .expect("s")
        .backup_to(&empty_backup)
        .expect("backup");
    let (_, first) = restore(&data, &empty_backup, "t").expect("restore");
    let (_, second) = restore(&data, &empty_backup, "t").expect("restore again");
    let (first, second) = (first.expect("kept"), second.expect("kept"));
    assert_ne!(first, second, "the second restore kept its own copy");
    assert!(first.exists() && second.exists());
    // The first copy is the original data, one ticket waiting.
    let original = dir.path().join("original");
    std::fs::create_dir_all(&original).expect("dir");
    std::fs::copy(&first, original.join(DB_FILE)).expect("copy");
    let e = Engine::open(&original, catalog()).expect("open the original");
    assert_eq!(e.queue().waiting_count(&"info".into()), 1);
    drop(e);
    // Cut off halfway, and empty.
    let full = std::fs::read(&empty_backup).expect("read");
    let cut = dir.path().join("cut.sqlite3");
    std::fs::write(&cut, &full[..full.len() / 2]).expect("cut");
    let empty = dir.path().join("empty.sqlite3");
    std::fs::write(&empty, b"").expect("empty");
    let tiny = dir.path().join("tiny.sqlite3");
    std::fs::write(&tiny, &full[..40]).expect("tiny");
    for (file, says) in [(&cut, "cut off"), (&empty, "empty"), (&tiny, "cut off")] {
        let err = restore(&data, file, "u").expect_err("refused");
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains(says), "{err}");
        assert!(!err.to_string().contains("another program"), "{err}");
    }
    let kept: Vec<String> = std::fs::read_dir(&data)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains("before-restore-u"))
        .collect();
    assert!(kept.is_empty(), "a refused restore moves nothing: {kept:?}");
}
