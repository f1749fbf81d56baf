//! What `integra boot-setup` applied at this boot, in words, kept in `/run/integra-boot/applied`
//! (readable by all: no secret in it) so that the doctor can tell a card edited since the start
//! — a turn, a network or a key that waits for a restart — from one that is in force.

use super::{Settings, shell};
use std::path::Path;

/// Where the words are kept under the root.
pub const APPLIED_PATH: &str = "run/integra-boot/applied";

/// The field settings as the boot step applies them: the turn, the network, the shell (the
/// password is never in it; a changed password alone is not seen).
pub fn summary(settings: &Settings, boot: &Path) -> String {
    let screen = &settings.screen;
    let mut out = format!(
        "screen turned {}°{}\n",
        screen.rotation,
        if screen.touch_calibration.is_some() {
            ", touch calibrated"
        } else {
            ""
        }
    );
    out.push_str(&match &settings.wifi {
        Some(w) => format!(
            "Wi-Fi \"{}\"{}{}\n",
            w.ssid,
            if w.psk.is_some() { "" } else { " (open)" },
            w.country
                .as_deref()
                .map(|c| format!(", country {}", c.to_ascii_uppercase()))
                .unwrap_or_default()
        ),
        None => "cable only (no [wifi])\n".into(),
    });
    let keys = std::fs::read_to_string(boot.join(shell::KEY_FILE));
    out.push_str(&match keys {
        Ok(text) => match shell::authorized_keys(&text) {
            Ok(k) => format!("shell on ({} key(s))\n", k.lines().count()),
            Err(e) => format!("shell off ({e})\n"),
        },
        Err(_) => "shell off\n".into(),
    });
    out
}
