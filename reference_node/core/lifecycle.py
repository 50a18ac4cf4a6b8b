"""Lifecycle rules of certificates and verification cases (docs/spec.md 7, 8).

Pure state transitions: each function takes the current state and a
document and returns the new state, or raises ``IllegalTransition`` /
``FieldInvalid`` / ``UnknownDocument``. The store persists the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import cast

from google.protobuf.timestamp_pb2 import Timestamp

from reference_node.core.documents import CertificateRef
from reference_node.core.errors import (
    FieldInvalid,
    FieldViolation,
    IllegalTransition,
)
from reference_node.core.validation import decimal_value
from wco.eco.v1 import certificate_pb2, lifecycle_pb2, verification_pb2

__all__ = [
    "TERMINAL_IMPORT_STATES",
    "TERMINAL_ISSUER_STATES",
    "CertificateState",
    "VerificationCase",
    "answer_verification",
    "apply_import_outcome",
    "apply_replacement",
    "apply_status_change",
    "format_decimal",
    "item_quantities",
    "mark_received",
    "new_certificate_state",
    "open_verification",
]

_I = lifecycle_pb2
TERMINAL_ISSUER_STATES = frozenset(
    {_I.ISSUER_STATE_CANCELLED, _I.ISSUER_STATE_REPLACED, _I.ISSUER_STATE_REVOKED}
)
TERMINAL_IMPORT_STATES = frozenset(
    {_I.IMPORT_STATE_REJECTED, _I.IMPORT_STATE_FULLY_USED, _I.IMPORT_STATE_PREFERENCE_DENIED}
)
_USED = frozenset({_I.IMPORT_STATE_PARTIALLY_USED, _I.IMPORT_STATE_FULLY_USED})

# REQ-LC-005: allowed import-side transitions (UNSPECIFIED: the exporting
# node's view before the receipt was verified, treated as RECEIVED).
_IMPORT_TRANSITIONS: Mapping[int, frozenset[int]] = MappingProxyType(
    {
        _I.IMPORT_STATE_UNSPECIFIED: frozenset(
            {
                _I.IMPORT_STATE_ACCEPTED,
                _I.IMPORT_STATE_ACCEPTED_WITH_WARNINGS,
                _I.IMPORT_STATE_REJECTED,
            }
        ),
        _I.IMPORT_STATE_RECEIVED: frozenset(
            {
                _I.IMPORT_STATE_ACCEPTED,
                _I.IMPORT_STATE_ACCEPTED_WITH_WARNINGS,
                _I.IMPORT_STATE_REJECTED,
            }
        ),
        _I.IMPORT_STATE_ACCEPTED: frozenset(
            {
                _I.IMPORT_STATE_PARTIALLY_USED,
                _I.IMPORT_STATE_FULLY_USED,
                _I.IMPORT_STATE_PREFERENCE_DENIED,
            }
        ),
        _I.IMPORT_STATE_ACCEPTED_WITH_WARNINGS: frozenset(
            {
                _I.IMPORT_STATE_PARTIALLY_USED,
                _I.IMPORT_STATE_FULLY_USED,
                _I.IMPORT_STATE_PREFERENCE_DENIED,
            }
        ),
        _I.IMPORT_STATE_PARTIALLY_USED: frozenset(
            {
                _I.IMPORT_STATE_PARTIALLY_USED,
                _I.IMPORT_STATE_FULLY_USED,
                _I.IMPORT_STATE_PREFERENCE_DENIED,
            }
        ),
    }
)


def format_decimal(value: Decimal) -> str:
    """Format a decimal in the ``google.type.Decimal`` text form (no exponent)."""
    return format(value, "f")


def _timestamp(at: dt.datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at.astimezone(dt.UTC))
    return ts


def _state_name(enum: object, value: int) -> str:
    try:
        return str(enum.Name(value))  # type: ignore[attr-defined]
    except ValueError:
        return str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateState:
    """Lifecycle status of one CO as a node holds it (section 7).

    Attributes:
        ref: The certificate.
        issuer_state: ``IssuerState`` value.
        import_state: ``ImportState`` value.
        replaced_by: The replacement, when ``issuer_state`` is REPLACED.
        replaces: The CO this one replaces, if any.
        reason: Reason of the last terminal change, if any.
        used: Cumulative used quantity per goods item number.
        item_quantities: Quantity of each goods item on the CO.
        updated: When the status last changed.
        importing_country: Importing country of the CO (the other party).
    """

    ref: CertificateRef
    issuer_state: int
    import_state: int
    replaced_by: CertificateRef | None = None
    replaces: CertificateRef | None = None
    reason: str = ""
    used: Mapping[int, Decimal] = field(default_factory=dict)
    item_quantities: Mapping[int, Decimal] = field(default_factory=dict)
    updated: dt.datetime
    importing_country: str = ""

    def to_proto(self) -> lifecycle_pb2.CertificateStatus:
        """The ``CertificateStatus`` message (GetCertificateStatus)."""
        status = lifecycle_pb2.CertificateStatus(
            certificate=self.ref.to_proto(),
            issuer_state=cast("lifecycle_pb2.IssuerState", self.issuer_state),
            import_state=cast("lifecycle_pb2.ImportState", self.import_state),
            reason=self.reason,
            used_quantities=[
                lifecycle_pb2.ItemUsage(item_number=number) for number in sorted(self.used)
            ],
            update_time=_timestamp(self.updated),
        )
        for usage in status.used_quantities:
            usage.quantity.value = format_decimal(self.used[usage.item_number])
        if self.replaced_by is not None:
            status.replaced_by.CopyFrom(self.replaced_by.to_proto())
        if self.replaces is not None:
            status.replaces.CopyFrom(self.replaces.to_proto())
        return status

    @property
    def is_used(self) -> bool:
        """Whether the CO was used (partially or fully) in the importing country."""
        return self.import_state in _USED


def item_quantities(co: certificate_pb2.CertificateOfOrigin) -> Mapping[int, Decimal]:
    """Quantity of each goods item of a CO, by item number (items without a valid one left out).

    This is the ``item_quantities`` of :func:`new_certificate_state`; computing
    it before the store transaction (e.g. while the CO is verified) keeps the
    parsing out of the store's writer thread.
    """
    quantities: dict[int, Decimal] = {}
    for item in co.goods_items:
        value = decimal_value(item.quantity.value.value)
        if value is not None:
            quantities[item.item_number] = value
    return MappingProxyType(quantities)


_NO_USE: Mapping[int, Decimal] = MappingProxyType({})


def new_certificate_state(
    co: certificate_pb2.CertificateOfOrigin,
    *,
    at: dt.datetime,
    import_state: int,
    quantities: Mapping[int, Decimal] | None = None,
) -> CertificateState:
    """State of a newly stored CO: ISSUED and the given import state (section 7).

    Args:
        co: The (validated) certificate.
        at: Store time.
        import_state: RECEIVED at the importing node, UNSPECIFIED at the
            exporting node.
        quantities: ``item_quantities(co)`` when already computed (it is
            computed here otherwise); must be a read-only mapping.
    """
    return CertificateState(
        ref=CertificateRef.of_certificate(co),
        issuer_state=_I.ISSUER_STATE_ISSUED,
        import_state=import_state,
        replaces=CertificateRef.from_proto(co.replaces) if co.HasField("replaces") else None,
        item_quantities=item_quantities(co) if quantities is None else quantities,
        used=_NO_USE,
        updated=at,
        importing_country=co.importing_country,
    )


def mark_received(state: CertificateState, *, at: dt.datetime) -> CertificateState:
    """Exporting node: a verified receipt moves import state UNSPECIFIED to RECEIVED."""
    if state.import_state != _I.IMPORT_STATE_UNSPECIFIED:
        return state
    return replace(state, import_state=_I.IMPORT_STATE_RECEIVED, updated=at)


def _require_not_terminal(state: CertificateState) -> None:
    if state.issuer_state in TERMINAL_ISSUER_STATES:  # REQ-LC-003
        raise IllegalTransition(
            f"certificate is {_state_name(_I.IssuerState, state.issuer_state)}, a terminal state"
        )


def apply_status_change(
    state: CertificateState, change: lifecycle_pb2.StatusChange, *, at: dt.datetime
) -> CertificateState:
    """Apply an issuer StatusChange (REQ-LC-002, REQ-LC-003).

    Raises:
        FieldInvalid: ``new_state`` is not CANCELLED or REVOKED.
        IllegalTransition: The transition is not allowed from ``state``.
    """
    target = change.new_state
    if target not in (_I.ISSUER_STATE_CANCELLED, _I.ISSUER_STATE_REVOKED):
        raise FieldInvalid(
            "a StatusChange sets CANCELLED or REVOKED",
            violations=[
                FieldViolation("new_state", "must be CANCELLED or REVOKED", "NEW_STATE_INVALID")
            ],
        )
    _require_not_terminal(state)
    if state.issuer_state != _I.ISSUER_STATE_ISSUED:
        raise IllegalTransition("only an ISSUED certificate can change status")
    if target == _I.ISSUER_STATE_CANCELLED and state.is_used:
        raise IllegalTransition("a used certificate cannot be cancelled")
    return replace(state, issuer_state=target, reason=change.reason, updated=at)


def apply_replacement(
    state: CertificateState, *, replacement: CertificateRef, at: dt.datetime
) -> CertificateState:
    """Mark ``state`` REPLACED by ``replacement`` (REQ-LC-004).

    Raises:
        IllegalTransition: The replaced CO is not ISSUED or was used.
    """
    _require_not_terminal(state)
    if state.issuer_state != _I.ISSUER_STATE_ISSUED:
        raise IllegalTransition("only an ISSUED certificate can be replaced")
    if state.is_used:
        raise IllegalTransition("a used certificate cannot be replaced")
    return replace(
        state,
        issuer_state=_I.ISSUER_STATE_REPLACED,
        replaced_by=replacement,
        reason=f"replaced by {replacement.certificate_number}",
        updated=at,
    )


def apply_import_outcome(
    state: CertificateState, outcome: lifecycle_pb2.ImportOutcome, *, at: dt.datetime
) -> CertificateState:
    """Apply an ImportOutcome (REQ-LC-005, REQ-LC-006, REQ-LC-010).

    Raises:
        IllegalTransition: Issuer state not ISSUED, or the import transition
            is not in the diagram of section 7 (FULLY_USED is terminal).
        FieldInvalid: A usage names an item the CO does not have
            (``UNKNOWN_ITEM``) or exceeds the item's quantity
            (``QUANTITY_EXCEEDED``).
    """
    if state.issuer_state != _I.ISSUER_STATE_ISSUED:
        raise IllegalTransition(
            "import outcomes apply only to ISSUED certificates, this one is "
            + _state_name(_I.IssuerState, state.issuer_state)
        )
    target = outcome.new_state
    allowed = _IMPORT_TRANSITIONS.get(state.import_state, frozenset())
    if target not in allowed:
        raise IllegalTransition(
            f"import state {_state_name(_I.ImportState, state.import_state)} cannot become "
            f"{_state_name(_I.ImportState, target)}"
        )
    used = dict(state.used)
    if target in _USED:
        violations: list[FieldViolation] = []
        for i, usage in enumerate(outcome.usages):
            path = f"usages[{i}]"
            available = state.item_quantities.get(usage.item_number)
            if available is None:
                violations.append(
                    FieldViolation(f"{path}.item_number", "the CO has no such item", "UNKNOWN_ITEM")
                )
                continue
            quantity = decimal_value(usage.quantity.value)
            if quantity is None or quantity <= 0:
                violations.append(
                    FieldViolation(
                        f"{path}.quantity.value",
                        "must be greater than zero",
                        "QUANTITY_NOT_POSITIVE",
                    )
                )
                continue
            total = used.get(usage.item_number, Decimal(0)) + quantity
            if total > available:
                violations.append(
                    FieldViolation(
                        f"{path}.quantity.value",
                        f"cumulative use {format_decimal(total)} exceeds the item's "
                        f"quantity {format_decimal(available)}",
                        "QUANTITY_EXCEEDED",
                    )
                )
                continue
            used[usage.item_number] = total
        if violations:
            raise FieldInvalid("usage not possible", violations=violations)
    reason = state.reason
    if target in (_I.IMPORT_STATE_REJECTED, _I.IMPORT_STATE_PREFERENCE_DENIED):
        reason = outcome.reason_code + (f": {outcome.reason_text}" if outcome.reason_text else "")
    return replace(
        state,
        import_state=target,
        used=MappingProxyType(used),
        reason=reason,
        updated=at,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationCase:
    """An origin verification case (section 8, REQ-VER-003).

    Attributes:
        verification_id: UUID chosen by the requester.
        certificate: The certificate under verification.
        requesting_country: The importing (requesting) country.
        state: ``VerificationState`` value.
        outcome: ``VerificationOutcome`` value (UNSPECIFIED until answered).
        request_document_id: Request id of the request document.
        result_document_id: Request id of the result document, once answered.
    """

    verification_id: str
    certificate: CertificateRef
    requesting_country: str
    state: int
    outcome: int = verification_pb2.VERIFICATION_OUTCOME_UNSPECIFIED
    request_document_id: str
    result_document_id: str | None = None


def open_verification(
    request: verification_pb2.VerificationRequest, *, request_document_id: str
) -> VerificationCase:
    """Open a case REQUESTED for a (validated) VerificationRequest (REQ-VER-003)."""
    return VerificationCase(
        verification_id=request.verification_id,
        certificate=CertificateRef.from_proto(request.certificate),
        requesting_country=request.requesting_country,
        state=verification_pb2.VERIFICATION_STATE_REQUESTED,
        request_document_id=request_document_id,
    )


def answer_verification(
    case: VerificationCase,
    result: verification_pb2.VerificationResult,
    *,
    result_document_id: str,
) -> VerificationCase:
    """Record the result of a case (REQ-VER-002, REQ-VER-003).

    Raises:
        IllegalTransition: The case was already answered.
    """
    if case.state != verification_pb2.VERIFICATION_STATE_REQUESTED:
        raise IllegalTransition("the verification case was already answered")
    return replace(
        case,
        state=verification_pb2.VERIFICATION_STATE_ANSWERED,
        outcome=result.outcome,
        result_document_id=result_document_id,
    )
