//! Shared helpers for the ledger tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use divex_core::consent::Subject;
use divex_core::keys::AgencyKeys;
use divex_core::records::Date;
use divex_core::records::RecordType;
use divex_core::testing::{AgencyKeysExt, DateExt};
use divex_core::vocab::Purpose;
use divex_ledger::{Direction, Ledger, LedgerError, NewEntry, VerifyReport};

pub const AGENCY: &str = "treatment-provider";
/// 2026-09-21.
pub const T0: u64 = 1_790_000_000;
pub const DAY: u64 = 86_400;

/// The agency's keys (fixed, so a child process can rebuild them).
pub fn keys() -> AgencyKeys {
    AgencyKeys::from_secret_bytes(&[7u8; 64])
}

/// Another agency's keys.
pub fn other_keys() -> AgencyKeys {
    AgencyKeys::from_secret_bytes(&[8u8; 64])
}

pub fn jordan() -> Subject {
    Subject {
        name: "Jordan Avery Reyes".into(),
        date_of_birth: Date::parse("1994-03-14").expect("date"),
    }
}

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
    let envelope_id = divex_core::testing::envelope::EnvelopeId(id);
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
        subject: jordan(),
        record_types: vec![RecordType::DrugTest],
        purpose: Purpose::from_static("cj-monitor-conditional-release"),
        consent_id: "c-pc1000-0001".into(),
        envelope_id,
        envelope_hash: [i as u8; 32],
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

/// Verifies with the agency's key.
pub fn verify(l: &Ledger) -> Result<VerifyReport, LedgerError> {
    l.verify(keys().public().signing())
}

/// A sealed disclosure of test entry `i`'s envelope to `recipients`, as
/// `divex_core::seal` returns it (the envelope bytes are not needed here).
pub fn sealed(i: u64, recipients: &[&str]) -> divex_core::Sealed {
    use divex_core::consent::{NoticeForm, Redisclosure};
    use divex_core::decision::{Obligations, Permit};
    let permit = Permit {
        consent_id: "c-pc1000-0001".into(),
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
        metadata: divex_core::testing::envelope::Metadata {
            envelope_id: entry(i).envelope_id,
            issued_at: T0,
            audience: vec![],
            disclosure: divex_core::testing::envelope::Disclosure {
                purpose: Purpose::from_static("cj-monitor-conditional-release"),
                consent: divex_core::testing::envelope::ConsentRef {
                    id: "c-pc1000-0001".into(),
                    digest: [0; 32],
                },
                record_type: RecordType::DrugTest,
                labels: vec![],
                notice: divex_core::vocab::NoticeCode::PART2_SHORT,
                redacted: vec![],
            },
        },
        envelope_hash: [i as u8; 32],
        subject: jordan(),
        permits: recipients
            .iter()
            .map(|r| ((*r).to_owned(), permit.clone()))
            .collect(),
    }
}

pub const PURPOSE: &str = "cj-monitor-conditional-release";
pub const CONSENT: &str = "c-pc1000-0001";
