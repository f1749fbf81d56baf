//! One truth: the hub turns the day at local midnight by itself (the pure core says when), says
//! "starting" until a ticket can be issued, and a reprint that cannot print says so.

use super::common::*;
use super::hub::{next_msg, start_hub, subscribe, try_msg};
use chrono::{Duration, TimeZone, Timelike};
use integra::core::{Catalog, DayTurn, Queue};
use integra::hub::Role;
use std::sync::Arc;

fn in_zone(tz: &str) -> Arc<Catalog> {
    let text = integra::core::catalog::DEMO_CATALOG.replacen(
        "timezone = \"America/Bogota\"",
        &format!("timezone = \"{tz}\""),
        1,
    );
    Arc::new(Catalog::parse(&text, "center.toml").expect("catalog"))
}

/// The core's deadline is the next local midnight; where a DST change skips midnight, the first
/// local time of the new day.
#[test]
fn the_next_deadline_is_the_next_local_midnight() {
    let q = Queue::new(catalog());
    // Monday 09:00 in Bogotá (UTC-5) → Tuesday 00:00 local = 05:00 UTC.
    let d = q.next_deadline(monday_9());
    assert_eq!(
        d,
        chrono::Utc
            .with_ymd_and_hms(2026, 1, 6, 5, 0, 0)
            .single()
            .expect("t")
    );
    // Just before midnight, the same deadline; just after, the next one.
    assert_eq!(q.next_deadline(d - Duration::seconds(1)), d);
    assert_eq!(q.next_deadline(d), d + Duration::days(1));
    // Santiago de Chile: in 2026 the clocks go from 00:00 to 01:00 on 6 September.
    let cl = Queue::new(in_zone("America/Santiago"));
    let tz: chrono_tz::Tz = "America/Santiago".parse().expect("tz");
    let before = tz
        .with_ymd_and_hms(2026, 9, 5, 20, 0, 0)
        .single()
        .expect("t")
        .with_timezone(&chrono::Utc);
    let d = cl.next_deadline(before).with_timezone(&tz);
    assert_eq!(
        d.date_naive(),
        chrono::NaiveDate::from_ymd_opt(2026, 9, 6).expect("date")
    );
    let midnight_exists = tz
        .from_local_datetime(&d.date_naive().and_hms_opt(0, 0, 0).expect("t"))
        .earliest()
        .is_some();
    if midnight_exists {
        assert_eq!(d.hour(), 0);
    } else {
        assert_eq!(
            (d.hour(), d.minute()),
            (1, 0),
            "the first time of the new day"
        );
    }
}

/// On a fake clock the hub trusts: nothing happens before midnight; after it, the hub ends
/// yesterday's waiting tickets and starts the new day on its own, and every stream hears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_turns_the_day_at_midnight_by_itself() {
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    for _ in 0..3 {
        h.hub
            .session()
            .execute(&issue("info", None), monday_9())
            .expect("issue");
    }
    let mut ws = subscribe(h.addr, &counter, None).await;
    assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
    let midnight = h.hub.session().queue().next_deadline(monday_9());
    assert_eq!(
        h.hub
            .turn_day_if_due(midnight - Duration::seconds(1))
            .expect("tick"),
        DayTurn::Same
    );
    let seq = h.seq();
    assert!(matches!(
        h.hub
            .turn_day_if_due(midnight + Duration::seconds(1))
            .expect("tick"),
        DayTurn::Start(_)
    ));
    let mut cancelled = 0;
    let day = loop {
        let m = next_msg(&mut ws).await;
        match m["event"]["type"].as_str() {
            Some("ticket_cancelled") => {
                assert_eq!(m["event"]["reason"], "day_ended");
                cancelled += 1;
            }
            Some("day_started") => break m["event"]["day"].clone(),
            _ => {}
        }
    };
    assert_eq!(cancelled, 3, "yesterday's three open tickets");
    assert_eq!(day, "2026-01-06");
    assert!(h.seq() > seq);
    assert_eq!(h.hub.session().queue().state().tickets.len(), 0);
    // Once is enough.
    assert_eq!(
        h.hub
            .turn_day_if_due(midnight + Duration::seconds(5))
            .expect("tick"),
        DayTurn::Same
    );
}

