"""State of a newly stored CO (core/lifecycle.py; docs/spec.md section 7, REQ-LC-006)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from core_testlib import valid_co

from reference_node.core.documents import CertificateRef
from reference_node.core.lifecycle import item_quantities, new_certificate_state
from wco.eco.v1 import lifecycle_pb2

AT = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_quantities_computed_before_give_the_same_state() -> None:
    co = valid_co(items=3)
    co.goods_items[1].quantity.value.value = "7.125"
    co.goods_items[2].quantity.value.value = "1e5"  # not a google.type.Decimal (REQ-CO-010)
    quantities = item_quantities(co)
    assert dict(quantities) == {1: Decimal("100.5"), 2: Decimal("7.125")}
    own = new_certificate_state(co, at=AT, import_state=lifecycle_pb2.IMPORT_STATE_RECEIVED)
    given = new_certificate_state(
        co, at=AT, import_state=lifecycle_pb2.IMPORT_STATE_RECEIVED, quantities=quantities
    )
    assert own == given
    assert own.ref == CertificateRef("XA", "xa-customs", "XA-2025-0001")
    assert own.issuer_state == lifecycle_pb2.ISSUER_STATE_ISSUED
    assert own.updated == AT
    assert dict(own.item_quantities) == dict(quantities)


def test_new_state_mappings_are_read_only_and_unused() -> None:
    first = new_certificate_state(valid_co("A-1"), at=AT, import_state=0)
    second = new_certificate_state(valid_co("A-2"), at=AT, import_state=0)
    assert dict(first.used) == {}
    assert dict(second.used) == {}
    with pytest.raises(TypeError):
        first.used[1] = Decimal(1)  # type: ignore[index]
    with pytest.raises(TypeError):
        first.item_quantities[1] = Decimal(1)  # type: ignore[index]
