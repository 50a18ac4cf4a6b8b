"""Encoding of lifecycle state for storage (docs/spec.md sections 7 and 8).

Certificate states and verification cases are stored as small JSON documents
(UTF-8 bytes) so that every field of the core dataclasses survives a restart
exactly: decimals as their text, times as integer microseconds.
"""

from __future__ import annotations

import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from reference_node.core.documents import CertificateRef
from reference_node.core.lifecycle import CertificateState, VerificationCase
from reference_node.store.sqlite import from_micros, to_micros

__all__ = ["decode_case", "decode_state", "encode_case", "encode_state"]

_VERSION = 1


def _ref(ref: CertificateRef | None) -> str | None:
    return ref.key if ref is not None else None


def _unref(key: str | None) -> CertificateRef | None:
    return CertificateRef.from_key(key) if key is not None else None


def _decimals(values: Any) -> dict[int, Decimal]:
    return {int(k): Decimal(v) for k, v in values.items()}


def encode_state(state: CertificateState) -> bytes:
    """Encode a :class:`CertificateState`."""
    data = {
        "v": _VERSION,
        "ref": state.ref.key,
        "issuer_state": state.issuer_state,
        "import_state": state.import_state,
        "replaced_by": _ref(state.replaced_by),
        "replaces": _ref(state.replaces),
        "reason": state.reason,
        "used": {str(k): str(v) for k, v in state.used.items()},
        "item_quantities": {str(k): str(v) for k, v in state.item_quantities.items()},
        "updated": to_micros(state.updated),
        "importing_country": state.importing_country,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def decode_state(blob: bytes) -> CertificateState:
    """Decode what :func:`encode_state` wrote.

    Raises:
        ValueError: The blob is not an encoded state of a known version.
    """
    data = json.loads(blob.decode("utf-8"))
    if data.get("v") != _VERSION:
        raise ValueError("unknown certificate state encoding")
    return CertificateState(
        ref=CertificateRef.from_key(data["ref"]),
        issuer_state=int(data["issuer_state"]),
        import_state=int(data["import_state"]),
        replaced_by=_unref(data["replaced_by"]),
        replaces=_unref(data["replaces"]),
        reason=str(data["reason"]),
        used=MappingProxyType(_decimals(data["used"])),
        item_quantities=MappingProxyType(_decimals(data["item_quantities"])),
        updated=from_micros(int(data["updated"])),
        importing_country=str(data["importing_country"]),
    )


def encode_case(case: VerificationCase) -> bytes:
    """Encode a :class:`VerificationCase`."""
    data = {
        "v": _VERSION,
        "verification_id": case.verification_id,
        "certificate": case.certificate.key,
        "requesting_country": case.requesting_country,
        "state": case.state,
        "outcome": case.outcome,
        "request_document_id": case.request_document_id,
        "result_document_id": case.result_document_id,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def decode_case(blob: bytes) -> VerificationCase:
    """Decode what :func:`encode_case` wrote.

    Raises:
        ValueError: The blob is not an encoded case of a known version.
    """
    data = json.loads(blob.decode("utf-8"))
    if data.get("v") != _VERSION:
        raise ValueError("unknown verification case encoding")
    return VerificationCase(
        verification_id=str(data["verification_id"]),
        certificate=CertificateRef.from_key(data["certificate"]),
        requesting_country=str(data["requesting_country"]),
        state=int(data["state"]),
        outcome=int(data["outcome"]),
        request_document_id=str(data["request_document_id"]),
        result_document_id=data["result_document_id"],
    )
