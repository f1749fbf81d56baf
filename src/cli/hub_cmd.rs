//! `integra hub` (the hub alone, headless), `integra pair` and `integra devices`.

use super::{CliError, Context, exit};
use crate::engine::Engine;
use crate::hub::{Hub, HubPrinter, Role, auth};
use crate::printer::{SpoolEvent, Spooler};
use crate::store::Store;
use std::sync::Arc;

/// Open the engine and make the hub (with the printer, when one is set, for reprints). A new
/// card whose settings name a backup to restore gets it first (`backups::restore_at_start`).
pub fn open_hub(ctx: &Context) -> Result<Hub, CliError> {
    let restored = match &ctx.backup {
        Some(b) => crate::hub::backups::restore_at_start(&ctx.data_dir(), b, ctx.now())
            .map_err(|e| CliError::new(exit::FAILURE, e))?,
        None => None,
    };
    let catalog = ctx.load_catalog()?;
    let engine = Engine::open(&ctx.data_dir(), catalog)?;
    let hub = Hub::new(engine, ctx.at).map_err(|e| CliError::new(exit::FAILURE, e))?;
    hub.set_follow_base(ctx.follow_url.clone());
    hub.set_setup_code(ctx.setup_code.clone());
    if let Some(b) = &ctx.backup {
        hub.backups_found(b, restored);
    }
    Ok(hub)
}

/// Start the automatic backups when the hub has `[backup]` (by default on the image).
pub fn start_backups(ctx: &Context, hub: &Hub) -> Option<crate::hub::backups::Runner> {
    let b = ctx.backup.clone()?;
    println!(
        "backups: every day to the stick mounted at {} (keeping {} days)",
        b.dir.display(),
        b.keep
    );
    Some(hub.start_backups(b))
}

pub fn serve(ctx: &Context) -> Result<(), CliError> {
    let hub = open_hub(ctx)?;
    super::tech_cmd::report_own_doctor(ctx, &hub);
    // The device's system time zone is the catalog's (chrony serves the clock to the LAN).
    crate::device::systime::serve(hub.catalog().center.timezone);
    if let Some(uri) = ctx.printer.clone() {
        let alerts = hub.clone();
        let spooler = Spooler::start(uri, move |e| {
            if let SpoolEvent::Alerts(a) = e {
                alerts.set_device_alerts(
                    &crate::hub::AlertSource::local("hub"),
                    a.iter().map(|a| a.kind()).collect(),
                );
            }
        });
        hub.set_printer(Some(Arc::new(HubPrinter {
            spooler: Arc::new(spooler),
            format: ctx.format.clone(),
        })));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::new(
                exit::FAILURE,
                format!("cannot start the network runtime: {e}"),
            )
        })?;
    let (tls, fingerprint) = hub_identity(ctx)?;
    rt.block_on(async {
        let (addr, task) = hub.serve_with(ctx.listen, Some(tls)).await.map_err(|e| {
            CliError::new(
                exit::FAILURE,
                format!(
                    "cannot listen on {}: {e} (is another hub running? choose another address with --listen or `listen` in the settings)",
                    ctx.listen
                ),
            )
        })?;
        super::addresses::remember_listening(ctx, addr);
        println!(
            "hub of {} listening on https://{addr}/ (staff console; plain HTTP only redirects there); API at /api/v1, described at /api/v1/openapi.json",
            hub.catalog().center.name
        );
        println!(
            "the hub's certificate ({}): fingerprint {}",
            ctx.data_dir().join(crate::hub::tls::CERT_FILE).display(),
            crate::hub::tls::grouped(&fingerprint)
        );
        println!("pair a staff browser or device with: integra pair --role counter");
        if let Ok(crate::hub::setup::SetupState::Ready) = hub.setup_state() {
            println!("the first admin: open https://{addr}/setup in a browser and type the setup code from integra.toml (once)");
        }
        // Who prints what, in plain words.
        match &ctx.printer {
            Some(uri) => println!(
                "printer {uri}: prints the reprints receptionists ask for; every kiosk prints its own visitors' slips"
            ),
            None => println!(
                "no printer on this hub: every kiosk prints its own visitors' slips; a reprint asked from a console answers that there is no printer here (give one with --printer)"
            ),
        }
        let mut announced = announce_on_lan(&hub, addr, &fingerprint);
        withdraw_when_replaced(&hub, &mut announced);
        let _city = start_city_link(ctx, &hub);
        let _backups = start_backups(ctx, &hub);
        crate::device::watchdog::beat("hub");
        // READY only once a ticket can be issued (the first privacy purge is done).
        if !hub.wait_ready(std::time::Duration::from_secs(60)).await {
            log::warn!("the hub is still starting after 60 s (a long privacy purge?)");
        }
        crate::device::watchdog::ready(&format!("hub listening on {addr}"));
        crate::device::watchdog::start_pinger();
        tokio::select! {
            _ = task => {}
            _ = shutdown() => println!("hub stopped"),
        }
        // The next boot starts from here, even without a time source.
        hub.save_clock();
        Ok::<(), CliError>(())
    })
}

