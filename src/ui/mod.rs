//! The Slint user interfaces. `ui/*.slint` is compiled by build.rs; each screen has one Adapter
//! global (`ui/screens/*.slint`), the only contract between Rust and the screen. The kiosk's
//! adapters are filled and wired by `kiosk.rs`, the display's by `display.rs`, the counter
//! terminal's by `counter.rs`.

slint::include_modules!();

pub mod counter;
pub mod display;
pub mod icons;
pub mod kiosk;
pub mod qr;
