//! The SQLite schema, its creation and the in-place migration of v1 files.
//!
//! A new file is created exactly as a v1 file migrated to v2 is (the v1 schema, then the
//! migration), so the two can never differ.

use rusqlite::{Connection, params};

use crate::error::{LedgerError, db};

/// `PRAGMA application_id` of a divex ledger: "dvxl".
pub(crate) const APPLICATION_ID: i32 = 0x6476_786c;
/// `PRAGMA user_version`: the schema this crate writes (it also reads and migrates v1).
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// The v1 schema. `STRICT` tables refuse values of the wrong type; `seq` is the rowid itself,
/// so a row's storage identity and its sequence number cannot disagree. The constraints stop
/// mistakes, not attackers (who can rebuild the tables): verification assumes none of them.
const SCHEMA_V1: &str = "
CREATE TABLE ledger_meta (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    agency_id      TEXT NOT NULL,
    schema_version INTEGER NOT NULL
) STRICT;
CREATE TABLE entries (
    seq           INTEGER PRIMARY KEY,
    time          INTEGER NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
    counterparty  TEXT NOT NULL,
    subject_key   BLOB NOT NULL CHECK (length(subject_key) = 32),
    record_types  TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    consent_id    TEXT NOT NULL,
    envelope_id   BLOB NOT NULL CHECK (length(envelope_id) = 16),
    envelope_hash BLOB NOT NULL CHECK (length(envelope_hash) = 32),
    prev_hash     BLOB NOT NULL CHECK (length(prev_hash) = 32),
    entry_hash    BLOB NOT NULL CHECK (length(entry_hash) = 32)
) STRICT;
CREATE UNIQUE INDEX entries_received_once ON entries (envelope_id) WHERE direction = 'received';
CREATE UNIQUE INDEX entries_sent_once ON entries (envelope_id, counterparty) WHERE direction = 'sent';
CREATE INDEX entries_by_subject ON entries (subject_key, time);
CREATE TABLE checkpoints (
    id        INTEGER PRIMARY KEY,
    seq       INTEGER NOT NULL,
    head      BLOB NOT NULL CHECK (length(head) = 32),
    time      INTEGER NOT NULL,
    signature BLOB NOT NULL CHECK (length(signature) = 64)
) STRICT;
";

/// v1 → v2: the received entries' issue time, out-of-order flag and sender head
/// (spec/ledger.md §2, §5.2), and the checkpoints' signing key id (§3.1). Existing rows keep
/// `NULL` in every new column: they hash and verify exactly as before.
const MIGRATE_V1_TO_V2: &str = "
ALTER TABLE entries ADD COLUMN issued_at INTEGER;
ALTER TABLE entries ADD COLUMN issued_out_of_order INTEGER
    CHECK (issued_out_of_order IS NULL OR issued_out_of_order IN (0, 1));
ALTER TABLE entries ADD COLUMN sender_head_seq INTEGER;
ALTER TABLE entries ADD COLUMN sender_head_hash BLOB
    CHECK (sender_head_hash IS NULL OR length(sender_head_hash) = 32);
CREATE INDEX entries_received_by_sender ON entries (counterparty, consent_id)
    WHERE direction = 'received';
ALTER TABLE checkpoints ADD COLUMN kid BLOB CHECK (kid IS NULL OR length(kid) = 16);
UPDATE ledger_meta SET schema_version = 2;
PRAGMA user_version = 2;
";

/// The seals between their sealing and their recording (`done = 0`, spec/ledger.md §6), and
/// the agency's latest recorded seal: `done = 1` while the command that made it may not have
/// told its caller (the retry rule answers an identical request with it), `done = 2` once it
/// finished. Not part of the chain: operational
/// state, which holds no participant name (the subject is its key). Created by the v2 schema;
/// `IF NOT EXISTS` so that a schema 2 file made before the table existed gets it when opened.
const PENDING_TABLE: &str = "
CREATE TABLE IF NOT EXISTS pending (
    envelope_id    BLOB PRIMARY KEY CHECK (length(envelope_id) = 16),
    envelope_hash  BLOB NOT NULL CHECK (length(envelope_hash) = 32),
    output         TEXT,
    request_digest BLOB NOT NULL CHECK (length(request_digest) = 32),
    created        INTEGER NOT NULL,
    time           INTEGER NOT NULL,
    recipients     TEXT NOT NULL,
    subject_key    BLOB NOT NULL CHECK (length(subject_key) = 32),
    record_types   TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    consent_id     TEXT NOT NULL,
    envelope       BLOB NOT NULL,
    note           BLOB NOT NULL,
    done           INTEGER NOT NULL CHECK (done IN (0, 1, 2))
) STRICT;
";

/// Creates the schema of `agency_id`'s new ledger (inside the caller's transaction).
pub(crate) fn create(tx: &Connection, agency_id: &str) -> Result<(), LedgerError> {
    let action = "create the ledger schema";
    tx.execute_batch(SCHEMA_V1).map_err(db(action))?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(db(action))?;
    tx.execute(
        "INSERT INTO ledger_meta (id, agency_id, schema_version) VALUES (1, ?1, 1)",
        params![agency_id],
    )
    .map_err(db(action))?;
    migrate(tx, 1)
}

/// Migrates a ledger of schema `version` to [`SCHEMA_VERSION`] in place (inside the caller's
/// transaction: all or nothing). A version this crate does not know is refused.
pub(crate) fn migrate(tx: &Connection, version: i64) -> Result<(), LedgerError> {
    match version {
        1 => {
            tx.execute_batch(MIGRATE_V1_TO_V2)
                .map_err(db("migrate the ledger from schema 1 to 2"))?;
            migrate(tx, SCHEMA_VERSION)
        }
        SCHEMA_VERSION => tx
            .execute_batch(PENDING_TABLE)
            .map_err(db("create the ledger schema")),
        found => Err(LedgerError::UnsupportedSchema {
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}
