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

/// What an alert is about: a fixed list, decided here. The console words each kind in the
/// receptionist's language (`console-alert-<code>` in `locales/*/console.ftl`, served by the
/// hub); a device names only the kind, never the words staff read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// A printer's (a kiosk's, or the hub's own).
    PaperOut,
    PaperNearEnd,
    CoverOpen,
    PrinterOffline,
    PrinterUnreachable,
    /// A lobby display that cannot be heard.
    AudioFailed,
    /// The hub's own findings: a device without a stream for a while, …
    DeviceOffline,
    /// … the hub cannot write its database, …
    StorageFailed,
    /// … the city's figures have not been sent for a day, …
    CityLinkDown,
    /// … no backup has succeeded for a day, …
    BackupMissing,
    /// … a device's own clock is more than a minute off the hub's (it decides with the hub's), …
    DeviceClock,
    /// … the hub is not sure of its clock (no time source, a jump, a boot behind its saved
    /// time): a coordinator sets or confirms it on the admin page, …
    ClockUnsure,
    /// … the clock says a later day but cannot be trusted: a coordinator starts it, …
    NewDay,
    /// … the standby did not acknowledge a commit in time: the hub goes on alone, …
    StandbyBehind,
    /// … the standby's link is gone: the hub goes on alone.
    StandbyOffline,
}

/// Who raises alerts of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaisedBy {
    /// A device about its printer.
    Printer,
    /// A device about its speakers.
    Speakers,
    /// The hub, about the center; no device may raise or clear these.
    Hub,
}

impl AlertKind {
    pub const ALL: [AlertKind; 15] = [
        AlertKind::PaperOut,
        AlertKind::PaperNearEnd,
        AlertKind::CoverOpen,
        AlertKind::PrinterOffline,
        AlertKind::PrinterUnreachable,
        AlertKind::AudioFailed,
        AlertKind::DeviceOffline,
        AlertKind::StorageFailed,
        AlertKind::CityLinkDown,
        AlertKind::BackupMissing,
        AlertKind::DeviceClock,
        AlertKind::ClockUnsure,
        AlertKind::NewDay,
        AlertKind::StandbyBehind,
        AlertKind::StandbyOffline,
    ];

    /// The stable code in the API and on the stream.
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::PaperOut => "paper-out",
            AlertKind::PaperNearEnd => "paper-near-end",
            AlertKind::CoverOpen => "cover-open",
            AlertKind::PrinterOffline => "printer-offline",
            AlertKind::PrinterUnreachable => "printer-unreachable",
            AlertKind::AudioFailed => "audio-failed",
            AlertKind::DeviceOffline => "device-offline",
            AlertKind::StorageFailed => "storage-failed",
            AlertKind::CityLinkDown => "city-link-down",
            AlertKind::BackupMissing => "backup-missing",
            AlertKind::DeviceClock => "device-clock",
            AlertKind::ClockUnsure => "clock-unsure",
            AlertKind::NewDay => "new-day",
            AlertKind::StandbyBehind => "standby-behind",
            AlertKind::StandbyOffline => "standby-offline",
        }
    }

    pub fn parse(code: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The words staff read (`locales/*/console.ftl`).
    pub fn fluent_id(self) -> &'static str {
        match self {
            AlertKind::PaperOut => "console-alert-paper-out",
            AlertKind::PaperNearEnd => "console-alert-paper-near-end",
            AlertKind::CoverOpen => "console-alert-cover-open",
            AlertKind::PrinterOffline => "console-alert-printer-offline",
            AlertKind::PrinterUnreachable => "console-alert-printer-unreachable",
            AlertKind::AudioFailed => "console-alert-audio-failed",
            AlertKind::DeviceOffline => "console-alert-device-offline",
            AlertKind::StorageFailed => "console-alert-storage-failed",
            AlertKind::CityLinkDown => "console-alert-city-link-down",
            AlertKind::BackupMissing => "console-alert-backup-missing",
            AlertKind::DeviceClock => "console-alert-device-clock",
            AlertKind::ClockUnsure => "console-alert-clock-unsure",
            AlertKind::NewDay => "console-alert-new-day",
            AlertKind::StandbyBehind => "console-alert-standby-behind",
            AlertKind::StandbyOffline => "console-alert-standby-offline",
        }
    }

    pub fn raised_by(self) -> RaisedBy {
        match self {
            AlertKind::PaperOut
            | AlertKind::PaperNearEnd
            | AlertKind::CoverOpen
            | AlertKind::PrinterOffline
            | AlertKind::PrinterUnreachable => RaisedBy::Printer,
            AlertKind::AudioFailed => RaisedBy::Speakers,
            AlertKind::DeviceOffline
            | AlertKind::StorageFailed
            | AlertKind::CityLinkDown
            | AlertKind::BackupMissing
            | AlertKind::DeviceClock
            | AlertKind::ClockUnsure
            | AlertKind::NewDay
            | AlertKind::StandbyBehind
            | AlertKind::StandbyOffline => RaisedBy::Hub,
        }
    }

    /// Whether a paired device of `role` may report this kind about itself: a kiosk its
    /// printer's, a display its speakers'; no device the hub's own findings, and staff devices
    /// nothing (they have no printer or speakers the hub hears of).
    pub fn reported_by(self, role: Role) -> bool {
        match (self.raised_by(), role) {
            (RaisedBy::Printer, Role::Kiosk) | (RaisedBy::Speakers, Role::Display) => true,
            (RaisedBy::Printer, Role::Display | Role::Counter | Role::Admin)
            | (RaisedBy::Speakers, Role::Kiosk | Role::Counter | Role::Admin)
            | (RaisedBy::Hub, Role::Kiosk | Role::Display | Role::Counter | Role::Admin) => false,
        }
    }

    /// The kinds a device of `role` may report (for its error message and the API document).
    pub fn reported_by_role(role: Role) -> Vec<AlertKind> {
        AlertKind::ALL
            .into_iter()
            .filter(|k| k.reported_by(role))
            .collect()
    }

    /// The words of a kind in English, for the API's `message` and logs (the console shows its
    /// own translation of the kind).
    fn words(self) -> String {
        match crate::i18n::Localizer::new(crate::core::Lang::En) {
            Ok(l) => l.text(self.fluent_id(), None),
            Err(_) => self.code().to_string(),
        }
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
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
    pub kind: AlertKind,
    /// The hub's words (English; the console shows its own translation of `kind`): for a
    /// device's alert, the kind's; for the hub's own findings, what it found. Never text a
    /// device sent.
    pub message: String,
    pub since: DateTime<Utc>,
    /// For "new-day": the day the clock says, which a coordinator confirms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<chrono::NaiveDate>,
}

