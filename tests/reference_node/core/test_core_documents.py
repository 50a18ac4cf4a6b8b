"""REQ-CO-001: payloads with unknown fields are refused, whatever their encoding.

``parse_payload`` first tries a cheap test (the payload is the canonical
encoding of its known fields) and decides on the exact one otherwise; these
tests build the same certificate with its top-level fields in any order,
with or without unknown fields, and check the answer never depends on the
encoding.
"""

from __future__ import annotations

import pytest
from core_strategies import certificates
from core_testlib import CORE_SETTINGS, valid_co
from hypothesis import given
from hypothesis import strategies as st

from reference_node.core import payload_types
from reference_node.core.documents import parse_payload
from reference_node.core.errors import PayloadMalformed
from wco.eco.v1 import certificate_pb2

CO = certificate_pb2.CertificateOfOrigin

UNKNOWN_FIELDS = (
    b"\xf8\x0f\x01",  # field 255, varint
    b"\xa2\x06\x00",  # field 100, empty bytes
    b"\xb5\x07\x01\x02\x03\x04",  # field 118, fixed32
)


def _parts(co: CO) -> list[bytes]:
    """The encodings of each top-level field (a repeated field's elements in order)."""
    parts: list[bytes] = []
    for fd, value in co.ListFields():
        encoded = b""
        for element in value if fd.is_repeated else [value]:
            one = CO()
            if fd.is_repeated:
                getattr(one, fd.name).append(element)
            elif fd.message_type is not None:
                getattr(one, fd.name).CopyFrom(element)
            else:
                setattr(one, fd.name, element)
            encoded += one.SerializeToString()
        parts.append(encoded)
    return parts


def test_canonical_payload_parses() -> None:
    co = valid_co()
    assert parse_payload(payload_types.CERTIFICATE, co.SerializeToString()) == co


def test_fields_in_another_order_parse_to_the_same_certificate() -> None:
    co = valid_co()
    payload = b"".join(reversed(_parts(co)))
    assert payload != co.SerializeToString()
    assert parse_payload(payload_types.CERTIFICATE, payload) == co


@pytest.mark.parametrize("unknown", UNKNOWN_FIELDS)
def test_unknown_field_first_in_a_reordered_payload_is_refused(unknown: bytes) -> None:
    co = valid_co()
    with pytest.raises(PayloadMalformed):
        parse_payload(payload_types.CERTIFICATE, unknown + b"".join(reversed(_parts(co))))


@CORE_SETTINGS
@given(
    co=certificates(),
    data=st.data(),
    unknown=st.one_of(st.none(), st.sampled_from(UNKNOWN_FIELDS)),
)
def test_unknown_fields_are_refused_in_any_encoding(
    co: CO, data: st.DataObject, unknown: bytes | None
) -> None:
    parts = data.draw(st.permutations(_parts(co)))
    if unknown is not None:
        parts.insert(data.draw(st.integers(0, len(parts))), unknown)
    payload = b"".join(parts)
    if unknown is None:
        assert parse_payload(payload_types.CERTIFICATE, payload) == co
    else:
        with pytest.raises(PayloadMalformed):
            parse_payload(payload_types.CERTIFICATE, payload)
