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
//! `PRAGMA user_version = 1`, in WAL mode. `STRICT` tables:
//!
//! * `ledger_meta (id = 1, agency_id, schema_version)`: the owning agency.
//! * `entries (seq INTEGER PRIMARY KEY, time, direction, counterparty, subject_key,
//!   record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash)`:
//!   one column per [`Entry`] field; `direction` is `'sent'`/`'received'`, `record_types` a
//!   compact JSON array of strings, hashes and ids are BLOBs. `seq` is the rowid. Unique
//!   partial indexes allow a received `envelope_id` once, and a sent
//!   `(envelope_id, counterparty)` once; an index on `(subject_key, time)` serves
//!   [`Ledger::accounting`].
//! * `checkpoints (id, seq, head, time, signature)`.
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
//! * Checkpoint: an Ed25519 signature by the agency over the strict CBOR array
//!   `["divex/v1 ledger checkpoint", agency_id, seq, head, time]`
//!   ([`Checkpoint::to_be_signed`]), where `head` is the `entry_hash` of entry `seq`.
//!
//! ## What verification proves
//!
//! [`Ledger::verify`] detects any edit, deletion, insertion or reordering of entries unless
//! the person who made it also recomputed every later hash. Entries at or below a signed
//! checkpoint are protected even against that, as long as the checkpoint itself is kept:
//! deleting checkpoint rows is only detectable against a copy of a checkpoint kept elsewhere
//! (compare [`Ledger::checkpoints`] with it). Checkpoint often, and hand checkpoints out.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod checkpoint;
mod entry;
mod error;
mod ledger;

pub use checkpoint::{Checkpoint, VerifyReport};
pub use entry::{Direction, Entry, NewEntry, genesis_hash, subject_key};
pub use error::LedgerError;
pub use ledger::Ledger;
