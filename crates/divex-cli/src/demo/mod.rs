//! `divex demo`: a PC 1000 diversion case and a LEAD referral, played end to end with real
//! keys, signed consents, sealed envelopes and one SQLite ledger per agency (issue 4, item 3).
//!
//! The story runs on a simulated clock that starts on 2025-01-06 and moves forward a few days
//! per step; every core and ledger call takes that time as a parameter, so two runs print the
//! same timeline except for random keys, envelope ids and hashes. The dates lie in the past, and
//! the certificates stay valid for five years, so that the other subcommands accept what is
//! left in `--dir` today (`divex open` of a demo envelope then reports a replay: the demo
//! already recorded every receipt in the recipients' ledgers).
//!
//! The cast:
//!
//! * a trust anchor (`county-justice-it`) certifying six agencies: the superior court, the
//!   district attorney, probation, a certified treatment provider (a 42 CFR Part 2 program),
//!   a police LEAD unit and a LEAD case manager;
//! * three signed consents: a state-law release (CA PC 1000) for the court's justice data
//!   flowing to treatment, the participant's §2.35 criminal-justice consent (provider → court,
//!   DA, probation; irrevocable until the final disposition) and a §2.31 LEAD consent (case
//!   manager → police LEAD unit; revocable at will; no adverse action).
//!
//! Every disclosure goes through [`divex_core::seal`] and
//! [`divex_core::open`]; every send and every receipt is recorded in the ledgers
//! of the agencies involved; refusals print the consent engine's reason.
//!
//! ## Layout
//!
//! * `world` — the cast and the story's state: the anchor, the six certified agencies with
//!   their keystores and ledgers, the participant and the simulated clock (set-up);
//! * `consents` — the three consents, their signing and the participant's revocations;
//! * `story` — the story's steps, in order;
//! * `disclose` — one disclosure: seal, write, open at every recipient, record in the ledgers;
//! * `report` — the timeline, the accountings and the ledger verification, as text or JSON.

use std::fs;
use std::io::Write;
use std::path::Path;

use divex_core::records::Date;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::fsutil;
use crate::home::Home;
use crate::passphrase;

mod consents;
mod disclose;
mod report;
mod story;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
mod world;

use report::Report;
use world::Story;

/// The passphrase of the demo keystores when `DIVEX_PASSPHRASE` is not set. Public on
/// purpose: the demo's keys protect nothing.
pub const DEMO_PASSPHRASE: &str = "divex-demo";

/// 2025-01-06 09:00 UTC, the day the court grants diversion.
const START: u64 = 1_736_154_000;
const CASE: &str = "CR-2025-000417";
const ANCHOR: &str = "county-justice-it";

const RELEASE_ID: &str = "c-pc1000-release-0001";
const PC1000_ID: &str = "c-pc1000-0001";
const LEAD_ID: &str = "c-lead-0001";

const COURT: &str = "superior-court";
const DA: &str = "district-attorney";
const PROBATION: &str = "probation";
const PROVIDER: &str = "treatment-provider";
const POLICE: &str = "police-lead-unit";
const CASE_MANAGER: &str = "lead-case-manager";

/// Runs the demo: sets up the cast in `dir` (or a temporary directory), plays the story, and
/// writes the timeline, the participant's accounting of disclosures and every ledger's
/// verification to `out` (as one JSON document with `json`).
///
/// A `dir` that exists must be empty: the demo never writes over files it did not create.
pub fn run(dir: Option<&Path>, json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let passphrase = Zeroizing::new(
        std::env::var(passphrase::ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| DEMO_PASSPHRASE.to_owned()),
    );
    match dir {
        Some(d) => {
            prepare_dir(d)?;
            let report = play(d, &passphrase)?;
            report.write(out, json, Some(d))
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("divex-demo-")
                .tempdir()
                .map_err(|e| CliError::io(&std::env::temp_dir(), "a temporary directory", e))?;
            let report = play(tmp.path(), &passphrase)?;
            report.write(out, json, None)
        }
    }
}

/// Creates `d`, or checks that it is an empty directory.
fn prepare_dir(d: &Path) -> Result<(), CliError> {
    let problem = if !d.exists() {
        None
    } else if !d.is_dir() {
        Some("is not a directory")
    } else if fs::read_dir(d)
        .map_err(|e| CliError::io(d, "the demo directory", e))?
        .next()
        .is_some()
    {
        Some("is not empty")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(CliError::Usage(format!(
            "{} {problem}: the demo creates fresh keystores, ledgers and envelopes and never writes over files it did not make; give --dir a new or empty directory",
            d.display()
        )));
    }
    create_dir(d)
}

/// Sets up the cast under `root`, plays the story and collects what the report prints.
fn play(root: &Path, passphrase: &str) -> Result<Report, CliError> {
    let mut story = Story::set_up(Home::new(root), passphrase)?;
    story.play()?;
    story.finish()
}

/// The calendar date of a simulated time (the story's dates are all in 2025).
fn date(t: u64) -> Result<Date, CliError> {
    Date::from_unix_seconds(t)
        .ok_or_else(|| CliError::Other("the simulated clock left the calendar".into()))
}

fn day(t: u64) -> String {
    Date::from_unix_seconds(t).map_or_else(|| t.to_string(), |d| d.to_string())
}

/// Creates `dir` and its parents, private to the user (a home holds keys and PHI).
fn create_dir(dir: &Path) -> Result<(), CliError> {
    fsutil::create_dir_private(dir).map_err(|e| CliError::io(dir, "a demo directory", e))
}

fn create_parent(path: &Path) -> Result<(), CliError> {
    path.parent().map_or(Ok(()), create_dir)
}

/// Replaces a file atomically (the directory after a rotation).
fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    fsutil::write_atomic(path, bytes, true)
        .map(|_| ())
        .map_err(|e| CliError::io(path, "a demo file", e))
}

/// Writes a new file atomically (never over an existing one).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    fsutil::write_atomic(path, bytes, false)
        .map(|_| ())
        .map_err(|e| CliError::io(path, "a demo file", e))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
