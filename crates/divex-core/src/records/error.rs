//! [`RecordError`]: why a record was refused. Messages name the record type and the field,
//! never a value.

use super::RecordType;
use crate::codec::CodecError;
use crate::error::classified;

/// Why a record was refused. Messages name the record type and field, never a value: records
/// are protected health information.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes are not strict deterministic CBOR, exceed
    /// [`DECODE_LIMITS`](super::DECODE_LIMITS), or do not re-encode identically.
    #[error("record encoding: {0}")]
    Codec(#[from] CodecError),
    /// The record is not a CBOR map.
    #[error("the {record} record is not a CBOR map")]
    NotAMap {
        /// The record type expected.
        record: RecordType,
    },
    /// A field the record type does not have (or a redaction naming one).
    #[error("the {record} record has no field `{field}`")]
    UnknownField {
        /// The record type.
        record: RecordType,
        /// The field name as given, if it looks like a field name; a placeholder otherwise.
        field: String,
    },
    /// A required field is absent.
    #[error("the {record} record is missing its required field `{field}`")]
    MissingField {
        /// The record type.
        record: RecordType,
        /// The missing field.
        field: &'static str,
    },
    /// A field has the wrong CBOR type, a value outside its vocabulary or range, or breaks a
    /// rule relating it to another field.
    #[error("field `{field}` of the {record} record is invalid: expected {expected}")]
    InvalidValue {
        /// The record type.
        record: RecordType,
        /// The field.
        field: &'static str,
        /// What the field must hold.
        expected: &'static str,
    },
    /// A text field is longer than its limit.
    #[error("field `{field}` of the {record} record is longer than {max_bytes} bytes")]
    TooLong {
        /// The record type.
        record: RecordType,
        /// The field.
        field: &'static str,
        /// The limit, in bytes of UTF-8.
        max_bytes: usize,
    },
    /// A list field has more items than its limit.
    #[error("field `{field}` of the {record} record has more than {max_items} items")]
    TooMany {
        /// The record type.
        record: RecordType,
        /// The field.
        field: &'static str,
        /// The limit.
        max_items: usize,
    },
    /// A date is before the date it must not precede.
    #[error("field `{later}` of the {record} record is before `{earlier}`")]
    DateOrder {
        /// The record type.
        record: RecordType,
        /// The field that must come first (or on the same day).
        earlier: &'static str,
        /// The field that is too early.
        later: &'static str,
    },
    /// None of a set of fields, one of which the record needs, is present.
    #[error("the {record} record needs at least one of: {fields}")]
    MissingOneOf {
        /// The record type.
        record: RecordType,
        /// The alternatives, comma-separated.
        fields: &'static str,
    },
    /// A redaction asked to remove a required field.
    #[error("field `{field}` of the {record} record is required and cannot be redacted")]
    RequiredField {
        /// The record type.
        record: RecordType,
        /// The required field.
        field: &'static str,
    },
}

classified!(RecordError, Record, |e| match e {
    RecordError::Codec(_) => "malformed",
    RecordError::NotAMap { .. } => "not_a_map",
    RecordError::UnknownField { .. } => "unknown_field",
    RecordError::MissingField { .. } => "missing_field",
    RecordError::InvalidValue { .. } => "invalid_value",
    RecordError::TooLong { .. } => "too_long",
    RecordError::TooMany { .. } => "too_many",
    RecordError::DateOrder { .. } => "date_order",
    RecordError::MissingOneOf { .. } => "missing_one_of",
    RecordError::RequiredField { .. } => "required_field",
});

/// A field name fit to appear in an error message: names that are not plausible field names
/// (which could be arbitrary input) are replaced by a placeholder.
pub(super) fn printable_field_name(name: &str) -> String {
    let plausible = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plausible {
        name.to_owned()
    } else {
        "(not a field name)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_names_are_sanitised() {
        assert_eq!(printable_field_name("colour"), "colour");
        assert_eq!(printable_field_name("Jane Doe"), "(not a field name)");
        assert_eq!(printable_field_name(""), "(not a field name)");
        assert_eq!(printable_field_name(&"a".repeat(65)), "(not a field name)");
    }
}
