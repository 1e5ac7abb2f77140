//! What the demo prints: the timeline, the participant's accounting of disclosures and every
//! ledger's verification, as text or as one JSON document.

use std::io::Write;
use std::path::Path;

use divex_core::consent::Subject;
use divex_core::records::RecordType;
use divex_core::vocab::Vocabulary;
use divex_ledger::Direction;
use serde_json::{Value, json};

use divex_fixtures::DAY;

use super::world::{CAST, Story, agency, keys};
use super::{ANCHOR, CASE, CASE_MANAGER, COURT, DA, PROBATION, PROVIDER, day, hex};
use crate::error::CliError;
use crate::home::Home;

/// What happened at one step.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A consent, revocation or event was signed and handed to the agencies concerned.
    Signed,
    /// An envelope was sealed, sent, opened by every recipient and recorded in the ledgers.
    Sent,
    /// The consent engine refused.
    Refused,
    /// A signed statement was accepted but changes nothing.
    NoEffect,
    /// A signed statement took effect.
    InEffect,
    /// An agency rotated its keys.
    Rotated,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Signed => "SIGNED",
            Outcome::Sent => "SENT",
            Outcome::Refused => "REFUSED",
            Outcome::NoEffect => "NO EFFECT",
            Outcome::InEffect => "IN EFFECT",
            Outcome::Rotated => "ROTATED",
        }
    }
}

/// One line of the timeline.
pub(super) struct Event {
    pub(super) time: u64,
    pub(super) actor: String,
    pub(super) recipients: Vec<String>,
    pub(super) outcome: Outcome,
    pub(super) what: String,
    pub(super) record_type: Option<&'static str>,
    pub(super) consent_id: Option<String>,
    pub(super) labels: Vec<String>,
    pub(super) envelope: Option<String>,
    pub(super) envelope_id: Option<String>,
    pub(super) reason_code: Option<&'static str>,
    pub(super) reason: Option<String>,
    pub(super) notes: Vec<String>,
}

impl Event {
    pub(super) fn new(time: u64, actor: &str, outcome: Outcome, what: impl Into<String>) -> Event {
        Event {
            time,
            actor: actor.to_owned(),
            recipients: Vec::new(),
            outcome,
            what: what.into(),
            record_type: None,
            consent_id: None,
            labels: Vec::new(),
            envelope: None,
            envelope_id: None,
            reason_code: None,
            reason: None,
            notes: Vec::new(),
        }
    }

