//! `integra boot-setup`: run as root at each boot by `integra-boot.service`, before udev settles
//! the input devices and before iwd, sshd and the integra service start. It turns what the
//! technician wrote on the boot partition into the system's files, all under `/run` (the root is
//! read-only; nothing outlives the boot, so an edit of the card is the whole story):
//! - `[screen]` → the touch matrix rule (`device::screen`);
//! - `[wifi]` → iwd's `main.conf` and network profile (`device::wifi`);
//! - `ssh.pub` beside the settings → sshd's keys (`device::shell`).
//!
//! Each part is applied on its own: a bad `ssh.pub` does not keep the Wi-Fi off.

use super::{CliError, exit};
use crate::device::{Settings, screen, shell, wifi};
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// Why one part could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("shell: {0}")]
    Keys(shell::KeyFileError),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SetupError {
    let path = path.to_path_buf();
    move |source| SetupError::Io { what, path, source }
}

pub fn run(settings: Option<&Settings>, file: Option<&Path>, root: &Path) -> Result<(), CliError> {
    let (Some(settings), Some(file)) = (settings, file) else {
        return Err(CliError::new(
            exit::USAGE,
            "`integra boot-setup` applies a device's settings: give --settings /boot/firmware/integra.toml",
        ));
    };
    let boot = file.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    for part in [
        touch(settings, root),
        wireless(settings, root),
        ssh(boot, root),
    ] {
        match part {
            Ok(line) => println!("{line}"),
            Err(e) => problems.push(e.to_string()),
        }
    }
    // What is in force now, for the doctor (no secret in it).
    let applied = root.join(crate::device::applied::APPLIED_PATH);
    if let Err(e) = write(
        &applied,
        &crate::device::applied::summary(settings, boot),
        0o644,
    ) {
        problems.push(e.to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(exit::FAILURE, problems.join("\n")))
    }
}

/// Write `text` to `path` readable by root only (`mode`), by a rename so a reader never sees
/// half a file.
fn write(path: &Path, text: &str, mode: u32) -> Result<(), SetupError> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(io("make", dir))?;
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io("write", &tmp))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io("write", &tmp))?;
    fs::rename(&tmp, path).map_err(io("write", path))
}

/// A private directory (0700), emptied of what an earlier run wrote.
fn fresh_dir(dir: &Path) -> Result<(), SetupError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(io("clear", dir))?;
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("make", dir))
}

fn remove(path: &Path) -> Result<(), SetupError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("remove", path)(e)),
    }
}

fn touch(settings: &Settings, root: &Path) -> Result<String, SetupError> {
    let path = root.join(screen::TOUCH_RULE_PATH);
    match screen::touch_rule(&settings.screen) {
        Some(rule) => {
            write(&path, &rule, 0o644)?;
            Ok(format!(
                "screen: turned {}°, touch matrix {} ({})",
                settings.screen.rotation,
                screen::touch_matrix(&settings.screen)
                    .map(|x| format!("{x:.3}"))
                    .join(" "),
                path.display()
            ))
        }
        None => {
            remove(&path)?;
            Ok("screen: not turned, touch as the panel gives it".into())
        }
    }
}

fn wireless(settings: &Settings, root: &Path) -> Result<String, SetupError> {
    let dir = root.join(wifi::IWD_DIR);
    match &settings.wifi {
        Some(w) => {
            fresh_dir(&dir)?;
            write(&dir.join("main.conf"), &w.main_conf(), 0o600)?;
            let (name, text) = w.profile();
            write(&dir.join(name), &text, 0o600)?;
            Ok(format!(
                "wifi: joins \"{}\"{}{} ({})",
                w.ssid,
                if w.psk.is_some() {
                    " with its password"
                } else {
                    " (open network)"
                },
                w.country
                    .as_deref()
                    .map(|c| format!(", country {}", c.to_ascii_uppercase()))
                    .unwrap_or_default(),
                dir.display()
            ))
        }
        None => {
            if dir.exists() {
                fs::remove_dir_all(&dir).map_err(io("clear", &dir))?;
            }
            Ok("wifi: off (no [wifi] in the settings; the cable is used)".into())
        }
    }
}

fn ssh(boot: &Path, root: &Path) -> Result<String, SetupError> {
    let dir = root.join(shell::SSH_DIR);
    let keys = dir.join("authorized_keys");
    let file = boot.join(shell::KEY_FILE);
    let text = match fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            remove(&keys)?;
            return Ok(format!(
                "shell: off (no {} on the boot partition)",
                shell::KEY_FILE
            ));
        }
        Err(e) => {
            remove(&keys)?;
            return Err(io("read (the shell stays off)", &file)(e));
        }
    };
    match shell::authorized_keys(&text) {
        Ok(lines) => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(io("make", &dir))?;
            write(&keys, &lines, 0o600)?;
            Ok(format!(
                "shell: sshd on, key login only, {} key(s) from {}",
                lines.lines().count(),
                file.display()
            ))
        }
        Err(e) => {
            remove(&keys)?;
            Err(SetupError::Keys(e))
        }
    }
}
