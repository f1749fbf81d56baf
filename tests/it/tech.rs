//! The technician's screens (issue #33): the technician screen behind a held corner and the
//! setup code on a kiosk (Slint's testing backend, mocked time), and a device that cannot start
//! showing why on its own screen (the testing backend, and the real binary under Xvfb).

use super::common::*;
use super::kiosk::{scenario, tap};
use i_slint_backend_testing::{ElementHandle, mock_elapsed_time};
use integra::core::{Catalog, Lang};
use integra::device::doctor::{self, Check, Verdict};
use integra::device::settings::DeviceRole;
use integra::printer::{Format, PrinterUri};
use integra::ui::kiosk::{self, Kiosk, KioskConfig};
use integra::ui::tech::{Tech, TechConfig};
use integra::ui::{CannotStartAdapter, CannotStartWindow, KioskWindow, TechAdapter};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition, Model};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

const CODE: &str = "5820-4173-96";

struct Setup {
    ui: KioskWindow,
    _kiosk: Rc<Kiosk>,
    _tech: Rc<Tech<KioskWindow>>,
    _dir: tempfile::TempDir,
}

/// The doctor's real lines for a kiosk whose printer does not answer.
fn doctor_lines() -> Vec<Check> {
    vec![
        doctor::printer_check(
            Some(&PrinterUri::Usb("/nonexistent/usb/lp0".into())),
            Some(DeviceRole::Kiosk),
        ),
        doctor::locales_check(),
    ]
}

fn start(code: Option<&str>) -> Setup {
    kiosk::stop();
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Arc::new(Catalog::demo().expect("demo"));
    let engine =
        integra::engine::Engine::open(&dir.path().join("data"), catalog.clone()).expect("engine");
    let ui = KioskWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let hub = integra::hub::Hub::new(engine, Some(monday_9())).expect("hub");
    let cfg = KioskConfig {
        languages: catalog.center.languages.clone(),
        catalog,
        printer: PrinterUri::File(dir.path().join("preview.bin")),
        format: Format::default(),
        idle: Duration::from_secs(45),
        ticket_screen: Duration::from_secs(20),
        clock: Some(monday_9()),
        inline: true,
        speech: None,
    };
    let k = Kiosk::start(&ui, kiosk::Backend::Local(hub), cfg).expect("kiosk");
    let tech = Tech::attach(
        &ui,
        TechConfig {
            code: code.map(integra::device::SetupCode::new),
            lang: Lang::En,
            facts: Box::new(|| {
                vec![
                    ("tech-address", "192.168.1.23".into()),
                    ("tech-version", env!("CARGO_PKG_VERSION").into()),
                ]
            }),
            doctor: Arc::new(doctor_lines),
            print: None,
            token: Some(dir.path().join("hub-token")),
            inline: true,
        },
    )
    .expect("technician screen");
    Setup {
        ui,
        _kiosk: k,
        _tech: tech,
        _dir: dir,
    }
}

fn press(ui: &KioskWindow, x: f32, y: f32) {
    ui.window().dispatch_event(WindowEvent::PointerPressed {
        position: LogicalPosition::new(x, y),
        button: PointerEventButton::Left,
    });
}

fn release(ui: &KioskWindow, x: f32, y: f32) {
    ui.window().dispatch_event(WindowEvent::PointerReleased {
        position: LogicalPosition::new(x, y),
        button: PointerEventButton::Left,
    });
}

/// Hold the top-left corner this long.
fn hold_corner(ui: &KioskWindow, held: Duration) {
    press(ui, 4.0, 4.0);
    mock_elapsed_time(held);
    release(ui, 4.0, 4.0);
}

fn type_code(ui: &KioskWindow, code: &str) {
    for d in code.chars().filter(char::is_ascii_digit) {
        tap(ui, &d.to_string());
    }
    tap(ui, &text("tech-ok"));
}

fn text(id: &str) -> String {
    integra::i18n::Localizer::new(Lang::En)
        .expect("locale")
        .text(id, None)
}

fn shows(ui: &impl ComponentHandle, needle: &str) -> bool {
    i_slint_backend_testing::ElementQuery::from_root(ui)
        .match_descendants()
        .match_predicate({
            let needle = needle.to_string();
            move |e: &ElementHandle| e.accessible_label().is_some_and(|l| l.contains(&needle))
        })
        .find_first()
        .is_some()
}

fn shot(ui: &impl ComponentHandle, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    let s = ui.window().take_snapshot().expect("snapshot");
    let img =
        image::RgbaImage::from_raw(s.width(), s.height(), s.as_bytes().to_vec()).expect("pixels");
    img.save(dir.join(format!("{name}.png"))).expect("png");
}

