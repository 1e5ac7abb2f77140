//! The rotation soak (issue #12 acceptance): six agencies disclose to each other for four
//! months while every one of them rotates its keys twice and the court's first certificate
//! expires and is renewed. No disclosure is refused for a reason other than consent, and every
//! agency's ledger verifies across all of its rotations (each checkpoint under the key that
//! was certified when it was signed, spec/ledger.md §3.2).
//!
//! Each step rebuilds every agency's holdings from the signed files it keeps, at that step's
//! time, exactly as the CLI does for every command: a consent witnessed by the court with a
//! key it has since rotated away still verifies, and the revocation the participant signs
//! half-way through still takes effect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use divex_core::consent::{ConsentSet, RevocationStatement};
use divex_core::decision::DenyReason;
use divex_core::records::Record;
use divex_core::vocab::Purpose;
use divex_core::{DisclosureError, OpenOptions};
use divex_fixtures::*;
use divex_ledger::Ledger;

/// The six agencies of the soak, each of which sends or receives.
const SIX: [&str; 6] = [
    "superior-court",
    "district-attorney",
    "probation",
    "treatment-provider",
    "police-lead-unit",
    "lead-case-manager",
];

/// The soak's length and step.
const DAYS: u64 = 120;
const STEP: u64 = 3;

/// When the court's first certificate expires; it is renewed (a new key, nothing revoked)
/// five days before.
const COURT_EXPIRES: u64 = T0 + 40 * DAY;
const COURT_RENEWS: u64 = COURT_EXPIRES - 5 * DAY;

/// When the participant revokes the LEAD consent (revocable at will).
const LEAD_REVOKED: u64 = T0 + 75 * DAY;

/// Two rotations per agency, staggered so that there is always one in flight somewhere; the
/// old certificate is revoked `superseded` as spec/directory.md §7 describes.
fn rotations() -> Vec<(u64, &'static str)> {
    let mut r: Vec<(u64, &'static str)> = SIX
        .iter()
        .enumerate()
        .flat_map(|(i, id)| {
            let i = i as u64;
            [
                (T0 + (10 + 7 * i) * DAY + 3600, *id),
                (T0 + (60 + 8 * i) * DAY + 7200, *id),
            ]
        })
        .collect();
    r.sort();
    r
}

/// One planned disclosure.
struct Flow {
    from: &'static str,
    to: &'static [&'static str],
    consent: &'static str,
    purpose: &'static Purpose,
    record: fn() -> Record,
}

const FLOWS: [Flow; 3] = [
    Flow {
        from: "treatment-provider",
        to: &["superior-court", "district-attorney", "probation"],
        consent: "c-pc1000-0001",
        purpose: &CJ_PURPOSE,
        record: drug_test,
    },
    Flow {
        from: "treatment-provider",
        to: &["probation"],
        consent: "c-pc1000-0001",
        purpose: &CJ_PURPOSE,
        record: attendance,
    },
    Flow {
        from: "lead-case-manager",
        to: &["police-lead-unit"],
        consent: "c-lead-0007",
        purpose: &LEAD_PURPOSE,
        record: lead_status,
    },
];

/// Each agency's signed holdings, rebuilt into a verified set at `now`.
fn holdings(w: &World, files: &[Vec<u8>], revocations: &[Vec<u8>], now: u64) -> ConsentSet {
    let mut set = ConsentSet::new();
    for f in files {
        set.import_consent(f, &w.directory, now)
            .unwrap_or_else(|e| panic!("a held consent stopped verifying at {now}: {e}"));
    }
    for r in revocations {
        set.import_revocation(r, &w.directory, now)
            .unwrap_or_else(|e| panic!("a held revocation stopped verifying at {now}: {e}"));
    }
    set
}

