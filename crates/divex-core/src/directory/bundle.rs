//! The directory bundle (spec/directory.md §5.2, §5.3): its deterministic encoding, and its
//! import as configuration ([`Directory::from_bytes`]) or as an update
//! ([`Directory::merge`]). Both also take a signed snapshot (§5.4), read in `snapshot`.

use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose::{self, Sign1, label};

use super::signed::{SignedDocument, typ_name};
use super::snapshot::{SNAPSHOT_KIND, Snapshot};
use super::{
    Directory, DirectoryError, MAX_ANCHORS, MAX_CERTIFICATE_BYTES, MAX_DIRECTORY_BYTES,
    MAX_ENTRIES, TYP_DIRECTORY, TYP_SNAPSHOT, TrustAnchor,
};

/// Decoding bounds for a directory bundle (map → array → anchor map).
pub(super) const BUNDLE_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_DIRECTORY_BYTES,
    max_depth: 3,
    max_items: MAX_ENTRIES,
    max_string: MAX_CERTIFICATE_BYTES,
};

/// Decoding bounds for an input that begins with tag 18 (a signed snapshot, or a signed
/// object given where a bundle is expected): the bundle's, except that a byte string may be as
/// long as the input (the snapshot's payload).
const SIGNED_INPUT_LIMITS: DecodeLimits = DecodeLimits {
    max_string: MAX_DIRECTORY_BYTES,
    ..BUNDLE_LIMITS
};

/// The first byte of a tagged `COSE_Sign1` (tag 18 in its only strict encoding).
const TAG_SIGN1_HEAD: u8 = 0xd2;

/// How errors name a bundle.
const WHAT: &str = "directory";

impl Directory {
    /// The directory bundle (spec/directory.md §5): `{"typ", "anchors", "certificates",
    /// "revocations"}`, each array sorted by the bytes of its items, so equal directories
    /// always encode identically. The signed snapshots the directory recorded are not part of
    /// it ([`Directory::snapshots`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_bundle(
            self.anchors(),
            self.certificates().map(|c| c.as_bytes()),
            self.revocations().map(|r| r.as_bytes()),
            [],
        )
    }

    /// Reads a directory bundle, validating everything: strict CBOR, sorted unique arrays,
    /// every anchor, and every certificate and revocation exactly as [`Directory::add_certificate`]
    /// and [`Directory::add_revocation`] would. The anchors are taken from the bundle:
    /// only load a bundle obtained over a trusted channel, or use [`Directory::merge`] into a
    /// directory with pinned anchors. Re-encoding an accepted bundle gives identical bytes.
    ///
    /// A signed directory snapshot (spec/directory.md §5.4) is read the same way: its one
    /// anchor, which must be its signer, becomes trusted, and the snapshot is recorded
    /// ([`Directory::snapshots`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Directory, DirectoryError> {
        match Input::read(bytes)? {
            Input::Bundle(bundle) => {
                let mut d = Directory::new();
                for a in bundle.anchors {
                    d.add_anchor(a)?;
                }
                d.add_signed(&bundle.certificates, &bundle.revocations)?;
                Ok(d)
            }
            Input::Snapshot(doc, payload) => Snapshot::configure(bytes, &doc, &payload),
        }
    }

    /// Adds the certificates and revocations of a bundle to this directory, all or nothing.
    /// The bundle's anchors must already be trusted here (same key); its certificates and
    /// revocations are verified against this directory's anchors. This is how an agency with
    /// pinned anchors takes an updated directory file.
    ///
    /// A signed directory snapshot (spec/directory.md §5.4) must be signed by a trusted anchor
    /// and carry only that anchor's certificates and revocations; one older than the snapshot
    /// of the same anchor this directory recorded is [`DirectoryError::StaleBundle`], another
    /// with the same sequence [`DirectoryError::SequenceReused`]. An expired snapshot is
    /// accepted ([`Directory::check_fresh`] reports it). An unsigned bundle never changes the
    /// recorded snapshots.
    pub fn merge(&mut self, bytes: &[u8]) -> Result<(), DirectoryError> {
        let bundle = match Input::read(bytes)? {
            Input::Bundle(bundle) => bundle,
            Input::Snapshot(doc, payload) => {
                let mut next = self.clone();
                Snapshot::update(&mut next, bytes, &doc, &payload)?;
                *self = next;
                return Ok(());
            }
        };
        for a in &bundle.anchors {
            if !self.has_anchor(&a.kid()) {
                return Err(DirectoryError::UnknownAnchor {
                    what: WHAT,
                    kid: a.kid(),
                });
            }
        }
        let mut next = self.clone();
        next.add_signed(&bundle.certificates, &bundle.revocations)?;
        *self = next;
        Ok(())
    }

    fn add_signed(
        &mut self,
        certificates: &[Vec<u8>],
        revocations: &[Vec<u8>],
    ) -> Result<(), DirectoryError> {
        for r in revocations {
            self.add_revocation(r)?;
        }
        for c in certificates {
            self.add_certificate(c)?;
        }
        Ok(())
    }
}

