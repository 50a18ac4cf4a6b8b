"""Pull delivery: ListDocuments and WatchDocuments (profile ``pull``, docs/spec.md section 10).

The node issues COs addressed to XA through the adapter while its partner address for XA
points at a closed port, so the documents stay in its outbox and are read by XA through the
feed. The suite pages with every page size, resumes with ``resume_token``, watches from
cursors, sends tokens the node never issued, and a state machine interleaves issuing and
paging against a model: every document exactly once, in store order.
"""

from __future__ import annotations

from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conformance.adapter_client import AdapterClient
from conformance.client import Target
from conformance.feed import DEFAULT_PAGE_SIZE, Feed, Watch, first_watch_answer, unreachable_feed
from conformance.judge import assert_refused
from conformance.pki import SuitePki
from wco.eco.v1 import exchange_service_pb2

pytestmark = [pytest.mark.profile("pull")]

_FEED_SIZE = 6


#: The suite country whose feed the first-document case reads: no other pull case issues to it.
FRESH: Final = "XC"


# First in the module on purpose: in a run of the pull profile alone (as the mutant
# catalogue runs it) the CO issued here is the very first document the node stores.
@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-PULL-001", "REQ-PULL-003")
def test_listing_without_a_token_starts_at_the_first_document(
    adapter: AdapterClient | None, suite_pki: SuitePki, target: Target
) -> None:
    """ListDocuments with no page token starts at the caller's first document.

    The feed is per recipient (REQ-PULL-001: the documents whose recipient is the caller's
    country, in store order). The node issues a CO to XC; XC's listing from no token must
    hold every document listed for XC before, then the new CO, and when XC had none before,
    the first page of one document is that CO. A listing that starts past the caller's
    first document fails here; one that starts past a fixed sequence number (for example
    after sequence 1 instead of 0) only when the CO is the first document the node stores,
    as in a run of the pull profile alone against a fresh node.
    """
    if adapter is None:
        pytest.skip("pull cases need the node to issue documents through an adapter")
    fresh = unreachable_feed(adapter, suite_pki, target, country=FRESH)
    before, _, _ = fresh.drain("", 0)
    issued = fresh.issue()
    ids, sequences, _ = fresh.drain("", 0)
    assert ids == [*before, issued], (
        f"REQ-PULL-003: {FRESH}'s listing without a page token was {ids}, expected the "
        f"{len(before)} documents listed before and then {issued}"
    )
    assert sequences == sorted(set(sequences)), "REQ-PULL-001: sequences not strictly increasing"
    if not before:
        first = fresh.page("", 1)
        assert [d.request_id.lower() for d in first.documents] == [issued], (
            f"REQ-PULL-001: the first page of {FRESH}'s feed (page_size 1, no token) does not "
            f"hold its only document {issued}"
        )


@pytest.fixture(scope="module")
def feed(adapter: AdapterClient | None, suite_pki: SuitePki, target: Target) -> Feed:
    """The node with XA unreachable, so what it issues waits in its outbox and feed."""
    if adapter is None:
        pytest.skip("pull cases need the node to issue documents through an adapter")
    return unreachable_feed(adapter, suite_pki, target)


@pytest.fixture(scope="module")
def baseline(feed: Feed) -> tuple[str, list[str]]:
    """A resume token at the current end of the feed, then ``_FEED_SIZE`` new documents."""
    _, _, token = feed.drain("", 1000)
    issued = [feed.issue() for _ in range(_FEED_SIZE)]
    return token, issued


@pytest.mark.requirement("REQ-PULL-001", "REQ-PULL-003")
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=10)
@given(page_size=st.integers(min_value=1, max_value=_FEED_SIZE + 2))
def test_paging_yields_every_document_once_in_order(
    feed: Feed, baseline: tuple[str, list[str]], page_size: int
) -> None:
    """From a resume token, following next_page_token yields the new documents once, in order."""
    token, issued = baseline
    ids, sequences, _ = feed.drain(token, page_size)
    assert ids == issued
    assert sequences == sorted(set(sequences)), "sequences not strictly increasing"


