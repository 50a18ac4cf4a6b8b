"""Profile ``core``: every numeric limit and time rule at its edge (docs/spec.md 4, 5, 11).

Each limit is sent exactly at the limit (accepted) and one step past it (refused with the
spec's code and reason), so a node that is off by one, counts in the wrong unit or
allows slack is caught. The step is the rule's own granularity:

- sizes in bytes (REQ-LIM-001: message and payload), counts (signatures, chain
  certificates, goods items: REQ-SIG-005, REQ-PKI-001, REQ-CO-008), string lengths in
  characters, not bytes or UTF-16 units (REQ-CO-013), pattern lengths (REQ-CO-004),
  decimal digits (REQ-CO-009, REQ-CO-010), HS chapters (REQ-CO-007), calendar years
  and days (REQ-CO-006);
- certificate validity in seconds (REQ-PKI-003), the granularity of X.509 times. The
  signers are issued when the case runs (:func:`conformance.pki.issue_timed_signer`),
  with a notBefore or notAfter 5 seconds or one hour in the past or 15 seconds or
  one hour in the future. A boundary in the past is decisive whenever the case runs;
  one in the future is decisive only if the node answered before it was reached, so
  the case measures the call and reports a late answer as inconclusive (skipped)
  instead of judging it. Suite and node clocks are assumed synchronised (section 13).

Field cases are sent from XC, whose issuer directory the node does not hold, so that
REQ-AUTH-003 (step 7 of section 5.4) does not answer before the field rules (step 8).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest

from conformance import envelopes
from conformance.client import Outcome, Target
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_refused,
    new_request_id,
)
from conformance.pki import Credential, SuitePki, issue_timed_signer
from conformance.receiver import context_for, minimal_certificate, submit_certificate
from conformance.strategies import CodeLists, date_msg, unique_number
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2, node_service_pb2

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
XC = "XC"
CO = certificate_pb2.CertificateOfOrigin
Mutation = Callable[[CO], None]
#: Outcome of a case: None (accepted) or (code, reason, field paths one of which is named).
Expected = tuple[str, str, tuple[str, ...]] | None

_FIELD_INVALID = "INVALID_ARGUMENT", "FIELD_INVALID"
_TOO_LARGE = "RESOURCE_EXHAUSTED", "MESSAGE_TOO_LARGE"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _away_from_midnight() -> None:
    """Wait past UTC midnight when it is seconds away, so suite and node agree on "today"."""
    now = _now()
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if (midnight - now).total_seconds() < 20:
        time.sleep((midnight - now).total_seconds() + 1)


def _refused(
    target: Target,
    submission: Submission,
    outcome: Outcome[Any],
    expected: tuple[str, str],
    rule: str,
) -> None:
    assert_refused(outcome, code=expected[0], reason=expected[1], rule=rule)
    assert_not_readable(target, caller=submission.caller, request_id=submission.request_id)


# ---------------------------------------------------------------------------
# signer validity (REQ-PKI-003), at second granularity

_S = dt.timedelta(seconds=1)
_H = dt.timedelta(hours=1)
_D = dt.timedelta(days=1)
#: Future boundaries lie this far ahead: the answer must come before them to be decisive.
_AHEAD = 15 * _S
_BEHIND = 5 * _S

# name -> (leaf notBefore, leaf notAfter, intermediate (notBefore, notAfter) or None,
#          expected reason or None for accepted), as offsets from the case's "now"
TIME_CASES: dict[
    str,
    tuple[dt.timedelta, dt.timedelta, tuple[dt.timedelta, dt.timedelta] | None, str | None],
] = {
    "leaf-not-after-5s-ago": (-_D, -_BEHIND, None, "SIGNER_EXPIRED"),
    "leaf-not-after-1h-ago": (-_D, -_H, None, "SIGNER_EXPIRED"),
    "leaf-not-after-in-15s": (-_D, _AHEAD, None, None),
    "leaf-not-after-in-1h": (-_D, _H, None, None),
    "leaf-not-before-5s-ago": (-_BEHIND, _D, None, None),
    "leaf-not-before-1h-ago": (-_H, _D, None, None),
    "leaf-not-before-in-15s": (_AHEAD, _D, None, "SIGNER_NOT_YET_VALID"),
    "leaf-not-before-in-1h": (_H, _D, None, "SIGNER_NOT_YET_VALID"),
    "intermediate-not-after-5s-ago": (-_D, _D, (-2 * _D, -_BEHIND), "SIGNER_EXPIRED"),
    "intermediate-not-before-in-1h": (-_D, _D, (_H, 2 * _D), "SIGNER_NOT_YET_VALID"),
}


@pytest.mark.requirement("REQ-PKI-003", "REQ-PUSH-002")
@pytest.mark.parametrize("name", sorted(TIME_CASES))
def test_signer_validity_edge(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """A chain certificate's validity seconds or an hour from now: inclusive window, no slack."""
    before, after, intermediate, reason = TIME_CASES[name]
    now = _now()
    signer = issue_timed_signer(
        suite_pki,
        not_before=now + before,
        not_after=now + after,
        intermediate_not_before=None if intermediate is None else now + intermediate[0],
        intermediate_not_after=None if intermediate is None else now + intermediate[1],
    )
    future_edge = min((o for o in (before, after) if dt.timedelta(0) < o < _H), default=None)
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(target, co, signer, caller=XA)
    answered = _now()
    if future_edge is not None and answered >= now + future_edge - _S:
        pytest.skip(f"the node answered {answered - now} after the signer was made: inconclusive")
    rule = f"REQ-PKI-003 {name}"
    if reason is None:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
    else:
        _refused(target, submission, outcome, ("PERMISSION_DENIED", reason), rule)


