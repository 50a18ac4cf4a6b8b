"""Profile ``lifecycle``: every transition from every reachable state (docs/spec.md section 7).

The two state diagrams of section 7, as tables (``ISSUER_EVENTS`` and ``IMPORT_ALLOWED``
below cite the diagrams and REQ-LC-002..006), are applied to a certificate of origin the
node holds as importing administration: XA issues it to the node; the node's own customs
decide on it and use it through the adapter (``RecordImportOutcomeCommand``, which applies
the rules of section 7 to the node's view before it sends the outcome to XA); XA cancels,
revokes and replaces it with signed documents pushed to the node.

For every state in ``STATES`` (issuer state x import state, reached by the path given),
every event of ``EVENTS`` is tried: the allowed ones must succeed, the others must be
FAILED_PRECONDITION ``ILLEGAL_TRANSITION`` (a pushed document is then not readable,
REQ-PUSH-002). After each event, allowed or refused, ``GetCertificateStatus`` must show
exactly the state the tables give (issuer state, import state, used quantities, the
replacement link) and ``GetDocument`` by reference must still return the certificate as
it was issued (REQ-GET-001). Refused events are tried one after the other on one
certificate (a refusal changes nothing, so the state is the same for the next one); each
allowed event gets its own certificate in the state.

Needs the adapter (the suite has no other way to make the node record its own import
decisions); skipped with that reason without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final

import pytest

from conformance import envelopes
from conformance.adapter_client import AdapterClient
from conformance.client import Refusal, Target, refusal_from_status
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_error_format,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate, status_request
from conformance.strategies import CodeLists, reference_of, status_change, unique_number
from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import certificate_pb2, exchange_service_pb2, lifecycle_pb2

pytestmark = [pytest.mark.profile("lifecycle")]

XA = "XA"
L = lifecycle_pb2
CO = certificate_pb2.CertificateOfOrigin
#: The quantity of item 1 of the suite's minimal certificate.
ITEM_QUANTITY: Final = Decimal("1200.5")

ISSUED = L.ISSUER_STATE_ISSUED
CANCELLED = L.ISSUER_STATE_CANCELLED
REVOKED = L.ISSUER_STATE_REVOKED
REPLACED = L.ISSUER_STATE_REPLACED
RECEIVED = L.IMPORT_STATE_RECEIVED
ACCEPTED = L.IMPORT_STATE_ACCEPTED
WARNINGS = L.IMPORT_STATE_ACCEPTED_WITH_WARNINGS
REJECTED = L.IMPORT_STATE_REJECTED
PARTIALLY = L.IMPORT_STATE_PARTIALLY_USED
FULLY = L.IMPORT_STATE_FULLY_USED
DENIED = L.IMPORT_STATE_PREFERENCE_DENIED
USED: Final = frozenset({PARTIALLY, FULLY})

#: The import-state diagram of section 7 (REQ-LC-005): state -> states it may become.
#: REJECTED, FULLY_USED and PREFERENCE_DENIED have no way out.
IMPORT_ALLOWED: Final[Mapping[int, frozenset[int]]] = {
    RECEIVED: frozenset({ACCEPTED, WARNINGS, REJECTED}),
    ACCEPTED: frozenset({PARTIALLY, FULLY, DENIED}),
    WARNINGS: frozenset({PARTIALLY, FULLY, DENIED}),
    PARTIALLY: frozenset({PARTIALLY, FULLY, DENIED}),
}


@dataclass(frozen=True)
class State:
    """The two state variables of a certificate, and what has been used of item 1."""

    issuer: int
    imported: int
    used: Decimal = Decimal(0)
    replaced: bool = False

    def describe(self) -> str:
        """``ISSUED/RECEIVED`` style name."""
        return (
            f"{L.IssuerState.Name(self.issuer).removeprefix('ISSUER_STATE_')}/"
            f"{L.ImportState.Name(self.imported).removeprefix('IMPORT_STATE_')}"
        )


@dataclass(frozen=True)
class Event:
    """One transition attempt: an import outcome or an issuer action."""

    name: str
    imported: int = 0  # the import outcome's new state, 0 for issuer actions
    issuer: int = 0  # CANCELLED / REVOKED by StatusChange, REPLACED by a replacement CO
    usage: Decimal = Decimal(0)


#: Uses take 1 of item 1 (a small use is allowed from every state that may use).
USE: Final = Decimal(1)
EVENTS: Final[Sequence[Event]] = (
    Event("accepted", imported=ACCEPTED),
    Event("accepted-with-warnings", imported=WARNINGS),
    Event("rejected", imported=REJECTED),
    Event("partially-used", imported=PARTIALLY, usage=USE),
    Event("fully-used", imported=FULLY, usage=USE),
    Event("preference-denied", imported=DENIED),
    Event("cancel", issuer=CANCELLED),
    Event("revoke", issuer=REVOKED),
    Event("replace", issuer=REPLACED),
)


def expected_after(state: State, event: Event) -> State | None:
    """The state after ``event`` per section 7, or None when it is ILLEGAL_TRANSITION.

    - REQ-LC-003: CANCELLED, REPLACED and REVOKED are terminal: nothing changes them, and
      REQ-LC-005: no outcome or usage applies to a CO that is not ISSUED.
    - REQ-LC-002: CANCELLED only from ISSUED and not PARTIALLY_USED or FULLY_USED;
      REVOKED from ISSUED (also after use).
    - REQ-LC-004: a replacement needs the replaced CO ISSUED and not used.
    - REQ-LC-005/006: the import diagram (``IMPORT_ALLOWED``).
    """
    if state.issuer != ISSUED:
        return None
    if event.issuer == REVOKED:
        return replace(state, issuer=REVOKED)
    if event.issuer in (CANCELLED, REPLACED):
        if state.imported in USED:
            return None
        return replace(state, issuer=event.issuer, replaced=event.issuer == REPLACED)
    if event.imported not in IMPORT_ALLOWED.get(state.imported, frozenset()):
        return None
    return replace(state, imported=event.imported, used=state.used + event.usage)


#: Reachable states and the events that reach them from ISSUED/RECEIVED (legal paths).
STATES: Final[Mapping[str, Sequence[Event]]] = {
    "issued-received": (),
    "issued-accepted": (EVENTS[0],),
    "issued-accepted-with-warnings": (EVENTS[1],),
    "issued-rejected": (EVENTS[2],),
    "issued-partially-used": (EVENTS[0], Event("use-100", imported=PARTIALLY, usage=Decimal(100))),
    "issued-partially-used-after-warnings": (
        EVENTS[1],
        Event("use-100", imported=PARTIALLY, usage=Decimal(100)),
    ),
    "issued-fully-used": (EVENTS[0], Event("use-all", imported=FULLY, usage=ITEM_QUANTITY)),
    "issued-fully-used-after-partial-use": (
        EVENTS[0],
        Event("use-100", imported=PARTIALLY, usage=Decimal(100)),
        Event("use-rest", imported=FULLY, usage=ITEM_QUANTITY - 100),
    ),
    "issued-preference-denied": (EVENTS[0], EVENTS[5]),
    "cancelled-received": (EVENTS[6],),
    "cancelled-accepted": (EVENTS[0], EVENTS[6]),
    "revoked-received": (EVENTS[7],),
    "revoked-partially-used": (
        EVENTS[0],
        Event("use-100", imported=PARTIALLY, usage=Decimal(100)),
        EVENTS[7],
    ),
    "revoked-fully-used": (
        EVENTS[0],
        Event("use-all", imported=FULLY, usage=ITEM_QUANTITY),
        EVENTS[7],
    ),
    "replaced-received": (EVENTS[8],),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Holder:
    """One certificate the node holds from XA, with the model of its state."""

    target: Target
    pki: SuitePki
    code_lists: CodeLists
    adapter: AdapterClient
    co: CO = field(default_factory=CO)
    issued: Submission | None = None
    state: State = field(default_factory=lambda: State(ISSUED, RECEIVED))
    replacement: CO | None = None

    def issue(self) -> None:
        """XA issues a fresh CO to the node."""
        self.co = minimal_certificate(context_for(self.pki, self.target, XA, self.code_lists))
        self.issued = signed_submission(
            self.co.SerializeToString(), self.pki.country(XA).authority, caller=XA
        )
        outcome = self.target.submit(XA, self.issued.request)
        assert_accepted(self.target, self.issued, outcome, now=_now(), rule="REQ-PUSH-001")

    def _outcome(self, event: Event) -> L.ImportOutcome:
        outcome = L.ImportOutcome(
            certificate=reference_of(self.co),
            new_state=event.imported,  # type: ignore[arg-type]
            reason_text="decided by the conformance suite",
        )
        if event.imported in (REJECTED, DENIED):
            outcome.reason_code = "ORIGIN_NOT_MET"
        if event.usage:
            outcome.import_declaration_number = unique_number("DECL")
            outcome.usages.append(L.ItemUsage(item_number=1, quantity={"value": str(event.usage)}))
        return outcome

    def _issuer_document(self, event: Event) -> tuple[Submission, CO | None]:
        authority = self.pki.country(XA).authority
        if event.issuer == REPLACED:
            new = minimal_certificate(context_for(self.pki, self.target, XA, self.code_lists))
            new.replaces.CopyFrom(reference_of(self.co))
            return signed_submission(new.SerializeToString(), authority, caller=XA), new
        change = status_change(reference_of(self.co), event.issuer, effective=_now())  # type: ignore[arg-type]
        submission = signed_submission(
            change.SerializeToString(),
            authority,
            caller=XA,
            payload_type=envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
        )
        return submission, None

    def apply(self, event: Event, *, rule: str) -> None:
        """Try ``event``; require the outcome the tables give; check the reads."""
        after = expected_after(self.state, event)
        if event.imported:
            response = self.adapter.execute(
                adapter_pb2.ExecuteRequest(
                    record_import_outcome=adapter_pb2.RecordImportOutcomeCommand(
                        outcome=self._outcome(event)
                    )
                )
            )
            if after is None:
                assert response.HasField("error"), f"{rule}: the node recorded the outcome"
                _assert_illegal(refusal_from_status(response.error), rule)
            else:
                refusal = refusal_from_status(response.error)
                assert not response.HasField("error"), (
                    f"{rule}: allowed outcome refused: {refusal.summary()} ({refusal.message!r})"
                )
        else:
            submission, new = self._issuer_document(event)
            outcome = self.target.submit(XA, submission.request)
            if after is None:
                assert_refused(
                    outcome, code="FAILED_PRECONDITION", reason="ILLEGAL_TRANSITION", rule=rule
                )
                assert_not_readable(
                    self.target,
                    caller=XA,
                    request_id=submission.request_id,
                    certificate=None if new is None else reference_of(new),
                    rule=f"REQ-PUSH-002 ({rule})",
                )
            else:
                assert_accepted(self.target, submission, outcome, now=_now(), rule=rule)
                self.replacement = new
        if after is not None:
            self.state = after
        self.check(rule)

    def check(self, rule: str) -> None:
        """The node's reads show exactly the modelled state (REQ-LC-010, REQ-GET-001)."""
        status_outcome = self.target.get_status(XA, status_request(self.co))
        assert status_outcome.response is not None, (
            f"{rule}: GetCertificateStatus: {status_outcome.summary()}"
        )
        status = status_outcome.response.status
        shown = State(
            status.issuer_state,
            status.import_state,
            sum(
                (Decimal(u.quantity.value) for u in status.used_quantities if u.item_number == 1),
                Decimal(0),
            ),
            replaced=status.HasField("replaced_by"),
        )
        assert shown == self.state, (
            f"{rule}: the node shows {shown.describe()} (used {shown.used}, replaced_by "
            f"{shown.replaced}), expected {self.state.describe()} (used {self.state.used}, "
            f"replaced_by {self.state.replaced})"
        )
        if self.replacement is not None:
            assert status.replaced_by == reference_of(self.replacement), (
                f"REQ-LC-004 ({rule}): replaced_by {status.replaced_by}"
            )
        assert self.issued is not None
        read = self.target.get_document(
            XA, exchange_service_pb2.GetDocumentRequest(certificate=reference_of(self.co))
        )
        assert read.response is not None, f"{rule}: GetDocument by reference: {read.summary()}"
        document = read.response.document
        assert (document.request_id, document.envelope.SerializeToString()) == (
            self.issued.request_id,
            self.issued.envelope.SerializeToString(),
        ), f"REQ-GET-001 ({rule}): GetDocument by reference no longer returns the certificate"