/// The bundle encoding (spec/directory.md §5.2) of these items, each array sorted by bytes,
/// with `extra` entries (a snapshot's numbers, §5.4) added to the map.
pub(super) fn encode_bundle<'a>(
    anchors: impl Iterator<Item = &'a TrustAnchor>,
    certificates: impl Iterator<Item = &'a [u8]>,
    revocations: impl Iterator<Item = &'a [u8]>,
    extra: impl IntoIterator<Item = (&'static str, Value)>,
) -> Vec<u8> {
    let mut anchors: Vec<(Vec<u8>, Value)> =
        anchors.map(|a| (a.to_bytes(), a.to_value())).collect();
    anchors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut certs: Vec<&[u8]> = certificates.collect();
    certs.sort();
    let mut revs: Vec<&[u8]> = revocations.collect();
    revs.sort();
    let entries = [
        ("typ", Value::from(TYP_DIRECTORY)),
        (
            "anchors",
            Value::Array(anchors.into_iter().map(|(_, v)| v).collect()),
        ),
        (
            "certificates",
            Value::Array(certs.into_iter().map(Value::bytes).collect()),
        ),
        (
            "revocations",
            Value::Array(revs.into_iter().map(Value::bytes).collect()),
        ),
    ];
    let mut m = Map::new();
    for (k, v) in entries.into_iter().chain(extra) {
        // Distinct constant keys: insertion cannot fail.
        let _ = m.insert(Value::from(k), v);
    }
    codec::encode(&Value::Map(m))
}

/// What a directory file turned out to be (spec/directory.md §5.3 steps 1-3).
enum Input {
    /// An unsigned bundle, read through step 7.
    Bundle(Bundle),
    /// A signed snapshot whose COSE profile checked (§5.4), with its payload, not yet
    /// verified.
    Snapshot(SignedDocument, Vec<u8>),
}

