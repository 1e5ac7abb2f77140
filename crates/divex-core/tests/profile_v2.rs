//! Envelope profile v2 (spec/envelope.md §15): the sender's ledger head travels in the signed
//! inner header, the outer layer says so, a v1 reader refuses it before decryption, and a
//! sealer without a head still writes v1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use divex_core::envelope::{LedgerHead, Metadata};
use divex_core::error::Classified;
use divex_core::inspect::inspect;
use divex_core::records::RecordType;
use divex_core::testing::codec::{self, DecodeLimits, Value};
use divex_core::testing::cose::{Encrypt, Sign1};
use divex_core::testing::envelope::{
    self, Layer, MAX_LEDGER_SEQ, OpenError, OpenOptions, Profile, SealError, SealOptions, labels,
};
use divex_fixtures::{Fleet, T0, disclosure};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const HEAD: LedgerHead = LedgerHead {
    seq: 41,
    hash: [0x5a; 32],
};

fn seal(f: &Fleet, head: Option<LedgerHead>, seed: u8) -> Result<Vec<u8>, SealError> {
    let mut rng = ChaCha20Rng::from_seed([seed; 32]);
    envelope::seal(
        &f.sender,
        &f.bundles,
        &disclosure(RecordType::DrugTest),
        b"payload",
        T0,
        SealOptions {
            rng: Some(&mut rng),
            ledger_head: head,
            ..SealOptions::default()
        },
    )
    .map(|s| s.bytes)
}

fn open(f: &Fleet, bytes: &[u8], who: usize) -> Result<Metadata, OpenError> {
    envelope::open(
        bytes,
        &f.recipients[who],
        &f.resolver,
        T0,
        &OpenOptions::default(),
    )
    .map(|o| o.metadata)
}

/// The integer labels of layer 0's protected header.
fn outer_labels(bytes: &[u8]) -> Vec<i64> {
    let msg =
        Encrypt::from_value(&codec::decode(bytes).unwrap(), true, &DecodeLimits::DEFAULT).unwrap();
    msg.protected
        .map()
        .keys()
        .map(|k| k.as_i64().unwrap())
        .collect()
}

#[test]
fn a_ledger_head_is_sealed_as_v2_and_released_to_every_recipient() {
    let f = Fleet::generate_with_rng(3, &mut ChaCha20Rng::from_seed([1; 32]));
    let bytes = seal(&f, Some(HEAD), 2).unwrap();
    assert_eq!(
        outer_labels(&bytes),
        [1, labels::KEY_COMMITMENT, labels::PROFILE],
        "layer 0 carries the profile marker"
    );
    for who in 0..3 {
        let m = open(&f, &bytes, who).unwrap();
        assert_eq!(m.ledger_head, Some(HEAD));
    }
    // The signed inner header says profile 2 and carries the head as [seq, hash].
    let opened = envelope::open(
        &bytes,
        &f.recipients[0],
        &f.resolver,
        T0,
        &OpenOptions::default(),
    )
    .unwrap();
    let sign1 = Sign1::from_value(
        &codec::decode(&opened.signed).unwrap(),
        true,
        &DecodeLimits::DEFAULT,
    )
    .unwrap();
    let p = sign1.protected.map();
    assert_eq!(p.get_label(labels::PROFILE), Some(&Value::from(2u64)));
    assert_eq!(
        p.get_label(labels::LEDGER_HEAD),
        Some(&Value::Array(vec![
            Value::from(41u64),
            Value::bytes([0x5a; 32])
        ]))
    );
}

#[test]
fn without_a_head_the_sealer_writes_v1() {
    let f = Fleet::generate_with_rng(2, &mut ChaCha20Rng::from_seed([3; 32]));
    let bytes = seal(&f, None, 4).unwrap();
    assert_eq!(outer_labels(&bytes), [1, labels::KEY_COMMITMENT]);
    assert_eq!(open(&f, &bytes, 1).unwrap().ledger_head, None);
    assert_eq!(
        envelope::check_outer(&bytes, &[Profile::V1]),
        Ok(Profile::V1)
    );
}

