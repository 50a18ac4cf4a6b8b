"""``eco-conformance``: the conformance suite's command line (docs/conformance.md).

Commands:

- ``run``: run the suite against ``--target`` (any node) or, without a
  target, against the reference node started embedded;
- ``pki init``: write the suite's test PKI and print what the node under test
  must trust and use;
- ``matrix``: print requirement -> cases and flag uncovered requirements;
- ``verify-attestation``: check a run's signed ``attestation.json`` and the report files it
  vouches for, without rerunning anything.

Every option can also come from an environment variable ``ECO_CONFORMANCE_<OPTION>``
(for example ``ECO_CONFORMANCE_TARGET``). Only :class:`ConformanceError` is caught
and printed as one line; the exit codes are those of :data:`EXIT_CODES_HELP`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

from conformance.errors import (
    AttestationError,
    ConformanceError,
    ExpectedFailuresError,
    PkiError,
    PreflightError,
    UsageError,
)
from conformance.plugin import PROFILES
from conformance.verdicts import EXIT_CODES, EXIT_PREFLIGHT, EXIT_USAGE, Verdict

__all__ = [
    "EXIT_CODES_HELP",
    "CollectedCase",
    "build_parser",
    "collect_cases",
    "collect_matrix",
    "main",
]

logger = logging.getLogger(__name__)

_CASES_DIR: Final = Path(__file__).resolve().parent / "cases"
_DEFAULT_EXAMPLES: Final = 25
_DEFAULT_SHRINK_SECONDS: Final = 20

#: The exit codes of ``eco-conformance run``, as ``--help`` and docs/conformance.md give them.
EXIT_CODES_HELP: Final = f"""exit codes of run:
  {EXIT_CODES[Verdict.PASS]}    PASS: every case of every selected profile ran and passed
  {EXIT_CODES[Verdict.FAIL]}    FAIL: at least one case failed
  {EXIT_USAGE}    usage error (bad option, unreadable file, bad expected-failures list)
  {EXIT_CODES[Verdict.INCOMPLETE]}    INCOMPLETE: a case was skipped or not run (e.g. with -k)
  {EXIT_PREFLIGHT}    the target or adapter is unreachable, or preflight failed
  {EXIT_CODES[Verdict.ERROR]}    ERROR: the suite could not judge (collection error, node lost)
  {EXIT_CODES[Verdict.INTERRUPTED]}  INTERRUPTED: Ctrl-C or SIGTERM; reports say so"""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get("ECO_CONFORMANCE_" + name.upper().replace("-", "_"), default)


def _suite_version() -> str:
    try:
        return metadata.version("eco-exchange")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (also used to render ``--help`` in the docs)."""
    parser = _Parser(
        prog="eco-conformance",
        description="Conformance suite for WCO e-CO exchange nodes (docs/conformance.md).",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="run the suite against a node (default: embedded)",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--target", default=_env("target"), help="HOST:PORT of the node under test")
    run.add_argument(
        "--node-country", default=_env("node_country"), help="country of the node (target mode)"
    )
    run.add_argument("--tls-ca", default=_env("tls_ca"), help="PEM CA of the node's TLS server")
    run.add_argument(
        "--tls-server-name",
        default=_env("tls_server_name", ""),
        help="server name to expect in the node's TLS certificate",
    )
    run.add_argument(
        "--node-trust-anchors",
        default=_env("node_trust_anchors"),
        help="PEM document trust anchors of the node's country (to verify receipts)",
    )
    run.add_argument("--pki", default=_env("pki"), help="suite PKI directory from 'pki init'")
    adapter = run.add_mutually_exclusive_group()
    adapter.add_argument(
        "--adapter", default=_env("adapter"), help='adapter command, e.g. "my-node-adapter --x"'
    )
    adapter.add_argument(
        "--adapter-address", default=_env("adapter_address"), help="HOST:PORT of a running adapter"
    )
    run.add_argument(
        "--profile",
        action="append",
        choices=PROFILES,
        help="profile to run (repeatable; default: all)",
    )
    run.add_argument("--seed", type=int, default=_int_env("seed"), help="seed (replay a run)")
    run.add_argument(
        "--examples",
        type=int,
        default=_int_env("examples") or _DEFAULT_EXAMPLES,
        help=f"Hypothesis examples per property (default {_DEFAULT_EXAMPLES})",
    )
    run.add_argument(
        "--shrink-seconds",
        type=int,
        default=_int_env("shrink_seconds") or _DEFAULT_SHRINK_SECONDS,
        help="time Hypothesis may spend shrinking one failing property "
        f"(default {_DEFAULT_SHRINK_SECONDS})",
    )
    run.add_argument(
        "--expected-failures", default=_env("expected_failures"), help="expected-failures TOML"
    )
    run.add_argument(
        "--report-dir",
        default=_env("report_dir", "eco-conformance-reports"),
        help="where reports go (default ./eco-conformance-reports)",
    )
    run.add_argument(
        "--write-expected-failures",
        default=_env("write_expected_failures"),
        help="write the expected-failures list this run suggests to FILE",
    )
    run.add_argument(
        "--embedded-command",
        default=_env("embedded_command"),
        help="embedded mode: start the node with this command instead of "
        '"python -m reference_node" (same arguments and adapter protocol follow it)',
    )
    run.add_argument(
        "-k",
        dest="keyword",
        default=None,
        help="only cases matching this pytest -k expression (the run is then INCOMPLETE)",
    )
    run.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        help="stop at the first failing case (the cases after it are not run)",
    )
    run.add_argument(
        "--extra-cases",
        action="append",
        default=None,
        metavar="DIR",
        help="also run the case modules in DIR (repeatable; a new case before it is packaged)",
    )
    run.add_argument(
        "--attest-key",
        default=_env("attest_key"),
        help="PEM private key of a document signer: also write a signed attestation.json",
    )
    run.add_argument(
        "--attest-chain",
        default=_env("attest_chain"),
        help="PEM certificate chain of --attest-key (leaf first)",
    )

    pki = sub.add_parser("pki", help="manage the suite's test PKI")
    pki_sub = pki.add_subparsers(dest="pki_command", metavar="PKI_COMMAND", parser_class=_Parser)
    init = pki_sub.add_parser("init", help="write the test PKI and print what the node must use")
    init.add_argument("--dir", required=True, help="directory to write")
    init.add_argument("--node-country", default="XB", help="country of the node (default XB)")
    init.add_argument("--force", action="store_true", help="overwrite an existing PKI")
    init.add_argument(
        "--listen",
        default="127.0.0.1:7443",
        help="HOST:PORT of the reference node configuration it writes (default 127.0.0.1:7443)",
    )

    matrix = sub.add_parser("matrix", help="print requirement -> cases; flag uncovered ones")
    matrix.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a MUST requirement is uncovered (with --obligations: any gap)",
    )
    matrix.add_argument(
        "--obligations",
        action="store_true",
        help="print requirement x obligation -> cases (boundary, exact comparison, ...) "
        "and list the unmet obligations",
    )

    attest = sub.add_parser(
        "verify-attestation", help="verify a run's signed attestation.json and its report files"
    )
    attest.add_argument("file", metavar="FILE", help="the attestation.json to verify")
    attest.add_argument(
        "--anchors", required=True, help="PEM trust anchors of the administration that signed"
    )
    attest.add_argument(
        "--report-dir",
        default=None,
        help="folder holding the report files (default: the attestation's folder)",
    )
    return parser


