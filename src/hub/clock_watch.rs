//! The hub's clock at work (see [`super::clock`]): checked every few seconds, saved every
//! minute, its doubts raised as a staff alert, a coordinator's correction audited.

use super::clock::{self, Applied, Doubt};
use super::{AlertKind, Hub};
use crate::core::ClockTrust;
use crate::engine::{Engine, EngineError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The time of the newest stored event (a floor for the hub's clock).
pub(super) fn newest_event(engine: &Engine) -> Result<Option<DateTime<Utc>>, EngineError> {
    let store = engine.store();
    let last = store.last_seq()?;
    if last == 0 {
        return Ok(None);
    }
    Ok(store.events_after(last - 1)?.last().map(|e| e.at))
}

/// What the hub says of its clock (/health, the admin page).
#[derive(Debug, Clone, Serialize)]
pub struct ClockStatus {
    /// "synced", "confirmed" or "unsure".
    pub trust: &'static str,
    /// The hub's time (corrected).
    pub now: DateTime<Utc>,
    /// The center's time zone (the admin page shows local times in it).
    pub time_zone: String,
    /// Why it is unsure (English, for technicians and logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doubt: Option<String>,
}

/// Why a coordinator's correction was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error(
        "{0} is before this program was built ({1}): that cannot be today — check the computer's date and send it again"
    )]
    BeforeBuild(String, String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Every [`clock::CHECK_EVERY`]: look for jumps, raise or clear the alert; every
/// [`clock::SAVE_EVERY`]: save the time.
pub(super) async fn watch(hub: Hub) {
    let mut tick = tokio::time::interval(clock::CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut saved: Option<std::time::Instant> = None;
    loop {
        tick.tick().await;
        hub.inner.keeper.check();
        hub.clock_alert();
        if saved.is_none_or(|t| t.elapsed() >= clock::SAVE_EVERY) {
            saved = Some(std::time::Instant::now());
            let h = hub.clone();
            let _ = tokio::task::spawn_blocking(move || h.inner.keeper.save_logged()).await;
        }
    }
}

impl Hub {
    /// Raise the clock alert while the hub is unsure of its time, clear it once it is not.
    pub(crate) fn clock_alert(&self) {
        let message = self.inner.keeper.doubt().map(|d: Doubt| {
            format!(
                "the hub is not sure of the time ({d}); a coordinator sets or confirms it on the admin page"
            )
        });
        self.inner.hub_alert(AlertKind::ClockUnsure, message);
    }

    /// What the hub says of its clock now.
    pub fn clock_status(&self) -> ClockStatus {
        let trust = self.clock_trust();
        ClockStatus {
            trust: clock::trust_code(trust),
            now: self.now(),
            time_zone: self.catalog().center.timezone.name().to_string(),
            doubt: match trust {
                ClockTrust::Synced | ClockTrust::Confirmed => None,
                ClockTrust::Unsure => self.inner.keeper.doubt().map(|d| d.to_string()),
            },
        }
    }

    /// Labs and tests: replace the system's word on whether a time source keeps the clock
    /// (`None`: ask the kernel) — the in-process form of `INTEGRA_CLOCK_SYNCED`.
    pub fn assume_clock_synced(&self, synced: Option<bool>) {
        self.inner.keeper.assume_synced(synced);
        self.clock_alert();
    }

    /// Save the hub's time now (at shutdown).
    pub fn save_clock(&self) {
        self.inner.keeper.save_logged();
    }

    /// A coordinator (`by`, their device's name) set the hub's time to `to`, their computer's
    /// clock: applied, audited, the alert cleared.
    pub fn set_clock(&self, to: DateTime<Utc>, by: &str) -> Result<Applied, ClockError> {
        let built = clock::build_time();
        if to < built {
            return Err(ClockError::BeforeBuild(
                to.format("%Y-%m-%d %H:%M UTC").to_string(),
                built.format("%Y-%m-%d").to_string(),
            ));
        }
        let before = self.now();
        let applied = self.inner.keeper.set(to);
        let what = format!(
            "{} → {}",
            before.format("%Y-%m-%d %H:%M:%S UTC"),
            to.format("%Y-%m-%d %H:%M:%S UTC")
        );
        log::warn!("{by} set the hub's clock: {what}");
        self.auth_store()
            .log_security(self.now(), "clock-set", &what, by)?;
        self.clock_alert();
        Ok(applied)
    }

    /// A coordinator (`by`) said the hub's time is right: audited, the alert cleared.
    pub fn confirm_clock(&self, by: &str) -> Result<(), ClockError> {
        self.inner.keeper.confirm();
        let now = self.now();
        log::info!("{by} confirmed the hub's clock ({})", now.to_rfc3339());
        self.auth_store().log_security(
            now,
            "clock-confirmed",
            &now.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            by,
        )?;
        self.clock_alert();
        Ok(())
    }
}
