"""The outbox worker against a scripted partner over real TLS (REQ-PUSH-004, REQ-PUSH-006).

The partner is a real ``grpc.aio`` server with the partner's TLS server
certificate; each test scripts its answers per call, and records every call it
receives, so the tests can count attempts per request id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from reference_node.config import load_config
from reference_node.core import payload_types
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.sender.outbox import LEASE_MARGIN, OutboxWorker
from reference_node.server.app import partner_registry
from reference_node.service import Node
from reference_node.store.base import OutboxRecord
from wco.eco.v1 import envelope_pb2, exchange_service_pb2, node_service_pb2

from .helpers import make_co, make_pkis, write_config

PENDING = envelope_pb2.DELIVERY_STATUS_PENDING
DELIVERED = envelope_pb2.DELIVERY_STATUS_DELIVERED
FAILED = envelope_pb2.DELIVERY_STATUS_FAILED
_SUBMIT = "/wco.eco.v1.ExchangeService/SubmitDocument"

#: Handler of one call: gets the call number (0-based) and the request.
Script = Callable[
    [int, exchange_service_pb2.SubmitDocumentRequest, grpc.aio.ServicerContext[bytes, bytes]],
    Awaitable[exchange_service_pb2.SubmitDocumentResponse],
]


@dataclass
class ScriptedPartner:
    """A TLS gRPC server answering SubmitDocument as scripted; records request ids."""

    root: Path
    country: str
    script: Script
    node_info_limit: int | None = None
    calls: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    node_info_calls: int = 0
    server: grpc.aio.Server | None = None
    port: int = 0

    async def start(self, options: list[tuple[str, int]] | None = None) -> str:
        folder = self.root / self.country
        credentials = grpc.ssl_server_credentials(
            [((folder / "node-server.key").read_bytes(), (folder / "node-server.pem").read_bytes())]
        )
        server = grpc.aio.server(options=options or [])

        async def submit(
            request: exchange_service_pb2.SubmitDocumentRequest,
            context: grpc.aio.ServicerContext[bytes, bytes],
        ) -> exchange_service_pb2.SubmitDocumentResponse:
            number = len(self.calls)
            self.calls.append(request.request_id)
            self.sizes.append(request.ByteSize())
            return await self.script(number, request, context)

        handler = grpc.method_handlers_generic_handler(
            "wco.eco.v1.ExchangeService",
            {
                "SubmitDocument": grpc.unary_unary_rpc_method_handler(
                    submit,
                    request_deserializer=exchange_service_pb2.SubmitDocumentRequest.FromString,
                    response_serializer=exchange_service_pb2.SubmitDocumentResponse.SerializeToString,
                )
            },
        )
        server.add_generic_rpc_handlers((handler,))
        if self.node_info_limit is not None:
            limit = self.node_info_limit

            async def node_info(
                request: node_service_pb2.GetNodeInfoRequest,
                context: grpc.aio.ServicerContext[bytes, bytes],
            ) -> node_service_pb2.GetNodeInfoResponse:
                del request, context
                self.node_info_calls += 1
                info = node_service_pb2.NodeInfo(country=self.country, spec_version="1.0.0")
                info.limits.max_message_bytes = limit
                return node_service_pb2.GetNodeInfoResponse(node=info)

            info_handler = grpc.method_handlers_generic_handler(
                "wco.eco.v1.NodeService",
                {
                    "GetNodeInfo": grpc.unary_unary_rpc_method_handler(
                        node_info,
                        request_deserializer=node_service_pb2.GetNodeInfoRequest.FromString,
                        response_serializer=node_service_pb2.GetNodeInfoResponse.SerializeToString,
                    )
                },
            )
            server.add_generic_rpc_handlers((info_handler,))
        self.port = server.add_secure_port("127.0.0.1:0", credentials)
        await server.start()
        self.server = server
        return f"127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(0)


class Clock:
    """A settable clock for the worker (leases and backoff are judged by it)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _open_sender(root: Path, address: str, clock: Clock, *, extra: str = "") -> Node:
    config = write_config(
        root, "XA", {"XB": address}, name=f"XA-{address.rsplit(':', 1)[1]}", extra=extra
    )
    return Node.open(load_config(config), clock=clock)


