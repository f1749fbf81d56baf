//! The doctor's `pair_pin` line: whether the PIN in `integra.toml` is still to be used, or was
//! (then the line should go: it pairs nothing more).

use super::Check;
use crate::device::settings::Settings;
use std::path::Path;

/// `pair_pin`'s state on this device (`None`: no pair_pin in the settings).
pub fn pair_pin_check(settings: Option<&Settings>, data: &Path, paired: bool) -> Option<Check> {
    let pin = settings?.pair_pin.as_deref()?;
    let used = crate::device::pairing::pair_pin_used(data, pin);
    Some(match (used, paired) {
        (true, _) => Check::warn(
            "pair_pin",
            "pair_pin already used: this device paired with it once and will not use it again",
            "remove the line pair_pin from integra.toml",
        ),
        (false, true) => Check::pass(
            "pair_pin",
            "not used: this device was already paired another way",
        ),
        (false, false) => Check::pass(
            "pair_pin",
            "set: this device pairs with it at its next start",
        ),
    })
}
