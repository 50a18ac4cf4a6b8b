"""``python -m reference_node``: the ``eco-node`` command line (docs/node.md)."""

from __future__ import annotations

import sys

from reference_node.cli import main

if __name__ == "__main__":
    sys.exit(main())
