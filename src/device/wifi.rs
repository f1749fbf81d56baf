//! `[wifi]`: the device joins the center's Wi-Fi instead of (or as well as) the cable.
//!
//! The image runs Debian's iwd for the radio (association, WPA2/WPA3-Personal) and
//! systemd-networkd for the address (DHCP on `wl*`, as on `e*` for the cable). The settings are
//! turned into iwd's files under `/run/integra-wifi` at each boot by `integra boot-setup` (run as
//! root; the root file system is read-only): `main.conf` (the country) and one network profile
//! (the name and the password). Nothing is kept anywhere else.

use crate::core::tomlpath::Seg;
use serde::{Deserialize, Serialize};

/// Where iwd's configuration and state live (iwd.service's drop-in points it there).
pub const IWD_DIR: &str = "run/integra-wifi";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WifiSettings {
    /// The network's name, as the phones show it (case counts).
    pub ssid: String,
    /// The password (WPA2/WPA3-Personal): 8 to 63 characters, or the 64 hex digits of the key.
    /// Absent for an open network.
    #[serde(default, skip_serializing)]
    pub psk: Option<String>,
    /// The two letters of the country (ISO 3166), for the radio's legal channels and power.
    #[serde(default)]
    pub country: Option<String>,
}

/// How the password is given to iwd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secret<'a> {
    Open,
    Passphrase(&'a str),
    Key(&'a str),
}

fn is_key(psk: &str) -> bool {
    psk.len() == 64 && psk.bytes().all(|b| b.is_ascii_hexdigit())
}

impl WifiSettings {
    fn secret(&self) -> Secret<'_> {
        match self.psk.as_deref() {
            None => Secret::Open,
            Some(k) if is_key(k) => Secret::Key(k),
            Some(p) => Secret::Passphrase(p),
        }
    }

    /// Everything wrong, each with its field. A message never repeats the password.
    pub fn problems(&self) -> Vec<(Vec<Seg>, String)> {
        let mut out = Vec::new();
        let at = |k: &'static str| vec![Seg::Key("wifi"), Seg::Key(k)];
        let n = self.ssid.len();
        if n == 0 || n > 32 {
            out.push((
                at("ssid"),
                format!("a Wi-Fi name has 1 to 32 bytes, this one {n}: copy the name exactly as a phone shows it"),
            ));
        } else if self.ssid.chars().any(char::is_control) {
            out.push((
                at("ssid"),
                "has a control character (a tab or a line break): copy the name exactly as a phone shows it".into(),
            ));
        }
        if let Some(psk) = &self.psk {
            let chars = psk.chars().count();
            if !is_key(psk) {
                if !(8..=63).contains(&chars) {
                    out.push((
                        at("psk"),
                        format!("the password has {chars} characters: a Wi-Fi password has 8 to 63 (or is the 64 hex digits of the key) — copy it again from the router's label or settings"),
                    ));
                } else if !psk.chars().all(|c| (' '..='~').contains(&c)) {
                    out.push((
                        at("psk"),
                        "the password has a character other than plain letters, digits, spaces and signs (an accent, a tab, a curly quote): a Wi-Fi password can only have those — type it again".into(),
                    ));
                }
            }
        }
        if let Some(c) = &self.country
            && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            out.push((
                at("country"),
                format!("'{c}' is not a country code: give the two letters of the country the device is in (ISO 3166), e.g. \"CO\", \"PE\", \"BR\", \"EC\""),
            ));
        }
        out
    }

    /// iwd's `main.conf`: the radio only (networkd gives the address), and the country.
    pub fn main_conf(&self) -> String {
        let mut s = String::from(
            "# Written at boot by `integra boot-setup` from [wifi] in /boot/firmware/integra.toml.\n\
             [General]\n\
             # systemd-networkd gives the address (DHCP on wl*), as on the cable.\n\
             EnableNetworkConfiguration=false\n",
        );
        if let Some(c) = &self.country {
            s.push_str(&format!("Country={}\n", c.to_ascii_uppercase()));
        }
        s
    }

    /// The network profile: its file name (iwd's rule: the name itself when it has only
    /// letters, digits, spaces, `-` and `_`, else `=` and its bytes in hex; `.psk` or `.open`)
    /// and its text.
    pub fn profile(&self) -> (String, String) {
        let plain = self
            .ssid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'_');
        let stem = if plain {
            self.ssid.clone()
        } else {
            let hex: String = self.ssid.bytes().map(|b| format!("{b:02x}")).collect();
            format!("={hex}")
        };
        let head = "# Written at boot by `integra boot-setup` from [wifi] in /boot/firmware/integra.toml.\n[Settings]\nAutoConnect=true\n";
        match self.secret() {
            Secret::Open => (format!("{stem}.open"), head.to_string()),
            Secret::Key(k) => (
                format!("{stem}.psk"),
                format!(
                    "{head}\n[Security]\nPreSharedKey={}\n",
                    k.to_ascii_lowercase()
                ),
            ),
            Secret::Passphrase(p) => (
                format!("{stem}.psk"),
                format!("{head}\n[Security]\nPassphrase={}\n", escape(p)),
            ),
        }
    }
}

