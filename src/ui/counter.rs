//! The counter terminal's controller: a staff desk's touch screen following the hub (mirror of
//! its queue), sending commands from a worker thread so a slow network never freezes a tap. The
//! GPIO "next" button does what the "Call next" button does; the LED is lit while a visitor is
//! being called.

use crate::core::{Command, CounterId, Lang, ServiceCode, TicketState, pick};
use crate::device::gpio::{self, Led};
use crate::hub::client::Remote;
use crate::hub::{QueueAccess, Refusal};
use crate::i18n::{LocaleError, Localizer};
use crate::ui::{CounterAdapter, CounterWindow, ProtectionRow, ServiceChoice, StaffTicket};
use chrono::{DateTime, Utc};
use fluent_bundle::{FluentArgs, FluentValue};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

/// How many waiting tickets the terminal lists beside the current one.
pub const NEXT_UP: usize = 3;

/// A ticket as the counter shows it: priority class (icon + name) and the visitor's language.
fn staff_ticket(
    t: &crate::core::Ticket,
    catalog: &crate::core::Catalog,
    lang: Lang,
) -> StaffTicket {
    let fallback = catalog.center.default_language;
    let class = t.priority.as_ref().and_then(|p| catalog.priority_class(p));
    StaffTicket {
        label: t.label().into(),
        class_name: class
            .map(|c| pick(&c.name, lang, fallback).to_string())
            .unwrap_or_default()
            .into(),
        class_icon: class
            .map(|c| crate::ui::icons::image(&c.icon))
            .unwrap_or_default(),
        has_class: class.is_some(),
        lang: t.lang.native_name().into(),
        discreet: t.is_discreet(),
    }
}

thread_local! {
    static COUNTER: RefCell<Option<Rc<Counter>>> = const { RefCell::new(None) };
}

type Job = Box<dyn FnOnce() -> Result<(), Refusal> + Send>;

pub struct Counter {
    ui: slint::Weak<CounterWindow>,
    remote: Remote,
    id: CounterId,
    l: Localizer,
    clock: Option<DateTime<Utc>>,
    led: Arc<Mutex<Option<Box<dyn Led>>>>,
    worker: Option<Sender<Job>>,
}

fn with_counter(f: impl FnOnce(&Counter)) {
    COUNTER.with(|c| {
        if let Some(c) = c.borrow().as_ref() {
            f(c)
        }
    })
}

impl Counter {
    /// Run counter `id`'s terminal on `ui`. `inline`: commands on the UI thread (tests).
    pub fn start(
        ui: &CounterWindow,
        remote: Remote,
        id: CounterId,
        lang: Lang,
        clock: Option<DateTime<Utc>>,
        led: Option<Box<dyn Led>>,
        inline: bool,
    ) -> Result<Rc<Counter>, LocaleError> {
        let worker = (!inline).then(|| {
            let (tx, rx) = channel::<Job>();
            let weak = ui.as_weak();
            let spawned = std::thread::Builder::new()
                .name("counter-worker".into())
                .spawn(move || {
                    for job in rx {
                        let r = job();
                        let _ = weak.upgrade_in_event_loop(move |_| {
                            with_counter(|c| c.done(r));
                        });
                    }
                });
            if let Err(e) = spawned {
                log::error!("cannot start the counter's worker: {e}");
            }
            tx
        });
        let c = Rc::new(Counter {
            ui: ui.as_weak(),
            remote: remote.clone(),
            id,
            l: Localizer::new(lang)?,
            clock,
            led: Arc::new(Mutex::new(led)),
            worker,
        });
        COUNTER.with(|s| *s.borrow_mut() = Some(c.clone()));
        let a = ui.global::<CounterAdapter>();
        a.on_call_next(|| with_counter(|c| c.call_next()));
        a.on_recall(|| with_counter(|c| c.on_current(|ticket| Command::Recall { ticket })));
        a.on_start(|| with_counter(|c| c.on_current(|ticket| Command::StartServing { ticket })));
        a.on_finish(|| with_counter(|c| c.on_current(|ticket| Command::Finish { ticket })));
        a.on_no_show(|| with_counter(|c| c.on_current(|ticket| Command::NoShow { ticket })));
        a.on_transfer(|code| {
            with_counter(|c| {
                let to = ServiceCode::new(code.as_str());
                c.on_current(move |ticket| Command::Transfer { ticket, to })
            })
        });
        a.on_reprint(|| with_counter(|c| c.reprint()));
        a.on_acknowledge(|label| with_counter(|c| c.acknowledge(label.as_str())));
        let weak = ui.as_weak();
        remote.on_change(move || {
            let _ = weak.upgrade_in_event_loop(|_| with_counter(|c| c.refresh()));
        });
        c.refresh();
        Ok(c)
    }

