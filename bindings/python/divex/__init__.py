"""divex: signed, encrypted, consent-scoped disclosures of 42 CFR Part 2 data.

A treatment provider seals a record (a drug test, attendance, a progress report...) to the
court, probation or the district attorney; divex refuses unless the participant's consent
permits that disclosure to every recipient, and every recipient re-checks the consent before
the record is released. Every envelope is standard COSE: an Ed25519 ``COSE_Sign1`` by the
sender inside a ``COSE_Encrypt`` with one COSE-HPKE recipient per receiving agency.

This package is a thin layer over the Rust library (one shared library, generated bindings):
the rules, checks and messages are the library's. Times are Unix seconds (or aware
datetimes); ``now`` defaults to the current time. Failures raise subclasses of
:class:`DivexError`.

Quick start (see ``examples/python/drug_test_to_court.py`` for the whole flow)::

    import divex
    provider = divex.AgencyKeys.generate()
    record = divex.Record.drug_test(collected_at=..., specimen="urine", observed=True,
                                    panel="10-panel", results={"fentanyl": "negative"})
    sealed = divex.seal_disclosure(provider, directory, consents, record,
                                   recipients=["superior-court"], subject=subject,
                                   purpose="cj-monitor-conditional-release",
                                   consent_id="c-pc1000-0001")
    received = divex.open_disclosure(sealed.envelope, court, directory)
"""

from __future__ import annotations

try:
    from . import _ffi
except ImportError as e:  # pragma: no cover - a source checkout without the build
    raise ImportError(
        "divex._ffi (the generated bindings and the Rust library) is missing: install the "
        "package with `pip install ./bindings/python` rather than importing the source folder"
    ) from e
from .consent import (
    CaseEventInfo,
    ConsentInfo,
    ConsentRevocationInfo,
    ConsentSet,
    sign_consent,
    verify_case_event,
    verify_consent,
    verify_consent_revocation,
)
from .cose import hpke_decrypt, hpke_encrypt
from .directory import (
    AnchorInfo,
    AnchorKeys,
    CertificateInfo,
    Directory,
    RevocationInfo,
    certificate_info,
    roles,
    trust_anchor_info,
)
from .disclosure import (
    AgencyFactsInfo,
    ConsentCopy,
    EnvelopeMetadata,
    MinimumNecessary,
    Obligations,
    OpenedEnvelope,
    ReceivedDisclosure,
    SealedDisclosure,
    Subject,
    open_disclosure,
    open_envelope,
    seal_disclosure,
)
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
    LedgerTampered,
    RecordError,
    ReplayError,
    SealError,
    WrongPassphrase,
)
from .keys import (
    AgencyKeys,
    EncryptionKeyPair,
    KdfProfile,
    KeystoreInfo,
    KeystoreKind,
    PersonalKey,
    PublicBundleInfo,
    keystore_info,
    public_bundle_info,
)
from .ledger import Checkpoint, Direction, Ledger, LedgerEntry, VerifyReport
from .records import AnalyteResult, FieldSpec, Record, TypedRecord, record_schema, record_types

__version__: str = _ffi.version()
"""The version of the divex library inside this package."""

__all__ = [
    # keys
    "AgencyKeys",
    "PersonalKey",
    "EncryptionKeyPair",
    "KdfProfile",
    "KeystoreKind",
    "KeystoreInfo",
    "PublicBundleInfo",
    "keystore_info",
    "public_bundle_info",
    # directory
    "AnchorKeys",
    "Directory",
    "AnchorInfo",
    "CertificateInfo",
    "RevocationInfo",
    "certificate_info",
    "trust_anchor_info",
    "roles",
    # consent
    "ConsentSet",
    "ConsentInfo",
    "ConsentRevocationInfo",
    "CaseEventInfo",
    "sign_consent",
    "verify_consent",
    "verify_consent_revocation",
    "verify_case_event",
    # records
    "Record",
    "TypedRecord",
    "AnalyteResult",
    "FieldSpec",
    "record_types",
    "record_schema",
    # disclosures
    "Subject",
    "MinimumNecessary",
    "ConsentCopy",
    "SealedDisclosure",
    "ReceivedDisclosure",
    "EnvelopeMetadata",
    "AgencyFactsInfo",
    "Obligations",
    "OpenedEnvelope",
    "seal_disclosure",
    "open_disclosure",
    "open_envelope",
    # ledger
    "Ledger",
    "LedgerEntry",
    "Checkpoint",
    "VerifyReport",
    "Direction",
    # COSE-HPKE layer
    "hpke_encrypt",
    "hpke_decrypt",
    # errors
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
