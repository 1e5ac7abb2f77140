//! The two questions `open` asks its caller: who is behind a signing key (the directory
//! answers it in divex), and whether an envelope id was seen before (the ledger answers it).

use std::collections::BTreeMap;

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

/// A fixed map from signing key to agency id.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    senders: BTreeMap<KeyId, Sender>,
}

impl StaticResolver {
    /// An empty resolver.
    pub fn new() -> StaticResolver {
        StaticResolver::default()
    }

    /// Trusts `key` as agency `agency_id`.
    pub fn insert(&mut self, agency_id: impl Into<String>, key: SigningPublicKey) {
        self.senders.insert(
            key.kid(),
            Sender {
                agency_id: agency_id.into(),
                key,
            },
        );
    }
}

impl SenderResolver for StaticResolver {
    fn resolve(&self, kid: &KeyId, _now: u64) -> Result<Sender, ResolveError> {
        self.senders.get(kid).cloned().ok_or(ResolveError::Unknown)
    }
}

/// The caller-supplied "seen envelope ids" hook for replay detection (the ledger implements
/// it).
pub trait SeenEnvelopes {
    /// Whether an envelope with this id was already received.
    fn seen(&self, id: &EnvelopeId) -> bool;
}
