"""The SQLite store's writer: group commit, awaited writes, checkpoints (REQ-PUSH-001, 002).

Real SQLite files in a temporary folder, real threads and event loops, and a
real process killed without warning.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_node.core.errors import DuplicateConflict
from reference_node.store.base import NewDocument, WriteTransaction
from reference_node.store.sqlite import SqliteStore, from_micros, to_micros

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parents[3]


def _doc(request_id: str) -> NewDocument:
    return NewDocument(
        request_id=request_id,
        sender_country="XA",
        recipient_country="XB",
        kind=1,
        payload_type="application/vnd.wco.eco.certificate.v1+protobuf",
        payload_sha256="00" * 32,
        envelope=b"\x0a\x01x" + request_id.encode(),
        certificate_key=f"XA/xa-customs/{request_id}",
        verification_id=None,
        store_time=NOW,
        origin="received",
        receipt=b"receipt-" + request_id.encode(),
    )


def _insert(request_id: str) -> Callable[[WriteTransaction], int]:
    return lambda tx: tx.insert_document(_doc(request_id))


def _hold_writer(store: SqliteStore) -> threading.Event:
    """Occupy the writer thread until the returned event is set; returns once it runs."""
    started, release = threading.Event(), threading.Event()

    def block(_tx: WriteTransaction) -> None:
        started.set()
        release.wait()

    store.write_future(block)
    started.wait()
    return release


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-11))]
        ),
    )
)
def test_micros_are_exact_and_invert(at: dt.datetime) -> None:
    delta = at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert to_micros(at) == (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    assert from_micros(to_micros(at)) == at


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_micros(dt.datetime(2025, 1, 1))


class _CountingLoop(asyncio.SelectorEventLoop):
    """A real event loop that counts wake-ups requested from other threads."""

    wakeups = 0

    def call_soon_threadsafe(  # type: ignore[override]
        self, callback: Any, *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        self.wakeups += 1
        return super().call_soon_threadsafe(callback, *args, context=context)


def test_awaited_writes_of_one_batch_are_settled_with_one_wakeup(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "n.sqlite3") as store:
        loop = _CountingLoop()
        try:

            async def main() -> tuple[list[int], BaseException]:
                release = await asyncio.to_thread(_hold_writer, store)
                loop.wakeups = 0
                good = [store.write_async(_insert(f"r{i}")) for i in range(20)]

                def fail(tx: WriteTransaction) -> None:
                    tx.insert_document(_doc("bad"))
                    raise DuplicateConflict("refused after writing")

                bad = store.write_async(fail)
                release.set()
                sequences = list(await asyncio.gather(*good))
                with pytest.raises(DuplicateConflict) as refused:
                    await bad
                return sequences, refused.value

            sequences, error = loop.run_until_complete(main())
            wakeups = loop.wakeups
        finally:
            loop.close()
        assert str(error) == "refused after writing"
        stored = store.list_documents(recipient="XB", after=0, kind=0, limit=100)
        assert [d.request_id for d in stored] == [f"r{i}" for i in range(20)]
        assert sequences == [d.sequence for d in stored]
        assert stored[0].receipt == b"receipt-r0"
        assert store.document_by_request("XA", "bad") is None
        # 21 outcomes of one batch (rolled back once, rerun isolated): one wake-up,
        # plus at most one from asyncio.to_thread.
        assert wakeups <= 2


def test_awaited_write_cancelled_before_it_runs_is_not_written(tmp_path: Path) -> None:
    ran: list[str] = []
    with SqliteStore.open(tmp_path / "n.sqlite3") as store:

        async def main() -> int:
            release = await asyncio.to_thread(_hold_writer, store)

            def record(tx: WriteTransaction) -> int:
                ran.append("cancelled job ran")
                return tx.insert_document(_doc("cancelled"))

            cancelled = store.write_async(record)
            kept = store.write_async(_insert("kept"))
            assert isinstance(cancelled, asyncio.Future)
            cancelled.cancel()
            release.set()
            return await kept

        sequence = asyncio.run(main())
        assert ran == []
        assert store.document_by_request("XA", "cancelled") is None
        kept = store.document_by_request("XA", "kept")
        assert kept is not None
        assert kept.sequence == sequence


def test_outcome_for_a_closed_event_loop_does_not_stop_the_writer(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "n.sqlite3") as store:
        release = _hold_writer(store)

        async def leave() -> None:
            store.write_async(_insert("orphan"))  # never awaited: the loop closes first

        asyncio.run(leave())
        release.set()
        assert store.write(_insert("after")) > 0
        assert store.document_by_request("XA", "orphan") is not None


def test_store_is_closed_for_awaited_writes(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "n.sqlite3")
    store.close()

    async def main() -> None:
        await store.write_async(_insert("late"))

    with pytest.raises(Exception, match="store is closed"):
        asyncio.run(main())


def test_commits_do_not_checkpoint_the_checkpointer_does(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with SqliteStore.open(path) as store:
        assert store._writer_conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for i in range(40):
            store.write(_insert(f"r{i}"))
        probe = sqlite3.connect(path)
        try:
            deadline = time.monotonic() + 30
            while True:
                # (busy, frames in the WAL, frames checkpointed); a passive probe copies nothing
                # that the checkpointer has not copied already when both counts are equal.
                busy, frames, done = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                main_file = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
                try:
                    in_file = main_file.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
                except sqlite3.Error:
                    in_file = 0
                finally:
                    main_file.close()
                if in_file == 40 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        finally:
            probe.close()
        assert busy == 0
        assert frames == done
        assert in_file == 40


_CHILD = """
import sys
from collections.abc import Callable
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.reference_node.store.test_sqlite_writer import _insert
from reference_node.store.sqlite import SqliteStore
store = SqliteStore.open(Path(sys.argv[1]))
futures = [store.write_future(_insert(f"k{i}")) for i in range(200)]
for f in futures:
    f.result()