impl Input {
    fn read(bytes: &[u8]) -> Result<Input, DirectoryError> {
        if bytes.len() > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::TooLarge {
                what: WHAT,
                size: bytes.len(),
                limit: MAX_DIRECTORY_BYTES,
            });
        }
        let limits = if bytes.first() == Some(&TAG_SIGN1_HEAD) {
            &SIGNED_INPUT_LIMITS
        } else {
            &BUNDLE_LIMITS
        };
        let v = codec::decode_with(bytes, limits)
            .map_err(|source| DirectoryError::Malformed { what: WHAT, source })?;
        let typ: Option<String> = match &v {
            Value::Map(m) => m
                .get(&Value::from("typ"))
                .and_then(Value::as_text)
                .map(str::to_owned),
            // A certificate or revocation given where a bundle is expected: say which.
            Value::Tag(cose::TAG_SIGN1, _) => Sign1::from_value(&v, true, &BUNDLE_LIMITS)
                .ok()
                .and_then(|s| {
                    s.protected
                        .map()
                        .get_label(label::TYP)
                        .and_then(Value::as_text)
                        .map(str::to_owned)
                }),
            _ => None,
        };
        match typ.as_deref() {
            Some(TYP_SNAPSHOT) => {
                let (doc, payload) = SignedDocument::from_value(bytes, &v, &SNAPSHOT_KIND)?;
                Ok(Input::Snapshot(doc, payload))
            }
            Some(TYP_DIRECTORY) => {
                let m = v.as_map().ok_or(structure(WHAT, "must be a map"))?;
                if m.len() != 4 {
                    return Err(structure(
                        WHAT,
                        "must have exactly the keys \"typ\", \"anchors\", \"certificates\" and \"revocations\"",
                    ));
                }
                Ok(Input::Bundle(Bundle::from_map(m, WHAT)?))
            }
            found => Err(DirectoryError::WrongType {
                expected: "a directory bundle",
                found: typ_name(found),
            }),
        }
    }
}

fn structure(what: &'static str, reason: &'static str) -> DirectoryError {
    DirectoryError::Structure { what, reason }
}

/// A decoded bundle, before its signed items are verified.
pub(super) struct Bundle {
    pub(super) anchors: Vec<TrustAnchor>,
    pub(super) certificates: Vec<Vec<u8>>,
    pub(super) revocations: Vec<Vec<u8>>,
}

