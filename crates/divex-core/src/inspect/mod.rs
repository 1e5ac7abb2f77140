//! What a divex file is, and its public structure: recognise any divex file and render it in
//! CBOR/COSE diagnostic notation (RFC 8949 §8, with the `<< >>` embedded-CBOR and
//! `/ comment /` extensions of RFC 8610 Appendix G), as `divex inspect` prints it.
//!
//! Nothing secret is ever shown: for an envelope only the outer `COSE_Encrypt` is rendered
//! (what any relay sees), with the content ciphertext and every recipient's encrypted content
//! key elided to their lengths; for a keystore only its header, with the ciphertext elided.
//! Known COSE and divex header labels are annotated with their names — this is the one place
//! outside the formats themselves that knows them, so no front end restates a label.
//!
//! Nothing is verified either, except that a certificate is checked against the directory
//! when one is given: inspection shows structure; the importers verify.
//!
//! ```
//! use divex_core::inspect::{self, FileKind};
//! use divex_core::keys::AgencyKeys;
//!
//! let bundle = AgencyKeys::generate().public().to_bytes();
//! let i = inspect::inspect(&bundle, None, 1_790_000_000)?;
//! assert_eq!(i.kind, FileKind::PublicBundle);
//! assert_eq!(i.summary[0].0, "signing key id");
//! assert!(i.diagnostic.starts_with('{'));
//! # Ok::<(), inspect::InspectError>(())
//! ```

use std::fmt;

use sha2::{Digest, Sha256};

use crate::codec::{self, DecodeLimits, Value};
use crate::consent::{CASE_EVENT_TYP, CONSENT_TYP, ConsentDirective, REVOCATION_TYP};
use crate::cose::{self, label};
use crate::directory::{
    AgencyCertificate, CertificateRevocation, Directory, TYP_CERTIFICATE, TYP_DIRECTORY,
    TYP_REVOCATION, TYP_SNAPSHOT, TrustAnchor,
};
use crate::envelope::labels;
use crate::error::{Classified, ErrorCategory};
use crate::keys::{KeyId, PublicBundle};
use crate::keystore::KeystoreInfo;
use crate::records::format_unix_time;
use crate::vocab::Vocabulary;

mod diagnostic;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

use diagnostic::{Node, deep_node, embedded_or_bytes, header_node, node, pretty, protected_node};

/// Largest file inspected, in bytes: an envelope at the largest size a caller may allow, and
/// room for anything smaller.
const MAX_INSPECT_BYTES: usize = 16 * 1024 * 1024 + 4096;

const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_INSPECT_BYTES,
    max_depth: 16,
    max_items: 10_000,
    max_string: MAX_INSPECT_BYTES,
};

/// The kinds of divex file [`inspect`] recognises. Its token (`as_str`, through
/// [`Vocabulary`]) is the kind's snake_case name: `envelope`, `consent`, `certificate`,
/// `certificate_revocation`, `consent_revocation`, `case_event`, `directory`, `keystore`,
/// `public_bundle` or `trust_anchor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// A sealed envelope (`COSE_Encrypt`).
    Envelope,
    /// A signed consent directive (`COSE_Sign`).
    Consent,
    /// An agency certificate.
    Certificate,
    /// A certificate revocation.
    CertificateRevocation,
    /// A consent revocation statement.
    ConsentRevocation,
    /// A signed case event.
    CaseEvent,
    /// A directory bundle, unsigned or as a signed snapshot (spec/directory.md §5.4).
    Directory,
    /// An encrypted keystore.
    Keystore,
    /// An agency's public bundle.
    PublicBundle,
    /// A trust anchor.
    TrustAnchor,
}