    /// The hub's time: one clock for the center.
    fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(|| self.remote.now())
    }

    /// Show the hub's queue as this counter sees it, and light the LED while calling.
    pub fn refresh(&self) {
        let Some(ui) = self.ui.upgrade() else { return };
        let a = ui.global::<CounterAdapter>();
        let l = &self.l;
        let lang = l.lang();
        self.remote.with_queue(|q| {
            let catalog = q.catalog();
            let fallback = catalog.center.default_language;
            let me = catalog.counter(&self.id);
            a.set_counter_name(
                me.map(|c| c.name.clone())
                    .unwrap_or_else(|| self.id.to_string())
                    .into(),
            );
            let waiting: u32 = me
                .map(|c| c.services.iter().map(|s| q.waiting_count(s)).sum())
                .unwrap_or(0);
            let mut args = FluentArgs::new();
            args.set("count", FluentValue::from(waiting));
            a.set_waiting_label(l.text("counter-waiting", Some(&args)).into());
            let current = q.current_at(&self.id);
            if let Some(t) = current {
                a.set_current(staff_ticket(t, catalog, lang));
            }
            // The next ones this counter would call (priority first, then by time).
            let mut next: Vec<&crate::core::Ticket> = me
                .map(|c| c.services.iter().flat_map(|s| q.waiting(s)).collect())
                .unwrap_or_default();
            next.sort_by_key(|t| (t.priority.is_none(), t.issued_at, t.id));
            let next: Vec<StaffTicket> = next
                .into_iter()
                .take(NEXT_UP)
                .map(|t| staff_ticket(t, catalog, lang))
                .collect();
            a.set_next_up(ModelRc::new(VecModel::from(next)));
            let tz = catalog.center.timezone;
            let alerts: Vec<ProtectionRow> = self
                .remote
                .protection()
                .into_iter()
                .map(|p| {
                    let mut args = FluentArgs::new();
                    args.set("ticket", p.label.clone());
                    args.set(
                        "since",
                        p.since.with_timezone(&tz).format("%H:%M").to_string(),
                    );
                    args.set(
                        "lang",
                        p.lang
                            .parse::<Lang>()
                            .map(|l| l.native_name().to_string())
                            .unwrap_or(p.lang.clone()),
                    );
                    ProtectionRow {
                        label: p.label.into(),
                        text: l.text("counter-protection-alert", Some(&args)).into(),
                    }
                })
                .collect();
            a.set_protection(ModelRc::new(VecModel::from(alerts)));
            a.set_has_current(current.is_some());
            a.set_called(current.is_some_and(|t| t.state == TicketState::Called));
            match current {
                Some(t) => {
                    let service = catalog
                        .service_name(&t.service, lang)
                        .unwrap_or(t.service.as_str())
                        .to_string();
                    let state = match t.state {
                        TicketState::Called => l.text("counter-state-called", None),
                        _ => l.text("counter-state-serving", None),
                    };
                    a.set_current_label(t.label().into());
                    a.set_current_info(format!("{service} · {state}").into());
                }
                None => {
                    a.set_current_label(SharedString::new());
                    a.set_current_info(l.text("counter-nobody", None).into());
                }
            }
            let others: Vec<ServiceChoice> = catalog
                .services
                .iter()
                .filter(|s| current.is_none_or(|t| t.service != s.code))
                .filter(|s| {
                    s.takes(crate::core::Mode::WalkIn) || s.takes(crate::core::Mode::Appointment)
                })
                .map(|s| ServiceChoice {
                    code: s.code.to_string().into(),
                    name: pick(&s.name, lang, fallback).to_string().into(),
                })
                .collect();
            a.set_services(ModelRc::new(VecModel::from(others)));
            if let Ok(mut led) = self.led.lock()
                && let Some(led) = led.as_mut()
            {
                led.set(gpio::led_on(current.map(|t| t.state)));
            }
        });
        a.set_online(self.remote.online());
        let t = |id: &str| SharedString::from(l.text(id, None));
        a.set_call_next_label(t("counter-call-next"));
        a.set_recall_label(t("counter-recall"));
        a.set_start_label(t("counter-start"));
        a.set_finish_label(t("counter-finish"));
        a.set_no_show_label(t("counter-no-show"));
        a.set_transfer_label(t("counter-transfer"));
        a.set_reprint_label(t("counter-reprint"));
        a.set_cancel_label(t("counter-cancel"));
        a.set_offline_label(t("counter-offline"));
        a.set_keys_label(t("counter-keys"));
        a.set_next_up_label(t("counter-next-up"));
        a.set_discreet_label(t("counter-discreet"));
        a.set_acknowledge_label(t("counter-acknowledge"));
    }

    fn run(&self, job: Job) {
        match &self.worker {
            Some(tx) => {
                if tx.send(job).is_err() {
                    self.done(Err(Refusal::Unavailable("the worker stopped".into())));
                }
            }
            None => {
                let r = job();
                self.done(r);
            }
        }
    }

    fn done(&self, r: Result<(), Refusal>) {
        if let Some(ui) = self.ui.upgrade() {
            let text = match &r {
                Ok(()) => String::new(),
                Err(Refusal::Unavailable(_)) => self.l.text("counter-offline", None),
                Err(e) => e.text(&self.l, self.remote.catalog().as_ref()),
            };
            ui.global::<CounterAdapter>().set_notice(text.into());
        }
        self.refresh();
    }

    fn command(&self, cmd: Command) {
        // A stale mirror (no link to the hub's stream) must not be acted on: "call next" or
        // "finish" would change the hub while this screen shows an old queue.
        if !self.remote.online() {
            if let Some(ui) = self.ui.upgrade() {
                let text = self.l.text("counter-stale", None);
                ui.global::<CounterAdapter>().set_notice(text.into());
            }
            self.refresh();
            return;
        }
        let remote = self.remote.clone();
        let (now, lang) = (self.now(), self.l.lang());
        self.run(Box::new(move || {
            remote.session().run(&cmd, now, lang).map(|_| ())
        }));
    }

    pub fn call_next(&self) {
        self.command(Command::CallNext {
            counter: self.id.clone(),
        });
    }

    fn on_current(&self, make: impl FnOnce(crate::core::TicketId) -> Command) {
        let current = self
            .remote
            .with_queue(|q| q.current_at(&self.id).map(|t| t.id));
        if let Some(id) = current {
            self.command(make(id));
        }
    }

    /// A staff member has seen an urgent protection request.
    fn acknowledge(&self, label: &str) {
        let remote = self.remote.clone();
        let lang = self.l.lang();
        let path = format!("/api/v1/tickets/{label}/acknowledge");
        self.run(Box::new(move || remote.post(&path, lang).map(|_| ())));
    }

    fn reprint(&self) {
        let label = self
            .remote
            .with_queue(|q| q.current_at(&self.id).map(|t| t.label()));
        if let Some(label) = label {
            let remote = self.remote.clone();
            let lang = self.l.lang();
            self.run(Box::new(move || {
                remote
                    .post(&format!("/api/v1/tickets/{label}/reprint"), lang)
                    .map(|_| ())
            }));
        }
    }
}

/// "Next" from another thread (the GPIO button): runs on the UI thread.
pub fn press_next() {
    if let Err(e) = slint::invoke_from_event_loop(|| with_counter(|c| c.call_next())) {
        log::error!("cannot reach the counter screen: {e}");
    }
}

/// Give up this thread's counter (tests start several).
pub fn stop() {
    COUNTER.with(|s| *s.borrow_mut() = None);
}
