//! `[screen] rotation` and `touch_calibration` applied.
//!
//! The picture: Slint's linuxkms backend turns it by `SLINT_KMS_ROTATION` (0, 90, 180, 270:
//! clockwise, read when the window is made), set from the settings before any window exists
//! ([`kms_rotation`]). The touch: libinput maps a touch panel's raw position through the
//! calibration matrix the udev property `LIBINPUT_CALIBRATION_MATRIX` gives, and Slint scales
//! what libinput says to the turned window without turning it; so the matrix must turn the touch
//! with the picture. [`touch_matrix`] composes the turn with the technician's calibration (which
//! corrects the panel against its unturned picture), and [`touch_rule`] is the udev rule that
//! `integra boot-setup` writes into `/run/udev/rules.d` at each boot.

use super::settings::ScreenSettings;

/// Where the touch rule goes under the root (udev reads `/run/udev/rules.d` before `/etc`).
pub const TOUCH_RULE_PATH: &str = "run/udev/rules.d/61-integra-touch.rules";

/// The value of `SLINT_KMS_ROTATION` for these settings. Validation has already refused any
/// other number than 0, 90, 180 and 270.
pub fn kms_rotation(screen: &ScreenSettings) -> &'static str {
    match screen.rotation {
        90 => "90",
        180 => "180",
        270 => "270",
        _ => "0",
    }
}

/// Give Slint's linuxkms backend the turn, through the environment it reads when it makes the
/// window (`SLINT_KMS_ROTATION`, 0 too); a value already there is replaced (the settings file is
/// the one place the technician sets it). Said in the log, where the journal keeps it. Call it before
/// any thread of the process starts (`cli::try_main` does, right after reading the settings).
pub fn turn_backend(screen: &ScreenSettings) {
    let degrees = kms_rotation(screen);
    // SAFETY: the caller runs before any other thread exists (the hub's runtime, the UI and the
    // workers all start later), so nothing reads the environment while it changes.
    unsafe { std::env::set_var("SLINT_KMS_ROTATION", degrees) };
    if degrees != "0" {
        log::info!("screen turned {degrees}° (SLINT_KMS_ROTATION={degrees})");
    }
}

/// Say in the log what the window is about to be opened with (the backend reads these when it
/// makes the window).
pub fn log_backend_env() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| "(not set)".into());
    log::info!(
        "opening the window with SLINT_BACKEND={} SLINT_KMS_ROTATION={}",
        var("SLINT_BACKEND"),
        var("SLINT_KMS_ROTATION")
    );
}

/// The 2×3 affine matrix (row major: a b c / d e f) that turns a touch on the panel, in its own
/// axes from 0 to 1, into the same place on the picture turned `rotation` degrees clockwise.
/// Slint 1.18's software renderer (`RenderingRotation::Rotate90`, "90° to the right") draws the
/// window's point (x, y) at the panel's (W − y, x); the touch must undo that.
fn turn(rotation: u16) -> [f64; 6] {
    match rotation {
        90 => [0., 1., 0., -1., 0., 1.],
        180 => [-1., 0., 1., 0., -1., 1.],
        270 => [0., -1., 1., 1., 0., 0.],
        _ => [1., 0., 0., 0., 1., 0.],
    }
}

/// `outer · inner` for 2×3 affine matrices (the last row 0 0 1 implied).
fn compose(outer: [f64; 6], inner: [f64; 6]) -> [f64; 6] {
    let [a, b, c, d, e, f] = outer;
    let [p, q, r, s, t, u] = inner;
    [
        a * p + b * s,
        a * q + b * t,
        a * r + b * u + c,
        d * p + e * s,
        d * q + e * t,
        d * r + e * u + f,
    ]
}

/// The matrix libinput is given: the calibration first (on the panel as built), then the turn.
pub fn touch_matrix(screen: &ScreenSettings) -> [f64; 6] {
    let calibration = match screen.touch_calibration.as_deref() {
        Some(&[a, b, c, d, e, f]) => [a, b, c, d, e, f].map(f64::from),
        _ => [1., 0., 0., 0., 1., 0.],
    };
    compose(turn(screen.rotation), calibration)
}

