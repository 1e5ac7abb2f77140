#![doc = include_str!("../README.md")]
//!
//! ## Safety contract
//!
//! * No `unsafe` code (`#![forbid(unsafe_code)]`); SQLite is reached through rusqlite.
//! * Nothing panics on a damaged or hostile ledger file: every column is decoded and checked,
//!   and any problem is a [`LedgerError`].
//! * A participant's name is never written to the file nor to an error message.
//!
//! ## The file
//!
//! An SQLite database with `PRAGMA application_id = 0x6476786c` ("dvxl") and
//! `PRAGMA user_version = 2`, in WAL mode. `STRICT` tables:
//!
//! * `ledger_meta (id = 1, agency_id, schema_version)`: the owning agency.
//! * `entries (seq INTEGER PRIMARY KEY, time, direction, counterparty, subject_key,
//!   record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash,
//!   issued_at, issued_out_of_order, sender_head_seq, sender_head_hash)`: one column per
//!   [`Entry`] field; `direction` is `'sent'`/`'received'`, `record_types` a compact JSON array
//!   of strings, hashes and ids are BLOBs; the last four are `NULL` except on received entries
//!   recorded by schema 2 (spec/ledger.md §2). `seq` is the rowid. Unique partial indexes allow
//!   a received `envelope_id` once, and a sent `(envelope_id, counterparty)` once; an index on
//!   `(subject_key, time)` serves [`Ledger::accounting`].
//! * `checkpoints (id, seq, head, time, signature, kid)`: `kid` is the signing key's id, `NULL`
//!   for a checkpoint written by schema 1.
//! * `pending`: seals between their sealing and their recording, and the agency's latest
//!   recorded seal (spec/ledger.md §6; [`PendingSeal`], [`Ledger::reconcile`]). Not part of the
//!   chain; it holds the participant's key, never the name.
//!
//! A schema 1 file is migrated in place when it is opened (new columns, all `NULL`).
//!
//! Beside it, `<file>.head` holds the **high-water mark**: the latest [`SignedHead`] the agency
//! produced (spec/ledger.md §4), written atomically with mode 0600 by [`Ledger::checkpoint`];
//! `<file>.lock` is the writer lock a recording command holds ([`Ledger::writer_lock`]).
//!
//! ## The chain
//!
//! * Genesis: [`genesis_hash`] = `SHA-256("divex/v1 ledger genesis" || agency_id)` is the
//!   `prev_hash` of entry 1.
//! * Participant: [`subject_key`] =
//!   `SHA-256("divex/v1 ledger subject" || normalised name || 0x00 || date_of_birth)`.
//! * Entry: [`Entry::computed_hash`] = SHA-256 of the strict deterministic CBOR
//!   (`divex_core::codec`) array
//!   `["divex/v1 ledger entry", seq, time, direction, counterparty, subject_key,
//!   [record_types...], purpose, consent_id, envelope_id, envelope_hash, prev_hash]`.
//! * Signed head (checkpoint and mark, spec/ledger.md §3.1): a `COSE_Sign1` (Ed25519) with
//!   protected header `{1: -19, 4: kid, 16: "divex-ledger-head"}` over
//!   `["divex/v2 ledger head", agency_id, seq, head, time]`, where `head` is the `entry_hash` of
//!   entry `seq`. A schema 1 checkpoint is an Ed25519 signature over
//!   `["divex/v1 ledger checkpoint", agency_id, seq, head, time]` ([`Checkpoint::to_be_signed`]).
//!
//! ## What verification proves
//!
//! [`Ledger::verify`] detects any edit, deletion, insertion or reordering of entries unless
//! the person who made it also recomputed every later hash. Entries at or below a signed head
//! are protected even against that. Each signed head is judged under the key the directory
//! certified for the agency at the head's own time (spec/ledger.md §3.2), so a key rotation
//! never invalidates history, and a key revoked for compromise invalidates what it signed from
//! the compromise on. The high-water mark, outside the database, makes a truncated, emptied or
//! restored-from-backup ledger fail even when its checkpoint rows were deleted with the entries
//! (`rolled_back`); only someone holding the agency's keys can move it, and what they rewrite
//! is then provable by the counterparties that recorded a later head (spec/ledger.md §5).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod checkpoint;
mod entry;
mod error;
mod head;
mod ledger;
mod mark;
mod pending;
mod rows;
mod schema;
mod verify;
mod witness;

pub use checkpoint::{Checkpoint, VerifyReport};
pub use entry::{Direction, Entry, NewEntry, Receipt, genesis_hash, subject_key};
pub use error::LedgerError;
pub use head::{MAX_HEAD_BYTES, SignedHead};
pub use ledger::Ledger;
pub use pending::{PendingSeal, Reconciled, Recording, SealRecord, WriterLock};
pub use witness::{Discrepancy, WitnessReport};
