//! The one integration-test binary. Modules per area.

mod catalog;
mod common;
mod queue;
