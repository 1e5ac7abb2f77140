//! A small pretty-printer for CBOR diagnostic notation (RFC 8949 §8, with the `<< >>`
//! embedded-CBOR and `/ comment /` extensions of RFC 8610 Appendix G), annotating known COSE
//! and divex header labels with their names.

use super::LIMITS;
use crate::codec::{self, Map, Value};
use crate::cose::{self, label};
use crate::envelope::labels;

// ---------------------------------------------------------------------------------------------
// A small pretty-printer for diagnostic notation.

#[derive(Debug, Clone)]
pub(super) enum Node {
    Leaf(String),
    Array(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Tag(u64, Box<Node>),
    Embedded(Box<Node>),
    /// A value followed by a comment (`24 / alg: ChaCha20-Poly1305 /`).
    Commented(Box<Node>, String),
    /// A comment naming the item that follows (`/ protected / << ... >>`).
    Labelled(String, Box<Node>),
    /// A placeholder for elided bytes (a comment standing where the item is).
    Elided(String),
}

fn comment(s: &str) -> String {
    // A comment cannot contain '/'.
    s.replace('/', "-")
}

pub(super) fn node(v: &Value) -> Node {
    match v {
        Value::Array(a) => Node::Array(a.iter().map(node).collect()),
        Value::Map(m) => Node::Map(m.iter().map(|(k, v)| (node(k), node(v))).collect()),
        Value::Tag(t, inner) => Node::Tag(*t, Box::new(node(inner))),
        other => Node::Leaf(codec::diagnostic(other)),
    }
}

fn inline(n: &Node) -> String {
    match n {
        Node::Leaf(s) => s.clone(),
        Node::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Node::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", inline(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Node::Tag(t, inner) => format!("{t}({})", inline(inner)),
        Node::Embedded(inner) => format!("<< {} >>", inline(inner)),
        Node::Commented(inner, c) => format!("{} / {} /", inline(inner), comment(c)),
        Node::Labelled(c, inner) => format!("/ {} / {}", comment(c), inline(inner)),
        Node::Elided(c) => format!("/ {} /", comment(c)),
    }
}

const WIDTH: usize = 96;

fn render(n: &Node, indent: usize, out: &mut String) {
    let flat = inline(n);
    if indent + flat.len() <= WIDTH && !flat.contains('\n') {
        out.push_str(&flat);
        return;
    }
    let pad = "  ".repeat(indent / 2 + 1);
    let close_pad = "  ".repeat(indent / 2);
    match n {
        Node::Array(a) => {
            out.push_str("[\n");
            for (i, item) in a.iter().enumerate() {
                out.push_str(&pad);
                render(item, indent + 2, out);
                if i + 1 < a.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&close_pad);
            out.push(']');
        }
        Node::Map(m) => {
            out.push_str("{\n");
            for (i, (k, v)) in m.iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&inline(k));
                out.push_str(": ");
                render(v, indent + 2, out);
                if i + 1 < m.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&close_pad);
            out.push('}');
        }
        Node::Tag(t, inner) => {
            out.push_str(&format!("{t}("));
            render(inner, indent, out);
            out.push(')');
        }
        Node::Embedded(inner) => {
            out.push_str("<< ");
            render(inner, indent, out);
            out.push_str(" >>");
        }
        Node::Commented(inner, c) => {
            render(inner, indent, out);
            out.push_str(&format!(" / {} /", comment(c)));
        }
        Node::Labelled(c, inner) => {
            out.push_str(&format!("/ {} / ", comment(c)));
            render(inner, indent, out);
        }
        Node::Leaf(_) | Node::Elided(_) => out.push_str(&flat),
    }
}

pub(super) fn pretty(n: &Node) -> String {
    let mut s = String::new();
    render(n, 0, &mut s);
    s
}

// ---------------------------------------------------------------------------------------------
// Header annotations.

fn label_name(l: i64) -> Option<&'static str> {
    // The label values are the core's (spec/envelope.md §2); the names are how `inspect`
    // shows them.
    Some(match l {
        label::ALG => "alg",
        label::CRIT => "crit",
        label::CONTENT_TYPE => "content type",
        label::KID => "kid",
        label::IV => "IV",
        label::TYP => "typ",
        label::EK => "ek (encapsulated key)",
        labels::KEY_COMMITMENT => "divex key commitment",
        labels::ENVELOPE_ID => "divex envelope id",
        labels::ISSUED_AT => "divex issued at",
        labels::AUDIENCE => "divex audience",
        labels::PURPOSE => "divex purpose",
        labels::CONSENT_REF => "divex consent reference",
        labels::RECORD_TYPE => "divex record type",
        labels::SECURITY_LABELS => "divex security labels",
        labels::NOTICE => "divex notice",
        labels::PROFILE => "divex profile",
        labels::REDACTED => "divex redacted fields",
        labels::LEDGER_HEAD => "divex ledger head",
        _ => return None,
    })
}

