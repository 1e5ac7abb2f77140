"""Interop with python-cwt (https://github.com/dajiaji/python-cwt), an independent COSE
implementation whose COSE-HPKE follows draft-ietf-cose-hpke (the Recipient_structure
``["HPKE Recipient", next_layer_alg, recipient_protected_header, recipient_extra_info]`` as the
HPKE ``info``, HPKE ``aad`` separate), as divex does.

* python-cwt opens a divex envelope's outer ``COSE_Encrypt`` with the recipient's X25519
  private key and verifies the inner Ed25519 ``COSE_Sign1`` with the sender's public key;
* divex's encryption layer opens a ``COSE_Encrypt`` python-cwt made with HPKE-4-KE, and
  python-cwt opens one divex made.
"""

from __future__ import annotations

import hashlib
import os

import cbor2
import pytest
from cwt import COSE, COSEKey, DecodeError, Recipient, VerifyError

import divex
from conftest import CJ_PURPOSE, PC1000_ID, T0, World, drug_test

OKP, X25519, ED25519_CRV = 1, 4, 6
HPKE_4_KE, CHACHA20_POLY1305, ED25519_ALG = 50, 24, -19


def x25519_private_key(public: bytes, secret: bytes, kid: bytes) -> COSEKey:
    return COSEKey.new({1: OKP, -1: X25519, -2: public, -4: secret, 2: kid, 3: HPKE_4_KE})


def x25519_public_key(public: bytes, kid: bytes) -> COSEKey:
    return COSEKey.new({1: OKP, -1: X25519, -2: public, 2: kid, 3: HPKE_4_KE})


def ed25519_public_key(public: bytes, kid: bytes) -> COSEKey:
    return COSEKey.new({1: OKP, -1: ED25519_CRV, -2: public, 2: kid, 3: ED25519_ALG})


@pytest.fixture(scope="module")
def court_secret() -> bytes:
    return os.urandom(64)  # Ed25519 seed ‖ X25519 scalar


@pytest.fixture(scope="module")
def interop_world(court_secret: bytes) -> World:
    return World(secrets={"superior-court": court_secret})


def test_python_cwt_opens_a_divex_envelope_and_verifies_the_signature(
    interop_world: World, court_secret: bytes
) -> None:
    w = interop_world
    record = drug_test()
    sealed = divex.seal_disclosure(
        w.key("treatment-provider"),
        w.directory,
        w.held(w.pc1000()),
        record,
        recipients=["superior-court", "district-attorney", "probation"],
        subject=w.subject,
        purpose=CJ_PURPOSE,
        consent_id=PC1000_ID,
        now=T0,
    )
    court = w.key("superior-court")

    # The outer layer is a standard tagged COSE_Encrypt; cbor2 re-encodes it identically.
    outer = cbor2.loads(sealed.envelope())
    assert outer.tag == 96
    assert cbor2.dumps(outer) == sealed.envelope()
    protected, _, _, recipients = outer.value
    assert cbor2.loads(protected)[1] == CHACHA20_POLY1305
    assert len(recipients) == 3
    assert {cbor2.loads(r[0])[1] for r in recipients} == {HPKE_4_KE}
    # divex's only application parameter: layer 0's external_aad is the SHA-256 of the
    # encoded recipients array (spec/envelope.md §5), so every recipient authenticates
    # every other recipient's stanza.
    external_aad = hashlib.sha256(cbor2.dumps(recipients)).digest()

    key = x25519_private_key(
        court.encryption_public_key(), court_secret[32:], court.encryption_key_id()
    )
    inner = COSE.new().decode(sealed.envelope(), key, external_aad=external_aad)
    # Without the recipients digest the content does not decrypt.
    with pytest.raises(DecodeError):
        COSE.new().decode(sealed.envelope(), key)

    # The plaintext is the provider's COSE_Sign1 (tag 18), Ed25519 (alg -19).
    sign1 = cbor2.loads(inner)
    assert sign1.tag == 18
    headers = cbor2.loads(sign1.value[0])
    provider = w.key("treatment-provider")
    assert headers[1] == ED25519_ALG and headers[4] == provider.signing_key_id()
    verifier = ed25519_public_key(provider.signing_public_key(), provider.signing_key_id())
    payload = COSE.new().decode(inner, verifier)
    # A flipped signature bit fails python-cwt's verification too.
    forged = cbor2.loads(inner)
    forged.value[3] = bytes([forged.value[3][0] ^ 1]) + forged.value[3][1:]
    with pytest.raises(VerifyError):
        COSE.new().decode(cbor2.dumps(forged), verifier)

    # The signed metadata (private labels, spec/envelope.md §2) and the disclosure.
    assert headers[-65538] == sealed.envelope_id()
    assert headers[-65539] == T0
    assert sorted(headers[-65540]) == sorted(
        w.key(a).encryption_key_id() for a in ["superior-court", "district-attorney", "probation"]
    )
    assert headers[-65541] == CJ_PURPOSE
    assert headers[-65543] == "drug_test"
    assert headers[-65537] == cbor2.loads(protected)[-65537]  # the same key commitment
    disclosure = cbor2.loads(payload)
    assert cbor2.dumps(disclosure["record"]) == record.to_bytes()
    assert disclosure["subject"] == {
        "name": w.subject.name,
        "date_of_birth": w.subject.date_of_birth,
    }
    assert disclosure["notice"].startswith("42 CFR part 2")
    # And it is the very signed message divex releases as evidence.
    got = divex.open_disclosure(sealed.envelope(), court, w.directory, now=T0)
    assert got.signed() == inner


