"""The fault injector itself works, so the partner-fault tests cannot pass vacuously.

Checks the fake partner of ``partner.py`` over real mTLS: each behaviour
produces the fault it claims (down refuses connections, UNAVAILABLE carries
``NODE_UNAVAILABLE``, DROP_AFTER stores but the caller sees a broken
connection, BAD_RECEIPT's receipt fails the sender's check), and OK answers a
receipt that passes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import grpc
import pytest

from .documents import check_receipt, signed_certificate
from .node import channel_for, classify, submit
from .partner import Behaviour, FakePartner
from .pki import CountryPki


@pytest.fixture
def fake(xa: CountryPki, xb: CountryPki) -> Iterator[tuple[FakePartner, str]]:
    """A started fake XB partner and its address."""
    partner = FakePartner(pki=xb, caller=xa, slow_s=1.0)  # type: ignore[abstract]
    address = partner.start()
    yield partner, address
    partner.stop()


def test_fake_partner_behaviours(
    fake: tuple[FakePartner, str], xa: CountryPki, xb: CountryPki
) -> None:
    """Each behaviour produces its fault; OK produces a valid receipt."""
    partner, address = fake
    assert partner.proxy is not None
    co, env = signed_certificate(xa, importer="XB")
    with channel_for(address, server_ca=xb, caller=xa) as ch:
        rid = str(uuid.uuid4())
        receipt = submit(ch, rid, env).receipt
        check_receipt(receipt, receiver=xb, sender="XA", request_id=rid, envelope=env)

        partner.behaviour = Behaviour.UNAVAILABLE
        with pytest.raises(grpc.RpcError) as info:
            submit(ch, str(uuid.uuid4()), env)
        assert (classify(info.value).code, classify(info.value).reason) == (
            grpc.StatusCode.UNAVAILABLE,
            "NODE_UNAVAILABLE",
        )

        partner.behaviour = Behaviour.DROP_AFTER
        dropped = str(uuid.uuid4())
        with pytest.raises(grpc.RpcError) as info:
            submit(ch, dropped, env)
        assert classify(info.value).code == grpc.StatusCode.UNAVAILABLE
        assert dropped in partner.stored

    # A new channel: the old one may not have noticed the cut connection yet.
    with channel_for(address, server_ca=xb, caller=xa) as ch:
        partner.behaviour = Behaviour.BAD_RECEIPT
        forged = submit(ch, dropped, env).receipt
        with pytest.raises(AssertionError):
            check_receipt(forged, receiver=xb, sender="XA", request_id=dropped, envelope=env)

        partner.behaviour = Behaviour.SLOW
        with pytest.raises(grpc.RpcError) as info:
            submit(ch, str(uuid.uuid4()), env, timeout=0.3)
        assert classify(info.value).code == grpc.StatusCode.DEADLINE_EXCEEDED

        partner.behaviour = Behaviour.OK
        partner.proxy.down()
        with pytest.raises(grpc.RpcError) as info:
            submit(ch, str(uuid.uuid4()), env, timeout=3)
        assert classify(info.value).code in {
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
        }
        partner.proxy.up()
    with channel_for(address, server_ca=xb, caller=xa) as ch:
        again = submit(ch, dropped, env, timeout=10).receipt
        check_receipt(again, receiver=xb, sender="XA", request_id=dropped, envelope=env)
    # The same CO was stored under three request ids (first, dropped, slow).
    assert len(partner.ids_by_number()[co.certificate_number]) == 3
    assert not partner.bytes_changed_on_retry()
