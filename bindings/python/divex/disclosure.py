"""Consent-scoped disclosures: seal a record to named agencies when the consent engine permits
it for every one of them, and open one, releasing the record only when every envelope check
and the consent re-evaluation pass (spec/envelope.md §7, spec/consent.md §8)."""

from __future__ import annotations

import dataclasses
import typing

from . import _ffi
from ._util import DateLike, Timestamp, date_text, seconds
from .consent import ConsentInfo, ConsentSet
from .directory import Directory
from .errors import _call
from .keys import AgencyKeys
from .records import Record

if typing.TYPE_CHECKING:
    from .ledger import Ledger

MinimumNecessary = _ffi.MinimumNecessary
"""What to do with fields the consent does not permit: ``REFUSE`` (default) or ``REDACT``."""

ConsentCopy = _ffi.ConsentCopy
"""Whether the signed consent travels with the record: ``ATTACH`` (default) or
``REFERENCE`` (the recipients already hold it, and the consent allows it)."""

EnvelopeMetadata = _ffi.EnvelopeMetadata
"""An envelope's signed metadata: ``envelope_id``, ``issued_at``, ``audience``, ``purpose``,
``consent_id``, ``consent_digest``, ``record_type``, ``labels``, ``notice`` (code),
``redacted``."""

AgencyFactsInfo = _ffi.AgencyFactsInfo
"""What the directory certifies about an agency: ``agency_id``, ``roles``,
``part2_program``."""

Obligations = _ffi.Obligations
"""What the recipient must do with a released record: ``notice`` (code), ``attach_consent``,
``labels``, ``redisclosure``, ``use_restrictions``."""

__all__ = [
    "Subject",
    "MinimumNecessary",
    "ConsentCopy",
    "EnvelopeMetadata",
    "AgencyFactsInfo",
    "Obligations",
    "SealedDisclosure",
    "ReceivedDisclosure",
    "OpenedEnvelope",
    "seal_disclosure",
    "open_disclosure",
    "open_envelope",
]


@dataclasses.dataclass(frozen=True)
class Subject:
    """The participant a disclosure is about. Its ``repr`` hides the name and date of birth
    (protected health information)."""

    name: str
    date_of_birth: str
    """``YYYY-MM-DD`` (a :class:`datetime.date` is accepted and converted)."""

    def __init__(self, name: str, date_of_birth: DateLike) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "date_of_birth", date_text(date_of_birth))

    def _lower(self) -> _ffi.Subject:
        return _ffi.Subject(name=self.name, date_of_birth=self.date_of_birth)

    @classmethod
    def _from(cls, s: _ffi.Subject) -> Subject:
        return cls(s.name, s.date_of_birth)

    def __repr__(self) -> str:
        return "Subject(<redacted>)"


class SealedDisclosure:
    """A sealed disclosure: the envelope to send (one for every recipient), and what the
    sender's ledger records (:meth:`divex.Ledger.record_sent`)."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.SealedDisclosure) -> None:
        self._inner = inner

    @property
    def envelope(self) -> bytes:
        """The envelope bytes to deliver to every recipient."""
        return self._inner.envelope()

    @property
    def envelope_id(self) -> bytes:
        """The 16-byte envelope id."""
        return self._inner.envelope_id()

    @property
    def envelope_hash(self) -> bytes:
        """SHA-256 of the envelope."""
        return self._inner.envelope_hash()

    @property
    def recipients(self) -> list[str]:
        """The recipients, each with a permit."""
        return self._inner.recipients()

    @property
    def labels(self) -> list[str]:
        """Security labels carried (e.g. ``42CFRPart2``, ``no-criminal-use``)."""
        return self._inner.labels()

    @property
    def redacted(self) -> list[str]:
        """Fields removed under minimum necessary."""
        return self._inner.redacted()

    @property
    def consent_id(self) -> str:
        """The consent relied on."""
        return self._inner.consent_id()

    @property
    def purpose(self) -> str:
        """The purpose of use."""
        return self._inner.purpose()

    @property
    def record_type(self) -> str:
        """The record type."""
        return self._inner.record_type()

    @property
    def subject(self) -> Subject:
        """The participant."""
        return Subject._from(self._inner.subject())

    def __repr__(self) -> str:
        return (
            f"SealedDisclosure(envelope_id={self.envelope_id.hex()}, "
            f"recipients={self.recipients!r}, record_type={self.record_type!r})"
        )


class ReceivedDisclosure:
    """A released disclosure: every envelope check and the consent engine passed."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.ReceivedDisclosure) -> None:
        self._inner = inner

    @property
    def sender(self) -> AgencyFactsInfo:
        """The sending agency, as its certificate states."""
        return self._inner.sender()

    @property
    def subject(self) -> Subject:
        """The participant."""
        return Subject._from(self._inner.subject())

    @property
    def record(self) -> Record:
        """The record."""
        return Record(self._inner.record())

    @property
    def metadata(self) -> EnvelopeMetadata:
        """The signed metadata (envelope id, issue time, purpose, labels, ...)."""
        return self._inner.metadata()

    @property
    def notice(self) -> str:
        """The §2.32 notice statement that accompanied the record (empty for non-Part 2
        data)."""
        return self._inner.notice()

    @property
    def consent(self) -> ConsentInfo:
        """The consent the disclosure relied on, as verified."""
        return ConsentInfo._from(self._inner.consent())

    @property
    def obligations(self) -> Obligations:
        """What the recipient must do with the record (redisclosure rule, use restrictions)."""
        return self._inner.obligations()

    @property
    def signed(self) -> bytes:
        """The sender's signed inner ``COSE_Sign1``: evidence of what was disclosed."""
        return self._inner.signed()

    @property
    def envelope_hash(self) -> bytes:
        """SHA-256 of the envelope."""
        return self._inner.envelope_hash()

    def __repr__(self) -> str:
        return (
            f"ReceivedDisclosure(sender={self.sender.agency_id!r}, "
            f"record_type={self.metadata.record_type!r})"
        )


