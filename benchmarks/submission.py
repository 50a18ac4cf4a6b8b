"""Benchmark 1: submission throughput and latency, node versus echo baseline (issue #6).

One run, one machine, one client: the load generator
(:mod:`benchmarks.loadgen`, its own process, several mutual-TLS channels)
submits pre-signed certificates of origin (10 goods items, about 3 KB of
payload; and a 100-item variant) first to the bare echo server
(:mod:`benchmarks.echo_server`) and then to the reference node
(``python -m reference_node serve``), unary and streaming. The node does
the full work of a submission (signature and chain verification, field
rules, durable commit, signed receipt; docs/spec.md section 5.4,
REQ-PUSH-001); the echo server does none. The figure that counts is the
node's throughput as a ratio of the echo server's.

Targets (issue #6): unary >= 50 % of echo, streaming >= 60 % of echo.

Run: ``python -m benchmarks.submission`` (``--help`` for sizes and
concurrency). Each node run starts from an empty data directory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from benchmarks.common import (
    CountryFiles,
    LoadResult,
    ServerProcess,
    Signer,
    echo_argv,
    generate_pki,
    machine_info,
    make_requests,
    node_argv,
    run_loadgen,
    work_dir,
    write_node_config,
    write_requests,
)

TARGETS = {"unary": 0.50, "stream": 0.60}


def _prepare_requests(
    root: Path, sender: CountryFiles, receiver: CountryFiles, items: int, count: int
) -> Path:
    signer = Signer.load(
        chain_pem=sender.path("authority.pem"), key_pem=sender.path("authority.key")
    )
    t0 = time.perf_counter()
    requests = make_requests(
        signer=signer,
        count=count,
        items=items,
        exporting=sender.country,
        importing=receiver.country,
        authority_id=sender.authority_id,
        prefix=f"BENCH{items}",
    )
    path = root / f"requests-{items}.bin"
    write_requests(path, requests)
    print(
        f"  prepared {count} signed certificates with {items} items "
        f"({sum(map(len, requests)) / count:.0f} bytes per request) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return path


def _measure(
    *,
    server: ServerProcess,
    sender: CountryFiles,
    receiver: CountryFiles,
    requests_file: Path,
    mode: str,
    args: argparse.Namespace,
    count: int,
    cycle: bool,
) -> LoadResult:
    return run_loadgen(
        server=server,
        client=sender,
        server_ca=receiver.path("tls-ca.pem"),
        requests_file=requests_file,
        mode=mode,
        channels=args.channels,
        inflight=args.inflight,
        warmup=args.warmup,
        count=count,
        cycle=cycle,
    )


def _line(label: str, r: LoadResult) -> str:
    errors = f"  errors {r.errors}" if r.errors else ""
    return (
        f"  {label:<26} {r.rate:9.1f} cert/s  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms  "
        f"server CPU {r.server_cpu_ms_per_cert:6.2f} ms/cert  "
        f"peak RSS {r.server_peak_rss_mb:6.1f} MiB  client CPU {r.client_cpu_s:5.1f} s{errors}"
    )


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the benchmark and return the figures (also printed)."""
    info = machine_info()
    print(f"machine: {info}")
    print(
        f"load: {args.channels} channels x {args.inflight} in flight; node processes "
        f"{args.processes}, echo processes {args.echo_processes}"
    )
    results: dict[str, object] = {
        "machine": info,
        "runs": [],
        "node_processes": args.processes,
        "echo_processes": args.echo_processes,
    }
    runs: list[dict[str, object]] = []
    with work_dir(args.keep) as root:
        sender, receiver = generate_pki(root / "pki")
        counts = {10: args.count, 100: args.count_100}
        files = {
            items: _prepare_requests(root, sender, receiver, items, args.warmup + n)
            for items, n in counts.items()
            if items in args.items
        }
        summary: list[str] = []
        for items, requests_file in files.items():
            for mode in args.modes:
                echo_rates: list[LoadResult] = []
                node_rates: list[LoadResult] = []
                for rep in range(args.repeat):
                    for kind in args.servers:
                        tag = f"{kind}-{items}-{mode}-{rep}"
                        data = root / f"data-{tag}"
                        shutil.rmtree(data, ignore_errors=True)
                        port_file = root / f"port-{tag}"
                        config = write_node_config(
                            path=root / f"{tag}.toml",
                            node=receiver,
                            partner=sender,
                            data_dir=data,
                            port_file=port_file,
                        )
                        argv = (
                            echo_argv(config, processes=args.echo_processes)
                            if kind == "echo"
                            else node_argv(config, processes=args.processes)
                        )
                        with ServerProcess(
                            argv=argv, port_file=port_file, log_path=root / f"{tag}.log"
                        ) as server:
                            r = _measure(
                                server=server,
                                sender=sender,
                                receiver=receiver,
                                requests_file=requests_file,
                                mode=mode,
                                args=args,
                                # The echo server stores nothing, so it gets
                                # the same payloads several times over, for a
                                # timed phase long enough to be stable.
                                count=counts[items] * (args.echo_factor if kind == "echo" else 1),
                                cycle=kind == "echo",
                            )
                        (echo_rates if kind == "echo" else node_rates).append(r)
                        print(_line(f"{kind} {items:>3} items {mode}", r), flush=True)
                        runs.append({"server": kind, "items": items, "mode": mode, **asdict(r)})
                if not echo_rates or not node_rates:
                    continue
                echo = statistics.median(r.rate for r in echo_rates)
                node = statistics.median(r.rate for r in node_rates)
                ratio = node / echo if echo else float("nan")
                target = TARGETS[mode]
                clean = all(not r.errors for r in node_rates + echo_rates)
                verdict = "met" if ratio >= target and clean else "MISSED"
                if not clean:
                    verdict += " (errors)"
                line = (
                    f"{items} items {mode}: node {node:.0f}/s vs echo {echo:.0f}/s = "
                    f"{ratio:.1%} (target {target:.0%}: {verdict})"
                )
                print("  ->", line, flush=True)
                summary.append(line)
        results["runs"] = runs
        results["summary"] = summary
    print()
    print("SUMMARY submission: " + "; ".join(summary))
    return results


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=5000, help="timed 10-item submissions per run")
    p.add_argument("--count-100", type=int, default=1000, help="timed 100-item submissions")
    p.add_argument("--warmup", type=int, default=300, help="untimed submissions first")
    p.add_argument("--channels", type=int, default=8, help="client channels (connections)")
    p.add_argument("--inflight", type=int, default=4, help="unanswered requests per channel")
    p.add_argument("--items", type=int, nargs="+", default=[10, 100], choices=[10, 100])
    p.add_argument("--modes", nargs="+", default=["unary", "stream"], choices=list(TARGETS))
    p.add_argument("--servers", nargs="+", default=["echo", "node"], choices=["echo", "node"])
    p.add_argument(
        "--processes",
        type=int,
        default=2,
        help="serving processes of the node ([node] processes; default 2, one per core here)",
    )
    p.add_argument(
        "--echo-processes",
        type=int,
        default=1,
        help="serving processes of the echo server (default 1: one bare grpc.aio server)",
    )
    p.add_argument(
        "--echo-factor", type=int, default=4, help="echo runs send this many times --count"
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per case; the median counts")
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = p.parse_args()
    results = run(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
