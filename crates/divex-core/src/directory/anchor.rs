//! Trust anchors (spec/directory.md §5.1): the public [`TrustAnchor`] agencies pin, and the
//! secret [`AnchorKeys`] that issue certificates and sign revocations.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose::{self, ProtectedHeader, Sign1, alg, label};
use crate::keys::{KeyId, SigningPublicKey};

use super::certificate::{ANCHOR_KEY_REUSED, CertificateWire, WHAT_CERT};
use super::fields::is_display_name;
use super::revocation::{RevocationWire, WHAT_REV};
use super::{
    AgencyCertificate, CertificateRequest, CertificateRevocation, DirectoryError, MAX_ANCHOR_BYTES,
    SERIAL_LEN, Serial, TYP_CERTIFICATE, TYP_REVOCATION,
};

/// Decoding bounds for a trust anchor on its own.
const ANCHOR_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_ANCHOR_BYTES,
    max_depth: 1,
    max_items: 2,
    max_string: MAX_ANCHOR_BYTES,
};

/// A trust anchor's public side: a display name and an Ed25519 key. Agencies pin it out of
/// band (compare [`TrustAnchor::kid`] with the authority's published fingerprint).
///
/// Encoded as `{"key": bstr .size 32, "name": tstr}` (spec/directory.md §5).
#[derive(Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    name: String,
    key: SigningPublicKey,
}

impl TrustAnchor {
    /// An anchor from a display name (1-128 bytes, no control or bidirectional formatting
    /// characters) and its key.
    pub(crate) fn new(
        name: impl Into<String>,
        key: SigningPublicKey,
    ) -> Result<TrustAnchor, DirectoryError> {
        let name = name.into();
        if !is_display_name(&name) {
            return Err(DirectoryError::InvalidAnchor(
                "the name must be 1-128 bytes without control or bidirectional formatting characters",
            ));
        }
        Ok(TrustAnchor { name, key })
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The anchor's signing key.
    pub fn key(&self) -> &SigningPublicKey {
        &self.key
    }

    /// The key id certificates name in their `kid` header (spec/envelope.md §3.2); also the
    /// fingerprint operators compare when pinning the anchor.
    pub fn kid(&self) -> KeyId {
        self.key.kid()
    }

    /// The anchor as a CBOR value (an element of a bundle's `"anchors"`).
    pub(super) fn to_value(&self) -> Value {
        let mut m = Map::new();
        // Distinct constant keys: insertion cannot fail.
        let _ = m.insert(Value::from("key"), Value::bytes(self.key.as_bytes()));
        let _ = m.insert(Value::from("name"), Value::from(self.name.as_str()));
        Value::Map(m)
    }

    /// The anchor's deterministic encoding (an anchor file).
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(&self.to_value())
    }

    /// Reads an anchor from a CBOR value, validating the name and the key.
    pub(super) fn from_value(v: &Value) -> Result<TrustAnchor, DirectoryError> {
        const WHAT: &str = "trust anchor";
        let m = v.as_map().ok_or(DirectoryError::Structure {
            what: WHAT,
            reason: "must be a map",
        })?;
        if m.len() != 2 {
            return Err(DirectoryError::Structure {
                what: WHAT,
                reason: "must have exactly the keys \"key\" and \"name\"",
            });
        }
        let key = m.get(&Value::from("key")).and_then(Value::as_bytes).ok_or(
            DirectoryError::Structure {
                what: WHAT,
                reason: "\"key\" must be a byte string",
            },
        )?;
        let name = m.get(&Value::from("name")).and_then(Value::as_text).ok_or(
            DirectoryError::Structure {
                what: WHAT,
                reason: "\"name\" must be a text string",
            },
        )?;
        let key =
            SigningPublicKey::from_bytes(key).map_err(|source| DirectoryError::InvalidKey {
                which: "trust anchor key",
                source,
            })?;
        TrustAnchor::new(name, key)
    }

    /// Decodes and validates an anchor file.
    pub fn from_bytes(b: &[u8]) -> Result<TrustAnchor, DirectoryError> {
        const WHAT: &str = "trust anchor";
        if b.len() > MAX_ANCHOR_BYTES {
            return Err(DirectoryError::TooLarge {
                what: WHAT,
                size: b.len(),
                limit: MAX_ANCHOR_BYTES,
            });
        }
        let v = codec::decode_with(b, &ANCHOR_LIMITS)
            .map_err(|source| DirectoryError::Malformed { what: WHAT, source })?;
        Self::from_value(&v)
    }
}

