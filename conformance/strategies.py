"""Hypothesis strategies over the e-CO payload model (docs/spec.md section 4).

:func:`valid_certificates` draws certificates of origin that satisfy every rule
of section 4 (REQ-CO-001..014) for a given sender, recipient and authority,
over every agreement and form type, with optional fields present and absent,
boundary values and Unicode text. :func:`invalid_certificates` draws
certificates that break exactly one rule, paired with the code, reason and
requirement ids the spec prescribes.

Code lists default to the v1 lists of the spec and a small safe subset of the
open lists (units, currencies, countries); :meth:`CodeLists.from_node`
intersects them with what the node under test publishes (REQ-NODE-002).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from google.protobuf import timestamp_pb2
from google.type import date_pb2, decimal_pb2  # type: ignore[import-untyped]
from hypothesis import strategies as st

from wco.eco.v1 import certificate_pb2, lifecycle_pb2, node_service_pb2

__all__ = [
    "AGREEMENT_FORMS",
    "EDGE_NANOS",
    "MANDATORY_FIELDS",
    "CoContext",
    "CodeLists",
    "InvalidCase",
    "date_msg",
    "decimal_values",
    "edge_time",
    "invalid_certificates",
    "invalid_rule_names",
    "safe_text",
    "unique_number",
    "valid_certificates",
]

#: v1 agreement -> form type (REQ-CO-003).
AGREEMENT_FORMS: Final[Mapping[str, str]] = {
    "AKFTA": "AK",
    "ATIGA": "D",
    "ACFTA": "E",
    "RCEP": "RCEP",
    "KCFTA": "KC",
}
HS_EDITIONS: Final = ("HS2012", "HS2017", "HS2022")
#: Units from UN/ECE Recommendation 20 that any v1 node lists.
SAFE_UNITS: Final = ("KGM", "NAR", "LTR", "MTR", "MTK", "TNE", "GRM", "MTQ")
#: ISO 4217 codes with their minor-unit digits.
SAFE_CURRENCIES: Final[Mapping[str, int]] = {
    "USD": 2,
    "EUR": 2,
    "CNY": 2,
    "KRW": 0,
    "JPY": 0,
    "VND": 0,
    "THB": 2,
    "KWD": 3,
}
#: Assigned ISO 3166-1 alpha-2 codes used for parties (a safe subset).
ASSIGNED_COUNTRIES: Final = ("KR", "CN", "ID", "VN", "TH", "PH", "SG", "MY", "JP", "AU", "DE")
TEST_COUNTRIES: Final = tuple(f"X{c}" for c in string.ascii_uppercase)
PACKAGE_KINDS: Final = ("CT", "BX", "PK", "BG")
LOCODES: Final = ("KRPUS", "CNSHA", "THBKK", "VNSGN", "IDJKT", "SGSIN")

#: REQ-CO-002 mandatory fields (per goods item paths use goods_items[0]).
MANDATORY_FIELDS: Final = (
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
    "goods_items[0].description",
    "goods_items[0].hs_code",
    "goods_items[0].hs_edition",
    "goods_items[0].origin_criterion.type",
    "goods_items[0].quantity.value",
    "goods_items[0].quantity.unit_code",
)

_RUN_TOKEN: Final = os.urandom(4).hex().upper()
_COUNTER = itertools.count(1)


def unique_number(tail: str = "") -> str:
    """Return a certificate number unique for this process and run (REQ-CO-004 format).

    Uniqueness matters because the node refuses a reused number (REQ-IDEM-004)
    and keeps its state between runs.
    """
    head = f"C{_RUN_TOKEN}{next(_COUNTER):06d}"
    return (head + ("-" + tail if tail else ""))[:35]


@dataclass(frozen=True, kw_only=True)
class CodeLists:
    """The code lists valid values are drawn from."""

    agreements: Mapping[str, str] = field(default_factory=lambda: dict(AGREEMENT_FORMS))
    units: tuple[str, ...] = SAFE_UNITS
    currencies: Mapping[str, int] = field(default_factory=lambda: dict(SAFE_CURRENCIES))
    hs_editions: tuple[str, ...] = HS_EDITIONS
    package_kinds: tuple[str, ...] = PACKAGE_KINDS

    def from_node(self, response: node_service_pb2.GetCodeListsResponse) -> CodeLists:
        """Intersect with the lists the node publishes (REQ-NODE-002).

        A list the node does not publish leaves the default unchanged; an
        intersection that would be empty also keeps the default, so a node
        with a broken list fails the cases instead of silently narrowing them.
        """
        lists = {cl.name: cl for cl in response.code_lists}

        def codes(name: str) -> set[str]:
            return {e.code for e in lists[name].entries} if name in lists else set()

        out = self
        units = tuple(u for u in self.units if u in codes("UNIT"))
        if units:
            out = replace(out, units=units)
        currencies = {c: d for c, d in self.currencies.items() if c in codes("CURRENCY")}
        if currencies:
            out = replace(out, currencies=currencies)
        editions = tuple(e for e in self.hs_editions if e in codes("HS_EDITION"))
        if editions:
            out = replace(out, hs_editions=editions)
        kinds = tuple(k for k in self.package_kinds if k in codes("PACKAGE_KIND"))
        if "PACKAGE_KIND" in lists:
            out = replace(out, package_kinds=kinds)
        return out


@dataclass(frozen=True, kw_only=True)
class CoContext:
    """Who sends, who receives, who signs, and what day it is.

    Attributes:
        exporting_country: The suite country sending the CO.
        importing_country: The node's country.
        authority_id: The signing authority's id (must equal issuing_authority.id).
        today: The receiver's current UTC date (REQ-CO-006).
        code_lists: The code lists to draw from.
        max_items: Upper bound of goods items drawn.
    """

    exporting_country: str
    importing_country: str
    authority_id: str
    today: dt.date
    code_lists: CodeLists = field(default_factory=CodeLists)
    max_items: int = 3


def date_msg(day: dt.date) -> date_pb2.Date:
    """Return a google.type.Date."""
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


_SAFE_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs"), include_characters="\n\t"
)


def safe_text(*, min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text that satisfies REQ-CO-013 and starts with a visible character.

    Mixes Unicode from every script with plain ASCII.
    """
    first = st.sampled_from(string.ascii_letters) | st.characters(codec="utf-8", categories=["L"])
    rest = st.text(_SAFE_CHARS, min_size=max(0, min_size - 1), max_size=max(0, max_size - 1))
    return st.builds(lambda a, b: a + b, first, rest)


