"""divex: signed, encrypted, consent-scoped disclosures of 42 CFR Part 2 data.

A treatment provider seals a record (a drug test, attendance, a progress report...) to the
court, probation or the district attorney; divex refuses unless the participant's consent
permits that disclosure to every recipient, and every recipient re-checks the consent before
the record is released. Every envelope is standard COSE: an Ed25519 ``COSE_Sign1`` by the
sender inside a ``COSE_Encrypt`` with one COSE-HPKE recipient per receiving agency.

This package *is* the generated uniffi module ``divex._ffi`` — every class, record, enum,
function and exception is generated from the Rust library, and the rules, checks and messages
are the library's — plus a few Python idioms, each in the module that says why it exists:

* :mod:`divex.errors` — the generated exceptions under idiomatic names, printing their
  message;
* :mod:`divex.records` — ``Record.drug_test(...)`` and friends: records from keyword
  arguments, mappings, dates and datetimes;
* :mod:`divex.consent` — :func:`sign_consent` takes the directive as a mapping;
* :mod:`divex.disclosure` — :func:`seal_disclosure` takes the request as keyword arguments.

Times are Unix seconds (``int``) and always a parameter. Closed vocabularies are enums
(:class:`Role`, :class:`RecordType`, :class:`Regime`, ...); open ones (purposes, security
labels, notice codes, field names) are strings the library checks. Failures raise subclasses
of :class:`DivexError`.

Quick start (see ``examples/python/drug_test_to_court.py`` for the whole flow)::

    import divex
    provider = divex.AgencyKeys.generate()
    record = divex.Record.drug_test(collected_at=..., specimen="urine", observed=True,
                                    panel="10-panel", results={"fentanyl": "negative"})
    sealed = divex.seal_disclosure(provider, directory, consents, record,
                                   recipients=["superior-court"], subject=subject,
                                   purpose="cj-monitor-conditional-release",
                                   consent_id="c-pc1000-0001", now=now)
    received = divex.open_disclosure(sealed.envelope(), court, directory, now)
"""

from __future__ import annotations

try:
    from . import _ffi
except ImportError as e:  # pragma: no cover - a source checkout without the build
    raise ImportError(
        "divex._ffi (the generated bindings and the Rust library) is missing: install the "
        "package with `pip install ./bindings/python` rather than importing the source folder"
    ) from e

# The generated API, whole: a class or function added to the library needs no edit here.
from ._ffi import *  # noqa: F403
from ._ffi import divex_ffi as _generated
from .consent import sign_consent
from .disclosure import seal_disclosure
from .errors import (
    ConsentDenied,
    ConsentError,
    DirectoryError,
    DisclosureError,
    DivexError,
    EnvelopeError,
    InternalError,
    InvalidInputError,
    InvalidKeyError,
    KeystoreError,
    LedgerError,
    RecordError,
    SealError,
)
from .records import Record

__version__: str = _ffi.version()
"""The version of the divex library inside this package."""

__all__ = sorted(
    {
        *(
            name
            for name in _generated.__all__
            # The typing protocols of the generated classes, and the panic the binding tests
            # provoke, are not API.
            if not name.endswith("Protocol") and name != "panic_for_binding_tests"
        ),
        "sign_consent",
        "seal_disclosure",
        "Record",
        "ConsentDenied",
        "ConsentError",
        "DirectoryError",
        "DisclosureError",
        "DivexError",
        "EnvelopeError",
        "InternalError",
        "InvalidInputError",
        "InvalidKeyError",
        "KeystoreError",
        "LedgerError",
        "RecordError",
        "SealError",
    }
)
