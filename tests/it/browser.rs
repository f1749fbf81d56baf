//! The staff console end to end: the real `integra hub` process, headless Chromium driven by
//! Playwright (tests/e2e/console.mjs): pair, call next by click and by F2, switch language, then
//! the hub is killed and restarted and the console reconnects by itself.
//! Needs Debian's chromium and `npm ci --prefix tests/e2e` (both installed by .ci/run).

pub use super::common::free_port;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct HubProcess(pub Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start_hub(data: &Path, port: u16) -> HubProcess {
    start_hub_with(data, port, &[])
}

/// `integra hub` with extra environment variables (drill hooks).
pub fn start_hub_with(data: &Path, port: u16, env: &[(&str, &str)]) -> HubProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_integra"))
        .envs(env.iter().copied())
        .args(["--data"])
        .arg(data)
        .args(["--at", "2026-01-05T14:00:00Z", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("hub")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start integra hub");
    let hub = HubProcess(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the hub did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    hub
}

pub fn pin(data: &Path, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(data)
        .args(["pair", "--role", role])
        .output()
        .expect("integra pair");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("a PIN line")
        .trim()
        .to_string()
}

/// A client for the `integra hub` on `data` (HTTPS, pinned to its certificate).
pub fn client(data: &Path) -> reqwest::Client {
    super::common::https_to(data).build().expect("client")
}

/// What a staff browser is told to trust: the hub's key (Chromium's SPKI list).
pub fn spki(data: &Path) -> String {
    integra::hub::tls::Identity::load_or_create(data)
        .and_then(|id| id.spki_sha256())
        .expect("the hub's key")
}

fn post(
    rt: &tokio::runtime::Runtime,
    data: &Path,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Value {
    let client = client(data);
    rt.block_on(async {
        let mut r = client.post(url).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or_default();
        assert!(status.is_success(), "{status}: {v}");
        v
    })
}

/// Where the Playwright scripts are and which Chromium they drive (`tests/run` installs both).
pub fn playwright() -> (PathBuf, String) {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").exists(),
        "the browser test needs Playwright: run `npm ci --prefix tests/e2e` (and `apt-get install chromium`)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    (e2e, chromium)
}

#[test]
fn staff_console_in_headless_chromium() {
    let (e2e, chromium) = playwright();
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Chromium at {chromium}: `apt-get install chromium` (or set CHROMIUM)"
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let mut hub = start_hub(&data, port);
    let admin = post(
        &rt,
        &data,
        format!("{base}/api/v1/pair"),
        None,
        json!({"pin": pin(&data, "admin"), "name": "test admin"}),
    )["token"]
        .as_str()
        .expect("token")
        .to_string();
    for _ in 0..2 {
        post(
            &rt,
            &data,
            format!("{base}/api/v1/tickets"),
            Some(&admin),
            json!({"service": "info", "lang": "ht"}),
        );
    }
    let shot: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&shot).expect("screens dir");
    let shot = shot.join("console-1280x800-ht.png");
    let mut node = Command::new("node")
        .arg(e2e.join("console.mjs"))
        .env("HUB_URL", &base)
        .env("PAIR_PIN", pin(&data, "counter"))
        .env("ADMIN_PIN", pin(&data, "admin"))
        .env("SHOT", &shot)
        .env("CHROMIUM", &chromium)
        .env("SPKI", spki(&data))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node (apt-get install nodejs)");
    let mut stdin = node.stdin.take().expect("stdin");
    let stdout = BufReader::new(node.stdout.take().expect("stdout"));
    let mut log = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("line");
        log.push(line.clone());
        if line == "RESTART" {
            // Kill the hub while the console is connected, start it again on the same data,
            // and issue a ticket: the console must reconnect and show it without a reload.
            drop(hub);
            hub = start_hub(&data, port);
            post(
                &rt,
                &data,
                format!("{base}/api/v1/tickets"),
                Some(&admin),
                json!({"service": "info", "lang": "es"}),
            );
            writeln!(stdin, "restarted").expect("tell node");
        }
    }
    let status = node.wait().expect("node");
    drop(hub);
    let log = log.join("\n");
    assert!(status.success() && log.contains("E2E OK"), "{log}");
    assert!(shot.exists());
}

/// Safeguarding in the staff console (tests/e2e/safeguarding.mjs): class icon + name and
/// language on every ticket, the urgent protection alert on two consoles until one acknowledges
/// it; screenshots at 1024 px.
#[test]
fn safeguarding_in_the_staff_console() {
    let (e2e, chromium) = playwright();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let hub = start_hub(&data, port);
    let admin = post(
        &rt,
        &data,
        format!("{base}/api/v1/pair"),
        None,
        json!({"pin": pin(&data, "admin"), "name": "test admin"}),
    )["token"]
        .as_str()
        .expect("token")
        .to_string();
    for body in [
        json!({"service": "legal", "lang": "pt", "priority": "older"}),
        json!({"service": "legal", "lang": "ht", "priority": "protection"}),
        json!({"service": "info", "lang": "fr"}),
    ] {
        post(
            &rt,
            &data,
            format!("{base}/api/v1/tickets"),
            Some(&admin),
            body,
        );
    }
    let shots: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&shots).expect("screens dir");
    let out = Command::new("node")
        .arg(e2e.join("safeguarding.mjs"))
        .env("HUB_URL", &base)
        .env("PIN_A", pin(&data, "counter"))
        .env("PIN_B", pin(&data, "counter"))
        .env("ADMIN_PIN", pin(&data, "admin"))
        .env("SHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .env("SPKI", spki(&data))
        .output()
        .expect("node (apt-get install nodejs)");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && log.contains("E2E OK"),
        "{log}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shots.join("console-protection-alert-1024-es.png").exists());
    // The acknowledgement is in the audit log, with the console that made it.
    let audit: Value = rt.block_on(async {
        client(&data)
            .get(format!("{base}/api/v1/admin/audit"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("audit")
            .json()
            .await
            .expect("json")
    });
    drop(hub);
    let acks: Vec<&Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["op"] == "acknowledged")
        .collect();
    assert_eq!(acks.len(), 1, "{audit}");
    let ops: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["op"].as_str())
        .collect();
    assert!(
        ops.contains(&"put_priority_class") && ops.contains(&"set_limits"),
        "{ops:?}"
    );
    assert_eq!(acks[0]["target"], "B-002");
    assert_eq!(acks[0]["by"], "Recepción 1");
}

/// A visitor's phone (tests/e2e/follow.mjs): headless Chromium at 360×640 opens the follow link
/// of a real `integra hub` over plain HTTP (as from the slip's QR code); the page fits, loads
/// nothing from elsewhere, turns to "your turn" by itself when staff call, and takes the one
/// feedback answer after the visit. Screenshots in the screens directory.
#[test]
fn a_visitor_follows_the_turn_on_a_phone() {
    let (e2e, chromium) = playwright();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let hub = start_hub(&data, port);
    let pair = |role: &str| {
        post(
            &rt,
            &data,
            format!("{base}/api/v1/pair"),
            None,
            json!({"pin": pin(&data, role), "name": format!("test {role}")}),
        )["token"]
            .as_str()
            .expect("token")
            .to_string()
    };
    let kiosk = pair("kiosk");
    let staff = pair("counter");
    let issue = || {
        post(
            &rt,
            &data,
            format!("{base}/api/v1/tickets"),
            Some(&kiosk),
            json!({"service": "info", "lang": "es"}),
        )
    };
    issue();
    let mine = issue();
    let follow = mine["follow_url"].as_str().expect("follow_url").to_string();
    assert!(
        follow.starts_with(&format!("http://127.0.0.1:{port}/f/")),
        "{follow}"
    );
    let demo = integra::core::Catalog::demo().expect("demo");
    let counter = demo
        .counters
        .iter()
        .find(|c| c.services.iter().any(|s| s.as_str() == "info"))
        .expect("a counter for info")
        .id
        .to_string();
    let shots: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&shots).expect("screens dir");
    let out = Command::new("node")
        .arg(e2e.join("follow.mjs"))
        .env("FOLLOW_URL", &follow)
        .env("HUB_URL", &base)
        .env("STAFF", &staff)
        .env("COUNTER", &counter)
        .env("LABEL", mine["label"].as_str().expect("label"))
        .env("SHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node (apt-get install nodejs)");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && log.contains("E2E OK"),
        "{log}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for shot in ["waiting", "called", "question", "thanks"] {
        assert!(
            shots.join(format!("follow-{shot}-360.png")).exists(),
            "{shot}"
        );
    }
    // The answer the phone sent is stored (once).
    let v: Value = rt.block_on(async {
        reqwest::Client::new()
            .get(&follow)
            .header("accept", "application/json")
            .send()
            .await
            .expect("follow")
            .json()
            .await
            .expect("json")
    });
    drop(hub);
    assert_eq!(v["feedback"], "given", "{v}");
}

