//! `integra doctor`: checks a device and says, one line each, what is right, what is wrong and
//! how to fix it. Each check is a function returning a `Check`, so the list is easy to extend
//! and to test.

use super::settings::{DeviceRole, HubAddress, Settings};
use crate::core::{Catalog, Lang};
use crate::i18n::{Localizer, message_ids, sources};
use crate::printer::{PrinterStatus, PrinterUri, link};
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

mod boot;
mod clock;
mod pairing;
mod setup;
mod standby;
mod wifi;
pub use boot::boot_step_check;
pub use clock::{TimeSource, clock_check, time_source};
pub use pairing::pair_pin_check;
pub use setup::{client_data_check, runs_the_hub, setup_code_check};
pub use standby::standby_check;
pub use wifi::wifi_check;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Works, but needs attention soon.
    Warn,
    Fail,
    /// Does not apply to this device.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub verdict: Verdict,
    pub what: &'static str,
    pub detail: String,
    /// What to do, in plain words, when it is not a pass.
    pub fix: Option<String>,
}

impl Check {
    fn pass(what: &'static str, detail: impl std::fmt::Display) -> Check {
        Check {
            verdict: Verdict::Pass,
            what,
            detail: detail.to_string(),
            fix: None,
        }
    }
    fn fail(what: &'static str, detail: impl std::fmt::Display, fix: impl Into<String>) -> Check {
        Check {
            verdict: Verdict::Fail,
            what,
            detail: detail.to_string(),
            fix: Some(fix.into()),
        }
    }
    fn warn(what: &'static str, detail: impl std::fmt::Display, fix: impl Into<String>) -> Check {
        Check {
            verdict: Verdict::Warn,
            what,
            detail: detail.to_string(),
            fix: Some(fix.into()),
        }
    }
    fn skip(what: &'static str, detail: impl std::fmt::Display) -> Check {
        Check {
            verdict: Verdict::Skip,
            what,
            detail: detail.to_string(),
            fix: None,
        }
    }

    /// One line: mark, what, detail, and the fix.
    pub fn line(&self) -> String {
        let mark = match self.verdict {
            Verdict::Pass => "✔",
            Verdict::Warn => "!",
            Verdict::Fail => "✘",
            Verdict::Skip => "–",
        };
        match &self.fix {
            Some(fix) => format!("{mark} {}: {} — {fix}", self.what, self.detail),
            None => format!("{mark} {}: {}", self.what, self.detail),
        }
    }
}

/// What the doctor may do beyond looking.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Print a test page on the printer.
    pub print: bool,
    /// Wait this long for a press of the GPIO "next" button.
    pub press_test: Option<Duration>,
}

/// The instant this program was built (a clock before it is certainly wrong).
pub fn build_time() -> DateTime<Utc> {
    crate::hub::clock::build_time()
}

pub fn settings_check(settings: &Result<Settings, impl std::fmt::Display>, origin: &str) -> Check {
    match settings {
        Ok(s) => Check::pass(
            "settings",
            format!("{origin} is valid (role {})", s.role.as_str()),
        ),
        Err(e) => Check::fail(
            "settings",
            first_line(e),
            "fix the line named, then run `integra settings check FILE` (examples in deploy/examples/)",
        ),
    }
}

pub fn catalog_check(catalog: &Result<Catalog, impl std::fmt::Display>) -> Check {
    match catalog {
        Ok(c) => Check::pass(
            "center catalog",
            format!(
                "{}: {} services, {} counters",
                c.center.name,
                c.services.len(),
                c.counters.len()
            ),
        ),
        Err(e) => Check::fail(
            "center catalog",
            first_line(e),
            "fix it and run `integra catalog check FILE`",
        ),
    }
}

/// The first line of an error's words (a settings or catalog error lists every problem; the
/// doctor shows the first and the fix).
fn first_line(e: &impl std::fmt::Display) -> String {
    let words = e.to_string();
    words.lines().next().unwrap_or("invalid").to_string()
}

/// Free bytes on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let c = CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: a zeroed statvfs is a valid out-buffer; `c` is a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (r == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