/// A tap or a short press on the corner does nothing; held 3 s it opens the code prompt, where a
/// wrong code is refused and the setup code opens the screen: the facts, the doctor's real
/// lines with their fixes, this process's last log lines. Untouched for a minute, it closes.
fn the_held_corner_and_the_setup_code_open_the_technician_screen() {
    integra::device::recent_log::remember("a line this process logged".into());
    let s = start(Some(CODE));
    let a = s.ui.global::<TechAdapter>();
    hold_corner(&s.ui, Duration::from_millis(1500));
    assert!(!a.get_open(), "a press of 1.5 s opens nothing");
    hold_corner(&s.ui, Duration::from_millis(3100));
    assert!(
        a.get_open() && !a.get_unlocked(),
        "held 3 s: the code prompt"
    );
    type_code(&s.ui, "1234567890");
    assert!(!a.get_unlocked(), "a wrong code does not open the screen");
    assert!(
        a.get_message().contains("Wrong code"),
        "{}",
        a.get_message()
    );
    shot(&s.ui, "tech-prompt-800x480");
    type_code(&s.ui, CODE);
    assert!(a.get_unlocked(), "the setup code opens the screen");
    let lines: Vec<String> = a.get_checks().iter().map(|c| c.line.to_string()).collect();
    let printer = doctor_lines()[0].clone();
    assert_eq!(printer.verdict, Verdict::Fail);
    assert!(
        lines.iter().any(|l| l.starts_with("✘ printer")),
        "the doctor's ✘ line: {lines:?}"
    );
    assert!(shows(&s.ui, "✘ printer"), "the ✘ line is on screen");
    assert!(
        shows(&s.ui, printer.fix.as_deref().expect("a fix")),
        "its fix is on screen"
    );
    assert!(shows(&s.ui, "✔ languages"), "{lines:?}");
    assert!(shows(&s.ui, "Address: 192.168.1.23"));
    assert!(shows(&s.ui, "a line this process logged"));
    assert!(shows(&s.ui, &text("tech-repair")));
    shot(&s.ui, "tech-screen-800x480");
    s.ui.window().set_size(slint::PhysicalSize::new(1920, 1080));
    s.ui.global::<integra::ui::Theme>().set_large_text(true);
    mock_elapsed_time(Duration::from_millis(100));
    shot(&s.ui, "tech-screen-1920x1080-larger");
    s.ui.global::<integra::ui::Theme>().set_large_text(false);
    mock_elapsed_time(Duration::from_secs(50));
    assert!(a.get_open(), "still open after 50 s");
    tap(&s.ui, &text("tech-close"));
    assert!(!a.get_open());
    // Opened again, then left alone: it closes by itself after a minute.
    hold_corner(&s.ui, Duration::from_millis(3100));
    type_code(&s.ui, CODE);
    assert!(a.get_unlocked());
    mock_elapsed_time(Duration::from_secs(61));
    assert!(
        !a.get_open() && !a.get_unlocked(),
        "closed after a minute untouched"
    );
}

/// Three wrong codes pause the prompt: even the right code is refused then.
fn wrong_setup_codes_are_limited() {
    let s = start(Some(CODE));
    let a = s.ui.global::<TechAdapter>();
    hold_corner(&s.ui, Duration::from_millis(3100));
    for wrong in ["1111111111", "2222222222", "3333333333"] {
        type_code(&s.ui, wrong);
    }
    assert!(a.get_message().contains("Too many"), "{}", a.get_message());
    type_code(&s.ui, CODE);
    assert!(!a.get_unlocked(), "paused: the right code waits too");
}

/// A device without a setup code never opens the screen, and says how to set one.
fn without_a_setup_code_the_screen_stays_shut() {
    let s = start(None);
    let a = s.ui.global::<TechAdapter>();
    hold_corner(&s.ui, Duration::from_millis(3100));
    assert!(
        a.get_message().contains("setup_code"),
        "{}",
        a.get_message()
    );
    type_code(&s.ui, "");
    assert!(!a.get_unlocked());
}

