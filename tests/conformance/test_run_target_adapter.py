"""Target mode the way docs/conformance.md walks an operator through it, every profile.

``eco-conformance pki init --listen`` writes the suite PKI and a configuration of the
reference node as the node under test; the suite then tests that node in real
subprocesses over mutual TLS, with the adapter in spawn mode (the suite starts
``eco-node ... adapter`` and waits for it to serve) and in attach mode (the adapter
already serves ``AdapterService``). Both runs must end PASS.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pki_init(tmp_path: Path, listen: str) -> tuple[Path, str]:
    pki = tmp_path / "pki"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "pki", "init", "--dir", str(pki), "--listen", listen],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = pki / "reference-node.toml"
    assert config.is_file()
    assert f'listen = "{listen}"' in config.read_text("utf-8")
    assert f"--adapter 'eco-node --config {config.resolve()} adapter'" in done.stdout
    return pki, done.stdout


def _run(pki: Path, listen: str, adapter: list[str], reports: Path) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--target",
            listen,
            "--node-country",
            "XB",
            "--pki",
            str(pki),
            "--tls-ca",
            str(pki / "XB" / "tls-ca.pem"),
            "--node-trust-anchors",
            str(pki / "XB" / "anchors.pem"),
            *adapter,
            "--seed",
            "2",
            "--examples",
            "10",
            "--report-dir",
            str(reports),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("PASS: ")
    report: dict[str, object] = json.loads((reports / "report.json").read_text("utf-8"))
    return report


def test_spawn_mode_every_profile_passes(tmp_path: Path) -> None:
    listen = f"127.0.0.1:{_free_port()}"
    pki, _ = _pki_init(tmp_path, listen)
    adapter = f"{sys.executable} -m reference_node --config {pki / 'reference-node.toml'} adapter"
    report = _run(pki, listen, ["--adapter", adapter], tmp_path / "reports")
    profiles = report["summary"]["profiles"]  # type: ignore[index]
    assert set(profiles) == {
        "core",
        "lifecycle",
        "verification",
        "pull",
        "sender",
        "transport-security",
    }
    assert {p["verdict"] for p in profiles.values()} == {"PASS"}
    assert (tmp_path / "reports" / "adapter.log").is_file()


def test_attach_mode_every_profile_passes(tmp_path: Path) -> None:
    listen = f"127.0.0.1:{_free_port()}"
    adapter_address = f"127.0.0.1:{_free_port()}"
    pki, _ = _pki_init(tmp_path, listen)
    port_file = pki / "reference-node.port"
    with (tmp_path / "node.log").open("wb") as log:
        node = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reference_node",
                "--config",
                str(pki / "reference-node.toml"),
                "adapter",
                "--listen",
                adapter_address,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not (port_file.exists() and port_file.read_text().strip().isdigit()):
                assert node.poll() is None, (tmp_path / "node.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the node did not start"
                time.sleep(0.05)
            report = _run(pki, listen, ["--adapter-address", adapter_address], tmp_path / "reports")
        finally:
            node.terminate()
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.kill()
                pytest.fail("the node did not stop on SIGTERM")
    assert report["verdict"] == "PASS"