pub fn data_dir_check(dir: &Path) -> Vec<Check> {
    let mut out = Vec::new();
    if let Err(e) = std::fs::create_dir_all(dir) {
        out.push(Check::fail(
            "data directory",
            format!("{} cannot be created: {e}", dir.display()),
            "check the data partition is mounted and writable (mount | grep integra)",
        ));
        return out;
    }
    let probe = dir.join(".doctor-write-test");
    match std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe)) {
        Ok(()) => out.push(Check::pass(
            "data directory",
            format!("{} is writable", dir.display()),
        )),
        Err(e) => {
            out.push(Check::fail(
                "data directory",
                format!("{} is not writable: {e}", dir.display()),
                "the data partition may be read-only or full: check `df -h` and the integra user's rights",
            ));
            return out;
        }
    }
    match free_bytes(dir) {
        Some(b) if b < 100 << 20 => out.push(Check::fail(
            "free space",
            format!("{} MB free", b >> 20),
            "free space now: tickets cannot be saved on a full disk (old backups, logs)",
        )),
        Some(b) if b < 500 << 20 => out.push(Check::warn(
            "free space",
            format!("{} MB free", b >> 20),
            "free some space soon",
        )),
        Some(b) => out.push(Check::pass("free space", format!("{} MB free", b >> 20))),
        None => out.push(Check::warn(
            "free space",
            "cannot be read",
            "check with `df -h`",
        )),
    }
    out
}

pub fn database_check(dir: &Path, catalog: Option<&Catalog>) -> Check {
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                "queue database",
                e.to_string(),
                "restore the last backup with `integra restore FILE`",
            );
        }
    };
    match store.quick_check() {
        Ok(ok) if ok == "ok" => {}
        Ok(other) => {
            return Check::fail(
                "queue database",
                format!("damaged: {other}"),
                "restore the last backup with `integra restore FILE`",
            );
        }
        Err(e) => return Check::fail("queue database", e.to_string(), "restore the last backup"),
    }
    let Some(catalog) = catalog else {
        return Check::pass("queue database", "opens and passes SQLite's check");
    };
    match crate::engine::Engine::with_store(store, std::sync::Arc::new(catalog.clone())) {
        Ok(e) => match e.queue().state().check_invariants() {
            Ok(()) => Check::pass(
                "queue database",
                format!("{} events, today's queue is consistent", e.queue().seq()),
            ),
            Err(why) => Check::fail(
                "queue database",
                format!("inconsistent queue: {why}"),
                "report this; restore the last backup to go on",
            ),
        },
        Err(e) => Check::fail("queue database", e.to_string(), "restore the last backup"),
    }
}

/// The hub: here, or reachable at its address (or by mDNS), answering as an Integra hub, and
/// this device paired with it (`token` from `integra join`).
pub fn hub_check(
    settings: Option<&Settings>,
    token: Option<&str>,
    fingerprint: Option<&str>,
) -> Check {
    let hub = settings.map_or(HubAddress::Local, Settings::hub);
    let url = match hub {
        HubAddress::Local => return Check::pass("hub", "runs on this device"),
        HubAddress::Auto => {
            match crate::hub::discovery::discover(
                Duration::from_secs(3),
                fingerprint.is_none(),
                crate::hub::discovery::Scope::Lan,
            ) {
                // The hub this device pinned, when several answer.
                Ok(found) if !found.is_empty() => found
                    .iter()
                    .find(|f| Some(f.fingerprint.as_str()) == fingerprint)
                    .unwrap_or(&found[0])
                    .url
                    .clone(),
                Ok(_) => {
                    return Check::fail(
                        "hub",
                        "no hub answered on the network (mDNS) within 3 s",
                        "check that the hub is on and on the same network, or set hub = \"https://IP:7878\" in the settings",
                    );
                }
                Err(e) => {
                    return Check::fail("hub", e, "set hub = \"https://IP:7878\" in the settings");
                }
            }
        }
        HubAddress::At(url) => url,
    };
    match crate::hub::client::probe(&url, token, fingerprint) {
        Err(e) => Check::fail(
            "hub",
            e,
            "check the network cable and that the hub device is on and its address is right",
        ),
        Ok(p) => match (p.paired, p.token_refused) {
            (Some((role, name)), _) => {
                let line = format!(
                    "{url} ({}) answers; this device is paired as {role} \"{name}\"",
                    p.center
                );
                match super::systime::off_the_hub(p.hub_time, Utc::now()) {
                    Some(off) => {
                        Check::warn("hub", format!("{line}; {off}"), super::systime::OFF_FIX)
                    }
                    None => Check::pass("hub", line),
                }
            }
            (None, true) => Check::fail(
                "hub",
                format!("{url} answers but refuses this device's token (revoked, or another hub)"),
                "on the hub run `integra pair --role ROLE`, then here `integra join --pin PIN`",
            ),
            (None, false) => Check::fail(
                "hub",
                format!(
                    "{url} ({}) answers, but this device is not paired",
                    p.center
                ),
                "on the hub run `integra pair --role ROLE`, then here `integra join --pin PIN`",
            ),
        },
    }
}

