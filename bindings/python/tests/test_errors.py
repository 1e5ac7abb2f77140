"""Every failure class arrives as its own exception class, carrying the core's stable code and
the core's own message; a Rust panic arrives as InternalError and the interpreter carries on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import divex
from conftest import CJ_PURPOSE, DAY, LEAD_ID, LEAD_PURPOSE, PC1000_ID, T0, World, drug_test


@pytest.fixture(scope="module")
def sealed(world: World) -> divex.SealedDisclosure:
    return divex.seal_disclosure(
        world.key("treatment-provider"),
        world.directory,
        world.held(world.pc1000()),
        drug_test(),
        recipients=["superior-court"],
        subject=world.subject,
        purpose=CJ_PURPOSE,
        consent_id=PC1000_ID,
        now=T0,
    )


def test_every_category_is_a_generated_divex_error_with_an_idiomatic_name() -> None:
    categories = set(divex._ffi.DivexError.__subclasses__())
    aliased = {
        getattr(divex, name)
        for name in divex.errors.__all__
        if name not in {"DivexError", "InternalError"}
    }
    # One alias for every generated category class, and nothing else.
    assert aliased == categories
    assert divex.DivexError is divex._ffi.DivexError
    # A panic is a bug, not a failure class a caller acts on.
    assert not issubclass(divex.InternalError, divex.DivexError)
    # A refused argument is also a ValueError, for generic handlers.
    assert issubclass(divex.InvalidInputError, ValueError)
    e = divex.EnvelopeError(code="not_for_me", detail="this envelope is not addressed to me")
    assert str(e) == e.message == e.detail == "this envelope is not addressed to me"
    assert repr(e) == (
        "EnvelopeError(code='not_for_me', detail='this envelope is not addressed to me')"
    )


def test_envelope_errors(world: World, sealed: divex.SealedDisclosure) -> None:
    probation = world.key("probation")
    with pytest.raises(divex.EnvelopeError) as e:
        divex.open_disclosure(sealed.envelope(), probation, world.directory, now=T0)
    assert type(e.value) is divex.EnvelopeError and e.value.code == "not_for_me"
    assert str(e.value) == (
        "this envelope is not addressed to this agency's key "
        f"(key id {probation.encryption_key_id().hex()})"
    )
    altered = bytearray(sealed.envelope())
    altered[-20] ^= 1  # inside the last recipient's wrapped key or the ciphertext
    with pytest.raises(divex.EnvelopeError) as e:
        divex.open_disclosure(bytes(altered), world.key("superior-court"), world.directory, now=T0)
    assert e.value.code in {"key_unwrap", "decrypt"}
    with pytest.raises(divex.EnvelopeError) as e:
        divex.open_disclosure(
            sealed.envelope() + b"\x00", world.key("superior-court"), world.directory, now=T0
        )
    assert e.value.code == "malformed"
    assert str(e.value).startswith("the encryption layer is not valid divex CBOR")
    # Four years on, every certificate in this world has expired.
    with pytest.raises(divex.EnvelopeError) as e:
        divex.open_disclosure(
            sealed.envelope(), world.key("superior-court"), world.directory, now=T0 + 4 * 365 * DAY
        )
    assert e.value.code == "untrusted_sender"


def test_replay(world: World, sealed: divex.SealedDisclosure, tmp_path) -> None:
    ledger = divex.Ledger.open(str(tmp_path / "court.sqlite"), "superior-court")
    court = world.key("superior-court")
    ledger.record_received(
        divex.open_disclosure(sealed.envelope(), court, world.directory, now=T0, ledger=ledger), T0
    )
    with pytest.raises(divex.EnvelopeError) as e:
        divex.open_disclosure(sealed.envelope(), court, world.directory, now=T0, ledger=ledger)
    assert e.value.code == "replay"
    assert (
        str(e.value)
        == f"envelope {sealed.envelope_id().hex()} was already received; this is a replay"
    )
    with pytest.raises(divex.LedgerError) as e:
        ledger.record_received(
            divex.open_disclosure(sealed.envelope(), court, world.directory, now=T0), T0
        )
    assert e.value.code == "replay"


def test_seal_errors(world: World) -> None:
    consents = world.held(world.pc1000())
    base = dict(subject=world.subject, consent_id=PC1000_ID, now=T0)
    with pytest.raises(divex.SealError) as e:
        divex.seal_disclosure(
            world.key("treatment-provider"),
            world.directory,
            consents,
            drug_test(),
            recipients=[],
            purpose=CJ_PURPOSE,
            **base,
        )
    assert type(e.value) is divex.SealError and e.value.code == "no_recipients"
    assert str(e.value) == "an envelope needs at least one recipient"
    with pytest.raises(divex.SealError) as e:
        divex.seal_disclosure(
            world.key("treatment-provider"),
            world.directory,
            consents,
            drug_test(),
            recipients=["superior-court", "superior-court"],
            purpose=CJ_PURPOSE,
            **base,
        )
    assert e.value.code == "duplicate_recipient"
    kid = world.key("superior-court").encryption_key_id().hex()
    assert str(e.value) == f"recipient {kid} is listed twice"
    # Open vocabularies (a purpose of use) and dates are checked by the library's own
    # constructors as the call lifts its arguments: the core's class, before anything is sealed.
    with pytest.raises(divex.InvalidInputError) as e:
        divex.seal_disclosure(
            world.key("treatment-provider"),
            world.directory,
            consents,
            drug_test(),
            recipients=["superior-court"],
            purpose="two words",
            **base,
        )
    assert e.value.code == "invalid_token"
    assert str(e.value).startswith("a purpose of use must be a token")
    with pytest.raises(divex.InvalidInputError) as e:
        divex.seal_disclosure(
            world.key("treatment-provider"),
            world.directory,
            consents,
            drug_test(),
            recipients=["superior-court"],
            purpose=CJ_PURPOSE,
            subject=divex.Subject(name="Jordan Avery Reyes", date_of_birth="1994-02-30"),
            consent_id=PC1000_ID,
            now=T0,
        )
    assert e.value.code == "invalid_date"


def test_consent_denied(world: World) -> None:
    consents = world.held(world.pc1000())
    clinical = divex.Record.from_dict("clinical_detail", {"diagnoses": ["F11.20"]})
    with pytest.raises(divex.ConsentDenied) as e:
        divex.seal_disclosure(
            world.key("treatment-provider"),
            world.directory,
            consents,
            clinical,
            recipients=["superior-court"],
            subject=world.subject,
            purpose=CJ_PURPOSE,
            consent_id=PC1000_ID,
            now=T0,
        )
    assert e.value.code == "record_type_not_permitted" and e.value.recipient == "superior-court"
    assert str(e.value) == (
        f"disclosure to superior-court refused: record type clinical_detail is not permitted by consent {PC1000_ID}"
    )
    # A LEAD consent is revocable at will: after the participant revokes, no new disclosure.
    lead = world.held(world.lead())
    lead.import_revocation(
        world.patient.sign_consent_revocation(LEAD_ID, T0 + DAY, "written"),
        world.directory,
        T0 + DAY,
    )
    status = divex.Record.from_dict("lead_status", {"status": "engaged", "contacts": 3})
    with pytest.raises(divex.ConsentDenied) as e:
        divex.seal_disclosure(
            world.key("lead-case-manager"),
            world.directory,
            lead,
            status,
            recipients=["police-lead-unit"],
            subject=world.subject,
            purpose=LEAD_PURPOSE,
            consent_id=LEAD_ID,
            now=T0 + 2 * DAY,
        )
    assert e.value.code == "revoked"
    assert (
        str(e.value)
        == f"disclosure to police-lead-unit refused: consent {LEAD_ID} was revoked by the participant"
    )


def test_consent_errors(world: World) -> None:
    deficient = world.pc1000(expiry={})
    with pytest.raises(divex.ConsentError) as e:
        world.sign(deficient)
    assert e.value.code == "deficient"
    assert str(e.value).startswith("the consent is deficient: expiration")
    with pytest.raises(divex.ConsentError) as e:
        divex.sign_consent(world.pc1000(), agencies=[world.key("treatment-provider")])
    assert e.value.code == "missing_signer_key"
    assert str(e.value) == "no key was supplied for the Patient signer"
    signed = bytearray(world.sign(world.pc1000()))
    signed[-1] ^= 1  # the last signature byte
    with pytest.raises(divex.ConsentError) as e:
        divex.verify_consent(bytes(signed), world.directory, T0)
    assert e.value.code == "bad_signature"
    with pytest.raises(divex.InvalidInputError) as e:
        world.sign(world.pc1000(colour="blue"))
    assert e.value.code == "json" and "consent schema" in str(e.value)


def test_disclosure_errors(world: World) -> None:
    consents = world.held(world.pc1000())
    with pytest.raises(divex.DisclosureError) as e:
        divex.seal_disclosure(
            world.key("treatment-provider"),
            world.directory,
            consents,
            drug_test(),
            recipients=["superior-court"],
            subject=world.subject,
            purpose=CJ_PURPOSE,
            consent_id=PC1000_ID,
            consent_copy=divex.ConsentCopy.REFERENCE,
            now=T0,
        )
    assert e.value.code == "copy_required"
    assert str(e.value) == f"consent {PC1000_ID} requires its copy to travel with every disclosure"


def test_record_errors() -> None:
    with pytest.raises(divex.RecordError) as e:
        divex.Record.from_dict(
            "attendance", {"date": "2026-09-20", "service_type": "group", "status": "sleeping"}
        )
    assert e.value.code == "invalid_value"
    assert str(e.value) == (
        "field `status` of the attendance record is invalid: expected an attendance status: "
        "one of present absent late excused"
    )
    with pytest.raises(divex.RecordError) as e:
        divex.Record.attendance(
            date="2026-09-20", service_type="group", status="present", hours_tenths=9999
        )
    assert e.value.code == "invalid_value"
    with pytest.raises(divex.RecordError) as e:
        divex.Record.from_dict(
            "attendance",
            {"date": "2026-09-20", "service_type": "group", "status": "present", "mood": "fine"},
        )
    assert (e.value.code, str(e.value)) == (
        "unknown_field",
        "the attendance record has no field `mood`",
    )


def test_directory_errors(world: World) -> None:
    with pytest.raises(divex.DirectoryError) as e:
        world.directory.current_certificate("county-jail", T0)
    assert (e.value.code, str(e.value)) == (
        "unknown_agency",
        "agency 'county-jail' is not in the directory",
    )
    stranger = divex.AnchorKeys.generate("Another County")
    cert = stranger.issue_certificate(
        divex.CertificateRequest(
            agency_id="rogue-court",
            name="Rogue Court",
            roles=[divex.Role.COURT],
            public_bundle=divex.AgencyKeys.generate().public_bundle(),
            not_before=T0 - DAY,
            not_after=T0 + DAY,
        )
    )
    with pytest.raises(divex.DirectoryError) as e:
        world.directory.add_certificate(cert)
    assert e.value.code == "unknown_anchor"
    # Roles are an enum: a role the library does not know cannot even be asked for.
    with pytest.raises(ValueError):
        world.anchor.issue_certificate(
            divex.CertificateRequest(
                agency_id="x",
                name="X",
                roles=["judge"],
                public_bundle=divex.AgencyKeys.generate().public_bundle(),
                not_before=T0,
                not_after=T0 + DAY,
            )
        )


def test_key_errors() -> None:
    with pytest.raises(divex.InvalidKeyError) as e:
        divex.hpke_encrypt(bytes(32), b"hello")  # the all-zero X25519 point
    assert (e.value.code, str(e.value)) == (
        "low_order_encryption_key",
        "the X25519 public key is a low-order point (non-contributory)",
    )
    with pytest.raises(divex.InvalidKeyError) as e:
        divex.public_bundle_info(b"\xa0")
    assert e.value.code == "malformed_bundle"


def test_ledger_errors(tmp_path) -> None:
    divex.Ledger.open(str(tmp_path / "l.sqlite"), "superior-court")
    with pytest.raises(divex.LedgerError) as e:
        divex.Ledger.open(str(tmp_path / "l.sqlite"), "probation")
    assert e.value.code == "wrong_agency"
    assert (
        str(e.value)
        == "the ledger belongs to agency superior-court, not probation; open probation's own ledger"
    )
    (tmp_path / "notes.txt").write_text("not a database, just some text that is long enough" * 20)
    with pytest.raises(divex.LedgerError) as e:
        divex.Ledger.open(str(tmp_path / "notes.txt"), "probation")
    assert e.value.code == "not_a_ledger"


def test_keystore_errors() -> None:
    keys = divex.AgencyKeys.generate()
    ks = keys.export_keystore("probation", "right", profile=divex.KdfProfile.FAST)
    with pytest.raises(divex.KeystoreError) as e:
        divex.AgencyKeys.from_keystore(ks, "wrong")
    assert (e.value.code, str(e.value)) == (
        "wrong_passphrase",
        "the passphrase does not open the keystore",
    )
    with pytest.raises(divex.KeystoreError) as e:
        divex.AgencyKeys.from_keystore(ks[:-1], "right")
    assert type(e.value) is divex.KeystoreError and e.value.code == "corrupted"


def test_invalid_input() -> None:
    with pytest.raises(divex.InvalidInputError) as e:
        divex.Record.from_json(divex.RecordType.DRUG_TEST, "{not json")
    assert e.value.code == "json"
    with pytest.raises(divex.InvalidInputError) as e:
        divex.Record.from_dict("pizza_order", {})
    assert e.value.code == "unknown_record_type"
    assert str(e.value).startswith("unknown record type; expected one of referral, ")
    with pytest.raises(divex.InvalidInputError) as e:
        divex.Record.from_dict(
            "attendance",
            {
                "date": "2026-09-20",
                "service_type": "group",
                "status": "present",
                "hours_tenths": 1.5,
            },
        )
    assert (
        str(e.value)
        == "at $.hours_tenths: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
    )
    with pytest.raises(divex.InvalidInputError) as e:
        divex.AgencyKeys.from_secret_bytes_test_vectors_only(b"short")
    assert (e.value.code, str(e.value)) == ("length", "agency secret must be 64 bytes, got 5")
    with pytest.raises(ValueError) as e:  # also a ValueError, for generic handlers
        divex.AnchorKeys.generate("x").revoke_certificate(b"\x01", T0, "superseded")
    assert isinstance(e.value, divex.InvalidInputError) and e.value.code == "length"


def test_a_panic_is_an_exception_and_the_interpreter_carries_on() -> None:
    with pytest.raises(divex.InternalError) as e:
        divex._ffi.panic_for_binding_tests("on purpose")
    assert "deliberate panic for the binding tests: on purpose" in str(e.value)
    # The library is still fully usable afterwards...
    keys = divex.AgencyKeys.generate()
    assert len(keys.public_bundle()) > 64
    # ...and a process that panics many times exits normally.
    script = (
        "import divex\n"
        "for i in range(50):\n"
        "    try:\n"
        "        divex._ffi.panic_for_binding_tests(str(i))\n"
        "    except divex.InternalError:\n"
        "        pass\n"
        "print('survived')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "survived"


def test_untrusted_bytes_never_crash(world: World, sealed: divex.SealedDisclosure) -> None:
    """Garbage and truncations of real objects into every parser: only DivexErrors."""
    import random

    rng = random.Random(1234)
    court = world.key("superior-court")
    envelope = sealed.envelope()
    samples = [envelope[:n] for n in range(0, len(envelope), 37)]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(200))) for _ in range(200)]
    parsers = [
        lambda b: divex.open_disclosure(b, court, world.directory, now=T0),
        lambda b: divex.Directory.from_bytes(b),
        lambda b: divex.verify_consent(b, world.directory, T0),
        lambda b: divex.certificate_info(b),
        lambda b: divex.keystore_info(b),
        lambda b: divex.Record.from_bytes(divex.RecordType.DRUG_TEST, b),
        lambda b: divex.hpke_decrypt(b, court.encryption_key_pair(), court.encryption_key_id()),
        lambda b: divex.public_bundle_info(b),
    ]
    for b in samples:
        for parse in parsers:
            try:
                parse(b)
            except divex.InternalError:  # pragma: no cover - a panic is a bug
                raise
            except divex.DivexError:
                pass
