"""Profile ``core``: value rules of section 4 tried value by value (docs/spec.md 4).

Each case family takes one rule of section 4 and tries every value the rule names,
not a sample:

- **currency minor units** (REQ-CO-010): every currency of the node's CURRENCY list
  against the suite's own ISO 4217 table (:mod:`conformance.iso4217`): an amount with
  exactly the currency's digits is accepted, one digit more is refused at that amount;
- **origin criteria** (REQ-CO-009, with REQ-CO-002 and REQ-CO-011): every
  ``OriginCriterionType`` with and without ``tariff_shift`` and ``rvc_percentage``;
- **calendar dates** (REQ-CO-006): impossible dates (29 February of non-leap years,
  30 days in April, the year range) in every date field, leap days accepted, the largest
  date, and the one-day margins of the future and order rules at fixed issue dates in
  several months, so the outcome does not depend on the day the suite runs;
- **country codes** (REQ-CO-005): an unassigned code in every country field the field
  rules judge, and the test codes ``XA`` and ``XZ`` (and the first and last assigned
  codes) where a country may be any.

A refusal must name exactly the broken fields: every BadRequest path must belong to a
field the case broke, and every broken field must be named (a path matches a field when
one is a prefix of the other, so ``goods_items[3].fob_value.amount.value`` matches
``goods_items[3].fob_value.amount``). No refused document carries more than
:data:`MAX_VIOLATIONS` violations.

Cases are sent from XC, whose issuer directory the node does not hold, so that
REQ-AUTH-003 (step 7 of section 5.4) does not answer before the field rules (step 8)
and an issue date years in the past is judged by the date rules alone.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from conformance import iso4217
from conformance.client import Outcome, Refusal, Target
from conformance.judge import assert_accepted, assert_not_readable, assert_refused
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate, submit_certificate
from conformance.strategies import CodeLists, unique_number
from wco.eco.v1 import certificate_pb2, exchange_service_pb2, node_service_pb2

pytestmark = [pytest.mark.profile("core")]

XC = "XC"
CO = certificate_pb2.CertificateOfOrigin
Mutation = Callable[[CO], None]

#: Most violations one refused document of these cases carries.
MAX_VIOLATIONS = 15


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _base(target: Target, pki: SuitePki, code_lists: CodeLists) -> CO:
    return minimal_certificate(context_for(pki, target, XC, code_lists))


def _submit(
    target: Target, pki: SuitePki, co: CO
) -> tuple[Any, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
    return submit_certificate(target, co, pki.country(XC).authority, caller=XC)


def _matches(named: str, field: str) -> bool:
    """Whether a BadRequest path names ``field`` (one is a prefix of the other)."""
    return (
        named == field
        or named.startswith((field + ".", field + "["))
        or field.startswith((named + ".", named + "["))
    )


def _assert_exact_fields(refusal: Refusal, fields: Sequence[str], rule: str) -> None:
    """Every BadRequest path belongs to a broken field and every broken field is named."""
    named = sorted(refusal.fields)
    stray = [n for n in named if not any(_matches(n, f) for f in fields)]
    unnamed = [f for f in fields if not any(_matches(n, f) for n in named)]
    assert not stray, (
        f"{rule}: BadRequest names {named}, of which {stray} were not broken "
        f"(broken: {sorted(fields)})"
    )
    assert not unnamed, (
        f"{rule}: BadRequest names {named}, but not the broken {unnamed} (broken: {sorted(fields)})"
    )


def _refused_exactly(
    target: Target,
    submission: Any,
    outcome: Outcome[Any],
    *,
    reason: str,
    fields: Sequence[str],
    rule: str,
) -> None:
    assert len(fields) <= MAX_VIOLATIONS, f"{rule}: the case breaks {len(fields)} fields"
    refusal = assert_refused(
        outcome, code="INVALID_ARGUMENT", reason=reason, rule=rule, fields=fields
    )
    _assert_exact_fields(refusal, fields, rule)
    assert_not_readable(target, caller=XC, request_id=submission.request_id)


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _judged(values: Sequence[Any], accepted: Callable[[Any], bool]) -> list[Any]:
    """Parameters marked with the obligation each meets: ``accept`` or ``refuse``."""
    return [
        pytest.param(v, marks=pytest.mark.obligation("accept" if accepted(v) else "refuse"))
        for v in values
    ]


# ---------------------------------------------------------------------------
# currency minor units (REQ-CO-010)

#: A CURRENCY entry's description that states its digits, as the reference node writes it.
_PUBLISHED_DIGITS = re.compile(r"\s*minor units:\s*(-?\d+)\s*", re.IGNORECASE)


def _currency_list(target: Target) -> dict[str, int | None]:
    """The node's CURRENCY list: code -> the digits its description states, if it does."""
    outcome = target.call(
        target.node(XC).GetCodeLists,
        node_service_pb2.GetCodeListsRequest(),
        caller=XC,
        rpc="NodeService/GetCodeLists",
    )
    assert outcome.response is not None, f"REQ-NODE-002: GetCodeLists {outcome.summary()}"
    lists = {cl.name: cl for cl in outcome.response.code_lists}
    assert "CURRENCY" in lists, "REQ-NODE-002: the node publishes no CURRENCY code list"
    listed: dict[str, int | None] = {}
    for entry in lists["CURRENCY"].entries:
        stated = _PUBLISHED_DIGITS.fullmatch(entry.description)
        listed[entry.code] = int(stated.group(1)) if stated else None
    return listed


