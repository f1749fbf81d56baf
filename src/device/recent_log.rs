//! The last lines this process logged, for the technician screen: a device in the field has no
//! shell and no `journalctl`, so the process keeps its own recent log lines in a small ring (the
//! same lines the journal gets, through env_logger).

use std::collections::VecDeque;
use std::sync::Mutex;

/// How many lines are kept (the oldest are dropped first).
pub const KEEP: usize = 100;

static RING: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// env_logger, and a copy of every line it writes into the ring.
struct Tee {
    inner: env_logger::Logger,
}

impl log::Log for Tee {
    fn enabled(&self, m: &log::Metadata) -> bool {
        self.inner.enabled(m)
    }

    fn log(&self, r: &log::Record) {
        if self.inner.matches(r) {
            remember(format!(
                "{} {} {}: {}",
                chrono::Utc::now().format("%H:%M:%S"),
                r.level(),
                r.target(),
                r.args()
            ));
        }
        self.inner.log(r);
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Install the logger: `RUST_LOG`, else `default` (e.g. "warn"), to standard error as before,
/// and into the ring.
pub fn init(default: &str) {
    let inner =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
            .format_timestamp(None)
            .build();
    let level = inner.filter();
    if log::set_boxed_logger(Box::new(Tee { inner })).is_ok() {
        log::set_max_level(level);
    }
}

/// Keep one line (also for lines said outside `log`, e.g. the cannot-start screen's).
pub fn remember(line: String) {
    if let Ok(mut ring) = RING.lock() {
        if ring.len() == KEEP {
            ring.pop_front();
        }
        ring.push_back(line);
    }
}

/// The last `n` lines, oldest first.
pub fn last(n: usize) -> Vec<String> {
    RING.lock()
        .map(|ring| {
            ring.iter()
                .skip(ring.len().saturating_sub(n))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}
