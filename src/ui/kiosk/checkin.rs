use super::*;

impl Kiosk {
    pub(super) fn show_checkin(&self) {
        let Some(ui) = self.ui() else { return };
        let c = ui.global::<CheckinAdapter>();
        c.set_title(self.t("kiosk-checkin-title"));
        c.set_hint(self.t("kiosk-checkin-hint"));
        c.set_delete_label(self.t("kiosk-delete"));
        c.set_ok_label(self.t("kiosk-ok"));
        c.set_book_label(self.t("kiosk-book"));
        c.set_error(SharedString::new());
        c.set_code(self.flow.borrow().code.clone().into());
        self.show_code_wait();
        self.go(Screen::Checkin);
    }

    pub(super) fn checkin_digit(&self, d: &str) {
        {
            let mut f = self.flow.borrow_mut();
            if f.code.len() < 6 && d.chars().all(|c| c.is_ascii_digit()) {
                f.code.push_str(d);
            }
        }
        self.sync_code();
    }

    pub(super) fn checkin_delete(&self) {
        self.flow.borrow_mut().code.pop();
        self.sync_code();
    }

    pub(super) fn sync_code(&self) {
        if let Some(ui) = self.ui() {
            let c = ui.global::<CheckinAdapter>();
            c.set_code(self.flow.borrow().code.clone().into());
            c.set_error(SharedString::new());
        }
        // A wait going on stays said while the next code is typed.
        self.show_code_wait();
        self.touched();
    }

    /// This visitor waits `seconds` before the next code (`hub`: the hub's per-kiosk limit,
    /// else this visitor's own wrong codes): the OK key rests and the words count down.
    fn wait_for_next_code(&self, seconds: u32, hub: bool) {
        let wait = std::time::Duration::from_secs(u64::from(seconds));
        {
            let mut f = self.flow.borrow_mut();
            f.code_wait = seconds;
            f.code_wait_hub = hub;
        }
        self.show_code_wait();
        if seconds == 0 {
            self.code_tick.stop();
            return self.code_end.stop();
        }
        self.code_end.start(slint::TimerMode::SingleShot, wait, || {
            with_kiosk(|k| {
                k.code_tick.stop();
                k.flow.borrow_mut().code_wait = 0;
                if let Some(ui) = k.ui() {
                    ui.global::<CheckinAdapter>().set_error(SharedString::new());
                }
                k.show_code_wait();
            })
        });
        self.code_tick.start(
            slint::TimerMode::Repeated,
            std::time::Duration::from_secs(1),
            || {
                with_kiosk(|k| {
                    {
                        // Counts the seconds down to 1; the end comes with `code_end`.
                        let mut f = k.flow.borrow_mut();
                        f.code_wait = f.code_wait.saturating_sub(1).max(1);
                    }
                    k.show_code_wait()
                })
            },
        );
    }

    /// The wait before the next code, on the keypad's screen (nothing when there is none).
    fn show_code_wait(&self) {
        let Some(ui) = self.ui() else { return };
        let (left, hub) = {
            let f = self.flow.borrow();
            (f.code_wait, f.code_wait_hub)
        };
        let c = ui.global::<CheckinAdapter>();
        c.set_waiting(left > 0);
        if left > 0 {
            let id = if hub {
                "kiosk-too-many-wait"
            } else {
                "kiosk-code-wrong-wait"
            };
            c.set_error(self.t_args(id, &[("seconds", FluentValue::from(left))]));
        }
    }

    /// A check-in refused: a wrong code counts for this visitor (and may make them wait), the
    /// hub's limit says how long, anything else is said as it is.
    fn check_in_refused(&self, e: &Refusal) {
        let text = e.text(self.l(), &self.catalog());
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_screen(Screen::Checkin);
            ui.global::<CheckinAdapter>().set_error(text.into());
        }
        let wrong_code = match e {
            Refusal::Queue(q) => q.is_wrong_code(),
            // The hub on another device says a wrong code in the one word for all of them.
            Refusal::Remote { code, .. } => {
                *code == Refusal::Queue(QueueError::CodeNotForToday(String::new())).code()
            }
            Refusal::Unavailable(_) | Refusal::Limited(_) => false,
        };
        if let Refusal::Limited(seconds) = e {
            self.wait_for_next_code(u32::try_from(*seconds).unwrap_or(u32::MAX).max(1), true);
        } else if wrong_code {
            let wrong = {
                let mut f = self.flow.borrow_mut();
                f.wrong_codes += 1;
                f.wrong_codes
            };
            let per_minute = self.catalog().limits.wrong_codes_per_minute;
            let wait = crate::core::attempts::wait_after_wrong_codes(wrong, per_minute);
            self.wait_for_next_code(wait, false);
        }
        self.touched();
    }

    pub(super) fn check_in(&self) {
        let (code, waiting) = {
            let f = self.flow.borrow();
            (f.code.clone(), f.code_wait > 0)
        };
        if code.is_empty() || waiting {
            return;
        }
        self.busy();
        let now = self.now();
        let lang = self.lang();
        self.hub.run(Box::new(move |engine| {
            let result = engine.run(&Command::CheckIn { code }, now, lang);
            // A sign-up code on its day: present at the activity (no ticket).
            let attended = result.as_ref().ok().and_then(|events| {
                events
                    .attended()
                    .and_then(|id| engine.public_queue().state().signups.get(&id).cloned())
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
                        Err(e) => k.check_in_refused(&e),
                    }
                })
            }));
        }));
    }

    // ------------------------------------------------------------------ booking
}
