//! `divex inspect`: recognise a divex file and render its public structure in CBOR/COSE
//! diagnostic notation (RFC 8949 §8, with the `<< >>` embedded-CBOR and `/ comment /`
//! extensions of RFC 8610 Appendix G).
//!
//! Nothing secret is ever shown: for an envelope only the outer `COSE_Encrypt` is rendered
//! (what any relay sees), with the content ciphertext and every recipient's encrypted content
//! key elided to their lengths; for a keystore only its header, with the ciphertext elided.
//! Known COSE and divex header labels are annotated with their names.

use divex_core::codec::{self, DecodeLimits, Map, Value};
use divex_core::consent::{CASE_EVENT_TYP, CONSENT_TYP, REVOCATION_TYP};
use divex_core::cose::{self, label};
use divex_core::directory::{
    AgencyCertificate, CertificateRevocation, Directory, TYP_CERTIFICATE, TYP_DIRECTORY,
    TYP_REVOCATION, TrustAnchor,
};
use divex_core::envelope::labels;
use divex_core::keys::{KeyId, PublicBundle};
use divex_core::keystore::KeystoreInfo;
use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::timefmt::format_time;

/// Largest file `inspect` reads.
pub const MAX_INSPECT_BYTES: usize = 16 * 1024 * 1024 + 4096;

const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_INSPECT_BYTES,
    max_depth: 16,
    max_items: 10_000,
    max_string: MAX_INSPECT_BYTES,
};

/// What a file is, and its public structure.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// `envelope`, `consent`, `certificate`, `certificate_revocation`, `consent_revocation`,
    /// `case_event`, `directory`, `keystore`, `public_bundle` or `trust_anchor`.
    pub kind: &'static str,
    /// A few facts, in display order.
    pub summary: Vec<(String, String)>,
    /// The diagnostic notation.
    pub diagnostic: String,
}

// ---------------------------------------------------------------------------------------------
// A small pretty-printer for diagnostic notation.