def _amount(digits: int, *, extra: int = 0) -> str:
    """An amount with ``digits + extra`` decimals, the last one non-zero ("1.5" for 0 + 1)."""
    places = digits + extra
    return "1.5" if digits == 0 and extra else ("12." + "3" * places if places else "12")


def _fob_items(co: CO, amounts: Sequence[tuple[str, str]]) -> None:
    """Replace the goods items by one item per (currency, amount), numbered 1..n."""
    template = certificate_pb2.GoodsItem()
    template.CopyFrom(co.goods_items[0])
    del co.goods_items[:]
    for number, (currency, amount) in enumerate(amounts, 1):
        item = co.goods_items.add()
        item.CopyFrom(template)
        item.item_number = number
        item.fob_value.currency_code = currency
        item.fob_value.amount.value = amount


@pytest.fixture(scope="module")
def listed_currencies(target: Target) -> dict[str, int | None]:
    """The node's CURRENCY list: code -> the digits its description states, if it does."""
    return _currency_list(target)


@pytest.fixture(scope="module")
def currencies(listed_currencies: dict[str, int | None]) -> dict[str, int]:
    """The node's currencies that ISO 4217 gives minor units, with the ISO digits."""
    known = {c: iso4217.MINOR_UNITS.get(c) for c in sorted(listed_currencies)}
    return {code: digits for code, digits in known.items() if digits is not None}


@pytest.mark.requirement("REQ-CO-010", "REQ-NODE-002")
def test_listed_currencies_are_iso4217(listed_currencies: dict[str, int | None]) -> None:
    """Every code of the CURRENCY list is ISO 4217's, with ISO's digits where the list states any.

    The codes are judged against the suite's own table (List One, and codes withdrawn
    since 2018). Digits are read from an entry's description only when it reads exactly
    ``minor units: N``, the reference node's form; the spec gives the list no digit field.
    """
    unknown = sorted(code for code in listed_currencies if code not in iso4217.MINOR_UNITS)
    assert not unknown, (
        f"REQ-CO-010: the node's CURRENCY list holds codes that are not ISO 4217 alphabetic "
        f"codes (List One of {iso4217.PUBLISHED}, or withdrawn since 2018): {unknown}"
    )
    wrong = {
        code: (stated, iso4217.minor_units(code))
        for code, stated in sorted(listed_currencies.items())
        if stated is not None and stated != iso4217.minor_units(code)
    }
    assert not wrong, (
        "REQ-CO-010: the node's CURRENCY list states minor units other than ISO 4217's "
        f"(code: (stated, ISO)): {wrong}"
    )


