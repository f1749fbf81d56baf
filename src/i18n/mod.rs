//! Fluent localisation: every string a person reads comes from `locales/<lang>/*.ftl`, which
//! are embedded in the binary (nothing to install, nothing to fetch).

use crate::core::{Catalog, Lang, QueueError, pick};
use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The Fluent files of each language, embedded at build time. Adding a file here adds it to
/// every language; the locale test fails if a language lacks a key another has.
pub fn sources(lang: Lang) -> &'static [(&'static str, &'static str)] {
    macro_rules! files {
        ($l:literal) => {
            &[
                (
                    concat!("locales/", $l, "/errors.ftl"),
                    include_str!(concat!("../../locales/", $l, "/errors.ftl")),
                ),
                (
                    concat!("locales/", $l, "/printer.ftl"),
                    include_str!(concat!("../../locales/", $l, "/printer.ftl")),
                ),
                (
                    concat!("locales/", $l, "/kiosk.ftl"),
                    include_str!(concat!("../../locales/", $l, "/kiosk.ftl")),
                ),
                (
                    concat!("locales/", $l, "/console.ftl"),
                    include_str!(concat!("../../locales/", $l, "/console.ftl")),
                ),
                (
                    concat!("locales/", $l, "/setup.ftl"),
                    include_str!(concat!("../../locales/", $l, "/setup.ftl")),
                ),
                (
                    concat!("locales/", $l, "/display.ftl"),
                    include_str!(concat!("../../locales/", $l, "/display.ftl")),
                ),
                (
                    concat!("locales/", $l, "/counter.ftl"),
                    include_str!(concat!("../../locales/", $l, "/counter.ftl")),
                ),
                (
                    concat!("locales/", $l, "/admin.ftl"),
                    include_str!(concat!("../../locales/", $l, "/admin.ftl")),
                ),
                (
                    concat!("locales/", $l, "/pairing.ftl"),
                    include_str!(concat!("../../locales/", $l, "/pairing.ftl")),
                ),
                (
                    concat!("locales/", $l, "/report.ftl"),
                    include_str!(concat!("../../locales/", $l, "/report.ftl")),
                ),
                (
                    concat!("locales/", $l, "/follow.ftl"),
                    include_str!(concat!("../../locales/", $l, "/follow.ftl")),
                ),
                (
                    concat!("locales/", $l, "/city.ftl"),
                    include_str!(concat!("../../locales/", $l, "/city.ftl")),
                ),
                (
                    concat!("locales/", $l, "/tech.ftl"),
                    include_str!(concat!("../../locales/", $l, "/tech.ftl")),
                ),
            ]
        };
    }
    match lang {
        Lang::Es => files!("es"),
        Lang::En => files!("en"),
        Lang::Pt => files!("pt"),
        Lang::Fr => files!("fr"),
        Lang::Ht => files!("ht"),
    }
}

/// An embedded locale that cannot be loaded (a broken `.ftl` file: the tests catch it before a
/// release).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocaleError {
    #[error("{0} is not a language identifier Fluent knows")]
    LanguageId(&'static str),
    #[error("the Fluent built-in functions could not be added: {0}")]
    Builtins(String),
    #[error("{path}: {detail}")]
    File { path: String, detail: String },
}

/// Formats messages in one language.
pub struct Localizer {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl Localizer {
    /// Load the embedded messages of `lang`. Fails only if an embedded file is broken, which the
    /// tests catch before a release.
    pub fn new(lang: Lang) -> Result<Localizer, LocaleError> {
        let id: LanguageIdentifier = lang
            .code()
            .parse()
            .map_err(|_| LocaleError::LanguageId(lang.code()))?;
        let mut bundle = FluentBundle::new(vec![id]);
        bundle.set_use_isolating(false);
        bundle
            .add_builtins()
            .map_err(|e| LocaleError::Builtins(format!("{e:?}")))?;
        for (path, text) in sources(lang) {
            let file = |detail: String| LocaleError::File {
                path: (*path).to_string(),
                detail,
            };
            let res = FluentResource::try_new((*text).to_string())
                .map_err(|(_, errs)| file(format!("{errs:?}")))?;
            bundle
                .add_resource(res)
                .map_err(|errs| file(format!("{errs:?}")))?;
        }
        Ok(Localizer { lang, bundle })
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// Format a message; a missing message or argument shows its id rather than nothing.
    pub fn text(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            log::warn!("missing Fluent message {id} in {}", self.lang);
            return id.to_string();
        };
        let mut errors = Vec::new();
        let out = self.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            log::warn!("Fluent message {id} in {}: {errors:?}", self.lang);
        }
        out.into_owned()
    }