impl Bundle {
    /// Steps 4 (the three arrays) to 7 of spec/directory.md §5.3 on a bundle's map, whose keys
    /// the caller checked; `what` names the bundle or snapshot in errors.
    pub(super) fn from_map(m: &Map, what: &'static str) -> Result<Bundle, DirectoryError> {
        let array = |k: &str, reason| {
            m.get(&Value::from(k))
                .and_then(Value::as_array)
                .ok_or(structure(what, reason))
        };
        let anchors_v = array("anchors", "\"anchors\" must be an array")?;
        let certs_v = array("certificates", "\"certificates\" must be an array")?;
        let revs_v = array("revocations", "\"revocations\" must be an array")?;
        if anchors_v.len() > MAX_ANCHORS {
            return Err(DirectoryError::Full {
                what: "trust anchor",
                limit: "64 trust anchors",
            });
        }
        if anchors_v.len() + certs_v.len() + revs_v.len() > MAX_ENTRIES {
            return Err(DirectoryError::Full {
                what,
                limit: "10 000 entries",
            });
        }
        // Anchors: sorted by their encodings, unique.
        let mut anchors = Vec::with_capacity(anchors_v.len());
        let mut prev: Option<Vec<u8>> = None;
        for a in anchors_v {
            let enc = codec::encode(a);
            if prev.as_ref().is_some_and(|p| *p >= enc) {
                return Err(structure(
                    what,
                    "anchors must be sorted by their encoding, without duplicates",
                ));
            }
            anchors.push(TrustAnchor::from_value(a)?);
            prev = Some(enc);
        }
        let byte_items = |items: &[Value], reason| -> Result<Vec<Vec<u8>>, DirectoryError> {
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(items.len());
            for it in items {
                let b = it
                    .as_bytes()
                    .ok_or(structure(what, "items must be byte strings"))?;
                if out.last().is_some_and(|p| p.as_slice() >= b) {
                    return Err(structure(what, reason));
                }
                out.push(b.to_vec());
            }
            Ok(out)
        };
        let certificates = byte_items(
            certs_v,
            "certificates must be sorted by their bytes, without duplicates",
        )?;
        let revocations = byte_items(
            revs_v,
            "revocations must be sorted by their bytes, without duplicates",
        )?;
        Ok(Bundle {
            anchors,
            certificates,
            revocations,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    //! The import order of spec/directory.md §5.3: each case is built so that two steps would
    //! fail, and the earlier one must be reported.

    use super::*;
    use crate::directory::testkit::*;
    use crate::directory::{SERIAL_LEN, Serial, TrustAnchor};

    fn bundle(anchors: Vec<Value>, certificates: Vec<Value>, revocations: Vec<Value>) -> Vec<u8> {
        codec::encode(
            &Value::map([
                (Value::from("typ"), Value::from(TYP_DIRECTORY)),
                (Value::from("anchors"), Value::Array(anchors)),
                (Value::from("certificates"), Value::Array(certificates)),
                (Value::from("revocations"), Value::Array(revocations)),
            ])
            .unwrap(),
        )
    }

    fn structure(reason: &'static str) -> DirectoryError {
        DirectoryError::Structure {
            what: "directory",
            reason,
        }
    }

    #[test]
    fn steps_1_to_4_size_decode_type_structure() {
        let a = anchor(1);
        let cert = sign_wire(&a, &wire(agency(2).public()));
        assert!(matches!(
            Directory::from_bytes(&vec![0xa0; MAX_DIRECTORY_BYTES + 1]),
            Err(DirectoryError::TooLarge { .. })
        ));
        assert!(matches!(
            Directory::from_bytes(&[0xa4]),
            Err(DirectoryError::Malformed { .. })
        ));
        // A certificate where a bundle is expected is named as such.
        assert_eq!(
            Directory::from_bytes(&cert).unwrap_err(),
            DirectoryError::WrongType {
                expected: "a directory bundle",
                found: "an agency certificate",
            }
        );
        let untyped =
            codec::encode(&Value::map([(Value::from("anchors"), Value::from(1u64))]).unwrap());
        assert_eq!(
            Directory::from_bytes(&untyped).unwrap_err(),
            DirectoryError::WrongType {
                expected: "a directory bundle",
                found: "an object of another type",
            }
        );
        // Only a COSE_Sign1 that announces the directory typ reaches "must be a map".
        let signed_bundle = a.sign_document(TYP_DIRECTORY, bundle(vec![], vec![], vec![]));
        assert_eq!(
            Directory::from_bytes(&signed_bundle).unwrap_err(),
            structure("must be a map")
        );
        let not_arrays = codec::encode(
            &Value::map([
                (Value::from("typ"), Value::from(TYP_DIRECTORY)),
                (Value::from("anchors"), Value::Array(vec![])),
                (Value::from("certificates"), Value::from(0u64)),
                (Value::from("revocations"), Value::from(0u64)),
            ])
            .unwrap(),
        );
        assert_eq!(
            Directory::from_bytes(&not_arrays).unwrap_err(),
            structure("\"certificates\" must be an array")
        );
    }

    #[test]
    fn steps_5_to_7_counts_then_anchors_then_signed_items() {
        let a = anchor(1);
        let b = anchor(3);
        // 65 anchors that are not even anchors: the count is checked first.
        let many = vec![Value::from(0u64); MAX_ANCHORS + 1];
        assert_eq!(
            Directory::from_bytes(&bundle(many, vec![], vec![])).unwrap_err(),
            DirectoryError::Full {
                what: "trust anchor",
                limit: "64 trust anchors",
            }
        );
        // A bad anchor is reported before a bad certificate item.
        let bad_anchor = bundle(vec![Value::from(0u64)], vec![Value::from(1u64)], vec![]);
        assert_eq!(
            Directory::from_bytes(&bad_anchor).unwrap_err(),
            DirectoryError::Structure {
                what: "trust anchor",
                reason: "must be a map",
            }
        );
        // Anchors must be sorted by their encodings.
        let mut anchors = [a.public(), b.public()];
        anchors.sort_by_key(TrustAnchor::to_bytes);
        let [first, second] = anchors.map(|x| x.to_value());
        let unsorted = bundle(vec![second.clone(), first.clone()], vec![], vec![]);
        assert_eq!(
            Directory::from_bytes(&unsorted).unwrap_err(),
            structure("anchors must be sorted by their encoding, without duplicates")
        );
        // The same key under two names: refused when trusted (step 8), but a malformed
        // certificate item is reported first (step 7).
        let renamed = TrustAnchor::new("Another Name", a.public().key().clone()).unwrap();
        let mut twins = [a.public(), renamed];
        twins.sort_by_key(TrustAnchor::to_bytes);
        let twins: Vec<Value> = twins.iter().map(TrustAnchor::to_value).collect();
        assert_eq!(
            Directory::from_bytes(&bundle(twins.clone(), vec![Value::from(1u64)], vec![]))
                .unwrap_err(),
            structure("items must be byte strings")
        );
        assert_eq!(
            Directory::from_bytes(&bundle(twins, vec![], vec![])).unwrap_err(),
            DirectoryError::DuplicateAnchor { kid: a.kid() }
        );
    }

    #[test]
    fn steps_9_and_10_revocations_before_certificates() {
        let a = anchor(1);
        let b = anchor(3);
        let mut tampered = sign_wire(&a, &wire(agency(2).public()));
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        // The certificate's signature is bad and the revocation is by an unpinned anchor:
        // the revocation is checked first.
        let stranger = b
            .revoke(Serial([9; SERIAL_LEN]), NOW, "superseded")
            .unwrap();
        let both_bad = bundle(
            vec![a.public().to_value()],
            vec![Value::bytes(&tampered)],
            vec![Value::bytes(stranger.as_bytes())],
        );
        assert_eq!(
            Directory::from_bytes(&both_bad).unwrap_err(),
            DirectoryError::UnknownAnchor {
                what: "revocation",
                kid: b.kid(),
            }
        );
        let good = a
            .revoke(Serial([9; SERIAL_LEN]), NOW, "superseded")
            .unwrap();
        let bad_certificate = bundle(
            vec![a.public().to_value()],
            vec![Value::bytes(&tampered)],
            vec![Value::bytes(good.as_bytes())],
        );
        assert_eq!(
            Directory::from_bytes(&bad_certificate).unwrap_err(),
            DirectoryError::BadSignature {
                what: "certificate"
            }
        );
    }

    #[test]
    fn a_merge_needs_pinned_anchors_and_is_all_or_nothing() {
        let a = anchor(1);
        let b = anchor(3);
        let cert = sign_wire(&a, &wire(agency(2).public()));
        let rev = a
            .revoke(Serial([9; SERIAL_LEN]), NOW, "superseded")
            .unwrap();
        let mut d = directory_with(&a);
        // An unpinned anchor in the bundle refuses the update...
        let unpinned = bundle(vec![b.public().to_value()], vec![], vec![]);
        assert_eq!(
            d.merge(&unpinned).unwrap_err(),
            DirectoryError::UnknownAnchor {
                what: "directory",
                kid: b.kid(),
            }
        );
        // ...a failing certificate after an accepted revocation leaves nothing behind...
        let mut tampered = cert.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let failing = bundle(
            vec![],
            vec![Value::bytes(&tampered)],
            vec![Value::bytes(rev.as_bytes())],
        );
        assert_eq!(
            d.merge(&failing).unwrap_err(),
            DirectoryError::BadSignature {
                what: "certificate"
            }
        );
        assert_eq!(d.revocations().count(), 0);
        // ...and a bundle that lists no anchor may carry items signed by a pinned one.
        let update = bundle(
            vec![],
            vec![Value::bytes(&cert)],
            vec![Value::bytes(rev.as_bytes())],
        );
        d.merge(&update).unwrap();
        assert_eq!((d.certificates().count(), d.revocations().count()), (1, 1));
        // Merging the same bundle again changes nothing.
        d.merge(&update).unwrap();
        assert_eq!(d.to_bytes(), {
            let mut again = directory_with(&a);
            again.merge(&update).unwrap();
            again.to_bytes()
        });
    }
}
