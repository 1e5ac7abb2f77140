//! The invariants of divex's fuzz targets, their deterministic fixtures and seed inputs.
//!
//! This one file is shared: it is the `divex-fuzz` library that every target in
//! `fuzz/fuzz_targets/` calls, **and** it is compiled into the main workspace's
//! `tests/tests/fuzz_corpus_replay.rs` (with `#[path]`), so that `cargo test` replays every
//! corpus file through exactly the checks the fuzzer runs, without a fuzzer. It may therefore
//! only use what both crates have: `divex-core`, `divex-fixtures`, `divex-conformance`, `sha2`,
//! `hex`, `serde_json`, `rand_chacha` and `rand_core`.
//!
//! Every check function takes the fuzzer's raw bytes, **panics on a broken invariant** (that is
//! how libFuzzer and `cargo test` report it) and otherwise says whether the input was accepted
//! by the decoder under test. The invariants are listed in `fuzz/README.md`.
//!
//! Fixtures are deterministic: the agencies are `divex_fixtures::agency(name)`, the anchor,
//! certificates, consents and statements are made from fixed seeds (a `divex_fixtures::World`
//! seeded from the label `fuzz`), so the same input gives the same result on every machine.
#![forbid(unsafe_code)]
// A harness reports a broken invariant by panicking; fixtures are built from constants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divex_conformance::{NOW, generate};
use divex_core::consent::{
    CaseEvent, DispositionOutcome, RevocationStatement, SignedConsent, VerifiedConsent,
};
use divex_core::directory::{AgencyCertificate, CertificateRevocation, Directory, TrustAnchor};
use divex_core::error::Classified;
use divex_core::keys::{AgencyKeys, PublicBundle};
use divex_core::testing::codec::{self, DecodeLimits, Value};
use divex_core::testing::cose::{self, TAG_ENCRYPT, TAG_SIGN, TAG_SIGN1};
use divex_core::testing::envelope::{self, StaticResolver};
use divex_core::testing::envelope::{OpenOptions, SealOptions};
use divex_core::testing::records::{
    AsamLevel, Attendance, AttendanceStatus, CaseDisposition, ClinicalDetail, ComplianceStatus,
    Confirmation, CounselingNote, CourtEvent, CourtEventKind, CourtResponse, Date, Discharge,
    DischargeReason, Disposition, DrugTest, Enrollment, IntakeStatus, LeadEngagement, LeadStatus,
    MAX_TIMESTAMP, ProgramOutcome, ProgressReport, Record, RecordType, Referral, ReferralSource,
    ServiceType, Specimen, TestResult, Vocabulary,
};
use divex_core::testing::{AgencyCertificateExt, CertificateRevocationExt, RecordExt};
use divex_fixtures::{CASE, ConsentBuilder, DAY, Seeds, T0, World, agency, disclosure};
use sha2::{Digest, Sha256};

/// Every fuzz target, in the order of `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 8] = [
    "codec_roundtrip",
    "envelope_parse",
    "envelope_open",
    "consent_verify",
    "certificate_parse",
    "record_decode",
    "statement_verify",
    "disclosure_roundtrip",
];

/// What a check did with an input whose invariants all held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The decoder (or at least one of the decoders) under test accepted the input.
    Accepted,
    /// Every decoder under test refused the input.
    Rejected,
}

impl Outcome {
    fn any(accepted: bool) -> Outcome {
        if accepted {
            Outcome::Accepted
        } else {
            Outcome::Rejected
        }
    }
}

