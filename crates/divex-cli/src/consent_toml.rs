//! The TOML description of a consent that `divex consent create` turns into a signed
//! [`ConsentDirective`].
//!
//! The schema follows the directive field by field (DOMAIN.md §3, spec/consent.md), with three
//! conveniences: times may be TOML dates or date-times (or Unix seconds, or the strings
//! `divex` accepts on the command line); parties are written `"agency:ID"` or `"role:ROLE"`;
//! and the witnessing agency's signer entry is added by `divex` from `--agency` and the
//! directory (its certified name and key), so the file lists only the people who sign. Unknown
//! keys are refused. A complete example is `crates/divex-cli/examples/consent-pc1000.toml`;
//! the schema is documented in `crates/divex-cli/README.md`.

use std::collections::BTreeMap;
use std::path::Path;

use divex_core::consent::{
    Capacity, Case, ConsentDirective, EventTrigger, Expiry, Information, Notice, Party, Period,
    Redisclosure, Regime, Revocability, SignMethod, Signer, SourceDocument, Subject,
    UseRestriction,
};
use divex_core::directory::Role;
use divex_core::records::{RecordType, Tier};
use divex_core::vocab::Vocabulary;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::timefmt;
use divex_core::vocab::{FieldName, Purpose};

/// A time in the TOML: a TOML date (midnight UTC), an offset date-time, Unix seconds, or a
/// string `divex` accepts on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When(pub u64);

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<When, D::Error> {
        use serde::de::Error;
        match toml::Value::deserialize(d)? {
            toml::Value::Integer(i) => u64::try_from(i)
                .map(When)
                .map_err(|_| D::Error::custom("a time in Unix seconds cannot be negative")),
            // The message names the accepted forms, not the string (it may be anything).
            toml::Value::String(s) => timefmt::parse_time(&s).map(When).map_err(|_| {
                D::Error::custom(
                    "not a time: use a TOML date or date-time, Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
                )
            }),
            toml::Value::Datetime(dt) => datetime_to_unix(&dt).map(When).map_err(D::Error::custom),
            _ => Err(D::Error::custom(
                "expected a date (2026-08-22), a date-time with offset (2026-08-22T09:00:00Z) or Unix seconds",
            )),
        }
    }
}

fn datetime_to_unix(dt: &toml::value::Datetime) -> Result<u64, String> {
    let date = dt
        .date
        .ok_or("a time of day alone is not a date; write the date too")?;
    let (h, m, s, offset_min) = match (dt.time, dt.offset) {
        (None, _) => (0, 0, 0, 0i64),
        (Some(_), None) => {
            return Err(
                "a local date-time is ambiguous; add Z or an offset (2026-08-22T09:00:00-07:00)"
                    .into(),
            );
        }
        (Some(t), Some(o)) => {
            let off = match o {
                toml::value::Offset::Z => 0,
                toml::value::Offset::Custom { minutes } => i64::from(minutes),
            };
            (
                u32::from(t.hour),
                u32::from(t.minute),
                u32::from(t.second.unwrap_or(0)),
                off,
            )
        }
    };
    let local = timefmt::unix_from_parts(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
        h,
        m,
        s,
    )
    .ok_or("the date is out of range (1970-9999) or not a calendar date")?;
    let utc = i64::try_from(local).map_err(|_| "out of range")? - offset_min * 60;
    u64::try_from(utc).map_err(|_| "the time is before 1970".into())
}

/// The consent description (top level).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentToml {
    /// Unique id of this version, e.g. `c-pc1000-0001`.
    pub id: String,
    /// Version number (default 1).
    #[serde(default = "one")]
    pub version: u32,
    /// The id of the version this one replaces (required after version 1).
    #[serde(default)]
    pub supersedes: Option<String>,
    /// `part2_2_31`, `part2_2_35`, `part2_counseling_notes`, `hipaa` or `state_only`.
    pub regime: Regime,
    /// Regulatory basis codes, e.g. `["42CFRPart2", "CA-PC-1000"]`.
    #[serde(default)]
    pub regulatory_basis: Vec<String>,
    /// When the consent takes effect (default: when it is signed).
    #[serde(default)]
    pub effective: Option<When>,
    /// When it was signed (default: the time the command runs).
    #[serde(default)]
    pub signed_at: Option<When>,
    /// Who may disclose: `"agency:ID"` or `"role:ROLE"`.
    pub disclosers: Vec<String>,
    /// Who may receive: `"agency:ID"` or `"role:ROLE"`.
    pub recipients: Vec<String>,
    /// Purposes of use.
    pub purposes: Vec<String>,
    /// `prohibited` or `cj_official_duties_only`.
    pub redisclosure: Redisclosure,
    /// `no_criminal_use_against_patient`, `no_adverse_action`.
    #[serde(default)]
    pub use_restrictions: Vec<UseRestriction>,
    /// The participant.
    pub subject: Subject,
    /// What may be disclosed.
    pub information: InformationToml,
    /// When it expires.
    pub expiry: ExpiryToml,
    /// How it may be revoked.
    pub revocation: RevocationToml,
    /// The §2.32 notice.
    pub notice: Notice,
    /// The case (required for `part2_2_35`).
    #[serde(default)]
    pub case: Option<Case>,
    /// The people who sign (the witnessing agency is added from `--agency`).
    pub signers: Vec<SignerToml>,
    /// The signed paper or PDF form (required with a wet-ink signature).
    #[serde(default)]
    pub source_document: Option<SourceDocumentToml>,
}

