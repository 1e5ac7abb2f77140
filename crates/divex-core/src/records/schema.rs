//! What the catalogue says about a field: its sensitivity [`Tier`], its [`Kind`] (the value it
//! holds and the bounds it must keep) and its [`FieldSpec`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::vocabularies::{TestResult, Vocabulary};

/// Sensitivity tier (DOMAIN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Participation: reveals that the person is in SUD treatment.
    T1,
    /// Compliance detail (tests, intake, progress).
    T2,
    /// Clinical detail, denied to justice recipients by default.
    T3,
    /// Justice data flowing to treatment.
    Cj,
    /// LEAD case-management data; carries the `no_adverse_action` restriction.
    Lead,
}

/// The tiers' tokens: `t1`, `t2`, `t3`, `cj` and `lead`.
impl Vocabulary for Tier {
    const NAME: &'static str = "Tier";
    const ALL: &'static [Tier] = &[Tier::T1, Tier::T2, Tier::T3, Tier::Cj, Tier::Lead];
    const TOKENS: &'static [&'static str] = &["t1", "t2", "t3", "cj", "lead"];
    const EXPECTED: &'static str = "a tier: one of t1 t2 t3 cj lead";

    fn as_str(&self) -> &'static str {
        match self {
            Tier::T1 => "t1",
            Tier::T2 => "t2",
            Tier::T3 => "t3",
            Tier::Cj => "cj",
            Tier::Lead => "lead",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a field holds (spec/records.md §3): its CBOR type and the bounds that the field's
/// own checks apply. The Rust type of the field follows from its kind (text kinds are
/// `String`, `Date` is [`Date`](super::Date), a count `u32`, a timestamp `u64`, a
/// vocabulary its enum, lists `Vec`s).
///
/// Deliberately not `#[non_exhaustive]`: every front end that carries records (the bindings'
/// typed records and their field kinds) matches it exhaustively, so a new kind fails to
/// compile there instead of falling into a catch-all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Non-empty text of at most [`MAX_SHORT_TEXT`](super::MAX_SHORT_TEXT) bytes without
    /// control characters.
    ShortText,
    /// Non-empty text of at most [`MAX_SUMMARY_TEXT`](super::MAX_SUMMARY_TEXT) bytes; line
    /// breaks and tabs are the only control characters allowed.
    SummaryText,
    /// Non-empty text of at most [`MAX_NOTE_TEXT`](super::MAX_NOTE_TEXT) bytes; line breaks
    /// and tabs are the only control characters allowed.
    NoteText,
    /// A calendar date, text `YYYY-MM-DD`.
    Date,
    /// An unsigned count from `min` to `max`.
    Count {
        /// The least value allowed.
        min: u32,
        /// The greatest value allowed.
        max: u32,
        /// What validation says a value outside the range must be.
        expected: &'static str,
    },
    /// Seconds since the Unix epoch (UTC), at most [`MAX_TIMESTAMP`](super::MAX_TIMESTAMP).
    Timestamp,
    /// `true` or `false`.
    Bool,
    /// One token of a closed vocabulary.
    Vocabulary {
        /// The vocabulary's enum name ([`Vocabulary::NAME`]).
        name: &'static str,
        /// Its tokens.
        tokens: &'static [&'static str],
        /// What a value must be ([`Vocabulary::EXPECTED`]).
        expected: &'static str,
    },
    /// A list of short texts: when present non-empty, at most
    /// [`MAX_LIST_ITEMS`](super::MAX_LIST_ITEMS) items, each at most once.
    TextList,
    /// A list of tokens of one vocabulary: when present non-empty, at most
    /// [`MAX_LIST_ITEMS`](super::MAX_LIST_ITEMS) items, each at most once.
    VocabularyList {
        /// The vocabulary's enum name.
        name: &'static str,
        /// Its tokens.
        tokens: &'static [&'static str],
        /// What a value must be.
        expected: &'static str,
    },
    /// A non-empty list of ICD-10-CM codes, each at most once.
    CodeList,
    /// A drug test's per-analyte results: at most [`MAX_LIST_ITEMS`](super::MAX_LIST_ITEMS)
    /// `{analyte, result}` maps ([`AnalyteResult`]), each analyte at most once; may be empty.
    AnalyteResults,
}

impl Kind {
    /// The kind of a field holding one value of vocabulary `V`.
    pub(crate) const fn vocabulary<V: Vocabulary>() -> Kind {
        Kind::Vocabulary {
            name: V::NAME,
            tokens: V::TOKENS,
            expected: V::EXPECTED,
        }
    }

    /// The kind of a field holding a list of values of vocabulary `V`; `expected` is what
    /// the shape check says a value must be.
    pub(crate) const fn vocabulary_list<V: Vocabulary>(expected: &'static str) -> Kind {
        Kind::VocabularyList {
            name: V::NAME,
            tokens: V::TOKENS,
            expected,
        }
    }

    /// The kind's token: `short_text`, `summary_text`, `note_text`, `date`, `count`,
    /// `timestamp`, `bool`, `vocabulary`, `text_list`, `vocabulary_list`, `code_list` or
    /// `analyte_results`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::ShortText => "short_text",
            Kind::SummaryText => "summary_text",
            Kind::NoteText => "note_text",
            Kind::Date => "date",
            Kind::Count { .. } => "count",
            Kind::Timestamp => "timestamp",
            Kind::Bool => "bool",
            Kind::Vocabulary { .. } => "vocabulary",
            Kind::TextList => "text_list",
            Kind::VocabularyList { .. } => "vocabulary_list",
            Kind::CodeList => "code_list",
            Kind::AnalyteResults => "analyte_results",
        }
    }
}

/// One analyte's result in a [`DrugTest`](super::DrugTest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyteResult {
    /// The analyte or drug class, e.g. `fentanyl`.
    pub analyte: String,
    /// The result.
    pub result: TestResult,
}

/// One field of a record type's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's name, its CBOR map key.
    pub name: &'static str,
    /// The field's sensitivity tier.
    pub tier: Tier,
    /// Whether every record of the type carries the field (required fields cannot be
    /// redacted).
    pub required: bool,
    /// What the field holds, for people.
    pub description: &'static str,
    /// What the field holds, for programs: its CBOR type and bounds.
    pub kind: Kind,
}
