"""Helpers that apply one behaviour change to the reference node in this process.

A variant never copies reference-node code: it replaces one function, method
or constant by a wrapper around the original. Because modules bind names at
import time (``from x import f``), :func:`replace_function` also rebinds the
name in every already imported ``reference_node`` module that holds the
original object; modules imported later pick the replacement up themselves.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["module", "patch_method", "replace_function", "set_constant"]

_PREFIX = "reference_node"


def module(name: str) -> Any:
    """Import and return ``reference_node.<name>``."""
    return importlib.import_module(f"{_PREFIX}.{name}")


def _rebind(original: object, replacement: object) -> int:
    count = 0
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == _PREFIX or name.startswith(_PREFIX + ".")):
            continue
        for attr, value in list(vars(mod).items()):
            if value is original:
                setattr(mod, attr, replacement)
                count += 1
    return count


def replace_function(
    module_name: str, name: str, make: Callable[[Any], Callable[..., Any]]
) -> None:
    """Replace function ``name`` of ``reference_node.<module_name>`` everywhere it is bound.

    Args:
        module_name: Module below ``reference_node`` that defines the function.
        name: The function's name.
        make: Builds the replacement from the original function.

    Raises:
        LookupError: The function does not exist (the reference node changed).
    """
    mod = module(module_name)
    original = getattr(mod, name, None)
    if original is None:
        raise LookupError(f"reference_node.{module_name}.{name} does not exist")
    replacement = make(original)
    if _rebind(original, replacement) == 0:  # pragma: no cover - defensive
        setattr(mod, name, replacement)


def set_constant(module_name: str, name: str, make: Callable[[Any], Any]) -> None:
    """Replace a module-level constant (looked up at call time) by ``make(original)``.

    Raises:
        LookupError: The constant does not exist.
    """
    mod = module(module_name)
    if not hasattr(mod, name):
        raise LookupError(f"reference_node.{module_name}.{name} does not exist")
    setattr(mod, name, make(getattr(mod, name)))


def patch_method(module_name: str, class_name: str, name: str, make: Callable[[Any], Any]) -> None:
    """Replace method ``name`` of a reference-node class by ``make(original)``.

    Raises:
        LookupError: The class or method does not exist.
    """
    cls = getattr(module(module_name), class_name, None)
    if cls is None or name not in vars(cls):
        raise LookupError(f"reference_node.{module_name}.{class_name}.{name} does not exist")
    setattr(cls, name, make(vars(cls)[name]))
