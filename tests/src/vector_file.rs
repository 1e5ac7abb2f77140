//! The envelope vector file format (spec/envelope.md §12.1): one JSON object per scenario,
//! and the sender resolver a file describes.

use std::collections::{BTreeMap, BTreeSet};

use divex_core::envelope::LedgerHead;
use divex_core::keys::{KeyId, SigningPublicKey};
use divex_core::testing::envelope::{Metadata, ResolveError, Sender, SenderResolver};
use serde::{Deserialize, Serialize};

/// A sender entry in a vector: a signing key the resolver knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorSender {
    /// Agency id returned by the resolver.
    pub agency_id: String,
    /// Ed25519 public key, hex.
    pub signing_key: String,
    /// When set, the key is known but not trusted at the vector's `now` (an expired or
    /// revoked certificate): the resolver answers "not trusted" with this reason, and `open`
    /// refuses with `untrusted_sender`. Absent: trusted.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub untrusted: Option<String>,
}

/// The signed metadata an `ok` vector must release (spec/envelope.md §2.3), besides the
/// payload, envelope id and sender, which have fields of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorMetadata {
    /// Issued at (-65539), seconds since the Unix epoch.
    pub issued_at: u64,
    /// Audience (-65540): the recipients' encryption key ids, hex, in signed order.
    pub audience: Vec<String>,
    /// Purpose (-65541).
    pub purpose: String,
    /// Consent reference (-65542), its consent id.
    pub consent_id: String,
    /// Consent reference (-65542), its digest, hex.
    pub consent_digest: String,
    /// Record type (-65543).
    pub record_type: String,
    /// Security labels (-65544), in signed order.
    pub labels: Vec<String>,
    /// Notice (-65545).
    pub notice: String,
    /// Redacted fields (-65547), in signed order.
    pub redacted: Vec<String>,
    /// The sender's ledger head (-65548): present exactly for a profile v2 envelope
    /// (spec/envelope.md §15), absent for v1.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ledger_head: Option<VectorLedgerHead>,
}

/// A ledger head as a vector states it (spec/envelope.md §12.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorLedgerHead {
    /// Sequence number.
    pub seq: u64,
    /// Hash, hex (32 bytes).
    pub hash: String,
}

impl From<LedgerHead> for VectorLedgerHead {
    fn from(h: LedgerHead) -> Self {
        VectorLedgerHead {
            seq: h.seq,
            hash: hex::encode(h.hash),
        }
    }
}

impl VectorMetadata {
    /// The metadata a sealer signs for `m`: labels and redacted fields sorted bytewise and
    /// de-duplicated, as spec/envelope.md §2.3 requires of a writer.
    pub fn signed(m: &Metadata) -> VectorMetadata {
        fn tokens<T: AsRef<str>>(list: &[T]) -> Vec<String> {
            let set: BTreeSet<&[u8]> = list.iter().map(|t| t.as_ref().as_bytes()).collect();
            set.into_iter()
                .map(|b| String::from_utf8(b.to_vec()).expect("tokens are ASCII"))
                .collect()
        }
        let d = &m.disclosure;
        VectorMetadata {
            issued_at: m.issued_at,
            audience: m
                .audience
                .iter()
                .map(|k| hex::encode(k.as_bytes()))
                .collect(),
            purpose: d.purpose.to_string(),
            consent_id: d.consent.id.clone(),
            consent_digest: hex::encode(d.consent.digest),
            record_type: d.record_type.to_string(),
            labels: tokens(&d.labels),
            notice: d.notice.to_string(),
            redacted: tokens(&d.redacted),
            ledger_head: m.ledger_head.map(VectorLedgerHead::from),
        }
    }
}

/// One envelope spec vector (one scenario per file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vector {
    /// Short scenario name (the file name without number and extension).
    pub scenario: String,
    /// What the scenario shows.
    pub description: String,
    /// `ok`, or the `OpenError::class()` expected.
    pub expect: String,
    /// The `now` passed to `open`.
    pub now: u64,
    /// The opening agency's name.
    pub recipient: String,
    /// The opening agency's 64 secret bytes (Ed25519 seed ‖ clamped X25519 secret,
    /// spec/envelope.md §3.4), hex. Test keys only.
    pub recipient_secret: String,
    /// Senders the resolver knows (trusted unless marked `untrusted`).
    pub senders: Vec<VectorSender>,
    /// Envelope ids already seen (replay hook), hex.
    pub seen: Vec<String>,
    /// The size limit (`max_envelope_bytes`, spec/envelope.md §9) to open under; absent: the
    /// default (16 MiB).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_envelope_bytes: Option<u64>,
    /// The envelope, hex.
    pub envelope: String,
    /// For `ok`: the expected payload, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payload: Option<String>,
    /// For `ok`: the expected envelope id, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub envelope_id: Option<String>,
    /// For `ok`: the expected sender agency id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sender: Option<String>,
    /// For `ok`: the rest of the expected signed metadata.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metadata: Option<VectorMetadata>,
}

/// The resolver a vector's `senders` describe: each key is known as its agency, trusted
/// unless the entry says `untrusted`.
#[derive(Debug, Clone, Default)]
pub struct VectorResolver {
    senders: BTreeMap<KeyId, (Sender, Option<String>)>,
}

impl SenderResolver for VectorResolver {
    fn resolve(&self, kid: &KeyId, _now: u64) -> Result<Sender, ResolveError> {
        match self.senders.get(kid) {
            None => Err(ResolveError::Unknown),
            Some((_, Some(reason))) => Err(ResolveError::NotTrusted(reason.clone())),
            Some((sender, None)) => Ok(sender.clone()),
        }
    }
}

/// The resolver a vector describes.
pub fn resolver(senders: &[VectorSender]) -> VectorResolver {
    let mut r = VectorResolver::default();
    for s in senders {
        let key = SigningPublicKey::from_bytes(&hex::decode(&s.signing_key).expect("hex"))
            .expect("vector sender key");
        r.senders.insert(
            key.kid(),
            (
                Sender {
                    agency_id: s.agency_id.clone(),
                    key,
                },
                s.untrusted.clone(),
            ),
        );
    }
    r
}

/// The file name of vector number `i`.
pub fn file_name(i: usize, v: &Vector) -> String {
    format!("{:03}-{}.json", i + 1, v.scenario)
}

/// The file contents of a vector (pretty JSON, trailing newline).
pub fn to_file(v: &Vector) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("serialize");
    s.push('\n');
    s
}
