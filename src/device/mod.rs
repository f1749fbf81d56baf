//! The device: its settings file (role, hub, printer, screen, GPIO, audio, Wi-Fi) and what is
//! applied from it to the system at boot (screen turn, touch matrix, Wi-Fi, opt-in shell).

pub mod applied;
pub mod doctor;
pub mod gpio;
pub mod recent_log;
pub mod screen;
pub mod settings;
pub mod setup_code;
pub mod shell;
pub mod systime;
pub mod tech;

pub use settings::{DeviceRole, HubAddress, Settings, SettingsError};
pub use setup_code::SetupCode;
pub mod watchdog;
pub mod wifi;
