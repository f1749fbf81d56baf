//! The hub's side of its standby (issue #32 point 3; the device's side is `crate::standby`, the
//! wire `standby::wire`): who may be the standby, the link that sends it a base and then every
//! commit in order, and the group commit's wait for its acknowledgement.
//!
//! Synchronous while connected: the group commit's leader answers (and publishes) a batch only
//! once the standby acknowledged its last sequence number — durable on both — or after
//! [`SYNC_WAIT`]: then the standby is *behind*, the hub goes on alone and says so (alert,
//! `/health`), keeps sending, and is synchronous again when an acknowledgement reaches the
//! durable sequence number. A hub that never had a standby connected never waits.

use super::api::{ApiError, caller};
use super::auth::Action;
use super::{AlertKind, Hub, Inner, Role, lock};
use crate::standby::wire::{Base, Batch, CHUNK, MAX_BATCH, ToHub, ToStandby};
use crate::store::Store;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a commit waits for the standby's acknowledgement before the hub goes on alone.
pub const SYNC_WAIT: Duration = Duration::from_millis(1500);
/// The file in the hub's data directory naming the device that is its standby (its id).
pub const GRANT_FILE: &str = "standby-device";
/// How often the link looks for commits it was not woken for (another program's).
const POLL: Duration = Duration::from_millis(250);

/// The link to the standby, shared by the group commit and the connection's task.
#[derive(Default)]
pub(crate) struct Link {
    state: Mutex<LinkState>,
    changed: Condvar,
    wake: tokio::sync::Notify,
}

#[derive(Default)]
struct LinkState {
    /// The connection open now (each gets a new number).
    open: Option<u64>,
    opened: u64,
    /// A standby connected since this hub started, or recorded on it (so its absence is news).
    known: bool,
    /// A recorded standby this hub expects back since it started (issue #32: a hub that
    /// restarts after a power cut must notice the standby that does not return); `None` once it
    /// is back or reported.
    expected_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Commits wait for its acknowledgement.
    synchronous: bool,
    acked: u64,
    /// Bases asked (a pairing, a revocation, a purge) and the last one the standby installed.
    base_wanted: u64,
    base_acked: u64,
}

/// What `/health` and the doctor say of the standby.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StandbyStatus {
    /// "none" (never connected since start), "synchronous", "behind" or "offline".
    pub state: &'static str,
    /// The last sequence number the standby said is durable there.
    pub acked_seq: u64,
}

