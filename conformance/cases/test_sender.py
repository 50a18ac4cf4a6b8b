"""Sender role: what the node under test pushes to its partner (profile ``sender``).

docs/conformance.md "Sender role". The suite drives the node through the adapter protocol and
plays partner XA with :class:`conformance.partner.PartnerNode`, which verifies every arriving
envelope (PAE signature by the node country's authority, chain under the node's trust
anchors, payload parsing, request id, sender and recipient) and answers with a receipt signed
by XA's node signer, or as scripted. Everything is judged from outside: the arrivals, the
node's outbox report, and the node's own GetDocument.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Final

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import offline
from conformance.adapter_client import AdapterClient
from conformance.client import Outcome, Target
from conformance.envelopes import sign_envelope
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.partner import (
    RECEIPT_FAULTS,
    Arrival,
    PartnerAction,
    PartnerNode,
    ReceiptFault,
    SenderHarness,
    simple_certificate,
)
from conformance.pki import SuitePki
from conformance.strategies import (
    CoContext,
    CodeLists,
    reference_of,
    unique_number,
    valid_certificates,
)
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
    lifecycle_pb2,
)

pytestmark = [pytest.mark.profile("sender")]

_DELIVERED = (
    envelope_pb2.DELIVERY_STATUS_DELIVERED,
    envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
)


def start_partner(suite_pki: SuitePki, target: Target) -> PartnerNode:
    """A partner XA for the node under test, trusting the node's TLS CA and anchors."""
    partner = PartnerNode.for_target(suite_pki, target, country="XA")
    partner.start()
    return partner


@pytest.fixture(scope="module")
def sender(
    adapter: AdapterClient | None, suite_pki: SuitePki, target: Target
) -> Iterator[SenderHarness]:
    """The node's sender role pointed at a fresh partner XA."""
    if adapter is None:
        pytest.skip("the sender role needs an adapter (--adapter or embedded mode)")
    partner = start_partner(suite_pki, target)
    harness = SenderHarness(adapter=adapter, partner=partner, recorder=target.recorder)
    harness.configure()
    yield harness
    partner.stop()


@pytest.fixture(scope="module")
def co_context(sender: SenderHarness, target: Target, code_lists: CodeLists) -> CoContext:
    """What a valid CO issued by the node to XA looks like."""
    described = sender.describe()
    return CoContext(
        exporting_country=target.node_country,
        importing_country="XA",
        authority_id=described.issuing_authority_id,
        today=dt.datetime.now(dt.UTC).date(),
        code_lists=code_lists,
        max_items=3,
    )


def _settle(sender: SenderHarness, request_id: str) -> envelope_pb2.Envelope:
    """Delivers until ``request_id`` is settled; returns the outbox receipt (DELIVERED)."""
    entries = sender.deliver_until_settled([request_id])
    entry = entries.get(request_id.lower())
    assert entry is not None, f"request {request_id} is not in the node's outbox"
    assert entry.status in _DELIVERED, (
        f"outbox status {envelope_pb2.DeliveryStatus.Name(entry.status)} "
        f"({entry.last_error_reason or 'no reason'}) after delivery to an accepting partner"
    )
    return entry.receipt


def _single_good_arrival(sender: SenderHarness, request_id: str) -> Arrival:
    arrivals = sender.partner.arrivals(request_id)
    assert arrivals, f"nothing arrived at the partner for request {request_id}"
    for arrival in arrivals:
        assert arrival.problems == (), f"arrival {arrival.index}: {arrival.problems}"
    assert sender.partner.stored_request_ids().count(request_id) == 1
    return arrivals[-1]


def _check_outbox_receipt(
    sender: SenderHarness, request_id: str, receipt: envelope_pb2.Envelope
) -> None:
    stored = sender.partner.receipt_for(request_id)
    assert stored is not None
    assert receipt == stored, "the outbox does not hold the receipt the partner signed"


