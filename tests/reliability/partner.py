"""A misbehaving partner receiver for the sender-role fault tests.

A real gRPC ``ExchangeService`` over mutual TLS, playing the receiving
country's node, behind a real TCP proxy so that the connection can be cut.
Its behaviour is switched at run time: ``OK`` (store once per request id and
answer a receipt signed by the country's node signer, REQ-PUSH-003),
``UNAVAILABLE``, ``SLOW`` (store, then answer after the caller's deadline),
``DROP_BEFORE`` / ``DROP_AFTER`` (cut every TCP connection before or after
storing), ``BAD_RECEIPT`` (store, answer a receipt signed by an untrusted key),
``REFUSE`` (a permanent ``FIELD_INVALID`` refusal), ``EXHAUSTED`` (RESOURCE_EXHAUSTED
with no ErrorInfo, as a rate limiter in front of a node answers) and down (the proxy stops
listening). It records every attempt so tests can check REQ-PUSH-004/006 and
REQ-IDEM-002: same id, same bytes, nothing under a second id.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from cryptography.hazmat.primitives import serialization
from google.protobuf import any_pb2, timestamp_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
)

from .documents import RECEIPT, sign
from .pki import CountryPki, make_country

__all__ = ["Behaviour", "FakePartner", "TcpProxy"]


class Behaviour(enum.Enum):
    """How the fake partner answers the next submissions."""

    OK = "ok"
    UNAVAILABLE = "unavailable"
    SLOW = "slow"
    DROP_BEFORE = "drop-before"
    DROP_AFTER = "drop-after"
    BAD_RECEIPT = "bad-receipt"
    REFUSE = "refuse"
    EXHAUSTED = "exhausted"


class TcpProxy:
    """A loopback TCP forwarder that can stop listening and cut connections."""

    def __init__(self, *, target_port: int) -> None:
        self.target_port = target_port
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.port = 0
        self.cuts = 0

    def up(self) -> None:
        """Listen (on the same port as before, if any)."""
        if self._listener is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every open connection: the partner is down."""
        sock, self._listener = self._listener, None
        if sock is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.cut()

    def cut(self) -> None:
        """Cut every open connection (RST-like close of both sides)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        if conns:
            self.cuts += 1

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@dataclass(slots=True)
class Attempt:
    """One submission the fake partner saw."""

    request_id: str
    envelope_bytes: bytes
    behaviour: Behaviour


@dataclass(slots=True, kw_only=True)
class FakePartner(exchange_service_pb2_grpc.ExchangeServiceServicer):
    """The receiving country's node, misbehaving on demand (see module doc).

    Attributes:
        pki: Key material of the country it plays (its node signer signs receipts).
        caller: The sending country, whose TLS CA it trusts for client certificates.
        behaviour: Current behaviour.
        slow_s: Delay of ``SLOW`` answers; make it longer than the sender's deadline.
        refuse_numbers: Certificate numbers always refused with ``FIELD_INVALID``.
    """

    pki: CountryPki
    caller: CountryPki
    behaviour: Behaviour = Behaviour.OK
    slow_s: float = 2.0
    refuse_numbers: set[str] = field(default_factory=set)
    attempts: list[Attempt] = field(default_factory=list)
    stored: dict[str, bytes] = field(default_factory=dict)
    receipts: dict[str, envelope_pb2.Envelope] = field(default_factory=dict)
    proxy: TcpProxy | None = None
    _server: grpc.Server | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rogue: CountryPki | None = None

    def start(self) -> str:
        """Start the server and its proxy; return the proxy address."""
        pem = serialization.Encoding.PEM
        creds = grpc.ssl_server_credentials(
            [(self.pki.server.key_pem(), self.pki.server.chain_pem())],
            root_certificates=self.caller.tls_ca.cert.public_bytes(pem),
            require_client_auth=True,
        )
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        exchange_service_pb2_grpc.add_ExchangeServiceServicer_to_server(self, server)
        port = server.add_secure_port("127.0.0.1:0", creds)
        server.start()
        self._server = server
        self.proxy = TcpProxy(target_port=port)
        self.proxy.up()
        return f"127.0.0.1:{self.proxy.port}"

    def stop(self) -> None:
        """Stop proxy and server."""
        if self.proxy is not None:
            self.proxy.down()
        if self._server is not None:
            self._server.stop(grace=None)

    # -- figures ---------------------------------------------------------

    def ids_by_number(self) -> dict[str, set[str]]:
        """Certificate number -> request ids it was stored under."""
        out: dict[str, set[str]] = {}
        for rid, data in self.stored.items():
            env = envelope_pb2.Envelope.FromString(data)
            co = certificate_pb2.CertificateOfOrigin.FromString(env.payload)
            out.setdefault(co.certificate_number, set()).add(rid)
        return out

    def bytes_changed_on_retry(self) -> list[str]:
        """Request ids retried with different envelope bytes (REQ-PUSH-006)."""
        first: dict[str, bytes] = {}
        bad: list[str] = []
        for a in self.attempts:
            if first.setdefault(a.request_id, a.envelope_bytes) != a.envelope_bytes:
                bad.append(a.request_id)
        return bad

    # -- service ---------------------------------------------------------

    def _receipt(
        self, request_id: str, envelope: envelope_pb2.Envelope, *, rogue: bool
    ) -> envelope_pb2.Envelope:
        now = timestamp_pb2.Timestamp()
        now.GetCurrentTime()
        co = certificate_pb2.CertificateOfOrigin.FromString(envelope.payload)
        receipt = envelope_pb2.Receipt(
            request_id=request_id,
            payload_sha256=hashlib.sha256(envelope.payload).hexdigest(),
            payload_type=envelope.payload_type,
            receiver_country=self.pki.country,
            sender_country=self.caller.country,
            received_time=now,
            delivery_status=envelope_pb2.DELIVERY_STATUS_DELIVERED,
            certificate=envelope_pb2.CertificateReferenceDigest(
                exporting_country=co.exporting_country,
                issuing_authority_id=co.issuing_authority.id,
                certificate_number=co.certificate_number,
            ),
            sequence=len(self.stored),
        )
        if rogue:
            if self._rogue is None:
                # Same country name, different (untrusted) root: a forged receipt.
                self._rogue = make_country(self.pki.country)
            return sign(RECEIPT, receipt.SerializeToString(), self._rogue.node_signer)
        return sign(RECEIPT, receipt.SerializeToString(), self.pki.node_signer)

    def _store(self, request_id: str, envelope: envelope_pb2.Envelope) -> envelope_pb2.Envelope:
        with self._lock:
            if request_id not in self.stored:
                self.stored[request_id] = envelope.SerializeToString()
                self.receipts[request_id] = self._receipt(request_id, envelope, rogue=False)
            return self.receipts[request_id]

    @staticmethod
    def _abort(context: grpc.ServicerContext, code: int, reason: str, message: str) -> None:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="eco.wco.org"))
        context.abort_with_status(
            rpc_status.to_status(status_pb2.Status(code=code, message=message, details=[info]))
        )

    def SubmitDocument(
        self,
        request: exchange_service_pb2.SubmitDocumentRequest,
        context: grpc.ServicerContext,
    ) -> exchange_service_pb2.SubmitDocumentResponse:
        """Answer one submission according to :attr:`behaviour`."""
        behaviour = self.behaviour
        with self._lock:
            self.attempts.append(
                Attempt(request.request_id, request.envelope.SerializeToString(), behaviour)
            )
        co = certificate_pb2.CertificateOfOrigin.FromString(request.envelope.payload)
        if co.certificate_number in self.refuse_numbers:
            self._abort(context, code_pb2.INVALID_ARGUMENT, "FIELD_INVALID", "refused for test")
        if behaviour is Behaviour.UNAVAILABLE:
            self._abort(context, code_pb2.UNAVAILABLE, "NODE_UNAVAILABLE", "try later")
        if behaviour is Behaviour.EXHAUSTED:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "rate limit exceeded")
        if behaviour is Behaviour.DROP_BEFORE:
            assert self.proxy is not None
            self.proxy.cut()
            time.sleep(0.2)
            self._abort(context, code_pb2.UNAVAILABLE, "NODE_UNAVAILABLE", "cut")
        receipt = self._store(request.request_id, request.envelope)
        if behaviour is Behaviour.DROP_AFTER:
            assert self.proxy is not None
            self.proxy.cut()
            time.sleep(0.2)
        if behaviour is Behaviour.SLOW:
            time.sleep(self.slow_s)
        if behaviour is Behaviour.BAD_RECEIPT:
            with self._lock:
                receipt = self._receipt(request.request_id, request.envelope, rogue=True)
        return exchange_service_pb2.SubmitDocumentResponse(receipt=receipt)

    def SubmitDocumentStream(
        self,
        request_iterator: Iterator[exchange_service_pb2.SubmitDocumentStreamRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[exchange_service_pb2.SubmitDocumentStreamResponse]:
        """Answer each streamed submission as :meth:`SubmitDocument` would (REQ-PUSH-005)."""
        for req in request_iterator:
            single = exchange_service_pb2.SubmitDocumentRequest(
                request_id=req.request_id, envelope=req.envelope
            )
            resp = self.SubmitDocument(single, context)
            yield exchange_service_pb2.SubmitDocumentStreamResponse(
                request_id=req.request_id, receipt=resp.receipt
            )
