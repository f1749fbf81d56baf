//! Technician and test commands on the queue: issue, queue, next, ticket, book, check-in, sign-up.

use super::print_cmd::maybe_print;
use super::{CliError, Context, exit};
use crate::core::Outcome;
use crate::core::{
    ActivityCode, Command, Contact, CounterId, Event, Lang, PriorityClass, Queue, QueueError,
    ServiceCode, TicketId, pick,
};
use crate::printer::Slip;
use chrono::{NaiveDate, NaiveTime};
use clap::{Args, ValueEnum};
use std::io::Write;

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Service code, e.g. `info` (see `integra catalog check`)
    #[arg(long)]
    pub service: String,
    /// Priority class code, e.g. `pregnant`
    #[arg(long)]
    pub priority: Option<String>,
    /// The visitor's language: es, en, pt, fr, ht
    #[arg(long)]
    pub lang: Option<Lang>,
    /// Issue this many tickets, printing each number as soon as it is committed
    #[arg(long, default_value_t = 1)]
    pub count: u32,
}

#[derive(Debug, Args)]
pub struct NextArgs {
    /// Counter id, e.g. `1`
    #[arg(long)]
    pub counter: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TicketAction {
    Recall,
    Start,
    Finish,
    NoShow,
    Cancel,
    Transfer,
    /// Print the ticket again (after a printer fault); changes nothing in the queue
    Reprint,
}

#[derive(Debug, Args)]
pub struct TicketArgs {
    /// Today's ticket number, e.g. `A-023`
    pub number: String,
    pub action: TicketAction,
    /// With `transfer`: the service to send the visitor to
    #[arg(long)]
    pub to: Option<String>,
}

#[derive(Debug, Args)]
pub struct BookArgs {
    #[arg(long)]
    pub service: String,
    /// Day, YYYY-MM-DD
    #[arg(long)]
    pub date: NaiveDate,
    /// Slot start, HH:MM
    #[arg(long, value_parser = parse_time)]
    pub time: NaiveTime,
    #[arg(long)]
    pub lang: Option<Lang>,
    /// Optional first name
    #[arg(long)]
    pub name: Option<String>,
    /// Optional phone number
    #[arg(long)]
    pub phone: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckInArgs {
    /// The appointment's short code
    #[arg(long)]
    pub code: String,
}

#[derive(Debug, Args)]
pub struct SignUpArgs {
    /// Activity code, e.g. `spanish`
    #[arg(long)]
    pub activity: String,
    /// Day, YYYY-MM-DD
    #[arg(long)]
    pub date: NaiveDate,
    #[arg(long)]
    pub lang: Option<Lang>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
}

/// A `--time` that is not a clock time.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a time: expected HH:MM")]
struct NotATime(String);

fn parse_time(s: &str) -> Result<NaiveTime, NotATime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| NotATime(s.to_string()))
}

pub use crate::engine::nonce;

fn service_name(q: &Queue, code: &ServiceCode, lang: Lang) -> String {
    q.catalog()
        .service_name(code, lang)
        .unwrap_or(code.as_str())
        .to_string()
}

pub fn issue(ctx: &Context, a: IssueArgs) -> Result<(), CliError> {
    let mut engine = ctx.engine()?;
    let lang = a
        .lang
        .unwrap_or(engine.queue().catalog().center.default_language);
    let cmd = Command::IssueTicket {
        service: ServiceCode::new(a.service),
        lang,
        priority: a.priority.map(PriorityClass::new),
    };
    let mut out = std::io::stdout().lock();
    for i in 0..a.count {
        let events = engine.execute(&cmd, ctx.now())?;
        let Some((t, ahead, wait)) = events.issued() else {
            return Err(CliError::new(exit::FAILURE, "no ticket was issued"));
        };
        if a.count == 1 {
            writeln!(
                out,
                "Ticket {} · {} · {}",
                t.label(),
                service_name(engine.queue(), &t.service, lang),
                lang
            )?;
            writeln!(out, "People ahead: {ahead} · estimated wait: {wait} min")?;
            out.flush()?;
            let slip = Slip::for_ticket(engine.queue().catalog(), t, ahead, wait);
            maybe_print(ctx, &t.label(), &slip);
        }
        writeln!(out, "{}", t.label())?;
        out.flush()?;
        log::debug!("issued {} ({}/{})", t.label(), i + 1, a.count);
    }
    Ok(())
}

pub fn queue(ctx: &Context) -> Result<(), CliError> {
    let engine = ctx.engine()?;
    let q = engine.queue();
    let now = ctx.now();
    let lang = q.catalog().center.default_language;
    let mut total = 0;
    for s in &q.catalog().services {
        let waiting = q.waiting(&s.code);
        let status = q.service_status(&s.code, now);
        total += waiting.len();
        println!(
            "{} {} — {} waiting, about {} min{}",
            s.prefix,
            pick(&s.name, lang, lang),
            waiting.len(),
            status.wait_minutes,
            if status.open { "" } else { " (closed now)" }
        );
        for t in waiting {
            let waited = (now - t.issued_at).num_minutes().max(0);
            let mut tags = Vec::new();
            if let Some(p) = &t.priority {
                tags.push(format!("priority: {p}"));
            }
            if t.appointment.is_some() {
                tags.push("appointment".to_string());
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", tags.join(", "))
            };
            println!("    {}  {} min{}", t.label(), waited, tags);
        }
    }
    for c in &q.catalog().counters {
        if let Some(t) = q.current_at(&c.id) {
            println!(
                "counter {} ({}): {} {}",
                c.id,
                c.name,
                t.label(),
                t.state.as_str()
            );
        }
    }
    println!("{total} waiting in all");
    Ok(())
}

