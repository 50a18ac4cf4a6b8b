"""Signed receipts (docs/spec.md REQ-PUSH-003, REQ-PUSH-004).

The receiver's node signer signs a Receipt once the document is durably
stored; the sender verifies it before it considers the document delivered.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from google.protobuf.timestamp_pb2 import Timestamp

from reference_node.core import payload_types
from reference_node.core.documents import parse_payload
from reference_node.core.errors import (
    FieldInvalid,
    FieldViolation,
    PayloadTypeUnsupported,
    SignerNotAuthorised,
)
from reference_node.core.intake import VerifiedSubmission
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.core.trust import TrustStore
from wco.eco.v1 import envelope_pb2

__all__ = ["build_receipt", "verify_receipt"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)

_ACCEPTED = frozenset(
    {envelope_pb2.DELIVERY_STATUS_DELIVERED, envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS}
)


def _timestamp(at: dt.datetime) -> Timestamp:
    """``Timestamp`` of ``at`` (what ``Timestamp.FromDatetime`` gives, with integer arithmetic)."""
    if at.tzinfo is None:  # local time, as datetime.astimezone reads a naive datetime
        at = at.astimezone(dt.UTC)
    seconds, micros = divmod((at - _EPOCH) // _MICROSECOND, 1_000_000)
    return Timestamp(seconds=seconds, nanos=micros * 1000)


def build_receipt(
    *,
    verified: VerifiedSubmission,
    sender_country: str,
    receiver_country: str,
    sequence: int,
    received_time: dt.datetime,
    signer: SigningIdentity,
) -> envelope_pb2.Envelope:
    """Build and sign the receipt of a stored submission (REQ-PUSH-003).

    Args:
        verified: The stored submission.
        sender_country: Country of the submitting node (the caller).
        receiver_country: This node's country.
        sequence: The document's position in this node's feed.
        received_time: When the document was committed.
        signer: This node's node signer (``urn:wco:eco:node:CC``).

    Returns:
        The receipt envelope (payload type ``...receipt.v1+protobuf``).
    """
    receipt = envelope_pb2.Receipt(
        request_id=verified.request_id,
        payload_sha256=verified.payload_sha256,
        payload_type=verified.document.payload_type,
        receiver_country=receiver_country,
        sender_country=sender_country,
        received_time=_timestamp(received_time),
        delivery_status=cast("envelope_pb2.DeliveryStatus", verified.delivery_status),
        findings=list(verified.findings),
        certificate=verified.document.certificate.to_digest(),
        sequence=sequence,
    )
    return sign_envelope(
        payload_type=payload_types.RECEIPT,
        payload=receipt.SerializeToString(deterministic=True),
        signers=[signer],
    )


def verify_receipt(
    receipt_envelope: envelope_pb2.Envelope,
    *,
    trust: TrustStore,
    expected_request_id: str,
    expected_payload_sha256: str,
    receiver_country: str,
    at: dt.datetime,
) -> envelope_pb2.Receipt:
    """Verify a receipt as the sender must before marking delivery (REQ-PUSH-004).

    Checks, in order: payload type, signatures and signer chain (section
    5.2), that the signer is the node signer of ``receiver_country``, that
    the payload parses, then that request id, payload digest, receiver
    country and delivery status match what was sent.

    Returns:
        The parsed receipt.

    Raises:
        PayloadTypeUnsupported: Not a receipt envelope.
        SignatureInvalid, SignerUntrusted, SignerExpired, SignerNotYetValid,
        SignerRevoked: Signature or signer checks failed.
        SignerNotAuthorised: Not signed by the recipient's node signer.
        PayloadMalformed: The receipt does not parse.
        FieldInvalid: The receipt does not match the submission.
    """
    if receipt_envelope.payload_type != payload_types.RECEIPT:
        raise PayloadTypeUnsupported("not a receipt envelope")
    signer = trust.verify_envelope(receipt_envelope, at=at)
    if not signer.identity.is_node or signer.identity.country != receiver_country:
        raise SignerNotAuthorised(f"receipt not signed by the node signer of {receiver_country}")
    receipt = parse_payload(payload_types.RECEIPT, receipt_envelope.payload)
    assert isinstance(receipt, envelope_pb2.Receipt)
    violations: list[FieldViolation] = []
    if receipt.request_id != expected_request_id:
        violations.append(
            FieldViolation("request_id", "does not match the submission", "RECEIPT_MISMATCH")
        )
    if receipt.payload_sha256 != expected_payload_sha256.lower():
        violations.append(
            FieldViolation("payload_sha256", "does not match the payload sent", "RECEIPT_MISMATCH")
        )
    if receipt.receiver_country != receiver_country:
        violations.append(
            FieldViolation("receiver_country", "is not the recipient", "RECEIPT_MISMATCH")
        )
    if receipt.delivery_status not in _ACCEPTED:
        violations.append(
            FieldViolation("delivery_status", "is not a delivered status", "RECEIPT_MISMATCH")
        )
    if violations:
        raise FieldInvalid("receipt does not match the submission", violations=violations)
    return receipt
