//! The hub keeps the center's time (issue #31 point 1): the real `integra hub` under libfaketime
//! (`FAKETIME_TIMESTAMP_FILE` + `FAKETIME_NO_CACHE=1` move a running hub's wall clock; the time
//! since boot stays real, as on a Pi whose clock is stepped). Needs Debian's `faketime`
//! (`tests/run` installs it).

use super::browser::{HubProcess, client};
use super::common::free_port;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's libfaketime (package `libfaketime`, pulled in by `faketime`), its thread-safe build:
/// the hub reads the clock file from many threads at once.
fn libfaketime() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("faketime/libfaketimeMT.so.1"))
        .find(|p| p.exists());
    found.expect("the clock tests need libfaketime: `apt-get install faketime` (tests/run does)")
}

/// `integra hub` on `data` at 127.0.0.1:`port`, its wall clock read from `clock_file` when
/// given (libfaketime; the time since boot stays real), with `env`; its log goes to `log`.
fn start(
    data: &Path,
    port: u16,
    clock_file: Option<&Path>,
    env: &[(&str, &str)],
    log: &Path,
) -> HubProcess {
    let mut c = Command::new(env!("CARGO_BIN_EXE_integra"));
    c.arg("--data")
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}"), "hub"])
        // Never this machine's real clock: a correction stays the hub's own offset.
        .env_remove("INTEGRA_CLOCK_SET_SYSTEM")
        .envs(env.iter().copied())
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"));
    if let Some(file) = clock_file {
        c.env("LD_PRELOAD", libfaketime())
            .env("FAKETIME_TIMESTAMP_FILE", file)
            .env("FAKETIME_NO_CACHE", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }
    let hub = HubProcess(c.spawn().expect("start integra hub"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the hub did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    hub
}

/// GET `path` on the hub (with `token`): status and body.
async fn get(data: &Path, port: u16, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = client(data).get(format!("https://127.0.0.1:{port}{path}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    match r.send().await {
        Ok(resp) => {
            let s = resp.status().as_u16();
            (s, resp.json().await.unwrap_or_default())
        }
        Err(_) => (0, Value::Null),
    }
}

async fn post(
    data: &Path,
    port: u16,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut r = client(data)
        .post(format!("https://127.0.0.1:{port}{path}"))
        .json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.expect("request");
    let s = resp.status().as_u16();
    (s, resp.json().await.unwrap_or_default())
}

/// Ask `path` until `done` says yes (20 s at most); the last answer.
async fn until(
    data: &Path,
    port: u16,
    path: &str,
    token: Option<&str>,
    what: &str,
    done: impl Fn(u16, &Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = get(data, port, path, token).await;
        if done(s, &v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: last answer {s} {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn has_clock_alert(v: &Value) -> bool {
    v["alerts"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["kind"] == "clock-unsure"))
}

fn hub_time(v: &Value) -> DateTime<Utc> {
    v["clock"]["now"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("no clock time in {v}"))
}

/// Stop the hub as systemd does (SIGTERM) and wait for it: it saves its time on the way out.
fn stop(mut hub: HubProcess) {
    let pid = hub.0.id() as libc::pid_t;
    // SAFETY: a signal to the child we started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while hub.0.try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "the hub did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A day of work on a synchronised clock, then a cold boot at the epoch with no time source:
/// the hub resumes from its saved time (never behind it), says it is unsure (/health, the
/// staff alert), a coordinator sets the time from the admin page (audited), trust becomes
/// "confirmed" and the alert clears; then the wall clock jumps while it runs and it is unsure
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_booted_at_the_epoch_resumes_from_its_saved_time_until_a_coordinator_sets_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let log = dir.path().join("hub.log");
    let port = free_port();

    // The day's work, on a clock a time source keeps: a Monday 09:00 in Cúcuta (services
    // open), after this program was built; the coordinator's PIN made for that day.
    let clock = dir.path().join("faketime");
    write_clock(&clock, "@2030-01-07 14:00:00\n");
    let monday: DateTime<Utc> = "2030-01-07T14:00:00Z".parse().expect("time");
    let (admin_pin, _) = integra::hub::auth::new_pin(
        &integra::store::Store::open(&data).expect("store"),
        integra::hub::Role::Admin,
        monday,
    )
    .expect("pin");
    let hub = start(
        &data,
        port,
        Some(&clock),
        &[("INTEGRA_CLOCK_SYNCED", "1")],
        &log,
    );
    let (s, paired) = post(
        &data,
        port,
        "/api/v1/pair",
        None,
        json!({"pin": admin_pin, "name": "coordinator laptop"}),
    )
    .await;
    assert_eq!(s, 201, "{paired}");
    let admin = paired["token"].as_str().expect("token").to_string();
    let admin = Some(admin.as_str());
    let health = until(&data, port, "/api/v1/health", admin, "ready", |s, _| {
        s == 200
    })
    .await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["clock"]["trust"], "synced", "{health}");
    let (s, v) = post(
        &data,
        port,
        "/api/v1/tickets",
        admin,
        json!({"service": "info", "lang": "es"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    stop(hub);
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("clock")).expect("the hub saved its time"),
    )
    .expect("saved time is JSON");
    let saved_at = DateTime::parse_from_rfc3339(saved["at"].as_str().expect("at"))
        .expect("an RFC 3339 time")
        .with_timezone(&Utc);
    assert_eq!(saved["trust"], "synced");

    // A cold boot at systemd's epoch, no time source.
    write_clock(&clock, "@1970-01-01 00:00:00\n");
    let hub = start(
        &data,
        port,
        Some(&clock),
        &[("INTEGRA_CLOCK_SYNCED", "0")],
        &log,
    );
    let (s, stranger) = get(&data, port, "/api/v1/health", None).await;
    let health = until(&data, port, "/api/v1/health", admin, "ready", |s, _| {
        s == 200
    })
    .await;
    assert!(
        s == 503 || stranger == json!({"status": "clock-unsure", "epoch": 1}),
        "{s} {stranger}"
    );
    assert_eq!(health["status"], "clock-unsure", "{health}");
    assert_eq!(health["clock"]["trust"], "unsure", "{health}");
    // Never behind its floor: the saved time (or the build date, were it later).
    let saved_at = saved_at.max(integra::hub::clock::build_time());
    let resumed = hub_time(&health);
    assert!(
        resumed >= saved_at,
        "{resumed} is behind the saved {saved_at}"
    );
    assert!(
        resumed < saved_at + chrono::Duration::minutes(5),
        "{resumed} is far past the saved {saved_at}"
    );
    println!(
        "booted at the epoch: the hub resumed {} ms after its saved time",
        (resumed - saved_at).num_milliseconds()
    );
    let doubt = health["clock"]["doubt"].as_str().unwrap_or_default();
    assert!(doubt.contains("1970-01-01"), "{doubt}");
    until(
        &data,
        port,
        "/api/v1/alerts",
        admin,
        "the clock alert",
        |s, v| s == 200 && has_clock_alert(v),
    )
    .await;

    // A time before the build is refused and changes nothing.
    let (s, v) = post(
        &data,
        port,
        "/api/v1/admin/clock",
        admin,
        json!({"action": "set", "time": "1970-01-01T00:05:00Z"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid-time")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("built"),
        "{v}"
    );
    let (_, health) = get(&data, port, "/api/v1/health", admin).await;
    assert_eq!(health["clock"]["trust"], "unsure", "{health}");

    // The coordinator sets it from their computer.
    let theirs = saved_at + chrono::Duration::hours(14);
    let (s, v) = post(
        &data,
        port,
        "/api/v1/admin/clock",
        admin,
        json!({"action": "set", "time": theirs.to_rfc3339()}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["clock"]["trust"], "confirmed", "{v}");
    assert_eq!(v["applied"], "offset", "{v}");
    let (_, health) = get(&data, port, "/api/v1/health", admin).await;
    assert_eq!(health["status"], "ok", "{health}");
    let now = hub_time(&health);
    assert!(
        now >= theirs && now < theirs + chrono::Duration::minutes(1),
        "the hub says {now}, set to {theirs}"
    );
    let (_, alerts) = get(&data, port, "/api/v1/alerts", admin).await;
    assert!(!has_clock_alert(&alerts), "{alerts}");
    let (_, audit) = get(&data, port, "/api/v1/admin/audit", admin).await;
    let set = audit["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|x| x["op"] == "clock-set"))
        .unwrap_or_else(|| panic!("no clock-set in the audit log: {audit}"))
        .clone();
    assert_eq!(set["by"], "coordinator laptop", "{set}");
    assert!(
        set["target"]
            .as_str()
            .is_some_and(|t| t.contains(&theirs.format("%Y-%m-%d %H:%M").to_string())),
        "{set}"
    );

    // The wall clock jumps 5 hours while the hub runs, no time source to explain it.
    write_clock(&clock, "@1970-01-01 05:00:00\n");
    let jumped = Instant::now();
    let health = until(
        &data,
        port,
        "/api/v1/health",
        admin,
        "unsure after a jump",
        |_, v| v["clock"]["trust"] == "unsure",
    )
    .await;
    println!("unsure {} ms after the jump", jumped.elapsed().as_millis());
    assert_eq!(health["status"], "clock-unsure", "{health}");
    assert!(
        health["clock"]["doubt"]
            .as_str()
            .is_some_and(|d| d.contains("jumped")),
        "{health}"
    );
    until(
        &data,
        port,
        "/api/v1/alerts",
        admin,
        "the alert again",
        |_, v| has_clock_alert(v),
    )
    .await;
    // Confirming what it says makes it trusted again, audited.
    let (s, v) = post(
        &data,
        port,
        "/api/v1/admin/clock",
        admin,
        json!({"action": "confirm"}),
    )
    .await;
    assert_eq!((s, &v["clock"]["trust"]), (200, &json!("confirmed")), "{v}");
    let (_, audit) = get(&data, port, "/api/v1/admin/audit", admin).await;
    assert!(
        audit["entries"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["op"] == "clock-confirmed")),
        "{audit}"
    );
    stop(hub);
}

/// With no saved time (a lost or never-written `clock` file), a hub booted at the epoch still
/// never runs behind its newest stored event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_saved_time_the_hub_never_runs_behind_its_newest_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    // A day's work recorded by a technician's command at a known time after the build.
    let at = "2030-01-07T15:00:00Z";
    let out = Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(&data)
        .args(["--at", at, "issue", "--service", "info"])
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS")
        .output()
        .expect("integra issue");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!data.join("clock").exists());
    let newest: DateTime<Utc> = at.parse().expect("time");
    let (pin, _) = integra::hub::auth::new_pin(
        &integra::store::Store::open(&data).expect("store"),
        integra::hub::Role::Admin,
        newest,
    )
    .expect("pin");
    let clock = dir.path().join("faketime");
    write_clock(&clock, "@1970-01-01 00:00:00\n");
    let port = free_port();
    let _hub = start(
        &data,
        port,
        Some(&clock),
        &[("INTEGRA_CLOCK_SYNCED", "0")],
        &dir.path().join("hub.log"),
    );
    let (s, paired) = post(
        &data,
        port,
        "/api/v1/pair",
        None,
        json!({"pin": pin, "name": "coordinator laptop"}),
    )
    .await;
    assert_eq!(s, 201, "{paired}");
    let admin = paired["token"].as_str().map(str::to_string);
    let health = until(
        &data,
        port,
        "/api/v1/health",
        admin.as_deref(),
        "ready",
        |s, _| s == 200,
    )
    .await;
    let floor = newest.max(integra::hub::clock::build_time());
    let now = hub_time(&health);
    assert!(now >= floor, "{now} is behind the newest event {floor}");
    assert_eq!(health["status"], "clock-unsure", "{health}");
}

/// Write the fake clock beside and rename it over: the running hub reads the file at every
/// clock reading and must never see it empty halfway through a write (libfaketime would give
/// it the real time).
fn write_clock(file: &std::path::Path, text: &str) {
    let next = file.with_extension("next");
    std::fs::write(&next, text).expect("clock file");
    std::fs::rename(&next, file).expect("clock file in place");
}
