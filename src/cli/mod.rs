//! The `integra` command: one subcommand per file, dispatched from here.
//! `main` → `try_main` → an exit code and a one-line message on every error.

mod addresses;
mod bench;
mod boot_cmd;
mod catalog_cmd;
mod city_cmd;
mod counter_cmd;
mod data_cmd;
mod day;
mod demo;
mod display_cmd;
mod doctor_cmd;
mod hub_cmd;
mod kiosk_cmd;
mod pair_screen;
mod pipe;
mod print_cmd;
pub mod promote_cmd;
mod queue_cmds;
mod report_cmd;
mod settings_cmd;
mod standby_cmd;
mod tech_cmd;

use crate::core::{Catalog, CatalogError, QueueError};
use crate::device::Settings;
use crate::engine::{Engine, EngineError};
use crate::printer::{CodePage, Format, Paper, PrinterUri};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Exit codes, documented in `integra --help` and the README.
pub mod exit {
    /// Something went wrong with the device (disk, database, printer…).
    pub const FAILURE: u8 = 1;
    /// The command line was wrong.
    pub const USAGE: u8 = 2;
    /// A catalog or settings file is invalid; nothing was started.
    pub const INVALID_CONFIG: u8 = 3;
    /// The queue refused the request (closed service, unknown ticket…); nothing changed.
    pub const REFUSED: u8 = 4;
}

