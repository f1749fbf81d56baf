//! The one integration-test binary. Modules per area.

mod admin;
mod audio;
mod backup;
mod browser;
mod catalog;
mod cli;
mod common;
mod counter;
mod deploy;
mod doctor;
mod drills;
mod follow;
mod fuzz;
mod hostile;
mod hub;
mod kiosk;
mod locales;
mod printer;
mod privacy;
mod props;
mod queue;
mod report;
mod safeguarding;
mod settings;
mod store;
mod truth;
