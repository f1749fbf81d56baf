use super::*;

impl Kiosk {
    pub(super) fn fill_welcome(&self) {
        let Some(ui) = self.ui() else { return };
        // The speaker button's words before a language is chosen: the center's language.
        let a = ui.global::<KioskAdapter>();
        a.set_listen_label(self.t("kiosk-listen"));
        a.set_stop_label(self.t("kiosk-stop-reading"));
        let choices = self.language_lines("kiosk-welcome");
        let w = ui.global::<WelcomeAdapter>();
        w.set_center_name(self.catalog().center.name.clone().into());
        w.set_languages(ModelRc::new(VecModel::from(choices)));
        let down = self.hub_down();
        self.showing_down(down);
        w.set_offline(down);
        let lines = if down {
            self.language_lines("kiosk-offline-welcome")
        } else {
            Vec::new()
        };
        w.set_offline_lines(ModelRc::new(VecModel::from(lines)));
    }

    pub(super) fn choose_language(&self, code: &str) {
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

    pub(super) fn show_services(&self) {
        let now = self.now();
        self.hub.run(Box::new(move |engine| {
            // The tiles count what the lobby display counts: a discreet ticket under its cover.
            let q = engine.public_queue();
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

    pub(super) fn fill_services(&self, tiles: Vec<TileData>) {
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
                } else if catalog.is_discreet(&s.code, None) {
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
    pub(super) fn opens_line(&self, opens: Option<chrono::NaiveDateTime>) -> SharedString {
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

    pub(super) fn pick_service(&self, code: &str) {
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

    pub(super) fn show_priority(&self) {
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

    pub(super) fn busy(&self) {
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_screen(Screen::Busy);
        }
    }

    /// The engine failed (disk, database): the visitor is sent to reception, no number invented.
    pub(super) fn hub_failed(&self) {
        let text = self.t("kiosk-go-to-reception");
        // The welcome screen says it from now on (and a visitor mid-flow is taken there).
        self.command_failed();
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

    pub(super) fn refused(&self, err: &Refusal) {
        if let Refusal::Unavailable(why) = err {
            log::error!("the hub cannot do it: {why}");
            return self.hub_failed();
        }
        // A hub that stepped down for a promoted standby issues nothing: the visitor goes to
        // reception, and the welcome screen says so from now on (issue #32).
        if let Refusal::Remote { code, message } = err
            && code == "replaced"
        {
            log::error!("the hub cannot do it: {message}");
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
    pub(super) fn execute(&self, cmd: Command, done: fn(&Kiosk, Vec<Stamped>)) {
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

    pub(super) fn issue(&self, priority: Option<String>) {
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

    pub(super) fn print(&self, label: &str, slip: &Slip) {
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

    pub(super) fn show_ticket(&self, events: &[Stamped]) {
        let Some((ticket, ahead, wait)) = events.issued().map(|(t, a, w)| (t.clone(), a, w)) else {
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

    pub(super) fn fill_ticket(&self, ui: &KioskWindow, ticket: &Ticket, ahead: u32, wait: u32) {
        let lang = self.lang();
        let label = ticket.label();
        let t = ui.global::<TicketAdapter>();
        t.set_title(self.t("kiosk-ticket-title"));
        t.set_number(label.clone().into());
        // The ticket as the lobby sees it: a discreet one as an ordinary ticket of its cover
        // service, with the same figures (its place in the public queue).
        let mut shown = ticket.clone();
        crate::core::public::ticket(&mut shown, &self.catalog());
        t.set_service(
            self.catalog()
                .service_name(&shown.service, lang)
                .unwrap_or_default()
                .into(),
        );
        // A priority the visitor chose is confirmed in words (never a discreet one: that
        // ticket looks ordinary).
        let catalog = self.catalog();
        let class = shown
            .priority
            .as_ref()
            .and_then(|c| catalog.priority_class(c))
            .filter(|c| !c.discreet)
            .map(|c| pick(&c.name, lang, catalog.center.default_language).to_string());
        t.set_priority_line(match class {
            Some(class) => self.t_args(
                "kiosk-ticket-priority",
                &[("class", FluentValue::from(class))],
            ),
            None => SharedString::new(),
        });
        t.set_ahead(self.t_args("kiosk-ticket-ahead", &[("count", FluentValue::from(ahead))]));
        // Nobody ahead: no "about 0 min".
        t.set_wait(if ahead == 0 {
            SharedString::new()
        } else {
            self.t_args("kiosk-ticket-wait", &[("minutes", FluentValue::from(wait))])
        });
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
}