fn alg_name(a: i64) -> Option<&'static str> {
    Some(match a {
        cose::alg::ED25519 => "Ed25519",
        cose::alg::CHACHA20_POLY1305 => "ChaCha20-Poly1305",
        cose::alg::HPKE_4_KE => "HPKE-4-KE",
        _ => return None,
    })
}

/// A header map with its labels annotated.
pub(super) fn header_node(m: &Map) -> Node {
    Node::Map(
        m.iter()
            .map(|(k, v)| {
                let key = node(k);
                let val = node(v);
                let name = k.as_i64().and_then(label_name);
                let val = match (k.as_i64(), v.as_i64().and_then(alg_name), name) {
                    (Some(label::ALG), Some(a), _) => {
                        Node::Commented(Box::new(val), format!("alg: {a}"))
                    }
                    (_, _, Some(n)) => Node::Commented(Box::new(val), n.to_owned()),
                    _ => val,
                };
                (key, val)
            })
            .collect(),
    )
}

/// `<< {header} >>` for a protected bucket's bytes.
pub(super) fn protected_node(bytes: &[u8]) -> Node {
    match codec::decode_with(bytes, &LIMITS) {
        Ok(Value::Map(m)) => Node::Embedded(Box::new(header_node(&m))),
        _ => Node::Leaf(codec::diagnostic(&Value::bytes(bytes))),
    }
}

/// `<< payload >>` if the bytes are strict CBOR, else the byte string.
pub(super) fn embedded_or_bytes(bytes: &[u8]) -> Node {
    match codec::decode_with(bytes, &LIMITS) {
        Ok(v) => Node::Embedded(Box::new(deep_node(&v))),
        Err(_) => Node::Leaf(codec::diagnostic(&Value::bytes(bytes))),
    }
}

/// Like [`node`], but signed divex objects nested as byte strings (certificates in a bundle)
/// are rendered embedded too.
pub(super) fn deep_node(v: &Value) -> Node {
    match v {
        Value::Bytes(b) if looks_signed(b) => embedded_or_bytes(b),
        Value::Array(a) => Node::Array(a.iter().map(deep_node).collect()),
        Value::Map(m) => Node::Map(m.iter().map(|(k, v)| (node(k), deep_node(v))).collect()),
        Value::Tag(cose::TAG_SIGN1, inner) => sign1_node(inner).unwrap_or_else(|| node(v)),
        Value::Tag(cose::TAG_SIGN, inner) => sign_node(inner).unwrap_or_else(|| node(v)),
        Value::Tag(t, inner) => Node::Tag(*t, Box::new(deep_node(inner))),
        other => node(other),
    }
}

fn looks_signed(b: &[u8]) -> bool {
    // 0xd2 = tag 18, 0xd8 0x62 = tag 98.
    b.first() == Some(&0xd2) || b.starts_with(&[0xd8, 0x62])
}

fn sign1_node(inner: &Value) -> Option<Node> {
    let a = inner.as_array()?;
    let [p, u, payload, sig] = a else { return None };
    let u = u.as_map()?;
    Some(Node::Tag(
        cose::TAG_SIGN1,
        Box::new(Node::Array(vec![
            Node::Labelled("protected".into(), Box::new(protected_node(p.as_bytes()?))),
            Node::Labelled("unprotected".into(), Box::new(header_node(u))),
            Node::Labelled(
                "payload".into(),
                Box::new(embedded_or_bytes(payload.as_bytes()?)),
            ),
            Node::Labelled("signature".into(), Box::new(node(sig))),
        ])),
    ))
}

fn sign_node(inner: &Value) -> Option<Node> {
    let a = inner.as_array()?;
    let [p, u, payload, sigs] = a else {
        return None;
    };
    let u = u.as_map()?;
    let sigs = sigs
        .as_array()?
        .iter()
        .map(|s| {
            let [sp, su, sig] = s.as_array()? else {
                return None;
            };
            Some(Node::Array(vec![
                protected_node(sp.as_bytes()?),
                header_node(su.as_map()?),
                node(sig),
            ]))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Node::Tag(
        cose::TAG_SIGN,
        Box::new(Node::Array(vec![
            Node::Labelled("protected".into(), Box::new(protected_node(p.as_bytes()?))),
            Node::Labelled("unprotected".into(), Box::new(header_node(u))),
            Node::Labelled(
                "payload".into(),
                Box::new(embedded_or_bytes(payload.as_bytes()?)),
            ),
            Node::Labelled("signatures".into(), Box::new(Node::Array(sigs))),
        ])),
    ))
}

// ---------------------------------------------------------------------------------------------
// Recognition.
