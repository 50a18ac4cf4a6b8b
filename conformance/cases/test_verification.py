"""Origin verification in both directions (profile ``verification``, docs/spec.md section 8).

The suite plays XA: it pushes COs and verification documents to the node as a client, and
receives what the node sends with :class:`conformance.partner.PartnerNode`. The node's side is
driven through the adapter (RequestVerification, RespondVerification, IssueCertificate).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from conformance import offline
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
from conformance.pki import SuitePki
from conformance.strategies import date_msg, reference_of, unique_number
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    verification_pb2,
)

pytestmark = [pytest.mark.profile("verification")]

_DELIVERED = (
    envelope_pb2.DELIVERY_STATUS_DELIVERED,
    envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
)


@pytest.fixture(scope="module")
def harness(
    adapter: AdapterClient | None, suite_pki: SuitePki, target: Target
) -> Iterator[SenderHarness]:
    """The node's sending side pointed at a fresh partner XA."""
    if adapter is None:
        pytest.skip("verification cases drive the node through an adapter")
    partner = PartnerNode.for_target(suite_pki, target, country="XA")
    partner.start()
    harness = SenderHarness(adapter=adapter, partner=partner, recorder=target.recorder)
    harness.configure()
    yield harness
    partner.stop()


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _submit_as_xa(
    target: Target, suite_pki: SuitePki, payload_type: str, payload: bytes
) -> tuple[Submission, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
    submission = signed_submission(
        payload, suite_pki.country("XA").authority, caller="XA", payload_type=payload_type
    )
    return submission, target.submit(submission.caller, submission.request)


def _status(
    target: Target, verification_id: str
) -> Outcome[exchange_service_pb2.GetVerificationStatusResponse]:
    return target.call(
        target.exchange("XA").GetVerificationStatus,
        exchange_service_pb2.GetVerificationStatusRequest(verification_id=verification_id),
        caller="XA",
        rpc="ExchangeService/GetVerificationStatus",
    )


def _assert_refused(
    target: Target,
    submission: Submission,
    outcome: Outcome[exchange_service_pb2.SubmitDocumentResponse],
    *,
    code: str,
    reason: str,
    rule: str,
) -> None:
    """Code, reason and ErrorInfo format (REQ-ERR-001), then nothing readable (REQ-PUSH-002)."""
    assert_refused(outcome, code=code, reason=reason, rule=rule)
    assert_not_readable(
        target, caller=submission.caller, request_id=submission.request_id, rule=rule
    )


def _assert_accepted(
    target: Target,
    submission: Submission,
    outcome: Outcome[exchange_service_pb2.SubmitDocumentResponse],
    *,
    rule: str,
) -> None:
    """Signed receipt verified (REQ-PUSH-003/004), then bit-identical readback (REQ-GET-001)."""
    assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule=rule)


def _result(
    verification_id: str,
    reference: certificate_pb2.CertificateReference,
    outcome: verification_pb2.VerificationOutcome = verification_pb2.VERIFICATION_OUTCOME_CONFIRMED,
) -> verification_pb2.VerificationResult:
    return verification_pb2.VerificationResult(
        verification_id=verification_id,
        certificate=reference,
        outcome=outcome,
        findings="Producer records examined; origin confirmed.",
        response_date=date_msg(_today()),
    )


@pytest.fixture(scope="module")
def requested_case(
    harness: SenderHarness, target: Target, suite_pki: SuitePki
) -> tuple[str, certificate_pb2.CertificateReference]:
    """XA pushes a CO to the node; the node asks XA to verify it (delivered to the partner)."""
    xa = suite_pki.country("XA")
    co = simple_certificate(
        number=unique_number("V"),
        exporting_country="XA",
        importing_country=target.node_country,
        authority_id=xa.authority_id,
        today=_today(),
    )
    pushed_co, pushed = _submit_as_xa(
        target, suite_pki, offline.CERTIFICATE_TYPE, co.SerializeToString()
    )
    _assert_accepted(target, pushed_co, pushed, rule="REQ-PUSH-001 CO from XA")
    request = verification_pb2.VerificationRequest(
        certificate=reference_of(co),
        reasons=[verification_pb2.VERIFICATION_REASON_ORIGIN_DOUBT],
        questions=["Provide the cost statement of item 1."],
        response_deadline=date_msg(_today() + dt.timedelta(days=60)),
    )
    queued = harness.request_verification(request)
    assert queued.verification_id, "RequestVerification returned no verification id"
    entries = harness.deliver_until_settled([queued.request_id])
    entry = entries.get(queued.request_id.lower())
    assert entry is not None
    assert entry.status in _DELIVERED, envelope_pb2.DeliveryStatus.Name(entry.status)
    return queued.verification_id, reference_of(co)


