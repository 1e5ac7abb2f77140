//! What each subcommand does, one file per command group. Every command checks everything it
//! can before it asks for a passphrase, and writes its outputs only after every check passed
//! (staged, then moved into place), so a failed command leaves the home as it was.
//!
//! * `keys` — `init`, `keys rotate` and `consent patient-key`;
//! * `anchor` — `anchor create | issue | revoke | publish`;
//! * `directory` — `directory import | list`;
//! * `consent` — `consent create | revoke | event | import | show`;
//! * `seal` and `open` — disclosures;
//! * `inspect` — what a file is;
//! * `ledger` — `ledger verify | mark | accounting | export`.
//!
//! This file holds what they share: the context, the dispatcher and the report printer.

use std::cell::RefCell;
use std::io::Write;

use divex_core::consent::{ConsentSet, Subject};
use divex_core::directory::Directory;
use divex_core::records::Date;
use serde_json::json;

use crate::cli::{
    AnchorCommand, Cli, Command, ConsentCommand, DirectoryCommand, KeysCommand, LedgerCommand,
};
use crate::error::CliError;
use crate::home::Home;
use crate::keystore::KdfProfile;
use crate::support::{self, Report, load_consents, load_directory, load_directory_or_empty};
use crate::timefmt::{format_time, system_now};

mod anchor;
mod consent;
mod directory;
mod inspect;
mod keys;
mod ledger;
mod open;
mod seal;

use anchor::{anchor_create, anchor_issue, anchor_publish, anchor_revoke};
use consent::{consent_create, consent_event, consent_import, consent_revoke, consent_show};
use directory::{directory_import, directory_list};
use inspect::inspect_cmd;
use keys::{init, keys_rotate, patient_key};
use ledger::{ledger_accounting, ledger_export, ledger_mark, ledger_verify};
use open::open;
use seal::seal;

const DAY: u64 = 86_400;

/// The environment variable that must be `1` for `--now` to be accepted: setting the clock is
/// a test mode, never how an agency runs (a sender whose clock is set back could date a
/// disclosure before a revocation; spec/consent.md §8.3).
pub const TEST_CLOCK_ENV: &str = "DIVEX_TEST_CLOCK";

/// The time this command runs at: the system clock, or `--now` in test mode. `--now` without
/// `DIVEX_TEST_CLOCK=1` is a usage error.
fn command_time(now: Option<u64>) -> Result<(u64, bool), CliError> {
    match now {
        None => Ok((system_now(), false)),
        Some(t) if std::env::var_os(TEST_CLOCK_ENV).is_some_and(|v| v == "1") => Ok((t, true)),
        Some(_) => Err(CliError::Usage(format!(
            "--now sets the clock for tests only; it is refused unless {TEST_CLOCK_ENV}=1 is set in the environment"
        ))),
    }
}

/// The warning every command run on the test clock prints.
fn test_clock_warning(now: u64) -> String {
    format!(
        "TEST CLOCK: the time is {} ({now}) from --now ({TEST_CLOCK_ENV}=1), not this computer's clock; never use this mode for real disclosures",
        format_time(now)
    )
}

/// The context every command runs in.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The home directory.
    pub home: Home,
    /// `--json`.
    pub json: bool,
    /// The current time (system clock, or `--now` in test mode).
    pub now: u64,
    /// The clock was set by `--now` (test mode, [`TEST_CLOCK_ENV`]).
    test_clock: bool,
    /// Warnings gathered while the command runs (held files skipped, …): printed whether the
    /// command succeeds or fails.
    warnings: RefCell<Vec<String>>,
}

impl Ctx {
    /// The home's directory with its held signed snapshots merged in
    /// ([`load_directory`]): the one place commands load it. Its warnings (a held snapshot
    /// skipped, an anchor's snapshot expired) are printed however the command ends.
    fn directory(&self) -> Result<Directory, CliError> {
        let (dir, notes) = load_directory(&self.home)?;
        self.judged(dir, notes)
    }

