"""Profile ``core``: idempotency across signatures, unary and stream calls (docs/spec.md 5.4, 10).

REQ-IDEM-002 keys a resubmission on the caller and the request id and compares the payload
type and the payload bytes, not the envelope: the signature does not cover the request id
and ECDSA signatures differ each time they are made, so a sender that re-signs the same
payload (or signs it with another of its keys) is resubmitting the same document. The
lookup is step 3 of section 5.4, before the signatures (step 5) and the lifecycle rules
(step 9), so the original receipt comes back byte for byte even when the new signature is
broken or the document's state change is no longer allowed (a status change resubmitted
after it cancelled its CO). A different payload under the same id is ``DUPLICATE_CONFLICT``
(REQ-IDEM-003).

The same holds whichever call carries the documents (REQ-PUSH-005: a stream answers each
request as ``SubmitDocument`` would): unary then stream, stream then unary, and two
requests with one id inside one stream. After each resubmission the stored document is the
first one, bytes and feed position unchanged (REQ-GET-001).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import pytest

from conformance import envelopes
from conformance.client import Refusal, Target, refusal_from_status
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_error_format,
    assert_read_back,
    assert_refused,
    signed_submission,
    verify_receipt,
)
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate
from conformance.strategies import CodeLists, reference_of, status_change
from wco.eco.v1 import envelope_pb2, exchange_service_pb2, lifecycle_pb2

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
KINDS: Final = ("certificate", "status-change")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _first(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, kind: str
) -> tuple[Submission, bytes]:
    """Submit a fresh document of ``kind`` as XA; return it and its receipt bytes."""
    authority = suite_pki.country(XA).authority
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    issued = signed_submission(co.SerializeToString(), authority, caller=XA)
    outcome = target.submit(XA, issued.request)
    assert_accepted(target, issued, outcome, now=_now(), rule="REQ-PUSH-001")
    if kind == "certificate":
        assert outcome.response is not None
        return issued, outcome.response.receipt.SerializeToString()
    change = status_change(reference_of(co), lifecycle_pb2.ISSUER_STATE_CANCELLED, effective=_now())
    submission = signed_submission(
        change.SerializeToString(),
        authority,
        caller=XA,
        payload_type=envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
    )
    answer = target.submit(XA, submission.request)
    assert_accepted(target, submission, answer, now=_now(), rule="REQ-LC-002")
    assert answer.response is not None
    return submission, answer.response.receipt.SerializeToString()


def _resigned(pki: SuitePki, envelope: envelope_pb2.Envelope) -> envelope_pb2.Envelope:
    return envelopes.sign_envelope(
        envelope.payload_type, envelope.payload, [pki.country(XA).authority]
    )


#: How the resubmitted envelope differs from the first one; the payload stays the same.
RESIGNINGS: Final[
    Mapping[str, Callable[[SuitePki, envelope_pb2.Envelope], envelope_pb2.Envelope]]
] = {
    "same-envelope": lambda _pki, envelope: envelope,
    "re-signed-same-key": _resigned,
    "signed-with-another-key-of-the-authority": lambda pki, envelope: envelopes.sign_envelope(
        envelope.payload_type, envelope.payload, [pki.negative_signers["ed25519-signer"]]
    ),
    "re-signed-twice": lambda pki, envelope: envelopes.sign_envelope(
        envelope.payload_type,
        envelope.payload,
        [pki.country(XA).authority, pki.country(XA).authority],
    ),
    # Step 3 comes before step 5: the stored document answers before any signature is checked.
    "broken-signature": lambda pki, envelope: envelopes.corrupt_signature(_resigned(pki, envelope)),
}


def _again(first: Submission, envelope: envelope_pb2.Envelope) -> Submission:
    return Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=first.request_id, envelope=envelope
        ),
        caller=first.caller,
    )


def _assert_unchanged(target: Target, first: Submission, receipt: bytes, rule: str) -> None:
    """The stored document is still the first one, at its feed position (REQ-IDEM-002)."""
    stored = assert_read_back(target, first)
    sequence = envelope_pb2.Receipt.FromString(
        envelope_pb2.Envelope.FromString(receipt).payload
    ).sequence
    assert stored.sequence == sequence, (
        f"{rule}: the document moved in the feed ({sequence} -> {stored.sequence})"
    )


def _stream(
    target: Target, submissions: Sequence[Submission]
) -> list[exchange_service_pb2.SubmitDocumentStreamResponse]:
    responses, refusal = target.submit_stream(
        XA,
        [
            exchange_service_pb2.SubmitDocumentStreamRequest(
                request_id=s.request_id, envelope=s.envelope
            )
            for s in submissions
        ],
    )
    assert refusal is None, f"REQ-PUSH-005: stream ended with {refusal.summary()}"
    assert len(responses) == len(submissions), (
        f"REQ-PUSH-005: {len(responses)} responses for {len(submissions)} requests"
    )
    for index, (sub, response) in enumerate(zip(submissions, responses, strict=True)):
        assert response.request_id == sub.request_id, f"REQ-PUSH-005: response {index} order"
    return responses


def _stream_receipt(
    response: exchange_service_pb2.SubmitDocumentStreamResponse, rule: str
) -> bytes:
    assert response.WhichOneof("result") == "receipt", (
        f"{rule}: expected the original receipt, "
        f"got {refusal_from_status(response.error).summary()}"
    )
    return response.receipt.SerializeToString()


def _stream_refusal(
    response: exchange_service_pb2.SubmitDocumentStreamResponse, rule: str
) -> Refusal:
    assert response.WhichOneof("result") == "error", f"{rule}: expected a refusal, got a receipt"
    refusal = refusal_from_status(response.error)
    assert (refusal.code.name, refusal.reason) == ("ALREADY_EXISTS", "DUPLICATE_CONFLICT"), (
        f"{rule}: expected ALREADY_EXISTS DUPLICATE_CONFLICT, got {refusal.summary()}"
    )
    assert_error_format(refusal)
    return refusal


def _other_payload(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, first: Submission
) -> envelope_pb2.Envelope:
    other = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    return envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE,
        other.SerializeToString(),
        [suite_pki.country(XA).authority],
    )


@pytest.mark.requirement("REQ-IDEM-002", "REQ-GET-001")
@pytest.mark.parametrize("resigning", sorted(RESIGNINGS))
@pytest.mark.parametrize("kind", KINDS)
def test_same_payload_under_the_same_id_returns_the_original_receipt(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, kind: str, resigning: str
) -> None:
    """Same id and payload, whatever the signatures: the original receipt, nothing stored."""
    first, receipt = _first(target, suite_pki, code_lists, kind)
    envelope = RESIGNINGS[resigning](suite_pki, first.envelope)
    if resigning != "same-envelope":
        assert envelope.SerializeToString() != first.envelope.SerializeToString()
    rule = f"REQ-IDEM-002 ({kind}, {resigning})"
    again = target.submit(XA, _again(first, envelope).request)
    assert again.response is not None, (
        f"{rule}: the payload type and payload are those stored under this id, so the node "
        f"must return the original receipt; got {again.summary()}"
    )
    assert again.response.receipt.SerializeToString() == receipt, (
        f"{rule}: the resubmission got another receipt than the original"
    )
    _assert_unchanged(target, first, receipt, rule)


@pytest.mark.requirement("REQ-IDEM-002", "REQ-PUSH-005", "REQ-GET-001")
@pytest.mark.parametrize("resigning", ["same-envelope", "re-signed-same-key"])
@pytest.mark.parametrize("kind", KINDS)
def test_unary_then_stream_with_the_same_id(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, kind: str, resigning: str
) -> None:
    """A document stored by SubmitDocument, resent in a stream: the original receipt."""
    first, receipt = _first(target, suite_pki, code_lists, kind)
    again = _again(first, RESIGNINGS[resigning](suite_pki, first.envelope))
    rule = f"REQ-IDEM-002/REQ-PUSH-005 unary then stream ({kind}, {resigning})"
    (response,) = _stream(target, [again])
    assert _stream_receipt(response, rule) == receipt, f"{rule}: another receipt than the original"
    _assert_unchanged(target, first, receipt, rule)


@pytest.mark.requirement("REQ-IDEM-002", "REQ-PUSH-005", "REQ-GET-001")
@pytest.mark.parametrize("resigning", ["same-envelope", "re-signed-same-key"])
def test_stream_then_unary_with_the_same_id(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, resigning: str
) -> None:
    """A document stored through a stream, resent by SubmitDocument: the original receipt."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    first = signed_submission(co.SerializeToString(), suite_pki.country(XA).authority, caller=XA)
    rule = f"REQ-IDEM-002/REQ-PUSH-005 stream then unary ({resigning})"
    (response,) = _stream(target, [first])
    receipt = _stream_receipt(response, rule)
    verify_receipt(target, first, response.receipt, now=_now())
    again = target.submit(
        XA, _again(first, RESIGNINGS[resigning](suite_pki, first.envelope)).request
    )
    assert again.response is not None, f"{rule}: resubmission refused {again.summary()}"
    assert again.response.receipt.SerializeToString() == receipt, (
        f"{rule}: another receipt than the original"
    )
    _assert_unchanged(target, first, receipt, rule)


