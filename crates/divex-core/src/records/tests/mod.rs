//! Unit tests of the record catalogue: schema well-formedness, the CDDL held to the
//! catalogue, and the test-only record type.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cddl;
mod test_only;

use std::collections::BTreeSet;

use super::error::printable_field_name;
use super::*;

#[test]
fn schemas_are_well_formed() {
    for rt in RecordType::ALL {
        let mut names = BTreeSet::new();
        for f in rt.schema() {
            assert!(names.insert(f.name), "{rt}.{} twice", f.name);
            assert!(!f.description.is_empty());
            assert_eq!(printable_field_name(f.name), f.name);
            if let Kind::Count { min, max, expected } = f.kind {
                assert!(min <= max, "{rt}.{}", f.name);
                let range = format!("from {min} to {max}");
                assert!(expected.ends_with(&range), "{rt}.{}: {expected}", f.name);
            }
            if let Kind::VocabularyList {
                tokens, expected, ..
            } = f.kind
            {
                let tokens = tokens.join(" ");
                assert!(
                    expected.ends_with(&format!("each one of {tokens}")),
                    "{rt}.{}",
                    f.name
                );
            }
        }
        assert!(rt.schema().iter().any(|f| f.required), "{rt}");
        assert_eq!(RecordType::parse(rt.as_str()), Some(rt));
    }
    assert!(RecordType::Referral.field("note").is_none());
}

#[test]
fn vocabulary_tokens_match_serde() {
    for s in Specimen::ALL {
        assert_eq!(codec::to_value(s).unwrap(), Value::from(s.as_str()));
        assert_eq!(Specimen::parse(s.as_str()), Some(*s));
    }
    assert_eq!(ReferralSource::Pc1000Order.as_str(), "pc1000_order");
    assert_eq!(AsamLevel::Level0_5.as_str(), "0.5");
    assert_eq!(AsamLevel::parse("0.5"), Some(AsamLevel::Level0_5));
    assert_eq!(AsamLevel::parse("Level0_5"), None);
    assert!(Specimen::EXPECTED.starts_with("a specimen type: one of urine oral_fluid"));
    assert_eq!(Specimen::NAME, "Specimen");
    assert_eq!(Specimen::TOKENS.len(), Specimen::ALL.len());
}
