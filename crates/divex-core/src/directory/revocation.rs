//! Certificate revocations (spec/directory.md §4): an anchor's signed statement that one of
//! its certificates is untrusted from a given time on.

use std::fmt;

use crate::codec;
use crate::keys::KeyId;

use super::fields::is_id_token;
use super::signed::{DocumentKind, Signed, SignedDocument, decode_payload};
use super::{
    DirectoryError, MAX_REASON_LEN, MAX_REVOCATION_BYTES, SERIAL_LEN, Serial, TYP_REVOCATION,
    TrustAnchor,
};

/// How errors name a revocation.
pub(super) const WHAT_REV: &str = "revocation";

/// The revocation payload as encoded (spec/directory.md §4).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RevocationWire {
    #[serde(with = "codec::bytes_array")]
    pub(super) serial: [u8; SERIAL_LEN],
    pub(super) revoked_at: u64,
    pub(super) reason: String,
}

impl RevocationWire {
    /// The field rule of spec/directory.md §4: the reason is a token.
    pub(super) fn validate(&self) -> Result<(), DirectoryError> {
        if !is_id_token(&self.reason, MAX_REASON_LEN) {
            return Err(DirectoryError::InvalidRevocation(
                "reason must be 1-64 characters of a-z 0-9 . _ -",
            ));
        }
        Ok(())
    }
}

/// A signed statement by an anchor that its certificate `serial` is untrusted from
/// `revoked_at` on.
///
/// As with certificates, [`CertificateRevocation::from_bytes`] does not check the signature;
/// [`Directory::add_revocation`](super::Directory::add_revocation) does.
#[derive(Clone)]
pub struct CertificateRevocation {
    doc: SignedDocument,
    serial: Serial,
    revoked_at: u64,
    reason: String,
}

impl Signed for CertificateRevocation {
    const KIND: DocumentKind = DocumentKind {
        what: WHAT_REV,
        typ: TYP_REVOCATION,
        max: MAX_REVOCATION_BYTES,
    };

    fn from_payload(doc: SignedDocument, payload: &[u8]) -> Result<Self, DirectoryError> {
        let wire: RevocationWire = decode_payload(payload, WHAT_REV)?;
        wire.validate()?;
        Ok(CertificateRevocation {
            doc,
            serial: Serial(wire.serial),
            revoked_at: wire.revoked_at,
            reason: wire.reason,
        })
    }
}

impl CertificateRevocation {
    /// Parses a revocation strictly (structure, `typ`, payload schema, reason token). The
    /// signature is **not** checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<CertificateRevocation, DirectoryError> {
        Self::parse(bytes)
    }

    /// Verifies the anchor's signature; [`DirectoryError::UnknownAnchor`] if `anchor` is not
    /// the signer named in the `kid`.
    pub fn verify(&self, anchor: &TrustAnchor) -> Result<(), DirectoryError> {
        self.doc.verify(anchor, WHAT_REV)
    }

    /// The exact signed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.doc.bytes
    }

    /// A copy of the exact signed bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.doc.bytes.clone()
    }

    /// Key id of the anchor that signed it (only that anchor's certificates are affected).
    pub fn issuer(&self) -> KeyId {
        self.doc.issuer
    }

    /// The revoked certificate's serial.
    pub fn serial(&self) -> Serial {
        self.serial
    }

    /// From when the certificate is untrusted (inclusive), seconds since the Unix epoch.
    pub fn revoked_at(&self) -> u64 {
        self.revoked_at
    }

    /// The reason code.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Whether the revocation is in effect at `now` (`now >= revoked_at`).
    pub(crate) fn is_effective_at(&self, now: u64) -> bool {
        now >= self.revoked_at
    }
}

impl PartialEq for CertificateRevocation {
    fn eq(&self, other: &Self) -> bool {
        self.doc.bytes == other.doc.bytes
    }
}
impl Eq for CertificateRevocation {}

impl fmt::Debug for CertificateRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateRevocation")
            .field("issuer", &self.doc.issuer)
            .field("serial", &self.serial)
            .field("revoked_at", &self.revoked_at)
            .field("reason", &self.reason)
            .finish()
    }
}
