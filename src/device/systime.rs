//! The device's system clock source and time zone, kept by integra for the OS. On the image,
//! chrony and glibc read what integra writes in one directory (`/run/integra-time`, made at boot
//! by the image's tmpfiles rule, readable by all, written by the `integra` user):
//! - `integra.sources` — `server HUB iburst`: chrony's one source on a device that is not the
//!   hub. The hub's address is known only to integra (mDNS, or the settings, after `join`), so
//!   integra writes it when it connects; the image's path unit (`integra-time.path`) then asks
//!   chrony to reload its sources. The hub writes none: it serves its own clock to the LAN.
//! - `localtime` — a copy of `/usr/share/zoneinfo/ZONE` for the catalog's `[center] timezone`;
//!   the image's `/etc/localtime` points at it, so the device's local time (a technician's
//!   reading, the journal's times) is the center's.
//!
//! Off the image (no such directory) nothing is written: a developer's machine keeps its own.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::{Path, PathBuf};

/// Where the image keeps the files (`deploy/build-image.sh` makes it at boot).
pub const DIR: &str = "/run/integra-time";
/// The time zone database the zone is copied from.
pub const ZONEINFO: &str = "/usr/share/zoneinfo";

#[derive(Debug, thiserror::Error)]
pub enum SysTimeError {
    #[error(
        "cannot write {path}: {why} (the device keeps its own clock source or time zone meanwhile)"
    )]
    Write { path: PathBuf, why: std::io::Error },
    #[error(
        "the time zone {zone} is not in {dir}: install the package tzdata on the image (the device keeps its time zone meanwhile)"
    )]
    NoZone { zone: String, dir: PathBuf },
    #[error("{0} is not a host name or address a time source can be")]
    BadHost(String),
}

/// The files integra keeps for the OS's clock.
#[derive(Debug, Clone)]
pub struct SysTime {
    dir: PathBuf,
    zoneinfo: PathBuf,
}

/// Whether a file now holds these bytes (nothing to do).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|b| b == bytes)
}

/// Write `bytes` at `path` as one change (a reader sees the old file or the new one), readable
/// by everyone (chrony runs as its own user; the service's umask is 0077). `Ok(false)`: it
/// already held them.
fn put(path: &Path, bytes: &[u8]) -> Result<bool, SysTimeError> {
    use std::os::unix::fs::PermissionsExt;
    if holds(path, bytes) {
        return Ok(false);
    }
    let err = |why| SysTimeError::Write {
        path: path.to_path_buf(),
        why,
    };
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(true)
}

impl SysTime {
    /// The image's directory when it is there (`INTEGRA_TIME_DIR` overrides it, for tests).
    pub fn on_this_device() -> Option<SysTime> {
        let dir = std::env::var_os("INTEGRA_TIME_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DIR));
        dir.is_dir().then(|| SysTime::at(&dir, Path::new(ZONEINFO)))
    }

    pub fn at(dir: &Path, zoneinfo: &Path) -> SysTime {
        SysTime {
            dir: dir.to_path_buf(),
            zoneinfo: zoneinfo.to_path_buf(),
        }
    }

    /// chrony's source file.
    pub fn sources_file(&self) -> PathBuf {
        self.dir.join("integra.sources")
    }

    /// The zone file `/etc/localtime` points at.
    pub fn zone_file(&self) -> PathBuf {
        self.dir.join("localtime")
    }

    /// Take the time from the hub at `base` (`https://192.168.1.10:7878`): `Ok(true)` when the
    /// source changed (chrony is told by the image's path unit).
    pub fn follow_hub(&self, base: &str) -> Result<bool, SysTimeError> {
        let host = host_of(base).ok_or_else(|| SysTimeError::BadHost(base.into()))?;
        let text = format!(
            "# Written by integra: this device takes its time from the center's hub.\nserver {host} iburst\n"
        );
        put(&self.sources_file(), text.as_bytes())
    }

    /// Keep the system time zone the catalog's: `Ok(true)` when it changed.
    pub fn keep_zone(&self, zone: Tz) -> Result<bool, SysTimeError> {
        let name = zone.name();
        let source = self.zoneinfo.join(name);
        let bytes = std::fs::read(&source).map_err(|_| SysTimeError::NoZone {
            zone: name.to_string(),
            dir: self.zoneinfo.clone(),
        })?;
        put(&self.zone_file(), &bytes)
    }
}

/// The host of a hub address, as chrony takes it (an IPv6 address without brackets).
fn host_of(base: &str) -> Option<String> {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '%'));
    ok.then(|| host.to_string())
}

