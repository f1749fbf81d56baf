//! Queue errors are values: each names the problem in plain words and changes nothing.

use super::types::{ActivityCode, CounterId, PriorityClass, ServiceCode, TicketId};
use chrono::{NaiveDate, NaiveTime};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueueError {
    #[error("unknown service '{0}': it is not in the center catalog")]
    UnknownService(ServiceCode),
    #[error("service '{0}' is closed now; see its opening hours in the catalog")]
    ServiceClosed(ServiceCode),
    #[error("service '{0}' does not take walk-in tickets")]
    NoWalkIn(ServiceCode),
    #[error("service '{0}' does not take appointments")]
    NoAppointments(ServiceCode),
    #[error("unknown priority class '{0}': it is not in the catalog's priority classes")]
    UnknownPriority(PriorityClass),
    #[error("unknown counter '{0}': it is not in the center catalog")]
    UnknownCounter(CounterId),
    #[error("unknown ticket {0}: it is not one of today's tickets")]
    UnknownTicket(TicketId),
    #[error("ticket {label} is {state}; it cannot be {action}")]
    WrongState {
        label: String,
        state: &'static str,
        action: &'static str,
    },
    #[error("nobody is waiting for counter '{0}'")]
    NothingWaiting(CounterId),
    #[error("ticket {0} is already in service '{1}'")]
    SameService(String, ServiceCode),
    #[error("{date} {time} is not an appointment slot of service '{service}'")]
    NoSuchSlot {
        service: ServiceCode,
        date: NaiveDate,
        time: NaiveTime,
    },
    #[error("the slot {date} {time} of service '{service}' is full")]
    SlotFull {
        service: ServiceCode,
        date: NaiveDate,
        time: NaiveTime,
    },
    #[error("{date} {time} has already passed")]
    InThePast { date: NaiveDate, time: NaiveTime },
    #[error("{0} is too far ahead: bookings are open for the next {1} days")]
    TooFarAhead(NaiveDate, u32),
    #[error("no appointment or sign-up has the code '{0}'")]
    UnknownCode(String),
    #[error("the appointment with code '{code}' is for {date}, not today")]
    NotToday { code: String, date: NaiveDate },
    #[error("the appointment with code '{0}' is already checked in")]
    AlreadyCheckedIn(String),
    #[error("unknown activity '{0}'")]
    UnknownActivity(ActivityCode),
    #[error("activity '{0}' does not take place on {1}")]
    NoSession(ActivityCode, NaiveDate),
    #[error("the name is too long or has characters that cannot be kept (at most 60 letters)")]
    BadName,
    #[error("the phone number must have 6 to 20 digits (spaces, +, - and parentheses allowed)")]
    BadPhone,
    #[error("the sign-up with code '{0}' is on the waiting list: there is no seat for it")]
    OnWaitlist(String),
    #[error("the activity with code '{code}' is on {date}, not today")]
    ActivityNotToday { code: String, date: NaiveDate },
    #[error("the change was not saved: {}", .0.join("; "))]
    InvalidCatalog(Vec<String>),
    #[error(
        "service '{service}' cannot be removed: {waiting} tickets waiting or being served today and {booked} appointments booked; serve, transfer or cancel them first"
    )]
    ServiceInUse {
        service: ServiceCode,
        waiting: u32,
        booked: u32,
    },
    #[error(
        "activity '{activity}' cannot be removed: {signups} people are signed up for coming sessions; cancel their sign-ups first"
    )]
    ActivityInUse {
        activity: ActivityCode,
        signups: u32,
    },
    #[error(
        "activity '{activity}' has {seated} people seated on {date}: it needs at least {seated} seats"
    )]
    SeatsBelowSignUps {
        activity: ActivityCode,
        date: NaiveDate,
        seated: u32,
    },
    #[error("counter '{0}' is calling or serving a visitor: finish that first")]
    CounterBusy(CounterId),
    #[error(
        "ticket {0} ended more than 10 seconds ago: call it again with \"call next\" or issue a new ticket"
    )]
    TooLateToUndo(String),
    /// What a kiosk is told for any check-in code that does not check in today (unknown, of
    /// another day, used, on the waitlist): one answer, so a kiosk cannot probe for codes.
    #[error("no appointment or activity for today has the code '{0}'")]
    CodeNotForToday(String),
    #[error("no ticket has the label {0} in the queue's day; check the number on the slip")]
    UnknownLabel(String),
    #[error(
        "two tickets have the label {0} (one of the day before is still open): act on it from the counter or console, which address tickets by id"
    )]
    AmbiguousLabel(String),
    #[error("the queue's day is already {queue_day}: a new day must come after it, not {day}")]
    DayNotAfter {
        day: NaiveDate,
        queue_day: NaiveDate,
    },
    #[error(
        "the hub's clock says {clock_says}, not {day}: set the hub's clock first, then start the day"
    )]
    DayNotClock {
        day: NaiveDate,
        clock_says: NaiveDate,
    },
}

