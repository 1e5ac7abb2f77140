//! The agency directory (spec/directory.md) through its public API: issuing, verification,
//! validity in time, revocation, rotation, the bundle, and the refusals an operator can meet.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    missing_docs
)]

use divex_core::error::Classified;
use divex_core::keys::{AgencyKeys, KeyError, PublicBundle};
use divex_core::records::RecordType;
use divex_core::testing::codec::{self, Map, Value};
use divex_core::testing::cose::{self, ProtectedHeader, Sign1, alg, label};
use divex_core::testing::directory::{
    AgencyCertificate, AnchorKeys, CertificateRequest, CertificateRevocation, Directory,
    DirectoryError, MAX_CERTIFICATE_BYTES, MAX_DIRECTORY_BYTES, Role, Serial, TYP_CERTIFICATE,
    TYP_REVOCATION, TrustAnchor,
};
use divex_core::testing::envelope::{self, Disclosure, OpenError, ResolveError, SenderResolver};
use divex_core::testing::envelope::{OpenOptions, SealOptions};
use divex_core::testing::{
    AgencyCertificateExt, AgencyKeysExt, AnchorKeysExt, CertificateRevocationExt, DirectoryExt,
    PublicBundleExt, TrustAnchorExt,
};
use divex_fixtures::{DAY, T0 as NOW, agency, rng};
use ed25519_dalek::{Signer, SigningKey};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const YEAR: u64 = 365 * DAY;

/// The seeded anchor `name` (its own stream, so each test's anchors are the same every run).
fn anchor(name: &str) -> AnchorKeys {
    AnchorKeys::generate_with_rng(name, &mut rng(&format!("anchor {name}"))).unwrap()
}

fn request(agency_id: &str, roles: &[Role], keys: &PublicBundle) -> CertificateRequest {
    CertificateRequest {
        agency_id: agency_id.into(),
        name: format!("{agency_id} (test)"),
        roles: roles.to_vec(),
        part2_program: roles.contains(&Role::TreatmentProvider),
        keys: keys.clone(),
        not_before: NOW - DAY,
        not_after: NOW + YEAR,
    }
}

fn issue(
    a: &AnchorKeys,
    agency_id: &str,
    roles: &[Role],
    keys: &PublicBundle,
) -> AgencyCertificate {
    a.issue_with_rng(
        &request(agency_id, roles, keys),
        &mut rng(&format!("serial {agency_id} {:?}", keys.signing().kid())),
    )
    .unwrap()
}

fn directory(a: &AnchorKeys) -> Directory {
    let mut d = Directory::new();
    d.add_anchor(a.public()).unwrap();
    d
}

/// An attendance report's disclosure statement.
fn disclosure() -> Disclosure {
    divex_fixtures::disclosure(RecordType::Attendance)
}

/// A COSE_Sign1 `{1: -19, 4: kid, 16: typ}` over `payload` signed with `key` — what a forger
/// (or a careless anchor) can produce outside the issuing API.
fn forge(key: &SigningKey, kid: &[u8], typ: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = Map::new();
    m.insert(Value::from(label::ALG), Value::from(alg::ED25519))
        .unwrap();
    m.insert(Value::from(label::KID), Value::bytes(kid))
        .unwrap();
    m.insert(Value::from(label::TYP), Value::from(typ)).unwrap();
    let protected = ProtectedHeader::new(m);
    let signature = key
        .sign(&cose::sig_structure(protected.as_bytes(), &[], payload))
        .to_bytes()
        .to_vec();
    Sign1 {
        protected,
        unprotected: Map::new(),
        payload: payload.to_vec(),
        signature,
    }
    .to_bytes()
}

fn signing_key_of(a: &AnchorKeys) -> SigningKey {
    SigningKey::from_bytes(&a.expose_secret_bytes())
}

