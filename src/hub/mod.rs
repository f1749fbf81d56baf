//! The hub: the one engine of a center, shared by the kiosk screen in the same process and by
//! every device on the LAN (HTTP + JSON under `/api/v1`, an event stream over WebSocket).
//!
//! Every change goes through [`Session::execute`], which holds the engine's lock while it applies,
//! commits and *then* publishes the events, so subscribers see events in sequence order, each
//! once, and only after they are durable. A stream subscribes first and reads the log second,
//! which is why a client resuming from sequence N misses nothing and gets nothing twice.

mod alerts;
pub mod backups;
pub mod clock;
mod clock_watch;
pub mod day;
mod session;

pub use alerts::{AlertKind, AlertSource, DeviceAlert, RaisedBy};
use clock_watch::newest_event;
pub use clock_watch::{ClockError, ClockStatus};
pub use session::{KioskError, QueueAccess, Refusal, Session};
use session::{needs_queue, publish, push};

pub mod api;
pub mod auth;
pub mod client;
pub mod console;
pub mod discovery;
pub mod doctor_reports;
pub mod epoch;
pub mod follow;
pub mod group;
pub mod guard;
pub mod http;
pub mod idempotent;
pub mod pake;
pub mod replica;
pub mod setup;
pub mod stream;
pub mod tls;
pub mod view;
pub mod waiting;

use crate::core::{Catalog, Command, Queue, Stamped};
use crate::engine::{Engine, EngineError};
use crate::printer::{Format, Job, Spooler};
use crate::store::Store;
pub use auth::Role;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// The TCP port the hub listens on unless the settings say otherwise.
pub const DEFAULT_PORT: u16 = 7878;
/// How long a reprint waits for the printer to confirm (under the hub clients' 5 s timeout).
pub const REPRINT_WAIT: std::time::Duration = std::time::Duration::from_secs(4);
/// How often the hub looks for commits made by other programs on its database.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// How many pushes a slow subscriber may fall behind before it is told to resume.
const STREAM_BUFFER: usize = 4096;

/// What the hub pushes to its subscribers.
#[derive(Debug, Clone)]
pub enum Push {
    Event(Arc<Stamped>),
    /// The set of device alerts changed.
    Alerts(Arc<Vec<DeviceAlert>>),
}

/// Prints slips on the hub's own printer (the kiosk's, when the hub runs inside a kiosk).
pub struct HubPrinter {
    pub spooler: Arc<Spooler>,
    pub format: Format,
}

