//! Envelope vectors 043 onwards (revision 3 of the vectors, spec/envelope.md §12.3 and §15):
//! profile v2, whose signed inner header carries the sender's ledger head and whose layer 0
//! carries the profile marker. Each scenario draws from a seeded generator of its own (or
//! rewrites an envelope made here, or the genuine v1 envelope of vector 001), so no earlier
//! vector's draws change. Each refusal differs from an openable envelope in one respect.

use divex_core::envelope::LedgerHead;
use divex_core::keys::AgencyKeys;
use divex_core::records::RecordType;
use divex_core::testing::codec::{self, DecodeLimits, Map, Value};
use divex_core::testing::cose::{self, ProtectedHeader, Sign1};
use divex_core::testing::envelope::{self, MAX_LEDGER_SEQ, Profile, SealOptions, labels};
use divex_core::testing::{AgencyKeysExt, MetadataExt};
use divex_fixtures::disclosure;
use sha2::{Digest, Sha256};

use super::{Builder, NOW, PAYLOAD, Parts, Vector, plan, rewrite, rng, with_label, without_label};

/// The ledger head the provider states in the v2 vectors: entry 41 of its ledger.
fn head_41() -> LedgerHead {
    LedgerHead {
        seq: 41,
        hash: Sha256::digest(b"divex spec vectors: ledger entry 41").into(),
    }
}

/// The head of an empty ledger: sequence 0 and the genesis hash (spec/ledger.md §2).
fn empty_ledger_head(agency_id: &str) -> LedgerHead {
    LedgerHead {
        seq: 0,
        hash: Sha256::new()
            .chain_update(b"divex/v1 ledger genesis")
            .chain_update(agency_id.as_bytes())
            .finalize()
            .into(),
    }
}

/// Plans a v2 envelope from `sender` to `recipients` stating `head`, the way `seal` does.
fn plan_v2(
    sender: &AgencyKeys,
    recipients: &[&AgencyKeys],
    head: LedgerHead,
    tag: &str,
) -> (Parts, rand_chacha::ChaCha20Rng) {
    let mut r = rng(tag);
    let mut p = plan(sender, recipients, PAYLOAD, NOW, &mut r);
    p.metadata.ledger_head = Some(head);
    p.resign(sender, PAYLOAD);
    (p, r)
}

/// Re-signs `p`'s inner message over its protected header as `change` leaves it: a sender
/// that signs what the profile does not allow.
fn sign_altered(p: &mut Parts, sender: &AgencyKeys, change: impl FnOnce(Map) -> Map) {
    let map = change(
        p.metadata
            .to_protected_map(&sender.public().signing().kid(), &p.commitment),
    );
    let protected = ProtectedHeader::new(map);
    let signature = sender
        .sign(&cose::sig_structure(protected.as_bytes(), &[], PAYLOAD))
        .to_vec();
    p.inner = Sign1 {
        protected,
        unprotected: Map::new(),
        payload: PAYLOAD.to_vec(),
        signature,
    }
    .to_bytes();
}

/// A v2 envelope whose head the sender signed as `value` instead of `[seq, hash]`.
fn head_signed_as(
    provider: &AgencyKeys,
    three: &[&AgencyKeys],
    tag: &str,
    value: Value,
) -> Vec<u8> {
    let (mut p, mut r) = plan_v2(provider, three, head_41(), tag);
    sign_altered(&mut p, provider, |m| {
        with_label(&m, labels::LEDGER_HEAD, value)
    });
    p.assemble(&mut r)
}

