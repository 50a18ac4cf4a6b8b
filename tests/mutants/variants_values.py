"""Faulty variants: value rules wrong for some values only (docs/conformance-mutation.md).

Each fault reproduces a survivor of the mutation run of the reference node: a rule that
holds for the values the older cases sent but not for every value the spec names (one
currency's minor units, 29 February of some years, the one-day margins, origin criterion
types numbered after CTC, one country field, the last test code). Caught by
``conformance/cases/test_value_rules.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from .patching import module, replace_function
from .variants import _variant

_CORE = ("core",)


def _currency_digits(code: str, digits: int) -> None:
    """The node's CURRENCY table (published and enforced) gives ``code`` other digits."""

    def make(original: Callable[[], Any]) -> Callable[[], Any]:
        base = original()
        lists = dataclasses.replace(
            base, currencies=MappingProxyType({**base.currencies, code: digits})
        )
        return lambda: lists

    replace_function("core.codelists", "default_codelists", make)


@_variant(
    "currency-pgk-one-minor-digit",
    fault="PGK has 1 minor-unit digit in the node's currency table instead of 2",
    area="field rules",
    requirements=("REQ-CO-010",),
    profiles=_CORE,
)
def _pgk_one_digit() -> None:
    _currency_digits("PGK", 1)


@_variant(
    "currency-qar-three-minor-digits",
    fault="QAR has 3 minor-unit digits in the node's currency table instead of 2",
    area="field rules",
    requirements=("REQ-CO-010",),
    profiles=_CORE,
)
def _qar_three_digits() -> None:
    _currency_digits("QAR", 3)


@_variant(
    "currency-pyg-one-minor-digit",
    fault="PYG has 1 minor-unit digit in the node's currency table instead of 0",
    area="field rules",
    requirements=("REQ-CO-010",),
    profiles=_CORE,
)
def _pyg_one_digit() -> None:
    _currency_digits("PYG", 1)


@_variant(
    "currency-vuv-negative-minor-digits",
    fault="VUV has -1 minor-unit digits in the node's currency table: every VUV amount is refused",
    area="field rules",
    requirements=("REQ-CO-010",),
    profiles=_CORE,
)
def _vuv_negative() -> None:
    _currency_digits("VUV", -1)


@_variant(
    "currency-digits-published-wrong",
    fault="the CURRENCY code list states 3 minor units for USD while the node enforces 2",
    area="node information",
    requirements=("REQ-NODE-002", "REQ-CO-010"),
    profiles=_CORE,
)
def _published_wrong() -> None:
    codelists = module("core.codelists")
    original = codelists.CodeLists.to_proto

    def to_proto(self: Any) -> Any:
        lists = original(self)
        for code_list in lists:
            for entry in code_list.entries:
                if code_list.name == "CURRENCY" and entry.code == "USD":
                    entry.description = "minor units: 3"
        return lists

    codelists.CodeLists.to_proto = to_proto


@_variant(
    "ctc-rule-for-later-criterion-types",
    fault="origin criterion types numbered after CTC (PSR, DMI, ACU) are judged like CTC: "
    "they need a tariff shift and may carry one",
    area="field rules",
    requirements=("REQ-CO-009",),
    profiles=_CORE,
)
def _ctc_rule_for_later_types() -> None:
    pb = module("core.validation").certificate_pb2
    ctc = pb.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION

    def make(original: Callable[..., None]) -> Callable[..., None]:
        def check(path: str, item: Any, out: Any, findings: Any, base: str) -> None:
            if item.origin_criterion.type > ctc:
                item = type(item).FromString(item.SerializeToString())
                item.origin_criterion.type = ctc
            original(path, item, out, findings, base)

        return check

    replace_function("core.validation", "_origin_criterion", make)


@_variant(
    "ctc-without-tariff-shift-accepted",
    fault="CHANGE_IN_TARIFF_CLASSIFICATION without tariff_shift is accepted",
    area="field rules",
    requirements=("REQ-CO-009",),
    profiles=_CORE,
)
def _ctc_without_shift() -> None:
    pb = module("core.validation").certificate_pb2
    ctc = pb.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION

    def make(original: Callable[..., None]) -> Callable[..., None]:
        def check(path: str, item: Any, out: Any, findings: Any, base: str) -> None:
            criterion = item.origin_criterion
            if criterion.type == ctc and not criterion.tariff_shift:
                item = type(item).FromString(item.SerializeToString())
                item.origin_criterion.tariff_shift = pb.TARIFF_SHIFT_HEADING
            original(path, item, out, findings, base)

        return check

    replace_function("core.validation", "_origin_criterion", make)


