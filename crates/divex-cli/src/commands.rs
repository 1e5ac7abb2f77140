//! What each subcommand does. Every command checks everything it can before it asks for a
//! passphrase, and writes its outputs only after every check passed (staged, then moved into
//! place), so a failed command leaves the home as it was.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use divex_core::consent::{
    CaseEvent, ConsentError, RevocationStatement, SignedConsent, StatementSigner, Subject,
    VerifiedConsent,
};
use divex_core::decision::MinimumNecessary;
use divex_core::directory::{
    AnchorKeys, CertificateRequest, Directory, DirectoryError, Serial, TrustAnchor,
};
use divex_core::disclosure::{self, ConsentCopy, SealRequest};
use divex_core::keys::{PersonalKey, PublicBundle};
use divex_core::records::{Record, RecordType};
use divex_ledger::{Entry, Ledger};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::{
    AnchorCommand, AnchorCreateArgs, AnchorIssueArgs, AnchorRevokeArgs, Cli, Command,
    ConsentCommand, ConsentCreateArgs, ConsentEventArgs, ConsentImportArgs, ConsentRevokeArgs,
    ConsentShowArgs, DirectoryCommand, DirectoryImportArgs, InitArgs, InspectArgs,
    LedgerAccountingArgs, LedgerAgencyArgs, LedgerCommand, LedgerExportArgs, OpenArgs,
    PatientKeyArgs, SealArgs,
};
use crate::consent_toml::{self, Signing};
use crate::error::CliError;
use crate::home::Home;
use crate::inspect::{self, MAX_INSPECT_BYTES};
use crate::keystore::{self, KdfProfile, KeystoreError};
use crate::passphrase::passphrase;
use crate::support::{
    CONSENT_SUFFIX, EVENT_SUFFIX, Lines, REVOCATION_SUFFIX, Report, commit_all, ensure_absent,
    hash8, join, load_consents, load_directory, load_directory_or_empty, open_agency_keys,
    read_file, stage, stage_directory, wire_name,
};
use crate::timefmt::{format_time, system_now};
use divex_core::envelope::OpenOptions;
use divex_core::error::Classified;
use divex_core::records::Date;
use divex_core::vocab::Purpose;

/// Largest record JSON accepted.
const MAX_RECORD_JSON: usize = 256 * 1024;
/// Largest envelope file accepted by `open`.
const MAX_ENVELOPE_FILE: usize = 16 * 1024 * 1024;
/// Largest consent description accepted.
const MAX_TOML: usize = 256 * 1024;
const DAY: u64 = 86_400;

/// The context every command runs in.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The home directory.
    pub home: Home,
    /// `--json`.
    pub json: bool,
    /// The current time (system clock or `--now`).
    pub now: u64,
}

/// Runs the parsed command line, printing its report to `out` (warnings to standard error).
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CliError> {
    let ctx = Ctx {
        home: Home::new(cli.home),
        json: cli.json,
        now: cli.now.unwrap_or_else(system_now),
    };
    let report = match cli.command {
        Command::Demo(args) => return crate::demo::run(args.dir.as_deref(), ctx.json, out),
        Command::Ledger(LedgerCommand::Export(args)) => return ledger_export(&ctx, &args, out),
        Command::Init(a) => init(&ctx, &a)?,
        Command::Anchor(AnchorCommand::Create(a)) => anchor_create(&ctx, &a)?,
        Command::Anchor(AnchorCommand::Issue(a)) => anchor_issue(&ctx, &a)?,
        Command::Anchor(AnchorCommand::Revoke(a)) => anchor_revoke(&ctx, &a)?,
        Command::Directory(DirectoryCommand::Import(a)) => directory_import(&ctx, &a)?,
        Command::Directory(DirectoryCommand::List) => directory_list(&ctx)?,
        Command::Consent(ConsentCommand::Create(a)) => consent_create(&ctx, &a)?,
        Command::Consent(ConsentCommand::PatientKey(a)) => patient_key(&ctx, &a)?,
        Command::Consent(ConsentCommand::Revoke(a)) => consent_revoke(&ctx, &a)?,
        Command::Consent(ConsentCommand::Event(a)) => consent_event(&ctx, &a)?,
        Command::Consent(ConsentCommand::Import(a)) => consent_import(&ctx, &a)?,
        Command::Consent(ConsentCommand::Show(a)) => consent_show(&ctx, &a)?,
        Command::Seal(a) => seal(&ctx, &a)?,
        Command::Open(a) => open(&ctx, &a)?,
        Command::Inspect(a) => inspect_cmd(&ctx, &a)?,
        Command::Ledger(LedgerCommand::Verify(a)) => ledger_verify(&ctx, &a)?,
        Command::Ledger(LedgerCommand::Accounting(a)) => ledger_accounting(&ctx, &a)?,
    };
    print_report(&ctx, report, out)
}

