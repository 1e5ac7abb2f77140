//! The anchor-signed document (spec/directory.md §2): the `COSE_Sign1` envelope that
//! certificates and revocations share, parsed strictly and verified against a trust anchor
//! (§6 steps 1-5). The payload of each kind is read by its own module (step 6).

use std::collections::BTreeMap;

use crate::codec::{self, DecodeLimits, Value};
use crate::cose::{self, Sign1, alg, label};
use crate::keys::KeyId;

use super::{
    DirectoryError, MAX_CERTIFICATE_BYTES, TYP_CERTIFICATE, TYP_DIRECTORY, TYP_REVOCATION,
    TYP_SNAPSHOT, TrustAnchor,
};

/// Decoding bounds for a certificate or revocation (tag → array → payload map → roles).
pub(super) const SIGNED_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_CERTIFICATE_BYTES,
    max_depth: 4,
    max_items: 16,
    max_string: MAX_CERTIFICATE_BYTES,
};

/// One type of anchor-signed document: how errors name it, its `typ`, its size limit.
pub(super) struct DocumentKind {
    pub(super) what: &'static str,
    pub(super) typ: &'static str,
    pub(super) max: usize,
}

impl DocumentKind {
    /// The decoding bounds of the whole document: [`SIGNED_LIMITS`] with this kind's size,
    /// whose strings may be as long as the document when it is larger than a certificate (a
    /// snapshot's payload).
    pub(super) fn limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_input: self.max,
            max_string: self.max.max(SIGNED_LIMITS.max_string),
            ..SIGNED_LIMITS
        }
    }
}

/// The envelope of an anchor-signed document (spec/directory.md §2), parsed and kept with its
/// exact bytes; its signature is checked by [`SignedDocument::verify`].
#[derive(Clone)]
pub(super) struct SignedDocument {
    /// The exact bytes received (or signed).
    pub(super) bytes: Vec<u8>,
    /// Key id of the anchor named in the `kid` header.
    pub(super) issuer: KeyId,
    tbs: Vec<u8>,
    signature: [u8; 64],
}

/// A document type carried in a [`SignedDocument`]: certificates and revocations.
pub(super) trait Signed: Sized {
    /// How errors name the kind, its `typ` and its size limit.
    const KIND: DocumentKind;

    /// Step 6 of spec/directory.md §6: the payload's schema and field rules.
    fn from_payload(doc: SignedDocument, payload: &[u8]) -> Result<Self, DirectoryError>;

    /// Steps 1-3 and 6, without the signature (`from_bytes` of each type).
    fn parse(bytes: &[u8]) -> Result<Self, DirectoryError> {
        let (doc, payload) = SignedDocument::parse(bytes, &Self::KIND)?;
        Self::from_payload(doc, &payload)
    }

    /// Steps 1-6 in order: structure, then the issuing anchor among `anchors` and its
    /// signature, and only then the payload.
    fn parse_verified(
        bytes: &[u8],
        anchors: &BTreeMap<KeyId, TrustAnchor>,
    ) -> Result<Self, DirectoryError> {
        let what = Self::KIND.what;
        let (doc, payload) = SignedDocument::parse(bytes, &Self::KIND)?;
        let anchor = anchors
            .get(&doc.issuer)
            .ok_or(DirectoryError::UnknownAnchor {
                what,
                kid: doc.issuer,
            })?;
        doc.verify(anchor, what)?;
        Self::from_payload(doc, &payload)
    }
}

/// The payload of a signed document, decoded into its wire struct under the signed limits.
pub(super) fn decode_payload<W: serde::de::DeserializeOwned + serde::Serialize>(
    payload: &[u8],
    what: &'static str,
) -> Result<W, DirectoryError> {
    codec::from_slice_with(payload, &SIGNED_LIMITS)
        .map_err(|source| DirectoryError::Malformed { what, source })
}

/// How an error names what a `typ` announces.
pub(super) fn typ_name(typ: Option<&str>) -> &'static str {
    match typ {
        Some(TYP_CERTIFICATE) => "an agency certificate",
        Some(TYP_REVOCATION) => "a certificate revocation",
        Some(TYP_DIRECTORY) => "a directory bundle",
        Some(TYP_SNAPSHOT) => "a signed directory snapshot",
        _ => "an object of another type",
    }
}