async fn shutdown() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Start sending the city's figures when the settings have `[city]` (its own thread; the
/// queue never waits for it).
pub fn start_city_link(ctx: &Context, hub: &Hub) -> Option<crate::city::replicate::Link> {
    let city = ctx.city.clone()?;
    println!(
        "sending this center's anonymous figures to the city database {}",
        crate::city::shown_url(&city.url)
    );
    Some(hub.start_city_link(city))
}

/// The hub's TLS identity (made at first start in its data directory) and its fingerprint.
pub fn hub_identity(ctx: &Context) -> Result<(Arc<rustls::ServerConfig>, String), CliError> {
    let id = crate::hub::tls::Identity::load_or_create(&ctx.data_dir())
        .map_err(|e| CliError::new(exit::FAILURE, e))?;
    let config = id
        .server_config()
        .map_err(|e| CliError::new(exit::FAILURE, e))?;
    Ok((config, id.fingerprint()))
}

pub fn pair(ctx: &Context, role: Role) -> Result<(), CliError> {
    let store = Store::open(&ctx.data_dir())?;
    let (_, fingerprint) = hub_identity(ctx)?;
    let (pin, expires) = auth::new_pin(&store, role, chrono::Utc::now())
        .map_err(|e| CliError::new(exit::FAILURE, e))?;
    // In the center's time, as the console shows it (the catalog in use names the zone).
    let zone = ctx.current_catalog(&store)?.center.timezone;
    let article = match role {
        Role::Admin => "an",
        Role::Kiosk | Role::Counter | Role::Display => "a",
    };
    println!(
        "Pairing PIN for {article} {} device, valid until {} (once):",
        role.as_str(),
        expires.with_timezone(&zone).format("%H:%M")
    );
    println!(
        "On the device, open the hub's page (https://HUB:{}/) or run `integra join --pin PIN`, and type the PIN.",
        super::addresses::listening_port(ctx)
    );
    println!(
        "The hub's certificate fingerprint (compare it on the device, or give it to `integra join --fingerprint`):"
    );
    println!("  {}", crate::hub::tls::grouped(&fingerprint));
    println!("{pin}");
    Ok(())
}

pub fn devices(ctx: &Context, revoke: Option<u64>) -> Result<(), CliError> {
    let store = Store::open(&ctx.data_dir())?;
    if let Some(id) = revoke {
        let target = store
            .devices()?
            .into_iter()
            .find(|d| d.id == id)
            .map(|d| format!("{} ({}) #{}", d.name, d.role, d.id));
        if !store.revoke_device(id, chrono::Utc::now())? {
            return Err(CliError::new(
                exit::USAGE,
                format!("no device {id}: run `integra devices` to see their numbers"),
            ));
        }
        if let Some(target) = target {
            store.log_security(chrono::Utc::now(), "revoked", &target, "command line")?;
        }
        println!(
            "device {id} revoked: it must pair again to reach the hub (a running hub closes its streams within a second)"
        );
        return Ok(());
    }
    let list = store.devices()?;
    if list.is_empty() {
        println!("no paired devices yet: pair one with `integra pair --role ROLE`");
    }
    for d in list {
        let state = match (&d.revoked_at, &d.last_seen) {
            (Some(t), _) => format!("revoked {}", t.format("%Y-%m-%d %H:%M")),
            (None, Some(t)) => format!("last seen {}", t.format("%Y-%m-%d %H:%M")),
            (None, None) => "never seen".into(),
        };
        println!("{:>4}  {:<8} {:<30} {state}", d.id, d.role, d.name);
    }
    Ok(())
}

