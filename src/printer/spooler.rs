//! The print spooler: its own thread and a bounded queue, so the kiosk never waits for the
//! printer. A failed print never touches the ticket (it is committed and on screen already);
//! the fault becomes a device alert that staff see, and clears when the printer is fixed.

use super::link::{self, Link, PrinterUri};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Jobs that may wait for the printer; beyond this the kiosk is told at once.
pub const QUEUE_BOUND: usize = 16;
/// While a fault is shown, how often the printer is asked whether it is fixed.
pub const RECHECK_EVERY: Duration = Duration::from_secs(5);

/// What the printer answered to `DLE EOT` 1, 2 and 4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrinterStatus {
    pub offline: bool,
    pub cover_open: bool,
    pub paper_out: bool,
    pub paper_near_end: bool,
}

impl PrinterStatus {
    /// Decode the three status bytes (Epson: n=1 printer, n=2 offline cause, n=4 paper sensor).
    /// `None` when a byte does not have the fixed bits of a status answer.
    pub fn decode(printer: u8, offline: u8, paper: u8) -> Option<PrinterStatus> {
        let valid = |b: u8| b & 0x93 == 0x12;
        if !(valid(printer) && valid(offline) && valid(paper)) {
            return None;
        }
        Some(PrinterStatus {
            offline: printer & 0x08 != 0,
            cover_open: offline & 0x04 != 0,
            paper_out: offline & 0x20 != 0 || paper & 0x60 != 0,
            paper_near_end: paper & 0x0C != 0,
        })
    }

    /// Ask a link; `Ok(None)` when it cannot read back (a file) or answers nothing.
    pub fn read(link: &mut dyn Link) -> std::io::Result<Option<PrinterStatus>> {
        let Some(a) = link.query(1)? else {
            return Ok(None);
        };
        let (Some(b), Some(c)) = (link.query(2)?, link.query(4)?) else {
            return Ok(None);
        };
        Ok(PrinterStatus::decode(a, b, c))
    }

    /// The faults that stop printing, and the warnings that do not.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut out = Vec::new();
        if self.paper_out {
            out.push(Alert::PaperOut);
        } else if self.paper_near_end {
            out.push(Alert::PaperNearEnd);
        }
        if self.cover_open {
            out.push(Alert::CoverOpen);
        }
        if self.offline && !self.paper_out && !self.cover_open {
            out.push(Alert::Offline);
        }
        out
    }

    pub fn can_print(&self) -> bool {
        !(self.paper_out || self.cover_open || self.offline)
    }
}

/// A device alert about the printer, for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    PaperOut,
    PaperNearEnd,
    CoverOpen,
    Offline,
    /// The link cannot be opened or broke (printer unplugged, switched off, wrong address).
    Unreachable(String),
}

impl Alert {
    /// The alert's kind, which the staff console words in the receptionist's language (the
    /// details of `describe` stay in this device's log).
    pub fn kind(&self) -> crate::hub::AlertKind {
        use crate::hub::AlertKind;
        match self {
            Alert::PaperOut => AlertKind::PaperOut,
            Alert::PaperNearEnd => AlertKind::PaperNearEnd,
            Alert::CoverOpen => AlertKind::CoverOpen,
            Alert::Offline => AlertKind::PrinterOffline,
            Alert::Unreachable(_) => AlertKind::PrinterUnreachable,
        }
    }

    /// Plain words for staff and technicians (logs, `print-test`, doctor).
    pub fn describe(&self) -> String {
        match self {
            Alert::PaperOut => "out of paper: put in a new roll".into(),
            Alert::PaperNearEnd => "paper is running out: have a new roll ready".into(),
            Alert::CoverOpen => "the cover is open: close it".into(),
            Alert::Offline => {
                "the printer is offline: check its lights and press its feed button".into()
            }
            Alert::Unreachable(why) => format!(
                "cannot reach the printer ({why}): check the cable or network and that it is switched on"
            ),
        }
    }

    /// Whether printing is impossible while it lasts.
    pub fn blocks(&self) -> bool {
        !matches!(self, Alert::PaperNearEnd)
    }
}

/// One thing to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// What it is, e.g. the ticket number `A-023` (for staff and reprints).
    pub label: String,
    pub bytes: Vec<u8>,
}

