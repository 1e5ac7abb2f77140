//! # divex
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
//!
//! The crate is a binary only: its modules are the command's implementation, not a library
//! (the API is `divex-core` and `divex-ledger`). `main` parses the command line, runs the
//! command, and turns failures into a message with a hint and a documented exit code
//! (see `divex --help`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cli;
mod commands;
mod consent_toml;
mod demo;
mod error;
mod fsutil;
mod home;
mod keyring;
mod keystore;
mod passphrase;
mod support;
mod timefmt;

use std::io::Write;
use std::process::ExitCode;

use crate::cli::Cli;
use crate::error::{CliError, EXIT_OK, EXIT_USAGE};
use clap::Parser;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors exit 2 and, with
            // --json anywhere on the command line, are reported as the JSON error object like
            // every other failure.
            let code = u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE);
            if code != EXIT_OK && std::env::args_os().skip(1).any(|a| a == "--json") {
                let message = e.render().to_string();
                let first = message.lines().next().unwrap_or_default();
                report(
                    &CliError::Usage(first.trim_start_matches("error: ").to_owned()),
                    &[],
                    true,
                );
                return ExitCode::from(EXIT_USAGE);
            }
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let json = cli.json;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut warnings = Vec::new();
    match commands::run(cli, &mut out, &mut warnings) {
        Ok(()) => {
            let _ = out.flush();
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            let _ = out.flush();
            report(&e, &warnings, json);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints a failed command's error, after the warnings gathered before it failed (a held
/// file skipped can be why it failed).
fn report(e: &CliError, warnings: &[String], json: bool) {
    let mut err = std::io::stderr().lock();
    if json {
        let mut v = serde_json::json!({"error": {
            "category": e.category().map(|c| c.as_str()),
            "code": e.code(),
            "exit_code": e.exit_code(),
            "message": e.to_string(),
            "hint": e.hint(),
        }});
        if !warnings.is_empty()
            && let serde_json::Value::Object(m) = &mut v
        {
            m.insert("warnings".into(), serde_json::json!(warnings));
        }
        let _ = writeln!(err, "{v}");
    } else {
        for w in warnings {
            let _ = writeln!(err, "warning: {w}");
        }
        let _ = writeln!(err, "error: {e}");
        if let Some(h) = e.hint() {
            let _ = writeln!(err, "  hint: {h}");
        }
    }
}
