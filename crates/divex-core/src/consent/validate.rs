//! The required elements of a consent directive (spec/consent.md §3.2), checked in the
//! order the spec lists them.

use crate::directory::{Role, is_agency_id};
use crate::records::{RecordType, Tier};

use super::{
    Capacity, ConsentDirective, ConsentError, MAX_LIST, Party, Redisclosure, Regime, Revocability,
    SignMethod,
};

/// A [`ConsentError::Deficient`] for `element`.
fn deficient(element: &'static str, problem: &'static str, citation: &'static str) -> ConsentError {
    ConsentError::Deficient {
        element,
        problem,
        citation,
    }
}

/// Whether no item appears twice.
fn unique<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, x)| !items.iter().skip(i + 1).any(|y| y == x))
}

/// Whether `s` is a token of 1-`max` bytes of `A-Z a-z 0-9 . _ : -` (ids, purposes, codes).
pub(super) fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

impl ConsentDirective {
    /// Checks every required element of the regime; a deficient consent is refused when it
    /// is signed and whenever it is used.
    pub fn validate(&self) -> Result<(), ConsentError> {
        use Regime::*;
        const A: &str = "42 CFR §2.31(a)";
        const CJ: &str = "42 CFR §2.35";
        if !is_token(&self.id, 128) {
            return Err(deficient("id", "must be a token of 1-128 characters", A));
        }
        if self.version == 0 {
            return Err(deficient("version", "must be at least 1", A));
        }
        match (&self.supersedes, self.version) {
            (Some(_), 1) => return Err(deficient("supersedes", "is set on version 1", A)),
            (None, v) if v > 1 => {
                return Err(deficient("supersedes", "is required after version 1", A));
            }
            (Some(s), _) if !is_token(s, 128) || *s == self.id => {
                return Err(deficient("supersedes", "must name another consent id", A));
            }
            _ => {}
        }
        if self.subject.name.trim().is_empty() || self.subject.name.len() > 256 {
            return Err(deficient(
                "patient name",
                "is missing",
                "42 CFR §2.31(a)(1)",
            ));
        }
        // The date of birth is a `Date`: a calendar date by construction, and a document
        // whose date of birth is not one does not decode (malformed, schema).
        let bounded = |n: usize| (1..=MAX_LIST).contains(&n);
        if !bounded(self.disclosers.len()) {
            return Err(deficient(
                "disclosers",
                "must name 1-32 agencies or classes",
                "42 CFR §2.31(a)(2)",
            ));
        }
        if !bounded(self.recipients.len()) {
            return Err(deficient(
                "recipients",
                "must name 1-32 agencies or classes",
                "42 CFR §2.31(a)(4)",
            ));
        }
        for p in self.disclosers.iter().chain(&self.recipients) {
            match p {
                Party::Agency(id) if !is_agency_id(id) => {
                    return Err(deficient(
                        "parties",
                        "agency ids must be directory ids ([a-z0-9._-], 1-64 characters)",
                        A,
                    ));
                }
                // §2.31(a)(4)(ii): an intermediary must be named, with its members.
                Party::Role(Role::Intermediary) => {
                    return Err(deficient(
                        "recipients",
                        "an intermediary must be named, not designated by class",
                        "42 CFR §2.31(a)(4)",
                    ));
                }
                _ => {}
            }
        }
        if !bounded(self.purposes.len()) {
            return Err(deficient(
                "purposes",
                "must list 1-32 purpose tokens",
                "42 CFR §2.31(a)(5)",
            ));
        }
        if self.regulatory_basis.len() > MAX_LIST
            || self.regulatory_basis.iter().any(|p| !is_token(p, 64))
        {
            return Err(deficient("regulatory basis", "must be codes", A));
        }
        let info = &self.information;
        if !bounded(info.record_types.len()) {
            return Err(deficient(
                "information",
                "must permit at least one record type",
                "42 CFR §2.31(a)(3)",
            ));
        }
        if info.description.trim().is_empty() || info.description.len() > 2048 {
            return Err(deficient(
                "information",
                "must describe the information in words",
                "42 CFR §2.31(a)(3)",
            ));
        }
        if info.tiers.is_empty() {
            return Err(deficient(
                "information",
                "must permit at least one sensitivity tier",
                "42 CFR §2.13(a)",
            ));
        }
        if !unique(&info.record_types)
            || !unique(&info.tiers)
            || !unique(&info.excluded_record_types)
            || info.excluded_record_types.len() > MAX_LIST
        {
            return Err(deficient(
                "information",
                "lists a record type or tier twice",
                A,
            ));
        }
        for (rt, fields) in &info.fields {
            if fields.is_empty() || fields.len() > 64 || !unique(fields) {
                return Err(deficient(
                    "information",
                    "a field allow-list must name 1-64 distinct fields",
                    "42 CFR §2.13(a)",
                ));
            }
            if !info.record_types.contains(rt) {
                return Err(deficient(
                    "information",
                    "has a field allow-list for a record type it does not permit",
                    A,
                ));
            }
            for f in fields {
                if !rt.schema().iter().any(|s| f == s.name) {
                    return Err(deficient(
                        "information",
                        "allows a field the record type does not have",
                        A,
                    ));
                }
            }
        }
        if info
            .excluded_record_types
            .iter()
            .any(|t| info.record_types.contains(t))
        {
            return Err(deficient(
                "information",
                "both permits and excludes a record type",
                A,
            ));
        }
        if let Some(doc) = &self.source_document
            && (doc.media_type.is_empty() || doc.media_type.len() > 128)
        {
            return Err(deficient("source document", "needs a media type", A));
        }
        if self.signers.iter().any(|s| {
            s.authority
                .as_ref()
                .is_some_and(|a| a.trim().is_empty() || a.len() > 256)
        }) {
            return Err(deficient(
                "signature",
                "a representative's authority must be stated in 1-256 characters",
                "42 CFR §2.14-2.15",
            ));
        }
        if let Some(p) = info.data_period
            && p.from >= p.to
        {
            return Err(deficient(
                "information",
                "data period ends before it starts",
                A,
            ));
        }
        if self.expiry.date.is_none() && self.expiry.event.is_none() {
            return Err(deficient(
                "expiration",
                "needs a date or an event",
                "42 CFR §2.31(a)(7)",
            ));
        }
        if let Some(d) = self.expiry.date
            && d <= self.effective
        {
            return Err(deficient(
                "expiration",
                "is not after the effective date",
                "42 CFR §2.31(a)(7)",
            ));
        }
        // Signers: someone who speaks for the patient, and each signer well formed.
        if !bounded(self.signers.len()) {
            return Err(deficient("signature", "is missing", "42 CFR §2.31(a)(8)"));
        }
        if !self.signers.iter().any(|s| s.capacity.speaks_for_patient()) {
            return Err(deficient(
                "signature",
                "needs the patient or an authorised representative",
                "42 CFR §2.31(a)(8)",
            ));
        }
        for s in &self.signers {
            if s.name.trim().is_empty() || s.name.len() > 256 {
                return Err(deficient(
                    "signature",
                    "a signer has no name",
                    "42 CFR §2.31(a)(8)",
                ));
            }
            match (s.capacity, s.method) {
                (Capacity::WitnessingAgency, _) => {
                    if s.key.is_none()
                        || s.method != SignMethod::Electronic
                        || s.agency_id.as_deref().is_none_or(|a| !is_agency_id(a))
                    {
                        return Err(deficient(
                            "signature",
                            "the witnessing agency needs its id and signing key",
                            A,
                        ));
                    }
                }
                (c, SignMethod::Electronic) => {
                    if s.key.is_none() {
                        return Err(deficient(
                            "signature",
                            "an electronic signer needs a key",
                            A,
                        ));
                    }
                    if !matches!(c, Capacity::Patient) && s.authority.is_none() {
                        return Err(deficient(
                            "signature",
                            "a representative must state their authority",
                            "42 CFR §2.31(a)(8), §2.14-2.15",
                        ));
                    }
                }
                (c, SignMethod::WetInkWitnessed) => {
                    if self.source_document.is_none() {
                        return Err(deficient(
                            "signature",
                            "a wet-ink signature needs the signed form's hash",
                            A,
                        ));
                    }
                    if !matches!(c, Capacity::Patient) && s.authority.is_none() {
                        return Err(deficient(
                            "signature",
                            "a representative must state their authority",
                            "42 CFR §2.31(a)(8), §2.14-2.15",
                        ));
                    }
                }
            }
        }
        let witnesses = self
            .signers
            .iter()
            .filter(|s| s.capacity == Capacity::WitnessingAgency)
            .count();
        if witnesses != 1 {
            return Err(deficient(
                "signature",
                "needs exactly one witnessing agency",
                "spec/consent.md §4",
            ));
        }
        if self.signed_at > self.effective.saturating_add(86_400) {
            return Err(deficient(
                "signature date",
                "is after the consent takes effect",
                "42 CFR §2.31(a)(9)",
            ));
        }

        let witness_key = self
            .signers
            .iter()
            .find(|s| s.capacity == Capacity::WitnessingAgency)
            .and_then(|s| s.key);
        if self.patient_signer_keys().any(|k| Some(*k) == witness_key) {
            return Err(ConsentError::SignerKeyReused);
        }
        // Events are a case's final disposition: they need the case (and its authority).
        let triggers = [
            self.expiry.event.as_ref(),
            match &self.revocation {
                Revocability::RevocableAfter(until) => until.event.as_ref(),
                Revocability::AtWill => None,
            },
        ];
        for t in triggers.into_iter().flatten() {
            if self.case.as_ref().is_none_or(|c| c.case_ref != t.case_ref) {
                return Err(deficient(
                    "expiration event",
                    "must be the final disposition of the consent's own case",
                    "42 CFR §2.31(a)(7), §2.35(c)",
                ));
            }
        }
        // Counseling notes: their own consent, never combined (DOMAIN.md §2).
        let has_notes = info.record_types.contains(&RecordType::CounselingNote);
        match (self.regime, has_notes) {
            (Part2CounselingNotes, _) if info.record_types != [RecordType::CounselingNote] => {
                return Err(deficient(
                    "information",
                    "a counseling-notes consent covers counseling notes only",
                    "42 CFR §2.31(b)",
                ));
            }
            (r, true) if r != Part2CounselingNotes => {
                return Err(deficient(
                    "information",
                    "counseling notes need their own consent",
                    "42 CFR §2.31(b)",
                ));
            }
            _ => {}
        }
        match self.regime {
            Part2CriminalJustice => {
                let Some(case) = &self.case else {
                    return Err(deficient("case", "is required", CJ));
                };
                if !is_token(&case.case_ref, 64) || !is_agency_id(&case.authority) {
                    return Err(deficient("case", "needs a case number and authority", CJ));
                }
                for r in &self.recipients {
                    if let Party::Role(role) = r
                        && !role.is_justice_monitor()
                    {
                        return Err(deficient(
                            "recipients",
                            "may only be justice agencies with a monitoring duty",
                            "42 CFR §2.35(a)",
                        ));
                    }
                }
                let Revocability::RevocableAfter(until) = &self.revocation else {
                    return Err(deficient(
                        "revocation",
                        "must state when the consent becomes revocable",
                        "42 CFR §2.35(c)",
                    ));
                };
                if until.date.is_none() && until.event.is_none() {
                    return Err(deficient(
                        "revocation",
                        "needs a date or an event",
                        "42 CFR §2.35(c)",
                    ));
                }
                if self.redisclosure != Redisclosure::CjOfficialDutiesOnly
                    && self.redisclosure != Redisclosure::Prohibited
                {
                    return Err(deficient("redisclosure", "too broad", "42 CFR §2.35(d)"));
                }
                if info.tiers.contains(&Tier::T3) {
                    return Err(deficient(
                        "information",
                        "justice monitoring receives compliance data, not clinical detail",
                        "42 CFR §2.13(a), §2.35",
                    ));
                }
            }
            _ => {
                if self.redisclosure != Redisclosure::Prohibited {
                    return Err(deficient(
                        "redisclosure",
                        "only a §2.35 consent may allow redisclosure for official duties",
                        "42 CFR §2.32, §2.35(d)",
                    ));
                }
                if self.revocation != Revocability::AtWill {
                    return Err(deficient(
                        "revocation",
                        "only a §2.35 consent may be irrevocable",
                        "42 CFR §2.31(a)(6)",
                    ));
                }
            }
        }
        Ok(())
    }
}
