//! Devices decide with the hub's clock, not their own: a lobby display whose clock is ahead of
//! the hub's still chimes and speaks a call; a kiosk on the network whose clock is behind still
//! issues and offers the hub's booking days and times.
//!
//! Each test runs itself again in a child process under libfaketime (`faketime`, with the
//! device's own clock set where the scenario says and the monotonic clock left alone), where a
//! real hub on loopback keeps its own time (the hub's clock, fixed in the hub), and the device
//! — a display or kiosk controller on Slint's testing backend with a real hub client — reads
//! its own faked clock like a Pi whose clock is off.

use super::common::*;
use super::kiosk::{scenario, screen, tap, wait_for};
use chrono::{DateTime, Utc};
use integra::core::{Catalog, Command, Lang};
use integra::engine::Engine;
use integra::hub::client::Remote;
use integra::hub::{Hub, Role, auth};
use integra::printer::{Format, PrinterUri};
use integra::store::Store;
use integra::ui::kiosk::{self, Kiosk, KioskConfig};
use integra::ui::{ChoiceAdapter, KioskWindow, Screen, TicketAdapter};
use slint::{ComponentHandle, Model};
use std::sync::Arc;
use std::time::Duration;

/// Set in the child that runs the scenario under a faked clock.
const FAKED: &str = "INTEGRA_TEST_FAKED_CLOCK";

/// In the parent: run `test` (this binary's test path) again under faketime with this
/// process's wall clock starting at `own` (UTC), and require that it ran and passed; `true`.
/// In the child: `false` (run the scenario).
fn in_a_child_at(test: &str, own: DateTime<Utc>) -> bool {
    if std::env::var_os(FAKED).is_some() {
        return false;
    }
    let exe = std::env::current_exe().expect("this test binary");
    let out = std::process::Command::new("faketime")
        .arg("-m")
        .arg("-f")
        .arg(format!("@{}", own.format("%Y-%m-%d %H:%M:%S")))
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("TZ", "UTC")
        .env("DONT_FAKE_MONOTONIC", "1")
        .env(FAKED, "1")
        .output()
        .expect("faketime (apt-get install faketime; tests/run installs it)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} under faketime at {own}:\n{stdout}\n{stderr}"
    );
    // What the child measured (`--nocapture`).
    for line in stdout.lines().filter(|l| l.contains("own clock")) {
        println!("{line}");
    }
    true
}

struct Center {
    _rt: tokio::runtime::Runtime,
    hub: Hub,
    dir: tempfile::TempDir,
    remote: Remote,
    demo: Arc<Catalog>,
}

/// The demo center's hub on loopback, its clock at `hub_at`, and a device of `role` following
/// it; returned once the device knows the hub's time.
fn center(hub_at: DateTime<Utc>, role: Role, device: &str) -> Center {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let hub = Hub::new(
        Engine::open(dir.path(), demo.clone()).expect("engine"),
        Some(hub_at),
    )
    .expect("hub");
    let (addr, _task) = rt
        .block_on(hub.serve("127.0.0.1:0".parse().expect("addr")))
        .expect("serve");
    let base = format!("http://{addr}");
    // The PIN is the hub's, made on its clock.
    let store = Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, role, hub_at).expect("pin").0;
    let (token, _) = Remote::pair(&base, &pin, device).expect("pair");
    let remote = Remote::start(&base, &token, catalog()).expect("remote");
    wait_for("the hub's stream and its time", || {
        remote.online() && remote.catalog() == demo && remote.own_clock_ahead().is_some()
    });
    Center {
        _rt: rt,
        hub,
        dir,
        remote,
        demo,
    }
}

/// A Monday in Bogotá, `h`:`m` (the 5th of January 2026).
fn monday(h: u32, m: u32) -> DateTime<Utc> {
    local(5, h, m)
}

// ---------------------------------------------------------------- the display

#[test]
fn a_display_two_minutes_ahead_of_the_hub_still_chimes_and_speaks_the_call() {
    if in_a_child_at(
        "devclock::a_display_two_minutes_ahead_of_the_hub_still_chimes_and_speaks_the_call",
        monday(9, 2),
    ) {
        return;
    }
    scenario(display_ahead);
}

