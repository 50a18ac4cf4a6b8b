"""Receipt time encoding (core/receipts.py; docs/spec.md REQ-PUSH-003)."""

from __future__ import annotations

import datetime as dt

from core_testlib import World, new_request_id, sign, valid_co
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_node.core import payload_types
from reference_node.core.codelists import default_codelists
from reference_node.core.documents import parse_payload
from reference_node.core.intake import verify_submission
from reference_node.core.limits import Limits
from reference_node.core.receipts import _timestamp, build_receipt
from wco.eco.v1 import envelope_pb2

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [dt.UTC, dt.timezone(dt.timedelta(hours=9)), dt.timezone(dt.timedelta(hours=-3))]
        ),
    )
)
def test_timestamp_is_what_from_datetime_gives(at: dt.datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(at.astimezone(dt.UTC))
    assert _timestamp(at) == expected


def test_naive_time_is_read_as_local_time_like_before() -> None:
    at = dt.datetime(2025, 6, 1, 8, 30, 15, 250)
    expected = Timestamp()
    expected.FromDatetime(at.astimezone(dt.UTC))
    assert _timestamp(at) == expected


def test_receipt_carries_the_commit_time_and_sequence(world: World) -> None:
    envelope = sign(valid_co(), world.xa_authority)
    verified = verify_submission(
        request_id=new_request_id(),
        envelope_bytes_len=envelope.ByteSize() + 40,
        envelope=envelope,
        caller_country="XA",
        node_country="XB",
        trust=world.trust,
        codelists=default_codelists(),
        limits=Limits(),
        now=NOW,
    )
    committed = dt.datetime(2025, 6, 1, 14, 0, 1, 999999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    receipt_env = build_receipt(
        verified=verified,
        sender_country="XA",
        receiver_country="XB",
        sequence=42,
        received_time=committed,
        signer=world.xb_node,
    )
    receipt = parse_payload(payload_types.RECEIPT, receipt_env.payload)
    assert isinstance(receipt, envelope_pb2.Receipt)
    assert receipt.sequence == 42
    assert receipt.received_time.ToDatetime(tzinfo=dt.UTC) == committed
    assert receipt.received_time.nanos == 999_999_000