/// Vectors 043 onwards. `g` is the genuine v1 envelope of vector 001.
pub(crate) fn generate(
    g: &[u8],
    provider: &AgencyKeys,
    lead: &AgencyKeys,
    three: [&AgencyKeys; 3],
) -> Vec<Vector> {
    let court = three[0];
    let mut out = Vec::new();
    let h41 = head_41();
    let hash = Value::bytes(h41.hash);

    // The genuine v2 envelope: vector 001's disclosure with the provider's ledger head.
    let (genuine, mut r) = plan_v2(provider, &three, h41, "v2-ledger-head");
    let g2 = genuine.assemble(&mut r);
    out.push(
        Builder::new(
            "ok-v2-ledger-head",
            "ok",
            "Profile v2: the provider's drug-test report to court, probation and DA, stating its ledger head [41, hash]; opened by the court.",
        )
        .opens("treatment-provider", &genuine.metadata, PAYLOAD)
        .finish(g2.clone()),
    );
    {
        let mut r = rng("v2-empty-ledger");
        let sealed = envelope::seal(
            lead,
            &[court.public().clone()],
            &disclosure(RecordType::LeadStatus),
            b"",
            NOW,
            SealOptions {
                rng: Some(&mut r),
                ledger_head: Some(empty_ledger_head("lead-case-manager")),
                ..SealOptions::default()
            },
        )
        .expect("seal");
        out.push(
            Builder::new(
                "ok-v2-empty-ledger",
                "ok",
                "Profile v2 from a sender whose ledger is empty: head [0, genesis of lead-case-manager]; one recipient, empty payload.",
            )
            .opens("lead-case-manager", &sealed.metadata, b"")
            .finish(sealed.bytes),
        );
    }
    {
        let max = LedgerHead {
            seq: MAX_LEDGER_SEQ,
            hash: h41.hash,
        };
        let (p, mut r) = plan_v2(provider, &three, max, "v2-head-seq-max");
        out.push(
            Builder::new(
                "ok-v2-head-seq-max",
                "ok",
                "Profile v2 with head sequence 2^63 - 1, the largest allowed.",
            )
            .opens("treatment-provider", &p.metadata, PAYLOAD)
            .finish(p.assemble(&mut r)),
        );
    }

    // §15.2: the head's shape, signed by the sender.
    for (name, tag, description, value) in [
        (
            "v2-head-seq-over-max",
            "v2-head-seq-over-max",
            "The provider signed head sequence 2^63, one over the largest allowed.",
            Value::Array(vec![Value::from(MAX_LEDGER_SEQ + 1), hash.clone()]),
        ),
        (
            "v2-head-seq-negative",
            "v2-head-seq-negative",
            "The provider signed head sequence -1.",
            Value::Array(vec![Value::from(-1i64), hash.clone()]),
        ),
        (
            "v2-head-hash-short",
            "v2-head-hash-short",
            "The provider signed a head hash of 31 bytes.",
            Value::Array(vec![Value::from(41u64), Value::bytes(&h41.hash[..31])]),
        ),
        (
            "v2-head-three-items",
            "v2-head-three-items",
            "The provider signed the head [41, hash, 0].",
            Value::Array(vec![Value::from(41u64), hash.clone(), Value::from(0u64)]),
        ),
    ] {
        out.push(
            Builder::new(name, "structure", description)
                .finish(head_signed_as(provider, &three, tag, value)),
        );
    }
    {
        let (mut p, mut r) = plan_v2(provider, &three, h41, "v2-head-missing");
        sign_altered(&mut p, provider, |m| without_label(&m, labels::LEDGER_HEAD));
        out.push(
            Builder::new(
                "v2-head-missing",
                "missing_header",
                "A v2 envelope whose inner header says profile 2 but was signed without the ledger head.",
            )
            .finish(p.assemble(&mut r)),
        );
    }
    {
        // A recipient (it holds the CEK) changes the signed head and re-encrypts.
        let mut r = rng("v2-head-altered");
        let mut sign1 = Sign1::from_value(
            &codec::decode(&genuine.inner).expect("inner"),
            true,
            &DecodeLimits::DEFAULT,
        )
        .expect("sign1");
        sign1.protected = ProtectedHeader::new(with_label(
            sign1.protected.map(),
            labels::LEDGER_HEAD,
            Value::Array(vec![Value::from(40u64), hash.clone()]),
        ));
        let altered = Parts {
            inner: sign1.to_bytes(),
            ..genuine.clone()
        };
        out.push(
            Builder::new(
                "v2-head-altered",
                "bad_signature",
                "A recipient changed the provider's signed head sequence from 41 to 40 and re-encrypted under the same content key.",
            )
            .finish(altered.assemble(&mut r)),
        );
    }

    // §15.3: the inner message of the other profile.
    {
        let mut r = rng("v2-inner-under-v1-outer");
        out.push(
            Builder::new(
                "v2-inner-under-v1-outer",
                "unexpected_header",
                "A recipient re-encrypted the genuine v2 signed inner (with its head) under a v1 layer 0, without the profile marker, with the same content key.",
            )
            .finish(genuine.assemble_as(Profile::V1, &mut r)),
        );
    }
    {
        let mut r = rng("v1-inner-under-v2-outer");
        let p = plan(provider, &three, PAYLOAD, NOW, &mut r);
        out.push(
            Builder::new(
                "v1-inner-under-v2-outer",
                "missing_header",
                "A recipient re-encrypted a genuine v1 signed inner under a v2 layer 0 (profile marker 2) with the same content key.",
            )
            .finish(p.assemble_as(Profile::V2, &mut r)),
        );
    }
    {
        let (mut p, mut r) = plan_v2(provider, &three, h41, "v2-inner-profile-one");
        sign_altered(&mut p, provider, |m| {
            with_label(&m, labels::PROFILE, Value::from(1u64))
        });
        out.push(
            Builder::new(
                "v2-inner-profile-one",
                "structure",
                "A v2 layer 0; the inner signed with the ledger head but profile 1.",
            )
            .finish(p.assemble_as(Profile::V2, &mut r)),
        );
    }
    {
        let mut r = rng("v1-inner-profile-two");
        let mut p = plan(provider, &three, PAYLOAD, NOW, &mut r);
        sign_altered(&mut p, provider, |m| {
            with_label(&m, labels::PROFILE, Value::from(2u64))
        });
        out.push(
            Builder::new(
                "v1-inner-profile-two",
                "structure",
                "A v1 layer 0; the inner signed without a ledger head but with profile 2.",
            )
            .finish(p.assemble_as(Profile::V1, &mut r)),
        );
    }

    // §7 step 5 and §5.4: the profile marker, changed by a relay (no key involved).
    let marker = |e: &[u8], value: Option<u64>| {
        rewrite(e, |m| {
            let p = without_label(m.protected.map(), labels::PROFILE);
            m.protected = ProtectedHeader::new(match value {
                Some(v) => with_label(&p, labels::PROFILE, Value::from(v)),
                None => p,
            });
        })
    };
    out.push(
        Builder::new(
            "v2-marker-stripped",
            "decrypt",
            "A relay removed the profile marker from the genuine v2 envelope's layer 0.",
        )
        .finish(marker(&g2, None)),
    );
    out.push(
        Builder::new(
            "v2-marker-added",
            "decrypt",
            "A relay added the profile marker 2 to the genuine v1 envelope's layer 0 (vector 001).",
        )
        .finish(marker(g, Some(2))),
    );
    out.push(
        Builder::new(
            "v2-marker-one",
            "structure",
            "A relay set the genuine v2 envelope's profile marker to 1.",
        )
        .finish(marker(&g2, Some(1))),
    );
    out.push(
        Builder::new(
            "v2-marker-three",
            "structure",
            "A relay set the genuine v2 envelope's profile marker to 3.",
        )
        .finish(marker(&g2, Some(3))),
    );
    out.push(
        Builder::new(
            "v2-marker-unprotected",
            "unexpected_header",
            "A relay moved the genuine v2 envelope's profile marker to layer 0's unprotected header.",
        )
        .finish(rewrite(&g2, |m| {
            m.protected = ProtectedHeader::new(without_label(m.protected.map(), labels::PROFILE));
            m.unprotected = with_label(&m.unprotected, labels::PROFILE, Value::from(2u64));
        })),
    );
    out
}
