//! Pure layouts: a slip (walk-in ticket, appointment slip, activity slip, test page) → the exact
//! ESC/POS bytes for a paper width and code page. No IO.

use super::codepage::CodePage;
use crate::core::{Lang, pick};
use crate::i18n::{LocaleError, Localizer, weekday_id};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use fluent_bundle::{FluentArgs, FluentValue};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Paper {
    #[serde(rename = "58")]
    Mm58,
    #[serde(rename = "80")]
    Mm80,
}

impl Paper {
    /// Characters per line in Font A.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }

    pub fn dots(self) -> u32 {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
        }
    }

    pub fn mm(self) -> u32 {
        match self {
            Paper::Mm58 => 58,
            Paper::Mm80 => 80,
        }
    }
}

/// A paper width that is not 58 or 80 mm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown paper width '{0}': expected 58 or 80 (mm)")]
pub struct UnknownPaper(pub String);

impl FromStr for Paper {
    type Err = UnknownPaper;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().trim_end_matches("mm") {
            "58" => Ok(Paper::Mm58),
            "80" => Ok(Paper::Mm80),
            other => Err(UnknownPaper(other.to_string())),
        }
    }
}

/// How slips are printed: paper width, code page, optional QR content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    pub paper: Paper,
    pub codepage: CodePage,
    /// The `n` of `ESC t n`, when the printer numbers its pages differently from Epson.
    pub codepage_number: Option<u8>,
    /// Content of a QR code printed at the bottom of walk-in tickets (e.g. the center's page).
    pub qr: Option<String>,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            paper: Paper::Mm80,
            codepage: CodePage::DEFAULT,
            codepage_number: None,
            qr: None,
        }
    }
}