@pytest.mark.requirement("REQ-VER-001", "REQ-VER-003", "REQ-AUTH-001", "REQ-PUSH-004")
def test_node_verification_request_arrives_signed(
    harness: SenderHarness,
    target: Target,
    requested_case: tuple[str, certificate_pb2.CertificateReference],
) -> None:
    """The node's VerificationRequest reaches XA signed and complete; status REQUESTED."""
    verification_id, reference = requested_case
    arrivals = [
        a
        for a in harness.partner.arrivals()
        if a.payload_type == offline.VERIFICATION_REQUEST_TYPE and a.reason == ""
    ]
    matching = [
        a
        for a in arrivals
        if isinstance(a.document, verification_pb2.VerificationRequest)
        and a.document.verification_id == verification_id
    ]
    assert matching, "no verification request with the queued verification id arrived"
    request = matching[-1].document
    assert isinstance(request, verification_pb2.VerificationRequest)
    assert matching[-1].problems == ()
    assert request.requesting_country == target.node_country
    assert request.certificate == reference
    assert list(request.reasons) == [verification_pb2.VERIFICATION_REASON_ORIGIN_DOUBT]
    assert request.HasField("response_deadline")
    uuid.UUID(request.verification_id)
    status = _status(target, verification_id)
    assert status.response is not None, status.summary()
    assert status.response.state == verification_pb2.VERIFICATION_STATE_REQUESTED
    assert status.response.certificate == reference


@pytest.mark.requirement("REQ-VER-002", "REQ-VER-003")
def test_result_answers_the_case_once(
    target: Target,
    suite_pki: SuitePki,
    requested_case: tuple[str, certificate_pb2.CertificateReference],
) -> None:
    """XA's result makes the case ANSWERED; a second result is ILLEGAL_TRANSITION."""
    verification_id, reference = requested_case
    first_sub, first = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_RESULT_TYPE,
        _result(verification_id, reference).SerializeToString(),
    )
    _assert_accepted(target, first_sub, first, rule="REQ-VER-002 first result")
    status = _status(target, verification_id)
    assert status.response is not None, status.summary()
    assert status.response.state == verification_pb2.VERIFICATION_STATE_ANSWERED
    assert status.response.outcome == verification_pb2.VERIFICATION_OUTCOME_CONFIRMED
    assert status.response.result_document_id.lower() == first_sub.request_id.lower()

    second_sub, second = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_RESULT_TYPE,
        _result(
            verification_id, reference, verification_pb2.VERIFICATION_OUTCOME_NOT_CONFIRMED
        ).SerializeToString(),
    )
    _assert_refused(
        target,
        second_sub,
        second,
        code="FAILED_PRECONDITION",
        reason="ILLEGAL_TRANSITION",
        rule="REQ-VER-002 second result",
    )
    again = _status(target, verification_id)
    assert again.response is not None
    assert again.response.outcome == verification_pb2.VERIFICATION_OUTCOME_CONFIRMED


@pytest.mark.requirement("REQ-VER-002", "REQ-PUSH-002")
def test_result_for_unknown_case_is_refused(
    target: Target,
    suite_pki: SuitePki,
    requested_case: tuple[str, certificate_pb2.CertificateReference],
) -> None:
    """A result for a verification the node never requested is UNKNOWN_DOCUMENT."""
    _, reference = requested_case
    unknown = str(uuid.uuid4())
    submission, outcome = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_RESULT_TYPE,
        _result(unknown, reference).SerializeToString(),
    )
    _assert_refused(
        target,
        submission,
        outcome,
        code="NOT_FOUND",
        reason="UNKNOWN_DOCUMENT",
        rule="REQ-VER-002 result for an unknown verification",
    )
    status = _status(target, unknown)
    assert status.refusal is not None
    assert status.refusal.reason == "UNKNOWN_DOCUMENT"


@pytest.fixture(scope="module")
def issued_to_xa(harness: SenderHarness, target: Target) -> certificate_pb2.CertificateOfOrigin:
    """A CO the node issued to XA and delivered to the partner."""
    described = harness.describe()
    co = simple_certificate(
        number=unique_number("W"),
        exporting_country=target.node_country,
        importing_country="XA",
        authority_id=described.issuing_authority_id,
        today=_today(),
    )
    queued = harness.issue(co)
    entries = harness.deliver_until_settled([queued.request_id])
    entry = entries.get(queued.request_id.lower())
    assert entry is not None
    assert entry.status in _DELIVERED, envelope_pb2.DeliveryStatus.Name(entry.status)
    return co


def _request_about(
    reference: certificate_pb2.CertificateReference, verification_id: str
) -> verification_pb2.VerificationRequest:
    return verification_pb2.VerificationRequest(
        verification_id=verification_id,
        certificate=reference,
        requesting_country="XA",
        reasons=[verification_pb2.VERIFICATION_REASON_RANDOM],
        questions=["Confirm the origin of all items."],
        response_deadline=date_msg(_today() + dt.timedelta(days=30)),
    )


