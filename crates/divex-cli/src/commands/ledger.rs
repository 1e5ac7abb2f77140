//! `divex ledger verify | accounting | export`: the agency's disclosure ledger.

use std::io::Write;

use divex_ledger::{Entry, Ledger};
use serde_json::json;

use super::{Ctx, print_report, subject};
use crate::cli::{LedgerAccountingArgs, LedgerAgencyArgs, LedgerExportArgs};
use crate::error::CliError;
use crate::keystore;
use crate::support::{Lines, Report, commit_all, stage};
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

pub(super) fn ledger_verify(ctx: &Ctx, a: &LedgerAgencyArgs) -> Result<Report, CliError> {
    let ledger = open_existing_ledger(ctx, &a.agency)?;
    // The checkpoint key: the agency's certified signing keys (newest first), else the one
    // in its keystore header.
    let mut keys = Vec::new();
    let mut source = "the agency's certificate";
    if let Ok(dir) = ctx.directory() {
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
        .add("checkpoint key", format!("{} (from {source})", kid));
    let mut rep = Report::new(
        format!(
            "Ledger of {} verifies: the hash chain is intact and every checkpoint signature is valid.\n{}",
            a.agency,
            l.render()
        ),
        json!({"agency": a.agency, "ok": true, "entries": r.entries, "checkpoints": r.checkpoints,
               "anchored_seq": r.anchored_seq, "head": hex::encode(r.head), "key_id": kid.to_string()}),
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
