//! `integra demo` (and `integra` with no subcommand): a short simulated morning at the demo
//! center, through the real engine and store, printed as it happens.

use super::{CliError, Context, exit, queue_cmds::nonce};
use crate::core::{
    ActivityCode, Command, Contact, CounterId, Lang, Outcome, PriorityClass, ServiceCode,
};
use crate::engine::Engine;
use chrono::{Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use clap::Args;

#[derive(Debug, Args, Default)]
pub struct DemoArgs {
    /// Keep the demo's data in --data DIR instead of a fresh temporary directory
    #[arg(long)]
    pub keep: bool,
}

pub fn run(ctx: &Context, a: &DemoArgs) -> Result<(), CliError> {
    let catalog = ctx.load_catalog()?;
    let dir = if a.keep {
        ctx.data_dir()
    } else {
        std::env::temp_dir().join(format!("integra-demo-{}", std::process::id()))
    };
    if !a.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let tz = catalog.center.timezone;
    // The next Monday, 09:00 local, so every walk-in service is open.
    let mut day = ctx.now().with_timezone(&tz).date_naive();
    while day.weekday() != Weekday::Mon {
        day = day.succ_opt().unwrap_or(day);
    }
    let mut now = tz
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()))
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| CliError::new(exit::FAILURE, "cannot compute the demo time"))?;
    let mut engine = Engine::open(&dir, catalog.clone())?;

    println!("{} — demo, {} 09:00", catalog.center.name, day);
    println!("data: {}\n", dir.display());
    let visitors: [(&str, Lang, Option<&str>); 8] = [
        ("info", Lang::Es, None),
        ("legal", Lang::Ht, None),
        ("info", Lang::Pt, None),
        ("health", Lang::Es, Some("pregnant")),
        ("info", Lang::Fr, None),
        ("legal", Lang::Es, Some("older")),
        ("jobs", Lang::En, None),
        ("info", Lang::Ht, Some("minor")),
    ];
    for (service, lang, priority) in visitors {
        now += Duration::minutes(2);
        let events = engine.execute(
            &Command::IssueTicket {
                service: ServiceCode::from(service),
                lang,
                priority: priority.map(PriorityClass::from),
            },
            now,
        )?;
        if let Some((ticket, ahead, wait_minutes)) = events.issued() {
            let name = catalog
                .service_name(&ticket.service, lang)
                .unwrap_or(service);
            println!(
                "kiosk [{lang}] {:<6} {name}{} — {ahead} ahead, ~{wait_minutes} min",
                ticket.label(),
                priority
                    .map(|p| format!(" (priority: {p})"))
                    .unwrap_or_default()
            );
        }
    }
    println!();
    for counter in ["1", "2", "1", "3", "2", "1"] {
        now += Duration::minutes(3);
        let events = engine.execute(
            &Command::CallNext {
                counter: CounterId::from(counter),
            },
            now,
        )?;
        if let Some(t) = events.called().and_then(|id| engine.queue().ticket(id)) {
            println!("counter {counter} calls {}", t.label());
        }
    }
    println!();
    let tomorrow = day.succ_opt().unwrap_or(day);
    let slot = catalog
        .service(&ServiceCode::from("legal"))
        .and_then(|s| s.slots_on(tomorrow).first().copied());
    if let Some(time) = slot {
        let events = engine.execute(
            &Command::BookAppointment {
                service: ServiceCode::from("legal"),
                date: tomorrow,
                time,
                lang: Lang::Pt,
                contact: Contact::default(),
                nonce: nonce(),
            },
            now,
        )?;
        if let Some(appointment) = events.booked() {
            println!(
                "booked: legal advice on {} at {} — code {}",
                appointment.date,
                appointment.time.format("%H:%M"),
                appointment.code
            );
        }
    }
    let spanish = ActivityCode::from("spanish");
    if let Some(date) = catalog
        .activity(&spanish)
        .and_then(|a| a.next_dates(day, 14).into_iter().next())
    {
        let events = engine.execute(
            &Command::SignUp {
                activity: spanish.clone(),
                date,
                lang: Lang::Ht,
                contact: Contact::default(),
                nonce: nonce(),
            },
            now,
        )?;
        if let Some((signup, _)) = events.signed_up() {
            let (seated, _) = engine.queue().seats_taken(&spanish, date);
            println!(
                "signed up: Spanish class on {} — seat {seated}, code {}",
                signup.date, signup.code
            );
        }
    }
    println!("\nwaiting now:");
    for s in &catalog.services {
        let w = engine.queue().waiting(&s.code);
        if !w.is_empty() {
            let labels: Vec<String> = w.iter().map(|t| t.label()).collect();
            println!("  {:<10} {}", s.code, labels.join(" "));
        }
    }
    println!("\n{} events committed.", engine.queue().seq());
    if a.keep {
        println!(
            "Look again with: integra --data {} queue --at {}",
            dir.display(),
            now.to_rfc3339()
        );
    } else {
        let _ = std::fs::remove_dir_all(&dir);
        println!("(Add --keep --data DIR to keep the demo's data.)");
    }
    Ok(())
}
