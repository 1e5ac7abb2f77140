//! `divex seal`: a record, checked against the consent, sealed to its recipients and
//! recorded in the sender's ledger.

use std::io::Read;
use std::path::Path;

use divex_core::decision::MinimumNecessary;
use divex_core::envelope::LedgerHead;
use divex_core::records::{Record, RecordType};
use divex_core::vocab::Purpose;
use divex_core::vocab::Vocabulary;
use divex_core::{ConsentCopy, SealRequest};
use divex_ledger::{Ledger, genesis_hash};
use serde_json::json;

use super::ledger::{ensure_certified, verified_ledger};
use super::{Ctx, subject};
use crate::cli::SealArgs;
use crate::error::CliError;
use crate::support::{
    Lines, Report, commit_all, ensure_absent, join, open_agency_keys, read_file, stage,
};

/// Largest record JSON accepted.
const MAX_RECORD_JSON: usize = 256 * 1024;

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
    // A malformed description is the record's class (or `json`), with the file named.
    Record::from_json(rt, &bytes).map_err(|e| {
        let message = format!("the record {} is not valid: {e}", path.display());
        CliError::library(&e, message)
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
pub(super) fn seal(ctx: &Ctx, a: &SealArgs) -> Result<Report, CliError> {
    let rt = parse_record_type(&a.record_type)?;
    let record = parse_record(rt, &a.record)?;
    let subject = subject(&a.subject_name, &a.subject_dob)?;
    let purpose = a
        .purpose
        .parse::<Purpose>()
        .map_err(|e| CliError::Usage(format!("--purpose: {e}")))?;
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
    let dir = ctx.directory()?;
    // Refuse unknown or untrusted recipients before asking for anything.
    for to in &a.to {
        dir.current_certificate(to, ctx.now)?;
    }
    // A rolled-back, truncated, emptied or rewritten ledger is refused before anything else
    // (spec/ledger.md §4): the disclosure would be recorded over a history that lost entries.
    let existing = verified_ledger(ctx, &a.agency, &dir)?;
    let consents = ctx.holdings(&a.agency, &dir)?;
    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    ensure_certified(&dir, &a.agency, &keys, ctx.now)?;
    let recipients: Vec<&str> = a.to.iter().map(String::as_str).collect();
    // The ledger's head before this disclosure is recorded, signed into the envelope
    // (profile v2, spec/ledger.md §5.1): every recipient keeps it, and can later prove a
    // truncation or rewrite of this ledger below it.
    let (seq, hash) = match &existing {
        Some(l) => l.head()?,
        None => (0, genesis_hash(&a.agency)),
    };
    let sealed = divex_core::seal(
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
            ledger_head: Some(LedgerHead { seq, hash }),
        },
        ctx.now,
    )?;
    let id = sealed.metadata.envelope_id.to_string();
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| ctx.home.envelopes_dir().join(format!("{id}.envelope.cose")));
    let staged = stage(&out, &sealed.envelope, false)?;
    let mut ledger = match existing {
        Some(l) => l,
        None => Ledger::open(&ctx.home.ledger(&a.agency), &a.agency)?,
    };
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
        "ledger head",
        format!("entry {seq} (signed into the envelope: recipients can witness it)"),
    );
    l.add(
        "ledger",
        format!(
            "{} entr{} recorded, checkpoint signed",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        ),
    );
    Ok(Report::new(
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
               "ledger_entries": entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
               "ledger_head": {"seq": seq, "hash": hex::encode(hash)}}),
    ))
}