@pytest.mark.requirement("REQ-VER-001", "REQ-VER-003", "REQ-PUSH-004", "REQ-AUTH-001")
def test_node_answers_a_verification_request(
    harness: SenderHarness,
    target: Target,
    suite_pki: SuitePki,
    issued_to_xa: certificate_pb2.CertificateOfOrigin,
) -> None:
    """XA asks the node about a CO it issued; the node's signed result reaches XA."""
    reference = reference_of(issued_to_xa)
    verification_id = str(uuid.uuid4())
    submission, outcome = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_REQUEST_TYPE,
        _request_about(reference, verification_id).SerializeToString(),
    )
    _assert_accepted(target, submission, outcome, rule="REQ-VER-001 verification request")
    status = _status(target, verification_id)
    assert status.response is not None, status.summary()
    assert status.response.state == verification_pb2.VERIFICATION_STATE_REQUESTED

    queued = harness.respond_verification(
        _result(verification_id, reference, verification_pb2.VERIFICATION_OUTCOME_CONFIRMED)
    )
    entries = harness.deliver_until_settled([queued.request_id])
    entry = entries.get(queued.request_id.lower())
    assert entry is not None
    assert entry.status in _DELIVERED, (
        f"{envelope_pb2.DeliveryStatus.Name(entry.status)} {entry.last_error_reason}"
    )
    arrivals = harness.partner.arrivals(queued.request_id)
    assert arrivals
    assert all(a.problems == () for a in arrivals), [a.problems for a in arrivals]
    result = arrivals[-1].document
    assert isinstance(result, verification_pb2.VerificationResult)
    assert result.verification_id == verification_id
    assert result.certificate == reference
    assert result.outcome == verification_pb2.VERIFICATION_OUTCOME_CONFIRMED
    answered = _status(target, verification_id)
    assert answered.response is not None
    assert answered.response.state == verification_pb2.VERIFICATION_STATE_ANSWERED
    assert answered.response.outcome == verification_pb2.VERIFICATION_OUTCOME_CONFIRMED


@pytest.mark.requirement("REQ-VER-001")
def test_verification_request_rules(
    target: Target,
    suite_pki: SuitePki,
    issued_to_xa: certificate_pb2.CertificateOfOrigin,
) -> None:
    """Unknown CO: UNKNOWN_DOCUMENT; reused verification id: DUPLICATE_CONFLICT."""
    reference = reference_of(issued_to_xa)
    unknown = certificate_pb2.CertificateReference()
    unknown.CopyFrom(reference)
    unknown.certificate_number = unique_number("NONE")
    submission, outcome = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_REQUEST_TYPE,
        _request_about(unknown, str(uuid.uuid4())).SerializeToString(),
    )
    _assert_refused(
        target,
        submission,
        outcome,
        code="NOT_FOUND",
        reason="UNKNOWN_DOCUMENT",
        rule="REQ-VER-001 request about an unknown CO",
    )

    verification_id = str(uuid.uuid4())
    first_sub, first = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_REQUEST_TYPE,
        _request_about(reference, verification_id).SerializeToString(),
    )
    _assert_accepted(target, first_sub, first, rule="REQ-VER-001 first request")
    reused_sub, reused = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_REQUEST_TYPE,
        _request_about(reference, verification_id).SerializeToString(),
    )
    _assert_refused(
        target,
        reused_sub,
        reused,
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        rule="REQ-VER-001 reused verification id",
    )


# ---------------------------------------------------------------------------
# one verification_id, two requesting countries (REQ-VER-001: unique per requester)


@pytest.mark.obligation("refuse")
@pytest.mark.requirement("REQ-VER-002", "REQ-VER-003", "REQ-PUSH-002")
def test_result_for_the_callers_own_request_is_unknown(
    target: Target,
    suite_pki: SuitePki,
    issued_to_xa: certificate_pb2.CertificateOfOrigin,
) -> None:
    """XA asks the node to verify case V, then sends a result for V: UNKNOWN_DOCUMENT.

    A VerificationResult answers a request the *receiving node* sent (REQ-VER-002). The
    node holds case V, but XA requested it, so XA's result for V (about a CO XA issued and
    pushed to the node, which XA's authority may answer for) answers nothing; XA's case
    stays REQUESTED (REQ-VER-003).
    """
    reference = reference_of(issued_to_xa)
    xa_ref = reference_of(_pushed_by_xa(target, suite_pki))
    verification_id = str(uuid.uuid4())
    request_sub, request = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_REQUEST_TYPE,
        _request_about(reference, verification_id).SerializeToString(),
    )
    _assert_accepted(target, request_sub, request, rule="REQ-VER-001 XA's request V")
    result_sub, result = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_RESULT_TYPE,
        _result(verification_id, xa_ref).SerializeToString(),
    )
    _assert_refused(
        target,
        result_sub,
        result,
        code="NOT_FOUND",
        reason="UNKNOWN_DOCUMENT",
        rule="REQ-VER-002 a result for the verification XA itself requested",
    )
    status = _status(target, verification_id)
    assert status.response is not None, f"REQ-VER-003: {status.summary()}"
    assert status.response.state == verification_pb2.VERIFICATION_STATE_REQUESTED, (
        "REQ-VER-003: XA's own case moved to "
        f"{verification_pb2.VerificationState.Name(status.response.state)} after a refused result"
    )
    assert status.response.certificate == reference