/// `/health` says "starting" (503) until the hub can issue a ticket, then "ok".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_starting_until_a_ticket_can_be_issued() {
    use tower::ServiceExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(dir.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let ask = |hub: integra::hub::Hub| async move {
        let r = integra::hub::api::router(hub)
            .oneshot(
                axum::http::Request::get("/api/v1/health")
                    .header("host", "127.0.0.1")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 1024)
            .await
            .expect("body");
        (status.as_u16(), String::from_utf8_lossy(&body).into_owned())
    };
    assert!(!hub.is_ready());
    let (s, body) = ask(hub.clone()).await;
    assert_eq!((s, body.as_str()), (503, r#"{"status":"starting"}"#));
    let (_addr, _task) = hub
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    assert!(hub.wait_ready(std::time::Duration::from_secs(10)).await);
    let (s, body) = ask(hub.clone()).await;
    assert_eq!((s, body.as_str()), (200, r#"{"epoch":1,"status":"ok"}"#));
}

/// A reprint waits for the printer: printed → 200; out of paper → 409 saying so (before, it
/// answered "reprinted" and never printed); no printer → 409 saying where to reprint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reprint_that_cannot_print_says_so() {
    use integra::printer::fake::{FakePrinter, FakeState};
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    h.hub
        .session()
        .execute(&issue("info", None), monday_9())
        .expect("issue");
    let reprint = || {
        h.call(
            "POST",
            "/api/v1/tickets/A-001/reprint",
            Some(&counter),
            None,
        )
    };
    let (s, v) = reprint().await;
    assert_eq!(s.as_u16(), 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no printer"),
        "{v}"
    );
    let printer = FakePrinter::start(FakeState::Ready).expect("fake printer");
    let uri: integra::printer::PrinterUri = printer.uri().parse().expect("uri");
    h.hub.set_printer(Some(Arc::new(integra::hub::HubPrinter {
        spooler: Arc::new(integra::printer::Spooler::start(uri, |_| {})),
        format: integra::printer::Format::default(),
    })));
    let (s, v) = reprint().await;
    assert_eq!(s.as_u16(), 200, "{v}");
    assert_eq!(v["reprinted"], "A-001");
    assert!(
        !printer.received().is_empty(),
        "the bytes reached the printer"
    );
    printer.set_state(FakeState::PaperOut);
    let before = printer.received().len();
    let (s, v) = reprint().await;
    assert_eq!(s.as_u16(), 409, "{v}");
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("paper"), "{message}");
    assert_eq!(
        printer.received().len(),
        before,
        "nothing printed without paper"
    );
}

/// A device that reads its mirror of the hub (the counter terminal's screen) never waits for the
/// network: while a command is stuck at a slow hub for 2 s, reading the mirror takes
/// milliseconds.
#[test]
fn a_slow_hub_never_holds_up_a_screen_reading_the_mirror() {
    use integra::hub::{QueueAccess, auth, client::Remote};
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(dir.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let (addr, _task) = rt
        .block_on(hub.serve("127.0.0.1:0".parse().expect("addr")))
        .expect("serve");
    let base = format!("http://{addr}");
    let store = integra::store::Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, Role::Counter, chrono::Utc::now())
        .expect("pin")
        .0;
    let (token, _) = Remote::pair(&base, &pin, "Desk 1").expect("pair");
    let remote = Remote::start(&base, &token, catalog()).expect("remote");
    let t = std::time::Instant::now();
    while !remote.online() {
        assert!(t.elapsed() < std::time::Duration::from_secs(10), "online");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    hub.session()
        .execute(&issue("info", None), monday_9())
        .expect("issue");
    // The hub is stuck for 2 s (its engine busy), while the counter sends "call next".
    let stuck = hub.clone();
    let (holding, held) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let _busy = stuck.session();
        let _ = holding.send(());
        std::thread::sleep(std::time::Duration::from_secs(2));
    });
    held.recv().expect("the holder took the engine");
    let sender = remote.clone();
    let call = std::thread::spawn(move || {
        sender
            .session()
            .run(
                &integra::core::Command::CallNext {
                    counter: "1".into(),
                },
                monday_9(),
                integra::core::Lang::Es,
            )
            .map(|e| e.len())
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut worst = std::time::Duration::ZERO;
    for _ in 0..10 {
        let t = std::time::Instant::now();
        let _ = remote.with_queue(|q| q.seq());
        worst = worst.max(t.elapsed());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    holder.join().expect("holder");
    let called = call.join().expect("call");
    assert!(
        called.is_ok_and(|n| n >= 1),
        "the call went through once the hub was free"
    );
    assert!(
        worst < std::time::Duration::from_millis(50),
        "reading the mirror waited {worst:?} for the network"
    );
    println!(
        "mirror read during a 2 s hub stall: worst {} µs",
        worst.as_micros()
    );
}

/// The catalog fingerprint is the file's bytes: the same file read again (by a newer program,
/// whatever fields it adds to the catalog) keeps the coordinator's changes; a technician's edit
/// of the file — even a comment — makes the file win; a copy changed in memory does not claim
/// the file's fingerprint; a fingerprint recorded by an older version still counts.
#[test]
fn the_catalog_fingerprint_is_the_files_bytes() {
    use sha2::Digest;
    let text = integra::core::catalog::DEMO_CATALOG;
    let parse = |t: &str| Arc::new(Catalog::parse(t, "center.toml").expect("catalog"));
    let file = parse(text);
    let bytes: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(file.fingerprint(), bytes, "the file's bytes");
    assert_eq!(parse(text).fingerprint(), file.fingerprint());
    let commented = format!("{text}\n# Changed by the technician.\n");
    let touched = parse(&commented);
    assert_ne!(touched.fingerprint(), file.fingerprint());
    assert_eq!(
        touched.content_fingerprint(),
        file.content_fingerprint(),
        "same content, other bytes"
    );
    let mut copy = (*file).clone();
    copy.center.name = "Otro centro".into();
    assert_ne!(copy.fingerprint(), file.fingerprint());
    // Which catalog is in use: the coordinator's while the file is the one it started from.
    let mut edited = (*file).clone();
    edited.center.retention_days = 9;
    let edited = Arc::new(edited);
    let base = file.fingerprint();
    assert_eq!(
        Catalog::in_use(parse(text), Some((&edited, &base)))
            .center
            .retention_days,
        9
    );
    assert_eq!(
        Catalog::in_use(touched.clone(), Some((&edited, &base)))
            .center
            .retention_days,
        file.center.retention_days,
        "a touched file wins"
    );
    let legacy = file.content_fingerprint();
    assert_eq!(
        Catalog::in_use(parse(text), Some((&edited, &legacy)))
            .center
            .retention_days,
        9,
        "an older version's fingerprint still counts"
    );
}

/// Restarting on the same catalog file keeps a coordinator's change; a comment added to the file
/// by a technician makes the file win (recorded).
#[test]
fn a_coordinators_change_survives_the_same_file_and_yields_to_a_touched_one() {
    use integra::core::{CatalogEdit, Command};
    let dir = tempfile::tempdir().expect("dir");
    let text = integra::core::catalog::DEMO_CATALOG;
    let open = |t: &str| {
        integra::hub::Hub::new(
            integra::engine::Engine::open(
                dir.path(),
                Arc::new(Catalog::parse(t, "center.toml").expect("catalog")),
            )
            .expect("engine"),
            Some(monday_9()),
        )
        .expect("hub")
    };
    let hub = open(text);
    hub.session()
        .execute(
            &Command::EditCatalog {
                edit: CatalogEdit::SetRetention { days: 9 },
                by: "coordinator".into(),
            },
            monday_9(),
        )
        .expect("edit");
    drop(hub);
    let hub = open(text);
    assert_eq!(hub.catalog().center.retention_days, 9);
    drop(hub);
    let hub = open(&format!("{text}\n# New printer installed.\n"));
    assert_ne!(
        hub.catalog().center.retention_days,
        9,
        "the touched file wins"
    );
}

/// The disk refuses writes (here: made read-only under the hub): a visitor asking for a ticket
/// gets 503 and words in their language, no number; staff get an alert within 2 s; /health says
/// "degraded"; nothing changed. When the disk works again, all of it clears by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_disk_is_told_to_staff_and_visitors_and_clears_by_itself() {
    let h = start_hub(catalog()).await;
    let kiosk = h.token(Role::Kiosk).await;
    let counter = h.token(Role::Counter).await;
    let mut ws = subscribe(h.addr, &counter, None).await;
    assert_eq!(next_msg(&mut ws).await["type"], "snapshot");
    assert_eq!(next_msg(&mut ws).await["alerts"], serde_json::json!([]));
    let ticket = |lang: &'static str| {
        let h = &h;
        let kiosk = kiosk.clone();
        async move {
            let r = h
                .http
                .post(h.url("/api/v1/tickets"))
                .bearer_auth(&kiosk)
                .header("accept-language", lang)
                .json(&serde_json::json!({"service": "info", "lang": lang}))
                .send()
                .await
                .expect("request");
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.expect("json"))
        }
    };
    assert_eq!(ticket("es").await.0, 201);
    h.hub.set_read_only(true).expect("read-only");
    let seq = h.seq();
    let t = std::time::Instant::now();
    let (status, body) = ticket("ht").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage");
    let ht = integra::i18n::Localizer::new(integra::core::Lang::Ht)
        .expect("ht")
        .text("error-storage", None);
    assert_eq!(body["error"]["message"], ht.as_str());
    assert!(body.get("label").is_none(), "no number without a commit");
    assert_eq!(h.seq(), seq, "nothing changed");
    let alert = loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(2), next_msg(&mut ws))
            .await
            .expect("a staff alert within 2 s");
        if m["type"] == "alerts" {
            break m;
        }
    };
    assert_eq!(alert["alerts"][0]["kind"], "storage-failed");
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    let (s, v) = h.call("GET", "/api/v1/health", None, None).await;
    assert_eq!(
        (s.as_u16(), v),
        (503, serde_json::json!({"status": "degraded", "epoch": 1}))
    );
    // The disk works again: the next ticket goes through and everything clears.
    h.hub.set_read_only(false).expect("writable");
    let (status, body) = ticket("es").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["label"], "A-002");
    let cleared = loop {
        let m = next_msg(&mut ws).await;
        if m["type"] == "alerts" {
            break m;
        }
    };
    assert_eq!(cleared["alerts"], serde_json::json!([]));
    let (s, v) = h.call("GET", "/api/v1/health", None, None).await;
    assert_eq!(
        (s.as_u16(), v),
        (200, serde_json::json!({"status": "ok", "epoch": 1}))
    );
}

