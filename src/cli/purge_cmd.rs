//! `integra purge`: erase names and phones past the catalog's retention, now.

use super::{CliError, Context};

pub(super) fn purge_cmd(ctx: &Context) -> Result<(), CliError> {
    let mut store = crate::store::Store::open(&ctx.data_dir())?;
    let catalog = ctx.current_catalog(&store)?;
    let days = catalog.center.retention_days;
    let today = ctx
        .now()
        .with_timezone(&catalog.center.timezone)
        .date_naive();
    let before = store.purge_before(today, days)?;
    let done = store.purge_personal(before)?;
    println!(
        "erased names and phones of {} appointments and sign-ups dated before {before} (retention {days} days); {} snapshots rewritten; database vacuumed",
        done.events, done.snapshots
    );
    Ok(())
}