def _read_back(target: Target, request_id: str, arrival: Arrival) -> None:
    outcome = target.get_document(
        "XA", exchange_service_pb2.GetDocumentRequest(request_id=request_id)
    )
    assert outcome.response is not None, f"GetDocument as XA: {outcome.summary()}"
    held = outcome.response.document.envelope.SerializeToString()
    assert held == arrival.envelope_bytes, "GetDocument differs from the envelope delivered"


@pytest.mark.requirement(
    "REQ-PUSH-004", "REQ-SIG-002", "REQ-SIG-003", "REQ-SIG-004", "REQ-PKI-002", "REQ-AUTH-002"
)
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_issued_certificate_arrives_signed_and_as_asked(
    sender: SenderHarness, co_context: CoContext, target: Target, data: st.DataObject
) -> None:
    """Every valid CO issued through the adapter arrives signed, verified and unchanged."""
    co = data.draw(valid_certificates(co_context), label="certificate")
    queued = sender.issue(co)
    assert queued.recipient_country == "XA"
    assert queued.certificate == reference_of(co)
    receipt = _settle(sender, queued.request_id)
    arrival = _single_good_arrival(sender, queued.request_id)
    assert arrival.payload_type == offline.CERTIFICATE_TYPE
    assert arrival.document == co, "the node signed other content than it was asked to"
    _check_outbox_receipt(sender, queued.request_id, receipt)
    _read_back(target, queued.request_id, arrival)


@pytest.mark.requirement("REQ-PUSH-006", "REQ-IDEM-001", "REQ-IDEM-002")
@pytest.mark.parametrize("failures", [1, 3])
def test_retries_after_unavailable_reuse_id_and_bytes(
    sender: SenderHarness, co_context: CoContext, failures: int
) -> None:
    """UNAVAILABLE is retried with the same request id and bytes; one document is stored."""
    co = _simple_certificate(co_context)
    sender.partner.plan_certificate(
        co.certificate_number, *[PartnerAction.unavailable()] * failures
    )
    queued = sender.issue(co)
    receipt = _settle(sender, queued.request_id)
    arrivals = sender.partner.arrivals(queued.request_id)
    assert len(arrivals) == failures + 1, f"{len(arrivals)} attempts for {failures} refusals"
    assert {a.envelope_bytes for a in arrivals} == {arrivals[0].envelope_bytes}
    assert {a.request_id for a in arrivals} == {queued.request_id}
    _single_good_arrival(sender, queued.request_id)
    _check_outbox_receipt(sender, queued.request_id, receipt)
    entry = sender.outbox()[queued.request_id.lower()]
    assert entry.attempts >= failures + 1


@pytest.mark.requirement("REQ-PUSH-006", "REQ-IDEM-002")
def test_retry_after_deadline_gets_the_original_receipt(
    sender: SenderHarness, co_context: CoContext
) -> None:
    """A partner that stalls past the deadline stored the document; the retry is idempotent."""
    sender.configure(deadline_ms=400)
    try:
        co = _simple_certificate(co_context)
        sender.partner.plan_certificate(co.certificate_number, PartnerAction.delay(1.5))
        queued = sender.issue(co)
        receipt = _settle(sender, queued.request_id)
    finally:
        sender.configure()
    # The stalled attempt is recorded when its handler wakes, possibly after the retry.
    rid = queued.request_id.lower()
    sender.partner.wait_for(
        lambda seen: sum(a.request_id.lower() == rid for a in seen) >= 2, timeout=10
    )
    arrivals = sender.partner.arrivals(queued.request_id)
    assert len(arrivals) >= 2, "the node did not retry after DEADLINE_EXCEEDED"
    assert "delay" in {a.action for a in arrivals}
    assert {a.envelope_bytes for a in arrivals} == {arrivals[0].envelope_bytes}
    assert any(a.duplicate for a in arrivals[1:])
    assert sender.partner.stored_request_ids().count(queued.request_id) == 1
    _check_outbox_receipt(sender, queued.request_id, receipt)