/// Where a device keeps its hub token (readable by the integra user only).
fn token_path(ctx: &Context) -> std::path::PathBuf {
    ctx.data_dir().join("hub-token")
}

/// Where a device keeps the fingerprint of its hub's certificate (from `integra join`).
fn fingerprint_path(ctx: &Context) -> std::path::PathBuf {
    ctx.data_dir().join("hub-fingerprint")
}

/// The hub certificate fingerprint this device pinned at `integra join`, if any.
pub fn read_fingerprint(ctx: &Context) -> Option<String> {
    std::fs::read_to_string(fingerprint_path(ctx))
        .ok()
        .and_then(|f| crate::hub::tls::parse_fingerprint(f.trim()).ok())
}

/// The token this device got from `integra join`.
pub fn read_token(ctx: &Context, hub: &str) -> Result<String, CliError> {
    let path = token_path(ctx);
    std::fs::read_to_string(&path)
        .map(|t| t.trim().to_string())
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            CliError::new(
                exit::INVALID_CONFIG,
                format!(
                    "this device is not paired with the hub at {hub}: on the hub run `integra pair --role kiosk`, then here `integra join --pin PIN` (the token goes to {})",
                    path.display()
                ),
            )
        })
}

pub fn join(
    ctx: &Context,
    settings: Option<&crate::device::settings::Settings>,
    pin: &str,
    hub: Option<String>,
    name: Option<String>,
    fingerprint: Option<String>,
) -> Result<(), CliError> {
    let candidates = join_candidates(hub, settings)?;
    let expected = fingerprint
        .as_deref()
        .map(crate::hub::tls::parse_fingerprint)
        .transpose()
        .map_err(|e| CliError::new(exit::USAGE, e))?;
    let name = name
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "integra device".into());
    // Each candidate must prove it knows the PIN before this device sends anything more (see
    // `hub::pake`): a stranger announcing itself first is passed over, and learns nothing.
    let mut refusals = Vec::new();
    let mut found = None;
    for url in candidates.iter().map(|u| https_url(u)) {
        match crate::hub::client::Remote::pair_pinned(&url, pin.trim(), &name, expected.as_deref())
        {
            Ok(p) => {
                found = Some((url, p));
                break;
            }
            Err(e) => refusals.push(if candidates.len() > 1 {
                format!("{url}: {e}")
            } else {
                e.to_string()
            }),
        }
    }
    let Some((url, paired)) = found else {
        return Err(CliError::new(exit::FAILURE, refusals.join("; ")));
    };
    let Some(seen) = paired.fingerprint.clone() else {
        return Err(CliError::new(
            exit::FAILURE,
            format!("the hub at {url} showed no certificate: is it an Integra hub?"),
        ));
    };
    let path = token_path(ctx);
    keep_paired(&ctx.data_dir(), &paired)?;
    // A device with `hub = "auto"` starts here next time, without waiting for mDNS.
    super::addresses::remember_hub(ctx, &url);
    println!(
        "paired with the hub at {url} as a {} device named \"{name}\"; token kept in {}",
        paired.role,
        path.display()
    );
    println!(
        "the hub's certificate fingerprint is {}{}; this device now talks only to that hub",
        crate::hub::tls::grouped(&seen),
        if expected.is_some() {
            " (as given)"
        } else {
            " (the hub proved it knows the PIN on this very connection)"
        }
    );
    Ok(())
}

/// Whether this device has a token (from `integra join`, its pairing screen or `pair_pin`).
pub fn has_token(ctx: &Context) -> bool {
    std::fs::read_to_string(token_path(ctx)).is_ok_and(|t| !t.trim().is_empty())
}

/// Keep what pairing gave in `data`: the hub's fingerprint (pinned from now on), then the
/// token (its presence says "paired").
pub fn keep_paired(
    data: &std::path::Path,
    paired: &crate::hub::client::Paired,
) -> std::io::Result<()> {
    std::fs::create_dir_all(data)?;
    if let Some(f) = &paired.fingerprint {
        write_private(&data.join(crate::hub::client::FINGERPRINT_FILE), f)?;
    }
    write_private(&data.join(crate::hub::client::TOKEN_FILE), &paired.token)
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// The hub speaks HTTPS only: an address given with http:// means the same hub over HTTPS.
pub fn https_url(url: &str) -> String {
    match url.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    }
}

