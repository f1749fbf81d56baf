//! A fake network printer on loopback, for tests, the benchmark and training: it answers
//! `DLE EOT` like an Epson printer in the state it is set to, keeps what it receives, can run
//! out of paper, and can vanish in the middle of a job.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fake printer is like right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeState {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    /// Answers no status request (a printer without read-back).
    Silent,
    /// Drops the connection after receiving this many more bytes (answers status until then).
    VanishAfter(usize),
    /// Accepts connections but reads nothing (a jammed printer): writes end up blocking.
    Stalled,
}

impl FakeState {
    /// Answers to `DLE EOT` 1, 2, 4 (values measured on Epson-compatible printers).
    fn answer(self, n: u8) -> Option<u8> {
        let (printer, offline, paper) = match self {
            FakeState::Ready | FakeState::VanishAfter(_) => (0x12, 0x12, 0x12),
            FakeState::PaperNearEnd => (0x12, 0x12, 0x1E),
            FakeState::PaperOut => (0x1A, 0x32, 0x7E),
            FakeState::CoverOpen => (0x1A, 0x16, 0x12),
            FakeState::Silent | FakeState::Stalled => return None,
        };
        match n {
            1 => Some(printer),
            2 => Some(offline),
            4 => Some(paper),
            _ => None,
        }
    }
}

struct Shared {
    state: FakeState,
    received: Vec<u8>,
    connections: usize,
}

pub struct FakePrinter {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    jobs: Receiver<Instant>,
}

impl FakePrinter {
    /// Listen on 127.0.0.1 on a free port.
    pub fn start(state: FakeState) -> std::io::Result<FakePrinter> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Mutex::new(Shared {
            state,
            received: Vec::new(),
            connections: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, jobs) = channel();
        let (s, st) = (shared.clone(), stop.clone());
        std::thread::Builder::new()
            .name("fake-printer".into())
            .spawn(move || accept_loop(listener, s, st, tx))?;
        Ok(FakePrinter {
            port,
            shared,
            stop,
            jobs,
        })
    }

    pub fn uri(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    pub fn set_state(&self, state: FakeState) {
        if let Ok(mut s) = self.shared.lock() {
            s.state = state;
        }
    }

    /// Everything printed so far (status requests removed).
    pub fn received(&self) -> Vec<u8> {
        self.shared
            .lock()
            .map(|s| s.received.clone())
            .unwrap_or_default()
    }

    /// Wait until at least `len` bytes have arrived (the network is not instant).
    pub fn wait_received(&self, len: usize, timeout: Duration) -> Vec<u8> {
        let end = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= len || Instant::now() >= end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn connections(&self) -> usize {
        self.shared.lock().map(|s| s.connections).unwrap_or(0)
    }

    /// Wait for the start of the next job (`ESC @`); returns when its first byte arrived.
    pub fn next_job(&self, timeout: Duration) -> Option<Instant> {
        self.jobs.recv_timeout(timeout).ok()
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(
    listener: TcpListener,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    jobs: Sender<Instant>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Ok(mut s) = shared.lock() {
                    s.connections += 1;
                }
                let (sh, st, tx) = (shared.clone(), stop.clone(), jobs.clone());
                let _ = std::thread::Builder::new()
                    .name("fake-printer-conn".into())
                    .spawn(move || serve(stream, sh, st, tx));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

fn serve(
    mut stream: TcpStream,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    jobs: Sender<Instant>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; 4096];
    // Bytes of an escape sequence split across reads.
    let mut pending: Vec<u8> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        if shared
            .lock()
            .map(|s| s.state == FakeState::Stalled)
            .unwrap_or(false)
        {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        };
        let now = Instant::now();
        pending.extend_from_slice(&buf[..n]);
        let Ok(mut s) = shared.lock() else { return };
        let mut i = 0;
        while i < pending.len() {
            let b = pending[i];
            if b == 0x10 {
                if i + 2 >= pending.len() {
                    break;
                }
                if pending[i + 1] == 0x04 {
                    if let Some(answer) = s.state.answer(pending[i + 2]) {
                        let _ = stream.write_all(&[answer]);
                    }
                    i += 3;
                    continue;
                }
            }
            if b == 0x1B && pending.get(i + 1) == Some(&b'@') {
                let _ = jobs.send(now);
            }
            if let FakeState::VanishAfter(left) = s.state {
                if left == 0 {
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
                s.state = FakeState::VanishAfter(left - 1);
            }
            s.received.push(b);
            i += 1;
        }
        pending.drain(..i);
    }
}
