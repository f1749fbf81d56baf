use super::*;

impl Kiosk {
    pub(super) fn start_booking(&self) {
        {
            let mut f = self.flow.borrow_mut();
            f.booking = Booking::default();
            f.choice = ChoiceStep::Service;
        }
        self.go(Screen::Choice);
        self.show_choice();
    }

    /// A day as a visitor reads it: "Today · Monday 05/01", "Tomorrow · …", "Wednesday 07/01".
    pub(super) fn date_label(&self, date: NaiveDate) -> String {
        let day = format!(
            "{} {}",
            self.l().text(weekday_id(date.weekday()), None),
            date.format("%d/%m")
        );
        let today = self
            .now()
            .with_timezone(&self.catalog().center.timezone)
            .date_naive();
        let near = if date == today {
            Some("kiosk-today")
        } else if today.succ_opt() == Some(date) {
            Some("kiosk-tomorrow")
        } else {
            None
        };
        match near {
            Some(id) => format!("{} · {day}", self.l().text(id, None)),
            None => day,
        }
    }

    /// Fill the choice screen for the current booking step (slot counts come from the hub).
    pub(super) fn show_choice(&self) {
        let step = self.flow.borrow().choice;
        let catalog = self.catalog();
        let now = self.now();
        let (service, date) = {
            let f = self.flow.borrow();
            (f.booking.service.clone(), f.booking.date)
        };
        self.hub.run(Box::new(move |engine| {
            let q = engine.public_queue();
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

    pub(super) fn fill_choice(&self, step: ChoiceStep, items: Vec<(String, u32)>) {
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let choices: Vec<Choice> = items
            .iter()
            .map(|(key, free)| {
                let (label, sub) = match step {
                    ChoiceStep::Service => (
                        self.catalog()
                            .service_name(&ServiceCode::from(key.as_str()), lang)
                            .unwrap_or_default()
                            .to_string(),
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

    pub(super) fn choice_picked(&self, key: &str) {
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

    pub(super) fn show_contact(&self) {
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
        c.set_previous_label(self.t("kiosk-page-previous"));
        c.set_next_label_page(self.t("kiosk-page-next"));
        c.set_page(0);
        c.set_error(SharedString::new());
        self.flow.borrow_mut().accents = false;
        self.sync_contact();
        self.go(Screen::Contact);
    }

    pub(super) fn sync_contact(&self) {
        let Some(ui) = self.ui() else { return };
        let f = self.flow.borrow();
        let c = ui.global::<ContactAdapter>();
        c.set_name(f.contact.name.clone().unwrap_or_default().into());
        c.set_phone(f.contact.phone.clone().unwrap_or_default().into());
        c.set_field(if f.field_phone {
            ContactField::Phone
        } else {
            ContactField::Name
        });
        let page = if f.accents { ACCENTS } else { LETTERS };
        let letters: Vec<SharedString> = page.iter().map(|l| SharedString::from(*l)).collect();
        c.set_letters(ModelRc::new(VecModel::from(letters)));
    }

    pub(super) fn contact_focus(&self, field: ContactField) {
        self.flow.borrow_mut().field_phone = field == ContactField::Phone;
        self.sync_contact();
        self.touched();
    }

    pub(super) fn contact_key(&self, key: &str) {
        if key == TO_ACCENTS || key == TO_LETTERS {
            self.flow.borrow_mut().accents = key == TO_ACCENTS;
            if let Some(ui) = self.ui() {
                ui.global::<ContactAdapter>().set_page(0);
            }
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

    pub(super) fn contact_delete(&self) {
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

    pub(super) fn book(&self) {
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
                    Err(e) if e.is_contact_problem() => {
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

    pub(super) fn show_booked(&self, events: &[Stamped]) {
        let Some(a) = events.booked().cloned() else {
            return self.hub_failed();
        };
        self.show_confirm_appointment(&a);
        let slip =
            Slip::for_appointment(&self.catalog(), &a).with_follow(self.follow.borrow().clone());
        self.print(&a.code, &slip);
    }

    pub(super) fn show_confirm_appointment(&self, a: &Appointment) {
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let catalog = self.catalog();
        // A discreet service is not named on the screen either.
        let service = match catalog.service(&a.service) {
            Some(s) if catalog.is_discreet(&s.code, None) => {
                self.l().text("kiosk-ticket-discreet", None)
            }
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

    pub(super) fn fill_confirm(
        &self,
        ui: &KioskWindow,
        title: &str,
        code: &str,
        lines: Vec<SharedString>,
    ) {
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
    pub(super) fn follow_qr(&self) -> Option<slint::Image> {
        self.follow
            .borrow()
            .as_deref()
            .and_then(crate::ui::qr::image)
    }

    // ------------------------------------------------------------------ activities
}
