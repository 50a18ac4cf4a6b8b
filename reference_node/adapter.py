"""The conformance adapter: the node plus the adapter protocol (adapter.proto).

``eco-node adapter --config FILE`` runs the node (gRPC server and outbox
worker) and executes ``ExecuteRequest`` commands. Spawn mode (default): each
request arrives on standard input as a 4-byte big-endian length followed by
the serialized message, and one framed ``ExecuteResponse`` per request goes to
standard output, in order; standard output carries nothing else (logs go to
standard error). The adapter exits when standard input closes or on
``ShutdownCommand``. Attach mode (``--listen HOST:PORT``): the adapter serves
``AdapterService`` over plaintext gRPC on that address instead.

``RestartCommand`` restarts the node inside this process: the gRPC server,
the outbox worker and the store are stopped as at shutdown, then the node is
opened again from the same configuration and data directory and serves on
the port it had (so clients keep dialing the same address); partners
configured with ``ConfigurePartnerCommand`` are configured again.

Errors come back as ``ExecuteResponse.error``: a protocol refusal carries the
code and ``ErrorInfo`` the node would return (docs/spec.md section 9).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import struct
import sys
import threading
from typing import IO, Any

import grpc
from google.rpc import status_pb2

from reference_node.config import (
    DeliveryConfig,
    NodeConfig,
    PartnerConfig,
    apply_overrides,
    parse_address,
)
from reference_node.core.documents import CertificateRef
from reference_node.core.errors import EcoError
from reference_node.errors import NodeError
from reference_node.server.app import NodeRuntime
from reference_node.server.status import status_code_number, to_rpc_status, unavailable_status
from reference_node.service import IMPLEMENTATION_VERSION, Issued, Node
from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import envelope_pb2

__all__ = ["AdapterExecutor", "run_adapter"]

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
_MAX_FRAME = 64 * 1024 * 1024
#: How long a restart keeps trying to bind the port the node had (seconds).
_REBIND_TIMEOUT_S = 10.0


@dataclasses.dataclass(frozen=True, slots=True)
class _PartnerSetting:
    """One ``ConfigurePartnerCommand``, replayed after a restart."""

    partner: PartnerConfig
    tls_ca_pem: bytes
    deadline_ms: int


class AdapterExecutor:
    """Executes adapter commands against a running node."""

    def __init__(self, *, runtime: NodeRuntime) -> None:
        self.runtime = runtime
        self.node: Node = runtime.node
        self.shutdown = asyncio.Event()
        self._partners: dict[str, _PartnerSetting] = {}

    async def restart(self) -> None:
        """Stop the node and start it again from its configuration and data.

        The node serves on the port it was bound to before (REQ-PULL-003 and
        REQ-IDEM-002 are about what survives exactly this), and the partner
        settings made through the adapter are applied again.

        Raises:
            NodeError: The node cannot be opened or the port bound again.
        """
        old = self.runtime
        port = old.port
        await old.stop(1.0)
        await asyncio.to_thread(old.node.close)
        host = old.node.config.node.listen.rpartition(":")[0]
        config = apply_overrides(old.node.config, listen=f"{host}:{port}")
        node = await asyncio.to_thread(Node.open, config)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _REBIND_TIMEOUT_S
        while True:
            runtime = NodeRuntime(node=node)
            try:
                await runtime.start()
            except NodeError:
                if loop.time() >= deadline:
                    await asyncio.to_thread(node.close)
                    raise
                await asyncio.sleep(0.1)
                continue
            break
        for setting in self._partners.values():
            runtime.configure_partner(
                setting.partner, tls_ca_pem=setting.tls_ca_pem, deadline_ms=setting.deadline_ms
            )
        self.runtime = runtime
        self.node = node
        logger.info("node restarted, serving on port %d", runtime.port)

    @staticmethod
    def _queued(issued: Issued) -> adapter_pb2.ExecuteResponse:
        return adapter_pb2.ExecuteResponse(
            queued=adapter_pb2.QueuedDocument(
                request_id=issued.request_id,
                recipient_country=issued.recipient_country,
                certificate=issued.certificate.to_proto(),
                verification_id=issued.verification_id or "",
            )
        )

    def _outbox(self) -> adapter_pb2.ExecuteResponse:
        report = adapter_pb2.OutboxReport()
        for entry in self.node.store.outbox():
            item = report.entries.add(
                request_id=entry.request_id,
                recipient_country=entry.recipient,
                status=entry.status,
                attempts=entry.attempts,
                last_error_reason=entry.last_error_reason,
            )
            if entry.receipt is not None:
                item.receipt.CopyFrom(envelope_pb2.Envelope.FromString(entry.receipt))
        return adapter_pb2.ExecuteResponse(outbox=report)

    async def execute(self, request: adapter_pb2.ExecuteRequest) -> adapter_pb2.ExecuteResponse:
        """Run one command; never raises."""
        try:
            response = await self._execute(request)
        except EcoError as exc:
            logger.info("adapter command refused: %s", exc.diagnostics())
            response = adapter_pb2.ExecuteResponse(error=to_rpc_status(exc))
        except NodeError as exc:
            response = adapter_pb2.ExecuteResponse(
                error=status_pb2.Status(
                    code=status_code_number(grpc.StatusCode.FAILED_PRECONDITION),
                    message=exc.diagnostics(),
                )
            )
        except Exception:
            logger.exception("adapter command failed")
            response = adapter_pb2.ExecuteResponse(error=unavailable_status())
        response.command_id = request.command_id
        return response

    async def _execute(self, request: adapter_pb2.ExecuteRequest) -> adapter_pb2.ExecuteResponse:
        node = self.node
        which = request.WhichOneof("command")
        if which == "describe":
            return adapter_pb2.ExecuteResponse(
                describe=adapter_pb2.DescribeResult(
                    country=node.country,
                    issuing_authority_id=node.config.node.authority_id,
                    implementation_name=node.config.node.implementation_name,
                    implementation_version=IMPLEMENTATION_VERSION,
                    delivers_unprompted=True,
                    unprompted_delivery_bound_ms=_unprompted_bound_ms(node.config.delivery),
                )
            )
        if which == "configure_partner":
            cmd = request.configure_partner
            if cmd.address:
                parse_address(cmd.address)
            partner = PartnerConfig(
                country=cmd.country,
                address=cmd.address,
                tls_ca=node.config.node.data_dir,
                tls_server_name=cmd.tls_server_name,
                trust_anchors=node.config.node.data_dir,
            )
            self.runtime.configure_partner(
                partner, tls_ca_pem=cmd.tls_ca_pem, deadline_ms=cmd.deadline_ms
            )
            self._partners[cmd.country] = _PartnerSetting(
                partner=partner, tls_ca_pem=cmd.tls_ca_pem, deadline_ms=cmd.deadline_ms
            )
            return adapter_pb2.ExecuteResponse(done=adapter_pb2.Done())
        if which == "restart":
            await self.restart()
            return adapter_pb2.ExecuteResponse(done=adapter_pb2.Done())
        if which == "issue_certificate":
            issued = await asyncio.to_thread(
                node.issue_certificate, request.issue_certificate.certificate
            )
        elif which == "change_status":
            cmd_cs = request.change_status
            issued = await asyncio.to_thread(
                lambda: node.change_status(
                    CertificateRef.from_proto(cmd_cs.certificate),
                    new_state=cmd_cs.new_state,
                    reason=cmd_cs.reason,
                )
            )
        elif which == "replace_certificate":
            cmd_rc = request.replace_certificate
            issued = await asyncio.to_thread(
                lambda: node.issue_certificate(
                    cmd_rc.certificate, replaces=CertificateRef.from_proto(cmd_rc.replaced)
                )
            )
        elif which == "record_import_outcome":
            issued = await asyncio.to_thread(
                node.record_import_outcome, request.record_import_outcome.outcome
            )
        elif which == "request_verification":
            issued = await asyncio.to_thread(
                node.request_verification, request.request_verification.request
            )
        elif which == "respond_verification":
            issued = await asyncio.to_thread(
                node.respond_verification, request.respond_verification.result
            )
        elif which == "deliver":
            timeout = (request.deliver.timeout_ms or 10000) / 1000.0
            try:
                await asyncio.wait_for(self.runtime.worker.drain(timeout_s=timeout), timeout)
            except TimeoutError:
                logger.info("deliver: timeout after %.1f s", timeout)
            return await asyncio.to_thread(self._outbox)
        elif which == "get_outbox":
            return await asyncio.to_thread(self._outbox)
        elif which == "shutdown":
            self.shutdown.set()
            return adapter_pb2.ExecuteResponse(done=adapter_pb2.Done())
        else:
            return adapter_pb2.ExecuteResponse(
                error=status_pb2.Status(
                    code=status_code_number(grpc.StatusCode.UNIMPLEMENTED),
                    message="ExecuteRequest carries no command this adapter knows",
                )
            )
        self.runtime.worker.wake()
        return self._queued(issued)


def _unprompted_bound_ms(delivery: DeliveryConfig) -> int:
    """How long the outbox worker may take to attempt, or retry after UNAVAILABLE (ms).

    A queued document wakes the worker at once; the first retry is due within
    ``initial_backoff_ms`` (backoff of one attempt, jitter at most 1) and the worker looks
    again within ``poll_interval_ms`` of it being due.
    """
    return delivery.initial_backoff_ms + delivery.poll_interval_ms


def _read_exact(stream: IO[bytes], size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _stdin_reader(
    stream: IO[bytes], loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]
) -> None:
    try:
        while True:
            header = _read_exact(stream, _LENGTH.size)
            if header is None:
                break
            (length,) = _LENGTH.unpack(header)
            if length > _MAX_FRAME:
                logger.error("adapter frame of %d bytes is too large", length)
                break
            body = _read_exact(stream, length) if length else b""
            if body is None:
                logger.error("standard input ended inside a frame")
                break
            loop.call_soon_threadsafe(queue.put_nowait, body)
    finally:
        loop.call_soon_threadsafe(queue.put_nowait, None)


async def _serve_stdio(executor: AdapterExecutor, out: IO[bytes]) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    thread = threading.Thread(
        target=_stdin_reader, args=(sys.stdin.buffer, loop, queue), daemon=True
    )
    thread.start()
    while not executor.shutdown.is_set():
        frame = await queue.get()
        if frame is None:
            break
        request = adapter_pb2.ExecuteRequest()
        try:
            request.ParseFromString(frame)
        except Exception:
            logger.error("standard input frame is not an ExecuteRequest")
            response = adapter_pb2.ExecuteResponse(
                error=status_pb2.Status(
                    code=status_code_number(grpc.StatusCode.INVALID_ARGUMENT),
                    message="frame is not an ExecuteRequest",
                )
            )
        else:
            response = await executor.execute(request)
        data = response.SerializeToString()
        out.write(_LENGTH.pack(len(data)) + data)
        out.flush()


async def _serve_grpc(executor: AdapterExecutor, listen: str) -> None:
    async def execute(
        request: adapter_pb2.ExecuteRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> adapter_pb2.ExecuteResponse:
        del context
        return await executor.execute(request)

    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "wco.eco.conformance.v1.AdapterService",
                {
                    "Execute": grpc.unary_unary_rpc_method_handler(
                        execute,
                        request_deserializer=adapter_pb2.ExecuteRequest.FromString,
                        response_serializer=adapter_pb2.ExecuteResponse.SerializeToString,
                    )
                },
            ),
        )
    )
    port = server.add_insecure_port(listen)
    await server.start()
    logger.info("adapter service listening on port %d", port)
    try:
        await executor.shutdown.wait()
    finally:
        await server.stop(1.0)


def run_adapter(config: NodeConfig, *, listen: str | None) -> int:
    """Run the node and the adapter protocol until shutdown; return the exit status."""
    # Standard output carries only frames: keep its buffer, send stray prints to stderr.
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout = sys.stderr
    opened: list[Node] = [Node.open(config)]

    async def run() -> None:
        runtime = NodeRuntime(node=opened[0])
        await runtime.start()
        executor = AdapterExecutor(runtime=runtime)
        try:
            if listen:
                await _serve_grpc(executor, listen)
            else:
                await _serve_stdio(executor, frames)
        finally:
            await executor.runtime.stop(1.0)
            opened.append(executor.node)

    try:
        asyncio.run(run())
    finally:
        opened[-1].close()
        frames.close()
    if not listen:
        # The stdin reader thread may still block in read(); interpreter shutdown
        # would then abort on the stdin buffer lock. Everything is stored and
        # closed at this point, so leave without running finalizers.
        logging.shutdown()
        sys.stderr.flush()
        os._exit(0)
    return 0
