"""Fuzzing every RPC of a running node (issue 7 item 3; docs/spec.md REQ-ERR-003, REQ-PUSH-002).

Hypothesis feeds arbitrary bytes and structurally mutated serialized requests
(bit flips, truncation, duplicated slices, huge varints, unknown fields, deep
group nesting, and re-signed envelopes with mutated payloads) as raw request
bytes into every method of ``ExchangeService``, ``NodeService`` and
``TrustService`` over mTLS, using identity serializers so the bytes reach the
node as they are. The node must never answer INTERNAL or UNKNOWN, must keep
serving (health check), and must not store a refused submission. The envelope
parser's signature verifier (``reference_node.core.signing``) is fuzzed in
process: it may only raise the protocol's own errors.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wco.eco.v1 import (
    envelope_pb2,
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    node_service_pb2,
    trust_service_pb2,
)

from .conftest import Figures, NodeFactory, long_mode
from .documents import CERTIFICATE, make_directory, sign, signed_certificate
from .node import NodeProcess, Partner, classify, health_ok
from .pki import CountryPki

#: Request id in the seeds; each example replaces its bytes with a fresh random id
#: (not drawn from Hypothesis, whose replays and shrinks would reuse it) so a
#: refused example can be looked up without colliding with an accepted one.
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
_EXAMPLES = 400 if long_mode() else 30
_FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fuzz_node(
    tmp_path_factory: pytest.TempPathFactory, xa: CountryPki, xb: CountryPki
) -> Iterator[NodeProcess]:
    """One XB node (trusting XA) shared by the fuzz cases of this module."""
    node = NodeProcess(
        workdir=Path(tmp_path_factory.mktemp("fuzz")) / "XB", pki=xb, partners=[Partner(pki=xa)]
    )
    node.write_config()
    node.start()
    yield node
    node.kill()


@pytest.fixture(scope="module")
def fuzz_channel(fuzz_node: NodeProcess, xa: CountryPki) -> Iterator[grpc.Channel]:
    """An mTLS channel to the fuzz node as XA."""
    with fuzz_node.channel(xa) as ch:
        yield ch


# --- structural mutations of serialized protobuf ---------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _tag(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` after one to three structural mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["flip", "truncate", "duplicate", "huge-varint", "huge-length", "unknown", "groups"]
            )
        )
        pos = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "duplicate" and data:
            end = draw(st.integers(pos, len(data)))
            data[end:end] = data[pos:end]
        elif kind == "huge-varint":
            field = draw(st.integers(1, 20))
            data[pos:pos] = _tag(field, 0) + b"\xff" * 9 + b"\x01"
        elif kind == "huge-length":
            field = draw(st.integers(1, 20))
            data[pos:pos] = _tag(field, 2) + b"\xff\xff\xff\xff\x0f" + b"x"
        elif kind == "unknown":
            field = draw(st.integers(16, 536870911))
            wire = draw(st.sampled_from([0, 1, 2, 5]))
            body = {
                0: _varint(draw(st.integers(0, 2**64 - 1))),
                1: bytes(8),
                2: _varint(3) + b"abc",
                5: bytes(4),
            }[wire]
            data += _tag(field, wire) + body
        elif kind == "groups":
            depth = draw(st.integers(50, 3000))
            field = draw(st.integers(1, 20))
            data += _tag(field, 3) * depth + _tag(field, 4) * depth
    return bytes(data)


# --- the methods and their valid seeds --------------------------------------


@dataclass(frozen=True)
class Method:
    """One RPC: full path, streaming shape and a valid request seed factory."""

    path: str
    shape: str  # "unary", "server-stream", "bidi"
    seed: Callable[[], bytes]


def _methods(xa: CountryPki) -> list[Method]:
    _, env = signed_certificate(xa, importer="XB")
    submit_seed = exchange_service_pb2.SubmitDocumentRequest(
        request_id=PLACEHOLDER_ID, envelope=env
    ).SerializeToString

    ref = exchange_service_pb2.GetDocumentRequest(request_id=PLACEHOLDER_ID)
    ex = "/wco.eco.v1.ExchangeService/"
    return [
        Method(ex + "SubmitDocument", "unary", submit_seed),
        Method(ex + "SubmitDocumentStream", "bidi", submit_seed),
        Method(ex + "GetDocument", "unary", ref.SerializeToString),
        Method(
            ex + "GetCertificateStatus",
            "unary",
            exchange_service_pb2.GetCertificateStatusRequest(
                certificate={"exporting_country": "XA", "issuing_authority_id": "xa-customs"}
            ).SerializeToString,
        ),
        Method(
            ex + "GetVerificationStatus",
            "unary",
            exchange_service_pb2.GetVerificationStatusRequest(
                verification_id=PLACEHOLDER_ID
            ).SerializeToString,
        ),
        Method(
            ex + "ListDocuments",
            "unary",
            exchange_service_pb2.ListDocumentsRequest(page_size=5).SerializeToString,
        ),
        Method(
            ex + "WatchDocuments",
            "server-stream",
            exchange_service_pb2.WatchDocumentsRequest().SerializeToString,
        ),
        Method(
            "/wco.eco.v1.NodeService/GetNodeInfo",
            "unary",
            node_service_pb2.GetNodeInfoRequest().SerializeToString,
        ),
        Method(
            "/wco.eco.v1.NodeService/GetCodeLists",
            "unary",
            node_service_pb2.GetCodeListsRequest().SerializeToString,
        ),
        Method(
            "/wco.eco.v1.TrustService/GetIssuerDirectory",
            "unary",
            trust_service_pb2.GetIssuerDirectoryRequest(newer_than_version=1).SerializeToString,
        ),
    ]


def _call(ch: grpc.Channel, method: Method, request: bytes) -> grpc.StatusCode:
    """Send raw request bytes; return the final status code."""
    try:
        if method.shape == "unary":
            ch.unary_unary(method.path, None, None)(request, timeout=15)
        elif method.shape == "server-stream":
            # Watching blocks for new documents; a short deadline ends a valid watch.
            for _ in ch.unary_stream(method.path, None, None)(request, timeout=0.25):
                pass
        else:
            for _ in ch.stream_stream(method.path, None, None)(iter([request]), timeout=15):
                pass
    except grpc.RpcError as exc:
        return classify(exc).code
    return grpc.StatusCode.OK


def _not_stored(ch: grpc.Channel, request: bytes) -> None:
    """A refused SubmitDocument request left nothing under its request id (REQ-PUSH-002)."""
    try:
        parsed = exchange_service_pb2.SubmitDocumentRequest.FromString(request)
        uuid.UUID(parsed.request_id)
    except Exception:
        return
    stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
    try:
        stub.GetDocument(
            exchange_service_pb2.GetDocumentRequest(request_id=parsed.request_id), timeout=10
        )
    except grpc.RpcError as exc:
        outcome = classify(exc)
    else:
        pytest.fail(f"refused submission {parsed.request_id} was stored")
    assert outcome.code == grpc.StatusCode.NOT_FOUND, outcome


_TRIED: dict[str, int] = {}


def _check(ch: grpc.Channel, method: Method, request: bytes, figures: Figures, label: str) -> None:
    code = _call(ch, method, request)
    _TRIED[method.path] = _TRIED.get(method.path, 0) + 1
    figures.record("fuzz", rpcs_fuzzed=len(_TRIED))
    figures.add("fuzz", f"{label}_inputs")
    assert code not in _FORBIDDEN, f"{method.path} answered {code.name} to {request[:64]!r}"
    if method.path.endswith("/SubmitDocument") and code != grpc.StatusCode.OK:
        figures.add("fuzz", "refused_submissions_checked_not_stored")
        _not_stored(ch, request)


@pytest.mark.parametrize("index", range(10))
def test_arbitrary_bytes_into_every_rpc(
    fuzz_node: NodeProcess,
    fuzz_channel: grpc.Channel,
    xa: CountryPki,
    figures: Figures,
    index: int,
) -> None:
    """Random bytes as the request of each RPC: never INTERNAL/UNKNOWN (REQ-ERR-003)."""
    method = _methods(xa)[index]

    @_SETTINGS
    @given(request=st.binary(max_size=2048))
    def run(request: bytes) -> None:
        _check(fuzz_channel, method, request, figures, "arbitrary_bytes")

    run()
    assert health_ok(fuzz_channel)
    assert fuzz_node.running


@pytest.mark.parametrize("index", range(10))
def test_mutated_requests_into_every_rpc(
    fuzz_node: NodeProcess,
    fuzz_channel: grpc.Channel,
    xa: CountryPki,
    figures: Figures,
    index: int,
) -> None:
    """Structurally mutated valid requests: never INTERNAL/UNKNOWN, refused ones not stored."""
    method = _methods(xa)[index]
    seed = method.seed()

    @_SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fresh = uuid.uuid4()  # not drawn: shrinking must never reuse an id
        request = data.draw(mutated(seed)).replace(PLACEHOLDER_ID.encode(), str(fresh).encode())
        _check(fuzz_channel, method, request, figures, "mutated_request")

    run()
    assert health_ok(fuzz_channel)
    assert fuzz_node.running


def test_resigned_mutated_payloads(
    fuzz_node: NodeProcess, fuzz_channel: grpc.Channel, xa: CountryPki, figures: Figures
) -> None:
    """Mutated CO payloads under a valid signature reach the payload parser and validator.

    Each must be answered with a specified code (never INTERNAL/UNKNOWN); a
    refused one is not stored (REQ-CO-001, REQ-PUSH-002).
    """
    method = _methods(xa)[0]

    co, _ = signed_certificate(xa, importer="XB")
    seed = co.SerializeToString()

    @_SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fresh = uuid.uuid4()  # not drawn: shrinking must never reuse an id
        payload = data.draw(mutated(seed))
        env = sign(CERTIFICATE, payload, xa.authority)
        request = exchange_service_pb2.SubmitDocumentRequest(
            request_id=str(fresh), envelope=env
        ).SerializeToString()
        _check(fuzz_channel, method, request, figures, "resigned_payload")

    run()
    assert health_ok(fuzz_channel)


def test_mutated_envelopes(
    fuzz_node: NodeProcess, fuzz_channel: grpc.Channel, xa: CountryPki, figures: Figures
) -> None:
    """Mutated envelope bytes inside an intact request: the node's envelope parser."""
    method = _methods(xa)[0]

    _, env = signed_certificate(xa, importer="XB")
    seed = env.SerializeToString()

    @_SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fresh = uuid.uuid4()  # not drawn: shrinking must never reuse an id
        raw = data.draw(mutated(seed))
        rid = str(fresh)
        request = b"\x0a" + bytes([len(rid)]) + rid.encode() + b"\x12" + _varint(len(raw)) + raw
        _check(fuzz_channel, method, request, figures, "mutated_envelope")

    run()
    assert health_ok(fuzz_channel)