fn print_report(ctx: &Ctx, mut report: Report, out: &mut dyn Write) -> Result<(), CliError> {
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if ctx.json {
        if !report.warnings.is_empty()
            && let serde_json::Value::Object(m) = &mut report.json
        {
            m.insert("warnings".into(), json!(report.warnings));
        }
        let text = serde_json::to_string_pretty(&report.json)
            .map_err(|e| CliError::Other(format!("cannot format JSON: {e}")))?;
        writeln!(out, "{text}")?;
    } else {
        write!(out, "{}", report.human)?;
        if !report.human.ends_with('\n') {
            writeln!(out)?;
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

// ---------------------------------------------------------------------------------------------
// init

fn init(ctx: &Ctx, a: &InitArgs) -> Result<Report, CliError> {
    let path = ctx.home.keystore(&a.agency);
    if path.exists() {
        return Err(KeystoreError::Exists { path }.into());
    }
    if let Some(b) = &a.bundle_out {
        ensure_absent(b)?;
    }
    let pass = Zeroizing::new(passphrase(
        &format!("New passphrase for agency {}: ", a.agency),
        true,
    )?);
    let keys = divex_core::keys::AgencyKeys::generate();
    keystore::create_agency(&path, &a.agency, &keys, &pass, a.kdf)?;
    let bundle = keys.public().to_bytes();
    let mut written = vec![path.display().to_string()];
    if let Some(b) = &a.bundle_out {
        stage(b, &bundle, false)?
            .commit()
            .map_err(|e| CliError::io(b, "the bundle file", e))?;
        written.push(b.display().to_string());
    }
    let sk = keys.public().signing().kid().to_hex();
    let ek = keys.public().encryption().kid().to_hex();
    let mut l = Lines::new();
    l.add("agency", &a.agency)
        .add("keystore", path.display().to_string())
        .add("signing key id", &sk)
        .add("encryption key id", &ek)
        .add("public bundle", hex::encode(&bundle));
    if let Some(b) = &a.bundle_out {
        l.add("bundle file", b.display().to_string());
    }
    let mut human = format!("Created agency {}.\n{}", a.agency, l.render());
    human.push_str(&format!(
        "Next: have your trust anchor certify these keys, e.g.\n  divex anchor issue --name ANCHOR --agency {} --agency-name \"...\" --role ROLE --from-keystore {} --days 365\n",
        a.agency, a.agency
    ));
    let r = Report::new(
        human,
        json!({
            "agency": a.agency,
            "keystore": path,
            "signing_key_id": sk,
            "encryption_key_id": ek,
            "public_bundle": hex::encode(&bundle),
            "bundle_file": a.bundle_out,
            "kdf": a.kdf.as_str(),
        }),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}

// ---------------------------------------------------------------------------------------------
// anchor

fn anchor_path_or_missing(ctx: &Ctx, name: &str) -> Result<PathBuf, CliError> {
    let path = ctx.home.anchor_keystore(name);
    if !path.exists() {
        return Err(CliError::NotFound {
            what: format!("the keystore of trust anchor '{name}'"),
            path,
            hint: format!(
                "check --name and --home; create it with `divex anchor create --name {name}`"
            ),
        });
    }
    Ok(path)
}

fn open_anchor(ctx: &Ctx, name: &str) -> Result<AnchorKeys, CliError> {
    let path = anchor_path_or_missing(ctx, name)?;
    let pass = Zeroizing::new(passphrase(
        &format!("Passphrase for trust anchor {name}: "),
        false,
    )?);
    Ok(keystore::open_anchor(&path, &pass)?)
}

fn anchor_create(ctx: &Ctx, a: &AnchorCreateArgs) -> Result<Report, CliError> {
    let path = ctx.home.anchor_keystore(&a.name);
    if path.exists() {
        return Err(KeystoreError::Exists { path }.into());
    }
    let display = a.display_name.clone().unwrap_or_else(|| a.name.clone());
    let anchor = AnchorKeys::generate(&display).map_err(|e| CliError::InvalidInput {
        what: "--display-name".into(),
        reason: e.to_string(),
    })?;
    let mut dir = load_directory_or_empty(&ctx.home)?;
    dir.add_anchor(anchor.public())?;
    let staged_dir = stage_directory(&ctx.home, &dir)?;
    let pass = Zeroizing::new(passphrase(
        &format!("New passphrase for trust anchor {}: ", a.name),
        true,
    )?);
    keystore::create_anchor(&path, &anchor, &pass, a.kdf)?;
    commit_all(vec![staged_dir])?;
    let kid = anchor.kid().to_hex();
    let mut l = Lines::new();
    l.add("anchor", &a.name)
        .add("display name", &display)
        .add("fingerprint", &kid)
        .add("keystore", path.display().to_string())
        .add("directory", ctx.home.directory_file().display().to_string());
    let human = format!(
        "Created trust anchor {}; it is pinned in this home's directory.\n{}Agencies pin it by comparing this fingerprint out of band.\n",
        a.name,
        l.render()
    );
    let r = Report::new(
        human,
        json!({"anchor": a.name, "display_name": display, "fingerprint": kid, "keystore": path,
               "directory": ctx.home.directory_file(), "kdf": a.kdf.as_str()}),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}

fn anchor_issue(ctx: &Ctx, a: &AnchorIssueArgs) -> Result<Report, CliError> {
    anchor_path_or_missing(ctx, &a.name)?;
    let bundle = match (&a.bundle, &a.from_keystore) {
        (Some(f), _) => {
            let b = read_file(f, "the public bundle", 4096)?;
            PublicBundle::from_bytes(&b)?
        }
        (None, Some(id)) => {
            let ks = ctx.home.keystore(id);
            if !ks.exists() {
                return Err(CliError::NotFound {
                    what: format!("the keystore of agency '{id}'"),
                    path: ks,
                    hint: format!(
                        "create it with `divex init --agency {id}`, or pass its --bundle file"
                    ),
                });
            }
            keystore::read_info(&ks)?.agency_bundle().ok_or_else(|| {
                CliError::Usage(format!("{} is not an agency keystore", ks.display()))
            })?
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give --bundle FILE or --from-keystore ID".into(),
            ));
        }
    };
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let not_before = a.not_before.unwrap_or(ctx.now);
    let not_after = not_before
        .checked_add(a.days.saturating_mul(DAY))
        .ok_or_else(|| CliError::Usage("--days is too large".into()))?;
    let mut dir = load_directory_or_empty(&ctx.home)?;
    let anchor = open_anchor(ctx, &a.name)?;
    dir.add_anchor(anchor.public())?;
    let cert = anchor
        .issue(&CertificateRequest {
            agency_id: a.agency.clone(),
            name: a.agency_name.clone(),
            roles: a.roles.clone(),
            part2_program: a.part2,
            keys: bundle,
            not_before,
            not_after,
        })
        .map_err(|e| match e {
            DirectoryError::InvalidCertificate(_) => CliError::InvalidInput {
                what: "the certificate request".into(),
                reason: e.to_string(),
            },
            other => other.into(),
        })?;
    dir.add_certificate(cert.as_bytes())?;
    let serial = cert.serial().to_hex();
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home
            .certificates_dir()
            .join(format!("{}-{serial}.cert.cose", a.agency))
    });
    let staged = vec![
        stage(&out, cert.as_bytes(), false)?,
        stage_directory(&ctx.home, &dir)?,
    ];
    commit_all(staged)?;
    let roles: Vec<&str> = cert.roles().iter().map(|r| r.as_str()).collect();
    let mut l = Lines::new();
    l.add("agency", format!("{} ({})", cert.agency_id(), cert.name()))
        .add("roles", roles.join(", "))
        .add(
            "part 2 program",
            if cert.part2_program() { "yes" } else { "no" },
        )
        .add("serial", &serial)
        .add(
            "valid",
            format!("{} to {}", format_time(not_before), format_time(not_after)),
        )
        .add("signing key id", cert.keys().signing().kid().to_hex())
        .add("encryption key id", cert.keys().encryption().kid().to_hex())
        .add("certificate", out.display().to_string());
    Ok(Report::new(
        format!(
            "Issued a certificate to {} and added it to this home's directory.\n{}",
            a.agency,
            l.render()
        ),
        json!({"agency": cert.agency_id(), "name": cert.name(), "roles": roles,
               "part2_program": cert.part2_program(), "serial": serial,
               "not_before": not_before, "not_after": not_after,
               "signing_key_id": cert.keys().signing().kid().to_hex(),
               "encryption_key_id": cert.keys().encryption().kid().to_hex(),
               "certificate": out}),
    ))
}

fn anchor_revoke(ctx: &Ctx, a: &AnchorRevokeArgs) -> Result<Report, CliError> {
    anchor_path_or_missing(ctx, &a.name)?;
    let serial = hex::decode(a.serial.trim())
        .ok()
        .and_then(|b| Serial::from_bytes(&b))
        .ok_or_else(|| {
            CliError::Usage(
                "--serial must be the certificate's 32 hex digits (see `divex directory list`)"
                    .into(),
            )
        })?;
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let at = a.at.unwrap_or(ctx.now);
    let mut dir = load_directory_or_empty(&ctx.home)?;
    let anchor = open_anchor(ctx, &a.name)?;
    dir.add_anchor(anchor.public())?;
    let rev = anchor.revoke(serial, at, &a.reason).map_err(|e| match e {
        DirectoryError::InvalidRevocation(_) => CliError::InvalidInput {
            what: "the revocation".into(),
            reason: e.to_string(),
        },
        other => other.into(),
    })?;
    dir.add_revocation(rev.as_bytes())?;
    let known = dir
        .certificates()
        .find(|c| c.serial() == serial && c.issuer() == anchor.kid())
        .map(|c| c.agency_id().to_owned());
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home.certificates_dir().join(format!(
            "{}.{}.cert-revocation.cose",
            serial.to_hex(),
            hash8(rev.as_bytes())
        ))
    });
    commit_all(vec![
        stage(&out, rev.as_bytes(), false)?,
        stage_directory(&ctx.home, &dir)?,
    ])?;
    let mut l = Lines::new();
    l.add("serial", serial.to_hex())
        .add(
            "agency",
            known
                .clone()
                .unwrap_or_else(|| "(certificate not in this directory)".into()),
        )
        .add("untrusted from", format_time(at))
        .add("reason", &a.reason)
        .add("revocation", out.display().to_string());
    let mut r = Report::new(
        format!(
            "Revoked certificate {}.\n{}Distribute the revocation file to every agency (`divex directory import`).\n",
            serial.to_hex(),
            l.render()
        ),
        json!({"serial": serial.to_hex(), "agency": known, "revoked_at": at, "reason": a.reason, "revocation": out}),
    );
    if known.is_none() {
        r = r.warn("no certificate with this serial from this anchor is in the directory");
    }
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// directory

