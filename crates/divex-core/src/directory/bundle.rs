//! The directory bundle (spec/directory.md §5.2, §5.3): its deterministic encoding, and its
//! import as configuration ([`Directory::from_bytes`]) or as an update
//! ([`Directory::merge`]).

use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose::{self, Sign1, label};

use super::signed::typ_name;
use super::{
    Directory, DirectoryError, MAX_ANCHORS, MAX_CERTIFICATE_BYTES, MAX_DIRECTORY_BYTES,
    MAX_ENTRIES, TYP_DIRECTORY, TrustAnchor,
};

/// Decoding bounds for a directory bundle (map → array → anchor map).
const BUNDLE_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_DIRECTORY_BYTES,
    max_depth: 3,
    max_items: MAX_ENTRIES,
    max_string: MAX_CERTIFICATE_BYTES,
};

impl Directory {
    /// The directory bundle (spec/directory.md §5): `{"typ", "anchors", "certificates",
    /// "revocations"}`, each array sorted by the bytes of its items, so equal directories
    /// always encode identically.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut anchors: Vec<(Vec<u8>, Value)> = self
            .anchors()
            .map(|a| (a.to_bytes(), a.to_value()))
            .collect();
        anchors.sort_by(|a, b| a.0.cmp(&b.0));
        let mut certs: Vec<&[u8]> = self.certificates().map(|c| c.as_bytes()).collect();
        certs.sort();
        let mut revs: Vec<&[u8]> = self.revocations().map(|r| r.as_bytes()).collect();
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
        for (k, v) in entries {
            // Distinct constant keys: insertion cannot fail.
            let _ = m.insert(Value::from(k), v);
        }
        codec::encode(&Value::Map(m))
    }

    /// Reads a directory bundle, validating everything: strict CBOR, sorted unique arrays,
    /// every anchor, and every certificate and revocation exactly as [`Directory::add_certificate`]
    /// and [`Directory::add_revocation`] would. The anchors are taken from the bundle:
    /// only load a bundle obtained over a trusted channel, or use [`Directory::merge`] into a
    /// directory with pinned anchors. Re-encoding an accepted bundle gives identical bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Directory, DirectoryError> {
        let bundle = Bundle::parse(bytes)?;
        let mut d = Directory::new();
        for a in bundle.anchors {
            d.add_anchor(a)?;
        }
        d.add_signed(&bundle.certificates, &bundle.revocations)?;
        Ok(d)
    }

    /// Adds the certificates and revocations of a bundle to this directory, all or nothing.
    /// The bundle's anchors must already be trusted here (same key); its certificates and
    /// revocations are verified against this directory's anchors. This is how an agency with
    /// pinned anchors takes an updated directory file.
    pub fn merge(&mut self, bytes: &[u8]) -> Result<(), DirectoryError> {
        let bundle = Bundle::parse(bytes)?;
        for a in &bundle.anchors {
            if !self.has_anchor(&a.kid()) {
                return Err(DirectoryError::UnknownAnchor {
                    what: "directory",
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

/// A decoded bundle, before its signed items are verified.
struct Bundle {
    anchors: Vec<TrustAnchor>,
    certificates: Vec<Vec<u8>>,
    revocations: Vec<Vec<u8>>,
}

impl Bundle {
    fn parse(bytes: &[u8]) -> Result<Bundle, DirectoryError> {
        const WHAT: &str = "directory";
        if bytes.len() > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::TooLarge {
                what: WHAT,
                size: bytes.len(),
                limit: MAX_DIRECTORY_BYTES,
            });
        }
        let v = codec::decode_with(bytes, &BUNDLE_LIMITS)
            .map_err(|source| DirectoryError::Malformed { what: WHAT, source })?;
        let structure = |reason| DirectoryError::Structure { what: WHAT, reason };
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
        if typ.as_deref() != Some(TYP_DIRECTORY) {
            return Err(DirectoryError::WrongType {
                expected: "a directory bundle",
                found: typ_name(typ.as_deref()),
            });
        }
        let m = v.as_map().ok_or(structure("must be a map"))?;
        if m.len() != 4 {
            return Err(structure(
                "must have exactly the keys \"typ\", \"anchors\", \"certificates\" and \"revocations\"",
            ));
        }
        let array = |k: &str, reason| {
            m.get(&Value::from(k))
                .and_then(Value::as_array)
                .ok_or(structure(reason))
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
                what: WHAT,
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
                    .ok_or(structure("items must be byte strings"))?;
                if out.last().is_some_and(|p| p.as_slice() >= b) {
                    return Err(structure(reason));
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
