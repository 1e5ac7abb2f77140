//! Agency certificates (spec/directory.md §3): what an anchor is asked to certify
//! ([`CertificateRequest`]), the payload as encoded (`CertificateWire`) with its field rules,
//! and the parsed certificate ([`AgencyCertificate`]).

use std::fmt;

use crate::codec;
use crate::keys::{EncryptionPublicKey, KeyId, PublicBundle, SigningPublicKey};

use super::fields::{is_agency_id, is_display_name, roles_are_canonical};
use super::signed::{DocumentKind, Signed, SignedDocument, decode_payload};
use super::{
    DirectoryError, MAX_CERTIFICATE_BYTES, Role, SERIAL_LEN, Serial, TYP_CERTIFICATE, TrustAnchor,
};

/// How errors name a certificate.
pub(super) const WHAT_CERT: &str = "certificate";
/// Why a certificate binding a trust anchor's key is refused (at issue and on insertion).
pub(super) const ANCHOR_KEY_REUSED: &str = "the agency's signing key is a trust anchor's key";

/// A certificate's identity: (issuing anchor, serial).
pub(super) type CertKey = (KeyId, Serial);

/// What an anchor is asked to certify (see [`AnchorKeys::issue`](super::AnchorKeys::issue)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    /// The agency's stable id, `[a-z0-9._-]{1,64}`, e.g. `county-drug-court`.
    pub agency_id: String,
    /// Display name, 1-128 bytes of UTF-8 without control or bidirectional formatting
    /// characters.
    pub name: String,
    /// The agency's roles (at least one; sorted and de-duplicated on issue).
    pub roles: Vec<Role>,
    /// Whether the agency is a federally assisted SUD program under 42 CFR Part 2.
    pub part2_program: bool,
    /// The agency's public keys.
    pub keys: PublicBundle,
    /// Start of validity, seconds since the Unix epoch (inclusive).
    pub not_before: u64,
    /// End of validity, seconds since the Unix epoch (exclusive); must exceed `not_before`.
    pub not_after: u64,
}

/// The certificate payload as encoded (spec/directory.md §3).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CertificateWire {
    #[serde(with = "codec::bytes_array")]
    pub(super) serial: [u8; SERIAL_LEN],
    pub(super) agency_id: String,
    pub(super) name: String,
    pub(super) roles: Vec<Role>,
    pub(super) part2_program: bool,
    #[serde(with = "codec::bytes_array")]
    pub(super) signing_key: [u8; 32],
    #[serde(with = "codec::bytes_array")]
    pub(super) encryption_key: [u8; 32],
    pub(super) not_before: u64,
    pub(super) not_after: u64,
}

impl CertificateWire {
    /// The field rules of spec/directory.md §3.2; the validated keys.
    pub(super) fn validate(&self) -> Result<PublicBundle, DirectoryError> {
        if !is_agency_id(&self.agency_id) {
            return Err(DirectoryError::InvalidCertificate(
                "agency_id must be 1-64 characters of a-z 0-9 . _ -",
            ));
        }
        if !is_display_name(&self.name) {
            return Err(DirectoryError::InvalidCertificate(
                "name must be 1-128 bytes without control or bidirectional formatting characters",
            ));
        }
        if !roles_are_canonical(&self.roles) {
            return Err(DirectoryError::InvalidCertificate(
                "roles must be non-empty, sorted by name and without duplicates",
            ));
        }
        if self.not_after <= self.not_before {
            return Err(DirectoryError::InvalidCertificate(
                "not_after must be later than not_before",
            ));
        }
        let signing = SigningPublicKey::from_bytes(&self.signing_key).map_err(|source| {
            DirectoryError::InvalidKey {
                which: "signing key",
                source,
            }
        })?;
        let encryption =
            EncryptionPublicKey::from_bytes(&self.encryption_key).map_err(|source| {
                DirectoryError::InvalidKey {
                    which: "encryption key",
                    source,
                }
            })?;
        Ok(PublicBundle::new(signing, encryption))
    }
}

/// An agency certificate: the exact signed bytes and the validated fields.
///
/// [`AgencyCertificate::from_bytes`] checks structure and fields but **not** the anchor's
/// signature; a certificate is trustworthy only once [`AgencyCertificate::verify`] succeeded
/// against a pinned anchor, which [`Directory::add_certificate`](super::Directory::add_certificate)
/// does. Everything a [`Directory`](super::Directory) returns has been verified.
#[derive(Clone)]
pub struct AgencyCertificate {
    doc: SignedDocument,
    serial: Serial,
    agency_id: String,
    name: String,
    roles: Vec<Role>,
    part2_program: bool,
    keys: PublicBundle,
    not_before: u64,
    not_after: u64,
}

impl Signed for AgencyCertificate {
    const KIND: DocumentKind = DocumentKind {
        what: WHAT_CERT,
        typ: TYP_CERTIFICATE,
        max: MAX_CERTIFICATE_BYTES,
    };

