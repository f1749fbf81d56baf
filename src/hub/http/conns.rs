//! Every connection counted: open connections per address and in all — a WebSocket keeps its
//! connection's slot until it closes —, a total derived from the process's real open-file
//! limit, connections that have not finished their opening (TLS handshake, first byte, a
//! browser stream's auth message) shed oldest first when the hub is full, streams per device,
//! and log lines about refusals at most once a minute.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Open connections allowed from one address (the hub's own machine is not limited).
pub const CONNECTIONS_PER_ADDRESS: usize = 16;
/// Open connections allowed in all, whatever the file limit (memory on a Raspberry Pi).
pub const CONNECTIONS_MAX: usize = 8192;
/// Files kept for everything but connections: the database (3 files per connection, several
/// connections), logs, the printer, mDNS sockets, the runtime's own descriptors.
pub const FILES_KEPT: u64 = 128;
/// Connections admitted beyond the total while the unfinished ones they replace are closing.
pub const SHED_SLACK: usize = 32;
/// Event streams one device (one token) may hold open; the oldest is closed for a newer one
/// (a display or a counter terminal has one or two; a staff browser one per open console tab;
/// a device that lost its link comes back at once, its dead stream closed for it).
pub const STREAMS_PER_DEVICE: usize = 8;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Raise the soft open-file limit to the hard one (a hub or kiosk started by hand often has
/// 1,024); returns the soft limit in force afterwards, or `None` when it cannot be read.
pub fn raise_file_limit() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return None;
        }
        if r.rlim_cur < r.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: r.rlim_max,
                rlim_max: r.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                r = raised;
            }
        }
    }
    Some(r.rlim_cur)
}

/// The total connection cap for a process allowed `files` open files: what is left after
/// [`FILES_KEPT`] and an eighth more (never more than half the files), at most
/// [`CONNECTIONS_MAX`]. 1,024 files → 768 connections; 65,536 → 8,192.
pub fn total_for_files(files: u64) -> usize {
    let kept = (FILES_KEPT + files / 8).min(files / 2);
    let left = usize::try_from(files - kept).unwrap_or(usize::MAX);
    left.clamp(1, CONNECTIONS_MAX)
}

/// Counts an event and says when to write a log line about it: the first at once, then at
/// most one a minute with how many happened since the last line.
#[derive(Debug)]
pub struct Tally {
    every: Duration,
    since: Option<Instant>,
    count: u64,
}

impl Tally {
    pub fn per_minute() -> Self {
        Tally {
            every: Duration::from_secs(60),
            since: None,
            count: 0,
        }
    }

    /// Count one; `Some(n)` when a line is due (n = how many since the last line).
    pub fn note(&mut self, now: Instant) -> Option<u64> {
        self.count += 1;
        let due = self
            .since
            .is_none_or(|t| now.duration_since(t) >= self.every);
        if !due {
            return None;
        }
        self.since = Some(now);
        Some(std::mem::take(&mut self.count))
    }
}

/// Open connections, per address and in all; unfinished ones; streams per device.
#[derive(Debug)]
pub struct Connections {
    total_cap: usize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    total: AtomicUsize,
    next: AtomicU64,
    /// Connections still opening, oldest first: told to close when the hub is full.
    unfinished: Mutex<BTreeMap<u64, Arc<Notify>>>,
    /// Open streams per device, oldest first.
    streams: Mutex<HashMap<u64, BTreeMap<u64, Arc<Notify>>>>,
    refused: Mutex<Tally>,
}

/// One admitted connection: its slot is given back when the last holder drops it (the
/// connection's task, and an upgraded WebSocket's task).
#[derive(Debug)]
pub struct Slot {
    conns: Arc<Connections>,
    bucket: Option<IpAddr>,
    id: u64,
}

/// What a request's handlers see of its connection (a request extension).
#[derive(Debug, Clone)]
pub struct Held(pub Arc<Slot>);

