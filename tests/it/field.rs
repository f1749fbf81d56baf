//! The field settings applied (issue #33 point 4): `[screen] rotation` reaches the backend and
//! the touch, `[wifi]` becomes iwd's files, `ssh.pub` opens a key-only shell — all written by
//! `integra boot-setup` under /run at each boot; and the image carries the units that run it.

use integra::device::Settings;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqmMf0l7cX9Qm0pQ9X4dE2b3bqS1J2zq5xk0a7bZc9d tech@laptop";

fn boot_setup(settings: &Path, root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_integra"))
        .arg("--settings")
        .arg(settings)
        .arg("boot-setup")
        .arg("--root")
        .arg(root)
        .env("RUST_LOG", "info")
        .output()
        .expect("run integra boot-setup")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("file").permissions().mode() & 0o777
}

#[test]
fn boot_setup_writes_the_touch_rule_the_wifi_and_the_ssh_keys_under_run_and_clears_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let boot = dir.path().join("boot");
    let root = dir.path().join("root");
    std::fs::create_dir_all(&boot).expect("boot");
    let settings = boot.join("integra.toml");
    std::fs::write(
        &settings,
        "role = \"kiosk\"\n[screen]\nrotation = 90\n\n[wifi]\nssid = \"Centro Staff\"\npsk = \"clave segura 2026\"\ncountry = \"co\"\n",
    )
    .expect("settings");
    std::fs::write(boot.join("ssh.pub"), format!("# the technician\n{KEY}\n")).expect("key");
    let out = boot_setup(&settings, &root);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    // The psk is never said (the journal keeps this output).
    assert!(!said.contains("clave segura"), "{said}");
    assert!(said.contains("SLINT_KMS_ROTATION=90"), "{said}");
    let rule = std::fs::read_to_string(root.join("run/udev/rules.d/61-integra-touch.rules"))
        .expect("the touch rule");
    assert!(
        rule.contains(
            "ENV{ID_INPUT_TOUCHSCREEN}==\"1\", ENV{LIBINPUT_CALIBRATION_MATRIX}=\"0 1 0 -1 0 1\""
        ),
        "{rule}"
    );
    let wifi = root.join("run/integra-wifi");
    assert_eq!(mode(&wifi), 0o700);
    let main = std::fs::read_to_string(wifi.join("main.conf")).expect("main.conf");
    assert!(main.contains("Country=CO\n"), "{main}");
    let profile = wifi.join("Centro Staff.psk");
    assert_eq!(mode(&profile), 0o600);
    assert!(
        std::fs::read_to_string(&profile)
            .expect("profile")
            .contains("Passphrase=clave\\ssegura\\s2026\n")
    );
    let keys = root.join("run/integra-ssh/authorized_keys");
    assert_eq!(
        std::fs::read_to_string(&keys).expect("keys"),
        format!("{KEY}\n")
    );
    assert_eq!(mode(&keys), 0o600);
    assert_eq!(mode(&root.join("run/integra-ssh")), 0o700);
    // What is in force, for the doctor: readable by all, without the password.
    let applied = root.join("run/integra-boot/applied");
    assert_eq!(
        std::fs::read_to_string(&applied).expect("applied"),
        "screen turned 90°\nWi-Fi \"Centro Staff\", country CO\nshell on (1 key(s))\n"
    );
    assert_eq!(mode(&applied), 0o644);

    // The card edited back: no turn, no [wifi], no ssh.pub — nothing of it is left.
    std::fs::write(&settings, "role = \"kiosk\"\n").expect("settings");
    std::fs::remove_file(boot.join("ssh.pub")).expect("rm key");
    let out = boot_setup(&settings, &root);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("SLINT_KMS_ROTATION"));
    assert!(
        !root
            .join("run/udev/rules.d/61-integra-touch.rules")
            .exists()
    );
    assert!(!wifi.exists());
    assert!(!keys.exists());
}

