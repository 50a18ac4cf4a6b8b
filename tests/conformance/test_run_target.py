"""`eco-conformance run --target` against a separately started reference node (subprocesses).

The node is configured the way docs/conformance.md tells an operator: the suite PKI from
``pki init`` and XA's signed issuer directory. Without an adapter the import-outcome cases
are skipped, with the reason in the console and the reports.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.client import Target
from conformance.embedded import write_node_config
from conformance.errors import PreflightError
from conformance.issuer_directory import write_directory
from conformance.pki import generate_pki, load_pki
from conformance.preflight import TlsSettings, preflight

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    pki = generate_pki(now=dt.datetime.now(dt.UTC)).write(tmp_path / "pki")
    directory = write_directory(pki)
    port_file = tmp_path / "node" / "port"
    config = write_node_config(
        pki=pki,
        directory=tmp_path / "node",
        port_file=port_file,
        data_dir=tmp_path / "node" / "data",
        directories={"XA": directory},
    )
    with (tmp_path / "node.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reference_node", "--config", str(config), "serve"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not (port_file.exists() and port_file.read_text().strip().isdigit()):
                assert process.poll() is None, (tmp_path / "node.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the node did not start"
                time.sleep(0.05)
            yield f"127.0.0.1:{port_file.read_text().strip()}", tmp_path / "pki"
        finally:
            process.terminate()
            process.wait(timeout=30)


def _suite(
    args: list[str], reports: Path, *, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *args, "--report-dir", str(reports)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _target_flags(address: str, pki: Path, *, country: str = "XB", ca: str = "XB") -> list[str]:
    return [
        "--target",
        address,
        "--node-country",
        country,
        "--pki",
        str(pki),
        "--tls-ca",
        str(pki / ca / "tls-ca.pem"),
        "--node-trust-anchors",
        str(pki / "XB" / "anchors.pem"),
    ]


def test_target_mode_runs_directory_cases_and_skips_outcomes_without_adapter(
    node: tuple[str, Path], tmp_path: Path
) -> None:
    address, pki = node
    done = _suite(
        [
            *_target_flags(address, pki),
            "--profile",
            "core",
            "--profile",
            "lifecycle",
            "-k",
            "test_directory or test_first_decision or test_outcome_on_unknown",
            "--seed",
            "11",
        ],
        tmp_path / "reports",
    )
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    match = re.fullmatch(
        r"INCOMPLETE: (\d+) passed, 0 failed, (\d+) skipped, \d+ not run", lines[-1]
    )
    assert match, lines[-3:]
    assert int(match.group(1)) >= 12
    assert int(match.group(2)) == 4
    assert "4 skipped in lifecycle: " in done.stdout
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    assert report["summary"]["profiles"]["lifecycle"]["verdict"] == "INCOMPLETE"
    cases = {c["case"]: c for c in report["cases"]}
    revoked = cases["test_directory.py::test_revoked_signer_refused"]
    assert revoked["status"] == "passed"
    assert any(e["outcome"] == "PERMISSION_DENIED SIGNER_REVOKED" for e in revoked["exchange"])
    skipped = [c for c in report["cases"] if c["status"] == "skipped"]
    assert {c["case"].split("::")[0] for c in skipped} == {"test_outcomes.py"}
    assert all("adapter" in c["reason"] for c in skipped)
    replay = revoked["replay"] or report["metadata"]["command"]
    assert f"--target {address}" in replay
    assert "--report-dir" in replay


def test_without_adapter_a_profile_that_needs_one_is_incomplete(
    node: tuple[str, Path], tmp_path: Path
) -> None:
    address, pki = node
    done = _suite([*_target_flags(address, pki), "--profile", "verification"], tmp_path)
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("INCOMPLETE: 0 passed, 0 failed")
    assert "verification         INCOMPLETE" in done.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("dead-port", "connection refused at 127.0.0.1:1"),
        ("wrong-ca", "is not issued by --tls-ca"),
        ("wrong-name", "does not name 'elsewhere.example'"),
    ],
)
def test_preflight_fails_fast_with_one_line(
    node: tuple[str, Path], tmp_path: Path, change: str, message: str
) -> None:
    address, pki = node
    flags = _target_flags(address, pki)
    if change == "dead-port":
        flags = _target_flags("127.0.0.1:1", pki)
    elif change == "wrong-ca":
        flags = _target_flags(address, pki, ca="XA")
    else:
        flags += ["--tls-server-name", "elsewhere.example"]
    started = time.monotonic()
    done = _suite(flags, tmp_path / "reports", timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: ")
    assert message in errors[0]
    assert elapsed < 10, elapsed


def test_preflight_checks_the_node_country(node: tuple[str, Path]) -> None:
    address, pki_dir = node
    pki = load_pki(pki_dir)
    target = Target(
        address=address,
        node_country="XB",
        server_ca_pem=pki.country("XB").tls_ca_pem(),
        pki=pki,
        node_trust_anchors_pem=pki.country("XB").anchors_pem(),
    )
    tls = TlsSettings(
        address=address,
        ca_pem=pki.country("XB").tls_ca_pem(),
        ca_source="XB/tls-ca.pem",
        client=pki.country("XA").node_client,
        client_source="XA/node-client.pem",
    )
    try:
        checked = preflight(target=target, tls=tls, expected_country="XB", adapter=None)
        assert checked.node_info.country == "XB"
        assert len(checked.tls_certificate_sha256) == 64
        with pytest.raises(PreflightError, match="says country XB, expected XD"):
            preflight(target=target, tls=tls, expected_country="XD", adapter=None)
    finally:
        target.close()


def test_node_lost_mid_run_ends_the_run_as_error(tmp_path: Path) -> None:
    pki = generate_pki(now=dt.datetime.now(dt.UTC)).write(tmp_path / "pki")
    directory = write_directory(pki)
    port_file = tmp_path / "node" / "port"
    config = write_node_config(
        pki=pki,
        directory=tmp_path / "node",
        port_file=port_file,
        data_dir=tmp_path / "node" / "data",
        directories={"XA": directory},
    )
    node = subprocess.Popen(
        [sys.executable, "-m", "reference_node", "--config", str(config), "serve"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip().isdigit()):
            assert node.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        address = f"127.0.0.1:{port_file.read_text().strip()}"
        suite = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance",
                "run",
                *_target_flags(address, tmp_path / "pki"),
                "--profile",
                "core",
                "--seed",
                "5",
                "--report-dir",
                str(tmp_path / "reports"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert suite.stdout is not None
        seen = ""
        while seen.split("seed 5\n", 1)[-1].count(".") < 3:
            char = suite.stdout.read(1)
            assert char, seen
            seen += char
        node.kill()
        started = time.monotonic()
        rest, _ = suite.communicate(timeout=120)
        elapsed = time.monotonic() - started
    finally:
        node.kill()
        node.wait(timeout=30)
    output = seen + rest
    assert suite.returncode == 5, output[-3000:]
    assert elapsed < 60, elapsed
    last = output.strip().splitlines()[-1]
    assert re.fullmatch(r"ERROR: \d+ passed, 0 failed, 1 error, \d+ not run", last), last
    assert "stopped answering" in output
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "ERROR"
    assert [f["status"] for f in report["failures"]] == ["error"]
