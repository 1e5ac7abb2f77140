//! Reading and writing rows: every column decoded and checked (a damaged or hostile file is a
//! [`LedgerError`], never a panic), the chain link check, and the small queries the ledger's
//! operations share.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use divex_core::keys::KeyId;

use crate::checkpoint::Checkpoint;
use crate::entry::{Direction, Entry, Receipt};
use crate::error::{LedgerError, db, tampered};

/// The `entries` columns of an [`Entry`], in [`entry_from_row`]'s order.
pub(crate) const ENTRY_COLUMNS: &str = "seq, time, direction, counterparty, subject_key, \
    record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash, \
    issued_at, issued_out_of_order, sender_head_seq, sender_head_hash";

/// The `checkpoints` columns, in [`checkpoint_from_row`]'s order.
pub(crate) const CHECKPOINT_COLUMNS: &str = "id, seq, head, time, signature, kid";

/// Why the ledger_meta row does not name the expected agency.
pub(crate) enum MetaError {
    /// The ledger_meta row is missing.
    Missing,
    /// Another failure.
    Other(LedgerError),
}

/// Checks that the ledger_meta row names `agency_id`.
pub(crate) fn check_agency(conn: &Connection, agency_id: &str) -> Result<(), MetaError> {
    let found: Option<String> = conn
        .query_row("SELECT agency_id FROM ledger_meta WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| MetaError::Other(db("read the ledger header")(e)))?;
    match found {
        None => Err(MetaError::Missing),
        Some(found) if found == agency_id => Ok(()),
        Some(found) => Err(MetaError::Other(LedgerError::WrongAgency {
            expected: agency_id.to_owned(),
            found,
        })),
    }
}

/// The error recording `e` would be, if its envelope is already recorded: received at all
/// (a replay), or sent to the same recipient.
pub(crate) fn duplicate_in(
    conn: &Connection,
    e: &Entry,
) -> Result<Option<LedgerError>, LedgerError> {
    let envelope_id = divex_core::envelope::EnvelopeId(e.envelope_id);
    let exists = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<bool, LedgerError> {
        conn.query_row(sql, p, |r| r.get(0))
            .map_err(db("check for an already recorded envelope"))
    };
    Ok(match e.direction {
        Direction::Received => exists(
            "SELECT EXISTS (SELECT 1 FROM entries WHERE direction = 'received' \
             AND envelope_id = ?1)",
            &[&&e.envelope_id[..]],
        )?
        .then_some(LedgerError::Replay { envelope_id }),
        Direction::Sent => exists(
            "SELECT EXISTS (SELECT 1 FROM entries WHERE direction = 'sent' \
             AND envelope_id = ?1 AND counterparty = ?2)",
            &[&&e.envelope_id[..], &e.counterparty],
        )?
        .then(|| LedgerError::AlreadyRecorded {
            envelope_id,
            counterparty: e.counterparty.clone(),
        }),
    })
}

/// A number as SQLite stores it, refusing what does not fit.
pub(crate) fn sql_int(v: u64) -> Result<i64, LedgerError> {
    i64::try_from(v).map_err(|_| LedgerError::InvalidEntry("a number is too large to store"))
}

/// The last entry's (seq, entry_hash), or (0, genesis).
pub(crate) fn head_in(
    conn: &Connection,
    genesis: &[u8; 32],
) -> Result<(u64, [u8; 32]), LedgerError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("read the ledger head"))?;
    match row {
        None => Ok((0, *genesis)),
        Some((seq, hash)) => {
            let seq_u = u64::try_from(seq)
                .map_err(|_| tampered(0, format!("a row has sequence number {seq}")))?;
            let hash = <[u8; 32]>::try_from(hash.as_slice())
                .map_err(|_| tampered(seq_u, "the entry_hash column is not 32 bytes"))?;
            Ok((seq_u, hash))
        }
    }
}

/// The stored hash of entry `seq` (`genesis` for 0), or `None` if there is no such entry.
pub(crate) fn hash_at(
    conn: &Connection,
    seq: u64,
    genesis: &[u8; 32],
) -> Result<Option<[u8; 32]>, LedgerError> {
    if seq == 0 {
        return Ok(Some(*genesis));
    }
    let Ok(seq_sql) = i64::try_from(seq) else {
        return Ok(None);
    };
    let hash: Option<Vec<u8>> = conn
        .query_row(
            "SELECT entry_hash FROM entries WHERE seq = ?1",
            [seq_sql],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("read the ledger head"))?;
    Ok(hash.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()))
}

