//! The fixtures hold what their callers rely on: every preset is a valid consent, a seeded
//! world is the same on every run, overrides change exactly what they name.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use divex_core::consent::{
    Capacity, Party, Revocability, SignMethod, SignedConsent, SourceDocument,
};
use divex_core::directory::Role;

use crate::{
    CASE, ConsentBuilder, DAY, FLEET_SENDER, Fleet, Seeds, T0, World, minor_subject, rng, subject,
};

#[test]
fn every_preset_signs_and_verifies_against_the_world() {
    let w = World::new();
    type Preset = fn(&World) -> ConsentBuilder;
    let presets: [(Preset, &str); 5] = [
        (ConsentBuilder::pc1000, "c-pc1000-0001"),
        (ConsentBuilder::lead, "c-lead-0007"),
        (ConsentBuilder::counseling_notes, "c-notes-0001"),
        (ConsentBuilder::minor, "c-minor-0003"),
        (ConsentBuilder::state_release, "c-release-0001"),
    ];
    for (preset, id) in presets {
        let signed = preset(&w).sign(&w).unwrap_or_else(|e| panic!("{id}: {e}"));
        let verified = SignedConsent::verify(signed.as_bytes(), &w.directory, T0)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(verified.id(), id);
    }
}

#[test]
fn the_minor_preset_is_signed_by_the_parent_for_the_minor() {
    let w = World::new();
    let d = ConsentBuilder::minor(&w).build();
    assert_eq!(d.subject, minor_subject());
    assert_eq!(d.signers[0], w.parent_signer());
    assert_eq!(d.signers[0].capacity, Capacity::Parent);
    assert_eq!(d.signers[1], w.witness("treatment-provider"));
}

#[test]
fn a_seeded_world_is_the_same_on_every_run_and_an_os_world_is_not() {
    let seeded = || {
        World::builder()
            .seeded(Seeds::label("fixtures test"))
            .build()
    };
    let (a, b) = (seeded(), seeded());
    assert_eq!(a.anchor.public(), b.anchor.public());
    assert_eq!(a.directory.to_bytes(), b.directory.to_bytes());
    assert_eq!(a.patient.public(), b.patient.public());
    assert_eq!(a.parent.public(), b.parent.public());
    assert_eq!(a.stranger.public(), b.stranger.public());
    // An agency's seeded keys are the envelope vectors' keys.
    assert_eq!(
        a.key("probation").public(),
        crate::agency("probation").public()
    );
    let (c, d) = (World::new(), World::new());
    assert_ne!(c.anchor.public(), d.anchor.public());
    assert_ne!(c.key("probation").public(), d.key("probation").public());
}

#[test]
fn the_builder_certifies_what_it_is_told() {
    let w = World::builder()
        .agencies([
            ("county-jail", Role::Intermediary, false),
            ("treatment-provider", Role::TreatmentProvider, true),
        ])
        .named("county-jail", "County Jail Health Services")
        .validity(T0 - DAY, T0 + DAY)
        .not_before("treatment-provider", T0)
        .build();
    assert_eq!(w.keys.len(), 2);
    let jail = w.certificate("county-jail");
    assert_eq!(jail.name(), "County Jail Health Services");
    assert_eq!(jail.roles(), [Role::Intermediary]);
    assert!(
        w.directory
            .current_certificate("treatment-provider", T0 - 1)
            .is_err()
    );
    assert!(w.facts("treatment-provider", T0).part2_program);
    assert!(
        w.directory
            .current_certificate("county-jail", T0 + 2 * DAY)
            .is_err()
    );
}

#[test]
fn an_impossible_world_is_an_error_from_try_build() {
    assert!(World::builder().validity(T0, T0 - DAY).try_build().is_err());
}

#[test]
fn case_moves_every_trigger_to_the_new_case() {
    let w = World::new();
    let before = ConsentBuilder::pc1000(&w).build();
    assert_eq!(
        before.case.as_ref().map(|c| c.case_ref.as_str()),
        Some(CASE)
    );
    let d = ConsentBuilder::pc1000(&w)
        .case("CR-2030-000001", "other-court")
        .build();
    let case = d.case.as_ref().unwrap();
    assert_eq!(
        (case.case_ref.as_str(), case.authority.as_str()),
        ("CR-2030-000001", "other-court")
    );
    assert_eq!(d.expiry.event.unwrap().case_ref, "CR-2030-000001");
    let Revocability::RevocableAfter(after) = d.revocation else {
        panic!("a §2.35 consent is revocable only after its event")
    };
    assert_eq!(after.event.unwrap().case_ref, "CR-2030-000001");
}

#[test]
fn overrides_change_exactly_what_they_name() {
    let w = World::new();
    let base = ConsentBuilder::lead(&w).build();
    let v2 = ConsentBuilder::lead(&w)
        .next_version("c-lead-0007-v2")
        .dated(T0 + DAY)
        .build();
    assert_eq!((v2.id.as_str(), v2.version), ("c-lead-0007-v2", 2));
    assert_eq!(v2.supersedes.as_deref(), Some("c-lead-0007"));
    assert_eq!((v2.effective, v2.signed_at), (T0 + DAY, T0 + DAY));
    assert_eq!(
        divex_core::consent::ConsentDirective {
            id: base.id.clone(),
            version: 1,
            supersedes: None,
            effective: base.effective,
            signed_at: base.signed_at,
            ..v2
        },
        base
    );

    let moved = ConsentBuilder::lead(&w)
        .disclosers([Party::Agency("treatment-provider".into())])
        .witness(w.witness("treatment-provider"))
        .build();
    assert_eq!(moved.signers[0], w.patient_signer());
    assert_eq!(
        moved.signers[1].agency_id.as_deref(),
        Some("treatment-provider")
    );

    let paper = ConsentBuilder::pc1000(&w)
        .wet_ink(SourceDocument {
            sha256: [1; 32],
            media_type: "application/pdf".into(),
        })
        .build();
    assert_eq!(paper.signers[0].method, SignMethod::WetInkWitnessed);
    assert_eq!(paper.signers[0].key, None);
    assert!(
        ConsentBuilder::pc1000(&w)
            .wet_ink(SourceDocument {
                sha256: [1; 32],
                media_type: "application/pdf".into(),
            })
            .sign(&w)
            .is_ok()
    );
    assert_eq!(paper.subject, subject());
}

#[test]
fn build_leaves_a_deficient_directive_to_the_caller_and_sign_refuses_it() {
    let w = World::new();
    let deficient = ConsentBuilder::lead(&w).expiry_date(None);
    assert_eq!(deficient.directive().expiry.date, None);
    assert!(deficient.sign(&w).is_err());
}

#[test]
fn a_fleet_is_sorted_by_kid_resolves_its_sender_and_reproduces_from_a_seed() {
    let f = Fleet::generate_with_rng(5, &mut rng("fleet"));
    let kids: Vec<_> = f.bundles.iter().map(|b| b.encryption().kid()).collect();
    assert!(kids.windows(2).all(|p| p[0] < p[1]));
    for (k, b) in f.recipients.iter().zip(&f.bundles) {
        assert_eq!(k.public(), b);
    }
    let sender = divex_core::testing::envelope::SenderResolver::resolve(
        &f.resolver,
        &f.sender.public().signing().kid(),
        T0,
    )
    .unwrap();
    assert_eq!(sender.agency_id, FLEET_SENDER);
    let again = Fleet::generate_with_rng(5, &mut rng("fleet"));
    assert_eq!(again.bundles, f.bundles);
    assert_eq!(again.sender.public(), f.sender.public());
}
