"""The serving node: gRPC server, health, reflection and the outbox worker.

:class:`NodeRuntime` runs one :class:`~reference_node.service.Node` on an
asyncio loop: a ``grpc.aio`` server with mutual TLS (client certificates
required, roots = the TLS CAs of all configured partners; REQ-ACC-001), the
three protocol services, ``grpc.health.v1.Health`` and server reflection
(REQ-ACC-005) behind :class:`~reference_node.server.guard.ServiceGuard`
(REQ-ACC-006), and the outbox worker that delivers queued documents
(REQ-PUSH-006). Once serving, the bound port is written to ``node.port_file``.
While it runs, the runtime holds an exclusive lock on ``data_dir/serve.lock``
so that CLI commands know a worker will deliver what they queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Any

import grpc
from cryptography.hazmat.primitives import serialization
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from reference_node.config import PartnerConfig, parse_address
from reference_node.errors import ConfigError, NodeError
from reference_node.sender.client import PartnerEndpoint, PartnerRegistry
from reference_node.sender.outbox import OutboxWorker
from reference_node.server.auth import load_pem_certificates
from reference_node.server.guard import ServiceGuard
from reference_node.server.services import FeedNotifier, NodeServicers, generic_handlers
from reference_node.service import Node
from wco.eco.v1 import exchange_service_pb2, node_service_pb2, trust_service_pb2

__all__ = ["NodeRuntime", "ServeLock", "partner_registry", "serve_lock_held"]

logger = logging.getLogger(__name__)

SERVICE_NAMES = (
    exchange_service_pb2.DESCRIPTOR.services_by_name["ExchangeService"].full_name,
    node_service_pb2.DESCRIPTOR.services_by_name["NodeService"].full_name,
    trust_service_pb2.DESCRIPTOR.services_by_name["TrustService"].full_name,
)


class ServeLock:
    """Exclusive lock on ``data_dir/serve.lock`` while a node serves."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "serve.lock"
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            NodeError: Another process serves this data directory.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise NodeError(f"another node process already serves {self.path.parent}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Release the lock."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def serve_lock_held(data_dir: Path) -> bool:
    """Whether a serving process holds the lock of ``data_dir``."""
    path = data_dir / "serve.lock"
    if not path.exists():
        return False
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc


def partner_registry(node: Node) -> PartnerRegistry:
    """The partner clients of ``node``'s configuration (mTLS with its client cert)."""
    config = node.config
    endpoints = [
        PartnerEndpoint(
            country=p.country,
            address=p.address,
            tls_ca_pem=_read(p.tls_ca, "partner TLS CA"),
            tls_server_name=p.tls_server_name,
        )
        for p in config.partners
    ]
    return PartnerRegistry(
        endpoints=endpoints,
        client_cert_pem=_read(config.tls.client_cert, "TLS client certificate"),
        client_key_pem=_read(config.tls.client_key, "TLS client key"),
        max_message_bytes=config.limits.max_message_bytes,
    )


def _write_port_file(path: Path, port: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{port}\n", encoding="ascii")
    tmp.replace(path)


class NodeRuntime:
    """A node serving gRPC and delivering its outbox on the running event loop."""

    def __init__(
        self,
        *,
        node: Node,
        deliver: bool = True,
        shared_port: bool = False,
        worker_of: int | None = None,
    ) -> None:
        """Prepare the runtime; nothing is bound or started yet.

        Args:
            node: The node to serve.
            deliver: Run the outbox worker (REQ-PUSH-006).
            shared_port: Bind with ``SO_REUSEPORT`` so that the node's other
                serving processes can bind the same port.
            worker_of: Set in an extra serving process: the pid of the node's
                first process, which holds the serve lock, delivers and
                writes the port file; this process stops when it is gone.
        """
        self.node = node
        self.notifier = FeedNotifier()
        self.partners = partner_registry(node)
        self.worker = OutboxWorker(
            store=node.store,
            partners=self.partners,
            delivery=node.config.delivery,
            verify_receipt=node.verify_delivery_receipt,
            accept_receipt=node.accept_delivery_receipt,
            clock=node.clock,
        )
        self._deliver = deliver and worker_of is None
        self._shared_port = shared_port or worker_of is not None
        self._worker_of = worker_of
        self._server: grpc.aio.Server | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = ServeLock(node.config.node.data_dir)
        self._tls_version = 0
        self._tls_served = -1
        self.port = 0
        self.health = health.aio.HealthServicer()  # type: ignore[attr-defined]

    # -- TLS ----------------------------------------------------------------------------

    def _tls_config(self) -> Any:
        config = self.node.config
        roots = b"".join(
            ca.public_bytes(serialization.Encoding.PEM) for ca in self.node.authenticator.all_cas()
        )
        cert = _read(config.tls.server_cert, "TLS server certificate")
        key = _read(config.tls.server_key, "TLS server key")
        return grpc.ssl_server_certificate_configuration(
            [(key, cert)], root_certificates=roots or cert
        )

    def _fetch_tls(self) -> Any:
        if self._tls_served == self._tls_version:
            return None
        self._tls_served = self._tls_version
        return self._tls_config()

    def configure_partner(
        self, partner: PartnerConfig, *, tls_ca_pem: bytes, deadline_ms: int
    ) -> None:
        """Point the node at a partner at run time (adapter ConfigurePartner).

        Raises:
            NodeError: The CA PEM is not usable.
        """
        try:
            cas = load_pem_certificates(tls_ca_pem)
        except ValueError as exc:
            raise NodeError("tls_ca_pem holds no PEM certificate") from exc
        self.node.configure_partner(partner, cas)
        self.partners.set_endpoint(
            PartnerEndpoint(
                country=partner.country,
                address=partner.address,
                tls_ca_pem=tls_ca_pem,
                tls_server_name=partner.tls_server_name,
                deadline_ms=deadline_ms,
            )
        )
        self._tls_version += 1
        self.worker.wake()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, *, publish: bool = True) -> int:
        """Start serving and delivering; return the bound port.

        Args:
            publish: Write the port file now (otherwise call
                :meth:`publish_port` once the node's other serving processes
                serve too).

        Raises:
            NodeError: The address cannot be bound or the data directory is in use.
        """
        config = self.node.config
        host, _ = parse_address(config.node.listen)
        if self._worker_of is None:
            self._lock.acquire()
        loop = asyncio.get_running_loop()
        self.notifier.bind(loop)
        self.notifier.last_sequence = self.node.store.last_sequence()
        self.node.store.add_commit_listener(self.notifier.notify_threadsafe)
        limits = config.limits
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", limits.max_message_bytes),
                ("grpc.max_send_message_length", max(limits.max_message_bytes, 64 * 1024 * 1024)),
                ("grpc.so_reuseport", 1 if self._shared_port else 0),
            ],
            maximum_concurrent_rpcs=None,
            # Health, reflection and any other non-protocol service: same caller
            # identity as the protocol RPCs, malformed requests refused (REQ-ACC-006).
            interceptors=[
                ServiceGuard(authenticator=self.node.authenticator, exempt=SERVICE_NAMES)
            ],
        )
        servicers = NodeServicers(node=self.node, notifier=self.notifier)
        server.add_generic_rpc_handlers(tuple(generic_handlers(servicers)))
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
        self._tls_served = self._tls_version
        credentials = grpc.dynamic_ssl_server_credentials(
            self._tls_config(), self._fetch_tls, require_client_authentication=True
        )
        try:
            port = server.add_secure_port(config.node.listen, credentials)
        except RuntimeError as exc:
            self._lock.release()
            raise NodeError(f"cannot listen on {config.node.listen}: {exc}") from exc
        if port == 0:
            self._lock.release()
            raise NodeError(f"cannot listen on {config.node.listen}")
        await server.start()
        self._server = server
        self.port = port
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self._deliver:
            self._tasks.append(asyncio.create_task(self.worker.run(self._stop)))
        self._tasks.append(asyncio.create_task(self._watch_external_commits()))
        if publish:
            self.publish_port()
        logger.info("node %s serving on %s:%d", self.node.country, host, port)
        return port

    def publish_port(self) -> None:
        """Write the bound port to ``node.port_file`` (when configured)."""
        port_file = self.node.config.node.port_file
        if port_file is not None:
            _write_port_file(port_file, self.port)

    async def _watch_external_commits(self) -> None:
        """Pick up what other processes (the CLI) committed: documents and directories."""
        interval = self.node.config.delivery.poll_interval_ms / 1000.0
        store = self.node.store
        while not self._stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
            if self._worker_of is not None and os.getppid() != self._worker_of:
                logger.warning("the node's first serving process is gone; stopping")
                self._stop.set()
                return
            try:
                await asyncio.to_thread(self.node.refresh_directories)
            except Exception:
                logger.exception("directory refresh failed")
            try:
                last = await store.read_async(store.last_sequence)
            except Exception:
                logger.exception("feed poll failed")
                continue
            if last > self.notifier.last_sequence:
                self.notifier.last_sequence = last
                self.notifier.fire()

    @property
    def stopping(self) -> asyncio.Event:
        """Set once the runtime is asked to stop."""
        return self._stop

    def request_stop(self) -> None:
        """Ask :meth:`wait` to return (signal handlers)."""
        self._stop.set()

    async def wait(self) -> None:
        """Wait until :meth:`request_stop`."""
        await self._stop.wait()

    async def stop(self, grace: float = 2.0) -> None:
        """Stop serving and delivering, then close the partner channels."""
        self._stop.set()
        await self.health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.partners.close()
        self._lock.release()