/// Inserts a chained entry.
pub(crate) fn insert_entry(conn: &Connection, e: &Entry) -> Result<(), LedgerError> {
    let r = e.receipt.as_ref();
    let head = r.and_then(|r| r.sender_head.as_ref());
    conn.execute(
        &format!(
            "INSERT INTO entries ({ENTRY_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ),
        params![
            sql_int(e.seq)?,
            sql_int(e.time)?,
            e.direction.as_str(),
            e.counterparty,
            &e.subject_key[..],
            record_types_json(&e.record_types).to_string(),
            e.purpose,
            e.consent_id,
            &e.envelope_id[..],
            &e.envelope_hash[..],
            &e.prev_hash[..],
            &e.entry_hash[..],
            r.map(|r| sql_int(r.issued_at)).transpose()?,
            r.map(|r| i64::from(r.issued_out_of_order)),
            head.map(|(seq, _)| sql_int(*seq)).transpose()?,
            head.map(|(_, hash)| &hash[..]),
        ],
    )
    .map_err(db("append an entry"))?;
    Ok(())
}

/// The `record_types` column: a compact JSON array of strings.
pub(crate) fn record_types_json(types: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        types
            .iter()
            .map(|t| serde_json::Value::String(t.clone()))
            .collect(),
    )
}

/// Checks one row of the chain walk: its seq is `expected`, it decodes, it links to `prev`
/// and its hash matches its fields. Returns its hash.
pub(crate) fn check_link(
    row: &rusqlite::Row<'_>,
    expected: u64,
    prev: &[u8; 32],
) -> Result<[u8; 32], LedgerError> {
    let (raw_seq, decoded) = entry_from_row(row);
    let Ok(seq) = u64::try_from(raw_seq) else {
        return Err(tampered(
            0,
            format!(
                "a row has sequence number {raw_seq}; sequence numbers start at 1 (an inserted row)"
            ),
        ));
    };
    if seq < expected {
        return Err(tampered(
            seq,
            if seq == 0 {
                "a row has sequence number 0; sequence numbers start at 1 (an inserted row)"
                    .to_owned()
            } else {
                format!("a second entry has sequence number {seq} (an inserted row)")
            },
        ));
    }
    if seq > expected {
        return Err(tampered(
            expected,
            format!(
                "entry {expected} is missing (the next entry present is {seq}): an entry was deleted"
            ),
        ));
    }
    let e = decoded.map_err(|r| tampered(seq, r))?;
    if &e.prev_hash != prev {
        return Err(tampered(
            seq,
            if seq == 1 {
                "its prev_hash is not this agency's genesis hash".to_owned()
            } else {
                format!(
                    "its prev_hash is not the hash of entry {}: an entry was deleted, inserted \
                     or moved here, or prev_hash was edited",
                    seq.saturating_sub(1)
                )
            },
        ));
    }
    if e.computed_hash() != e.entry_hash {
        return Err(tampered(
            seq,
            "its fields do not match its entry_hash: a field was edited, or the entry was \
             renumbered",
        ));
    }
    Ok(e.entry_hash)
}

/// An integer column.
pub(crate) fn col_int(row: &rusqlite::Row<'_>, i: usize, name: &str) -> Result<i64, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Ok(v),
        _ => Err(format!("the {name} column is not an integer")),
    }
}

/// A non-negative integer column.
pub(crate) fn col_u64(row: &rusqlite::Row<'_>, i: usize, name: &str) -> Result<u64, String> {
    u64::try_from(col_int(row, i, name)?).map_err(|_| format!("the {name} column is negative"))
}

/// A UTF-8 text column.
pub(crate) fn col_text(row: &rusqlite::Row<'_>, i: usize, name: &str) -> Result<String, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Text(b)) => std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| format!("the {name} column is not valid UTF-8")),
        _ => Err(format!("the {name} column is not text")),
    }
}

/// A byte-string column of exactly `N` bytes.
pub(crate) fn col_blob<const N: usize>(
    row: &rusqlite::Row<'_>,
    i: usize,
    name: &str,
) -> Result<[u8; N], String> {
    match row.get_ref(i) {
        Ok(ValueRef::Blob(b)) => <[u8; N]>::try_from(b)
            .map_err(|_| format!("the {name} column is {} bytes, not {N}", b.len())),
        _ => Err(format!("the {name} column is not a byte string")),
    }
}

