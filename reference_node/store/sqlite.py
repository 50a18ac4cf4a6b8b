"""SQLite implementation of the node store (ADR 0001; docs/spec.md REQ-PUSH-001, REQ-PULL-003).

- WAL journal with ``synchronous=FULL``: a commit is on disk before
  :meth:`SqliteStore.write` returns, so a receipt is never handed out for a
  document that a crash could lose (REQ-PUSH-001).
- One writer thread owns the only writing connection. Write functions queued
  at the same time are run in one transaction, each inside its own savepoint
  (a failing one is rolled back alone), and committed with one fsync: group
  commit.
- Reads use one connection per reader thread (WAL readers never block the
  writer).
- WAL checkpoints run in a background thread on their own connection, not
  inside the writer's commits: a commit only appends to the WAL and syncs it,
  so the receipts waiting on it are not held up while pages are copied into
  the database file and that file is synced.
- The schema is versioned in ``schema_version``; migrations run in order at
  open and never change an applied version.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import fcntl
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reference_node.core.errors import NodeUnavailable
from reference_node.store.base import (
    CertificateRow,
    DocumentRecord,
    NewDocument,
    OutboxRecord,
    Store,
    VerificationRow,
    WriteTransaction,
)
from wco.eco.v1 import envelope_pb2

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqliteStore", "from_micros", "to_micros"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Delivery status values (``wco.eco.v1.DeliveryStatus``) the outbox uses.
_PENDING = 1

#: Versioned migrations: (version, SQL). Append only; never edit an applied one.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE documents (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            sender_country TEXT NOT NULL,
            recipient_country TEXT NOT NULL,
            kind INTEGER NOT NULL,
            payload_type TEXT NOT NULL,
            payload_sha256 TEXT NOT NULL,
            envelope BLOB NOT NULL,
            certificate_key TEXT NOT NULL,
            verification_id TEXT,
            store_time INTEGER NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('received', 'issued')),
            receipt BLOB,
            UNIQUE (sender_country, request_id)
        );
        CREATE INDEX documents_request ON documents (request_id);
        CREATE INDEX documents_recipient ON documents (recipient_country, sequence);
        CREATE INDEX documents_certificate ON documents (certificate_key, kind);
        CREATE TABLE certificates (
            key TEXT PRIMARY KEY,
            exporting_country TEXT NOT NULL,
            importing_country TEXT NOT NULL,
            request_id TEXT NOT NULL,
            state BLOB NOT NULL,
            update_time INTEGER NOT NULL
        );
        CREATE TABLE verifications (
            requesting_country TEXT NOT NULL,
            verification_id TEXT NOT NULL,
            certificate_key TEXT NOT NULL,
            exporting_country TEXT NOT NULL,
            state BLOB NOT NULL,
            update_time INTEGER NOT NULL,
            PRIMARY KEY (requesting_country, verification_id)
        );
        CREATE INDEX verifications_id ON verifications (verification_id);
        CREATE TABLE outbox (
            outbox_id INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL UNIQUE,
            recipient TEXT NOT NULL,
            envelope BLOB NOT NULL,
            payload_sha256 TEXT NOT NULL,
            status INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_time INTEGER NOT NULL,
            last_error_reason TEXT NOT NULL DEFAULT '',
            last_error_message TEXT NOT NULL DEFAULT '',
            receipt BLOB,
            created_time INTEGER NOT NULL,
            certificate_key TEXT NOT NULL,
            verification_id TEXT
        );
        CREATE INDEX outbox_due ON outbox (status, next_attempt_time);
        """,
    ),
    (
        2,
        """
        ALTER TABLE outbox ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
        ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
        """,
    ),
)

#: The schema version this code writes.
SCHEMA_VERSION = MIGRATIONS[-1][0]

