//! The hub: the one engine of a center, shared by the kiosk screen in the same process and by
//! every device on the LAN (HTTP + JSON under `/api/v1`, an event stream over WebSocket).
//!
//! Every change goes through [`Session::execute`], which holds the engine's lock while it applies,
//! commits and *then* publishes the events, so subscribers see events in sequence order, each
//! once, and only after they are durable. A stream subscribes first and reads the log second,
//! which is why a client resuming from sequence N misses nothing and gets nothing twice.

pub mod api;
pub mod auth;
pub mod client;
pub mod console;
pub mod discovery;
pub mod follow;
pub mod group;
pub mod guard;
pub mod http;
pub mod stream;
pub mod tls;
pub mod view;

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

/// The kind of alert the hub raises itself when a device has no stream.
pub const OFFLINE: &str = "device-offline";
/// The kind of alert the hub raises when it cannot write its database.
pub const STORAGE: &str = "storage-failed";

/// Who an alert is about: a paired device (by its id) or this process's own kiosk or printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSource {
    /// The identity alerts are kept under ("device-ID", or "local-NAME").
    pub key: String,
    /// What staff read.
    pub name: String,
    pub id: Option<u64>,
}

impl AlertSource {
    /// This process's own kiosk ("kiosk") or hub printer ("hub").
    pub fn local(name: &str) -> AlertSource {
        AlertSource {
            key: format!("local-{name}"),
            name: name.to_string(),
            id: None,
        }
    }

    /// A paired device: alerts follow its id, whatever name it gave.
    pub fn device(id: u64, name: &str) -> AlertSource {
        AlertSource {
            key: format!("device-{id}"),
            name: name.to_string(),
            id: Some(id),
        }
    }
}

/// A problem with a device that staff should act on (printer out of paper, kiosk offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceAlert {
    /// Which device: "kiosk" for the hub's own, else the paired device's name.
    pub device: String,
    /// The paired device's id (none for this process's own kiosk or printer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<u64>,
    /// Stable code: paper-out, paper-near-end, cover-open, printer-offline, printer-unreachable,
    /// device-offline.
    pub kind: String,
    /// Plain words for staff (the console shows its own translation of `kind`).
    pub message: String,
    pub since: DateTime<Utc>,
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
    alerts: Mutex<BTreeMap<(String, String), DeviceAlert>>,
    clock: Option<DateTime<Utc>>,
    printer: Mutex<Option<Arc<HubPrinter>>>,
    pub(crate) limiter: Mutex<auth::PairLimiter>,
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
}

/// The hub, cheap to clone: every clone is the same hub.
#[derive(Clone)]
pub struct Hub {
    pub(crate) inner: Arc<Inner>,
}

/// Exclusive use of the engine for a moment: read the queue, execute commands. (While a
/// command waits for its group commit, the session lets the engine go, so others can apply
/// theirs and join the same commit.)
pub struct Session<'a> {
    /// The engine, locked from the first time the session reads or changes the queue until
    /// `execute` lets it go (while its command waits for the commit) or the session ends.
    engine: std::cell::OnceCell<MutexGuard<'a, Engine>>,
    inner: &'a Inner,
}