fn one() -> u32 {
    1
}

/// `[information]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformationToml {
    /// The information in words, as on the signed form.
    pub description: String,
    /// Permitted record types (`drug_test`, `attendance`, ...).
    pub record_types: Vec<RecordType>,
    /// Permitted sensitivity tiers (`t1`, `t2`, `t3`, `cj`, `lead`).
    pub tiers: Vec<Tier>,
    /// Record types expressly refused.
    #[serde(default)]
    pub excluded_record_types: Vec<RecordType>,
    /// Per-record-type field allow-lists: `drug_test = ["collected_at", ...]`.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
    /// The period of treatment the information may come from.
    #[serde(default)]
    pub data_period: Option<PeriodToml>,
}

/// `[information.data_period]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodToml {
    /// Start (inclusive).
    pub from: When,
    /// End (exclusive).
    pub to: When,
}

/// `[expiry]`: a date, the final disposition of a case, or both (whichever comes first).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryToml {
    /// Expiry date.
    #[serde(default)]
    pub date: Option<When>,
    /// The case whose final disposition ends the consent.
    #[serde(default)]
    pub case_disposition: Option<String>,
}

/// `[revocation]`: `at_will = true` (§2.31), or `at_will = false` with the date and/or case
/// disposition after which a §2.35 consent becomes revocable.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationToml {
    /// Revocable at any time.
    pub at_will: bool,
    /// Revocable from this date.
    #[serde(default)]
    pub date: Option<When>,
    /// Revocable once this case's final disposition is recorded.
    #[serde(default)]
    pub case_disposition: Option<String>,
}

/// `[[signers]]`: a person who signs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerToml {
    /// `patient`, `parent`, `guardian` or `representative`.
    pub capacity: Capacity,
    /// Name as signed.
    pub name: String,
    /// `electronic` (needs a `--patient-key`) or `wet_ink_witnessed` (needs
    /// `[source_document]`).
    pub method: SignMethod,
    /// For representatives: the authority they sign under.
    #[serde(default)]
    pub authority: Option<String>,
}

/// `[source_document]`: the signed form, by file (hashed when the consent is created) or by
/// its SHA-256.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDocumentToml {
    /// The form, relative to the TOML file.
    #[serde(default)]
    pub file: Option<String>,
    /// Its SHA-256, 64 hex digits.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
}

/// Parses a consent description. Errors name the file, the line and column, and what is
/// wrong, never a value from the file (see [`describe`]).
pub fn parse(text: &str, file: &Path) -> Result<ConsentToml, CliError> {
    toml::from_str(text).map_err(|e| invalid(file, describe(&e, text)))
}

/// An operator's description of a TOML error that carries no value from the file.
///
/// The file names the participant, so the `toml` crate's `Display` (which quotes the source
/// line) is not used. Its message is kept, redacted: the part after "expected" comes from the
/// TOML grammar or the schema; before it, anything in quotes or backticks came from the file
/// (an unknown variant, a string of the wrong type, an unparsable time) and is replaced by
/// "…", except an unknown key written like a schema key (`porpoises`: lowercase ASCII,
/// digits, `_`), which names a typo rather than a value. "missing field `x`" names the schema.
fn describe(e: &toml::de::Error, text: &str) -> String {
    let message = redact(e.message());
    match e.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

/// The message without what the file said (see [`describe`]).
fn redact(message: &str) -> String {
    let message = message.trim_end();
    if message.starts_with("missing field `") || message.starts_with("duplicate field `") {
        return message.to_owned();
    }
    if let Some(key) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once("`, "))
        .map(|(key, _)| key)
        && !key.is_empty()
        && key.len() <= 40
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return message.to_owned();
    }
    let (head, tail) = message.split_at(message.find("expected").unwrap_or(message.len()));
    let quote = |c: char| c == '`' || c == '"' || c == '\'';
    let redacted = match (head.find(quote), head.rfind(quote)) {
        (Some(first), Some(last)) => {
            // Everything from the first quote to the last (or to "expected" when a quote is
            // unmatched): a value may itself contain quotes.
            let end = if last > first { last + 1 } else { head.len() };
            let rest = head.get(end..).unwrap_or_default();
            format!("{}…{rest}", head.get(..first).unwrap_or_default())
        }
        _ => head.to_owned(),
    };
    format!("{redacted}{tail}")
}