def _worker(node: Node, clock: Clock) -> OutboxWorker:
    return OutboxWorker(
        store=node.store,
        partners=partner_registry(node),
        delivery=node.config.delivery,
        verify_receipt=node.verify_delivery_receipt,
        accept_receipt=node.accept_delivery_receipt,
        clock=clock,
    )


def _entry(node: Node, request_id: str) -> OutboxRecord:
    entry = node.store.outbox_by_request(request_id)
    assert entry is not None
    return entry


async def _unavailable(
    number: int,
    request: exchange_service_pb2.SubmitDocumentRequest,
    context: grpc.aio.ServicerContext[bytes, bytes],
) -> exchange_service_pb2.SubmitDocumentResponse:
    del number, request
    await context.abort(grpc.StatusCode.UNAVAILABLE, "partner busy")
    raise AssertionError("abort returns only by raising")


@pytest.fixture(scope="module")
def pki_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("outbox")
    make_pkis(root, ["XA", "XB"])
    return root


def test_two_workers_never_attempt_the_same_entry_at_once(pki_root: Path) -> None:
    """A second worker (another process, or an adapter Deliver) skips an entry in flight."""

    async def scenario() -> None:
        arrived = asyncio.Event()
        release = asyncio.Event()

        async def script(
            number: int,
            request: exchange_service_pb2.SubmitDocumentRequest,
            context: grpc.aio.ServicerContext[bytes, bytes],
        ) -> exchange_service_pb2.SubmitDocumentResponse:
            if number == 0:
                arrived.set()
                await release.wait()
            return await _unavailable(number, request, context)

        partner = ScriptedPartner(root=pki_root, country="XB", script=script)
        address = await partner.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock)
        first, second = _worker(node, clock), _worker(node, clock)
        try:
            issued = await asyncio.to_thread(node.issue_certificate, make_co("XA", "XB"))
            running = asyncio.create_task(first.deliver_due())
            await arrived.wait()
            # The first attempt is under way: neither worker may start another one.
            assert await second.deliver_due() == 0
            assert await first.deliver_due() == 0
            release.set()
            assert await running == 1
            assert partner.calls == [issued.request_id]
            entry = _entry(node, issued.request_id)
            assert (entry.status, entry.attempts, entry.last_error_reason) == (
                PENDING,
                1,
                "UNAVAILABLE",
            )
            # The lease ended with the recorded outcome: the retry is due after the backoff.
            clock.now = entry.next_attempt_time
            assert await second.deliver_due() == 1
            assert partner.calls == [issued.request_id] * 2
            assert _entry(node, issued.request_id).attempts == 2
        finally:
            await first._partners.close()
            await second._partners.close()
            await asyncio.to_thread(node.close)
            await partner.stop()

    asyncio.run(scenario())


def test_attempt_cut_short_frees_its_entry_at_once(pki_root: Path) -> None:
    """A cancelled pass (Deliver timeout, shutdown) gives its lease back: due again now."""

    async def scenario() -> None:
        arrived = asyncio.Event()

        async def script(
            number: int,
            request: exchange_service_pb2.SubmitDocumentRequest,
            context: grpc.aio.ServicerContext[bytes, bytes],
        ) -> exchange_service_pb2.SubmitDocumentResponse:
            if number == 0:
                arrived.set()
                await asyncio.Event().wait()  # never answers; the caller gives up
            return await _unavailable(number, request, context)

        partner = ScriptedPartner(root=pki_root, country="XB", script=script)
        address = await partner.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock)
        first, second = _worker(node, clock), _worker(node, clock)
        try:
            issued = await asyncio.to_thread(node.issue_certificate, make_co("XA", "XB"))
            running = asyncio.create_task(first.deliver_due())
            await arrived.wait()
            assert await second.deliver_due() == 0  # leased by the running attempt
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
            await node.store.write_async(lambda tx: None)  # after the queued release
            assert await second.deliver_due() == 1  # same clock: no wait for the lease
            assert partner.calls == [issued.request_id] * 2
        finally:
            await first._partners.close()
            await second._partners.close()
            await asyncio.to_thread(node.close)
            await partner.stop()

    asyncio.run(scenario())