impl Link {
    /// The group commit's leader committed up to `seq`: tell the link, and while the standby is
    /// synchronous wait (at most [`SYNC_WAIT`]) until it has acknowledged `seq`.
    pub(crate) fn await_ack(&self, inner: &Inner, seq: u64) {
        self.wake.notify_one();
        let deadline = Instant::now() + SYNC_WAIT;
        let mut st = lock(&self.state);
        while st.synchronous && st.acked < seq {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.synchronous = false;
                let acked = st.acked;
                drop(st);
                log::warn!(
                    "the standby has not acknowledged seq {seq} within {} ms (it has {acked}): going on alone until it catches up",
                    SYNC_WAIT.as_millis()
                );
                inner.hub_alert(
                    AlertKind::StandbyBehind,
                    Some(format!(
                        "the standby is behind (it has up to {acked}, the hub {seq}): tickets are saved on the hub only until it catches up"
                    )),
                );
                return;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Something outside the log changed (a pairing, a revocation, a purge): send a new base.
    pub(crate) fn rebase(&self) {
        let mut st = lock(&self.state);
        if st.open.is_some() {
            st.base_wanted += 1;
            drop(st);
            self.wake.notify_one();
        }
    }

    /// [`Link::rebase`], then wait (at most `limit`) until the standby installed it, while it is
    /// synchronous: a pairing is answered once the copy holds it.
    pub(crate) fn rebase_and_wait(&self, limit: Duration) {
        self.rebase();
        let deadline = Instant::now() + limit;
        let mut st = lock(&self.state);
        let wanted = st.base_wanted;
        while st.synchronous && st.base_acked < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn opened(&self) -> u64 {
        let mut st = lock(&self.state);
        st.opened += 1;
        st.open = Some(st.opened);
        st.known = true;
        st.expected_since = None;
        st.synchronous = false;
        st.acked = 0;
        st.base_wanted += 1;
        st.opened
    }

    fn base_wanted(&self) -> u64 {
        lock(&self.state).base_wanted
    }

    /// The standby says its copy is durable up to `seq` over base `base`.
    fn acked(&self, inner: &Inner, conn: u64, seq: u64, base: u64) {
        let caught_up = {
            let mut st = lock(&self.state);
            if st.open != Some(conn) {
                return;
            }
            st.acked = st.acked.max(seq);
            st.base_acked = st.base_acked.max(base);
            // Under this lock, against the durable number the leader stores before it looks.
            let caught_up = !st.synchronous
                && st.acked >= inner.durable_seq.load(SeqCst)
                && st.base_acked >= st.base_wanted;
            if caught_up {
                st.synchronous = true;
            }
            caught_up
        };
        self.changed.notify_all();
        if caught_up {
            log::info!("the standby is up to date (seq {seq}): commits wait for it again");
            inner.hub_alert(AlertKind::StandbyBehind, None);
            inner.hub_alert(AlertKind::StandbyOffline, None);
        }
    }

    fn closed(&self, inner: &Inner, conn: u64) {
        {
            let mut st = lock(&self.state);
            if st.open != Some(conn) {
                return;
            }
            st.open = None;
            st.synchronous = false;
        }
        self.changed.notify_all();
        log::warn!("the standby's link closed: the hub goes on alone");
        inner.hub_alert(AlertKind::StandbyBehind, None);
        inner.hub_alert(
            AlertKind::StandbyOffline,
            Some("the standby cannot be reached: tickets are saved on the hub only".into()),
        );
    }

    /// At the start: a standby recorded on this hub is expected back (`Hub::check_standby_at`).
    pub(crate) fn expect_back(&self, started: chrono::DateTime<chrono::Utc>) {
        let mut st = lock(&self.state);
        st.known = true;
        st.expected_since = Some(started);
    }

    /// Whether the expected standby has now been away for `after` since the start (told once).
    fn overdue(&self, now: chrono::DateTime<chrono::Utc>, after: chrono::Duration) -> bool {
        let mut st = lock(&self.state);
        match (st.open, st.expected_since) {
            (None, Some(since)) if now - since >= after => {
                st.expected_since = None;
                true
            }
            (None, Some(_) | None) | (Some(_), _) => false,
        }
    }

    pub(crate) fn status(&self) -> StandbyStatus {
        let st = lock(&self.state);
        let state = match (st.known, st.open.is_some(), st.synchronous) {
            (false, _, _) => "none",
            (true, false, _) => "offline",
            (true, true, false) => "behind",
            (true, true, true) => "synchronous",
        };
        StandbyStatus {
            state,
            acked_seq: st.acked,
        }
    }
}

impl Hub {
    /// What the hub knows of its standby now.
    pub fn standby_status(&self) -> StandbyStatus {
        self.inner.replica.status()
    }

    /// At the start: the standby recorded on this hub, still paired, is expected back.
    pub(crate) fn expect_standby(
        &self,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::store::StoreError> {
        if let Some(id) = self.standby_grant()
            && self
                .auth_store()
                .devices()?
                .iter()
                .any(|d| d.id == id && d.revoked_at.is_none())
        {
            self.inner.replica.expect_back(started);
        }
        Ok(())
    }

    /// "standby-offline" for a recorded standby that has not come back within
    /// `auth::EXPECTED_BACK_SECONDS` of the hub's start (its link closing says so by itself).
    pub(crate) fn check_standby_at(&self, now: chrono::DateTime<chrono::Utc>) {
        let after = chrono::Duration::seconds(super::auth::EXPECTED_BACK_SECONDS);
        if self.inner.replica.overdue(now, after) {
            log::warn!("the standby has not come back since the hub started");
            self.inner.hub_alert(
                AlertKind::StandbyOffline,
                Some("the standby has not come back since the hub started: tickets are saved on the hub only".into()),
            );
        }
    }

    /// The standby device recorded on this hub, if any (its id).
    fn standby_grant(&self) -> Option<u64> {
        let dir = self.inner.db_path.parent()?;
        std::fs::read_to_string(dir.join(GRANT_FILE))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// May this kiosk be the standby? The first kiosk that asks is recorded (audited); another
    /// kiosk is refused while that device is paired.
    fn admit_standby(&self, device: &crate::store::devices::Device) -> Result<(), ApiError> {
        if let Some(id) = self.standby_grant()
            && id != device.id
        {
            let revoked = self.inner.revoked.borrow().contains(&id);
            if !revoked {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "not-the-standby",
                    format!(
                        "device #{id} is this hub's standby: a hub has one; revoke that device first (admin page or `integra devices --revoke {id}`) to make this one the standby"
                    ),
                ));
            }
        }
        if self.standby_grant() == Some(device.id) {
            return Ok(());
        }
        let Some(dir) = self.inner.db_path.parent() else {
            return Err(ApiError::internal("the hub has no data directory"));
        };
        let tmp = dir.join(format!("{GRANT_FILE}.new"));
        std::fs::write(&tmp, format!("{}\n", device.id))
            .and_then(|()| std::fs::rename(&tmp, dir.join(GRANT_FILE)))
            .map_err(ApiError::internal)?;
        let target = format!("{} ({}) #{}", device.name, device.role, device.id);
        self.auth_store()
            .log_security(chrono::Utc::now(), "standby-granted", &target, "standby")
            .map_err(ApiError::internal)?;
        log::warn!("device {target} is now this hub's standby: it holds a copy of the hub");
        Ok(())
    }
}

/// `GET /api/v1/replica`: the standby's link. Only the hub's standby (a kiosk, see
/// [`GRANT_FILE`]); the token in `Authorization`, checked before the upgrade.
pub async fn route(
    State(hub): State<Hub>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let c = caller(&hub, &headers, None, Action::Read)?;
    match c.role {
        Role::Kiosk => {}
        Role::Counter | Role::Display | Role::Admin => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not-the-standby",
                format!(
                    "a {} is not a standby: the standby is a second kiosk with `standby = true` in its integra.toml",
                    c.role.as_str()
                ),
            ));
        }
    }
    let ws = ws.map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "websocket",
            format!("this address is a WebSocket: the standby connects with one ({e})"),
        )
    })?;
    {
        let hub = hub.clone();
        let device = c.device.clone();
        tokio::task::spawn_blocking(move || hub.admit_standby(&device))
            .await
            .map_err(ApiError::internal)??;
    }
    // Where devices go when this hub is gone (`hub::epoch`).
    crate::hub::epoch::standby_connected(&hub, peer, &headers);
    let id = c.device.id;
    Ok(ws.on_upgrade(move |socket| async move { run(socket, hub, id).await }))
}

