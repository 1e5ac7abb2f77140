"""The whole PC 1000 story through the Python package: trust set-up, keystores, the
participant's §2.35 consent, a drug test sealed to the court and the DA, opened by each,
recorded in both ledgers, accounted for, and the case's dismissal."""

from __future__ import annotations

import datetime
import json
import sqlite3

import pytest

import divex
from conftest import CASE, CJ_PURPOSE, DAY, PC1000_ID, T0, World, drug_test


def test_pc1000_drug_test_from_provider_to_court_and_da(tmp_path) -> None:
    w = World()

    # Agencies exchange the directory as bytes; each rebuilds and re-verifies it.
    court_directory = divex.Directory.from_bytes(w.directory.to_bytes())
    assert len(court_directory.certificates()) == len(w.directory.certificates())
    assert court_directory.anchors()[0].key_id == w.anchor.key_id()
    court_cert = court_directory.current_certificate("superior-court", T0)
    assert court_cert.roles == [divex.Role.COURT]
    assert court_cert.public_bundle == w.key("superior-court").public_bundle()

    # The provider's keys live in an encrypted keystore (the divex CLI's format).
    keystore = w.key("treatment-provider").export_keystore(
        "treatment-provider", "correct horse battery staple", profile=divex.KdfProfile.FAST
    )
    info = divex.keystore_info(keystore)
    assert (info.kind, info.id, info.profile) == (
        divex.KeystoreKind.AGENCY,
        "treatment-provider",
        divex.KdfProfile.FAST,
    )
    provider = divex.AgencyKeys.from_keystore(keystore, "correct horse battery staple")
    assert provider.public_bundle() == w.key("treatment-provider").public_bundle()

    # The participant signs the PC 1000 consent on the program's tablet; the program
    # witnesses it.
    signed = divex.sign_consent(w.pc1000(), agencies=[provider], people=[w.patient])
    consent = divex.verify_consent(signed, w.directory, T0)
    assert (consent.id, consent.version, consent.regime) == (
        PC1000_ID,
        1,
        divex.Regime.PART2_CRIMINAL_JUSTICE,
    )
    directive = json.loads(consent.directive_json)
    assert directive["regime"] == "part2_2_35"
    assert directive["case"] == {"case_ref": CASE, "authority": "superior-court"}
    assert directive["signers"][0]["key"] == w.patient.public_key().hex()
    provider_consents = divex.ConsentSet()
    provider_consents.import_consent(signed, w.directory, T0)
    assert provider_consents.get(PC1000_ID) is not None

    # The provider seals yesterday's drug test to the court and the DA.
    record = drug_test()
    sealed = divex.seal_disclosure(
        provider,
        w.directory,
        provider_consents,
        record,
        recipients=["superior-court", "district-attorney"],
        subject=w.subject,
        purpose=CJ_PURPOSE,
        consent_id=PC1000_ID,
        now=T0,
    )
    assert sorted(sealed.recipients()) == ["district-attorney", "superior-court"]
    assert sealed.metadata().labels == [
        "42CFRPart2",
        "no-criminal-use",
        "redisclosure-cj-official-duties",
    ]
    assert sealed.metadata().redacted == []
    assert sealed.metadata().record_type == divex.RecordType.DRUG_TEST
    provider_ledger = divex.Ledger.open(str(tmp_path / "provider.sqlite"), "treatment-provider")
    sent = provider_ledger.record_sent(sealed, T0)
    assert [e.direction for e in sent] == [divex.Direction.SENT] * 2

    # The court and the DA each open the same envelope. Neither held the consent: the
    # attached copy is verified from its signed bytes.
    for agency_id in ["superior-court", "district-attorney"]:
        ledger = divex.Ledger.open(str(tmp_path / f"{agency_id}.sqlite"), agency_id)
        got = divex.open_disclosure(
            sealed.envelope(), w.key(agency_id), court_directory, now=T0 + 60, ledger=ledger
        )
        assert got.record() == record
        results = {r["analyte"]: r["result"] for r in got.record().to_dict()["results"]}
        assert results == {"fentanyl": "negative", "amphetamines": "negative"}
        assert got.sender().agency_id == "treatment-provider"
        assert got.sender().part2_program
        assert got.subject() == w.subject
        assert got.consent().id == PC1000_ID and got.consent().digest == consent.digest
        assert got.metadata().envelope_id == sealed.envelope_id()
        assert got.metadata().issued_at == T0
        assert got.metadata().notice == "part2-notice-short"
        assert got.notice().startswith("42 CFR part 2 prohibits unauthorized use")
        assert got.obligations().redisclosure == divex.Redisclosure.CJ_OFFICIAL_DUTIES_ONLY
        assert got.envelope_hash() == sealed.envelope_hash()
        assert got.signed()[:1] == b"\xd2"  # the inner COSE_Sign1 (tag 18), kept as evidence
        entry = ledger.record_received(got, T0 + 60)
        assert (entry.direction, entry.counterparty) == (
            divex.Direction.RECEIVED,
            "treatment-provider",
        )
        # The same envelope again is a replay, refused before anything is released.
        with pytest.raises(divex.EnvelopeError) as replay:
            divex.open_disclosure(
                sealed.envelope(), w.key(agency_id), court_directory, now=T0 + 120, ledger=ledger
            )
        assert replay.value.code == "replay"
        assert ledger.verify(w.key(agency_id).signing_public_key()).entries == 1

    # Probation is entitled by the consent but not among this envelope's recipients.
    with pytest.raises(divex.EnvelopeError) as not_for_me:
        divex.open_disclosure(sealed.envelope(), w.key("probation"), w.directory, now=T0)
    assert not_for_me.value.code == "not_for_me"

    # The provider's ledger: checkpoint, verify, and the participant's accounting.
    checkpoint = provider_ledger.checkpoint(provider, T0 + 3600)
    assert checkpoint.seq == 2
    report = provider_ledger.verify(provider.signing_public_key())
    assert (report.entries, report.checkpoints, report.anchored_seq) == (2, 1, 2)
    accounting = provider_ledger.accounting(w.subject, T0 - DAY, T0 + DAY)
    assert sorted(e.counterparty for e in accounting) == ["district-attorney", "superior-court"]
    assert all(e.consent_id == PC1000_ID and e.record_types == ["drug_test"] for e in accounting)
    someone_else = divex.Subject(name="Someone Else", date_of_birth="1990-01-01")
    assert provider_ledger.accounting(someone_else, 0, T0 + DAY) == []
    export = provider_ledger.export().decode().splitlines()
    assert len(export) == 1 + 2 + 1 and '"divex-ledger-export"' in export[0]

    # Someone edits the file behind divex's back: verification names the entry.
    db = sqlite3.connect(tmp_path / "provider.sqlite")
    db.execute("UPDATE entries SET counterparty = 'probation' WHERE seq = 1")
    db.commit()
    db.close()
    with pytest.raises(divex.LedgerError) as tampered:
        provider_ledger.verify(provider.signing_public_key())
    assert tampered.value.code == "tampered"
    assert str(tampered.value).startswith("ledger entry 1 fails verification")


