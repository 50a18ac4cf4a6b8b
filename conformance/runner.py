"""``eco-conformance run``: set up the node under test, run the cases, write reports.

Embedded mode (no ``--target``): a temporary directory, a fresh suite PKI,
the reference node spawned as a subprocess (conformance/embedded.py), all
profiles. Target mode: the operator's node, the PKI from ``pki init`` and
the TLS material given on the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import os
import secrets
import shlex
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Final

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

from conformance.adapter_client import AdapterClient
from conformance.attestation import load_signer, write_attestation
from conformance.cli import _suite_version, collect_matrix
from conformance.client import Target
from conformance.embedded import EmbeddedNode, node_command
from conformance.errors import (
    ConformanceError,
    ExpectedFailuresError,
    PreflightError,
    ReportDirError,
    UsageError,
)
from conformance.expected import ExpectedFailures, load_expected_failures, render_expected_failures
from conformance.html_report import write_html
from conformance.issuer_directory import DIRECTORY_COUNTRY, write_directory
from conformance.pki import SuitePki, generate_pki, load_pki
from conformance.plugin import PROFILES, EcoPlugin, SuiteContext
from conformance.preflight import TlsSettings, preflight
from conformance.reports import (
    RunMetadata,
    RunOutcome,
    console_summary,
    finish_junit,
    judge_run,
    write_json,
)
from conformance.requirements import load_requirements
from conformance.strategies import CodeLists
from conformance.verdicts import NOT_RUN, OUTCOMES, RunState, exit_code
from wco.eco.v1 import node_service_pb2

__all__ = ["run_suite"]

logger = logging.getLogger(__name__)

_CASES_DIR: Final = Path(__file__).resolve().parent / "cases"
_HYPOTHESIS_PROFILE: Final = "eco-conformance"
#: How long a spawned adapter may take to bring up the node it starts (seconds).
_SPAWN_WAIT_SECONDS: Final = 60.0
_DEFAULT_SHRINK: Final = 20


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


def _hypothesis_cache(fallback: Path) -> Path:
    """Where Hypothesis keeps its caches (not examples): the user's cache folder.

    ``$XDG_CACHE_HOME/eco-conformance/hypothesis`` (default ``~/.cache/...``), so the
    working directory stays clean and the Unicode tables are not rebuilt every run;
    ``fallback`` when that folder cannot be created.
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = base / "eco-conformance" / "hypothesis"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        cache = fallback
        cache.mkdir(parents=True, exist_ok=True)
    return cache


def _register_hypothesis(examples: int, database: Path) -> None:
    """The example database goes into the report folder, the caches to the user's cache.

    A rerun with the same ``--report-dir`` replays the shrunk counterexamples first.
    """
    database.mkdir(parents=True, exist_ok=True)
    set_hypothesis_home_dir(str(_hypothesis_cache(database / "cache")))
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


