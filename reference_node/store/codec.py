"""Encoding of lifecycle state for storage (docs/spec.md sections 7 and 8).

Certificate states and verification cases are stored as small JSON documents
(UTF-8 bytes) so that every field of the core dataclasses survives a restart
exactly: decimals as their text, times as integer microseconds.

The encoding is canonical: keys sorted, no whitespace, ASCII only (what
``json.dumps(data, sort_keys=True, separators=(",", ":"))`` writes).
:func:`encode_state` runs once per stored document in the store's writer
thread, so it writes that text directly instead of building a dictionary for
the generic encoder; the bytes are the same, and :func:`decode_state` reads
every blob written so far.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from reference_node.core.documents import CertificateRef
from reference_node.core.lifecycle import CertificateState, VerificationCase
from reference_node.store.sqlite import from_micros, to_micros

__all__ = ["decode_case", "decode_state", "encode_case", "encode_state"]

_VERSION = 1

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
#: JSON string literal (ASCII, escaped) of a Python string, as ``json.dumps`` writes it.
_quote = json.encoder.encode_basestring_ascii


def _ref(ref: CertificateRef | None) -> str | None:
    return ref.key if ref is not None else None


def _unref(key: str | None) -> CertificateRef | None:
    return CertificateRef.from_key(key) if key is not None else None


def _decimals(values: Any) -> dict[int, Decimal]:
    return {int(k): Decimal(v) for k, v in values.items()}


def _quote_ref(ref: CertificateRef | None) -> str:
    return "null" if ref is None else _quote(ref.key)


def _decimal_map(values: Mapping[int, Decimal]) -> str:
    """``{"<number>":"<decimal>",...}`` with the keys sorted as strings."""
    if not values:
        return "{}"
    # Item numbers and decimal texts are plain ASCII digits, signs, "." and
    # "E": nothing to escape.
    items = sorted([(str(k), str(v)) for k, v in values.items()])
    return "{" + ",".join([f'"{k}":"{v}"' for k, v in items]) + "}"


def encode_state(state: CertificateState) -> bytes:
    """Encode a :class:`CertificateState` (the canonical JSON of the module docstring).

    The keys are written in sorted order: ``import_state``,
    ``importing_country``, ``issuer_state``, ``item_quantities``, ``reason``,
    ``ref``, ``replaced_by``, ``replaces``, ``updated``, ``used``, ``v``.
    """
    # int(...) so that an IntEnum value is written as its number, like json.dumps does.
    text = (
        f'{{"import_state":{int(state.import_state)}'
        f',"importing_country":{_quote(state.importing_country)}'
        f',"issuer_state":{int(state.issuer_state)}'
        f',"item_quantities":{_decimal_map(state.item_quantities)}'
        f',"reason":{_quote(state.reason)}'
        f',"ref":{_quote(state.ref.key)}'
        f',"replaced_by":{_quote_ref(state.replaced_by)}'
        f',"replaces":{_quote_ref(state.replaces)}'
        f',"updated":{to_micros(state.updated)}'
        f',"used":{_decimal_map(state.used)}'
        f',"v":{_VERSION}}}'
    )
    return text.encode("ascii")


def _encode_state_generic(state: CertificateState) -> bytes:
    """The same encoding through the generic JSON encoder (reference for the tests)."""
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
    return _ENCODER.encode(data).encode("utf-8")


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
    return _ENCODER.encode(data).encode("utf-8")


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