fn invalid(file: &Path, reason: impl Into<String>) -> CliError {
    CliError::InvalidInput {
        what: format!("the consent description {}", file.display()),
        reason: reason.into(),
    }
}

fn party(s: &str, file: &Path) -> Result<Party, CliError> {
    match s.split_once(':') {
        Some(("agency", id)) if !id.is_empty() => Ok(Party::Agency(id.to_owned())),
        Some(("role", r)) => Role::parse(r).map(Party::Role).ok_or_else(|| {
            invalid(
                file,
                format!(
                    "party `{s}`: unknown role (court, prosecutor, probation, parole, police, lead_case_manager, treatment_provider, intermediary)"
                ),
            )
        }),
        _ => Err(invalid(
            file,
            format!("party `{s}` must be written \"agency:ID\" or \"role:ROLE\""),
        )),
    }
}

/// The largest signed consent form `[source_document] file` may name (spec/consent.md §10):
/// 20 MiB, room for a scanned multi-page form. The consent holds only its SHA-256.
pub const MAX_SOURCE_DOCUMENT_BYTES: u64 = 20 * 1024 * 1024;

/// The SHA-256 of the signed consent form at `path`, read in blocks and never beyond
/// [`MAX_SOURCE_DOCUMENT_BYTES`]: the size is checked before reading, and again while reading
/// (the file may grow, or not be a regular file).
fn hash_source_document(path: &Path) -> Result<[u8; 32], CliError> {
    use std::io::Read;
    const WHAT: &str = "the signed consent form";
    let too_large = |len: Option<u64>| CliError::InvalidInput {
        what: format!("{WHAT} {}", path.display()),
        reason: format!(
            "it is {}, over the limit of 20 MiB ({MAX_SOURCE_DOCUMENT_BYTES} bytes) for a source document",
            len.map_or_else(|| "larger".to_owned(), |n| format!("{n} bytes"))
        ),
    };
    let io = |e| CliError::io(path, WHAT, e);
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_SOURCE_DOCUMENT_BYTES {
        return Err(too_large(Some(len)));
    }
    let mut reader = file.take(MAX_SOURCE_DOCUMENT_BYTES + 1);
    let (mut hasher, mut block, mut total) = (Sha256::new(), vec![0u8; 64 * 1024], 0u64);
    loop {
        let n = match reader.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        total += n as u64;
        if total > MAX_SOURCE_DOCUMENT_BYTES {
            return Err(too_large(None));
        }
        hasher.update(block.get(..n).unwrap_or_default());
    }
    Ok(hasher.finalize().into())
}

/// What the command supplies besides the file.
#[derive(Debug)]
pub struct Signing<'a> {
    /// The witnessing agency's id.
    pub witness_id: &'a str,
    /// Its certified display name.
    pub witness_name: &'a str,
    /// Its certified signing key.
    pub witness_key: [u8; 32],
    /// The public keys of the electronic signers, in the order they appear in the file.
    pub electronic_keys: &'a [[u8; 32]],
    /// Default signing time.
    pub now: u64,
}

impl ConsentToml {
    /// How many signers sign electronically (each needs a `--patient-key`).
    pub fn electronic_signers(&self) -> usize {
        self.signers
            .iter()
            .filter(|s| s.method == SignMethod::Electronic)
            .count()
    }

