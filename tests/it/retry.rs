//! Retried commands are answered once (`Idempotency-Key`, issue #32 point 5): a retry with the
//! same key gets the first answer — the same number, the same check-in — also after the hub was
//! killed right after its commit; a key is refused with another command; two devices' keys
//! never meet; and a device retries by itself a command whose answer was lost.

use super::browser::{free_port, pin, start_hub, start_hub_with};
use super::common::*;
use integra::core::{Command, Contact, Lang};
use integra::hub::client::Remote;
use integra::hub::{Hub, QueueAccess, Role};
use integra::store::Store;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// POST a command with an optional key; the status and the body.
fn post(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    rt.block_on(async {
        let mut r = http
            .post(format!("{base}/api/v1/commands"))
            .bearer_auth(token)
            .json(body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let r = r.send().await.expect("the hub answers");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    })
}

/// The label of the ticket an answer's events issued.
fn label_in(answer: &Value) -> String {
    let events: Vec<integra::core::Stamped> =
        serde_json::from_value(answer["events"].clone()).expect("events");
    issued_label(&events)
}

fn ticket_count(hub: &Hub) -> usize {
    hub.session().queue().state().tickets.len()
}

#[test]
fn a_retried_command_with_the_same_key_gets_the_first_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, hub, addr) = serve(dir.path());
    let base = format!("http://{addr}");
    let kiosk = pair(addr, dir.path(), Role::Kiosk, "kiosk 2");
    let http = http();
    let issue = json!({"kind": "issue_ticket", "service": "info", "lang": "es"});
    let (s1, first) = post(&rt, &http, &base, &kiosk, Some("\"k-issue-1\""), &issue);
    assert_eq!(s1, 200, "{first}");
    let (s2, again) = post(&rt, &http, &base, &kiosk, Some("\"k-issue-1\""), &issue);
    assert_eq!(s2, 200, "{again}");
    assert_eq!(label_in(&first), "A-001");
    assert_eq!(
        again, first,
        "the retry gets the first answer, word for word"
    );
    assert_eq!(ticket_count(&hub), 1, "never a second ticket");
    // A new action (a new key) is a new ticket.
    let (_, other) = post(&rt, &http, &base, &kiosk, Some("k-issue-2"), &issue);
    assert_eq!(label_in(&other), "A-002");

    // A check-in retried: the same ticket, never "we cannot find that code".
    let today = monday_9().with_timezone(&tz()).date_naive();
    let code = booked(
        &hub.session()
            .execute(
                &Command::BookAppointment {
                    service: "legal".into(),
                    date: today,
                    time: chrono::NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
                    lang: Lang::Es,
                    contact: Contact::default(),
                    nonce: 11,
                },
                monday_9(),
            )
            .expect("book"),
    )
    .code;
    let check_in = json!({"kind": "check_in", "code": code});
    let (s1, first) = post(&rt, &http, &base, &kiosk, Some("\"k-check-in\""), &check_in);
    assert_eq!(s1, 200, "{first}");
    let (s2, again) = post(&rt, &http, &base, &kiosk, Some("\"k-check-in\""), &check_in);
    assert_eq!(
        s2, 200,
        "the retried check-in is answered, not refused: {again}"
    );
    assert_eq!(again, first);
    assert_eq!(label_in(&first), "B-001");
    // Without a key, the same check-in sent again is refused (it was done): the key is what
    // makes the retry safe.
    let (s3, _) = post(&rt, &http, &base, &kiosk, None, &check_in);
    assert_eq!(s3, 404);
    assert_eq!(ticket_count(&hub), 3);

    // A counter's "call next" retried calls one visitor, not two.
    let counter = pair(addr, dir.path(), Role::Counter, "desk 1");
    let call = json!({"kind": "call_next", "counter": "1"});
    let (s1, first) = post(&rt, &http, &base, &counter, Some("\"call-1\""), &call);
    assert_eq!(s1, 200, "{first}");
    let (_, again) = post(&rt, &http, &base, &counter, Some("\"call-1\""), &call);
    assert_eq!(again, first);
    let waiting = hub
        .session()
        .queue()
        .state()
        .tickets
        .values()
        .filter(|t| t.state == integra::core::TicketState::Waiting)
        .count();
    assert_eq!(waiting, 2, "one called, the others still waiting");

    // The resource routes take the key too (here a ticket through POST /api/v1/tickets).
    let ticket = |key: &str| {
        rt.block_on(async {
            let r = http
                .post(format!("{base}/api/v1/tickets"))
                .bearer_auth(&kiosk)
                .header("Idempotency-Key", key)
                .json(&json!({"service": "info", "lang": "es"}))
                .send()
                .await
                .expect("answer");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        })
    };
    let (s1, first) = ticket("\"rest-1\"");
    let (s2, again) = ticket("\"rest-1\"");
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first["label"], again["label"]);
    assert_eq!(ticket_count(&hub), 4);
}