@pytest.mark.requirement("REQ-PUSH-006")
@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (grpc.StatusCode.PERMISSION_DENIED, "SIGNER_UNTRUSTED"),
        (grpc.StatusCode.INVALID_ARGUMENT, "FIELD_INVALID"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE"),
    ],
)
def test_permanent_refusal_stops_and_reports_failed(
    sender: SenderHarness, co_context: CoContext, code: grpc.StatusCode, reason: str
) -> None:
    """A refusal other than the retryable ones is not retried; the outbox says FAILED."""
    co = _simple_certificate(co_context)
    sender.partner.plan_certificate(co.certificate_number, PartnerAction.refuse(code, reason))
    queued = sender.issue(co)
    entries = sender.deliver_until_settled([queued.request_id])
    sender.deliver(timeout_ms=500)
    entry = sender.outbox()[queued.request_id.lower()]
    assert entries, "the request is not in the outbox"
    assert entry.status == envelope_pb2.DELIVERY_STATUS_FAILED, (
        f"outbox status {envelope_pb2.DeliveryStatus.Name(entry.status)} after {reason}"
    )
    assert entry.last_error_reason == reason
    arrivals = sender.partner.arrivals(queued.request_id)
    refusals = [a for a in arrivals if a.action == "refuse"]
    assert refusals, "the scripted refusal was never sent"
    after = [a for a in arrivals if a.started > refusals[0].finished]
    assert after == [], f"a permanent refusal was retried {len(after)} time(s)"


@pytest.mark.requirement("REQ-PUSH-004", "REQ-PUSH-003")
def test_badly_signed_receipt_is_not_delivery(sender: SenderHarness, co_context: CoContext) -> None:
    """A receipt that does not verify leaves the document pending; a good one delivers it."""
    co = _simple_certificate(co_context)
    sender.partner.plan_certificate(co.certificate_number, PartnerAction.bad_receipt())
    queued = sender.issue(co)
    receipt = _settle(sender, queued.request_id)
    arrivals = sender.partner.arrivals(queued.request_id)
    assert len(arrivals) >= 2, "the node took a badly signed receipt as delivery"
    assert arrivals[0].action == "bad_receipt"
    assert {a.envelope_bytes for a in arrivals} == {arrivals[0].envelope_bytes}
    _check_outbox_receipt(sender, queued.request_id, receipt)


@pytest.mark.obligation("receipt-fields")
@pytest.mark.requirement("REQ-PUSH-003", "REQ-PUSH-004")
@pytest.mark.parametrize("fault", RECEIPT_FAULTS)
def test_receipt_wrong_in_one_field_is_not_delivery(
    sender: SenderHarness, co_context: CoContext, fault: ReceiptFault
) -> None:
    """A validly signed receipt wrong in one field leaves the document pending.

    The partner stores the CO but answers its first arrival with XA's receipt altered in
    exactly one field (payload digest, request id, signer not XA's node signer but XA's
    issuing authority or the node signer of the third country XC, receiver or sender country,
    delivery status FAILED) and correctly signed. The node must not take that as delivery
    (REQ-PUSH-004: the signer is the node signer of the recipient country, request id and
    digest checked; REQ-PUSH-003: the receipt names both countries and a delivered status):
    it retries with the same request id and bytes, and the outbox ends DELIVERED with the
    correct receipt, stored once.
    """
    co = _simple_certificate(co_context)
    sender.partner.plan_certificate(co.certificate_number, PartnerAction.wrong_receipt(fault))
    queued = sender.issue(co)
    receipt = _settle(sender, queued.request_id)
    arrivals = sender.partner.arrivals(queued.request_id)
    assert arrivals, f"nothing arrived at the partner for request {queued.request_id}"
    assert arrivals[0].action == "wrong_receipt"
    assert len(arrivals) >= 2, (
        f"REQ-PUSH-004: the node took a receipt with a wrong {fault} as delivery (no retry)"
    )
    assert {a.envelope_bytes for a in arrivals} == {arrivals[0].envelope_bytes}, (
        "REQ-PUSH-006: the retry after a wrong receipt changed the envelope bytes"
    )
    _check_outbox_receipt(sender, queued.request_id, receipt)
    assert sender.partner.stored_request_ids().count(queued.request_id) == 1


