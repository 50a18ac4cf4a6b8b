"""Faulty variants: a receipt sent before its document is durable (docs/spec.md REQ-PUSH-001).

SIGKILL cannot show these faults: the page cache survives a killed process, and a
commit that lags its receipt by one batch leaves only a narrow window to kill in.
``tests/reliability/test_durability_trace.py`` catches both from the order of the
node's system calls under strace.
"""

from __future__ import annotations

from typing import Any, Final

from .patching import patch_method
from .variants import _variant

_CORE: Final = ("core",)


def _on_store_open(hook: Any) -> None:
    """Run ``hook(store)`` on every SQLite store the node opens."""

    def make(original: Any) -> Any:
        func = original.__func__

        def open_(cls: Any, /, path: Any) -> Any:
            store = func(cls, path)
            hook(store)
            return store

        return classmethod(open_)

    patch_method("store.sqlite", "SqliteStore", "open", make)


class _LaggingCommit:
    """The writer connection, with each COMMIT put off until the next BEGIN."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._pending = False

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self._pending = True
            return None
        if sql.startswith("BEGIN") and self._pending:
            self._pending = False
            self._conn.execute("COMMIT")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@_variant(
    "commit-after-receipt",
    fault="the store answers each write batch (receipts go out) and commits it only when the "
    "next batch begins, so an acknowledged document is not on disk until the next write",
    area="durability",
    requirements=("REQ-PUSH-001",),
    profiles=_CORE,
)
def _receipt_before_commit() -> None:
    def lag(store: Any) -> None:
        store._writer_conn = _LaggingCommit(store._writer_conn)

    _on_store_open(lag)


@_variant(
    "commit-without-fsync",
    fault="the store's writer runs with PRAGMA synchronous=OFF: commits reach the page cache "
    "but are never synced before the receipt (only periodic checkpoints sync)",
    area="durability",
    requirements=("REQ-PUSH-001",),
    profiles=_CORE,
    gap="a system-call order check outside the suite (fsync before the receipt is not "
    "visible over gRPC); tests/reliability/test_durability_trace.py catches it",
)
def _commit_without_fsync() -> None:
    def no_sync(store: Any) -> None:
        store._writer_conn.execute("PRAGMA synchronous = OFF")

    _on_store_open(no_sync)
