"""Run the reliability tests in long mode and print their figures.

Long mode (docs/reliability.md) kills the nodes 500 times in total instead of
the CI's 20-odd and runs the fuzzers with more examples. The figures of the
run are written as JSON and printed as a Markdown table for
docs/reliability.md.

Usage::

    python scripts/reliability_long.py [--figures PATH] [--quick] [PYTEST_ARGS...]

``--quick`` runs the CI mode instead (same figures, fewer kills). Extra
arguments go to pytest, for example ``-k crash``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Run pytest on tests/reliability with the long-mode environment; print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures",
        type=Path,
        default=ROOT / "build" / "reliability-figures.json",
        help="where to write the figures as JSON (default: build/reliability-figures.json)",
    )
    parser.add_argument("--quick", action="store_true", help="CI mode instead of long mode")
    args, pytest_args = parser.parse_known_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["ECO_RELIABILITY_FIGURES"] = str(args.figures.resolve())
    if not args.quick:
        env["ECO_RELIABILITY_LONG"] = "1"
    args.figures.parent.mkdir(parents=True, exist_ok=True)
    args.figures.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", "tests/reliability", "-p", "no:cacheprovider"]
    result = subprocess.run([*cmd, *pytest_args], cwd=ROOT, env=env, check=False)
    if args.figures.exists():
        figures = json.loads(args.figures.read_text())
        print("\n| area | figure | value |\n|---|---|---|")
        for section, values in sorted(figures.items()):
            for name, value in values.items():
                print(f"| {section} | {name} | {value} |")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