#: Allowed per step when the adapter gives no bound (docs/conformance.md "Adapter protocol").
_DEFAULT_UNPROMPTED_BOUND_S: Final = 30.0
#: Added to the adapter's bound for scheduling on a loaded machine.
_UNPROMPTED_SLACK_S: Final = 2.0


@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-PUSH-006")
def test_node_delivers_and_retries_without_deliver_command(
    sender: SenderHarness, co_context: CoContext
) -> None:
    """The node delivers a queued CO, and retries it after UNAVAILABLE, on its own.

    No ``deliver`` command is sent. The partner answers the first attempt UNAVAILABLE; the
    retry (REQ-PUSH-006: same request id and bytes) must arrive, and the outbox must say
    DELIVERED, without the suite asking. The spec sets no time bound on retries, so each step
    (first attempt, retry) may take the ``unprompted_delivery_bound_ms`` the adapter's
    describe gives, plus 2 s of slack, or 30 s when it gives none. An adapter whose node
    delivers only on ``deliver`` (``delivers_unprompted`` false) gets the case not run.
    """
    described = sender.describe()
    if not described.delivers_unprompted:
        pytest.skip(
            "the adapter says its node does not deliver without the deliver command "
            "(DescribeResult.delivers_unprompted is false)"
        )
    step = (
        described.unprompted_delivery_bound_ms / 1000.0
        if described.unprompted_delivery_bound_ms
        else _DEFAULT_UNPROMPTED_BOUND_S
    )
    bound = 2 * (step + _UNPROMPTED_SLACK_S)
    co = _simple_certificate(co_context)
    sender.partner.plan_certificate(co.certificate_number, PartnerAction.unavailable())
    queued = sender.issue(co)
    rid = queued.request_id.lower()
    arrivals = sender.partner.wait_for(
        lambda seen: sum(a.request_id.lower() == rid for a in seen) >= 2, timeout=bound
    )
    mine = [a for a in arrivals if a.request_id.lower() == rid]
    assert mine, f"REQ-PUSH-006: nothing arrived within {bound:.1f} s without a deliver command"
    assert len(mine) >= 2, (
        f"REQ-PUSH-006: no retry after UNAVAILABLE within {bound:.1f} s without a deliver command"
    )
    assert mine[0].action == "unavailable"
    assert {a.envelope_bytes for a in mine} == {mine[0].envelope_bytes}
    assert sender.partner.receipt_for(queued.request_id) is not None
    deadline = time.monotonic() + step + _UNPROMPTED_SLACK_S
    entry = sender.outbox().get(rid)
    while (entry is None or entry.status not in _DELIVERED) and time.monotonic() < deadline:
        time.sleep(0.05)
        entry = sender.outbox().get(rid)
    assert entry is not None, f"request {queued.request_id} is not in the node's outbox"
    assert entry.status in _DELIVERED, (
        f"outbox status {envelope_pb2.DeliveryStatus.Name(entry.status)} after a delivery "
        "the partner receipted, without a deliver command"
    )


def _simple_certificate(co_context: CoContext) -> certificate_pb2.CertificateOfOrigin:
    """One small valid CO from the node to XA with a number unique to this run."""
    return simple_certificate(
        number=unique_number("S"),
        exporting_country=co_context.exporting_country,
        importing_country=co_context.importing_country,
        authority_id=co_context.authority_id,
        today=co_context.today,
    )


def _delivered_certificate(
    sender: SenderHarness, co_context: CoContext
) -> certificate_pb2.CertificateOfOrigin:
    co = _simple_certificate(co_context)
    queued = sender.issue(co)
    _settle(sender, queued.request_id)
    _single_good_arrival(sender, queued.request_id)
    return co