def test_pc1000_consent_is_irrevocable_until_the_court_dismisses_the_case() -> None:
    w = World()
    signed = w.sign(w.pc1000())
    provider_consents = divex.ConsentSet()
    provider_consents.import_consent(signed, w.directory, T0)

    # The participant tries to revoke mid-programme: §2.35 makes the consent irrevocable
    # until the case's final disposition, so disclosures continue.
    revocation = w.patient.sign_consent_revocation(PC1000_ID, T0 + DAY, "written")
    rev = provider_consents.import_revocation(revocation, w.directory, T0 + DAY)
    assert rev.recorded_by is None and rev.consent_id == PC1000_ID
    progress = divex.Record.progress_report(
        period_start="2026-09-01", period_end="2026-09-30", status="compliant", goals_met=3
    )
    request = dict(
        recipients=["superior-court"],
        subject=w.subject,
        purpose=CJ_PURPOSE,
        consent_id=PC1000_ID,
    )
    divex.seal_disclosure(
        w.key("treatment-provider"),
        w.directory,
        provider_consents,
        progress,
        now=T0 + 2 * DAY,
        **request,
    )

    # The court dismisses the case after completion; the consent ends with it.
    event = w.key("superior-court").sign_case_event(
        CASE, divex.DispositionOutcome.DISMISSED, T0 + 10 * DAY
    )
    verified = divex.verify_case_event(event, w.directory, T0 + 10 * DAY)
    assert (verified.outcome, verified.signer_agency_id) == (
        divex.DispositionOutcome.DISMISSED,
        "superior-court",
    )
    provider_consents.import_event(event, w.directory, T0 + 10 * DAY)
    with pytest.raises(divex.ConsentDenied) as denied:
        divex.seal_disclosure(
            w.key("treatment-provider"),
            w.directory,
            provider_consents,
            progress,
            now=T0 + 11 * DAY,
            **request,
        )
    # The revocation made during the irrevocable period has no effect, then or later: the
    # consent ends because its event happened.
    assert denied.value.code == "expired"
    assert denied.value.recipient == "superior-court"


