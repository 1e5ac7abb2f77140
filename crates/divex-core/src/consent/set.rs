//! The [`ConsentSet`]: the verified consents, revocations and case events an agency holds,
//! and the revocations it keeps pending until their consent arrives.

use crate::directory::Directory;
use crate::keys::KeyId;

use super::statement::parse_statement;
use super::validate::is_token;
use super::{
    CaseEvent, ConsentError, MAX_EVENT_BACKDATE, MAX_PENDING_PER_CONSENT, REVOCATION_TYP,
    RevocationStatement, SignedConsent, VerifiedConsent, VerifiedEvent, VerifiedRevocation,
};

/// The verified consents, revocations and case events an agency holds: what the decision
/// engine reasons over (it reads them through [`ConsentSet::consents`],
/// [`ConsentSet::revocations`] and [`ConsentSet::events`]). Everything enters through a
/// `verify`.
///
/// A revocation of a consent the set does not hold yet is kept **pending** (spec/consent.md
/// §5.5): it is judged against the consent when the consent is added, and until then no
/// disclosure under that consent, or under a later version that supersedes it, is sealed or
/// released.
#[derive(Debug, Clone, Default)]
pub struct ConsentSet {
    consents: Vec<VerifiedConsent>,
    revocations: Vec<VerifiedRevocation>,
    events: Vec<VerifiedEvent>,
    pending: Vec<PendingRevocation>,
}

/// A revocation whose consent is not held: parsed, checked for what needs no consent, and
/// kept as its exact bytes until the consent arrives.
#[derive(Debug, Clone)]
struct PendingRevocation {
    statement: RevocationStatement,
    bytes: Vec<u8>,
}

