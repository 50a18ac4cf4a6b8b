"""``eco-node adapter`` as the conformance suite spawns it (adapter.proto, stdio framing)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from conformance.adapter_client import AdapterClient
from reference_node.adapter import AdapterExecutor
from reference_node.server.status import reason_of_status
from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import envelope_pb2, lifecycle_pb2

from .helpers import RunningNode, make_co, make_pkis, write_config

REPO = Path(__file__).resolve().parents[3]


def test_adapter_issues_delivers_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_pkis(tmp_path, ["XA", "XB"])
    receiver = RunningNode(write_config(tmp_path, "XB", {"XA": ""}))
    config = write_config(tmp_path, "XA", {"XB": ""})
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("ECO_NODE_LOG_LEVEL", "INFO")
    client = AdapterClient.spawn(
        [sys.executable, "-m", "reference_node", "adapter", "--config", str(config)],
        log_path=tmp_path / "adapter.log",
        cwd=tmp_path,
    )
    try:
        port_file = tmp_path / "port-XA"
        deadline = time.monotonic() + 60
        while not port_file.exists():
            assert time.monotonic() < deadline, client.log_tail()
            assert "error" not in client.log_tail(), client.log_tail()
            time.sleep(0.05)
        described = client.run(adapter_pb2.ExecuteRequest(describe=adapter_pb2.DescribeCommand()))
        assert described.describe.country == "XA"
        assert described.describe.issuing_authority_id == "xa-customs"
        # initial_backoff_ms + poll_interval_ms of the helper's [delivery] table
        assert described.describe.delivers_unprompted
        assert described.describe.unprompted_delivery_bound_ms == 100
        client.run(
            adapter_pb2.ExecuteRequest(
                configure_partner=adapter_pb2.ConfigurePartnerCommand(
                    country="XB",
                    address=receiver.address,
                    tls_ca_pem=(tmp_path / "XB" / "tls-ca.pem").read_bytes(),
                )
            )
        )
        co = make_co("XA", "XB", "XA-ADAPT-1")
        co.ClearField("issuing_authority")
        queued = client.run(
            adapter_pb2.ExecuteRequest(
                issue_certificate=adapter_pb2.IssueCertificateCommand(certificate=co)
            )
        ).queued
        assert queued.recipient_country == "XB"
        assert queued.certificate.issuing_authority_id == "xa-customs"
        report = client.run(
            adapter_pb2.ExecuteRequest(deliver=adapter_pb2.DeliverCommand(timeout_ms=20000))
        ).outbox
        [entry] = [e for e in report.entries if e.request_id == queued.request_id]
        assert entry.status == envelope_pb2.DELIVERY_STATUS_DELIVERED
        assert entry.receipt.payload_type.endswith("receipt.v1+protobuf")
        stored = receiver.node.store.document_by_request("XA", queued.request_id)
        assert stored is not None
        # A refused command answers with the node's status and reason, and the adapter lives on.
        refused = client.execute(
            adapter_pb2.ExecuteRequest(
                change_status=adapter_pb2.ChangeStatusCommand(
                    certificate={
                        "exporting_country": "XA",
                        "issuing_authority_id": "xa-customs",
                        "certificate_number": "NOPE-1",
                    },
                    new_state=lifecycle_pb2.ISSUER_STATE_CANCELLED,
                    reason="test",
                )
            )
        )
        assert refused.HasField("error")
        assert reason_of_status(refused.error) == "UNKNOWN_DOCUMENT"
        assert client.run(
            adapter_pb2.ExecuteRequest(get_outbox=adapter_pb2.GetOutboxCommand())
        ).outbox.entries
    finally:
        client.close()
        receiver.stop()
    assert "Traceback" not in (tmp_path / "adapter.log").read_text()


def test_adapter_restart_keeps_port_data_and_partners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RestartCommand: same port, same outbox and documents, partner settings kept."""
    make_pkis(tmp_path, ["XA", "XB"])
    receiver = RunningNode(write_config(tmp_path, "XB", {"XA": ""}))
    config = write_config(tmp_path, "XA", {"XB": ""})
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    client = AdapterClient.spawn(
        [sys.executable, "-m", "reference_node", "adapter", "--config", str(config)],
        log_path=tmp_path / "adapter.log",
        cwd=tmp_path,
    )
    port_file = tmp_path / "port-XA"

    def deliver(number: str) -> adapter_pb2.OutboxEntry:
        co = make_co("XA", "XB", number)
        queued = client.run(
            adapter_pb2.ExecuteRequest(
                issue_certificate=adapter_pb2.IssueCertificateCommand(certificate=co)
            )
        ).queued
        report = client.run(
            adapter_pb2.ExecuteRequest(deliver=adapter_pb2.DeliverCommand(timeout_ms=20000))
        ).outbox
        [entry] = [e for e in report.entries if e.request_id == queued.request_id]
        return entry

    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            assert time.monotonic() < deadline, client.log_tail()
            time.sleep(0.05)
        port = port_file.read_text().strip()
        client.run(
            adapter_pb2.ExecuteRequest(
                configure_partner=adapter_pb2.ConfigurePartnerCommand(
                    country="XB",
                    address=receiver.address,
                    tls_ca_pem=(tmp_path / "XB" / "tls-ca.pem").read_bytes(),
                )
            )
        )
        before = deliver("XA-RESTART-1")
        assert before.status == envelope_pb2.DELIVERY_STATUS_DELIVERED
        assert client.restart() is True
        assert port_file.read_text().strip() == port
        outbox = client.run(
            adapter_pb2.ExecuteRequest(get_outbox=adapter_pb2.GetOutboxCommand())
        ).outbox
        [kept] = [e for e in outbox.entries if e.request_id == before.request_id]
        assert kept.status == envelope_pb2.DELIVERY_STATUS_DELIVERED
        assert kept.receipt == before.receipt
        after = deliver("XA-RESTART-2")
        assert after.status == envelope_pb2.DELIVERY_STATUS_DELIVERED, after.last_error_reason
    finally:
        client.close()
        receiver.stop()
    assert "Traceback" not in (tmp_path / "adapter.log").read_text()


def test_adapter_answers_an_unknown_command_unimplemented() -> None:
    """A command this adapter does not know (none set, or a newer one) is UNIMPLEMENTED."""
    runtime: Any = SimpleNamespace(node=object())
    executor = AdapterExecutor(runtime=runtime)
    response = asyncio.run(executor.execute(adapter_pb2.ExecuteRequest(command_id="c-1")))
    assert response.command_id == "c-1"
    assert response.error.code == grpc.StatusCode.UNIMPLEMENTED.value[0]