def test_divex_opens_a_cose_encrypt_made_by_python_cwt(interop_world: World) -> None:
    court = interop_world.key("superior-court")
    pair = court.encryption_key_pair()
    kid = court.encryption_key_id()
    for external_aad in [b"", b"case CR-2026-001234"]:
        recipient = Recipient.new(
            protected={1: HPKE_4_KE, 4: kid},
            recipient_key=x25519_public_key(court.encryption_public_key(), kid),
        )
        cek = COSEKey.generate_symmetric_key(alg="ChaCha20/Poly1305")
        encoded = COSE.new().encode_and_encrypt(
            b"attendance: present",
            cek,
            protected={1: CHACHA20_POLY1305},
            recipients=[recipient],
            external_aad=external_aad,
        )
        assert (
            divex.hpke_decrypt(encoded, pair, kid, external_aad=external_aad)
            == b"attendance: present"
        )
        with pytest.raises(divex.EnvelopeError) as e:
            divex.hpke_decrypt(encoded, pair, kid, external_aad=external_aad + b"!")
        assert e.value.code == "decrypt"
        # Another agency's key cannot unwrap the content key.
        with pytest.raises(divex.EnvelopeError) as e:
            divex.hpke_decrypt(
                encoded,
                interop_world.key("probation").encryption_key_pair(),
                kid,
                external_aad=external_aad,
            )
        assert e.value.code == "key_unwrap"


def test_divex_encryption_layer_and_python_cwt_hpke_parameters(
    interop_world: World, court_secret: bytes
) -> None:
    court = interop_world.key("superior-court")
    kid = court.encryption_key_id()
    # divex → python-cwt.
    encrypted = divex.hpke_encrypt(court.encryption_public_key(), b"drug test: negative", b"aad")
    key = x25519_private_key(court.encryption_public_key(), court_secret[32:], kid)
    assert COSE.new().decode(encrypted, key, external_aad=b"aad") == b"drug test: negative"
    # python-cwt → divex with the draft's optional recipient_extra_info and HPKE aad.
    recipient = Recipient.new(
        protected={1: HPKE_4_KE, 4: kid},
        recipient_key=x25519_public_key(court.encryption_public_key(), kid),
        extra_info=b"external-info",
        hpke_aad=b"external-hpke-aad",
    )
    cek = COSEKey.generate_symmetric_key(alg="ChaCha20/Poly1305")
    encoded = COSE.new().encode_and_encrypt(
        b"payload", cek, protected={1: CHACHA20_POLY1305}, recipients=[recipient]
    )
    assert (
        divex.hpke_decrypt(
            encoded,
            court.encryption_key_pair(),
            kid,
            extra_info=b"external-info",
            hpke_aad=b"external-hpke-aad",
        )
        == b"payload"
    )
    with pytest.raises(divex.EnvelopeError) as e:
        divex.hpke_decrypt(encoded, court.encryption_key_pair(), kid)
    assert e.value.code == "key_unwrap"