impl fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchor")
            .field("name", &self.name)
            .field("kid", &self.key.kid())
            .finish()
    }
}

/// A trust anchor's secret signing key, with its name.
///
/// No `Clone`, redacted `Debug`, zeroized on drop (the wrapped dalek key zeroizes itself, and
/// every temporary copy is [`Zeroizing`]).
pub struct AnchorKeys {
    signing: SigningKey,
    public: TrustAnchor,
}

impl AnchorKeys {
    /// A fresh anchor key from the operating system's CSPRNG.
    pub fn generate(name: &str) -> Result<AnchorKeys, DirectoryError> {
        Self::generate_with_rng(name, &mut crate::rng::os())
    }

    /// A fresh anchor key from the given CSPRNG.
    pub(crate) fn generate_with_rng<R: CryptoRng + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<AnchorKeys, DirectoryError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_secret_bytes(name, &seed)
    }

    /// **Secret material.** Rebuilds the anchor from the 32-byte Ed25519 seed produced by
    /// [`AnchorKeys::expose_secret_bytes`]. Keep these bytes encrypted at rest (ideally offline).
    pub(crate) fn from_secret_bytes(
        name: &str,
        secret: &[u8; 32],
    ) -> Result<AnchorKeys, DirectoryError> {
        let signing = SigningKey::from_bytes(secret);
        let key =
            SigningPublicKey::from_bytes(signing.verifying_key().as_bytes()).map_err(|source| {
                DirectoryError::InvalidKey {
                    which: "trust anchor key",
                    source,
                }
            })?;
        Ok(AnchorKeys {
            signing,
            public: TrustAnchor::new(name, key)?,
        })
    }

    /// **Secret material.** The 32-byte Ed25519 seed, for encrypted export only. The name is
    /// loud on purpose: grep for it when auditing where secrets leave memory.
    pub(crate) fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public side, to be pinned by every agency.
    pub fn public(&self) -> TrustAnchor {
        self.public.clone()
    }

    /// The anchor's key id.
    pub(crate) fn kid(&self) -> KeyId {
        self.public.kid()
    }

    /// Issues a certificate with a serial from the operating system's CSPRNG.
    pub fn issue(&self, request: &CertificateRequest) -> Result<AgencyCertificate, DirectoryError> {
        self.issue_with_rng(request, &mut crate::rng::os())
    }

    /// Issues a certificate with a serial drawn from `rng`. The roles are sorted and
    /// de-duplicated; every other rule of spec/directory.md §3 is checked and refused with
    /// [`DirectoryError::InvalidCertificate`].
    pub(crate) fn issue_with_rng<R: CryptoRng + ?Sized>(
        &self,
        request: &CertificateRequest,
        rng: &mut R,
    ) -> Result<AgencyCertificate, DirectoryError> {
        let mut roles = request.roles.clone();
        roles.sort();
        roles.dedup();
        let mut serial = [0u8; SERIAL_LEN];
        rng.fill_bytes(&mut serial);
        let wire = CertificateWire {
            serial,
            agency_id: request.agency_id.clone(),
            name: request.name.clone(),
            roles,
            part2_program: request.part2_program,
            signing_key: *request.keys.signing().as_bytes(),
            encryption_key: *request.keys.encryption().as_bytes(),
            not_before: request.not_before,
            not_after: request.not_after,
        };
        wire.validate()?;
        if request.keys.signing().kid() == self.kid() {
            return Err(DirectoryError::InvalidCertificate(ANCHOR_KEY_REUSED));
        }
        let payload = codec::to_vec(&wire).map_err(|source| DirectoryError::Malformed {
            what: WHAT_CERT,
            source,
        })?;
        AgencyCertificate::from_bytes(&self.sign_document(TYP_CERTIFICATE, payload))
    }

    /// Signs a revocation of the certificate with `serial`, effective from `revoked_at`
    /// (certificates are untrusted for every `now >= revoked_at`). `reason` is a token
    /// `[a-z0-9._-]{1,64}`, e.g. `key_compromise` or `superseded` (spec/directory.md §4).
    pub fn revoke(
        &self,
        serial: Serial,
        revoked_at: u64,
        reason: &str,
    ) -> Result<CertificateRevocation, DirectoryError> {
        let wire = RevocationWire {
            serial: serial.0,
            revoked_at,
            reason: reason.to_owned(),
        };
        wire.validate()?;
        let payload = codec::to_vec(&wire).map_err(|source| DirectoryError::Malformed {
            what: WHAT_REV,
            source,
        })?;
        CertificateRevocation::from_bytes(&self.sign_document(TYP_REVOCATION, payload))
    }

    /// The anchor's Ed25519 signature over `message` (a `Sig_structure`).
    pub(super) fn signature_over(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// `COSE_Sign1 {1: -19, 4: anchor kid, 16: typ}` over `payload`.
    pub(super) fn sign_document(&self, typ: &str, payload: Vec<u8>) -> Vec<u8> {
        let mut pm = Map::new();
        // Distinct constant labels: insertion cannot fail.
        let _ = pm.insert(Value::from(label::ALG), Value::from(alg::ED25519));
        let _ = pm.insert(Value::from(label::KID), Value::bytes(self.kid().as_bytes()));
        let _ = pm.insert(Value::from(label::TYP), Value::from(typ));
        let protected = ProtectedHeader::new(pm);
        let tbs = cose::sig_structure(protected.as_bytes(), &[], &payload);
        let signature = self.signature_over(&tbs).to_vec();
        Sign1 {
            protected,
            unprotected: Map::new(),
            payload,
            signature,
        }
        .to_bytes()
    }
}