def decimal_values(
    *, min_exclusive_zero: bool = True, max_fraction: int = 9, max_int_digits: int = 9
) -> st.SearchStrategy[str]:
    """Decimal strings matching ``^-?[0-9]{1,18}(\\.[0-9]{1,9})?$`` (REQ-CO-010).

    Args:
        min_exclusive_zero: Draw values strictly greater than zero.
        max_fraction: Most digits after the point.
        max_int_digits: Most digits before the point.
    """

    def render(integer: int, fraction: str) -> str:
        return str(integer) + ("." + fraction if fraction else "")

    fractions = (
        st.text("0123456789", min_size=0, max_size=max_fraction) if max_fraction else (st.just(""))
    )
    values = st.builds(render, st.integers(0, 10**max_int_digits - 1), fractions)
    if min_exclusive_zero:
        values = values.filter(lambda v: any(ch not in "0." for ch in v))
    boundary = ["1", "999999999"] + (["0.000000001"] if max_fraction >= 9 else [])
    return st.sampled_from(boundary) | values


def _dec(value: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=value)


def _countries() -> st.SearchStrategy[str]:
    return st.sampled_from((*ASSIGNED_COUNTRIES, "XA", "XC", "XD", "XZ"))


@st.composite
def _address(
    draw: st.DrawFn, country: st.SearchStrategy[str] | None = None
) -> certificate_pb2.Address:
    addr = certificate_pb2.Address(country=draw(country if country is not None else _countries()))
    addr.lines.extend(draw(st.lists(safe_text(max_size=60), max_size=3)))
    if draw(st.booleans()):
        addr.city = draw(safe_text(max_size=30))
    if draw(st.booleans()):
        addr.postal_code = draw(st.text("0123456789-ABCDEF", min_size=3, max_size=10))
    if draw(st.booleans()):
        addr.region = draw(safe_text(max_size=30))
    return addr


