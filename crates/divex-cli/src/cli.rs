//! The command line: every subcommand and argument (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use divex_core::consent::DispositionOutcome;
use divex_core::directory::Role;
use divex_core::vocab::Vocabulary;

use crate::error::EXIT_CODES_HELP;
use crate::keystore::KdfProfile;
use crate::timefmt;

/// `divex`: signed, encrypted, consent-scoped disclosures of 42 CFR Part 2 treatment data.
#[derive(Debug, Parser)]
#[command(
    name = "divex",
    version,
    about = "Signed, encrypted, consent-scoped disclosures of 42 CFR Part 2 treatment data",
    long_about = "Signed, encrypted, consent-scoped disclosures of 42 CFR Part 2 treatment data \
                  between courts, prosecutors, probation, police (LEAD) and treatment providers.\n\n\
                  Start with `divex demo` to watch the whole diversion story, or `divex demo --dir D` \
                  to keep its keystores, directory, envelopes and ledgers for the other commands.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// The divex home directory (keystores, directory, consents, envelopes, ledgers).
    #[arg(
        long,
        global = true,
        env = "DIVEX_HOME",
        default_value = "divex-home",
        value_name = "DIR"
    )]
    pub home: PathBuf,

    /// Print machine-readable JSON on standard output (errors as JSON on standard error).
    #[arg(long, global = true)]
    pub json: bool,

    /// Test mode only: use this time (Unix seconds) instead of the system clock. Refused
    /// unless the environment sets `DIVEX_TEST_CLOCK=1`, and every command run with it says so
    /// on standard error (with `--json`, also as `"test_clock"` in its output).
    #[arg(long, global = true, hide = true, value_name = "UNIX_SECONDS")]
    pub now: Option<u64>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an agency: generate its keys and write its encrypted keystore.
    Init(InitArgs),
    /// An agency's keys: rotate them (the old keys are kept to open envelopes sealed to them).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Trust anchors: create one, issue and revoke agency certificates, publish signed
    /// directory snapshots.
    #[command(subcommand)]
    Anchor(AnchorCommand),
    /// The agency directory: import certificates, revocations and bundles; list them.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Consents: create from a TOML description, revoke, record case events, import, show.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Seal a record to one or more agencies, if the consent permits it.
    Seal(SealArgs),
    /// Open an envelope addressed to an agency: every envelope and consent check, then record it.
    Open(OpenArgs),
    /// Show the public structure of a divex file in COSE diagnostic notation (never secrets).
    Inspect(InspectArgs),
    /// The disclosure ledger: verify, accounting of disclosures, export.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Play the diversion story end to end with real envelopes and ledgers.
    Demo(DemoArgs),
}

/// `divex init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The agency's directory id, e.g. `county-treatment-program` (a-z 0-9 . _ -).
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// Also write the public key bundle to this file (to send to the trust anchor).
    #[arg(long, value_name = "FILE")]
    pub bundle_out: Option<PathBuf>,
    /// Passphrase key-derivation profile: interactive, or fast (tests and demos only).
    #[arg(long, env = "DIVEX_KDF", default_value = "interactive", value_parser = parse_kdf)]
    pub kdf: KdfProfile,
}

/// `divex keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Replace an agency's keys with new ones; the old keystore is kept, unchanged, under
    /// `agencies/ID/retired/` to open envelopes sealed to the old keys. Have the trust anchor
    /// certify the new keys (`divex anchor issue ... --from-keystore ID`) and revoke the old
    /// certificate as `superseded` (docs/operations.md, "Key rotation").
    Rotate(KeysRotateArgs),
}

/// `divex keys rotate`.
#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// The agency whose keys to rotate.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// Also write the new public key bundle to this file (to send to the trust anchor).
    #[arg(long, value_name = "FILE")]
    pub bundle_out: Option<PathBuf>,
    /// Passphrase key-derivation profile of the new keystore: interactive, or fast (tests and
    /// demos only).
    #[arg(long, env = "DIVEX_KDF", default_value = "interactive", value_parser = parse_kdf)]
    pub kdf: KdfProfile,
}

/// `divex anchor ...`.
#[derive(Debug, Subcommand)]
pub enum AnchorCommand {
    /// Create a trust anchor: its encrypted keystore, pinned in the home directory.
    Create(AnchorCreateArgs),
    /// Issue an agency certificate, add it to the home directory and write it to a file.
    Issue(AnchorIssueArgs),
    /// Revoke a certificate the anchor issued.
    Revoke(AnchorRevokeArgs),
    /// Publish the anchor's signed directory snapshot (next sequence, expiring in --days) for
    /// agencies to import with `divex directory import`.
    Publish(AnchorPublishArgs),
}

