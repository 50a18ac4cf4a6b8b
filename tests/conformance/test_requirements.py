"""The packaged requirement list regenerates identically from docs/spec.md; the matrix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conformance.requirements import (
    NOT_TESTABLE_EXTERNALLY,
    extract_requirements,
    load_not_testable,
    load_requirements,
    render_matrix,
    requirements_json,
    spec_version_of,
)

ROOT = Path(__file__).resolve().parents[2]


def _script() -> object:
    spec = importlib.util.spec_from_file_location(
        "extract_requirements", ROOT / "scripts" / "extract_requirements.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_packaged_list_regenerates_identically() -> None:
    script = _script()
    generated = script.render()  # type: ignore[attr-defined]
    committed = (ROOT / "conformance" / "data" / "spec_requirements.json").read_text("utf-8")
    assert generated == committed, "run: python scripts/extract_requirements.py"


def test_every_spec_requirement_is_extracted() -> None:
    text = (ROOT / "docs" / "spec.md").read_text("utf-8")
    ids = {r.id for r in extract_requirements(text)}
    import re

    in_text = set(re.findall(r"^\s*- (REQ-[A-Z]+-\d{3}) \(", text, flags=re.M))
    assert ids == in_text
    assert spec_version_of(text) == load_requirements()[0]


def test_extraction_and_duplicates() -> None:
    text = (
        "## 2. Area\n\n- REQ-AB-001 (MUST): Do this. And more\n  continued.\n"
        "- REQ-AB-002 (SHOULD): Maybe.\n"
    )
    reqs = extract_requirements(text)
    assert [(r.id, r.level, r.section, r.summary) for r in reqs] == [
        ("REQ-AB-001", "MUST", "2. Area", "Do this."),
        ("REQ-AB-002", "SHOULD", "2. Area", "Maybe."),
    ]
    with pytest.raises(ValueError, match="twice"):
        extract_requirements(text + "- REQ-AB-001 (MUST): again.\n")


def test_matrix_flags_uncovered_and_unknown() -> None:
    _, reqs = load_requirements()
    text, uncovered = render_matrix(reqs[:2], {reqs[0].id: ["a.py::t"], "REQ-ZZ-999": ["b.py::u"]})
    assert [r.id for r in uncovered] == [reqs[1].id]
    assert "UNCOVERED" in text
    assert "REQ-ZZ-999" in text


def test_not_testable_requirements_are_listed_apart() -> None:
    _, reqs = load_requirements()
    not_testable = load_not_testable()
    assert set(not_testable) == set(NOT_TESTABLE_EXTERNALLY)
    assert {r.id for r in reqs} >= set(not_testable)
    target = next(r for r in reqs if r.id in not_testable)
    text, uncovered = render_matrix([target], {}, not_testable)
    assert uncovered == []
    assert "NOT TESTABLE EXTERNALLY" in text
    assert not_testable[target.id] in text
    # a case covering it anyway makes it an ordinary covered requirement
    text, uncovered = render_matrix([target], {target.id: ["a.py::t"]}, not_testable)
    assert uncovered == []
    assert "NOT TESTABLE" not in text


def test_not_testable_list_must_name_spec_requirements() -> None:
    _, reqs = load_requirements()
    with pytest.raises(ValueError, match="REQ-ZZ-001"):
        requirements_json(reqs, spec_version="1.0.0", not_testable={"REQ-ZZ-001": "why"})
