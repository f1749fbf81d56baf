//! The durable store: SQLite in WAL mode with `synchronous=FULL`. Only this module touches SQLite.
//!
//! The event log is the truth. Each command's events, the ticket rows they change and (now and
//! then) a snapshot of the whole state are written in one transaction. A restart loads the last
//! snapshot and replays the events after it, which rebuilds exactly the same state.

pub mod backup;
pub mod city;
pub mod devices;
pub mod epoch;
pub mod facts;
pub mod feedback;
pub mod idempotency;
pub mod identity;
pub mod purge;
pub mod replica;
pub mod safeguarding;
mod schema;

use schema::migrations;
pub use schema::schema_version;

use crate::core::{Event, Stamped, State, Ticket, TicketState};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The database file inside the data directory.
pub const DB_FILE: &str = "integra.sqlite3";

/// Identifies an Integra database (SQLite `application_id`): "INTG".
pub const APPLICATION_ID: i32 = 0x494E_5447;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "cannot open the data directory {path}: {source}. Check that it exists and is writable, or choose another with --data DIR"
    )]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot open the database {path}: {source}. If the disk is full, free space; if the file is damaged, restore a backup"
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path} is not an Integra database (it belongs to another program)")]
    Foreign { path: PathBuf },
    #[error(
        "the database {path} was written by a newer version of Integra (schema {found}, this program knows {known}); update this device"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("cannot update the database schema: {0}")]
    Migrate(#[from] rusqlite_migration::Error),
    #[error("database error: {0}. If the disk is full, free space; otherwise run `integra doctor`")]
    Sql(#[from] rusqlite::Error),
    #[error("a stored event cannot be read (seq {seq}): {source}")]
    Decode { seq: u64, source: serde_json::Error },
    #[error("cannot encode an event: {0}")]
    Encode(serde_json::Error),
    #[error("{path} is damaged ({detail}); use another backup")]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "{path} is in use (a hub or kiosk is running on it): stop it first, e.g. `systemctl stop integra`"
    )]
    Busy { path: PathBuf },
    /// A group commit that held this command failed (the reason is the one the database gave).
    #[error("database error: {0}. If the disk is full, free space; otherwise run `integra doctor`")]
    Failed(String),
    /// Another process wrote events since this one last read: catch up and try again.
    #[error(
        "another process changed the queue at the same moment (expected seq {expected}, found {found})"
    )]
    Conflict { expected: u64, found: u64 },
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Make this connection refuse every write (`true`) or accept them again. For fault
    /// drills: a write then fails as on a read-only disk, and nothing is half-written.
    pub fn set_read_only(&self, on: bool) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "query_only", if on { "ON" } else { "OFF" })?;
        Ok(())
    }
}

/// An exclusive `flock` on `DB.lock` while a database is created or migrated (released when
/// dropped, or by the kernel if the program dies).
struct OpenLock(std::fs::File);

impl OpenLock {
    fn take(db: &Path) -> Result<OpenLock, StoreError> {
        use std::os::unix::io::AsRawFd;
        let lock_path = with_suffix_path(db, ".lock");
        let dir_err = |source| StoreError::Dir {
            path: lock_path.clone(),
            source,
        };
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(dir_err)?;
        // SAFETY: flock on a file descriptor we own, for the life of `f`.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(dir_err(std::io::Error::last_os_error()));
        }
        Ok(OpenLock(f))
    }
}

impl Drop for OpenLock {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: as above; the lock is also released when the file closes.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

fn with_suffix_path(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Set a file's or directory's permission bits (a warning when it cannot be done, e.g. not its
/// owner: the data still opens).
fn restrict(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777);
    if current.is_ok_and(|m| m == mode) {
        return;
    }
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        log::warn!(
            "cannot make {} private (mode {mode:o}): {e}; other users of this machine may read it",
            path.display()
        );
    }
}

impl Store {
    /// Open (or create) the store in `dir`, running schema migrations.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Self::open_file(&dir.join(DB_FILE))?;
        // Names and phones live here: only the hub's own user may read them.
        restrict(dir, 0o700);
        for f in [
            DB_FILE,
            "integra.sqlite3-wal",
            "integra.sqlite3-shm",
            "integra.sqlite3.lock",
        ] {
            let p = dir.join(f);
            if p.exists() {
                restrict(&p, 0o600);
            }
        }
        Ok(store)
    }

    /// Open (or create) a database file. Several programs may do this at once (the service
    /// and a technician's command at first boot): creating and migrating happen under an
    /// exclusive lock on `FILE.lock`, so one creates and the others wait, then open it.
    pub fn open_file(path: &Path) -> Result<Store, StoreError> {
        let _guard = OpenLock::take(path)?;
        Self::open_file_locked(path)
    }

