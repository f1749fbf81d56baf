//! The first admin without a shell: the setup code written in the hub's `integra.toml` pairs
//! one admin browser on `/setup`, once; wrong codes count in the pairing limiter and are
//! audited; a restart finds the code spent; a hub with no code says how to add one.

use super::browser::{HubProcess, client};
use super::common::free_port;
use super::hub::start_hub;
use integra::device::SetupCode;
use integra::hub::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CODE: &str = "5830 2719 4406";

/// `integra --settings FILE hub`, as systemd starts it on the image (the settings say where
/// the data is and where it listens).
fn start_hub_with_settings(settings: &Path, port: u16) -> HubProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(settings)
        .arg("hub")
        .env_remove("INTEGRA_SETTINGS")
        .env_remove("INTEGRA_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start integra hub");
    let hub = HubProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the hub did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    hub
}

fn settings_file(dir: &Path, port: u16, code: Option<&str>) -> std::path::PathBuf {
    let data = dir.join("data");
    let file = dir.join("integra.toml");
    let code = code.map_or(String::new(), |c| format!("setup_code = \"{c}\"\n"));
    std::fs::write(
        &file,
        format!(
            "role = \"hub\"\n{code}listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n",
            data.display()
        ),
    )
    .expect("settings");
    file
}

async fn call(
    http: &reqwest::Client,
    method: &str,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = match method {
        "GET" => http.get(url),
        _ => http.post(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status();
    (status, r.json().await.unwrap_or_default())
}

fn doctor(settings: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(settings)
        .arg("doctor")
        .env_remove("INTEGRA_SETTINGS")
        .env_remove("INTEGRA_DATA")
        .output()
        .expect("integra doctor");
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn setup_line(doctor: &str) -> String {
    doctor
        .lines()
        .find(|l| l.contains("setup code"))
        .unwrap_or_else(|| panic!("no setup code line in:\n{doctor}"))
        .to_string()
}

#[test]
fn the_setup_code_pairs_the_first_admin_once_on_the_real_hub() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let settings = settings_file(dir.path(), port, Some(CODE));
    let data = dir.path().join("data");
    let hub = start_hub_with_settings(&settings, port);
    let http = client(&data);
    let url = |p: &str| format!("https://127.0.0.1:{port}{p}");
    assert!(
        setup_line(&doctor(&settings)).contains("set, not used yet"),
        "{}",
        doctor(&settings)
    );
    rt.block_on(async {
        // The page is served, in the console's look.
        let page = http.get(url("/setup")).send().await.expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.expect("html").contains("/setup.js"));
        let (s, v) = call(&http, "GET", url("/api/v1/setup"), None, None).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("ready")));
        // A wrong code: refused, nothing paired.
        let (s, v) = call(
            &http,
            "POST",
            url("/api/v1/setup"),
            None,
            Some(json!({"code": "5830 2719 4407", "name": "Laptop"})),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(v["error"]["code"], "wrong-setup-code");
        // The right one, typed with dashes: this browser is an admin.
        let (s, v) = call(
            &http,
            "POST",
            url("/api/v1/setup"),
            None,
            Some(json!({"code": "5830-2719-4406", "name": "Coordinator's laptop"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["role"], "admin");
        let token = v["token"].as_str().expect("a token").to_string();
        let (s, audit) = call(&http, "GET", url("/api/v1/admin/audit"), Some(&token), None).await;
        assert_eq!(s, StatusCode::OK, "{audit}");
        let ops: Vec<&str> = audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["op"].as_str())
            .collect();
        assert!(ops.contains(&"setup-code"), "{ops:?}");
        assert!(ops.contains(&"setup-code-wrong"), "{ops:?}");
        let (s, me) = call(&http, "GET", url("/api/v1/me"), Some(&token), None).await;
        assert_eq!((s, me["role"].as_str()), (StatusCode::OK, Some("admin")));
        // Spent: a second try of the right code says so.
        let (s, v) = call(
            &http,
            "POST",
            url("/api/v1/setup"),
            None,
            Some(json!({"code": CODE, "name": "Someone else"})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"]["code"], "setup-code-used");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("ask an admin for a PIN on the admin page")),
            "{v}"
        );
    });
    drop(hub);
    // After a restart the code is still spent.
    let _hub = start_hub_with_settings(&settings, port);
    rt.block_on(async {
        let (s, v) = call(&http, "GET", url("/api/v1/setup"), None, None).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("used")));
        let (s, v) = call(
            &http,
            "POST",
            url("/api/v1/setup"),
            None,
            Some(json!({"code": CODE, "name": "Again"})),
        )
        .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("setup-code-used"))
        );
    });
    assert!(
        setup_line(&doctor(&settings)).contains("used"),
        "{}",
        doctor(&settings)
    );
}

