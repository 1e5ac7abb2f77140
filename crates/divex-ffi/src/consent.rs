//! Consent directives (created from JSON and signed), their revocations, case events, and the
//! consent set an agency holds (spec/consent.md).
//!
//! A consent is described as JSON with exactly the fields and names of the CBOR directive
//! (`divex_core::consent::ConsentDirective::from_json`: times are Unix seconds, parties
//! `{"agency": "id"}` or `{"role": "probation"}`, enum values their snake_case tokens, the two
//! byte fields hex text); the core reads it, so a description with an unknown or misspelt field
//! is refused rather than silently dropped. What comes back is typed: the regime and case
//! outcomes are the core's enums.

use std::sync::{Arc, Mutex};

use divex_core::consent::{
    self as core, CaseEvent, ConsentDirective, DispositionOutcome, ImportedRevocation, Regime,
    RevocationStatement, SignedConsent, StatementSigner, VerifiedConsent, VerifiedEvent,
    VerifiedRevocation,
};

use crate::directory::{Directory, lock};
use crate::error::Result;
use crate::keys::{AgencyKeys, PersonalKey};

/// The legal regime a consent is given under (the core's enum; its JSON tokens are
/// `part2_2_31`, `part2_2_35`, `part2_counseling_notes`, `hipaa`, `state_only`).
#[uniffi::remote(Enum)]
pub enum Regime {
    /// 42 CFR §2.31 consent, revocable at will.
    Part2General,
    /// 42 CFR §2.35 criminal-justice consent.
    Part2CriminalJustice,
    /// 42 CFR Part 2 consent for counseling notes (their own consent).
    Part2CounselingNotes,
    /// HIPAA authorisation (not Part 2 data).
    Hipaa,
    /// A state-law-only release (not Part 2 data).
    StateOnly,
}

/// The outcome a case event records (the core's enum).
#[uniffi::remote(Enum)]
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

/// A verified consent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentInfo {
    /// The exact signed `COSE_Sign` bytes (the copy attached to disclosures).
    pub consent: Vec<u8>,
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: u32,
    /// The regime.
    pub regime: Regime,
    /// SHA-256 of the signed bytes (the consent reference envelopes carry).
    pub digest: Vec<u8>,
    /// The directive as JSON (the same shape [`sign_consent`] takes).
    pub directive_json: String,
}

/// A consent revocation: verified against its consent, or held pending until the consent
/// arrives (`pending`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentRevocationInfo {
    /// The consent revoked.
    pub consent_id: String,
    /// When the participant revoked (Unix seconds).
    pub revoked_at: u64,
    /// How it was communicated.
    pub method: String,
    /// The agency that recorded it; `None` when signed by a key that speaks for the patient.
    pub recorded_by: Option<String>,
    /// Digest of the consent it was verified against (empty while pending).
    pub consent_digest: Vec<u8>,
    /// The consent it names is not held yet: the revocation is kept pending, its signature
    /// not yet checked, and judged when the consent is imported (spec/consent.md §5.5).
    /// Until then nothing is sealed or released under that consent.
    pub pending: bool,
}

/// A verified case event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CaseEventInfo {
    /// The case.
    pub case_ref: String,
    /// The outcome.
    pub outcome: DispositionOutcome,
    /// When it took effect (Unix seconds).
    pub effective_at: u64,
    /// The certified agency that signed it.
    pub signer_agency_id: String,
}

pub(crate) fn consent_info(c: &VerifiedConsent) -> ConsentInfo {
    let d = c.directive();
    ConsentInfo {
        consent: c.as_bytes().to_vec(),
        id: c.id().to_owned(),
        version: d.version,
        regime: d.regime,
        digest: c.digest().to_vec(),
        directive_json: d.to_json(),
    }
}

fn revocation_info(r: &VerifiedRevocation) -> ConsentRevocationInfo {
    let s = r.statement();
    ConsentRevocationInfo {
        consent_id: s.consent_id.clone(),
        revoked_at: s.revoked_at,
        method: s.method.clone(),
        recorded_by: r.recorded_by().map(str::to_owned),
        consent_digest: r.consent_digest().to_vec(),
        pending: false,
    }
}

fn imported_revocation_info(r: ImportedRevocation<'_>) -> ConsentRevocationInfo {
    match r {
        ImportedRevocation::Verified(r) => revocation_info(r),
        ImportedRevocation::Pending(s) => ConsentRevocationInfo {
            consent_id: s.consent_id.clone(),
            revoked_at: s.revoked_at,
            method: s.method.clone(),
            recorded_by: None,
            consent_digest: Vec::new(),
            pending: true,
        },
    }
}

fn event_info(e: &VerifiedEvent) -> CaseEventInfo {
    let ev = e.event();
    CaseEventInfo {
        case_ref: ev.case_ref.clone(),
        outcome: ev.outcome,
        effective_at: ev.effective_at,
        signer_agency_id: e.signer().agency_id.clone(),
    }
}

