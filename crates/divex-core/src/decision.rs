//! The consent decision engine (spec/consent.md §7): a pure function of verified consents,
//! revocations, case events and a disclosure request, returning `Permit` with the
//! obligations the law attaches, or `Deny` with a reason.
//!
//! * **Default deny**: without a consent in force that covers the request, the answer is
//!   deny.
//! * **Deny-overrides**: a consent in force for this participant, sender, recipient and
//!   purpose that expressly excludes the record type denies, whatever other consents permit.
//!   Only consents *in force* vote: an expired, not-yet-effective, revoked or superseded
//!   consent does not apply at all (DOMAIN.md §5).
//! * **§2.35's cap**: a criminal-justice consent is irrevocable until its stated date or
//!   event, and never beyond the case's final disposition as signed by the case authority.
//!   A revocation made during the irrevocable period has no effect, then or later.
//! * **Obligations come from the law**: every Part 2 disclosure carries the §2.32 notice, the
//!   Part 2 label and the §2.12(d) no-criminal-use restriction even when the consent omits
//!   them; LEAD data carries `no-adverse-action`.
//!
//! The engine never sees signatures or bytes: [`crate::consent`] verifies those and hands it
//! only verified values, so the rules here can be read and tested on their own.

use crate::consent::{
    AgencyFacts, ConsentDirective, ConsentSet, NoticeForm, Redisclosure, Regime, Revocability,
    Subject, UseRestriction, VerifiedConsent, VerifiedEvent, VerifiedRevocation,
};
use crate::directory::Role;
use crate::error::classified;
use crate::records::{Date, FieldSpec, RecordType, Tier};
use crate::vocab::Vocabulary;
use crate::vocab::{FieldName, NoticeCode, Purpose, SecurityLabel};

/// What the engine is given: verified values only, usually everything a [`ConsentSet`] holds
/// (`Facts::from(&set)`).
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Every verified consent known (all versions).
    pub consents: &'a [VerifiedConsent],
    /// Every verified revocation known.
    pub revocations: &'a [VerifiedRevocation],
    /// Every verified case event known.
    pub events: &'a [VerifiedEvent],
}

/// The facts are everything the set holds. The engine reads the consent module's verified
/// values; the consent module knows nothing of the engine (data flows one way).
impl<'a> From<&'a ConsentSet> for Facts<'a> {
    fn from(set: &'a ConsentSet) -> Facts<'a> {
        Facts {
            consents: set.consents(),
            revocations: set.revocations(),
            events: set.events(),
        }
    }
}

/// What to do with fields the consent does not permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinimumNecessary {
    /// Refuse the disclosure, naming the field (the default).
    Refuse,
    /// Remove optional fields that are not permitted and record them.
    Redact,
}

/// A proposed disclosure.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The disclosing agency, as certified.
    pub sender: &'a AgencyFacts,
    /// The receiving agency, as certified.
    pub recipient: &'a AgencyFacts,
    /// The participant the record is about.
    pub subject: &'a Subject,
    /// Purpose of use.
    pub purpose: &'a Purpose,
    /// Record type.
    pub record_type: RecordType,
    /// The record's present fields with their tiers.
    pub fields: &'a [&'static FieldSpec],
    /// The dates the record's information comes from (`Record::period`), if it has any.
    pub period: Option<(Date, Date)>,
    /// When the disclosure happens (seal time; at open, the envelope's issue time).
    pub time: u64,
    /// The consent the sender relies on, if named: only it can permit.
    pub consent_id: Option<&'a str>,
    /// Refuse or redact fields the consent does not permit.
    pub minimum_necessary: MinimumNecessary,
}

/// What a permit obliges the parties to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligations {
    /// The §2.32 notice to attach (none for records that are not Part 2 records).
    pub notice: Option<NoticeForm>,
    /// Whether the consent copy must be attached (otherwise a reference may be sent to a
    /// recipient that already holds it).
    pub attach_consent: bool,
    /// Security labels, sorted.
    pub labels: Vec<SecurityLabel>,
    /// The redisclosure rule.
    pub redisclosure: Redisclosure,
    /// Use restrictions, sorted.
    pub use_restrictions: Vec<UseRestriction>,
    /// Fields to remove (redact mode only), sorted.
    pub redactions: Vec<FieldName>,
}