impl Vocabulary for FileKind {
    const NAME: &'static str = "FileKind";
    const ALL: &'static [FileKind] = &[
        FileKind::Envelope,
        FileKind::Consent,
        FileKind::Certificate,
        FileKind::CertificateRevocation,
        FileKind::ConsentRevocation,
        FileKind::CaseEvent,
        FileKind::Directory,
        FileKind::Keystore,
        FileKind::PublicBundle,
        FileKind::TrustAnchor,
    ];
    const TOKENS: &'static [&'static str] = &[
        "envelope",
        "consent",
        "certificate",
        "certificate_revocation",
        "consent_revocation",
        "case_event",
        "directory",
        "keystore",
        "public_bundle",
        "trust_anchor",
    ];
    const EXPECTED: &'static str = "a divex file: one of envelope consent certificate \
                                    certificate_revocation consent_revocation case_event \
                                    directory keystore public_bundle trust_anchor";

    fn as_str(&self) -> &'static str {
        match self {
            FileKind::Envelope => "envelope",
            FileKind::Consent => "consent",
            FileKind::Certificate => "certificate",
            FileKind::CertificateRevocation => "certificate_revocation",
            FileKind::ConsentRevocation => "consent_revocation",
            FileKind::CaseEvent => "case_event",
            FileKind::Directory => "directory",
            FileKind::Keystore => "keystore",
            FileKind::PublicBundle => "public_bundle",
            FileKind::TrustAnchor => "trust_anchor",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a file is, and its public structure.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// What the file is.
    pub kind: FileKind,
    /// A few facts, in display order, as (label, value) pairs.
    pub summary: Vec<(String, String)>,
    /// The diagnostic notation.
    pub diagnostic: String,
}

/// Why bytes could not be inspected. Never carries the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The bytes are not strict deterministic CBOR (nor a keystore).
    #[error("it is not a divex file (not strict deterministic CBOR: {0})")]
    NotCbor(crate::codec::CodecError),
    /// The bytes are CBOR but no kind of divex file this module knows.
    #[error(
        "it is not a divex file divex can inspect (envelope, consent, certificate, revocation, \
         case event, directory bundle, keystore, public bundle or trust anchor)"
    )]
    Unknown,
    /// The bytes are tagged as an envelope but are not a valid `COSE_Encrypt`.
    #[error("this looks like an envelope but is not a valid COSE_Encrypt: {reason}")]
    InvalidEnvelope {
        /// The COSE layer's class (`malformed`, `structure`, ...).
        class: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl Classified for InspectError {
    /// [`ErrorCategory::Input`] with class `not_divex` for bytes that are no divex file;
    /// [`ErrorCategory::Envelope`] with the COSE layer's class for a broken envelope.
    fn category(&self) -> ErrorCategory {
        match self {
            InspectError::NotCbor(_) | InspectError::Unknown => ErrorCategory::Input,
            InspectError::InvalidEnvelope { .. } => ErrorCategory::Envelope,
        }
    }

    fn class(&self) -> &'static str {
        match self {
            InspectError::NotCbor(_) | InspectError::Unknown => "not_divex",
            InspectError::InvalidEnvelope { class, .. } => class,
        }
    }
}

