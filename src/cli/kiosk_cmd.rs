//! `integra kiosk` (and `integra` with no subcommand): the visitor's touchscreen, with the hub
//! and its data in-process, on the embedded demo center unless a catalog is given.

use super::{CliError, Context, exit, print_cmd::printer_or_preview};
use crate::core::Lang;
use crate::engine::Engine;
use crate::ui::KioskWindow;
use crate::ui::kiosk::{Kiosk, KioskConfig};
use slint::ComponentHandle;
use std::time::Duration;

pub fn run(
    ctx: &Context,
    idle_seconds: Option<u32>,
    languages: Option<Vec<Lang>>,
) -> Result<(), CliError> {
    let catalog = ctx.load_catalog()?;
    let engine = Engine::open(&ctx.data_dir(), catalog.clone())?;
    let printer = printer_or_preview(ctx)?;
    if ctx.printer.is_none() {
        log::warn!("no printer set: tickets go to the preview file {printer}");
    }
    let ui = KioskWindow::new().map_err(|e| {
        let why = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        CliError::new(
            exit::FAILURE,
            format!(
                "cannot open the kiosk window ({why}). Run it in a desktop session (X11 or Wayland), or on a Raspberry Pi console with SLINT_BACKEND=linuxkms"
            ),
        )
    })?;
    let cfg = KioskConfig {
        languages: languages
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| catalog.center.languages.clone()),
        catalog,
        printer,
        format: ctx.format.clone(),
        idle: Duration::from_secs(u64::from(idle_seconds.unwrap_or(45))),
        ticket_screen: Duration::from_secs(20),
        clock: ctx.at,
        inline: false,
    };
    let _kiosk = Kiosk::start(&ui, engine, cfg).map_err(|e| CliError::new(exit::FAILURE, e))?;
    if std::env::var_os("INTEGRA_WINDOWED").is_none() {
        ui.window().set_fullscreen(true);
    }
    ui.run().map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!("the kiosk window stopped: {e}. Run it in a desktop session, or with SLINT_BACKEND=linuxkms on a Pi console"),
        )
    })?;
    crate::ui::kiosk::stop();
    Ok(())
}
