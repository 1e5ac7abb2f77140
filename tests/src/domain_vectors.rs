//! Spec vectors for the domain artifacts: agency certificates, certificate revocations and
//! directory bundles (`spec/vectors/directory/`), signed consents, revocation statements and
//! case events (`spec/vectors/consent/`), and encoded records of all thirteen types
//! (`spec/vectors/records/`).
//!
//! Same discipline as the envelope vectors: every key comes from a seeded generator
//! ([`crate::rng`]), certificate serials from their own seeded generator, and Ed25519 signing is
//! deterministic, so [`generate`] is a pure function. The `gen-vectors` binary writes one
//! scenario per file; the `domain_vectors` test regenerates them, fails on any difference, and
//! runs each through the real API (see [`DomainVector`] for how each kind is run).
//!
//! Refusals are named by stable class strings: [`DirectoryError::class`] for the directory,
//! and [`consent_class`] / [`record_class`] (defined here) for consents and records, with an
//! optional finer `detail`.

use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::records::{
    AsamLevel, Attendance, AttendanceStatus, CaseDisposition, ClinicalDetail, ComplianceStatus,
    Confirmation, CounselingNote, CourtEvent, CourtEventKind, CourtResponse, Date, Discharge,
    DischargeReason, Disposition, DrugTest, Enrollment, IntakeStatus, LeadEngagement, LeadStatus,
    Moud, PhaseChange, PlanDomain, ProgramRecommendation, ProgressReport, RecommendedResponse,
    Record, RecordError, RecordType, Referral, ReferralSource, ServiceType, Specimen, TestResult,
    Tier,
};
use divex_core::testing::codec::{self, CodecError, Map, Value};
use divex_core::testing::consent::{
    CONSENT_TYP, Capacity, CaseEvent, ConsentDirective, ConsentError, DispositionOutcome, Party,
    Revocability, RevocationStatement, SignMethod, SignedConsent, Signer, SourceDocument,
    StatementSigner,
};
use divex_core::testing::cose::{self, ProtectedHeader, alg, label};
use divex_core::testing::directory::{
    AgencyCertificate, AnchorKeys, CertificateRequest, Directory, DirectoryError, Role,
    TYP_CERTIFICATE, TYP_REVOCATION, TYP_SNAPSHOT,
};
use divex_core::testing::{AnchorKeysExt, CertificateRevocationExt, PersonalKeyExt, RecordExt};
use divex_core::vocab::Vocabulary;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::NOW;
use divex_core::error::Classified;
use divex_fixtures::{CASE, ConsentBuilder, DAY, Seeds, VALIDITY, World, agency, rng};

/// The vector folders under `spec/vectors/` this module generates, in order.
pub const FOLDERS: [&str; 3] = ["directory", "consent", "records"];

/// What a vector's `input` is, and so how it is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An agency certificate. Run: a directory trusting `anchors` takes `revocations`
    /// (setup, must succeed), then `Directory::add_certificate(input)`,
    /// `AgencyCertificate::from_bytes(input)` and `Directory::check(cert, now)`.
    /// `ok` result: the agency id.
    Certificate,
    /// A certificate revocation. Run: a directory trusting `anchors`, then
    /// `Directory::add_revocation(input)` and `CertificateRevocation::from_bytes(input)`.
    /// `ok` result: the revoked serial, hex.
    CertificateRevocation,
    /// A directory bundle. Run: with no `anchors`, `Directory::from_bytes(input)`; with
    /// `anchors`, `Directory::merge(input)` into a directory trusting only them.
    /// `ok` result: `"<anchors> anchors, <certificates> certificates, <revocations> revocations"`.
    Directory,
    /// A signed directory snapshot (spec/directory.md §5.4). Run: with no `anchors`,
    /// `Directory::from_bytes(input)`; with `anchors`, `Directory::merge(input)` into a directory
    /// trusting only them; then `Directory::check_fresh(its anchor, now)`. `ok` result:
    /// `"<anchors> anchors, <certificates> certificates, <revocations> revocations, sequence <n>"`.
    /// A stale or reused sequence needs two files, so it has no vector (the unit and CLI tests
    /// cover it).
    DirectorySnapshot,
    /// A signed consent. Run: `SignedConsent::verify(input, Directory::from_bytes(directory),
    /// now)`. `ok` result: the consent id.
    Consent,
    /// A consent revocation statement. Run: verify `consent` as above (setup, must succeed),
    /// then `RevocationStatement::verify(input, consent, directory, now)`. `ok` result: the
    /// agency that recorded it, or `patient_signer` when signed by a key that speaks for the
    /// patient.
    ConsentRevocation,
    /// A case event. Run: `CaseEvent::verify(input, Directory::from_bytes(directory), now)`.
    /// `ok` result: the signing agency's id.
    CaseEvent,
    /// A record. Run: `Record::from_bytes(record_type, input)`. No `ok` result: an accepted
    /// record re-encodes to exactly `input`.
    Record,
}

/// One domain spec vector (one scenario per file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainVector {
    /// Short scenario name (the file name without number and extension).
    pub scenario: String,
    /// What the scenario shows.
    pub description: String,
    /// What `input` is.
    pub kind: Kind,
    /// `ok`, or the class of the expected refusal: [`DirectoryError::class`],
    /// [`consent_class`] or [`record_class`].
    pub expect: String,
    /// For a refusal, a finer stable name where the error carries one ([`directory_detail`],
    /// [`consent_detail`], [`record_detail`]): the codec class of a `malformed` input, the
    /// element of a `deficient` consent, the capacity whose signature failed, the field of a
    /// record error.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    /// For `ok`: what verification yields (see [`Kind`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<String>,
    /// The time of the check, seconds since the Unix epoch (not used for records).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub now: Option<u64>,
    /// For records: the record type token (the envelope's record-type header).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub record_type: Option<String>,
    /// The bytes under test, hex.
    pub input: String,
    /// For consent revocations: the signed consent the statement is checked against, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub consent: Option<String>,
    /// Trust anchors (anchor-file encoding `{"key", "name"}`), hex.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub anchors: Vec<String>,
    /// Certificate revocations the directory holds before the check, hex.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub revocations: Vec<String>,
    /// The directory bundle used to verify consents, revocation statements and case events, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub directory: Option<String>,
}

impl DomainVector {
    fn new(kind: Kind, scenario: &str, expect: &str, description: &str, input: &[u8]) -> Self {
        DomainVector {
            scenario: scenario.to_owned(),
            description: description.to_owned(),
            kind,
            expect: expect.to_owned(),
            detail: None,
            result: None,
            now: None,
            record_type: None,
            input: hex::encode(input),
            consent: None,
            anchors: Vec::new(),
            revocations: Vec::new(),
            directory: None,
        }
    }

    fn detail(mut self, d: &str) -> Self {
        self.detail = Some(d.to_owned());
        self
    }

    fn result(mut self, r: &str) -> Self {
        self.result = Some(r.to_owned());
        self
    }
}

/// The file name of vector number `i` of a folder.
pub fn file_name(i: usize, v: &DomainVector) -> String {
    format!("{:03}-{}.json", i + 1, v.scenario)
}

/// The file contents of a vector (pretty JSON, trailing newline).
pub fn to_file(v: &DomainVector) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("serialize");
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------------
// Stable class names

/// The stable name of a codec error (the `detail` of a `malformed` refusal).
pub fn codec_class(e: &CodecError) -> &'static str {
    e.class()
}

/// The finer name of a directory refusal: the codec class of a `malformed` one, the key of an
/// `invalid_key` one (`signing_key`, `encryption_key`, `trust_anchor_key`).
pub fn directory_detail(e: &DirectoryError) -> Option<String> {
    match e {
        DirectoryError::Malformed { source, .. } => Some(codec_class(source).to_owned()),
        DirectoryError::InvalidKey { which, .. } => Some(which.replace(' ', "_")),
        _ => None,
    }
}

/// The stable class of a consent, revocation-statement or case-event refusal (the snake_case
/// variant name; `ConsentError` has no `class()` of its own).
pub fn consent_class(e: &ConsentError) -> &'static str {
    e.class()
}

