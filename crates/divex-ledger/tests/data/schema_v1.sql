-- The schema of a divex ledger v1 file (divex 0.1), kept to build v1 files in tests.
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