impl<'a> Session<'a> {
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| lock(&self.inner.engine))
    }

    fn engine_mut(&mut self) -> &mut MutexGuard<'a, Engine> {
        if self.engine.get().is_none() {
            let _ = self.engine.set(lock(&self.inner.engine));
        }
        match self.engine.get_mut() {
            Some(e) => e,
            None => unreachable!("just locked"),
        }
    }

    pub fn queue(&self) -> &Queue {
        self.engine().queue()
    }

    pub fn store(&self) -> &Store {
        self.engine().store()
    }

    /// Apply, then wait until the events are durable (committed with whatever other commands
    /// arrived meanwhile — one transaction, one fsync, see [`group`]), then answer; the events
    /// are published to every subscriber in sequence order by the commit that covered them.
    /// Events another program committed are taken in first, so no stream skips one.
    pub fn execute(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Stamped>, EngineError> {
        // Another program committed (a technician's command beside the hub): take it in first,
        // so this command is decided on everything stored. Only a sequence number beyond what
        // this hub has applied is certainly another program's: one between the durable and the
        // applied may be this hub's own commit in flight, and if it is not, that commit meets
        // it (`Conflict`) and re-applies. (Comparing with the durable number alone mistook the
        // hub's own fresh commits for others' and drained the whole pipeline for them: the
        // 0.3–2.8 s tail at 32 and 128 clients.)
        let (stored, applied) = {
            let e = self.engine_mut();
            (e.store().last_seq(), e.queue().seq())
        };
        match stored {
            Ok(stored) if stored > applied => {
                self.engine.take();
                self.inner.follow_others()?;
            }
            Ok(_) => {}
            Err(e) => {
                self.inner.storage_failed(&e.to_string());
                return Err(EngineError::Store(e));
            }
        }
        let inner = self.inner;
        let slot = {
            let engine = self.engine_mut();
            let (events, snapshot) = engine.apply_uncommitted(cmd, now)?;
            if events.is_empty() {
                return Ok(events);
            }
            inner
                .applied_seq
                .store(engine.queue().seq(), std::sync::atomic::Ordering::SeqCst);
            let slot = group::Slot::default();
            lock(&self.inner.group.pending).push(group::Entry {
                cmd: cmd.clone(),
                now,
                events,
                snapshot,
                slot: slot.clone(),
            });
            slot
        };
        // The engine is let go while the command waits for its commit, and not taken back: a
        // caller that reads the queue afterwards takes it then (most callers only answer).
        self.engine.take();
        let outcome = self.inner.await_commit(&slot);
        if let Ok(events) = &outcome {
            self.inner.erase_stored_contacts(events);
        }
        outcome
    }
}

impl Inner {
    /// Commit what is pending and hold the writer and the engine with nothing pending: the
    /// engine's state is exactly what is durable (for a stream's first snapshot, and to take in
    /// other programs' commits).
    pub(crate) fn quiesce(&self) -> (MutexGuard<'_, group::Writer>, MutexGuard<'_, Engine>) {
        loop {
            let writer = lock(&self.writer);
            let engine = lock(&self.engine);
            if lock(&self.group.pending).is_empty() {
                return (writer, engine);
            }
            drop(engine);
            self.lead(writer);
        }
    }

    /// Take in what other programs committed to this database and publish it like the hub's
    /// own. Returns how many events.
    pub(crate) fn follow_others(&self) -> Result<usize, EngineError> {
        let (mut writer, mut engine) = self.quiesce();
        let n = engine.catch_up()?;
        let theirs = engine.take_foreign();
        publish(self, &mut engine, &theirs);
        self.rebuilt(&mut writer, engine.queue().seq());
        drop((writer, engine));
        self.erase_stored_contacts(&theirs);
        Ok(n)
    }

    /// A visitor's erase request: also rewrite the stored copies (log, snapshots) and overwrite
    /// the freed space, not only the state — before the caller is answered, on a connection of
    /// its own, holding nothing the queue waits on.
    fn erase_stored_contacts(&self, events: &[Stamped]) {
        for e in events {
            if let crate::core::Event::ContactErased {
                appointment,
                signup,
                ..
            } = &e.event
                && let Err(err) = Store::open_file(&self.db_path)
                    .and_then(|mut s| s.erase_contact_of(*appointment, *signup))
            {
                log::error!("cannot erase the stored copies of a contact: {err}");
            }
        }
    }
}

