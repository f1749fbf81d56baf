//! The center catalog: one TOML file that describes a center (services, counters, priority
//! classes, activities, opening hours). Parsing and validation are pure: they take text and
//! return either a catalog or errors that name the file, the line, the field and what is
//! expected.

use super::tomlpath::{Seg, from_toml, locate_all};
use super::types::{ActivityCode, CounterId, Lang, Localized, PriorityClass, ServiceCode};
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// The demo center, embedded in the binary so that `integra` runs with no file at all.
pub const DEMO_CATALOG: &str = include_str!("../../assets/demo-center.toml");

/// The longest a service's one-line description may be, in words (design: "~10 words").
pub const MAX_DESCRIPTION_WORDS: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub center: Center,
    pub priority: Priority,
    pub services: Vec<Service>,
    pub counters: Vec<Counter>,
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// What one kiosk may do in a short time (a kiosk is the device a stranger can reach).
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// The file this catalog was read from (its bytes' fingerprint), when it was.
    #[serde(skip)]
    pub source: Source,
}

/// Where a catalog came from: the fingerprint of the file's bytes, and of the catalog as it was
/// read (so a copy changed in memory no longer claims the file's fingerprint). Never compared:
/// two catalogs with the same content are equal wherever they came from.
#[derive(Debug, Clone, Default)]
pub struct Source(Option<(String, String)>);

impl PartialEq for Source {
    fn eq(&self, _: &Source) -> bool {
        true
    }
}

fn sha_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Per-kiosk limits, enforced by the hub (staff and admin devices are not limited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Wrong check-in codes a kiosk may send in a minute; then it waits (429, Retry-After).
    #[serde(default = "Limits::default_wrong_codes")]
    pub wrong_codes_per_minute: u32,
    /// Appointments and activity sign-ups one kiosk may make in an hour.
    #[serde(default = "Limits::default_bookings")]
    pub bookings_per_hour: u32,
    /// Walk-in tickets one kiosk may issue in a minute.
    #[serde(default = "Limits::default_tickets")]
    pub tickets_per_minute: u32,
}

