//! The `integra` command as a technician uses it: output, exit codes, one-line errors.

use super::common::*;
use std::path::Path;
use std::process::{Command, Output};

fn integra(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("INTEGRA_DATA")
        .output()
        .expect("run integra")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or("").to_string()
}

#[test]
fn help_lists_every_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = integra(dir.path(), &["--help"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for sub in [
        "catalog", "issue", "queue", "next", "ticket", "book", "check-in", "sign-up", "bench",
        "demo",
    ] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(sub)),
            "--help lacks {sub}:\n{text}"
        );
    }
    assert!(text.contains("--data"));
}

#[test]
fn issue_queue_next_on_the_demo_center() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Monday 2026-01-05 09:00 in Bogotá: the demo center is open.
    let at = monday_9().to_rfc3339();
    let o = integra(
        d,
        &["--at", &at, "issue", "--service", "info", "--lang", "ht"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(last_line(&o), "A-001");
    assert!(
        stdout(&o).contains("Enfòmasyon ak oryantasyon"),
        "{}",
        stdout(&o)
    );
    let o = integra(
        d,
        &[
            "--at",
            &at,
            "issue",
            "--service",
            "legal",
            "--priority",
            "older",
        ],
    );
    assert_eq!(last_line(&o), "B-001");
    let o = integra(d, &["--at", &at, "issue", "--service", "info"]);
    assert_eq!(last_line(&o), "A-002");

    let o = integra(d, &["--at", &at, "queue"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q = stdout(&o);
    assert!(
        q.contains("A-001") && q.contains("A-002") && q.contains("B-001"),
        "{q}"
    );
    assert!(q.contains("priority: older"), "{q}");
    assert!(q.contains("3 waiting in all"), "{q}");

    // Counter 2 serves legal and info: the priority ticket first.
    let o = integra(d, &["--at", &at, "next", "--counter", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(last_line(&o), "B-001");
    let o = integra(d, &["--at", &at, "next", "--counter", "1"]);
    assert_eq!(last_line(&o), "A-001");
    let o = integra(d, &["--at", &at, "ticket", "A-001", "finish"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("A-001 done"));
    let o = integra(d, &["--at", &at, "queue"]);
    assert!(stdout(&o).contains("1 waiting in all"), "{}", stdout(&o));
}

/// A slip reprinted from the command line is, byte for byte, the slip printed when the ticket
/// was issued (the same people ahead and wait) while nothing has changed since: for ordinary
/// tickets, a priority ticket issued after them (the reprint used to count every ticket
/// before it, where the priority goes first) and a protection visitor's.
#[test]
fn a_reprint_from_the_command_line_is_the_slip_printed_at_issue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let at = monday_9().to_rfc3339();
    let rows = [
        ("info", None, "A-001"),
        ("info", None, "A-002"),
        ("info", Some("older"), "A-003"),
        ("protection", None, "A-004"),
    ];
    for (service, priority, label) in rows {
        let issued = d.join(format!("issued-{label}.bin"));
        let again = d.join(format!("reprint-{label}.bin"));
        let mut args = vec!["--at", &at, "issue", "--service", service];
        args.extend(priority.map(|p| ["--priority", p]).into_iter().flatten());
        let printer = format!("file:{}", issued.display());
        args.extend(["--printer", &printer]);
        let o = integra(d, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_line(&o), label);
        let printer = format!("file:{}", again.display());
        let o = integra(
            d,
            &[
                "--at",
                &at,
                "ticket",
                label,
                "reprint",
                "--printer",
                &printer,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let (first, second) = (
            std::fs::read(&issued).expect("the slip at issue"),
            std::fs::read(&again).expect("the reprint"),
        );
        assert!(!first.is_empty());
        assert!(
            first == second,
            "{label}: the reprint differs from the slip at issue\n{}\n{}",
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second)
        );
    }
}

#[test]
fn appointments_and_sign_ups_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let at = local(5, 9, 0).to_rfc3339();
    let o = integra(
        d,
        &[
            "--at",
            &at,
            "book",
            "--service",
            "legal",
            "--date",
            "2026-01-05",
            "--time",
            "10:00",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let code = last_line(&o);
    assert_eq!(code.len(), 6);
    let o = integra(d, &["--at", &at, "check-in", "--code", &code]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(last_line(&o), "B-001");
    let o = integra(
        d,
        &[
            "--at",
            &at,
            "sign-up",
            "--activity",
            "sewing",
            "--date",
            "2026-01-07",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("seat booked"));
}

/// Each bad request: its exit code, a one-line message naming the problem, and no data change.
#[test]
fn errors_are_one_line_with_the_right_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let at = monday_9().to_rfc3339();
    let night = local(5, 23, 0).to_rfc3339();
    let broken = d.join("broken.toml");
    std::fs::write(
        &broken,
        TEST_CATALOG.replacen("prefix = \"E\"", "prefix = \"B\"", 1),
    )
    .expect("write");
    let broken = broken.to_string_lossy().into_owned();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["--at", &at, "issue", "--service", "nope"],
            4,
            "unknown service 'nope'",
        ),
        (
            vec!["--at", &night, "issue", "--service", "info"],
            4,
            "closed",
        ),
        (
            vec!["--at", &at, "issue", "--service", "info", "--lang", "de"],
            2,
            "unknown language 'de'",
        ),
        (
            vec!["--at", &at, "next", "--counter", "1"],
            4,
            "nobody is waiting",
        ),
        (
            vec!["--at", &at, "next", "--counter", "77"],
            4,
            "unknown counter '77'",
        ),
        (
            vec!["--at", &at, "ticket", "Z-999", "finish"],
            4,
            "no ticket Z-999 today",
        ),
        (
            vec!["--catalog", &broken, "queue"],
            3,
            "broken.toml:46: field `services[2].prefix`",
        ),
        (
            vec!["--catalog", "/nonexistent/c.toml", "queue"],
            3,
            "cannot read the catalog",
        ),
        (
            vec!["catalog", "check", &broken],
            3,
            "already used by service 'legal'",
        ),
        (vec!["frobnicate"], 2, "unrecognized subcommand"),
    ];
    for (args, code, message) in cases {
        let o = integra(d, &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: '{err}' lacks '{message}'");
        if code != 2 {
            assert_eq!(
                err.trim().lines().count(),
                1,
                "{args:?}: not one line: {err}"
            );
            assert!(err.starts_with("integra: "), "{err}");
        }
    }
    // Nothing was issued by any of them.
    let o = integra(d, &["--at", &at, "queue"]);
    assert!(stdout(&o).contains("0 waiting in all"), "{}", stdout(&o));
}

#[test]
fn catalog_check_accepts_the_demo_file_it_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = integra(dir.path(), &["catalog", "demo"]);
    assert!(o.status.success());
    let file = dir.path().join("demo.toml");
    std::fs::write(&file, &o.stdout).expect("write");
    let o = integra(dir.path(), &["catalog", "check", &file.to_string_lossy()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid"));
    assert!(stdout(&o).contains("services: 10"));
}

#[test]
fn the_text_demo_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .env("INTEGRA_DATA", dir.path())
        .arg("demo")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("counter 1 calls"), "{text}");
    assert!(text.contains("code"), "{text}");
}

/// With no display, the kiosk says in one line how to run it, and changes nothing.
#[test]
fn the_kiosk_without_a_display_says_how_to_run_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .env("INTEGRA_DATA", dir.path())
        .env("RUST_LOG", "error")
        // Not the fixed port: a kiosk may be running beside the tests.
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env_remove("SLINT_BACKEND")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("SLINT_BACKEND=linuxkms") && err.contains("X11 or Wayland"),
        "{err}"
    );
}

/// A device configured by its settings file: data directory and printer come from it.
#[test]
fn settings_file_drives_data_and_printer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let preview = dir.path().join("ticket.bin");
    let settings = dir.path().join("integra.toml");
    std::fs::write(
        &settings,
        format!(
            "role = \"kiosk\"\ndata_dir = \"{}\"\n\n[printer]\nuri = \"file:{}\"\npaper = 58\n",
            data.display(),
            preview.display()
        ),
    )
    .expect("write settings");
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(&settings)
        .args([
            "--at",
            &monday_9().to_rfc3339(),
            "issue",
            "--service",
            "info",
            "--lang",
            "pt",
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(last_line(&o), "A-001");
    assert!(stdout(&o).contains("printed on file:"), "{}", stdout(&o));
    let bytes = std::fs::read(&preview).expect("printed");
    assert!(bytes.starts_with(&[0x1B, b'@', 0x1B, b't', 19]));
    assert!(
        data.join(integra::store::DB_FILE).exists(),
        "data went to the settings' data_dir"
    );

    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(["settings", "check"])
        .arg(&settings)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("58 mm"), "{}", stdout(&o));

    std::fs::write(&settings, "role = \"counter\"\n").expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(["settings", "check"])
        .arg(&settings)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("integra.toml:1: field `role`"),
        "{}",
        stderr(&o)
    );
}