fn display_ahead() {
    use integra::ui::{DisplayAdapter, DisplayWindow, display::Display};
    let hub_at = monday(9, 0);
    let c = center(hub_at, Role::Display, "Lobby TV");
    let ahead = c.remote.own_clock_ahead().expect("known");
    println!("display: own clock {ahead} ahead of the hub's");
    assert!(
        (ahead - chrono::Duration::minutes(2)).num_seconds().abs() <= 5,
        "this display's own clock is 2 min ahead of the hub's: {ahead}"
    );
    let ui = DisplayWindow::new().expect("display window");
    ui.window().set_size(slint::PhysicalSize::new(1920, 1080));
    ui.show().expect("show");
    let sounds = c.dir.path().join("sounds");
    std::fs::create_dir_all(&sounds).expect("sounds");
    let announcer = integra::audio::Announcer::start(
        integra::audio::AnnounceConfig {
            chime: true,
            voice: true,
            center_lang: Lang::Es,
            voices: Default::default(),
        },
        Box::new(integra::audio::Files {
            dir: sounds.clone(),
            count: 0,
        }),
    );
    // The display's real clock: no fixed instant.
    let d =
        Display::start(&ui, c.remote.clone(), Lang::Es, None, Some(announcer)).expect("display");
    // The hub calls a visitor now (its now: 09:00).
    let run = |cmd: Command| c.hub.session().execute(&cmd, c.hub.now()).expect("command");
    run(issue("info", None));
    run(Command::CallNext {
        counter: "1".into(),
    });
    let label = c
        .hub
        .session()
        .queue()
        .current_at(&"1".into())
        .map(|t| t.label())
        .expect("called");
    let seq = c.hub.session().queue().seq();
    wait_for("the mirror", || c.remote.seq() == seq);
    wait_for("the chime and the spoken call", || {
        let chimed = std::fs::read_dir(&sounds)
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|f| f.file_name().to_string_lossy().ends_with("-chime.wav"))
            })
            .unwrap_or(false);
        let spoken = std::fs::read_to_string(sounds.join("spoken.txt"))
            .is_ok_and(|t| t.lines().any(|l| l.starts_with(&format!("{label}-es\t"))));
        chimed && spoken
    });
    // Its clock on screen is the hub's (09:00 in Bogotá), not its own (09:02).
    d.refresh();
    let clock = ui.global::<DisplayAdapter>().get_clock().to_string();
    assert!(
        clock == "09:00" || clock == "09:01",
        "the display shows {clock}"
    );
    assert_eq!(
        ui.global::<DisplayAdapter>().get_current_label().as_str(),
        label
    );
    integra::ui::display::stop();
}

// ---------------------------------------------------------------- the kiosk on the network

fn network_kiosk(c: &Center) -> KioskWindow {
    kiosk::stop();
    let ui = KioskWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let cfg = KioskConfig {
        languages: c.demo.center.languages.clone(),
        catalog: c.demo.clone(),
        printer: PrinterUri::File(c.dir.path().join("preview.bin")),
        format: Format::default(),
        idle: Duration::from_secs(45),
        ticket_screen: Duration::from_secs(20),
        // The kiosk's real clock: no fixed instant.
        clock: None,
        inline: true,
        speech: None,
    };
    let k = Kiosk::start(&ui, kiosk::Backend::Remote(c.remote.clone()), cfg).expect("kiosk");
    // The controller lives in the kiosk's thread-local; the window is what the test drives.
    drop(k);
    ui
}

/// The choices on the booking screen now: (key, label, enabled).
fn choices(ui: &KioskWindow) -> Vec<(String, String, bool)> {
    let m = ui.global::<ChoiceAdapter>().get_choices();
    (0..m.row_count())
        .filter_map(|i| m.row_data(i))
        .map(|c| (c.key.to_string(), c.label.to_string(), c.enabled))
        .collect()
}

#[test]
fn a_network_kiosk_3_hours_behind_the_hub_still_issues_and_offers_the_hubs_times() {
    if in_a_child_at(
        "devclock::a_network_kiosk_3_hours_behind_the_hub_still_issues_and_offers_the_hubs_times",
        monday(6, 0),
    ) {
        return;
    }
    scenario(kiosk_behind_issues);
}

/// The kiosk's clock says 06:00, the hub's 09:00: legal advice (from 08:00) is open, as the hub
/// would issue; today's appointment times are the ones after the hub's 09:00.
fn kiosk_behind_issues() {
    let c = center(monday(9, 0), Role::Kiosk, "kiosk 2");
    let behind = c.remote.own_clock_ahead().expect("known");
    println!("kiosk: own clock {behind} ahead of the hub's");
    assert!(
        (behind + chrono::Duration::hours(3)).num_seconds().abs() <= 5,
        "this kiosk's own clock is 3 h behind the hub's: {behind}"
    );
    let ui = network_kiosk(&c);
    let legal = c.demo.service(&"legal".into()).expect("legal").name[&Lang::En].clone();
    tap(&ui, "English");
    tap(&ui, &legal);
    tap(&ui, "No, continue");
    assert_eq!(screen(&ui), Screen::Ticket, "the kiosk said closed");
    assert_eq!(ui.global::<TicketAdapter>().get_number().as_str(), "B-001");
    tap(&ui, "Done");
    tap(&ui, "English");
    tap(&ui, "I have an appointment / book one");
    tap(&ui, "Book a new appointment");
    tap(&ui, &legal);
    let days = choices(&ui);
    assert_eq!(
        days.first().map(|d| d.0.as_str()),
        Some("2026-01-05"),
        "{days:?}"
    );
    let today = days[0].1.clone();
    tap(&ui, &today);
    let times = choices(&ui);
    let offered: Vec<&str> = times.iter().filter(|t| t.2).map(|t| t.0.as_str()).collect();
    assert_eq!(offered.first(), Some(&"09:30"), "{offered:?}");
    kiosk::stop();
}

