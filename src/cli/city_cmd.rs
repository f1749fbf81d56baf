//! `integra city …`: the city office's side — the report across every center that sends its
//! figures — and `integra city new-id` for a hub whose card was copied from another center's.

use super::{CliError, Context, exit};
use crate::city::{self, figures, render};
use crate::core::Lang;
use crate::device::settings::CitySettings;
use crate::i18n::Localizer;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CityCmd {
    /// Figures across the city's centers for a period, from the city database, as an HTML
    /// page with charts or CSV; --open-data writes a CSV fit to publish (counts under 5
    /// suppressed)
    Report(CityReportArgs),
    /// Give this hub a new center id (for a data directory copied from another center's hub,
    /// which must not send its figures as the other's)
    NewId,
}

#[derive(Debug, Args)]
pub struct CityReportArgs {
    /// The city database, postgresql://USER:PASSWORD@HOST:5432/DATABASE[?sslmode=require]
    #[arg(long, env = "INTEGRA_CITY_URL")]
    pub url: String,
    /// PEM file of the authority that signed the city server's certificate (TLS)
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// First local day, YYYY-MM-DD
    #[arg(long)]
    pub from: NaiveDate,
    /// Last local day (included), YYYY-MM-DD
    #[arg(long)]
    pub to: NaiveDate,
    /// html (a page with charts) or csv
    #[arg(long, default_value = "html", value_parser = ["html", "csv"])]
    pub format: String,
    /// Write the open-data CSV instead (stable column names, counts under 5 written "<5")
    #[arg(long)]
    pub open_data: bool,
    /// Language of the report: es, en, pt, fr, ht
    #[arg(long, default_value = "es")]
    pub lang: Lang,
    /// Write to this file instead of standard output
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(ctx: &Context, cmd: CityCmd) -> Result<(), CliError> {
    match cmd {
        CityCmd::Report(a) => report(&a),
        CityCmd::NewId => {
            let store = crate::store::Store::open(&ctx.data_dir())?;
            let old = store.center_id()?;
            let new = store.new_center_id()?;
            println!(
                "this hub's center id was {old}; it is now {new}: its figures go to the city as a new center from its next start"
            );
            Ok(())
        }
    }
}

fn report(a: &CityReportArgs) -> Result<(), CliError> {
    if a.to < a.from {
        return Err(CliError::new(
            exit::USAGE,
            format!(
                "--to {} is before --from {}: give the first day, then the last",
                a.to, a.from
            ),
        ));
    }
    let settings = CitySettings {
        url: a.url.clone(),
        ca_file: a.ca_file.clone(),
    };
    let target =
        city::check_url(&a.url).map_err(|e| CliError::new(exit::USAGE, format!("--url: {e}")))?;
    let mut client = city::connect(&settings, std::time::Duration::from_secs(10))
        .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
    let started = std::time::Instant::now();
    let report = figures::compute(&mut client, &target.shown, a.from, a.to).map_err(|e| {
        let hint = if e.to_string().contains("does not exist") {
            " (no hub has sent figures to this database yet: set [city] url in a hub's settings)"
        } else {
            ""
        };
        CliError::new(exit::FAILURE, format!("{e}{hint}"))
    })?;
    let computed = started.elapsed();
    let l = Localizer::new(a.lang).map_err(|e| CliError::new(exit::FAILURE, e))?;
    let text = if a.open_data {
        render::open_data(&report, a.lang)
    } else if a.format == "csv" {
        render::csv(&report, &l)
    } else {
        render::html(&report, &l)
    };
    super::write_report(a.out.as_deref(), &text, |path| {
        format!(
            "city report {} – {} written to {}: {} centers, {} visitors (figures computed in {} ms)",
            a.from,
            a.to,
            path.display(),
            report.centers.len(),
            report.total.visitors,
            computed.as_millis()
        )
    })
}