    fn open_file_locked(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // Freed bytes are overwritten with zeros (an old snapshot deleted, a name erased), so
        // erasing personal data needs no vacuum while the queue is in use.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(open_err)?;
        let app_id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(open_err)?;
        let user_version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(open_err)?;
        let user_version = usize::try_from(user_version).unwrap_or(usize::MAX);
        let has_tables: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(open_err)?;
        if app_id != APPLICATION_ID && (app_id != 0 || has_tables) {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
            });
        }
        if user_version > schema_version() {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: user_version,
                known: schema_version(),
            });
        }
        migrations().to_latest(&mut conn)?;
        // Written once, when the file is new: setting it takes the write lock even to the same
        // value, and a second program opening the store beside a busy writer (a backup while
        // the kiosk issues) could then wait out its busy timeout and fail to open.
        if app_id != APPLICATION_ID {
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(open_err)?;
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number of the last stored event (0 when empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// The newest snapshot, if any.
    pub fn latest_snapshot(&self) -> Result<Option<State>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, body FROM snapshots ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(seq, body)| {
            serde_json::from_str(&body).map_err(|source| StoreError::Decode {
                seq: seq as u64,
                source,
            })
        })
        .transpose()
    }

    /// Events with a sequence number greater than `seq`, in order.
    pub fn events_after(&self, seq: u64) -> Result<Vec<Stamped>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq")?;
        decode_rows(stmt.query_map([seq as i64], seq_body)?)
    }

    /// Write one command's events (and optionally a snapshot of the state after them) in one
    /// transaction, and make it durable before returning. Fails with `Conflict` when another
    /// process has written events since `expected_last_seq`.
    pub fn commit(
        &mut self,
        expected_last_seq: u64,
        events: &[Stamped],
        snapshot: Option<&State>,
    ) -> Result<(), StoreError> {
        self.commit_keyed(expected_last_seq, events, snapshot, &[])
    }

    /// [`Store::commit`], with the idempotency keys of the commands whose events these are,
    /// in the same transaction (see [`idempotency`]).
    pub fn commit_keyed(
        &mut self,
        expected_last_seq: u64,
        events: &[Stamped],
        snapshot: Option<&State>,
        keys: &[idempotency::KeyRecord],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 =
            tx.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
        if found as u64 != expected_last_seq {
            return Err(StoreError::Conflict {
                expected: expected_last_seq,
                found: found as u64,
            });
        }
        for e in events {
            write_event(&tx, e)?;
        }
        if let Some(state) = snapshot {
            let body = serde_json::to_string(state).map_err(StoreError::Encode)?;
            tx.execute(
                "INSERT OR REPLACE INTO snapshots (seq, body) VALUES (?1, ?2)",
                params![state.seq as i64, body],
            )?;
            // Older snapshots are not needed to restart; keep the last few for safety.
            tx.execute(
                "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT 3)",
                [],
            )?;
        }
        idempotency::write_keys(&tx, keys, chrono::Utc::now())?;
        tx.commit()?;
        Ok(())
    }

    /// Ticket rows of a local day (the durable projection of the event log).
    pub fn tickets_of_day(&self, day: chrono::NaiveDate) -> Result<Vec<TicketRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, label, service, state FROM tickets WHERE day = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([day.to_string()], |r| {
            Ok(TicketRow {
                id: r.get::<_, i64>(0)? as u64,
                label: r.get(1)?,
                service: r.get(2)?,
                state: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Events of some types, newest first (the audit log reads catalog changes and erasures).
    pub fn events_of_types(
        &self,
        types: &[&str],
        limit: usize,
    ) -> Result<Vec<Stamped>, StoreError> {
        let marks = vec!["?"; types.len()].join(", ");
        let sql = format!(
            "SELECT seq, body FROM events WHERE type IN ({marks}) ORDER BY seq DESC LIMIT {limit}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        decode_rows(stmt.query_map(rusqlite::params_from_iter(types.iter()), seq_body)?)
    }

    /// SQLite's own check of the file ("ok", or what is damaged).
    pub fn quick_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?)
    }

    /// How this connection writes: its journal mode and `synchronous` level (2 = FULL).
    pub fn durability(&self) -> Result<(String, i64), StoreError> {
        let mode: String = self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let sync: i64 = self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))?;
        Ok((mode, sync))
    }

    /// The connection, for the store's own modules (backup).
    fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// A ticket as stored in the `tickets` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    pub id: u64,
    pub label: String,
    pub service: String,
    pub state: String,
}

/// A row's `(seq, body)`.
pub(crate) fn seq_body(r: &rusqlite::Row) -> rusqlite::Result<(i64, String)> {
    Ok((r.get(0)?, r.get(1)?))
}

/// Events from `(seq, body)` rows, in the rows' order.
pub(crate) fn decode_rows(
    rows: impl Iterator<Item = rusqlite::Result<(i64, String)>>,
) -> Result<Vec<Stamped>, StoreError> {
    let mut out = Vec::new();
    for row in rows {
        let (seq, body) = row?;
        out.push(
            serde_json::from_str(&body).map_err(|source| StoreError::Decode {
                seq: seq as u64,
                source,
            })?,
        );
    }
    Ok(out)
}