/// The payload of a signed certificate or revocation, as a map to edit.
fn payload_of(bytes: &[u8]) -> Vec<(Value, Value)> {
    let v = codec::decode(bytes).unwrap();
    let sign1 = Sign1::from_value(&v, true, &codec::DecodeLimits::DEFAULT).unwrap();
    codec::decode(&sign1.payload)
        .unwrap()
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn set(entries: &mut [(Value, Value)], field: &str, value: Value) {
    for (k, v) in entries.iter_mut() {
        if k.as_text() == Some(field) {
            *v = value.clone();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue, add, resolve

#[test]
fn issue_add_resolve_and_open_through_the_directory() {
    let a = anchor("county");
    let provider = agency("provider");
    let court = agency("court");
    let pc = issue(
        &a,
        "county-treatment",
        &[Role::TreatmentProvider],
        provider.public(),
    );
    let cc = issue(&a, "county-court", &[Role::Court], court.public());
    let mut d = directory(&a);
    d.add_certificate(pc.as_bytes()).unwrap();
    d.add_certificate(cc.as_bytes()).unwrap();
    // Idempotent.
    d.add_certificate(pc.as_bytes()).unwrap();
    assert_eq!(d.certificates().count(), 2);

    let sk = provider.public().signing().kid();
    let sender = d.resolve(&sk, NOW).unwrap();
    assert_eq!(sender.agency_id, "county-treatment");
    assert_eq!(&sender.key, provider.public().signing());
    let c = d.certificate_by_signing_kid(&sk, NOW).unwrap();
    assert_eq!(c, &pc);
    assert!(c.part2_program() && c.has_role(Role::TreatmentProvider) && !c.is_justice_monitor());
    assert_eq!(c.issuer(), a.kid());
    assert_eq!(
        d.certificate_by_encryption_kid(&court.public().encryption().kid(), NOW)
            .unwrap()
            .agency_id(),
        "county-court"
    );
    // Signing and encryption key ids are separate namespaces.
    assert_eq!(
        d.certificate_by_encryption_kid(&sk, NOW),
        Err(DirectoryError::UnknownKey { kid: sk })
    );
    assert_eq!(
        d.resolve(&agency("stranger").public().signing().kid(), NOW),
        Err(ResolveError::Unknown)
    );
    assert!(matches!(
        d.current_certificate("nobody", NOW),
        Err(DirectoryError::UnknownAgency { .. })
    ));

    // A whole exchange: the provider seals to the court's current keys, the court opens with
    // the directory as its sender resolver.
    let to = d.current_certificate("county-court", NOW).unwrap();
    assert!(to.is_justice_monitor());
    let sealed = envelope::seal(
        &provider,
        &[to.keys().clone()],
        &disclosure(),
        b"present",
        NOW,
        SealOptions::default(),
    )
    .map(|s| s.bytes)
    .unwrap();
    let opened = envelope::open(&sealed, &court, &d, NOW, &OpenOptions::default()).unwrap();
    assert_eq!(opened.sender.agency_id, "county-treatment");
    // An agency that is not in the directory is an unknown sender.
    let stranger = agency("stranger");
    let sealed = envelope::seal(
        &stranger,
        &[court.public().clone()],
        &disclosure(),
        b"x",
        NOW,
        SealOptions::default(),
    )
    .map(|s| s.bytes)
    .unwrap();
    assert!(matches!(
        envelope::open(&sealed, &court, &d, NOW, &OpenOptions::default()),
        Err(OpenError::UnknownSender { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Tampering and forgery

#[test]
fn every_bit_flip_of_a_certificate_is_refused() {
    let a = anchor("county");
    let k = agency("court");
    let cert = issue(&a, "county-court", &[Role::Court], k.public());
    let d = directory(&a);
    let bytes = cert.as_bytes();
    let mut classes = std::collections::BTreeMap::<&str, usize>::new();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut t = bytes.to_vec();
            t[i] ^= 1 << bit;
            let e = d
                .clone()
                .add_certificate(&t)
                .expect_err(&format!("byte {i} bit {bit} accepted"));
            *classes.entry(e.class()).or_default() += 1;
        }
    }
    // Alterations of the signed content are caught by the signature, not by luck of parsing.
    assert!(classes["bad_signature"] > bytes.len(), "{classes:?}");
    // Truncations and extensions too.
    for n in 0..bytes.len() {
        assert!(
            d.clone().add_certificate(&bytes[..n]).is_err(),
            "prefix {n}"
        );
    }
    assert!(d.clone().add_certificate(&[bytes, &[0]].concat()).is_err());
}

#[test]
fn every_bit_flip_of_a_revocation_is_refused() {
    let a = anchor("county");
    let rev = a.revoke(Serial([3; 16]), NOW, "key_compromise").unwrap();
    let d = directory(&a);
    let bytes = rev.as_bytes();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut t = bytes.to_vec();
            t[i] ^= 1 << bit;
            assert!(d.clone().add_revocation(&t).is_err(), "byte {i} bit {bit}");
        }
    }
}

#[test]
fn certificate_from_an_unknown_anchor_is_refused() {
    let county = anchor("county");
    let rogue = anchor("rogue");
    let k = agency("court");
    let mut d = directory(&county);
    let by_rogue = issue(&rogue, "county-court", &[Role::Court], k.public());
    assert_eq!(
        d.add_certificate(by_rogue.as_bytes()),
        Err(DirectoryError::UnknownAnchor {
            what: "certificate",
            kid: rogue.kid()
        })
    );
    // The rogue claims to be the county anchor (its kid) but cannot sign as it.
    let payload = codec::encode(&Value::map(payload_of(by_rogue.as_bytes())).unwrap());
    let forged = forge(
        &signing_key_of(&rogue),
        county.kid().as_bytes(),
        TYP_CERTIFICATE,
        &payload,
    );
    assert_eq!(
        d.add_certificate(&forged),
        Err(DirectoryError::BadSignature {
            what: "certificate"
        })
    );
    // An agency's own signing key is not an anchor either.
    let self_signed = forge(
        &SigningKey::from_bytes(&k.expose_secret_bytes()[..32].try_into().unwrap()),
        k.public().signing().kid().as_bytes(),
        TYP_CERTIFICATE,
        &payload,
    );
    assert!(matches!(
        d.add_certificate(&self_signed),
        Err(DirectoryError::UnknownAnchor { .. })
    ));
    // `verify` on a parsed certificate says the same.
    assert!(matches!(
        by_rogue.verify(&county.public()),
        Err(DirectoryError::UnknownAnchor { .. })
    ));
    by_rogue.verify(&rogue.public()).unwrap();
    assert!(d.certificates().next().is_none());
    // A directory refuses to vouch for a certificate it did not accept.
    assert!(matches!(
        d.check(&by_rogue, NOW),
        Err(DirectoryError::UnknownAnchor { .. })
    ));
}

#[test]
fn weak_keys_in_a_signed_certificate_are_refused() {
    let a = anchor("county");
    let k = agency("court");
    let good = issue(&a, "county-court", &[Role::Court], k.public());
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let d = directory(&a);
    for (field, value, which, source) in [
        (
            "signing_key",
            identity,
            "signing key",
            KeyError::WeakSigningKey,
        ),
        (
            "encryption_key",
            [0u8; 32],
            "encryption key",
            KeyError::LowOrderEncryptionKey,
        ),
        (
            "encryption_key",
            identity,
            "encryption key",
            KeyError::LowOrderEncryptionKey,
        ),
    ] {
        let mut p = payload_of(good.as_bytes());
        set(&mut p, field, Value::bytes(value));
        let bytes = forge(
            &signing_key_of(&a),
            a.kid().as_bytes(),
            TYP_CERTIFICATE,
            &codec::encode(&Value::map(p).unwrap()),
        );
        assert_eq!(
            d.clone().add_certificate(&bytes),
            Err(DirectoryError::InvalidKey { which, source })
        );
        assert!(AgencyCertificate::from_bytes(&bytes).is_err());
    }
}

#[test]
fn revocation_by_a_non_anchor_is_refused() {
    let county = anchor("county");
    let rogue = anchor("rogue");
    let k = agency("court");
    let cert = issue(&county, "county-court", &[Role::Court], k.public());
    let mut d = directory(&county);
    d.add_certificate(cert.as_bytes()).unwrap();
    // Signed by an anchor this directory does not trust.
    let r = rogue.revoke(cert.serial(), NOW, "key_compromise").unwrap();
    assert_eq!(
        d.add_revocation(r.as_bytes()),
        Err(DirectoryError::UnknownAnchor {
            what: "revocation",
            kid: rogue.kid()
        })
    );
    // Claiming the county's kid without its key.
    let forged = forge(
        &signing_key_of(&rogue),
        county.kid().as_bytes(),
        TYP_REVOCATION,
        &codec::encode(&Value::map(payload_of(r.as_bytes())).unwrap()),
    );
    assert_eq!(
        d.add_revocation(&forged),
        Err(DirectoryError::BadSignature { what: "revocation" })
    );
    // A second trusted anchor cannot revoke the first one's certificates.
    d.add_anchor(rogue.public()).unwrap();
    d.add_revocation(r.as_bytes()).unwrap();
    d.certificate_by_signing_kid(&k.public().signing().kid(), NOW)
        .unwrap();
}

#[test]
fn typ_keeps_certificates_revocations_and_envelopes_apart() {
    let a = anchor("county");
    let k = agency("court");
    let cert = issue(&a, "county-court", &[Role::Court], k.public());
    let rev = a.revoke(cert.serial(), NOW, "superseded").unwrap();
    let mut d = directory(&a);
    assert_eq!(
        CertificateRevocation::from_bytes(cert.as_bytes()),
        Err(DirectoryError::WrongType {
            expected: "a certificate revocation",
            found: "an agency certificate"
        })
    );
    assert_eq!(
        d.add_revocation(cert.as_bytes()),
        Err(DirectoryError::WrongType {
            expected: "a certificate revocation",
            found: "an agency certificate"
        })
    );
    assert_eq!(
        AgencyCertificate::from_bytes(rev.as_bytes()),
        Err(DirectoryError::WrongType {
            expected: "an agency certificate",
            found: "a certificate revocation"
        })
    );
    assert!(matches!(
        d.add_certificate(rev.as_bytes()),
        Err(DirectoryError::WrongType { .. })
    ));
    // A revocation's payload re-signed as a certificate (same anchor, valid signature) is
    // still refused: its fields are not a certificate's.
    let p = codec::encode(&Value::map(payload_of(rev.as_bytes())).unwrap());
    let relabelled = forge(&signing_key_of(&a), a.kid().as_bytes(), TYP_CERTIFICATE, &p);
    assert!(matches!(
        d.add_certificate(&relabelled),
        Err(DirectoryError::Malformed { .. })
    ));

    // An envelope's signed inner message is not a certificate...
    let sender = agency("provider");
    let sealed = envelope::seal(
        &sender,
        &[k.public().clone()],
        &disclosure(),
        b"x",
        NOW,
        SealOptions::default(),
    )
    .map(|s| s.bytes)
    .unwrap();
    let mut senders = envelope::StaticResolver::new();
    senders.insert("provider", sender.public().signing().clone());
    let opened = envelope::open(&sealed, &k, &senders, NOW, &OpenOptions::default()).unwrap();
    assert!(matches!(
        AgencyCertificate::from_bytes(&opened.signed),
        Err(DirectoryError::WrongType {
            found: "an object of another type",
            ..
        })
    ));
    assert!(matches!(
        CertificateRevocation::from_bytes(&opened.signed),
        Err(DirectoryError::WrongType { .. })
    ));
    // ...and a certificate carried as an envelope's signed inner message is refused by `open`.
    let cek = [5u8; 32];
    let commitment = envelope::key_commitment(&cek);
    let stanza = envelope::wrap_for(k.public(), &cek, &mut rng("stanza")).unwrap();
    let smuggled = envelope::encrypt_layer(
        cert.as_bytes(),
        &cek,
        &commitment,
        vec![stanza],
        &mut rng("iv"),
    )
    .unwrap();
    let mut trusting = envelope::StaticResolver::new();
    trusting.insert("anchor", a.public().key().clone());
    let e = envelope::open(&smuggled, &k, &trusting, NOW, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            OpenError::UnexpectedHeader { .. }
                | OpenError::MissingHeader { .. }
                | OpenError::Structure { .. }
        ),
        "{e:?}"
    );

    // Nothing was added along the way.
    assert_eq!(d.certificates().count() + d.revocations().count(), 0);
    d.add_certificate(cert.as_bytes()).unwrap();
    d.add_revocation(rev.as_bytes()).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Validity in time

#[test]
fn validity_window_is_half_open() {
    let a = anchor("county");
    let k = agency("court");
    let cert = issue(&a, "county-court", &[Role::Court], k.public());
    let mut d = directory(&a);
    d.add_certificate(cert.as_bytes()).unwrap();
    let kid = k.public().signing().kid();
    let (nb, na) = (cert.not_before(), cert.not_after());
    assert_eq!((nb, na), (NOW - DAY, NOW + YEAR));
    d.resolve(&kid, nb).unwrap();
    d.resolve(&kid, na - 1).unwrap();
    assert_eq!(
        d.certificate_by_signing_kid(&kid, nb - 1),
        Err(DirectoryError::NotYetValid {
            agency_id: "county-court".into(),
            serial: cert.serial(),
            not_before: nb
        })
    );
    assert_eq!(
        d.certificate_by_signing_kid(&kid, na),
        Err(DirectoryError::Expired {
            agency_id: "county-court".into(),
            serial: cert.serial(),
            not_after: na
        })
    );
    assert!(matches!(
        d.current_certificate("county-court", na),
        Err(DirectoryError::Expired { .. })
    ));
    // The resolver explains itself to the operator.
    let Err(ResolveError::NotTrusted(why)) = d.resolve(&kid, na) else {
        panic!()
    };
    assert!(
        why.contains("expired at") && why.contains(&na.to_string()),
        "{why}"
    );
    let Err(ResolveError::NotTrusted(why)) = d.resolve(&kid, nb - 1) else {
        panic!()
    };
    assert!(why.contains("not valid until"), "{why}");

    // `open` refuses an envelope whose signer's certificate has expired by the time it is
    // opened.
    let court = agency("receiver");
    let sealed = envelope::seal(
        &k,
        &[court.public().clone()],
        &disclosure(),
        b"x",
        na - 10,
        SealOptions::default(),
    )
    .map(|s| s.bytes)
    .unwrap();
    envelope::open(&sealed, &court, &d, na - 1, &OpenOptions::default()).unwrap();
    assert!(matches!(
        envelope::open(&sealed, &court, &d, na, &OpenOptions::default()),
        Err(OpenError::UntrustedSender { .. })
    ));
    // An expired certificate can still be added (and listed).
    let mut fresh = directory(&a);
    fresh.add_certificate(cert.as_bytes()).unwrap();
    assert_eq!(fresh.certificates_for("county-court").count(), 1);
}

#[test]
fn revocation_is_effective_from_revoked_at() {
    let a = anchor("county");
    let k = agency("court");
    let cert = issue(&a, "county-court", &[Role::Court], k.public());
    let t = NOW + 10 * DAY;
    let rev = a.revoke(cert.serial(), t, "key_compromise").unwrap();
    assert_eq!(
        (rev.serial(), rev.revoked_at(), rev.reason(), rev.issuer()),
        (cert.serial(), t, "key_compromise", a.kid())
    );
    let kid = k.public().signing().kid();
    // Revocation before the certificate, and the reverse, give the same directory.
    let mut d1 = directory(&a);
    d1.add_revocation(rev.as_bytes()).unwrap();
    d1.add_certificate(cert.as_bytes()).unwrap();
    let mut d2 = directory(&a);
    d2.add_certificate(cert.as_bytes()).unwrap();
    d2.add_revocation(rev.as_bytes()).unwrap();
    d2.add_revocation(rev.as_bytes()).unwrap();
    assert_eq!(d1.to_bytes(), d2.to_bytes());
    for d in [&d1, &d2] {
        d.resolve(&kid, t - 1).unwrap();
        assert_eq!(
            d.certificate_by_signing_kid(&kid, t),
            Err(DirectoryError::Revoked {
                agency_id: "county-court".into(),
                serial: cert.serial(),
                revoked_at: t,
                reason: "key_compromise".into()
            })
        );
        let Err(ResolveError::NotTrusted(why)) = d.resolve(&kid, t + 1) else {
            panic!()
        };
        assert!(
            why.contains("revoked at") && why.contains("key_compromise"),
            "{why}"
        );
        assert!(matches!(
            d.current_certificate("county-court", t),
            Err(DirectoryError::Revoked { .. })
        ));
        assert!(matches!(
            d.certificate_by_encryption_kid(&k.public().encryption().kid(), t),
            Err(DirectoryError::Revoked { .. })
        ));
        assert_eq!(d.revocations_of(&cert).count(), 1);
    }
    // A backdated second revocation takes effect from its own, earlier, time.
    let earlier = a.revoke(cert.serial(), NOW, "unspecified").unwrap();
    d1.add_revocation(earlier.as_bytes()).unwrap();
    assert!(matches!(
        d1.certificate_by_signing_kid(&kid, NOW),
        Err(DirectoryError::Revoked {
            revoked_at: NOW,
            ..
        })
    ));
    d1.resolve(&kid, NOW - 1).unwrap();
    // A revocation of another serial changes nothing.
    let mut d3 = directory(&a);
    d3.add_certificate(cert.as_bytes()).unwrap();
    d3.add_revocation(
        a.revoke(Serial([0; 16]), 0, "superseded")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    d3.resolve(&kid, NOW).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Rotation

#[test]
fn key_rotation_keeps_old_certificates_until_they_end() {
    let a = anchor("county");
    let old = agency("probation 2026");
    let new = agency("probation 2027");
    let old_cert = a
        .issue_with_rng(
            &CertificateRequest {
                not_before: NOW - 100 * DAY,
                not_after: NOW + 30 * DAY,
                ..request("county-probation", &[Role::Probation], old.public())
            },
            &mut rng("old serial"),
        )
        .unwrap();
    let rotated_at = NOW - DAY;
    let new_cert = a
        .issue_with_rng(
            &CertificateRequest {
                not_before: rotated_at,
                not_after: rotated_at + YEAR,
                ..request("county-probation", &[Role::Probation], new.public())
            },
            &mut rng("new serial"),
        )
        .unwrap();
    let mut d = directory(&a);
    d.add_certificate(new_cert.as_bytes()).unwrap();
    d.add_certificate(old_cert.as_bytes()).unwrap();
    let (ok, nk) = (old.public().signing().kid(), new.public().signing().kid());

    // Before the rotation only the old key exists.
    assert_eq!(
        d.current_certificate("county-probation", rotated_at - 1)
            .unwrap(),
        &old_cert
    );
    assert!(d.resolve(&nk, rotated_at - 1).is_err());
    // After it both resolve to the same agency; sealing uses the new keys.
    for kid in [ok, nk] {
        assert_eq!(d.resolve(&kid, NOW).unwrap().agency_id, "county-probation");
    }
    assert_eq!(
        d.current_certificate("county-probation", NOW).unwrap(),
        &new_cert
    );
    let listed: Vec<_> = d.certificates_for("county-probation").collect();
    assert_eq!(listed, [&old_cert, &new_cert]);
    // Old envelopes still open with the old secret key; their old signatures still verify.
    let provider = agency("provider");
    let pc = issue(
        &a,
        "county-treatment",
        &[Role::TreatmentProvider],
        provider.public(),
    );
    d.add_certificate(pc.as_bytes()).unwrap();
    let to_old = envelope::seal(
        &provider,
        &[old.public().clone()],
        &disclosure(),
        b"x",
        NOW - 50 * DAY,
        SealOptions::default(),
    )
    .map(|s| s.bytes)
    .unwrap();
    assert_eq!(
        envelope::open(&to_old, &old, &d, NOW, &OpenOptions::default())
            .unwrap()
            .sender
            .agency_id,
        "county-treatment"
    );
    let from_old = envelope::seal(
        &old,
        &[provider.public().clone()],
        &disclosure(),
        b"y",
        NOW - 50 * DAY,
        SealOptions::default(),
    )
    .map(|s| s.bytes)
    .unwrap();
    assert_eq!(
        envelope::open(&from_old, &provider, &d, NOW, &OpenOptions::default())
            .unwrap()
            .sender
            .agency_id,
        "county-probation"
    );
    // Once the old certificate expires only the new key resolves.
    let later = NOW + 30 * DAY;
    assert!(matches!(
        d.certificate_by_signing_kid(&ok, later),
        Err(DirectoryError::Expired { .. })
    ));
    d.resolve(&nk, later).unwrap();
    assert_eq!(
        d.current_certificate("county-probation", later).unwrap(),
        &new_cert
    );
    // Revoking the new certificate falls back to the old one while it lasts.
    d.add_revocation(
        a.revoke(new_cert.serial(), NOW, "key_compromise")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        d.current_certificate("county-probation", NOW).unwrap(),
        &old_cert
    );
    assert!(matches!(
        d.current_certificate("county-probation", later),
        Err(DirectoryError::Revoked { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Consistency rules

#[test]
fn conflicting_certificates_are_refused() {
    let county = anchor("county");
    let state = anchor("state");
    let k = agency("court");
    let other = agency("other");
    let mut d = directory(&county);
    d.add_anchor(state.public()).unwrap();
    d.add_anchor(state.public()).unwrap();
    let cert = issue(&county, "county-court", &[Role::Court], k.public());
    d.add_certificate(cert.as_bytes()).unwrap();

    // The same keys certified for another agency.
    let stolen = issue(&county, "county-police", &[Role::Police], k.public());
    assert_eq!(
        d.add_certificate(stolen.as_bytes()),
        Err(DirectoryError::KeyInUse {
            kid: k.public().signing().kid(),
            agency_id: "county-court".into()
        })
    );
    // Only the encryption key reused.
    let half = PublicBundle::new(
        other.public().signing().clone(),
        k.public().encryption().clone(),
    );
    let stolen = issue(&county, "county-police", &[Role::Police], &half);
    assert_eq!(
        d.add_certificate(stolen.as_bytes()),
        Err(DirectoryError::KeyInUse {
            kid: k.public().encryption().kid(),
            agency_id: "county-court".into()
        })
    );
    // Another anchor certifying an agency id the first one already certified.
    let squat = issue(&state, "county-court", &[Role::Court], other.public());
    assert_eq!(
        d.add_certificate(squat.as_bytes()),
        Err(DirectoryError::AgencyConflict {
            agency_id: "county-court".into(),
            anchor: county.kid()
        })
    );
    // The same serial twice from one anchor.
    let r = request("county-da", &[Role::Prosecutor], other.public());
    let first = county.issue_with_rng(&r, &mut rng("same")).unwrap();
    let second = county
        .issue_with_rng(
            &CertificateRequest {
                name: "Renamed".into(),
                ..r
            },
            &mut rng("same"),
        )
        .unwrap();
    assert_eq!(first.serial(), second.serial());
    d.add_certificate(first.as_bytes()).unwrap();
    assert_eq!(
        d.add_certificate(second.as_bytes()),
        Err(DirectoryError::DuplicateSerial {
            serial: first.serial()
        })
    );
    // The same anchor key under another name.
    let renamed = TrustAnchor::new("Someone Else", county.public().key().clone()).unwrap();
    assert_eq!(
        d.add_anchor(renamed),
        Err(DirectoryError::DuplicateAnchor { kid: county.kid() })
    );
    assert_eq!(d.certificates().count(), 2);
}

// ---------------------------------------------------------------------------------------------
// The bundle

fn populated() -> (AnchorKeys, AnchorKeys, Directory) {
    let county = anchor("county");
    let state = anchor("state");
    let mut d = directory(&county);
    d.add_anchor(state.public()).unwrap();
    for (i, (id, role)) in [
        ("county-court", Role::Court),
        ("county-da", Role::Prosecutor),
        ("county-probation", Role::Probation),
        ("city-police", Role::Police),
        ("lead-program", Role::LeadCaseManager),
        ("county-treatment", Role::TreatmentProvider),
    ]
    .into_iter()
    .enumerate()
    {
        let a = if i % 2 == 0 { &county } else { &state };
        let c = issue(a, id, &[role], agency(id).public());
        d.add_certificate(c.as_bytes()).unwrap();
        if i == 3 {
            d.add_revocation(
                a.revoke(c.serial(), NOW + DAY, "cessation_of_operation")
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap();
        }
    }
    d.add_revocation(
        county
            .revoke(Serial([1; 16]), NOW, "superseded")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    (county, state, d)
}

#[test]
fn bundle_round_trip_is_byte_identical_and_order_independent() {
    let (county, _state, d) = populated();
    let bytes = d.to_bytes();
    let back = Directory::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.certificates().count(), 6);
    assert_eq!(back.revocations().count(), 2);
    assert_eq!(back.anchors().count(), 2);
    assert!(matches!(
        back.current_certificate("city-police", NOW + DAY),
        Err(DirectoryError::Revoked { .. })
    ));
    assert_eq!(
        back.current_certificate("county-court", NOW)
            .unwrap()
            .issuer(),
        county.kid()
    );
    // Built in the reverse order, the directory encodes identically.
    let mut rev = Directory::new();
    let anchors: Vec<_> = d.anchors().cloned().collect();
    for a in anchors.into_iter().rev() {
        rev.add_anchor(a).unwrap();
    }
    let certs: Vec<_> = d.certificates().map(|c| c.to_bytes()).collect();
    for c in certs.iter().rev() {
        rev.add_certificate(c).unwrap();
    }
    let revs: Vec<_> = d.revocations().map(|r| r.to_bytes()).collect();
    for r in revs.iter().rev() {
        rev.add_revocation(r).unwrap();
    }
    assert_eq!(rev.to_bytes(), bytes);
    // An empty directory round-trips too.
    let empty = Directory::new().to_bytes();
    assert_eq!(Directory::from_bytes(&empty).unwrap().to_bytes(), empty);
}

fn bundle_map(bytes: &[u8]) -> Vec<(Value, Value)> {
    codec::decode(bytes)
        .unwrap()
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn field<'a>(m: &'a mut [(Value, Value)], name: &str) -> &'a mut Vec<Value> {
    match m.iter_mut().find(|(k, _)| k.as_text() == Some(name)) {
        Some((_, Value::Array(a))) => a,
        _ => panic!("{name}"),
    }
}

#[test]
fn bundle_import_validates_everything() {
    let (_county, _state, d) = populated();
    let bytes = d.to_bytes();
    let edit = |f: &dyn Fn(&mut Vec<(Value, Value)>)| {
        let mut m = bundle_map(&bytes);
        f(&mut m);
        codec::encode(&Value::map(m).unwrap())
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "unsorted certificates",
            edit(&|m| field(m, "certificates").reverse()),
            "structure",
        ),
        (
            "duplicate certificate",
            edit(&|m| {
                let c = field(m, "certificates");
                let first = c[0].clone();
                c.insert(0, first);
            }),
            "structure",
        ),
        (
            "unsorted anchors",
            edit(&|m| field(m, "anchors").reverse()),
            "structure",
        ),
        (
            "anchor removed",
            edit(&|m| {
                field(m, "anchors").remove(0);
            }),
            "unknown_anchor",
        ),
        (
            "certificate altered",
            edit(&|m| {
                let c = field(m, "certificates");
                let Value::Bytes(b) = &mut c[0] else { panic!() };
                let n = b.len();
                b[n - 1] ^= 1;
                c.sort_by(|a, b| a.as_bytes().cmp(&b.as_bytes()));
            }),
            "bad_signature",
        ),
        (
            "revocation given as a certificate",
            edit(&|m| {
                let r = field(m, "revocations")[0].clone();
                let c = field(m, "certificates");
                c.push(r);
                c.sort_by(|a, b| a.as_bytes().cmp(&b.as_bytes()));
            }),
            "wrong_type",
        ),
        (
            "certificate not a byte string",
            edit(&|m| field(m, "certificates").push(Value::from(1u64))),
            "structure",
        ),
        (
            "unknown key",
            edit(&|m| m.push((Value::from("comment"), Value::from("x")))),
            "structure",
        ),
        (
            "other typ",
            edit(&|m| {
                for (k, v) in m.iter_mut() {
                    if k.as_text() == Some("typ") {
                        *v = Value::from("application/divex-certificate+cbor");
                    }
                }
            }),
            "wrong_type",
        ),
        (
            "trailing byte",
            [bytes.clone(), vec![0]].concat(),
            "malformed",
        ),
        (
            "a certificate",
            d.certificates().next().unwrap().to_bytes(),
            "wrong_type",
        ),
    ];
    for (what, b, class) in cases {
        let e = Directory::from_bytes(&b).expect_err(what);
        assert_eq!(e.class(), class, "{what}: {e}");
    }
    assert!(matches!(
        Directory::from_bytes(&vec![0u8; MAX_DIRECTORY_BYTES + 1]),
        Err(DirectoryError::TooLarge { .. })
    ));
}

#[test]
fn merge_requires_pinned_anchors_and_is_all_or_nothing() {
    let (county, state, d) = populated();
    let bytes = d.to_bytes();
    // Pinned to both anchors: the merge takes everything.
    let mut pinned = directory(&county);
    pinned.add_anchor(state.public()).unwrap();
    pinned.merge(&bytes).unwrap();
    assert_eq!(pinned.to_bytes(), bytes);
    pinned.merge(&bytes).unwrap();
    assert_eq!(pinned.to_bytes(), bytes);
    // Pinned to the county only: a bundle that brings another anchor is refused whole.
    let mut county_only = directory(&county);
    let before = county_only.to_bytes();
    assert_eq!(
        county_only.merge(&bytes),
        Err(DirectoryError::UnknownAnchor {
            what: "directory",
            kid: state.kid()
        })
    );
    assert_eq!(county_only.to_bytes(), before);
    // A bundle with one certificate that conflicts with what is already here changes nothing:
    // the county certified "county-da" locally, the bundle has the state's certificate for it.
    let mut local = directory(&county);
    local.add_anchor(state.public()).unwrap();
    let squatter = issue(
        &county,
        "county-da",
        &[Role::Prosecutor],
        agency("squatter").public(),
    );
    local.add_certificate(squatter.as_bytes()).unwrap();
    let before = local.to_bytes();
    let e = local.merge(&bytes).unwrap_err();
    assert!(matches!(e, DirectoryError::AgencyConflict { .. }), "{e:?}");
    assert_eq!(local.to_bytes(), before);
}

#[test]
fn bundle_anchors_are_configuration_not_signed_data() {
    // The bundle itself is not signed: renaming an anchor gives another valid bundle. This is
    // why `from_bytes` is for trusted files and `merge` for everything else (spec §5.2).
    let (_county, _state, d) = populated();
    let mut m = bundle_map(&d.to_bytes());
    let anchors = field(&mut m, "anchors");
    let Value::Map(first) = &anchors[0] else {
        panic!()
    };
    let key = first.get(&Value::from("key")).unwrap().clone();
    anchors[0] = Value::map([
        (Value::from("key"), key),
        (Value::from("name"), Value::from("Renamed")),
    ])
    .unwrap();
    let renamed = codec::encode(&Value::map(m).unwrap());
    let back = Directory::from_bytes(&renamed).unwrap();
    assert_eq!(back.to_bytes(), renamed);
    assert!(back.anchors().any(|a| a.name() == "Renamed"));
}

// ---------------------------------------------------------------------------------------------
// The spec's example (spec/directory.md Appendix A) is what this implementation produces.

#[test]
fn spec_appendix_example_is_reproduced() {
    let spec = include_str!("../../../spec/directory.md");
    let now = 1_790_000_000;
    let a = AnchorKeys::generate_with_rng(
        "Example County Justice IT",
        &mut ChaCha20Rng::from_seed([1; 32]),
    )
    .unwrap();
    let k = AgencyKeys::generate_with_rng(&mut ChaCha20Rng::from_seed([2; 32]));
    let cert = a
        .issue_with_rng(
            &CertificateRequest {
                agency_id: "county-drug-court".into(),
                name: "Example County Drug Court".into(),
                roles: vec![Role::Court],
                part2_program: false,
                keys: k.public().clone(),
                not_before: now,
                not_after: now + YEAR,
            },
            &mut ChaCha20Rng::from_seed([3; 32]),
        )
        .unwrap();
    let rev = a
        .revoke(cert.serial(), now + 100 * DAY, "key_compromise")
        .unwrap();
    let mut d = directory(&a);
    d.add_certificate(cert.as_bytes()).unwrap();
    d.add_revocation(rev.as_bytes()).unwrap();
    let signature = |b: &[u8]| hex::encode(&b[b.len() - 64..]);
    for needle in [
        a.kid().to_string(),
        hex::encode(a.public().key().as_bytes()),
        cert.serial().to_string(),
        hex::encode(k.public().signing().as_bytes()),
        hex::encode(k.public().encryption().as_bytes()),
        signature(cert.as_bytes()),
        signature(rev.as_bytes()),
        format!("certificate ({} bytes)", cert.as_bytes().len()),
        format!("({} bytes):", rev.as_bytes().len()),
        format!("revocation ({} bytes)", d.to_bytes().len()),
    ] {
        assert!(spec.contains(&needle), "spec/directory.md lacks {needle}");
    }
}

// ---------------------------------------------------------------------------------------------
// Size limits and hostile input

#[test]
fn oversized_inputs_are_refused_before_parsing() {
    let a = anchor("county");
    let mut d = directory(&a);
    let big = vec![0u8; MAX_CERTIFICATE_BYTES + 1];
    assert!(matches!(
        d.add_certificate(&big),
        Err(DirectoryError::TooLarge {
            what: "certificate",
            ..
        })
    ));
    assert!(matches!(
        d.add_revocation(&big[..1025]),
        Err(DirectoryError::TooLarge {
            what: "revocation",
            ..
        })
    ));
    // A certificate whose name makes it exceed 4 KiB cannot be issued (the name is capped),
    // and one forged past the cap is refused on size.
    let k = agency("court");
    let good = issue(&a, "county-court", &[Role::Court], k.public());
    let mut p = payload_of(good.as_bytes());
    set(&mut p, "name", Value::from("n".repeat(5000)));
    let forged = forge(
        &signing_key_of(&a),
        a.kid().as_bytes(),
        TYP_CERTIFICATE,
        &codec::encode(&Value::map(p).unwrap()),
    );
    assert!(matches!(
        d.add_certificate(&forged),
        Err(DirectoryError::TooLarge { .. })
    ));
}

#[test]
fn error_messages_are_for_operators() {
    let e = DirectoryError::Revoked {
        agency_id: "county-court".into(),
        serial: Serial([0xab; 16]),
        revoked_at: NOW,
        reason: "key_compromise".into(),
    };
    assert_eq!(
        e.to_string(),
        "the certificate of agency 'county-court' (serial abababababababababababababababab) \
         was revoked at 1790000000 (Unix time), reason: key_compromise"
    );
    assert_eq!(e.class(), "revoked");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes never panic any parser.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = AgencyCertificate::from_bytes(&bytes);
        let _ = CertificateRevocation::from_bytes(&bytes);
        let _ = TrustAnchor::from_bytes(&bytes);
        let _ = Directory::from_bytes(&bytes);
        let _ = directory(&anchor("county")).add_certificate(&bytes);
    }

    /// A mutated bundle is refused or, if accepted, re-encodes to exactly the same bytes.
    #[test]
    fn mutated_bundle_is_refused_or_canonical(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<Option<usize>>(),
    ) {
        let (_c, _s, d) = populated();
        let mut b = d.to_bytes();
        for (i, x) in edits {
            let n = b.len();
            b[i % n] ^= x.max(1);
        }
        if let Some(c) = cut {
            b.truncate(c % (b.len() + 1));
        }
        if let Ok(back) = Directory::from_bytes(&b) {
            prop_assert_eq!(back.to_bytes(), b);
        }
    }
}
