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

mod time;
mod validate;

pub use time::{Clock, Day, Span, day_key};
pub use validate::{CatalogError, CatalogIssue};

/// The demo center, embedded in the binary so that `integra` runs with no file at all.
pub const DEMO_CATALOG: &str = include_str!("../../../assets/demo-center.toml");

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

    /// A service's name in `lang` (else the center's language, else any); `None` for a code the
    /// catalog does not have.
    pub fn service_name(&self, code: &ServiceCode, lang: Lang) -> Option<&str> {
        self.service(code)
            .map(|s| super::types::pick(&s.name, lang, self.center.default_language))
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

    /// Whether a ticket of this service and class must look ordinary in public (with no class:
    /// whether the service is discreet). The one decision: every place that must know asks it.
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
}
