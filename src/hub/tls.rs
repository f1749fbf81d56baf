//! The hub's own identity on the LAN: a key and a self-signed certificate made at its first
//! start (rcgen), kept in its data directory, served with rustls. Devices do not trust names or
//! certificate authorities: `integra join` records the certificate's SHA-256 fingerprint, and
//! from then on a device talks only to a hub showing that very certificate (and proving it holds
//! its key) — so a fake hub announced over mDNS gets no token, no command and no visitor.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::Digest;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The hub's certificate (public: staff browsers import it once).
pub const CERT_FILE: &str = "hub-certificate.pem";
/// The hub's private key (readable by the hub's user only).
pub const KEY_FILE: &str = "hub-key.pem";

/// The crypto the program uses (ring: builds for the Pi without extra tools). Installed as the
/// process default once, so every TLS client and server of the program agrees.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// What went wrong with the hub's identity or a TLS setup; each says what to do.
#[derive(Debug)]
pub enum TlsError {
    /// A file or directory of the identity cannot be made or written.
    File {
        path: std::path::PathBuf,
        why: String,
    },
    /// The identity on disk is damaged or half there (the message names the fix).
    Damaged(String),
    /// The key or certificate cannot be made or read.
    Identity(String),
    /// A typed fingerprint is not one.
    Fingerprint(String),
    /// rustls refused the configuration.
    Config(String),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::File { path, why } => write!(f, "cannot write {}: {why}", path.display()),
            TlsError::Damaged(m) | TlsError::Identity(m) | TlsError::Fingerprint(m) => {
                f.write_str(m)
            }
            TlsError::Config(m) => write!(f, "TLS: {m}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// An HTTP client builder ready for the hub: plain for `http://` addresses (tests, loopback),
/// and for `https://` addresses only the hub whose certificate has `fingerprint` (None: any
/// hub, recording what it shows — only for `join`, see [`Pin`]).
pub fn http_client(pin: &Pin) -> Result<reqwest::ClientBuilder, TlsError> {
    Ok(reqwest::Client::builder().use_preconfigured_tls(client_config(pin)?))
}

/// The SHA-256 of a certificate (DER), as 64 lowercase hex digits.
pub fn fingerprint_of(cert_der: &[u8]) -> String {
    sha2::Sha256::digest(cert_der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fingerprint as people compare it: groups of four, e.g. `3f2a 91c0 …`.
pub fn grouped(fingerprint: &str) -> String {
    fingerprint
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A fingerprint typed by a person (any case, spaces or colons between digits) in canonical
/// form, or why it is not one.
pub fn parse_fingerprint(typed: &str) -> Result<String, TlsError> {
    let hex: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(TlsError::Fingerprint(format!(
            "'{typed}' is not a hub fingerprint: 64 hexadecimal digits, as `integra pair` shows on the hub"
        )))
    }
}

/// The hub's key and certificate.
pub struct Identity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Load the hub's identity from `dir`, or make one at first start (the key readable by
    /// this user only). Damaged files are named with the fix, never silently replaced: every
    /// paired device has pinned the certificate.
    pub fn load_or_create(dir: &Path) -> Result<Identity, TlsError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => Self::load(&cert_path, &key_path),
            (false, false) => Self::create(dir, &cert_path, &key_path),
            _ => Err(TlsError::Damaged(format!(
                "only one of {} and {} exists: restore the other from a backup, or remove both to make a new identity (every device must then be paired again)",
                cert_path.display(),
                key_path.display()
            ))),
        }
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<Identity, TlsError> {
        let cert = CertificateDer::from_pem_file(cert_path).map_err(|e| {
            TlsError::Damaged(format!(
                "{} is not a certificate ({e}): restore it from a backup, or remove it and {} to make a new identity (every device must then be paired again)",
                cert_path.display(),
                KEY_FILE
            ))
        })?;
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
            TlsError::Damaged(format!(
                "{} is not a private key ({e}): restore it from a backup, or remove it and {} to make a new identity (every device must then be paired again)",
                key_path.display(),
                CERT_FILE
            ))
        })?;
        Ok(Identity { cert, key })
    }

