//! The visitors' phones on their own threads: a connection whose first request asks for a follow
//! page (`GET /f/…`) is served by a small runtime of its own whose threads run at a lower CPU
//! priority (nice +10), so the burst of re-polls after each call (thousands of phones at once)
//! takes only the CPU the kiosks, counters and displays leave: their commands are served first.
//! Engine work a follow page needs (a link not seen yet, a feedback answer) is still done on
//! the hub's own blocking threads at normal priority (see `hub::follow::engine_work`): a thread
//! of low priority never holds the engine's lock.

use std::sync::OnceLock;

/// How much lower the follow threads' priority is (a nice value: +10 gets about a tenth of
/// the CPU a normal thread gets when both want it, all of it when nothing else runs).
pub const FOLLOW_NICE: libc::c_int = 10;
/// Worker threads of the follow runtime (the hub's own runtime has as many as cores).
const FOLLOW_WORKERS: usize = 2;

/// The follow runtime, started on first use and kept for the life of the process (one for
/// every hub of the process); `None` if it could not be started (the follow pages are then
/// served on the hub's own runtime, as every other connection).
pub fn follow_runtime() -> Option<&'static tokio::runtime::Handle> {
    static POOL: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    POOL.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(FOLLOW_WORKERS)
            .thread_name("hub-follow")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()
            .map_err(|e| log::warn!("cannot start the follow pages' own threads: {e}"))
            .ok()
    })
    .as_ref()
    .map(tokio::runtime::Runtime::handle)
}

/// Lower the calling thread's CPU priority (on Linux the nice value is per thread).
fn lower_priority() {
    // SAFETY: gettid and setpriority only read their arguments; raising one's own nice value
    // needs no privilege.
    let done = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, FOLLOW_NICE)
    };
    if done != 0 {
        log::debug!(
            "cannot lower a follow thread's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Whether a plain connection's first request asks for a follow page: its first bytes, as they
/// arrived (a request line comes in one segment; when it does not, the connection simply stays
/// on the hub's own runtime).
pub async fn asks_follow(stream: &tokio::net::TcpStream) -> bool {
    const HEAD: &[u8] = b"GET /f/";
    let mut first = [0u8; HEAD.len()];
    matches!(stream.peek(&mut first).await, Ok(n) if n == HEAD.len() && first == HEAD)
}
