"""Hypothesis strategies generating valid documents (docs/spec.md section 4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core_testlib import TODAY
from hypothesis import strategies as st

from reference_node.core.codelists import default_codelists
from wco.eco.v1 import certificate_pb2

LISTS = default_codelists()
FORMS = sorted((agreement, form) for form, (agreement, _) in LISTS.form_types.items())
COUNTRIES = sorted(LISTS.countries)
UNITS = sorted(LISTS.units)
CURRENCIES = sorted(LISTS.currencies)
CHAPTERS = [c for c in range(1, 98) if c != 77]

numbers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9/.\-]{0,34}", fullmatch=True)
authority_ids = st.from_regex(r"[a-z0-9][a-z0-9\-]{0,20}", fullmatch=True)
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\n\t"),
    min_size=1,
    max_size=30,
)


def decimals(*, minimum: Decimal, places: int = 3) -> st.SearchStrategy[str]:
    """Decimal text values > ``minimum`` with at most ``places`` fraction digits."""
    return (
        st.decimals(
            min_value=minimum, max_value=Decimal("999999999"), places=places, allow_nan=False
        )
        .filter(lambda d: d > minimum)
        .map(lambda d: format(d, "f"))
    )


def _set_date(target: object, value: dt.date) -> None:
    target.year, target.month, target.day = value.year, value.month, value.day  # type: ignore[attr-defined]


@st.composite
def parties(draw: st.DrawFn, country: str) -> certificate_pb2.Party:
    party = certificate_pb2.Party(name=draw(texts))
    party.address.country = country
    party.address.lines.extend(draw(st.lists(texts, max_size=2)))
    for _ in range(draw(st.integers(0, 1))):
        party.identifiers.add(
            scheme="TIN", value=draw(texts), issuing_country=draw(st.sampled_from(COUNTRIES))
        )
    return party


@st.composite
def goods_items(draw: st.DrawFn, number: int, issue: dt.date) -> certificate_pb2.GoodsItem:
    chapter = draw(st.sampled_from(CHAPTERS))
    rest = draw(st.sampled_from([4, 6, 8]))
    digits = draw(st.text(alphabet="0123456789", min_size=rest, max_size=rest))
    item = certificate_pb2.GoodsItem(
        item_number=number,
        description=draw(texts),
        hs_code=f"{chapter:02d}{digits}",
        hs_edition=draw(st.sampled_from(sorted(LISTS.hs_editions))),
        marks_and_numbers=draw(st.one_of(st.just(""), texts)),
    )
    kind = draw(st.sampled_from(range(1, 8)))
    item.origin_criterion.type = kind  # type: ignore[assignment]
    if kind == certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT:
        pct = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2))
        item.origin_criterion.rvc_percentage.value = format(pct, "f")
    if kind == certificate_pb2.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION:
        item.origin_criterion.tariff_shift = draw(st.sampled_from([1, 2, 3]))  # type: ignore[assignment]
    item.quantity.value.value = draw(decimals(minimum=Decimal(0)))
    item.quantity.unit_code = draw(st.sampled_from(UNITS))
    if draw(st.booleans()):
        item.gross_weight.value.value = draw(decimals(minimum=Decimal(0)))
        item.gross_weight.unit_code = "KGM"
    if draw(st.booleans()):
        currency = draw(st.sampled_from(CURRENCIES))
        item.fob_value.currency_code = currency
        amount = draw(
            st.decimals(
                min_value=Decimal(0),
                max_value=Decimal(10**12),
                places=LISTS.currencies[currency],
            )
        )
        item.fob_value.amount.value = format(amount, "f")
    if draw(st.booleans()):
        _set_date(item.invoice_date, issue - dt.timedelta(days=draw(st.integers(0, 60))))
    if draw(st.booleans()):
        item.origin_country = draw(st.sampled_from(COUNTRIES))
    return item


@st.composite
def certificates(
    draw: st.DrawFn,
    *,
    exporting: str | None = None,
    importing: str | None = None,
    authority_id: str | None = None,
) -> certificate_pb2.CertificateOfOrigin:
    """Valid COs: every one must pass REQ-CO-002..014 on ``TODAY``."""
    agreement, form = draw(st.sampled_from(FORMS))
    exp = exporting or draw(st.sampled_from(COUNTRIES))
    imp = importing or draw(st.sampled_from(COUNTRIES).filter(lambda c: c != exp))
    aid = authority_id or draw(authority_ids)
    issue = TODAY - dt.timedelta(days=draw(st.integers(-1, 3650)))
    co = certificate_pb2.CertificateOfOrigin(
        certificate_number=draw(numbers),
        agreement_id=agreement,
        form_type=form,
        exporting_country=exp,
        importing_country=imp,
        remarks=draw(st.one_of(st.just(""), texts)),
    )
    co.issuing_authority.id = aid
    co.issuing_authority.name = draw(texts)
    _set_date(co.issue_date, issue)
    co.exporter.CopyFrom(draw(parties(exp)))
    co.consignee.CopyFrom(draw(parties(imp)))
    if draw(st.booleans()):
        co.producers.append(draw(parties(exp)))
    co.transport.mode = draw(st.sampled_from(range(9)))  # type: ignore[assignment]
    if draw(st.booleans()):
        _set_date(co.transport.departure_date, issue - dt.timedelta(days=draw(st.integers(-1, 30))))
    co.transport.transit_countries.extend(draw(st.lists(st.sampled_from(COUNTRIES), max_size=2)))
    count = draw(st.integers(1, 4))
    for n in range(1, count + 1):
        co.goods_items.append(draw(goods_items(n, issue)))
    flags = co.flags
    flags.issued_retroactively = draw(st.booleans())
    flags.accumulation = draw(st.booleans())
    if draw(st.booleans()):
        flags.third_party_invoicing = True
        co.third_party_operator.name = draw(texts)
    if draw(st.booleans()):
        flags.back_to_back = True
        co.original_certificate.exporting_country = draw(st.sampled_from(COUNTRIES))
        co.original_certificate.issuing_authority_id = draw(authority_ids)
        co.original_certificate.certificate_number = draw(numbers)
    if draw(st.booleans()):
        flags.exhibition = True
        flags.exhibition_details = draw(texts)
    if draw(st.booleans()):
        _set_date(co.exporter_declaration.date, issue)
        co.exporter_declaration.text = draw(texts)
    if draw(st.booleans()):
        co.replaces.exporting_country = exp
        co.replaces.issuing_authority_id = aid
        co.replaces.certificate_number = draw(numbers.filter(lambda n: n != co.certificate_number))
    return co
