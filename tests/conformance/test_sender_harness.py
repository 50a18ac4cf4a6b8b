"""SenderHarness and PartnerNode judging a small sender that speaks the adapter protocol.

The sender below is written here from the spec (docs/spec.md REQ-PUSH-004/006) and served as
a real AdapterService (attach mode); a faulty variant that mints a new request id on every
retry must be caught by the same checks the sender cases use.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import pytest

from conformance import offline
from conformance.adapter_client import AdapterClient
from conformance.envelopes import sign_envelope
from conformance.partner import PartnerAction, PartnerNode, SenderHarness, simple_certificate
from conformance.pki import SuitePki, generate_pki
from wco.eco.conformance.v1 import adapter_pb2, adapter_pb2_grpc
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
)

_RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
}


@dataclass
class _Entry:
    request_id: str
    envelope: envelope_pb2.Envelope
    status: int = envelope_pb2.DELIVERY_STATUS_PENDING
    attempts: int = 0
    reason: str = ""
    receipt: envelope_pb2.Envelope = field(default_factory=envelope_pb2.Envelope)


class _MiniSender(adapter_pb2_grpc.AdapterServiceServicer):
    """A sender for XB, enough for the harness: issue, deliver, outbox."""

    def __init__(self, pki: SuitePki, *, fresh_id_on_retry: bool = False) -> None:
        self._pki = pki
        self._fresh = fresh_id_on_retry
        self._entries: list[_Entry] = []
        self._stub: exchange_service_pb2_grpc.ExchangeServiceStub | None = None
        self._deadline = 5.0

    def Execute(
        self, request: adapter_pb2.ExecuteRequest, context: grpc.ServicerContext
    ) -> adapter_pb2.ExecuteResponse:
        response = adapter_pb2.ExecuteResponse(command_id=request.command_id)
        kind = request.WhichOneof("command")
        xb = self._pki.country("XB")
        if kind == "describe":
            response.describe.country = "XB"
            response.describe.issuing_authority_id = xb.authority_id
        elif kind == "configure_partner":
            command = request.configure_partner
            client = xb.node_client
            credentials = grpc.ssl_channel_credentials(
                root_certificates=command.tls_ca_pem,
                private_key=client.key_pem(),
                certificate_chain=client.chain_pem(),
            )
            channel = grpc.secure_channel(command.address, credentials)
            self._stub = exchange_service_pb2_grpc.ExchangeServiceStub(channel)
            self._deadline = (command.deadline_ms or 5000) / 1000
            response.done.SetInParent()
        elif kind == "issue_certificate":
            co = request.issue_certificate.certificate
            envelope = sign_envelope(
                offline.CERTIFICATE_TYPE, co.SerializeToString(), [xb.authority]
            )
            entry = _Entry(request_id=str(uuid.uuid4()), envelope=envelope)
            self._entries.append(entry)
            response.queued.request_id = entry.request_id
            response.queued.recipient_country = co.importing_country
        elif kind == "deliver":
            self._deliver()
            response.outbox.SetInParent()
        elif kind == "get_outbox":
            for entry in self._entries:
                response.outbox.entries.append(
                    adapter_pb2.OutboxEntry(
                        request_id=entry.request_id,
                        recipient_country="XA",
                        status=entry.status,
                        attempts=entry.attempts,
                        last_error_reason=entry.reason,
                        receipt=entry.receipt,
                    )
                )
        else:
            response.done.SetInParent()
        return response

    def _deliver(self) -> None:
        assert self._stub is not None
        anchors = [self._pki.country("XA").root.certificate]
        for entry in self._entries:
            if entry.status != envelope_pb2.DELIVERY_STATUS_PENDING:
                continue
            if self._fresh and entry.attempts:
                entry.request_id = str(uuid.uuid4())
            entry.attempts += 1
            try:
                answer = self._stub.SubmitDocument(
                    exchange_service_pb2.SubmitDocumentRequest(
                        request_id=entry.request_id, envelope=entry.envelope
                    ),
                    timeout=self._deadline,
                )
            except grpc.RpcError as error:
                code = error.code() if isinstance(error, grpc.Call) else None
                if code not in _RETRYABLE:
                    entry.status = envelope_pb2.DELIVERY_STATUS_FAILED
                    entry.reason = str(code)
                continue
            try:
                offline.verify_receipt(
                    answer.receipt,
                    receiver_country="XA",
                    trust_anchors=anchors,
                    at=dt.datetime.now(dt.UTC),
                    request_id=entry.request_id,
                    payload=entry.envelope.payload,
                    payload_type=entry.envelope.payload_type,
                )
            except offline.EnvelopeRejectedError as exc:
                entry.reason = exc.reason
                continue
            entry.status = envelope_pb2.DELIVERY_STATUS_DELIVERED
            entry.receipt.CopyFrom(answer.receipt)


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=dt.datetime.now(dt.UTC))


def _harness(pki: SuitePki, *, faulty: bool) -> Iterator[SenderHarness]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    adapter_pb2_grpc.add_AdapterServiceServicer_to_server(
        _MiniSender(pki, fresh_id_on_retry=faulty), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    partner = PartnerNode.from_pki(pki)
    partner.start()
    client = AdapterClient.attach(f"127.0.0.1:{port}")
    harness = SenderHarness(adapter=client, partner=partner)
    harness.configure()
    try:
        yield harness
    finally:
        client.close()
        partner.stop()
        server.stop(None)


@pytest.fixture
def good(pki: SuitePki) -> Iterator[SenderHarness]:
    yield from _harness(pki, faulty=False)


@pytest.fixture
def faulty(pki: SuitePki) -> Iterator[SenderHarness]:
    yield from _harness(pki, faulty=True)


def _co(harness: SenderHarness, number: str) -> certificate_pb2.CertificateOfOrigin:
    return simple_certificate(
        number=number,
        exporting_country="XB",
        importing_country="XA",
        authority_id=harness.describe().issuing_authority_id,
        today=dt.datetime.now(dt.UTC).date(),
    )


def test_delivery_with_retries_is_judged_correct(good: SenderHarness) -> None:
    co = _co(good, "H-1")
    queued = good.issue(co)
    good.partner.plan(queued.request_id, PartnerAction.unavailable(), PartnerAction.bad_receipt())
    entries = good.deliver_until_settled([queued.request_id], timeout=10)
    entry = entries[queued.request_id.lower()]
    assert entry.status == envelope_pb2.DELIVERY_STATUS_DELIVERED
    arrivals = good.partner.arrivals(queued.request_id)
    assert [a.action for a in arrivals] == ["unavailable", "bad_receipt", "accept"]
    assert {a.envelope_bytes for a in arrivals} == {arrivals[0].envelope_bytes}
    assert arrivals[-1].document == co
    assert entry.receipt == good.partner.receipt_for(queued.request_id)


def test_permanent_refusal_leaves_one_arrival(good: SenderHarness) -> None:
    queued = good.issue(_co(good, "H-2"))
    good.partner.plan(
        queued.request_id, PartnerAction.refuse(grpc.StatusCode.INVALID_ARGUMENT, "FIELD_INVALID")
    )
    entries = good.deliver_until_settled([queued.request_id], timeout=10)
    assert entries[queued.request_id.lower()].status == envelope_pb2.DELIVERY_STATUS_FAILED
    assert len(good.partner.arrivals(queued.request_id)) == 1


def test_sender_minting_new_ids_on_retry_is_caught(faulty: SenderHarness) -> None:
    """A sender that retries under a new request id stores a duplicate: the partner sees it."""
    queued = faulty.issue(_co(faulty, "H-3"))
    faulty.partner.plan(queued.request_id, PartnerAction.unavailable())
    faulty.deliver_until_settled([queued.request_id], timeout=2)
    # The retry under a fresh id is not an arrival of the queued request id ...
    assert len(faulty.partner.arrivals(queued.request_id)) == 1
    # ... and what the partner stored is not under the id the node reported.
    assert queued.request_id not in faulty.partner.stored_request_ids()
