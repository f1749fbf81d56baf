//! `integra join`'s side of pairing: SPAKE2 from the PIN on a WebSocket over this device's own
//! TLS 1.3 connection, bound to its exporter (see [`crate::hub::pake`]). The PIN never leaves
//! the device; what answers must prove it knows the PIN on this very connection before the
//! device sends anything more, and the device then pins exactly that connection's certificate.

use super::{ClientError, Remote, why};
use crate::hub::pake;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How long pairing may take, from the first byte to the token.
const PAIRING_TIMEOUT: Duration = Duration::from_secs(10);

/// What pairing gives a device.
#[derive(Debug, Clone)]
pub struct Paired {
    pub token: String,
    pub role: String,
    /// The hub's certificate fingerprint (over HTTPS): pin it.
    pub fingerprint: Option<String>,
}

impl Remote {
    /// Pair this device with the hub at `base` using a PIN; returns the token and role.
    pub fn pair(base: &str, pin: &str, name: &str) -> Result<(String, String), ClientError> {
        Self::pair_pinned(base, pin, name, None).map(|p| (p.token, p.role))
    }

    /// Pair with the hub at `base`. Over HTTPS the hub's certificate is recorded (its
    /// fingerprint comes back, to be pinned) — or, with `expected`, required. Plain HTTP (a hub
    /// on loopback, tests) runs the same exchange with nothing to bind.
    pub fn pair_pinned(
        base: &str,
        pin: &str,
        name: &str,
        expected: Option<&str>,
    ) -> Result<Paired, ClientError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot start the network runtime: {e}")))?;
        let url = reqwest::Url::parse(base)
            .map_err(|e| ClientError::Address(format!("'{base}' is not a hub address: {e}")))?;
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(ClientError::Address(format!(
                    "'{base}': a hub's address starts with https:// (not {other}://)"
                )));
            }
        };
        let Some(authority_host) = url.host_str().map(str::to_string) else {
            return Err(ClientError::Address(format!("'{base}' names no host")));
        };
        // An IPv6 address comes in brackets in an address, bare to connect and to TLS.
        let host = authority_host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(7878);
        let ws_url = format!("ws://{authority_host}:{port}/api/v1/pair/spake2");
        let tls_pin =
            expected.map_or_else(crate::hub::tls::Pin::first_use, crate::hub::tls::Pin::to);
        let talk = async {
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| {
                    ClientError::Unreachable(format!("cannot reach the hub at {base}: {e}"))
                })?;
            let _ = tcp.set_nodelay(true);
            if !tls {
                return exchange(&ws_url, tcp, Vec::new(), pin, name).await;
            }
            let config = crate::hub::tls::pairing_config(&tls_pin)?;
            let server_name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| ClientError::Address(format!("'{host}': {e}")))?;
            let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(server_name, tcp)
                .await
                .map_err(|e| {
                    ClientError::Unreachable(format!("cannot reach the hub at {base}: {}", why(&e)))
                })?;
            let binding = match pake::Channel::of(stream.get_ref().1) {
                pake::Channel::Tls13(e) => e.to_vec(),
                pake::Channel::OlderTls => {
                    return Err(ClientError::Refused(format!(
                        "the hub at {base} does not speak TLS 1.3: it cannot be paired with safely"
                    )));
                }
            };
            exchange(&ws_url, stream, binding, pin, name).await
        };
        let (token, role) = rt.block_on(async {
            tokio::time::timeout(PAIRING_TIMEOUT, talk)
                .await
                .map_err(|_| {
                    ClientError::Unreachable(format!(
                        "the hub at {base} did not finish pairing within {} s",
                        PAIRING_TIMEOUT.as_secs()
                    ))
                })?
        })?;
        Ok(Paired {
            token,
            role,
            fingerprint: if tls { tls_pin.seen() } else { None },
        })
    }
}

type Ws<S> = tokio_tungstenite::WebSocketStream<S>;

/// The exchange on a connection whose channel `binding` this device sees: the token and role.
async fn exchange<S>(
    ws_url: &str,
    stream: S,
    binding: Vec<u8>,
    pin: &str,
    name: &str,
) -> Result<(String, String), ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut ws, _) = tokio_tungstenite::client_async(ws_url, stream)
        .await
        .map_err(refused_upgrade)?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| ClientError::Setup(format!("no randomness from the system: {e}")))?;
    let device = pake::Device::new(&crate::hub::auth::pin_hash(pin), seed);
    send(&mut ws, &device.hello(name)).await?;
    let offers: pake::Offers = serde_json::from_value(receive(&mut ws).await?)
        .map_err(|_| ClientError::Refused(not_a_hub()))?;
    let proof = match device.check(name, &offers, &binding) {
        Ok(proof) => proof,
        Err(e) => {
            let _ = ws.close(None).await;
            return Err(match e {
                pake::PakeError::NoMatch => ClientError::WrongPin { left: offers.left },
                pake::PakeError::Malformed => ClientError::Refused(not_a_hub()),
            });
        }
    };
    send(&mut ws, &proof).await?;
    let answer = receive(&mut ws).await?;
    let _ = ws.close(None).await;
    match (answer["token"].as_str(), answer["role"].as_str()) {
        (Some(t), Some(r)) => Ok((t.to_string(), r.to_string())),
        _ => Err(ClientError::Refused(not_a_hub())),
    }
}

fn not_a_hub() -> String {
    "what answered does not pair as an Integra hub does".to_string()
}

async fn send<S, T: serde::Serialize>(ws: &mut Ws<S>, message: &T) -> Result<(), ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let text = serde_json::to_string(message)
        .map_err(|e| ClientError::Setup(format!("cannot write a pairing message: {e}")))?;
    ws.send(Message::Text(text.into()))
        .await
        .map_err(|e| ClientError::Unreachable(format!("the hub closed the pairing: {e}")))
}

/// The next message; the hub's refusal (`{"error": …}`) as [`ClientError::Refused`].
async fn receive<S>(ws: &mut Ws<S>) -> Result<Value, ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let message = ws.next().await.ok_or_else(|| {
            ClientError::Unreachable("the hub closed the pairing without a word".into())
        })?;
        match message {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str())
                    .map_err(|_| ClientError::Refused(not_a_hub()))?;
                if let Some(message) = v["error"]["message"].as_str() {
                    return Err(ClientError::Refused(message.to_string()));
                }
                return Ok(v);
            }
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
            Ok(Message::Binary(_)) => return Err(ClientError::Refused(not_a_hub())),
            Ok(Message::Close(_)) => {
                return Err(ClientError::Unreachable(
                    "the hub closed the pairing without a word".into(),
                ));
            }
            Err(e) => {
                return Err(ClientError::Unreachable(format!(
                    "the pairing broke off: {e}"
                )));
            }
        }
    }
}

/// A hub that refuses the WebSocket says why in a JSON error (e.g. too many attempts).
fn refused_upgrade(e: tokio_tungstenite::tungstenite::Error) -> ClientError {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Http(response) => {
            let said = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string));
            ClientError::Refused(said.unwrap_or_else(|| {
                format!(
                    "the hub answered {} instead of pairing: is it an Integra hub of this version?",
                    response.status()
                )
            }))
        }
        other => ClientError::Unreachable(format!("cannot open the pairing: {other}")),
    }
}
