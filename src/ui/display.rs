//! The lobby display's controller: fills `DisplayAdapter` from a mirror of the hub's queue.
//! It follows the hub's event stream (the mirror calls back on every change; nothing polls the
//! hub); a one-second timer only turns the clock and the information line. Never a name.

use crate::core::{Lang, Queue, pick};
use crate::hub::Role;
use crate::hub::client::Remote;
use crate::hub::view::queue_view;
use crate::i18n::{LocaleError, Localizer};
use crate::ui::{CallRow, DisplayAdapter, DisplayWindow, WaitingRow};
use chrono::{DateTime, Utc};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// How many earlier calls are listed beside the current one.
pub const RECENT: usize = 4;
/// How long each information line stays.
pub const INFO_SECONDS: u64 = 8;

/// Fill the display from the queue. `info` picks the information line (they rotate).
pub fn fill(
    ui: &DisplayWindow,
    q: &Queue,
    online: bool,
    now: DateTime<Utc>,
    l: &Localizer,
    info: usize,
) {
    let catalog = q.catalog();
    let lang = l.lang();
    let fallback = catalog.center.default_language;
    // The display role: no names, no codes, discreet tickets as ordinary ones, counters by
    // their public names (the hub sends only that; the view is built the same way again).
    let view = queue_view(q, Role::Display, now);
    let counter_name = |id: &Option<String>| {
        id.as_ref()
            .map(|id| {
                catalog
                    .counters
                    .iter()
                    .find(|c| c.id.as_str() == id)
                    .map(|c| c.public().to_string())
                    .unwrap_or_else(|| id.clone())
            })
            .unwrap_or_default()
    };
    let service_name = |code: &str| {
        catalog
            .service_name(&crate::core::ServiceCode::from(code), lang)
            .unwrap_or(code)
            .to_string()
    };
    let a = ui.global::<DisplayAdapter>();
    a.set_center(catalog.center.name.clone().into());
    a.set_clock(
        now.with_timezone(&catalog.center.timezone)
            .format("%H:%M")
            .to_string()
            .into(),
    );
    a.set_now_calling_title(l.text("display-now-calling", None).into());
    a.set_recent_title(l.text("display-recent", None).into());
    a.set_waiting_title(l.text("display-waiting", None).into());
    a.set_reconnecting_label(l.text("display-reconnecting", None).into());
    a.set_paused_label(l.text("display-calls-paused", None).into());
    a.set_online(online);
    let mut calls = view.recent_calls.iter();
    match calls.next() {
        Some(t) => {
            if std::env::var_os("INTEGRA_TRACE_CALLS").is_some()
                && a.get_current_label() != t.label.as_str()
            {
                // For the call → screen delay figure (benches/display-figures.sh).
                println!("shown {} {}", t.label, Utc::now().timestamp_micros());
            }
            a.set_current_label(t.label.clone().into());
            a.set_current_counter(counter_name(&t.counter).into());
            a.set_current_service(service_name(&t.service).into());
        }
        None => {
            a.set_current_label(SharedString::new());
            a.set_current_counter(SharedString::new());
            a.set_current_service(SharedString::new());
        }
    }
    let recent: Vec<CallRow> = calls
        .take(RECENT)
        .map(|t| CallRow {
            label: t.label.clone().into(),
            counter: counter_name(&t.counter).into(),
        })
        .collect();
    a.set_recent(ModelRc::new(VecModel::from(recent)));
    let waiting: Vec<WaitingRow> = view
        .services
        .iter()
        .filter(|s| !s.waiting.is_empty())
        .map(|s| WaitingRow {
            service: format!("{} · {}", s.prefix, service_name(&s.code)).into(),
            waiting: s.waiting.len().to_string().into(),
        })
        .collect();
    a.set_waiting(ModelRc::new(VecModel::from(waiting)));
    let lines = &catalog.center.info;
    let text = if lines.is_empty() {
        String::new()
    } else {
        // Each line in turn, and each in every language of the center in turn.
        let langs = &catalog.center.languages;
        let n = lines.len() * langs.len().max(1);
        let i = info % n;
        let line = &lines[i / langs.len().max(1)];
        let in_lang = langs.get(i % langs.len().max(1)).copied().unwrap_or(lang);
        pick(line, in_lang, fallback).to_string()
    };
    a.set_info(text.into());
}

