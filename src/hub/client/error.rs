/// Why talking to the hub on another device failed; each says what to do.
#[derive(Debug)]
pub enum ClientError {
    /// This device cannot set up its side (network runtime, HTTP client).
    Setup(String),
    /// The hub's address, host or this device's token cannot be used (pair again, fix `hub`).
    Address(String),
    /// The hub cannot be reached, or not safely (its certificate).
    Unreachable(String),
    /// The hub answered no (a PIN, a token), or what answered is not an Integra hub.
    Refused(String),
    /// Pairing: the hub did not prove it knows this PIN (a wrong, used or expired PIN, or not
    /// this center's hub); `left`: the attempts this address has left, as the hub said.
    WrongPin { left: Option<usize> },
    /// The event stream broke or carried what does not read.
    Stream(String),
    /// This device's TLS side.
    Tls(crate::hub::tls::TlsError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Setup(m)
            | ClientError::Address(m)
            | ClientError::Unreachable(m)
            | ClientError::Refused(m)
            | ClientError::Stream(m) => f.write_str(m),
            ClientError::Tls(e) => e.fmt(f),
            ClientError::WrongPin { left } => {
                f.write_str("the hub did not prove it knows this PIN: the PIN is wrong, used or expired, or what answered is not this center's hub (nothing that reveals the PIN was sent). Ask for a new PIN with `integra pair --role ROLE` on the hub or on the admin page")?;
                match left {
                    Some(n) => write!(f, " ({n} attempts left from this address)"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for ClientError {}

impl From<crate::hub::tls::TlsError> for ClientError {
    fn from(e: crate::hub::tls::TlsError) -> ClientError {
        ClientError::Tls(e)
    }
}
