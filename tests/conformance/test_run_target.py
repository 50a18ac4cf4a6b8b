"""`eco-conformance run --target` against a separately started reference node (subprocesses).

The node is configured the way docs/conformance.md tells an operator: the suite PKI from
``pki init`` and XA's signed issuer directory. Without an adapter the import-outcome cases
are skipped, with the reason in the console and the reports.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.embedded import write_node_config
from conformance.issuer_directory import write_directory
from conformance.pki import generate_pki

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


def test_target_mode_runs_directory_cases_and_skips_outcomes_without_adapter(
    node: tuple[str, Path], tmp_path: Path
) -> None:
    address, pki = node
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--target",
            address,
            "--node-country",
            "XB",
            "--pki",
            str(pki),
            "--tls-ca",
            str(pki / "XB" / "tls-ca.pem"),
            "--node-trust-anchors",
            str(pki / "XB" / "anchors.pem"),
            "--profile",
            "core",
            "--profile",
            "lifecycle",
            "-k",
            "test_directory or test_first_decision or test_outcome_on_unknown",
            "--seed",
            "11",
            "--report-dir",
            str(tmp_path / "reports"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    match = re.fullmatch(r"(\d+) passed, 0 failed, (\d+) skipped", lines[-1])
    assert match, lines[-3:]
    assert int(match.group(1)) >= 12
    assert int(match.group(2)) == 4
    assert "skipped cases:" in done.stdout
    assert "4 lifecycle: " in done.stdout
    report = json.loads((tmp_path / "reports" / "report.json").read_text("utf-8"))
    cases = {c["case"]: c for c in report["cases"]}
    revoked = cases["test_directory.py::test_revoked_signer_refused"]
    assert revoked["status"] == "passed"
    assert any(e["outcome"] == "PERMISSION_DENIED SIGNER_REVOKED" for e in revoked["exchange"])
    skipped = [c for c in report["cases"] if c["status"] == "skipped"]
    assert {c["case"].split("::")[0] for c in skipped} == {"test_outcomes.py"}
    assert all("adapter" in c["failure"] for c in skipped)
