"""Run the reference node with one faulty variant applied (docs/conformance.md).

Usage::

    python -m tests.mutants.launch NAME [eco-node arguments...]
    python -m tests.mutants.launch --list
    python -m tests.mutants.launch unmodified [eco-node arguments...]

For example ``python -m tests.mutants.launch accept-invalid-signature adapter
--config node.toml``: the named fault is applied to the reference node's
classes and functions in this process, then the node's normal command line
(``reference_node.cli.main``) runs with the remaining arguments. The suite's
embedded mode uses it through ``eco-conformance run --embedded-command
"python -m tests.mutants.launch NAME"``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from .variants import VARIANTS

__all__ = ["CONTROL", "main"]

#: Name that runs the node unmodified through this launcher (the control run).
CONTROL = "unmodified"

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Apply the named variant, then run ``eco-node`` with the remaining arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stderr.write(__doc__ or "")
        return 2
    if args[0] == "--list":
        for variant in VARIANTS.values():
            sys.stdout.write(f"{variant.name:<36} {variant.fault}\n")
        return 0
    name, rest = args[0], args[1:]
    if name != CONTROL:
        variant = VARIANTS.get(name)
        if variant is None:
            sys.stderr.write(f"unknown variant {name!r}; see --list\n")
            return 2
        variant.apply()
        sys.stderr.write(f"faulty variant {name}: {variant.fault}\n")
    from reference_node.cli import main as node_main

    return node_main(rest)


if __name__ == "__main__":
    sys.exit(main())