@pytest.mark.requirement("REQ-IDEM-002", "REQ-IDEM-003", "REQ-PUSH-005", "REQ-PUSH-002")
@pytest.mark.parametrize("second", ["same-envelope", "re-signed-same-key", "other-payload"])
def test_one_request_id_twice_in_one_stream(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, second: str
) -> None:
    """Two requests with one id in one stream: as if sent one after the other."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    first = signed_submission(co.SerializeToString(), suite_pki.country(XA).authority, caller=XA)
    envelope = (
        _other_payload(target, suite_pki, code_lists, first)
        if second == "other-payload"
        else RESIGNINGS[second](suite_pki, first.envelope)
    )
    rule = f"REQ-IDEM-002/003 within one stream ({second})"
    responses = _stream(target, [first, _again(first, envelope)])
    receipt = _stream_receipt(responses[0], rule + ", first request")
    verify_receipt(target, first, responses[0].receipt, now=_now())
    if second == "other-payload":
        _stream_refusal(responses[1], rule)
    else:
        assert _stream_receipt(responses[1], rule) == receipt, (
            f"{rule}: the second request got another receipt than the first"
        )
    _assert_unchanged(target, first, receipt, rule)


@pytest.mark.requirement("REQ-IDEM-003", "REQ-PUSH-005", "REQ-PUSH-002")
@pytest.mark.parametrize("order", ["unary-then-stream", "stream-then-unary"])
def test_conflict_across_unary_and_stream(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, order: str
) -> None:
    """Another payload under a stored id is DUPLICATE_CONFLICT, whichever call stored it."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    first = signed_submission(co.SerializeToString(), suite_pki.country(XA).authority, caller=XA)
    other = _again(first, _other_payload(target, suite_pki, code_lists, first))
    rule = f"REQ-IDEM-003 ({order})"
    if order == "unary-then-stream":
        outcome = target.submit(XA, first.request)
        assert_accepted(target, first, outcome, now=_now(), rule=rule)
        assert outcome.response is not None
        receipt = outcome.response.receipt.SerializeToString()
        (response,) = _stream(target, [other])
        _stream_refusal(response, rule)
    else:
        (response,) = _stream(target, [first])
        receipt = _stream_receipt(response, rule)
        assert_refused(
            target.submit(XA, other.request),
            code="ALREADY_EXISTS",
            reason="DUPLICATE_CONFLICT",
            rule=rule,
        )
    _assert_unchanged(target, first, receipt, rule)


