"""The suite's side of the adapter protocol (docs/conformance.md, "Adapter protocol").

The adapter protocol (``proto/wco/eco/conformance/v1/adapter.proto``) is how the suite drives
a node under test in the sender role. Two transports:

- spawn mode (default): the suite starts the operator's adapter command and writes each
  ``ExecuteRequest`` to its standard input framed as a 4-byte unsigned big-endian length
  followed by the serialized message; the adapter answers each with one framed
  ``ExecuteResponse`` on its standard output, in order. The adapter's standard error is kept
  in a log file for the report.
- attach mode: the adapter already runs and serves ``AdapterService`` over gRPC (plaintext,
  loopback); the suite calls ``Execute`` once per request.

:class:`AdapterClient` hides the difference. A dead or misbehaving adapter raises
:class:`AdapterError` with a clear message (exit code and log tail), never hangs forever.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import struct
import subprocess
import threading
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Final

import grpc
from google.protobuf.message import DecodeError

from conformance.errors import ConformanceError
from wco.eco.conformance.v1 import adapter_pb2, adapter_pb2_grpc

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_FRAME_BYTES",
    "AdapterClient",
    "AdapterCommandError",
    "AdapterError",
    "read_frame",
    "write_frame",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 60.0
"""Seconds the suite waits for one adapter response by default."""

MAX_FRAME_BYTES: Final = 64 * 1024 * 1024
"""Largest frame the suite accepts from an adapter (a sanity bound, not a spec limit)."""

_LENGTH = struct.Struct(">I")


class AdapterError(ConformanceError):
    """The adapter could not be started, died, or broke the framing."""


class AdapterCommandError(ConformanceError):
    """The adapter answered a command with an error status.

    Attributes:
        response: the full ExecuteResponse; ``response.error`` is the google.rpc.Status.
    """

    def __init__(self, message: str, *, response: adapter_pb2.ExecuteResponse) -> None:
        super().__init__(message)
        self.response = response


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Writes one frame: 4-byte unsigned big-endian length, then the bytes."""
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """Reads one frame; returns None on a clean end of stream before a frame starts.

    Raises:
        AdapterError: the stream ends inside a frame or the length is absurd.
    """
    header = _read_exact(stream, _LENGTH.size)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise AdapterError(f"adapter frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
    body = _read_exact(stream, length) if length else b""
    if body is None:
        raise AdapterError("adapter output ended inside a frame")
    return body


def _read_exact(stream: IO[bytes], size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if chunks:
                raise AdapterError("adapter output ended inside a frame")
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class _Transport(ABC):
    @abstractmethod
    def call(
        self, request: adapter_pb2.ExecuteRequest, timeout: float
    ) -> adapter_pb2.ExecuteResponse: ...

    @abstractmethod
    def close(self) -> None: ...

    def log_tail(self) -> str:
        return ""


class _SpawnTransport(_Transport):
    """Length-prefixed protobuf over a child's stdin/stdout."""

    def __init__(self, *, command: list[str], log_path: Path, cwd: Path | None) -> None:
        self._log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        try:
            self._process = subprocess.Popen(  # noqa: S603 - the operator's own command
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                cwd=cwd,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                # Its own session: a Ctrl-C meant for the suite must not kill the node
                # before the suite has written the reports of the interrupted run.
                start_new_session=True,
            )
        except OSError as exc:
            self._log.close()
            raise AdapterError(f"cannot start adapter {command[0]!r}: {exc}") from exc
        self._responses: queue.Queue[bytes | BaseException | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._lock = threading.Lock()
        self._broken: str | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def _read_loop(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                frame = read_frame(stdout)
                self._responses.put(frame)
                if frame is None:
                    return
        except (AdapterError, OSError, ValueError) as exc:
            self._responses.put(exc)

    def log_tail(self, limit: int = 2000) -> str:
        try:
            data = self._log_path.read_bytes()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", errors="replace")

    def _died(self, what: str) -> AdapterError:
        try:
            code: int | None = self._process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        status = f"exit code {code}" if code is not None else "still running"
        tail = self.log_tail().strip()
        detail = f"; last log lines:\n{tail}" if tail else ""
        return AdapterError(f"adapter {what} ({status}); log {self._log_path}{detail}")

    def call(
        self, request: adapter_pb2.ExecuteRequest, timeout: float
    ) -> adapter_pb2.ExecuteResponse:
        with self._lock:
            if self._broken is not None:
                raise AdapterError(f"adapter unusable after an earlier failure: {self._broken}")
            try:
                return self._call(request, timeout)
            except AdapterError as exc:
                self._broken = str(exc).splitlines()[0]
                raise

    def _call(
        self, request: adapter_pb2.ExecuteRequest, timeout: float
    ) -> adapter_pb2.ExecuteResponse:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            write_frame(stdin, request.SerializeToString())
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise self._died("closed its input") from exc
        try:
            item = self._responses.get(timeout=timeout)
        except queue.Empty as exc:
            raise self._died(f"did not answer within {timeout:g} s") from exc
        if item is None:
            self._responses.put(None)
            raise self._died("ended its output")
        if isinstance(item, BaseException):
            raise self._died(f"broke the framing: {item}") from item
        response = adapter_pb2.ExecuteResponse()
        try:
            response.ParseFromString(item)
        except DecodeError as exc:
            raise self._died("wrote a frame that is not an ExecuteResponse") from exc
        return response

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.warning("adapter %d did not exit; terminating it", process.pid)
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._log.close()


class _AttachTransport(_Transport):
    """AdapterService over gRPC (plaintext, loopback)."""

    def __init__(self, *, address: str) -> None:
        self._address = address
        self._channel = grpc.insecure_channel(address)
        self._stub = adapter_pb2_grpc.AdapterServiceStub(self._channel)

    def call(
        self, request: adapter_pb2.ExecuteRequest, timeout: float
    ) -> adapter_pb2.ExecuteResponse:
        try:
            response: adapter_pb2.ExecuteResponse = self._stub.Execute(request, timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            raise AdapterError(
                f"adapter at {self._address} failed Execute: {code}: "
                f"{exc.details() if isinstance(exc, grpc.Call) else exc}"
            ) from exc
        return response

    def close(self) -> None:
        self._channel.close()


class AdapterClient:
    """Drives a node under test through the adapter protocol.

    Create with :meth:`spawn` or :meth:`attach`; use as a context manager or call
    :meth:`close`.
    """

    def __init__(self, *, transport: _Transport, description: str) -> None:
        self._transport = transport
        self._description = description
        self._closed = False

    @classmethod
    def spawn(
        cls, command: list[str], *, log_path: Path | None = None, cwd: Path | None = None
    ) -> AdapterClient:
        """Starts the adapter command and speaks the protocol over its stdin/stdout.

        Args:
            command: the adapter command line (argv).
            log_path: file that receives the adapter's standard error; default
                ``./adapter.log``.
            cwd: working directory of the adapter.

        Raises:
            AdapterError: the command cannot be started.
        """
        if not command:
            raise AdapterError("empty adapter command")
        transport = _SpawnTransport(
            command=list(command), log_path=log_path or Path("adapter.log"), cwd=cwd
        )
        return cls(transport=transport, description=f"adapter pid {transport.pid}")

    @classmethod
    def attach(cls, address: str) -> AdapterClient:
        """Reaches an adapter already serving AdapterService at ``host:port``."""
        return cls(transport=_AttachTransport(address=address), description=address)

    @property
    def log_path(self) -> Path | None:
        """The adapter's standard-error log (spawn mode), for the report."""
        transport = self._transport
        return transport._log_path if isinstance(transport, _SpawnTransport) else None

    @property
    def returncode(self) -> int | None:
        """Exit code of a spawned adapter that has exited; None while running or attached."""
        transport = self._transport
        if isinstance(transport, _SpawnTransport):
            return transport.returncode
        return None

    def log_tail(self) -> str:
        """The end of the adapter's log, for error messages and reports."""
        return self._transport.log_tail()

    def execute(
        self, request: adapter_pb2.ExecuteRequest, timeout: float = DEFAULT_TIMEOUT
    ) -> adapter_pb2.ExecuteResponse:
        """Sends one command and returns the adapter's response as is.

        A ``command_id`` is chosen when the request has none; the response must echo it.

        Raises:
            AdapterError: transport failure, adapter death, or a mismatched command id.
        """
        if self._closed:
            raise AdapterError(f"{self._description} is closed")
        if not request.command_id:
            request.command_id = str(uuid.uuid4())
        if request.WhichOneof("command") is None:
            raise AdapterError("ExecuteRequest carries no command")
        response = self._transport.call(request, timeout)
        if response.command_id != request.command_id:
            raise AdapterError(
                f"{self._description} answered command {response.command_id!r} "
                f"to command {request.command_id!r}"
            )
        return response

    def run(
        self, request: adapter_pb2.ExecuteRequest, timeout: float = DEFAULT_TIMEOUT
    ) -> adapter_pb2.ExecuteResponse:
        """Like :meth:`execute`, but raises when the adapter reports an error.

        Raises:
            AdapterCommandError: the response carries ``error``.
        """
        response = self.execute(request, timeout)
        if response.HasField("error"):
            command = request.WhichOneof("command")
            raise AdapterCommandError(
                f"adapter refused {command}: code {response.error.code} {response.error.message}",
                response=response,
            )
        return response

    def restart(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """Asks the adapter to restart the node under test, keeping its data (``RestartCommand``).

        The adapter answers once the node serves again on the same address.

        Returns:
            True once restarted; False when the adapter answers UNIMPLEMENTED (it cannot
            restart its node, so the cases that need a restart are not run).

        Raises:
            AdapterCommandError: the adapter answered with another error.
            AdapterError: transport failure or adapter death.
        """
        request = adapter_pb2.ExecuteRequest(restart=adapter_pb2.RestartCommand())
        response = self.execute(request, timeout)
        if response.HasField("error"):
            if response.error.code == grpc.StatusCode.UNIMPLEMENTED.value[0]:
                return False
            raise AdapterCommandError(
                f"adapter refused restart: code {response.error.code} {response.error.message}",
                response=response,
            )
        return True

    def close(self) -> None:
        """Asks a spawned adapter to shut down, then releases the transport."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self._transport, _SpawnTransport):
            try:
                self._transport.call(
                    adapter_pb2.ExecuteRequest(
                        command_id="shutdown", shutdown=adapter_pb2.ShutdownCommand()
                    ),
                    10.0,
                )
            except AdapterError as exc:
                logger.info("adapter shutdown: %s", exc.diagnostics())
        self._transport.close()

    def __enter__(self) -> AdapterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
