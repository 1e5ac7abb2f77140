//! A consent directive described as JSON: the shape the bindings and other front ends take from
//! their callers and print back (spec/consent.md §2, with the JSON conventions of
//! [`crate::json`]).
//!
//! The JSON has exactly the fields and names of the CBOR directive: times are Unix seconds,
//! parties `{"agency": "id"}` or `{"role": "probation"}`, enum values their snake_case tokens,
//! and the directive's two byte fields — a signer's `key` and `source_document.sha256` — are
//! hex text. The JSON becomes a divex value and then the directive through the directive's own
//! serde mapping, so a description with an unknown or misspelt field is refused rather than
//! silently dropped.

use crate::codec::{self, DecodeLimits};
use crate::json::{self, JsonError};

use super::ConsentDirective;

/// The path patterns of the directive's byte strings (hex in JSON).
fn is_hex_bytes(pattern: &str) -> bool {
    matches!(pattern, "$.signers[].key" | "$.source_document.sha256")
}

impl ConsentDirective {
    /// The directive a JSON description states (see the module documentation). Refusals are
    /// [`JsonError`]s: not JSON, over the codec's default limits, or not a directive
    /// ([`JsonError::Schema`]). The directive's own rules are checked when it is signed
    /// ([`ConsentDirective::validate`]).
    pub fn from_json(text: &[u8]) -> Result<ConsentDirective, JsonError> {
        let v = json::parse(text, &DecodeLimits::DEFAULT, &is_hex_bytes)?;
        codec::from_value(&v).map_err(|e| JsonError::Schema {
            what: "consent",
            detail: e.to_string(),
        })
    }

    /// The directive as JSON, in the shape [`ConsentDirective::from_json`] reads.
    pub fn to_json(&self) -> String {
        // A directive always serialises to a divex value (its fields are text, integers,
        // booleans, bytes, lists and maps with text keys).
        codec::to_value(self)
            .map(|v| json::to_json_text(&v))
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use crate::error::Classified;

    use super::*;

    const DIRECTIVE: &str = r#"{"id":"c-1","version":1,"regime":"part2_2_31",
        "regulatory_basis":["42CFRPart2"],
        "subject":{"name":"Jordan Avery Reyes","date_of_birth":"1994-03-14"},
        "disclosers":[{"agency":"lead-case-manager"}],"recipients":[{"agency":"police-lead-unit"}],
        "purposes":["lead-care-coordination"],
        "information":{"record_types":["lead_status"],"tiers":["t1","lead"],"description":"LEAD"},
        "effective":1,"expiry":{"date":2},"revocation":"at_will","redisclosure":"prohibited",
        "notice":{"form":"short","attach_consent":true},
        "signers":[{"capacity":"patient","name":"Jordan","method":"electronic","key":"ABab000000000000000000000000000000000000000000000000000000000000"}],
        "signed_at":1}"#;

    #[test]
    fn reads_hex_keys_and_prints_back_lower_case() {
        let d = ConsentDirective::from_json(DIRECTIVE.as_bytes()).unwrap();
        assert_eq!(d.signers[0].key.unwrap()[..2], [0xab, 0xab]);
        let back = d.to_json();
        assert!(back.contains(r#""key":"abab0000"#), "{back}");
        assert_eq!(ConsentDirective::from_json(back.as_bytes()).unwrap(), d);
    }

    #[test]
    fn refusals_are_json_class() {
        let unknown = DIRECTIVE.replacen(r#""id":"c-1","#, r#""id":"c-1","colour":"blue","#, 1);
        let e = ConsentDirective::from_json(unknown.as_bytes()).unwrap_err();
        assert!(matches!(
            e,
            JsonError::Schema {
                what: "consent",
                ..
            }
        ));
        assert!(
            e.to_string()
                .starts_with("the consent description does not match the consent schema: "),
            "{e}"
        );
        assert_eq!(e.class(), "json");
        let syntax = ConsentDirective::from_json(b"{").unwrap_err();
        assert_eq!(syntax.class(), "json");
    }
}