thread_local! {
    static DISPLAY: RefCell<Option<Rc<Display>>> = const { RefCell::new(None) };
}

pub struct Display {
    ui: slint::Weak<DisplayWindow>,
    remote: Remote,
    l: Localizer,
    clock: Option<DateTime<Utc>>,
    info: Cell<usize>,
    ticks: Cell<u64>,
    timer: slint::Timer,
}

impl Display {
    /// Show the hub's queue on `ui` in `lang`, following `remote`'s stream.
    pub fn start(
        ui: &DisplayWindow,
        remote: Remote,
        lang: Lang,
        clock: Option<DateTime<Utc>>,
        announcer: Option<crate::audio::Announcer>,
    ) -> Result<Rc<Display>, LocaleError> {
        if let Some(a) = announcer {
            // Live calls and recalls are announced; calls replayed after a reconnect (older
            // than a minute) are not — a minute of the hub's clock, whatever this one says.
            let hub_clock = remote.clock();
            remote.on_event(move |q, e| {
                let (crate::core::Event::TicketCalled {
                    ticket, counter, ..
                }
                | crate::core::Event::TicketRecalled { ticket, counter }) = &e.event
                else {
                    return;
                };
                let now = clock.unwrap_or_else(|| hub_clock.now());
                if now.signed_duration_since(e.at) > chrono::Duration::seconds(60) {
                    return;
                }
                let Some(t) = q.ticket(*ticket) else { return };
                let counter_name = q
                    .catalog()
                    .counter(counter)
                    .map(|c| c.public().to_string())
                    .unwrap_or_else(|| counter.to_string());
                a.announce(crate::audio::Call {
                    label: t.label(),
                    counter: counter_name,
                    lang: t.lang,
                });
            });
        }
        let d = Rc::new(Display {
            ui: ui.as_weak(),
            remote: remote.clone(),
            l: Localizer::new(lang)?,
            clock,
            info: Cell::new(0),
            ticks: Cell::new(0),
            timer: slint::Timer::default(),
        });
        DISPLAY.with(|s| *s.borrow_mut() = Some(d.clone()));
        let weak = ui.as_weak();
        remote.on_change(move || {
            let _ = weak.upgrade_in_event_loop(|_| {
                DISPLAY.with(|s| {
                    if let Some(d) = s.borrow().as_ref() {
                        d.refresh();
                    }
                })
            });
        });
        d.timer
            .start(slint::TimerMode::Repeated, Duration::from_secs(1), || {
                DISPLAY.with(|s| {
                    if let Some(d) = s.borrow().as_ref() {
                        d.tick();
                    }
                })
            });
        d.refresh();
        Ok(d)
    }

    /// The hub's time (the clock on screen, the waits shown): one clock for the center.
    fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(|| self.remote.now())
    }

    pub fn refresh(&self) {
        if let Some(ui) = self.ui.upgrade() {
            let online = self.remote.online();
            let now = self.now();
            let info = self.info.get();
            self.remote
                .with_queue(|q| fill(&ui, q, online, now, &self.l, info));
            // The hub is not sure of its time: the information line says so, instead of the
            // center's lines, until a coordinator sets or confirms it.
            if self.remote.hub_clock_unsure() {
                ui.global::<DisplayAdapter>()
                    .set_info(self.l.text("display-clock-unsure", None).into());
            }
        }
    }

    /// Once a second: the clock, and every few seconds the next information line.
    fn tick(&self) {
        self.ticks.set(self.ticks.get() + 1);
        if self.ticks.get().is_multiple_of(INFO_SECONDS) {
            self.info.set(self.info.get() + 1);
        }
        self.refresh();
    }
}

/// Give up this thread's display (tests start several).
pub fn stop() {
    DISPLAY.with(|s| *s.borrow_mut() = None);
}