#[test]
fn a_key_used_with_another_command_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, hub, addr) = serve(dir.path());
    let base = format!("http://{addr}");
    let kiosk = pair(addr, dir.path(), Role::Kiosk, "kiosk 2");
    let http = http();
    let info = json!({"kind": "issue_ticket", "service": "info", "lang": "es"});
    let legal = json!({"kind": "issue_ticket", "service": "legal", "lang": "es"});
    let (s, _) = post(&rt, &http, &base, &kiosk, Some("\"same\""), &info);
    assert_eq!(s, 200);
    let seq = hub.session().queue().seq();
    let (s, refused) = post(&rt, &http, &base, &kiosk, Some("\"same\""), &legal);
    assert_eq!(s, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency-key-reused");
    let message = refused["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("different command") && message.contains("fresh key"),
        "names the problem and the fix: {message}"
    );
    assert_eq!(hub.session().queue().seq(), seq, "nothing changed");
    // A key that is not a key: 400, nothing done.
    for bad in ["", "\"\"", &"x".repeat(200), "a b"] {
        let (s, v) = post(&rt, &http, &base, &kiosk, Some(bad), &info);
        assert_eq!(s, 400, "{bad:?}: {v}");
        assert_eq!(v["error"]["code"], "bad-idempotency-key");
    }
    assert_eq!(hub.session().queue().seq(), seq, "nothing changed");
}

#[test]
fn two_devices_with_the_same_key_do_not_see_each_others_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, hub, addr) = serve(dir.path());
    let base = format!("http://{addr}");
    let one = pair(addr, dir.path(), Role::Kiosk, "kiosk 1");
    let two = pair(addr, dir.path(), Role::Kiosk, "kiosk 2");
    let http = http();
    let issue = json!({"kind": "issue_ticket", "service": "info", "lang": "es"});
    let (_, a) = post(&rt, &http, &base, &one, Some("\"shared\""), &issue);
    let (s, b) = post(&rt, &http, &base, &two, Some("\"shared\""), &issue);
    assert_eq!(s, 200, "{b}");
    assert_eq!(label_in(&a), "A-001");
    assert_eq!(
        label_in(&b),
        "A-002",
        "the second device's own ticket, not the first's"
    );
    // Each device's retry gets its own first answer.
    let (_, a_again) = post(&rt, &http, &base, &one, Some("\"shared\""), &issue);
    let (_, b_again) = post(&rt, &http, &base, &two, Some("\"shared\""), &issue);
    assert_eq!((a_again, b_again), (a, b));
    // Even with another command the key is the other device's own (no 422 across devices).
    let legal = json!({"kind": "issue_ticket", "service": "legal", "lang": "es"});
    let (_, _) = post(&rt, &http, &base, &one, Some("\"legal\""), &legal);
    let (s, c) = post(&rt, &http, &base, &two, Some("\"legal\""), &issue);
    assert_eq!(s, 200, "{c}");
    assert_eq!(label_in(&c), "A-003");
    assert_eq!(ticket_count(&hub), 4);
}

/// The hub is cut right after the fsync of the command's commit (drill hook: it aborts before
/// answering), then starts again: the retry with the same key gets the ticket that was
/// committed — one ticket, its number.
#[test]
fn a_hub_killed_right_after_its_commit_answers_the_retry_with_the_committed_ticket() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let hub = start_hub(&data, port);
    let http = https_to(&data)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let token = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http
                .post(format!("{base}/api/v1/pair"))
                .json(&json!({"pin": pin(&data, "kiosk"), "name": "kiosk 2"}))
                .send()
                .await
                && r.status().is_success()
            {
                let v: Value = r.json().await.expect("json");
                return v["token"].as_str().expect("token").to_string();
            }
            assert!(Instant::now() < deadline, "the hub never paired");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    drop(hub);
    let mut hub = start_hub_with(&data, port, &[("INTEGRA_DRILL_ABORT_AFTER_COMMIT", "1")]);
    let issue = json!({"kind": "issue_ticket", "service": "info", "lang": "es"});
    let send = |key: &str| {
        rt.block_on(async {
            http.post(format!("{base}/api/v1/commands"))
                .bearer_auth(&token)
                .header("Idempotency-Key", key)
                .json(&issue)
                .send()
                .await
        })
    };
    let lost = send("\"after-the-fsync\"");
    assert!(lost.is_err(), "the answer was lost with the hub: {lost:?}");
    let status = hub.0.wait().expect("exit");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(6), "aborted after its commit");
    let stored = Store::open(&data)
        .expect("store")
        .events_after(0)
        .expect("events");
    let committed = issued_label(&stored);
    let _hub = start_hub(&data, port);
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer: Value = loop {
        if let Ok(r) = send("\"after-the-fsync\"") {
            assert_eq!(r.status().as_u16(), 200);
            break rt.block_on(r.json()).expect("json");
        }
        assert!(Instant::now() < deadline, "the hub did not come back");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(label_in(&answer), committed, "the committed ticket, again");
    let after = Store::open(&data)
        .expect("store")
        .events_after(0)
        .expect("events");
    let issued = after
        .iter()
        .filter(|e| matches!(e.event, integra::core::Event::TicketIssued { .. }))
        .count();
    assert_eq!(issued, 1, "never a second ticket");
}

