//! The [`ConsentSet`]: the verified consents, revocations and case events an agency holds.

use crate::directory::Directory;
use crate::keys::KeyId;

use super::statement::parse_statement;
use super::{
    CaseEvent, ConsentError, REVOCATION_TYP, RevocationStatement, SignedConsent, VerifiedConsent,
    VerifiedEvent, VerifiedRevocation,
};

/// The verified consents, revocations and case events an agency holds: what the decision
/// engine reasons over (it reads them through [`ConsentSet::consents`],
/// [`ConsentSet::revocations`] and [`ConsentSet::events`]). Everything enters through a
/// `verify`.
#[derive(Debug, Clone, Default)]
pub struct ConsentSet {
    consents: Vec<VerifiedConsent>,
    revocations: Vec<VerifiedRevocation>,
    events: Vec<VerifiedEvent>,
}

impl ConsentSet {
    /// An empty set.
    pub fn new() -> ConsentSet {
        ConsentSet::default()
    }

    /// Verifies and adds a signed consent (idempotent for the same bytes); returns it.
    pub fn import_consent(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedConsent, ConsentError> {
        let c = SignedConsent::verify(bytes, directory, now)?;
        self.insert_consent(c.clone())?;
        Ok(c)
    }

    /// Adds an already verified consent (idempotent). Consent ids are unique within a set:
    /// a different consent under an id already held is refused, so that revocations, the
    /// relied-on consent and version chains can never be confused.
    pub(crate) fn insert_consent(&mut self, c: VerifiedConsent) -> Result<(), ConsentError> {
        match self.consents.iter().find(|x| x.id() == c.id()) {
            Some(x) if x.digest() == c.digest() => Ok(()),
            Some(_) => Err(ConsentError::ConflictingId {
                id: c.id().to_owned(),
            }),
            None => {
                self.consents.push(c);
                Ok(())
            }
        }
    }

    /// Verifies a revocation against the consent it names (which must already be in the
    /// set) and adds it. Whether it takes effect is the decision engine's call.
    pub fn import_revocation(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<&VerifiedRevocation, ConsentError> {
        let (_, body, _): (KeyId, RevocationStatement, _) = parse_statement(bytes, REVOCATION_TYP)?;
        let consent = self
            .consents
            .iter()
            .find(|c| c.id() == body.consent_id)
            .ok_or_else(|| ConsentError::ConsentNotHeld {
                consent_id: body.consent_id.clone(),
            })?;
        let r = RevocationStatement::verify(bytes, consent, directory, now)?;
        self.revocations.push(r);
        self.revocations
            .last()
            .ok_or(ConsentError::Structure("revocation"))
    }

    /// Verifies and adds a case event.
    pub fn import_event(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<&VerifiedEvent, ConsentError> {
        let e = CaseEvent::verify(bytes, directory, now)?;
        self.events.push(e);
        self.events.last().ok_or(ConsentError::Structure("event"))
    }

    /// The consent with this id, if held.
    pub fn get(&self, id: &str) -> Option<&VerifiedConsent> {
        self.consents.iter().find(|c| c.id() == id)
    }

    /// All consents held.
    pub fn consents(&self) -> &[VerifiedConsent] {
        &self.consents
    }

    /// All revocations held.
    pub fn revocations(&self) -> &[VerifiedRevocation] {
        &self.revocations
    }

    /// All events held.
    pub fn events(&self) -> &[VerifiedEvent] {
        &self.events
    }
}
