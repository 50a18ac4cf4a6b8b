"""Drive a sending node through the conformance adapter protocol (spawn mode).

``python -m reference_node adapter --config node.toml`` is the node plus the
language-neutral adapter protocol of ``proto/wco/eco/conformance/v1/adapter.proto``:
length-prefixed ``ExecuteRequest`` / ``ExecuteResponse`` messages (4-byte
unsigned big-endian length) over stdin/stdout. The reliability tests use it to
issue and queue certificates, run delivery and read the outbox (REQ-PUSH-004,
REQ-PUSH-006), and kill it with SIGKILL mid-delivery.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
import uuid
from pathlib import Path

from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import certificate_pb2

from .node import NodeProcess

__all__ = ["Adapter", "AdapterError"]


class AdapterError(RuntimeError):
    """The adapter answered a command with an error, or died."""


class Adapter:
    """One adapter subprocess for a node configuration."""

    def __init__(self, *, node: NodeProcess) -> None:
        self.node = node
        self.log_path: Path = node.workdir / "adapter.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reference_node",
                    "--config",
                    str(node.config_path),
                    "adapter",
                ],
                cwd=node.workdir,
                env=node.env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )

    def execute(self, request: adapter_pb2.ExecuteRequest) -> adapter_pb2.ExecuteResponse:
        """Send one command and read its response."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request.command_id = request.command_id or str(uuid.uuid4())
        data = request.SerializeToString()
        try:
            self.process.stdin.write(struct.pack(">I", len(data)) + data)
            self.process.stdin.flush()
            header = self.process.stdout.read(4)
            if len(header) != 4:
                raise AdapterError(f"adapter closed its output:\n{self.log_tail()}")
            (length,) = struct.unpack(">I", header)
            body = self.process.stdout.read(length)
        except (BrokenPipeError, OSError) as exc:
            raise AdapterError(f"adapter died: {exc}\n{self.log_tail()}") from exc
        if len(body) != length:
            raise AdapterError(f"adapter died mid-frame:\n{self.log_tail()}")
        response = adapter_pb2.ExecuteResponse.FromString(body)
        if response.command_id != request.command_id:
            raise AdapterError("adapter answered another command")
        if response.HasField("error"):
            raise AdapterError(f"adapter error {response.error.code}: {response.error.message}")
        return response

    def issue(self, certificate: certificate_pb2.CertificateOfOrigin) -> adapter_pb2.QueuedDocument:
        """Issue, sign and queue a certificate; return the queued document."""
        resp = self.execute(
            adapter_pb2.ExecuteRequest(
                issue_certificate=adapter_pb2.IssueCertificateCommand(certificate=certificate)
            )
        )
        return resp.queued

    def deliver(self, timeout_ms: int = 10000) -> adapter_pb2.OutboxReport:
        """Run delivery until nothing is due or the timeout passes; return the outbox."""
        resp = self.execute(
            adapter_pb2.ExecuteRequest(deliver=adapter_pb2.DeliverCommand(timeout_ms=timeout_ms))
        )
        return resp.outbox

    def outbox(self) -> adapter_pb2.OutboxReport:
        """Return the outbox."""
        return self.execute(
            adapter_pb2.ExecuteRequest(get_outbox=adapter_pb2.GetOutboxCommand())
        ).outbox

    def kill(self) -> None:
        """SIGKILL the adapter (the node with its outbox) and reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> None:
        """Shut down politely, then make sure it is gone."""
        if self.process.poll() is None:
            with contextlib.suppress(AdapterError):
                self.execute(adapter_pb2.ExecuteRequest(shutdown=adapter_pb2.ShutdownCommand()))
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the adapter's standard error."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