@pytest.mark.requirement("REQ-LC-002", "REQ-AUTH-002", "REQ-PUSH-004")
@pytest.mark.parametrize(
    "state", [lifecycle_pb2.ISSUER_STATE_CANCELLED, lifecycle_pb2.ISSUER_STATE_REVOKED]
)
def test_status_change_arrives_signed(
    sender: SenderHarness, co_context: CoContext, state: lifecycle_pb2.IssuerState
) -> None:
    """Cancel and revoke reach the partner as a StatusChange signed by the issuing authority."""
    co = _delivered_certificate(sender, co_context)
    reason = (
        "Issued in error" if state == lifecycle_pb2.ISSUER_STATE_CANCELLED else "Not originating"
    )
    queued = sender.change_status(reference_of(co), state, reason)
    assert queued.recipient_country == "XA"
    _settle(sender, queued.request_id)
    arrival = _single_good_arrival(sender, queued.request_id)
    assert arrival.payload_type == offline.STATUS_CHANGE_TYPE
    change = arrival.document
    assert isinstance(change, lifecycle_pb2.StatusChange)
    assert change.certificate == reference_of(co)
    assert change.new_state == state
    assert change.reason == reason
    assert change.HasField("effective_time")


@pytest.mark.requirement("REQ-LC-004", "REQ-CO-014", "REQ-PUSH-004")
def test_replacement_arrives_as_new_certificate(
    sender: SenderHarness, co_context: CoContext
) -> None:
    """A replacement is a new CO with a new number whose ``replaces`` names the old one."""
    old = _delivered_certificate(sender, co_context)
    new = _simple_certificate(co_context)
    new.goods_items[0].description = "Canned pineapple, corrected"
    expected = certificate_pb2.CertificateOfOrigin()
    expected.CopyFrom(new)
    expected.replaces.CopyFrom(reference_of(old))
    queued = sender.replace(reference_of(old), new)
    assert queued.certificate == reference_of(new)
    _settle(sender, queued.request_id)
    arrival = _single_good_arrival(sender, queued.request_id)
    assert arrival.payload_type == offline.CERTIFICATE_TYPE
    document = arrival.document
    assert isinstance(document, certificate_pb2.CertificateOfOrigin)
    assert document.certificate_number != old.certificate_number
    assert document.replaces == reference_of(old)
    assert document == expected


@pytest.mark.requirement("REQ-PUSH-006", "REQ-IDEM-002")
def test_unreachable_partner_keeps_the_document_pending(
    sender: SenderHarness, co_context: CoContext
) -> None:
    """With the partner unreachable the document stays PENDING, then is delivered once."""
    sender.configure(address="127.0.0.1:9", deadline_ms=300)
    try:
        queued = sender.issue(_simple_certificate(co_context))
        sender.deliver(timeout_ms=500)
        entry = sender.outbox()[queued.request_id.lower()]
        assert entry.status == envelope_pb2.DELIVERY_STATUS_PENDING
        assert sender.partner.arrivals(queued.request_id) == []
    finally:
        sender.configure()
    receipt = _settle(sender, queued.request_id)
    _single_good_arrival(sender, queued.request_id)
    _check_outbox_receipt(sender, queued.request_id, receipt)


def _outcome(
    reference: certificate_pb2.CertificateReference,
    importing_country: str,
    state: lifecycle_pb2.ImportState,
    *,
    used: str = "",
    declaration: str = "",
) -> lifecycle_pb2.ImportOutcome:
    outcome = lifecycle_pb2.ImportOutcome(
        certificate=reference, importing_country=importing_country, new_state=state
    )
    if used:
        outcome.usages.append(lifecycle_pb2.ItemUsage(item_number=1, quantity={"value": used}))
        outcome.import_declaration_number = declaration
    outcome.effective_time.FromDatetime(dt.datetime.now(dt.UTC))
    return outcome