def test_lease_of_a_crashed_attempt_expires(pki_root: Path) -> None:
    """An entry claimed by a worker that died is attempted again once its lease expires."""

    async def scenario() -> None:
        partner = ScriptedPartner(root=pki_root, country="XB", script=_unavailable)
        address = await partner.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock)
        worker = _worker(node, clock)
        try:
            issued = await asyncio.to_thread(node.issue_certificate, make_co("XA", "XB"))
            outbox_id = _entry(node, issued.request_id).outbox_id
            lease_end = clock.now + dt.timedelta(seconds=5) + LEASE_MARGIN
            claimed = await node.store.write_async(
                lambda tx: tx.claim_outbox(
                    outbox_id, owner="crashed", now=clock.now, lease_until=lease_end
                )
            )
            assert claimed is not None
            # Claimed once: a second claim fails, whoever asks.
            again = await node.store.write_async(
                lambda tx: tx.claim_outbox(
                    outbox_id, owner=worker.owner, now=clock.now, lease_until=lease_end
                )
            )
            assert again is None
            assert await worker.deliver_due() == 0
            assert node.store.next_due_time() == lease_end
            assert partner.calls == []
            clock.now = lease_end
            assert await worker.deliver_due() == 1
            assert partner.calls == [issued.request_id]
            entry = _entry(node, issued.request_id)
            assert (entry.status, entry.attempts) == (PENDING, 1)
        finally:
            await worker._partners.close()
            await asyncio.to_thread(node.close)
            await partner.stop()

    asyncio.run(scenario())


_BIG_LIMITS = "\n[limits]\nmax_message_bytes = 16777216\nmax_payload_bytes = 8388608\n"


def test_transport_size_refusal_of_a_large_message_is_final(pki_root: Path) -> None:
    """RESOURCE_EXHAUSTED without ErrorInfo for > 4 MiB: FAILED MESSAGE_TOO_LARGE, no retry."""

    async def scenario() -> None:
        # No NodeInfo and gRPC's default 4 MiB receive limit: the transport refuses.
        partner = ScriptedPartner(root=pki_root, country="XB", script=_unavailable)
        address = await partner.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock, extra=_BIG_LIMITS)
        worker = _worker(node, clock)
        try:
            co = make_co("XA", "XB")
            co.exporter.address.lines.extend(["x" * 4000] * 1300)  # about 5 MiB
            issued = await asyncio.to_thread(node.issue_certificate, co)
            assert len(_entry(node, issued.request_id).envelope) > 4 * 1024 * 1024
            assert await worker.deliver_due() == 1
            entry = _entry(node, issued.request_id)
            assert (entry.status, entry.last_error_reason) == (FAILED, "MESSAGE_TOO_LARGE")
            assert partner.calls == []  # refused by the transport, before the handler
            clock.now += dt.timedelta(hours=1)
            assert await worker.deliver_due() == 0
        finally:
            await worker._partners.close()
            await asyncio.to_thread(node.close)
            await partner.stop()

    asyncio.run(scenario())


def test_message_over_published_limit_is_not_sent(pki_root: Path) -> None:
    """A request above the partner's NodeInfo limit is FAILED unsent; NodeInfo is asked once."""

    async def scenario() -> None:
        partner = ScriptedPartner(
            root=pki_root, country="XB", script=_unavailable, node_info_limit=512
        )
        address = await partner.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock)
        worker = _worker(node, clock)
        try:
            ids = []
            for _ in range(2):
                issued = await asyncio.to_thread(node.issue_certificate, make_co("XA", "XB"))
                ids.append(issued.request_id)
                assert await worker.deliver_due() == 1
            for request_id in ids:
                entry = _entry(node, request_id)
                assert (entry.status, entry.last_error_reason) == (FAILED, "MESSAGE_TOO_LARGE")
                assert "512" in entry.last_error_message
            assert partner.calls == []
            assert partner.node_info_calls == 1
        finally:
            await worker._partners.close()
            await asyncio.to_thread(node.close)
            await partner.stop()

    asyncio.run(scenario())


