//! The hub's standby (issue #32 point 3), real binaries on loopback: `integra hub` and
//! `integra standby` (a kiosk paired with `integra join`) keeping `DATA/standby/`. A command is
//! answered only once the standby holds it; a standby that stops acknowledging delays the hub
//! by at most `SYNC_WAIT`, then the hub goes on alone and says so; the copy started as a hub
//! is the same hub.

use super::browser::{HubProcess, free_port, pin, start_hub};
use integra::hub::Role;
use integra::store::Store;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct StandbyProcess(Child);

impl Drop for StandbyProcess {
    fn drop(&mut self) {
        // A stopped process must be let go before it can die.
        signal(&self.0, "CONT");
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
}

/// A hub, and a second device paired as a kiosk that runs `integra standby` against it.
struct Center {
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    data: PathBuf,
    spare: PathBuf,
    base: String,
    hub: HubProcess,
    standby: StandbyProcess,
    http: reqwest::Client,
    /// A counter's token (issues, reads the state, the alerts and /health's detail).
    counter: String,
}

fn integra(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_integra"));
    c.arg("--data")
        .arg(data)
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS");
    c
}

fn start_standby(spare: &Path, base: &str) -> StandbyProcess {
    let log = std::fs::File::create(spare.join("standby.log")).expect("log file");
    let child = integra(spare)
        .args(["standby", "--hub", base])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("integra standby");
    StandbyProcess(child)
}

fn copy_dir(spare: &Path) -> PathBuf {
    integra::standby::copy_dir(spare)
}

impl Center {
    fn new() -> Center {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("hub");
        let spare = dir.path().join("spare");
        std::fs::create_dir_all(&spare).expect("spare dir");
        let port = free_port();
        let base = format!("https://127.0.0.1:{port}");
        let hub = start_hub(&data, port);
        let http = super::common::https_to(&data)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let counter = rt.block_on(pair_http(&http, &base, &data, "counter", "desk"));
        let joined = integra(&spare)
            .args(["join", "--pin", &pin(&data, "kiosk"), "--hub", &base])
            .args(["--name", "spare kiosk"])
            .output()
            .expect("integra join");
        assert!(
            joined.status.success(),
            "join: {}",
            String::from_utf8_lossy(&joined.stderr)
        );
        let standby = start_standby(&spare, &base);
        let c = Center {
            rt,
            _dir: dir,
            data,
            spare,
            base,
            hub,
            standby,
            http,
            counter,
        };
        c.wait_standby("synchronous", Duration::from_secs(20));
        c
    }

    fn health(&self) -> Value {
        self.rt.block_on(async {
            match self
                .http
                .get(format!("{}/api/v1/health", self.base))
                .bearer_auth(&self.counter)
                .send()
                .await
            {
                Ok(r) => r.json().await.unwrap_or_default(),
                Err(_) => Value::Null,
            }
        })
    }