/// Runs the check of fuzz target `target` on `data`.
pub fn run(target: &str, data: &[u8]) -> Outcome {
    match target {
        "codec_roundtrip" => codec_roundtrip(data),
        "envelope_parse" => envelope_parse(data),
        "envelope_open" => envelope_open(data),
        "consent_verify" => consent_verify(data),
        "certificate_parse" => certificate_parse(data),
        "record_decode" => record_decode(data),
        "statement_verify" => statement_verify(data),
        "disclosure_roundtrip" => disclosure_roundtrip(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The file name a corpus input is stored under: the first 16 hex digits of its SHA-256.
#[allow(dead_code)] // used by examples/seed_corpora.rs, not by the replay test
pub fn corpus_file_name(data: &[u8]) -> String {
    hex::encode(&sha256(data)[..8])
}

/// The repository root (both crates that compile this file live one level below it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crate directory has a parent")
        .to_path_buf()
}

// =============================================================================================
// Fixtures

/// The envelope world of the spec vectors: the opener (the court), the trusted senders, the
/// envelopes genuinely sealed to the court, and the SHA-256 of every envelope the key holders
/// produced.
#[allow(missing_debug_implementations)]
pub struct Envelopes {
    /// The opening agency of `envelope_open` (a recipient of every genuine envelope).
    pub court: AgencyKeys,
    /// A recipient of the genuine three-recipient envelope other than the court.
    pub probation: AgencyKeys,
    /// The sender of `disclosure_roundtrip`.
    pub provider: AgencyKeys,
    /// Every vector agency except "outsider", as the vectors' default resolver.
    pub senders: StaticResolver,
    /// The envelopes of every `ok` vector (genuinely sealed and openable by the court).
    pub genuine: Vec<Vec<u8>>,
    /// SHA-256 of every envelope made with the agencies' keys: every envelope of the vector
    /// generator (run here) and every byte field of `spec/vectors/envelope/`. The fuzzer never
    /// holds those keys: `open` succeeding on anything else is a forgery.
    pub authentic: BTreeSet<[u8; 32]>,
    /// Every envelope the vector generator produces, genuine or hostile.
    pub all: Vec<Vec<u8>>,
}

static ENVELOPES: LazyLock<Envelopes> = LazyLock::new(|| {
    let vectors = generate();
    let mut senders = StaticResolver::new();
    for name in divex_conformance::AGENCIES {
        if name != "outsider" {
            senders.insert(name, agency(name).public().signing().clone());
        }
    }
    let decode = |h: &str| hex::decode(h).expect("vector hex");
    let genuine: Vec<Vec<u8>> = vectors
        .iter()
        .filter(|v| v.expect == "ok")
        .map(|v| decode(&v.envelope))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let all: Vec<Vec<u8>> = vectors.iter().map(|v| decode(&v.envelope)).collect();
    let authentic = all
        .iter()
        .map(|e| sha256(e))
        .chain(vector_hashes(&["envelope"]))
        .collect();
    Envelopes {
        court: agency("superior-court"),
        probation: agency("probation"),
        provider: agency("treatment-provider"),
        senders,
        genuine,
        authentic,
        all,
    }
});

/// The envelope fixtures.
pub fn envelopes() -> &'static Envelopes {
    &ENVELOPES
}

/// The consent world: the shared test `World` (anchor, nine certified agencies, the
/// participant) built from fixed seeds, its two consents, and signed statements about them.
#[allow(missing_debug_implementations)]
pub struct Consents {
    /// The world (its directory is the one every consent and statement is checked against).
    pub world: World,
    /// The signed PC 1000 (§2.35) consent.
    pub pc1000: Vec<u8>,
    /// The signed LEAD (§2.31) consent.
    pub lead: Vec<u8>,
    /// Both, verified.
    pub verified: Vec<VerifiedConsent>,
    /// SHA-256 of every consent signed with the agencies' and the people's keys: both of the
    /// above and every byte field of `spec/vectors/consent/` (made from the same deterministic
    /// keys, so some of them verify against this directory too).
    pub authentic_consents: BTreeSet<[u8; 32]>,
    /// Genuine signed statements: the participant's revocation of the LEAD consent, the
    /// provider's recorded revocation of the PC 1000 consent, the court's case event.
    pub statements: Vec<Vec<u8>>,
    /// SHA-256 of these and of every byte field of `spec/vectors/consent/`.
    pub authentic_statements: BTreeSet<[u8; 32]>,
    /// Every certificate the anchor issued.
    pub certificates: Vec<Vec<u8>>,
    /// A revocation of the rotated provider's certificate (not in `world.directory`).
    pub revocation: Vec<u8>,
    /// SHA-256 of every certificate and revocation this anchor signed (and, should the
    /// vectors ever use it, of every byte field of `spec/vectors/directory/`).
    pub authentic_signed: BTreeSet<[u8; 32]>,
    /// Directory bundles: the world's, and the world's plus the revocation.
    pub bundles: Vec<Vec<u8>>,
    /// The anchor file.
    pub anchor: Vec<u8>,
    /// Every agency's public key bundle.
    pub public_bundles: Vec<Vec<u8>>,
}

static CONSENTS: LazyLock<Consents> = LazyLock::new(|| {
    let w = World::builder().seeded(Seeds::label("fuzz")).build();
    let certificates: Vec<Vec<u8>> = w.certificates.iter().map(|c| c.to_bytes()).collect();
    let sign = |c: ConsentBuilder| c.sign(&w).expect("consent").as_bytes().to_vec();
    let pc1000 = sign(ConsentBuilder::pc1000(&w));
    let lead = sign(ConsentBuilder::lead(&w));
    let verified = [&pc1000, &lead]
        .iter()
        .map(|c| SignedConsent::verify(c, &w.directory, T0).expect("genuine consent"))
        .collect();
    let statements = vec![
        RevocationStatement {
            consent_id: "c-lead-0007".into(),
            revoked_at: T0 - DAY,
            method: "written".into(),
        }
        .sign(&w.patient)
        .expect("revocation"),
        RevocationStatement {
            consent_id: "c-pc1000-0001".into(),
            revoked_at: T0,
            method: "oral-recorded".into(),
        }
        .sign(w.key("treatment-provider"))
        .expect("recorded revocation"),
        CaseEvent {
            case_ref: CASE.into(),
            outcome: DispositionOutcome::Dismissed,
            effective_at: T0,
        }
        .sign(w.key("superior-court"))
        .expect("case event"),
    ];
    let rotated = w
        .directory
        .current_certificate("rotated-provider", T0)
        .expect("rotated provider")
        .serial();
    let revocation = w
        .anchor
        .revoke(rotated, T0 + DAY, "superseded")
        .expect("revoke")
        .to_bytes();
    let mut with_revocation = w.directory.clone();
    with_revocation
        .add_revocation(&revocation)
        .expect("revocation");
    let bundles = vec![w.directory.to_bytes(), with_revocation.to_bytes()];
    let anchor_file = w.anchor.public().to_bytes();
    let public_bundles = w.keys.values().map(|k| k.public().to_bytes()).collect();
    let mut authentic_signed: BTreeSet<[u8; 32]> = certificates.iter().map(|c| sha256(c)).collect();
    authentic_signed.insert(sha256(&revocation));
    authentic_signed.extend(vector_hashes(&["directory"]));
    Consents {
        authentic_consents: [sha256(&pc1000), sha256(&lead)]
            .into_iter()
            .chain(vector_hashes(&["consent"]))
            .collect(),
        pc1000,
        lead,
        verified,
        authentic_statements: statements
            .iter()
            .map(|s| sha256(s))
            .chain(vector_hashes(&["consent"]))
            .collect(),
        statements,
        certificates,
        revocation,
        authentic_signed,
        bundles,
        anchor: anchor_file,
        public_bundles,
        world: w,
    }
});

/// The consent fixtures.
pub fn consents() -> &'static Consents {
    &CONSENTS
}

