//! Fixtures for the directory's unit tests: seeded keys, a hand-built certificate payload
//! (`CertificateWire`), and signing that bypasses the issuing checks so that each test can
//! present a hostile document to the parser.

#![allow(clippy::unwrap_used)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::codec::{self, Map, Value};
use crate::cose::{self, ProtectedHeader, Sign1, alg, label};
use crate::keys::{AgencyKeys, PublicBundle};

use super::certificate::CertificateWire;
use super::{AnchorKeys, Directory, Role, SERIAL_LEN, TYP_CERTIFICATE};

/// The time of every check.
pub(super) const NOW: u64 = 1_790_000_000;
/// One day, in seconds.
pub(super) const DAY: u64 = 86_400;

pub(super) fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

pub(super) fn anchor(seed: u8) -> AnchorKeys {
    AnchorKeys::generate_with_rng("Test County Justice IT", &mut rng(seed)).unwrap()
}

pub(super) fn agency(seed: u8) -> AgencyKeys {
    AgencyKeys::generate_with_rng(&mut rng(seed))
}

pub(super) fn wire(keys: &PublicBundle) -> CertificateWire {
    CertificateWire {
        serial: [9; SERIAL_LEN],
        agency_id: "county-court".into(),
        name: "County Court".into(),
        roles: vec![Role::Court],
        part2_program: false,
        signing_key: *keys.signing().as_bytes(),
        encryption_key: *keys.encryption().as_bytes(),
        not_before: NOW - DAY,
        not_after: NOW + DAY,
    }
}

/// Signs a payload that bypasses the issuing checks.
pub(super) fn sign_payload(a: &AnchorKeys, typ: &str, payload: Vec<u8>) -> Vec<u8> {
    a.sign_document(typ, payload)
}

pub(super) fn sign_wire(a: &AnchorKeys, w: &CertificateWire) -> Vec<u8> {
    sign_payload(a, TYP_CERTIFICATE, codec::to_vec(w).unwrap())
}

/// A COSE_Sign1 with an arbitrary protected and unprotected header, signed by `a`.
pub(super) fn sign_with_headers(
    a: &AnchorKeys,
    protected: Map,
    unprotected: Map,
    payload: &[u8],
) -> Vec<u8> {
    let protected = ProtectedHeader::new(protected);
    let signature = a
        .signature_over(&cose::sig_structure(protected.as_bytes(), &[], payload))
        .to_vec();
    Sign1 {
        protected,
        unprotected,
        payload: payload.to_vec(),
        signature,
    }
    .to_bytes()
}

pub(super) fn standard_protected(a: &AnchorKeys, typ: &str) -> Map {
    let mut m = Map::new();
    m.insert(Value::from(label::ALG), Value::from(alg::ED25519))
        .unwrap();
    m.insert(Value::from(label::KID), Value::bytes(a.kid().as_bytes()))
        .unwrap();
    m.insert(Value::from(label::TYP), Value::from(typ)).unwrap();
    m
}

pub(super) fn directory_with(a: &AnchorKeys) -> Directory {
    let mut d = Directory::new();
    d.add_anchor(a.public()).unwrap();
    d
}