def _submit_outcome(
    target: Target, suite_pki: SuitePki, outcome: lifecycle_pb2.ImportOutcome
) -> tuple[Submission, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
    submission = signed_submission(
        outcome.SerializeToString(),
        suite_pki.country("XA").authority,
        caller="XA",
        payload_type=offline.IMPORT_OUTCOME_TYPE,
    )
    return submission, target.submit(submission.caller, submission.request)


def _import_state(
    target: Target, reference: certificate_pb2.CertificateReference
) -> lifecycle_pb2.CertificateStatus:
    status = target.get_status(
        "XA", exchange_service_pb2.GetCertificateStatusRequest(certificate=reference)
    )
    assert status.response is not None, f"GetCertificateStatus as XA: {status.summary()}"
    return status.response.status


@pytest.mark.profile("lifecycle")
@pytest.mark.requirement("REQ-LC-010", "REQ-LC-005", "REQ-LC-006", "REQ-PUSH-002")
def test_exporting_node_applies_import_outcomes(
    sender: SenderHarness, co_context: CoContext, target: Target, suite_pki: SuitePki
) -> None:
    """XA's outcomes on a CO the node issued change the node's view by the same rules."""
    co = _delivered_certificate(sender, co_context)
    reference = reference_of(co)
    assert _import_state(target, reference).import_state == lifecycle_pb2.IMPORT_STATE_RECEIVED
    # (outcome, expected code and reason or None when it must be accepted, state afterwards)
    steps: list[
        tuple[lifecycle_pb2.ImportOutcome, tuple[str, str] | None, lifecycle_pb2.ImportState]
    ] = [
        (
            _outcome(reference, "XA", lifecycle_pb2.IMPORT_STATE_ACCEPTED),
            None,
            lifecycle_pb2.IMPORT_STATE_ACCEPTED,
        ),
        (
            _outcome(
                reference,
                "XA",
                lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED,
                used="40",
                declaration="D-1",
            ),
            None,
            lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED,
        ),
        (
            _outcome(
                reference, "XA", lifecycle_pb2.IMPORT_STATE_FULLY_USED, used="70", declaration="D-2"
            ),
            ("INVALID_ARGUMENT", "FIELD_INVALID"),
            lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED,
        ),
        (
            _outcome(
                reference, "XA", lifecycle_pb2.IMPORT_STATE_FULLY_USED, used="60", declaration="D-3"
            ),
            None,
            lifecycle_pb2.IMPORT_STATE_FULLY_USED,
        ),
        (
            _outcome(
                reference,
                "XA",
                lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED,
                used="1",
                declaration="D-4",
            ),
            ("FAILED_PRECONDITION", "ILLEGAL_TRANSITION"),
            lifecycle_pb2.IMPORT_STATE_FULLY_USED,
        ),
    ]
    for outcome, refusal, state in steps:
        submission, answer = _submit_outcome(target, suite_pki, outcome)
        rule = f"REQ-LC-005/REQ-LC-006 {lifecycle_pb2.ImportState.Name(outcome.new_state)}"
        if refusal is not None:
            code, reason = refusal
            assert_refused(answer, code=code, reason=reason, rule=rule)
            assert_not_readable(
                target, caller=submission.caller, request_id=submission.request_id, rule=rule
            )
        else:
            assert_accepted(target, submission, answer, now=dt.datetime.now(dt.UTC), rule=rule)
        assert _import_state(target, reference).import_state == state
    used = {
        u.item_number: u.quantity.value for u in _import_state(target, reference).used_quantities
    }
    assert set(used) == {1}
    assert float(used[1]) == 100.0


@pytest.mark.profile("lifecycle")
@pytest.mark.requirement("REQ-LC-005", "REQ-AUTH-001", "REQ-PUSH-004")
def test_node_sends_its_import_outcome(
    sender: SenderHarness, target: Target, suite_pki: SuitePki
) -> None:
    """As importer, the node's outcome on XA's CO reaches XA signed by the node's country."""
    co = _received_from_xa(target, suite_pki)
    queued = sender.record_import_outcome(
        _outcome(reference_of(co), "", lifecycle_pb2.IMPORT_STATE_ACCEPTED)
    )
    assert queued.recipient_country == "XA"
    _settle(sender, queued.request_id)
    arrival = _single_good_arrival(sender, queued.request_id)
    assert arrival.payload_type == offline.IMPORT_OUTCOME_TYPE
    document = arrival.document
    assert isinstance(document, lifecycle_pb2.ImportOutcome)
    assert document.certificate == reference_of(co)
    assert document.importing_country == target.node_country
    assert document.new_state == lifecycle_pb2.IMPORT_STATE_ACCEPTED
    assert _import_state(target, reference_of(co)).import_state == (
        lifecycle_pb2.IMPORT_STATE_ACCEPTED
    )


def _received_from_xa(target: Target, suite_pki: SuitePki) -> certificate_pb2.CertificateOfOrigin:
    """A CO from XA to the node, pushed and accepted, on which the node can record outcomes."""
    xa = suite_pki.country("XA")
    co = simple_certificate(
        number=unique_number("O"),
        exporting_country="XA",
        importing_country=target.node_country,
        authority_id=xa.authority_id,
        today=dt.datetime.now(dt.UTC).date(),
    )
    envelope = sign_envelope(offline.CERTIFICATE_TYPE, co.SerializeToString(), [xa.authority])
    pushed = target.submit(
        "XA",
        exchange_service_pb2.SubmitDocumentRequest(request_id=str(uuid.uuid4()), envelope=envelope),
    )
    assert pushed.ok, f"the node refused a valid CO from XA: {pushed.summary()}"
    return co


#: A fixed past effective time with nanoseconds, so a substitute clock value cannot match it.
_GIVEN_EFFECTIVE_TIME: Final = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.UTC)


