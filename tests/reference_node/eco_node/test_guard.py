"""The guard of the non-protocol services, in process (docs/spec.md REQ-ACC-006, REQ-ERR-003).

Health and reflection used to answer malformed request bytes with UNKNOWN (gRPC's
reply to a deserializer exception, logged with a traceback) and to serve any
client certificate the handshake admitted. ``ServiceGuard`` puts the protocol's
rules in front of them; the loopback tests are in tests/reliability/test_services.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2

from reference_node.core.errors import Unauthenticated
from reference_node.server.guard import Malformed, ServiceGuard, tolerant_deserializer


class _AbortedError(Exception):
    def __init__(self, status: Any) -> None:
        super().__init__(status.code)
        self.code = status.code
        details = dict(status.trailing_metadata)["grpc-status-details-bin"]
        info = error_details_pb2.ErrorInfo()
        status_pb2.Status.FromString(details).details[0].Unpack(info)
        self.reason = info.reason


class _Context:
    async def abort_with_status(self, status: Any) -> None:
        raise _AbortedError(status)


class _Authenticator:
    def __init__(self, *, admit: bool) -> None:
        self.admit = admit

    def caller_country(self, context: Any) -> str:
        if not self.admit:
            raise Unauthenticated("client certificate must name exactly one urn:wco:eco:node:CC")
        return "XA"


class _Details:
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


async def _check(request: health_pb2.HealthCheckRequest, context: Any) -> bytes:
    return b"served:" + str(request.service).encode()


async def _watch(request: health_pb2.HealthCheckRequest, context: Any) -> AsyncIterator[bytes]:
    yield b"first"
    yield b"second"


_HANDLERS = {
    "/grpc.health.v1.Health/Check": grpc.unary_unary_rpc_method_handler(
        _check, request_deserializer=health_pb2.HealthCheckRequest.FromString
    ),
    "/grpc.health.v1.Health/Watch": grpc.unary_stream_rpc_method_handler(
        _watch, request_deserializer=health_pb2.HealthCheckRequest.FromString
    ),
    "/wco.eco.v1.NodeService/GetNodeInfo": grpc.unary_unary_rpc_method_handler(_check),
}


def _intercept(method: str, *, admit: bool = True) -> Any:
    guard = ServiceGuard(
        authenticator=_Authenticator(admit=admit),  # type: ignore[arg-type]
        exempt=("wco.eco.v1.NodeService",),
    )

    async def continuation(details: Any) -> Any:
        return _HANDLERS.get(details.method)

    return asyncio.run(guard.intercept_service(continuation, _Details(method)))  # type: ignore[arg-type]


def test_tolerant_deserializer_hands_on_a_parse_failure() -> None:
    parse = tolerant_deserializer(health_pb2.HealthCheckRequest.FromString)
    assert parse(b"\x0f") == Malformed(1)
    assert parse(b"\x0a\x01x").service == "x"
    assert tolerant_deserializer(None)(b"raw") == b"raw"


def test_malformed_request_refused_payload_malformed() -> None:
    handler = _intercept("/grpc.health.v1.Health/Check")
    request = handler.request_deserializer(b"\x0a\x10abc")
    with pytest.raises(_AbortedError) as info:
        asyncio.run(handler.unary_unary(request, _Context()))
    assert (info.value.code, info.value.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAYLOAD_MALFORMED",
    )
    good = handler.request_deserializer(b"\x0a\x01x")
    assert asyncio.run(handler.unary_unary(good, _Context())) == b"served:x"


def test_refused_identity_unauthenticated_before_parsing() -> None:
    handler = _intercept("/grpc.health.v1.Health/Watch", admit=False)

    async def first() -> Any:
        stream = handler.unary_stream(handler.request_deserializer(b"\x0f"), _Context())
        return [item async for item in stream]

    with pytest.raises(_AbortedError) as info:
        asyncio.run(first())
    assert (info.value.code, info.value.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHENTICATED",
    )


def test_streaming_handler_served_to_a_partner() -> None:
    handler = _intercept("/grpc.health.v1.Health/Watch")

    async def collect() -> list[bytes]:
        request = handler.request_deserializer(b"")
        return [item async for item in handler.unary_stream(request, _Context())]

    assert asyncio.run(collect()) == [b"first", b"second"]


def test_exempt_and_unknown_methods_are_left_alone() -> None:
    assert (
        _intercept("/wco.eco.v1.NodeService/GetNodeInfo")
        is _HANDLERS["/wco.eco.v1.NodeService/GetNodeInfo"]
    )
    assert _intercept("/no.such.Service/Method") is None
