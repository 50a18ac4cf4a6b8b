"""Operator-facing errors of the reference node (not protocol refusals).

Protocol refusals are :class:`reference_node.core.errors.EcoError`; this module
holds the base class of everything else an operator can get wrong (bad
configuration, missing files, an unknown reference on the command line), so
the CLI catches exactly :class:`NodeError` and ``EcoError`` and prints one line.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DeliveryError", "NodeError"]


class NodeError(Exception):
    """Base class of operator errors; ``diagnostics()`` is the one-line message."""

    def diagnostics(self) -> str:
        """Return the message shown to the operator."""
        return str(self)


class ConfigError(NodeError):
    """The node configuration (TOML file or flags) is invalid (ADR 0001)."""


class DeliveryError(NodeError):
    """A document could not be delivered to a partner node (REQ-PUSH-006)."""