/// Builds every fixture now (so that later measurements do not include it).
pub fn warm_up() {
    let _ = envelopes();
    let _ = consents();
}

// =============================================================================================
// Targets

/// `codec_roundtrip`: whatever [`codec::decode`] accepts, [`codec::encode`] re-encodes to the
/// identical bytes; stricter limits never accept what the default limits refuse, nor decode it
/// differently; [`codec::diagnostic`] never panics.
pub fn codec_roundtrip(data: &[u8]) -> Outcome {
    let decoded = codec::decode(data);
    if let Ok(strict) = codec::decode_with(data, &divex_core::testing::records::DECODE_LIMITS) {
        assert_eq!(
            decoded.as_ref(),
            Ok(&strict),
            "stricter limits accepted what the default limits decode differently"
        );
    }
    match decoded {
        Ok(v) => {
            assert_eq!(
                codec::encode(&v),
                data,
                "decode → encode is not the identity"
            );
            let _ = codec::diagnostic(&v);
            Outcome::Accepted
        }
        Err(e) => {
            let _ = e.to_string();
            Outcome::Rejected
        }
    }
}

/// `envelope_parse`: `COSE_Encrypt`, `COSE_Sign1` and `COSE_Sign` parsing (tagged and
/// untagged) of any strictly decoded input; whatever parses re-encodes to the same bytes.
pub fn envelope_parse(data: &[u8]) -> Outcome {
    let Ok(v) = codec::decode(data) else {
        return Outcome::Rejected;
    };
    let limits = DecodeLimits::DEFAULT;
    let mut accepted = false;
    let same = |tag: u64, tagged: bool, re: Value, what: &str| {
        let expected = if tagged {
            v.clone()
        } else {
            Value::Tag(tag, Box::new(v.clone()))
        };
        assert_eq!(
            re, expected,
            "{what} (tagged: {tagged}) does not re-encode identically"
        );
    };
    for tagged in [true, false] {
        if let Ok(m) = cose::Encrypt::from_value(&v, tagged, &limits) {
            accepted = true;
            if tagged {
                assert_eq!(m.to_bytes(), data, "COSE_Encrypt re-encoding differs");
            }
            same(TAG_ENCRYPT, tagged, m.to_value(), "COSE_Encrypt");
            for r in &m.recipients {
                let _ = r.kid();
            }
            let _ = envelope::recipients_digest(&m.recipients);
        }
        if let Ok(m) = cose::Sign1::from_value(&v, tagged, &limits) {
            accepted = true;
            if tagged {
                assert_eq!(m.to_bytes(), data, "COSE_Sign1 re-encoding differs");
            }
            same(TAG_SIGN1, tagged, m.to_value(), "COSE_Sign1");
            let _ = m.to_be_signed(b"");
        }
        if let Ok(m) = cose::Sign::from_value(&v, tagged, &limits) {
            accepted = true;
            if tagged {
                assert_eq!(m.to_bytes(), data, "COSE_Sign re-encoding differs");
            }
            same(TAG_SIGN, tagged, m.to_value(), "COSE_Sign");
            for s in &m.signatures {
                let _ = m.to_be_signed(s.protected.as_bytes(), b"");
            }
        }
    }
    Outcome::any(accepted)
}

/// `envelope_open`: [`envelope::open`] by a fixed recipient never panics, and succeeds only on
/// an envelope that was sealed with the agencies' keys (its SHA-256 is in
/// [`Envelopes::authentic`]): whatever the fuzzer derives from one is refused.
pub fn envelope_open(data: &[u8]) -> Outcome {
    let f = envelopes();
    match envelope::open(data, &f.court, &f.senders, NOW, &OpenOptions::default()) {
        Ok(opened) => {
            let h = sha256(data);
            assert!(
                f.authentic.contains(&h),
                "open accepted an envelope the key holders never sealed: {}",
                hex::encode(data)
            );
            assert_eq!(
                opened.envelope_hash, h,
                "envelope hash is not SHA-256 of the input"
            );
            Outcome::Accepted
        }
        Err(e) => {
            let _ = (e.class(), e.to_string());
            Outcome::Rejected
        }
    }
}

