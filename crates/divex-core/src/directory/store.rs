//! The [`Directory`]: trusted anchors and the certificates and revocations that verified
//! against them, kept consistent on insertion (spec/directory.md §6 step 7) and queried
//! offline for a caller-supplied time (§7).

use std::collections::BTreeMap;
use std::fmt;

use crate::keys::KeyId;

use super::certificate::{ANCHOR_KEY_REUSED, CertKey, WHAT_CERT};
use super::revocation::WHAT_REV;
use super::signed::Signed;
use super::{
    AgencyCertificate, CertificateRevocation, DirectoryError, DirectorySnapshot, MAX_ANCHORS,
    MAX_DIRECTORY_BYTES, MAX_ENTRIES, TrustAnchor,
};

/// The revocation reason that marks a signing key as compromised (spec/directory.md §7.1
/// rule 3): what the key signed from the revocation time on is not trusted, and grants it
/// signed at any time are refused.
pub(crate) const KEY_COMPROMISE: &str = "key_compromise";

/// Bytes a bstr item adds to a bundle beyond its content (head of at most 3 bytes for
/// ≤ 4 KiB), used to keep the exported bundle within [`MAX_DIRECTORY_BYTES`].
const ITEM_OVERHEAD: usize = 3;
/// The bundle's fixed part: map head, keys, `typ` value, three array heads (about 80 bytes),
/// with room for what a signed snapshot adds (its three numbers and the `COSE_Sign1` around
/// it, under 300 bytes), so that every directory can also be published as a snapshot within
/// [`MAX_DIRECTORY_BYTES`] (spec/directory.md §9).
const BUNDLE_OVERHEAD: usize = 512;

/// Anchors, certificates and revocations, validated when added, queried offline against a
/// caller-supplied `now` (seconds since the Unix epoch).
///
/// A certificate is **valid at `now`** when its anchor is in the directory, its signature
/// verified, `not_before <= now < not_after`, and no revocation from the same anchor for its
/// serial has `revoked_at <= now` (spec/directory.md §7).
#[derive(Clone, Default)]
pub struct Directory {
    anchors: BTreeMap<KeyId, TrustAnchor>,
    certificates: BTreeMap<CertKey, AgencyCertificate>,
    revocations: BTreeMap<CertKey, Vec<CertificateRevocation>>,
    by_signing: BTreeMap<KeyId, Vec<CertKey>>,
    by_encryption: BTreeMap<KeyId, Vec<CertKey>>,
    by_agency: BTreeMap<String, Vec<CertKey>>,
    /// The latest signed snapshot imported from each anchor (spec/directory.md §5.4). Not
    /// part of the bundle encoding: the importer keeps the snapshot itself.
    snapshots: BTreeMap<KeyId, DirectorySnapshot>,
    /// Upper bound of the encoded bundle size.
    size: usize,
    /// Anchors + certificates + revocations.
    entries: usize,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("anchors", &self.anchors.len())
            .field("certificates", &self.certificates.len())
            .field(
                "revocations",
                &self.revocations.values().map(Vec::len).sum::<usize>(),
            )
            .field("snapshots", &self.snapshots.len())
            .finish()
    }
}

impl Directory {
    /// An empty directory (trusting nothing).
    pub fn new() -> Directory {
        Directory::default()
    }