/// Whether an address is the hub's own machine (its kiosk, the command line).
fn own_machine(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::LOCALHOST) || ip == IpAddr::V6(Ipv6Addr::LOCALHOST)
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.conns.unfinished).remove(&self.id);
        self.conns.total.fetch_sub(1, Ordering::SeqCst);
        if let Some(ip) = self.bucket {
            let mut m = lock(&self.conns.per_address);
            if let Some(n) = m.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&ip);
                }
            }
        }
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its address already holds [`CONNECTIONS_PER_ADDRESS`].
    Address,
    /// The hub holds its total and nothing unfinished could make room.
    Full,
    /// The hub holds its total and the slack: the unfinished connections told to close for
    /// earlier newcomers have not closed yet (the accept loop waits for them, then asks again).
    Shedding,
}

impl Connections {
    /// Connections for a process allowed `files` open files.
    pub fn for_files(files: u64) -> Arc<Self> {
        Arc::new(Connections {
            total_cap: total_for_files(files),
            per_address: Mutex::default(),
            total: AtomicUsize::new(0),
            next: AtomicU64::new(0),
            unfinished: Mutex::default(),
            streams: Mutex::default(),
            refused: Mutex::new(Tally::per_minute()),
        })
    }

    pub fn total_cap(&self) -> usize {
        self.total_cap
    }

    pub fn open(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    /// Admit a connection from `ip`. When the hub is full, the oldest connection still opening
    /// is told to close and the new one takes its place.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Arc<Slot>, Refused> {
        let bucket = (!own_machine(ip)).then(|| crate::hub::auth::address_bucket(ip));
        if let Some(key) = bucket {
            let mut m = lock(&self.per_address);
            let n = m.entry(key).or_insert(0);
            if *n >= CONNECTIONS_PER_ADDRESS {
                return Err(Refused::Address);
            }
            *n += 1;
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        // From here the slot gives back what it took, whatever happens.
        let total = self.total.fetch_add(1, Ordering::SeqCst);
        let slot = Arc::new(Slot {
            conns: self.clone(),
            bucket,
            id,
        });
        if total < self.total_cap {
            return Ok(slot);
        }
        let oldest = lock(&self.unfinished).pop_first();
        match oldest {
            Some((_, shed)) if total < self.total_cap + SHED_SLACK => {
                shed.notify_one();
                Ok(slot)
            }
            Some((id, shed)) => {
                // Past the slack: the shed ones have not closed yet; keep it for later.
                lock(&self.unfinished).insert(id, shed);
                Err(Refused::Shedding)
            }
            None => Err(Refused::Full),
        }
    }

    /// Count a refusal; `Some(n)` when a log line is due (n refusals since the last one).
    pub fn note_refused(&self) -> Option<u64> {
        lock(&self.refused).note(Instant::now())
    }

    /// Open streams of `device`.
    pub fn streams_of(&self, device: u64) -> usize {
        lock(&self.streams).get(&device).map_or(0, BTreeMap::len)
    }
}

impl Slot {
    /// This connection is still opening: the returned signal fires when it must close to make
    /// room. [`Slot::finished`] ends that.
    pub fn opening(&self) -> Arc<Notify> {
        let shed = Arc::new(Notify::new());
        lock(&self.conns.unfinished).insert(self.id, shed.clone());
        shed
    }

    /// This connection has opened: it is no longer shed.
    pub fn finished(&self) {
        lock(&self.conns.unfinished).remove(&self.id);
    }

    /// Open a stream of `device` on this connection: the returned signal fires when a newer
    /// stream of the same device takes its place (beyond [`STREAMS_PER_DEVICE`]).
    pub fn stream(&self, device: u64) -> Stream {
        let replaced = Arc::new(Notify::new());
        let mut all = lock(&self.conns.streams);
        let mine = all.entry(device).or_default();
        mine.insert(self.id, replaced.clone());
        while mine.len() > STREAMS_PER_DEVICE {
            if let Some((_, old)) = mine.pop_first() {
                old.notify_one();
            }
        }
        Stream {
            conns: self.conns.clone(),
            device,
            id: self.id,
            replaced,
        }
    }
}

/// An open event stream of a device; forgotten when dropped.
#[derive(Debug)]
pub struct Stream {
    conns: Arc<Connections>,
    device: u64,
    id: u64,
    pub replaced: Arc<Notify>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let mut all = lock(&self.conns.streams);
        if let Some(mine) = all.get_mut(&self.device) {
            mine.remove(&self.id);
            if mine.is_empty() {
                all.remove(&self.device);
            }
        }
    }
}
