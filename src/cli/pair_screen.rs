//! A display, counter or network kiosk with no token pairs before its role starts (issue #33):
//! with `pair_pin` from `integra.toml` once, else on its own pairing screen, which stays until
//! paired (it never exits: a device that exits stays dark once systemd gives up).

use super::{CliError, Context, exit};
use crate::device::pairing::{self, Mode, Where, Worker};
use crate::device::settings::{HubAddress, Settings};
use crate::ui::PairingWindow;
use crate::ui::pairing::Pairing;
use slint::ComponentHandle;

/// Pair this device if it has no token; back when it has one (the role starts).
pub fn ensure_paired(
    ctx: &Context,
    settings: Option<&Settings>,
    mode: Mode,
) -> Result<(), CliError> {
    if super::hub_cmd::has_token(ctx) {
        return Ok(());
    }
    let data = ctx.data_dir();
    if let Some(pin) = settings.and_then(|s| s.pair_pin.as_deref()) {
        if pairing::pair_pin_used(&data, pin) {
            log::warn!(
                "pair_pin in the settings was used already: this device pairs on its screen (remove the line)"
            );
        } else {
            match super::hub_cmd::join(ctx, settings, pin, None, None, None) {
                Ok(()) => {
                    if let Err(e) = pairing::mark_pair_pin_used(&data, pin) {
                        log::error!("paired, but cannot mark pair_pin as used: {e}");
                    }
                    return Ok(());
                }
                Err(e) => log::warn!("pair_pin did not pair ({e}): showing the pairing screen"),
            }
        }
    }
    screen(ctx, settings, mode)
}

/// This device's name on the hub: its host name, else what it is.
fn device_name(mode: Mode) -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            match mode {
                Mode::Keypad => "integra device",
                Mode::Code => "integra display",
            }
            .to_string()
        })
}

fn screen(ctx: &Context, settings: Option<&Settings>, mode: Mode) -> Result<(), CliError> {
    let hub = match settings.map(Settings::hub) {
        Some(HubAddress::At(u)) => Where::At(super::hub_cmd::https_url(&u)),
        Some(HubAddress::Auto | HubAddress::Local) | None => Where::Auto,
    };
    let lang = match settings
        .and_then(|s| s.languages.as_ref())
        .and_then(|l| l.first())
    {
        Some(l) => *l,
        None => ctx.load_catalog()?.center.default_language,
    };
    let ui = PairingWindow::new().map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!(
                "this device is not paired and cannot open its pairing screen ({e}). Run it with a screen (a desktop session, or SLINT_BACKEND=linuxkms on a Raspberry Pi console), or pair it with `pair_pin = \"PIN\"` in its settings or `integra join --pin PIN`"
            ),
        )
    })?;
    // The window first: a device that cannot draw registers nowhere.
    let data = ctx.data_dir();
    // Kept like `integra join` keeps it, with the address an `auto` device starts at next time.
    let keep: pairing::Keep = Box::new(move |url, p| {
        super::hub_cmd::keep_paired(&data, p)?;
        crate::hub::client::remember_address(&data, url)
    });
    let worker = Worker::start(mode, hub, device_name(mode), keep);
    log::warn!("this device is not paired: showing the pairing screen");
    let weak = ui.as_weak();
    let pairing = Pairing::start(
        &ui,
        mode,
        worker,
        lang,
        Box::new(move || {
            if let Some(ui) = weak.upgrade() {
                let _ = ui.hide();
            }
            let _ = slint::quit_event_loop();
        }),
    )
    .map_err(|e| CliError::new(exit::FAILURE, e))?;
    if std::env::var_os("INTEGRA_WINDOWED").is_none() {
        crate::ui::fill_screen(&ui);
    }
    ui.show().map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!("cannot show the pairing screen: {e}"),
        )
    })?;
    let heartbeat = crate::device::watchdog::ui_loop("pairing", &ctx.data_dir());
    slint::run_event_loop_until_quit()
        .map_err(|e| CliError::new(exit::FAILURE, format!("the pairing screen stopped: {e}")))?;
    drop(heartbeat);
    if pairing.paired() {
        Ok(())
    } else {
        Err(CliError::new(
            exit::FAILURE,
            "the pairing screen closed before this device was paired",
        ))
    }
}