/// Four programs started together on a new data directory (the service and a technician's
/// commands at first boot), ten times: every one succeeds — one creates and migrates, the others
/// wait and open it — and every number is given once.
#[test]
fn programs_opening_a_new_data_directory_at_once_all_succeed() {
    for round in 0..10 {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
                    .arg("--data")
                    .arg(&data)
                    .args(["--at", "2026-01-05T14:00:00Z", "issue", "--service", "info"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("integra issue")
            })
            .collect();
        let mut labels = Vec::new();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            labels.push(stdout.lines().last().unwrap_or("").trim().to_string());
        }
        labels.sort();
        assert_eq!(
            labels,
            ["A-001", "A-002", "A-003", "A-004"],
            "round {round}"
        );
    }
}

/// Technicians' commands beside a hub that commits every few milliseconds (far busier than any
/// center): each command meets the hub's commits again and again, and still succeeds — it
/// retries with a growing, jittered wait for up to 10 s (five quick retries once lost to a busy
/// hub: "another process changed the queue at the same moment"); the hub, whose callers are
/// visitors, never fails a ticket (its five quick retries once lost to four racing commands);
/// every number is given once.
#[test]
fn commands_beside_a_busy_hub_all_succeed() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog_file = dir.path().join("center.toml");
    std::fs::write(&catalog_file, TEST_CATALOG).expect("catalog file");
    let data = dir.path().join("data");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(&data, catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let stop = Arc::new(AtomicBool::new(false));
    let busy = {
        let (hub, stop) = (hub.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut labels = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let events = hub
                    .session()
                    .execute(&issue("info", None), monday_9())
                    .expect("the hub issues");
                labels.push(issued_label(&events));
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            labels
        })
    };
    let children: Vec<_> = (0..4)
        .map(|_| {
            integra_at_monday_9(
                &data,
                &catalog_file,
                &["issue", "--service", "info", "--count", "25"],
            )
            .env("RUST_LOG", "integra::engine=info")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("integra issue")
        })
        .collect();
    let mut labels = Vec::new();
    let mut conflicts = 0;
    for c in children {
        let out = c.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        conflicts += stderr.matches("another process wrote").count();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        labels.extend(stdout.lines().map(|l| l.trim().to_string()));
    }
    stop.store(true, Ordering::SeqCst);
    let from_hub = busy.join().expect("the hub's thread");
    assert_eq!(labels.len(), 100, "{labels:?}");
    // The race really happened: the commands lost to the hub (or to each other) and retried.
    assert!(conflicts > 0, "no command met another's commit");
    assert!(!from_hub.is_empty(), "the hub issued nothing");
    let all: Vec<&String> = labels.iter().chain(from_hub.iter()).collect();
    let distinct: std::collections::BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a number given twice");
}