#[test]
fn a_bad_ssh_pub_keeps_the_shell_off_names_the_line_and_the_rest_is_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let settings = dir.path().join("integra.toml");
    std::fs::write(
        &settings,
        "role = \"display\"\nhub = \"https://192.168.1.10:7878\"\n[screen]\nrotation = 270\n[wifi]\nssid = \"Invitados\"\n",
    )
    .expect("settings");
    std::fs::write(dir.path().join("ssh.pub"), format!("{KEY}\nmy password\n")).expect("key");
    let out = boot_setup(&settings, &root);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("ssh.pub:2: not an SSH public key"), "{said}");
    assert!(!root.join("run/integra-ssh/authorized_keys").exists());
    assert!(
        std::fs::read_to_string(root.join("run/udev/rules.d/61-integra-touch.rules"))
            .expect("rule")
            .contains("\"0 -1 1 1 0 0\"")
    );
    assert!(root.join("run/integra-wifi/Invitados.open").exists());
    // A private key on the card is refused and named as such.
    std::fs::write(
        dir.path().join("ssh.pub"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .expect("key");
    let said = text(&boot_setup(&settings, &root));
    assert!(said.contains("PRIVATE key: delete it"), "{said}");
}

#[test]
fn wifi_mistakes_are_named_with_line_and_field_and_never_show_the_password() {
    let base = "role = \"counter\"\ncounter = \"1\"\nhub = \"auto\"\n\n[wifi]\nssid = \"Centro\"\n";
    for (extra, field, line, words) in [
        ("psk = \"corta\"\n", "wifi.psk", 7, "has 5 characters"),
        (
            "psk = \"contraseña-larga\"\n",
            "wifi.psk",
            7,
            "plain letters",
        ),
        (
            "psk = \"clave-valida\"\ncountry = \"COL\"\n",
            "wifi.country",
            8,
            "'COL' is not a country code",
        ),
    ] {
        let file = format!("{base}{extra}");
        let err = Settings::parse(&file, "integra.toml").expect_err(extra);
        let shown = err.to_string();
        assert!(shown.contains(words), "{shown}");
        assert!(
            !shown.contains("corta") && !shown.contains("contraseña"),
            "{shown}"
        );
        let issue = err.0.iter().find(|i| i.field == field).expect(field);
        assert_eq!(issue.line, Some(line), "{shown}");
    }
    let long_name = base.replace("Centro", &"x".repeat(33));
    let shown = Settings::parse(&long_name, "integra.toml")
        .expect_err("33 bytes")
        .to_string();
    assert!(
        shown.contains("integra.toml:6:") && shown.contains("1 to 32 bytes"),
        "{shown}"
    );
    // The same file with a good password is valid; the settings keep no copy in what they print.
    let good =
        Settings::parse(&format!("{base}psk = \"clave-valida\"\n"), "integra.toml").expect("valid");
    assert_eq!(good.wifi.as_ref().map(|w| w.ssid.as_str()), Some("Centro"));
    // The technician's check says what the device will do, without the password.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("integra.toml");
    std::fs::write(
        &file,
        format!("{base}psk = \"clave-valida\"\ncountry = \"pe\"\n[screen]\nrotation = 90\n"),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_integra"))
        .args(["settings", "check"])
        .arg(&file)
        .env_remove("INTEGRA_SETTINGS")
        .output()
        .expect("integra");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("network: Wi-Fi \"Centro\", country PE")
            && said.contains("screen: turned 90°"),
        "{said}"
    );
    assert!(!said.contains("clave-valida"), "{said}");
}

#[test]
fn the_doctor_has_a_wifi_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = dir.path().join("integra.toml");
    std::fs::write(
        &settings,
        format!(
            "role = \"display\"\nhub = \"https://127.0.0.1:9\"\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("settings");
    let doctor = |s: &Path| {
        text(
            &Command::new(env!("CARGO_BIN_EXE_integra"))
                .arg("--settings")
                .arg(s)
                .arg("doctor")
                .output()
                .expect("doctor"),
        )
    };
    let said = doctor(&settings);
    assert!(
        said.lines()
            .any(|l| l.starts_with("– wifi: not set: the device uses the cable")),
        "{said}"
    );
    // With [wifi] on this machine (no associated radio here): a ✘ with the fix, no password.
    std::fs::write(
        &settings,
        format!(
            "role = \"display\"\nhub = \"https://127.0.0.1:9\"\ndata_dir = \"{}\"\n[wifi]\nssid = \"Centro\"\npsk = \"clave-valida\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("settings");
    let said = doctor(&settings);
    let line = said
        .lines()
        .find(|l| l.contains(" wifi: "))
        .unwrap_or_else(|| panic!("no wifi line: {said}"));
    assert!(
        line.starts_with("✘ wifi: ") && line.contains("\"Centro\""),
        "{line}"
    );
    assert!(!said.contains("clave-valida"), "{said}");
}

/// A root with the host's systemd units, our binary and the unit under test.
fn verify(unit: &str, text: &str) -> Output {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    for d in [
        "usr/bin",
        "etc/systemd/system",
        "boot/firmware",
        "usr/lib/systemd",
    ] {
        std::fs::create_dir_all(r.join(d)).expect("dir");
    }
    let host_units = ["/usr/lib/systemd/system", "/lib/systemd/system"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.join("multi-user.target").exists())
        .expect("the host's systemd units (apt-get install systemd)");
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(host_units)
            .arg(r.join("usr/lib/systemd/"))
            .status()
            .expect("cp")
            .success()
    );
    std::fs::copy(env!("CARGO_BIN_EXE_integra"), r.join("usr/bin/integra")).expect("binary");
    std::fs::write(r.join("boot/firmware/integra.toml"), "role = \"hub\"\n").expect("settings");
    std::fs::write(r.join("etc/systemd/system").join(unit), text).expect("unit");
    Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", r.display()))
        .arg(format!("/etc/systemd/system/{unit}"))
        .output()
        .expect("systemd-analyze (apt-get install systemd)")
}

#[test]
fn the_boot_unit_verifies_and_runs_boot_setup_before_udev_input_iwd_sshd_and_integra() {
    let unit = include_str!("../../deploy/field/integra-boot.service");
    for needed in [
        "Type=oneshot",
        "RequiresMountsFor=/boot/firmware",
        "Before=sysinit.target iwd.service ssh.service integra.service",
        "ExecStart=-/usr/bin/integra --settings /boot/firmware/integra.toml boot-setup",
        "ExecStart=/usr/bin/udevadm trigger --action=change --subsystem-match=input --settle",
        "WantedBy=sysinit.target",
    ] {
        assert!(unit.contains(needed), "integra-boot.service lacks {needed}");
    }
    let out = verify("integra-boot.service", unit);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("integra-boot.service:"),
        "systemd-analyze verify: {err}"
    );
    let out = verify(
        "integra-boot.service",
        &unit.replace("Type=oneshot", "Type=once"),
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Failed to parse service type"),
        "a bad unit is reported"
    );
    // iwd and sshd start only when the boot step wrote their files; sshd takes keys only.
    let iwd = include_str!("../../deploy/field/iwd.conf");
    assert!(iwd.contains("ConditionPathExists=/run/integra-wifi/main.conf"));
    assert!(
        iwd.contains("CONFIGURATION_DIRECTORY=/run/integra-wifi STATE_DIRECTORY=/run/integra-wifi")
    );
    let ssh = include_str!("../../deploy/field/ssh.conf");
    assert!(ssh.contains("ConditionPathExists=/run/integra-ssh/authorized_keys"));
    let sshd = include_str!("../../deploy/field/sshd-integra.conf");
    for line in [
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "AuthorizedKeysFile /run/integra-ssh/authorized_keys",
        "HostKey /run/integra-ssh/ssh_host_ed25519_key",
    ] {
        assert!(sshd.lines().any(|l| l == line), "sshd lacks {line}");
    }
}

/// The image's `configure` step on a stand-in root puts the boot step, iwd and sshd in place,
/// enabled, with no SSH host key.
#[test]
fn the_image_carries_the_boot_step_iwd_and_a_key_only_sshd_without_a_host_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("rootfs");
    for d in ["etc/ssh", "boot/firmware", "usr/sbin", "var/lib/integra"] {
        std::fs::create_dir_all(root.join(d)).expect("dir");
    }
    for (f, text) in [
        ("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"),
        ("etc/group", "root:x:0:\n"),
        ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
        ("etc/gshadow", "root:*::\n"),
        (
            "etc/ssh/ssh_host_ed25519_key",
            "made when the package was installed\n",
        ),
    ] {
        std::fs::write(root.join(f), text).expect("file");
    }
    let bin = dir.path().join("integra-arm64");
    std::fs::write(&bin, b"\x7fELF stand-in").expect("binary");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/build-image.sh");
    let out = Command::new(&script)
        .arg("configure")
        .arg(&root)
        .arg(&bin)
        .output()
        .expect("configure");
    assert!(out.status.success(), "{}", text(&out));
    let etc = root.join("etc/systemd/system");
    for (link, to) in [
        (
            "sysinit.target.wants/integra-boot.service",
            "/etc/systemd/system/integra-boot.service",
        ),
        (
            "multi-user.target.wants/iwd.service",
            "/lib/systemd/system/iwd.service",
        ),
        (
            "multi-user.target.wants/ssh.service",
            "/lib/systemd/system/ssh.service",
        ),
    ] {
        assert_eq!(
            std::fs::read_link(etc.join(link)).expect(link),
            Path::new(to),
            "{link}"
        );
    }
    for (file, source) in [
        (
            "etc/systemd/system/integra-boot.service",
            "integra-boot.service",
        ),
        ("etc/systemd/system/iwd.service.d/integra.conf", "iwd.conf"),
        ("etc/systemd/system/ssh.service.d/integra.conf", "ssh.conf"),
        ("etc/ssh/sshd_config.d/integra.conf", "sshd-integra.conf"),
        (
            "etc/systemd/network/25-wireless.network",
            "25-wireless.network",
        ),
    ] {
        let want = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("deploy/field")
                .join(source),
        )
        .expect("source");
        assert_eq!(
            std::fs::read_to_string(root.join(file)).expect(file),
            want,
            "{file}"
        );
    }
    assert!(
        !root.join("etc/ssh/ssh_host_ed25519_key").exists(),
        "a host key every card would share"
    );
    let script = std::fs::read_to_string(&script).expect("script");
    assert!(
        script.contains("iwd,dbus,openssh-server"),
        "rootfs packages"
    );
}

/// The kiosk opens its window with the settings' turn, whatever the environment said before.
#[test]
fn the_kiosk_opens_its_window_with_the_settings_turn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = dir.path().join("integra.toml");
    let run = |rotation: u16| {
        std::fs::write(
            &settings,
            format!(
                "role = \"kiosk\"\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[screen]\nrotation = {rotation}\n",
                dir.path().join("data").display()
            ),
        )
        .expect("settings");
        let out = Command::new(env!("CARGO_BIN_EXE_integra"))
            .arg("--settings")
            .arg(&settings)
            .arg("kiosk")
            .env("RUST_LOG", "info")
            .env("SLINT_KMS_ROTATION", "45")
            .env("SLINT_BACKEND", "winit-software")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .output()
            .expect("run the kiosk");
        // No screen here: it stops at the window, having said what it opens it with.
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        text(&out)
    };
    let said = run(90);
    assert!(
        said.contains("opening the window with SLINT_BACKEND=winit-software SLINT_KMS_ROTATION=90"),
        "{said}"
    );
    let said = run(0);
    assert!(said.contains("SLINT_KMS_ROTATION=0"), "{said}");
    assert!(!said.contains("SLINT_KMS_ROTATION=45"), "{said}");
}
