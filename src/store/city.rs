//! The hub's side of the city link: this center's stable id, the events and feedback to send
//! (read on a connection of the replicator's own), and how the link is doing (for the doctor
//! and the "down for more than a day" alert, which must survive a restart).

use super::{Store, StoreError};
use crate::core::Stamped;
use crate::report::FeedbackFact;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

/// How the link to the city database went, as last recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityStatus {
    /// The last event sequence number the city database acknowledged.
    pub acked_seq: u64,
    /// The last time a batch (or an empty check) went through.
    pub last_ok: Option<DateTime<Utc>>,
    /// Since when the link has failed without a success in between.
    pub down_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// This center's stable id (32 hex digits, made when the database was created).
    pub fn center_id(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT center FROM center_identity WHERE id = 1", [], |r| {
                r.get(0)
            })?)
    }

    /// Give this database a new center id — for a data directory copied from another
    /// center's hub (a cloned card), which must not send its figures as the other's.
    pub fn new_center_id(&self) -> Result<String, StoreError> {
        self.conn.execute(
            "UPDATE center_identity SET center = lower(hex(randomblob(16))) WHERE id = 1",
            [],
        )?;
        self.conn.execute("DELETE FROM city_link", [])?;
        self.center_id()
    }

    /// At most `limit` events after `seq`, in order.
    pub fn events_batch(&self, seq: u64, limit: usize) -> Result<Vec<Stamped>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        super::decode_rows(stmt.query_map(params![seq as i64, limit as i64], super::seq_body)?)
    }

    /// Every feedback row of `from` and later (all when `None`), with its random key.
    pub fn feedback_rows(
        &self,
        from: Option<NaiveDate>,
    ) -> Result<Vec<(i64, FeedbackFact)>, StoreError> {
        let from = from.map(|d| d.to_string()).unwrap_or_default();
        // ISO dates compare as text; "9999-12-31" is after any day kept.
        self.feedback_between(&from, "9999-12-31")
    }

    pub fn city_status(&self) -> Result<CityStatus, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT acked_seq, last_ok, down_since, last_error FROM city_link WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(row
            .map(|(acked, ok, down, error)| CityStatus {
                acked_seq: acked.max(0) as u64,
                last_ok: time(ok),
                down_since: time(down),
                last_error: error,
            })
            .unwrap_or_default())
    }

    pub fn set_city_status(&self, s: &CityStatus) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO city_link (id, acked_seq, last_ok, down_since, last_error)
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![
                s.acked_seq as i64,
                s.last_ok.map(|t| t.to_rfc3339()),
                s.down_since.map(|t| t.to_rfc3339()),
                s.last_error,
            ],
        )?;
        Ok(())
    }
}
