//! Shared helpers for the ledger tests: numbered entries about the fixtures' participant
//! (`divex_fixtures::subject`), sealed disclosures as `record_sent` takes them, and raw access
//! to the file.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use divex_core::consent::Subject;
use divex_core::envelope::ConsentRef;
use divex_core::keys::AgencyKeys;
use divex_core::records::Date;
use divex_core::records::RecordType;
use divex_core::testing::DateExt;
use divex_fixtures::{CJ_PURPOSE, agency, disclosure};
use divex_ledger::{Direction, Ledger, LedgerError, NewEntry, VerifyReport};

pub use divex_fixtures::{DAY, T0, subject};

/// The agency keeping the ledger.
pub const AGENCY: &str = "treatment-provider";
/// The consent every entry is made under (the fixtures' PC 1000 consent).
pub const CONSENT: &str = "c-pc1000-0001";

/// The agency's keys (seeded, so a child process can rebuild them).
pub fn keys() -> AgencyKeys {
    agency(AGENCY)
}

/// Another agency's keys.
pub fn other_keys() -> AgencyKeys {
    agency("superior-court")
}

/// A second participant.
pub fn sam() -> Subject {
    Subject {
        name: "Sam Okafor".into(),
        date_of_birth: Date::parse("1988-11-02").expect("date"),
    }
}

/// The `i`-th test entry: alternately sent and received, a day apart, unique envelope ids.
pub fn entry(i: u64) -> NewEntry {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&i.to_be_bytes());
    let envelope_id = divex_core::envelope::EnvelopeId(id);
    NewEntry {
        time: T0 + i * DAY,
        direction: if i.is_multiple_of(2) {
            Direction::Sent
        } else {
            Direction::Received
        },
        counterparty: if i.is_multiple_of(3) {
            "district-attorney".into()
        } else {
            "superior-court".into()
        },
        subject: subject(),
        record_types: vec![RecordType::DrugTest],
        purpose: CJ_PURPOSE.clone(),
        consent_id: CONSENT.into(),
        envelope_id,
        envelope_hash: [i as u8; 32],
        receipt: None,
    }
}

/// A fresh ledger file in `dir` with entries 1..=n.
pub fn ledger_with(dir: &Path, n: u64) -> (PathBuf, Ledger) {
    let path = dir.join("agency.ledger");
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    for i in 1..=n {
        let e = l.append(&entry(i)).unwrap();
        assert_eq!(e.seq, i);
    }
    (path, l)
}

/// A raw SQL connection to the file, as a person with `sqlite3` has.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// The seq and reason of a `Tampered` verification failure.
pub fn tampered(r: Result<VerifyReport, LedgerError>) -> (u64, String) {
    match r {
        Err(LedgerError::Tampered { seq, reason }) => (seq, reason),
        other => panic!("expected Tampered, got {other:?}"),
    }
}

/// The range (`from`, `seq`) of a `Forked` verification failure, checking that its message
/// names it.
pub fn forked(r: Result<VerifyReport, LedgerError>) -> (u64, u64) {
    match r {
        Err(e @ LedgerError::Forked { from, seq, .. }) => {
            assert!(
                e.to_string().contains(&format!("between {from} and {seq}")),
                "{e}"
            );
            (from, seq)
        }
        other => panic!("expected Forked, got {other:?}"),
    }
}

/// A directory certifying [`AGENCY`] with [`keys`] (and the superior court with
/// [`other_keys`]) from a year before [`T0`] to three years after it.
pub fn directory() -> divex_core::directory::Directory {
    divex_fixtures::World::builder()
        .seeded(divex_fixtures::Seeds::label("ledger tests"))
        .only([AGENCY, "superior-court"])
        .build()
        .directory
}

/// Verifies against [`directory`] (every checkpoint and the high-water mark under the key
/// certified at its time).
pub fn verify(l: &Ledger) -> Result<VerifyReport, LedgerError> {
    l.verify(&directory())
}

/// A sealed disclosure of test entry `i`'s envelope to `recipients`, as
/// `divex_core::seal` returns it (the envelope bytes are not needed here).
pub fn sealed(i: u64, recipients: &[&str]) -> divex_core::Sealed {
    use divex_core::consent::{NoticeForm, Redisclosure};
    use divex_core::decision::{Obligations, Permit};
    let permit = Permit {
        consent_id: CONSENT.into(),
        consent_digest: [0; 32],
        obligations: Obligations {
            notice: Some(NoticeForm::Short),
            attach_consent: true,
            labels: vec![],
            redisclosure: Redisclosure::CjOfficialDutiesOnly,
            use_restrictions: vec![],
            redactions: vec![],
        },
    };
    divex_core::Sealed {
        envelope: vec![],
        metadata: divex_core::envelope::Metadata {
            envelope_id: entry(i).envelope_id,
            issued_at: T0,
            audience: vec![],
            disclosure: divex_core::envelope::Disclosure {
                consent: ConsentRef {
                    id: CONSENT.into(),
                    digest: [0; 32],
                },
                ..disclosure(RecordType::DrugTest)
            },
            ledger_head: None,
        },
        envelope_hash: [i as u8; 32],
        subject: subject(),
        permits: recipients
            .iter()
            .map(|r| ((*r).to_owned(), permit.clone()))
            .collect(),
    }
}
