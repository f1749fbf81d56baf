//! `integra promote` (issue #32 point 3): on the hub's standby, when the hub is dead, make the
//! standby's live copy (`DATA/standby/`, a complete hub data directory: database, the hub's
//! certificate and key, history id) the hub. Refused while the hub still answers, and when
//! there is no copy. The copy's epoch goes above every epoch this device has seen (durably,
//! in the copy's database) and a `promoted` mark is written in the data directory: the
//! running device process sees it and exits, systemd starts it again, and it now runs the hub
//! from the copy — the same identity, so every device's pin and every staff browser hold —
//! keeping its role (a kiosk becomes a hub-kiosk). The boot partition's `integra.toml` is not
//! touched. [`promote`] is what the technician screen calls.

use super::{CliError, Context, exit};
use crate::device::settings::{HubAddress, Settings};
use crate::store::{DB_FILE, Store, StoreError};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The standby's copy of the hub, in its data directory.
pub const STANDBY_DIR: &str = crate::standby::DIR;
/// A hub heard over the standby's link this recently is not dead (the stream's silence limit).
pub const HEARD_LATELY: Duration = crate::hub::stream::STALE_AFTER;
/// The mark of a promoted standby (its content: the new epoch).
pub const PROMOTED_MARK: &str = "promoted";

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// Promote even though the hub answered lately or its address is unknown (it is dead but
    /// this device cannot tell: a cable, a switch): the old hub steps down when it comes back
    #[arg(long)]
    force: bool,
    /// The hub's address, e.g. https://192.168.1.10:7878 (default: the settings' `hub`, else
    /// where it was last reached)
    #[arg(long, value_name = "URL")]
    hub: Option<String>,
}

/// Why the standby was not promoted; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    #[error(
        "there is no complete copy of the hub here ({missing} is missing in {dir}): this device is not the hub's standby (`standby = true` in its integra.toml) or its copy was never made. Restore the last backup onto a new card instead (deploy/README §7a)"
    )]
    NoCopy { dir: PathBuf, missing: String },
    #[error(
        "the hub at {hub} still answers (heard {ago} s ago, epoch {epoch}): it is not dead, and promoting now would make two hubs. Turn the hub off first. If the hub is dead but this device cannot tell (another device answers at that address), promote with `integra promote --force`"
    )]
    HubAnswers { hub: String, ago: u64, epoch: u64 },
    #[error(
        "the hub was heard {ago} s ago on this standby's link (up to #{seq}): it may not be dead. Wait until it has been silent for {} s and try again, or, if you are sure it is dead, `integra promote --force`",
        HEARD_LATELY.as_secs()
    )]
    HeardLately { ago: u64, seq: u64 },
    #[error(
        "this device does not know where the hub is, so it cannot check that the hub is dead: give its address with `--hub https://ADDRESS:7878`, or, if you are sure it is dead, `integra promote --force`"
    )]
    HubUnknown,
    #[error(
        "this device is already the hub (promoted to epoch {epoch}, see {mark}); nothing to do"
    )]
    AlreadyPromoted { epoch: u64, mark: PathBuf },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a promotion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promoted {
    /// The new hub's epoch.
    pub epoch: u64,
    /// The copy holds every event up to this one.
    pub seq: u64,
    /// When the newest event of the copy happened.
    pub last_event: Option<DateTime<Utc>>,
    /// How long before the promotion the hub was last heard on the standby's link.
    pub heard_ago: Option<u64>,
}

/// The data directory a process runs on: a promoted standby runs the hub from its copy.
pub fn data_for(base: PathBuf) -> PathBuf {
    if base.join(PROMOTED_MARK).exists() && base.join(STANDBY_DIR).join(DB_FILE).exists() {
        base.join(STANDBY_DIR)
    } else {
        base
    }
}

/// The context a command runs in: on a promoted standby, the copy is its data directory
/// (`integra promote` itself keeps the device's own, `promote`).
pub fn on_promoted(ctx: Context, promote: bool) -> Context {
    if promote {
        return ctx;
    }
    Context {
        data: Some(data_for(ctx.data_dir())),
        ..ctx
    }
}

/// Whether this process runs on a promoted standby's copy (it then runs the hub).
pub fn is_promoted(ctx: &Context) -> bool {
    let dir = ctx.data_dir();
    dir.file_name().is_some_and(|n| n == STANDBY_DIR)
        && dir.parent().is_some_and(|p| p.join(PROMOTED_MARK).exists())
}

/// On a device following a hub: exit (for systemd to start it again as the hub) as soon as
/// this device is promoted.
pub fn restart_when_promoted(base: &Path) {
    let mark = base.join(PROMOTED_MARK);
    let _ = std::thread::Builder::new()
        .name("promoted-watch".into())
        .spawn(move || {
            while !mark.exists() {
                std::thread::sleep(Duration::from_millis(500));
            }
            log::warn!("this device was promoted: restarting as the hub");
            std::process::exit(0);
        });
}

