"""The storage interface the node's adapters use (ADR 0001, docs/spec.md REQ-PUSH-001).

A :class:`Store` keeps four things: the document feed (every document received
or issued, with its exact envelope bytes and, for received ones, the receipt
signed for it), the lifecycle state of each certificate, the verification
cases, and the outbox of documents to deliver to partners.

All writes go through :meth:`Store.write`: the given function runs inside one
transaction against a :class:`WriteTransaction` and its effects are durable
(committed and synced) before the call returns, so a receipt computed inside is
handed out only after the commit (REQ-PUSH-001). If the function raises, none
of its writes happen (REQ-PUSH-002). Implementations may group several
concurrent writes into one commit.

State blobs (certificate and verification state) are opaque here; the service
layer encodes and decodes them. A PostgreSQL implementation fills the same
interface.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "CertificateRow",
    "DocumentRecord",
    "NewDocument",
    "OutboxRecord",
    "Store",
    "VerificationRow",
    "WriteTransaction",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDocument:
    """A document to append to the feed (its sequence is assigned on insert).

    Attributes:
        request_id: Message id it was submitted or issued under.
        sender_country: Sending country (section 5.3).
        recipient_country: Recipient country.
        kind: ``DocumentKind`` value.
        payload_type: The envelope's payload type.
        payload_sha256: Lowercase hex SHA-256 of the payload bytes.
        envelope: The serialized envelope, exactly as received or issued.
        certificate_key: ``CC/authority-id/number`` of the certificate concerned.
        verification_id: The verification case id, for verification documents.
        store_time: When it was stored.
        origin: ``"received"`` (pushed by a partner) or ``"issued"`` (by this node).
        receipt: The serialized receipt signed for it, when known at insert
            (it names the sequence: see :meth:`WriteTransaction.next_sequence`).
    """

    request_id: str
    sender_country: str
    recipient_country: str
    kind: int
    payload_type: str
    payload_sha256: str
    envelope: bytes
    certificate_key: str
    verification_id: str | None
    store_time: dt.datetime
    origin: str
    receipt: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRecord:
    """A stored document of the feed (``StoredDocument``).

    Attributes:
        sequence: Position in the feed, strictly increasing in store order.
        receipt: Serialized receipt envelope the node signed for it (received
            documents), or ``None``.
    """

    sequence: int
    request_id: str
    sender_country: str
    recipient_country: str
    kind: int
    payload_type: str
    payload_sha256: str
    envelope: bytes
    certificate_key: str
    verification_id: str | None
    store_time: dt.datetime
    origin: str
    receipt: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRow:
    """Stored lifecycle state of one certificate.

    Attributes:
        key: ``CC/authority-id/number``.
        exporting_country: Its exporting country.
        importing_country: Its importing country.
        request_id: Request id of the CO document (REQ-IDEM-004).
        state: Encoded state blob (service layer codec).
        update_time: When the state last changed.
    """

    key: str
    exporting_country: str
    importing_country: str
    request_id: str
    state: bytes
    update_time: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationRow:
    """Stored state of one verification case (section 8).

    Attributes:
        verification_id: Case id (UUID).
        requesting_country: Importing country that asked.
        certificate_key: The certificate under verification.
        exporting_country: Exporting country of that certificate.
        state: Encoded case blob (service layer codec).
        update_time: When the case last changed.
    """

    verification_id: str
    requesting_country: str
    certificate_key: str
    exporting_country: str
    state: bytes
    update_time: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRecord:
    """One document queued for a partner (REQ-PUSH-004, REQ-PUSH-006).

    Attributes:
        outbox_id: Local id, increasing in queue order.
        request_id: Message id used for every attempt.
        recipient: Partner country.
        envelope: Serialized envelope, sent byte for byte on every attempt.
        payload_sha256: Digest the receipt must echo.
        status: ``DeliveryStatus`` value.
        attempts: Attempts made.
        next_attempt_time: When the next attempt is due.
        last_error_reason: ErrorInfo reason (or transport code) of the last failure.
        last_error_message: Text of the last failure.
        receipt: Serialized verified receipt, once delivered.
        created_time: When it was queued.
        certificate_key: Certificate concerned.
        verification_id: Verification case id, for verification documents.
    """

    outbox_id: int
    request_id: str
    recipient: str
    envelope: bytes
    payload_sha256: str
    status: int
    attempts: int
    next_attempt_time: dt.datetime
    last_error_reason: str
    last_error_message: str
    receipt: bytes | None
    created_time: dt.datetime
    certificate_key: str
    verification_id: str | None


class WriteTransaction(ABC):
    """What a write function may read and change, inside one transaction."""

    @abstractmethod
    def document_by_request(self, sender_country: str, request_id: str) -> DocumentRecord | None:
        """The document stored under (sender country, request id) (REQ-IDEM-002)."""

    @abstractmethod
    def certificate(self, key: str) -> CertificateRow | None:
        """The stored certificate state, or ``None``."""

    @abstractmethod
    def verification(self, requesting_country: str, verification_id: str) -> VerificationRow | None:
        """The stored verification case, or ``None``."""

    @abstractmethod
    def verifications_by_id(self, verification_id: str) -> Sequence[VerificationRow]:
        """Every stored case with that id (one per requesting country at most)."""

    @abstractmethod
    def next_sequence(self) -> int:
        """The sequence the next :meth:`insert_document` of this transaction assigns."""

    @abstractmethod
    def insert_document(self, document: NewDocument) -> int:
        """Append a document to the feed and return its sequence."""

    @abstractmethod
    def set_receipt(self, sequence: int, receipt: bytes) -> None:
        """Record the receipt signed for document ``sequence``."""

    @abstractmethod
    def put_certificate(self, row: CertificateRow) -> None:
        """Insert or replace a certificate's state."""

    @abstractmethod
    def put_verification(self, row: VerificationRow) -> None:
        """Insert or replace a verification case."""

    @abstractmethod
    def enqueue(
        self,
        *,
        request_id: str,
        recipient: str,
        envelope: bytes,
        payload_sha256: str,
        certificate_key: str,
        verification_id: str | None,
        now: dt.datetime,
    ) -> int:
        """Queue a document for delivery and return its outbox id."""

    @abstractmethod
    def outbox_entry(self, outbox_id: int) -> OutboxRecord | None:
        """One outbox entry, or ``None``."""

    @abstractmethod
    def update_outbox(
        self,
        outbox_id: int,
        *,
        status: int,
        attempts: int,
        next_attempt_time: dt.datetime,
        last_error_reason: str,
        last_error_message: str,
        receipt: bytes | None,
    ) -> None:
        """Record the outcome of a delivery attempt."""

    @abstractmethod
    def claim_outbox(
        self, outbox_id: int, *, owner: str, now: dt.datetime, lease_until: dt.datetime
    ) -> OutboxRecord | None:
        """Lease a due, pending, unleased entry to ``owner`` until ``lease_until``.

        The claim and the checks happen in this write transaction, so two
        workers (in one process or several) can never both hold an entry
        (REQ-PUSH-006: one attempt at a time per queued document). A lease that
        expired (its holder crashed mid-attempt) can be claimed again.

        Returns:
            The claimed entry, or ``None`` when it is settled, not due, or
            leased by someone else.
        """

    @abstractmethod
    def release_outbox(self, outbox_id: int, *, owner: str) -> None:
        """End ``owner``'s lease on an entry (no-op when another owner holds it)."""


