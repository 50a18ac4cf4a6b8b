"""Profile ``transport-security``: mutual TLS, caller identity, visibility (spec section 2).

Calls without a valid client certificate must fail (handshake failure or
UNAUTHENTICATED); a partner's valid certificate gives access only to that
partner's own documents, and a document the caller may not read is answered
exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conformance.client import Outcome, Target, _refusal_from_error
from conformance.judge import assert_accepted, assert_not_readable, assert_refused, new_request_id
from conformance.pki import Credential, SuitePki, Validity, issue_leaf, node_uri
from conformance.receiver import (
    context_for,
    minimal_certificate,
    status_request,
    submit_certificate,
)
from conformance.strategies import CodeLists, reference_of, unique_number
from wco.eco.v1 import (
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    node_service_pb2,
    node_service_pb2_grpc,
)

pytestmark = [pytest.mark.profile("transport-security")]

XA = "XA"
XC = "XC"


def _call_node_info(channel: grpc.Channel) -> grpc.StatusCode:
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(channel)
    try:
        stub.GetDocument(
            exchange_service_pb2.GetDocumentRequest(request_id=new_request_id()), timeout=10
        )
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _assert_rejected(code: grpc.StatusCode, what: str) -> None:
    assert code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNAVAILABLE), (
        f"REQ-ACC-001: {what}: expected a failed handshake or UNAUTHENTICATED, got {code.name}"
    )


@pytest.mark.requirement("REQ-ACC-001")
def test_plaintext_refused(target: Target) -> None:
    """A plaintext (no TLS) call does not reach the service."""
    channel = target.insecure_channel()
    try:
        _assert_rejected(_call_node_info(channel), "plaintext call")
    finally:
        channel.close()


@pytest.mark.requirement("REQ-ACC-001")
def test_no_client_certificate_refused(target: Target) -> None:
    """TLS without a client certificate is refused."""
    channel = target.secure_channel(None)
    try:
        _assert_rejected(_call_node_info(channel), "no client certificate")
    finally:
        channel.close()


@pytest.mark.requirement("REQ-ACC-001")
@pytest.mark.parametrize("name", ["unknown-ca-client", "expired-client"])
def test_bad_client_certificate_refused(target: Target, suite_pki: SuitePki, name: str) -> None:
    """A client certificate from an unknown CA, or expired, is refused."""
    credential: Credential = suite_pki.negative_tls_clients[name]
    channel = target.secure_channel(credential)
    try:
        _assert_rejected(_call_node_info(channel), name)
    finally:
        channel.close()


@pytest.mark.requirement("REQ-ACC-001")
def test_server_signer_is_not_a_client(target: Target, suite_pki: SuitePki) -> None:
    """XA's document signer (not a TLS client certificate of XA's TLS CA) is refused."""
    channel = target.secure_channel(suite_pki.country(XA).authority)
    try:
        _assert_rejected(_call_node_info(channel), "document signer as TLS client")
    finally:
        channel.close()


@pytest.fixture(scope="module")
def xa_document(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> tuple[str, exchange_service_pb2.GetCertificateStatusRequest]:
    """A CO XA sent to the node: its request id and status request."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="setup")
    return submission.request_id, status_request(co)


def _same_answer(hidden: object, missing: object, hidden_id: str, missing_id: str) -> None:
    assert isinstance(hidden, Outcome)
    assert isinstance(missing, Outcome)
    a = assert_refused(hidden, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule="REQ-ACC-004")
    b = assert_refused(missing, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule="REQ-ACC-004")
    text_a = a.message.replace(hidden_id, "<id>")
    text_b = b.message.replace(missing_id, "<id>")
    assert text_a == text_b, (
        f"REQ-ACC-004: not-visible answer {text_a!r} differs from nonexistent answer {text_b!r}"
    )


@pytest.mark.obligation("third-country")
@pytest.mark.requirement("REQ-ACC-003", "REQ-ACC-004")
def test_other_country_cannot_read_by_request_id(
    target: Target, xa_document: tuple[str, exchange_service_pb2.GetCertificateStatusRequest]
) -> None:
    """XC reading XA's document by request id gets exactly the nonexistent answer."""
    request_id, _ = xa_document
    missing = new_request_id()
    hidden = target.get_document(XC, exchange_service_pb2.GetDocumentRequest(request_id=request_id))
    absent = target.get_document(XC, exchange_service_pb2.GetDocumentRequest(request_id=missing))
    _same_answer(hidden, absent, request_id, missing)


