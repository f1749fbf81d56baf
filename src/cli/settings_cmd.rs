//! `integra settings check FILE`.

use super::{CliError, load_settings_file};
use crate::device::HubAddress;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Validate a settings file: every problem with its line and field, or what the device will do
    Check {
        /// The settings file, e.g. /boot/firmware/integra.toml
        file: PathBuf,
    },
}

pub fn run(cmd: SettingsCmd) -> Result<(), CliError> {
    let SettingsCmd::Check { file } = cmd;
    let s = load_settings_file(&file)?;
    println!("{}: valid", file.display());
    println!("role: {}", s.role.as_str());
    println!(
        "hub: {}",
        match &s.hub() {
            HubAddress::Auto => "found on the network (mDNS)".to_string(),
            HubAddress::Local => "runs on this device".to_string(),
            HubAddress::At(a) => a.clone(),
        }
    );
    println!("data: {}", s.data_dir.display());
    if let Some(c) = &s.counter {
        println!("counter: {c}");
    }
    match (&s.printer, s.printer_uri()) {
        (Some(p), Some(uri)) => println!(
            "printer: {uri}, {} mm, {}",
            p.paper,
            s.print_format().codepage
        ),
        _ => println!("printer: none (tickets on screen only)"),
    }
    println!(
        "screen: turned {}°{}",
        s.screen.rotation,
        if s.screen.touch_calibration.is_some() {
            ", touch calibrated"
        } else {
            ""
        }
    );
    match &s.wifi {
        Some(w) => println!(
            "network: Wi-Fi \"{}\"{} (and the cable when plugged in)",
            w.ssid,
            w.country
                .as_deref()
                .map(|c| format!(", country {}", c.to_ascii_uppercase()))
                .unwrap_or_default()
        ),
        None => println!("network: the cable (no [wifi])"),
    }
    Ok(())
}
