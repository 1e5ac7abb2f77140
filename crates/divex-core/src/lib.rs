//! # divex-core
//!
//! The divex protocol: signed, encrypted, consent-scoped record envelopes for sharing a
//! diversion participant's treatment status between courts, prosecutors, probation, police
//! (LEAD) and treatment providers.
//!
//! ## Safety contract
//!
//! * No `unsafe` code (`#![forbid(unsafe_code)]`).
//! * No I/O: time is a parameter, randomness comes from the operating system's CSPRNG (or,
//!   for reproducible spec vectors, one the caller supplies in [`envelope::SealOptions`]).
//! * Untrusted bytes never panic; every decoder is strict (RFC 8949 deterministic CBOR,
//!   accepted bytes re-encode identically) and bounded before it allocates.
//! * Secret keys zeroize on drop, never implement `Clone` or a revealing `Debug`, and never
//!   appear in errors. At rest they exist only sealed under a passphrase ([`keystore`]).
//!
//! ## The API
//!
//! One entry point seals and one opens a disclosure, each with its options:
//!
//! * [`seal`] — a [`SealRequest`] (record, recipients, participant, purpose, consent, and the
//!   sender's ledger head when it states one) checked by the consent engine for every
//!   recipient, then sealed: a [`Sealed`] disclosure;
//! * [`open`] — every envelope check of spec/envelope.md §7, then the consent again, under
//!   [`OpenOptions`] (limits, replay hook, clock skew): a [`Received`] disclosure;
//! * [`DisclosureError`] — why either refused; every error states its category and stable
//!   class ([`error::Classified`]).
//!
//! The concepts they are built from, one module each (data flows one way, top to bottom):
//!
//! * [`keys`] — agency keys, public bundles, key ids.
//! * [`vocab`] — the tokens every layer speaks: purposes, security labels, notice codes,
//!   field names, and the [`vocab::Vocabulary`] trait of every closed token set.
//! * [`envelope`] — the envelope profiles v1 and v2 on their own: `seal` and `open` without
//!   the consent layer (what the envelope spec vectors exercise).
//! * [`records`] — the record catalogue: typed records, each field with its sensitivity
//!   tier; JSON descriptions of records.
//! * [`directory`] — trust anchors, agency certificates, revocations; offline validation.
//! * [`consent`] — 42 CFR Part 2 consent directives, revocations and case events.
//! * [`decision`] — the consent decision engine (pure: deny-overrides, default deny).
//! * [`keystore`] — secret keys at rest: sealed under a passphrase (Argon2id +
//!   ChaCha20-Poly1305), bytes in and keys out, for every front end.
//! * [`inspect`] — what a divex file is, and its public structure in CBOR diagnostic
//!   notation.
//! * [`error`] — the one error class table.
//! * [`codec`] — the little of the strict CBOR codec other crates need.
//!
//! The strict codec, the COSE structures, the HPKE layer, the JSON bridge and the randomness
//! source are implementation modules. Tests, fuzz targets and the spec-vector generators
//! reach them, and the builders of hostile envelopes, through `testing`, which is not part of
//! the API (it is hidden from the documentation and may change without notice), so the API
//! never grows to suit a test.
//!
//! The normative description is in the repository's `spec/` folder: `envelope.md`,
//! `records.md`, `directory.md` and `consent.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod consent;
pub mod decision;
pub mod directory;
pub mod envelope;
pub mod error;
pub mod inspect;
pub mod keys;
pub mod keystore;
pub mod records;
pub mod vocab;

mod cose;
mod cose_hpke;
mod dhkem;
mod disclosure;
mod json;
mod rng;

#[doc(hidden)]
pub mod testing;

pub use disclosure::{ConsentCopy, DisclosureError, Received, SealRequest, Sealed, open, seal};
pub use envelope::OpenOptions;

/// The repository README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
