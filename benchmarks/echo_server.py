"""The baseline: a bare ``grpc.aio`` ExchangeService that does no work.

It reads the same node configuration file as the reference node (ADR 0001)
and serves with the same mutual TLS setup (server certificate, client
certificate required and checked against the partners' TLS CAs,
REQ-ACC-001), then answers ``SubmitDocument`` and ``SubmitDocumentStream``
with one fixed, pre-signed receipt envelope: no verification, no storage.
The reference node's throughput is reported as a ratio of this server's,
measured in the same run with the same client and payloads (issue #6).

Run: ``python -m benchmarks.echo_server --config node.toml``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2

from benchmarks.common import RECEIPT_TYPE, Signer
from reference_node.server.workers import die_with_parent
from wco.eco.v1 import envelope_pb2, exchange_service_pb2, exchange_service_pb2_grpc

logger = logging.getLogger(__name__)

_MAX_MESSAGE = 4 * 1024 * 1024 + 64 * 1024


def _fixed_receipt(signer: Signer, country: str) -> envelope_pb2.Envelope:
    receipt = envelope_pb2.Receipt(
        request_id="00000000-0000-4000-8000-000000000000",
        payload_sha256=hashlib.sha256(b"").hexdigest(),
        payload_type="application/vnd.wco.eco.certificate.v1+protobuf",
        receiver_country=country,
        sender_country="XA",
        received_time=timestamp_pb2.Timestamp(seconds=1_780_000_000),
        delivery_status=envelope_pb2.DELIVERY_STATUS_DELIVERED,
        certificate=envelope_pb2.CertificateReferenceDigest(
            exporting_country="XA", issuing_authority_id="xa-customs", certificate_number="X-1"
        ),
        sequence=1,
    )
    return signer.sign(RECEIPT_TYPE, receipt.SerializeToString())


class EchoExchange(exchange_service_pb2_grpc.ExchangeServiceServicer):
    """Answers every submission with the same receipt, doing nothing else."""

    def __init__(self, *, receipt: envelope_pb2.Envelope) -> None:
        self._unary = exchange_service_pb2.SubmitDocumentResponse(receipt=receipt)
        self._receipt = receipt

    async def SubmitDocument(  # noqa: N802 - gRPC method name
        self,
        request: exchange_service_pb2.SubmitDocumentRequest,
        context: grpc.aio.ServicerContext[
            exchange_service_pb2.SubmitDocumentRequest,
            exchange_service_pb2.SubmitDocumentResponse,
        ],
    ) -> exchange_service_pb2.SubmitDocumentResponse:
        """Return the fixed receipt."""
        return self._unary

    async def SubmitDocumentStream(  # noqa: N802 - gRPC method name
        self,
        request_iterator: AsyncIterator[exchange_service_pb2.SubmitDocumentStreamRequest],
        context: grpc.aio.ServicerContext[
            exchange_service_pb2.SubmitDocumentStreamRequest,
            exchange_service_pb2.SubmitDocumentStreamResponse,
        ],
    ) -> AsyncIterator[exchange_service_pb2.SubmitDocumentStreamResponse]:
        """Answer each request, in order, with the fixed receipt."""
        async for request in request_iterator:
            yield exchange_service_pb2.SubmitDocumentStreamResponse(
                request_id=request.request_id, receipt=self._receipt
            )


def _resolve(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else base / p


def _spawn_copies(config_path: Path, port: int, count: int, ready_dir: Path) -> list[Path]:
    """Start ``count`` more echo processes on ``port`` (SO_REUSEPORT); return their ready files."""
    ready = [ready_dir / f"echo-{os.getpid()}-{i}.ready" for i in range(count)]
    for path in ready:
        path.unlink(missing_ok=True)
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.echo_server",
                "--config",
                str(config_path),
                "--copy-of",
                str(os.getpid()),
                "--port",
                str(port),
                "--ready-file",
                str(path),
            ]
        )
    return ready


async def serve(
    config_path: Path,
    *,
    processes: int = 1,
    copy_of: int | None = None,
    port: int = 0,
    ready_file: Path | None = None,
) -> None:
    """Serve the echo ExchangeService with the TLS setup of ``config_path``.

    With ``processes`` > 1 the first process starts the others on its port
    (``SO_REUSEPORT``, as the node's ``[node] processes``) and writes the port
    file once they all serve; they end when it ends.
    """
    if copy_of is not None:
        die_with_parent(copy_of)
    config = tomllib.loads(config_path.read_text(encoding="utf-8"))  # noqa: ASYNC240 - startup
    base = config_path.parent
    node, tls, signing = config["node"], config["tls"], config["signing"]
    client_cas = b"".join(
        _resolve(base, p["tls_ca"]).read_bytes() for p in config.get("partners", [])
    )
    credentials = grpc.ssl_server_credentials(
        [
            (
                _resolve(base, tls["server_key"]).read_bytes(),
                _resolve(base, tls["server_cert"]).read_bytes(),
            )
        ],
        root_certificates=client_cas,
        require_client_auth=True,
    )
    signer = Signer.load(
        chain_pem=_resolve(base, signing["node_signer_chain"]),
        key_pem=_resolve(base, signing["node_signer_key"]),
    )
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
            ("grpc.max_send_message_length", _MAX_MESSAGE),
            ("grpc.so_reuseport", 1 if processes > 1 or copy_of is not None else 0),
        ]
    )
    exchange_service_pb2_grpc.add_ExchangeServiceServicer_to_server(
        EchoExchange(  # type: ignore[abstract] # the other methods answer UNIMPLEMENTED
            receipt=_fixed_receipt(signer, node["country"])
        ),
        server,
    )
    listen = f"127.0.0.1:{port}" if copy_of is not None else node.get("listen", "127.0.0.1:0")
    port = server.add_secure_port(listen, credentials)
    await server.start()
    if ready_file is not None:
        ready_file.write_text(f"{port}\n")  # noqa: ASYNC240 - startup
    if processes > 1:
        ready = _spawn_copies(config_path, port, processes - 1, config_path.parent)
        while not all(path.exists() for path in ready):  # noqa: ASYNC110 - other processes
            await asyncio.sleep(0.05)
    port_file = node.get("port_file", "")
    if port_file and copy_of is None:
        _resolve(base, port_file).write_text(f"{port}\n")
    logger.info("echo server listening on port %d", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="node TOML configuration")
    parser.add_argument(
        "--processes", type=int, default=1, help="serving processes sharing the port (default 1)"
    )
    parser.add_argument("--copy-of", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(
        serve(
            args.config.resolve(),
            processes=args.processes,
            copy_of=args.copy_of,
            port=args.port,
            ready_file=args.ready_file,
        )
    )


if __name__ == "__main__":
    main()
