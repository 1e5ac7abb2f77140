//! Ledger entries, the participant key and the hash chain.

use std::fmt;

use divex_core::codec::{Item, encode_array};
use divex_core::consent::Subject;
use divex_core::envelope::EnvelopeId;
use divex_core::records::RecordType;
use divex_core::vocab::Purpose;
use sha2::{Digest, Sha256};

use crate::error::LedgerError;

/// Context string, first element of the CBOR array an entry hash covers.
pub(crate) const ENTRY_CONTEXT: &str = "divex/v1 ledger entry";
/// Prefix of the genesis hash (the `prev_hash` of entry 1).
const GENESIS_PREFIX: &[u8] = b"divex/v1 ledger genesis";
/// Prefix of the participant key.
const SUBJECT_PREFIX: &[u8] = b"divex/v1 ledger subject";

/// Whether this agency sent or received the disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// This agency disclosed the record to the counterparty.
    Sent,
    /// This agency received the record from the counterparty.
    Received,
}

impl Direction {
    /// `"sent"` or `"received"`: the value stored in the `direction` column and hashed.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }

    /// The direction named by [`Direction::as_str`]'s output; anything else is `None`.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "sent" => Some(Direction::Sent),
            "received" => Some(Direction::Received),
            _ => None,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a received entry records beyond ledger v1 (spec/ledger.md §2, §5.2): when the sender
/// says it issued the envelope, whether that was earlier than an envelope already accepted
/// from the same sender under the same consent, and the sender's own ledger head before it
/// recorded the disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Receipt {
    /// The envelope's signed `issued_at` (Unix seconds, at most `i64::MAX`).
    pub issued_at: u64,
    /// The envelope was issued earlier than the latest `issued_at` already accepted from the
    /// sender for the consent (spec/consent.md §8.3, "Monotonic issue times"); it was released
    /// anyway, and is flagged.
    pub issued_out_of_order: bool,
    /// The sender's ledger head `(seq, hash)` before the disclosure was appended, as the
    /// sender signed it in the envelope (spec/ledger.md §5.1); `None` when the envelope carries
    /// none.
    pub sender_head: Option<(u64, [u8; 32])>,
}

/// A disclosure to record, before the ledger gives it a sequence number and chains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// When the disclosure was sent or received (Unix seconds, at most `i64::MAX`).
    pub time: u64,
    /// Sent or received.
    pub direction: Direction,
    /// The other agency's directory id. A disclosure sent to several recipients is recorded
    /// as one entry per recipient.
    pub counterparty: String,
    /// The participant. Only [`subject_key`] of it is stored.
    pub subject: Subject,
    /// The record types disclosed (at least one).
    pub record_types: Vec<RecordType>,
    /// The purpose of use.
    pub purpose: Purpose,
    /// The consent relied on.
    pub consent_id: String,
    /// The envelope id.
    pub envelope_id: EnvelopeId,
    /// SHA-256 of the envelope bytes.
    pub envelope_hash: [u8; 32],
    /// For a received disclosure, what the envelope said beyond v1 (`None` for a sent one).
    pub receipt: Option<Receipt>,
}

/// A recorded, chained ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// When the disclosure was sent or received (Unix seconds).
    pub time: u64,
    /// Sent or received.
    pub direction: Direction,
    /// The other agency's directory id.
    pub counterparty: String,
    /// The participant's [`subject_key`]: the name is not stored in clear.
    pub subject_key: [u8; 32],
    /// The record types disclosed.
    pub record_types: Vec<String>,
    /// The purpose of use.
    pub purpose: String,
    /// The consent relied on.
    pub consent_id: String,
    /// The envelope id.
    pub envelope_id: [u8; 16],
    /// SHA-256 of the envelope bytes.
    pub envelope_hash: [u8; 32],
    /// The previous entry's `entry_hash` ([`genesis_hash`] for entry 1).
    pub prev_hash: [u8; 32],
    /// This entry's hash ([`Entry::computed_hash`] when the entry is intact).
    pub entry_hash: [u8; 32],
    /// For a received entry recorded by ledger schema 2, the envelope's issue time, the
    /// out-of-order flag and the sender's head (`None` for sent entries and for received
    /// entries recorded by schema 1).
    pub receipt: Option<Receipt>,
}

