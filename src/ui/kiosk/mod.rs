//! The visitor's kiosk: the flow from "choose your language" to a ticket in hand.
//!
//! Threads: the UI thread owns the window and the flow state; the engine (queue + SQLite) lives
//! on its own thread (`Hub`), and the printer on the spooler's. The UI thread never waits: it
//! sends work to the hub thread, and results come back with `invoke_from_event_loop` to the
//! controller, found through a thread-local on the UI thread.

use super::{
    ActivitiesAdapter, CheckinAdapter, Choice, ChoiceAdapter, ConfirmAdapter, ContactAdapter,
    ContactField, KioskAdapter, KioskWindow, LanguageChoice, PriorityAdapter, PriorityChoice,
    Screen, ServiceTile, ServicesAdapter, Session, Theme, TicketAdapter, WelcomeAdapter, icons,
};
use crate::core::catalog::Mode;
use crate::core::{
    ActivityCode, Appointment, Catalog, Command, Contact, Lang, Outcome, QueueError, ServiceCode,
    SignUp, Stamped, Ticket, pick,
};
use crate::hub::client::Remote;
use crate::hub::{Hub, QueueAccess, Refusal};
use crate::i18n::{LocaleError, Localizer, weekday_id};
use crate::printer::{Format, Job, PrinterUri, Slip, SpoolEvent, Spooler, render};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use fluent_bundle::{FluentArgs, FluentValue};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

mod activities;
mod booking;
mod checkin;
mod link;
mod reading;
mod walk_in;
mod worker;

pub use link::RECHECK_AFTER;
use link::{Link, watch_link};
use worker::*;
pub use worker::{Backend, pump};

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
    /// This visitor's wrong check-in codes, and the seconds left before the next may be sent
    /// (by this visitor's count, or by the hub's limit when `code_wait_hub`).
    wrong_codes: u32,
    /// The seconds left before the next code may be sent (0: no wait).
    code_wait: u32,
    code_wait_hub: bool,
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
    /// Whose clock the kiosk decides with (`Backend::now`).
    clock: Backend,
    spooler: Arc<Spooler>,
    flow: RefCell<Flow>,
    locales: BTreeMap<Lang, Localizer>,
    idle: slint::Timer,
    /// The seconds of "Are you still there?" counting down, and the seconds left.
    idle_tick: slint::Timer,
    idle_left: Cell<u64>,
    /// Ends a wait before the next check-in code, and counts it down on screen.
    code_end: slint::Timer,
    code_tick: slint::Timer,
    printing_failed: Cell<bool>,
    /// The catalog in use: the configured one, then whatever the hub says (live admin changes).
    catalog: RefCell<Arc<Catalog>>,
    /// The follow link the hub gave for the last command (a QR on the screen and the slip).
    follow: RefCell<Option<String>>,
    /// Reads the screen aloud (the speaker button), and the reading going on (0: none).
    reader: Option<crate::audio::Reader>,
    reading: Cell<u64>,
    /// The link to a hub on another device (its welcome screen says when it is down).
    link: Link,
}

impl Kiosk {
    /// Build the kiosk on a window: wire every adapter, start the hub thread and the spooler.
    pub fn start(
        ui: &KioskWindow,
        backend: Backend,
        cfg: KioskConfig,
    ) -> Result<Rc<Kiosk>, LocaleError> {
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
                let list = alerts.iter().map(|a| a.kind()).collect();
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
        let clock = backend.clone();
        watch_link(&backend);
        let link = Link::new(&backend);
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
            clock,
            cfg,
            spooler,
            flow: RefCell::new(Flow::default()),
            locales,
            idle: slint::Timer::default(),
            idle_tick: slint::Timer::default(),
            idle_left: Cell::new(0),
            code_end: slint::Timer::default(),
            code_tick: slint::Timer::default(),
            printing_failed: Cell::new(false),
            follow: RefCell::new(None),
            link,
        });
        KIOSK.with(|k| *k.borrow_mut() = Some(kiosk.clone()));
        kiosk.wire(ui);
        kiosk.home();
        Ok(kiosk)
    }

    /// The time the kiosk decides with (opening hours, booking days): the hub's — this
    /// process's own when it runs the hub, the hub's answers on the stream when it is elsewhere.
    fn now(&self) -> DateTime<Utc> {
        self.cfg.clock.unwrap_or_else(|| self.clock.now())
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
        self.idle_tick.stop();
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_idle_warning(false);
        }
        let wait = match screen {
            // The ticket and the confirmation go back quietly: nothing covers the number, the
            // code or the QR a visitor is copying or scanning, and "Done" always answers.
            Some(Screen::Ticket) | Some(Screen::Confirm) => {
                let wait = if self.printing_failed.get() {
                    self.cfg.ticket_screen * 3
                } else {
                    self.cfg.ticket_screen
                };
                self.idle
                    .start(slint::TimerMode::SingleShot, wait, go_home_idle);
                return;
            }
            Some(Screen::Welcome) | None => return self.idle.stop(),
            Some(
                Screen::Services
                | Screen::Priority
                | Screen::Checkin
                | Screen::Choice
                | Screen::Contact
                | Screen::Activities
                | Screen::Busy,
            ) => self.cfg.idle,
        };
        // Ten seconds before going back, ask "Are you still there?" (a visitor reading the
        // screen is not thrown out without a word).
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

    /// "Are you still there?" over the screen, counting down the seconds left, and the return
    /// when they are over unless touched.
    fn warn_idle(&self) {
        self.idle_left.set(IDLE_WARNING.as_secs());
        self.show_idle_left();
        if let Some(ui) = self.ui() {
            let a = ui.global::<KioskAdapter>();
            a.set_continue_label(self.t("kiosk-idle-continue"));
            a.set_idle_warning(true);
        }
        self.idle
            .start(slint::TimerMode::SingleShot, IDLE_WARNING, go_home_idle);
        self.idle_tick.start(
            slint::TimerMode::Repeated,
            std::time::Duration::from_secs(1),
            || {
                with_kiosk(|k| {
                    // Down to 1; the return itself comes with `idle`.
                    k.idle_left.set(k.idle_left.get().saturating_sub(1).max(1));
                    k.show_idle_left();
                })
            },
        );
    }

    fn show_idle_left(&self) {
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_idle_text(self.t_args(
                "kiosk-idle-warning",
                &[("seconds", FluentValue::from(self.idle_left.get()))],
            ));
        }
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
            checkin.set_waiting(false);
            ui.global::<Theme>().set_large_text(false);
            let a = ui.global::<KioskAdapter>();
            a.set_screen(Screen::Welcome);
            a.set_notice(SharedString::new());
            a.set_idle_warning(false);
        }
        self.stop_reading();
        self.fill_welcome();
        self.idle.stop();
        self.idle_tick.stop();
        self.code_end.stop();
        self.code_tick.stop();
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
        ct.on_focus(|f| with_kiosk(|k| k.contact_focus(f)));
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