/// What the technician does once per staff computer (deploy/README.md): fetch the hub's
/// certificate, compare its fingerprint with the one `integra pair` shows, and install it as
/// trusted (here Chromium's NSS store, `certutil -t "P,,"`). Then real Chromium opens the hub
/// over HTTPS with no warning — also when given the plain `http://` address, which only
/// redirects — while a browser without it refuses the hub as untrusted.
#[test]
fn a_staff_browser_trusts_the_hub_once_its_certificate_is_installed() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("hub");
    let port = free_port();
    let _hub = start_hub(&data, port);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let served = rt.block_on(async {
        client(&data)
            .get(format!("https://127.0.0.1:{port}/hub-certificate.pem"))
            .send()
            .await
            .expect("certificate")
            .text()
            .await
            .expect("pem")
    });
    let file = std::fs::read_to_string(data.join(integra::hub::tls::CERT_FILE)).expect("cert");
    assert_eq!(served, file, "the hub serves its own certificate");
    let pem = dir.path().join("integra-hub.pem");
    std::fs::write(&pem, &served).expect("write");
    let trusted = dir.path().join("trusted-home");
    let nssdb = trusted.join(".pki/nssdb");
    std::fs::create_dir_all(&nssdb).expect("nssdb");
    let db = format!("sql:{}", nssdb.display());
    for args in [
        vec!["-d", &db, "-N", "--empty-password"],
        vec![
            "-d",
            &db,
            "-A",
            "-t",
            "P,,",
            "-n",
            "Integra hub",
            "-i",
            pem.to_str().expect("path"),
        ],
    ] {
        let s = Command::new("certutil")
            .args(&args)
            .status()
            .expect("certutil (apt-get install libnss3-tools)");
        assert!(s.success(), "certutil {args:?}");
    }
    let open = |home: &Path, url: &str| {
        let out = Command::new(&chromium)
            .env("HOME", home)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--dump-dom",
                url,
            ])
            .output()
            .expect("chromium");
        // The page's DOM, then what Chromium said: a page that did not load has no DOM in
        // newer Chromium (156), which names the network error on stderr instead.
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let https = format!("https://127.0.0.1:{port}/api/v1/health");
    let page = open(&trusted, &https);
    assert!(page.contains(r#""status":"ok""#), "{page}");
    let page = open(&trusted, &format!("http://127.0.0.1:{port}/api/v1/health"));
    assert!(
        page.contains(r#""status":"ok""#),
        "plain HTTP redirects: {page}"
    );
    let stranger = dir.path().join("stranger-home");
    std::fs::create_dir_all(&stranger).expect("home");
    let page = open(&stranger, &https);
    assert!(page.contains("ERR_CERT_AUTHORITY_INVALID"), "{page}");
    assert!(!page.contains(r#""status":"ok""#), "{page}");
}

/// The staff console and the admin pages on a busy morning (tests/e2e/layout.mjs): waiting
/// visitors with priority classes, today's appointments, a device alert — at 1024, 1280 and
/// 1920 px nothing scrolls sideways, no control is covered or clipped, ticket numbers stay on
/// one line; in a browser set to another time zone, the booking date, the PIN's expiry, the
/// audit log and the report's dates are the center's.
#[test]
fn the_console_and_admin_pages_fit_1024_to_1920_in_the_centers_time() {
    let (e2e, chromium) = playwright();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let hub = start_hub(&data, port);
    let pair = |role: &str, name: &str| -> String {
        post(
            &rt,
            &data,
            format!("{base}/api/v1/pair"),
            None,
            json!({"pin": pin(&data, role), "name": name}),
        )["token"]
            .as_str()
            .expect("token")
            .to_string()
    };
    let admin = pair("admin", "setup");
    let kiosk = pair("kiosk", "Kiosco de la entrada");
    // Waiting visitors, some with priority, in several languages.
    for (service, lang, priority) in [
        ("legal", "pt", Some("older")),
        ("info", "fr", None),
        ("health", "ht", Some("pregnant")),
        ("info", "es", None),
        ("legal", "en", Some("disability")),
        ("housing", "es", None),
        ("jobs", "ht", None),
        ("education", "pt", Some("minor")),
    ] {
        let mut body = json!({"service": service, "lang": lang});
        if let Some(p) = priority {
            body["priority"] = json!(p);
        }
        post(
            &rt,
            &data,
            format!("{base}/api/v1/tickets"),
            Some(&kiosk),
            body,
        );
    }
    // Today's appointments (the hub's day: 2026-01-05).
    let slots: Value = rt.block_on(async {
        client(&data)
            .get(format!("{base}/api/v1/slots?service=legal&date=2026-01-05"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("slots")
            .json()
            .await
            .expect("json")
    });
    let free: Vec<String> = slots["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .filter(|s| s["free"].as_u64().unwrap_or(0) > 0)
        .filter_map(|s| s["time"].as_str().map(str::to_string))
        // (the hub's clock says 09:00)
        .filter(|t| t.as_str() >= "09:30")
        .take(3)
        .collect();
    assert!(!free.is_empty(), "no free slot today: {slots}");
    for (i, time) in free.iter().enumerate() {
        post(
            &rt,
            &data,
            format!("{base}/api/v1/appointments"),
            Some(&admin),
            json!({"service": "legal", "date": "2026-01-05", "time": time, "lang": "es",
                   "name": format!("Persona {i}"), "phone": "300 000 0000"}),
        );
    }
    // A device alert.
    post(
        &rt,
        &data,
        format!("{base}/api/v1/alerts"),
        Some(&kiosk),
        json!({"alerts": [{"kind": "paper-out", "message": "the printer is out of paper"}]}),
    );
    let shots: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&shots).expect("screens dir");
    let out = Command::new("node")
        .arg(e2e.join("layout.mjs"))
        .env("HUB_URL", &base)
        .env("ADMIN_PIN", pin(&data, "admin"))
        .env("CENTER_TZ", "America/Bogota")
        .env("SHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .env("SPKI", spki(&data))
        .output()
        .expect("node (apt-get install nodejs)");
    drop(hub);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && log.contains("E2E OK"),
        "{log}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for w in [1024, 1280, 1920] {
        assert!(shots.join(format!("console-busy-{w}.png")).exists());
        assert!(shots.join(format!("admin-{w}.png")).exists());
    }
}
