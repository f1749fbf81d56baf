//! The technician's command line, polished: `integra pair` speaks the center's time and the
//! port its hub really listens on, a command cut short by `| head` ends quietly, the doctor on
//! a display says what it keeps, and a display paired by address with `hub = "auto"` finds its
//! hub again without mDNS.

use super::browser::{pin, start_hub};
use super::common::free_port;
use chrono::Timelike;
use std::path::Path;
use std::process::{Command, Stdio};

fn integra(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(args)
        .env_remove("INTEGRA_SETTINGS")
        .env_remove("INTEGRA_DATA")
        // The machine's own zone is not the center's: the PIN's time must be the center's.
        .env("TZ", "UTC")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run integra");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn pair_says_the_centers_time_the_hubs_real_port_and_an_admin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("hub");
    let data_s = data.display().to_string();
    // Not 7878: the hub was started with --listen elsewhere.
    let port = free_port();
    let _hub = start_hub(&data, port);
    let zone: chrono_tz::Tz = "America/Bogota".parse().expect("zone");
    let before = (chrono::Utc::now() + chrono::Duration::minutes(10)).with_timezone(&zone);
    let (ok, out, err) = integra(&["--data", &data_s, "pair", "--role", "admin"]);
    let after = (chrono::Utc::now() + chrono::Duration::minutes(10)).with_timezone(&zone);
    assert!(ok, "{out}{err}");
    assert!(out.contains("PIN for an admin device"), "{out}");
    let shown = |t: chrono::DateTime<chrono_tz::Tz>| {
        format!("valid until {:02}:{:02}", t.hour(), t.minute())
    };
    assert!(
        out.contains(&shown(before)) || out.contains(&shown(after)),
        "the demo center is in Bogotá: expected '{}' in\n{out}",
        shown(before)
    );
    assert!(out.contains(&format!("https://HUB:{port}/")), "{out}");
    let (ok, out, _) = integra(&["--data", &data_s, "pair", "--role", "counter"]);
    assert!(ok && out.contains("PIN for a counter device"), "{out}");
}

/// Run `args` with standard output a pipe whose reader is already gone (`… | head` after it
/// stopped reading): standard error and how it ended.
fn into_closed_pipe(args: &[&str]) -> (String, std::process::ExitStatus) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(args)
        .env_remove("INTEGRA_SETTINGS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run integra");
    (String::from_utf8_lossy(&o.stderr).into_owned(), o.status)
}

#[test]
fn a_command_whose_output_is_cut_short_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("integra.toml");
    std::fs::write(
        &file,
        format!(
            "role = \"hub\"\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("settings");
    let file_s = file.display().to_string();
    let data_s = dir.path().join("data").display().to_string();
    for args in [
        vec!["settings", "check", &file_s],
        vec!["--settings", &file_s, "doctor"],
        vec!["--data", &data_s, "catalog", "demo"],
    ] {
        let (stderr, status) = into_closed_pipe(&args);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
        assert!(
            status.success() || status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {status:?} {stderr}"
        );
    }
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

/// A display paired by address with `hub = "auto"`: `join` remembers the address, the doctor
/// checks the hub there (the hub on loopback is announced on no network: mDNS cannot find it),
/// and says what the display keeps instead of a queue database it does not have.
#[test]
fn a_display_paired_by_address_finds_its_hub_without_mdns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub_data = dir.path().join("hub");
    let port = free_port();
    let _hub = start_hub(&hub_data, port);
    let device = dir.path().join("device");
    std::fs::create_dir_all(&device).expect("dir");
    let file = device.join("integra.toml");
    std::fs::write(
        &file,
        format!(
            "role = \"display\"\nhub = \"auto\"\ndata_dir = \"{}\"\n",
            device.join("data").display()
        ),
    )
    .expect("settings");
    let file_s = file.display().to_string();
    let url = format!("https://127.0.0.1:{port}");
    let pin = pin(&hub_data, "display");
    let (ok, out, err) = integra(&[
        "--settings",
        &file_s,
        "join",
        "--hub",
        &url,
        "--pin",
        &pin,
        "--name",
        "Lobby TV",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(device.join("data/hub-last-address"))
            .ok()
            .as_deref(),
        Some(url.as_str()),
        "join remembers the hub's address"
    );
    let (_, out, err) = integra(&["--settings", &file_s, "doctor"]);
    let h = line(&out, "hub");
    assert!(
        // (✔, or ! for the hub's fixed test clock: the hub answered and knows this display.)
        !h.starts_with('✘') && h.contains(&url) && h.contains("paired as display"),
        "{h}\n{out}{err}"
    );
    assert!(
        !out.contains("queue database:"),
        "no queue database line: {out}"
    );
    let d = line(&out, "device data");
    assert!(
        d.starts_with('✔')
            && d.contains("no queue database on a display")
            && d.contains("its pairing with the hub")
            && d.contains(&url),
        "{d}"
    );
    assert!(
        !Path::new(&device.join("data/integra.sqlite3")).exists(),
        "the doctor made no queue database on the display"
    );
}
