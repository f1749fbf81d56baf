//! Group commit: commands that arrive while a commit is in flight are applied in order (in
//! memory, under the engine lock) and committed together — one transaction, one fsync — and
//! each caller is answered only after the fsync that covers its command. A number shown is a
//! number kept, as before; the disk's commit rate is shared by every command waiting.
//!
//! The protocol (leader/followers, no thread of its own):
//! 1. A caller applies its command under the engine lock and appends it to `pending` (so the
//!    pending list is in sequence order), then lets the engine lock go.
//! 2. It waits for its slot. Whoever takes the writer lock first is the leader: it takes every
//!    pending command, commits their events in one transaction against the last durable
//!    sequence number (the optimistic check against other programs stays), fills the slots,
//!    publishes the events in order and lets the writer go; the others wait and check again.
//! 3. When another program committed first, the leader rebuilds the queue from the disk and
//!    applies the same commands again, in the same order (their callers get the new outcome).
//!    When the disk fails, the queue is rebuilt from the disk and every pending command fails:
//!    memory never stays ahead of the disk, and no caller was answered.
//!
//! Lock order: writer → engine → pending.

use super::{Inner, lock};
use crate::core::{Command, Stamped, State};
use crate::engine::{Engine, EngineError};
use crate::store::idempotency::KeyRecord;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Drill hook: with `INTEGRA_DRILL_ABORT_AT_COMMIT=N` the process aborts (as on a power cut)
/// just before its N-th group commit — after the commands were applied in memory, before the
/// fsync. For tests of the promise that nothing was answered that is not stored.
fn abort_before_commit() {
    static AT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let at = AT.get_or_init(|| {
        std::env::var("INTEGRA_DRILL_ABORT_AT_COMMIT")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if let Some(at) = at
        && COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == *at
    {
        log::error!("drill: aborting before commit #{at}");
        std::process::abort();
    }
}

/// Drill hook: with `INTEGRA_DRILL_ABORT_AFTER_COMMIT=N` the process aborts (as on a power cut)
/// just after its N-th group commit — durable, nobody answered yet. For tests of retried
/// commands (their key was committed with the events; the retry must get the same answer).
fn abort_after_commit() {
    static AT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let at = AT.get_or_init(|| {
        std::env::var("INTEGRA_DRILL_ABORT_AFTER_COMMIT")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if let Some(at) = at
        && COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == *at
    {
        log::error!("drill: aborting after commit #{at}");
        std::process::abort();
    }
}

/// How long a group is applied again, at once, while other programs write first (a
/// technician's commands beside the hub: they back off after each conflict, so the hub — whose
/// callers are visitors at a kiosk — gets through; five quick retries once failed a ticket
/// while four commands raced it).
const CONFLICT_PATIENCE: Duration = Duration::from_secs(5);

type Outcome = Result<Vec<Stamped>, EngineError>;

/// Where a caller's answer is put, and how its caller is woken.
#[derive(Clone, Default)]
pub(crate) struct Slot(Arc<(Mutex<SlotState>, Condvar)>);

#[derive(Default)]
struct SlotState {
    outcome: Option<Outcome>,
    /// The writer was free while this command was pending: its caller should lead.
    poked: bool,
}

impl Slot {
    fn state(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.0.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fill(&self, outcome: Outcome) {
        self.state().outcome = Some(outcome);
        self.0.1.notify_one();
    }

    /// Tell its caller the writer is free and its command still pending (kept until the caller
    /// looks, so a poke before it waits is not lost).
    fn poke(&self) {
        self.state().poked = true;
        self.0.1.notify_one();
    }

    fn take(&self) -> Option<Outcome> {
        self.state().outcome.take()
    }

    /// The answer, or None when poked or after `limit` (a safety net: answers and pokes wake
    /// the caller at once).
    fn wait(&self, limit: Duration) -> Option<Outcome> {
        let mut state = self.state();
        if state.outcome.is_none() && !state.poked {
            state = self
                .0
                .1
                .wait_timeout_while(state, limit, |s| s.outcome.is_none() && !s.poked)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        state.poked = false;
        state.outcome.take()
    }
}

/// A command applied in memory, not yet durable.
pub(crate) struct Entry {
    pub cmd: Command,
    pub now: DateTime<Utc>,
    pub events: Vec<Stamped>,
    pub snapshot: Option<State>,
    pub slot: Slot,
    /// Its idempotency key, committed with its events.
    pub key: Option<super::idempotent::RequestKey>,
}

/// The connection commits go through, and how far the log is durable.
pub(crate) struct Writer {
    pub store: Store,
    pub durable: u64,
}

#[derive(Default)]
pub(crate) struct Group {
    pub pending: Mutex<Vec<Entry>>,
    /// Idempotency keys whose command is running.
    pub(crate) keys: super::idempotent::InFlight,
}

impl Inner {
    /// Wait until `slot` is answered, leading a commit whenever the writer is free.
    pub(crate) fn await_commit(&self, slot: &Slot) -> Outcome {
        loop {
            if let Some(outcome) = slot.take() {
                return outcome;
            }
            if let Ok(writer) = self.writer.try_lock() {
                self.lead(writer);
                continue;
            }
            // Woken by the answer, or poked by a leader leaving pending commands behind.
            if let Some(outcome) = slot.wait(Duration::from_millis(100)) {
                return outcome;
            }
        }
    }

    /// The queue was rebuilt from the disk at `seq`: that much is durable, and nothing more is
    /// applied.
    pub(crate) fn rebuilt(&self, writer: &mut Writer, seq: u64) {
        use std::sync::atomic::Ordering::SeqCst;
        writer.durable = seq;
        self.durable_seq.store(seq, SeqCst);
        self.applied_seq.store(seq, SeqCst);
    }

    /// Commit every pending command as one transaction, answer their callers, publish.
    pub(crate) fn lead(&self, mut writer: std::sync::MutexGuard<'_, Writer>) {
        let mut batch: Vec<Entry> = std::mem::take(&mut *lock(&self.group.pending));
        let started = std::time::Instant::now();
        while !batch.is_empty() {
            let events: Vec<Stamped> = batch.iter().flat_map(|e| e.events.clone()).collect();
            let snapshot = batch.iter().rev().find_map(|e| e.snapshot.as_ref());
            let keys: Vec<KeyRecord> = batch
                .iter()
                .filter_map(|e| e.key.as_ref()?.record(&e.events))
                .collect();
            let durable = writer.durable;
            abort_before_commit();
            match writer.store.commit_keyed(durable, &events, snapshot, &keys) {
                Ok(()) => {
                    abort_after_commit();
                    writer.durable = events.last().map_or(durable, |e| e.seq);
                    self.durable_seq
                        .store(writer.durable, std::sync::atomic::Ordering::SeqCst);
                    // Durable on both while the standby is connected (at most SYNC_WAIT).
                    self.replica.await_ack(self, writer.durable);
                    // Most commits need only the pushes: the engine (busy with the next
                    // commands) is taken only for a catalog change or a protection request.
                    if super::needs_queue(self, &events) {
                        let mut engine = lock(&self.engine);
                        super::publish(self, &mut engine, &events);
                    } else {
                        super::push(self, &events);
                    }
                    self.storage_ok();
                    for e in batch {
                        e.slot.fill(Ok(e.events));
                    }
                    break;
                }
                Err(StoreError::Conflict { .. }) if started.elapsed() < CONFLICT_PATIENCE => {
                    // Another program wrote first: rebuild from the disk (its events are
                    // published first) and apply the same commands again, in order.
                    let mut engine = lock(&self.engine);
                    batch.append(&mut lock(&self.group.pending));
                    if let Err(e) = engine.resync(durable) {
                        fail_all(self, batch, &e.to_string());
                        self.rebuilt(&mut writer, engine.queue().seq());
                        break;
                    }
                    let theirs = engine.take_foreign();
                    super::publish(self, &mut engine, &theirs);
                    self.rebuilt(&mut writer, engine.queue().seq());
                    batch = reapply(&mut engine, batch);
                    self.applied_seq
                        .store(engine.queue().seq(), std::sync::atomic::Ordering::SeqCst);
                }
                Err(e) => {
                    let mut engine = lock(&self.engine);
                    batch.append(&mut lock(&self.group.pending));
                    log::error!("commit failed, reloading the queue from disk: {e}");
                    if let Err(reload) = engine.resync(durable) {
                        log::error!("cannot reload the queue after a failed commit: {reload}");
                    }
                    let theirs = engine.take_foreign();
                    super::publish(self, &mut engine, &theirs);
                    self.rebuilt(&mut writer, engine.queue().seq());
                    fail_all(self, batch, &e.to_string());
                    break;
                }
            }
        }
        drop(writer);
        // Commands arrived during this commit: their first caller leads the next one.
        if let Some(next) = lock(&self.group.pending).first() {
            next.slot.poke();
        }
    }
}

/// Apply the commands again on the rebuilt queue; those that no longer apply are answered now.
fn reapply(engine: &mut Engine, batch: Vec<Entry>) -> Vec<Entry> {
    let mut again = Vec::with_capacity(batch.len());
    for mut e in batch {
        match engine.apply_uncommitted(&e.cmd, e.now) {
            Ok((events, _)) if events.is_empty() => e.slot.fill(Ok(events)),
            Ok((events, snapshot)) => {
                e.events = events;
                e.snapshot = snapshot;
                again.push(e);
            }
            Err(q) => e.slot.fill(Err(EngineError::Queue(q))),
        }
    }
    again
}

/// The disk refused: every waiting command fails (nothing of theirs is stored), staff are told.
fn fail_all(inner: &Inner, batch: Vec<Entry>, why: &str) {
    inner.storage_failed(why);
    for e in batch {
        e.slot
            .fill(Err(EngineError::Store(StoreError::Failed(why.to_string()))));
    }
}