/// What the spooler reports back (from its own thread).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpoolEvent {
    Printed {
        label: String,
    },
    Failed {
        label: String,
        reason: String,
    },
    /// The set of current alerts changed (empty = all clear).
    Alerts(Vec<Alert>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// Too many jobs wait already (the printer is stuck): the ticket is valid, show the number.
    Full,
    /// The spooler has stopped.
    Stopped,
}

/// Why a slip was not printed; each says it in plain words for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintError {
    /// The printer says it cannot print (paper out, cover open…): the words for staff.
    Blocked(String),
    /// The printer cannot be reached, or vanished during the job: the words for staff.
    Unreachable(String),
    /// Too many slips wait already: the printer seems stuck.
    QueueFull,
    /// The spooler has stopped.
    Stopped,
    /// No confirmation within this many seconds.
    NoConfirmation(u64),
}

impl std::fmt::Display for PrintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrintError::Blocked(m) | PrintError::Unreachable(m) => f.write_str(m),
            PrintError::QueueFull => {
                f.write_str("the printer has too many slips waiting: it seems stuck")
            }
            PrintError::Stopped => f.write_str("the printer's queue has stopped"),
            PrintError::NoConfirmation(s) => {
                write!(f, "the printer did not confirm within {s} s")
            }
        }
    }
}

impl std::error::Error for PrintError {}

/// A queued job and, for a caller that waits, where its outcome goes.
type Queued = (Job, Option<SyncSender<Result<(), PrintError>>>);

pub struct Spooler {
    tx: Option<SyncSender<Queued>>,
    alerts: Arc<Mutex<Vec<Alert>>>,
    thread: Option<JoinHandle<()>>,
}

impl Spooler {
    /// Start the spooler thread for a printer. `notify` is called from that thread.
    pub fn start(uri: PrinterUri, notify: impl Fn(SpoolEvent) + Send + 'static) -> Spooler {
        Self::start_with(uri, RECHECK_EVERY, notify)
    }

    /// Start with a chosen interval for re-checking a faulty printer.
    pub fn start_with(
        uri: PrinterUri,
        recheck: Duration,
        notify: impl Fn(SpoolEvent) + Send + 'static,
    ) -> Spooler {
        let (tx, rx) = sync_channel(QUEUE_BOUND);
        let alerts = Arc::new(Mutex::new(Vec::new()));
        let shared = alerts.clone();
        let thread = std::thread::Builder::new()
            .name("printer-spooler".into())
            .spawn(move || Worker::new(uri, recheck, shared, Box::new(notify)).run(rx))
            .ok();
        Spooler {
            tx: Some(tx),
            alerts,
            thread,
        }
    }

    /// Queue a job without waiting.
    pub fn submit(&self, job: Job) -> Result<(), SubmitError> {
        self.queue(job, None)
    }

    fn queue(
        &self,
        job: Job,
        reply: Option<SyncSender<Result<(), PrintError>>>,
    ) -> Result<(), SubmitError> {
        let tx = self.tx.as_ref().ok_or(SubmitError::Stopped)?;
        tx.try_send((job, reply)).map_err(|e| match e {
            TrySendError::Full(_) => SubmitError::Full,
            TrySendError::Disconnected(_) => SubmitError::Stopped,
        })
    }

    /// Queue a job and wait (at most `limit`) until it is printed: `Err` says, in plain words,
    /// why it was not (paper out, cover open, unreachable, queue full, no answer in time). For
    /// a reprint that a receptionist waits for; a visitor's ticket never waits.
    pub fn submit_and_wait(&self, job: Job, limit: Duration) -> Result<(), PrintError> {
        let (tx, rx) = sync_channel(1);
        self.queue(job, Some(tx)).map_err(|e| match e {
            SubmitError::Full => PrintError::QueueFull,
            SubmitError::Stopped => PrintError::Stopped,
        })?;
        match rx.recv_timeout(limit) {
            Ok(r) => r,
            Err(_) => Err(PrintError::NoConfirmation(limit.as_secs())),
        }
    }