/// What [`ConsentSet::import_revocation`] did with a revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedRevocation<'a> {
    /// Verified against the consent it names, which the set holds, and added.
    Verified(&'a VerifiedRevocation),
    /// The set does not hold the consent it names: kept pending until the consent is added
    /// (spec/consent.md §5.5). The statement as it reads; its signature is not checked yet.
    Pending(&'a RevocationStatement),
}

impl ConsentSet {
    /// An empty set.
    pub fn new() -> ConsentSet {
        ConsentSet::default()
    }

    /// Verifies and adds a signed consent (idempotent for the same bytes); returns it. The
    /// revocations held pending for its id are verified against it (spec/consent.md §5.4)
    /// and those that verify are added; the others are dropped (a revocation that does not
    /// verify is no evidence of a revocation).
    pub fn import_consent(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedConsent, ConsentError> {
        let c = SignedConsent::verify(bytes, directory, now)?;
        self.insert_consent(c.clone(), directory, now)?;
        Ok(c)
    }

    /// Adds an already verified consent (idempotent), judging the revocations pending for
    /// its id. Consent ids are unique within a set: a different consent under an id already
    /// held is refused, so that revocations, the relied-on consent and version chains can
    /// never be confused.
    pub(crate) fn insert_consent(
        &mut self,
        c: VerifiedConsent,
        directory: &Directory,
        now: u64,
    ) -> Result<(), ConsentError> {
        match self.consents.iter().find(|x| x.id() == c.id()) {
            Some(x) if x.digest() == c.digest() => Ok(()),
            Some(_) => Err(ConsentError::ConflictingId {
                id: c.id().to_owned(),
            }),
            None => {
                let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
                    .into_iter()
                    .partition(|p| p.statement.consent_id == c.id());
                self.pending = others;
                self.revocations.extend(mine.iter().filter_map(|p| {
                    RevocationStatement::verify(&p.bytes, &c, directory, now).ok()
                }));
                self.consents.push(c);
                Ok(())
            }
        }
    }

    /// Verifies a revocation against the consent it names and adds it
    /// ([`ImportedRevocation::Verified`]). Whether it takes effect is the decision engine's
    /// call.
    ///
    /// When the set does not hold that consent, the revocation is kept **pending**
    /// ([`ImportedRevocation::Pending`], spec/consent.md §5.5): it is parsed and checked for what needs
    /// no consent (its tokens, and that it is not post-dated), and verified against the
    /// consent once [`ConsentSet::import_consent`] adds it. At most 64 distinct revocations
    /// are kept pending per consent id ([`ConsentError::TooManyPending`]); the same bytes
    /// again are kept once.
    pub fn import_revocation(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<ImportedRevocation<'_>, ConsentError> {
        let (_, body, _): (KeyId, RevocationStatement, _) = parse_statement(bytes, REVOCATION_TYP)?;
        if let Some(consent) = self.consents.iter().find(|c| c.id() == body.consent_id) {
            let r = RevocationStatement::verify(bytes, consent, directory, now)?;
            self.revocations.push(r);
            return self
                .revocations
                .last()
                .map(ImportedRevocation::Verified)
                .ok_or(ConsentError::Structure("revocation"));
        }
        if !is_token(&body.consent_id, 128) {
            return Err(ConsentError::Structure(
                "revocation consent id must be a token",
            ));
        }
        body.check_alone(now)?;
        let index = match self.pending.iter().position(|p| p.bytes == bytes) {
            Some(i) => i,
            None => {
                let held = self
                    .pending
                    .iter()
                    .filter(|p| p.statement.consent_id == body.consent_id)
                    .count();
                if held >= MAX_PENDING_PER_CONSENT {
                    return Err(ConsentError::TooManyPending {
                        consent_id: body.consent_id,
                        limit: MAX_PENDING_PER_CONSENT,
                    });
                }
                self.pending.push(PendingRevocation {
                    statement: body,
                    bytes: bytes.to_vec(),
                });
                self.pending.len() - 1
            }
        };
        self.pending
            .get(index)
            .map(|p| ImportedRevocation::Pending(&p.statement))
            .ok_or(ConsentError::Structure("revocation"))
    }

    /// Verifies and adds a case event, newly received: an event that takes effect more than
    /// 30 days before `now` is refused as [`ConsentError::BackDated`] (spec/consent.md §6.3).
    /// A disposition recorded that late is admitted only on a court order, with
    /// [`ConsentSet::import_event_without_date_bound`].
    pub fn import_event(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<&VerifiedEvent, ConsentError> {
        let e = CaseEvent::verify(bytes, directory, now)?;
        let at = e.event().effective_at;
        if at.saturating_add(MAX_EVENT_BACKDATE) < now {
            return Err(ConsentError::BackDated { at, now });
        }
        self.push_event(e)
    }

    /// Verifies and adds a case event **without** the back-dating bound of
    /// [`ConsentSet::import_event`]; every other check applies. For two uses only: an event
    /// admitted on a court order despite its date (a front end says so loudly), and an
    /// agency re-loading the events it already holds, which were bounded when it first
    /// imported them. Whatever its date, an event never counts for a consent signed after
    /// it took effect (spec/consent.md §6.4).
    pub fn import_event_without_date_bound(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<&VerifiedEvent, ConsentError> {
        let e = CaseEvent::verify(bytes, directory, now)?;
        self.push_event(e)
    }

    fn push_event(&mut self, e: VerifiedEvent) -> Result<&VerifiedEvent, ConsentError> {
        self.events.push(e);
        self.events.last().ok_or(ConsentError::Structure("event"))
    }

    /// The first of `ids` for which a revocation is held pending (not yet judged, because
    /// the consent it names is not held), if any.
    pub(crate) fn pending_among<'a>(&self, ids: &[&'a str]) -> Option<&'a str> {
        ids.iter()
            .copied()
            .find(|id| self.pending.iter().any(|p| p.statement.consent_id == *id))
    }

    /// The consent with this id, if held.
    pub fn get(&self, id: &str) -> Option<&VerifiedConsent> {
        self.consents.iter().find(|c| c.id() == id)
    }

    /// All consents held.
    pub fn consents(&self) -> &[VerifiedConsent] {
        &self.consents
    }

    /// All revocations held (verified; not those still pending).
    pub fn revocations(&self) -> &[VerifiedRevocation] {
        &self.revocations
    }

    /// All events held.
    pub fn events(&self) -> &[VerifiedEvent] {
        &self.events
    }
}
