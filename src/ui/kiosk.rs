//! The visitor's kiosk: the flow from "choose your language" to a ticket in hand.
//!
//! Threads: the UI thread owns the window and the flow state; the engine (queue + SQLite) lives
//! on its own thread (`Hub`), and the printer on the spooler's. The UI thread never waits: it
//! sends work to the hub thread, and results come back with `invoke_from_event_loop` to the
//! controller, found through a thread-local on the UI thread.

use super::{
    ActivitiesAdapter, CheckinAdapter, Choice, ChoiceAdapter, ConfirmAdapter, ContactAdapter,
    KioskAdapter, KioskWindow, LanguageChoice, PriorityAdapter, PriorityChoice, Screen,
    ServiceTile, ServicesAdapter, Session, Theme, TicketAdapter, WelcomeAdapter, icons,
};
use crate::core::catalog::Mode;
use crate::core::{
    ActivityCode, Appointment, Catalog, Command, Contact, Event, Lang, QueueError, ServiceCode,
    SignUp, Stamped, Ticket, pick,
};
use crate::hub::client::Remote;
use crate::hub::{Hub, QueueAccess, Refusal};
use crate::i18n::{Localizer, weekday_id};
use crate::printer::{Format, Job, PrinterUri, Slip, SpoolEvent, Spooler, render};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use fluent_bundle::{FluentArgs, FluentValue};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

/// Letters offered for a first name, in two pages so every key fits at 800×480: plain letters,
/// then the accented ones of Spanish, Portuguese, French and Creole names.
const LETTERS: &[&str] = &[
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "Ñ", "O", "P", "Q", "R",
    "S", "T", "U", "V", "W", "X", "Y", "Z", "-", TO_ACCENTS,
];
const ACCENTS: &[&str] = &[
    "Á", "À", "Â", "Ã", "É", "È", "Ê", "Ë", "Í", "Ï", "Ó", "Ò", "Ô", "Õ", "Ú", "Ü", "Ç", "'",
    TO_LETTERS,
];
const TO_ACCENTS: &str = "ÁÈÇ…";
const TO_LETTERS: &str = "ABC…";

/// Days shown when booking an appointment or looking for activities.
const DAYS_AHEAD: u32 = 14;

/// The name under which the kiosk's own printer alerts reach staff.
pub const KIOSK_DEVICE: &str = "kiosk";

/// The alert code staff consoles translate.
pub fn alert_kind(a: &crate::printer::Alert) -> &'static str {
    use crate::printer::Alert;
    match a {
        Alert::PaperOut => "paper-out",
        Alert::PaperNearEnd => "paper-near-end",
        Alert::CoverOpen => "cover-open",
        Alert::Offline => "printer-offline",
        Alert::Unreachable(_) => "printer-unreachable",
    }
}

/// How the kiosk is set up.
#[derive(Clone)]
pub struct KioskConfig {
    pub catalog: Arc<Catalog>,
    /// `None`: tickets go to a preview file (said in the log).
    pub printer: PrinterUri,
    pub format: Format,
    /// Back to the welcome screen after this long without a touch.
    pub idle: std::time::Duration,
    /// How long the ticket stays on screen (twice as long when the print failed).
    pub ticket_screen: std::time::Duration,
    /// Languages in the order of the welcome screen.
    pub languages: Vec<Lang>,
    /// A fixed instant for training and tests; the real clock otherwise.
    pub clock: Option<DateTime<Utc>>,
    /// Run the engine on the UI thread (tests with the testing backend) instead of its own.
    pub inline: bool,
    /// Where "read this screen aloud" (the speaker button) plays; `None`: no button.
    pub speech: Option<Speech>,
}

/// Where the kiosk reads its screens aloud.
#[derive(Debug, Clone)]
pub enum Speech {
    /// The speakers (ALSA device from the settings, else the default).
    Speakers(Option<String>),
    /// WAV files and the words read, in a directory (tests).
    Files(std::path::PathBuf),
}

type HubJob = Box<dyn FnOnce(&mut dyn QueueAccess) + Send>;
type UiJob = Box<dyn FnOnce() + Send>;

/// Where the kiosk's queue lives: this process's hub, or a hub on another device.
#[derive(Clone)]
pub enum Backend {
    Local(Hub),
    Remote(Remote),
}

impl Backend {
    fn with(&self, job: HubJob) {
        match self {
            Backend::Local(hub) => job(&mut hub.session()),
            Backend::Remote(r) => job(&mut r.session()),
        }
    }
}

/// Runs work against the queue on its own thread (or inline for tests).
enum Worker {
    Thread(Sender<HubJob>),
    Inline(Backend),
}