impl Entry {
    /// The hash this entry's fields commit to: SHA-256 of the strict deterministic CBOR array
    ///
    /// ```text
    /// ["divex/v1 ledger entry", seq, time, direction, counterparty, subject_key,
    ///  [record_type, ...], purpose, consent_id, envelope_id, envelope_hash, prev_hash]
    /// ```
    ///
    /// (integers as unsigned integers, `direction` as the text `"sent"` or `"received"`,
    /// hashes and the envelope id as byte strings, everything else as text), followed for an
    /// entry with a [`Receipt`] by the element `[issued_at, issued_out_of_order]` (the flag as
    /// the unsigned integer 0 or 1) and, when the sender's head is known, by a last element
    /// `[sender_head_seq, sender_head_hash]` (spec/ledger.md §2). An entry without a receipt —
    /// every sent entry, and every entry ledger v1 recorded — hashes exactly as in v1. For an
    /// intact entry it equals [`Entry::entry_hash`].
    pub fn computed_hash(&self) -> [u8; 32] {
        let mut fields = vec![
            Item::Text(ENTRY_CONTEXT),
            Item::Uint(self.seq),
            Item::Uint(self.time),
            Item::Text(self.direction.as_str()),
            Item::Text(&self.counterparty),
            Item::Bytes(&self.subject_key),
            Item::Array(
                self.record_types
                    .iter()
                    .map(|t| Item::Text(t.as_str()))
                    .collect(),
            ),
            Item::Text(self.purpose.as_str()),
            Item::Text(&self.consent_id),
            Item::Bytes(&self.envelope_id),
            Item::Bytes(&self.envelope_hash),
            Item::Bytes(&self.prev_hash),
        ];
        if let Some(r) = &self.receipt {
            fields.push(Item::Array(vec![
                Item::Uint(r.issued_at),
                Item::Uint(u64::from(r.issued_out_of_order)),
            ]));
            if let Some((seq, hash)) = &r.sender_head {
                fields.push(Item::Array(vec![Item::Uint(*seq), Item::Bytes(hash)]));
            }
        }
        Sha256::digest(encode_array(&fields)).into()
    }
}

/// The key under which the ledger stores a participant:
/// `SHA-256("divex/v1 ledger subject" || normalised name || 0x00 || date_of_birth)`, where the
/// name is [`Subject::normalised_name`], the normalisation [`Subject::same_person`] compares
/// (whitespace collapsed, case ignored). Two subjects that are the same person have the same
/// key.
///
/// This is a pseudonym, not encryption: anyone who can guess a name and a date of birth can
/// recompute it. It keeps names out of the file, not out of reach of a determined reader.
pub fn subject_key(subject: &Subject) -> [u8; 32] {
    Sha256::new()
        .chain_update(SUBJECT_PREFIX)
        .chain_update(subject.normalised_name().as_bytes())
        .chain_update([0u8])
        .chain_update(subject.date_of_birth.to_string().as_bytes())
        .finalize()
        .into()
}

/// The `prev_hash` of an agency's first entry: `SHA-256("divex/v1 ledger genesis" || agency_id)`.
/// It binds the chain to the agency: one agency's ledger does not verify as another's.
pub fn genesis_hash(agency_id: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(GENESIS_PREFIX)
        .chain_update(agency_id.as_bytes())
        .finalize()
        .into()
}

/// Refuses a text field that is empty or contains a NUL character.
fn check_text(value: &str, empty: &'static str, nul: &'static str) -> Result<(), LedgerError> {
    if value.is_empty() {
        return Err(LedgerError::InvalidEntry(empty));
    }
    if value.contains('\0') {
        return Err(LedgerError::InvalidEntry(nul));
    }
    Ok(())
}

