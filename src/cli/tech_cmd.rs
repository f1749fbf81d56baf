//! `integra run` and the technician's screens (issue #33): start what the settings' role says;
//! when it cannot start, draw why on the device's own screen (`ui::cannot_start`) and start by
//! itself once the fix is in; and the technician screen's facts, doctor and buttons for the
//! kiosk and the counter (`ui::tech`).

use super::{CliError, Context, exit, load_settings_file};
use crate::core::Lang;
use crate::device::doctor::{Check, Verdict};
use crate::device::settings::{DeviceRole, HubAddress, Settings};
use crate::ui::cannot_start::{self, Recheck};
use crate::ui::tech::TechConfig;
use slint::ComponentHandle;
use std::path::Path;
use std::sync::Arc;

pub fn run(
    ctx: &Context,
    path: Option<&Path>,
    loaded: Option<Result<Settings, CliError>>,
) -> Result<(), CliError> {
    let Some(loaded) = loaded else {
        return Err(CliError::new(
            exit::USAGE,
            "`integra run` starts what a device's settings say: give --settings /boot/firmware/integra.toml",
        ));
    };
    let settings = loaded.as_ref().ok();
    let started = match settings {
        Some(s) => start_role(ctx, s),
        None => Err(loaded
            .clone()
            .err()
            .unwrap_or_else(|| CliError::new(exit::INVALID_CONFIG, "the settings cannot be read"))),
    };
    let Err(e) = started else { return Ok(()) };
    if !on_screen(ctx, settings, &e) {
        return Err(e);
    }
    cannot_start(ctx, path, e)
}

fn start_role(ctx: &Context, s: &Settings) -> Result<(), CliError> {
    match s.role {
        DeviceRole::Kiosk => super::kiosk_cmd::run(ctx, Some(s), None),
        DeviceRole::Hub => super::hub_cmd::serve(ctx),
        DeviceRole::Display => super::display_cmd::run(ctx, Some(s)),
        DeviceRole::Counter => super::counter_cmd::run(ctx, Some(s)),
    }
}

/// Whether a device that failed to start says why on its screen. Not the headless hub (no
/// screen), not a usage error, and not a device that is only waiting to be paired (its own
/// pairing screen says so).
fn on_screen(ctx: &Context, settings: Option<&Settings>, e: &CliError) -> bool {
    if e.code == exit::USAGE {
        return false;
    }
    let Some(s) = settings else {
        return true; // a broken settings file: the role is unknown, the screen is there
    };
    match (s.role, s.hub()) {
        (DeviceRole::Hub, _) => false,
        (DeviceRole::Kiosk, HubAddress::Local) => true,
        (DeviceRole::Kiosk | DeviceRole::Counter | DeviceRole::Display, _) => {
            ctx.data_dir().join("hub-token").exists()
        }
    }
}

/// What a change to these files would fix: their contents (and the token's presence).
fn inputs(ctx: &Context, path: Option<&Path>) -> Vec<Option<Vec<u8>>> {
    let catalog = ctx
        .catalog
        .clone()
        .unwrap_or_else(|| ctx.data_dir().join("catalog.toml"));
    [path.map(Path::to_path_buf), Some(catalog)]
        .into_iter()
        .map(|p| p.and_then(|p| std::fs::read(p).ok()))
        .chain([std::fs::read(ctx.data_dir().join("hub-token")).ok()])
        .collect()
}

/// The doctor's ✘ lines, after the start's own error when the doctor saw nothing.
fn problems(ctx: &Context, path: Option<&Path>, e: &CliError) -> Vec<Check> {
    let loaded = path.map(load_settings_file);
    let mut out: Vec<Check> = super::doctor_cmd::checks(ctx, path, loaded, false, false)
        .into_iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    if out.is_empty() {
        out.push(Check {
            verdict: Verdict::Fail,
            what: "start",
            detail: e.message.clone(),
            fix: None,
        });
    }
    out
}

fn language(ctx: &Context) -> Lang {
    ctx.load_catalog()
        .map(|c| c.center.default_language)
        .unwrap_or(Lang::Es)
}