@pytest.mark.obligation("boundary", "accept")
@pytest.mark.requirement("REQ-CO-010")
def test_every_currency_with_its_minor_units_accepted(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
    currencies: dict[str, int],
) -> None:
    """One goods item per listed currency, each amount with exactly its ISO 4217 digits."""
    limit = node_info.limits.max_goods_items or 999
    codes = sorted(currencies)
    for chunk in _chunks(codes, limit):
        co = _base(target, suite_pki, code_lists)
        _fob_items(co, [(c, _amount(currencies[c])) for c in chunk])
        submission, outcome = _submit(target, suite_pki, co)
        rule = f"REQ-CO-010 amounts with the ISO 4217 digits of {chunk[0]}..{chunk[-1]}"
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)


@pytest.mark.obligation("boundary", "refuse")
@pytest.mark.requirement("REQ-CO-010", "REQ-PUSH-002")
def test_every_currency_one_digit_more_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, currencies: dict[str, int]
) -> None:
    """One more decimal than ISO 4217 allows: FIELD_INVALID at exactly those amounts.

    The currencies go in groups of at most :data:`MAX_VIOLATIONS`. Each group's CO has
    one item per currency with one decimal too many, then one per currency with exactly
    its digits: the BadRequest must name every broken item and none of the others (a
    node whose rule is wrong for a currency only when it lists every violation, not in
    its check of a valid CO, shows it here).
    """
    for chunk in _chunks(sorted(currencies), MAX_VIOLATIONS):
        co = _base(target, suite_pki, code_lists)
        broken = [(c, _amount(currencies[c], extra=1)) for c in chunk]
        _fob_items(co, broken + [(c, _amount(currencies[c])) for c in chunk])
        submission, outcome = _submit(target, suite_pki, co)
        fields = [f"goods_items[{i}].fob_value.amount" for i in range(len(chunk))]
        rule = "REQ-CO-010 one decimal more than ISO 4217 for " + ", ".join(
            f"{c} ({currencies[c]})" for c in chunk
        )
        _refused_exactly(
            target, submission, outcome, reason="FIELD_INVALID", fields=fields, rule=rule
        )


# ---------------------------------------------------------------------------
# origin criteria (REQ-CO-009)

_OC = certificate_pb2
_CTC = _OC.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION
_RVC = _OC.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
_UNSPECIFIED = _OC.ORIGIN_CRITERION_TYPE_UNSPECIFIED
_CRITERION = "goods_items[0].origin_criterion"
_TYPE = f"{_CRITERION}.type"
_SHIFT = f"{_CRITERION}.tariff_shift"
_PERCENT = f"{_CRITERION}.rvc_percentage"
#: An undefined number in the enum fields (REQ-CO-011).
_UNDEFINED = 42


def _criterion(kind: int, *, shift: int = 0, rvc: str = "") -> Mutation:
    def mutate(co: CO) -> None:
        item = co.goods_items[0]
        item.origin_criterion.Clear()
        item.origin_criterion.type = kind  # type: ignore[assignment]
        item.origin_criterion.tariff_shift = shift  # type: ignore[assignment]
        item.origin_criterion.text = "origin criterion"
        if rvc:
            item.origin_criterion.rvc_percentage.value = rvc
            item.fob_value.currency_code = "USD"
            item.fob_value.amount.value = "100.00"

    return mutate


def _no_criterion(co: CO) -> None:
    co.goods_items[0].ClearField("origin_criterion")


