//! The on-disk layout of a divex working directory ("home").
//!
//! ```text
//! <root>/
//!   directory.cbor                 the directory bundle: pinned anchors, certificates, revocations
//!   snapshots/<fingerprint>.snapshot.cose
//!                                  the latest signed directory snapshot imported from (or
//!                                  published by) each anchor: its high-water sequence, merged
//!                                  into the directory on every load (spec/directory.md §5.4)
//!   anchors/<name>.key             a trust anchor's encrypted keystore
//!   certificates/                  certificates and certificate revocations an anchor issued
//!   agencies/<id>/keys.divex       the agency's encrypted keystore
//!   agencies/<id>/ledger.sqlite    its disclosure ledger
//!   agencies/<id>/consents/        signed consents, revocations and case events it holds
//!                                  (*.consent.cose, *.revocation.cose, *.event.cose)
//!   envelopes/                     sealed envelopes (<envelope id>.envelope.cose)
//! ```
//!
//! Every name that becomes part of a path (agency ids, anchor names) is checked by the command
//! line to be a token of `[a-z0-9._-]` that is neither `.` nor `..` (see
//! [`crate::cli::parse_agency_id`]), so no argument can point outside the home.

use std::path::PathBuf;

/// A divex working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// The directory itself.
    pub root: PathBuf,
}

impl Home {
    /// The home at `root` (nothing is created until a command writes).
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// `root/directory.cbor`: a [`divex_core::directory::Directory`] bundle.
    pub fn directory_file(&self) -> PathBuf {
        self.root.join("directory.cbor")
    }

    /// `root/snapshots/<fingerprint>.snapshot.cose`: the latest signed directory snapshot of
    /// the anchor with key id `fingerprint` (hex) that this home imported or published.
    pub fn held_snapshot(&self, fingerprint: &str) -> PathBuf {
        self.snapshots_dir()
            .join(format!("{fingerprint}.snapshot.cose"))
    }

    /// `root/snapshots/`: the held signed directory snapshots.
    pub fn snapshots_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// `root/anchors/<name>.key`: a trust anchor's keystore.
    pub fn anchor_keystore(&self, name: &str) -> PathBuf {
        self.root.join("anchors").join(format!("{name}.key"))
    }

    /// `root/certificates/`: certificates and certificate revocations issued from this home.
    pub fn certificates_dir(&self) -> PathBuf {
        self.root.join("certificates")
    }

    /// `root/agencies/<id>/`.
    pub fn agency_dir(&self, agency_id: &str) -> PathBuf {
        self.root.join("agencies").join(agency_id)
    }

    /// `root/agencies/<id>/keys.divex`: the agency's keystore.
    pub fn keystore(&self, agency_id: &str) -> PathBuf {
        self.agency_dir(agency_id).join("keys.divex")
    }

    /// `root/agencies/<id>/retired/`: the keystores `divex keys rotate` retired, one per
    /// replaced key pair, named `<signing key id>.keys.divex`.
    pub fn retired_keystores(&self, agency_id: &str) -> PathBuf {
        self.agency_dir(agency_id).join("retired")
    }

    /// `root/agencies/<id>/ledger.sqlite`: the agency's disclosure ledger.
    pub fn ledger(&self, agency_id: &str) -> PathBuf {
        self.agency_dir(agency_id).join("ledger.sqlite")
    }

    /// `root/agencies/<id>/consents/`: the signed consents (`*.consent.cose`), revocations
    /// (`*.revocation.cose`) and case events (`*.event.cose`) the agency holds.
    pub fn consents_dir(&self, agency_id: &str) -> PathBuf {
        self.agency_dir(agency_id).join("consents")
    }

    /// `root/envelopes/`: sealed envelopes.
    pub fn envelopes_dir(&self) -> PathBuf {
        self.root.join("envelopes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let h = Home::new("/h");
        assert_eq!(h.directory_file(), PathBuf::from("/h/directory.cbor"));
        assert_eq!(
            h.held_snapshot("ab12"),
            PathBuf::from("/h/snapshots/ab12.snapshot.cose")
        );
        assert_eq!(h.anchor_keystore("a"), PathBuf::from("/h/anchors/a.key"));
        assert_eq!(h.keystore("x"), PathBuf::from("/h/agencies/x/keys.divex"));
        assert_eq!(h.ledger("x"), PathBuf::from("/h/agencies/x/ledger.sqlite"));
        assert_eq!(h.consents_dir("x"), PathBuf::from("/h/agencies/x/consents"));
        assert_eq!(h.envelopes_dir(), PathBuf::from("/h/envelopes"));
    }
}
