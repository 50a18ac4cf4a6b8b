"""The suite's partner node (sender role) against a real mTLS client playing node XB.

docs/conformance.md "Sender role"; the partner judges REQ-PUSH-003/004/006, REQ-IDEM-*,
REQ-SIG-*, REQ-AUTH-* of what the node under test sends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from conformance import offline
from conformance.envelopes import sign_envelope
from conformance.partner import RECEIPT_FAULTS, PartnerAction, PartnerNode, ReceiptFault
from conformance.pki import SuitePki, generate_pki
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
)

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=NOW)


@pytest.fixture
def partner(pki: SuitePki) -> Iterator[PartnerNode]:
    with PartnerNode.from_pki(pki) as node:
        yield node


@pytest.fixture
def stub(
    pki: SuitePki, partner: PartnerNode
) -> Iterator[exchange_service_pb2_grpc.ExchangeServiceStub]:
    client = pki.country("XB").node_client
    credentials = grpc.ssl_channel_credentials(
        root_certificates=partner.server_ca_pem,
        private_key=client.key_pem(),
        certificate_chain=client.chain_pem(),
    )
    with grpc.secure_channel(partner.address, credentials) as channel:
        yield exchange_service_pb2_grpc.ExchangeServiceStub(channel)


def _co(number: str, *, importing: str = "XA") -> bytes:
    co = certificate_pb2.CertificateOfOrigin(
        certificate_number=number,
        agreement_id="AKFTA",
        form_type="AK",
        exporting_country="XB",
        importing_country=importing,
        issuing_authority={"id": "xb-customs", "name": "XB Customs"},
        issue_date={"year": NOW.year, "month": NOW.month, "day": NOW.day},
        exporter={"name": "Exporter", "address": {"country": "XB"}},
        consignee={"name": "Consignee", "address": {"country": importing}},
        goods_items=[
            {
                "item_number": 1,
                "description": "Rice",
                "hs_code": "100630",
                "hs_edition": "HS2022",
                "origin_criterion": {"type": certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED},
                "quantity": {"value": {"value": "10"}, "unit_code": "KGM"},
            }
        ],
    )
    return co.SerializeToString()


def _signed(pki: SuitePki, payload: bytes) -> envelope_pb2.Envelope:
    return sign_envelope(offline.CERTIFICATE_TYPE, payload, [pki.country("XB").authority])


def _reason(error: grpc.RpcError) -> str:
    assert isinstance(error, grpc.Call)
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return ""


def test_valid_submission_gets_a_verifiable_receipt(
    pki: SuitePki, partner: PartnerNode, stub: exchange_service_pb2_grpc.ExchangeServiceStub
) -> None:
    request_id = str(uuid.uuid4())
    envelope = _signed(pki, _co("XB-1"))
    response = stub.SubmitDocument(
        exchange_service_pb2.SubmitDocumentRequest(request_id=request_id, envelope=envelope)
    )
    receipt = offline.verify_receipt(
        response.receipt,
        receiver_country="XA",
        trust_anchors=[pki.country("XA").root.certificate],
        at=dt.datetime.now(dt.UTC),
        request_id=request_id,
        payload=envelope.payload,
        payload_type=envelope.payload_type,
    )
    assert receipt.sender_country == "XB"
    assert receipt.certificate.certificate_number == "XB-1"
    (arrival,) = partner.arrivals()
    assert arrival.problems == ()
    assert arrival.caller_country == "XB"
    assert arrival.envelope_bytes == envelope.SerializeToString()
    assert partner.stored_request_ids() == [request_id]
    # Idempotent retry: the same receipt, nothing new stored.
    again = stub.SubmitDocument(
        exchange_service_pb2.SubmitDocumentRequest(request_id=request_id, envelope=envelope)
    )
    assert again.receipt == response.receipt
    assert partner.arrivals()[-1].duplicate
    assert partner.stored_request_ids() == [request_id]


def test_scripted_unavailable_then_accept(
    pki: SuitePki, partner: PartnerNode, stub: exchange_service_pb2_grpc.ExchangeServiceStub
) -> None:
    request_id = str(uuid.uuid4())
    partner.plan(request_id, PartnerAction.unavailable(), PartnerAction.unavailable())
    request = exchange_service_pb2.SubmitDocumentRequest(
        request_id=request_id, envelope=_signed(pki, _co("XB-2"))
    )
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as raised:
            stub.SubmitDocument(request)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert _reason(raised.value) == "NODE_UNAVAILABLE"
        assert partner.stored_request_ids() == []
    stub.SubmitDocument(request)
    assert partner.stored_request_ids() == [request_id]
    assert [a.action for a in partner.arrivals()] == ["unavailable", "unavailable", "accept"]


def test_scripted_refusal_and_bad_receipt(
    pki: SuitePki, partner: PartnerNode, stub: exchange_service_pb2_grpc.ExchangeServiceStub
) -> None:
    refused = str(uuid.uuid4())
    partner.plan(
        refused, PartnerAction.refuse(grpc.StatusCode.PERMISSION_DENIED, "SIGNER_UNTRUSTED")
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitDocument(
            exchange_service_pb2.SubmitDocumentRequest(
                request_id=refused, envelope=_signed(pki, _co("XB-3"))
            )
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _reason(raised.value) == "SIGNER_UNTRUSTED"

    bad = str(uuid.uuid4())
    envelope = _signed(pki, _co("XB-4"))
    partner.plan(bad, PartnerAction.bad_receipt())
    request = exchange_service_pb2.SubmitDocumentRequest(request_id=bad, envelope=envelope)
    anchors = [pki.country("XA").root.certificate]
    first = stub.SubmitDocument(request).receipt
    with pytest.raises(offline.SignatureInvalidError):
        offline.verify_receipt(
            first,
            receiver_country="XA",
            trust_anchors=anchors,
            at=dt.datetime.now(dt.UTC),
            request_id=bad,
            payload=envelope.payload,
            payload_type=envelope.payload_type,
        )
    second = stub.SubmitDocument(request).receipt
    offline.verify_receipt(
        second,
        receiver_country="XA",
        trust_anchors=anchors,
        at=dt.datetime.now(dt.UTC),
        request_id=bad,
        payload=envelope.payload,
        payload_type=envelope.payload_type,
    )
    assert partner.stored_request_ids() == [bad]


@pytest.mark.parametrize("fault", RECEIPT_FAULTS)
def test_wrong_receipt_differs_in_one_field_and_is_validly_signed(
    pki: SuitePki,
    partner: PartnerNode,
    stub: exchange_service_pb2_grpc.ExchangeServiceStub,
    fault: ReceiptFault,
) -> None:
    request_id = str(uuid.uuid4())
    request = exchange_service_pb2.SubmitDocumentRequest(
        request_id=request_id, envelope=_signed(pki, _co(f"XB-W-{fault}"))
    )
    partner.plan(request_id, PartnerAction.wrong_receipt(fault))
    wrong = stub.SubmitDocument(request).receipt
    right = stub.SubmitDocument(request).receipt
    assert partner.stored_request_ids() == [request_id]
    changed = envelope_pb2.Receipt.FromString(wrong.payload)
    correct = envelope_pb2.Receipt.FromString(right.payload)
    differing = [
        f.name
        for f in envelope_pb2.Receipt.DESCRIPTOR.fields
        if getattr(changed, f.name) != getattr(correct, f.name)
    ]
    signed_by = "XC" if fault == "third_country_signer" else "XA"
    country = pki.country(signed_by)
    signer = country.authority if fault == "signer" else country.node_signer
    only_signer = fault in ("signer", "third_country_signer")
    assert differing == ([] if only_signer else [fault])
    assert wrong.signatures[0].certificate_chain[0] == signer.chain_der()[0]
    verified = offline.verify_signatures(
        wrong,
        trust_anchors={signed_by: [country.root.certificate]},
        at=dt.datetime.now(dt.UTC),
        accepted_types=None,
    )
    assert verified.identity.country == signed_by
    assert verified.identity.authority_id is None or fault == "signer"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        ("bad_request_id", "REQUEST_ID_INVALID"),
        ("tampered", "SIGNATURE_INVALID"),
        ("wrong_recipient", "SENDER_MISMATCH"),
        ("foreign_signer", "SIGNER_UNTRUSTED"),
    ],
)
def test_broken_arrivals_are_refused_and_recorded(
    pki: SuitePki,
    partner: PartnerNode,
    stub: exchange_service_pb2_grpc.ExchangeServiceStub,
    mutate: str,
    reason: str,
) -> None:
    request_id = str(uuid.uuid4())
    envelope = _signed(pki, _co("XB-5"))
    if mutate == "bad_request_id":
        request_id = "not-a-uuid"
    elif mutate == "tampered":
        envelope.payload = _co("XB-6")
    elif mutate == "wrong_recipient":
        envelope = _signed(pki, _co("XB-7", importing="XC"))
    elif mutate == "foreign_signer":
        envelope = sign_envelope(
            offline.CERTIFICATE_TYPE, _co("XB-8"), [pki.negative_signers["untrusted-root-signer"]]
        )
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitDocument(
            exchange_service_pb2.SubmitDocumentRequest(request_id=request_id, envelope=envelope)
        )
    assert _reason(raised.value) == reason
    (arrival,) = partner.arrivals()
    assert arrival.reason == reason
    assert arrival.problems
    assert partner.stored_request_ids() == []


def test_duplicate_certificate_number_under_new_request_id_is_refused(
    pki: SuitePki, partner: PartnerNode, stub: exchange_service_pb2_grpc.ExchangeServiceStub
) -> None:
    envelope = _signed(pki, _co("XB-9"))
    stub.SubmitDocument(
        exchange_service_pb2.SubmitDocumentRequest(request_id=str(uuid.uuid4()), envelope=envelope)
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.SubmitDocument(
            exchange_service_pb2.SubmitDocumentRequest(
                request_id=str(uuid.uuid4()), envelope=envelope
            )
        )
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _reason(raised.value) == "DUPLICATE_CONFLICT"


def test_stream_answers_each_request(
    pki: SuitePki, partner: PartnerNode, stub: exchange_service_pb2_grpc.ExchangeServiceStub
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    envelopes = [_signed(pki, _co(f"XB-S{i}")) for i in range(3)]
    envelopes[1].payload = b"tampered"
    responses = list(
        stub.SubmitDocumentStream(
            iter(
                exchange_service_pb2.SubmitDocumentStreamRequest(request_id=i, envelope=e)
                for i, e in zip(ids, envelopes, strict=True)
            )
        )
    )
    assert [r.request_id for r in responses] == ids
    assert [r.WhichOneof("result") for r in responses] == ["receipt", "error", "receipt"]
    assert partner.stored_request_ids() == [ids[0], ids[2]]


def test_client_without_certificate_cannot_submit(partner: PartnerNode) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=partner.server_ca_pem)
    with grpc.secure_channel(partner.address, credentials) as channel:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.SubmitDocument(
                exchange_service_pb2.SubmitDocumentRequest(request_id=str(uuid.uuid4())),
                timeout=5,
            )
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert partner.arrivals() == []