fn capacity_name(c: Capacity) -> &'static str {
    match c {
        Capacity::Patient => "patient",
        Capacity::Parent => "parent",
        Capacity::Guardian => "guardian",
        Capacity::Representative => "representative",
        Capacity::WitnessingAgency => "witnessing_agency",
    }
}

/// The finer name of a consent refusal: the codec class of a `malformed` document, the
/// element of a `deficient` consent, the capacity of a `bad_signature`, the agency of an
/// `uncertified_witness` or `signer_compromised`, the statement (`revocation`, `case_event`) of a
/// `bad_statement_signature` or `future_dated`.
pub fn consent_detail(e: &ConsentError) -> Option<String> {
    match e {
        ConsentError::Malformed(c) => Some(codec_class(c).to_owned()),
        ConsentError::Deficient { element, .. } => Some((*element).to_owned()),
        ConsentError::BadSignature { capacity } => Some(capacity_name(*capacity).to_owned()),
        ConsentError::UncertifiedWitness { agency_id, .. }
        | ConsentError::SignerCompromised { agency_id, .. } => Some(agency_id.clone()),
        ConsentError::BadStatementSignature { what } | ConsentError::FutureDated { what, .. } => {
            Some(what.replace(' ', "_"))
        }
        _ => None,
    }
}

/// The stable class of a record refusal (the snake_case variant name, `malformed` for a codec
/// error; `RecordError` has no `class()` of its own).
pub fn record_class(e: &RecordError) -> &'static str {
    e.class()
}

