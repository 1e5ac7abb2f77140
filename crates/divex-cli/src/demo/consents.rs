//! The story's three consents (a state-law release, a §2.35 criminal-justice consent and a
//! §2.31 LEAD consent), their signing, and the participant's revocations.

use std::collections::BTreeMap;

use divex_core::consent::{
    Capacity, Case, ConsentDirective, ConsentError, EventTrigger, Expiry, Information, Notice,
    NoticeForm, Party, Redisclosure, Regime, Revocability, RevocationStatement, SignMethod,
    SignedConsent, Signer, StatementSigner, UseRestriction,
};
use divex_core::decision;
use divex_core::directory::Role;
use divex_core::records::{RecordType, Tier};

use super::world::{Story, agency, agency_mut};
use super::{
    CASE, CASE_MANAGER, CJ_PURPOSE, COURT, DA, DAY, LEAD_ID, LEAD_PURPOSE, PC1000_ID, POLICE,
    PROVIDER, REFERRAL_PURPOSE, RELEASE_ID, write_file,
};
use crate::error::CliError;

impl Story {
    /// Signs `directive` with the participant's key and the witnessing agency's key, gives
    /// it to `holders` and files it in their consent folders.
    pub(super) fn sign_consent(
        &mut self,
        directive: &ConsentDirective,
        witness: &str,
        holders: &[&str],
    ) -> Result<(), CliError> {
        let w = agency(&self.agencies, witness)?;
        let signers: [&dyn StatementSigner; 2] = [&self.participant, &w.keys];
        let signed = SignedConsent::sign(directive, &signers)?;
        for id in holders {
            let a = agency_mut(&mut self.agencies, id)?;
            a.consents
                .import_consent(signed.as_bytes(), &self.directory, self.now)?;
            write_file(
                &self
                    .home
                    .consents_dir(id)
                    .join(format!("{}.consent.cose", directive.id)),
                signed.as_bytes(),
            )?;
        }
        Ok(())
    }

    /// The participant signs a revocation of `consent_id` dated now; `holders` import it.
    /// Returns when it took effect, as the provider's consent engine sees it (`None`: no
    /// effect).
    pub(super) fn revoke(
        &mut self,
        consent_id: &str,
        holders: &[&str],
        tag: &str,
    ) -> Result<Option<u64>, CliError> {
        let bytes = RevocationStatement {
            consent_id: consent_id.to_owned(),
            revoked_at: self.now,
            method: "written".into(),
        }
        .sign(&self.participant)?;
        for id in holders {
            let a = agency_mut(&mut self.agencies, id)?;
            a.consents
                .import_revocation(&bytes, &self.directory, self.now)?;
            write_file(
                &self
                    .home
                    .consents_dir(id)
                    .join(format!("{consent_id}-{tag}.revocation.cose")),
                &bytes,
            )?;
        }
        let provider = agency(&self.agencies, PROVIDER)?;
        let consent =
            provider
                .consents
                .get(consent_id)
                .ok_or_else(|| ConsentError::ConsentNotHeld {
                    consent_id: consent_id.to_owned(),
                })?;
        Ok(
            decision::revoked_at(consent, &decision::Facts::from(&provider.consents))
                .filter(|t| *t == self.now),
        )
    }

    fn patient_signer(&self) -> Signer {
        Signer {
            capacity: Capacity::Patient,
            name: self.subject.name.clone(),
            method: SignMethod::Electronic,
            key: Some(*self.participant.public().as_bytes()),
            agency_id: None,
            authority: None,
        }
    }

    fn witness(&self, id: &str) -> Result<Signer, CliError> {
        let a = agency(&self.agencies, id)?;
        Ok(Signer {
            capacity: Capacity::WitnessingAgency,
            name: a.cast.name.to_owned(),
            method: SignMethod::Electronic,
            key: Some(*a.keys.public().signing().as_bytes()),
            agency_id: Some(id.to_owned()),
            authority: None,
        })
    }