/// `consent_verify`: [`SignedConsent::verify`] against a fixed directory never panics and
/// accepts only consents its signers signed ([`Consents::authentic_consents`]), returning
/// exactly their bytes and digest.
pub fn consent_verify(data: &[u8]) -> Outcome {
    let f = consents();
    match SignedConsent::verify(data, &f.world.directory, T0) {
        Ok(c) => {
            assert!(
                f.authentic_consents.contains(&sha256(data)),
                "verify accepted a consent its signers never signed: {}",
                hex::encode(data)
            );
            assert_eq!(c.as_bytes(), data);
            assert_eq!(c.digest(), &sha256(data));
            assert!(c.directive().validate().is_ok());
            let _ = c.to_string();
            Outcome::Accepted
        }
        Err(e) => {
            let _ = e.to_string();
            Outcome::Rejected
        }
    }
}

/// `certificate_parse`: agency certificates, certificate revocations, directory bundles and
/// signed snapshots (read, and merged into the fixed directory), anchor files and public key
/// bundles. Whatever
/// parses re-encodes to the same bytes; whatever the anchor's signature verifies (or the
/// directory merges) was genuinely issued.
pub fn certificate_parse(data: &[u8]) -> Outcome {
    let f = consents();
    let anchor = f.world.anchor.public();
    let genuine = |what: &str| {
        assert!(
            f.authentic_signed.contains(&sha256(data)),
            "{what} verified without being genuinely signed: {}",
            hex::encode(data)
        );
    };
    let mut accepted = false;
    if let Ok(c) = AgencyCertificate::from_bytes(data) {
        accepted = true;
        assert_eq!(c.as_bytes(), data);
        assert_eq!(
            AgencyCertificate::from_bytes(&c.to_bytes()).ok(),
            Some(c.clone())
        );
        if c.verify(&anchor).is_ok() {
            genuine("a certificate");
        }
        if f.world.directory.check(&c, T0).is_ok() {
            genuine("a certificate");
        }
        let _ = (c.is_valid_at(T0), c.is_justice_monitor(), format!("{c:?}"));
    }
    if let Ok(r) = CertificateRevocation::from_bytes(data) {
        accepted = true;
        assert_eq!(r.as_bytes(), data);
        if r.verify(&anchor).is_ok() {
            genuine("a certificate revocation");
        }
        let _ = (r.is_effective_at(T0), format!("{r:?}"));
    }
    if let Ok(d) = Directory::from_bytes(data) {
        accepted = true;
        match d.snapshots().next() {
            // A signed snapshot: recorded once, as itself, and its bundle reads back as is.
            Some(s) => {
                assert_eq!((d.snapshots().count(), s.digest), (1, sha256(data)));
                let bundle = d.to_bytes();
                let again = Directory::from_bytes(&bundle).expect("a snapshot's bundle reads");
                assert_eq!(
                    again.to_bytes(),
                    bundle,
                    "snapshot bundle re-encoding differs"
                );
            }
            None => assert_eq!(d.to_bytes(), data, "directory bundle re-encoding differs"),
        }
    }
    let mut merged = f.world.directory.clone();
    if merged.merge(data).is_ok() {
        accepted = true;
        for c in merged.certificates() {
            assert!(
                f.authentic_signed.contains(&sha256(c.as_bytes())),
                "merge admitted a certificate that was not genuinely issued"
            );
        }
        for r in merged.revocations() {
            assert!(
                f.authentic_signed.contains(&sha256(r.as_bytes())),
                "merge admitted a revocation that was not genuinely signed"
            );
        }
    }
    if let Ok(a) = TrustAnchor::from_bytes(data) {
        accepted = true;
        assert_eq!(a.to_bytes(), data, "anchor re-encoding differs");
    }
    if let Ok(b) = PublicBundle::from_bytes(data) {
        accepted = true;
        assert_eq!(b.to_bytes(), data, "public bundle re-encoding differs");
    }
    Outcome::any(accepted)
}

/// The record type the first byte of a `record_decode` input selects.
pub fn record_type_of(selector: u8) -> RecordType {
    RecordType::ALL[usize::from(selector) % RecordType::ALL.len()]
}

/// The `record_decode` input for a record of type `rt` encoded as `bytes`.
pub fn record_input(rt: RecordType, bytes: &[u8]) -> Vec<u8> {
    let selector = RecordType::ALL
        .iter()
        .position(|t| *t == rt)
        .expect("a record type");
    let mut out = vec![u8::try_from(selector).expect("fewer than 256 record types")];
    out.extend_from_slice(bytes);
    out
}