/// A relay to the hub that loses the answer to the first `lose` commands: the request goes
/// through (the hub does it), the answer never comes back, the connection is closed.
struct LossyRelay {
    addr: SocketAddr,
}

impl LossyRelay {
    fn start(upstream: SocketAddr, lose: Arc<AtomicUsize>) -> LossyRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let losing = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let (c2, s2) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let (lose, mark) = (lose.clone(), losing.clone());
                std::thread::spawn(move || {
                    let (mut from, mut to) = (client, server);
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if buf[..n].starts_with(b"POST /api/v1/commands")
                            && lose
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok()
                        {
                            mark.store(true, Ordering::SeqCst);
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let (mut from, mut to) = (s2, c2);
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if losing.load(Ordering::SeqCst) {
                            // The answer is lost on the way: the device sees the link reset.
                            let _ = to.shutdown(Shutdown::Both);
                            let _ = from.shutdown(Shutdown::Both);
                            return;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(Shutdown::Write);
                });
            }
        });
        LossyRelay { addr }
    }
}

#[test]
fn a_device_retries_a_command_whose_answer_was_lost_and_gets_one_ticket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_rt, hub, addr) = serve(dir.path());
    let token = pair(addr, dir.path(), Role::Kiosk, "kiosk 2");
    let lose = Arc::new(AtomicUsize::new(0));
    let relay = LossyRelay::start(addr, lose.clone());
    let remote =
        Remote::start(&format!("http://{}", relay.addr), &token, catalog()).expect("remote");
    let deadline = Instant::now() + Duration::from_secs(15);
    while !remote.online() {
        assert!(Instant::now() < deadline, "the device never came online");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The first answer is lost (the hub issued A-001): the device sends it again with the same
    // key and shows A-001 — the hub holds one ticket.
    lose.store(1, Ordering::SeqCst);
    let t = Instant::now();
    let events = remote
        .session()
        .run(&issue("info", None), monday_9(), Lang::Es)
        .expect("the retry is answered");
    println!(
        "an answer lost once: the device had its ticket after {} ms",
        t.elapsed().as_millis()
    );
    assert_eq!(lose.load(Ordering::SeqCst), 0, "an answer was lost");
    assert_eq!(issued_label(&events), "A-001");
    assert_eq!(ticket_count(&hub), 1, "one visitor, one ticket");
    // Answers lost more often than the device tries: it gives up (the visitor is sent to
    // reception), and the hub still issued only once for that action.
    lose.store(
        integra::hub::client::COMMAND_TRIES as usize,
        Ordering::SeqCst,
    );
    let t = Instant::now();
    let refused = remote
        .session()
        .run(&issue("info", None), monday_9(), Lang::Es);
    assert!(
        matches!(refused, Err(integra::hub::Refusal::Unavailable(_))),
        "{refused:?}"
    );
    println!(
        "every answer lost: the device gave up after {} ms",
        t.elapsed().as_millis()
    );
    assert_eq!(ticket_count(&hub), 2, "every try of one action: one ticket");
}

/// Keys are bounded per device: past `KEEP_PER_DEVICE` the oldest go (another device's stay).
#[test]
fn a_device_keeps_a_bounded_number_of_keys() {
    use integra::store::idempotency::{KEEP_PER_DEVICE, KeyAnswer, KeyRecord};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("store");
    let record = |device: u64, n: i64| KeyRecord {
        device,
        key: format!("k{n}"),
        fingerprint: "f".into(),
        first_seq: 1,
        last_seq: 1,
    };
    store
        .commit_keyed(0, &[], None, &[record(2, 0)])
        .expect("the other device's key");
    let many: Vec<KeyRecord> = (0..KEEP_PER_DEVICE + 600).map(|n| record(1, n)).collect();
    store.commit_keyed(0, &[], None, &many).expect("commit");
    let known = |device: u64, n: i64| {
        !matches!(
            store
                .key_answer(device, &format!("k{n}"), "f")
                .expect("lookup"),
            KeyAnswer::Unknown
        )
    };
    assert!(!known(1, 0), "the oldest went");
    assert!(!known(1, 599), "the oldest 600 went");
    assert!(known(1, 600), "the newest {KEEP_PER_DEVICE} stay");
    assert!(known(1, KEEP_PER_DEVICE + 599));
    assert!(known(2, 0), "another device's key stays");
    assert!(matches!(
        store.key_answer(1, &format!("k{}", KEEP_PER_DEVICE + 599), "other"),
        Ok(KeyAnswer::Different)
    ));
}
