//! Fencing (issue #32 point 3): no two hubs, ever. Each hub has an epoch, durable in its
//! database (`store::epoch`): 1 for every hub never promoted, one more at each `integra
//! promote`. It is sent on `/health` and at the start of every event stream; every device keeps
//! the highest it has seen (`hub-epoch` in its data directory), refuses a hub below it, and
//! sends it with every command ([`HEADER`]). A hub that sees a higher epoch than its own steps
//! down for good: it records it (a restart reads it back), refuses every request with 409
//! `replaced` ("this device is no longer the hub: use …"), closes its streams and stops
//! announcing itself. A hub also asks its standby's `/health` (at start and every
//! [`ASK_EVERY`]) and steps down when the standby answers with a higher epoch: a returning
//! old hub that no device has told yet.

use super::{Hub, Push};
use crate::core::Lang;
use crate::store::epoch::Fence;
use std::sync::Arc;
use std::time::Duration;

/// The header every command of a device carries: the highest hub epoch it has seen.
pub const HEADER: &str = "integra-epoch";
/// How often a hub asks its standby whether it was promoted.
pub const ASK_EVERY: Duration = Duration::from_secs(10);

impl Hub {
    /// This hub's epoch.
    pub fn epoch(&self) -> u64 {
        self.inner.fence.borrow().epoch
    }

    /// The fence as it is now (epoch, replaced, standby's address).
    pub fn fence(&self) -> Fence {
        self.inner.fence.borrow().clone()
    }

    /// The higher epoch that replaced this hub, once one was seen.
    pub fn replaced_by(&self) -> Option<u64> {
        self.inner
            .fence
            .borrow()
            .replaced
            .as_ref()
            .map(|r| r.by_epoch)
    }

    /// The standby's address (where devices go when this hub is gone), as last recorded.
    pub fn standby_address(&self) -> Option<String> {
        self.inner.fence.borrow().standby.clone()
    }

    /// Record where this hub's standby is (the replication calls this when the standby
    /// connects): durably, and every device hears of it on its stream.
    pub fn set_standby_address(
        &self,
        address: Option<&str>,
    ) -> Result<(), crate::store::StoreError> {
        let address = address.map(|a| a.trim_end_matches('/'));
        if self.standby_address().as_deref() == address {
            return Ok(());
        }
        self.auth_store().set_standby_address(address)?;
        self.inner
            .fence
            .send_modify(|f| f.standby = address.map(str::to_string));
        let _ = self.inner.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        Ok(())
    }

    /// A device or the standby showed `epoch`: above this hub's own, this hub steps down for
    /// good (recorded first, then every stream is closed and every request refused). True
    /// when it stepped down now.
    pub fn saw_epoch(&self, epoch: u64) -> bool {
        let own = self.fence();
        let higher = epoch > own.epoch && own.replaced.as_ref().is_none_or(|r| r.by_epoch < epoch);
        if !higher {
            return false;
        }
        let now = chrono::Utc::now();
        match self.auth_store().step_down(epoch, now) {
            Ok(_) => {}
            // Not recorded: step down in memory all the same (a restart asks the standby).
            Err(e) => log::error!("cannot record that this hub was replaced: {e}"),
        }
        let first = own.replaced.is_none();
        self.inner.fence.send_modify(|f| {
            f.replaced = Some(crate::store::epoch::Replaced {
                by_epoch: epoch,
                at: now,
            })
        });
        log::error!(
            "a hub of epoch {epoch} replaced this one (epoch {}): this device is no longer the hub and refuses every command{}",
            own.epoch,
            own.standby
                .as_deref()
                .map(|s| format!("; the hub is at {s}"))
                .unwrap_or_default()
        );
        // Streams hear of it and close.
        let _ = self.inner.pushes.send(Push::Alerts(Arc::new(Vec::new())));
        first
    }

    /// Wait until this hub steps down (at once if it already has).
    pub async fn stepped_down(&self) {
        let mut rx = self.inner.fence.subscribe();
        let _ = rx.wait_for(|f| f.replaced.is_some()).await;
    }

    /// What a refused person reads, in `lang`: this device is no longer the hub, and where
    /// the hub is when known.
    pub fn replaced_message(&self, lang: Lang) -> String {
        replaced_text(self.standby_address(), lang)
    }