/// A slot in a DST gap (a local time that does not exist) starts when the clocks resume — not
/// at the same digits read as UTC (which was hours off).
#[test]
fn a_slot_in_a_dst_gap_starts_when_the_clocks_resume() {
    use integra::core::queue::local_to_utc;
    let tz: chrono_tz::Tz = "America/Santiago".parse().expect("tz");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 9, 6).expect("date");
    let at = |h, m| day.and_hms_opt(h, m, 0).expect("time");
    let gap = tz.from_local_datetime(&at(0, 30)).earliest().is_none();
    let t = local_to_utc(tz, at(0, 30));
    if gap {
        // The clocks jump from 00:00 to 01:00: 00:30 does not exist; the slot starts at 01:00.
        assert_eq!(
            t.with_timezone(&tz).naive_local(),
            at(1, 0),
            "the first local time after the gap"
        );
    } else {
        assert_eq!(t.with_timezone(&tz).naive_local(), at(0, 30));
    }
    // An ordinary time is itself.
    let bogota: chrono_tz::Tz = "America/Bogota".parse().expect("tz");
    let n = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
        .and_then(|d| d.and_hms_opt(10, 30, 0))
        .expect("t");
    assert_eq!(
        local_to_utc(bogota, n).with_timezone(&bogota).naive_local(),
        n
    );
    // New York, 8 March 2026: 02:30 does not exist; it becomes 03:00 local, 07:00 UTC.
    let ny: chrono_tz::Tz = "America/New_York".parse().expect("tz");
    let n = chrono::NaiveDate::from_ymd_opt(2026, 3, 8)
        .and_then(|d| d.and_hms_opt(2, 30, 0))
        .expect("t");
    assert_eq!(
        local_to_utc(ny, n),
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 8, 7, 0, 0)
            .single()
            .expect("t")
    );
}