impl Obligations {
    /// The §2.32 notice code the envelope carries: the notice form's code, or
    /// [`NoticeCode::NO_PART2_NOTICE`] for records that are not Part 2 records.
    pub fn notice_code(&self) -> NoticeCode {
        self.notice
            .map_or(NoticeCode::NO_PART2_NOTICE, NoticeForm::code)
    }

    /// The §2.32 notice statement that travels with the record (empty for records that are
    /// not Part 2 records).
    pub fn notice_text(&self) -> &'static str {
        self.notice.map_or("", NoticeForm::text)
    }
}

/// A permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    /// The consent that permits.
    pub consent_id: String,
    /// Its digest (the reference the envelope carries).
    pub consent_digest: [u8; 32],
    /// Obligations.
    pub obligations: Obligations,
}

/// Why a disclosure is denied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenyReason {
    /// No consent at all is held (default deny).
    #[error("no consent is held that could permit this disclosure")]
    NoConsent,
    /// Consents exist, but none for this participant.
    #[error("the consent is for another participant")]
    OtherParticipant,
    /// The consent is not yet in effect.
    #[error("consent {consent_id} is not yet in effect")]
    NotYetEffective {
        /// The consent.
        consent_id: String,
    },
    /// The consent has expired (by date or event).
    #[error("consent {consent_id} has expired")]
    Expired {
        /// The consent.
        consent_id: String,
    },
    /// The consent was revoked.
    #[error("consent {consent_id} was revoked by the participant")]
    Revoked {
        /// The consent.
        consent_id: String,
    },
    /// A newer version replaced the consent.
    #[error("consent {consent_id} was superseded by {by}")]
    Superseded {
        /// The consent.
        consent_id: String,
        /// Its successor.
        by: String,
    },
    /// The sender is not a named discloser.
    #[error("agency {agency_id} is not named as a discloser in consent {consent_id}")]
    SenderNotNamed {
        /// The consent.
        consent_id: String,
        /// The sender.
        agency_id: String,
    },
    /// The recipient is not a named recipient.
    #[error("agency {agency_id} is not named as a recipient in consent {consent_id}")]
    RecipientNotNamed {
        /// The consent.
        consent_id: String,
        /// The recipient.
        agency_id: String,
    },
    /// §2.35: the recipient has no justice role with a monitoring duty.
    #[error("agency {agency_id} has no justice role with a monitoring duty (42 CFR §2.35(a))")]
    RecipientNotJustice {
        /// The consent.
        consent_id: String,
        /// The recipient.
        agency_id: String,
    },
    /// The purpose is not one the consent names.
    #[error("purpose {purpose} is not permitted by consent {consent_id}")]
    PurposeNotPermitted {
        /// The consent.
        consent_id: String,
        /// The purpose asked.
        purpose: Purpose,
    },
    /// The record type is not permitted.
    #[error("record type {record_type} is not permitted by consent {consent_id}")]
    RecordTypeNotPermitted {
        /// The consent.
        consent_id: String,
        /// The type.
        record_type: &'static str,
    },
    /// Counseling notes need a counseling-notes consent.
    #[error("counseling notes need their own consent (42 CFR §2.31(b))")]
    CounselingNotesNeedOwnConsent,
    /// A Part 2 program's records need a Part 2 consent.
    #[error("a Part 2 program's records need a 42 CFR Part 2 consent, not {regime}")]
    Part2ConsentRequired {
        /// The regime of the consent found.
        regime: &'static str,
    },
    /// A field is not permitted (minimum necessary, §2.13(a)).
    #[error(
        "field {field} ({tier}) of the {record_type} is not permitted by consent {consent_id}; remove it or use redact mode"
    )]
    FieldNotPermitted {
        /// The consent.
        consent_id: String,
        /// The record type.
        record_type: &'static str,
        /// The field.
        field: &'static str,
        /// Its tier.
        tier: &'static str,
    },
    /// A required field is not permitted, so redaction cannot help.
    #[error("required field {field} of the {record_type} is not permitted by consent {consent_id}")]
    RequiredFieldNotPermitted {
        /// The consent.
        consent_id: String,
        /// The record type.
        record_type: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A consent in force expressly excludes this record type (deny-overrides).
    #[error("consent {consent_id} expressly excludes {record_type}")]
    Excluded {
        /// The consent that denies.
        consent_id: String,
        /// The type.
        record_type: &'static str,
    },
    /// The record's information is from outside the consent's data period.
    #[error("the record's dates fall outside the period consent {consent_id} covers")]
    OutsideDataPeriod {
        /// The consent.
        consent_id: String,
    },
    /// The consent the sender named is unknown.
    #[error("consent {consent_id} is not known")]
    UnknownConsent {
        /// The consent.
        consent_id: String,
    },
}

