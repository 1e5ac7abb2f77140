//! Signed directory snapshots (spec/directory.md §5.4): an anchor's certificates and
//! revocations as a `COSE_Sign1` by that anchor, with a sequence number and an expiry (the TUF
//! snapshot/timestamp idea). [`AnchorKeys::publish`] signs one; [`Directory::merge`] and
//! [`Directory::from_bytes`] read one (through `bundle`), refuse one older than the snapshot of
//! the same anchor already imported, and record the newest as a [`DirectorySnapshot`];
//! [`Directory::check_fresh`] says whether it has expired.

use sha2::{Digest, Sha256};

use crate::codec::{self, Value};
use crate::keys::KeyId;

use super::bundle::{BUNDLE_LIMITS, Bundle, encode_bundle};
use super::signed::{DocumentKind, Signed, SignedDocument};
use super::{
    AgencyCertificate, AnchorKeys, CertificateRevocation, Directory, DirectoryError,
    MAX_DIRECTORY_BYTES, MAX_SNAPSHOT_LIFETIME, TYP_DIRECTORY, TYP_SNAPSHOT, TrustAnchor,
};

/// How errors name a snapshot.
const WHAT_SNAPSHOT: &str = "directory snapshot";

/// A snapshot as a signed document: at most [`MAX_DIRECTORY_BYTES`], like a bundle.
pub(super) const SNAPSHOT_KIND: DocumentKind = DocumentKind {
    what: WHAT_SNAPSHOT,
    typ: TYP_SNAPSHOT,
    max: MAX_DIRECTORY_BYTES,
};

const ONE_ANCHOR: &str = "its \"anchors\" must be exactly the anchor that signed it";
const OWN_ITEMS: &str = "it may carry only its own anchor's certificates and revocations";
const LIFETIME: &str = "\"expires\" must be after \"signed_at\" and at most 31 days after it";

/// What a directory records of the latest signed snapshot it imported from one anchor
/// (spec/directory.md §5.4): the anchor's high-water sequence and the snapshot's expiry.
///
/// A directory's bundle encoding does not carry it (a record kept inside `directory.cbor`
/// would be rolled back with it): an importer keeps the latest snapshot of each anchor beside
/// its directory, and merges it again after loading the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectorySnapshot {
    /// Key id of the anchor that signed it.
    pub anchor: KeyId,
    /// Its sequence number: the anchor increases it with every snapshot it publishes.
    pub sequence: u64,
    /// When the anchor signed it (Unix time).
    pub signed_at: u64,
    /// When it expires (Unix time, exclusive): from then on the directory is stale for this
    /// anchor ([`Directory::check_fresh`]).
    pub expires: u64,
    /// SHA-256 of the snapshot's bytes: a snapshot with this sequence is accepted again only
    /// with identical bytes.
    pub digest: [u8; 32],
}

/// A snapshot's payload (spec/directory.md §5.4): a bundle with three numbers, not yet applied.
pub(super) struct Snapshot {
    bundle: Bundle,
    sequence: u64,
    signed_at: u64,
    expires: u64,
}

impl Snapshot {
    /// The payload: strict CBOR under the bundle limits, exactly the seven keys, then the
    /// bundle's arrays, anchors and items (§5.3 steps 4-7).
    fn parse(payload: &[u8]) -> Result<Snapshot, DirectoryError> {
        let structure = |reason| DirectoryError::Structure {
            what: WHAT_SNAPSHOT,
            reason,
        };
        let v = codec::decode_with(payload, &BUNDLE_LIMITS).map_err(|source| {
            DirectoryError::Malformed {
                what: WHAT_SNAPSHOT,
                source,
            }
        })?;
        let m = v.as_map().ok_or(structure("the payload must be a map"))?;
        let typ = m.get(&Value::from("typ")).and_then(Value::as_text);
        if m.len() != 7 || typ != Some(TYP_DIRECTORY) {
            return Err(structure(
                "the payload must be a directory bundle with exactly the keys \"typ\", \
                 \"anchors\", \"certificates\", \"revocations\", \"sequence\", \"signed_at\" \
                 and \"expires\"",
            ));
        }
        let number = |k: &str| {
            m.get(&Value::from(k))
                .and_then(Value::as_u64)
                .ok_or(structure(
                    "\"sequence\", \"signed_at\" and \"expires\" must be unsigned integers",
                ))
        };
        let (sequence, signed_at, expires) = (
            number("sequence")?,
            number("signed_at")?,
            number("expires")?,
        );
        Ok(Snapshot {
            bundle: Bundle::from_map(m, WHAT_SNAPSHOT)?,
            sequence,
            signed_at,
            expires,
        })
    }

