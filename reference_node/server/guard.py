"""Caller identity and request parsing for every other service the node serves.

The protocol services (ExchangeService, NodeService, TrustService) identify the
caller and parse their requests themselves (:mod:`reference_node.server.services`).
Everything else served on the same port (``grpc.health.v1.Health``, server
reflection, and any service added later) goes through :class:`ServiceGuard`, a
server interceptor that gives those methods the same rules (docs/spec.md
section 2, REQ-ACC-006):

- the caller must present a client certificate the protocol RPCs accept
  (REQ-ACC-001), else the call is refused ``UNAUTHENTICATED``;
- request bytes that do not parse as the method's request message are refused
  ``INVALID_ARGUMENT``/``PAYLOAD_MALFORMED`` (REQ-ERR-003), never UNKNOWN or
  INTERNAL, and the node logs one line for it, not a traceback.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from reference_node.core.errors import EcoError, PayloadMalformed
from reference_node.server.auth import CallerAuthenticator
from reference_node.server.status import abort_with

__all__ = ["Malformed", "ServiceGuard", "guarded_handler", "tolerant_deserializer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Malformed:
    """Stands for a request whose bytes did not parse (handed on instead of raising).

    Attributes:
        size: Length of the request bytes.
    """

    size: int


def tolerant_deserializer(
    deserialize: Callable[[bytes], Any] | None,
) -> Callable[[bytes], Any]:
    """Wrap a request deserializer so that a parse failure yields :class:`Malformed`.

    gRPC answers an exception raised by a deserializer with UNKNOWN and logs
    its traceback; the guard needs to see the failure and refuse it properly.
    """

    def parse(data: bytes) -> Any:
        if deserialize is None:
            return data
        try:
            return deserialize(data)
        except Exception:  # any failure to parse is malformed input (REQ-ERR-003)
            return Malformed(len(data))

    return parse


async def _results(outcome: Any) -> AsyncIterator[Any]:
    """Iterate a streaming handler's responses, whether async or plain iterator."""
    if inspect.isawaitable(outcome):
        outcome = await outcome
    if hasattr(outcome, "__aiter__"):
        async for item in outcome:
            yield item
    elif outcome is not None:
        for item in outcome:
            yield item


class _Admission:
    """The checks of one guarded method (REQ-ACC-001, REQ-ACC-006, REQ-ERR-003)."""

    def __init__(self, method: str, authenticator: CallerAuthenticator) -> None:
        self.method = method
        self._authenticator = authenticator

    def malformed(self, request: Malformed) -> PayloadMalformed:
        return PayloadMalformed(
            f"request ({request.size} bytes) is not a parsable {self.method} request"
        )

    async def refuse(self, context: grpc.aio.ServicerContext[Any, Any], error: EcoError) -> None:
        logger.info("%s refused: %s: %s", self.method, error.reason, error.message)
        await abort_with(context, error)

    async def caller(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        """Refuse the call unless its client certificate identifies a partner."""
        try:
            self._authenticator.caller_country(context)
        except EcoError as exc:
            await self.refuse(context, exc)

    async def request(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        """Refuse the call if ``request`` did not parse."""
        if isinstance(request, Malformed):
            await self.refuse(context, self.malformed(request))

    async def requests(
        self, requests: AsyncIterator[Any], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Any]:
        """The request stream, ending the call at the first request that did not parse."""
        async for request in requests:
            await self.request(request, context)
            yield request


def guarded_handler(
    handler: grpc.RpcMethodHandler[Any, Any], method: str, authenticator: CallerAuthenticator
) -> grpc.RpcMethodHandler[Any, Any]:
    """Return ``handler`` with the caller check and tolerant request parsing in front.

    Args:
        handler: The method handler as registered.
        method: Full method name (``/grpc.health.v1.Health/Check``).
        authenticator: Decides the caller's country (REQ-ACC-001).
    """
    admit = _Admission(method, authenticator)
    deserializer = tolerant_deserializer(handler.request_deserializer)
    serializer = handler.response_serializer
    inner: Any
    if handler.request_streaming and handler.response_streaming:
        inner = handler.stream_stream

        async def stream_stream(
            requests: AsyncIterator[Any], context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            await admit.caller(context)
            async for item in _results(inner(admit.requests(requests, context), context)):
                yield item

        return grpc.stream_stream_rpc_method_handler(
            stream_stream, request_deserializer=deserializer, response_serializer=serializer
        )
    if handler.request_streaming:
        inner = handler.stream_unary

        async def stream_unary(
            requests: AsyncIterator[Any], context: grpc.aio.ServicerContext[Any, Any]
        ) -> Any:
            await admit.caller(context)
            outcome = inner(admit.requests(requests, context), context)
            return await outcome if inspect.isawaitable(outcome) else outcome

        return grpc.stream_unary_rpc_method_handler(
            stream_unary, request_deserializer=deserializer, response_serializer=serializer
        )
    if handler.response_streaming:
        inner = handler.unary_stream

        async def unary_stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            await admit.caller(context)
            await admit.request(request, context)
            async for item in _results(inner(request, context)):
                yield item

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, request_deserializer=deserializer, response_serializer=serializer
        )
    inner = handler.unary_unary

    async def unary_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await admit.caller(context)
        await admit.request(request, context)
        outcome = inner(request, context)
        return await outcome if inspect.isawaitable(outcome) else outcome

    return grpc.unary_unary_rpc_method_handler(
        unary_unary, request_deserializer=deserializer, response_serializer=serializer
    )


if TYPE_CHECKING:
    _Interceptor = grpc.aio.ServerInterceptor[Any, Any]
else:  # the runtime class is not generic
    _Interceptor = grpc.aio.ServerInterceptor


class ServiceGuard(_Interceptor):
    """Puts :func:`guarded_handler` in front of every method outside ``exempt``.

    ``exempt`` names the services that identify the caller and parse requests
    themselves (the protocol services); every other service the server
    registers is guarded, whoever registered it (REQ-ACC-006).
    """

    def __init__(self, *, authenticator: CallerAuthenticator, exempt: Collection[str]) -> None:
        self._authenticator = authenticator
        self._exempt = frozenset(exempt)
        self._guarded: dict[
            str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]
        ] = {}

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        """Return the method's handler, guarded unless its service is exempt.

        An unknown method (no handler, ``None`` at run time) stays unknown: UNIMPLEMENTED.
        """
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        service = method.lstrip("/").partition("/")[0]
        if handler is None or service in self._exempt:
            return handler
        cached = self._guarded.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        guarded = guarded_handler(handler, method, self._authenticator)
        self._guarded[method] = (handler, guarded)
        return guarded
