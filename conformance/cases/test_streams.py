"""Refusals inside a submission stream, one document at a time (profile ``core``).

docs/spec.md REQ-PUSH-005: in ``SubmitDocumentStream`` every request gets exactly one
response, in request order, carrying the receipt or the ``google.rpc.Status`` that
``SubmitDocument`` would have returned, and a refusal does not end the stream. Each case
sends a stream of three documents, a good one, one that breaks exactly one rule, and another
good one: both good documents must be receipted and readable, and the bad one refused with
the spec's code, exactly one ``ErrorInfo`` with its reason and domain (and a ``BadRequest``
for field rules), judged as a unary refusal is (REQ-ERR-001/002), with nothing stored
(REQ-PUSH-002).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import pytest

from conformance import envelopes
from conformance.client import Outcome, Target, refusal_from_status
from conformance.judge import (
    Submission,
    assert_not_readable,
    assert_read_back,
    assert_refused,
    new_request_id,
    signed_submission,
    verify_receipt,
)
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate
from conformance.strategies import CodeLists, reference_of
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2, node_service_pb2

pytestmark = [pytest.mark.profile("core")]

XA: Final = "XA"
CO = certificate_pb2.CertificateOfOrigin


@dataclass(frozen=True, kw_only=True)
class BadDocument:
    """The refused member of a stream and what must not become readable.

    Attributes:
        submission: The request as sent in the stream.
        certificate: A certificate reference that must stay unknown, or None.
        request_id_unused: Whether the request id must stay unknown (False when it is
            not a valid id, or is the id of an earlier, stored document).
    """

    submission: Submission
    certificate: certificate_pb2.CertificateReference | None
    request_id_unused: bool = True


@dataclass(frozen=True, kw_only=True)
class StreamCase:
    """One rule broken by the middle document of a stream.

    Attributes:
        code: Expected gRPC code name.
        reason: Expected ErrorInfo reason.
        requirements: Requirement ids of the rule.
        build: Builds the bad document from the suite PKI, a fresh CO and the first good
            submission of the stream.
        fields: BadRequest paths of which one must be named (field rules only).
    """

    code: str
    reason: str
    requirements: tuple[str, ...]
    build: Callable[[SuitePki, CO, Submission], BadDocument]
    fields: tuple[str, ...] = ()


def _as_bad(envelope: envelope_pb2.Envelope, co: CO, *, request_id: str = "") -> BadDocument:
    submission = Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=request_id or new_request_id(), envelope=envelope
        ),
        caller=XA,
    )
    return BadDocument(submission=submission, certificate=reference_of(co))


def _sign(
    pki: SuitePki, co: CO, *, payload_type: str = envelopes.PAYLOAD_TYPE_CERTIFICATE
) -> envelope_pb2.Envelope:
    return envelopes.sign_envelope(
        payload_type, co.SerializeToString(), [pki.country(XA).authority]
    )


def _corrupted_signature(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    return _as_bad(envelopes.corrupt_signature(_sign(pki, co)), co)


def _unknown_payload_type(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    return _as_bad(_sign(pki, co, payload_type="application/vnd.wco.eco.invoice.v1+protobuf"), co)


def _malformed_payload(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    envelope = envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE, b"\xff\xff\xff\xff\x0f", [pki.country(XA).authority]
    )
    return _as_bad(envelope, co)


def _expired_signer(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    envelope = envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE,
        co.SerializeToString(),
        [pki.negative_signers["expired-signer"]],
    )
    return _as_bad(envelope, co)


def _other_country_authority(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    envelope = envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE, co.SerializeToString(), [pki.country("XC").authority]
    )
    return _as_bad(envelope, co)


def _recipient_not_the_node(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    co.importing_country = "XC"
    co.consignee.address.country = "XC"
    return _as_bad(_sign(pki, co), co)


def _missing_exporter_name(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    co.exporter.ClearField("name")
    return _as_bad(_sign(pki, co), co)


def _request_id_invalid(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    bad = _as_bad(_sign(pki, co), co, request_id="not-a-uuid")
    return BadDocument(
        submission=bad.submission, certificate=bad.certificate, request_id_unused=False
    )


def _request_id_of_first_other_bytes(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    bad = _as_bad(_sign(pki, co), co, request_id=first.request_id)
    return BadDocument(
        submission=bad.submission, certificate=bad.certificate, request_id_unused=False
    )


def _number_of_first(pki: SuitePki, co: CO, first: Submission) -> BadDocument:
    held = CO.FromString(first.envelope.payload)
    held.remarks = "the same number again"
    bad = _as_bad(_sign(pki, held), held)
    return BadDocument(submission=bad.submission, certificate=None)


STREAM_CASES: Final[dict[str, StreamCase]] = {
    "corrupted-signature": StreamCase(
        code="INVALID_ARGUMENT",
        reason="SIGNATURE_INVALID",
        requirements=("REQ-SIG-005",),
        build=_corrupted_signature,
    ),
    "unknown-payload-type": StreamCase(
        code="INVALID_ARGUMENT",
        reason="PAYLOAD_TYPE_UNSUPPORTED",
        requirements=("REQ-SIG-001",),
        build=_unknown_payload_type,
    ),
    "malformed-payload": StreamCase(
        code="INVALID_ARGUMENT",
        reason="PAYLOAD_MALFORMED",
        requirements=("REQ-CO-001",),
        build=_malformed_payload,
    ),
    "expired-signer": StreamCase(
        code="PERMISSION_DENIED",
        reason="SIGNER_EXPIRED",
        requirements=("REQ-PKI-003",),
        build=_expired_signer,
    ),
    "other-country-authority": StreamCase(
        code="PERMISSION_DENIED",
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-AUTH-001",),
        build=_other_country_authority,
    ),
    "recipient-not-the-node": StreamCase(
        code="PERMISSION_DENIED",
        reason="SENDER_MISMATCH",
        requirements=("REQ-AUTH-004",),
        build=_recipient_not_the_node,
    ),
    "missing-exporter-name": StreamCase(
        code="INVALID_ARGUMENT",
        reason="FIELD_MISSING",
        requirements=("REQ-CO-002",),
        build=_missing_exporter_name,
        fields=("exporter.name",),
    ),
    "request-id-invalid": StreamCase(
        code="INVALID_ARGUMENT",
        reason="REQUEST_ID_INVALID",
        requirements=("REQ-IDEM-001",),
        build=_request_id_invalid,
    ),
    "request-id-of-first-other-bytes": StreamCase(
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        requirements=("REQ-IDEM-003",),
        build=_request_id_of_first_other_bytes,
    ),
    "number-of-first": StreamCase(
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        requirements=("REQ-IDEM-004",),
        build=_number_of_first,
    ),
}


@pytest.mark.exercises("REQ-PUSH-002")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.requirement(
                "REQ-PUSH-005", "REQ-ERR-001", "REQ-ERR-002", *STREAM_CASES[name].requirements
            ),
        )
        for name in sorted(STREAM_CASES)
    ],
)
def test_stream_refuses_the_bad_document_and_receipts_the_others(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """Good, bad, good in one stream: two receipts, and the spec's refusal for the middle one."""
    case = STREAM_CASES[name]
    ctx = context_for(suite_pki, target, XA, code_lists)
    authority = suite_pki.country(XA).authority
    first = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    bad = case.build(suite_pki, minimal_certificate(ctx), first)
    last = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    batch = [first, bad.submission, last]
    responses, ended = target.submit_stream(
        XA,
        [
            exchange_service_pb2.SubmitDocumentStreamRequest(
                request_id=s.request_id, envelope=s.envelope
            )
            for s in batch
        ],
    )
    rule = f"REQ-PUSH-005 {name}"
    assert ended is None, f"{rule}: the stream ended with {ended.summary()}"
    assert len(responses) == len(batch), f"{rule}: {len(responses)} responses to 3 requests"
    for index, (sub, response) in enumerate(zip(batch, responses, strict=True)):
        assert response.request_id == sub.request_id, (
            f"{rule}: response {index} answers {response.request_id!r}, not {sub.request_id!r}"
        )
    now = dt.datetime.now(dt.UTC)
    for index in (0, 2):
        response = responses[index]
        refused = refusal_from_status(response.error).summary()
        assert response.WhichOneof("result") == "receipt", (
            f"{rule}: good document {index} refused: {refused}"
        )
        verify_receipt(target, batch[index], response.receipt, now=now)
        assert_read_back(target, batch[index])
    middle = responses[1]
    refusal = (
        Outcome(refusal=refusal_from_status(middle.error))
        if middle.WhichOneof("result") == "error"
        else Outcome(response=middle)
    )
    assert_refused(
        refusal,
        code=case.code,
        reason=case.reason,
        rule=f"{rule} (stream response 1)",
        fields=case.fields,
    )
    assert_not_readable(
        target,
        caller=XA,
        request_id=bad.submission.request_id if bad.request_id_unused else None,
        certificate=bad.certificate,
        rule=f"REQ-PUSH-002 {name} (refused in a stream)",
    )


