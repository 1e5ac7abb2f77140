//! The tokens every layer speaks: purposes of use, security labels, §2.32 notice codes and
//! record field names (spec/envelope.md §2.3); and [`Vocabulary`], the trait of every closed
//! token set.
//!
//! Each is its own type, so a purpose cannot be passed where a label is expected, and the
//! values the law makes divex attach are constants ([`SecurityLabel::PART2`],
//! [`NoticeCode::PART2_SHORT`], ...): a misspelt label does not compile. Every value is a
//! **token** — 1 to 64 bytes of `A-Z a-z 0-9 . _ : -` — checked when it is made, so a value of
//! these types is always one the envelope can carry. They compare, sort and serialise as their
//! text (bytewise order, the order the envelope's token lists use).
//!
//! ```
//! use divex_core::vocab::{Purpose, SecurityLabel};
//!
//! let purpose: Purpose = "cj-monitor-conditional-release".parse()?;
//! assert_eq!(purpose.as_str(), "cj-monitor-conditional-release");
//! assert!("two words".parse::<Purpose>().is_err());
//! assert_eq!(SecurityLabel::PART2.as_str(), "42CFRPart2");
//! # Ok::<(), divex_core::vocab::InvalidToken>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest token, in bytes.
pub(crate) const MAX_TOKEN_LEN: usize = 64;

/// Whether `s` is 1 to `max` bytes of `A-Z a-z 0-9 . _ : -`.
pub(crate) const fn is_token(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > max {
        return false;
    }
    let mut rest = b;
    while let [c, tail @ ..] = rest {
        if !(c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_' || *c == b':' || *c == b'-') {
            return false;
        }
        rest = tail;
    }
    true
}

/// A value that is not a token. It names what was expected, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be a token: 1-64 characters of A-Z a-z 0-9 . _ : -")]
pub struct InvalidToken {
    /// What the value was meant to be, e.g. "a purpose of use".
    pub what: &'static str,
}

/// A closed vocabulary: an enum serialised as one of a fixed set of text tokens. Every closed
/// token set of the protocol implements it — the record catalogue's vocabularies
/// (`records::Specimen`, ...), and [`RecordType`](crate::records::RecordType),
/// [`Tier`](crate::records::Tier), [`Role`](crate::directory::Role), the keystore's
/// [`KdfProfile`](crate::keystore::KdfProfile) and [`KeystoreKind`](crate::keystore::KeystoreKind),
/// and [`FileKind`](crate::inspect::FileKind) — so a value's token is always `as_str()` and
/// text is always read with `parse()`, with this trait in scope.
///
/// ```
/// use divex_core::records::Specimen;
/// use divex_core::vocab::Vocabulary;
///
/// assert_eq!(Specimen::parse("oral_fluid"), Some(Specimen::OralFluid));
/// assert_eq!(Specimen::OralFluid.as_str(), "oral_fluid");
/// assert_eq!(Specimen::ALL.len(), Specimen::TOKENS.len());
/// assert!(Specimen::EXPECTED.starts_with("a specimen type: one of urine"));
/// ```
pub trait Vocabulary: Copy + Eq + Ord + fmt::Debug + fmt::Display + Sized + 'static {
    /// The enum's name, e.g. `Specimen`; a record vocabulary's rule in spec/records.cddl is
    /// the name in kebab case (`specimen`, `referral-source`).
    const NAME: &'static str;
    /// Every value, in vocabulary order.
    const ALL: &'static [Self];
    /// Every value's token, in vocabulary order.
    const TOKENS: &'static [&'static str];
    /// What a field of this vocabulary must hold, as error messages say it: `a specimen
    /// type: one of urine oral_fluid …`.
    const EXPECTED: &'static str;

    /// The value's token (its CBOR text).
    fn as_str(&self) -> &'static str;

    /// The value with token `s`, if any.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// Defines a token type: a validated text newtype with constructors, `Display`, `FromStr`