    fn create(dir: &Path, cert_path: &Path, key_path: &Path) -> Result<Identity, TlsError> {
        std::fs::create_dir_all(dir).map_err(|e| TlsError::File {
            path: dir.to_path_buf(),
            why: e.to_string(),
        })?;
        let mut params = rcgen::CertificateParams::new(subject_names())
            .map_err(|e| TlsError::Identity(format!("cannot make the hub's certificate: {e}")))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Integra hub");
        // Long-lived: it is pinned, not checked against a calendar on a Pi without a clock.
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2124, 1, 1);
        let key = rcgen::KeyPair::generate()
            .map_err(|e| TlsError::Identity(format!("cannot make the hub's key: {e}")))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| TlsError::Identity(format!("cannot make the hub's certificate: {e}")))?;
        write_new(key_path, key.serialize_pem().as_bytes(), 0o600)?;
        write_new(cert_path, cert.pem().as_bytes(), 0o644)?;
        log::info!(
            "made the hub's key and certificate in {} (fingerprint {})",
            dir.display(),
            grouped(&fingerprint_of(cert.der()))
        );
        Self::load(cert_path, key_path)
    }

    /// The certificate's fingerprint (what devices pin).
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.cert)
    }

    /// The base64 SHA-256 of the hub's public key (SubjectPublicKeyInfo): what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes, for a kiosk-mode staff browser.
    pub fn spki_sha256(&self) -> Result<String, TlsError> {
        use rcgen::PublicKeyData as _;
        let key = rcgen::KeyPair::try_from(&self.key)
            .map_err(|e| TlsError::Identity(format!("the hub's key does not read: {e}")))?;
        Ok(base64(&sha2::Sha256::digest(key.subject_public_key_info())))
    }

    /// The TLS server configuration of the hub.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut c = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())
            .map_err(|e| {
                TlsError::Damaged(format!("the hub's key does not match its certificate: {e}"))
            })?;
        c.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(c))
    }
}

/// The names a staff browser may use for the hub: localhost, this machine's name (and its
/// `.local` mDNS name), and every address it has now.
fn subject_names() -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
        let h = h.trim();
        if !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            names.push(h.to_string());
            names.push(format!("{h}.local"));
        }
    }
    names.push("127.0.0.1".into());
    names.push("::1".into());
    if let Ok(addrs) = if_addrs::get_if_addrs() {
        for a in addrs {
            let ip = a.ip().to_string();
            if !names.contains(&ip) {
                names.push(ip);
            }
        }
    }
    names
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let file_error = |e: std::io::Error| TlsError::File {
        path: path.to_path_buf(),
        why: e.to_string(),
    };
    let mut f = opts.open(path).map_err(file_error)?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(file_error)
}

/// Which hub a device accepts: the one with this fingerprint, or (only while joining) any,
/// remembering what it showed.
#[derive(Debug, Clone, Default)]
pub struct Pin {
    pub expected: Option<String>,
    /// The fingerprint the hub showed on the last handshake.
    pub seen: Arc<Mutex<Option<String>>>,
}

impl Pin {
    pub fn to(fingerprint: &str) -> Pin {
        Pin {
            expected: Some(fingerprint.to_string()),
            seen: Default::default(),
        }
    }

    /// Trust on first use: for `join` only.
    pub fn first_use() -> Pin {
        Pin::default()
    }

    pub fn seen(&self) -> Option<String> {
        self.seen.lock().ok().and_then(|s| s.clone())
    }
}

/// A rustls client configuration that accepts exactly the pinned hub.
pub fn client_config(pin: &Pin) -> Result<rustls::ClientConfig, TlsError> {
    config_with(pin, rustls::DEFAULT_VERSIONS)
}

/// The configuration `integra join` pairs with: [`client_config`] over TLS 1.3 only, whose
/// exporter binds the pairing to the connection (see [`super::pake`]).
pub fn pairing_config(pin: &Pin) -> Result<rustls::ClientConfig, TlsError> {
    config_with(pin, &[&rustls::version::TLS13])
}

fn config_with(
    pin: &Pin,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<rustls::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(PinnedHub {
        pin: pin.clone(),
        algorithms: provider.signature_verification_algorithms,
    });
    let mut c = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}

#[derive(Debug)]
struct PinnedHub {
    pin: Pin,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedHub {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let shown = fingerprint_of(end_entity);
        if let Ok(mut seen) = self.pin.seen.lock() {
            *seen = Some(shown.clone());
        }
        match &self.pin.expected {
            Some(expected) if *expected != shown => Err(rustls::Error::General(format!(
                "this is not the hub this device was paired with (its certificate is {}, the paired hub's is {}): a fake hub, or the hub was reinstalled — pair again with `integra join`",
                grouped(&shown),
                grouped(expected)
            ))),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    // The handshake's signatures are checked for real: showing the hub's certificate is not
    // enough, the peer must hold its key.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
