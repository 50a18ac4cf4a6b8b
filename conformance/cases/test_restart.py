"""What survives a node restart (profiles ``pull``, ``core``, ``sender``; docs/spec.md 3, 10).

Before a restart the suite reads the node's feed as XA (a ``next_page_token`` in the middle
of the feed, a ``resume_token`` at its end, a ``WatchDocuments`` cursor), submits a CO as
XA, and lets the node issue a CO that its partner XA answers UNAVAILABLE. It then restarts
the node through the adapter (``RestartCommand``: the node keeps its data and serves on the
same address) and checks that the tokens and cursor still resume exactly where they were
(REQ-PULL-003, REQ-PULL-004), that the same request id with the same bytes returns the
original receipt byte for byte and with other bytes is ``DUPLICATE_CONFLICT``
(REQ-IDEM-002/003), that the certificate number is still held (REQ-IDEM-004), that the feed
sequence continues (REQ-PULL-001, REQ-PUSH-003), and that the pending CO is delivered once
XA accepts, with the same request id and bytes (REQ-PUSH-006).

The node is restarted once per run, by the module fixture; the cases then judge the node
after the restart. An adapter that answers ``RestartCommand`` with UNIMPLEMENTED cannot
restart its node: every case here is then reported as not run (skipped), never as passed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import pytest

from conformance import envelopes
from conformance.adapter_client import AdapterClient
from conformance.client import Target
from conformance.feed import Feed, Watch
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_read_back,
    assert_refused,
)
from conformance.partner import PartnerAction, PartnerNode, SenderHarness, simple_certificate
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate, submit_certificate
from conformance.strategies import CodeLists, reference_of, unique_number
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2

XA: Final = "XA"
#: Documents issued to XA before the restart: two read before a page token, two after it.
_BEFORE: Final = 4
#: Seconds the node may take to answer again after the adapter said it restarted.
_SERVE_TIMEOUT: Final = 30.0
#: Seconds to wait for each document a watch must send.
_WATCH_WAIT: Final = 5.0
#: Seconds the node may take to deliver its pending CO once XA accepts again.
_DELIVERY_TIMEOUT: Final = 10.0

UNSUPPORTED: Final = "adapter cannot restart the node (RestartCommand unsupported)"


@dataclass(kw_only=True)
class Restarted:
    """What the suite held before the restart, and what was issued after it.

    Attributes:
        feed: XA's view of the node's feed (XA unreachable, so documents wait in it).
        issued: Request ids of the documents issued to XA before the restart, in order.
        page_token: ``next_page_token`` returned after the first two of ``issued``.
        end_token: ``resume_token`` after the last of ``issued``.
        watch_cursor: WatchDocuments cursor of the second of ``issued``.
        last_sequence: Feed sequence of the last of ``issued``.
        submission: A CO XA submitted before the restart.
        receipt: The receipt envelope bytes the node answered it with.
        receipt_sequence: The feed sequence in that receipt.
        partner: XA's receiving node, answering UNAVAILABLE until a case says otherwise.
        pending: Request id of a CO the node issued to XA, answered UNAVAILABLE so far.
        pending_bytes: The envelope bytes that arrived for it before the restart.
        later: Request ids issued to XA after the restart, in order (cases append).
    """

    feed: Feed
    issued: list[str]
    page_token: str
    end_token: str
    watch_cursor: str
    last_sequence: int
    submission: Submission
    receipt: bytes
    receipt_sequence: int
    partner: PartnerNode
    pending: str
    pending_bytes: bytes
    later: list[str] = field(default_factory=list)

    def issue_later(self) -> str:
        """Issue one more CO to XA after the restart; return its request id."""
        request_id = self.feed.issue()
        self.later.append(request_id)
        return request_id


def _wait_serving(target: Target) -> None:
    """Drop the channels to the old process and wait until the node answers again."""
    target.close()
    deadline = time.monotonic() + _SERVE_TIMEOUT
    while True:
        outcome = target.node_info(XA)
        if outcome.ok:
            return
        assert time.monotonic() < deadline, (
            f"the node does not answer {_SERVE_TIMEOUT:.0f} s after its adapter restarted it: "
            f"{outcome.summary()}"
        )
        time.sleep(0.1)


def _unavailable_partner(suite_pki: SuitePki, target: Target) -> PartnerNode:
    partner = PartnerNode.for_target(suite_pki, target, country=XA)
    partner.set_default(PartnerAction.unavailable())
    partner.start()
    return partner


@pytest.fixture(scope="module")
def restarted(
    adapter: AdapterClient | None, suite_pki: SuitePki, target: Target, code_lists: CodeLists
) -> Iterator[Restarted]:
    """Read tokens, submit and leave a delivery pending before a restart; restart the node."""
    if adapter is None:
        pytest.skip("restart cases need an adapter to restart the node (--adapter)")
    partner = _unavailable_partner(suite_pki, target)
    try:
        yield _prepare_and_restart(adapter, suite_pki, target, code_lists, partner)
    finally:
        partner.stop()


def _prepare_and_restart(
    adapter: AdapterClient,
    suite_pki: SuitePki,
    target: Target,
    code_lists: CodeLists,
    partner: PartnerNode,
) -> Restarted:
    """Everything the cases compare with, taken before the restart; then the restart."""
    harness = SenderHarness(adapter=adapter, partner=partner, recorder=target.recorder)
    harness.configure(deadline_ms=1000)
    feed = Feed(harness=harness, target=target)
    pending = harness.issue(
        simple_certificate(
            number=unique_number("R"),
            exporting_country=target.node_country,
            importing_country=XA,
            authority_id=feed.authority_id,
            today=dt.datetime.now(dt.UTC).date(),
        )
    ).request_id
    arrived = partner.wait_for(
        lambda arrivals: any(a.request_id.lower() == pending.lower() for a in arrivals)
    )
    pending_arrivals = [a for a in arrived if a.request_id.lower() == pending.lower()]
    assert pending_arrivals, "REQ-PUSH-006: the node did not try to deliver its CO to XA"
    assert pending_arrivals[0].problems == (), pending_arrivals[0].problems
    _, _, start = feed.drain("", 1000)
    issued = [feed.issue() for _ in range(_BEFORE)]
    first = feed.page(start, 2)
    assert [d.request_id.lower() for d in first.documents] == issued[:2], (
        "REQ-PULL-001: the first page after a resume token is not the next two documents"
    )
    assert first.next_page_token, "REQ-PULL-003: no next_page_token in the middle of the feed"
    rest, sequences, end = feed.drain(first.next_page_token, 10)
    assert rest == issued[2:], "REQ-PULL-003: next_page_token does not continue the feed"
    watch = Watch(target, start)
    try:
        watched = watch.take(2)
    finally:
        watch.close()
    assert [r.document.request_id.lower() for r in watched] == issued[:2]
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    receipt = assert_accepted(
        target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="before the restart"
    )
    assert outcome.response is not None
    with target.downtime_expected():  # the node is away on purpose, not lost
        if not adapter.restart():
            pytest.skip(UNSUPPORTED)
        _wait_serving(target)
    return Restarted(
        feed=feed,
        issued=issued,
        page_token=first.next_page_token,
        end_token=end,
        watch_cursor=watched[-1].cursor,
        last_sequence=sequences[-1],
        submission=submission,
        receipt=outcome.response.receipt.SerializeToString(),
        receipt_sequence=receipt.sequence,
        partner=partner,
        pending=pending,
        pending_bytes=pending_arrivals[0].envelope_bytes,
    )


# ---------------------------------------------------------------------------
# pull: tokens and cursors


@pytest.mark.profile("pull")
@pytest.mark.requirement("REQ-PULL-003")
def test_page_token_survives_restart(restarted: Restarted) -> None:
    """A next_page_token issued before the restart continues the feed exactly after it."""
    ids, _, _ = restarted.feed.drain(restarted.page_token, 2)
    assert ids == restarted.issued[2:] + restarted.later, (
        "REQ-PULL-003: after a restart the next_page_token yields "
        f"{ids} instead of {restarted.issued[2:] + restarted.later}"
    )


@pytest.mark.profile("pull")
@pytest.mark.requirement("REQ-PULL-001", "REQ-PULL-003")
def test_resume_token_survives_restart(restarted: Restarted) -> None:
    """A resume_token from before the restart yields exactly what was stored since, in order."""
    restarted.issue_later()
    ids, sequences, _ = restarted.feed.drain(restarted.end_token, 10)
    assert ids == restarted.later, (
        f"REQ-PULL-003: after a restart the resume_token yields {ids} instead of {restarted.later}"
    )
    assert all(s > restarted.last_sequence for s in sequences), (
        f"REQ-PULL-001: sequences {sequences} after the restart do not follow "
        f"{restarted.last_sequence}, the last one before it"
    )
    assert sequences == sorted(set(sequences)), "REQ-PULL-001: sequences not strictly increasing"


@pytest.mark.profile("pull")
@pytest.mark.requirement("REQ-PULL-003", "REQ-PULL-004")
def test_watch_cursor_survives_restart(restarted: Restarted) -> None:
    """A WatchDocuments cursor from before the restart resumes after its document, none repeated."""
    restarted.issue_later()
    expected = restarted.issued[2:] + restarted.later
    watch = Watch(restarted.feed.target, restarted.watch_cursor)
    try:
        answers = watch.take(len(expected), timeout=_WATCH_WAIT, partial=True)
        got = [r.document.request_id.lower() for r in answers]
    finally:
        watch.close()
    assert got == expected, (
        f"REQ-PULL-003/004: after a restart the watch cursor yields {got} instead of {expected}"
    )


# ---------------------------------------------------------------------------
# core: idempotency, certificate numbers, sequences


@pytest.mark.profile("core")
@pytest.mark.requirement("REQ-IDEM-002", "REQ-GET-001", "REQ-PUSH-001")
def test_resubmission_after_restart_returns_original_receipt(
    restarted: Restarted, target: Target
) -> None:
    """Same request id and bytes after a restart: the original receipt byte for byte."""
    again = target.submit(XA, restarted.submission.request)
    assert again.response is not None, (
        f"REQ-IDEM-002: resubmission after a restart refused with {again.summary()}"
    )
    assert again.response.receipt.SerializeToString() == restarted.receipt, (
        "REQ-IDEM-002: resubmission after a restart returned another receipt"
    )
    stored = assert_read_back(target, restarted.submission)
    assert stored.sequence == restarted.receipt_sequence, (
        "REQ-IDEM-002: the resubmitted document moved in the feed"
    )


@pytest.mark.profile("core")
@pytest.mark.requirement("REQ-IDEM-003", "REQ-PUSH-002")
def test_request_id_with_other_bytes_after_restart(
    restarted: Restarted, target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """Same request id, other payload after a restart: ALREADY_EXISTS DUPLICATE_CONFLICT."""
    other = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    envelope = envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_CERTIFICATE,
        other.SerializeToString(),
        [suite_pki.country(XA).authority],
    )
    outcome = target.submit(
        XA,
        exchange_service_pb2.SubmitDocumentRequest(
            request_id=restarted.submission.request_id, envelope=envelope
        ),
    )
    assert_refused(
        outcome,
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        rule="REQ-IDEM-003 (after a restart)",
    )
    assert_not_readable(target, caller=XA, request_id=None, certificate=reference_of(other))
    assert_read_back(target, restarted.submission)


@pytest.mark.profile("core")
@pytest.mark.requirement("REQ-IDEM-004", "REQ-PUSH-002")
def test_certificate_number_still_held_after_restart(
    restarted: Restarted, target: Target, suite_pki: SuitePki
) -> None:
    """A CO with a number held before the restart, under a new request id: DUPLICATE_CONFLICT."""
    again = certificate_pb2.CertificateOfOrigin.FromString(restarted.submission.envelope.payload)
    again.remarks = "sent again after the restart"
    second, outcome = submit_certificate(target, again, suite_pki.country(XA).authority, caller=XA)
    assert_refused(
        outcome,
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        rule="REQ-IDEM-004 (after a restart)",
    )
    assert_not_readable(target, caller=XA, request_id=second.request_id)
    stored = assert_read_back(target, restarted.submission)
    assert stored.request_id == restarted.submission.request_id


@pytest.mark.profile("core")
@pytest.mark.requirement("REQ-PUSH-003", "REQ-PULL-001")
def test_receipt_sequence_continues_after_restart(
    restarted: Restarted, target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A CO stored after the restart gets a feed sequence above every one before it."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    receipt = assert_accepted(
        target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-PUSH-003"
    )
    floor = max(restarted.receipt_sequence, restarted.last_sequence)
    assert receipt.sequence > floor, (
        f"REQ-PULL-001: the receipt after a restart names sequence {receipt.sequence}, "
        f"not after {floor} (stored before the restart)"
    )
    stored = assert_read_back(target, submission)
    assert stored.sequence == receipt.sequence, (
        f"REQ-PUSH-003: receipt sequence {receipt.sequence} is not the stored document's "
        f"{stored.sequence}"
    )


# ---------------------------------------------------------------------------
# sender: the outbox


@pytest.mark.profile("sender")
@pytest.mark.requirement("REQ-PUSH-006")
def test_pending_delivery_resumes_after_restart(restarted: Restarted) -> None:
    """A CO still pending at the restart is delivered once XA accepts, same id and bytes."""
    partner = restarted.partner
    partner.set_default(PartnerAction.accept())
    entries = restarted.feed.harness.deliver_until_settled(
        [restarted.pending], timeout=_DELIVERY_TIMEOUT
    )
    entry = entries.get(restarted.pending.lower())
    assert entry is not None, "REQ-PUSH-006: the pending CO left the node's outbox at the restart"
    assert entry.status in (
        envelope_pb2.DELIVERY_STATUS_DELIVERED,
        envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
    ), (
        "REQ-PUSH-006: the CO pending at the restart is "
        f"{envelope_pb2.DeliveryStatus.Name(entry.status)} {_DELIVERY_TIMEOUT:.0f} s after XA "
        "accepts again"
    )
    arrivals = partner.arrivals(restarted.pending)
    assert {a.envelope_bytes for a in arrivals} == {restarted.pending_bytes}, (
        "REQ-PUSH-006: after the restart the node sent other envelope bytes"
    )
    assert partner.stored_request_ids().count(restarted.pending) == 1
    assert entry.receipt == partner.receipt_for(restarted.pending), (
        "the outbox does not hold the receipt XA signed"
    )