impl Worker {
    fn start(backend: Backend, inline: bool) -> Worker {
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

    fn run(&self, job: HubJob) {
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
    static KIOSK: RefCell<Option<Rc<Kiosk>>> = const { RefCell::new(None) };
}

/// UI jobs that arrived from other threads while running inline (tests pump them).
static PENDING: Mutex<Vec<UiJob>> = Mutex::new(Vec::new());
static INLINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run `f` on the UI thread.
fn to_ui(f: UiJob) {
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
fn watch_catalog(backend: &Backend) {
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

fn with_kiosk(f: impl FnOnce(&Rc<Kiosk>)) {
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

#[derive(Default)]
struct Booking {
    service: Option<ServiceCode>,
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
}

#[derive(Default, PartialEq, Eq, Clone, Copy)]
enum ChoiceStep {
    #[default]
    Service,
    Day,
    Time,
}

#[derive(Default)]
struct Flow {
    lang: Option<Lang>,
    stack: Vec<Screen>,
    service: Option<ServiceCode>,
    code: String,
    booking: Booking,
    choice: ChoiceStep,
    contact: Contact,
    field_phone: bool,
    accents: bool,
    sessions: Vec<(ActivityCode, NaiveDate)>,
    /// The ticket number or code on screen (to match printer failures).
    shown: String,
}

/// Tile data computed on the hub thread (no UI types: those are not `Send`).
struct TileData {
    code: ServiceCode,
    open: bool,
    /// When a closed service opens next (local time).
    opens: Option<chrono::NaiveDateTime>,
    waiting: u32,
    wait: u32,
}

struct SessionData {
    code: ActivityCode,
    date: NaiveDate,
    seated: u32,
    waitlist: u32,
}

pub struct Kiosk {
    ui: slint::Weak<KioskWindow>,
    cfg: KioskConfig,
    hub: Worker,
    spooler: Arc<Spooler>,
    flow: RefCell<Flow>,
    locales: BTreeMap<Lang, Localizer>,
    idle: slint::Timer,
    printing_failed: Cell<bool>,
    /// The catalog in use: the configured one, then whatever the hub says (live admin changes).
    catalog: RefCell<Arc<Catalog>>,
    /// The follow link the hub gave for the last command (a QR on the screen and the slip).
    follow: RefCell<Option<String>>,
    /// Reads the screen aloud (the speaker button), and the reading going on (0: none).
    reader: Option<crate::audio::Reader>,
    reading: Cell<u64>,
}

impl Kiosk {
    /// Build the kiosk on a window: wire every adapter, start the hub thread and the spooler.
    pub fn start(
        ui: &KioskWindow,
        backend: Backend,
        cfg: KioskConfig,
    ) -> Result<Rc<Kiosk>, String> {
        let mut locales = BTreeMap::new();
        for l in Lang::ALL {
            locales.insert(l, Localizer::new(l)?);
        }
        INLINE.store(cfg.inline, std::sync::atomic::Ordering::SeqCst);
        let alerts_to = backend.clone();
        let spooler = Spooler::start(cfg.printer.clone(), move |e| match e {
            SpoolEvent::Failed { label, reason } => {
                log::warn!("not printed {label}: {reason}");
                to_ui(Box::new(move || with_kiosk(|k| k.print_failed(&label))));
            }
            // Printer alerts reach staff through the hub (console, alerts stream).
            SpoolEvent::Alerts(alerts) => {
                let list = alerts
                    .iter()
                    .map(|a| (alert_kind(a).to_string(), a.describe()))
                    .collect();
                match &alerts_to {
                    Backend::Local(hub) => {
                        hub.set_device_alerts(&crate::hub::AlertSource::local(KIOSK_DEVICE), list)
                    }
                    Backend::Remote(r) => r.report_alerts(list),
                }
            }
            SpoolEvent::Printed { .. } => {}
        });
        let spooler = Arc::new(spooler);
        // Reprints asked from a counter print here.
        if let Backend::Local(hub) = &backend {
            hub.set_printer(Some(Arc::new(crate::hub::HubPrinter {
                spooler: spooler.clone(),
                format: cfg.format.clone(),
            })));
        }
        watch_catalog(&backend);
        let reader = cfg.speech.clone().map(|speech| {
            let (sink, cut): (Box<dyn crate::audio::Sink>, Box<dyn Fn() + Send + Sync>) =
                match speech {
                    Speech::Speakers(device) => {
                        let speakers = crate::audio::StoppableAlsa::new(device);
                        let cutter = speakers.clone();
                        (Box::new(speakers), Box::new(move || cutter.cut()))
                    }
                    Speech::Files(dir) => (
                        Box::new(crate::audio::Files { dir, count: 0 }),
                        Box::new(|| {}),
                    ),
                };
            crate::audio::Reader::start(
                sink,
                cut,
                Box::new(|g| to_ui(Box::new(move || with_kiosk(|k| k.reading_done(g))))),
            )
        });
        let kiosk = Rc::new(Kiosk {
            reader,
            reading: Cell::new(0),
            ui: ui.as_weak(),
            catalog: RefCell::new(cfg.catalog.clone()),
            hub: Worker::start(backend, cfg.inline),
            cfg,
            spooler,
            flow: RefCell::new(Flow::default()),
            locales,
            idle: slint::Timer::default(),
            printing_failed: Cell::new(false),
            follow: RefCell::new(None),
        });
        KIOSK.with(|k| *k.borrow_mut() = Some(kiosk.clone()));
        kiosk.wire(ui);
        kiosk.home();
        Ok(kiosk)
    }

    fn now(&self) -> DateTime<Utc> {
        self.cfg.clock.unwrap_or_else(Utc::now)
    }

    /// The catalog in use now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.borrow().clone()
    }

    /// The coordinator changed the catalog: use it from now on, and refill what is on screen.
    fn catalog_changed(&self, catalog: Arc<Catalog>) {
        if Arc::ptr_eq(&self.catalog.borrow(), &catalog) {
            return;
        }
        log::info!("the center catalog changed; the kiosk uses it from now on");
        *self.catalog.borrow_mut() = catalog;
        self.fill_welcome();
        if let Some(screen) = self.ui().map(|u| u.global::<KioskAdapter>().get_screen()) {
            self.refresh(screen);
        }
    }

    fn lang(&self) -> Lang {
        self.flow
            .borrow()
            .lang
            .unwrap_or(self.catalog().center.default_language)
    }

    fn l(&self) -> &Localizer {
        let lang = self.lang();
        self.locales
            .get(&lang)
            .or_else(|| self.locales.values().next())
            .expect("all five locales load at start")
    }

    fn t(&self, id: &str) -> SharedString {
        self.l().text(id, None).into()
    }

    fn t_args(&self, id: &str, args: &[(&str, FluentValue<'static>)]) -> SharedString {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.l().text(id, Some(&a)).into()
    }

    fn ui(&self) -> Option<KioskWindow> {
        self.ui.upgrade()
    }

    /// Any touch: the idle countdown starts again.
    fn touched(&self) {
        let screen = self.ui().map(|u| u.global::<KioskAdapter>().get_screen());
        let wait = match screen {
            Some(Screen::Ticket) | Some(Screen::Confirm) => {
                if self.printing_failed.get() {
                    self.cfg.ticket_screen * 3
                } else {
                    self.cfg.ticket_screen
                }
            }
            Some(Screen::Welcome) | None => return self.idle.stop(),
            _ => self.cfg.idle,
        };
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_idle_warning(false);
        }
        // Ten seconds before going back, ask "Are you still there?" (a visitor scanning the QR
        // code or reading the screen is not thrown out without a word).
        let warn_at = wait.saturating_sub(IDLE_WARNING);
        if warn_at.is_zero() {
            self.idle
                .start(slint::TimerMode::SingleShot, wait, go_home_idle);
            return;
        }
        self.idle.start(slint::TimerMode::SingleShot, warn_at, || {
            with_kiosk(|k| k.warn_idle());
        });
    }

    /// "Are you still there?" over the screen, and the return in ten seconds unless touched.
    fn warn_idle(&self) {
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            a.set_idle_text(self.t_args(
                "kiosk-idle-warning",
                &[("seconds", FluentValue::from(IDLE_WARNING.as_secs()))],
            ));
            a.set_continue_label(self.t("kiosk-idle-continue"));
            a.set_idle_warning(true);
        }
        self.idle
            .start(slint::TimerMode::SingleShot, IDLE_WARNING, go_home_idle);
    }

    fn go(&self, screen: Screen) {
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            let current = a.get_screen();
            if current != screen && !matches!(current, Screen::Busy) {
                self.flow.borrow_mut().stack.push(current);
            }
            a.set_screen(screen);
            a.set_notice(SharedString::new());
        }
        // A reading of the screen before is over.
        self.stop_reading();
        self.touched();
    }

    /// Back to the welcome screen, forgetting everything typed or chosen.
    pub fn home(&self) {
        *self.flow.borrow_mut() = Flow::default();
        self.printing_failed.set(false);
        if let Some(ui) = self.ui() {
            let contact = ui.global::<ContactAdapter>();
            contact.set_name(SharedString::new());
            contact.set_phone(SharedString::new());
            let checkin = ui.global::<CheckinAdapter>();
            checkin.set_code(SharedString::new());
            checkin.set_error(SharedString::new());
            ui.global::<Theme>().set_large_text(false);
            let a = ui.global::<KioskAdapter>();
            a.set_screen(Screen::Welcome);
            a.set_notice(SharedString::new());
            a.set_idle_warning(false);
        }
        self.stop_reading();
        self.fill_welcome();
        self.idle.stop();
    }

    /// The speaker button: read the screen's title and options aloud in the visitor's
    /// language (on the welcome screen, each language's greeting in its own voice); a second
    /// tap stops.
    fn speak(&self) {
        self.touched();
        let (Some(reader), Some(ui)) = (&self.reader, self.ui()) else {
            return;
        };
        let a = ui.global::<KioskAdapter>();
        if a.get_speaking() {
            return self.stop_reading();
        }
        let lines = self.screen_words(&ui);
        if lines.is_empty() {
            return;
        }
        self.reading.set(reader.read(lines));
        a.set_speaking(true);
    }

    fn stop_reading(&self) {
        if self.reading.replace(0) != 0
            && let Some(r) = &self.reader
        {
            r.stop();
        }
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_speaking(false);
        }
    }

    fn reading_done(&self, generation: u64) {
        if self.reading.get() == generation {
            self.reading.set(0);
            if let Some(ui) = self.ui() {
                ui.global::<KioskAdapter>().set_speaking(false);
            }
        }
    }

    /// What the screen says, as (voice, words) lines: its title, then each option with the
    /// line under it — read from the screen's own adapter, so it is exactly what is shown.
    fn screen_words(&self, ui: &KioskWindow) -> Vec<(String, String)> {
        use slint::Model as _;
        let lang = self.lang();
        let voice = crate::audio::default_voice(lang).to_string();
        let mut words: Vec<SharedString> = Vec::new();
        let a = ui.global::<KioskAdapter>();
        words.push(a.get_notice());
        match a.get_screen() {
            Screen::Welcome => {
                // Before a language is chosen: each greeting in its own language's voice.
                return ui
                    .global::<WelcomeAdapter>()
                    .get_languages()
                    .iter()
                    .map(|l| {
                        let voice = l
                            .code
                            .parse::<Lang>()
                            .map(crate::audio::default_voice)
                            .unwrap_or("es");
                        (voice.to_string(), format!("{}. {}", l.name, l.welcome))
                    })
                    .collect();
            }
            Screen::Services => {
                let s = ui.global::<ServicesAdapter>();
                words.push(s.get_title());
                for t in s.get_services().iter() {
                    words.push(format!("{}. {}", t.name, t.status).into());
                }
                words.push(s.get_appointments_label());
                words.push(s.get_activities_label());
            }
            Screen::Priority => {
                let p = ui.global::<PriorityAdapter>();
                words.push(p.get_question());
                words.push(p.get_note());
                words.extend(p.get_classes().iter().map(|c| c.name));
                words.push(p.get_skip_label());
            }
            Screen::Ticket => {
                let t = ui.global::<TicketAdapter>();
                words.extend([
                    t.get_title(),
                    t.get_number(),
                    t.get_service(),
                    t.get_ahead(),
                ]);
                words.push(t.get_wait());
                words.push(if t.get_print_failed() {
                    t.get_remember_line()
                } else {
                    t.get_print_line()
                });
                words.push(t.get_done_label());
            }
            Screen::Checkin => {
                let c = ui.global::<CheckinAdapter>();
                words.extend([c.get_title(), c.get_hint(), c.get_error()]);
            }
            Screen::Choice => {
                let c = ui.global::<ChoiceAdapter>();
                words.push(c.get_title());
                words.push(c.get_error());
                let choices = c.get_choices();
                if choices.row_count() == 0 {
                    words.push(c.get_empty());
                }
                for ch in choices.iter() {
                    words.push(format!("{}. {}", ch.label, ch.sub).into());
                }
            }
            Screen::Contact => {
                let c = ui.global::<ContactAdapter>();
                words.extend([c.get_title(), c.get_why(), c.get_error()]);
            }
            Screen::Confirm => {
                let c = ui.global::<ConfirmAdapter>();
                words.push(c.get_title());
                words.push(format!("{} {}", c.get_code_label(), c.get_code()).into());
                words.extend(c.get_lines().iter());
                words.push(if c.get_print_failed() {
                    c.get_remember_line()
                } else {
                    c.get_print_line()
                });
                words.push(c.get_done_label());
            }
            Screen::Activities => {
                let c = ui.global::<ActivitiesAdapter>();
                words.push(c.get_title());
                words.push(c.get_error());
                let sessions = c.get_sessions();
                if sessions.row_count() == 0 {
                    words.push(c.get_empty());
                }
                for s in sessions.iter() {
                    words.push(
                        format!(
                            "{}. {}. {}. {}. {}",
                            s.title, s.when, s.place, s.seats, s.action
                        )
                        .into(),
                    );
                }
            }
            Screen::Busy => words.push(a.get_busy_text()),
        }
        words
            .into_iter()
            .map(|w| w.trim().trim_end_matches(". ").to_string())
            .filter(|w| !w.is_empty() && w != ".")
            .map(|w| (voice.clone(), w))
            .collect()
    }

    fn back(&self) {
        let prev = self.flow.borrow_mut().stack.pop();
        match prev {
            None | Some(Screen::Welcome) => self.home(),
            Some(screen) => {
                if screen == Screen::Choice {
                    let step = self.flow.borrow().choice;
                    let prev_step = match step {
                        ChoiceStep::Time => Some(ChoiceStep::Day),
                        ChoiceStep::Day => Some(ChoiceStep::Service),
                        ChoiceStep::Service => None,
                    };
                    if let Some(s) = prev_step
                        && self.ui().map(|u| u.global::<KioskAdapter>().get_screen())
                            == Some(Screen::Choice)
                    {
                        self.flow.borrow_mut().stack.push(Screen::Choice);
                        self.flow.borrow_mut().choice = s;
                    }
                }
                if let Some(ui) = self.ui() {
                    ui.global::<KioskAdapter>().set_screen(screen);
                }
                self.refresh(screen);
                self.touched();
            }
        }
    }

    /// Refill a screen's adapter (after back, or a language change).
    fn refresh(&self, screen: Screen) {
        match screen {
            Screen::Services => self.show_services(),
            Screen::Choice => self.show_choice(),
            Screen::Activities => self.show_activities(),
            _ => {}
        }
    }

    fn wire(self: &Rc<Self>, ui: &KioskWindow) {
        let a = ui.global::<KioskAdapter>();
        a.on_home(|| with_kiosk(|k| k.home()));
        a.on_back(|| with_kiosk(|k| k.back()));
        a.on_larger(|| {
            with_kiosk(|k| {
                if let Some(ui) = k.ui() {
                    let t = ui.global::<Theme>();
                    t.set_large_text(!t.get_large_text());
                }
                k.touched();
            })
        });
        a.on_printer_failed(|label| with_kiosk(|k| k.print_failed(label.as_str())));
        a.on_speak(|| with_kiosk(|k| k.speak()));
        a.set_can_speak(self.reader.is_some());
        ui.global::<WelcomeAdapter>()
            .set_speaker_space(self.reader.is_some());
        a.on_stay(|| with_kiosk(|k| k.touched()));
        ui.global::<WelcomeAdapter>()
            .on_choose(|code| with_kiosk(|k| k.choose_language(code.as_str())));
        let s = ui.global::<ServicesAdapter>();
        s.on_pick(|code| with_kiosk(|k| k.pick_service(code.as_str())));
        s.on_appointments(|| with_kiosk(|k| k.show_checkin()));
        s.on_activities(|| with_kiosk(|k| k.show_activities()));
        let p = ui.global::<PriorityAdapter>();
        p.on_skip(|| with_kiosk(|k| k.issue(None)));
        p.on_choose(|code| with_kiosk(|k| k.issue(Some(code.to_string()))));
        ui.global::<TicketAdapter>()
            .on_done(|| with_kiosk(|k| k.home()));
        ui.global::<ConfirmAdapter>()
            .on_done(|| with_kiosk(|k| k.home()));
        let c = ui.global::<CheckinAdapter>();
        c.on_digit(|d| with_kiosk(|k| k.checkin_digit(d.as_str())));
        c.on_delete(|| with_kiosk(|k| k.checkin_delete()));
        c.on_ok(|| with_kiosk(|k| k.check_in()));
        c.on_book(|| with_kiosk(|k| k.start_booking()));
        ui.global::<ChoiceAdapter>()
            .on_pick(|key| with_kiosk(|k| k.choice_picked(key.as_str())));
        let ct = ui.global::<ContactAdapter>();
        ct.on_focus(|f| with_kiosk(|k| k.contact_focus(f.as_str())));
        ct.on_key(|s| with_kiosk(|k| k.contact_key(s.as_str())));
        ct.on_delete(|| with_kiosk(|k| k.contact_delete()));
        ct.on_skip(|| {
            with_kiosk(|k| {
                k.flow.borrow_mut().contact = Contact::default();
                k.book();
            })
        });
        ct.on_next(|| with_kiosk(|k| k.book()));
        ui.global::<ActivitiesAdapter>()
            .on_sign_up(|key| with_kiosk(|k| k.sign_up(key.as_str())));
    }

    // ------------------------------------------------------------------ welcome

    fn fill_welcome(&self) {
        let Some(ui) = self.ui() else { return };
        // The speaker button's words before a language is chosen: the center's language.
        let a = ui.global::<KioskAdapter>();
        a.set_listen_label(self.t("kiosk-listen"));
        a.set_stop_label(self.t("kiosk-stop-reading"));
        let choices: Vec<LanguageChoice> = self
            .cfg
            .languages
            .iter()
            .filter_map(|l| {
                self.locales.get(l).map(|loc| LanguageChoice {
                    code: l.code().into(),
                    name: l.native_name().into(),
                    welcome: loc.text("kiosk-welcome", None).into(),
                })
            })
            .collect();
        let w = ui.global::<WelcomeAdapter>();
        w.set_center_name(self.catalog().center.name.clone().into());
        w.set_languages(ModelRc::new(VecModel::from(choices)));
    }

    fn choose_language(&self, code: &str) {
        let Ok(lang) = code.parse::<Lang>() else {
            return;
        };
        self.flow.borrow_mut().lang = Some(lang);
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            a.set_home_label(self.t("kiosk-home"));
            a.set_back_label(self.t("kiosk-back"));
            a.set_larger_label(self.t("kiosk-larger"));
            a.set_busy_text(self.t("kiosk-busy"));
            a.set_listen_label(self.t("kiosk-listen"));
            a.set_stop_label(self.t("kiosk-stop-reading"));
        }
        if let Some(ui) = self.ui() {
            ui.global::<ServicesAdapter>().set_page(0);
        }
        self.go(Screen::Services);
        self.show_services();
    }

    // ------------------------------------------------------------------ services

    fn show_services(&self) {
        let now = self.now();
        self.hub.run(Box::new(move |engine| {
            let q = engine.queue();
            let catalog = q.catalog().clone();
            let fresh = catalog.clone();
            let tiles: Vec<TileData> = catalog
                .services
                .iter()
                .map(|s| {
                    let st = q.service_status(&s.code, now);
                    // An activity service is "open" when it has sessions to sign up for.
                    let open = if s.takes(Mode::Activity) && !s.takes(Mode::WalkIn) {
                        catalog.activities.iter().any(|a| a.service == s.code)
                    } else {
                        st.open
                    };
                    TileData {
                        code: s.code.clone(),
                        open,
                        opens: (!open).then(|| s.next_opening(q.local(now))).flatten(),
                        waiting: st.waiting,
                        wait: st.wait_minutes,
                    }
                })
                .collect();
            to_ui(Box::new(move || {
                with_kiosk(|k| {
                    *k.catalog.borrow_mut() = fresh;
                    k.fill_services(tiles)
                })
            }));
        }));
    }

    fn fill_services(&self, tiles: Vec<TileData>) {
        let catalog = self.catalog();
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let model: Vec<ServiceTile> = tiles
            .iter()
            .filter_map(|t| {
                let s = catalog.service(&t.code)?;
                let counts = [
                    ("count", FluentValue::from(t.waiting)),
                    ("minutes", FluentValue::from(t.wait)),
                ];
                let (status, short) = if !t.open {
                    let line = self.opens_line(t.opens);
                    (line.clone(), line)
                } else if s.discreet {
                    // Nobody in the lobby learns how many wait for a discreet service.
                    let line = self.t("kiosk-status-open-plain");
                    (line.clone(), line)
                } else if s.takes(Mode::WalkIn) {
                    (
                        self.t_args("kiosk-status-open", &counts),
                        // A compact tile: its colour already says it is open.
                        self.t_args("kiosk-status-short", &counts),
                    )
                } else {
                    let line = self.t("kiosk-activities");
                    (line.clone(), line)
                };
                Some(ServiceTile {
                    code: s.code.as_str().into(),
                    name: pick(&s.name, lang, fallback).into(),
                    line: pick(&s.description, lang, fallback).into(),
                    icon: icons::image(&s.icon),
                    open: t.open,
                    status,
                    short,
                })
            })
            .collect();
        let a = ui.global::<ServicesAdapter>();
        a.set_title(self.t("kiosk-services-title"));
        a.set_previous_label(self.t("kiosk-page-previous"));
        a.set_next_label(self.t("kiosk-page-next"));
        a.set_appointments_label(self.t("kiosk-appointments"));
        a.set_activities_label(self.t("kiosk-activities"));
        a.set_services(ModelRc::new(VecModel::from(model)));
    }

    /// "Closed · opens today at 14:00 / tomorrow at 08:00 / Monday at 08:00" in the visitor's
    /// language; "Closed now" for a service with no hours this week.
    fn opens_line(&self, opens: Option<chrono::NaiveDateTime>) -> SharedString {
        let Some(at) = opens else {
            return self.t("kiosk-status-closed");
        };
        let today = self
            .now()
            .with_timezone(&self.catalog().center.timezone)
            .date_naive();
        let time = FluentValue::from(at.format("%H:%M").to_string());
        match (at.date() - today).num_days() {
            0 => self.t_args("kiosk-opens-today", &[("time", time)]),
            1 => self.t_args("kiosk-opens-tomorrow", &[("time", time)]),
            _ => self.t_args(
                "kiosk-opens-day",
                &[
                    (
                        "day",
                        FluentValue::from(self.l().text(weekday_id(at.weekday()), None)),
                    ),
                    ("time", time),
                ],
            ),
        }
    }

    fn pick_service(&self, code: &str) {
        let catalog = self.catalog();
        let Some(s) = catalog.service(&ServiceCode::from(code)) else {
            return;
        };
        if !s.takes(Mode::WalkIn) {
            if s.takes(Mode::Activity) {
                return self.show_activities();
            }
            return self.show_checkin();
        }
        let local = self.now().with_timezone(&self.catalog().center.timezone);
        if !s.is_open_at(local.date_naive(), local.time()) {
            let msg = self
                .l()
                .error(&QueueError::ServiceClosed(s.code.clone()), &self.catalog());
            if let Some(ui) = self.ui() {
                ui.global::<KioskAdapter>().set_notice(msg.into());
            }
            return self.touched();
        }
        self.flow.borrow_mut().service = Some(s.code.clone());
        self.show_priority();
    }

    // ------------------------------------------------------------------ priority

    fn show_priority(&self) {
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let classes: Vec<PriorityChoice> = self
            .catalog()
            .priority
            .classes
            .iter()
            .map(|c| PriorityChoice {
                code: c.code.as_str().into(),
                name: pick(&c.name, lang, fallback).into(),
                icon: icons::image(&c.icon),
            })
            .collect();
        let p = ui.global::<PriorityAdapter>();
        p.set_question(self.t("kiosk-priority-question"));
        p.set_note(self.t("kiosk-priority-note"));
        p.set_skip_label(self.t("kiosk-priority-skip"));
        p.set_previous_label(self.t("kiosk-page-previous"));
        p.set_next_label(self.t("kiosk-page-next"));
        p.set_page(0);
        p.set_classes(ModelRc::new(VecModel::from(classes)));
        self.go(Screen::Priority);
    }

    // ------------------------------------------------------------------ issuing

    fn busy(&self) {
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_screen(Screen::Busy);
        }
    }

