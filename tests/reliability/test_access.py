"""Access control of a running node (issue 7 item 4; docs/spec.md section 2, REQ-ACC-*).

The XB node trusts partners XA and XC. Callers without TLS, without a client
certificate, with a certificate from an unknown CA or an expired one are
refused (UNAUTHENTICATED or a failed handshake, REQ-ACC-001). XC, a valid
partner, may neither submit for another country (REQ-ACC-002, REQ-AUTH-004)
nor read, list, watch or cancel documents between XA and XB (REQ-ACC-003); a
document it may not see is answered exactly like one that does not exist
(REQ-ACC-004). Every refusal leaves the node's state unchanged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import grpc
import pytest

from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    lifecycle_pb2,
)

from .conftest import Figures
from .documents import STATUS_CHANGE, make_status_change, sign, signed_certificate
from .node import DOMAIN, NodeProcess, RpcOutcome, channel_for, classify, list_all, submit
from .pki import CountryPki, make_country

_REFUSED_AT_TRANSPORT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED}


def _fail(call: Callable[..., object], *args: object, **kwargs: object) -> RpcOutcome:
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    return classify(info.value)


def _ref(co: certificate_pb2.CertificateOfOrigin) -> certificate_pb2.CertificateReference:
    return certificate_pb2.CertificateReference(
        exporting_country=co.exporting_country,
        issuing_authority_id=co.issuing_authority.id,
        certificate_number=co.certificate_number,
    )


def _stored(node: NodeProcess, xa: CountryPki, rid: str) -> bool:
    with node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        try:
            stub.GetDocument(exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10)
        except grpc.RpcError as exc:
            outcome = classify(exc)
        else:
            return True
    assert outcome.code == grpc.StatusCode.NOT_FOUND, outcome
    return False


def _assert_unauthenticated(outcome: RpcOutcome) -> None:
    assert outcome.code in _REFUSED_AT_TRANSPORT, outcome
    if outcome.code == grpc.StatusCode.UNAUTHENTICATED:
        assert (outcome.reason, outcome.domain) == ("UNAUTHENTICATED", DOMAIN), outcome


def test_callers_without_valid_client_certificate_are_refused(
    xb_node: NodeProcess, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """No TLS, no client cert, unknown CA, expired cert: refused, nothing stored (REQ-ACC-001)."""
    _, env = signed_certificate(xa, importer="XB")
    now = dt.datetime.now(dt.UTC)
    stranger = make_country("XA")  # claims to be XA, under a CA XB does not know
    expired = xa.new_client(
        not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    attempts: dict[str, grpc.Channel] = {
        "plaintext": grpc.insecure_channel(xb_node.address),
        "no-client-cert": channel_for(xb_node.address, server_ca=xb, caller=None),
        "unknown-ca": channel_for(xb_node.address, server_ca=xb, caller=stranger),
        "expired-cert": channel_for(xb_node.address, server_ca=xb, caller=xa, client=expired),
    }
    for name, ch in attempts.items():
        rid = str(uuid.uuid4())
        with ch:
            outcome = _fail(submit, ch, rid, env, timeout=10)
            _assert_unauthenticated(outcome)
            stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
            listing = _fail(
                stub.ListDocuments, exchange_service_pb2.ListDocumentsRequest(), timeout=10
            )
            _assert_unauthenticated(listing)
        assert not _stored(xb_node, xa, rid), name
        figures.add("access", "unauthenticated_refused", 2)
    # The node still serves a legitimate caller.
    with xb_node.channel(xa) as ch:
        submit(ch, str(uuid.uuid4()), env)


def test_third_country_cannot_submit_for_others(
    xb_node: NodeProcess, xa: CountryPki, xc: CountryPki, figures: Figures
) -> None:
    """XC submitting XA's document, or its own for another recipient: SENDER_MISMATCH."""
    _, xa_env = signed_certificate(xa, importer="XB")
    _, xc_to_xd = signed_certificate(xc, importer="XD")
    with xb_node.channel(xc) as ch:
        for env in (xa_env, xc_to_xd):
            rid = str(uuid.uuid4())
            outcome = _fail(submit, ch, rid, env)
            assert (outcome.code, outcome.reason) == (
                grpc.StatusCode.PERMISSION_DENIED,
                "SENDER_MISMATCH",
            ), outcome
            assert outcome.domain == DOMAIN
            assert not _stored(xb_node, xa, rid)
            figures.add("access", "sender_mismatch_refused")
    # The same XA document from XA itself is accepted: the refusal was about the caller.
    with xb_node.channel(xa) as ch:
        submit(ch, str(uuid.uuid4()), xa_env)


