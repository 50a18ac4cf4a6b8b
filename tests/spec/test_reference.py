"""docs/reference.md is generated from the proto comments and is not stale."""

from __future__ import annotations

import importlib.util

import pytest

from ._scripts import ROOT, load_script

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None,
    reason="grpcio-tools is not installed (install the 'dev' extra)",
)


@pytest.fixture(scope="module")
def rendered() -> str:
    script = load_script("proto_reference")
    text: str = script.render(script.compile_descriptors())
    return text


def test_committed_reference_regenerates_identically(rendered: str) -> None:
    committed = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert committed == rendered, "stale: run python scripts/proto_reference.py"


def test_reference_lists_every_service_message_and_enum(rendered: str) -> None:
    from wco.eco.v1 import (
        certificate_pb2,
        envelope_pb2,
        errors_pb2,
        exchange_service_pb2,
        lifecycle_pb2,
    )

    for module in (certificate_pb2, envelope_pb2, errors_pb2, exchange_service_pb2, lifecycle_pb2):
        file = module.DESCRIPTOR
        for message in file.message_types_by_name.values():
            assert f"### message `{message.full_name}`" in rendered
        for enum in file.enum_types_by_name.values():
            assert f"### enum `{enum.full_name}`" in rendered
        for service in file.services_by_name.values():
            assert f"### service `{service.full_name}`" in rendered


def test_reference_carries_comments(rendered: str) -> None:
    # A field comment, an enum value comment and an RPC comment reach the table rows.
    assert "| `payload` | 2 | `bytes` | The serialized payload message, exactly as signed. |" in (
        rendered
    )
    assert "| `ERROR_REASON_SIGNATURE_INVALID` | 1 | No signature verifies" in rendered
    assert "| `SubmitDocumentStream` | stream [`SubmitDocumentStreamRequest`]" in rendered