/// `divex anchor create`.
#[derive(Debug, Args)]
pub struct AnchorCreateArgs {
    /// The anchor's short name, used for its keystore file (a-z 0-9 . _ -).
    #[arg(long, value_name = "NAME", value_parser = parse_agency_id)]
    pub name: String,
    /// The display name written into the anchor, e.g. "Example County Justice IT"
    /// (default: NAME).
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Passphrase key-derivation profile: interactive, or fast (tests and demos only).
    #[arg(long, env = "DIVEX_KDF", default_value = "interactive", value_parser = parse_kdf)]
    pub kdf: KdfProfile,
}

/// `divex anchor issue`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("keys").required(true).args(["bundle", "from_keystore"])))]
pub struct AnchorIssueArgs {
    /// The anchor's short name.
    #[arg(long, value_name = "NAME", value_parser = parse_agency_id)]
    pub name: String,
    /// The agency id to certify.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// The agency's display name.
    #[arg(long, value_name = "TEXT")]
    pub agency_name: String,
    /// A role (repeatable): court, prosecutor, probation, parole, police, lead_case_manager,
    /// treatment_provider, intermediary.
    #[arg(long = "role", value_name = "ROLE", required = true, value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// The agency is a federally assisted SUD program under 42 CFR Part 2.
    #[arg(long)]
    pub part2: bool,
    /// The agency's public key bundle file (from `divex init --bundle-out`).
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Take the public keys from this agency's keystore in the home (no passphrase needed).
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub from_keystore: Option<String>,
    /// Days of validity.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub days: u64,
    /// Start of validity (Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default: now).
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_time)]
    pub not_before: Option<u64>,
    /// Where to write the certificate (default: HOME/certificates/AGENCY-SERIAL.cert.cose).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex anchor revoke`.
#[derive(Debug, Args)]
pub struct AnchorRevokeArgs {
    /// The anchor's short name.
    #[arg(long, value_name = "NAME", value_parser = parse_agency_id)]
    pub name: String,
    /// The certificate serial (32 hex digits, from `divex directory list`).
    #[arg(long, value_name = "HEX")]
    pub serial: String,
    /// The reason, a token such as key_compromise, superseded or ceased_operation.
    #[arg(long, value_name = "TOKEN")]
    pub reason: String,
    /// From when the certificate is untrusted (default: now).
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_time)]
    pub at: Option<u64>,
    /// Where to write the revocation (default: HOME/certificates/SERIAL.HASH.cert-revocation.cose).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex anchor publish`.
#[derive(Debug, Args)]
pub struct AnchorPublishArgs {
    /// The anchor's short name.
    #[arg(long, value_name = "NAME", value_parser = parse_agency_id)]
    pub name: String,
    /// Days until the snapshot expires (at most 31): agencies are warned, and
    /// `open --require-fresh-directory` refuses, once it has expired, so publish again before.
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=31))]
    pub days: u64,
    /// The sequence number (default: one more than the last snapshot this home published or
    /// imported from the anchor). Only to continue numbering after the anchor's home was lost:
    /// it must be higher than any sequence the anchor ever published.
    #[arg(long, value_name = "N")]
    pub sequence: Option<u64>,
    /// Where to write the snapshot (default: HOME/certificates/NAME-SEQUENCE.snapshot.cose).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex directory ...`.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Import a signed directory snapshot or a directory bundle, a certificate, a certificate
    /// revocation or a trust anchor.
    Import(DirectoryImportArgs),
    /// List the trusted anchors, certificates (with their status now) and revocations.
    List,
}

/// `divex directory import`.
#[derive(Debug, Args)]
pub struct DirectoryImportArgs {
    /// The file to import.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also pin the trust anchors the file carries. Compare their fingerprints (printed) with
    /// the issuing authority's before you use this.
    #[arg(long)]
    pub trust_anchors: bool,
}

/// `divex consent ...`.
#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Build a consent from a TOML description and sign it (witness agency + participant).
    Create(ConsentCreateArgs),
    /// Create a participant's (or representative's) personal signing key file.
    PatientKey(PatientKeyArgs),
    /// Sign a revocation of a consent (by the participant's key or a recording agency).
    Revoke(ConsentRevokeArgs),
    /// Sign a case disposition (court or prosecutor): ends §2.35 irrevocable periods.
    Event(ConsentEventArgs),
    /// Verify consents, revocations or case events and add them to an agency's holdings.
    Import(ConsentImportArgs),
    /// Summarise a signed consent and verify it.
    Show(ConsentShowArgs),
}

