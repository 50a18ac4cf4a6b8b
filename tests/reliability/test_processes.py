"""A node serving from several processes (``[node] processes``, docs/node.md).

The processes share the listening port (the kernel spreads connections over
them) and the SQLite store. Seen from outside, the node must behave as one:
every acknowledged document stored once, one gap-free pull feed, idempotency
(REQ-IDEM-002/003) across processes, and no process left behind when the node
stops or crashes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator

import grpc
import psutil  # type: ignore[import-untyped]
import pytest

from wco.eco.v1 import envelope_pb2, exchange_service_pb2, exchange_service_pb2_grpc

from .conftest import NodeFactory
from .documents import check_receipt, signed_certificate
from .node import NodeProcess, Partner, classify, submit
from .pki import CountryPki

#: Channels (separate TCP connections) opened to the node.
CHANNELS = 12
#: Documents submitted concurrently over them.
DOCUMENTS = 120


def _peer_ports(proc: psutil.Process, port: int) -> set[int]:
    """Client-side ports of the connections ``proc`` accepted on ``port``."""
    return {
        c.raddr.port
        for c in proc.net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port and c.raddr
    }


def _own_ports(port: int) -> set[int]:
    """Local ports of this test process's connections to ``port``."""
    return {
        c.laddr.port
        for c in psutil.Process().net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port == port
    }


def _wait_for(what: str, check: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def _channels(node: NodeProcess, caller: CountryPki) -> Iterator[list[tuple[grpc.Channel, int]]]:
    """Open CHANNELS connections one by one; yield (channel, local port) pairs."""
    opened: list[tuple[grpc.Channel, int]] = []
    try:
        for _ in range(CHANNELS):
            before = _own_ports(node.port)
            ch = node.channel(caller)
            ch_ready = grpc.channel_ready_future(ch)
            ch_ready.result(timeout=20)
            _wait_for("the new connection", lambda b=before: _own_ports(node.port) - b)
            (local,) = _own_ports(node.port) - before
            opened.append((ch, local))
        yield opened
    finally:
        for ch, _ in opened:
            ch.close()


@pytest.fixture
def two_process_node(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki
) -> Iterator[NodeProcess]:
    """An XB node trusting XA, serving from two processes."""
    node = node_factory(xb, partners=[Partner(pki=xa)], processes=2)
    node.start()
    yield node
    node.kill()


def test_two_processes_serve_one_store(
    two_process_node: NodeProcess, xa: CountryPki, xb: CountryPki
) -> None:
    node = two_process_node
    assert node.process is not None
    extra = node.serving_processes()
    assert len(extra) == 1, "processes = 2 starts one extra serving process"
    first = psutil.Process(node.process.pid)
    documents = {
        str(uuid.uuid4()): signed_certificate(xa, importer="XB")[1] for _ in range(DOCUMENTS)
    }
    with _channels(node, xa) as channels:
        owner = {}
        for proc in (first, *extra):
            for peer in _peer_ports(proc, node.port):
                owner[peer] = proc.pid
        served_by = {owner[local] for _, local in channels}
        assert served_by == {first.pid, extra[0].pid}, "both processes accept connections"

        receipts: dict[str, envelope_pb2.Envelope] = {}

        def send(index: int, rid: str) -> tuple[str, envelope_pb2.Envelope]:
            ch = channels[index % CHANNELS][0]
            return rid, submit(ch, rid, documents[rid]).receipt

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            for rid, receipt in pool.map(lambda a: send(*a), enumerate(documents)):
                receipts[rid] = receipt
        for rid, receipt in receipts.items():
            check_receipt(
                receipt, receiver=xb, sender="XA", request_id=rid, envelope=documents[rid]
            )

        # Idempotency across processes: the same document over a connection of
        # the other process returns the first receipt byte for byte; another
        # document under the same request id is refused and changes nothing.
        on_first = next(ch for ch, local in channels if owner[local] == first.pid)
        on_extra = next(ch for ch, local in channels if owner[local] == extra[0].pid)
        rid = str(uuid.uuid4())
        env = signed_certificate(xa, importer="XB")[1]
        receipt = submit(on_first, rid, env).receipt
        assert submit(on_extra, rid, env).receipt.SerializeToString() == (
            receipt.SerializeToString()
        )
        with pytest.raises(grpc.RpcError) as refused:
            submit(on_extra, rid, signed_certificate(xa, importer="XB")[1])
        outcome = classify(refused.value)
        assert (outcome.code, outcome.reason) == (
            grpc.StatusCode.ALREADY_EXISTS,
            "DUPLICATE_CONFLICT",
        )
        receipts[rid] = receipt
        documents_and_extra = {r: e.SerializeToString() for r, e in documents.items()}
        documents_and_extra[rid] = env.SerializeToString()

        # Every document stored once, readable through either process, each at
        # its own sequence number of the one store (REQ-PUSH-001, REQ-GET-001).
        sequences = []
        for index, (rid, receipt) in enumerate(sorted(receipts.items())):
            ch = channels[index % CHANNELS][0]
            stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
            doc = stub.GetDocument(
                exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10
            ).document
            body = envelope_pb2.Receipt.FromString(receipt.payload)
            assert doc.envelope.SerializeToString() == documents_and_extra[rid]
            assert doc.sequence == body.sequence
            sequences.append(body.sequence)
    assert len(set(sequences)) == len(receipts), "one sequence number per document"


def test_a_crashed_serving_process_is_restarted(
    two_process_node: NodeProcess, xa: CountryPki, xb: CountryPki
) -> None:
    node = two_process_node
    (extra,) = node.serving_processes()
    os.kill(extra.pid, signal.SIGKILL)
    _wait_for(
        "a new serving process",
        lambda: [p.pid for p in node.serving_processes()] not in ([], [extra.pid]),
    )
    assert node.running, "the node survives the loss of one serving process"
    rid = str(uuid.uuid4())
    env = signed_certificate(xa, importer="XB")[1]
    with node.channel(xa) as ch:
        receipt = submit(ch, rid, env).receipt
    check_receipt(receipt, receiver=xb, sender="XA", request_id=rid, envelope=env)


def test_serving_processes_end_with_the_node(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki
) -> None:
    node = node_factory(xb, partners=[Partner(pki=xa)], processes=3)
    node.start()
    extra = node.serving_processes()
    assert len(extra) == 2
    node.stop()  # SIGTERM: a clean stop takes the extra processes along
    assert node.process is not None
    assert node.process.returncode == 0, node.log_tail()
    for proc in extra:
        _wait_for(
            f"pid {proc.pid} to exit",
            lambda p=proc: not p.is_running() or p.status() == psutil.STATUS_ZOMBIE,
        )

    node.start()
    extra = node.serving_processes()
    assert len(extra) == 2
    assert node.process is not None
    os.kill(node.process.pid, signal.SIGKILL)  # a crash of the first process only
    node.process.wait(timeout=30)
    for proc in extra:
        _wait_for(
            f"pid {proc.pid} to exit",
            lambda p=proc: not p.is_running() or p.status() == psutil.STATUS_ZOMBIE,
        )