@st.composite
def _party(draw: st.DrawFn, *, country: str | None = None) -> certificate_pb2.Party:
    party = certificate_pb2.Party(
        name=draw(safe_text(max_size=80)),
        address=draw(_address(st.just(country) if country else None)),
    )
    for _ in range(draw(st.integers(0, 2))):
        party.identifiers.append(
            certificate_pb2.PartyIdentifier(
                scheme=draw(st.sampled_from(("TIN", "BRN", "CUSTOMS"))),
                value=draw(
                    st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=20)
                ),
                issuing_country=draw(_countries()),
            )
        )
    if draw(st.booleans()):
        party.email = "trade@example.org"
    if draw(st.booleans()):
        party.phone = "+82 2 1234 5678"
    return party


def _date_before(day: dt.date, *, max_days: int = 90) -> st.SearchStrategy[dt.date]:
    return st.integers(0, max_days).map(lambda d: day - dt.timedelta(days=d))


@st.composite
def _origin_criterion(draw: st.DrawFn) -> certificate_pb2.OriginCriterion:
    kind = draw(
        st.sampled_from(
            [
                v
                for v in certificate_pb2.OriginCriterionType.values()
                if v != certificate_pb2.ORIGIN_CRITERION_TYPE_UNSPECIFIED
            ]
        )
    )
    oc = certificate_pb2.OriginCriterion(type=certificate_pb2.OriginCriterionType.Name(kind))
    if kind == certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT:
        pct = draw(
            st.sampled_from(["100", "0.000000001", "40", "35.5"])
            | st.builds(lambda i, f: f"{i}.{f}", st.integers(1, 99), st.integers(0, 99))
        )
        oc.rvc_percentage.CopyFrom(_dec(pct))
        oc.text = f"RVC {pct}%"
    elif kind == certificate_pb2.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION:
        oc.tariff_shift = draw(
            st.sampled_from(
                [
                    certificate_pb2.TARIFF_SHIFT_CHAPTER,
                    certificate_pb2.TARIFF_SHIFT_HEADING,
                    certificate_pb2.TARIFF_SHIFT_SUBHEADING,
                ]
            )
        )
    elif draw(st.booleans()):
        oc.text = draw(st.sampled_from(("WO", "PE", "PSR", "DMI", "ACU")))
    return oc


def _hs_codes() -> st.SearchStrategy[str]:
    chapters = st.integers(1, 97).filter(lambda c: c != 77).map(lambda c: f"{c:02d}")
    tail = st.sampled_from((4, 6, 8)).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n)
    )
    return st.builds(lambda c, t: c + t, chapters, tail)