/// A walk-in ticket (also an appointment check-in).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSlip {
    pub center: String,
    pub lang: Lang,
    /// The service in the visitor's language …
    pub service: String,
    /// … and in the center's language when different.
    pub service_default: Option<String>,
    pub label: String,
    pub issued: NaiveDateTime,
    pub ahead: u32,
    pub wait_minutes: u32,
    /// The visitor's follow link, printed as a QR code (see `hub::follow`).
    pub follow: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentSlip {
    pub center: String,
    pub lang: Lang,
    pub code: String,
    pub service: String,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub bring: Option<String>,
    /// An appointment of a discreet service: the slip names no service and nothing to bring.
    pub discreet: bool,
    /// The appointment's page (cancel, what to bring), printed as a QR code.
    pub follow: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySlip {
    pub center: String,
    pub lang: Lang,
    pub title: String,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub place: String,
    pub code: String,
    /// Waitlist position, when not seated.
    pub waitlist: Option<u32>,
    /// The sign-up's page (cancel), printed as a QR code.
    pub follow: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Slip {
    Ticket(TicketSlip),
    Appointment(AppointmentSlip),
    Activity(ActivitySlip),
    /// A sample line in every language, the code page's accented characters, a QR.
    TestPage {
        center: String,
        qr: String,
    },
}

impl Slip {
    pub fn lang(&self) -> Lang {
        match self {
            Slip::Ticket(t) => t.lang,
            Slip::Appointment(a) => a.lang,
            Slip::Activity(a) => a.lang,
            Slip::TestPage { .. } => Lang::En,
        }
    }

    /// The same slip with the visitor's follow link (a QR code at the bottom).
    pub fn with_follow(mut self, url: Option<String>) -> Slip {
        match &mut self {
            Slip::Ticket(t) => t.follow = url,
            Slip::Appointment(a) => a.follow = url,
            Slip::Activity(a) => a.follow = url,
            Slip::TestPage { .. } => {}
        }
        self
    }

    /// Build the walk-in ticket slip for an issued ticket, with the visitor's place (see
    /// [`crate::core::queue::Position`]). A slip is public: it shows the ticket as the lobby
    /// sees it, so a discreet ticket's slip is an ordinary slip of its cover service.
    pub fn for_ticket(
        catalog: &crate::core::Catalog,
        ticket: &crate::core::Ticket,
        ahead: u32,
        wait_minutes: u32,
    ) -> Slip {
        let mut ticket = ticket.clone();
        crate::core::public::ticket(&mut ticket, catalog);
        let default = catalog.center.default_language;
        let name = |l| {
            catalog
                .service_name(&ticket.service, l)
                .unwrap_or(ticket.service.as_str())
                .to_string()
        };
        let issued = ticket
            .issued_at
            .with_timezone(&catalog.center.timezone)
            .naive_local();
        Slip::Ticket(TicketSlip {
            center: catalog.center.name.clone(),
            lang: ticket.lang,
            service: name(ticket.lang),
            service_default: (ticket.lang != default).then(|| name(default)),
            label: ticket.label(),
            issued,
            ahead,
            wait_minutes,
            follow: None,
        })
    }

    /// Build the slip of a booked appointment.
    pub fn for_appointment(catalog: &crate::core::Catalog, a: &crate::core::Appointment) -> Slip {
        let default = catalog.center.default_language;
        let service = catalog.service(&a.service);
        let discreet = catalog.is_discreet(&a.service, None);
        let service = service.filter(|_| !discreet);
        Slip::Appointment(AppointmentSlip {
            center: catalog.center.name.clone(),
            lang: a.lang,
            code: a.code.clone(),
            service: match service {
                Some(s) => pick(&s.name, a.lang, default).to_string(),
                None if discreet => String::new(),
                None => a.service.to_string(),
            },
            date: a.date,
            time: a.time,
            bring: service
                .filter(|s| !s.bring.is_empty())
                .map(|s| pick(&s.bring, a.lang, default).to_string()),
            discreet,
            follow: None,
        })
    }

    /// Build the slip of an activity sign-up.
    pub fn for_signup(
        catalog: &crate::core::Catalog,
        s: &crate::core::SignUp,
        waitlist: Option<u32>,
    ) -> Slip {
        let default = catalog.center.default_language;
        let activity = catalog.activity(&s.activity);
        Slip::Activity(ActivitySlip {
            center: catalog.center.name.clone(),
            lang: s.lang,
            title: activity
                .map(|a| pick(&a.title, s.lang, default).to_string())
                .unwrap_or_else(|| s.activity.to_string()),
            date: s.date,
            time: activity.map_or(NaiveTime::MIN, |a| a.start.0),
            place: activity.map(|a| a.place.clone()).unwrap_or_default(),
            code: s.code.clone(),
            waitlist,
            follow: None,
        })
    }
}

/// An ESC/POS byte builder for one paper width and code page.
struct Escpos {
    out: Vec<u8>,
    cp: CodePage,
    cols: usize,
    width_factor: usize,
}

impl Escpos {
    fn new(format: &Format) -> Self {
        let mut e = Escpos {
            out: Vec::with_capacity(512),
            cp: format.codepage,
            cols: format.paper.columns(),
            width_factor: 1,
        };
        e.out.extend_from_slice(&[ESC, b'@']);
        let n = format
            .codepage_number
            .unwrap_or_else(|| format.codepage.epson_number());
        e.out.extend_from_slice(&[ESC, b't', n]);
        e
    }

    fn center(&mut self, on: bool) -> &mut Self {
        self.out.extend_from_slice(&[ESC, b'a', u8::from(on)]);
        self
    }

    fn bold(&mut self, on: bool) -> &mut Self {
        self.out.extend_from_slice(&[ESC, b'E', u8::from(on)]);
        self
    }

    /// Character size: 1..=8 times in width and height.
    fn size(&mut self, w: u8, h: u8) -> &mut Self {
        let w = w.clamp(1, 8);
        let h = h.clamp(1, 8);
        self.width_factor = usize::from(w);
        self.out
            .extend_from_slice(&[GS, b'!', ((w - 1) << 4) | (h - 1)]);
        self
    }

    /// Text, word-wrapped to the line width at the current size, each line ending in LF.
    fn text(&mut self, s: &str) -> &mut Self {
        let width = (self.cols / self.width_factor).max(1);
        for line in wrap(&self.cp.printable(s), width) {
            self.out.extend(self.cp.encode(&line));
            self.out.push(b'\n');
        }
        self
    }

    fn feed(&mut self, lines: u8) -> &mut Self {
        self.out.extend_from_slice(&[ESC, b'd', lines]);
        self
    }

    fn rule(&mut self) -> &mut Self {
        let line = "-".repeat(self.cols / self.width_factor);
        self.text(&line)
    }

    /// A QR code (model 2, error correction M), `GS ( k`.
    fn qr(&mut self, data: &str, module: u8) -> &mut Self {
        let data: Vec<u8> = data.bytes().take(700).collect();
        let len = data.len() + 3;
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 4, 0, 0x31, 0x41, 0x32, 0x00]);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x43, module]);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x45, 0x31]);
        self.out.extend_from_slice(&[
            GS,
            b'(',
            b'k',
            (len & 0xFF) as u8,
            (len >> 8) as u8,
            0x31,
            0x50,
            0x30,
        ]);
        self.out.extend_from_slice(&data);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x51, 0x30]);
        self.out.push(b'\n');
        self
    }

    /// Feed past the cutter and cut (partial cut, `GS V B 0`).
    fn cut(&mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[GS, b'V', 66, 0]);
        std::mem::take(&mut self.out)
    }
}

/// Word-wrap printable text to `width` characters; words longer than a line are split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            lines.push(word.drain(..width).collect());
        }
        if word.is_empty() {
            continue;
        }
        let need = if len == 0 {
            word.len()
        } else {
            len + 1 + word.len()
        };
        if need > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.extend(word.iter());
        len += word.len();
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn when(l: &Localizer, date: NaiveDate, time: NaiveTime) -> String {
    let mut args = FluentArgs::new();
    args.set("weekday", l.text(weekday_id(date.weekday()), None));
    args.set("date", date.format("%d/%m/%Y").to_string());
    args.set("time", time.format("%H:%M").to_string());
    l.text("print-when", Some(&args))
}

/// The follow link: a line saying what it is for, then its QR code (centred).
fn follow_qr(p: &mut Escpos, l: &Localizer, url: &str, format: &Format) {
    p.feed(1).center(true).text(&l.text("print-follow", None));
    p.qr(url, if format.paper == Paper::Mm58 { 5 } else { 6 });
}

