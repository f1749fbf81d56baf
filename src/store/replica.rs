//! What the hub reads for its standby (`hub::replica`): the log after a point, in bounded
//! batches, with the idempotency keys and the newest snapshot those events carry — the same
//! rows its commits wrote, so the standby's `commit_keyed` writes the same copy.

use super::{Store, StoreError, decode_rows, seq_body};
use crate::core::{Stamped, State};
use crate::store::idempotency::KeyRecord;
use rusqlite::OptionalExtension;

/// One batch for the standby: events after a point, their keys, the newest snapshot among them.
pub struct Batch {
    pub events: Vec<Stamped>,
    pub keys: Vec<KeyRecord>,
    pub snapshot: Option<State>,
}

impl Store {
    /// At most `limit` events after `after` (and no further than `upto`), with their keys and
    /// the newest snapshot taken among them.
    pub fn replica_batch(&self, after: u64, upto: u64, limit: usize) -> Result<Batch, StoreError> {
        let conn = self.connection();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, body FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
        )?;
        let events =
            decode_rows(stmt.query_map([after as i64, upto as i64, limit as i64], seq_body)?)?;
        let last = events.last().map_or(after, |e| e.seq);
        let mut stmt = conn.prepare_cached(
            "SELECT device, key, fingerprint, first_seq, last_seq FROM idempotency_keys
             WHERE last_seq > ?1 AND last_seq <= ?2",
        )?;
        let keys = stmt
            .query_map([after as i64, last as i64], |r| {
                Ok(KeyRecord {
                    device: r.get::<_, i64>(0)? as u64,
                    key: r.get(1)?,
                    fingerprint: r.get(2)?,
                    first_seq: r.get::<_, i64>(3)? as u64,
                    last_seq: r.get::<_, i64>(4)? as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let snapshot: Option<(i64, String)> = conn
            .query_row(
                "SELECT seq, body FROM snapshots WHERE seq > ?1 AND seq <= ?2
                 ORDER BY seq DESC LIMIT 1",
                [after as i64, last as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let snapshot = snapshot
            .map(|(seq, body)| {
                serde_json::from_str(&body).map_err(|source| StoreError::Decode {
                    seq: seq as u64,
                    source,
                })
            })
            .transpose()?;
        Ok(Batch {
            events,
            keys,
            snapshot,
        })
    }

    /// Move everything in the WAL into the database file and empty the WAL (before the file is
    /// replaced: the standby installing a new base).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.connection()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}
