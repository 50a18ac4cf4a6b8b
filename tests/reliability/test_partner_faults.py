"""The sending node against a faulty partner (issue 7 item 2; REQ-PUSH-004, REQ-PUSH-006).

The XA node (driven through ``python -m reference_node adapter``) delivers to
a fake XB receiver that is in turn down, UNAVAILABLE, slow past the deadline,
cutting the connection before and after storing, and answering with a receipt
signed by a forged key; then it behaves. Everything queued is delivered once
it behaves, always under the same request id with the same bytes, nothing
twice and nothing lost; a permanent refusal is not retried and surfaces in
``eco-node status``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from wco.eco.v1 import envelope_pb2

from .adapter import Adapter
from .conftest import Figures, NodeFactory
from .documents import check_receipt, make_certificate
from .node import Partner
from .partner import Behaviour, FakePartner
from .pki import CountryPki

DOCUMENTS = 6
_DELIVERED = envelope_pb2.DELIVERY_STATUS_DELIVERED
_FAILED = envelope_pb2.DELIVERY_STATUS_FAILED


@pytest.fixture
def fake_xb(xa: CountryPki, xb: CountryPki) -> Iterator[FakePartner]:
    """A fake XB receiver behind a TCP proxy, initially down."""
    partner = FakePartner(pki=xb, caller=xa, slow_s=1.5)  # type: ignore[abstract]
    partner.start()
    assert partner.proxy is not None
    partner.proxy.down()
    yield partner
    partner.stop()


def _attempts(partner: FakePartner, behaviour: Behaviour) -> int:
    return sum(1 for a in partner.attempts if a.behaviour is behaviour)


def _drive(adapter: Adapter, partner: FakePartner, behaviour: Behaviour, *, at_least: int) -> int:
    """Deliver under ``behaviour`` until the partner saw ``at_least`` such attempts."""
    partner.behaviour = behaviour
    for _ in range(40):
        # ``deliver`` returns once nothing is due; entries in backoff become due
        # within max_backoff_ms (100 ms here), so poll a little slower than that.
        time.sleep(0.12)
        # Longer than the 700 ms deadline, so Deliver does not cut attempts short.
        report = adapter.deliver(timeout_ms=3000)
        assert not any(
            e.status == _DELIVERED and e.request_id not in partner.stored for e in report.entries
        ), "an entry counts as delivered that the partner never stored"
        if _attempts(partner, behaviour) >= at_least:
            break
    seen = _attempts(partner, behaviour)
    assert seen >= at_least, f"{behaviour}: only {seen} attempts"
    return seen


def test_everything_queued_is_delivered_once_after_partner_faults(
    node_factory: NodeFactory,
    fake_xb: FakePartner,
    xa: CountryPki,
    xb: CountryPki,
    figures: Figures,
) -> None:
    """Down, UNAVAILABLE, slow, cut connections, forged receipts: then exactly once."""
    assert fake_xb.proxy is not None
    sender = node_factory(
        xa,
        partners=[Partner(pki=xb, address=f"127.0.0.1:{fake_xb.proxy.port}")],
        delivery={"deadline_ms": 700, "initial_backoff_ms": 20, "max_backoff_ms": 100},
    )
    refused_co = make_certificate(exporter="XA", importer="XB")
    fake_xb.refuse_numbers.add(refused_co.certificate_number)
    adapter = Adapter(node=sender)
    try:
        queued = {
            adapter.issue(make_certificate(exporter="XA", importer="XB")).request_id
            for _ in range(DOCUMENTS)
        }
        refused_id = adapter.issue(refused_co).request_id

        # Down: attempts fail, nothing is delivered, everything stays queued.
        report = adapter.deliver(timeout_ms=1500)
        assert {e.request_id for e in report.entries} >= queued | {refused_id}
        assert all(e.status != _DELIVERED for e in report.entries)
        assert not fake_xb.attempts

        fake_xb.proxy.up()
        phases = {
            b.value: _drive(adapter, fake_xb, b, at_least=3 if b is Behaviour.SLOW else DOCUMENTS)
            for b in (
                Behaviour.UNAVAILABLE,
                Behaviour.SLOW,
                Behaviour.DROP_BEFORE,
                Behaviour.DROP_AFTER,
                Behaviour.BAD_RECEIPT,
            )
        }
        # Nothing counted as delivered yet: no valid receipt has been returned.
        assert all(e.status != _DELIVERED for e in adapter.outbox().entries)

        fake_xb.behaviour = Behaviour.OK
        # An attempt cut short by a Deliver timeout keeps its outbox lease until
        # it expires (deadline + 10 s), so allow well over that for the last ones.
        settle_by = time.monotonic() + 45
        while time.monotonic() < settle_by:
            time.sleep(0.12)
            report = adapter.deliver(timeout_ms=5000)
            if all(e.status in (_DELIVERED, _FAILED) for e in report.entries):
                break
    finally:
        adapter.close()

    entries = {e.request_id: e for e in report.entries}
    for rid in queued:
        entry = entries[rid]
        assert entry.status == _DELIVERED, (rid, entry.status, entry.last_error_reason)
        stored = envelope_pb2.Envelope.FromString(fake_xb.stored[rid])
        check_receipt(entry.receipt, receiver=xb, sender="XA", request_id=rid, envelope=stored)
    # The permanent refusal is not retried and is reported with its reason (REQ-PUSH-006).
    refused = entries[refused_id]
    assert refused.status == _FAILED
    assert refused.last_error_reason == "FIELD_INVALID"
    assert sum(1 for a in fake_xb.attempts if a.request_id == refused_id) == 1
    assert refused_id not in fake_xb.stored
    # Exactly once: one request id per certificate, same bytes on every retry.
    by_number = fake_xb.ids_by_number()
    assert sorted(len(ids) for ids in by_number.values()) == [1] * DOCUMENTS
    assert set(fake_xb.stored) == queued
    assert not fake_xb.bytes_changed_on_retry()
    # The operator sees the failure (REQ-PUSH-006).
    status = sender.cli("status")
    assert status.returncode == 0, status.stderr
    assert refused_id in status.stdout or refused_co.certificate_number in status.stdout
    assert "FIELD_INVALID" in status.stdout
    figures.record(
        "partner_faults",
        documents=DOCUMENTS,
        attempts_total=len(fake_xb.attempts),
        connections_cut=fake_xb.proxy.cuts,
        delivered=sum(1 for rid in queued if entries[rid].status == _DELIVERED),
        duplicates=sum(len(ids) - 1 for ids in by_number.values()),
        lost=len(queued - set(fake_xb.stored)),
        **{f"attempts_{k}": v for k, v in phases.items()},
    )