#[derive(Debug, Parser)]
#[command(
    name = "integra",
    version,
    about = "Integra: lobby kiosk firmware for community centers (tickets, appointments, activities)",
    after_help = "Exit codes: 0 ok, 1 device or data failure, 2 usage error, 3 invalid catalog or settings, 4 refused by the queue rules (nothing changed).\nWith no subcommand, `integra` opens the kiosk on the embedded demo center (`integra demo` runs a text demo)."
)]
pub struct Cli {
    /// Device settings file (role, printer, data directory…). Default: $INTEGRA_SETTINGS if set
    #[arg(long, global = true, value_name = "FILE", env = "INTEGRA_SETTINGS")]
    pub settings: Option<PathBuf>,
    /// Data directory (queue database). Default: the settings' data_dir, else $INTEGRA_DATA, else ~/.local/share/integra
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Center catalog file. Default: DATA/catalog.toml if present, else the embedded demo center
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Act as if the time were this instant (RFC 3339), for training and tests
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<DateTime<Utc>>,
    /// Printer: usb:/dev/usb/lp0, serial:/dev/serial0?baud=19200, tcp://HOST:9100 or file:PATH
    #[arg(long, global = true, value_name = "URI")]
    pub printer: Option<PrinterUri>,
    /// Paper width in mm: 58 or 80
    #[arg(long, global = true, value_name = "MM")]
    pub paper: Option<Paper>,
    /// Printer code page: cp858 (default), cp850, cp860, cp863, cp1252, cp437
    #[arg(long, global = true, value_name = "PAGE")]
    pub codepage: Option<CodePage>,
    /// The printer's number for that code page in `ESC t n`, when it differs from Epson's
    #[arg(long, global = true, value_name = "N")]
    pub codepage_number: Option<u8>,
    /// Content of a QR code printed on walk-in tickets (e.g. the center's page)
    #[arg(long, global = true, value_name = "TEXT")]
    pub qr: Option<String>,
    /// Where the hub listens (kiosk and hub): default 0.0.0.0:7878 with a settings file,
    /// 127.0.0.1:7878 on the demo
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open the visitor's kiosk full screen, with the hub in-process (the default)
    Kiosk {
        /// Benchmark: issue N tickets through the screens, print time to first frame and
        /// resident memory, and quit
        #[arg(long, hide = true)]
        bench_tickets: Option<u32>,
    },
    /// Check or print a center catalog file
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCmd),
    /// Run what the settings' role says (kiosk, hub, counter, display): what systemd starts
    Run,
    /// Run the hub alone, headless: the API, the event stream and the staff console
    Hub,
    /// Keep a live copy of the hub (this device paired as a kiosk) in DATA/standby and
    /// acknowledge each of its commits: what a kiosk with `standby = true` does beside its screen
    Standby {
        /// The hub's address, e.g. https://192.168.1.10:7878 (default: the settings' `hub`)
        #[arg(long, value_name = "URL")]
        hub: Option<String>,
    },
    /// The lobby display (full screen), following the hub set in the settings or found by mDNS
    Display,
    /// The counter terminal on a staff desk (touch; GPIO "next" button and call LED)
    Counter,
    /// Make a one-time PIN (valid 10 minutes) to pair a device or a staff browser with the hub
    Pair {
        /// What the device may do: kiosk, counter, display or admin
        #[arg(long, value_enum)]
        role: crate::hub::Role,
    },
    /// Pair this device with the hub (on another device) using a PIN from `integra pair`
    Join {
        /// The PIN shown by `integra pair --role ROLE` on the hub
        #[arg(long)]
        pin: String,
        /// The hub's address, e.g. https://192.168.1.10:7878 (default: the settings' `hub`)
        #[arg(long, value_name = "URL")]
        hub: Option<String>,
        /// What staff will see this device called (default: the host name)
        #[arg(long)]
        name: Option<String>,
        /// The hub's certificate fingerprint as `integra pair` shows it on the hub: pairing
        /// then refuses any other hub (without it, the fingerprint is shown to compare)
        #[arg(long, value_name = "HEX")]
        fingerprint: Option<String>,
    },
    /// Look for hubs on the network (mDNS) and print their addresses
    Discover,
    /// Apply the screen turn, touch matrix, Wi-Fi and ssh.pub to /run (as root, at each boot)
    BootSetup {
        /// Write under this directory instead of / (to check what would be written)
        #[arg(long, value_name = "DIR", default_value = "/")]
        root: PathBuf,
    },
    /// List the paired devices, or revoke one
    Devices {
        /// Revoke this device's token (its number from the list)
        #[arg(long, value_name = "ID")]
        revoke: Option<u64>,
    },
    /// Check a device settings file (integra.toml)
    #[command(subcommand)]
    Settings(settings_cmd::SettingsCmd),
    /// Issue a walk-in ticket; prints its number on the last line
    Issue(queue_cmds::IssueArgs),
    /// Print the waiting queue of every service
    Queue,
    /// Call the next ticket for a counter and print it
    Next(queue_cmds::NextArgs),
    /// Act on one of today's tickets: recall, start, finish, no-show, cancel, transfer, reprint
    Ticket(queue_cmds::TicketArgs),
    /// Book an appointment; prints its short code on the last line
    Book(queue_cmds::BookArgs),
    /// Check in an appointment by its short code; prints the ticket number on the last line
    CheckIn(queue_cmds::CheckInArgs),
    /// Sign up for a group activity; prints the sign-up code on the last line
    SignUp(queue_cmds::SignUpArgs),
    /// Print a test page (every language, the code page's accents, a QR) and the printer status
    PrintTest,
    /// Check this device and say in plain words what is wrong and how to fix it
    Doctor {
        /// Also print a test page
        #[arg(long)]
        print: bool,
        /// Also wait 10 s for a press of the GPIO "next" button
        #[arg(long)]
        press_test: bool,
    },
    /// Erase names and phone numbers older than the catalog's retention period (overwritten,
    /// then the database is vacuumed); the hub also does it daily
    Purge,
    /// Figures for a period (visitors, waiting and service times, languages, appointments,
    /// activities) as an HTML page with charts or as CSV
    Report(report_cmd::ReportArgs),
    /// The city's figures: the report across all centers from the city database
    #[command(subcommand)]
    City(city_cmd::CityCmd),
    /// Take a consistent copy of the data while the hub runs
    Backup {
        /// Where to write the backup, e.g. /media/usb/integra-2026-11-24.sqlite3
        file: PathBuf,
    },
    /// Replace the data with a backup (checked first; the previous data is kept aside)
    Restore {
        /// The backup file
        file: PathBuf,
    },
    /// On the hub's standby, when the hub is dead: become the hub (deploy/README §7a)
    Promote(promote_cmd::PromoteArgs),
    /// Measure committed ticket issues per second and call-next latency
    Bench(bench::BenchArgs),
    /// Run a short simulated morning at the embedded demo center
    Demo(demo::DemoArgs),
}

