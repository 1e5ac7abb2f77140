"""Secret keys, held by the library as opaque objects.

Secret bytes never reach Python: keys are generated inside the library, saved only sealed
under a passphrase (:meth:`AgencyKeys.export_keystore`, the ``divex`` command line's keystore
format) and zeroized when the last reference is dropped.
"""

from __future__ import annotations

from . import _ffi
from ._util import Timestamp, seconds
from .errors import _call

KdfProfile = _ffi.KdfProfile
"""Passphrase key-derivation cost: ``KdfProfile.INTERACTIVE`` (Argon2id, 64 MiB, 3 passes: for
every real key) or ``KdfProfile.FAST`` (1 MiB, 1 pass: tests and demos only)."""

KeystoreKind = _ffi.KeystoreKind
"""What a keystore holds: ``AGENCY``, ``ANCHOR`` or ``PERSONAL``."""

KeystoreInfo = _ffi.KeystoreInfo
"""A keystore's public header (``kind``, ``id``, ``public_key``, ``profile``)."""

PublicBundleInfo = _ffi.PublicBundleInfo
"""What a public key bundle holds (both public keys and their key ids)."""

__all__ = [
    "AgencyKeys",
    "PersonalKey",
    "EncryptionKeyPair",
    "KdfProfile",
    "KeystoreKind",
    "KeystoreInfo",
    "PublicBundleInfo",
    "keystore_info",
    "public_bundle_info",
]


def keystore_info(keystore: bytes) -> KeystoreInfo:
    """Reads a keystore's public header without the passphrase (a claim until opened)."""
    return _call(_ffi.keystore_info, bytes(keystore))


def public_bundle_info(bundle: bytes) -> PublicBundleInfo:
    """Decodes and validates a public key bundle (weak and low-order keys are refused)."""
    return _call(_ffi.public_bundle_info, bytes(bundle))


class AgencyKeys:
    """An agency's secret keys: an Ed25519 signing key and an X25519 encryption key.

    Create with :meth:`generate` or :meth:`from_keystore`.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.AgencyKeys) -> None:
        self._inner = inner

    @classmethod
    def generate(cls) -> AgencyKeys:
        """Fresh keys from the operating system's CSPRNG."""
        return cls(_ffi.AgencyKeys.generate())

    @classmethod
    def from_keystore(cls, keystore: bytes, passphrase: str) -> AgencyKeys:
        """Opens an agency keystore.

        Raises:
            WrongPassphrase: the passphrase does not open it.
            KeystoreError: it is corrupted or holds another kind of key.
        """
        return cls(_call(_ffi.AgencyKeys.from_keystore, bytes(keystore), passphrase))

    @classmethod
    def from_secret_bytes_test_vectors_only(cls, secret: bytes) -> AgencyKeys:
        """**Test vectors only**: keys from their 64 raw secret bytes (Ed25519 seed ‖ X25519
        scalar) as published in ``spec/vectors``. Never store or send raw secret bytes; real
        keys come from :meth:`generate` and :meth:`from_keystore`."""
        return cls(_call(_ffi.AgencyKeys.from_secret_bytes_test_vectors_only, bytes(secret)))

    def export_keystore(
        self, agency_id: str, passphrase: str, *, profile: KdfProfile = KdfProfile.INTERACTIVE
    ) -> bytes:
        """The keys sealed under ``passphrase`` (Argon2id + ChaCha20-Poly1305), labelled
        with the agency's directory id. The bytes are a ``divex`` CLI keystore file."""
        return _call(self._inner.export_keystore, agency_id, passphrase, profile)

    @property
    def public_bundle(self) -> bytes:
        """The public key bundle an anchor certifies."""
        return self._inner.public_bundle()

    @property
    def signing_public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._inner.signing_public_key()

    @property
    def encryption_public_key(self) -> bytes:
        """The 32-byte X25519 public key."""
        return self._inner.encryption_public_key()

    @property
    def signing_key_id(self) -> bytes:
        """The 16-byte id of the signing key."""
        return self._inner.signing_key_id()

    @property
    def encryption_key_id(self) -> bytes:
        """The 16-byte id of the encryption key (the ``kid`` of this agency's recipients)."""
        return self._inner.encryption_key_id()

    def encryption_key_pair(self) -> EncryptionKeyPair:
        """The X25519 key pair alone, for the COSE-HPKE layer (:func:`divex.hpke_decrypt`)."""
        return EncryptionKeyPair(self._inner.encryption_key_pair())

    def sign_consent_revocation(
        self, consent_id: str, revoked_at: Timestamp, method: str = "written"
    ) -> bytes:
        """Signs, as the witnessing or disclosing agency, the participant's revocation of a
        consent (recorded, e.g., from a written or oral statement)."""
        return _call(self._inner.sign_consent_revocation, consent_id, seconds(revoked_at), method)

    def sign_case_event(self, case_ref: str, outcome: str, effective_at: Timestamp) -> bytes:
        """Signs, as the case authority (court or prosecutor), a case disposition:
        ``dismissed``, ``diversion_terminated``, ``record_sealed``, ``not_filed`` or
        ``sentenced``."""
        return _call(self._inner.sign_case_event, case_ref, outcome, seconds(effective_at))

    def __repr__(self) -> str:
        return (
            f"AgencyKeys(signing_key_id={self.signing_key_id.hex()}, "
            f"encryption_key_id={self.encryption_key_id.hex()})"
        )


