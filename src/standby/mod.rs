//! The hub's standby (issue #32 point 3): a second kiosk with `standby = true` keeps a live copy
//! of its hub in `DATA/standby/` — a complete hub data directory (`integra.sqlite3`,
//! `hub-certificate.pem`, `hub-key.pem` 0600, `history-id`), so that
//! `integra hub --data DATA/standby` starts the same hub — and acknowledges each of the hub's
//! commits once it is durable here. The hub's side is `hub::replica`, the device's link
//! `hub::client::standby`; the wire is in [`wire`]. `standby/state` says how far the copy is
//! durable and when the hub was last heard.

pub mod copy;
pub mod wire;

/// The link to the hub (in `hub::client`, with the other device links).
pub use crate::hub::client::standby::Standby;
pub use copy::{CopyState, StandbyError};

/// The copy's directory, under the standby device's data directory.
pub const DIR: &str = "standby";
/// The file in the copy's directory that says how far it is durable (see [`CopyState`]).
pub const STATE_FILE: &str = "state";

/// Where the copy of the hub lives on a standby whose data directory is `data_dir`.
pub fn copy_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join(DIR)
}
