# ruff: noqa: N818 - names are the spec's reasons (docs/spec.md section 9)
"""The one exception hierarchy of the protocol core.

Every refusal the spec defines (docs/spec.md section 9, REQ-ERR-*) is an
:class:`EcoError` subclass carrying its ``reason`` (an ``ErrorReason`` name
without the ``ERROR_REASON_`` prefix). Verifiers raise these; they never
return a bool. The gRPC adapter maps each class to exactly one status code
in one table (``reference_node.server.status``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AgreementUnsupported",
    "DuplicateConflict",
    "EcoError",
    "FieldInvalid",
    "FieldMissing",
    "FieldViolation",
    "IllegalTransition",
    "MessageTooLarge",
    "NodeUnavailable",
    "PageTokenInvalid",
    "PayloadMalformed",
    "PayloadTypeUnsupported",
    "RequestIdInvalid",
    "SenderMismatch",
    "SignatureInvalid",
    "SignerExpired",
    "SignerNotAuthorised",
    "SignerNotYetValid",
    "SignerRevoked",
    "SignerUntrusted",
    "Unauthenticated",
    "UnknownDocument",
]


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One broken field rule: the field path and what is wrong with it.

    Attributes:
        field: Path in the payload, protobuf field names joined by ``.``
            with ``[i]`` for repeated fields, e.g. ``goods_items[0].hs_code``.
        description: Human-readable explanation, English.
        code: Machine-readable rule code, UPPER_SNAKE (e.g. ``HS_CODE_FORMAT``).
    """

    field: str
    description: str
    code: str = ""


class EcoError(Exception):
    """Base class of every protocol error. Catch this, and only this, at edges."""

    #: ErrorReason name without prefix; subclasses override.
    reason: str = "UNSPECIFIED"

    def __init__(self, message: str, *, violations: Iterable[FieldViolation] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.violations: tuple[FieldViolation, ...] = tuple(violations)

    def diagnostics(self) -> str:
        """Return a readable multi-line explanation for operators."""
        lines = [f"{self.reason}: {self.message}"]
        lines.extend(f"  - {v.field}: {v.description}" for v in self.violations)
        return "\n".join(lines)


class SignatureInvalid(EcoError):
    """No signature verifies over the envelope's PAE (REQ-SIG-005)."""

    reason = "SIGNATURE_INVALID"


class SignerUntrusted(EcoError):
    """The signer chain does not reach a trust anchor of the claimed country."""

    reason = "SIGNER_UNTRUSTED"


class SignerExpired(EcoError):
    """A certificate of the signer chain is expired."""

    reason = "SIGNER_EXPIRED"


class SignerNotYetValid(EcoError):
    """A certificate of the signer chain is not yet valid."""

    reason = "SIGNER_NOT_YET_VALID"


class SignerRevoked(EcoError):
    """The signer key is revoked in its country's issuer directory."""

    reason = "SIGNER_REVOKED"


class SignerNotAuthorised(EcoError):
    """The signer may not sign for this country, authority or agreement."""

    reason = "SIGNER_NOT_AUTHORISED"


class PayloadTypeUnsupported(EcoError):
    """The envelope's payload type is not supported."""

    reason = "PAYLOAD_TYPE_UNSUPPORTED"


class PayloadMalformed(EcoError):
    """The payload or request cannot be parsed."""

    reason = "PAYLOAD_MALFORMED"


class FieldInvalid(EcoError):
    """One or more fields break a rule; ``violations`` names them."""

    reason = "FIELD_INVALID"


class FieldMissing(EcoError):
    """One or more mandatory fields are missing; ``violations`` names them."""

    reason = "FIELD_MISSING"


class SenderMismatch(EcoError):
    """The document's sender is not the caller, or its recipient not this node."""

    reason = "SENDER_MISMATCH"


class DuplicateConflict(EcoError):
    """A request id or certificate number is reused for different content."""

    reason = "DUPLICATE_CONFLICT"


class UnknownDocument(EcoError):
    """No document with that reference is visible to the caller."""

    reason = "UNKNOWN_DOCUMENT"


class IllegalTransition(EcoError):
    """The lifecycle transition is not allowed from the current state."""

    reason = "ILLEGAL_TRANSITION"


class AgreementUnsupported(EcoError):
    """The agreement or form type is not supported by this node."""

    reason = "AGREEMENT_UNSUPPORTED"


class MessageTooLarge(EcoError):
    """The message exceeds a published limit."""

    reason = "MESSAGE_TOO_LARGE"


class Unauthenticated(EcoError):
    """The caller presented no valid client certificate."""

    reason = "UNAUTHENTICATED"


class RequestIdInvalid(EcoError):
    """The request id is missing or not a UUID."""

    reason = "REQUEST_ID_INVALID"


class PageTokenInvalid(EcoError):
    """The page token or cursor was not issued by this node."""

    reason = "PAGE_TOKEN_INVALID"


class NodeUnavailable(EcoError):
    """The node cannot serve right now; the caller should retry."""

    reason = "NODE_UNAVAILABLE"


def violations_error(
    violations: Sequence[FieldViolation], *, missing: Sequence[FieldViolation] = ()
) -> EcoError | None:
    """Return the error for collected violations, or ``None`` when there are none.

    Missing mandatory fields take precedence (FIELD_MISSING) over other field
    violations (FIELD_INVALID); each error carries all violations of its kind.
    """
    if missing:
        return FieldMissing(f"{len(missing)} mandatory field(s) missing", violations=missing)
    if violations:
        return FieldInvalid(f"{len(violations)} field(s) invalid", violations=violations)
    return None