@pytest.mark.requirement("REQ-PULL-001", "REQ-PULL-003")
def test_whole_feed_is_strictly_ordered(feed: Feed, baseline: tuple[str, list[str]]) -> None:
    """The whole feed from the start has strictly increasing sequences and no repeats."""
    _, issued = baseline
    ids, sequences, _ = feed.drain("", 0)
    assert sequences == sorted(set(sequences))
    assert len(ids) == len(set(ids))
    assert ids[-len(issued) :] == issued


@pytest.mark.requirement("REQ-PULL-003")
def test_resume_token_yields_only_later_documents(
    feed: Feed, baseline: tuple[str, list[str]]
) -> None:
    """resume_token after the last page yields exactly the documents stored since."""
    token, _ = baseline
    _, _, end = feed.drain(token, 4)
    empty = feed.page(end, 10)
    assert list(empty.documents) == []
    assert empty.next_page_token == ""
    assert empty.resume_token
    later = [feed.issue(), feed.issue()]
    ids, _, _ = feed.drain(end, 10)
    assert ids == later


def _tampered(token: str) -> str:
    middle = len(token) // 2
    replacement = "A" if token[middle] != "A" else "B"
    return token[:middle] + replacement + token[middle + 1 :]


@pytest.mark.requirement("REQ-PULL-002")
@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda real: "not-a-token!", id="garbage"),
        pytest.param(lambda real: "A" * 24, id="base64-zeros"),
        pytest.param(lambda real: real[: len(real) // 2], id="truncated"),
        pytest.param(_tampered, id="tampered"),
    ],
)
def test_tokens_not_issued_by_the_node_are_refused(
    feed: Feed, baseline: tuple[str, list[str]], make_token: object
) -> None:
    """A page token or cursor the node did not issue is INVALID_ARGUMENT PAGE_TOKEN_INVALID."""
    token, _ = baseline
    real = feed.page(token, 1).next_page_token or token
    assert callable(make_token)
    bad = make_token(real)
    assert bad != real
    outcome = feed.target.list_documents(
        "XA", exchange_service_pb2.ListDocumentsRequest(page_size=5, page_token=bad)
    )
    assert_refused(
        outcome,
        code="INVALID_ARGUMENT",
        reason="PAGE_TOKEN_INVALID",
        rule="REQ-PULL-002 (ListDocuments page_token)",
    )
    assert_refused(
        first_watch_answer(feed.target, exchange_service_pb2.WatchDocumentsRequest(cursor=bad)),
        code="INVALID_ARGUMENT",
        reason="PAGE_TOKEN_INVALID",
        rule="REQ-PULL-002 (WatchDocuments cursor)",
    )


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-PULL-001")
def test_negative_page_size_is_field_invalid(feed: Feed) -> None:
    """page_size -1 is INVALID_ARGUMENT FIELD_INVALID; 0, the edge, means the default."""
    default = feed.target.list_documents(
        "XA", exchange_service_pb2.ListDocumentsRequest(page_size=0)
    )
    assert default.response is not None, (
        f"REQ-PULL-001: page_size 0 (the default) refused with {default.summary()}"
    )
    assert len(default.response.documents) <= DEFAULT_PAGE_SIZE, (
        f"REQ-PULL-001: page_size 0 returned {len(default.response.documents)} documents, "
        f"more than the default {DEFAULT_PAGE_SIZE}"
    )
    outcome = feed.target.list_documents(
        "XA", exchange_service_pb2.ListDocumentsRequest(page_size=-1)
    )
    assert_refused(
        outcome,
        code="INVALID_ARGUMENT",
        reason="FIELD_INVALID",
        rule="REQ-PULL-001 (page_size < 0)",
        fields=["page_size"],
    )


