//! The directory as the envelope's sender resolver (spec/directory.md §7, "Sender
//! resolution"; spec/envelope.md §7 step 12).

use crate::envelope::{ResolveError, Sender, SenderResolver};
use crate::keys::KeyId;

use super::{AgencyCertificate, Directory, DirectoryError};

impl Directory {
    /// The certificate (valid at `now`) with signing key `kid`, or why the directory cannot
    /// vouch for the key: the one rule behind [`SenderResolver::resolve`], shared with the
    /// consent-scoped `open`, which needs the certificate's facts as well.
    pub(crate) fn resolve_certificate(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, ResolveError> {
        match self.certificate_by_signing_kid(kid, now) {
            Ok(c) => Ok(c),
            Err(DirectoryError::UnknownKey { .. }) => Err(ResolveError::Unknown),
            Err(e) => Err(ResolveError::NotTrusted(e.to_string())),
        }
    }
}

impl SenderResolver for Directory {
    /// The agency whose certificate (valid at `now`) has signing key `kid`.
    /// [`ResolveError::Unknown`] if no certificate has that key; otherwise
    /// [`ResolveError::NotTrusted`] with the reason (expired, not yet valid, revoked).
    fn resolve(&self, kid: &KeyId, now: u64) -> Result<Sender, ResolveError> {
        self.resolve_certificate(kid, now).map(|c| Sender {
            agency_id: c.agency_id().to_owned(),
            key: c.keys().signing().clone(),
        })
    }
}