/// One writer: `integra issue` and `integra book` run on the data directory of a running hub,
/// racing the hub's own API. Every event reaches the hub's stream once, in order, with no
/// sequence number skipped, within a second of the command; the state the hub serves counts
/// every ticket; a client resuming from before the commands gets them all; an appointment
/// booked from the command line checks in at the kiosk. (Before: the stream skipped the CLI's
/// events for good and the kiosk called the code unknown.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_beside_a_running_hub_reach_every_stream_with_no_gap() {
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    let kiosk = h.token(Role::Kiosk).await;
    let catalog_file = h.dir.path().join("center.toml");
    std::fs::write(&catalog_file, TEST_CATALOG).expect("catalog file");
    let (s, _) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&kiosk),
            Some(serde_json::json!({"service": "info", "lang": "es"})),
        )
        .await;
    assert_eq!(s.as_u16(), 201);
    let start = h.seq();
    let mut ws = subscribe(h.addr, &counter, Some(start)).await;
    let cli = |args: Vec<String>| {
        let data = h.dir.path().to_path_buf();
        let catalog_file = catalog_file.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            integra_at_monday_9(&data, &catalog_file, &args)
                .output()
                .expect("run integra")
        })
    };
    // Four technicians' commands racing twenty tickets issued through the API.
    let clis: Vec<_> = (0..4)
        .map(|_| {
            cli(["issue", "--service", "legal", "--count", "5"]
                .map(String::from)
                .to_vec())
        })
        .collect();
    for _ in 0..20 {
        // (A counter, not held to a kiosk's 12 tickets a minute.)
        let (s, v) = h
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&counter),
                Some(serde_json::json!({"service": "info", "lang": "es"})),
            )
            .await;
        assert_eq!(s.as_u16(), 201, "{v}");
    }
    for c in clis {
        let o = c.await.expect("join");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let done = std::time::Instant::now();
    let total_events = 40; // 40 tickets, one event each
    let mut seen = Vec::new();
    while seen.len() < total_events {
        let m = try_msg(&mut ws, std::time::Duration::from_secs(2))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "only {} of {total_events} events came: {seen:?}",
                    seen.len()
                )
            });
        if m["type"] == "event" {
            seen.push(m["seq"].as_u64().expect("seq"));
        }
    }
    let late = done.elapsed();
    assert!(
        late < std::time::Duration::from_secs(1),
        "the last command's events came {late:?} after it returned"
    );
    let expected: Vec<u64> = (start + 1..=start + total_events as u64).collect();
    assert_eq!(seen, expected, "every event once, in order, none skipped");
    let (_, state) = h.call("GET", "/api/v1/state", Some(&counter), None).await;
    let tickets = &state["state"]["tickets"];
    let count = tickets
        .as_object()
        .map(|o| o.len())
        .or_else(|| tickets.as_array().map(|a| a.len()));
    assert_eq!(count, Some(41), "the hub's state counts every ticket");
    assert_eq!(state["seq"], start + total_events as u64);
    // A client that resumes from before the commands gets exactly the same events.
    let mut again = subscribe(h.addr, &counter, Some(start)).await;
    let mut replayed = Vec::new();
    while replayed.len() < total_events {
        let m = next_msg(&mut again).await;
        if m["type"] == "event" {
            replayed.push(m["seq"].as_u64().expect("seq"));
        }
    }
    assert_eq!(replayed, expected);
    // An appointment booked from the command line is known at the kiosk.
    let o = cli([
        "book",
        "--service",
        "legal",
        "--date",
        "2026-01-05",
        "--time",
        "10:00",
    ]
    .map(String::from)
    .to_vec())
    .await
    .expect("join");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let code = String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .expect("code line")
        .trim()
        .to_string();
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/check-in",
            Some(&kiosk),
            Some(serde_json::json!({"code": code})),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{v}");
}