class PersonalKey:
    """A person's Ed25519 signing key: the participant or a representative signing a consent
    or its revocation (e.g. on a program's signing tablet)."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.PersonalKey) -> None:
        self._inner = inner

    @classmethod
    def generate(cls) -> PersonalKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls(_ffi.PersonalKey.generate())

    @classmethod
    def from_keystore(cls, keystore: bytes, passphrase: str) -> PersonalKey:
        """Opens a personal keystore."""
        return cls(_call(_ffi.PersonalKey.from_keystore, bytes(keystore), passphrase))

    def export_keystore(
        self, label: str, passphrase: str, *, profile: KdfProfile = KdfProfile.INTERACTIVE
    ) -> bytes:
        """The key sealed under ``passphrase``, labelled ``label``."""
        return _call(self._inner.export_keystore, label, passphrase, profile)

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key (a consent signer's ``key``)."""
        return self._inner.public_key()

    @property
    def key_id(self) -> bytes:
        """The 16-byte key id."""
        return self._inner.key_id()

    def sign_consent_revocation(
        self, consent_id: str, revoked_at: Timestamp, method: str = "written"
    ) -> bytes:
        """Signs the participant's own revocation of a consent."""
        return _call(self._inner.sign_consent_revocation, consent_id, seconds(revoked_at), method)

    def __repr__(self) -> str:
        return f"PersonalKey(key_id={self.key_id.hex()})"


class EncryptionKeyPair:
    """An X25519 key pair: the recipient side of the COSE-HPKE encryption layer alone."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.EncryptionKeyPair) -> None:
        self._inner = inner

    @classmethod
    def from_secret_bytes_test_vectors_only(cls, secret: bytes) -> EncryptionKeyPair:
        """**Test vectors only**: a key pair from a raw 32-byte X25519 secret (e.g. the
        ``COSE_Key`` of the draft-ietf-cose-hpke vectors)."""
        return cls(_call(_ffi.EncryptionKeyPair.from_secret_bytes_test_vectors_only, bytes(secret)))

    @property
    def public_key(self) -> bytes:
        """The 32-byte X25519 public key."""
        return self._inner.public_key()

    @property
    def key_id(self) -> bytes:
        """The 16-byte divex key id of the public key."""
        return self._inner.key_id()

    def __repr__(self) -> str:
        return f"EncryptionKeyPair(key_id={self.key_id.hex()})"
