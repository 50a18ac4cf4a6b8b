"""The committed Python stubs under wco/ are what scripts/generate_stubs.py produces."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._scripts import ROOT


@pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None
    or importlib.util.find_spec("mypy_protobuf") is None,
    reason="grpcio-tools or mypy-protobuf is not installed (install the 'dev' extra)",
)
def test_generate_stubs_check_passes() -> None:
    venv_bin = str(Path(sys.executable).parent)
    plugin = shutil.which("protoc-gen-mypy_grpc", path=venv_bin) or shutil.which(
        "protoc-gen-mypy_grpc"
    )
    if plugin is None:
        pytest.skip("protoc-gen-mypy_grpc is not on the PATH")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_stubs.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_stubs_import_by_the_proto_package_path() -> None:
    from wco.eco.conformance.v1 import adapter_pb2
    from wco.eco.v1 import certificate_pb2, exchange_service_pb2_grpc

    assert certificate_pb2.DESCRIPTOR.name == "wco/eco/v1/certificate.proto"
    assert adapter_pb2.DESCRIPTOR.package == "wco.eco.conformance.v1"
    assert hasattr(exchange_service_pb2_grpc, "ExchangeServiceStub")
