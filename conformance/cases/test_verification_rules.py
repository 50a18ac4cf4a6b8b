"""Profile ``verification``: the rules of origin verification cases (docs/spec.md section 8).

The field rules of verification requests and results (each mandatory field missing, each
invalid value, from XA and from XC) are cases of ``test_document_kinds.py``; this module
checks the rules that need a real case:

- a result must answer a case the node opened *for the same certificate*: the right
  verification id with another certificate is NOT_FOUND ``UNKNOWN_DOCUMENT`` and leaves
  the case REQUESTED (REQ-VER-002); a second result is ``ILLEGAL_TRANSITION`` whatever
  its content, and the first outcome stays (REQ-VER-002, REQ-VER-003);
- PARTIALLY_CONFIRMED must name items the certificate has (REQ-VER-002);
- a request about a certificate the node issued to XA, sent by XC, is answered as for a
  certificate that does not exist (REQ-VER-001, REQ-ACC-004);
- XC, no party to the case, gets on every read RPC (``GetVerificationStatus``,
  ``GetDocument`` by request id of the request and of the result, ``GetDocument`` by
  reference and ``GetCertificateStatus`` of the certificate) exactly the answer for
  something that does not exist: same code, reason and message (REQ-ACC-003/004).

The spec sets no bound on ``response_deadline`` other than being a valid date
(a past or far deadline is the requester's business), so no case refuses one.

The node opens the case through the adapter (``RequestVerificationCommand``) and delivers
it to the suite's partner XA; without an adapter the cases are skipped with that reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf.message import Message

from conformance import document_kinds as kinds
from conformance import envelopes
from conformance.adapter_client import AdapterClient
from conformance.client import Outcome, Target
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.partner import PartnerNode, SenderHarness, simple_certificate
from conformance.pki import Credential, SuitePki
from conformance.strategies import date_msg, reference_of, unique_number
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    verification_pb2,
)

pytestmark = [pytest.mark.profile("verification")]

XA = "XA"
XC = "XC"
V = verification_pb2
_DELIVERED = (
    envelope_pb2.DELIVERY_STATUS_DELIVERED,
    envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def harness(
    adapter: AdapterClient | None, suite_pki: SuitePki, target: Target
) -> Iterator[SenderHarness]:
    """The node's sending side pointed at a fresh partner XA (skips without an adapter)."""
    if adapter is None:
        pytest.skip("verification cases need the node to open a case through the adapter")
    partner = PartnerNode.for_target(suite_pki, target, country=XA)
    partner.start()
    try:
        harness = SenderHarness(adapter=adapter, partner=partner, recorder=target.recorder)
        harness.configure()
        yield harness
    finally:
        partner.stop()


