//! Integra: lobby kiosk firmware for community centers. See ARCHITECTURE.md.

pub mod audio;
pub mod city;
pub mod cli;
pub mod core;
pub mod device;
pub mod engine;
pub mod hub;
pub mod i18n;
pub mod icons;
pub mod printer;
pub mod report;
pub mod standby;
pub mod store;
pub mod ui;
