"""Mutation testing of the reference node with the conformance suite as the test.

The faulty variants of ``tests/mutants/`` were written by the suite's authors,
so "the suite catches all of them" says little about faults nobody thought of.
This script measures the suite's power without that bias: it lets
`cosmic-ray <https://cosmic-ray.readthedocs.io>`_ make small mechanical
changes (operators swapped, constants changed, conditions negated, ...) to the
reference node and counts how many of the mutated nodes the suite rejects.

Why cosmic-ray: the suite tests a node *from outside*, running in a separate
process (embedded mode starts ``python -m reference_node ... adapter``).
cosmic-ray writes each mutant to the source file on disk and runs an arbitrary
shell command as the test, so the node subprocess imports the mutated code.
mutmut 3 instead injects all mutants at once behind in-process "trampolines"
selected by an environment variable in the test process; the node subprocess
never goes through them, so every mutant would survive.

What is mutated (docs/spec.md is tested through the public RPCs only):
``reference_node/core/*``, ``reference_node/service.py``,
``reference_node/server/*``, ``reference_node/store/*`` and
``reference_node/sender/*``, except:

- the ``__init__.py`` files (empty or a docstring: nothing to mutate);
- ``reference_node/server/workers.py``: the extra serving processes of
  ``[node] processes = N``, used only by ``eco-node serve`` with N > 1; the
  embedded node runs one process (``adapter`` command), so the suite never
  executes that code and every mutant of it would survive without saying
  anything about the suite.

The CLI (``cli.py``), the configuration loading (``config.py``), the adapter
(``adapter.py``) and the PKI generator (``pki.py``) are outside the selected
directories anyway: they are not protocol behaviour.

How a run goes (all under ``--work-dir``, never in the repository):

1. the repository is copied to ``<work-dir>/tree-1`` .. ``tree-W`` (one per
   worker, without ``.git``); cosmic-ray rewrites files only in those copies;
2. baseline: the test command runs once on the clean ``tree-1`` and must PASS;
   its duration sets the timeout per mutant (``--timeout-factor`` x baseline,
   at least 60 s);
3. ``cosmic-ray init`` lists every mutant of the selected modules; a
   reproducible random sample of ``--sample`` mutants, stratified by module
   (proportional allocation, largest remainder, every module at least one), is
   kept and every other work item is marked skipped through cosmic-ray's
   ``WorkDB`` API (``WorkerOutcome.SKIPPED``, as cosmic-ray's own filters do);
4. ``cosmic-ray exec`` runs the sample: sequentially (local distributor) with
   one worker, or with W ``cosmic-ray http-worker`` processes, each in its own
   copy of the tree, with ``--workers W``. cosmic-ray runs pending mutants in
   random order, so an interrupted run is a random part of the sample;
5. figures and ``survivors.json`` (module, line, operator, diff of every
   survivor) are written; ``report`` recomputes them from the session at any
   time, also while a run is going on.

The test command is ``eco-conformance run --exitfirst --examples 3
--shrink-seconds 1 --seed 1 --report-dir <fresh temporary directory>`` in
embedded mode, run by this script's ``run-one`` command with the tree copy
first on ``PYTHONPATH`` (so the suite starts the *mutated* node) and a fresh
report directory (so no Hypothesis database carries over between mutants).
``run-one`` prints the verdict and exits with the suite's exit code. A mutant
is KILLED when the run ends FAIL (exit 1) or ERROR (exit 5), or the mutated
node cannot even start (exit 4, preflight); TIMEOUT when cosmic-ray stops it
at the timeout (counted as killed, shown apart); SURVIVED when the run PASSes
(exit 0). Any other exit (3, INCOMPLETE) is shown apart and not counted as
killed. INCOMPETENT is cosmic-ray's own word for a mutant it could not apply
or run.

Run (from a throw-away clone with its own virtualenv holding cosmic-ray)::

    python -m benchmarks.mutation run --sample 300 --seed 1 --workers 2 \
        --work-dir /tmp/eco-mutation
    python -m benchmarks.mutation report --work-dir /tmp/eco-mutation
    python -m benchmarks.mutation run --resume --work-dir /tmp/eco-mutation
    python -m benchmarks.mutation rerun --from /tmp/eco-mutation --workers 2 \
        --work-dir /tmp/eco-mutation-2

``rerun`` runs the survivors of an earlier session again with the current suite (the
modules holding them must be unchanged); killed mutants keep their result.

This is a measurement, not a test: nothing runs it in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Directories and modules that are mutated (relative to the repository root).
MUTATED = (
    "reference_node/core",
    "reference_node/service.py",
    "reference_node/server",
    "reference_node/store",
    "reference_node/sender",
)
#: Left out, with the reason (see the module docstring).
EXCLUDED = {
    "reference_node/server/workers.py": "extra serving processes, only with processes > 1",
}

#: The suite's options for one mutant (plus a fresh ``--report-dir``).
SUITE_ARGS = ("run", "--exitfirst", "--examples", "3", "--shrink-seconds", "1", "--seed", "1")

#: Marker of the one line ``run-one`` prints for the session's output column.
RESULT_MARK = "MUTATION-RESULT "

#: Exit codes of ``eco-conformance run`` (docs/conformance.md section 1).
KILLING_EXITS = {1: "FAIL", 5: "ERROR", 4: "PREFLIGHT"}

_COPY_IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", ".venv", "venv", ".mypy_cache", ".ruff_cache",
    ".pytest_cache", ".hypothesis", "build", ".build",
)  # fmt: skip


# --------------------------------------------------------------------------- modules


def module_paths(root: Path) -> list[str]:
    """The modules to mutate, relative to ``root``, sorted."""
    found: set[str] = set()
    for entry in MUTATED:
        path = root / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            rel = file.relative_to(root).as_posix()
            if file.name != "__init__.py" and rel not in EXCLUDED:
                found.add(rel)
    return sorted(found)


# --------------------------------------------------------------------------- run-one


def suite_script() -> str:
    """The ``eco-conformance`` script of this interpreter's environment."""
    candidate = Path(sys.executable).with_name("eco-conformance")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("eco-conformance")
    if found is None:
        raise SystemExit("error: eco-conformance is not installed in this environment")
    return found


