//! `divex open`: every envelope and consent check, then the record is released and the
//! receipt recorded exactly once in the recipient's ledger.

use std::io::Write;

use divex_core::DisclosureError;
use divex_core::Received;
use divex_core::consent::ConsentSet;
use divex_core::envelope::{EnvelopeId, OpenOptions, SeenEnvelopes};
use divex_core::keys::AgencyKeys;
use divex_core::vocab::Vocabulary;
use divex_ledger::{Ledger, LedgerError, WriterLock};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Ctx;
use super::ledger::writable_ledger;
use crate::cli::OpenArgs;
use crate::error::CliError;
use crate::keyring::Keyring;
use crate::support::{
    CONSENT_SUFFIX, Lines, Report, crash_point, hash8, holds, join, read_file, wire_name,
    write_durably,
};
use crate::timefmt::format_time;

/// Largest envelope file accepted by `open`.
const MAX_ENVELOPE_FILE: usize = 16 * 1024 * 1024;

/// The replay hook of `divex open` (spec/ledger.md §6 step 2): an envelope id recorded with
/// *another* envelope hash is a replay; the same bytes recorded before are not (they are shown
/// again, with no new entry). Fails closed when the ledger cannot be read.
struct ReplayGuard<'l> {
    ledger: &'l Ledger,
    envelope_hash: [u8; 32],
    /// Set by [`SeenEnvelopes::seen`] (the core asks it before the ordering check) when these
    /// very bytes are already recorded: a re-display, which the ordering check must not judge
    /// against the envelopes received after it.
    redisplay: std::cell::Cell<bool>,
}

impl SeenEnvelopes for ReplayGuard<'_> {
    fn seen(&self, id: &EnvelopeId) -> bool {
        match self.ledger.received_entry(id) {
            Ok(Some(e)) => {
                let same = e.envelope_hash == self.envelope_hash;
                self.redisplay.set(same);
                !same
            }
            Ok(None) => false,
            Err(_) => true,
        }
    }

    fn latest_issued_at(&self, sender: &str, consent_id: &str) -> Option<u64> {
        if self.redisplay.get() {
            return None;
        }
        self.ledger
            .latest_issued_at(sender, consent_id)
            .ok()
            .flatten()
    }
}

/// `divex open`: every envelope and consent check, then the record is shown and its receipt
/// recorded exactly once (spec/ledger.md §6): the receipt is appended in a transaction held
/// open while the record is printed, and committed only once it was; an output that cannot be
/// written records nothing. The same envelope opened again (or by a concurrent `open`) is
/// shown again without a new entry.
pub(super) fn open(ctx: &Ctx, a: &OpenArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let bytes = read_file(&a.file, "the envelope", MAX_ENVELOPE_FILE)?;
    let dir = ctx.directory_with_policy(a.require_fresh_directory)?;
    // The ledger is the replay hook: a rolled-back, truncated, emptied or rewritten one is
    // refused before anything is opened (spec/ledger.md §4). If it does not exist yet nothing
    // was ever received, so it is created only once the envelope has been released (a failed
    // open writes nothing).
    let existing = writable_ledger(ctx, &a.agency, &dir)?;
    let consents = ctx.holdings(&a.agency, &dir)?;
    let keys = Keyring::open(&ctx.home, &a.agency)?;
    let ledger_path = ctx.home.ledger(&a.agency);
    let envelope_hash: [u8; 32] = Sha256::digest(&bytes).into();
    let guard = existing.as_ref().map(|ledger| ReplayGuard {
        ledger,
        envelope_hash,
        redisplay: std::cell::Cell::new(false),
    });
    // Sealed to the current keys, or to keys retired by `divex keys rotate`.
    let open_with = |max_age: Option<u64>| {
        keys.open_envelope(|k| {
            divex_core::open(
                &bytes,
                k,
                &dir,
                &consents,
                ctx.now,
                &OpenOptions {
                    seen: guard.as_ref().map(|g| g as &dyn SeenEnvelopes),
                    max_age,
                    ..OpenOptions::default()
                },
            )
        })
    };
    let received = match open_with(Some(a.max_age.saturating_mul(86_400))) {
        // An envelope older than the bound that this agency already recorded, with these very
        // bytes, is an archive re-display, not a new receipt: the age bound does not apply to
        // it (spec/consent.md §8.3). Anything else stays refused as too old.
        Err(CliError::Disclosure(too_old @ DisclosureError::TooOld { .. })) => {
            let again = open_with(None)?;
            let recorded = match &existing {
                Some(l) => l.received_entry(&again.metadata.envelope_id)?,
                None => None,
            };
            match recorded {
                Some(e) if e.envelope_hash == envelope_hash => again,
                _ => return Err(too_old.into()),
            }
        }
        other => other?,
    };
    let id = received.metadata.envelope_id;
    if let Some(l) = &existing
        && let Some(e) = l.received_entry(&id)?
    {
        return ctx.emit(open_report(&received, e.seq, true), out);
    }
    let (mut ledger, created) = match existing {
        Some(l) => (l, false),
        None => (Ledger::open(&ledger_path, &a.agency)?, true),
    };
    let lock = ledger.writer_lock()?;
    match record(
        ctx,
        a,
        &mut ledger,
        &lock,
        created,
        keys.current(),
        &consents,
        &received,
        envelope_hash,
        out,
    ) {
        Ok(Recorded::New) => {}
        Ok(Recorded::Before) => return Ok(()),
        Err(e) => {
            // A ledger this command created leaves with it.
            if created {
                let _ = ledger.remove_if_empty(lock);
            }
            return Err(e);
        }
    }
    crash_point("open:committed");
    ledger.checkpoint(keys.current(), ctx.now)?;
    crash_point("open:checkpointed");
    Ok(())
}

