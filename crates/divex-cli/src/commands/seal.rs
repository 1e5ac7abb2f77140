//! `divex seal`: a record, checked against the consent, sealed to its recipients and
//! recorded exactly once in the sender's ledger.

use std::io::{Read, Write};
use std::path::Path;

use divex_core::codec::{Item, encode_array};
use divex_core::consent::Subject;
use divex_core::decision::MinimumNecessary;
use divex_core::envelope::LedgerHead;
use divex_core::keys::AgencyKeys;
use divex_core::records::{Record, RecordType};
use divex_core::vocab::Purpose;
use divex_core::vocab::Vocabulary;
use divex_core::{ConsentCopy, SealRequest};
use divex_ledger::{Ledger, PendingSeal, SealRecord, WriterLock, genesis_hash};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::ledger::{ensure_certified, writable_ledger};
use super::{Ctx, subject};
use crate::cli::SealArgs;
use crate::error::CliError;
use crate::support::{
    Lines, Report, crash_point, ensure_absent, holds, join, open_agency_keys, read_file,
    write_durably,
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
/// The digest of a seal request (spec/ledger.md §6): SHA-256 of the strict CBOR array
/// `["divex/v1 seal request", agency, [recipients, sorted], consent, purpose, record type,
/// record (its strict CBOR), normalised participant name, date of birth, redact, reference,
/// explicit output path or ""]`. A retried request has the same digest.
fn request_digest(a: &SealArgs, record: &Record, subject: &Subject) -> [u8; 32] {
    let mut to: Vec<&str> = a.to.iter().map(String::as_str).collect();
    to.sort_unstable();
    to.dedup();
    let name = subject.normalised_name();
    let dob = subject.date_of_birth.to_string();
    let record = record.to_bytes();
    let out = a
        .out
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let flag = |b: bool| Item::Uint(u64::from(b));
    Sha256::digest(encode_array(&[
        Item::Text("divex/v1 seal request"),
        Item::Text(&a.agency),
        Item::Array(to.into_iter().map(Item::Text).collect()),
        Item::Text(&a.consent),
        Item::Text(&a.purpose),
        Item::Text(&a.record_type),
        Item::Bytes(&record),
        Item::Text(&name),
        Item::Text(&dob),
        flag(a.redact),
        flag(a.reference),
        Item::Text(&out),
    ]))
    .into()
}

/// `divex seal`: checks, seals, then records exactly once (spec/ledger.md §6): the seal is
/// recorded as pending, the envelope written durably, the sent entries appended in a
/// transaction held open while the report is printed, then committed and the head signed.
/// Any failure up to the commit removes the envelope and forgets the seal; a crash leaves a
/// pending seal the next command completes (the envelope is there) or forgets (it is not).
/// A request identical to the agency's latest seal gets that seal again (the same envelope),
/// not a second disclosure.
pub(super) fn seal(ctx: &Ctx, a: &SealArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let rt = parse_record_type(&a.record_type)?;
    let record = parse_record(rt, &a.record)?;
    let subject = subject(&a.subject_name, &a.subject_dob)?;
    let purpose = a
        .purpose
        .parse::<Purpose>()
        .map_err(|e| CliError::Usage(format!("--purpose: {e}")))?;
    let dir = ctx.directory()?;
    // Refuse unknown or untrusted recipients before asking for anything.
    for to in &a.to {
        dir.current_certificate(to, ctx.now)?;
    }
    // A rolled-back, truncated, emptied or rewritten ledger is refused before anything else
    // (spec/ledger.md §4): the disclosure would be recorded over a history that lost entries.
    let mut existing = writable_ledger(ctx, &a.agency, &dir)?;
    let digest = request_digest(a, &record, &subject);
    if let Some(l) = &mut existing
        && let Some(done) = l.sealed_request(&digest)?
    {
        return re_emit(ctx, l, done, out);
    }
    if let Some(o) = &a.out {
        ensure_absent(o)?;
    }
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
    let id = sealed.metadata.envelope_id;
    let path = a
        .out
        .clone()
        .unwrap_or_else(|| ctx.home.envelopes_dir().join(format!("{id}.envelope.cose")));
    let report = seal_report(a, rt, &sealed, &path);
    let note = serde_json::to_vec(&json!({"human": report.human, "json": report.json}))?;

    let (mut ledger, created) = match existing {
        Some(l) => (l, false),
        None => (Ledger::open(&ctx.home.ledger(&a.agency), &a.agency)?, true),
    };
    let lock = ledger.writer_lock()?;
    let step = Recorder {
        ctx,
        lock: &lock,
        keys: &keys,
    };
    if let Err(e) = step.record(
        &mut ledger,
        created,
        &sealed,
        &path,
        digest,
        &note,
        &report,
        out,
    ) {
        // A ledger this command created leaves with it.
        if created {
            let _ = ledger.remove_if_empty(lock);
        }
        return Err(e);
    }
    crash_point("seal:committed");
    ledger.checkpoint(&keys, ctx.now)?;
    crash_point("seal:checkpointed");
    // Done and reported: an identical request from now on is a new disclosure, not a retry.
    ledger.close_seal(&lock, &id)?;
    Ok(())
}

/// The recording steps of a seal, holding the agency's writer lock.
struct Recorder<'a> {
    ctx: &'a Ctx,
    lock: &'a WriterLock,
    keys: &'a AgencyKeys,
}

