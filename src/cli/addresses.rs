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

/// Where a device with `hub = "auto"` keeps the hub's address that worked last.
pub fn last_hub_path(ctx: &Context) -> PathBuf {
    ctx.data_dir().join("hub-last-address")
}

/// The hub's address this device paired with or last reached, if any.
pub fn remembered_hub(ctx: &Context) -> Option<String> {
    std::fs::read_to_string(last_hub_path(ctx))
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
}

/// Remember the hub's address (at `integra join`; the stream updates it at each connection).
pub fn remember_hub(ctx: &Context, url: &str) {
    if let Err(e) = std::fs::write(last_hub_path(ctx), url) {
        log::warn!(
            "cannot remember the hub's address in {}: {e}",
            last_hub_path(ctx).display()
        );
    }
}
