//! The device settings file (`integra.toml` on the boot partition): what this device is and how
//! it is wired. Loaded and validated in one place; errors name the file, the line and the field.

use crate::core::catalog::CatalogIssue;
use crate::core::tomlpath::{Seg, from_toml, locate_all};
use crate::core::{CounterId, Lang};
use crate::device::setup_code::SetupCode;
use crate::printer::{CodePage, Format, Paper, PrinterUri};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceRole {
    /// The visitor's touchscreen; runs the hub in-process unless `hub` names another.
    Kiosk,
    /// A staff desk terminal.
    Counter,
    /// The lobby TV.
    Display,
    /// The hub alone, headless.
    Hub,
}

impl DeviceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Counter => "counter",
            DeviceRole::Display => "display",
            DeviceRole::Hub => "hub",
        }
    }
}

/// Where the hub is: found on the LAN by mDNS, or at a fixed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubAddress {
    Auto,
    /// This device runs it (kiosk or hub role).
    Local,
    At(String),
}

impl Serialize for HubAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            HubAddress::Auto => s.serialize_str("auto"),
            HubAddress::Local => s.serialize_str("local"),
            HubAddress::At(a) => s.serialize_str(a),
        }
    }
}

impl<'de> Deserialize<'de> for HubAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.trim() {
            "auto" => Ok(HubAddress::Auto),
            "local" => Ok(HubAddress::Local),
            a if (a.starts_with("https://") && a.len() > "https://".len())
                || (a.starts_with("http://") && a.len() > "http://".len()) =>
            {
                // The hub speaks HTTPS only: an address written with http:// means the same hub.
                let a = a.trim_end_matches('/');
                Ok(HubAddress::At(match a.strip_prefix("http://") {
                    Some(rest) => format!("https://{rest}"),
                    None => a.to_string(),
                }))
            }
            other => Err(serde::de::Error::custom(format!(
                "hub '{other}': expected \"auto\" (find it on the network), \"local\" (this device runs it) or an address like \"https://192.168.1.10:7878\""
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSettings {
    /// `usb:/dev/usb/lp0`, `serial:/dev/serial0?baud=19200`, `tcp://HOST:9100` or `file:PATH`.
    pub uri: String,
    /// Paper width in mm: 58 or 80.
    #[serde(default = "default_paper")]
    pub paper: u32,
    #[serde(default = "default_codepage")]
    pub codepage: String,
    /// `ESC t n` number, when the printer's differs from Epson's.
    #[serde(default)]
    pub codepage_number: Option<u8>,
    /// Content of a QR code on walk-in tickets.
    #[serde(default)]
    pub qr: Option<String>,
}

fn default_paper() -> u32 {
    80
}
fn default_codepage() -> String {
    CodePage::DEFAULT.name().to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScreenSettings {
    /// Degrees: 0, 90, 180 or 270.
    #[serde(default)]
    pub rotation: u16,
    /// libinput calibration matrix (6 numbers), when the touch does not match the picture.
    #[serde(default)]
    pub touch_calibration: Option<Vec<f32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GpioSettings {
    /// BCM pin of the physical "next" button (counter role).
    #[serde(default)]
    pub next_button: Option<u8>,
    /// BCM pin of the LED that lights while a visitor is being called.
    #[serde(default)]
    pub call_led: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioSettings {
    #[serde(default = "yes")]
    pub chime: bool,
    #[serde(default = "yes")]
    pub voice: bool,
    /// espeak-ng voice per language, when not the default (es, en, pt-br, fr, ht).
    #[serde(default)]
    pub voices: BTreeMap<Lang, String>,
    /// ALSA device for `aplay -D`, e.g. "hw:0,0"; the default device when absent.
    #[serde(default)]
    pub device: Option<String>,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            chime: true,
            voice: true,
            voices: BTreeMap::new(),
            device: None,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub role: DeviceRole,
    /// Shown until the center catalog is loaded (and in logs).
    #[serde(default)]
    pub center_name: Option<String>,
    /// Where the hub is; by default this device for kiosk and hub roles, `auto` for the others.
    #[serde(default)]
    pub hub: Option<HubAddress>,
    /// Where this device's hub listens for the LAN (kiosk and hub roles), e.g. "0.0.0.0:7878".
    #[serde(default)]
    pub listen: Option<std::net::SocketAddr>,
    /// The address visitors' phones reach the hub at, for the follow links printed as QR codes
    /// (kiosk and hub roles), e.g. "http://192.168.1.10:7878"; by default the hub's own LAN
    /// address.
    #[serde(default)]
    pub follow_url: Option<String>,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The center catalog (hub and kiosk roles); the embedded demo center when absent.
    #[serde(default)]
    pub catalog: Option<PathBuf>,
    /// Languages offered on this device, in order; all five when absent.
    #[serde(default)]
    pub languages: Option<Vec<Lang>>,
    /// Retired: the time zone is the center catalog's `[center] timezone`, the one source for
    /// every device. A file that still sets it works on, with a notice (`notices`).
    #[serde(default, rename = "timezone", skip_serializing)]
    retired_timezone: Option<toml::Value>,
    /// Seconds without a touch before the kiosk returns to the welcome screen.
    #[serde(default = "default_idle")]
    pub idle_timeout_seconds: u32,
    /// The counter this terminal is (counter role).
    #[serde(default)]
    pub counter: Option<CounterId>,
    /// A pairing PIN from the admin page (counter, display, network kiosk): with no token yet,
    /// the device pairs with it at start (SPAKE2, as on its pairing screen), once.
    #[serde(default)]
    pub pair_pin: Option<String>,
    #[serde(default)]
    pub printer: Option<PrinterSettings>,
    #[serde(default)]
    pub screen: ScreenSettings,
    #[serde(default)]
    pub gpio: GpioSettings,
    #[serde(default)]
    pub audio: AudioSettings,
    /// The city office's database the hub replicates its anonymous figures to (hub and kiosk
    /// roles — whichever runs the hub).
    #[serde(default)]
    pub city: Option<CitySettings>,
    /// Automatic backups to a USB stick, and the restore of a new card (hub and kiosk roles —
    /// whichever runs the hub); on by default there (`BackupSettings::default`).
    #[serde(default)]
    pub backup: Option<BackupSettings>,
    /// The center's Wi-Fi, when the device is not on a cable (`wifi.rs`); applied at boot.
    #[serde(default)]
    pub wifi: Option<super::wifi::WifiSettings>,
    /// The technician's code (digits): pairs the first admin browser on the hub's `/setup`
    /// page once, and opens the technician screen on every device.
    #[serde(default, skip_serializing)]
    pub setup_code: Option<SetupCode>,
    /// This device keeps a live copy of the hub (its log and identity, in `DATA/standby/`) and
    /// acknowledges each commit once it is durable here (issue #32): a kiosk that is not the
    /// hub, paired with it. See `standby` in ARCHITECTURE.md.
    #[serde(default)]
    pub standby: bool,
}

/// `[backup]`: where the hub writes its backups, how many it keeps, and what a new card
/// restores at its first start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    /// Where the stick is mounted (the image mounts a stick labelled INTEGRA-BAK here).
    #[serde(default = "default_backup_dir")]
    pub dir: PathBuf,
    /// How many days of backups are kept (one file per day, the newest state of that day).
    #[serde(default = "default_backup_keep")]
    pub keep: u32,
    /// Minutes between backups while the log moves (one more is made when the day turns).
    #[serde(default = "default_backup_every")]
    pub every_minutes: u32,
    /// Write only when `dir` is a mount point (a stick is in): without it the backup would land
    /// on the hub's own card. `false` only for a directory on another disk on purpose.
    #[serde(default = "default_true")]
    pub require_mount: bool,
    /// On a new card (no data yet): restore this backup at the first start — `"latest"` (the
    /// newest in `dir`) or a file's path. Never over existing data.
    #[serde(default)]
    pub restore: Option<String>,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            dir: default_backup_dir(),
            keep: default_backup_keep(),
            every_minutes: default_backup_every(),
            require_mount: true,
            restore: None,
        }
    }
}

fn default_backup_dir() -> PathBuf {
    PathBuf::from("/media/integra-backup")
}
fn default_backup_keep() -> u32 {
    14
}
fn default_backup_every() -> u32 {
    60
}
fn default_true() -> bool {
    true
}

/// `[city]`: where the city's figures are gathered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitySettings {
    /// `postgresql://USER:PASSWORD@HOST[:PORT]/DATABASE[?sslmode=require]` — TLS (with the
    /// server's certificate checked) when `sslmode=require` (or verify-full) is given.
    pub url: String,
    /// PEM file of the certificate authority that signed the city server's certificate, when
    /// it is not one the system trusts.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("/var/lib/integra")
}
fn default_idle() -> u32 {
    45
}

/// Everything wrong with a settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub Vec<CatalogIssue>);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{issue}")?;
        }
        if self.0.len() > 1 {
            write!(
                f,
                "\n({} problems in the settings; fix them and run `integra settings check` again)",
                self.0.len()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Parse and validate a settings file. `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Settings, SettingsError> {
        let s: Settings = from_toml(text, origin).map_err(|mut e| {
            super::wifi::redact_parse_error(text, &mut e);
            super::setup_code::redact_parse_error(text, &mut e);
            SettingsError(vec![e])
        })?;
        let problems = s.problems();
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(SettingsError(locate_all(text, origin, problems)))
        }
    }

    /// What in a valid file is read no more, with its line and the fix: shown by `integra
    /// settings check`, the doctor and the device's log at start. A notice, not a refusal: a
    /// device in the field whose file was written for an older version must not stay dark
    /// for a line that changes nothing.
    pub fn notices(&self, text: &str, origin: &str) -> Vec<CatalogIssue> {
        let mut out = Vec::new();
        if self.retired_timezone.is_some() {
            out.push((
                vec![Seg::Key("timezone")],
                "is no longer read: every device uses the center catalog's `[center] timezone` (the device works on meanwhile) — delete this line, and set the zone in the catalog".to_string(),
            ));
        }
        locate_all(text, origin, out)
    }

    /// Where this device finds the hub.
    pub fn hub(&self) -> HubAddress {
        self.hub.clone().unwrap_or(match self.role {
            DeviceRole::Kiosk | DeviceRole::Hub => HubAddress::Local,
            DeviceRole::Counter | DeviceRole::Display => HubAddress::Auto,
        })
    }

    /// The printer link, when one is set.
    pub fn printer_uri(&self) -> Option<PrinterUri> {
        self.printer.as_ref().and_then(|p| p.uri.parse().ok())
    }

    /// How slips are printed on this device.
    pub fn print_format(&self) -> Format {
        let Some(p) = &self.printer else {
            return Format::default();
        };
        Format {
            paper: if p.paper == 58 {
                Paper::Mm58
            } else {
                Paper::Mm80
            },
            codepage: p.codepage.parse().unwrap_or(CodePage::DEFAULT),
            codepage_number: p.codepage_number,
            qr: p.qr.clone().filter(|q| !q.is_empty()),
        }
    }

    fn problems(&self) -> Vec<(Vec<Seg>, String)> {
        let mut out = Vec::new();
        let at = |k: &'static str| vec![Seg::Key(k)];
        if let Some(p) = &self.printer {
            let pa = |k: &'static str| vec![Seg::Key("printer"), Seg::Key(k)];
            if let Err(e) = p.uri.parse::<PrinterUri>() {
                out.push((pa("uri"), e.to_string()));
            }
            if p.paper != 58 && p.paper != 80 {
                out.push((
                    pa("paper"),
                    format!("{} mm is not a paper width: expected 58 or 80", p.paper),
                ));
            }
            if let Err(e) = p.codepage.parse::<CodePage>() {
                out.push((pa("codepage"), e.to_string()));
            }
        }
        if let Some(pin) = &self.pair_pin {
            if pin.trim().is_empty() || !pin.trim().chars().all(|c| c.is_ascii_digit()) {
                out.push((
                    at("pair_pin"),
                    format!(
                        "this is not a pairing PIN (not shown here: it is a secret): give the {} digits the admin page made, e.g. pair_pin = \"12345678\", or remove the line",
                        crate::hub::auth::PIN_DIGITS
                    ),
                ));
            } else if matches!(self.role, DeviceRole::Hub)
                || matches!(self.hub(), HubAddress::Local)
            {
                out.push((
                    at("pair_pin"),
                    "this device runs the hub: it pairs with nobody. Remove the line (pair_pin is for a counter, a display or a kiosk whose `hub` is another device)".into(),
                ));
            }
        }
        if let Some(url) = &self.follow_url
            && let Err(e) = crate::hub::follow::check_base(url)
        {
            out.push((at("follow_url"), e.to_string()));
        }
        if let Some(city) = &self.city {
            if let Err(e) = crate::city::check_url(&city.url) {
                out.push((vec![Seg::Key("city"), Seg::Key("url")], e.to_string()));
            }
            if let Some(ca) = &city.ca_file
                && !ca.is_file()
            {
                out.push((
                    vec![Seg::Key("city"), Seg::Key("ca_file")],
                    format!(
                        "{} is not a file: give the PEM file of the city server's certificate authority, or leave ca_file out to use the system's",
                        ca.display()
                    ),
                ));
            }
            if matches!(self.role, DeviceRole::Counter | DeviceRole::Display) {
                out.push((
                    vec![Seg::Key("city")],
                    "only the hub sends the city's figures: move [city] to the settings of the device that runs the hub (role hub or kiosk)".into(),
                ));
            }
        }
        if let Some(b) = &self.backup {
            let bk = |k: &'static str| vec![Seg::Key("backup"), Seg::Key(k)];
            if b.keep == 0 {
                out.push((
                    bk("keep"),
                    "0 days keeps no backup: give 1 or more (14 is the default)".into(),
                ));
            }
            if b.every_minutes < 5 {
                out.push((
                    bk("every_minutes"),
                    format!(
                        "{} minutes is too often: give 5 or more (60 is the default)",
                        b.every_minutes
                    ),
                ));
            }
            if !b.dir.is_absolute() {
                out.push((bk("dir"), format!("{} is not an absolute path: give where the stick is mounted, e.g. /media/integra-backup", b.dir.display())));
            }
            if matches!(self.role, DeviceRole::Counter | DeviceRole::Display) {
                out.push((
                    vec![Seg::Key("backup")],
                    "only the hub makes backups: move [backup] to the settings of the device that runs the hub (role hub or kiosk)".into(),
                ));
            }
        }
        if let Some(problem) = self.setup_code.as_ref().and_then(SetupCode::problem) {
            out.push((at("setup_code"), problem));
        }
        if ![0, 90, 180, 270].contains(&self.screen.rotation) {
            out.push((
                vec![Seg::Key("screen"), Seg::Key("rotation")],
                format!(
                    "{} is not a rotation: expected 0, 90, 180 or 270",
                    self.screen.rotation
                ),
            ));
        }
        if let Some(m) = &self.screen.touch_calibration
            && m.len() != 6
        {
            out.push((
                vec![Seg::Key("screen"), Seg::Key("touch_calibration")],
                format!(
                    "{} numbers: a calibration matrix has 6 (a b c d e f)",
                    m.len()
                ),
            ));
        }
        if let Some(w) = &self.wifi {
            out.extend(w.problems());
        }
        if !(10..=600).contains(&self.idle_timeout_seconds) {
            out.push((
                at("idle_timeout_seconds"),
                "expected a number of seconds from 10 to 600".into(),
            ));
        }
        if let Some(l) = &self.languages
            && l.is_empty()
        {
            out.push((
                at("languages"),
                "list at least one language (es, en, pt, fr, ht)".into(),
            ));
        }
        for (key, pin) in [
            ("next_button", self.gpio.next_button),
            ("call_led", self.gpio.call_led),
        ] {
            if let Some(p) = pin
                && !(2..=27).contains(&p)
            {
                out.push((
                    vec![Seg::Key("gpio"), Seg::Key(key)],
                    format!("pin {p} is not a usable GPIO: expected a BCM number from 2 to 27"),
                ));
            }
        }
        if let (Some(a), Some(b)) = (self.gpio.next_button, self.gpio.call_led)
            && a == b
        {
            out.push((
                vec![Seg::Key("gpio"), Seg::Key("call_led")],
                format!("pin {b} is already the next button: use another pin"),
            ));
        }
        match self.role {
            DeviceRole::Counter => {
                if self.counter.is_none() {
                    out.push((
                        at("role"),
                        "a counter terminal needs `counter = \"ID\"` (the counter id from the center catalog)".into(),
                    ));
                }
                if self.hub() == HubAddress::Local {
                    out.push((
                        at("hub"),
                        "a counter does not run the hub: use \"auto\" or the hub's address".into(),
                    ));
                }
            }
            DeviceRole::Display => {
                if self.hub() == HubAddress::Local {
                    out.push((
                        at("hub"),
                        "a display does not run the hub: use \"auto\" or the hub's address".into(),
                    ));
                }
            }
            DeviceRole::Hub => {
                if matches!(self.hub(), HubAddress::At(_)) {
                    out.push((
                        at("hub"),
                        "this device is the hub: leave `hub` out or set it to \"local\"".into(),
                    ));
                }
            }
            DeviceRole::Kiosk => {}
        }
        if let Some(why) = self.standby_problem() {
            out.push((at("standby"), why.into()));
        }
        out
    }

    /// Why `standby = true` cannot hold here, if it cannot: the standby is a second kiosk that
    /// follows the hub (the hub itself, a counter or a display cannot be one).
    fn standby_problem(&self) -> Option<&'static str> {
        if !self.standby {
            return None;
        }
        match (self.role, self.hub()) {
            (DeviceRole::Kiosk, HubAddress::Auto | HubAddress::At(_)) => None,
            (DeviceRole::Kiosk | DeviceRole::Hub, HubAddress::Local) => Some(
                "this device runs the hub: the standby is a second kiosk; set `standby = true` in that kiosk's integra.toml (with `hub = \"auto\"` or the hub's address) and remove it here",
            ),
            (DeviceRole::Hub, HubAddress::Auto | HubAddress::At(_)) => {
                Some("a hub is not a standby: the standby is a second kiosk; remove `standby` here")
            }
            (DeviceRole::Counter | DeviceRole::Display, _) => Some(
                "only a kiosk can be the hub's standby (it is paired as a kiosk): set `standby = true` in the second kiosk's integra.toml and remove it here",
            ),
        }
    }
}