    fn reserve(&self, what: &'static str, bytes: usize) -> Result<(), DirectoryError> {
        if self.entries >= MAX_ENTRIES {
            return Err(DirectoryError::Full {
                what,
                limit: "10 000 entries",
            });
        }
        if BUNDLE_OVERHEAD + self.size + bytes + ITEM_OVERHEAD > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::Full {
                what,
                limit: "4 MiB",
            });
        }
        Ok(())
    }

    /// Trusts `anchor`. Adding the same anchor again is a no-op; the same key under another
    /// name is [`DirectoryError::DuplicateAnchor`]; a key already certified as an agency's
    /// signing key is [`DirectoryError::KeyInUse`].
    pub fn add_anchor(&mut self, anchor: TrustAnchor) -> Result<(), DirectoryError> {
        if let Some(existing) = self.anchors.get(&anchor.kid()) {
            return if *existing == anchor {
                Ok(())
            } else {
                Err(DirectoryError::DuplicateAnchor { kid: anchor.kid() })
            };
        }
        // An anchor's key is never an agency's key (spec/directory.md §6 step 7).
        if let Some(holder) = self
            .by_signing
            .get(&anchor.kid())
            .and_then(|keys| keys.first())
            .and_then(|k| self.certificates.get(k))
        {
            return Err(DirectoryError::KeyInUse {
                kid: anchor.kid(),
                agency_id: holder.agency_id().to_owned(),
            });
        }
        if self.anchors.len() >= MAX_ANCHORS {
            return Err(DirectoryError::Full {
                what: "trust anchor",
                limit: "64 trust anchors",
            });
        }
        let len = anchor.to_bytes().len();
        self.reserve("trust anchor", len)?;
        self.size += len + ITEM_OVERHEAD;
        self.entries += 1;
        self.anchors.insert(anchor.kid(), anchor);
        Ok(())
    }

    /// Verifies and adds a certificate (spec/directory.md §6): strict parse, known anchor,
    /// valid signature, field and key rules, then consistency with the directory (no other
    /// certificate with the same serial, its keys certified for no other agency, its agency
    /// id certified by no other anchor). Adding identical bytes again is a no-op. Expired
    /// certificates are accepted (they are kept for listing and never resolve).
    pub fn add_certificate(&mut self, bytes: &[u8]) -> Result<(), DirectoryError> {
        let cert = AgencyCertificate::parse_verified(bytes, &self.anchors)?;
        self.insert_certificate(cert)
    }

    pub(super) fn insert_certificate(
        &mut self,
        cert: AgencyCertificate,
    ) -> Result<(), DirectoryError> {
        let key = cert.key();
        if let Some(existing) = self.certificates.get(&key) {
            return if *existing == cert {
                Ok(())
            } else {
                Err(DirectoryError::DuplicateSerial {
                    serial: cert.serial(),
                })
            };
        }
        let sk = cert.keys().signing().kid();
        let ek = cert.keys().encryption().kid();
        if self.anchors.contains_key(&sk) {
            return Err(DirectoryError::InvalidCertificate(ANCHOR_KEY_REUSED));
        }
        for (index, kid) in [(&self.by_signing, sk), (&self.by_encryption, ek)] {
            for other in index.get(&kid).into_iter().flatten() {
                if let Some(o) = self.certificates.get(other)
                    && o.agency_id() != cert.agency_id()
                {
                    return Err(DirectoryError::KeyInUse {
                        kid,
                        agency_id: o.agency_id().to_owned(),
                    });
                }
            }
        }
        // A signing key must never double as an encryption key id and vice versa; kids are
        // domain-separated, so only the same-index checks above are needed.
        if let Some(first) = self.by_agency.get(cert.agency_id()).and_then(|v| v.first())
            && first.0 != cert.issuer()
        {
            return Err(DirectoryError::AgencyConflict {
                agency_id: cert.agency_id().to_owned(),
                anchor: first.0,
            });
        }
        self.reserve(WHAT_CERT, cert.as_bytes().len())?;
        self.size += cert.as_bytes().len() + ITEM_OVERHEAD;
        self.entries += 1;
        self.by_signing.entry(sk).or_default().push(key);
        self.by_encryption.entry(ek).or_default().push(key);
        self.by_agency
            .entry(cert.agency_id().to_owned())
            .or_default()
            .push(key);
        self.certificates.insert(key, cert);
        Ok(())
    }

    /// Verifies and adds a revocation signed by one of the directory's anchors. It applies to
    /// that anchor's certificate with the same serial, whether that certificate is already
    /// present or arrives later. Adding identical bytes again is a no-op.
    pub fn add_revocation(&mut self, bytes: &[u8]) -> Result<(), DirectoryError> {
        let rev = CertificateRevocation::parse_verified(bytes, &self.anchors)?;
        self.insert_revocation(rev)
    }

    pub(super) fn insert_revocation(
        &mut self,
        rev: CertificateRevocation,
    ) -> Result<(), DirectoryError> {
        let key = (rev.issuer(), rev.serial());
        if self.revocations.get(&key).is_some_and(|v| v.contains(&rev)) {
            return Ok(());
        }
        self.reserve(WHAT_REV, rev.as_bytes().len())?;
        self.size += rev.as_bytes().len() + ITEM_OVERHEAD;
        self.entries += 1;
        let list = self.revocations.entry(key).or_default();
        list.push(rev);
        list.sort_by(|a, b| (a.revoked_at(), a.as_bytes()).cmp(&(b.revoked_at(), b.as_bytes())));
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Queries

    /// Whether `cert` is valid at `now` by this directory: its anchor is trusted, no
    /// revocation is in effect, and `not_before <= now < not_after`. The error says why not
    /// ([`DirectoryError::Revoked`], [`DirectoryError::NotYetValid`],
    /// [`DirectoryError::Expired`], or [`DirectoryError::UnknownAnchor`] for a certificate
    /// this directory did not accept).
    pub fn check(&self, cert: &AgencyCertificate, now: u64) -> Result<(), DirectoryError> {
        let anchor = self
            .anchors
            .get(&cert.issuer())
            .ok_or(DirectoryError::UnknownAnchor {
                what: WHAT_CERT,
                kid: cert.issuer(),
            })?;
        if self.certificates.get(&cert.key()) != Some(cert) {
            // Not one this directory verified: verify before answering.
            cert.verify(anchor)?;
        }
        if let Some(r) = self.effective_revocation(cert, now) {
            return Err(DirectoryError::Revoked {
                agency_id: cert.agency_id().to_owned(),
                serial: cert.serial(),
                revoked_at: r.revoked_at(),
                reason: r.reason().to_owned(),
            });
        }
        if now < cert.not_before() {
            return Err(DirectoryError::NotYetValid {
                agency_id: cert.agency_id().to_owned(),
                serial: cert.serial(),
                not_before: cert.not_before(),
            });
        }
        if now >= cert.not_after() {
            return Err(DirectoryError::Expired {
                agency_id: cert.agency_id().to_owned(),
                serial: cert.serial(),
                not_after: cert.not_after(),
            });
        }
        Ok(())
    }

    /// The earliest revocation of `cert` in effect at `now`.
    fn effective_revocation(
        &self,
        cert: &AgencyCertificate,
        now: u64,
    ) -> Option<&CertificateRevocation> {
        // Sorted by revoked_at: the first is the earliest.
        self.revocations
            .get(&cert.key())
            .and_then(|v| v.first())
            .filter(|r| r.is_effective_at(now))
    }

    /// Revocations of `cert` known to the directory (in effect or scheduled), earliest first.
    pub(crate) fn revocations_of(
        &self,
        cert: &AgencyCertificate,
    ) -> impl Iterator<Item = &CertificateRevocation> {
        self.revocations.get(&cert.key()).into_iter().flatten()
    }

    /// When the signing key `kid` was reported compromised: the earliest `revoked_at` of a
    /// revocation with reason [`KEY_COMPROMISE`] of any certificate for that key
    /// (spec/directory.md §7.1 rule 3). A compromise is a fact about the key, so a renewal
    /// of the same key does not undo it.
    pub(crate) fn key_compromised_at(&self, kid: &KeyId) -> Option<u64> {
        self.by_signing
            .get(kid)
            .into_iter()
            .flatten()
            .filter_map(|k| self.revocations.get(k))
            .flatten()
            .filter(|r| r.reason() == KEY_COMPROMISE)
            .map(CertificateRevocation::revoked_at)
            .min()
    }

    /// Picks the best certificate among `keys`: the valid one with the latest `not_before`
    /// (then latest `not_after`, then highest serial). If none is valid, the most telling
    /// reason: revoked, else expired (latest expiry), else not yet valid (earliest start).
    fn select(
        &self,
        keys: &[CertKey],
        now: u64,
    ) -> Option<Result<&AgencyCertificate, DirectoryError>> {
        let certs = keys.iter().filter_map(|k| self.certificates.get(k));
        let mut best: Option<&AgencyCertificate> = None;
        let mut failure: Option<(u8, u64, DirectoryError)> = None;
        for c in certs {
            match self.check(c, now) {
                Ok(()) => {
                    let better = best.is_none_or(|b| {
                        (c.not_before(), c.not_after(), c.serial())
                            > (b.not_before(), b.not_after(), b.serial())
                    });
                    if better {
                        best = Some(c);
                    }
                }
                Err(e) => {
                    // Lower rank and lower score win.
                    let (rank, score) = match &e {
                        DirectoryError::Revoked { .. } => (0, u64::MAX - c.not_before()),
                        DirectoryError::Expired { not_after, .. } => (1, u64::MAX - not_after),
                        DirectoryError::NotYetValid { not_before, .. } => (2, *not_before),
                        _ => (3, 0),
                    };
                    if failure
                        .as_ref()
                        .is_none_or(|(r, s, _)| (rank, score) < (*r, *s))
                    {
                        failure = Some((rank, score, e));
                    }
                }
            }
        }
        match (best, failure) {
            (Some(c), _) => Some(Ok(c)),
            (None, Some((_, _, e))) => Some(Err(e)),
            (None, None) => None,
        }
    }

    /// The certificate whose signing key has id `kid` and that is valid at `now` (with
    /// renewals of the same key, the one with the latest `not_before`).
    pub(crate) fn certificate_by_signing_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        self.by_signing
            .get(kid)
            .and_then(|keys| self.select(keys, now))
            .unwrap_or(Err(DirectoryError::UnknownKey { kid: *kid }))
    }

    /// The certificate whose encryption key has id `kid` and that is valid at `now`.
    pub(crate) fn certificate_by_encryption_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        self.by_encryption
            .get(kid)
            .and_then(|keys| self.select(keys, now))
            .unwrap_or(Err(DirectoryError::UnknownKey { kid: *kid }))
    }

    /// The agency's current certificate: of those valid at `now`, the one with the latest
    /// `not_before` (the newest key after a rotation). Seal to its keys.
    pub fn current_certificate(
        &self,
        agency_id: &str,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        self.by_agency
            .get(agency_id)
            .and_then(|keys| self.select(keys, now))
            .unwrap_or_else(|| {
                Err(DirectoryError::UnknownAgency {
                    agency_id: agency_id.to_owned(),
                })
            })
    }

    /// Every certificate of the agency, valid or not, ordered by `not_before` then serial.
    pub fn certificates_for(&self, agency_id: &str) -> impl Iterator<Item = &AgencyCertificate> {
        let mut v: Vec<&AgencyCertificate> = self
            .by_agency
            .get(agency_id)
            .into_iter()
            .flatten()
            .filter_map(|k| self.certificates.get(k))
            .collect();
        v.sort_by_key(|c| (c.not_before(), c.serial()));
        v.into_iter()
    }

    /// Whether the anchor with key id `kid` is trusted.
    pub(super) fn has_anchor(&self, kid: &KeyId) -> bool {
        self.anchors.contains_key(kid)
    }

    /// The trusted anchors by key id (to verify signed documents against).
    pub(super) fn anchor_map(&self) -> &BTreeMap<KeyId, TrustAnchor> {
        &self.anchors
    }

    /// The latest signed snapshot imported from `anchor`, if any.
    pub(super) fn snapshot_of(&self, anchor: &KeyId) -> Option<&DirectorySnapshot> {
        self.snapshots.get(anchor)
    }

    /// Records `s` as the latest signed snapshot of its anchor.
    pub(super) fn record_snapshot(&mut self, s: DirectorySnapshot) {
        self.snapshots.insert(s.anchor, s);
    }

    /// The latest signed snapshot imported from each anchor, by anchor key id
    /// (spec/directory.md §5.4). Only what [`Directory::merge`] or [`Directory::from_bytes`]
    /// took in this process: the bundle encoding does not carry it, so an importer keeps the
    /// latest snapshot of each anchor beside the directory and merges it again after loading.
    pub fn snapshots(&self) -> impl Iterator<Item = &DirectorySnapshot> {
        self.snapshots.values()
    }

    /// Whether the directory holds a current signed snapshot of `anchor` at `now`
    /// (spec/directory.md §5.4): [`DirectoryError::BundleExpired`] when its latest snapshot
    /// expired (`now >= expires`) or none was imported. A stale directory may lack revocations
    /// the anchor published since; callers warn, or refuse when their policy asks for fresh
    /// directories.
    pub fn check_fresh(&self, anchor: &KeyId, now: u64) -> Result<(), DirectoryError> {
        match self.snapshots.get(anchor) {
            Some(s) if now < s.expires => Ok(()),
            held => Err(DirectoryError::BundleExpired {
                anchor: *anchor,
                expired_at: held.map(|s| s.expires),
            }),
        }
    }

    /// The trusted anchors, by key id.
    pub fn anchors(&self) -> impl Iterator<Item = &TrustAnchor> {
        self.anchors.values()
    }

    /// Every certificate, by (anchor, serial).
    pub fn certificates(&self) -> impl Iterator<Item = &AgencyCertificate> {
        self.certificates.values()
    }

    /// Every revocation, by (anchor, serial, revoked_at).
    pub fn revocations(&self) -> impl Iterator<Item = &CertificateRevocation> {
        self.revocations.values().flatten()
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity
)]
mod tests {
    use super::*;
    use crate::directory::testkit::*;
    use crate::directory::{SERIAL_LEN, Serial};