/// The counter terminal has the same corner and screen.
fn the_counter_terminal_has_the_technician_screen_too() {
    let ui = integra::ui::CounterWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let _tech = Tech::attach(
        &ui,
        TechConfig {
            code: Some(integra::device::SetupCode::new(CODE)),
            lang: Lang::Es,
            facts: Box::new(Vec::new),
            doctor: Arc::new(doctor_lines),
            print: None,
            token: None,
            inline: true,
        },
    )
    .expect("technician screen");
    let a = ui.global::<TechAdapter>();
    ui.window().dispatch_event(WindowEvent::PointerPressed {
        position: LogicalPosition::new(4.0, 4.0),
        button: PointerEventButton::Left,
    });
    mock_elapsed_time(Duration::from_millis(3100));
    assert!(a.get_open(), "held 3 s on the counter: the prompt");
    let es = integra::i18n::Localizer::new(Lang::Es).expect("locale");
    for d in CODE.chars().filter(char::is_ascii_digit) {
        ElementHandle::find_by_accessible_label(&ui, &d.to_string())
            .next()
            .expect("a digit")
            .invoke_accessible_default_action();
    }
    ElementHandle::find_by_accessible_label(&ui, &es.text("tech-ok", None))
        .next()
        .expect("OK")
        .invoke_accessible_default_action();
    assert!(a.get_unlocked());
    assert!(shows(&ui, "✘ printer"));
    assert!(!a.get_can_repair(), "no token here: no pair again");
}

/// "This device cannot start": each ✘ line and its fix, at both sizes.
fn a_device_that_cannot_start_shows_its_failed_checks() {
    let ui = CannotStartWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let problem = doctor::settings_check(
        &Err::<integra::device::Settings, _>(
            "/boot/firmware/integra.toml:3: printerr: unknown field",
        ),
        "/boot/firmware/integra.toml",
    );
    let _screen = integra::ui::cannot_start::show(
        &ui,
        Lang::En,
        vec!["integra 0".into()],
        std::slice::from_ref(&problem),
        Arc::new(|| integra::ui::cannot_start::Recheck {
            problems: Vec::new(),
            start: false,
        }),
        || {},
    )
    .expect("screen");
    let a = ui.global::<CannotStartAdapter>();
    assert_eq!(a.get_lines().row_count(), 1);
    assert!(shows(
        &ui,
        "✘ settings: /boot/firmware/integra.toml:3: printerr"
    ));
    assert!(shows(&ui, "integra settings check"), "the fix is on screen");
    assert!(shows(&ui, &text("cannot-start-title")));
    shot(&ui, "cannot-start-800x480");
    ui.window().set_size(slint::PhysicalSize::new(1920, 1080));
    ui.global::<integra::ui::Theme>().set_large_text(true);
    mock_elapsed_time(Duration::from_millis(100));
    shot(&ui, "cannot-start-1920x1080-larger");
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod scenario {
            $(
                #[test]
                fn $name() {
                    super::scenario(super::$name);
                }
            )*
        }
    };
}

scenarios!(
    the_held_corner_and_the_setup_code_open_the_technician_screen,
    wrong_setup_codes_are_limited,
    without_a_setup_code_the_screen_stays_shut,
    the_counter_terminal_has_the_technician_screen_too,
    a_device_that_cannot_start_shows_its_failed_checks,
);

// ---------------------------------------------------------------- the real binary

use super::deploy::{Child, xvfb};
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

/// `integra ARGS` to its end: success and what it said.
fn integra(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(args)
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS")
        .output()
        .expect("run integra");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// `integra --settings FILE run` on the X server `display`, its standard error collected.
fn run_device(settings: &Path, display: &str) -> (Child, Arc<Mutex<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_integra"))
        .env("DISPLAY", display)
        .env("SLINT_BACKEND", "winit-software")
        .env("INTEGRA_WINDOWED", "1")
        .env("RUST_LOG", "warn")
        .env_remove("INTEGRA_DATA")
        .env_remove("INTEGRA_SETTINGS")
        .arg("--settings")
        .arg(settings)
        .args(["--listen", "127.0.0.1:0", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start integra run");
    let said = Arc::new(Mutex::new(String::new()));
    let err = child.stderr.take().expect("stderr");
    let into = said.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if let Ok(mut s) = into.lock() {
                s.push_str(&line);
                s.push('\n');
            }
        }
    });
    (Child(child), said)
}