def run_one(tree: Path) -> int:
    """Run the suite once against the node of ``tree``; print the verdict; return its exit.

    Args:
        tree: The (possibly mutated) copy of the repository; it goes first on
            ``PYTHONPATH`` so both the suite and the embedded node import from it.

    Returns:
        The suite's exit code.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory(prefix="eco-mutant-") as report_dir:
        t0 = time.monotonic()
        proc = subprocess.run(
            [suite_script(), *SUITE_ARGS, "--report-dir", report_dir],
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        seconds = time.monotonic() - t0
        verdict, failures = _read_report(Path(report_dir) / "report.json")
    tail = proc.stdout.decode("utf-8", "replace").splitlines()[-8:]
    result = {
        "exit": proc.returncode,
        "verdict": verdict,
        "failures": failures,
        "seconds": round(seconds, 1),
    }
    print("\n".join(tail))
    print(RESULT_MARK + json.dumps(result), flush=True)
    return proc.returncode


def _read_report(path: Path) -> tuple[str | None, list[str]]:
    """The verdict and the first failing case ids of a report.json, if there is one."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, []
    failures = [
        str(case.get("case"))
        for case in report.get("cases") or []
        if isinstance(case, dict) and case.get("status") in {"failed", "error", "xpassed"}
    ]
    return report.get("verdict"), failures[:3]


# --------------------------------------------------------------------------- sampling


