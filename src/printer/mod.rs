//! Printed tickets: pure layouts and code pages (`layout`, `codepage`), links chosen by a URI
//! (`link`), and the spooler thread that keeps the kiosk from ever waiting for paper.

pub mod codepage;
pub mod fake;
pub mod layout;
pub mod link;
pub mod spooler;
mod tables;

pub use codepage::CodePage;
pub use layout::{Format, Paper, Slip, render};
pub use link::{PrinterUri, PrinterUriError};
pub use spooler::{Alert, Job, PrintError, PrinterStatus, SpoolEvent, Spooler, SubmitError};
