"""A treatment provider reports a drug test to the drug court, and the court opens it.

The county's justice-IT authority certifies both agencies; the participant signs a
42 CFR §2.35 consent (PC 1000 deferred entry of judgment) on the provider's signing tablet;
the provider seals yesterday's drug test to the court; the court opens it, re-checking the
consent, and both record the disclosure in their ledgers. A disclosure the consent does not
cover (clinical detail) is refused before anything is encrypted.

Run it with the package installed (``pip install ./bindings/python``)::

    python examples/python/drug_test_to_court.py
"""

from __future__ import annotations

import pathlib
import tempfile
import time

import divex

DAY = 86_400
CASE = "CR-2026-001234"
PURPOSE = "cj-monitor-conditional-release"


def main(workdir: pathlib.Path) -> None:
    now = int(time.time())

    # 1. Trust: the county's justice-IT authority certifies the provider and the court.
    county = divex.AnchorKeys.generate("Example County Justice IT")
    provider = divex.AgencyKeys.generate()
    court = divex.AgencyKeys.generate()
    directory = divex.Directory()
    directory.add_anchor(county.trust_anchor())
    for agency_id, name, role, keys, part2 in [
        (
            "county-treatment-program",
            "County Treatment Program",
            divex.Role.TREATMENT_PROVIDER,
            provider,
            True,
        ),
        ("county-drug-court", "County Drug Court", divex.Role.COURT, court, False),
    ]:
        directory.add_certificate(
            county.issue_certificate(
                divex.CertificateRequest(
                    agency_id=agency_id,
                    name=name,
                    roles=[role],
                    part2_program=part2,
                    public_bundle=keys.public_bundle(),
                    not_before=now - DAY,
                    not_after=now + 365 * DAY,
                )
            )
        )
    # Agencies exchange the directory as bytes; the court verifies every certificate again.
    court_directory = divex.Directory.from_bytes(directory.to_bytes())

    # The provider keeps its keys only in an encrypted keystore.
    keystore = provider.export_keystore(
        "county-treatment-program", "provider passphrase", profile=divex.KdfProfile.FAST
    )
    provider = divex.AgencyKeys.from_keystore(keystore, "provider passphrase")

    # 2. Consent: the participant signs a §2.35 consent; the program witnesses it.
    participant = divex.PersonalKey.generate()
    subject = divex.Subject(name="Jordan Avery Reyes", date_of_birth="1994-03-14")
    consent = divex.sign_consent(
        {
            "id": "consent-pc1000-0042",
            "version": 1,
            "regime": "part2_2_35",
            "regulatory_basis": ["42CFRPart2", "CA-PC-1000"],
            "subject": {"name": subject.name, "date_of_birth": subject.date_of_birth},
            "disclosers": [{"agency": "county-treatment-program"}],
            "recipients": [{"agency": "county-drug-court"}],
            "purposes": [PURPOSE],
            "information": {
                "record_types": ["attendance", "drug_test", "progress_report"],
                "tiers": ["t1", "t2"],
                "description": "Attendance, drug test results and progress in the PC 1000 program",
            },
            "effective": now - DAY,
            "expiry": {"date": now + 540 * DAY, "event": {"case_ref": CASE}},
            "revocation": {"revocable_after": {"event": {"case_ref": CASE}}},
            "redisclosure": "cj_official_duties_only",
            "notice": {"form": "short", "attach_consent": True},
            "case": {"case_ref": CASE, "authority": "county-drug-court"},
            "signers": [
                {
                    "capacity": "patient",
                    "name": subject.name,
                    "method": "electronic",
                    "key": participant.public_key(),
                },
                {
                    "capacity": "witnessing_agency",
                    "name": "County Treatment Program",
                    "method": "electronic",
                    "key": provider.signing_public_key(),
                    "agency_id": "county-treatment-program",
                },
            ],
            "signed_at": now - DAY,
        },
        agencies=[provider],
        people=[participant],
    )
    provider_consents = divex.ConsentSet()
    held = provider_consents.import_consent(consent, directory, now)
    print(f"consent {held.id} ({held.regime.name}) verified")

    # 3. The provider seals yesterday's drug test to the court.
    test = divex.Record.drug_test(
        collected_at=now - DAY,
        specimen="urine",
        observed=True,
        panel="10-panel",
        results={"fentanyl": "negative", "opiates": "negative", "amphetamines": "negative"},
        confirmation="not_required",
    )
    sealed = divex.seal_disclosure(
        provider,
        directory,
        provider_consents,
        test,
        recipients=["county-drug-court"],
        subject=subject,
        purpose=PURPOSE,
        consent_id=held.id,
        now=now,
    )
    provider_ledger = divex.Ledger.open(
        str(workdir / "provider-ledger.sqlite"), "county-treatment-program"
    )
    provider_ledger.record_sent(sealed, now)
    print(
        f"sealed envelope {sealed.envelope_id().hex()} ({len(sealed.envelope())} bytes), "
        f"labels {sealed.metadata().labels}"
    )

    # Clinical detail is not covered by this consent: refused before anything is encrypted.
    try:
        divex.seal_disclosure(
            provider,
            directory,
            provider_consents,
            divex.Record.from_dict("clinical_detail", {"diagnoses": ["F11.20"]}),
            recipients=["county-drug-court"],
            subject=subject,
            purpose=PURPOSE,
            consent_id=held.id,
            now=now,
        )
        raise SystemExit("clinical detail must not be disclosed to the court")
    except divex.ConsentDenied as refused:
        print(f"refused as expected ({refused.code}): {refused}")

    # 4. The court opens the envelope: every envelope check, then the consent again.
    court_ledger = divex.Ledger.open(str(workdir / "court-ledger.sqlite"), "county-drug-court")
    received = divex.open_disclosure(
        sealed.envelope(), court, court_directory, now=now, ledger=court_ledger
    )
    court_ledger.record_received(received, now)
    results = {r["analyte"]: r["result"] for r in received.record().to_dict()["results"]}
    print(f"from {received.sender().agency_id}: {received.metadata().record_type.name} {results}")
    print(f"notice: {received.notice()}")
    print(f"redisclosure: {received.obligations().redisclosure.name}")
    assert received.record() == test
    assert received.subject() == subject

    # A second delivery of the same envelope is a replay.
    try:
        divex.open_disclosure(sealed.envelope(), court, court_directory, now=now, ledger=court_ledger)
        raise SystemExit("a replay must be refused")
    except divex.EnvelopeError as refused:
        if refused.code != "replay":
            raise
        print(f"replay refused: {refused}")

    # 5. Ledgers: signed checkpoint, verification, and the participant's accounting.
    provider_ledger.checkpoint(provider, now)
    report = provider_ledger.verify(provider.signing_public_key())
    accounting = provider_ledger.accounting(subject, now - DAY, now + DAY)
    print(
        f"provider ledger verified: {report.entries} entries, {report.checkpoints} checkpoint; "
        f"accounting lists {[e.counterparty for e in accounting]}"
    )
    court_ledger.verify(court.signing_public_key())
    print("ok")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="divex-example-") as ledgers:
        main(pathlib.Path(ledgers))