def _criterion_cases() -> dict[str, tuple[Mutation, tuple[str, str] | None]]:
    """Case name -> (mutation, None if accepted else (reason, broken field))."""
    heading = _OC.TARIFF_SHIFT_HEADING
    cases: dict[str, tuple[Mutation, tuple[str, str] | None]] = {
        "no-origin-criterion": (_no_criterion, ("FIELD_MISSING", _TYPE)),
        "type-undefined": (_criterion(_UNDEFINED), ("FIELD_INVALID", _TYPE)),
    }
    for kind_name, kind in _OC.OriginCriterionType.items():
        name = kind_name.removeprefix("ORIGIN_CRITERION_TYPE_").lower().replace("_", "-")
        # what the type needs besides itself: CTC a tariff shift, RVC a percentage
        own_shift = heading if kind == _CTC else 0
        own_rvc = "40" if kind == _RVC else ""
        alone: tuple[str, str] | None = None
        with_shift: tuple[str, str] | None = ("FIELD_INVALID", _SHIFT)
        with_rvc: tuple[str, str] | None = ("FIELD_INVALID", _PERCENT)
        if kind == _UNSPECIFIED:  # REQ-CO-002: the type is mandatory, so FIELD_MISSING
            alone = with_shift = with_rvc = ("FIELD_MISSING", _TYPE)
        elif kind == _CTC:
            alone, with_shift = ("FIELD_INVALID", _SHIFT), None
        elif kind == _RVC:
            alone, with_rvc = ("FIELD_INVALID", _PERCENT), None
        cases[f"{name}-alone"] = (_criterion(kind), alone)
        cases[f"{name}-with-tariff-shift"] = (
            _criterion(kind, shift=heading, rvc=own_rvc),
            with_shift,
        )
        cases[f"{name}-with-rvc-percentage"] = (
            _criterion(kind, shift=own_shift, rvc="40"),
            with_rvc,
        )
    for shift_name in ("TARIFF_SHIFT_CHAPTER", "TARIFF_SHIFT_SUBHEADING"):
        name = shift_name.removeprefix("TARIFF_SHIFT_").lower()
        cases[f"change-in-tariff-classification-with-{name}"] = (
            _criterion(_CTC, shift=_OC.TariffShift.Value(shift_name)),
            None,
        )
    cases["change-in-tariff-classification-with-undefined-shift"] = (
        _criterion(_CTC, shift=_UNDEFINED),
        ("FIELD_INVALID", _SHIFT),
    )
    return cases


CRITERION_CASES = _criterion_cases()


@pytest.mark.requirement("REQ-CO-009", "REQ-CO-002", "REQ-CO-011", "REQ-PUSH-002")
@pytest.mark.parametrize(
    "name", _judged(sorted(CRITERION_CASES), lambda n: CRITERION_CASES[n][1] is None)
)
def test_origin_criterion_every_type(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """Every criterion type alone, with a tariff shift and with an RVC percentage.

    REQ-CO-009: CHANGE_IN_TARIFF_CLASSIFICATION needs a ``tariff_shift``,
    REGIONAL_VALUE_CONTENT an ``rvc_percentage``, and every other type carries neither
    (FIELD_INVALID at the field that must or must not be there); UNSPECIFIED, like an
    item without criterion, lacks the mandatory type (REQ-CO-002, FIELD_MISSING); an
    undefined number is FIELD_INVALID (REQ-CO-011).
    """
    mutate, expected = CRITERION_CASES[name]
    co = _base(target, suite_pki, code_lists)
    mutate(co)
    submission, outcome = _submit(target, suite_pki, co)
    rule = f"REQ-CO-009 {name}"
    if expected is None:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
        return
    reason, field = expected
    _refused_exactly(target, submission, outcome, reason=reason, fields=[field], rule=rule)


# ---------------------------------------------------------------------------
# calendar dates (REQ-CO-006)

_ISSUE = "issue_date"
_INVOICE = "goods_items[0].invoice_date"
_DECLARATION = "exporter_declaration.date"
_DEPARTURE = "transport.departure_date"
_CERTIFICATION = "certification.date"
#: The dates REQ-CO-006 bounds by the issue date (not later than issue_date plus one day).
ORDERED_DATES = (_INVOICE, _DECLARATION, _DEPARTURE)
#: Every date field of a CO.
DATE_FIELDS = (_ISSUE, *ORDERED_DATES, _CERTIFICATION)
_DAY = dt.timedelta(days=1)


def _date_of(co: CO, field: str) -> Any:
    """The ``google.type.Date`` of ``field``, with what the field's message needs besides."""
    if field == _ISSUE:
        return co.issue_date
    if field == _INVOICE:
        co.goods_items[0].invoice_number = "INV-1"
        return co.goods_items[0].invoice_date
    if field == _DECLARATION:
        co.exporter_declaration.place = "Port Town"
        return co.exporter_declaration.date
    if field == _DEPARTURE:
        return co.transport.departure_date
    co.certification.place = "Capital City"
    return co.certification.date


def _set_date(co: CO, field: str, year: int, month: int, day: int) -> None:
    date = _date_of(co, field)
    date.year, date.month, date.day = year, month, day


def _set_day(co: CO, field: str, day: dt.date) -> None:
    _set_date(co, field, day.year, day.month, day.day)


#: Dates that are no calendar date, or out of the years 1900..9999: (year, month, day).
IMPOSSIBLE_DATES: dict[str, tuple[int, int, int]] = {
    "2021-02-29": (2021, 2, 29),
    "2022-02-29": (2022, 2, 29),
    "2023-02-29": (2023, 2, 29),
    "2025-02-29": (2025, 2, 29),
    "1900-02-29": (1900, 2, 29),  # divisible by 100, not by 400
    "2100-02-29": (2100, 2, 29),
    "2023-04-31": (2023, 4, 31),
    "1899-12-31": (1899, 12, 31),
    "10000-01-01": (10000, 1, 1),
}


@pytest.mark.obligation("refuse", "boundary")
@pytest.mark.requirement("REQ-CO-006", "REQ-PUSH-002")
@pytest.mark.parametrize("date", sorted(IMPOSSIBLE_DATES))
@pytest.mark.parametrize("field", DATE_FIELDS)
def test_impossible_date_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, field: str, date: str
) -> None:
    """A date that is not a calendar date of 1900..9999 is FIELD_INVALID at its field."""
    co = _base(target, suite_pki, code_lists)
    _set_date(co, field, *IMPOSSIBLE_DATES[date])
    submission, outcome = _submit(target, suite_pki, co)
    _refused_exactly(
        target,
        submission,
        outcome,
        reason="FIELD_INVALID",
        fields=[field],
        rule=f"REQ-CO-006 {field} = {date}",
    )