impl Limits {
    fn default_wrong_codes() -> u32 {
        5
    }
    fn default_bookings() -> u32 {
        12
    }
    fn default_tickets() -> u32 {
        12
    }
    pub fn is_default(&self) -> bool {
        *self == Limits::default()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            wrong_codes_per_minute: Limits::default_wrong_codes(),
            bookings_per_hour: Limits::default_bookings(),
            tickets_per_minute: Limits::default_tickets(),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Center {
    pub name: String,
    pub timezone: Tz,
    pub languages: Vec<Lang>,
    pub default_language: Lang,
    /// Days after which names and phone numbers are erased.
    pub retention_days: u32,
    /// Service time assumed for wait estimates until real service times are known.
    #[serde(default = "default_service_minutes")]
    pub default_service_minutes: u32,
    /// How many days ahead a visitor may book an appointment.
    #[serde(default = "default_booking_days")]
    pub booking_days_ahead: u32,
    /// Lines the lobby display shows in turn (opening hours, news), each in every language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info: Vec<Localized>,
}

fn default_service_minutes() -> u32 {
    10
}
fn default_booking_days() -> u32 {
    30
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    /// A waiting ticket is never overtaken more than this many times.
    pub max_overtakes: u32,
    /// A ticket that has waited this long is no longer overtaken at all (0 = no time bound).
    #[serde(default)]
    pub max_wait_minutes: u32,
    pub classes: Vec<PriorityClassDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityClassDef {
    pub code: PriorityClass,
    pub icon: String,
    pub name: Localized,
    /// A class that must never be seen in public (e.g. "urgent protection"): the ticket looks
    /// ordinary on the display, the slip and the kiosk; staff are alerted at once.
    #[serde(default, skip_serializing_if = "is_false")]
    pub discreet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    WalkIn,
    Appointment,
    Activity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub code: ServiceCode,
    pub prefix: char,
    pub icon: String,
    pub modes: Vec<Mode>,
    pub name: Localized,
    pub description: Localized,
    /// Opening hours per weekday (`mon` … `sun`), each a list of `"HH:MM-HH:MM"`.
    #[serde(default)]
    pub hours: BTreeMap<Day, Vec<Span>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointments: Option<AppointmentRules>,
    /// What to bring to an appointment (printed on the slip).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bring: Localized,
    /// A service whose visitors may be at risk (e.g. a protection space): its tickets take
    /// their numbers from the ordinary service with the same letter, and nothing public (lobby
    /// display, spoken call, slip, kiosk screen) names it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub discreet: bool,
}

impl Service {
    pub fn takes(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// Whether the service is open at a local date and time.
    pub fn is_open_at(&self, date: NaiveDate, time: NaiveTime) -> bool {
        self.hours
            .get(&Day(date.weekday()))
            .is_some_and(|spans| spans.iter().any(|s| s.contains(time)))
    }

    /// When the service next opens after the local time `now` (within the coming week), for
    /// "closed · opens Tuesday at 08:00". `None` when it has no hours at all.
    pub fn next_opening(&self, now: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
        (0..=7).find_map(|offset| {
            let date = now.date() + chrono::Duration::days(offset);
            self.hours
                .get(&Day(date.weekday()))?
                .iter()
                .map(|span| date.and_time(span.start))
                .filter(|start| *start > now)
                .min()
        })
    }

    /// The appointment slots offered on a local date (start times), in order.
    pub fn slots_on(&self, date: NaiveDate) -> Vec<NaiveTime> {
        let Some(rules) = &self.appointments else {
            return Vec::new();
        };
        let step =
            chrono::Duration::minutes(i64::from(rules.on(Day(date.weekday())).slot_minutes.max(1)));
        let mut out = Vec::new();
        let hours = rules.hours.as_ref().unwrap_or(&self.hours);
        for span in hours.get(&Day(date.weekday())).into_iter().flatten() {
            let mut t = span.start;
            while t + step <= span.end && t < span.end {
                out.push(t);
                let next = t + step;
                if next <= t {
                    break;
                }
                t = next;
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// How many visitors one appointment slot takes on a local date (0 without appointments).
    pub fn capacity_on(&self, date: NaiveDate) -> u32 {
        self.appointments
            .as_ref()
            .map_or(0, |r| r.on(Day(date.weekday())).capacity)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRules {
    pub slot_minutes: u32,
    /// How many visitors one slot takes.
    pub capacity: u32,
    /// Appointment hours when they differ from the opening hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BTreeMap<Day, Vec<Span>>>,
    /// Slot length and capacity on particular weekdays, when they differ from the above.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weekdays: BTreeMap<Day, SlotRule>,
}

/// Slot length and capacity of appointments on one weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotRule {
    pub slot_minutes: u32,
    pub capacity: u32,
}

impl AppointmentRules {
    /// The slot rule of a weekday: its own, or the service's.
    pub fn on(&self, day: Day) -> SlotRule {
        self.weekdays.get(&day).copied().unwrap_or(SlotRule {
            slot_minutes: self.slot_minutes,
            capacity: self.capacity,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    pub id: CounterId,
    /// What staff call it (the console, the counter terminal).
    pub name: String,
    pub services: Vec<ServiceCode>,
    /// What the lobby display shows and the call says (e.g. "Recepción"), when it differs
    /// from `name`. A counter that serves a discreet service needs one shared with a counter
    /// that serves ordinary ones, so that its calls look like any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
}

impl Counter {
    /// The name the lobby sees and hears.
    pub fn public(&self) -> &str {
        self.public_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub code: ActivityCode,
    /// The service (of mode `activity`) this session belongs to.
    pub service: ServiceCode,
    pub title: Localized,
    pub place: String,
    /// Weekly schedule: the weekdays on which it takes place …
    #[serde(default)]
    pub weekdays: Vec<Day>,
    /// … and/or single dates.
    #[serde(default)]
    pub dates: Vec<NaiveDate>,
    pub start: Clock,
    pub minutes: u32,
    pub seats: u32,
}

impl Activity {
    pub fn happens_on(&self, date: NaiveDate) -> bool {
        self.dates.contains(&date) || self.weekdays.contains(&Day(date.weekday()))
    }

    /// The next `n` dates on or after `from` on which it takes place.
    pub fn next_dates(&self, from: NaiveDate, horizon_days: u32) -> Vec<NaiveDate> {
        (0..=horizon_days)
            .filter_map(|d| from.checked_add_days(chrono::Days::new(u64::from(d))))
            .filter(|d| self.happens_on(*d))
            .collect()
    }
}

/// A weekday key in the catalog: `mon` … `sun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Day(pub Weekday);

impl PartialOrd for Day {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Day {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .num_days_from_monday()
            .cmp(&other.0.num_days_from_monday())
    }
}

const DAY_KEYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// The catalog key of a weekday (`mon` … `sun`).
pub fn day_key(day: Day) -> &'static str {
    DAY_KEYS
        .iter()
        .find(|(_, w)| *w == day.0)
        .map(|(k, _)| *k)
        .unwrap_or("mon")
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(day_key(*self))
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DAY_KEYS
            .iter()
            .find(|(k, _)| *k == s)
            .map(|(_, w)| Day(*w))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown weekday '{s}': expected one of mon, tue, wed, thu, fri, sat, sun"
                ))
            })
    }
}

/// A time of day written `"HH:MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clock(pub NaiveTime);

fn parse_clock(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

impl Serialize for Clock {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.format("%H:%M").to_string())
    }
}

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_clock(&s).map(Clock).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{s}' is not a time: expected HH:MM, e.g. \"08:30\""
            ))
        })
    }
}