/// Token checks come from memory: a device's many requests read its token from the database
/// once, however many requests it makes, while a revocation by another program still stops it at
/// once; a report reads on its own connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_checks_come_from_memory_and_revocation_still_stops_at_once() {
    let h = start_hub(catalog()).await;
    let counter = h.token(Role::Counter).await;
    let admin = h.token(Role::Admin).await;
    let before = h.hub.token_lookups();
    for _ in 0..25 {
        let (s, _) = h.call("GET", "/api/v1/state", Some(&counter), None).await;
        assert_eq!(s.as_u16(), 200);
        let (s, _) = h
            .call(
                "GET",
                "/api/v1/reports?from=2026-01-01&to=2026-01-05&format=json",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s.as_u16(), 200);
    }
    let lookups = h.hub.token_lookups() - before;
    assert!(
        lookups <= 2,
        "50 requests from two known devices read tokens from the database {lookups} times"
    );
    let (_, me) = h.call("GET", "/api/v1/me", Some(&counter), None).await;
    let id = me["device"]["id"].as_u64().expect("id");
    assert!(
        integra::store::Store::open(h.dir.path())
            .expect("store")
            .revoke_device(id, chrono::Utc::now())
            .expect("revoke")
    );
    let (s, _) = h.call("GET", "/api/v1/state", Some(&counter), None).await;
    assert_eq!(
        s.as_u16(),
        401,
        "revoked by another program: refused at once"
    );
}
