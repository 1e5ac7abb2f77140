//! The agency directory (spec/directory.md): trust anchors, the agency certificates they
//! issue, the revocations they sign, and offline queries against a caller-supplied time.
//!
//! * A **trust anchor** (a county's justice-IT authority, say) holds an Ed25519 key
//!   ([`AnchorKeys`]); agencies pin its public half ([`TrustAnchor`]) out of band.
//! * An **agency certificate** ([`AgencyCertificate`]) is a `COSE_Sign1` by the anchor binding an
//!   agency id, a display name, roles, the 42 CFR Part 2 program flag, the agency's signing and
//!   encryption public keys and a validity period. Its protected header carries
//!   `typ` (label 16, RFC 9596) = `"application/divex-certificate+cbor"`, so it can never be
//!   mistaken for a revocation, a consent or an envelope's signed inner message.
//! * A **revocation** ([`CertificateRevocation`]) is a `COSE_Sign1` by the same anchor naming a
//!   certificate serial and the time from which it is no longer trusted.
//! * A [`Directory`] holds all three, verifies every certificate and revocation when it is
//!   added, answers "who is this key?" and "what is this agency's current certificate?" for a
//!   given `now`, and implements [`SenderResolver`] for [`envelope::open`](crate::envelope::open).
//!   Its bundle encoding ([`Directory::to_bytes`]) is what the CLI imports and exports.
//!
//! Key rotation is a new certificate for the same agency id; the old certificate stays valid
//! (for verifying old signatures and finding the key that opens old envelopes) until it
//! expires or is revoked.
//!
//! ```
//! use divex_core::directory::{AnchorKeys, CertificateRequest, Directory, Role};
//! use divex_core::envelope::{self, ConsentRef, Disclosure, SenderResolver};
//! use divex_core::keys::AgencyKeys;
//!
//! let now = 1_790_000_000;
//! // The county's justice-IT authority issues certificates to two agencies.
//! let anchor = AnchorKeys::generate("Example County Justice IT")?;
//! let provider = AgencyKeys::generate();
//! let court = AgencyKeys::generate();
//! let provider_cert = anchor.issue(&CertificateRequest {
//!     agency_id: "county-treatment-program".into(),
//!     name: "County Treatment Program".into(),
//!     roles: vec![Role::TreatmentProvider],
//!     part2_program: true,
//!     keys: provider.public().clone(),
//!     not_before: now - 86_400,
//!     not_after: now + 365 * 86_400,
//! })?;
//! let court_cert = anchor.issue(&CertificateRequest {
//!     agency_id: "county-drug-court".into(),
//!     name: "County Drug Court".into(),
//!     roles: vec![Role::Court],
//!     part2_program: false,
//!     keys: court.public().clone(),
//!     not_before: now - 86_400,
//!     not_after: now + 365 * 86_400,
//! })?;
//!
//! // Every agency pins the anchor and loads the certificates.
//! let mut directory = Directory::new();
//! directory.add_anchor(anchor.public())?;
//! directory.add_certificate(provider_cert.as_bytes())?;
//! directory.add_certificate(court_cert.as_bytes())?;
//!
//! // The provider looks up the court's current keys and seals to them...
//! let recipient = directory.current_certificate("county-drug-court", now)?;
//! assert!(recipient.is_justice_monitor());
//! let disclosure = Disclosure {
//!     purpose: "cj-monitor-conditional-release".into(),
//!     consent: ConsentRef { id: "consent-2026-0042".into(), digest: [7; 32] },
//!     record_type: "drug_test".into(),
//!     labels: vec!["42CFRPart2".into()],
//!     notice: "part2-short".into(),
//!     redacted: vec![],
//! };
//! let sealed = envelope::seal(&provider, &[recipient.keys().clone()], &disclosure, b"negative", now)?;
//!
//! // ...and the court resolves the signer through the directory when it opens the envelope.
//! let sender = directory.resolve(&provider.public().signing().kid(), now)?;
//! assert_eq!(sender.agency_id, "county-treatment-program");
//! let opened = envelope::open(&sealed, &court, &directory, now)?;
//! assert_eq!(opened.sender.agency_id, "county-treatment-program");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signer, SigningKey};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::codec::{self, CodecError, DecodeLimits, Map, Value};
use crate::cose::{self, ProtectedHeader, Sign1, alg, label};
use crate::envelope::{ResolveError, Sender, SenderResolver};
use crate::keys::{EncryptionPublicKey, KeyError, KeyId, PublicBundle, SigningPublicKey};

// ---------------------------------------------------------------------------------------------
// Constants (spec/directory.md §2, §9)

/// `typ` of an agency certificate.
pub const TYP_CERTIFICATE: &str = "application/divex-certificate+cbor";
/// `typ` of a certificate revocation.
pub const TYP_REVOCATION: &str = "application/divex-revocation+cbor";
/// Value of the `"typ"` entry of a directory bundle.
pub const TYP_DIRECTORY: &str = "application/divex-directory+cbor";

/// Length of a certificate serial number.
pub const SERIAL_LEN: usize = 16;
/// Longest agency id, in bytes (`[a-z0-9._-]{1,64}`).
pub const MAX_AGENCY_ID_LEN: usize = 64;
/// Longest display name (agency or anchor), in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 128;
/// Longest revocation reason, in bytes (`[a-z0-9._-]{1,64}`).
pub const MAX_REASON_LEN: usize = 64;
/// Largest encoded certificate.
pub const MAX_CERTIFICATE_BYTES: usize = 4 * 1024;
/// Largest encoded revocation.
pub const MAX_REVOCATION_BYTES: usize = 1024;
/// Largest encoded trust anchor.
pub const MAX_ANCHOR_BYTES: usize = 512;
/// Largest directory bundle.
pub const MAX_DIRECTORY_BYTES: usize = 4 * 1024 * 1024;
/// Most trust anchors in one directory.
pub const MAX_ANCHORS: usize = 64;
/// Most entries (anchors, certificates and revocations together) in one directory.
pub const MAX_ENTRIES: usize = 10_000;

