//! Promote the standby (issue #32 point 3): the fencing epoch, `integra promote`, devices that
//! follow the promoted hub, and an old hub that steps down instead of issuing.
//!
//! The standby's copy here is the dead hub's own files, copied after its kill -9 into the
//! standby device's `DATA/standby/` (the layout the replica keeps): what a synchronous standby
//! holds — every command the hub acknowledged. The replica's own link is tested with it.

use super::browser::{HubProcess, pin, start_hub};
use super::common::*;
use integra::core::{Catalog, Command, Lang, ServiceCode};
use integra::hub::QueueAccess;
use integra::hub::client::Remote;
use integra::store::Store;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wait (at most `limit`) until `f` holds.
fn wait(what: &str, limit: Duration, f: &dyn Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out after {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn fingerprint(data: &Path) -> String {
    integra::hub::tls::Identity::load_or_create(data)
        .expect("the hub's identity")
        .fingerprint()
}

/// The standby's copy: the hub's data directory `hub` into `device/standby`.
fn copy_hub(hub: &Path, device: &Path) {
    let to = device.join("standby");
    std::fs::create_dir_all(&to).expect("standby dir");
    for f in [
        "integra.sqlite3",
        "integra.sqlite3-wal",
        "integra.sqlite3-shm",
        "hub-certificate.pem",
        "hub-key.pem",
        "history-id",
    ] {
        if hub.join(f).exists() {
            std::fs::copy(hub.join(f), to.join(f)).expect("copy");
        }
    }
}

/// `integra --data DEVICE promote ARGS…`.
fn promote(device: &Path, args: &[&str]) -> std::process::Output {
    Process::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(device)
        .arg("promote")
        .args(args)
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS")
        .output()
        .expect("integra promote")
}

/// POST a walk-in ticket to the hub at `base` (pinned to `data`'s identity): status and body.
fn issue_raw(
    rt: &tokio::runtime::Runtime,
    data: &Path,
    base: &str,
    token: &str,
    epoch: Option<u64>,
    lang: &str,
) -> (u16, serde_json::Value) {
    let client = super::browser::client(data);
    rt.block_on(async {
        let mut r = client
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(token)
            .header("accept-language", lang)
            .json(&serde_json::json!({"service": "info", "lang": "es"}));
        if let Some(e) = epoch {
            r = r.header("integra-epoch", e.to_string());
        }
        let resp = r.send().await.expect("the hub answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or_default())
    })
}

fn issue_cmd() -> Command {
    Command::IssueTicket {
        service: ServiceCode::new("info"),
        lang: Lang::Es,
        priority: None,
    }
}

/// The labels of the tickets in the hub database in `dir`, with how many times each is there.
fn stored_labels(dir: &Path) -> BTreeMap<String, usize> {
    let store = Store::open(dir).expect("store");
    let mut seen = BTreeMap::new();
    for e in store.events_after(0).expect("events") {
        if let integra::core::Event::TicketIssued { ticket, .. } = &e.event {
            *seen.entry(ticket.label()).or_insert(0) += 1;
        }
    }
    seen
}

/// The issue's drill: 20 rounds of kill -9 of the hub while 4 devices issue, the standby
/// promoted each time (a fresh standby device per round, the promoted one being the next
/// round's hub). Every acknowledged ticket is on the last hub once, no number was given twice,
/// the devices follow each promoted hub by themselves, and each old hub refuses to issue when
/// it comes back (it asks its standby at start), also after a restart.
#[test]
fn twenty_kills_under_four_devices_promote_lose_nothing_and_never_give_a_number_twice() {
    const ROUNDS: usize = 20;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let devices: Vec<PathBuf> = (0..=ROUNDS)
        .map(|r| dir.path().join(format!("device-{r}")))
        .collect();
    let ports: Vec<u16> = (0..=ROUNDS).map(|_| free_port()).collect();
    let url = |r: usize| format!("https://127.0.0.1:{}", ports[r]);
    // Round 0's hub is device 0 itself; round r's hub serves device r's standby copy.
    let hub_dir = |r: usize| {
        if r == 0 {
            devices[0].clone()
        } else {
            devices[r].join("standby")
        }
    };
    std::fs::create_dir_all(&devices[0]).expect("dir");
    // The replication records the standby's address on the hub: here, before it starts.
    Store::open(&devices[0])
        .expect("store")
        .set_standby_address(Some(&url(1)))
        .expect("standby address");
    let mut hub = start_hub(&devices[0], ports[0]);
    let fp = fingerprint(&devices[0]);
    let catalog = Arc::new(Catalog::demo().expect("demo catalog"));
    let remotes: Vec<Remote> = (0..4)
        .map(|i| {
            let p = pin(&devices[0], "counter");
            let paired =
                Remote::pair_pinned(&url(0), &p, &format!("desk {i}"), Some(&fp)).expect("pair");
            let keep = dir.path().join(format!("client-{i}"));
            std::fs::create_dir_all(&keep).expect("dir");
            let r = Remote::start_pinned(&url(0), &paired.token, Some(&fp), catalog.clone())
                .expect("remote");
            r.remember_in(&keep);
            r
        })
        .collect();
    let token = {
        let p = pin(&devices[0], "counter");
        Remote::pair_pinned(&url(0), &p, "checker", Some(&fp))
            .expect("pair")
            .token
    };
    // Every acknowledged ticket, and how many times each label was acknowledged.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let acks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = remotes
        .iter()
        .cloned()
        .map(|r| {
            let (acked, acks, stop) = (acked.clone(), acks.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let mut s = r.session();
                    let result = s.run(&issue_cmd(), chrono::Utc::now(), Lang::Es);
                    drop(s);
                    match result {
                        Ok(events) => {
                            acked.lock().expect("acked").push(issued_label(&events));
                            acks.fetch_add(1, Ordering::SeqCst);
                        }
                        // The hub is down or moving: try again (the device's own backoff).
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            })
        })
        .collect();
    let mut follow_times = Vec::new();
    for r in 0..ROUNDS {
        // The devices issue on this round's hub.
        let before = acks.load(Ordering::SeqCst);
        wait(
            "tickets issued on this round's hub",
            Duration::from_secs(60),
            &|| acks.load(Ordering::SeqCst) >= before + 8,
        );
        // Power cut of the hub's process, mid-issue.
        drop(hub);
        copy_hub(&hub_dir(r), &devices[r + 1]);
        let out = promote(&devices[r + 1], &["--hub", &url(r)]);
        assert!(
            out.status.success(),
            "round {r}: promote: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let promoted_at = Instant::now();
        Store::open(&hub_dir(r + 1))
            .expect("store")
            .set_standby_address(Some(&url(r + 2 - usize::from(r + 1 == ROUNDS))))
            .expect("standby address");
        hub = start_hub(&devices[r + 1], ports[r + 1]);
        // Every device follows the promoted hub by itself (the standby's address, from the
        // old hub's stream) and sees its epoch.
        let epoch = r as u64 + 2;
        wait(
            "every device follows the promoted hub",
            Duration::from_secs(60),
            &|| {
                remotes
                    .iter()
                    .all(|d| d.online() && d.base() == url(r + 1) && d.epoch() == epoch)
            },
        );
        follow_times.push(promoted_at.elapsed());
        // The old hub comes back: it asks its standby at start and refuses at once, even a
        // command with no epoch (a device that never heard of the new hub).
        let old = start_hub(&devices[r], ports[r]);
        let (status, body) = issue_raw(&rt, &hub_dir(r), &url(r), &token, None, "ht");
        assert_eq!(status, 409, "round {r}: the old hub issued: {body}");
        assert_eq!(body["error"]["code"], "replaced", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&url(r + 1))),
            "the message names the new hub: {body}"
        );
        drop(old);
    }
    // One old hub restarted with its standby gone: it stays down (durably replaced).
    let old = start_hub(&devices[0], ports[0]);
    let (status, body) = issue_raw(&rt, &devices[0], &url(0), &token, None, "pt");
    assert_eq!(
        status, 409,
        "a replaced hub issued after its restart: {body}"
    );
    drop(old);
    let before = acks.load(Ordering::SeqCst);
    wait("tickets on the last hub", Duration::from_secs(30), &|| {
        acks.load(Ordering::SeqCst) >= before + 4
    });
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().expect("worker");
    }
    drop(hub);
    let acked = acked.lock().expect("acked").clone();
    let stored = stored_labels(&hub_dir(ROUNDS));
    let mut twice: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &acked {
        *twice.entry(l).or_insert(0) += 1;
    }
    let given_twice: Vec<_> = twice.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        given_twice.is_empty(),
        "numbers given twice: {given_twice:?}"
    );
    let lost: Vec<_> = acked
        .iter()
        .filter(|l| stored.get(*l) != Some(&1))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged but not on the last hub once: {lost:?}"
    );
    let slowest = follow_times.iter().max().copied().unwrap_or_default();
    eprintln!(
        "promote drill: {ROUNDS} rounds, {} tickets acknowledged, all on the last hub once; promote → every device following: max {} ms, median {} ms",
        acked.len(),
        slowest.as_millis(),
        {
            let mut t = follow_times.clone();
            t.sort();
            t[t.len() / 2].as_millis()
        }
    );
    assert!(slowest < Duration::from_secs(60));
}

