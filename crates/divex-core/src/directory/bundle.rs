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
