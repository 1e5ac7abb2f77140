//! Signing and verifying consents (spec/consent.md §4): the `COSE_Sign` with one signature
//! per keyed signer, the witness's certification, and the [`VerifiedConsent`] that
//! verification alone produces.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::codec::{self, Map, Value};
use crate::cose::{self, ProtectedHeader, alg, label};
use crate::directory::{AgencyCertificate, Directory, DirectoryError};
use crate::keys::{KeyId, SigningPublicKey, StatementSigner};

use super::{
    CONSENT_TYP, Capacity, ConsentDirective, ConsentError, LIMITS, MAX_CLOCK_SKEW,
    MAX_CONSENT_BYTES, Signer,
};

/// The body protected bucket of a signed consent: `{16: typ}`.
fn typ_header(typ: &str) -> ProtectedHeader {
    let mut m = Map::new();
    let _ = m.insert(Value::from(label::TYP), Value::from(typ));
    ProtectedHeader::new(m)
}

/// A consent signature's protected bucket: `{1: -19, 4: kid}`.
fn signer_header(kid: &KeyId) -> ProtectedHeader {
    let mut m = Map::new();
    let _ = m.insert(Value::from(label::ALG), Value::from(alg::ED25519));
    let _ = m.insert(Value::from(label::KID), Value::bytes(kid.as_bytes()));
    ProtectedHeader::new(m)
}

/// The kid of a consent signature's protected bucket, which must be exactly `{1: -19, 4: kid}`.
fn signer_kid(h: &ProtectedHeader) -> Result<KeyId, ConsentError> {
    let m = h.map();
    if m.len() != 2 || m.get_label(label::ALG).and_then(Value::as_i64) != Some(alg::ED25519) {
        return Err(ConsentError::Structure(
            "each signature must have exactly alg Ed25519 (-19) and kid",
        ));
    }
    m.get_label(label::KID)
        .and_then(Value::as_bytes)
        .and_then(|b| KeyId::from_bytes(b).ok())
        .ok_or(ConsentError::Structure(
            "signature kid must be a 16-byte key id",
        ))
}

/// A signed consent: the exact `COSE_Sign` bytes, and the directive they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedConsent {
    bytes: Vec<u8>,
    directive: ConsentDirective,
}

impl SignedConsent {
    /// Validates `directive` and signs it with one key per listed signer (the witnessing
    /// agency's keys included). Wet-ink signers need no key.
    pub fn sign(
        directive: &ConsentDirective,
        keys: &[&dyn StatementSigner],
    ) -> Result<SignedConsent, ConsentError> {
        directive.validate()?;
        let payload = codec::to_vec(directive)?;
        let mut msg = cose::Sign {
            protected: typ_header(CONSENT_TYP),
            unprotected: Map::new(),
            payload,
            signatures: Vec::new(),
        };
        for s in &directive.signers {
            let Some(pk) = s.key else { continue };
            let key = keys
                .iter()
                .find(|k| *k.signing_public().as_bytes() == pk)
                .ok_or(ConsentError::MissingSignerKey {
                    capacity: s.capacity,
                })?;
            let protected = signer_header(&key.signing_public().kid());
            let signature = key
                .sign_message(&msg.to_be_signed(protected.as_bytes(), &[]))
                .to_vec();
            msg.signatures.push(cose::Signature {
                protected,
                unprotected: Map::new(),
                signature,
            });
        }
        Ok(SignedConsent {
            bytes: msg.to_bytes(),
            directive: directive.clone(),
        })
    }

