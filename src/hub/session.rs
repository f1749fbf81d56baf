use super::*;

/// Exclusive use of the engine for a moment: read the queue, execute commands. (While a
/// command waits for its group commit, the session lets the engine go, so others can apply
/// theirs and join the same commit.)
pub struct Session<'a> {
    /// The engine, locked from the first time the session reads or changes the queue until
    /// `execute` lets it go (while its command waits for the commit) or the session ends.
    pub(super) engine: std::cell::OnceCell<MutexGuard<'a, Engine>>,
    pub(super) inner: &'a Inner,
    /// The idempotency key of the next command executed, committed with its events.
    pub(super) key: Option<idempotent::RequestKey>,
}

impl<'a> Session<'a> {
    pub(super) fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| lock(&self.inner.engine))
    }

    pub(super) fn engine_mut(&mut self) -> &mut MutexGuard<'a, Engine> {
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

    /// Commit `key` with the events of the next command this session executes (see
    /// [`Hub::once`], which decides whether the command runs at all).
    pub fn keyed(mut self, key: Option<idempotent::RequestKey>) -> Self {
        self.key = key;
        self
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
        // A hub that was replaced never issues again (`hub::epoch`).
        if let Some(by) = self
            .inner
            .fence
            .borrow()
            .replaced
            .as_ref()
            .map(|r| r.by_epoch)
        {
            return Err(EngineError::Replaced(by));
        }
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
                key: self.key.take(),
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
    pub(super) fn erase_stored_contacts(&self, events: &[Stamped]) {
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
        // The place is taken before the command runs and given back if it does not count, so
        // concurrent commands from one kiosk never pass its limit.
        let reserved = lock(&self.inner.kiosk_limits)
            .reserve(key, cmd, &catalog, real_now)
            .map_err(KioskError::Limited)?;
        let result = self.execute(cmd, now);
        if let Some(r) = reserved {
            let outcome = match &result {
                Ok(_) => guard::Outcome::Done,
                Err(EngineError::Queue(q)) => guard::Outcome::Refused(q),
                Err(EngineError::Store(_) | EngineError::Replaced(_)) => guard::Outcome::Failed,
            };
            lock(&self.inner.kiosk_limits).settle(r, outcome);
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

    /// Whether the visitor's contact details were refused (a name or a phone to correct), from
    /// this process's hub or another device's.
    pub fn is_contact_problem(&self) -> bool {
        match self {
            Refusal::Queue(e) => matches!(
                e,
                crate::core::QueueError::BadName | crate::core::QueueError::BadPhone
            ),
            // The other hub sent the same code `code()` gives for these errors here.
            Refusal::Remote { code, .. } => [
                crate::core::QueueError::BadName,
                crate::core::QueueError::BadPhone,
            ]
            .into_iter()
            .any(|e| Refusal::Queue(e).code() == *code),
            Refusal::Unavailable(_) | Refusal::Limited(_) => false,
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
    /// The queue as this device's role may see it: all of it for staff; for a lobby device,
    /// read [`QueueAccess::public_queue`] instead.
    fn queue(&self) -> &Queue;
    /// The queue as the lobby may see it ([`Queue::for_public`]): the one door through which a
    /// kiosk reads the queue, whether the hub runs in its process (the full queue, redacted
    /// here) or on another device (its mirror of the public view, unchanged by redacting again).
    fn public_queue(&self) -> Queue {
        self.queue().for_public()
    }
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
        lang: crate::core::Lang,
    ) -> Result<Vec<Stamped>, Refusal> {
        self.execute_for_kiosk(LOCAL_KIOSK, cmd, now)
            .map_err(|e| match e {
                KioskError::Limited(secs) => Refusal::Limited(secs),
                KioskError::Engine(EngineError::Queue(q)) => Refusal::Queue(q),
                KioskError::Engine(EngineError::Store(e)) => {
                    log::error!("the engine failed: {e}");
                    Refusal::Unavailable(e.to_string())
                }
                KioskError::Engine(EngineError::Replaced(_)) => Refusal::Remote {
                    code: "replaced".into(),
                    message: super::epoch::replaced_text(
                        self.inner.fence.borrow().standby.clone(),
                        lang,
                    ),
                },
            })
    }

    fn follow_url(&self, events: &[Stamped]) -> Option<String> {
        self.inner.follow_url_for(events)
    }
}