pub(crate) struct Inner {
    engine: Mutex<Engine>,
    /// A second connection for devices and pairing, so a token check never waits for a commit.
    auth: Mutex<Store>,
    /// The catalog in use (changes when the coordinator edits it); read without the engine lock.
    catalog: std::sync::RwLock<Arc<Catalog>>,
    pushes: broadcast::Sender<Push>,
    alerts: Mutex<BTreeMap<(String, AlertKind), DeviceAlert>>,
    /// Each device's last doctor report (`doctor_reports`).
    pub(crate) doctor: Mutex<BTreeMap<u64, doctor_reports::Received>>,
    /// The doctor report of the device this hub runs on.
    pub(crate) own_doctor: Mutex<Option<doctor_reports::Received>>,
    /// The hub's time: a fixed training clock, or the system clock with its corrections.
    pub(crate) keeper: clock::Keeper,
    printer: Mutex<Option<Arc<HubPrinter>>>,
    pub(crate) limiter: Mutex<auth::PairLimiter>,
    /// Devices without a keyboard waiting for the admin to type their code.
    pub(crate) waiting: Mutex<waiting::WaitingList>,
    /// Paired devices with a stream open now, and when the last one of each closed.
    pub(crate) presence: Mutex<BTreeMap<u64, auth::Presence>>,
    /// Tickets whose urgent protection request a staff member acknowledged.
    pub(crate) acknowledged: Mutex<std::collections::BTreeSet<u64>>,
    /// The protection requests nobody has acknowledged (pushed to staff when they change).
    pub(crate) protection: Mutex<Vec<guard::ProtectionAlert>>,
    /// What each kiosk did recently (its limits).
    pub(crate) kiosk_limits: Mutex<guard::KioskLimits>,
    /// The ids of unpaired devices: an open stream of one of them closes at once.
    pub(crate) revoked: tokio::sync::watch::Sender<std::collections::BTreeSet<u64>>,
    /// False while the hub is starting (its first privacy purge holds the database): /health
    /// says "starting" (503) and systemd is not told READY.
    pub(crate) ready: tokio::sync::watch::Sender<bool>,
    /// The database file, for work that opens a connection of its own (reports, purges) so
    /// that it never holds the engine's or the token checks' connection.
    db_path: std::path::PathBuf,
    /// Paired devices by token hash, as last read from the database: a request from a known
    /// device is checked without touching SQLite. Revocations (here or by another program,
    /// seen within half a second) remove entries.
    tokens: Mutex<std::collections::HashMap<String, crate::store::devices::Device>>,
    /// How many token checks read the database.
    token_lookups: std::sync::atomic::AtomicU64,
    /// The connection commits go through, and how far the log is durable (group commit).
    pub(crate) writer: Mutex<group::Writer>,
    /// Commands applied in memory and waiting for their commit.
    pub(crate) group: group::Group,
    /// The last sequence number known durable (read without the writer lock).
    pub(crate) durable_seq: std::sync::atomic::AtomicU64,
    /// The last sequence number this hub has applied (committed or in a pending group): what
    /// is stored beyond it is certainly another program's.
    pub(crate) applied_seq: std::sync::atomic::AtomicU64,
    /// Follow links: their key, where they point, the limits of their pages.
    pub(crate) follow: follow::Links,
    /// The id of the history in the database (a restore starts a new one): devices resume
    /// only within it.
    history: String,
    /// Automatic backups: where the last went, or why it did not.
    pub(crate) backups: Mutex<backups::Status>,
    /// This hub's fencing epoch, whether it was replaced, its standby (`epoch`).
    pub(crate) fence: tokio::sync::watch::Sender<crate::store::epoch::Fence>,
    /// The standby's link: the group commit waits for its acknowledgements (`replica`).
    pub(crate) replica: replica::Link,
    /// The technician's setup code from the settings (`setup::SetupState`).
    pub(crate) setup_code: Mutex<Option<crate::device::SetupCode>>,
}

/// The hub, cheap to clone: every clone is the same hub.
#[derive(Clone)]
pub struct Hub {
    pub(crate) inner: Arc<Inner>,
}
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the engine half-changed (it reloads on a
    // failed commit), so carry on with the data as it is.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    /// The database refused a write: raise the storage alert (once) and push it to staff.
    fn storage_failed(&self, why: &str) {
        let now = self.keeper.now();
        let raised = {
            let mut all = lock(&self.alerts);
            let key = ("local-hub".to_string(), AlertKind::StorageFailed);
            let new = !all.contains_key(&key);
            all.entry(key).or_insert(DeviceAlert {
                device: "hub".into(),
                device_id: None,
                kind: AlertKind::StorageFailed,
                message: format!(
                    "the hub cannot save (disk full, read-only or failing: {why}); visitors are sent to reception until it can"
                ),
                since: now,
                day: None,
            });
            new
        };
        if raised {
            log::error!("storage failed: {why}");
            let _ = self.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        }
    }

    /// A commit went through: clear the storage alert if it was up.
    fn storage_ok(&self) {
        let cleared = lock(&self.alerts)
            .remove(&("local-hub".to_string(), AlertKind::StorageFailed))
            .is_some();
        if cleared {
            log::info!("storage works again");
            let _ = self.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        }
    }

    /// Raise (`Some(message)`) or clear (`None`) one of the hub's own alerts of `kind` (the
    /// city link); staff streams hear of a change at once.
    fn hub_alert(&self, kind: AlertKind, message: Option<String>) {
        let now = self.keeper.now();
        let key = ("local-hub".to_string(), kind);
        let changed = {
            let mut all = lock(&self.alerts);
            match message {
                Some(message) => match all.get_mut(&key) {
                    Some(a) => {
                        a.message = message;
                        false
                    }
                    None => {
                        all.insert(
                            key,
                            DeviceAlert {
                                device: "hub".into(),
                                device_id: None,
                                kind,
                                message,
                                since: now,
                                day: None,
                            },
                        );
                        true
                    }
                },
                None => all.remove(&key).is_some(),
            }
        };
        if changed {
            let _ = self.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        }
    }

    fn storage_degraded(&self) -> bool {
        lock(&self.alerts).contains_key(&("local-hub".to_string(), AlertKind::StorageFailed))
    }
}