def _prepare_report_dir(value: str) -> Path:
    """Create ``--report-dir`` (or check it) and make sure the suite can write there.

    Raises:
        ReportDirError: It names a file, or cannot be created or written.
    """
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ReportDirError(f"--report-dir {value} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".eco-conformance-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ReportDirError(f"--report-dir {value} cannot be used: {exc.strerror or exc}") from exc
    return path


def replay_base(args: argparse.Namespace) -> str:
    """The command line that reruns this run: every option that shaped it (no ``-k``)."""
    words = ["eco-conformance", "run"]
    for flag, value in (
        ("--target", args.target),
        ("--node-country", args.node_country),
        ("--pki", args.pki),
        ("--tls-ca", args.tls_ca),
        ("--tls-server-name", args.tls_server_name),
        ("--node-trust-anchors", args.node_trust_anchors),
        ("--adapter", args.adapter),
        ("--adapter-address", args.adapter_address),
        ("--embedded-command", args.embedded_command),
    ):
        if value:
            words += [flag, str(value)]
    for profile in args.profile or ():
        words += ["--profile", profile]
    for extra in args.extra_cases or ():
        words += ["--extra-cases", str(extra)]
    if args.exitfirst:
        words.append("--exitfirst")
    words += ["--seed", str(args.seed_used), "--examples", str(args.examples)]
    if args.shrink_seconds != _DEFAULT_SHRINK:
        words += ["--shrink-seconds", str(args.shrink_seconds)]
    if args.expected_failures:
        words += ["--expected-failures", str(args.expected_failures)]
    words += ["--report-dir", str(args.report_dir)]
    return shlex.join(words)


def _sha256_file(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


class _Terminated(KeyboardInterrupt):
    """SIGTERM during the cases: handled exactly like Ctrl-C (the run is INTERRUPTED)."""


def _raise_interrupt(signum: int, frame: object) -> None:
    raise _Terminated(f"signal {signum}")


def run_suite(args: argparse.Namespace) -> int:
    """Run the suite as the ``run`` options say; return the exit code (conformance/verdicts.py)."""
    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    if args.shrink_seconds < 1:
        raise UsageError("--shrink-seconds must be at least 1")
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    args.seed_used = seed
    profiles = tuple(dict.fromkeys(args.profile)) if args.profile else PROFILES
    report_dir = _prepare_report_dir(args.report_dir)
    attest = _attestation_signer(args)
    for extra in args.extra_cases or ():
        if not Path(extra).is_dir():
            raise UsageError(f"--extra-cases {extra} is not a folder")
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
            pki, target, adapter, mode, tls = _target_mode(args, stack, report_dir)
            wait = _SPAWN_WAIT_SECONDS if args.adapter else 0.0
        else:
            pki, target, adapter, mode, tls = _embedded_mode(args, stack, report_dir)
            wait = 0.0
        stack.callback(target.close)
        checked = preflight(
            target=target,
            tls=tls,
            expected_country=target.node_country,
            adapter=adapter,
            wait_seconds=wait,
        )
        info = checked.node_info
        if adapter is None and "sender" in profiles:
            notes.append("no adapter given (--adapter/--adapter-address): sender cases not run")
        code_lists = _code_lists(target, pki.suite_countries[0])
        _register_hypothesis(args.examples, report_dir / "hypothesis-db")
        _limit_shrinking(args.shrink_seconds)
        base = replay_base(args)
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
            keyword=args.keyword or "",
            replay_base=base,
        )
        plugin = EcoPlugin(context)
        junit = report_dir / "junit.xml"
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
            f"--junitxml={junit}",
            "-o",
            "junit_suite_name=eco-conformance",
            f"--hypothesis-seed={seed}",
            f"--rootdir={_CASES_DIR}",
            "-c",
            str(_CASES_DIR.parent / "data" / "pytest.ini"),
        ]
        pytest_args += [str(Path(extra).resolve()) for extra in args.extra_cases or ()]
        if args.keyword:
            pytest_args += ["-k", args.keyword]
        if args.exitfirst:
            pytest_args.append("--exitfirst")
        print(f"eco-conformance: {mode} mode, target {target.address}, seed {seed}", flush=True)
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            code = pytest.main(pytest_args, plugins=[plugin])
        except KeyboardInterrupt:  # between cases, outside pytest's own handling
            plugin.interrupted = True
            code = pytest.ExitCode.INTERRUPTED
        finally:
            signal.signal(signal.SIGTERM, previous)
        if plugin.collection_error:
            raise ExpectedFailuresError(plugin.collection_error)
        state, reasons = _run_state(plugin, int(code), args)
        _explain_not_run(plugin, state, exitfirst=bool(args.exitfirst))
        results = list(plugin.ordered_results())
        outcome = judge_run(results, selected_profiles=profiles, state=state, reasons=reasons)
        version, _ = load_requirements()
        finished = dt.datetime.now(dt.UTC)
        meta = RunMetadata(
            implementation_name=info.implementation_name,
            implementation_version=info.implementation_version,
            node_country=target.node_country,
            suite_version=_suite_version(),
            spec_version=version,
            node_spec_version=info.spec_version,
            claimed_profiles=tuple(info.conformance_profiles),
            selected_profiles=profiles,
            mode=mode,
            target=target.address,
            seed=seed,
            examples=args.examples,
            started=started.isoformat(),
            finished=finished.isoformat(),
            duration_seconds=time.monotonic() - clock,
            expected_failures=str(args.expected_failures or ""),
            expected_failures_sha256=(
                _sha256_file(args.expected_failures) if args.expected_failures else ""
            ),
            keyword=args.keyword or "",
            command=base + (f" -k {shlex.quote(args.keyword)}" if args.keyword else ""),
            tls_certificate_sha256=checked.tls_certificate_sha256,
            notes=tuple(notes),
        )
        try:
            matrix = collect_matrix()
        except ConformanceError as exc:
            matrix = {}
            notes.append(str(exc))
        write_json(report_dir / "report.json", meta, results, outcome, matrix)
        write_html(report_dir / "report.html", meta, results, outcome, matrix)
        finish_junit(junit, outcome, results)
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
        stack.close()  # stop the node and adapter now, so their logs are complete
        trailer = [
            f"reports: {report_dir.resolve()} (report.html, report.json, junit.xml)",
            f"ran {sum(1 for r in results if r.outcome != NOT_RUN)} of {len(results)} cases "
            f"in {time.monotonic() - clock:.1f} s",
        ]
        if attest is not None:
            written = _attest(report_dir, meta, outcome, info, attest)
            trailer.append(f"attestation: {written}")
        print(console_summary(meta, results, outcome, trailer=trailer), flush=True)
        return exit_code(outcome.verdict)


