//! The doctor's Wi-Fi line: whether the radio is associated and how strong the signal is, read
//! from `/proc/net/wireless` (the kernel's own table; no program is run).

use super::Check;
use crate::device::wifi::{Radio, WifiSettings, parse_proc_wireless};

/// Below this the link drops now and then (a phone shows one bar).
pub const WEAK_DBM: f32 = -75.0;

/// The Wi-Fi line for these settings and this `/proc/net/wireless` text (`None`: unreadable).
pub fn wifi_check(wifi: Option<&WifiSettings>, proc_wireless: Option<&str>) -> Check {
    let radios = proc_wireless.map(parse_proc_wireless).unwrap_or_default();
    let Some(w) = wifi else {
        return Check::skip(
            "wifi",
            "not set: the device uses the cable (add [wifi] to integra.toml for Wi-Fi)",
        );
    };
    let Some(Radio {
        interface,
        level_dbm,
        ..
    }) = radios.into_iter().next()
    else {
        return Check::fail(
            "wifi",
            format!("no Wi-Fi adapter found to join \"{}\"", w.ssid),
            "this board has no Wi-Fi (or its firmware is missing): use a network cable, or a Raspberry Pi 4/400",
        );
    };
    if level_dbm >= 0.0 {
        return Check::fail(
            "wifi",
            format!("{interface} is not connected to \"{}\"", w.ssid),
            "check ssid and psk in [wifi] of integra.toml (capitals count), the country, and that the access point is on and in reach; then restart the device",
        );
    }
    let detail = format!(
        "{interface} connected to \"{}\", signal {level_dbm:.0} dBm",
        w.ssid
    );
    if level_dbm < WEAK_DBM {
        Check::warn(
            "wifi",
            format!("{detail} (weak)"),
            "move the access point or the device closer (or use a cable): below -75 dBm the link drops now and then",
        )
    } else {
        Check::pass("wifi", detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::doctor::Verdict;

    const HEAD: &str = "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n";

    #[test]
    fn the_line_says_connected_weak_not_connected_or_no_adapter() {
        let w = WifiSettings {
            ssid: "Centro".into(),
            psk: Some("12345678".into()),
            country: None,
        };
        let at = |level: &str| {
            format!(
                "{HEAD} wlan0: 0000   40.  {level}  -256        0      0      0      0      0        0\n"
            )
        };
        let good = wifi_check(Some(&w), Some(&at("-52.")));
        assert_eq!(good.verdict, Verdict::Pass);
        assert_eq!(good.detail, "wlan0 connected to \"Centro\", signal -52 dBm");
        assert_eq!(
            wifi_check(Some(&w), Some(&at("-81."))).verdict,
            Verdict::Warn
        );
        let off = wifi_check(Some(&w), Some(&at("0.")));
        assert_eq!(off.verdict, Verdict::Fail);
        assert!(off.fix.as_deref().unwrap_or("").contains("psk"), "{off:?}");
        assert!(!off.line().contains("12345678"));
        assert_eq!(wifi_check(Some(&w), Some(HEAD)).verdict, Verdict::Fail);
        assert_eq!(wifi_check(Some(&w), None).verdict, Verdict::Fail);
        assert_eq!(wifi_check(None, Some(&at("-52."))).verdict, Verdict::Skip);
    }
}
