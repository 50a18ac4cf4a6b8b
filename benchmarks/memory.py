"""Node memory over a long run: RSS after each slice of submitted certificates (issue #6).

The node (``python -m reference_node serve``, empty data directory) receives
``--count`` distinct signed certificates (10 goods items) over
``SubmitDocumentStream`` from the load generator, in ``--slices`` equal
slices. After each slice the node's RSS is read (and sampled continuously
in between); throughput per slice shows whether submission slows down as
the store grows.

Target (issue #6): node RSS stays flat, within 50 MB, over a
100,000-certificate run: ``python -m benchmarks.memory --count 100000``.
The default count is smaller so that a quick run takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.common import (
    ServerProcess,
    Signer,
    generate_pki,
    machine_info,
    make_requests,
    node_argv,
    run_loadgen,
    work_dir,
    write_node_config,
    write_requests,
)

TARGET_MB = 50.0


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the long submission and report the RSS course."""
    info = machine_info()
    print(f"machine: {info}")
    with work_dir(args.keep) as root:
        sender, receiver = generate_pki(root / "pki")
        signer = Signer.load(
            chain_pem=sender.path("authority.pem"), key_pem=sender.path("authority.key")
        )
        slice_size = args.count // args.slices
        total = args.warmup + slice_size * args.slices
        t0 = time.perf_counter()
        requests_file = root / "requests.bin"
        write_requests(
            requests_file,
            make_requests(
                signer=signer,
                count=total,
                items=10,
                exporting=sender.country,
                importing=receiver.country,
                authority_id=sender.authority_id,
                prefix="MEM",
            ),
        )
        print(f"  prepared {total} signed certificates in {time.perf_counter() - t0:.1f} s")
        config = write_node_config(
            path=root / "node.toml",
            node=receiver,
            partner=sender,
            data_dir=root / "data",
            port_file=root / "port",
        )
        points: list[dict[str, float]] = []
        with ServerProcess(
            argv=node_argv(config, processes=args.processes),
            port_file=root / "port",
            log_path=root / "node.log",
        ) as server:
            assert server.monitor is not None
            start_rss = server.monitor.rss() / 2**20
            print(f"  node RSS after start: {start_rss:.1f} MiB")
            offset = 0
            for index in range(args.slices):
                r = run_loadgen(
                    server=server,
                    client=sender,
                    server_ca=receiver.path("tls-ca.pem"),
                    requests_file=requests_file,
                    mode=args.mode,
                    channels=args.channels,
                    inflight=args.inflight,
                    warmup=args.warmup if index == 0 else 0,
                    count=slice_size,
                    offset=offset,
                )
                offset += slice_size + (args.warmup if index == 0 else 0)
                rss = server.monitor.rss() / 2**20
                done = slice_size * (index + 1)
                points.append(
                    {"certificates": done, "rss_mib": rss, "rate": r.rate, "p99_ms": r.p99_ms}
                )
                errors = f" errors {r.errors}" if r.errors else ""
                print(
                    f"  after {done:>7} certificates: RSS {rss:7.1f} MiB  "
                    f"(peak in slice {r.server_peak_rss_mb:7.1f} MiB)  "
                    f"{r.rate:7.1f} cert/s  p99 {r.p99_ms:6.1f} ms{errors}",
                    flush=True,
                )
            peak = max(rss for _, rss in server.monitor.samples) / 2**20
        baseline = points[0]["rss_mib"]
        growth = points[-1]["rss_mib"] - baseline
        growth_peak = peak - baseline
        verdict = "met" if max(growth, growth_peak) <= TARGET_MB else "MISSED"
        print()
        print(
            f"SUMMARY memory: {slice_size * args.slices} certificates ({args.mode}); node RSS "
            f"{baseline:.1f} MiB after the first slice, {points[-1]['rss_mib']:.1f} MiB at the "
            f"end (growth {growth:+.1f} MiB, peak {peak:.1f} MiB); "
            f"target growth <= {TARGET_MB:.0f} MB: {verdict}; "
            f"rate first/last slice {points[0]['rate']:.0f}/{points[-1]['rate']:.0f} cert/s"
        )
    return {
        "machine": info,
        "count": slice_size * args.slices,
        "start_rss_mib": start_rss,
        "peak_rss_mib": peak,
        "points": points,
    }


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=20000, help="certificates (target run: 100000)")
    p.add_argument("--slices", type=int, default=10, help="RSS is reported after each slice")
    p.add_argument("--mode", choices=("unary", "stream"), default="stream")
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument(
        "--processes", type=int, default=1, help="serving processes of the node (RSS is summed)"
    )
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--inflight", type=int, default=8)
    p.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = p.parse_args()
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
