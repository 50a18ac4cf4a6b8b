"""The conformance suite fails every faulty variant and passes the reference node.

Each variant of :mod:`tests.mutants.variants` is run as the suite's embedded
node (``eco-conformance run --embedded-command "python -m tests.mutants.launch
NAME"``), in a real subprocess, with only the profiles that should catch it
and a small, fixed number of Hypothesis examples, stopping at the first failed
case (``ECO_MUTANT_EXITFIRST=0`` runs them all). The JSON report says which
cases failed; the test asserts that at least one did and records which (as
the ``caught_by`` user property, and as JSON in the file named by
``ECO_MUTANT_SUMMARY``, from which ``python -m tests.mutants.table`` renders
the table of docs/conformance.md). The control run uses the same
launcher with no fault and every profile, and must pass.

Runs are started up front on a small thread pool (one per core) so the whole
catalogue takes a few minutes on two cores; under pytest-xdist each worker
runs its own variants instead.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from .launch import CONTROL
from .variants import VARIANTS, Variant

ROOT: Final = Path(__file__).resolve().parents[2]
#: Hypothesis examples per property in a mutant run (small: one fault needs one example).
EXAMPLES: Final = int(os.environ.get("ECO_MUTANT_EXAMPLES", "3"))
#: Fixed seed, so a mutant run is reproducible.
SEED: Final = 20261126
#: Wall-clock bound of one suite run (a hung node must not hang the test run).
RUN_TIMEOUT: Final = 300.0
#: Stop a variant's run at its first failed case (``--exitfirst``): a variant only has to
#: be caught once, and the rest of its run would cost minutes over the catalogue.
#: ``ECO_MUTANT_EXITFIRST=0`` runs every case, to list every case that catches a variant.
EXITFIRST: Final = os.environ.get("ECO_MUTANT_EXITFIRST", "1") != "0"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class SuiteRun:
    """Outcome of one ``eco-conformance run`` subprocess."""

    name: str
    returncode: int
    report: dict[str, Any] | None
    output: str

    @property
    def cases(self) -> list[dict[str, Any]]:
        """The per-case records of the JSON report."""
        return list(self.report.get("cases", [])) if self.report else []

    def failed(self) -> list[dict[str, Any]]:
        """Cases that failed."""
        return [c for c in self.cases if c.get("status") == "failed"]

    def tail(self) -> str:
        """The end of the run's console output, for assertion messages."""
        return self.output[-3000:]


def run_suite(name: str, profiles: tuple[str, ...], workdir: Path) -> SuiteRun:
    """Run the conformance suite against ``launch NAME`` and read its JSON report."""
    report_dir = workdir / name
    if report_dir.exists():
        shutil.rmtree(report_dir)
    launcher = f"{shlex.quote(sys.executable)} -m tests.mutants.launch {name}"
    argv = [
        sys.executable,
        "-c",
        "import sys; from conformance.cli import main; sys.exit(main())",
        "run",
        "--embedded-command",
        launcher,
        "--examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        # A mutant only has to fail: shrinking its counterexample would cost minutes.
        "--shrink-seconds",
        "1",
        "--report-dir",
        str(report_dir),
    ]
    for profile in profiles:
        argv += ["--profile", profile]
    if EXITFIRST and name != CONTROL:
        argv.append("--exitfirst")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.pop("ECO_CONFORMANCE_EMBEDDED_COMMAND", None)
    try:
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        code = -1
        output = (out.decode() if isinstance(out, bytes) else out) + "\n[timed out]"
    path = report_dir / "report.json"
    report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return SuiteRun(name=name, returncode=code, report=report, output=output)