    /// The signed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses, checks every signature and the witness's certificate, and re-validates the
    /// directive. The witness is judged at the consent's `signed_at` (spec/consent.md §4.4);
    /// `now` bounds `signed_at` (a consent dated in the future is refused).
    pub fn verify(
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedConsent, ConsentError> {
        if bytes.len() > MAX_CONSENT_BYTES {
            return Err(ConsentError::TooLarge {
                size: bytes.len(),
                limit: MAX_CONSENT_BYTES,
            });
        }
        let v = codec::decode_with(bytes, &LIMITS)?;
        let msg = cose::Sign::from_value(&v, true, &LIMITS).map_err(|e| match e {
            cose::CoseError::Codec(c) => ConsentError::Malformed(c),
            cose::CoseError::Structure(s) => ConsentError::Structure(s),
            _ => ConsentError::Structure("invalid COSE_Sign"),
        })?;
        if msg.protected.map().len() != 1
            || msg
                .protected
                .map()
                .get_label(label::TYP)
                .and_then(Value::as_text)
                != Some(CONSENT_TYP)
            || !msg.unprotected.is_empty()
        {
            return Err(ConsentError::Structure(
                "not a divex consent (protected typ must be application/divex-consent+cbor)",
            ));
        }
        let directive: ConsentDirective = codec::from_slice_with(&msg.payload, &LIMITS)?;
        directive.validate()?;

        // One signature per keyed signer, in signer order, and nothing else.
        let keyed: Vec<&Signer> = directive
            .signers
            .iter()
            .filter(|s| s.key.is_some())
            .collect();
        if msg.signatures.len() != keyed.len() {
            return Err(if msg.signatures.len() > keyed.len() {
                ConsentError::UnexpectedSigner
            } else {
                ConsentError::BadSignature {
                    capacity: keyed
                        .get(msg.signatures.len())
                        .map_or(Capacity::Patient, |s| s.capacity),
                }
            });
        }
        if directive.signed_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(ConsentError::FutureDated {
                what: "consent",
                at: directive.signed_at,
                now,
            });
        }
        let mut jurisdiction = None;
        for (signer, sig) in keyed.iter().zip(&msg.signatures) {
            let bad = ConsentError::BadSignature {
                capacity: signer.capacity,
            };
            let pk = signer.key.as_ref().ok_or(bad.clone())?;
            let key = SigningPublicKey::from_bytes(pk).map_err(|_| bad.clone())?;
            if !sig.unprotected.is_empty() || signer_kid(&sig.protected)? != key.kid() {
                return Err(ConsentError::UnexpectedSigner);
            }
            key.verify(
                &msg.to_be_signed(sig.protected.as_bytes(), &[]),
                &sig.signature,
            )
            .map_err(|_| bad)?;
            if signer.capacity == Capacity::WitnessingAgency {
                let agency_id = signer.agency_id.clone().unwrap_or_default();
                let cert =
                    witness_certificate(directory, &key.kid(), &agency_id, directive.signed_at)?;
                jurisdiction = Some(cert.issuer());
            }
        }
        // Validation requires exactly one witnessing agency, whose certificate was found.
        let jurisdiction = jurisdiction.ok_or(ConsentError::UnexpectedSigner)?;
        let digest = Sha256::digest(bytes).into();
        Ok(VerifiedConsent {
            signed: SignedConsent {
                bytes: bytes.to_vec(),
                directive,
            },
            digest,
            jurisdiction,
        })
    }
}

/// The certificate under which the witnessing agency signed (spec/consent.md §4.4), judged
/// at the consent's own `signed_at` (spec/directory.md §7.1): issued to `agency_id` for this
/// key and valid when the consent was signed. A certificate that expired or was revoked
/// (`superseded`, `cessation_of_operation`, …) since still vouches for it: agencies rotate
/// keys, consents outlive them. But a consent is a grant, and a compromised key could have
/// back-dated one: if the key was ever reported compromised, the consent is refused
/// ([`ConsentError::SignerCompromised`]) whatever its date, and must be signed again.
fn witness_certificate<'d>(
    directory: &'d Directory,
    kid: &KeyId,
    agency_id: &str,
    signed_at: u64,
) -> Result<&'d AgencyCertificate, ConsentError> {
    let uncertified = |reason: String| ConsentError::UncertifiedWitness {
        agency_id: agency_id.to_owned(),
        reason,
    };
    let cert = directory
        .certificate_by_signing_kid(kid, signed_at)
        .map_err(|e| {
            uncertified(match e {
                DirectoryError::UnknownKey { .. } => {
                    "no certificate in the directory has this key".into()
                }
                DirectoryError::Revoked {
                    revoked_at, reason, ..
                } => format!(
                    "its certificate was revoked at {revoked_at} ({reason}), before the consent was signed"
                ),
                _ => "its certificate was not valid when the consent was signed".into(),
            })
        })?;
    if cert.agency_id() != agency_id {
        return Err(uncertified("the key is certified to another agency".into()));
    }
    if let Some(compromised_at) = directory.key_compromised_at(kid) {
        return Err(ConsentError::SignerCompromised {
            agency_id: agency_id.to_owned(),
            compromised_at,
        });
    }
    Ok(cert)
}

/// A consent whose signatures, witness certificate and required elements were checked.
/// Only [`SignedConsent::verify`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedConsent {
    signed: SignedConsent,
    digest: [u8; 32],
    /// The anchor that certified the witnessing agency (spec/directory.md §3.3).
    jurisdiction: KeyId,
}

impl VerifiedConsent {
    /// The directive.
    pub fn directive(&self) -> &ConsentDirective {
        &self.signed.directive
    }

    /// The exact signed bytes (the consent copy attached to disclosures).
    pub fn as_bytes(&self) -> &[u8] {
        &self.signed.bytes
    }

    /// SHA-256 of the signed bytes (the consent reference digest).
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The consent id.
    pub fn id(&self) -> &str {
        &self.signed.directive.id
    }

    /// The consent's jurisdiction: the key id of the trust anchor that certified its
    /// witnessing agency. Parties named by role are agencies that anchor certified
    /// (spec/directory.md §3.3).
    pub(crate) fn jurisdiction(&self) -> &KeyId {
        &self.jurisdiction
    }
}

impl fmt::Display for VerifiedConsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.directive();
        write!(
            f,
            "consent {} v{} ({})",
            d.id,
            d.version,
            d.regime.citation()
        )
    }
}
