//! divex conformance kit: a toolkit for assembling hostile envelopes from divex-core's public
//! building blocks, and the spec vectors (envelope, directory, consent, records).
//!
//! The vectors in `spec/vectors/envelope/` are produced by [`generate`] (run by the
//! `gen-vectors` binary) from fixed seeds ([`divex_fixtures::rng`]), one scenario per file.
//! The `vectors` test regenerates them and fails on any difference, then runs each through
//! `open` and checks its `expect` class. The agencies, consents and records come from
//! `divex-fixtures`.
#![forbid(unsafe_code)]
// Generator code: a failure is a bug in the generator itself, and fixed-layout test envelopes
// are indexed directly.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

pub mod domain_vectors;
mod revision_2;
mod revision_3;
mod vector_file;

pub use vector_file::{
    Vector, VectorLedgerHead, VectorMetadata, VectorResolver, VectorSender, file_name, resolver,
    to_file,
};

use divex_core::keys::{AgencyKeys, PublicBundle};
use divex_core::records::RecordType;
use divex_core::testing::AgencyKeysExt;
use divex_core::testing::codec::{self, Map, Value};
use divex_core::testing::cose::{self, ProtectedHeader, label};
use divex_core::testing::envelope::{self, EnvelopeId, KEY_COMMITMENT_LEN, Metadata};
use divex_core::testing::envelope::{Profile, SealOptions};
use divex_fixtures::{agency, disclosure, rng};
use rand_chacha::ChaCha20Rng;
use rand_core::Rng;

/// Time used by every vector: 2026-09-21T14:13:20Z ([`divex_fixtures::T0`]).
pub const NOW: u64 = divex_fixtures::T0;

/// Everything a sender decides before the envelope is assembled, exposed so that scenarios
/// can alter any part and re-assemble.
#[allow(missing_debug_implementations)] // holds a test CEK; never printed
#[derive(Clone)]
pub struct Parts {
    /// The content key.
    pub cek: [u8; 32],
    /// Its commitment.
    pub commitment: [u8; KEY_COMMITMENT_LEN],
    /// Signed metadata.
    pub metadata: Metadata,
    /// Encoded inner COSE_Sign1.
    pub inner: Vec<u8>,
    /// Recipients' bundles, sorted by encryption kid.
    pub recipients: Vec<PublicBundle>,
}

/// Plans an envelope the way `seal` does.
pub fn plan(
    sender: &AgencyKeys,
    recipients: &[&AgencyKeys],
    payload: &[u8],
    now: u64,
    rng: &mut ChaCha20Rng,
) -> Parts {
    let mut cek = [0u8; 32];
    rng.fill_bytes(&mut cek);
    let commitment = envelope::key_commitment(&cek);
    let mut bundles: Vec<PublicBundle> = recipients.iter().map(|a| a.public().clone()).collect();
    bundles.sort_by_key(|b| b.encryption().kid());
    let mut id = [0u8; 16];
    rng.fill_bytes(&mut id);
    let metadata = Metadata {
        envelope_id: EnvelopeId(id),
        issued_at: now,
        audience: bundles.iter().map(|b| b.encryption().kid()).collect(),
        disclosure: disclosure(RecordType::DrugTest),
        ledger_head: None,
    };
    let inner = envelope::sign_inner(sender, &metadata, &commitment, payload);
    Parts {
        cek,
        commitment,
        metadata,
        inner,
        recipients: bundles,
    }
}

impl Parts {
    /// Re-signs the inner message after a metadata change.
    pub fn resign(&mut self, sender: &AgencyKeys, payload: &[u8]) {
        self.inner = envelope::sign_inner(sender, &self.metadata, &self.commitment, payload);
    }

    /// Assembles the envelope: every recipient gets `cek`, layer 0 is sealed under `cek`, in
    /// the profile the metadata states (v2 exactly when it carries a ledger head).
    pub fn assemble(&self, rng: &mut ChaCha20Rng) -> Vec<u8> {
        self.assemble_as(Profile::for_head(self.metadata.ledger_head.is_some()), rng)
    }

