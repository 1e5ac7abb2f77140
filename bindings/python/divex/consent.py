"""Consent directives as Python mappings.

Why this module exists: the library takes a consent directive as JSON with exactly the fields
of the signed directive (spec/consent.md: times in Unix seconds, parties
``{"agency": "superior-court"}`` or ``{"role": "probation"}``, enum values as their snake_case
tokens, a signer's ``key`` and ``source_document.sha256`` as hex). :func:`sign_consent` also
takes it as a mapping, with ``bytes`` for the two byte fields, and its signers as keyword
arguments. Everything else about consents is the generated API.
"""

from __future__ import annotations

import typing

from . import _ffi
from ._util import to_json

__all__ = ["sign_consent"]


def sign_consent(
    directive: typing.Mapping[str, typing.Any] | str,
    *,
    agencies: typing.Iterable[_ffi.AgencyKeys] = (),
    people: typing.Iterable[_ffi.PersonalKey] = (),
) -> bytes:
    """Validates a consent directive (a mapping, or its JSON) and signs it; returns the signed
    consent. Every signer with a ``key`` signs with the matching key among ``agencies`` (the
    witnessing agency) and ``people`` (the participant, a parent, a representative); wet-ink
    signers need none.

    Raises:
        ConsentError: a required element is missing (``deficient``) or a signer's key was not
            given (``missing_signer_key``).
        InvalidInputError: the description does not match the directive's schema (``json``).
    """
    return _ffi.sign_consent(to_json(directive), list(agencies), list(people))
