//! What the hub and its standby say on `GET /api/v1/replica` (a WebSocket over the hub's TLS,
//! pinned by the standby like every device link). JSON text frames, plus the base's bytes as
//! binary frames right after its `base` message.
//!
//! Hub → standby:
//! - `{"type":"base","base":G,"seq":B,"history":H,"bytes":N}` then N bytes in binary frames: a
//!   whole backup of the hub (`store::backup`, one read transaction, the hub's key and
//!   certificate inside) at sequence number B. Sent when the standby connects and again after
//!   anything outside the log changed (a pairing, a revocation, a privacy purge) — G counts them.
//! - `{"type":"batch","after":A,"events":[…],"keys":[…],"snapshot":…}` — the events after A
//!   (one or more of the hub's commits, in order, unredacted), their idempotency keys and the
//!   newest snapshot among them: the standby commits them in one transaction.
//!
//! Standby → hub:
//! - `{"type":"ack","seq":S,"base":G}` — only after its own durable commit (`synchronous=FULL`):
//!   the copy holds everything up to S, over base G.

use crate::core::{Stamped, State};
use crate::store::idempotency::KeyRecord;
use serde::{Deserialize, Serialize};

/// Messages from the hub.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToStandby {
    Base(Base),
    Batch(Batch),
}

/// A whole backup of the hub follows in `bytes` bytes of binary frames.
#[derive(Debug, Serialize, Deserialize)]
pub struct Base {
    pub base: u64,
    pub seq: u64,
    pub history: String,
    pub bytes: u64,
}

/// The events after `after`, their keys, the newest snapshot among them: one commit.
#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub after: u64,
    pub events: Vec<Stamped>,
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    #[serde(default)]
    pub snapshot: Option<Box<State>>,
}

impl ToStandby {
    /// Read a message. Not serde's internally tagged enum: it buffers the content and then
    /// cannot read a map with number keys (the state's tickets by id) — through a JSON value
    /// it can.
    pub fn parse(text: &str) -> Result<ToStandby, serde_json::Error> {
        use serde::de::Error;
        let v: serde_json::Value = serde_json::from_str(text)?;
        match v.get("type").and_then(serde_json::Value::as_str) {
            Some("base") => Ok(ToStandby::Base(serde_json::from_value(v)?)),
            Some("batch") => Ok(ToStandby::Batch(serde_json::from_value(v)?)),
            other => Err(serde_json::Error::custom(format!(
                "unknown message type {other:?}"
            ))),
        }
    }
}

/// Messages from the standby.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToHub {
    Ack { seq: u64, base: u64 },
}

/// The route the standby opens.
pub const ROUTE: &str = "/api/v1/replica";
/// The most events one batch carries (a standby catching up gets several).
pub const MAX_BATCH: usize = 2_000;
/// The base's bytes go in frames of this size.
pub const CHUNK: usize = 256 * 1024;
