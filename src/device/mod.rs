//! The device: its settings file (role, hub, printer, screen, GPIO, audio).

pub mod doctor;
pub mod gpio;
pub mod settings;
pub mod systime;

pub use settings::{DeviceRole, HubAddress, Settings, SettingsError};
pub mod watchdog;
