//! The standby's side of the link (`crate::standby` keeps the copy on disk): connect to the hub's `/api/v1/replica` (pinned TLS, the
//! device's token), install each base, commit each batch, and acknowledge only after its own
//! durable commit. Reconnects by itself with backoff, forever, like every device link.

use crate::standby::copy::Copy;
use crate::standby::wire::{Base, Batch, ROUTE, ToHub, ToStandby};
use crate::standby::{StandbyError, copy_dir};
use futures_util::{SinkExt, StreamExt};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How this device reaches its hub as its standby.
#[derive(Debug, Clone)]
pub struct Standby {
    pub data_dir: PathBuf,
    /// The hub's address, e.g. `https://192.168.1.10:7878`.
    pub hub: String,
    pub token: String,
    /// The hub's certificate fingerprint pinned at `integra join` (needed for `https://`).
    pub fingerprint: Option<String>,
}

/// A base being received: where it goes and how much is still to come.
struct Incoming {
    path: PathBuf,
    file: std::fs::File,
    left: u64,
    seq: u64,
    base: u64,
    history: String,
}

impl Standby {
    /// This device as the standby of the hub at `hub`, with the pairing `integra join` left in
    /// `data_dir` (`hub-token`, `hub-fingerprint`).
    pub fn paired(data_dir: &Path, hub: &str) -> Result<Standby, StandbyError> {
        let token_path = data_dir.join(super::TOKEN_FILE);
        let token = std::fs::read_to_string(&token_path)
            .map(|t| t.trim().to_string())
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or(StandbyError::NotPaired {
                token: token_path.clone(),
            })?;
        let fingerprint = std::fs::read_to_string(data_dir.join(super::FINGERPRINT_FILE))
            .ok()
            .and_then(|f| crate::hub::tls::parse_fingerprint(f.trim()).ok());
        Ok(Standby {
            data_dir: data_dir.to_path_buf(),
            hub: hub.trim_end_matches('/').to_string(),
            token,
            fingerprint,
        })
    }

    /// Keep the copy on a thread of its own, forever.
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("standby".into())
            .spawn(move || self.run())
    }

    /// Keep the copy current: connect, take the base, follow; on any break wait (250 ms
    /// doubling to 5 s) and connect again. Never returns.
    pub fn run(self) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                log::error!("the standby cannot start its network runtime: {e}");
                return;
            }
        };
        let mut wait = Duration::from_millis(250);
        loop {
            let mut copy = match Copy::open(&self.data_dir) {
                Ok(c) => c,
                Err(e) => {
                    log::error!("{e}");
                    std::thread::sleep(Duration::from_secs(5));
                    continue;
                }
            };
            match rt.block_on(self.session(&mut copy)) {
                Ok(()) => wait = Duration::from_millis(250),
                Err(e) => log::warn!("standby of {}: {e}", self.hub),
            }
            if copy.state.is_some() {
                // It worked for a while: start the backoff again.
                wait = wait.min(Duration::from_secs(1));
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    }

    async fn session(&self, copy: &mut Copy) -> Result<(), StandbyError> {
        let pin = self.fingerprint.as_deref().map(crate::hub::tls::Pin::to);
        let url = format!("{}{ROUTE}", self.hub.replacen("http", "ws", 1));
        let mut ws = crate::hub::client::connect_ws(&self.hub, &url, &self.token, pin.as_ref())
            .await
            .map_err(|e| StandbyError::Link(e.to_string()))?;
        log::info!(
            "standby: connected to {}; the copy is in {}",
            self.hub,
            copy_dir(&self.data_dir).display()
        );
        let mut incoming: Option<Incoming> = None;
        loop {
            let msg = tokio::time::timeout(crate::hub::stream::STALE_AFTER, ws.next())
                .await
                .map_err(|_| StandbyError::Link("the hub has been silent too long".into()))?;
            let msg = match msg {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(StandbyError::Link(e.to_string())),
                None => return Err(StandbyError::Link("the hub closed the link".into())),
            };
            let ack = match msg {
                Message::Text(t) => {
                    match ToStandby::parse(&t).map_err(|e| StandbyError::Protocol(e.to_string()))? {
                        ToStandby::Base(Base {
                            base,
                            seq,
                            history,
                            bytes,
                        }) => {
                            let (path, file) = copy.incoming()?;
                            incoming = Some(Incoming {
                                path,
                                file,
                                left: bytes,
                                seq,
                                base,
                                history,
                            });
                            None
                        }
                        ToStandby::Batch(Batch {
                            after,
                            events,
                            keys,
                            snapshot,
                        }) => {
                            let seq = copy.commit(after, &events, &keys, snapshot.as_deref())?;
                            let base = copy.state.as_ref().map_or(0, |s| s.base);
                            Some(ToHub::Ack { seq, base })
                        }
                    }
                }
                Message::Binary(b) => {
                    let Some(mut inc) = incoming.take() else {
                        return Err(StandbyError::Protocol("base bytes without a base".into()));
                    };
                    inc.file.write_all(&b).map_err(|source| StandbyError::Io {
                        path: inc.path.clone(),
                        source,
                    })?;
                    inc.left = inc.left.saturating_sub(b.len() as u64);
                    if inc.left > 0 {
                        incoming = Some(inc);
                        None
                    } else {
                        drop(inc.file);
                        copy.install_base(&inc.path, inc.seq, inc.base, &inc.history, &self.hub)?;
                        log::info!("standby: base {} installed at seq {}", inc.base, inc.seq);
                        Some(ToHub::Ack {
                            seq: inc.seq,
                            base: inc.base,
                        })
                    }
                }
                Message::Close(_) => {
                    return Err(StandbyError::Link("the hub closed the link".into()));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {
                    copy.heard()?;
                    None
                }
            };
            if let Some(ack) = ack {
                let text = serde_json::to_string(&ack)
                    .map_err(|e| StandbyError::Protocol(e.to_string()))?;
                ws.send(Message::Text(text.into()))
                    .await
                    .map_err(|e| StandbyError::Link(e.to_string()))?;
            }
        }
    }
}