def test_signature_verifier_raises_only_protocol_errors(xa: CountryPki, figures: Figures) -> None:
    """``verify_signature`` on mutated signatures raises only ``EcoError`` (REQ-SIG-004..006)."""
    from reference_node.core.errors import EcoError
    from reference_node.core.signing import verify_signature

    _, env = signed_certificate(xa, importer="XB")
    seed = env.signatures[0].SerializeToString()

    @settings(_SETTINGS, max_examples=_EXAMPLES * 10)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        raw = data.draw(st.one_of(mutated(seed), st.binary(max_size=512)))
        figures.add("fuzz", "signature_verifier_inputs")
        try:
            sig = envelope_pb2.Signature.FromString(raw)
        except Exception:
            return
        with contextlib.suppress(EcoError):
            verify_signature(sig, payload_type=env.payload_type, payload=env.payload)

    run()


def test_directory_import_rejects_mutated_files_cleanly(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, figures: Figures
) -> None:
    """``eco-node trust import`` on mutated directory envelopes: one clear error, no crash.

    The CLI parses the file as a signed envelope and verifies it (REQ-DIR-002);
    a mutated file must be refused with a non-zero exit and a one-line message,
    never a traceback, and must not replace the loaded directory.
    """
    node = node_factory(xb, partners=[Partner(pki=xa)])
    seed = make_directory(xa, version=1, signers=[xa.authority]).SerializeToString()
    path = node.workdir / "fuzzed-directory.bin"

    @settings(_SETTINGS, max_examples=40 if long_mode() else 6)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        raw = data.draw(st.one_of(mutated(seed), st.binary(max_size=256)))
        path.write_bytes(raw)
        result = node.cli("trust", "import", str(path))
        figures.add("fuzz", "directory_import_inputs")
        assert "Traceback" not in result.stderr, result.stderr
        if result.returncode != 0:
            assert result.stderr.strip(), "refusal without a message"
            assert not (node.workdir / "data" / "directories" / "XA.pb").exists() or (
                (node.workdir / "data" / "directories" / "XA.pb").read_bytes() != raw
            )

    run()
