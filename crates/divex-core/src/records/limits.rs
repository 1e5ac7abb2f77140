//! The bounds of the record schema (spec/records.md §3) and of decoding. They are the
//! implementation's: a caller learns them from the refusals (`RecordError::TooLong`,
//! `RecordError::TooMany`, ...), which name the field and the bound.

use crate::codec::DecodeLimits;

/// Longest identifier or short text (ids, agency ids, case and charge references, panel,
/// analyte, list items), in bytes of UTF-8.
pub const MAX_SHORT_TEXT: usize = 256;
/// Longest summary text (a progress report's `engagement`), in bytes.
pub const MAX_SUMMARY_TEXT: usize = 1024;
/// Longest counseling note, in bytes (8 KiB).
pub const MAX_NOTE_TEXT: usize = 8 * 1024;
/// Most items in any list field.
pub const MAX_LIST_ITEMS: usize = 64;
/// Latest accepted `collected_at`: 9999-12-31T23:59:59Z, in seconds since the Unix epoch.
pub const MAX_TIMESTAMP: u64 = 253_402_300_799;
/// Most tenths of an hour one attendance entry can record (24 hours).
pub const MAX_SESSION_TENTHS: u32 = 240;
/// Most cumulative tenths of an hour (10,000 hours).
pub const MAX_CUMULATIVE_TENTHS: u32 = 100_000;
/// Highest program phase number.
pub const MAX_PHASE: u32 = 99;
/// Longest expected program length, in days (10 years).
pub const MAX_EXPECTED_LENGTH_DAYS: u32 = 3650;
/// Most goals a progress report can count as met.
pub const MAX_GOALS: u32 = 1000;
/// Most contacts a LEAD status can count.
pub const MAX_CONTACTS: u32 = 100_000;

/// Decoding bounds for `Record::from_bytes`, checked before anything is allocated.
///
/// They bound memory only; they are deliberately looser than the schema limits above so that
/// an over-long field is reported by validation with its record type and field name
/// (`RecordError::TooLong`, `RecordError::TooMany`) rather than as a bare codec limit.
/// The largest valid record encodes to well under `max_input`.
pub const DECODE_LIMITS: DecodeLimits = DecodeLimits {
    max_input: 64 * 1024,
    // record map -> results array -> result map.
    max_depth: 3,
    max_items: 256,
    max_string: 16 * 1024,
};