async fn run(socket: WebSocket, hub: Hub, device: u64) {
    let link = &hub.inner.replica;
    let conn = link.opened();
    log::info!("the standby (device #{device}) connected: sending it a base");
    let (tx, mut rx) = socket.split();
    let inner = hub.inner.clone();
    let reader = async {
        loop {
            match tokio::time::timeout(super::stream::STALE_AFTER, rx.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<ToHub>(&t) {
                    Ok(ToHub::Ack { seq, base }) => inner.replica.acked(&inner, conn, seq, base),
                    Err(e) => {
                        log::warn!("the standby sent what the hub cannot read: {e}");
                        return;
                    }
                },
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return,
                Ok(Some(Ok(_))) => {}
                Err(_) => {
                    log::warn!(
                        "the standby has been silent for {:?}",
                        super::stream::STALE_AFTER
                    );
                    return;
                }
            }
        }
    };
    let mut revoked = hub.inner.revoked.subscribe();
    let gone = async move {
        let _ = revoked.wait_for(|set| set.contains(&device)).await;
    };
    tokio::select! {
        () = reader => {}
        r = send(&hub, tx) => if let Err(e) = r {
            log::warn!("the standby's link: {e}");
        },
        () = gone => log::warn!("the standby (device #{device}) was revoked: its link closes"),
    }
    link.closed(&hub.inner, conn);
}

