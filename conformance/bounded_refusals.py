"""Reading refusals as a stock gRPC client does, for the bounds of REQ-ERR-004.

docs/spec.md section 9, REQ-ERR-004: a refusal lists at most :data:`MAX_VIOLATIONS`
field violations, counts them all in ``ErrorInfo.metadata`` (:data:`TOTAL_KEY`,
:data:`OMITTED_KEY`), keeps every text within its UTF-8 byte limit and so fits the
8 KiB of trailer metadata every stock client accepts. This module opens channels with
gRPC's default options (the suite's shared channels raise the message limits), calls
``SubmitDocument`` on them, measures the trailers as HTTP/2 counts them and reads the
ErrorInfo metadata the suite's :class:`~conformance.client.Refusal` does not keep.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from conformance.client import Exchange, Outcome, Refusal, Target, refusal_from_status
from wco.eco.v1 import exchange_service_pb2, exchange_service_pb2_grpc

__all__ = [
    "MAX_VIOLATIONS",
    "OMITTED_KEY",
    "STOCK_TRAILER_LIMIT",
    "TEXT_LIMITS",
    "TOTAL_KEY",
    "BoundedReading",
    "error_info_metadata",
    "stock_channel",
    "submit_on",
    "text_problems",
]

#: Field violations listed at most (REQ-ERR-004 rule 1).
MAX_VIOLATIONS: Final = 20
#: ErrorInfo metadata keys (REQ-ERR-004 rule 2).
TOTAL_KEY: Final = "violations_total"
OMITTED_KEY: Final = "violations_omitted"
#: UTF-8 byte limits of the texts (REQ-ERR-004 rule 3).
TEXT_LIMITS: Final[Mapping[str, int]] = {
    "field": 64,
    "description": 128,
    "reason": 32,
    "message": 128,
}
#: Trailer metadata (bytes, HTTP/2-counted) that every stock gRPC client accepts.
STOCK_TRAILER_LIMIT: Final = 8192
#: Characters gRPC leaves unencoded in grpc-message (printable ASCII except "%").
_MESSAGE_SAFE = " !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~"


@dataclass(frozen=True, kw_only=True)
class BoundedReading:
    """A call's outcome with what REQ-ERR-004 is judged on.

    Attributes:
        outcome: The outcome as the rest of the suite judges it.
        metadata: ``ErrorInfo.metadata`` of the refusal (empty when accepted).
        texts: ``(kind, text)`` of the status message and of every field path,
            description and rule code of the BadRequest.
        trailer_bytes: Size of the trailers: name + value + 32 per header field,
            ``-bin`` values base64-encoded, ``grpc-message`` percent-encoded.
    """

    outcome: Outcome[Any]
    metadata: Mapping[str, str] = field(default_factory=dict)
    texts: tuple[tuple[str, str], ...] = ()
    trailer_bytes: int = 0


def stock_channel(target: Target, country: str) -> grpc.Channel:
    """Open an mTLS channel as ``country`` with gRPC's default size limits. The caller closes it."""
    credential = target.pki.country(country).node_client
    creds = grpc.ssl_channel_credentials(
        root_certificates=target.server_ca_pem,
        private_key=credential.key_pem(),
        certificate_chain=credential.chain_pem(),
    )
    options: list[tuple[str, Any]] = []
    if target.tls_server_name:
        options.append(("grpc.ssl_target_name_override", target.tls_server_name))
    return grpc.secure_channel(target.address, creds, options=options)


def error_info_metadata(status: status_pb2.Status) -> dict[str, str]:
    """Return the metadata of the first ErrorInfo of ``status`` ({} when there is none)."""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return dict(info.metadata)
    return {}


def _texts(status: status_pb2.Status) -> tuple[tuple[str, str], ...]:
    texts = [("message", status.message)]
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            for v in bad.field_violations:
                texts += [("field", v.field), ("description", v.description), ("reason", v.reason)]
    return tuple(texts)


def text_problems(texts: tuple[tuple[str, str], ...]) -> list[str]:
    """Return one line per text over its byte limit (REQ-ERR-004 rule 3)."""
    return [
        f"{kind} of {len(text.encode())} bytes (limit {TEXT_LIMITS[kind]}): {text[:60]!r}..."
        for kind, text in texts
        if len(text.encode()) > TEXT_LIMITS[kind]
    ]


def _trailer_bytes(call: Any) -> int:
    code = call.code()
    size = len("grpc-status") + len(str(code.value[0])) + 32
    message = urllib.parse.quote((call.details() or "").encode(), safe=_MESSAGE_SAFE)
    size += len("grpc-message") + len(message) + 32
    for key, value in call.trailing_metadata() or ():
        wire = base64.b64encode(value).rstrip(b"=") if key.endswith("-bin") else value
        size += len(key) + len(wire) + 32
    return int(size)


def submit_on(
    target: Target,
    channel: grpc.Channel,
    request: exchange_service_pb2.SubmitDocumentRequest,
    *,
    caller: str,
) -> BoundedReading:
    """Call ``SubmitDocument`` on ``channel``, record it, and return the reading."""
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(channel)
    summary = f"request_id={request.request_id} ({request.ByteSize()} bytes)"
    try:
        stub.SubmitDocument(request, timeout=target.timeout)
    except grpc.RpcError as error:
        call: Any = error
        code: grpc.StatusCode = call.code()
        try:
            status = rpc_status.from_call(call)
        except ValueError:
            status = None
        refusal = (
            refusal_from_status(status)
            if status is not None
            else Refusal(code=code, message=str(call.details() or ""))
        )
        target.check_alive(code)
        target.recorder.record(
            Exchange(
                rpc="ExchangeService/SubmitDocument (default channel options)",
                caller=caller,
                request=summary,
                outcome=refusal.summary(),
                message=refusal.message[:500],
            )
        )
        return BoundedReading(
            outcome=Outcome(refusal=refusal),
            metadata=error_info_metadata(status) if status is not None else {},
            texts=_texts(status) if status is not None else (),
            trailer_bytes=_trailer_bytes(call),
        )
    target.recorder.record(
        Exchange(rpc="ExchangeService/SubmitDocument", caller=caller, request=summary, outcome="OK")
    )
    return BoundedReading(outcome=Outcome(response=True))
