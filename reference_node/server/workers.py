"""Several serving processes for one node (docs/node.md, "Serving processes").

One Python process is bound by its interpreter lock: with ``[node] processes
= N`` the node serves from N processes that share its listening port
(``SO_REUSEPORT``: the kernel spreads incoming connections over them) and its
SQLite store (every write transaction is ``BEGIN IMMEDIATE``, sequences are
read inside it, so the processes never step on each other's documents; see
:mod:`reference_node.store.sqlite`).

The first process holds the data directory's serve lock, delivers the
outbox and writes the port file; it starts the other N - 1 as subprocesses of
``eco-node serve --worker-of PID`` and publishes the port only once they all
serve. A serving process that dies is started again; the extra processes stop
when the first one stops, and (on Linux) are killed by the kernel if it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from reference_node.errors import NodeError

__all__ = ["WorkerProcesses", "die_with_parent"]

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_RESTART_DELAY_S = 1.0


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to end this process when ``parent_pid`` exits (Linux only).

    Elsewhere the serving loop's own check of :func:`os.getppid` stops the
    process within one poll interval.
    """
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    if name is None:  # pragma: no cover - every Linux has a C library
        return
    libc = ctypes.CDLL(name, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the call
        os.kill(os.getpid(), signal.SIGTERM)


class WorkerProcesses:
    """The extra serving processes of a node, started and supervised by the first one."""

    def __init__(
        self,
        *,
        count: int,
        config_path: Path,
        listen: str,
        data_dir: Path,
        log_level: str,
    ) -> None:
        self.count = count
        self._config_path = config_path
        self._listen = listen
        self._folder = data_dir / "serving"
        self._data_dir = data_dir
        self._log_level = log_level
        self._procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self._stopping = False

    def _ready_file(self, index: int) -> Path:
        return self._folder / f"process-{index + 2}.port"

    def _command(self, index: int) -> Sequence[str]:
        return [
            sys.executable,
            "-m",
            "reference_node",
            "--config",
            str(self._config_path),
            "--log-level",
            self._log_level,
            "serve",
            "--listen",
            self._listen,
            "--data-dir",
            str(self._data_dir),
            "--port-file",
            str(self._ready_file(index)),
            "--worker-of",
            str(os.getpid()),
        ]

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        self._ready_file(index).unlink(missing_ok=True)
        proc = subprocess.Popen(self._command(index))  # noqa: S603 - our own interpreter
        self._procs[index] = proc
        logger.info("serving process %d started (pid %d)", index + 2, proc.pid)
        return proc

    async def _wait_ready(self, index: int, within: float) -> None:
        proc = self._procs[index]
        assert proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not self._ready_file(index).exists():
            if proc.poll() is not None:
                raise NodeError(
                    f"serving process {index + 2} exited with status {proc.returncode} "
                    "before serving (see its log above)"
                )
            if loop.time() > deadline:
                raise NodeError(f"serving process {index + 2} did not start in {within:.0f} s")
            await asyncio.sleep(0.05)

    async def start(self, within: float = 60.0) -> None:
        """Start the processes and wait until each one serves.

        Raises:
            NodeError: A process exited or did not serve within ``within`` seconds.
        """
        self._folder.mkdir(parents=True, exist_ok=True)
        for index in range(self.count):
            self._spawn(index)
        try:
            for index in range(self.count):
                await self._wait_ready(index, within)
        except NodeError:
            await self.stop()
            raise

    async def supervise(self, stop: asyncio.Event) -> None:
        """Start again any process that exits while the node serves."""
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=_RESTART_DELAY_S)
            if stop.is_set() or self._stopping:
                return
            for index, proc in enumerate(self._procs):
                if proc is not None and proc.poll() is not None:
                    logger.warning(
                        "serving process %d (pid %d) exited with status %s; starting it again",
                        index + 2,
                        proc.pid,
                        proc.returncode,
                    )
                    self._spawn(index)

    async def stop(self, grace: float = 5.0) -> None:
        """Ask every process to stop (SIGTERM), then kill those still running after ``grace``."""
        self._stopping = True
        await asyncio.to_thread(self._terminate, grace)
        for index in range(self.count):
            self._ready_file(index).unlink(missing_ok=True)

    def _terminate(self, grace: float) -> None:
        running = [p for p in self._procs if p is not None and p.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("serving process pid %d did not stop; killing it", proc.pid)
                proc.kill()
                proc.wait()