/// The finer name of a record refusal: the codec class of a `malformed` record, otherwise the
/// field concerned (for `date_order`, the later field; for `missing_one_of`, the alternatives).
pub fn record_detail(e: &RecordError) -> Option<String> {
    match e {
        RecordError::Codec(c) => Some(codec_class(c).to_owned()),
        RecordError::UnknownField { field, .. } => Some(field.clone()),
        RecordError::MissingField { field, .. }
        | RecordError::InvalidValue { field, .. }
        | RecordError::TooLong { field, .. }
        | RecordError::TooMany { field, .. }
        | RecordError::RequiredField { field, .. } => Some((*field).to_owned()),
        RecordError::DateOrder { later, .. } => Some((*later).to_owned()),
        RecordError::MissingOneOf { fields, .. } => Some((*fields).to_owned()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The deterministic world

/// Certificates run from a year before `NOW` to three years after it.
const NOT_BEFORE: u64 = VALIDITY.0;
const NOT_AFTER: u64 = VALIDITY.1;

/// The seeded shared [`World`] of the domain vectors (nine agencies certified by the
/// county anchor from [`NOT_BEFORE`] to [`NOT_AFTER`], but new-provider, certified only five
/// days before `NOW`), with a second, untrusted anchor and the county anchor's revocations of
/// other-court's and other-provider's certificates (both in the directory).
struct DomainWorld {
    world: World,
    rogue: AnchorKeys,
    /// The county anchor's revocation of other-court's certificate (in effect at `NOW`).
    other_court_revoked: Vec<u8>,
}

/// The vectors read the shared world's anchor, directory, keys and people directly.
impl std::ops::Deref for DomainWorld {
    type Target = World;

    fn deref(&self) -> &World {
        &self.world
    }
}

fn anchor_keys(label: &str, name: &str) -> AnchorKeys {
    AnchorKeys::generate_with_rng(name, &mut rng(&format!("domain anchor {label}")))
        .expect("anchor")
}

/// A certificate from `anchor` with a serial drawn from its own seeded generator.
fn issue(
    anchor: &AnchorKeys,
    serial_label: &str,
    agency_id: &str,
    roles: Vec<Role>,
    part2_program: bool,
    keys: &AgencyKeys,
    validity: (u64, u64),
) -> AgencyCertificate {
    anchor
        .issue_with_rng(
            &CertificateRequest {
                agency_id: agency_id.into(),
                name: agency_id.replace('-', " "),
                roles,
                part2_program,
                keys: keys.public().clone(),
                not_before: validity.0,
                not_after: validity.1,
            },
            &mut rng(&format!("domain serial {serial_label}")),
        )
        .expect("issue")
}

impl DomainWorld {
    fn new() -> DomainWorld {
        let mut world = World::builder()
            .seeded(Seeds {
                anchor: "domain anchor county".into(),
                serial: "domain serial ".into(),
                person: "domain person ".into(),
            })
            .anchor_name("County Justice IT")
            // The shared agencies but the rotated provider, and a provider certified only five
            // days before `NOW`.
            .without("rotated-provider")
            .agency("new-provider", Role::TreatmentProvider, true)
            .not_before("new-provider", NOW - 5 * DAY)
            .build();
        let revoke = |id: &str| {
            world
                .anchor
                .revoke(
                    world.certificate(id).serial(),
                    NOW - 7 * DAY,
                    "key_compromise",
                )
                .expect("revoke")
                .to_bytes()
        };
        let other_court_revoked = revoke("other-court");
        let other_provider_revoked = revoke("other-provider");
        for r in [&other_court_revoked, &other_provider_revoked] {
            world.directory.add_revocation(r).expect("revocation");
        }
        DomainWorld {
            world,
            rogue: anchor_keys("rogue", "Rogue Justice IT"),
            other_court_revoked,
        }
    }

    fn anchor_hex(&self) -> String {
        hex::encode(self.anchor.public().to_bytes())
    }

    fn directory_hex(&self) -> String {
        hex::encode(self.directory.to_bytes())
    }
}

// ---------------------------------------------------------------------------------------------
// CBOR and COSE surgery

/// A copy of `m` with the text key `key` set to `value`.
fn with_key(m: &Map, key: &str, value: Value) -> Map {
    let mut out = without_key(m, key);
    out.insert(Value::from(key), value).expect("distinct keys");
    out
}

/// A copy of `m` without the text key `key`.
fn without_key(m: &Map, key: &str) -> Map {
    let mut out = Map::new();
    for (k, v) in m.iter() {
        if k.as_text() != Some(key) {
            out.insert(k.clone(), v.clone()).expect("distinct keys");
        }
    }
    out
}

fn parse_sign1(bytes: &[u8]) -> cose::Sign1 {
    cose::Sign1::from_value(
        &codec::decode(bytes).expect("strict CBOR"),
        true,
        &codec::DecodeLimits::DEFAULT,
    )
    .expect("COSE_Sign1")
}

fn parse_sign(bytes: &[u8]) -> cose::Sign {
    cose::Sign::from_value(
        &codec::decode(bytes).expect("strict CBOR"),
        true,
        &codec::DecodeLimits::DEFAULT,
    )
    .expect("COSE_Sign")
}

/// The payload map of a signed document.
fn payload_map(bytes: &[u8]) -> Map {
    codec::decode(&parse_sign1(bytes).payload)
        .expect("payload")
        .as_map()
        .expect("payload map")
        .clone()
}

/// The document with its payload replaced and its signature kept (a tamperer without keys).
fn replace_payload(bytes: &[u8], payload: &Map) -> Vec<u8> {
    let mut s = parse_sign1(bytes);
    s.payload = codec::encode(&Value::Map(payload.clone()));
    s.to_bytes()
}

/// `COSE_Sign1 {1: alg, 4: anchor kid, 16: typ}` over `payload`, signed with the anchor's
/// key: the anchor signing something its issuing software would refuse to.
fn anchor_sign(anchor: &AnchorKeys, alg_id: i64, typ: &str, payload: &Map) -> Vec<u8> {
    let key = PersonalKey::from_secret_bytes(&anchor.expose_secret_bytes());
    let mut pm = Map::new();
    pm.insert(Value::from(label::ALG), Value::from(alg_id))
        .expect("distinct");
    pm.insert(
        Value::from(label::KID),
        Value::bytes(anchor.kid().as_bytes()),
    )
    .expect("distinct");
    pm.insert(Value::from(label::TYP), Value::from(typ))
        .expect("distinct");
    let protected = ProtectedHeader::new(pm);
    let payload = codec::encode(&Value::Map(payload.clone()));
    let signature = key
        .sign(&cose::sig_structure(protected.as_bytes(), &[], &payload))
        .to_vec();
    cose::Sign1 {
        protected,
        unprotected: Map::new(),
        payload,
        signature,
    }
    .to_bytes()
}

/// Signs a consent payload without validating it: one signature per key, in order, with
/// the header `SignedConsent::sign` uses (a signing tool that skips the required-element
/// check).
fn sign_consent_unchecked(payload: Vec<u8>, keys: &[&dyn StatementSigner]) -> Vec<u8> {
    let mut body = Map::new();
    body.insert(Value::from(label::TYP), Value::from(CONSENT_TYP))
        .expect("distinct");
    let mut msg = cose::Sign {
        protected: ProtectedHeader::new(body),
        unprotected: Map::new(),
        payload,
        signatures: Vec::new(),
    };
    for k in keys {
        let sig = signature_by(&msg, *k);
        msg.signatures.push(sig);
    }
    msg.to_bytes()
}

/// A `COSE_Signature` by `key` over `msg`, with the signer header consents use.
fn signature_by(msg: &cose::Sign, key: &dyn StatementSigner) -> cose::Signature {
    let mut m = Map::new();
    m.insert(Value::from(label::ALG), Value::from(alg::ED25519))
        .expect("distinct");
    m.insert(
        Value::from(label::KID),
        Value::bytes(key.signing_public().kid().as_bytes()),
    )
    .expect("distinct");
    let protected = ProtectedHeader::new(m);
    let signature = key
        .sign_message(&msg.to_be_signed(protected.as_bytes(), &[]))
        .to_vec();
    cose::Signature {
        protected,
        unprotected: Map::new(),
        signature,
    }
}

/// A map encoded with its entries in the given order (possibly not canonical), each entry
/// `(encoded key, encoded value)`.
fn raw_map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    codec::write_head(&mut out, 5, entries.len() as u64);
    for (k, v) in entries {
        out.extend_from_slice(k);
        out.extend_from_slice(v);
    }
    out
}

/// The canonical entries of an encoded map.
fn entries(v: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    v.as_map()
        .expect("map")
        .iter()
        .map(|(k, v)| (codec::encode(k), codec::encode(v)))
        .collect()
}

fn with_trailing_byte(b: &[u8]) -> Vec<u8> {
    let mut out = b.to_vec();
    out.push(0x00);
    out
}

// ---------------------------------------------------------------------------------------------
// Generation

/// Generates every domain vector, by folder (in [`FOLDERS`] order), each in file order.
pub fn generate() -> Vec<(&'static str, Vec<DomainVector>)> {
    let w = DomainWorld::new();
    vec![
        ("directory", directory_vectors(&w)),
        ("consent", consent_vectors(&w)),
        ("records", record_vectors()),
    ]
}

fn certificate(
    w: &DomainWorld,
    scenario: &str,
    expect: &str,
    desc: &str,
    b: &[u8],
) -> DomainVector {
    DomainVector {
        now: Some(NOW),
        anchors: vec![w.anchor_hex()],
        ..DomainVector::new(Kind::Certificate, scenario, expect, desc, b)
    }
}

fn revocation(w: &DomainWorld, scenario: &str, expect: &str, desc: &str, b: &[u8]) -> DomainVector {
    DomainVector {
        anchors: vec![w.anchor_hex()],
        ..DomainVector::new(Kind::CertificateRevocation, scenario, expect, desc, b)
    }
}

fn directory_vectors(w: &DomainWorld) -> Vec<DomainVector> {
    let mut out = Vec::new();
    let provider = w.certificate("treatment-provider");
    let police = w.certificate("police-lead-unit");
    let other_court = w.certificate("other-court");

    // Self-check: re-signing with the anchor's key reproduces what the anchor issued.
    assert_eq!(
        anchor_sign(
            &w.anchor,
            alg::ED25519,
            TYP_CERTIFICATE,
            &payload_map(provider.as_bytes())
        ),
        provider.as_bytes(),
        "anchor re-signing drifted"
    );

    // --- Certificates ------------------------------------------------------------------------
    out.push(
        certificate(
            w,
            "certificate-ok",
            "ok",
            "The county anchor's certificate for the treatment provider (a Part 2 program), \
             valid at now.",
            provider.as_bytes(),
        )
        .result("treatment-provider"),
    );
    {
        let scheduled = w
            .anchor
            .revoke(
                w.certificate("probation").serial(),
                NOW + 30 * DAY,
                "superseded",
            )
            .expect("revoke");
        out.push(
            DomainVector {
                revocations: vec![hex::encode(scheduled.as_bytes())],
                ..certificate(
                    w,
                    "certificate-ok-revocation-scheduled",
                    "ok",
                    "Probation's certificate with a revocation that takes effect 30 days after \
                     now: still valid at now.",
                    w.certificate("probation").as_bytes(),
                )
            }
            .result("probation"),
        );
    }
    {
        let c = issue(
            &w.rogue,
            "rogue superior-court",
            "superior-court",
            vec![Role::Court],
            false,
            &agency("outsider"),
            (NOT_BEFORE, NOT_AFTER),
        );
        out.push(certificate(
            w,
            "certificate-unknown-anchor",
            "unknown_anchor",
            "A certificate claiming the superior court's id, issued by an anchor the directory \
             does not trust.",
            c.as_bytes(),
        ));
    }
    {
        let m = with_key(
            &payload_map(police.as_bytes()),
            "roles",
            Value::Array(vec![Value::from("court")]),
        );
        out.push(certificate(
            w,
            "certificate-tampered-roles",
            "bad_signature",
            "The police LEAD unit's certificate with its roles changed from police to court \
             after signing (the anchor's signature kept).",
            &replace_payload(police.as_bytes(), &m),
        ));
    }
    {
        let c = issue(
            &w.anchor,
            "expired probation",
            "probation",
            vec![Role::Probation],
            false,
            &agency("probation"),
            (NOW - 400 * DAY, NOW - DAY),
        );
        out.push(certificate(
            w,
            "certificate-expired",
            "expired",
            "An earlier certificate of probation whose not_after is one day before now.",
            c.as_bytes(),
        ));
    }
    {
        let c = issue(
            &w.anchor,
            "future probation",
            "probation",
            vec![Role::Probation],
            false,
            &agency("probation"),
            (NOW + DAY, NOW + 365 * DAY),
        );
        out.push(certificate(
            w,
            "certificate-not-yet-valid",
            "not_yet_valid",
            "A renewal of probation's certificate whose not_before is one day after now.",
            c.as_bytes(),
        ));
    }
    out.push(DomainVector {
        revocations: vec![hex::encode(&w.other_court_revoked)],
        ..certificate(
            w,
            "certificate-revoked",
            "revoked",
            "The other court's certificate, revoked (key_compromise) seven days before now.",
            other_court.as_bytes(),
        )
    });
    {
        // The Ed25519 identity point: canonical, on the curve, of small order.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let m = with_key(
            &payload_map(provider.as_bytes()),
            "signing_key",
            Value::bytes(weak),
        );
        out.push(
            certificate(
                w,
                "certificate-weak-signing-key",
                "invalid_key",
                "Signed by the trusted anchor, but the agency's signing key is the Ed25519 \
             identity point (a small-order key that verifies forged signatures).",
                &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &m),
            )
            .detail("signing_key"),
        );
    }
    {
        let m = with_key(
            &payload_map(provider.as_bytes()),
            "encryption_key",
            Value::bytes([0u8; 32]),
        );
        out.push(
            certificate(
                w,
                "certificate-low-order-encryption-key",
                "invalid_key",
                "Signed by the trusted anchor, but the agency's X25519 key is the all-zero \
             low-order point (every key agreement with it is zero).",
                &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &m),
            )
            .detail("encryption_key"),
        );
    }
    {
        let m = with_key(
            &payload_map(provider.as_bytes()),
            "agency_id",
            Value::from("Treatment Provider"),
        );
        out.push(certificate(
            w,
            "certificate-invalid-agency-id",
            "invalid_certificate",
            "Signed by the trusted anchor, but the agency id has capitals and a space (ids are \
             [a-z0-9._-]{1,64}).",
            &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &m),
        ));
    }
    {
        let m = with_key(
            &payload_map(provider.as_bytes()),
            "roles",
            Value::Array(vec![
                Value::from("treatment_provider"),
                Value::from("probation"),
            ]),
        );
        out.push(certificate(
            w,
            "certificate-roles-unsorted",
            "invalid_certificate",
            "Signed by the trusted anchor, but the roles are not sorted by name.",
            &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &m),
        ));
    }
    {
        let m = with_key(
            &payload_map(provider.as_bytes()),
            "not_after",
            Value::from(NOT_BEFORE),
        );
        out.push(certificate(
            w,
            "certificate-empty-validity",
            "invalid_certificate",
            "Signed by the trusted anchor, but not_after equals not_before.",
            &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &m),
        ));
    }
    {
        let m = with_key(
            &payload_map(provider.as_bytes()),
            "email",
            Value::from("intake@example.invalid"),
        );
        out.push(
            certificate(
                w,
                "certificate-unknown-field",
                "malformed",
                "Signed by the trusted anchor, but the payload has a field the certificate \
                 schema does not define.",
                &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &m),
            )
            .detail("schema"),
        );
    }
    out.push(certificate(
        w,
        "certificate-is-a-revocation",
        "wrong_type",
        "A certificate revocation (typ application/divex-revocation+cbor) presented as a \
         certificate.",
        &w.other_court_revoked,
    ));
    {
        let m = payload_map(provider.as_bytes());
        out.push(certificate(
            w,
            "certificate-alg-eddsa",
            "structure",
            "Signed by the trusted anchor with alg EdDSA (-8) instead of Ed25519 (-19).",
            &anchor_sign(&w.anchor, -8, TYP_CERTIFICATE, &m),
        ));
    }
    {
        let untagged = match codec::decode(provider.as_bytes()).expect("decode") {
            Value::Tag(_, inner) => codec::encode(&inner),
            _ => unreachable!("tagged"),
        };
        out.push(certificate(
            w,
            "certificate-untagged",
            "structure",
            "The provider's certificate without its COSE_Sign1 tag 18.",
            &untagged,
        ));
    }
    out.push(
        certificate(
            w,
            "certificate-trailing-byte",
            "malformed",
            "The provider's certificate with a zero byte appended.",
            &with_trailing_byte(provider.as_bytes()),
        )
        .detail("trailing_bytes"),
    );

    // --- Certificate revocations -------------------------------------------------------------
    out.push(
        revocation(
            w,
            "revocation-ok",
            "ok",
            "The county anchor revokes the other court's certificate (key_compromise).",
            &w.other_court_revoked,
        )
        .result(&other_court.serial().to_string()),
    );
    {
        let r = w
            .rogue
            .revoke(provider.serial(), NOW - DAY, "key_compromise")
            .expect("revoke");
        out.push(revocation(
            w,
            "revocation-unknown-anchor",
            "unknown_anchor",
            "A revocation of the provider's serial signed by an anchor the directory does not \
             trust.",
            r.as_bytes(),
        ));
    }
    {
        let m = with_key(
            &payload_map(&w.other_court_revoked),
            "serial",
            Value::bytes(provider.serial().0),
        );
        out.push(revocation(
            w,
            "revocation-tampered-serial",
            "bad_signature",
            "The other court's revocation redirected at the provider's serial after signing.",
            &replace_payload(&w.other_court_revoked, &m),
        ));
    }
    out.push(revocation(
        w,
        "revocation-is-a-certificate",
        "wrong_type",
        "The provider's certificate presented as a revocation.",
        provider.as_bytes(),
    ));
    {
        let m = with_key(
            &payload_map(&w.other_court_revoked),
            "reason",
            Value::from("Key Compromise"),
        );
        out.push(revocation(
            w,
            "revocation-invalid-reason",
            "invalid_revocation",
            "Signed by the trusted anchor, but the reason is not a token ([a-z0-9._-]{1,64}).",
            &anchor_sign(&w.anchor, alg::ED25519, TYP_REVOCATION, &m),
        ));
    }

    // --- Directory bundles -------------------------------------------------------------------
    let bundle = w.directory.to_bytes();
    let counts = format!(
        "{} anchors, {} certificates, {} revocations",
        w.directory.anchors().count(),
        w.directory.certificates().count(),
        w.directory.revocations().count()
    );
    out.push(
        DomainVector::new(
            Kind::Directory,
            "directory-bundle-ok",
            "ok",
            "The county directory (one anchor, nine certificates, two revocations) loaded as \
             configuration.",
            &bundle,
        )
        .result(&counts),
    );
    out.push(
        DomainVector {
            anchors: vec![w.anchor_hex()],
            ..DomainVector::new(
                Kind::Directory,
                "directory-bundle-merge-ok",
                "ok",
                "The same bundle merged into a directory that pinned the county anchor.",
                &bundle,
            )
        }
        .result(&counts),
    );
    {
        let mut d = Directory::new();
        d.add_anchor(w.rogue.public()).expect("anchor");
        let c = issue(
            &w.rogue,
            "rogue superior-court",
            "superior-court",
            vec![Role::Court],
            false,
            &agency("outsider"),
            (NOT_BEFORE, NOT_AFTER),
        );
        d.add_certificate(c.as_bytes()).expect("certificate");
        out.push(DomainVector {
            anchors: vec![w.anchor_hex()],
            ..DomainVector::new(
                Kind::Directory,
                "directory-bundle-merge-unpinned-anchor",
                "unknown_anchor",
                "A bundle bringing its own anchor, merged into a directory that pinned only \
                 the county anchor.",
                &d.to_bytes(),
            )
        });
    }
    {
        let m = with_key(
            &payload_map(police.as_bytes()),
            "roles",
            Value::Array(vec![Value::from("court")]),
        );
        let tampered = replace_payload(police.as_bytes(), &m);
        let out_bundle = rebuild_bundle(&bundle, |certs| {
            for c in certs.iter_mut() {
                if c.as_slice() == police.as_bytes() {
                    c.clone_from(&tampered);
                }
            }
            certs.sort();
        });
        out.push(DomainVector::new(
            Kind::Directory,
            "directory-bundle-tampered-certificate",
            "bad_signature",
            "The county directory with the police certificate's roles changed to court.",
            &out_bundle,
        ));
    }
    {
        let out_bundle = rebuild_bundle(&bundle, |certs| certs.reverse());
        out.push(DomainVector::new(
            Kind::Directory,
            "directory-bundle-unsorted",
            "structure",
            "The county directory with its certificates in descending instead of ascending \
             byte order.",
            &out_bundle,
        ));
    }
    out.push(DomainVector::new(
        Kind::Directory,
        "directory-bundle-is-a-certificate",
        "wrong_type",
        "The provider's certificate presented as a directory bundle.",
        provider.as_bytes(),
    ));
    out.extend(snapshot_vectors(w));
    out
}

