"""The one table mapping protocol errors to gRPC status codes (docs/spec.md section 9).

Every :class:`~reference_node.core.errors.EcoError` subclass maps to exactly one
``grpc.StatusCode`` (REQ-ERR-002). A refusal travels as a ``google.rpc.Status``
with exactly one ``ErrorInfo`` (domain ``eco.wco.org``) and, for field errors,
one ``BadRequest`` listing the violations (REQ-ERR-001). The core collects every
violation; :func:`to_rpc_status`, the one place where refusals become status
details (unary calls, stream responses, watches and the adapter), lists at most
:data:`MAX_FIELD_VIOLATIONS` of them, counts them all in ``ErrorInfo.metadata`` and
cuts every text to its byte limit (REQ-ERR-004). Anything else that
goes wrong inside a handler is logged and answered with a generic
``UNAVAILABLE``/``NODE_UNAVAILABLE`` so the caller retries; it is never stored
and never ends the server (REQ-ERR-003).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NoReturn, TypeVar, cast

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from reference_node.core import errors

__all__ = [
    "CODE_BY_ERROR",
    "DOMAIN",
    "MAX_DESCRIPTION_BYTES",
    "MAX_FIELD_BYTES",
    "MAX_FIELD_VIOLATIONS",
    "MAX_MESSAGE_BYTES",
    "MAX_VIOLATION_REASON_BYTES",
    "TRUNCATION_MARK",
    "VIOLATIONS_OMITTED",
    "VIOLATIONS_TOTAL",
    "abort_with",
    "bounded_text",
    "code_of",
    "grpc_code_of",
    "map_errors",
    "map_stream_errors",
    "reason_of_status",
    "status_code_number",
    "to_rpc_status",
    "unavailable_status",
]

logger = logging.getLogger(__name__)

#: ``ErrorInfo.domain`` of every refusal (REQ-ERR-001).
DOMAIN = "eco.wco.org"

#: At most this many field violations are listed in a refusal's BadRequest (REQ-ERR-004).
MAX_FIELD_VIOLATIONS: Final = 20
#: Limits, in bytes of UTF-8, of the texts of a refusal (REQ-ERR-004).
MAX_FIELD_BYTES: Final = 64
MAX_DESCRIPTION_BYTES: Final = 128
MAX_VIOLATION_REASON_BYTES: Final = 32
MAX_MESSAGE_BYTES: Final = 128
#: Appended to a text cut to its limit (REQ-ERR-004).
TRUNCATION_MARK: Final = "..."
#: ``ErrorInfo.metadata`` keys of a refusal carrying a BadRequest (REQ-ERR-004).
VIOLATIONS_TOTAL: Final = "violations_total"
VIOLATIONS_OMITTED: Final = "violations_omitted"

#: THE table: error class -> gRPC status code (docs/spec.md section 9, REQ-ERR-002).
CODE_BY_ERROR: Mapping[type[errors.EcoError], grpc.StatusCode] = MappingProxyType(
    {
        errors.SignatureInvalid: grpc.StatusCode.INVALID_ARGUMENT,
        errors.SignerUntrusted: grpc.StatusCode.PERMISSION_DENIED,
        errors.SignerExpired: grpc.StatusCode.PERMISSION_DENIED,
        errors.SignerNotYetValid: grpc.StatusCode.PERMISSION_DENIED,
        errors.SignerRevoked: grpc.StatusCode.PERMISSION_DENIED,
        errors.SignerNotAuthorised: grpc.StatusCode.PERMISSION_DENIED,
        errors.PayloadTypeUnsupported: grpc.StatusCode.INVALID_ARGUMENT,
        errors.PayloadMalformed: grpc.StatusCode.INVALID_ARGUMENT,
        errors.FieldInvalid: grpc.StatusCode.INVALID_ARGUMENT,
        errors.FieldMissing: grpc.StatusCode.INVALID_ARGUMENT,
        errors.SenderMismatch: grpc.StatusCode.PERMISSION_DENIED,
        errors.DuplicateConflict: grpc.StatusCode.ALREADY_EXISTS,
        errors.UnknownDocument: grpc.StatusCode.NOT_FOUND,
        errors.IllegalTransition: grpc.StatusCode.FAILED_PRECONDITION,
        errors.AgreementUnsupported: grpc.StatusCode.INVALID_ARGUMENT,
        errors.MessageTooLarge: grpc.StatusCode.RESOURCE_EXHAUSTED,
        errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
        errors.RequestIdInvalid: grpc.StatusCode.INVALID_ARGUMENT,
        errors.PageTokenInvalid: grpc.StatusCode.INVALID_ARGUMENT,
        errors.NodeUnavailable: grpc.StatusCode.UNAVAILABLE,
    }
)

_FIELD_ERRORS = (errors.FieldInvalid, errors.FieldMissing)


def grpc_code_of(error: errors.EcoError) -> grpc.StatusCode:
    """Return the status code of ``error`` from :data:`CODE_BY_ERROR` (REQ-ERR-002).

    Subclasses of a listed class inherit its code. An unlisted class is a
    programming error and maps to ``UNAVAILABLE`` (logged), never INTERNAL.
    """
    for cls in type(error).__mro__:
        code = CODE_BY_ERROR.get(cls)
        if code is not None:
            return code
    logger.error("no status code for error class %s", type(error).__name__)
    return grpc.StatusCode.UNAVAILABLE


def code_of(error: errors.EcoError) -> int:
    """Return the ``google.rpc.Code`` number of ``error`` (for ``google.rpc.Status``)."""
    value = grpc_code_of(error).value
    number: int = value[0]
    return number


def bounded_text(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` bytes of UTF-8 (REQ-ERR-004).

    A text within the limit is returned unchanged. A longer one becomes the
    longest prefix of whole characters whose encoding takes at most
    ``limit - 3`` bytes, followed by :data:`TRUNCATION_MARK`. A lone surrogate
    (never produced by protobuf parsing) becomes ``?`` so the result always encodes.
    """
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return data.decode("utf-8")
    keep = limit - len(TRUNCATION_MARK.encode())
    return data[:keep].decode("utf-8", "ignore") + TRUNCATION_MARK


