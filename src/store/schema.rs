//! The hub database's schema: every version, applied in order by rusqlite_migration at open.

use super::*;

pub(super) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE events (
            seq   INTEGER PRIMARY KEY,
            at    TEXT NOT NULL,
            type  TEXT NOT NULL,
            body  TEXT NOT NULL
        );
        CREATE TABLE snapshots (
            seq   INTEGER PRIMARY KEY,
            body  TEXT NOT NULL
        );
        CREATE TABLE tickets (
            id         INTEGER PRIMARY KEY,
            day        TEXT NOT NULL,
            prefix     TEXT NOT NULL,
            number     INTEGER NOT NULL,
            label      TEXT NOT NULL,
            service    TEXT NOT NULL,
            lang       TEXT NOT NULL,
            priority   TEXT,
            appointment INTEGER,
            issued_at  TEXT NOT NULL,
            state      TEXT NOT NULL,
            counter    TEXT,
            called_at  TEXT,
            ended_at   TEXT,
            UNIQUE (day, prefix, number)
        );
        CREATE INDEX tickets_day ON tickets(day);",
        ),
        // Paired devices and one-time pairing PINs (both stored hashed only).
        M::up(
            "CREATE TABLE devices (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            role        TEXT NOT NULL,
            token_hash  TEXT NOT NULL UNIQUE,
            created_at  TEXT NOT NULL,
            last_seen   TEXT,
            revoked_at  TEXT
        );
        CREATE TABLE pairing_pins (
            pin_hash    TEXT PRIMARY KEY,
            role        TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            expires_at  TEXT NOT NULL,
            used_at     TEXT
        );",
        ),
        // Reports: when serving started (service time), and events read by type (audit log,
        // appointments and sign-ups).
        M::up(
            "ALTER TABLE tickets ADD COLUMN serving_at TEXT;
        CREATE INDEX events_type ON events(type, seq);",
        ),
        // Safeguarding: which staff device acknowledged an urgent protection request, and when.
        M::up(
            "CREATE TABLE acknowledgements (
            ticket  INTEGER PRIMARY KEY,
            label   TEXT NOT NULL,
            day     TEXT NOT NULL,
            by      TEXT NOT NULL,
            at      TEXT NOT NULL
        );",
        ),
        // Security events for the audit log: devices unpaired or revoked (and by whom),
        // pairing lockouts (which address).
        M::up(
            "CREATE TABLE security_log (
            id      INTEGER PRIMARY KEY,
            at      TEXT NOT NULL,
            kind    TEXT NOT NULL,
            target  TEXT NOT NULL,
            by      TEXT NOT NULL
        );",
        ),
        // Follow links: the key their tokens are made with (one row); visitors' feedback,
        // anonymous — a random key and no ticket, so a row says nothing of who or when in the
        // day; which tickets already gave it, kept apart (once per ticket).
        M::up(
            "CREATE TABLE follow_key (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            key  BLOB NOT NULL
        );
        CREATE TABLE feedback (
            key      INTEGER PRIMARY KEY,
            day      TEXT NOT NULL,
            service  TEXT NOT NULL,
            rating   INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 3),
            waited_too_long  INTEGER NOT NULL,
            not_understood   INTEGER NOT NULL,
            got_what_needed  INTEGER NOT NULL
        );
        CREATE INDEX feedback_day ON feedback(day);
        CREATE TABLE feedback_given (
            day     TEXT NOT NULL,
            ticket  INTEGER NOT NULL,
            PRIMARY KEY (day, ticket)
        ) WITHOUT ROWID;",
        ),
        // The city link: this center's stable id (made here, at first start: random, says
        // nothing of the center) and how the replication to the city's PostgreSQL went.
        M::up(
            "CREATE TABLE center_identity (
            id      INTEGER PRIMARY KEY CHECK (id = 1),
            center  TEXT NOT NULL
        );
        INSERT INTO center_identity (id, center) VALUES (1, lower(hex(randomblob(16))));
        CREATE TABLE city_link (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            acked_seq   INTEGER NOT NULL,
            last_ok     TEXT,
            down_since  TEXT,
            last_error  TEXT
        );",
        ),
        // Idempotency keys: a device's key, the command it named (SHA-256) and the events it
        // made, written in the same transaction as the events (`store::idempotency`).
        M::up(
            "CREATE TABLE idempotency_keys (
            device      INTEGER NOT NULL,
            key         TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            first_seq   INTEGER NOT NULL,
            last_seq    INTEGER NOT NULL,
            created     INTEGER NOT NULL,
            PRIMARY KEY (device, key)
        );
        CREATE INDEX idempotency_created ON idempotency_keys(created);",
        ),
        // The fencing epoch (`store::epoch`): this hub's generation (1 for every existing
        // hub), the higher one that replaced it (it stepped down for good), and where its
        // standby is.
        M::up(
            "CREATE TABLE hub_epoch (
            id           INTEGER PRIMARY KEY CHECK (id = 1),
            epoch        INTEGER NOT NULL,
            replaced_by  INTEGER,
            replaced_at  TEXT,
            standby      TEXT
        );
        INSERT INTO hub_epoch (id, epoch) VALUES (1, 1);",
        ),
    ])
}

/// Number of schema versions this program knows.
pub fn schema_version() -> usize {
    9
}
