"""The disclosure ledger: one SQLite file per agency, a hash-chained entry per disclosure sent
and received, signed checkpoints, verification, and the participant's accounting of
disclosures (42 CFR §2.24)."""

from __future__ import annotations

import os

from . import _ffi
from ._util import Timestamp, seconds
from .disclosure import ReceivedDisclosure, SealedDisclosure, Subject
from .errors import _call
from .keys import AgencyKeys

Direction = _ffi.Direction
"""``SENT`` or ``RECEIVED``."""

LedgerEntry = _ffi.LedgerEntry
"""One entry: ``seq``, ``time``, ``direction``, ``counterparty``, ``subject_key``,
``record_types``, ``purpose``, ``consent_id``, ``envelope_id``, ``envelope_hash``,
``prev_hash``, ``entry_hash``."""

Checkpoint = _ffi.Checkpoint
"""A signed checkpoint: ``seq``, ``head``, ``time``, ``signature``."""

VerifyReport = _ffi.VerifyReport
"""What verification checked: ``entries``, ``checkpoints``, ``head``, ``anchored_seq``."""

__all__ = ["Ledger", "Direction", "LedgerEntry", "Checkpoint", "VerifyReport"]


class Ledger:
    """An agency's disclosure ledger file (created if it does not exist). Safe to share
    between threads."""

    __slots__ = ("_inner",)

    def __init__(self, path: str | os.PathLike[str], agency_id: str) -> None:
        """Opens ``agency_id``'s ledger at ``path``.

        Raises:
            LedgerError: the file is not a divex ledger, or belongs to another agency.
        """
        self._inner = _call(_ffi.Ledger.open, os.fspath(path), agency_id)

    @property
    def agency_id(self) -> str:
        """The agency whose ledger this is."""
        return self._inner.agency_id()

    def record_sent(
        self, sealed: SealedDisclosure, time: Timestamp | None = None
    ) -> list[LedgerEntry]:
        """Records a sealed disclosure: one entry per recipient, all or none."""
        return _call(self._inner.record_sent, sealed._inner, seconds(time))

    def record_received(
        self, received: ReceivedDisclosure, time: Timestamp | None = None
    ) -> LedgerEntry:
        """Records a released disclosure. A second receipt of the same envelope raises
        :class:`LedgerError` with code ``replay``."""
        return _call(self._inner.record_received, received._inner, seconds(time))

    def checkpoint(self, keys: AgencyKeys, time: Timestamp | None = None) -> Checkpoint:
        """Signs the current head with the agency's keys and stores the checkpoint."""
        return _call(self._inner.checkpoint, keys._inner, seconds(time))

    def verify(self, signing_public_key: bytes) -> VerifyReport:
        """Verifies the chain and every checkpoint under the agency's signing key.

        Raises:
            LedgerTampered: an entry or checkpoint was edited, deleted, inserted or reordered.
        """
        return _call(self._inner.verify, bytes(signing_public_key))

    def accounting(
        self, subject: Subject, start: Timestamp = 0, end: Timestamp | None = None
    ) -> list[LedgerEntry]:
        """The participant's accounting of disclosures: every disclosure sent about
        ``subject`` between ``start`` and ``end`` (default: now), in order. Run
        :meth:`verify` first."""
        return _call(self._inner.accounting, subject._lower(), seconds(start), seconds(end))

    def entries(self) -> list[LedgerEntry]:
        """Every entry, in order, as stored."""
        return _call(self._inner.entries)

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, as stored."""
        return _call(self._inner.checkpoints)

    def export(self) -> bytes:
        """The ledger as JSON lines, for auditors."""
        return _call(self._inner.export)

    def __repr__(self) -> str:
        return f"Ledger(agency_id={self.agency_id!r})"
