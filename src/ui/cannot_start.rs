//! "This device cannot start" (issue #33): a device whose role cannot start (a broken
//! `integra.toml`, a catalog error, a printer it needs…) draws the doctor's ✘ lines and their
//! fixes on its own screen instead of going black, checks again by itself every
//! [`RETRY`], and starts when the fix is in (the caller decides how: `cli::tech_cmd`).

use crate::core::Lang;
use crate::device::doctor::Check;
use crate::i18n::{LocaleError, Localizer};
use crate::ui::{CannotStartAdapter, CannotStartWindow};
use fluent_bundle::FluentArgs;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the device checks again.
pub const RETRY: Duration = Duration::from_secs(10);

/// One look again: what still stops the device, and whether to start now.
pub struct Recheck {
    pub problems: Vec<Check>,
    pub start: bool,
}

pub type RecheckFn = Arc<dyn Fn() -> Recheck + Send + Sync>;

/// The screen's timer and words (keep it while the window runs).
pub struct CannotStart {
    _timer: slint::Timer,
}

fn fill(ui: &CannotStartWindow, l: &Localizer, problems: &[Check]) {
    let a = ui.global::<CannotStartAdapter>();
    a.set_lines(ModelRc::new(VecModel::from(
        problems.iter().map(super::tech::line).collect::<Vec<_>>(),
    )));
    let mut args = FluentArgs::new();
    args.set("time", chrono::Local::now().format("%H:%M:%S").to_string());
    args.set("seconds", RETRY.as_secs());
    a.set_retry(l.text("cannot-start-retry", Some(&args)).into());
}

/// Show `problems` on `ui`, and every [`RETRY`] run `recheck` on a worker thread; when it says
/// start, `start` runs on the UI thread.
pub fn show(
    ui: &CannotStartWindow,
    lang: Lang,
    facts: Vec<String>,
    problems: &[Check],
    recheck: RecheckFn,
    start: fn(),
) -> Result<CannotStart, LocaleError> {
    let l = Localizer::new(lang)?;
    let a = ui.global::<CannotStartAdapter>();
    a.set_title(l.text("cannot-start-title", None).into());
    a.set_intro(l.text("cannot-start-intro", None).into());
    a.set_facts(ModelRc::new(VecModel::from(
        facts
            .into_iter()
            .map(SharedString::from)
            .collect::<Vec<_>>(),
    )));
    fill(ui, &l, problems);
    let busy = Arc::new(AtomicBool::new(false));
    let weak = ui.as_weak();
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, RETRY, move || {
        if busy.swap(true, Ordering::SeqCst) {
            return; // the last look is still running (the hub check may wait for mDNS)
        }
        let (busy, weak, recheck) = (busy.clone(), weak.clone(), recheck.clone());
        let spawned = std::thread::Builder::new()
            .name("cannot-start".into())
            .spawn(move || {
                let again = recheck();
                busy.store(false, Ordering::SeqCst);
                let _ = weak.upgrade_in_event_loop(move |ui| {
                    if again.start {
                        start();
                        return;
                    }
                    match Localizer::new(lang) {
                        Ok(l) => fill(&ui, &l, &again.problems),
                        Err(e) => log::error!("{e}"),
                    }
                });
            });
        if let Err(e) = spawned {
            log::error!("cannot check the device again: {e}");
        }
    });
    Ok(CannotStart { _timer: timer })
}