/// An error with the exit code it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl CliError {
    /// An error with its exit code; `message` is anything that reads as words (a `String`, or
    /// one of the typed errors).
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        CliError {
            code,
            message: message.to_string(),
        }
    }
}

impl From<CatalogError> for CliError {
    fn from(e: CatalogError) -> Self {
        CliError::new(exit::INVALID_CONFIG, e.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::new(exit::FAILURE, e.to_string())
    }
}

impl From<QueueError> for CliError {
    fn from(e: QueueError) -> Self {
        CliError::new(exit::REFUSED, e.to_string())
    }
}

impl From<EngineError> for CliError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Queue(q) => q.into(),
            EngineError::Store(s) => s.into(),
            EngineError::Replaced(by) => CliError::new(exit::REFUSED, EngineError::Replaced(by)),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(exit::FAILURE, e.to_string())
    }
}

/// When the process started (for the kiosk's time-to-first-frame figure).
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub fn main() -> ExitCode {
    let _ = STARTED.set(std::time::Instant::now());
    crate::device::recent_log::init("warn");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(exit::USAGE),
            };
        }
    };
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("integra: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

pub fn try_main(cli: Cli) -> Result<(), CliError> {
    pipe::end_quietly_on_closed_pipe(cli.command.as_ref());
    let loaded = cli.settings.as_ref().map(|p| load_settings_file(p));
    let settings = match &loaded {
        Some(Ok(s)) => Some(s.clone()),
        // The doctor reports a broken settings file instead of stopping at it, and `run` shows
        // it on the device's screen.
        Some(Err(e)) if !matches!(cli.command, Some(Cmd::Doctor { .. } | Cmd::Run)) => {
            return Err(e.clone());
        }
        _ => None,
    };
    if let Some(s) = &settings {
        crate::device::screen::turn_backend(&s.screen);
    }
    let base = settings
        .as_ref()
        .map(Settings::print_format)
        .unwrap_or_default();
    let listen = cli
        .listen
        .or_else(|| settings.as_ref().and_then(|s| s.listen))
        .unwrap_or_else(|| {
            let ip = if settings.is_some() {
                std::net::Ipv4Addr::UNSPECIFIED
            } else {
                std::net::Ipv4Addr::LOCALHOST
            };
            std::net::SocketAddr::from((ip, crate::hub::DEFAULT_PORT))
        });
    let ctx = Context {
        settings_path: cli.settings.clone(),
        listen,
        follow_url: settings
            .as_ref()
            .and_then(|s| s.follow_url.as_deref())
            .and_then(|u| crate::hub::follow::check_base(u).ok()),
        data: cli
            .data
            .clone()
            .or_else(|| settings.as_ref().map(|s| s.data_dir.clone())),
        catalog: cli
            .catalog
            .clone()
            .or_else(|| settings.as_ref().and_then(|s| s.catalog.clone())),
        at: cli.at,
        printer: cli
            .printer
            .clone()
            .or_else(|| settings.as_ref().and_then(Settings::printer_uri)),
        format: Format {
            paper: cli.paper.unwrap_or(base.paper),
            codepage: cli.codepage.unwrap_or(base.codepage),
            codepage_number: cli.codepage_number.or(base.codepage_number),
            qr: cli.qr.clone().or(base.qr),
        },
        city: settings.as_ref().and_then(|s| s.city.clone()),
        // On by default for the device that runs the hub; off without a settings file (a
        // laptop trying the program).
        backup: settings.as_ref().and_then(|s| match s.role {
            crate::device::settings::DeviceRole::Kiosk
            | crate::device::settings::DeviceRole::Hub => {
                Some(s.backup.clone().unwrap_or_default())
            }
            crate::device::settings::DeviceRole::Counter
            | crate::device::settings::DeviceRole::Display => None,
        }),
        setup_code: settings.as_ref().and_then(|s| s.setup_code.clone()),
    };
    let ctx = promote_cmd::on_promoted(ctx, matches!(cli.command, Some(Cmd::Promote(_))));
    match cli.command {
        None => kiosk_cmd::run(&ctx, settings.as_ref(), None),
        Some(Cmd::Kiosk { bench_tickets }) => {
            kiosk_cmd::run(&ctx, settings.as_ref(), bench_tickets)
        }
        Some(Cmd::Join {
            pin,
            hub,
            name,
            fingerprint,
        }) => hub_cmd::join(&ctx, settings.as_ref(), &pin, hub, name, fingerprint),
        Some(Cmd::Run) => tech_cmd::run(&ctx, cli.settings.as_deref(), loaded),
        Some(Cmd::Hub) => hub_cmd::serve(&ctx),
        Some(Cmd::Standby { hub }) => standby_cmd::run(&ctx, settings.as_ref(), hub),
        Some(Cmd::Display) => display_cmd::run(&ctx, settings.as_ref()),
        Some(Cmd::Counter) => counter_cmd::run(&ctx, settings.as_ref()),
        Some(Cmd::Pair { role }) => hub_cmd::pair(&ctx, role),
        Some(Cmd::Devices { revoke }) => hub_cmd::devices(&ctx, revoke),
        Some(Cmd::Discover) => hub_cmd::discover(),
        Some(Cmd::BootSetup { root }) => {
            boot_cmd::run(settings.as_ref(), cli.settings.as_deref(), &root)
        }
        Some(Cmd::Catalog(c)) => catalog_cmd::run(&ctx, c),
        Some(Cmd::Settings(c)) => settings_cmd::run(c),
        Some(Cmd::Issue(a)) => queue_cmds::issue(&ctx, a),
        Some(Cmd::Queue) => queue_cmds::queue(&ctx),
        Some(Cmd::Next(a)) => queue_cmds::next(&ctx, a),
        Some(Cmd::Ticket(a)) => queue_cmds::ticket(&ctx, a),
        Some(Cmd::Book(a)) => queue_cmds::book(&ctx, a),
        Some(Cmd::CheckIn(a)) => queue_cmds::check_in(&ctx, a),
        Some(Cmd::SignUp(a)) => queue_cmds::sign_up(&ctx, a),
        Some(Cmd::PrintTest) => print_cmd::print_test(&ctx),
        Some(Cmd::Doctor { print, press_test }) => {
            doctor_cmd::run(&ctx, cli.settings.as_deref(), loaded, print, press_test)
        }
        Some(Cmd::Purge) => data_cmd::purge(&ctx),
        Some(Cmd::Report(a)) => report_cmd::run(&ctx, &a),
        Some(Cmd::City(c)) => city_cmd::run(&ctx, c),
        Some(Cmd::Backup { file }) => data_cmd::backup(&ctx, &file),
        Some(Cmd::Restore { file }) => data_cmd::restore(&ctx, &file),
        Some(Cmd::Promote(a)) => promote_cmd::run(&ctx, settings.as_ref(), &a),
        Some(Cmd::Bench(a)) => bench::run(&ctx, a),
        Some(Cmd::Demo(a)) => demo::run(&ctx, &a),
    }
}

/// Write a report to `--out FILE` (then `said` on standard error) or to standard output.
pub(crate) fn write_report(
    out: Option<&std::path::Path>,
    text: &str,
    said: impl FnOnce(&std::path::Path) -> String,
) -> Result<(), CliError> {
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| {
                CliError::new(
                    exit::FAILURE,
                    format!(
                        "cannot write the report to {}: {e}. Give a writable path with --out",
                        path.display()
                    ),
                )
            })?;
            eprintln!("{}", said(path));
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Global options every subcommand shares.
#[derive(Clone)]
pub struct Context {
    /// The settings file given (the technician screens read it again).
    pub settings_path: Option<PathBuf>,
    /// Where the hub listens (kiosk and hub roles).
    pub listen: std::net::SocketAddr,
    /// Where visitors' phones reach the hub (follow links); the hub's own address when `None`.
    pub follow_url: Option<String>,
    pub data: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub at: Option<DateTime<Utc>>,
    pub printer: Option<PrinterUri>,
    pub format: Format,
    /// Where the hub sends the city's figures (`[city]` in the settings).
    pub city: Option<crate::device::settings::CitySettings>,
    /// Automatic backups and the restore of a new card (`[backup]`; None: off).
    pub backup: Option<crate::device::settings::BackupSettings>,
    /// The technician's code (the hub's `/setup` page; the doctor says whether it is spent).
    pub setup_code: Option<crate::device::SetupCode>,
}

impl Context {
    pub fn now(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(Utc::now)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(default_data_dir)
    }

    /// The catalog: --catalog FILE, else DATA/catalog.toml, else the embedded demo center.
    pub fn load_catalog(&self) -> Result<Arc<Catalog>, CliError> {
        let in_data = self.data_dir().join("catalog.toml");
        let path = match &self.catalog {
            Some(p) => Some(p.clone()),
            None if in_data.exists() => Some(in_data),
            None => None,
        };
        let catalog = match path {
            Some(p) => load_catalog_file(&p)?,
            None => Catalog::demo()?,
        };
        Ok(Arc::new(catalog))
    }

    /// The catalog in use: the coordinator's latest change when it was made from this catalog
    /// file, else the file (as the hub decides at start).
    pub fn current_catalog(&self, store: &crate::store::Store) -> Result<Arc<Catalog>, CliError> {
        let file = self.load_catalog()?;
        let latest = store.events_of_types(&["catalog_changed"], 1)?;
        let changed = match latest.into_iter().next().map(|e| e.event) {
            Some(crate::core::Event::CatalogChanged { catalog, base, .. }) => {
                Some((Arc::new(*catalog), base))
            }
            _ => None,
        };
        Ok(Catalog::in_use(
            file,
            changed.as_ref().map(|(c, base)| (c, base.as_str())),
        ))
    }

    /// The queue's engine, its day turned first when the core says so on this program's clock
    /// (see [`day::turn_if_due`]).
    pub fn engine(&self) -> Result<Engine, CliError> {
        let catalog = self.load_catalog()?;
        let mut engine = Engine::open(&self.data_dir(), catalog)?;
        day::turn_if_due(self, &mut engine)?;
        Ok(engine)
    }
}

pub fn load_settings_file(path: &Path) -> Result<Settings, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            exit::INVALID_CONFIG,
            format!(
                "cannot read the settings {}: {e}. Give the path of the device's integra.toml (examples in deploy/examples/)",
                path.display()
            ),
        )
    })?;
    let origin = path.display().to_string();
    let settings = Settings::parse(&text, &origin)
        .map_err(|e| CliError::new(exit::INVALID_CONFIG, e.to_string()))?;
    for notice in settings.notices(&text, &origin) {
        // To the journal on a device; to the technician's terminal for a check.
        eprintln!("warning: {notice}");
    }
    Ok(settings)
}

pub fn load_catalog_file(path: &Path) -> Result<Catalog, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            exit::INVALID_CONFIG,
            format!(
                "cannot read the catalog {}: {e}. Give the path of a center catalog (TOML), or leave --catalog out to use the demo center",
                path.display()
            ),
        )
    })?;
    Ok(Catalog::parse(&text, &path.display().to_string())?)
}

/// `$INTEGRA_DATA`, else `$XDG_DATA_HOME/integra`, else `~/.local/share/integra`, else `./integra-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("INTEGRA_DATA").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("integra");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".local/share/integra");
    }
    PathBuf::from("integra-data")
}
