//! Follow links and visitors' feedback, kept beside the event log (never streamed: a rating
//! on a device's screen would point at the visitor who just left a counter).
//!
//! Anonymous by construction: a feedback row has a random key, its day and service, the face
//! and the tick-boxes — no ticket, no time of day, no insertion order. Which tickets already
//! answered is kept apart, only so that each answers once.

use super::{Store, StoreError};
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

pub use crate::report::{Feedback, FeedbackFact};

impl Store {
    /// The key follow links are made with: made once (32 random bytes), kept in the database
    /// so that links printed before a restart still open.
    pub fn follow_key(&self) -> Result<[u8; 32], StoreError> {
        let read = |s: &Store| -> Result<Option<Vec<u8>>, StoreError> {
            Ok(s.conn
                .query_row("SELECT key FROM follow_key WHERE id = 1", [], |r| r.get(0))
                .optional()?)
        };
        if let Some(k) = read(self)?
            && let Ok(k) = <[u8; 32]>::try_from(k.as_slice())
        {
            return Ok(k);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| StoreError::Failed(format!("no randomness for the follow key: {e}")))?;
        // Another program may have made it at the same moment: the first one stays.
        self.conn.execute(
            "INSERT OR IGNORE INTO follow_key (id, key) VALUES (1, ?1)",
            [key.as_slice()],
        )?;
        read(self)?
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            .ok_or_else(|| StoreError::Failed("the follow key does not read back".into()))
    }

    /// Record a visitor's answer for ticket `ticket` of `day`, once: `false` (and nothing
    /// stored) when that ticket already answered.
    pub fn record_feedback(
        &mut self,
        day: NaiveDate,
        ticket: u64,
        service: &str,
        f: Feedback,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO feedback_given (day, ticket) VALUES (?1, ?2)",
            params![day.to_string(), ticket as i64],
        )? == 1;
        if fresh {
            let mut key = [0u8; 8];
            getrandom::fill(&mut key)
                .map_err(|e| StoreError::Failed(format!("no randomness: {e}")))?;
            // A random key (not the next rowid): the order of rows says nothing.
            let key = i64::from_le_bytes(key) & i64::MAX;
            tx.execute(
                "INSERT INTO feedback (key, day, service, rating, waited_too_long, not_understood, got_what_needed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    key,
                    day.to_string(),
                    service,
                    f.rating,
                    f.waited_too_long,
                    f.not_understood,
                    f.got_what_needed
                ],
            )?;
        }
        tx.commit()?;
        Ok(fresh)
    }

    /// Whether ticket `ticket` of `day` has answered.
    pub fn feedback_given(&self, day: NaiveDate, ticket: u64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM feedback_given WHERE day = ?1 AND ticket = ?2",
                params![day.to_string(), ticket as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Every answer of the local days `from..=to`.
    pub fn feedback(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FeedbackFact>, StoreError> {
        Ok(self
            .feedback_between(&from.to_string(), &to.to_string())?
            .into_iter()
            .map(|(_, f)| f)
            .collect())
    }

    /// The answers of the days `from..=to` (ISO dates, compared as text), each with its random
    /// key, by day, service and face.
    pub(crate) fn feedback_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(i64, FeedbackFact)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, day, service, rating, waited_too_long, not_understood, got_what_needed
             FROM feedback WHERE day BETWEEN ?1 AND ?2 ORDER BY day, service, rating",
        )?;
        let rows = stmt.query_map([from, to], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u8>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, day, service, rating, waited_too_long, not_understood, got_what_needed) =
                row?;
            let Ok(day) = day.parse() else { continue };
            out.push((
                key,
                FeedbackFact {
                    day,
                    service,
                    feedback: Feedback {
                        rating,
                        waited_too_long,
                        not_understood,
                        got_what_needed,
                    },
                },
            ));
        }
        Ok(out)
    }
}