def _bad_request(violations: Sequence[errors.FieldViolation]) -> error_details_pb2.BadRequest:
    """The BadRequest listing the first :data:`MAX_FIELD_VIOLATIONS` violations, texts cut."""
    return error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=bounded_text(v.field, MAX_FIELD_BYTES),
                description=bounded_text(v.description, MAX_DESCRIPTION_BYTES),
                reason=bounded_text(v.code, MAX_VIOLATION_REASON_BYTES),
            )
            for v in violations[:MAX_FIELD_VIOLATIONS]
        ]
    )


def to_rpc_status(error: errors.EcoError) -> status_pb2.Status:
    """Build the ``google.rpc.Status`` of a refusal (REQ-ERR-001, REQ-ERR-004).

    One ``ErrorInfo`` with the reason and domain; for FIELD_MISSING and
    FIELD_INVALID (or any error carrying violations) one ``BadRequest`` with the
    first :data:`MAX_FIELD_VIOLATIONS` violations in the order the checks found
    them, and ``violations_total`` / ``violations_omitted`` in the ErrorInfo's
    metadata. The message and every field path, description and rule code are
    cut to their byte limits, so the status fits a stock client's 8 KiB trailer
    limit whatever the input.
    """
    status = status_pb2.Status(
        code=code_of(error), message=bounded_text(error.message, MAX_MESSAGE_BYTES)
    )
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=DOMAIN)
    bad: error_details_pb2.BadRequest | None = None
    if error.violations or isinstance(error, _FIELD_ERRORS):
        bad = _bad_request(error.violations)
        total = len(error.violations)
        info.metadata[VIOLATIONS_TOTAL] = str(total)
        info.metadata[VIOLATIONS_OMITTED] = str(total - len(bad.field_violations))
    detail = any_pb2.Any()
    detail.Pack(info)
    status.details.append(detail)
    if bad is not None:
        packed = any_pb2.Any()
        packed.Pack(bad)
        status.details.append(packed)
    return status


def unavailable_status(message: str = "temporary failure, retry later") -> status_pb2.Status:
    """Return the generic ``UNAVAILABLE``/``NODE_UNAVAILABLE`` status (REQ-ERR-003)."""
    return to_rpc_status(errors.NodeUnavailable(message))


def reason_of_status(status: status_pb2.Status) -> str:
    """Return the ``ErrorInfo.reason`` carried by ``status``, or ``""``."""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    return ""


async def abort_with(
    context: grpc.aio.ServicerContext[Any, Any], error: errors.EcoError
) -> NoReturn:
    """Abort the RPC with the status of ``error`` (REQ-ERR-001, REQ-ERR-002)."""
    await cast(Any, context).abort_with_status(rpc_status.to_status(to_rpc_status(error)))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


_T = TypeVar("_T")


def map_errors(handler: Callable[..., Awaitable[_T]]) -> Callable[..., Awaitable[_T]]:
    """Wrap a unary servicer method so every failure becomes a spec status.

    ``EcoError`` becomes its status (REQ-ERR-002); any other exception is logged
    with its traceback and answered ``UNAVAILABLE``/``NODE_UNAVAILABLE``
    (REQ-ERR-003). ``grpc`` aborts and cancellations pass through unchanged.
    """

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> _T:
        try:
            return await handler(self, request, context)
        except errors.EcoError as exc:
            logger.info("%s refused: %s", handler.__name__, exc.diagnostics())
            await abort_with(context, exc)
        except (grpc.aio.AbortError, grpc.aio.UsageError):
            raise
        except Exception:
            logger.exception("%s failed unexpectedly", handler.__name__)
            await cast(Any, context).abort_with_status(rpc_status.to_status(unavailable_status()))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def map_stream_errors(
    handler: Callable[..., AsyncIterator[_T]],
) -> Callable[..., AsyncIterator[_T]]:
    """Like :func:`map_errors`, for server-streaming servicer methods."""

    @functools.wraps(handler)
    async def wrapper(
        self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[_T]:
        try:
            async for item in handler(self, request, context):
                yield item
        except errors.EcoError as exc:
            logger.info("%s refused: %s", handler.__name__, exc.diagnostics())
            await abort_with(context, exc)
        except (grpc.aio.AbortError, grpc.aio.UsageError):
            raise
        except Exception:
            logger.exception("%s failed unexpectedly", handler.__name__)
            await cast(Any, context).abort_with_status(rpc_status.to_status(unavailable_status()))

    return wrapper


def status_code_number(code: grpc.StatusCode) -> int:
    """Return the ``google.rpc.Code`` number of a ``grpc.StatusCode``."""
    value: int = code.value[0]
    return value
