//! The device in a box on a machine whose QEMU came without its recommended packages: the
//! virtual network card needs no boot ROM (`romfile=`), and a QEMU that cannot start is one
//! sentence naming the fix, never a Python traceback. A fake `qemu-system-aarch64` on PATH
//! stands in for QEMU (no VM is booted).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// A `qemu-system-aarch64` that says what QEMU says without ipxe-qemu when a virtio network
/// card has no `romfile=` (or always, with `always_fails`), and otherwise runs like a paused VM.
fn fake_qemu(dir: &Path, always_fails: bool) {
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in\n  *virtio-net-pci*romfile=*) {} ;;\nesac\necho 'qemu-system-aarch64: -device virtio-net-pci,netdev=lan: failed to find romfile \"efi-virtio.rom\"' >&2\nexit 1\n",
        if always_fails { ":" } else { "exec sleep 30" }
    );
    let path = dir.join("qemu-system-aarch64");
    std::fs::write(&path, script).expect("fake qemu");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn check_qemu(path: &str) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/device_in_a_box.py");
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("python3 (apt-get install python3)");
    let o = Command::new(python)
        .arg(script)
        .arg("--check-qemu")
        .env("PATH", path)
        .output()
        .expect("python3");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn a_qemu_without_its_boot_roms_starts_the_box_or_says_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("dir");
    let path = format!("{}:/usr/bin:/bin", bin.display());
    // The box's network card asks for no boot ROM: this QEMU starts it.
    fake_qemu(&bin, false);
    let (ok, out) = check_qemu(&path);
    assert!(
        ok && out.contains("qemu: qemu-system-aarch64 starts"),
        "{out}"
    );
    // A QEMU that stops at once anyway: one sentence with what it said and the fix.
    fake_qemu(&bin, true);
    let (ok, out) = check_qemu(&path);
    assert!(!ok, "{out}");
    assert!(!out.contains("Traceback"), "{out}");
    assert_eq!(out.trim().lines().count(), 1, "{out}");
    assert!(
        out.contains("failed to find romfile \"efi-virtio.rom\"")
            && out.contains("apt-get install ipxe-qemu"),
        "{out}"
    );
    // No QEMU at all: which package to install.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let (ok, out) = check_qemu(&empty.display().to_string());
    assert!(!ok && !out.contains("Traceback"), "{out}");
    assert!(out.contains("apt-get install qemu-system-arm"), "{out}");
}
