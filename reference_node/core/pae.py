"""DSSE v1 pre-authentication encoding (docs/spec.md REQ-SIG-003)."""

from __future__ import annotations

__all__ = ["pae"]


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return ``PAE(type, body)``, the exact bytes every signature covers.

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` where SP is 0x20,
    LEN is the byte length in ASCII decimal without leading zeros and the
    type is encoded as UTF-8 (REQ-SIG-003).

    Args:
        payload_type: The envelope's payload type.
        payload: The envelope's payload bytes, exactly as carried.

    Returns:
        The signature input.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"".join(
        (
            b"DSSEv1 ",
            str(len(type_bytes)).encode("ascii"),
            b" ",
            type_bytes,
            b" ",
            str(len(payload)).encode("ascii"),
            b" ",
            payload,
        )
    )
