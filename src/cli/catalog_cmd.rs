//! `integra catalog check FILE` and `integra catalog demo`.

use super::{CliError, Context, load_catalog_file};
use crate::core::catalog::{DEMO_CATALOG, Mode};
use crate::core::pick;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CatalogCmd {
    /// Validate a catalog file: every problem with its line and field, or a summary when valid
    Check {
        /// The catalog file (TOML)
        file: PathBuf,
    },
    /// Print the embedded demo catalog, to start a center's own file from it
    Demo,
}

pub fn run(_ctx: &Context, cmd: CatalogCmd) -> Result<(), CliError> {
    match cmd {
        CatalogCmd::Demo => {
            print!("{DEMO_CATALOG}");
            Ok(())
        }
        CatalogCmd::Check { file } => {
            let c = load_catalog_file(&file)?;
            let lang = c.center.default_language;
            println!("{}: valid", file.display());
            println!("center: {} ({})", c.center.name, c.center.timezone);
            println!(
                "languages: {}",
                c.center
                    .languages
                    .iter()
                    .map(|l| l.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("services: {}", c.services.len());
            for s in &c.services {
                let modes: Vec<&str> = s
                    .modes
                    .iter()
                    .map(|m| match m {
                        Mode::WalkIn => "walk-in",
                        Mode::Appointment => "appointment",
                        Mode::Activity => "activity",
                    })
                    .collect();
                println!(
                    "  {} {:<12} {} [{}]{}",
                    s.prefix,
                    s.code,
                    pick(&s.name, lang, lang),
                    modes.join(", "),
                    if s.discreet {
                        " — discreet: numbers from its letter's service, never named in public"
                    } else {
                        ""
                    }
                );
            }
            println!("counters: {}", c.counters.len());
            for k in &c.counters {
                println!("  {:<4} {} (lobby: {})", k.id.as_str(), k.name, k.public());
            }
            let discreet: Vec<&str> = c
                .priority
                .classes
                .iter()
                .filter(|p| p.discreet)
                .map(|p| p.code.as_str())
                .collect();
            if !discreet.is_empty() {
                println!(
                    "discreet priority classes (staff alerted, never shown in public): {}",
                    discreet.join(", ")
                );
            }
            println!("activities: {}", c.activities.len());
            println!(
                "priority: {} classes, overtaken at most {} times, {} min",
                c.priority.classes.len(),
                c.priority.max_overtakes,
                c.priority.max_wait_minutes
            );
            Ok(())
        }
    }
}
