//! The standby's copy on disk: installing a base (a backup file from the hub: the database,
//! the identity taken out of it and written beside, the hub's history id), committing batches,
//! and `state` — how far the copy is durable and when the hub was last heard.

use super::{STATE_FILE, copy_dir};
use crate::store::{DB_FILE, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What went wrong on the standby's side.
#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    #[error("the standby's copy: {0}")]
    Store(#[from] StoreError),
    #[error(
        "cannot write {path}: {source}. Check that the data directory is writable and not full"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "this device is not paired with the hub, so it cannot be its standby: on the hub run `integra pair --role kiosk`, then here `integra join --pin PIN` (the token goes to {token})"
    )]
    NotPaired { token: PathBuf },
    #[error("the hub broke the replica protocol: {0}")]
    Protocol(String),
    #[error("cannot reach the hub: {0}")]
    Link(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StandbyError + '_ {
    move |source| StandbyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `standby/state`: the copy is durable up to `seq` (everything the standby acknowledged), of
/// the hub's history `history`, over base number `base` of the last connection; `heard` is
/// when the hub last sent anything (a ping included). Written after each acknowledgement
/// (write + rename; the database, not this file, is what is durable: its last event is `seq`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyState {
    pub seq: u64,
    pub history: String,
    pub base: u64,
    pub heard: DateTime<Utc>,
    /// The hub's address as this device reaches it.
    pub hub: String,
}

impl CopyState {
    /// The state of the copy under `data_dir` (the standby's data directory), if it has one.
    pub fn read(data_dir: &Path) -> Option<CopyState> {
        let text = std::fs::read_to_string(copy_dir(data_dir).join(STATE_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn write(&self, dir: &Path) -> Result<(), StandbyError> {
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.new"));
        let body = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(&tmp, body).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }
}

/// The copy being kept: its directory and its open database (none before the first base).
pub struct Copy {
    dir: PathBuf,
    store: Option<Store>,
    pub state: Option<CopyState>,
}

impl Copy {
    /// The copy under the standby's data directory `data_dir` (made 0700 if missing).
    pub fn open(data_dir: &Path) -> Result<Copy, StandbyError> {
        use std::os::unix::fs::PermissionsExt;
        let dir = copy_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(io(&dir))?;
        Ok(Copy {
            dir,
            store: None,
            state: CopyState::read(data_dir),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a base being received is written (0600, made empty here).
    pub fn incoming(&self) -> Result<(PathBuf, std::fs::File), StandbyError> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.dir.join(format!("{DB_FILE}.incoming"));
        let _ = std::fs::remove_file(&path);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        Ok((path, f))
    }

    /// Put a received base in place of the copy: the identity out of the file and beside it,
    /// the hub's history id, the database renamed over the old one. Durable when it returns.
    pub fn install_base(
        &mut self,
        file: &Path,
        seq: u64,
        base: u64,
        history: &str,
        hub: &str,
    ) -> Result<(), StandbyError> {
        crate::store::backup::verify(file)?;
        let identity = crate::store::identity::take(file)?;
        std::fs::File::open(file)
            .and_then(|f| f.sync_all())
            .map_err(io(file))?;
        if let Some(files) = &identity {
            // The same hub's identity is left as it is; another hub's is kept aside.
            let stamp = Utc::now().format("%Y%m%dT%H%M%S").to_string();
            crate::store::identity::write(&self.dir, files, &stamp)?;
        }
        // The old copy: everything into its main file, then closed (its WAL goes with it).
        if let Some(old) = self.store.take() {
            old.checkpoint()?;
        }
        let db = self.dir.join(DB_FILE);
        std::fs::rename(file, &db).map_err(io(&db))?;
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(self.dir.join(format!("{DB_FILE}{ext}")));
        }
        write_synced(
            &self.dir.join(crate::store::identity::HISTORY_FILE),
            history,
        )?;
        sync_dir(&self.dir)?;
        let store = Store::open_file(&db)?;
        let found = store.last_seq()?;
        if found != seq {
            return Err(StandbyError::Protocol(format!(
                "the base was announced at seq {seq} and holds {found}"
            )));
        }
        self.store = Some(store);
        self.durable(seq, base, history, hub)
    }

    /// Commit a batch of the hub's events after `after` (one transaction, durable on return).
    pub fn commit(
        &mut self,
        after: u64,
        events: &[crate::core::Stamped],
        keys: &[crate::store::idempotency::KeyRecord],
        snapshot: Option<&crate::core::State>,
    ) -> Result<u64, StandbyError> {
        let (Some(store), Some(state)) = (self.store.as_mut(), self.state.clone()) else {
            return Err(StandbyError::Protocol("a batch before any base".into()));
        };
        store.commit_keyed(after, events, snapshot, keys)?;
        let seq = events.last().map_or(after, |e| e.seq);
        self.durable(seq, state.base, &state.history, &state.hub)?;
        Ok(seq)
    }

    /// The hub spoke (a ping): remember when, at most once a second.
    pub fn heard(&mut self) -> Result<(), StandbyError> {
        let Some(mut state) = self.state.clone() else {
            return Ok(());
        };
        let now = Utc::now();
        if (now - state.heard).num_milliseconds() < 1000 {
            return Ok(());
        }
        state.heard = now;
        state.write(&self.dir)?;
        self.state = Some(state);
        Ok(())
    }

    fn durable(
        &mut self,
        seq: u64,
        base: u64,
        history: &str,
        hub: &str,
    ) -> Result<(), StandbyError> {
        let state = CopyState {
            seq,
            history: history.to_string(),
            base,
            heard: Utc::now(),
            hub: hub.to_string(),
        };
        state.write(&self.dir)?;
        self.state = Some(state);
        Ok(())
    }
}

fn write_synced(path: &Path, text: &str) -> Result<(), StandbyError> {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, format!("{text}\n")).map_err(io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<(), StandbyError> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}
