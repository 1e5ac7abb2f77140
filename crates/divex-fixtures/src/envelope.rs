//! What the envelope layer needs on its own, without a directory: a typical disclosure
//! statement, a sender with its recipients known by key alone, and a replay hook.

use std::collections::BTreeSet;

use divex_core::consent::Subject;
use divex_core::decision::MinimumNecessary;
use divex_core::envelope::{ConsentRef, Disclosure, EnvelopeId, SeenEnvelopes};
use divex_core::keys::{AgencyKeys, PublicBundle};
use divex_core::records::{Record, RecordType};
use divex_core::testing::AgencyKeysExt;
use divex_core::testing::envelope::StaticResolver;
use divex_core::vocab::{NoticeCode, Purpose, SecurityLabel};
use divex_core::{ConsentCopy, SealRequest};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};

use crate::CJ_PURPOSE;

/// A typical Part 2 disclosure statement (the one every envelope spec vector signs): purpose
/// [`CJ_PURPOSE`] under consent `consent-pc1000-0001`, labels `42CFRPart2` and
/// `no-criminal-use`, the short notice, nothing redacted.
pub fn disclosure(record_type: RecordType) -> Disclosure {
    Disclosure {
        purpose: CJ_PURPOSE.clone(),
        consent: ConsentRef {
            id: "consent-pc1000-0001".into(),
            digest: Sha256::digest(b"signed consent placeholder").into(),
        },
        record_type,
        labels: vec![SecurityLabel::PART2, SecurityLabel::NO_CRIMINAL_USE],
        notice: NoticeCode::from_static("part2-short"),
        redacted: vec![],
    }
}

/// A replay hook over a fixed set of envelope ids.
#[derive(Debug, Default)]
pub struct SeenSet(pub BTreeSet<EnvelopeId>);

impl SeenEnvelopes for SeenSet {
    fn seen(&self, id: &EnvelopeId) -> bool {
        self.0.contains(id)
    }
}

/// The agency id [`Fleet::resolver`] knows the sender by.
pub const FLEET_SENDER: &str = "treatment-provider";

/// A sender and its recipients, known to the envelope layer by their keys alone (no
/// certificates): the workload of the envelope benchmarks and of tests below the directory.
///
/// ```
/// use divex_core::testing::envelope::{self, OpenOptions, SealOptions};
/// use divex_core::records::{Record, RecordType};
/// use divex_fixtures::{Fleet, T0, disclosure};
///
/// let f = Fleet::generate(3);
/// let sealed = envelope::seal(&f.sender, &f.bundles, &disclosure(RecordType::DrugTest),
///     b"record", T0, SealOptions::default()).unwrap();
/// let opened = envelope::open(&sealed.bytes, &f.recipients[2], &f.resolver, T0,
///     &OpenOptions::default()).unwrap();
/// assert_eq!(opened.sender.agency_id, "treatment-provider");
/// ```
#[allow(missing_debug_implementations)] // holds secret keys; never printed
pub struct Fleet {
    /// The sender, known to [`Fleet::resolver`] as [`FLEET_SENDER`].
    pub sender: AgencyKeys,
    /// The recipients, sorted by encryption key id (the order of an envelope's recipients).
    pub recipients: Vec<AgencyKeys>,
    /// The recipients' public bundles, in the same order.
    pub bundles: Vec<PublicBundle>,
    /// Trusts the sender's signing key.
    pub resolver: StaticResolver,
}

impl Fleet {
    /// A sender and `n` recipients from the operating system's CSPRNG.
    pub fn generate(n: usize) -> Fleet {
        Fleet::assemble(
            AgencyKeys::generate(),
            (0..n).map(|_| AgencyKeys::generate()).collect(),
        )
    }

    /// A sender and `n` recipients drawn from `rng`, the sender first, then the recipients in
    /// order (so that a seeded generator gives the same fleet every time, and goes on from
    /// the same state).
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(n: usize, rng: &mut R) -> Fleet {
        let sender = AgencyKeys::generate_with_rng(rng);
        let recipients = (0..n).map(|_| AgencyKeys::generate_with_rng(rng)).collect();
        Fleet::assemble(sender, recipients)
    }

    fn assemble(sender: AgencyKeys, mut recipients: Vec<AgencyKeys>) -> Fleet {
        recipients.sort_by_key(|k| k.public().encryption().kid());
        let bundles = recipients.iter().map(|k| k.public().clone()).collect();
        let mut resolver = StaticResolver::new();
        resolver.insert(FLEET_SENDER, sender.public().signing().clone());
        Fleet {
            sender,
            recipients,
            bundles,
            resolver,
        }
    }
}

/// The consent-scoped seal request the conformance tests use: `record` about `subject` to
/// `recipients` for `purpose` under the held consent `consent_id`, refusing rather than
/// redacting fields the consent does not permit, with the consent attached.
pub fn seal_request<'a>(
    recipients: &'a [&'a str],
    purpose: &'a Purpose,
    consent_id: &'a str,
    record: &'a Record,
    subject: &'a Subject,
) -> SealRequest<'a> {
    SealRequest {
        recipients,
        subject,
        purpose,
        consent_id,
        record,
        minimum_necessary: MinimumNecessary::Refuse,
        consent_copy: ConsentCopy::Attach,
        ledger_head: None,
    }
}