@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-VER-001", "REQ-VER-002", "REQ-VER-003")
def test_result_answers_the_nodes_case_when_the_caller_reused_its_id(
    harness: SenderHarness,
    target: Target,
    suite_pki: SuitePki,
    issued_to_xa: certificate_pb2.CertificateOfOrigin,
) -> None:
    """The node's case V and XA's own case V coexist; XA's result answers the node's.

    The node asks XA to verify an XA certificate (case V, requester the node). XA then asks
    the node about one of the node's certificates under the same verification_id V, which
    REQ-VER-001 allows (unique per requesting country). XA's result for V names the XA
    certificate and must be applied to the node's case, not be matched against XA's
    (REQ-VER-002). GetVerificationStatus(V) as XA names one of the two cases, both of which
    XA is party to; section 8 assumes that cannot happen, so the case only requires the
    answer to be one of them in its own state (REQ-VER-003).
    """
    xa_co, node_case = _node_requests_verification(harness, target, suite_pki)
    xa_ref = reference_of(xa_co)
    own_ref = reference_of(issued_to_xa)
    own_sub, own = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_REQUEST_TYPE,
        _request_about(own_ref, node_case).SerializeToString(),
    )
    _assert_accepted(
        target, own_sub, own, rule="REQ-VER-001 XA's request reusing the node's verification id"
    )
    result_sub, result = _submit_as_xa(
        target,
        suite_pki,
        offline.VERIFICATION_RESULT_TYPE,
        _result(node_case, xa_ref).SerializeToString(),
    )
    _assert_accepted(
        target,
        result_sub,
        result,
        rule="REQ-VER-002 XA's result for the node's case (XA has a case with the same id)",
    )
    status = _status(target, node_case)
    assert status.response is not None, f"REQ-VER-003: {status.summary()}"
    shown = (status.response.certificate, status.response.state, status.response.outcome)
    expected = {
        "the node's case": (
            xa_ref,
            verification_pb2.VERIFICATION_STATE_ANSWERED,
            verification_pb2.VERIFICATION_OUTCOME_CONFIRMED,
        ),
        "XA's case": (
            own_ref,
            verification_pb2.VERIFICATION_STATE_REQUESTED,
            verification_pb2.VERIFICATION_OUTCOME_UNSPECIFIED,
        ),
    }
    assert shown in expected.values(), (
        "REQ-VER-003: GetVerificationStatus reports neither case in its state: "
        f"{verification_pb2.VerificationState.Name(shown[1])} for "
        f"{shown[0].certificate_number}"
    )


def _node_requests_verification(
    harness: SenderHarness, target: Target, suite_pki: SuitePki
) -> tuple[certificate_pb2.CertificateOfOrigin, str]:
    """XA pushes a CO; the node asks XA to verify it. Returns the CO and the case's id."""
    co = _pushed_by_xa(target, suite_pki)
    queued = harness.request_verification(
        verification_pb2.VerificationRequest(
            certificate=reference_of(co),
            reasons=[verification_pb2.VERIFICATION_REASON_ORIGIN_DOUBT],
            response_deadline=date_msg(_today() + dt.timedelta(days=60)),
        )
    )
    assert queued.verification_id, "RequestVerification returned no verification id"
    entry = harness.deliver_until_settled([queued.request_id]).get(queued.request_id.lower())
    assert entry is not None
    assert entry.status in _DELIVERED, envelope_pb2.DeliveryStatus.Name(entry.status)
    return co, queued.verification_id


def _pushed_by_xa(target: Target, suite_pki: SuitePki) -> certificate_pb2.CertificateOfOrigin:
    """A CO issued by XA and pushed to the node (accepted)."""
    co = simple_certificate(
        number=unique_number("VS"),
        exporting_country="XA",
        importing_country=target.node_country,
        authority_id=suite_pki.country("XA").authority_id,
        today=_today(),
    )
    pushed_sub, pushed = _submit_as_xa(
        target, suite_pki, offline.CERTIFICATE_TYPE, co.SerializeToString()
    )
    _assert_accepted(target, pushed_sub, pushed, rule="REQ-PUSH-001 CO from XA")
    return co