fn directory_import(ctx: &Ctx, a: &DirectoryImportArgs) -> Result<Report, CliError> {
    let bytes = read_file(
        &a.file,
        "the file to import",
        divex_core::directory::MAX_DIRECTORY_BYTES,
    )?;
    let mut dir = load_directory_or_empty(&ctx.home)?;
    let before = (
        dir.anchors().count(),
        dir.certificates().count(),
        dir.revocations().count(),
    );
    let mut pinned: Vec<TrustAnchor> = Vec::new();
    let kind;
    let value = divex_core::codec::decode_with(
        &bytes,
        &divex_core::codec::DecodeLimits {
            max_input: divex_core::directory::MAX_DIRECTORY_BYTES,
            max_depth: 8,
            max_items: divex_core::directory::MAX_ENTRIES,
            max_string: divex_core::directory::MAX_DIRECTORY_BYTES,
        },
    )
    .map_err(|e| {
        CliError::Refused(format!(
            "{} is corrupted or not a divex file: it is not strict CBOR ({e})",
            a.file.display()
        ))
    })?;
    let typ = match &value {
        divex_core::codec::Value::Map(m) => m
            .get(&divex_core::codec::Value::from("typ"))
            .and_then(divex_core::codec::Value::as_text)
            .map(str::to_owned),
        _ => None,
    };
    if typ.as_deref() == Some(divex_core::directory::TYP_DIRECTORY) {
        kind = "directory bundle";
        if a.trust_anchors {
            // Validate the whole bundle under its own anchors first, then pin them.
            let theirs = Directory::from_bytes(&bytes)?;
            for anchor in theirs.anchors() {
                if !dir.anchors().any(|x| x == anchor) {
                    pinned.push(anchor.clone());
                }
                dir.add_anchor(anchor.clone())?;
            }
        }
        dir.merge(&bytes)?;
    } else if let Ok(anchor) = TrustAnchor::from_bytes(&bytes) {
        kind = "trust anchor";
        if !a.trust_anchors {
            return Err(CliError::Usage(format!(
                "this file is the trust anchor '{}' with fingerprint {}; compare the fingerprint with the authority's and rerun with --trust-anchors to pin it",
                anchor.name(),
                anchor.kid()
            )));
        }
        if !dir.anchors().any(|x| *x == anchor) {
            pinned.push(anchor.clone());
        }
        dir.add_anchor(anchor)?;
    } else {
        match dir.add_certificate(&bytes) {
            Ok(()) => kind = "certificate",
            Err(DirectoryError::WrongType { .. }) => {
                dir.add_revocation(&bytes)?;
                kind = "certificate revocation";
            }
            Err(e) => return Err(e.into()),
        }
    }
    commit_all(vec![stage_directory(&ctx.home, &dir)?])?;
    let after = (
        dir.anchors().count(),
        dir.certificates().count(),
        dir.revocations().count(),
    );
    let added = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    let mut l = Lines::new();
    l.add("imported", format!("{kind} from {}", a.file.display()))
        .add(
            "added",
            format!(
                "{} anchor(s), {} certificate(s), {} revocation(s)",
                added.0, added.1, added.2
            ),
        )
        .add("directory", ctx.home.directory_file().display().to_string());
    for p in &pinned {
        l.add(
            "pinned anchor",
            format!("{} (fingerprint {})", p.name(), p.kid()),
        );
    }
    Ok(Report::new(
        l.render(),
        json!({"kind": kind, "added": {"anchors": added.0, "certificates": added.1, "revocations": added.2},
               "pinned_anchors": pinned.iter().map(|p| json!({"name": p.name(), "fingerprint": p.kid().to_hex()})).collect::<Vec<_>>(),
               "directory": ctx.home.directory_file()}),
    ))
}

fn cert_status(dir: &Directory, c: &divex_core::directory::AgencyCertificate, now: u64) -> String {
    match dir.check(c, now) {
        Ok(()) => "valid".into(),
        Err(DirectoryError::Expired { .. }) => "expired".into(),
        Err(DirectoryError::NotYetValid { .. }) => "not yet valid".into(),
        Err(DirectoryError::Revoked { .. }) => "revoked".into(),
        Err(e) => format!("untrusted ({})", e.class()),
    }
}

fn directory_list(ctx: &Ctx) -> Result<Report, CliError> {
    let dir = load_directory(&ctx.home)?;
    let mut human = String::new();
    let mut anchors = Vec::new();
    human.push_str("Trust anchors:\n");
    for a in dir.anchors() {
        human.push_str(&format!("  {}  fingerprint {}\n", a.name(), a.kid()));
        anchors.push(json!({"name": a.name(), "fingerprint": a.kid().to_hex()}));
    }
    human.push_str("Certificates:\n");
    let mut certs = Vec::new();
    let mut list: Vec<_> = dir.certificates().collect();
    list.sort_by(|x, y| (x.agency_id(), x.not_before()).cmp(&(y.agency_id(), y.not_before())));
    for c in list {
        let status = cert_status(&dir, c, ctx.now);
        let roles: Vec<&str> = c.roles().iter().map(|r| r.as_str()).collect();
        human.push_str(&format!(
            "  {:<24} {:<8} {}{}  [{}]  serial {}  {} to {}\n",
            c.agency_id(),
            status,
            roles.join(","),
            if c.part2_program() { ", part 2" } else { "" },
            c.name(),
            c.serial(),
            crate::timefmt::format_date(c.not_before()),
            crate::timefmt::format_date(c.not_after()),
        ));
        certs.push(
            json!({"agency": c.agency_id(), "name": c.name(), "roles": roles,
            "part2_program": c.part2_program(), "serial": c.serial().to_hex(), "status": status,
            "issuer": c.issuer().to_hex(), "not_before": c.not_before(), "not_after": c.not_after(),
            "signing_key_id": c.keys().signing().kid().to_hex(),
            "encryption_key_id": c.keys().encryption().kid().to_hex()}),
        );
    }
    human.push_str("Revocations:\n");
    let mut revs = Vec::new();
    for r in dir.revocations() {
        human.push_str(&format!(
            "  serial {}  from {}  ({})\n",
            r.serial(),
            format_time(r.revoked_at()),
            r.reason()
        ));
        revs.push(json!({"serial": r.serial().to_hex(), "revoked_at": r.revoked_at(), "reason": r.reason(), "issuer": r.issuer().to_hex()}));
    }
    Ok(Report::new(
        human,
        json!({"anchors": anchors, "certificates": certs, "revocations": revs, "as_of": ctx.now}),
    ))
}