pub fn printer_check(uri: Option<&PrinterUri>, role: Option<DeviceRole>) -> Check {
    let Some(uri) = uri else {
        return if matches!(role, Some(DeviceRole::Kiosk)) {
            Check::warn(
                "printer",
                "none set: visitors get their number on screen only",
                "set [printer] uri = \"usb:/dev/usb/lp0\" in the settings",
            )
        } else {
            Check::skip("printer", "none set")
        };
    };
    let mut l = match link::open(uri) {
        Ok(l) => l,
        Err(e) => {
            return Check::fail(
                "printer",
                format!("cannot open {uri}: {e}"),
                "check the cable, that the printer is on, and the address in the settings",
            );
        }
    };
    match PrinterStatus::read(l.as_mut()) {
        Ok(Some(s)) => match s.alerts().first() {
            None => Check::pass("printer", format!("{uri}: ready, paper OK")),
            Some(a) if !a.blocks() => Check::warn("printer", format!("{uri}"), a.describe()),
            Some(a) => Check::fail("printer", format!("{uri}"), a.describe()),
        },
        Ok(None) => Check::pass(
            "printer",
            format!("{uri}: open (it does not report its status)"),
        ),
        Err(e) => Check::fail(
            "printer",
            format!("{uri} does not answer: {e}"),
            "switch the printer off and on; check the cable",
        ),
    }
}