/// Signed directory snapshots (spec/directory.md §5.4): the county anchor's snapshot number 7,
/// signed a day before `NOW` and expiring six days after it, and its refusals.
fn snapshot_vectors(w: &DomainWorld) -> Vec<DomainVector> {
    let mut out = Vec::new();
    let snapshot = |sequence: u64, signed_at: u64, expires: u64| {
        w.anchor
            .publish(&w.directory, sequence, signed_at, expires)
            .expect("publish")
    };
    let ok = snapshot(7, NOW - DAY, NOW + 6 * DAY);
    let vector = |scenario: &str, expect: &str, description: &str, input: &[u8]| DomainVector {
        now: Some(NOW),
        anchors: vec![w.anchor_hex()],
        ..DomainVector::new(
            Kind::DirectorySnapshot,
            scenario,
            expect,
            description,
            input,
        )
    };
    let counts = format!(
        "1 anchors, {} certificates, {} revocations, sequence 7",
        w.directory.certificates().count(),
        w.directory.revocations().count()
    );
    out.push(
        vector(
            "directory-snapshot-merge-ok",
            "ok",
            "The county anchor's signed snapshot number 7 (its certificates and revocations, \
             signed a day ago, expiring in six days) merged into a directory that pinned the \
             county anchor.",
            &ok,
        )
        .result(&counts),
    );
    out.push(
        DomainVector {
            anchors: Vec::new(),
            ..vector(
                "directory-snapshot-ok",
                "ok",
                "The same snapshot loaded as configuration: its one anchor, which signed it, \
                 becomes trusted.",
                &ok,
            )
        }
        .result(&counts),
    );
    out.push(vector(
        "directory-snapshot-expired",
        "bundle_expired",
        "A snapshot that verifies but expired three days ago (signed ten days ago): the \
         directory may miss revocations published since.",
        &snapshot(6, NOW - 10 * DAY, NOW - 3 * DAY),
    ));
    {
        // The payload's sequence 7 changed to 8, the signature kept.
        let m = with_key(&payload_map(&ok), "sequence", Value::from(8u64));
        out.push(vector(
            "directory-snapshot-tampered-sequence",
            "bad_signature",
            "The snapshot with its sequence changed from 7 to 8 (a distributor passing an old \
             snapshot off as a newer one).",
            &replace_payload(&ok, &m),
        ));
    }
    out.push(vector(
        "directory-snapshot-wrong-typ",
        "wrong_type",
        "The snapshot's payload signed by the county anchor under the certificate typ: no \
         signed object is taken for another.",
        &anchor_sign(&w.anchor, alg::ED25519, TYP_CERTIFICATE, &payload_map(&ok)),
    ));
    {
        let m = with_key(
            &payload_map(&ok),
            "expires",
            Value::from(NOW - DAY + 32 * DAY),
        );
        out.push(vector(
            "directory-snapshot-expires-too-far",
            "invalid_snapshot",
            "Signed by the county anchor, but expiring 32 days after it was signed (at most 31 \
             are allowed).",
            &anchor_sign(&w.anchor, alg::ED25519, TYP_SNAPSHOT, &m),
        ));
    }
    {
        let rogue_cert = issue(
            &w.rogue,
            "rogue snapshot item",
            "rogue-court",
            vec![Role::Court],
            false,
            &agency("outsider"),
            (NOT_BEFORE, NOT_AFTER),
        );
        let m = payload_map(&ok);
        let mut certs: Vec<Vec<u8>> = m
            .get(&Value::from("certificates"))
            .and_then(Value::as_array)
            .expect("certificates")
            .iter()
            .map(|c| c.as_bytes().expect("bstr").to_vec())
            .collect();
        certs.push(rogue_cert.as_bytes().to_vec());
        certs.sort();
        let m = with_key(
            &m,
            "certificates",
            Value::Array(certs.iter().map(Value::bytes).collect()),
        );
        out.push(DomainVector {
            anchors: vec![w.anchor_hex(), hex::encode(w.rogue.public().to_bytes())],
            ..vector(
                "directory-snapshot-foreign-certificate",
                "invalid_snapshot",
                "A county snapshot carrying a certificate of another anchor (pinned too, its \
                 signature good): a snapshot speaks only for its own anchor.",
                &anchor_sign(&w.anchor, alg::ED25519, TYP_SNAPSHOT, &m),
            )
        });
    }
    {
        let mut d = Directory::new();
        d.add_anchor(w.rogue.public()).expect("anchor");
        let rogue = w
            .rogue
            .publish(&d, 1, NOW - DAY, NOW + DAY)
            .expect("publish");
        out.push(vector(
            "directory-snapshot-unpinned-anchor",
            "unknown_anchor",
            "A snapshot signed by an anchor the directory does not trust.",
            &rogue,
        ));
    }
    out
}

