"""Faulty variants: a mandatory field of REQ-CO-002 not checked everywhere.

Both reproduce what the mutation run of the reference node found (docs/conformance-mutation.md):
a goods item field whose absence a node misses in some items or on some path. Caught by
``test_value_rules.py::test_mandatory_field_missing_alone``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .patching import replace_function
from .variants import _variant

_CORE = ("core",)


@_variant(
    "mandatory-item-fields-first-item-only",
    fault="the mandatory fields of goods items are looked for in the first item only",
    area="field rules",
    requirements=("REQ-CO-002",),
    profiles=_CORE,
)
def _first_item_only() -> None:
    def make(original: Callable[..., None]) -> Callable[..., None]:
        def first_only(co: Any, out: Any, *, items: Any) -> None:
            original(co, out, items=list(items)[:1])

        return first_only

    replace_function("core.validation", "_co_missing_parts", make)


@_variant(
    "item-description-unchecked-on-fast-path",
    fault="the validation fast path lets a goods item without description through",
    area="field rules",
    requirements=("REQ-CO-002",),
    profiles=_CORE,
)
def _description_unchecked() -> None:
    def make(original: Callable[..., bool]) -> Callable[..., bool]:
        def described(items: Any, **kwargs: Any) -> bool:
            if all(item.description for item in items):
                return original(items, **kwargs)
            copies = []
            for item in items:
                copy = type(item)()
                copy.CopyFrom(item)
                copy.description = copy.description or "-"
                copies.append(copy)
            return original(copies, **kwargs)

        return described

    replace_function("core.fast_rules", "_items_fast", make)
