//! `setup_code = "…"` in a device's `integra.toml`: the technician's secret, written on the
//! boot partition with a text editor. On the hub it pairs the first admin browser once
//! (`/setup`); on every device it opens the technician screen. Digits only, because a kiosk or
//! counter has a digit keypad and no keyboard; long enough that guessing it over the LAN, at the
//! pairing limiter's pace, takes lifetimes (SECURITY.md, "The setup code").

use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// The fewest digits a setup code may have: 10¹⁰ codes; at the hub's pairing limit (5 tries per
/// address per 10 minutes) a whole /24 of addresses needs about 150 years to try half of them.
pub const SETUP_CODE_MIN_DIGITS: usize = 10;

/// The code deploy/README shows as an example: refused, so that no center keeps it.
pub const SETUP_CODE_EXAMPLE: &str = "4071-5930-2816";

/// A setup code as written in the file (checked by [`SetupCode::problem`] with the rest of the
/// settings, so that a bad one is reported with its file, line and field).
#[derive(Clone, PartialEq, Eq)]
pub struct SetupCode(String);

impl fmt::Debug for SetupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A secret: never in a log or a panic message.
        f.write_str("SetupCode(…)")
    }
}

impl<'de> Deserialize<'de> for SetupCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SetupCode)
    }
}

/// The digits of a typed or written code: spaces and dashes are only there to read it.
fn digits(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

impl SetupCode {
    /// A code from text (as `integra.toml` gives it); see [`SetupCode::problem`].
    pub fn new(text: &str) -> SetupCode {
        SetupCode(text.to_string())
    }

    /// What is wrong with this code, in the technician's words with the fix; `None` when it is
    /// a good one.
    pub fn problem(&self) -> Option<String> {
        let d = digits(&self.0);
        if let Some(c) = d.chars().find(|c| !c.is_ascii_digit()) {
            return Some(format!(
                "'{c}' is not a digit: a setup code is digits only (it is typed on the devices' keypads; spaces and dashes may group them), e.g. {SETUP_CODE_EXAMPLE} — but choose your own"
            ));
        }
        if d.len() < SETUP_CODE_MIN_DIGITS {
            return Some(format!(
                "{} digits is too short to resist guessing: give at least {SETUP_CODE_MIN_DIGITS} digits, chosen at random (spaces and dashes may group them)",
                d.len()
            ));
        }
        let b = d.as_bytes();
        let same = b.windows(2).all(|w| w[0] == w[1]);
        let up = b.windows(2).all(|w| (w[0] - b'0' + 1) % 10 == w[1] - b'0');
        let down = b.windows(2).all(|w| (w[1] - b'0' + 1) % 10 == w[0] - b'0');
        if same || up || down {
            return Some(
                "a repeated digit or a run like 1234567890 is the first thing tried: choose digits at random".into(),
            );
        }
        if d == digits(SETUP_CODE_EXAMPLE) {
            return Some(
                "this is the example from the instructions, known to everyone who read them: choose your own digits".into(),
            );
        }
        None
    }

    /// Whether `typed` is this code (spaces and dashes ignored). Compares digests, so the time
    /// taken says nothing about how many digits were right.
    pub fn matches(&self, typed: &str) -> bool {
        let want = Sha256::digest(digits(&self.0).as_bytes());
        let got = Sha256::digest(digits(typed).as_bytes());
        want.iter()
            .zip(got.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// Three hex digits (12 bits) of a digest of the code: enough for the hub to tell a new
    /// code written in the file from the one it spent (1 chance in 4096 of taking a new code
    /// for the spent one), too few to give the code away to whoever reads the database or a
    /// backup of it — the code still opens every device's technician screen.
    pub fn mark(&self) -> String {
        Sha256::digest(format!("integra setup code {}", digits(&self.0)).as_bytes())
            .iter()
            .take(2)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()[..3]
            .to_string()
    }
}
/// The top-level settings whose value is a secret: the setup code, and the one-time pairing PIN.
const SECRET_KEYS: [&str; 2] = ["setup_code", "pair_pin"];

/// A parse error on a `setup_code` or `pair_pin` line shows neither the line nor its value
/// (toml's own words quote both, and the message reaches the journal and the cannot-start
/// screen): the setting's name and how to write it only.
pub fn redact_parse_error(text: &str, issue: &mut crate::core::catalog::CatalogIssue) {
    let Some(line) = issue.line else {
        return;
    };
    let mut in_table = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        in_table |= t.starts_with('[');
        if i + 1 != line {
            continue;
        }
        let key = t
            .split(['=', ' ', '\t'])
            .next()
            .unwrap_or_default()
            .trim_matches(['"', '\'']);
        if let Some(k) = SECRET_KEYS.iter().find(|k| **k == key)
            && !in_table
        {
            issue.message = format!(
                "this line cannot be read: write it as {k} = \"digits\", the digits in straight double quotes (the line is not shown: it holds a secret code)"
            );
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    /// A setup code or pairing PIN written wrong never reaches the journal or the screen in the
    /// parse error (toml's words quote the line); the other settings' lines still do.
    #[test]
    fn a_parse_error_on_a_secret_line_shows_neither_the_line_nor_its_value() {
        for (bad, key) in [
            ("setup_code = 5830271944", "setup_code"),
            ("setup_code = \"5830271944", "setup_code"),
            ("setup_code = '5830271944", "setup_code"),
            ("pair_pin = 58302719", "pair_pin"),
            ("pair_pin = \"58302719\" x", "pair_pin"),
        ] {
            let text = format!("role = \"display\"\nhub = \"https://10.0.0.2:7878\"\n{bad}\n");
            let err = crate::device::Settings::parse(&text, "integra.toml").expect_err(bad);
            let shown = err.to_string();
            assert!(shown.starts_with("integra.toml:3:"), "{bad}: {shown}");
            assert!(
                !shown.contains("5830271944") && !shown.contains("58302719"),
                "{bad}: {shown}"
            );
            assert!(shown.contains(key), "{bad}: names the setting: {shown}");
        }
        // A PIN that is no PIN is refused without repeating it.
        let err = crate::device::Settings::parse(
            "role = \"display\"\nhub = \"https://10.0.0.2:7878\"\npair_pin = \"58ab2719\"\n",
            "integra.toml",
        )
        .expect_err("letters");
        assert!(!err.to_string().contains("58ab2719"), "{err}");
        // Elsewhere the line is still shown, as for every other file.
        let err = crate::device::Settings::parse("role = 7\n", "integra.toml").expect_err("role");
        assert!(err.to_string().contains("in: role = 7"), "{err}");
    }
}