/// Decoding bounds for a certificate or revocation (tag → array → payload map → roles).
const SIGNED_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_CERTIFICATE_BYTES,
    max_depth: 4,
    max_items: 16,
    max_string: MAX_CERTIFICATE_BYTES,
};

/// Decoding bounds for a directory bundle (map → array → anchor map).
const BUNDLE_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_DIRECTORY_BYTES,
    max_depth: 3,
    max_items: MAX_ENTRIES,
    max_string: MAX_CERTIFICATE_BYTES,
};

/// Decoding bounds for a trust anchor on its own.
const ANCHOR_LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_ANCHOR_BYTES,
    max_depth: 1,
    max_items: 2,
    max_string: MAX_ANCHOR_BYTES,
};

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a certificate, revocation, anchor or directory was refused, or a query found no
/// trustworthy answer. Messages are for operators and never contain secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The input is larger than the limit for its kind.
    #[error("the {what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was too large ("certificate", "revocation", "trust anchor", "directory").
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not strict divex CBOR or do not match the schema.
    #[error("the {what} is not valid divex CBOR ({source}); it is corrupted or forged")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What the codec found.
        source: CodecError,
    },
    /// The CBOR is well-formed but not the structure the format requires.
    #[error("the {what} does not have the divex structure: {reason}")]
    Structure {
        /// What was being read.
        what: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A signed divex object of another kind (or no divex `typ` at all) was given.
    #[error("expected a {expected}, but this is {found}")]
    WrongType {
        /// The kind that was expected.
        expected: &'static str,
        /// What was found ("a certificate revocation", "an object of another type", ...).
        found: &'static str,
    },
    /// Signed by a key that is not one of the directory's trust anchors.
    #[error("the {what} is signed by key {kid}, which is not a trusted anchor in this directory")]
    UnknownAnchor {
        /// What was signed.
        what: &'static str,
        /// The signer's key id.
        kid: KeyId,
    },
    /// The anchor's signature does not verify: the object was altered or forged.
    #[error("the trust anchor's signature on the {what} is invalid; it was altered or forged")]
    BadSignature {
        /// What was signed.
        what: &'static str,
    },
    /// A certificate field violates spec/directory.md §3 (also refused when issuing).
    #[error("invalid certificate: {0}")]
    InvalidCertificate(&'static str),
    /// A key in a certificate is not acceptable (not a point, weak, low order).
    #[error("invalid certificate: the {which} is unusable ({source})")]
    InvalidKey {
        /// "signing key" or "encryption key".
        which: &'static str,
        /// Why.
        source: KeyError,
    },
    /// A revocation field violates spec/directory.md §4.
    #[error("invalid revocation: {0}")]
    InvalidRevocation(&'static str),
    /// A trust anchor field violates spec/directory.md §5.
    #[error("invalid trust anchor: {0}")]
    InvalidAnchor(&'static str),
    /// A role name that divex does not know.
    #[error("unknown role (expected one of {expected})")]
    UnknownRole {
        /// The role names divex accepts.
        expected: &'static str,
    },
    /// A different anchor with the same key, or the same anchor under another name, is
    /// already present.
    #[error("trust anchor {kid} is already in the directory under another name")]
    DuplicateAnchor {
        /// The anchor's key id.
        kid: KeyId,
    },
    /// A different certificate with the same issuer and serial is already present.
    #[error("a different certificate with serial {serial} from the same anchor is already present")]
    DuplicateSerial {
        /// The serial.
        serial: Serial,
    },
    /// The certificate's key is already certified for a different agency.
    #[error(
        "key {kid} is already certified for agency '{agency_id}'; an agency's keys are its own"
    )]
    KeyInUse {
        /// The key id (signing or encryption).
        kid: KeyId,
        /// The agency it is certified for.
        agency_id: String,
    },
    /// The agency id is already certified by a different trust anchor.
    #[error("agency '{agency_id}' is already certified by another trust anchor ({anchor})")]
    AgencyConflict {
        /// The agency id.
        agency_id: String,
        /// Key id of the anchor that certified it first.
        anchor: KeyId,
    },
    /// The directory is at its size limit.
    #[error("the directory is full ({limit}); it cannot take this {what}")]
    Full {
        /// What could not be added.
        what: &'static str,
        /// The limit that was reached, as text.
        limit: &'static str,
    },
    /// No certificate for this agency id.
    #[error("agency '{agency_id}' is not in the directory")]
    UnknownAgency {
        /// The agency id asked for.
        agency_id: String,
    },
    /// No certificate has a key with this id.
    #[error("no certificate in the directory has key {kid}")]
    UnknownKey {
        /// The key id asked for.
        kid: KeyId,
    },
    /// The certificate expired (`now >= not_after`).
    #[error(
        "the certificate of agency '{agency_id}' (serial {serial}) expired at {not_after} (Unix time)"
    )]
    Expired {
        /// The agency.
        agency_id: String,
        /// The certificate.
        serial: Serial,
        /// When it expired.
        not_after: u64,
    },
    /// The certificate is not valid yet (`now < not_before`).
    #[error(
        "the certificate of agency '{agency_id}' (serial {serial}) is not valid until {not_before} (Unix time)"
    )]
    NotYetValid {
        /// The agency.
        agency_id: String,
        /// The certificate.
        serial: Serial,
        /// When it becomes valid.
        not_before: u64,
    },
    /// The certificate was revoked (`now >= revoked_at`).
    #[error(
        "the certificate of agency '{agency_id}' (serial {serial}) was revoked at {revoked_at} (Unix time), reason: {reason}"
    )]
    Revoked {
        /// The agency.
        agency_id: String,
        /// The certificate.
        serial: Serial,
        /// When the revocation took effect.
        revoked_at: u64,
        /// The anchor's reason code.
        reason: String,
    },
}

