//! The pairing screen of a device with no token (issue #33), filled from the worker of
//! [`crate::device::pairing`]: a keypad for the PIN on a touch device, a code and the device's
//! address on the lobby TV. It reads the worker's state a few times a second and calls
//! `on_paired` once the token is kept.

use crate::core::Lang;
use crate::device::pairing::{Mode, Shown, Status, Worker};
use crate::i18n::{LocaleError, Localizer};
use crate::ui::{PairingAdapter, PairingWindow};
use fluent_bundle::FluentArgs;
use slint::ComponentHandle;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// The longest PIN the keypad takes (the admin page's PINs have 8 digits).
const MAX_DIGITS: usize = 12;

/// The screen, while it is shown.
pub struct Pairing {
    ui: slint::Weak<PairingWindow>,
    worker: Worker,
    l: Localizer,
    typed: RefCell<String>,
    on_paired: RefCell<Option<Box<dyn FnOnce()>>>,
    last: RefCell<Option<Shown>>,
    done: Cell<bool>,
    timer: slint::Timer,
}

impl Pairing {
    /// Show pairing on `ui` in `lang`, driven by `worker`; `on_paired` runs once paired.
    pub fn start(
        ui: &PairingWindow,
        mode: Mode,
        worker: Worker,
        lang: Lang,
        on_paired: Box<dyn FnOnce()>,
    ) -> Result<Rc<Pairing>, LocaleError> {
        let l = Localizer::new(lang)?;
        let a = ui.global::<PairingAdapter>();
        let keypad = mode == Mode::Keypad;
        a.set_keypad(keypad);
        let (title, help) = if keypad {
            ("pairing-title-keypad", "pairing-help-keypad")
        } else {
            ("pairing-title-code", "pairing-help-code")
        };
        a.set_title(l.text(title, None).into());
        a.set_help(l.text(help, None).into());
        a.set_fingerprint_title(l.text("pairing-fingerprint", None).into());
        a.set_pin_label(l.text("pairing-pin", None).into());
        a.set_delete_label(l.text("pairing-delete", None).into());
        a.set_ok_label(l.text("pairing-ok", None).into());
        a.set_address_title(l.text("pairing-address", None).into());
        let p = Rc::new(Pairing {
            ui: ui.as_weak(),
            worker,
            l,
            typed: RefCell::new(String::new()),
            on_paired: RefCell::new(Some(on_paired)),
            last: RefCell::new(None),
            done: Cell::new(false),
            timer: slint::Timer::default(),
        });
        let weak = Rc::downgrade(&p);
        a.on_digit(move |d| {
            if let Some(p) = weak.upgrade() {
                p.digit(&d);
            }
        });
        let weak = Rc::downgrade(&p);
        a.on_delete(move || {
            if let Some(p) = weak.upgrade() {
                p.typed.borrow_mut().pop();
                p.show_typed();
            }
        });
        let weak = Rc::downgrade(&p);
        a.on_ok(move || {
            if let Some(p) = weak.upgrade() {
                p.ok();
            }
        });
        let weak = Rc::downgrade(&p);
        p.timer.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(200),
            move || {
                if let Some(p) = weak.upgrade() {
                    p.refresh();
                }
            },
        );
        p.show_typed();
        p.refresh();
        Ok(p)
    }

    fn digit(&self, d: &str) {
        let mut typed = self.typed.borrow_mut();
        if typed.len() < MAX_DIGITS && d.chars().all(|c| c.is_ascii_digit()) {
            typed.push_str(d);
        }
        drop(typed);
        self.show_typed();
    }

    fn ok(&self) {
        let pin = self.typed.take();
        if pin.is_empty() {
            return;
        }
        self.worker.submit(pin);
        self.show_typed();
    }

    fn show_typed(&self) {
        let Some(ui) = self.ui.upgrade() else { return };
        let typed = self.typed.borrow();
        let a = ui.global::<PairingAdapter>();
        // In groups of four, as the admin page shows a PIN.
        let grouped: Vec<String> = typed
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        a.set_typed(grouped.join(" ").into());
        a.set_ok_enabled(!typed.is_empty());
    }

    /// Show what the worker says now; once paired, hand over to the role.
    pub fn refresh(&self) {
        let shown = self.worker.shown();
        if self.last.borrow().as_ref() == Some(&shown) {
            return;
        }
        if let Some(ui) = self.ui.upgrade() {
            let a = ui.global::<PairingAdapter>();
            let hub = shown.hub.as_deref().map_or(String::new(), |h| {
                let mut args = FluentArgs::new();
                args.set("hub", h.to_string());
                self.l.text("pairing-hub", Some(&args))
            });
            a.set_hub_line(hub.into());
            a.set_fingerprint(shown.fingerprint.clone().unwrap_or_default().into());
            a.set_code(shown.code.clone().unwrap_or_default().into());
            a.set_address(shown.address.clone().unwrap_or_default().into());
            a.set_status(self.status(&shown.status).into());
        }
        let paired = shown.status == Status::Paired;
        *self.last.borrow_mut() = Some(shown);
        if paired && !self.done.replace(true) {
            self.timer.stop();
            if let Some(f) = self.on_paired.take() {
                f();
            }
        }
    }

    fn status(&self, status: &Status) -> String {
        let keypad = self
            .ui
            .upgrade()
            .is_some_and(|ui| ui.global::<PairingAdapter>().get_keypad());
        match status {
            Status::Looking => self.l.text("pairing-looking", None),
            Status::Ready => String::new(),
            Status::Pairing => self.l.text("pairing-pairing", None),
            Status::Wrong { left: Some(n) } => {
                let mut args = FluentArgs::new();
                args.set("left", *n);
                self.l.text("pairing-wrong-left", Some(&args))
            }
            Status::Wrong { left: None } if keypad => self.l.text("pairing-wrong", None),
            Status::Wrong { left: None } => self.l.text("pairing-code-failed", None),
            Status::Refused => self.l.text("pairing-refused", None),
            Status::Paired => self.l.text("pairing-paired", None),
        }
    }

    /// Whether the worker paired this device.
    pub fn paired(&self) -> bool {
        self.done.get()
    }
}