fn cannot_start(ctx: &Context, path: Option<&Path>, e: CliError) -> Result<(), CliError> {
    let first = problems(ctx, path, &e);
    for p in &first {
        log::error!("cannot start: {}", p.line());
    }
    let ui = match crate::ui::CannotStartWindow::new() {
        Ok(ui) => ui,
        Err(why) => {
            log::error!("no screen to show why ({why})");
            return Err(e);
        }
    };
    let doctor_saw = first.iter().any(|c| c.what != "start");
    let before = inputs(ctx, path);
    let (again_ctx, again_path, again_e) = (ctx.clone(), path.map(Path::to_path_buf), e.clone());
    let recheck = Arc::new(move || {
        let path = again_path.as_deref();
        let problems = problems(&again_ctx, path, &again_e);
        let fixed = doctor_saw && problems.iter().all(|c| c.what == "start");
        Recheck {
            start: fixed || inputs(&again_ctx, path) != before,
            problems,
        }
    });
    let facts = vec![format!("integra {}", env!("CARGO_PKG_VERSION"))];
    let _screen = cannot_start::show(&ui, language(ctx), facts, &first, recheck, start_again)
        .map_err(|le| CliError::new(exit::FAILURE, le.to_string()))?;
    if std::env::var_os("INTEGRA_WINDOWED").is_none() {
        crate::ui::fill_screen(&ui);
    }
    // systemd: this is a running device (no restart loop), with its UI loop's heartbeat.
    let _heartbeat = crate::device::watchdog::ui_loop("cannot start: showing why", &ctx.data_dir());
    ui.run()
        .map_err(|le| CliError::new(exit::FAILURE, format!("{} ({le})", e.message)))?;
    Err(e)
}

/// The fix is in: this program again, in place (same process for systemd).
fn start_again() {
    use std::os::unix::process::CommandExt;
    log::warn!("cannot start: something changed, starting again");
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .exec();
    log::error!("cannot start again ({err}): leaving for systemd to restart");
    let _ = slint::quit_event_loop();
}

/// The technician screen's configuration for a kiosk or a counter (`hub_fingerprint`: this
/// device's own when it runs the hub).
pub fn tech_config(
    ctx: &Context,
    settings: Option<&Settings>,
    lang: Lang,
    own_fingerprint: Option<String>,
) -> TechConfig {
    let role = settings.map_or("kiosk", |s| s.role.as_str());
    let hub = settings.map_or(HubAddress::Local, Settings::hub);
    let local = matches!(hub, HubAddress::Local);
    let data = ctx.data_dir();
    let listen = ctx.listen;
    let fingerprint = own_fingerprint.or_else(|| super::hub_cmd::read_fingerprint(ctx));
    let facts_data = data.clone();
    let facts = Box::new(move || {
        let hub_url = match &hub {
            HubAddress::Local => None,
            HubAddress::At(url) => Some(url.clone()),
            HubAddress::Auto => crate::hub::client::remembered_address(&facts_data),
        };
        let toward = hub_url
            .as_deref()
            .and_then(|u| u.split("://").nth(1))
            .and_then(|rest| rest.split('/').next())
            .and_then(|host| host.parse::<std::net::SocketAddr>().ok());
        let address = crate::device::tech::local_address(toward)
            .map(|ip| {
                if local {
                    format!("{ip} (https://{ip}:{})", listen.port())
                } else {
                    ip.to_string()
                }
            })
            .unwrap_or_else(|| "?".into());
        vec![
            ("tech-address", address),
            (
                "tech-hub",
                hub_url.unwrap_or_else(|| {
                    if local {
                        "localhost".into()
                    } else {
                        "?".into()
                    }
                }),
            ),
            (
                "tech-fingerprint",
                fingerprint
                    .as_deref()
                    .map(crate::hub::tls::grouped)
                    .unwrap_or_else(|| "?".into()),
            ),
            ("tech-version", env!("CARGO_PKG_VERSION").to_string()),
            ("tech-role", role.to_string()),
        ]
    });
    let doctor_ctx = ctx.clone();
    let doctor = Arc::new(move || {
        let path = doctor_ctx.settings_path.clone();
        let loaded = path.as_deref().map(load_settings_file);
        super::doctor_cmd::checks(&doctor_ctx, path.as_deref(), loaded, false, false)
    });
    let print = ctx.printer.clone().map(|uri| {
        let print_ctx = ctx.clone();
        Arc::new(move || match print_ctx.load_catalog() {
            Ok(c) => super::doctor_cmd::test_page(&print_ctx, uri.clone(), &c),
            Err(e) => Check {
                verdict: Verdict::Fail,
                what: "test print",
                detail: e.message,
                fix: None,
            },
        }) as crate::ui::tech::PrintFn
    });
    TechConfig {
        code: settings.and_then(|s| s.setup_code.clone()),
        lang,
        facts,
        doctor,
        print,
        token: (!local).then(|| data.join("hub-token")),
        inline: false,
    }
}

