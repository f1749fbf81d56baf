//! A device with no token pairs from its own screen or from the admin page (issue #33): the
//! lobby TV shows a code the admin types, a counter types its PIN on a keypad, `pair_pin` in
//! `integra.toml` pairs once. Every way runs the SPAKE2 pairing of issue #30.

use super::common::*;
use super::hub::start_hub;
use super::kiosk::scenario;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use integra::device::pairing::{Keep, Mode, Where, Worker};
use integra::hub::client::{Paired, Remote};
use integra::hub::{Role, auth};
use integra::i18n::Localizer;
use integra::store::Store;
use integra::ui::pairing::Pairing;
use integra::ui::{PairingAdapter, PairingWindow};
use serde_json::{Value, json};
use slint::ComponentHandle;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A client from 127.0.0.n (a machine of its own on the LAN).
fn from(n: u8) -> reqwest::Client {
    integra::hub::tls::provider();
    reqwest::Client::builder()
        .local_address(Some(std::net::IpAddr::from([127, 0, 0, n])))
        .build()
        .expect("client")
}

/// The waiting list through the API: no secret on registration, one entry per address, the
/// approval's code checked and bound to the device's address — a stranger who reads the code
/// on the TV and tries it from another address gets no token — and the device itself pairs
/// with the code as its PIN, under the name the admin chose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_code_pairs_only_the_device_that_shows_it() {
    let h = start_hub(catalog()).await;
    let admin = h.pin(Role::Admin);
    let (admin_token, _) = tokio::task::spawn_blocking({
        let url = h.url("");
        move || Remote::pair(&url, &admin, "Coordinator")
    })
    .await
    .expect("join")
    .expect("admin");
    let device = from(21);
    let register = || async {
        let r = device
            .post(h.url("/api/v1/pair/waiting"))
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.expect("json")
    };
    let first = register().await;
    let ticket = register().await;
    assert_ne!(first["id"], ticket["id"]);
    assert_eq!(ticket["address"], "127.0.0.21");
    let id = ticket["id"].as_str().expect("id").to_string();
    let list: Value = h
        .http
        .get(h.url("/api/v1/admin/waiting"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let waiting = list["waiting"].as_array().expect("list");
    assert_eq!(waiting.len(), 1, "one address, one entry: {list}");
    assert_eq!(waiting[0]["address"], "127.0.0.21");
    // Only the admin lists; only the device's own address asks about it.
    let anyone = h
        .http
        .get(h.url("/api/v1/admin/waiting"))
        .send()
        .await
        .expect("list");
    assert_eq!(anyone.status(), 401);
    let other = from(22)
        .get(h.url(&format!("/api/v1/pair/waiting/{id}")))
        .send()
        .await
        .expect("state");
    assert_eq!(other.status(), 404);
    let approve = |body: Value| {
        let (http, url, token) = (
            h.http.clone(),
            h.url(&format!("/api/v1/admin/waiting/{id}/approve")),
            admin_token.clone(),
        );
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("approve");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let code = "4821 0937";
    let (status, e) = approve(json!({"code": "4821", "role": "display", "name": "Lobby TV"})).await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .expect("message")
            .contains("1234 5678")
    );
    let (status, _) = approve(json!({"code": code, "role": "admin", "name": "Lobby TV"})).await;
    assert_eq!(status, 422, "a waiting device made an admin");
    let approved_before: Value = device
        .get(h.url(&format!("/api/v1/pair/waiting/{id}")))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(approved_before["approved"], false);
    let (status, body) =
        approve(json!({"code": code, "role": "display", "name": "Lobby TV"})).await;
    assert_eq!(status, 200, "{body}");
    let approved: Value = device
        .get(h.url(&format!("/api/v1/pair/waiting/{id}")))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(approved["approved"], true);
    // A stranger in the lobby read the code off the TV: from another address it pairs nothing.
    let (_, answer) = super::pairing::spake2_from(h.addr, 23, "48210937")
        .await
        .expect("upgrade");
    assert_eq!(answer["error"]["code"], "wrong-pin", "{answer}");
    let store = Store::open(h.dir.path()).expect("store");
    assert_eq!(store.devices().expect("devices").len(), 1, "only the admin");
    // The device itself, from its address: paired under the admin's name and role.
    let (proved, answer) = super::pairing::spake2_from(h.addr, 21, "48210937")
        .await
        .expect("upgrade");
    assert!(proved, "the hub proved it knows the code");
    assert!(
        answer["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("itg_")),
        "{answer}"
    );
    assert_eq!(answer["role"], "display");
    assert_eq!(answer["device"]["name"], "Lobby TV");
    // Paired: off the list, and the code pairs nothing more.
    let list: Value = h
        .http
        .get(h.url("/api/v1/admin/waiting"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["waiting"], json!([]));
    let (_, again) = super::pairing::spake2_from(h.addr, 21, "48210937")
        .await
        .expect("upgrade");
    assert!(again["token"].is_null(), "{again}");
}

/// A hub over TLS with its own identity (as `integra hub` runs it), on a runtime of its own.
struct TlsHub {
    rt: tokio::runtime::Runtime,
    hub: integra::hub::Hub,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    fingerprint: String,
}

fn tls_hub() -> TlsHub {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = integra::hub::Hub::new(
        integra::engine::Engine::open(dir.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let id = integra::hub::tls::Identity::load_or_create(dir.path()).expect("identity");
    let addr = rt.block_on(async {
        let (addr, _task) = hub
            .serve_with(
                "127.0.0.1:0".parse().expect("addr"),
                Some(id.server_config().expect("tls")),
            )
            .await
            .expect("serve");
        assert!(hub.wait_ready(Duration::from_secs(10)).await);
        addr
    });
    TlsHub {
        rt,
        hub,
        addr,
        dir,
        fingerprint: id.fingerprint(),
    }
}

impl TlsHub {
    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn pin(&self, role: Role) -> String {
        let store = Store::open(self.dir.path()).expect("store");
        auth::new_pin(&store, role, chrono::Utc::now())
            .expect("pin")
            .0
    }

    fn admin(&self) -> String {
        Remote::pair_pinned(&self.url(), &self.pin(Role::Admin), "Coordinator", None)
            .expect("admin")
            .token
    }

    /// An admin request: its status and body.
    fn admin_call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = https_to(self.dir.path()).build().expect("client");
        self.rt.block_on(async {
            let mut r = client
                .request(method, format!("{}{path}", self.url()))
                .bearer_auth(token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            let r = r.send().await.expect("request");
            (r.status().as_u16(), r.json().await.expect("json"))
        })
    }

    fn devices(&self) -> Vec<integra::store::devices::Device> {
        Store::open(self.dir.path())
            .expect("store")
            .devices()
            .expect("devices")
    }
}

/// What a pairing screen kept (the token and fingerprint a device writes to its data dir).
fn keeper() -> (Keep, Arc<Mutex<Option<Paired>>>) {
    let kept = Arc::new(Mutex::new(None));
    let k = kept.clone();
    (
        Box::new(move |_, p: &Paired| {
            *k.lock().expect("kept") = Some(p.clone());
            Ok(())
        }),
        kept,
    )
}

/// Refresh the screen until `f` says yes (the worker runs on its own thread), or fail.
fn until(p: &Pairing, what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        p.refresh();
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

fn shows(ui: &PairingWindow, text: &str) -> bool {
    ElementHandle::find_by_accessible_label(ui, text)
        .next()
        .is_some()
}

fn tap(ui: &PairingWindow, label: &str) {
    let button = ElementHandle::find_by_accessible_label(ui, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button '{label}'"));
    button.invoke_accessible_default_action();
}

fn snapshot(ui: &PairingWindow, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    let shot = ui.window().take_snapshot().expect("snapshot");
    let img = image::RgbaImage::from_raw(shot.width(), shot.height(), shot.as_bytes().to_vec())
        .expect("pixels");
    img.save(dir.join(format!("{name}.png"))).expect("png");
}

fn text(lang: integra::core::Lang, id: &str, args: Option<&fluent_bundle::FluentArgs>) -> String {
    Localizer::new(lang).expect("locale").text(id, args)
}

/// The lobby TV with no token: its screen shows a code and its address; the admin approves it
/// on the admin page — a wrong code first (refused, nothing paired, the screen says so), then
/// the code on the screen, as a display named "Lobby TV" — and the TV pairs, pins the hub's
/// certificate and then streams the calls.
fn a_display_with_no_token_shows_a_code_the_admin_approves() {
    use integra::core::Lang;
    let h = tls_hub();
    let admin = h.admin();
    let ui = PairingWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(1920, 1080));
    ui.show().expect("show");
    let (keep, kept) = keeper();
    let worker = Worker::start(Mode::Code, Where::At(h.url()), "tv".into(), keep);
    let done = Arc::new(Mutex::new(false));
    let d = done.clone();
    let p = Pairing::start(
        &ui,
        Mode::Code,
        worker,
        Lang::En,
        Box::new(move || *d.lock().expect("done") = true),
    )
    .expect("pairing");
    let a = ui.global::<PairingAdapter>();
    until(&p, "a code on screen", 10, || !a.get_code().is_empty());
    let code = a.get_code().to_string();
    assert_eq!(code.len(), 9, "two groups of four: {code}");
    assert!(shows(&ui, &code), "the code is not on screen");
    assert!(shows(&ui, "127.0.0.1"), "the address is not on screen");
    assert!(shows(&ui, &text(Lang::En, "pairing-title-code", None)));
    snapshot(&ui, "pairing-code-1920x1080");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    snapshot(&ui, "pairing-code-800x480");
    let (_, list) = h.admin_call(&admin, reqwest::Method::GET, "/api/v1/admin/waiting", None);
    let id = list["waiting"][0]["id"]
        .as_str()
        .expect("waiting")
        .to_string();
    assert_eq!(list["waiting"][0]["address"], "127.0.0.1");
    // A wrong code: the device cannot pair with it, and says so.
    let wrong = if code.starts_with('1') {
        "2222 2222"
    } else {
        "1111 1111"
    };
    let approve = |code: &str| {
        h.admin_call(
            &admin,
            reqwest::Method::POST,
            &format!("/api/v1/admin/waiting/{id}/approve"),
            Some(json!({"code": code, "role": "display", "name": "Lobby TV"})),
        )
    };
    assert_eq!(approve(wrong).0, 200);
    let failed = text(Lang::En, "pairing-code-failed", None);
    until(&p, "the wrong code refused", 15, || {
        a.get_status() == failed.as_str()
    });
    assert_eq!(h.devices().len(), 1, "a wrong code paired a device");
    assert!(kept.lock().expect("kept").is_none());
    // The code on the screen: paired.
    assert_eq!(approve(&code).0, 200);
    until(&p, "paired", 20, || p.paired());
    assert!(*done.lock().expect("done"), "the role was not started");
    let paired = kept.lock().expect("kept").clone().expect("paired");
    assert_eq!(paired.role, "display");
    assert_eq!(paired.fingerprint.as_deref(), Some(h.fingerprint.as_str()));
    let tv = h
        .devices()
        .into_iter()
        .find(|d| d.role == "display")
        .expect("the display");
    assert_eq!(tv.name, "Lobby TV");
    // The TV follows the hub with its new token: a call reaches it.
    let remote = Remote::start_pinned(
        &h.url(),
        &paired.token,
        paired.fingerprint.as_deref(),
        catalog(),
    )
    .expect("remote");
    let service = catalog().services[0].code.to_string();
    h.hub
        .session()
        .execute(&issue(&service, None), monday_9())
        .expect("issue");
    let counter = catalog().counters[0].id.clone();
    h.hub
        .session()
        .execute(
            &integra::core::Command::CallNext {
                counter: counter.clone(),
            },
            monday_9(),
        )
        .expect("call");
    let seq = h.hub.session().queue().seq();
    let deadline = Instant::now() + Duration::from_secs(10);
    while remote.seq() < seq {
        assert!(
            Instant::now() < deadline,
            "the call did not reach the display"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A counter terminal with no token: the hub's fingerprint on screen to compare, a wrong PIN
/// typed on the keypad is refused and says how many tries are left, the right one pairs (and
/// pins the certificate that was shown).
fn a_counter_types_its_pin_on_the_keypad() {
    use integra::core::Lang;
    let h = tls_hub();
    let ui = PairingWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let (keep, kept) = keeper();
    let worker = Worker::start(Mode::Keypad, Where::At(h.url()), "Desk 2".into(), keep);
    let p = Pairing::start(&ui, Mode::Keypad, worker, Lang::En, Box::new(|| {})).expect("pairing");
    let a = ui.global::<PairingAdapter>();
    let grouped = integra::hub::tls::grouped(&h.fingerprint);
    until(&p, "the hub's fingerprint", 10, || {
        a.get_fingerprint() == grouped.as_str()
    });
    assert!(shows(&ui, &grouped), "the fingerprint is not on screen");
    let pin = h.pin(Role::Counter);
    let wrong: String = pin
        .chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect();
    for d in wrong.chars() {
        tap(&ui, &d.to_string());
    }
    assert_eq!(a.get_typed().replace(' ', ""), wrong);
    snapshot(&ui, "pairing-keypad-800x480");
    tap(&ui, &text(Lang::En, "pairing-ok", None));
    assert_eq!(a.get_typed(), "", "the keypad keeps a PIN it sent");
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("left", auth::ATTEMPTS_PER_ADDRESS - 1);
    let wrong_said = text(Lang::En, "pairing-wrong-left", Some(&args));
    until(&p, "the wrong PIN refused", 15, || {
        a.get_status() == wrong_said.as_str()
    });
    assert!(kept.lock().expect("kept").is_none());
    snapshot(&ui, "pairing-keypad-wrong-800x480");
    for d in pin.chars() {
        tap(&ui, &d.to_string());
    }
    tap(&ui, &text(Lang::En, "pairing-ok", None));
    until(&p, "paired", 15, || p.paired());
    let paired = kept.lock().expect("kept").clone().expect("paired");
    assert_eq!(paired.role, "counter");
    assert_eq!(paired.fingerprint.as_deref(), Some(h.fingerprint.as_str()));
    assert!(
        h.devices()
            .iter()
            .any(|d| d.name == "Desk 2" && d.role == "counter")
    );
}

mod scenarios {
    #[test]
    fn a_display_with_no_token_shows_a_code_the_admin_approves() {
        super::scenario(super::a_display_with_no_token_shows_a_code_the_admin_approves);
    }

    #[test]
    fn a_counter_types_its_pin_on_the_keypad() {
        super::scenario(super::a_counter_types_its_pin_on_the_keypad);
    }
}

/// A device's settings file for the hub at `url` (and `extra` lines), with its data in `data`.
fn settings_file(
    dir: &Path,
    role: &str,
    url: &str,
    data: &Path,
    extra: &str,
) -> std::path::PathBuf {
    let path = dir.join("integra.toml");
    std::fs::write(
        &path,
        format!(
            "role = \"{role}\"\nhub = \"{url}\"\ndata_dir = \"{}\"\nlanguages = [\"en\"]\n{extra}",
            data.display()
        ),
    )
    .expect("settings");
    path
}

/// `integra --settings FILE ARGS…` with no screen to draw on (the role stops at its window).
fn device(settings: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(settings)
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("INTEGRA_DATA")
        .env("SLINT_BACKEND", "winit")
        .output()
        .expect("integra")
}

/// `pair_pin` in `integra.toml`: the display pairs with it at start (the real binary, over TLS,
/// pinning the hub), once — started again without its token, it does not pair a second time —
/// and the doctor says to remove the line.
#[test]
fn pair_pin_pairs_once_and_the_doctor_says_to_remove_it() {
    let h = tls_hub();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let pin = h.pin(Role::Display);
    let settings = settings_file(
        dir.path(),
        "display",
        &h.url(),
        &data,
        &format!("pair_pin = \"{pin}\"\n"),
    );
    let first = device(&settings, &["display"]);
    let token = std::fs::read_to_string(data.join("hub-token"))
        .unwrap_or_else(|_| panic!("no token: {}", String::from_utf8_lossy(&first.stderr)));
    assert!(token.starts_with("itg_"));
    assert_eq!(
        std::fs::read_to_string(data.join("hub-fingerprint")).expect("pinned"),
        h.fingerprint
    );
    let displays = |h: &TlsHub| {
        h.devices()
            .into_iter()
            .filter(|d| d.role == "display")
            .count()
    };
    assert_eq!(displays(&h), 1);
    // Without its token (a technician wiped it): the PIN is not used again.
    std::fs::remove_file(data.join("hub-token")).expect("remove");
    let second = device(&settings, &["display"]);
    assert!(
        String::from_utf8_lossy(&second.stderr)
            .contains("pair_pin in the settings was used already"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(!data.join("hub-token").exists());
    assert_eq!(displays(&h), 1, "pair_pin paired twice");
    let doctor = device(&settings, &["doctor"]);
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        said.contains("pair_pin already used") && said.contains("remove the line pair_pin"),
        "{said}"
    );
}

/// An X server with one screen of `w`×`h`, its frame buffer written to `fbdir`; stops when
/// the child is dropped.
fn xvfb(w: u32, h: u32, fbdir: &Path) -> (Kill, String) {
    use std::io::BufRead;
    let mut x = std::process::Command::new("Xvfb")
        .args(["-displayfd", "1", "-nolisten", "tcp", "-fbdir"])
        .arg(fbdir)
        .args(["-screen", "0"])
        .arg(format!("{w}x{h}x24"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("Xvfb (apt-get install xvfb; tests/run installs it)");
    let mut line = String::new();
    std::io::BufReader::new(x.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the display number");
    (Kill(x), format!(":{}", line.trim()))
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real display binary with no token, on an X screen: it does not exit, it registers as
/// waiting (the admin page lists its address), and an approval with a code that is not the
/// one on its screen pairs nothing. Its screen is kept as an XWD file.
#[test]
fn a_display_with_no_token_waits_on_its_screen_instead_of_exiting() {
    let h = tls_hub();
    let admin = h.admin();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let settings = settings_file(dir.path(), "display", &h.url(), &data, "");
    let (_x, display) = xvfb(1920, 1080, dir.path());
    let mut tv = Kill(
        std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
            .arg("--settings")
            .arg(&settings)
            .arg("display")
            .env("DISPLAY", &display)
            .env("SLINT_BACKEND", "winit-software")
            .env_remove("INTEGRA_WINDOWED")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("integra display"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let id = loop {
        let (_, list) = h.admin_call(&admin, reqwest::Method::GET, "/api/v1/admin/waiting", None);
        if let Some(w) = list["waiting"].as_array().and_then(|l| l.first()) {
            assert_eq!(w["address"], "127.0.0.1");
            assert_eq!(w["approved"], false);
            break w["id"].as_str().expect("id").to_string();
        }
        assert!(Instant::now() < deadline, "the display never registered");
        std::thread::sleep(Duration::from_millis(200));
    };
    // Every code but one is wrong; the chance this one is the screen's is 1 in 10^8.
    let (status, _) = h.admin_call(
        &admin,
        reqwest::Method::POST,
        &format!("/api/v1/admin/waiting/{id}/approve"),
        Some(json!({"code": "0000 0001", "role": "display", "name": "Lobby TV"})),
    );
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        assert!(
            tv.0.try_wait().expect("wait").is_none(),
            "the display exited"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        h.devices().iter().all(|d| d.role != "display"),
        "a wrong code paired the TV"
    );
    assert!(!data.join("hub-token").exists());
    let shot = dir.path().join("Xvfb_screen0");
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&kept).expect("screens dir");
    std::fs::copy(&shot, kept.join("pairing-tv-1920x1080.xwd")).expect("the screen");
}
