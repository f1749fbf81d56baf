//! Clock jumps on the real `integra hub`, its clock moved under it by libfaketime (issue #31):
//! a day ahead then back, midnight with a visitor at the counter, a year ahead at start (the
//! purge). `tests/run` installs `faketime`.

use super::common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The thread-safe build of libfaketime: the hub reads the clock file from many threads at once,
/// and the plain build's shared parse buffer can then yield the real time.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// A running `integra hub` whose clock is the content of a file (libfaketime).
struct FakeHub {
    child: Child,
    clock: PathBuf,
    base: String,
    data: PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Write the hub's clock: a UTC time "YYYY-MM-DD HH:MM:SS" (the hub runs with TZ=UTC).
/// Written beside and renamed over, so that the hub (which reads the file at every clock
/// reading) never sees it empty halfway through a write — libfaketime then gives the real time.
fn set_clock(file: &Path, utc: &str) {
    let next = file.with_extension("next");
    std::fs::write(&next, format!("@{utc}\n")).expect("write the fake clock");
    std::fs::rename(&next, file).expect("move the fake clock in place");
}

impl FakeHub {
    /// Start `integra hub` on `data` (the test catalog) at `utc`; `synced`: what the hub may
    /// believe of its clock (`INTEGRA_CLOCK_SYNCED`).
    fn start(data: &Path, utc: &str, synced: bool) -> FakeHub {
        assert!(
            Path::new(LIBFAKETIME).exists(),
            "these tests need libfaketime: `apt-get install faketime`"
        );
        let catalog = data.join("catalog.toml");
        std::fs::write(&catalog, TEST_CATALOG).expect("catalog file");
        // The hub's certificate made now (a hub making it under a fake year would date it so).
        integra::hub::tls::Identity::load_or_create(data).expect("identity");
        let clock = data.join("fake-clock");
        set_clock(&clock, utc);
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_integra"))
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME_TIMESTAMP_FILE", &clock)
            .env("FAKETIME_NO_CACHE", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("TZ", "UTC")
            .env("INTEGRA_CLOCK_SYNCED", if synced { "1" } else { "0" })
            .env_remove("INTEGRA_DATA")
            .env_remove("INTEGRA_SETTINGS")
            .arg("--data")
            .arg(data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("hub")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start integra hub");
        let hub = FakeHub {
            child,
            clock,
            base: format!("https://127.0.0.1:{port}"),
            data: data.to_path_buf(),
            rt: tokio::runtime::Runtime::new().expect("runtime"),
        };
        hub.wait_for("the hub to be ready", None, |h| {
            h.call("GET", "/api/v1/health", None, None).0 == 200
        });
        hub
    }

    fn set_clock(&self, utc: &str) {
        set_clock(&self.clock, utc);
    }

    /// (status, JSON body) of one request.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = https_to(&self.data).build().expect("client");
        self.rt.block_on(async {
            let url = format!("{}{path}", self.base);
            let mut r = match method {
                "POST" => client.post(url),
                _ => client.get(url),
            }
            .header("accept", "application/json");
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if let Some(b) = body {
                r = r.json(&b);
            }
            match r.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    (status, resp.json().await.unwrap_or_default())
                }
                Err(_) => (0, Value::Null),
            }
        })
    }

    fn admin(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_integra"))
            .env_remove("INTEGRA_DATA")
            .env_remove("INTEGRA_SETTINGS")
            .arg("--data")
            .arg(&self.data)
            // On the hub's clock: a PIN made on this machine's real clock would be years
            // before (or after) the hub's.
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME_TIMESTAMP_FILE", &self.clock)
            .env("FAKETIME_NO_CACHE", "1")
            .args(["pair", "--role", "admin"])
            .output()
            .expect("integra pair");
        assert!(out.status.success(), "{out:?}");
        let pin = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("a PIN line")
            .trim()
            .to_string();
        let (s, v) = self.call(
            "POST",
            "/api/v1/pair",
            None,
            Some(json!({"pin": pin, "name": "coordinator"})),
        );
        assert_eq!(s, 201, "{v}");
        v["token"].as_str().expect("token").to_string()
    }