/// After a commit (the hub's own or another program's): keep the catalog in use, erase the
/// stored copies of an erased contact, push the events in order, recompute the protection
/// requests.
pub(crate) fn publish(inner: &Inner, engine: &mut Engine, events: &[Stamped]) {
    if events.is_empty() {
        return;
    }
    for e in events {
        if let crate::core::Event::CatalogChanged { .. } = &e.event {
            *inner.catalog.write().unwrap_or_else(|p| p.into_inner()) =
                engine.queue().catalog().clone();
        }
    }
    push(inner, events);
    inner.refresh_protection_after(engine.queue(), events);
}

/// Whether publishing `events` needs the queue (a catalog change, or protection requests that
/// may change); most commits need only [`push`], without waiting for the engine.
pub(crate) fn needs_queue(inner: &Inner, events: &[Stamped]) -> bool {
    events
        .iter()
        .any(|e| matches!(e.event, crate::core::Event::CatalogChanged { .. }))
        || inner.protection_may_change(
            &inner.catalog.read().unwrap_or_else(|p| p.into_inner()),
            events,
        )
}

/// Push committed events to every subscriber, in order.
pub(crate) fn push(inner: &Inner, events: &[Stamped]) {
    for e in events {
        // No subscriber is not an error.
        let _ = inner.pushes.send(Push::Event(Arc::new(e.clone())));
    }
}

/// Why a kiosk's command was not carried out.
#[derive(Debug)]
pub enum KioskError {
    /// The kiosk did too much in a short time: wait this many seconds.
    Limited(i64),
    Engine(EngineError),
}

impl Session<'_> {
    /// A command from a kiosk (`key` names it): held to the kiosk limits (on real time, even on
    /// a training clock), counted, and a check-in refused in one word for every code that does
    /// not check in today. The one path for the hub's own kiosk and kiosks on the network.
    pub fn execute_for_kiosk(
        &mut self,
        key: &str,
        cmd: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Stamped>, KioskError> {
        let real_now = Utc::now();
        let catalog = self.engine().queue().catalog().clone();
        lock(&self.inner.kiosk_limits)
            .check(key, cmd, &catalog, real_now)
            .map_err(KioskError::Limited)?;
        let result = self.execute(cmd, now);
        let outcome = match &result {
            Ok(events) => Some(Ok(events.as_slice())),
            Err(EngineError::Queue(q)) => Some(Err(q)),
            Err(EngineError::Store(_)) => None,
        };
        if let Some(outcome) = outcome {
            lock(&self.inner.kiosk_limits).record(key, cmd, outcome, real_now);
        }
        result.map_err(|e| {
            KioskError::Engine(match (e, cmd) {
                (EngineError::Queue(q), Command::CheckIn { code }) => {
                    EngineError::Queue(q.for_kiosk_check_in(code))
                }
                (e, _) => e,
            })
        })
    }
}

/// Why a command was not carried out, for a screen that must tell the visitor.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The queue rules refused it (this process's hub).
    Queue(crate::core::QueueError),
    /// The hub on another device refused it; its message is already in the asked language.
    Remote { code: String, message: String },
    /// The hub cannot be reached or failed (disk, database, network): nothing was done.
    Unavailable(String),
    /// This kiosk did too much in a short time (its limits): wait this many seconds.
    Limited(i64),
}

impl Refusal {
    /// The error code, as in the API (`bad-phone`, `slot-full`…).
    pub fn code(&self) -> String {
        match self {
            Refusal::Queue(e) => e.fluent_id().trim_start_matches("error-").to_string(),
            Refusal::Remote { code, .. } => code.clone(),
            Refusal::Unavailable(_) => "unavailable".into(),
            Refusal::Limited(_) => "too-many-attempts".into(),
        }
    }

    /// Words for the visitor in the language of `l`.
    pub fn text(&self, l: &crate::i18n::Localizer, catalog: &Catalog) -> String {
        match self {
            Refusal::Queue(e) => l.error(e, catalog),
            Refusal::Remote { message, .. } => message.clone(),
            Refusal::Unavailable(_) => l.text("kiosk-go-to-reception", None),
            Refusal::Limited(_) => l.text("kiosk-too-many", None),
        }
    }
}

