"""Code lists (REQ-CO-003, REQ-CO-005, REQ-CO-010, REQ-NODE-002) and limits (REQ-LIM-001)."""

from __future__ import annotations

import pytest

from reference_node.core.codelists import default_codelists
from reference_node.core.limits import Limits
from reference_node.core.payload_types import (
    KIND_BY_TYPE,
    MESSAGE_BY_TYPE,
    SUBMITTABLE,
    TYPE_BY_KIND,
)


def test_v1_agreements_and_forms() -> None:
    lists = default_codelists()
    pairs = {(agreement, form) for form, (agreement, _) in lists.form_types.items()}
    assert pairs == {
        ("AKFTA", "AK"),
        ("ATIGA", "D"),
        ("ACFTA", "E"),
        ("RCEP", "RCEP"),
        ("KCFTA", "KC"),
    }
    assert lists.form_belongs("ATIGA", "D")
    assert not lists.form_belongs("ATIGA", "E")
    assert not lists.form_belongs("NOPE", "D")


def test_countries_currencies_units() -> None:
    lists = default_codelists()
    assert len(lists.countries) == 249 + 26
    for code in ("KR", "CN", "VN", "ID", "TH", "PH", "XA", "XZ", "SS", "BQ"):
        assert code in lists.countries
    for code in ("EU", "UK", "AA", "QZ", "YY", "kr"):
        assert code not in lists.countries
    assert lists.currencies["USD"] == 2
    assert lists.currencies["KRW"] == 0
    assert lists.currencies["JPY"] == 0
    assert lists.currencies["KWD"] == 3
    assert lists.currencies["CLF"] == 4
    assert "HRK" not in lists.currencies
    for unit in (
        "KGM",
        "GRM",
        "TNE",
        "LTR",
        "MTR",
        "MTK",
        "MTQ",
        "NAR",
        "PCE",
        "SET",
        "PR",
        "DZN",
        "C62",
        "BX",
        "CT",
    ):
        assert unit in lists.units
    assert lists.hs_editions == {"HS2012", "HS2017", "HS2022"}


def test_to_proto_lists_every_v1_list() -> None:
    protos = {c.name: c for c in default_codelists().to_proto()}
    assert set(protos) == {
        "AGREEMENT",
        "FORM_TYPE",
        "ORIGIN_CRITERION",
        "UNIT",
        "CURRENCY",
        "HS_EDITION",
    }
    forms = {e.code: e.parent_code for e in protos["FORM_TYPE"].entries}
    assert forms["D"] == "ATIGA"
    assert {e.code for e in protos["ORIGIN_CRITERION"].entries} >= {"WO", "PE", "RVC", "CTC", "PSR"}
    assert len(protos["CURRENCY"].entries) == len(default_codelists().currencies)


def test_limits_defaults_and_checks() -> None:
    limits = Limits()
    assert (limits.max_message_bytes, limits.max_payload_bytes) == (4 * 1024 * 1024, 1024 * 1024)
    assert (limits.max_goods_items, limits.max_stream_documents) == (999, 10000)
    assert (limits.max_page_size, limits.default_page_size) == (1000, 50)
    with pytest.raises(ValueError, match="positive"):
        Limits(max_goods_items=0)
    assert Limits(max_goods_items=999).max_goods_items == 999
    with pytest.raises(ValueError, match="999"):
        Limits(max_goods_items=1000)  # REQ-CO-008: 999 is the ceiling
    with pytest.raises(ValueError, match="default_page_size"):
        Limits(max_page_size=10, default_page_size=50)


def test_payload_type_tables_agree() -> None:
    assert set(KIND_BY_TYPE) == SUBMITTABLE
    assert len(SUBMITTABLE) == 5
    assert all(TYPE_BY_KIND[kind] == t for t, kind in KIND_BY_TYPE.items())
    assert set(MESSAGE_BY_TYPE) > SUBMITTABLE
    assert all(
        t.startswith("application/vnd.wco.eco.") and t.endswith(".v1+protobuf")
        for t in MESSAGE_BY_TYPE
    )