@pytest.mark.obligation("third-country")
@pytest.mark.requirement("REQ-ACC-003", "REQ-ACC-004")
def test_other_country_cannot_read_by_reference(
    target: Target, xa_document: tuple[str, exchange_service_pb2.GetCertificateStatusRequest]
) -> None:
    """XC reading XA's CO by reference, or its status, gets the nonexistent answer."""
    _, status_req = xa_document
    ref = status_req.certificate
    ghost = type(ref)()
    ghost.CopyFrom(ref)
    ghost.certificate_number = unique_number("GHOST")
    hidden = target.get_document(XC, exchange_service_pb2.GetDocumentRequest(certificate=ref))
    absent = target.get_document(XC, exchange_service_pb2.GetDocumentRequest(certificate=ghost))
    _same_answer(hidden, absent, ref.certificate_number, ghost.certificate_number)
    hidden_s = target.get_status(XC, status_req)
    absent_s = target.get_status(
        XC, exchange_service_pb2.GetCertificateStatusRequest(certificate=ghost)
    )
    _same_answer(hidden_s, absent_s, ref.certificate_number, ghost.certificate_number)


@pytest.mark.obligation("third-country")
@pytest.mark.requirement("REQ-ACC-003")
def test_list_shows_only_documents_for_the_caller(
    target: Target, xa_document: tuple[str, exchange_service_pb2.GetCertificateStatusRequest]
) -> None:
    """ListDocuments as XC or XA never shows a document addressed to another country."""
    request_id, _ = xa_document
    for caller in (XA, XC):
        token = ""
        for _ in range(50):
            outcome = target.list_documents(
                caller, exchange_service_pb2.ListDocumentsRequest(page_size=100, page_token=token)
            )
            assert outcome.response is not None, f"REQ-PULL-001: {outcome.summary()}"
            for doc in outcome.response.documents:
                assert doc.recipient_country == caller, (
                    f"REQ-ACC-003: {caller} lists a document addressed to {doc.recipient_country}"
                )
                assert doc.request_id != request_id
            token = outcome.response.next_page_token
            if not token:
                break


