//! Case events (spec/consent.md §6): a case authority's signed statement of a case's
//! disposition, the event that ends a §2.35 irrevocable period and can expire consents.

use serde::{Deserialize, Serialize};

use crate::directory::{Directory, Role};
use crate::keys::{AgencyKeys, KeyId};

use super::statement::{parse_statement, sign_statement, statement_signer, verify_statement};
use super::validate::is_token;
use super::{AgencyFacts, CASE_EVENT_TYP, ConsentError, MAX_CLOCK_SKEW};

/// The outcome a case event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionOutcome {
    /// Charges dismissed (e.g. after PC 1000 completion).
    Dismissed,
    /// Diversion terminated; criminal proceedings resume.
    DiversionTerminated,
    /// Record sealed.
    RecordSealed,
    /// The prosecutor's decision not to file (pre-filing diversion).
    NotFiled,
    /// Sentence imposed after diversion was terminated and the case resumed.
    Sentenced,
}

impl DispositionOutcome {
    /// Whether the outcome ends the case (a final disposition, 42 CFR §2.35(c)). Terminating
    /// diversion does not: criminal proceedings resume.
    pub fn is_final(self) -> bool {
        !matches!(self, DispositionOutcome::DiversionTerminated)
    }
}

/// A case authority's signed statement of a case's final disposition: the event that ends
/// a §2.35 consent's irrevocable period and can expire consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEvent {
    /// The case.
    pub case_ref: String,
    /// The outcome.
    pub outcome: DispositionOutcome,
    /// When it took effect.
    pub effective_at: u64,
}

impl CaseEvent {
    /// Signs the event (by the court or prosecutor with authority over the case).
    pub fn sign(&self, authority: &AgencyKeys) -> Result<Vec<u8>, ConsentError> {
        if !is_token(&self.case_ref, 64) {
            return Err(ConsentError::Structure("case reference must be a token"));
        }
        sign_statement(CASE_EVENT_TYP, self, authority)
    }

    /// Verifies an event's signature against the directory. Whether the signer is the
    /// authority for a given consent's case is decided per consent by the decision engine.
    pub fn verify(
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedEvent, ConsentError> {
        let (kid, body, msg): (KeyId, CaseEvent, _) = parse_statement(bytes, CASE_EVENT_TYP)?;
        if !is_token(&body.case_ref, 64) {
            return Err(ConsentError::Structure("case reference must be a token"));
        }
        if body.effective_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(ConsentError::FutureDated {
                what: "case event",
                at: body.effective_at,
                now,
            });
        }
        let cert = statement_signer(directory, &kid, "case event", body.effective_at, now)?;
        if !cert.has_role(Role::Court) && !cert.has_role(Role::Prosecutor) {
            return Err(ConsentError::NotApplicable(
                "only a court or prosecutor records a case disposition",
            ));
        }
        if !verify_statement(&msg, cert.keys().signing()) {
            return Err(ConsentError::BadStatementSignature { what: "case event" });
        }
        Ok(VerifiedEvent {
            event: body,
            signer: AgencyFacts::from_certificate(cert),
        })
    }
}

/// A case event whose signature and signer certificate were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    event: CaseEvent,
    signer: AgencyFacts,
}

impl VerifiedEvent {
    /// The event.
    pub fn event(&self) -> &CaseEvent {
        &self.event
    }

    /// The certified agency that signed it.
    pub fn signer(&self) -> &AgencyFacts {
        &self.signer
    }
}
