//! `integra standby`: keep a live copy of the hub in `DATA/standby/` and acknowledge its
//! commits (issue #32 point 3) — headless; a kiosk with `standby = true` does the same beside
//! its screen.

use super::{CliError, Context, exit};
use crate::device::settings::Settings;
use crate::standby::Standby;

/// This device as its hub's standby (paired with `integra join`), at the hub's `url`.
pub fn standby(ctx: &Context, url: &str) -> Result<Standby, CliError> {
    Standby::paired(&ctx.data_dir(), url).map_err(|e| CliError::new(exit::INVALID_CONFIG, e))
}

/// A kiosk whose settings say `standby = true`: keep the copy on a thread beside the screen.
pub fn start_beside_kiosk(
    ctx: &Context,
    settings: Option<&Settings>,
    url: &str,
) -> Result<(), CliError> {
    if !settings.is_some_and(|s| s.standby) {
        return Ok(());
    }
    standby(ctx, url)?
        .spawn()
        .map_err(|e| CliError::new(exit::FAILURE, format!("cannot start the standby: {e}")))?;
    Ok(())
}

/// `integra standby [--hub URL]`: in the foreground, forever.
pub fn run(
    ctx: &Context,
    settings: Option<&Settings>,
    hub: Option<String>,
) -> Result<(), CliError> {
    let fingerprint = super::hub_cmd::read_fingerprint(ctx);
    let url = super::hub_cmd::hub_url_pinned(hub, settings, fingerprint.as_deref())?;
    let standby = standby(ctx, &url)?;
    println!(
        "keeping a live copy of the hub at {url} in {}",
        crate::standby::copy_dir(&ctx.data_dir()).display()
    );
    standby.run();
    Ok(())
}