/// The bundle with its certificate list changed by `f`.
fn rebuild_bundle(bundle: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let v = codec::decode(bundle).expect("bundle");
    let m = v.as_map().expect("map");
    let mut certs: Vec<Vec<u8>> = m
        .get(&Value::from("certificates"))
        .and_then(Value::as_array)
        .expect("certificates")
        .iter()
        .map(|c| c.as_bytes().expect("bstr").to_vec())
        .collect();
    f(&mut certs);
    let m = with_key(
        m,
        "certificates",
        Value::Array(certs.iter().map(Value::bytes).collect()),
    );
    codec::encode(&Value::Map(m))
}

// --- Consents ----------------------------------------------------------------------------------

/// Agency `id` as the witnessing signer, listed with `key` (which need not be its own; the
/// shared world's [`World::witness`] lists the agency's own key).
fn witness(id: &str, key: &AgencyKeys) -> Signer {
    Signer {
        capacity: Capacity::WitnessingAgency,
        name: id.replace('-', " "),
        method: SignMethod::Electronic,
        key: Some(*key.public().signing().as_bytes()),
        agency_id: Some(id.into()),
        authority: None,
    }
}

/// Signs with the patient, the parent and every agency that appears (each signer picks its
/// key), through the API.
fn sign(w: &DomainWorld, d: &ConsentDirective) -> Vec<u8> {
    let outsider = agency("outsider");
    let mut keys: Vec<&dyn StatementSigner> = vec![&w.patient, &w.parent, &outsider];
    for k in w.keys.values() {
        keys.push(k);
    }
    SignedConsent::sign(d, &keys)
        .expect("valid consent")
        .as_bytes()
        .to_vec()
}

/// Signs without validating, with the keys of the keyed signers in signer order.
fn sign_unchecked(w: &DomainWorld, d: &ConsentDirective) -> Vec<u8> {
    let mut all: Vec<&dyn StatementSigner> = vec![&w.patient, &w.parent];
    for k in w.keys.values() {
        all.push(k);
    }
    let keys: Vec<&dyn StatementSigner> = d
        .signers
        .iter()
        .filter_map(|s| s.key)
        .map(|pk| {
            *all.iter()
                .find(|k| *k.signing_public().as_bytes() == pk)
                .expect("key of a listed signer")
        })
        .collect();
    sign_consent_unchecked(codec::to_vec(d).expect("payload"), &keys)
}

fn statement(
    w: &DomainWorld,
    kind: Kind,
    scenario: &str,
    expect: &str,
    desc: &str,
    b: &[u8],
) -> DomainVector {
    DomainVector {
        now: Some(NOW),
        directory: Some(w.directory_hex()),
        ..DomainVector::new(kind, scenario, expect, desc, b)
    }
}