/// Lower-case hex.
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn kv(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

/// The `typ` in the protected header of a `COSE_Sign1` or `COSE_Sign` (its first item).
fn typ_of(inner: &Value) -> Option<String> {
    let a = inner.as_array()?;
    let p = a.first()?.as_bytes()?;
    let m = codec::decode_with(p, &LIMITS).ok()?;
    m.as_map()?
        .get_label(label::TYP)
        .and_then(Value::as_text)
        .map(str::to_owned)
}

impl FileKind {
    /// What `bytes` are, without rendering them: the recognition [`inspect`] makes, for a
    /// front end that routes a file to the right import (a directory bundle, a consent, a
    /// revocation...). Nothing is verified: the importer does that.
    /// [`InspectError::NotCbor`] or [`InspectError::Unknown`] when they are no divex file.
    ///
    /// ```
    /// use divex_core::inspect::FileKind;
    /// use divex_core::keys::AgencyKeys;
    ///
    /// let bundle = AgencyKeys::generate().public().to_bytes();
    /// assert_eq!(FileKind::detect(&bundle)?, FileKind::PublicBundle);
    /// assert!(FileKind::detect(b"hello").is_err());
    /// # Ok::<(), divex_core::inspect::InspectError>(())
    /// ```
    pub fn detect(bytes: &[u8]) -> Result<FileKind, InspectError> {
        Ok(match recognise(bytes)? {
            Recognised::Keystore(_) => FileKind::Keystore,
            Recognised::Cbor(kind, _) => kind,
        })
    }
}

/// What [`recognise`] found: a keystore (its public header), or another kind with its decoded
/// value.
enum Recognised {
    Keystore(KeystoreInfo),
    Cbor(FileKind, Value),
}

fn recognise(bytes: &[u8]) -> Result<Recognised, InspectError> {
    if let Ok(info) = KeystoreInfo::from_bytes(bytes) {
        return Ok(Recognised::Keystore(info));
    }
    let v = codec::decode_with(bytes, &LIMITS).map_err(InspectError::NotCbor)?;
    let kind = match &v {
        Value::Tag(cose::TAG_ENCRYPT, _) => FileKind::Envelope,
        Value::Tag(cose::TAG_SIGN, inner) => match typ_of(inner).as_deref() {
            Some(CONSENT_TYP) => FileKind::Consent,
            _ => return Err(InspectError::Unknown),
        },
        Value::Tag(cose::TAG_SIGN1, inner) => match typ_of(inner).as_deref() {
            Some(TYP_CERTIFICATE) => FileKind::Certificate,
            Some(TYP_REVOCATION) => FileKind::CertificateRevocation,
            Some(REVOCATION_TYP) => FileKind::ConsentRevocation,
            Some(CASE_EVENT_TYP) => FileKind::CaseEvent,
            Some(TYP_SNAPSHOT) => FileKind::Directory,
            _ => return Err(InspectError::Unknown),
        },
        Value::Map(m)
            if m.get(&Value::from("typ")).and_then(Value::as_text) == Some(TYP_DIRECTORY) =>
        {
            FileKind::Directory
        }
        Value::Map(_) if PublicBundle::from_bytes(bytes).is_ok() => FileKind::PublicBundle,
        Value::Map(_) if TrustAnchor::from_bytes(bytes).is_ok() => FileKind::TrustAnchor,
        _ => return Err(InspectError::Unknown),
    };
    Ok(Recognised::Cbor(kind, v))
}

/// Recognises `bytes` and renders them. `directory`, when given, names the agencies behind
/// recipient key ids and checks certificates against the pinned anchors; `now` is used for
/// certificate status.
pub fn inspect(
    bytes: &[u8],
    directory: Option<&Directory>,
    now: u64,
) -> Result<Inspection, InspectError> {
    let (kind, v) = match recognise(bytes)? {
        Recognised::Keystore(info) => return Ok(inspect_keystore(bytes, &info)),
        Recognised::Cbor(kind, v) => (kind, v),
    };
    match (kind, &v) {
        (FileKind::Envelope, _) => inspect_envelope(bytes, &v, directory),
        (FileKind::Consent, _) => Ok(Inspection {
            kind,
            summary: consent_summary(bytes),
            diagnostic: pretty(&deep_node(&v)),
        }),
        (FileKind::Directory, _) => {
            let mut summary = vec![];
            match Directory::from_bytes(bytes) {
                Ok(d) => {
                    summary.push(kv("anchors", d.anchors().count().to_string()));
                    summary.push(kv("certificates", d.certificates().count().to_string()));
                    summary.push(kv("revocations", d.revocations().count().to_string()));
                    for s in d.snapshots() {
                        summary.push(kv("signed by", s.anchor.to_hex()));
                        summary.push(kv("sequence", s.sequence.to_string()));
                        summary.push(kv("signed at", format_unix_time(s.signed_at)));
                        summary.push(kv("expires", format_unix_time(s.expires)));
                    }
                    summary.push(kv(
                        "valid",
                        "yes (every signature checks against the bundle's anchors)",
                    ));
                }
                Err(e) => summary.push(kv("valid", format!("no: {e}"))),
            }
            Ok(Inspection {
                kind,
                summary,
                diagnostic: pretty(&deep_node(&v)),
            })
        }
        (_, Value::Tag(cose::TAG_SIGN1, inner)) => {
            let summary = match kind {
                FileKind::Certificate => certificate_summary(bytes, directory, now),
                FileKind::CertificateRevocation => cert_revocation_summary(bytes),
                _ => statement_summary(inner),
            };
            Ok(Inspection {
                kind,
                summary,
                diagnostic: pretty(&deep_node(&v)),
            })
        }
        (FileKind::PublicBundle, _) => {
            let b = PublicBundle::from_bytes(bytes).map_err(|_| InspectError::Unknown)?;
            Ok(Inspection {
                kind,
                summary: vec![
                    kv("signing key id", b.signing().kid().to_hex()),
                    kv("encryption key id", b.encryption().kid().to_hex()),
                ],
                diagnostic: pretty(&node(&v)),
            })
        }
        (FileKind::TrustAnchor, _) => {
            let a = TrustAnchor::from_bytes(bytes).map_err(|_| InspectError::Unknown)?;
            Ok(Inspection {
                kind,
                summary: vec![
                    kv("name", a.name()),
                    kv("fingerprint (key id)", a.kid().to_hex()),
                ],
                diagnostic: pretty(&node(&v)),
            })
        }
        _ => Err(InspectError::Unknown),
    }
}

fn inspect_keystore(bytes: &[u8], info: &KeystoreInfo) -> Inspection {
    // Render the header only; the ciphertext is elided.
    let mut diagnostic = String::new();
    if let Ok(Value::Map(m)) = codec::decode_with(bytes, &LIMITS) {
        let mut entries = Vec::new();
        for (k, v) in m.iter() {
            match (k.as_text(), v.as_bytes()) {
                (Some("ciphertext"), Some(c)) => entries.push((
                    node(k),
                    Node::Elided(format!("encrypted secret key elided: {} bytes", c.len())),
                )),
                (Some("header"), Some(h)) => entries.push((node(k), embedded_or_bytes(h))),
                _ => entries.push((node(k), node(v))),
            }
        }
        diagnostic = pretty(&Node::Map(entries));
    }
    let mut summary = vec![kv("holds", info.kind.as_str()), kv("id", info.id.clone())];
    summary.push(kv("kdf profile", info.profile.as_str()));
    if let Some(b) = info.agency_bundle() {
        summary.push(kv("signing key id", b.signing().kid().to_hex()));
        summary.push(kv("encryption key id", b.encryption().kid().to_hex()));
    }
    if let Some(a) = info.anchor() {
        summary.push(kv("anchor fingerprint", a.kid().to_hex()));
    }
    if let Some(k) = info.personal_key() {
        summary.push(kv("key id", k.kid().to_hex()));
    }
    Inspection {
        kind: FileKind::Keystore,
        summary,
        diagnostic,
    }
}

fn inspect_envelope(
    bytes: &[u8],
    v: &Value,
    directory: Option<&Directory>,
) -> Result<Inspection, InspectError> {
    let enc =
        cose::Encrypt::from_value(v, true, &LIMITS).map_err(|e| InspectError::InvalidEnvelope {
            class: e.class(),
            reason: e.to_string(),
        })?;
    let mut recipients = Vec::new();
    // The profile as layer 0 states it (spec/envelope.md §7 step 5): the marker, or v1 without
    // one. `inspect` shows structure and checks nothing, so an unknown marker is shown as is.
    let profile = match enc.protected.map().get_label(labels::PROFILE) {
        None => "1".to_owned(),
        Some(v) if v.as_u64() == Some(2) => {
            "2 (the sender's ledger head is signed inside, spec/envelope.md §15)".to_owned()
        }
        Some(v) => format!("unknown ({})", codec::diagnostic(v)),
    };
    let mut summary = vec![
        kv("size", format!("{} bytes", bytes.len())),
        kv("envelope hash (SHA-256)", hex(&Sha256::digest(bytes))),
        kv("profile", profile),
        kv("recipients", enc.recipients.len().to_string()),
    ];
    for r in &enc.recipients {
        let kid_hex = r.kid().map(hex).unwrap_or_else(|| "(none)".into());
        let who = r
            .kid()
            .and_then(|k| KeyId::from_bytes(k).ok())
            .and_then(|k| {
                directory.and_then(|d| d.certificates().find(|c| c.keys().encryption().kid() == k))
            })
            .map(|c| format!(" = {} ({})", c.agency_id(), c.name()))
            .unwrap_or_default();
        summary.push(kv("recipient", format!("{kid_hex}{who}")));
        recipients.push(Node::Array(vec![
            Node::Labelled(
                "protected".into(),
                Box::new(protected_node(r.protected.as_bytes())),
            ),
            Node::Labelled("unprotected".into(), Box::new(header_node(&r.unprotected))),
            Node::Elided(format!(
                "encrypted content key elided: {} bytes",
                r.ciphertext.len()
            )),
        ]));
    }
    summary.push(kv(
        "inner",
        "the signed COSE_Sign1 (sender, metadata, record) is encrypted; only a recipient can open it",
    ));
    let tree = Node::Tag(
        cose::TAG_ENCRYPT,
        Box::new(Node::Array(vec![
            Node::Labelled(
                "protected".into(),
                Box::new(protected_node(enc.protected.as_bytes())),
            ),
            Node::Labelled(
                "unprotected".into(),
                Box::new(header_node(&enc.unprotected)),
            ),
            Node::Elided(format!("ciphertext elided: {} bytes", enc.ciphertext.len())),
            Node::Labelled("recipients".into(), Box::new(Node::Array(recipients))),
        ])),
    );
    Ok(Inspection {
        kind: FileKind::Envelope,
        summary,
        diagnostic: pretty(&tree),
    })
}

fn consent_summary(bytes: &[u8]) -> Vec<(String, String)> {
    // Parse without verifying (inspect shows structure; `divex consent show` verifies).
    let Ok(Value::Tag(_, inner)) = codec::decode_with(bytes, &LIMITS) else {
        return vec![];
    };
    let Some(payload) = inner
        .as_array()
        .and_then(|a| a.get(2))
        .and_then(Value::as_bytes)
    else {
        return vec![];
    };
    match codec::from_slice_with::<ConsentDirective>(payload, &LIMITS) {
        Ok(d) => vec![
            kv("id", format!("{} v{}", d.id, d.version)),
            kv("regime", d.regime.citation()),
            kv(
                "signatures",
                inner
                    .as_array()
                    .and_then(|a| a.get(3))
                    .and_then(Value::as_array)
                    .map_or(0, <[Value]>::len)
                    .to_string(),
            ),
            kv("verified", "no (run `divex consent show FILE` to verify)"),
        ],
        Err(e) => vec![kv("payload", format!("not a valid consent directive: {e}"))],
    }
}

fn certificate_summary(
    bytes: &[u8],
    directory: Option<&Directory>,
    now: u64,
) -> Vec<(String, String)> {
    match AgencyCertificate::from_bytes(bytes) {
        Ok(c) => {
            let status = match directory {
                Some(d) => match d.check(&c, now) {
                    Ok(()) => "valid now (signature verified against the pinned anchor)".to_owned(),
                    Err(e) => format!("not valid here: {e}"),
                },
                None => "not checked (no directory in --home)".to_owned(),
            };
            vec![
                kv("agency", format!("{} ({})", c.agency_id(), c.name())),
                kv(
                    "roles",
                    c.roles()
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                kv(
                    "part 2 program",
                    if c.part2_program() { "yes" } else { "no" },
                ),
                kv("serial", c.serial().to_hex()),
                kv("issuer (anchor key id)", c.issuer().to_hex()),
                kv(
                    "valid",
                    format!(
                        "{} to {}",
                        format_unix_time(c.not_before()),
                        format_unix_time(c.not_after())
                    ),
                ),
                kv("status", status),
            ]
        }
        Err(e) => vec![kv("certificate", format!("invalid: {e}"))],
    }
}

fn cert_revocation_summary(bytes: &[u8]) -> Vec<(String, String)> {
    match CertificateRevocation::from_bytes(bytes) {
        Ok(r) => vec![
            kv("serial", r.serial().to_hex()),
            kv("revoked at", format_unix_time(r.revoked_at())),
            kv("reason", r.reason()),
            kv("issuer (anchor key id)", r.issuer().to_hex()),
        ],
        Err(e) => vec![kv("revocation", format!("invalid: {e}"))],
    }
}

fn statement_summary(inner: &Value) -> Vec<(String, String)> {
    let kid = inner
        .as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_bytes)
        .and_then(|p| codec::decode_with(p, &LIMITS).ok())
        .and_then(|m| {
            m.as_map()
                .and_then(|m| m.get_label(label::KID))
                .and_then(Value::as_bytes)
                .map(hex)
        })
        .unwrap_or_default();
    vec![
        kv("signer key id", kid),
        kv(
            "verified",
            "no (statements are verified when imported: `divex consent import`)",
        ),
    ]
}