def stratified_sample(
    items: Sequence[Any], size: int, seed: int
) -> tuple[list[Any], dict[str, tuple[int, int]]]:
    """Draw ``size`` work items, stratified by module, reproducibly.

    Allocation is proportional to each module's number of mutants (largest
    remainder), with at least one per module when ``size`` allows it. The items
    are ordered by (module, operator, occurrence) before drawing, so the sample
    depends only on the code, ``size`` and ``seed`` (not on cosmic-ray's random
    job ids).

    Args:
        items: cosmic-ray ``WorkItem`` objects with one mutation each.
        size: How many to draw (all of them if there are fewer).
        seed: Seed of the random generator.

    Returns:
        The drawn items and, per module, ``(mutants, drawn)``.
    """
    by_module: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        by_module[str(item.mutations[0].module_path)].append(item)
    for group in by_module.values():
        group.sort(key=lambda it: (it.mutations[0].operator_name, it.mutations[0].occurrence))
    total = sum(len(group) for group in by_module.values())
    size = min(size, total)
    modules = sorted(by_module)
    quota = {m: size * len(by_module[m]) / total for m in modules}
    alloc = {m: math.floor(quota[m]) for m in modules}
    if size >= len(modules):
        for m in modules:
            alloc[m] = max(alloc[m], 1)
    by_remainder = sorted(modules, key=lambda m: (alloc[m] - quota[m], m))
    index = 0
    while sum(alloc.values()) < size:
        m = by_remainder[index % len(modules)]
        if alloc[m] < len(by_module[m]):
            alloc[m] += 1
        index += 1
    while sum(alloc.values()) > size:  # the minimum of one pushed it over
        m = max(modules, key=lambda m: (alloc[m] - quota[m], m))
        alloc[m] -= 1
    rng = random.Random(seed)
    drawn: list[Any] = []
    for m in modules:
        drawn.extend(rng.sample(by_module[m], alloc[m]))
    return drawn, {m: (len(by_module[m]), alloc[m]) for m in modules}


# --------------------------------------------------------------------------- session


def cosmic_ray_script() -> str:
    """The ``cosmic-ray`` script of this interpreter's environment."""
    candidate = Path(sys.executable).with_name("cosmic-ray")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("cosmic-ray")
    if found is None:
        raise SystemExit("error: cosmic-ray is not installed (pip install cosmic-ray)")
    return found


def write_config(
    path: Path, modules: Sequence[str], timeout: float, worker_urls: Sequence[str]
) -> None:
    """Write the cosmic-ray configuration (TOML) of the session."""
    command = f"{sys.executable} -m benchmarks.mutation run-one"
    lines = [
        "[cosmic-ray]",
        "module-path = [" + ", ".join(json.dumps(m) for m in modules) + "]",
        f"timeout = {timeout:.1f}",
        "excluded-modules = []",
        f"test-command = {json.dumps(command)}",
        "",
        "[cosmic-ray.distributor]",
        f'name = "{"http" if worker_urls else "local"}"',
    ]
    if worker_urls:
        lines += [
            "",
            "[cosmic-ray.distributor.http]",
            "worker-urls = [" + ", ".join(json.dumps(u) for u in worker_urls) + "]",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_trees(source: Path, work_dir: Path, count: int) -> list[Path]:
    """Copy ``source`` to ``work_dir/tree-1..count`` (fresh copies)."""
    trees = []
    for index in range(1, count + 1):
        tree = work_dir / f"tree-{index}"
        if tree.exists():
            shutil.rmtree(tree)
        shutil.copytree(source, tree, ignore=_COPY_IGNORE, symlinks=True)
        trees.append(tree)
    return trees


def baseline(tree: Path) -> float:
    """Run the test command on the clean tree; it must PASS. Returns its duration in s."""
    print(f"baseline: clean tree {tree}", flush=True)
    t0 = time.monotonic()
    code = subprocess.run(
        [sys.executable, "-m", "benchmarks.mutation", "run-one"],
        cwd=tree,
        stdout=subprocess.PIPE,
        check=False,
    )
    seconds = time.monotonic() - t0
    print(code.stdout.decode("utf-8", "replace").rstrip())
    if code.returncode != 0:
        raise SystemExit(f"error: the clean tree does not pass (exit {code.returncode})")
    print(f"baseline: PASS in {seconds:.1f} s", flush=True)
    return seconds


@contextlib.contextmanager
def http_workers(trees: Sequence[Path], log_dir: Path) -> Iterator[list[str]]:
    """Start one ``cosmic-ray http-worker`` per tree copy; yield their URLs."""
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for index, tree in enumerate(trees, start=1):
            port = _free_port()
            log = (log_dir / f"worker-{index}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [cosmic_ray_script(), "http-worker", "--port", str(port)],
                    cwd=tree,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_listening(url)
        yield urls
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)


def _wait_listening(url: str, seconds: float = 30.0) -> None:
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"error: cosmic-ray http-worker at {url} did not start")


