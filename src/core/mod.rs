//! The pure core: catalog model, queue state machine, events and errors.
//! No IO, no clock, no threads: time comes in as `now`, randomness as a `nonce`.

pub mod attempts;
pub mod catalog;
pub mod clock;
pub mod edit;
pub mod error;
pub mod model;
pub mod public;
pub mod queue;
pub mod tomlpath;
pub mod types;

pub use catalog::{Catalog, CatalogError, CatalogIssue, Mode};
pub use clock::ClockTrust;
pub use edit::{CatalogEdit, EditError};
pub use error::{InvariantError, QueueError};
pub use model::{
    Appointment, AppointmentState, CancelReason, Command, CommandClass, Event, Outcome, SignUp,
    Stamped, Ticket, TicketState,
};
pub use queue::{DayTurn, Queue, ServiceStatus, State};
pub use types::*;
