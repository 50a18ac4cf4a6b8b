"""The partner client: pushes stored envelopes to a partner node over mutual TLS.

The envelope bytes kept in the outbox are put on the wire byte for byte: the
``SubmitDocumentRequest`` is assembled from the request id and the stored
envelope bytes (field 2 is a length-delimited embedded message), so a retry
can never differ from the first attempt (docs/spec.md REQ-PUSH-006,
REQ-SIG-002).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import grpc

from wco.eco.v1 import envelope_pb2, exchange_service_pb2, node_service_pb2

__all__ = [
    "GRPC_DEFAULT_MAX_MESSAGE_BYTES",
    "PartnerClient",
    "PartnerEndpoint",
    "PartnerRegistry",
    "encode_submit_request",
    "submit_request_size",
]

logger = logging.getLogger(__name__)

_SUBMIT = "/wco.eco.v1.ExchangeService/SubmitDocument"
_NODE_INFO = "/wco.eco.v1.NodeService/GetNodeInfo"

#: gRPC's default limit on a received message: a partner that publishes no
#: limit refuses larger messages in its transport (REQ-LIM-001).
GRPC_DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: Size of the client's own send window; partners publish their receive limit.
_MAX_SEND_BYTES = 64 * 1024 * 1024
#: Longest wait for a partner's NodeInfo before an attempt (it is retried later).
_NODE_INFO_TIMEOUT_S = 2.0
#: Codes after which a missing NodeInfo is asked for again at the next attempt.
_TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,
    }
)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_submit_request(request_id: str, envelope: bytes) -> bytes:
    """Serialize a ``SubmitDocumentRequest`` carrying ``envelope`` byte for byte."""
    rid = request_id.encode("utf-8")
    return b"".join((b"\x0a", _varint(len(rid)), rid, b"\x12", _varint(len(envelope)), envelope))


def submit_request_size(request_id: str, envelope: bytes) -> int:
    """Serialized size of the ``SubmitDocumentRequest`` for ``envelope`` (REQ-LIM-001)."""
    rid = len(request_id.encode("utf-8"))
    return 2 + len(_varint(rid)) + rid + len(_varint(len(envelope))) + len(envelope)


def _identity(data: bytes) -> bytes:
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerEndpoint:
    """Where and how to reach one partner node.

    Attributes:
        country: Partner country.
        address: ``host:port``; empty when the partner only pulls.
        tls_ca_pem: PEM CA(s) of the partner's TLS server certificate.
        tls_server_name: Expected server name override, or empty.
        deadline_ms: Per-attempt deadline; 0 for the node default.
    """

    country: str
    address: str
    tls_ca_pem: bytes
    tls_server_name: str = ""
    deadline_ms: int = 0


class PartnerClient:
    """An mTLS channel to one partner node (REQ-ACC-001)."""

    def __init__(
        self,
        *,
        endpoint: PartnerEndpoint,
        client_cert_pem: bytes,
        client_key_pem: bytes,
        max_message_bytes: int,
    ) -> None:
        self.endpoint = endpoint
        credentials = grpc.ssl_channel_credentials(
            root_certificates=endpoint.tls_ca_pem,
            private_key=client_key_pem,
            certificate_chain=client_cert_pem,
        )
        options: list[tuple[str, str | int]] = [
            ("grpc.max_send_message_length", max(max_message_bytes, _MAX_SEND_BYTES)),
            ("grpc.max_receive_message_length", max_message_bytes),
        ]
        if endpoint.tls_server_name:
            options.append(("grpc.ssl_target_name_override", endpoint.tls_server_name))
        self._channel = grpc.aio.secure_channel(endpoint.address, credentials, options=options)
        self._submit = self._channel.unary_unary(
            _SUBMIT,
            request_serializer=_identity,
            response_deserializer=exchange_service_pb2.SubmitDocumentResponse.FromString,
        )
        self._node_info = self._channel.unary_unary(
            _NODE_INFO,
            request_serializer=node_service_pb2.GetNodeInfoRequest.SerializeToString,
            response_deserializer=node_service_pb2.GetNodeInfoResponse.FromString,
        )
        self._published_max: int | None = None

    async def published_max_message_bytes(self) -> int:
        """The partner's published ``NodeInfo.limits.max_message_bytes`` (REQ-LIM-001).

        Asked once per client and cached. A partner that answers without a
        limit, or does not implement ``GetNodeInfo``, counts as unknown (0) and
        is not asked again; a transient failure is not cached.

        Returns:
            The limit in bytes, or 0 when unknown.
        """
        if self._published_max is not None:
            return self._published_max
        try:
            response: node_service_pb2.GetNodeInfoResponse = await self._node_info(
                node_service_pb2.GetNodeInfoRequest(), timeout=_NODE_INFO_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _TRANSIENT:
                return 0
            logger.info(
                "partner %s publishes no NodeInfo (%s)", self.endpoint.country, exc.code().name
            )
            self._published_max = 0
            return 0
        self._published_max = int(response.node.limits.max_message_bytes)
        return self._published_max

    async def submit(
        self, *, request_id: str, envelope: bytes, timeout_s: float
    ) -> envelope_pb2.Envelope:
        """Submit one stored envelope and return the partner's receipt envelope.

        Raises:
            grpc.aio.AioRpcError: The call failed; the caller decides on retry.
        """
        response: exchange_service_pb2.SubmitDocumentResponse = await self._submit(
            encode_submit_request(request_id, envelope), timeout=timeout_s
        )
        return response.receipt

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)


class PartnerRegistry:
    """Partner endpoints by country, replaceable at run time (ConfigurePartner)."""

    def __init__(
        self,
        *,
        endpoints: list[PartnerEndpoint],
        client_cert_pem: bytes,
        client_key_pem: bytes,
        max_message_bytes: int,
    ) -> None:
        self._lock = threading.Lock()
        self._endpoints = {e.country: e for e in endpoints}
        self._clients: dict[str, PartnerClient] = {}
        self._retired: list[PartnerClient] = []
        self._cert = client_cert_pem
        self._key = client_key_pem
        self._max = max_message_bytes

    def endpoint(self, country: str) -> PartnerEndpoint | None:
        """The endpoint of ``country``, or ``None``."""
        with self._lock:
            return self._endpoints.get(country)

    def set_endpoint(self, endpoint: PartnerEndpoint) -> None:
        """Add or replace a partner endpoint; its next call uses a new channel."""
        with self._lock:
            self._endpoints[endpoint.country] = endpoint
            old = self._clients.pop(endpoint.country, None)
            if old is not None:
                self._retired.append(old)

    def client(self, country: str) -> PartnerClient | None:
        """The client of ``country`` (created on first use), or ``None`` without address.

        Must be called on the event loop that will use the client.
        """
        with self._lock:
            endpoint = self._endpoints.get(country)
            if endpoint is None or not endpoint.address:
                return None
            client = self._clients.get(country)
            if client is None:
                client = PartnerClient(
                    endpoint=endpoint,
                    client_cert_pem=self._cert,
                    client_key_pem=self._key,
                    max_message_bytes=self._max,
                )
                self._clients[country] = client
            return client

    async def close(self) -> None:
        """Close every channel."""
        with self._lock:
            clients = [*self._clients.values(), *self._retired]
            self._clients.clear()
            self._retired.clear()
        for client in clients:
            await client.close()
