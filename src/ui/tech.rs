//! The technician screen on a kiosk or a counter (issue #33): a press held 3 s on the top-left
//! corner opens a code prompt; the device's setup code opens the screen — address, hub and its
//! fingerprint, version, role, the doctor's lines (run on a worker thread), this process's last
//! log lines, and a test page, a restart and a new pairing. Wrong codes are limited
//! (`device::tech::CodeGate`); the screen closes by itself a minute after the last touch.

use crate::core::Lang;
use crate::device::doctor::{Check, Verdict};
use crate::device::tech::{CodeGate, Gate, IDLE_CLOSE};
use crate::i18n::{LocaleError, Localizer};
use crate::ui::{TechAdapter, TechLine};
use fluent_bundle::FluentArgs;
use slint::{ComponentHandle, Global, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// The doctor's checks for this device (run off the UI thread).
pub type DoctorFn = Arc<dyn Fn() -> Vec<Check> + Send + Sync>;
/// A printer test page, its result as a doctor line.
pub type PrintFn = Arc<dyn Fn() -> Check + Send + Sync>;
/// What the screen says about the device: (Fluent id of the label, value), read when it opens.
pub type FactsFn = Box<dyn Fn() -> Vec<(&'static str, String)>>;

/// How many of this process's log lines the screen shows.
pub const LOG_LINES: usize = 30;

pub struct TechConfig {
    /// The device's `setup_code` (None: the screen cannot be opened, and says why).
    pub code: Option<crate::device::SetupCode>,
    pub lang: Lang,
    pub facts: FactsFn,
    pub doctor: DoctorFn,
    /// Where there is a printer.
    pub print: Option<PrintFn>,
    /// The hub token's file, which "pair again" removes (None on the device that runs the hub).
    pub token: Option<PathBuf>,
    /// Run the doctor and the test page on the UI thread (tests on the testing backend).
    pub inline: bool,
}

pub struct Tech<C: ComponentHandle + 'static> {
    ui: slint::Weak<C>,
    cfg: TechConfig,
    l: Localizer,
    gate: RefCell<CodeGate>,
    typed: RefCell<String>,
    idle: slint::Timer,
}

/// A doctor line for the screen.
pub fn line(c: &Check) -> TechLine {
    let mut shown = c.clone();
    let fix = shown.fix.take().unwrap_or_default();
    TechLine {
        line: shown.line().into(),
        fix: fix.into(),
        bad: c.verdict == Verdict::Fail,
    }
}

fn strings(v: Vec<String>) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(
        v.into_iter().map(SharedString::from).collect::<Vec<_>>(),
    ))
}

fn show_checks(a: &TechAdapter, checks: &[Check]) {
    a.set_checks(ModelRc::new(VecModel::from(
        checks.iter().map(line).collect::<Vec<_>>(),
    )));
    a.set_log(strings(crate::device::recent_log::last(LOG_LINES)));
}

