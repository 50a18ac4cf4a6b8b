"""Write the test-obligation table of docs/conformance.md from the conformance cases.

Usage::

    python scripts/obligations_table.py          # rewrite the table in docs/conformance.md
    python scripts/obligations_table.py --check  # exit 1 if the table is stale

The table is the output of ``eco-conformance matrix --obligations`` (requirement x
obligation kind -> the cases that meet it, gaps marked), placed between the
``<!-- obligations:begin -->`` and ``<!-- obligations:end -->`` lines.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "conformance.md"
BEGIN = "<!-- obligations:begin -->"
END = "<!-- obligations:end -->"


def render() -> str:
    """The table and its summary line, as the docs hold them."""
    sys.path.insert(0, str(ROOT))
    from conformance.cli import collect_cases  # noqa: PLC0415 - after the path is set
    from conformance.obligations import (  # noqa: PLC0415 - after the path is set
        obligation_matrix,
        render_obligations,
    )

    cases = collect_cases()
    rows = obligation_matrix(
        {c: k.requirements for c, k in cases.items()},
        {c: k.obligations for c, k in cases.items()},
    )
    table, gaps = render_obligations(rows)
    summary = f"{len(rows) - len(gaps)} of {len(rows)} obligations met, {len(gaps)} gaps" + (
        ": " + ", ".join(f"{g.requirement} {g.kind}" for g in gaps) if gaps else "."
    )
    return f"{table}\n\n{summary}"


def updated(doc: str, body: str) -> str:
    """``doc`` with the text between the markers replaced by ``body``."""
    head, sep, rest = doc.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"{DOC} lacks the {BEGIN} / {END} lines")
    return f"{head}{BEGIN}\n{body}\n{END}{tail}"


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the table is stale")
    options = parser.parse_args()
    doc = DOC.read_text("utf-8")
    new = updated(doc, render())
    if options.check:
        if new != doc:
            print(f"{DOC} is stale: run python scripts/obligations_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