/// Checks what the ledger requires of an entry before recording it.
pub(crate) fn validate(e: &NewEntry) -> Result<(), LedgerError> {
    if i64::try_from(e.time).is_err() {
        return Err(LedgerError::InvalidEntry(
            "the time is beyond what the ledger can store (2^63 - 1 seconds)",
        ));
    }
    check_text(
        &e.counterparty,
        "the counterparty agency id is empty",
        "the counterparty agency id contains a NUL character",
    )?;
    // The NUL separator in the subject key must be unambiguous.
    check_text(
        &e.subject.normalised_name(),
        "the participant's name is empty",
        "the participant's name contains a NUL character",
    )?;
    // The date of birth, record types and purpose are typed: never empty, never NUL.
    if e.record_types.is_empty() {
        return Err(LedgerError::InvalidEntry("no record type is given"));
    }
    check_text(
        &e.consent_id,
        "the consent id is empty",
        "the consent id contains a NUL character",
    )?;
    if let Some(r) = &e.receipt {
        if e.direction != Direction::Received {
            return Err(LedgerError::InvalidEntry(
                "only a received disclosure has an issue time and a sender head",
            ));
        }
        if i64::try_from(r.issued_at).is_err()
            || r.sender_head
                .is_some_and(|(seq, _)| i64::try_from(seq).is_err())
        {
            return Err(LedgerError::InvalidEntry(
                "the issue time or the sender's head is beyond what the ledger can store",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn subject(name: &str, dob: &str) -> Subject {
        Subject {
            name: name.into(),
            date_of_birth: dob.parse().unwrap(),
        }
    }

    #[test]
    fn subject_key_matches_same_person() {
        let cases = [
            (
                "Jordan Avery Reyes",
                "1994-03-14",
                "jordan avery reyes",
                "1994-03-14",
            ),
            (
                "  Jordan\tAvery  REYES ",
                "1994-03-14",
                "Jordan Avery Reyes",
                "1994-03-14",
            ),
            (
                "Jordan Avery Reyes",
                "1994-03-14",
                "Jordan Reyes",
                "1994-03-14",
            ),
            (
                "Jordan Avery Reyes",
                "1994-03-14",
                "Jordan Avery Reyes",
                "1994-03-15",
            ),
            ("ÉLODIE Durand", "1990-01-01", "élodie durand", "1990-01-01"),
        ];
        for (n1, d1, n2, d2) in cases {
            let (a, b) = (subject(n1, d1), subject(n2, d2));
            assert_eq!(
                a.same_person(&b),
                subject_key(&a) == subject_key(&b),
                "{n1:?}/{d1} vs {n2:?}/{d2}"
            );
        }
    }

    #[test]
    fn subject_key_is_the_documented_hash() {
        let mut m = b"divex/v1 ledger subject".to_vec();
        m.extend_from_slice(b"jordan avery reyes\x001994-03-14");
        let want: [u8; 32] = Sha256::digest(&m).into();
        assert_eq!(
            subject_key(&subject(" Jordan  Avery Reyes", "1994-03-14")),
            want
        );
    }

    #[test]
    fn genesis_is_bound_to_the_agency() {
        assert_ne!(genesis_hash("probation"), genesis_hash("superior-court"));
        let want: [u8; 32] = Sha256::digest(b"divex/v1 ledger genesisprobation").into();
        assert_eq!(genesis_hash("probation"), want);
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let e = Entry {
            seq: 1,
            time: 2,
            direction: Direction::Sent,
            counterparty: "c".into(),
            subject_key: [1; 32],
            record_types: vec!["drug_test".into()],
            purpose: "p".into(),
            consent_id: "k".into(),
            envelope_id: [2; 16],
            envelope_hash: [3; 32],
            prev_hash: [4; 32],
            entry_hash: [0; 32],
            receipt: None,
        };
        let h = e.computed_hash();
        type Edit = Box<dyn Fn(&mut Entry)>;
        let edits: Vec<Edit> = vec![
            Box::new(|e| e.seq = 9),
            Box::new(|e| e.time = 9),
            Box::new(|e| e.direction = Direction::Received),
            Box::new(|e| e.counterparty = "d".into()),
            Box::new(|e| e.subject_key[0] ^= 1),
            Box::new(|e| e.record_types.push("x".into())),
            Box::new(|e| e.record_types = vec!["drug".into(), "_test".into()]),
            Box::new(|e| e.purpose = "q".into()),
            Box::new(|e| e.consent_id = "l".into()),
            Box::new(|e| e.envelope_id[0] ^= 1),
            Box::new(|e| e.envelope_hash[0] ^= 1),
            Box::new(|e| e.prev_hash[0] ^= 1),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut f = e.clone();
            edit(&mut f);
            assert_ne!(f.computed_hash(), h, "edit {i} not covered");
        }
        // entry_hash itself is not an input.
        let mut f = e.clone();
        f.entry_hash = [9; 32];
        assert_eq!(f.computed_hash(), h);

        // A receipt and each of its fields are covered too.
        let mut r = e.clone();
        r.direction = Direction::Received;
        r.receipt = Some(Receipt {
            issued_at: 5,
            issued_out_of_order: false,
            sender_head: Some((6, [7; 32])),
        });
        let hr = r.computed_hash();
        let receipt_edits: Vec<Edit> = vec![
            Box::new(|e| e.receipt = None),
            Box::new(|e| e.receipt.as_mut().unwrap().issued_at = 6),
            Box::new(|e| e.receipt.as_mut().unwrap().issued_out_of_order = true),
            Box::new(|e| e.receipt.as_mut().unwrap().sender_head = None),
            Box::new(|e| e.receipt.as_mut().unwrap().sender_head = Some((7, [7; 32]))),
            Box::new(|e| e.receipt.as_mut().unwrap().sender_head = Some((6, [8; 32]))),
        ];
        for (i, edit) in receipt_edits.iter().enumerate() {
            let mut f = r.clone();
            edit(&mut f);
            assert_ne!(f.computed_hash(), hr, "receipt edit {i} not covered");
        }
    }

    #[test]
    fn the_entry_hash_is_the_documented_array() {
        use divex_core::testing::codec::Value;
        let mut e = Entry {
            seq: 3,
            time: 4,
            direction: Direction::Received,
            counterparty: "probation".into(),
            subject_key: [1; 32],
            record_types: vec!["drug_test".into()],
            purpose: "p".into(),
            consent_id: "k".into(),
            envelope_id: [2; 16],
            envelope_hash: [3; 32],
            prev_hash: [4; 32],
            entry_hash: [0; 32],
            receipt: None,
        };
        let v1 = vec![
            Value::from("divex/v1 ledger entry"),
            Value::from(3u64),
            Value::from(4u64),
            Value::from("received"),
            Value::from("probation"),
            Value::bytes([1; 32]),
            Value::Array(vec![Value::from("drug_test")]),
            Value::from("p"),
            Value::from("k"),
            Value::bytes([2; 16]),
            Value::bytes([3; 32]),
            Value::bytes([4; 32]),
        ];
        let digest = |items: Vec<Value>| -> [u8; 32] {
            Sha256::digest(divex_core::testing::codec::encode(&Value::Array(items))).into()
        };
        // v1 (and every entry without a receipt): exactly the twelve fields.
        assert_eq!(e.computed_hash(), digest(v1.clone()));
        // A receipt without the sender's head: one more element.
        e.receipt = Some(Receipt {
            issued_at: 9,
            issued_out_of_order: true,
            sender_head: None,
        });
        let mut v2 = v1.clone();
        v2.push(Value::Array(vec![Value::from(9u64), Value::from(1u64)]));
        assert_eq!(e.computed_hash(), digest(v2.clone()));
        // With the sender's head: the head is the last element.
        e.receipt = Some(Receipt {
            issued_at: 9,
            issued_out_of_order: false,
            sender_head: Some((17, [5; 32])),
        });
        let mut v3 = v1;
        v3.push(Value::Array(vec![Value::from(9u64), Value::from(0u64)]));
        v3.push(Value::Array(vec![
            Value::from(17u64),
            Value::bytes([5; 32]),
        ]));
        assert_eq!(e.computed_hash(), digest(v3));
    }
}