# ---------------------------------------------------------------------------
# dates (REQ-CO-006), at day granularity


def _issue_in(days: int) -> Mutation:
    def mutate(co: CO) -> None:
        co.issue_date.CopyFrom(date_msg(_now().date() + dt.timedelta(days=days)))

    return mutate


def _invoice_after_issue(days: int) -> Mutation:
    def mutate(co: CO) -> None:
        issue = dt.date(co.issue_date.year, co.issue_date.month, co.issue_date.day)
        co.goods_items[0].invoice_number = "INV-1"
        co.goods_items[0].invoice_date.CopyFrom(date_msg(issue + dt.timedelta(days=days)))

    return mutate


def _invoice_on(day: dt.date) -> Mutation:
    def mutate(co: CO) -> None:
        co.goods_items[0].invoice_number = "INV-1"
        co.goods_items[0].invoice_date.CopyFrom(date_msg(day))

    return mutate


# ---------------------------------------------------------------------------
# field limits (section 4)


def _set_item(attribute: str, value: str) -> Mutation:
    def mutate(co: CO) -> None:
        item = co.goods_items[0]
        if attribute == "quantity":
            item.quantity.value.value = value
        else:
            setattr(item, attribute, value)

    return mutate


def _rvc(value: str) -> Mutation:
    def mutate(co: CO) -> None:
        criterion = co.goods_items[0].origin_criterion
        criterion.Clear()
        criterion.type = certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
        criterion.rvc_percentage.value = value
        co.goods_items[0].fob_value.currency_code = "USD"
        co.goods_items[0].fob_value.amount.value = "100.00"

    return mutate


def _fob(currency: str, amount: str) -> Mutation:
    def mutate(co: CO) -> None:
        co.goods_items[0].fob_value.currency_code = currency
        co.goods_items[0].fob_value.amount.value = amount

    return mutate


def _remarks(text: str) -> Mutation:
    def mutate(co: CO) -> None:
        co.remarks = text

    return mutate


def _number_of_length(length: int) -> Mutation:
    def mutate(co: CO) -> None:
        co.certificate_number = (unique_number("B") + "Z" * length)[:length]

    return mutate


def _original_authority(authority_id: str) -> Mutation:
    def mutate(co: CO) -> None:
        co.flags.back_to_back = True
        original = co.original_certificate
        original.exporting_country = co.exporting_country
        original.issuing_authority_id = authority_id
        original.certificate_number = unique_number("ORIG")

    return mutate