fn consent_vectors(w: &DomainWorld) -> Vec<DomainVector> {
    let mut out = Vec::new();
    let c = |scenario: &str, expect: &str, desc: &str, b: &[u8]| {
        statement(w, Kind::Consent, scenario, expect, desc, b)
    };
    let pc1000 = || ConsentBuilder::pc1000(w);
    let lead = || ConsentBuilder::lead(w);
    let pc = pc1000().build();
    let pc_signed = sign(w, &pc);
    let ld = lead().build();
    let lead_signed = sign(w, &ld);
    let mn = ConsentBuilder::minor(w).build();
    let minor_signed = sign(w, &mn);
    // Self-check: the unchecked signer produces exactly what the API does.
    assert_eq!(
        sign_unchecked(w, &pc),
        pc_signed,
        "unchecked signing drifted"
    );

    // --- Signed consents ---------------------------------------------------------------------
    out.push(
        c(
            "consent-ok-pc1000-2-35",
            "ok",
            "The PC 1000 §2.35 consent (provider → court, DA, probation; irrevocable until the \
             case's final disposition), signed by the patient and witnessed by the provider.",
            &pc_signed,
        )
        .result("c-pc1000-0001"),
    );
    out.push(
        c(
            "consent-ok-lead-2-31",
            "ok",
            "The LEAD §2.31 consent (case manager → police LEAD unit, revocable at will, no \
             adverse action), signed by the patient and witnessed by the case manager.",
            &lead_signed,
        )
        .result("c-lead-0007"),
    );
    out.push(
        c(
            "consent-ok-parent-signed-minor",
            "ok",
            "A §2.31 consent for a minor signed by a parent stating their authority, witnessed \
             by the provider.",
            &minor_signed,
        )
        .result("c-minor-0003"),
    );
    {
        let d = pc1000()
            .id("c-pc1000-0002")
            .wet_ink(SourceDocument {
                sha256: Sha256::digest(b"scanned PC 1000 consent form, signed in ink").into(),
                media_type: "application/pdf".into(),
            })
            .build();
        out.push(
            c(
                "consent-ok-wet-ink-witnessed",
                "ok",
                "A PC 1000 consent signed in ink on the paper form: the form's hash is in \
                 source_document and only the witnessing provider signs electronically.",
                &sign(w, &d),
            )
            .result("c-pc1000-0002"),
        );
    }
    {
        let d = pc1000()
            .add_recipient(Party::Agency("police-lead-unit".into()))
            .build();
        let mut msg = parse_sign(&pc_signed);
        msg.payload = codec::to_vec(&d).expect("payload");
        out.push(
            c(
                "consent-forged-recipient-added",
                "bad_signature",
                "The PC 1000 consent with the police LEAD unit added to its recipients after \
                 signing (signatures kept).",
                &msg.to_bytes(),
            )
            .detail("patient"),
        );
    }
    {
        let mut msg = parse_sign(&pc_signed);
        msg.signatures.pop();
        out.push(
            c(
                "consent-witness-signature-missing",
                "bad_signature",
                "The PC 1000 consent without the witnessing provider's signature.",
                &msg.to_bytes(),
            )
            .detail("witnessing_agency"),
        );
    }
    {
        let mut msg = parse_sign(&pc_signed);
        let extra = signature_by(&msg, &w.stranger);
        msg.signatures.push(extra);
        out.push(c(
            "consent-extra-signature",
            "unexpected_signer",
            "The PC 1000 consent with a third signature by a key it does not list.",
            &msg.to_bytes(),
        ));
    }
    {
        let d = pc1000()
            .edit(|d| {
                d.signers[0].key =
                    Some(*agency("treatment-provider").public().signing().as_bytes());
            })
            .build();
        out.push(c(
            "consent-patient-signed-with-witness-key",
            "signer_key_reused",
            "The witnessing provider's own key also signs as the patient (the agency signed for \
             the patient).",
            &sign_unchecked(w, &d),
        ));
    }
    {
        let d = lead().expiry_date(None).expiry_event(None).build();
        out.push(
            c(
                "consent-deficient-missing-expiry",
                "deficient",
                "A LEAD consent with neither an expiry date nor an expiry event (§2.31(a)(7)), \
                 signed by a tool that skipped validation.",
                &sign_unchecked(w, &d),
            )
            .detail("expiration"),
        );
    }
    {
        let d = pc1000().revocation(Revocability::AtWill).build();
        out.push(
            c(
                "consent-deficient-2-35-revocable-at-will",
                "deficient",
                "A §2.35 consent that is revocable at will instead of stating when it becomes \
                 revocable (§2.35(c)).",
                &sign_unchecked(w, &d),
            )
            .detail("revocation"),
        );
    }
    {
        let d = lead()
            .record_types([RecordType::LeadStatus, RecordType::CounselingNote])
            .tiers([Tier::T1, Tier::T3, Tier::Lead])
            .build();
        out.push(
            c(
                "consent-deficient-counseling-notes-combined",
                "deficient",
                "A §2.31 consent covering counseling notes together with another record type \
                 (counseling notes need their own consent, §2.31(b)).",
                &sign_unchecked(w, &d),
            )
            .detail("information"),
        );
    }
    {
        let d = pc1000().add_recipient(Party::Role(Role::Police)).build();
        out.push(
            c(
                "consent-deficient-2-35-police-recipient",
                "deficient",
                "A §2.35 consent naming every police department as a recipient class (only \
                 justice agencies with a monitoring duty may receive, §2.35(a)).",
                &sign_unchecked(w, &d),
            )
            .detail("recipients"),
        );
    }
    {
        let d = pc1000()
            .witness(witness("treatment-provider", &agency("outsider")))
            .build();
        out.push(
            c(
                "consent-witness-uncertified",
                "uncertified_witness",
                "The witness claims to be the treatment provider but signs with a key no \
                 certificate in the directory holds.",
                &sign(w, &d),
            )
            .detail("treatment-provider"),
        );
    }
    {
        let d = pc1000()
            .witness(witness("treatment-provider", &agency("probation")))
            .build();
        out.push(
            c(
                "consent-witness-key-of-another-agency",
                "uncertified_witness",
                "The witness claims to be the treatment provider but signs with probation's \
                 certified key.",
                &sign(w, &d),
            )
            .detail("treatment-provider"),
        );
    }
    out.push(DomainVector {
        now: Some(NOT_AFTER + DAY),
        ..c(
            "consent-ok-witness-certificate-expired-since",
            "ok",
            "The genuine PC 1000 consent verified the day after the witnessing provider's \
             certificate expired: it was valid when the consent was signed, and expiry (unlike \
             revocation) does not undo a witnessed consent.",
            &pc_signed,
        )
        .result("c-pc1000-0001")
    });
    {
        let d = pc1000().witness(w.witness("other-provider")).build();
        out.push(
            c(
                "consent-witness-certificate-revoked",
                "signer_compromised",
                "Witnessed by a provider whose certificate was revoked (key_compromise) after \
                 the consent was signed: a compromised key could have back-dated it, so the \
                 grant must be signed again under a sound key.",
                &sign(w, &d),
            )
            .detail("other-provider"),
        );
    }
    {
        let d = pc1000().witness(w.witness("new-provider")).build();
        out.push(
            c(
                "consent-witness-not-certified-at-signing",
                "uncertified_witness",
                "Witnessed by a provider whose certificate starts five days before now, for a \
                 consent signed thirty days before now.",
                &sign(w, &d),
            )
            .detail("new-provider"),
        );
    }
    {
        let d = lead().id("c-lead-0008").dated(NOW + 2 * DAY).build();
        out.push(
            c(
                "consent-dated-in-future",
                "future_dated",
                "A LEAD consent signed and effective two days after now (beyond the 5-minute \
                 clock skew): the witness cannot have been certified at a time yet to come.",
                &sign(w, &d),
            )
            .detail("consent"),
        );
    }
    {
        let payload = match codec::to_value(&ld).expect("value") {
            Value::Map(m) => with_key(&m, "comment", Value::from("signed at intake")),
            _ => unreachable!("a directive is a map"),
        };
        let keys: [&dyn StatementSigner; 2] = [&w.patient, &agency("lead-case-manager")];
        out.push(
            c(
                "consent-unknown-field",
                "malformed",
                "A LEAD consent whose signed payload has a field the consent schema does not \
                 define.",
                &sign_consent_unchecked(codec::encode(&Value::Map(payload)), &keys),
            )
            .detail("schema"),
        );
    }
    let lead_revoked = RevocationStatement {
        consent_id: "c-lead-0007".into(),
        revoked_at: NOW - DAY,
        method: "written".into(),
    };
    let lead_revocation = lead_revoked.sign(&w.patient).expect("sign");
    out.push(c(
        "consent-is-a-revocation-statement",
        "structure",
        "A revocation statement (COSE_Sign1) presented as a consent (COSE_Sign).",
        &lead_revocation,
    ));
    out.push(
        c(
            "consent-trailing-byte",
            "malformed",
            "The PC 1000 consent with a zero byte appended.",
            &with_trailing_byte(&pc_signed),
        )
        .detail("trailing_bytes"),
    );

    // --- Revocation statements ---------------------------------------------------------------
    let r = |scenario: &str, expect: &str, desc: &str, consent: &[u8], b: &[u8]| DomainVector {
        consent: Some(hex::encode(consent)),
        ..statement(w, Kind::ConsentRevocation, scenario, expect, desc, b)
    };
    out.push(
        r(
            "revocation-ok-by-patient",
            "ok",
            "The patient revokes the LEAD consent in writing, signing with their own key.",
            &lead_signed,
            &lead_revocation,
        )
        .result("patient_signer"),
    );
    out.push(
        r(
            "revocation-ok-recorded-by-witness",
            "ok",
            "The LEAD case manager (the consent's witness) records a revocation the patient \
             made in person.",
            &lead_signed,
            &RevocationStatement {
                method: "oral-recorded".into(),
                ..lead_revoked.clone()
            }
            .sign(&agency("lead-case-manager"))
            .expect("sign"),
        )
        .result("lead-case-manager"),
    );
    out.push(
        r(
            "revocation-ok-by-parent",
            "ok",
            "The parent who signed the minor's consent revokes it.",
            &minor_signed,
            &RevocationStatement {
                consent_id: "c-minor-0003".into(),
                revoked_at: NOW - DAY,
                method: "written".into(),
            }
            .sign(&w.parent)
            .expect("sign"),
        )
        .result("patient_signer"),
    );
    out.push(
        r(
            "revocation-ok-pc1000-verifies-not-effective",
            "ok",
            "The patient's revocation of the irrevocable PC 1000 consent verifies; whether it \
             takes effect (not before the final disposition) is the decision engine's call.",
            &pc_signed,
            &RevocationStatement {
                consent_id: "c-pc1000-0001".into(),
                revoked_at: NOW - DAY,
                method: "written".into(),
            }
            .sign(&w.patient)
            .expect("sign"),
        )
        .result("patient_signer"),
    );
    out.push(r(
        "revocation-by-stranger",
        "unexpected_signer",
        "A revocation of the LEAD consent signed by a person who did not sign it.",
        &lead_signed,
        &lead_revoked.sign(&w.stranger).expect("sign"),
    ));
    out.push(r(
        "revocation-by-uninvolved-agency",
        "unexpected_signer",
        "A revocation of the LEAD consent recorded by probation, a certified agency that is \
         neither its witness nor a discloser.",
        &lead_signed,
        &lead_revoked.sign(&agency("probation")).expect("sign"),
    ));
    out.push(r(
        "revocation-names-another-consent",
        "not_applicable",
        "The patient's revocation of the LEAD consent checked against the PC 1000 consent.",
        &pc_signed,
        &lead_revocation,
    ));
    out.push(
        r(
            "revocation-dated-in-future",
            "future_dated",
            "A revocation of the LEAD consent dated a day after now (beyond the 5-minute clock \
             skew): a post-dated revocation could act later than it was refused.",
            &lead_signed,
            &RevocationStatement {
                revoked_at: NOW + DAY,
                ..lead_revoked.clone()
            }
            .sign(&w.patient)
            .expect("sign"),
        )
        .detail("revocation"),
    );
    {
        let mut m = payload_map(&lead_revocation);
        m = with_key(&m, "revoked_at", Value::from(NOW - 60 * DAY));
        out.push(
            r(
                "revocation-backdated",
                "bad_statement_signature",
                "The patient's revocation with revoked_at moved 59 days earlier after signing.",
                &lead_signed,
                &replace_payload(&lead_revocation, &m),
            )
            .detail("revocation"),
        );
    }

    // --- Case events -------------------------------------------------------------------------
    let e = |scenario: &str, expect: &str, desc: &str, b: &[u8]| {
        statement(w, Kind::CaseEvent, scenario, expect, desc, b)
    };
    let dismissed = CaseEvent {
        case_ref: CASE.into(),
        outcome: DispositionOutcome::Dismissed,
        effective_at: NOW - DAY,
    };
    let court_event = dismissed.sign(&agency("superior-court")).expect("sign");
    out.push(
        e(
            "case-event-ok-court-dismissed",
            "ok",
            "The superior court records the dismissal of the case after PC 1000 completion.",
            &court_event,
        )
        .result("superior-court"),
    );
    out.push(
        e(
            "case-event-ok-prosecutor-not-filed",
            "ok",
            "The district attorney records a decision not to file (pre-filing diversion).",
            &CaseEvent {
                case_ref: "DA-2026-000077".into(),
                outcome: DispositionOutcome::NotFiled,
                effective_at: NOW - DAY,
            }
            .sign(&agency("district-attorney"))
            .expect("sign"),
        )
        .result("district-attorney"),
    );
    out.push(e(
        "case-event-signed-by-police",
        "not_applicable",
        "A dismissal signed by the police LEAD unit, which cannot record a disposition.",
        &dismissed.sign(&agency("police-lead-unit")).expect("sign"),
    ));
    out.push(e(
        "case-event-unknown-signer",
        "unexpected_signer",
        "A dismissal signed by an agency the directory does not know.",
        &dismissed.sign(&agency("outsider")).expect("sign"),
    ));
    out.push(
        e(
            "case-event-dated-in-future",
            "future_dated",
            "A dismissal by the superior court effective a day after now.",
            &CaseEvent {
                effective_at: NOW + DAY,
                ..dismissed.clone()
            }
            .sign(&agency("superior-court"))
            .expect("sign"),
        )
        .detail("case_event"),
    );
    out.push(e(
        "case-event-signer-revoked",
        "untrusted_signer",
        "A dismissal signed by the other court, whose certificate was revoked before now.",
        &dismissed.sign(&agency("other-court")).expect("sign"),
    ));
    {
        let terminated = CaseEvent {
            outcome: DispositionOutcome::DiversionTerminated,
            ..dismissed.clone()
        }
        .sign(&agency("superior-court"))
        .expect("sign");
        let m = with_key(
            &payload_map(&terminated),
            "outcome",
            Value::from("dismissed"),
        );
        out.push(
            e(
                "case-event-altered-outcome",
                "bad_statement_signature",
                "The court's diversion_terminated event altered to dismissed after signing.",
                &replace_payload(&terminated, &m),
            )
            .detail("case_event"),
        );
    }
    out.push(e(
        "case-event-is-a-revocation",
        "structure",
        "The patient's revocation statement presented as a case event.",
        &lead_revocation,
    ));
    out
}