def cmd_run(args: argparse.Namespace) -> int:
    """Set up (unless resuming), run the sample, print figures."""
    from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]  # noqa: PLC0415
    from cosmic_ray.work_item import WorkerOutcome, WorkResult  # type: ignore[import-untyped]  # noqa: PLC0415

    work_dir: Path = args.work_dir.resolve()
    source: Path = args.tree.resolve()
    if work_dir == source or source in work_dir.parents:
        raise SystemExit("error: --work-dir must be outside the repository")
    work_dir.mkdir(parents=True, exist_ok=True)
    session = work_dir / "session.sqlite"
    meta_path = work_dir / "meta.json"
    config = work_dir / "cosmic-ray.toml"
    if args.resume:
        # Fresh copies: a run stopped mid-mutant may have left a file mutated.
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        trees = make_trees(source, work_dir, args.workers)
    else:
        trees = make_trees(source, work_dir, args.workers)
        seconds = baseline(trees[0])
        timeout = max(args.timeout_factor * seconds, 60.0)
        modules = module_paths(trees[0])
        write_config(config, modules, timeout, [])
        if session.exists():
            session.unlink()
        subprocess.run(
            [cosmic_ray_script(), "init", str(config), str(session)], cwd=trees[0], check=True
        )
        with use_db(str(session), WorkDB.Mode.open) as db:
            items = db.work_items
            drawn, strata = stratified_sample(items, args.sample, args.seed)
            keep = {item.job_id for item in drawn}
            db.set_multiple_results(
                [item.job_id for item in items if item.job_id not in keep],
                WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED),
            )
        meta = {
            "baseline_s": round(seconds, 1),
            "timeout_s": round(timeout, 1),
            "sample": len(drawn),
            "seed": args.seed,
            "mutants_total": len(items),
            "strata": strata,
            "excluded": EXCLUDED,
            "suite_args": list(SUITE_ARGS),
            "exec_s": 0.0,
        }
        meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        print(
            f"session: {len(items)} mutants in {len(modules)} modules, sample {len(drawn)} "
            f"(seed {args.seed}), timeout {timeout:.0f} s per mutant",
            flush=True,
        )

    return _execute(args, work_dir, trees, meta)