/// A value as iwd's settings reader (ell) reads it back: `\\` for a backslash, `\s` for a space
/// (a leading or trailing one would otherwise be trimmed).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' => out.push_str("\\s"),
            c => out.push(c),
        }
    }
    out
}

/// Whether line `line` (1-based) of a settings file belongs to its `[wifi]` table (or sets a
/// `wifi.` key), where it may hold the password.
pub fn in_wifi_table(text: &str, line: usize) -> bool {
    let mut table = "";
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            table = t;
        }
        if i + 1 == line {
            let t = t.trim_start_matches('"');
            return table.replace(' ', "") == "[wifi]"
                || t.starts_with("wifi.")
                || t.starts_with("wifi ")
                || t.starts_with("wifi=");
        }
    }
    false
}

/// A parse error on a `[wifi]` line shows neither the line nor a value from it (toml's own
/// words quote both): the name of the field and what is expected only.
pub fn redact_parse_error(text: &str, issue: &mut crate::core::catalog::CatalogIssue) {
    if issue.line.is_some_and(|l| in_wifi_table(text, l)) {
        issue.message = "this [wifi] line cannot be read: write each setting as name = \"value\" (names: ssid, psk, country), the value in straight double quotes (the line is not shown: it may hold the Wi-Fi password)".into();
    }
}

/// One wireless interface's line of `/proc/net/wireless`.
#[derive(Debug, Clone, PartialEq)]
pub struct Radio {
    pub interface: String,
    /// Link quality, as the driver counts it.
    pub quality: f32,
    /// Signal level in dBm (0 when the driver has none: not associated).
    pub level_dbm: f32,
}

