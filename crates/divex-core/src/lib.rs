//! # divex-core
//!
//! The divex protocol: signed, encrypted, consent-scoped record envelopes for sharing a
//! diversion participant's treatment status between courts, prosecutors, probation, police
//! (LEAD) and treatment providers.
//!
//! ## Safety contract
//!
//! * No `unsafe` code (`#![forbid(unsafe_code)]`).
//! * No I/O: time is a parameter, randomness comes from a caller-supplied or OS CSPRNG.
//! * Untrusted bytes never panic; every decoder is strict ([`codec`]) and bounded before it
//!   allocates.
//! * Secret keys zeroize on drop, never implement `Clone` or a revealing `Debug`, and never
//!   appear in errors. Functions that hand out secret bytes are named `expose_secret_*`.
//!
//! ## Layout (data flows one way, top to bottom)
//!
//! * [`codec`] — strict deterministic CBOR.
//! * [`keys`] — agency keys, public bundles, key ids.
//! * [`dhkem`] — HPKE base mode for the one suite of HPKE-4-KE (RFC 9180), without recomputed
//!   public keys.
//! * [`cose`] — COSE_Sign1 / COSE_Encrypt and the COSE-HPKE key-encryption layer.
//! * [`cose_hpke`] — the COSE-HPKE encryption layer alone as whole messages (bytes in, bytes
//!   out), for interoperability with other COSE implementations.
//! * [`envelope`] — the divex envelope profile: `seal` and `open`.
//! * [`records`] — the record catalogue: typed records, each field with its sensitivity tier.
//! * [`directory`] — trust anchors, agency certificates, revocations; offline validation.
//! * [`consent`] — 42 CFR Part 2 consent directives, revocations and case events.
//! * [`decision`] — the consent decision engine (pure: deny-overrides, default deny).
//! * [`disclosure`] — consent-scoped seal and open: the envelope with all of the above.
//! * [`keystore`] — secret keys at rest: sealed under a passphrase (Argon2id +
//!   ChaCha20-Poly1305), bytes in and keys out, for every front end.
//! * [`json`] — JSON ⇄ divex CBOR values, for records and consents described as JSON by the
//!   command line and the bindings.
//!
//! The normative description is in the repository's `spec/` folder: `envelope.md`,
//! `records.md`, `directory.md` and `consent.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod consent;
pub mod cose;
pub mod cose_hpke;
pub mod decision;
pub mod dhkem;
pub mod directory;
pub mod disclosure;
pub mod envelope;
pub mod error;
pub mod json;
pub mod keys;
pub mod keystore;
pub mod records;
pub mod rng;
pub mod vocab;

/// The repository README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
