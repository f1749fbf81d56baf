//! Paired devices and pairing PINs. Only hashes of PINs and tokens are stored: a copy of the
//! database (a backup on a USB stick) gives nobody a working token.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

/// A device (kiosk, counter terminal, display, staff browser) that paired with the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: u64,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One entry of the security log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityEvent {
    pub at: DateTime<Utc>,
    /// revoked, unpaired, lockout
    pub kind: String,
    /// The device ("NAME (ROLE) #ID") or the address.
    pub target: String,
    /// Who did it (a device's name, or "command line").
    pub by: String,
}

fn parse_time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn row_device(r: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: r.get::<_, i64>(0)? as u64,
        name: r.get(1)?,
        role: r.get(2)?,
        created_at: parse_time(Some(r.get(3)?)).unwrap_or_default(),
        last_seen: parse_time(r.get(4)?),
        revoked_at: parse_time(r.get(5)?),
    })
}

const DEVICE_COLUMNS: &str = "id, name, role, created_at, last_seen, revoked_at";

impl Store {
    /// Remember a one-time pairing PIN (its hash) for a role until `expires_at`.
    pub fn add_pairing_pin(
        &self,
        pin_hash: &str,
        role: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM pairing_pins WHERE expires_at < ?1 OR used_at IS NOT NULL",
            [now.to_rfc3339()],
        )?;
        self.conn.execute(
            "INSERT OR REPLACE INTO pairing_pins (pin_hash, role, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![pin_hash, role, now.to_rfc3339(), expires_at.to_rfc3339()],
        )?;
        Ok(())
    }

    /// The hashes of the PINs that can pair a device now, the newest first (at most `limit`).
    pub fn open_pairing_pins(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut q = self.conn.prepare(
            "SELECT pin_hash FROM pairing_pins WHERE used_at IS NULL AND expires_at >= ?1
             ORDER BY created_at DESC, rowid DESC LIMIT ?2",
        )?;
        let rows = q.query_map(params![now.to_rfc3339(), limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<String>, _>>()?)
    }

    /// Use a PIN: when it exists, is unused and has not expired, mark it used and register the
    /// device with its token hash, in one transaction. `None` when the PIN is not valid.
    pub fn redeem_pairing_pin(
        &mut self,
        pin_hash: &str,
        device_name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let role: Option<String> = tx
            .query_row(
                "SELECT role FROM pairing_pins
                 WHERE pin_hash = ?1 AND used_at IS NULL AND expires_at >= ?2",
                params![pin_hash, now.to_rfc3339()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(role) = role else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE pairing_pins SET used_at = ?2 WHERE pin_hash = ?1",
            params![pin_hash, now.to_rfc3339()],
        )?;
        tx.execute(
            "INSERT INTO devices (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![device_name, role, token_hash, now.to_rfc3339()],
        )?;
        let id = tx.last_insert_rowid();
        let device = tx.query_row(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
            [id],
            row_device,
        )?;
        tx.commit()?;
        Ok(Some(device))
    }

    /// The device holding this token, unless it was revoked.
    pub fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL"
        ))?;
        Ok(stmt.query_row([token_hash], row_device).optional()?)
    }

    /// Whether device `id` is unknown or revoked (one lookup by its key).
    pub fn device_revoked(&self, id: u64) -> Result<bool, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT revoked_at IS NOT NULL FROM devices WHERE id = ?1")?;
        Ok(stmt
            .query_row([id as i64], |r| r.get::<_, bool>(0))
            .optional()?
            .unwrap_or(true))
    }

    /// Note when a device was last heard from.
    pub fn device_seen(&self, id: u64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
            params![id as i64, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Every paired device, revoked ones included, oldest first.
    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY id"))?;
        let rows = stmt.query_map([], row_device)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The ids of revoked devices.
    pub fn revoked_ids(&self) -> Result<std::collections::BTreeSet<u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM devices WHERE revoked_at IS NOT NULL")?;
        let rows = stmt.query_map([], |r| r.get::<_, i64>(0))?;
        let mut out = std::collections::BTreeSet::new();
        for r in rows {
            out.insert(r? as u64);
        }
        Ok(out)
    }

    /// Record a security event (a device unpaired or revoked, a pairing lockout) for the audit
    /// log.
    pub fn log_security(
        &self,
        at: DateTime<Utc>,
        kind: &str,
        target: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO security_log (at, kind, target, by) VALUES (?1, ?2, ?3, ?4)",
            params![at.to_rfc3339(), kind, target, by],
        )?;
        Ok(())
    }

    /// Security events, newest first.
    pub fn security_log(&self, limit: usize) -> Result<Vec<SecurityEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, kind, target, by FROM security_log ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(SecurityEvent {
                at: parse_time(Some(r.get(0)?)).unwrap_or_default(),
                kind: r.get(1)?,
                target: r.get(2)?,
                by: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Revoke a device's token. `false` when there is no such device.
    pub fn revoke_device(&self, id: u64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
            params![id as i64, now.to_rfc3339()],
        )?;
        Ok(n > 0)
    }

    /// Whether the setup code named by `mark` was spent (`security_log` keeps the spending,
    /// kind "setup-code", by "setup code MARK": the audit line is the durable record).
    pub fn setup_code_spent(&self, mark: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM security_log WHERE kind = 'setup-code' AND by = ?1 LIMIT 1",
                [format!("setup code {mark}")],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// How many admin devices can reach the hub now (not revoked).
    pub fn admins(&self) -> Result<usize, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM devices WHERE role = 'admin' AND revoked_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as usize)
    }

    /// Spend the setup code named by `mark` for a new admin device: register it and record the
    /// spending in the audit log, in one transaction. `None` when the code was spent already.
    pub fn redeem_setup_code(
        &mut self,
        mark: &str,
        device_name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError> {
        let by = format!("setup code {mark}");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let spent = tx
            .query_row(
                "SELECT 1 FROM security_log WHERE kind = 'setup-code' AND by = ?1 LIMIT 1",
                [&by],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if spent {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO devices (name, role, token_hash, created_at) VALUES (?1, 'admin', ?2, ?3)",
            params![device_name, token_hash, now.to_rfc3339()],
        )?;
        let id = tx.last_insert_rowid();
        let device = tx.query_row(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
            [id],
            row_device,
        )?;
        tx.execute(
            "INSERT INTO security_log (at, kind, target, by) VALUES (?1, 'setup-code', ?2, ?3)",
            params![
                now.to_rfc3339(),
                format!("{} ({}) #{}", device.name, device.role, device.id),
                by
            ],
        )?;
        tx.commit()?;
        Ok(Some(device))
    }
}
