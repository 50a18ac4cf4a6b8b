"""The sender's outbox under SIGKILL (issue 7 item 1; docs/spec.md REQ-PUSH-004, REQ-PUSH-006).

A sending XA node (driven through ``python -m reference_node adapter``) issues
certificates for a real receiving XB node (``serve`` subprocess) and is killed
with SIGKILL at random moments while it issues and delivers, then restarted.
At the end every certificate the sender acknowledged as queued is delivered
exactly once: it is DELIVERED in the outbox with a valid receipt, and the
receiver holds it under the request id the sender assigned (a second copy under
a new id would have been refused DUPLICATE_CONFLICT, REQ-IDEM-004, and shown as
FAILED).

The same holds for ``eco-node serve`` (whose outbox worker delivers what
``eco-node send --no-wait`` queues) killed while it delivers.

CI runs 8 sender kills (4 of each form); ``ECO_RELIABILITY_LONG=1`` runs 200.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from pathlib import Path

import grpc
from google.protobuf import json_format

from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2
from wco.eco.v1 import exchange_service_pb2_grpc as exchange_grpc

from .adapter import Adapter, AdapterError
from .conftest import Figures, NodeFactory, long_mode
from .documents import check_receipt, make_certificate
from .node import Partner, classify
from .pki import CountryPki

#: Kills of the sending node, split between its two forms: the adapter process
#: and ``eco-node serve`` fed by ``eco-node send --no-wait``.
SENDER_KILLS = int(os.environ.get("ECO_RELIABILITY_SENDER_KILLS", "0")) or (
    200 if long_mode() else 8
)
ADAPTER_KILLS = SENDER_KILLS // 2
SERVE_KILLS = SENDER_KILLS - ADAPTER_KILLS
#: Certificates issued per round, before delivery starts.
PER_ROUND = 4
_DELIVERED = {
    envelope_pb2.DELIVERY_STATUS_DELIVERED,
    envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
}


def _issue_and_deliver(adapter: Adapter, queued: dict[str, str], count: int) -> None:
    """Issue ``count`` certificates then deliver; stops silently when killed."""
    try:
        for _ in range(count):
            co = make_certificate(exporter="XA", importer="XB")
            doc = adapter.issue(co)
            queued[doc.request_id] = doc.certificate.certificate_number
        adapter.deliver(timeout_ms=20000)
    except AdapterError:
        return


def test_outbox_delivers_exactly_once_across_sigkills(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """Every queued certificate reaches the receiver once, despite repeated SIGKILLs."""
    receiver = node_factory(xb, partners=[Partner(pki=xa)])
    receiver.start()
    sender = node_factory(
        xa,
        partners=[Partner(pki=xb, address=receiver.address)],
        delivery={"deadline_ms": 3000, "initial_backoff_ms": 20, "max_backoff_ms": 200},
    )
    queued: dict[str, str] = {}
    rng = random.Random(7)
    kills = 0
    for _ in range(ADAPTER_KILLS):
        adapter = Adapter(node=sender)
        worker = threading.Thread(
            target=_issue_and_deliver, args=(adapter, queued, PER_ROUND), daemon=True
        )
        before = len(queued)
        worker.start()
        # Kill at a random moment once the node has acknowledged some work.
        deadline = time.monotonic() + 60
        while len(queued) == before and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.6))
        adapter.kill()
        kills += 1
        worker.join(timeout=30)
        adapter.close()
    # Recovery: a fresh process delivers whatever is still pending.
    adapter = Adapter(node=sender)
    try:
        report = adapter.deliver(timeout_ms=30000)
        for _ in range(100):
            if all(e.status in _DELIVERED for e in report.entries):
                break
            # Entries in backoff become due within max_backoff_ms (200 ms).
            time.sleep(0.25)
            report = adapter.deliver(timeout_ms=30000)
    finally:
        adapter.close()
    entries = {e.request_id: e for e in report.entries}
    missing_from_outbox = sorted(set(queued) - set(entries))
    not_delivered = {
        rid: (e.status, e.last_error_reason)
        for rid, e in entries.items()
        if e.status not in _DELIVERED
    }
    lost: list[str] = []
    wrong_id: list[str] = []
    sequences: list[int] = []
    with receiver.channel(xa) as ch:
        stub = exchange_grpc.ExchangeServiceStub(ch)
        for rid, entry in entries.items():
            try:
                doc = stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10
                ).document
            except grpc.RpcError as exc:
                lost.append(f"{rid}: {classify(exc)}")
                continue
            body = check_receipt(
                entry.receipt, receiver=xb, sender="XA", request_id=rid, envelope=doc.envelope
            )
            sequences.append(body.sequence)
            number = queued.get(rid, doc.certificate.certificate_number)
            by_number = stub.GetDocument(
                exchange_service_pb2.GetDocumentRequest(
                    certificate=certificate_pb2.CertificateReference(
                        exporting_country="XA",
                        issuing_authority_id="xa-customs",
                        certificate_number=number,
                    )
                ),
                timeout=10,
            ).document
            if by_number.request_id != rid:
                wrong_id.append(rid)
    figures.record(
        "crash.sender.adapter",
        kills_survived=kills,
        certificates_queued=len(queued),
        outbox_entries=len(entries),
        delivered=len(entries) - len(not_delivered),
        documents_lost=len(lost) + len(missing_from_outbox),
        duplicates=len(wrong_id) + (len(sequences) - len(set(sequences))),
    )
    assert kills >= 1
    assert queued, "no certificate was queued before the kills"
    assert not missing_from_outbox, missing_from_outbox[:5]
    assert not not_delivered, list(not_delivered.items())[:5]
    assert not lost, lost[:5]
    assert not wrong_id, wrong_id[:5]
    assert len(sequences) == len(set(sequences))


def test_adapter_exits_cleanly_on_shutdown(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki
) -> None:
    """ShutdownCommand and closing stdin end the adapter with status 0, not an abort.

    adapter.proto: "The adapter exits when its standard input closes or on
    ShutdownCommand". A node process that aborts on the way out (SIGABRT) may
    leave its store and its operator's tooling in doubt.
    """
    sender = node_factory(xa, partners=[Partner(pki=xb, address="127.0.0.1:9")])
    adapter = Adapter(node=sender)
    adapter.outbox()
    adapter.close()
    assert adapter.process.returncode == 0, adapter.log_tail()
    adapter = Adapter(node=sender)
    adapter.outbox()
    assert adapter.process.stdin is not None
    adapter.process.stdin.close()
    assert adapter.process.wait(timeout=30) == 0, adapter.log_tail()


_SENT = re.compile(r"-> XB request ([0-9a-f-]{36})")
_STATUS_LINE = re.compile(r"^([0-9a-f-]{36}) -> XB (\S+): ([A-Z_]+)", re.MULTILINE)


def test_serve_outbox_delivers_exactly_once_across_sigkills(
    node_factory: NodeFactory, tmp_path: Path, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """``eco-node serve`` killed while delivering what ``send --no-wait`` queued: exactly once."""
    receiver = node_factory(xb, partners=[Partner(pki=xa)])
    receiver.start()
    sender = node_factory(
        xa,
        partners=[Partner(pki=xb, address=receiver.address)],
        delivery={"deadline_ms": 3000, "initial_backoff_ms": 20, "max_backoff_ms": 200},
    )
    queued: dict[str, str] = {}
    rng = random.Random(11)
    kills = 0
    for round_no in range(SERVE_KILLS):
        sender.start()
        files = []
        for i in range(PER_ROUND):
            co = make_certificate(exporter="XA", importer="XB")
            path = tmp_path / f"co-{round_no}-{i}.json"
            path.write_text(json_format.MessageToJson(co))
            files.append(str(path))
        sent = sender.cli("send", "--no-wait", *files)
        assert sent.returncode == 0, sent.stderr
        ids = _SENT.findall(sent.stdout)
        assert len(ids) == PER_ROUND, sent.stdout
        queued.update(dict.fromkeys(ids, ""))
        time.sleep(rng.uniform(0.0, 0.4))
        sender.kill()
        kills += 1
    sender.start()
    statuses: dict[str, str] = {}
    for _ in range(120):
        status = sender.cli("status")
        statuses = {m[0]: m[2] for m in _STATUS_LINE.findall(status.stdout)}
        queued.update({m[0]: m[1].rsplit("/", 1)[-1] for m in _STATUS_LINE.findall(status.stdout)})
        if statuses and all(v == "DELIVERED" for v in statuses.values()):
            break
        time.sleep(0.25)
    sender.stop()
    lost: list[str] = []
    wrong_id: list[str] = []
    with receiver.channel(xa) as ch:
        stub = exchange_grpc.ExchangeServiceStub(ch)
        for rid, number in queued.items():
            try:
                stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10
                )
                by_number = stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(
                        certificate=certificate_pb2.CertificateReference(
                            exporting_country="XA",
                            issuing_authority_id="xa-customs",
                            certificate_number=number,
                        )
                    ),
                    timeout=10,
                ).document
            except grpc.RpcError as exc:
                lost.append(f"{rid}: {classify(exc)}")
                continue
            if by_number.request_id != rid:
                wrong_id.append(rid)
    not_delivered = {rid: st for rid, st in statuses.items() if st != "DELIVERED"}
    figures.record(
        "crash.sender.serve",
        kills_survived=kills,
        certificates_queued=len(queued),
        delivered=len(statuses) - len(not_delivered),
        documents_lost=len(lost) + len(set(queued) - set(statuses)),
        duplicates=len(wrong_id),
    )
    assert set(queued) <= set(statuses)
    assert not not_delivered, list(not_delivered.items())[:5]
    assert not lost, lost[:5]
    assert not wrong_id, wrong_id[:5]