classified!(DenyReason, Denied, |e| match e {
    DenyReason::NoConsent => "no_consent",
    DenyReason::OtherParticipant => "other_participant",
    DenyReason::NotYetEffective { .. } => "not_yet_effective",
    DenyReason::Expired { .. } => "expired",
    DenyReason::Revoked { .. } => "revoked",
    DenyReason::Superseded { .. } => "superseded",
    DenyReason::SenderNotNamed { .. } => "sender_not_named",
    DenyReason::RecipientNotNamed { .. } => "recipient_not_named",
    DenyReason::RecipientNotJustice { .. } => "recipient_not_justice",
    DenyReason::PurposeNotPermitted { .. } => "purpose_not_permitted",
    DenyReason::RecordTypeNotPermitted { .. } => "record_type_not_permitted",
    DenyReason::CounselingNotesNeedOwnConsent => "counseling_notes_need_own_consent",
    DenyReason::Part2ConsentRequired { .. } => "part2_consent_required",
    DenyReason::FieldNotPermitted { .. } => "field_not_permitted",
    DenyReason::RequiredFieldNotPermitted { .. } => "required_field_not_permitted",
    DenyReason::Excluded { .. } => "excluded",
    DenyReason::OutsideDataPeriod { .. } => "outside_data_period",
    DenyReason::UnknownConsent { .. } => "unknown_consent",
});

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Disclose, with these obligations.
    Permit(Permit),
    /// Do not disclose.
    Deny(DenyReason),
}

/// How far a consent got before it failed to cover the request; the deny reason reported is
/// the one from the consent that got furthest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Subject,
    InForce,
    Sender,
    Recipient,
    Purpose,
    Content,
}

/// When the case's final disposition took effect, as signed by the case authority. An event
/// dated before the consent was signed does not count for it (spec/consent.md §6.3-§6.4): a
/// disposition cannot precede the consent whose irrevocable period it ends.
fn disposition_time(consent: &ConsentDirective, case_ref: &str, facts: &Facts<'_>) -> Option<u64> {
    let authority = consent
        .case
        .as_ref()
        .filter(|c| c.case_ref == case_ref)
        .map(|c| c.authority.as_str());
    facts
        .events
        .iter()
        .filter(|e| {
            let ev = e.event();
            ev.case_ref == case_ref && ev.outcome.is_final() && ev.effective_at >= consent.signed_at
        })
        // Only the authority for the case counts: the court for a court case, the
        // prosecutor for pre-filing diversion; never police or the provider.
        .filter(|e| {
            let s = e.signer();
            Some(s.agency_id.as_str()) == authority
                && (s.roles.contains(&Role::Court) || s.roles.contains(&Role::Prosecutor))
        })
        .map(|e| e.event().effective_at)
        .min()
}

/// When a date-or-event trigger fires (the earlier of the two), if it has.
fn trigger_time(
    consent: &ConsentDirective,
    date: Option<u64>,
    event: Option<&crate::consent::EventTrigger>,
    facts: &Facts<'_>,
) -> Option<u64> {
    let ev = event.and_then(|e| disposition_time(consent, &e.case_ref, facts));
    match (date, ev) {
        (Some(d), Some(e)) => Some(d.min(e)),
        (d, e) => d.or(e),
    }
}

