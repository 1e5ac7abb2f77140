"""divex through its Python bindings against python-cwt, and against the same facade functions
called from Rust (BENCHMARKS.md, "Python"; run by ``scripts/bench.sh``).

The job is the issue's: sign-then-encrypt 1 KiB to one recipient, and decrypt-then-verify.

* **divex** seals a 1 KiB progress report with :func:`divex.seal_disclosure` (consent engine,
  record validation, Ed25519 ``COSE_Sign1`` inside a ``COSE_Encrypt`` with one COSE-HPKE
  recipient) and opens it with :func:`divex.open_disclosure` (every envelope check and the
  consent engine) and with :func:`divex.open_envelope` (the envelope layer alone).
* **python-cwt** (3.x, an independent COSE implementation whose COSE-HPKE follows the same
  draft) signs the very payload divex signed with Ed25519 (``COSE_Sign1``, alg -19) and
  encrypts the result with ChaCha20-Poly1305 under a fresh content key wrapped for one
  HPKE-4-KE recipient; open decrypts and verifies. python-cwt does no consent check, no
  record validation, no key commitment and no audience or replay check, so divex does
  strictly more work per operation.
* **native**: ``target/divex-bench/ffi-native.json``, written by
  ``cargo bench -p divex-ffi --bench ffi_native``: the same facade functions on the same world
  shape and record, called from Rust. Python ÷ native is the bindings' overhead (the typed
  Python layer, uniffi's marshalling, the interpreter).

The world is the Python tests' own (``tests/conftest.py``, the Rust fixtures' world): certified
agencies, the participant, and the PC 1000 §2.35 consent, referenced rather than attached.

Method, as on the Rust side: each operation is warmed up (60 ms) and calibrated, then timed in
31 batches of ~10 ms, round-robin over the operations, in **thread CPU time**
(``time.thread_time_ns``); the median per-iteration time is reported. Prints a Markdown table
and writes it to ``target/divex-bench/python.md``.
"""

from __future__ import annotations

import json
import os
import pathlib
import platform
import statistics
import sys
import time
import typing

import cbor2
import cwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cwt import COSE, COSEKey, Recipient

import divex

# The tests' world helper is the one place a Python world is built.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from conftest import CJ_PURPOSE, PC1000_ID, T0, World  # noqa: E402

RECORD_SIZE = 1024
BATCHES = 31
BATCH_NS = 10_000_000
WARM_UP_NS = 60_000_000
OKP, X25519_CRV, ED25519_CRV = 1, 4, 6
HPKE_4_KE, CHACHA20_POLY1305, ED25519_ALG = 50, 24, -19

REPO = pathlib.Path(__file__).resolve().parents[3]
OUT = REPO / "target" / "divex-bench"


def progress_report(engagement: str) -> divex.Record:
    return divex.Record.progress_report(
        period_start="2026-09-01",
        period_end="2026-09-15",
        status="compliant",
        engagement=engagement,
        goals_met=3,
        barriers=["transportation"],
        recommended_response="continue",
    )


