"""Bounded refusal details: the adapter layer's side of REQ-ERR-004 (docs/spec.md section 9).

The core collects every violation; ``to_rpc_status`` lists at most 20, counts them all in
``ErrorInfo.metadata`` and cuts every text to its byte limit, so the whole trailer fits the
8 KiB a stock gRPC client accepts.
"""

from __future__ import annotations

import asyncio
import base64
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google.rpc import error_details_pb2, status_pb2

from reference_node.core import errors
from reference_node.server import status as st

#: Trailer metadata a stock client accepts (bytes, HPACK-counted).
STOCK_LIMIT = 8192


def _details(status: status_pb2.Status) -> tuple[error_details_pb2.ErrorInfo, list[Any]]:
    info = error_details_pb2.ErrorInfo()
    bad: list[Any] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            request = error_details_pb2.BadRequest()
            detail.Unpack(request)
            bad.append(request)
    return info, bad


def trailer_bytes(status: status_pb2.Status) -> int:
    """Size of the trailers-only response carrying ``status``, counted as HTTP/2 does.

    Every header field is name + value + 32 bytes; ``grpc-status-details-bin`` is base64,
    ``grpc-message`` percent-encoded; ``:status`` and ``content-type`` are included.
    """
    details = base64.b64encode(status.SerializeToString()).rstrip(b"=")
    message = urllib.parse.quote(status.message.encode(), safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~")
    fields = [
        (":status", "200"),
        ("content-type", "application/grpc"),
        ("grpc-status", str(status.code)),
        ("grpc-message", message),
        ("grpc-status-details-bin", details.decode()),
    ]
    return sum(len(name) + len(value) + 32 for name, value in fields)


def _invalid(count: int, *, description: str = "not an ISO 3166-1 alpha-2 code") -> errors.EcoError:
    violations = [
        errors.FieldViolation(f"transport.transit_countries[{i}]", description, "COUNTRY_CODE")
        for i in range(count)
    ]
    return errors.FieldInvalid(f"{count} field(s) invalid", violations=violations)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("", 8, ""),
        ("abcdefgh", 8, "abcdefgh"),
        ("abcdefghi", 8, "abcde..."),
        ("\u00e9" * 4, 8, "\u00e9" * 4),  # 8 bytes: within
        ("\u00e9" * 5, 8, "\u00e9\u00e9..."),  # 5 bytes kept would split the third
        ("a\U0001f600bc", 8, "a\U0001f600bc"),
        ("abc\U0001f600de", 8, "abc..."),  # 9 bytes; the 4-byte character does not fit in 5
    ],
)
def test_bounded_text_cuts_at_a_character_boundary(text: str, limit: int, expected: str) -> None:
    """Within the limit: unchanged; over it: whole characters then ``...`` (REQ-ERR-004)."""
    result = st.bounded_text(text, limit)
    assert result == expected
    assert len(result.encode()) <= limit


def test_bounded_text_never_raises_on_a_lone_surrogate() -> None:
    """A lone surrogate becomes ``?`` and the result encodes (REQ-ERR-003)."""
    assert st.bounded_text("a\ud800b", 8) == "a?b"


@pytest.mark.parametrize(
    ("count", "listed"), [(1, 1), (19, 19), (20, 20), (21, 20), (300, 20), (10_000, 20)]
)
def test_field_violations_are_bounded_and_counted(count: int, listed: int) -> None:
    """At most 20 listed, the first ones in order; total and omitted as decimals (REQ-ERR-004)."""
    status = st.to_rpc_status(_invalid(count))
    info, bad = _details(status)
    assert info.reason == "FIELD_INVALID"
    assert len(bad) == 1
    fields = [v.field for v in bad[0].field_violations]
    assert fields == [f"transport.transit_countries[{i}]" for i in range(listed)]
    assert dict(info.metadata) == {
        "violations_total": str(count),
        "violations_omitted": str(count - listed),
    }
    assert trailer_bytes(status) <= STOCK_LIMIT


def test_field_missing_without_violations_still_counts() -> None:
    """A field error always carries a BadRequest and both counts, "0" for none."""
    info, bad = _details(st.to_rpc_status(errors.FieldMissing("missing")))
    assert len(bad) == 1
    assert dict(info.metadata) == {"violations_total": "0", "violations_omitted": "0"}


def test_refusal_without_bad_request_has_no_counts() -> None:
    """Neither key appears on a refusal that carries no BadRequest (REQ-ERR-004)."""
    info, bad = _details(st.to_rpc_status(errors.SignatureInvalid("no signature verifies")))
    assert bad == []
    assert dict(info.metadata) == {}


def test_worst_case_texts_fit_a_stock_client() -> None:
    """Long non-ASCII message, paths, descriptions and rule codes: every text cut, <= 8 KiB."""
    violations = [
        errors.FieldViolation("\U0001f600" * 500 + str(i), "\u00e9" * 5000, "\u00e9" * 300)
        for i in range(500)
    ]
    status = st.to_rpc_status(errors.FieldInvalid("\U0001f600" * 10_000, violations=violations))
    _, bad = _details(status)
    assert len(status.message.encode()) <= st.MAX_MESSAGE_BYTES
    for v in bad[0].field_violations:
        assert len(v.field.encode()) <= st.MAX_FIELD_BYTES
        assert len(v.description.encode()) <= st.MAX_DESCRIPTION_BYTES
        assert len(v.reason.encode()) <= st.MAX_VIOLATION_REASON_BYTES
        assert v.description.endswith("...")
    size = trailer_bytes(status)
    assert size <= STOCK_LIMIT, size


class _AbortingContext:
    """Stands in for a servicer context: records the status it is aborted with."""

    def __init__(self) -> None:
        self.status: Any = None

    async def abort_with_status(self, status: Any) -> None:
        self.status = status
        raise RuntimeError("aborted")


def test_watch_refusal_is_bounded_too() -> None:
    """A server-streaming handler's refusal goes through the same bound (REQ-ERR-004)."""

    class Servicer:
        @st.map_stream_errors
        async def watch(self, request: Any, context: Any) -> AsyncIterator[int]:
            raise _invalid(50)
            yield 0  # pragma: no cover - makes this an async generator

    context = _AbortingContext()

    async def drain() -> None:
        async for _ in Servicer().watch(None, context):
            pass  # pragma: no cover

    with pytest.raises(RuntimeError, match="aborted"):
        asyncio.run(drain())
    status = status_pb2.Status.FromString(
        dict(context.status.trailing_metadata)["grpc-status-details-bin"]
    )
    info, bad = _details(status)
    assert len(bad[0].field_violations) == st.MAX_FIELD_VIOLATIONS
    assert info.metadata["violations_total"] == "50"
