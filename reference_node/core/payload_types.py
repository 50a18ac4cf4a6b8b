"""Payload types of the envelopes (docs/spec.md section 3, REQ-SIG-001).

Payload types are ``application/vnd.wco.eco.<suffix>.v1+protobuf``. Only the
first five may be submitted; receipts and issuer directories are produced by
nodes and never accepted by ``SubmitDocument``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from google.protobuf.message import Message

from wco.eco.v1 import (
    certificate_pb2,
    directory_pb2,
    envelope_pb2,
    exchange_service_pb2,
    lifecycle_pb2,
    verification_pb2,
)

__all__ = [
    "CERTIFICATE",
    "IMPORT_OUTCOME",
    "ISSUER_DIRECTORY",
    "KIND_BY_TYPE",
    "MESSAGE_BY_TYPE",
    "RECEIPT",
    "STATUS_CHANGE",
    "SUBMITTABLE",
    "TYPE_BY_KIND",
    "VERIFICATION_REQUEST",
    "VERIFICATION_RESULT",
]


def _media_type(suffix: str) -> str:
    return f"application/vnd.wco.eco.{suffix}.v1+protobuf"


CERTIFICATE = _media_type("certificate")
STATUS_CHANGE = _media_type("status-change")
IMPORT_OUTCOME = _media_type("import-outcome")
VERIFICATION_REQUEST = _media_type("verification-request")
VERIFICATION_RESULT = _media_type("verification-result")
RECEIPT = _media_type("receipt")
ISSUER_DIRECTORY = _media_type("issuer-directory")

#: Payload types a node accepts in ``SubmitDocument`` (REQ-SIG-001).
SUBMITTABLE: frozenset[str] = frozenset(
    {CERTIFICATE, STATUS_CHANGE, IMPORT_OUTCOME, VERIFICATION_REQUEST, VERIFICATION_RESULT}
)

#: Payload type -> ``DocumentKind`` value, for the submittable types.
KIND_BY_TYPE: Mapping[str, int] = MappingProxyType(
    {
        CERTIFICATE: exchange_service_pb2.DOCUMENT_KIND_CERTIFICATE,
        STATUS_CHANGE: exchange_service_pb2.DOCUMENT_KIND_STATUS_CHANGE,
        IMPORT_OUTCOME: exchange_service_pb2.DOCUMENT_KIND_IMPORT_OUTCOME,
        VERIFICATION_REQUEST: exchange_service_pb2.DOCUMENT_KIND_VERIFICATION_REQUEST,
        VERIFICATION_RESULT: exchange_service_pb2.DOCUMENT_KIND_VERIFICATION_RESULT,
    }
)

#: ``DocumentKind`` value -> payload type.
TYPE_BY_KIND: Mapping[int, str] = MappingProxyType({v: k for k, v in KIND_BY_TYPE.items()})

#: Payload type -> protobuf message class of its payload.
MESSAGE_BY_TYPE: Mapping[str, type[Message]] = MappingProxyType(
    {
        CERTIFICATE: certificate_pb2.CertificateOfOrigin,
        STATUS_CHANGE: lifecycle_pb2.StatusChange,
        IMPORT_OUTCOME: lifecycle_pb2.ImportOutcome,
        VERIFICATION_REQUEST: verification_pb2.VerificationRequest,
        VERIFICATION_RESULT: verification_pb2.VerificationResult,
        RECEIPT: envelope_pb2.Receipt,
        ISSUER_DIRECTORY: directory_pb2.IssuerDirectory,
    }
)
