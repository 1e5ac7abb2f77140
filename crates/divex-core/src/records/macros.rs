//! The catalogue macro: [`define_records!`] turns the one declaration of every record type
//! (`catalogue.rs`) into the code that used to be written per type by hand — after
//! RustCrypto's `#[derive(Sequence)]` (each field declared once) and rustls' `enum_builder!`.
//!
//! From each catalogue entry it generates:
//!
//! * the record struct: one public field per entry, its type derived from the field's kind
//!   (and `Option<_>` when optional), serde encoding only present fields;
//! * its schema table (`SCHEMA`: name, tier, required, description, [`Kind`]);
//! * `new` with the fields the entry sets by `new`, and one hidden `with_*` builder per other
//!   (setting an optional value, or adding one item to a list);
//! * `validate`: every field's own checks in schema order ([`FieldValue`]), then the type's
//!   cross-field rules (`rules.rs`, named by the entry's `rules:`);
//! * its period (the entry's `period:` fields) and its arm of [`RecordType`] and [`Record`]:
//!   `ALL`, `as_str`, `schema`, `From<T> for Record`, `record_type`, the dispatch that
//!   `Record`'s methods use, and decoding.
//!
//! A field's kind is written as in the catalogue (`short_text`, `summary_text`,
//! `note_text`, `date`, `count(min, max, "expected")`, `timestamp`, `bool`,
//! `vocabulary(Enum)`, `text_list`, `vocabulary_list(Enum, "expected")`, `code_list`,
//! `analyte_results`); the helper macros below map it to a Rust type, a [`Kind`] value, a
//! `new` parameter and a builder.
//!
//! [`Kind`]: super::Kind
//! [`FieldValue`]: super::checks::FieldValue
//! [`RecordType`]: super::RecordType
//! [`Record`]: super::Record

use super::Date;
use super::vocabularies::Vocabulary;

/// Whether a field value is absent (an unset optional field), for serde's
/// `skip_serializing_if`: an absent optional field is omitted, never `null`. Required
/// fields are never absent.
pub(super) trait Presence {
    /// Whether the value is an absent optional field.
    fn is_absent(&self) -> bool {
        false
    }
}

impl<T> Presence for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl Presence for String {}
impl Presence for Date {}
impl Presence for u32 {}
impl Presence for u64 {}
impl Presence for bool {}
impl<T> Presence for Vec<T> {}
impl<V: Vocabulary> Presence for V {}

/// A list field, required (`Vec<T>`) or optional (`Option<Vec<T>>`), that a builder adds
/// one item to.
pub(super) trait ListField<T> {
    /// Appends `item`, making an absent optional list present.
    fn push_item(&mut self, item: T);
}

impl<T> ListField<T> for Vec<T> {
    fn push_item(&mut self, item: T) {
        self.push(item);
    }
}

impl<T> ListField<T> for Option<Vec<T>> {
    fn push_item(&mut self, item: T) {
        self.get_or_insert_with(Vec::new).push(item);
    }
}

/// A field that can date a record for its period: a date, an optional date, or a timestamp
/// (its UTC date; none when out of range).
pub(super) trait PeriodDate {
    /// The date the field gives, if any.
    fn period_date(&self) -> Option<Date>;
}

impl PeriodDate for Date {
    fn period_date(&self) -> Option<Date> {
        Some(*self)
    }
}

impl PeriodDate for Option<Date> {
    fn period_date(&self) -> Option<Date> {
        *self
    }
}

impl PeriodDate for u64 {
    fn period_date(&self) -> Option<Date> {
        Date::from_unix_seconds(*self)
    }
}

/// The Rust type of a value of a kind.
macro_rules! value_type {
    (short_text) => { String };
    (summary_text) => { String };
    (note_text) => { String };
    (date) => { $crate::records::Date };
    (count $args:tt) => { u32 };
    (timestamp) => { u64 };
    (bool) => { bool };
    (vocabulary($v:ident)) => { $v };
    (text_list) => { Vec<String> };
    (vocabulary_list($v:ident, $expected:literal)) => { Vec<$v> };
    (code_list) => { Vec<String> };
    (analyte_results) => { Vec<$crate::records::AnalyteResult> };
}

/// The Rust type of a field: its value type, in an `Option` when optional.
macro_rules! field_type {
    (required $($kind:tt)+) => { value_type!($($kind)+) };
    (optional $($kind:tt)+) => { Option<value_type!($($kind)+)> };
}