    fn wait_standby(&self, state: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let h = self.health();
            if h["standby"]["state"] == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the standby never became {state}: {h}; its log: {}",
                std::fs::read_to_string(self.spare.join("standby.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alert_kinds(&self) -> BTreeSet<String> {
        let v: Value = self.rt.block_on(async {
            self.http
                .get(format!("{}/api/v1/alerts", self.base))
                .bearer_auth(&self.counter)
                .send()
                .await
                .expect("alerts")
                .json()
                .await
                .expect("json")
        });
        v["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["kind"].as_str().map(str::to_string))
            .collect()
    }

    /// Issue one ticket as the counter: its label and how long the answer took.
    fn issue(&self) -> (String, Duration) {
        let t = Instant::now();
        let v = self
            .rt
            .block_on(issue_one(&self.http, &self.base, &self.counter))
            .expect("a ticket");
        (v, t.elapsed())
    }
}

async fn pair_http(
    http: &reqwest::Client,
    base: &str,
    data: &Path,
    role: &str,
    name: &str,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{base}/api/v1/health")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "the hub never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let v: Value = http
        .post(format!("{base}/api/v1/pair"))
        .json(&json!({"pin": pin(data, role), "name": name}))
        .send()
        .await
        .expect("pair")
        .json()
        .await
        .expect("json");
    v["token"].as_str().expect("token").to_string()
}

/// One ticket (201) or None when the hub did not answer it.
async fn issue_one(http: &reqwest::Client, base: &str, token: &str) -> Option<String> {
    let r = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(token)
        .json(&json!({"service": "info", "lang": "es"}))
        .send()
        .await
        .ok()?;
    if r.status().as_u16() != 201 {
        return None;
    }
    let v: Value = r.json().await.ok()?;
    v["label"].as_str().map(str::to_string)
}

/// Four clients issuing as fast as they can, `each` tickets or until the hub stops answering.
async fn burst(http: &reqwest::Client, base: &str, token: &str, each: usize) -> Vec<String> {
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (http, base, token) = (http.clone(), base.to_string(), token.to_string());
        clients.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for _ in 0..each {
                match issue_one(&http, &base, &token).await {
                    Some(l) => acks.push(l),
                    None => break,
                }
            }
            acks
        }));
    }
    let mut all = Vec::new();
    for c in clients {
        all.extend(c.await.expect("client"));
    }
    all
}

fn rows(db: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get_ref(i).map(|v| match v {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                    rusqlite::types::ValueRef::Real(f) => f.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(b) => format!("{b:?}"),
                })
            })
            .collect()
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn db(dir: &Path) -> PathBuf {
    dir.join("integra.sqlite3")
}

