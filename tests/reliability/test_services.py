"""Every service the node serves: malformed bytes and refused identities (docs/spec.md section 2).

A real ``serve`` subprocess on loopback with mutual TLS. Raw request bytes are
sent with generic calls (identity serializers) to ``grpc.health.v1.Health``
(Check, Watch), server reflection and the ten protocol RPCs: bytes that do not
parse are refused INVALID_ARGUMENT ``PAYLOAD_MALFORMED`` everywhere, never
UNKNOWN or INTERNAL (REQ-ERR-003, REQ-ACC-006), and the node logs one line per
refusal of a guarded service, never a traceback. Client certificates the TLS
handshake admits (a trusted TLS CA issued them) but REQ-ACC-001 refuses - a
CA vouching for another country, two node URIs, no subject alternative name -
get UNAUTHENTICATED on Health and reflection exactly as on the protocol RPCs
(REQ-ACC-006).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from wco.eco.v1 import exchange_service_pb2

from .conftest import Figures
from .node import DOMAIN, NodeProcess, RpcOutcome, classify
from .pki import CountryPki, Credential, tls_client_naming

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"

#: Shape of each method: (request streaming, response streaming).
GUARDED: dict[str, tuple[bool, bool]] = {
    HEALTH_CHECK: (False, False),
    HEALTH_WATCH: (False, True),
    REFLECTION_V1ALPHA: (True, True),
}
SUBMIT_STREAM = "/wco.eco.v1.ExchangeService/SubmitDocumentStream"
PROTOCOL: dict[str, tuple[bool, bool]] = {
    "/wco.eco.v1.ExchangeService/SubmitDocument": (False, False),
    SUBMIT_STREAM: (True, True),
    "/wco.eco.v1.ExchangeService/GetDocument": (False, False),
    "/wco.eco.v1.ExchangeService/GetCertificateStatus": (False, False),
    "/wco.eco.v1.ExchangeService/GetVerificationStatus": (False, False),
    "/wco.eco.v1.ExchangeService/ListDocuments": (False, False),
    "/wco.eco.v1.ExchangeService/WatchDocuments": (False, True),
    "/wco.eco.v1.NodeService/GetNodeInfo": (False, False),
    "/wco.eco.v1.NodeService/GetCodeLists": (False, False),
    "/wco.eco.v1.TrustService/GetIssuerDirectory": (False, False),
}

#: Request bytes no request message of these services parses.
MALFORMED: dict[str, bytes] = {
    "bad-wire-type": b"\x0f",  # field 1 with wire type 7, which does not exist
    "truncated-length": b"\x0a\x10abc",  # field 1, length 16, 3 bytes follow
    "truncated-varint": b"\x08\xff",  # field 1 varint cut inside
    "open-group": b"\x0b",  # a group of field 1 that is never closed
}


def _identity(data: bytes) -> bytes:
    return data


def raw_call(
    ch: grpc.Channel, method: str, shape: tuple[bool, bool], payload: bytes, *, timeout: float = 5
) -> list[bytes]:
    """Call ``method`` with ``payload`` as the raw request bytes; return the raw responses."""
    streaming_in, streaming_out = shape
    kwargs: dict[str, Callable[[bytes], bytes]] = {
        "request_serializer": _identity,
        "response_deserializer": _identity,
    }
    if streaming_in and streaming_out:
        return list(ch.stream_stream(method, **kwargs)(iter([payload]), timeout=timeout))
    if streaming_out:
        return list(ch.unary_stream(method, **kwargs)(payload, timeout=timeout))
    return [ch.unary_unary(method, **kwargs)(payload, timeout=timeout)]


def refusal(ch: grpc.Channel, method: str, shape: tuple[bool, bool], payload: bytes) -> RpcOutcome:
    """The outcome of a call that must fail."""
    with pytest.raises(grpc.RpcError) as info:
        raw_call(ch, method, shape, payload)
    return classify(info.value)


def stream_refusal(ch: grpc.Channel, payload: bytes) -> RpcOutcome:
    """The per-request refusal ``SubmitDocumentStream`` answers for ``payload`` (REQ-PUSH-005)."""
    replies = raw_call(ch, SUBMIT_STREAM, PROTOCOL[SUBMIT_STREAM], payload)
    assert len(replies) == 1, replies
    error = exchange_service_pb2.SubmitDocumentStreamResponse.FromString(replies[0]).error
    reasons = []
    for detail in error.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reasons.append((info.reason, info.domain))
    reason, domain = reasons[0] if reasons else ("", "")
    return RpcOutcome(
        code=grpc.StatusCode.INVALID_ARGUMENT if error.code == 3 else grpc.StatusCode.UNKNOWN,
        reason=reason,
        domain=domain,
        message=error.message,
        infos=len(reasons),
    )


def _refused_lines(node: NodeProcess, method: str) -> list[str]:
    text = node.log_path.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if f"{method} refused" in line]


@pytest.fixture
def log_checked(xb_node: NodeProcess) -> Iterator[NodeProcess]:
    """The XB node; after the test its log must hold no traceback."""
    yield xb_node
    text = xb_node.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, text[-4000:]
    assert "Unexpected" not in text, text[-4000:]


def test_malformed_requests_refused_invalid_argument_on_every_service(
    log_checked: NodeProcess, figures: Figures
) -> None:
    """Malformed bytes: INVALID_ARGUMENT PAYLOAD_MALFORMED on all 13 methods (REQ-ACC-006).

    The three guarded methods log exactly one line per refusal; the node stays healthy.
    """
    node = log_checked
    with node.channel() as ch:
        for method, shape in {**GUARDED, **PROTOCOL}.items():
            for name, payload in MALFORMED.items():
                if method == SUBMIT_STREAM:  # refused per request, the call succeeds
                    outcome = stream_refusal(ch, payload)
                else:
                    outcome = refusal(ch, method, shape, payload)
                assert (outcome.code, outcome.reason, outcome.domain) == (
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "PAYLOAD_MALFORMED",
                    DOMAIN,
                ), (method, name, outcome)
                assert outcome.infos == 1, (method, name, outcome)
                assert 0 < len(outcome.message) <= 128, outcome
                figures.add("services", "malformed_refused")
        # The same channel still gets answers: nothing broke.
        reply = raw_call(
            ch,
            HEALTH_CHECK,
            GUARDED[HEALTH_CHECK],
            health_pb2.HealthCheckRequest().SerializeToString(),
        )
        status = health_pb2.HealthCheckResponse.FromString(reply[0]).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    for method in GUARDED:
        lines = _refused_lines(node, method)
        assert len(lines) == len(MALFORMED), (method, lines)
        assert all("PAYLOAD_MALFORMED" in line for line in lines), lines


def test_reflection_answers_a_partner_and_v1_is_not_served(
    log_checked: NodeProcess, figures: Figures
) -> None:
    """A partner lists the services by reflection (REQ-ACC-005); v1 is UNIMPLEMENTED."""
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    with log_checked.channel() as ch:
        replies = raw_call(
            ch, REFLECTION_V1ALPHA, GUARDED[REFLECTION_V1ALPHA], request.SerializeToString()
        )
        names = {
            s.name
            for s in reflection_pb2.ServerReflectionResponse.FromString(
                replies[0]
            ).list_services_response.service
        }
        assert {"wco.eco.v1.ExchangeService", "grpc.health.v1.Health"} <= names, names
        outcome = refusal(ch, REFLECTION_V1, (True, True), request.SerializeToString())
        assert outcome.code == grpc.StatusCode.UNIMPLEMENTED, outcome
    figures.add("services", "reflection_listed")


def _refused_identities(xa: CountryPki, xc: CountryPki) -> dict[str, Credential]:
    return {
        "other-country-ca": tls_client_naming(xc.tls_ca, ["urn:wco:eco:node:XA"]),
        "two-countries": tls_client_naming(
            xa.tls_ca, ["urn:wco:eco:node:XA", "urn:wco:eco:node:XC"]
        ),
        "no-san": tls_client_naming(xa.tls_ca, []),
    }


def test_refused_identities_get_unauthenticated_on_every_service(
    log_checked: NodeProcess, xa: CountryPki, xc: CountryPki, figures: Figures
) -> None:
    """Identities REQ-ACC-001 refuses get UNAUTHENTICATED on Health and reflection too.

    The same certificates are first shown to be refused by a protocol RPC, so the
    guarded services follow the protocol's rule, not a weaker one (REQ-ACC-006).
    """
    node = log_checked
    requests = {
        HEALTH_CHECK: health_pb2.HealthCheckRequest().SerializeToString(),
        HEALTH_WATCH: health_pb2.HealthCheckRequest().SerializeToString(),
        REFLECTION_V1ALPHA: reflection_pb2.ServerReflectionRequest(
            list_services=""
        ).SerializeToString(),
        # A well-formed empty request: the refusal must come from the identity alone.
        "/wco.eco.v1.NodeService/GetNodeInfo": b"",
    }
    shapes = {**GUARDED, **PROTOCOL}
    for name, credential in _refused_identities(xa, xc).items():
        with node.channel(client=credential) as ch:
            for method, payload in requests.items():
                outcome = refusal(ch, method, shapes[method], payload)
                assert (outcome.code, outcome.reason, outcome.domain) == (
                    grpc.StatusCode.UNAUTHENTICATED,
                    "UNAUTHENTICATED",
                    DOMAIN,
                ), (name, method, outcome)
                figures.add("services", "refused_identity_calls")
            # Identity is checked before parsing: malformed bytes change nothing.
            outcome = refusal(ch, HEALTH_CHECK, GUARDED[HEALTH_CHECK], MALFORMED["bad-wire-type"])
            assert outcome.code == grpc.StatusCode.UNAUTHENTICATED, (name, outcome)
    # A valid partner is still served.
    with node.channel() as ch:
        reply = raw_call(ch, HEALTH_CHECK, GUARDED[HEALTH_CHECK], requests[HEALTH_CHECK])
        assert health_pb2.HealthCheckResponse.FromString(reply[0]).status == (
            health_pb2.HealthCheckResponse.SERVING
        )
