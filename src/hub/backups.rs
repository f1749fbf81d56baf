//! Automatic backups (issue #32): the hub copies its data *and its identity* (key and
//! certificate, see `store::identity`) to a USB stick it finds mounted, while the log moves
//! and when the day turns; keeps the newest file of each of the last N days; shows on the admin
//! page when and where the last one went; raises a staff alert when none has succeeded for a
//! day. A new card restores a named backup at its first start (`restore_at_start`), never over
//! existing data.
//!
//! Destinations: only the stick today. The standby of issue #32 point 3 (not built yet) is the
//! second [`Destination`]: a backup there would be the standby's own live copy of the log.

use super::{AlertKind, Hub, lock};
use crate::device::settings::BackupSettings;
use crate::store::backup::BackupInfo;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Backup files are named `integra-backup-YYYY-MM-DD.sqlite3` (the center's date when made).
pub const PREFIX: &str = "integra-backup-";
pub const SUFFIX: &str = ".sqlite3";
/// No backup for this long raises the staff alert.
pub const MISSING_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Where a backup goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A directory where a stick is mounted (`[backup] dir`).
    Stick(PathBuf),
    // The standby device (issue #32 point 3) joins here when it exists.
}

/// A backup made.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Done {
    pub at: DateTime<Utc>,
    pub file: PathBuf,
    pub bytes: u64,
    pub seq: u64,
    pub events: u64,
    pub identity: bool,
    /// How long it took (ms).
    pub millis: u64,
}

/// A restore made at this start.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Restored {
    pub file: PathBuf,
    pub at: DateTime<Utc>,
    pub seq: u64,
    pub identity: bool,
}

/// What the admin page shows about backups.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// Where automatic backups go (None: they are off on this hub).
    pub dir: Option<PathBuf>,
    pub last: Option<Done>,
    /// Why the last attempt failed (cleared by a success).
    pub problem: Option<String>,
    /// Since when the hub has been trying (the alert's clock before a first success).
    pub since: Option<DateTime<Utc>>,
    pub restored: Option<Restored>,
}

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "no backup stick: {dir} does not exist (plug in the stick labelled INTEGRA-BAK, or set [backup] dir)"
    )]
    NoDir { dir: PathBuf },
    #[error(
        "no backup stick: nothing is mounted at {dir} (plug in the stick labelled INTEGRA-BAK; the hub does not write backups onto its own card)"
    )]
    NotMounted { dir: PathBuf },
    #[error("cannot write the backup in {dir}: {source} (is the stick full or write-protected?)")]
    Write {
        dir: PathBuf,
        source: crate::store::StoreError,
    },
    #[error("cannot read the hub's data to back it up: {0}")]
    Read(crate::store::StoreError),
}

/// Whether `dir` is where a file system is mounted (its device differs from its parent's).
fn is_mount_point(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let parent = dir.join("..");
    match (std::fs::metadata(dir), std::fs::metadata(parent)) {
        (Ok(d), Ok(p)) => d.dev() != p.dev() || d.ino() == p.ino(),
        (Err(_), _) | (_, Err(_)) => false,
    }
}

/// Check that a backup may be written in `dir`.
pub fn check_dir(settings: &BackupSettings) -> Result<Destination, BackupError> {
    let dir = settings.dir.clone();
    if !dir.is_dir() {
        return Err(BackupError::NoDir { dir });
    }
    if settings.require_mount && !is_mount_point(&dir) {
        return Err(BackupError::NotMounted { dir });
    }
    Ok(Destination::Stick(dir))
}