class _Runs:
    """Suite runs of the selected variants, started in parallel on first use."""

    def __init__(self, workdir: Path, planned: list[tuple[str, tuple[str, ...]]]) -> None:
        self._workdir = workdir
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
        self._futures: dict[str, Future[SuiteRun]] = {}
        #: Variant name -> ``profile:case`` entries that failed against it.
        self.caught: dict[str, list[str]] = {}
        # Under pytest-xdist every worker sees the whole collection: run on demand only.
        self._planned = [] if "PYTEST_XDIST_WORKER" in os.environ else planned

    def _submit(self, name: str, profiles: tuple[str, ...]) -> None:
        if name not in self._futures:
            self._futures[name] = self._pool.submit(run_suite, name, profiles, self._workdir)

    def get(self, name: str, profiles: tuple[str, ...]) -> SuiteRun:
        """The run of ``name`` (started now, or earlier with the planned ones)."""
        for planned_name, planned_profiles in self._planned:
            self._submit(planned_name, planned_profiles)
        self._planned = []
        self._submit(name, profiles)
        return self._futures[name].result()

    def close(self) -> None:
        """Cancel runs not started and wait for the running ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _planned_runs(items: list[pytest.Item]) -> list[tuple[str, tuple[str, ...]]]:
    """The suite runs the selected tests of this module will ask for, in order."""
    planned: list[tuple[str, tuple[str, ...]]] = []
    for item in items:
        if item.module is None or item.module.__name__ != __name__:  # type: ignore[attr-defined]
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("variant"), Variant):
            variant = callspec.params["variant"]
            planned.append((variant.name, variant.profiles))
        elif item.name == test_unmodified_node_through_the_launcher_passes.__name__:
            planned.append((CONTROL, ()))
    return planned


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[_Runs]:
    """The shared pool of suite runs (reports under a temporary directory)."""
    with tempfile.TemporaryDirectory(prefix="eco-mutants-") as tmp:
        pool = _Runs(Path(tmp), _planned_runs(list(request.session.items)))
        try:
            yield pool
        finally:
            pool.close()
            summary = os.environ.get("ECO_MUTANT_SUMMARY")
            if summary:
                Path(summary).write_text(json.dumps(pool.caught, indent=2), encoding="utf-8")


def test_catalogue_covers_every_area() -> None:
    """At least 25 variants, one fault each, over the areas the spec defines."""
    assert len(VARIANTS) >= 25
    areas = {v.area for v in VARIANTS.values()}
    for area in (
        "signatures",
        "trust",
        "authorisation",
        "payload",
        "field rules",
        "idempotency",
        "errors",
        "durability",
        "retrieval",
        "receipts",
        "access",
        "transport",
        "lifecycle",
        "verification",
        "pull",
        "sender",
    ):
        assert area in areas, f"no variant for {area}"
    for variant in VARIANTS.values():
        assert variant.requirements, variant.name
        assert variant.profiles, variant.name


def test_unmodified_node_through_the_launcher_passes(runs: _Runs) -> None:
    """The control: the launcher without a fault passes every profile."""
    run = runs.get(CONTROL, ())
    assert run.report is not None, f"no report written:\n{run.tail()}"
    assert run.failed() == [], [c["case"] for c in run.failed()]
    assert run.returncode == 0, run.tail()
    profiles = run.report["summary"]["profiles"]
    assert set(profiles) >= {"core", "lifecycle", "verification", "pull", "transport-security"}


def _params() -> list[Any]:
    """One parameter per variant; a known gap of the suite is a strict xfail."""
    return [
        pytest.param(
            v,
            id=v.name,
            marks=[pytest.mark.xfail(strict=True, reason=f"suite gap: {v.gap}")] if v.gap else [],
        )
        for v in VARIANTS.values()
    ]


@pytest.mark.parametrize("variant", _params())
def test_suite_catches_variant(
    variant: Variant, runs: _Runs, request: pytest.FixtureRequest
) -> None:
    """The suite fails against the variant, in one of the profiles meant to catch it."""
    run = runs.get(variant.name, variant.profiles)
    assert run.report is not None, f"{variant.name}: no report written:\n{run.tail()}"
    # A case that fails, or one that cannot complete against the variant (an ERROR verdict,
    # exit 5, as the mutation benchmark also counts it), catches the variant.
    failed = run.failed() + [c for c in run.cases if c.get("status") == "error"]
    ran = [c for c in run.cases if c.get("status") == "passed"] + failed
    assert ran, f"{variant.name}: no case ran, so the node probably did not start"
    caught_by = sorted(f"{c['profile']}:{c['case']}" for c in failed)
    request.node.user_properties.append(("caught_by", " ".join(caught_by)))
    runs.caught[variant.name] = caught_by
    assert run.returncode in (1, 5), (
        f"{variant.name} ({variant.fault}) was not caught:\n{run.tail()}"
    )
    assert failed, f"{variant.name} ({variant.fault}) was not caught:\n{run.tail()}"
    assert {c["profile"] for c in failed} <= set(variant.profiles)
