"""Limits of a running node (issue 7 item 5; docs/spec.md REQ-LIM-001, REQ-CO-008, REQ-CO-013).

Oversize messages and payloads, too many goods items, signatures or chain
certificates, deep nesting, very long strings and ids, oversized batches, and
many slow clients holding streams open: each is refused with the specified
code (or bounded), is not stored, and does not disturb other callers. Node
memory (RSS, psutil) stays bounded while this happens.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from wco.eco.v1 import envelope_pb2, exchange_service_pb2, exchange_service_pb2_grpc

from .conftest import Figures, NodeFactory
from .documents import CERTIFICATE, make_certificate, sign, signed_certificate
from .node import NodeProcess, Partner, RpcOutcome, classify, health_ok, submit
from .pki import CountryPki

MIB = 1024 * 1024
#: How much the node's RSS may grow under the abuse of one test.
RSS_BOUND = 200 * MIB


def _refused(ch: grpc.Channel, env: envelope_pb2.Envelope, *, rid: str | None = None) -> RpcOutcome:
    rid = rid or str(uuid.uuid4())
    with pytest.raises(grpc.RpcError) as info:
        submit(ch, rid, env)
    outcome = classify(info.value)
    assert outcome.code not in {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}, outcome
    return outcome


def _absent(ch: grpc.Channel, rid: str) -> None:
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
    with pytest.raises(grpc.RpcError) as info:
        stub.GetDocument(exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10)
    assert classify(info.value).code == grpc.StatusCode.NOT_FOUND


def _groups(depth: int) -> bytes:
    """``depth`` nested start-group tags of unknown field 99, then their end tags."""
    return b"\x9b\x06" * depth + b"\x9c\x06" * depth


def test_oversize_and_malformed_shapes_are_refused(
    xb_node: NodeProcess, xa: CountryPki, figures: Figures
) -> None:
    """Each limit gives its specified code; nothing is stored; the node keeps serving."""
    rss_before = xb_node.rss()
    with xb_node.channel(xa) as ch:
        cases: list[tuple[str, envelope_pb2.Envelope, set[tuple[grpc.StatusCode, str]]]] = []
        # Larger than the 4 MiB message limit: the transport or the node refuses.
        big = make_certificate(exporter="XA", importer="XB")
        big.remarks = "x" * (5 * MIB)
        cases.append(
            (
                "message>4MiB",
                sign(CERTIFICATE, big.SerializeToString(), xa.authority),
                {
                    (grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE"),
                    (grpc.StatusCode.RESOURCE_EXHAUSTED, ""),
                },
            )
        )
        # A 2 MiB payload inside a message under 4 MiB: the payload limit.
        big.remarks = "x" * (2 * MIB)
        cases.append(
            (
                "payload>1MiB",
                sign(CERTIFICATE, big.SerializeToString(), xa.authority),
                {(grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE")},
            )
        )
        # 1000 goods items, over max_goods_items 999 (REQ-CO-008).
        many = make_certificate(exporter="XA", importer="XB", items=1000)
        cases.append(
            (
                "goods_items>999",
                sign(CERTIFICATE, many.SerializeToString(), xa.authority),
                {(grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE")},
            )
        )
        # A 5000-character description (REQ-CO-013: at most 4096).
        _, long_text = signed_certificate(xa, importer="XB", description="d" * 5000)
        cases.append(
            ("string>4096", long_text, {(grpc.StatusCode.INVALID_ARGUMENT, "FIELD_INVALID")})
        )
        # Deep nesting: 5000 nested groups of an unknown field in the payload (REQ-CO-001).
        nested = make_certificate(exporter="XA", importer="XB").SerializeToString() + _groups(5000)
        cases.append(
            (
                "nesting-5000",
                sign(CERTIFICATE, nested, xa.authority),
                {(grpc.StatusCode.INVALID_ARGUMENT, "PAYLOAD_MALFORMED")},
            )
        )
        # 5 signatures, over the 1..4 of REQ-SIG-005; and 50000 empty ones.
        _, ok_env = signed_certificate(xa, importer="XB")
        five = envelope_pb2.Envelope()
        five.CopyFrom(ok_env)
        for _ in range(4):
            five.signatures.append(ok_env.signatures[0])
        flood = envelope_pb2.Envelope(payload_type=ok_env.payload_type, payload=ok_env.payload)
        flood.signatures.extend(envelope_pb2.Signature() for _ in range(50000))
        too_many_signatures = {
            (grpc.StatusCode.INVALID_ARGUMENT, "SIGNATURE_INVALID"),
            (grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE"),
        }
        cases.append(("signatures=5", five, too_many_signatures))
        cases.append(("signatures=50000", flood, too_many_signatures))
        # A chain of 5 certificates, over the 1..4 of REQ-PKI-001.
        long_chain = envelope_pb2.Envelope()
        long_chain.CopyFrom(ok_env)
        long_chain.signatures[0].certificate_chain.extend([xa.intermediate.chain_der()[0]] * 4)
        cases.append(
            (
                "chain=5",
                long_chain,
                {
                    (grpc.StatusCode.PERMISSION_DENIED, "SIGNER_UNTRUSTED"),
                    (grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE"),
                },
            )
        )
        for name, env, allowed in cases:
            rid = str(uuid.uuid4())
            outcome = _refused(ch, env, rid=rid)
            assert (outcome.code, outcome.reason) in allowed, (name, outcome)
            _absent(ch, rid)
            figures.add("limits", "oversize_refused")
        # A 100 000-character request id (REQ-IDEM-001) and a 1 MiB one.
        for size in (100_000, MIB):
            outcome = _refused(ch, ok_env, rid="a" * size)
            assert (outcome.code, outcome.reason) in {
                (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_INVALID"),
                (grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE"),
            }, outcome
        # Page sizes: bounded above, refused below (REQ-PULL-001).
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        stub.ListDocuments(exchange_service_pb2.ListDocumentsRequest(page_size=2**31 - 1))
        with pytest.raises(grpc.RpcError) as info:
            stub.ListDocuments(exchange_service_pb2.ListDocumentsRequest(page_size=-1))
        assert (classify(info.value).code, classify(info.value).reason) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "FIELD_INVALID",
        )
        # Others are still served, and the valid document is accepted.
        submit(ch, str(uuid.uuid4()), ok_env)
        assert health_ok(ch)
    rss_after = xb_node.rss()
    figures.record(
        "limits",
        rss_before_mib=round(rss_before / MIB, 1),
        rss_after_oversize_mib=round(rss_after / MIB, 1),
    )
    assert rss_after - rss_before < RSS_BOUND


def test_oversized_batch_is_refused(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """A stream over ``max_stream_documents`` is refused past the limit (REQ-LIM-001)."""
    node = node_factory(xb, partners=[Partner(pki=xa)], limits={"max_stream_documents": 3})
    node.start()
    envs = [signed_certificate(xa, importer="XB")[1] for _ in range(5)]
    rids = [str(uuid.uuid4()) for _ in envs]
    with node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        requests = (
            exchange_service_pb2.SubmitDocumentStreamRequest(request_id=r, envelope=e)
            for r, e in zip(rids, envs, strict=True)
        )
        answers: list[exchange_service_pb2.SubmitDocumentStreamResponse] = []
        stream_error: RpcOutcome | None = None
        try:
            answers.extend(stub.SubmitDocumentStream(requests, timeout=30))
        except grpc.RpcError as exc:
            stream_error = classify(exc)
        receipts = [a.request_id for a in answers if a.HasField("receipt")]
        refused = [a for a in answers if a.HasField("error")]
        assert receipts == rids[:3]
        # The excess is refused RESOURCE_EXHAUSTED, per item or by ending the stream.
        if stream_error is not None:
            assert stream_error.code == grpc.StatusCode.RESOURCE_EXHAUSTED, stream_error
        else:
            assert len(refused) == 2
            assert all(a.error.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0] for a in refused)
        for rid in rids[3:]:
            _absent(ch, rid)
    figures.add("limits", "oversized_batches_refused")


def test_many_slow_clients_do_not_starve_others(
    xb_node: NodeProcess, xa: CountryPki, figures: Figures
) -> None:
    """60 held-open streams and 100 stalled handshakes: others are served, memory bounded."""
    rss_before = xb_node.rss()
    release = threading.Event()
    channels: list[grpc.Channel] = []
    calls: list[Any] = []

    def slow_requests() -> Iterator[exchange_service_pb2.SubmitDocumentStreamRequest]:
        _, env = signed_certificate(xa, importer="XB")
        yield exchange_service_pb2.SubmitDocumentStreamRequest(
            request_id=str(uuid.uuid4()), envelope=env
        )
        release.wait(60)  # hold the stream open without sending more

    idle: list[socket.socket] = []
    try:
        # 100 TCP connections that never finish (or never start) the TLS handshake.
        for i in range(100):
            sock = socket.create_connection(("127.0.0.1", xb_node.port), timeout=10)
            if i % 2:
                sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # partial hello
            idle.append(sock)
        for _ in range(30):
            ch = xb_node.channel(xa)
            channels.append(ch)
            stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
            calls.append(stub.SubmitDocumentStream(slow_requests(), timeout=120))
            calls.append(
                stub.WatchDocuments(exchange_service_pb2.WatchDocumentsRequest(), timeout=120)
            )
        # Each slow submission gets its first receipt while holding the stream open.
        for call in calls[::2]:
            first = next(iter(call))
            assert first.HasField("receipt")
        rss_held = xb_node.rss()
        with xb_node.channel(xa) as ch:
            for _ in range(5):
                _, env = signed_certificate(xa, importer="XB")
                submit(ch, str(uuid.uuid4()), env, timeout=30)
            assert health_ok(ch)
    finally:
        release.set()
        for sock in idle:
            sock.close()
        for call in calls:
            call.cancel()
        for ch in channels:
            ch.close()
    assert xb_node.running
    figures.record(
        "limits",
        slow_streams_held=len(calls),
        idle_tls_connections_held=len(idle),
        rss_with_slow_streams_mib=round(rss_held / MIB, 1),
    )
    assert rss_held - rss_before < RSS_BOUND
