//! Key rotation and certificate expiry do not brick the holders (issue #12, reproduced failure
//! 1; spec/directory.md §7.1): statements are judged at their own time.
//!
//! The superior court witnesses consents, records a participant's revocation and signs a case
//! event with its first key; then it rotates its keys exactly as spec/directory.md §7
//! "Rotation" describes (a new certificate for the same agency id, the old one revoked
//! `superseded`), or its first certificate simply expires. Days later the treatment provider
//! and probation rebuild their holdings and carry on: ordinary disclosures still seal and
//! open, and the revocation the court recorded before the rotation still takes effect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use divex_core::DisclosureError;
use divex_core::consent::{
    CaseEvent, ConsentError, ConsentSet, DispositionOutcome, Party, RevocationStatement,
    SignedConsent,
};
use divex_core::decision::{self, DenyReason, Facts};
use divex_core::error::Classified;
use divex_core::keys::AgencyKeys;
use divex_core::vocab::Purpose;
use divex_fixtures::*;

/// When the court rotates (or its first certificate expires).
const ROTATION: u64 = T0 + 10 * DAY;
/// When the holders rebuild their holdings and disclose, after the rotation.
const LATER: u64 = ROTATION + 5 * DAY;

/// The statements the court made with its first key, before the rotation.
struct CourtPapers {
    /// The PC 1000 consent (provider → court, DA, probation), witnessed by the court.
    pc1000: Vec<u8>,
    /// A minor's consent (provider → probation), witnessed by the court.
    minor: Vec<u8>,
    /// The participant's revocation of the minor's consent, recorded by the court.
    minor_revoked: Vec<u8>,
    /// Diversion terminated on the PC 1000 case (not a final disposition: no effect).
    event: Vec<u8>,
    /// An unrelated consent (provider → probation), witnessed by the provider itself.
    unrelated: Vec<u8>,
}

fn minor_consent(w: &World) -> ConsentBuilder {
    ConsentBuilder::minor(w).witness(w.witness("superior-court"))
}

fn unrelated_consent(w: &World) -> ConsentBuilder {
    ConsentBuilder::minor(w).id("c-minor-0004")
}

/// The court's statements, all signed with its current (first) key, dated before the
/// rotation.
fn court_papers(w: &World) -> CourtPapers {
    let court = w.key("superior-court");
    CourtPapers {
        pc1000: ConsentBuilder::pc1000(w)
            .witness(w.witness("superior-court"))
            .sign(w)
            .unwrap()
            .as_bytes()
            .to_vec(),
        minor: minor_consent(w).sign(w).unwrap().as_bytes().to_vec(),
        minor_revoked: RevocationStatement {
            consent_id: "c-minor-0003".into(),
            revoked_at: T0 + 2 * DAY,
            method: "written".into(),
        }
        .sign(court)
        .unwrap(),
        event: CaseEvent {
            case_ref: CASE.into(),
            outcome: DispositionOutcome::DiversionTerminated,
            effective_at: T0 + DAY,
        }
        .sign(court)
        .unwrap(),
        unrelated: unrelated_consent(w).sign(w).unwrap().as_bytes().to_vec(),
    }
}

/// What an agency holds, verified at `now` (as the CLI rebuilds it for every command).
fn holdings(w: &World, p: &CourtPapers, now: u64) -> Result<ConsentSet, ConsentError> {
    let mut set = ConsentSet::new();
    for c in [&p.pc1000, &p.minor, &p.unrelated] {
        set.import_consent(c, &w.directory, now)?;
    }
    set.import_revocation(&p.minor_revoked, &w.directory, now)?;
    set.import_event(&p.event, &w.directory, now)?;
    Ok(set)
}

/// After the rotation (or expiry): (a) provider → probation under the PC 1000 consent the
/// court witnessed seals and opens; (b) provider → probation under an unrelated consent seals
/// and opens; (d) the revocation the court recorded with its old key still takes effect.
fn holders_carry_on(w: &World, p: &CourtPapers) {
    let provider_set = holdings(w, p, LATER).expect("the provider's holdings still verify");
    let probation_set = holdings(w, p, LATER).expect("probation's holdings still verify");
    let provider = w.key("treatment-provider");
    let juvenile = Purpose::from_static("juvenile-probation-monitoring");

    // (a) The PC 1000 consent the court witnessed with its old key.
    let record = drug_test();
    let adult = subject();
    let sealed = divex_core::seal(
        provider,
        &w.directory,
        &provider_set,
        &seal_request(
            &["probation"],
            &CJ_PURPOSE,
            "c-pc1000-0001",
            &record,
            &adult,
        ),
        LATER,
    )
    .expect("the provider seals under the court-witnessed consent");
    let got = divex_core::open(
        &sealed.envelope,
        w.key("probation"),
        &w.directory,
        &probation_set,
        LATER,
        &Default::default(),
    )
    .expect("probation opens it");
    assert_eq!(got.record, record);
    assert_eq!(got.consent.id(), "c-pc1000-0001");

    // (b) An unrelated consent.
    let minor = minor_subject();
    let record = attendance();
    let sealed = divex_core::seal(
        provider,
        &w.directory,
        &provider_set,
        &seal_request(&["probation"], &juvenile, "c-minor-0004", &record, &minor),
        LATER,
    )
    .expect("the provider seals under an unrelated consent");
    divex_core::open(
        &sealed.envelope,
        w.key("probation"),
        &w.directory,
        &probation_set,
        LATER,
        &Default::default(),
    )
    .expect("probation opens it");

    // (d) The revocation the court recorded before rotating still takes effect.
    let revoked = provider_set.get("c-minor-0003").unwrap();
    assert_eq!(
        decision::revoked_at(revoked, &Facts::from(&provider_set)),
        Some(T0 + 2 * DAY)
    );
    let refused = divex_core::seal(
        provider,
        &w.directory,
        &provider_set,
        &seal_request(&["probation"], &juvenile, "c-minor-0003", &record, &minor),
        LATER,
    );
    assert!(
        matches!(
            refused,
            Err(DisclosureError::Denied {
                reason: DenyReason::Revoked { .. },
                ..
            })
        ),
        "{refused:?}"
    );
}