/// What the doctor says when this device's own clock differs from the hub's by more than
/// `hub::client::clock::TOLERATED` (`own` is this device's clock now); `None` when it does not,
/// or when the hub did not say its time.
pub fn off_the_hub(hub: Option<DateTime<Utc>>, own: DateTime<Utc>) -> Option<String> {
    let apart = own.signed_duration_since(hub?);
    let tolerated = chrono::Duration::from_std(crate::hub::client::clock::TOLERATED).ok()?;
    (apart.abs() > tolerated).then(|| {
        format!(
            "this device's own clock is {} the hub's (its screens use the hub's time)",
            crate::hub::client::clock::describe(apart)
        )
    })
}

/// The fix for a device whose clock is off the hub's.
pub const OFF_FIX: &str = "the device sets its clock from the hub by itself (chrony) within a minute of finding it; if this stays, restart the device, and check that the hub's address is reachable on UDP port 123";

/// Keep both for a device that follows a hub: log what changed or failed, never stop.
pub fn follow(base: &str, zone: Tz) {
    let Some(sys) = SysTime::on_this_device() else {
        return;
    };
    match sys.follow_hub(base) {
        Ok(true) => log::info!("the system clock now follows the hub at {base} (chrony)"),
        Ok(false) => {}
        Err(e) => log::warn!("{e}"),
    }
    keep_zone(&sys, zone);
}

/// Keep the zone (the hub: the catalog it serves).
pub fn serve(zone: Tz) {
    if let Some(sys) = SysTime::on_this_device() {
        keep_zone(&sys, zone);
    }
}

fn keep_zone(sys: &SysTime, zone: Tz) {
    match sys.keep_zone(zone) {
        Ok(true) => log::info!("the system time zone is now the center's: {}", zone.name()),
        Ok(false) => {}
        Err(e) => log::warn!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_off_the_hubs_by_more_than_a_minute_is_told() {
        let hub = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        assert_eq!(off_the_hub(None, hub), None);
        assert_eq!(
            off_the_hub(Some(hub), hub + chrono::Duration::seconds(59)),
            None
        );
        let off = off_the_hub(Some(hub), hub - chrono::Duration::hours(3)).expect("off");
        assert!(off.contains("3 h behind the hub's"), "{off}");
    }

    #[test]
    fn hosts_are_read_from_hub_addresses() {
        for (base, host) in [
            ("https://192.168.1.10:7878", Some("192.168.1.10")),
            ("http://[fe80::1%eth0]:7878/", Some("fe80::1%eth0")),
            ("https://hub.local", Some("hub.local")),
            ("https://bad host:1", None),
            ("https://:7878", None),
        ] {
            assert_eq!(host_of(base).as_deref(), host, "{base}");
        }
    }

    #[test]
    fn the_source_and_the_zone_are_written_once_and_readable_by_all() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let zoneinfo = dir.path().join("zoneinfo");
        std::fs::create_dir_all(zoneinfo.join("America")).expect("dir");
        std::fs::write(zoneinfo.join("America/Bogota"), b"TZif bogota").expect("zone");
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).expect("run");
        let sys = SysTime::at(&run, &zoneinfo);
        assert!(sys.follow_hub("https://10.0.0.7:7878").expect("write"));
        assert!(!sys.follow_hub("https://10.0.0.7:7878").expect("same"));
        let text = std::fs::read_to_string(sys.sources_file()).expect("sources");
        assert!(
            text.lines().any(|l| l == "server 10.0.0.7 iburst"),
            "{text}"
        );
        assert!(!text.contains("pool"), "{text}");
        assert!(sys.keep_zone(chrono_tz::America::Bogota).expect("zone"));
        assert!(!sys.keep_zone(chrono_tz::America::Bogota).expect("same"));
        assert_eq!(
            std::fs::read(sys.zone_file()).expect("zone"),
            b"TZif bogota"
        );
        for f in [sys.sources_file(), sys.zone_file()] {
            let mode = std::fs::metadata(&f).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{}", f.display());
        }
        let missing = sys
            .keep_zone(chrono_tz::America::Lima)
            .expect_err("no such file");
        assert!(missing.to_string().contains("tzdata"), "{missing}");
        assert_eq!(
            std::fs::read(sys.zone_file()).expect("zone"),
            b"TZif bogota"
        );
    }
}