/// The moment a consent becomes revocable (`Some(0)` for at-will consents), if it has: for a
/// §2.35 consent the earlier of its stated date or event and the case's final disposition.
pub(crate) fn revocable_from(consent: &ConsentDirective, facts: &Facts<'_>) -> Option<u64> {
    match &consent.revocation {
        Revocability::AtWill => Some(0),
        Revocability::RevocableAfter(until) => {
            let stated = trigger_time(consent, until.date, until.event.as_ref(), facts);
            // §2.35(c): never irrevocable beyond the final disposition of the case.
            let cap = consent
                .case
                .as_ref()
                .and_then(|c| disposition_time(consent, &c.case_ref, facts));
            match (stated, cap) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
    }
}

/// Whether the consent is in force at `t` (effective, not superseded, not expired, not
/// revoked); otherwise why not.
pub(crate) fn in_force(c: &VerifiedConsent, facts: &Facts<'_>, t: u64) -> Result<(), DenyReason> {
    let d = c.directive();
    let id = || d.id.clone();
    if t < d.effective {
        return Err(DenyReason::NotYetEffective { consent_id: id() });
    }
    // While a §2.35 consent is irrevocable, only another §2.35 consent for the same case
    // and authority may replace it: a successor must not be a way around irrevocability.
    let irrevocable = d.regime == Regime::Part2CriminalJustice
        && revocable_from(d, facts).is_none_or(|from| from > t);
    if let Some(newer) = facts.consents.iter().find(|n| {
        let nd = n.directive();
        nd.supersedes.as_deref() == Some(d.id.as_str())
            && nd.version > d.version
            && nd.subject.same_person(&d.subject)
            && nd.effective <= t
            && (!irrevocable || (nd.regime == Regime::Part2CriminalJustice && nd.case == d.case))
    }) {
        return Err(DenyReason::Superseded {
            consent_id: id(),
            by: newer.id().to_owned(),
        });
    }
    if trigger_time(d, d.expiry.date, d.expiry.event.as_ref(), facts).is_some_and(|e| e <= t) {
        return Err(DenyReason::Expired { consent_id: id() });
    }
    if revoked_at(c, facts).is_some_and(|r| r <= t) {
        return Err(DenyReason::Revoked { consent_id: id() });
    }
    Ok(())
}

/// When the consent was effectively revoked: the earliest revocation made while it was
/// revocable. A revocation made during a §2.35 irrevocable period has no effect, then or
/// later (DOMAIN.md §5).
pub fn revoked_at(c: &VerifiedConsent, facts: &Facts<'_>) -> Option<u64> {
    let d = c.directive();
    let from = revocable_from(d, facts)?;
    let ids = revocation_chain(d, facts.consents);
    // Revocations count only against the very consents they were verified against.
    let digests: Vec<&[u8; 32]> = ids
        .iter()
        .filter_map(|id| facts.consents.iter().find(|x| x.id() == *id))
        .map(VerifiedConsent::digest)
        .collect();
    facts
        .revocations
        .iter()
        .filter(|r| digests.contains(&r.consent_digest()))
        .map(VerifiedRevocation::statement)
        .filter(|r| ids.contains(&r.consent_id.as_str()) && r.revoked_at >= from)
        .map(|r| r.revoked_at)
        .min()
}

/// The ids whose revocation revokes the consent `d` (spec/consent.md §7.3): its own and those
/// of the versions it supersedes, followed through the held `consents` (at most 32
/// predecessors; the chain ends at an id not held, which is included).
pub(crate) fn revocation_chain<'a>(
    d: &'a ConsentDirective,
    consents: &'a [VerifiedConsent],
) -> Vec<&'a str> {
    let mut ids = vec![d.id.as_str()];
    let mut cursor = d.supersedes.as_deref();
    while let Some(prev) = cursor {
        if ids.contains(&prev) || ids.len() > crate::consent::MAX_LIST {
            break;
        }
        ids.push(prev);
        cursor = consents
            .iter()
            .find(|x| x.id() == prev)
            .and_then(|x| x.directive().supersedes.as_deref());
    }
    ids
}

enum Verdict {
    /// Does not cover the request; how far it got and why.
    Skip(Stage, DenyReason),
    /// Covers it and expressly denies.
    Deny(DenyReason),
    /// Covers it and permits.
    Permit(Permit),
}

