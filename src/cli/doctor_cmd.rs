//! `integra doctor`: every check on one line, ✔ / ! / ✘ / – with the fix; non-zero exit on ✘.

use super::{CliError, Context, exit, load_catalog_file};
use crate::core::Catalog;
use crate::device::doctor::{self, Check, Verdict};
use crate::device::{HubAddress, Settings};
use crate::printer::Slip;
use std::path::Path;
use std::time::Duration;

pub fn run(
    ctx: &Context,
    settings_path: Option<&Path>,
    settings: Option<Result<Settings, CliError>>,
    print: bool,
    press_test: bool,
) -> Result<(), CliError> {
    let checks = checks(ctx, settings_path, settings, print, press_test);
    for c in &checks {
        println!("{}", c.line());
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    if failed > 0 {
        return Err(CliError::new(
            exit::FAILURE,
            format!("{failed} check(s) failed: see the lines marked ✘ above"),
        ));
    }
    println!("all checks passed");
    Ok(())
}

/// Every check, in order (the command prints them; the technician screen and the "cannot
/// start" screen show them). `database`: open the queue database and replay it (not from the
/// hub's own process, which holds it and knows its state).
pub fn checks(
    ctx: &Context,
    settings_path: Option<&Path>,
    settings: Option<Result<Settings, CliError>>,
    print: bool,
    press_test: bool,
) -> Vec<Check> {
    checks_of(ctx, settings_path, settings, print, press_test, true)
}

pub fn checks_of(
    ctx: &Context,
    settings_path: Option<&Path>,
    settings: Option<Result<Settings, CliError>>,
    print: bool,
    press_test: bool,
    database: bool,
) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    let ok_settings = match (&settings, settings_path) {
        (Some(s), Some(p)) => {
            checks.push(doctor::settings_check(s, &p.display().to_string()));
            s.as_ref().ok()
        }
        _ => {
            checks.push(Check {
                verdict: Verdict::Warn,
                what: "settings",
                detail: "no settings file given: defaults are used".into(),
                fix: Some(
                    "pass --settings /boot/firmware/integra.toml (or set INTEGRA_SETTINGS)".into(),
                ),
            });
            None
        }
    };
    let role = ok_settings.map(|s| s.role);
    let catalog: Result<Catalog, CliError> = match &ctx.catalog {
        Some(p) => load_catalog_file(p),
        None => ctx.load_catalog().map(|c| (*c).clone()),
    };
    checks.push(doctor::catalog_check(&catalog));
    let data = ctx.data_dir();
    let data_checks = doctor::data_dir_check(&data);
    let writable = data_checks.iter().all(|c| c.verdict != Verdict::Fail);
    checks.extend(data_checks);
    // A device without the hub keeps no queue database: it says what it keeps instead.
    let runs_the_hub = doctor::runs_the_hub(ok_settings);
    if writable && database && runs_the_hub {
        checks.push(doctor::database_check(&data, catalog.as_ref().ok()));
    } else if writable && !runs_the_hub {
        checks.push(doctor::client_data_check(ok_settings, &data));
    }
    // (The hub's own process does not reopen its database for the setup code's line.)
    if writable && (database || !runs_the_hub) {
        let port = super::addresses::listening_port(ctx);
        checks.push(doctor::setup_code_check(ok_settings, &data, port));
    }
    checks.push(doctor::clock_check(
        ctx.now(),
        doctor::build_time(),
        &doctor::time_source(&data),
    ));
    checks.push(doctor::city_check(ctx.city.as_ref(), &data, ctx.now()));
    // A device with `hub = "auto"` starts at the address it paired with or last reached
    // (no mDNS needed): that is the one to check, when there is one.
    let at_remembered = ok_settings
        .filter(|s| s.hub() == HubAddress::Auto)
        .zip(super::addresses::remembered_hub(ctx))
        .map(|(s, url)| {
            let mut s = s.clone();
            s.hub = Some(HubAddress::At(url));
            s
        });
    checks.push(doctor::hub_check(
        at_remembered.as_ref().or(ok_settings),
        std::fs::read_to_string(ctx.data_dir().join("hub-token"))
            .ok()
            .map(|t| t.trim().to_string())
            .as_deref(),
        super::hub_cmd::read_fingerprint(ctx).as_deref(),
    ));
    // The copy a standby keeps wall-clock times of what it heard: the real clock, not --at.
    checks.push(doctor::standby_check(
        ok_settings,
        &data,
        chrono::Utc::now(),
    ));
    checks.extend(doctor::pair_pin_check(
        ok_settings,
        &ctx.data_dir(),
        super::hub_cmd::has_token(ctx),
    ));
    let printer = doctor::printer_check(ctx.printer.as_ref(), role);
    let printer_ok = printer.verdict != Verdict::Fail;
    checks.push(printer);
    if print
        && printer_ok
        && let (Some(uri), Ok(c)) = (ctx.printer.clone(), &catalog)
    {
        checks.push(test_page(ctx, uri, c));
    }
    checks.push(doctor::gpio_check(
        ok_settings,
        press_test.then_some(Duration::from_secs(10)),
    ));
    checks.push(doctor::wifi_check(
        ok_settings.and_then(|s| s.wifi.as_ref()),
        std::fs::read_to_string("/proc/net/wireless")
            .ok()
            .as_deref(),
    ));
    checks.push(doctor::boot_step_check(
        ok_settings,
        settings_path
            .and_then(Path::parent)
            .unwrap_or(Path::new(".")),
        std::fs::read_to_string(Path::new("/").join(crate::device::applied::APPLIED_PATH))
            .ok()
            .as_deref(),
    ));
    checks.extend(doctor::display_check(role));
    checks.push(doctor::locales_check());
    checks
}

/// A test page on `uri`, its outcome as a doctor line.
pub fn test_page(ctx: &Context, uri: crate::printer::PrinterUri, c: &Catalog) -> Check {
    let slip = Slip::TestPage {
        center: c.center.name.clone(),
        qr: format!("{} - doctor", c.center.name),
    };
    match super::print_cmd::print_slip(ctx, uri, "test page", &slip) {
        Ok(line) => Check {
            verdict: Verdict::Pass,
            what: "test print",
            detail: line,
            fix: None,
        },
        Err(e) => Check {
            verdict: Verdict::Fail,
            what: "test print",
            detail: e.message,
            fix: Some("see the printer line above".into()),
        },
    }
}
