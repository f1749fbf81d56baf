//! Small value types shared by the whole core: languages, codes, identifiers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A language the kiosk speaks. The set is closed: every locale in `locales/` must be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Es,
    En,
    Pt,
    Fr,
    Ht,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::Es, Lang::En, Lang::Pt, Lang::Fr, Lang::Ht];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
            Lang::Pt => "pt",
            Lang::Fr => "fr",
            Lang::Ht => "ht",
        }
    }

    /// The language's name in its own words, as shown on the welcome screen.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Es => "Español",
            Lang::En => "English",
            Lang::Pt => "Português",
            Lang::Fr => "Français",
            Lang::Ht => "Kreyòl ayisyen",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code the kiosk does not speak.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language '{0}': expected one of es, en, pt, fr, ht")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "es" => Ok(Lang::Es),
            "en" => Ok(Lang::En),
            "pt" => Ok(Lang::Pt),
            "fr" => Ok(Lang::Fr),
            "ht" => Ok(Lang::Ht),
            other => Err(UnknownLang(other.to_string())),
        }
    }
}

/// Text given in several languages (service names, descriptions, activity titles).
pub type Localized = BTreeMap<Lang, String>;

/// Pick the text in `lang`, else in `fallback`, else any.
pub fn pick(text: &Localized, lang: Lang, fallback: Lang) -> &str {
    text.get(&lang)
        .or_else(|| text.get(&fallback))
        .or_else(|| text.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }
    };
}

string_id!(
    /// A service's short code, e.g. `legal`.
    ServiceCode
);
string_id!(
    /// A counter's (staff desk's) id, e.g. `1`.
    CounterId
);
string_id!(
    /// A priority class code, e.g. `pregnant`.
    PriorityClass
);
string_id!(
    /// A group activity's code, e.g. `spanish-class`.
    ActivityCode
);

macro_rules! num_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

num_id!(
    /// Internal identity of a ticket, unique for ever (the printed number restarts daily).
    TicketId
);
num_id!(
    /// Internal identity of an appointment.
    AppointmentId
);
num_id!(
    /// Internal identity of an activity sign-up.
    SignUpId
);

/// Optional personal contact details. Never required, never shown on the lobby display.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none()
    }
}

/// The printed ticket number, e.g. `A-023`: prefix letter and the day's sequence number.
pub fn ticket_label(prefix: char, number: u32) -> String {
    format!("{prefix}-{number:03}")
}
