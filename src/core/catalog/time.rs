use super::*;

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
