"""The example certificates in docs/examples/ that the README and docs/node.md demo use.

Each must parse strictly from the protobuf JSON mapping and, once the node has filled in its
issuing authority (as ``eco-node send`` does), pass every field rule of docs/spec.md
section 4 without a finding, so a new user's first ``send`` is accepted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from google.protobuf import json_format

from reference_node.core import payload_types
from reference_node.core.codelists import default_codelists
from reference_node.core.documents import parse_document
from reference_node.core.limits import Limits
from reference_node.core.validation import validate_document
from wco.eco.v1 import certificate_pb2, envelope_pb2

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.mark.parametrize("name", ["XA-1.json", "XA-2.json", "XA-3.json"])
def test_example_certificate_is_valid(name: str) -> None:
    co = certificate_pb2.CertificateOfOrigin()
    json_format.Parse((EXAMPLES / name).read_text(encoding="utf-8"), co)
    assert co.certificate_number == name.removesuffix(".json")
    co.issuing_authority.id = "xa-customs"
    co.issuing_authority.name = "XA Customs"
    envelope = envelope_pb2.Envelope(
        payload_type=payload_types.CERTIFICATE, payload=co.SerializeToString()
    )
    document = parse_document(envelope)
    findings = validate_document(
        document, codelists=default_codelists(), limits=Limits(), today=dt.date(2026, 11, 26)
    )
    assert list(findings) == []


def test_unknown_json_field_is_refused() -> None:
    text = (
        (EXAMPLES / "XA-1.json").read_text(encoding="utf-8").replace('"issuePlace"', '"issuePlaec"')
    )
    with pytest.raises(json_format.ParseError):
        json_format.Parse(text, certificate_pb2.CertificateOfOrigin())
