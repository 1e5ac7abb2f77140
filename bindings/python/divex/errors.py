"""Exceptions raised by divex: the generated ones, under idiomatic names.

Every failure of a divex call is a :class:`DivexError`, the exception uniffi generates from the
Rust library's error type; its subclass is the failure's *category* (one generated class per
category of the library's class table) and :attr:`code` is the stable snake_case *class*
inside it — the same class the ``divex`` CLI's ``--json`` output, the Kotlin exceptions and the
spec vectors' ``expect`` field use (``not_for_me``, ``replay``, ``wrong_passphrase``...).
:attr:`detail` is the library's message; messages never contain secret keys, passphrases or
record values.

A panic inside the Rust library (a bug: none is expected on any input) is caught at the
language boundary and raised as :class:`InternalError`; it is not a :class:`DivexError` (it is
no failure class a caller can act on) and it never crashes the interpreter.

Why this module has code of its own, beyond the aliases: uniffi's exceptions print as
``code='…', detail='…'``. Python code expects ``str(error)`` to be the message, so the base
class gets ``__str__`` and a ``message`` property returning :attr:`detail`, each category a
``__repr__`` naming the idiomatic class, and :class:`InvalidInputError` is also a
:class:`ValueError`. No class, code or mapping is restated here.
"""

from __future__ import annotations

import typing

from . import _ffi

__all__ = [
    "DivexError",
    "EnvelopeError",
    "SealError",
    "ConsentDenied",
    "ConsentError",
    "DisclosureError",
    "RecordError",
    "DirectoryError",
    "InvalidKeyError",
    "LedgerError",
    "KeystoreError",
    "InvalidInputError",
    "InternalError",
]

# The generated classes are nested in the generated base, where type checkers cannot see them.
_G: typing.Any = _ffi.DivexError

DivexError = _ffi.DivexError
"""Base class of every divex failure: ``code`` (stable class), ``detail`` / ``message`` /
``str()`` (the library's message)."""
EnvelopeError = _G.Envelope
"""An envelope check failed (spec/envelope.md §7), or the COSE-HPKE layer refused a message:
the envelope is corrupted, forged, replayed (``replay``) or not addressed to this agency."""
SealError = _G.Seal
"""Sealing was refused before any consent question."""
ConsentDenied = _G.Denied
"""The consent engine denied the disclosure (default deny); ``recipient`` is the agency it
was refused to (on open: this agency)."""
ConsentError = _G.Consent
"""A consent, consent revocation or case event was refused."""
DisclosureError = _G.Disclosure
"""The disclosure around a valid envelope is not acceptable (consent copy, obligations)."""
RecordError = _G.Record
"""A record was refused; the message names the field, never its value."""
DirectoryError = _G.Directory
"""A certificate, revocation, anchor or directory was refused, or no trustworthy certificate
answers a query."""
InvalidKeyError = _G.Key
"""A public key or signature was refused."""
LedgerError = _G.Ledger
"""The disclosure ledger failed (``wrong_agency``, ``replay``...) or found tampering
(``tampered``: keep the file as evidence and restore from a verified copy)."""
KeystoreError = _G.Keystore
"""An encrypted keystore could not be opened (``wrong_passphrase``, ``corrupted``...)."""
InvalidInputError = _G.InvalidInput
"""An argument is not what the call takes (``invalid_token``, ``json``, ``length``...); also a
:class:`ValueError`, as Python's own argument refusals are."""
InternalError = _ffi.InternalError
"""A bug inside the Rust library (a panic), caught at the language boundary."""


def _detail(self: typing.Any) -> str:
    return str(self.detail)


def _repr(self: typing.Any) -> str:
    name = _NAMES.get(type(self), type(self).__qualname__)
    return f"{name}(code={self.code!r}, detail={self.detail!r})"


_NAMES: dict[type, str] = {
    value: name
    for name, value in list(globals().items())
    if isinstance(value, type) and issubclass(value, _ffi.DivexError) and value is not DivexError
}
_G.__str__ = _detail
# A generic `except ValueError` handler catches a refused argument, as it would for Python's
# own functions: ValueError has no state of its own, so it can join the generated class's bases.
InvalidInputError.__bases__ = (*InvalidInputError.__bases__, ValueError)
_G.message = property(_detail)
for _category in _G.__subclasses__():
    _category.__repr__ = _repr