    /// Builds the directive. `file` is the TOML's path (for messages and for hashing a source
    /// document given by file).
    pub fn into_directive(
        self,
        file: &Path,
        signing: &Signing<'_>,
    ) -> Result<ConsentDirective, CliError> {
        if self.electronic_signers() != signing.electronic_keys.len() {
            return Err(CliError::Usage(format!(
                "the consent lists {} electronic signer(s) but {} --patient-key file(s) were given; give one per electronic signer, in order",
                self.electronic_signers(),
                signing.electronic_keys.len()
            )));
        }
        let parties = |v: &[String]| {
            v.iter()
                .map(|p| party(p, file))
                .collect::<Result<Vec<_>, _>>()
        };
        let disclosers = parties(&self.disclosers)?;
        let recipients = parties(&self.recipients)?;

        let mut fields = BTreeMap::new();
        for (rt, list) in self.information.fields {
            let t = RecordType::parse(&rt).ok_or_else(|| {
                invalid(
                    file,
                    format!("[information.fields]: unknown record type `{rt}`"),
                )
            })?;
            let names = list
                .iter()
                .map(|n| {
                    n.parse::<FieldName>().map_err(|_| {
                        invalid(
                            file,
                            format!(
                                "[information.fields]: `{rt}` lists a name that is not a field name"
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            fields.insert(t, names);
        }
        let purposes = self
            .purposes
            .iter()
            .map(|p| p.parse::<Purpose>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(file, format!("purposes: {e}")))?;

        let revocation = if self.revocation.at_will {
            if self.revocation.date.is_some() || self.revocation.case_disposition.is_some() {
                return Err(invalid(
                    file,
                    "[revocation]: at_will = true takes no date or case_disposition",
                ));
            }
            Revocability::AtWill
        } else {
            Revocability::RevocableAfter(Expiry {
                date: self.revocation.date.map(|w| w.0),
                event: self
                    .revocation
                    .case_disposition
                    .map(|case_ref| EventTrigger { case_ref }),
            })
        };

        let mut keys = signing.electronic_keys.iter();
        let mut signers = Vec::with_capacity(self.signers.len() + 1);
        for s in self.signers {
            if s.capacity == Capacity::WitnessingAgency {
                return Err(invalid(
                    file,
                    "[[signers]]: leave the witnessing agency out; divex adds it from --agency",
                ));
            }
            let key = match s.method {
                SignMethod::Electronic => keys.next().copied(),
                SignMethod::WetInkWitnessed => None,
            };
            signers.push(Signer {
                capacity: s.capacity,
                name: s.name,
                method: s.method,
                key,
                agency_id: None,
                authority: s.authority,
            });
        }
        signers.push(Signer {
            capacity: Capacity::WitnessingAgency,
            name: signing.witness_name.to_owned(),
            method: SignMethod::Electronic,
            key: Some(signing.witness_key),
            agency_id: Some(signing.witness_id.to_owned()),
            authority: None,
        });

        let signed_at = self.signed_at.map_or(signing.now, |w| w.0);
        let source_document = match self.source_document {
            None => None,
            Some(sd) => {
                let sha256 = match (sd.file, sd.sha256) {
                    (Some(f), None) => {
                        let base = file.parent().unwrap_or(Path::new("."));
                        let path = base.join(f);
                        hash_source_document(&path)?
                    }
                    (None, Some(h)) => {
                        let v = hex::decode(h.trim())
                            .ok()
                            .and_then(|v| <[u8; 32]>::try_from(v).ok());
                        v.ok_or_else(|| {
                            invalid(file, "[source_document]: sha256 must be 64 hex digits")
                        })?
                    }
                    _ => {
                        return Err(invalid(
                            file,
                            "[source_document]: give exactly one of file or sha256",
                        ));
                    }
                };
                Some(SourceDocument {
                    sha256,
                    media_type: sd.media_type,
                })
            }
        };

        Ok(ConsentDirective {
            id: self.id,
            version: self.version,
            supersedes: self.supersedes,
            regime: self.regime,
            regulatory_basis: self.regulatory_basis,
            subject: self.subject,
            disclosers,
            recipients,
            purposes,
            information: Information {
                record_types: self.information.record_types,
                fields,
                tiers: self.information.tiers,
                excluded_record_types: self.information.excluded_record_types,
                data_period: self.information.data_period.map(|p| Period {
                    from: p.from.0,
                    to: p.to.0,
                }),
                description: self.information.description,
            },
            effective: self.effective.map_or(signed_at, |w| w.0),
            expiry: Expiry {
                date: self.expiry.date.map(|w| w.0),
                event: self
                    .expiry
                    .case_disposition
                    .map(|case_ref| EventTrigger { case_ref }),
            },
            revocation,
            redisclosure: self.redisclosure,
            use_restrictions: self.use_restrictions,
            notice: self.notice,
            case: self.case,
            signers,
            source_document,
            signed_at,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../examples/consent-pc1000.toml");

    #[test]
    fn example_parses_and_validates() {
        let path = Path::new("examples/consent-pc1000.toml");
        let t = parse(EXAMPLE, path).unwrap();
        assert_eq!(t.electronic_signers(), 1);
        let d = t
            .into_directive(
                path,
                &Signing {
                    witness_id: "treatment-provider",
                    witness_name: "County Treatment Program",
                    witness_key: *divex_core::keys::AgencyKeys::generate()
                        .public()
                        .signing()
                        .as_bytes(),
                    electronic_keys: &[*divex_core::keys::PersonalKey::generate()
                        .public()
                        .as_bytes()],
                    now: 1_790_000_000,
                },
            )
            .unwrap();
        d.validate().unwrap();
        assert_eq!(d.regime, Regime::Part2CriminalJustice);
        assert_eq!(d.signed_at, d.effective);
    }

    #[test]
    fn times() {
        #[derive(Deserialize)]
        struct T {
            a: When,
            b: When,
            c: When,
            d: When,
        }
        let t: T = toml::from_str(
            "a = 2026-09-21\nb = 2026-09-21T14:13:20Z\nc = 1790000000\nd = 2026-09-21T16:13:20+02:00\n",
        )
        .unwrap();
        assert_eq!(t.a.0, 1_789_948_800);
        assert_eq!(t.b.0, 1_790_000_000);
        assert_eq!(t.c.0, 1_790_000_000);
        assert_eq!(t.d.0, 1_790_000_000);
        assert!(toml::from_str::<T>("a = 2026-09-21T10:00:00\nb=1\nc=1\nd=1\n").is_err());
    }

    #[test]
    fn errors_name_the_place_never_the_value() {
        let name = "Jordan Avery Reyes";
        let line = "name = \"Jordan Avery Reyes\"";
        let cases = [
            (line.replace("Reyes\"", "Reyes"), "invalid basic string", 31),
            (
                line.replace("= ", "= 'Jordan\" ")
                    .replace("Reyes\"", "Reyes"),
                "literal string",
                31,
            ),
            (line.replace('"', ""), "must be quoted", 31),
            (format!("\"{name}\" = 1"), "unknown field …", 31),
            (
                format!("{line}\nsex = \"{name}\""),
                "unknown field `sex`",
                32,
            ),
            (format!("{line}\n{line}"), "duplicate key", 32),
        ];
        for (subject, what, at) in cases {
            let text = EXAMPLE.replacen(line, &subject, 1);
            assert_ne!(text, EXAMPLE);
            let e = parse(&text, Path::new("x.toml")).unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
            assert!(e.contains(&format!("line {at}, column ")), "{e}");
            for part in name.split(' ') {
                assert!(!e.contains(part), "{e}");
            }
        }
        let text = EXAMPLE.replacen("1994-03-14", name, 1);
        let e = parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(e.contains("line 32, column 17: invalid date"), "{e}");
        assert!(!e.contains("Jordan"), "{e}");
        let text = EXAMPLE.replacen("regime = \"", &format!("regime = \"{name}"), 1);
        let e = parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(
            e.contains("unknown variant …, expected one of `part2_2_31`"),
            "{e}"
        );
        assert!(!e.contains("Jordan"), "{e}");
        let text = EXAMPLE.replacen("# signed_at = ", "signed_at = \"Jordan\" #", 1);
        let e = parse(&text, Path::new("x.toml")).unwrap_err().to_string();
        assert!(e.contains("not a time"), "{e}");
        assert!(!e.contains("Jordan"), "{e}");
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("unknown variant `a`b\"c`, expected one of `x`, `y`"),
            "unknown variant …, expected one of `x`, `y`"
        );
        assert_eq!(
            redact("invalid type: string \"Jo \\\"x\", expected a sequence"),
            "invalid type: string …, expected a sequence"
        );
        assert_eq!(
            redact("unterminated `Jo expected"),
            "unterminated …expected"
        );
        assert_eq!(
            redact("unknown field `porpoises`, expected one of `purposes`"),
            "unknown field `porpoises`, expected one of `purposes`"
        );
        assert_eq!(
            redact("unknown field `Jordan`, expected one of `purposes`"),
            "unknown field …, expected one of `purposes`"
        );
        assert_eq!(redact("missing field `name`"), "missing field `name`");
        assert_eq!(line_column("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(line_column("ab\ncdé\nf", 6), (2, 3));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let bad = EXAMPLE.replace("purposes =", "porpoises =");
        assert!(parse(&bad, Path::new("x.toml")).is_err());
    }
}