def _goods_items(count: int) -> Mutation:
    def mutate(co: CO) -> None:
        template = certificate_pb2.GoodsItem()
        template.CopyFrom(co.goods_items[0])
        del co.goods_items[:]
        for number in range(1, count + 1):
            item = co.goods_items.add()
            item.CopyFrom(template)
            item.item_number = number

    return mutate


_ITEM = "goods_items[0]"
# name -> (mutation, expected, requirement ids); every "-over"/"-under" case has an
# accepted neighbour one step away
FIELD_EDGES: dict[str, tuple[Mutation, Expected, tuple[str, ...]]] = {
    "issue-date-today-plus-1": (_issue_in(1), None, ("REQ-CO-006",)),
    "issue-date-today-plus-2": (_issue_in(2), (*_FIELD_INVALID, ("issue_date",)), ("REQ-CO-006",)),
    "invoice-date-issue-plus-1": (_invoice_after_issue(1), None, ("REQ-CO-006",)),
    "invoice-date-issue-plus-2": (
        _invoice_after_issue(2),
        (*_FIELD_INVALID, (f"{_ITEM}.invoice_date",)),
        ("REQ-CO-006",),
    ),
    "date-year-1900": (_invoice_on(dt.date(1900, 1, 1)), None, ("REQ-CO-006",)),
    "date-year-1899": (
        _invoice_on(dt.date(1899, 12, 31)),
        (*_FIELD_INVALID, (f"{_ITEM}.invoice_date",)),
        ("REQ-CO-006",),
    ),
    "certificate-number-35-chars": (_number_of_length(35), None, ("REQ-CO-004",)),
    "authority-id-64-chars": (_original_authority("a" * 64), None, ("REQ-CO-004", "REQ-CO-014")),
    "authority-id-65-chars": (
        _original_authority("a" * 65),
        (*_FIELD_INVALID, ("original_certificate",)),
        ("REQ-CO-004", "REQ-CO-014"),
    ),
    "string-4096-two-byte-chars": (_remarks("é" * 4096), None, ("REQ-CO-013",)),
    "string-4096-astral-chars": (_remarks("\U0001f6a2" * 4096), None, ("REQ-CO-013",)),
    "string-4097-two-byte-chars": (
        _remarks("é" * 4097),
        (*_FIELD_INVALID, ("remarks",)),
        ("REQ-CO-013",),
    ),
    "hs-code-10-digits": (_set_item("hs_code", "0306171000"), None, ("REQ-CO-007",)),
    "hs-code-12-digits": (
        _set_item("hs_code", "030617100000"),
        (*_FIELD_INVALID, (f"{_ITEM}.hs_code",)),
        ("REQ-CO-007",),
    ),
    "hs-chapter-01": (_set_item("hs_code", "010121"), None, ("REQ-CO-007",)),
    "hs-chapter-00": (
        _set_item("hs_code", "000121"),
        (*_FIELD_INVALID, (f"{_ITEM}.hs_code",)),
        ("REQ-CO-007",),
    ),
    "hs-chapter-97": (_set_item("hs_code", "970110"), None, ("REQ-CO-007",)),
    "hs-chapter-98": (
        _set_item("hs_code", "980110"),
        (*_FIELD_INVALID, (f"{_ITEM}.hs_code",)),
        ("REQ-CO-007",),
    ),
    "decimal-18-integer-9-fraction-digits": (
        _set_item("quantity", "123456789012345678.123456789"),
        None,
        ("REQ-CO-010",),
    ),
    "decimal-19-integer-digits": (
        _set_item("quantity", "1234567890123456789"),
        (*_FIELD_INVALID, (f"{_ITEM}.quantity",)),
        ("REQ-CO-010",),
    ),
    "decimal-10-fraction-digits": (
        _set_item("quantity", "1.1234567891"),
        (*_FIELD_INVALID, (f"{_ITEM}.quantity",)),
        ("REQ-CO-010",),
    ),
    "quantity-smallest-positive": (_set_item("quantity", "0.000000001"), None, ("REQ-CO-010",)),
    "rvc-100": (_rvc("100"), None, ("REQ-CO-009",)),
    "rvc-just-above-100": (
        _rvc("100.000000001"),
        (*_FIELD_INVALID, (f"{_ITEM}.origin_criterion.rvc_percentage",)),
        ("REQ-CO-009",),
    ),
    "rvc-smallest-positive": (_rvc("0.000000001"), None, ("REQ-CO-009",)),
    "fob-usd-2-decimals": (_fob("USD", "10.99"), None, ("REQ-CO-010",)),
    "fob-jpy-no-decimals": (_fob("JPY", "1000"), None, ("REQ-CO-010",)),
    "fob-jpy-1-decimal": (
        _fob("JPY", "1000.5"),
        (*_FIELD_INVALID, (f"{_ITEM}.fob_value",)),
        ("REQ-CO-010",),
    ),
    "fob-zero": (_fob("USD", "0"), None, ("REQ-CO-010",)),
}


