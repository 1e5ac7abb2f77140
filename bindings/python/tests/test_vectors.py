"""Every spec vector (spec/vectors/*) through the Python package, each giving the outcome its
``expect`` names: the envelope vectors through the envelope layer, the directory, consent and
record vectors through the verifiers. The draft-ietf-cose-hpke HPKE-4-KE vectors (shared
vectors, when present) through the COSE-HPKE layer."""

from __future__ import annotations

import json
import pathlib
import re

import cbor2
import pytest

import divex
from conftest import SPEC_VECTORS, shared_vectors


def _files(folder: str) -> list[pathlib.Path]:
    files = sorted((SPEC_VECTORS / folder).glob("*.json"))
    assert files, f"no vectors in spec/vectors/{folder}"
    return files


def _load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text())


def _outcome(run) -> tuple[str, object]:
    try:
        return "ok", run()
    except divex.InternalError:
        raise
    except divex.DivexError as e:
        return e.code, e


def _open_envelope_vector(v: dict, me: divex.AgencyKeys) -> divex.OpenedEnvelope:
    known = [
        divex.KnownSender(
            agency_id=s["agency_id"],
            signing_public_key=bytes.fromhex(s["signing_key"]),
            untrusted=s.get("untrusted"),
        )
        for s in v["senders"]
    ]
    return divex.open_envelope(
        bytes.fromhex(v["envelope"]),
        me,
        known,
        v["now"],
        seen_envelope_ids=[bytes.fromhex(s) for s in v["seen"]],
        max_envelope_bytes=v.get("max_envelope_bytes"),
    )


@pytest.mark.parametrize("path", _files("envelope"), ids=lambda p: p.stem)
def test_envelope_vector(path: pathlib.Path) -> None:
    v = _load(path)
    me = divex.AgencyKeys.from_secret_bytes_test_vectors_only(bytes.fromhex(v["recipient_secret"]))
    code, got = _outcome(lambda: _open_envelope_vector(v, me))
    assert code == v["expect"], f"{v['scenario']}: {got}"
    if code == "ok":
        assert got.payload.hex() == v["payload"]
        assert got.metadata.envelope_id.hex() == v["envelope_id"]
        assert got.sender_agency_id == v["sender"]
        m, want = got.metadata, v["metadata"]
        released = {
            "issued_at": m.issued_at,
            "audience": [k.hex() for k in m.audience],
            "purpose": m.purpose,
            "consent_id": m.consent_id,
            "consent_digest": m.consent_digest.hex(),
            "record_type": m.record_type.name.lower(),
            "labels": list(m.labels),
            "notice": m.notice,
            "redacted": list(m.redacted),
        }
        # Profile v2 (spec/envelope.md §15): the vector states the ledger head exactly when
        # the envelope carries one.
        if m.ledger_head is not None:
            released["ledger_head"] = {"seq": m.ledger_head.seq, "hash": m.ledger_head.hash.hex()}
        assert released == want, v["scenario"]


def _anchored(v: dict) -> divex.Directory:
    d = divex.Directory()
    for a in v.get("anchors", []):
        d.add_anchor(bytes.fromhex(a))
    for r in v.get("revocations", []):
        d.add_revocation(bytes.fromhex(r))
    return d


def _run_domain(v: dict) -> str | None:
    data = bytes.fromhex(v["input"])
    kind = v["kind"]
    now = v.get("now")
    if kind == "certificate":
        d = _anchored(v)
        d.add_certificate(data)
        divex.certificate_info(data)
        return d.check_certificate(data, now).agency_id
    if kind == "certificate_revocation":
        return _anchored(v).add_revocation(data).serial.hex()
    if kind in ("directory", "directory_snapshot"):
        if v.get("anchors"):
            d = _anchored(v)
            d.merge(data)
        else:
            d = divex.Directory.from_bytes(data)
        counts = (
            f"{len(d.anchors())} anchors, {len(d.certificates())} certificates, "
            f"{len(d.revocations())} revocations"
        )
        if kind == "directory":
            return counts
        (snapshot,) = d.snapshots()
        d.check_fresh(snapshot.anchor_key_id, now)
        return f"{counts}, sequence {snapshot.sequence}"
    context = (
        divex.Directory.from_bytes(bytes.fromhex(v["directory"])) if "directory" in v else None
    )
    if kind == "consent":
        info = divex.verify_consent(data, context, now)
        assert info.consent == data
        return info.id
    if kind == "consent_revocation":
        r = divex.verify_consent_revocation(data, bytes.fromhex(v["consent"]), context, now)
        return r.recorded_by or "patient_signer"
    if kind == "case_event":
        return divex.verify_case_event(data, context, now).signer_agency_id
    if kind == "record":
        record_type = divex.parse_record_type(v["record_type"])
        r = divex.Record.from_bytes(record_type, data)
        assert r.record_type() == record_type and r.to_bytes() == data
        assert divex.Record.of(r.typed()) == r, "typed round trip"
        return None
    raise AssertionError(f"unknown kind {kind}")


DOMAIN = [p for folder in ("directory", "consent", "records") for p in _files(folder)]


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_domain_vector(path: pathlib.Path) -> None:
    v = _load(path)
    code, got = _outcome(lambda: _run_domain(v))
    assert code == v["expect"], f"{v['scenario']}: {got}"
    if code == "ok":
        assert got == v.get("result")


def test_vector_counts() -> None:
    assert len(_files("envelope")) >= 60
    assert len(DOMAIN) >= 97


def _cose_hpke_vectors() -> list[tuple[str, bytes, bytes, dict[str, bytes]]]:
    root = shared_vectors()
    if root is None:
        return []
    text = (root / "cose-hpke" / "testvectors.txt").read_text()
    key = re.search(r"HPKE-4-KE COSE_Key:: ([0-9a-f]+)", text)
    assert key, "HPKE-4-KE COSE_Key"
    out = []
    for m in re.finditer(
        r"HPKE-4-KE with (default|external) aad, (default|external) info, (default|external) hpke aad\s+"
        r"Ciphertext: ([0-9a-f]+)",
        text,
    ):
        aad, info, hpke_aad, ct = m.groups()
        params = {
            "external_aad": b"external-aad" if aad == "external" else b"",
            "extra_info": b"external-info" if info == "external" else b"",
            "hpke_aad": b"external-hpke-aad" if hpke_aad == "external" else b"",
        }
        out.append(
            (m.group(0).splitlines()[0], bytes.fromhex(key.group(1)), bytes.fromhex(ct), params)
        )
    return out


@pytest.mark.skipif(shared_vectors() is None, reason="shared vectors not present")
def test_draft_cose_hpke_vectors_open() -> None:
    vectors = _cose_hpke_vectors()
    assert len(vectors) == 8
    for name, cose_key, ct, params in vectors:
        k = cbor2.loads(cose_key)
        pair = divex.EncryptionKeyPair.from_secret_bytes_test_vectors_only(k[-4])
        assert pair.public_key() == k[-2], name
        assert divex.hpke_decrypt(ct, pair, kid=k[2], **params) == b"hpke test payload", name
        # Any other parameter set must fail.
        wrong = dict(params, hpke_aad=params["hpke_aad"] + b"x")
        with pytest.raises(divex.EnvelopeError):
            divex.hpke_decrypt(ct, pair, kid=k[2], **wrong)