@pytest.mark.obligation("accept", "boundary")
@pytest.mark.requirement("REQ-CO-006")
@pytest.mark.parametrize("date", ["2024-02-29", "2000-02-29", "1900-01-01"])
def test_leap_day_and_first_year_accepted(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, date: str
) -> None:
    """29 February of leap years (2000: divisible by 400) and 1900-01-01 in every date field."""
    day = dt.date.fromisoformat(date)
    co = _base(target, suite_pki, code_lists)
    for field in DATE_FIELDS:
        _set_day(co, field, day)
    submission, outcome = _submit(target, suite_pki, co)
    assert_accepted(target, submission, outcome, now=_now(), rule=f"REQ-CO-006 every date {date}")


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-CO-006", "REQ-ERR-003", "REQ-PUSH-002")
@pytest.mark.parametrize("field", _judged(DATE_FIELDS, lambda f: f == _CERTIFICATION))
def test_largest_date(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, field: str
) -> None:
    """9999-12-31 is a valid date: later than allowed in the bounded fields, never INTERNAL.

    As ``issue_date`` it is in the future, as one of the dates bounded by the issue date
    it is after it: FIELD_INVALID (REQ-ERR-003: never INTERNAL). ``certification.date``
    has no bound, so there it is accepted.
    """
    co = _base(target, suite_pki, code_lists)
    _set_day(co, field, dt.date.max)
    submission, outcome = _submit(target, suite_pki, co)
    rule = f"REQ-CO-006 {field} = 9999-12-31"
    if field == _CERTIFICATION:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
        return
    _refused_exactly(target, submission, outcome, reason="FIELD_INVALID", fields=[field], rule=rule)


def _utc_today(now: dt.datetime) -> dt.date:
    """The receiver's UTC date (REQ-CO-006), after waiting out a UTC midnight seconds away."""
    midnight = (now + _DAY).replace(hour=0, minute=0, second=0, microsecond=0)
    if (midnight - now).total_seconds() < 20:
        time.sleep((midnight - now).total_seconds() + 1)
        return _now().date()
    return now.date()


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-CO-006", "REQ-PUSH-002")
@pytest.mark.parametrize(
    "days",
    [
        pytest.param(1, id="today-plus-1", marks=pytest.mark.obligation("accept")),
        pytest.param(2, id="today-plus-2", marks=pytest.mark.obligation("refuse")),
    ],
)
def test_issue_date_margin(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    suite_now: dt.datetime,
    days: int,
) -> None:
    """issue_date the receiver's UTC date plus one day is accepted, plus two FIELD_INVALID."""
    co = _base(target, suite_pki, code_lists)
    _set_day(co, _ISSUE, _utc_today(suite_now) + days * _DAY)
    submission, outcome = _submit(target, suite_pki, co)
    rule = f"REQ-CO-006 issue_date = UTC today + {days}"
    if days == 1:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
        return
    _refused_exactly(
        target, submission, outcome, reason="FIELD_INVALID", fields=[_ISSUE], rule=rule
    )


