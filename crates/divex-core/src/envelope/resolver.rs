//! The two questions `open` asks its caller: who is behind a signing key (the directory
//! answers it in divex), and whether an envelope id was seen before (the ledger answers it).

use std::collections::{BTreeMap, BTreeSet};

use super::metadata::EnvelopeId;
use crate::keys::{KeyId, SigningPublicKey};

/// A sender as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The agency's id in the directory.
    pub agency_id: String,
    /// Its signing key.
    pub key: SigningPublicKey,
}

/// Why a resolver could not vouch for a signing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The key is unknown.
    #[error("unknown signing key")]
    Unknown,
    /// The key is known but not trusted at this time.
    #[error("{0}")]
    NotTrusted(String),
}

/// Looks up the agency behind a signing key id (the directory does this in divex; tests and
/// small deployments can use [`StaticResolver`]).
pub trait SenderResolver {
    /// The sender whose signing key has id `kid`, if trusted at `now`.
    fn resolve(&self, kid: &KeyId, now: u64) -> Result<Sender, ResolveError>;
}

/// A fixed map from signing key to agency id: the senders a caller knows without a directory
/// (spec vectors, tests, small deployments). A key may also be known but marked untrusted
/// ([`StaticResolver::insert_untrusted`]), so that an envelope it signed is refused as
/// `untrusted_sender` rather than `unknown_sender`.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    senders: BTreeMap<KeyId, (Sender, Option<String>)>,
}

impl StaticResolver {
    /// An empty resolver.
    pub fn new() -> StaticResolver {
        StaticResolver::default()
    }

    /// Trusts `key` as agency `agency_id`.
    pub fn insert(&mut self, agency_id: impl Into<String>, key: SigningPublicKey) {
        self.insert_entry(agency_id.into(), key, None);
    }

    /// Knows `key` as agency `agency_id` but does not trust it now, for `reason` (an expired
    /// or revoked certificate, for example): [`SenderResolver::resolve`] answers
    /// [`ResolveError::NotTrusted`] with the reason.
    pub fn insert_untrusted(
        &mut self,
        agency_id: impl Into<String>,
        key: SigningPublicKey,
        reason: impl Into<String>,
    ) {
        self.insert_entry(agency_id.into(), key, Some(reason.into()));
    }

    fn insert_entry(
        &mut self,
        agency_id: String,
        key: SigningPublicKey,
        untrusted: Option<String>,
    ) {
        self.senders
            .insert(key.kid(), (Sender { agency_id, key }, untrusted));
    }
}

impl SenderResolver for StaticResolver {
    fn resolve(&self, kid: &KeyId, _now: u64) -> Result<Sender, ResolveError> {
        match self.senders.get(kid) {
            None => Err(ResolveError::Unknown),
            Some((_, Some(reason))) => Err(ResolveError::NotTrusted(reason.clone())),
            Some((sender, None)) => Ok(sender.clone()),
        }
    }
}

/// The caller-supplied memory of what was already received (the ledger implements it): the
/// envelope ids, for replay detection, and the latest issue time accepted per sender and
/// consent, for the ordering check of spec/consent.md §8.3.
pub trait SeenEnvelopes {
    /// Whether an envelope with this id was already received.
    fn seen(&self, id: &EnvelopeId) -> bool;

    /// The latest `issued_at` of an envelope already received from agency `sender` (its
    /// directory id) under consent `consent_id`, if any. An envelope dated earlier than that
    /// by more than the clock skew is released flagged `issued_out_of_order`, or refused when
    /// the consent was revoked between the two (spec/consent.md §8.3). The default remembers
    /// nothing (`None`): no ordering check.
    fn latest_issued_at(&self, sender: &str, consent_id: &str) -> Option<u64> {
        let _ = (sender, consent_id);
        None
    }
}

/// A fixed set of envelope ids already received (spec vectors, tests, the bindings' envelope
/// layer alone); the ledger is the hook applications use.
impl SeenEnvelopes for BTreeSet<EnvelopeId> {
    fn seen(&self, id: &EnvelopeId) -> bool {
        self.contains(id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::AgencyKeys;

    #[test]
    fn static_resolver_knows_trusted_untrusted_and_unknown_keys() {
        let (a, b, c) = (
            AgencyKeys::generate(),
            AgencyKeys::generate(),
            AgencyKeys::generate(),
        );
        let mut r = StaticResolver::new();
        r.insert("court", a.public().signing().clone());
        r.insert_untrusted(
            "probation",
            b.public().signing().clone(),
            "certificate revoked",
        );
        let kid = |k: &AgencyKeys| k.public().signing().kid();
        assert_eq!(r.resolve(&kid(&a), 0).unwrap().agency_id, "court");
        assert_eq!(
            r.resolve(&kid(&b), 0),
            Err(ResolveError::NotTrusted("certificate revoked".into()))
        );
        assert_eq!(r.resolve(&kid(&c), 0), Err(ResolveError::Unknown));
    }

    #[test]
    fn a_set_of_ids_is_a_replay_hook() {
        let seen: BTreeSet<EnvelopeId> = [EnvelopeId([1; 16])].into();
        assert!(seen.seen(&EnvelopeId([1; 16])));
        assert!(!seen.seen(&EnvelopeId([2; 16])));
    }
}