def _assert_illegal(refusal: Refusal, rule: str) -> None:
    assert (refusal.code.name, refusal.reason) == ("FAILED_PRECONDITION", "ILLEGAL_TRANSITION"), (
        f"{rule}: expected FAILED_PRECONDITION ILLEGAL_TRANSITION, got {refusal.summary()}"
    )
    assert_error_format(refusal)


@pytest.fixture
def matrix_adapter(adapter: AdapterClient | None) -> AdapterClient:
    """The adapter (skips without one)."""
    if adapter is None:
        pytest.skip(
            "the transition matrix needs the node to record its own import decisions through "
            "the adapter (--adapter or --adapter-address in target mode)"
        )
    return adapter


def _in_state(
    name: str, adapter: AdapterClient, target: Target, pki: SuitePki, code_lists: CodeLists
) -> Holder:
    holder = Holder(target=target, pki=pki, code_lists=code_lists, adapter=adapter)
    holder.issue()
    for step in STATES[name]:
        assert expected_after(holder.state, step) is not None, f"{name}: illegal path step"
        holder.apply(step, rule=f"{name}: reaching the state ({step.name})")
    return holder


@pytest.mark.requirement(
    "REQ-LC-002",
    "REQ-LC-003",
    "REQ-LC-004",
    "REQ-LC-005",
    "REQ-LC-006",
    "REQ-LC-010",
    "REQ-GET-001",
    "REQ-PUSH-002",
)
@pytest.mark.parametrize("state", list(STATES))
def test_every_transition_from(
    matrix_adapter: AdapterClient,
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    state: str,
) -> None:
    """From ``state``, every event of section 7 is allowed or ILLEGAL_TRANSITION as tabled."""
    refused = _in_state(state, matrix_adapter, target, suite_pki, code_lists)
    start = refused.state
    for event in EVENTS:
        rule = f"section 7: {state} ({start.describe()}) --{event.name}-->"
        if expected_after(start, event) is None:
            refused.apply(event, rule=rule + " refused")
            continue
        allowed = _in_state(state, matrix_adapter, target, suite_pki, code_lists)
        allowed.apply(event, rule=rule + " allowed")
