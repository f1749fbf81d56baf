use super::*;

pub(super) type HubJob = Box<dyn FnOnce(&mut dyn QueueAccess) + Send>;
pub(super) type UiJob = Box<dyn FnOnce() + Send>;

/// Where the kiosk's queue lives: this process's hub, or a hub on another device.
#[derive(Clone)]
pub enum Backend {
    Local(Hub),
    Remote(Remote),
}

impl Backend {
    pub(super) fn with(&self, job: HubJob) {
        match self {
            Backend::Local(hub) => job(&mut hub.session()),
            Backend::Remote(r) => job(&mut r.session()),
        }
    }

    /// The center's time: this process's hub's, or what the hub elsewhere last said.
    pub(super) fn now(&self) -> DateTime<Utc> {
        match self {
            Backend::Local(hub) => hub.now(),
            Backend::Remote(r) => r.now(),
        }
    }
}

/// Runs work against the queue on its own thread (or inline for tests).
pub(super) enum Worker {
    Thread(Sender<HubJob>),
    Inline(Backend),
}

impl Worker {
    pub(super) fn start(backend: Backend, inline: bool) -> Worker {
        if inline {
            return Worker::Inline(backend);
        }
        let (tx, rx) = channel::<HubJob>();
        let spawned = std::thread::Builder::new()
            .name("kiosk-worker".into())
            .spawn(move || {
                for job in rx {
                    backend.with(job);
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the kiosk's worker thread: {e}");
        }
        Worker::Thread(tx)
    }

    pub(super) fn run(&self, job: HubJob) {
        match self {
            Worker::Thread(tx) => {
                if tx.send(job).is_err() {
                    log::error!("the kiosk's worker thread has stopped");
                    to_ui(Box::new(|| with_kiosk(|k| k.hub_failed())));
                }
            }
            Worker::Inline(b) => b.with(job),
        }
    }
}

thread_local! {
    pub(super) static KIOSK: RefCell<Option<Rc<Kiosk>>> = const { RefCell::new(None) };
}

/// UI jobs that arrived from other threads while running inline (tests pump them).
pub(super) static PENDING: Mutex<Vec<UiJob>> = Mutex::new(Vec::new());
pub(super) static INLINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run `f` on the UI thread.
pub(super) fn to_ui(f: UiJob) {
    let on_ui = KIOSK.with(|k| k.borrow().is_some());
    if on_ui {
        f();
    } else if INLINE.load(std::sync::atomic::Ordering::SeqCst) {
        if let Ok(mut p) = PENDING.lock() {
            p.push(f);
        }
    } else if let Err(e) = slint::invoke_from_event_loop(f) {
        log::error!("cannot reach the UI thread: {e}");
    }
}

/// Follow the hub's catalog changes (admin pages) so that the screens show them at once.
pub(super) fn watch_catalog(backend: &Backend) {
    let changed = |catalog: Arc<Catalog>| {
        to_ui(Box::new(move || with_kiosk(|k| k.catalog_changed(catalog))));
    };
    match backend {
        Backend::Local(hub) => {
            let mut rx = hub.subscribe();
            let hub = hub.clone();
            let spawned = std::thread::Builder::new()
                .name("kiosk-catalog".into())
                .spawn(move || {
                    loop {
                        match rx.blocking_recv() {
                            Ok(crate::hub::Push::Event(e))
                                if matches!(e.event, crate::core::Event::CatalogChanged { .. }) =>
                            {
                                changed(hub.catalog());
                            }
                            Ok(_) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                changed(hub.catalog());
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                        }
                    }
                });
            if let Err(e) = spawned {
                log::error!("cannot follow catalog changes: {e}");
            }
        }
        Backend::Remote(r) => r.on_event(move |q, e| {
            if matches!(e.event, crate::core::Event::CatalogChanged { .. }) {
                changed(q.catalog().clone());
            }
        }),
    }
}

pub(super) fn with_kiosk(f: impl FnOnce(&Rc<Kiosk>)) {
    let k = KIOSK.with(|k| k.borrow().clone());
    if let Some(k) = k {
        f(&k);
    }
}

/// Run the UI jobs that other threads (the printer spooler) queued, in inline mode.
pub fn pump() {
    let jobs: Vec<UiJob> = PENDING
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    for j in jobs {
        j();
    }
}
