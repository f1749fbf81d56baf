//! A hub that loses power (no FIN, no RST): devices notice within the stream's silence limit
//! and come back by themselves with what they missed; a restarted hub expects its paired
//! devices and raises device-offline for one that does not come back.
//!
//! The power cut is a relay on loopback between the device and the hub that stops forwarding
//! without closing anything: both sockets stay open and every byte is dropped.

use super::common::*;
use integra::core::Lang;
use integra::hub::client::{Remote, STALE_AFTER};
use integra::hub::{Hub, QueueAccess, Role, auth};
use integra::store::Store;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A TCP forwarder to `upstream`; `cut()` makes it a dead hub: connections stay open (and new
/// ones are accepted) but nothing goes through in either direction, and nobody is told.
pub struct Relay {
    pub addr: SocketAddr,
    forwarding: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let addr = listener.local_addr().expect("relay address");
        let forwarding = Arc::new(AtomicBool::new(true));
        let on = forwarding.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                        continue;
                    };
                    let on = on.clone();
                    std::thread::spawn(move || pump(from, to, &on));
                }
            }
        });
        Relay { addr, forwarding }
    }

    pub fn cut(&self) {
        self.forwarding.store(false, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.forwarding.store(true, Ordering::SeqCst);
    }
}

/// A TCP forwarder to `upstream` that can be unplugged like a hub whose process died (its
/// machine still up): `unplug()` closes every connection — the device sees it at once — and
/// closes new ones as they come; `plug()` forwards again.
pub struct Switch {
    pub addr: SocketAddr,
    on: Arc<AtomicBool>,
    live: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Switch {
    pub fn start(upstream: SocketAddr) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the switch");
        let addr = listener.local_addr().expect("switch address");
        let on = Arc::new(AtomicBool::new(true));
        let live = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up, conns) = (on.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
                        continue;
                    };
                    if let Ok(mut l) = conns.lock()
                        && let Ok(c) = from.try_clone()
                    {
                        l.push(c);
                    }
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
            }
        });
        Switch { addr, on, live }
    }

    pub fn unplug(&self) {
        self.on.store(false, Ordering::SeqCst);
        if let Ok(mut l) = self.live.lock() {
            for c in l.drain(..) {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    }

    pub fn plug(&self) {
        self.on.store(true, Ordering::SeqCst);
    }
}

/// Copy `from` to `to` while forwarding; during a cut, read and drop (a close is not passed
/// on either: a hub without power says nothing).
fn pump(mut from: TcpStream, mut to: TcpStream, on: &AtomicBool) {
    let through = || on.load(Ordering::SeqCst);
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => {
                if through() {
                    let _ = to.shutdown(Shutdown::Write);
                }
                return;
            }
            Ok(n) => {
                if through() && to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Wait for `f` with a deadline; the time it took.
fn wait_for(what: &str, limit: Duration, f: &dyn Fn() -> bool) -> Duration {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out after {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.elapsed()
}

fn labels(remote: &Remote) -> Vec<String> {
    remote.with_queue(|q| q.state().tickets.values().map(|t| t.label()).collect())
}

#[test]
fn a_device_notices_a_silent_hub_and_comes_back_with_the_tickets_it_missed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_rt, hub, addr) = serve(dir.path());
    let token = pair(addr, dir.path(), Role::Counter, "counter 1");
    let relay = Relay::start(addr);
    let remote =
        Remote::start(&format!("http://{}", relay.addr), &token, catalog()).expect("remote");
    wait_for("online", Duration::from_secs(15), &|| remote.online());
    // The power cut: nothing closes, nothing arrives.
    relay.cut();
    // Meanwhile the hub (back, or never gone for another device) issues a ticket.
    hub.session()
        .run(&issue("info", None), monday_9(), Lang::Es)
        .expect("issue during the cut");
    let noticed = wait_for(
        "the device says it is offline",
        STALE_AFTER + Duration::from_secs(5),
        &|| !remote.online(),
    );
    assert!(
        noticed <= Duration::from_secs(35),
        "noticed after {noticed:?}"
    );
    assert!(labels(&remote).is_empty(), "nothing went through the cut");
    // Power is back: the device reconnects by itself and has the ticket issued during the cut.
    relay.resume();
    let back = wait_for("online again", Duration::from_secs(15), &|| {
        remote.online() && remote.seq() == hub.session().queue().seq()
    });
    assert_eq!(labels(&remote), ["A-001"], "back after {back:?}");
}

#[test]
fn a_restarted_hub_raises_device_offline_for_a_paired_device_that_does_not_come_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, hub, addr) = serve(dir.path());
    let gone = pair(addr, dir.path(), Role::Display, "lobby tv");
    let back = pair(addr, dir.path(), Role::Counter, "counter 2");
    let revoked = pair(addr, dir.path(), Role::Kiosk, "old kiosk");
    let revoked_id = Store::open(dir.path())
        .expect("store")
        .devices()
        .expect("devices")
        .into_iter()
        .find(|d| d.name == "old kiosk")
        .expect("the kiosk")
        .id;
    assert!(hub.revoke(revoked_id, "revoked", "test").expect("revoke"));
    drop((gone, revoked));
    // The hub loses power and starts again: no device has a stream to it yet.
    rt.shutdown_background();
    drop(hub);
    let started = chrono::Utc::now();
    let (_rt2, hub2, addr2) = serve(dir.path());
    let remote = Remote::start(&format!("http://{addr2}"), &back, catalog()).expect("remote");
    wait_for("the counter is back", Duration::from_secs(15), &|| {
        remote.online()
    });
    let offline = |h: &Hub| -> Vec<String> {
        let mut names: Vec<String> = h
            .alerts()
            .into_iter()
            .filter(|a| a.kind == integra::hub::AlertKind::DeviceOffline)
            .map(|a| a.device)
            .collect();
        names.sort();
        names
    };
    // Before the minute is up nobody is reported: devices need time to notice the restart.
    hub2.check_presence_at(started + chrono::Duration::seconds(30));
    assert!(offline(&hub2).is_empty(), "{:?}", offline(&hub2));
    // A minute after the start: the display that did not come back is reported, the counter
    // that did is not, nor the unpaired kiosk.
    hub2.check_presence_at(started + chrono::Duration::seconds(auth::EXPECTED_BACK_SECONDS + 1));
    assert_eq!(offline(&hub2), ["lobby tv"]);
}

