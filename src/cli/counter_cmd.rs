//! `integra counter` (role "counter"): the touch terminal on a staff desk, with the optional
//! GPIO "next" button and call LED.

use super::{CliError, Context, exit};
use crate::device::settings::Settings;
use crate::ui::CounterWindow;
use crate::ui::counter::Counter;
use slint::ComponentHandle;

pub fn run(ctx: &Context, settings: Option<&Settings>) -> Result<(), CliError> {
    // A promoted standby counter runs the hub, headless.
    if super::promote_cmd::is_promoted(ctx) {
        return super::hub_cmd::serve(ctx);
    }
    let Some(id) = settings.and_then(|s| s.counter.clone()) else {
        return Err(CliError::new(
            exit::INVALID_CONFIG,
            "which counter is this? set `counter = \"2\"` (an id from the center catalog) in the settings",
        ));
    };
    super::pair_screen::ensure_paired(ctx, settings, crate::device::pairing::Mode::Keypad)?;
    let (remote, lang) = super::hub_cmd::follow_hub(ctx, settings)?;
    super::tech_cmd::report_doctor(ctx, &remote);
    let ui = CounterWindow::new().map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!(
                "cannot open the counter window ({e}). Run it in a desktop session (X11 or Wayland), or on a Raspberry Pi console with SLINT_BACKEND=linuxkms"
            ),
        )
    })?;
    let gpio = settings.map(|s| s.gpio.clone()).unwrap_or_default();
    let (button, led) = match crate::device::gpio::open(gpio.next_button, gpio.call_led) {
        Ok(pins) => pins,
        Err(e) => {
            log::warn!("{e}");
            (None, None)
        }
    };
    let _counter = Counter::start(&ui, remote, id, lang, ctx.at, led, false)
        .map_err(|e| CliError::new(exit::FAILURE, e))?;
    let _tech =
        crate::ui::tech::Tech::attach(&ui, super::tech_cmd::tech_config(ctx, settings, lang, None))
            .map_err(|e| CliError::new(exit::FAILURE, e))?;
    if let Some(b) = button {
        crate::device::gpio::watch(b, crate::ui::counter::press_next);
    }
    if std::env::var_os("INTEGRA_WINDOWED").is_none() {
        crate::ui::fill_screen(&ui);
    }
    // systemd: ready once the event loop turns; the UI loop's heartbeat for the watchdog.
    let _heartbeat = crate::device::watchdog::ui_loop("counter running", &ctx.data_dir());
    ui.run()
        .map_err(|e| CliError::new(exit::FAILURE, format!("the counter window stopped: {e}")))?;
    crate::ui::counter::stop();
    Ok(())
}