#[test]
fn a_court_key_rotation_with_the_old_certificate_superseded_bricks_nothing() {
    let mut w = World::new();
    let p = court_papers(&w);
    // Everything verifies before the rotation.
    holdings(&w, &p, T0 + 3 * DAY).unwrap();
    let old: AgencyKeys = w.rotate("superior-court", ROTATION, Some("superseded"));
    assert_ne!(old.public(), w.key("superior-court").public());
    holders_carry_on(&w, &p);
}

#[test]
fn a_court_certificate_that_expires_after_a_renewal_bricks_nothing() {
    let mut w = World::builder()
        .not_after("superior-court", ROTATION + DAY)
        .build();
    let p = court_papers(&w);
    holdings(&w, &p, T0 + 3 * DAY).unwrap();
    // The renewal starts a day before the old certificate expires; nothing is revoked.
    w.rotate("superior-court", ROTATION, None);
    holders_carry_on(&w, &p);
}

#[test]
fn statements_made_with_the_old_key_after_it_was_superseded_are_refused() {
    let mut w = World::new();
    let p = court_papers(&w);
    let old = w.rotate("superior-court", ROTATION, Some("superseded"));
    let late = CaseEvent {
        case_ref: CASE.into(),
        outcome: DispositionOutcome::Dismissed,
        effective_at: ROTATION + DAY,
    }
    .sign(&old)
    .unwrap();
    let mut set = holdings(&w, &p, LATER).unwrap();
    assert_eq!(
        set.import_event(&late, &w.directory, LATER)
            .unwrap_err()
            .class(),
        "untrusted_signer"
    );
    // The same disposition signed with the new key is accepted.
    let event = CaseEvent {
        case_ref: CASE.into(),
        outcome: DispositionOutcome::Dismissed,
        effective_at: ROTATION + DAY,
    }
    .sign(w.key("superior-court"))
    .unwrap();
    set.import_event(&event, &w.directory, LATER).unwrap();
}

#[test]
fn after_a_key_compromise_restrictions_dated_before_it_stand_and_grants_fall() {
    let mut w = World::new();
    let p = court_papers(&w);
    let compromised_at = T0 + 5 * DAY;
    let old = w.rotate("superior-court", compromised_at, Some("key_compromise"));
    let d = &w.directory;

    // A grant the compromised key witnessed, even dated long before the compromise, is refused:
    // the key could have back-dated it.
    let e = SignedConsent::verify(&p.pc1000, d, LATER).unwrap_err();
    assert_eq!(e.class(), "signer_compromised", "{e}");

    // Restrictions dated before the compromise stand; the consents they restrict are
    // witnessed by the provider here.
    let minor = ConsentBuilder::minor(&w)
        .add_discloser(Party::Agency("superior-court".into()))
        .sign(&w)
        .unwrap();
    let mut set = ConsentSet::new();
    set.import_consent(minor.as_bytes(), d, LATER).unwrap();
    let before = RevocationStatement {
        consent_id: "c-minor-0003".into(),
        revoked_at: compromised_at - DAY,
        method: "written".into(),
    }
    .sign(&old)
    .unwrap();
    set.import_revocation(&before, d, LATER).unwrap();
    set.import_event(&p.event, d, LATER).unwrap();

    // Dated at or after the compromise: refused.
    for at in [compromised_at, compromised_at + DAY] {
        let after = RevocationStatement {
            consent_id: "c-minor-0003".into(),
            revoked_at: at,
            method: "written".into(),
        }
        .sign(&old)
        .unwrap();
        assert_eq!(
            set.import_revocation(&after, d, LATER).unwrap_err().class(),
            "untrusted_signer"
        );
        let event = CaseEvent {
            case_ref: CASE.into(),
            outcome: DispositionOutcome::Dismissed,
            effective_at: at,
        }
        .sign(&old)
        .unwrap();
        assert_eq!(
            set.import_event(&event, d, LATER).unwrap_err().class(),
            "untrusted_signer"
        );
    }
}