/// The backup files in `dir`, oldest first (by the date in their names).
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Remove the oldest backups beyond `keep`, never `newest` (the one just written: a clock set
/// years back names it oldest).
fn prune(dir: &Path, keep: u32, newest: &Path) {
    let files: Vec<PathBuf> = files_in(dir).into_iter().filter(|f| f != newest).collect();
    let extra = (files.len() + 1).saturating_sub(keep as usize);
    for f in files.iter().take(extra) {
        match std::fs::remove_file(f) {
            Ok(()) => log::info!("old backup {} removed (keeping {keep})", f.display()),
            Err(e) => log::warn!("cannot remove the old backup {}: {e}", f.display()),
        }
    }
}

impl Hub {
    /// Make a backup now into `settings.dir` (checked to be a mounted stick), named after the
    /// center's date at `now`; older days beyond `keep` are removed.
    pub fn backup_now(
        &self,
        settings: &BackupSettings,
        now: DateTime<Utc>,
    ) -> Result<Done, BackupError> {
        // One destination today (the standby's joins the enum with point 3).
        let Destination::Stick(dir) = check_dir(settings)?;
        let day = now
            .with_timezone(&self.catalog().center.timezone)
            .date_naive();
        let file = dir.join(format!("{PREFIX}{day}{SUFFIX}"));
        let started = std::time::Instant::now();
        let store = self.side_store().map_err(BackupError::Read)?;
        let info: BackupInfo = store
            .backup_to(&file)
            .map_err(|source| BackupError::Write {
                dir: dir.clone(),
                source,
            })?;
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        prune(&dir, settings.keep, &file);
        Ok(Done {
            at: now,
            file,
            bytes,
            seq: info.last_seq,
            events: info.events,
            identity: info.identity,
            millis,
        })
    }

    /// One step of the automatic backups at `now`: make a backup when due — none yet on this
    /// center's date, or the log moved and `every_minutes` passed since the last — then raise
    /// or clear the "no backup for a day" alert. Returns the backup made, if any.
    pub fn backup_tick(
        &self,
        settings: &BackupSettings,
        now: DateTime<Utc>,
    ) -> Result<Option<Done>, BackupError> {
        let seq = self.session().queue().seq();
        let zone = self.catalog().center.timezone;
        let due = {
            let mut st = lock(&self.inner.backups);
            st.dir = Some(settings.dir.clone());
            st.since.get_or_insert(now);
            match &st.last {
                None => true,
                Some(last) => {
                    let new_day = last.at.with_timezone(&zone).date_naive()
                        != now.with_timezone(&zone).date_naive();
                    let every = chrono::TimeDelta::minutes(i64::from(settings.every_minutes));
                    new_day || (seq != last.seq && now - last.at >= every)
                }
            }
        };
        let result = if due {
            Some(self.backup_now(settings, now))
        } else {
            None
        };
        let made = {
            let mut st = lock(&self.inner.backups);
            match result {
                Some(Ok(done)) => {
                    log::info!(
                        "backup written to {} ({} bytes, up to seq {}, {} ms)",
                        done.file.display(),
                        done.bytes,
                        done.seq,
                        done.millis
                    );
                    st.problem = None;
                    st.last = Some(done.clone());
                    Ok(Some(done))
                }
                Some(Err(e)) => {
                    let why = e.to_string();
                    if st.problem.as_deref() != Some(why.as_str()) {
                        log::warn!("no backup: {why}");
                    }
                    st.problem = Some(why);
                    Err(e)
                }
                None => Ok(None),
            }
        };
        self.check_backup_alert(now);
        made
    }

    /// Raise the staff alert when no backup has succeeded for a day (counted from the last
    /// success, or from when the hub started trying); clear it otherwise.
    fn check_backup_alert(&self, now: DateTime<Utc>) {
        let (reference, problem) = {
            let st = lock(&self.inner.backups);
            (
                st.last.as_ref().map(|d| d.at).or(st.since),
                st.problem.clone(),
            )
        };
        let overdue = reference.is_some_and(|r| now - r >= MISSING_AFTER);
        let message = overdue.then(|| {
            format!(
                "no backup for a day: {}",
                problem.unwrap_or_else(|| "the last attempts did not finish".into())
            )
        });
        self.inner.hub_alert(AlertKind::BackupMissing, message);
    }

    /// A fresh backup for an admin to download: written beside the database, opened, and its
    /// name removed at once (only the open file is left, read by the download; nothing stays
    /// on the card). Returns the open file and its size.
    pub fn backup_for_download(&self) -> Result<(std::fs::File, u64), BackupError> {
        let store = self.side_store().map_err(BackupError::Read)?;
        let dir = store
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut nonce = [0u8; 8];
        let _ = getrandom::fill(&mut nonce);
        let tag: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!("download-{tag}{SUFFIX}"));
        let write = |source| BackupError::Write {
            dir: dir.clone(),
            source,
        };
        store.backup_to(&path).map_err(write)?;
        let opened = std::fs::File::open(&path);
        let _ = std::fs::remove_file(&path);
        let file = opened.map_err(|source| {
            write(crate::store::StoreError::Dir {
                path: path.clone(),
                source,
            })
        })?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok((file, size))
    }

    /// What the admin page shows about backups.
    pub fn backup_status(&self) -> Status {
        lock(&self.inner.backups).clone()
    }

    /// Note the backups already on the stick (after a restart: the newest counts as the last
    /// backup, so the alert's day runs from it) and a restore made at this start.
    pub fn backups_found(&self, settings: &BackupSettings, restored: Option<Restored>) {
        let mut st = lock(&self.inner.backups);
        st.dir = Some(settings.dir.clone());
        st.restored = restored;
        if st.last.is_some() {
            return;
        }
        let Some(newest) = files_in(&settings.dir).pop() else {
            return;
        };
        let Ok(meta) = std::fs::metadata(&newest) else {
            return;
        };
        let at: Option<DateTime<Utc>> = meta.modified().ok().map(DateTime::<Utc>::from);
        if let Some(at) = at {
            st.last = Some(Done {
                at,
                bytes: meta.len(),
                file: newest,
                // Unknown until the next backup: one is made once the log has moved.
                seq: 0,
                events: 0,
                identity: true,
                millis: 0,
            });
        }
    }

    /// Run the automatic backups on a thread of their own: a step every minute, and at once
    /// when the day turns (the day's end). Stops when the handle is dropped.
    pub fn start_backups(&self, settings: BackupSettings) -> Runner {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let hub = self.clone();
        let mut pushes = self.subscribe();
        let spawned = std::thread::Builder::new()
            .name("backups".into())
            .spawn(move || {
                let mut next = std::time::Instant::now();
                loop {
                    let mut day_turned = false;
                    loop {
                        match pushes.try_recv() {
                            Ok(super::Push::Event(e)) => {
                                if matches!(e.event, crate::core::Event::DayStarted { .. }) {
                                    day_turned = true;
                                }
                            }
                            Ok(super::Push::Alerts(_))
                            | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
                            Err(
                                tokio::sync::broadcast::error::TryRecvError::Empty
                                | tokio::sync::broadcast::error::TryRecvError::Closed,
                            ) => break,
                        }
                    }
                    if day_turned || std::time::Instant::now() >= next {
                        // Errors are on the admin page and, after a day, in the alert.
                        let _ = hub.backup_tick(&settings, hub.now());
                        next = std::time::Instant::now() + Duration::from_secs(60);
                    }
                    match stopped.recv_timeout(Duration::from_secs(1)) {
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
        if let Err(e) = &spawned {
            log::error!("cannot start the backup thread: {e}; no automatic backups");
        }
        Runner { _stop: stop }
    }
}

/// The automatic backups' thread; it stops when this is dropped.
pub struct Runner {
    _stop: std::sync::mpsc::Sender<()>,
}

/// Why a new card was not restored at its first start.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "[backup] restore = \"latest\" but {dir} holds no backup (integra-backup-DATE.sqlite3): plug in the stick, or name the file"
    )]
    NoBackup { dir: PathBuf },
    #[error("cannot restore {file}: {source}")]
    Store {
        file: PathBuf,
        source: crate::store::StoreError,
    },
}

/// At the hub's start: when `[backup] restore` names a backup and the data directory holds no
/// data yet (a new card), restore it — the data and the hub's identity. Existing data is never
/// replaced this way (the setting is then ignored, with a word in the log): a restore over
/// data is `integra restore`.
pub fn restore_at_start(
    data_dir: &Path,
    settings: &BackupSettings,
    now: DateTime<Utc>,
) -> Result<Option<Restored>, RestoreError> {
    let Some(which) = settings.restore.as_deref() else {
        return Ok(None);
    };
    let has_data = [
        crate::store::DB_FILE,
        super::tls::KEY_FILE,
        super::tls::CERT_FILE,
    ]
    .iter()
    .any(|f| data_dir.join(f).exists());
    if has_data {
        log::info!(
            "[backup] restore is set, but {} already holds data: nothing restored (remove the restore line from integra.toml)",
            data_dir.display()
        );
        return Ok(None);
    }
    let file = match which {
        "latest" => files_in(&settings.dir)
            .pop()
            .ok_or_else(|| RestoreError::NoBackup {
                dir: settings.dir.clone(),
            })?,
        path => PathBuf::from(path),
    };
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let (info, _) = crate::store::backup::restore(data_dir, &file, &stamp).map_err(|source| {
        RestoreError::Store {
            file: file.clone(),
            source,
        }
    })?;
    log::warn!(
        "restored {} onto this new card: {} events (up to seq {}), {}",
        file.display(),
        info.events,
        info.last_seq,
        if info.identity {
            "with the hub's identity: paired devices and browsers carry on"
        } else {
            "WITHOUT the hub's identity (an old backup): pair every device again"
        }
    );
    Ok(Some(Restored {
        file,
        at: now,
        seq: info.last_seq,
        identity: info.identity,
    }))
}
