"""The node's feed as its partner XA reads it (docs/spec.md section 10, REQ-PULL-001..004).

The pull cases need documents that wait in the node's feed for XA: the node issues COs to
XA through the adapter while its partner address for XA points at a closed port, so they
stay in its outbox and XA reads them with ``ListDocuments`` and ``WatchDocuments``.
:class:`Feed` issues and pages, :class:`Watch` reads a ``WatchDocuments`` stream on a
thread, :func:`first_watch_answer` judges a watch's refusal like a unary one, and
:func:`unreachable_feed` points the node's XA partner at the closed port.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from typing import Final

import grpc

from conformance.adapter_client import AdapterClient
from conformance.client import Exchange, Outcome, Target, _refusal_from_error
from conformance.partner import PartnerNode, SenderHarness, simple_certificate
from conformance.pki import SuitePki
from conformance.strategies import unique_number
from wco.eco.v1 import exchange_service_pb2

__all__ = [
    "CLOSED_PORT",
    "DEFAULT_PAGE_SIZE",
    "Feed",
    "Watch",
    "first_watch_answer",
    "unreachable_feed",
]

#: An address where nothing listens: XA's address while the node's documents wait in its feed.
CLOSED_PORT: Final = "127.0.0.1:9"
#: REQ-PULL-001: page_size 0 means the default, 50.
DEFAULT_PAGE_SIZE: Final = 50


class Feed:
    """The node's sending side with a partner unreachable, and that partner's view of the feed.

    The partner is XA unless ``country`` names another suite country.
    """

    def __init__(self, *, harness: SenderHarness, target: Target, country: str = "XA") -> None:
        self.harness = harness
        self.target = target
        self.country = country
        described = harness.describe()
        self.authority_id = described.issuing_authority_id

    def issue(self) -> str:
        """Issues one CO to the partner; returns its request id (lower case)."""
        co = simple_certificate(
            number=unique_number("P"),
            exporting_country=self.target.node_country,
            importing_country=self.country,
            authority_id=self.authority_id,
            today=dt.datetime.now(dt.UTC).date(),
        )
        return self.harness.issue(co).request_id.lower()

    def page(self, token: str, page_size: int) -> exchange_service_pb2.ListDocumentsResponse:
        """One ListDocuments call as the partner that must succeed."""
        outcome = self.target.list_documents(
            self.country,
            exchange_service_pb2.ListDocumentsRequest(page_size=page_size, page_token=token),
        )
        assert outcome.response is not None, f"ListDocuments as {self.country}: {outcome.summary()}"
        return outcome.response

    def drain(self, token: str, page_size: int) -> tuple[list[str], list[int], str]:
        """Follows next_page_token from ``token`` to the end (REQ-PULL-003).

        Returns:
            Request ids and sequences in order, and the last resume_token.
        """
        ids: list[str] = []
        sequences: list[int] = []
        resume = token
        for _ in range(10_000):
            response = self.page(token, page_size)
            limit = page_size or DEFAULT_PAGE_SIZE
            assert len(response.documents) <= limit, "page larger than page_size"
            assert response.resume_token, "resume_token must always be set (REQ-PULL-003)"
            for document in response.documents:
                assert document.recipient_country == self.country, (
                    f"{self.country} was given another country's document"
                )
                ids.append(document.request_id.lower())
                sequences.append(document.sequence)
            resume = response.resume_token
            if not response.next_page_token:
                return ids, sequences, resume
            assert response.documents, "an empty page with a next_page_token"
            token = response.next_page_token
        raise AssertionError("the feed never ended")


def unreachable_feed(
    adapter: AdapterClient, suite_pki: SuitePki, target: Target, *, country: str = "XA"
) -> Feed:
    """Points the node's partner ``country`` at a closed port and returns its view of the feed."""
    unstarted = PartnerNode.for_target(suite_pki, target, country=country)
    harness = SenderHarness(adapter=adapter, partner=unstarted, recorder=target.recorder)
    harness.configure(address=CLOSED_PORT, deadline_ms=200)
    return Feed(harness=harness, target=target, country=country)


class Watch:
    """A WatchDocuments stream as XA, read on a thread into a queue (REQ-PULL-004)."""

    def __init__(self, target: Target, cursor: str, *, timeout: float = 60.0) -> None:
        self.items: queue.Queue[exchange_service_pb2.WatchDocumentsResponse | Exception] = (
            queue.Queue()
        )
        self._call = target.exchange("XA").WatchDocuments(
            exchange_service_pb2.WatchDocumentsRequest(cursor=cursor), timeout=timeout
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
        self, count: int, timeout: float = 15.0, *, partial: bool = False
    ) -> list[exchange_service_pb2.WatchDocumentsResponse]:
        """The next ``count`` documents (fewer if the stream is cancelled).

        Args:
            count: How many documents to wait for.
            timeout: Seconds to wait for each of them.
            partial: Return what came so far when one does not come within ``timeout``.

        Raises:
            grpc.RpcError: The stream ended with an error.
            queue.Empty: Nothing came within ``timeout`` (without ``partial``).
        """
        out: list[exchange_service_pb2.WatchDocumentsResponse] = []
        for _ in range(count):
            try:
                item = self.items.get(timeout=timeout)
            except queue.Empty:
                if partial:
                    break
                raise
            if isinstance(item, Exception):
                if isinstance(item, grpc.Call) and item.code() == grpc.StatusCode.CANCELLED:
                    break
                raise item
            out.append(item)
        return out

    def close(self) -> None:
        """Cancel the stream."""
        self._call.cancel()  # type: ignore[no-untyped-call]
        self._thread.join(timeout=5)


def first_watch_answer(
    target: Target,
    request: exchange_service_pb2.WatchDocumentsRequest,
    *,
    caller: str = "XA",
    timeout: float = 10.0,
) -> Outcome[exchange_service_pb2.WatchDocumentsResponse]:
    """Opens WatchDocuments and returns its first message or the refusal that ended it.

    The refusal is parsed like a unary one (code, ErrorInfo, BadRequest), so a watch is
    judged by code and reason as every other refusal (REQ-ERR-001, REQ-ERR-002).
    """
    call = target.exchange(caller).WatchDocuments(request, timeout=timeout)
    outcome: Outcome[exchange_service_pb2.WatchDocumentsResponse]
    try:
        outcome = Outcome(response=next(iter(call)))
    except grpc.RpcError as error:
        outcome = Outcome(refusal=_refusal_from_error(error))
    except StopIteration:
        outcome = Outcome(response=None, refusal=None)
    finally:
        call.cancel()  # type: ignore[no-untyped-call]
    target.recorder.record(
        Exchange(
            rpc="ExchangeService/WatchDocuments",
            caller=caller,
            request=f"cursor={request.cursor!r} kind={request.kind}",
            outcome=outcome.summary(),
            message=outcome.refusal.message if outcome.refusal else "",
        )
    )
    return outcome
