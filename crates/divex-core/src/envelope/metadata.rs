//! What an envelope's signed header says: the envelope id, issue time, audience, the
//! sender's statement about the disclosure (spec/envelope.md §2.3) and, in profile v2, the
//! sender's ledger head (§15.2); and its encoding as the inner protected header.

use std::fmt;

use super::error::SealError;
use super::labels;
use super::{
    ENVELOPE_ID_LEN, KEY_COMMITMENT_LEN, LEDGER_HASH_LEN, MAX_CONSENT_ID_LEN, MAX_LABELS,
    MAX_LEDGER_SEQ, Profile,
};
use crate::codec::{Map, Value};
use crate::cose::{alg, label};
use crate::keys::KeyId;
use crate::records::RecordType;
use crate::vocab::Vocabulary;
use crate::vocab::{FieldName, NoticeCode, Purpose, SecurityLabel, is_token};

/// A 16-byte random envelope id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvelopeId(pub [u8; ENVELOPE_ID_LEN]);

impl EnvelopeId {
    /// Lower-case hex.
    pub(crate) fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnvelopeId({})", self.to_hex())
    }
}

impl fmt::Display for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A reference to the consent a disclosure relies on. Opaque to the envelope layer: the
/// consent engine gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRef {
    /// The consent's id.
    pub id: String,
    /// SHA-256 of the signed consent bytes.
    pub digest: [u8; 32],
}

/// What the sender states about a disclosure (the caller's part of the metadata). Every
/// value is typed, so only tokens the envelope can carry can be stated; the consent id and the
/// list lengths are checked when sealing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Purpose of use, e.g. `cj-monitor-conditional-release`.
    pub purpose: Purpose,
    /// The consent relied on.
    pub consent: ConsentRef,
    /// Record type of the payload, from the record catalogue (spec/records.md).
    pub record_type: RecordType,
    /// Security labels (sorted and de-duplicated when sealed).
    pub labels: Vec<SecurityLabel>,
    /// §2.32 notice code.
    pub notice: NoticeCode,
    /// Record fields removed for minimum necessary (sorted and de-duplicated when sealed).
    pub redacted: Vec<FieldName>,
}

/// A ledger head: the sequence number and hash of the last entry of an agency's disclosure
/// ledger, `(0, genesis)` for an empty one (spec/ledger.md §2). In an envelope it is the
/// sender's head *before* the disclosure's own entries are appended, signed with the
/// envelope (profile v2, spec/envelope.md §15.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LedgerHead {
    /// Sequence number of the last entry (0 for an empty ledger); at most 2^63 − 1.
    pub seq: u64,
    /// SHA-256 hash of that entry (the ledger's genesis hash for an empty ledger).
    pub hash: [u8; LEDGER_HASH_LEN],
}

/// The complete signed metadata of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Random envelope id.
    pub envelope_id: EnvelopeId,
    /// Seconds since the Unix epoch when sealed.
    pub issued_at: u64,
    /// The recipients' encryption key ids, ascending.
    pub audience: Vec<KeyId>,
    /// The sender's statement.
    pub disclosure: Disclosure,
    /// The sender's ledger head before this disclosure was recorded: present exactly in a
    /// profile v2 envelope (spec/envelope.md §15), `None` in a v1 envelope.
    pub ledger_head: Option<LedgerHead>,
}

impl Disclosure {
    /// The checks the types cannot make (spec/envelope.md §5 step 1): the consent id's
    /// syntax and the lengths of the two lists.
    pub(super) fn validate(&self) -> Result<(), SealError> {
        let check = |ok: bool, field: &'static str, max: usize| {
            if ok {
                Ok(())
            } else {
                Err(SealError::InvalidField { field, max })
            }
        };
        check(
            is_token(&self.consent.id, MAX_CONSENT_ID_LEN),
            "consent id",
            MAX_CONSENT_ID_LEN,
        )?;
        check(self.labels.len() <= MAX_LABELS, "label list", MAX_LABELS)?;
        check(
            self.redacted.len() <= MAX_LABELS,
            "redacted field list",
            MAX_LABELS,
        )
    }
}

impl LedgerHead {
    /// The check the type cannot make (spec/envelope.md §15.2): the sequence number fits a
    /// ledger.
    pub(super) fn validate(&self) -> Result<(), SealError> {
        if self.seq > MAX_LEDGER_SEQ {
            return Err(SealError::LedgerHeadOutOfRange { seq: self.seq });
        }
        Ok(())
    }

    /// `[seq, hash]`.
    pub(crate) fn to_value(self) -> Value {
        Value::Array(vec![Value::from(self.seq), Value::bytes(self.hash)])
    }
}

impl Metadata {
    /// The profile this metadata is sealed in: v2 exactly when it states a ledger head.
    pub(crate) fn profile(&self) -> Profile {
        Profile::for_head(self.ledger_head.is_some())
    }

    /// The inner protected header: `alg`, the sender's `kid`, the metadata labels and the key
    /// commitment; profile 1, or profile 2 and the ledger head when there is one.
    pub(crate) fn to_protected_map(
        &self,
        sender_kid: &KeyId,
        commitment: &[u8; KEY_COMMITMENT_LEN],
    ) -> Map {
        fn tokens<T: AsRef<str> + Ord + Clone>(list: &[T]) -> Value {
            Value::Array(
                sorted_tokens(list)
                    .iter()
                    .map(|t| Value::from(t.as_ref()))
                    .collect(),
            )
        }
        let entries = [
            (label::ALG, Value::from(alg::ED25519)),
            (label::KID, Value::bytes(sender_kid.as_bytes())),
            (labels::KEY_COMMITMENT, Value::bytes(commitment)),
            (labels::ENVELOPE_ID, Value::bytes(self.envelope_id.0)),
            (labels::ISSUED_AT, Value::from(self.issued_at)),
            (
                labels::AUDIENCE,
                Value::Array(
                    self.audience
                        .iter()
                        .map(|k| Value::bytes(k.as_bytes()))
                        .collect(),
                ),
            ),
            (
                labels::PURPOSE,
                Value::from(self.disclosure.purpose.as_str()),
            ),
            (
                labels::CONSENT_REF,
                Value::Array(vec![
                    Value::from(self.disclosure.consent.id.as_str()),
                    Value::bytes(self.disclosure.consent.digest),
                ]),
            ),
            (
                labels::RECORD_TYPE,
                Value::from(self.disclosure.record_type.as_str()),
            ),
            (labels::SECURITY_LABELS, tokens(&self.disclosure.labels)),
            (labels::REDACTED, tokens(&self.disclosure.redacted)),
            (labels::NOTICE, Value::from(self.disclosure.notice.as_str())),
            (labels::PROFILE, Value::from(self.profile().number())),
        ];
        let head = self
            .ledger_head
            .map(|h| (labels::LEDGER_HEAD, LedgerHead::to_value(h)));
        let mut m = Map::new();
        for (k, v) in entries.into_iter().chain(head) {
            // Labels are distinct constants.
            let _ = m.insert(Value::from(k), v);
        }
        m
    }
}

/// Tokens sorted bytewise without duplicates, as the metadata carries them (the token types
/// order as their text, bytewise).
pub(super) fn sorted_tokens<T: Ord + Clone>(list: &[T]) -> Vec<T> {
    let mut v = list.to_vec();
    v.sort();
    v.dedup();
    v
}
