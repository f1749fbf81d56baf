//! The engine joins the pure queue to its durable store: the one path every change takes.
//!
//! `execute(command, now)`: the core decides, the store commits (fsync), and only then are the
//! events returned to the caller (who may show or print a number). When the commit fails, the
//! in-memory queue is rebuilt from the store, so memory never runs ahead of the disk.

use crate::core::{Catalog, Command, Event, Queue, QueueError, Stamped};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// Write a snapshot at every day rollover and at least this often (in events), so restarts
/// replay little (≈ 1.5 ms per 1,000 events measured); mid-day snapshots of a busy day are
/// large, so they are rare.
const SNAPSHOT_EVERY: u64 = 50_000;
/// How long a command keeps retrying while other processes write at the same moment (a hub
/// committing a busy morning beside a technician's CLI command). Each retry waits a little
/// longer, with jitter, so two writers that collided do not collide again in step.
const CONFLICT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// The wait before retry number `attempt` (1, 2, …): 1–2 ms, growing to 20–40 ms.
fn conflict_backoff(attempt: u32) -> std::time::Duration {
    let base = u64::from(attempt.min(20));
    let jitter = nonce() % (base * 1_000).max(1);
    std::time::Duration::from_micros(base * 1_000 + jitter)
}

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// This hub stepped down: a hub of this higher epoch replaced it (`hub::epoch`).
    #[error(
        "this device is no longer the hub: a promoted hub (epoch {0}) replaced it; use the new hub"
    )]
    Replaced(u64),
}

pub struct Engine {
    queue: Queue,
    store: Store,
    last_snapshot: u64,
    /// Events another program committed to the same database (a CLI command beside a running
    /// hub), taken in by this engine and not yet published by its owner.
    foreign: Vec<Stamped>,
}

impl Engine {
    /// Open the store in `data_dir` and rebuild the queue from it.
    pub fn open(data_dir: &Path, catalog: Arc<Catalog>) -> Result<Engine, StoreError> {
        Self::with_store(Store::open(data_dir)?, catalog)
    }

    pub fn with_store(store: Store, catalog: Arc<Catalog>) -> Result<Engine, StoreError> {
        let (queue, last_snapshot) = load(&store, catalog)?;
        Ok(Engine {
            queue,
            store,
            last_snapshot,
            foreign: Vec::new(),
        })
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Apply a command and make its events durable. Returns the committed events.
    pub fn execute(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Stamped>, EngineError> {
        // Decide on everything stored, including what another program committed a moment ago
        // (an appointment booked from the command line checks in at once).
        self.catch_up()?;
        let mut attempt = 0u32;
        let started = std::time::Instant::now();
        // After a first conflict, each try keeps the queue as it was before it, so the next one
        // steps back and takes in only what the other process wrote (one indexed read) instead
        // of rebuilding from disk — a rebuild slower than a busy hub's next commit would lose
        // every time.
        let mut saved: Option<Queue> = None;
        loop {
            let before = self.queue.seq();
            if attempt > 0 {
                saved = Some(self.queue.clone());
            }
            let events = self.queue.apply(cmd, now)?;
            if events.is_empty() {
                return Ok(events);
            }
            let rollover = events
                .iter()
                .any(|e| matches!(e.event, Event::DayStarted { .. }));
            let after = self.queue.seq();
            let snapshot = (rollover || after - self.last_snapshot >= SNAPSHOT_EVERY)
                .then(|| self.queue.state());
            match self.store.commit(before, &events, snapshot) {
                Ok(()) => {
                    if snapshot.is_some() {
                        self.last_snapshot = after;
                        log::info!("snapshot written at seq {after}");
                    }
                    log::debug!("committed seq {}..={after}", before + 1);
                    return Ok(events);
                }
                Err(StoreError::Conflict { expected, found })
                    if started.elapsed() < CONFLICT_PATIENCE =>
                {
                    // Another process (e.g. the hub, or a CLI command beside the kiosk) wrote
                    // first: wait a moment, take in what it wrote, decide again.
                    log::info!("another process wrote seq {expected}..{found}; catching up");
                    attempt += 1;
                    std::thread::sleep(conflict_backoff(attempt));
                    match saved.take() {
                        Some(q) => {
                            self.queue = q;
                            self.catch_up()?;
                        }
                        None => self.resync(before)?,
                    }
                }
                Err(e) => {
                    // Memory must not run ahead of the disk: rebuild from what is stored.
                    log::error!("commit failed, reloading the queue from disk: {e}");
                    self.resync(before)?;
                    return Err(e.into());
                }
            }
        }
    }

    /// Apply a command in memory only, for a group commit: the events (numbered after every
    /// event applied so far, committed or not) and, when one is due, a snapshot of the state
    /// right after them. The caller must commit them — in order, with the events applied before
    /// — and answer nobody before that commit is durable.
    pub fn apply_uncommitted(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Stamped>, Option<crate::core::State>), QueueError> {
        let events = self.queue.apply(cmd, now)?;
        if events.is_empty() {
            return Ok((events, None));
        }
        let rollover = events
            .iter()
            .any(|e| matches!(e.event, Event::DayStarted { .. }));
        let after = self.queue.seq();
        let snapshot = (rollover || after - self.last_snapshot >= SNAPSHOT_EVERY).then(|| {
            self.last_snapshot = after;
            self.queue.state().clone()
        });
        Ok((events, snapshot))
    }

    /// Rebuild the queue from the store (after a failed commit, or to catch up).
    pub fn reload(&mut self) -> Result<(), StoreError> {
        let (queue, snap) = load(&self.store, self.queue.catalog().clone())?;
        self.queue = queue;
        self.last_snapshot = snap;
        Ok(())
    }

    /// Rebuild from the store after a commit that did not go through (memory ran ahead of the
    /// disk), when `committed` was the last event this engine knew to be stored: what others
    /// wrote since is kept for publishing.
    pub fn resync(&mut self, committed: u64) -> Result<(), StoreError> {
        self.reload()?;
        let theirs = self.store.events_after(committed)?;
        self.foreign.extend(theirs);
        Ok(())
    }

    /// Take in the events other programs committed since this engine's last one (a CLI command
    /// beside a running hub). They are kept for [`Engine::take_foreign`]; returns how many.
    pub fn catch_up(&mut self) -> Result<usize, StoreError> {
        let theirs = self.store.events_after(self.queue.seq())?;
        for e in &theirs {
            self.queue.follow(e);
        }
        let n = theirs.len();
        self.foreign.extend(theirs);
        Ok(n)
    }

    /// The events other programs committed that this engine took in and nobody published yet,
    /// in sequence order.
    pub fn take_foreign(&mut self) -> Vec<Stamped> {
        std::mem::take(&mut self.foreign)
    }
}

fn load(store: &Store, catalog: Arc<Catalog>) -> Result<(Queue, u64), StoreError> {
    let snapshot = store.latest_snapshot()?;
    let from = snapshot.as_ref().map_or(0, |s| s.seq);
    let events = store.events_after(from)?;
    log::info!(
        "loading the queue: snapshot at seq {from}, {} events to replay",
        events.len()
    );
    let queue = match snapshot {
        Some(state) => Queue::resume(catalog, state, &events),
        None => Queue::replay(catalog, &events),
    };
    Ok((queue, from))
}

/// Randomness for short codes (the core has none of its own).
pub fn nonce() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    })
}
