//! The divex envelope (profiles v1 and v2, spec/envelope.md): a `COSE_Sign1` signed by the
//! sending agency, carrying the disclosure metadata in its protected header, encrypted as a
//! `COSE_Encrypt` to one COSE-HPKE recipient per receiving agency. Profile v2 (§15) adds the
//! sender's [`LedgerHead`] to the signed metadata and a profile marker to layer 0; an envelope
//! is sealed as v2 exactly when the sender states its head, and `open` reads both.
//!
//! ```text
//! COSE_Encrypt (tag 96)                                   what a relay sees
//!   protected   {1: 24, kc: HKDF(CEK)}                    key commitment (v2: and profile 2)
//!   unprotected {5: iv}
//!   ciphertext  ChaCha20/Poly1305(CEK, Enc_structure with external_aad = SHA-256(recipients))
//!   recipients  [[{1: 50, 4: kid}, {-4: ek}, HPKE(CEK)], ...]   sorted by kid
//!     plaintext = COSE_Sign1 (tag 18)                     what only recipients see
//!       protected {1: -19, 4: sender kid, envelope id, issued-at, audience, purpose,
//!                  consent reference, record type, labels, notice, redacted fields,
//!                  profile version, kc; v2: the sender's ledger head}
//!       payload   the disclosure
//! ```
//!
//! The envelope is built and checked by the crate's one [`seal`](crate::seal()) and one
//! [`open`](crate::open()), which wrap it in the consent layer: `open` runs the checks in the
//! order of spec/envelope.md §7 and releases nothing until all of them pass; each failed check
//! has its own [`OpenError`] variant. The profile's own `seal` and `open`, without consents —
//! what the envelope spec vectors exercise — are not API: an envelope sealed without the
//! consent engine is not a lawful disclosure. Conformance tests and the vector runners reach
//! them through `divex_core::testing`.
//!
//! This module holds what callers share with them: the signed [`Metadata`] (with its
//! [`Disclosure`], [`ConsentRef`], [`EnvelopeId`] and [`LedgerHead`]), the [`OpenOptions`] and
//! [`EnvelopeLimits`] of `open`, the replay hook [`SeenEnvelopes`], and the errors
//! [`OpenError`], [`SealError`] and [`Layer`].
//!
//! The module is split by concern, data flowing one way: `profile` and `labels` (the
//! profile's constants and private header labels), the metadata (what is signed), the limits,
//! the errors, the sender resolver and replay hook, `seal` (building an envelope), `parse`
//! (strict decoding of both layers), `open` (the checks of §7 in order) and `batch` (batch
//! verification of the inner signatures for `open_many`).
//!
//! The building blocks `seal` is made of (the inner signature, a recipient stanza, the
//! encryption layer, the key commitment) are not API: tests and the vector generator
//! assemble hostile envelopes from them through `divex_core::testing`.

mod batch;
mod error;
pub(crate) mod labels;
mod limits;
mod metadata;
pub(crate) mod open;
pub(crate) mod parse;
pub(crate) mod profile;
pub(crate) mod resolver;
pub(crate) mod seal;

pub use error::{Layer, OpenError, SealError};
pub use limits::EnvelopeLimits;
pub use metadata::{ConsentRef, Disclosure, EnvelopeId, LedgerHead, Metadata};
pub use open::OpenOptions;
pub(crate) use open::verify;
pub(crate) use profile::{
    ENVELOPE_ID_LEN, KEY_COMMITMENT_INFO, KEY_COMMITMENT_LEN, LEDGER_HASH_LEN, MAX_CONSENT_ID_LEN,
    MAX_LABELS, MAX_LEDGER_SEQ, Profile,
};
pub use resolver::SeenEnvelopes;
pub(crate) use resolver::{ResolveError, Sender, SenderResolver};
pub(crate) use seal::{SealOptions, SealedEnvelope, seal};
