use super::*;

/// Who an alert is about: a paired device (by its id) or this process's own kiosk or printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSource {
    /// The identity alerts are kept under ("device-ID", or "local-NAME").
    pub key: String,
    /// What staff read.
    pub name: String,
    pub id: Option<u64>,
}

impl AlertSource {
    /// This process's own kiosk ("kiosk") or hub printer ("hub").
    pub fn local(name: &str) -> AlertSource {
        AlertSource {
            key: format!("local-{name}"),
            name: name.to_string(),
            id: None,
        }
    }

    /// A paired device: alerts follow its id, whatever name it gave.
    pub fn device(id: u64, name: &str) -> AlertSource {
        AlertSource {
            key: format!("device-{id}"),
            name: name.to_string(),
            id: Some(id),
        }
    }
}

/// A problem with a device that staff should act on (printer out of paper, kiosk offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceAlert {
    /// Which device: "kiosk" for the hub's own, else the paired device's name.
    pub device: String,
    /// The paired device's id (none for this process's own kiosk or printer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<u64>,
    /// Stable code: paper-out, paper-near-end, cover-open, printer-offline, printer-unreachable,
    /// device-offline.
    pub kind: String,
    /// Plain words for staff (the console shows its own translation of `kind`).
    pub message: String,
    pub since: DateTime<Utc>,
}

impl Hub {
    /// Replace the alerts a device reports about itself (empty = all clear) and tell subscribers
    /// when they changed. Alerts are kept by the device's identity (`source.key`), never by its
    /// name, and "device-offline" — the hub's own finding — is left alone.
    pub fn set_device_alerts(&self, source: &AlertSource, alerts: Vec<(String, String)>) {
        let alerts: Vec<(String, String)> = alerts
            .into_iter()
            .filter(|(kind, _)| kind != OFFLINE)
            .collect();
        self.replace_alerts(source, alerts, |k| k != OFFLINE);
    }

    /// Raise (Some) or clear (None) the hub's "device-offline" alert of one device; nothing else
    /// of that device's alerts changes.
    pub(crate) fn set_offline(&self, source: &AlertSource, message: Option<String>) {
        let alerts = message
            .map(|m| (OFFLINE.to_string(), m))
            .into_iter()
            .collect();
        self.replace_alerts(source, alerts, |k| k == OFFLINE);
    }

    /// Replace the alerts of `source` whose kind `owned` says are being set.
    pub(super) fn replace_alerts(
        &self,
        source: &AlertSource,
        alerts: Vec<(String, String)>,
        owned: impl Fn(&str) -> bool,
    ) {
        let now = self.now();
        let key = source.key.as_str();
        let changed = {
            let mut all = lock(&self.inner.alerts);
            let before: Vec<String> = all
                .keys()
                .filter(|(d, k)| d == key && owned(k))
                .map(|(_, k)| k.clone())
                .collect();
            let wanted: Vec<String> = alerts.iter().map(|(kind, _)| kind.clone()).collect();
            all.retain(|(d, k), _| d != key || !owned(k) || wanted.contains(k));
            for (kind, message) in alerts {
                all.entry((key.to_string(), kind.clone()))
                    .and_modify(|a| {
                        a.message = message.clone();
                        a.device = source.name.clone();
                    })
                    .or_insert(DeviceAlert {
                        device: source.name.clone(),
                        device_id: source.id,
                        kind,
                        message,
                        since: now,
                    });
            }
            before.len() != wanted.len() || before.iter().any(|k| !wanted.contains(k))
        };
        if changed {
            let _ = self
                .inner
                .pushes
                .send(Push::Alerts(Arc::new(self.alerts())));
        }
    }

    pub fn alerts(&self) -> Vec<DeviceAlert> {
        lock(&self.inner.alerts).values().cloned().collect()
    }

    /// Serve the API, the event stream and the staff console on `addr` in plain HTTP (tests;
    /// see [`Hub::serve_with`]). Returns the bound address (port 0 picks a free one).
    pub async fn serve(
        &self,
        addr: SocketAddr,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        self.serve_with(addr, None).await
    }

    /// Serve on `addr` until the runtime stops; with `tls` (the hub's identity, see
    /// [`tls::Identity`]) HTTPS only, plain HTTP being redirected.
    pub async fn serve_with(
        &self,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let app = api::router(self.clone());
        let hub = self.clone();
        tokio::spawn(async move { auth::watch_presence(hub).await });
        // Devices unpaired by another program (`integra devices --revoke`) lose their streams
        // within a second too.
        let watching = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                tick.tick().await;
                let h = watching.clone();
                let ids = tokio::task::spawn_blocking(move || h.auth_store().revoked_ids()).await;
                if let Ok(Ok(ids)) = ids {
                    watching.inner.revoked.send_if_modified(|now| {
                        let changed = *now != ids;
                        *now = ids;
                        changed
                    });
                }
            }
        });
        // One truth: a command another program committed to this database (a technician's
        // `integra issue` beside the running hub) reaches every stream within a second.
        let following = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FOLLOW_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let h = following.clone();
                let _ = tokio::task::spawn_blocking(move || h.follow_others()).await;
            }
        });
        // Privacy: erase names and phones past the retention period, at start and every 6 hours.
        // The hub is "ready" once the first purge is done (it holds the database meanwhile).
        let purging = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(6 * 3600));
            let mut at_start = true;
            loop {
                tick.tick().await;
                let h = purging.clone();
                let _ = tokio::task::spawn_blocking(move || h.purge_personal(at_start)).await;
                purging.inner.ready.send_replace(true);
                at_start = false;
            }
        });
        // The day turns at local midnight even when nobody sends a command: open tickets of the
        // old day are closed and every screen shows the new day.
        let turning = self.clone();
        tokio::spawn(async move { turning.turn_days().await });
        // The hub loop's heartbeat for systemd's watchdog: it beats only when the engine can
        // be taken, so a stuck engine stops the pings.
        let beating = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(crate::device::watchdog::BEAT_EVERY);
            loop {
                tick.tick().await;
                let h = beating.clone();
                if tokio::task::spawn_blocking(move || drop(h.session()))
                    .await
                    .is_ok()
                {
                    crate::device::watchdog::beat("hub");
                }
            }
        });
        self.inner.follow.set_listen(local);
        let public = follow::routes().with_state(self.clone());
        // The hub's own names besides its addresses: its mDNS name, and the technician's
        // `follow_url` name.
        let names = [
            Some(format!("{}.local", super::discovery::host_name()).to_ascii_lowercase()),
            self.inner.follow.base_name(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let task = tokio::spawn(http::serve(listener, app, public, tls, names));
        Ok((local, task))
    }
}