@st.composite
def _goods_item(
    draw: st.DrawFn, *, number: int, issue: dt.date, ctx: CoContext
) -> certificate_pb2.GoodsItem:
    lists = ctx.code_lists
    item = certificate_pb2.GoodsItem(
        item_number=number,
        description=draw(safe_text(max_size=120)),
        hs_code=draw(_hs_codes()),
        hs_edition=draw(st.sampled_from(lists.hs_editions)),
        origin_criterion=draw(_origin_criterion()),
        quantity=certificate_pb2.Quantity(
            value=_dec(draw(decimal_values(max_fraction=3))),
            unit_code=draw(st.sampled_from(lists.units)),
        ),
    )
    if draw(st.booleans()):
        item.marks_and_numbers = draw(safe_text(max_size=40))
    if draw(st.booleans()) and lists.package_kinds:
        item.package_count = draw(st.integers(1, 100000))
        item.package_kind = draw(st.sampled_from(lists.package_kinds))
    if draw(st.booleans()):
        item.gross_weight.CopyFrom(
            certificate_pb2.Quantity(
                value=_dec(draw(decimal_values(max_fraction=3))),
                unit_code="KGM" if "KGM" in lists.units else lists.units[0],
            )
        )
    if draw(st.booleans()):
        currency = draw(st.sampled_from(sorted(lists.currencies)))
        digits = lists.currencies[currency]
        amount = draw(
            st.sampled_from(["0"])
            | decimal_values(min_exclusive_zero=False, max_fraction=digits, max_int_digits=12)
        )
        item.fob_value.CopyFrom(
            certificate_pb2.MonetaryAmount(currency_code=currency, amount=_dec(amount))
        )
    if draw(st.booleans()):
        item.invoice_number = draw(
            st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=20)
        )
        item.invoice_date.CopyFrom(date_msg(draw(_date_before(issue))))
    if draw(st.booleans()):
        item.origin_country = draw(st.sampled_from((ctx.exporting_country, *ASSIGNED_COUNTRIES)))
    return item


def _reference(
    draw: st.DrawFn, *, country: st.SearchStrategy[str]
) -> certificate_pb2.CertificateReference:
    return certificate_pb2.CertificateReference(
        exporting_country=draw(country),
        issuing_authority_id=draw(st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}\Z")),
        certificate_number=draw(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9/.-]{0,20}\Z")),
    )


@st.composite
def valid_certificates(draw: st.DrawFn, ctx: CoContext) -> certificate_pb2.CertificateOfOrigin:
    """Draw a certificate of origin satisfying every rule of section 4.

    The certificate number is unique per draw (:func:`unique_number`).
    """
    agreement = draw(st.sampled_from(sorted(ctx.code_lists.agreements)))
    issue = draw(
        st.sampled_from([ctx.today, ctx.today + dt.timedelta(days=1)])
        | _date_before(ctx.today, max_days=365)
    )
    co = certificate_pb2.CertificateOfOrigin(
        certificate_number=unique_number(
            draw(st.from_regex(r"\A[A-Za-z0-9/.-]{0,10}\Z").map(lambda s: s.lstrip("/.-")))
        ),
        agreement_id=agreement,
        form_type=ctx.code_lists.agreements[agreement],
        exporting_country=ctx.exporting_country,
        importing_country=ctx.importing_country,
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=ctx.authority_id, name=draw(safe_text(max_size=60))
        ),
        issue_date=date_msg(issue),
        exporter=draw(_party(country=ctx.exporting_country)),
        consignee=draw(_party(country=ctx.importing_country)),
    )
    if draw(st.booleans()):
        co.issuing_authority.address.CopyFrom(draw(_address()))
    if draw(st.booleans()):
        co.issue_place = draw(safe_text(max_size=40))
    co.producers.extend(draw(st.lists(_party(), max_size=2)))
    if draw(st.booleans()):
        co.importer.CopyFrom(draw(_party(country=ctx.importing_country)))
    n_items = draw(st.integers(1, ctx.max_items))
    for number in range(1, n_items + 1):
        co.goods_items.append(draw(_goods_item(number=number, issue=issue, ctx=ctx)))
    if draw(st.booleans()):
        transport = certificate_pb2.TransportDetails(
            mode=draw(st.sampled_from(certificate_pb2.TransportMode.keys())),
        )
        if draw(st.booleans()):
            transport.conveyance_name = draw(safe_text(max_size=30))
            transport.voyage_number = draw(st.text(string.digits + "ABCDEFGH", max_size=8))
        if draw(st.booleans()):
            transport.departure_date.CopyFrom(date_msg(draw(_date_before(issue))))
        if draw(st.booleans()):
            transport.port_of_loading = draw(st.sampled_from(LOCODES))
            transport.port_of_discharge = draw(st.sampled_from(LOCODES))
        transport.transit_countries.extend(draw(st.lists(_countries(), max_size=2)))
        if draw(st.booleans()):
            transport.route = draw(safe_text(max_size=60))
        co.transport.CopyFrom(transport)
    flags = certificate_pb2.CertificateFlags(
        accumulation=draw(st.booleans()),
        de_minimis=draw(st.booleans()),
        partial_cumulation=draw(st.booleans()),
        certified_true_copy=draw(st.booleans()),
        issued_retroactively=draw(st.booleans()),
    )
    if draw(st.booleans()):
        flags.third_party_invoicing = True
        co.third_party_operator.CopyFrom(draw(_party()))
    if draw(st.booleans()):
        flags.back_to_back = True
        co.original_certificate.CopyFrom(
            _reference(draw, country=st.sampled_from(ASSIGNED_COUNTRIES))
        )
    if draw(st.booleans()):
        flags.exhibition = True
        flags.exhibition_details = draw(safe_text(max_size=60))
    if draw(st.booleans()):
        co.flags.CopyFrom(flags)
    if draw(st.booleans()):
        co.remarks = draw(safe_text(max_size=200))
    if draw(st.booleans()):
        co.exporter_declaration.CopyFrom(
            certificate_pb2.ExporterDeclaration(
                place=draw(safe_text(max_size=30)),
                date=date_msg(draw(_date_before(issue))),
                signatory_name=draw(safe_text(max_size=40)),
                text="The undersigned hereby declares that the above details are correct.",
            )
        )
    if draw(st.booleans()):
        co.certification.CopyFrom(
            certificate_pb2.Certification(
                officer_name=draw(safe_text(max_size=40)),
                place=draw(safe_text(max_size=30)),
                date=date_msg(issue),
                text="It is hereby certified that the declaration by the exporter is correct.",
            )
        )
    if draw(st.booleans()):
        co.language_code = draw(st.sampled_from(("en", "ko", "th", "vi", "id", "zh")))
    return co


