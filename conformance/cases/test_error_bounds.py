"""Profile ``core``: refusal details stay readable by a stock gRPC client (REQ-ERR-004).

docs/spec.md section 9: a refusal lists at most 20 field violations, in the order the
node's checks found them, counts them all in ``ErrorInfo.metadata``
(``violations_total``, ``violations_omitted``), cuts every text to its UTF-8 byte limit
and so fits the 8 KiB of trailer metadata every stock client accepts. A node that lists
every violation of a CO with 1,000 invalid transit countries sends a 90 KB trailer; a
client with default options refuses it and sees RESOURCE_EXHAUSTED without ErrorInfo,
which a sender retries for ever (REQ-PUSH-006).

The cases submit over a channel with gRPC's default options (the suite's shared
channels raise the limits) and measure the trailers. Each broken entry breaks exactly
one rule: a transit country ``QQ`` is well formed but not an assigned code
(REQ-CO-005), an HS code ``770000`` names the reserved chapter 77 (REQ-CO-007). The bound
is tried at exactly 20 violations (all listed, none omitted), at 21 (20 listed, one
omitted) and far past it. Sent from XC, whose issuer directory the node does not hold,
so that REQ-AUTH-003 does not answer before the field rules (section 5.4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest

from conformance.bounded_refusals import (
    MAX_VIOLATIONS,
    OMITTED_KEY,
    STOCK_TRAILER_LIMIT,
    TOTAL_KEY,
    BoundedReading,
    error_info_metadata,
    stock_channel,
    submit_on,
    text_problems,
)
from conformance.client import Target, refusal_from_status
from conformance.judge import assert_not_readable, assert_refused, signed_submission
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate
from conformance.strategies import CodeLists
from wco.eco.v1 import certificate_pb2, exchange_service_pb2

pytestmark = [pytest.mark.profile("core")]

XC = "XC"
CO = certificate_pb2.CertificateOfOrigin
_TRANSIT = "transport.transit_countries"


def _transit(count: int, code: str = "QQ") -> Callable[[CO], str]:
    def mutate(co: CO) -> str:
        co.transport.transit_countries.extend([code] * count)
        return _TRANSIT

    return mutate


def _reserved_hs_codes(count: int) -> Callable[[CO], str]:
    def mutate(co: CO) -> str:
        template = CO.FromString(co.SerializeToString()).goods_items[0]
        del co.goods_items[:]
        for number in range(1, count + 1):
            item = co.goods_items.add()
            item.CopyFrom(template)
            item.item_number = number
            item.hs_code = "770000"
        return "goods_items"

    return mutate


#: Case name -> (mutation returning the broken fields' path, violations it makes).
BOUND_CASES: dict[str, tuple[Callable[[CO], str], int]] = {
    "transit-at-the-bound": (_transit(MAX_VIOLATIONS), MAX_VIOLATIONS),
    "transit-one-past-the-bound": (_transit(MAX_VIOLATIONS + 1), MAX_VIOLATIONS + 1),
    "transit-10000": (_transit(10_000), 10_000),
    "items-at-the-bound": (_reserved_hs_codes(MAX_VIOLATIONS), MAX_VIOLATIONS),
    "items-one-past-the-bound": (_reserved_hs_codes(MAX_VIOLATIONS + 1), MAX_VIOLATIONS + 1),
    "items-300": (_reserved_hs_codes(300), 300),
}

#: Case name -> one transit country value that the description may quote (25 of them).
LONG_TEXT_CASES: dict[str, str] = {
    "ascii-4096": "Q" * 4096,
    "two-byte-2000": "\u00e9" * 2000,
    "astral-1000": "\U0001f600" * 1000,
}


@pytest.fixture
def stock(target: Target) -> Iterator[grpc.Channel]:
    """A channel as XC with gRPC's default options."""
    channel = stock_channel(target, XC)
    yield channel
    channel.close()


