//! A device's side of fencing (`hub::epoch`): the highest hub epoch it has seen (kept in
//! `hub-epoch` in its data directory), a hub below it refused, the epoch sent with every
//! command; and the hub's standby, as the hub told it (kept in `hub-standby-address`), tried
//! in the failed rounds — how every device follows a promoted standby, `hub = "auto"` or a
//! fixed address alike.

use super::*;
use std::path::{Path, PathBuf};

/// Where a device keeps the highest hub epoch it has seen.
pub const EPOCH_FILE: &str = "hub-epoch";
/// Where a device keeps its hub's standby address, as the hub last told it.
pub const STANDBY_FILE: &str = "hub-standby-address";

/// The number in `dir/name`, if any.
fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    let done = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = done {
        log::warn!("cannot keep {}: {e}", path.display());
    }
}

impl Remote {
    /// Keep the fence in `dir` (the device's data directory): the highest epoch seen and the
    /// standby's address are read now and written when they change.
    pub fn remember_in(&self, dir: &Path) {
        let inner = &self.inner;
        if let Some(e) = read_number(&dir.join(EPOCH_FILE)) {
            inner.epoch.fetch_max(e, Ordering::SeqCst);
        }
        let standby = std::fs::read_to_string(dir.join(STANDBY_FILE))
            .ok()
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty());
        if let Ok(mut slot) = inner.other.lock()
            && slot.is_none()
        {
            *slot = standby;
        }
        if let Ok(mut keep) = inner.keep.lock() {
            *keep = Some(dir.to_path_buf());
        }
    }

    /// The highest hub epoch this device has seen.
    pub fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::SeqCst)
    }

    /// The address tried when the hub does not answer (its standby, as the hub told it).
    pub fn standby(&self) -> Option<String> {
        self.inner.other.lock().ok().and_then(|o| o.clone())
    }
}

fn keep_dir(inner: &Inner) -> Option<PathBuf> {
    inner.keep.lock().ok().and_then(|k| k.clone())
}

/// The hub said its epoch: keep the highest (durably when a directory is set).
pub(super) fn saw_epoch(inner: &Inner, epoch: u64) {
    let before = inner.epoch.fetch_max(epoch, Ordering::SeqCst);
    if epoch > before
        && let Some(dir) = keep_dir(inner)
    {
        write_atomically(&dir.join(EPOCH_FILE), &epoch.to_string());
    }
}

/// The hub said where its standby is: try it when the hub does not answer.
pub(super) fn saw_standby(inner: &Inner, standby: Option<&str>) {
    let Some(standby) = standby.map(|s| s.trim_end_matches('/').to_string()) else {
        return;
    };
    if standby == inner.base() {
        return;
    }
    if let Ok(mut other) = inner.other.lock() {
        *other = Some(standby.clone());
    }
    if let Some(dir) = keep_dir(inner) {
        let path = dir.join(STANDBY_FILE);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(standby.as_str()) {
            write_atomically(&path, &standby);
        }
    }
}

/// Ask the hub at the current address its epoch before following it: a hub that stepped down
/// or one below the highest epoch seen (an old hub come back with the same certificate) is
/// refused, and the device keeps looking.
pub(super) async fn check_hub(inner: &Inner) -> Result<(), ClientError> {
    let base = inner.base();
    let r = inner
        .http
        .get(format!("{base}/api/v1/health"))
        .bearer_auth(&inner.token)
        .send()
        .await
        .map_err(|e| ClientError::Unreachable(format!("cannot reach {base}: {}", why(&e))))?;
    let v: Value = r.json().await.unwrap_or(Value::Null);
    let seen = inner.epoch.load(Ordering::SeqCst);
    if v["status"] == "replaced" {
        return Err(ClientError::Refused(format!(
            "the hub at {base} was replaced by a promoted one (epoch {}): looking for the new hub",
            v["replaced_by"].as_u64().unwrap_or(0)
        )));
    }
    // A hub from before epochs says none: it is epoch 1.
    let epoch = v["epoch"].as_u64().unwrap_or(1);
    if v["status"] != "starting" && epoch < seen {
        return Err(ClientError::Refused(format!(
            "the hub at {base} is an old hub (epoch {epoch}; this device has seen epoch {seen}): refused, looking for the new one"
        )));
    }
    Ok(())
}

/// A failed round: try the other address (the hub's standby, or back to the hub). True when
/// the address changed.
pub(super) fn try_other(inner: &Inner) -> bool {
    let Ok(mut other) = inner.other.lock() else {
        return false;
    };
    let Some(next) = other.clone() else {
        return false;
    };
    let Ok(mut base) = inner.base.lock() else {
        return false;
    };
    if *base == next {
        return false;
    }
    log::warn!("the hub at {base} does not answer: trying {next} (its standby)");
    *other = Some(std::mem::replace(&mut *base, next));
    true
}
