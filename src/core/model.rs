//! Commands (what someone asks for), events (what happened) and the records they carry.

use super::catalog::Catalog;
use super::edit::CatalogEdit;
use super::types::{
    ActivityCode, AppointmentId, Contact, CounterId, Lang, PriorityClass, ServiceCode, SignUpId,
    TicketId, ticket_label,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything that can change the queue. Every change of the queue is one of these, applied by
/// [`super::Queue::apply`] with the current time passed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// A walk-in visitor takes a ticket.
    IssueTicket {
        service: ServiceCode,
        lang: Lang,
        #[serde(default)]
        priority: Option<PriorityClass>,
    },
    /// A counter calls its next visitor (finishing the one it had, if any).
    CallNext {
        counter: CounterId,
    },
    /// Call the same ticket again (announced again on the display).
    Recall {
        ticket: TicketId,
    },
    /// The visitor has arrived at the counter.
    StartServing {
        ticket: TicketId,
    },
    Finish {
        ticket: TicketId,
    },
    NoShow {
        ticket: TicketId,
    },
    /// Undo a finish or a no-show made at most [`UNDO_SECONDS`] ago (a tap on the wrong
    /// button): the visitor is back at the counter that ended their visit.
    Reopen {
        ticket: TicketId,
    },
    Cancel {
        ticket: TicketId,
    },
    /// Send a visitor to another service; they keep their number and their place in time.
    Transfer {
        ticket: TicketId,
        to: ServiceCode,
    },
    BookAppointment {
        service: ServiceCode,
        date: NaiveDate,
        time: NaiveTime,
        lang: Lang,
        #[serde(default)]
        contact: Contact,
        /// Randomness from the shell, used to make the short code (the core has no RNG). The
        /// hub draws it itself for every request that comes over the network.
        #[serde(default)]
        nonce: u64,
    },
    CancelAppointment {
        code: String,
    },
    /// A visitor checks in with the short code of their appointment (it becomes a ticket) or of
    /// their activity sign-up on its day (they are counted as present).
    CheckIn {
        code: String,
    },
    SignUp {
        activity: ActivityCode,
        date: NaiveDate,
        lang: Lang,
        #[serde(default)]
        contact: Contact,
        #[serde(default)]
        nonce: u64,
    },
    CancelSignUp {
        code: String,
    },
    /// A visitor asks that their name and phone be erased (by the code of their appointment or
    /// sign-up); the appointment itself stays.
    EraseContact {
        code: String,
        /// The device that asked (set by the hub from the caller's token).
        #[serde(default)]
        by: String,
    },
    /// A coordinator changes the center catalog (set by the hub from the caller's token).
    EditCatalog {
        edit: CatalogEdit,
        #[serde(default)]
        by: String,
    },
    /// The hub adopts the catalog file again because it was changed on disk after the last
    /// admin change (only the hub itself sends this, at start).
    AdoptCatalog {
        catalog: Box<Catalog>,
    },
    /// Nothing but the passing of time.
    Tick,
    /// Start a new queue day (see [`crate::core::Queue::day_turn`]): the waiting tickets of the
    /// old day end, those called or at a counter stay until finished, numbering starts again.
    /// Sent by the hub itself on a trusted clock, or when a coordinator confirms the day.
    StartDay {
        day: chrono::NaiveDate,
        /// Who confirmed it ("hub" when the hub turned the day on its own trusted clock).
        #[serde(default)]
        by: String,
    },
}

/// What kind of request a command is: who may send it and how a kiosk is limited follow from
/// this one exhaustive table.
/// How long after a finish or a no-show the receptionist may undo it.
pub const UNDO_SECONDS: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandClass {
    /// A visitor takes a walk-in ticket.
    Ticket,
    /// A visitor books an appointment or signs up for an activity.
    Booking,
    /// A visitor checks in with a code.
    CheckIn,
    /// Staff at a counter: call, serve, transfer, cancel.
    Serve,
    /// The coordinator: catalog changes, erasure on request, the passing of time.
    Admin,
    /// Only the hub itself, at start.
    HubOnly,
}

