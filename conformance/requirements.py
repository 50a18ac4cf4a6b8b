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
from typing import Final

__all__ = [
    "Requirement",
    "extract_requirements",
    "load_requirements",
    "render_matrix",
    "requirements_json",
]

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


def requirements_json(requirements: Iterable[Requirement], *, spec_version: str) -> str:
    """Render the packaged JSON (stable formatting, so regeneration is byte-identical)."""
    data = {
        "spec": "docs/spec.md",
        "spec_version": spec_version,
        "requirements": [
            {"id": r.id, "level": r.level, "section": r.section, "summary": r.summary}
            for r in requirements
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def spec_version_of(spec_text: str) -> str:
    """Return the version in the spec's title line (``..., version 1.0.0``)."""
    match = re.search(r"version\s+(\d+\.\d+\.\d+)", spec_text)
    return match.group(1) if match else ""


def load_requirements(path: Path | None = None) -> tuple[str, list[Requirement]]:
    """Load the packaged requirement list (or one at ``path``).

    Returns:
        The spec version and the requirements.
    """
    if path is None:
        text = (
            resources.files("conformance")
            .joinpath("data/spec_requirements.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    reqs = [
        Requirement(id=r["id"], level=r["level"], section=r["section"], summary=r["summary"])
        for r in data["requirements"]
    ]
    return str(data.get("spec_version", "")), reqs


def render_matrix(
    requirements: Iterable[Requirement], cases: Mapping[str, list[str]]
) -> tuple[str, list[Requirement]]:
    """Render the requirement -> cases matrix as text.

    Args:
        requirements: The spec's requirements.
        cases: Requirement id -> case ids.

    Returns:
        The text and the requirements no case covers.
    """
    lines: list[str] = []
    uncovered: list[Requirement] = []
    known = set()
    for req in requirements:
        known.add(req.id)
        covering = sorted(cases.get(req.id, []))
        flag = "" if covering else "   <-- UNCOVERED"
        lines.append(f"{req.id} ({req.level}) {len(covering)} case(s){flag}")
        lines.append(f"    {req.summary}")
        lines.extend(f"    - {c}" for c in covering)
        if not covering:
            uncovered.append(req)
    unknown = sorted(set(cases) - known)
    if unknown:
        lines.append("")
        lines.append("Cases name requirement ids the spec does not define:")
        for req_id in unknown:
            lines.extend(f"  {req_id}: {c}" for c in sorted(cases[req_id]))
    return "\n".join(lines), uncovered