#: Most requests the stream-length case sends (the published limit plus one); a node that
#: publishes more is not tried, since the stream would take too long to send and judge.
STREAM_LENGTH_CEILING: Final = 10_001


def _cheap_requests(count: int) -> list[exchange_service_pb2.SubmitDocumentStreamRequest]:
    """Requests refused at step 2 of section 5.4 (request id missing): nothing to verify."""
    return [exchange_service_pb2.SubmitDocumentStreamRequest() for _ in range(count)]


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-LIM-001", "REQ-PUSH-005", "REQ-ERR-001", "REQ-ERR-002")
def test_stream_of_the_published_length_and_one_more(
    target: Target, node_info: node_service_pb2.NodeInfo
) -> None:
    """``max_stream_documents`` requests are each answered; the one after is MESSAGE_TOO_LARGE.

    REQ-LIM-001: a batch larger than the published limit is refused RESOURCE_EXHAUSTED
    ``MESSAGE_TOO_LARGE``; up to the limit every request gets its own answer (REQ-PUSH-005).
    The requests carry no request id, so each one within the limit is INVALID_ARGUMENT
    ``REQUEST_ID_INVALID`` at step 2 (request id and size limits), cheap to answer.
    """
    limit = node_info.limits.max_stream_documents
    if limit + 1 > STREAM_LENGTH_CEILING:
        pytest.skip(
            f"the node publishes max_stream_documents = {limit}; the suite sends at most "
            f"{STREAM_LENGTH_CEILING} requests in one stream, so the limit is not tried"
        )
    responses, ended = target.submit_stream(XA, _cheap_requests(limit + 1))
    rule = f"REQ-LIM-001/REQ-PUSH-005 (max_stream_documents = {limit})"
    assert ended is None, f"{rule}: the stream ended with {ended.summary()}"
    assert len(responses) == limit + 1, (
        f"{rule}: {len(responses)} responses to {limit + 1} requests"
    )
    for index, response in enumerate(responses):
        expected = (
            ("RESOURCE_EXHAUSTED", "MESSAGE_TOO_LARGE")
            if index == limit
            else ("INVALID_ARGUMENT", "REQUEST_ID_INVALID")
        )
        assert response.WhichOneof("result") == "error", (
            f"{rule}: request {index + 1} (no request id) got a receipt"
        )
        refusal = refusal_from_status(response.error)
        if (refusal.code.name, refusal.reason) != expected:
            assert_refused(
                Outcome(refusal=refusal),
                code=expected[0],
                reason=expected[1],
                rule=f"{rule}, request {index + 1} of {limit + 1}",
            )
    assert_refused(
        Outcome(refusal=refusal_from_status(responses[-1].error)),
        code="RESOURCE_EXHAUSTED",
        reason="MESSAGE_TOO_LARGE",
        rule=f"{rule}, request {limit + 1}",
    )
