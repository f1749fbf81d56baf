//! The device: its settings file (role, hub, printer, screen, GPIO, audio, Wi-Fi) and what is
//! applied from it to the system at boot (screen turn, touch matrix, Wi-Fi, opt-in shell).

pub mod applied;
pub mod doctor;
pub mod gpio;
pub mod screen;
pub mod settings;
pub mod shell;
pub mod systime;

pub use settings::{DeviceRole, HubAddress, Settings, SettingsError};
pub mod watchdog;
pub mod wifi;