impl Hub {
    /// Replace the alerts a device reports about itself (empty = all clear) and tell subscribers
    /// when they changed. Alerts are kept by the device's identity (`source.key`), never by its
    /// name; the hub's own findings ("device-offline", …) are left alone, whatever is passed.
    pub fn set_device_alerts(&self, source: &AlertSource, kinds: Vec<AlertKind>) {
        let device_kind = |k: AlertKind| match k.raised_by() {
            RaisedBy::Printer | RaisedBy::Speakers => true,
            RaisedBy::Hub => false,
        };
        let alerts: Vec<(AlertKind, String)> = kinds
            .into_iter()
            .filter(|k| device_kind(*k))
            .map(|k| (k, k.words()))
            .collect();
        self.replace_alerts(source, alerts, device_kind);
    }

    /// Raise (Some) or clear (None) the hub's "device-offline" alert of one device; nothing else
    /// of that device's alerts changes.
    pub(crate) fn set_offline(&self, source: &AlertSource, message: Option<String>) {
        let alerts = message
            .map(|m| (AlertKind::DeviceOffline, m))
            .into_iter()
            .collect();
        self.replace_alerts(source, alerts, |k| k == AlertKind::DeviceOffline);
    }

    /// Raise (Some: what the hub found) or clear (None) the hub's "device-clock" alert of one
    /// device; nothing else of that device's alerts changes.
    /// A hub on a fixed clock (training, tests: `--at`) judges no device's clock: every real
    /// one would look off.
    pub(crate) fn set_clock_off(&self, source: &AlertSource, message: Option<String>) {
        if self.inner.keeper.is_fixed() {
            return;
        }
        let alerts = message
            .map(|m| (AlertKind::DeviceClock, m))
            .into_iter()
            .collect();
        self.replace_alerts(source, alerts, |k| k == AlertKind::DeviceClock);
    }

    /// Replace the alerts of `source` whose kind `owned` says are being set.
    pub(super) fn replace_alerts(
        &self,
        source: &AlertSource,
        alerts: Vec<(AlertKind, String)>,
        owned: impl Fn(AlertKind) -> bool,
    ) {
        let now = self.now();
        let key = source.key.as_str();
        let changed = {
            let mut all = lock(&self.inner.alerts);
            let before: Vec<AlertKind> = all
                .keys()
                .filter(|(d, k)| d == key && owned(*k))
                .map(|(_, k)| *k)
                .collect();
            let wanted: Vec<AlertKind> = alerts.iter().map(|(kind, _)| *kind).collect();
            all.retain(|(d, k), _| d != key || !owned(*k) || wanted.contains(k));
            for (kind, message) in alerts {
                all.entry((key.to_string(), kind))
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
                        day: None,
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
        // A returning hub asks its standby whether it was promoted meanwhile (`hub::epoch`),
        // over TLS pinned to its own identity (the standby holds the same one).
        let fingerprint = match (&tls, self.inner.db_path.parent()) {
            (Some(_), Some(dir)) => super::tls::Identity::load_or_create(dir)
                .ok()
                .map(|id| id.fingerprint()),
            (Some(_) | None, _) => None,
        };
        self.ask_standby_at_start(fingerprint.as_deref()).await;
        tokio::spawn(self.clone().ask_standby_forever(fingerprint));
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
        // The day turns at local midnight on a clock the hub trusts (else a coordinator is
        // asked), even when nobody sends a command (see `day`).
        let turning = self.clone();
        tokio::spawn(async move { turning.turn_days().await });
        // The hub keeps the center's time: saved every minute, jumps caught, doubts said.
        tokio::spawn(super::clock_watch::watch(self.clone()));
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
        // The follow views, computed again once after each commit for every phone waiting.
        tokio::spawn(follow::refresh_after_commits(self.clone()));
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