/// `record_decode`: the first byte selects the record type, the rest goes to
/// [`Record::from_bytes`]. An accepted record is valid, re-encodes to the same bytes, survives
/// `from_value(to_value)`, and every single-field redaction the API allows stays decodable.
pub fn record_decode(data: &[u8]) -> Outcome {
    let Some((selector, rest)) = data.split_first() else {
        return Outcome::Rejected;
    };
    let rt = record_type_of(*selector);
    match Record::from_bytes(rt, rest) {
        Ok(r) => {
            assert_eq!(r.record_type(), rt);
            assert_eq!(r.to_bytes(), rest, "record re-encoding differs");
            assert!(r.validate().is_ok(), "decoded record does not validate");
            assert_eq!(Record::from_value(rt, &r.to_value()).as_ref(), Ok(&r));
            let _ = (r.present_fields(), r.period());
            for field in rt.schema().iter().filter(|f| !f.required) {
                if let Ok(redacted) = r.redact(&[field.name]) {
                    assert_eq!(
                        Record::from_bytes(rt, &redacted.to_bytes()).as_ref(),
                        Ok(&redacted),
                        "a redacted record does not decode to itself"
                    );
                }
            }
            Outcome::Accepted
        }
        Err(e) => {
            let _ = e.to_string();
            Outcome::Rejected
        }
    }
}