print("acknowledged", flush=True)
sys.stdin.read()
"""


def test_acknowledged_writes_survive_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(REPO)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"acknowledged"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with SqliteStore.open(path) as store:
        stored = store.list_documents(recipient="XB", after=0, kind=0, limit=500)
        assert sorted(d.request_id for d in stored) == sorted(f"k{i}" for i in range(200))


_WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tests.reference_node.store.test_sqlite_writer import _insert
from reference_node.store.sqlite import SqliteStore
store = SqliteStore.open(Path(sys.argv[1]))
prefix = sys.argv[2]
sys.stdin.readline()  # start together
futures = [store.write_future(_insert(f"{prefix}{i}")) for i in range(300)]
print(sorted(f.result() for f in futures)[-1], flush=True)
store.close()
"""


def test_writers_in_several_processes_share_the_store(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    SqliteStore.open(path).close()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), prefix, str(REPO)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        for prefix in ("a", "b", "c")
    ]
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.flush()
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        assert int(out) > 0
    with SqliteStore.open(path) as store:
        stored = store.list_documents(recipient="XB", after=0, kind=0, limit=1000)
    assert sorted(d.request_id for d in stored) == sorted(
        f"{p}{i}" for p in "abc" for i in range(300)
    )
    assert len({d.sequence for d in stored}) == 900


def test_a_write_waits_for_another_writers_lock(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with SqliteStore.open(path) as store:
        other = os.open(path.with_name(path.name + ".writelock"), os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX)  # as another process's writer would
            pending = store.write_future(_insert("w1"))
            time.sleep(0.3)
            assert not pending.done(), "the write ran while another writer held the lock"
            fcntl.flock(other, fcntl.LOCK_UN)
            assert pending.result(timeout=30) > 0
        finally:
            os.close(other)
        assert store.document_by_request("XA", "w1") is not None