    /// [`Ctx::directory`]; with `require_fresh` (`open --require-fresh-directory`), refused
    /// with `bundle_expired` unless it holds a current signed snapshot of every pinned anchor.
    fn directory_with_policy(&self, require_fresh: bool) -> Result<Directory, CliError> {
        let dir = self.directory()?;
        if require_fresh {
            support::require_fresh(&dir, self.now)?;
        }
        Ok(dir)
    }

    /// [`Ctx::directory`], or an empty directory if the home has none yet.
    fn directory_or_empty(&self) -> Result<Directory, CliError> {
        let (dir, notes) = load_directory_or_empty(&self.home)?;
        self.judged(dir, notes)
    }

    /// The directory a command is about to change by importing or publishing a snapshot, or
    /// an empty one: its age is judged after the change ([`Ctx::judge`]), not before.
    fn directory_to_update(&self) -> Result<Directory, CliError> {
        let (dir, notes) = load_directory_or_empty(&self.home)?;
        self.warnings.borrow_mut().extend(notes);
        Ok(dir)
    }

    /// Warns for every anchor of `dir` whose latest snapshot has expired.
    fn judge(&self, dir: &Directory) {
        self.warnings
            .borrow_mut()
            .extend(support::freshness_warnings(dir, self.now));
    }

    fn judged(&self, dir: Directory, notes: Vec<String>) -> Result<Directory, CliError> {
        self.warnings.borrow_mut().extend(notes);
        self.judge(&dir);
        Ok(dir)
    }

    /// What agency `agency_id` holds (its verified consents, revocations and case events), as
    /// [`load_consents`] reads them: the one place every command loads holdings. A held file
    /// that does not verify is skipped, and its warning is printed however the command ends.
    fn holdings(&self, agency_id: &str, directory: &Directory) -> Result<ConsentSet, CliError> {
        let (set, notes) = load_consents(&self.home, agency_id, directory, self.now)?;
        self.warnings.borrow_mut().extend(notes);
        Ok(set)
    }
}

/// Runs the parsed command line, printing its report to `out` (warnings to standard error).
/// When the command fails, the warnings gathered until then are left in `warnings`, for the
/// caller to print with the error.
pub fn run(cli: Cli, out: &mut dyn Write, warnings: &mut Vec<String>) -> Result<(), CliError> {
    let (now, test_clock) = command_time(cli.now)?;
    let ctx = Ctx {
        home: Home::new(cli.home),
        json: cli.json,
        now,
        test_clock,
        warnings: RefCell::default(),
    };
    // Said before anything runs, so that it shows however the command ends. With --json the
    // error object on standard error must stay the only thing there: the warning is then in
    // the output (`"test_clock"`), printed with it.
    if test_clock && !ctx.json {
        eprintln!("warning: {}", test_clock_warning(now));
    }
    let result = dispatch(&ctx, cli.command, out);
    warnings.extend(ctx.warnings.take());
    match result? {
        Some(mut report) => {
            report.warnings.splice(0..0, warnings.drain(..));
            print_report(&ctx, report, out)
        }
        None => {
            if test_clock && ctx.json {
                eprintln!("warning: {}", test_clock_warning(now));
            }
            Ok(())
        }
    }
}