/// Wait until `f` holds, at most `secs` seconds.
fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A kiosk whose `integra.toml` has a broken line does not exit: it draws the doctor's ✘ line
/// (and says it in its log), keeps running, and starts by itself once the file is fixed.
#[test]
fn a_device_with_a_broken_setting_shows_its_failed_check_instead_of_exiting() {
    let (_x, display) = xvfb(800, 480);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let file = dir.path().join("integra.toml");
    let good = format!(
        "role = \"kiosk\"\nhub = \"local\"\ndata_dir = \"{}\"\n",
        data.display()
    );
    std::fs::write(&file, format!("{good}printerr = 3\n")).expect("settings");
    let t0 = Instant::now();
    let (mut device, said) = run_device(&file, &display);
    let text = || said.lock().map(|s| s.clone()).unwrap_or_default();
    until("the ✘ settings line", 60, || {
        text().contains("cannot start: ✘ settings")
    });
    println!("the ✘ line {} ms after the start", t0.elapsed().as_millis());
    assert!(text().contains("printerr"), "{}", text());
    // Still running, its window up (on the real screen: the same lines).
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        device.0.try_wait().expect("status").is_none(),
        "it did not exit: {}",
        text()
    );
    until("its window", 30, || {
        let out = Command::new("xwininfo")
            .args(["-root", "-tree", "-display", &display])
            .output()
            .expect("xwininfo (apt-get install x11-utils)");
        String::from_utf8_lossy(&out.stdout).contains("\"Integra\"")
    });
    // Fixed: it starts as a kiosk by itself (the hub in it listens).
    std::fs::write(&file, &good).expect("settings");
    let fixed = Instant::now();
    until("the kiosk starting after the fix", 60, || {
        text().contains("hub listening on")
    });
    println!("a kiosk {} ms after the fix", fixed.elapsed().as_millis());
    assert!(device.0.try_wait().expect("status").is_none(), "{}", text());
}

/// A display on the network sends its doctor's lines and its version to the hub when it
/// connects; the admin list of devices shows them beside its last-seen time.
#[test]
fn the_admin_list_shows_a_devices_doctor_lines_and_version_after_it_connects() {
    let (_x, display) = xvfb(800, 480);
    let dir = tempfile::tempdir().expect("tempdir");
    let hub_data = dir.path().join("hub");
    let hub_data_s = hub_data.display().to_string();
    let port = free_port();
    let _hub = Child(
        Command::new(env!("CARGO_BIN_EXE_integra"))
            .args([
                "--data",
                &hub_data_s,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "hub",
            ])
            .env_remove("INTEGRA_SETTINGS")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("hub"),
    );
    until("the hub", 20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let pin = |role: &str| {
        let (ok, out) = integra(&["--data", &hub_data_s, "pair", "--role", role]);
        assert!(ok, "{out}");
        out.lines()
            .find(|l| {
                l.len() == integra::hub::auth::PIN_DIGITS as usize
                    && l.chars().all(|c| c.is_ascii_digit())
            })
            .expect("a PIN")
            .to_string()
    };
    let device = dir.path().join("device");
    std::fs::create_dir_all(&device).expect("dir");
    let file = device.join("integra.toml");
    std::fs::write(
        &file,
        format!(
            "role = \"display\"\nhub = \"https://127.0.0.1:{port}\"\ndata_dir = \"{}\"\n",
            device.join("data").display()
        ),
    )
    .expect("settings");
    let file_s = file.display().to_string();
    let display_pin = pin("display");
    let (ok, out) = integra(&[
        "--settings",
        &file_s,
        "join",
        "--pin",
        &display_pin,
        "--name",
        "Lobby TV",
    ]);
    assert!(ok, "{out}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = https_to(&hub_data).build().expect("client");
    let base = format!("https://127.0.0.1:{port}");
    let admin: serde_json::Value = rt
        .block_on(async {
            client
                .post(format!("{base}/api/v1/pair"))
                .json(&serde_json::json!({"pin": pin("admin"), "name": "coordinator"}))
                .send()
                .await?
                .json()
                .await
        })
        .expect("admin pairing");
    let admin = admin["token"].as_str().expect("token").to_string();
    let devices = || -> serde_json::Value {
        rt.block_on(async {
            client
                .get(format!("{base}/api/v1/devices"))
                .bearer_auth(&admin)
                .send()
                .await?
                .json()
                .await
        })
        .expect("devices")
    };
    let tv = |v: &serde_json::Value| {
        v["devices"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == "Lobby TV").cloned())
            .expect("the display in the list")
    };
    assert!(
        tv(&devices()).get("doctor").is_none(),
        "no report before it runs"
    );
    let t0 = Instant::now();
    let (_device, said) = run_device(&file, &display);
    until("the display's doctor report", 90, || {
        tv(&devices()).get("doctor").is_some()
    });
    println!(
        "the report on the list {} ms after the start",
        t0.elapsed().as_millis()
    );
    let tv = tv(&devices());
    let report = &tv["doctor"];
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"), "{tv}");
    let lines = report["lines"].as_array().expect("lines");
    let line = |what: &str| {
        lines
            .iter()
            .find(|l| l["what"] == what)
            .unwrap_or_else(|| panic!("no {what} line: {report}"))
    };
    assert_eq!(line("settings")["mark"], "pass", "{report}");
    assert_eq!(line("hub")["mark"], "pass", "{report}");
    assert!(
        line("hub")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("paired as display \"Lobby TV\"")),
        "{report}"
    );
    assert!(tv["last_seen"].is_string(), "{tv}");
    assert!(report["at"].is_string(), "{report}");
    drop(said);
}