    /// Ask the standby (at start, then every [`ASK_EVERY`]) whether it was promoted; step
    /// down when it answers with a higher epoch. Over HTTPS it must show this hub's own
    /// certificate (the standby holds the same identity), so no stranger can fence a hub.
    pub async fn ask_standby_forever(self, fingerprint: Option<String>) {
        let Some(client) = standby_client(fingerprint.as_deref()) else {
            return;
        };
        loop {
            tokio::time::sleep(ASK_EVERY).await;
            if self.replaced_by().is_some() {
                return;
            }
            self.ask_standby_once(&client).await;
        }
    }

    /// Ask the standby once (before this hub serves anything at start: a returning old hub
    /// whose standby was promoted never issues).
    pub async fn ask_standby_at_start(&self, fingerprint: Option<&str>) {
        if self.replaced_by().is_some() || self.standby_address().is_none() {
            return;
        }
        if let Some(client) = standby_client(fingerprint) {
            self.ask_standby_once(&client).await;
        }
    }

    async fn ask_standby_once(&self, client: &reqwest::Client) {
        if let Some(standby) = self.standby_address()
            && let Some(epoch) = standby_epoch(client, &standby).await
        {
            self.saw_epoch(epoch);
        }
    }
}

/// A client for the standby: pinned to this hub's own certificate (`fingerprint`), plain
/// HTTP without one (a test hub).
fn standby_client(fingerprint: Option<&str>) -> Option<reqwest::Client> {
    {
        let client = match fingerprint {
            Some(f) => super::tls::http_client(&super::tls::Pin::to(f)).map(|b| b.build()),
            None => {
                super::tls::provider();
                Ok(Ok(reqwest::Client::new()))
            }
        };
        match client {
            Ok(Ok(c)) => Some(c),
            Ok(Err(e)) => {
                log::warn!("cannot make a client to ask the standby: {e}");
                None
            }
            Err(e) => {
                log::warn!("cannot make a client to ask the standby: {e}");
                None
            }
        }
    }
}

/// The epoch the hub at `base` says on `/health`, if it answers (3 s at most).
pub async fn standby_epoch(client: &reqwest::Client, base: &str) -> Option<u64> {
    let r = client
        .get(format!("{base}/api/v1/health"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    v["epoch"].as_u64()
}

/// The header the standby's link may carry: the port its hub will listen on once promoted
/// (without it, the port the standby reached this hub on: a center's devices share `listen`).
pub const STANDBY_PORT_HEADER: &str = "integra-standby-port";

/// The standby connected from `peer`: record its address (`https://IP:PORT`) for devices and
/// for this hub's own question at start.
pub fn standby_connected(hub: &Hub, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) {
    let port = headers
        .get(STANDBY_PORT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u16>().ok())
        .or_else(|| {
            let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
            host.rsplit_once(':')?.1.parse().ok()
        })
        .unwrap_or(super::DEFAULT_PORT);
    let address = format!("https://{}", std::net::SocketAddr::new(peer.ip(), port));
    if let Err(e) = hub.set_standby_address(Some(&address)) {
        log::warn!("cannot record the standby's address {address}: {e}");
    }
}

/// The epoch a request carries in [`HEADER`], if any and readable.
pub fn header_epoch(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// What a refused person reads, in `lang`: this device is no longer the hub, and where the hub
/// is when known (`hub`: the promoted standby's address).
pub fn replaced_text(hub: Option<String>, lang: Lang) -> String {
    let text = crate::i18n::Localizer::new(lang).map(|l| match &hub {
        Some(hub) => {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("hub", hub.clone());
            l.text("error-replaced", Some(&args))
        }
        None => l.text("error-replaced-unknown", None),
    });
    text.unwrap_or_else(|_| "This device is no longer the hub.".into())
}

/// The epoch the hub at `url` answers with (over TLS it must show `fingerprint`), with its
/// status; None when nothing answers in 3 s.
pub fn probe(url: &str, fingerprint: &str) -> Option<(String, u64)> {
    let client = if url.starts_with("https://") {
        super::tls::http_client(&super::tls::Pin::to(fingerprint))
            .ok()?
            .build()
            .ok()?
    } else {
        super::tls::provider();
        reqwest::Client::new()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let r = client
            .get(format!("{}/api/v1/health", url.trim_end_matches('/')))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .ok()?;
        let v: serde_json::Value = r.json().await.ok()?;
        Some((
            v["status"].as_str()?.to_string(),
            v["epoch"].as_u64().unwrap_or(1),
        ))
    })
}