    /// The printer's current alerts (empty when all is well).
    pub fn alerts(&self) -> Vec<Alert> {
        self.alerts.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Drop for Spooler {
    fn drop(&mut self) {
        // Closing the queue lets the thread print what is queued and stop.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    uri: PrinterUri,
    link: Option<Box<dyn Link>>,
    /// Whether this link answers status requests (unknown until asked; reset on reconnect).
    reads_status: Option<bool>,
    recheck: Duration,
    alerts: Arc<Mutex<Vec<Alert>>>,
    current: Vec<Alert>,
    notify: Box<dyn Fn(SpoolEvent) + Send>,
}

impl Worker {
    fn new(
        uri: PrinterUri,
        recheck: Duration,
        alerts: Arc<Mutex<Vec<Alert>>>,
        notify: Box<dyn Fn(SpoolEvent) + Send>,
    ) -> Self {
        Worker {
            uri,
            link: None,
            reads_status: None,
            recheck,
            alerts,
            current: Vec::new(),
            notify,
        }
    }

    fn run(mut self, rx: Receiver<Queued>) {
        loop {
            let wait = if self.current.is_empty() {
                Duration::from_secs(3600)
            } else {
                self.recheck
            };
            match rx.recv_timeout(wait) {
                Ok((job, reply)) => {
                    let outcome = self.print(job);
                    if let Some(reply) = reply {
                        let _ = reply.try_send(outcome);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if !self.current.is_empty() {
                        self.recheck();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn set_alerts(&mut self, alerts: Vec<Alert>) {
        if alerts != self.current {
            for a in &alerts {
                log::warn!("printer {}: {}", self.uri, a.describe());
            }
            if alerts.is_empty() {
                log::info!("printer {}: all clear", self.uri);
            }
            self.current = alerts.clone();
            if let Ok(mut shared) = self.alerts.lock() {
                *shared = alerts.clone();
            }
            (self.notify)(SpoolEvent::Alerts(alerts));
        }
    }

    fn connect(&mut self) -> std::io::Result<&mut Box<dyn Link>> {
        if self.link.is_none() {
            let link = link::open(&self.uri)?;
            self.link = Some(link);
            self.reads_status = None;
        }
        self.link
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the link is not open"))
    }

    /// Ask the printer how it is; connect first if needed. Returns the alerts.
    fn probe(&mut self) -> Vec<Alert> {
        let ask = self.reads_status != Some(false);
        let status = match self.connect() {
            Ok(link) if ask => PrinterStatus::read(link.as_mut()),
            Ok(_) => Ok(None),
            Err(e) => return vec![Alert::Unreachable(e.to_string())],
        };
        match status {
            Ok(Some(s)) => {
                self.reads_status = Some(true);
                s.alerts()
            }
            Ok(None) => {
                // A printer that does not answer is not asked again on this connection.
                self.reads_status = Some(false);
                Vec::new()
            }
            Err(e) => {
                self.link = None;
                vec![Alert::Unreachable(e.to_string())]
            }
        }
    }

    fn recheck(&mut self) {
        let alerts = self.probe();
        self.set_alerts(alerts);
    }

    /// Print one job; its outcome (also told through `notify`).
    fn print(&mut self, job: Job) -> Result<(), PrintError> {
        let alerts = self.probe();
        if let Some(blocking) = alerts.iter().find(|a| a.blocks()) {
            let reason = blocking.describe();
            self.set_alerts(alerts);
            (self.notify)(SpoolEvent::Failed {
                label: job.label,
                reason: reason.clone(),
            });
            return Err(PrintError::Blocked(reason));
        }
        let confirm = self.reads_status == Some(true);
        let written = match self.connect() {
            Ok(link) => link.write_all(&job.bytes).and_then(|()| {
                // A network write only reaches the kernel: ask the printer once more, so a
                // printer that vanished mid-job is noticed instead of a ticket lost silently.
                if confirm {
                    link.query(1).map(|_| ())
                } else {
                    Ok(())
                }
            }),
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => {
                self.set_alerts(alerts);
                (self.notify)(SpoolEvent::Printed { label: job.label });
                Ok(())
            }
            Err(e) => {
                self.link = None;
                let e = e.to_string();
                self.set_alerts(vec![Alert::Unreachable(e.clone())]);
                let reason = Alert::Unreachable(e).describe();
                (self.notify)(SpoolEvent::Failed {
                    label: job.label,
                    reason: reason.clone(),
                });
                Err(PrintError::Unreachable(reason))
            }
        }
    }
}
