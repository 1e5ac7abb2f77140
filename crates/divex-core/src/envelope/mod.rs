//! The divex envelope (profile v1, spec/envelope.md): a `COSE_Sign1` signed by the sending
//! agency, carrying the disclosure metadata in its protected header, encrypted as a
//! `COSE_Encrypt` to one COSE-HPKE recipient per receiving agency.
//!
//! ```text
//! COSE_Encrypt (tag 96)                                   what a relay sees
//!   protected   {1: 24, kc: HKDF(CEK)}                    key commitment
//!   unprotected {5: iv}
//!   ciphertext  ChaCha20/Poly1305(CEK, Enc_structure with external_aad = SHA-256(recipients))
//!   recipients  [[{1: 50, 4: kid}, {-4: ek}, HPKE(CEK)], ...]   sorted by kid
//!     plaintext = COSE_Sign1 (tag 18)                     what only recipients see
//!       protected {1: -19, 4: sender kid, envelope id, issued-at, audience, purpose,
//!                  consent reference, record type, labels, notice, redacted fields,
//!                  profile version, kc}
//!       payload   the disclosure
//! ```
//!
//! [`open`] runs the checks in the order of spec/envelope.md §7 and releases nothing until all
//! of them pass; each failed check has its own [`OpenError`] variant.
//!
//! ```
//! use divex_core::envelope::{self, ConsentRef, Disclosure, OpenOptions, SealOptions, StaticResolver};
//! use divex_core::records::RecordType;
//! use divex_core::vocab::{NoticeCode, Purpose, SecurityLabel};
//! use divex_core::keys::AgencyKeys;
//!
//! let provider = AgencyKeys::generate();
//! let court = AgencyKeys::generate();
//! let now = 1_790_000_000;
//! let disclosure = Disclosure {
//!     purpose: Purpose::from_static("cj-monitor-conditional-release"),
//!     consent: ConsentRef { id: "consent-2026-0042".into(), digest: [7; 32] },
//!     record_type: RecordType::DrugTest,
//!     labels: vec![SecurityLabel::PART2],
//!     notice: NoticeCode::PART2_SHORT,
//!     redacted: vec![],
//! };
//! let sealed = envelope::seal(
//!     &provider,
//!     &[court.public().clone()],
//!     &disclosure,
//!     b"result: negative",
//!     now,
//!     SealOptions::default(),
//! )?;
//!
//! let mut senders = StaticResolver::new();
//! senders.insert("provider-1", provider.public().signing().clone());
//! let opened = envelope::open(&sealed.bytes, &court, &senders, now, &OpenOptions::default())?;
//! assert_eq!(opened.payload, b"result: negative");
//! assert_eq!(opened.sender.agency_id, "provider-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The module is split by concern, data flowing one way: [`labels`] and the metadata
//! (what is signed), the limits, the errors, the sender resolver and replay hook, `seal`
//! (building an envelope), `parse` (strict decoding of both layers), [`open`] (the checks of
//! §7 in order) and `batch` (batch verification of the inner signatures for [`open_many`]).

mod batch;
mod error;
pub mod labels;
mod limits;
mod metadata;
mod open;
mod parse;
mod resolver;
mod seal;

pub use error::{Layer, OpenError, SealError};
pub use limits::EnvelopeLimits;
pub use metadata::{ConsentRef, Disclosure, EnvelopeId, Metadata};
pub(crate) use open::verify;
pub use open::{OpenOptions, Opened, open, open_many};
pub use resolver::{ResolveError, SeenEnvelopes, Sender, SenderResolver, StaticResolver};
pub use seal::{
    SealOptions, SealedEnvelope, encrypt_layer, key_commitment, recipients_digest, seal,
    sign_inner, wrap_for,
};

/// The envelope profile version this crate writes and reads.
pub const PROFILE_VERSION: u64 = 1;
/// Length of an envelope id.
pub const ENVELOPE_ID_LEN: usize = 16;
/// Length of the key commitment.
pub const KEY_COMMITMENT_LEN: usize = 32;
/// HKDF `info` of the key commitment.
pub const KEY_COMMITMENT_INFO: &[u8] = b"divex/v1 key commitment";
pub use crate::vocab::MAX_TOKEN_LEN;
/// Longest consent id in bytes.
pub const MAX_CONSENT_ID_LEN: usize = 128;
/// Most security labels on one envelope.
pub const MAX_LABELS: usize = 32;
