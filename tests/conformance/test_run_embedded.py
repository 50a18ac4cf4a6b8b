"""`eco-conformance run` end to end against the embedded reference node (subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *args, "--report-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_quick_run_passes_and_writes_reports(tmp_path: Path) -> None:
    done = _run(
        [
            "--profile",
            "transport-security",
            "--profile",
            "core",
            "-k",
            "envelope or node_info",
            "--examples",
            "3",
            "--seed",
            "7",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"\d+ passed, 0 failed", lines[-1]), lines[-3:]
    assert re.fullmatch(r"ran \d+ cases in \d+\.\d s", lines[-2]), lines[-3:]
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["metadata"]["seed"] == 7
    assert report["metadata"]["implementation"]["name"]
    cases = {c["case"]: c for c in report["cases"]}
    refused = cases["test_core.py::test_envelope_refused[expired-signer]"]
    assert refused["status"] == "passed"
    assert "REQ-PKI-003" in refused["requirements"]
    assert any(e["outcome"] == "PERMISSION_DENIED SIGNER_EXPIRED" for e in refused["exchange"])
    assert (tmp_path / "junit.xml").read_text("utf-8").count("<testcase") == len(cases)
    assert "<html" in (tmp_path / "report.html").read_text("utf-8")


def test_expected_failure_that_passes_fails_the_run(tmp_path: Path) -> None:
    listed = tmp_path / "expected.toml"
    listed.write_text(
        '[[expected]]\ncase = "test_core.py::test_node_info"\nreason = "whatever"\n',
        encoding="utf-8",
    )
    done = _run(
        [
            "--profile",
            "core",
            "-k",
            "node_info",
            "--expected-failures",
            str(listed),
            "--write-expected-failures",
            str(tmp_path / "suggested.toml"),
        ],
        tmp_path,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert "XPASS(strict)" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"
    assert "test_core.py::test_node_info" in (tmp_path / "suggested.toml").read_text("utf-8")