def _judge_bounded(reading: BoundedReading, *, path: str, total: int, rule: str) -> None:
    """FIELD_INVALID read by a stock client; 20 at most listed; counts; texts; size."""
    refusal = assert_refused(
        reading.outcome, code="INVALID_ARGUMENT", reason="FIELD_INVALID", rule=rule, fields=(path,)
    )
    listed = [f for f, _ in refusal.field_violations]
    expected = min(total, MAX_VIOLATIONS)
    assert len(listed) == expected, (
        f"{rule}: BadRequest must list min(found, {MAX_VIOLATIONS}) = {expected} violations "
        f"of the {total} the CO holds, got {len(listed)}"
    )
    strays = [f for f in listed if not f.startswith(path + "[")]
    assert not strays, f"{rule}: violations of fields the case did not break: {strays[:5]}"
    assert len(set(listed)) == len(listed), f"{rule}: a violation is listed twice: {listed}"
    counts = {k: reading.metadata.get(k) for k in (TOTAL_KEY, OMITTED_KEY)}
    assert counts == {TOTAL_KEY: str(total), OMITTED_KEY: str(total - expected)}, (
        f"{rule}: ErrorInfo.metadata must count {total} found and {total - expected} omitted, "
        f"got {dict(reading.metadata)}"
    )
    problems = text_problems(reading.texts)
    assert not problems, f"{rule}: texts over their byte limits: {problems[:3]}"
    assert reading.trailer_bytes <= STOCK_TRAILER_LIMIT, (
        f"{rule}: trailer metadata of {reading.trailer_bytes} bytes, over the "
        f"{STOCK_TRAILER_LIMIT} a stock client accepts"
    )


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-ERR-004", "REQ-ERR-001", "REQ-PUSH-002")
@pytest.mark.parametrize("name", list(BOUND_CASES))
def test_violations_listed_up_to_the_bound(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, stock: grpc.Channel, name: str
) -> None:
    """20 violations all listed; 21 and more: 20 listed, the rest counted; trailer <= 8 KiB."""
    mutate, total = BOUND_CASES[name]
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    path = mutate(co)
    submission = signed_submission(
        co.SerializeToString(), suite_pki.country(XC).authority, caller=XC
    )
    reading = submit_on(target, stock, submission.request, caller=XC)
    _judge_bounded(reading, path=path, total=total, rule=f"REQ-ERR-004 {name}")
    assert_not_readable(target, caller=XC, request_id=submission.request_id)


@pytest.mark.requirement("REQ-ERR-004", "REQ-ERR-001")
@pytest.mark.parametrize("name", list(LONG_TEXT_CASES))
def test_long_values_are_refused_with_bounded_texts(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, stock: grpc.Channel, name: str
) -> None:
    """25 long invalid transit countries: descriptions cut to 128 bytes, whole characters."""
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    path = _transit(25, LONG_TEXT_CASES[name])(co)
    submission = signed_submission(
        co.SerializeToString(), suite_pki.country(XC).authority, caller=XC
    )
    reading = submit_on(target, stock, submission.request, caller=XC)
    _judge_bounded(reading, path=path, total=25, rule=f"REQ-ERR-004 {name}")
    assert_not_readable(target, caller=XC, request_id=submission.request_id)


@pytest.mark.requirement("REQ-ERR-004", "REQ-PUSH-005")
def test_stream_refusal_is_bounded(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A document with 10,000 violations inside SubmitDocumentStream: the same bounds."""
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    _transit(10_000)(co)
    submission = signed_submission(
        co.SerializeToString(), suite_pki.country(XC).authority, caller=XC
    )
    request = exchange_service_pb2.SubmitDocumentStreamRequest(
        request_id=submission.request_id, envelope=submission.envelope
    )
    responses, ended = target.submit_stream(XC, [request])
    assert ended is None, f"REQ-PUSH-005: the stream ended with {ended.summary()}"
    assert len(responses) == 1, f"REQ-PUSH-005: {len(responses)} responses to 1 request"
    assert responses[0].WhichOneof("result") == "error", "REQ-ERR-004: the CO was accepted"
    status = responses[0].error
    refusal = refusal_from_status(status)
    listed = len(refusal.field_violations)
    assert (refusal.reason, listed) == ("FIELD_INVALID", MAX_VIOLATIONS), (
        f"REQ-ERR-004: expected FIELD_INVALID with {MAX_VIOLATIONS} violations listed, "
        f"got {refusal.reason or '(no ErrorInfo)'} with {listed}"
    )
    metadata = error_info_metadata(status)
    assert metadata.get(TOTAL_KEY) == "10000", f"REQ-ERR-004: ErrorInfo.metadata {metadata}"
    assert_not_readable(target, caller=XC, request_id=submission.request_id)