/// Decodes an `entries` row selected with [`ENTRY_COLUMNS`]: the raw seq, and the entry or
/// what is malformed in it.
pub(crate) fn entry_from_row(row: &rusqlite::Row<'_>) -> (i64, Result<Entry, String>) {
    let seq = match col_int(row, 0, "seq") {
        Ok(s) => s,
        Err(r) => return (0, Err(r)),
    };
    let decode = || -> Result<Entry, String> {
        let direction = col_text(row, 2, "direction")?;
        let record_types = col_text(row, 5, "record_types")?;
        Ok(Entry {
            seq: u64::try_from(seq).map_err(|_| "the seq column is negative".to_owned())?,
            time: col_u64(row, 1, "time")?,
            direction: Direction::parse(&direction).ok_or_else(|| {
                "the direction column is neither 'sent' nor 'received'".to_owned()
            })?,
            counterparty: col_text(row, 3, "counterparty")?,
            subject_key: col_blob(row, 4, "subject_key")?,
            record_types: parse_record_types(&record_types)?,
            purpose: col_text(row, 6, "purpose")?,
            consent_id: col_text(row, 7, "consent_id")?,
            envelope_id: col_blob(row, 8, "envelope_id")?,
            envelope_hash: col_blob(row, 9, "envelope_hash")?,
            prev_hash: col_blob(row, 10, "prev_hash")?,
            entry_hash: col_blob(row, 11, "entry_hash")?,
            receipt: receipt_from_row(row, &direction)?,
        })
    };
    (seq, decode())
}

/// Whether column `i` is SQL `NULL`.
fn is_null(row: &rusqlite::Row<'_>, i: usize) -> bool {
    matches!(row.get_ref(i), Ok(ValueRef::Null))
}

/// Decodes the receipt columns (12..=15) of an `entries` row: all `NULL` (a sent entry, or a
/// received entry of schema 1), or the issue time and flag of a received entry, with the
/// sender's head in both head columns or in neither.
fn receipt_from_row(row: &rusqlite::Row<'_>, direction: &str) -> Result<Option<Receipt>, String> {
    let nulls = [12, 13, 14, 15].map(|i| is_null(row, i));
    if nulls.iter().all(|n| *n) {
        return Ok(None);
    }
    if direction != "received" || nulls[0] || nulls[1] || nulls[2] != nulls[3] {
        return Err(
            "its receipt columns (issued_at, issued_out_of_order, sender_head_seq, \
             sender_head_hash) are not those of a received entry"
                .to_owned(),
        );
    }
    let issued_out_of_order = match col_int(row, 13, "issued_out_of_order")? {
        0 => false,
        1 => true,
        _ => return Err("the issued_out_of_order column is neither 0 nor 1".to_owned()),
    };
    let sender_head = if nulls[2] {
        None
    } else {
        Some((
            col_u64(row, 14, "sender_head_seq")?,
            col_blob(row, 15, "sender_head_hash")?,
        ))
    };
    Ok(Some(Receipt {
        issued_at: col_u64(row, 12, "issued_at")?,
        issued_out_of_order,
        sender_head,
    }))
}

/// Parses the `record_types` column, which must be exactly what the ledger writes.
pub(crate) fn parse_record_types(s: &str) -> Result<Vec<String>, String> {
    const BAD: &str = "the record_types column is not a JSON array of strings as divex writes it";
    let v: serde_json::Value = serde_json::from_str(s).map_err(|_| BAD.to_owned())?;
    let types = v
        .as_array()
        .ok_or(BAD)?
        .iter()
        .map(|t| t.as_str().map(str::to_owned).ok_or(BAD))
        .collect::<Result<Vec<String>, _>>()?;
    // Exactly the bytes divex writes: no whitespace, escaping or order variants.
    let canonical = record_types_json(&types).to_string();
    if canonical.as_str() != s {
        return Err(BAD.to_owned());
    }
    Ok(types)
}

/// Decodes a `checkpoints` row selected with [`CHECKPOINT_COLUMNS`]: its seq (0 if unreadable) and the checkpoint.
pub(crate) fn checkpoint_from_row(row: &rusqlite::Row<'_>) -> (u64, Result<Checkpoint, String>) {
    let seq = col_u64(row, 1, "checkpoint seq");
    let seq_or_zero = seq.clone().unwrap_or(0);
    let decode = || -> Result<Checkpoint, String> {
        Ok(Checkpoint {
            seq: seq?,
            head: col_blob(row, 2, "checkpoint head")?,
            time: col_u64(row, 3, "checkpoint time")?,
            signature: col_blob(row, 4, "checkpoint signature")?,
            kid: match row.get_ref(5) {
                Ok(ValueRef::Null) => None,
                _ => Some(
                    KeyId::from_bytes(&col_blob::<16>(row, 5, "checkpoint kid")?)
                        .map_err(|e| e.to_string())?,
                ),
            },
        })
    };
    (
        seq_or_zero,
        decode().map_err(|r| format!("a checkpoint row is malformed: {r}")),
    )
}
