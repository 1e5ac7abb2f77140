//! The core's open vocabularies as they cross the boundary: text on the foreign side (a
//! `String`, a Kotlin `typealias`), the core's checked token types on this side.
//!
//! Purposes of use, security labels, §2.32 notice codes and field names are open vocabularies
//! (any token a sender signed is valid), so they cannot be enums. Each is a
//! `uniffi::custom_type!` over `String` whose lift is the core's own constructor. A value the
//! core refuses fails the lift with the core's error as a [`DivexError`], which uniffi raises
//! as that error (category input, class `invalid_token`) for every fallible call — and every
//! call that takes one of these types is fallible. (A record that carries one and exports a
//! trait such as `Display` would make that trait call fail on a bad value; none does.)
//!
//! Dates stay text where they cross (a subject's date of birth, a typed record's date fields)
//! and are read with the core's date parser by the call that uses them, for the same reason
//! and so that a record's bad date is the record's field-named error.

use std::str::FromStr;

use divex_core::vocab::{FieldName, NoticeCode, Purpose, SecurityLabel};

use crate::error::DivexError;

/// A custom type over `String` lifted by the core's checked constructor `$parse`.
macro_rules! text_type {
    ($(#[doc = $doc:literal])* $t:ident, $parse:path) => {
        uniffi::custom_type!($(#[doc = $doc])* $t, String, {
            remote,
            try_lift: |text| Ok($parse(&text).map_err(DivexError::from)?),
            lower: |value| value.to_string(),
        });
    };
}

text_type!(
    /// A purpose of use (a token, e.g. `cj-monitor-conditional-release`).
    Purpose,
    Purpose::from_str
);
text_type!(
    /// A security label (a token, e.g. `42CFRPart2`).
    SecurityLabel,
    SecurityLabel::from_str
);
text_type!(
    /// A §2.32 notice code (a token, e.g. `part2-notice-short`).
    NoticeCode,
    NoticeCode::from_str
);
text_type!(
    /// A record field name (a token, e.g. `cumulative_hours_tenths`).
    FieldName,
    FieldName::from_str
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use divex_core::error::ErrorCategory;
    use uniffi::{Lift, Lower};

    use super::*;
    use crate::UniFfiTag;

    /// What a foreign caller's text becomes on this side of the boundary.
    fn lift<T: Lift<UniFfiTag> + Lower<UniFfiTag>>(text: &str) -> uniffi::Result<T> {
        let mut buf = Vec::new();
        <String as Lower<UniFfiTag>>::write(text.to_owned(), &mut buf);
        <T as Lift<UniFfiTag>>::try_read(&mut buf.as_slice())
    }

    #[test]
    fn good_values_cross_and_bad_ones_fail_as_the_core_refuses_them() {
        let p: Purpose = lift("cj-monitor-conditional-release").unwrap();
        assert_eq!(p.as_str(), "cj-monitor-conditional-release");

        let bad = lift::<Purpose>("two words").unwrap_err();
        let e = bad.downcast::<DivexError>().unwrap();
        assert_eq!(
            (e.category(), e.code()),
            (ErrorCategory::Input, "invalid_token")
        );
        assert_eq!(
            e.to_string(),
            "a purpose of use must be a token: 1-64 characters of A-Z a-z 0-9 . _ : -"
        );
        assert!(lift::<SecurityLabel>("").is_err());
        assert!(lift::<NoticeCode>("a/b").is_err());
        assert!(lift::<FieldName>("é").is_err());
    }
}
