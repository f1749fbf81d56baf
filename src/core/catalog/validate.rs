use super::*;

/// One thing wrong with a catalog file, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogIssue {
    /// The file (or `<embedded demo>`).
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field, as a dotted path, e.g. `services[3].prefix`.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for CatalogIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: ", self.origin, l)?,
            None => write!(f, "{}: ", self.origin)?,
        }
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

/// All the problems found in a catalog; nothing starts while there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub Vec<CatalogIssue>);

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{issue}")?;
        }
        if n > 1 {
            write!(
                f,
                "\n({n} problems in the catalog; fix them and run `integra catalog check` again)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}

impl Catalog {
    /// Semantic checks that serde cannot do. Each problem comes with its path.
    pub(super) fn problems(&self) -> Vec<(Vec<Seg>, String)> {
        let mut out: Vec<(Vec<Seg>, String)> = Vec::new();
        let langs = &self.center.languages;
        let langs_list = langs
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(", ");

        if self.center.name.trim().is_empty() {
            out.push((
                vec![Seg::Key("center"), Seg::Key("name")],
                "the center needs a name".into(),
            ));
        }
        if langs.is_empty() {
            out.push((
                vec![Seg::Key("center"), Seg::Key("languages")],
                "list at least one language (es, en, pt, fr, ht)".into(),
            ));
        }
        if !langs.contains(&self.center.default_language) {
            out.push((
                vec![Seg::Key("center"), Seg::Key("default_language")],
                format!(
                    "'{}' is not in center.languages ({langs_list})",
                    self.center.default_language
                ),
            ));
        }
        if self.center.retention_days == 0 || self.center.retention_days > 3650 {
            out.push((
                vec![Seg::Key("center"), Seg::Key("retention_days")],
                "expected a number of days from 1 to 3650".into(),
            ));
        }
        if self.center.default_service_minutes == 0 {
            out.push((
                vec![Seg::Key("center"), Seg::Key("default_service_minutes")],
                "expected at least 1 minute".into(),
            ));
        }

        let check_text = |out: &mut Vec<(Vec<Seg>, String)>, path: Vec<Seg>, text: &Localized| {
            for l in langs {
                match text.get(l) {
                    Some(s) if !s.trim().is_empty() => {}
                    _ => {
                        let mut p = path.clone();
                        p.push(Seg::Name(l.code().into()));
                        out.push((
                            p,
                            format!(
                                "missing the text in '{}': every language of the center ({langs_list}) needs one",
                                l.code()
                            ),
                        ));
                    }
                }
            }
        };

        for (i, line) in self.center.info.iter().enumerate() {
            check_text(
                &mut out,
                vec![Seg::Key("center"), Seg::Key("info"), Seg::Index(i)],
                line,
            );
        }

        // Priority.
        if self.priority.classes.is_empty() {
            out.push((
                vec![Seg::Key("priority"), Seg::Key("classes")],
                "list the priority classes (e.g. pregnant, older, disability, minor, protection)"
                    .into(),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, c) in self.priority.classes.iter().enumerate() {
            let base = vec![Seg::Key("priority"), Seg::Key("classes"), Seg::Index(i)];
            if !seen.insert(c.code.clone()) {
                out.push((
                    [base.clone(), vec![Seg::Key("code")]].concat(),
                    format!("priority class '{}' is listed twice", c.code),
                ));
            }
            if !valid_code(c.code.as_str()) {
                out.push((
                    [base.clone(), vec![Seg::Key("code")]].concat(),
                    format!(
                        "'{}' is not a valid code: use 1 to 32 lowercase letters, digits or '-'",
                        c.code
                    ),
                ));
            }
            if c.icon.trim().is_empty() {
                out.push((
                    [base.clone(), vec![Seg::Key("icon")]].concat(),
                    "every priority class needs an icon name".into(),
                ));
            }
            check_text(&mut out, [base, vec![Seg::Key("name")]].concat(), &c.name);
        }

        // Services.
        if self.services.is_empty() {
            out.push((
                vec![Seg::Key("services")],
                "the center needs at least one service".into(),
            ));
        }
        let mut codes = BTreeSet::new();
        let mut prefixes = BTreeMap::new();
        for (i, s) in self.services.iter().enumerate() {
            let base = vec![Seg::Key("services"), Seg::Index(i)];
            let at = |k: &'static str| [base.clone(), vec![Seg::Key(k)]].concat();
            if !valid_code(s.code.as_str()) {
                out.push((
                    at("code"),
                    format!(
                        "'{}' is not a valid code: use 1 to 32 lowercase letters, digits or '-'",
                        s.code
                    ),
                ));
            }
            if !codes.insert(s.code.clone()) {
                out.push((
                    at("code"),
                    format!("service code '{}' is used twice", s.code),
                ));
            }
            if !s.prefix.is_ascii_uppercase() {
                out.push((
                    at("prefix"),
                    format!(
                        "'{}' is not a ticket prefix: expected one capital letter A-Z",
                        s.prefix
                    ),
                ));
            } else if s.discreet {
                // Checked below, once every ordinary letter is known.
            } else if let Some(other) = prefixes.insert(s.prefix, s.code.clone()) {
                out.push((
                    at("prefix"),
                    format!(
                        "prefix '{}' is already used by service '{other}': each service needs its own letter",
                        s.prefix
                    ),
                ));
            }
            if s.modes.is_empty() {
                out.push((
                    at("modes"),
                    "list at least one of \"walk-in\", \"appointment\", \"activity\"".into(),
                ));
            }
            if s.icon.trim().is_empty() {
                out.push((at("icon"), "every service needs an icon name".into()));
            }
            check_text(&mut out, at("name"), &s.name);
            check_text(&mut out, at("description"), &s.description);
            for (l, d) in &s.description {
                let words = d.split_whitespace().count();
                if words > MAX_DESCRIPTION_WORDS {
                    let mut p = at("description");
                    p.push(Seg::Name(l.code().into()));
                    out.push((
                        p,
                        format!(
                            "{words} words: a description is one plain line of at most {MAX_DESCRIPTION_WORDS} words"
                        ),
                    ));
                }
            }
            if (s.takes(Mode::WalkIn) || s.takes(Mode::Appointment)) && s.hours.is_empty() {
                out.push((
                    at("hours"),
                    "a walk-in or appointment service needs opening hours, e.g. mon = [\"08:00-12:00\"]"
                        .into(),
                ));
            }
            match (&s.appointments, s.takes(Mode::Appointment)) {
                (None, true) => out.push((
                    at("appointments"),
                    "the service takes appointments: add [services.appointments] with slot_minutes and capacity"
                        .into(),
                )),
                (Some(r), _) => {
                    if r.slot_minutes < 5 || r.slot_minutes > 480 {
                        out.push((
                            [at("appointments"), vec![Seg::Key("slot_minutes")]].concat(),
                            "expected a slot length from 5 to 480 minutes".into(),
                        ));
                    }
                    if r.capacity == 0 {
                        out.push((
                            [at("appointments"), vec![Seg::Key("capacity")]].concat(),
                            "expected at least 1 visitor per slot".into(),
                        ));
                    }
                    for (day, rule) in &r.weekdays {
                        let key = day_key(*day);
                        let base = [
                            at("appointments"),
                            vec![Seg::Key("weekdays"), Seg::Name(key.into())],
                        ]
                        .concat();
                        if rule.slot_minutes < 5 || rule.slot_minutes > 480 {
                            out.push((
                                [base.clone(), vec![Seg::Key("slot_minutes")]].concat(),
                                "expected a slot length from 5 to 480 minutes".into(),
                            ));
                        }
                        if rule.capacity == 0 {
                            out.push((
                                [base, vec![Seg::Key("capacity")]].concat(),
                                "expected at least 1 visitor per slot".into(),
                            ));
                        }
                    }
                }
                _ => {}
            }
            if !s.bring.is_empty() {
                check_text(&mut out, at("bring"), &s.bring);
            }
        }

        // Discreet services share the letter of an ordinary walk-in service.
        for (i, s) in self.services.iter().enumerate() {
            let takes_tickets = s.takes(Mode::WalkIn) || s.takes(Mode::Appointment);
            if !s.discreet || !takes_tickets || !s.prefix.is_ascii_uppercase() {
                continue;
            }
            let owner = self
                .services
                .iter()
                .find(|o| !o.discreet && o.prefix == s.prefix && o.takes(Mode::WalkIn));
            // Its appointments must look like that service's too: a discreet appointment under
            // a letter whose ordinary service takes no appointments would be the only one.
            if let Some(o) = owner
                && s.takes(Mode::Appointment)
                && !o.takes(Mode::Appointment)
            {
                out.push((
                    vec![Seg::Key("services"), Seg::Index(i), Seg::Key("modes")],
                    format!(
                        "a discreet service that takes appointments shares the letter {} of \"{}\", which takes none, so its appointments would be the only ones of that letter: let \"{}\" take appointments too, or take walk-ins only here",
                        s.prefix, o.code, o.code
                    ),
                ));
            }
            if owner.is_none() {
                let letters = self
                    .services
                    .iter()
                    .filter(|o| !o.discreet && o.takes(Mode::WalkIn))
                    .map(|o| format!("{} ({})", o.prefix, o.code))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((
                    vec![Seg::Key("services"), Seg::Index(i), Seg::Key("prefix")],
                    format!(
                        "a discreet service has no letter of its own: use the letter of an ordinary walk-in service ({letters}), so that its numbers look like that service's"
                    ),
                ));
            }
        }

        // Counters.
        if self.counters.is_empty() {
            out.push((
                vec![Seg::Key("counters")],
                "the center needs at least one counter".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        let mut served = BTreeSet::new();
        for (i, c) in self.counters.iter().enumerate() {
            let base = vec![Seg::Key("counters"), Seg::Index(i)];
            if !ids.insert(c.id.clone()) {
                out.push((
                    [base.clone(), vec![Seg::Key("id")]].concat(),
                    format!("counter id '{}' is used twice", c.id),
                ));
            }
            if c.services.is_empty() {
                out.push((
                    [base.clone(), vec![Seg::Key("services")]].concat(),
                    "a counter serves at least one service".into(),
                ));
            }
            for (j, code) in c.services.iter().enumerate() {
                served.insert(code.clone());
                if !codes.contains(code) {
                    out.push((
                        [base.clone(), vec![Seg::Key("services"), Seg::Index(j)]].concat(),
                        format!(
                            "unknown service '{code}': expected one of the service codes ({})",
                            join(&codes)
                        ),
                    ));
                }
            }
        }
        // A counter that calls discreet tickets must be announced under a name that ordinary
        // calls use too.
        let discreet_codes: BTreeSet<&ServiceCode> = self
            .services
            .iter()
            .filter(|s| s.discreet)
            .map(|s| &s.code)
            .collect();
        let ordinary_publics: BTreeSet<&str> = self
            .counters
            .iter()
            .filter(|c| c.services.iter().any(|s| !discreet_codes.contains(s)))
            .map(Counter::public)
            .collect();
        for (i, c) in self.counters.iter().enumerate() {
            if c.public_name.as_deref().is_some_and(|p| {
                p.trim().is_empty() || p.chars().count() > 60 || p.chars().any(char::is_control)
            }) {
                out.push((
                    vec![Seg::Key("counters"), Seg::Index(i), Seg::Key("public_name")],
                    "expected 1 to 60 characters, e.g. \"Recepción\"".into(),
                ));
            }
            let calls_discreet = c.services.iter().any(|s| discreet_codes.contains(s));
            if calls_discreet && !ordinary_publics.contains(c.public()) {
                let names = ordinary_publics
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((
                    vec![Seg::Key("counters"), Seg::Index(i), Seg::Key("public_name")],
                    format!(
                        "counter '{}' calls a discreet service, so the lobby must not learn its name: give it a public_name that a counter serving ordinary services also shows ({names}), e.g. the reception's",
                        c.id
                    ),
                ));
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            if (s.takes(Mode::WalkIn) || s.takes(Mode::Appointment)) && !served.contains(&s.code) {
                out.push((
                    vec![Seg::Key("services"), Seg::Index(i), Seg::Key("code")],
                    format!(
                        "no counter serves '{}': add it to a counter's services, or nobody can call its tickets",
                        s.code
                    ),
                ));
            }
        }

        // Activities.
        let mut acodes = BTreeSet::new();
        for (i, a) in self.activities.iter().enumerate() {
            let base = vec![Seg::Key("activities"), Seg::Index(i)];
            let at = |k: &'static str| [base.clone(), vec![Seg::Key(k)]].concat();
            if !valid_code(a.code.as_str()) {
                out.push((
                    at("code"),
                    format!(
                        "'{}' is not a valid code: use 1 to 32 lowercase letters, digits or '-'",
                        a.code
                    ),
                ));
            }
            if !acodes.insert(a.code.clone()) {
                out.push((
                    at("code"),
                    format!("activity code '{}' is used twice", a.code),
                ));
            }
            match self.service(&a.service) {
                None => out.push((
                    at("service"),
                    format!(
                        "unknown service '{}': expected one of ({})",
                        a.service,
                        join(&codes)
                    ),
                )),
                Some(s) if !s.takes(Mode::Activity) => out.push((
                    at("service"),
                    format!(
                        "service '{}' does not list \"activity\" in its modes",
                        a.service
                    ),
                )),
                _ => {}
            }
            check_text(&mut out, at("title"), &a.title);
            if a.seats == 0 {
                out.push((at("seats"), "expected at least 1 seat".into()));
            }
            if a.minutes == 0 {
                out.push((
                    at("minutes"),
                    "expected a length of at least 1 minute".into(),
                ));
            }
            if a.weekdays.is_empty() && a.dates.is_empty() {
                out.push((
                    at("weekdays"),
                    "give weekdays = [\"tue\", …] or dates = [2026-12-01, …]".into(),
                ));
            }
        }

        // Per-kiosk limits.
        for (key, v) in [
            ("wrong_codes_per_minute", self.limits.wrong_codes_per_minute),
            ("bookings_per_hour", self.limits.bookings_per_hour),
            ("tickets_per_minute", self.limits.tickets_per_minute),
        ] {
            if v == 0 || v > 100_000 {
                out.push((
                    vec![Seg::Key("limits"), Seg::Key(key)],
                    "expected a number from 1 to 100000".into(),
                ));
            }
        }
        out
    }
}

fn join<T: fmt::Display>(set: &BTreeSet<T>) -> String {
    set.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