def test_redact_mode_removes_what_the_consent_does_not_allow() -> None:
    w = World()
    narrow = w.pc1000()
    narrow["information"] = dict(
        narrow["information"],
        fields={"drug_test": ["collected_at", "specimen", "observed", "panel", "results"]},
    )
    consents = w.held(narrow)
    record = drug_test()
    args = dict(
        recipients=["superior-court"],
        subject=w.subject,
        purpose=CJ_PURPOSE,
        consent_id=PC1000_ID,
        now=T0,
    )
    with pytest.raises(divex.ConsentDenied) as denied:
        divex.seal_disclosure(w.key("treatment-provider"), w.directory, consents, record, **args)
    assert denied.value.code == "field_not_permitted"
    assert "field confirmation" in str(denied.value)
    sealed = divex.seal_disclosure(
        w.key("treatment-provider"),
        w.directory,
        consents,
        record,
        minimum_necessary=divex.MinimumNecessary.REDACT,
        **args,
    )
    assert sealed.metadata().redacted == ["confirmation"]
    got = divex.open_disclosure(sealed.envelope(), w.key("superior-court"), w.directory, now=T0)
    assert got.metadata().redacted == ["confirmation"]
    assert got.record() == record.redact(["confirmation"])
    assert "confirmation" not in got.record().to_dict()


def test_the_senders_ledger_head_travels_signed_to_the_recipient() -> None:
    w = World()
    consents = w.held(w.pc1000())
    args = dict(
        recipients=["superior-court"],
        subject=w.subject,
        purpose=CJ_PURPOSE,
        consent_id=PC1000_ID,
        now=T0,
    )
    provider = w.key("treatment-provider")
    head = divex.LedgerHead(seq=7, hash=bytes(range(32)))
    sealed = divex.seal_disclosure(
        provider, w.directory, consents, drug_test(), ledger_head=head, **args
    )
    assert sealed.metadata().ledger_head == head
    got = divex.open_disclosure(sealed.envelope(), w.key("superior-court"), w.directory, now=T0)
    assert got.metadata().ledger_head == head
    # Without a head: profile v1, no head released.
    v1 = divex.seal_disclosure(provider, w.directory, consents, drug_test(), **args)
    got = divex.open_disclosure(v1.envelope(), w.key("superior-court"), w.directory, now=T0)
    assert got.metadata().ledger_head is None
    with pytest.raises(divex.InvalidInputError):
        divex.seal_disclosure(
            provider,
            w.directory,
            consents,
            drug_test(),
            ledger_head=divex.LedgerHead(seq=7, hash=bytes(31)),
            **args,
        )
    with pytest.raises(divex.SealError) as e:
        divex.seal_disclosure(
            provider,
            w.directory,
            consents,
            drug_test(),
            ledger_head=divex.LedgerHead(seq=2**63, hash=bytes(32)),
            **args,
        )
    assert e.value.code == "ledger_head_out_of_range"


def test_records_of_every_type_round_trip_through_json() -> None:
    assert len(divex.record_types()) == 13
    for spec in divex.record_schema(divex.RecordType.DRUG_TEST):
        assert spec.tier == divex.Tier.T2
    attendance = divex.Record.attendance(
        date="2026-09-20", service_type="group", status="present", hours_tenths=15
    )
    same = divex.Record.from_dict(
        "attendance",
        {"date": "2026-09-20", "service_type": "group", "status": "present", "hours_tenths": 15},
    )
    assert attendance == same and hash(attendance) == hash(same)
    assert divex.Record.from_bytes(divex.RecordType.ATTENDANCE, attendance.to_bytes()) == attendance
    assert repr(attendance) == str(attendance) == "Record(attendance)"
    assert attendance.record_type() == divex.RecordType.ATTENDANCE
    court_event = divex.Record.from_dict(
        "court_event",
        {"case_ref": CASE, "date": "2026-09-22", "event": "hearing", "conditions": None},
    )
    assert court_event.to_dict() == {"case_ref": CASE, "date": "2026-09-22", "event": "hearing"}
    assert [f.name for f in court_event.fields()] == ["case_ref", "date", "event"]