@pytest.mark.requirement("REQ-PULL-002", "REQ-PULL-004", "REQ-ERR-001", "REQ-ERR-002")
@pytest.mark.parametrize(
    ("request_fields", "code", "reason", "fields"),
    [
        pytest.param(
            {"cursor": "not-a-token!"}, "INVALID_ARGUMENT", "PAGE_TOKEN_INVALID", (), id="garbage"
        ),
        pytest.param(
            {"cursor": "A" * 24}, "INVALID_ARGUMENT", "PAGE_TOKEN_INVALID", (), id="base64-zeros"
        ),
        pytest.param(
            {"kind": 99}, "INVALID_ARGUMENT", "FIELD_INVALID", ("kind",), id="undefined-kind"
        ),
    ],
)
def test_watch_refusals_carry_code_and_reason(
    feed: Feed,
    request_fields: dict[str, object],
    code: str,
    reason: str,
    fields: tuple[str, ...],
) -> None:
    """A refused WatchDocuments ends with the spec's code, one ErrorInfo and its reason.

    Judged exactly as a unary refusal (REQ-ERR-001/002): a cursor the node did not issue is
    PAGE_TOKEN_INVALID (REQ-PULL-002), an undefined document kind FIELD_INVALID naming
    ``kind``.
    """
    request = exchange_service_pb2.WatchDocumentsRequest(**request_fields)  # type: ignore[arg-type]
    assert_refused(
        first_watch_answer(feed.target, request),
        code=code,
        reason=reason,
        rule=f"REQ-PULL-002/REQ-ERR-001 WatchDocuments({request_fields})",
        fields=fields,
    )


@pytest.mark.requirement("REQ-PULL-004")
def test_watch_sends_stored_then_new_documents(feed: Feed, baseline: tuple[str, list[str]]) -> None:
    """WatchDocuments from a cursor: stored documents first, then each new one; cursors resume."""
    token, issued = baseline
    stored, _, _ = feed.drain(token, 100)
    assert stored[: len(issued)] == issued
    watch = Watch(feed.target, token)
    try:
        first = watch.take(len(stored))
        assert [r.document.request_id.lower() for r in first] == stored
        assert all(r.cursor for r in first)
        later = feed.issue()
        ids = [r.document.request_id.lower() for r in watch.take(1)]
        assert ids == [later], "a document stored during the watch was not sent once committed"
    finally:
        watch.close()
    resumed = Watch(feed.target, first[1].cursor)
    try:
        again = resumed.take(2)
        assert [r.document.request_id.lower() for r in again] == issued[2:4]
    finally:
        resumed.close()


class PullMachine(RuleBasedStateMachine):
    """Interleaves issuing and paging against a model of the feed (REQ-PULL-001..003)."""

    feed: Feed

    def __init__(self) -> None:
        super().__init__()
        _, _, self.token = self.feed.drain("", 1000)
        self.model: list[str] = []
        self.read = 0

    @rule()
    def issue(self) -> None:
        self.model.append(self.feed.issue())

    @rule(page_size=st.integers(min_value=1, max_value=4))
    def page(self, page_size: int) -> None:
        response = self.feed.page(self.token, page_size)
        ids = [d.request_id.lower() for d in response.documents]
        expected = self.model[self.read : self.read + page_size]
        assert ids == expected
        self.read += len(ids)
        self.token = response.next_page_token or response.resume_token
        if not response.next_page_token:
            assert self.read == len(self.model), "next_page_token empty before the end"

    @invariant()
    def never_ahead(self) -> None:
        assert self.read <= len(self.model)


@pytest.mark.requirement("REQ-PULL-001", "REQ-PULL-003")
def test_pull_state_machine(feed: Feed) -> None:
    """Every document exactly once, in order, however issuing and paging interleave."""
    PullMachine.feed = feed
    run_state_machine_as_test(
        PullMachine,
        settings=settings(
            max_examples=5,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