/// A hub that restarts after a power cut expects its recorded standby back too: a minute after
/// the start without it, staff are told tickets are saved on the hub only (before, only a link
/// that closed while the hub ran said so).
#[test]
fn a_restarted_hub_raises_standby_offline_for_a_standby_that_does_not_come_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (rt, hub, addr) = serve(dir.path());
    let _token = pair(addr, dir.path(), Role::Kiosk, "spare kiosk");
    let spare = Store::open(dir.path())
        .expect("store")
        .devices()
        .expect("devices")
        .into_iter()
        .find(|d| d.name == "spare kiosk")
        .expect("the kiosk")
        .id;
    let standby_offline = |h: &Hub| {
        h.alerts()
            .into_iter()
            .any(|a| a.kind == integra::hub::AlertKind::StandbyOffline)
    };
    // No standby recorded: nothing is expected, nothing is said.
    hub.check_presence_at(chrono::Utc::now() + chrono::Duration::seconds(120));
    assert!(!standby_offline(&hub));
    // The spare was the hub's standby (the hub records it at its first link).
    std::fs::write(
        dir.path().join(integra::hub::replica::GRANT_FILE),
        spare.to_string(),
    )
    .expect("grant");
    rt.shutdown_background();
    drop(hub);
    let started = chrono::Utc::now();
    let (_rt2, hub2, _addr2) = serve(dir.path());
    hub2.check_presence_at(started + chrono::Duration::seconds(30));
    assert!(!standby_offline(&hub2), "{:?}", hub2.alerts());
    hub2.check_presence_at(started + chrono::Duration::seconds(auth::EXPECTED_BACK_SECONDS + 1));
    assert!(standby_offline(&hub2), "{:?}", hub2.alerts());
}

#[test]
fn a_device_that_looks_again_follows_its_hub_to_a_new_address_and_remembers_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_rt, hub, addr) = serve(dir.path());
    let token = pair(addr, dir.path(), Role::Kiosk, "kiosk 2");
    // The address the device knew answers no more (the hub came back with a new DHCP lease).
    let old = TcpListener::bind("127.0.0.1:0").expect("bind");
    let old_addr = old.local_addr().expect("address");
    drop(old);
    let remote = Remote::start(&format!("http://{old_addr}"), &token, catalog()).expect("remote");
    let now_at = format!("http://{addr}");
    let found = now_at.clone();
    remote.keep_looking(move || Some(found.clone()));
    let remembered = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let told = remembered.clone();
    remote.on_connected(move |url, _catalog| {
        if let Ok(mut t) = told.lock() {
            t.push(url.to_string());
        }
    });
    wait_for(
        "online at the new address",
        Duration::from_secs(15),
        &|| remote.online(),
    );
    assert_eq!(remote.base(), now_at);
    let told = remembered.lock().map(|t| t.clone()).unwrap_or_default();
    assert_eq!(told, vec![now_at], "the address that worked, to save");
    // Commands go to the new address too.
    let events = remote
        .session()
        .run(&issue("info", None), monday_9(), Lang::Es)
        .expect("issue at the new address");
    assert_eq!(issued_label(&events), "A-001");
    assert_eq!(hub.session().queue().seq(), remote.seq());
}