def test_every_record_type_has_a_typed_class_and_a_constructor() -> None:
    # Generated from the library's record catalogue: nothing in the package names the types.
    for record_type in divex.record_types():
        token = record_type.name.lower()
        # The constructor is named after the type's token, as JSON and envelopes write it.
        assert divex.parse_record_type(token) == record_type
        constructor = getattr(divex.Record, token)
        assert constructor.__name__ == token and "keyword arguments" in constructor.__doc__
    event = divex.Record.court_event(
        case_ref=CASE, date=datetime.date(2026, 9, 22), event="hearing", conditions=()
    )
    assert event == divex.Record.from_dict(
        "court_event", {"case_ref": CASE, "date": "2026-09-22", "event": "hearing"}
    )
    typed = event.typed().record
    assert isinstance(typed, divex.CourtEvent)
    assert (typed.case_ref, typed.date, typed.conditions) == (CASE, "2026-09-22", None)
    # The typed classes print their type only: records are protected health information.
    assert CASE not in str(typed) and str(typed) == "CourtEvent(..)"
    assert divex.Record.of(typed) == event
    assert divex.Record.of(divex.TypedRecord.COURT_EVENT(record=typed)) == event
    clinical = divex.Record.clinical_detail(diagnoses=["F11.20"], moud="buprenorphine")
    assert clinical.to_dict() == {"diagnoses": ["F11.20"], "moud": "buprenorphine"}
    missed = divex.Record.drug_test(
        collected_at=T0, specimen="urine", observed=False, panel="5-panel", program_outcome="missed"
    )
    assert missed.typed().record.results == []
    disposition = divex.Record.case_disposition(
        case_ref=CASE, date="2026-10-15", disposition="dismissed", is_final=True
    )
    assert disposition.to_dict()["final"] is True
    with pytest.raises(divex.RecordError) as e:
        divex.Record.court_event(case_ref=CASE, date="2026-09-22", event="party")
    assert e.value.code == "invalid_value"
    assert str(e.value) == (
        "field `event` of the court_event record is invalid: expected a court event: one of "
        "hearing appearance diversion_granted diversion_terminated conditions_set"
    )
    with pytest.raises(TypeError):
        divex.Record.court_event(case_ref=CASE, date="2026-09-22", event="hearing", mood="ok")
    kinds = [f.kind for f in divex.record_schema(divex.RecordType.DRUG_TEST)]
    assert kinds[:2] == [divex.FieldKind.TIMESTAMP, divex.FieldKind.VOCABULARY]

def test_keystores_for_every_kind_of_key() -> None:
    fast = divex.KdfProfile.FAST
    anchor = divex.AnchorKeys.generate("County Justice IT")
    again = divex.AnchorKeys.from_keystore(anchor.export_keystore("pw", profile=fast), "pw")
    assert again.trust_anchor() == anchor.trust_anchor() and again.name() == "County Justice IT"
    person = divex.PersonalKey.generate()
    ks = person.export_keystore("patient", "pw", profile=fast)
    assert divex.keystore_info(ks).public_key == person.public_key()
    assert divex.PersonalKey.from_keystore(ks, "pw").public_key() == person.public_key()
    with pytest.raises(divex.KeystoreError) as wrong_kind:
        divex.AgencyKeys.from_keystore(ks, "pw")
    assert wrong_kind.value.code == "wrong_kind"
    # Secrets never print.
    keys = divex.AgencyKeys.generate()
    assert "secret" not in repr(keys).lower() and keys.signing_key_id().hex() in repr(keys)
    # Nor do a participant's name and date of birth.
    subject = divex.Subject(name="Jordan Avery Reyes", date_of_birth="1994-03-14")
    assert repr(subject) == str(subject) == "Subject(..)"


def test_signed_directory_snapshots_are_numbered_and_expire() -> None:
    w = World()
    first = w.anchor.publish_snapshot(w.directory, 1, T0, T0 + 7 * DAY)
    second = w.anchor.publish_snapshot(w.directory, 2, T0 + 60, T0 + 7 * DAY)
    d = divex.Directory()
    d.add_anchor(w.anchor.trust_anchor())
    d.merge(second)
    (snapshot,) = d.snapshots()
    assert (snapshot.anchor_key_id, snapshot.sequence) == (w.anchor.key_id(), 2)
    # An older snapshot is stale; a different one with the same number is refused too.
    with pytest.raises(divex.DirectoryError) as e:
        d.merge(first)
    assert e.value.code == "stale_bundle"
    with pytest.raises(divex.DirectoryError) as e:
        d.merge(w.anchor.publish_snapshot(w.directory, 2, T0 + 120, T0 + 7 * DAY))
    assert e.value.code == "sequence_reused"
    # Fresh until it expires.
    d.check_fresh(w.anchor.key_id(), T0 + DAY)
    with pytest.raises(divex.DirectoryError) as e:
        d.check_fresh(w.anchor.key_id(), T0 + 7 * DAY)
    assert e.value.code == "bundle_expired"
