//! `divex ledger verify | mark | accounting | export`: the agency's disclosure ledger, and the
//! check every command that appends to it runs first ([`writable_ledger`]).

use std::io::Write;

use divex_core::directory::Directory;
use divex_core::keys::AgencyKeys;
use divex_ledger::{Discrepancy, Entry, Ledger};
use serde_json::json;

use super::{Ctx, print_report, subject};
use crate::cli::{LedgerAccountingArgs, LedgerAgencyArgs, LedgerExportArgs, LedgerVerifyArgs};
use crate::error::CliError;
use crate::support::{Lines, Report, commit_all, open_agency_keys, stage};
use crate::timefmt::format_time;

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

/// The agency's ledger, ready to be appended to (spec/ledger.md §4, §6): `None` when it does
/// not exist yet (no file, or an empty one) and its high-water mark, if any, allows that; the
/// ledger otherwise, once the seals a previous command left pending are completed or forgotten
/// ([`Ledger::reconcile`]) and [`Ledger::verify`] has accepted its chain, its checkpoints and
/// its mark. A rolled-back, emptied, truncated or rewritten ledger is refused with its typed
/// error, and nothing is written (a missing ledger is not created here).
pub(super) fn writable_ledger(
    ctx: &Ctx,
    agency: &str,
    directory: &Directory,
) -> Result<Option<Ledger>, CliError> {
    let path = ctx.home.ledger(agency);
    if absent_or_empty(&path)? {
        Ledger::check_new(&path, agency, directory)?;
        return Ok(None);
    }
    let mut ledger = Ledger::open(&path, agency)?;
    if ledger.has_pending()? {
        let lock = ledger.writer_lock()?;
        ledger.reconcile(&lock, ctx.now)?;
    }
    ledger.verify(directory)?;
    Ok(Some(ledger))
}

/// Whether the ledger file does not exist or has no bytes (SQLite would make a new database
/// of it).
fn absent_or_empty(path: &std::path::Path) -> Result<bool, CliError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len() == 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(CliError::io(path, "the ledger", e)),
    }
}

/// Refuses to sign with keys the directory does not certify for `agency` at `now`: every
/// checkpoint and high-water mark they signed would fail verification (spec/ledger.md §3.2),
/// and no recipient would accept what they seal.
pub(super) fn ensure_certified(
    directory: &Directory,
    agency: &str,
    keys: &AgencyKeys,
    now: u64,
) -> Result<(), CliError> {
    let kid = keys.public().signing().kid();
    let mut refusal = None;
    for c in directory
        .certificates_for(agency)
        .filter(|c| c.keys().signing().kid() == kid)
    {
        match directory.check(c, now) {
            Ok(()) => return Ok(()),
            Err(e) => refusal = refusal.or(Some(e)),
        }
    }
    Err(match refusal {
        Some(e) => e.into(),
        None => CliError::Refused(format!(
            "the signing key {kid} in the keystore of {agency} is not certified for {agency} in the directory: what it signed would not verify"
        )),
    })
}

