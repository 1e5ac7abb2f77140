//! The attack matrix of spec/envelope.md §11: each hostile change to an envelope fails `open`
//! with its own typed error — never success, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeMap;

use divex_conformance::{NOW, plan, rewrite, with_label};
use divex_core::envelope::LedgerHead;
use divex_core::error::Classified;
use divex_core::keys::AgencyKeys;
use divex_core::records::RecordType;
use divex_core::testing::AgencyKeysExt;
use divex_core::testing::codec::{CodecError, Value};
use divex_core::testing::cose::{self, ProtectedHeader, label};
use divex_core::testing::envelope::SealOptions;
use divex_core::testing::envelope::{self, EnvelopeLimits, Layer, OpenError, OpenOptions};
use divex_fixtures::{SeenSet, World, agency, disclosure, rng};

/// A fresh certified world; every envelope is opened against its directory.
fn world() -> World {
    World::new()
}

const RECORD: &[u8] = b"attendance 2026-11-18: present, 2.0 hours group";

fn sealed(w: &World) -> Vec<u8> {
    sealed_with_head(w, None)
}

/// [`sealed`] in profile v2 when `head` is given (spec/envelope.md §15).
fn sealed_with_head(w: &World, head: Option<LedgerHead>) -> Vec<u8> {
    envelope::seal(
        w.key("treatment-provider"),
        &[
            w.key("superior-court").public().clone(),
            w.key("probation").public().clone(),
            w.key("district-attorney").public().clone(),
        ],
        &disclosure(RecordType::Attendance),
        RECORD,
        NOW,
        SealOptions {
            ledger_head: head,
            ..SealOptions::default()
        },
    )
    .map(|s| s.bytes)
    .unwrap()
}

fn open(w: &World, env: &[u8], me: &AgencyKeys) -> Result<envelope::Opened, OpenError> {
    envelope::open(env, me, &w.directory, NOW, &OpenOptions::default())
}

#[test]
fn genuine_envelope_opens_for_each_recipient_only() {
    let w = world();
    let env = sealed(&w);
    for me in [
        w.key("superior-court"),
        w.key("probation"),
        w.key("district-attorney"),
    ] {
        let o = open(&w, &env, me).unwrap();
        assert_eq!(o.payload, RECORD);
        assert_eq!(o.sender.agency_id, "treatment-provider");
        assert_eq!(o.metadata.audience.len(), 3);
    }
    assert!(matches!(
        open(&w, &env, w.key("lead-case-manager")),
        Err(OpenError::NotForMe { .. })
    ));
}

#[test]
fn every_single_bit_flip_is_refused_with_a_typed_error() {
    let w = world();
    // Both profiles: v1, and v2 with the sender's ledger head (spec/envelope.md §15).
    let head = LedgerHead {
        seq: 1_000,
        hash: [0x3c; 32],
    };
    for env in [sealed(&w), sealed_with_head(&w, Some(head))] {
        every_bit_flip_is_refused(&w, &env);
    }
}

fn every_bit_flip_is_refused(w: &World, env: &[u8]) {
    let mut classes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for byte in 0..env.len() {
        for bit in 0..8 {
            let mut t = env.to_vec();
            t[byte] ^= 1 << bit;
            for me in [
                w.key("superior-court"),
                w.key("probation"),
                w.key("district-attorney"),
            ] {
                match open(w, &t, me) {
                    Ok(_) => panic!("flipping bit {bit} of byte {byte} still opens"),
                    Err(e) => *classes.entry(e.class()).or_default() += 1,
                }
            }
        }
    }
    let total: usize = classes.values().sum();
    assert_eq!(total, env.len() * 8 * 3);
    // The flips land in every layer: codec, structure, key unwrap and content decryption.
    for class in ["malformed", "key_unwrap", "decrypt"] {
        assert!(
            classes.contains_key(class),
            "no flip produced {class}: {classes:?}"
        );
    }
    println!("{} bit flips x 3 recipients: {classes:?}", env.len() * 8);
}

#[test]
fn recipient_added_or_removed_fails_for_everyone() {
    let w = world();
    let env = sealed(&w);
    let da_kid = w.key("district-attorney").public().encryption().kid();
    let removed = rewrite(&env, |m| {
        m.recipients
            .retain(|r| r.kid() != Some(da_kid.as_bytes().as_slice()))
    });
    for me in [w.key("superior-court"), w.key("probation")] {
        assert_eq!(open(&w, &removed, me).unwrap_err(), OpenError::Decrypt);
    }
    let mut r = rng("attack-added");
    let extra =
        envelope::wrap_for(w.key("lead-case-manager").public(), &[7u8; 32], &mut r).unwrap();
    let added = rewrite(&env, |m| {
        m.recipients.push(extra);
        m.recipients.sort_by(|a, b| a.kid().cmp(&b.kid()));
    });
    for me in [
        w.key("superior-court"),
        w.key("probation"),
        w.key("district-attorney"),
    ] {
        assert_eq!(open(&w, &added, me).unwrap_err(), OpenError::Decrypt);
    }
    // The added agency holds a stanza, but not the real content key.
    assert!(matches!(
        open(&w, &added, w.key("lead-case-manager")).unwrap_err(),
        OpenError::KeyCommitment
    ));
}

