"""A receipt leaves only after its document is synced to disk (docs/spec.md REQ-PUSH-001).

``eco-node serve`` runs as a real subprocess under ``strace`` (see
:mod:`.syscall_trace`); an XA client submits documents one at a time over mutual
TLS; the trace must show, for every acknowledged submission, a WAL write holding
its request id, then an ``fsync``/``fdatasync`` of the WAL, then the response
bytes on the client's connection. Two faulty variants of the node, run through
the mutant launcher (``python -m tests.mutants.launch NAME``), prove that the
check sees what SIGKILL cannot: ``commit-after-receipt`` answers each batch
before committing it (the commit happens when the next batch begins) and
``commit-without-fsync`` runs the writer with ``PRAGMA synchronous=OFF``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest

from wco.eco.v1 import node_service_pb2, node_service_pb2_grpc

from .conftest import Figures, NodeFactory
from .documents import signed_certificate
from .node import NodeProcess, Partner, submit
from .pki import CountryPki
from .syscall_trace import Submission, TraceVerdict, judge_trace, parse_trace, strace_command

#: Documents submitted per run (one at a time).
DOCUMENTS = 12


def _strace_usable() -> str:
    """Empty when strace can trace here, else why not."""
    if shutil.which("strace") is None:
        return "strace is not installed (.ci/run installs it)"
    probe = subprocess.run(
        ["strace", "-f", "-o", "/dev/null", "true"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return f"strace cannot trace in this environment: {probe.stderr.strip()[:200]}"
    return ""


pytestmark = pytest.mark.skipif(bool(_strace_usable()), reason=_strace_usable() or "-")


def _stop_traced(node: NodeProcess) -> None:
    """SIGTERM the node itself (strace's child), then wait for strace to write out and exit."""
    assert node.process is not None
    for child in psutil.Process(node.process.pid).children():
        child.send_signal(signal.SIGTERM)
    node.process.wait(timeout=60)


def traced_run(
    node_factory: NodeFactory,
    xa: CountryPki,
    xb: CountryPki,
    tmp_path: Path,
    *,
    variant: str | None,
) -> tuple[NodeProcess, list[TraceVerdict], int]:
    """Serve XB under strace (``variant`` applied), submit :data:`DOCUMENTS`, judge the trace.

    Returns:
        The node, one verdict per submission, and the number of WAL syncs traced.
    """
    trace = tmp_path / f"strace-{variant or 'reference'}.log"
    node = node_factory(xb, partners=[Partner(pki=xa)], name=f"XB-{variant or 'reference'}")
    node.wrapper = strace_command(trace)
    if variant is not None:
        node.entry = ("tests.mutants.launch", variant)
    node.start()
    submissions: list[Submission] = []
    envelopes = [signed_certificate(xa, importer="XB")[1] for _ in range(DOCUMENTS)]
    with node.channel(xa) as ch:
        # Open the connection (TLS handshake, HTTP/2 settings) before the measured windows.
        node_service_pb2_grpc.NodeServiceStub(ch).GetNodeInfo(
            node_service_pb2.GetNodeInfoRequest(), timeout=30
        )
        for envelope in envelopes:
            request_id = str(uuid.uuid4())
            sent = time.time()
            submit(ch, request_id, envelope)
            submissions.append(Submission(request_id, sent, time.time()))
    _stop_traced(node)
    calls = parse_trace(trace.read_text(encoding="utf-8", errors="replace").splitlines())
    syncs = sum(1 for c in calls if c.is_sync and c.path.endswith("-wal"))
    return node, judge_trace(calls, submissions, node.port), syncs


TracedRun = Callable[[str | None], tuple[NodeProcess, list[TraceVerdict], int]]


@pytest.fixture
def traced(node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, tmp_path: Path) -> TracedRun:
    """:func:`traced_run` with this test's node factory, PKI and directory."""
    return lambda variant: traced_run(node_factory, xa, xb, tmp_path, variant=variant)


def test_every_receipt_leaves_after_the_wal_sync(traced: TracedRun, figures: Figures) -> None:
    """The reference node: for each receipt, WAL write of the document, fsync, then response."""
    started = time.monotonic()
    _, verdicts, syncs = traced(None)
    problems = [(v.request_id, v.problem) for v in verdicts if v.problem]
    assert problems == [], problems
    assert syncs >= DOCUMENTS
    figures.record(
        "durability trace",
        documents=len(verdicts),
        wal_syncs_traced=syncs,
        receipts_after_sync=len(verdicts) - len(problems),
        seconds=round(time.monotonic() - started, 1),
    )


@pytest.mark.parametrize("variant", ["commit-after-receipt", "commit-without-fsync"])
def test_check_catches_receipt_before_durable(
    traced: TracedRun, figures: Figures, variant: str
) -> None:
    """Against each faulty variant the check reports receipts that left before the sync."""
    node, verdicts, syncs = traced(variant)
    assert f"faulty variant {variant}" in node.log_path.read_text(), node.log_tail()
    flagged = [v for v in verdicts if v.problem]
    # Every document but possibly one a concurrent checkpoint synced by chance.
    assert len(flagged) >= DOCUMENTS - 1, [(v.request_id, v.problem) for v in verdicts]
    figures.record(
        f"durability trace, {variant}",
        documents=len(verdicts),
        wal_syncs_traced=syncs,
        receipts_flagged=len(flagged),
    )