    /// Assembles the envelope with layer 0 of `profile`, whatever the inner message says.
    pub fn assemble_as(&self, profile: Profile, rng: &mut ChaCha20Rng) -> Vec<u8> {
        let stanzas = self
            .recipients
            .iter()
            .map(|b| envelope::wrap_for(b, &self.cek, rng).expect("wrap"))
            .collect();
        envelope::encrypt_layer_with(
            envelope::content_protected(&self.commitment, profile),
            &self.inner,
            &self.cek,
            stanzas,
            rng,
        )
        .expect("encrypt")
    }
}

/// Decodes an envelope, lets `f` change its COSE structure, and re-encodes it (a relay's
/// tampering: no keys involved).
pub fn rewrite(envelope: &[u8], f: impl FnOnce(&mut cose::Encrypt)) -> Vec<u8> {
    let v = codec::decode(envelope).expect("valid envelope");
    let mut msg =
        cose::Encrypt::from_value(&v, true, &codec::DecodeLimits::DEFAULT).expect("COSE_Encrypt");
    f(&mut msg);
    msg.to_bytes()
}

/// A copy of `m` with `label` set to `value` (replacing any existing entry).
pub fn with_label(m: &Map, label: i64, value: Value) -> Map {
    let mut out = Map::new();
    for (k, v) in m.iter() {
        if k.as_i64() != Some(label) {
            out.insert(k.clone(), v.clone()).expect("distinct keys");
        }
    }
    out.insert(Value::from(label), value)
        .expect("distinct keys");
    out
}

/// A copy of `m` without `label`.
pub fn without_label(m: &Map, label: i64) -> Map {
    let mut out = Map::new();
    for (k, v) in m.iter() {
        if k.as_i64() != Some(label) {
            out.insert(k.clone(), v.clone()).expect("distinct keys");
        }
    }
    out
}

/// The agencies of the vector world.
pub const AGENCIES: [&str; 6] = [
    "treatment-provider",
    "superior-court",
    "probation",
    "district-attorney",
    "lead-case-manager",
    "outsider",
];

/// The resolver the vectors use by default: every agency but "outsider" is trusted.
fn default_senders() -> Vec<VectorSender> {
    AGENCIES
        .iter()
        .filter(|n| **n != "outsider")
        .map(|n| VectorSender {
            agency_id: (*n).to_owned(),
            signing_key: hex::encode(agency(n).public().signing().as_bytes()),
            untrusted: None,
        })
        .collect()
}

struct Builder {
    name: &'static str,
    description: &'static str,
    expect: &'static str,
    opener: &'static str,
    senders: Vec<VectorSender>,
    seen: Vec<String>,
    now: u64,
    max_envelope_bytes: Option<u64>,
    payload: Option<Vec<u8>>,
    envelope_id: Option<String>,
    sender: Option<String>,
    metadata: Option<VectorMetadata>,
}

impl Builder {
    fn new(name: &'static str, expect: &'static str, description: &'static str) -> Builder {
        Builder {
            name,
            description,
            expect,
            opener: "superior-court",
            senders: default_senders(),
            seen: Vec::new(),
            now: NOW,
            max_envelope_bytes: None,
            payload: None,
            envelope_id: None,
            sender: None,
            metadata: None,
        }
    }

    /// An `ok` vector: `sender` signed `metadata` over `payload`.
    fn opens(mut self, sender: &str, metadata: &Metadata, payload: &[u8]) -> Builder {
        self.payload = Some(payload.to_vec());
        self.envelope_id = Some(metadata.envelope_id.to_string());
        self.sender = Some(sender.to_owned());
        self.metadata = Some(VectorMetadata::signed(metadata));
        self
    }