impl Command {
    pub fn class(&self) -> CommandClass {
        match self {
            Command::IssueTicket { .. } => CommandClass::Ticket,
            Command::BookAppointment { .. } | Command::SignUp { .. } => CommandClass::Booking,
            Command::CheckIn { .. } => CommandClass::CheckIn,
            Command::CallNext { .. }
            | Command::Recall { .. }
            | Command::StartServing { .. }
            | Command::Finish { .. }
            | Command::NoShow { .. }
            | Command::Reopen { .. }
            | Command::Cancel { .. }
            | Command::Transfer { .. }
            | Command::CancelAppointment { .. }
            | Command::CancelSignUp { .. } => CommandClass::Serve,
            Command::Tick
            | Command::StartDay { .. }
            | Command::EraseContact { .. }
            | Command::EditCatalog { .. } => CommandClass::Admin,
            Command::AdoptCatalog { .. } => CommandClass::HubOnly,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
    Called,
    Serving,
    Done,
    NoShow,
    Cancelled,
}

impl TicketState {
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketState::Waiting | TicketState::Called | TicketState::Serving
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Serving => "serving",
            TicketState::Done => "done",
            TicketState::NoShow => "no-show",
            TicketState::Cancelled => "cancelled",
        }
    }
}

/// The appointment a ticket came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FromAppointment {
    pub id: AppointmentId,
    /// When the slot starts: from then on the ticket goes ahead of walk-ins.
    pub slot_start: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub day: NaiveDate,
    pub prefix: char,
    pub number: u32,
    /// The service whose queue it is in now.
    pub service: ServiceCode,
    pub lang: Lang,
    #[serde(default)]
    pub priority: Option<PriorityClass>,
    /// When it was issued; a transfer keeps it, so the visitor keeps their place in time.
    pub issued_at: DateTime<Utc>,
    #[serde(default)]
    pub appointment: Option<FromAppointment>,
    pub state: TicketState,
    #[serde(default)]
    pub counter: Option<CounterId>,
    #[serde(default)]
    pub called_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub serving_at: Option<DateTime<Utc>>,
    /// When its visit ended (done, no-show, cancelled): what an undo is measured from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// How many times a later ticket was called before it (bounded by the fairness rule).
    #[serde(default)]
    pub overtaken: u32,
    /// Set for a discreet ticket (a discreet service or class, now or earlier today): the
    /// ordinary service whose letter it carries, which is all the public may be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<ServiceCode>,
}

impl Ticket {
    pub fn label(&self) -> String {
        ticket_label(self.prefix, self.number)
    }