/// Announce the hub over mDNS so devices set to `hub = "auto"` find it (not when it listens on
/// loopback only: nobody else could reach it). The announcement lasts while the value lives.
pub fn announce_on_lan(
    hub: &Hub,
    addr: std::net::SocketAddr,
    fingerprint: &str,
) -> Option<crate::hub::discovery::Announcement> {
    if addr.ip().is_loopback() {
        return None;
    }
    match crate::hub::discovery::announce(
        &hub.catalog().center.name,
        addr.port(),
        None,
        crate::hub::discovery::Scope::Lan,
        fingerprint,
    ) {
        Ok(a) => Some(a),
        Err(e) => {
            log::warn!("{e}: devices must be given the hub's address in their settings");
            None
        }
    }
}

/// A hub that steps down stops announcing itself (`hub::epoch`): the announcement moves to a
/// thread that drops it once the hub is replaced (at once for a hub replaced before).
pub fn withdraw_when_replaced(
    hub: &Hub,
    announced: &mut Option<crate::hub::discovery::Announcement>,
) {
    let Some(a) = announced.take() else { return };
    let hub = hub.clone();
    let _ = std::thread::Builder::new()
        .name("mdns-fence".into())
        .spawn(move || {
            while hub.replaced_by().is_none() {
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            log::warn!("this hub was replaced: it no longer announces itself on the LAN");
            drop(a);
        });
}

/// The hubs `join` may pair with: the address given or set, or with `hub = "auto"` every hub
/// that answers over mDNS (each must then prove it knows the PIN).
fn join_candidates(
    given: Option<String>,
    settings: Option<&crate::device::settings::Settings>,
) -> Result<Vec<String>, CliError> {
    use crate::device::settings::HubAddress;
    match (given, settings.map(|s| s.hub())) {
        (Some(u), _) | (None, Some(HubAddress::At(u))) => Ok(vec![u]),
        // A device that runs the hub itself does not join one; without settings, look.
        (None, Some(HubAddress::Auto | HubAddress::Local) | None) => {
            let found = lan_hubs(3, false)?;
            if found.is_empty() {
                return Err(no_hub_found());
            }
            Ok(found.into_iter().map(|f| f.url).collect())
        }
    }
}

/// [`hub_url`] for a paired device: among the hubs found over mDNS, the one announcing
/// `pinned` (a stranger's announcer answering first is passed over; were it to copy the
/// fingerprint, the TLS check would still refuse it).
pub fn hub_url_pinned(
    given: Option<String>,
    settings: Option<&crate::device::settings::Settings>,
    pinned: Option<&str>,
) -> Result<String, CliError> {
    use crate::device::settings::HubAddress;
    match (given, settings.map(|s| s.hub())) {
        (Some(u), _) => Ok(u),
        (None, Some(HubAddress::At(u))) => Ok(u),
        (None, _) => {
            // A paired device listens a little longer, to hear its own hub among several.
            let found = lan_hubs(if pinned.is_some() { 3 } else { 5 }, pinned.is_none())?;
            let own = pinned.and_then(|p| found.iter().find(|f| f.fingerprint == p).cloned());
            own.or_else(|| found.into_iter().next())
                .map(|f| f.url)
                .ok_or_else(no_hub_found)
        }
    }
}

/// The hubs that answer over mDNS on the LAN within `secs` seconds (the first one only, if
/// `first`).
fn lan_hubs(secs: u64, first: bool) -> Result<Vec<crate::hub::discovery::Found>, CliError> {
    crate::hub::discovery::discover(
        std::time::Duration::from_secs(secs),
        first,
        crate::hub::discovery::Scope::Lan,
    )
    .map_err(|e| CliError::new(exit::FAILURE, e))
}

fn no_hub_found() -> CliError {
    CliError::new(
        exit::FAILURE,
        "no hub found on the network (mDNS): check that the hub is on and on the same network, or set `hub = \"https://ADDRESS:7878\"` in the settings",
    )
}

pub fn discover() -> Result<(), CliError> {
    let found = lan_hubs(3, false)?;
    if found.is_empty() {
        return Err(CliError::new(
            exit::FAILURE,
            "no hub answered on the network within 3 s (mDNS _integra._tcp): is it on, on the same network, and not blocked by a firewall (UDP 5353)?",
        ));
    }
    for f in found {
        println!(
            "{}  {}  ({}) certificate {}",
            f.url,
            f.center,
            f.instance,
            if f.fingerprint.is_empty() {
                "not announced".to_string()
            } else {
                crate::hub::tls::grouped(&f.fingerprint)
            }
        );
    }
    Ok(())
}

/// For a device that is not the hub (display, counter): its hub client, paired and following,
/// and the language of its screen (the settings' first language, else the center's).
pub fn follow_hub(
    ctx: &Context,
    settings: Option<&crate::device::settings::Settings>,
) -> Result<(crate::hub::client::Remote, crate::core::Lang), CliError> {
    use crate::device::settings::HubAddress;
    let fingerprint = read_fingerprint(ctx);
    let auto = match settings.map(|s| s.hub()) {
        Some(HubAddress::At(_)) => false,
        Some(HubAddress::Auto | HubAddress::Local) | None => true,
    };
    let url = if auto {
        // An unpaired device is told so at once, not after looking for a hub forever.
        read_token(ctx, "found on the network (hub = \"auto\")")?;
        find_hub_forever(ctx, fingerprint.as_deref())
    } else {
        hub_url_pinned(None, settings, fingerprint.as_deref())?
    };
    let token = read_token(ctx, &url)?;
    let catalog = ctx.load_catalog()?;
    let lang = settings
        .and_then(|s| s.languages.as_ref())
        .and_then(|l| l.first().copied())
        .unwrap_or(catalog.center.default_language);
    let remote =
        crate::hub::client::Remote::start_pinned(&url, &token, fingerprint.as_deref(), catalog)
            .map_err(|e| CliError::new(exit::FAILURE, e))?;
    if auto {
        let pinned = fingerprint.clone();
        remote.keep_looking(move || look_for_hub(pinned.as_deref()));
    }
    remote.remember_in(&ctx.data_dir());
    super::promote_cmd::restart_when_promoted(&ctx.data_dir());
    let last = auto.then(|| ctx.data_dir());
    remote.on_connected(move |url, catalog| {
        if let Some(data) = &last {
            super::addresses::warn_unremembered(
                data,
                crate::hub::client::remember_address(data, url),
            );
        }
        // The system clock from the hub, the system time zone from its catalog.
        crate::device::systime::follow(url, catalog.center.timezone);
    });
    Ok((remote, lang))
}

/// One mDNS look for this device's hub (the one whose certificate it pinned): its address.
fn look_for_hub(pinned: Option<&str>) -> Option<String> {
    let found = crate::hub::discovery::discover(
        std::time::Duration::from_secs(3),
        pinned.is_none(),
        crate::hub::discovery::Scope::Lan,
    );
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            log::warn!("{e}");
            return None;
        }
    };
    // A paired device follows only its own hub (another answer could be anyone's laptop).
    match pinned {
        Some(p) => found
            .into_iter()
            .find(|f| f.fingerprint == p)
            .map(|f| f.url),
        None => found.into_iter().next().map(|f| f.url),
    }
}

/// The hub for a device with `hub = "auto"`, never giving up (a device that exits stays dark
/// once systemd stops restarting it): the address it paired with or last reached, at once — no
/// mDNS needed to start (guest Wi-Fi with client isolation and switches that drop multicast are
/// common), the stream looking again over mDNS whenever that address does not answer —; else
/// the hub that answers over mDNS, looking again until one does.
fn find_hub_forever(ctx: &Context, pinned: Option<&str>) -> String {
    if let Some(url) = super::addresses::remembered_hub(ctx) {
        log::info!("hub = \"auto\": starting at {url}, where this device last reached it");
        return url;
    }
    loop {
        if let Some(url) = look_for_hub(pinned) {
            return url;
        }
        log::warn!(
            "no hub answered over mDNS and none was ever reached from here: looking again (is the hub on, on the same network?)"
        );
    }
}