#[derive(Debug, Clone)]
enum Node {
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

fn node(v: &Value) -> Node {
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

fn pretty(n: &Node) -> String {
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
fn header_node(m: &Map) -> Node {
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
fn protected_node(bytes: &[u8]) -> Node {
    match codec::decode_with(bytes, &LIMITS) {
        Ok(Value::Map(m)) => Node::Embedded(Box::new(header_node(&m))),
        _ => Node::Leaf(codec::diagnostic(&Value::bytes(bytes))),
    }
}

/// `<< payload >>` if the bytes are strict CBOR, else the byte string.
fn embedded_or_bytes(bytes: &[u8]) -> Node {
    match codec::decode_with(bytes, &LIMITS) {
        Ok(v) => Node::Embedded(Box::new(deep_node(&v))),
        Err(_) => Node::Leaf(codec::diagnostic(&Value::bytes(bytes))),
    }
}

/// Like [`node`], but signed divex objects nested as byte strings (certificates in a bundle)
/// are rendered embedded too.
fn deep_node(v: &Value) -> Node {
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

fn kv(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

fn typ_of_sign1(inner: &Value) -> Option<String> {
    let a = inner.as_array()?;
    let p = a.first()?.as_bytes()?;
    let m = codec::decode_with(p, &LIMITS).ok()?;
    m.as_map()?
        .get_label(label::TYP)
        .and_then(Value::as_text)
        .map(str::to_owned)
}

/// Recognises `bytes` and renders them. `directory`, when given, names the agencies behind
/// recipient key ids and checks certificates against the pinned anchors; `now` is used for
/// certificate status.
pub fn inspect(
    bytes: &[u8],
    directory: Option<&Directory>,
    now: u64,
) -> Result<Inspection, CliError> {
    if let Ok(info) = KeystoreInfo::from_bytes(bytes) {
        return Ok(inspect_keystore(bytes, &info));
    }
    let v = codec::decode_with(bytes, &LIMITS).map_err(|e| CliError::InvalidInput {
        what: "the file".into(),
        reason: format!("it is not a divex file (not strict deterministic CBOR: {e})"),
    })?;
    match &v {
        Value::Tag(cose::TAG_ENCRYPT, _) => inspect_envelope(bytes, &v, directory),
        Value::Tag(cose::TAG_SIGN, inner) => {
            let typ = inner
                .as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_bytes)
                .and_then(|p| codec::decode_with(p, &LIMITS).ok())
                .and_then(|m| {
                    m.as_map()
                        .and_then(|m| m.get_label(label::TYP))
                        .and_then(Value::as_text)
                        .map(str::to_owned)
                });
            if typ.as_deref() != Some(CONSENT_TYP) {
                return Err(unknown());
            }
            Ok(Inspection {
                kind: "consent",
                summary: consent_summary(bytes),
                diagnostic: pretty(&deep_node(&v)),
            })
        }
        Value::Tag(cose::TAG_SIGN1, inner) => {
            let typ = typ_of_sign1(inner).unwrap_or_default();
            let (kind, summary) = match typ.as_str() {
                TYP_CERTIFICATE => ("certificate", certificate_summary(bytes, directory, now)),
                TYP_REVOCATION => ("certificate_revocation", cert_revocation_summary(bytes)),
                REVOCATION_TYP => ("consent_revocation", statement_summary(inner)),
                CASE_EVENT_TYP => ("case_event", statement_summary(inner)),
                _ => return Err(unknown()),
            };
            Ok(Inspection {
                kind,
                summary,
                diagnostic: pretty(&deep_node(&v)),
            })
        }
        Value::Map(m) => {
            if m.get(&Value::from("typ")).and_then(Value::as_text) == Some(TYP_DIRECTORY) {
                let d = Directory::from_bytes(bytes);
                let mut summary = vec![];
                match &d {
                    Ok(d) => {
                        summary.push(kv("anchors", d.anchors().count().to_string()));
                        summary.push(kv("certificates", d.certificates().count().to_string()));
                        summary.push(kv("revocations", d.revocations().count().to_string()));
                        summary.push(kv(
                            "valid",
                            "yes (every signature checks against the bundle's anchors)",
                        ));
                    }
                    Err(e) => summary.push(kv("valid", format!("no: {e}"))),
                }
                return Ok(Inspection {
                    kind: "directory",
                    summary,
                    diagnostic: pretty(&deep_node(&v)),
                });
            }
            if let Ok(b) = PublicBundle::from_bytes(bytes) {
                return Ok(Inspection {
                    kind: "public_bundle",
                    summary: vec![
                        kv("signing key id", b.signing().kid().to_hex()),
                        kv("encryption key id", b.encryption().kid().to_hex()),
                    ],
                    diagnostic: pretty(&node(&v)),
                });
            }
            if let Ok(a) = TrustAnchor::from_bytes(bytes) {
                return Ok(Inspection {
                    kind: "trust_anchor",
                    summary: vec![
                        kv("name", a.name()),
                        kv("fingerprint (key id)", a.kid().to_hex()),
                    ],
                    diagnostic: pretty(&node(&v)),
                });
            }
            Err(unknown())
        }
        _ => Err(unknown()),
    }
}

fn unknown() -> CliError {
    CliError::InvalidInput {
        what: "the file".into(),
        reason: "it is not a divex file divex can inspect (envelope, consent, certificate, \
                 revocation, case event, directory bundle, keystore, public bundle or trust anchor)"
            .into(),
    }
}

fn inspect_keystore(bytes: &[u8], info: &KeystoreInfo) -> Inspection {
    // Render the header only; the ciphertext is elided.
    let mut diagnostic = String::new();
    if let Ok(Value::Map(m)) = codec::decode_with(bytes, &LIMITS) {
        let mut entries = Vec::new();
        for (k, v) in m.iter() {
            match (k.as_text(), v.as_bytes()) {
                (Some("ciphertext"), Some(c)) => entries.push((
                    node(k),
                    Node::Elided(format!("encrypted secret key elided: {} bytes", c.len())),
                )),
                (Some("header"), Some(h)) => entries.push((node(k), embedded_or_bytes(h))),
                _ => entries.push((node(k), node(v))),
            }
        }
        diagnostic = pretty(&Node::Map(entries));
    }
    let mut summary = vec![kv("holds", info.kind.as_str()), kv("id", info.id.clone())];
    summary.push(kv("kdf profile", info.profile.as_str()));
    if let Some(b) = info.agency_bundle() {
        summary.push(kv("signing key id", b.signing().kid().to_hex()));
        summary.push(kv("encryption key id", b.encryption().kid().to_hex()));
    }
    if let Some(a) = info.anchor() {
        summary.push(kv("anchor fingerprint", a.kid().to_hex()));
    }
    if let Some(k) = info.personal_key() {
        summary.push(kv("key id", k.kid().to_hex()));
    }
    Inspection {
        kind: "keystore",
        summary,
        diagnostic,
    }
}

fn inspect_envelope(
    bytes: &[u8],
    v: &Value,
    directory: Option<&Directory>,
) -> Result<Inspection, CliError> {
    let enc = cose::Encrypt::from_value(v, true, &LIMITS).map_err(|e| {
        let message = format!("this looks like an envelope but is not a valid COSE_Encrypt: {e}");
        CliError::library(&e, message)
    })?;
    let mut recipients = Vec::new();
    let mut summary = vec![
        kv("size", format!("{} bytes", bytes.len())),
        kv(
            "envelope hash (SHA-256)",
            hex::encode(Sha256::digest(bytes)),
        ),
        kv("recipients", enc.recipients.len().to_string()),
    ];
    for r in &enc.recipients {
        let kid_hex = r.kid().map(hex::encode).unwrap_or_else(|| "(none)".into());
        let who = r
            .kid()
            .and_then(|k| KeyId::from_bytes(k).ok())
            .and_then(|k| {
                directory.and_then(|d| d.certificates().find(|c| c.keys().encryption().kid() == k))
            })
            .map(|c| format!(" = {} ({})", c.agency_id(), c.name()))
            .unwrap_or_default();
        summary.push(kv("recipient", format!("{kid_hex}{who}")));
        recipients.push(Node::Array(vec![
            Node::Labelled(
                "protected".into(),
                Box::new(protected_node(r.protected.as_bytes())),
            ),
            Node::Labelled("unprotected".into(), Box::new(header_node(&r.unprotected))),
            Node::Elided(format!(
                "encrypted content key elided: {} bytes",
                r.ciphertext.len()
            )),
        ]));
    }
    summary.push(kv(
        "inner",
        "the signed COSE_Sign1 (sender, metadata, record) is encrypted; only a recipient can open it",
    ));
    let tree = Node::Tag(
        cose::TAG_ENCRYPT,
        Box::new(Node::Array(vec![
            Node::Labelled(
                "protected".into(),
                Box::new(protected_node(enc.protected.as_bytes())),
            ),
            Node::Labelled(
                "unprotected".into(),
                Box::new(header_node(&enc.unprotected)),
            ),
            Node::Elided(format!("ciphertext elided: {} bytes", enc.ciphertext.len())),
            Node::Labelled("recipients".into(), Box::new(Node::Array(recipients))),
        ])),
    );
    Ok(Inspection {
        kind: "envelope",
        summary,
        diagnostic: pretty(&tree),
    })
}

fn consent_summary(bytes: &[u8]) -> Vec<(String, String)> {
    // Parse without verifying (inspect shows structure; `divex consent show` verifies).
    let Ok(Value::Tag(_, inner)) = codec::decode_with(bytes, &LIMITS) else {
        return vec![];
    };
    let Some(payload) = inner
        .as_array()
        .and_then(|a| a.get(2))
        .and_then(Value::as_bytes)
    else {
        return vec![];
    };
    match codec::from_slice_with::<divex_core::consent::ConsentDirective>(payload, &LIMITS) {
        Ok(d) => vec![
            kv("id", format!("{} v{}", d.id, d.version)),
            kv("regime", d.regime.citation()),
            kv(
                "signatures",
                inner
                    .as_array()
                    .and_then(|a| a.get(3))
                    .and_then(Value::as_array)
                    .map_or(0, <[Value]>::len)
                    .to_string(),
            ),
            kv("verified", "no (run `divex consent show FILE` to verify)"),
        ],
        Err(e) => vec![kv("payload", format!("not a valid consent directive: {e}"))],
    }
}

fn certificate_summary(
    bytes: &[u8],
    directory: Option<&Directory>,
    now: u64,
) -> Vec<(String, String)> {
    match AgencyCertificate::from_bytes(bytes) {
        Ok(c) => {
            let status = match directory {
                Some(d) => match d.check(&c, now) {
                    Ok(()) => "valid now (signature verified against the pinned anchor)".to_owned(),
                    Err(e) => format!("not valid here: {e}"),
                },
                None => "not checked (no directory in --home)".to_owned(),
            };
            vec![
                kv("agency", format!("{} ({})", c.agency_id(), c.name())),
                kv(
                    "roles",
                    c.roles()
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                kv(
                    "part 2 program",
                    if c.part2_program() { "yes" } else { "no" },
                ),
                kv("serial", c.serial().to_hex()),
                kv("issuer (anchor key id)", c.issuer().to_hex()),
                kv(
                    "valid",
                    format!(
                        "{} to {}",
                        format_time(c.not_before()),
                        format_time(c.not_after())
                    ),
                ),
                kv("status", status),
            ]
        }
        Err(e) => vec![kv("certificate", format!("invalid: {e}"))],
    }
}

fn cert_revocation_summary(bytes: &[u8]) -> Vec<(String, String)> {
    match CertificateRevocation::from_bytes(bytes) {
        Ok(r) => vec![
            kv("serial", r.serial().to_hex()),
            kv("revoked at", format_time(r.revoked_at())),
            kv("reason", r.reason()),
            kv("issuer (anchor key id)", r.issuer().to_hex()),
        ],
        Err(e) => vec![kv("revocation", format!("invalid: {e}"))],
    }
}

fn statement_summary(inner: &Value) -> Vec<(String, String)> {
    let kid = inner
        .as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_bytes)
        .and_then(|p| codec::decode_with(p, &LIMITS).ok())
        .and_then(|m| {
            m.as_map()
                .and_then(|m| m.get_label(label::KID))
                .and_then(Value::as_bytes)
                .map(hex::encode)
        })
        .unwrap_or_default();
    vec![
        kv("signer key id", kid),
        kv(
            "verified",
            "no (statements are verified when imported: `divex consent import`)",
        ),
    ]
}