@pytest.mark.requirement(
    "REQ-PUSH-002", *sorted({r for case in FIELD_EDGES.values() for r in case[2]})
)
@pytest.mark.parametrize("name", sorted(FIELD_EDGES))
def test_field_limit_edge(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """A field at the edge of its rule: accepted at the limit, FIELD_INVALID one step past."""
    mutate, expected, reqs = FIELD_EDGES[name]
    if name.startswith("fob-jpy") and "JPY" not in code_lists.currencies:
        pytest.skip("the node's CURRENCY list has no JPY")
    _away_from_midnight()
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    mutate(co)
    submission, outcome = submit_certificate(target, co, suite_pki.country(XC).authority, caller=XC)
    rule = f"{'/'.join(reqs)} {name}"
    if expected is None:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
        return
    code, reason, fields = expected
    assert_refused(outcome, code=code, reason=reason, rule=rule, fields=fields)
    assert_not_readable(target, caller=XC, request_id=submission.request_id)


@pytest.mark.requirement("REQ-CO-008", "REQ-LIM-001")
def test_goods_items_at_limit_accepted(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
) -> None:
    """Exactly max_goods_items items (999) is accepted (one more is test_too_many_goods_items)."""
    limit = node_info.limits.max_goods_items or 999
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    _goods_items(limit)(co)
    submission, outcome = submit_certificate(target, co, suite_pki.country(XC).authority, caller=XC)
    assert_accepted(target, submission, outcome, now=_now(), rule="REQ-CO-008 at the limit")


# ---------------------------------------------------------------------------
# sizes and counts (REQ-LIM-001, REQ-SIG-005, REQ-PKI-001)


def _padded_certificate(base: CO, size: int) -> CO:
    """Return a valid CO whose serialization is exactly ``size`` bytes.

    Goods items with 4000-character descriptions carry the bulk; ``remarks`` (at most
    4096 characters, REQ-CO-013) takes up the rest to the byte.
    """
    co = CO()
    co.CopyFrom(base)
    co.ClearField("remarks")
    template = certificate_pb2.GoodsItem()
    template.CopyFrom(base.goods_items[0])
    template.description = "d" * 4000
    while size - co.ByteSize() > 4099:
        item = co.goods_items.add()
        item.CopyFrom(template)
        item.item_number = len(co.goods_items)
    for trim in range(8):
        co.goods_items[-1].description = "d" * (4000 - trim)
        co.ClearField("remarks")
        rest = size - co.ByteSize()  # bytes the remarks field must take: tag, length, text
        for length in range(max(0, rest - 6), min(rest, 4096) + 1):
            co.remarks = "r" * length
            if co.ByteSize() == size:
                return co
    raise AssertionError(f"cannot build a certificate of exactly {size} bytes")  # pragma: no cover


@pytest.mark.requirement("REQ-LIM-001", "REQ-PUSH-002")
@pytest.mark.parametrize("extra", [0, 1], ids=["at-limit", "one-byte-over"])
def test_payload_size_edge(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
    extra: int,
) -> None:
    """A valid CO of exactly max_payload_bytes is accepted; one byte more is MESSAGE_TOO_LARGE."""
    limit = node_info.limits.max_payload_bytes or 1024 * 1024
    base = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    co = _padded_certificate(base, limit + extra)
    submission, outcome = submit_certificate(target, co, suite_pki.country(XC).authority, caller=XC)
    rule = f"REQ-LIM-001 payload of {limit + extra} bytes (limit {limit})"
    if extra == 0:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
    else:
        _refused(target, submission, outcome, _TOO_LARGE, rule)


def _padding_signature(signer: Credential, length: int) -> envelope_pb2.Signature:
    """A second signature whose signature bytes are ``length`` bytes of junk (invalid)."""
    return envelope_pb2.Signature(
        algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
        key_id=signer.key_id,
        signature=b"\x00" * length,
        certificate_chain=signer.chain_der(),
    )


@pytest.mark.requirement("REQ-LIM-001", "REQ-SIG-005", "REQ-PUSH-002")
@pytest.mark.parametrize("extra", [0, 1], ids=["at-limit", "one-byte-over"])
def test_message_size_edge(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
    extra: int,
) -> None:
    """A request of exactly max_message_bytes is accepted; one byte more is RESOURCE_EXHAUSTED.

    The bulk is an invalid second signature: the first one is valid, so the envelope is
    accepted (REQ-SIG-005) when the size is within the limit.
    """
    limit = node_info.limits.max_message_bytes or 4 * 1024 * 1024
    signer = suite_pki.country(XA).authority
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    request = exchange_service_pb2.SubmitDocumentRequest(
        request_id=new_request_id(),
        envelope=envelopes.sign_envelope(
            envelopes.PAYLOAD_TYPE_CERTIFICATE, co.SerializeToString(), [signer]
        ),
    )
    size = limit + extra
    request.envelope.signatures.append(_padding_signature(signer, 0))
    length = size - request.ByteSize()
    for _ in range(8):  # the length prefixes grow with the padding: converge to the byte
        request.envelope.signatures[1].signature = b"\x00" * length
        if request.ByteSize() == size:
            break
        length += size - request.ByteSize()
    assert request.ByteSize() == size
    submission = Submission(request=request, caller=XA)
    outcome = target.submit(XA, request)
    rule = f"REQ-LIM-001 message of {limit + extra} bytes (limit {limit})"
    if extra == 0:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
        return
    assert outcome.refusal is not None, f"{rule}: accepted"
    assert outcome.refusal.code.name == "RESOURCE_EXHAUSTED", (
        f"{rule}: expected RESOURCE_EXHAUSTED, got {outcome.refusal.summary()}"
    )
    if outcome.refusal.has_details:  # the transport's own size check carries none
        assert outcome.refusal.reason == "MESSAGE_TOO_LARGE", outcome.refusal.summary()
    assert_not_readable(target, caller=XA, request_id=request.request_id)


@pytest.mark.requirement("REQ-SIG-005")
def test_four_signatures_accepted(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """An envelope with exactly 4 valid signatures is accepted (five: test_envelope_refused)."""
    xa = suite_pki.country(XA)
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    envelope = envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE, co.SerializeToString(), [xa.authority] * 4
    )
    submission = Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=new_request_id(), envelope=envelope
        ),
        caller=XA,
    )
    outcome = target.submit(XA, submission.request)
    assert_accepted(target, submission, outcome, now=_now(), rule="REQ-SIG-005 four signatures")


@pytest.mark.requirement("REQ-PKI-001", "REQ-PUSH-002")
@pytest.mark.parametrize("length", [4, 5], ids=["four-certificates", "five-certificates"])
def test_chain_length_edge(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, length: int
) -> None:
    """A chain of 4 certificates is accepted, of 5 SIGNER_UNTRUSTED.

    The chain repeats XA's intermediate after the leaf: every certificate parses and is
    valid, and path validation uses the intermediates as a pool, so only the count differs.
    """
    xa = suite_pki.country(XA)
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    envelope = envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE, co.SerializeToString(), [xa.authority]
    )
    chain = list(envelope.signatures[0].certificate_chain)
    envelope = envelopes.replace_chain(envelope, [chain[0]] + [chain[1]] * (length - 1))
    submission = Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=new_request_id(), envelope=envelope
        ),
        caller=XA,
    )
    outcome = target.submit(XA, submission.request)
    rule = f"REQ-PKI-001 chain of {length}"
    if length <= 4:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
    else:
        _refused(target, submission, outcome, ("PERMISSION_DENIED", "SIGNER_UNTRUSTED"), rule)