/// Wrong codes count in the hub's failed-pairing limiter: after its tries, even the right code
/// waits; nothing was paired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_setup_codes_count_in_the_pairing_limiter() {
    let h = start_hub(super::common::catalog()).await;
    h.hub.set_setup_code(Some(SetupCode::new(CODE)));
    for i in 0..integra::hub::auth::ATTEMPTS_PER_ADDRESS {
        let (s, v) = h
            .call(
                "POST",
                "/api/v1/setup",
                None,
                Some(json!({"code": format!("1357 9246 80{i:02}"), "name": "guess"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/setup",
            None,
            Some(json!({"code": CODE, "name": "guess"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let (_, v) = h.call("GET", "/api/v1/setup", None, None).await;
    assert_eq!(v["state"], "ready", "nothing was spent");
}

/// A hub with no setup code: the page says how to add one while there is no admin, and to ask
/// an admin for a PIN once there is one; the route pairs nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_without_a_setup_code_says_how_to_add_one() {
    let h = start_hub(super::common::catalog()).await;
    let (_, v) = h.call("GET", "/api/v1/setup", None, None).await;
    assert_eq!(v["state"], "no-code");
    let (s, v) = h
        .call(
            "POST",
            "/api/v1/setup",
            None,
            Some(json!({"code": CODE, "name": "x"})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("no-setup-code"))
    );
    let _admin = h.token(Role::Admin).await;
    let (_, v) = h.call("GET", "/api/v1/setup", None, None).await;
    assert_eq!(v["state"], "no-code-admin");
    // The words the page shows, in every language, name the file and the field.
    for lang in integra::core::Lang::ALL {
        let l = integra::i18n::Localizer::new(lang).expect("locale");
        assert!(
            l.text("setup-no-code", None).contains("setup_code"),
            "{lang:?}"
        );
        assert!(
            l.text("setup-no-code", None).contains("integra.toml"),
            "{lang:?}"
        );
    }
}

#[test]
fn the_setup_page_uses_exactly_its_fluent_ids() {
    let page = include_str!("../../assets/console/setup.html");
    let script = include_str!("../../assets/console/setup.js");
    let mut used = std::collections::BTreeSet::new();
    for text in [page, script] {
        for (i, _) in text.match_indices("\"setup-") {
            let tail = &text[i + 1..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
                .unwrap_or(tail.len());
            if tail[end..].starts_with('"') {
                used.insert(tail[..end].to_string());
            }
        }
    }
    // Element ids and API codes that are not message ids.
    for not_ids in [
        "setup-form",
        "setup-code-used",
        "no-setup-code",
        "wrong-setup-code",
    ] {
        used.remove(not_ids);
    }
    let known: std::collections::BTreeSet<String> = integra::hub::setup::SETUP_IDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(used, known, "ids in the setup page vs setup::SETUP_IDS");
}

/// The page as a technician uses it, in headless Chromium (tests/e2e/setup.mjs): the form in
/// the center's language, a wrong code refused in it, the right one landing on the admin page
/// as an admin, then `/setup` saying the code is used.
#[test]
fn the_setup_page_in_headless_chromium() {
    let (e2e, chromium) = super::browser::playwright();
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Chromium at {chromium}: `apt-get install chromium` (or set CHROMIUM)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let settings = settings_file(dir.path(), port, Some(CODE));
    let data = dir.path().join("data");
    let _hub = start_hub_with_settings(&settings, port);
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&shot).expect("screens dir");
    let out = Command::new("node")
        .arg(e2e.join("setup.mjs"))
        .env("HUB_URL", format!("https://127.0.0.1:{port}"))
        .env("SETUP_CODE", CODE)
        .env("CHROMIUM", &chromium)
        .env("SPKI", super::browser::spki(&data))
        .env("SHOT", shot.join("setup-1280x800-es.png"))
        .output()
        .expect("node (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
