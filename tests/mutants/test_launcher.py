"""Fast checks of the mutant launcher and the table renderer (no suite run).

Variants are never applied in the test process: a fault applied here would
leak into every other test of the session. ``--list`` and the error paths do
not apply anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .launch import CONTROL, main
from .table import caught_by, render
from .variants import VARIANTS

ROOT = Path(__file__).resolve().parents[2]


def test_list_names_every_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(VARIANTS)
    assert CONTROL not in VARIANTS


def test_unknown_variant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-variant", "--config", "x.toml", "adapter"]) == 2
    assert "unknown variant 'no-such-variant'" in capsys.readouterr().err


def test_no_arguments_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "python -m tests.mutants.launch NAME" in capsys.readouterr().err


def test_variant_passes_remaining_arguments_to_the_node_cli(tmp_path: Path) -> None:
    """The fault is applied, then eco-node runs with the rest (here: a missing config)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.mutants.launch",
            "accept-invalid-signature",
            "--config",
            str(tmp_path / "missing.toml"),
            "adapter",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "faulty variant accept-invalid-signature" in done.stderr
    assert done.returncode not in (0, 2), done.stderr
    assert "missing.toml" in done.stderr


def test_table_lists_catches_and_gaps(tmp_path: Path) -> None:
    summary = tmp_path / "caught.json"
    summary.write_text(
        json.dumps({"accept-invalid-signature": ["core:a.py::x", "core:a.py::y"]}),
        encoding="utf-8",
    )
    found = caught_by(summary)
    table = render(found).splitlines()
    assert len(table) == 2 + len(VARIANTS)
    row = next(r for r in table if r.startswith("| `accept-invalid-signature`"))
    assert "`a.py::x`, `a.py::y`" in row
    gaps = [v.name for v in VARIANTS.values() if v.gap]
    for name in gaps:
        assert "not caught yet" in next(r for r in table if r.startswith(f"| `{name}`"))


def test_every_variant_finds_its_target_in_the_reference_node() -> None:
    """Each fault applies (its function, method or constant exists), in a child process."""
    code = (
        "import sys\n"
        "from tests.mutants.variants import VARIANTS\n"
        "failed = []\n"
        "for v in VARIANTS.values():\n"
        "    try:\n"
        "        v.apply()\n"
        "    except LookupError as exc:\n"
        "        failed.append(f'{v.name}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
