"""Requirement ids of docs/spec.md and the requirement -> cases matrix.

The spec's requirement list is packaged as ``conformance/data/spec_requirements.json``,
generated from docs/spec.md by ``scripts/extract_requirements.py`` (a test checks
that it regenerates identically), so an installed suite knows every requirement
without the repository.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

__all__ = [
    "NOT_TESTABLE_EXTERNALLY",
    "Requirement",
    "extract_requirements",
    "load_not_testable",
    "load_requirements",
    "render_matrix",
    "requirements_json",
]

#: Requirements no case can judge from outside the node, with the reason and where they
#: are checked instead. They are written into the packaged requirement list and shown by
#: ``eco-conformance matrix`` apart from the uncovered ones.
NOT_TESTABLE_EXTERNALLY: Final[Mapping[str, str]] = {
    "REQ-DIR-003": (
        "how a node loads partner directories is not part of the protocol (no RPC hands a "
        "node a directory; it loads them from its configuration or operator tooling such as "
        "'eco-node trust import'), so ignoring an older or equal version cannot be observed "
        "from outside; checked by the node's own tests (reference node: "
        "tests/reference_node/core/test_core_trust.py)"
    ),
}

_REQ_LINE: Final = re.compile(
    r"^\s*-\s+(REQ-[A-Z]+-\d{3})\s+\((MUST|SHOULD|MAY)\):\s*(?P<text>.*)$"
)
_HEADING: Final = re.compile(r"^(#{2,3})\s+(?P<title>.+?)\s*$")


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """One normative statement of docs/spec.md."""

    id: str
    level: str
    section: str
    summary: str


def extract_requirements(spec_text: str) -> list[Requirement]:
    """Extract every ``- REQ-AREA-NNN (LEVEL): text`` bullet from the spec text.

    The summary is the first sentence of the bullet (continuation lines joined).

    Args:
        spec_text: The content of docs/spec.md.

    Returns:
        Requirements in document order.

    Raises:
        ValueError: A requirement id appears twice.
    """
    out: list[Requirement] = []
    section = ""
    lines = spec_text.splitlines()
    seen: set[str] = set()
    for index, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading:
            section = heading.group("title")
            continue
        match = _REQ_LINE.match(line)
        if not match:
            continue
        parts = [match.group("text").strip()]
        for follow in lines[index + 1 :]:
            if not follow.startswith("  ") or follow.lstrip().startswith("- "):
                break
            parts.append(follow.strip())
        text = " ".join(parts)
        sentence = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0]
        req_id = match.group(1)
        if req_id in seen:
            raise ValueError(f"requirement {req_id} appears twice in the spec")
        seen.add(req_id)
        out.append(
            Requirement(id=req_id, level=match.group(2), section=section, summary=sentence[:240])
        )
    return out


def requirements_json(
    requirements: Iterable[Requirement],
    *,
    spec_version: str,
    not_testable: Mapping[str, str] = NOT_TESTABLE_EXTERNALLY,
) -> str:
    """Render the packaged JSON (stable formatting, so regeneration is byte-identical).

    Args:
        requirements: The spec's requirements.
        spec_version: The spec version.
        not_testable: Requirement id -> why no case can judge it from outside.

    Raises:
        ValueError: ``not_testable`` names an id the spec does not define.
    """
    reqs = list(requirements)
    unknown = sorted(set(not_testable) - {r.id for r in reqs})
    if unknown:
        raise ValueError(f"not-testable list names unknown requirements: {', '.join(unknown)}")
    data = {
        "spec": "docs/spec.md",
        "spec_version": spec_version,
        "requirements": [
            {"id": r.id, "level": r.level, "section": r.section, "summary": r.summary} for r in reqs
        ],
        "not_testable_externally": [
            {"id": req_id, "reason": not_testable[req_id]} for req_id in sorted(not_testable)
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def spec_version_of(spec_text: str) -> str:
    """Return the version in the spec's title line (``..., version 1.0.0``)."""
    match = re.search(r"version\s+(\d+\.\d+\.\d+)", spec_text)
    return match.group(1) if match else ""


def _packaged(path: Path | None) -> dict[str, Any]:
    if path is None:
        text = (
            resources.files("conformance")
            .joinpath("data/spec_requirements.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_not_testable(path: Path | None = None) -> dict[str, str]:
    """Load the packaged list of requirements not testable externally (id -> reason)."""
    return {
        str(e["id"]): str(e["reason"]) for e in _packaged(path).get("not_testable_externally", [])
    }


def load_requirements(path: Path | None = None) -> tuple[str, list[Requirement]]:
    """Load the packaged requirement list (or one at ``path``).

    Returns:
        The spec version and the requirements.
    """
    data = _packaged(path)
    reqs = [
        Requirement(id=r["id"], level=r["level"], section=r["section"], summary=r["summary"])
        for r in data["requirements"]
    ]
    return str(data.get("spec_version", "")), reqs


def render_matrix(
    requirements: Iterable[Requirement],
    cases: Mapping[str, list[str]],
    not_testable: Mapping[str, str] | None = None,
) -> tuple[str, list[Requirement]]:
    """Render the requirement -> cases matrix as text.

    Args:
        requirements: The spec's requirements.
        cases: Requirement id -> case ids.
        not_testable: Requirement id -> why it cannot be judged from outside; such a
            requirement without cases is shown with its reason, not as uncovered.

    Returns:
        The text and the requirements no case covers (not-testable ones excluded).
    """
    not_testable = not_testable or {}
    lines: list[str] = []
    uncovered: list[Requirement] = []
    known = set()
    for req in requirements:
        known.add(req.id)
        covering = sorted(cases.get(req.id, []))
        reason = not_testable.get(req.id, "")
        if covering:
            flag = ""
        elif reason:
            flag = "   (NOT TESTABLE EXTERNALLY)"
        else:
            flag = "   <-- UNCOVERED"
        lines.append(f"{req.id} ({req.level}) {len(covering)} case(s){flag}")
        lines.append(f"    {req.summary}")
        lines.extend(f"    - {c}" for c in covering)
        if reason and not covering:
            lines.append(f"    not testable externally: {reason}")
        if not covering and not reason:
            uncovered.append(req)
    unknown = sorted(set(cases) - known)
    if unknown:
        lines.append("")
        lines.append("Cases name requirement ids the spec does not define:")
        for req_id in unknown:
            lines.extend(f"  {req_id}: {c}" for c in sorted(cases[req_id]))
    return "\n".join(lines), uncovered