@dataclass(frozen=True, kw_only=True)
class InvalidCase:
    """A certificate that breaks exactly one rule, with the expected refusal.

    Attributes:
        rule: Short name of the rule broken.
        certificate: The certificate (signed correctly by the caller).
        code: Expected gRPC status code name, for example ``INVALID_ARGUMENT``.
        reason: Expected ErrorInfo reason.
        requirements: Requirement ids checked.
        field: A BadRequest field path the refusal must name ("" for none).
    """

    rule: str
    certificate: certificate_pb2.CertificateOfOrigin
    code: str
    reason: str
    requirements: tuple[str, ...]
    field: str = ""


Mutator = Callable[[st.DrawFn, certificate_pb2.CertificateOfOrigin, CoContext], str]


def _clear(co: certificate_pb2.CertificateOfOrigin, path: str) -> None:
    parts = path.split(".")
    msg: Any = co
    for part in parts[:-1]:
        msg = msg.goods_items[0] if part == "goods_items[0]" else getattr(msg, part)
    last = parts[-1]
    if last == "goods_items":
        del co.goods_items[:]
    else:
        msg.ClearField(last)


def _m_missing(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, ctx: CoContext) -> str:
    path = draw(st.sampled_from(MANDATORY_FIELDS))
    _clear(co, path)
    return path


def _m_unknown_agreement(
    draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext
) -> str:
    co.agreement_id = draw(st.sampled_from(("ZZFTA", "akfta", "NAFTA", "CPTPP")))
    return "agreement_id"


def _m_wrong_form(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, ctx: CoContext) -> str:
    others = sorted(f for a, f in AGREEMENT_FORMS.items() if a != co.agreement_id)
    co.form_type = draw(st.sampled_from([*others, "A", "ZZ"]))
    return "form_type"


