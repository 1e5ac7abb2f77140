//! Revocations that cannot be outrun (issue #12, reproduced failure 5; spec/consent.md §5.5,
//! §6.3, §8.3): a revocation that reaches a holder before its consent is kept pending and
//! applied when the consent arrives; an envelope older than the recipient's maximum age is
//! refused; an envelope dated before one already accepted from the same sender under the same
//! consent is flagged, and refused when a revocation lies between the two; a case event dated
//! long before its import is refused unless admitted on a court order.
//!
//! The LEAD consent (`c-lead-0007`, lead-case-manager → police-lead-unit, revocable at will,
//! signed at `T0 - 10 days`) is the consent throughout: a case manager who has not heard of a
//! revocation seals, and the police LEAD unit, which has, opens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use divex_core::consent::{CaseEvent, ConsentSet, DispositionOutcome, RevocationStatement};
use divex_core::decision::DenyReason;
use divex_core::error::{Classified, ErrorCategory};
use std::collections::BTreeSet;

use divex_core::envelope::{EnvelopeId, SeenEnvelopes};
use divex_core::testing::envelope::OpenOptions;
use divex_core::{DisclosureError, Received, Sealed};
use divex_fixtures::*;

const LEAD_ID: &str = "c-lead-0007";
/// When the participant revokes the LEAD consent.
const REVOKED: u64 = T0 + 10 * DAY;

fn lead_consent(w: &World) -> Vec<u8> {
    ConsentBuilder::lead(w).sign(w).unwrap().as_bytes().to_vec()
}

/// The participant's revocation of `consent_id`, dated `at`.
fn revocation(w: &World, consent_id: &str, at: u64) -> Vec<u8> {
    RevocationStatement {
        consent_id: consent_id.into(),
        revoked_at: at,
        method: "written".into(),
    }
    .sign(&w.patient)
    .unwrap()
}

/// The case manager, holding the consent but not the revocation, seals a LEAD status update
/// with its clock at `at`.
fn case_manager_seals(w: &World, at: u64) -> Sealed {
    let mut set = ConsentSet::new();
    set.import_consent(&lead_consent(w), &w.directory, T0)
        .unwrap();
    let record = lead_status();
    let subj = subject();
    let req = seal_request(
        &["police-lead-unit"],
        &LEAD_PURPOSE,
        LEAD_ID,
        &record,
        &subj,
    );
    divex_core::seal(w.key("lead-case-manager"), &w.directory, &set, &req, at).unwrap()
}