/// Whether [`record`] recorded the receipt, or found it recorded and showed it again.
enum Recorded {
    New,
    Before,
}

/// Records the receipt of `received`, holding the agency's writer lock: the attached consent
/// kept if new, the entry appended, the record printed, then committed (spec/ledger.md §6,
/// `open` steps 2–4). On any failure nothing is recorded and a consent file it wrote is taken
/// back. A ledger just `created` first gets the mark of its empty head.
#[allow(clippy::too_many_arguments)]
fn record(
    ctx: &Ctx,
    a: &OpenArgs,
    ledger: &mut Ledger,
    lock: &WriterLock,
    created: bool,
    keys: &AgencyKeys,
    consents: &ConsentSet,
    received: &Received,
    envelope_hash: [u8; 32],
    out: &mut dyn Write,
) -> Result<Recorded, CliError> {
    let id = received.metadata.envelope_id;
    crash_point("open:locked");
    // A concurrent `open` of the same envelope may have recorded it while this one waited.
    if let Some(e) = ledger.received_entry(&id)? {
        ctx.emit(open_report(received, e.seq, true), out)?;
        return Ok(Recorded::Before);
    }
    if created {
        ledger.mark_empty(keys, ctx.now)?;
    }
    // Keep an attached consent this agency did not hold (it may be referenced later): written
    // before the receipt is committed, taken back if the open fails. Another `open` may have
    // written the same file: an identical file is fine.
    let mut consent_written = None;
    if consents.get(received.consent.id()).is_none() {
        let path = ctx.home.consents_dir(&a.agency).join(format!(
            "{}.{}{CONSENT_SUFFIX}",
            received.consent.id(),
            hash8(received.consent.as_bytes())
        ));
        if !holds(&path, received.consent.as_bytes()) {
            write_durably(&path, received.consent.as_bytes())?;
            consent_written = Some(path);
        }
    }
    crash_point("open:consent");
    // The sender's signed ledger head (envelope profile v2, spec/ledger.md §5.1) and the
    // out-of-order flag (spec/consent.md §8.3) are kept with the receipt.
    let recorded = match ledger.begin_received(
        lock,
        received,
        ctx.now,
        received.metadata.ledger_head.map(|h| (h.seq, h.hash)),
        received.issued_out_of_order,
    ) {
        Ok(rec) => {
            let seq = rec.entries().first().map_or(0, |e| e.seq);
            match ctx.emit(open_report(received, seq, false), out) {
                Ok(()) => {
                    crash_point("open:reported");
                    rec.commit().map(|_| ()).map_err(CliError::from)
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e.into()),
    };
    // Recorded by a concurrent `open` of the same envelope since it was checked: show it.
    if let Err(CliError::Ledger(LedgerError::Replay { .. })) = &recorded
        && let Some(e) = ledger.received_entry(&id)?
        && e.envelope_hash == envelope_hash
    {
        ctx.emit(open_report(received, e.seq, true), out)?;
        return Ok(Recorded::Before);
    }
    match recorded {
        Ok(()) => Ok(Recorded::New),
        Err(e) => {
            if let Some(path) = consent_written {
                let _ = std::fs::remove_file(path);
            }
            Err(e)
        }
    }
}

/// What `divex open` reports: the record, its consent and obligations, and the ledger entry
/// (`again`: recorded by an earlier `open`, shown again).
fn open_report(received: &Received, seq: u64, again: bool) -> Report {
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
    .add("issued", format_time(md.issued_at));
    if received.issued_out_of_order {
        l.add(
            "out of order",
            "issued before an envelope already received from this sender under this consent: the sender's clock went back, or the envelope was held back",
        );
    }
    l.add(
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
        if again {
            format!("entry {seq}, recorded before: shown again, nothing new recorded")
        } else {
            format!("entry {seq} recorded, checkpoint signed")
        },
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
    let mut json = json!({
            "from": received.sender.agency_id,
            "subject": {"name": received.subject.name, "date_of_birth": received.subject.date_of_birth},
            "record_type": md.disclosure.record_type,
            "record": record_json,
            "purpose": md.disclosure.purpose,
            "issued_at": md.issued_at,
            "issued_out_of_order": received.issued_out_of_order,
            "consent_id": received.consent.id(),
            "labels": md.disclosure.labels,
            "redacted": md.disclosure.redacted,
            "redisclosure": wire_name(&ob.redisclosure),
            "use_restrictions": restrictions,
            "notice": received.notice,
            "envelope_id": md.envelope_id.to_string(),
            "envelope_hash": hex::encode(received.envelope_hash),
            "ledger_entry": seq,
    });
    if again && let serde_json::Value::Object(m) = &mut json {
        m.insert("shown_again".into(), true.into());
    }
    Report::new(human, json)
}