@_variant(
    "fast-path-ignores-unspecified-criterion",
    fault="the validation fast path takes an item whose origin criterion type is UNSPECIFIED "
    "(or absent) for wholly obtained, so such a CO is accepted",
    area="field rules",
    requirements=("REQ-CO-002", "REQ-CO-009"),
    profiles=_CORE,
)
def _fast_path_unspecified() -> None:
    pb = module("core.fast_rules").certificate_pb2

    def make(original: Callable[..., bool]) -> Callable[..., bool]:
        def items_fast(items: Any, **kwargs: Any) -> bool:
            copies = []
            for item in items:
                copy = item
                if not item.origin_criterion.type:
                    copy = type(item).FromString(item.SerializeToString())
                    copy.origin_criterion.type = pb.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
                copies.append(copy)
            return original(copies, **kwargs)

        return items_fast

    replace_function("core.fast_rules", "_items_fast", make)


@_variant(
    "leap-year-every-third-year",
    fault="the validation fast path also takes years divisible by 3 for leap years: "
    "29 February 2022 and 2025 are accepted",
    area="field rules",
    requirements=("REQ-CO-006",),
    profiles=_CORE,
)
def _leap_every_third_year() -> None:
    def make(original: Callable[[int], bool]) -> Callable[[int], bool]:
        return lambda year: original(year) or year % 3 == 0

    replace_function("core.fast_rules", "_leap", make)


@_variant(
    "february-29-always-valid",
    fault="the validation fast path takes every year for a leap year: 29 February of any "
    "year is accepted",
    area="field rules",
    requirements=("REQ-CO-006",),
    profiles=_CORE,
)
def _february_29_always() -> None:
    replace_function("core.fast_rules", "_leap", lambda _original: lambda year: True)


@_variant(
    "one-day-margin-is-two-days",
    fault="the one-day margin of the date rules is two days: issue_date may be today + 2 and "
    "the invoice, declaration and departure dates issue_date + 2",
    area="field rules",
    requirements=("REQ-CO-006",),
    profiles=_CORE,
)
def _one_day_is_two() -> None:
    replace_function("core.rule_helpers", "ONE_DAY", lambda original: 2 * original)


@_variant(
    "fast-invoice-bound-one-day-late",
    fault="the validation fast path lets an invoice date one day past issue_date + 1 pass "
    "unless issue_date + 1 is the last day of its month",
    area="field rules",
    requirements=("REQ-CO-006",),
    profiles=_CORE,
)
def _fast_invoice_bound_late() -> None:
    def make(original: Callable[..., bool]) -> Callable[..., bool]:
        def items_fast(items: Any, *, latest: int, **kwargs: Any) -> bool:
            return original(items, latest=latest + 1, **kwargs)

        return items_fast

    replace_function("core.fast_rules", "_items_fast", make)


@_variant(
    "largest-issue-date-overflows",
    fault="issue_date 9999-12-31 makes the node compute the day after it: an internal error "
    "instead of FIELD_INVALID",
    area="field rules",
    requirements=("REQ-CO-006", "REQ-ERR-003"),
    profiles=_CORE,
)
def _largest_date_overflows() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def header(co: Any, **kwargs: Any) -> Any:
            issue = co.issue_date
            if (issue.year, issue.month, issue.day) == (9999, 12, 31):
                _ = dt.date.max + dt.timedelta(days=1)  # OverflowError, as the fault does
            return original(co, **kwargs)

        return header

    replace_function("core.validation", "_co_header", make)


@_variant(
    "transit-countries-unchecked-fast",
    fault="the validation fast path does not look at transport.transit_countries, so an "
    "unassigned transit country is accepted",
    area="field rules",
    requirements=("REQ-CO-005",),
    profiles=_CORE,
)
def _transit_unchecked() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def top(co: Any, **kwargs: Any) -> Any:
            if co.transport.transit_countries:
                co = type(co).FromString(co.SerializeToString())
                del co.transport.transit_countries[:]
            return original(co, **kwargs)

        return top

    replace_function("core.fast_rules", "_co_top_fast", make)


@_variant(
    "test-country-xz-missing",
    fault="the test country codes stop at XY: XZ is refused as a country",
    area="field rules",
    requirements=("REQ-CO-005",),
    profiles=_CORE,
)
def _xz_missing() -> None:
    def make(original: Callable[[], Any]) -> Callable[[], Any]:
        base = original()
        lists = dataclasses.replace(base, countries=base.countries - {"XZ"})
        return lambda: lists

    replace_function("core.codelists", "default_codelists", make)