/// Lay a slip out into the exact bytes to send to the printer.
pub fn render(slip: &Slip, format: &Format) -> Result<Vec<u8>, LocaleError> {
    let l = Localizer::new(slip.lang())?;
    let big = match format.paper {
        Paper::Mm58 => 3,
        Paper::Mm80 => 4,
    };
    let mut p = Escpos::new(format);
    match slip {
        Slip::Ticket(t) => {
            p.center(true).bold(true).text(&t.center).bold(false);
            p.rule();
            p.text(&l.text("print-ticket-title", None));
            p.size(big, big)
                .bold(true)
                .text(&t.label)
                .bold(false)
                .size(1, 1);
            p.size(1, 2)
                .bold(true)
                .text(&t.service)
                .bold(false)
                .size(1, 1);
            if let Some(d) = &t.service_default {
                p.text(d);
            }
            p.feed(1);
            let mut args = FluentArgs::new();
            args.set("count", FluentValue::from(t.ahead));
            p.text(&l.text("print-people-ahead", Some(&args)));
            if t.ahead > 0 {
                let mut args = FluentArgs::new();
                args.set("minutes", FluentValue::from(t.wait_minutes));
                p.text(&l.text("print-wait", Some(&args)));
            }
            p.text(&when(&l, t.issued.date(), t.issued.time()));
            p.rule();
            p.text(&l.text("print-keep", None));
            if let Some(url) = &t.follow {
                follow_qr(&mut p, &l, url, format);
            } else if let Some(qr) = format.qr.as_deref().filter(|q| !q.is_empty()) {
                p.feed(1)
                    .qr(qr, if format.paper == Paper::Mm58 { 5 } else { 6 });
            }
            p.feed(3);
        }
        Slip::Appointment(a) => {
            p.center(true).bold(true).text(&a.center).bold(false);
            p.rule();
            p.text(&l.text("print-appointment-title", None));
            if a.discreet {
                p.bold(true)
                    .text(&l.text("print-discreet-appointment", None))
                    .bold(false);
            } else {
                p.size(1, 2)
                    .bold(true)
                    .text(&a.service)
                    .bold(false)
                    .size(1, 1);
            }
            p.text(&when(&l, a.date, a.time));
            p.feed(1);
            p.text(&l.text("print-appointment-code", None));
            p.size(big, big)
                .bold(true)
                .text(&a.code)
                .bold(false)
                .size(1, 1);
            if let Some(bring) = &a.bring {
                p.feed(1).center(false);
                p.bold(true).text(&l.text("print-bring", None)).bold(false);
                p.text(bring);
                p.center(true);
            }
            if let Some(url) = &a.follow {
                follow_qr(&mut p, &l, url, format);
            }
            p.feed(3);
        }
        Slip::Activity(a) => {
            p.center(true).bold(true).text(&a.center).bold(false);
            p.rule();
            p.text(&l.text("print-activity-title", None));
            p.size(1, 2)
                .bold(true)
                .text(&a.title)
                .bold(false)
                .size(1, 1);
            p.text(&when(&l, a.date, a.time));
            let mut args = FluentArgs::new();
            args.set("place", a.place.clone());
            p.text(&l.text("print-place", Some(&args)));
            p.feed(1);
            match a.waitlist {
                None => p.bold(true).text(&l.text("print-seat", None)).bold(false),
                Some(pos) => {
                    let mut args = FluentArgs::new();
                    args.set("position", FluentValue::from(pos));
                    p.bold(true)
                        .text(&l.text("print-waitlist", Some(&args)))
                        .bold(false)
                }
            };
            let mut args = FluentArgs::new();
            args.set("code", a.code.clone());
            p.text(&l.text("print-code", Some(&args)));
            if let Some(url) = &a.follow {
                follow_qr(&mut p, &l, url, format);
            }
            p.feed(3);
        }
        Slip::TestPage { center, qr } => {
            p.center(true).bold(true).text(center).bold(false);
            p.size(2, 2)
                .text(&l.text("print-test-title", None))
                .size(1, 1);
            p.text(&format!(
                "{} mm · {} (ESC t {})",
                format.paper.mm(),
                format.codepage,
                format
                    .codepage_number
                    .unwrap_or_else(|| format.codepage.epson_number())
            ));
            p.rule().center(false);
            for lang in Lang::ALL {
                let ll = Localizer::new(lang)?;
                p.text(&format!(
                    "{}: {}",
                    lang.code(),
                    ll.text("print-test-sample", None)
                ));
            }
            p.rule();
            p.text(&l.text("print-test-charset", None));
            p.text("á é í ó ú ñ Ñ ¿ ¡ ç Ç ã õ â ê ô à è ò ù ü ë ï « »");
            let letters: String = format
                .codepage
                .upper_half()
                .iter()
                .filter(|c| c.is_alphabetic())
                .collect();
            p.text(&letters);
            p.center(true).feed(1).qr(qr, 6);
            p.feed(3);
        }
    }
    Ok(p.cut())
}
