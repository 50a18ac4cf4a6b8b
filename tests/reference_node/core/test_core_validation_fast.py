"""The fast path of the CO field rules agrees with the rule-by-rule path.

``validate_document`` first tries a fast check that only answers "no rule
is broken" (docs/spec.md section 4, REQ-CO-002..015); otherwise the rules
run one by one and name the violations. These tests mutate valid
certificates in ways chosen to sit on the edges of the rules (signs, zeros,
places, leap days, undefined enums, empty but present messages, control
characters, lengths) and check that the outcome (findings, or the error
with its reason, message and violations in order) is the same as with the
rule-by-rule path alone.
"""

from __future__ import annotations

from collections.abc import Callable

from core_strategies import certificates
from core_testlib import CORE_SETTINGS, TODAY, valid_co
from hypothesis import given
from hypothesis import strategies as st

from reference_node.core import fast_rules, validation
from reference_node.core.codelists import default_codelists
from reference_node.core.errors import EcoError
from reference_node.core.limits import Limits
from wco.eco.v1 import certificate_pb2

LISTS = default_codelists()
LIMITS = Limits(max_goods_items=6)
CO = certificate_pb2.CertificateOfOrigin

EDGE_TEXTS = (
    "",
    "0",
    "-0",
    "-0.0",
    "0.0",
    "00",
    "0100",
    "100",
    "100.0",
    "100.000000001",
    "99.999",
    "1e5",
    "1.",
    ".5",
    "12.345",
    "-12.5",
    "123456789012345678",
    "1234567890123456789",
    "1.1234567890",
    "KGM",
    "USD",
    "JPY",
    "KWD",
    "XA",
    "XB",
    "ZZ",
    "HS2022",
    "850760",
    "77000000",
    "980000",
    "0100001234",
    "a\x01b",
    "a\x85b",
    "line\nfeed\tand tab",
    "\u00fc\u20ac",
    "x" * 4097,
)
ITEM_STRINGS = (
    "marks_and_numbers",
    "package_kind",
    "description",
    "hs_code",
    "hs_edition",
    "origin_criterion.rvc_percentage.value",
    "origin_criterion.text",
    "quantity.value.value",
    "quantity.unit_code",
    "gross_weight.value.value",
    "gross_weight.unit_code",
    "fob_value.currency_code",
    "fob_value.amount.value",
    "invoice_number",
    "origin_country",
)
CO_STRINGS = (
    "certificate_number",
    "agreement_id",
    "form_type",
    "exporting_country",
    "importing_country",
    "issuing_authority.id",
    "issuing_authority.name",
    "issue_place",
    "exporter.name",
    "exporter.address.country",
    "consignee.address.city",
    "remarks",
    "flags.exhibition_details",
    "replaces.certificate_number",
    "replaces.exporting_country",
    "original_certificate.issuing_authority_id",
    "language_code",
)
ITEM_MESSAGES = (
    "gross_weight",
    "fob_value",
    "invoice_date",
    "origin_criterion.rvc_percentage",
    "quantity",
    "origin_criterion",
)
EDGE_DATES = (
    (2024, 2, 29),
    (2023, 2, 29),
    (1900, 2, 29),
    (2000, 2, 29),
    (1899, 12, 31),
    (0, 0, 0),
    (2026, 13, 1),
    (2026, 4, 31),
    (9999, 12, 31),
)

Mutation = Callable[[CO], None]


def _resolve(co: CO, path: str, index: int) -> tuple[object, str]:
    *parents, leaf = path.split(".")
    target: object = co.goods_items[index % len(co.goods_items)] if index >= 0 else co
    for part in parents:
        target = getattr(target, part)
    return target, leaf


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    """One edge mutation of a CO (or of one of its goods items)."""
    index = draw(st.integers(0, 5))
    kind = draw(st.sampled_from(["item_string", "co_string", "enum", "date", "message", "count"]))
    if kind == "item_string":
        path, text = draw(st.sampled_from(ITEM_STRINGS)), draw(st.sampled_from(EDGE_TEXTS))

        def set_item_string(co: CO) -> None:
            target, leaf = _resolve(co, path, index)
            setattr(target, leaf, text)

        return set_item_string
    if kind == "co_string":
        path, text = draw(st.sampled_from(CO_STRINGS)), draw(st.sampled_from(EDGE_TEXTS))

        def set_co_string(co: CO) -> None:
            target, leaf = _resolve(co, path, -1)
            setattr(target, leaf, text)

        return set_co_string
    if kind == "enum":
        path = draw(
            st.sampled_from(
                ["origin_criterion.type", "origin_criterion.tariff_shift", "transport.mode"]
            )
        )
        number = draw(st.integers(0, 9))

        def set_enum(co: CO) -> None:
            target, leaf = _resolve(co, path, -1 if path.startswith("transport") else index)
            setattr(target, leaf, number)

        return set_enum
    if kind == "date":
        path = draw(st.sampled_from(["invoice_date", "issue_date", "transport.departure_date"]))
        year, month, day = draw(st.sampled_from(EDGE_DATES))

        def set_date(co: CO) -> None:
            target, leaf = _resolve(co, path, index if path == "invoice_date" else -1)
            date = getattr(target, leaf)
            date.year, date.month, date.day = year, month, day
            date.SetInParent()

        return set_date
    if kind == "message":
        path, present = draw(st.sampled_from(ITEM_MESSAGES)), draw(st.booleans())

        def set_message(co: CO) -> None:
            target, leaf = _resolve(co, path, index)
            if present:
                getattr(target, leaf).Clear()
                getattr(target, leaf).SetInParent()
            else:
                target.ClearField(leaf)  # type: ignore[attr-defined]

        return set_message
    number = draw(st.integers(0, 9))

    def renumber(co: CO) -> None:
        co.goods_items[index % len(co.goods_items)].item_number = number

    return renumber