    pub(super) fn to(mut self, recipients: &[&str]) -> Event {
        self.recipients = recipients.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    pub(super) fn note(mut self, note: impl Into<String>) -> Event {
        self.notes.push(note.into());
        self
    }
}

impl Story {
    /// Signs a checkpoint in every ledger, then reads the accountings and verifies every
    /// ledger.
    pub(super) fn finish(mut self) -> Result<Report, CliError> {
        for (id, a) in self.agencies.iter_mut() {
            a.ledger.checkpoint(keys(&self.world, id)?, self.now)?;
        }
        // §2.24: the disclosures made under consent in the last three years.
        let from = self.now.saturating_sub(3 * 365 * DAY);
        let to = self.now + DAY;
        let mut accounting = Vec::new();
        for id in [PROVIDER, CASE_MANAGER] {
            let a = agency(&self.agencies, id)?;
            let rows = a
                .ledger
                .accounting(&self.subject, from, to)?
                .into_iter()
                .filter(|e| e.direction == Direction::Sent)
                .map(|e| AccountingRow {
                    time: e.time,
                    recipient: e.counterparty.clone(),
                    description: e
                        .record_types
                        .iter()
                        .map(|t| describe(t))
                        .collect::<Vec<_>>()
                        .join("; "),
                    purpose: e.purpose.clone(),
                    consent_id: e.consent_id.clone(),
                })
                .collect();
            accounting.push((id, rows));
        }
        let mut ledgers = Vec::new();
        for cast in &CAST {
            let a = agency(&self.agencies, cast.id)?;
            let report = a.ledger.verify(&self.world.directory)?;
            ledgers.push(LedgerRow {
                agency: a.cast.id,
                entries: report.entries,
                checkpoints: report.checkpoints,
                head: hex(&report.head),
            });
        }
        // Witnessed heads (spec/ledger.md §5): every envelope the provider sealed carried its
        // ledger head, and each recipient kept it; the recipients' ledgers prove the provider's
        // was not cut or rewritten below those heads.
        let provider = agency(&self.agencies, PROVIDER)?;
        let mut witnesses = Vec::new();
        for id in [COURT, DA, PROBATION] {
            let w = provider
                .ledger
                .verify_witnessed(&agency(&self.agencies, id)?.ledger)?;
            witnesses.push(WitnessRow {
                witness: id,
                heads: w.heads,
                proved_seq: w.proved_seq,
                discrepancies: w.discrepancies.len(),
            });
        }
        Ok(Report {
            subject: self.subject,
            timeline: self.timeline,
            accounting,
            ledgers,
            witnesses,
        })
    }
}

/// "Drug test (drug_test)" for the accounting's description column.
fn describe(record_type: &str) -> String {
    let words = match RecordType::parse(record_type) {
        Some(RecordType::Referral) => "Referral",
        Some(RecordType::IntakeStatus) => "Intake status",
        Some(RecordType::Enrollment) => "Enrollment",
        Some(RecordType::Attendance) => "Attendance",
        Some(RecordType::DrugTest) => "Drug test result",
        Some(RecordType::ProgressReport) => "Progress report",
        Some(RecordType::CourtResponse) => "Court response",
        Some(RecordType::CourtEvent) => "Court event",
        Some(RecordType::Discharge) => "Discharge",
        Some(RecordType::CaseDisposition) => "Case disposition",
        Some(RecordType::LeadStatus) => "LEAD engagement status",
        Some(RecordType::ClinicalDetail) => "Clinical detail",
        Some(RecordType::CounselingNote) => "Counseling note",
        None => return record_type.to_owned(),
    };
    format!("{words} ({record_type})")
}

pub(super) struct AccountingRow {
    pub(super) time: u64,
    pub(super) recipient: String,
    pub(super) description: String,
    pub(super) purpose: String,
    pub(super) consent_id: String,
}

pub(super) struct LedgerRow {
    pub(super) agency: &'static str,
    pub(super) entries: u64,
    pub(super) checkpoints: u64,
    pub(super) head: String,
}

/// Everything the demo prints.
pub(super) struct Report {
    pub(super) subject: Subject,
    pub(super) timeline: Vec<Event>,
    pub(super) accounting: Vec<(&'static str, Vec<AccountingRow>)>,
    pub(super) ledgers: Vec<LedgerRow>,
    /// The provider's ledger checked against each recipient's witnessed heads.
    pub(super) witnesses: Vec<WitnessRow>,
}

/// One witness check: `divex ledger verify --agency treatment-provider --witness …`.
pub(super) struct WitnessRow {
    pub(super) witness: &'static str,
    pub(super) heads: u64,
    pub(super) proved_seq: u64,
    pub(super) discrepancies: usize,
}

const NOTE: &str = "demo keystores use a fast KDF and a public passphrase (\"divex-demo\" unless DIVEX_PASSPHRASE is set); they are for demonstration only";
impl Report {
    pub(super) fn write(
        &self,
        out: &mut dyn Write,
        json: bool,
        dir: Option<&Path>,
    ) -> Result<(), CliError> {
        if json {
            serde_json::to_writer_pretty(&mut *out, &self.to_json(dir))
                .map_err(std::io::Error::from)?;
            writeln!(out)?;
            return Ok(());
        }
        self.write_text(out, dir)
    }