    fn finish(self, envelope: Vec<u8>) -> Vector {
        Vector {
            scenario: self.name.to_owned(),
            description: self.description.to_owned(),
            expect: self.expect.to_owned(),
            now: self.now,
            recipient: self.opener.to_owned(),
            recipient_secret: hex::encode(agency(self.opener).expose_secret_bytes().as_ref()),
            senders: self.senders,
            seen: self.seen,
            max_envelope_bytes: self.max_envelope_bytes,
            envelope: hex::encode(envelope),
            payload: self.payload.map(hex::encode),
            envelope_id: self.envelope_id,
            sender: self.sender,
            metadata: self.metadata,
        }
    }
}

const PAYLOAD: &[u8] = b"drug test 2026-09-20: all analytes negative; observed collection";

/// Generates every envelope vector, in file order.
pub fn generate() -> Vec<Vector> {
    let provider = agency("treatment-provider");
    let court = agency("superior-court");
    let probation = agency("probation");
    let da = agency("district-attorney");
    let lead = agency("lead-case-manager");
    let outsider = agency("outsider");
    let three = [&court, &probation, &da];
    let mut out = Vec::new();

    // A genuine three-recipient envelope, opened by each recipient.
    let genuine = |tag: &str| {
        let mut r = rng(tag);
        plan(&provider, &three, PAYLOAD, NOW, &mut r).assemble(&mut r)
    };
    // What the genuine envelope signs (the same draws as `genuine("genuine")` up to signing).
    let genuine_metadata = plan(&provider, &three, PAYLOAD, NOW, &mut rng("genuine")).metadata;
    let genuine_id = genuine_metadata.envelope_id.to_string();
    for (name, opener, desc) in [
        (
            "ok-three-recipients-court",
            "superior-court",
            "A provider's drug-test report to court, probation and DA, opened by the court.",
        ),
        (
            "ok-three-recipients-probation",
            "probation",
            "The same envelope opened by probation.",
        ),
        (
            "ok-three-recipients-da",
            "district-attorney",
            "The same envelope opened by the district attorney.",
        ),
    ] {
        let mut b =
            Builder::new(name, "ok", desc).opens("treatment-provider", &genuine_metadata, PAYLOAD);
        b.opener = opener;
        out.push(b.finish(genuine("genuine")));
    }
    {
        let mut r = rng("one-recipient");
        let (env, metadata) = envelope::seal(
            &lead,
            &[court.public().clone()],
            &disclosure(RecordType::LeadStatus),
            b"",
            NOW,
            SealOptions {
                rng: Some(&mut r),
                ..SealOptions::default()
            },
        )
        .map(|s| (s.bytes, s.metadata))
        .expect("seal");
        let b = Builder::new(
            "ok-one-recipient-empty-payload",
            "ok",
            "A single recipient and an empty payload.",
        )
        .opens("lead-case-manager", &metadata, b"");
        out.push(b.finish(env));
    }

    // --- Strict decoding and profile -----------------------------------------------------
    let g = genuine("genuine");
    let mut truncated = g.clone();
    truncated.truncate(g.len() - 7);
    out.push(
        Builder::new(
            "truncated",
            "malformed",
            "The envelope with its last 7 bytes cut off.",
        )
        .finish(truncated),
    );
    let mut trailing = g.clone();
    trailing.push(0x00);
    out.push(
        Builder::new(
            "trailing-byte",
            "malformed",
            "A zero byte appended after the envelope.",
        )
        .finish(trailing),
    );
    // Non-shortest length: the 12-byte IV's head 0x4c rewritten as 0x58 0x0c.
    {
        let pos = find(&g, &[0xa1, 0x05, 0x4c]).expect("IV header") + 2;
        let mut nonshort = g[..pos].to_vec();
        nonshort.extend_from_slice(&[0x58, 0x0c]);
        nonshort.extend_from_slice(&g[pos + 1..]);
        out.push(
            Builder::new(
                "non-shortest-length",
                "malformed",
                "The IV's length written in two bytes instead of one (not deterministic CBOR).",
            )
            .finish(nonshort),
        );
    }
    {
        // A 20-deep array in the unprotected header of layer 0.
        let env = rewrite(&g, |m| {
            m.unprotected = with_label(&m.unprotected, 99, nested_arrays(20));
        });
        out.push(
            Builder::new(
                "deeply-nested",
                "malformed",
                "Layer 0's unprotected header holds arrays nested 20 deep.",
            )
            .finish(env),
        );
    }
    {
        let v = codec::decode(&g).expect("decode");
        let untagged = match v {
            Value::Tag(_, inner) => codec::encode(&inner),
            _ => unreachable!(),
        };
        out.push(
            Builder::new(
                "untagged",
                "structure",
                "The COSE_Encrypt array without its tag 96.",
            )
            .finish(untagged),
        );
    }
    out.push(
        Builder::new(
            "content-alg-swapped",
            "unsupported_algorithm",
            "Layer 0's alg changed from ChaCha20/Poly1305 (24) to A256GCM (3).",
        )
        .finish(rewrite(&g, |m| {
            m.protected =
                ProtectedHeader::new(with_label(m.protected.map(), label::ALG, Value::from(3u64)));
        })),
    );
    out.push(
        Builder::new(
            "recipient-alg-swapped",
            "unsupported_algorithm",
            "A recipient's alg changed from HPKE-4-KE (50) to HPKE-3-KE (49).",
        )
        .finish(rewrite(&g, |m| {
            let r = &mut m.recipients[1];
            r.protected = ProtectedHeader::new(with_label(
                r.protected.map(),
                label::ALG,
                Value::from(49u64),
            ));
        })),
    );
    out.push(
        Builder::new(
            "crit-header",
            "unexpected_header",
            "Layer 0's protected header gains crit (2) naming a private label.",
        )
        .finish(rewrite(&g, |m| {
            m.protected = ProtectedHeader::new(with_label(
                m.protected.map(),
                label::CRIT,
                Value::Array(vec![Value::from(-70000i64)]),
            ));
        })),
    );
    out.push(
        Builder::new(
            "recipient-kid-missing",
            "missing_header",
            "A recipient without its kid.",
        )
        .finish(rewrite(&g, |m| {
            let r = &mut m.recipients[0];
            r.protected = ProtectedHeader::new(without_label(r.protected.map(), label::KID));
        })),
    );
    out.push(
        Builder::new(
            "recipients-unsorted",
            "structure",
            "The recipients array in descending kid order.",
        )
        .finish(rewrite(&g, |m| m.recipients.reverse())),
    );
    {
        let mut r = rng("too-many");
        let many: Vec<AgencyKeys> = (0..65).map(|i| agency(&format!("extra-{i}"))).collect();
        let mut refs: Vec<&AgencyKeys> = many.iter().collect();
        refs.push(&court);
        let env = plan(&provider, &refs, PAYLOAD, NOW, &mut r).assemble(&mut r);
        out.push(
            Builder::new(
                "too-many-recipients",
                "too_many_recipients",
                "66 recipients, over the default limit of 64.",
            )
            .finish(env),
        );
    }

    // --- Recipient and key layers --------------------------------------------------------
    {
        let mut b = Builder::new(
            "not-for-me",
            "not_for_me",
            "Opened by the LEAD case manager, who is not a recipient.",
        );
        b.opener = "lead-case-manager";
        out.push(b.finish(g.clone()));
    }
    {
        let court_kid = court.public().encryption().kid();
        let env = rewrite(&g, |m| {
            for r in &mut m.recipients {
                if r.kid() == Some(court_kid.as_bytes().as_slice()) {
                    r.unprotected = with_label(&r.unprotected, label::EK, Value::bytes([0u8; 32]));
                }
            }
        });
        out.push(
            Builder::new(
                "low-order-ek",
                "non_contributory_key",
                "The court's ek replaced by the all-zero (low-order) X25519 point.",
            )
            .finish(env),
        );
    }
    {
        let court_kid = court.public().encryption().kid();
        let env = rewrite(&g, |m| {
            for r in &mut m.recipients {
                if r.kid() == Some(court_kid.as_bytes().as_slice()) {
                    r.ciphertext[0] ^= 1;
                }
            }
        });
        out.push(
            Builder::new(
                "wrapped-key-altered",
                "key_unwrap",
                "One bit of the court's encrypted content key flipped.",
            )
            .finish(env),
        );
    }
    {
        // A malicious sender gives the court a different content key from the others.
        let mut r = rng("split-keys");
        let p = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        let mut other = [0u8; 32];
        r.fill_bytes(&mut other);
        let court_kid = court.public().encryption().kid();
        let stanzas = p
            .recipients
            .iter()
            .map(|b| {
                let k = if b.encryption().kid() == court_kid {
                    &other
                } else {
                    &p.cek
                };
                envelope::wrap_for(b, k, &mut r).expect("wrap")
            })
            .collect();
        let env = envelope::encrypt_layer(&p.inner, &p.cek, &p.commitment, stanzas, &mut r)
            .expect("encrypt");
        out.push(
            Builder::new(
                "split-content-keys",
                "key_commitment",
                "The sender wrapped a different content key for the court than for the others.",
            )
            .finish(env),
        );
    }
    out.push(
        Builder::new(
            "ciphertext-altered",
            "decrypt",
            "One bit of layer 0's ciphertext flipped.",
        )
        .finish(rewrite(&g, |m| m.ciphertext[10] ^= 0x80)),
    );
    out.push(
        Builder::new(
            "recipient-removed",
            "decrypt",
            "A relay dropped the district attorney's recipient.",
        )
        .finish(rewrite(&g, |m| {
            let da_kid = da.public().encryption().kid();
            m.recipients
                .retain(|r| r.kid() != Some(da_kid.as_bytes().as_slice()));
        })),
    );
    {
        // A relay adds a stanza for an outsider; it cannot know the CEK, so it wraps a random one.
        let mut r = rng("recipient-added");
        let extra = envelope::wrap_for(outsider.public(), &[9u8; 32], &mut r).expect("wrap");
        out.push(
            Builder::new(
                "recipient-added",
                "decrypt",
                "A relay added a recipient stanza for an outsider.",
            )
            .finish(rewrite(&g, |m| {
                m.recipients.push(extra);
                m.recipients.sort_by(|a, b| a.kid().cmp(&b.kid()));
            })),
        );
    }

    // --- Signed layer ----------------------------------------------------------------------
    {
        let mut r = rng("inner-not-cbor");
        let mut p = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        p.inner = vec![0xd2, 0x84, 0x40, 0xa0, 0x40];
        out.push(
            Builder::new(
                "inner-truncated",
                "malformed",
                "Correctly encrypted, but the plaintext is a truncated COSE_Sign1.",
            )
            .finish(p.assemble(&mut r)),
        );
    }
    {
        let mut r = rng("signature-alg");
        let mut p = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        let sign1 = cose::Sign1::from_value(
            &codec::decode(&p.inner).expect("inner"),
            true,
            &codec::DecodeLimits::DEFAULT,
        )
        .expect("sign1");
        let protected = ProtectedHeader::new(with_label(
            sign1.protected.map(),
            label::ALG,
            Value::from(-8i64),
        ));
        let signature = provider
            .sign(&cose::sig_structure(protected.as_bytes(), &[], PAYLOAD))
            .to_vec();
        p.inner = cose::Sign1 {
            protected,
            signature,
            ..sign1
        }
        .to_bytes();
        out.push(
            Builder::new(
                "signature-alg-swapped",
                "unsupported_algorithm",
                "The inner COSE_Sign1 signed with alg EdDSA (-8) instead of Ed25519 (-19).",
            )
            .finish(p.assemble(&mut r)),
        );
    }
    {
        let mut r = rng("unknown-sender");
        let env = plan(&outsider, &three, PAYLOAD, NOW, &mut r).assemble(&mut r);
        out.push(
            Builder::new(
                "unknown-sender",
                "unknown_sender",
                "Signed by an agency the directory does not know.",
            )
            .finish(env),
        );
    }
    {
        let mut r = rng("signature-stripped");
        let mut p = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        let mut s = cose::Sign1::from_value(
            &codec::decode(&p.inner).expect("inner"),
            true,
            &codec::DecodeLimits::DEFAULT,
        )
        .expect("sign1");
        s.signature = Vec::new();
        p.inner = s.to_bytes();
        out.push(
            Builder::new(
                "signature-stripped",
                "bad_signature",
                "The inner signature replaced by an empty byte string.",
            )
            .finish(p.assemble(&mut r)),
        );
    }
    {
        let mut r = rng("signature-replaced");
        let mut p = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        let mut s = cose::Sign1::from_value(
            &codec::decode(&p.inner).expect("inner"),
            true,
            &codec::DecodeLimits::DEFAULT,
        )
        .expect("sign1");
        s.signature = probation.sign(&s.to_be_signed(&[])).to_vec();
        p.inner = s.to_bytes();
        out.push(
            Builder::new(
                "signature-replaced",
                "bad_signature",
                "The provider's kid kept, but the signature made by probation's key.",
            )
            .finish(p.assemble(&mut r)),
        );
    }
    {
        // Surreptitious forwarding: probation re-encrypts the provider's signed message to the
        // LEAD case manager.
        let mut r = rng("forwarded");
        let original = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        let mut cek = [0u8; 32];
        r.fill_bytes(&mut cek);
        let commitment = envelope::key_commitment(&cek);
        let stanza = envelope::wrap_for(lead.public(), &cek, &mut r).expect("wrap");
        let env = envelope::encrypt_layer(&original.inner, &cek, &commitment, vec![stanza], &mut r)
            .expect("encrypt");
        let mut b = Builder::new(
            "forwarded",
            "audience_mismatch",
            "Probation re-encrypted the provider's signed report to the LEAD case manager.",
        );
        b.opener = "lead-case-manager";
        out.push(b.finish(env));
    }
    {
        let mut r = rng("reencrypted");
        let original = plan(&provider, &three, PAYLOAD, NOW, &mut r);
        let mut cek = [0u8; 32];
        r.fill_bytes(&mut cek);
        let commitment = envelope::key_commitment(&cek);
        let stanzas = original
            .recipients
            .iter()
            .map(|b| envelope::wrap_for(b, &cek, &mut r).expect("wrap"))
            .collect();
        let env = envelope::encrypt_layer(&original.inner, &cek, &commitment, stanzas, &mut r)
            .expect("encrypt");
        out.push(
            Builder::new(
                "reencrypted",
                "reencrypted",
                "A recipient re-encrypted the signed report to the same audience under a new key.",
            )
            .finish(env),
        );
    }
    {
        let mut r = rng("future");
        let env = plan(&provider, &three, PAYLOAD, NOW + 3_600, &mut r).assemble(&mut r);
        out.push(
            Builder::new(
                "issued-in-future",
                "issued_in_future",
                "Issued an hour after the opener's clock (skew allowance is 5 minutes).",
            )
            .finish(env),
        );
    }
    {
        let mut b = Builder::new(
            "replayed",
            "replay",
            "The genuine envelope received a second time.",
        );
        b.seen = vec![genuine_id.clone()];
        out.push(b.finish(g.clone()));
    }

    // --- Added in revision 2 of the vectors: what 001-031 leave unpinned. Each scenario
    // starts from the genuine envelope or from a seeded generator of its own, so the earlier
    // vectors' draws are untouched.
    out.extend(revision_2::generate(
        &g,
        &genuine_metadata,
        &provider,
        [&court, &probation, &da],
    ));
    // Revision 3: profile v2 (spec/envelope.md §15), from seeded generators of its own.
    out.extend(revision_3::generate(
        &g,
        &provider,
        &lead,
        [&court, &probation, &da],
    ));
    out
}

/// Nested one-element arrays, `depth` containers deep, around the integer 0.
fn nested_arrays(depth: usize) -> Value {
    let mut v = Value::from(0u64);
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