impl SignedDocument {
    /// Steps 1-3 of spec/directory.md §6: size, strict decode, COSE_Sign1 profile with `typ`.
    /// Returns the document and its payload.
    fn parse(
        bytes: &[u8],
        kind: &DocumentKind,
    ) -> Result<(SignedDocument, Vec<u8>), DirectoryError> {
        let DocumentKind { what, max, .. } = *kind;
        if bytes.len() > max {
            return Err(DirectoryError::TooLarge {
                what,
                size: bytes.len(),
                limit: max,
            });
        }
        let v = codec::decode_with(bytes, &kind.limits())
            .map_err(|source| DirectoryError::Malformed { what, source })?;
        Self::from_value(bytes, &v, kind)
    }

    /// Step 3 of spec/directory.md §6 on `v`, the strict decoding of `bytes`: the COSE_Sign1
    /// profile with `typ`. Returns the document and its payload.
    pub(super) fn from_value(
        bytes: &[u8],
        v: &Value,
        kind: &DocumentKind,
    ) -> Result<(SignedDocument, Vec<u8>), DirectoryError> {
        let DocumentKind { what, typ, .. } = *kind;
        let limits = kind.limits();
        let structure = |reason| DirectoryError::Structure { what, reason };
        let sign1 = Sign1::from_value(v, true, &limits).map_err(|e| match e {
            cose::CoseError::Codec(source) => DirectoryError::Malformed { what, source },
            cose::CoseError::Structure(reason) => structure(reason),
            _ => structure("not a COSE_Sign1"),
        })?;
        let p = sign1.protected.map();
        // The type first: a revocation given where a certificate is expected says so.
        let found = p.get_label(label::TYP).and_then(Value::as_text);
        if found != Some(typ) {
            return Err(DirectoryError::WrongType {
                expected: typ_name(Some(typ)),
                found: typ_name(found),
            });
        }
        match p.get_label(label::ALG).and_then(Value::as_i64) {
            Some(alg::ED25519) => {}
            _ => return Err(structure("alg must be Ed25519 (-19)")),
        }
        for k in p.keys() {
            if !matches!(k.as_i64(), Some(label::ALG | label::KID | label::TYP)) {
                return Err(structure(
                    "the protected header may carry only alg (1), kid (4) and typ (16)",
                ));
            }
        }
        if !sign1.unprotected.is_empty() {
            return Err(structure("the unprotected header must be empty"));
        }
        let issuer = p
            .get_label(label::KID)
            .and_then(Value::as_bytes)
            .and_then(|b| KeyId::from_bytes(b).ok())
            .ok_or(structure("kid must be a 16-byte byte string"))?;
        let signature: [u8; 64] = sign1
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| structure("the signature must be 64 bytes"))?;
        let doc = SignedDocument {
            bytes: bytes.to_vec(),
            issuer,
            tbs: sign1.to_be_signed(&[]),
            signature,
        };
        Ok((doc, sign1.payload))
    }

    /// Steps 4-5 of spec/directory.md §6: `anchor` is the issuer and its signature verifies.
    pub(super) fn verify(
        &self,
        anchor: &TrustAnchor,
        what: &'static str,
    ) -> Result<(), DirectoryError> {
        if anchor.kid() != self.issuer {
            return Err(DirectoryError::UnknownAnchor {
                what,
                kid: self.issuer,
            });
        }
        anchor
            .key()
            .verify(&self.tbs, &self.signature)
            .map_err(|_| DirectoryError::BadSignature { what })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity
)]
mod tests {
    use super::*;
    use crate::codec::{self, Map, Value};
    use crate::directory::TYP_CERTIFICATE;
    use crate::directory::testkit::*;