impl<C> Tech<C>
where
    C: ComponentHandle + 'static,
    for<'a> TechAdapter<'a>: Global<'a, C>,
{
    /// Wire the technician screen of `ui` (its corner and its adapter).
    pub fn attach(ui: &C, cfg: TechConfig) -> Result<Rc<Tech<C>>, LocaleError> {
        let t = Rc::new(Tech {
            ui: ui.as_weak(),
            l: Localizer::new(cfg.lang)?,
            gate: RefCell::new(CodeGate::new(cfg.code.clone())),
            typed: RefCell::new(String::new()),
            idle: slint::Timer::default(),
            cfg,
        });
        let a = ui.global::<TechAdapter>();
        let l = &t.l;
        a.set_title(l.text("tech-title", None).into());
        a.set_prompt(l.text("tech-prompt", None).into());
        a.set_checks_title(l.text("tech-checks", None).into());
        a.set_log_title(l.text("tech-log", None).into());
        a.set_print_label(l.text("tech-print", None).into());
        a.set_restart_label(l.text("tech-restart", None).into());
        a.set_repair_label(l.text("tech-repair", None).into());
        a.set_close_label(l.text("tech-close", None).into());
        a.set_delete_label(l.text("tech-delete", None).into());
        a.set_ok_label(l.text("tech-ok", None).into());
        a.set_can_print(t.cfg.print.is_some());
        a.set_can_repair(t.cfg.token.is_some());
        let on = |f: fn(&Tech<C>)| {
            let t = t.clone();
            move || f(&t)
        };
        a.on_corner_held(on(Tech::corner_held));
        a.on_delete(on(Tech::delete));
        a.on_ok(on(Tech::ok));
        a.on_print(on(Tech::print));
        a.on_restart(on(Tech::restart));
        a.on_repair(on(Tech::repair));
        a.on_close(on(Tech::close));
        a.on_touched(on(Tech::touched));
        a.on_digit({
            let t = t.clone();
            move |d| t.digit(d.as_str())
        });
        Ok(t)
    }

    fn with(&self, f: impl FnOnce(&TechAdapter)) {
        if let Some(ui) = self.ui.upgrade() {
            f(&ui.global::<TechAdapter>());
        }
    }

    /// The corner was held: the code prompt (never the screen itself).
    fn corner_held(&self) {
        self.typed.borrow_mut().clear();
        let no_code = !self.gate.borrow().has_code();
        let message = no_code.then(|| self.l.text("tech-no-code", None));
        self.with(|a| {
            a.set_typed("".into());
            a.set_message(message.unwrap_or_default().into());
            a.set_status("".into());
            a.set_unlocked(false);
            a.set_open(true);
        });
        self.touched();
    }

    fn digit(&self, d: &str) {
        let mut typed = self.typed.borrow_mut();
        if typed.len() < 32 {
            typed.push_str(d);
        }
        let dots = "•".repeat(typed.len());
        self.with(|a| a.set_typed(dots.into()));
        self.touched();
    }

    fn delete(&self) {
        let mut typed = self.typed.borrow_mut();
        typed.pop();
        let dots = "•".repeat(typed.len());
        self.with(|a| a.set_typed(dots.into()));
        self.touched();
    }

    fn ok(&self) {
        let typed = std::mem::take(&mut *self.typed.borrow_mut());
        let gate = self.gate.borrow_mut().try_code(&typed, Instant::now());
        let message = match gate {
            Gate::Open => {
                log::warn!("technician screen opened with the setup code");
                self.unlock();
                return;
            }
            Gate::Wrong { left } => {
                log::warn!("technician screen: a wrong setup code was typed");
                let mut args = FluentArgs::new();
                args.set("left", left);
                self.l.text("tech-wrong", Some(&args))
            }
            Gate::Paused { secs } => {
                log::warn!("technician screen: too many wrong setup codes, paused");
                let mut args = FluentArgs::new();
                args.set("minutes", secs.div_ceil(60));
                self.l.text("tech-paused", Some(&args))
            }
            Gate::NoCode => self.l.text("tech-no-code", None),
        };
        self.with(|a| {
            a.set_typed("".into());
            a.set_message(message.into());
        });
        self.touched();
    }

    /// Past the code: the facts now, the doctor's lines when they come.
    fn unlock(&self) {
        let facts: Vec<String> = (self.cfg.facts)()
            .into_iter()
            .map(|(id, value)| format!("{}: {value}", self.l.text(id, None)))
            .collect();
        let checking = self.l.text("tech-checking", None);
        self.with(|a| {
            a.set_facts(strings(facts));
            a.set_checks(ModelRc::new(VecModel::from(vec![TechLine {
                line: checking.into(),
                fix: "".into(),
                bad: false,
            }])));
            a.set_log(strings(crate::device::recent_log::last(LOG_LINES)));
            a.set_message("".into());
            a.set_unlocked(true);
        });
        self.off_the_ui(self.cfg.doctor.clone(), |a, checks| show_checks(a, &checks));
    }

    /// Run `work` on a worker thread (inline in tests), then `done` on the UI thread.
    fn off_the_ui<T: Send + 'static>(
        &self,
        work: Arc<dyn Fn() -> T + Send + Sync>,
        done: fn(&TechAdapter, T),
    ) {
        if self.cfg.inline {
            let out = work();
            self.with(|a| done(a, out));
            return;
        }
        let weak = self.ui.clone();
        let spawned = std::thread::Builder::new()
            .name("technician".into())
            .spawn(move || {
                let out = work();
                let _ =
                    weak.upgrade_in_event_loop(move |ui| done(&ui.global::<TechAdapter>(), out));
            });
        if let Err(e) = spawned {
            log::error!("cannot start the technician screen's worker: {e}");
        }
    }

    fn print(&self) {
        let Some(print) = self.cfg.print.clone() else {
            return;
        };
        let printing = self.l.text("tech-printing", None);
        self.with(|a| a.set_status(printing.into()));
        self.off_the_ui(print, |a, check| a.set_status(check.line().into()));
        self.touched();
    }

    /// systemd starts the program again (`Restart=always`) when it leaves.
    fn restart(&self) {
        log::warn!("restart asked on the technician screen");
        let words = self.l.text("tech-restarting", None);
        self.with(|a| a.set_status(words.into()));
        if let Err(e) = slint::quit_event_loop() {
            log::error!("cannot stop the window to restart: {e}");
        }
    }

    /// Forget this device's pairing, then restart: it comes back to its pairing screen.
    fn repair(&self) {
        let Some(token) = &self.cfg.token else {
            return;
        };
        match std::fs::remove_file(token) {
            Ok(()) => {
                log::warn!("pairing forgotten on the technician screen: restarting to pair again")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                log::error!("cannot forget the pairing ({}): {e}", token.display());
                let mut args = FluentArgs::new();
                args.set("error", e.to_string());
                let words = self.l.text("tech-repair-failed", Some(&args));
                self.with(|a| a.set_status(words.into()));
                return;
            }
        }
        self.restart();
    }

    fn close(&self) {
        self.typed.borrow_mut().clear();
        self.idle.stop();
        self.with(|a| {
            a.set_open(false);
            a.set_unlocked(false);
            a.set_typed("".into());
            a.set_facts(strings(Vec::new()));
            a.set_checks(ModelRc::new(VecModel::from(Vec::<TechLine>::new())));
        });
    }

    /// A touch: the minute starts again.
    fn touched(&self) {
        let weak = self.ui.clone();
        self.idle
            .start(slint::TimerMode::SingleShot, IDLE_CLOSE, move || {
                if let Some(ui) = weak.upgrade() {
                    ui.global::<TechAdapter>().invoke_close();
                }
            });
    }
}
