//! # divex-ffi
//!
//! The uniffi facade of divex: the one shared library behind the Python package
//! (`bindings/python`) and the Kotlin/JVM library (`bindings/kotlin`). It only translates —
//! owned byte vectors and strings in, objects and records out, one flat error type — and
//! keeps every rule in `divex-core` and `divex-ledger`, so Rust, Python and Kotlin callers get
//! the same behaviour and the same messages.
//!
//! ## What it exposes
//!
//! * keys: [`AgencyKeys`], [`PersonalKey`], [`AnchorKeys`], [`EncryptionKeyPair`] — opaque
//!   objects; secrets leave only sealed in a passphrase keystore (`export_keystore`, the
//!   `divex` CLI's format), or enter raw only through `*_test_vectors_only` constructors;
//! * trust: [`Directory`] (anchors, certificates, revocations, bundle bytes, signed
//!   snapshots);
//! * consent: [`sign_consent`] (a directive described as JSON), [`verify_consent`],
//!   revocations and case events (signed with the key objects, verified here), [`ConsentSet`];
//! * records: [`Record`], built from a [`TypedRecord`] (one typed uniffi record per record
//!   type, generated from the core's record catalogue), its JSON map or its bytes;
//! * the core's closed vocabularies as enums ([`Role`], [`RecordType`], [`Tier`], [`Regime`],
//!   [`DispositionOutcome`], [`Redisclosure`], [`UseRestriction`], [`KdfProfile`], ...: uniffi
//!   *remote* declarations of the core's own enums, checked against them at compile time) and
//!   its open vocabularies as checked text ([`Purpose`], [`SecurityLabel`], [`NoticeCode`],
//!   [`FieldName`]: lifted with the core's constructors, so a bad value is a
//!   [`DivexError::InvalidInput`] with the core's class); dates are text read by the core's
//!   date parser;
//! * disclosures: [`seal_disclosure`], [`open_disclosure`], and the envelope layer alone
//!   ([`open_envelope`]) for the spec vectors;
//! * the ledger: [`Ledger`];
//! * the COSE-HPKE encryption layer alone: [`hpke_encrypt`], [`hpke_decrypt`].
//!
//! Every method is a delegation to `divex-core` or `divex-ledger`: format and rule logic lives
//! there, so Rust callers get it too. Times are always parameters (Unix seconds). Every
//! failure is a [`DivexError`] whose variant is the category and whose `code` is the class of
//! the core's class table (`divex_core::error`).
//!
//! ## Safety contract
//!
//! * No `unsafe` in this crate's own code: the workspace's `forbid(unsafe_code)` applies here
//!   too. The `extern "C"` scaffolding that uniffi's macros expand to is uniffi's code (the
//!   lint does not fire on it), and the foreign side of the boundary is generated too.
//! * No panics on any input: every conversion is checked and returns a [`DivexError`]. Should
//!   one happen anyway, uniffi catches it at the boundary and raises an internal error in the
//!   foreign language; the process does not abort (release builds keep `panic = "unwind"`).
//! * Secrets cross the boundary only as opaque objects, are zeroized when the last reference
//!   is dropped, print redacted, and never appear in an error.

uniffi::setup_scaffolding!();

mod consent;
mod directory;
mod disclosure;
mod error;
mod hpke;
mod keys;
mod keystore;
mod ledger;
mod records;
mod tokens;

pub use consent::{
    CaseEventInfo, ConsentInfo, ConsentRevocationInfo, ConsentSet, sign_consent, verify_case_event,
    verify_consent, verify_consent_revocation,
};
pub use directory::{
    AnchorInfo, AnchorKeys, CertificateInfo, CertificateRequest, Directory, RevocationInfo,
    SnapshotInfo, certificate_info, roles, trust_anchor_info,
};
pub use disclosure::{
    AgencyFacts, EnvelopeMetadata, KnownSender, LedgerHead, Obligations, OpenedEnvelope,
    ReceivedDisclosure, SealRequest, SealedDisclosure, Subject, open_disclosure, open_envelope,
    seal_disclosure,
};
pub use error::{DivexError, Result};
pub use hpke::{hpke_decrypt, hpke_encrypt};
pub use keys::{AgencyKeys, EncryptionKeyPair, PersonalKey, PublicBundleInfo, public_bundle_info};
pub use keystore::{KeystoreInfo, keystore_info};
pub use ledger::{Checkpoint, Ledger, LedgerEntry, VerifyReport};
// A glob: the typed record structs are generated from the core's catalogue, one per record
// type, and a new type must not need an edit here.
pub use records::*;

// The core's own types that cross the boundary as they are (uniffi remote enums and records,
// checked text types): re-exported so that Rust callers of this crate name them from here.
pub use divex_core::ConsentCopy;
pub use divex_core::consent::{DispositionOutcome, Redisclosure, Regime, UseRestriction};
pub use divex_core::decision::MinimumNecessary;
pub use divex_core::directory::Role;
pub use divex_core::keystore::{KdfProfile, KeystoreKind};
pub use divex_core::records::{RecordType, Tier};
pub use divex_core::vocab::{FieldName, NoticeCode, Purpose, SecurityLabel};
pub use divex_ledger::Direction;

/// The version of the divex library behind the bindings.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Panics on purpose. It exists so that every binding's test suite can show that a Rust panic
/// arrives as an ordinary exception (uniffi catches it at the boundary) and never aborts the
/// host process. Nothing else in this library panics on any input.
#[uniffi::export]
#[allow(clippy::panic)]
pub fn panic_for_binding_tests(message: String) {
    panic!("deliberate panic for the binding tests: {message}");
}
