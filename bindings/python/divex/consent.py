"""Consents (42 CFR Part 2), their revocations, case events, and the consent set an agency
holds (spec/consent.md).

A consent directive is described as a mapping with exactly the fields of the signed directive
(spec/consent.md): times in Unix seconds, parties ``{"agency": "superior-court"}`` or
``{"role": "probation"}``, enum values as their snake_case tokens, and the two byte fields (a
signer's ``key``, ``source_document.sha256``) as ``bytes`` (or hex text). An unknown or
misspelt field is refused, not dropped. See ``examples/python/drug_test_to_court.py``.
"""

from __future__ import annotations

import dataclasses
import json
import typing

from . import _ffi
from ._util import Timestamp, seconds, to_json
from .directory import Directory
from .errors import _call
from .keys import AgencyKeys, PersonalKey

ConsentRevocationInfo = _ffi.ConsentRevocationInfo
"""A verified consent revocation: ``consent_id``, ``revoked_at``, ``method``, ``recorded_by``
(``None`` when signed by a key that speaks for the patient), ``consent_digest``."""

CaseEventInfo = _ffi.CaseEventInfo
"""A verified case event: ``case_ref``, ``outcome``, ``effective_at``, ``signer_agency_id``."""

__all__ = [
    "ConsentInfo",
    "ConsentRevocationInfo",
    "CaseEventInfo",
    "ConsentSet",
    "sign_consent",
    "verify_consent",
    "verify_consent_revocation",
    "verify_case_event",
]


@dataclasses.dataclass(frozen=True)
class ConsentInfo:
    """A verified consent."""

    consent: bytes = dataclasses.field(repr=False)
    """The exact signed bytes (the copy attached to disclosures)."""
    id: str
    """The consent id."""
    version: int
    """Its version."""
    regime: str
    """``part2_2_31``, ``part2_2_35``, ``part2_counseling_notes``, ``hipaa`` or ``state_only``."""
    digest: bytes
    """SHA-256 of the signed bytes (the reference envelopes carry)."""
    directive: dict[str, typing.Any] = dataclasses.field(repr=False)
    """The directive, in the shape :func:`sign_consent` takes (bytes as hex text)."""

    @classmethod
    def _from(cls, info: _ffi.ConsentInfo) -> ConsentInfo:
        return cls(
            consent=info.consent,
            id=info.id,
            version=info.version,
            regime=info.regime,
            digest=info.digest,
            directive=json.loads(info.directive_json),
        )


def sign_consent(
    directive: typing.Mapping[str, typing.Any] | str,
    *,
    agencies: typing.Iterable[AgencyKeys] = (),
    people: typing.Iterable[PersonalKey] = (),
) -> bytes:
    """Validates a consent directive and signs it; returns the signed consent.

    Every signer with a ``key`` signs with the matching key among ``agencies`` (the
    witnessing agency) and ``people`` (the participant, a parent, a representative); wet-ink
    signers need none.

    Raises:
        ConsentError: a required element is missing (``deficient``) or a signer's key was not
            given (``missing_signer_key``).
        InvalidInputError: the description does not match the directive's schema.
    """
    return _call(
        _ffi.sign_consent,
        to_json(directive),
        [a._inner for a in agencies],
        [p._inner for p in people],
    )


def verify_consent(
    consent: bytes, directory: Directory, now: Timestamp | None = None
) -> ConsentInfo:
    """Verifies a signed consent: signatures, the witness's certificate, required elements."""
    return ConsentInfo._from(
        _call(_ffi.verify_consent, bytes(consent), directory._inner, seconds(now))
    )


def verify_consent_revocation(
    revocation: bytes, consent: bytes, directory: Directory, now: Timestamp | None = None
) -> ConsentRevocationInfo:
    """Verifies a consent revocation against the signed consent it names."""
    return _call(
        _ffi.verify_consent_revocation,
        bytes(revocation),
        bytes(consent),
        directory._inner,
        seconds(now),
    )


def verify_case_event(
    event: bytes, directory: Directory, now: Timestamp | None = None
) -> CaseEventInfo:
    """Verifies a case event (signed by a certified court or prosecutor)."""
    return _call(_ffi.verify_case_event, bytes(event), directory._inner, seconds(now))


class ConsentSet:
    """The verified consents, revocations and case events an agency holds: what the consent
    engine reasons over when sealing and opening. Safe to share between threads."""

    __slots__ = ("_inner",)

    def __init__(self) -> None:
        """An empty set."""
        self._inner = _ffi.ConsentSet()

    def import_consent(
        self, consent: bytes, directory: Directory, now: Timestamp | None = None
    ) -> ConsentInfo:
        """Verifies and adds a signed consent (idempotent for the same bytes)."""
        return ConsentInfo._from(
            _call(self._inner.import_consent, bytes(consent), directory._inner, seconds(now))
        )

    def import_revocation(
        self, revocation: bytes, directory: Directory, now: Timestamp | None = None
    ) -> ConsentRevocationInfo:
        """Verifies a revocation against the held consent it names and adds it. Whether it
        takes effect is the engine's decision (a §2.35 consent is irrevocable until the
        case's disposition)."""
        return _call(
            self._inner.import_revocation, bytes(revocation), directory._inner, seconds(now)
        )

    def import_event(
        self, event: bytes, directory: Directory, now: Timestamp | None = None
    ) -> CaseEventInfo:
        """Verifies and adds a case event (e.g. the court's dismissal after PC 1000)."""
        return _call(self._inner.import_event, bytes(event), directory._inner, seconds(now))

    def get(self, consent_id: str) -> ConsentInfo | None:
        """The consent with this id, if held."""
        info = self._inner.get(consent_id)
        return ConsentInfo._from(info) if info is not None else None

    def __contains__(self, consent_id: object) -> bool:
        return isinstance(consent_id, str) and self._inner.get(consent_id) is not None

    @property
    def consents(self) -> list[ConsentInfo]:
        """Every consent held."""
        return [ConsentInfo._from(c) for c in self._inner.consents()]

    @property
    def revocations(self) -> list[ConsentRevocationInfo]:
        """Every revocation held."""
        return self._inner.revocations()

    @property
    def events(self) -> list[CaseEventInfo]:
        """Every case event held."""
        return self._inner.events()

    def __len__(self) -> int:
        return len(self._inner.consents())

    def __repr__(self) -> str:
        return (
            f"ConsentSet(consents={len(self)}, revocations={len(self.revocations)}, "
            f"events={len(self.events)})"
        )
