"""Faulty variants for the bounded refusal details of REQ-ERR-004 (docs/spec.md section 9).

Each variant changes one constant or wraps the one function where refusals become
``google.rpc.Status`` details (``reference_node.server.status``): the bound not applied,
the bound one too high, the total counting only what was listed, descriptions sent uncut.
All are caught by ``conformance/cases/test_error_bounds.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final

from .patching import module, replace_function, set_constant
from .variants import _variant, _wraps

__all__: list[str] = []

_CORE: Final = ("core",)
_REQ: Final = ("REQ-ERR-004",)


@_variant(
    "violations-unbounded",
    fault="every field violation found is listed in the BadRequest (no bound of 20), so a "
    "large refusal exceeds a stock client's trailer limit",
    area="errors",
    requirements=_REQ,
    profiles=_CORE,
)
def _violations_unbounded() -> None:
    set_constant("server.status", "MAX_FIELD_VIOLATIONS", lambda _: sys.maxsize)


@_variant(
    "violations-bound-off-by-one",
    fault="the BadRequest lists up to 21 field violations instead of 20",
    area="errors",
    requirements=_REQ,
    profiles=_CORE,
)
def _violations_bound_off_by_one() -> None:
    set_constant("server.status", "MAX_FIELD_VIOLATIONS", lambda bound: bound + 1)


@_variant(
    "violations-total-counts-listed",
    fault="violations_total counts the violations listed, not those found "
    "(and violations_omitted is always 0)",
    area="errors",
    requirements=_REQ,
    profiles=_CORE,
)
def _violations_total_counts_listed() -> None:
    status = module("server.status")
    from google.rpc import error_details_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def to_rpc_status(error: Any) -> Any:
            result = original(error)
            listed = min(len(error.violations), status.MAX_FIELD_VIOLATIONS)
            for detail in result.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    if status.VIOLATIONS_TOTAL in info.metadata:
                        info.metadata[status.VIOLATIONS_TOTAL] = str(listed)
                        info.metadata[status.VIOLATIONS_OMITTED] = "0"
                        detail.Pack(info)
            return result

        return to_rpc_status

    replace_function("server.status", "to_rpc_status", make)


@_variant(
    "violation-descriptions-not-cut",
    fault="field violation descriptions are sent whole, however long the value they quote",
    area="errors",
    requirements=_REQ,
    profiles=_CORE,
)
def _violation_descriptions_not_cut() -> None:
    set_constant("server.status", "MAX_DESCRIPTION_BYTES", lambda _: sys.maxsize)