// --- Records -----------------------------------------------------------------------------------

fn d(year: u16, month: u8, day: u8) -> Date {
    Date::new(year, month, day).expect("date")
}

/// One valid record of each type, in catalogue order.
fn valid_records() -> Vec<(&'static str, Record)> {
    vec![
        (
            "A PC 1000 referral from the superior court with a charge, an intake deadline and \
             the case reference.",
            Referral::new(
                "REF-2026-0042",
                ReferralSource::Pc1000Order,
                "superior-court",
                d(2026, 9, 1),
            )
            .with_charge_ref("HS11350(a)")
            .with_intake_deadline(d(2026, 9, 15))
            .with_case_ref(CASE)
            .into(),
        ),
        (
            "An intake completed the day after it was scheduled, with a recommended ASAM level.",
            IntakeStatus::new(d(2026, 9, 3))
                .with_completed_date(d(2026, 9, 4))
                .with_recommended_asam_level(AsamLevel::Level1_0)
                .into(),
        ),
        (
            "Enrollment in an intensive outpatient program (ASAM 2.1), phase 1.",
            Enrollment::new("county-iop-program", AsamLevel::Level2_1, d(2026, 9, 8))
                .with_expected_length_days(365)
                .with_phase(1)
                .into(),
        ),
        (
            "A group session attended for 1.5 hours, 12 hours so far.",
            Attendance::new(
                d(2026, 9, 20),
                ServiceType::Group,
                AttendanceStatus::Present,
            )
            .with_hours_tenths(15)
            .with_cumulative_hours_tenths(120)
            .into(),
        ),
        (
            "An observed urine test, negative for fentanyl and amphetamines.",
            DrugTest::new(NOW - DAY, Specimen::Urine, true, "10-panel")
                .with_result("fentanyl", TestResult::Negative)
                .with_result("amphetamines", TestResult::Negative)
                .with_confirmation(Confirmation::NotRequired)
                .into(),
        ),
        (
            "A compliant month with the provider recommending an incentive.",
            ProgressReport::new(d(2026, 8, 1), d(2026, 8, 31), ComplianceStatus::Compliant)
                .with_engagement("attends every group and participates")
                .with_goals_met(2)
                .with_barrier("transportation")
                .with_recommended_response(RecommendedResponse::Incentive)
                .into(),
        ),
        (
            "The court advances the participant a phase and sets the next hearing.",
            CourtResponse::new(d(2026, 9, 10))
                .with_phase_change(PhaseChange::Advance)
                .with_incentive("praise from the bench")
                .with_next_hearing(d(2026, 10, 8))
                .into(),
        ),
        (
            "The court grants diversion with a condition.",
            CourtEvent::new(CASE, d(2026, 9, 1), CourtEventKind::DiversionGranted)
                .with_condition("complete a certified program")
                .into(),
        ),
        (
            "Discharge on completion with a recommendation to dismiss.",
            Discharge::new(d(2026, 9, 30), DischargeReason::Completed)
                .with_program_recommendation(ProgramRecommendation::Dismiss)
                .into(),
        ),
        (
            "The final disposition of the case: dismissed.",
            CaseDisposition::new(CASE, d(2027, 3, 1), Disposition::Dismissed, true).into(),
        ),
        (
            "A LEAD participant engaged with the case manager, with contacts, a plan domain and \
             a barrier.",
            LeadStatus::new(LeadEngagement::Engaged)
                .with_as_of(d(2026, 9, 20))
                .with_contacts(4)
                .with_plan_domain(PlanDomain::Housing)
                .with_barrier("no phone")
                .into(),
        ),
        (
            "Clinical detail: an ICD-10-CM diagnosis, buprenorphine, a co-occurring condition.",
            ClinicalDetail::new(["F11.20"])
                .with_as_of(d(2026, 9, 4))
                .with_moud(Moud::Buprenorphine)
                .with_co_occurring("F32.A")
                .into(),
        ),
        (
            "A counseling note with a line break.",
            CounselingNote::new(
                d(2026, 9, 18),
                "Session notes.\nDiscussed triggers and a coping plan.",
            )
            .into(),
        ),
    ]
}

