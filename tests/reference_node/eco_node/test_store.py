"""SQLite store: migrations, group commit, failed writes roll back (REQ-PUSH-001, 002)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reference_node.core.errors import DuplicateConflict, NodeUnavailable
from reference_node.store.base import NewDocument, WriteTransaction
from reference_node.store.sqlite import SCHEMA_VERSION, SqliteStore

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def _doc(request_id: str, *, recipient: str = "XB") -> NewDocument:
    return NewDocument(
        request_id=request_id,
        sender_country="XA",
        recipient_country=recipient,
        kind=1,
        payload_type="application/vnd.wco.eco.certificate.v1+protobuf",
        payload_sha256="00" * 32,
        envelope=b"\x0a\x01x" + request_id.encode(),
        certificate_key=f"XA/xa-customs/{request_id}",
        verification_id=None,
        store_time=NOW,
        origin="received",
    )


def test_migrations_are_recorded_and_reopen_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "node.sqlite3"
    with SqliteStore.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
    with SqliteStore.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    assert rows == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_write_changes_nothing_and_others_in_batch_commit(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "n.sqlite3") as store:
        barrier = threading.Barrier(8)
        results: dict[int, object] = {}

        def work(i: int) -> None:
            def fn(tx: WriteTransaction) -> int:
                seq = tx.insert_document(_doc(f"r{i}"))
                if i % 2:
                    raise DuplicateConflict("odd ones fail after writing")
                return seq

            barrier.wait()
            try:
                results[i] = store.write(fn)
            except DuplicateConflict as exc:
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stored = store.list_documents(recipient="XB", after=0, kind=0, limit=100)
        assert sorted(d.request_id for d in stored) == ["r0", "r2", "r4", "r6"]
        assert all(isinstance(results[i], DuplicateConflict) for i in (1, 3, 5, 7))
        assert sorted(results[i] for i in (0, 2, 4, 6)) == [d.sequence for d in stored]


def test_unique_sender_request_id_and_listener(tmp_path: Path) -> None:
    seen: list[int] = []
    with SqliteStore.open(tmp_path / "n.sqlite3") as store:
        store.add_commit_listener(seen.append)
        store.write(lambda tx: tx.insert_document(_doc("same")))
        with pytest.raises(NodeUnavailable):
            store.write(lambda tx: tx.insert_document(_doc("same")))
        assert store.last_sequence() == 1
        assert seen == [1]
        record = store.document_by_request("XA", "same")
        assert record is not None
        assert record.envelope == _doc("same").envelope
        assert record.store_time == NOW


def test_documents_survive_reopen_and_filter_by_recipient(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with SqliteStore.open(path) as store:
        for i in range(5):
            store.write(
                lambda tx, i=i: tx.insert_document(
                    _doc(f"d{i}", recipient="XB" if i % 2 == 0 else "XC")
                )
            )
    with SqliteStore.open(path) as store:
        xb = store.list_documents(recipient="XB", after=0, kind=0, limit=10)
        assert [d.request_id for d in xb] == ["d0", "d2", "d4"]
        after = store.list_documents(recipient="XB", after=xb[0].sequence, kind=0, limit=1)
        assert [d.request_id for d in after] == ["d2"]
        assert store.list_documents(recipient="XB", after=0, kind=2, limit=10) == []


def test_batch_with_a_failing_job_commits_the_others_at_consecutive_sequences(
    tmp_path: Path,
) -> None:
    """Group commit: a failing job is rolled back alone; sequences and receipts stay exact."""
    seen: list[int] = []
    with SqliteStore.open(tmp_path / "n.sqlite3") as store:
        store.add_commit_listener(seen.append)
        store.write(lambda tx: tx.insert_document(_doc("first")))
        entered, release = threading.Event(), threading.Event()

        def hold(tx: WriteTransaction) -> None:
            entered.set()
            release.wait(30)

        def receipted(name: str) -> Callable[[WriteTransaction], int]:
            def fn(tx: WriteTransaction) -> int:
                sequence = tx.next_sequence()
                doc = dataclasses.replace(_doc(name), receipt=f"receipt {sequence}".encode())
                return tx.insert_document(doc)

            return fn

        def failing(tx: WriteTransaction) -> int:
            tx.insert_document(_doc("lost"))
            raise DuplicateConflict("refused after writing")

        blocker = store.write_future(hold)
        assert entered.wait(30)
        # Queued while the writer is busy: these run as one batch.
        futures = [
            store.write_future(receipted("a")),
            store.write_future(failing),
            store.write_future(receipted("b")),
            store.write_future(lambda tx: tx.insert_document(_doc("first"))),  # UNIQUE
            store.write_future(receipted("c")),
        ]
        release.set()
        blocker.result(30)
        assert [futures[i].result(30) for i in (0, 2, 4)] == [2, 3, 4]
        assert isinstance(futures[1].exception(30), DuplicateConflict)
        assert isinstance(futures[3].exception(30), NodeUnavailable)
        stored = store.list_documents(recipient=None, after=0, kind=0, limit=10)
        assert [(d.request_id, d.sequence) for d in stored] == [
            ("first", 1),
            ("a", 2),
            ("b", 3),
            ("c", 4),
        ]
        assert [d.receipt for d in stored[1:]] == [b"receipt 2", b"receipt 3", b"receipt 4"]
        assert seen[-1] == 4
        assert store.write(lambda tx: tx.next_sequence()) == 5
