//! `integra doctor` against a fake printer, an unreachable hub, a wrong clock, a bad data dir.

use super::common::free_port;
use chrono::{TimeZone, Utc};
use integra::device::doctor::{self, Verdict};
use integra::printer::fake::{FakePrinter, FakeState};
use std::process::Command;

fn doctor_with(settings: &str, dir: &std::path::Path) -> (Option<i32>, String, String) {
    let file = dir.join("integra.toml");
    std::fs::write(&file, settings).expect("settings");
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(&file)
        .arg("--data")
        .arg(dir.join("data"))
        .args(["doctor"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run doctor");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn line<'a>(out: &'a str, what: &str) -> &'a str {
    out.lines()
        .find(|l| {
            l.chars()
                .skip(1)
                .collect::<String>()
                .trim_start()
                .starts_with(what)
        })
        .unwrap_or_else(|| panic!("no '{what}' line in:\n{out}"))
}

#[test]
fn doctor_reports_paper_out_and_an_unreachable_hub_with_fixes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let printer = FakePrinter::start(FakeState::PaperOut).expect("fake printer");
    let settings = format!(
        "role = \"kiosk\"\nhub = \"http://127.0.0.1:{}\"\ndata_dir = \"{}\"\n[printer]\nuri = \"{}\"\n",
        free_port(),
        dir.path().join("data").display(),
        printer.uri()
    );
    let (code, out, err) = doctor_with(&settings, dir.path());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("check(s) failed"), "{err}");
    let p = line(&out, "printer");
    assert!(
        p.starts_with('✘') && p.contains("out of paper: put in a new roll"),
        "{p}"
    );
    let h = line(&out, "hub");
    assert!(
        h.starts_with('✘') && h.contains("cannot reach") && h.contains("network cable"),
        "{h}"
    );
    let s = line(&out, "settings");
    assert!(s.starts_with('✔'), "{s}");
    assert!(line(&out, "data directory").starts_with('✔'));
    assert!(line(&out, "languages").starts_with('✔'));

    // A new roll: the printer line turns green.
    printer.set_state(FakeState::Ready);
    let (_, out, _) = doctor_with(&settings, dir.path());
    let p = line(&out, "printer");
    assert!(p.starts_with('✔') && p.contains("ready, paper OK"), "{p}");
}

#[test]
fn doctor_reports_a_broken_settings_file_instead_of_stopping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, _) = doctor_with("role = \"kiosk\"\nidle_timeout_seconds = 1\n", dir.path());
    assert_eq!(code, Some(1));
    let s = line(&out, "settings");
    assert!(
        s.starts_with('✘') && s.contains(":2:") && s.contains("idle_timeout_seconds"),
        "{s}"
    );
}

#[test]
fn a_clock_before_the_build_is_wrong() {
    let built = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("t");
    let epoch = Utc
        .with_ymd_and_hms(1970, 1, 1, 0, 0, 5)
        .single()
        .expect("t");
    let c = doctor::clock_check(epoch, built, &doctor::TimeSource::Nothing);
    assert_eq!(c.verdict, Verdict::Fail);
    assert!(c.line().contains("NTP"), "{}", c.line());
    assert!(c.line().contains("admin page"), "{}", c.line());
    assert!(!c.line().contains("date -s"), "{}", c.line());
    let monday = Utc
        .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .single()
        .expect("t");
    let c = doctor::clock_check(monday, built, &doctor::TimeSource::Synced);
    assert_eq!(c.verdict, Verdict::Pass);
    assert!(c.line().contains("time source"), "{}", c.line());
    assert!(doctor::build_time() <= Utc::now());
}

/// The doctor says where the time comes from, and the hub's saved time is a floor too.
#[test]
fn the_doctor_says_where_the_time_comes_from() {
    let built = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("t");
    let saved = Utc
        .with_ymd_and_hms(2026, 12, 7, 18, 0, 0)
        .single()
        .expect("t");
    let before_saved = saved - chrono::Duration::hours(1);
    let c = doctor::clock_check(before_saved, built, &doctor::TimeSource::SavedTime(saved));
    assert_eq!(c.verdict, Verdict::Fail, "{}", c.line());
    assert!(c.line().contains("saved time"), "{}", c.line());
    let later = saved + chrono::Duration::hours(1);
    let c = doctor::clock_check(later, built, &doctor::TimeSource::SavedTime(saved));
    assert_eq!(c.verdict, Verdict::Warn, "{}", c.line());
    let c = doctor::clock_check(later, built, &doctor::TimeSource::SetByStaff(saved));
    assert_eq!(c.verdict, Verdict::Pass, "{}", c.line());
    assert!(c.line().contains("coordinator"), "{}", c.line());
    let c = doctor::clock_check(
        later,
        built,
        &doctor::TimeSource::BatteryClock("rtc-ds1307".into()),
    );
    assert!(
        c.line().contains("battery clock (rtc-ds1307)"),
        "{}",
        c.line()
    );
    // The build date is the newest commit's (or SOURCE_DATE_EPOCH), not when build.rs last ran.
    let commit = std::process::Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<i64>().ok());
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none()
        && let Some(commit) = commit
    {
        assert_eq!(doctor::build_time().timestamp(), commit);
    }
}

