//! Backups that bring the center back (issue #32 point 4): the hub's identity travels with its
//! data, a new card restored at its first start is the same hub to every paired device, the
//! automatic backups land on the stick (and only on a mounted one), an admin downloads one,
//! and a device whose mirror holds a history the restored hub lost reloads from the hub.

use super::common::*;
use super::hub::start_hub;
use integra::core::{Event, Lang};
use integra::device::settings::BackupSettings;
use integra::engine::Engine;
use integra::hub::client::Remote;
use integra::hub::{Hub, QueueAccess, Role, auth};
use integra::store::Store;
use integra::store::backup::{restore, verify};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// Wait (at most 20 s) until `f` holds.
fn wait(what: &str, f: &dyn Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A hub over `dir` served on 127.0.0.1:`port` (0: any) on a runtime of its own; over TLS with
/// the identity in `dir` when `tls`.
fn serve(dir: &Path, port: u16, tls: bool) -> (tokio::runtime::Runtime, Hub, SocketAddr) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let hub = Hub::new(
        Engine::open(dir, catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let config = tls.then(|| {
        integra::hub::tls::Identity::load_or_create(dir)
            .expect("identity")
            .server_config()
            .expect("tls")
    });
    let (addr, _) = rt
        .block_on(hub.serve_with(SocketAddr::from(([127, 0, 0, 1], port)), config))
        .expect("serve");
    assert!(rt.block_on(hub.wait_ready(Duration::from_secs(10))));
    (rt, hub, addr)
}

fn stick(dir: &Path) -> BackupSettings {
    BackupSettings {
        dir: dir.to_path_buf(),
        require_mount: false,
        ..BackupSettings::default()
    }
}

fn labels(events: &[integra::core::Stamped]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::TicketIssued { ticket, .. } => Some(ticket.label()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_card_restored_from_the_stick_is_the_same_hub_to_a_device_paired_before() {
    let old = tempfile::tempdir().expect("old card");
    let usb = tempfile::tempdir().expect("stick");
    let (rt, hub, addr) = serve(old.path(), 0, true);
    let store = Store::open(old.path()).expect("store");
    let (pin, _) = auth::new_pin(&store, Role::Kiosk, chrono::Utc::now()).expect("pin");
    let url = format!("https://{addr}");
    let paired = Remote::pair_pinned(&url, &pin, "kiosk 2", None).expect("pair over TLS");
    let fingerprint = paired.fingerprint.clone().expect("the hub's fingerprint");
    let remote =
        Remote::start_pinned(&url, &paired.token, Some(&fingerprint), catalog()).expect("remote");
    wait("online", &|| remote.online());
    let run = |service: &str| {
        remote
            .session()
            .run(&issue(service, None), monday_9(), Lang::Es)
    };
    assert_eq!(labels(&run("info").expect("issue")), ["A-001"]);
    // The automatic backup: on the stick, with the identity inside.
    let done = hub
        .backup_tick(&stick(usb.path()), monday_9())
        .expect("backup")
        .expect("a first backup is due");
    assert!(verify(&done.file).expect("valid").identity);
    // The card dies.
    rt.shutdown_background();
    drop(hub);
    wait("offline", &|| !remote.online());
    // A new card: an empty data directory whose settings say to restore the newest backup.
    let new = tempfile::tempdir().expect("new card");
    let settings = BackupSettings {
        restore: Some("latest".into()),
        ..stick(usb.path())
    };
    let restored = integra::hub::backups::restore_at_start(new.path(), &settings, monday_9())
        .expect("restore")
        .expect("restored onto the empty card");
    assert_eq!(restored.file, done.file);
    assert!(restored.identity);
    let same = integra::hub::tls::Identity::load_or_create(new.path()).expect("identity");
    assert_eq!(same.fingerprint(), fingerprint, "the same certificate");
    // The restored hub on the same address: the device carries on with no new pairing.
    let (_rt2, hub2, _) = serve(new.path(), addr.port(), true);
    wait("online again", &|| remote.online());
    wait("caught up", &|| {
        remote.seq() == hub2.session().queue().seq()
    });
    assert_eq!(
        labels(&run("info").expect("issue after restore")),
        ["A-002"]
    );
    // A second start finds data: the restore line does nothing more.
    drop(hub2);
    assert!(
        integra::hub::backups::restore_at_start(new.path(), &settings, monday_9())
            .expect("no error")
            .is_none()
    );
}

#[test]
fn automatic_backups_land_on_the_stick_keep_n_days_and_alert_after_a_day_without() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().expect("card");
    let usb = tempfile::tempdir().expect("stick");
    let fingerprint = integra::hub::tls::Identity::load_or_create(data.path())
        .expect("identity")
        .fingerprint();
    let hub = Hub::new(
        Engine::open(data.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let s = BackupSettings {
        keep: 2,
        every_minutes: 60,
        ..stick(usb.path())
    };
    let t0 = monday_9();
    let first = hub
        .backup_tick(&s, t0)
        .expect("tick")
        .expect("first backup");
    assert!(first.file.starts_with(usb.path()));
    assert!(first.file.ends_with(format!(
        "integra-backup-{}.sqlite3",
        t0.with_timezone(&tz()).date_naive()
    )));
    let mode = std::fs::metadata(&first.file)
        .expect("file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "as secret as the data");
    // The identity inside: restored elsewhere, the same certificate.
    let elsewhere = tempfile::tempdir().expect("elsewhere");
    restore(elsewhere.path(), &first.file, "t").expect("restore");
    assert_eq!(
        integra::hub::tls::Identity::load_or_create(elsewhere.path())
            .expect("identity")
            .fingerprint(),
        fingerprint
    );
    // Not due again a minute later; due an hour later once the log moved.
    assert!(hub.backup_tick(&s, t0 + mins(1)).expect("tick").is_none());
    hub.session()
        .execute(&issue("info", None), t0)
        .expect("issue");
    let later = hub
        .backup_tick(&s, t0 + mins(61))
        .expect("tick")
        .expect("due");
    assert_eq!(later.file, first.file, "one file per day");
    assert_eq!(later.seq, hub.session().queue().seq());
    // Three more days: only the newest two files are kept.
    for d in 1..=3 {
        let made = hub
            .backup_tick(&s, t0 + chrono::Duration::days(d))
            .expect("tick");
        assert!(made.is_some(), "a new day makes a backup");
    }
    assert_eq!(integra::hub::backups::files_in(usb.path()).len(), 2);
    let status = hub.backup_status();
    assert_eq!(status.dir.as_deref(), Some(usb.path()));
    assert!(status.problem.is_none());
    // A directory that is not a mount point (the stick is out): nothing is written there, the
    // admin page says why, and after a day without a backup staff are alerted.
    let unplugged = BackupSettings {
        require_mount: true,
        ..s.clone()
    };
    let before = integra::hub::backups::files_in(usb.path());
    let t4 = t0 + chrono::Duration::days(3) + chrono::Duration::hours(2);
    hub.session()
        .execute(&issue("info", None), t4)
        .expect("issue");
    let refused = hub.backup_tick(&unplugged, t4);
    assert!(matches!(
        refused,
        Err(integra::hub::backups::BackupError::NotMounted { .. })
    ));
    assert_eq!(integra::hub::backups::files_in(usb.path()), before);
    assert!(
        hub.backup_status()
            .problem
            .is_some_and(|p| p.contains("INTEGRA-BAK"))
    );
    let kinds = |h: &Hub| -> Vec<&str> { h.alerts().into_iter().map(|a| a.kind.code()).collect() };
    assert!(kinds(&hub).is_empty(), "{:?}", kinds(&hub));
    let _ = hub.backup_tick(&unplugged, t4 + chrono::Duration::hours(25));
    assert_eq!(kinds(&hub), ["backup-missing"]);
    // The stick is back: a backup, and the alert clears.
    hub.backup_tick(&s, t4 + chrono::Duration::hours(26))
        .expect("tick")
        .expect("backup");
    assert!(kinds(&hub).is_empty());
}

#[test]
fn the_backup_thread_writes_to_the_stick_by_itself() {
    let data = tempfile::tempdir().expect("card");
    let usb = tempfile::tempdir().expect("stick");
    let hub = Hub::new(
        Engine::open(data.path(), catalog()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let _runner = hub.start_backups(stick(usb.path()));
    wait("a backup on the stick", &|| {
        !integra::hub::backups::files_in(usb.path()).is_empty()
    });
    wait("on the admin page", &|| hub.backup_status().last.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_downloads_a_backup_with_the_identity_and_nobody_else_can() {
    let h = start_hub(catalog()).await;
    integra::hub::tls::Identity::load_or_create(h.dir.path()).expect("identity");
    let admin = h.token(Role::Admin).await;
    let path = "/api/v1/admin/backup/file";
    for role in [Role::Kiosk, Role::Counter, Role::Display] {
        let t = h.token(role).await;
        let (status, _) = h.call("GET", path, Some(&t), None).await;
        assert_eq!(status.as_u16(), 403, "{role:?}");
    }
    let (status, _) = h.call("GET", path, None, None).await;
    assert_eq!(status.as_u16(), 401);
    let r = h
        .http
        .get(h.url(path))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("download");
    assert_eq!(r.status().as_u16(), 200);
    let disposition = r
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"integra-backup-"),
        "{disposition}"
    );
    let bytes = r.bytes().await.expect("body");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("downloaded.sqlite3");
    std::fs::write(&file, &bytes).expect("write");
    let info = verify(&file).expect("a valid backup");
    assert!(info.identity, "the hub's key and certificate are inside");
    assert_eq!(info.last_seq, h.seq());
    // Nothing is left on the hub's card, and the download is in the audit log.
    let left: Vec<_> = std::fs::read_dir(h.dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("download-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let (_, audit) = h
        .call("GET", "/api/v1/admin/audit", Some(&admin), None)
        .await;
    let entries = audit["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["op"] == "backup-downloaded" && e["by"] == "test admin"),
        "{audit}"
    );
}

#[test]
fn a_device_ahead_of_a_restored_hub_reloads_instead_of_keeping_tickets_the_hub_lost() {
    let old = tempfile::tempdir().expect("old card");
    let (rt, hub, addr) = serve(old.path(), 0, false);
    let store = Store::open(old.path()).expect("store");
    let (pin, _) = auth::new_pin(&store, Role::Kiosk, chrono::Utc::now()).expect("pin");
    let base = format!("http://{addr}");
    let (token, _) = Remote::pair(&base, &pin, "kiosk 2").expect("pair");
    let remote = Remote::start(&base, &token, catalog()).expect("remote");
    wait("online", &|| remote.online());
    let run = |service: &str| {
        remote
            .session()
            .run(&issue(service, None), monday_9(), Lang::Es)
            .expect("issue")
    };
    run("info");
    let backup = old.path().join("backup.sqlite3");
    let info = store.backup_to(&backup).expect("backup");
    // After the backup: three more tickets the device shows and the backup does not hold.
    for _ in 0..3 {
        run("info");
    }
    wait("the mirror is current", &|| {
        remote.seq() == hub.session().queue().seq()
    });
    let device_seq = remote.seq();
    assert!(device_seq > info.last_seq);
    rt.shutdown_background();
    drop(hub);
    wait("offline", &|| !remote.online());
    // The restored hub goes on beyond the device's position before the device is back.
    let new = tempfile::tempdir().expect("new card");
    restore(new.path(), &backup, "t").expect("restore");
    {
        let mut e = Engine::open(new.path(), catalog()).expect("engine");
        while e.queue().seq() <= device_seq {
            e.execute(&issue("legal", None), monday_9()).expect("issue");
        }
    }
    let (_rt2, hub2, _) = serve(new.path(), addr.port(), false);
    wait("online again", &|| remote.online());
    let truth = || serde_json::to_value(hub2.session().queue().state()).expect("json");
    let mirror = || serde_json::to_value(remote.session().queue().state()).expect("json");
    wait("the mirror is exactly the restored hub's state", &|| {
        remote.seq() == hub2.session().queue().seq() && mirror() == truth()
    });
    let waiting = remote.session().queue().waiting_count(&"info".into());
    assert_eq!(waiting, 1, "only the ticket the restored hub has");
}

#[test]
fn backup_settings_are_checked_with_the_fix() {
    use integra::device::settings::Settings;
    let bad = "role = \"hub\"\n[backup]\ndir = \"backups\"\nkeep = 0\nevery_minutes = 1\n";
    let err = Settings::parse(bad, "integra.toml")
        .expect_err("refused")
        .to_string();
    for fix in [
        "integra.toml:3",
        "not an absolute path",
        "integra.toml:4",
        "give 1 or more",
        "integra.toml:5",
        "give 5 or more",
    ] {
        assert!(err.contains(fix), "{fix} in: {err}");
    }
    let counter = "role = \"counter\"\n[backup]\n";
    let err = Settings::parse(counter, "integra.toml")
        .expect_err("refused")
        .to_string();
    assert!(err.contains("only the hub makes backups"), "{err}");
    let ok =
        Settings::parse("role = \"kiosk\"\n[backup]\nrestore = \"latest\"\n", "x").expect("valid");
    let b = ok.backup.expect("[backup]");
    assert_eq!(b.keep, 14);
    assert!(b.require_mount);
}
