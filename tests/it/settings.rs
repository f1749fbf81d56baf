//! Device settings: the example file of every role is valid; each broken file is refused with
//! its line, field and the fix.

use integra::device::{DeviceRole, HubAddress, Settings, SetupCode};
use integra::printer::{CodePage, Paper, PrinterUri};
use std::path::PathBuf;

fn example(role: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/examples")
        .join(format!("{role}.toml"));
    std::fs::read_to_string(path).expect("example settings")
}

#[test]
fn every_role_has_a_valid_example() {
    let cases = [
        ("kiosk", DeviceRole::Kiosk, HubAddress::Local),
        ("counter", DeviceRole::Counter, HubAddress::Auto),
        ("display", DeviceRole::Display, HubAddress::Auto),
        ("hub", DeviceRole::Hub, HubAddress::Local),
    ];
    for (name, role, hub) in cases {
        let s = Settings::parse(&example(name), name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.role, role);
        assert_eq!(s.hub(), hub, "{name}");
    }
    let kiosk = Settings::parse(&example("kiosk"), "kiosk").expect("valid");
    assert_eq!(
        kiosk.printer_uri(),
        Some(PrinterUri::Usb("/dev/usb/lp0".into()))
    );
    let f = kiosk.print_format();
    assert_eq!((f.paper, f.codepage), (Paper::Mm80, CodePage::Cp858));
    let counter = Settings::parse(&example("counter"), "counter").expect("valid");
    assert_eq!(counter.counter.as_ref().map(|c| c.as_str()), Some("2"));
    assert_eq!(counter.gpio.next_button, Some(17));
}

/// (role example, replace, with, field, message, the line to name when not the replaced one)
const BROKEN: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "kiosk",
        "role = \"kiosk\"",
        "role = \"kiosko\"",
        "",
        "unknown variant `kiosko`",
        "",
    ),
    (
        "kiosk",
        "paper = 80 ",
        "paper = 76 ",
        "printer.paper",
        "expected 58 or 80",
        "",
    ),
    (
        "kiosk",
        "uri = \"usb:/dev/usb/lp0\"",
        "uri = \"lp0\"",
        "printer.uri",
        "tcp://HOST:9100",
        "",
    ),
    (
        "kiosk",
        "codepage = \"cp858\"",
        "codepage = \"utf8\"",
        "printer.codepage",
        "unknown code page",
        "",
    ),
    (
        "kiosk",
        "rotation = 0 ",
        "rotation = 45 ",
        "screen.rotation",
        "0, 90, 180 or 270",
        "",
    ),
    (
        "kiosk",
        "idle_timeout_seconds = 45",
        "idle_timeout_seconds = 2",
        "idle_timeout_seconds",
        "from 10 to 600",
        "",
    ),
    (
        "kiosk",
        "hub = \"local\" ",
        "hub = \"192.168.1.10\" ",
        "",
        "expected \"auto\"",
        "",
    ),
    (
        "counter",
        "counter = \"2\" ",
        "# no counter ",
        "role",
        "needs `counter = \"ID\"`",
        "role = \"counter\"",
    ),
    (
        "counter",
        "call_led = 27 ",
        "call_led = 17 ",
        "gpio.call_led",
        "already the next button",
        "",
    ),
    (
        "counter",
        "next_button = 17 ",
        "next_button = 40 ",
        "gpio.next_button",
        "BCM number from 2 to 27",
        "",
    ),
    (
        "display",
        "hub = \"auto\"",
        "hub = \"local\"",
        "hub",
        "does not run the hub",
        "",
    ),
    (
        "hub",
        "role = \"hub\"",
        "role = \"hub\"\nhub = \"http://10.0.0.2:7878\"",
        "hub",
        "this device is the hub",
        "",
    ),
    (
        "hub",
        "role = \"hub\"",
        "role = \"hub\"\nsetup_code = \"2024 11\"",
        "setup_code",
        "6 digits is too short to resist guessing: give at least 10",
        "",
    ),
    (
        "hub",
        "role = \"hub\"",
        "role = \"hub\"\nsetup_code = \"centro-bogota-1\"",
        "setup_code",
        "'c' is not a digit: a setup code is digits only",
        "",
    ),
    (
        "kiosk",
        "role = \"kiosk\"",
        "role = \"kiosk\"\nsetup_code = \"0987 6543 21\"",
        "setup_code",
        "a run like 1234567890 is the first thing tried",
        "",
    ),
    (
        "counter",
        "role = \"counter\"",
        "role = \"counter\"\nsetup_code = \"4071-5930-2816\"",
        "setup_code",
        "the example from the instructions",
        "",
    ),
    ("display", "chime = true", "chime = yes", "", "chime", ""),
    (
        "display",
        "[audio]",
        "[audio]\nvolume = 3",
        "",
        "unknown field `volume`",
        "",
    ),
];

