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
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToStandby {
    Base {
        base: u64,
        seq: u64,
        history: String,
        bytes: u64,
    },
    Batch {
        after: u64,
        events: Vec<Stamped>,
        #[serde(default)]
        keys: Vec<KeyRecord>,
        #[serde(default)]
        snapshot: Option<Box<State>>,
    },
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