_MAX_BATCH = 128
#: Seconds the checkpointer lets commits accumulate before it checkpoints them.
_CHECKPOINT_DELAY = 0.5
_DOC_COLUMNS = (
    "sequence, request_id, sender_country, recipient_country, kind, payload_type, "
    "payload_sha256, envelope, certificate_key, verification_id, store_time, origin, receipt"
)
_OUTBOX_COLUMNS = (
    "outbox_id, request_id, recipient, envelope, payload_sha256, status, attempts, "
    "next_attempt_time, last_error_reason, last_error_message, receipt, created_time, "
    "certificate_key, verification_id"
)
# Statements of the receive path, built once: sqlite3's statement cache is keyed
# by the SQL text, so a constant string is found without building it again.
_SQL_DOCUMENT_BY_REQUEST = (
    f"SELECT {_DOC_COLUMNS} FROM documents WHERE sender_country = ? AND request_id = ?"  # noqa: S608
)
_SQL_CERTIFICATE = (
    "SELECT key, exporting_country, importing_country, request_id, state, update_time "
    "FROM certificates WHERE key = ?"
)
_SQL_INSERT_DOCUMENT = (
    "INSERT INTO documents (sequence, request_id, sender_country, recipient_country, "
    "kind, payload_type, payload_sha256, envelope, certificate_key, verification_id, "
    "store_time, origin, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQL_PUT_CERTIFICATE = (
    "INSERT INTO certificates (key, exporting_country, importing_country, request_id, "
    "state, update_time) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
    "state = excluded.state, update_time = excluded.update_time"
)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def to_micros(at: dt.datetime) -> int:
    """Encode an aware datetime as integer microseconds since the epoch (UTC)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    # timedelta // timedelta is exact integer arithmetic on days, seconds, microseconds.
    return (at - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> dt.datetime:
    """Inverse of :func:`to_micros`."""
    return _EPOCH + dt.timedelta(microseconds=value)


def _document(row: sqlite3.Row | tuple[Any, ...]) -> DocumentRecord:
    return DocumentRecord(
        sequence=row[0],
        request_id=row[1],
        sender_country=row[2],
        recipient_country=row[3],
        kind=row[4],
        payload_type=row[5],
        payload_sha256=row[6],
        envelope=bytes(row[7]),
        certificate_key=row[8],
        verification_id=row[9],
        store_time=from_micros(row[10]),
        origin=row[11],
        receipt=bytes(row[12]) if row[12] is not None else None,
    )


def _outbox(row: tuple[Any, ...]) -> OutboxRecord:
    return OutboxRecord(
        outbox_id=row[0],
        request_id=row[1],
        recipient=row[2],
        envelope=bytes(row[3]),
        payload_sha256=row[4],
        status=row[5],
        attempts=row[6],
        next_attempt_time=from_micros(row[7]),
        last_error_reason=row[8],
        last_error_message=row[9],
        receipt=bytes(row[10]) if row[10] is not None else None,
        created_time=from_micros(row[11]),
        certificate_key=row[12],
        verification_id=row[13],
    )


def _certificate(row: tuple[Any, ...]) -> CertificateRow:
    return CertificateRow(
        key=row[0],
        exporting_country=row[1],
        importing_country=row[2],
        request_id=row[3],
        state=bytes(row[4]),
        update_time=from_micros(row[5]),
    )


def _verification(row: tuple[Any, ...]) -> VerificationRow:
    return VerificationRow(
        requesting_country=row[0],
        verification_id=row[1],
        certificate_key=row[2],
        exporting_country=row[3],
        state=bytes(row[4]),
        update_time=from_micros(row[5]),
    )


class _Reads:
    """Queries shared by the writer transaction and the read connections."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def document_by_request(self, sender_country: str, request_id: str) -> DocumentRecord | None:
        row = self.conn.execute(_SQL_DOCUMENT_BY_REQUEST, (sender_country, request_id)).fetchone()
        return _document(row) if row is not None else None

    def certificate(self, key: str) -> CertificateRow | None:
        row = self.conn.execute(_SQL_CERTIFICATE, (key,)).fetchone()
        return _certificate(row) if row is not None else None

    def verifications_by_id(self, verification_id: str) -> list[VerificationRow]:
        rows = self.conn.execute(
            "SELECT requesting_country, verification_id, certificate_key, exporting_country, "
            "state, update_time FROM verifications WHERE verification_id = ? "
            "ORDER BY requesting_country",
            (verification_id,),
        ).fetchall()
        return [_verification(r) for r in rows]

    def outbox_entry(self, outbox_id: int) -> OutboxRecord | None:
        row = self.conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE outbox_id = ?",  # noqa: S608
            (outbox_id,),
        ).fetchone()
        return _outbox(row) if row is not None else None


