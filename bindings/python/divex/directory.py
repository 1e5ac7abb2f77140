"""Trust anchors, agency certificates, revocations and the directory (spec/directory.md)."""

from __future__ import annotations

import typing

from . import _ffi
from ._util import Timestamp, seconds
from .errors import _call
from .keys import KdfProfile

CertificateInfo = _ffi.CertificateInfo
"""A certificate's fields: ``certificate``, ``serial``, ``issuer_key_id``, ``agency_id``,
``name``, ``roles``, ``part2_program``, ``public_bundle``, ``signing_key_id``,
``encryption_key_id``, ``not_before``, ``not_after``."""

RevocationInfo = _ffi.RevocationInfo
"""A certificate revocation's fields: ``revocation``, ``issuer_key_id``, ``serial``,
``revoked_at``, ``reason``."""

AnchorInfo = _ffi.AnchorInfo
"""A trust anchor's public side: ``anchor`` (its encoding), ``name``, ``key_id``."""

__all__ = [
    "AnchorKeys",
    "Directory",
    "CertificateInfo",
    "RevocationInfo",
    "AnchorInfo",
    "certificate_info",
    "trust_anchor_info",
    "roles",
]


def certificate_info(certificate: bytes) -> CertificateInfo:
    """Parses a certificate strictly **without verifying its signature** (for display; trust
    only what a :class:`Directory` returns)."""
    return _call(_ffi.certificate_info, bytes(certificate))


def trust_anchor_info(anchor: bytes) -> AnchorInfo:
    """Decodes and validates a trust anchor encoding."""
    return _call(_ffi.trust_anchor_info, bytes(anchor))


def roles() -> list[str]:
    """The role names a certificate may carry."""
    return _ffi.roles()


class AnchorKeys:
    """A trust anchor's secret key (e.g. a county's justice-IT authority): issues and revokes
    agency certificates."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.AnchorKeys) -> None:
        self._inner = inner

    @classmethod
    def generate(cls, name: str) -> AnchorKeys:
        """A fresh anchor key with a display name."""
        return cls(_call(_ffi.AnchorKeys.generate, name))

    @classmethod
    def from_keystore(cls, keystore: bytes, passphrase: str) -> AnchorKeys:
        """Opens an anchor keystore."""
        return cls(_call(_ffi.AnchorKeys.from_keystore, bytes(keystore), passphrase))

    def export_keystore(
        self, passphrase: str, *, profile: KdfProfile = KdfProfile.INTERACTIVE
    ) -> bytes:
        """The key sealed under ``passphrase`` (keep it offline)."""
        return _call(self._inner.export_keystore, passphrase, profile)

    @property
    def trust_anchor(self) -> bytes:
        """The public side every agency pins (:meth:`Directory.add_anchor`)."""
        return self._inner.trust_anchor()

    @property
    def name(self) -> str:
        """The anchor's display name."""
        return self._inner.name()

    @property
    def key_id(self) -> bytes:
        """The anchor's key id: the fingerprint operators compare when pinning it."""
        return self._inner.key_id()

    def issue_certificate(
        self,
        *,
        agency_id: str,
        name: str,
        roles: typing.Sequence[str],
        public_bundle: bytes,
        not_before: Timestamp,
        not_after: Timestamp,
        part2_program: bool = False,
    ) -> bytes:
        """Issues an agency certificate; returns the signed certificate.

        ``roles`` are names from :func:`roles` (``court``, ``treatment_provider``, ...);
        ``part2_program`` marks a 42 CFR Part 2 program.
        """
        request = _ffi.CertificateRequest(
            agency_id=agency_id,
            name=name,
            roles=list(roles),
            part2_program=part2_program,
            public_bundle=bytes(public_bundle),
            not_before=seconds(not_before),
            not_after=seconds(not_after),
        )
        return _call(self._inner.issue_certificate, request)

    def revoke_certificate(
        self, serial: bytes, revoked_at: Timestamp, reason: str = "superseded"
    ) -> bytes:
        """Revokes the certificate with ``serial`` from ``revoked_at`` on; returns the signed
        revocation. ``reason`` is a token such as ``key_compromise`` or ``superseded``."""
        return _call(self._inner.revoke_certificate, bytes(serial), seconds(revoked_at), reason)

    def __repr__(self) -> str:
        return f"AnchorKeys(name={self.name!r}, key_id={self.key_id.hex()})"


class Directory:
    """Anchors, certificates and revocations, each verified when added and queried offline
    against a given time. Safe to share between threads."""

    __slots__ = ("_inner",)

    def __init__(self, _inner: _ffi.Directory | None = None) -> None:
        """An empty directory (it trusts nothing until an anchor is added)."""
        self._inner = _inner if _inner is not None else _ffi.Directory()

    @classmethod
    def from_bytes(cls, bundle: bytes) -> Directory:
        """A directory from its bundle encoding (every item verified)."""
        return cls(_call(_ffi.Directory.from_bytes, bytes(bundle)))

    def to_bytes(self) -> bytes:
        """The bundle encoding (what agencies exchange)."""
        return self._inner.to_bytes()

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def add_anchor(self, anchor: bytes) -> AnchorInfo:
        """Pins a trust anchor (compare its ``key_id`` with the published fingerprint)."""
        return _call(self._inner.add_anchor, bytes(anchor))

    def add_certificate(self, certificate: bytes) -> CertificateInfo:
        """Verifies a certificate against the pinned anchors and adds it."""
        return _call(self._inner.add_certificate, bytes(certificate))

    def add_revocation(self, revocation: bytes) -> RevocationInfo:
        """Verifies a certificate revocation and adds it."""
        return _call(self._inner.add_revocation, bytes(revocation))

    def merge(self, bundle: bytes) -> None:
        """Adds a bundle's certificates and revocations, all or nothing (its anchors must
        already be pinned)."""
        _call(self._inner.merge, bytes(bundle))

    def check_certificate(
        self, certificate: bytes, now: Timestamp | None = None
    ) -> CertificateInfo:
        """Whether ``certificate`` is trustworthy at ``now``; returns its fields."""
        return _call(self._inner.check_certificate, bytes(certificate), seconds(now))

    def current_certificate(self, agency_id: str, now: Timestamp | None = None) -> CertificateInfo:
        """The agency's certificate valid at ``now`` (the newest after a key rotation)."""
        return _call(self._inner.current_certificate, agency_id, seconds(now))

    @property
    def anchors(self) -> list[AnchorInfo]:
        """The pinned trust anchors."""
        return self._inner.anchors()

    @property
    def certificates(self) -> list[CertificateInfo]:
        """Every certificate held."""
        return self._inner.certificates()

    @property
    def revocations(self) -> list[RevocationInfo]:
        """Every revocation held."""
        return self._inner.revocations()

    def __repr__(self) -> str:
        return (
            f"Directory(anchors={len(self.anchors)}, certificates={len(self.certificates)}, "
            f"revocations={len(self.revocations)})"
        )