def test_resource_exhausted_on_a_small_message_is_retried(pki_root: Path) -> None:
    """RESOURCE_EXHAUSTED without MESSAGE_TOO_LARGE on a small message stays retryable."""

    async def exhausted(
        number: int,
        request: exchange_service_pb2.SubmitDocumentRequest,
        context: grpc.aio.ServicerContext[bytes, bytes],
    ) -> exchange_service_pb2.SubmitDocumentResponse:
        del number, request
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many calls")
        raise AssertionError("abort returns only by raising")

    async def scenario() -> None:
        partner = ScriptedPartner(
            root=pki_root, country="XB", script=exhausted, node_info_limit=4 * 1024 * 1024
        )
        address = await partner.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock)
        worker = _worker(node, clock)
        try:
            issued = await asyncio.to_thread(node.issue_certificate, make_co("XA", "XB"))
            assert await worker.deliver_due() == 1
            entry = _entry(node, issued.request_id)
            assert (entry.status, entry.last_error_reason) == (PENDING, "RESOURCE_EXHAUSTED")
            clock.now = entry.next_attempt_time
            assert await worker.deliver_due() == 1
            assert partner.calls == [issued.request_id] * 2
        finally:
            await worker._partners.close()
            await asyncio.to_thread(node.close)
            await partner.stop()

    asyncio.run(scenario())


class CuttingProxy:
    """A loopback TCP forwarder whose open connections can be cut (both sides closed)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        writers, self._writers = self._writers, []
        for writer in writers:
            writer.transport.abort()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


def _receipt_from(root: Path, request: exchange_service_pb2.SubmitDocumentRequest) -> bytes:
    """A receipt signed by XB's node signer, as a real XB would answer (REQ-PUSH-003)."""
    signer = SigningIdentity.from_pem(
        key_pem=(root / "XB" / "node-signer.key").read_bytes(),
        chain_pem=(root / "XB" / "node-signer.pem").read_bytes(),
    )
    receipt = envelope_pb2.Receipt(
        request_id=request.request_id,
        payload_sha256=hashlib.sha256(request.envelope.payload).hexdigest(),
        payload_type=request.envelope.payload_type,
        receiver_country="XB",
        sender_country="XA",
        delivery_status=DELIVERED,
        sequence=1,
    )
    receipt.received_time.GetCurrentTime()
    envelope = sign_envelope(
        payload_type=payload_types.RECEIPT,
        payload=receipt.SerializeToString(deterministic=True),
        signers=[signer],
    )
    return envelope.SerializeToString()


def test_connection_cut_mid_call_is_retried_on_a_new_connection(pki_root: Path) -> None:
    """The partner stores, then the connection breaks before the answer: UNAVAILABLE
    ("Stream removed" / "Socket closed") is retryable; the retry carries the same id and
    bytes over a new connection and its receipt delivers the document (REQ-PUSH-006)."""
    proxy: CuttingProxy | None = None
    envelopes: list[bytes] = []

    async def script(
        number: int,
        request: exchange_service_pb2.SubmitDocumentRequest,
        context: grpc.aio.ServicerContext[bytes, bytes],
    ) -> exchange_service_pb2.SubmitDocumentResponse:
        envelopes.append(request.envelope.SerializeToString())
        if number == 0:
            assert proxy is not None
            proxy.cut()
            await asyncio.sleep(0.1)
        receipt = envelope_pb2.Envelope.FromString(_receipt_from(pki_root, request))
        return exchange_service_pb2.SubmitDocumentResponse(receipt=receipt)

    async def scenario() -> None:
        nonlocal proxy
        partner = ScriptedPartner(root=pki_root, country="XB", script=script)
        await partner.start()
        proxy = CuttingProxy(partner.port)
        address = await proxy.start()
        clock = Clock()
        node = _open_sender(pki_root, address, clock)
        worker = _worker(node, clock)
        try:
            issued = await asyncio.to_thread(node.issue_certificate, make_co("XA", "XB"))
            assert await worker.deliver_due() == 1
            entry = _entry(node, issued.request_id)
            assert entry.status == PENDING
            assert entry.last_error_reason in {"UNAVAILABLE", "CONNECTION_FAILED"}
            for _ in range(5):  # a channel may notice the cut only on its next call
                clock.now = _entry(node, issued.request_id).next_attempt_time
                await worker.deliver_due()
                if _entry(node, issued.request_id).status != PENDING:
                    break
            entry = _entry(node, issued.request_id)
            assert entry.status == DELIVERED
            assert set(partner.calls) == {issued.request_id}
            assert len(partner.calls) >= 2
            assert set(envelopes) == {entry.envelope}
            assert proxy.connections >= 2
        finally:
            await worker._partners.close()
            await asyncio.to_thread(node.close)
            await proxy.stop()
            await partner.stop()

    asyncio.run(scenario())