#[test]
fn six_agencies_rotate_twice_and_the_court_renews_and_every_ledger_verifies() {
    let mut w = World::builder()
        .only(SIX)
        .not_after("superior-court", COURT_EXPIRES)
        .build();
    // The consents: the PC 1000 consent witnessed by the court (whose keys will all change),
    // the LEAD consent witnessed by the LEAD case manager.
    let consents = vec![
        ConsentBuilder::pc1000(&w)
            .witness(w.witness("superior-court"))
            .sign(&w)
            .unwrap()
            .as_bytes()
            .to_vec(),
        ConsentBuilder::lead(&w)
            .sign(&w)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ];
    let mut revocations: Vec<Vec<u8>> = Vec::new();

    let dir = tempfile::tempdir().unwrap();
    let mut ledgers: BTreeMap<&str, Ledger> = SIX
        .iter()
        .map(|id| {
            let l = Ledger::open(&dir.path().join(format!("{id}.sqlite")), id).unwrap();
            (*id, l)
        })
        .collect();

    let mut pending_rotations = rotations();
    let mut court_renewed = false;
    let (mut released, mut denied_by_consent) = (0usize, 0usize);
    let mut rotated: BTreeMap<&str, usize> = BTreeMap::new();

    let mut t = T0;
    while t <= T0 + DAYS * DAY {
        // Key changes due by now.
        if !court_renewed && t >= COURT_RENEWS {
            w.rotate("superior-court", COURT_RENEWS, None);
            court_renewed = true;
        }
        while let Some(&(at, id)) = pending_rotations.first() {
            if at > t {
                break;
            }
            pending_rotations.remove(0);
            w.rotate(id, at, Some("superseded"));
            *rotated.entry(id).or_default() += 1;
        }
        if revocations.is_empty() && t >= LEAD_REVOKED {
            revocations.push(
                RevocationStatement {
                    consent_id: "c-lead-0007".into(),
                    revoked_at: LEAD_REVOKED,
                    method: "written".into(),
                }
                .sign(&w.patient)
                .unwrap(),
            );
        }

        for (k, flow) in FLOWS.iter().enumerate() {
            let now = t + 600 * k as u64;
            let set = holdings(&w, &consents, &revocations, now);
            let record = (flow.record)();
            let subject = subject();
            let sealed = match divex_core::seal(
                w.key(flow.from),
                &w.directory,
                &set,
                &seal_request(flow.to, flow.purpose, flow.consent, &record, &subject),
                now,
            ) {
                Ok(s) => s,
                Err(DisclosureError::Denied {
                    reason: DenyReason::Revoked { .. },
                    ..
                }) if flow.consent == "c-lead-0007" && now >= LEAD_REVOKED => {
                    denied_by_consent += 1;
                    continue;
                }
                Err(e) => panic!(
                    "{} → {:?} refused at day {}: {e}",
                    flow.from,
                    flow.to,
                    (now - T0) / DAY
                ),
            };
            ledgers
                .get_mut(flow.from)
                .unwrap()
                .record_sent(&sealed, now)
                .unwrap();
            ledgers
                .get_mut(flow.from)
                .unwrap()
                .checkpoint(w.key(flow.from), now)
                .unwrap();
            for to in flow.to {
                let got = divex_core::open(
                    &sealed.envelope,
                    w.key(to),
                    &w.directory,
                    &set,
                    now + 60,
                    &OpenOptions::default(),
                )
                .unwrap_or_else(|e| {
                    panic!(
                        "{to} refused {}'s envelope at day {}: {e}",
                        flow.from,
                        (now - T0) / DAY
                    )
                });
                assert_eq!(got.record, record);
                let l = ledgers.get_mut(to).unwrap();
                l.record_received(&got, now + 60).unwrap();
                l.checkpoint(w.key(to), now + 60).unwrap();
                released += 1;
            }
        }
        t += STEP * DAY;
    }

    // Everything planned happened.
    assert!(pending_rotations.is_empty());
    assert!(court_renewed);
    for id in SIX {
        assert_eq!(rotated.get(id), Some(&2), "{id} rotated twice");
    }
    assert!(denied_by_consent > 0, "the revocation took effect");
    assert!(released > 100, "{released} disclosures released");

    // Every ledger verifies across its rotations: each checkpoint under the key certified
    // when it was signed.
    for (id, l) in &ledgers {
        let report = l
            .verify(&w.directory)
            .unwrap_or_else(|e| panic!("{id}'s ledger does not verify: {e}"));
        assert!(report.entries > 0, "{id} recorded nothing");
        assert_eq!(report.anchored_seq, report.entries, "{id}'s head is signed");
    }
}