    /// The engine failed (disk, database): the visitor is sent to reception, no number invented.
    fn hub_failed(&self) {
        let text = self.t("kiosk-go-to-reception");
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            if a.get_screen() == Screen::Busy {
                let prev = self
                    .flow
                    .borrow_mut()
                    .stack
                    .pop()
                    .unwrap_or(Screen::Services);
                a.set_screen(prev);
            }
            a.set_notice(text);
        }
        self.touched();
    }

    fn refused(&self, err: &Refusal) {
        if let Refusal::Unavailable(why) = err {
            log::error!("the hub cannot do it: {why}");
            return self.hub_failed();
        }
        let text = err.text(self.l(), &self.catalog());
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            if a.get_screen() == Screen::Busy {
                let prev = self
                    .flow
                    .borrow_mut()
                    .stack
                    .pop()
                    .unwrap_or(Screen::Services);
                a.set_screen(prev);
            }
            a.set_notice(text.into());
        }
        self.touched();
    }

    /// Send a command to the engine; the committed events come back to `done` on the UI thread.
    fn execute(&self, cmd: Command, done: fn(&Kiosk, Vec<Stamped>)) {
        self.busy();
        let now = self.now();
        let lang = self.lang();
        self.hub.run(Box::new(move |engine| {
            let result = engine.run(&cmd, now, lang).map(|events| {
                let follow = engine.follow_url(&events);
                (events, follow)
            });
            to_ui(Box::new(move || {
                with_kiosk(|k| match result {
                    Ok((events, follow)) => {
                        k.follow.replace(follow);
                        done(k, events)
                    }
                    Err(e) => k.refused(&e),
                })
            }));
        }));
    }

    fn issue(&self, priority: Option<String>) {
        let Some(service) = self.flow.borrow().service.clone() else {
            return self.home();
        };
        let cmd = Command::IssueTicket {
            service,
            lang: self.lang(),
            priority: priority.map(crate::core::PriorityClass::new),
        };
        self.execute(cmd, |k, events| k.show_ticket(&events));
    }

    fn print(&self, label: &str, slip: &Slip) {
        match render(slip, &self.cfg.format) {
            Ok(bytes) => {
                if let Err(e) = self.spooler.submit(Job {
                    label: label.to_string(),
                    bytes,
                }) {
                    log::warn!("printer queue refused {label}: {e:?}");
                    self.print_failed(label);
                }
            }
            Err(e) => {
                log::error!("cannot lay out {label}: {e}");
                self.print_failed(label);
            }
        }
    }

    fn show_ticket(&self, events: &[Stamped]) {
        let Some((ticket, ahead, wait)) = events.iter().find_map(|e| match &e.event {
            Event::TicketIssued {
                ticket,
                ahead,
                wait_minutes,
            } => Some((ticket.clone(), *ahead, *wait_minutes)),
            _ => None,
        }) else {
            return self.hub_failed();
        };
        let label = ticket.label();
        self.flow.borrow_mut().shown = label.clone();
        self.printing_failed.set(false);
        if let Some(ui) = self.ui() {
            self.fill_ticket(&ui, &ticket, ahead, wait);
        }
        self.go(Screen::Ticket);
        // The number is on screen (committed); only now does it go to the printer.
        let slip = Slip::for_ticket(&self.catalog(), &ticket, ahead, wait)
            .with_follow(self.follow.borrow().clone());
        self.print(&label, &slip);
    }

    fn fill_ticket(&self, ui: &KioskWindow, ticket: &Ticket, ahead: u32, wait: u32) {
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let label = ticket.label();
        let t = ui.global::<TicketAdapter>();
        t.set_title(self.t("kiosk-ticket-title"));
        t.set_number(label.clone().into());
        if ticket.is_discreet() {
            // Nothing a person looking over the visitor's shoulder could read as "protection":
            // no service, no class, no queue figures; the visitor learns someone will come.
            t.set_service(self.t("kiosk-ticket-discreet"));
            t.set_ahead(self.t("kiosk-ticket-discreet-wait"));
            t.set_wait(SharedString::new());
        } else {
            t.set_service(
                self.catalog()
                    .service(&ticket.service)
                    .map(|s| pick(&s.name, lang, fallback).to_string())
                    .unwrap_or_default()
                    .into(),
            );
            t.set_ahead(self.t_args("kiosk-ticket-ahead", &[("count", FluentValue::from(ahead))]));
            // Nobody ahead: no "about 0 min".
            t.set_wait(if ahead == 0 {
                SharedString::new()
            } else {
                self.t_args("kiosk-ticket-wait", &[("minutes", FluentValue::from(wait))])
            });
        }
        t.set_print_line(self.t("kiosk-ticket-take"));
        t.set_remember_line(self.t_args(
            "kiosk-ticket-remember",
            &[("number", FluentValue::from(label))],
        ));
        t.set_print_failed(false);
        t.set_done_label(self.t("kiosk-done"));
        let qr = self.follow_qr();
        t.set_has_follow(qr.is_some());
        t.set_follow_qr(qr.unwrap_or_default());
        t.set_follow_line(self.t("kiosk-follow"));
    }

    /// The printer could not print what is on screen: say so, keep it on screen longer.
    pub fn print_failed(&self, label: &str) {
        if self.flow.borrow().shown != label {
            return;
        }
        self.printing_failed.set(true);
        if let Some(ui) = self.ui() {
            ui.global::<TicketAdapter>().set_print_failed(true);
            ui.global::<ConfirmAdapter>().set_print_failed(true);
        }
        self.touched();
    }

    // ------------------------------------------------------------------ check-in

    fn show_checkin(&self) {
        let Some(ui) = self.ui() else { return };
        let c = ui.global::<CheckinAdapter>();
        c.set_title(self.t("kiosk-checkin-title"));
        c.set_hint(self.t("kiosk-checkin-hint"));
        c.set_delete_label(self.t("kiosk-delete"));
        c.set_ok_label(self.t("kiosk-ok"));
        c.set_book_label(self.t("kiosk-book"));
        c.set_error(SharedString::new());
        c.set_code(self.flow.borrow().code.clone().into());
        self.go(Screen::Checkin);
    }

    fn checkin_digit(&self, d: &str) {
        {
            let mut f = self.flow.borrow_mut();
            if f.code.len() < 6 && d.chars().all(|c| c.is_ascii_digit()) {
                f.code.push_str(d);
            }
        }
        self.sync_code();
    }

    fn checkin_delete(&self) {
        self.flow.borrow_mut().code.pop();
        self.sync_code();
    }

    fn sync_code(&self) {
        if let Some(ui) = self.ui() {
            let c = ui.global::<CheckinAdapter>();
            c.set_code(self.flow.borrow().code.clone().into());
            c.set_error(SharedString::new());
        }
        self.touched();
    }

    fn check_in(&self) {
        let code = self.flow.borrow().code.clone();
        if code.is_empty() {
            return;
        }
        self.busy();
        let now = self.now();
        let lang = self.lang();
        self.hub.run(Box::new(move |engine| {
            let result = engine.run(&Command::CheckIn { code }, now, lang);
            // A sign-up code on its day: present at the activity (no ticket).
            let attended = result.as_ref().ok().and_then(|events| {
                events.iter().find_map(|e| match &e.event {
                    Event::SignUpAttended { id } => engine.queue().state().signups.get(id).cloned(),
                    _ => None,
                })
            });
            let follow = result.as_ref().ok().and_then(|e| engine.follow_url(e));
            to_ui(Box::new(move || {
                with_kiosk(|k| {
                    k.follow.replace(follow);
                    match result {
                        Ok(_) if attended.is_some() => {
                            if let Some(s) = &attended {
                                k.show_confirm_attended(s);
                            }
                        }
                        Ok(events) => k.show_ticket(&events),
                        Err(e @ Refusal::Unavailable(_)) => k.refused(&e),
                        Err(e) => {
                            let text = e.text(k.l(), &k.catalog());
                            if let Some(ui) = k.ui() {
                                ui.global::<KioskAdapter>().set_screen(Screen::Checkin);
                                ui.global::<CheckinAdapter>().set_error(text.into());
                            }
                            k.touched();
                        }
                    }
                })
            }));
        }));
    }

    // ------------------------------------------------------------------ booking

    fn start_booking(&self) {
        {
            let mut f = self.flow.borrow_mut();
            f.booking = Booking::default();
            f.choice = ChoiceStep::Service;
        }
        self.go(Screen::Choice);
        self.show_choice();
    }

    fn date_label(&self, date: NaiveDate) -> String {
        format!(
            "{} {}",
            self.l().text(weekday_id(date.weekday()), None),
            date.format("%d/%m")
        )
    }

    /// Fill the choice screen for the current booking step (slot counts come from the hub).
    fn show_choice(&self) {
        let step = self.flow.borrow().choice;
        let catalog = self.catalog();
        let now = self.now();
        let (service, date) = {
            let f = self.flow.borrow();
            (f.booking.service.clone(), f.booking.date)
        };
        self.hub.run(Box::new(move |engine| {
            let q = engine.queue();
            let tz = catalog.center.timezone;
            let local = now.with_timezone(&tz).naive_local();
            let today = local.date();
            let horizon = catalog.center.booking_days_ahead.min(DAYS_AHEAD);
            // (key, free slots) per item.
            let free_on =
                |s: &crate::core::catalog::Service, d: NaiveDate| -> Vec<(NaiveTime, u32)> {
                    let cap = s.capacity_on(d);
                    s.slots_on(d)
                        .into_iter()
                        .filter(|t| d.and_time(*t) > local)
                        .map(|t| (t, cap.saturating_sub(q.slot_taken(&s.code, d, t))))
                        .collect()
                };
            let items: Vec<(String, u32)> = match step {
                ChoiceStep::Service => catalog
                    .services
                    .iter()
                    .filter(|s| s.takes(Mode::Appointment))
                    .map(|s| {
                        let free: u32 = (0..=horizon)
                            .filter_map(|i| today.checked_add_days(chrono::Days::new(u64::from(i))))
                            .map(|d| free_on(s, d).iter().map(|x| x.1).sum::<u32>())
                            .sum();
                        (s.code.to_string(), free)
                    })
                    .collect(),
                ChoiceStep::Day => service
                    .as_ref()
                    .and_then(|c| catalog.service(c))
                    .map(|s| {
                        (0..=horizon)
                            .filter_map(|i| today.checked_add_days(chrono::Days::new(u64::from(i))))
                            .filter(|d| !s.slots_on(*d).is_empty())
                            .map(|d| (d.to_string(), free_on(s, d).iter().map(|x| x.1).sum()))
                            .filter(|(_, free)| *free > 0)
                            .collect()
                    })
                    .unwrap_or_default(),
                ChoiceStep::Time => match (service.as_ref().and_then(|c| catalog.service(c)), date)
                {
                    (Some(s), Some(d)) => free_on(s, d)
                        .into_iter()
                        .map(|(t, free)| (t.format("%H:%M").to_string(), free))
                        .collect(),
                    _ => Vec::new(),
                },
            };
            to_ui(Box::new(move || with_kiosk(|k| k.fill_choice(step, items))));
        }));
    }

    fn fill_choice(&self, step: ChoiceStep, items: Vec<(String, u32)>) {
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let choices: Vec<Choice> = items
            .iter()
            .map(|(key, free)| {
                let (label, sub) = match step {
                    ChoiceStep::Service => (
                        self.catalog()
                            .service(&ServiceCode::from(key.as_str()))
                            .map(|s| pick(&s.name, lang, fallback).to_string())
                            .unwrap_or_default(),
                        self.t_args("kiosk-slots-free", &[("count", FluentValue::from(*free))])
                            .to_string(),
                    ),
                    ChoiceStep::Day => (
                        key.parse::<NaiveDate>()
                            .map(|d| self.date_label(d))
                            .unwrap_or_default(),
                        self.t_args("kiosk-slots-free", &[("count", FluentValue::from(*free))])
                            .to_string(),
                    ),
                    ChoiceStep::Time => (
                        key.clone(),
                        if *free == 0 {
                            self.t("kiosk-slot-full").to_string()
                        } else {
                            String::new()
                        },
                    ),
                };
                // A service has its icon here as on its tile (days and times have none).
                let icon = match step {
                    ChoiceStep::Service => self
                        .catalog()
                        .service(&ServiceCode::from(key.as_str()))
                        .map(|s| crate::ui::icons::image(&s.icon))
                        .unwrap_or_default(),
                    ChoiceStep::Day | ChoiceStep::Time => slint::Image::default(),
                };
                Choice {
                    key: key.as_str().into(),
                    label: label.into(),
                    sub: sub.into(),
                    enabled: *free > 0,
                    icon,
                }
            })
            .collect();
        let c = ui.global::<ChoiceAdapter>();
        c.set_title(self.t(match step {
            ChoiceStep::Service => "kiosk-book-service",
            ChoiceStep::Day => "kiosk-book-day",
            ChoiceStep::Time => "kiosk-book-time",
        }));
        c.set_empty(self.t("kiosk-book-none"));
        c.set_error(SharedString::new());
        c.set_choices(ModelRc::new(VecModel::from(choices)));
    }

    fn choice_picked(&self, key: &str) {
        let step = self.flow.borrow().choice;
        {
            let mut f = self.flow.borrow_mut();
            match step {
                ChoiceStep::Service => {
                    f.booking.service = Some(ServiceCode::from(key));
                    f.choice = ChoiceStep::Day;
                }
                ChoiceStep::Day => {
                    f.booking.date = key.parse().ok();
                    f.choice = ChoiceStep::Time;
                }
                ChoiceStep::Time => {
                    f.booking.time = NaiveTime::parse_from_str(key, "%H:%M").ok();
                }
            }
            if step != ChoiceStep::Time {
                f.stack.push(Screen::Choice);
            }
        }
        if step == ChoiceStep::Time {
            self.show_contact();
        } else {
            self.show_choice();
            self.touched();
        }
    }

    fn show_contact(&self) {
        let Some(ui) = self.ui() else { return };
        let c = ui.global::<ContactAdapter>();
        c.set_title(self.t("kiosk-contact-title"));
        c.set_why(self.t("kiosk-contact-why"));
        c.set_name_label(self.t("kiosk-contact-name"));
        c.set_phone_label(self.t("kiosk-contact-phone"));
        c.set_skip_label(self.t("kiosk-skip"));
        c.set_next_label(self.t("kiosk-next"));
        c.set_delete_label(self.t("kiosk-delete"));
        c.set_space_label(self.t("kiosk-space"));
        c.set_error(SharedString::new());
        self.flow.borrow_mut().accents = false;
        self.sync_contact();
        self.go(Screen::Contact);
    }

    fn sync_contact(&self) {
        let Some(ui) = self.ui() else { return };
        let f = self.flow.borrow();
        let c = ui.global::<ContactAdapter>();
        c.set_name(f.contact.name.clone().unwrap_or_default().into());
        c.set_phone(f.contact.phone.clone().unwrap_or_default().into());
        c.set_field(if f.field_phone { "phone" } else { "name" }.into());
        let page = if f.accents { ACCENTS } else { LETTERS };
        let letters: Vec<SharedString> = page.iter().map(|l| SharedString::from(*l)).collect();
        c.set_letters(ModelRc::new(VecModel::from(letters)));
    }

    fn contact_focus(&self, field: &str) {
        self.flow.borrow_mut().field_phone = field == "phone";
        self.sync_contact();
        self.touched();
    }

    fn contact_key(&self, key: &str) {
        if key == TO_ACCENTS || key == TO_LETTERS {
            self.flow.borrow_mut().accents = key == TO_ACCENTS;
            self.sync_contact();
            return self.touched();
        }
        {
            let mut f = self.flow.borrow_mut();
            let phone = f.field_phone;
            let target = if phone {
                f.contact.phone.get_or_insert_with(String::new)
            } else {
                f.contact.name.get_or_insert_with(String::new)
            };
            let limit = if phone { 20 } else { 40 };
            if target.chars().count() < limit {
                // Names are typed in capitals on the keys; keep them readable: Ana, not ANA.
                let lower = !phone && target.chars().last().is_some_and(|c| c.is_alphabetic());
                if lower {
                    target.push_str(&key.to_lowercase());
                } else {
                    target.push_str(key);
                }
            }
        }
        self.sync_contact();
        self.touched();
    }

    fn contact_delete(&self) {
        {
            let mut f = self.flow.borrow_mut();
            let phone = f.field_phone;
            let target = if phone {
                &mut f.contact.phone
            } else {
                &mut f.contact.name
            };
            if let Some(s) = target {
                s.pop();
                if s.is_empty() {
                    *target = None;
                }
            }
        }
        self.sync_contact();
        self.touched();
    }

    fn book(&self) {
        let (service, date, time, contact) = {
            let f = self.flow.borrow();
            (
                f.booking.service.clone(),
                f.booking.date,
                f.booking.time,
                f.contact.clone(),
            )
        };
        let (Some(service), Some(date), Some(time)) = (service, date, time) else {
            return self.start_booking();
        };
        let cmd = Command::BookAppointment {
            service,
            date,
            time,
            lang: self.lang(),
            contact,
            nonce: crate::engine::nonce(),
        };
        self.busy();
        let now = self.now();
        let lang = self.lang();
        self.hub.run(Box::new(move |engine| {
            let result = engine.run(&cmd, now, lang);
            to_ui(Box::new(move || {
                with_kiosk(|k| match result {
                    Ok(events) => k.show_booked(&events),
                    Err(e @ Refusal::Unavailable(_)) => k.refused(&e),
                    Err(e) if matches!(e.code().as_str(), "bad-name" | "bad-phone") => {
                        let text = e.text(k.l(), &k.catalog());
                        if let Some(ui) = k.ui() {
                            ui.global::<KioskAdapter>().set_screen(Screen::Contact);
                            ui.global::<ContactAdapter>().set_error(text.into());
                        }
                        k.touched();
                    }
                    Err(e) => {
                        // The slot went in the meantime: choose another time.
                        let text = e.text(k.l(), &k.catalog());
                        k.flow.borrow_mut().choice = ChoiceStep::Time;
                        if let Some(ui) = k.ui() {
                            ui.global::<KioskAdapter>().set_screen(Screen::Choice);
                        }
                        k.show_choice();
                        if let Some(ui) = k.ui() {
                            ui.global::<ChoiceAdapter>().set_error(text.into());
                        }
                        k.touched();
                    }
                })
            }));
        }));
    }

    fn show_booked(&self, events: &[Stamped]) {
        let Some(a) = events.iter().find_map(|e| match &e.event {
            Event::AppointmentBooked { appointment } => Some(appointment.clone()),
            _ => None,
        }) else {
            return self.hub_failed();
        };
        self.show_confirm_appointment(&a);
        let slip =
            Slip::for_appointment(&self.catalog(), &a).with_follow(self.follow.borrow().clone());
        self.print(&a.code, &slip);
    }

    fn show_confirm_appointment(&self, a: &Appointment) {
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let catalog = self.catalog();
        // A discreet service is not named on the screen either.
        let service = match catalog.service(&a.service) {
            Some(s) if s.discreet => self.l().text("kiosk-ticket-discreet", None),
            Some(s) => pick(&s.name, lang, fallback).to_string(),
            None => String::new(),
        };
        let lines = vec![
            SharedString::from(service),
            format!("{} · {}", self.date_label(a.date), a.time.format("%H:%M")).into(),
        ];
        self.fill_confirm(&ui, "kiosk-confirm-appointment", &a.code, lines);
        self.go(Screen::Confirm);
    }

    fn fill_confirm(&self, ui: &KioskWindow, title: &str, code: &str, lines: Vec<SharedString>) {
        self.flow.borrow_mut().shown = code.to_string();
        self.printing_failed.set(false);
        let c = ui.global::<ConfirmAdapter>();
        c.set_title(self.t(title));
        c.set_code_label(self.t("kiosk-confirm-code"));
        c.set_code(code.into());
        c.set_lines(ModelRc::new(VecModel::from(lines)));
        c.set_print_line(self.t("kiosk-slip-take"));
        c.set_remember_line(self.t_args(
            "kiosk-slip-remember",
            &[("code", FluentValue::from(code.to_string()))],
        ));
        c.set_print_failed(false);
        c.set_done_label(self.t("kiosk-done"));
        let qr = self.follow_qr();
        c.set_has_follow(qr.is_some());
        c.set_follow_qr(qr.unwrap_or_default());
        c.set_follow_line(self.t("kiosk-follow-booking"));
    }

    /// The QR code of the follow link of the command just done, if the hub gave one.
    fn follow_qr(&self) -> Option<slint::Image> {
        self.follow.borrow().as_deref().and_then(super::qr::image)
    }

    // ------------------------------------------------------------------ activities

    fn show_activities(&self) {
        self.go(Screen::Activities);
        let catalog = self.catalog();
        let now = self.now();
        self.hub.run(Box::new(move |engine| {
            let q = engine.queue();
            let local = now.with_timezone(&catalog.center.timezone).naive_local();
            let mut sessions: Vec<SessionData> = Vec::new();
            for a in &catalog.activities {
                for d in a.next_dates(local.date(), DAYS_AHEAD) {
                    if d.and_time(a.start.0) <= local {
                        continue;
                    }
                    let (seated, waitlist) = q.seats_taken(&a.code, d);
                    sessions.push(SessionData {
                        code: a.code.clone(),
                        date: d,
                        seated,
                        waitlist,
                    });
                }
            }
            sessions.sort_by_key(|s| {
                (
                    s.date,
                    catalog.activity(&s.code).map(|a| a.start.0),
                    s.code.clone(),
                )
            });
            to_ui(Box::new(move || {
                with_kiosk(|k| k.fill_activities(sessions))
            }));
        }));
    }

    fn fill_activities(&self, sessions: Vec<SessionData>) {
        let catalog = self.catalog();
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let mut keys = Vec::new();
        let model: Vec<Session> = sessions
            .iter()
            .filter_map(|s| {
                let a = catalog.activity(&s.code)?;
                let full = s.seated >= a.seats;
                keys.push((s.code.clone(), s.date));
                Some(Session {
                    key: format!("{}|{}", s.code, s.date).into(),
                    title: pick(&a.title, lang, fallback).into(),
                    when: format!("{} {}", self.date_label(s.date), a.start.0.format("%H:%M"))
                        .into(),
                    place: a.place.clone().into(),
                    seats: if full {
                        self.t_args("kiosk-full", &[("count", FluentValue::from(s.waitlist))])
                    } else {
                        self.t_args(
                            "kiosk-seats-left",
                            &[("count", FluentValue::from(a.seats - s.seated))],
                        )
                    },
                    full,
                    action: self.t(if full {
                        "kiosk-join-waitlist"
                    } else {
                        "kiosk-sign-up"
                    }),
                })
            })
            .collect();
        self.flow.borrow_mut().sessions = keys;
        let a = ui.global::<ActivitiesAdapter>();
        a.set_title(self.t("kiosk-activities-title"));
        a.set_empty(self.t("kiosk-activities-none"));
        a.set_error(SharedString::new());
        a.set_sessions(ModelRc::new(VecModel::from(model)));
    }

    fn sign_up(&self, key: &str) {
        let Some((code, date)) = key
            .split_once('|')
            .and_then(|(c, d)| Some((ActivityCode::from(c), d.parse::<NaiveDate>().ok()?)))
        else {
            return;
        };
        let cmd = Command::SignUp {
            activity: code,
            date,
            lang: self.lang(),
            contact: Contact::default(),
            nonce: crate::engine::nonce(),
        };
        self.execute(cmd, |k, events| k.show_signed_up(&events));
    }

    fn show_signed_up(&self, events: &[Stamped]) {
        let Some((s, pos)) = events.iter().find_map(|e| match &e.event {
            Event::SignedUp {
                signup,
                waitlist_position,
            } => Some((signup.clone(), *waitlist_position)),
            _ => None,
        }) else {
            return self.hub_failed();
        };
        self.show_confirm_signup(&s, pos);
        let slip =
            Slip::for_signup(&self.catalog(), &s, pos).with_follow(self.follow.borrow().clone());
        self.print(&s.code, &slip);
    }

    /// Checked in for an activity: where and when, no ticket.
    fn show_confirm_attended(&self, s: &SignUp) {
        let Some(ui) = self.ui() else { return };
        let lines = self.activity_lines(s);
        self.fill_confirm(&ui, "kiosk-confirm-attended", &s.code, lines);
        self.go(Screen::Confirm);
    }

    /// The activity's title, then its day, time and place.
    fn activity_lines(&self, s: &SignUp) -> Vec<SharedString> {
        let lang = self.lang();
        let catalog = self.catalog();
        let fallback = catalog.center.default_language;
        let activity = catalog.activity(&s.activity);
        vec![
            SharedString::from(
                activity
                    .map(|a| pick(&a.title, lang, fallback).to_string())
                    .unwrap_or_default(),
            ),
            format!(
                "{} {} · {}",
                self.date_label(s.date),
                activity
                    .map(|a| a.start.0.format("%H:%M").to_string())
                    .unwrap_or_default(),
                activity.map(|a| a.place.clone()).unwrap_or_default()
            )
            .into(),
        ]
    }

    fn show_confirm_signup(&self, s: &SignUp, pos: Option<u32>) {
        let Some(ui) = self.ui() else { return };
        let mut lines = self.activity_lines(s);
        let title = match pos {
            None => "kiosk-confirm-activity",
            Some(p) => {
                lines.push(self.t_args(
                    "kiosk-confirm-waitlist",
                    &[("position", FluentValue::from(p))],
                ));
                "kiosk-activities-title"
            }
        };
        self.fill_confirm(&ui, title, &s.code, lines);
        self.go(Screen::Confirm);
    }
}

/// How long "Are you still there?" is shown before the kiosk goes back to the start.
pub const IDLE_WARNING: std::time::Duration = std::time::Duration::from_secs(10);

fn go_home_idle() {
    with_kiosk(|k| {
        log::info!("idle: back to the welcome screen");
        k.home();
    })
}

/// Give up the controller of this thread (tests start a new kiosk per test).
pub fn stop() {
    KIOSK.with(|k| *k.borrow_mut() = None);
}