    /// The snapshot's one anchor, which must have the signer's key.
    fn anchor(&self, signer: &KeyId) -> Result<&TrustAnchor, DirectoryError> {
        match self.bundle.anchors.as_slice() {
            [a] if a.kid() == *signer => Ok(a),
            _ => Err(DirectoryError::InvalidSnapshot(ONE_ANCHOR)),
        }
    }

    /// Imports `bytes` as configuration ([`Directory::from_bytes`]): the payload is read first,
    /// since the signer's key is its one anchor; then the signature, then the rest.
    pub(super) fn configure(
        bytes: &[u8],
        doc: &SignedDocument,
        payload: &[u8],
    ) -> Result<Directory, DirectoryError> {
        let snapshot = Snapshot::parse(payload)?;
        let anchor = snapshot.anchor(&doc.issuer)?.clone();
        doc.verify(&anchor, WHAT_SNAPSHOT)?;
        let mut d = Directory::new();
        d.add_anchor(anchor)?;
        snapshot.apply(&mut d, bytes, doc.issuer)?;
        Ok(d)
    }

    /// Imports `bytes` as an update ([`Directory::merge`]) into `d`, which the caller replaces
    /// only on success: the signer must be pinned and its signature verify before the payload
    /// is read.
    pub(super) fn update(
        d: &mut Directory,
        bytes: &[u8],
        doc: &SignedDocument,
        payload: &[u8],
    ) -> Result<(), DirectoryError> {
        let anchor = d
            .anchor_map()
            .get(&doc.issuer)
            .ok_or(DirectoryError::UnknownAnchor {
                what: WHAT_SNAPSHOT,
                kid: doc.issuer,
            })?;
        doc.verify(anchor, WHAT_SNAPSHOT)?;
        let snapshot = Snapshot::parse(payload)?;
        snapshot.anchor(&doc.issuer)?;
        snapshot.apply(d, bytes, doc.issuer)
    }

    /// The rules after the signature: lifetime, sequence against what `d` recorded, then each
    /// revocation and certificate verified, issued by `signer` and added; finally the record.
    fn apply(self, d: &mut Directory, bytes: &[u8], signer: KeyId) -> Result<(), DirectoryError> {
        check_lifetime(self.signed_at, self.expires)?;
        let record = DirectorySnapshot {
            anchor: signer,
            sequence: self.sequence,
            signed_at: self.signed_at,
            expires: self.expires,
            digest: Sha256::digest(bytes).into(),
        };
        check_sequence(
            d.snapshot_of(&signer),
            signer,
            self.sequence,
            Some(&record.digest),
        )?;
        for r in &self.bundle.revocations {
            let rev = CertificateRevocation::parse_verified(r, d.anchor_map())?;
            if rev.issuer() != signer {
                return Err(DirectoryError::InvalidSnapshot(OWN_ITEMS));
            }
            d.insert_revocation(rev)?;
        }
        for c in &self.bundle.certificates {
            let cert = AgencyCertificate::parse_verified(c, d.anchor_map())?;
            if cert.issuer() != signer {
                return Err(DirectoryError::InvalidSnapshot(OWN_ITEMS));
            }
            d.insert_certificate(cert)?;
        }
        d.record_snapshot(record);
        Ok(())
    }
}

/// `signed_at < expires <= signed_at + 31 days`.
fn check_lifetime(signed_at: u64, expires: u64) -> Result<(), DirectoryError> {
    if expires <= signed_at || expires - signed_at > MAX_SNAPSHOT_LIFETIME {
        return Err(DirectoryError::InvalidSnapshot(LIFETIME));
    }
    Ok(())
}

/// A snapshot of `anchor` with `sequence` (and `digest`, when it exists already) against the
/// one `recorded`: lower is stale, equal needs identical bytes.
fn check_sequence(
    recorded: Option<&DirectorySnapshot>,
    anchor: KeyId,
    sequence: u64,
    digest: Option<&[u8; 32]>,
) -> Result<(), DirectoryError> {
    match recorded {
        Some(r) if sequence < r.sequence => Err(DirectoryError::StaleBundle {
            anchor,
            sequence,
            recorded: r.sequence,
        }),
        Some(r) if sequence == r.sequence && digest != Some(&r.digest) => {
            Err(DirectoryError::SequenceReused { anchor, sequence })
        }
        _ => Ok(()),
    }
}

