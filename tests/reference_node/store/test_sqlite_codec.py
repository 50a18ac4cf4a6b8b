"""State blob encoding (store/codec.py; docs/spec.md sections 7 and 8).

The certificate state encoder writes its canonical JSON directly; these tests
hold it to the generic encoder's bytes, to the decoder, and to blobs written by
earlier versions of the node.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from reference_node.core.documents import CertificateRef
from reference_node.core.lifecycle import CertificateState, VerificationCase
from reference_node.store import codec

SETTINGS = settings(max_examples=60, deadline=None)

_text = st.text(max_size=12)
_refs = st.builds(
    CertificateRef,
    # Country codes and authority ids never contain "/" (REQ-CO-004), so keys split back.
    exporting_country=st.text(alphabet="ABXYZ", min_size=2, max_size=2),
    issuing_authority_id=st.text(min_size=1, max_size=8).filter(lambda t: "/" not in t),
    certificate_number=_text,
)
_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=3)
_quantities = st.dictionaries(st.integers(min_value=1, max_value=1000), _decimals, max_size=12)
_times = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-7, minutes=-30))]),
)
_states = st.builds(
    CertificateState,
    ref=_refs,
    issuer_state=st.integers(min_value=0, max_value=5),
    import_state=st.integers(min_value=0, max_value=8),
    replaced_by=st.none() | _refs,
    replaces=st.none() | _refs,
    reason=_text,
    used=_quantities.map(MappingProxyType),
    item_quantities=_quantities.map(MappingProxyType),
    updated=_times,
    importing_country=_text,
)


@SETTINGS
@given(_states)
def test_state_encoding_is_the_canonical_json_and_round_trips(state: CertificateState) -> None:
    blob = codec.encode_state(state)
    assert blob == codec._encode_state_generic(state)
    # The canonical form: what json.dumps writes with sorted keys and no spaces.
    assert blob == json.dumps(json.loads(blob), sort_keys=True, separators=(",", ":")).encode()
    decoded = codec.decode_state(blob)
    assert decoded == state
    assert decoded.updated == state.updated


def test_blob_written_by_the_first_node_version_still_decodes() -> None:
    old = (
        b'{"import_state":1,"importing_country":"XB","issuer_state":1,'
        b'"item_quantities":{"1":"100.5","10":"7","2":"0.125"},"reason":"",'
        b'"ref":"XA/xa-customs/XA-2025-0001/b","replaced_by":null,'
        b'"replaces":"XA/xa-customs/XA-2024-0009","updated":1748606400123456,'
        b'"used":{},"v":1}'
    )
    state = codec.decode_state(old)
    assert state.ref == CertificateRef("XA", "xa-customs", "XA-2025-0001/b")
    assert state.replaces == CertificateRef("XA", "xa-customs", "XA-2024-0009")
    assert dict(state.item_quantities) == {
        1: Decimal("100.5"),
        10: Decimal("7"),
        2: Decimal("0.125"),
    }
    assert state.updated == dt.datetime(2025, 5, 30, 12, 0, 0, 123456, tzinfo=dt.UTC)
    assert codec.encode_state(state) == old


def test_non_ascii_text_is_escaped_like_json_dumps() -> None:
    state = CertificateState(
        ref=CertificateRef("XA", "xa-customs", 'N\u00b0 "7"\\x'),
        issuer_state=3,
        import_state=0,
        reason="annul\u00e9\n\u2603",
        updated=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    blob = codec.encode_state(state)
    blob.decode("ascii")
    assert b'"reason":"annul\\u00e9\\n\\u2603"' in blob
    assert codec.decode_state(blob) == state


def test_case_round_trip() -> None:
    case = VerificationCase(
        verification_id="3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2a",
        certificate=CertificateRef("XA", "xa-customs", "XA-1"),
        requesting_country="XB",
        state=1,
        request_document_id="r-1",
    )
    assert codec.decode_case(codec.encode_case(case)) == case