/// The [`Kind`](super::Kind) value of a kind.
macro_rules! kind {
    (short_text) => {
        $crate::records::Kind::ShortText
    };
    (summary_text) => {
        $crate::records::Kind::SummaryText
    };
    (note_text) => {
        $crate::records::Kind::NoteText
    };
    (date) => {
        $crate::records::Kind::Date
    };
    (count($min:expr, $max:expr, $expected:literal)) => {
        $crate::records::Kind::Count {
            min: $min,
            max: $max,
            expected: $expected,
        }
    };
    (timestamp) => {
        $crate::records::Kind::Timestamp
    };
    (bool) => {
        $crate::records::Kind::Bool
    };
    (vocabulary($v:ident)) => {
        $crate::records::Kind::vocabulary::<$v>()
    };
    (text_list) => {
        $crate::records::Kind::TextList
    };
    (vocabulary_list($v:ident, $expected:literal)) => {
        $crate::records::Kind::vocabulary_list::<$v>($expected)
    };
    (code_list) => {
        $crate::records::Kind::CodeList
    };
    (analyte_results) => {
        $crate::records::Kind::AnalyteResults
    };
}

/// A field's CBOR name: the Rust name, or the one given with `as` (`is_final as "final"`).
macro_rules! field_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident as $wire:literal) => {
        $wire
    };
}

/// Whether a presence is `required`.
macro_rules! is_required {
    (required) => {
        true
    };
    (optional) => {
        false
    };
}

/// The type of a `new` parameter for a field of a kind: text as `impl Into<String>`, a list
/// of text as any iterable of them, anything else as its value type.
macro_rules! new_param {
    (short_text) => { impl Into<String> };
    (summary_text) => { impl Into<String> };
    (note_text) => { impl Into<String> };
    (text_list) => { impl IntoIterator<Item = impl Into<String>> };
    (code_list) => { impl IntoIterator<Item = impl Into<String>> };
    (vocabulary_list($v:ident, $expected:literal)) => { impl IntoIterator<Item = $v> };
    ($($kind:tt)+) => { value_type!($($kind)+) };
}

/// The field value of a `new` parameter (see `new_param!`).
macro_rules! new_value {
    ($p:ident; text_list) => {
        $p.into_iter().map(Into::into).collect()
    };
    ($p:ident; code_list) => {
        $p.into_iter().map(Into::into).collect()
    };
    ($p:ident; vocabulary_list $args:tt) => {
        $p.into_iter().collect()
    };
    ($p:ident; $($kind:tt)+) => {
        $p.into()
    };
}

/// `new`: a muncher over the fields, collecting the parameters (fields set by `new`) and the
/// initialisers (the others start absent, or empty for a required list built by a builder).
macro_rules! record_new {
    ($token:literal; [$($params:tt)*] [$($inits:tt)*];) => {
        #[doc = concat!(
            "A `", $token, "` record with its fields set on creation; the other fields start \
             absent (or empty) and are set directly, e.g. with struct update syntax."
        )]
        pub fn new($($params)*) -> Self {
            Self { $($inits)* }
        }
    };
    ($token:literal; [$($params:tt)*] [$($inits:tt)*];
        $field:ident $presence:ident new ($($kind:tt)+); $($rest:tt)*) => {
        record_new!($token;
            [$($params)* $field: new_param!($($kind)+),]
            [$($inits)* $field: new_value!($field; $($kind)+),];
            $($rest)*);
    };
    ($token:literal; [$($params:tt)*] [$($inits:tt)*];
        $field:ident optional $builder:ident ($($kind:tt)+); $($rest:tt)*) => {
        record_new!($token; [$($params)*] [$($inits)* $field: None,]; $($rest)*);
    };
    ($token:literal; [$($params:tt)*] [$($inits:tt)*];
        $field:ident required $builder:ident ($($kind:tt)+); $($rest:tt)*) => {
        record_new!($token; [$($params)*] [$($inits)* $field: Vec::new(),]; $($rest)*);
    };
}

