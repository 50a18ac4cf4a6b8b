"""Profile ``core``: the encoding of an ECDSA signature (docs/spec.md 5.1, REQ-SIG-007).

Every case signs a valid CO with XA's authority key and then re-encodes the one signature:
the same ``(r, s)`` in another form, or ``(r, n - s)``. Strict DER is the only accepted
form; both ``s`` and ``n - s`` verify, so a signature with a high ``s`` is accepted as well
as one with a low ``s`` (the protocol has no low-S rule). Everything else about the
envelope is left as signed, so a refusal can only come from the signature bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conformance.client import Target
from conformance.judge import (
    assert_accepted,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate
from conformance.strategies import CodeLists, reference_of

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
#: The order of the P-256 group (SEC 2, section 2.4.2).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _integer(value: int, *, pad: bool = False) -> bytes:
    """DER INTEGER of a positive ``value``; ``pad`` adds a superfluous leading zero byte."""
    body = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a sign bit's room
    if len(body) > 1 and body[0] == 0 and body[1] < 0x80:
        body = body[1:]
    if pad:
        body = b"\x00" + body
    return b"\x02" + bytes([len(body)]) + body


def _sequence(content: bytes, *, long_form: bool = False) -> bytes:
    length = len(content)
    assert length < 0x80, "an ECDSA P-256 signature always fits the short form"
    header = b"\x30\x81" + bytes([length]) if long_form else b"\x30" + bytes([length])
    return header + content


def _der(r: int, s: int) -> bytes:
    return _sequence(_integer(r) + _integer(s))


Encoding = Callable[[int, int], bytes]

# name -> (re-encoding of (r, s) with s already the low one, accepted?)
ENCODINGS: dict[str, tuple[Encoding, bool]] = {
    "der-low-s": (_der, True),
    "der-high-s": (lambda r, s: _der(r, P256_ORDER - s), True),
    "long-form-length": (
        lambda r, s: _sequence(_integer(r) + _integer(s), long_form=True),
        False,
    ),
    "padded-integer": (lambda r, s: _sequence(_integer(r, pad=True) + _integer(s)), False),
    "trailing-byte": (lambda r, s: _der(r, s) + b"\x00", False),
    "ieee-p1363": (lambda r, s: r.to_bytes(32, "big") + s.to_bytes(32, "big"), False),
}


@pytest.mark.requirement("REQ-SIG-007", "REQ-SIG-006", "REQ-PUSH-002")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.obligation("accept" if ENCODINGS[n][1] else "refuse"))
        for n in ENCODINGS
    ],
)
def test_ecdsa_signature_encoding(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """One signature over a valid CO, re-encoded: strict DER with either S, nothing else."""
    encode, accepted = ENCODINGS[name]
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission = signed_submission(
        co.SerializeToString(), suite_pki.country(XA).authority, caller=XA
    )
    signature = submission.request.envelope.signatures[0]
    r, s = decode_dss_signature(signature.signature)
    signature.signature = encode(r, min(s, P256_ORDER - s))
    outcome = target.submit(XA, submission.request)
    rule = f"REQ-SIG-007 {name}"
    if accepted:
        assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule=rule)
        return
    assert_refused(outcome, code="INVALID_ARGUMENT", reason="SIGNATURE_INVALID", rule=rule)
    assert_not_readable(
        target, caller=XA, request_id=submission.request_id, certificate=reference_of(co)
    )
