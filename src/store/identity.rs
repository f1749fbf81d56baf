//! What makes a hub "the same hub" besides its database, carried inside a backup file: its TLS
//! key and certificate (every paired device pinned the certificate; staff browsers trust it),
//! and the id of its history, which a restore changes so that no device keeps a history the
//! restored hub does not have.
//!
//! The pairing secrets (device token hashes), the follow-link key and the center's id are rows
//! of the database, so they travel with it. The key and certificate are files beside the
//! database (`hub::tls`): a backup copies them into a table of the backup file only (never of
//! the live database), and a restore writes them back and drops the table.

use super::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// The table of a backup file that holds the hub's identity files (name → bytes).
pub const TABLE: &str = "integra_backup_identity";
/// The hub's certificate and key files (as `hub::tls` names them) and their modes.
pub const FILES: [(&str, u32); 2] = [
    (crate::hub::tls::CERT_FILE, 0o644),
    (crate::hub::tls::KEY_FILE, 0o600),
];
/// The file beside the database that names the hub's current history.
pub const HISTORY_FILE: &str = "history-id";

/// The identity files of a backup: (file name, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Dir {
        path: path.to_path_buf(),
        source,
    }
}

/// Copy the identity files found in `data_dir` into the backup being written (`out`). Both or
/// none: a hub with half an identity does not start, and its backup says so (`identity`
/// false). Returns whether the identity went in.
pub(super) fn put(out: &Connection, data_dir: &Path) -> Result<bool, StoreError> {
    let mut files = Vec::new();
    for (name, _) in FILES {
        let path = data_dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => files.push((name, bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io(&path)(e)),
        }
    }
    out.execute_batch(&format!(
        "CREATE TABLE {TABLE} (name TEXT PRIMARY KEY, body BLOB NOT NULL)"
    ))?;
    for (name, bytes) in files {
        out.execute(
            &format!("INSERT INTO {TABLE} (name, body) VALUES (?1, ?2)"),
            params![name, bytes],
        )?;
    }
    Ok(true)
}

/// The identity files a backup holds (both, or None for a backup without them).
pub(super) fn read(conn: &Connection) -> Result<Option<Files>, StoreError> {
    let exists: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [TABLE],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (name, _) in FILES {
        let body: Option<Vec<u8>> = conn
            .query_row(
                &format!("SELECT body FROM {TABLE} WHERE name = ?1"),
                [name],
                |r| r.get(0),
            )
            .optional()?;
        match body {
            Some(b) => out.push((name.to_string(), b)),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Take the identity out of a restored copy (`db`, not yet in place): its files, and the
/// table dropped so the live database never holds the key.
pub(crate) fn take(db: &Path) -> Result<Option<Files>, StoreError> {
    let conn = Connection::open(db).map_err(|source| StoreError::Open {
        path: db.to_path_buf(),
        source,
    })?;
    let files = read(&conn)?;
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {TABLE}; VACUUM;"))?;
    Ok(files)
}

/// Write a restored identity into `data_dir`. An identity already there that differs is moved
/// aside (`.before-restore-STAMP`), never overwritten; the paths kept are returned.
pub(crate) fn write(
    data_dir: &Path,
    files: &[(String, Vec<u8>)],
    stamp: &str,
) -> Result<Vec<PathBuf>, StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mut kept = Vec::new();
    for (name, bytes) in files {
        let Some(mode) = FILES.iter().find(|(n, _)| n == name).map(|(_, m)| *m) else {
            continue;
        };
        let path = data_dir.join(name);
        match std::fs::read(&path) {
            Ok(old) if old == *bytes => continue,
            Ok(_) => {
                let aside = data_dir.join(format!("{name}.before-restore-{stamp}"));
                std::fs::rename(&path, &aside).map_err(io(&aside))?;
                kept.push(aside);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        let tmp = data_dir.join(format!("{name}.restoring"));
        let _ = std::fs::remove_file(&tmp);
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io(&tmp))?;
            f.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
    }
    Ok(kept)
}

/// The id of the history the database in `data_dir` holds, made at first use. Devices keep
/// it with their mirror; a hub with another id (a restore) gives them a fresh snapshot.
pub fn history_id(data_dir: &Path) -> Result<String, StoreError> {
    let path = data_dir.join(HISTORY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if is_id(s.trim()) => Ok(s.trim().to_string()),
        Ok(_) => new_history(data_dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_history(data_dir),
        Err(e) => Err(io(&path)(e)),
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Start a new history in `data_dir` (after a restore): a random id, written atomically.
pub fn new_history(data_dir: &Path) -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Dir {
        path: data_dir.to_path_buf(),
        source: std::io::Error::other(format!("no randomness for the history id: {e}")),
    })?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let path = data_dir.join(HISTORY_FILE);
    let tmp = data_dir.join(format!("{HISTORY_FILE}.new"));
    std::fs::write(&tmp, format!("{id}\n")).map_err(io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(id)
}
