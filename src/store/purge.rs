//! Privacy by default: names and phone numbers are erased once the retention period has passed.
//! They live in the bodies of `appointment_booked` and `signed_up` events and in snapshots of
//! the state; both are rewritten without them, the freed pages are overwritten
//! (`secure_delete`), and the file is vacuumed, so no copy stays in the database file.

use super::{Store, StoreError};
use crate::core::{AppointmentId, Event, SignUpId, Stamped, State};
use chrono::NaiveDate;
use rusqlite::{TransactionBehavior, params};

/// What a purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Events whose contact details were erased.
    pub events: usize,
    /// Snapshots rewritten.
    pub snapshots: usize,
}

fn erase_event(e: &mut Stamped, before: NaiveDate) -> bool {
    match &mut e.event {
        Event::AppointmentBooked { appointment } if appointment.date < before => {
            let had = !appointment.contact.is_empty();
            appointment.contact = Default::default();
            had
        }
        Event::SignedUp { signup, .. } if signup.date < before => {
            let had = !signup.contact.is_empty();
            signup.contact = Default::default();
            had
        }
        _ => false,
    }
}

fn erase_state(s: &mut State, before: NaiveDate) -> bool {
    let mut changed = false;
    for a in s.appointments.values_mut() {
        if a.date < before && !a.contact.is_empty() {
            a.contact = Default::default();
            changed = true;
        }
    }
    for x in s.signups.values_mut() {
        if x.date < before && !x.contact.is_empty() {
            x.contact = Default::default();
            changed = true;
        }
    }
    changed
}

impl Store {
    /// Erase the names and phones of appointments and sign-ups dated before `before`, then
    /// overwrite the freed space and vacuum. The queue's figures (tickets, times) stay.
    pub fn purge_personal(&mut self, before: NaiveDate) -> Result<Purged, StoreError> {
        self.scrub(|e| erase_event(e, before), |s| erase_state(s, before))
    }

    /// Erase one visitor's name and phone everywhere (after a `contact_erased` event).
    pub fn erase_contact_of(
        &mut self,
        appointment: Option<AppointmentId>,
        signup: Option<SignUpId>,
    ) -> Result<Purged, StoreError> {
        self.scrub(
            |e| match &mut e.event {
                Event::AppointmentBooked { appointment: a } if Some(a.id) == appointment => {
                    a.contact = Default::default();
                    true
                }
                Event::SignedUp { signup: s, .. } if Some(s.id) == signup => {
                    s.contact = Default::default();
                    true
                }
                _ => false,
            },
            |st| {
                let mut changed = false;
                if let Some(a) = appointment.and_then(|id| st.appointments.get_mut(&id)) {
                    changed |= !a.contact.is_empty();
                    a.contact = Default::default();
                }
                if let Some(s) = signup.and_then(|id| st.signups.get_mut(&id)) {
                    changed |= !s.contact.is_empty();
                    s.contact = Default::default();
                }
                changed
            },
        )
    }

    /// Rewrite the event bodies and snapshots the two functions change, then overwrite the
    /// freed space and vacuum.
    fn scrub(
        &mut self,
        event: impl Fn(&mut Stamped) -> bool,
        state: impl Fn(&mut State) -> bool,
    ) -> Result<Purged, StoreError> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let mut done = Purged::default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        done.events = rewrite(
            &tx,
            "SELECT seq, body FROM events WHERE type IN ('appointment_booked', 'signed_up')",
            "UPDATE events SET body = ?2 WHERE seq = ?1",
            event,
        )?;
        done.snapshots = rewrite(
            &tx,
            "SELECT seq, body FROM snapshots",
            "UPDATE snapshots SET body = ?2 WHERE seq = ?1",
            state,
        )?;
        tx.commit()?;
        // Old page images in the WAL go with the checkpoint; VACUUM rewrites the file.
        self.conn.execute_batch(
            "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
        )?;
        Ok(done)
    }
}

/// Rewrite the JSON bodies of some rows (`select` gives `seq, body`) that `change` alters;
/// returns how many were rewritten.
fn rewrite<T: serde::Serialize + serde::de::DeserializeOwned>(
    tx: &rusqlite::Transaction,
    select: &str,
    update: &str,
    mut change: impl FnMut(&mut T) -> bool,
) -> Result<usize, StoreError> {
    let rows: Vec<(i64, String)> = tx
        .prepare(select)?
        .query_map([], super::seq_body)?
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for (seq, body) in rows {
        let mut value: T = serde_json::from_str(&body).map_err(|source| StoreError::Decode {
            seq: seq as u64,
            source,
        })?;
        if change(&mut value) {
            let body = serde_json::to_string(&value).map_err(StoreError::Encode)?;
            tx.execute(update, params![seq, body])?;
            n += 1;
        }
    }
    Ok(n)
}
