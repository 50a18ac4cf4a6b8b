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
and printed as one line; exit code 2 is bad usage, 1 a failed run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Final

from conformance.errors import ConformanceError, PkiError, UsageError
from conformance.plugin import PROFILES

__all__ = ["build_parser", "collect_matrix", "main"]

logger = logging.getLogger(__name__)

_CASES_DIR: Final = Path(__file__).resolve().parent / "cases"
_DEFAULT_EXAMPLES: Final = 25
_DEFAULT_SHRINK_SECONDS: Final = 20


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
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run the suite against a node (default: embedded)")
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
        "-k", dest="keyword", default=None, help="only cases matching this pytest -k expression"
    )

    pki = sub.add_parser("pki", help="manage the suite's test PKI")
    pki_sub = pki.add_subparsers(dest="pki_command", metavar="PKI_COMMAND", parser_class=_Parser)
    init = pki_sub.add_parser("init", help="write the test PKI and print what the node must use")
    init.add_argument("--dir", required=True, help="directory to write")
    init.add_argument("--node-country", default="XB", help="country of the node (default XB)")
    init.add_argument("--force", action="store_true", help="overwrite an existing PKI")

    matrix = sub.add_parser("matrix", help="print requirement -> cases; flag uncovered ones")
    matrix.add_argument(
        "--strict", action="store_true", help="exit 1 when a MUST requirement is uncovered"
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
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _pki_init(args: argparse.Namespace) -> int:
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
    print("\nThen run:")
    print(
        f"  eco-conformance run --target HOST:PORT --node-country {cc} --pki {d} "
        f"--tls-ca {d / cc / 'tls-ca.pem'} --node-trust-anchors {d / cc / 'anchors.pem'}"
    )
    return 0


def collect_matrix() -> dict[str, list[str]]:
    """Collect the cases and return requirement id -> case ids (no node needed)."""
    import pytest  # noqa: PLC0415 - imported when the command runs

    from conformance.plugin import case_id  # noqa: PLC0415 - imported when the command runs

    class _Collector:
        def __init__(self) -> None:
            self.matrix: dict[str, list[str]] = {}

        def pytest_configure(self, config: pytest.Config) -> None:
            config.addinivalue_line("markers", "requirement(*ids): requirement ids")
            config.addinivalue_line("markers", "profile(name): conformance profile")

        def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
            for item in items:
                for mark in item.iter_markers("requirement"):
                    for req in mark.args:
                        self.matrix.setdefault(str(req), []).append(case_id(item.nodeid))

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
    return {k: sorted(set(v)) for k, v in collector.matrix.items()}


def _matrix(args: argparse.Namespace) -> int:
    from conformance.requirements import (  # noqa: PLC0415 - imported when the command runs
        load_not_testable,
        load_requirements,
        render_matrix,
    )

    version, reqs = load_requirements()
    not_testable = load_not_testable()
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


def _verify_attestation(args: argparse.Namespace) -> int:
    from conformance.attestation import (  # noqa: PLC0415 - imported when the command runs
        summary_lines,
        verify_attestation,
    )
    from conformance.errors import AttestationError  # noqa: PLC0415 - imported when the command runs

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
