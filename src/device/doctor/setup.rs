//! The doctor's lines about the setup code (is it set, was it spent), and, on a device that
//! does not run the hub, what it keeps instead of a queue database.

use super::Check;
use crate::device::settings::{HubAddress, Settings};
use crate::hub::setup::SetupState;
use crate::store::Store;
use std::path::Path;

/// Whether this device runs the hub (and so has the queue database): without settings, yes.
pub fn runs_the_hub(settings: Option<&Settings>) -> bool {
    settings.is_none_or(|s| s.hub() == HubAddress::Local)
}

/// The setup code: on the hub, whether `/setup` can still pair the first admin (`port`: where
/// the hub listens); elsewhere, whether it is set (it opens the technician screen).
pub fn setup_code_check(settings: Option<&Settings>, data: &Path, port: u16) -> Check {
    let code = settings.and_then(|s| s.setup_code.as_ref());
    let add = format!(
        "add a line setup_code = \"…\" (10 or more digits of your own, at random) to integra.toml on the boot partition and restart, then open https://THIS-DEVICE:{port}/setup in a browser"
    );
    if !runs_the_hub(settings) {
        return match code {
            Some(_) => Check::pass(
                "setup code",
                "set: it opens this device's technician screen",
            ),
            None => Check::skip(
                "setup code",
                "not set: this device's technician screen stays closed (add setup_code = \"…\" to integra.toml to open it)",
            ),
        };
    }
    let state = Store::open(data).and_then(|store| SetupState::of(&store, code));
    match state {
        Ok(SetupState::Ready) => Check::pass(
            "setup code",
            format!(
                "set, not used yet: open https://THIS-DEVICE:{port}/setup in a browser and type it to make that browser the first admin"
            ),
        ),
        Ok(SetupState::Used) => Check::pass(
            "setup code",
            "used: an admin paired with it (it still opens the technician screen; a new code written in the file opens /setup once more)",
        ),
        Ok(SetupState::NoCode) => Check::warn(
            "setup code",
            "not set, and no admin is paired: no browser can open the admin page",
            add,
        ),
        Ok(SetupState::NoCodeAdmin) => Check::pass(
            "setup code",
            "not set: admins pair new browsers with a PIN from the admin page",
        ),
        Err(e) => Check::fail(
            "setup code",
            format!("cannot read the hub's database: {e}"),
            "see the queue database line",
        ),
    }
}

/// A counter, display or second kiosk keeps no queue database (the hub does): it mirrors the
/// hub's queue in memory, and keeps only its pairing and the hub's last address in `data`.
pub fn client_data_check(settings: Option<&Settings>, data: &Path) -> Check {
    let role = settings.map_or("device", |s| s.role.as_str());
    let read = |name: &str| {
        std::fs::read_to_string(data.join(name))
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let mut kept = Vec::new();
    let paired = read(crate::hub::client::TOKEN_FILE).is_some();
    if paired {
        kept.push("its pairing with the hub (token and certificate fingerprint)".to_string());
    }
    if let Some(last) = crate::hub::client::remembered_address(data) {
        kept.push(format!("the hub's last address {last}"));
    }
    let hub = match settings.map(Settings::hub) {
        Some(HubAddress::At(url)) => format!("the hub at {url}"),
        Some(HubAddress::Auto | HubAddress::Local) | None => {
            "the hub (at the address it was last reached, else found on the network)".to_string()
        }
    };
    let detail = format!(
        "no queue database on a {role}: {hub} keeps it, and this {role} follows a copy in memory; kept in {}: {}",
        data.display(),
        if kept.is_empty() {
            "nothing yet".to_string()
        } else {
            kept.join(", ")
        }
    );
    if paired {
        Check::pass("device data", detail)
    } else {
        Check::warn(
            "device data",
            detail,
            "pair this device with a PIN from the admin page",
        )
    }
}