/// What a screen needs from a hub, here or on another device: read the queue, run commands.
pub trait QueueAccess {
    fn queue(&self) -> &Queue;
    /// Run one command; `lang` is the language refusals are worded in.
    fn run(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        lang: crate::core::Lang,
    ) -> Result<Vec<Stamped>, Refusal>;
    /// The visitor's follow link for what `events` (the last command's own) made — a ticket,
    /// an appointment, a sign-up — when the hub serves links.
    fn follow_url(&self, events: &[Stamped]) -> Option<String>;
}

/// The name under which the hub's own kiosk (the one in this process) is limited.
pub const LOCAL_KIOSK: &str = "kiosk";

/// The kiosk that runs the hub in-process: the same rules as a kiosk on the network (its
/// limits, one answer for every check-in code that does not check in today).
impl QueueAccess for Session<'_> {
    fn queue(&self) -> &Queue {
        self.engine().queue()
    }

    fn run(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        _lang: crate::core::Lang,
    ) -> Result<Vec<Stamped>, Refusal> {
        self.execute_for_kiosk(LOCAL_KIOSK, cmd, now)
            .map_err(|e| match e {
                KioskError::Limited(secs) => Refusal::Limited(secs),
                KioskError::Engine(EngineError::Queue(q)) => Refusal::Queue(q),
                KioskError::Engine(EngineError::Store(e)) => {
                    log::error!("the engine failed: {e}");
                    Refusal::Unavailable(e.to_string())
                }
            })
    }

    fn follow_url(&self, events: &[Stamped]) -> Option<String> {
        self.inner.follow_url_for(events)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the engine half-changed (it reloads on a
    // failed commit), so carry on with the data as it is.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    /// The database refused a write: raise the storage alert (once) and push it to staff.
    fn storage_failed(&self, why: &str) {
        let now = self.clock.unwrap_or_else(Utc::now);
        let raised = {
            let mut all = lock(&self.alerts);
            let key = ("local-hub".to_string(), STORAGE.to_string());
            let new = !all.contains_key(&key);
            all.entry(key).or_insert(DeviceAlert {
                device: "hub".into(),
                device_id: None,
                kind: STORAGE.into(),
                message: format!(
                    "the hub cannot save (disk full, read-only or failing: {why}); visitors are sent to reception until it can"
                ),
                since: now,
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
            .remove(&("local-hub".to_string(), STORAGE.to_string()))
            .is_some();
        if cleared {
            log::info!("storage works again");
            let _ = self.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        }
    }

    /// Raise (`Some(message)`) or clear (`None`) one of the hub's own alerts of `kind` (the
    /// city link); staff streams hear of a change at once.
    fn hub_alert(&self, kind: &str, message: Option<String>) {
        let now = self.clock.unwrap_or_else(Utc::now);
        let key = ("local-hub".to_string(), kind.to_string());
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
                                kind: kind.into(),
                                message,
                                since: now,
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
        lock(&self.alerts).contains_key(&("local-hub".to_string(), STORAGE.to_string()))
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
        let (pushes, _) = broadcast::channel(STREAM_BUFFER);
        let hub = Hub {
            inner: Arc::new(Inner {
                engine: Mutex::new(engine),
                auth: Mutex::new(auth),
                catalog: std::sync::RwLock::new(catalog),
                pushes,
                alerts: Mutex::new(BTreeMap::new()),
                clock,
                printer: Mutex::new(None),
                limiter: Mutex::new(auth::PairLimiter::default()),
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
            }),
        };
        let key = hub.auth_store().follow_key()?;
        hub.inner.follow.set_key(key);
        let revoked = hub.auth_store().revoked_ids()?;
        hub.inner.revoked.send_replace(revoked);
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
        self.inner.clock.unwrap_or_else(Utc::now)
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
    /// Err: plain words on why not — no printer here, paper out, cover open, unreachable.
    pub fn print(&self, job: Job) -> Result<(), String> {
        match self.printer() {
            Some(p) => p.spooler.submit_and_wait(job, REPRINT_WAIT),
            None => Err("this hub has no printer: reprint from a kiosk, or set a printer in the hub's settings".into()),
        }
    }

    /// Replace the alerts a device reports about itself (empty = all clear) and tell subscribers
    /// when they changed. Alerts are kept by the device's identity (`source.key`), never by its
    /// name, and "device-offline" — the hub's own finding — is left alone.
    pub fn set_device_alerts(&self, source: &AlertSource, alerts: Vec<(String, String)>) {
        let alerts: Vec<(String, String)> = alerts
            .into_iter()
            .filter(|(kind, _)| kind != OFFLINE)
            .collect();
        self.replace_alerts(source, alerts, |k| k != OFFLINE);
    }

    /// Raise (Some) or clear (None) the hub's "device-offline" alert of one device; nothing else
    /// of that device's alerts changes.
    pub(crate) fn set_offline(&self, source: &AlertSource, message: Option<String>) {
        let alerts = message
            .map(|m| (OFFLINE.to_string(), m))
            .into_iter()
            .collect();
        self.replace_alerts(source, alerts, |k| k == OFFLINE);
    }

    /// Replace the alerts of `source` whose kind `owned` says are being set.
    fn replace_alerts(
        &self,
        source: &AlertSource,
        alerts: Vec<(String, String)>,
        owned: impl Fn(&str) -> bool,
    ) {
        let now = self.now();
        let key = source.key.as_str();
        let changed = {
            let mut all = lock(&self.inner.alerts);
            let before: Vec<String> = all
                .keys()
                .filter(|(d, k)| d == key && owned(k))
                .map(|(_, k)| k.clone())
                .collect();
            let wanted: Vec<String> = alerts.iter().map(|(kind, _)| kind.clone()).collect();
            all.retain(|(d, k), _| d != key || !owned(k) || wanted.contains(k));
            for (kind, message) in alerts {
                all.entry((key.to_string(), kind.clone()))
                    .and_modify(|a| {
                        a.message = message.clone();
                        a.device = source.name.clone();
                    })
                    .or_insert(DeviceAlert {
                        device: source.name.clone(),
                        device_id: source.id,
                        kind,
                        message,
                        since: now,
                    });
            }
            before.len() != wanted.len() || before.iter().any(|k| !wanted.contains(k))
        };
        if changed {
            let _ = self
                .inner
                .pushes
                .send(Push::Alerts(Arc::new(self.alerts())));
        }
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
        let before = today - chrono::Duration::days(i64::from(center.retention_days));
        let done = self.side_store().and_then(|mut s| {
            if at_start {
                s.purge_personal(before)
            } else {
                s.purge_personal_online(before)
            }
        });
        match done {
            Ok(p) if p.events > 0 => log::info!(
                "erased names and phones of {} appointments and sign-ups before {before}",
                p.events
            ),
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

    /// Close the old day when the local day has turned (the core decides; `now` is passed in,
    /// so tests drive it with a fake clock). True when the day was turned.
    pub fn roll_over_if_due(&self, now: DateTime<Utc>) -> Result<bool, EngineError> {
        let mut s = self.session();
        if !s.queue().rollover_due(now) {
            return Ok(false);
        }
        s.execute(&Command::Tick, now)?;
        log::info!("a new day: yesterday's open tickets are closed");
        Ok(true)
    }

    /// Sleep until the core's next deadline (local midnight), then turn the day; wake at least
    /// every minute so a clock set late (a Pi without a real-time clock) is caught up.
    async fn turn_days(&self) {
        loop {
            let now = self.now();
            let deadline = self.session().queue().next_deadline(now);
            let wait = (deadline - now)
                .to_std()
                .unwrap_or_default()
                .min(std::time::Duration::from_secs(60));
            tokio::time::sleep(wait).await;
            let h = self.clone();
            let now = self.now();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || h.roll_over_if_due(now)).await {
                log::error!("cannot turn the day: {e}");
            }
        }
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

    pub fn alerts(&self) -> Vec<DeviceAlert> {
        lock(&self.inner.alerts).values().cloned().collect()
    }

    /// Serve the API, the event stream and the staff console on `addr` in plain HTTP (tests;
    /// see [`Hub::serve_with`]). Returns the bound address (port 0 picks a free one).
    pub async fn serve(
        &self,
        addr: SocketAddr,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        self.serve_with(addr, None).await
    }

    /// Serve on `addr` until the runtime stops; with `tls` (the hub's identity, see
    /// [`tls::Identity`]) HTTPS only, plain HTTP being redirected.
    pub async fn serve_with(
        &self,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let app = api::router(self.clone());
        let hub = self.clone();
        tokio::spawn(async move { auth::watch_presence(hub).await });
        // Devices unpaired by another program (`integra devices --revoke`) lose their streams
        // within a second too.
        let watching = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                tick.tick().await;
                let h = watching.clone();
                let ids = tokio::task::spawn_blocking(move || h.auth_store().revoked_ids()).await;
                if let Ok(Ok(ids)) = ids {
                    watching.inner.revoked.send_if_modified(|now| {
                        let changed = *now != ids;
                        *now = ids;
                        changed
                    });
                }
            }
        });
        // One truth: a command another program committed to this database (a technician's
        // `integra issue` beside the running hub) reaches every stream within a second.
        let following = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FOLLOW_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let h = following.clone();
                let _ = tokio::task::spawn_blocking(move || h.follow_others()).await;
            }
        });
        // Privacy: erase names and phones past the retention period, at start and every 6 hours.
        // The hub is "ready" once the first purge is done (it holds the database meanwhile).
        let purging = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(6 * 3600));
            let mut at_start = true;
            loop {
                tick.tick().await;
                let h = purging.clone();
                let _ = tokio::task::spawn_blocking(move || h.purge_personal(at_start)).await;
                purging.inner.ready.send_replace(true);
                at_start = false;
            }
        });
        // The day turns at local midnight even when nobody sends a command: open tickets of the
        // old day are closed and every screen shows the new day.
        let turning = self.clone();
        tokio::spawn(async move { turning.turn_days().await });
        // The hub loop's heartbeat for systemd's watchdog: it beats only when the engine can
        // be taken, so a stuck engine stops the pings.
        let beating = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(crate::device::watchdog::BEAT_EVERY);
            loop {
                tick.tick().await;
                let h = beating.clone();
                if tokio::task::spawn_blocking(move || drop(h.session()))
                    .await
                    .is_ok()
                {
                    crate::device::watchdog::beat("hub");
                }
            }
        });
        self.inner.follow.set_listen(local);
        let public = follow::routes().with_state(self.clone());
        let task = tokio::spawn(http::serve(listener, app, public, tls));
        Ok((local, task))
    }

    /// Run the server on its own thread with its own runtime (for the kiosk and the CLI).
    /// Returns once the port is bound, with the address or the reason it could not be.
    pub fn serve_in_background(
        &self,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<SocketAddr, String> {
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
                        let _ = tx.send(Err(format!("cannot start the network runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    match hub.serve_with(addr, tls).await {
                        Ok((local, task)) => {
                            let _ = tx.send(Ok(local));
                            let _ = task.await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(format!(
                                "cannot listen on {addr}: {e} (is another hub running? change `hub.listen` in the settings)"
                            )));
                        }
                    }
                });
            })
            .map_err(|e| format!("cannot start the hub thread: {e}"))?;
        rx.recv()
            .map_err(|_| "the hub thread stopped before listening".to_string())?
    }
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
