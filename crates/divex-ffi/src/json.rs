//! JSON ⇄ divex CBOR values, for the descriptions (records, consent directives) that foreign
//! code builds as plain maps: the core's bridge ([`divex_core::json`]), shared with the `divex`
//! command line, with its refusals as [`DivexError::InvalidInput`] (`json`).
//!
//! Errors name a JSON path (`$.results[0].analyte`), never a value: records are protected
//! health information.

use divex_core::codec::{DecodeLimits, Value};
pub(crate) use divex_core::json::to_json_text;

use crate::error::{DivexError, Result};

/// Parses `text` as JSON within the codec's default limits and converts it; `is_bytes`
/// receives the path of every string with array indices written `[]` (e.g. `$.signers[].key`)
/// and says whether it holds hex bytes.
pub(crate) fn parse(text: &str, is_bytes: &dyn Fn(&str) -> bool) -> Result<Value> {
    divex_core::json::parse(text.as_bytes(), &DecodeLimits::DEFAULT, is_bytes)
        .map_err(|e| DivexError::invalid("json", e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_invalid_json_input_naming_the_path() {
        let e = parse(r#"{"a": [1, 2.5]}"#, &|_| false).unwrap_err();
        assert!(matches!(
            &e,
            DivexError::InvalidInput { code, detail } if code == "json"
                && detail == "at $.a[1]: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
        ));
        let v = parse(r#"{"k": "00ff"}"#, &|p| p == "$.k").unwrap();
        assert_eq!(to_json_text(&v), r#"{"k":"00ff"}"#);
        assert!(
            v.as_map()
                .unwrap()
                .get(&Value::from("k"))
                .unwrap()
                .as_bytes()
                .is_some()
        );
    }
}