#[test]
fn a_network_kiosk_3_hours_behind_the_hub_offers_the_hubs_booking_days() {
    if in_a_child_at(
        "devclock::a_network_kiosk_3_hours_behind_the_hub_offers_the_hubs_booking_days",
        monday(22, 0),
    ) {
        return;
    }
    scenario(kiosk_behind_days);
}

/// The kiosk's clock says Monday 22:00, the hub's Tuesday 01:00: the days offered are the hub's
/// (from Tuesday the 6th to Tuesday the 20th, 14 days ahead), not the kiosk's (to the 19th).
fn kiosk_behind_days() {
    let hub_at = local(6, 1, 0);
    let c = center(hub_at, Role::Kiosk, "kiosk 2");
    let ui = network_kiosk(&c);
    let legal = c.demo.service(&"legal".into()).expect("legal").name[&Lang::En].clone();
    tap(&ui, "English");
    tap(&ui, "I have an appointment / book one");
    tap(&ui, "Book a new appointment");
    tap(&ui, &legal);
    let days: Vec<String> = choices(&ui).into_iter().map(|d| d.0).collect();
    assert_eq!(
        days.first().map(String::as_str),
        Some("2026-01-06"),
        "{days:?}"
    );
    assert_eq!(
        days.last().map(String::as_str),
        Some("2026-01-20"),
        "{days:?}"
    );
    kiosk::stop();
}

// ---------------------------------------------------------------- staff are told

/// Where the child finds the hub the parent runs (on the real clock).
const HUB_BASE: &str = "INTEGRA_TEST_HUB_BASE";
const HUB_TOKEN: &str = "INTEGRA_TEST_HUB_TOKEN";

/// A device whose own clock is 3 h behind a hub on the real clock: staff get a "device-clock"
/// alert naming it, and the hub's log says it once.
#[test]
fn a_device_3_hours_behind_the_hub_raises_a_staff_alert() {
    if std::env::var_os(FAKED).is_some() {
        // The device (this child, its clock 3 h behind): follow the hub until it answered.
        let base = std::env::var(HUB_BASE).expect("the hub's address");
        let token = std::env::var(HUB_TOKEN).expect("the device's token");
        let remote = Remote::start(&base, &token, catalog()).expect("remote");
        wait_for("the hub's time", || remote.own_clock_ahead().is_some());
        return;
    }
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // The hub's own clock: the real one.
    let hub = Hub::new(Engine::open(dir.path(), demo).expect("engine"), None).expect("hub");
    let (addr, _task) = rt
        .block_on(hub.serve("127.0.0.1:0".parse().expect("addr")))
        .expect("serve");
    let base = format!("http://{addr}");
    let store = Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, Role::Display, Utc::now())
        .expect("pin")
        .0;
    let (token, _) = Remote::pair(&base, &pin, "Lobby TV").expect("pair");
    let out = std::process::Command::new("faketime")
        .args(["-m", "-f", "-3h"])
        .arg(std::env::current_exe().expect("this test binary"))
        .args([
            "devclock::a_device_3_hours_behind_the_hub_raises_a_staff_alert",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DONT_FAKE_MONOTONIC", "1")
        .env(FAKED, "1")
        .env(HUB_BASE, &base)
        .env(HUB_TOKEN, &token)
        .output()
        .expect("faketime (apt-get install faketime; tests/run installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for("the device-clock alert", || {
        hub.alerts()
            .iter()
            .any(|a| a.kind == integra::hub::AlertKind::DeviceClock)
    });
    let alerts = hub.alerts();
    let alert = alerts
        .iter()
        .find(|a| a.kind == integra::hub::AlertKind::DeviceClock)
        .unwrap_or_else(|| panic!("no device-clock alert in {alerts:?}"));
    assert_eq!(alert.device, "Lobby TV");
    assert!(
        alert.message.contains("own clock is 3 h behind the hub's"),
        "{}",
        alert.message
    );
}
