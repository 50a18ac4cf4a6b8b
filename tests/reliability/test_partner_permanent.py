"""Deliveries that can never succeed end FAILED, with a reason (REQ-PUSH-006, docs/node.md).

A partner that answers every attempt RESOURCE_EXHAUSTED without an ErrorInfo (a rate
limiter in front of it), and a partner whose TLS handshake fails (the sender trusts
another TLS CA for it). Both failures are retryable by REQ-PUSH-006 (RESOURCE_EXHAUSTED
other than MESSAGE_TOO_LARGE, UNAVAILABLE), so the sender keeps retrying them with backoff,
forever by default; with ``delivery.max_attempts`` set it gives up after that many attempts
and the entry ends FAILED with the last reason, which ``eco-node status`` shows (for the
handshake, with gRPC's message naming the certificate verification failure).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from wco.eco.v1 import envelope_pb2

from .adapter import Adapter
from .conftest import Figures, NodeFactory
from .documents import make_certificate
from .node import Partner
from .partner import Behaviour, FakePartner
from .pki import CountryPki, make_country

_FAILED = envelope_pb2.DELIVERY_STATUS_FAILED
_PENDING = envelope_pb2.DELIVERY_STATUS_PENDING
ATTEMPTS = 3
_DELIVERY = {
    "deadline_ms": 700,
    "initial_backoff_ms": 20,
    "max_backoff_ms": 60,
    "max_attempts": ATTEMPTS,
}


@pytest.fixture
def exhausted_xb(xa: CountryPki, xb: CountryPki) -> Iterator[FakePartner]:
    """A fake XB receiver answering RESOURCE_EXHAUSTED without ErrorInfo."""
    partner = FakePartner(pki=xb, caller=xa, behaviour=Behaviour.EXHAUSTED)  # type: ignore[abstract]
    partner.start()
    yield partner
    partner.stop()


def _until_final(adapter: Adapter, request_id: str) -> tuple[int, int, str]:
    """Deliver until the entry is no longer pending (15 s at most): status, attempts, reason."""
    deadline = time.monotonic() + 15
    while True:
        report = adapter.deliver(timeout_ms=3000)
        entry = next(e for e in report.entries if e.request_id == request_id)
        if entry.status != _PENDING or time.monotonic() > deadline:
            return entry.status, entry.attempts, entry.last_error_reason
        time.sleep(0.08)


def test_rate_limited_partner_ends_failed_after_max_attempts(
    node_factory: NodeFactory,
    exhausted_xb: FakePartner,
    xa: CountryPki,
    xb: CountryPki,
    figures: Figures,
) -> None:
    """RESOURCE_EXHAUSTED without ErrorInfo is retried, then FAILED after max_attempts."""
    assert exhausted_xb.proxy is not None
    sender = node_factory(
        xa,
        partners=[Partner(pki=xb, address=f"127.0.0.1:{exhausted_xb.proxy.port}")],
        delivery=_DELIVERY,
    )
    adapter = Adapter(node=sender)
    try:
        request_id = adapter.issue(make_certificate(exporter="XA", importer="XB")).request_id
        status, attempts, reason = _until_final(adapter, request_id)
    finally:
        adapter.close()
    assert (status, attempts, reason) == (_FAILED, ATTEMPTS, "RESOURCE_EXHAUSTED")
    seen = [a for a in exhausted_xb.attempts if a.request_id == request_id]
    assert len(seen) == ATTEMPTS
    assert len({a.envelope_bytes for a in seen}) == 1  # same bytes on every retry
    shown = sender.cli("status")
    assert shown.returncode == 0, shown.stderr
    assert "RESOURCE_EXHAUSTED" in shown.stdout, shown.stdout
    figures.record("permanent failures", rate_limited_attempts=len(seen))


def test_partner_failing_the_tls_handshake_ends_failed_after_max_attempts(
    node_factory: NodeFactory,
    exhausted_xb: FakePartner,
    xa: CountryPki,
    figures: Figures,
) -> None:
    """A partner whose server certificate the sender cannot verify: FAILED UNAVAILABLE.

    The sender is configured with the TLS CA of another "XB", so every handshake fails;
    no call reaches the partner.
    """
    assert exhausted_xb.proxy is not None
    impostor = make_country("XB")
    sender = node_factory(
        xa,
        partners=[Partner(pki=impostor, address=f"127.0.0.1:{exhausted_xb.proxy.port}")],
        delivery=_DELIVERY,
    )
    adapter = Adapter(node=sender)
    try:
        request_id = adapter.issue(make_certificate(exporter="XA", importer="XB")).request_id
        status, attempts, reason = _until_final(adapter, request_id)
    finally:
        adapter.close()
    assert (status, attempts, reason) == (_FAILED, ATTEMPTS, "UNAVAILABLE")
    assert exhausted_xb.attempts == []
    # The operator sees why: gRPC's message names the failed handshake.
    shown = sender.cli("status")
    assert shown.returncode == 0, shown.stderr
    assert "handshake failed" in shown.stdout.lower(), shown.stdout
    figures.record("permanent failures", tls_handshake_attempts=attempts)