/// Validates a consent described as JSON (see the module documentation) and signs it: one
/// signature per signer with a `key`, each made by the agency or person whose public key
/// that is. Wet-ink signers need no key. Returns the signed consent.
#[uniffi::export]
pub fn sign_consent(
    directive_json: String,
    agencies: Vec<Arc<AgencyKeys>>,
    people: Vec<Arc<PersonalKey>>,
) -> Result<Vec<u8>> {
    let directive = ConsentDirective::from_json(directive_json.as_bytes())?;
    let mut signers: Vec<&dyn StatementSigner> = Vec::new();
    signers.extend(agencies.iter().map(|a| &a.inner as &dyn StatementSigner));
    signers.extend(people.iter().map(|p| &p.inner as &dyn StatementSigner));
    Ok(SignedConsent::sign(&directive, &signers)?
        .as_bytes()
        .to_vec())
}

/// Verifies a signed consent: every signature, the witnessing agency's certificate in
/// `directory` at `now`, and every required element of its regime.
#[uniffi::export]
pub fn verify_consent(
    consent: Vec<u8>,
    directory: Arc<Directory>,
    now: u64,
) -> Result<ConsentInfo> {
    let c = SignedConsent::verify(&consent, &directory.get(), now)?;
    Ok(consent_info(&c))
}

/// Verifies a consent revocation against the signed consent it names.
#[uniffi::export]
pub fn verify_consent_revocation(
    revocation: Vec<u8>,
    consent: Vec<u8>,
    directory: Arc<Directory>,
    now: u64,
) -> Result<ConsentRevocationInfo> {
    let d = directory.get();
    let c = SignedConsent::verify(&consent, &d, now)?;
    Ok(revocation_info(&RevocationStatement::verify(
        &revocation,
        &c,
        &d,
        now,
    )?))
}

/// Verifies a case event's signature and signer (a certified court or prosecutor).
#[uniffi::export]
pub fn verify_case_event(
    event: Vec<u8>,
    directory: Arc<Directory>,
    now: u64,
) -> Result<CaseEventInfo> {
    Ok(event_info(&CaseEvent::verify(
        &event,
        &directory.get(),
        now,
    )?))
}

/// The verified consents, revocations and case events an agency holds: what the decision
/// engine reasons over when it seals and opens. Safe to share between threads.
#[derive(Debug, uniffi::Object)]
pub struct ConsentSet {
    pub(crate) inner: Mutex<core::ConsentSet>,
}

#[uniffi::export]
impl ConsentSet {
    /// An empty set.
    #[uniffi::constructor]
    pub fn new() -> Arc<ConsentSet> {
        Arc::new(ConsentSet {
            inner: Mutex::new(core::ConsentSet::new()),
        })
    }

    /// Verifies and adds a signed consent (idempotent for the same bytes).
    pub fn import_consent(
        &self,
        consent: Vec<u8>,
        directory: Arc<Directory>,
        now: u64,
    ) -> Result<ConsentInfo> {
        let d = directory.get();
        let c = lock(&self.inner).import_consent(&consent, &d, now)?;
        Ok(consent_info(&c))
    }

    /// Verifies a revocation against the consent it names and adds it. Whether it takes
    /// effect is the decision engine's call (a §2.35 consent is irrevocable until its case's
    /// disposition). A revocation of a consent not held yet is kept pending (`pending` in the
    /// result) and judged when the consent is imported.
    pub fn import_revocation(
        &self,
        revocation: Vec<u8>,
        directory: Arc<Directory>,
        now: u64,
    ) -> Result<ConsentRevocationInfo> {
        let d = directory.get();
        let mut set = lock(&self.inner);
        Ok(imported_revocation_info(set.import_revocation(
            &revocation,
            &d,
            now,
        )?))
    }

    /// Verifies and adds a newly received case event; one that took effect more than 30 days
    /// before `now` is refused as `back_dated` (spec/consent.md §6.3).
    pub fn import_event(
        &self,
        event: Vec<u8>,
        directory: Arc<Directory>,
        now: u64,
    ) -> Result<CaseEventInfo> {
        let d = directory.get();
        let mut set = lock(&self.inner);
        Ok(event_info(set.import_event(&event, &d, now)?))
    }

    /// Verifies and adds a case event without the 30-day bound on back-dating: for an event
    /// admitted on a court order (say so to the user), or for re-loading events this agency
    /// already imported. Every other check applies.
    pub fn import_event_without_date_bound(
        &self,
        event: Vec<u8>,
        directory: Arc<Directory>,
        now: u64,
    ) -> Result<CaseEventInfo> {
        let d = directory.get();
        let mut set = lock(&self.inner);
        Ok(event_info(
            set.import_event_without_date_bound(&event, &d, now)?,
        ))
    }

    /// The consent with this id, if held.
    pub fn get(&self, consent_id: String) -> Option<ConsentInfo> {
        lock(&self.inner).get(&consent_id).map(consent_info)
    }

    /// Every consent held.
    pub fn consents(&self) -> Vec<ConsentInfo> {
        lock(&self.inner)
            .consents()
            .iter()
            .map(consent_info)
            .collect()
    }

    /// Every revocation held.
    pub fn revocations(&self) -> Vec<ConsentRevocationInfo> {
        lock(&self.inner)
            .revocations()
            .iter()
            .map(revocation_info)
            .collect()
    }

    /// Every case event held.
    pub fn events(&self) -> Vec<CaseEventInfo> {
        lock(&self.inner).events().iter().map(event_info).collect()
    }
}
