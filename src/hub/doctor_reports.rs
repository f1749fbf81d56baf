//! Every device's doctor results on the admin page (issue #33): each device sends its doctor's
//! lines and its version (`POST /api/v1/devices/doctor`, codes and words about the device, no
//! personal data), periodically and after a change; the hub keeps the last report of each in
//! memory (a device sends it again at every connection) and `GET /api/v1/devices` lists it
//! beside the device's last-seen time.

use super::Hub;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// At most this many lines in a report, each field at most [`MAX_FIELD`] characters.
pub const MAX_LINES: usize = 40;
pub const MAX_FIELD: usize = 400;

/// A doctor line's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Pass,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorLine {
    pub mark: Mark,
    pub what: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// What a device sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorReport {
    pub version: String,
    pub lines: Vec<DoctorLine>,
}

/// What the hub keeps: the report and when it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    #[serde(flatten)]
    pub report: DoctorReport,
    pub at: DateTime<Utc>,
}

impl DoctorReport {
    /// What is wrong with a report, in words for its sender; None when it is fine.
    pub fn problem(&self) -> Option<String> {
        if self.lines.len() > MAX_LINES {
            return Some(format!(
                "at most {MAX_LINES} lines ({} sent)",
                self.lines.len()
            ));
        }
        let long = |s: &str| s.chars().count() > MAX_FIELD;
        if long(&self.version)
            || self
                .lines
                .iter()
                .any(|l| long(&l.what) || long(&l.detail) || l.fix.as_deref().is_some_and(long))
        {
            return Some(format!(
                "`version`, `what`, `detail` and `fix` are at most {MAX_FIELD} characters each"
            ));
        }
        None
    }
}

impl Hub {
    /// Keep device `id`'s report (replacing its last one).
    pub fn set_doctor_report(&self, id: u64, report: DoctorReport) {
        let at = self.now();
        super::lock(&self.inner.doctor).insert(id, Received { report, at });
    }

    /// The report of the device that runs the hub (its own checks, every few minutes).
    pub fn set_own_doctor_report(&self, report: DoctorReport) {
        let at = self.now();
        *super::lock(&self.inner.own_doctor) = Some(Received { report, at });
    }

    pub fn own_doctor_report(&self) -> Option<Received> {
        super::lock(&self.inner.own_doctor).clone()
    }

    /// Device `id`'s last report, if it sent one since the hub started.
    pub fn doctor_report(&self, id: u64) -> Option<Received> {
        super::lock(&self.inner.doctor).get(&id).cloned()
    }
}