// ---------------------------------------------------------------------------------------------
// consent

fn deficient_is_input(what: &Path) -> impl Fn(ConsentError) -> CliError + '_ {
    move |e| match e {
        ConsentError::Deficient { .. } => CliError::InvalidInput {
            what: format!("the consent described in {}", what.display()),
            reason: e.to_string(),
        },
        other => other.into(),
    }
}

fn personal_key_path(p: &Path) -> Result<(), CliError> {
    if p.exists() {
        Ok(())
    } else {
        Err(CliError::NotFound {
            what: "the personal key file".into(),
            path: p.to_path_buf(),
            hint: "create one with `divex consent patient-key --out FILE`".into(),
        })
    }
}

fn consent_create(ctx: &Ctx, a: &ConsentCreateArgs) -> Result<Report, CliError> {
    let text = read_file(&a.from, "the consent description", MAX_TOML)?;
    let text = String::from_utf8(text).map_err(|_| CliError::InvalidInput {
        what: format!("the consent description {}", a.from.display()),
        reason: "it is not UTF-8 text".into(),
    })?;
    let desc = consent_toml::parse(&text, &a.from)?;
    let dir = load_directory(&ctx.home)?;
    let witness = dir.current_certificate(&a.agency, ctx.now)?.clone();
    // The electronic signers' public keys come from their key files' headers; the secret keys
    // are checked against them once opened.
    let mut electronic = Vec::new();
    for p in &a.patient_keys {
        personal_key_path(p)?;
        let info = keystore::read_info(p)?;
        let key = info.personal_key().ok_or_else(|| {
            CliError::Usage(format!("{} is not a personal key file", p.display()))
        })?;
        electronic.push(*key.as_bytes());
    }
    let directive = desc.into_directive(
        &a.from,
        &Signing {
            witness_id: &a.agency,
            witness_name: witness.name(),
            witness_key: *witness.keys().signing().as_bytes(),
            electronic_keys: &electronic,
            now: ctx.now,
        },
    )?;
    directive.validate().map_err(deficient_is_input(&a.from))?;
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home
            .consents_dir(&a.agency)
            .join(format!("{}{CONSENT_SUFFIX}", directive.id))
    });
    ensure_absent(&out)?;

    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    if keys.public() != witness.keys() {
        return Err(CliError::Refused(format!(
            "the keystore of '{}' does not hold the keys its current certificate names; ask the anchor for a certificate of these keys",
            a.agency
        )));
    }
    let mut people: Vec<PersonalKey> = Vec::new();
    for p in &a.patient_keys {
        let pass = Zeroizing::new(passphrase(
            &format!("Passphrase for {}: ", p.display()),
            false,
        )?);
        let (_, k) = keystore::open_personal(p, &pass)?;
        people.push(k);
    }
    let mut signers: Vec<&dyn StatementSigner> = vec![&keys];
    for k in &people {
        signers.push(k);
    }
    let signed = SignedConsent::sign(&directive, &signers).map_err(deficient_is_input(&a.from))?;
    let verified = SignedConsent::verify(signed.as_bytes(), &dir, ctx.now)?;
    commit_all(vec![stage(&out, verified.as_bytes(), false)?])?;
    let mut r = consent_report(&verified);
    r.human = format!(
        "Signed consent {} and wrote {}.\n{}",
        verified.id(),
        out.display(),
        r.human
    );
    if let serde_json::Value::Object(m) = &mut r.json {
        m.insert("file".into(), json!(out));
    }
    Ok(r)
}

fn parties(ps: &[divex_core::consent::Party]) -> Vec<String> {
    ps.iter()
        .map(|p| match p {
            divex_core::consent::Party::Agency(a) => format!("agency:{a}"),
            divex_core::consent::Party::Role(r) => format!("role:{r}"),
        })
        .collect()
}

fn consent_report(c: &VerifiedConsent) -> Report {
    let d = c.directive();
    let when = |t: Option<u64>| t.map(format_time);
    let expiry = {
        let mut parts = Vec::new();
        if let Some(t) = d.expiry.date {
            parts.push(format_time(t));
        }
        if let Some(e) = &d.expiry.event {
            parts.push(format!("final disposition of case {}", e.case_ref));
        }
        parts.join(" or ")
    };
    let revocation = match &d.revocation {
        divex_core::consent::Revocability::AtWill => "at will".to_owned(),
        divex_core::consent::Revocability::RevocableAfter(x) => {
            let mut parts = Vec::new();
            if let Some(t) = x.date {
                parts.push(format_time(t));
            }
            if let Some(e) = &x.event {
                parts.push(format!("final disposition of case {}", e.case_ref));
            }
            format!("irrevocable until {}", parts.join(" or "))
        }
    };
    let types: Vec<&str> = d
        .information
        .record_types
        .iter()
        .map(|t| t.as_str())
        .collect();
    let tiers: Vec<&str> = d.information.tiers.iter().map(|t| t.as_str()).collect();
    let signers: Vec<String> = d
        .signers
        .iter()
        .map(|s| {
            format!(
                "{} ({}, {})",
                s.name,
                wire_name(&s.capacity),
                wire_name(&s.method)
            )
        })
        .collect();
    let mut l = Lines::new();
    l.add("consent", format!("{} version {}", d.id, d.version))
        .add("regime", d.regime.citation())
        .add(
            "participant",
            format!("{} (born {})", d.subject.name, d.subject.date_of_birth),
        )
        .add("disclosers", parties(&d.disclosers).join(", "))
        .add("recipients", parties(&d.recipients).join(", "))
        .add("purposes", join(&d.purposes))
        .add("record types", types.join(", "))
        .add("tiers", tiers.join(", "))
        .add("effective", format_time(d.effective))
        .add("expires", &expiry)
        .add("revocation", &revocation)
        .add("redisclosure", wire_name(&d.redisclosure))
        .add(
            "notice",
            format!(
                "{} (consent copy {})",
                wire_name(&d.notice.form),
                if d.notice.attach_consent {
                    "attached"
                } else {
                    "may be referenced"
                }
            ),
        );
    if let Some(case) = &d.case {
        l.add(
            "case",
            format!("{} (authority {})", case.case_ref, case.authority),
        );
    }
    l.add(
        "signed",
        format!("{} by {}", format_time(d.signed_at), signers.join("; ")),
    )
    .add("digest", hex::encode(c.digest()))
    .add(
        "verified",
        "yes: every signature verifies and the witness is certified",
    );
    Report::new(
        l.render(),
        json!({
            "id": d.id, "version": d.version, "supersedes": d.supersedes,
            "regime": wire_name(&d.regime), "citation": d.regime.citation(),
            "subject": {"name": d.subject.name, "date_of_birth": d.subject.date_of_birth},
            "disclosers": parties(&d.disclosers), "recipients": parties(&d.recipients),
            "purposes": d.purposes, "record_types": types, "tiers": tiers,
            "effective": d.effective, "expiry": {"date": d.expiry.date, "case_disposition": d.expiry.event.as_ref().map(|e| &e.case_ref)},
            "expiry_utc": when(d.expiry.date),
            "revocation": revocation, "redisclosure": wire_name(&d.redisclosure),
            "signed_at": d.signed_at, "signers": signers,
            "digest": hex::encode(c.digest()), "verified": true,
        }),
    )
}