impl QueueError {
    /// The Fluent message id that tells a visitor or receptionist about this error.
    pub fn fluent_id(&self) -> &'static str {
        match self {
            QueueError::UnknownService(_) => "error-unknown-service",
            QueueError::ServiceClosed(_) => "error-service-closed",
            QueueError::NoWalkIn(_) => "error-no-walk-in",
            QueueError::NoAppointments(_) => "error-no-appointments",
            QueueError::UnknownPriority(_) => "error-unknown-priority",
            QueueError::UnknownCounter(_) => "error-unknown-counter",
            QueueError::UnknownTicket(_) => "error-unknown-ticket",
            QueueError::WrongState { .. } => "error-wrong-state",
            QueueError::NothingWaiting(_) => "error-nothing-waiting",
            QueueError::SameService(..) => "error-same-service",
            QueueError::NoSuchSlot { .. } => "error-no-such-slot",
            QueueError::SlotFull { .. } => "error-slot-full",
            QueueError::InThePast { .. } => "error-in-the-past",
            QueueError::TooFarAhead(..) => "error-too-far-ahead",
            QueueError::UnknownCode(_) => "error-unknown-code",
            QueueError::NotToday { .. } => "error-not-today",
            QueueError::AlreadyCheckedIn(_) => "error-already-checked-in",
            QueueError::UnknownActivity(_) => "error-unknown-activity",
            QueueError::NoSession(..) => "error-no-session",
            QueueError::BadName => "error-bad-name",
            QueueError::BadPhone => "error-bad-phone",
            QueueError::OnWaitlist(_) => "error-on-waitlist",
            QueueError::ActivityNotToday { .. } => "error-activity-not-today",
            QueueError::InvalidCatalog(_) => "error-invalid-catalog",
            QueueError::ServiceInUse { .. } => "error-service-in-use",
            QueueError::ActivityInUse { .. } => "error-activity-in-use",
            QueueError::SeatsBelowSignUps { .. } => "error-seats-below-signups",
            QueueError::CounterBusy(_) => "error-counter-busy",
            QueueError::TooLateToUndo(_) => "error-too-late-to-undo",
            QueueError::CodeNotForToday(_) => "error-code-not-for-today",
            QueueError::UnknownLabel(_) => "error-unknown-label",
            QueueError::AmbiguousLabel(_) => "error-ambiguous-label",
            QueueError::DayNotAfter { .. } => "error-day-not-after",
            QueueError::DayNotClock { .. } => "error-day-not-clock",
        }
    }

    /// The refusal a kiosk gets for a check-in: every "this code does not check in today" is
    /// the same answer, whatever the reason, so that codes cannot be probed from the lobby.
    /// Other refusals (closed service, and so on) pass unchanged.
    pub fn for_kiosk_check_in(self, code: &str) -> QueueError {
        match self {
            QueueError::UnknownCode(_)
            | QueueError::NotToday { .. }
            | QueueError::AlreadyCheckedIn(_)
            | QueueError::OnWaitlist(_)
            | QueueError::ActivityNotToday { .. }
            | QueueError::CodeNotForToday(_) => {
                QueueError::CodeNotForToday(code.trim().to_string())
            }
            other => other,
        }
    }

    /// Whether this refusal of a check-in counts as a wrong code (for the per-kiosk limit).
    pub fn is_wrong_code(&self) -> bool {
        matches!(
            self,
            QueueError::UnknownCode(_)
                | QueueError::NotToday { .. }
                | QueueError::AlreadyCheckedIn(_)
                | QueueError::OnWaitlist(_)
                | QueueError::ActivityNotToday { .. }
                | QueueError::CodeNotForToday(_)
        )
    }

    /// Every Fluent id `fluent_id` can return (the locale completeness test uses it).
    pub const FLUENT_IDS: [&'static str; 34] = [
        "error-unknown-service",
        "error-service-closed",
        "error-no-walk-in",
        "error-no-appointments",
        "error-unknown-priority",
        "error-unknown-counter",
        "error-unknown-ticket",
        "error-wrong-state",
        "error-nothing-waiting",
        "error-same-service",
        "error-no-such-slot",
        "error-slot-full",
        "error-in-the-past",
        "error-too-far-ahead",
        "error-unknown-code",
        "error-not-today",
        "error-already-checked-in",
        "error-unknown-activity",
        "error-no-session",
        "error-bad-name",
        "error-bad-phone",
        "error-on-waitlist",
        "error-activity-not-today",
        "error-invalid-catalog",
        "error-service-in-use",
        "error-activity-in-use",
        "error-seats-below-signups",
        "error-counter-busy",
        "error-code-not-for-today",
        "error-too-late-to-undo",
        "error-unknown-label",
        "error-ambiguous-label",
        "error-day-not-after",
        "error-day-not-clock",
    ];
}

/// A way the queue's indexes disagree with its tickets: a bug, found by the property tests and
/// by `integra doctor` (tickets named by their labels).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvariantError {
    #[error("waiting index of {service} holds unknown ticket {ticket}")]
    UnknownWaiting {
        service: ServiceCode,
        ticket: TicketId,
    },
    #[error("{label} is indexed as waiting in {indexed} but is {state} in {service}")]
    WrongWaiting {
        label: String,
        indexed: ServiceCode,
        state: &'static str,
        service: ServiceCode,
    },
    #[error("{0} is indexed twice")]
    IndexedTwice(String),
    #[error("ticket {0} is in a priority index but not waiting")]
    PriorityNotWaiting(TicketId),
    #[error("counter {counter} holds unknown ticket {ticket}")]
    UnknownAtCounter {
        counter: CounterId,
        ticket: TicketId,
    },
    #[error("counter {counter} holds {label} which is {state}")]
    WrongAtCounter {
        counter: CounterId,
        label: String,
        state: &'static str,
    },
    #[error("{0} is at two counters")]
    TwoCounters(String),
    #[error("{label} belongs to {day} but the queue's day is {today:?} and it is not at a counter")]
    OtherDay {
        label: String,
        day: NaiveDate,
        today: Option<NaiveDate>,
    },
    #[error("number {0} given twice today")]
    NumberTwice(String),
    #[error("{label} is {state} but waiting-indexed={waiting} at-counter={serving}")]
    Unindexed {
        label: String,
        state: &'static str,
        waiting: bool,
        serving: bool,
    },
    #[error("{0} is above the last number given")]
    AboveLast(String),
}
