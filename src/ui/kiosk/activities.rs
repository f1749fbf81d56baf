use super::*;

impl Kiosk {
    pub(super) fn show_activities(&self) {
        self.go(Screen::Activities);
        let catalog = self.catalog();
        let now = self.now();
        self.hub.run(Box::new(move |engine| {
            let q = engine.public_queue();
            let local = now.with_timezone(&catalog.center.timezone).naive_local();
            let mut sessions: Vec<SessionData> = Vec::new();
            for a in &catalog.activities {
                for d in a.next_dates(local.date(), DAYS_AHEAD) {
                    if d.and_time(a.start.0) <= local {
                        continue;
                    }
                    let (seated, waitlist) = q.seats_taken(&a.code, d);
                    sessions.push(SessionData {
                        code: a.code.clone(),
                        date: d,
                        seated,
                        waitlist,
                    });
                }
            }
            sessions.sort_by_key(|s| {
                (
                    s.date,
                    catalog.activity(&s.code).map(|a| a.start.0),
                    s.code.clone(),
                )
            });
            to_ui(Box::new(move || {
                with_kiosk(|k| k.fill_activities(sessions))
            }));
        }));
    }

    pub(super) fn fill_activities(&self, sessions: Vec<SessionData>) {
        let catalog = self.catalog();
        let Some(ui) = self.ui() else { return };
        let lang = self.lang();
        let fallback = self.catalog().center.default_language;
        let mut keys = Vec::new();
        let model: Vec<Session> = sessions
            .iter()
            .filter_map(|s| {
                let a = catalog.activity(&s.code)?;
                let full = s.seated >= a.seats;
                keys.push((s.code.clone(), s.date));
                Some(Session {
                    key: format!("{}|{}", s.code, s.date).into(),
                    title: pick(&a.title, lang, fallback).into(),
                    when: format!("{} {}", self.date_label(s.date), a.start.0.format("%H:%M"))
                        .into(),
                    place: a.place.clone().into(),
                    seats: if full {
                        self.t_args("kiosk-full", &[("count", FluentValue::from(s.waitlist))])
                    } else {
                        self.t_args(
                            "kiosk-seats-left",
                            &[("count", FluentValue::from(a.seats - s.seated))],
                        )
                    },
                    full,
                    action: self.t(if full {
                        "kiosk-join-waitlist"
                    } else {
                        "kiosk-sign-up"
                    }),
                })
            })
            .collect();
        self.flow.borrow_mut().sessions = keys;
        let a = ui.global::<ActivitiesAdapter>();
        a.set_title(self.t("kiosk-activities-title"));
        a.set_empty(self.t("kiosk-activities-none"));
        a.set_error(SharedString::new());
        a.set_sessions(ModelRc::new(VecModel::from(model)));
    }

    pub(super) fn sign_up(&self, key: &str) {
        let Some((code, date)) = key
            .split_once('|')
            .and_then(|(c, d)| Some((ActivityCode::from(c), d.parse::<NaiveDate>().ok()?)))
        else {
            return;
        };
        let cmd = Command::SignUp {
            activity: code,
            date,
            lang: self.lang(),
            contact: Contact::default(),
            nonce: crate::engine::nonce(),
        };
        self.execute(cmd, |k, events| k.show_signed_up(&events));
    }

    pub(super) fn show_signed_up(&self, events: &[Stamped]) {
        let Some((s, pos)) = events.signed_up().map(|(s, p)| (s.clone(), p)) else {
            return self.hub_failed();
        };
        self.show_confirm_signup(&s, pos);
        let slip =
            Slip::for_signup(&self.catalog(), &s, pos).with_follow(self.follow.borrow().clone());
        self.print(&s.code, &slip);
    }

    /// Checked in for an activity: where and when, no ticket.
    pub(super) fn show_confirm_attended(&self, s: &SignUp) {
        let Some(ui) = self.ui() else { return };
        let lines = self.activity_lines(s);
        self.fill_confirm(&ui, "kiosk-confirm-attended", &s.code, lines);
        self.go(Screen::Confirm);
    }

    /// The activity's title, then its day, time and place.
    pub(super) fn activity_lines(&self, s: &SignUp) -> Vec<SharedString> {
        let lang = self.lang();
        let catalog = self.catalog();
        let fallback = catalog.center.default_language;
        let activity = catalog.activity(&s.activity);
        vec![
            SharedString::from(
                activity
                    .map(|a| pick(&a.title, lang, fallback).to_string())
                    .unwrap_or_default(),
            ),
            format!(
                "{} {} · {}",
                self.date_label(s.date),
                activity
                    .map(|a| a.start.0.format("%H:%M").to_string())
                    .unwrap_or_default(),
                activity.map(|a| a.place.clone()).unwrap_or_default()
            )
            .into(),
        ]
    }

    pub(super) fn show_confirm_signup(&self, s: &SignUp, pos: Option<u32>) {
        let Some(ui) = self.ui() else { return };
        let mut lines = self.activity_lines(s);
        let title = match pos {
            None => "kiosk-confirm-activity",
            Some(p) => {
                lines.push(self.t_args(
                    "kiosk-confirm-waitlist",
                    &[("position", FluentValue::from(p))],
                ));
                "kiosk-activities-title"
            }
        };
        self.fill_confirm(&ui, title, &s.code, lines);
        self.go(Screen::Confirm);
    }
}
