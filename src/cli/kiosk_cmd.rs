//! `integra kiosk` (and `integra` with no subcommand): the visitor's touchscreen, with the hub
//! and its data in-process, on the embedded demo center unless a catalog is given.

use super::{CliError, Context, exit, print_cmd::printer_or_preview};
use crate::core::Lang;
use crate::device::settings::{HubAddress, Settings};
use crate::hub::client::Remote;
use crate::ui::KioskWindow;
use crate::ui::kiosk::{Backend, Kiosk, KioskConfig};
use slint::ComponentHandle;
use std::time::Duration;

pub fn run(
    ctx: &Context,
    settings: Option<&Settings>,
    bench_tickets: Option<u32>,
) -> Result<(), CliError> {
    let idle_seconds = settings.map(|s| s.idle_timeout_seconds);
    let languages: Option<Vec<Lang>> = settings.and_then(|s| s.languages.clone());
    let mut announced = None;
    let mut city = None;
    let mut backups = None;
    let mut own_fingerprint = None;
    // A promoted standby runs the hub from its copy, whatever `hub` says.
    let promoted = super::promote_cmd::is_promoted(ctx);
    let backend = match settings.map(Settings::hub).filter(|_| !promoted) {
        // A second kiosk: the hub is on another device (at an address, or found by mDNS).
        Some(HubAddress::At(_) | HubAddress::Auto) => {
            super::pair_screen::ensure_paired(ctx, settings, crate::device::pairing::Mode::Keypad)?;
            let fingerprint = super::hub_cmd::read_fingerprint(ctx);
            let url = super::hub_cmd::hub_url_pinned(None, settings, fingerprint.as_deref())?;
            let token = super::hub_cmd::read_token(ctx, &url)?;
            // `standby = true`: this kiosk also keeps the hub's copy (issue #32).
            super::standby_cmd::start_beside_kiosk(ctx, settings, &url)?;
            let remote =
                Remote::start_pinned(&url, &token, fingerprint.as_deref(), ctx.load_catalog()?)
                    .map_err(|e| CliError::new(exit::FAILURE, e))?;
            // The fence (highest epoch, the standby's address) and, on the standby, a restart
            // into the hub role once promoted.
            remote.remember_in(&ctx.data_dir());
            super::promote_cmd::restart_when_promoted(&ctx.data_dir());
            super::tech_cmd::report_doctor(ctx, &remote);
            // The system clock from the hub, the system time zone from its catalog.
            remote.on_connected(|url, catalog| {
                crate::device::systime::follow(url, catalog.center.timezone)
            });
            // Give the hub a moment to send its catalog before the first screen.
            let t = std::time::Instant::now();
            while !remote.online() && t.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(50));
            }
            if !remote.online() {
                log::error!(
                    "the hub at {url} does not answer yet: visitors are sent to reception until it does"
                );
            }
            Backend::Remote(remote)
        }
        _ => {
            let hub = super::hub_cmd::open_hub(ctx)?;
            crate::device::systime::serve(hub.catalog().center.timezone);
            // The hub runs in-process: staff consoles, displays and other kiosks reach it on the
            // LAN. The kiosk works on without it when the port is taken.
            let (tls, fingerprint) = super::hub_cmd::hub_identity(ctx)?;
            match hub.serve_in_background(ctx.listen, Some(tls)) {
                Ok(addr) => {
                    super::addresses::remember_listening(ctx, addr);
                    log::warn!(
                        "hub listening on https://{addr}/ (staff console; certificate fingerprint {}); pair devices with `integra pair --role ROLE`",
                        crate::hub::tls::grouped(&fingerprint)
                    );
                    announced = super::hub_cmd::announce_on_lan(&hub, addr, &fingerprint);
                    super::hub_cmd::withdraw_when_replaced(&hub, &mut announced);
                }
                Err(e) => {
                    log::error!("{e}; this kiosk works alone until that is fixed");
                    hub.turn_days_on_a_thread();
                }
            }
            own_fingerprint = Some(fingerprint);
            super::tech_cmd::report_own_doctor(ctx, &hub);
            city = super::hub_cmd::start_city_link(ctx, &hub);
            backups = super::hub_cmd::start_backups(ctx, &hub);
            Backend::Local(hub)
        }
    };
    let catalog = match &backend {
        Backend::Local(hub) => hub.catalog().clone(),
        Backend::Remote(r) => r.catalog(),
    };
    // The hub in this process saves its time when the kiosk stops (and every minute).
    let own_hub = match &backend {
        Backend::Local(hub) => Some(hub.clone()),
        Backend::Remote(_) => None,
    };
    let printer = printer_or_preview(ctx)?;
    if ctx.printer.is_none() {
        log::warn!("no printer set: tickets go to the preview file {printer}");
    }
    crate::device::screen::log_backend_env();
    let ui = KioskWindow::new().map_err(|e| {
        let why = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        CliError::new(
            exit::FAILURE,
            format!(
                "cannot open the kiosk window ({why}). Run it in a desktop session (X11 or Wayland), or on a Raspberry Pi console with SLINT_BACKEND=linuxkms"
            ),
        )
    })?;
    let cfg = KioskConfig {
        languages: languages
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| catalog.center.languages.clone()),
        catalog,
        printer,
        format: ctx.format.clone(),
        idle: Duration::from_secs(u64::from(idle_seconds.unwrap_or(45))),
        ticket_screen: Duration::from_secs(20),
        clock: ctx.at,
        inline: false,
        // The speaker button reads each screen aloud through the settings' sound device.
        speech: Some(crate::ui::kiosk::Speech::Speakers(
            settings.and_then(|s| s.audio.device.clone()),
        )),
    };
    let center_lang = cfg.catalog.center.default_language;
    let _kiosk = Kiosk::start(&ui, backend, cfg).map_err(|e| CliError::new(exit::FAILURE, e))?;
    let _tech = crate::ui::tech::Tech::attach(
        &ui,
        super::tech_cmd::tech_config(ctx, settings, center_lang, own_fingerprint),
    )
    .map_err(|e| CliError::new(exit::FAILURE, e))?;
    if std::env::var_os("INTEGRA_WINDOWED").is_none() && bench_tickets.is_none() {
        crate::ui::fill_screen(&ui);
    }
    let _bench = bench_tickets.map(|n| bench(&ui, n));
    // systemd: ready once the event loop turns; the UI loop's heartbeat for the watchdog.
    let _heartbeat = crate::device::watchdog::ui_loop("kiosk running", &ctx.data_dir());
    ui.run().map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!("the kiosk window stopped: {e}. Run it in a desktop session, or with SLINT_BACKEND=linuxkms on a Pi console"),
        )
    })?;
    crate::ui::kiosk::stop();
    if let Some(hub) = own_hub {
        hub.save_clock();
    }
    drop(announced);
    drop(city);
    drop(backups);
    Ok(())
}