    fn from_payload(doc: SignedDocument, payload: &[u8]) -> Result<Self, DirectoryError> {
        let wire: CertificateWire = decode_payload(payload, WHAT_CERT)?;
        let keys = wire.validate()?;
        Ok(AgencyCertificate {
            doc,
            serial: Serial(wire.serial),
            agency_id: wire.agency_id,
            name: wire.name,
            roles: wire.roles,
            part2_program: wire.part2_program,
            keys,
            not_before: wire.not_before,
            not_after: wire.not_after,
        })
    }
}

impl AgencyCertificate {
    /// Parses a certificate strictly (spec/directory.md §6 steps 1-3 and 6): size, strict
    /// CBOR, `COSE_Sign1` profile with the certificate `typ`, payload schema, field rules and
    /// key validation (weak and low-order keys refused). The signature is **not** checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<AgencyCertificate, DirectoryError> {
        Self::parse(bytes)
    }

    /// Verifies the anchor's signature (`verify_strict`). Fails with
    /// [`DirectoryError::UnknownAnchor`] if `anchor` is not the issuer named in the `kid`.
    pub fn verify(&self, anchor: &TrustAnchor) -> Result<(), DirectoryError> {
        self.doc.verify(anchor, WHAT_CERT)
    }

    /// The exact signed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.doc.bytes
    }

    /// A copy of the exact signed bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.doc.bytes.clone()
    }

    /// Key id of the anchor that signed it.
    pub fn issuer(&self) -> KeyId {
        self.doc.issuer
    }

    /// The serial number.
    pub fn serial(&self) -> Serial {
        self.serial
    }

    /// The agency id.
    pub fn agency_id(&self) -> &str {
        &self.agency_id
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The roles, ascending by name.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Whether the certificate states `role`.
    pub(crate) fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether any of the roles is a 42 CFR §2.35 criminal-justice monitor
    /// (spec/directory.md §3.3).
    pub fn is_justice_monitor(&self) -> bool {
        self.roles.iter().any(Role::is_justice_monitor)
    }

    /// Whether the agency is a 42 CFR Part 2 program.
    pub fn part2_program(&self) -> bool {
        self.part2_program
    }

    /// The agency's public keys (validated).
    pub fn keys(&self) -> &PublicBundle {
        &self.keys
    }

    /// Start of validity (inclusive), seconds since the Unix epoch.
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// End of validity (exclusive), seconds since the Unix epoch.
    pub fn not_after(&self) -> u64 {
        self.not_after
    }

    /// Whether `not_before <= now < not_after`. Revocation is not considered here; ask the
    /// [`Directory`](super::Directory) ([`Directory::check`](super::Directory::check)).
    pub(crate) fn is_valid_at(&self, now: u64) -> bool {
        self.not_before <= now && now < self.not_after
    }

    /// The certificate's identity in a directory: (issuer, serial).
    pub(super) fn key(&self) -> CertKey {
        (self.doc.issuer, self.serial)
    }
}

impl PartialEq for AgencyCertificate {
    fn eq(&self, other: &Self) -> bool {
        // Every field is a function of the bytes.
        self.doc.bytes == other.doc.bytes
    }
}
impl Eq for AgencyCertificate {}