    /// Wait (at most 20 s) until `ok` holds.
    fn wait_for(&self, what: &str, _token: Option<&str>, ok: impl Fn(&FakeHub) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok(self) {
            assert!(Instant::now() < deadline, "waited 20 s for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn issue(&self, token: &str) -> Value {
        let (s, v) = self.call(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({"service": "info", "lang": "es"})),
        );
        assert_eq!(s, 201, "{v}");
        v
    }

    fn state(&self, token: &str) -> Value {
        let (s, v) = self.call("GET", "/api/v1/state", Some(token), None);
        assert_eq!(s, 200, "{v}");
        v["state"].clone()
    }

    fn new_day_alert(&self, token: &str) -> Option<String> {
        let (_, v) = self.call("GET", "/api/v1/alerts", Some(token), None);
        v["alerts"].as_array().and_then(|list| {
            list.iter()
                .find(|a| a["kind"] == "new-day")
                .map(|a| a["day"].as_str().unwrap_or_default().to_string())
        })
    }
}

/// A local time in Bogotá on a day of January 2037, a calendar like 2026's (the 5th is a
/// Monday) but after any build date: a hub whose clock is unsure never runs behind its build
/// (issue #31), so dates in these tests must come after it.
fn local_2037(day: u32, h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    tz().with_ymd_and_hms(2037, 1, day, h, m, 0)
        .single()
        .expect("valid local time")
        .with_timezone(&chrono::Utc)
}

fn states(state: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = state["tickets"]
        .as_object()
        .map(|m| {
            m.values()
                .map(|t| {
                    (
                        format!(
                            "{}-{:03}",
                            t["prefix"].as_str().unwrap_or_default(),
                            t["number"].as_u64().unwrap_or_default()
                        ),
                        t["state"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Monday 08:00 in Bogotá is 13:00 UTC. A clock that cannot be trusted jumps to Tuesday: the
/// hub asks a coordinator instead of cancelling; numbers go on; Tuesday's visitor cannot check
/// in; the clock put back changes nothing; the coordinator starts the real Tuesday.
#[test]
fn the_real_hub_asks_before_a_new_day_and_a_jump_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = FakeHub::start(dir.path(), "2037-01-05 13:00:00", false);
    let admin = hub.admin();
    assert_eq!(hub.issue(&admin)["label"], "A-001");
    assert_eq!(hub.issue(&admin)["label"], "A-002");
    let (s, booked) = hub.call(
        "POST",
        "/api/v1/appointments",
        Some(&admin),
        Some(json!({"service": "legal", "date": "2037-01-06", "time": "09:00", "lang": "es"})),
    );
    assert_eq!(s, 201, "{booked}");
    let code = booked["code"].as_str().expect("code").to_string();

    // One day ahead (Tuesday 08:30 in Bogotá).
    hub.set_clock("2037-01-06 13:30:00");
    hub.wait_for("the new-day alert", None, |h| {
        h.new_day_alert(&admin).as_deref() == Some("2037-01-06")
    });
    assert_eq!(hub.issue(&admin)["label"], "A-003");
    let (s, v) = hub.call(
        "POST",
        "/api/v1/check-in",
        Some(&admin),
        Some(json!({"code": code})),
    );
    assert_eq!(s, 409, "Tuesday's visitor on Monday's queue: {v}");
    let state = hub.state(&admin);
    assert_eq!(state["day"], "2037-01-05");
    assert!(
        states(&state).iter().all(|(_, s)| s == "waiting"),
        "{:?}",
        states(&state)
    );

    // Put back to Monday: the day goes on, the alert goes.
    hub.set_clock("2037-01-05 15:00:00");
    hub.wait_for("the alert to clear", None, |h| {
        h.new_day_alert(&admin).is_none()
    });
    assert_eq!(hub.issue(&admin)["label"], "A-004");

    // The real Tuesday: the hub asks; a coordinator confirms the clock's day only.
    hub.set_clock("2037-01-06 12:00:00");
    hub.wait_for("the new-day alert", None, |h| {
        h.new_day_alert(&admin).as_deref() == Some("2037-01-06")
    });
    let (s, v) = hub.call(
        "POST",
        "/api/v1/day/start",
        Some(&admin),
        Some(json!({"day": "2037-01-07"})),
    );
    assert_eq!(s, 409, "not the clock's day: {v}");
    let (s, v) = hub.call(
        "POST",
        "/api/v1/day/start",
        Some(&admin),
        Some(json!({"day": "2037-01-06"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(hub.new_day_alert(&admin), None);
    assert_eq!(hub.issue(&admin)["label"], "A-001");
    let (s, v) = hub.call(
        "POST",
        "/api/v1/check-in",
        Some(&admin),
        Some(json!({"code": code})),
    );
    assert_eq!(s, 200, "Tuesday's visitor on Tuesday: {v}");
    let (_, audit) = hub.call("GET", "/api/v1/admin/audit", Some(&admin), None);
    assert!(
        audit["entries"].as_array().is_some_and(|l| l
            .iter()
            .any(|e| e["op"] == "start-day" && e["by"] == "coordinator")),
        "{audit}"
    );
}

/// Midnight on a trusted clock with a visitor at the counter and two waiting: the hub starts
/// the day by itself; the one at the counter stays and is finished; the waiting visitors'
/// pages say the day has ended; the new day's first number is not the one at the counter.
/// Then a step back of 40 minutes: the line keeps its order.
#[test]
fn the_real_hub_keeps_the_visitor_at_the_counter_over_midnight() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Monday 23:40 in Bogotá.
    let hub = FakeHub::start(dir.path(), "2037-01-06 04:40:00", true);
    let admin = hub.admin();
    let mut links = Vec::new();
    for _ in 0..3 {
        links.push(hub.issue(&admin)["follow_url"].as_str().map(str::to_string));
    }
    let (s, v) = hub.call("POST", "/api/v1/counters/1/next", Some(&admin), None);
    assert_eq!(s, 200, "{v}");

    hub.set_clock("2037-01-06 05:00:30");
    hub.wait_for("the new day", None, |h| {
        h.state(&admin)["day"] == "2037-01-06"
    });
    let state = hub.state(&admin);
    assert_eq!(states(&state), [("A-001".into(), "called".into())]);
    for link in links.iter().skip(1) {
        let link = link.as_deref().expect("a follow link");
        let path = &link[link.find("/f/").expect("a /f/ link")..];
        let (s, v) = hub.call("GET", path, None, None);
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["state"], "day_ended", "{v}");
    }
    let first = hub.issue(&admin);
    assert_ne!(first["label"], "A-001");
    let (s, v) = hub.call("POST", "/api/v1/tickets/A-001/finish", Some(&admin), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        states(&hub.state(&admin)),
        [
            ("A-001".into(), "done".into()),
            ("A-002".into(), "waiting".into())
        ]
    );

    // A step back of 40 minutes (still Tuesday): the last arrival waits behind the others.
    hub.issue(&admin);
    hub.set_clock("2037-01-06 14:00:00");
    hub.issue(&admin);
    hub.set_clock("2037-01-06 13:20:00");
    assert_eq!(hub.issue(&admin)["label"], "A-005");
    let mut called = Vec::new();
    for _ in 0..4 {
        let (s, v) = hub.call("POST", "/api/v1/counters/1/next", Some(&admin), None);
        assert_eq!(s, 200, "{v}");
        called.push(v["label"].clone());
    }
    assert_eq!(
        called,
        [
            json!("A-002"),
            json!("A-003"),
            json!("A-004"),
            json!("A-005")
        ]
    );
}

/// A hub that starts with its clock a year ahead: the purge at start keeps the names and
/// phones of the appointments still to come in the queue's day.
#[test]
fn the_real_hub_a_year_ahead_keeps_future_contacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut e = integra::engine::Engine::open(dir.path(), catalog()).expect("engine");
        e.execute(&issue("info", None), local_2037(5, 8, 0))
            .expect("issue");
        e.execute(
            &integra::core::Command::BookAppointment {
                service: "legal".into(),
                date: chrono::NaiveDate::from_ymd_opt(2037, 1, 19).expect("date"),
                time: chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
                lang: integra::core::Lang::Es,
                contact: integra::core::Contact {
                    name: Some("Wilner Joseph".into()),
                    phone: Some("300 555 0202".into()),
                },
                nonce: 7,
            },
            local_2037(5, 8, 0),
        )
        .expect("book");
    }
    let hub = FakeHub::start(dir.path(), "2038-01-05 13:00:00", false);
    drop(hub);
    let e = integra::engine::Engine::open(dir.path(), catalog()).expect("engine");
    let a = e
        .queue()
        .state()
        .appointments
        .values()
        .next()
        .expect("the appointment")
        .clone();
    assert_eq!(a.contact.name.as_deref(), Some("Wilner Joseph"));
    assert_eq!(
        e.queue().day().map(|d| d.to_string()).as_deref(),
        Some("2037-01-05")
    );
}
