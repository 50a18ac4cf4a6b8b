"""Benchmark 3: does the node stay flat as its store grows? (issue #6)

For each size N (default 10^3, 10^5, 10^6 stored documents):

1. A fresh node (``python -m reference_node serve``) receives ``--probe``
   real signed certificates from the load generator over mutual TLS: these
   are the documents whose retrieval and resubmission are measured.
2. The node is stopped and its SQLite store is filled up to N documents
   **through the store's own API** (``reference_node.store.sqlite.
   SqliteStore.write`` with ``insert_document`` / ``set_receipt`` /
   ``put_certificate``, 20,000 per transaction), i.e. in the node's own
   schema. The filler alternates documents received from XA (addressed to
   the node, XB) and documents issued by XB to XA (so that XA's pull feed
   holds N/2 documents). To fill quickly, filler rows reuse the envelope
   bytes of a pool of 500 real signed certificates (their ``certificate_key``
   and request id are unique, their envelope is not re-signed per row) and
   the receipt and state blob of a real probe document.
3. Once every size is built, one node per size is started on its filled
   store (all at once), and the client measures in ``--rounds`` rounds that
   alternate between the sizes (so that other load on the machine hits
   every size alike; the median over the rounds counts), each with
   ``--ops`` calls, ``--concurrency`` at a time over two channels:
   ``GetDocument`` by request id and by certificate reference,
   ``GetCertificateStatus``, the duplicate check (resubmitting a stored
   request id with the same bytes returns the original receipt,
   REQ-IDEM-002), ``ListDocuments`` (page of 100 from a random cursor,
   REQ-PULL-001), and new unary submissions (load generator).

Target (issue #6): retrieval and duplicate check at 10^6 documents within
20 % of their cost at 10^3. The cost compared is the node's CPU time per
call (psutil, over each timed round): on a shared machine the latency
of one call moves between two modes (about 2.5 and 6.5 ms at p50, at every
size) with the scheduling of other work, while the CPU time per call does
not; both are printed, the CPU ratio decides. The 10^6 store takes about 4 GB of disk in the
temporary folder, removed afterwards.

Run: ``python -m benchmarks.scale [--sizes 1000 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import random
import shutil
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import grpc

from benchmarks.common import (
    CountryFiles,
    ServerProcess,
    Signer,
    generate_pki,
    machine_info,
    make_requests,
    node_argv,
    percentile,
    run_loadgen,
    work_dir,
    write_node_config,
    write_requests,
)
from reference_node.core.tokens import encode_cursor
from reference_node.store.base import CertificateRow, NewDocument, WriteTransaction
from reference_node.store.sqlite import SqliteStore
from wco.eco.v1 import certificate_pb2, exchange_service_pb2, exchange_service_pb2_grpc

TARGET_RATIO = 1.20
_FILL_CHUNK = 20_000
_POOL = 500
_FLAT_OPS = ("get by request id", "get by certificate", "certificate status", "duplicate check")


def _requests_of(raw: Sequence[bytes]) -> list[exchange_service_pb2.SubmitDocumentRequest]:
    return [exchange_service_pb2.SubmitDocumentRequest.FromString(r) for r in raw]


def _certificate_of(
    request: exchange_service_pb2.SubmitDocumentRequest,
) -> certificate_pb2.CertificateOfOrigin:
    return certificate_pb2.CertificateOfOrigin.FromString(request.envelope.payload)


def fill_store(
    *,
    database: Path,
    target: int,
    sender: CountryFiles,
    receiver: CountryFiles,
    probe_request_id: str,
) -> float:
    """Bulk-insert filler documents until the store holds ``target`` documents.

    Uses the node's own store API (see the module docstring).

    Returns:
        Seconds taken.
    """
    t0 = time.perf_counter()
    pools: dict[str, list[tuple[bytes, str]]] = {}
    for files, partner in ((sender, receiver), (receiver, sender)):
        signer = Signer.load(
            chain_pem=files.path("authority.pem"), key_pem=files.path("authority.key")
        )
        raw = make_requests(
            signer=signer,
            count=_POOL,
            items=10,
            exporting=files.country,
            importing=partner.country,
            authority_id=files.authority_id,
            prefix=f"POOL{files.country}",
        )
        pools[files.country] = [
            (
                r.envelope.SerializeToString(),
                hashlib.sha256(r.envelope.payload).hexdigest(),
            )
            for r in _requests_of(raw)
        ]
    store = SqliteStore.open(database)
    try:
        probe = store.document_by_request(sender.country, probe_request_id)
        if probe is None or probe.receipt is None:
            raise RuntimeError("the probe document is not in the store; cannot fill")
        probe_state = store.certificate(probe.certificate_key)
        if probe_state is None:
            raise RuntimeError("the probe certificate has no state row; cannot fill")
        receipt, state, payload_type = probe.receipt, probe_state.state, probe.payload_type
        existing = store.last_sequence()
        remaining = target - existing
        now = dt.datetime.now(dt.UTC)
        index = 0
        while remaining > 0:
            n = min(_FILL_CHUNK, remaining)
            base = index

            def chunk(tx: WriteTransaction, base: int = base, n: int = n) -> None:
                for i in range(base, base + n):
                    received = i % 2 == 0
                    src, dst = (sender, receiver) if received else (receiver, sender)
                    envelope, digest = pools[src.country][i % _POOL]
                    request_id = str(uuid.uuid4())
                    key = f"{src.country}/{src.authority_id}/FILL-{i:08d}"
                    seq = tx.insert_document(
                        NewDocument(
                            request_id=request_id,
                            sender_country=src.country,
                            recipient_country=dst.country,
                            kind=exchange_service_pb2.DOCUMENT_KIND_CERTIFICATE,
                            payload_type=payload_type,
                            payload_sha256=digest,
                            envelope=envelope,
                            certificate_key=key,
                            verification_id=None,
                            store_time=now,
                            origin="received" if received else "issued",
                        )
                    )
                    if received:
                        tx.set_receipt(seq, receipt)
                    tx.put_certificate(
                        CertificateRow(
                            key=key,
                            exporting_country=src.country,
                            importing_country=dst.country,
                            request_id=request_id,
                            state=state,
                            update_time=now,
                        )
                    )

            store.write(chunk)
            index += n
            remaining -= n
        final = store.last_sequence()
    finally:
        store.close()
    seconds = time.perf_counter() - t0
    print(f"    filled the store to {final} documents in {seconds:.1f} s", flush=True)
    return seconds


async def _timed(
    name: str,
    ops: int,
    concurrency: int,
    call: Callable[[int], Awaitable[object]],
    node_cpu: Callable[[], float],
) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(ops))

    async def worker() -> None:
        for i in counter:
            t0 = time.perf_counter()
            try:
                await call(i)
            except grpc.aio.AioRpcError as exc:
                errors.append(f"{exc.code().name}: {exc.details()}")
                continue
            latencies.append((time.perf_counter() - t0) * 1000.0)

    cpu0 = node_cpu()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - t0
    cpu = node_cpu() - cpu0
    if errors:
        raise RuntimeError(f"{name}: {len(errors)} calls failed, first: {errors[0]}")
    return {
        "rate": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "cpu_ms": 1000.0 * cpu / max(1, len(latencies)),
    }


async def measure_reads(
    *,
    target: str,
    sender: CountryFiles,
    receiver: CountryFiles,
    probes: Sequence[bytes],
    stored: int,
    ops: int,
    concurrency: int,
    rounds: int,
    node_cpu: Callable[[], float],
) -> dict[str, dict[str, float]]:
    """Time retrieval, status, duplicate check and listing against a running node."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=receiver.path("tls-ca.pem").read_bytes(),
        private_key=sender.path("node-client.key").read_bytes(),
        certificate_chain=sender.path("node-client.pem").read_bytes(),
    )
    channels = [
        grpc.aio.secure_channel(target, credentials, [("grpc.use_local_subchannel_pool", 1)])
        for _ in range(2)
    ]
    stubs = [exchange_service_pb2_grpc.ExchangeServiceStub(ch) for ch in channels]
    parsed = _requests_of(probes)
    refs = []
    for r in parsed:
        co = _certificate_of(r)
        refs.append(
            certificate_pb2.CertificateReference(
                exporting_country=co.exporting_country,
                issuing_authority_id=co.issuing_authority.id,
                certificate_number=co.certificate_number,
            )
        )
    rng = random.Random(7)
    cursors = [encode_cursor(rng.randrange(0, max(1, stored - 200))) for _ in range(ops)]

    def stub(i: int) -> exchange_service_pb2_grpc.ExchangeServiceAsyncStub:
        return stubs[i % len(stubs)]

    async def get_by_id(i: int) -> object:
        request_id = parsed[i % len(parsed)].request_id
        return await stub(i).GetDocument(
            exchange_service_pb2.GetDocumentRequest(request_id=request_id)
        )

    async def get_by_ref(i: int) -> object:
        return await stub(i).GetDocument(
            exchange_service_pb2.GetDocumentRequest(certificate=refs[i % len(refs)])
        )

    async def status(i: int) -> object:
        return await stub(i).GetCertificateStatus(
            exchange_service_pb2.GetCertificateStatusRequest(certificate=refs[i % len(refs)])
        )

    async def duplicate(i: int) -> object:
        return await stub(i).SubmitDocument(parsed[i % len(parsed)])

    async def listing(i: int) -> object:
        response = await stub(i).ListDocuments(
            exchange_service_pb2.ListDocumentsRequest(page_size=100, page_token=cursors[i])
        )
        if len(response.documents) == 0:
            raise RuntimeError("ListDocuments returned an empty page inside the feed")
        return response

    try:
        for ch in channels:
            await asyncio.wait_for(ch.channel_ready(), 30)
        out: dict[str, dict[str, float]] = {}
        for name, fn, n in (
            ("get by request id", get_by_id, ops),
            ("get by certificate", get_by_ref, ops),
            ("certificate status", status, ops),
            ("duplicate check", duplicate, ops),
            ("list page of 100", listing, max(50, ops // 10)),
        ):
            # A short untimed warm-up per operation, then the median of
            # ``rounds`` timed rounds (the machine is shared; one round is noisy).
            await _timed(f"{name} warm-up", max(20, n // 10), concurrency, fn, node_cpu)
            samples = [await _timed(name, n, concurrency, fn, node_cpu) for _ in range(rounds)]
            out[name] = {
                key: statistics.median(sample[key] for sample in samples)
                for key in ("rate", "p50_ms", "p99_ms", "cpu_ms")
            }
    finally:
        for ch in channels:
            await ch.close(None)
    return out


def _prepare(
    *,
    root: Path,
    size: int,
    signer: Signer,
    sender: CountryFiles,
    receiver: CountryFiles,
    args: argparse.Namespace,
) -> tuple[Path, list[bytes], Path, float]:
    """Build the store of one size: probe documents over gRPC, then the filler.

    Returns:
        ``(config, probes, fresh_requests_file, fill_seconds)``.
    """
    case = root / f"size-{size}"
    shutil.rmtree(case, ignore_errors=True)
    case.mkdir()
    raw = make_requests(
        signer=signer,
        count=args.probe + args.submissions,
        items=10,
        exporting=sender.country,
        importing=receiver.country,
        authority_id=sender.authority_id,
        prefix=f"SCALE{size}",
    )
    probes, fresh = raw[: args.probe], raw[args.probe :]
    probe_file, fresh_file = case / "probe.bin", case / "fresh.bin"
    write_requests(probe_file, probes)
    write_requests(fresh_file, fresh)
    config = write_node_config(
        path=case / "node.toml",
        node=receiver,
        partner=sender,
        data_dir=case / "data",
        port_file=case / "port",
    )
    with _server(config, "probe") as node:
        r = run_loadgen(
            server=node,
            client=sender,
            server_ca=receiver.path("tls-ca.pem"),
            requests_file=probe_file,
            mode="unary",
            channels=2,
            inflight=4,
            warmup=0,
            count=args.probe,
        )
        if r.errors:
            raise RuntimeError(f"probe submissions refused: {r.errors}")
    first_id = exchange_service_pb2.SubmitDocumentRequest.FromString(probes[0]).request_id
    fill_seconds = fill_store(
        database=case / "data" / "node.sqlite3",
        target=size,
        sender=sender,
        receiver=receiver,
        probe_request_id=first_id,
    )
    return config, probes, fresh_file, fill_seconds


def _server(config: Path, tag: str) -> ServerProcess:
    return ServerProcess(
        argv=node_argv(config),
        port_file=config.parent / "port",
        log_path=config.parent / f"node-{tag}.log",
    )


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the benchmark for every size; print and return the figures.

    All stores are built first; then one node per size runs at the same
    time, and the measurement rounds alternate between the sizes, so that
    load from elsewhere on the machine hits every size alike. The medians
    over the rounds are reported.
    """
    info = machine_info()
    print(f"machine: {info}")
    table: dict[int, dict[str, dict[str, float]]] = {}
    with work_dir(args.keep) as root:
        sender, receiver = generate_pki(root / "pki")
        signer = Signer.load(
            chain_pem=sender.path("authority.pem"), key_pem=sender.path("authority.key")
        )
        prepared = {}
        for size in args.sizes:
            print(f"size {size}: preparing", flush=True)
            prepared[size] = _prepare(
                root=root, size=size, signer=signer, sender=sender, receiver=receiver, args=args
            )
        nodes = {size: _server(prepared[size][0], "measure") for size in args.sizes}
        rounds: dict[int, list[dict[str, dict[str, float]]]] = {s: [] for s in args.sizes}
        try:
            for node in nodes.values():
                node.start()
            for index in range(args.rounds):
                for size in args.sizes:
                    reads = asyncio.run(
                        measure_reads(
                            target=nodes[size].target,
                            sender=sender,
                            receiver=receiver,
                            probes=prepared[size][1],
                            stored=size,
                            ops=args.ops,
                            concurrency=args.concurrency,
                            rounds=1,
                            node_cpu=nodes[size].cpu_seconds,
                        )
                    )
                    rounds[size].append(reads)
                    summary = ", ".join(
                        f"{k} {v['p50_ms']:.2f}/{v['cpu_ms']:.2f}" for k, v in reads.items()
                    )
                    print(
                        f"  round {index + 1}, size {size}: p50 ms/node CPU ms: {summary}",
                        flush=True,
                    )
            for size in args.sizes:
                node = nodes[size]
                submit = run_loadgen(
                    server=node,
                    client=sender,
                    server_ca=receiver.path("tls-ca.pem"),
                    requests_file=prepared[size][2],
                    mode="unary",
                    channels=4,
                    inflight=8,
                    warmup=0,
                    count=args.submissions,
                )
                rss = node.monitor.rss() / 2**20 if node.monitor else float("nan")
                figures = {
                    op: {
                        key: statistics.median(r[op][key] for r in rounds[size])
                        for key in ("rate", "p50_ms", "p99_ms", "cpu_ms")
                    }
                    for op in rounds[size][0]
                }
                figures["new submission (unary)"] = {
                    "rate": submit.rate,
                    "p50_ms": submit.p50_ms,
                    "p99_ms": submit.p99_ms,
                    "cpu_ms": submit.server_cpu_ms_per_cert,
                }
                table[size] = figures
                data = prepared[size][0].parent / "data"
                db_mb = sum(p.stat().st_size for p in data.glob("node.sqlite3*")) / 2**20
                print(
                    f"size {size}: database {db_mb:.0f} MiB, node RSS {rss:.0f} MiB, "
                    f"filled in {prepared[size][3]:.0f} s (median of {args.rounds} rounds)"
                )
                for name, fig in figures.items():
                    print(
                        f"    {name:<24} {fig['rate']:8.1f} ops/s  p50 {fig['p50_ms']:7.2f} ms  "
                        f"p99 {fig['p99_ms']:7.2f} ms  node CPU {fig['cpu_ms']:6.3f} ms/op",
                        flush=True,
                    )
        finally:
            for node in nodes.values():
                node.stop()
    small, large = min(table), max(table)
    # The rounds alternate between the sizes, so round r of every size ran under
    # the same load: the ratio within a round cancels the machine's changes of
    # speed, and the median of those paired ratios decides.
    print()
    print(f"paired ratios, node CPU per call at {large} / at {small} in the same round:")
    verdicts = []
    for op in (*_FLAT_OPS, "list page of 100", "new submission (unary)"):
        cpu_ratio = table[large][op]["cpu_ms"] / table[small][op]["cpu_ms"]
        p50_ratio = table[large][op]["p50_ms"] / table[small][op]["p50_ms"]
        gated = op in _FLAT_OPS
        if op in rounds[small][0]:
            paired = [
                big[op]["cpu_ms"] / little[op]["cpu_ms"]
                for big, little in zip(rounds[large], rounds[small], strict=True)
            ]
            decisive = statistics.median(paired)
            print(f"    {op:<24} {' '.join(f'{x:.2f}' for x in paired)}  median x{decisive:.2f}")
            shown = f"CPU paired x{decisive:.2f} (medians x{cpu_ratio:.2f}) p50 x{p50_ratio:.2f}"
        else:
            decisive = cpu_ratio
            shown = f"CPU x{cpu_ratio:.2f} p50 x{p50_ratio:.2f}"
        mark = ("met" if decisive <= TARGET_RATIO else "MISSED") if gated else "info"
        verdicts.append(f"{op} {shown} ({mark})")
    print()
    print(
        f"SUMMARY scale: cost per call at {large} vs {small} stored documents: "
        + ", ".join(verdicts)
        + f" (target: node CPU per call <= x{TARGET_RATIO:.2f} for retrieval and duplicate check)"
    )
    return {"machine": info, "sizes": {str(k): v for k, v in table.items()}}


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    p.add_argument("--probe", type=int, default=200, help="real documents measured")
    p.add_argument("--ops", type=int, default=2000, help="calls per read measurement")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds; the median counts")
    p.add_argument("--concurrency", type=int, default=8, help="calls in flight")
    p.add_argument("--submissions", type=int, default=1000, help="new submissions per size")
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = p.parse_args()
    if min(args.sizes) <= args.probe:
        p.error("every size must exceed --probe")
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
