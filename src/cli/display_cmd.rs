//! `integra display` (role "display"): the lobby TV, following the hub on another device.

use super::{CliError, Context, exit};
use crate::device::settings::Settings;
use crate::ui::DisplayWindow;
use crate::ui::display::Display;
use slint::ComponentHandle;

pub fn run(ctx: &Context, settings: Option<&Settings>) -> Result<(), CliError> {
    // A promoted standby display runs the hub, headless.
    if super::promote_cmd::is_promoted(ctx) {
        return super::hub_cmd::serve(ctx);
    }
    super::pair_screen::ensure_paired(ctx, settings, crate::device::pairing::Mode::Code)?;
    let (remote, lang) = super::hub_cmd::follow_hub(ctx, settings)?;
    super::tech_cmd::report_doctor(ctx, &remote);
    let ui = DisplayWindow::new().map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!(
                "cannot open the display window ({e}). Run it in a desktop session (X11 or Wayland), or on a Raspberry Pi console with SLINT_BACKEND=linuxkms"
            ),
        )
    })?;
    let audio = settings.map(|s| s.audio.clone()).unwrap_or_default();
    let center_lang = remote.catalog().center.default_language;
    // A display that cannot be heard (no aplay, no sound card, a failing device) tells the
    // staff consoles, and clears it when a call plays again.
    let alerts = remote.clone();
    let announcer = (audio.chime || audio.voice).then(|| {
        crate::audio::Announcer::start_with_status(
            crate::audio::AnnounceConfig {
                chime: audio.chime,
                voice: audio.voice,
                center_lang,
                voices: audio.voices.clone(),
            },
            Box::new(crate::audio::Alsa {
                device: audio.device.clone(),
            }),
            Box::new(move |problem| {
                // The reason stays in this device's log; the hub hears only the kind.
                if let Some(why) = &problem {
                    log::warn!("the lobby cannot hear the calls: {why}");
                }
                alerts.report_alerts(
                    problem
                        .map(|_| crate::audio::AUDIO_ALERT)
                        .into_iter()
                        .collect(),
                )
            }),
        )
    });
    let _display = Display::start(&ui, remote, lang, ctx.at, announcer)
        .map_err(|e| CliError::new(exit::FAILURE, e))?;
    if std::env::var_os("INTEGRA_WINDOWED").is_none() {
        crate::ui::fill_screen(&ui);
    }
    // systemd: ready once the event loop turns; the UI loop's heartbeat for the watchdog.
    let _heartbeat = crate::device::watchdog::ui_loop("display running", &ctx.data_dir());
    ui.run()
        .map_err(|e| CliError::new(exit::FAILURE, format!("the display window stopped: {e}")))?;
    crate::ui::display::stop();
    Ok(())
}
