//! The story's three consents (a state-law release, a §2.35 criminal-justice consent and a
//! §2.31 LEAD consent), their signing, and the participant's revocations.

use divex_core::consent::{ConsentError, Expiry, RevocationStatement};
use divex_core::decision;
use divex_fixtures::{ConsentBuilder, DAY};

use super::world::{Story, agency, agency_mut};
use super::{CASE, COURT, LEAD_ID, PROVIDER, RELEASE_ID, write_file};
use crate::error::CliError;

impl Story {
    /// Signs `consent` with the participant's key and the witnessing agency's key, gives it
    /// to `holders` and files it in their consent folders.
    pub(super) fn sign_consent(
        &mut self,
        consent: &ConsentBuilder,
        holders: &[&str],
    ) -> Result<(), CliError> {
        let signed = consent.sign(&self.world)?;
        let id = &consent.directive().id;
        for holder in holders {
            let a = agency_mut(&mut self.agencies, holder)?;
            a.consents
                .import_consent(signed.as_bytes(), &self.world.directory, self.now)?;
            write_file(
                &self
                    .home
                    .consents_dir(holder)
                    .join(format!("{id}.consent.cose")),
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
        .sign(&self.world.patient)?;
        for id in holders {
            let a = agency_mut(&mut self.agencies, id)?;
            a.consents
                .import_revocation(&bytes, &self.world.directory, self.now)?;
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

    /// The state-law release for justice data flowing to treatment (tier CJ). Such records
    /// do not come from a Part 2 program, so Part 2 does not require its consent for them; a
    /// non-§2.35 release is revocable at will.
    pub(super) fn release_directive(&self) -> ConsentBuilder {
        ConsentBuilder::state_release(&self.world)
            .id(RELEASE_ID)
            .dated(self.now)
            .expiry_date(Some(self.now + 540 * DAY))
    }

    /// The PC 1000 §2.35 consent: provider → court, DA, probation; irrevocable until the
    /// court's signed final disposition; expires after 18 months, the longest a PC 1000
    /// program may run. It deliberately does not expire at the disposition, so that the
    /// participant's revocation, not an expiry, is what ends it in the story.
    pub(super) fn pc1000_directive(&self) -> ConsentBuilder {
        ConsentBuilder::pc1000(&self.world)
            .case(CASE, COURT)
            .dated(self.now)
            .expiry(Expiry {
                date: Some(self.now + 540 * DAY),
                event: None,
            })
            .description(
                "Enrollment, attendance, drug test results, progress and discharge in the \
                 PC 1000 program",
            )
    }

    /// The LEAD §2.31 consent: case manager → police LEAD unit; revocable at will; nothing
    /// shared may be used for adverse action.
    pub(super) fn lead_directive(&self) -> ConsentBuilder {
        ConsentBuilder::lead(&self.world)
            .id(LEAD_ID)
            .dated(self.now)
            .expiry_date(Some(self.now + 365 * DAY))
    }
}
