//! The Slint user interfaces. `ui/*.slint` is compiled by build.rs; each screen has one Adapter
//! global, wired from Rust by one `*_adapter.rs` file.

slint::include_modules!();

pub mod counter;
pub mod display;
pub mod icons;
pub mod kiosk;
pub mod qr;