/// An opening span written `"HH:MM-HH:MM"` (end excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Span {
    pub fn contains(&self, t: NaiveTime) -> bool {
        self.start <= t && t < self.end
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!(
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        ))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let err = || {
            serde::de::Error::custom(format!(
                "'{s}' is not an opening span: expected \"HH:MM-HH:MM\" with the end after the start, e.g. \"08:00-12:30\""
            ))
        };
        let (a, b) = s.split_once('-').ok_or_else(err)?;
        let (start, end) = (
            parse_clock(a).ok_or_else(err)?,
            parse_clock(b).ok_or_else(err)?,
        );
        if end <= start {
            return Err(err());
        }
        Ok(Span { start, end })
    }
}

/// One thing wrong with a catalog file, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogIssue {
    /// The file (or `<embedded demo>`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field, as a dotted path, e.g. `services[3].prefix`.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for CatalogIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: ", self.origin, l)?,
            None => write!(f, "{}: ", self.origin)?,
        }
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

/// All the problems found in a catalog; nothing starts while there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub Vec<CatalogIssue>);

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{issue}")?;
        }
        if n > 1 {
            write!(
                f,
                "\n({n} problems in the catalog; fix them and run `integra catalog check` again)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}

impl Catalog {
    /// Parse and validate a catalog. `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog = from_toml(text, origin).map_err(|e| CatalogError(vec![e]))?;
        let problems = catalog.problems();
        if problems.is_empty() {
            catalog.source = Source(Some((
                sha_hex(text.as_bytes()),
                catalog.content_fingerprint(),
            )));
            return Ok(catalog);
        }
        Err(CatalogError(locate_all(text, origin, problems)))
    }

    /// Validate a catalog built in memory (an admin's change): the problems name the field.
    pub fn validate(&self, origin: &str) -> Result<(), CatalogError> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        Err(CatalogError(
            problems
                .into_iter()
                .map(|(path, message)| CatalogIssue {
                    origin: origin.to_string(),
                    line: None,
                    field: super::tomlpath::path_string(&path),
                    message,
                })
                .collect(),
        ))
    }

    /// A short fingerprint that tells whether the catalog file changed: SHA-256 of the file's
    /// bytes when the catalog was read from a file (so an update of this program that adds a
    /// catalog field does not make an unchanged file look changed), else of its JSON form.
    pub fn fingerprint(&self) -> String {
        match &self.source.0 {
            Some((bytes, content)) if *content == self.content_fingerprint() => bytes.clone(),
            _ => self.content_fingerprint(),
        }
    }

    /// SHA-256 of the catalog's JSON form (what older versions used as the fingerprint).
    pub fn content_fingerprint(&self) -> String {
        sha_hex(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// The catalog in use, given the catalog file and the coordinator's latest catalog with the
    /// fingerprint of the file it was made from: the coordinator's while the file is unchanged,
    /// else the file (a technician changed it since). A fingerprint recorded by an older
    /// version (of the JSON form) still counts.
    pub fn in_use(file: Arc<Catalog>, changed: Option<(&Arc<Catalog>, &str)>) -> Arc<Catalog> {
        match changed {
            Some((c, base)) if base == file.fingerprint() || base == file.content_fingerprint() => {
                c.clone()
            }
            _ => file,
        }
    }

    /// The embedded demo center.
    pub fn demo() -> Result<Catalog, CatalogError> {
        Catalog::parse(DEMO_CATALOG, "<embedded demo center>")
    }

    pub fn service(&self, code: &ServiceCode) -> Option<&Service> {
        self.services.iter().find(|s| &s.code == code)
    }

    pub fn counter(&self, id: &CounterId) -> Option<&Counter> {
        self.counters.iter().find(|c| &c.id == id)
    }

    pub fn activity(&self, code: &ActivityCode) -> Option<&Activity> {
        self.activities.iter().find(|a| &a.code == code)
    }

    pub fn priority_class(&self, code: &PriorityClass) -> Option<&PriorityClassDef> {
        self.priority.classes.iter().find(|c| &c.code == code)
    }

    /// Whether a ticket of this service and class must look ordinary in public.
    pub fn is_discreet(&self, service: &ServiceCode, class: Option<&PriorityClass>) -> bool {
        self.service(service).is_some_and(|s| s.discreet)
            || class
                .and_then(|c| self.priority_class(c))
                .is_some_and(|c| c.discreet)
    }

    /// The ordinary (not discreet) service that owns a ticket letter: what the public is shown
    /// for a discreet ticket with that letter.
    pub fn letter_owner(&self, prefix: char) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.prefix == prefix && !s.discreet)
    }

    /// The service a discreet ticket of `service` with letter `prefix` shows in public.
    pub fn cover_of(&self, service: &ServiceCode, prefix: char) -> ServiceCode {
        self.letter_owner(prefix)
            .map(|s| s.code.clone())
            .unwrap_or_else(|| service.clone())
    }

    /// The counter the public is told about: the first counter (in catalog order) with the
    /// same public name, so that a protected room's calls cannot be told from reception's.
    pub fn public_counter(&self, id: &CounterId) -> CounterId {
        let Some(c) = self.counter(id) else {
            return id.clone();
        };
        self.counters
            .iter()
            .find(|o| o.public() == c.public())
            .map(|o| o.id.clone())
            .unwrap_or_else(|| id.clone())
    }

    /// How many counters serve a service (at least 1, for estimates).
    pub fn counters_serving(&self, code: &ServiceCode) -> usize {
        self.counters
            .iter()
            .filter(|c| c.services.contains(code))
            .count()
            .max(1)
    }

    /// Semantic checks that serde cannot do. Each problem comes with its path.
    fn problems(&self) -> Vec<(Vec<Seg>, String)> {
        let mut out: Vec<(Vec<Seg>, String)> = Vec::new();
        let langs = &self.center.languages;
        let langs_list = langs
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(", ");

        if self.center.name.trim().is_empty() {
            out.push((
                vec![Seg::Key("center"), Seg::Key("name")],
                "the center needs a name".into(),
            ));
        }
        if langs.is_empty() {
            out.push((
                vec![Seg::Key("center"), Seg::Key("languages")],
                "list at least one language (es, en, pt, fr, ht)".into(),
            ));
        }
        if !langs.contains(&self.center.default_language) {
            out.push((
                vec![Seg::Key("center"), Seg::Key("default_language")],
                format!(
                    "'{}' is not in center.languages ({langs_list})",
                    self.center.default_language
                ),
            ));
        }
        if self.center.retention_days == 0 || self.center.retention_days > 3650 {
            out.push((
                vec![Seg::Key("center"), Seg::Key("retention_days")],
                "expected a number of days from 1 to 3650".into(),
            ));
        }
        if self.center.default_service_minutes == 0 {
            out.push((
                vec![Seg::Key("center"), Seg::Key("default_service_minutes")],
                "expected at least 1 minute".into(),
            ));
        }

        let check_text = |out: &mut Vec<(Vec<Seg>, String)>, path: Vec<Seg>, text: &Localized| {
            for l in langs {
                match text.get(l) {
                    Some(s) if !s.trim().is_empty() => {}
                    _ => {
                        let mut p = path.clone();
                        p.push(Seg::Name(l.code().into()));
                        out.push((
                            p,
                            format!(
                                "missing the text in '{}': every language of the center ({langs_list}) needs one",
                                l.code()
                            ),
                        ));
                    }
                }
            }
        };

        for (i, line) in self.center.info.iter().enumerate() {
            check_text(
                &mut out,
                vec![Seg::Key("center"), Seg::Key("info"), Seg::Index(i)],
                line,
            );
        }

        // Priority.
        if self.priority.classes.is_empty() {
            out.push((
                vec![Seg::Key("priority"), Seg::Key("classes")],
                "list the priority classes (e.g. pregnant, older, disability, minor, protection)"
                    .into(),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, c) in self.priority.classes.iter().enumerate() {
            let base = vec![Seg::Key("priority"), Seg::Key("classes"), Seg::Index(i)];
            if !seen.insert(c.code.clone()) {
                out.push((
                    [base.clone(), vec![Seg::Key("code")]].concat(),
                    format!("priority class '{}' is listed twice", c.code),
                ));
            }
            if !valid_code(c.code.as_str()) {
                out.push((
                    [base.clone(), vec![Seg::Key("code")]].concat(),
                    format!(
                        "'{}' is not a valid code: use 1 to 32 lowercase letters, digits or '-'",
                        c.code
                    ),
                ));
            }
            if c.icon.trim().is_empty() {
                out.push((
                    [base.clone(), vec![Seg::Key("icon")]].concat(),
                    "every priority class needs an icon name".into(),
                ));
            }
            check_text(&mut out, [base, vec![Seg::Key("name")]].concat(), &c.name);
        }

        // Services.
        if self.services.is_empty() {
            out.push((
                vec![Seg::Key("services")],
                "the center needs at least one service".into(),
            ));
        }
        let mut codes = BTreeSet::new();
        let mut prefixes = BTreeMap::new();
        for (i, s) in self.services.iter().enumerate() {
            let base = vec![Seg::Key("services"), Seg::Index(i)];
            let at = |k: &'static str| [base.clone(), vec![Seg::Key(k)]].concat();
            if !valid_code(s.code.as_str()) {
                out.push((
                    at("code"),
                    format!(
                        "'{}' is not a valid code: use 1 to 32 lowercase letters, digits or '-'",
                        s.code
                    ),
                ));
            }
            if !codes.insert(s.code.clone()) {
                out.push((
                    at("code"),
                    format!("service code '{}' is used twice", s.code),
                ));
            }
            if !s.prefix.is_ascii_uppercase() {
                out.push((
                    at("prefix"),
                    format!(
                        "'{}' is not a ticket prefix: expected one capital letter A-Z",
                        s.prefix
                    ),
                ));
            } else if s.discreet {
                // Checked below, once every ordinary letter is known.
            } else if let Some(other) = prefixes.insert(s.prefix, s.code.clone()) {
                out.push((
                    at("prefix"),
                    format!(
                        "prefix '{}' is already used by service '{other}': each service needs its own letter",
                        s.prefix
                    ),
                ));
            }
            if s.modes.is_empty() {
                out.push((
                    at("modes"),
                    "list at least one of \"walk-in\", \"appointment\", \"activity\"".into(),
                ));
            }
            if s.icon.trim().is_empty() {
                out.push((at("icon"), "every service needs an icon name".into()));
            }
            check_text(&mut out, at("name"), &s.name);
            check_text(&mut out, at("description"), &s.description);
            for (l, d) in &s.description {
                let words = d.split_whitespace().count();
                if words > MAX_DESCRIPTION_WORDS {
                    let mut p = at("description");
                    p.push(Seg::Name(l.code().into()));
                    out.push((
                        p,
                        format!(
                            "{words} words: a description is one plain line of at most {MAX_DESCRIPTION_WORDS} words"
                        ),
                    ));
                }
            }
            if (s.takes(Mode::WalkIn) || s.takes(Mode::Appointment)) && s.hours.is_empty() {
                out.push((
                    at("hours"),
                    "a walk-in or appointment service needs opening hours, e.g. mon = [\"08:00-12:00\"]"
                        .into(),
                ));
            }
            match (&s.appointments, s.takes(Mode::Appointment)) {
                (None, true) => out.push((
                    at("appointments"),
                    "the service takes appointments: add [services.appointments] with slot_minutes and capacity"
                        .into(),
                )),
                (Some(r), _) => {
                    if r.slot_minutes < 5 || r.slot_minutes > 480 {
                        out.push((
                            [at("appointments"), vec![Seg::Key("slot_minutes")]].concat(),
                            "expected a slot length from 5 to 480 minutes".into(),
                        ));
                    }
                    if r.capacity == 0 {
                        out.push((
                            [at("appointments"), vec![Seg::Key("capacity")]].concat(),
                            "expected at least 1 visitor per slot".into(),
                        ));
                    }
                    for (day, rule) in &r.weekdays {
                        let key = day_key(*day);
                        let base = [
                            at("appointments"),
                            vec![Seg::Key("weekdays"), Seg::Name(key.into())],
                        ]
                        .concat();
                        if rule.slot_minutes < 5 || rule.slot_minutes > 480 {
                            out.push((
                                [base.clone(), vec![Seg::Key("slot_minutes")]].concat(),
                                "expected a slot length from 5 to 480 minutes".into(),
                            ));
                        }
                        if rule.capacity == 0 {
                            out.push((
                                [base, vec![Seg::Key("capacity")]].concat(),
                                "expected at least 1 visitor per slot".into(),
                            ));
                        }
                    }
                }
                _ => {}
            }
            if !s.bring.is_empty() {
                check_text(&mut out, at("bring"), &s.bring);
            }
        }

        // Discreet services share the letter of an ordinary walk-in service.
        for (i, s) in self.services.iter().enumerate() {
            let takes_tickets = s.takes(Mode::WalkIn) || s.takes(Mode::Appointment);
            if !s.discreet || !takes_tickets || !s.prefix.is_ascii_uppercase() {
                continue;
            }
            let owner = self
                .services
                .iter()
                .find(|o| !o.discreet && o.prefix == s.prefix && o.takes(Mode::WalkIn));
            if owner.is_none() {
                let letters = self
                    .services
                    .iter()
                    .filter(|o| !o.discreet && o.takes(Mode::WalkIn))
                    .map(|o| format!("{} ({})", o.prefix, o.code))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((
                    vec![Seg::Key("services"), Seg::Index(i), Seg::Key("prefix")],
                    format!(
                        "a discreet service has no letter of its own: use the letter of an ordinary walk-in service ({letters}), so that its numbers look like that service's"
                    ),
                ));
            }
        }

        // Counters.
        if self.counters.is_empty() {
            out.push((
                vec![Seg::Key("counters")],
                "the center needs at least one counter".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        let mut served = BTreeSet::new();
        for (i, c) in self.counters.iter().enumerate() {
            let base = vec![Seg::Key("counters"), Seg::Index(i)];
            if !ids.insert(c.id.clone()) {
                out.push((
                    [base.clone(), vec![Seg::Key("id")]].concat(),
                    format!("counter id '{}' is used twice", c.id),
                ));
            }
            if c.services.is_empty() {
                out.push((
                    [base.clone(), vec![Seg::Key("services")]].concat(),
                    "a counter serves at least one service".into(),
                ));
            }
            for (j, code) in c.services.iter().enumerate() {
                served.insert(code.clone());
                if !codes.contains(code) {
                    out.push((
                        [base.clone(), vec![Seg::Key("services"), Seg::Index(j)]].concat(),
                        format!(
                            "unknown service '{code}': expected one of the service codes ({})",
                            join(&codes)
                        ),
                    ));
                }
            }
        }
        // A counter that calls discreet tickets must be announced under a name that ordinary
        // calls use too.
        let discreet_codes: BTreeSet<&ServiceCode> = self
            .services
            .iter()
            .filter(|s| s.discreet)
            .map(|s| &s.code)
            .collect();
        let ordinary_publics: BTreeSet<&str> = self
            .counters
            .iter()
            .filter(|c| c.services.iter().any(|s| !discreet_codes.contains(s)))
            .map(Counter::public)
            .collect();
        for (i, c) in self.counters.iter().enumerate() {
            if c.public_name.as_deref().is_some_and(|p| {
                p.trim().is_empty() || p.chars().count() > 60 || p.chars().any(char::is_control)
            }) {
                out.push((
                    vec![Seg::Key("counters"), Seg::Index(i), Seg::Key("public_name")],
                    "expected 1 to 60 characters, e.g. \"Recepción\"".into(),
                ));
            }
            let calls_discreet = c.services.iter().any(|s| discreet_codes.contains(s));
            if calls_discreet && !ordinary_publics.contains(c.public()) {
                let names = ordinary_publics
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((
                    vec![Seg::Key("counters"), Seg::Index(i), Seg::Key("public_name")],
                    format!(
                        "counter '{}' calls a discreet service, so the lobby must not learn its name: give it a public_name that a counter serving ordinary services also shows ({names}), e.g. the reception's",
                        c.id
                    ),
                ));
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            if (s.takes(Mode::WalkIn) || s.takes(Mode::Appointment)) && !served.contains(&s.code) {
                out.push((
                    vec![Seg::Key("services"), Seg::Index(i), Seg::Key("code")],
                    format!(
                        "no counter serves '{}': add it to a counter's services, or nobody can call its tickets",
                        s.code
                    ),
                ));
            }
        }

        // Activities.
        let mut acodes = BTreeSet::new();
        for (i, a) in self.activities.iter().enumerate() {
            let base = vec![Seg::Key("activities"), Seg::Index(i)];
            let at = |k: &'static str| [base.clone(), vec![Seg::Key(k)]].concat();
            if !valid_code(a.code.as_str()) {
                out.push((
                    at("code"),
                    format!(
                        "'{}' is not a valid code: use 1 to 32 lowercase letters, digits or '-'",
                        a.code
                    ),
                ));
            }
            if !acodes.insert(a.code.clone()) {
                out.push((
                    at("code"),
                    format!("activity code '{}' is used twice", a.code),
                ));
            }
            match self.service(&a.service) {
                None => out.push((
                    at("service"),
                    format!(
                        "unknown service '{}': expected one of ({})",
                        a.service,
                        join(&codes)
                    ),
                )),
                Some(s) if !s.takes(Mode::Activity) => out.push((
                    at("service"),
                    format!(
                        "service '{}' does not list \"activity\" in its modes",
                        a.service
                    ),
                )),
                _ => {}
            }
            check_text(&mut out, at("title"), &a.title);
            if a.seats == 0 {
                out.push((at("seats"), "expected at least 1 seat".into()));
            }
            if a.minutes == 0 {
                out.push((
                    at("minutes"),
                    "expected a length of at least 1 minute".into(),
                ));
            }
            if a.weekdays.is_empty() && a.dates.is_empty() {
                out.push((
                    at("weekdays"),
                    "give weekdays = [\"tue\", …] or dates = [2026-12-01, …]".into(),
                ));
            }
        }

        // Per-kiosk limits.
        for (key, v) in [
            ("wrong_codes_per_minute", self.limits.wrong_codes_per_minute),
            ("bookings_per_hour", self.limits.bookings_per_hour),
            ("tickets_per_minute", self.limits.tickets_per_minute),
        ] {
            if v == 0 || v > 100_000 {
                out.push((
                    vec![Seg::Key("limits"), Seg::Key(key)],
                    "expected a number from 1 to 100000".into(),
                ));
            }
        }
        out
    }
}

fn join<T: fmt::Display>(set: &BTreeSet<T>) -> String {
    set.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