fn patient_key(_ctx: &Ctx, a: &PatientKeyArgs) -> Result<Report, CliError> {
    if a.out.exists() {
        return Err(KeystoreError::Exists {
            path: a.out.clone(),
        }
        .into());
    }
    let pass = Zeroizing::new(passphrase(
        &format!("New passphrase for {}: ", a.out.display()),
        true,
    )?);
    let key = PersonalKey::generate();
    keystore::create_personal(&a.out, &a.label, &key, &pass, a.kdf)?;
    let kid = key.public().kid().to_hex();
    let public = hex::encode(key.public().as_bytes());
    let mut l = Lines::new();
    l.add("key file", a.out.display().to_string())
        .add("label", &a.label)
        .add("public key", &public)
        .add("key id", &kid);
    let r = Report::new(
        format!("Created a personal signing key.\n{}", l.render()),
        json!({"file": a.out, "label": a.label, "public_key": public, "key_id": kid, "kdf": a.kdf.as_str()}),
    );
    Ok(with_warnings(r, fast_warning(a.kdf)))
}

fn read_consent(ctx: &Ctx, path: &Path, dir: &Directory) -> Result<VerifiedConsent, CliError> {
    let bytes = read_file(path, "the consent", divex_core::consent::MAX_CONSENT_BYTES)?;
    SignedConsent::verify(&bytes, dir, ctx.now).map_err(|e| {
        CliError::Refused(format!(
            "the consent {} does not verify: {e}",
            path.display()
        ))
    })
}

fn consent_revoke(ctx: &Ctx, a: &ConsentRevokeArgs) -> Result<Report, CliError> {
    let dir = load_directory(&ctx.home)?;
    let consent = read_consent(ctx, &a.consent, &dir)?;
    if let Some(p) = &a.patient_key {
        personal_key_path(p)?;
    }
    let at = a.at.unwrap_or(ctx.now);
    let statement = RevocationStatement {
        consent_id: consent.id().to_owned(),
        revoked_at: at,
        method: a.method.clone(),
    };
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let bytes = match (&a.by_agency, &a.patient_key) {
        (Some(id), _) => {
            let keys = open_agency_keys(&ctx.home, id)?;
            statement.sign(&keys)
        }
        (None, Some(p)) => {
            let pass = Zeroizing::new(passphrase(
                &format!("Passphrase for {}: ", p.display()),
                false,
            )?);
            let (_, k) = keystore::open_personal(p, &pass)?;
            statement.sign(&k)
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give --by-agency ID or --patient-key FILE".into(),
            ));
        }
    }
    .map_err(|e| match e {
        ConsentError::Structure(_) => CliError::InvalidInput {
            what: "the revocation".into(),
            reason: e.to_string(),
        },
        other => other.into(),
    })?;
    let verified = RevocationStatement::verify(&bytes, &consent, &dir, ctx.now)?;
    let name = format!("{}.{}{REVOCATION_SUFFIX}", consent.id(), hash8(&bytes));
    let out = match (&a.out, &a.by_agency) {
        (Some(o), _) => o.clone(),
        (None, Some(id)) => ctx.home.consents_dir(id).join(name),
        (None, None) => a
            .consent
            .parent()
            .map_or_else(|| PathBuf::from(&name), |p| p.join(&name)),
    };
    commit_all(vec![stage(&out, &bytes, false)?])?;
    let by = verified.recorded_by().map_or_else(
        || "the participant's own key".to_owned(),
        |a| format!("agency {a}"),
    );
    let mut l = Lines::new();
    l.add("consent", consent.id())
        .add("revoked at", format_time(at))
        .add("signed by", &by)
        .add("method", &a.method)
        .add("file", out.display().to_string());
    let mut human = format!(
        "Signed a revocation of consent {}.\n{}",
        consent.id(),
        l.render()
    );
    if matches!(
        consent.directive().revocation,
        divex_core::consent::Revocability::RevocableAfter(_)
    ) {
        human.push_str("Note: this is a §2.35 consent; the revocation takes effect only if it was made once the consent became revocable (42 CFR §2.35(c)).\n");
    }
    human.push_str(
        "Give the file to every agency that holds the consent (`divex consent import`).\n",
    );
    Ok(Report::new(
        human,
        json!({"consent_id": consent.id(), "revoked_at": at, "signed_by": verified.recorded_by(), "method": a.method, "file": out}),
    ))
}

fn consent_event(ctx: &Ctx, a: &ConsentEventArgs) -> Result<Report, CliError> {
    let dir = load_directory(&ctx.home)?;
    dir.current_certificate(&a.agency, ctx.now)?;
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let at = a.at.unwrap_or(ctx.now);
    let event = CaseEvent {
        case_ref: a.case_ref.clone(),
        outcome: a.outcome,
        effective_at: at,
    };
    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    let bytes = event.sign(&keys).map_err(|e| CliError::InvalidInput {
        what: "the case event".into(),
        reason: e.to_string(),
    })?;
    CaseEvent::verify(&bytes, &dir, ctx.now)?;
    let out = a.out.clone().unwrap_or_else(|| {
        ctx.home.consents_dir(&a.agency).join(format!(
            "{}.{}.{}{EVENT_SUFFIX}",
            a.case_ref.replace(['/', '\\'], "_"),
            wire_name(&a.outcome),
            hash8(&bytes)
        ))
    });
    commit_all(vec![stage(&out, &bytes, false)?])?;
    let mut l = Lines::new();
    l.add("case", &a.case_ref)
        .add("outcome", wire_name(&a.outcome))
        .add("effective", format_time(at))
        .add("signed by", &a.agency)
        .add("file", out.display().to_string());
    Ok(Report::new(
        format!(
            "Signed the disposition of case {}.\n{}Give the file to the agencies holding consents for this case (`divex consent import`).\n",
            a.case_ref,
            l.render()
        ),
        json!({"case_ref": a.case_ref, "outcome": wire_name(&a.outcome), "effective_at": at, "agency": a.agency, "file": out}),
    ))
}

enum Held {
    Consent,
    Revocation,
    Event,
}

