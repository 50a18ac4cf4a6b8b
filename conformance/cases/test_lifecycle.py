"""Receiver role, profile ``lifecycle``: status changes and replacements (spec section 7).

The suite (XA) pushes certificates, then StatusChange documents (cancel,
revoke) and replacement certificates; illegal transitions and unknown
references must be refused with the spec's reason, and the node's state, read
through GetCertificateStatus and GetDocument, must follow a model. A
RuleBasedStateMachine drives random lifecycles and duplicates against that
model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from conformance import envelopes
from conformance.client import Outcome, Target
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.pki import Credential, SuitePki
from conformance.receiver import (
    context_for,
    minimal_certificate,
    status_request,
    submit_certificate,
)
from conformance.strategies import (
    EDGE_NANOS,
    CodeLists,
    edge_time,
    reference_of,
    status_change,
    unique_number,
)
from wco.eco.v1 import certificate_pb2, exchange_service_pb2, lifecycle_pb2

pytestmark = [pytest.mark.profile("lifecycle")]

XA = "XA"
XC = "XC"
CO = certificate_pb2.CertificateOfOrigin
ISSUED = lifecycle_pb2.ISSUER_STATE_ISSUED
CANCELLED = lifecycle_pb2.ISSUER_STATE_CANCELLED
REVOKED = lifecycle_pb2.ISSUER_STATE_REVOKED
REPLACED = lifecycle_pb2.ISSUER_STATE_REPLACED


@dataclass
class Lifecycle:
    """Helper bound to one test: issue, change, replace and read as XA."""

    target: Target
    pki: SuitePki
    code_lists: CodeLists
    issued: list[CO] = field(default_factory=list)

    @property
    def authority(self) -> Credential:
        """XA's issuing authority."""
        return self.pki.country(XA).authority

    def new_certificate(self) -> CO:
        """Return a fresh valid CO from XA."""
        return minimal_certificate(context_for(self.pki, self.target, XA, self.code_lists))

    def issue(self, co: CO | None = None) -> CO:
        """Push a CO and check it was accepted."""
        co = co or self.new_certificate()
        submission, outcome = submit_certificate(self.target, co, self.authority, caller=XA)
        assert_accepted(
            self.target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-LC-004"
        )
        self.issued.append(co)
        return co

    def change(
        self,
        ref: certificate_pb2.CertificateReference,
        new_state: lifecycle_pb2.IssuerState,
        *,
        signer: Credential | None = None,
        reason: str = "Issued in error",
        effective: bool = True,
    ) -> tuple[Submission, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
        """Push a StatusChange signed by ``signer`` (default XA's authority)."""
        change = status_change(ref, new_state, reason=reason, effective=dt.datetime.now(dt.UTC))
        if not effective:
            change.ClearField("effective_time")
        submission = signed_submission(
            change.SerializeToString(),
            signer or self.authority,
            caller=XA,
            payload_type=envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
        )
        return submission, self.target.submit(XA, submission.request)

    def status(self, co: CO) -> lifecycle_pb2.CertificateStatus:
        """Read the node's status of a CO."""
        outcome = self.target.get_status(XA, status_request(co))
        assert outcome.response is not None, f"status of {co.certificate_number}: {outcome}"
        return outcome.response.status

    def replacement_of(self, old: CO) -> CO:
        """Return a new CO (new number) whose ``replaces`` names ``old``."""
        new = self.new_certificate()
        new.replaces.CopyFrom(reference_of(old))
        return new


@pytest.fixture
def lc(target: Target, suite_pki: SuitePki, code_lists: CodeLists) -> Lifecycle:
    """A lifecycle helper."""
    return Lifecycle(target=target, pki=suite_pki, code_lists=code_lists)


def _accept(lc: Lifecycle, sub: Submission, outcome: Outcome[Any], rule: str) -> None:
    assert_accepted(
        lc.target,
        sub,
        outcome,
        now=dt.datetime.now(dt.UTC),
        rule=rule,
    )


@pytest.mark.requirement("REQ-LC-002", "REQ-LC-003", "REQ-PUSH-003")
@pytest.mark.parametrize("terminal", ["cancel", "revoke"])
def test_terminal_status_change(lc: Lifecycle, terminal: str) -> None:
    """CANCELLED / REVOKED from ISSUED are accepted; afterwards nothing changes the CO."""
    co = lc.issue()
    state = CANCELLED if terminal == "cancel" else REVOKED
    sub, outcome = lc.change(reference_of(co), state)
    _accept(lc, sub, outcome, "REQ-LC-002")
    status = lc.status(co)
    assert status.issuer_state == state, f"REQ-LC-002: issuer state {status.issuer_state}"
    for again in (CANCELLED, REVOKED):
        sub2, outcome2 = lc.change(reference_of(co), again, reason="second change")
        assert_refused(
            outcome2, code="FAILED_PRECONDITION", reason="ILLEGAL_TRANSITION", rule="REQ-LC-003"
        )
        assert_not_readable(lc.target, caller=XA, request_id=sub2.request_id)
    replacement = lc.replacement_of(co)
    sub3, outcome3 = submit_certificate(lc.target, replacement, lc.authority, caller=XA)
    assert_refused(
        outcome3, code="FAILED_PRECONDITION", reason="ILLEGAL_TRANSITION", rule="REQ-LC-004"
    )
    assert_not_readable(
        lc.target, caller=XA, request_id=sub3.request_id, certificate=reference_of(replacement)
    )
    assert lc.status(co).issuer_state == state, "REQ-LC-003: terminal state changed"


@pytest.mark.requirement("REQ-GET-002", "REQ-GET-001", "REQ-ACC-004")
def test_get_document_by_reference_is_the_certificate(lc: Lifecycle) -> None:
    """By certificate reference, GetDocument returns the CO, not a later document about it.

    REQ-GET-002: after a StatusChange about the CO is stored, the reference still names
    the CO's own envelope; a request with no selector is NOT_FOUND UNKNOWN_DOCUMENT.
    """
    co = lc.new_certificate()
    issued, outcome = submit_certificate(lc.target, co, lc.authority, caller=XA)
    _accept(lc, issued, outcome, "REQ-GET-002 issue")
    sub, outcome = lc.change(reference_of(co), CANCELLED)
    _accept(lc, sub, outcome, "REQ-GET-002 cancel")
    by_ref = lc.target.get_document(
        XA, exchange_service_pb2.GetDocumentRequest(certificate=reference_of(co))
    )
    assert by_ref.response is not None, f"REQ-GET-002: by reference: {by_ref.summary()}"
    held = by_ref.response.document
    assert held.request_id == issued.request_id, (
        f"REQ-GET-002: by reference, GetDocument returned request {held.request_id} "
        f"(the CO is {issued.request_id}, the status change {sub.request_id})"
    )
    assert held.envelope.SerializeToString() == issued.envelope.SerializeToString(), (
        "REQ-GET-002/REQ-GET-001: by reference, the envelope is not the CO's"
    )
    empty = lc.target.get_document(XA, exchange_service_pb2.GetDocumentRequest())
    assert_refused(
        empty, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule="REQ-GET-002 no selector"
    )


@pytest.mark.requirement("REQ-LC-002")
@pytest.mark.parametrize("new_state", ["ISSUED", "REPLACED", "UNSPECIFIED"])
def test_status_change_to_non_target_state(lc: Lifecycle, new_state: str) -> None:
    """new_state ISSUED, REPLACED or UNSPECIFIED is FIELD_INVALID."""
    co = lc.issue()
    sub, outcome = lc.change(
        reference_of(co),
        lifecycle_pb2.IssuerState.Value("ISSUER_STATE_" + new_state),  # type: ignore[arg-type]
    )
    assert_refused(
        outcome,
        code="INVALID_ARGUMENT",
        reason="FIELD_INVALID",
        rule="REQ-LC-002",
        fields=("new_state",),
    )
    assert_not_readable(lc.target, caller=XA, request_id=sub.request_id)
    assert lc.status(co).issuer_state == ISSUED


@pytest.mark.requirement("REQ-LC-002")
@pytest.mark.parametrize("missing", ["reason", "effective_time"])
def test_status_change_missing_field(lc: Lifecycle, missing: str) -> None:
    """A StatusChange without reason or effective_time is FIELD_MISSING."""
    co = lc.issue()
    sub, outcome = lc.change(
        reference_of(co),
        CANCELLED,
        reason="" if missing == "reason" else "Issued in error",
        effective=missing != "effective_time",
    )
    assert_refused(
        outcome,
        code="INVALID_ARGUMENT",
        reason="FIELD_MISSING",
        rule="REQ-LC-002",
        fields=(missing,),
    )
    assert_not_readable(lc.target, caller=XA, request_id=sub.request_id)
    assert lc.status(co).issuer_state == ISSUED


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-LC-002", "REQ-GET-001")
@pytest.mark.parametrize("edge", sorted(EDGE_NANOS))
def test_status_change_effective_time_edges(lc: Lifecycle, edge: str) -> None:
    """A StatusChange whose effective_time has nanos 0 or 999999999 is accepted (REQ-LC-002).

    Both are valid Timestamps; a node that reads nanos 0 as "absent" or bounds the fraction
    one off refuses them.
    """
    co = lc.issue()
    change = status_change(reference_of(co), CANCELLED, effective=dt.datetime.now(dt.UTC))
    change.effective_time.CopyFrom(edge_time(EDGE_NANOS[edge]))
    submission = signed_submission(
        change.SerializeToString(),
        lc.authority,
        caller=XA,
        payload_type=envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
    )
    _accept(lc, submission, lc.target.submit(XA, submission.request), f"REQ-LC-002 {edge}")
    assert lc.status(co).issuer_state == CANCELLED, (
        f"REQ-LC-002: the StatusChange with effective_time nanos {EDGE_NANOS[edge]} was "
        "receipted but the CO is not CANCELLED"
    )


@pytest.mark.requirement("REQ-LC-001")
def test_status_change_unknown_certificate(lc: Lifecycle) -> None:
    """A StatusChange about a CO the node does not hold is NOT_FOUND UNKNOWN_DOCUMENT."""
    ref = certificate_pb2.CertificateReference(
        exporting_country=XA,
        issuing_authority_id=lc.pki.country(XA).authority_id,
        certificate_number=unique_number("NEVER"),
    )
    sub, outcome = lc.change(ref, CANCELLED)
    assert_refused(outcome, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule="REQ-LC-001")
    assert_not_readable(lc.target, caller=XA, request_id=sub.request_id)


@pytest.mark.requirement("REQ-AUTH-002", "REQ-AUTH-001")
@pytest.mark.parametrize("signer", ["other-authority-signer", "node-signer", "xc-authority"])
def test_status_change_by_unauthorised_signer(lc: Lifecycle, signer: str) -> None:
    """Only the CO's issuing authority may sign its status changes."""
    co = lc.issue()
    credential = {
        "other-authority-signer": lc.pki.negative_signers["other-authority-signer"],
        "node-signer": lc.pki.country(XA).node_signer,
        "xc-authority": lc.pki.country(XC).authority,
    }[signer]
    sub, outcome = lc.change(reference_of(co), CANCELLED, signer=credential)
    assert_refused(
        outcome, code="PERMISSION_DENIED", reason="SIGNER_NOT_AUTHORISED", rule="REQ-AUTH-002"
    )
    assert_not_readable(lc.target, caller=XA, request_id=sub.request_id)
    assert lc.status(co).issuer_state == ISSUED


@pytest.mark.requirement("REQ-LC-004")
def test_replacement(lc: Lifecycle) -> None:
    """A replacement CO moves the replaced CO to REPLACED; both link to each other."""
    old = lc.issue()
    new = lc.issue(lc.replacement_of(old))
    old_status = lc.status(old)
    assert old_status.issuer_state == REPLACED, f"REQ-LC-004: old is {old_status.issuer_state}"
    assert old_status.replaced_by == reference_of(new), old_status.replaced_by
    new_status = lc.status(new)
    assert new_status.issuer_state == ISSUED
    assert new_status.replaces == reference_of(old), new_status.replaces
    # a second replacement of the same CO is illegal
    again = lc.replacement_of(old)
    sub, outcome = submit_certificate(lc.target, again, lc.authority, caller=XA)
    assert_refused(
        outcome, code="FAILED_PRECONDITION", reason="ILLEGAL_TRANSITION", rule="REQ-LC-004"
    )
    assert_not_readable(
        lc.target, caller=XA, request_id=sub.request_id, certificate=reference_of(again)
    )
    # REPLACED is terminal
    sub2, outcome2 = lc.change(reference_of(old), CANCELLED)
    assert_refused(
        outcome2, code="FAILED_PRECONDITION", reason="ILLEGAL_TRANSITION", rule="REQ-LC-003"
    )
    assert_not_readable(lc.target, caller=XA, request_id=sub2.request_id)
    assert lc.status(old).issuer_state == REPLACED, "REQ-LC-003: REPLACED changed"


@pytest.mark.requirement("REQ-LC-004")
def test_replacement_of_unknown_certificate(lc: Lifecycle) -> None:
    """A replacement naming a CO the node does not hold is NOT_FOUND UNKNOWN_DOCUMENT."""
    new = lc.new_certificate()
    new.replaces.CopyFrom(
        certificate_pb2.CertificateReference(
            exporting_country=XA,
            issuing_authority_id=lc.pki.country(XA).authority_id,
            certificate_number=unique_number("GHOST"),
        )
    )
    sub, outcome = submit_certificate(lc.target, new, lc.authority, caller=XA)
    assert_refused(outcome, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule="REQ-LC-004")
    assert_not_readable(
        lc.target, caller=XA, request_id=sub.request_id, certificate=reference_of(new)
    )


@pytest.mark.requirement("REQ-LC-004", "REQ-IDEM-004")
def test_replacement_reusing_the_old_number(lc: Lifecycle) -> None:
    """A "corrected" CO reusing the old number is DUPLICATE_CONFLICT, not a replacement."""
    old = lc.issue()
    corrected = CO()
    corrected.CopyFrom(old)
    corrected.remarks = "corrected"
    sub, outcome = submit_certificate(lc.target, corrected, lc.authority, caller=XA)
    assert_refused(outcome, code="ALREADY_EXISTS", reason="DUPLICATE_CONFLICT", rule="REQ-IDEM-004")
    assert_not_readable(lc.target, caller=XA, request_id=sub.request_id)
    assert lc.status(old).issuer_state == ISSUED


# ---------------------------------------------------------------------------
# stateful layer


class LifecycleMachine(RuleBasedStateMachine):
    """Random lifecycles and duplicates against a model of issuer states (section 7)."""

    lc: Lifecycle
    certificates = Bundle("certificates")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, int] = {}
        self.by_number: dict[str, CO] = {}
        self.submissions: dict[str, Submission] = {}

    @rule(target=certificates)
    def issue(self) -> str:
        co = self.lc.issue()
        self.model[co.certificate_number] = ISSUED
        self.by_number[co.certificate_number] = co
        return co.certificate_number

    @rule(number=certificates, state=st.sampled_from([CANCELLED, REVOKED]))
    def change(self, number: str, state: int) -> None:
        co = self.by_number[number]
        sub, outcome = self.lc.change(reference_of(co), state)  # type: ignore[arg-type]
        if self.model[number] == ISSUED:
            _accept(self.lc, sub, outcome, "REQ-LC-002")
            self.model[number] = state
        else:
            assert_refused(
                outcome,
                code="FAILED_PRECONDITION",
                reason="ILLEGAL_TRANSITION",
                rule="REQ-LC-003",
            )
            assert_not_readable(self.lc.target, caller=XA, request_id=sub.request_id)

    @rule(target=certificates, number=consumes(certificates))
    def replace(self, number: str) -> str:
        old = self.by_number[number]
        new = self.lc.replacement_of(old)
        sub, outcome = submit_certificate(self.lc.target, new, self.lc.authority, caller=XA)
        if self.model[number] == ISSUED:
            _accept(self.lc, sub, outcome, "REQ-LC-004")
            self.model[number] = REPLACED
            self.model[new.certificate_number] = ISSUED
            self.by_number[new.certificate_number] = new
            return new.certificate_number
        assert_refused(
            outcome, code="FAILED_PRECONDITION", reason="ILLEGAL_TRANSITION", rule="REQ-LC-004"
        )
        assert_not_readable(
            self.lc.target, caller=XA, request_id=sub.request_id, certificate=reference_of(new)
        )
        return number

    @rule(number=certificates)
    def duplicate_number(self, number: str) -> None:
        dup = CO()
        dup.CopyFrom(self.by_number[number])
        sub, outcome = submit_certificate(self.lc.target, dup, self.lc.authority, caller=XA)
        assert_refused(
            outcome, code="ALREADY_EXISTS", reason="DUPLICATE_CONFLICT", rule="REQ-IDEM-004"
        )
        assert_not_readable(self.lc.target, caller=XA, request_id=sub.request_id)

    @invariant()
    def node_matches_model(self) -> None:
        for number, state in self.model.items():
            status = self.lc.status(self.by_number[number])
            assert status.issuer_state == state, (
                f"section 7: {number} is {lifecycle_pb2.IssuerState.Name(status.issuer_state)}, "
                f"model says {lifecycle_pb2.IssuerState.Name(state)}"
            )


@pytest.mark.requirement("REQ-LC-002", "REQ-LC-003", "REQ-LC-004", "REQ-IDEM-004")
def test_lifecycle_state_machine(lc: Lifecycle, examples: int) -> None:
    """Random lifecycles: the node's issuer states always equal the model's."""

    class Machine(LifecycleMachine):
        """A fresh subclass per run, so the fixture bound to it below stays in this run."""

    Machine.lc = lc
    run_state_machine_as_test(
        Machine,
        settings=settings(max_examples=max(2, examples // 5), stateful_step_count=8),
    )