    /// The state-law release for justice data flowing to treatment (tier CJ). Such records
    /// do not come from a Part 2 program, so Part 2 does not require its consent for them; a
    /// non-§2.35 release is revocable at will.
    pub(super) fn release_directive(&self) -> Result<ConsentDirective, CliError> {
        Ok(ConsentDirective {
            id: RELEASE_ID.into(),
            version: 1,
            supersedes: None,
            regime: Regime::StateOnly,
            regulatory_basis: vec!["CA-PC-1000".into()],
            subject: self.subject.clone(),
            disclosers: vec![Party::Agency(COURT.into())],
            recipients: vec![Party::Agency(PROVIDER.into())],
            purposes: vec![REFERRAL_PURPOSE.clone()],
            information: Information {
                record_types: vec![
                    RecordType::Referral,
                    RecordType::CourtResponse,
                    RecordType::CourtEvent,
                    RecordType::CaseDisposition,
                ],
                fields: BTreeMap::new(),
                tiers: vec![Tier::Cj],
                excluded_record_types: vec![],
                data_period: None,
                description: "The PC 1000 referral, the court's responses and orders, and the case disposition".into(),
            },
            effective: self.now,
            expiry: Expiry {
                date: Some(self.now + 540 * DAY),
                event: None,
            },
            revocation: Revocability::AtWill,
            redisclosure: Redisclosure::Prohibited,
            use_restrictions: vec![],
            notice: Notice {
                form: NoticeForm::Short,
                attach_consent: true,
            },
            case: None,
            signers: vec![self.patient_signer(), self.witness(COURT)?],
            source_document: None,
            signed_at: self.now,
        })
    }

    /// The PC 1000 §2.35 consent: provider → court, DA, probation; irrevocable until the
    /// court's signed final disposition; expires after 18 months, the longest a PC 1000
    /// program may run. It deliberately does not expire at the disposition, so that the
    /// participant's revocation, not an expiry, is what ends it in the story.
    pub(super) fn pc1000_directive(&self) -> Result<ConsentDirective, CliError> {
        Ok(ConsentDirective {
            id: PC1000_ID.into(),
            version: 1,
            supersedes: None,
            regime: Regime::Part2CriminalJustice,
            regulatory_basis: vec!["42CFRPart2".into(), "CA-PC-1000".into()],
            subject: self.subject.clone(),
            disclosers: vec![Party::Agency(PROVIDER.into())],
            recipients: vec![
                Party::Agency(COURT.into()),
                Party::Agency(DA.into()),
                Party::Role(Role::Probation),
            ],
            purposes: vec![CJ_PURPOSE.clone()],
            information: Information {
                record_types: vec![
                    RecordType::IntakeStatus,
                    RecordType::Enrollment,
                    RecordType::Attendance,
                    RecordType::DrugTest,
                    RecordType::ProgressReport,
                    RecordType::Discharge,
                ],
                fields: BTreeMap::new(),
                tiers: vec![Tier::T1, Tier::T2],
                excluded_record_types: vec![],
                data_period: None,
                description: "Enrollment, attendance, drug test results, progress and discharge in the PC 1000 program".into(),
            },
            effective: self.now,
            expiry: Expiry {
                date: Some(self.now + 540 * DAY),
                event: None,
            },
            revocation: Revocability::RevocableAfter(Expiry {
                date: None,
                event: Some(EventTrigger {
                    case_ref: CASE.into(),
                }),
            }),
            redisclosure: Redisclosure::CjOfficialDutiesOnly,
            use_restrictions: vec![],
            notice: Notice {
                form: NoticeForm::Short,
                attach_consent: true,
            },
            case: Some(Case {
                case_ref: CASE.into(),
                authority: COURT.into(),
            }),
            signers: vec![self.patient_signer(), self.witness(PROVIDER)?],
            source_document: None,
            signed_at: self.now,
        })
    }

    /// The LEAD §2.31 consent: case manager → police LEAD unit; revocable at will; nothing
    /// shared may be used for adverse action.
    pub(super) fn lead_directive(&self) -> Result<ConsentDirective, CliError> {
        Ok(ConsentDirective {
            id: LEAD_ID.into(),
            version: 1,
            supersedes: None,
            regime: Regime::Part2General,
            regulatory_basis: vec!["42CFRPart2".into()],
            subject: self.subject.clone(),
            disclosers: vec![Party::Agency(CASE_MANAGER.into())],
            recipients: vec![Party::Agency(POLICE.into())],
            purposes: vec![LEAD_PURPOSE.clone()],
            information: Information {
                record_types: vec![RecordType::LeadStatus],
                fields: BTreeMap::new(),
                tiers: vec![Tier::T1, Tier::Lead],
                excluded_record_types: vec![],
                data_period: None,
                description: "Engagement with the LEAD case manager and barriers".into(),
            },
            effective: self.now,
            expiry: Expiry {
                date: Some(self.now + 365 * DAY),
                event: None,
            },
            revocation: Revocability::AtWill,
            redisclosure: Redisclosure::Prohibited,
            use_restrictions: vec![UseRestriction::NoAdverseAction],
            notice: Notice {
                form: NoticeForm::Short,
                attach_consent: true,
            },
            case: None,
            signers: vec![self.patient_signer(), self.witness(CASE_MANAGER)?],
            source_document: None,
            signed_at: self.now,
        })
    }
}
