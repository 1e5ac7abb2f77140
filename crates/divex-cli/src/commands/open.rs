//! `divex open`: every envelope and consent check, then the record is released and the
//! receipt recorded in the recipient's ledger.

use divex_core::envelope::{OpenOptions, SeenEnvelopes};
use divex_core::vocab::Vocabulary;
use divex_ledger::Ledger;
use serde_json::json;

use super::Ctx;
use super::ledger::verified_ledger;
use crate::cli::OpenArgs;
use crate::error::CliError;
use crate::keyring::Keyring;
use crate::support::{
    CONSENT_SUFFIX, Lines, Report, commit_all, hash8, join, read_file, stage, wire_name,
};
use crate::timefmt::format_time;

/// Largest envelope file accepted by `open`.
const MAX_ENVELOPE_FILE: usize = 16 * 1024 * 1024;

pub(super) fn open(ctx: &Ctx, a: &OpenArgs) -> Result<Report, CliError> {
    let bytes = read_file(&a.file, "the envelope", MAX_ENVELOPE_FILE)?;
    let dir = ctx.directory_with_policy(a.require_fresh_directory)?;
    // The ledger is the replay hook: a rolled-back, truncated, emptied or rewritten one is
    // refused before anything is opened (spec/ledger.md §4). If it does not exist yet nothing
    // was ever received, so it is created only once the envelope has been released (a failed
    // open writes nothing).
    let existing = verified_ledger(ctx, &a.agency, &dir)?;
    let consents = ctx.holdings(&a.agency, &dir)?;
    let keys = Keyring::open(&ctx.home, &a.agency)?;
    let ledger_path = ctx.home.ledger(&a.agency);
    // Sealed to the current keys, or to keys retired by `divex keys rotate`.
    let received = keys.open_envelope(|k| {
        divex_core::open(
            &bytes,
            k,
            &dir,
            &consents,
            ctx.now,
            &OpenOptions {
                seen: existing.as_ref().map(|l| l as &dyn SeenEnvelopes),
                ..OpenOptions::default()
            },
        )
    })?;
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
    ledger.checkpoint(keys.current(), ctx.now)?;
    commit_all(staged)?;

    let md = &received.metadata;
    // The record's JSON form, as `divex seal` reads it.
    let record_json: serde_json::Value =
        serde_json::from_str(&received.record.to_json()).unwrap_or_default();
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
    l.add("envelope id", md.envelope_id.to_string()).add(
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
    Ok(Report::new(
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
            "envelope_id": md.envelope_id.to_string(),
            "envelope_hash": hex::encode(received.envelope_hash),
            "ledger_entry": entry.seq,
        }),
    ))
}