/// `divex consent create`.
#[derive(Debug, Args)]
pub struct ConsentCreateArgs {
    /// The consent description (see crates/divex-cli/examples/consent-pc1000.toml).
    #[arg(long = "from", value_name = "FILE.toml")]
    pub from: PathBuf,
    /// The witnessing agency (signs with its keystore; it holds the signed consent).
    #[arg(long, value_name = "WITNESS_ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// Personal key file of an electronic signer (repeatable, in the order of the TOML's
    /// electronic signers).
    #[arg(long = "patient-key", value_name = "FILE")]
    pub patient_keys: Vec<PathBuf>,
    /// Where to write the signed consent (default: the witness's consents folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex consent patient-key`.
#[derive(Debug, Args)]
pub struct PatientKeyArgs {
    /// Where to write the encrypted key file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// A label stored with the key, e.g. the signer's name.
    #[arg(long, value_name = "TEXT", default_value = "participant")]
    pub label: String,
    /// Passphrase key-derivation profile: interactive, or fast (tests and demos only).
    #[arg(long, env = "DIVEX_KDF", default_value = "interactive", value_parser = parse_kdf)]
    pub kdf: KdfProfile,
}

/// `divex consent revoke`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("signer").required(true).args(["by_agency", "patient_key"])))]
pub struct ConsentRevokeArgs {
    /// The signed consent to revoke.
    #[arg(long, value_name = "FILE")]
    pub consent: PathBuf,
    /// The agency recording a revocation the participant made (a discloser or the witness).
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub by_agency: Option<String>,
    /// The participant's personal key file.
    #[arg(long, value_name = "FILE")]
    pub patient_key: Option<PathBuf>,
    /// When the participant revoked (Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ;
    /// default: now).
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_time)]
    pub at: Option<u64>,
    /// How it was communicated, a token (written, oral-recorded, electronic).
    #[arg(long, value_name = "TOKEN", default_value = "written")]
    pub method: String,
    /// Where to write it (default: the agency's consents folder, or beside the consent).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex consent event`.
#[derive(Debug, Args)]
pub struct ConsentEventArgs {
    /// The court or prosecutor signing the disposition.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// The case reference.
    #[arg(long = "case", value_name = "REF")]
    pub case_ref: String,
    /// dismissed, diversion_terminated, record_sealed or not_filed.
    #[arg(long, value_name = "OUTCOME", value_parser = parse_outcome)]
    pub outcome: DispositionOutcome,
    /// When it took effect (default: now). At most 30 days ago, unless --court-order.
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_time)]
    pub at: Option<u64>,
    /// Admit a disposition dated more than 30 days ago on this court order (its reference,
    /// printed with a warning): without it such a back-dated event is refused.
    #[arg(long, value_name = "ORDER_REF", value_parser = parse_order_ref)]
    pub court_order: Option<String>,
    /// Where to write it (default: the agency's consents folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex consent import`.
#[derive(Debug, Args)]
pub struct ConsentImportArgs {
    /// The agency that will hold them.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// Admit case events dated more than 30 days before now on this court order (its
    /// reference, printed with a warning): without it such back-dated events are refused.
    #[arg(long, value_name = "ORDER_REF", value_parser = parse_order_ref)]
    pub court_order: Option<String>,
    /// Signed consents, revocations or case events. A revocation of a consent the agency
    /// does not hold yet is kept pending and applied when the consent arrives.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// `divex consent show`.
#[derive(Debug, Args)]
pub struct ConsentShowArgs {
    /// The signed consent.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also report its status (revoked, case events) from this agency's holdings.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: Option<String>,
}

/// `divex seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// The sending agency.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// A receiving agency (repeatable).
    #[arg(long = "to", value_name = "ID", required = true, value_parser = parse_agency_id)]
    pub to: Vec<String>,
    /// The id of the consent relied on (held by the sending agency).
    #[arg(long, value_name = "ID")]
    pub consent: String,
    /// Purpose of use, e.g. cj-monitor-conditional-release.
    #[arg(long, value_name = "P")]
    pub purpose: String,
    /// Record type, e.g. drug_test, attendance, progress_report.
    #[arg(long, value_name = "T")]
    pub record_type: String,
    /// The record as JSON (spec/records.md field names; `-` reads standard input).
    #[arg(long, value_name = "FILE.json")]
    pub record: PathBuf,
    /// Remove optional fields the consent does not permit instead of refusing.
    #[arg(long)]
    pub redact: bool,
    /// Send a reference to the consent instead of a copy (only if the consent allows it).
    #[arg(long)]
    pub reference: bool,
    /// The participant's full name.
    #[arg(long, value_name = "NAME")]
    pub subject_name: String,
    /// The participant's date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub subject_dob: String,
    /// Where to write the envelope (default: HOME/envelopes/ENVELOPE_ID.envelope.cose).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The receiving agency (this agency).
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// The envelope.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Refuse unless the directory holds a current (unexpired) signed snapshot of every pinned
    /// trust anchor, so that no published revocation can be missing by more than its expiry.
    #[arg(long)]
    pub require_fresh_directory: bool,
    /// Refuse an envelope issued more than this many days ago (default 30): the bound on the
    /// sender's clock (spec/consent.md §8.3). Raise it for an envelope delayed in transit.
    #[arg(long, value_name = "DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub max_age: u64,
}