/// The police LEAD unit, holding `set`, opens `envelope` at `now`.
fn police_open(
    w: &World,
    set: &ConsentSet,
    envelope: &[u8],
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Received, DisclosureError> {
    divex_core::open(
        envelope,
        w.key("police-lead-unit"),
        &w.directory,
        set,
        now,
        options,
    )
}

fn assert_revoked(r: Result<Received, DisclosureError>) {
    match r {
        Err(DisclosureError::Denied {
            reason: DenyReason::Revoked { consent_id },
            ..
        }) => assert_eq!(consent_id, LEAD_ID),
        Err(e) => panic!("expected a revoked denial, got {e} ({})", e.class()),
        Ok(_) => panic!("a disclosure made after the revocation was released"),
    }
}

// --- §5.5 pending revocations -------------------------------------------------------------

#[test]
fn a_revocation_received_before_its_consent_is_applied_when_the_consent_arrives() {
    let w = World::new();
    // The participant revokes at the police unit the day the case manager forwards the
    // consent: the revocation arrives first.
    let mut police = ConsentSet::new();
    police
        .import_revocation(&revocation(&w, LEAD_ID, REVOKED), &w.directory, REVOKED)
        .expect("a revocation of a consent not yet held is kept pending");
    police
        .import_consent(&lead_consent(&w), &w.directory, REVOKED + DAY)
        .unwrap();
    assert_eq!(
        police.revocations().len(),
        1,
        "the pending revocation applies"
    );
    // The case manager, who has not heard of it, discloses after the revocation.
    let late = case_manager_seals(&w, REVOKED + 2 * DAY);
    assert_revoked(police_open(
        &w,
        &police,
        &late.envelope,
        REVOKED + 2 * DAY,
        &OpenOptions::default(),
    ));
}

#[test]
fn a_pending_revocation_is_judged_against_a_consent_that_arrives_attached() {
    let w = World::new();
    // The police unit holds only the revocation; the consent travels with the envelope.
    let mut police = ConsentSet::new();
    police
        .import_revocation(&revocation(&w, LEAD_ID, REVOKED), &w.directory, REVOKED)
        .unwrap();
    let late = case_manager_seals(&w, REVOKED + DAY);
    assert_revoked(police_open(
        &w,
        &police,
        &late.envelope,
        REVOKED + DAY,
        &OpenOptions::default(),
    ));
    // A disclosure made before the revocation stays lawful (reliance).
    let early = case_manager_seals(&w, REVOKED - DAY);
    police_open(
        &w,
        &police,
        &early.envelope,
        REVOKED + DAY,
        &OpenOptions::default(),
    )
    .unwrap();
}

#[test]
fn a_pending_revocation_that_does_not_verify_is_no_revocation() {
    let w = World::new();
    let forged = RevocationStatement {
        consent_id: LEAD_ID.into(),
        revoked_at: REVOKED,
        method: "written".into(),
    }
    .sign(&w.stranger)
    .unwrap();
    let mut police = ConsentSet::new();
    police
        .import_revocation(&forged, &w.directory, REVOKED)
        .unwrap();
    police
        .import_consent(&lead_consent(&w), &w.directory, REVOKED)
        .unwrap();
    assert!(police.revocations().is_empty());
    let late = case_manager_seals(&w, REVOKED + DAY);
    police_open(
        &w,
        &police,
        &late.envelope,
        REVOKED + DAY,
        &OpenOptions::default(),
    )
    .unwrap();
}

#[test]
fn pending_revocations_are_checked_for_what_needs_no_consent_and_bounded() {
    let w = World::new();
    let mut set = ConsentSet::new();
    // Post-dated: refused at once, as it would be against the consent.
    let e = set
        .import_revocation(&revocation(&w, LEAD_ID, T0 + DAY), &w.directory, T0)
        .unwrap_err();
    assert_eq!(e.class(), "future_dated", "{e}");
    // Not a statement at all.
    let e = set
        .import_revocation(b"\xd2\x84\x40\xa0\x40\x40", &w.directory, T0)
        .unwrap_err();
    assert_eq!(e.category(), ErrorCategory::Consent, "{e}");
    // At most 64 distinct pending revocations per consent id; the same bytes twice count
    // once.
    for i in 0..64 {
        let r = revocation(&w, LEAD_ID, T0 - i);
        set.import_revocation(&r, &w.directory, T0).unwrap();
        set.import_revocation(&r, &w.directory, T0).unwrap();
    }
    let e = set
        .import_revocation(&revocation(&w, LEAD_ID, T0 - 64), &w.directory, T0)
        .unwrap_err();
    assert_eq!(e.class(), "too_many_pending", "{e}");
    // Another consent id has its own allowance.
    set.import_revocation(&revocation(&w, "c-other-0001", T0), &w.directory, T0)
        .unwrap();
    // When the consent arrives, every pending revocation is judged against it.
    set.import_consent(&lead_consent(&w), &w.directory, T0)
        .unwrap();
    assert_eq!(set.revocations().len(), 64);
}

#[test]
fn a_pending_revocation_of_a_superseded_version_holds_back_its_successor() {
    let w = World::new();
    // Version 2 supersedes version 1, which the police unit never received; the participant
    // revoked version 1 (which revokes version 2 with it, spec/consent.md §7.3).
    let v2 = ConsentBuilder::lead(&w)
        .id("c-lead-0008")
        .version(2)
        .supersedes(LEAD_ID)
        .sign(&w)
        .unwrap();
    let mut police = ConsentSet::new();
    police
        .import_revocation(&revocation(&w, LEAD_ID, REVOKED), &w.directory, REVOKED)
        .unwrap();
    police
        .import_consent(v2.as_bytes(), &w.directory, REVOKED)
        .unwrap();
    let mut manager = ConsentSet::new();
    manager
        .import_consent(v2.as_bytes(), &w.directory, REVOKED)
        .unwrap();
    let record = lead_status();
    let subj = subject();
    let req = seal_request(
        &["police-lead-unit"],
        &LEAD_PURPOSE,
        "c-lead-0008",
        &record,
        &subj,
    );
    let sealed = divex_core::seal(
        w.key("lead-case-manager"),
        &w.directory,
        &manager,
        &req,
        REVOKED + DAY,
    )
    .unwrap();
    // The revocation cannot be judged without version 1: nothing is released meanwhile.
    let e = police_open(
        &w,
        &police,
        &sealed.envelope,
        REVOKED + DAY,
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.category(), e.class()),
        (ErrorCategory::Disclosure, "revocation_pending"),
        "{e}"
    );
    // Nor does a sender holding such a revocation seal under the successor.
    manager
        .import_revocation(&revocation(&w, LEAD_ID, REVOKED), &w.directory, REVOKED)
        .unwrap();
    let e = divex_core::seal(
        w.key("lead-case-manager"),
        &w.directory,
        &manager,
        &req,
        REVOKED + DAY,
    )
    .unwrap_err();
    assert_eq!(e.class(), "revocation_pending", "{e}");
    // Once version 1 is held, the revocation is judged: it revokes version 2.
    police
        .import_consent(&lead_consent(&w), &w.directory, REVOKED + DAY)
        .unwrap();
    assert_revoked_as(
        police_open(
            &w,
            &police,
            &sealed.envelope,
            REVOKED + DAY,
            &OpenOptions::default(),
        ),
        "c-lead-0008",
    );
}