type Tx = futures_util::stream::SplitSink<WebSocket, Message>;

/// Why the link to the standby stopped (it reconnects and gets a new base).
#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("reading the log for the standby: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the standby's connection broke: {0}")]
    Send(#[from] axum::Error),
    #[error("cannot encode a message for the standby: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("the hub's worker stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the hub has no data directory")]
    NoDir,
}

/// Send a base, then every commit, and a new base whenever one is asked.
async fn send(hub: &Hub, mut tx: Tx) -> Result<(), LinkError> {
    let store = hub.side_store()?;
    let store = Arc::new(Mutex::new(store));
    let link = &hub.inner.replica;
    let mut sent = 0u64;
    let mut base_sent = 0u64;
    let mut ping = tokio::time::interval(super::stream::PING_EVERY);
    loop {
        let wanted = link.base_wanted();
        if wanted != base_sent {
            sent = send_base(hub, &store, &mut tx, wanted).await?;
            base_sent = wanted;
            continue;
        }
        let s = store.clone();
        let batch = tokio::task::spawn_blocking(move || {
            lock(&s).replica_batch(sent, i64::MAX as u64, MAX_BATCH)
        })
        .await??;
        if let Some(last) = batch.events.last().map(|e| e.seq) {
            let msg = ToStandby::Batch(Batch {
                after: sent,
                events: batch.events,
                keys: batch.keys,
                snapshot: batch.snapshot.map(Box::new),
            });
            let text = serde_json::to_string(&msg)?;
            tx.send(Message::Text(text.into())).await?;
            sent = last;
            continue;
        }
        tokio::select! {
            () = link.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = ping.tick() => tx.send(Message::Ping(Vec::new().into())).await?,
        }
    }
}

/// Take a backup of the hub (identity inside), send it, remove it: the sequence number it holds.
async fn send_base(
    hub: &Hub,
    store: &Arc<Mutex<Store>>,
    tx: &mut Tx,
    base: u64,
) -> Result<u64, LinkError> {
    let dir = hub
        .inner
        .db_path
        .parent()
        .map(std::path::Path::to_path_buf)
        .ok_or(LinkError::NoDir)?;
    let s = store.clone();
    let (seq, bytes) = tokio::task::spawn_blocking(move || {
        let file = dir.join(format!("replica-base-{base}.sqlite3"));
        let _ = std::fs::remove_file(&file);
        let info = lock(&s).backup_to(&file);
        let bytes = info.and_then(|info| {
            std::fs::read(&file)
                .map(|b| (info.last_seq, b))
                .map_err(|source| crate::store::StoreError::Dir {
                    path: file.clone(),
                    source,
                })
        });
        // The copy holds the hub's key: it does not stay on the card.
        let _ = std::fs::remove_file(&file);
        bytes
    })
    .await??;
    let msg = ToStandby::Base(Base {
        base,
        seq,
        history: hub.history_id().to_string(),
        bytes: bytes.len() as u64,
    });
    let text = serde_json::to_string(&msg)?;
    tx.send(Message::Text(text.into())).await?;
    for chunk in bytes.chunks(CHUNK) {
        tx.send(Message::Binary(chunk.to_vec().into())).await?;
    }
    log::info!(
        "sent the standby a base at seq {seq} ({} KiB)",
        bytes.len() / 1024
    );
    Ok(seq)
}
