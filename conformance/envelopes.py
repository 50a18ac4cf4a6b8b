"""Envelopes, PAE and signatures, written independently of any node (spec section 5).

The suite signs what it submits and verifies what the node under test returns
(receipts, directories) with this module only. Signing follows REQ-SIG-003
(PAE), REQ-SIG-004 (key id) and REQ-SIG-006 (ECDSA P-256/SHA-256 DER, Ed25519);
verification uses ``cryptography.x509.verification`` for path validation and
checks the signer profile of REQ-PKI-002 explicitly.

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
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509 import verification as xv

from conformance.errors import EnvelopeVerificationError
from conformance.pki import Credential, spki_key_id
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


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return the pre-authentication encoding of REQ-SIG-003.

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` with LEN the byte
    length in ASCII decimal and ``type`` encoded as UTF-8.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


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


def _check_profile(leaf: x509.Certificate, expected_uri: str) -> None:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise EnvelopeVerificationError("signer certificate has no subjectAltName") from None
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if uris != [expected_uri]:
        raise EnvelopeVerificationError(
            f"signer URI is {uris!r}, expected exactly [{expected_uri!r}] (REQ-PKI-002)"
        )
    try:
        ku_ext = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        raise EnvelopeVerificationError("signer certificate has no KeyUsage") from None
    if not ku_ext.critical or not ku_ext.value.digital_signature or ku_ext.value.key_cert_sign:
        raise EnvelopeVerificationError("signer KeyUsage violates REQ-PKI-002")
    try:
        bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return
    if bc.ca:
        raise EnvelopeVerificationError("signer certificate is a CA (REQ-PKI-002)")


def _verify_raw(leaf: x509.Certificate, signature: envelope_pb2.Signature, message: bytes) -> None:
    key = leaf.public_key()
    try:
        if signature.algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256:
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
                key.curve, ec.SECP256R1
            ):
                raise EnvelopeVerificationError("ECDSA P-256 declared for a non-P-256 key")
            key.verify(signature.signature, message, ec.ECDSA(hashes.SHA256()))
        elif signature.algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ED25519:
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise EnvelopeVerificationError("Ed25519 declared for a non-Ed25519 key")
            key.verify(signature.signature, message)
        else:
            raise EnvelopeVerificationError(
                f"unsupported signature algorithm {signature.algorithm}"
            )
    except InvalidSignature:
        raise EnvelopeVerificationError("signature does not verify over PAE") from None


def verify_envelope(
    envelope: envelope_pb2.Envelope,
    *,
    anchors: Sequence[x509.Certificate],
    expected_uri: str,
    now: dt.datetime,
    expected_payload_type: str | None = None,
) -> x509.Certificate:
    """Verify an envelope produced by the node under test (section 5).

    The envelope verifies when one signature is valid over PAE, its key id
    matches the leaf, the chain validates to ``anchors`` at ``now`` and the
    leaf follows the signer profile with exactly ``expected_uri``.

    Args:
        envelope: The envelope.
        anchors: Trust anchors of the signer's country.
        expected_uri: The only acceptable signer URI (REQ-PKI-002).
        now: Verification time.
        expected_payload_type: If given, the payload type must equal it.

    Returns:
        The verified signer certificate.

    Raises:
        EnvelopeVerificationError: With the first problem found.
    """
    if expected_payload_type is not None and envelope.payload_type != expected_payload_type:
        raise EnvelopeVerificationError(
            f"payload type is {envelope.payload_type!r}, expected {expected_payload_type!r}"
        )
    if not 1 <= len(envelope.signatures) <= 4:
        raise EnvelopeVerificationError(
            f"envelope has {len(envelope.signatures)} signatures, expected 1..4 (REQ-SIG-005)"
        )
    message = pae(envelope.payload_type, envelope.payload)
    problems: list[str] = []
    for index, signature in enumerate(envelope.signatures):
        try:
            if not 1 <= len(signature.certificate_chain) <= 4:
                raise EnvelopeVerificationError("certificate chain must hold 1..4 certificates")
            try:
                chain = [x509.load_der_x509_certificate(c) for c in signature.certificate_chain]
            except ValueError as exc:
                raise EnvelopeVerificationError(f"unparsable certificate: {exc}") from exc
            leaf = chain[0]
            if signature.key_id != spki_key_id(leaf):
                raise EnvelopeVerificationError("key_id does not match the leaf (REQ-SIG-004)")
            _verify_raw(leaf, signature, message)
            _check_profile(leaf, expected_uri)
            verifier = (
                xv.PolicyBuilder()
                .store(xv.Store(list(anchors)))
                .time(now)
                .extension_policies(
                    ca_policy=xv.ExtensionPolicy.webpki_defaults_ca(),
                    ee_policy=xv.ExtensionPolicy.permit_all(),
                )
                .build_client_verifier()
            )
            try:
                verifier.verify(leaf, chain[1:])
            except xv.VerificationError as exc:
                raise EnvelopeVerificationError(f"chain does not validate: {exc}") from exc
        except EnvelopeVerificationError as exc:
            problems.append(f"signature {index}: {exc.diagnostics()}")
            continue
        return leaf
    raise EnvelopeVerificationError("; ".join(problems))