#: Fixed past issue dates, in several months, at month and year ends and in a leap year.
ISSUE_DATES = (
    "2023-02-28",
    "2024-02-28",
    "2023-03-14",
    "2024-06-30",
    "2023-07-20",
    "2024-10-31",
    "2023-11-09",
    "2024-12-31",
)


def _order_cases() -> dict[str, tuple[str, str | None]]:
    """Case name -> (issue date, the one field set to issue + 2, or None: all at issue + 1)."""
    cases: dict[str, tuple[str, str | None]] = {}
    for issue in ISSUE_DATES:
        cases[f"issue-{issue}-all-plus-1"] = (issue, None)
        for field in ORDERED_DATES:
            cases[f"issue-{issue}-{field}-plus-2"] = (issue, field)
    return cases


ORDER_CASES = _order_cases()


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-CO-006", "REQ-PUSH-002")
@pytest.mark.parametrize("name", _judged(sorted(ORDER_CASES), lambda n: ORDER_CASES[n][1] is None))
def test_date_after_issue_margin(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """Invoice, declaration and departure dates: issue + 1 day accepted, + 2 FIELD_INVALID.

    The issue dates are fixed days in the past, so the day after them falls in the next
    month or year where the issue date is the last of its month.
    """
    issue_text, late = ORDER_CASES[name]
    issue = dt.date.fromisoformat(issue_text)
    co = _base(target, suite_pki, code_lists)
    _set_day(co, _ISSUE, issue)
    for field in ORDERED_DATES:
        _set_day(co, field, issue + (2 if field == late else 1) * _DAY)
    submission, outcome = _submit(target, suite_pki, co)
    rule = f"REQ-CO-006 {name}"
    if late is None:
        assert_accepted(target, submission, outcome, now=_now(), rule=rule)
        return
    _refused_exactly(target, submission, outcome, reason="FIELD_INVALID", fields=[late], rule=rule)


# ---------------------------------------------------------------------------
# country codes (REQ-CO-005)

#: Every country field the field rules judge, in a CO with two of each repeated field.
#: ``exporting_country`` and ``importing_country`` are not here: they must equal the
#: signer's and the node's country (REQ-AUTH-001, REQ-AUTH-004), checked at step 7 of
#: section 5.4, so a code in them never reaches the field rules of step 8.
COUNTRY_FIELDS = (
    "issuing_authority.address.country",
    "exporter.address.country",
    "exporter.identifiers[0].issuing_country",
    "exporter.identifiers[1].issuing_country",
    "producers[0].address.country",
    "producers[1].address.country",
    "producers[1].identifiers[0].issuing_country",
    "consignee.address.country",
    "consignee.identifiers[0].issuing_country",
    "importer.address.country",
    "importer.identifiers[0].issuing_country",
    "third_party_operator.address.country",
    "third_party_operator.identifiers[0].issuing_country",
    "goods_items[0].origin_country",
    "goods_items[1].origin_country",
    "transport.transit_countries[0]",
    "transport.transit_countries[1]",
    "transport.transit_countries[2]",
    "original_certificate.exporting_country",
)
_UNASSIGNED = "JX"


def _identifiers(countries: Sequence[str]) -> list[certificate_pb2.PartyIdentifier]:
    return [
        certificate_pb2.PartyIdentifier(scheme="TIN", value=f"ID-{i}", issuing_country=country)
        for i, country in enumerate(countries)
    ]


def _party(name: str, country: str, identifiers: Sequence[str]) -> certificate_pb2.Party:
    return certificate_pb2.Party(
        name=name,
        address=certificate_pb2.Address(lines=["1 Main Road"], city="City", country=country),
        identifiers=_identifiers(identifiers),
    )


def _with_countries(co: CO, country: Callable[[str], str]) -> None:
    """Fill every field of :data:`COUNTRY_FIELDS` with ``country(path)``."""
    c = country
    co.issuing_authority.address.country = c("issuing_authority.address.country")
    co.exporter.address.country = c("exporter.address.country")
    co.exporter.identifiers.extend(
        _identifiers([c(f"exporter.identifiers[{i}].issuing_country") for i in range(2)])
    )
    co.producers.extend(
        [
            _party("Producer One", c("producers[0].address.country"), []),
            _party(
                "Producer Two",
                c("producers[1].address.country"),
                [c("producers[1].identifiers[0].issuing_country")],
            ),
        ]
    )
    co.consignee.address.country = c("consignee.address.country")
    co.consignee.identifiers.extend(_identifiers([c("consignee.identifiers[0].issuing_country")]))
    co.importer.CopyFrom(
        _party(
            "Importer Ltd.",
            c("importer.address.country"),
            [c("importer.identifiers[0].issuing_country")],
        )
    )
    co.third_party_operator.CopyFrom(
        _party(
            "Invoicing Agent Pte.",
            c("third_party_operator.address.country"),
            [c("third_party_operator.identifiers[0].issuing_country")],
        )
    )
    co.flags.third_party_invoicing = True
    second = co.goods_items.add()
    second.CopyFrom(co.goods_items[0])
    second.item_number = 2
    for i, item in enumerate(co.goods_items):
        item.origin_country = c(f"goods_items[{i}].origin_country")
    co.transport.transit_countries.extend(c(f"transport.transit_countries[{i}]") for i in range(3))
    co.flags.back_to_back = True
    co.original_certificate.exporting_country = c("original_certificate.exporting_country")
    co.original_certificate.issuing_authority_id = "origin-customs"
    co.original_certificate.certificate_number = unique_number("ORIG")


def _valid_country(target: Target) -> Callable[[str], str]:
    """Assigned codes a CO from XC would plausibly carry in each country field."""
    defaults = {"consignee": target.node_country, "importer": target.node_country}
    others = ("TH", "VN", "SG", "KR")

    def country(path: str) -> str:
        head = path.split(".", maxsplit=1)[0]
        if head in defaults:
            return defaults[head]
        if path.startswith(("transport", "third_party", "producers[1]")):
            return others[len(path) % len(others)]
        return XC

    return country


@pytest.mark.obligation("refuse")
@pytest.mark.requirement("REQ-CO-005", "REQ-PUSH-002")
@pytest.mark.parametrize("field", COUNTRY_FIELDS)
def test_unassigned_country_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, field: str
) -> None:
    """An unassigned code (JX) in one country field is FIELD_INVALID at exactly that field."""
    valid = _valid_country(target)
    co = _base(target, suite_pki, code_lists)
    _with_countries(co, lambda path: _UNASSIGNED if path == field else valid(path))
    submission, outcome = _submit(target, suite_pki, co)
    _refused_exactly(
        target,
        submission,
        outcome,
        reason="FIELD_INVALID",
        fields=[field],
        rule=f"REQ-CO-005 {field} = {_UNASSIGNED}",
    )


