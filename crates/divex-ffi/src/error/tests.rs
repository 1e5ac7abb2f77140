#![allow(clippy::unwrap_used)]

use std::fmt;

use divex_core::envelope::OpenError;
use divex_core::error::{Classified, ErrorCategory};

use super::*;

/// A core error of any category, with a class of its own.
#[derive(Debug)]
struct Probe(ErrorCategory);

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} failure", self.0)
    }
}

impl std::error::Error for Probe {}

impl Classified for Probe {
    fn category(&self) -> ErrorCategory {
        self.0
    }
    fn class(&self) -> &'static str {
        "probe_class"
    }
}

#[test]
fn every_category_has_its_own_variant_and_keeps_the_core_class() {
    let mut variants = Vec::new();
    for c in ErrorCategory::ALL {
        let e = DivexError::classified(&Probe(c), Some("superior-court".into()));
        assert_eq!(e.category(), c, "{e:?}");
        assert_eq!(e.code(), "probe_class");
        assert_eq!(e.to_string(), format!("a {c} failure"));
        if let DivexError::Denied { recipient, .. } = &e {
            assert_eq!(recipient, "superior-court");
        }
        variants.push(std::mem::discriminant(&e));
    }
    variants.dedup();
    assert_eq!(variants.len(), ErrorCategory::ALL.len());
}

#[test]
fn core_errors_arrive_with_their_own_class() {
    let e = DivexError::from(OpenError::BadSignature);
    assert_eq!(
        e,
        DivexError::Envelope {
            code: "bad_signature".into(),
            detail: OpenError::BadSignature.to_string(),
        }
    );
    let e = DivexError::from(divex_core::records::UnknownRecordType);
    assert_eq!(
        (e.category(), e.code()),
        (ErrorCategory::Input, "unknown_record_type")
    );
    let e = length("agency secret", 64, 5);
    assert_eq!(e.to_string(), "agency secret must be 64 bytes, got 5");
    assert_eq!((e.category(), e.code()), (ErrorCategory::Input, "length"));
}