impl DirectoryError {
    /// A stable class name for bindings and spec vectors (spec/directory.md §8).
    pub fn class(&self) -> &'static str {
        match self {
            DirectoryError::TooLarge { .. } => "too_large",
            DirectoryError::Malformed { .. } => "malformed",
            DirectoryError::Structure { .. } => "structure",
            DirectoryError::WrongType { .. } => "wrong_type",
            DirectoryError::UnknownAnchor { .. } => "unknown_anchor",
            DirectoryError::BadSignature { .. } => "bad_signature",
            DirectoryError::InvalidCertificate(_) => "invalid_certificate",
            DirectoryError::InvalidKey { .. } => "invalid_key",
            DirectoryError::InvalidRevocation(_) => "invalid_revocation",
            DirectoryError::InvalidAnchor(_) => "invalid_anchor",
            DirectoryError::UnknownRole { .. } => "unknown_role",
            DirectoryError::DuplicateAnchor { .. } => "duplicate_anchor",
            DirectoryError::DuplicateSerial { .. } => "duplicate_serial",
            DirectoryError::KeyInUse { .. } => "key_in_use",
            DirectoryError::AgencyConflict { .. } => "agency_conflict",
            DirectoryError::Full { .. } => "full",
            DirectoryError::UnknownAgency { .. } => "unknown_agency",
            DirectoryError::UnknownKey { .. } => "unknown_key",
            DirectoryError::Expired { .. } => "expired",
            DirectoryError::NotYetValid { .. } => "not_yet_valid",
            DirectoryError::Revoked { .. } => "revoked",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

/// What an agency is, as its certificate states. Encoded as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// A court (e.g. a drug or treatment court).
    Court,
    /// A prosecutor's office.
    Prosecutor,
    /// A probation department.
    Probation,
    /// A parole authority.
    Parole,
    /// A police department.
    Police,
    /// A LEAD (Let Everyone Advance with Dignity) case-management program.
    LeadCaseManager,
    /// A treatment provider (often a 42 CFR Part 2 program).
    TreatmentProvider,
    /// A relay or other intermediary that routes envelopes it cannot read.
    Intermediary,
}

impl Role {
    /// Every role, in the encoding order of spec/directory.md §3 (ascending by name).
    pub const ALL: [Role; 8] = [
        Role::Court,
        Role::Intermediary,
        Role::LeadCaseManager,
        Role::Parole,
        Role::Police,
        Role::Probation,
        Role::Prosecutor,
        Role::TreatmentProvider,
    ];

    const NAMES: &'static str = "court, intermediary, lead_case_manager, parole, police, \
                                 probation, prosecutor, treatment_provider";

