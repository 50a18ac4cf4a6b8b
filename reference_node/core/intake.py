"""The receiver pipeline as pure steps (docs/spec.md section 5.4).

The server runs, per submission:

1. the client certificate check (transport, not here);
2. :func:`check_request_id` and the size limits (done by
   :func:`verify_submission`, and available alone as :func:`check_request_id`
   and :func:`check_sizes` so the server can run them before step 3);
3. the idempotency lookup in its store, using :func:`same_submission`;
4.-8. :func:`verify_submission`: payload type, signatures and signer,
   parsing, authorisation, field rules;
9. :func:`plan_changes` inside the store's write transaction: lifecycle and
   duplicate rules against a :class:`StateView` of the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from reference_node.core import payload_types
from reference_node.core.authorisation import authorise
from reference_node.core.codelists import CodeLists
from reference_node.core.documents import CertificateRef, Document, parse_document
from reference_node.core.errors import (
    DuplicateConflict,
    FieldInvalid,
    FieldViolation,
    MessageTooLarge,
    PayloadTypeUnsupported,
    RequestIdInvalid,
    UnknownDocument,
)
from reference_node.core.lifecycle import (
    CertificateState,
    VerificationCase,
    answer_verification,
    apply_import_outcome,
    apply_replacement,
    apply_status_change,
    new_certificate_state,
    open_verification,
)
from reference_node.core.limits import Limits
from reference_node.core.trust import TrustStore, VerifiedSigner, as_utc
from reference_node.core.validation import UUID_RE, validate_document
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    lifecycle_pb2,
    verification_pb2,
)

__all__ = [
    "ChangePlan",
    "StateView",
    "VerifiedSubmission",
    "check_request_id",
    "check_sizes",
    "payload_sha256",
    "plan_changes",
    "same_submission",
    "verify_submission",
]


def check_request_id(request_id: str) -> None:
    """REQ-IDEM-001: the request id is a UUID in canonical textual form.

    Raises:
        RequestIdInvalid: Missing or not a canonical UUID (36 characters,
            hex digits of either case).
    """
    if not request_id:
        raise RequestIdInvalid("request_id is missing")
    if UUID_RE.fullmatch(request_id) is None:
        raise RequestIdInvalid("request_id is not a UUID in canonical form")


def check_sizes(
    *, envelope_bytes_len: int, envelope: envelope_pb2.Envelope, limits: Limits
) -> None:
    """REQ-LIM-001: the message and payload are within the published limits.

    Raises:
        MessageTooLarge: A limit is exceeded.
    """
    if envelope_bytes_len > limits.max_message_bytes:
        raise MessageTooLarge(
            f"message of {envelope_bytes_len} bytes exceeds {limits.max_message_bytes}"
        )
    if len(envelope.payload) > limits.max_payload_bytes:
        raise MessageTooLarge(
            f"payload of {len(envelope.payload)} bytes exceeds {limits.max_payload_bytes}"
        )


def payload_sha256(payload: bytes) -> str:
    """Lowercase hex SHA-256 of payload bytes, as carried in receipts (REQ-PUSH-003)."""
    return hashlib.sha256(payload).hexdigest()


def same_submission(
    payload_type: str, payload_sha256: str, stored_type: str, stored_sha256: str
) -> bool:
    """REQ-IDEM-002/003: whether a resubmission equals the stored one.

    True means "return the original receipt"; False means
    ``DUPLICATE_CONFLICT``.
    """
    return payload_type == stored_type and payload_sha256.lower() == stored_sha256.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedSubmission:
    """A submission that passed steps 2 and 4-8 of section 5.4.

    Attributes:
        request_id: The submission's request id.
        document: The parsed document; its ``recipient_country`` is resolved
            to this node for documents whose payload does not name it.
        signer: The verified signer.
        findings: Warning findings (REQ-CO-015).
        payload_sha256: Lowercase hex SHA-256 of the payload bytes.
        delivery_status: ``DELIVERED`` or ``DELIVERED_WITH_WARNINGS``.
    """

    request_id: str
    document: Document
    signer: VerifiedSigner
    findings: tuple[envelope_pb2.Finding, ...]
    payload_sha256: str
    delivery_status: int


def verify_submission(
    *,
    request_id: str,
    envelope_bytes_len: int,
    envelope: envelope_pb2.Envelope,
    caller_country: str,
    node_country: str,
    trust: TrustStore,
    codelists: CodeLists,
    limits: Limits,
    now: dt.datetime,
) -> VerifiedSubmission:
    """Run section 5.4 steps 2 and 4-8 on a submission.

    Args:
        request_id: The request id of the submission.
        envelope_bytes_len: Serialized size of the request message.
        envelope: The submitted envelope.
        caller_country: Country of the caller's TLS client certificate.
        node_country: This node's country.
        trust: Trust anchors and directories.
        codelists: This node's code lists.
        limits: This node's limits.
        now: The receiver's current time (aware).

    Returns:
        The verified submission.

    Raises:
        EcoError: The first failing check's error, in the order of 5.4.
    """
    check_request_id(request_id)  # step 2
    check_sizes(envelope_bytes_len=envelope_bytes_len, envelope=envelope, limits=limits)
    if envelope.payload_type not in payload_types.SUBMITTABLE:  # step 4
        raise PayloadTypeUnsupported(
            f"payload type {envelope.payload_type!r} cannot be submitted (REQ-SIG-001)"
        )
    when = as_utc(now)
    signer = trust.verify_envelope(envelope, at=when)  # step 5
    document = parse_document(envelope)  # step 6
    authorise(  # step 7
        document,
        signer,
        caller_country=caller_country,
        node_country=node_country,
        trust=trust,
    )
    if not document.recipient_country:
        document = replace(document, recipient_country=node_country)
    findings = validate_document(  # step 8
        document, codelists=codelists, limits=limits, today=when.date()
    )
    return VerifiedSubmission(
        request_id=request_id,
        document=document,
        signer=signer,
        findings=tuple(findings),
        payload_sha256=payload_sha256(envelope.payload),
        delivery_status=(
            envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS
            if findings
            else envelope_pb2.DELIVERY_STATUS_DELIVERED
        ),
    )


class StateView(Protocol):
    """What :func:`plan_changes` reads from the store (inside its transaction)."""

    def certificate_state(self, ref: CertificateRef) -> CertificateState | None:
        """The state of a CO the node holds, or None."""
        ...

    def certificate_request_id(self, ref: CertificateRef) -> str | None:
        """The request id under which the CO with this reference is held (REQ-IDEM-004)."""
        ...

    def verification_case(self, verification_id: str) -> VerificationCase | None:
        """A verification case by id, or None."""
        ...

    def verification_id_used(self, requesting_country: str, verification_id: str) -> bool:
        """Whether the requesting country already used the verification id (REQ-VER-001)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePlan:
    """State changes a verified submission causes, written in one commit.

    Attributes:
        states_to_write: Certificate states to insert or update.
        verification_to_write: Verification case to insert or update.
    """

    states_to_write: tuple[CertificateState, ...] = ()
    verification_to_write: VerificationCase | None = None