impl fmt::Debug for AgencyCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgencyCertificate")
            .field("issuer", &self.doc.issuer)
            .field("serial", &self.serial)
            .field("agency_id", &self.agency_id)
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("part2_program", &self.part2_program)
            .field("signing_kid", &self.keys.signing().kid())
            .field("encryption_kid", &self.keys.encryption().kid())
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish()
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
    use crate::directory::TYP_CERTIFICATE;
    use crate::directory::testkit::*;
    use crate::keys::KeyError;

    #[test]
    fn hand_signed_wire_is_accepted() {
        let a = anchor(1);
        let k = agency(2);
        let mut d = directory_with(&a);
        d.add_certificate(&sign_wire(&a, &wire(k.public())))
            .unwrap();
        let c = d.current_certificate("county-court", NOW).unwrap();
        assert_eq!(c.serial(), Serial([9; SERIAL_LEN]));
        assert_eq!(c.keys(), k.public());
    }

    #[test]
    fn weak_and_low_order_keys_are_refused_even_when_signed() {
        let a = anchor(1);
        let k = agency(2);
        let mut d = directory_with(&a);
        // The Ed25519 identity point (small order) as the signing key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut w = wire(k.public());
        w.signing_key = identity;
        assert_eq!(
            d.add_certificate(&sign_wire(&a, &w)),
            Err(DirectoryError::InvalidKey {
                which: "signing key",
                source: KeyError::WeakSigningKey
            })
        );
        // X25519 low-order points as the encryption key.
        for u in [[0u8; 32], identity] {
            let mut w = wire(k.public());
            w.encryption_key = u;
            assert_eq!(
                d.add_certificate(&sign_wire(&a, &w)),
                Err(DirectoryError::InvalidKey {
                    which: "encryption key",
                    source: KeyError::LowOrderEncryptionKey
                })
            );
        }
        // Not a curve point at all (y = 2 has no x on Ed25519).
        let mut w = wire(k.public());
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        w.signing_key = off_curve;
        assert!(matches!(
            d.add_certificate(&sign_wire(&a, &w)),
            Err(DirectoryError::InvalidKey { .. })
        ));
        assert_eq!(d.certificates().count(), 0);
    }

    #[test]
    fn field_rules_are_enforced_on_signed_certificates() {
        let a = anchor(1);
        let k = agency(2);
        let mut d = directory_with(&a);
        let cases: Vec<(&str, Box<dyn Fn(&mut CertificateWire)>)> = vec![
            ("empty roles", Box::new(|w| w.roles.clear())),
            (
                "unsorted roles",
                Box::new(|w| w.roles = vec![Role::Police, Role::Court]),
            ),
            (
                "duplicate roles",
                Box::new(|w| w.roles = vec![Role::Court, Role::Court]),
            ),
            ("empty agency id", Box::new(|w| w.agency_id.clear())),
            (
                "upper-case agency id",
                Box::new(|w| w.agency_id = "County-Court".into()),
            ),
            (
                "agency id with a space",
                Box::new(|w| w.agency_id = "county court".into()),
            ),
            ("long agency id", Box::new(|w| w.agency_id = "a".repeat(65))),
            ("empty name", Box::new(|w| w.name.clear())),
            ("long name", Box::new(|w| w.name = "é".repeat(65))),
            (
                "control character in name",
                Box::new(|w| w.name = "County\nCourt".into()),
            ),
            (
                "bidi override in name",
                Box::new(|w| w.name = "County \u{202E}truoC".into()),
            ),
            ("empty validity", Box::new(|w| w.not_after = w.not_before)),
            (
                "inverted validity",
                Box::new(|w| w.not_after = w.not_before - 1),
            ),
        ];
        for (what, f) in cases {
            let mut w = wire(k.public());
            f(&mut w);
            let e = d.add_certificate(&sign_wire(&a, &w)).unwrap_err();
            assert!(
                matches!(e, DirectoryError::InvalidCertificate(_)),
                "{what}: {e:?}"
            );
        }
        // Limits are inclusive.
        let mut w = wire(k.public());
        w.agency_id = "a".repeat(64);
        w.name = "n".repeat(128);
        d.add_certificate(&sign_wire(&a, &w)).unwrap();
    }

    #[test]
    fn payload_schema_is_strict() {
        let a = anchor(1);
        let k = agency(2);
        let d = directory_with(&a);
        let base = codec::to_value(&wire(k.public())).unwrap();
        let with = |f: &dyn Fn(&mut Vec<(Value, Value)>)| -> Vec<u8> {
            let mut entries: Vec<(Value, Value)> = base
                .as_map()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            f(&mut entries);
            codec::encode(&Value::map(entries).unwrap())
        };
        let unknown_field = with(&|e| e.push((Value::from("zone"), Value::from(1u64))));
        let missing_field = with(&|e| e.retain(|(k, _)| k.as_text() != Some("part2_program")));
        let unknown_role = with(&|e| {
            for (k, v) in e.iter_mut() {
                if k.as_text() == Some("roles") {
                    *v = Value::Array(vec![Value::from("judge")]);
                }
            }
        });
        let short_serial = with(&|e| {
            for (k, v) in e.iter_mut() {
                if k.as_text() == Some("serial") {
                    *v = Value::bytes([1u8; 15]);
                }
            }
        });
        let negative_time = with(&|e| {
            for (k, v) in e.iter_mut() {
                if k.as_text() == Some("not_before") {
                    *v = Value::from(-1i64);
                }
            }
        });
        let not_a_map = codec::encode(&Value::Array(vec![]));
        // Keys out of order: swap the first two entries of the encoded map by hand.
        let good = codec::to_vec(&wire(k.public())).unwrap();
        let mut unsorted = vec![0xa9];
        let v = codec::decode(&good).unwrap();
        let entries: Vec<_> = v.as_map().unwrap().iter().collect();
        for (k, v) in [entries[1], entries[0]]
            .into_iter()
            .chain(entries[2..].iter().copied())
        {
            codec::encode_into(k, &mut unsorted);
            codec::encode_into(v, &mut unsorted);
        }
        for (what, payload) in [
            ("unknown field", unknown_field),
            ("missing field", missing_field),
            ("unknown role", unknown_role),
            ("short serial", short_serial),
            ("negative time", negative_time),
            ("not a map", not_a_map),
            ("unsorted keys", unsorted),
            ("trailing byte", [good.clone(), vec![0]].concat()),
        ] {
            let bytes = sign_payload(&a, TYP_CERTIFICATE, payload);
            let mut d = d.clone();
            let e = d.add_certificate(&bytes).unwrap_err();
            assert!(
                matches!(e, DirectoryError::Malformed { .. }),
                "{what}: {e:?}"
            );
            assert!(AgencyCertificate::from_bytes(&bytes).is_err(), "{what}");
        }
    }
}
