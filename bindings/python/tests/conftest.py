"""The one world helper of the Python suite (and of ``bench/bench_python.py``): a county's trust
anchor, certified agencies, a participant, and the PC 1000 §2.35 and LEAD §2.31 consents of the
diversion story — the world of the Rust fixtures (``crates/divex-fixtures``: ``World`` and
``ConsentBuilder::pc1000`` / ``ConsentBuilder::lead``)."""

from __future__ import annotations

import os
import pathlib
import typing

import pytest

import divex

DAY = 86_400
T0 = 1_790_000_000  # 2026-09-21
CASE = "CR-2026-001234"
CJ_PURPOSE = "cj-monitor-conditional-release"
LEAD_PURPOSE = "lead-care-coordination"
PC1000_ID = "c-pc1000-0001"
LEAD_ID = "c-lead-0007"

AGENCIES = [
    ("superior-court", divex.Role.COURT, False),
    ("district-attorney", divex.Role.PROSECUTOR, False),
    ("probation", divex.Role.PROBATION, False),
    ("treatment-provider", divex.Role.TREATMENT_PROVIDER, True),
    ("police-lead-unit", divex.Role.POLICE, False),
    ("lead-case-manager", divex.Role.LEAD_CASE_MANAGER, False),
]

REPO = pathlib.Path(__file__).resolve().parents[3]
SPEC_VECTORS = REPO / "spec" / "vectors"


def shared_vectors() -> pathlib.Path | None:
    """The shared third-party vectors (../shared/vectors or $DIVEX_SHARED_VECTORS)."""
    env = os.environ.get("DIVEX_SHARED_VECTORS")
    path = pathlib.Path(env) if env else REPO.parent / "shared" / "vectors"
    return path if path.is_dir() else None


class World:
    """Certified agencies, a directory every agency holds, and the people who sign."""

    def __init__(self, secrets: typing.Mapping[str, bytes] | None = None) -> None:
        """``secrets``: raw agency secrets for agencies whose keys a test must know (interop
        tests only: python-cwt needs the recipient's X25519 private key)."""
        secrets = secrets or {}
        self.anchor = divex.AnchorKeys.generate("County Justice IT")
        self.directory = divex.Directory()
        self.directory.add_anchor(self.anchor.trust_anchor())
        self.keys: dict[str, divex.AgencyKeys] = {}
        self.certificates: dict[str, bytes] = {}
        for agency_id, role, part2 in AGENCIES:
            keys = (
                divex.AgencyKeys.from_secret_bytes_test_vectors_only(secrets[agency_id])
                if agency_id in secrets
                else divex.AgencyKeys.generate()
            )
            cert = self.anchor.issue_certificate(
                divex.CertificateRequest(
                    agency_id=agency_id,
                    name=agency_id.replace("-", " ").title(),
                    roles=[role],
                    part2_program=part2,
                    public_bundle=keys.public_bundle(),
                    not_before=T0 - 365 * DAY,
                    not_after=T0 + 3 * 365 * DAY,
                )
            )
            self.directory.add_certificate(cert)
            self.keys[agency_id] = keys
            self.certificates[agency_id] = cert
        self.patient = divex.PersonalKey.generate()
        self.subject = divex.Subject(name="Jordan Avery Reyes", date_of_birth="1994-03-14")

    def key(self, agency_id: str) -> divex.AgencyKeys:
        return self.keys[agency_id]

    def witness(self, agency_id: str) -> dict[str, typing.Any]:
        return {
            "capacity": "witnessing_agency",
            "name": agency_id.replace("-", " "),
            "method": "electronic",
            "key": self.key(agency_id).signing_public_key(),
            "agency_id": agency_id,
        }

    def patient_signer(self) -> dict[str, typing.Any]:
        return {
            "capacity": "patient",
            "name": self.subject.name,
            "method": "electronic",
            "key": self.patient.public_key(),
        }

    def pc1000(self, **changes: typing.Any) -> dict[str, typing.Any]:
        """The PC 1000 §2.35 consent: provider → court, DA, probation; irrevocable until the
        case's final disposition."""
        d: dict[str, typing.Any] = {
            "id": PC1000_ID,
            "version": 1,
            "regime": "part2_2_35",
            "regulatory_basis": ["42CFRPart2", "CA-PC-1000"],
            "subject": {"name": self.subject.name, "date_of_birth": self.subject.date_of_birth},
            "disclosers": [{"agency": "treatment-provider"}],
            "recipients": [
                {"agency": "superior-court"},
                {"agency": "district-attorney"},
                {"role": "probation"},
            ],
            "purposes": [CJ_PURPOSE],
            "information": {
                "record_types": [
                    "intake_status",
                    "enrollment",
                    "attendance",
                    "drug_test",
                    "progress_report",
                    "discharge",
                ],
                "tiers": ["t1", "t2"],
                "description": "Attendance, drug test results and progress in the PC 1000 program",
            },
            "effective": T0 - 30 * DAY,
            "expiry": {"date": T0 + 540 * DAY, "event": {"case_ref": CASE}},
            "revocation": {"revocable_after": {"event": {"case_ref": CASE}}},
            "redisclosure": "cj_official_duties_only",
            "notice": {"form": "short", "attach_consent": True},
            "case": {"case_ref": CASE, "authority": "superior-court"},
            "signers": [self.patient_signer(), self.witness("treatment-provider")],
            "signed_at": T0 - 30 * DAY,
        }
        d.update(changes)
        return d

    def lead(self) -> dict[str, typing.Any]:
        """The LEAD §2.31 consent: case manager → police LEAD unit, revocable at will."""
        return {
            "id": LEAD_ID,
            "version": 1,
            "regime": "part2_2_31",
            "regulatory_basis": ["42CFRPart2"],
            "subject": {"name": self.subject.name, "date_of_birth": self.subject.date_of_birth},
            "disclosers": [{"agency": "lead-case-manager"}],
            "recipients": [{"agency": "police-lead-unit"}],
            "purposes": [LEAD_PURPOSE],
            "information": {
                "record_types": ["lead_status"],
                "tiers": ["t1", "lead"],
                "description": "Engagement with the LEAD case manager and barriers",
            },
            "effective": T0 - 10 * DAY,
            "expiry": {"date": T0 + 365 * DAY},
            "revocation": "at_will",
            "redisclosure": "prohibited",
            "use_restrictions": ["no_adverse_action"],
            "notice": {"form": "short", "attach_consent": True},
            "signers": [self.patient_signer(), self.witness("lead-case-manager")],
            "signed_at": T0 - 10 * DAY,
        }

    def sign(self, directive: typing.Mapping[str, typing.Any]) -> bytes:
        return divex.sign_consent(directive, agencies=self.keys.values(), people=[self.patient])

    def held(self, *directives: typing.Mapping[str, typing.Any]) -> divex.ConsentSet:
        consents = divex.ConsentSet()
        for d in directives:
            consents.import_consent(self.sign(d), self.directory, now=T0)
        return consents


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def drug_test() -> divex.Record:
    return divex.Record.drug_test(
        collected_at=T0 - DAY,
        specimen="urine",
        observed=True,
        panel="10-panel",
        results={"fentanyl": "negative", "amphetamines": "negative"},
        confirmation="not_required",
    )
