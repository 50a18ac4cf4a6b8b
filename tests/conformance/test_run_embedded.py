"""`eco-conformance run` end to end against the embedded reference node (subprocess).

Each verdict of docs/conformance.md "Verdicts" is produced by a real run of the command
line and checked in its exit code, its closing line and its reports: PASS, FAIL (a
strict expected failure that passes), INCOMPLETE (narrowed with ``-k``), ERROR (a case
module that cannot be collected, a case without a requirement id) and INTERRUPTED (a
real SIGINT in the middle of the run).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *args, "--report-dir", str(tmp_path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _report(tmp_path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((tmp_path / "report.json").read_text("utf-8"))
    return data


def test_whole_profile_passes_and_writes_reports(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    env_run = ["--profile", "transport-security", "--examples", "3", "--seed", "7"]
    done = _run(env_run, tmp_path, cwd=workdir)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"PASS: \d+ passed, 0 failed", lines[-1]), lines[-3:]
    assert re.fullmatch(r"ran (\d+) of \1 cases in \d+\.\d s", lines[-2]), lines[-3:]
    report = _report(tmp_path)
    assert report["verdict"] == "PASS"
    meta = report["metadata"]
    assert isinstance(meta, dict)
    assert meta["seed"] == 7
    assert meta["implementation"]["name"]
    assert len(meta["implementation"]["tls_certificate_sha256"]) == 64
    cases = report["cases"]
    assert isinstance(cases, list)
    assert cases
    assert {c["status"] for c in cases} == {"passed"}
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.iter("testcase").__next__() is not None
    assert sum(1 for _ in junit.iter("testcase")) == len(cases)
    verdicts = [p.get("value") for p in junit.iter("property") if p.get("name") == "verdict"]
    assert verdicts == ["PASS"]
    assert "<html" in (tmp_path / "report.html").read_text("utf-8")
    assert (tmp_path / "node.log").stat().st_size > 0
    assert (tmp_path / "hypothesis-db").is_dir()
    assert list(workdir.iterdir()) == []  # nothing left in the working directory


def test_narrowed_run_is_incomplete_and_never_exits_zero(tmp_path: Path) -> None:
    done = _run(["--profile", "core", "-k", "envelope_refused", "--seed", "7"], tmp_path)
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"INCOMPLETE: \d+ passed, 0 failed, \d+ not run", last), last
    report = _report(tmp_path)
    assert report["verdict"] == "INCOMPLETE"
    cases = {c["case"]: c for c in report["cases"]}  # type: ignore[union-attr]
    refused = cases["test_core.py::test_envelope_refused[expired-signer]"]
    assert refused["status"] == "passed"
    assert "REQ-PKI-003" in refused["requirements"]
    assert "REQ-PUSH-002" in refused["exercised_requirements"]
    assert any(e["outcome"] == "PERMISSION_DENIED SIGNER_EXPIRED" for e in refused["exchange"])
    skipped = cases["test_core.py::test_node_info"]
    assert skipped["status"] == "not run"
    assert "-k" in skipped["reason"]


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
    assert re.fullmatch(
        r"FAIL: 0 passed, 1 failed, \d+ not run", done.stdout.strip().splitlines()[-1]
    )
    report = _report(tmp_path)
    assert report["failures"][0]["status"] == "xpassed"  # type: ignore[index]


def test_case_module_that_cannot_be_collected_is_error(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "test_broken.py").write_text("def test_x(:\n", encoding="utf-8")
    done = _run(["--profile", "transport-security", "--extra-cases", str(extra)], tmp_path / "r")
    assert done.returncode == 5, done.stdout[-3000:] + done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("ERROR: 0 passed, 0 failed, 1 error"), last
    assert "could not be collected" in done.stdout
    report = _report(tmp_path / "r")
    assert report["verdict"] == "ERROR"
    statuses = {c["status"] for c in report["cases"]}  # type: ignore[union-attr]
    assert "passed" not in statuses


def test_case_without_requirement_id_is_error(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "test_unmarked.py").write_text(
        "import pytest\n\n\n@pytest.mark.profile('core')\ndef test_x() -> None:\n    pass\n",
        encoding="utf-8",
    )
    done = _run(["--profile", "core", "--extra-cases", str(extra)], tmp_path / "r")
    assert done.returncode == 5, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("ERROR: 0 passed, 0 failed")
    assert "names no requirement id" in done.stdout


def test_sigint_mid_run_is_interrupted_everywhere(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--seed",
            "3",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + 120
    while seen.split("seed 3\n", 1)[-1].count(".") < 5:  # five cases have passed
        assert time.monotonic() < deadline, seen
        char = process.stdout.read(1)
        assert char, seen
        seen += char
    os.kill(process.pid, signal.SIGINT)
    rest, _ = process.communicate(timeout=120)
    output = seen + rest
    assert process.returncode == 130, output[-3000:]
    last = output.strip().splitlines()[-1]
    assert re.fullmatch(r"INTERRUPTED: \d+ passed, 0 failed, \d+ not run", last), last
    report = _report(tmp_path)
    assert report["verdict"] == "INTERRUPTED"
    cases = report["cases"]
    assert isinstance(cases, list)
    not_run = [c for c in cases if c["status"] == "not run"]
    passed = [c for c in cases if c["status"] == "passed"]
    assert not_run
    assert passed, output[-3000:]
    assert all("interrupted" in c["reason"] for c in not_run)
    assert all(p["verdict"] != "PASS" for p in report["summary"]["profiles"].values())  # type: ignore[index]
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    verdicts = [p.get("value") for p in junit.iter("property") if p.get("name") == "verdict"]
    assert verdicts == ["INTERRUPTED"]
    assert "INTERRUPTED" in (tmp_path / "report.html").read_text("utf-8")


def test_report_dir_that_is_a_file_is_one_error_line(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    done = _run([], target)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: --report-dir {target} is a file, not a folder"
    ]