#[test]
fn surreptitious_forwarding_is_detected() {
    let w = world();
    let env = sealed(&w);
    // Probation opens legitimately, then re-encrypts the provider's signed message to LEAD,
    // alone or added to the original audience.
    let signed = open(&w, &env, w.key("probation")).unwrap().signed;
    let mut r = rng("attack-forward");
    for audience in [
        vec![w.key("lead-case-manager")],
        vec![
            w.key("superior-court"),
            w.key("probation"),
            w.key("district-attorney"),
            w.key("lead-case-manager"),
        ],
    ] {
        let mut bundles: Vec<_> = audience.iter().map(|a| a.public().clone()).collect();
        bundles.sort_by_key(|b| b.encryption().kid());
        let mut cek = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut r, &mut cek);
        let kc = envelope::key_commitment(&cek);
        let stanzas = bundles
            .iter()
            .map(|b| envelope::wrap_for(b, &cek, &mut r).unwrap())
            .collect();
        let fwd = envelope::encrypt_layer(&signed, &cek, &kc, stanzas, &mut r).unwrap();
        assert_eq!(
            open(&w, &fwd, w.key("lead-case-manager")).unwrap_err(),
            OpenError::AudienceMismatch
        );
    }
}

#[test]
fn signature_stripped_or_replaced_is_refused() {
    let w = world();
    let mut r = rng("attack-signature");
    let three = [
        w.key("superior-court"),
        w.key("probation"),
        w.key("district-attorney"),
    ];
    for replace in [
        None,
        Some(w.key("district-attorney")),
        Some(w.key("lead-case-manager")),
    ] {
        let mut p = plan(w.key("treatment-provider"), &three, RECORD, NOW, &mut r);
        let v = divex_core::testing::codec::decode(&p.inner).unwrap();
        let mut s = cose::Sign1::from_value(&v, true, &Default::default()).unwrap();
        s.signature = match replace {
            None => Vec::new(),
            Some(other) => other.sign(&s.to_be_signed(&[])).to_vec(),
        };
        p.inner = s.to_bytes();
        let env = p.assemble(&mut r);
        assert_eq!(
            open(&w, &env, w.key("superior-court")).unwrap_err(),
            OpenError::BadSignature
        );
    }
    // A recipient that re-signs under its own kid is identified as the sender, never as the
    // provider.
    let mut p = plan(w.key("treatment-provider"), &three, RECORD, NOW, &mut r);
    p.resign(w.key("district-attorney"), RECORD);
    let env = p.assemble(&mut r);
    assert_eq!(
        open(&w, &env, w.key("superior-court"))
            .unwrap()
            .sender
            .agency_id,
        "district-attorney"
    );
}

#[test]
fn different_content_keys_per_recipient_are_caught_by_the_commitment() {
    let w = world();
    let mut r = rng("attack-split");
    let p = plan(
        w.key("treatment-provider"),
        &[
            w.key("superior-court"),
            w.key("probation"),
            w.key("district-attorney"),
        ],
        RECORD,
        NOW,
        &mut r,
    );
    let court_kid = w.key("superior-court").public().encryption().kid();
    let stanzas = p
        .recipients
        .iter()
        .map(|b| {
            let k = if b.encryption().kid() == court_kid {
                [3u8; 32]
            } else {
                p.cek
            };
            envelope::wrap_for(b, &k, &mut r).unwrap()
        })
        .collect();
    let env = envelope::encrypt_layer(&p.inner, &p.cek, &p.commitment, stanzas, &mut r).unwrap();
    assert_eq!(
        open(&w, &env, w.key("superior-court")).unwrap_err(),
        OpenError::KeyCommitment
    );
    assert_eq!(
        open(&w, &env, w.key("district-attorney")).unwrap().payload,
        RECORD
    );
}