fn classify_statement(bytes: &[u8]) -> Option<Held> {
    use divex_core::codec::Value;
    let v = divex_core::codec::decode_with(
        bytes,
        &divex_core::codec::DecodeLimits {
            max_input: divex_core::consent::MAX_CONSENT_BYTES,
            max_depth: 12,
            max_items: 256,
            max_string: divex_core::consent::MAX_CONSENT_BYTES,
        },
    )
    .ok()?;
    let Value::Tag(tag, inner) = v else {
        return None;
    };
    let protected = inner.as_array()?.first()?.as_bytes()?;
    let m = divex_core::codec::decode(protected).ok()?;
    let typ = m
        .as_map()?
        .get_label(divex_core::cose::label::TYP)?
        .as_text()?
        .to_owned();
    match (tag, typ.as_str()) {
        (divex_core::cose::TAG_SIGN, divex_core::consent::CONSENT_TYP) => Some(Held::Consent),
        (divex_core::cose::TAG_SIGN1, divex_core::consent::REVOCATION_TYP) => {
            Some(Held::Revocation)
        }
        (divex_core::cose::TAG_SIGN1, divex_core::consent::CASE_EVENT_TYP) => Some(Held::Event),
        _ => None,
    }
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

fn consent_import(ctx: &Ctx, a: &ConsentImportArgs) -> Result<Report, CliError> {
    let dir = load_directory(&ctx.home)?;
    dir.current_certificate(&a.agency, ctx.now)?;
    let (mut set, notes) = load_consents(&ctx.home, &a.agency, &dir, ctx.now)?;
    let folder = ctx.home.consents_dir(&a.agency);
    let mut files = Vec::new();
    for f in &a.files {
        let b = read_file(
            f,
            "the file to import",
            divex_core::consent::MAX_CONSENT_BYTES,
        )?;
        let kind = classify_statement(&b).ok_or_else(|| {
            CliError::Refused(format!(
                "{} is not a signed consent, consent revocation or case event",
                f.display()
            ))
        })?;
        files.push((f.clone(), b, kind));
    }
    // Consents first, so that revocations of them verify.
    files.sort_by_key(|(_, _, k)| match k {
        Held::Consent => 0,
        Held::Revocation => 1,
        Held::Event => 2,
    });
    let mut held: Vec<String> = match std::fs::read_dir(&folder) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| std::fs::read(e.path()).ok())
            .map(|b| sha256_hex(&b))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut staged = Vec::new();
    let mut imported = Vec::new();
    for (f, b, kind) in &files {
        let ctxerr =
            |e: ConsentError| CliError::Refused(format!("{} does not verify: {e}", f.display()));
        let (name, what) = match kind {
            Held::Consent => {
                let c = set.import_consent(b, &dir, ctx.now).map_err(ctxerr)?;
                (
                    format!("{}.{}{CONSENT_SUFFIX}", c.id(), hash8(b)),
                    format!("consent {}", c.id()),
                )
            }
            Held::Revocation => {
                let r = set.import_revocation(b, &dir, ctx.now).map_err(ctxerr)?;
                let id = r.statement().consent_id.clone();
                (
                    format!("{id}.{}{REVOCATION_SUFFIX}", hash8(b)),
                    format!("revocation of consent {id}"),
                )
            }
            Held::Event => {
                let e = set.import_event(b, &dir, ctx.now).map_err(ctxerr)?;
                let case = e.event().case_ref.replace(['/', '\\'], "_");
                (
                    format!("{case}.{}{EVENT_SUFFIX}", hash8(b)),
                    format!("disposition of case {}", e.event().case_ref),
                )
            }
        };
        let path = folder.join(name);
        // The same bytes already held (under any name), or given twice: nothing to do.
        let digest = sha256_hex(b);
        if held.contains(&digest) {
            imported.push(json!({"file": f, "what": what, "stored": path, "new": false}));
            continue;
        }
        held.push(digest);
        staged.push(stage(&path, b, false)?);
        imported.push(json!({"file": f, "what": what, "stored": path, "new": true}));
    }
    commit_all(staged)?;
    let mut human = format!("Agency {} now holds:\n", a.agency);
    for i in &imported {
        human.push_str(&format!(
            "  {}  ({})\n",
            i["what"].as_str().unwrap_or_default(),
            if i["new"].as_bool().unwrap_or(false) {
                "imported"
            } else {
                "already held"
            }
        ));
    }
    Ok(with_warnings(
        Report::new(human, json!({"agency": a.agency, "imported": imported})),
        notes,
    ))
}

fn consent_show(ctx: &Ctx, a: &ConsentShowArgs) -> Result<Report, CliError> {
    let dir = load_directory(&ctx.home)?;
    let consent = read_consent(ctx, &a.file, &dir)?;
    let mut r = consent_report(&consent);
    if let Some(agency) = &a.agency {
        let (mut set, notes) = load_consents(&ctx.home, agency, &dir, ctx.now)?;
        set.insert_consent(consent.clone())?;
        let facts = divex_core::decision::Facts::from(&set);
        let revoked = divex_core::decision::revoked_at(&consent, &facts);
        let d = consent.directive();
        let case_refs: Vec<&str> = d
            .case
            .iter()
            .map(|c| c.case_ref.as_str())
            .chain(d.expiry.event.iter().map(|e| e.case_ref.as_str()))
            .collect();
        let events: Vec<String> = set
            .events()
            .iter()
            .filter(|e| case_refs.contains(&e.event().case_ref.as_str()))
            .map(|e| {
                format!(
                    "case {} {} at {} (signed by {})",
                    e.event().case_ref,
                    wire_name(&e.event().outcome),
                    format_time(e.event().effective_at),
                    e.signer().agency_id
                )
            })
            .collect();
        let revocations = set
            .revocations()
            .iter()
            .filter(|x| x.statement().consent_id == d.id)
            .count();
        // When the expiry event (the case's final disposition, signed by the case's
        // authority) happened, as the decision engine reads it (spec/consent.md §7).
        let authority = d.case.as_ref().map(|c| c.authority.as_str());
        let expired_by_event = d.expiry.event.as_ref().and_then(|ev| {
            set.events()
                .iter()
                .filter(|e| {
                    e.event().case_ref == ev.case_ref
                        && e.event().outcome.is_final()
                        && Some(e.signer().agency_id.as_str()) == authority
                })
                .map(|e| e.event().effective_at)
                .min()
        });
        let expires_at = match (d.expiry.date, expired_by_event) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let status = if ctx.now < d.effective {
            "not yet in effect".to_owned()
        } else if let Some(t) = expires_at.filter(|t| *t <= ctx.now) {
            format!("expired ({})", format_time(t))
        } else if let Some(t) = revoked.filter(|t| *t <= ctx.now) {
            format!("revoked (effective {})", format_time(t))
        } else {
            "in force (unless a newer version supersedes it)".to_owned()
        };
        let mut l = Lines::new();
        l.add("held by", agency)
            .add("status now", &status)
            .add("revocations held", revocations.to_string());
        for e in &events {
            l.add("case event", e);
        }
        r.human.push_str(&l.render());
        if let serde_json::Value::Object(m) = &mut r.json {
            m.insert(
                "holdings".into(),
                json!({"agency": agency, "status": status, "revoked_at": revoked, "revocations": revocations, "case_events": events}),
            );
        }
        r.warnings.extend(notes);
    }
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// seal and open

fn parse_record(rt: RecordType, path: &Path) -> Result<Record, CliError> {
    let bytes = if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .take(MAX_RECORD_JSON as u64 + 1)
            .read_to_end(&mut b)?;
        if b.len() > MAX_RECORD_JSON {
            return Err(CliError::InvalidInput {
                what: "the record JSON".into(),
                reason: format!("it is over {MAX_RECORD_JSON} bytes"),
            });
        }
        b
    } else {
        read_file(path, "the record JSON", MAX_RECORD_JSON)?
    };
    let what = format!("the record {}", path.display());
    // Records have no byte fields: every JSON string is text.
    let limits = divex_core::codec::DecodeLimits::DEFAULT;
    let v = divex_core::json::parse(&bytes, &limits, &divex_core::json::no_bytes).map_err(|e| {
        CliError::InvalidInput {
            what: what.clone(),
            reason: e.to_string(),
        }
    })?;
    Record::from_value(rt, &v).map_err(|e| CliError::InvalidInput {
        what,
        reason: e.to_string(),
    })
}