pub fn next(ctx: &Context, a: NextArgs) -> Result<(), CliError> {
    let mut engine = ctx.engine()?;
    let counter = CounterId::new(a.counter);
    let events = engine.execute(
        &Command::CallNext {
            counter: counter.clone(),
        },
        ctx.now(),
    )?;
    let q = engine.queue();
    for e in &events {
        match &e.event {
            Event::TicketFinished { ticket, .. } => {
                if let Some(t) = q.ticket(*ticket) {
                    println!("finished {}", t.label());
                }
            }
            Event::TicketCalled { ticket, .. } => {
                if let Some(t) = q.ticket(*ticket) {
                    let name = service_name(q, &t.service, q.catalog().center.default_language);
                    let tag = t
                        .priority
                        .as_ref()
                        .map(|p| format!(" (priority: {p})"))
                        .unwrap_or_default();
                    println!("counter {counter} calls {} · {name}{tag}", t.label());
                    println!("{}", t.label());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

pub fn ticket(ctx: &Context, a: TicketArgs) -> Result<(), CliError> {
    let mut engine = ctx.engine()?;
    let id: TicketId = match engine.queue().ticket_by_label(&a.number) {
        Ok(t) => t.id,
        Err(QueueError::UnknownLabel(_)) => {
            return Err(CliError::new(
                exit::REFUSED,
                format!(
                    "no ticket {} today: give a number as printed, e.g. A-023 (see `integra queue`)",
                    a.number
                ),
            ));
        }
        Err(e) => return Err(CliError::new(exit::REFUSED, e.to_string())),
    };
    if let TicketAction::Reprint = a.action {
        let q = engine.queue();
        let t = q
            .ticket(id)
            .ok_or_else(|| CliError::new(exit::REFUSED, format!("no ticket {} today", a.number)))?;
        // The figures the kiosk gave: its place in the public queue (none once called).
        let at = q.position(t.id).unwrap_or_default();
        let slip = Slip::for_ticket(q.catalog(), t, at.ahead, at.wait_minutes);
        let uri = super::print_cmd::printer_or_preview(ctx)?;
        println!(
            "{}",
            super::print_cmd::print_slip(ctx, uri, &t.label(), &slip)?
        );
        println!("{}", t.label());
        return Ok(());
    }
    let cmd = match a.action {
        TicketAction::Recall => Command::Recall { ticket: id },
        TicketAction::Start => Command::StartServing { ticket: id },
        TicketAction::Finish => Command::Finish { ticket: id },
        TicketAction::NoShow => Command::NoShow { ticket: id },
        TicketAction::Cancel => Command::Cancel { ticket: id },
        TicketAction::Reprint => return Ok(()),
        TicketAction::Transfer => Command::Transfer {
            ticket: id,
            to: ServiceCode::new(a.to.ok_or_else(|| {
                CliError::new(
                    exit::USAGE,
                    "transfer needs --to SERVICE (the service code to send the visitor to)",
                )
            })?),
        },
    };
    engine.execute(&cmd, ctx.now())?;
    if let Some(t) = engine.queue().ticket(id) {
        println!("{} {} ({})", t.label(), t.state.as_str(), t.service);
    }
    Ok(())
}

pub fn book(ctx: &Context, a: BookArgs) -> Result<(), CliError> {
    let mut engine = ctx.engine()?;
    let lang = a
        .lang
        .unwrap_or(engine.queue().catalog().center.default_language);
    let events = engine.execute(
        &Command::BookAppointment {
            service: ServiceCode::new(a.service),
            date: a.date,
            time: a.time,
            lang,
            contact: Contact {
                name: a.name,
                phone: a.phone,
            },
            nonce: nonce(),
        },
        ctx.now(),
    )?;
    if let Some(appointment) = events.booked() {
        println!(
            "appointment {} {} {} · code",
            appointment.service,
            appointment.date,
            appointment.time.format("%H:%M")
        );
        maybe_print(
            ctx,
            &appointment.code,
            &Slip::for_appointment(engine.queue().catalog(), appointment),
        );
        println!("{}", appointment.code);
    }
    Ok(())
}

pub fn check_in(ctx: &Context, a: CheckInArgs) -> Result<(), CliError> {
    let mut engine = ctx.engine()?;
    let events = engine.execute(&Command::CheckIn { code: a.code }, ctx.now())?;
    let Some((t, ahead, wait)) = events.issued() else {
        return Err(CliError::new(exit::FAILURE, "no ticket was issued"));
    };
    println!("checked in · people ahead: {ahead} · estimated wait: {wait} min");
    let slip = Slip::for_ticket(engine.queue().catalog(), t, ahead, wait);
    maybe_print(ctx, &t.label(), &slip);
    println!("{}", t.label());
    Ok(())
}

pub fn sign_up(ctx: &Context, a: SignUpArgs) -> Result<(), CliError> {
    let mut engine = ctx.engine()?;
    let lang = a
        .lang
        .unwrap_or(engine.queue().catalog().center.default_language);
    let events = engine.execute(
        &Command::SignUp {
            activity: ActivityCode::new(a.activity),
            date: a.date,
            lang,
            contact: Contact {
                name: a.name,
                phone: a.phone,
            },
            nonce: nonce(),
        },
        ctx.now(),
    )?;
    if let Some((signup, waitlist_position)) = events.signed_up() {
        match waitlist_position {
            None => println!("seat booked for {} on {}", signup.activity, signup.date),
            Some(p) => println!(
                "the activity is full: on the waitlist, position {p}, for {} on {}",
                signup.activity, signup.date
            ),
        }
        maybe_print(
            ctx,
            &signup.code,
            &Slip::for_signup(engine.queue().catalog(), signup, waitlist_position),
        );
        println!("{}", signup.code);
    }
    Ok(())
}
