//! The doctor's standby line (issue #32): on a kiosk with `standby = true`, how far its copy of
//! the hub goes and when the hub was last heard; on the hub, which device is its standby.

use super::Check;
use crate::device::settings::Settings;
use chrono::{DateTime, Utc};
use std::path::Path;

/// A copy not heard from the hub for this long is worth a warning (the hub pings every 15 s).
const QUIET_SECONDS: i64 = 60;

pub fn standby_check(settings: Option<&Settings>, data: &Path, now: DateTime<Utc>) -> Check {
    if !settings.is_some_and(|s| s.standby) {
        return match std::fs::read_to_string(data.join(crate::hub::replica::GRANT_FILE)) {
            Ok(id) => Check::pass(
                "standby",
                format!(
                    "device #{} is this hub's standby (its state is on the admin page and in /health)",
                    id.trim()
                ),
            ),
            Err(_) => Check::skip("standby", "none set (`standby = true` on a second kiosk)"),
        };
    }
    let dir = crate::standby::copy_dir(data);
    match crate::standby::CopyState::read(data) {
        None => Check::warn(
            "standby",
            format!("no copy of the hub in {} yet", dir.display()),
            "check that `integra run` is running here and that the hub answers (the hub line above)",
        ),
        Some(s) => {
            let quiet = (now - s.heard).num_seconds();
            let line = format!(
                "a copy of the hub at {} up to event {} in {}, last heard {quiet} s ago",
                s.hub,
                s.seq,
                dir.display()
            );
            if quiet > QUIET_SECONDS {
                Check::warn(
                    "standby",
                    line,
                    "the hub has not been heard for a minute: check the network and the hub (if the hub is dead, promote this kiosk)",
                )
            } else {
                Check::pass("standby", line)
            }
        }
    }
}