impl AnchorKeys {
    /// Publishes this anchor's part of `directory` as a signed snapshot (spec/directory.md
    /// §5.4): a `COSE_Sign1` whose payload is the bundle of this anchor alone with the
    /// certificates and revocations it issued that `directory` holds, plus `sequence`,
    /// `signed_at` and `expires`.
    ///
    /// `sequence` must be higher than that of the snapshot of this anchor `directory` recorded
    /// ([`DirectoryError::StaleBundle`], [`DirectoryError::SequenceReused`]): importers refuse
    /// anything else. `expires` must be after `signed_at` and at most 31 days after it
    /// ([`DirectoryError::InvalidSnapshot`]); publish again before it passes, or every
    /// importer's directory goes stale.
    pub fn publish(
        &self,
        directory: &Directory,
        sequence: u64,
        signed_at: u64,
        expires: u64,
    ) -> Result<Vec<u8>, DirectoryError> {
        check_lifetime(signed_at, expires)?;
        let kid = self.public().kid();
        check_sequence(directory.snapshot_of(&kid), kid, sequence, None)?;
        let me = self.public();
        let payload = encode_bundle(
            std::iter::once(&me),
            directory
                .certificates()
                .filter(|c| c.issuer() == kid)
                .map(AgencyCertificate::as_bytes),
            directory
                .revocations()
                .filter(|r| r.issuer() == kid)
                .map(CertificateRevocation::as_bytes),
            [
                ("sequence", Value::from(sequence)),
                ("signed_at", Value::from(signed_at)),
                ("expires", Value::from(expires)),
            ],
        );
        let bytes = self.sign_document(TYP_SNAPSHOT, payload);
        if bytes.len() > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::Full {
                what: WHAT_SNAPSHOT,
                limit: "4 MiB",
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    //! The rules of spec/directory.md §5.4, each on the smallest directory that shows it.

    use super::*;
    use crate::directory::testkit::*;
    use crate::directory::{SERIAL_LEN, Serial, TYP_CERTIFICATE};
    use crate::error::Classified;

    /// A directory of anchor `a` with one certificate (serial 9) for agency `seed`.
    fn issued(a: &AnchorKeys, seed: u8) -> Directory {
        let mut d = directory_with(a);
        d.add_certificate(&sign_wire(a, &wire(agency(seed).public())))
            .unwrap();
        d
    }

    fn revoke_nine(a: &AnchorKeys, d: &mut Directory) {
        let r = a
            .revoke(Serial([9; SERIAL_LEN]), NOW, "key_compromise")
            .unwrap();
        d.add_revocation(r.as_bytes()).unwrap();
    }

    /// A snapshot payload with any anchors, items and numbers, signed by `a` under `typ`.
    fn hand_signed(
        a: &AnchorKeys,
        typ: &str,
        anchors: &[TrustAnchor],
        certificates: &[&[u8]],
        numbers: (u64, u64, u64),
    ) -> Vec<u8> {
        let (sequence, signed_at, expires) = numbers;
        let payload = encode_bundle(
            anchors.iter(),
            certificates.iter().copied(),
            std::iter::empty(),
            [
                ("sequence", Value::from(sequence)),
                ("signed_at", Value::from(signed_at)),
                ("expires", Value::from(expires)),
            ],
        );
        sign_payload(a, typ, payload)
    }

    #[test]
    fn a_merged_snapshot_is_recorded_and_expires() {
        let a = anchor(1);
        let source = issued(&a, 2);
        let snap = a.publish(&source, 1, NOW, NOW + 7 * DAY).unwrap();
        let mut d = directory_with(&a);
        d.merge(&snap).unwrap();
        assert_eq!(d.certificates().count(), 1);
        let recorded: Vec<_> = d.snapshots().copied().collect();
        assert_eq!(
            recorded,
            [DirectorySnapshot {
                anchor: a.kid(),
                sequence: 1,
                signed_at: NOW,
                expires: NOW + 7 * DAY,
                digest: Sha256::digest(&snap).into(),
            }]
        );
        // Fresh until it expires (exclusive), stale from then on; an anchor without a
        // snapshot is never fresh.
        assert_eq!(d.check_fresh(&a.kid(), NOW + 7 * DAY - 1), Ok(()));
        assert_eq!(
            d.check_fresh(&a.kid(), NOW + 7 * DAY),
            Err(DirectoryError::BundleExpired {
                anchor: a.kid(),
                expired_at: Some(NOW + 7 * DAY),
            })
        );
        let b = anchor(3);
        assert_eq!(
            d.check_fresh(&b.kid(), NOW),
            Err(DirectoryError::BundleExpired {
                anchor: b.kid(),
                expired_at: None,
            })
        );
        assert!(
            d.check_fresh(&b.kid(), NOW)
                .unwrap_err()
                .to_string()
                .contains("no signed")
        );
        // As configuration, the snapshot pins its own anchor and is recorded too; the bundle
        // encoding does not carry the record.
        let configured = Directory::from_bytes(&snap).unwrap();
        assert_eq!(
            configured.anchors().cloned().collect::<Vec<_>>(),
            [a.public()]
        );
        assert_eq!(configured.snapshots().count(), 1);
        assert_eq!(configured.to_bytes(), d.to_bytes());
        assert_eq!(
            Directory::from_bytes(&d.to_bytes())
                .unwrap()
                .snapshots()
                .count(),
            0
        );
    }

    #[test]
    fn an_older_snapshot_is_stale_and_a_sequence_is_used_once() {
        let a = anchor(1);
        let mut source = issued(&a, 2);
        let first = a.publish(&source, 1, NOW, NOW + DAY).unwrap();
        revoke_nine(&a, &mut source);
        let second = a.publish(&source, 2, NOW + 10, NOW + DAY).unwrap();
        let mut d = directory_with(&a);
        d.merge(&second).unwrap();
        let before = d.to_bytes();
        assert_eq!(
            d.merge(&first),
            Err(DirectoryError::StaleBundle {
                anchor: a.kid(),
                sequence: 1,
                recorded: 2,
            })
        );
        // The same snapshot again is accepted; another one with its sequence is not.
        d.merge(&second).unwrap();
        let other = a.publish(&source, 2, NOW + 20, NOW + DAY).unwrap();
        assert_eq!(
            d.merge(&other),
            Err(DirectoryError::SequenceReused {
                anchor: a.kid(),
                sequence: 2,
            })
        );
        assert_eq!(d.to_bytes(), before);
        assert_eq!(d.snapshots().next().unwrap().sequence, 2);
        // The anchor itself refuses to publish what importers would refuse.
        assert_eq!(
            a.publish(&d, 2, NOW + 30, NOW + DAY),
            Err(DirectoryError::SequenceReused {
                anchor: a.kid(),
                sequence: 2,
            })
        );
        assert!(matches!(
            a.publish(&d, 1, NOW + 30, NOW + DAY),
            Err(DirectoryError::StaleBundle { .. })
        ));
        assert!(a.publish(&d, 3, NOW + 30, NOW + DAY).is_ok());
    }

    #[test]
    fn the_held_snapshot_restores_what_an_old_bundle_lost() {
        let a = anchor(1);
        let mut source = issued(&a, 2);
        let old_bundle = source.to_bytes();
        revoke_nine(&a, &mut source);
        let held = a.publish(&source, 1, NOW, NOW + DAY).unwrap();
        // An old bundle alone has no revocation; merged with the held snapshot it has.
        let mut d = Directory::from_bytes(&old_bundle).unwrap();
        assert_eq!(d.revocations().count(), 0);
        d.merge(&held).unwrap();
        let cert = d.certificates().next().unwrap().clone();
        assert!(matches!(
            d.check(&cert, NOW),
            Err(DirectoryError::Revoked { .. })
        ));
        // An unsigned bundle merges and leaves the record as it was.
        d.merge(&old_bundle).unwrap();
        assert_eq!(d.snapshots().next().unwrap().sequence, 1);
    }

    #[test]
    fn lifetime_is_at_most_31_days() {
        let a = anchor(1);
        let d = issued(&a, 2);
        assert!(a.publish(&d, 1, NOW, NOW + MAX_SNAPSHOT_LIFETIME).is_ok());
        for expires in [NOW, NOW - 1, NOW + MAX_SNAPSHOT_LIFETIME + 1] {
            assert_eq!(
                a.publish(&d, 1, NOW, expires),
                Err(DirectoryError::InvalidSnapshot(LIFETIME))
            );
        }
        // A snapshot signed without the publisher's check is refused on import.
        let cert = d.certificates().next().unwrap().as_bytes().to_vec();
        let long = hand_signed(
            &a,
            TYP_SNAPSHOT,
            &[a.public()],
            &[&cert],
            (1, NOW, NOW + 365 * DAY),
        );
        assert_eq!(
            directory_with(&a).merge(&long),
            Err(DirectoryError::InvalidSnapshot(LIFETIME))
        );
        assert_eq!(
            Directory::from_bytes(&long).unwrap_err(),
            DirectoryError::InvalidSnapshot(LIFETIME)
        );
    }

    #[test]
    fn a_snapshot_speaks_only_for_its_anchor() {
        let a = anchor(1);
        let b = anchor(3);
        let mut both = directory_with(&a);
        both.add_anchor(b.public()).unwrap();
        let theirs = sign_wire(&b, &wire(agency(2).public()));
        let numbers = (1, NOW, NOW + DAY);
        // Another anchor's certificate, though b is pinned and its signature is good.
        let foreign = hand_signed(&a, TYP_SNAPSHOT, &[a.public()], &[&theirs], numbers);
        assert_eq!(
            both.clone().merge(&foreign),
            Err(DirectoryError::InvalidSnapshot(OWN_ITEMS))
        );
        // Its anchors list is exactly its signer.
        let mut ab = [a.public(), b.public()];
        ab.sort_by_key(TrustAnchor::to_bytes);
        for anchors in [&ab[..], &[b.public()][..], &[][..]] {
            let s = hand_signed(&a, TYP_SNAPSHOT, anchors, &[], numbers);
            assert_eq!(
                both.clone().merge(&s),
                Err(DirectoryError::InvalidSnapshot(ONE_ANCHOR))
            );
            assert_eq!(
                Directory::from_bytes(&s).unwrap_err(),
                DirectoryError::InvalidSnapshot(ONE_ANCHOR)
            );
        }
        // A snapshot by an anchor that is not pinned is refused before anything else.
        let unpinned = b.publish(&issued(&b, 2), 1, NOW, NOW + DAY).unwrap();
        assert_eq!(
            directory_with(&a).merge(&unpinned),
            Err(DirectoryError::UnknownAnchor {
                what: WHAT_SNAPSHOT,
                kid: b.kid(),
            })
        );
    }

    #[test]
    fn signature_and_type_are_checked() {
        let a = anchor(1);
        let snap = a.publish(&issued(&a, 2), 1, NOW, NOW + DAY).unwrap();
        // The payload's "sequence" changed from 1 to 2 (the byte after the encoded key).
        let key = codec::encode(&Value::from("sequence"));
        let at = snap
            .windows(key.len())
            .position(|w| w == key.as_slice())
            .unwrap()
            + key.len();
        assert_eq!(snap[at], 0x01);
        let mut tampered = snap.clone();
        tampered[at] = 0x02;
        let bad = DirectoryError::BadSignature {
            what: WHAT_SNAPSHOT,
        };
        assert_eq!(directory_with(&a).merge(&tampered), Err(bad.clone()));
        assert_eq!(Directory::from_bytes(&tampered).unwrap_err(), bad);
        // The same payload signed as a certificate is no snapshot.
        let cert = issued(&a, 2)
            .certificates()
            .next()
            .unwrap()
            .as_bytes()
            .to_vec();
        let as_cert = hand_signed(
            &a,
            TYP_CERTIFICATE,
            &[a.public()],
            &[&cert],
            (1, NOW, NOW + 1),
        );
        assert_eq!(
            directory_with(&a).merge(&as_cert),
            Err(DirectoryError::WrongType {
                expected: "a directory bundle",
                found: "an agency certificate",
            })
        );
        // A snapshot given where a certificate is expected is named as such.
        assert_eq!(
            directory_with(&a)
                .add_certificate(&snap[..])
                .unwrap_err()
                .class(),
            "wrong_type"
        );
    }

    #[test]
    fn a_snapshot_larger_than_a_certificate_string_imports() {
        let a = anchor(1);
        let mut source = directory_with(&a);
        for i in 0..20u8 {
            let mut w = wire(agency(100 + i).public());
            w.serial = [i; SERIAL_LEN];
            w.agency_id = format!("agency-{i}");
            source.add_certificate(&sign_wire(&a, &w)).unwrap();
        }
        let snap = a.publish(&source, 1, NOW, NOW + DAY).unwrap();
        // The payload is one byte string longer than any string a bundle may hold.
        assert!(
            snap.len() > crate::directory::MAX_CERTIFICATE_BYTES,
            "{}",
            snap.len()
        );
        let mut d = directory_with(&a);
        d.merge(&snap).unwrap();
        assert_eq!(d.certificates().count(), 20);
        assert_eq!(d.to_bytes(), source.to_bytes());
    }
}