    /// A queue error in the visitor's or receptionist's language. Service names come from the
    /// catalog in the same language.
    pub fn error(&self, err: &QueueError, catalog: &Catalog) -> String {
        let fallback = catalog.center.default_language;
        let service_name = |code: &crate::core::ServiceCode| {
            catalog
                .service_name(code, self.lang)
                .unwrap_or(code.as_str())
                .to_string()
        };
        let activity_name = |code: &crate::core::ActivityCode| {
            catalog
                .activity(code)
                .map(|a| pick(&a.title, self.lang, fallback).to_string())
                .unwrap_or_else(|| code.to_string())
        };
        let mut args = FluentArgs::new();
        match err {
            QueueError::UnknownService(s)
            | QueueError::ServiceClosed(s)
            | QueueError::NoWalkIn(s)
            | QueueError::NoAppointments(s) => args.set("service", service_name(s)),
            QueueError::UnknownPriority(p) => args.set("priority", p.to_string()),
            QueueError::UnknownCounter(c) | QueueError::NothingWaiting(c) => {
                args.set("counter", c.to_string())
            }
            QueueError::WrongState { label, .. } => args.set("ticket", label.clone()),
            QueueError::SameService(label, s) => {
                args.set("ticket", label.clone());
                args.set("service", service_name(s));
            }
            QueueError::TooFarAhead(_, days) => args.set("days", FluentValue::from(*days)),
            QueueError::NotToday { date, .. } | QueueError::ActivityNotToday { date, .. } => {
                args.set("date", date.format("%d/%m/%Y").to_string())
            }
            QueueError::InvalidCatalog(problems) => args.set("problems", problems.join("; ")),
            QueueError::ServiceInUse {
                service,
                waiting,
                booked,
            } => {
                args.set("service", service_name(service));
                args.set("waiting", FluentValue::from(*waiting));
                args.set("booked", FluentValue::from(*booked));
            }
            QueueError::ActivityInUse { activity, signups } => {
                args.set("activity", activity_name(activity));
                args.set("signups", FluentValue::from(*signups));
            }
            QueueError::SeatsBelowSignUps {
                activity,
                date,
                seated,
            } => {
                args.set("activity", activity_name(activity));
                args.set("date", date.format("%d/%m/%Y").to_string());
                args.set("seated", FluentValue::from(*seated));
            }
            QueueError::CounterBusy(c) => args.set("counter", c.to_string()),
            QueueError::TooLateToUndo(label)
            | QueueError::UnknownLabel(label)
            | QueueError::AmbiguousLabel(label) => args.set("ticket", label.clone()),
            QueueError::DayNotAfter { day, queue_day } => {
                args.set("day", day.format("%d/%m/%Y").to_string());
                args.set("queue_day", queue_day.format("%d/%m/%Y").to_string());
            }
            QueueError::DayNotClock { day, clock_says } => {
                args.set("day", day.format("%d/%m/%Y").to_string());
                args.set("clock_says", clock_says.format("%d/%m/%Y").to_string());
            }
            _ => {}
        }
        self.text(err.fluent_id(), Some(&args))
    }
}

/// The Fluent id of a weekday's name.
pub fn weekday_id(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "weekday-mon",
        chrono::Weekday::Tue => "weekday-tue",
        chrono::Weekday::Wed => "weekday-wed",
        chrono::Weekday::Thu => "weekday-thu",
        chrono::Weekday::Fri => "weekday-fri",
        chrono::Weekday::Sat => "weekday-sat",
        chrono::Weekday::Sun => "weekday-sun",
    }
}

/// The message ids defined in a Fluent file (lines `id = …`).
pub fn message_ids(ftl: &str) -> Vec<&str> {
    ftl.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim()))
        .collect()
}
