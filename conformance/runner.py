"""``eco-conformance run``: set up the node under test, run the cases, write reports.

Embedded mode (no ``--target``): a temporary directory, a fresh suite PKI,
the reference node spawned as a subprocess (conformance/embedded.py), all
profiles. Target mode: the operator's node, the PKI from ``pki init`` and
the TLS material given on the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import secrets
import shlex
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from conformance.adapter_client import AdapterClient
from conformance.cli import _suite_version, collect_matrix
from conformance.client import Target
from conformance.embedded import EmbeddedNode, node_command
from conformance.errors import ConformanceError, ExpectedFailuresError, UsageError
from conformance.expected import ExpectedFailures, load_expected_failures, render_expected_failures
from conformance.issuer_directory import DIRECTORY_COUNTRY, write_directory
from conformance.pki import SuitePki, generate_pki, load_pki
from conformance.plugin import PROFILES, EcoPlugin, SuiteContext
from conformance.reports import RunMetadata, console_summary, write_html, write_json
from conformance.requirements import load_requirements
from conformance.strategies import CodeLists
from wco.eco.v1 import node_service_pb2

__all__ = ["run_suite"]

logger = logging.getLogger(__name__)

_CASES_DIR: Final = Path(__file__).resolve().parent / "cases"
_HYPOTHESIS_PROFILE: Final = "eco-conformance"


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _limit_shrinking(seconds: int) -> None:
    """Bound the time Hypothesis spends shrinking one failing property (default 300 s).

    Every shrink step is a round trip to the node under test (for the stateful
    cases, many), so a failing property could otherwise hold the run for minutes.
    Hypothesis has no public setting for this; its engine constant is adjusted when
    present and left alone otherwise.
    """
    from hypothesis.internal.conjecture import engine  # noqa: PLC0415 - internal, optional

    if hasattr(engine, "MAX_SHRINKING_SECONDS"):
        engine.MAX_SHRINKING_SECONDS = seconds
    else:  # pragma: no cover - depends on the Hypothesis version
        logger.warning("cannot bound Hypothesis shrinking time with this Hypothesis version")


def _register_hypothesis(examples: int, database: Path) -> None:
    settings.register_profile(
        _HYPOTHESIS_PROFILE,
        max_examples=examples,
        deadline=None,
        database=DirectoryBasedExampleDatabase(str(database)),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
        print_blob=True,
        derandomize=False,
    )
    settings.load_profile(_HYPOTHESIS_PROFILE)


def _node_info(target: Target, country: str) -> node_service_pb2.NodeInfo | None:
    outcome = target.node_info(country)
    target.recorder.take()
    return outcome.response.node if outcome.response is not None else None


def _code_lists(target: Target, country: str) -> CodeLists:
    outcome = target.call(
        target.node(country).GetCodeLists,
        node_service_pb2.GetCodeListsRequest(),
        caller=country,
        rpc="NodeService/GetCodeLists",
    )
    target.recorder.take()
    base = CodeLists()
    return base.from_node(outcome.response) if outcome.response is not None else base


def run_suite(args: argparse.Namespace) -> int:
    """Run the suite as the ``run`` options say; return the exit code."""
    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    if args.shrink_seconds < 1:
        raise UsageError("--shrink-seconds must be at least 1")
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    profiles = tuple(args.profile) if args.profile else PROFILES
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    expected = (
        load_expected_failures(Path(args.expected_failures))
        if args.expected_failures
        else ExpectedFailures()
    )
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    notes: list[str] = []
    with ExitStack() as stack:
        if args.target:
            pki, target, adapter, mode = _target_mode(args, stack)
        else:
            pki, target, adapter, mode = _embedded_mode(args, stack, report_dir)
        stack.callback(target.close)
        if adapter is None and "sender" in profiles:
            profiles = tuple(p for p in profiles if p != "sender")
            notes.append("no adapter given (--adapter/--adapter-address): sender profile not run")
        caller = pki.suite_countries[0]
        info = _node_info(target, caller)
        if info is None:
            notes.append("the node did not answer GetNodeInfo")
        code_lists = _code_lists(target, caller)
        _register_hypothesis(args.examples, report_dir / "hypothesis-db")
        _limit_shrinking(args.shrink_seconds)
        context = SuiteContext(
            pki=pki,
            target=target,
            adapter=adapter,
            node_info=info,
            code_lists=code_lists,
            profiles=profiles,
            examples=args.examples,
            seed=seed,
            mode=mode,
            expected=expected,
        )
        plugin = EcoPlugin(context)
        pytest_args = [
            str(_CASES_DIR),
            "-p",
            "no:cacheprovider",
            "-q",
            "--tb=short",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            "-r",
            "fE",
            f"--junitxml={report_dir / 'junit.xml'}",
            "-o",
            "junit_suite_name=eco-conformance",
            f"--hypothesis-seed={seed}",
            f"--rootdir={_CASES_DIR}",
            "-c",
            str(_CASES_DIR.parent / "data" / "pytest.ini"),
        ]
        if args.keyword:
            pytest_args += ["-k", args.keyword]
        print(f"eco-conformance: {mode} mode, target {target.address}, seed {seed}", flush=True)
        try:
            code = pytest.main(pytest_args, plugins=[plugin])
        except ConformanceError:
            raise
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
            notes.append(f"pytest stopped with exit code {int(code)}")
        if plugin.collection_error:
            raise ExpectedFailuresError(plugin.collection_error)
        results = list(plugin.ordered_results())
        version, _ = load_requirements()
        meta = RunMetadata(
            implementation_name=info.implementation_name if info else "",
            implementation_version=info.implementation_version if info else "",
            node_country=target.node_country,
            suite_version=_suite_version(),
            spec_version=version,
            node_spec_version=info.spec_version if info else "",
            claimed_profiles=tuple(info.conformance_profiles) if info else (),
            selected_profiles=profiles,
            mode=mode,
            target=target.address,
            seed=seed,
            examples=args.examples,
            started=started.isoformat(),
            duration_seconds=time.monotonic() - clock,
            expected_failures=str(args.expected_failures or ""),
            notes=tuple(notes),
        )
        try:
            matrix = collect_matrix()
        except ConformanceError as exc:
            matrix = {}
            notes.append(str(exc))
        write_json(report_dir / "report.json", meta, results, matrix)
        write_html(report_dir / "report.html", meta, results)
        if args.write_expected_failures:
            suggested = [
                (r.case, _reason_hint(r.failure))
                for r in results
                if r.outcome == "failed" and not r.property_based
            ]
            Path(args.write_expected_failures).write_text(
                render_expected_failures(
                    suggested,
                    implementation=f"{meta.implementation_name} {meta.implementation_version}",
                ),
                encoding="utf-8",
            )
        trailer = (
            f"reports: {report_dir.resolve()} (report.html, report.json, junit.xml)",
            f"ran {len(results)} cases in {time.monotonic() - clock:.1f} s",
        )
        print(console_summary(meta, results, trailer=trailer), flush=True)
        failed = any(r.outcome == "failed" for r in results)
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not failed:
            return 1
        return 1 if failed or not results else 0


def _reason_hint(failure: str) -> str:
    marker = "got "
    for line in failure.splitlines():
        if marker in line and "expected" in line:
            tail = line.split(marker, 1)[1]
            return " ".join(tail.split()[:2]).strip("(),")
    return ""


def _target_mode(
    args: argparse.Namespace, stack: ExitStack
) -> tuple[SuitePki, Target, AdapterClient | None, str]:
    missing = [
        flag
        for flag, value in (
            ("--pki", args.pki),
            ("--tls-ca", args.tls_ca),
            ("--node-trust-anchors", args.node_trust_anchors),
            ("--node-country", args.node_country),
        )
        if not value
    ]
    if missing:
        raise UsageError(f"--target needs {', '.join(missing)} (see eco-conformance pki init)")
    pki = load_pki(Path(args.pki))
    country = str(args.node_country).upper()
    if country != pki.node_country:
        raise UsageError(
            f"--node-country {country} differs from the PKI's node country {pki.node_country}"
        )
    target = Target(
        address=args.target,
        node_country=country,
        server_ca_pem=_read(args.tls_ca, "--tls-ca"),
        pki=pki,
        node_trust_anchors_pem=_read(args.node_trust_anchors, "--node-trust-anchors"),
        tls_server_name=args.tls_server_name or "",
    )
    adapter: AdapterClient | None = None
    if args.adapter:
        adapter = AdapterClient.spawn(shlex.split(args.adapter))
        stack.callback(adapter.close)
    elif args.adapter_address:
        adapter = AdapterClient.attach(args.adapter_address)
        stack.callback(adapter.close)
    return pki, target, adapter, "target"


def _embedded_mode(
    args: argparse.Namespace, stack: ExitStack, report_dir: Path
) -> tuple[SuitePki, Target, AdapterClient | None, str]:
    if args.adapter or args.adapter_address:
        raise UsageError("--adapter and --adapter-address need --target")
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eco-conformance-")))
    pki = generate_pki(now=dt.datetime.now(dt.UTC)).write(workdir / "pki")
    directory = write_directory(pki)
    print("eco-conformance: starting the embedded reference node", file=sys.stderr, flush=True)
    node = EmbeddedNode.start(
        pki=pki,
        workdir=workdir,
        directories={DIRECTORY_COUNTRY: directory},
        command=_embedded_command(args, workdir),
    )
    stack.callback(_keep_log, workdir / "node.log", report_dir / "node.log")
    stack.callback(node.stop)
    cc = pki.node_country
    target = Target(
        address=node.address,
        node_country=cc,
        server_ca_pem=pki.country(cc).tls_ca_pem(),
        pki=pki,
        node_trust_anchors_pem=pki.country(cc).anchors_pem(),
    )
    return pki, target, node.adapter, "embedded"


def _embedded_command(args: argparse.Namespace, workdir: Path) -> list[str] | None:
    """The node command of ``--embedded-command``: its words, then the usual node arguments.

    The replacement must behave as ``python -m reference_node`` (same arguments, same
    adapter protocol); the suite's own tests use it to run faulty node variants.
    """
    if not args.embedded_command:
        return None
    default = node_command(workdir / "node.toml")  # the file EmbeddedNode.start writes
    stock = [sys.executable, "-m", "reference_node"]
    if default[: len(stock)] == stock:
        default = default[len(stock) :]
    return [*shlex.split(args.embedded_command), *default]


def _keep_log(source: Path, destination: Path) -> None:
    if source.exists():
        destination.write_bytes(source.read_bytes())
