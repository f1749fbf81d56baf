use super::*;

impl Kiosk {
    /// The speaker button: read the screen's title and options aloud in the visitor's
    /// language (on the welcome screen, each language's greeting in its own voice); a second
    /// tap stops.
    pub(super) fn speak(&self) {
        self.touched();
        let (Some(reader), Some(ui)) = (&self.reader, self.ui()) else {
            return;
        };
        let a = ui.global::<KioskAdapter>();
        if a.get_speaking() {
            return self.stop_reading();
        }
        let lines = self.screen_words(&ui);
        if lines.is_empty() {
            return;
        }
        self.reading.set(reader.read(lines));
        a.set_speaking(true);
    }

    pub(super) fn stop_reading(&self) {
        if self.reading.replace(0) != 0
            && let Some(r) = &self.reader
        {
            r.stop();
        }
        if let Some(ui) = self.ui() {
            ui.global::<KioskAdapter>().set_speaking(false);
        }
    }

    pub(super) fn reading_done(&self, generation: u64) {
        if self.reading.get() == generation {
            self.reading.set(0);
            if let Some(ui) = self.ui() {
                ui.global::<KioskAdapter>().set_speaking(false);
            }
        }
    }

    /// What the screen says, as (voice, words) lines: its title, then each option with the
    /// line under it — read from the screen's own adapter, so it is exactly what is shown.
    pub(super) fn screen_words(&self, ui: &KioskWindow) -> Vec<(String, String)> {
        use slint::Model as _;
        let lang = self.lang();
        let voice = crate::audio::default_voice(lang).to_string();
        let mut words: Vec<SharedString> = Vec::new();
        let a = ui.global::<KioskAdapter>();
        words.push(a.get_notice());
        match a.get_screen() {
            Screen::Welcome => {
                // Before a language is chosen: each greeting (or, with the hub unreachable, each
                // "go to reception") in its own language's voice.
                let w = ui.global::<WelcomeAdapter>();
                let lines = if w.get_offline() {
                    w.get_offline_lines()
                } else {
                    w.get_languages()
                };
                return lines
                    .iter()
                    .map(|l| {
                        let voice = l
                            .code
                            .parse::<Lang>()
                            .map(crate::audio::default_voice)
                            .unwrap_or("es");
                        (voice.to_string(), format!("{}. {}", l.name, l.welcome))
                    })
                    .collect();
            }
            Screen::Services => {
                let s = ui.global::<ServicesAdapter>();
                words.push(s.get_title());
                for t in s.get_services().iter() {
                    words.push(format!("{}. {}", t.name, t.status).into());
                }
                words.push(s.get_appointments_label());
                words.push(s.get_activities_label());
            }
            Screen::Priority => {
                let p = ui.global::<PriorityAdapter>();
                words.push(p.get_question());
                words.push(p.get_note());
                words.extend(p.get_classes().iter().map(|c| c.name));
                words.push(p.get_skip_label());
            }
            Screen::Ticket => {
                let t = ui.global::<TicketAdapter>();
                words.extend([
                    t.get_title(),
                    t.get_number(),
                    t.get_service(),
                    t.get_ahead(),
                ]);
                words.push(t.get_wait());
                words.push(if t.get_print_failed() {
                    t.get_remember_line()
                } else {
                    t.get_print_line()
                });
                words.push(t.get_done_label());
            }
            Screen::Checkin => {
                let c = ui.global::<CheckinAdapter>();
                words.extend([c.get_title(), c.get_hint(), c.get_error()]);
            }
            Screen::Choice => {
                let c = ui.global::<ChoiceAdapter>();
                words.push(c.get_title());
                words.push(c.get_error());
                let choices = c.get_choices();
                if choices.row_count() == 0 {
                    words.push(c.get_empty());
                }
                for ch in choices.iter() {
                    words.push(format!("{}. {}", ch.label, ch.sub).into());
                }
            }
            Screen::Contact => {
                let c = ui.global::<ContactAdapter>();
                words.extend([c.get_title(), c.get_why(), c.get_error()]);
            }
            Screen::Confirm => {
                let c = ui.global::<ConfirmAdapter>();
                words.push(c.get_title());
                words.push(format!("{} {}", c.get_code_label(), c.get_code()).into());
                words.extend(c.get_lines().iter());
                words.push(if c.get_print_failed() {
                    c.get_remember_line()
                } else {
                    c.get_print_line()
                });
                words.push(c.get_done_label());
            }
            Screen::Activities => {
                let c = ui.global::<ActivitiesAdapter>();
                words.push(c.get_title());
                words.push(c.get_error());
                let sessions = c.get_sessions();
                if sessions.row_count() == 0 {
                    words.push(c.get_empty());
                }
                for s in sessions.iter() {
                    words.push(
                        format!(
                            "{}. {}. {}. {}. {}",
                            s.title, s.when, s.place, s.seats, s.action
                        )
                        .into(),
                    );
                }
            }
            Screen::Busy => words.push(a.get_busy_text()),
        }
        words
            .into_iter()
            .map(|w| w.trim().trim_end_matches(". ").to_string())
            .filter(|w| !w.is_empty() && w != ".")
            .map(|w| (voice.clone(), w))
            .collect()
    }
}
