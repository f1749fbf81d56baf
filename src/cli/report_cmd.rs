//! `integra report`: the coordinator's figures for a period, as HTML or CSV, from the data
//! directory (safe while the hub runs: it only reads).

use super::{CliError, Context, exit};
use crate::core::Lang;
use crate::i18n::Localizer;
use chrono::NaiveDate;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First local day, YYYY-MM-DD
    #[arg(long)]
    pub from: NaiveDate,
    /// Last local day (included), YYYY-MM-DD
    #[arg(long)]
    pub to: NaiveDate,
    /// html (a page with charts) or csv
    #[arg(long, default_value = "html", value_parser = ["html", "csv"])]
    pub format: String,
    /// Language of the report: es, en, pt, fr, ht (default: the center's)
    #[arg(long)]
    pub lang: Option<Lang>,
    /// Write to this file instead of standard output
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(ctx: &Context, a: &ReportArgs) -> Result<(), CliError> {
    if a.to < a.from {
        return Err(CliError::new(
            exit::USAGE,
            format!(
                "--to {} is before --from {}: give the first day, then the last",
                a.to, a.from
            ),
        ));
    }
    let store = crate::store::Store::open(&ctx.data_dir())?;
    let catalog = ctx.current_catalog(&store)?;
    let facts = store.facts(a.from, a.to)?;
    let report = crate::report::compute(&facts, &catalog, a.from, a.to);
    let lang = a.lang.unwrap_or(catalog.center.default_language);
    let l = Localizer::new(lang).map_err(|e| CliError::new(exit::FAILURE, e))?;
    let text = match a.format.as_str() {
        "csv" => crate::report::render::csv(&report, &l, &catalog),
        _ => crate::report::render::html(&report, &l, &catalog),
    };
    super::write_report(a.out.as_deref(), &text, |path| {
        format!(
            "report {} – {} written to {} ({} visitors)",
            a.from,
            a.to,
            path.display(),
            report.total.visitors
        )
    })
}
