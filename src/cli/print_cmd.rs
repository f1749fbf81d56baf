//! `integra print-test`, and printing a slip from the other commands when `--printer` is given.

use super::{CliError, Context, exit};
use crate::printer::{
    self, Alert, Job, PrinterStatus, PrinterUri, Slip, SpoolEvent, Spooler, link,
};
use std::sync::mpsc::channel;
use std::time::Duration;

/// Longest the command line waits for the printer before saying so.
const WAIT: Duration = Duration::from_secs(20);

/// The printer of this command: --printer, else a preview file in the data directory.
pub fn printer_or_preview(ctx: &Context) -> Result<PrinterUri, CliError> {
    if let Some(uri) = &ctx.printer {
        return Ok(uri.clone());
    }
    let dir = ctx.data_dir();
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!("cannot create the data directory {}: {e}", dir.display()),
        )
    })?;
    Ok(PrinterUri::File(dir.join("print-preview.bin")))
}

/// Print a slip through the spooler and wait for the outcome. Returns a line for the technician.
pub fn print_slip(
    ctx: &Context,
    uri: PrinterUri,
    label: &str,
    slip: &Slip,
) -> Result<String, CliError> {
    let bytes = printer::render(slip, &ctx.format).map_err(|e| CliError::new(exit::FAILURE, e))?;
    let (tx, rx) = channel();
    let spooler = Spooler::start(uri.clone(), move |e| {
        let _ = tx.send(e);
    });
    spooler
        .submit(Job {
            label: label.to_string(),
            bytes,
        })
        .map_err(|e| {
            CliError::new(
                exit::FAILURE,
                format!("the printer queue refused the job: {e:?}"),
            )
        })?;
    loop {
        match rx.recv_timeout(WAIT) {
            Ok(SpoolEvent::Printed { .. }) => return Ok(format!("printed on {uri}")),
            Ok(SpoolEvent::Failed { reason, .. }) => {
                return Err(CliError::new(
                    exit::FAILURE,
                    format!("not printed on {uri}: {reason}"),
                ));
            }
            Ok(SpoolEvent::Alerts(_)) => continue,
            Err(_) => {
                return Err(CliError::new(
                    exit::FAILURE,
                    format!(
                        "the printer {uri} did not answer within {} s",
                        WAIT.as_secs()
                    ),
                ));
            }
        }
    }
}

/// When --printer is given, print a slip after its command committed. A failed print is only
/// a warning: the ticket, appointment or seat is valid either way.
pub fn maybe_print(ctx: &Context, label: &str, slip: &Slip) {
    let Some(uri) = ctx.printer.clone() else {
        return;
    };
    match print_slip(ctx, uri, label, slip) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!(
            "integra: warning: {} — {label} is valid anyway; reprint it when the printer is fixed",
            e.message
        ),
    }
}

pub fn print_test(ctx: &Context) -> Result<(), CliError> {
    let uri = printer_or_preview(ctx)?;
    if ctx.printer.is_none() {
        println!("no --printer given: printing to the preview file {uri}");
    }
    println!(
        "paper {} mm ({} columns), code page {} (ESC t {})",
        ctx.format.paper.mm(),
        ctx.format.paper.columns(),
        ctx.format.codepage,
        ctx.format
            .codepage_number
            .unwrap_or_else(|| ctx.format.codepage.epson_number())
    );
    match link::open(&uri) {
        Err(e) => {
            return Err(CliError::new(
                exit::FAILURE,
                Alert::Unreachable(format!("{uri}: {e}")).describe(),
            ));
        }
        Ok(mut l) => match PrinterStatus::read(l.as_mut()) {
            Ok(Some(s)) if s.alerts().is_empty() => println!("status: ready, paper OK"),
            Ok(Some(s)) => {
                for a in s.alerts() {
                    println!("status: {}", a.describe());
                }
            }
            Ok(None) => println!("status: this link does not report the printer's status"),
            Err(e) => println!("status: cannot read it ({e})"),
        },
    }
    let catalog = ctx.load_catalog()?;
    let qr = ctx
        .format
        .qr
        .clone()
        .unwrap_or_else(|| format!("{} - printer test", catalog.center.name));
    let slip = Slip::TestPage {
        center: catalog.center.name.clone(),
        qr,
    };
    println!("{}", print_slip(ctx, uri, "test page", &slip)?);
    Ok(())
}