@dataclass(slots=True)
class _Batch:
    """State shared by the jobs of one write transaction.

    ``next_sequence`` is read once per transaction (the writer holds SQLite's
    write lock from ``BEGIN IMMEDIATE`` to ``COMMIT``, so no other process can
    append meanwhile) and advanced by each insert; a job rolled back restores
    it.
    """

    next_sequence: int | None = None
    appended: bool = False


class _Transaction(_Reads, WriteTransaction):
    """:class:`WriteTransaction` over the writer connection."""

    def __init__(self, conn: sqlite3.Connection, batch: _Batch | None = None) -> None:
        super().__init__(conn)
        self.batch = batch if batch is not None else _Batch()

    @property
    def appended(self) -> bool:
        """Whether a document was inserted in this transaction."""
        return self.batch.appended

    def next_sequence(self) -> int:
        batch = self.batch
        if batch.next_sequence is None:
            row = self.conn.execute(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'documents'), "
                "0), COALESCE((SELECT MAX(sequence) FROM documents), 0))"
            ).fetchone()
            batch.next_sequence = int(row[0]) + 1
        return batch.next_sequence

    def verification(self, requesting_country: str, verification_id: str) -> VerificationRow | None:
        row = self.conn.execute(
            "SELECT requesting_country, verification_id, certificate_key, exporting_country, "
            "state, update_time FROM verifications "
            "WHERE requesting_country = ? AND verification_id = ?",
            (requesting_country, verification_id),
        ).fetchone()
        return _verification(row) if row is not None else None

    def insert_document(self, document: NewDocument) -> int:
        sequence = self.next_sequence()
        self.conn.execute(
            _SQL_INSERT_DOCUMENT,
            (
                sequence,
                document.request_id,
                document.sender_country,
                document.recipient_country,
                document.kind,
                document.payload_type,
                document.payload_sha256,
                document.envelope,
                document.certificate_key,
                document.verification_id,
                to_micros(document.store_time),
                document.origin,
                document.receipt,
            ),
        )
        batch = self.batch
        batch.next_sequence = sequence + 1
        batch.appended = True
        return sequence

    def set_receipt(self, sequence: int, receipt: bytes) -> None:
        self.conn.execute(
            "UPDATE documents SET receipt = ? WHERE sequence = ?", (receipt, sequence)
        )

    def put_certificate(self, row: CertificateRow) -> None:
        self.conn.execute(
            _SQL_PUT_CERTIFICATE,
            (
                row.key,
                row.exporting_country,
                row.importing_country,
                row.request_id,
                row.state,
                to_micros(row.update_time),
            ),
        )

    def put_verification(self, row: VerificationRow) -> None:
        self.conn.execute(
            "INSERT INTO verifications (requesting_country, verification_id, certificate_key, "
            "exporting_country, state, update_time) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (requesting_country, verification_id) DO UPDATE SET "
            "state = excluded.state, update_time = excluded.update_time",
            (
                row.requesting_country,
                row.verification_id,
                row.certificate_key,
                row.exporting_country,
                row.state,
                to_micros(row.update_time),
            ),
        )

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
        micros = to_micros(now)
        cursor = self.conn.execute(
            "INSERT INTO outbox (request_id, recipient, envelope, payload_sha256, status, "
            "next_attempt_time, created_time, certificate_key, verification_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                recipient,
                envelope,
                payload_sha256,
                _PENDING,
                micros,
                micros,
                certificate_key,
                verification_id,
            ),
        )
        outbox_id = cursor.lastrowid
        if outbox_id is None:  # pragma: no cover
            raise NodeUnavailable("outbox insert returned no id")
        return outbox_id

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
        self.conn.execute(
            "UPDATE outbox SET status = ?, attempts = ?, next_attempt_time = ?, "
            "last_error_reason = ?, last_error_message = ?, receipt = ? WHERE outbox_id = ?",
            (
                status,
                attempts,
                to_micros(next_attempt_time),
                last_error_reason,
                last_error_message,
                receipt,
                outbox_id,
            ),
        )

    def claim_outbox(
        self, outbox_id: int, *, owner: str, now: dt.datetime, lease_until: dt.datetime
    ) -> OutboxRecord | None:
        micros = to_micros(now)
        cursor = self.conn.execute(
            "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE outbox_id = ? "
            "AND status = ? AND next_attempt_time <= ? AND lease_until <= ?",
            (owner, to_micros(lease_until), outbox_id, _PENDING, micros, micros),
        )
        if cursor.rowcount != 1:
            return None
        return self.outbox_entry(outbox_id)

    def release_outbox(self, outbox_id: int, *, owner: str) -> None:
        self.conn.execute(
            "UPDATE outbox SET lease_owner = '', lease_until = 0 "
            "WHERE outbox_id = ? AND lease_owner = ?",
            (outbox_id, owner),
        )


