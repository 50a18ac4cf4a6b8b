"""Valid documents of every submittable kind, from a suite country to the node (spec section 3).

The cases that apply one check to every document kind (``test_document_kinds.py``,
``test_idempotency.py``, ``test_verification_rules.py``) start from the documents built
here and change exactly one thing. Each document is valid under the field rules of its
kind (sections 4, 7, 8) and has the suite country as its sending country and the node as
its recipient (section 5.3):

- ``certificate``: a minimal CO of the sending country to the node;
- ``status-change``: CANCELLED for a CO of the sending country;
- ``import-outcome``: ACCEPTED by the sending country for a CO of the node;
- ``verification-request``: the sending country asks about a CO of the node;
- ``verification-result``: the sending country answers about one of its COs.

Unless the caller passes the reference of a CO the node holds, the documents other than
the certificate concern a certificate number nobody issued, so a node that passes them
through steps 5 to 8 of section 5.4 refuses them at step 9 with NOT_FOUND
``UNKNOWN_DOCUMENT`` (REQ-LC-001, REQ-VER-001, REQ-VER-002). That answer is the proof
that every earlier check passed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from google.protobuf.message import Message

from conformance import envelopes
from conformance.pki import SuitePki
from conformance.receiver import minimal_certificate
from conformance.strategies import CoContext, CodeLists, date_msg, status_change, unique_number
from wco.eco.v1 import certificate_pb2, lifecycle_pb2, verification_pb2

__all__ = [
    "KINDS",
    "KIND_TYPES",
    "DocumentContext",
    "build",
    "import_outcome",
    "reference",
    "verification_request",
    "verification_result",
]

#: Payload type suffix of each submittable kind (section 3).
KIND_TYPES: Final[Mapping[str, str]] = {
    "certificate": envelopes.PAYLOAD_TYPE_CERTIFICATE,
    "status-change": envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
    "import-outcome": envelopes.PAYLOAD_TYPE_IMPORT_OUTCOME,
    "verification-request": envelopes.PAYLOAD_TYPE_VERIFICATION_REQUEST,
    "verification-result": envelopes.PAYLOAD_TYPE_VERIFICATION_RESULT,
}
KINDS: Final = tuple(KIND_TYPES)

CertificateReference = certificate_pb2.CertificateReference


@dataclass(frozen=True, kw_only=True)
class DocumentContext:
    """Who sends to whom.

    Attributes:
        sender: The suite country sending (XA or XC).
        node_country: The node's country (the recipient).
        pki: The suite PKI (authority ids).
        code_lists: The node's code lists (for certificates).
    """

    sender: str
    node_country: str
    pki: SuitePki
    code_lists: CodeLists

    @property
    def today(self) -> dt.date:
        """The current UTC date."""
        return dt.datetime.now(dt.UTC).date()

    def co_context(self) -> CoContext:
        """The CO context of the sender sending to the node."""
        return CoContext(
            exporting_country=self.sender,
            importing_country=self.node_country,
            authority_id=self.pki.country(self.sender).authority_id,
            today=self.today,
            code_lists=self.code_lists,
        )


def reference(country: str, authority_id: str, number: str | None = None) -> CertificateReference:
    """A certificate reference (``number`` defaults to a fresh one nobody issued)."""
    return CertificateReference(
        exporting_country=country,
        issuing_authority_id=authority_id,
        certificate_number=number or unique_number("UNK"),
    )


def import_outcome(
    ref: CertificateReference, importing_country: str, state: int = 0
) -> lifecycle_pb2.ImportOutcome:
    """An ImportOutcome (default ACCEPTED) of ``importing_country`` about ``ref`` (section 7)."""
    outcome = lifecycle_pb2.ImportOutcome(
        certificate=ref,
        importing_country=importing_country,
        new_state=state or lifecycle_pb2.IMPORT_STATE_ACCEPTED,  # type: ignore[arg-type]
        reason_text="decided by the conformance suite",
    )
    outcome.effective_time.FromDatetime(dt.datetime.now(dt.UTC))
    return outcome


def verification_request(
    ref: CertificateReference, requesting_country: str, *, verification_id: str | None = None
) -> verification_pb2.VerificationRequest:
    """A complete VerificationRequest (REQ-VER-001) with a deadline 30 days ahead."""
    return verification_pb2.VerificationRequest(
        verification_id=verification_id or str(uuid.uuid4()),
        certificate=ref,
        requesting_country=requesting_country,
        reasons=[verification_pb2.VERIFICATION_REASON_RANDOM],
        questions=["Confirm the origin of all items."],
        response_deadline=date_msg(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)),
    )


def verification_result(
    ref: CertificateReference,
    verification_id: str | None = None,
    outcome: int = verification_pb2.VERIFICATION_OUTCOME_CONFIRMED,
) -> verification_pb2.VerificationResult:
    """A complete VerificationResult (REQ-VER-002), CONFIRMED unless told otherwise."""
    return verification_pb2.VerificationResult(
        verification_id=verification_id or str(uuid.uuid4()),
        certificate=ref,
        outcome=outcome,  # type: ignore[arg-type]
        findings="Producer records examined.",
        response_date=date_msg(dt.datetime.now(dt.UTC).date()),
    )


def _certificate(ctx: DocumentContext) -> Message:
    return minimal_certificate(ctx.co_context())


def _status_change(ctx: DocumentContext) -> Message:
    ref = reference(ctx.sender, ctx.pki.country(ctx.sender).authority_id)
    return status_change(
        ref, lifecycle_pb2.ISSUER_STATE_CANCELLED, effective=dt.datetime.now(dt.UTC)
    )


def _node_reference(ctx: DocumentContext) -> CertificateReference:
    return reference(ctx.node_country, ctx.pki.country(ctx.node_country).authority_id)


def _import_outcome(ctx: DocumentContext) -> Message:
    return import_outcome(_node_reference(ctx), ctx.sender)


def _verification_request(ctx: DocumentContext) -> Message:
    return verification_request(_node_reference(ctx), ctx.sender)


def _verification_result(ctx: DocumentContext) -> Message:
    return verification_result(reference(ctx.sender, ctx.pki.country(ctx.sender).authority_id))


_BUILDERS: Final[Mapping[str, Callable[[DocumentContext], Message]]] = {
    "certificate": _certificate,
    "status-change": _status_change,
    "import-outcome": _import_outcome,
    "verification-request": _verification_request,
    "verification-result": _verification_result,
}


def build(kind: str, ctx: DocumentContext) -> Message:
    """A valid document of ``kind`` from ``ctx.sender`` to the node (see the module text)."""
    return _BUILDERS[kind](ctx)