/// The builder of one field: none for a field set by `new`; for a list, one that adds an
/// item (an analyte result is two arguments); otherwise one that sets the optional value.
///
/// The builders are **not API** (`#[doc(hidden)]`): a record is plain data whose fields are
/// public, built with `new` and struct update syntax (`DrugTest { confirmation: Some(..),
/// ..DrugTest::new(..) }`). They stay as a convenience for divex's own tests and vector
/// generators, and may change without notice.
macro_rules! builder {
    ($field:ident, $presence:ident, new, $description:literal, $($kind:tt)+) => {};
    ($field:ident, $presence:ident, $builder:ident, $description:literal, analyte_results) => {
        #[doc = concat!("Adds one item to `", stringify!($field), "` (", $description, ").")]
        #[doc(hidden)]
        pub fn $builder(
            mut self,
            analyte: impl Into<String>,
            result: $crate::records::TestResult,
        ) -> Self {
            $crate::records::macros::ListField::push_item(
                &mut self.$field,
                $crate::records::AnalyteResult { analyte: analyte.into(), result },
            );
            self
        }
    };
    ($field:ident, $presence:ident, $builder:ident, $description:literal,
        vocabulary_list($v:ident, $expected:literal)) => {
        builder!(@push $field, $builder, $description, $v);
    };
    ($field:ident, $presence:ident, $builder:ident, $description:literal, text_list) => {
        builder!(@push $field, $builder, $description, impl Into<String>);
    };
    ($field:ident, $presence:ident, $builder:ident, $description:literal, code_list) => {
        builder!(@push $field, $builder, $description, impl Into<String>);
    };
    ($field:ident, optional, $builder:ident, $description:literal, $($kind:tt)+) => {
        #[doc = concat!("Sets `", stringify!($field), "` (", $description, ").")]
        #[doc(hidden)]
        pub fn $builder(mut self, value: new_param!($($kind)+)) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@push $field:ident, $builder:ident, $description:literal, $item:ty) => {
        #[doc = concat!("Adds one item to `", stringify!($field), "` (", $description, ").")]
        #[doc(hidden)]
        pub fn $builder(mut self, item: $item) -> Self {
            $crate::records::macros::ListField::push_item(&mut self.$field, item.into());
            self
        }
    };
}

/// The period of a record: none without `period:` fields; otherwise from the first field's
/// date through the second's (or the first's, when there is no second or it is absent),
/// earliest first.
macro_rules! period {
    ($r:expr) => {
        None
    };
    ($r:expr, $first:ident $(, $last:ident)?) => {{
        use $crate::records::macros::PeriodDate;
        let first = $r.$first.period_date()?;
        let last = None$(.or($r.$last.period_date()))?.unwrap_or(first);
        Some((first.min(last), first.max(last)))
    }};
}