    #[test]
    fn renewal_of_the_same_key_selects_the_latest() {
        let a = anchor(1);
        let k = agency(2);
        let mut d = directory_with(&a);
        let mut first = wire(k.public());
        first.serial = [1; SERIAL_LEN];
        first.not_before = NOW - 10 * DAY;
        first.not_after = NOW + DAY;
        let mut renewal = wire(k.public());
        renewal.serial = [2; SERIAL_LEN];
        renewal.not_before = NOW - DAY;
        renewal.not_after = NOW + 30 * DAY;
        d.add_certificate(&sign_wire(&a, &first)).unwrap();
        d.add_certificate(&sign_wire(&a, &renewal)).unwrap();
        let kid = k.public().signing().kid();
        assert_eq!(
            d.certificate_by_signing_kid(&kid, NOW).unwrap().serial(),
            Serial([2; SERIAL_LEN])
        );
        // Before the renewal starts, the first one.
        assert_eq!(
            d.certificate_by_signing_kid(&kid, NOW - 2 * DAY)
                .unwrap()
                .serial(),
            Serial([1; SERIAL_LEN])
        );
        // After both expired, the error names the later expiry.
        assert_eq!(
            d.certificate_by_signing_kid(&kid, NOW + 31 * DAY),
            Err(DirectoryError::Expired {
                agency_id: "county-court".into(),
                serial: Serial([2; SERIAL_LEN]),
                not_after: NOW + 30 * DAY
            })
        );
        // Revocation outranks expiry in the explanation.
        d.add_revocation(
            a.revoke(Serial([1; SERIAL_LEN]), NOW - 5 * DAY, "superseded")
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            d.certificate_by_signing_kid(&kid, NOW + 31 * DAY),
            Err(DirectoryError::Revoked { .. })
        ));
        // Before anything is valid: the earliest start.
        assert_eq!(
            d.certificate_by_encryption_kid(&k.public().encryption().kid(), NOW - 11 * DAY),
            Err(DirectoryError::NotYetValid {
                agency_id: "county-court".into(),
                serial: Serial([1; SERIAL_LEN]),
                not_before: NOW - 10 * DAY
            })
        );
    }

    #[test]
    fn size_accounting_bounds_the_bundle() {
        let a = anchor(1);
        let mut d = directory_with(&a);
        for i in 0..20u8 {
            let k = agency(100 + i);
            let mut w = wire(k.public());
            w.serial = [i; SERIAL_LEN];
            w.agency_id = format!("agency-{i}");
            d.add_certificate(&sign_wire(&a, &w)).unwrap();
            d.add_revocation(
                a.revoke(Serial([i; SERIAL_LEN]), NOW, "superseded")
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap();
        }
        let bytes = d.to_bytes();
        assert!(
            bytes.len() <= d.size + BUNDLE_OVERHEAD,
            "{} > {}",
            bytes.len(),
            d.size
        );
        assert_eq!(d.entries, 41);
    }
}