def seal_disclosure(
    sender: AgencyKeys,
    directory: Directory,
    consents: ConsentSet,
    record: Record,
    *,
    recipients: typing.Sequence[str],
    subject: Subject,
    purpose: str,
    consent_id: str,
    minimum_necessary: MinimumNecessary = MinimumNecessary.REFUSE,
    consent_copy: ConsentCopy = ConsentCopy.ATTACH,
    now: Timestamp | None = None,
) -> SealedDisclosure:
    """Seals ``record`` from ``sender`` to the agencies named in ``recipients`` (directory
    ids), if the consent ``consent_id`` held in ``consents`` permits the disclosure to every
    one of them for ``purpose`` at ``now``.

    Raises:
        ConsentDenied: the consent engine refused (``code`` says why, ``recipient`` to whom).
        DirectoryError: a recipient (or the sender) has no valid certificate.
        RecordError: the record is invalid.
        SealError: the request itself is invalid (no recipients, a bad purpose token, ...).
    """
    request = _ffi.SealRequest(
        recipients=list(recipients),
        subject=subject._lower(),
        purpose=purpose,
        consent_id=consent_id,
        minimum_necessary=minimum_necessary,
        consent_copy=consent_copy,
    )
    return SealedDisclosure(
        _call(
            _ffi.seal_disclosure,
            sender._inner,
            directory._inner,
            consents._inner,
            record._inner,
            request,
            seconds(now),
        )
    )


def open_disclosure(
    envelope: bytes,
    me: AgencyKeys,
    directory: Directory,
    consents: ConsentSet | None = None,
    *,
    now: Timestamp | None = None,
    ledger: Ledger | None = None,
) -> ReceivedDisclosure:
    """Opens a disclosure addressed to ``me``: every envelope check, then the consent engine
    as of the envelope's issue time. ``consents`` are the consents this agency already holds
    (needed only when the sender referenced rather than attached the consent). With a
    ``ledger``, an envelope already recorded as received is refused as a replay; record the
    receipt with :meth:`divex.Ledger.record_received`.

    Raises:
        EnvelopeError: an envelope check failed (``ReplayError`` for a replay).
        ConsentDenied: the consent does not permit this disclosure to this agency.
        ConsentError: the attached consent does not verify.
        DisclosureError: the consent copy or the law's obligations are missing or altered.
    """
    return ReceivedDisclosure(
        _call(
            _ffi.open_disclosure,
            bytes(envelope),
            me._inner,
            directory._inner,
            (consents if consents is not None else ConsentSet())._inner,
            seconds(now),
            ledger._inner if ledger is not None else None,
        )
    )


OpenedEnvelope = _ffi.OpenedEnvelope
"""An envelope that passed the envelope layer's checks: ``sender_agency_id``, ``metadata``,
``payload``, ``signed``, ``envelope_hash``."""


def open_envelope(
    envelope: bytes,
    me: AgencyKeys,
    senders: typing.Mapping[str, bytes],
    *,
    now: Timestamp | None = None,
    seen: typing.Iterable[bytes] = (),
) -> OpenedEnvelope:
    """The envelope layer alone (spec/envelope.md §7, without directory or consent engine),
    as the envelope spec vectors exercise it: opens ``envelope`` for ``me``, trusting exactly
    ``senders`` (agency id → 32-byte Ed25519 public key) and refusing the envelope ids in
    ``seen`` as replays. Applications use :func:`open_disclosure`."""
    known = [_ffi.KnownSender(agency_id=a, signing_public_key=bytes(k)) for a, k in senders.items()]
    return _call(
        _ffi.open_envelope,
        bytes(envelope),
        me._inner,
        known,
        seconds(now),
        [bytes(s) for s in seen],
    )