fn evaluate(c: &VerifiedConsent, facts: &Facts<'_>, req: &Request<'_>) -> Verdict {
    let d = c.directive();
    let id = || d.id.clone();
    let rt = req.record_type.as_str();
    if !d.subject.same_person(req.subject) {
        return Verdict::Skip(Stage::Subject, DenyReason::OtherParticipant);
    }
    if let Err(reason) = in_force(c, facts, req.time) {
        return Verdict::Skip(Stage::InForce, reason);
    }
    if !d
        .disclosers
        .iter()
        .any(|p| p.designates(req.sender, c.jurisdiction()))
    {
        return Verdict::Skip(
            Stage::Sender,
            DenyReason::SenderNotNamed {
                consent_id: id(),
                agency_id: req.sender.agency_id.clone(),
            },
        );
    }
    if !d
        .recipients
        .iter()
        .any(|p| p.designates(req.recipient, c.jurisdiction()))
    {
        return Verdict::Skip(
            Stage::Recipient,
            DenyReason::RecipientNotNamed {
                consent_id: id(),
                agency_id: req.recipient.agency_id.clone(),
            },
        );
    }
    if d.regime == Regime::Part2CriminalJustice && !req.recipient.is_justice_monitor() {
        return Verdict::Skip(
            Stage::Recipient,
            DenyReason::RecipientNotJustice {
                consent_id: id(),
                agency_id: req.recipient.agency_id.clone(),
            },
        );
    }
    if !d.purposes.contains(req.purpose) {
        return Verdict::Skip(
            Stage::Purpose,
            DenyReason::PurposeNotPermitted {
                consent_id: id(),
                purpose: req.purpose.clone(),
            },
        );
    }
    // From here the consent covers this participant, these parties and this purpose.
    if d.information
        .excluded_record_types
        .contains(&req.record_type)
    {
        return Verdict::Deny(DenyReason::Excluded {
            consent_id: id(),
            record_type: rt,
        });
    }
    if req.record_type == RecordType::CounselingNote && d.regime != Regime::Part2CounselingNotes {
        return Verdict::Skip(Stage::Content, DenyReason::CounselingNotesNeedOwnConsent);
    }
    if !d.information.record_types.contains(&req.record_type) {
        return Verdict::Skip(
            Stage::Content,
            DenyReason::RecordTypeNotPermitted {
                consent_id: id(),
                record_type: rt,
            },
        );
    }
    // Records a Part 2 program discloses about treatment need a Part 2 consent; justice data
    // flowing to treatment does not originate in a Part 2 program.
    if req.sender.part2_program && !req.record_type.is_justice_data() && !d.regime.is_part2() {
        return Verdict::Skip(
            Stage::Content,
            DenyReason::Part2ConsentRequired {
                regime: match d.regime {
                    Regime::Hipaa => "a HIPAA authorisation",
                    _ => "a state-law release",
                },
            },
        );
    }
    if let Some(p) = d.information.data_period {
        // Fail closed: a record without dates cannot be shown to lie within the period.
        let from = Date::from_unix_seconds(p.from);
        let to = Date::from_unix_seconds(p.to);
        let inside = req.period.is_some_and(|(start, end)| {
            from.is_some_and(|f| f <= start) && to.is_some_and(|t| end <= t)
        });
        if !inside {
            return Verdict::Skip(
                Stage::Content,
                DenyReason::OutsideDataPeriod { consent_id: id() },
            );
        }
    }
    // Minimum necessary, field by field.
    let allow = d.information.fields.get(&req.record_type);
    let mut redactions = Vec::new();
    for f in req.fields {
        let tier_ok = d.information.tiers.contains(&f.tier);
        let listed = allow.is_none_or(|names| names.iter().any(|n| n == f.name));
        if tier_ok && listed {
            continue;
        }
        if f.required {
            return Verdict::Skip(
                Stage::Content,
                DenyReason::RequiredFieldNotPermitted {
                    consent_id: id(),
                    record_type: rt,
                    field: f.name,
                },
            );
        }
        match req.minimum_necessary {
            MinimumNecessary::Redact => redactions.push(FieldName::from_static(f.name)),
            MinimumNecessary::Refuse => {
                return Verdict::Skip(
                    Stage::Content,
                    DenyReason::FieldNotPermitted {
                        consent_id: id(),
                        record_type: rt,
                        field: f.name,
                        tier: f.tier.as_str(),
                    },
                );
            }
        }
    }
    redactions.sort();
    redactions.dedup();
    Verdict::Permit(Permit {
        consent_id: id(),
        consent_digest: *c.digest(),
        obligations: obligations(d, req, redactions),
    })
}