#: Payload type of each document kind the cases store or resubmit under.
PAYLOAD_TYPES: Final[Mapping[str, str]] = {
    "certificate": envelopes.PAYLOAD_TYPE_CERTIFICATE,
    "import-outcome": envelopes.PAYLOAD_TYPE_IMPORT_OUTCOME,
    "status-change": envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
}


@pytest.mark.obligation("idempotency", "exact")
@pytest.mark.requirement("REQ-IDEM-003", "REQ-PUSH-002", "REQ-GET-001")
@pytest.mark.parametrize(
    ("stored", "resubmitted"),
    [
        ("certificate", "status-change"),
        ("certificate", "import-outcome"),
        ("status-change", "certificate"),
        ("status-change", "import-outcome"),
    ],
)
def test_same_bytes_under_another_payload_type(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, stored: str, resubmitted: str
) -> None:
    """The stored payload bytes under another payload type and the same id: DUPLICATE_CONFLICT.

    REQ-IDEM-003 compares the payload type as well as the bytes. Both orders are tried: a type
    named after the stored one (certificate, then status-change) and one named before it
    (status-change, then certificate or import-outcome), so a comparison that orders the
    types instead of testing them for equality is seen either way. Step 3 of section 5.4
    comes before the payload type is parsed, so the bytes need not parse as the new type.
    """
    first, receipt = _first(target, suite_pki, code_lists, stored)
    envelope = envelopes.sign_envelope(
        PAYLOAD_TYPES[resubmitted], first.envelope.payload, [suite_pki.country(XA).authority]
    )
    assert envelope.payload == first.envelope.payload
    rule = f"REQ-IDEM-003 ({stored} stored, the same bytes as {resubmitted})"
    assert_refused(
        target.submit(XA, _again(first, envelope).request),
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        rule=rule,
    )
    _assert_unchanged(target, first, receipt, rule)