impl Hub {
    /// Whether the hub cannot save right now (its storage alert is up).
    pub fn degraded(&self) -> bool {
        self.inner.storage_degraded()
    }

    /// A hub over an open engine. `clock`: a fixed instant for training and tests.
    pub fn new(engine: Engine, clock: Option<DateTime<Utc>>) -> Result<Hub, EngineError> {
        let db_path = engine.store().path().to_path_buf();
        let auth = Store::open_file(&db_path)?;
        let catalog = engine.queue().catalog().clone();
        let writer = group::Writer {
            store: Store::open_file(&db_path)?,
            durable: engine.queue().seq(),
        };
        let durable_seq = std::sync::atomic::AtomicU64::new(engine.queue().seq());
        let applied_seq = std::sync::atomic::AtomicU64::new(engine.queue().seq());
        let keeper = clock::Keeper::new(clock, db_path.parent(), newest_event(&engine)?);
        let (pushes, _) = broadcast::channel(STREAM_BUFFER);
        let fence = auth.fence()?;
        let history = match db_path.parent() {
            Some(dir) => crate::store::identity::history_id(dir)?,
            None => String::new(),
        };
        let hub = Hub {
            inner: Arc::new(Inner {
                engine: Mutex::new(engine),
                auth: Mutex::new(auth),
                catalog: std::sync::RwLock::new(catalog),
                pushes,
                alerts: Mutex::new(BTreeMap::new()),
                doctor: Mutex::new(BTreeMap::new()),
                own_doctor: Mutex::new(None),
                keeper,
                printer: Mutex::new(None),
                limiter: Mutex::new(auth::PairLimiter::default()),
                waiting: Mutex::new(waiting::WaitingList::default()),
                presence: Mutex::new(BTreeMap::new()),
                acknowledged: Mutex::new(Default::default()),
                protection: Mutex::new(Vec::new()),
                kiosk_limits: Mutex::new(Default::default()),
                revoked: tokio::sync::watch::channel(Default::default()).0,
                ready: tokio::sync::watch::channel(false).0,
                db_path,
                tokens: Mutex::new(Default::default()),
                token_lookups: Default::default(),
                writer: Mutex::new(writer),
                group: Default::default(),
                durable_seq,
                applied_seq,
                follow: Default::default(),
                history,
                backups: Mutex::new(backups::Status::default()),
                fence: tokio::sync::watch::channel(fence).0,
                replica: Default::default(),
                setup_code: Mutex::new(None),
            }),
        };
        let key = hub.auth_store().follow_key()?;
        hub.inner.follow.set_key(key);
        let revoked = hub.auth_store().revoked_ids()?;
        hub.inner.revoked.send_replace(revoked);
        // Real time, even when the queue runs on a fixed training clock.
        hub.expect_paired_devices(Utc::now())?;
        hub.expect_standby(Utc::now())?;
        let acks = hub.auth_store().acknowledgements(100_000)?;
        lock(&hub.inner.acknowledged).extend(acks.iter().map(|a| a.ticket));
        hub.adopt_changed_catalog_file()?;
        {
            let s = hub.session();
            hub.inner.refresh_protection(s.queue());
        }
        Ok(hub)
    }