pub fn gpio_check(settings: Option<&Settings>, press: Option<Duration>) -> Check {
    let Some(pin) = settings.and_then(|s| s.gpio.next_button) else {
        return Check::skip("GPIO button", "no pin set");
    };
    let gpio = match rppal::gpio::Gpio::new() {
        Ok(g) => g,
        Err(e) => {
            return Check::fail(
                "GPIO button",
                format!("GPIO is not available here ({e})"),
                "this is not a Raspberry Pi, or the integra user is not in the gpio group; the keyboard still works",
            );
        }
    };
    let input = match gpio.get(pin) {
        Ok(p) => p.into_input_pullup(),
        Err(e) => {
            return Check::fail(
                "GPIO button",
                format!("pin {pin}: {e}"),
                "check gpio.next_button in the settings",
            );
        }
    };
    let Some(wait) = press else {
        return Check::pass(
            "GPIO button",
            format!("pin {pin} ready (add --press-test to try it)"),
        );
    };
    println!(
        "press the \"next\" button now (pin {pin}, {} s)…",
        wait.as_secs()
    );
    let end = std::time::Instant::now() + wait;
    while std::time::Instant::now() < end {
        if input.is_low() {
            return Check::pass("GPIO button", format!("pin {pin}: press seen"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Check::fail(
        "GPIO button",
        format!("no press seen on pin {pin}"),
        "check the wiring: button between the pin and ground",
    )
}

pub fn display_check(role: Option<DeviceRole>) -> Vec<Check> {
    if matches!(role, Some(DeviceRole::Hub)) {
        return vec![Check::skip("display", "the hub has no screen")];
    }
    let mut out = Vec::new();
    let kms = std::fs::read_dir("/dev/dri")
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with("card"))
        })
        .unwrap_or(false);
    let desktop =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    out.push(if kms || desktop {
        Check::pass(
            "display",
            if kms { "a graphics device is present (/dev/dri)" } else { "a desktop session is available" },
        )
    } else {
        Check::fail(
            "display",
            "no graphics device and no desktop session",
            "check the HDMI/DSI cable and that the screen is on; on a Pi console run with SLINT_BACKEND=linuxkms",
        )
    });
    if matches!(role, Some(DeviceRole::Kiosk) | Some(DeviceRole::Counter)) {
        let devices = std::fs::read_to_string("/proc/bus/input/devices").unwrap_or_default();
        let touch = devices
            .lines()
            .filter(|l| l.starts_with("N: Name="))
            .any(|l| {
                let l = l.to_ascii_lowercase();
                l.contains("touch") || l.contains("ft5406") || l.contains("goodix")
            });
        out.push(if touch {
            Check::pass("touch", "a touch screen is connected")
        } else {
            Check::fail(
                "touch",
                "no touch screen found",
                "check the touch screen's USB or ribbon cable; a mouse works for testing",
            )
        });
    }
    out
}

/// Every language has every message English has (the test suite checks that the code uses
/// exactly those; here a damaged or partial build is caught on the device).
pub fn locales_check() -> Check {
    let ids: Vec<&str> = sources(Lang::En)
        .iter()
        .flat_map(|(_, text)| message_ids(text))
        .collect();
    let mut missing = Vec::new();
    for lang in Lang::ALL {
        match Localizer::new(lang) {
            Ok(l) => {
                for id in &ids {
                    if !l.has(id) {
                        missing.push(format!("{lang}:{id}"));
                    }
                }
            }
            Err(e) => missing.push(format!("{lang}: {e}")),
        }
    }
    if missing.is_empty() {
        Check::pass(
            "languages",
            format!("es, en, pt, fr, ht complete ({} messages each)", ids.len()),
        )
    } else {
        Check::fail(
            "languages",
            format!("missing: {}", missing.join(", ")),
            "this build is incomplete: install an official release",
        )
    }
}

/// The city link (`[city]`): can the city database be reached, how far behind it is (events
/// this hub has that the city has not acknowledged), and since when it has been down.
pub fn city_check(
    city: Option<&crate::device::settings::CitySettings>,
    dir: &Path,
    now: DateTime<Utc>,
) -> Check {
    const WHAT: &str = "city figures";
    let Some(city) = city else {
        return Check::skip(
            WHAT,
            "no [city] in the settings: this center's figures stay here",
        );
    };
    let shown = crate::city::shown_url(&city.url);
    let store = match crate::store::Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                WHAT,
                format!("cannot read the hub's database: {e}"),
                "fix the database first (see the line above)",
            );
        }
    };
    let (local, status, center) = match (store.last_seq(), store.city_status(), store.center_id()) {
        (Ok(l), Ok(s), Ok(c)) => (l, s, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return Check::fail(
                WHAT,
                format!("cannot read the hub's database: {e}"),
                "run `integra doctor` on the hub after it has started once",
            );
        }
    };
    let since = |t: Option<DateTime<Utc>>| {
        t.map(|t| {
            let m = (now - t).num_minutes().max(0);
            if m < 2 {
                format!("{} s ago", (now - t).num_seconds().max(0))
            } else if m < 120 {
                format!("{m} min ago")
            } else {
                format!("{} h ago", m / 60)
            }
        })
        .unwrap_or_else(|| "never".into())
    };
    let reached = crate::city::connect(city, Duration::from_secs(5)).and_then(|mut c| {
        c.query_opt(
            "SELECT last_seq FROM integra.centers WHERE id = $1",
            &[&center],
        )
        .and_then(|row| {
            row.map(|r| r.try_get::<_, i64>(0).map(|v| v.max(0) as u64))
                .transpose()
        })
        .map_err(|e| crate::city::CityError::Database {
            target: shown.clone(),
            detail: crate::city::describe(&e),
        })
    });
    match reached {
        Ok(acked) => {
            let acked = acked.unwrap_or(0);
            let behind = local.saturating_sub(acked);
            let detail = format!(
                "{shown} answers; center {center}; {behind} events not sent yet (of {local}); last batch sent {}",
                since(status.last_ok)
            );
            if behind == 0 {
                Check::pass(WHAT, detail)
            } else if status
                .last_ok
                .is_some_and(|t| now - t < chrono::Duration::minutes(2))
            {
                Check::pass(WHAT, format!("{detail} (the hub is sending them)"))
            } else {
                Check::warn(
                    WHAT,
                    detail,
                    "the hub sends them while it runs: start it (`systemctl start integra`) and look again in a minute",
                )
            }
        }
        Err(e) => {
            let pending = local.saturating_sub(status.acked_seq);
            let down = status
                .down_since
                .map(|t| format!("; failing since {}", since(Some(t))))
                .unwrap_or_default();
            let detail = format!("{e}; about {pending} events wait here to be sent{down}");
            let fix = "check [city] url (host, port, database, user and password), that this hub's network reaches the city server, and that the server accepts this hub (pg_hba.conf); nothing is lost meanwhile";
            if status.down_since.is_some_and(|t| {
                now - t >= chrono::Duration::hours(crate::city::replicate::ALERT_AFTER_HOURS)
            }) {
                Check::fail(WHAT, detail, fix)
            } else {
                Check::warn(WHAT, detail, fix)
            }
        }
    }
}