/// Runs one command: its report, or `None` for the commands that print as they go.
fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<Option<Report>, CliError> {
    let report = match command {
        Command::Demo(args) => {
            crate::demo::run(args.dir.as_deref(), ctx.json, out)?;
            return Ok(None);
        }
        Command::Ledger(LedgerCommand::Export(args)) => {
            ledger_export(ctx, &args, out)?;
            return Ok(None);
        }
        Command::Init(a) => init(ctx, &a)?,
        Command::Keys(KeysCommand::Rotate(a)) => keys_rotate(ctx, &a)?,
        Command::Anchor(AnchorCommand::Create(a)) => anchor_create(ctx, &a)?,
        Command::Anchor(AnchorCommand::Issue(a)) => anchor_issue(ctx, &a)?,
        Command::Anchor(AnchorCommand::Revoke(a)) => anchor_revoke(ctx, &a)?,
        Command::Anchor(AnchorCommand::Publish(a)) => anchor_publish(ctx, &a)?,
        Command::Directory(DirectoryCommand::Import(a)) => directory_import(ctx, &a)?,
        Command::Directory(DirectoryCommand::List) => directory_list(ctx)?,
        Command::Consent(ConsentCommand::Create(a)) => consent_create(ctx, &a)?,
        Command::Consent(ConsentCommand::PatientKey(a)) => patient_key(ctx, &a)?,
        Command::Consent(ConsentCommand::Revoke(a)) => consent_revoke(ctx, &a)?,
        Command::Consent(ConsentCommand::Event(a)) => consent_event(ctx, &a)?,
        Command::Consent(ConsentCommand::Import(a)) => consent_import(ctx, &a)?,
        Command::Consent(ConsentCommand::Show(a)) => consent_show(ctx, &a)?,
        // These two print their report themselves, before they commit what they record
        // (spec/ledger.md §6): an output that cannot be written leaves nothing recorded.
        Command::Seal(a) => {
            seal(ctx, &a, out)?;
            return Ok(None);
        }
        Command::Open(a) => {
            open(ctx, &a, out)?;
            return Ok(None);
        }
        Command::Inspect(a) => inspect_cmd(ctx, &a)?,
        Command::Ledger(LedgerCommand::Verify(a)) => ledger_verify(ctx, &a)?,
        Command::Ledger(LedgerCommand::Mark(a)) => ledger_mark(ctx, &a)?,
        Command::Ledger(LedgerCommand::Accounting(a)) => ledger_accounting(ctx, &a)?,
    };
    Ok(Some(report))
}

impl Ctx {
    /// Prints `report` now — after the warnings gathered so far — and flushes standard output,
    /// for a command that must know its report was written before it commits what it records
    /// (`seal`, `open`). A write error is [`CliError::Io`] naming standard output.
    fn emit(&self, mut report: Report, out: &mut dyn Write) -> Result<(), CliError> {
        let mut warnings = self.warnings.take();
        warnings.append(&mut report.warnings);
        report.warnings = warnings;
        print_report(self, report, out)?;
        out.flush().map_err(stdout_error)
    }
}

/// A failed write to standard output.
fn stdout_error(e: std::io::Error) -> CliError {
    CliError::io(
        std::path::Path::new("standard output"),
        "standard output",
        e,
    )
}

fn print_report(ctx: &Ctx, mut report: Report, out: &mut dyn Write) -> Result<(), CliError> {
    let mut err = std::io::stderr().lock();
    for w in &report.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    if ctx.json {
        if !report.warnings.is_empty()
            && let serde_json::Value::Object(m) = &mut report.json
        {
            m.insert("warnings".into(), json!(report.warnings));
        }
        if ctx.test_clock {
            eprintln!("warning: {}", test_clock_warning(ctx.now));
            if let serde_json::Value::Object(m) = &mut report.json {
                m.insert(
                    "test_clock".into(),
                    json!({"now": ctx.now, "warning": test_clock_warning(ctx.now)}),
                );
            }
        }
        let text = serde_json::to_string_pretty(&report.json)
            .map_err(|e| CliError::Other(format!("cannot format JSON: {e}")))?;
        writeln!(out, "{text}").map_err(stdout_error)?;
    } else {
        write!(out, "{}", report.human).map_err(stdout_error)?;
        if !report.human.ends_with('\n') {
            writeln!(out).map_err(stdout_error)?;
        }
    }
    Ok(())
}

fn fast_warning(kdf: KdfProfile) -> Option<String> {
    (kdf == KdfProfile::Fast).then(|| {
        "the keystore uses the fast KDF profile (1 MiB Argon2id): for tests and demos only, never for real keys".to_owned()
    })
}

fn with_warnings(mut r: Report, ws: impl IntoIterator<Item = String>) -> Report {
    r.warnings.extend(ws);
    r
}

fn subject(name: &str, dob: &str) -> Result<Subject, CliError> {
    if name.trim().is_empty() {
        return Err(CliError::Usage("--subject-name is empty".into()));
    }
    let date_of_birth = dob
        .parse::<Date>()
        .map_err(|_| CliError::Usage("--subject-dob must be a date YYYY-MM-DD".into()))?;
    Ok(Subject {
        name: name.to_owned(),
        date_of_birth,
    })
}
