"""The durable outbox worker (docs/spec.md REQ-PUSH-004, REQ-PUSH-006).

Documents to deliver sit in the store's outbox table (written in the same
transaction that issued them), so nothing queued is lost by a crash. The
worker sends every due entry with the same request id and the same envelope
bytes on every attempt, and:

- on a receipt: verifies it (signature by the recipient's node signer, request
  id and payload digest); a valid one marks the entry DELIVERED (or
  DELIVERED_WITH_WARNINGS) and is stored; a bad one counts as not delivered
  and is retried later, with its reason recorded;
- on UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED other than
  ``MESSAGE_TOO_LARGE`` or a broken connection: retries with exponential
  backoff and jitter;
- a request larger than the partner's published ``max_message_bytes``
  (NodeInfo, asked once per partner) is not sent, and a RESOURCE_EXHAUSTED
  without ErrorInfo for a request larger than gRPC's default 4 MiB is the
  transport's size check: both end FAILED with ``MESSAGE_TOO_LARGE``
  (REQ-LIM-001);
- on any other refusal: marks the entry FAILED with the ErrorInfo reason, for
  the operator (``eco-node status``) and the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import grpc
from grpc_status import rpc_status

from reference_node.config import DeliveryConfig
from reference_node.core.errors import EcoError
from reference_node.sender.client import (
    GRPC_DEFAULT_MAX_MESSAGE_BYTES,
    PartnerRegistry,
    submit_request_size,
)
from reference_node.server.status import reason_of_status
from reference_node.store.base import OutboxRecord, WriteTransaction
from reference_node.store.sqlite import SqliteStore
from wco.eco.v1 import envelope_pb2

__all__ = [
    "LEASE_MARGIN",
    "RETRYABLE_CODES",
    "AttemptOutcome",
    "OutboxWorker",
    "ReceiptAcceptor",
    "backoff_delay",
]

logger = logging.getLogger(__name__)

PENDING = envelope_pb2.DELIVERY_STATUS_PENDING
DELIVERED = envelope_pb2.DELIVERY_STATUS_DELIVERED
FAILED = envelope_pb2.DELIVERY_STATUS_FAILED

#: Codes after which a submission is retried (REQ-PUSH-006).
RETRYABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)

_TOO_LARGE = "MESSAGE_TOO_LARGE"

#: How long a claimed entry stays leased beyond the attempt deadline; after that
#: another worker may take it over (its holder is presumed dead).
LEASE_MARGIN = dt.timedelta(seconds=10)

#: Verifies a partner's receipt for an outbox entry and returns its delivery
#: status; raises :class:`EcoError` when the receipt is not acceptable.
ReceiptVerifier = Callable[[OutboxRecord, envelope_pb2.Envelope, dt.datetime], int]
#: Applies the consequences of a verified delivery inside the same transaction.
ReceiptAcceptor = Callable[
    [WriteTransaction, OutboxRecord, envelope_pb2.Envelope, dt.datetime], None
]


def backoff_delay(
    attempts: int, *, initial_ms: int, max_ms: int, rng: random.Random
) -> dt.timedelta:
    """Exponential backoff with jitter: ``min(max, initial * 2**(n-1))`` times U(0.5, 1]."""
    exponent = max(0, min(attempts - 1, 32))
    ceiling = min(float(max_ms), float(initial_ms) * (2.0**exponent))
    return dt.timedelta(milliseconds=ceiling * (0.5 + 0.5 * rng.random()))


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """Result of one delivery attempt.

    Attributes:
        status: New ``DeliveryStatus``.
        reason: ErrorInfo reason (or transport code name) of a failure, or ``""``.
        message: Failure text, or ``""``.
        receipt: The verified receipt envelope, when delivered.
    """

    status: int
    reason: str = ""
    message: str = ""
    receipt: envelope_pb2.Envelope | None = None


class OutboxWorker:
    """Delivers the outbox of one node (REQ-PUSH-006). Runs on one event loop."""

    def __init__(
        self,
        *,
        store: SqliteStore,
        partners: PartnerRegistry,
        delivery: DeliveryConfig,
        verify_receipt: ReceiptVerifier,
        accept_receipt: ReceiptAcceptor,
        clock: Callable[[], dt.datetime],
        rng: random.Random | None = None,
        concurrency: int = 8,
    ) -> None:
        self._store = store
        self._partners = partners
        self._delivery = delivery
        self._verify = verify_receipt
        self._accept = accept_receipt
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        #: Lease owner name of this worker, unique across processes and restarts.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"

    def wake(self) -> None:
        """Look at the outbox now (new entries or a changed partner)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, polling for entries queued by other processes."""
        poll = self._delivery.poll_interval_ms / 1000.0
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception:
                logger.exception("outbox pass failed")
            self._wake.clear()
            next_due = await self._store.read_async(self._store.next_due_time)
            timeout = poll
            if next_due is not None:
                wait = (next_due - self._clock()).total_seconds()
                timeout = max(0.0, min(poll, wait))
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def deliver_due(self) -> int:
        """Make one attempt for every entry due now; return how many were attempted.

        Each entry is claimed (leased) in a write transaction right before its
        attempt, so a concurrent pass, an adapter ``Deliver`` or another
        process on the same database never sends it at the same time; a lease
        left by a crashed attempt expires after the attempt deadline plus
        :data:`LEASE_MARGIN` (REQ-PUSH-006).
        """
        due = await self._store.read_async(
            lambda: self._store.due_outbox(now=self._clock(), limit=256)
        )
        due = [e for e in due if e.outbox_id not in self._in_flight]
        if not due:
            return 0
        # Reserved before any await, so a concurrent pass of this worker skips them.
        self._in_flight.update(e.outbox_id for e in due)
        semaphore = asyncio.Semaphore(self._concurrency)
        attempted = 0

        async def one(entry: OutboxRecord) -> None:
            nonlocal attempted
            try:
                async with semaphore:
                    claimed = await self._claim(entry)
                    if claimed is None:
                        return  # settled, rescheduled or leased elsewhere since it was read
                    attempted += 1
                    try:
                        await self.attempt(claimed)
                    except asyncio.CancelledError:
                        # Cut short (a Deliver timeout, shutdown): the entry is due again now,
                        # as it was before the claim; the next attempt reuses the request id.
                        self._release_soon(claimed.outbox_id)
                        raise
                    except Exception:
                        logger.exception("delivery attempt of %s failed", claimed.request_id)
                        await self._release(claimed.outbox_id)
            finally:
                self._in_flight.discard(entry.outbox_id)

        await asyncio.gather(*(one(e) for e in due))
        return attempted

    def _lease_seconds(self, entry: OutboxRecord) -> float:
        endpoint = self._partners.endpoint(entry.recipient)
        deadline_ms = (endpoint.deadline_ms if endpoint else 0) or self._delivery.deadline_ms
        return deadline_ms / 1000.0 + LEASE_MARGIN.total_seconds()

    async def _claim(self, entry: OutboxRecord) -> OutboxRecord | None:
        now = self._clock()
        until = now + dt.timedelta(seconds=self._lease_seconds(entry))
        owner = self.owner
        outbox_id = entry.outbox_id
        return await self._store.write_async(
            lambda tx: tx.claim_outbox(outbox_id, owner=owner, now=now, lease_until=until)
        )

    def _release_soon(self, outbox_id: int) -> None:
        owner = self.owner
        try:
            self._store.write_future(lambda tx: tx.release_outbox(outbox_id, owner=owner))
        except EcoError:  # the store is closed: the lease expires instead
            logger.info("lease of outbox entry %d left to expire", outbox_id)

    async def _release(self, outbox_id: int) -> None:
        owner = self.owner
        try:
            await self._store.write_async(lambda tx: tx.release_outbox(outbox_id, owner=owner))
        except Exception:
            logger.exception("cannot release the lease of outbox entry %d", outbox_id)

    async def drain(self, *, timeout_s: float) -> bool:
        """Deliver until nothing is due (pending entries may wait for a later retry).

        Returns:
            True when nothing was due any more before the timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            attempted = await asyncio.wait_for(
                self.deliver_due(), timeout=max(0.01, deadline - loop.time())
            )
            if attempted == 0 and not self._in_flight:
                return True
            if attempted == 0:
                await asyncio.sleep(0.02)  # an attempt of the background loop is under way
            if loop.time() >= deadline:
                return False

    async def attempt(self, entry: OutboxRecord) -> AttemptOutcome:
        """Make one delivery attempt of ``entry`` and record its outcome.

        The caller must hold the entry's lease (see :meth:`deliver_due`);
        recording the outcome ends it.
        """
        self._in_flight.add(entry.outbox_id)
        try:
            outcome = await self._attempt(entry)
            await self._record(entry, outcome)
            return outcome
        finally:
            self._in_flight.discard(entry.outbox_id)

    async def _attempt(self, entry: OutboxRecord) -> AttemptOutcome:
        client = self._partners.client(entry.recipient)
        if client is None:
            return AttemptOutcome(
                status=PENDING,
                reason="NO_PARTNER_ADDRESS",
                message=f"no address configured for partner {entry.recipient}; it may pull",
            )
        endpoint = client.endpoint
        deadline_ms = endpoint.deadline_ms or self._delivery.deadline_ms
        size = submit_request_size(entry.request_id, entry.envelope)
        try:
            published = await client.published_max_message_bytes()
        except (OSError, RuntimeError) as exc:  # broken connection below gRPC: limit unknown
            logger.info("NodeInfo of %s unavailable: %s", entry.recipient, exc)
            published = 0
        if published and size > published:
            message = (
                f"request of {size} bytes exceeds {entry.recipient}'s published "
                f"max_message_bytes {published}"
            )
            logger.error("delivery of %s not sent: %s", entry.request_id, message)
            return AttemptOutcome(status=FAILED, reason=_TOO_LARGE, message=message)
        try:
            receipt = await client.submit(
                request_id=entry.request_id,
                envelope=entry.envelope,
                timeout_s=deadline_ms / 1000.0,
            )
        except grpc.aio.AioRpcError as exc:
            return self._refusal(entry, exc, size=size)
        except (OSError, RuntimeError) as exc:  # broken connection below gRPC
            return AttemptOutcome(status=PENDING, reason="CONNECTION_FAILED", message=str(exc))
        try:
            status = self._verify(entry, receipt, self._clock())
        except EcoError as exc:
            logger.warning(
                "receipt from %s for %s rejected: %s",
                entry.recipient,
                entry.request_id,
                exc.diagnostics(),
            )
            return AttemptOutcome(status=PENDING, reason=exc.reason, message=exc.message)
        return AttemptOutcome(status=status, receipt=receipt)

    def _refusal(
        self, entry: OutboxRecord, exc: grpc.aio.AioRpcError, *, size: int
    ) -> AttemptOutcome:
        """Classify a failed call (REQ-PUSH-006).

        A RESOURCE_EXHAUSTED without ErrorInfo for a request larger than gRPC's
        default receive limit is the partner's transport refusing the message
        size (REQ-LIM-001): it is final, reported as ``MESSAGE_TOO_LARGE``.
        """
        code = exc.code()
        reason = ""
        try:
            status = rpc_status.from_call(cast(grpc.Call, exc))
        except ValueError:
            status = None
        if status is not None:
            reason = reason_of_status(status)
        message = exc.details() or ""
        if (
            code == grpc.StatusCode.RESOURCE_EXHAUSTED
            and not reason
            and size > GRPC_DEFAULT_MAX_MESSAGE_BYTES
        ):
            reason = _TOO_LARGE
            message = f"request of {size} bytes refused by the transport: {message}"
        retry = code in RETRYABLE_CODES and not (
            code == grpc.StatusCode.RESOURCE_EXHAUSTED and reason == _TOO_LARGE
        )
        label = reason or code.name
        if retry:
            logger.info(
                "delivery of %s to %s: %s, will retry", entry.request_id, entry.recipient, label
            )
            return AttemptOutcome(status=PENDING, reason=label, message=message)
        logger.error(
            "delivery of %s to %s refused: %s %s (%s)",
            entry.request_id,
            entry.recipient,
            code.name,
            reason,
            message,
        )
        return AttemptOutcome(status=FAILED, reason=label, message=message)

    async def _record(self, entry: OutboxRecord, outcome: AttemptOutcome) -> None:
        now = self._clock()
        attempts = entry.attempts + 1
        status = outcome.status
        reason = outcome.reason
        message = outcome.message
        max_attempts = self._delivery.max_attempts
        if status == PENDING and max_attempts and attempts >= max_attempts:
            status = FAILED
            message = f"gave up after {attempts} attempts: {message}"
        next_time = now + backoff_delay(
            attempts,
            initial_ms=self._delivery.initial_backoff_ms,
            max_ms=self._delivery.max_backoff_ms,
            rng=self._rng,
        )
        receipt = outcome.receipt
        owner = self.owner

        def write(tx: WriteTransaction) -> None:
            current = tx.outbox_entry(entry.outbox_id)
            if current is None or current.status != PENDING:
                tx.release_outbox(entry.outbox_id, owner=owner)
                return  # settled meanwhile (another process delivered it)
            if receipt is not None:
                self._accept(tx, current, receipt, now)
            tx.update_outbox(
                entry.outbox_id,
                status=status,
                attempts=max(attempts, current.attempts + 1),
                next_attempt_time=next_time,
                last_error_reason=reason,
                last_error_message=message,
                receipt=receipt.SerializeToString() if receipt is not None else None,
            )
            tx.release_outbox(entry.outbox_id, owner=owner)

        await self._store.write_async(write)