fn record_vector(
    rt: RecordType,
    scenario: &str,
    expect: &str,
    desc: &str,
    b: &[u8],
) -> DomainVector {
    DomainVector {
        record_type: Some(rt.as_str().to_owned()),
        ..DomainVector::new(Kind::Record, scenario, expect, desc, b)
    }
}

fn record_vectors() -> Vec<DomainVector> {
    let mut out = Vec::new();
    let valid = valid_records();
    for (desc, r) in &valid {
        let rt = r.record_type();
        r.validate().expect("valid record");
        out.push(record_vector(
            rt,
            &format!("{}-ok", rt.as_str().replace('_', "-")),
            "ok",
            desc,
            &r.to_bytes(),
        ));
    }
    let value_of = |rt: RecordType| -> Map {
        valid
            .iter()
            .find(|(_, r)| r.record_type() == rt)
            .expect("every type")
            .1
            .to_value()
            .as_map()
            .expect("map")
            .clone()
    };
    let enc = |m: Map| codec::encode(&Value::Map(m));
    let attendance = value_of(RecordType::Attendance);
    let drug_test = value_of(RecordType::DrugTest);
    let mut bad = |rt: RecordType,
                   scenario: &str,
                   expect: &str,
                   detail: Option<&str>,
                   desc: &str,
                   b: Vec<u8>| {
        out.push(DomainVector {
            detail: detail.map(str::to_owned),
            ..record_vector(rt, scenario, expect, desc, &b)
        });
    };

    bad(
        RecordType::Attendance,
        "attendance-unknown-field",
        "unknown_field",
        Some("mood"),
        "An attendance entry with a field the schema does not have (`mood`).",
        enc(with_key(&attendance, "mood", Value::from("calm"))),
    );
    bad(
        RecordType::DrugTest,
        "drug-test-explicit-null",
        "invalid_value",
        Some("confirmation"),
        "A drug test whose optional `confirmation` is an explicit null instead of absent.",
        enc(with_key(&drug_test, "confirmation", Value::Null)),
    );
    bad(
        RecordType::Attendance,
        "attendance-status-not-in-vocabulary",
        "invalid_value",
        Some("status"),
        "An attendance status outside the vocabulary (`tardy`).",
        enc(with_key(&attendance, "status", Value::from("tardy"))),
    );
    bad(
        RecordType::DrugTest,
        "drug-test-result-not-in-vocabulary",
        "invalid_value",
        Some("results"),
        "A drug-test result outside the vocabulary (`clean`).",
        enc(with_key(
            &drug_test,
            "results",
            Value::Array(vec![
                Value::map([
                    (Value::from("analyte"), Value::from("fentanyl")),
                    (Value::from("result"), Value::from("clean")),
                ])
                .expect("distinct keys"),
            ]),
        )),
    );
    bad(
        RecordType::ProgressReport,
        "progress-report-period-ends-before-start",
        "date_order",
        Some("period_end"),
        "A progress report whose period ends the day before it starts.",
        enc(with_key(
            &value_of(RecordType::ProgressReport),
            "period_end",
            Value::from("2026-07-31"),
        )),
    );
    bad(
        RecordType::IntakeStatus,
        "intake-status-completed-before-scheduled",
        "date_order",
        Some("completed_date"),
        "An intake completed before the date it was scheduled for.",
        enc(with_key(
            &value_of(RecordType::IntakeStatus),
            "completed_date",
            Value::from("2026-09-02"),
        )),
    );
    bad(
        RecordType::CourtResponse,
        "court-response-invalid-date",
        "invalid_value",
        Some("next_hearing"),
        "A next hearing on a day that does not exist (2026-02-30).",
        enc(with_key(
            &value_of(RecordType::CourtResponse),
            "next_hearing",
            Value::from("2026-02-30"),
        )),
    );
    {
        let mut e = entries(&Value::Map(attendance.clone()));
        e.reverse();
        bad(
            RecordType::Attendance,
            "attendance-keys-not-canonical-order",
            "malformed",
            Some("key_order"),
            "A valid attendance entry with its map keys in descending instead of bytewise \
             ascending order.",
            raw_map(&e),
        );
    }
    {
        let mut e = entries(&Value::Map(attendance.clone()));
        let dup = e.first().expect("an entry").clone();
        e.insert(1, dup);
        bad(
            RecordType::Attendance,
            "attendance-duplicate-key",
            "malformed",
            Some("duplicate_key"),
            "An attendance entry with its first key repeated.",
            raw_map(&e),
        );
    }
    {
        // hours_tenths 15 written as 0x18 0x0f instead of 0x0f.
        let e: Vec<(Vec<u8>, Vec<u8>)> = entries(&Value::Map(attendance.clone()))
            .into_iter()
            .map(|(k, v)| {
                if k == codec::encode(&Value::from("hours_tenths")) {
                    (k, vec![0x18, 0x0f])
                } else {
                    (k, v)
                }
            })
            .collect();
        bad(
            RecordType::Attendance,
            "attendance-non-shortest-integer",
            "malformed",
            Some("non_shortest_argument"),
            "An attendance entry whose hours_tenths (15) is encoded in two bytes.",
            raw_map(&e),
        );
    }
    bad(
        RecordType::Attendance,
        "attendance-trailing-byte",
        "malformed",
        Some("trailing_bytes"),
        "A valid attendance entry followed by a zero byte.",
        with_trailing_byte(&enc(attendance.clone())),
    );
    bad(
        RecordType::DrugTest,
        "drug-test-missing-panel",
        "missing_field",
        Some("panel"),
        "A drug test without its required `panel`.",
        enc(without_key(&drug_test, "panel")),
    );
    bad(
        RecordType::DrugTest,
        "drug-test-no-results-no-outcome",
        "missing_one_of",
        Some("results (non-empty), program_outcome"),
        "A drug test with an empty result list and no program outcome.",
        enc(with_key(&drug_test, "results", Value::Array(vec![]))),
    );
    bad(
        RecordType::Referral,
        "referral-social-contact-with-charges",
        "invalid_value",
        Some("charge_refs"),
        "A LEAD social-contact referral (no arrest) that lists charges.",
        enc(with_key(
            &value_of(RecordType::Referral),
            "source",
            Value::from("social_contact"),
        )),
    );
    bad(
        RecordType::Referral,
        "referral-id-too-long",
        "too_long",
        Some("referral_id"),
        "A referral id of 257 bytes (short texts are at most 256).",
        enc(with_key(
            &value_of(RecordType::Referral),
            "referral_id",
            Value::from("R".repeat(257)),
        )),
    );
    bad(
        RecordType::ClinicalDetail,
        "clinical-detail-diagnosis-not-icd10cm",
        "invalid_value",
        Some("diagnoses"),
        "A diagnosis that is not an ICD-10-CM code shape (lower case `f11.20`).",
        enc(with_key(
            &value_of(RecordType::ClinicalDetail),
            "diagnoses",
            Value::Array(vec![Value::from("f11.20")]),
        )),
    );
    bad(
        RecordType::DrugTest,
        "attendance-decoded-as-drug-test",
        "unknown_field",
        Some("date"),
        "A valid attendance entry decoded as a drug test (the record type travels beside the \
         bytes).",
        enc(attendance.clone()),
    );
    bad(
        RecordType::LeadStatus,
        "lead-status-not-a-map",
        "not_a_map",
        None,
        "A LEAD status encoded as an array instead of a map.",
        codec::encode(&Value::Array(vec![Value::from("engaged")])),
    );
    out
}