/// Drive the screens like a visitor (language → service → no priority → done) `n` times,
/// then print the time to the first frame and the resident memory, and quit.
fn bench(ui: &KioskWindow, n: u32) -> slint::Timer {
    use crate::ui::{
        KioskAdapter, PriorityAdapter, Screen, ServicesAdapter, TicketAdapter, WelcomeAdapter,
    };
    let started = super::STARTED
        .get()
        .copied()
        .unwrap_or_else(std::time::Instant::now);
    let weak = ui.as_weak();
    let issued = std::cell::Cell::new(0u32);
    // The first frame: when the renderer says it drew one (else the event loop's first turn).
    let first = std::rc::Rc::new(std::cell::Cell::new(None::<Duration>));
    let drawn = first.clone();
    let notified = ui
        .window()
        .set_rendering_notifier(move |state, _| {
            if matches!(state, slint::RenderingState::AfterRendering) && drawn.get().is_none() {
                drawn.set(Some(started.elapsed()));
            }
        })
        .is_ok();
    let what = if notified {
        "first frame drawn"
    } else {
        "first frame rendered (software renderer, at the event loop's first turn)"
    };
    let t0 = std::cell::Cell::new(None::<std::time::Instant>);
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, Duration::from_millis(1), move || {
        let Some(ui) = weak.upgrade() else { return };
        if first.get().is_none() {
            if notified {
                return; // wait for the first frame before driving the screens
            }
            // The software renderer gives no notice: render the frame here, at the event
            // loop's first turn, and count until it is done.
            if let Err(e) = ui.window().take_snapshot() {
                log::warn!("cannot render a frame: {e}");
            }
            first.set(Some(started.elapsed()));
        }
        if t0.get().is_none() {
            t0.set(Some(std::time::Instant::now()));
        }
        match ui.global::<KioskAdapter>().get_screen() {
            Screen::Welcome => ui.global::<WelcomeAdapter>().invoke_choose("es".into()),
            Screen::Services => ui.global::<ServicesAdapter>().invoke_pick("info".into()),
            Screen::Priority => ui.global::<PriorityAdapter>().invoke_skip(),
            Screen::Ticket => {
                issued.set(issued.get() + 1);
                if issued.get() >= n {
                    let rss = std::fs::read_to_string("/proc/self/status")
                        .ok()
                        .and_then(|s| {
                            s.lines()
                                .find(|l| l.starts_with("VmRSS:"))
                                .map(|l| l.trim_start_matches("VmRSS:").trim().to_string())
                        })
                        .unwrap_or_else(|| "unknown".into());
                    let per = t0.get().map(|t| t.elapsed() / n).unwrap_or_default();
                    println!(
                        "{what} after {:.0} ms; {n} tickets through the screens ({:.1} ms each); RSS {rss}",
                        first.get().unwrap_or_default().as_secs_f64() * 1e3,
                        per.as_secs_f64() * 1e3
                    );
                    let _ = slint::quit_event_loop();
                } else {
                    ui.global::<TicketAdapter>().invoke_done();
                }
            }
            _ => {}
        }
    });
    timer
}