@pytest.mark.profile("lifecycle")
@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-LC-005")
@pytest.mark.parametrize("given", [True, False], ids=["given", "not-given"])
def test_node_import_outcome_keeps_its_effective_time(
    sender: SenderHarness, target: Target, suite_pki: SuitePki, given: bool
) -> None:
    """The ImportOutcome the node issues carries the effective time it was given, unchanged.

    docs/spec.md section 7, REQ-LC-005: an ImportOutcome a node issues carries
    ``effective_time``, the time its customs gave (here a fixed past instant with
    nanoseconds, sent through ``RecordImportOutcome``), or, when none was given, the time
    the node recorded it (between just before and just after the adapter command).
    """
    co = _received_from_xa(target, suite_pki)
    outcome = lifecycle_pb2.ImportOutcome(
        certificate=reference_of(co), new_state=lifecycle_pb2.IMPORT_STATE_ACCEPTED
    )
    if given:
        outcome.effective_time.FromDatetime(_GIVEN_EFFECTIVE_TIME)
        outcome.effective_time.nanos += 789
    expected = outcome.effective_time.ToNanoseconds()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    queued = sender.record_import_outcome(outcome)
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    _settle(sender, queued.request_id)
    document = _single_good_arrival(sender, queued.request_id).document
    assert isinstance(document, lifecycle_pb2.ImportOutcome)
    assert document.HasField("effective_time"), (
        "REQ-LC-005: the node's ImportOutcome carries no effective_time"
    )
    if given:
        assert document.effective_time.ToNanoseconds() == expected, (
            f"REQ-LC-005: effective_time {document.effective_time.ToJsonString()} is not the "
            f"one given, {outcome.effective_time.ToJsonString()}"
        )
    else:
        recorded = document.effective_time.ToDatetime(dt.UTC)
        assert before <= recorded <= after, (
            f"REQ-LC-005: effective_time {recorded.isoformat()} is not the recording time "
            f"(between {before.isoformat()} and {after.isoformat()})"
        )
