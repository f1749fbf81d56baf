//! Finding the hub with no address set: the hub announces itself over mDNS as `_integra._tcp`
//! (with its center's name and API path); counters, displays and second kiosks browse for it.

use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent, ServiceInfo};
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const SERVICE_TYPE: &str = "_integra._tcp.local.";

/// Where to announce and look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every network interface (a real center).
    Lan,
    /// Only this machine's loopback (tests, which must not send on a real network).
    Loopback,
}

/// What mDNS could not do (multicast missing, a socket refused…), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsError {
    /// What was being done, in words ("cannot look for hubs over mDNS").
    pub doing: &'static str,
    pub why: String,
}

impl std::fmt::Display for MdnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.doing, self.why)
    }
}

impl std::error::Error for MdnsError {}

fn daemon(scope: Scope) -> Result<ServiceDaemon, MdnsError> {
    let d = ServiceDaemon::new().map_err(|e| MdnsError {
        doing: "cannot start mDNS (is multicast available?)",
        why: e.to_string(),
    })?;
    if scope == Scope::Loopback {
        d.disable_interface(IfKind::All)
            .and_then(|_| d.enable_interface(IfKind::LoopbackV4))
            .map_err(|e| MdnsError {
                doing: "cannot limit mDNS to loopback",
                why: e.to_string(),
            })?;
    }
    Ok(d)
}

/// The hub's announcement; it stops when dropped.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullname: String,
}

impl Drop for Announcement {
    fn drop(&mut self) {
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

/// This machine's host name (its mDNS name is this + `.local`).
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "integra-hub".into())
}

/// Announce a hub of `center` listening on `port`, under `instance` (default: integra-HOST),
/// in `scope`, with its certificate's fingerprint (so a device picks its own hub among several
/// answers; anyone can copy it, which is why devices also check the certificate itself).
pub fn announce(
    center: &str,
    port: u16,
    instance: Option<&str>,
    scope: Scope,
    fingerprint: &str,
) -> Result<Announcement, MdnsError> {
    let daemon = daemon(scope)?;
    let host = host_name();
    let instance = instance
        .map(str::to_string)
        .unwrap_or_else(|| format!("integra-{host}"));
    let props = [
        ("center", center),
        ("version", env!("CARGO_PKG_VERSION")),
        ("api", "/api/v1"),
        ("fingerprint", fingerprint),
    ];
    let info = ServiceInfo::new(
        SERVICE_TYPE,
        &instance,
        &format!("{host}.local."),
        "",
        port,
        &props[..],
    )
    .map_err(|e| MdnsError {
        doing: "cannot describe the hub for mDNS",
        why: e.to_string(),
    })?
    .enable_addr_auto();
    let fullname = info.get_fullname().to_string();
    daemon.register(info).map_err(|e| MdnsError {
        doing: "cannot announce the hub over mDNS",
        why: e.to_string(),
    })?;
    Ok(Announcement { daemon, fullname })
}

/// A hub found on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub instance: String,
    pub center: String,
    /// e.g. `https://192.168.1.10:7878`
    pub url: String,
    /// The certificate fingerprint the hub announces (empty if none).
    pub fingerprint: String,
}

/// Browse for hubs for up to `wait`; returns as soon as one is found when `first` is set.
pub fn discover(wait: Duration, first: bool, scope: Scope) -> Result<Vec<Found>, MdnsError> {
    let daemon = daemon(scope)?;
    let rx = daemon.browse(SERVICE_TYPE).map_err(|e| MdnsError {
        doing: "cannot look for hubs over mDNS",
        why: e.to_string(),
    })?;
    let deadline = Instant::now() + wait;
    let mut found: Vec<Found> = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(event) = rx.recv_timeout(left) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(s) = event {
            // IPv4 first: the simplest for a technician to read and type.
            let mut ips: Vec<IpAddr> = s.get_addresses().iter().map(|a| a.to_ip_addr()).collect();
            ips.sort_by_key(|ip| (ip.is_ipv6(), ip.is_loopback()));
            let Some(ip) = ips.first() else { continue };
            let host = match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            let f = Found {
                instance: s
                    .get_fullname()
                    .trim_end_matches(SERVICE_TYPE)
                    .trim_end_matches('.')
                    .to_string(),
                center: s
                    .get_property_val_str("center")
                    .unwrap_or_default()
                    .to_string(),
                url: format!("https://{host}:{}", s.get_port()),
                fingerprint: s
                    .get_property_val_str("fingerprint")
                    .unwrap_or_default()
                    .to_string(),
            };
            if !found.contains(&f) {
                found.push(f);
            }
            if first {
                break;
            }
        }
    }
    let _ = daemon.shutdown();
    Ok(found)
}
