"""Crash consistency under SIGKILL (issue 7 item 1; docs/spec.md REQ-PUSH-001, REQ-IDEM-002).

Receiver side: several client threads submit signed COs to a real
``python -m reference_node serve`` subprocess while it is killed with SIGKILL
at random moments and restarted. Every document for which a receipt came back
must afterwards be returned bit-identical by ``GetDocument``, and resubmitting
it must return the original receipt byte for byte. Documents in flight when the
node died are either stored intact or absent, never half-stored.

CI runs 12 receiver kills (plus the sender-side kills of
``test_outbox_crash.py``); ``ECO_RELIABILITY_LONG=1`` runs 300 here.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import grpc

from wco.eco.v1 import envelope_pb2, exchange_service_pb2, exchange_service_pb2_grpc

from .conftest import Figures, NodeFactory, long_mode
from .documents import check_receipt, signed_certificate
from .node import Partner, classify, submit
from .pki import CountryPki

#: Kills of the receiving node: CI and long mode.
RECEIVER_KILLS = int(os.environ.get("ECO_RELIABILITY_RECEIVER_KILLS", "0")) or (
    300 if long_mode() else 12
)
#: Concurrent submitting clients.
CLIENTS = 3
#: Codes a submission may fail with while the node is being killed.
_CRASH_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
}


@dataclass(slots=True)
class Ledger:
    """What the clients know: acknowledged and in-flight submissions."""

    acked: dict[str, tuple[envelope_pb2.Envelope, envelope_pb2.Envelope]] = field(
        default_factory=dict
    )
    inflight: dict[str, envelope_pb2.Envelope] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(
    ch: grpc.Channel, xa: CountryPki, ledger: Ledger, stop: threading.Event, seed: int
) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        _, env = signed_certificate(xa, importer="XB", items=rng.randint(1, 5))
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        with ledger.lock:
            ledger.inflight[rid] = env
        try:
            resp = submit(ch, rid, env, timeout=10)
        except grpc.RpcError as exc:
            outcome = classify(exc)
            # Before the kill every submission must succeed; after it, only
            # transport failures are acceptable.
            if not stop.is_set() or outcome.code not in _CRASH_CODES:
                with ledger.lock:
                    ledger.unexpected.append(f"{rid}: {outcome}")
            return
        with ledger.lock:
            del ledger.inflight[rid]
            ledger.acked[rid] = (env, resp.receipt)


def test_receiver_survives_sigkill_under_load(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """No acknowledged document is lost or altered across SIGKILLs (REQ-PUSH-001)."""
    node = node_factory(xb, partners=[Partner(pki=xa)])
    ledger = Ledger()
    rng = random.Random(20251126)
    kills = 0
    for round_no in range(RECEIVER_KILLS):
        node.start()
        stop = threading.Event()
        channels = [node.channel(xa) for _ in range(CLIENTS)]
        threads = [
            threading.Thread(
                target=_client, args=(ch, xa, ledger, stop, round_no * 100 + i), daemon=True
            )
            for i, ch in enumerate(channels)
        ]
        acked_before = len(ledger.acked)
        for t in threads:
            t.start()
        # Kill at a random moment, but only once load is flowing.
        deadline = time.monotonic() + 30
        while len(ledger.acked) == acked_before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.4))
        stop.set()
        node.kill()
        kills += 1
        for t in threads:
            t.join(timeout=30)
        for ch in channels:
            ch.close()
        assert not ledger.unexpected, ledger.unexpected[:5]
        assert len(ledger.acked) > acked_before, f"round {round_no}: no load before the kill"

    node.start()
    lost: list[str] = []
    altered: list[str] = []
    receipt_changed: list[str] = []
    half_stored: list[str] = []
    with node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        for rid, (env, receipt) in ledger.acked.items():
            check_receipt(receipt, receiver=xb, sender="XA", request_id=rid, envelope=env)
            try:
                doc = stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10
                ).document
            except grpc.RpcError as exc:
                lost.append(f"{rid}: {classify(exc)}")
                continue
            if doc.envelope.SerializeToString() != env.SerializeToString():
                altered.append(rid)
        # Idempotent resubmission returns the original receipt byte for byte (REQ-IDEM-002).
        sample = sorted(ledger.acked)[:: max(1, len(ledger.acked) // 50)]
        for rid in sample:
            env, receipt = ledger.acked[rid]
            again = submit(ch, rid, env).receipt
            if again.SerializeToString() != receipt.SerializeToString():
                receipt_changed.append(rid)
        # In flight at a kill: stored intact or absent; a retry then completes it.
        stored_inflight = 0
        for rid, env in ledger.inflight.items():
            try:
                doc = stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10
                ).document
            except grpc.RpcError as exc:
                outcome = classify(exc)
                assert outcome.code == grpc.StatusCode.NOT_FOUND, outcome
            else:
                stored_inflight += 1
                if doc.envelope.SerializeToString() != env.SerializeToString():
                    half_stored.append(rid)
            retry = submit(ch, rid, env).receipt
            check_receipt(retry, receiver=xb, sender="XA", request_id=rid, envelope=env)
    figures.record(
        "crash.receiver",
        kills_survived=kills,
        receipts_checked=len(ledger.acked),
        idempotent_resubmissions=len(sample),
        inflight_at_kill=len(ledger.inflight),
        inflight_found_stored=stored_inflight,
        documents_lost=len(lost),
        documents_altered=len(altered) + len(half_stored),
    )
    assert not lost, lost[:5]
    assert not altered, altered[:5]
    assert not half_stored, half_stored[:5]
    assert not receipt_changed, receipt_changed[:5]