def _execute(
    args: argparse.Namespace, work_dir: Path, trees: list[Path], meta: dict[str, Any]
) -> int:
    """Run the pending work items of the session in work-dir, then report."""
    session = work_dir / "session.sqlite"
    config = work_dir / "cosmic-ray.toml"
    meta_path = work_dir / "meta.json"
    t0 = time.monotonic()
    with contextlib.ExitStack() as stack:
        urls = stack.enter_context(http_workers(trees, work_dir)) if args.workers > 1 else []
        write_config(config, module_paths(trees[0]), float(meta["timeout_s"]), urls)
        proc = subprocess.Popen(
            [cosmic_ray_script(), "exec", str(config), str(session)],
            cwd=trees[0],
            stdout=(work_dir / "exec.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        try:
            while proc.poll() is None:
                time.sleep(args.progress_seconds)
                done, total = _progress(session)
                print(
                    f"progress: {done}/{total} mutants, {time.monotonic() - t0:.0f} s", flush=True
                )
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
    meta["exec_s"] = round(float(meta.get("exec_s", 0.0)) + time.monotonic() - t0, 1)
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return cmd_report(args)


def cmd_rerun(args: argparse.Namespace) -> int:
    """Run again, with the current suite, the survivors of an earlier session.

    The modules holding the mutants to rerun must be byte for byte those of the earlier
    session (checked), so each work item still names the same mutation. Killed mutants
    keep their result: the suite only ever gains cases, so a mutant it killed stays
    killed. A new baseline sets the timeout, since the suite's duration has changed.
    """
    source_dir: Path = args.from_dir.resolve()
    work_dir: Path = args.work_dir.resolve()
    source: Path = args.tree.resolve()
    if work_dir in (source, source_dir) or source in work_dir.parents:
        raise SystemExit("error: --work-dir must be new and outside the repository")
    survivors = json.loads((source_dir / "survivors.json").read_text(encoding="utf-8"))
    jobs = {s["job_id"] for s in survivors}
    if args.jobs is not None:
        wanted = set(json.loads(args.jobs.read_text(encoding="utf-8")))
        unknown = wanted - jobs
        if unknown:
            raise SystemExit(f"error: {len(unknown)} job ids of --jobs are not survivors")
        jobs = wanted
    # A work item names its mutation by position in its module: that module must be
    # unchanged. Other modules may have changed; they are part of the node under test.
    old_tree = source_dir / "tree-1"
    changed = sorted(
        m
        for m in {s["module"] for s in survivors if s["job_id"] in jobs}
        if not (old_tree / m).is_file() or (old_tree / m).read_bytes() != (source / m).read_bytes()
    )
    if changed:
        raise SystemExit(
            f"error: {len(changed)} modules with mutants to rerun differ from the earlier "
            f"session (first: {changed[0]}); start a new session with `run`"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_dir / "session.sqlite", work_dir / "session.sqlite")
    with sqlite3.connect(work_dir / "session.sqlite") as db:
        db.executemany("DELETE FROM work_results WHERE job_id = ?", [(j,) for j in jobs])
    meta = json.loads((source_dir / "meta.json").read_text(encoding="utf-8"))
    trees = make_trees(source, work_dir, args.workers)
    seconds = baseline(trees[0])
    meta.update(
        {
            "baseline_s": round(seconds, 1),
            "timeout_s": round(max(args.timeout_factor * seconds, 60.0), 1),
            "rerun_of": str(source_dir),
            "rerun_jobs": len(jobs),
            "exec_s": 0.0,
        }
    )
    (work_dir / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    print(
        f"rerun: {len(jobs)} survivors of {source_dir}, timeout {meta['timeout_s']:.0f} s",
        flush=True,
    )
    return _execute(args, work_dir, trees, meta)


def _progress(session: Path) -> tuple[int, int]:
    from cosmic_ray.work_db import WorkDB, use_db  # noqa: PLC0415
    from cosmic_ray.work_item import WorkerOutcome  # noqa: PLC0415

    with use_db(str(session), WorkDB.Mode.open) as db:
        results = [r for _, r in db.results if r.worker_outcome != WorkerOutcome.SKIPPED]
        skipped = db.num_results - len(results)
        return len(results), db.num_work_items - skipped


# --------------------------------------------------------------------------- report


def classify(result: Any) -> tuple[str, dict[str, Any]]:
    """Classify one cosmic-ray result: killed, timeout, survived, incomplete, incompetent."""
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome  # noqa: PLC0415

    output = result.output or ""
    detail: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            detail = json.loads(line[len(RESULT_MARK) :])
    if result.worker_outcome != WorkerOutcome.NORMAL or result.test_outcome is None:
        return "incompetent", detail
    if result.test_outcome == TestOutcome.INCOMPETENT:
        return "incompetent", detail
    if result.test_outcome == TestOutcome.SURVIVED:
        return "survived", detail
    if output.strip() == "timeout":
        return "timeout", detail
    if detail.get("exit") in KILLING_EXITS:
        return "killed", detail
    return "incomplete", detail


def cmd_report(args: argparse.Namespace) -> int:
    """Print the figures of a session and write survivors.json and figures.json."""
    from cosmic_ray.work_db import WorkDB, use_db  # noqa: PLC0415
    from cosmic_ray.work_item import WorkerOutcome  # noqa: PLC0415

    work_dir: Path = args.work_dir.resolve()
    meta = json.loads((work_dir / "meta.json").read_text(encoding="utf-8"))
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    kills: Counter[str] = Counter()
    survivors = []
    with use_db(str(work_dir / "session.sqlite"), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            mutation = item.mutations[0]
            module = str(mutation.module_path)
            kind, detail = classify(result)
            per_module[module][kind] += 1
            if kind == "killed":
                kills[KILLING_EXITS[detail["exit"]]] += 1
            if kind in {"survived", "incomplete"}:
                survivors.append(
                    {
                        "job_id": item.job_id,
                        "outcome": kind,
                        "module": module,
                        "line": mutation.start_pos[0],
                        "column": mutation.start_pos[1],
                        "operator": mutation.operator_name,
                        "occurrence": mutation.occurrence,
                        "definition": mutation.definition_name,
                        "diff": result.diff,
                    }
                )
    kinds = ("killed", "timeout", "survived", "incomplete", "incompetent")
    totals: Counter[str] = Counter()
    for counts in per_module.values():
        totals.update(counts)
    done = sum(totals.values())

    def score(c: Counter[str]) -> float:
        judged = sum(c[k] for k in kinds) - c["incompetent"]
        return 100.0 * (c["killed"] + c["timeout"]) / judged if judged else 0.0

    print(
        f"\nmutants: {meta['mutants_total']} in the selected modules, sample {meta['sample']} "
        f"(seed {meta['seed']}), run {done}"
    )
    print(f"baseline {meta['baseline_s']} s, timeout {meta['timeout_s']} s per mutant")
    print(f"{'module':44} {'run':>4} " + " ".join(f"{k:>11}" for k in kinds) + "   score")
    for module in sorted(per_module):
        c = per_module[module]
        print(
            f"{module:44} {sum(c.values()):4} "
            + " ".join(f"{c[k]:11}" for k in kinds)
            + f"  {score(c):5.1f}%"
        )
    print(
        f"{'all':44} {done:4} "
        + " ".join(f"{totals[k]:11}" for k in kinds)
        + f"  {score(totals):5.1f}%"
    )
    print(
        "killed by verdict: " + ", ".join(f"{k} {v}" for k, v in sorted(kills.items())) + "; "
        f"time {meta.get('exec_s', 0)} s"
    )
    survivors.sort(key=lambda s: (s["module"], s["line"], s["operator"], s["occurrence"]))
    (work_dir / "survivors.json").write_text(json.dumps(survivors, indent=2), encoding="utf-8")
    figures = {
        **meta,
        "run": done,
        "totals": dict(totals),
        "killed_by_verdict": dict(kills),
        "score_percent": round(score(totals), 1),
        "per_module": {m: dict(c) for m, c in sorted(per_module.items())},
    }
    (work_dir / "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"survivors: {len(survivors)} in {work_dir / 'survivors.json'}")
    return 0


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``run``, ``report`` and the internal ``run-one``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="baseline, init, sample and execute, then report")
    run.add_argument("--sample", type=int, default=300, help="mutants to draw (default 300)")
    run.add_argument("--seed", type=int, default=1, help="seed of the sample (default 1)")
    run.add_argument("--resume", action="store_true", help="continue the session in work-dir")
    rerun = sub.add_parser("rerun", help="run an earlier session's survivors again")
    rerun.add_argument(
        "--from", dest="from_dir", type=Path, required=True, help="earlier session's work-dir"
    )
    rerun.add_argument(
        "--jobs", type=Path, help="JSON list of the survivors' job ids to rerun (default all)"
    )
    for p in (run, rerun):
        p.add_argument("--workers", type=int, default=1, help="parallel tree copies (default 1)")
        p.add_argument(
            "--timeout-factor", type=float, default=3.0, help="timeout = factor x baseline"
        )
        p.add_argument("--tree", type=Path, default=REPO_ROOT, help="repository to copy")
        p.add_argument("--progress-seconds", type=float, default=60.0)
    for p in (run, rerun, sub.add_parser("report", help="figures of a session, survivors.json")):
        p.add_argument("--work-dir", type=Path, required=True, help="outside the repository")
    sub.add_parser("run-one", help="(internal) the test command, run in a tree copy")
    args = parser.parse_args(argv)
    if args.command == "run-one":
        return run_one(Path.cwd())
    if args.command == "report":
        return cmd_report(args)
    if args.command == "rerun":
        return cmd_rerun(args)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
