//! The facade's test world, shared by `tests/facade.rs` and `benches/ffi_native.rs`: a trust
//! anchor, a treatment provider, a court and probation, certified in one directory, and the
//! participant's PC 1000 §2.35 consent described as JSON, as a foreign caller writes it.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use divex_ffi::*;

pub const DAY: u64 = 86_400;
pub const T0: u64 = 1_790_000_000;
pub const PURPOSE: &str = "cj-monitor-conditional-release";
pub const CONSENT_ID: &str = "c-pc1000-0001";

/// The certified agencies, their directory and the participant's personal key.
pub struct World {
    pub directory: Arc<Directory>,
    pub provider: Arc<AgencyKeys>,
    pub court: Arc<AgencyKeys>,
    pub probation: Arc<AgencyKeys>,
    pub patient: Arc<PersonalKey>,
}

/// A fresh world with keys from the OS generator.
pub fn world() -> World {
    let anchor = AnchorKeys::generate("County Justice IT".into()).unwrap();
    let directory = Directory::new();
    directory.add_anchor(anchor.trust_anchor()).unwrap();
    let agency = |id: &str, role: Role, part2: bool| {
        let keys = AgencyKeys::generate();
        let cert = anchor
            .issue_certificate(CertificateRequest {
                agency_id: id.into(),
                name: id.into(),
                roles: vec![role],
                part2_program: part2,
                public_bundle: keys.public_bundle(),
                not_before: T0 - DAY,
                not_after: T0 + 365 * DAY,
            })
            .unwrap();
        let info = directory.add_certificate(cert).unwrap();
        assert_eq!(info.agency_id, id);
        keys
    };
    World {
        provider: agency("treatment-provider", Role::TreatmentProvider, true),
        court: agency("superior-court", Role::Court, false),
        probation: agency("probation", Role::Probation, false),
        directory,
        patient: PersonalKey::generate(),
    }
}

/// The consent: provider → court and probation, attendance, drug tests and progress reports.
/// `attach_consent` is the notice's requirement to attach the consent to every disclosure.
pub fn consent_json(w: &World, attach_consent: bool) -> String {
    serde_json::json!({
        "id": CONSENT_ID,
        "version": 1,
        "regime": "part2_2_35",
        "regulatory_basis": ["42CFRPart2", "CA-PC-1000"],
        "subject": {"name": "Jordan Avery Reyes", "date_of_birth": "1994-03-14"},
        "disclosers": [{"agency": "treatment-provider"}],
        "recipients": [{"agency": "superior-court"}, {"role": "probation"}],
        "purposes": [PURPOSE],
        "information": {
            "record_types": ["attendance", "drug_test", "progress_report"],
            "tiers": ["t1", "t2"],
            "description": "attendance, drug tests and progress",
        },
        "effective": T0 - DAY,
        "expiry": {"date": T0 + 300 * DAY, "event": {"case_ref": "CR-1"}},
        "revocation": {"revocable_after": {"event": {"case_ref": "CR-1"}}},
        "redisclosure": "cj_official_duties_only",
        "notice": {"form": "short", "attach_consent": attach_consent},
        "case": {"case_ref": "CR-1", "authority": "superior-court"},
        "signers": [
            {"capacity": "patient", "name": "Jordan Avery Reyes", "method": "electronic",
             "key": hex::encode(w.patient.public_key())},
            {"capacity": "witnessing_agency", "name": "Treatment Provider", "method": "electronic",
             "key": hex::encode(w.provider.signing_public_key()), "agency_id": "treatment-provider"},
        ],
        "signed_at": T0 - DAY,
    })
    .to_string()
}

/// The participant the consent names.
pub fn subject() -> Subject {
    Subject {
        name: "Jordan Avery Reyes".into(),
        date_of_birth: "1994-03-14".into(),
    }
}

/// A seal request under the consent for `recipients`.
pub fn request(recipients: &[&str], consent_copy: ConsentCopy) -> SealRequest {
    SealRequest {
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        subject: subject(),
        purpose: PURPOSE.parse().unwrap(),
        consent_id: CONSENT_ID.into(),
        minimum_necessary: MinimumNecessary::Refuse,
        consent_copy,
    }
}
