"""Read an ``strace`` log of a node and judge "fsync before receipt" (docs/spec.md REQ-PUSH-001).

SIGKILL cannot show that a receipt was sent before its document was durable: the
page cache survives the process. The order of system calls can. The node runs
under ``strace -f -ttt -T -yy -s N`` tracing writes, syncs and socket sends;
a client submits documents one at a time and notes, for each, when it sent the
request and when the receipt arrived (the same wall clock as strace's ``-ttt``).
Everything the node did for that submission lies in that window, because the
client sends nothing else meanwhile. For each acknowledged submission
:func:`judge_submission` then requires, before the response left on the
client's TCP connection:

1. a write to the SQLite WAL file whose bytes contain the submission's request
   id (the document's row and index entries: the commit of *this* document);
2. an ``fsync``/``fdatasync`` of the WAL that started after the last WAL write
   and ended before the response's first byte went out.

The response is the first write on the connection in the window carrying at
least :data:`RESPONSE_MIN_BYTES` bytes: a receipt is a signed envelope of
several hundred bytes, while HTTP/2 control frames (WINDOW_UPDATE, PING and
SETTINGS acknowledgements) that may precede it are a few dozen bytes in a TLS
record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "RESPONSE_MIN_BYTES",
    "Submission",
    "Syscall",
    "TraceVerdict",
    "judge_submission",
    "judge_trace",
    "parse_trace",
    "strace_command",
]

#: Smallest TLS write counted as the response (HTTP/2 control frames are far smaller).
RESPONSE_MIN_BYTES = 200
#: System calls traced: file and socket writes, and syncs.
TRACED = (
    "fsync",
    "fdatasync",
    "write",
    "writev",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "sendmsg",
    "sendto",
)
_WRITES = frozenset({"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendmsg", "sendto"})
_SYNCS = frozenset({"fsync", "fdatasync"})

# "1234 1764790000.123456 name(5</path>, ...) = 12 <0.000010>", possibly split into an
# "<unfinished ...>" line and a "<... name resumed>" line.
_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<time>\d+\.\d+)\s+(?P<rest>.*)$")
_CALL = re.compile(
    r"^(?P<name>\w+)\((?P<fd>\d+)<(?P<path>TCP(?:v6)?:\[.*?\]|[^>]*)>(?P<args>.*)$", re.S
)
_RESUMED = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>(?P<args>.*)$", re.S)
_RESULT = re.compile(r"\)\s+=\s+(?P<ret>-?\d+)(?:\s+\w+\s+\([^)]*\))?\s+<(?P<dur>\d+\.\d+)>\s*$")


def strace_command(output: Path, *, string_bytes: int = 8192) -> tuple[str, ...]:
    """The ``strace`` prefix that writes the trace :func:`parse_trace` reads to ``output``.

    ``-f`` follows every thread, ``-ttt`` stamps each call with the wall clock in
    microseconds, ``-T`` adds its duration, ``-yy`` prints file paths and TCP
    endpoints of descriptors, ``-s`` prints written buffers far enough to see request
    ids in SQLite pages (4 KiB).
    """
    return (
        "strace",
        "-f",
        "-ttt",
        "-T",
        "-yy",
        "-s",
        str(string_bytes),
        "-e",
        "trace=" + ",".join(TRACED),
        "-o",
        str(output),
    )


@dataclass(slots=True)
class Syscall:
    """One traced call.

    Attributes:
        pid: Thread id.
        name: System call name.
        path: What ``-yy`` printed for the descriptor (file path or ``TCP:[a->b]``).
        start: Wall-clock time of the call's entry (seconds).
        end: Time it returned (``start`` plus its duration); ``start`` until known.
        result: Return value (bytes written for writes), -1 until known.
        args: The printed arguments (written buffers included).
    """

    pid: int
    name: str
    path: str
    start: float
    end: float
    result: int = -1
    args: str = ""

    @property
    def is_sync(self) -> bool:
        """An fsync or fdatasync."""
        return self.name in _SYNCS

    @property
    def is_write(self) -> bool:
        """A write of any kind (file or socket)."""
        return self.name in _WRITES


def _finish(call: Syscall, tail: str) -> None:
    match = _RESULT.search(tail)
    if match is not None:
        call.result = int(match.group("ret"))
        call.end = call.start + float(match.group("dur"))


def parse_trace(lines: Iterable[str]) -> list[Syscall]:
    """The calls of an ``strace -f -ttt -T -yy`` log whose descriptor has a printed path.

    Calls split by another thread's call (``<unfinished ...>`` / ``<... resumed>``) are
    joined; a call still unfinished when the trace ended keeps ``result == -1``.
    """
    calls: list[Syscall] = []
    open_calls: dict[int, Syscall] = {}
    for raw in lines:
        line = _LINE.match(raw.rstrip("\n"))
        if line is None:
            continue
        pid, at, rest = int(line.group("pid")), float(line.group("time")), line.group("rest")
        resumed = _RESUMED.match(rest)
        if resumed is not None:
            pending = open_calls.pop(pid, None)
            if pending is not None and pending.name == resumed.group("name"):
                pending.args += resumed.group("args")
                _finish(pending, rest)
            continue
        call = _CALL.match(rest)
        if call is None:
            continue
        found = Syscall(
            pid=pid,
            name=call.group("name"),
            path=call.group("path"),
            start=at,
            end=at,
            args=call.group("args"),
        )
        calls.append(found)
        if rest.endswith("<unfinished ...>"):
            open_calls[pid] = found
        else:
            _finish(found, rest)
    calls.sort(key=lambda c: c.start)
    return calls


@dataclass(frozen=True, slots=True)
class Submission:
    """One acknowledged submission as the client saw it.

    Attributes:
        request_id: The request id (written into the node's WAL with the document).
        sent: Wall-clock time just before the request was sent.
        answered: Wall-clock time just after the receipt arrived.
    """

    request_id: str
    sent: float
    answered: float


@dataclass(slots=True)
class TraceVerdict:
    """What the trace shows about one submission.

    Attributes:
        request_id: The submission.
        problem: Empty when the receipt left after a sync of the document's WAL write;
            else what is wrong.
        wal_writes: WAL writes in the window before the response.
        syncs: WAL syncs in the window before the response.
    """

    request_id: str
    problem: str = ""
    wal_writes: int = 0
    syncs: int = 0
    details: list[str] = field(default_factory=list)


def _is_wal(path: str) -> bool:
    return path.endswith("-wal")


def _is_connection(path: str, port: int) -> bool:
    return path.startswith("TCP") and f":{port}->" in path


def judge_submission(calls: Sequence[Syscall], submission: Submission, port: int) -> TraceVerdict:
    """Judge one submission: WAL write with its request id, then WAL sync, then response."""
    verdict = TraceVerdict(request_id=submission.request_id)
    window = [c for c in calls if submission.sent <= c.start <= submission.answered]
    responses = [
        c
        for c in window
        if c.is_write and _is_connection(c.path, port) and c.result >= RESPONSE_MIN_BYTES
    ]
    if not responses:
        verdict.problem = "no response write on the client's connection in the window"
        return verdict
    response = responses[0]
    before = [c for c in window if c.start < response.start and _is_wal(c.path)]
    writes = [c for c in before if c.is_write]
    verdict.wal_writes = len(writes)
    mine = [c for c in writes if submission.request_id in c.args]
    if not mine:
        verdict.problem = (
            "the receipt left before any WAL write of the document "
            f"({len(writes)} other WAL writes before it)"
        )
        return verdict
    last_write = max(c.start for c in writes)
    syncs = [c for c in before if c.is_sync and c.start >= last_write and c.result == 0]
    verdict.syncs = len([c for c in before if c.is_sync])
    if not any(c.end <= response.start for c in syncs):
        verdict.problem = (
            "the receipt left before the WAL holding the document was synced "
            f"(last WAL write at {last_write:.6f}, response at {response.start:.6f}, "
            f"{len(syncs)} syncs started after that write)"
        )
    return verdict


def judge_trace(
    calls: Sequence[Syscall], submissions: Sequence[Submission], port: int
) -> list[TraceVerdict]:
    """:func:`judge_submission` for every submission."""
    return [judge_submission(calls, s, port) for s in submissions]
