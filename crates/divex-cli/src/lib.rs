//! # divex-cli
//!
//! The `divex` command: agency keystores, trust anchors, the agency directory, consents,
//! `seal` and `open`, `inspect`, the disclosure ledger, and `divex demo`. See the crate's
//! README for every command, the consent TOML schema and the exit codes.
//!
//! ## Safety contract
//!
//! * No `unsafe` code (`#![forbid(unsafe_code)]`).
//! * Secret keys exist on disk only inside encrypted keystores ([`keystore`]: Argon2id +
//!   ChaCha20-Poly1305); passphrases and secrets are zeroized after use and never printed.
//! * A command that fails writes nothing: outputs are staged and moved into place only after
//!   every check passed ([`fsutil`]).
//! * Every failure is a [`error::CliError`] with a documented exit code and a hint.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli;
pub mod commands;
pub mod consent_toml;
pub mod demo;
pub mod error;
pub mod fsutil;
pub mod home;
pub mod inspect;
pub mod keystore;
pub mod passphrase;
pub mod support;
pub mod timefmt;

pub use error::CliError;
pub use home::Home;