/// Promote the standby whose data directory is `base`. `hub`: where the hub is (to check it is
/// dead); `force`: promote although it answered or its address is unknown.
pub fn promote(base: &Path, hub: Option<&str>, force: bool) -> Result<Promoted, PromoteError> {
    let mark = base.join(PROMOTED_MARK);
    if let Ok(text) = std::fs::read_to_string(&mark) {
        return Err(PromoteError::AlreadyPromoted {
            epoch: text.trim().parse().unwrap_or(0),
            mark,
        });
    }
    let copy = base.join(STANDBY_DIR);
    for file in [
        DB_FILE,
        crate::hub::tls::CERT_FILE,
        crate::hub::tls::KEY_FILE,
        crate::store::identity::HISTORY_FILE,
    ] {
        if !copy.join(file).is_file() {
            return Err(PromoteError::NoCopy {
                dir: copy,
                missing: file.to_string(),
            });
        }
    }
    let fingerprint = crate::hub::tls::Identity::load_or_create(&copy)
        .map(|id| id.fingerprint())
        .map_err(|e| PromoteError::NoCopy {
            dir: copy.clone(),
            missing: format!("a readable certificate ({e})"),
        })?;
    let state = crate::standby::CopyState::read(base);
    let heard_ago = state
        .as_ref()
        .map(|s| (Utc::now() - s.heard).num_seconds().max(0).unsigned_abs());
    if !force {
        if let (Some(s), Some(ago)) = (&state, heard_ago)
            && ago < HEARD_LATELY.as_secs()
        {
            return Err(PromoteError::HeardLately { ago, seq: s.seq });
        }
        let hub = hub
            .or(state.as_ref().map(|s| s.hub.as_str()))
            .ok_or(PromoteError::HubUnknown)?;
        // A hub that stepped down is no hub; any other answer is a live hub.
        if let Some((status, epoch)) = crate::hub::epoch::probe(hub, &fingerprint)
            && status != "replaced"
        {
            return Err(PromoteError::HubAnswers {
                hub: hub.to_string(),
                ago: heard_ago.unwrap_or(0),
                epoch,
            });
        }
    }
    let store = Store::open(&copy)?;
    // Above every epoch this device has seen as a follower too.
    let seen = std::fs::read_to_string(base.join(crate::hub::client::EPOCH_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    let epoch = store.promote_epoch(seen)?;
    let seq = store.last_seq()?;
    let last_event = match seq {
        0 => None,
        n => store.events_after(n - 1)?.last().map(|e| e.at),
    };
    drop(store);
    let tmp = base.join("promoted.new");
    std::fs::write(&tmp, format!("{epoch}\n"))
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&tmp, &mark))
        .map_err(|source| PromoteError::Write {
            path: mark.clone(),
            source,
        })?;
    Ok(Promoted {
        epoch,
        seq,
        last_event,
        heard_ago,
    })
}

/// `integra promote`.
pub fn run(ctx: &Context, settings: Option<&Settings>, a: &PromoteArgs) -> Result<(), CliError> {
    let base = ctx.data_dir();
    let hub = a.hub.clone().or_else(|| match settings.map(Settings::hub) {
        Some(HubAddress::At(u)) => Some(super::hub_cmd::https_url(&u)),
        Some(HubAddress::Auto | HubAddress::Local) | None => {
            crate::hub::client::remembered_address(&base)
        }
    });
    let done = promote(&base, hub.as_deref(), a.force).map_err(|e| {
        let code = match &e {
            PromoteError::NoCopy { .. }
            | PromoteError::HubAnswers { .. }
            | PromoteError::HubUnknown
            | PromoteError::HeardLately { .. }
            | PromoteError::AlreadyPromoted { .. } => exit::REFUSED,
            PromoteError::Store(_) | PromoteError::Write { .. } => exit::FAILURE,
        };
        CliError::new(code, e)
    })?;
    println!(
        "this device is the hub now (epoch {}): it restarts as the hub within seconds, with the same certificate; devices follow it within a minute, and the old hub refuses to issue if it comes back",
        done.epoch
    );
    println!(
        "the copy holds every event up to #{}{}: the hub acknowledged a command only once this copy had it while connected, so nothing acknowledged is missing unless the copy was disconnected (the console said so) — then what the hub issued after that moment is missing",
        done.seq,
        done.last_event
            .map(|t| format!(" (the last at {})", t.to_rfc3339()))
            .unwrap_or_default()
    );
    if let Some(ago) = done.heard_ago {
        println!(
            "the hub was last heard on this standby's link {ago} s ago: if it went on alone before that (the console said the standby was behind or unreachable), up to {ago} s of tickets may be missing — ask in the lobby"
        );
    }
    Ok(())
}