#[test]
fn broken_settings_name_line_field_and_fix() {
    for (role, from, to, field, message, anchor) in BROKEN {
        let good = example(role);
        assert!(good.contains(from), "{role}: example lacks '{from}'");
        let at = good
            .find(if anchor.is_empty() { from } else { anchor })
            .expect("found");
        let line = good[..at].matches('\n').count() + 1;
        let text = good.replacen(from, to, 1);
        let err = Settings::parse(&text, "integra.toml").expect_err(from);
        let shown = err.to_string();
        assert!(
            shown.contains(message),
            "{from}: '{shown}' lacks '{message}'"
        );
        assert!(shown.starts_with("integra.toml:"), "{shown}");
        if !field.is_empty() {
            assert!(err.0.iter().any(|i| i.field == *field), "{from}: {shown}");
        }
        // The line named is the broken line (or, for an added key, the one just after it).
        assert!(
            err.0
                .iter()
                .any(|i| i.line == Some(line) || i.line == Some(line + 1)),
            "{from}: expected line {line} in '{shown}'"
        );
    }
}

/// `timezone` left in an older settings file: the device works on (one source of the zone: the
/// catalog), and the technician is told which line to delete and where the zone is set now.
#[test]
fn a_settings_file_with_a_timezone_is_told_to_drop_it_and_works_on() {
    let good = example("kiosk");
    let anchor = "idle_timeout_seconds = 45";
    assert!(good.contains(anchor));
    let line = good[..good.find(anchor).expect("found")]
        .matches('\n')
        .count()
        + 1;
    let old = good.replacen(
        anchor,
        &format!("timezone = \"America/Bogota\"\n{anchor}"),
        1,
    );
    let s = Settings::parse(&old, "integra.toml").expect("still a valid file");
    let notices = s.notices(&old, "integra.toml");
    assert_eq!(notices.len(), 1, "{notices:?}");
    let shown = notices[0].to_string();
    assert_eq!(notices[0].line, Some(line), "{shown}");
    assert!(
        shown.starts_with(&format!("integra.toml:{line}")),
        "{shown}"
    );
    for words in [
        "timezone",
        "no longer read",
        "[center] timezone",
        "delete this line",
    ] {
        assert!(shown.contains(words), "'{shown}' lacks '{words}'");
    }
    let json = |s: &Settings| serde_json::to_value(s).expect("settings as JSON");
    assert_eq!(
        json(&s),
        json(&Settings::parse(&good, "integra.toml").expect("valid")),
        "the line changes nothing"
    );
    assert!(
        Settings::parse(&good, "integra.toml")
            .expect("valid")
            .notices(&good, "integra.toml")
            .is_empty()
    );
    // The technician's check: valid (the unit's ExecStartPre passes), with the warning.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("integra.toml");
    std::fs::write(&file, &old).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(["settings", "check"])
        .arg(&file)
        .env_remove("INTEGRA_SETTINGS")
        .output()
        .expect("integra");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("valid"), "{stdout}");
    assert!(
        stderr.contains(&format!("warning: {}:{line}", file.display()))
            && stderr.contains("delete this line"),
        "{stderr}"
    );
}

/// A setup code is typed on a keypad or a page: spaces and dashes only group the digits, and a
/// near miss is no match. It is never printed in a log line by accident.
#[test]
fn a_setup_code_matches_its_digits_and_nothing_else() {
    let text = "role = \"hub\"\nsetup_code = \"5830 2719 4406\"\n";
    let s = Settings::parse(text, "integra.toml").expect("a good code");
    let code = s.setup_code.expect("the code is read");
    for typed in ["583027194406", "5830-2719-4406", " 5830 2719 4406 "] {
        assert!(code.matches(typed), "{typed}");
    }
    for typed in [
        "583027194407",
        "58302719440",
        "5830271944066",
        "",
        "x583027194406",
    ] {
        assert!(!code.matches(typed), "{typed}");
    }
    assert!(!format!("{code:?}").contains("5830"), "{code:?}");
    assert_eq!(code.mark(), SetupCode::new("5830-2719-4406").mark());
    assert_eq!(
        code.mark().len(),
        3,
        "12 bits: too few to give the code away"
    );
    assert!(SetupCode::new("5830-2719-4406").problem().is_none());
}