/// `statement_verify`: consent revocations (checked against both fixture consents) and case
/// events never panic and verify only when genuinely signed.
pub fn statement_verify(data: &[u8]) -> Outcome {
    let f = consents();
    let genuine = || {
        assert!(
            f.authentic_statements.contains(&sha256(data)),
            "a statement verified without being genuinely signed: {}",
            hex::encode(data)
        );
    };
    let mut accepted = false;
    for c in &f.verified {
        match RevocationStatement::verify(data, c, &f.world.directory, T0) {
            Ok(r) => {
                accepted = true;
                genuine();
                assert_eq!(r.statement().consent_id, c.id());
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    match CaseEvent::verify(data, &f.world.directory, T0) {
        Ok(e) => {
            accepted = true;
            genuine();
            let _ = e.signer();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    Outcome::any(accepted)
}

// =============================================================================================
// Structure-aware target

/// A deterministic reader of structured values from fuzzer bytes (reads past the end as
/// zeros). It plays the part of the `arbitrary` crate, in a form the corpus-replay test can
/// share: see `fuzz/README.md`.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    /// One byte (0 once the input is exhausted).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        for b in &mut a {
            *b = self.byte();
        }
        a
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// A boolean (the low bit of a byte).
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// One of `all`.
    pub fn pick<T: Copy>(&mut self, all: &[T]) -> T {
        all[usize::from(self.byte()) % all.len()]
    }

    /// `Some(f(self))` or `None`, by a flag.
    pub fn option<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.flag() { Some(f(self)) } else { None }
    }

    /// A string: a length byte (255 means a further `u16` is added to it), then that many
    /// bytes, invalid UTF-8 replaced.
    pub fn text(&mut self) -> String {
        let mut n = usize::from(self.byte());
        if n == 255 {
            n += usize::from(self.u16());
        }
        let n = n.min(self.data.len());
        let (s, rest) = self.data.split_at(n);
        self.data = rest;
        String::from_utf8_lossy(s).into_owned()
    }

    /// A date: either from a timestamp in range, or from raw year, month and day (often not a
    /// date, which ends the input as uninteresting).
    pub fn date(&mut self) -> Option<Date> {
        if self.flag() {
            Date::new(self.u16(), self.byte(), self.byte()).ok()
        } else {
            Date::from_unix_seconds(self.u64() % (MAX_TIMESTAMP + 1))
        }
    }

    /// A count or measure: mostly small (`% modulus`), sometimes any `u32`.
    pub fn measure(&mut self, modulus: u32) -> u32 {
        if self.flag() {
            self.u32()
        } else {
            self.u32() % modulus
        }
    }
}

/// An attendance entry or a drug test with every field chosen by the fuzzer (`None` when the
/// bytes name no calendar date).
pub fn structured_record(data: &[u8]) -> Option<Record> {
    let mut r = Reader::new(data);
    if r.flag() {
        let mut a = Attendance::new(
            r.date()?,
            r.pick(ServiceType::ALL),
            r.pick(AttendanceStatus::ALL),
        );
        a.hours_tenths = r.option(|r| r.measure(300));
        a.cumulative_hours_tenths = r.option(|r| r.measure(120_000));
        Some(Record::from(a))
    } else {
        let collected_at = if r.flag() {
            r.u64()
        } else {
            r.u64() % (MAX_TIMESTAMP + 2)
        };
        let specimen = r.pick(Specimen::ALL);
        let observed = r.flag();
        let panel = r.text();
        let mut t = DrugTest::new(collected_at, specimen, observed, panel);
        for _ in 0..r.byte() % 70 {
            let analyte = r.text();
            t = t.with_result(analyte, r.pick(TestResult::ALL));
        }
        t.confirmation = r.option(|r| r.pick(Confirmation::ALL));
        t.program_outcome = r.option(|r| r.pick(ProgramOutcome::ALL));
        t.prescription_consistent = r.option(Reader::flag);
        Some(Record::from(t))
    }
}

/// `disclosure_roundtrip`: a fuzzer-chosen attendance entry or drug test. If it does not
/// validate, the decoder refuses its encoding too. If it does, it decodes to itself, seals to
/// the court with `envelope::seal_with_rng`, opens to exactly the same payload bytes and the
/// same record, and does not open for a non-recipient.
pub fn disclosure_roundtrip(data: &[u8]) -> Outcome {
    let Some(record) = structured_record(data) else {
        return Outcome::Rejected;
    };
    let rt = record.record_type();
    let bytes = record.to_bytes();
    if record.validate().is_err() {
        assert!(
            Record::from_bytes(rt, &bytes).is_err(),
            "the decoder accepted a record that validate() refuses"
        );
        return Outcome::Rejected;
    }
    assert_eq!(
        Record::from_bytes(rt, &bytes).as_ref(),
        Ok(&record),
        "a valid record does not decode to itself"
    );
    let f = envelopes();
    let sealed = envelope::seal(
        &f.provider,
        &[f.court.public().clone()],
        &disclosure(rt),
        &bytes,
        NOW,
        SealOptions {
            rng: Some(&mut divex_fixtures::rng("fuzz disclosure_roundtrip")),
            ..SealOptions::default()
        },
    )
    .map(|s| s.bytes)
    .expect("a valid record seals");
    let opened = envelope::open(&sealed, &f.court, &f.senders, NOW, &OpenOptions::default())
        .expect("the recipient opens");
    assert_eq!(
        opened.payload, bytes,
        "opened payload differs from the sealed one"
    );
    assert_eq!(opened.metadata.disclosure.record_type, rt);
    assert_eq!(opened.sender.agency_id, "treatment-provider");
    assert_eq!(
        Record::from_bytes(rt, &opened.payload).as_ref(),
        Ok(&record)
    );
    assert!(
        envelope::open(
            &sealed,
            &f.probation,
            &f.senders,
            NOW,
            &OpenOptions::default()
        )
        .is_err(),
        "a non-recipient opened the envelope"
    );
    Outcome::Accepted
}

// =============================================================================================
// Decoders alone (for the allocation bound)

/// One decoder entry point, called on raw bytes; `true` if it accepted them.
pub type Decoder = fn(&[u8]) -> bool;

fn cose_value(data: &[u8]) -> Option<Value> {
    codec::decode(data).ok()
}

/// Every decoder entry point the targets exercise, without the invariant checks (which
/// re-encode and hash): what the allocation-bound test measures. Call [`warm_up`] first.
pub fn decoders() -> Vec<(&'static str, Decoder)> {
    vec![
        ("codec::decode", |d| codec::decode(d).is_ok()),
        ("cose::Encrypt::from_value", |d| {
            cose_value(d).is_some_and(|v| {
                cose::Encrypt::from_value(&v, true, &DecodeLimits::DEFAULT).is_ok()
            })
        }),
        ("cose::Sign1::from_value", |d| {
            cose_value(d)
                .is_some_and(|v| cose::Sign1::from_value(&v, true, &DecodeLimits::DEFAULT).is_ok())
        }),
        ("cose::Sign::from_value", |d| {
            cose_value(d)
                .is_some_and(|v| cose::Sign::from_value(&v, true, &DecodeLimits::DEFAULT).is_ok())
        }),
        ("envelope::open", |d| {
            let f = envelopes();
            envelope::open(d, &f.court, &f.senders, NOW, &OpenOptions::default()).is_ok()
        }),
        ("SignedConsent::verify", |d| {
            SignedConsent::verify(d, &consents().world.directory, T0).is_ok()
        }),
        ("RevocationStatement::verify", |d| {
            let f = consents();
            RevocationStatement::verify(d, &f.verified[1], &f.world.directory, T0).is_ok()
        }),
        ("CaseEvent::verify", |d| {
            CaseEvent::verify(d, &consents().world.directory, T0).is_ok()
        }),
        ("AgencyCertificate::from_bytes", |d| {
            AgencyCertificate::from_bytes(d).is_ok()
        }),
        ("CertificateRevocation::from_bytes", |d| {
            CertificateRevocation::from_bytes(d).is_ok()
        }),
        ("Directory::from_bytes", |d| {
            Directory::from_bytes(d).is_ok()
        }),
        ("TrustAnchor::from_bytes", |d| {
            TrustAnchor::from_bytes(d).is_ok()
        }),
        ("PublicBundle::from_bytes", |d| {
            PublicBundle::from_bytes(d).is_ok()
        }),
        ("Record::from_bytes", |d| {
            d.split_first()
                .is_some_and(|(s, rest)| Record::from_bytes(record_type_of(*s), rest).is_ok())
        }),
    ]
}

// =============================================================================================
// Seeds

/// One hex-encoded byte field of a spec vector.
#[derive(Debug, Clone)]
pub struct VectorField {
    /// The vector's folder under `spec/vectors` (`envelope`, `consent`, ...).
    pub folder: String,
    /// The file, relative to `spec/vectors`.
    pub file: String,
    /// The JSON path of the field, e.g. `senders[0].signing_key`.
    pub key: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// The record type named beside the field (`record_type` or `type`), if any.
    pub record_type: Option<RecordType>,
}

fn is_hex(s: &str) -> bool {
    s.len() >= 2 && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn walk(
    v: &serde_json::Value,
    key: &str,
    rt: Option<RecordType>,
    out: &mut Vec<(String, Vec<u8>, Option<RecordType>)>,
) {
    match v {
        serde_json::Value::String(s) if is_hex(s) && !key.contains("secret") => {
            if let Ok(b) = hex::decode(s) {
                out.push((key.to_owned(), b, rt));
            }
        }
        serde_json::Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk(item, &format!("{key}[{i}]"), rt, out);
            }
        }
        serde_json::Value::Object(m) => {
            let here = ["record_type", "type"]
                .iter()
                .find_map(|k| {
                    m.get(*k)
                        .and_then(|t| t.as_str())
                        .and_then(RecordType::parse)
                })
                .or(rt);
            for (k, item) in m {
                let path = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                walk(item, &path, here, out);
            }
        }
        _ => {}
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// Every hex-encoded byte field of every JSON file under `spec/vectors` (fields whose name
/// contains `secret` excepted), in file order. A file that is not JSON (one being written
/// while this runs, say) is skipped.
pub fn vector_fields() -> Vec<VectorField> {
    let root = repo_root().join("spec/vectors");
    let mut files = Vec::new();
    json_files(&root, &mut files);
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let rel = path.strip_prefix(&root).unwrap_or(&path);
        let folder = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut fields = Vec::new();
        walk(&json, "", None, &mut fields);
        for (key, bytes, record_type) in fields {
            out.push(VectorField {
                folder: folder.clone(),
                file: rel.to_string_lossy().into_owned(),
                key,
                bytes,
                record_type,
            });
        }
    }
    out
}

/// SHA-256 of every byte field of the vectors in `folders`.
pub fn vector_hashes(folders: &[&str]) -> Vec<[u8; 32]> {
    vector_fields()
        .iter()
        .filter(|f| folders.contains(&f.folder.as_str()))
        .map(|f| sha256(&f.bytes))
        .collect()
}

/// The targets a vector byte field seeds, by its folder and field name (see
/// `spec/vectors/README.md`); every field also seeds `codec_roundtrip`, and a field of an
/// unknown folder seeds every byte-oriented target.
pub fn route(f: &VectorField) -> &'static [&'static str] {
    let first = f.key.split(['.', '[']).next().unwrap_or_default();
    match (f.folder.as_str(), first) {
        (_, "directory" | "anchors" | "revocations") => &["codec_roundtrip", "certificate_parse"],
        ("envelope", "envelope") => &["codec_roundtrip", "envelope_open", "envelope_parse"],
        ("envelope", _) => &["codec_roundtrip"],
        ("consent", _) => &[
            "codec_roundtrip",
            "consent_verify",
            "statement_verify",
            "envelope_parse",
        ],
        ("directory", _) => &["codec_roundtrip", "certificate_parse", "envelope_parse"],
        ("records", _) => &["codec_roundtrip", "record_decode"],
        _ => &[
            "codec_roundtrip",
            "envelope_parse",
            "envelope_open",
            "consent_verify",
            "certificate_parse",
            "record_decode",
            "statement_verify",
        ],
    }
}

/// The `record_decode` inputs for a byte field: with the record type named beside it, else
/// with every type that decodes it, else with the first type.
pub fn record_inputs(bytes: &[u8], rt: Option<RecordType>) -> Vec<Vec<u8>> {
    if let Some(rt) = rt {
        return vec![record_input(rt, bytes)];
    }
    let ok: Vec<Vec<u8>> = RecordType::ALL
        .iter()
        .filter(|t| Record::from_bytes(**t, bytes).is_ok())
        .map(|t| record_input(*t, bytes))
        .collect();
    if ok.is_empty() {
        vec![record_input(RecordType::ALL[0], bytes)]
    } else {
        ok
    }
}

/// One record of (nearly) every type, valid, from the shared test world and the catalogue's
/// own examples.
pub fn sample_records() -> Vec<Record> {
    let d = |y, m, day| Date::new(y, m, day).expect("date");
    vec![
        divex_fixtures::drug_test(),
        divex_fixtures::attendance(),
        divex_fixtures::lead_status(),
        Record::from(
            Referral::new(
                "ref-2026-0042",
                ReferralSource::ALL[2],
                "superior-court",
                d(2026, 3, 1),
            )
            .with_case_ref(CASE),
        ),
        Record::from(IntakeStatus::new(d(2026, 3, 4)).with_completed_date(d(2026, 3, 5))),
        Record::from(Enrollment::new(
            "pc1000-outpatient",
            AsamLevel::ALL[1],
            d(2026, 3, 6),
        )),
        Record::from(
            ProgressReport::new(d(2026, 3, 1), d(2026, 3, 31), ComplianceStatus::ALL[0])
                .with_goals_met(2)
                .with_barrier("transportation"),
        ),
        Record::from(CourtResponse::new(d(2026, 4, 2)).with_incentive("praise")),
        Record::from(CourtEvent::new(CASE, d(2026, 4, 2), CourtEventKind::ALL[0])),
        Record::from(Discharge::new(d(2026, 9, 1), DischargeReason::ALL[0])),
        Record::from(CaseDisposition::new(
            CASE,
            d(2026, 9, 20),
            Disposition::ALL[0],
            true,
        )),
        Record::from(LeadStatus::new(LeadEngagement::ALL[0]).with_as_of(d(2026, 5, 1))),
        Record::from(ClinicalDetail::new(["F11.20"]).with_as_of(d(2026, 5, 1))),
        Record::from(CounselingNote::new(
            d(2026, 5, 2),
            "Discussed relapse triggers.",
        )),
        Record::from(
            DrugTest::new(T0 - DAY, Specimen::ALL[0], false, "10-panel")
                .with_program_outcome(ProgramOutcome::ALL[0]),
        ),
    ]
}

/// Hand-made `disclosure_roundtrip` inputs: a present attendance with hours, an absent one, a
/// negative drug test with two analytes, a missed test, and an invalid (over-long) panel.
pub fn structured_seeds() -> Vec<Vec<u8>> {
    let le = |v: u64, n: usize| v.to_le_bytes()[..n].to_vec();
    let mut present = vec![1, 0];
    present.extend(le(T0, 8));
    present.extend([0, 0, 1, 0]);
    present.extend(le(15, 4));
    present.extend([1, 0]);
    present.extend(le(120, 4));
    let mut absent = vec![1, 1];
    absent.extend(le(2026, 2));
    absent.extend([9, 20, 3, 1, 0, 0]);
    let mut negative = vec![0, 0];
    negative.extend(le(T0, 8));
    negative.extend([0, 1, 8]);
    negative.extend(b"10-panel");
    negative.extend([2, 8]);
    negative.extend(b"fentanyl");
    negative.push(0);
    negative.push(7);
    negative.extend(b"opiates");
    negative.push(0);
    negative.extend([1, 0, 0, 1, 1]);
    let mut missed = vec![0, 0];
    missed.extend(le(T0, 8));
    missed.extend([1, 0, 4]);
    missed.extend(b"5-pa");
    missed.extend([0, 0, 1, 0, 0]);
    let mut long_panel = vec![0, 0];
    long_panel.extend(le(T0, 8));
    long_panel.extend([0, 1, 255]);
    long_panel.extend(le(40, 2));
    long_panel.extend([b'x'; 295]);
    long_panel.extend([1, 7]);
    long_panel.extend(b"cocaine");
    long_panel.extend([0, 0, 0, 0]);
    vec![present, absent, negative, missed, long_panel]
}

/// Seed inputs for every target: the fixtures' genuine documents, the records catalogue
/// samples and every spec-vector byte field, routed by the vector folder; each list sorted
/// and without duplicates.
pub fn seeds() -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut s: BTreeMap<&'static str, BTreeSet<Vec<u8>>> =
        TARGETS.iter().map(|t| (*t, BTreeSet::new())).collect();
    let mut add = |target: &'static str, bytes: &[u8]| {
        s.get_mut(target).expect("target").insert(bytes.to_vec());
    };
    let e = envelopes();
    let c = consents();
    for env in &e.all {
        add("envelope_open", env);
        add("envelope_parse", env);
        add("codec_roundtrip", env);
    }
    for env in &e.genuine {
        let opened = envelope::open(env, &e.court, &e.senders, NOW, &OpenOptions::default())
            .expect("genuine envelope");
        add("envelope_parse", &opened.signed);
        add("codec_roundtrip", &opened.signed);
    }
    for consent in [&c.pc1000, &c.lead] {
        add("consent_verify", consent);
        add("envelope_parse", consent);
        add("codec_roundtrip", consent);
    }
    for st in &c.statements {
        add("statement_verify", st);
        add("envelope_parse", st);
        add("codec_roundtrip", st);
    }
    for doc in c
        .certificates
        .iter()
        .chain([&c.revocation, &c.anchor])
        .chain(&c.bundles)
        .chain(&c.public_bundles)
    {
        add("certificate_parse", doc);
        add("codec_roundtrip", doc);
    }
    for r in sample_records() {
        let bytes = r.to_bytes();
        add("record_decode", &record_input(r.record_type(), &bytes));
        add("codec_roundtrip", &bytes);
    }
    for seed in structured_seeds() {
        add("disclosure_roundtrip", &seed);
    }
    for f in vector_fields() {
        for t in route(&f) {
            if *t == "record_decode" {
                for input in record_inputs(&f.bytes, f.record_type) {
                    add(t, &input);
                }
            } else {
                add(t, &f.bytes);
            }
        }
    }
    s.into_iter()
        .map(|(t, set)| (t, set.into_iter().collect()))
        .collect()
}

/// The corpus directory of `target` (`fuzz/corpus/<target>`).
pub fn corpus_dir(target: &str) -> PathBuf {
    repo_root().join("fuzz/corpus").join(target)
}

/// Every file of `fuzz/corpus/<target>/`, sorted by name, with its contents.
pub fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(corpus_dir(target)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).expect("readable corpus file");
            (p, data)
        })
        .collect()
}
