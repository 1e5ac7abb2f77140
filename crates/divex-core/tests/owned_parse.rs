//! The move-out parsers used on the open path (`Encrypt::from_owned_value`,
//! `Sign1::from_owned_value`) give exactly what the copying parsers give, success or error, on
//! genuine envelopes and on every single-bit flip of one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use divex_core::records::RecordType;
use divex_core::testing::codec::{self, DecodeLimits};
use divex_core::testing::cose::{Encrypt, Sign1};
use divex_core::testing::envelope;
use divex_core::testing::envelope::SealOptions;
use divex_fixtures::{Fleet, T0, disclosure};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn owned_parsers_equal_copying_parsers_under_every_bit_flip() {
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let Fleet {
        sender,
        bundles: recipients,
        ..
    } = Fleet::generate_with_rng(3, &mut rng);
    let disclosure = disclosure(RecordType::DrugTest);
    let sealed = envelope::seal(
        &sender,
        &recipients,
        &disclosure,
        b"payload",
        T0,
        SealOptions {
            rng: Some(&mut rng),
            ..SealOptions::default()
        },
    )
    .map(|s| s.bytes)
    .unwrap();
    let limits = DecodeLimits::DEFAULT;
    let mut compared = 0;
    for bit in 0..sealed.len() * 8 {
        let mut e = sealed.clone();
        e[bit / 8] ^= 1 << (bit % 8);
        let Ok(v) = codec::decode_with(&e, &limits) else {
            continue;
        };
        for tagged in [true, false] {
            assert_eq!(
                Encrypt::from_owned_value(v.clone(), tagged, &limits),
                Encrypt::from_value(&v, tagged, &limits),
                "bit {bit}, tagged {tagged}"
            );
            assert_eq!(
                Sign1::from_owned_value(v.clone(), tagged, &limits),
                Sign1::from_value(&v, tagged, &limits),
                "bit {bit}, tagged {tagged} (as a Sign1)"
            );
        }
        compared += 1;
    }
    assert!(compared > 1000);
    // Genuine messages re-encode byte-identically through the direct encoders.
    let v = codec::decode_with(&sealed, &limits).unwrap();
    let msg = Encrypt::from_owned_value(v, true, &limits).unwrap();
    assert_eq!(msg.to_bytes(), sealed);
    let metadata = envelope::Metadata {
        envelope_id: envelope::EnvelopeId([3; 16]),
        issued_at: T0,
        audience: recipients.iter().map(|b| b.encryption().kid()).collect(),
        disclosure,
        ledger_head: None,
    };
    let inner = envelope::sign_inner(&sender, &metadata, &[4; 32], b"payload");
    let v = codec::decode_with(&inner, &limits).unwrap();
    let owned = Sign1::from_owned_value(v.clone(), true, &limits).unwrap();
    assert_eq!(owned, Sign1::from_value(&v, true, &limits).unwrap());
    assert_eq!(owned.to_bytes(), inner);
    assert_eq!(owned.payload, b"payload");
}