#[test]
fn an_unwritable_data_directory_fails_plainly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("file");
    let checks = doctor::data_dir_check(&file.join("data"));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].verdict, Verdict::Fail);
    assert!(
        checks[0].line().contains("cannot be created"),
        "{}",
        checks[0].line()
    );
}

/// `integra hub` in its own process, killed when dropped.
struct HubProcess(std::process::Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn integra(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(args)
        .output()
        .expect("run integra");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn doctor_says_whether_this_device_is_paired_with_the_hub() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub_data = dir.path().join("hub");
    let hub_data_s = hub_data.display().to_string();
    let port = free_port();
    let hub = HubProcess(
        Command::new(env!("CARGO_BIN_EXE_integra"))
            .args([
                "--data",
                &hub_data_s,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "hub",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("hub"),
    );
    let t = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed().as_secs() < 10, "the hub did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let device = dir.path().join("device");
    std::fs::create_dir_all(&device).expect("dir");
    let settings = format!(
        "role = \"kiosk\"\nhub = \"http://127.0.0.1:{port}\"\ndata_dir = \"{}\"\n",
        device.join("data").display()
    );
    // Not paired yet.
    let (_, out, _) = doctor_with(&settings, &device);
    let h = line(&out, "hub");
    assert!(
        h.starts_with('✘') && h.contains("not paired") && h.contains("integra join"),
        "{h}"
    );
    // Pair: a PIN on the hub, `integra join` on the device.
    let (ok, pin) = integra(&["--data", &hub_data_s, "pair", "--role", "kiosk"]);
    assert!(ok, "{pin}");
    let pin = pin
        .lines()
        .find(|l| {
            l.len() == integra::hub::auth::PIN_DIGITS as usize
                && l.chars().all(|c| c.is_ascii_digit())
        })
        .expect("a PIN");
    let file = device.join("integra.toml");
    let file_s = file.display().to_string();
    let (ok, out) = integra(&[
        "--settings",
        &file_s,
        "join",
        "--pin",
        pin,
        "--name",
        "Kiosk 2",
    ]);
    assert!(ok, "{out}");
    let (code, out, _) = doctor_with(&settings, &device);
    let h = line(&out, "hub");
    assert!(
        h.starts_with('✔') && h.contains("paired as kiosk \"Kiosk 2\""),
        "{h}\n{code:?}"
    );
    // The device's own clock 3 h behind the hub's (libfaketime on the doctor only): said, with
    // what to do; the hub itself still answers and the device is paired.
    let o = Command::new("faketime")
        .args(["-f", "-3h"])
        .arg(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(&file)
        .arg("--data")
        .arg(device.join("data"))
        .arg("doctor")
        .env("DONT_FAKE_MONOTONIC", "1")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("faketime (apt-get install faketime)");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let h = line(&out, "hub");
    assert!(
        h.starts_with('!')
            && h.contains("paired as kiosk \"Kiosk 2\"")
            && h.contains("own clock is 3 h")
            && h.contains("behind the hub's")
            && h.contains("chrony"),
        "{h}"
    );
    // The same PIN again is refused, in plain words.
    let (ok, out) = integra(&["--settings", &file_s, "join", "--pin", pin]);
    assert!(
        !ok && out.contains("PIN is wrong, used or expired"),
        "{out}"
    );
    // Revoked on the hub: the doctor says so.
    let (ok, out) = integra(&["--data", &hub_data_s, "devices", "--revoke", "1"]);
    assert!(ok, "{out}");
    let (_, out, _) = doctor_with(&settings, &device);
    let h = line(&out, "hub");
    assert!(
        h.starts_with('✘') && h.contains("refuses this device's token"),
        "{h}"
    );
    drop(hub);
}