def record() -> divex.Record:
    """A progress report whose encoding is exactly 1024 bytes, built as the Rust bench does."""
    base = "Attended every group and individual session; "
    short = len(progress_report(base).to_bytes())
    want = len(base) + RECORD_SIZE - short
    filler = "engaged in counselling, goals on track. "
    while True:
        text = (filler * (want // len(filler) + 1))[:want]
        r = progress_report(text)
        size = len(r.to_bytes())
        if size == RECORD_SIZE:
            return r
        want += RECORD_SIZE - size


def raw_keys() -> tuple[COSEKey, COSEKey, COSEKey, COSEKey]:
    """python-cwt's keys: an Ed25519 signer and verifier, an X25519 recipient (public and
    private), from `cryptography`'s generators."""

    def raw(key: typing.Any) -> bytes:
        return key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def pub(key: typing.Any) -> bytes:
        return key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    sk = ed25519.Ed25519PrivateKey.generate()
    xk = x25519.X25519PrivateKey.generate()
    skid, xkid = b"provider-sig-01", b"court-enc-01"
    signer = COSEKey.new(
        {1: OKP, -1: ED25519_CRV, -2: pub(sk), -4: raw(sk), 2: skid, 3: ED25519_ALG}
    )
    verifier = COSEKey.new({1: OKP, -1: ED25519_CRV, -2: pub(sk), 2: skid, 3: ED25519_ALG})
    recipient_pub = COSEKey.new({1: OKP, -1: X25519_CRV, -2: pub(xk), 2: xkid, 3: HPKE_4_KE})
    recipient_priv = COSEKey.new(
        {1: OKP, -1: X25519_CRV, -2: pub(xk), -4: raw(xk), 2: xkid, 3: HPKE_4_KE}
    )
    return signer, verifier, recipient_pub, recipient_priv


def measure(ops: list[tuple[str, typing.Callable[[], object]]]) -> dict[str, float]:
    """Round-robin batches in thread CPU time; median nanoseconds per iteration."""
    clock = time.thread_time_ns
    iters = []
    for _, op in ops:
        start, n = clock(), 0
        while clock() - start < WARM_UP_NS:
            op()
            n += 1
        iters.append(max(1, int(BATCH_NS / ((clock() - start) / n))))
    samples: list[list[float]] = [[] for _ in ops]
    for _ in range(BATCHES):
        for i, (_, op) in enumerate(ops):
            start = clock()
            for _ in range(iters[i]):
                op()
            samples[i].append((clock() - start) / iters[i])
    return {name: statistics.median(s) for (name, _), s in zip(ops, samples)}


def ffi_calls(op: typing.Callable[[], object], runs: int = 50) -> float:
    """Calls into the Rust library per operation (the profile of the bindings' overhead):
    uniffi's generated module makes every call, including buffer allocation, growth and
    release and handle cloning, through ``_uniffi_rust_call_with_error``."""
    import cProfile
    import pstats

    op()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(runs):
        op()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    n = sum(
        v[1]
        for (filename, _, name), v in stats.items()
        if name == "_uniffi_rust_call_with_error" and filename.endswith("divex_ffi.py")
    )
    return n / runs


def us(ns: float) -> str:
    return f"{ns / 1000:.1f} µs"


def main() -> int:
    native_path = OUT / "ffi-native.json"
    if not native_path.exists():
        print(f"{native_path} is missing: run `cargo bench -p divex-ffi --bench ffi_native`")
        return 1
    native = json.loads(native_path.read_text())

    w = World()
    consent = w.pc1000(notice={"form": "short", "attach_consent": False})
    provider_consents, court_consents = w.held(consent), w.held(consent)
    rec = record()
    provider, court = w.key("treatment-provider"), w.key("superior-court")

    def seal() -> divex.SealedDisclosure:
        return divex.seal_disclosure(
            provider,
            w.directory,
            provider_consents,
            rec,
            recipients=["superior-court"],
            subject=w.subject,
            purpose=CJ_PURPOSE,
            consent_id=PC1000_ID,
            consent_copy=divex.ConsentCopy.REFERENCE,
            now=T0,
        )

    envelope = seal().envelope()
    opened = divex.open_disclosure(envelope, court, w.directory, T0, court_consents)
    assert opened.record().to_bytes() == rec.to_bytes()
    senders = [
        divex.KnownSender(
            agency_id="treatment-provider", signing_public_key=provider.signing_public_key()
        )
    ]
    # The plaintext divex signs (disclosure payload: record, subject, notice, consent ref).
    payload = cbor2.loads(opened.signed()).value[2]

    signer, verifier, recipient_pub, recipient_priv = raw_keys()
    ctx = COSE.new()

    def cwt_seal() -> bytes:
        signed = ctx.encode_and_sign(
            payload, signer, protected={1: ED25519_ALG, 4: signer.kid}
        )
        cek = COSEKey.generate_symmetric_key(alg="ChaCha20/Poly1305")
        r = Recipient.new(
            protected={1: HPKE_4_KE, 4: recipient_pub.kid}, recipient_key=recipient_pub
        )
        return ctx.encode_and_encrypt(
            signed, cek, protected={1: CHACHA20_POLY1305}, recipients=[r]
        )

    cwt_envelope = cwt_seal()

    def cwt_open() -> bytes:
        return ctx.decode(ctx.decode(cwt_envelope, recipient_priv), verifier)

    assert cwt_open() == payload

    from divex import _ffi

    medians = measure(
        [
            ("empty call", _ffi.version),
            ("divex seal", seal),
            ("divex open", lambda: divex.open_disclosure(
                envelope, court, w.directory, T0, court_consents
            )),
            ("divex open_envelope", lambda: divex.open_envelope(envelope, court, senders, T0)),
            ("cwt seal", cwt_seal),
            ("cwt open", cwt_open),
        ]
    )

    calls = {
        "divex seal": ffi_calls(seal),
        "divex open": ffi_calls(
            lambda: divex.open_disclosure(envelope, court, w.directory, T0, court_consents)
        ),
        "divex open_envelope": ffi_calls(lambda: divex.open_envelope(envelope, court, senders, T0)),
    }
    rows = [
        ("seal (sign + encrypt)", "divex seal", "cwt seal", "seal_disclosure"),
        ("open (decrypt + verify + consent engine)", "divex open", "cwt open", "open_disclosure"),
        ("open, envelope layer only", "divex open_envelope", "cwt open", "open_envelope"),
    ]
    lines = [
        f"Python {platform.python_version()}, python-cwt {cwt.__version__}, divex "
        f"{divex.__version__ if hasattr(divex, '__version__') else ''} (release build); "
        f"record {RECORD_SIZE} B, signed payload {len(payload)} B, divex envelope "
        f"{len(envelope)} B, python-cwt envelope {len(cwt_envelope)} B; thread CPU time, "
        f"median of {BATCHES} batches.",
        "",
        "| operation | divex via Python | python-cwt | divex throughput ÷ python-cwt "
        "| divex native (Rust) | bindings overhead (Python ÷ native) | calls into Rust |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, ours, theirs, nat in rows:
        lines.append(
            f"| {label} | {us(medians[ours])} | {us(medians[theirs])} "
            f"| {medians[theirs] / medians[ours]:.2f} × | {us(native[nat])} "
            f"| {medians[ours] / native[nat]:.2f} × | {calls[ours]:.0f} |"
        )
    lines += [
        "",
        f"One call into Rust that does nothing (`version()`: one call plus the release of its "
        f"result buffer) costs {us(medians['empty call'])} through the bindings.",
    ]
    table = "\n".join(lines)
    print(table)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "python.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
