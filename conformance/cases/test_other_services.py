"""Profile ``transport-security``: health and reflection follow the protocol's rules (REQ-ACC-006).

Health (and server reflection, when served) run on the node's port beside the
protocol services. They admit exactly the callers the protocol RPCs admit, so a
client certificate REQ-ACC-001 refuses - issued by a trusted TLS CA but for
another country, naming two countries, naming none - fails the handshake or is
answered UNAUTHENTICATED there too; and request bytes that do not parse are
refused INVALID_ARGUMENT ``PAYLOAD_MALFORMED``, never UNKNOWN or INTERNAL
(REQ-ERR-003). Requests are sent as raw bytes with identity serializers, so
the suite controls every byte on the wire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID
from grpc_health.v1 import health_pb2

from conformance.client import Outcome, Refusal, Target, _refusal_from_error
from conformance.judge import assert_refused
from conformance.pki import Credential, SuitePki, Validity, issue_leaf, node_uri

pytestmark = [pytest.mark.profile("transport-security")]

XA = "XA"
XC = "XC"

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

#: Request bytes that no message parses: a wire type that does not exist, a length past
#: the end, a varint cut short.
MALFORMED = {
    "bad-wire-type": b"\x0f",
    "truncated-length": b"\x0a\x10abc",
    "truncated-varint": b"\x08\xff",
}


def _identity(data: bytes) -> bytes:
    return data


def raw_outcome(channel: grpc.Channel, method: str, payload: bytes) -> Outcome[Any]:
    """Call ``method`` with ``payload`` as its raw request bytes; the first response or refusal.

    Health/Check is unary, Health/Watch server-streaming and reflection bidirectional
    streaming; a stream's outcome is its first response (the call is then cancelled).
    """
    kwargs: dict[str, Callable[[bytes], bytes]] = {
        "request_serializer": _identity,
        "response_deserializer": _identity,
    }
    try:
        if method == HEALTH_CHECK:
            return Outcome(response=channel.unary_unary(method, **kwargs)(payload, timeout=10))
        stream: Any
        if method == HEALTH_WATCH:
            stream = channel.unary_stream(method, **kwargs)(payload, timeout=10)
        else:
            stream = channel.stream_stream(method, **kwargs)(iter([payload]), timeout=10)
        try:
            return Outcome(response=next(stream))
        finally:
            stream.cancel()
    except grpc.RpcError as error:
        return Outcome(refusal=_refusal_from_error(error))


def _served(refusal: Refusal | None, method: str) -> bool:
    """False when the node does not serve ``method`` (reflection is a SHOULD, REQ-ACC-005)."""
    return not (
        method == REFLECTION
        and refusal is not None
        and refusal.code == grpc.StatusCode.UNIMPLEMENTED
    )


@pytest.mark.obligation("refuse")
@pytest.mark.requirement("REQ-ACC-006", "REQ-ERR-003")
@pytest.mark.parametrize("payload", list(MALFORMED), ids=list(MALFORMED))
@pytest.mark.parametrize(
    "method",
    [HEALTH_CHECK, HEALTH_WATCH, REFLECTION],
    ids=["health-check", "health-watch", "reflection"],
)
def test_malformed_request_refused_on_health_and_reflection(
    target: Target, method: str, payload: str
) -> None:
    """Bytes that do not parse: INVALID_ARGUMENT ``PAYLOAD_MALFORMED``, never UNKNOWN/INTERNAL.

    The caller is a valid partner, so the refusal can only come from the bytes.
    """
    outcome = raw_outcome(target.channel(XA), method, MALFORMED[payload])
    if not _served(outcome.refusal, method):
        pytest.skip("the node does not serve server reflection (a SHOULD of REQ-ACC-005)")
    assert_refused(outcome, code="INVALID_ARGUMENT", reason="PAYLOAD_MALFORMED", rule="REQ-ACC-006")
    # The node still answers health: malformed input ended nobody's service (REQ-ERR-003).
    check = raw_outcome(
        target.channel(XA), HEALTH_CHECK, health_pb2.HealthCheckRequest().SerializeToString()
    )
    assert check.response is not None, (
        f"REQ-ERR-003: health after malformed input: {check.summary()}"
    )


def _refused_identity(suite_pki: SuitePki, name: str) -> Credential:
    """A TLS client certificate a trusted TLS CA issued but REQ-ACC-001 refuses."""
    now = dt.datetime.now(dt.UTC)
    issuer, uris, san = {
        "other-countrys-ca": (suite_pki.country(XC).tls_ca, (node_uri(XA),), True),
        "two-countries": (suite_pki.country(XA).tls_ca, (node_uri(XA), node_uri(XC)), True),
        "no-subject-alt-name": (suite_pki.country(XA).tls_ca, (), False),
    }[name]
    return issue_leaf(
        cn=f"refused node client ({name})",
        country=XA,
        issuer=issuer,
        validity=Validity(
            not_before=now - dt.timedelta(hours=1), not_after=now + dt.timedelta(days=1)
        ),
        uris=uris,
        eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
        san=san,
    )


@pytest.mark.obligation("refuse")
@pytest.mark.requirement("REQ-ACC-006")
@pytest.mark.parametrize("identity", ["other-countrys-ca", "two-countries", "no-subject-alt-name"])
@pytest.mark.parametrize(
    "method",
    [HEALTH_CHECK, HEALTH_WATCH, REFLECTION],
    ids=["health-check", "health-watch", "reflection"],
)
def test_refused_identity_refused_on_health_and_reflection(
    target: Target, suite_pki: SuitePki, method: str, identity: str
) -> None:
    """An identity REQ-ACC-001 refuses fails the handshake or gets UNAUTHENTICATED here too.

    The request is well formed (an empty HealthCheckRequest, a list_services reflection
    request), so the refusal can only come from the client certificate.
    """
    requests = {
        HEALTH_CHECK: health_pb2.HealthCheckRequest().SerializeToString(),
        HEALTH_WATCH: health_pb2.HealthCheckRequest().SerializeToString(),
        REFLECTION: b"\x3a\x00",  # ServerReflectionRequest{list_services: ""} (field 7)
    }
    channel = target.secure_channel(_refused_identity(suite_pki, identity))
    try:
        outcome = raw_outcome(channel, method, requests[method])
    finally:
        channel.close()
    if not _served(outcome.refusal, method):
        pytest.skip("the node does not serve server reflection (a SHOULD of REQ-ACC-005)")
    refusal = outcome.refusal
    assert refusal is not None, f"REQ-ACC-006: {identity} was served {method}"
    if refusal.code == grpc.StatusCode.UNAVAILABLE:
        return  # the handshake failed: the identity never reached the service
    assert_refused(outcome, code="UNAUTHENTICATED", reason="UNAUTHENTICATED", rule="REQ-ACC-006")
