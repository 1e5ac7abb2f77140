//! The demo end to end: the story plays, every ledger verifies, the JSON is one document.

use divex_core::directory::Directory;
use divex_ledger::Ledger;
use serde_json::Value;

use super::world::CAST;
use super::*;

#[test]
fn demo_plays_the_story_and_every_ledger_verifies() {
    // An existing, empty directory is accepted.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut out = Vec::new();
    run(Some(d), false, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for needle in [
        "note: demo keystores use a fast KDF and a public passphrase",
        "SENT       superior-court → treatment-provider",
        "referral: PC 1000 order",
        "REFUSED    treatment-provider → superior-court",
        "[record_type_not_permitted] disclosure to superior-court refused: record type clinical_detail",
        "NO EFFECT  participant",
        "no-adverse-action",
        "[replay]",
        "final disposition of CR-2025-000417: dismissed",
        "IN EFFECT  participant",
        "ROTATED    superior-court",
        "keys rotated: signing key",
        "[revoked] disclosure to probation refused: consent c-pc1000-0001 was revoked",
        "Accounting of disclosures for Jordan Avery Reyes (42 CFR §2.24), from the treatment-provider ledger",
        "from the lead-case-manager ledger",
        "LEAD engagement status (lead_status)",
        "Ledger verification",
        "Witnessed heads (divex ledger verify --agency treatment-provider --witness",
        "superior-court         6 heads of the provider's ledger recorded; entries 1..=14 proved as sent",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }

    // Every ledger verifies against the directory (each checkpoint under the key certified at
    // its time), independently of the demo's own report, and holds a checkpoint.
    let home = Home::new(d);
    let directory = Directory::from_bytes(&fs::read(home.directory_file()).unwrap()).unwrap();
    for c in &CAST {
        let ledger = Ledger::open(&home.ledger(c.id), c.id).unwrap();
        let report = ledger.verify(&directory).unwrap();
        assert!(report.entries > 0, "{}", c.id);
        // The court also checkpointed with the key it retired mid-case.
        let expected = if c.id == COURT { 2 } else { 1 };
        assert_eq!(report.checkpoints, expected, "{}", c.id);
        assert!(
            text.contains(&format!("{}…  ok", &hex(&report.head)[..16])),
            "{}: {text}",
            c.id
        );
        assert!(home.keystore(c.id).is_file());
        let retired = std::fs::read_dir(home.retired_keystores(c.id))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(retired, usize::from(c.id == COURT), "{}", c.id);
    }
    assert!(home.anchor_keystore(ANCHOR).is_file());
    assert!(
        home.envelopes_dir()
            .join("01-court-referral-to-provider.envelope.cose")
            .is_file()
    );
    assert!(
        home.consents_dir(PROVIDER)
            .join("c-pc1000-0001.consent.cose")
            .is_file()
    );
}

#[test]
fn demo_json_is_one_document_and_a_non_empty_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("new");
    let mut out = Vec::new();
    run(Some(&d), true, &mut out).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["ledgers"].as_array().unwrap().len(), 6);
    let outcomes: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    for o in ["signed", "sent", "refused", "no_effect", "in_effect"] {
        assert!(outcomes.contains(&o), "{o}");
    }
    assert!(
        !v["accounting"]["treatment-provider"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        v["accounting"]["lead-case-manager"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let err = run(Some(&d), false, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("is not empty"), "{err}");
}