fn assert_revoked_as(r: Result<Received, DisclosureError>, id: &str) {
    match r {
        Err(DisclosureError::Denied {
            reason: DenyReason::Revoked { consent_id },
            ..
        }) => assert_eq!(consent_id, id),
        Err(e) => panic!("expected a revoked denial, got {e} ({})", e.class()),
        Ok(_) => panic!("released"),
    }
}

// --- §8.3 maximum age ---------------------------------------------------------------------

#[test]
fn an_envelope_sealed_with_a_clock_set_back_months_is_refused_as_too_old() {
    let w = World::new();
    let mut police = ConsentSet::new();
    police
        .import_consent(&lead_consent(&w), &w.directory, T0)
        .unwrap();
    police
        .import_revocation(&revocation(&w, LEAD_ID, REVOKED), &w.directory, REVOKED)
        .unwrap();
    // Sixteen months after the revocation, a case manager whose clock is set back to before
    // it seals: the envelope claims a time when the consent was in force.
    let backdated = case_manager_seals(&w, REVOKED - DAY);
    let now = REVOKED + 480 * DAY;
    let e = police_open(
        &w,
        &police,
        &backdated.envelope,
        now,
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.category(), e.class()),
        (ErrorCategory::Disclosure, "too_old"),
        "{e}"
    );
    // 30 days is the default: just inside it the envelope opens (reliance), just outside
    // it does not.
    let sent = case_manager_seals(&w, REVOKED - DAY);
    police_open(
        &w,
        &police,
        &sent.envelope,
        REVOKED - DAY + 30 * DAY,
        &OpenOptions::default(),
    )
    .unwrap();
    let e = police_open(
        &w,
        &police,
        &sent.envelope,
        REVOKED - DAY + 30 * DAY + 1,
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.class(), "too_old", "{e}");
}

// --- §6.3 date bounds ---------------------------------------------------------------------

fn dismissal(w: &World, at: u64) -> Vec<u8> {
    CaseEvent {
        case_ref: CASE.into(),
        outcome: DispositionOutcome::Dismissed,
        effective_at: at,
    }
    .sign(w.key("superior-court"))
    .unwrap()
}

#[test]
fn a_case_event_dated_more_than_30_days_before_its_import_is_refused_as_back_dated() {
    let w = World::new();
    let mut set = ConsentSet::new();
    set.import_event(&dismissal(&w, T0 - 30 * DAY), &w.directory, T0)
        .unwrap();
    let e = set
        .import_event(&dismissal(&w, T0 - 30 * DAY - 1), &w.directory, T0)
        .unwrap_err();
    assert_eq!(
        (e.category(), e.class()),
        (ErrorCategory::Consent, "back_dated"),
        "{e}"
    );
    let e = set
        .import_event(&dismissal(&w, 0), &w.directory, T0)
        .unwrap_err();
    assert_eq!(e.class(), "back_dated", "{e}");
    assert_eq!(set.events().len(), 1);
}

#[test]
fn max_age_none_disables_the_bound_for_archive_re_display() {
    let w = World::new();
    let mut police = ConsentSet::new();
    police
        .import_consent(&lead_consent(&w), &w.directory, T0)
        .unwrap();
    let sent = case_manager_seals(&w, T0);
    let archive = OpenOptions {
        max_age: None,
        ..OpenOptions::default()
    };
    let got = police_open(&w, &police, &sent.envelope, T0 + 300 * DAY, &archive).unwrap();
    assert_eq!(got.metadata.issued_at, T0);
    let tight = OpenOptions {
        max_age: Some(DAY),
        ..OpenOptions::default()
    };
    let e = police_open(&w, &police, &sent.envelope, T0 + DAY + 1, &tight).unwrap_err();
    assert_eq!(e.class(), "too_old", "{e}");
}

