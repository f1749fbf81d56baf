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
        self.touched();
    }

    pub(super) fn check_in(&self) {
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
}