@pytest.mark.obligation("refuse", "boundary")
@pytest.mark.requirement("REQ-CO-005", "REQ-PUSH-002")
@pytest.mark.parametrize("code", ["AA", "QM", "QZ", "ZZ"])
def test_user_assigned_code_outside_test_range_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, code: str
) -> None:
    """User-assigned codes other than XA..XZ (AA, QM..QZ, ZZ) are not test codes: FIELD_INVALID."""
    field = "consignee.address.country"
    valid = _valid_country(target)
    co = _base(target, suite_pki, code_lists)
    _with_countries(co, lambda path: code if path == field else valid(path))
    submission, outcome = _submit(target, suite_pki, co)
    _refused_exactly(
        target,
        submission,
        outcome,
        reason="FIELD_INVALID",
        fields=[field],
        rule=f"REQ-CO-005 {field} = {code}",
    )


#: Pairs of codes at both ends of a range, put in the country fields alternately.
EDGE_CODES = {
    "test-codes-XA-XZ": ("XA", "XZ"),
    "test-codes-XZ-XA": ("XZ", "XA"),
    "assigned-codes-AD-ZW": ("AD", "ZW"),
    "assigned-codes-ZW-AD": ("ZW", "AD"),
}


@pytest.mark.obligation("accept", "boundary")
@pytest.mark.requirement("REQ-CO-005")
@pytest.mark.parametrize("name", sorted(EDGE_CODES))
def test_edge_country_codes_accepted(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """The first and last test codes (XA, XZ) and assigned codes (AD, ZW) in every field.

    Each pair is put in the fields alternately, and the pair reversed in the next case,
    so every field carries each of the two codes once.
    """
    first, last = EDGE_CODES[name]
    co = _base(target, suite_pki, code_lists)
    _with_countries(co, lambda path: (first, last)[COUNTRY_FIELDS.index(path) % 2])
    submission, outcome = _submit(target, suite_pki, co)
    assert_accepted(target, submission, outcome, now=_now(), rule=f"REQ-CO-005 {name}")


# ---------------------------------------------------------------------------
# mandatory fields (REQ-CO-002)

#: The mandatory fields of REQ-CO-002 that step 8 judges, one path each. The exporting and
#: importing countries and the authority id are read by step 7 first (REQ-CHK-002), and are
#: cases of ``test_check_order.py``.
TOP_MANDATORY = (
    "certificate_number",
    "agreement_id",
    "form_type",
    "issuing_authority.name",
    "issue_date",
    "exporter.name",
    "exporter.address.country",
    "consignee.name",
    "consignee.address.country",
    "goods_items",
)
#: The mandatory fields of every goods item (REQ-CO-002), relative to the item.
ITEM_MANDATORY = (
    "item_number",
    "description",
    "hs_code",
    "hs_edition",
    "origin_criterion.type",
    "quantity.value",
    "quantity.unit_code",
)
#: Goods items in the CO of the per-item cases: the field goes missing in the first or last.
_ITEMS = 3


def _clear_path(message: Any, path: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        message = getattr(message, part)
    message.ClearField(last)


def _with_items(co: CO, count: int) -> None:
    """Give ``co`` ``count`` goods items, copies of its first, numbered 1..count."""
    first = co.goods_items[0]
    for number in range(2, count + 1):
        item = co.goods_items.add()
        item.CopyFrom(first)
        item.item_number = number


def _mandatory_cases() -> dict[str, tuple[int | None, str]]:
    """Case name -> (goods item index or None for the CO itself, field path)."""
    cases: dict[str, tuple[int | None, str]] = {path: (None, path) for path in TOP_MANDATORY}
    for index in (0, _ITEMS - 1):
        for path in ITEM_MANDATORY:
            cases[f"goods_items[{index}].{path}"] = (index, path)
    return cases


MANDATORY_CASES = _mandatory_cases()


@pytest.mark.obligation("refuse")
@pytest.mark.requirement("REQ-CO-002", "REQ-ERR-001", "REQ-PUSH-002")
@pytest.mark.parametrize("name", sorted(MANDATORY_CASES))
def test_mandatory_field_missing_alone(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """Each mandatory field of REQ-CO-002 missing alone: FIELD_MISSING naming that field.

    Goods item fields go missing in the first and in the last of three items, so that a
    node that checks only the first item, or only the fast path's view of it, is seen. The
    refusal names the missing field and nothing else ("listing the missing fields only").
    """
    index, path = MANDATORY_CASES[name]
    co = _base(target, suite_pki, code_lists)
    if index is None:
        _clear_path(co, path)
    else:
        _with_items(co, _ITEMS)
        _clear_path(co.goods_items[index], path)
    submission, outcome = _submit(target, suite_pki, co)
    _refused_exactly(
        target,
        submission,
        outcome,
        reason="FIELD_MISSING",
        fields=[name],
        rule=f"REQ-CO-002 {name} missing",
    )
