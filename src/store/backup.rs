//! Backup and restore. A backup is a consistent copy taken with SQLite's online backup while the
//! hub keeps running, with the hub's key and certificate inside (`identity`): one file that
//! gives back the same hub, as secret as the data (mode 0600). A restore checks the file first,
//! refuses another program's file or a newer version's, keeps the previous data aside, and
//! starts a new history id so that devices reload from the restored hub.

use super::{APPLICATION_ID, DB_FILE, Store, StoreError, schema_version};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What a backup file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub schema: usize,
    pub events: u64,
    pub last_seq: u64,
    pub tickets: u64,
    /// Whether the file holds the hub's key and certificate (a backup made before they were
    /// included does not: restored, devices must be paired again).
    pub identity: bool,
}

fn busy(path: &Path) -> StoreError {
    StoreError::Busy {
        path: path.to_path_buf(),
    }
}

impl Store {
    /// Copy the whole database to `dest` as one consistent snapshot (the hub may keep writing).
    /// The file appears complete or not at all.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupInfo, StoreError> {
        let tmp = with_suffix(dest, ".partial");
        let _ = std::fs::remove_file(&tmp);
        private_file(&tmp)?;
        {
            let mut out = Connection::open(&tmp).map_err(|source| StoreError::Open {
                path: tmp.clone(),
                source,
            })?;
            let backup = Backup::new(self.connection(), &mut out)?;
            // All pages in one step: one read transaction, so one consistent state. WAL lets
            // writers go on meanwhile.
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => continue,
                    StepResult::Busy | StepResult::Locked => {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    _ => return Err(busy(self.path())),
                }
            }
            drop(backup);
            out.pragma_update(None, "journal_mode", "DELETE")?;
            if let Some(dir) = self.path().parent() {
                super::identity::put(&out, dir)?;
            }
        }
        let info = verify(&tmp)?;
        let f = std::fs::File::open(&tmp).map_err(|source| StoreError::Dir {
            path: tmp.clone(),
            source,
        })?;
        f.sync_all().map_err(|source| StoreError::Dir {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, dest).map_err(|source| StoreError::Dir {
            path: dest.to_path_buf(),
            source,
        })?;
        Ok(info)
    }
}

/// Make `path` an empty file only its owner may read (before the data goes in).
fn private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|source| StoreError::Dir {
            path: path.to_path_buf(),
            source,
        })
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

enum Header {
    NotSqlite,
    Sqlite,
    /// A SQLite file shorter than its header says (cut off while copying).
    Truncated(String),
}

/// Look at a file's SQLite header: is it SQLite at all, and is it whole?
fn header_check(path: &Path) -> Result<Header, StoreError> {
    use std::io::Read;
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let io = |source| StoreError::Dir {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(100);
    f.by_ref().take(100).read_to_end(&mut head).map_err(io)?;
    let n = head.len().min(MAGIC.len());
    if head.is_empty() {
        return Ok(Header::Truncated("it is empty (0 bytes)".into()));
    }
    if head[..n] != MAGIC[..n] {
        return Ok(Header::NotSqlite);
    }
    if head.len() < 100 {
        return Ok(Header::Truncated(format!(
            "it is cut off: {len} bytes, not even a whole header"
        )));
    }
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536u64,
        p => u64::from(p),
    };
    let pages = u64::from(u32::from_be_bytes([head[28], head[29], head[30], head[31]]));
    // The page count in the header is valid only when this matches the change counter.
    let valid = head[24..28] == head[92..96];
    let expected = page_size * pages;
    if valid && pages > 0 && len < expected {
        return Ok(Header::Truncated(format!(
            "it is cut off: {len} bytes of the {expected} its header announces"
        )));
    }
    Ok(Header::Sqlite)
}

/// Check a backup file without changing it: an Integra database, of a schema this program
/// knows, that passes SQLite's integrity check.
pub fn verify(path: &Path) -> Result<BackupInfo, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Dir {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
        });
    }
    // A cut-off copy (a USB stick pulled out too early) is called what it is, not "another
    // program's file".
    let sqlite = match header_check(path)? {
        Header::NotSqlite => false,
        Header::Sqlite => true,
        Header::Truncated(detail) => {
            return Err(StoreError::Damaged {
                path: path.to_path_buf(),
                detail,
            });
        }
    };
    let damaged = |e: rusqlite::Error| StoreError::Damaged {
        path: path.to_path_buf(),
        detail: format!("it cannot be read ({e})"),
    };
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            StoreError::Open {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let foreign = || StoreError::Foreign {
        path: path.to_path_buf(),
    };
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| if sqlite { damaged(e) } else { foreign() })?;
    if app != APPLICATION_ID {
        return Err(foreign());
    }
    let schema: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(damaged)?;
    let schema = usize::try_from(schema).unwrap_or(usize::MAX);
    if schema > schema_version() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: schema,
            known: schema_version(),
        });
    }
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            detail: check,
        });
    }
    let (events, last_seq): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(max(seq), 0) FROM events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let tickets: i64 = conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?;
    let identity = super::identity::read(&conn)?.is_some();
    Ok(BackupInfo {
        schema,
        events: events as u64,
        last_seq: last_seq as u64,
        tickets: tickets as u64,
        identity,
    })
}

/// Replace the data in `data_dir` with a backup. The current database is moved aside (its path
/// is returned) after checking that nothing is using it; so is an identity that differs from
/// the backup's. The backup's key and certificate are written beside the database, and a new
/// history id starts (devices reload). Migrations run on the restored copy.
pub fn restore(
    data_dir: &Path,
    file: &Path,
    stamp: &str,
) -> Result<(BackupInfo, Option<PathBuf>), StoreError> {
    let info = verify(file)?;
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Dir {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let db = data_dir.join(DB_FILE);
    let mut kept = None;
    if db.exists() {
        {
            // Refuse while a hub or kiosk holds the database.
            let conn = Connection::open(&db).map_err(|source| StoreError::Open {
                path: db.clone(),
                source,
            })?;
            conn.busy_timeout(std::time::Duration::ZERO)?;
            conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
                .map_err(|_| busy(&db))?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|_| busy(&db))?;
        }
        // Never over a copy kept earlier (two restores in the same second).
        let mut aside = data_dir.join(format!("{DB_FILE}.before-restore-{stamp}"));
        let mut n = 1;
        while aside.exists() {
            n += 1;
            aside = data_dir.join(format!("{DB_FILE}.before-restore-{stamp}-{n}"));
        }
        std::fs::rename(&db, &aside).map_err(|source| StoreError::Dir {
            path: aside.clone(),
            source,
        })?;
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&db, ext));
        }
        kept = Some(aside);
    }
    let tmp = with_suffix(&db, ".restoring");
    let _ = std::fs::remove_file(&tmp);
    private_file(&tmp)?;
    std::fs::copy(file, &tmp).map_err(|source| StoreError::Dir {
        path: tmp.clone(),
        source,
    })?;
    let identity = super::identity::take(&tmp)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|source| StoreError::Dir {
            path: tmp.clone(),
            source,
        })?;
    std::fs::rename(&tmp, &db).map_err(|source| StoreError::Dir {
        path: db.clone(),
        source,
    })?;
    if let Some(files) = &identity {
        for aside in super::identity::write(data_dir, files, stamp)? {
            log::warn!(
                "the hub's previous identity is kept in {} (the restored one replaces it)",
                aside.display()
            );
        }
    }
    super::identity::new_history(data_dir)?;
    // Opening runs the migrations of an older backup.
    drop(Store::open(data_dir)?);
    Ok((info, kept))
}
