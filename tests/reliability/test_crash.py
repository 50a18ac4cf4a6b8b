"""Crash consistency under SIGKILL (issue 7 item 1; docs/spec.md REQ-PUSH-001, REQ-IDEM-002).

Receiver side: several client threads submit signed COs (one of them in
batches on ``SubmitDocumentStream``) and cancellations of some of them to a real
``python -m reference_node serve`` subprocess while it is killed with SIGKILL
at random moments and restarted. Every document for which a receipt came back
must afterwards be returned bit-identical by ``GetDocument``, resubmitting it
must return the original receipt byte for byte, and every acknowledged
cancellation must still be in effect (the state change is part of the commit).
Documents in flight when the node died are either stored intact or absent,
never half-stored.

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

from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    lifecycle_pb2,
)

from .conftest import Figures, NodeFactory, long_mode
from .documents import STATUS_CHANGE, check_receipt, make_status_change, sign, signed_certificate
from .node import Partner, RpcOutcome, classify, submit
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
    #: Request id of a cancellation -> the certificate it cancels.
    cancels: dict[str, certificate_pb2.CertificateReference] = field(default_factory=dict)
    streamed: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, rid: str, env: envelope_pb2.Envelope) -> None:
        with self.lock:
            self.inflight[rid] = env

    def ack(self, rid: str, receipt: envelope_pb2.Envelope) -> None:
        with self.lock:
            self.acked[rid] = (self.inflight.pop(rid), receipt)

    def failed(self, rid: str, outcome: RpcOutcome, stop: threading.Event) -> None:
        # Before the kill every submission must succeed; after it, only
        # transport failures are acceptable.
        if not stop.is_set() or outcome.code not in _CRASH_CODES:
            with self.lock:
                self.unexpected.append(f"{rid}: {outcome}")


def _ref(co: certificate_pb2.CertificateOfOrigin) -> certificate_pb2.CertificateReference:
    return certificate_pb2.CertificateReference(
        exporting_country=co.exporting_country,
        issuing_authority_id=co.issuing_authority.id,
        certificate_number=co.certificate_number,
    )


def _unary_client(
    ch: grpc.Channel, xa: CountryPki, ledger: Ledger, stop: threading.Event, seed: int
) -> None:
    """Submit COs one by one; cancel about a quarter of them once acknowledged."""
    rng = random.Random(seed)
    while not stop.is_set():
        co, env = signed_certificate(xa, importer="XB", items=rng.randint(1, 5))
        docs = [(str(uuid.UUID(int=rng.getrandbits(128), version=4)), env)]
        if rng.random() < 0.25:
            change = make_status_change(co).SerializeToString()
            cancel_rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            docs.append((cancel_rid, sign(STATUS_CHANGE, change, xa.authority)))
            with ledger.lock:
                ledger.cancels[cancel_rid] = _ref(co)
        for rid, doc in docs:
            ledger.begin(rid, doc)
            try:
                resp = submit(ch, rid, doc, timeout=10)
            except grpc.RpcError as exc:
                ledger.failed(rid, classify(exc), stop)
                return
            ledger.ack(rid, resp.receipt)


def _stream_client(
    ch: grpc.Channel, xa: CountryPki, ledger: Ledger, stop: threading.Event, seed: int
) -> None:
    """Submit batches of 4 COs on SubmitDocumentStream (REQ-PUSH-005)."""
    rng = random.Random(seed)
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
    while not stop.is_set():
        batch = [
            exchange_service_pb2.SubmitDocumentStreamRequest(
                request_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                envelope=signed_certificate(xa, importer="XB")[1],
            )
            for _ in range(4)
        ]
        for req in batch:
            ledger.begin(req.request_id, req.envelope)
        try:
            for answer in stub.SubmitDocumentStream(iter(batch), timeout=10):
                if answer.HasField("receipt"):
                    ledger.ack(answer.request_id, answer.receipt)
                    with ledger.lock:
                        ledger.streamed += 1
                else:
                    with ledger.lock:
                        ledger.unexpected.append(f"{answer.request_id}: {answer.error}")
        except grpc.RpcError as exc:
            ledger.failed(batch[0].request_id, classify(exc), stop)
            return


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
                target=_stream_client if i == 0 else _unary_client,
                args=(ch, xa, ledger, stop, round_no * 100 + i),
                daemon=True,
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
    state_lost: list[str] = []
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
        # Every acknowledged cancellation is in effect; the others were retried above.
        for rid, ref in ledger.cancels.items():
            if rid not in ledger.acked and rid not in ledger.inflight:
                continue  # never sent: its client stopped first
            status = stub.GetCertificateStatus(
                exchange_service_pb2.GetCertificateStatusRequest(certificate=ref), timeout=10
            ).status
            if status.issuer_state != lifecycle_pb2.ISSUER_STATE_CANCELLED:
                state_lost.append(rid)
    figures.record(
        "crash.receiver",
        kills_survived=kills,
        receipts_checked=len(ledger.acked),
        idempotent_resubmissions=len(sample),
        inflight_at_kill=len(ledger.inflight),
        inflight_found_stored=stored_inflight,
        documents_lost=len(lost),
        documents_altered=len(altered) + len(half_stored),
        received_on_streams=ledger.streamed,
        cancellations_checked=sum(1 for r in ledger.cancels if r in ledger.acked),
        state_changes_lost=len(state_lost),
    )
    assert not lost, lost[:5]
    assert not altered, altered[:5]
    assert not half_stored, half_stored[:5]
    assert not receipt_changed, receipt_changed[:5]
    assert not state_lost, state_lost[:5]
    assert ledger.streamed > 0