/// `divex inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// An envelope, consent, certificate, revocation, case event, directory bundle, keystore,
    /// public bundle or trust anchor.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `divex ledger ...`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Verify the hash chain, every checkpoint under the key certified at its time, and the
    /// high-water mark; names the first bad entry or the missing ones. With --witness, also
    /// check the heads of this ledger that other agencies recorded.
    Verify(LedgerVerifyArgs),
    /// Adopt the ledger's current head as its high-water mark, after verifying it: for a
    /// ledger written before marks existed, or restored from a backup whose mark was lost.
    /// Needs the agency's passphrase.
    Mark(LedgerAgencyArgs),
    /// The accounting of disclosures about one participant (42 CFR §2.24).
    Accounting(LedgerAccountingArgs),
    /// Export the ledger (JSON lines).
    Export(LedgerExportArgs),
}

/// An agency whose ledger is used.
#[derive(Debug, Args)]
pub struct LedgerAgencyArgs {
    /// The agency.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
}

/// `divex ledger verify`.
#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    /// The agency whose ledger to verify.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// Another agency's ledger file (repeatable): every head of this agency's ledger it
    /// recorded with a disclosure must still be reached (spec/ledger.md §5.3). It is only read.
    #[arg(long = "witness", value_name = "LEDGER_FILE")]
    pub witnesses: Vec<PathBuf>,
}

/// `divex ledger accounting`.
#[derive(Debug, Args)]
pub struct LedgerAccountingArgs {
    /// The agency.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// The participant's full name.
    #[arg(long, value_name = "NAME")]
    pub subject_name: String,
    /// The participant's date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub subject_dob: String,
    /// From (inclusive; default: the beginning).
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_time)]
    pub from: Option<u64>,
    /// To (inclusive; default: now).
    #[arg(long, value_name = "TIME", value_parser = timefmt::parse_time)]
    pub to: Option<u64>,
}

/// `divex ledger export`.
#[derive(Debug, Args)]
pub struct LedgerExportArgs {
    /// The agency.
    #[arg(long, value_name = "ID", value_parser = parse_agency_id)]
    pub agency: String,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `divex demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the keystores, directory, envelopes and ledgers in this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Checks an agency id or anchor name: 1-64 characters of `a-z 0-9 . _ -`, not only dots (so
/// it is always a single, harmless path component).
pub fn parse_agency_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && !s.bytes().all(|b| b == b'.');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be 1-64 characters of a-z 0-9 . _ - (lower case), e.g. county-drug-court".into())
    }
}

/// A court order's reference, as the operator writes it: 1-128 characters, none of them a
/// control character (it is printed back).
fn parse_order_ref(s: &str) -> Result<String, String> {
    if !s.trim().is_empty() && s.chars().count() <= 128 && !s.chars().any(char::is_control) {
        Ok(s.to_owned())
    } else {
        Err("must be the court order's reference: 1-128 printable characters".into())
    }
}

fn parse_kdf(s: &str) -> Result<KdfProfile, String> {
    KdfProfile::parse(s).ok_or_else(|| "must be `interactive` or `fast`".to_owned())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        "must be one of court, prosecutor, probation, parole, police, lead_case_manager, \
         treatment_provider, intermediary"
            .to_owned()
    })
}

fn parse_outcome(s: &str) -> Result<DispositionOutcome, String> {
    match s {
        "dismissed" => Ok(DispositionOutcome::Dismissed),
        "diversion_terminated" => Ok(DispositionOutcome::DiversionTerminated),
        "record_sealed" => Ok(DispositionOutcome::RecordSealed),
        "not_filed" => Ok(DispositionOutcome::NotFiled),
        _ => Err("must be dismissed, diversion_terminated, record_sealed or not_filed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn agency_ids_are_path_safe() {
        assert!(parse_agency_id("county-court.1_a").is_ok());
        for bad in ["", ".", "..", "...", "a/b", "A", "x y", "../x"] {
            assert!(parse_agency_id(bad).is_err(), "{bad:?}");
        }
    }
}