@pytest.mark.requirement("REQ-ACC-002")
def test_partner_cannot_submit_for_another_country(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """XC submitting XA's correctly signed CO is PERMISSION_DENIED SENDER_MISMATCH."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XC)
    assert_refused(outcome, code="PERMISSION_DENIED", reason="SENDER_MISMATCH", rule="REQ-ACC-002")
    assert_not_readable(target, caller=XC, request_id=submission.request_id)
    assert_not_readable(target, caller=XA, request_id=None, certificate=reference_of(co))


#: The health service names a node answers SERVING for (REQ-ACC-005).
HEALTH_NAMES = (
    "",
    "wco.eco.v1.ExchangeService",
    "wco.eco.v1.NodeService",
    "wco.eco.v1.TrustService",
)


@pytest.mark.requirement("REQ-ACC-005")
@pytest.mark.parametrize("service", HEALTH_NAMES, ids=lambda name: name or "overall")
def test_health_service(target: Target, service: str) -> None:
    """The standard gRPC health service answers SERVING over mutual TLS, overall and per service."""
    stub = health_pb2_grpc.HealthStub(target.channel(XA))
    try:
        response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
    except grpc.RpcError as error:
        refusal = _refusal_from_error(error)
        raise AssertionError(
            f"REQ-ACC-005: health check of {service or 'the overall name'!r} failed: "
            f"{refusal.summary()}"
        ) from None
    assert response.status == health_pb2.HealthCheckResponse.SERVING, (
        f"REQ-ACC-005: {service or 'overall'} is {response.status}, not SERVING"
    )


@pytest.mark.requirement("REQ-ACC-005", "REQ-ACC-001")
def test_health_needs_a_client_certificate(target: Target) -> None:
    """Health is under the same mutual TLS: without a client certificate it is refused."""
    channel = target.secure_channel(None)  # TLS, but no client certificate
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        except grpc.RpcError as error:
            code = error.code()
        else:
            code = grpc.StatusCode.OK
        _assert_rejected(code, "health check without a client certificate")
    finally:
        channel.close()


@pytest.mark.requirement("REQ-ACC-001", "REQ-NODE-001")
def test_caller_identity_is_the_certificate_country(target: Target) -> None:
    """Both partner certificates are served (each as its own country)."""
    for caller in (XA, XC):
        outcome = target.call(
            target.node(caller).GetNodeInfo,
            node_service_pb2.GetNodeInfoRequest(),
            caller=caller,
            rpc="NodeService/GetNodeInfo",
        )
        assert outcome.response is not None, f"REQ-ACC-001: {caller}: {outcome.summary()}"


@pytest.mark.requirement("REQ-ACC-001")
def test_client_certificate_from_another_countrys_ca_refused(
    target: Target, suite_pki: SuitePki
) -> None:
    """A client certificate naming XA but issued by XC's TLS CA is refused.

    The node trusts XC's TLS CA, but only for XC: the certificate must be issued by the
    TLS CA configured for the country its URI names (REQ-ACC-001).
    """
    now = dt.datetime.now(dt.UTC)
    credential = issue_leaf(
        cn="XA node client issued by the XC TLS CA",
        country=XC,
        issuer=suite_pki.country(XC).tls_ca,
        validity=Validity(
            not_before=now - dt.timedelta(hours=1), not_after=now + dt.timedelta(days=1)
        ),
        uris=(node_uri(XA),),
        eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    )
    channel = target.secure_channel(credential)
    try:
        _assert_rejected(_call_node_info(channel), "a certificate for XA from XC's TLS CA")
    finally:
        channel.close()


def _xa_client(suite_pki: SuitePki, eku: tuple[x509.ObjectIdentifier, ...]) -> Credential:
    """A TLS client certificate of XA's TLS CA naming XA's node, with extended key usage ``eku``.

    ``eku`` empty: no ExtendedKeyUsage extension at all.
    """
    now = dt.datetime.now(dt.UTC)
    return issue_leaf(
        cn="XA node client, chosen extended key usage",
        country=XA,
        issuer=suite_pki.country(XA).tls_ca,
        validity=Validity(
            not_before=now - dt.timedelta(hours=1), not_after=now + dt.timedelta(days=1)
        ),
        uris=(node_uri(XA),),
        eku=eku,
    )


@pytest.mark.obligation("refuse")
@pytest.mark.requirement("REQ-ACC-001")
def test_client_certificate_without_client_auth_usage_refused(
    target: Target, suite_pki: SuitePki
) -> None:
    """A client certificate whose extended key usage is serverAuth only is refused.

    Right TLS CA, right node URI, within its validity: only the extended key usage is wrong.
    REQ-ACC-001: an ExtendedKeyUsage extension of a client certificate must include clientAuth;
    the call fails the handshake or is answered UNAUTHENTICATED.
    """
    channel = target.secure_channel(_xa_client(suite_pki, (ExtendedKeyUsageOID.SERVER_AUTH,)))
    try:
        _assert_rejected(_call_node_info(channel), "a client certificate with EKU serverAuth only")
    finally:
        channel.close()


@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-ACC-001")
@pytest.mark.parametrize(
    "eku",
    [
        pytest.param((ExtendedKeyUsageOID.CLIENT_AUTH,), id="client-auth"),
        pytest.param(
            (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
            id="server-and-client-auth",
        ),
        pytest.param((), id="no-extended-key-usage"),
    ],
)
def test_client_certificate_usage_accepted(
    target: Target, suite_pki: SuitePki, eku: tuple[x509.ObjectIdentifier, ...]
) -> None:
    """A client certificate that allows clientAuth, or has no EKU extension, identifies XA.

    The same certificate as in the refused case but for its extended key usage, so that
    refusal can only come from the usage (REQ-ACC-001): the call reaches the service and is
    served as XA (GetNodeInfo answers).
    """
    channel = target.secure_channel(_xa_client(suite_pki, eku))
    try:
        stub = node_service_pb2_grpc.NodeServiceStub(channel)
        try:
            stub.GetNodeInfo(node_service_pb2.GetNodeInfoRequest(), timeout=10)
        except grpc.RpcError as error:
            pytest.fail(
                f"REQ-ACC-001: a valid XA client certificate with EKU {eku or 'absent'} "
                f"was refused: {error.code().name}"
            )
    finally:
        channel.close()
