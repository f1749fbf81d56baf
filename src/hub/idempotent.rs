//! Retried commands are answered once: a device sends every command with an `Idempotency-Key`
//! header (the IETF httpapi draft's name), one fresh key per user action, the same for that
//! action's retries. The hub commits the key with the command's events (one transaction,
//! `store::idempotency`), and answers a retry with the same key with the events the first try
//! made — the same number, the same check-in — even after a restart. Keys belong to the device
//! whose token sent them; one key with another command is refused (422).

use super::{Hub, Inner, lock};
use crate::core::{Command, Stamped};
use crate::store::StoreError;
use crate::store::idempotency::{KeyAnswer, KeyRecord};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Condvar, Mutex};

/// The header's name.
pub const HEADER: &str = "idempotency-key";
/// The longest key accepted (a UUID is 36 characters).
pub const MAX_KEY_LEN: usize = 128;

/// A command's key, as the hub keeps it: whose, which, and what command it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    pub device: u64,
    pub key: String,
    pub fingerprint: String,
}

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the Idempotency-Key header must be 1 to {MAX_KEY_LEN} visible ASCII characters (a quoted string, e.g. \"8e03978e-40d5-43e8-bc93-6894a57f9324\"): send a fresh random key per action"
    )]
    Malformed,
    #[error(
        "this Idempotency-Key was already used for a different command: send a fresh key for each new action, and the same key only to retry the same command"
    )]
    Reused,
}

impl RequestKey {
    /// The key of `header` (a Structured Field string, quotes optional) for `cmd` from `device`;
    /// `None` without a header.
    pub fn parse(
        header: Option<&[u8]>,
        device: u64,
        cmd: &Command,
    ) -> Result<Option<RequestKey>, KeyError> {
        let Some(raw) = header else {
            return Ok(None);
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| KeyError::Malformed)?
            .trim();
        let key = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        let visible = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\';
        if key.is_empty() || key.len() > MAX_KEY_LEN || !key.chars().all(visible) {
            return Err(KeyError::Malformed);
        }
        Ok(Some(RequestKey {
            device,
            key: key.to_string(),
            fingerprint: fingerprint(cmd),
        }))
    }

    /// The record committed with the command's events (none for a command that made none).
    pub(crate) fn record(&self, events: &[Stamped]) -> Option<KeyRecord> {
        Some(KeyRecord {
            device: self.device,
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
            first_seq: events.first()?.seq,
            last_seq: events.last()?.seq,
        })
    }
}

/// SHA-256 of the command as the device sent it (the randomness the hub puts in a booking or
/// a sign-up left out: it differs from try to try).
fn fingerprint(cmd: &Command) -> String {
    let mut cmd = cmd.clone();
    if let Command::BookAppointment { nonce, .. } | Command::SignUp { nonce, .. } = &mut cmd {
        *nonce = 0;
    }
    let body = serde_json::to_vec(&cmd).unwrap_or_default();
    Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The keys whose command is running now: a retry that arrives while the first try is still
/// being committed waits for it, then finds its answer.
#[derive(Default)]
pub(crate) struct InFlight {
    keys: Mutex<HashSet<(u64, String)>>,
    done: Condvar,
}

/// A key held while its command runs; let go when dropped.
pub(crate) struct Held<'a> {
    inner: &'a Inner,
    id: (u64, String),
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let flight = &self.inner.group.keys;
        lock(&flight.keys).remove(&self.id);
        flight.done.notify_all();
    }
}

/// What a keyed command came to.
pub enum Answer<E> {
    /// Run now (first try, or a first try that made no events): its outcome.
    Ran(Result<Vec<Stamped>, E>),
    /// Answered before: the events the first try made.
    Again(Vec<Stamped>),
}

/// Why a keyed command was answered with neither its events nor its own refusal.
#[derive(Debug)]
pub enum KeyRefusal {
    Key(KeyError),
    Store(StoreError),
}

impl Hub {
    /// Run `run` once per key: without a key, just run it; with a key already committed for
    /// the same command, answer its events; with a key committed for another command, refuse.
    /// `run` gets the key to commit with its events (pass it to [`super::Session::keyed`]).
    pub fn once<E>(
        &self,
        key: Option<RequestKey>,
        run: impl FnOnce(Option<RequestKey>) -> Result<Vec<Stamped>, E>,
    ) -> Result<Answer<E>, KeyRefusal> {
        let Some(key) = key else {
            return Ok(Answer::Ran(run(None)));
        };
        let _held = self.hold(&key);
        let known = self
            .session()
            .store()
            .key_answer(key.device, &key.key, &key.fingerprint)
            .map_err(KeyRefusal::Store)?;
        match known {
            KeyAnswer::Same(events) => Ok(Answer::Again(events)),
            KeyAnswer::Different => Err(KeyRefusal::Key(KeyError::Reused)),
            KeyAnswer::Unknown => Ok(Answer::Ran(run(Some(key)))),
        }
    }

    fn hold(&self, key: &RequestKey) -> Held<'_> {
        let flight = &self.inner.group.keys;
        let id = (key.device, key.key.clone());
        let mut keys = lock(&flight.keys);
        while keys.contains(&id) {
            keys = flight.done.wait(keys).unwrap_or_else(|p| p.into_inner());
        }
        keys.insert(id.clone());
        Held {
            inner: &self.inner,
            id,
        }
    }
}
