//! The directory as the envelope's sender resolver (spec/directory.md §7, "Sender
//! resolution"; spec/envelope.md §7 step 12).

use crate::envelope::{ResolveError, Sender, SenderResolver};
use crate::keys::KeyId;

use super::{Directory, DirectoryError};

impl SenderResolver for Directory {
    /// The agency whose certificate (valid at `now`) has signing key `kid`.
    /// [`ResolveError::Unknown`] if no certificate has that key; otherwise
    /// [`ResolveError::NotTrusted`] with the reason (expired, not yet valid, revoked).
    fn resolve(&self, kid: &KeyId, now: u64) -> Result<Sender, ResolveError> {
        match self.certificate_by_signing_kid(kid, now) {
            Ok(c) => Ok(Sender {
                agency_id: c.agency_id().to_owned(),
                key: c.keys().signing().clone(),
            }),
            Err(DirectoryError::UnknownKey { .. }) => Err(ResolveError::Unknown),
            Err(e) => Err(ResolveError::NotTrusted(e.to_string())),
        }
    }
}
