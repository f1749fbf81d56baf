//! Acknowledgements of urgent protection requests: which staff device saw the alert, and when.
//! Kept beside the event log (not in it), so that no lobby device ever receives a trace of it.

use super::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;

/// One acknowledgement of an urgent protection request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    pub ticket: u64,
    pub label: String,
    pub day: NaiveDate,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Record that `by` acknowledged the request of ticket `ticket`. `false` when it had been
    /// acknowledged already (the first acknowledgement stays).
    pub fn acknowledge(&self, a: &Acknowledgement) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO acknowledgements (ticket, label, day, by, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                a.ticket as i64,
                a.label,
                a.day.to_string(),
                a.by,
                a.at.to_rfc3339()
            ],
        )?;
        Ok(n == 1)
    }

    /// Acknowledgements, newest first (at most `limit`).
    pub fn acknowledgements(&self, limit: usize) -> Result<Vec<Acknowledgement>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT ticket, label, day, by, at FROM acknowledgements ORDER BY at DESC, ticket DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (ticket, label, day, by, at) = row?;
            out.push(Acknowledgement {
                ticket: ticket as u64,
                label,
                day: day.parse().unwrap_or_default(),
                by,
                at: DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