def _attestation_signer(args: argparse.Namespace) -> tuple[bytes, bytes] | None:
    """Read and check ``--attest-key``/``--attest-chain`` before anything runs."""
    if not args.attest_key and not args.attest_chain:
        return None
    if not (args.attest_key and args.attest_chain):
        raise UsageError("--attest-key and --attest-chain go together")
    key = _read(args.attest_key, "--attest-key")
    chain = _read(args.attest_chain, "--attest-chain")
    try:
        load_signer(key, chain)
    except ConformanceError as exc:
        raise UsageError(f"--attest-key/--attest-chain: {exc.diagnostics()}") from exc
    return key, chain


def _attest(
    report_dir: Path,
    meta: RunMetadata,
    outcome: RunOutcome,
    info: node_service_pb2.NodeInfo,
    signer: tuple[bytes, bytes],
) -> Path:
    """Write ``attestation.json`` over the run's report files (docs/conformance.md)."""
    names = ("report.json", "report.html", "junit.xml", "node.log", "adapter.log")
    subjects = [report_dir / n for n in names if (report_dir / n).is_file()]
    predicate = {
        "suite_version": meta.suite_version,
        "spec_version": meta.spec_version,
        "mode": meta.mode,
        "target": meta.target,
        "node": {
            "country": meta.node_country,
            "tls_certificate_sha256": meta.tls_certificate_sha256,
            "node_info": json_format.MessageToDict(info, preserving_proto_field_name=True),
        },
        "profiles": {p: str(v) for p, v in outcome.profiles.items()},
        "verdict": str(outcome.verdict),
        "counts": {o: outcome.counts[o] for o in OUTCOMES},
        "seed": meta.seed,
        "examples": meta.examples,
        "started": meta.started,
        "finished": meta.finished,
        "expected_failures": (
            {"file": meta.expected_failures, "sha256": meta.expected_failures_sha256}
            if meta.expected_failures
            else None
        ),
        "command": meta.command,
    }
    return write_attestation(
        report_dir=report_dir,
        subjects=subjects,
        predicate=predicate,
        key_pem=signer[0],
        chain_pem=signer[1],
    )


def _explain_not_run(plugin: EcoPlugin, state: RunState, *, exitfirst: bool) -> None:
    """Give every case that never started the reason the run did not reach it."""
    if plugin.interrupted:
        why = "the run was interrupted before this case"
    elif plugin.target_lost:
        why = "the run was stopped before this case: the node stopped answering"
    elif state is RunState.ERROR:
        why = "the run stopped on an error before this case"
    elif exitfirst:
        why = "the run stopped at the first failing case (--exitfirst)"
    else:
        why = "the run ended before this case"
    for result in plugin.results.values():
        if result.outcome == NOT_RUN and not result.reason:
            result.reason = why