def _held_state(
    view: StateView, ref: CertificateRef, *, node_country: str, party: str
) -> CertificateState:
    """The state of a CO the node holds with ``party`` as the other side (REQ-LC-001)."""
    state = view.certificate_state(ref)
    if state is None:
        raise UnknownDocument("no such certificate")
    other = (
        state.importing_country if ref.exporting_country == node_country else ref.exporting_country
    )
    if state.importing_country and other != party:
        raise UnknownDocument("no such certificate")
    return state


def _unknown_items(
    numbers: Sequence[int], state: CertificateState, field: str
) -> list[FieldViolation]:
    return [
        FieldViolation(f"{field}[{i}]", "the CO has no such item", "UNKNOWN_ITEM")
        for i, number in enumerate(numbers)
        if number not in state.item_quantities
    ]


def plan_changes(
    verified: VerifiedSubmission, view: StateView, *, node_country: str, now: dt.datetime
) -> ChangePlan:
    """Section 5.4 step 9: lifecycle and duplicate rules (sections 7, 8, REQ-IDEM-004).

    Args:
        verified: Output of :func:`verify_submission`.
        view: Read access to the store, inside the write transaction.
        node_country: This node's country.
        now: Store time.

    Returns:
        The states to write together with the document.

    Raises:
        DuplicateConflict: CO number already held (REQ-IDEM-004) or
            verification id reused (REQ-VER-001).
        UnknownDocument: The CO or case concerned is not held (REQ-LC-001,
            REQ-LC-004, REQ-VER-001, REQ-VER-002).
        IllegalTransition: Lifecycle rule broken.
        FieldInvalid: Items unknown or quantity exceeded (REQ-LC-006).
    """
    doc = verified.document
    message = doc.message
    sender = doc.sender_country
    if isinstance(message, certificate_pb2.CertificateOfOrigin):
        ref = doc.certificate
        if view.certificate_request_id(ref) is not None:  # REQ-IDEM-004
            raise DuplicateConflict("a CO with this reference is already held")
        import_state = (
            lifecycle_pb2.IMPORT_STATE_RECEIVED
            if message.importing_country == node_country
            else lifecycle_pb2.IMPORT_STATE_UNSPECIFIED
        )
        new_state = new_certificate_state(message, at=now, import_state=import_state)
        if new_state.replaces is None:
            return ChangePlan(states_to_write=(new_state,))
        old = view.certificate_state(new_state.replaces)  # REQ-LC-004
        if old is None or (
            old.importing_country and old.importing_country != message.importing_country
        ):
            raise UnknownDocument("the replaced certificate is not held by this node")
        replaced = apply_replacement(old, replacement=ref, at=now)
        return ChangePlan(states_to_write=(new_state, replaced))
    if isinstance(message, lifecycle_pb2.StatusChange):
        state = _held_state(view, doc.certificate, node_country=node_country, party=sender)
        return ChangePlan(states_to_write=(apply_status_change(state, message, at=now),))
    if isinstance(message, lifecycle_pb2.ImportOutcome):
        state = _held_state(view, doc.certificate, node_country=node_country, party=sender)
        return ChangePlan(states_to_write=(apply_import_outcome(state, message, at=now),))
    if isinstance(message, verification_pb2.VerificationRequest):
        if doc.certificate.exporting_country != node_country:
            raise UnknownDocument("no such certificate issued by this node")
        state = _held_state(view, doc.certificate, node_country=node_country, party=sender)
        if view.verification_id_used(message.requesting_country, message.verification_id):
            raise DuplicateConflict("verification_id already used by the requesting country")
        violations = _unknown_items(message.item_numbers, state, "item_numbers")
        if violations:
            raise FieldInvalid("unknown goods items", violations=violations)
        case = open_verification(message, request_document_id=verified.request_id)
        return ChangePlan(verification_to_write=case)
    if isinstance(message, verification_pb2.VerificationResult):
        existing = view.verification_case(message.verification_id)
        if (
            existing is None
            or existing.requesting_country != node_country
            or existing.certificate != doc.certificate
        ):
            raise UnknownDocument("no such verification case")
        answered = answer_verification(existing, message, result_document_id=verified.request_id)
        state_or_none = view.certificate_state(doc.certificate)
        if state_or_none is not None:
            violations = _unknown_items(
                message.non_originating_items, state_or_none, "non_originating_items"
            )
            if violations:
                raise FieldInvalid("unknown goods items", violations=violations)
        return ChangePlan(verification_to_write=answered)
    raise PayloadTypeUnsupported("no lifecycle rules for this document")