#[test]
fn algorithm_ids_swapped_are_refused_in_every_layer() {
    let w = world();
    let env = sealed(&w);
    let content = rewrite(&env, |m| {
        m.protected =
            ProtectedHeader::new(with_label(m.protected.map(), label::ALG, Value::from(1u64)));
    });
    assert_eq!(
        open(&w, &content, w.key("superior-court")).unwrap_err(),
        OpenError::UnsupportedAlgorithm {
            layer: Layer::Content,
            alg: 1
        }
    );
    let recipient = rewrite(&env, |m| {
        for r in &mut m.recipients {
            r.protected = ProtectedHeader::new(with_label(
                r.protected.map(),
                label::ALG,
                Value::from(-29i64),
            ));
        }
    });
    assert_eq!(
        open(&w, &recipient, w.key("superior-court")).unwrap_err(),
        OpenError::UnsupportedAlgorithm {
            layer: Layer::Recipient,
            alg: -29
        }
    );
    let mut r = rng("attack-alg-inner");
    let mut p = plan(
        w.key("treatment-provider"),
        &[w.key("superior-court")],
        RECORD,
        NOW,
        &mut r,
    );
    let v = divex_core::testing::codec::decode(&p.inner).unwrap();
    let s = cose::Sign1::from_value(&v, true, &Default::default()).unwrap();
    let protected = ProtectedHeader::new(with_label(
        s.protected.map(),
        label::ALG,
        Value::from(-8i64),
    ));
    let signature = w
        .key("treatment-provider")
        .sign(&cose::sig_structure(protected.as_bytes(), &[], RECORD))
        .to_vec();
    p.inner = cose::Sign1 {
        protected,
        signature,
        ..s
    }
    .to_bytes();
    assert_eq!(
        open(&w, &p.assemble(&mut r), w.key("superior-court")).unwrap_err(),
        OpenError::UnsupportedAlgorithm {
            layer: Layer::Signed,
            alg: -8
        }
    );
}

#[test]
fn replayed_envelope_id_is_refused() {
    let w = world();
    let env = sealed(&w);
    let first = open(&w, &env, w.key("superior-court")).unwrap();
    let seen = SeenSet([first.metadata.envelope_id].into_iter().collect());
    let options = OpenOptions {
        seen: Some(&seen),
        ..OpenOptions::default()
    };
    assert_eq!(
        envelope::open(&env, w.key("superior-court"), &w.directory, NOW, &options).unwrap_err(),
        OpenError::Replay {
            envelope_id: first.metadata.envelope_id
        }
    );
    // Another recipient that has not seen it still opens it.
    let empty = SeenSet::default();
    let options = OpenOptions {
        seen: Some(&empty),
        ..OpenOptions::default()
    };
    assert!(envelope::open(&env, w.key("probation"), &w.directory, NOW, &options).is_ok());
}

#[test]
fn truncated_oversized_and_deeply_nested_input_is_refused() {
    let w = world();
    let env = sealed(&w);
    for len in 0..env.len() {
        assert!(
            open(&w, &env[..len], w.key("superior-court")).is_err(),
            "prefix of {len} bytes opened"
        );
    }
    assert!(matches!(
        open(&w, &env[..env.len() - 1], w.key("superior-court")).unwrap_err(),
        OpenError::Malformed {
            source: CodecError::Truncated { .. },
            ..
        }
    ));

    let big = vec![0u8; EnvelopeLimits::default().max_envelope_bytes + 1];
    assert!(matches!(
        open(&w, &big, w.key("superior-court")).unwrap_err(),
        OpenError::TooLarge { .. }
    ));
    let tight = OpenOptions {
        limits: EnvelopeLimits {
            max_envelope_bytes: env.len() - 1,
            ..EnvelopeLimits::default()
        },
        ..OpenOptions::default()
    };
    assert!(matches!(
        envelope::open(&env, w.key("superior-court"), &w.directory, NOW, &tight).unwrap_err(),
        OpenError::TooLarge { .. }
    ));
    // A recipient limit below the envelope's count.
    let two = OpenOptions {
        limits: EnvelopeLimits {
            max_recipients: 2,
            ..EnvelopeLimits::default()
        },
        ..OpenOptions::default()
    };
    assert_eq!(
        envelope::open(&env, w.key("superior-court"), &w.directory, NOW, &two).unwrap_err(),
        OpenError::TooManyRecipients { count: 3, limit: 2 }
    );

    // 100 000 nested arrays (or tags) would overflow a recursive decoder without a bound.
    for head in [0x81u8, 0xd8] {
        let mut deep = Vec::new();
        for _ in 0..100_000 {
            deep.push(head);
            if head == 0xd8 {
                deep.push(0x60);
            }
        }
        deep.push(0x00);
        assert!(matches!(
            open(&w, &deep, w.key("superior-court")).unwrap_err(),
            OpenError::Malformed {
                source: CodecError::DepthExceeded { .. },
                ..
            }
        ));
    }
}

#[test]
fn deterministic_agencies_differ() {
    assert_ne!(agency("a").public(), agency("b").public());
}