class Store(ABC):
    """Durable storage of one node (ADR 0001)."""

    @abstractmethod
    def write(self, fn: Callable[[WriteTransaction], T]) -> T:
        """Run ``fn`` in one transaction, commit durably, return its result.

        Raises:
            Exception: Whatever ``fn`` raised (then nothing was written), or
                :class:`~reference_node.core.errors.NodeUnavailable` when the
                commit itself failed.
        """

    @abstractmethod
    def write_async(self, fn: Callable[[WriteTransaction], T]) -> Awaitable[T]:
        """Like :meth:`write`, without blocking the event loop."""

    @abstractmethod
    def read_async(self, fn: Callable[..., T], /, *args: object) -> Awaitable[T]:
        """Run a blocking read method of this store off the event loop."""

    @abstractmethod
    def document_by_request(self, sender_country: str, request_id: str) -> DocumentRecord | None:
        """The document stored under (sender country, request id)."""

    @abstractmethod
    def documents_by_request_id(self, request_id: str) -> Sequence[DocumentRecord]:
        """Every document with that request id (any sender)."""

    @abstractmethod
    def certificate_document(self, certificate_key: str) -> DocumentRecord | None:
        """The CO document of a certificate."""

    @abstractmethod
    def certificate(self, key: str) -> CertificateRow | None:
        """The stored state of a certificate."""

    @abstractmethod
    def verifications_by_id(self, verification_id: str) -> Sequence[VerificationRow]:
        """Every stored verification case with that id."""

    @abstractmethod
    def list_documents(
        self, *, recipient: str | None, after: int, kind: int, limit: int
    ) -> Sequence[DocumentRecord]:
        """Documents after sequence ``after`` in feed order (``kind`` 0 = all)."""

    @abstractmethod
    def last_sequence(self) -> int:
        """Highest sequence in the feed (0 when empty)."""

    @abstractmethod
    def outbox(self, *, pending_only: bool = False) -> Sequence[OutboxRecord]:
        """Outbox entries, oldest first."""

    @abstractmethod
    def due_outbox(self, *, now: dt.datetime, limit: int) -> Sequence[OutboxRecord]:
        """Pending, unleased entries whose next attempt is due at ``now``."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Numbers of documents, certificates, cases and outbox entries by status."""

    @abstractmethod
    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(last_sequence)`` after each commit that appended documents."""

    @abstractmethod
    def close(self) -> None:
        """Finish queued writes and release connections."""
