//! Printer links chosen by one URI: `usb:/dev/usb/lp0`, `serial:/dev/serial0?baud=19200`,
//! `tcp://HOST:9100`, `file:PATH`. Each can write bytes; those that can read back answer the
//! real-time status request (`DLE EOT n`).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How long to wait for a connection, a write, or a status byte.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
pub const STATUS_TIMEOUT: Duration = Duration::from_millis(500);

const FORMS: &str =
    "expected one of: usb:/dev/usb/lp0, serial:/dev/serial0?baud=19200, tcp://HOST:9100, file:PATH";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterUri {
    Usb(PathBuf),
    Serial { path: PathBuf, baud: u32 },
    Tcp { host: String, port: u16 },
    File(PathBuf),
}

impl fmt::Display for PrinterUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterUri::Usb(p) => write!(f, "usb:{}", p.display()),
            PrinterUri::Serial { path, baud } => write!(f, "serial:{}?baud={baud}", path.display()),
            PrinterUri::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterUri::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// A printer address that cannot be used, and the forms it may take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("printer '{uri}': {problem}; {FORMS}")]
pub struct PrinterUriError {
    pub uri: String,
    pub problem: UriProblem,
}

/// What is wrong with a printer address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriProblem {
    #[error("no device path")]
    NoDevicePath,
    #[error("baud '{0}' is not a speed from 1200 to 921600")]
    Baud(String),
    #[error("unknown option '{0}' (only baud=N)")]
    UnknownOption(String),
    #[error("port '{0}' is not a number from 1 to 65535")]
    Port(String),
    #[error("no host")]
    NoHost,
    #[error("no file path")]
    NoFilePath,
    #[error("unknown kind of link")]
    UnknownKind,
}

impl FromStr for PrinterUri {
    type Err = PrinterUriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = |problem: UriProblem| PrinterUriError {
            uri: s.to_string(),
            problem,
        };
        if let Some(path) = s.strip_prefix("usb:") {
            if path.is_empty() {
                return Err(bad(UriProblem::NoDevicePath));
            }
            return Ok(PrinterUri::Usb(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("serial:") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(bad(UriProblem::NoDevicePath));
            }
            let mut baud = 19_200;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("baud", v)) => {
                        baud = v
                            .parse()
                            .ok()
                            .filter(|b| (1_200..=921_600).contains(b))
                            .ok_or_else(|| bad(UriProblem::Baud(v.to_string())))?;
                    }
                    _ => return Err(bad(UriProblem::UnknownOption(pair.to_string()))),
                }
            }
            return Ok(PrinterUri::Serial {
                path: PathBuf::from(path),
                baud,
            });
        }
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                    h,
                    p.parse::<u16>()
                        .map_err(|_| bad(UriProblem::Port(p.to_string())))?,
                ),
                _ => (rest, 9100),
            };
            if host.is_empty() {
                return Err(bad(UriProblem::NoHost));
            }
            return Ok(PrinterUri::Tcp {
                host: host.trim_matches(['[', ']']).to_string(),
                port,
            });
        }
        if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                return Err(bad(UriProblem::NoFilePath));
            }
            return Ok(PrinterUri::File(PathBuf::from(path)));
        }
        Err(bad(UriProblem::UnknownKind))
    }
}

/// An open connection to a printer.
pub trait Link: Send {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Send `DLE EOT n` and read the one-byte answer; `None` when this link cannot read back.
    fn query(&mut self, n: u8) -> io::Result<Option<u8>>;
}

/// Open the link a URI names.
pub fn open(uri: &PrinterUri) -> io::Result<Box<dyn Link>> {
    match uri {
        PrinterUri::File(path) => {
            let f = OpenOptions::new().create(true).append(true).open(path)?;
            Ok(Box::new(FileLink(f)))
        }
        PrinterUri::Usb(path) => {
            let f = OpenOptions::new().read(true).write(true).open(path)?;
            Ok(Box::new(UsbLink(f)))
        }
        PrinterUri::Tcp { host, port } => {
            let addrs: Vec<SocketAddr> = (host.as_str(), *port).to_socket_addrs()?.collect();
            let mut last =
                io::Error::new(io::ErrorKind::NotFound, format!("no address for {host}"));
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                    Ok(s) => {
                        s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                        s.set_read_timeout(Some(STATUS_TIMEOUT))?;
                        s.set_nodelay(true)?;
                        return Ok(Box::new(TcpLink(s)));
                    }
                    Err(e) => last = e,
                }
            }
            Err(last)
        }
        PrinterUri::Serial { path, baud } => {
            let mut uart =
                rppal::uart::Uart::with_path(path, *baud, rppal::uart::Parity::None, 8, 1)
                    .map_err(to_io)?;
            uart.set_write_mode(true).map_err(to_io)?;
            uart.set_read_mode(0, STATUS_TIMEOUT).map_err(to_io)?;
            Ok(Box::new(SerialLink(uart)))
        }
    }
}

fn to_io(e: rppal::uart::Error) -> io::Error {
    match e {
        rppal::uart::Error::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

struct FileLink(File);

impl Link for FileLink {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)?;
        self.0.flush()
    }
    fn query(&mut self, _n: u8) -> io::Result<Option<u8>> {
        Ok(None)
    }
}

struct TcpLink(TcpStream);

impl Link for TcpLink {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)?;
        self.0.flush()
    }
    fn query(&mut self, n: u8) -> io::Result<Option<u8>> {
        self.0.write_all(&[0x10, 0x04, n])?;
        let mut b = [0u8; 1];
        match self.0.read(&mut b) {
            Ok(1) => Ok(Some(b[0])),
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the printer closed the connection",
            )),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// A USB printer-class device (`/dev/usb/lp0`): written like a file, read back with a timeout.
struct UsbLink(File);

impl Link for UsbLink {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)?;
        self.0.flush()
    }
    fn query(&mut self, n: u8) -> io::Result<Option<u8>> {
        self.0.write_all(&[0x10, 0x04, n])?;
        if !readable(&self.0, STATUS_TIMEOUT)? {
            return Ok(None);
        }
        let mut b = [0u8; 1];
        match self.0.read(&mut b)? {
            1 => Ok(Some(b[0])),
            _ => Ok(None),
        }
    }
}

/// Wait until a file descriptor has something to read.
fn readable(f: &File, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: f.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd for the duration of the call.
    let r = unsafe { libc::poll(&mut pfd, 1, ms) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(r > 0 && pfd.revents & libc::POLLIN != 0)
}

struct SerialLink(rppal::uart::Uart);

impl Link for SerialLink {
    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = self.0.write(bytes).map_err(to_io)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the serial port took nothing",
                ));
            }
            bytes = &bytes[n..];
        }
        self.0.drain().map_err(to_io)
    }
    fn query(&mut self, n: u8) -> io::Result<Option<u8>> {
        self.write_all(&[0x10, 0x04, n])?;
        let mut b = [0u8; 1];
        match self.0.read(&mut b).map_err(to_io)? {
            1 => Ok(Some(b[0])),
            _ => Ok(None),
        }
    }
}
