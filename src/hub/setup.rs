//! The first admin without a shell: the technician writes `setup_code = "…"` in the hub's
//! `integra.toml`, opens `https://HUB:7878/setup` in a browser and types it once; that browser
//! becomes the center's first admin (the same token a `POST /api/v1/pair` with an admin PIN
//! gives). The code is then spent for good: the spending is the audit line "setup-code" with
//! the code's mark, so a restart, a restore or a second try find it spent.

use super::{Hub, lock};
use crate::device::SetupCode;
use crate::store::{Store, StoreError};

/// Every Fluent id the setup page uses (a test checks `setup.html` and `setup.js` use exactly
/// these); the page also shows the console's language and device-name labels.
pub const SETUP_IDS: &[&str] = &[
    "setup-title",
    "setup-help",
    "setup-code",
    "setup-pair",
    "setup-wrong",
    "setup-used",
    "setup-no-code",
    "setup-no-code-admin",
    "setup-done",
];

/// What the setup page can do on this hub now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupState {
    /// A code is set and not spent: the page asks for it.
    Ready,
    /// The code in the settings was spent: ask an admin for a PIN.
    Used,
    /// No code in the settings, and no admin yet: the page says how to add one.
    NoCode,
    /// No code in the settings, and an admin exists: ask them for a PIN.
    NoCodeAdmin,
}

impl SetupState {
    /// As the API and the doctor name it.
    pub fn code(self) -> &'static str {
        match self {
            SetupState::Ready => "ready",
            SetupState::Used => "used",
            SetupState::NoCode => "no-code",
            SetupState::NoCodeAdmin => "no-code-admin",
        }
    }

    /// The one place that decides, from the settings' code and the hub's database (the hub
    /// and the doctor both ask here).
    pub fn of(store: &Store, code: Option<&SetupCode>) -> Result<SetupState, StoreError> {
        Ok(match code {
            Some(code) if store.setup_code_spent(&code.mark())? => SetupState::Used,
            Some(_) => SetupState::Ready,
            None if store.admins()? > 0 => SetupState::NoCodeAdmin,
            None => SetupState::NoCode,
        })
    }
}

impl Hub {
    /// The setup code from this hub's settings (`None`: the setup page pairs nobody).
    pub fn set_setup_code(&self, code: Option<SetupCode>) {
        *lock(&self.inner.setup_code) = code;
    }

    pub(crate) fn setup_code(&self) -> Option<SetupCode> {
        lock(&self.inner.setup_code).clone()
    }

    /// What the setup page can do now.
    pub fn setup_state(&self) -> Result<SetupState, StoreError> {
        let code = self.setup_code();
        SetupState::of(&self.auth_store(), code.as_ref())
    }
}