def _m_bad_number(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    co.certificate_number = draw(
        st.sampled_from(("-ABC123", "AB C123", "ABC_123", "A" * 36, "ÄBC123", "/123", "AB#1"))
    )
    return "certificate_number"


def _m_bad_country(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    bad = draw(st.sampled_from(("ZZ", "AA", "QQ", "kr", "Kr", "KOR", "X1", "XX1", "EU")))
    where = draw(st.sampled_from(("exporter", "consignee", "origin", "transit")))
    if where == "exporter":
        co.exporter.address.country = bad
        return "exporter.address.country"
    if where == "consignee":
        co.consignee.address.country = bad
        return "consignee.address.country"
    if where == "origin":
        co.goods_items[0].origin_country = bad
        return "goods_items[0].origin_country"
    co.transport.transit_countries.append(bad)
    return f"transport.transit_countries[{len(co.transport.transit_countries) - 1}]"


def _m_bad_date(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, ctx: CoContext) -> str:
    kind = draw(st.sampled_from(("calendar", "year", "future_issue", "invoice_after_issue")))
    if kind == "calendar":
        co.issue_date.CopyFrom(
            date_pb2.Date(year=ctx.today.year - 1, month=draw(st.sampled_from((2, 13, 0))), day=30)
        )
        return "issue_date"
    if kind == "year":
        co.goods_items[0].invoice_date.CopyFrom(date_pb2.Date(year=1899, month=12, day=31))
        co.goods_items[0].invoice_number = "INV1"
        return "goods_items[0].invoice_date"
    if kind == "future_issue":
        co.issue_date.CopyFrom(date_msg(ctx.today + dt.timedelta(days=draw(st.integers(3, 400)))))
        # keep every dependent date consistent with the new issue date
        return "issue_date"
    issue = dt.date(co.issue_date.year, co.issue_date.month, co.issue_date.day)
    co.goods_items[0].invoice_number = "INV1"
    co.goods_items[0].invoice_date.CopyFrom(
        date_msg(issue + dt.timedelta(days=draw(st.integers(2, 60))))
    )
    return "goods_items[0].invoice_date"


def _m_bad_hs(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    if draw(st.booleans()):
        co.goods_items[0].hs_code = draw(
            st.sampled_from(
                (
                    "01020",
                    "0102030",
                    "000101",
                    "770101",
                    "980101",
                    "99010101",
                    "01.02.03",
                    "ABCDEF",
                    "01020304050",
                )
            )
        )
        return "goods_items[0].hs_code"
    co.goods_items[0].hs_edition = draw(st.sampled_from(("HS2007", "hs2022", "2022", "HS2027")))
    return "goods_items[0].hs_edition"


def _m_bad_item_number(
    draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext
) -> str:
    index = len(co.goods_items) - 1
    co.goods_items[index].item_number = draw(
        st.sampled_from((index + 2, index + 10))
        | (st.just(index + 3) if index == 0 else st.just(index))
    )
    return f"goods_items[{index}].item_number"


def _m_bad_rvc(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    oc = co.goods_items[0].origin_criterion
    oc.Clear()
    oc.type = certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
    oc.rvc_percentage.value = draw(st.sampled_from(("0", "100.01", "-5", "150", "abc", "40%")))
    return "goods_items[0].origin_criterion.rvc_percentage"


def _m_extra_criterion(
    draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext
) -> str:
    oc = co.goods_items[0].origin_criterion
    oc.Clear()
    oc.type = certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
    if draw(st.booleans()):
        oc.rvc_percentage.value = "40"
        return "goods_items[0].origin_criterion.rvc_percentage"
    oc.tariff_shift = certificate_pb2.TARIFF_SHIFT_HEADING
    return "goods_items[0].origin_criterion.tariff_shift"


def _m_bad_decimal(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    co.goods_items[0].quantity.value.value = draw(
        st.sampled_from(
            (
                "0",
                "0.000",
                "-1",
                "1e5",
                "1,5",
                "+1",
                ".5",
                "5.",
                "1234567890123456789",
                "1.1234567890",
                " 1",
                "NaN",
            )
        )
    )
    return "goods_items[0].quantity.value"


def _m_bad_money(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    item = co.goods_items[0]
    currency, amount = draw(
        st.sampled_from(
            (
                ("USD", "-1.00"),
                ("USD", "10.001"),
                ("KRW", "100.5"),
                ("JPY", "1.0"),
                ("KWD", "1.0001"),
                ("usd", "10"),
                ("XXX", "10"),  # ISO 4217 "no currency": not a currency of a value
                ("ZZZ", "10"),
                ("US", "10"),
            )
        )
    )
    item.fob_value.currency_code = currency
    item.fob_value.amount.value = amount
    return "goods_items[0].fob_value"


def _m_bad_unit(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    co.goods_items[0].quantity.unit_code = draw(st.sampled_from(("ZZZ", "kgm", "KILO", "", "KG")))
    if not co.goods_items[0].quantity.unit_code:
        co.goods_items[0].quantity.unit_code = "QQQ"
    return "goods_items[0].quantity.unit_code"


def _m_bad_enum(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    if draw(st.booleans()):
        co.transport.mode = draw(st.sampled_from((9, 42, 1000)))  # type: ignore[assignment]
        return "transport.mode"
    co.goods_items[0].origin_criterion.Clear()
    co.goods_items[0].origin_criterion.type = draw(st.sampled_from((8, 99)))  # type: ignore[assignment]
    return "goods_items[0].origin_criterion.type"


def _m_control_char(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    bad = draw(st.sampled_from(("\x00", "\x01", "\x07", "\r", "\x1b", "\x7f", "\x85")))
    where = draw(st.sampled_from(("remarks", "exporter.name", "goods_items[0].description")))
    if where == "remarks":
        co.remarks = f"remark{bad}text"
    elif where == "exporter.name":
        co.exporter.name = f"Exporter{bad}Ltd"
    else:
        co.goods_items[0].description = f"Goods{bad}description"
    return where


def _m_too_long(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    co.remarks = "R" * draw(st.sampled_from((4097, 5000)))
    return "remarks"


def _m_flag_missing(draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, _c: CoContext) -> str:
    kind = draw(st.sampled_from(("third_party", "back_to_back", "exhibition")))
    if kind == "third_party":
        co.flags.third_party_invoicing = True
        co.ClearField("third_party_operator")
        return "third_party_operator.name"
    if kind == "back_to_back":
        co.flags.back_to_back = True
        co.ClearField("original_certificate")
        return "original_certificate"
    co.flags.exhibition = True
    co.flags.exhibition_details = ""
    return "flags.exhibition_details"


def _m_bad_replaces(
    draw: st.DrawFn, co: certificate_pb2.CertificateOfOrigin, ctx: CoContext
) -> str:
    kind = draw(st.sampled_from(("own_number", "other_country", "other_authority", "bad_format")))
    ref = certificate_pb2.CertificateReference(
        exporting_country=co.exporting_country,
        issuing_authority_id=co.issuing_authority.id,
        certificate_number=unique_number("OLD"),
    )
    if kind == "own_number":
        ref.certificate_number = co.certificate_number
    elif kind == "other_country":
        ref.exporting_country = "XC" if co.exporting_country != "XC" else "XA"
    elif kind == "other_authority":
        ref.issuing_authority_id = "other-authority"
    else:
        ref.certificate_number = "-BAD NUMBER"
    co.replaces.CopyFrom(ref)
    return "replaces"


#: rule name -> (mutator, code, reason, requirement ids)
_RULES: Final[Mapping[str, tuple[Mutator, str, str, tuple[str, ...]]]] = {
    "mandatory-field-missing": (_m_missing, "INVALID_ARGUMENT", "FIELD_MISSING", ("REQ-CO-002",)),
    "agreement-unknown": (
        _m_unknown_agreement,
        "INVALID_ARGUMENT",
        "AGREEMENT_UNSUPPORTED",
        ("REQ-CO-003",),
    ),
    "form-type-mismatch": (
        _m_wrong_form,
        "INVALID_ARGUMENT",
        "AGREEMENT_UNSUPPORTED",
        ("REQ-CO-003",),
    ),
    "certificate-number-format": (
        _m_bad_number,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-004",),
    ),
    "country-code": (_m_bad_country, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-005",)),
    "date-rule": (_m_bad_date, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-006",)),
    "hs-code": (_m_bad_hs, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-007",)),
    "item-numbering": (
        _m_bad_item_number,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-008",),
    ),
    "rvc-percentage": (_m_bad_rvc, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-009",)),
    "criterion-extra-detail": (
        _m_extra_criterion,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-009",),
    ),
    "decimal-quantity": (_m_bad_decimal, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-010",)),
    "money-currency": (_m_bad_money, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-010",)),
    "unit-code": (_m_bad_unit, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-010",)),
    "enum-unknown-value": (
        _m_bad_enum,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-011", "REQ-CO-009"),
    ),
    "control-character": (
        _m_control_char,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-013",),
    ),
    "string-too-long": (_m_too_long, "INVALID_ARGUMENT", "FIELD_INVALID", ("REQ-CO-013",)),
    "flag-detail-missing": (
        _m_flag_missing,
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-012",),
    ),
    "replaces-reference": (
        _m_bad_replaces,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-014",),
    ),
}


def invalid_rule_names() -> tuple[str, ...]:
    """Return the names of the rules :func:`invalid_certificates` can break."""
    return tuple(_RULES)


@st.composite
def invalid_certificates(draw: st.DrawFn, ctx: CoContext, rule: str | None = None) -> InvalidCase:
    """Draw a certificate that breaks exactly one rule of section 4.

    Args:
        draw: Hypothesis draw function.
        ctx: The sending context.
        rule: Break this rule; None draws one of :func:`invalid_rule_names`.

    Returns:
        The invalid case with its expected code, reason and requirement ids.
    """
    name = rule if rule is not None else draw(st.sampled_from(sorted(_RULES)))
    mutate, code, reason, reqs = _RULES[name]
    # Keep the base free of optional detail that a mutation could collide with.
    base = draw(valid_certificates(replace(ctx, max_items=2)))
    base.flags.issued_retroactively = False
    field_path = mutate(draw, base, ctx)
    return InvalidCase(
        rule=name,
        certificate=base,
        code=code,
        reason=reason,
        requirements=reqs,
        field=field_path,
    )


def status_change(
    ref: certificate_pb2.CertificateReference,
    new_state: lifecycle_pb2.IssuerState,
    *,
    reason: str = "Issued in error",
    effective: dt.datetime,
) -> lifecycle_pb2.StatusChange:
    """Build a StatusChange (section 7) for ``ref``."""
    change = lifecycle_pb2.StatusChange(certificate=ref, new_state=new_state, reason=reason)
    change.effective_time.FromDatetime(effective)
    return change


#: ``nanos`` at both ends of google.protobuf.Timestamp's range (0..999999999), by name.
EDGE_NANOS: Final[Mapping[str, int]] = {"whole-second": 0, "last-nanosecond": 999_999_999}


def edge_time(nanos: int) -> timestamp_pb2.Timestamp:
    """A past instant (two seconds ago, to the second) with ``nanos`` as its fraction.

    For the effective times of section 7 at the ends of the Timestamp range: the suite's
    clock practically never gives a fraction of exactly 0 or 999999999.
    """
    seconds = int(dt.datetime.now(dt.UTC).timestamp()) - 2
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def reference_of(co: certificate_pb2.CertificateOfOrigin) -> certificate_pb2.CertificateReference:
    """Return the CertificateReference of a CO."""
    return certificate_pb2.CertificateReference(
        exporting_country=co.exporting_country,
        issuing_authority_id=co.issuing_authority.id,
        certificate_number=co.certificate_number,
    )
