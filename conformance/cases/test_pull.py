"""Pull delivery: ListDocuments and WatchDocuments (profile ``pull``, docs/spec.md section 10).

The node issues COs addressed to XA through the adapter while its partner address for XA
points at a closed port, so the documents stay in its outbox and are read by XA through the
feed. The suite pages with every page size, resumes with ``resume_token``, watches from
cursors, sends tokens the node never issued, and a state machine interleaves issuing and
paging against a model: every document exactly once, in store order.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading

import grpc
import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conformance.adapter_client import AdapterClient
from conformance.client import Target
from conformance.partner import PartnerNode, SenderHarness, simple_certificate
from conformance.pki import SuitePki
from conformance.strategies import unique_number
from wco.eco.v1 import exchange_service_pb2

pytestmark = [pytest.mark.profile("pull")]

_CLOSED_PORT = "127.0.0.1:9"
_FEED_SIZE = 6
_DEFAULT_PAGE_SIZE = 50  # REQ-PULL-001: page_size 0 means the default, 50


class Feed:
    """The node's sending side with XA unreachable, and XA's view of the node's feed."""

    def __init__(self, *, harness: SenderHarness, target: Target) -> None:
        self.harness = harness
        self.target = target
        described = harness.describe()
        self.authority_id = described.issuing_authority_id

    def issue(self) -> str:
        """Issues one CO to XA; returns its request id."""
        co = simple_certificate(
            number=unique_number("P"),
            exporting_country=self.target.node_country,
            importing_country="XA",
            authority_id=self.authority_id,
            today=dt.datetime.now(dt.UTC).date(),
        )
        return self.harness.issue(co).request_id.lower()

    def page(self, token: str, page_size: int) -> exchange_service_pb2.ListDocumentsResponse:
        """One ListDocuments call as XA that must succeed."""
        outcome = self.target.list_documents(
            "XA",
            exchange_service_pb2.ListDocumentsRequest(page_size=page_size, page_token=token),
        )
        assert outcome.response is not None, f"ListDocuments as XA: {outcome.summary()}"
        return outcome.response

    def drain(self, token: str, page_size: int) -> tuple[list[str], list[int], str]:
        """Follows next_page_token from ``token`` to the end.

        Returns:
            Request ids and sequences in order, and the last resume_token.
        """
        ids: list[str] = []
        sequences: list[int] = []
        resume = token
        for _ in range(10_000):
            response = self.page(token, page_size)
            limit = page_size or _DEFAULT_PAGE_SIZE
            assert len(response.documents) <= limit, "page larger than page_size"
            assert response.resume_token, "resume_token must always be set (REQ-PULL-003)"
            for document in response.documents:
                assert document.recipient_country == "XA", "XA was given another country's document"
                ids.append(document.request_id.lower())
                sequences.append(document.sequence)
            resume = response.resume_token
            if not response.next_page_token:
                return ids, sequences, resume
            assert response.documents, "an empty page with a next_page_token"
            token = response.next_page_token
        raise AssertionError("the feed never ended")


@pytest.fixture(scope="module")
def feed(adapter: AdapterClient | None, suite_pki: SuitePki, target: Target) -> Feed:
    """The node with XA unreachable, so what it issues waits in its outbox and feed."""
    if adapter is None:
        pytest.skip("pull cases need the node to issue documents through an adapter")
    unstarted = PartnerNode.from_pki(
        suite_pki,
        country="XA",
        node_country=target.node_country,
        node_tls_ca_pem=target.server_ca_pem,
        node_trust_anchors=x509.load_pem_x509_certificates(target.node_trust_anchors_pem),
    )
    harness = SenderHarness(adapter=adapter, partner=unstarted, recorder=target.recorder)
    harness.configure(address=_CLOSED_PORT, deadline_ms=200)
    return Feed(harness=harness, target=target)


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
    assert outcome.refusal is not None, f"token {bad!r} was accepted"
    assert (outcome.refusal.code, outcome.refusal.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_INVALID",
    ), outcome.refusal.summary()
    stream = feed.target.exchange("XA").WatchDocuments(
        exchange_service_pb2.WatchDocumentsRequest(cursor=bad), timeout=10
    )
    with pytest.raises(grpc.RpcError) as raised:
        next(iter(stream))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.requirement("REQ-PULL-001")
def test_negative_page_size_is_field_invalid(feed: Feed) -> None:
    """page_size < 0 is INVALID_ARGUMENT FIELD_INVALID."""
    outcome = feed.target.list_documents(
        "XA", exchange_service_pb2.ListDocumentsRequest(page_size=-1)
    )
    assert outcome.refusal is not None
    assert (outcome.refusal.code, outcome.refusal.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "FIELD_INVALID",
    )


class _Watch:
    """A WatchDocuments stream read on a thread into a queue."""

    def __init__(self, target: Target, cursor: str) -> None:
        self.items: queue.Queue[exchange_service_pb2.WatchDocumentsResponse | Exception] = (
            queue.Queue()
        )
        self._call = target.exchange("XA").WatchDocuments(
            exchange_service_pb2.WatchDocumentsRequest(cursor=cursor), timeout=60
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for item in self._call:
                self.items.put(item)
        except grpc.RpcError as error:
            self.items.put(error)

    def take(
        self, count: int, timeout: float = 15.0
    ) -> list[exchange_service_pb2.WatchDocumentsResponse]:
        out: list[exchange_service_pb2.WatchDocumentsResponse] = []
        for _ in range(count):
            item = self.items.get(timeout=timeout)
            if isinstance(item, Exception):
                if isinstance(item, grpc.Call) and item.code() == grpc.StatusCode.CANCELLED:
                    break
                raise item
            out.append(item)
        return out

    def close(self) -> None:
        self._call.cancel()  # type: ignore[no-untyped-call]
        self._thread.join(timeout=5)


@pytest.mark.requirement("REQ-PULL-004")
def test_watch_sends_stored_then_new_documents(feed: Feed, baseline: tuple[str, list[str]]) -> None:
    """WatchDocuments from a cursor: stored documents first, then each new one; cursors resume."""
    token, issued = baseline
    stored, _, _ = feed.drain(token, 100)
    assert stored[: len(issued)] == issued
    watch = _Watch(feed.target, token)
    try:
        first = watch.take(len(stored))
        assert [r.document.request_id.lower() for r in first] == stored
        assert all(r.cursor for r in first)
        later = feed.issue()
        ids = [r.document.request_id.lower() for r in watch.take(1)]
        assert ids == [later], "a document stored during the watch was not sent once committed"
    finally:
        watch.close()
    resumed = _Watch(feed.target, first[1].cursor)
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