fn parse_record_type(s: &str) -> Result<RecordType, CliError> {
    RecordType::parse(s).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown record type `{}`; use one of: {}",
            s.chars().take(40).collect::<String>(),
            RecordType::ALL
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

fn subject(name: &str, dob: &str) -> Result<Subject, CliError> {
    if name.trim().is_empty() {
        return Err(CliError::Usage("--subject-name is empty".into()));
    }
    let date_of_birth = Date::parse(dob)
        .map_err(|_| CliError::Usage("--subject-dob must be a date YYYY-MM-DD".into()))?;
    Ok(Subject {
        name: name.to_owned(),
        date_of_birth,
    })
}

fn seal(ctx: &Ctx, a: &SealArgs) -> Result<Report, CliError> {
    let rt = parse_record_type(&a.record_type)?;
    let record = parse_record(rt, &a.record)?;
    let subject = subject(&a.subject_name, &a.subject_dob)?;
    let purpose =
        Purpose::new(a.purpose.as_str()).map_err(|e| CliError::Usage(format!("--purpose: {e}")))?;
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let dir = load_directory(&ctx.home)?;
    // Refuse unknown or untrusted recipients before asking for anything.
    for to in &a.to {
        dir.current_certificate(to, ctx.now)?;
    }
    let (consents, notes) = load_consents(&ctx.home, &a.agency, &dir, ctx.now)?;
    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    let recipients: Vec<&str> = a.to.iter().map(String::as_str).collect();
    let sealed = disclosure::seal(
        &keys,
        &dir,
        &consents,
        &SealRequest {
            recipients: &recipients,
            subject: &subject,
            purpose: &purpose,
            consent_id: &a.consent,
            record: &record,
            minimum_necessary: if a.redact {
                MinimumNecessary::Redact
            } else {
                MinimumNecessary::Refuse
            },
            consent_copy: if a.reference {
                ConsentCopy::Reference
            } else {
                ConsentCopy::Attach
            },
        },
        ctx.now,
    )?;
    let id = sealed.metadata.envelope_id.to_hex();
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| ctx.home.envelopes_dir().join(format!("{id}.envelope.cose")));
    let staged = stage(&out, &sealed.envelope, false)?;
    let mut ledger = Ledger::open(&ctx.home.ledger(&a.agency), &a.agency)?;
    let entries = ledger.record_sent(&sealed, ctx.now)?;
    ledger.checkpoint(&keys, ctx.now)?;
    commit_all(vec![staged])?;
    let attached = !a.reference;
    let mut l = Lines::new();
    l.add("envelope", out.display().to_string())
        .add("envelope id", &id)
        .add("envelope hash", hex::encode(sealed.envelope_hash))
        .add("from", &a.agency)
        .add("to", a.to.join(", "))
        .add("record type", rt.as_str())
        .add("purpose", &a.purpose)
        .add(
            "consent",
            format!(
                "{} ({})",
                a.consent,
                if attached {
                    "copy attached"
                } else {
                    "referenced"
                }
            ),
        )
        .add("labels", join(&sealed.metadata.disclosure.labels));
    if !sealed.metadata.disclosure.redacted.is_empty() {
        l.add("redacted", join(&sealed.metadata.disclosure.redacted));
    }
    l.add(
        "ledger",
        format!(
            "{} entr{} recorded, checkpoint signed",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        ),
    );
    Ok(with_warnings(
        Report::new(
            format!(
                "Sealed a {} to {}.\n{}",
                rt.as_str(),
                a.to.join(", "),
                l.render()
            ),
            json!({"envelope": out, "envelope_id": id, "envelope_hash": hex::encode(sealed.envelope_hash),
                   "from": a.agency, "to": a.to, "record_type": rt.as_str(), "purpose": a.purpose,
                   "consent_id": a.consent, "consent_copy": if attached { "attached" } else { "reference" },
                   "labels": sealed.metadata.disclosure.labels, "redacted": sealed.metadata.disclosure.redacted,
                   "ledger_entries": entries.iter().map(|e| e.seq).collect::<Vec<_>>()}),
        ),
        notes,
    ))
}

