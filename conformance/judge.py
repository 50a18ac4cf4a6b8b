"""How the suite judges what the node under test did (docs/conformance.md "Judging").

Refusals are judged by gRPC code and ``ErrorInfo.reason`` (and domain), never by
message text (REQ-ERR-001, REQ-ERR-002). After a refusal the suite checks
that nothing became readable (REQ-PUSH-002); after an acceptance it verifies
the signed receipt (REQ-PUSH-003) and reads the document back bit-identical
(REQ-GET-001). Every check fails with an ``AssertionError`` whose text names
the rule, the expected and the actual outcome.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from cryptography import x509

from conformance import envelopes
from conformance.client import ERROR_DOMAIN, Outcome, Refusal, Target
from conformance.errors import EnvelopeVerificationError
from conformance.pki import Credential, node_uri
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2

__all__ = [
    "Submission",
    "assert_accepted",
    "assert_error_format",
    "assert_not_readable",
    "assert_refused",
    "new_request_id",
    "signed_submission",
]

_FIELD_REASONS = frozenset({"FIELD_INVALID", "FIELD_MISSING"})


def new_request_id() -> str:
    """Return a fresh canonical UUID request id (REQ-IDEM-001)."""
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class Submission:
    """One submission as the suite sent it."""

    request: exchange_service_pb2.SubmitDocumentRequest
    caller: str

    @property
    def request_id(self) -> str:
        """The request id."""
        return self.request.request_id

    @property
    def envelope(self) -> envelope_pb2.Envelope:
        """The envelope."""
        return self.request.envelope


def signed_submission(
    payload: bytes,
    signer: Credential,
    *,
    caller: str,
    payload_type: str = envelopes.PAYLOAD_TYPE_CERTIFICATE,
    request_id: str | None = None,
) -> Submission:
    """Sign ``payload`` with ``signer`` and wrap it in a SubmitDocumentRequest."""
    envelope = envelopes.sign_envelope(payload_type, payload, [signer])
    return Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=request_id or new_request_id(), envelope=envelope
        ),
        caller=caller,
    )


def assert_error_format(refusal: Refusal) -> None:
    """Check REQ-ERR-001 and REQ-ERR-003 on any refusal.

    Raises:
        AssertionError: The status is INTERNAL/UNKNOWN or lacks its details.
    """
    assert refusal.code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (
        f"REQ-ERR-003: refusal came back as {refusal.code.name} ({refusal.message!r})"
    )
    assert refusal.has_details, (
        f"REQ-ERR-001: {refusal.code.name} refusal carries no grpc-status-details-bin"
    )
    assert not refusal.details_problem, f"REQ-ERR-001: {refusal.details_problem}"
    assert refusal.error_info_count == 1, (
        f"REQ-ERR-001: expected exactly one ErrorInfo, got {refusal.error_info_count}"
    )
    assert refusal.domain == ERROR_DOMAIN, (
        f"REQ-ERR-001: ErrorInfo.domain is {refusal.domain!r}, expected {ERROR_DOMAIN!r}"
    )
    assert not refusal.reason.startswith("ERROR_REASON_"), (
        f"REQ-ERR-001: reason {refusal.reason!r} keeps the ERROR_REASON_ prefix"
    )
    if refusal.reason in _FIELD_REASONS:
        assert refusal.bad_request_count == 1, (
            f"REQ-ERR-001: {refusal.reason} must carry one BadRequest, "
            f"got {refusal.bad_request_count}"
        )
        assert refusal.field_violations, f"REQ-ERR-001: {refusal.reason} lists no field"


def assert_refused(
    outcome: Outcome[Any],
    *,
    code: str,
    reason: str,
    rule: str,
    fields: Sequence[str] = (),
) -> Refusal:
    """Check that a call was refused with exactly ``code`` and ``reason``.

    Args:
        outcome: The call's outcome.
        code: Expected gRPC status code name.
        reason: Expected ErrorInfo reason.
        rule: The requirement ids or rule name, for the failure text.
        fields: BadRequest field paths of which at least one must be named
            (a path matches when one is a prefix of the other).

    Returns:
        The refusal.

    Raises:
        AssertionError: The call succeeded or was refused otherwise.
    """
    broken = f" (broken field: {', '.join(fields)})" if fields else ""
    assert outcome.refusal is not None, (
        f"{rule}: expected {code} {reason}, but the node accepted{broken}"
    )
    refusal = outcome.refusal
    assert (refusal.code.name, refusal.reason) == (code, reason), (
        f"{rule}: expected {code} {reason}, got {refusal.summary()} "
        f"(message: {refusal.message!r}; fields: {sorted(refusal.fields)})"
    )
    assert_error_format(refusal)
    if fields:
        named = refusal.fields
        ok = any(
            n == f or n.startswith((f + ".", f + "[")) or f.startswith((n + ".", n + "["))
            for f in fields
            for n in named
        )
        assert ok, f"{rule}: BadRequest names {sorted(named)}, expected one of {list(fields)}"
    return refusal


def assert_not_readable(
    target: Target,
    *,
    caller: str,
    request_id: str | None,
    certificate: certificate_pb2.CertificateReference | None = None,
    rule: str = "REQ-PUSH-002",
) -> None:
    """Check that nothing was stored: GetDocument and GetCertificateStatus say UNKNOWN_DOCUMENT.

    Args:
        target: The node.
        caller: The country that submitted.
        request_id: The refused request id (None when it was not a valid id).
        certificate: The certificate reference, when no document with that
            reference should exist at all.
        rule: Requirement id(s) for the failure text.
    """
    if request_id is not None:
        outcome = target.get_document(
            caller, exchange_service_pb2.GetDocumentRequest(request_id=request_id)
        )
        assert_refused(
            outcome,
            code="NOT_FOUND",
            reason="UNKNOWN_DOCUMENT",
            rule=f"{rule} (refused, then read)",
        )
    if certificate is not None:
        by_ref = target.get_document(
            caller, exchange_service_pb2.GetDocumentRequest(certificate=certificate)
        )
        assert_refused(
            by_ref,
            code="NOT_FOUND",
            reason="UNKNOWN_DOCUMENT",
            rule=f"{rule} (refused certificate, then read by reference)",
        )
        status = target.get_status(
            caller, exchange_service_pb2.GetCertificateStatusRequest(certificate=certificate)
        )
        assert_refused(
            status,
            code="NOT_FOUND",
            reason="UNKNOWN_DOCUMENT",
            rule=f"{rule} (refused certificate, then GetCertificateStatus)",
        )


def _anchors(target: Target) -> list[x509.Certificate]:
    return list(x509.load_pem_x509_certificates(target.node_trust_anchors_pem))


def verify_receipt(
    target: Target,
    submission: Submission,
    receipt_envelope: envelope_pb2.Envelope,
    *,
    now: dt.datetime,
) -> envelope_pb2.Receipt:
    """Verify a receipt as REQ-PUSH-003/004 require and return its payload.

    Raises:
        AssertionError: The receipt is not signed by the node signer of the
            node's country or its fields do not match the submission.
    """
    try:
        envelopes.verify_envelope(
            receipt_envelope,
            anchors=_anchors(target),
            expected_uri=node_uri(target.node_country),
            now=now,
            expected_payload_type=envelopes.PAYLOAD_TYPE_RECEIPT,
        )
    except EnvelopeVerificationError as exc:
        raise AssertionError(f"REQ-PUSH-003: receipt does not verify: {exc}") from None
    receipt = envelope_pb2.Receipt()
    try:
        receipt.ParseFromString(receipt_envelope.payload)
    except Exception as exc:
        raise AssertionError(f"REQ-PUSH-003: receipt payload does not parse: {exc}") from None
    sent = submission.envelope
    expected = {
        "request_id": submission.request_id,
        "payload_sha256": envelopes.payload_sha256(sent.payload),
        "payload_type": sent.payload_type,
        "receiver_country": target.node_country,
        "sender_country": submission.caller,
    }
    actual = {k: getattr(receipt, k) for k in expected}
    assert actual == expected, f"REQ-PUSH-003: receipt fields {actual} != expected {expected}"
    assert receipt.HasField("received_time"), "REQ-PUSH-003: receipt has no received_time"
    assert receipt.delivery_status in (
        envelope_pb2.DELIVERY_STATUS_DELIVERED,
        envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
    ), f"REQ-PUSH-003: delivery status {envelope_pb2.DeliveryStatus.Name(receipt.delivery_status)}"
    if receipt.delivery_status == envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS:
        assert receipt.findings, "REQ-PUSH-003: DELIVERED_WITH_WARNINGS without findings"
    for finding in receipt.findings:
        assert finding.severity in (
            envelope_pb2.FINDING_SEVERITY_WARNING,
            envelope_pb2.FINDING_SEVERITY_INFO,
        ), f"REQ-PUSH-003: accepted document carries a {finding.severity} finding"
    if sent.payload_type == envelopes.PAYLOAD_TYPE_CERTIFICATE:
        co = certificate_pb2.CertificateOfOrigin.FromString(sent.payload)
        digest = receipt.certificate
        assert (
            digest.exporting_country,
            digest.issuing_authority_id,
            digest.certificate_number,
        ) == (co.exporting_country, co.issuing_authority.id, co.certificate_number), (
            f"REQ-PUSH-003: receipt names certificate {digest} instead of {co.certificate_number}"
        )
    return receipt


def assert_read_back(target: Target, submission: Submission) -> exchange_service_pb2.StoredDocument:
    """Read the document back by request id and compare bytes (REQ-GET-001, REQ-SIG-002)."""
    outcome = target.get_document(
        submission.caller,
        exchange_service_pb2.GetDocumentRequest(request_id=submission.request_id),
    )
    assert outcome.response is not None, (
        f"REQ-GET-001: accepted document cannot be read back: {outcome.summary()}"
    )
    stored = outcome.response.document
    assert stored.envelope.SerializeToString() == submission.envelope.SerializeToString(), (
        "REQ-GET-001/REQ-SIG-002: stored envelope differs from the submitted bytes"
    )
    assert stored.request_id == submission.request_id, (
        f"REQ-GET-001: stored request id {stored.request_id!r} != {submission.request_id!r}"
    )
    return stored


def assert_accepted(
    target: Target,
    submission: Submission,
    outcome: Outcome[exchange_service_pb2.SubmitDocumentResponse],
    *,
    now: dt.datetime,
    rule: str,
) -> envelope_pb2.Receipt:
    """Check an acceptance: signed receipt, then bit-identical readback.

    Returns:
        The verified receipt.
    """
    assert outcome.response is not None, (
        f"{rule}: valid document refused with {outcome.summary()} "
        f"(message: {outcome.refusal.message if outcome.refusal else ''!r}; "
        f"fields: {sorted(outcome.refusal.fields) if outcome.refusal else []})"
    )
    receipt = verify_receipt(target, submission, outcome.response.receipt, now=now)
    assert_read_back(target, submission)
    return receipt
