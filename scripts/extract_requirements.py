"""Generate conformance/data/spec_requirements.json from docs/spec.md.

Usage: python scripts/extract_requirements.py [--check]

With --check, exits 1 when the committed file differs from what docs/spec.md
produces (CI runs this; tests/conformance/test_requirements.py does too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.requirements import (  # noqa: E402
    extract_requirements,
    requirements_json,
    spec_version_of,
)

SPEC = ROOT / "docs" / "spec.md"
OUTPUT = ROOT / "conformance" / "data" / "spec_requirements.json"


def render(spec: Path = SPEC) -> str:
    """Return the JSON text generated from the spec."""
    text = spec.read_text(encoding="utf-8")
    return requirements_json(extract_requirements(text), spec_version=spec_version_of(text))


def main() -> int:
    """Write or check the packaged requirement list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    generated = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != generated:
            print(f"{OUTPUT} is stale: run python scripts/extract_requirements.py")
            return 1
        print(f"{OUTPUT} is up to date")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(generated, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