fn open(ctx: &Ctx, a: &OpenArgs) -> Result<Report, CliError> {
    let bytes = read_file(&a.file, "the envelope", MAX_ENVELOPE_FILE)?;
    let dir = load_directory(&ctx.home)?;
    let (consents, notes) = load_consents(&ctx.home, &a.agency, &dir, ctx.now)?;
    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    let ledger_path = ctx.home.ledger(&a.agency);
    // The ledger is the replay hook. If it does not exist yet nothing was ever received, so
    // it is created only once the envelope has been released (a failed open writes nothing).
    let existing = if ledger_path.exists() {
        Some(Ledger::open(&ledger_path, &a.agency)?)
    } else {
        None
    };
    let received = disclosure::open(
        &bytes,
        &keys,
        &dir,
        &consents,
        ctx.now,
        &OpenOptions {
            seen: existing
                .as_ref()
                .map(|l| l as &dyn divex_core::envelope::SeenEnvelopes),
            ..OpenOptions::default()
        },
    )?;
    // Keep an attached consent this agency did not hold (it may be referenced later).
    let mut staged = Vec::new();
    if consents.get(received.consent.id()).is_none() {
        let path = ctx.home.consents_dir(&a.agency).join(format!(
            "{}.{}{CONSENT_SUFFIX}",
            received.consent.id(),
            hash8(received.consent.as_bytes())
        ));
        if !path.exists() {
            staged.push(stage(&path, received.consent.as_bytes(), false)?);
        }
    }
    let mut ledger = match existing {
        Some(l) => l,
        None => Ledger::open(&ledger_path, &a.agency)?,
    };
    let entry = ledger.record_received(&received, ctx.now)?;
    ledger.checkpoint(&keys, ctx.now)?;
    commit_all(staged)?;

    let md = &received.metadata;
    let record_json = divex_core::json::to_json(&received.record.to_value());
    let ob = &received.permit.obligations;
    let restrictions: Vec<String> = ob.use_restrictions.iter().map(wire_name).collect();
    let mut l = Lines::new();
    l.add(
        "from",
        format!(
            "{} ({})",
            received.sender.agency_id,
            received
                .sender
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .add(
        "participant",
        format!(
            "{} (born {})",
            received.subject.name, received.subject.date_of_birth
        ),
    )
    .add("record type", md.disclosure.record_type.as_str())
    .add("purpose", md.disclosure.purpose.as_str())
    .add("issued", format_time(md.issued_at))
    .add(
        "consent",
        format!(
            "{} ({})",
            received.consent.id(),
            received.consent.directive().regime.citation()
        ),
    )
    .add("labels", join(&md.disclosure.labels))
    .add("redisclosure", wire_name(&ob.redisclosure));
    if !restrictions.is_empty() {
        l.add("use restrictions", restrictions.join(", "));
    }
    if !md.disclosure.redacted.is_empty() {
        l.add("redacted by sender", join(&md.disclosure.redacted));
    }
    l.add("envelope id", md.envelope_id.to_hex()).add(
        "ledger",
        format!("entry {} recorded, checkpoint signed", entry.seq),
    );
    let pretty = serde_json::to_string_pretty(&record_json).unwrap_or_default();
    let human = format!(
        "Opened and released: every envelope and consent check passed.\n{}Record:\n{}\nNotice: {}\n",
        l.render(),
        pretty
            .lines()
            .map(|x| format!("  {x}"))
            .collect::<Vec<_>>()
            .join("\n"),
        received.notice
    );
    Ok(with_warnings(
        Report::new(
            human,
            json!({
                "from": received.sender.agency_id,
                "subject": {"name": received.subject.name, "date_of_birth": received.subject.date_of_birth},
                "record_type": md.disclosure.record_type,
                "record": record_json,
                "purpose": md.disclosure.purpose,
                "issued_at": md.issued_at,
                "consent_id": received.consent.id(),
                "labels": md.disclosure.labels,
                "redacted": md.disclosure.redacted,
                "redisclosure": wire_name(&ob.redisclosure),
                "use_restrictions": restrictions,
                "notice": received.notice,
                "envelope_id": md.envelope_id.to_hex(),
                "envelope_hash": hex::encode(received.envelope_hash),
                "ledger_entry": entry.seq,
            }),
        ),
        notes,
    ))
}

// ---------------------------------------------------------------------------------------------
// inspect

fn inspect_cmd(ctx: &Ctx, a: &InspectArgs) -> Result<Report, CliError> {
    let bytes = read_file(&a.file, "the file to inspect", MAX_INSPECT_BYTES)?;
    // The home's directory, if there is one, names recipients and checks certificates.
    let dir = if ctx.home.directory_file().exists() {
        load_directory(&ctx.home).ok()
    } else {
        None
    };
    let i = inspect::inspect(&bytes, dir.as_ref(), ctx.now)?;
    let mut l = Lines::new();
    l.add("kind", i.kind.replace('_', " "));
    for (k, v) in &i.summary {
        l.add(k, v);
    }
    let summary: serde_json::Map<String, serde_json::Value> =
        i.summary
            .iter()
            .fold(serde_json::Map::new(), |mut m, (k, v)| {
                // Repeated keys (several recipients) become arrays.
                match m.get_mut(k) {
                    Some(serde_json::Value::Array(a)) => a.push(json!(v)),
                    Some(old) => *old = json!([old.clone(), v]),
                    None => {
                        m.insert(k.clone(), json!(v));
                    }
                }
                m
            });
    Ok(Report::new(
        format!("{}\n{}\n", l.render(), i.diagnostic),
        json!({"kind": i.kind, "summary": summary, "diagnostic": i.diagnostic}),
    ))
}

// ---------------------------------------------------------------------------------------------
// ledger

fn open_existing_ledger(ctx: &Ctx, agency: &str) -> Result<Ledger, CliError> {
    let path = ctx.home.ledger(agency);
    if !path.exists() {
        return Err(CliError::NotFound {
            what: format!("the ledger of agency '{agency}'"),
            path,
            hint: "the agency has not sealed or opened anything yet; check --agency and --home"
                .into(),
        });
    }
    Ok(Ledger::open(&path, agency)?)
}

fn ledger_verify(ctx: &Ctx, a: &LedgerAgencyArgs) -> Result<Report, CliError> {
    let ledger = open_existing_ledger(ctx, &a.agency)?;
    // The checkpoint key: the agency's certified signing keys (newest first), else the one
    // in its keystore header.
    let mut keys = Vec::new();
    let mut source = "the agency's certificate";
    if let Ok(dir) = load_directory(&ctx.home) {
        let mut certs: Vec<_> = dir.certificates_for(&a.agency).collect();
        certs.reverse();
        for c in certs {
            if !keys.contains(c.keys().signing()) {
                keys.push(c.keys().signing().clone());
            }
        }
    }
    if keys.is_empty() {
        source = "the agency's keystore (no certificate in the directory)";
        let info = keystore::read_info(&ctx.home.keystore(&a.agency))?;
        if let Some(b) = info.agency_bundle() {
            keys.push(b.signing().clone());
        }
    }
    let mut first_err = None;
    let mut report = None;
    for k in &keys {
        match ledger.verify(k) {
            Ok(r) => {
                report = Some((r, k.kid()));
                break;
            }
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    let Some((r, kid)) = report else {
        return Err(match first_err {
            Some(e) => e.into(),
            None => CliError::Other("no signing key to verify the checkpoints with".into()),
        });
    };
    let mut l = Lines::new();
    l.add("agency", &a.agency)
        .add("entries", r.entries.to_string())
        .add("checkpoints", r.checkpoints.to_string())
        .add("signed through entry", r.anchored_seq.to_string())
        .add("head", hex::encode(r.head))
        .add(
            "checkpoint key",
            format!("{} (from {source})", kid.to_hex()),
        );
    let mut rep = Report::new(
        format!(
            "Ledger of {} verifies: the hash chain is intact and every checkpoint signature is valid.\n{}",
            a.agency,
            l.render()
        ),
        json!({"agency": a.agency, "ok": true, "entries": r.entries, "checkpoints": r.checkpoints,
               "anchored_seq": r.anchored_seq, "head": hex::encode(r.head), "key_id": kid.to_hex()}),
    );
    if r.anchored_seq < r.entries {
        rep = rep.warn(format!(
            "entries {}..{} are chained but not yet covered by a signed checkpoint",
            r.anchored_seq + 1,
            r.entries
        ));
    }
    Ok(rep)
}

fn entry_json(e: &Entry) -> serde_json::Value {
    json!({
        "seq": e.seq, "time": e.time, "time_utc": format_time(e.time),
        "direction": e.direction.as_str(), "counterparty": e.counterparty,
        "record_types": e.record_types, "purpose": e.purpose, "consent_id": e.consent_id,
        "envelope_id": hex::encode(e.envelope_id), "envelope_hash": hex::encode(e.envelope_hash),
    })
}

fn ledger_accounting(ctx: &Ctx, a: &LedgerAccountingArgs) -> Result<Report, CliError> {
    let subject = subject(&a.subject_name, &a.subject_dob)?;
    let ledger = open_existing_ledger(ctx, &a.agency)?;
    let from = a.from.unwrap_or(0);
    let to = a.to.unwrap_or(ctx.now);
    let entries = ledger.accounting(&subject, from, to)?;
    let mut human = format!(
        "Accounting of disclosures by {} about {} (born {}), {} to {} (42 CFR §2.24):\n",
        a.agency,
        subject.name,
        subject.date_of_birth,
        format_time(from),
        format_time(to)
    );
    if entries.is_empty() {
        human.push_str("  no disclosures recorded\n");
    }
    for e in &entries {
        human.push_str(&format!(
            "  {}  to {:<22} {:<16} purpose {}  consent {}  envelope {}\n",
            format_time(e.time),
            e.counterparty,
            e.record_types.join(","),
            e.purpose,
            e.consent_id,
            hex::encode(e.envelope_id)
        ));
    }
    Ok(Report::new(
        human,
        json!({"agency": a.agency, "subject": {"name": subject.name, "date_of_birth": subject.date_of_birth},
               "from": from, "to": to, "disclosures": entries.iter().map(entry_json).collect::<Vec<_>>()}),
    ))
}

fn ledger_export(ctx: &Ctx, a: &LedgerExportArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let ledger = open_existing_ledger(ctx, &a.agency)?;
    let bytes = ledger.export()?;
    match &a.out {
        Some(path) => {
            commit_all(vec![stage(path, &bytes, false)?])?;
            let lines = bytes.iter().filter(|b| **b == b'\n').count();
            let report = Report::new(
                format!(
                    "Exported the ledger of {} to {} ({lines} lines).\n",
                    a.agency,
                    path.display()
                ),
                json!({"agency": a.agency, "file": path, "lines": lines}),
            );
            print_report(ctx, report, out)
        }
        None if ctx.json => {
            let lines: Vec<serde_json::Value> = bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(serde_json::from_slice)
                .collect::<Result<_, _>>()?;
            let report = Report::new(String::new(), json!({"agency": a.agency, "export": lines}));
            print_report(ctx, report, out)
        }
        None => {
            out.write_all(&bytes)?;
            Ok(())
        }
    }
}