    /// The role's name as encoded in certificates (`"lead_case_manager"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Court => "court",
            Role::Prosecutor => "prosecutor",
            Role::Probation => "probation",
            Role::Parole => "parole",
            Role::Police => "police",
            Role::LeadCaseManager => "lead_case_manager",
            Role::TreatmentProvider => "treatment_provider",
            Role::Intermediary => "intermediary",
        }
    }

    /// The role with this exact name, if any.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role is one of the criminal-justice recipients that 42 CFR §2.35 allows a
    /// Part 2 program to disclose to for monitoring a referred patient: court, prosecutor,
    /// probation, parole.
    pub fn is_justice_monitor(&self) -> bool {
        matches!(
            self,
            Role::Court | Role::Prosecutor | Role::Probation | Role::Parole
        )
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Roles order by the bytes of their names, the order in which certificates list them.
impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().as_bytes().cmp(other.as_str().as_bytes())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Role, DirectoryError> {
        Role::parse(s).ok_or(DirectoryError::UnknownRole {
            expected: Role::NAMES,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Serial

/// A certificate serial number: 16 random bytes chosen by the issuing anchor.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(pub [u8; SERIAL_LEN]);

impl Serial {
    /// Lower-case hex, as shown to operators.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A serial from its bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Serial> {
        b.try_into().ok().map(Serial)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

// ---------------------------------------------------------------------------------------------
// Field rules

fn is_id_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Unicode bidirectional formatting characters: refused in display names so that a name
/// cannot render as another agency's name in an operator's console ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

fn is_display_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && !s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Checks the roles of a certificate: non-empty, ascending by name, no duplicates.
fn roles_are_canonical(roles: &[Role]) -> bool {
    !roles.is_empty() && roles.windows(2).all(|w| matches!(w, [a, b] if a < b))
}

// ---------------------------------------------------------------------------------------------
// Trust anchors

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
    pub fn new(
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

    /// The anchor as a CBOR value.
    pub fn to_value(&self) -> Value {
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
    pub fn from_value(v: &Value) -> Result<TrustAnchor, DirectoryError> {
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
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<AnchorKeys, DirectoryError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_secret_bytes(name, &seed)
    }

    /// **Secret material.** Rebuilds the anchor from the 32-byte Ed25519 seed produced by
    /// [`AnchorKeys::expose_secret_bytes`]. Keep these bytes encrypted at rest (ideally offline).
    pub fn from_secret_bytes(name: &str, secret: &[u8; 32]) -> Result<AnchorKeys, DirectoryError> {
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
    pub fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public side, to be pinned by every agency.
    pub fn public(&self) -> TrustAnchor {
        self.public.clone()
    }

    /// The anchor's key id.
    pub fn kid(&self) -> KeyId {
        self.public.kid()
    }

    /// Issues a certificate with a serial from the operating system's CSPRNG.
    pub fn issue(&self, request: &CertificateRequest) -> Result<AgencyCertificate, DirectoryError> {
        self.issue_with_rng(request, &mut crate::rng::os())
    }

    /// Issues a certificate with a serial drawn from `rng`. The roles are sorted and
    /// de-duplicated; every other rule of spec/directory.md §3 is checked and refused with
    /// [`DirectoryError::InvalidCertificate`].
    pub fn issue_with_rng<R: CryptoRng + ?Sized>(
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

    /// `COSE_Sign1 {1: -19, 4: anchor kid, 16: typ}` over `payload`.
    fn sign_document(&self, typ: &str, payload: Vec<u8>) -> Vec<u8> {
        let mut pm = Map::new();
        // Distinct constant labels: insertion cannot fail.
        let _ = pm.insert(Value::from(label::ALG), Value::from(alg::ED25519));
        let _ = pm.insert(Value::from(label::KID), Value::bytes(self.kid().as_bytes()));
        let _ = pm.insert(Value::from(label::TYP), Value::from(typ));
        let protected = ProtectedHeader::new(pm);
        let tbs = cose::sig_structure(protected.as_bytes(), &[], &payload);
        let signature = self.signing.sign(&tbs).to_bytes().to_vec();
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

// ---------------------------------------------------------------------------------------------
// Signed documents (certificates and revocations share the envelope of spec/directory.md §2)

const WHAT_CERT: &str = "certificate";
const ANCHOR_KEY_REUSED: &str = "the agency's signing key is a trust anchor's key";
const WHAT_REV: &str = "revocation";

/// One type of anchor-signed document: how errors name it, its `typ`, its size limit.
struct DocumentKind {
    what: &'static str,
    typ: &'static str,
    max: usize,
}

const CERTIFICATE: DocumentKind = DocumentKind {
    what: WHAT_CERT,
    typ: TYP_CERTIFICATE,
    max: MAX_CERTIFICATE_BYTES,
};

const REVOCATION: DocumentKind = DocumentKind {
    what: WHAT_REV,
    typ: TYP_REVOCATION,
    max: MAX_REVOCATION_BYTES,
};

/// The envelope of an anchor-signed document (spec/directory.md §2), parsed and kept with its
/// exact bytes; its signature is checked by [`SignedDocument::verify`].
#[derive(Clone)]
struct SignedDocument {
    bytes: Vec<u8>,
    issuer: KeyId,
    tbs: Vec<u8>,
    signature: [u8; 64],
}

/// A document type carried in a [`SignedDocument`]: certificates and revocations.
trait Signed: Sized {
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
fn decode_payload<W: serde::de::DeserializeOwned + serde::Serialize>(
    payload: &[u8],
    what: &'static str,
) -> Result<W, DirectoryError> {
    codec::from_slice_with(payload, &SIGNED_LIMITS)
        .map_err(|source| DirectoryError::Malformed { what, source })
}

fn typ_name(typ: Option<&str>) -> &'static str {
    match typ {
        Some(TYP_CERTIFICATE) => "an agency certificate",
        Some(TYP_REVOCATION) => "a certificate revocation",
        Some(TYP_DIRECTORY) => "a directory bundle",
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
        let DocumentKind { what, typ, max } = *kind;
        if bytes.len() > max {
            return Err(DirectoryError::TooLarge {
                what,
                size: bytes.len(),
                limit: max,
            });
        }
        let limits = DecodeLimits {
            max_input: max,
            ..SIGNED_LIMITS
        };
        let v = codec::decode_with(bytes, &limits)
            .map_err(|source| DirectoryError::Malformed { what, source })?;
        let structure = |reason| DirectoryError::Structure { what, reason };
        let sign1 = Sign1::from_value(&v, true, &limits).map_err(|e| match e {
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
    fn verify(&self, anchor: &TrustAnchor, what: &'static str) -> Result<(), DirectoryError> {
        if anchor.kid() != self.issuer {
            return Err(DirectoryError::UnknownAnchor {
                what,
                kid: self.issuer,
            });
        }
        anchor
            .key
            .verify(&self.tbs, &self.signature)
            .map_err(|_| DirectoryError::BadSignature { what })
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// What an anchor is asked to certify (see [`AnchorKeys::issue`]).
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
struct CertificateWire {
    #[serde(with = "codec::bytes_array")]
    serial: [u8; SERIAL_LEN],
    agency_id: String,
    name: String,
    roles: Vec<Role>,
    part2_program: bool,
    #[serde(with = "codec::bytes_array")]
    signing_key: [u8; 32],
    #[serde(with = "codec::bytes_array")]
    encryption_key: [u8; 32],
    not_before: u64,
    not_after: u64,
}

impl CertificateWire {
    fn validate(&self) -> Result<PublicBundle, DirectoryError> {
        if !is_id_token(&self.agency_id, MAX_AGENCY_ID_LEN) {
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
/// against a pinned anchor, which [`Directory::add_certificate`] does. Everything a
/// [`Directory`] returns has been verified.
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
    const KIND: DocumentKind = CERTIFICATE;

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
    pub fn to_bytes(&self) -> Vec<u8> {
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
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether any of the roles is a 42 CFR §2.35 criminal-justice monitor
    /// ([`Role::is_justice_monitor`]).
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
    /// [`Directory`] ([`Directory::check`]).
    pub fn is_valid_at(&self, now: u64) -> bool {
        self.not_before <= now && now < self.not_after
    }

    fn key(&self) -> CertKey {
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

// ---------------------------------------------------------------------------------------------
// Revocations

/// The revocation payload as encoded (spec/directory.md §4).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationWire {
    #[serde(with = "codec::bytes_array")]
    serial: [u8; SERIAL_LEN],
    revoked_at: u64,
    reason: String,
}

impl RevocationWire {
    fn validate(&self) -> Result<(), DirectoryError> {
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
/// [`Directory::add_revocation`] does.
#[derive(Clone)]
pub struct CertificateRevocation {
    doc: SignedDocument,
    serial: Serial,
    revoked_at: u64,
    reason: String,
}

impl Signed for CertificateRevocation {
    const KIND: DocumentKind = REVOCATION;

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
    pub fn to_bytes(&self) -> Vec<u8> {
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
    pub fn is_effective_at(&self, now: u64) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Directory

/// A certificate's identity: (issuing anchor, serial).
type CertKey = (KeyId, Serial);

/// Bytes a bstr item adds to a bundle beyond its content (head of at most 3 bytes for
/// ≤ 4 KiB), used to keep the exported bundle within [`MAX_DIRECTORY_BYTES`].
const ITEM_OVERHEAD: usize = 3;
/// The bundle's fixed part: map head, keys, `typ` value, three array heads.
const BUNDLE_OVERHEAD: usize = 128;

/// Anchors, certificates and revocations, validated when added, queried offline against a
/// caller-supplied `now` (seconds since the Unix epoch).
///
/// A certificate is **valid at `now`** when its anchor is in the directory, its signature
/// verified, `not_before <= now < not_after`, and no revocation from the same anchor for its
/// serial has `revoked_at <= now` (spec/directory.md §7).
#[derive(Clone, Default)]
pub struct Directory {
    anchors: BTreeMap<KeyId, TrustAnchor>,
    certificates: BTreeMap<CertKey, AgencyCertificate>,
    revocations: BTreeMap<CertKey, Vec<CertificateRevocation>>,
    by_signing: BTreeMap<KeyId, Vec<CertKey>>,
    by_encryption: BTreeMap<KeyId, Vec<CertKey>>,
    by_agency: BTreeMap<String, Vec<CertKey>>,
    /// Upper bound of the encoded bundle size.
    size: usize,
    /// Anchors + certificates + revocations.
    entries: usize,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("anchors", &self.anchors.len())
            .field("certificates", &self.certificates.len())
            .field(
                "revocations",
                &self.revocations.values().map(Vec::len).sum::<usize>(),
            )
            .finish()
    }
}

impl Directory {
    /// An empty directory (trusting nothing).
    pub fn new() -> Directory {
        Directory::default()
    }

    fn reserve(&self, what: &'static str, bytes: usize) -> Result<(), DirectoryError> {
        if self.entries >= MAX_ENTRIES {
            return Err(DirectoryError::Full {
                what,
                limit: "10 000 entries",
            });
        }
        if BUNDLE_OVERHEAD + self.size + bytes + ITEM_OVERHEAD > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::Full {
                what,
                limit: "4 MiB",
            });
        }
        Ok(())
    }

    /// Trusts `anchor`. Adding the same anchor again is a no-op; the same key under another
    /// name is [`DirectoryError::DuplicateAnchor`]; a key already certified as an agency's
    /// signing key is [`DirectoryError::KeyInUse`].
    pub fn add_anchor(&mut self, anchor: TrustAnchor) -> Result<(), DirectoryError> {
        if let Some(existing) = self.anchors.get(&anchor.kid()) {
            return if *existing == anchor {
                Ok(())
            } else {
                Err(DirectoryError::DuplicateAnchor { kid: anchor.kid() })
            };
        }
        // An anchor's key is never an agency's key (spec/directory.md §6 step 7).
        if let Some(holder) = self
            .by_signing
            .get(&anchor.kid())
            .and_then(|keys| keys.first())
            .and_then(|k| self.certificates.get(k))
        {
            return Err(DirectoryError::KeyInUse {
                kid: anchor.kid(),
                agency_id: holder.agency_id.clone(),
            });
        }
        if self.anchors.len() >= MAX_ANCHORS {
            return Err(DirectoryError::Full {
                what: "trust anchor",
                limit: "64 trust anchors",
            });
        }
        let len = anchor.to_bytes().len();
        self.reserve("trust anchor", len)?;
        self.size += len + ITEM_OVERHEAD;
        self.entries += 1;
        self.anchors.insert(anchor.kid(), anchor);
        Ok(())
    }

    /// Verifies and adds a certificate (spec/directory.md §6): strict parse, known anchor,
    /// valid signature, field and key rules, then consistency with the directory (no other
    /// certificate with the same serial, its keys certified for no other agency, its agency
    /// id certified by no other anchor). Adding identical bytes again is a no-op. Expired
    /// certificates are accepted (they are kept for listing and never resolve).
    pub fn add_certificate(&mut self, bytes: &[u8]) -> Result<(), DirectoryError> {
        let cert = AgencyCertificate::parse_verified(bytes, &self.anchors)?;
        self.insert_certificate(cert)
    }

    fn insert_certificate(&mut self, cert: AgencyCertificate) -> Result<(), DirectoryError> {
        let key = cert.key();
        if let Some(existing) = self.certificates.get(&key) {
            return if *existing == cert {
                Ok(())
            } else {
                Err(DirectoryError::DuplicateSerial {
                    serial: cert.serial,
                })
            };
        }
        let sk = cert.keys.signing().kid();
        let ek = cert.keys.encryption().kid();
        if self.anchors.contains_key(&sk) {
            return Err(DirectoryError::InvalidCertificate(ANCHOR_KEY_REUSED));
        }
        for (index, kid) in [(&self.by_signing, sk), (&self.by_encryption, ek)] {
            for other in index.get(&kid).into_iter().flatten() {
                if let Some(o) = self.certificates.get(other)
                    && o.agency_id != cert.agency_id
                {
                    return Err(DirectoryError::KeyInUse {
                        kid,
                        agency_id: o.agency_id.clone(),
                    });
                }
            }
        }
        // A signing key must never double as an encryption key id and vice versa; kids are
        // domain-separated, so only the same-index checks above are needed.
        if let Some(first) = self.by_agency.get(&cert.agency_id).and_then(|v| v.first())
            && first.0 != cert.doc.issuer
        {
            return Err(DirectoryError::AgencyConflict {
                agency_id: cert.agency_id.clone(),
                anchor: first.0,
            });
        }
        self.reserve(WHAT_CERT, cert.doc.bytes.len())?;
        self.size += cert.doc.bytes.len() + ITEM_OVERHEAD;
        self.entries += 1;
        self.by_signing.entry(sk).or_default().push(key);
        self.by_encryption.entry(ek).or_default().push(key);
        self.by_agency
            .entry(cert.agency_id.clone())
            .or_default()
            .push(key);
        self.certificates.insert(key, cert);
        Ok(())
    }

    /// Verifies and adds a revocation signed by one of the directory's anchors. It applies to
    /// that anchor's certificate with the same serial, whether that certificate is already
    /// present or arrives later. Adding identical bytes again is a no-op.
    pub fn add_revocation(&mut self, bytes: &[u8]) -> Result<(), DirectoryError> {
        let rev = CertificateRevocation::parse_verified(bytes, &self.anchors)?;
        self.insert_revocation(rev)
    }

    fn insert_revocation(&mut self, rev: CertificateRevocation) -> Result<(), DirectoryError> {
        let key = (rev.doc.issuer, rev.serial);
        if self.revocations.get(&key).is_some_and(|v| v.contains(&rev)) {
            return Ok(());
        }
        self.reserve(WHAT_REV, rev.doc.bytes.len())?;
        self.size += rev.doc.bytes.len() + ITEM_OVERHEAD;
        self.entries += 1;
        let list = self.revocations.entry(key).or_default();
        list.push(rev);
        list.sort_by(|a, b| (a.revoked_at, &a.doc.bytes).cmp(&(b.revoked_at, &b.doc.bytes)));
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Queries

    /// Whether `cert` is valid at `now` by this directory: its anchor is trusted, no
    /// revocation is in effect, and `not_before <= now < not_after`. The error says why not
    /// ([`DirectoryError::Revoked`], [`DirectoryError::NotYetValid`],
    /// [`DirectoryError::Expired`], or [`DirectoryError::UnknownAnchor`] for a certificate
    /// this directory did not accept).
    pub fn check(&self, cert: &AgencyCertificate, now: u64) -> Result<(), DirectoryError> {
        let anchor = self
            .anchors
            .get(&cert.doc.issuer)
            .ok_or(DirectoryError::UnknownAnchor {
                what: WHAT_CERT,
                kid: cert.doc.issuer,
            })?;
        if self.certificates.get(&cert.key()) != Some(cert) {
            // Not one this directory verified: verify before answering.
            cert.verify(anchor)?;
        }
        if let Some(r) = self.effective_revocation(cert, now) {
            return Err(DirectoryError::Revoked {
                agency_id: cert.agency_id.clone(),
                serial: cert.serial,
                revoked_at: r.revoked_at,
                reason: r.reason.clone(),
            });
        }
        if now < cert.not_before {
            return Err(DirectoryError::NotYetValid {
                agency_id: cert.agency_id.clone(),
                serial: cert.serial,
                not_before: cert.not_before,
            });
        }
        if now >= cert.not_after {
            return Err(DirectoryError::Expired {
                agency_id: cert.agency_id.clone(),
                serial: cert.serial,
                not_after: cert.not_after,
            });
        }
        Ok(())
    }

    /// The earliest revocation of `cert` in effect at `now`.
    fn effective_revocation(
        &self,
        cert: &AgencyCertificate,
        now: u64,
    ) -> Option<&CertificateRevocation> {
        // Sorted by revoked_at: the first is the earliest.
        self.revocations
            .get(&cert.key())
            .and_then(|v| v.first())
            .filter(|r| r.is_effective_at(now))
    }

    /// Revocations of `cert` known to the directory (in effect or scheduled), earliest first.
    pub fn revocations_of(
        &self,
        cert: &AgencyCertificate,
    ) -> impl Iterator<Item = &CertificateRevocation> {
        self.revocations.get(&cert.key()).into_iter().flatten()
    }

    /// Picks the best certificate among `keys`: the valid one with the latest `not_before`
    /// (then latest `not_after`, then highest serial). If none is valid, the most telling
    /// reason: revoked, else expired (latest expiry), else not yet valid (earliest start).
    fn select(
        &self,
        keys: &[CertKey],
        now: u64,
    ) -> Option<Result<&AgencyCertificate, DirectoryError>> {
        let certs = keys.iter().filter_map(|k| self.certificates.get(k));
        let mut best: Option<&AgencyCertificate> = None;
        let mut failure: Option<(u8, u64, DirectoryError)> = None;
        for c in certs {
            match self.check(c, now) {
                Ok(()) => {
                    let better = best.is_none_or(|b| {
                        (c.not_before, c.not_after, c.serial)
                            > (b.not_before, b.not_after, b.serial)
                    });
                    if better {
                        best = Some(c);
                    }
                }
                Err(e) => {
                    // Lower rank and lower score win.
                    let (rank, score) = match &e {
                        DirectoryError::Revoked { .. } => (0, u64::MAX - c.not_before),
                        DirectoryError::Expired { not_after, .. } => (1, u64::MAX - not_after),
                        DirectoryError::NotYetValid { not_before, .. } => (2, *not_before),
                        _ => (3, 0),
                    };
                    if failure
                        .as_ref()
                        .is_none_or(|(r, s, _)| (rank, score) < (*r, *s))
                    {
                        failure = Some((rank, score, e));
                    }
                }
            }
        }
        match (best, failure) {
            (Some(c), _) => Some(Ok(c)),
            (None, Some((_, _, e))) => Some(Err(e)),
            (None, None) => None,
        }
    }

    /// The certificate whose signing key has id `kid` and that is valid at `now` (with
    /// renewals of the same key, the one with the latest `not_before`).
    pub fn certificate_by_signing_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        self.by_signing
            .get(kid)
            .and_then(|keys| self.select(keys, now))
            .unwrap_or(Err(DirectoryError::UnknownKey { kid: *kid }))
    }

    /// The certificate whose encryption key has id `kid` and that is valid at `now`.
    pub fn certificate_by_encryption_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        self.by_encryption
            .get(kid)
            .and_then(|keys| self.select(keys, now))
            .unwrap_or(Err(DirectoryError::UnknownKey { kid: *kid }))
    }

    /// The agency's current certificate: of those valid at `now`, the one with the latest
    /// `not_before` (the newest key after a rotation). Seal to its keys.
    pub fn current_certificate(
        &self,
        agency_id: &str,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        self.by_agency
            .get(agency_id)
            .and_then(|keys| self.select(keys, now))
            .unwrap_or_else(|| {
                Err(DirectoryError::UnknownAgency {
                    agency_id: agency_id.to_owned(),
                })
            })
    }

    /// Every certificate of the agency, valid or not, ordered by `not_before` then serial.
    pub fn certificates_for(&self, agency_id: &str) -> impl Iterator<Item = &AgencyCertificate> {
        let mut v: Vec<&AgencyCertificate> = self
            .by_agency
            .get(agency_id)
            .into_iter()
            .flatten()
            .filter_map(|k| self.certificates.get(k))
            .collect();
        v.sort_by_key(|c| (c.not_before, c.serial));
        v.into_iter()
    }

    /// The trusted anchors, by key id.
    pub fn anchors(&self) -> impl Iterator<Item = &TrustAnchor> {
        self.anchors.values()
    }

    /// Every certificate, by (anchor, serial).
    pub fn certificates(&self) -> impl Iterator<Item = &AgencyCertificate> {
        self.certificates.values()
    }

    /// Every revocation, by (anchor, serial, revoked_at).
    pub fn revocations(&self) -> impl Iterator<Item = &CertificateRevocation> {
        self.revocations.values().flatten()
    }

    // -----------------------------------------------------------------------------------------
    // Bundle

    /// The directory bundle (spec/directory.md §5): `{"typ", "anchors", "certificates",
    /// "revocations"}`, each array sorted by the bytes of its items, so equal directories
    /// always encode identically.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut anchors: Vec<(Vec<u8>, Value)> = self
            .anchors
            .values()
            .map(|a| (a.to_bytes(), a.to_value()))
            .collect();
        anchors.sort_by(|a, b| a.0.cmp(&b.0));
        let mut certs: Vec<&[u8]> = self.certificates.values().map(|c| c.as_bytes()).collect();
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
            if !self.anchors.contains_key(&a.kid()) {
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

impl SenderResolver for Directory {
    /// The agency whose certificate (valid at `now`) has signing key `kid`.
    /// [`ResolveError::Unknown`] if no certificate has that key; otherwise
    /// [`ResolveError::NotTrusted`] with the reason (expired, not yet valid, revoked).
    fn resolve(&self, kid: &KeyId, now: u64) -> Result<Sender, ResolveError> {
        match self.certificate_by_signing_kid(kid, now) {
            Ok(c) => Ok(Sender {
                agency_id: c.agency_id.clone(),
                key: c.keys.signing().clone(),
            }),
            Err(DirectoryError::UnknownKey { .. }) => Err(ResolveError::Unknown),
            Err(e) => Err(ResolveError::NotTrusted(e.to_string())),
        }
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
    use crate::keys::AgencyKeys;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const NOW: u64 = 1_790_000_000;
    const DAY: u64 = 86_400;

    fn rng(seed: u8) -> ChaCha20Rng {
        ChaCha20Rng::from_seed([seed; 32])
    }

    fn anchor(seed: u8) -> AnchorKeys {
        AnchorKeys::generate_with_rng("Test County Justice IT", &mut rng(seed)).unwrap()
    }

    fn agency(seed: u8) -> AgencyKeys {
        AgencyKeys::generate_with_rng(&mut rng(seed))
    }

    fn wire(keys: &PublicBundle) -> CertificateWire {
        CertificateWire {
            serial: [9; SERIAL_LEN],
            agency_id: "county-court".into(),
            name: "County Court".into(),
            roles: vec![Role::Court],
            part2_program: false,
            signing_key: *keys.signing().as_bytes(),
            encryption_key: *keys.encryption().as_bytes(),
            not_before: NOW - DAY,
            not_after: NOW + DAY,
        }
    }

    /// Signs a payload that bypasses the issuing checks.
    fn sign_payload(a: &AnchorKeys, typ: &str, payload: Vec<u8>) -> Vec<u8> {
        a.sign_document(typ, payload)
    }

    fn sign_wire(a: &AnchorKeys, w: &CertificateWire) -> Vec<u8> {
        sign_payload(a, TYP_CERTIFICATE, codec::to_vec(w).unwrap())
    }

    /// A COSE_Sign1 with an arbitrary protected and unprotected header, signed by `a`.
    fn sign_with_headers(
        a: &AnchorKeys,
        protected: Map,
        unprotected: Map,
        payload: &[u8],
    ) -> Vec<u8> {
        let protected = ProtectedHeader::new(protected);
        let signature = a
            .signing
            .sign(&cose::sig_structure(protected.as_bytes(), &[], payload))
            .to_bytes()
            .to_vec();
        Sign1 {
            protected,
            unprotected,
            payload: payload.to_vec(),
            signature,
        }
        .to_bytes()
    }

    fn standard_protected(a: &AnchorKeys, typ: &str) -> Map {
        let mut m = Map::new();
        m.insert(Value::from(label::ALG), Value::from(alg::ED25519))
            .unwrap();
        m.insert(Value::from(label::KID), Value::bytes(a.kid().as_bytes()))
            .unwrap();
        m.insert(Value::from(label::TYP), Value::from(typ)).unwrap();
        m
    }

    fn directory_with(a: &AnchorKeys) -> Directory {
        let mut d = Directory::new();
        d.add_anchor(a.public()).unwrap();
        d
    }

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

    #[test]
    fn renewal_of_the_same_key_selects_the_latest() {
        let a = anchor(1);
        let k = agency(2);
        let mut d = directory_with(&a);
        let mut first = wire(k.public());
        first.serial = [1; SERIAL_LEN];
        first.not_before = NOW - 10 * DAY;
        first.not_after = NOW + DAY;
        let mut renewal = wire(k.public());
        renewal.serial = [2; SERIAL_LEN];
        renewal.not_before = NOW - DAY;
        renewal.not_after = NOW + 30 * DAY;
        d.add_certificate(&sign_wire(&a, &first)).unwrap();
        d.add_certificate(&sign_wire(&a, &renewal)).unwrap();
        let kid = k.public().signing().kid();
        assert_eq!(
            d.certificate_by_signing_kid(&kid, NOW).unwrap().serial(),
            Serial([2; SERIAL_LEN])
        );
        // Before the renewal starts, the first one.
        assert_eq!(
            d.certificate_by_signing_kid(&kid, NOW - 2 * DAY)
                .unwrap()
                .serial(),
            Serial([1; SERIAL_LEN])
        );
        // After both expired, the error names the later expiry.
        assert_eq!(
            d.certificate_by_signing_kid(&kid, NOW + 31 * DAY),
            Err(DirectoryError::Expired {
                agency_id: "county-court".into(),
                serial: Serial([2; SERIAL_LEN]),
                not_after: NOW + 30 * DAY
            })
        );
        // Revocation outranks expiry in the explanation.
        d.add_revocation(
            a.revoke(Serial([1; SERIAL_LEN]), NOW - 5 * DAY, "superseded")
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            d.certificate_by_signing_kid(&kid, NOW + 31 * DAY),
            Err(DirectoryError::Revoked { .. })
        ));
        // Before anything is valid: the earliest start.
        assert_eq!(
            d.certificate_by_encryption_kid(&k.public().encryption().kid(), NOW - 11 * DAY),
            Err(DirectoryError::NotYetValid {
                agency_id: "county-court".into(),
                serial: Serial([1; SERIAL_LEN]),
                not_before: NOW - 10 * DAY
            })
        );
    }

    #[test]
    fn size_accounting_bounds_the_bundle() {
        let a = anchor(1);
        let mut d = directory_with(&a);
        for i in 0..20u8 {
            let k = agency(100 + i);
            let mut w = wire(k.public());
            w.serial = [i; SERIAL_LEN];
            w.agency_id = format!("agency-{i}");
            d.add_certificate(&sign_wire(&a, &w)).unwrap();
            d.add_revocation(
                a.revoke(Serial([i; SERIAL_LEN]), NOW, "superseded")
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap();
        }
        let bytes = d.to_bytes();
        assert!(
            bytes.len() <= d.size + BUNDLE_OVERHEAD,
            "{} > {}",
            bytes.len(),
            d.size
        );
        assert_eq!(d.entries, 41);
    }

    #[test]
    fn roles_names_and_order() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(
                codec::to_value(&r).unwrap(),
                Value::from(r.as_str()),
                "serde name of {r}"
            );
        }
        let mut sorted = Role::ALL;
        sorted.sort();
        assert_eq!(sorted, Role::ALL);
        assert!(Role::ALL.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
        let monitors: Vec<Role> = Role::ALL
            .into_iter()
            .filter(Role::is_justice_monitor)
            .collect();
        assert_eq!(
            monitors,
            [Role::Court, Role::Parole, Role::Probation, Role::Prosecutor]
        );
        assert_eq!(Role::parse("Court"), None);
        assert!(matches!(
            "judge".parse::<Role>(),
            Err(DirectoryError::UnknownRole { .. })
        ));
    }
}