impl Recorder<'_> {
    /// Records `sealed` as pending, writes its envelope to `path` durably, appends its sent
    /// entries, prints `report` with them and commits (spec/ledger.md §6 steps 2–4). On any
    /// failure nothing is recorded and the envelope is taken back. A ledger just `created`
    /// first gets the mark of its empty head, so that a seal a crash leaves pending can be
    /// completed over it.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        ledger: &mut Ledger,
        created: bool,
        sealed: &divex_core::Sealed,
        path: &Path,
        digest: [u8; 32],
        note: &[u8],
        report: &Report,
        out: &mut dyn Write,
    ) -> Result<(), CliError> {
        let id = sealed.metadata.envelope_id;
        if created {
            ledger.mark_empty(self.keys, self.ctx.now)?;
        }
        ledger.begin_seal(
            self.lock,
            &PendingSeal {
                sealed,
                time: self.ctx.now,
                output: Some(path),
                request_digest: digest,
                note,
            },
        )?;
        crash_point("seal:pending");
        if let Err(e) = write_durably(path, &sealed.envelope) {
            let _ = ledger.abandon_seal(self.lock, &id);
            return Err(e);
        }
        crash_point("seal:written");
        let recorded = match ledger.finish_seal(self.lock, &id) {
            Ok(rec) => {
                let seqs: Vec<u64> = rec.entries().iter().map(|e| e.seq).collect();
                match self.ctx.emit(with_entries(report, &seqs), out) {
                    Ok(()) => {
                        crash_point("seal:reported");
                        rec.commit().map(|_| ()).map_err(CliError::from)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e.into()),
        };
        if let Err(e) = recorded {
            // Nothing left the agency through this command: take the envelope back.
            if holds(path, &sealed.envelope) {
                let _ = std::fs::remove_file(path);
            }
            let _ = ledger.abandon_seal(self.lock, &id);
            return Err(e);
        }
        Ok(())
    }
}

/// Gives a retried request the seal it already made (whose command did not finish): the same
/// envelope, written again if its file is gone, and the same report; nothing is sealed or
/// recorded. Once reported, the seal is closed: the next identical request is a new one.
fn re_emit(
    ctx: &Ctx,
    ledger: &mut Ledger,
    done: SealRecord,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let lock = ledger.writer_lock()?;
    if let Some(path) = &done.output
        && !holds(path, &done.envelope)
    {
        write_durably(path, &done.envelope)?;
    }
    let note: serde_json::Value = serde_json::from_slice(&done.note)?;
    let report = Report::new(
        note.get("human")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        note.get("json").cloned().unwrap_or_default(),
    );
    let report = with_entries(&report, &done.entries).warn(format!(
        "this request was already sealed as envelope {} (ledger entries {}): the same envelope is given again; nothing new was sealed, disclosed or recorded",
        done.envelope_id,
        done.entries
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    ctx.emit(report, out)?;
    ledger.close_seal(&lock, &done.envelope_id)?;
    Ok(())
}

/// `report` with the ledger entries that recorded the seal.
fn with_entries(report: &Report, seqs: &[u64]) -> Report {
    let mut r = report.clone();
    if let serde_json::Value::Object(m) = &mut r.json {
        m.insert("ledger_entries".into(), json!(seqs));
    }
    r
}

/// What `divex seal` reports (without the ledger entries, known only once they are appended).
fn seal_report(a: &SealArgs, rt: RecordType, sealed: &divex_core::Sealed, out: &Path) -> Report {
    let id = sealed.metadata.envelope_id.to_string();
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
    let n = sealed.permits.len();
    if let Some(h) = &sealed.metadata.ledger_head {
        l.add(
            "ledger head",
            format!(
                "entry {} (signed into the envelope: recipients can witness it)",
                h.seq
            ),
        );
    }
    l.add(
        "ledger",
        format!(
            "{} entr{} recorded, checkpoint signed",
            n,
            if n == 1 { "y" } else { "ies" }
        ),
    );
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
               "ledger_entries": [],
               "ledger_head": sealed.metadata.ledger_head.map(|h| json!({"seq": h.seq, "hash": hex::encode(h.hash)}))}),
    )
}
