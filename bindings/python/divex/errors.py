"""Exceptions raised by divex.

Every failure is a :class:`DivexError`. Its subclass is the *failure class* (what went wrong
and what a caller can do about it); :attr:`DivexError.code` is the core library's stable
snake_case name of the failure inside that class (the ``expect`` classes of the spec vectors,
e.g. ``not_for_me`` or ``bad_signature``), and ``str(error)`` is the core library's own
message. Messages never contain secret keys, passphrases or record values.

A panic inside the Rust library (a bug: none is expected on any input) is caught at the
language boundary and raised as :class:`InternalError`; it never crashes the interpreter.
"""

from __future__ import annotations

import functools
import typing

from . import _ffi

__all__ = [
    "DivexError",
    "EnvelopeError",
    "ReplayError",
    "SealError",
    "ConsentDenied",
    "ConsentError",
    "DisclosureError",
    "RecordError",
    "DirectoryError",
    "InvalidKeyError",
    "LedgerError",
    "LedgerTampered",
    "KeystoreError",
    "WrongPassphrase",
    "InvalidInputError",
    "InternalError",
]


class DivexError(Exception):
    """Base class of every divex error.

    Attributes:
        code: The core library's stable name of the failure (e.g. ``"bad_signature"``).
        message: The core library's message (also ``str(error)``).
    """

    code: str
    message: str

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class EnvelopeError(DivexError):
    """An envelope check failed (spec/envelope.md §7: ``malformed``, ``not_for_me``,
    ``key_unwrap``, ``bad_signature``, ``audience_mismatch``, ...), or the COSE-HPKE
    encryption layer refused a message. The envelope is corrupted, forged, altered,
    forwarded or not addressed to this agency; nothing was released."""


class ReplayError(EnvelopeError):
    """The envelope was already received (code ``replay``): do not release it again."""


class SealError(DivexError):
    """Sealing was refused before any consent question (``no_recipients``,
    ``duplicate_recipient``, ``invalid_field``, ``too_large``, ...)."""


class ConsentDenied(DivexError):
    """The consent engine denied the disclosure (default deny, deny-overrides).

    ``code`` is the reason (``no_consent``, ``revoked``, ``expired``,
    ``record_type_not_permitted``, ``field_not_permitted``, ...).

    Attributes:
        recipient: The agency the disclosure was refused to (on open: this agency).
    """

    recipient: str

    def __init__(self, message: str, code: str, recipient: str) -> None:
        super().__init__(message, code)
        self.recipient = recipient


class ConsentError(DivexError):
    """A consent, consent revocation or case event was refused (``deficient``,
    ``bad_signature``, ``uncertified_witness``, ``future_dated``, ...)."""


class DisclosureError(DivexError):
    """The disclosure around a valid envelope is not acceptable (``payload``,
    ``consent_mismatch``, ``consent_unavailable``, ``copy_required``,
    ``obligations_not_met``)."""


class RecordError(DivexError):
    """A record was refused (``unknown_field``, ``missing_field``, ``invalid_value``,
    ``date_order``, ...). Messages name the field, never its value."""


class DirectoryError(DivexError):
    """A certificate, revocation, anchor or directory was refused, or no trustworthy
    certificate answers a query (``unknown_anchor``, ``expired``, ``revoked``,
    ``unknown_agency``, ...)."""


class InvalidKeyError(DivexError):
    """A public key or signature was refused (``weak_signing_key``,
    ``low_order_encryption_key``, ``malformed_bundle``, ...)."""


class LedgerError(DivexError):
    """The disclosure ledger failed (``database``, ``not_a_ledger``, ``wrong_agency``,
    ``replay``, ``already_recorded``, ...)."""


class LedgerTampered(LedgerError):
    """Verification found an entry or checkpoint that divex did not write (code
    ``tampered``): keep the file as evidence and restore from a verified copy."""


class KeystoreError(DivexError):
    """An encrypted keystore could not be opened or written (``corrupted``, ``wrong_kind``,
    ``kdf``)."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not open the keystore (or its header was altered)."""


class InvalidInputError(DivexError, ValueError):
    """An argument is not what the call takes (``json``, ``length``,
    ``unknown_record_type``, ``argument``)."""


class InternalError(DivexError):
    """A bug inside the Rust library (a panic), caught at the language boundary. The
    operation did not happen; the interpreter and every other object are unaffected."""


# The generated error variants (nested classes the type checker cannot see).
_F: typing.Any = _ffi.DivexError
# Generated variant class -> (class, special codes -> subclass).
_CLASSES: dict[type, tuple[type[DivexError], dict[str, type[DivexError]]]] = {
    _F.Envelope: (EnvelopeError, {"replay": ReplayError}),
    _F.Seal: (SealError, {}),
    _F.Consent: (ConsentError, {}),
    _F.Disclosure: (DisclosureError, {}),
    _F.Record: (RecordError, {}),
    _F.Directory: (DirectoryError, {}),
    _F.Key: (InvalidKeyError, {}),
    _F.Ledger: (LedgerError, {"tampered": LedgerTampered}),
    _F.Keystore: (KeystoreError, {"wrong_passphrase": WrongPassphrase}),
    _F.InvalidInput: (InvalidInputError, {}),
}


def _translate(e: BaseException) -> DivexError | None:
    """The divex exception for an exception raised by the generated module, if it is one."""
    generated: typing.Any = e
    if isinstance(e, _F.Denied):
        return ConsentDenied(generated.detail, generated.code, generated.recipient)
    entry = _CLASSES.get(type(e))
    if entry is not None:
        cls, special = entry
        cls = special.get(generated.code, cls)
        return cls(generated.detail, generated.code)
    if isinstance(e, _ffi.InternalError):
        return InternalError(str(e), "panic")
    return None


_T = typing.TypeVar("_T")


def _call(fn: typing.Callable[..., _T], *args: typing.Any) -> _T:
    """Calls into the library, raising divex exceptions for the library's errors."""
    try:
        return fn(*args)
    except Exception as e:  # re-raised unchanged unless it is ours
        mapped = _translate(e)
        if mapped is None:
            raise
        raise mapped from None


_P = typing.ParamSpec("_P")


def _translating(fn: typing.Callable[_P, _T]) -> typing.Callable[_P, _T]:
    """Decorator form of :func:`_call`."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            mapped = _translate(e)
            if mapped is None:
                raise
            raise mapped from None

    return wrapper


def _panic_for_binding_tests(message: str) -> None:
    """Makes the Rust library panic on purpose (tests only): raises :class:`InternalError`."""
    _call(_ffi.panic_for_binding_tests, message)
