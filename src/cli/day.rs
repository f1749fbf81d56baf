//! The queue's day for a technician's commands: the core's one rule ([`Queue::day_turn`]) with
//! this program's own trust in its clock.
//!
//! [`Queue::day_turn`]: crate::core::Queue::day_turn

use super::{CliError, Context};
use crate::core::Command;
use crate::engine::Engine;

/// Turn the day before a command when the core says so: a time given with `--at` is the
/// technician's word; the system clock is believed only while a time source keeps it.
pub(super) fn turn_if_due(ctx: &Context, engine: &mut Engine) -> Result<(), CliError> {
    let trust = match ctx.at {
        Some(_) => crate::core::ClockTrust::Confirmed,
        None => crate::hub::day::system_clock_trust(),
    };
    let now = ctx.now();
    match engine.queue().day_turn(now, trust) {
        crate::core::DayTurn::Same => {}
        crate::core::DayTurn::Start(day) => {
            engine.execute(
                &Command::StartDay {
                    day,
                    by: "cli".into(),
                },
                now,
            )?;
        }
        crate::core::DayTurn::Ask {
            clock_says,
            queue_day,
        } => eprintln!(
            "note: this computer's clock says {clock_says} but is not kept by a time source, so the queue stays on {queue_day}; a coordinator starts the new day on the hub's console (or give the time with --at)"
        ),
        crate::core::DayTurn::Behind {
            clock_says,
            queue_day,
        } => eprintln!(
            "note: this computer's clock says {clock_says}, before the queue's day {queue_day}; the queue goes on in {queue_day}"
        ),
    }
    Ok(())
}