def _push(
    target: Target, caller: str, signer: Credential, payload_type: str, message: Message
) -> tuple[Submission, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
    submission = signed_submission(
        message.SerializeToString(), signer, caller=caller, payload_type=payload_type
    )
    return submission, target.submit(caller, submission.request)


def _xa_certificate(
    target: Target, suite_pki: SuitePki, items: int = 1
) -> certificate_pb2.CertificateOfOrigin:
    """XA pushes a CO with ``items`` goods items to the node; return it."""
    co = simple_certificate(
        number=unique_number("VR"),
        exporting_country=XA,
        importing_country=target.node_country,
        authority_id=suite_pki.country(XA).authority_id,
        today=_now().date(),
    )
    for number in range(2, items + 1):
        extra = co.goods_items.add()
        extra.CopyFrom(co.goods_items[0])
        extra.item_number = number
    submission, outcome = _push(
        target, XA, suite_pki.country(XA).authority, envelopes.PAYLOAD_TYPE_CERTIFICATE, co
    )
    assert_accepted(target, submission, outcome, now=_now(), rule="REQ-PUSH-001 CO from XA")
    return co


@dataclass(frozen=True)
class Case:
    """A verification case the node opened with XA."""

    verification_id: str
    request_id: str
    certificate: certificate_pb2.CertificateOfOrigin


def _open_case(harness: SenderHarness, co: certificate_pb2.CertificateOfOrigin) -> Case:
    request = V.VerificationRequest(
        certificate=reference_of(co),
        reasons=[V.VERIFICATION_REASON_ORIGIN_DOUBT],
        questions=["Provide the cost statement of item 1."],
        response_deadline=date_msg(_now().date() + dt.timedelta(days=60)),
    )
    queued = harness.request_verification(request)
    entries = harness.deliver_until_settled([queued.request_id])
    entry = entries.get(queued.request_id.lower())
    assert entry is not None, "the node's verification request is not in its outbox"
    assert entry.status in _DELIVERED, (
        f"the node's verification request was not delivered to XA: {entry}"
    )
    return Case(queued.verification_id, queued.request_id, co)


def _verification_status(
    target: Target, caller: str, verification_id: str
) -> Outcome[exchange_service_pb2.GetVerificationStatusResponse]:
    return target.call(
        target.exchange(caller).GetVerificationStatus,
        exchange_service_pb2.GetVerificationStatusRequest(verification_id=verification_id),
        caller=caller,
        rpc="ExchangeService/GetVerificationStatus",
    )


def _state(target: Target, case: Case) -> tuple[int, int]:
    outcome = _verification_status(target, XA, case.verification_id)
    assert outcome.response is not None, f"REQ-VER-003: GetVerificationStatus: {outcome.summary()}"
    return outcome.response.state, outcome.response.outcome


def _result(case: Case, **changes: object) -> V.VerificationResult:
    result = kinds.verification_result(reference_of(case.certificate), case.verification_id)
    for name, value in changes.items():
        if name == "non_originating_items":
            result.non_originating_items.extend(value)  # type: ignore[arg-type]
        else:
            setattr(result, name, value)
    return result


def _refuse_result(
    target: Target,
    suite_pki: SuitePki,
    case: Case,
    result: V.VerificationResult,
    *,
    code: str,
    reason: str,
    rule: str,
    fields: tuple[str, ...] = (),
) -> None:
    before = _state(target, case)
    submission, outcome = _push(
        target,
        XA,
        suite_pki.country(XA).authority,
        envelopes.PAYLOAD_TYPE_VERIFICATION_RESULT,
        result,
    )
    assert_refused(outcome, code=code, reason=reason, rule=rule, fields=fields)
    assert_not_readable(target, caller=XA, request_id=submission.request_id, rule=rule)
    assert _state(target, case) == before, f"REQ-PUSH-002 ({rule}): the case changed"


def _answer(
    target: Target, suite_pki: SuitePki, case: Case, result: V.VerificationResult
) -> Submission:
    submission, outcome = _push(
        target,
        XA,
        suite_pki.country(XA).authority,
        envelopes.PAYLOAD_TYPE_VERIFICATION_RESULT,
        result,
    )
    assert_accepted(target, submission, outcome, now=_now(), rule="REQ-VER-002 first result")
    assert _state(target, case) == (V.VERIFICATION_STATE_ANSWERED, result.outcome), (
        f"REQ-VER-003: after the result the case shows {_state(target, case)}"
    )
    return submission


@pytest.mark.requirement("REQ-VER-002", "REQ-VER-003", "REQ-PUSH-002")
@pytest.mark.parametrize("other", ["held-certificate", "unknown-certificate"])
def test_result_for_another_certificate_is_refused(
    harness: SenderHarness, target: Target, suite_pki: SuitePki, other: str
) -> None:
    """The right verification id with another certificate: UNKNOWN_DOCUMENT, case unchanged."""
    case = _open_case(harness, _xa_certificate(target, suite_pki))
    if other == "held-certificate":
        wrong = reference_of(_xa_certificate(target, suite_pki))
    else:
        wrong = kinds.reference(XA, suite_pki.country(XA).authority_id)
    result = _result(case)
    result.certificate.CopyFrom(wrong)
    _refuse_result(
        target,
        suite_pki,
        case,
        result,
        code="NOT_FOUND",
        reason="UNKNOWN_DOCUMENT",
        rule=f"REQ-VER-002 result for the case about another certificate ({other})",
    )
    assert _state(target, case)[0] == V.VERIFICATION_STATE_REQUESTED
    _answer(target, suite_pki, case, _result(case))


@pytest.mark.requirement("REQ-VER-002", "REQ-VER-003", "REQ-PUSH-002")
@pytest.mark.parametrize("second", ["identical-content", "other-outcome", "partially-confirmed"])
def test_second_result_is_an_illegal_transition(
    harness: SenderHarness, target: Target, suite_pki: SuitePki, second: str
) -> None:
    """A second result for an answered case is ILLEGAL_TRANSITION; the first outcome stays."""
    case = _open_case(harness, _xa_certificate(target, suite_pki))
    first = _result(case, outcome=V.VERIFICATION_OUTCOME_NOT_CONFIRMED)
    _answer(target, suite_pki, case, first)
    if second == "identical-content":
        again = _result(case, outcome=V.VERIFICATION_OUTCOME_NOT_CONFIRMED)
    elif second == "other-outcome":
        again = _result(case, outcome=V.VERIFICATION_OUTCOME_CONFIRMED)
    else:
        again = _result(
            case, outcome=V.VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED, non_originating_items=[1]
        )
    _refuse_result(
        target,
        suite_pki,
        case,
        again,
        code="FAILED_PRECONDITION",
        reason="ILLEGAL_TRANSITION",
        rule=f"REQ-VER-002 second result ({second})",
    )


@pytest.mark.requirement("REQ-VER-002", "REQ-PUSH-002")
def test_partially_confirmed_names_existing_items(
    harness: SenderHarness, target: Target, suite_pki: SuitePki
) -> None:
    """PARTIALLY_CONFIRMED naming an item the CO lacks is FIELD_INVALID; existing ones pass."""
    case = _open_case(harness, _xa_certificate(target, suite_pki, items=2))
    partial = V.VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED
    _refuse_result(
        target,
        suite_pki,
        case,
        _result(case, outcome=partial, non_originating_items=[2, 3]),
        code="INVALID_ARGUMENT",
        reason="FIELD_INVALID",
        rule="REQ-VER-002 non_originating_items names item 3 of a 2-item CO",
        fields=("non_originating_items",),
    )
    _answer(target, suite_pki, case, _result(case, outcome=partial, non_originating_items=[2]))


@pytest.mark.requirement("REQ-VER-001", "REQ-ACC-004", "REQ-PUSH-002")
def test_request_from_a_third_country_is_answered_as_unknown(
    harness: SenderHarness, target: Target, suite_pki: SuitePki
) -> None:
    """XC asking about a CO the node issued to XA gets the answer for a CO that does not exist."""
    described = harness.describe()
    co = simple_certificate(
        number=unique_number("VX"),
        exporting_country=target.node_country,
        importing_country=XA,
        authority_id=described.issuing_authority_id,
        today=_now().date(),
    )
    queued = harness.issue(co)
    harness.deliver_until_settled([queued.request_id])
    ghost = kinds.reference(target.node_country, described.issuing_authority_id)
    answers = []
    for ref in (reference_of(co), ghost):
        submission, outcome = _push(
            target,
            XC,
            suite_pki.country(XC).authority,
            envelopes.PAYLOAD_TYPE_VERIFICATION_REQUEST,
            kinds.verification_request(ref, XC),
        )
        answers.append(
            assert_refused(
                outcome,
                code="NOT_FOUND",
                reason="UNKNOWN_DOCUMENT",
                rule="REQ-VER-001/REQ-ACC-004 XC asks about a CO the node issued to XA",
            )
        )
        assert_not_readable(target, caller=XC, request_id=submission.request_id)
    hidden, absent = (
        a.message.replace(n, "<n>")
        for a, n in zip(answers, (co.certificate_number, ghost.certificate_number), strict=True)
    )
    assert hidden == absent, (
        f"REQ-ACC-004: {hidden!r} differs from the nonexistent answer {absent!r}"
    )


def _same_as_absent(
    hidden: Outcome[Any], absent: Outcome[Any], ids: tuple[str, str], what: str
) -> None:
    rule = f"REQ-ACC-004 XC {what}"
    a = assert_refused(hidden, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule=rule)
    b = assert_refused(absent, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule=rule + " (absent)")
    text_a, text_b = a.message.replace(ids[0], "<id>"), b.message.replace(ids[1], "<id>")
    assert text_a == text_b, f"{rule}: {text_a!r} differs from the nonexistent answer {text_b!r}"


@pytest.mark.obligation("third-country")
@pytest.mark.requirement("REQ-VER-003", "REQ-ACC-003", "REQ-ACC-004")
@pytest.mark.parametrize("answered", [False, True], ids=["requested", "answered"])
def test_third_country_reads_nothing_of_a_case(
    harness: SenderHarness, target: Target, suite_pki: SuitePki, answered: bool
) -> None:
    """XC probing a case between the node and XA: every read answers as for nothing."""
    case = _open_case(harness, _xa_certificate(target, suite_pki))
    request_ids = [case.request_id]
    if answered:
        request_ids.append(_answer(target, suite_pki, case, _result(case)).request_id)
    missing = str(uuid.uuid4())
    _same_as_absent(
        _verification_status(target, XC, case.verification_id),
        _verification_status(target, XC, missing),
        (case.verification_id, missing),
        "GetVerificationStatus",
    )
    for request_id in request_ids:
        _same_as_absent(
            target.get_document(XC, exchange_service_pb2.GetDocumentRequest(request_id=request_id)),
            target.get_document(XC, exchange_service_pb2.GetDocumentRequest(request_id=missing)),
            (request_id, missing),
            "GetDocument by request id of a verification document",
        )
    ref = reference_of(case.certificate)
    ghost = kinds.reference(XA, ref.issuing_authority_id)
    _same_as_absent(
        target.get_document(XC, exchange_service_pb2.GetDocumentRequest(certificate=ref)),
        target.get_document(XC, exchange_service_pb2.GetDocumentRequest(certificate=ghost)),
        (ref.certificate_number, ghost.certificate_number),
        "GetDocument by reference",
    )
    _same_as_absent(
        target.get_status(XC, exchange_service_pb2.GetCertificateStatusRequest(certificate=ref)),
        target.get_status(XC, exchange_service_pb2.GetCertificateStatusRequest(certificate=ghost)),
        (ref.certificate_number, ghost.certificate_number),
        "GetCertificateStatus",
    )
    state = _state(target, case)[0]
    assert state == (V.VERIFICATION_STATE_ANSWERED if answered else V.VERIFICATION_STATE_REQUESTED)
