"""Sealing a disclosure with keyword arguments.

Why this module exists: the library takes a seal request as one record
(:class:`SealRequest`); :func:`seal_disclosure` takes its fields as keyword arguments, with the
defaults the library documents (refuse fields the consent does not permit, attach the consent).
Everything else about disclosures (:func:`open_disclosure`, :func:`open_envelope`,
:class:`SealedDisclosure`, ...) is the generated API.
"""

from __future__ import annotations

import typing

from . import _ffi

__all__ = ["seal_disclosure"]


def seal_disclosure(
    sender: _ffi.AgencyKeys,
    directory: _ffi.Directory,
    consents: _ffi.ConsentSet,
    record: _ffi.Record,
    *,
    recipients: typing.Sequence[str],
    subject: _ffi.Subject,
    purpose: str,
    consent_id: str,
    now: int,
    minimum_necessary: _ffi.MinimumNecessary = _ffi.MinimumNecessary.REFUSE,
    consent_copy: _ffi.ConsentCopy = _ffi.ConsentCopy.ATTACH,
    ledger_head: _ffi.LedgerHead | None = None,
) -> _ffi.SealedDisclosure:
    """Seals ``record`` from ``sender`` to the agencies named in ``recipients`` (directory
    ids), if the consent ``consent_id`` held in ``consents`` permits the disclosure to every
    one of them for ``purpose`` at ``now`` (Unix seconds). With ``ledger_head`` (the sender's
    ledger head before it records this disclosure) the envelope is profile v2 and carries the
    head signed to every recipient (spec/envelope.md §15); without it, profile v1.

    Raises:
        ConsentDenied: the consent engine refused (``code`` says why, ``recipient`` to whom).
        DirectoryError: a recipient (or the sender) has no valid certificate.
        SealError: the request itself is invalid (no recipients, duplicates, a ledger head
            sequence over 2^63 - 1, ...).
        InvalidInputError: the purpose is not a token, the date of birth not a date, or the
            ledger head's hash not 32 bytes.
    """
    request = _ffi.SealRequest(
        recipients=list(recipients),
        subject=subject,
        purpose=purpose,
        consent_id=consent_id,
        minimum_necessary=minimum_necessary,
        consent_copy=consent_copy,
        ledger_head=ledger_head,
    )
    return _ffi.seal_disclosure(sender, directory, consents, record, request, now)
