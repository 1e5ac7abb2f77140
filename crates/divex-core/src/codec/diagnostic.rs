//! Diagnostic notation (RFC 8949 §8), for `inspect` output and `Debug`.

use super::value::Value;

/// Renders `v` in CBOR diagnostic notation.
pub fn diagnostic(v: &Value) -> String {
    let mut s = String::new();
    diag(v, &mut s);
    s
}

fn diag(v: &Value, s: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Integer(i) => {
            let _ = write!(s, "{}", i.get());
        }
        Value::Bytes(b) => {
            s.push_str("h'");
            for byte in b {
                let _ = write!(s, "{byte:02x}");
            }
            s.push('\'');
        }
        Value::Text(t) => {
            let _ = write!(s, "{t:?}");
        }
        Value::Array(a) => {
            s.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                diag(item, s);
            }
            s.push(']');
        }
        Value::Map(m) => {
            s.push('{');
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                diag(k, s);
                s.push_str(": ");
                diag(val, s);
            }
            s.push('}');
        }
        Value::Tag(t, inner) => {
            let _ = write!(s, "{t}(");
            diag(inner, s);
            s.push(')');
        }
        Value::Bool(b) => {
            let _ = write!(s, "{b}");
        }
        Value::Null => s.push_str("null"),
    }
}