    #[test]
    fn signed_object_profile_is_strict() {
        let a = anchor(1);
        let k = agency(2);
        let d = directory_with(&a);
        let payload = codec::to_vec(&wire(k.public())).unwrap();
        let with_label = |l: i64, v: Value| {
            let mut m = Map::new();
            for (k, old) in standard_protected(&a, TYP_CERTIFICATE).iter() {
                if k.as_i64() != Some(l) {
                    m.insert(k.clone(), old.clone()).unwrap();
                }
            }
            m.insert(Value::from(l), v).unwrap();
            m
        };
        let extra_crit = with_label(label::CRIT, Value::Array(vec![Value::from(16i64)]));
        let content_type = with_label(label::CONTENT_TYPE, Value::from(60u64));
        let wrong_alg = with_label(label::ALG, Value::from(-8i64));
        let short_kid = with_label(label::KID, Value::bytes([0u8; 8]));
        let mut unprotected_kid = Map::new();
        unprotected_kid
            .insert(Value::from(label::KID), Value::bytes(a.kid().as_bytes()))
            .unwrap();
        for (what, bytes) in [
            (
                "crit",
                sign_with_headers(&a, extra_crit, Map::new(), &payload),
            ),
            (
                "content type",
                sign_with_headers(&a, content_type, Map::new(), &payload),
            ),
            (
                "alg EdDSA (-8)",
                sign_with_headers(&a, wrong_alg, Map::new(), &payload),
            ),
            (
                "8-byte kid",
                sign_with_headers(&a, short_kid, Map::new(), &payload),
            ),
            (
                "unprotected header",
                sign_with_headers(
                    &a,
                    standard_protected(&a, TYP_CERTIFICATE),
                    unprotected_kid,
                    &payload,
                ),
            ),
        ] {
            let e = d.clone().add_certificate(&bytes).unwrap_err();
            assert!(
                matches!(e, DirectoryError::Structure { .. }),
                "{what}: {e:?}"
            );
        }
        // Untagged, and a truncated signature.
        let good = sign_wire(&a, &wire(k.public()));
        let v = codec::decode(&good).unwrap();
        let Value::Tag(_, inner) = &v else { panic!() };
        let e = d
            .clone()
            .add_certificate(&codec::encode(inner))
            .unwrap_err();
        assert!(matches!(e, DirectoryError::Structure { .. }), "{e:?}");
        let mut sign1 = Sign1::from_value(&v, true, &SIGNED_LIMITS).unwrap();
        sign1.signature.truncate(63);
        let e = d.clone().add_certificate(&sign1.to_bytes()).unwrap_err();
        assert!(matches!(e, DirectoryError::Structure { .. }), "{e:?}");
    }

    #[test]
    fn typ_is_required_and_checked_first() {
        let a = anchor(1);
        let k = agency(2);
        let d = directory_with(&a);
        let payload = codec::to_vec(&wire(k.public())).unwrap();
        let mut no_typ = Map::new();
        no_typ
            .insert(Value::from(label::ALG), Value::from(alg::ED25519))
            .unwrap();
        no_typ
            .insert(Value::from(label::KID), Value::bytes(a.kid().as_bytes()))
            .unwrap();
        let cases = [
            (
                sign_with_headers(&a, no_typ, Map::new(), &payload),
                "an object of another type",
            ),
            (
                sign_payload(&a, TYP_REVOCATION, payload.clone()),
                "a certificate revocation",
            ),
            (
                sign_payload(&a, TYP_DIRECTORY, payload.clone()),
                "a directory bundle",
            ),
            (
                sign_payload(&a, "application/divex-consent+cbor", payload.clone()),
                "an object of another type",
            ),
        ];
        for (bytes, found) in cases {
            assert_eq!(
                d.clone().add_certificate(&bytes),
                Err(DirectoryError::WrongType {
                    expected: "an agency certificate",
                    found
                })
            );
        }
        // The typ as an integer (a CoAP content format) is not ours either.
        let mut int_typ = Map::new();
        for (k, v) in standard_protected(&a, TYP_CERTIFICATE).iter() {
            let v = if k.as_i64() == Some(label::TYP) {
                Value::from(60u64)
            } else {
                v.clone()
            };
            int_typ.insert(k.clone(), v).unwrap();
        }
        assert!(matches!(
            d.clone()
                .add_certificate(&sign_with_headers(&a, int_typ, Map::new(), &payload)),
            Err(DirectoryError::WrongType { .. })
        ));
    }
}