/// The interfaces of `/proc/net/wireless` (two header lines, then `wlan0: 0000 70. -40. …`).
pub fn parse_proc_wireless(text: &str) -> Vec<Radio> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let mut fields = rest.split_whitespace();
            let _status = fields.next()?;
            let num = |s: Option<&str>| s.and_then(|s| s.trim_end_matches('.').parse::<f32>().ok());
            let quality = num(fields.next())?;
            let level_dbm = num(fields.next())?;
            Some(Radio {
                interface: name.trim().to_string(),
                quality,
                level_dbm,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wifi(ssid: &str, psk: Option<&str>, country: Option<&str>) -> WifiSettings {
        WifiSettings {
            ssid: ssid.into(),
            psk: psk.map(Into::into),
            country: country.map(Into::into),
        }
    }

    #[test]
    fn a_plain_name_and_password_make_a_psk_profile_and_the_country_goes_to_main_conf() {
        let w = wifi("Centro Staff", Some("clave segura 2026"), Some("co"));
        assert!(w.problems().is_empty());
        let (name, text) = w.profile();
        assert_eq!(name, "Centro Staff.psk");
        assert!(
            text.contains("[Security]\nPassphrase=clave\\ssegura\\s2026\n"),
            "{text}"
        );
        assert!(text.contains("AutoConnect=true"));
        let main = w.main_conf();
        assert!(main.contains("Country=CO\n") && main.contains("EnableNetworkConfiguration=false"));
        assert!(
            !wifi("x", Some("12345678"), None)
                .main_conf()
                .contains("Country")
        );
    }

    #[test]
    fn an_unusual_name_is_hex_encoded_a_key_is_a_pre_shared_key_and_no_password_is_open() {
        let (name, text) = wifi("Café/Wi-Fi", Some(&"AB".repeat(32)), None).profile();
        assert_eq!(name, "=436166c3a92f57692d4669.psk");
        assert!(
            text.contains(&format!("PreSharedKey={}\n", "ab".repeat(32))),
            "{text}"
        );
        let (name, text) = wifi("Invitados", None, None).profile();
        assert_eq!(name, "Invitados.open");
        assert!(!text.contains("[Security]"));
        let (_, text) = wifi("a", Some(r"back\slash"), None).profile();
        assert!(text.contains(r"Passphrase=back\\slash"), "{text}");
    }

    #[test]
    fn bad_values_are_named_without_repeating_the_password() {
        let fields = |w: WifiSettings| {
            w.problems()
                .into_iter()
                .map(|(path, msg)| {
                    assert!(!msg.contains("secretito"), "{msg}");
                    crate::core::tomlpath::path_string(&path)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(wifi("", None, None)), ["wifi.ssid"]);
        assert_eq!(fields(wifi(&"x".repeat(33), None, None)), ["wifi.ssid"]);
        assert_eq!(
            fields(wifi("a", Some("secretito"), None)),
            Vec::<String>::new()
        );
        assert_eq!(fields(wifi("a", Some("secret"), None)), ["wifi.psk"]);
        assert_eq!(fields(wifi("a", Some(&"s".repeat(64)), None)), ["wifi.psk"]);
        assert_eq!(fields(wifi("a", Some("secretitó"), None)), ["wifi.psk"]);
        assert_eq!(fields(wifi("a", None, Some("COL"))), ["wifi.country"]);
        assert_eq!(fields(wifi("a", None, Some("C1"))), ["wifi.country"]);
        let msg = &wifi(
            "a",
            Some("secretito-but-far-too-long-".repeat(3).as_str()),
            None,
        )
        .problems()[0]
            .1;
        assert!(
            msg.contains("81 characters") && msg.contains("8 to 63"),
            "{msg}"
        );
    }

    #[test]
    fn a_parse_error_on_a_wifi_line_shows_neither_the_line_nor_its_value() {
        for bad in [
            "psk = 123456789",
            "pks = \"supersecret1\"",
            "psk = \"supersecret1",
        ] {
            let text = format!("role = \"kiosk\"\n\n[wifi]\nssid = \"A\"\n{bad}\n");
            let err = crate::device::Settings::parse(&text, "integra.toml").expect_err(bad);
            let shown = err.to_string();
            assert!(shown.starts_with("integra.toml:5:"), "{shown}");
            assert!(
                !shown.contains("123456789") && !shown.contains("supersecret1"),
                "{shown}"
            );
        }
        // Elsewhere the line is still shown, as for every other file.
        let err = crate::device::Settings::parse("role = 7\n", "integra.toml").expect_err("role");
        assert!(err.to_string().contains("in: role = 7"), "{err}");
    }

    #[test]
    fn proc_net_wireless_is_read_per_interface() {
        let text = "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n \
                    face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n \
                    wlan0: 0000   58.  -52.  -256        0      0      0      0     12        0\n";
        assert_eq!(
            parse_proc_wireless(text),
            vec![Radio {
                interface: "wlan0".into(),
                quality: 58.,
                level_dbm: -52.
            }]
        );
        assert!(
            parse_proc_wireless(&text.lines().take(2).collect::<Vec<_>>().join("\n")).is_empty()
        );
    }
}
