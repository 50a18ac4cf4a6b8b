"""Render the "Faults the suite catches" table of docs/conformance.md from a mutant run.

Usage::

    ECO_MUTANT_SUMMARY=caught.json pytest tests/mutants
    python -m tests.mutants.table caught.json

Reads what ``test_mutants.py`` recorded (variant -> failed ``profile:case``)
and prints one Markdown row per variant of the catalogue.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .variants import VARIANTS

__all__ = ["caught_by", "main", "render"]

_SHOWN = 3


def caught_by(summary: Path) -> dict[str, list[str]]:
    """Variant name -> ``profile:case`` entries that failed against it."""
    data = json.loads(summary.read_text(encoding="utf-8"))
    return {str(k): [str(e) for e in v] for k, v in data.items()}


def _cases(entries: list[str]) -> str:
    names = [e.split(":", 1)[1] if ":" in e else e for e in entries]
    shown = ", ".join(f"`{n}`" for n in names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


def render(found: dict[str, list[str]]) -> str:
    """The Markdown table, one row per variant."""
    lines = [
        "| Variant | Fault | Requirements | Profile | Caught by |",
        "|---------|-------|--------------|---------|-----------|",
    ]
    for variant in VARIANTS.values():
        entries = found.get(variant.name, [])
        if entries:
            verdict = _cases(entries)
        elif variant.gap:
            verdict = f"**not caught yet**: needs {variant.gap}"
        else:
            verdict = "(not run)"
        lines.append(
            f"| `{variant.name}` | {variant.fault} | {', '.join(variant.requirements)} | "
            f"{', '.join(variant.profiles)} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table for the summary file named on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m tests.mutants.table SUMMARY.json\n")
        return 2
    sys.stdout.write(render(caught_by(Path(args[0]))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
