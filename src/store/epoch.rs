//! The hub's fencing epoch (issue #32 point 3): which generation of hub this database is, and
//! whether it was replaced. A promoted standby's copy gets the epoch above every one seen; a
//! hub that hears of a higher epoch records it here and steps down for good (a restart reads
//! it back and does not resume issuing). Also the address of the hub's standby, as the
//! replication last told it: where a returning hub asks whether it was replaced.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;

/// What the database says of its hub's generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// This hub's epoch (1 for every hub that was never promoted).
    pub epoch: u64,
    /// Set once a higher epoch was seen: this hub stepped down for good.
    pub replaced: Option<Replaced>,
    /// The standby's address (`https://IP:PORT`), as the replication last recorded it.
    pub standby: Option<String>,
}

/// The hub that replaced this one, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The higher epoch seen.
    pub by_epoch: u64,
    pub at: DateTime<Utc>,
}

impl Store {
    /// The fence as stored.
    pub fn fence(&self) -> Result<Fence, StoreError> {
        let row = self.conn.query_row(
            "SELECT epoch, replaced_by, replaced_at, standby FROM hub_epoch WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )?;
        let (epoch, by, at, standby) = row;
        let replaced = match (by, at) {
            (Some(by), Some(at)) => Some(Replaced {
                by_epoch: by.max(0) as u64,
                at: DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            }),
            (Some(by), None) => Some(Replaced {
                by_epoch: by.max(0) as u64,
                at: DateTime::<Utc>::UNIX_EPOCH,
            }),
            (None, _) => None,
        };
        Ok(Fence {
            epoch: epoch.max(1) as u64,
            replaced,
            standby,
        })
    }

    /// Promote this copy: its epoch becomes `above + 1` (never lower than its own + 1), durably,
    /// and it is no longer replaced nor has a standby (it is the hub now). The new epoch.
    pub fn promote_epoch(&self, above: u64) -> Result<u64, StoreError> {
        let own = self.fence()?.epoch;
        let next = own.max(above) + 1;
        self.conn.execute(
            "UPDATE hub_epoch SET epoch = ?1, replaced_by = NULL, replaced_at = NULL, standby = NULL WHERE id = 1",
            params![next as i64],
        )?;
        Ok(next)
    }

    /// Record (durably) that a hub of `by_epoch` replaced this one. Only a higher epoch than
    /// this hub's counts; a second, higher one is kept.
    pub fn step_down(&self, by_epoch: u64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE hub_epoch SET replaced_by = ?1, replaced_at = ?2
             WHERE id = 1 AND epoch < ?1 AND (replaced_by IS NULL OR replaced_by < ?1)",
            params![by_epoch as i64, at.to_rfc3339()],
        )?;
        Ok(n > 0)
    }

    /// Record where the standby is (or that there is none).
    pub fn set_standby_address(&self, address: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE hub_epoch SET standby = ?1 WHERE id = 1",
            params![address],
        )?;
        Ok(())
    }
}