    /// Whether the ticket must look ordinary in public.
    pub fn is_discreet(&self) -> bool {
        self.cover.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentState {
    Booked,
    CheckedIn,
    Cancelled,
    Missed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: AppointmentId,
    /// The short digits-only code the visitor types at the kiosk.
    pub code: String,
    pub service: ServiceCode,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub lang: Lang,
    #[serde(default)]
    pub contact: Contact,
    pub state: AppointmentState,
    #[serde(default)]
    pub ticket: Option<TicketId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUp {
    pub id: SignUpId,
    pub code: String,
    pub activity: ActivityCode,
    pub date: NaiveDate,
    pub lang: Lang,
    #[serde(default)]
    pub contact: Contact,
    /// false while on the waitlist.
    pub seated: bool,
    /// Checked in at the kiosk on the day (attendance).
    #[serde(default)]
    pub attended: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    Staff,
    /// The day ended with the ticket still open.
    DayEnded,
}

/// What happened. Events are the only way the state changes, so replaying them rebuilds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    DayStarted {
        day: NaiveDate,
        /// Who started it: "hub" on its own trusted clock, or the coordinator's device that
        /// confirmed it (empty for a queue's first day and in logs written before).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        by: String,
    },
    TicketIssued {
        ticket: Ticket,
        /// People ahead in the same service when it was issued.
        ahead: u32,
        /// Estimated wait in minutes.
        wait_minutes: u32,
    },
    TicketCalled {
        ticket: TicketId,
        counter: CounterId,
        /// The services of the counter at that moment (who it could have called).
        scope: Vec<ServiceCode>,
    },
    TicketRecalled {
        ticket: TicketId,
        counter: CounterId,
    },
    ServingStarted {
        ticket: TicketId,
        counter: CounterId,
    },
    TicketFinished {
        ticket: TicketId,
        counter: CounterId,
    },
    TicketNoShow {
        ticket: TicketId,
        counter: CounterId,
    },
    /// A finish or no-show undone: back to called (or being served) at `counter`.
    TicketReopened {
        ticket: TicketId,
        counter: CounterId,
    },
    TicketCancelled {
        ticket: TicketId,
        reason: CancelReason,
    },
    TicketTransferred {
        ticket: TicketId,
        from: ServiceCode,
        to: ServiceCode,
        /// Set when the ticket is or becomes discreet: the service the public is shown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cover: Option<ServiceCode>,
    },
    AppointmentBooked {
        appointment: Appointment,
    },
    AppointmentCancelled {
        id: AppointmentId,
    },
    AppointmentCheckedIn {
        id: AppointmentId,
        ticket: TicketId,
    },
    /// The day of the appointment passed without a check-in.
    AppointmentMissed {
        id: AppointmentId,
    },
    SignedUp {
        signup: SignUp,
        /// Position on the waitlist (1 = next), when not seated.
        waitlist_position: Option<u32>,
    },
    SignUpCancelled {
        id: SignUpId,
    },
    WaitlistPromoted {
        id: SignUpId,
    },
    /// Someone signed up for an activity checked in with their code on the day.
    SignUpAttended {
        id: SignUpId,
    },
    /// Name and phone erased on the visitor's request.
    ContactErased {
        #[serde(default)]
        appointment: Option<AppointmentId>,
        #[serde(default)]
        signup: Option<SignUpId>,
        /// The device that asked.
        #[serde(default)]
        by: String,
    },
    /// The center catalog changed: the whole new catalog, the edit (none when the catalog
    /// file was adopted again), who made it, and the fingerprint of the catalog file it
    /// started from (a different file at start means the technician changed it since).
    CatalogChanged {
        catalog: Box<Catalog>,
        #[serde(default)]
        edit: Option<CatalogEdit>,
        #[serde(default)]
        by: String,
        base: String,
    },
}

/// An event with its sequence number (only ever grows) and the time it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub event: Event,
}

/// What a command's events say it made, by kind: the one place that looks for "the ticket this
/// issued", "the appointment this booked"… in a list of events.
pub trait Outcome {
    /// The ticket issued, with the people ahead and the estimated wait in minutes.
    fn issued(&self) -> Option<(&Ticket, u32, u32)>;
    /// The appointment booked.
    fn booked(&self) -> Option<&Appointment>;
    /// The sign-up made, with its waitlist position when not seated.
    fn signed_up(&self) -> Option<(&SignUp, Option<u32>)>;
    /// The ticket called.
    fn called(&self) -> Option<TicketId>;
    /// The sign-up marked as attended.
    fn attended(&self) -> Option<SignUpId>;
}

impl Outcome for [Stamped] {
    fn issued(&self) -> Option<(&Ticket, u32, u32)> {
        self.iter().find_map(|e| match &e.event {
            Event::TicketIssued {
                ticket,
                ahead,
                wait_minutes,
            } => Some((ticket, *ahead, *wait_minutes)),
            _ => None,
        })
    }
    fn booked(&self) -> Option<&Appointment> {
        self.iter().find_map(|e| match &e.event {
            Event::AppointmentBooked { appointment } => Some(appointment),
            _ => None,
        })
    }
    fn signed_up(&self) -> Option<(&SignUp, Option<u32>)> {
        self.iter().find_map(|e| match &e.event {
            Event::SignedUp {
                signup,
                waitlist_position,
            } => Some((signup, *waitlist_position)),
            _ => None,
        })
    }
    fn called(&self) -> Option<TicketId> {
        self.iter().find_map(|e| match &e.event {
            Event::TicketCalled { ticket, .. } => Some(*ticket),
            _ => None,
        })
    }
    fn attended(&self) -> Option<SignUpId> {
        self.iter().find_map(|e| match &e.event {
            Event::SignUpAttended { id } => Some(*id),
            _ => None,
        })
    }
}
