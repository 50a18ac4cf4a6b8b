"""The strace reader and the fsync-before-receipt judge on hand-written traces (REQ-PUSH-001).

So that :mod:`.test_durability_trace` cannot pass vacuously: each ordering fault
gives its own verdict, and split (``<unfinished ...>``) calls are joined.
"""

from __future__ import annotations

from .syscall_trace import Submission, judge_submission, parse_trace

PORT = 7443
WAL = "/n/data/node.sqlite3-wal"
TCP = f"TCP:[127.0.0.1:{PORT}->127.0.0.1:50000]"
RID = "5f0c1e9a-0000-4000-8000-000000000001"


def _write(t: str, data: str = "x", path: str = WAL, ret: int = 4096) -> str:
    return f'10 {t} pwrite64(4<{path}>, "{data}", 4096, 8192) = {ret} <0.000010>'


def _sync(t: str, dur: str = "0.000500") -> str:
    return f"10 {t} fdatasync(4<{WAL}>) = 0 <{dur}>"


def _send(t: str, ret: int = 1505) -> str:
    return f'11 {t} sendmsg(22<{TCP}>, {{msg_iov=[{{iov_base="\\27"}}]}}, 0) = {ret} <0.000020>'


def _judge(*lines: str) -> str:
    calls = parse_trace(lines)
    return judge_submission(calls, Submission(RID, 100.0, 101.0), PORT).problem


def test_write_sync_response_is_durable() -> None:
    assert _judge(_write("100.1", f"..{RID}.."), _sync("100.2"), _send("100.3")) == ""


def test_small_control_frame_before_the_sync_is_not_the_response() -> None:
    lines = (_send("100.05", ret=39), _write("100.1", RID), _sync("100.2"), _send("100.3"))
    assert _judge(*lines) == ""


def test_response_before_sync_is_flagged() -> None:
    problem = _judge(_write("100.1", RID), _send("100.2"), _sync("100.3"))
    assert "before the WAL holding the document was synced" in problem


def test_no_sync_is_flagged() -> None:
    assert "synced" in _judge(_write("100.1", RID), _send("100.2"))


def test_sync_of_earlier_writes_only_is_flagged() -> None:
    """A sync before the document's own WAL write does not make it durable."""
    problem = _judge(_sync("100.05"), _write("100.1", RID), _send("100.2"))
    assert "synced" in problem


def test_sync_still_running_when_the_response_leaves_is_flagged() -> None:
    problem = _judge(_write("100.1", RID), _sync("100.2", dur="0.200000"), _send("100.3"))
    assert "synced" in problem


def test_commit_of_another_document_is_flagged() -> None:
    """A WAL write and sync that do not hold the request id are someone else's commit."""
    problem = _judge(_write("100.1", "other-id"), _sync("100.2"), _send("100.3"))
    assert "before any WAL write of the document" in problem


def test_split_calls_are_joined() -> None:
    lines = (
        f"10 100.1 fdatasync(4<{WAL}> <unfinished ...>",
        _write("100.15", RID, path="/n/other-file"),
        "10 100.2 <... fdatasync resumed>) = 0 <0.100000>",
    )
    calls = parse_trace(lines)
    sync = next(c for c in calls if c.is_sync)
    assert (sync.result, round(sync.end, 3)) == (0, 100.2)
    # An unfinished sync never counts as done.
    unfinished = (_write("100.1", RID), f"10 100.2 fdatasync(4<{WAL}> <unfinished ...>")
    assert "synced" in _judge(*unfinished, _send("100.3"))
