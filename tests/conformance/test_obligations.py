"""Test obligations: every requirement has its kinds, the table in the docs is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.obligations import (
    APPLICABLE,
    KINDS,
    OUT_OF_REACH,
    case_obligations,
    obligation_matrix,
    render_obligations,
)
from conformance.requirements import load_not_testable, load_requirements

ROOT = Path(__file__).resolve().parents[2]


def test_every_testable_requirement_has_obligations() -> None:
    _, reqs = load_requirements()
    testable = {r.id for r in reqs} - set(load_not_testable())
    assert set(APPLICABLE) == testable
    for req, kinds in APPLICABLE.items():
        assert kinds, req
        assert set(kinds) <= set(KINDS), (req, kinds)
    assert {k for _, k in OUT_OF_REACH} <= set(KINDS)
    assert all(req in APPLICABLE and kind in APPLICABLE[req] for req, kind in OUT_OF_REACH)


def test_case_kinds_come_from_marker_module_and_name() -> None:
    assert case_obligations("test_core.py::test_envelope_refused[x]") == {"refuse"}
    assert case_obligations("test_core.py::test_node_info") == {"accept"}
    assert case_obligations("test_boundaries.py::test_payload_size_edge[at-limit]") == {
        "boundary",
        "accept",
    }
    assert "third-country" in case_obligations("test_x.py::test_y", ["third-country"])
    with pytest.raises(ValueError, match="unknown obligation"):
        case_obligations("test_x.py::test_y", ["nonsense"])


def test_matrix_marks_gaps_and_out_of_reach() -> None:
    rows = obligation_matrix(
        {"test_a.py::test_refused": ("REQ-A",)},
        {"test_a.py::test_refused": frozenset({"refuse"})},
        applicable={"REQ-A": ("refuse", "boundary"), "REQ-PKI-005": ("boundary",)},
    )
    by_key = {(r.requirement, r.kind): r for r in rows}
    assert by_key["REQ-A", "refuse"].cases == ("test_a.py::test_refused",)
    assert not by_key["REQ-A", "boundary"].met
    assert by_key["REQ-PKI-005", "boundary"].met  # out of reach, with its reason
    table, gaps = render_obligations(rows)
    assert [(g.requirement, g.kind) for g in gaps] == [("REQ-A", "boundary")]
    assert "**gap**" in table
    assert "out of reach:" in table


def test_docs_table_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/obligations_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_matrix_obligations_command_reports_no_gap() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "matrix", "--obligations", "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert done.stdout.strip().splitlines()[-1].endswith("0 gaps")