/// How often a device runs its doctor for the hub, and the longest it stays silent when
/// nothing changed.
const DOCTOR_EVERY: std::time::Duration = std::time::Duration::from_secs(300);
const DOCTOR_AT_LEAST: std::time::Duration = std::time::Duration::from_secs(1800);

/// The doctor's lines as the hub keeps them.
fn doctor_report(checks: &[Check]) -> crate::hub::doctor_reports::DoctorReport {
    use crate::hub::doctor_reports::{DoctorLine, DoctorReport, Mark};
    DoctorReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        lines: checks
            .iter()
            .map(|c| DoctorLine {
                mark: match c.verdict {
                    Verdict::Pass => Mark::Pass,
                    Verdict::Warn => Mark::Warn,
                    Verdict::Fail => Mark::Fail,
                    Verdict::Skip => Mark::Skip,
                },
                what: c.what.to_string(),
                detail: c.detail.clone(),
                fix: c.fix.clone(),
            })
            .collect(),
    }
}

/// A device on the network sends its doctor's lines to the hub (the admin page lists them):
/// now, after each change, and every half hour, from a thread of its own.
pub fn report_doctor(ctx: &Context, remote: &crate::hub::client::Remote) {
    let (ctx, remote) = (ctx.clone(), remote.clone());
    let spawned = std::thread::Builder::new()
        .name("doctor-report".into())
        .spawn(move || {
            let mut last: Option<(crate::hub::doctor_reports::DoctorReport, std::time::Instant)> =
                None;
            loop {
                let path = ctx.settings_path.clone();
                let loaded = path.as_deref().map(load_settings_file);
                let report = doctor_report(&super::doctor_cmd::checks(
                    &ctx,
                    path.as_deref(),
                    loaded,
                    false,
                    false,
                ));
                let due = match &last {
                    None => true,
                    Some((sent, at)) => {
                        let changed = sent
                            .lines
                            .iter()
                            .map(|l| (l.mark, &l.what, &l.fix))
                            .ne(report.lines.iter().map(|l| (l.mark, &l.what, &l.fix)));
                        changed || at.elapsed() >= DOCTOR_AT_LEAST
                    }
                };
                if due {
                    remote.report_doctor(report.clone());
                    last = Some((report, std::time::Instant::now()));
                }
                std::thread::sleep(DOCTOR_EVERY);
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the doctor's reports to the hub: {e}");
    }
}

/// The device that runs the hub keeps its own doctor report in the hub (the admin page lists
/// it first): a minute after the start, then every 5 minutes — a device with a settings file
/// only (a laptop trying the program, or a test, has none). The queue database is not opened
/// again from the process that holds it.
pub fn report_own_doctor(ctx: &Context, hub: &crate::hub::Hub) {
    if ctx.settings_path.is_none() {
        return;
    }
    let (ctx, hub) = (ctx.clone(), hub.clone());
    let spawned = std::thread::Builder::new()
        .name("doctor-own".into())
        .spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(60));
            loop {
                let path = ctx.settings_path.clone();
                let loaded = path.as_deref().map(load_settings_file);
                let checks = super::doctor_cmd::checks_of(
                    &ctx,
                    path.as_deref(),
                    loaded,
                    false,
                    false,
                    false,
                );
                hub.set_own_doctor_report(doctor_report(&checks));
                std::thread::sleep(DOCTOR_EVERY);
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the hub's own doctor: {e}");
    }
}
