//! `integra backup`, `integra restore`, `integra purge`: a technician's work on the data
//! directory itself.

use super::{CliError, Context};
use std::path::Path;

pub fn backup(ctx: &Context, file: &Path) -> Result<(), CliError> {
    let store = crate::store::Store::open(&ctx.data_dir())?;
    let info = store.backup_to(file)?;
    println!(
        "backup written to {}: {} events (up to seq {}), {} tickets, {}; it holds names and phones: keep it locked away",
        file.display(),
        info.events,
        info.last_seq,
        info.tickets,
        if info.identity {
            "with the hub's key and certificate"
        } else {
            "without a hub identity (none in the data directory)"
        }
    );
    Ok(())
}

pub fn restore(ctx: &Context, file: &Path) -> Result<(), CliError> {
    let stamp = ctx.now().format("%Y%m%dT%H%M%SZ").to_string();
    let (info, kept) = crate::store::backup::restore(&ctx.data_dir(), file, &stamp)?;
    println!(
        "restored {}: {} events (up to seq {}), {} tickets; {}",
        file.display(),
        info.events,
        info.last_seq,
        info.tickets,
        if info.identity {
            "the hub's key and certificate too: paired devices and browsers carry on"
        } else {
            "the backup holds no hub identity (an older backup): pair every device again"
        }
    );
    if let Some(k) = kept {
        println!("the previous data is kept in {}", k.display());
    }
    Ok(())
}

pub fn purge(ctx: &Context) -> Result<(), CliError> {
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
