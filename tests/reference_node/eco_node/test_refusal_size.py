"""A stock gRPC client reads every refusal of a real node on loopback (REQ-ERR-004).

Before the bound a CO with 1,000 invalid transit countries (a 5 KB request) drew a
90 KB ``grpc-status-details-bin``; a stock client refused the trailer (hard limit 16 KiB)
and saw RESOURCE_EXHAUSTED without ErrorInfo, which a sender retries for ever
(REQ-PUSH-006). Here the channels have gRPC's default options and the trailer is measured.
"""

from __future__ import annotations

import base64
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from wco.eco.v1 import certificate_pb2, exchange_service_pb2, exchange_service_pb2_grpc

from .helpers import RunningNode, authority, channel, make_co, make_pkis, signed, write_config

ex = exchange_service_pb2
#: Trailer metadata every stock client accepts (bytes, counted as HTTP/2 does).
STOCK_LIMIT = 8192
#: Field violations listed at most (REQ-ERR-004).
BOUND = 20
#: grpc-message is percent-encoded except for printable ASCII other than "%".
_MESSAGE_SAFE = " !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("refusal-size")
    make_pkis(root, ["XA", "XB"])
    node = RunningNode(write_config(root, "XB", {"XA": ""}))
    stock = channel(root, "XA", node.address)  # gRPC's default channel options
    yield {
        "stub": exchange_service_pb2_grpc.ExchangeServiceStub(stock),
        "signer": authority(root, "XA"),
    }
    stock.close()
    node.stop()


def _trailer_bytes(call: Any) -> int:
    """HPACK size of the trailers: name + value + 32 per field, -bin values base64."""
    size = len("grpc-status") + len(str(call.code().value[0])) + 32
    message = urllib.parse.quote((call.details() or "").encode(), safe=_MESSAGE_SAFE)
    size += len("grpc-message") + len(message) + 32
    for key, value in call.trailing_metadata() or ():
        wire = base64.b64encode(value).rstrip(b"=") if key.endswith("-bin") else value
        size += len(key) + len(wire) + 32
    return size


def _status_of(call: Any) -> status_pb2.Status:
    for key, value in call.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError(f"no status details: {call.code().name} {call.details()!r}")


def _read(status: status_pb2.Status) -> tuple[error_details_pb2.ErrorInfo, list[Any]]:
    info = error_details_pb2.ErrorInfo()
    listed: list[Any] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            listed.extend(bad.field_violations)
    return info, listed


def _transit(count: int, code: str = "QQ") -> certificate_pb2.CertificateOfOrigin:
    co = make_co("XA", "XB")
    co.transport.transit_countries.extend([code] * count)
    return co


def _unknown_hs(items: int) -> certificate_pb2.CertificateOfOrigin:
    co = make_co("XA", "XB")
    template = co.goods_items[0]
    del co.goods_items[:]
    for number in range(1, items + 1):
        item = co.goods_items.add()
        item.CopyFrom(template)
        item.item_number = number
        item.hs_code = "770000"  # chapter 77 is reserved (REQ-CO-007)
    return co


CASES: dict[str, tuple[Callable[[], certificate_pb2.CertificateOfOrigin], int]] = {
    "1000-invalid-transit-countries": (lambda: _transit(1000), 1000),
    "10000-invalid-transit-countries": (lambda: _transit(10_000), 10_000),
    "300-items-unknown-hs-code": (lambda: _unknown_hs(300), 300),
    "250000-one-letter-transit-countries": (lambda: _transit(250_000, "Q"), 250_000),
    "30-long-non-ascii-transit-countries": (lambda: _transit(30, "\U0001f600" * 1000), 30),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_stock_client_reads_a_large_refusal(env: dict[str, Any], name: str) -> None:
    """INVALID_ARGUMENT FIELD_INVALID with its ErrorInfo, 20 listed, all counted, <= 8 KiB."""
    build, total = CASES[name]
    request = ex.SubmitDocumentRequest(
        request_id=str(uuid.uuid4()), envelope=signed(env["signer"], build())
    )
    with pytest.raises(grpc.RpcError) as info:
        env["stub"].SubmitDocument(request, timeout=60)
    call: Any = info.value
    assert call.code() == grpc.StatusCode.INVALID_ARGUMENT, (call.code(), call.details())
    error_info, listed = _read(_status_of(call))
    assert (error_info.reason, error_info.domain) == ("FIELD_INVALID", "eco.wco.org")
    assert len(listed) == BOUND
    assert dict(error_info.metadata) == {
        "violations_total": str(total),
        "violations_omitted": str(total - BOUND),
    }
    size = _trailer_bytes(call)
    assert size <= STOCK_LIMIT, size


def test_stream_refusal_is_bounded(env: dict[str, Any]) -> None:
    """A refused document inside SubmitDocumentStream carries the same bounded status."""
    requests = [
        ex.SubmitDocumentStreamRequest(
            request_id=str(uuid.uuid4()), envelope=signed(env["signer"], _transit(10_000))
        ),
        ex.SubmitDocumentStreamRequest(
            request_id=str(uuid.uuid4()), envelope=signed(env["signer"], make_co("XA", "XB"))
        ),
    ]
    responses = list(env["stub"].SubmitDocumentStream(iter(requests), timeout=60))
    assert [r.WhichOneof("result") for r in responses] == ["error", "receipt"]
    error_info, listed = _read(responses[0].error)
    assert error_info.reason == "FIELD_INVALID"
    assert len(listed) == BOUND
    assert error_info.metadata["violations_total"] == "10000"
    assert responses[0].error.ByteSize() <= STOCK_LIMIT * 3 // 4


def test_request_sizes_are_within_the_node_limits() -> None:
    """The large cases stay under the 1 MiB payload limit, so field rules answer them."""
    assert _transit(250_000, "Q").ByteSize() < 1024 * 1024
    assert _transit(10_000).ByteSize() < 64 * 1024
