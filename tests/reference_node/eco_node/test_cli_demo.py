"""Real ``eco-node`` processes: the two-node demo and kill -9 restarts (issue 3, REQ-PUSH-001)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from google.protobuf import json_format

from wco.eco.v1 import (
    exchange_service_pb2,
    exchange_service_pb2_grpc,
    lifecycle_pb2,
    verification_pb2,
)

from .helpers import authority, channel, make_co, signed

REPO = Path(__file__).resolve().parents[3]
ex = exchange_service_pb2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["ECO_NODE_LOG_LEVEL"] = "WARNING"
    return env


def eco(root: Path, cc: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "reference_node", "--config", str(root / f"{cc}.toml"), *args],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


class Serve:
    def __init__(self, root: Path, cc: str) -> None:
        self.port_file = root / f"{cc}.port"
        self.port_file.unlink(missing_ok=True)
        self.log = (root / f"{cc}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reference_node", "--config", str(root / f"{cc}.toml"), "serve"],
            cwd=root,
            env=_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not (self.port_file.exists() and self.port_file.read_text().strip().isdigit()):
            assert self.process.poll() is None, (root / f"{cc}.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        self.port = int(self.port_file.read_text())

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self.log.close()


@pytest.fixture
def two_nodes(tmp_path: Path) -> tuple[Path, int, int]:
    pa, pb = _free_port(), _free_port()
    for cc, other, port, oport in (("XA", "XB", pa, pb), ("XB", "XA", pb, pa)):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "reference_node",
                "init",
                "--country",
                cc,
                "--dir",
                str(tmp_path),
                "--partner",
                f"{other}=127.0.0.1:{oport}",
                "--listen",
                f"127.0.0.1:{port}",
            ],
            env=_env(),
            check=True,
            capture_output=True,
            timeout=60,
        )
    return tmp_path, pa, pb


def _co_file(root: Path, number: str) -> Path:
    co = make_co("XA", "XB", number)
    co.ClearField("issuing_authority")  # filled by the node from its configuration
    path = root / f"{number}.json"
    path.write_text(json_format.MessageToJson(co), encoding="utf-8")
    return path


def test_demo_flow_between_two_serving_nodes(two_nodes: tuple[Path, int, int]) -> None:
    root, _, _ = two_nodes
    xa, xb = Serve(root, "XA"), Serve(root, "XB")
    try:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(
            channel(root, "XA", f"127.0.0.1:{xb.port}")
        )

        def at_xb(number: str) -> lifecycle_pb2.CertificateStatus:
            ref = {
                "exporting_country": "XA",
                "issuing_authority_id": "xa-customs",
                "certificate_number": number,
            }
            return stub.GetCertificateStatus(ex.GetCertificateStatusRequest(certificate=ref)).status

        out = eco(root, "XA", "send", str(_co_file(root, "XA-DEMO-1"))).stdout
        assert "DELIVERED" in out
        assert at_xb("XA-DEMO-1").issuer_state == lifecycle_pb2.ISSUER_STATE_ISSUED
        eco(root, "XA", "cancel", "XA/xa-customs/XA-DEMO-1", "--reason", "issued in error")
        assert at_xb("XA-DEMO-1").issuer_state == lifecycle_pb2.ISSUER_STATE_CANCELLED
        eco(root, "XA", "send", str(_co_file(root, "XA-DEMO-2")))
        eco(root, "XA", "replace", "XA/xa-customs/XA-DEMO-2", str(_co_file(root, "XA-DEMO-3")))
        replaced = at_xb("XA-DEMO-2")
        assert replaced.issuer_state == lifecycle_pb2.ISSUER_STATE_REPLACED
        assert replaced.replaced_by.certificate_number == "XA-DEMO-3"
        assert at_xb("XA-DEMO-3").replaces.certificate_number == "XA-DEMO-2"
        # XA's own view after the verified receipt (section 7).
        assert '"IMPORT_STATE_RECEIVED"' in eco(root, "XA", "get", "XA/xa-customs/XA-DEMO-3").stdout
        request = eco(
            root, "XB", "verify-request", "XA/xa-customs/XA-DEMO-3", "--reason", "ORIGIN_DOUBT"
        ).stdout
        verification_id = request.split("verification_id ")[1].split()[0]
        assert "VERIFICATION_STATE_REQUESTED" in eco(root, "XA", "get", verification_id).stdout
        eco(root, "XA", "verify-respond", verification_id, "--outcome", "CONFIRMED")
        answer = stub.GetVerificationStatus(
            ex.GetVerificationStatusRequest(verification_id=verification_id)
        )
        assert answer.state == verification_pb2.VERIFICATION_STATE_ANSWERED
        assert answer.outcome == verification_pb2.VERIFICATION_OUTCOME_CONFIRMED
        # A refused command: one line, exit 1, no traceback.
        bad = eco(root, "XA", "cancel", "XA/xa-customs/XA-DEMO-1", "--reason", "again", check=False)
        assert bad.returncode == 1
        assert (
            bad.stderr.strip().splitlines()[-1].startswith("eco-node: refused: ILLEGAL_TRANSITION")
        )
        assert "Traceback" not in bad.stderr
        status = eco(root, "XA", "status").stdout
        assert "FAILED" not in status
        assert status.count("DELIVERED") == 5
        assert "outbox_delivered=5" in status.splitlines()[0]
    finally:
        xa.stop()
        xb.stop()


def test_kill9_loses_no_acknowledged_or_queued_document(two_nodes: tuple[Path, int, int]) -> None:
    root, _, pb = two_nodes
    # Queue three COs at XA while XB is down, then crash XA's serve while it retries.
    for i in range(3):
        eco(root, "XA", "send", "--no-wait", str(_co_file(root, f"XA-Q-{i}")))
    xa = Serve(root, "XA")
    time.sleep(0.3)
    xa.kill9()
    assert eco(root, "XA", "status").stdout.count("PENDING") == 3
    # XB acknowledges direct submissions, then is killed.
    xb = Serve(root, "XB")
    signer = authority(root, "XA")
    acked = []
    with channel(root, "XA", f"127.0.0.1:{xb.port}") as ch:
        stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
        for _ in range(5):
            rid = str(uuid.uuid4())
            stub.SubmitDocument(
                ex.SubmitDocumentRequest(
                    request_id=rid, envelope=signed(signer, make_co("XA", "XB"))
                )
            )
            acked.append(rid)
    xb.kill9()
    xb = Serve(root, "XB")
    assert xb.port == pb
    xa = Serve(root, "XA")
    try:
        with channel(root, "XA", f"127.0.0.1:{xb.port}") as ch:
            stub = exchange_service_pb2_grpc.ExchangeServiceStub(ch)
            for rid in acked:
                assert (
                    stub.GetDocument(ex.GetDocumentRequest(request_id=rid)).document.request_id
                    == rid
                )
            deadline = time.monotonic() + 30
            while "PENDING" in eco(root, "XA", "status").stdout:
                assert time.monotonic() < deadline
                time.sleep(0.2)
            for i in range(3):
                ref = {
                    "exporting_country": "XA",
                    "issuing_authority_id": "xa-customs",
                    "certificate_number": f"XA-Q-{i}",
                }
                stub.GetCertificateStatus(ex.GetCertificateStatusRequest(certificate=ref))
    finally:
        xa.stop()
        xb.stop()