def _outcome(run: Callable[[], list[object]]) -> object:
    try:
        findings = run()
    except EcoError as exc:
        return (type(exc).__name__, exc.reason, exc.message, exc.violations)
    return ("ok", [f.SerializeToString(deterministic=True) for f in findings])  # type: ignore[attr-defined]


def _both(co: CO) -> tuple[object, object]:
    combined = _outcome(
        lambda: validation._validate_certificate(  # type: ignore[arg-type,return-value]
            co, lists=LISTS, limits=LIMITS, today=TODAY
        )
    )
    slow = _outcome(
        lambda: validation._slow_certificate(  # type: ignore[arg-type,return-value]
            co, lists=LISTS, limits=LIMITS, today=TODAY
        )
    )
    return combined, slow


def test_the_fast_path_reads_every_string_and_enum_of_a_certificate() -> None:
    assert fast_rules._ITEMS_FAST
    assert fast_rules._TOP_FAST
    assert (
        fast_rules._checked_leaves(certificate_pb2.GoodsItem.DESCRIPTOR) == fast_rules._ITEM_LEAVES
    )


def test_the_reference_co_takes_the_fast_path() -> None:
    assert validation._fast_certificate(valid_co(), lists=LISTS, limits=LIMITS, today=TODAY) == []


@CORE_SETTINGS
@given(co=certificates())
def test_valid_certificates_take_the_fast_path_with_the_same_findings(co: CO) -> None:
    fast = validation._fast_certificate(co, lists=LISTS, limits=LIMITS, today=TODAY)
    assert fast is not None
    combined, slow = _both(co)
    assert combined == slow
    assert combined == ("ok", [f.SerializeToString(deterministic=True) for f in fast])


@CORE_SETTINGS
@given(
    co=certificates(),
    changes=st.lists(mutations(), min_size=1, max_size=3),
    generic_top=st.booleans(),
)
def test_mutated_certificates_get_the_same_outcome_on_both_paths(
    co: CO, changes: list[Mutation], generic_top: bool
) -> None:
    for change in changes:
        change(co)
    # generic_top: the fields outside the goods items go through the code
    # generated from the schema instead of the hand-written pass.
    saved = fast_rules._TOP_FAST
    fast_rules._TOP_FAST = saved and not generic_top
    try:
        combined, slow = _both(co)
    finally:
        fast_rules._TOP_FAST = saved
    assert combined == slow


@CORE_SETTINGS
@given(co=certificates(), changes=st.lists(mutations(), max_size=3))
def test_the_generated_gatherer_collects_what_the_generic_walk_collects(
    co: CO, changes: list[Mutation]
) -> None:
    for change in changes:
        change(co)
    walked: list[str] = []
    gathered: list[str] = []
    walk_ok = fast_rules._collect(co, walked)
    gather_ok = fast_rules._gatherer(co.DESCRIPTOR)(co, gathered)
    assert walk_ok == gather_ok
    if walk_ok:
        assert sorted(s for s in walked if s) == sorted(s for s in gathered if s)


def test_the_last_representable_issue_date_is_refused_not_crashed() -> None:
    co = valid_co()
    co.issue_date.year, co.issue_date.month, co.issue_date.day = 9999, 12, 31
    for item in co.goods_items:
        item.ClearField("invoice_date")
    combined, slow = _both(co)
    assert combined == slow
    assert combined[0] == "FieldInvalid"  # type: ignore[index]
    assert [v.code for v in combined[3]] == ["ISSUE_DATE_FUTURE"]  # type: ignore[index]