/// Generates every record type of the catalogue; invoked as the callback of
/// `record_catalogue!` (see the module documentation).
macro_rules! define_records {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        $Type:ident {
            token: $token:literal,
            summary: $summary:literal,
            $(period: ($($period:ident),+),)?
            $(rules: $rules:ident,)?
            fields: {$(
                $(#[doc = $fdoc:literal])*
                $field:ident $(as $wire:literal)?:
                    $presence:ident $kind:ident $(($($karg:tt)*))?,
                    $tier:ident, $builder:ident, $description:literal;
            )+}
        }
    )+) => {
        $(
            $(#[doc = $doc])*
            $(#[cfg($cfg)])?
            #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            pub struct $Type {$(
                $(#[doc = $fdoc])*
                $(#[serde(rename = $wire)])?
                #[serde(skip_serializing_if = "crate::records::macros::Presence::is_absent")]
                pub $field: field_type!($presence $kind $(($($karg)*))?),
            )+}

            $(#[cfg($cfg)])?
            impl $Type {
                /// Every field of the type, in schema order (spec/records.md §4).
                pub(super) const SCHEMA: &'static [$crate::records::FieldSpec] = &[$(
                    $crate::records::FieldSpec {
                        name: field_name!($field $(as $wire)?),
                        tier: $crate::records::Tier::$tier,
                        required: is_required!($presence),
                        description: $description,
                        kind: kind!($kind $(($($karg)*))?),
                    },
                )+];

                record_new!($token; [] []; $($field $presence $builder ($kind $(($($karg)*))?);)+);

                $(builder!($field, $presence, $builder, $description, $kind $(($($karg)*))?);)+

                /// Checks the record's rules (spec/records.md §5): every field's own checks
                /// in schema order, then the record type's cross-field rules. The API is
                /// [`Record::validate`](crate::records::Record::validate).
                pub(crate) fn validate(&self) -> Result<(), $crate::records::RecordError> {
                    use $crate::records::checks::{Check, FieldValue};
                    let c = Check($crate::records::RecordType::$Type);
                    let values: &[&dyn FieldValue] = &[$(&self.$field),+];
                    for (spec, value) in Self::SCHEMA.iter().zip(values) {
                        value.check(&c, spec)?;
                    }
                    $($crate::records::rules::$rules(self, &c)?;)?
                    Ok(())
                }

                /// The first and last dates the record describes (`Record::period`).
                pub(super) fn period(&self) -> Option<($crate::records::Date, $crate::records::Date)> {
                    period!(self $(, $($period),+)?)
                }
            }

            $(#[cfg($cfg)])?
            impl From<$Type> for $crate::records::Record {
                fn from(r: $Type) -> Self {
                    $crate::records::Record::$Type(r)
                }
            }
        )+

        /// The record types: the twelve of the DOMAIN.md §4 catalogue plus Part 2 counseling
        /// notes, in catalogue order.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            serde::Deserialize,
        )]
        pub enum RecordType {$(
            #[doc = $summary]
            $(#[cfg($cfg)])?
            #[serde(rename = $token)]
            $Type,
        )+}

        /// How many record types the catalogue has.
        const RECORD_TYPES: usize = {
            let mut n = 0;
            $($(#[cfg($cfg)])? { let _ = RecordType::$Type; n += 1; })+
            n
        };

        /// A record type's token, e.g. `drug_test`, is the envelope's record-type header.
        impl $crate::vocab::Vocabulary for RecordType {
            const NAME: &'static str = "RecordType";
            const ALL: &'static [RecordType] = &RecordType::ALL;
            const TOKENS: &'static [&'static str] = &[$($(#[cfg($cfg)])? $token,)+];
            const EXPECTED: &'static str = "a record type of the catalogue";

            fn as_str(&self) -> &'static str {
                match self {$(
                    $(#[cfg($cfg)])?
                    RecordType::$Type => $token,
                )+}
            }
        }

        impl RecordType {
            /// Every record type, in catalogue order.
            pub const ALL: [RecordType; RECORD_TYPES] = [$($(#[cfg($cfg)])? RecordType::$Type,)+];

            /// Every field of the type with its tier, in the order of spec/records.md.
            pub fn schema(&self) -> &'static [$crate::records::FieldSpec] {
                match self {$(
                    $(#[cfg($cfg)])?
                    RecordType::$Type => $Type::SCHEMA,
                )+}
            }
        }

        /// One record of any type.
        ///
        /// ```
        /// use divex_core::records::{Attendance, AttendanceStatus, Record, RecordError, RecordType, ServiceType};
        ///
        /// let a = Attendance::new("2026-03-10".parse()?, ServiceType::Individual, AttendanceStatus::Present)
        ///     .with_hours_tenths(10)
        ///     .with_cumulative_hours_tenths(85);
        /// let record = Record::from(a);
        ///
        /// // Minimum necessary: drop the cumulative hours; a required field cannot be dropped.
        /// let redacted = record.redact(&["cumulative_hours_tenths"])?;
        /// let names: Vec<_> = redacted.present_fields().iter().map(|f| f.name).collect();
        /// assert_eq!(names, ["date", "service_type", "status", "hours_tenths"]);
        /// assert!(matches!(record.redact(&["status"]), Err(RecordError::RequiredField { .. })));
        ///
        /// // The bytes name the fields; the record type travels beside them (the envelope header).
        /// let bytes = redacted.to_bytes();
        /// assert_eq!(Record::from_bytes(RecordType::Attendance, &bytes)?, redacted);
        /// assert!(Record::from_bytes(RecordType::DrugTest, &bytes).is_err());
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Record {$(
            #[doc = $summary]
            $(#[cfg($cfg)])?
            $Type($Type),
        )+}

        impl Record {
            /// The record's type.
            pub fn record_type(&self) -> RecordType {
                match self {$(
                    $(#[cfg($cfg)])?
                    Record::$Type(_) => RecordType::$Type,
                )+}
            }

            /// Checks the record's rules: controlled vocabularies (by construction), required
            /// and non-empty fields, text and list bounds, date ordering and the per-type
            /// rules of spec/records.md §5. [`Record::from_bytes`] and [`Record::from_json`]
            /// always run it; [`Record::to_bytes`] does not, so a sender validates before
            /// sealing.
            pub fn validate(&self) -> Result<(), $crate::records::RecordError> {
                match self {$(
                    $(#[cfg($cfg)])?
                    Record::$Type(r) => r.validate(),
                )+}
            }

            /// The serde form of the typed record (see `Record::to_value`).
            pub(super) fn serialize_value(&self) -> Result<$crate::codec::Value, $crate::codec::CodecError> {
                match self {$(
                    $(#[cfg($cfg)])?
                    Record::$Type(r) => $crate::codec::to_value(r),
                )+}
            }

            /// The typed record of type `rt` that the well-shaped map `v` holds (serde step
            /// of `Record::from_value`, after the shape pre-check).
            pub(super) fn deserialize_value(
                rt: RecordType,
                v: &$crate::codec::Value,
            ) -> Result<Record, $crate::codec::CodecError> {
                Ok(match rt {$(
                    $(#[cfg($cfg)])?
                    RecordType::$Type => Record::$Type($crate::codec::from_value(v)?),
                )+})
            }

            /// The first and last dates the record describes, for a consent's data period:
            /// the event date for single-date records, a progress report's period, an
            /// intake's scheduled through completed dates, a drug test's UTC collection date.
            /// Deadlines and future hearings are not included. `None` for a LEAD status or
            /// clinical detail without `as_of` (and for an out-of-range `collected_at`).
            pub fn period(&self) -> Option<($crate::records::Date, $crate::records::Date)> {
                match self {$(
                    $(#[cfg($cfg)])?
                    Record::$Type(r) => r.period(),
                )+}
            }
        }
    };
}