fn obligations(d: &ConsentDirective, req: &Request<'_>, redactions: Vec<FieldName>) -> Obligations {
    let mut labels: Vec<SecurityLabel> = Vec::new();
    let mut use_restrictions = d.use_restrictions.clone();
    let part2 = d.regime.is_part2();
    if part2 {
        labels.push(SecurityLabel::PART2);
        // §2.12(d) binds every recipient of Part 2 records, whatever the consent says.
        use_restrictions.push(UseRestriction::NoCriminalUseAgainstPatient);
    }
    // §2.35(d): justice recipients may redisclose only for official duties, never more
    // than the consent allows.
    let redisclosure = match (d.regime, d.redisclosure) {
        (Regime::Part2CriminalJustice, r) => r,
        (_, _) => Redisclosure::Prohibited,
    };
    labels.push(match redisclosure {
        Redisclosure::Prohibited => SecurityLabel::REDISCLOSURE_PROHIBITED,
        Redisclosure::CjOfficialDutiesOnly => SecurityLabel::REDISCLOSURE_CJ_DUTIES,
    });
    let lead = req.record_type == RecordType::LeadStatus
        || req.fields.iter().any(|f| f.tier == Tier::Lead)
        || use_restrictions.contains(&UseRestriction::NoAdverseAction);
    if lead {
        use_restrictions.push(UseRestriction::NoAdverseAction);
    }
    use_restrictions.sort();
    use_restrictions.dedup();
    for u in &use_restrictions {
        labels.push(match u {
            UseRestriction::NoCriminalUseAgainstPatient => SecurityLabel::NO_CRIMINAL_USE,
            UseRestriction::NoAdverseAction => SecurityLabel::NO_ADVERSE_ACTION,
        });
    }
    // Bytewise, the envelope's order.
    labels.sort();
    labels.dedup();
    Obligations {
        // Every Part 2 disclosure carries a §2.32 notice; the consent chooses the form.
        notice: part2.then_some(d.notice.form),
        // §2.32(b): the consent copy, unless the consent allows a reference.
        attach_consent: d.notice.attach_consent || !part2,
        labels,
        redisclosure,
        use_restrictions,
        redactions,
    }
}

/// Decides a request: default deny, deny-overrides among consents in force.
pub fn decide(facts: &Facts<'_>, req: &Request<'_>) -> Decision {
    if let Some(id) = req.consent_id
        && !facts.consents.iter().any(|c| c.id() == id)
    {
        return Decision::Deny(DenyReason::UnknownConsent {
            consent_id: id.to_owned(),
        });
    }
    let mut permit: Option<Permit> = None;
    let mut best: Option<(Stage, bool, DenyReason)> = None;
    for c in facts.consents {
        let relied_on = req.consent_id.is_none_or(|id| id == c.id());
        match evaluate(c, facts, req) {
            Verdict::Deny(reason) => return Decision::Deny(reason),
            Verdict::Permit(p) if relied_on => {
                if permit.is_none() {
                    permit = Some(p);
                }
            }
            Verdict::Permit(_) => {}
            Verdict::Skip(stage, reason) => {
                // Prefer the reason from the consent the sender relies on, then the one that
                // got furthest.
                let key = (stage, relied_on);
                if best
                    .as_ref()
                    .is_none_or(|(s, r, _)| (relied_on, key.0) > (*r, *s))
                {
                    best = Some((stage, relied_on, reason));
                }
            }
        }
    }
    match (permit, best) {
        (Some(p), _) => Decision::Permit(p),
        (None, Some((_, _, reason))) => Decision::Deny(reason),
        (None, None) => Decision::Deny(DenyReason::NoConsent),
    }
}