/// and serde as its text.
macro_rules! token_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Cow<'static, str>);

        impl $name {
            /// The value, if `text` is a token (the API reads text with `str::parse`).
            pub(crate) fn new(text: impl Into<String>) -> Result<$name, InvalidToken> {
                let text = text.into();
                if is_token(&text, MAX_TOKEN_LEN) {
                    Ok($name(Cow::Owned(text)))
                } else {
                    Err(InvalidToken { what: $what })
                }
            }

            /// A constant value. Evaluated in a `const`, a non-token fails the build.
            ///
            /// # Panics
            ///
            /// At run time, if `text` is not a token (parse input with `str::parse`).
            pub const fn from_static(text: &'static str) -> $name {
                assert!(is_token(text, MAX_TOKEN_LEN), concat!("not a token: ", $what));
                $name(Cow::Borrowed(text))
            }

            /// The token's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidToken;
            fn from_str(s: &str) -> Result<$name, InvalidToken> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidToken;
            fn try_from(s: &str) -> Result<$name, InvalidToken> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidToken;
            fn try_from(s: String) -> Result<$name, InvalidToken> {
                $name::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                *self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                *self.0 == **other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                *self.0 == **other
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                // The message names the kind of value, never the value.
                $name::new(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

token_type!(
    /// A purpose of use (42 CFR §2.31(a)(5)), e.g. `cj-monitor-conditional-release`: the
    /// envelope carries it, a consent lists the purposes it permits, and the engine matches
    /// them exactly.
    Purpose,
    "a purpose of use"
);

token_type!(
    /// A DS4P-style security label carried in the envelope's signed header (spec/envelope.md
    /// §2.3). The labels the law makes divex attach are the constants below; a recipient
    /// accepts any token a sender signed.
    SecurityLabel,
    "a security label"
);

impl SecurityLabel {
    /// The data is protected by 42 CFR Part 2.
    pub const PART2: SecurityLabel = SecurityLabel::from_static("42CFRPart2");
    /// 42 CFR §2.12(d): no use to investigate or prosecute the patient.
    pub const NO_CRIMINAL_USE: SecurityLabel = SecurityLabel::from_static("no-criminal-use");
    /// LEAD: nothing shared may be used for adverse action against the participant.
    pub const NO_ADVERSE_ACTION: SecurityLabel = SecurityLabel::from_static("no-adverse-action");
    /// Redisclosure prohibited (§2.32).
    pub const REDISCLOSURE_PROHIBITED: SecurityLabel =
        SecurityLabel::from_static("redisclosure-prohibited");
    /// Redisclosure only to carry out official duties on the case (§2.35(d)).
    pub const REDISCLOSURE_CJ_DUTIES: SecurityLabel =
        SecurityLabel::from_static("redisclosure-cj-official-duties");
}

token_type!(
    /// The code of the 42 CFR §2.32 notice that accompanies a disclosure (the envelope's
    /// notice header).
    NoticeCode,
    "a notice code"
);

impl NoticeCode {
    /// The short §2.32(a)(2) statement.
    pub const PART2_SHORT: NoticeCode = NoticeCode::from_static("part2-notice-short");
    /// The long §2.32(a)(1) statement.
    pub const PART2_LONG: NoticeCode = NoticeCode::from_static("part2-notice-long");
    /// No §2.32 notice: the record is not a Part 2 record.
    pub const NO_PART2_NOTICE: NoticeCode = NoticeCode::from_static("no-part2-notice");
}

token_type!(
    /// The name of a record field (spec/records.md), as a consent's field allow-list and an
    /// envelope's redaction list name it.
    FieldName,
    "a field name"
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_when_made() {
        for ok in ["a", "42CFRPart2", "x.y_z:w-1", &"a".repeat(64)] {
            assert!(Purpose::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "two words", "é", "a/b", &"a".repeat(65), "tab\t"] {
            let e = SecurityLabel::new(bad).unwrap_err();
            assert_eq!(e.what, "a security label");
            assert!(!e.to_string().contains(bad) || bad.is_empty());
        }
    }

    #[test]
    fn order_is_bytewise_as_the_envelope_sorts() {
        let mut v = [
            SecurityLabel::NO_CRIMINAL_USE,
            SecurityLabel::PART2,
            SecurityLabel::new("Z").unwrap(),
        ];
        v.sort();
        let texts: Vec<&str> = v.iter().map(SecurityLabel::as_str).collect();
        assert_eq!(texts, ["42CFRPart2", "Z", "no-criminal-use"]);
    }

    #[test]
    fn serde_is_the_text_and_validates() {
        let v = crate::codec::to_value(&NoticeCode::PART2_SHORT).unwrap();
        assert_eq!(v.as_text(), Some("part2-notice-short"));
        let back: NoticeCode = crate::codec::from_value(&v).unwrap();
        assert_eq!(back, NoticeCode::PART2_SHORT);
        let bad = crate::codec::Value::from("not a token");
        assert!(crate::codec::from_value::<NoticeCode>(&bad).is_err());
    }
}

crate::error::classified!(InvalidToken, Input, |_e| "invalid_token");
