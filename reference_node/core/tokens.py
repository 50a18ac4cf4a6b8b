"""Opaque page tokens and feed cursors (docs/spec.md REQ-PULL-002, REQ-PULL-003).

A token encodes a feed sequence number with a version tag and a short
checksum, in URL-safe base64 without padding. No secret is needed: the token
only has to be recognisable as one this node issued, so random strings are
refused, and it stays valid across restarts because nothing about it depends
on process state.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from reference_node.core.errors import PageTokenInvalid

__all__ = ["decode_cursor", "encode_cursor"]

_VERSION = 1
_DOMAIN = b"wco-eco-cursor-v1"
_LAYOUT = struct.Struct(">BQ")
_CHECK_LEN = 4
_TOKEN_LEN = _LAYOUT.size + _CHECK_LEN
_MAX_SEQ = 2**64 - 1


def _check(body: bytes) -> bytes:
    return hashlib.sha256(_DOMAIN + body).digest()[:_CHECK_LEN]


def encode_cursor(seq: int) -> str:
    """Encode feed sequence ``seq`` (0 = before the first document) as a token.

    Args:
        seq: Sequence number of the last document returned, 0..2**64-1.

    Returns:
        The opaque token text.

    Raises:
        ValueError: ``seq`` is out of range (a programming error, not input).
    """
    if not 0 <= seq <= _MAX_SEQ:
        raise ValueError("sequence out of range")
    body = _LAYOUT.pack(_VERSION, seq)
    return base64.urlsafe_b64encode(body + _check(body)).rstrip(b"=").decode("ascii")


def decode_cursor(token: str) -> int:
    """Decode a token made by :func:`encode_cursor` (REQ-PULL-002).

    Args:
        token: The token as received from a caller.

    Returns:
        The sequence number it encodes.

    Raises:
        PageTokenInvalid: The token was not issued by a node of this protocol
            version (wrong alphabet, length, version or checksum).
    """
    if not token.isascii() or len(token) > 32:
        raise PageTokenInvalid("page token not issued by this node")
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, ValueError) as exc:
        raise PageTokenInvalid("page token not issued by this node") from exc
    if len(raw) != _TOKEN_LEN:
        raise PageTokenInvalid("page token not issued by this node")
    body, check = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if _check(body) != check:
        raise PageTokenInvalid("page token not issued by this node")
    version, seq = _LAYOUT.unpack(body)
    if version != _VERSION:
        raise PageTokenInvalid("page token not issued by this node")
    if encode_cursor(seq) != token:
        # Refuse non-canonical spellings (padding, trailing bits) too.
        raise PageTokenInvalid("page token not issued by this node")
    return int(seq)