/// `integra promote` refuses while the hub answers (saying so, and that --force exists), and
/// on a device with no copy of the hub; it changes nothing then.
#[test]
fn promote_refuses_while_the_hub_answers_and_without_a_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (hub_data, standby) = (dir.path().join("hub"), dir.path().join("standby-device"));
    std::fs::create_dir_all(&hub_data).expect("dir");
    std::fs::create_dir_all(&standby).expect("dir");
    let port = free_port();
    let hub: HubProcess = start_hub(&hub_data, port);
    let url = format!("https://127.0.0.1:{port}");
    let out = promote(&standby, &["--hub", &url]);
    assert_eq!(out.status.code(), Some(4));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no complete copy") && said.contains("standby = true"),
        "{said}"
    );
    // A copy (the live hub's files) while the hub answers: refused, --force named.
    copy_hub(&hub_data, &standby);
    let out = promote(&standby, &["--hub", &url]);
    assert_eq!(out.status.code(), Some(4));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("still answers") && said.contains("--force") && said.contains("s ago"),
        "{said}"
    );
    assert!(!standby.join("promoted").exists());
    let fence = Store::open(&standby.join("standby"))
        .expect("store")
        .fence()
        .expect("fence");
    assert_eq!(fence.epoch, 1, "nothing changed");
    // Without knowing where the hub is, it cannot check: refused, with the fix.
    let out = promote(&standby, &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--hub"));
    drop(hub);
    // Dead, but heard a moment ago on the standby's link: refused, the figure said.
    let state = standby.join("standby").join("state");
    let heard = serde_json::json!({"seq": 0, "history": "", "base": 0,
        "heard": (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339(), "hub": url});
    std::fs::write(&state, heard.to_string()).expect("state");
    let out = promote(&standby, &[]);
    assert_eq!(out.status.code(), Some(4));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("was heard 5 s ago") && said.contains("--force"),
        "{said}"
    );
    std::fs::remove_file(&state).expect("state");
    // The hub is dead: promoted, epoch 2, the mark written.
    let out = promote(&standby, &["--hub", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("epoch 2"));
    assert!(standby.join("promoted").exists());
    let out = promote(&standby, &["--hub", &url]);
    assert_eq!(out.status.code(), Some(4), "promoted twice");
}

/// A device refuses a hub whose epoch is below the highest it has seen — the old hub, alive,
/// with the same certificate — and follows the promoted one; a command from it tells the old
/// hub, which steps down for good (409 `replaced` in the caller's language, also after a
/// restart).
#[test]
fn a_device_refuses_a_lower_epoch_hub_and_its_command_makes_the_old_hub_step_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old_dir, device) = (dir.path().join("old"), dir.path().join("standby-device"));
    std::fs::create_dir_all(&old_dir).expect("dir");
    let (old_rt, old, old_addr) = serve(&old_dir);
    let token = pair(old_addr, &old_dir, integra::hub::Role::Counter, "desk");
    copy_hub(&old_dir, &device);
    let new_dir = device.join("standby");
    assert_eq!(
        Store::open(&new_dir)
            .expect("store")
            .promote_epoch(1)
            .expect("promote"),
        2
    );
    let (_new_rt, new, new_addr) = serve(&new_dir);
    assert_eq!((old.epoch(), new.epoch()), (1, 2));
    // The device has seen epoch 2 and knows the standby; it is pointed at the old hub.
    let keep = dir.path().join("client");
    std::fs::create_dir_all(&keep).expect("dir");
    std::fs::write(keep.join("hub-epoch"), "2").expect("epoch file");
    std::fs::write(
        keep.join("hub-standby-address"),
        format!("http://{new_addr}"),
    )
    .expect("file");
    let remote = Remote::start(&format!("http://{old_addr}"), &token, catalog()).expect("remote");
    remote.remember_in(&keep);
    wait(
        "the device follows the epoch-2 hub",
        Duration::from_secs(30),
        &|| remote.online() && remote.base() == format!("http://{new_addr}"),
    );
    assert!(old.replaced_by().is_none(), "a health check fences nobody");
    // A stranger's higher epoch (no token) fences nothing.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let r = rt.block_on(async {
        http()
            .post(format!("http://{old_addr}/api/v1/tickets"))
            .header("integra-epoch", "99")
            .json(&serde_json::json!({"service": "info", "lang": "es"}))
            .send()
            .await
            .expect("answer")
    });
    assert_eq!(r.status().as_u16(), 401);
    assert!(
        old.replaced_by().is_none(),
        "a stranger made the hub step down"
    );
    // A command carrying epoch 2 reaches the old hub: it steps down, and says where to go.
    old.set_standby_address(Some(&format!("http://{new_addr}")))
        .expect("standby");
    let r = rt.block_on(async {
        http()
            .post(format!("http://{old_addr}/api/v1/tickets"))
            .bearer_auth(&token)
            .header("integra-epoch", "2")
            .header("accept-language", "fr")
            .json(&serde_json::json!({"service": "info", "lang": "es"}))
            .send()
            .await
            .expect("answer")
    });
    assert_eq!(r.status().as_u16(), 409);
    let body: serde_json::Value = rt.block_on(r.json()).expect("json");
    assert_eq!(body["error"]["code"], "replaced");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("n'est plus le hub") && message.contains(&new_addr.to_string()),
        "{message}"
    );
    // The old hub's own screen refuses too, and so does the hub after a restart.
    let mut s = old.session();
    assert!(s.execute(&issue_cmd(), monday_9()).is_err());
    drop(s);
    drop(old);
    drop(old_rt);
    let again = integra::hub::Hub::new(
        integra::engine::Engine::open(&old_dir, catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    assert_eq!(again.replaced_by(), Some(2), "stepped down for good");
    let mut s = again.session();
    assert!(matches!(
        s.execute(&issue_cmd(), monday_9()),
        Err(integra::engine::EngineError::Replaced(2))
    ));
    drop(s);
    // The promoted hub issues; the device's command carried its epoch.
    let mut s = remote.session();
    s.run(&issue_cmd(), monday_9(), Lang::Es)
        .expect("the new hub issues");
    drop(s);
    assert_eq!(new.replaced_by(), None);
    assert_eq!(
        std::fs::read_to_string(keep.join("hub-epoch"))
            .ok()
            .as_deref(),
        Some("2")
    );
}