    /// The catalog file was changed (by a technician) after the coordinator's last change:
    /// the file wins, recorded as a catalog change so that every device and the audit log
    /// know.
    fn adopt_changed_catalog_file(&self) -> Result<(), EngineError> {
        let now = self.now();
        let mut s = self.session();
        if !s.queue().catalog_file_changed() {
            return Ok(());
        }
        let catalog = Box::new((**s.queue().catalog()).clone());
        log::warn!(
            "the catalog file changed since the last change made on the admin pages: the file is used now (the earlier admin changes stay in the audit log)"
        );
        s.execute(&Command::AdoptCatalog { catalog }, now)?;
        Ok(())
    }

    pub fn session(&self) -> Session<'_> {
        Session {
            engine: std::cell::OnceCell::from(lock(&self.inner.engine)),
            inner: &self.inner,
            key: None,
        }
    }

    /// The catalog in use now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner
            .catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.keeper.now()
    }

    /// Whether the hub's clock may turn the day by itself (decided in [`clock::Keeper::trust`]:
    /// a time source, a coordinator's word since this boot, no unexplained jump since).
    pub fn clock_trust(&self) -> crate::core::ClockTrust {
        self.inner.keeper.trust()
    }

    /// The id of the history this hub's database holds (see `store::identity`).
    pub fn history_id(&self) -> &str {
        &self.inner.history
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Push> {
        self.inner.pushes.subscribe()
    }

    pub(crate) fn auth_store(&self) -> MutexGuard<'_, Store> {
        lock(&self.inner.auth)
    }

    /// Give the hub a printer for reprints (the kiosk's own, when it runs the hub).
    pub fn set_printer(&self, printer: Option<Arc<HubPrinter>>) {
        *lock(&self.inner.printer) = printer;
    }

    pub fn printer(&self) -> Option<Arc<HubPrinter>> {
        lock(&self.inner.printer).clone()
    }

    /// Print a job on the hub's printer and wait until it is printed (a receptionist's reprint).
    /// Err: why not — no printer here, or the printer's own reason (paper out, cover open,
    /// unreachable).
    pub fn print(&self, job: Job) -> Result<(), ReprintError> {
        let p = self.printer().ok_or(ReprintError::NoPrinter)?;
        Ok(p.spooler.submit_and_wait(job, REPRINT_WAIT)?)
    }
    /// Make the hub's database connections refuse every write (`true`) or accept them again:
    /// for storage-fault drills (a commit then fails as on a read-only disk).
    pub fn set_read_only(&self, on: bool) -> Result<(), crate::store::StoreError> {
        lock(&self.inner.writer).store.set_read_only(on)?;
        self.session().store().set_read_only(on)
    }

    /// The hub's certificate (PEM), when it has made one (see [`tls::Identity`]).
    pub fn certificate_pem(&self) -> Option<String> {
        let dir = self.inner.db_path.parent()?;
        std::fs::read_to_string(dir.join(tls::CERT_FILE)).ok()
    }

    /// Start sending this center's anonymous figures to the city database (`[city]`), on a
    /// thread of its own; the link stops when the returned handle is dropped.
    pub fn start_city_link(
        &self,
        settings: crate::device::settings::CitySettings,
    ) -> crate::city::replicate::Link {
        crate::city::replicate::start(Arc::new(self.clone()), settings)
    }

    /// A connection of its own to the hub's database, for long reads and rewrites (reports,
    /// purges): they hold neither the engine nor the token checks.
    pub fn side_store(&self) -> Result<Store, crate::store::StoreError> {
        Store::open_file(&self.inner.db_path)
    }

    /// Erase names and phones of appointments and sign-ups older than the catalog's retention.
    /// `at_start`: also vacuum (the hub is not ready yet, so nobody waits); later purges run in
    /// small transactions beside the queue's work.
    pub fn purge_personal(&self, at_start: bool) {
        let catalog = self.catalog();
        let center = &catalog.center;
        let today = self.now().with_timezone(&center.timezone).date_naive();
        let mut before = today;
        let done = self.side_store().and_then(|mut s| {
            before = s.purge_before(today, center.retention_days)?;
            if at_start {
                s.purge_personal(before)
            } else {
                s.purge_personal_online(before)
            }
        });
        match done {
            Ok(p) if p.events > 0 => {
                log::info!(
                    "erased names and phones of {} appointments and sign-ups before {before}",
                    p.events
                );
                // The erasure rewrote stored events: the standby's copy is sent again.
                self.inner.replica.rebase();
            }
            Ok(_) => {}
            Err(e) => log::error!("cannot erase old personal data: {e}"),
        }
    }

    /// Whether the hub can issue a ticket now (false while it is starting).
    pub fn is_ready(&self) -> bool {
        *self.inner.ready.borrow()
    }

    /// Wait until the hub is ready (or `limit` has passed); true when ready.
    pub async fn wait_ready(&self, limit: std::time::Duration) -> bool {
        let mut rx = self.inner.ready.subscribe();
        tokio::time::timeout(limit, rx.wait_for(|r| *r))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// When another program committed to the database after the last commit the hub knows
    /// durable, take its events in and publish them. A cheap read of the newest sequence
    /// number (on the second connection) when nothing changed.
    pub fn follow_others(&self) -> usize {
        let stored = match self.auth_store().last_seq() {
            Ok(seq) => seq,
            Err(e) => {
                log::warn!("cannot read the event log to follow other programs: {e}");
                return 0;
            }
        };
        // Beyond what this hub has applied (never less than what is durable): another
        // program's (see `Session::execute`).
        let own = self
            .inner
            .applied_seq
            .load(std::sync::atomic::Ordering::SeqCst);
        if stored <= own {
            return 0;
        }
        match self.inner.follow_others() {
            Ok(n) => {
                if n > 0 {
                    log::info!("took in {n} events committed by another program");
                }
                n
            }
            Err(e) => {
                log::warn!("cannot follow other programs' commits: {e}");
                0
            }
        }
    }
    /// Run the server on its own thread with its own runtime (for the kiosk and the CLI).
    /// Returns once the port is bound, with the address or the reason it could not be.
    pub fn serve_in_background(
        &self,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<SocketAddr, ServeError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let hub = self.clone();
        std::thread::Builder::new()
            .name("hub-server".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(ServeError::Runtime(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match hub.serve_with(addr, tls).await {
                        Ok((local, task)) => {
                            let _ = tx.send(Ok(local));
                            let _ = task.await;
                        }
                        Err(source) => {
                            let _ = tx.send(Err(ServeError::Listen { addr, source }));
                        }
                    }
                });
            })
            .map_err(ServeError::Thread)?;
        rx.recv().map_err(|_| ServeError::Stopped)?
    }
}

/// Why a reprint did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReprintError {
    #[error(
        "this hub has no printer: reprint from a kiosk, or set a printer in the hub's settings"
    )]
    NoPrinter,
    #[error(transparent)]
    Printer(#[from] crate::printer::PrintError),
}

/// Why the hub could not start serving in the background.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    #[error(
        "cannot listen on {addr}: {source} (is another hub running? change `hub.listen` in the settings)"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the hub thread: {0}")]
    Thread(std::io::Error),
    #[error("the hub thread stopped before listening")]
    Stopped,
}

impl crate::city::replicate::Host for Hub {
    fn open_store(&self) -> Result<Store, crate::store::StoreError> {
        self.side_store()
    }

    fn catalog(&self) -> Arc<Catalog> {
        Hub::catalog(self)
    }

    fn now(&self) -> DateTime<Utc> {
        Hub::now(self)
    }

    fn link_alert(&self, message: Option<String>) {
        self.inner.hub_alert(crate::city::replicate::ALERT, message);
    }
}
