//! Addresses a device keeps in its data directory: where its own hub listens (so that `integra
//! pair` and the doctor name the port it really uses), and, for a device with `hub = "auto"`,
//! the hub's address it paired with or last reached (so that it starts without mDNS).

use super::Context;
use std::path::PathBuf;

fn listening_path(ctx: &Context) -> PathBuf {
    ctx.data_dir().join("hub-listening")
}

/// Record where the hub on this data directory listens (see [`listening_port`]).
pub fn remember_listening(ctx: &Context, addr: std::net::SocketAddr) {
    if let Err(e) = std::fs::write(listening_path(ctx), addr.to_string()) {
        log::warn!(
            "cannot note the hub's address in {}: {e}",
            listening_path(ctx).display()
        );
    }
}

/// The port the hub on this data directory listens on: as its last start recorded it, else
/// this program's `--listen` / `listen` (7878 by default).
pub fn listening_port(ctx: &Context) -> u16 {
    std::fs::read_to_string(listening_path(ctx))
        .ok()
        .and_then(|a| a.trim().parse::<std::net::SocketAddr>().ok())
        .map_or(ctx.listen.port(), |a| a.port())
}

/// The hub's address this device paired with or last reached, if any.
pub fn remembered_hub(ctx: &Context) -> Option<String> {
    crate::hub::client::remembered_address(&ctx.data_dir())
}

/// Remember the hub's address (at `integra join`; the stream updates it at each connection).
pub fn remember_hub(ctx: &Context, url: &str) {
    warn_unremembered(
        &ctx.data_dir(),
        crate::hub::client::remember_address(&ctx.data_dir(), url),
    );
}

/// Log a failed [`crate::hub::client::remember_address`] (the device works on without it).
pub fn warn_unremembered(data: &std::path::Path, written: std::io::Result<()>) {
    if let Err(e) = written {
        log::warn!(
            "cannot remember the hub's address in {}: {e}",
            data.join(crate::hub::client::LAST_ADDRESS_FILE).display()
        );
    }
}
