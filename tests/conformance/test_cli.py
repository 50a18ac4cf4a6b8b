"""The eco-conformance command line: usage errors, pki init, matrix."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.pki import load_pki

ROOT = Path(__file__).resolve().parents[2]


def test_no_command_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--profile", "nonsense"],
        ["run", "--examples", "x"],
        ["bogus"],
        ["run", "--target", "127.0.0.1:1"],
    ],
)
def test_bad_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")


def test_target_mode_names_missing_material(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "--pki" in err
    assert "--tls-ca" in err


def test_pki_init_writes_and_prints_instructions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pki", "init", "--dir", str(tmp_path / "pki"), "--node-country", "XB"]) == 0
    out = capsys.readouterr().out
    assert "XA" in out
    assert "tls-ca.pem" in out
    assert "anchors.pem" in out
    assert "eco-conformance run --target" in out
    pki = load_pki(tmp_path / "pki")
    assert pki.node_country == "XB"
    assert main(["pki", "init", "--dir", str(tmp_path / "pki")]) == 2
    assert "already" in capsys.readouterr().err


def test_matrix_subprocess_lists_requirements() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "matrix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "REQ-SIG-003" in done.stdout
    assert "requirements covered" in done.stdout


def test_every_option_is_documented() -> None:
    import argparse

    from conformance.cli import build_parser

    docs = (ROOT / "docs" / "conformance.md").read_text("utf-8")
    parser = build_parser()
    options = [o for a in parser._actions for o in a.option_strings]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                options += [o for a in sub._actions for o in a.option_strings]
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        for leaf in inner.choices.values():
                            options += [o for a in leaf._actions for o in a.option_strings]
    missing = sorted(
        {
            o
            for o in options
            if o not in ("-h", "--help")
            and not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", docs)
        }
    )
    assert missing == [], f"options missing from docs/conformance.md: {missing}"


def test_pki_init_writes_the_issuer_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pki", "init", "--dir", str(tmp_path / "pki")]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "pki" / "XA" / "directory.pb").is_file()
    assert "directory.pb" in out
    assert "trust import" in out