pub(super) fn ledger_verify(ctx: &Ctx, a: &LedgerVerifyArgs) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    let path = ctx.home.ledger(&a.agency);
    if absent_or_empty(&path)? {
        // A deleted or emptied ledger whose mark remains is a rollback, not a missing file.
        Ledger::check_new(&path, &a.agency, &dir)?;
        return Err(CliError::NotFound {
            what: format!("the ledger of agency '{}'", a.agency),
            path,
            hint: "the agency has not sealed or opened anything yet; check --agency and --home"
                .into(),
        });
    }
    let ledger = Ledger::open(&path, &a.agency)?;
    let r = ledger.verify(&dir)?;
    let keys: Vec<String> = r.keys.iter().map(ToString::to_string).collect();
    let mut l = Lines::new();
    l.add("agency", &a.agency)
        .add("entries", r.entries.to_string())
        .add("checkpoints", r.checkpoints.to_string())
        .add("signed through entry", r.anchored_seq.to_string())
        .add("high-water mark", format!("entry {}", r.marked_seq))
        .add("head", hex::encode(r.head))
        .add(
            "checkpoint keys",
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            },
        );
    // The witnesses: each counterparty's record of this ledger's heads (spec/ledger.md §5.3).
    let mut witnessed = Vec::new();
    let mut warnings = Vec::new();
    for path in &a.witnesses {
        if !path.is_file() {
            return Err(CliError::NotFound {
                what: "the witness ledger".into(),
                path: path.clone(),
                hint: "give the path of another agency's ledger file (agencies/ID/ledger.sqlite in its home)".into(),
            });
        }
        let witness = Ledger::open_read_only(path)?;
        let w = ledger.verify_witnessed(&witness)?;
        l.add(
            format!("witness {}", w.witness),
            if w.heads == 0 {
                "recorded no head of this ledger".to_owned()
            } else {
                format!(
                    "{} head{} recorded; entries 1..={} proved",
                    w.heads,
                    if w.heads == 1 { "" } else { "s" },
                    w.proved_seq
                )
            },
        );
        warnings.extend(
            w.discrepancies
                .iter()
                .map(|d| format!("witness {}: {d}", w.witness)),
        );
        witnessed.push(json!({
            "agency": w.witness, "file": path, "heads": w.heads, "proved_seq": w.proved_seq,
            "discrepancies": w.discrepancies.iter().map(|d| match d {
                Discrepancy::NotReceived { seq, envelope_id } => json!({
                    "kind": d.kind(), "seq": seq, "envelope_id": hex::encode(envelope_id)}),
                Discrepancy::NotRecordedAsSent { witness_seq, envelope_id } => json!({
                    "kind": d.kind(), "witness_seq": witness_seq,
                    "envelope_id": hex::encode(envelope_id)}),
                _ => json!({"kind": d.kind(), "detail": d.to_string()}),
            }).collect::<Vec<_>>(),
        }));
    }
    let mut rep = Report::new(
        format!(
            "Ledger of {} verifies: the hash chain is intact, every checkpoint is signed with a key certified for {} at its time, and the ledger reaches its high-water mark{}.\n{}",
            a.agency,
            a.agency,
            if a.witnesses.is_empty() {
                ""
            } else {
                " and every head its witnesses recorded"
            },
            l.render()
        ),
        json!({"agency": a.agency, "ok": true, "entries": r.entries, "checkpoints": r.checkpoints,
               "anchored_seq": r.anchored_seq, "marked_seq": r.marked_seq,
               "head": hex::encode(r.head), "key_ids": keys, "witnesses": witnessed}),
    );
    if r.anchored_seq < r.entries {
        rep = rep.warn(format!(
            "entries {}..{} are chained but not yet covered by a signed checkpoint",
            r.anchored_seq + 1,
            r.entries
        ));
    }
    for w in warnings {
        rep = rep.warn(w);
    }
    if ledger.has_pending()? {
        rep = rep.warn(
            "a seal is pending (its command was interrupted): the next `divex seal` or `divex open` of this agency records it if its envelope was written, or forgets it",
        );
    }
    Ok(rep)
}

pub(super) fn ledger_mark(ctx: &Ctx, a: &LedgerAgencyArgs) -> Result<Report, CliError> {
    let dir = ctx.directory()?;
    let mut ledger = open_existing_ledger(ctx, &a.agency)?;
    let before = ledger.high_water_mark()?;
    // Refuse before asking for the passphrase when the ledger does not verify (a mark that
    // exists and is not reached is never replaced).
    match ledger.verify(&dir) {
        Ok(_) | Err(divex_ledger::LedgerError::HeadMarkMissing { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let keys = open_agency_keys(&ctx.home, &a.agency)?;
    ensure_certified(&dir, &a.agency, &keys, ctx.now)?;
    let cp = ledger.adopt(&keys, &dir, ctx.now)?;
    let mut rep = Report::new(
        format!(
            "The high-water mark of {}'s ledger now covers entry {} ({}).\n",
            a.agency,
            cp.seq,
            ledger.mark_path().display()
        ),
        json!({"agency": a.agency, "marked_seq": cp.seq, "head": hex::encode(cp.head),
               "mark": ledger.mark_path(), "replaced": before.as_ref().map(|m| m.seq)}),
    );
    if before.is_none() {
        rep = rep.warn(format!(
            "{}'s ledger had no high-water mark: its length as of now is taken as genuine; entries removed before now can only be proved by the counterparties' ledgers",
            a.agency
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

pub(super) fn ledger_accounting(ctx: &Ctx, a: &LedgerAccountingArgs) -> Result<Report, CliError> {
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

pub(super) fn ledger_export(
    ctx: &Ctx,
    a: &LedgerExportArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
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
