//! The doctor's "boot step" line: whether what `integra boot-setup` applied at this start (the
//! turn, the network, the shell) is what the card says now.

use super::Check;
use crate::device::Settings;
use crate::device::applied::summary;
use std::path::Path;

/// `applied`: the words the boot step left (`None`: it did not run at this start); `boot`: the
/// directory of the settings file (where `ssh.pub` is).
pub fn boot_step_check(settings: Option<&Settings>, boot: &Path, applied: Option<&str>) -> Check {
    let Some(s) = settings else {
        return Check::skip("boot step", "no valid settings");
    };
    let now = summary(s, boot);
    let said = now.trim_end().replace('\n', "; ");
    match applied {
        None => Check::warn(
            "boot step",
            format!("not run at this start, so not applied: {said}"),
            "on a device, restart it (integra-boot.service applies the screen, Wi-Fi and shell at boot); elsewhere this line does not matter",
        ),
        Some(a) if a == now => Check::pass("boot step", format!("applied at this start: {said}")),
        Some(a) => Check::warn(
            "boot step",
            format!(
                "integra.toml or ssh.pub changed since this start: in force \"{}\", on the card \"{said}\"",
                a.trim_end().replace('\n', "; ")
            ),
            "restart the device to apply the card's settings",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::doctor::Verdict;

    #[test]
    fn the_line_tells_applied_changed_since_the_start_and_not_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Settings::parse(
            "role = \"kiosk\"\n[screen]\nrotation = 90\n[wifi]\nssid = \"Centro\"\npsk = \"clave-valida\"\ncountry = \"co\"\n",
            "integra.toml",
        )
        .expect("valid");
        let now = summary(&s, dir.path());
        assert_eq!(
            now,
            "screen turned 90°\nWi-Fi \"Centro\", country CO\nshell off\n"
        );
        let ok = boot_step_check(Some(&s), dir.path(), Some(&now));
        assert_eq!(ok.verdict, Verdict::Pass, "{ok:?}");
        assert!(!ok.line().contains("clave-valida"));
        let changed = boot_step_check(
            Some(&s),
            dir.path(),
            Some("screen turned 0°\ncable only (no [wifi])\nshell off\n"),
        );
        assert_eq!(changed.verdict, Verdict::Warn);
        assert!(
            changed
                .detail
                .contains("in force \"screen turned 0°; cable only"),
            "{changed:?}"
        );
        assert_eq!(
            boot_step_check(Some(&s), dir.path(), None).verdict,
            Verdict::Warn
        );
        assert_eq!(
            boot_step_check(None, dir.path(), None).verdict,
            Verdict::Skip
        );
    }
}