def test_documents_of_others_are_invisible(
    xb_node: NodeProcess, xa: CountryPki, xc: CountryPki, figures: Figures
) -> None:
    """XC gets for XA->XB documents exactly what it gets for nonexistent ones (REQ-ACC-004)."""
    co, env = signed_certificate(xa, importer="XB")
    rid = str(uuid.uuid4())
    with xb_node.channel(xa) as ch:
        submit(ch, rid, env)
    ghost = certificate_pb2.CertificateOfOrigin()
    ghost.CopyFrom(co)
    ghost.certificate_number = "XA-DOES-NOT-EXIST-1"
    with xb_node.channel(xc) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        pairs = [
            (
                lambda: stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(request_id=rid), timeout=10
                ),
                lambda: stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(request_id=str(uuid.uuid4())),
                    timeout=10,
                ),
            ),
            (
                lambda: stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(certificate=_ref(co)), timeout=10
                ),
                lambda: stub.GetDocument(
                    exchange_service_pb2.GetDocumentRequest(certificate=_ref(ghost)), timeout=10
                ),
            ),
            (
                lambda: stub.GetCertificateStatus(
                    exchange_service_pb2.GetCertificateStatusRequest(certificate=_ref(co)),
                    timeout=10,
                ),
                lambda: stub.GetCertificateStatus(
                    exchange_service_pb2.GetCertificateStatusRequest(certificate=_ref(ghost)),
                    timeout=10,
                ),
            ),
        ]
        for hidden, missing in pairs:
            seen, absent = _fail(hidden), _fail(missing)
            assert (seen.code, seen.reason) == (grpc.StatusCode.NOT_FOUND, "UNKNOWN_DOCUMENT")
            # Same code, reason, domain and message text: nothing leaks (REQ-ACC-004).
            assert seen == absent, (seen, absent)
            figures.add("access", "invisible_reads_identical_to_missing")
        listed = [d.request_id for d in list_all(ch)]
        assert rid not in listed
        watched: list[str] = []
        stream = stub.WatchDocuments(exchange_service_pb2.WatchDocumentsRequest(), timeout=1.5)
        with pytest.raises(grpc.RpcError) as info:
            watched.extend(r.document.request_id for r in stream)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert rid not in watched
    # XA, the sender, may read its own document (REQ-ACC-003).
    with xb_node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        doc = stub.GetDocument(exchange_service_pb2.GetDocumentRequest(request_id=rid)).document
        assert doc.envelope.SerializeToString() == env.SerializeToString()


def test_third_country_cannot_cancel(
    xb_node: NodeProcess, xa: CountryPki, xc: CountryPki, figures: Figures
) -> None:
    """XC cannot cancel XA's CO: with its own signature or replaying XA's (REQ-AUTH-001/004)."""
    co, env = signed_certificate(xa, importer="XB")
    with xb_node.channel(xa) as ch:
        submit(ch, str(uuid.uuid4()), env)
    change = make_status_change(co).SerializeToString()
    forged = sign(STATUS_CHANGE, change, xc.authority)
    genuine = sign(STATUS_CHANGE, change, xa.authority)
    with xb_node.channel(xc) as ch:
        for env_, expected in (
            (forged, "SIGNER_NOT_AUTHORISED"),
            (genuine, "SENDER_MISMATCH"),
        ):
            rid = str(uuid.uuid4())
            outcome = _fail(submit, ch, rid, env_)
            assert (outcome.code, outcome.reason) == (grpc.StatusCode.PERMISSION_DENIED, expected)
            assert not _stored(xb_node, xa, rid)
            figures.add("access", "foreign_cancel_refused")
    with xb_node.channel(xa) as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        status = stub.GetCertificateStatus(
            exchange_service_pb2.GetCertificateStatusRequest(certificate=_ref(co))
        ).status
        assert status.issuer_state == lifecycle_pb2.ISSUER_STATE_ISSUED
        # The genuine change from XA itself is accepted: the refusal was about the caller.
        receipt = submit(ch, str(uuid.uuid4()), genuine).receipt
        assert isinstance(receipt, envelope_pb2.Envelope)
        status = stub.GetCertificateStatus(
            exchange_service_pb2.GetCertificateStatusRequest(certificate=_ref(co))
        ).status
        assert status.issuer_state == lifecycle_pb2.ISSUER_STATE_CANCELLED
