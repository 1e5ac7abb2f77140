"""The COSE-HPKE encryption layer alone, for interoperability with other COSE
implementations: a tagged ``COSE_Encrypt`` with ChaCha20/Poly1305 content encryption (alg 24)
and HPKE-4-KE recipients (alg 50, draft-ietf-cose-hpke), without divex's signature, key
commitment or audience."""

from __future__ import annotations

from . import _ffi
from .errors import _call
from .keys import AgencyKeys, EncryptionKeyPair

__all__ = ["hpke_encrypt", "hpke_decrypt"]


def hpke_encrypt(recipient_public_key: bytes, plaintext: bytes, external_aad: bytes = b"") -> bytes:
    """Encrypts ``plaintext`` to one X25519 public key as a ``COSE_Encrypt``. The recipient's
    ``kid`` is the divex key id of the key; the HPKE ``info`` is the draft's
    ``Recipient_structure`` with empty extra info, and the HPKE ``aad`` is empty."""
    return _call(
        _ffi.hpke_encrypt, bytes(recipient_public_key), bytes(plaintext), bytes(external_aad)
    )


def hpke_decrypt(
    cose_encrypt: bytes,
    key: EncryptionKeyPair | AgencyKeys,
    kid: bytes | None = None,
    external_aad: bytes = b"",
    extra_info: bytes = b"",
    hpke_aad: bytes = b"",
) -> bytes:
    """Decrypts a ``COSE_Encrypt`` (strict deterministic CBOR) whose recipient ``kid`` uses
    HPKE-4-KE and whose content is ChaCha20/Poly1305. ``kid`` defaults to the divex key id
    of ``key``.

    Raises:
        EnvelopeError: ``malformed``, ``structure`` (no such recipient, other algorithms),
            ``non_contributory_key``, ``key_unwrap`` or ``decrypt``.
    """
    pair = key.encryption_key_pair() if isinstance(key, AgencyKeys) else key
    return _call(
        _ffi.hpke_decrypt,
        bytes(cose_encrypt),
        pair._inner,
        bytes(kid) if kid is not None else pair.key_id,
        bytes(external_aad),
        bytes(extra_info),
        bytes(hpke_aad),
    )