// --- §8.3 monotonic issue times -----------------------------------------------------------

/// A replay hook that has seen nothing but remembers the latest issue time accepted from the
/// case manager under the LEAD consent (what the ledger answers).
struct Latest(u64);

impl SeenEnvelopes for Latest {
    fn seen(&self, _: &EnvelopeId) -> bool {
        false
    }

    fn latest_issued_at(&self, sender: &str, consent_id: &str) -> Option<u64> {
        (sender == "lead-case-manager" && consent_id == LEAD_ID).then_some(self.0)
    }
}

fn with_hook(seen: &dyn SeenEnvelopes) -> OpenOptions<'_> {
    OpenOptions {
        seen: Some(seen),
        ..OpenOptions::default()
    }
}

#[test]
fn an_envelope_dated_before_one_already_received_is_flagged() {
    let w = World::new();
    let mut police = ConsentSet::new();
    police
        .import_consent(&lead_consent(&w), &w.directory, T0)
        .unwrap();
    let latest = Latest(T0 + 20 * DAY);
    let now = T0 + 21 * DAY;
    // Dated five days before the latest envelope: released, flagged.
    let earlier = case_manager_seals(&w, T0 + 15 * DAY);
    let got = police_open(&w, &police, &earlier.envelope, now, &with_hook(&latest)).unwrap();
    assert!(got.issued_out_of_order);
    // Within the clock skew, or later: in order.
    for at in [T0 + 20 * DAY - 300, T0 + 20 * DAY, T0 + 21 * DAY] {
        let e = case_manager_seals(&w, at);
        let got = police_open(&w, &police, &e.envelope, now, &with_hook(&latest)).unwrap();
        assert!(!got.issued_out_of_order, "{at}");
    }
    // A hook that remembers nothing (a set of ids) never flags.
    let ids: BTreeSet<EnvelopeId> = BTreeSet::new();
    let got = police_open(&w, &police, &earlier.envelope, now, &with_hook(&ids)).unwrap();
    assert!(!got.issued_out_of_order);
    // Another consent or another sender: not compared.
    let other = Latest(T0 + 20 * DAY);
    assert_eq!(other.latest_issued_at("probation", LEAD_ID), None);
}

#[test]
fn an_envelope_dated_back_across_a_revocation_is_refused() {
    let w = World::new();
    let mut police = ConsentSet::new();
    police
        .import_consent(&lead_consent(&w), &w.directory, T0)
        .unwrap();
    // The police unit accepted an envelope dated T0 + 20 days; the participant had revoked
    // at T0 + 10 days, which the police unit learns afterwards.
    police
        .import_revocation(
            &revocation(&w, LEAD_ID, REVOKED),
            &w.directory,
            T0 + 20 * DAY,
        )
        .unwrap();
    let latest = Latest(T0 + 20 * DAY);
    // The case manager's clock goes back to before the revocation: within the maximum age
    // and, by its stated date, relying on the consent in force.
    let backdated = case_manager_seals(&w, REVOKED - DAY);
    let e = police_open(
        &w,
        &police,
        &backdated.envelope,
        T0 + 21 * DAY,
        &with_hook(&latest),
    )
    .unwrap_err();
    assert_eq!(
        (e.category(), e.class()),
        (ErrorCategory::Disclosure, "reordered_across_revocation"),
        "{e}"
    );
    // Without the memory of the later envelope it would be released (reliance): the ordering
    // check is what refuses it.
    police_open(
        &w,
        &police,
        &backdated.envelope,
        T0 + 21 * DAY,
        &OpenOptions::default(),
    )
    .unwrap();
    // A revocation made after the latest envelope is not between the two: flagged only.
    let mut later = ConsentSet::new();
    later
        .import_consent(&lead_consent(&w), &w.directory, T0)
        .unwrap();
    later
        .import_revocation(
            &revocation(&w, LEAD_ID, T0 + 20 * DAY + 1),
            &w.directory,
            T0 + 21 * DAY,
        )
        .unwrap();
    let got = police_open(
        &w,
        &later,
        &backdated.envelope,
        T0 + 21 * DAY,
        &with_hook(&latest),
    )
    .unwrap();
    assert!(got.issued_out_of_order);
}