class _Job:
    """One queued write function and how its caller waits for the outcome.

    Either ``future`` (a thread waits: :meth:`SqliteStore.write`,
    :meth:`SqliteStore.write_future`) or ``waiter`` with its ``loop`` (a
    coroutine waits: :meth:`SqliteStore.write_async`) is set.
    """

    __slots__ = ("fn", "future", "loop", "waiter")

    def __init__(
        self,
        fn: Callable[[WriteTransaction], Any],
        *,
        future: concurrent.futures.Future[Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        waiter: asyncio.Future[Any] | None = None,
    ) -> None:
        self.fn = fn
        self.future = future
        self.loop = loop
        self.waiter = waiter

    def start(self) -> bool:
        """Whether the job is still wanted (its caller did not cancel it); marks it running."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        # Read from the writer thread: a waiter cancelled on its loop meanwhile
        # may still run, exactly as a future cancelled too late; its outcome is dropped.
        return self.waiter is None or not self.waiter.cancelled()


#: An outcome handed to a waiting caller: (job, succeeded, result or exception).
_Outcome = tuple[_Job, bool, Any]


def _settle_waiters(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """Event loop side of :meth:`SqliteStore._settle`: complete the awaited futures."""
    for waiter, ok, value in outcomes:
        if waiter.done():
            continue  # the caller went away
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class _Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` in its own thread after commits.

    The writer connection has automatic checkpoints off; it calls
    :meth:`notify` after each commit, and the checkpointer copies the
    committed WAL frames into the database file at most every
    ``_CHECKPOINT_DELAY`` seconds. A passive checkpoint never blocks writers
    or readers (of this or another process); frames still needed by a reader
    are left for the next one. Durability does not depend on it: a commit is
    synced in the WAL before it is acknowledged.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eco-store-checkpoint", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Commits were made: checkpoint soon."""
        self._wake.set()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                if self._stop.wait(_CHECKPOINT_DELAY):
                    return
                self._wake.clear()
                try:
                    if conn is None:
                        conn = _connect(self._path)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    logger.warning("WAL checkpoint failed (retried after the next commit): %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def close(self) -> None:
        """Stop the thread (the last connection to close checkpoints what is left)."""
        self._stop.set()
        self._wake.set()
        self._thread.join()


class SqliteStore(Store):
    """The embedded SQLite store (ADR 0001).

    Build it with :meth:`open`. Safe to use from several threads and from
    several processes on the same file (SQLite locking serialises writers).

    Writers of several processes (the node's serving processes, CLI commands)
    also take an exclusive ``flock`` on ``<database>.writelock`` around each
    transaction: a writer waiting for it sleeps in the kernel and is woken
    the moment the lock is free, where SQLite's own busy handler polls with
    sleeps of up to 100 ms and lets a busy process starve the others.
    """

    def __init__(self, *, path: Path, conn: sqlite3.Connection) -> None:
        self._path = path
        self._writer_conn = conn
        self._write_lock = os.open(
            path.with_name(path.name + ".writelock"), os.O_RDWR | os.O_CREAT, 0o600
        )
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._listeners: list[Callable[[int], None]] = []
        self._local = threading.local()
        self._readers = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="eco-store-read"
        )
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._closed = False
        self._checkpointer = _Checkpointer(path)
        self._thread = threading.Thread(
            target=self._writer_loop, name="eco-store-write", daemon=True
        )
        self._thread.start()

    @classmethod
    def open(cls, path: Path) -> SqliteStore:
        """Open (creating if needed) the database at ``path`` and migrate it.

        Raises:
            NodeUnavailable: The database cannot be opened or is newer than
                this code.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = _connect(path)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise NodeUnavailable(f"cannot switch {path} to WAL journal mode")
            conn.execute("PRAGMA synchronous = FULL")
            # Checkpoints are the checkpointer thread's work (see _Checkpointer).
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            cls._migrate(conn)
        except sqlite3.Error as exc:
            raise NodeUnavailable(f"cannot open database {path}: {exc}") from exc
        return cls(path=path, conn=conn)

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_time TEXT NOT NULL)"
            )
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = int(row[0]) if row[0] is not None else 0
            if current > SCHEMA_VERSION:
                raise NodeUnavailable(
                    f"database schema version {current} is newer than this node ({SCHEMA_VERSION})"
                )
            for version, sql in MIGRATIONS:
                if version <= current:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_time) VALUES (?, ?)",
                    (version, dt.datetime.now(dt.UTC).isoformat()),
                )
                logger.info("database migrated to schema version %d", version)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def schema_version(self) -> int:
        """The applied schema version."""
        row = self._reader().execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0])

    # -- writes -------------------------------------------------------------------------

    def _submit(self, fn: Callable[[WriteTransaction], T]) -> concurrent.futures.Future[T]:
        if self._closed:
            raise NodeUnavailable("store is closed")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put(_Job(fn, future=future))
        return future

    def write(self, fn: Callable[[WriteTransaction], T]) -> T:
        """Run ``fn`` in a transaction and return its result once committed."""
        return self._submit(fn).result()

    def write_async(self, fn: Callable[[WriteTransaction], T]) -> Awaitable[T]:
        """Like :meth:`write`, awaitable from the event loop (call it from the loop's thread).

        The outcomes of one committed batch are handed to each waiting event
        loop in one wake-up, not one per job. Cancelling the awaitable before
        the writer starts the job drops the job (nothing is written); once
        started, the job runs and commits, and its outcome is discarded.
        """
        if self._closed:
            raise NodeUnavailable("store is closed")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, loop=loop, waiter=waiter))
        return waiter

    def write_future(self, fn: Callable[[WriteTransaction], T]) -> concurrent.futures.Future[T]:
        """Queue ``fn`` (from any thread); the future completes once it is committed."""
        return self._submit(fn)

    def _writer_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            batch = [job]
            stop = False
            while len(batch) < _MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[_Job]) -> None:
        """Run queued jobs in one transaction and commit them with one fsync (group commit).

        The jobs first run one after another without savepoints (the common
        case: every job succeeds). If one fails, the whole transaction is
        rolled back and the jobs run again, each inside its own savepoint, so
        the failing one is rolled back alone and changes nothing.
        """
        jobs = [job for job in batch if job.start()]
        if not jobs:
            return
        outcomes = self._attempt_batch(jobs, isolated=False)
        if outcomes is None:
            return
        if len(jobs) > 1 and not all(ok for _, ok, _ in outcomes[0]):
            # One job failed and took the others' work with it: again, isolated.
            outcomes = self._attempt_batch(jobs, isolated=True)
            if outcomes is None:
                return
        self._finish(*outcomes)

    def _attempt_batch(
        self, jobs: list[_Job], *, isolated: bool
    ) -> tuple[list[_Outcome], _Batch] | None:
        """Run ``jobs`` in one transaction; commit unless a job failed while not isolated.

        Returns:
            The outcomes and batch state, or ``None`` when the jobs were
            answered already (storage failure).
        """
        fcntl.flock(self._write_lock, fcntl.LOCK_EX)
        try:
            return self._attempt_locked(jobs, isolated=isolated)
        finally:
            fcntl.flock(self._write_lock, fcntl.LOCK_UN)

    def _attempt_locked(
        self, jobs: list[_Job], *, isolated: bool
    ) -> tuple[list[_Outcome], _Batch] | None:
        conn = self._writer_conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            logger.error("cannot begin a write transaction: %s", exc)
            self._settle(
                [(job, False, NodeUnavailable("storage is busy, retry later")) for job in jobs]
            )
            return None
        state = _Batch()
        # One transaction view for the batch: every job sees the same connection and state.
        tx = _Transaction(conn, state)
        outcomes: list[_Outcome] = []
        before: tuple[int | None, bool] = (None, False)
        for job in jobs:
            try:
                if isolated:
                    before = state.next_sequence, state.appended
                    conn.execute("SAVEPOINT job")
                    result = job.fn(tx)
                    conn.execute("RELEASE job")
                else:
                    result = job.fn(tx)
                outcomes.append((job, True, result))
            except BaseException as exc:  # handed to the waiting caller
                if isinstance(exc, sqlite3.Error):
                    logger.error("write failed: %s", exc)
                    exc = NodeUnavailable("storage failure, retry later")
                outcomes.append((job, False, exc))
                if not isolated:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        logger.exception("rollback of a failed batch failed")
                    return outcomes, _Batch()
                state.next_sequence, state.appended = before
                try:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                except sqlite3.Error:
                    logger.exception("savepoint rollback failed")
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            logger.error("commit failed: %s", exc)
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.exception("rollback after failed commit failed")
            self._settle(
                [(job, False, NodeUnavailable("storage failure, retry later")) for job in jobs]
            )
            return None
        return outcomes, state

    @staticmethod
    def _settle(outcomes: list[_Outcome]) -> None:
        """Hand each outcome to its caller: futures directly, event loops once per batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for job, ok, value in outcomes:
            future = job.future
            if future is not None:
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            elif job.loop is not None and job.waiter is not None:
                by_loop.setdefault(job.loop, []).append((job.waiter, ok, value))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_waiters, settled)
            except RuntimeError:  # the loop was closed: nobody waits any more
                logger.warning("%d write outcomes for a closed event loop dropped", len(settled))

    def _finish(self, outcomes: list[_Outcome], state: _Batch) -> None:
        self._settle(outcomes)
        self._checkpointer.notify()
        if state.appended and state.next_sequence is not None:
            last = state.next_sequence - 1
            for listener in list(self._listeners):
                try:
                    listener(last)
                except Exception:
                    logger.exception("commit listener failed")

    @staticmethod
    def last_sequence_on(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT MAX(sequence) FROM documents").fetchone()
        return int(row[0]) if row[0] is not None else 0

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(last_sequence)`` in the writer thread after such commits."""
        self._listeners.append(listener)

    # -- reads --------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self._path)
            self._local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    def _reads(self) -> _Reads:
        return _Reads(self._reader())

    def read_async(self, fn: Callable[..., T], /, *args: object) -> Awaitable[T]:
        """Run ``fn(*args)`` in the reader pool."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._readers, lambda: fn(*args))

    def document_by_request(self, sender_country: str, request_id: str) -> DocumentRecord | None:
        """See :meth:`Store.document_by_request`.

        Every submission asks this before it is verified (REQ-IDEM-002): one
        indexed lookup on the calling thread's connection.
        """
        row = (
            self._reader()
            .execute(_SQL_DOCUMENT_BY_REQUEST, (sender_country, request_id))
            .fetchone()
        )
        return _document(row) if row is not None else None

    def documents_by_request_id(self, request_id: str) -> list[DocumentRecord]:
        """See :meth:`Store.documents_by_request_id`."""
        rows = (
            self._reader()
            .execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE request_id = ? ORDER BY sequence",  # noqa: S608
                (request_id,),
            )
            .fetchall()
        )
        return [_document(r) for r in rows]

    def certificate_document(self, certificate_key: str) -> DocumentRecord | None:
        """See :meth:`Store.certificate_document`."""
        row = (
            self._reader()
            .execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE certificate_key = ? AND kind = 1 "  # noqa: S608
                "ORDER BY sequence LIMIT 1",
                (certificate_key,),
            )
            .fetchone()
        )
        return _document(row) if row is not None else None

    def certificate(self, key: str) -> CertificateRow | None:
        """See :meth:`Store.certificate`."""
        return self._reads().certificate(key)

    def verifications_by_id(self, verification_id: str) -> list[VerificationRow]:
        """See :meth:`Store.verifications_by_id`."""
        return self._reads().verifications_by_id(verification_id)

    def list_documents(
        self, *, recipient: str | None, after: int, kind: int, limit: int
    ) -> list[DocumentRecord]:
        """See :meth:`Store.list_documents`."""
        clauses = ["sequence > ?"]
        params: list[Any] = [after]
        if recipient is not None:
            clauses.append("recipient_country = ?")
            params.append(recipient)
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        params.append(limit)
        rows = (
            self._reader()
            .execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE {' AND '.join(clauses)} "  # noqa: S608
                "ORDER BY sequence LIMIT ?",
                params,
            )
            .fetchall()
        )
        return [_document(r) for r in rows]

    def last_sequence(self) -> int:
        """See :meth:`Store.last_sequence`."""
        return self.last_sequence_on(self._reader())

    def outbox(self, *, pending_only: bool = False) -> list[OutboxRecord]:
        """See :meth:`Store.outbox`."""
        where = " WHERE status = 1" if pending_only else ""
        rows = (
            self._reader()
            .execute(f"SELECT {_OUTBOX_COLUMNS} FROM outbox{where} ORDER BY outbox_id")  # noqa: S608
            .fetchall()
        )
        return [_outbox(r) for r in rows]

    def outbox_by_request(self, request_id: str) -> OutboxRecord | None:
        """The outbox entry of a request id, or ``None``."""
        row = (
            self._reader()
            .execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE request_id = ?",  # noqa: S608
                (request_id,),
            )
            .fetchone()
        )
        return _outbox(row) if row is not None else None

    def due_outbox(self, *, now: dt.datetime, limit: int) -> list[OutboxRecord]:
        """See :meth:`Store.due_outbox`."""
        rows = (
            self._reader()
            .execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE status = 1 "  # noqa: S608
                "AND next_attempt_time <= ? AND lease_until <= ? "
                "ORDER BY next_attempt_time, outbox_id LIMIT ?",
                (to_micros(now), to_micros(now), limit),
            )
            .fetchall()
        )
        return [_outbox(r) for r in rows]

    def next_due_time(self) -> dt.datetime | None:
        """Earliest time a pending entry becomes due (and unleased), or ``None``."""
        row = (
            self._reader()
            .execute("SELECT MIN(MAX(next_attempt_time, lease_until)) FROM outbox WHERE status = 1")
            .fetchone()
        )
        return from_micros(row[0]) if row[0] is not None else None

    def counts(self) -> dict[str, int]:
        """See :meth:`Store.counts`."""
        conn = self._reader()
        result = {
            "documents": conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "documents_received": conn.execute(
                "SELECT COUNT(*) FROM documents WHERE origin = 'received'"
            ).fetchone()[0],
            "documents_issued": conn.execute(
                "SELECT COUNT(*) FROM documents WHERE origin = 'issued'"
            ).fetchone()[0],
            "certificates": conn.execute("SELECT COUNT(*) FROM certificates").fetchone()[0],
            "verifications": conn.execute("SELECT COUNT(*) FROM verifications").fetchone()[0],
        }
        for status, count in conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"):
            name = envelope_pb2.DeliveryStatus.Name(status).removeprefix("DELIVERY_STATUS_")
            result[f"outbox_{name.lower()}"] = count
        return {k: int(v) for k, v in result.items()}

    def close(self) -> None:
        """Finish queued writes, stop the writer and close every connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._checkpointer.close()
        self._readers.shutdown(wait=True)
        self._writer_conn.close()
        os.close(self._write_lock)
        with self._reader_lock:
            for conn in self._reader_conns:
                with contextlib.suppress(sqlite3.ProgrammingError):
                    conn.close()
            self._reader_conns.clear()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