    fn write_text(&self, out: &mut dyn Write, dir: Option<&Path>) -> Result<(), CliError> {
        writeln!(
            out,
            "divex demo: a PC 1000 diversion and a LEAD referral, end to end"
        )?;
        writeln!(out, "note: {NOTE}.")?;
        writeln!(out)?;
        writeln!(out, "Setup")?;
        writeln!(out, "  trust anchor  {ANCHOR}")?;
        for (i, c) in CAST.iter().enumerate() {
            let label = if i == 0 { "agencies" } else { "" };
            let part2 = if c.part2_program {
                ", Part 2 program"
            } else {
                ""
            };
            writeln!(
                out,
                "  {label:<12}  {:<20} {}{part2}: {}",
                c.id,
                c.role.as_str(),
                c.name
            )?;
        }
        writeln!(
            out,
            "  participant   {}, born {}; case {CASE}",
            self.subject.name, self.subject.date_of_birth
        )?;
        match dir {
            Some(d) => writeln!(out, "  files         {}", d.display())?,
            None => writeln!(
                out,
                "  files         a temporary directory, removed at the end (use --dir DIR to keep them)"
            )?,
        }

        writeln!(out)?;
        writeln!(out, "Timeline")?;
        for e in &self.timeline {
            write_event(out, e)?;
        }

        for (agency, rows) in &self.accounting {
            writeln!(out)?;
            writeln!(
                out,
                "Accounting of disclosures for {} (42 CFR §2.24), from the {agency} ledger",
                self.subject.name
            )?;
            writeln!(
                out,
                "  {:<10}  {:<18}  {:<36}  purpose",
                "date", "recipient", "description (record types)"
            )?;
            for r in rows {
                writeln!(
                    out,
                    "  {:<10}  {:<18}  {:<36}  {}",
                    day(r.time),
                    r.recipient,
                    r.description,
                    r.purpose
                )?;
            }
        }

        writeln!(out)?;
        writeln!(out, "Ledger verification (divex ledger verify)")?;
        writeln!(
            out,
            "  {:<20}  {:>7}  {:>11}  head",
            "agency", "entries", "checkpoints"
        )?;
        for l in &self.ledgers {
            writeln!(
                out,
                "  {:<20}  {:>7}  {:>11}  {}…  ok",
                l.agency,
                l.entries,
                l.checkpoints,
                l.head.get(..16).unwrap_or(&l.head)
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "Witnessed heads (divex ledger verify --agency {PROVIDER} --witness …)"
        )?;
        for w in &self.witnesses {
            writeln!(
                out,
                "  {:<20}  {:>2} heads of the provider's ledger recorded; entries 1..={} proved as sent{}",
                w.witness,
                w.heads,
                w.proved_seq,
                if w.discrepancies == 0 {
                    String::new()
                } else {
                    format!(" ({} discrepancies)", w.discrepancies)
                }
            )?;
        }
        if let Some(d) = dir {
            writeln!(out)?;
            let home = d.display();
            writeln!(out, "Everything stays in {home}. Try:")?;
            writeln!(
                out,
                "  divex --home {home} ledger verify --agency {PROVIDER}"
            )?;
            writeln!(
                out,
                "  divex --home {home} ledger accounting --agency {PROVIDER} --subject-name \"{}\" --subject-dob {}",
                self.subject.name, self.subject.date_of_birth
            )?;
            writeln!(
                out,
                "  divex inspect {}",
                Home::new(d)
                    .envelopes_dir()
                    .join(first_envelope(&self.timeline))
                    .display()
            )?;
        }
        Ok(())
    }

    fn to_json(&self, dir: Option<&Path>) -> Value {
        let agencies: Vec<Value> = CAST
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "name": c.name,
                    "role": c.role.as_str(),
                    "part2_program": c.part2_program,
                })
            })
            .collect();
        let timeline: Vec<Value> = self.timeline.iter().map(event_json).collect();
        let accounting: serde_json::Map<String, Value> = self
            .accounting
            .iter()
            .map(|(agency, rows)| {
                let rows: Vec<Value> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "date": day(r.time),
                            "time": r.time,
                            "recipient": r.recipient,
                            "description": r.description,
                            "purpose": r.purpose,
                            "consent_id": r.consent_id,
                        })
                    })
                    .collect();
                ((*agency).to_owned(), Value::Array(rows))
            })
            .collect();
        let ledgers: Vec<Value> = self
            .ledgers
            .iter()
            .map(|l| {
                json!({
                    "agency": l.agency,
                    "ok": true,
                    "entries": l.entries,
                    "checkpoints": l.checkpoints,
                    "head": l.head,
                })
            })
            .collect();
        json!({
            "note": NOTE,
            "dir": dir.map(|d| d.display().to_string()),
            "trust_anchor": ANCHOR,
            "agencies": agencies,
            "participant": {
                "name": self.subject.name,
                "date_of_birth": self.subject.date_of_birth,
            },
            "case": CASE,
            "timeline": timeline,
            "accounting": accounting,
            "ledgers": ledgers,
            "witnessed_heads": self.witnesses.iter().map(|w| json!({
                "ledger": PROVIDER,
                "witness": w.witness,
                "heads": w.heads,
                "proved_seq": w.proved_seq,
                "discrepancies": w.discrepancies,
            })).collect::<Vec<_>>(),
        })
    }
}

fn first_envelope(timeline: &[Event]) -> String {
    timeline
        .iter()
        .find_map(|e| e.envelope.as_deref())
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

fn write_event(out: &mut dyn Write, e: &Event) -> Result<(), CliError> {
    let arrow = if e.recipients.is_empty() {
        String::new()
    } else {
        format!(" → {}", e.recipients.join(", "))
    };
    writeln!(
        out,
        "  {}  {:<9}  {}{arrow}",
        day(e.time),
        e.outcome.as_str(),
        e.actor
    )?;
    const PAD: &str = "                         ";
    writeln!(out, "{PAD}{}", e.what)?;
    if let Some(c) = &e.consent_id {
        writeln!(out, "{PAD}consent   {c}")?;
    }
    if !e.labels.is_empty() {
        writeln!(out, "{PAD}labels    {}", e.labels.join(", "))?;
    }
    if let Some(f) = &e.envelope {
        writeln!(out, "{PAD}envelope  {f}")?;
    }
    if let (Some(code), Some(reason)) = (e.reason_code, &e.reason) {
        writeln!(out, "{PAD}reason    [{code}] {reason}")?;
    }
    for n in &e.notes {
        writeln!(out, "{PAD}· {n}")?;
    }
    Ok(())
}

fn event_json(e: &Event) -> Value {
    json!({
        "date": day(e.time),
        "time": e.time,
        "actor": e.actor,
        "recipients": e.recipients,
        "outcome": e.outcome.as_str().to_lowercase().replace(' ', "_"),
        "what": e.what,
        "record_type": e.record_type,
        "consent_id": e.consent_id,
        "labels": e.labels,
        "envelope": e.envelope,
        "envelope_id": e.envelope_id,
        "reason_code": e.reason_code,
        "reason": e.reason,
        "notes": e.notes,
    })
}