/// A number as libinput reads it: plain decimal, no exponent, no "-0".
fn number(x: f64) -> String {
    let rounded = (x * 1e6).round() / 1e6;
    let text = format!("{rounded:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// The udev rule for these settings, or `None` when the touch needs no matrix (no turn, no
/// calibration): then no file is written and libinput uses the panel as it is.
pub fn touch_rule(screen: &ScreenSettings) -> Option<String> {
    if screen.rotation == 0 && screen.touch_calibration.is_none() {
        return None;
    }
    let m = touch_matrix(screen).map(number).join(" ");
    Some(format!(
        "# Written at boot by `integra boot-setup` from [screen] in /boot/firmware/integra.toml\n\
         # (rotation {}°{}): libinput turns and corrects the touch with the picture.\n\
         ACTION==\"add|change\", SUBSYSTEM==\"input\", KERNEL==\"event*\", ENV{{ID_INPUT_TOUCHSCREEN}}==\"1\", ENV{{LIBINPUT_CALIBRATION_MATRIX}}=\"{m}\"\n\
         ACTION==\"add|change\", SUBSYSTEM==\"input\", KERNEL==\"event*\", ENV{{ID_INPUT_TABLET}}==\"1\", ENV{{LIBINPUT_CALIBRATION_MATRIX}}=\"{m}\"\n",
        screen.rotation,
        if screen.touch_calibration.is_some() {
            ", with the touch_calibration"
        } else {
            ""
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(rotation: u16, cal: Option<Vec<f32>>) -> ScreenSettings {
        ScreenSettings {
            rotation,
            touch_calibration: cal,
        }
    }

    /// Where the matrix sends a touch at (u, v) on the panel.
    fn apply(m: [f64; 6], (u, v): (f64, f64)) -> (f64, f64) {
        (m[0] * u + m[1] * v + m[2], m[3] * u + m[4] * v + m[5])
    }

    /// Where Slint's software renderer draws the window's point (x, y), both as fractions of
    /// their sides (`RotationInfo` in i-slint-renderer-software 1.18: mirror, then transpose).
    fn drawn_at(rotation: u16, (x, y): (f64, f64)) -> (f64, f64) {
        match rotation {
            90 => (1. - y, x),
            180 => (1. - x, 1. - y),
            270 => (y, 1. - x),
            _ => (x, y),
        }
    }

    #[test]
    fn a_touch_on_a_drawn_point_lands_on_that_point_of_the_window_at_every_rotation() {
        for rotation in [0, 90, 180, 270] {
            let m = touch_matrix(&screen(rotation, None));
            for p in [(0.1, 0.2), (0.9, 0.3), (0.5, 0.5), (0.25, 0.95)] {
                let (u, v) = drawn_at(rotation, p);
                let (x, y) = apply(m, (u, v));
                assert!(
                    (x - p.0).abs() < 1e-9 && (y - p.1).abs() < 1e-9,
                    "rotation {rotation}: window {p:?} drawn at {:?}, touch read as {:?}",
                    (u, v),
                    (x, y)
                );
            }
        }
    }

    #[test]
    fn the_calibration_is_applied_before_the_turn() {
        // A panel whose touch reads 10 % too far right: the calibration pulls it back.
        let cal = vec![1.0, 0.0, -0.1, 0.0, 1.0, 0.0];
        let m = touch_matrix(&screen(90, Some(cal)));
        // The window's (0.2, 0.3) is drawn at the panel's (0.7, 0.2); the touch there reads 0.8.
        let (x, y) = apply(m, (0.8, 0.2));
        assert!((x - 0.2).abs() < 1e-6 && (y - 0.3).abs() < 1e-6, "{x} {y}");
    }

    #[test]
    fn the_rule_text_for_each_rotation_and_calibration() {
        assert_eq!(touch_rule(&screen(0, None)), None);
        let matrix = |r| {
            let rule = touch_rule(&r).expect("a rule");
            let m = rule
                .lines()
                .find(|l| l.contains("ID_INPUT_TOUCHSCREEN"))
                .and_then(|l| l.split("LIBINPUT_CALIBRATION_MATRIX}=\"").nth(1))
                .map(|s| s.trim_end_matches('"').to_string())
                .expect("the matrix");
            assert!(
                rule.starts_with("# Written at boot") && rule.ends_with('\n'),
                "{rule}"
            );
            m
        };
        assert_eq!(matrix(screen(90, None)), "0 1 0 -1 0 1");
        assert_eq!(matrix(screen(180, None)), "-1 0 1 0 -1 1");
        assert_eq!(matrix(screen(270, None)), "0 -1 1 1 0 0");
        let cal = Some(vec![1.1, 0.0, -0.05, 0.0, 0.9, 0.02]);
        assert_eq!(matrix(screen(0, cal.clone())), "1.1 0 -0.05 0 0.9 0.02");
        assert_eq!(matrix(screen(90, cal.clone())), "0 0.9 0.02 -1.1 0 1.05");
        assert_eq!(matrix(screen(180, cal.clone())), "-1.1 0 1.05 0 -0.9 0.98");
        assert_eq!(matrix(screen(270, cal)), "0 -0.9 0.98 1.1 0 -0.05");
    }

    #[test]
    fn the_backend_is_given_the_settings_turn() {
        assert_eq!(kms_rotation(&screen(0, None)), "0");
        assert_eq!(kms_rotation(&screen(90, None)), "90");
        assert_eq!(kms_rotation(&screen(180, None)), "180");
        assert_eq!(kms_rotation(&screen(270, None)), "270");
    }
}
