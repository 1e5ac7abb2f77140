//! One disclosure: seal under the sender's consents, write the envelope, have every recipient
//! open it, and record the send and each receipt in the ledgers. A refusal is a timeline
//! entry, not an error.

use divex_core::consent::UseRestriction;
use divex_core::decision::MinimumNecessary;
use divex_core::envelope::{LedgerHead, OpenOptions, SeenEnvelopes};
use divex_core::error::Classified;
use divex_core::records::{Record, RecordType};
use divex_core::vocab::Vocabulary;
use divex_core::vocab::{Purpose, SecurityLabel};
use divex_core::{ConsentCopy, DisclosureError, SealRequest};

use super::report::{Event, Outcome};
use super::world::{Story, agency, agency_mut, keys, short_name};
use super::write_file;
use crate::error::CliError;

/// A disclosure to attempt.
pub(super) struct Send<'a> {
    pub(super) from: &'static str,
    pub(super) to: &'a [&'static str],
    /// Short word for the envelope's file name, e.g. `attendance`.
    pub(super) slug: &'static str,
    pub(super) what: String,
    pub(super) record: Record,
    pub(super) purpose: &'static Purpose,
    pub(super) consent_id: &'static str,
}

impl Story {
    /// Seals `s`; if the engine permits, writes the envelope, has every recipient open it and
    /// records the send and each receipt in the ledgers. A refusal is a timeline entry, not
    /// an error.
    pub(super) fn disclose(&mut self, s: Send<'_>) -> Result<(), CliError> {
        let record_type = s.record.record_type().as_str();
        // The sender's ledger head, signed into the envelope (profile v2): each recipient
        // records it and can later prove the sender's ledger was not cut below it.
        let (seq, hash) = agency(&self.agencies, s.from)?.ledger.head()?;
        let request = SealRequest {
            recipients: s.to,
            subject: &self.subject,
            purpose: s.purpose,
            consent_id: s.consent_id,
            record: &s.record,
            minimum_necessary: MinimumNecessary::Refuse,
            consent_copy: ConsentCopy::Attach,
            ledger_head: Some(LedgerHead { seq, hash }),
        };
        let sender = agency(&self.agencies, s.from)?;
        let mut event = Event::new(self.now, s.from, Outcome::Sent, s.what).to(s.to);
        event.record_type = Some(record_type);
        event.consent_id = Some(s.consent_id.to_owned());
        let sealed = match divex_core::seal(
            keys(&self.world, s.from)?,
            &self.world.directory,
            &sender.consents,
            &request,
            self.now,
        ) {
            Ok(sealed) => sealed,
            Err(DisclosureError::Denied { recipient, reason }) => {
                event.outcome = Outcome::Refused;
                event.reason_code = Some(reason.class());
                event.reason = Some(format!("disclosure to {recipient} refused: {reason}"));
                self.push(event.note("nothing was sealed, sent or recorded"));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        agency_mut(&mut self.agencies, s.from)?
            .ledger
            .record_sent(&sealed, self.now)?;

        self.envelopes += 1;
        let recipients: Vec<&str> = s.to.iter().map(|r| short_name(r)).collect();
        let file = format!(
            "{:02}-{}-{}-to-{}.envelope.cose",
            self.envelopes,
            short_name(s.from),
            s.slug,
            recipients.join("-")
        );
        write_file(&self.home.envelopes_dir().join(&file), &sealed.envelope)?;

        let mut restrictions = Vec::new();
        for r in s.to {
            let a = agency_mut(&mut self.agencies, r)?;
            let seen: &dyn SeenEnvelopes = &a.ledger;
            let received = divex_core::open(
                &sealed.envelope,
                keys(&self.world, r)?,
                &self.world.directory,
                &a.consents,
                self.now,
                &OpenOptions {
                    seen: Some(seen),
                    ..OpenOptions::default()
                },
            )?;
            // The receipt keeps the sender's signed ledger head: the witness of spec/ledger.md §5.
            a.ledger.record_received_with(
                &received,
                self.now,
                received.metadata.ledger_head.map(|h| (h.seq, h.hash)),
                received.issued_out_of_order,
            )?;
            restrictions = received
                .permit
                .obligations
                .use_restrictions
                .iter()
                .map(|u| restriction_words(*u))
                .collect();
        }
        if record_type == RecordType::Discharge.as_str() {
            self.discharge = Some(sealed.envelope.clone());
        }
        event.labels = sealed
            .metadata
            .disclosure
            .labels
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect();
        event.envelope = Some(format!("envelopes/{file}"));
        event.envelope_id = Some(sealed.metadata.envelope_id.to_string());
        // Part 2 records travel with the §2.32 notice; justice data under a state-law release
        // does not need one.
        let checked = if sealed
            .metadata
            .disclosure
            .labels
            .contains(&SecurityLabel::PART2)
        {
            "sender, consent copy and §2.32 notice verified"
        } else {
            "sender and consent copy verified"
        };
        let mut note = format!(
            "opened by {}: {checked}; recorded in the sender's and every recipient's ledger",
            s.to.join(", ")
        );
        if !restrictions.is_empty() {
            note.push_str(&format!("; use restricted: {}", restrictions.join(", ")));
        }
        self.push(event.note(note));
        Ok(())
    }
}

fn restriction_words(u: UseRestriction) -> &'static str {
    match u {
        UseRestriction::NoCriminalUseAgainstPatient => "no-criminal-use (§2.12(d))",
        UseRestriction::NoAdverseAction => "no-adverse-action (LEAD)",
    }
}