impl fmt::Debug for AnchorKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnchorKeys")
            .field("name", &self.public.name)
            .field("kid", &self.public.kid())
            .finish_non_exhaustive()
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
    use crate::codec::{self, Value};
    use crate::directory::Role;
    use crate::directory::testkit::*;
    use crate::keys::PublicBundle;

    #[test]
    fn issue_normalises_roles_and_refuses_bad_requests() {
        let a = anchor(1);
        let k = agency(2);
        let req = CertificateRequest {
            agency_id: "county-probation".into(),
            name: "County Probation".into(),
            roles: vec![Role::Probation, Role::Court, Role::Probation, Role::Parole],
            part2_program: false,
            keys: k.public().clone(),
            not_before: NOW,
            not_after: NOW + 1,
        };
        let c = a.issue_with_rng(&req, &mut rng(3)).unwrap();
        assert_eq!(c.roles(), &[Role::Court, Role::Parole, Role::Probation]);
        assert!(c.has_role(Role::Parole) && !c.has_role(Role::Police));
        assert!(c.is_justice_monitor());
        assert!(c.is_valid_at(NOW) && !c.is_valid_at(NOW + 1) && !c.is_valid_at(NOW - 1));
        for bad in [
            CertificateRequest {
                roles: vec![],
                ..req.clone()
            },
            CertificateRequest {
                agency_id: "Probation".into(),
                ..req.clone()
            },
            CertificateRequest {
                name: String::new(),
                ..req.clone()
            },
            CertificateRequest {
                not_after: NOW,
                ..req.clone()
            },
        ] {
            assert!(matches!(
                a.issue(&bad),
                Err(DirectoryError::InvalidCertificate(_))
            ));
        }
        assert!(matches!(
            a.revoke(c.serial(), NOW, "Key Compromise"),
            Err(DirectoryError::InvalidRevocation(_))
        ));
        assert!(matches!(
            a.revoke(c.serial(), NOW, ""),
            Err(DirectoryError::InvalidRevocation(_))
        ));
    }

    #[test]
    fn issuing_is_deterministic_given_the_rng() {
        let a = anchor(1);
        let k = agency(2);
        let req = CertificateRequest {
            agency_id: "lead-seattle".into(),
            name: "LEAD Seattle".into(),
            roles: vec![Role::LeadCaseManager],
            part2_program: false,
            keys: k.public().clone(),
            not_before: NOW,
            not_after: NOW + 365 * DAY,
        };
        let c1 = a.issue_with_rng(&req, &mut rng(3)).unwrap();
        let c2 = a.issue_with_rng(&req, &mut rng(3)).unwrap();
        assert_eq!(c1.as_bytes(), c2.as_bytes());
        // Ed25519 is deterministic, so identical inputs give identical certificates; the
        // parsed certificate re-encodes to the same bytes.
        let parsed = AgencyCertificate::from_bytes(c1.as_bytes()).unwrap();
        assert_eq!(parsed, c1);
        assert_eq!(parsed.to_bytes(), c1.to_bytes());
        assert!(c1.as_bytes().len() < 400, "{}", c1.as_bytes().len());
    }

    #[test]
    fn an_anchor_key_is_never_an_agency_key() {
        let a = anchor(1);
        let k = agency(2);
        // An agency bundle whose signing key is the anchor's own key.
        let reused = PublicBundle::new(a.public().key().clone(), k.public().encryption().clone());
        let req = CertificateRequest {
            agency_id: "county-it".into(),
            name: "County IT".into(),
            roles: vec![Role::Intermediary],
            part2_program: false,
            keys: reused.clone(),
            not_before: NOW,
            not_after: NOW + DAY,
        };
        assert_eq!(
            a.issue(&req).unwrap_err(),
            DirectoryError::InvalidCertificate(ANCHOR_KEY_REUSED)
        );
        let mut w = wire(&reused);
        w.agency_id = "county-it".into();
        let mut d = directory_with(&a);
        assert_eq!(
            d.add_certificate(&sign_wire(&a, &w)),
            Err(DirectoryError::InvalidCertificate(ANCHOR_KEY_REUSED))
        );
        // Another anchor's key is refused the same way once that anchor is trusted...
        let b = anchor(3);
        let other = PublicBundle::new(b.public().key().clone(), k.public().encryption().clone());
        let c = a.issue(&CertificateRequest { keys: other, ..req }).unwrap();
        let mut later = d.clone();
        d.add_anchor(b.public()).unwrap();
        assert_eq!(
            d.add_certificate(c.as_bytes()),
            Err(DirectoryError::InvalidCertificate(ANCHOR_KEY_REUSED))
        );
        // ...and an agency's key cannot become an anchor afterwards.
        later.add_certificate(c.as_bytes()).unwrap();
        assert_eq!(
            later.add_anchor(b.public()),
            Err(DirectoryError::KeyInUse {
                kid: b.kid(),
                agency_id: "county-it".into()
            })
        );
    }

    #[test]
    fn anchor_secret_hygiene() {
        let a = anchor(1);
        let secret = a.expose_secret_bytes();
        let dbg = format!("{a:?}");
        let hex: String = secret[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert!(!dbg.contains(&hex), "{dbg}");
        assert!(dbg.contains(".."), "{dbg}");
        let again = AnchorKeys::from_secret_bytes("Test County Justice IT", &secret).unwrap();
        assert_eq!(again.public(), a.public());
        assert!(AnchorKeys::from_secret_bytes("", &secret).is_err());
    }

    #[test]
    fn trust_anchor_encoding() {
        let a = anchor(1).public();
        let b = a.to_bytes();
        assert_eq!(TrustAnchor::from_bytes(&b).unwrap(), a);
        assert!(TrustAnchor::from_bytes(&[b.clone(), vec![0]].concat()).is_err());
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = codec::encode(
            &Value::map([
                (Value::from("key"), Value::bytes(identity)),
                (Value::from("name"), Value::from("x")),
            ])
            .unwrap(),
        );
        assert!(matches!(
            TrustAnchor::from_bytes(&weak),
            Err(DirectoryError::InvalidKey { .. })
        ));
        let bad_name = codec::encode(
            &Value::map([
                (Value::from("key"), Value::bytes(a.key().as_bytes())),
                (Value::from("name"), Value::from("a\u{7}b")),
            ])
            .unwrap(),
        );
        assert!(matches!(
            TrustAnchor::from_bytes(&bad_name),
            Err(DirectoryError::InvalidAnchor(_))
        ));
        assert!(matches!(
            TrustAnchor::from_bytes(&vec![0x40; MAX_ANCHOR_BYTES + 1]),
            Err(DirectoryError::TooLarge { .. })
        ));
    }
}