/// spec/envelope.md §14: a v1 reader refuses a v2 envelope at §7 step 5, before any key is
/// used — `check_outer` takes no key at all.
#[test]
fn a_v1_reader_refuses_v2_before_decryption() {
    let f = Fleet::generate_with_rng(1, &mut ChaCha20Rng::from_seed([5; 32]));
    let bytes = seal(&f, Some(HEAD), 6).unwrap();
    let err = envelope::check_outer(&bytes, &[Profile::V1]).unwrap_err();
    assert_eq!(
        err,
        OpenError::UnexpectedHeader {
            layer: Layer::Content,
            label: "-65546".into()
        }
    );
    assert_eq!(err.class(), "unexpected_header");
    assert_eq!(
        envelope::check_outer(&bytes, &[Profile::V1, Profile::V2]),
        Ok(Profile::V2)
    );
    assert_eq!(
        envelope::check_outer(&bytes, Profile::READABLE),
        Ok(Profile::V2)
    );
}

#[test]
fn the_head_sequence_is_bounded_by_two_to_the_63_minus_one() {
    let f = Fleet::generate_with_rng(1, &mut ChaCha20Rng::from_seed([7; 32]));
    assert_eq!(MAX_LEDGER_SEQ, (1u64 << 63) - 1);
    let at_max = LedgerHead {
        seq: MAX_LEDGER_SEQ,
        hash: [1; 32],
    };
    let bytes = seal(&f, Some(at_max), 8).unwrap();
    assert_eq!(open(&f, &bytes, 0).unwrap().ledger_head, Some(at_max));
    let over = LedgerHead {
        seq: MAX_LEDGER_SEQ + 1,
        hash: [1; 32],
    };
    let err = seal(&f, Some(over), 8).unwrap_err();
    assert_eq!(err, SealError::LedgerHeadOutOfRange { seq: 1 << 63 });
    assert_eq!(err.class(), "ledger_head_out_of_range");
    // The empty ledger's head (sequence 0) is a head like any other.
    let empty = LedgerHead {
        seq: 0,
        hash: [9; 32],
    };
    let bytes = seal(&f, Some(empty), 9).unwrap();
    assert_eq!(open(&f, &bytes, 0).unwrap().ledger_head, Some(empty));
}

#[test]
fn open_many_releases_each_envelope_with_its_own_profile() {
    let f = Fleet::generate_with_rng(2, &mut ChaCha20Rng::from_seed([10; 32]));
    let v2 = seal(&f, Some(HEAD), 11).unwrap();
    let v1 = seal(&f, None, 12).unwrap();
    let results = envelope::open_many(
        &[&v2, &v1, &v2],
        &f.recipients[0],
        &f.resolver,
        T0,
        &OpenOptions::default(),
    );
    let heads: Vec<Option<LedgerHead>> = results
        .into_iter()
        .map(|r| r.unwrap().metadata.ledger_head)
        .collect();
    assert_eq!(heads, [Some(HEAD), None, Some(HEAD)]);
}

#[test]
fn inspect_names_the_profile() {
    let f = Fleet::generate_with_rng(1, &mut ChaCha20Rng::from_seed([13; 32]));
    let profile = |bytes: &[u8]| {
        inspect(bytes, None, T0)
            .unwrap()
            .summary
            .into_iter()
            .find(|(k, _)| k == "profile")
            .map(|(_, v)| v)
    };
    let v2 = seal(&f, Some(HEAD), 14).unwrap();
    let v1 = seal(&f, None, 14).unwrap();
    assert!(profile(&v2).unwrap().starts_with('2'), "{:?}", profile(&v2));
    assert!(profile(&v1).unwrap().starts_with('1'), "{:?}", profile(&v1));
    let diagnostic = inspect(&v2, None, T0).unwrap().diagnostic;
    assert!(
        diagnostic.contains("-65546: 2 / divex profile /"),
        "{diagnostic}"
    );
}
