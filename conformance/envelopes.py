"""Envelopes, PAE and signatures, written independently of any node (spec section 5).

The suite signs what it submits and verifies what the node under test returns
(receipts, directories) with this module only. Signing follows REQ-SIG-003
(PAE), REQ-SIG-004 (key id) and REQ-SIG-006 (ECDSA P-256/SHA-256 DER, Ed25519);
verification is :mod:`conformance.offline`'s implementation of section 5.6, with
the signer URI the caller expects.

Tamper helpers return modified copies of an envelope; each breaks exactly one
property so a case can name the one rule it checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from conformance import offline
from conformance.errors import EnvelopeVerificationError
from conformance.offline import pae
from conformance.pki import Credential
from wco.eco.v1 import envelope_pb2

__all__ = [
    "ALL_SUBMITTABLE_TYPES",
    "PAYLOAD_TYPE_CERTIFICATE",
    "PAYLOAD_TYPE_DIRECTORY",
    "PAYLOAD_TYPE_IMPORT_OUTCOME",
    "PAYLOAD_TYPE_RECEIPT",
    "PAYLOAD_TYPE_STATUS_CHANGE",
    "PAYLOAD_TYPE_VERIFICATION_REQUEST",
    "PAYLOAD_TYPE_VERIFICATION_RESULT",
    "corrupt_signature",
    "envelope_bytes",
    "flip_payload_bit",
    "pae",
    "payload_sha256",
    "payload_type",
    "replace_chain",
    "sign_envelope",
    "verify_envelope",
    "with_key_id",
]

logger = logging.getLogger(__name__)


def payload_type(suffix: str) -> str:
    """Return the payload type ``application/vnd.wco.eco.<suffix>.v1+protobuf`` (section 3)."""
    return f"application/vnd.wco.eco.{suffix}.v1+protobuf"


PAYLOAD_TYPE_CERTIFICATE: Final = payload_type("certificate")
PAYLOAD_TYPE_STATUS_CHANGE: Final = payload_type("status-change")
PAYLOAD_TYPE_IMPORT_OUTCOME: Final = payload_type("import-outcome")
PAYLOAD_TYPE_VERIFICATION_REQUEST: Final = payload_type("verification-request")
PAYLOAD_TYPE_VERIFICATION_RESULT: Final = payload_type("verification-result")
PAYLOAD_TYPE_RECEIPT: Final = payload_type("receipt")
PAYLOAD_TYPE_DIRECTORY: Final = payload_type("issuer-directory")
ALL_SUBMITTABLE_TYPES: Final = (
    PAYLOAD_TYPE_CERTIFICATE,
    PAYLOAD_TYPE_STATUS_CHANGE,
    PAYLOAD_TYPE_IMPORT_OUTCOME,
    PAYLOAD_TYPE_VERIFICATION_REQUEST,
    PAYLOAD_TYPE_VERIFICATION_RESULT,
)


def payload_sha256(payload: bytes) -> str:
    """Return the lowercase hex SHA-256 of payload bytes (Receipt.payload_sha256)."""
    return hashlib.sha256(payload).hexdigest()


def envelope_bytes(envelope: envelope_pb2.Envelope) -> bytes:
    """Return the serialized envelope (used for bit-identical comparisons)."""
    return envelope.SerializeToString()


def _algorithm_for(signer: Credential) -> envelope_pb2.SignatureAlgorithm:
    if isinstance(signer.key, ed25519.Ed25519PrivateKey):
        return envelope_pb2.SIGNATURE_ALGORITHM_ED25519
    return envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256


def _raw_sign(signer: Credential, message: bytes) -> bytes:
    if isinstance(signer.key, ed25519.Ed25519PrivateKey):
        return signer.key.sign(message)
    return signer.key.sign(message, ec.ECDSA(hashes.SHA256()))


def sign_envelope(
    payload_type: str,
    payload: bytes,
    signers: Sequence[Credential],
    *,
    algorithm: envelope_pb2.SignatureAlgorithm | None = None,
) -> envelope_pb2.Envelope:
    """Sign ``payload`` and wrap it in an Envelope (REQ-SIG-003..006, REQ-PKI-001).

    Args:
        payload_type: Media type of the payload.
        payload: The exact payload bytes; never re-serialized.
        signers: One signature is made per credential, in order.
        algorithm: Algorithm to declare; defaults to the one matching each key
            (declaring another one produces a deliberately invalid signature).

    Returns:
        The envelope.
    """
    message = pae(payload_type, payload)
    envelope = envelope_pb2.Envelope(payload_type=payload_type, payload=payload)
    for signer in signers:
        envelope.signatures.append(
            envelope_pb2.Signature(
                algorithm=algorithm if algorithm is not None else _algorithm_for(signer),
                key_id=signer.key_id,
                signature=_raw_sign(signer, message),
                certificate_chain=signer.chain_der(),
            )
        )
    return envelope


def _copy(envelope: envelope_pb2.Envelope) -> envelope_pb2.Envelope:
    out = envelope_pb2.Envelope()
    out.CopyFrom(envelope)
    return out


def flip_payload_bit(envelope: envelope_pb2.Envelope, *, index: int = 0) -> envelope_pb2.Envelope:
    """Return a copy whose payload differs in one bit (signature no longer covers it)."""
    out = _copy(envelope)
    data = bytearray(out.payload)
    if not data:
        data = bytearray(b"\x00")
    position = index % len(data)
    data[position] ^= 0x01
    out.payload = bytes(data)
    return out


def corrupt_signature(envelope: envelope_pb2.Envelope, *, which: int = 0) -> envelope_pb2.Envelope:
    """Return a copy whose signature ``which`` is replaced by a valid-looking wrong one."""
    out = _copy(envelope)
    sig = bytearray(out.signatures[which].signature)
    sig[-1] ^= 0x01
    out.signatures[which].signature = bytes(sig)
    return out


def with_key_id(
    envelope: envelope_pb2.Envelope, key_id: str, *, which: int = 0
) -> envelope_pb2.Envelope:
    """Return a copy whose signature ``which`` declares another key id (REQ-SIG-004)."""
    out = _copy(envelope)
    out.signatures[which].key_id = key_id
    return out


def replace_chain(
    envelope: envelope_pb2.Envelope, chain: Sequence[bytes], *, which: int = 0
) -> envelope_pb2.Envelope:
    """Return a copy whose signature ``which`` carries another certificate chain."""
    out = _copy(envelope)
    del out.signatures[which].certificate_chain[:]
    out.signatures[which].certificate_chain.extend(chain)
    return out


def verify_envelope(
    envelope: envelope_pb2.Envelope,
    *,
    anchors: Sequence[x509.Certificate],
    expected_uri: str,
    now: dt.datetime,
    expected_payload_type: str | None = None,
) -> x509.Certificate:
    """Verify an envelope produced by the node under test (docs/spec.md section 5.6).

    The signatures and signers are checked by :func:`conformance.offline.verify_signatures`
    (the suite's one implementation of section 5.6) with ``anchors`` as the trust anchors of
    the country ``expected_uri`` names; then the accepted signer's URI must be exactly
    ``expected_uri``, as a sender checks a receipt and a node a directory (section 5.6, last
    paragraph). The payload is not parsed.

    Args:
        envelope: The envelope.
        anchors: Trust anchors of the signer's country.
        expected_uri: The only acceptable signer URI (REQ-PKI-002).
        now: Verification time.
        expected_payload_type: If given, the only accepted payload type (REQ-SIG-001).

    Returns:
        The verified signer certificate.

    Raises:
        EnvelopeVerificationError: With the spec reason of the first problem found.
    """
    parts = expected_uri.split(":")
    if len(parts) < 5 or parts[:3] != ["urn", "wco", "eco"]:
        raise EnvelopeVerificationError(f"{expected_uri!r} is not an e-CO signer URI")
    accepted = None if expected_payload_type is None else frozenset({expected_payload_type})
    try:
        signer = offline.verify_signatures(
            envelope, trust_anchors={parts[4]: anchors}, at=now, accepted_types=accepted
        )
    except offline.EnvelopeRejectedError as exc:
        raise EnvelopeVerificationError(exc.diagnostics()) from None
    if signer.identity.uri != expected_uri:
        raise EnvelopeVerificationError(
            f"signer URI is {signer.identity.uri!r}, expected {expected_uri!r} (REQ-PKI-002)"
        )
    return signer.certificate
