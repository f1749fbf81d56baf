//! Idempotency keys (the IETF httpapi draft's `Idempotency-Key`): which command a device's key
//! named and which events it made, written in the same transaction as those events — so a key
//! is durable exactly when its answer is, and a retry after a cut answers what was committed.
//! Scoped per device; kept [`KEEP_SECS`] and at most [`KEEP_PER_DEVICE`] per device.

use super::{Store, StoreError, decode_rows, seq_body};
use crate::core::Stamped;
use rusqlite::{OptionalExtension, Transaction, params};

/// A key is kept at least this long (two days) by the hub's clock.
pub const KEEP_SECS: i64 = 2 * 24 * 3600;
/// At most this many keys are kept per device (the oldest go first).
pub const KEEP_PER_DEVICE: i64 = 20_000;

/// How often (in keys written) the count per device is checked.
const PRUNE_EVERY: i64 = 512;

/// One command's key, to be committed with its events (and sent so to the hub's standby).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRecord {
    /// The device (token) that sent it: keys of different devices never meet.
    pub device: u64,
    pub key: String,
    /// SHA-256 of the command as sent: the same key with another command is refused.
    pub fingerprint: String,
    /// The command's events: `first..=last` in the log.
    pub first_seq: u64,
    pub last_seq: u64,
}

/// What the store knows of a device's key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyAnswer {
    /// Never committed (or forgotten): run the command.
    Unknown,
    /// Committed for the same command: these are its events, as first answered.
    Same(Vec<Stamped>),
    /// Committed for another command.
    Different,
}

impl Store {
    /// The answer committed for `device`'s `key`, if the command had the same `fingerprint`.
    pub fn key_answer(
        &self,
        device: u64,
        key: &str,
        fingerprint: &str,
    ) -> Result<KeyAnswer, StoreError> {
        let row: Option<(String, i64, i64)> = self
            .conn
            .query_row(
                "SELECT fingerprint, first_seq, last_seq FROM idempotency_keys
                 WHERE device = ?1 AND key = ?2",
                params![device as i64, key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((stored, first, last)) = row else {
            return Ok(KeyAnswer::Unknown);
        };
        if stored != fingerprint {
            return Ok(KeyAnswer::Different);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, body FROM events WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
        )?;
        let events = decode_rows(stmt.query_map([first, last], seq_body)?)?;
        Ok(KeyAnswer::Same(events))
    }
}

/// Record `keys` inside the commit of their events, and forget keys past their time.
pub(super) fn write_keys(
    tx: &Transaction,
    keys: &[KeyRecord],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let now = now.timestamp();
    for k in keys {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO idempotency_keys (device, key, fingerprint, first_seq, last_seq, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            k.device as i64,
            k.key,
            k.fingerprint,
            k.first_seq as i64,
            k.last_seq as i64,
            now
        ])?;
    }
    tx.prepare_cached("DELETE FROM idempotency_keys WHERE created < ?1")?
        .execute([now - KEEP_SECS])?;
    // The count per device is checked every [`PRUNE_EVERY`] keys (the check sorts a device's
    // keys): a device holds at most `KEEP_PER_DEVICE + PRUNE_EVERY`.
    if tx.last_insert_rowid() % PRUNE_EVERY >= keys.len() as i64 {
        return Ok(());
    }
    let devices: std::collections::BTreeSet<i64> = keys.iter().map(|k| k.device as i64).collect();
    for device in devices {
        // The newest key past the bound, if there are that many: it and older ones go.
        let cutoff: Option<i64> = tx
            .prepare_cached(
                "SELECT rowid FROM idempotency_keys WHERE device = ?1
                 ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
            )?
            .query_row(params![device, KEEP_PER_DEVICE], |r| r.get(0))
            .optional()?;
        if let Some(cutoff) = cutoff {
            tx.prepare_cached("DELETE FROM idempotency_keys WHERE device = ?1 AND rowid <= ?2")?
                .execute(params![device, cutoff])?;
        }
    }
    Ok(())
}
