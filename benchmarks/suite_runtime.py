"""Benchmark 4: time of a default ``eco-conformance run`` against the embedded node (issue #6).

The suite is run exactly as a user runs it, as a subprocess with its
default options (no ``--target``: it starts the reference node embedded and
tests it). Reported: wall time, CPU time of the suite and everything it
started (the embedded node included), the peak RSS of that process tree,
the exit status and the suite's own final "N passed, N failed" line.

Run: ``python -m benchmarks.suite_runtime [--repeat N] [-- extra suite args]``.
The command defaults to the installed ``eco-conformance`` script and falls
back to ``python -c 'from conformance.cli import main; ...'`` from the
repository when the package is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import REPO_ROOT, ProcessMonitor, machine_info, work_dir

_SUMMARY = re.compile(r"\d+ passed, \d+ failed.*")


def suite_command() -> list[str]:
    """The command that runs the conformance suite's CLI."""
    script = shutil.which("eco-conformance")
    if script is None:
        candidate = Path(sys.executable).with_name("eco-conformance")
        script = str(candidate) if candidate.exists() else None
    if script is not None:
        return [script]
    return [
        sys.executable,
        "-c",
        "import sys; from conformance.cli import main; sys.exit(main())",
    ]


def run_once(extra: list[str], workdir: Path, index: int) -> dict[str, object]:
    """Run the suite once; return wall time, CPU, peak RSS, status and summary."""
    argv = [*suite_command(), "run", *extra]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    log_path = workdir / f"suite-{index}.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        monitor = ProcessMonitor(proc.pid, interval=0.2)
        monitor.start()
        code = proc.wait()
        monitor.stop()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = log_path.read_text(errors="replace")
    found = _SUMMARY.findall(output)
    summary = found[-1].strip() if found else "(no summary line found)"
    peak = max((rss for _, rss in monitor.samples), default=0) / 2**20
    print(
        f"  run {index + 1}: {wall:7.1f} s wall, {cpu:7.1f} s CPU, peak RSS {peak:6.0f} MiB, "
        f"exit {code}: {summary}",
        flush=True,
    )
    if code != 0 and not found:
        print(f"  last lines of the output ({log_path}):")
        for line in output.splitlines()[-15:]:
            print(f"    {line}")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": peak,
        "exit": code,
        "summary": summary,
    }


def main() -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=1, help="runs; the median counts")
    p.add_argument("--keep", type=Path, help="work folder to keep (reports, logs)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    p.add_argument("extra", nargs="*", help="extra arguments for 'eco-conformance run'")
    args = p.parse_args()
    info = machine_info()
    print(f"machine: {info}")
    print(f"command: {' '.join([*suite_command(), 'run', *args.extra])}")
    with work_dir(args.keep) as root:
        runs = [run_once(list(args.extra), root, i) for i in range(args.repeat)]
    wall = statistics.median(float(str(r["wall_s"])) for r in runs)
    cpu = statistics.median(float(str(r["cpu_s"])) for r in runs)
    print()
    print(
        f"SUMMARY suite_runtime: default 'eco-conformance run' (embedded node) took "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU (median of {len(runs)}); "
        f"last result: {runs[-1]['summary']} (exit {runs[-1]['exit']})"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "runs": runs}, indent=2), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
