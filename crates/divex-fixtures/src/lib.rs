//! The fixtures every divex test, benchmark, vector generator and the demo share, in one
//! place (as rustls keeps its in `rustls-test`):
//!
//! - [`World`] / [`WorldBuilder`]: a trust anchor, the agencies it certifies (roles, Part 2
//!   flag, names, validity), the directory and every key; from the operating system's
//!   randomness or from seeded streams ([`Seeds`], [`rng`], [`agency`]) for reproducible
//!   vectors;
//! - [`ConsentBuilder`]: consent directives from a regime preset (PC 1000 §2.35, LEAD §2.31,
//!   counseling notes, a minor's consent, a state-law release), overridden fluently, built or
//!   signed;
//! - the standard participant ([`subject`]) and records ([`drug_test`], [`attendance`],
//!   [`lead_status`]);
//! - the envelope layer's own fixtures: a typical [`disclosure`] statement, a [`Fleet`] of a
//!   sender and recipients known by key alone, and a replay hook ([`SeenSet`]).
//!
//! Everything is dated relative to [`T0`] (2026-09-21), the time of every spec vector.
//!
//! ```
//! use divex_core::consent::ConsentSet;
//! use divex_fixtures::{ConsentBuilder, T0, World};
//!
//! let w = World::new();
//! let signed = ConsentBuilder::pc1000(&w).sign(&w).unwrap();
//! let mut held = ConsentSet::new();
//! held.import_consent(signed.as_bytes(), &w.directory, T0).unwrap();
//! ```
#![forbid(unsafe_code)]
// A fixture that cannot be built is a bug in the fixture or in the test that asked for it: the
// infallible helpers panic saying which. Callers that must not panic (the demo) use the
// fallible forms (`WorldBuilder::try_build`, `ConsentBuilder::sign`).
#![allow(clippy::expect_used)]

mod consent;
mod envelope;
mod records;
mod seed;
#[cfg(test)]
mod tests;
mod world;

pub use consent::ConsentBuilder;
pub use envelope::{FLEET_SENDER, Fleet, SeenSet, disclosure, seal_request};
pub use records::{attendance, date, drug_test, lead_status, minor_subject, subject};
pub use seed::{agency, rng};
pub use world::{AGENCIES, Seeds, VALIDITY, World, WorldBuilder};

use divex_core::vocab::Purpose;

/// One day in seconds.
pub const DAY: u64 = 86_400;

/// The time of every spec vector and of the stories: 2026-09-21T14:13:20Z.
pub const T0: u64 = 1_790_000_000;

/// The criminal case of the PC 1000 story.
pub const CASE: &str = "CR-2026-001234";

/// Monitoring the conditional release (the PC 1000 §2.35 consent's purpose).
pub static CJ_PURPOSE: Purpose = Purpose::from_static("cj-monitor-conditional-release");

/// Care coordination with the LEAD case manager (the LEAD §2.31 consent's purpose).
pub static LEAD_PURPOSE: Purpose = Purpose::from_static("lead-care-coordination");

/// The court's referral to treatment (the state-law release's purpose).
pub static REFERRAL_PURPOSE: Purpose = Purpose::from_static("cj-treatment-referral");

/// Coordinating care between treatment programs (the counseling-notes consent's purpose).
pub static CARE_PURPOSE: Purpose = Purpose::from_static("treatment-care-coordination");