fn event_type(e: &Event) -> &'static str {
    match e {
        Event::DayStarted { .. } => "day_started",
        Event::TicketIssued { .. } => "ticket_issued",
        Event::TicketCalled { .. } => "ticket_called",
        Event::TicketRecalled { .. } => "ticket_recalled",
        Event::ServingStarted { .. } => "serving_started",
        Event::TicketFinished { .. } => "ticket_finished",
        Event::TicketNoShow { .. } => "ticket_no_show",
        Event::TicketReopened { .. } => "ticket_reopened",
        Event::TicketCancelled { .. } => "ticket_cancelled",
        Event::TicketTransferred { .. } => "ticket_transferred",
        Event::AppointmentBooked { .. } => "appointment_booked",
        Event::AppointmentCancelled { .. } => "appointment_cancelled",
        Event::AppointmentCheckedIn { .. } => "appointment_checked_in",
        Event::AppointmentMissed { .. } => "appointment_missed",
        Event::SignedUp { .. } => "signed_up",
        Event::SignUpCancelled { .. } => "sign_up_cancelled",
        Event::WaitlistPromoted { .. } => "waitlist_promoted",
        Event::ContactErased { .. } => "contact_erased",
        Event::CatalogChanged { .. } => "catalog_changed",
        Event::SignUpAttended { .. } => "sign_up_attended",
    }
}

fn insert_ticket(tx: &Transaction, t: &Ticket) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO tickets (id, day, prefix, number, label, service, lang, priority, appointment, issued_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        t.id.0 as i64,
        t.day.to_string(),
        t.prefix.to_string(),
        t.number,
        t.label(),
        t.service.as_str(),
        t.lang.code(),
        t.priority.as_ref().map(|p| p.as_str()),
        t.appointment.as_ref().map(|a| a.id.0 as i64),
        t.issued_at.to_rfc3339(),
        TicketState::Waiting.as_str(),
    ])
}

fn set_state(
    tx: &Transaction,
    ticket: u64,
    state: TicketState,
    at: &str,
    counter: Option<&str>,
) -> rusqlite::Result<usize> {
    match state {
        TicketState::Called => tx
            .prepare_cached(
                "UPDATE tickets SET state = ?2, counter = ?3, called_at = coalesce(called_at, ?4) WHERE id = ?1",
            )?
            .execute(params![ticket as i64, state.as_str(), counter, at]),
        TicketState::Serving => tx
            .prepare_cached(
                "UPDATE tickets SET state = ?2, serving_at = coalesce(serving_at, ?3) WHERE id = ?1",
            )?
            .execute(params![ticket as i64, state.as_str(), at]),
        TicketState::Waiting => tx
            .prepare_cached("UPDATE tickets SET state = ?2 WHERE id = ?1")?
            .execute(params![ticket as i64, state.as_str()]),
        _ => tx
            .prepare_cached("UPDATE tickets SET state = ?2, ended_at = ?3 WHERE id = ?1")?
            .execute(params![ticket as i64, state.as_str(), at]),
    }
}

fn write_event(tx: &Transaction, e: &Stamped) -> Result<(), StoreError> {
    let body = serde_json::to_string(e).map_err(StoreError::Encode)?;
    let at = e.at.to_rfc3339();
    tx.prepare_cached("INSERT INTO events (seq, at, type, body) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![e.seq as i64, at, event_type(&e.event), body])?;
    match &e.event {
        Event::TicketIssued { ticket, .. } => {
            insert_ticket(tx, ticket)?;
        }
        Event::TicketCalled {
            ticket, counter, ..
        } => {
            set_state(
                tx,
                ticket.0,
                TicketState::Called,
                &at,
                Some(counter.as_str()),
            )?;
        }
        Event::ServingStarted { ticket, .. } => {
            set_state(tx, ticket.0, TicketState::Serving, &at, None)?;
        }
        Event::TicketFinished { ticket, .. } => {
            set_state(tx, ticket.0, TicketState::Done, &at, None)?;
        }
        Event::TicketNoShow { ticket, .. } => {
            set_state(tx, ticket.0, TicketState::NoShow, &at, None)?;
        }
        Event::TicketCancelled { ticket, .. } => {
            set_state(tx, ticket.0, TicketState::Cancelled, &at, None)?;
        }
        Event::TicketReopened { ticket, counter } => {
            // Back at the counter: being served if service had started, else called.
            tx.prepare_cached(
                "UPDATE tickets SET state = CASE WHEN serving_at IS NULL THEN 'called' ELSE 'serving' END,
                     counter = ?2, ended_at = NULL WHERE id = ?1",
            )?
            .execute(params![ticket.0 as i64, counter.as_str()])?;
        }
        Event::TicketTransferred { ticket, to, .. } => {
            tx.prepare_cached(
                "UPDATE tickets SET state = 'waiting', service = ?2, counter = NULL WHERE id = ?1",
            )?
            .execute(params![ticket.0 as i64, to.as_str()])?;
        }
        _ => {}
    }
    Ok(())
}