/// After a burst from four clients, with no waiting, the copy holds exactly the hub's log,
/// ticket rows and idempotency keys; the hub's identity and history; a device paired on the
/// hub is in the copy as soon as its pairing is answered.
#[test]
fn the_copy_equals_the_hubs_log_after_a_burst_and_holds_a_new_pairing() {
    let c = Center::new();
    let acked = c.rt.block_on(burst(&c.http, &c.base, &c.counter, 25));
    assert_eq!(acked.len(), 100, "every ticket of the burst answered");
    // A retried command's key travels with its events.
    let keyed = c.rt.block_on(async {
        c.http
            .post(format!("{}/api/v1/tickets", c.base))
            .bearer_auth(&c.counter)
            .header("Idempotency-Key", "\"standby-test-1\"")
            .json(&json!({"service": "legal", "lang": "ht"}))
            .send()
            .await
            .expect("keyed ticket")
            .status()
    });
    assert_eq!(keyed.as_u16(), 201);
    let copy = copy_dir(&c.spare);
    // No wait: every answer came after the standby's durable commit.
    for sql in [
        "SELECT seq, at, type, body FROM events ORDER BY seq",
        "SELECT id, day, prefix, number, label, state FROM tickets ORDER BY id",
        "SELECT device, key, fingerprint, first_seq, last_seq FROM idempotency_keys ORDER BY device, key",
    ] {
        let hub = rows(&db(&c.data), sql);
        assert!(!hub.is_empty(), "{sql}: nothing on the hub");
        let theirs = rows(&db(&copy), sql);
        let first = hub.iter().zip(&theirs).position(|(a, b)| a != b);
        assert!(
            first.is_none() && theirs.len() == hub.len(),
            "{sql}: the copy differs: {} rows against the hub's {}; first difference at row {first:?}: {:?} / {:?}",
            theirs.len(),
            hub.len(),
            first.and_then(|i| theirs.get(i)),
            first.and_then(|i| hub.get(i)),
        );
    }
    for file in ["hub-certificate.pem", "hub-key.pem", "history-id"] {
        assert_eq!(
            std::fs::read(copy.join(file)).expect("copy's file"),
            std::fs::read(c.data.join(file)).expect("hub's file"),
            "{file}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: PathBuf| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(copy.join("hub-key.pem")), 0o600);
    assert_eq!(mode(copy.clone()), 0o700);
    let state = integra::standby::CopyState::read(&c.spare).expect("standby/state");
    let last = Store::open(&c.data)
        .expect("store")
        .last_seq()
        .expect("seq");
    assert_eq!(state.seq, last);
    // A pairing: in the copy once answered.
    let tv =
        c.rt.block_on(pair_http(&c.http, &c.base, &c.data, "display", "lobby tv"));
    assert!(!tv.is_empty());
    let names: Vec<String> = rows(&db(&copy), "SELECT name FROM devices ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(names.contains(&"lobby tv".to_string()), "{names:?}");
    // The link stays synchronous after the new base.
    c.wait_standby("synchronous", Duration::from_secs(5));
    let (label, _) = c.issue();
    let copy_labels = rows(&db(&copy), "SELECT label FROM tickets");
    assert!(
        copy_labels.iter().any(|r| r[0] == label),
        "{label} not in the copy"
    );
}

/// A standby that stops acknowledging (SIGSTOP): the next command waits SYNC_WAIT, then the hub
/// goes on alone, says so (standby-behind on the consoles, /health), answers at once while
/// behind; when the standby runs again it catches up and the alert clears.
#[test]
fn a_standby_that_stops_acknowledging_delays_then_the_hub_goes_on_alone_and_says_so() {
    let c = Center::new();
    let (_, quick) = c.issue();
    assert!(
        quick < Duration::from_millis(1000),
        "with the standby: {quick:?}"
    );
    assert!(!c.alert_kinds().contains("standby-behind"));
    signal(&c.standby.0, "STOP");
    let (stopped_label, waited) = c.issue();
    assert!(
        waited >= integra::hub::replica::SYNC_WAIT,
        "answered before the standby had it: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert!(c.alert_kinds().contains("standby-behind"));
    assert_eq!(c.health()["standby"]["state"], "behind");
    let (_, alone) = c.issue();
    assert!(
        alone < Duration::from_millis(1000),
        "the hub alone waits no more: {alone:?}"
    );
    signal(&c.standby.0, "CONT");
    c.wait_standby("synchronous", Duration::from_secs(10));
    assert!(!c.alert_kinds().contains("standby-behind"));
    let copy_labels = rows(&db(&copy_dir(&c.spare)), "SELECT label FROM tickets");
    assert!(copy_labels.iter().any(|r| r[0] == stopped_label));
    println!(
        "standby stopped: a command waited {waited:?}, then {alone:?} alone (with it: {quick:?})"
    );
}

/// kill -9 of the hub while four clients issue: every acknowledged ticket is in the standby's
/// copy, and `integra hub --data SPARE/standby` started on it serves them, with the same
/// certificate (a client pinned to the old hub talks to it) and the same pairings (the old
/// counter token works).
#[test]
fn every_acknowledged_ticket_survives_a_kill_of_the_hub_in_the_standbys_copy() {
    let mut c = Center::new();
    let (http, base, token) = (c.http.clone(), c.base.clone(), c.counter.clone());
    let load =
        c.rt.spawn(async move { burst(&http, &base, &token, 10_000).await });
    std::thread::sleep(Duration::from_millis(600));
    let _ = c.hub.0.kill();
    let acked = c.rt.block_on(load).expect("load");
    let _ = c.hub.0.wait();
    assert!(
        acked.len() >= 10,
        "too little issued to mean anything: {}",
        acked.len()
    );
    // The spare's process dies too (its copy must be durable on its own).
    let _ = c.standby.0.kill();
    let _ = c.standby.0.wait();
    let copy = copy_dir(&c.spare);
    let port = free_port();
    let _promoted = start_hub(&copy, port);
    let base = format!("https://127.0.0.1:{port}");
    // Pinned to the OLD hub's certificate.
    let state: Value = c.rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = c
                .http
                .get(format!("{base}/api/v1/state"))
                .bearer_auth(&c.counter)
                .send()
                .await
                && r.status().is_success()
            {
                return r.json().await.expect("json");
            }
            assert!(Instant::now() < deadline, "the copy never served as a hub");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let stored: BTreeSet<String> = state["state"]["tickets"]
        .as_object()
        .expect("tickets")
        .values()
        .map(|t| {
            format!(
                "{}-{:03}",
                t["prefix"].as_str().unwrap_or("?"),
                t["number"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|l| !stored.contains(*l)).collect();
    assert!(lost.is_empty(), "acknowledged, not in the copy: {lost:?}");
    let acked_set: BTreeSet<&String> = acked.iter().collect();
    assert_eq!(acked_set.len(), acked.len(), "a number given twice");
    println!(
        "kill -9 under 4 clients: {} acknowledged, {} in the copy, 0 lost",
        acked.len(),
        stored.len()
    );
}

/// Only the hub's standby gets the unredacted log and the key: no token 401; a display, a
/// counter, an admin 403; a second kiosk 403 while the first is the standby.
#[test]
fn the_replica_route_refuses_a_display_a_stranger_and_a_second_kiosk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, _hub, addr) = super::common::serve(dir.path());
    let http = super::common::http();
    let url = format!("http://{addr}/api/v1/replica");
    let status = |token: Option<&str>| {
        rt.block_on(async {
            let mut r = http
                .get(&url)
                .header("Connection", "Upgrade")
                .header("Upgrade", "websocket")
                .header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            r.send().await.expect("request").status().as_u16()
        })
    };
    assert_eq!(status(None), 401);
    assert_eq!(status(Some("not-a-token")), 401);
    for (role, name) in [
        (Role::Display, "tv"),
        (Role::Counter, "desk"),
        (Role::Admin, "admin"),
    ] {
        let t = super::common::pair(addr, dir.path(), role, name);
        assert_eq!(status(Some(&t)), 403, "{name}");
    }
    let first = super::common::pair(addr, dir.path(), Role::Kiosk, "spare");
    let second = super::common::pair(addr, dir.path(), Role::Kiosk, "lobby kiosk");
    assert_eq!(
        status(Some(&first)),
        101,
        "the first kiosk becomes the standby"
    );
    assert_eq!(status(Some(&second)), 403, "a hub has one standby");
    let log = Store::open(dir.path())
        .expect("store")
        .security_log(10)
        .expect("log");
    assert!(log.iter().any(|e| e.kind == "standby-granted"));
}

/// `standby = true` belongs on a kiosk that is not the hub; anywhere else the settings are
/// refused with the line, the field and the fix. A standby that is not paired says how to pair.
#[test]
fn standby_is_set_only_on_a_second_kiosk_and_needs_a_pairing() {
    use integra::device::settings::Settings;
    let ok = "role = \"kiosk\"\nhub = \"https://192.168.1.10:7878\"\nstandby = true\n";
    assert!(
        Settings::parse(ok, "integra.toml")
            .expect("a second kiosk")
            .standby
    );
    for (text, words) in [
        (
            "role = \"kiosk\"\nstandby = true\n",
            "this device runs the hub",
        ),
        (
            "role = \"hub\"\nstandby = true\n",
            "this device runs the hub",
        ),
        (
            "role = \"display\"\nhub = \"auto\"\nstandby = true\n",
            "only a kiosk",
        ),
        (
            "role = \"counter\"\ncounter = \"1\"\nstandby = true\n",
            "only a kiosk",
        ),
    ] {
        let err = Settings::parse(text, "integra.toml").expect_err(text);
        let shown = err.to_string();
        assert!(shown.contains(words), "{text}: {shown}");
        assert!(err.0.iter().any(|i| i.field == "standby"), "{shown}");
        let line = text
            .lines()
            .position(|l| l.starts_with("standby"))
            .map(|i| i + 1);
        assert!(err.0.iter().any(|i| i.line == line), "{shown}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = integra(dir.path())
        .args(["standby", "--hub", "https://127.0.0.1:9"])
        .output()
        .expect("integra standby");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not paired") && err.contains("integra join"),
        "{err}"
    );
    assert!(
        !copy_dir(dir.path()).exists(),
        "an unpaired standby made a copy"
    );
}