def _run_state(
    plugin: EcoPlugin, code: int, args: argparse.Namespace
) -> tuple[RunState, list[str]]:
    """What happened to the run, apart from its cases, with one sentence per cause."""
    reasons: list[str] = []
    state = RunState.COMPLETED
    if plugin.interrupted:
        state = RunState.INTERRUPTED
        reasons.append("the run was interrupted; cases after that point did not run")
    if plugin.target_lost:
        state = RunState.INTERRUPTED if plugin.interrupted else RunState.ERROR
        reasons.append(f"{plugin.target_lost}; the run was stopped there")
    if plugin.collection_errors:
        state = RunState.INTERRUPTED if plugin.interrupted else RunState.ERROR
        reasons.append(
            f"{len(plugin.collection_errors)} case module(s) could not be collected: "
            + ", ".join(r.case for r in plugin.collection_errors)
        )
    if plugin.internal_error or code in (
        int(pytest.ExitCode.USAGE_ERROR),
        int(pytest.ExitCode.INTERNAL_ERROR),
    ):
        if state is RunState.COMPLETED:
            state = RunState.ERROR
        reasons.append(
            f"the suite stopped with an internal error (pytest exit code {code})"
            + (f": {plugin.internal_error}" if plugin.internal_error else "")
        )
    if args.exitfirst and any(r.outcome == NOT_RUN for r in plugin.results.values()):
        reasons.append("stopped at the first failing case (--exitfirst)")
    if args.keyword:
        narrowed = sum(1 for r in plugin.results.values() if r.reason.startswith("deselected"))
        reasons.append(
            f"narrowed with -k {args.keyword!r}: {narrowed} case(s) of the selected profiles "
            "not run, so no profile can pass"
        )
    return state, reasons


def _reason_hint(failure: str) -> str:
    marker = "got "
    for line in failure.splitlines():
        if marker in line and "expected" in line:
            tail = line.split(marker, 1)[1]
            return " ".join(tail.split()[:2]).strip("(),")
    return ""


def _target_mode(
    args: argparse.Namespace, stack: ExitStack, report_dir: Path
) -> tuple[SuitePki, Target, AdapterClient | None, str, TlsSettings]:
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
    server_ca = _read(args.tls_ca, "--tls-ca")
    target = Target(
        address=args.target,
        node_country=country,
        server_ca_pem=server_ca,
        pki=pki,
        node_trust_anchors_pem=_read(args.node_trust_anchors, "--node-trust-anchors"),
        tls_server_name=args.tls_server_name or "",
    )
    caller = pki.suite_countries[0]
    tls = TlsSettings(
        address=args.target,
        ca_pem=server_ca,
        ca_source=str(args.tls_ca),
        client=pki.country(caller).node_client,
        client_source=str(Path(args.pki) / caller / "node-client.pem"),
        server_name=args.tls_server_name or "",
    )
    adapter: AdapterClient | None = None
    if args.adapter:
        try:
            adapter = AdapterClient.spawn(
                shlex.split(args.adapter), log_path=report_dir / "adapter.log"
            )
        except ConformanceError as exc:
            raise PreflightError(f"--adapter: {exc.diagnostics()}") from exc
        stack.callback(adapter.close)
    elif args.adapter_address:
        adapter = AdapterClient.attach(args.adapter_address)
        stack.callback(adapter.close)
    return pki, target, adapter, "target", tls


def _embedded_mode(
    args: argparse.Namespace, stack: ExitStack, report_dir: Path
) -> tuple[SuitePki, Target, AdapterClient | None, str, TlsSettings]:
    if args.adapter or args.adapter_address:
        raise UsageError("--adapter and --adapter-address need --target")
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eco-conformance-")))
    pki = generate_pki(now=dt.datetime.now(dt.UTC)).write(workdir / "pki")
    directory = write_directory(pki)
    print("eco-conformance: starting the embedded reference node", file=sys.stderr, flush=True)
    stack.callback(_keep_log, workdir / "node.log", report_dir / "node.log")
    node = EmbeddedNode.start(
        pki=pki,
        workdir=workdir,
        directories={DIRECTORY_COUNTRY: directory},
        command=_embedded_command(args, workdir),
    )
    stack.callback(node.stop)
    cc = pki.node_country
    target = Target(
        address=node.address,
        node_country=cc,
        server_ca_pem=pki.country(cc).tls_ca_pem(),
        pki=pki,
        node_trust_anchors_pem=pki.country(cc).anchors_pem(),
    )
    caller = pki.suite_countries[0]
    tls = TlsSettings(
        address=node.address,
        ca_pem=pki.country(cc).tls_ca_pem(),
        ca_source=f"the embedded node's TLS CA ({cc}/tls-ca.pem)",
        client=pki.country(caller).node_client,
        client_source=f"{caller}/node-client.pem",
    )
    return pki, target, node.adapter, "embedded", tls


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