def _int_env(name: str) -> int | None:
    value = _env(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"ECO_CONFORMANCE_{name.upper()} must be an integer") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``eco-conformance``."""
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        if args.command == "run":
            from conformance.runner import run_suite  # noqa: PLC0415 - imported when the command runs

            return run_suite(args)
        if args.command == "pki":
            if args.pki_command != "init":
                raise UsageError("eco-conformance pki: choose a command: init")
            return _pki_init(args)
        if args.command == "matrix":
            return _matrix(args)
        if args.command == "verify-attestation":
            return _verify_attestation(args)
        raise UsageError(
            "eco-conformance: choose a command: run, pki init, matrix, verify-attestation "
            "(see --help)"
        )
    except ConformanceError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        return _exit_code_of(exc)
    except KeyboardInterrupt:
        print("error: interrupted before the cases started; no report written", file=sys.stderr)
        return EXIT_CODES[Verdict.INTERRUPTED]


def _exit_code_of(exc: ConformanceError) -> int:
    """Bad usage 2, an unreachable target or adapter 4, anything else ERROR (5)."""
    if isinstance(exc, UsageError | PkiError | ExpectedFailuresError):
        return EXIT_USAGE
    if isinstance(exc, PreflightError):
        return EXIT_PREFLIGHT
    if isinstance(exc, AttestationError):
        return 1  # verify-attestation: the attestation or a report file does not verify
    return EXIT_CODES[Verdict.ERROR]


def _pki_init(args: argparse.Namespace) -> int:
    from conformance.embedded import (  # noqa: PLC0415 - imported when the command runs
        write_node_config,
    )
    from conformance.issuer_directory import (  # noqa: PLC0415 - imported when the command runs
        DIRECTORY_COUNTRY,
        write_directory,
    )
    from conformance.pki import generate_pki  # noqa: PLC0415 - imported when the command runs

    directory = Path(args.dir)
    cc = str(args.node_country).upper()
    if len(cc) != 2 or not cc.isalpha() or cc in ("XA", "XC"):
        raise UsageError("--node-country must be a two-letter code other than XA and XC")
    if (directory / "manifest.json").exists() and not args.force:
        raise PkiError(f"{directory} already holds a suite PKI (use --force to overwrite)")
    pki = generate_pki(now=dt.datetime.now(dt.UTC), node_country=cc).write(directory)
    issuer_directory = write_directory(pki)
    d = directory.resolve()
    config = write_node_config(
        pki=pki,
        directory=directory,
        port_file=directory / "reference-node.port",
        data_dir=directory / "reference-node-data",
        directories={DIRECTORY_COUNTRY: issuer_directory},
        listen=args.listen,
        filename="reference-node.toml",
        header=(
            "The reference node (eco-node) configured as the node under test of this PKI:\n"
            "eco-node --config reference-node.toml serve  (or: adapter [--listen HOST:PORT])"
        ),
    ).resolve()
    print(f"Suite PKI written to {d}\n")
    print(f"Configure the node under test (country {cc}) to:")
    for partner in pki.suite_countries:
        print(f"  - accept partner {partner}:")
        print(f"      TLS client CA:          {d / partner / 'tls-ca.pem'}")
        print(f"      document trust anchors: {d / partner / 'anchors.pem'}")
        if partner == DIRECTORY_COUNTRY:
            print(f"      signed issuer directory: {issuer_directory.resolve()}")
            print("        (load it, e.g. eco-node trust import; the revocation and")
            print("        authorisation cases of profile core depend on it)")
    print(f"  - serve TLS with          {d / cc / 'node-server.pem'} / node-server.key")
    print("    (or your own certificate; then pass its CA with --tls-ca)")
    print(f"  - sign receipts with      {d / cc / 'node-signer.pem'} / node-signer.key")
    print(f"  - sign certificates with  {d / cc / 'authority.pem'} / authority.key")
    print(f"    (authority id {pki.country(cc).authority_id})")
    print(f"  - call partners with      {d / cc / 'node-client.pem'} / node-client.key")
    run = shlex.join(
        [
            "eco-conformance",
            "run",
            "--target",
            args.listen,
            "--node-country",
            cc,
            "--pki",
            str(d),
            "--tls-ca",
            str(d / cc / "tls-ca.pem"),
            "--node-trust-anchors",
            str(d / cc / "anchors.pem"),
        ]
    )
    adapter = shlex.join(["eco-node", "--config", str(config), "adapter"])
    print("\nThen run, against your node at HOST:PORT (receiver-role profiles):")
    print(f"  {run.replace(shlex.quote(args.listen), 'HOST:PORT', 1)} \\")
    print("      --profile core --profile lifecycle --profile transport-security")
    print(f"\nTo try the suite on the reference node first, it was configured in {config}:")
    print("  # spawn mode: the suite starts the node with its adapter and tests every profile")
    print(f"  {run} \\\n      --adapter {shlex.quote(adapter)}")
    print("  # attach mode: start the node and its adapter yourself, then")
    print(f"  {adapter} --listen 127.0.0.1:7450 &")
    print(f"  {run} \\\n      --adapter-address 127.0.0.1:7450")
    return 0


@dataclass(frozen=True, kw_only=True)
class CollectedCase:
    """What collection says about one case, without running it."""

    requirements: tuple[str, ...]
    exercised: tuple[str, ...]
    obligations: frozenset[str]


def collect_cases() -> dict[str, CollectedCase]:
    """Collect the cases (no node needed): case id -> requirements and obligations.

    Raises:
        ConformanceError: The cases cannot be collected.
    """
    import pytest  # noqa: PLC0415 - imported when the command runs

    from conformance.obligations import case_obligations  # noqa: PLC0415
    from conformance.plugin import (  # noqa: PLC0415 - imported when the command runs
        case_id,
        exercised_of,
        register_markers,
        requirements_of,
    )

    class _Collector:
        def __init__(self) -> None:
            self.cases: dict[str, CollectedCase] = {}

        def pytest_configure(self, config: pytest.Config) -> None:
            register_markers(config)

        def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
            for item in items:
                cid = case_id(item.nodeid)
                marked = [str(a) for m in item.iter_markers("obligation") for a in m.args]
                self.cases[cid] = CollectedCase(
                    requirements=requirements_of(item),
                    exercised=exercised_of(item),
                    obligations=case_obligations(cid, marked),
                )

    collector = _Collector()
    with open(os.devnull, "w") as sink:
        saved = sys.stdout
        sys.stdout = sink
        try:
            code = pytest.main(
                [
                    str(_CASES_DIR),
                    "--collect-only",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "-c",
                    str(_CASES_DIR.parent / "data" / "pytest.ini"),
                    f"--rootdir={_CASES_DIR}",
                ],
                plugins=[collector],
            )
        finally:
            sys.stdout = saved
    if code not in (0, 5):
        raise ConformanceError(f"collecting the cases failed (pytest exit code {code})")
    return collector.cases


def collect_matrix() -> dict[str, list[str]]:
    """Requirement id -> the case ids that check it as a primary requirement."""
    matrix: dict[str, list[str]] = {}
    for cid, case in collect_cases().items():
        for req in case.requirements:
            matrix.setdefault(req, []).append(cid)
    return {k: sorted(set(v)) for k, v in matrix.items()}


def _matrix(args: argparse.Namespace) -> int:
    from conformance.requirements import (  # noqa: PLC0415 - imported when the command runs
        load_not_testable,
        load_requirements,
        render_matrix,
    )

    version, reqs = load_requirements()
    not_testable = load_not_testable()
    if args.obligations:
        return _obligations(args)
    matrix = collect_matrix()
    text, uncovered = render_matrix(reqs, matrix, not_testable)
    print(f"Requirement matrix for spec {version}")
    print(text)
    must = [r for r in uncovered if r.level == "MUST"]
    untestable = sorted(r.id for r in reqs if r.id in not_testable and not matrix.get(r.id))
    covered = len(reqs) - len(uncovered) - len(untestable)
    print(
        f"\n{covered} of {len(reqs)} requirements covered; "
        f"{len(untestable)} not testable externally"
        + (" (" + ", ".join(untestable) + ")" if untestable else "")
        + f"; {len(uncovered)} uncovered ({len(must)} MUST)"
        + (": " + ", ".join(r.id for r in uncovered) if uncovered else "")
    )
    return 1 if args.strict and must else 0


def _obligations(args: argparse.Namespace) -> int:
    from conformance.obligations import (  # noqa: PLC0415 - imported when the command runs
        obligation_matrix,
        render_obligations,
    )

    cases = collect_cases()
    rows = obligation_matrix(
        {c: k.requirements for c, k in cases.items()},
        {c: k.obligations for c, k in cases.items()},
    )
    table, gaps = render_obligations(rows)
    print(table)
    print(
        f"\n{len(rows) - len(gaps)} of {len(rows)} obligations met; {len(gaps)} gaps"
        + (": " + ", ".join(f"{g.requirement} {g.kind}" for g in gaps) if gaps else "")
    )
    return 1 if args.strict and gaps else 0


def _verify_attestation(args: argparse.Namespace) -> int:
    from conformance.attestation import (  # noqa: PLC0415 - imported when the command runs
        summary_lines,
        verify_attestation,
    )

    try:
        anchors = Path(args.anchors).read_bytes()
    except OSError as exc:
        raise AttestationError(
            f"cannot read trust anchors {args.anchors}: {exc.strerror}"
        ) from None
    verified = verify_attestation(
        Path(args.file),
        anchors_pem=anchors,
        report_dir=Path(args.report_dir) if args.report_dir is not None else None,
    )
    print(f"attestation {args.file} verified")
    for line in summary_lines(verified):
        print(f"  {line}")
    return 0
