"""Store writer benchmark: CPU time per received document in the store's writer thread.

Measured in process on the reference node's own receive transaction
(``Node._commit_received``, docs/spec.md section 5.4 steps 9-10 and
REQ-PUSH-001: duplicate check inside the transaction, lifecycle plan,
signed receipt, one document row, the certificate state) run by the real
``SqliteStore`` writer thread on a real SQLite file (WAL, ``synchronous=FULL``)
in a temporary folder.

The submissions are real: signed 10-item certificates of origin from the
benchmark PKI (``benchmarks.common``), verified by the node's own
``verify_submission`` before timing. They are then committed in groups of
``--concurrency`` jobs queued at once from an event loop with
``SqliteStore.write_async``, as the node queues concurrent submissions
(``--api future``: from a plain thread with ``write_future``); the next group
is queued when the previous one is committed.

Figures are CPU time (user + system) of the writer thread alone, read with
``time.pthread_getcpuclockid`` around each group: other load on the machine
does not inflate them, and the waiting for fsync is not counted. Each round
uses a fresh database; the summary is the median over every group of every
round (a group's figure is robust to a burst of load on a shared machine,
a round's total is printed too). The cost of the
idempotency read a node makes before verification (``document_by_request``
for an unknown request id, REQ-IDEM-002) is timed too, on the caller's thread.

Run: ``python -m benchmarks.store_writer [--count N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import json
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CERTIFICATE_TYPE,
    Signer,
    generate_pki,
    machine_info,
    make_certificate,
    work_dir,
    write_node_config,
)


def _thread_clock(thread_id: int) -> float:
    """CPU time of thread ``thread_id`` (``threading.Thread.ident``), seconds."""
    return time.clock_gettime(time.pthread_getcpuclockid(thread_id))


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundResult:
    """Figures of one round (one fresh database).

    Attributes:
        group_us: Writer CPU per document of each group, microseconds.
        total_us: Writer CPU of the whole round per document, microseconds.
        documents: Documents timed.
        commits: Commits (batches) that stored them.
        read_us: CPU time of each idempotency read, microseconds.
    """

    group_us: list[float]
    total_us: float
    documents: int
    commits: int
    read_us: list[float]


def _measure_round(
    node: Any, subs: list[Any], *, caller: str, concurrency: int, api: str
) -> RoundResult:
    """Commit ``subs`` through ``node``'s receive transaction; time the writer thread."""
    store = node.store
    writer = store._thread.ident  # the store's writer thread
    assert writer is not None
    commits = [0]

    def count_commit(_last: int) -> None:
        commits[0] += 1

    store.add_commit_listener(count_commit)

    def job(sub: Any) -> Any:
        verified, env, raw = sub
        return lambda tx: node._commit_received(tx, verified, caller, env, raw)

    # Warm-up: first statements prepared, first pages allocated.
    for f in [store.write_future(job(s)) for s in subs[:concurrency]]:
        f.result()
    commits[0] = 0
    groups = [
        subs[start : start + concurrency] for start in range(concurrency, len(subs), concurrency)
    ]

    async def commit_all() -> list[float]:
        spent: list[float] = []
        for group in groups:
            t0 = _thread_clock(writer)
            if api == "async":
                receipts = await asyncio.gather(*(store.write_async(job(s)) for s in group))
            else:
                futures = [store.write_future(job(s)) for s in group]
                concurrent.futures.wait(futures)
                receipts = [f.result() for f in futures]
            spent.append(_thread_clock(writer) - t0)
            if not all(isinstance(r, bytes) and r for r in receipts):
                raise RuntimeError("a commit returned no receipt")
        return spent

    spent = asyncio.run(commit_all())
    timed = len(subs) - concurrency
    stored = store.counts()["documents"]
    if stored != len(subs):
        raise RuntimeError(f"{stored} documents stored, expected {len(subs)}")
    # The idempotency read before verification (a new request id: a miss).
    reads: list[float] = []
    for _ in range(len(subs)):
        rid = str(uuid.uuid4())
        t0 = time.thread_time()
        store.document_by_request(caller, rid)
        reads.append((time.thread_time() - t0) * 1e6)
    return RoundResult(
        group_us=[t * 1e6 / len(g) for t, g in zip(spent, groups, strict=True)],
        total_us=sum(spent) * 1e6 / timed,
        documents=timed,
        commits=commits[0],
        read_us=reads,
    )


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the benchmark; print and return the figures."""
    # Imported here so that a broken node fails this benchmark with a clear traceback.
    from reference_node.config import load_config  # noqa: PLC0415
    from reference_node.core.intake import verify_submission  # noqa: PLC0415
    from reference_node.service import Node  # noqa: PLC0415
    from wco.eco.v1 import envelope_pb2  # noqa: PLC0415

    info = machine_info()
    print(f"machine: {info}")
    figures: dict[str, object] = {"machine": info, "count": args.count, "items": args.items}
    with work_dir(args.keep) as root:
        sender, receiver = generate_pki(root / "pki")
        signer = Signer.load(
            chain_pem=sender.path("authority.pem"), key_pem=sender.path("authority.key")
        )
        now = dt.datetime.now(dt.UTC)
        total = args.count * args.rounds
        print(f"signing and verifying {total} certificates of {args.items} items ...")
        envelopes: list[tuple[envelope_pb2.Envelope, bytes]] = []
        for i in range(total):
            co = make_certificate(
                number=f"SW-{i:07d}",
                items=args.items,
                exporting=sender.country,
                importing=receiver.country,
                authority_id=sender.authority_id,
                issue_date=now.date(),
            )
            env = signer.sign(CERTIFICATE_TYPE, co.SerializeToString())
            envelopes.append((env, env.SerializeToString()))

        results: list[RoundResult] = []
        for rnd in range(args.rounds):
            data_dir = root / f"round-{rnd}"
            config = load_config(
                write_node_config(
                    path=root / f"node-{rnd}.toml",
                    node=receiver,
                    partner=sender,
                    data_dir=data_dir,
                    port_file=data_dir / "port",
                )
            )
            node = Node.open(config)
            try:
                subs = [
                    (
                        verify_submission(
                            request_id=str(uuid.uuid4()),
                            envelope_bytes_len=len(raw) + 40,
                            envelope=env,
                            caller_country=sender.country,
                            node_country=receiver.country,
                            trust=node.trust,
                            codelists=node.codelists,
                            limits=config.limits,
                            now=now,
                        ),
                        env,
                        raw,
                    )
                    for env, raw in envelopes[rnd * args.count : (rnd + 1) * args.count]
                ]
                result = _measure_round(
                    node, subs, caller=sender.country, concurrency=args.concurrency, api=args.api
                )
            finally:
                node.close()
            results.append(result)
            print(
                f"  round {rnd + 1}: {result.documents} documents, writer CPU "
                f"{result.total_us:.1f} us/doc (group median "
                f"{statistics.median(result.group_us):.1f}), {result.commits} commits "
                f"({result.documents / max(1, result.commits):.1f} documents each)"
            )

        per_group = [v for r in results for v in r.group_us]
        per_round = [r.total_us for r in results]
        group_us = statistics.median(per_group)
        read_us = statistics.median([v for r in results for v in r.read_us])
        print("store writer CPU per received document (writer thread, CPU time):")
        print(f"  per round (total CPU / documents): {', '.join(f'{v:.1f}' for v in per_round)} us")
        print(
            f"  per group of {args.concurrency}: median {group_us:.1f} us/doc, "
            f"mean {statistics.fmean(per_group):.1f} us/doc (n={len(per_group)})"
        )
        print(f"  idempotency read document_by_request (miss): median {read_us:.1f} us")
        figures["writer_us_per_doc"] = {
            "rounds": per_round,
            "round_median": statistics.median(per_round),
            "group_median": group_us,
        }
        figures["commits_per_round"] = [r.commits for r in results]
        figures["read_document_by_request_us"] = read_us
        print()
        print(
            f"SUMMARY store_writer: {group_us:.0f} us writer CPU per document, median of "
            f"{len(per_group)} groups ({args.items} items, {args.concurrency} concurrent "
            f"{args.api} jobs, {args.rounds} rounds of {args.count}); "
            f"idempotency read {read_us:.1f} us"
        )
    return figures


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=2000, help="documents per round")
    p.add_argument("--rounds", type=int, default=5, help="rounds, each on a fresh database")
    p.add_argument("--items", type=int, default=10, help="goods items per certificate")
    p.add_argument("--concurrency", type=int, default=32, help="jobs queued at once")
    p.add_argument(
        "--api",
        choices=("async", "future"),
        default="async",
        help="queue with write_async from an event loop (as the node) or write_future",
    )
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = p.parse_args()
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
