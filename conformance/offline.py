"""Offline envelope verifier of the conformance suite (docs/spec.md section 5).

This module re-implements, from the spec alone, what a receiver checks about a signed
envelope before it looks at field rules: payload type (REQ-SIG-001), signatures and key ids
(REQ-SIG-003..006), the signer certificate (REQ-PKI-001..005), payload parsing (REQ-CO-001)
and signer authorisation (REQ-AUTH-001, REQ-AUTH-002). It is used by the suite's partner
node (sender role), by the static test vectors (``conformance/vectors``), by
``eco-conformance vectors verify`` and, through :func:`verify_signatures`, by
:func:`conformance.envelopes.verify_envelope` for receipts and directories the node under test
signs: it is the suite's only implementation of section 5.6. It needs only ``cryptography`` and
the generated stubs.

Every check raises a specific :class:`EnvelopeRejectedError` subclass carrying the spec's
``ErrorInfo`` reason and gRPC status code name; nothing returns a bool.

The signer checks run in the order of section 5.6 step 6: chain length and DER parsing
(REQ-PKI-001), signer profile (REQ-PKI-002), validity of every chain certificate (REQ-PKI-003),
path validation (REQ-PKI-004), revocation (REQ-PKI-005).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TextIO

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509 import verification
from google.protobuf import message as pb_message
from google.protobuf import unknown_fields

from wco.eco.v1 import certificate_pb2, envelope_pb2, lifecycle_pb2, verification_pb2

__all__ = [
    "CERTIFICATE_TYPE",
    "IMPORT_OUTCOME_TYPE",
    "PAYLOAD_CLASSES",
    "RECEIPT_TYPE",
    "STATUS_CHANGE_TYPE",
    "SUBMITTABLE_TYPES",
    "VERIFICATION_REQUEST_TYPE",
    "VERIFICATION_RESULT_TYPE",
    "EnvelopeRejectedError",
    "PayloadMalformedError",
    "PayloadTypeUnsupportedError",
    "ReceiptMismatchError",
    "SignatureInvalidError",
    "SignerExpiredError",
    "SignerIdentity",
    "SignerNotAuthorisedError",
    "SignerNotYetValidError",
    "SignerRevokedError",
    "SignerUntrustedError",
    "VectorOutcome",
    "VerifiedEnvelope",
    "VerifiedSigner",
    "key_id",
    "load_anchors",
    "main",
    "pae",
    "parse_strict",
    "print_vector_results",
    "recipient_country",
    "run_vector",
    "run_vectors",
    "sending_country",
    "signer_identity",
    "verify_envelope",
    "verify_receipt",
    "verify_signatures",
]

_PREFIX = "application/vnd.wco.eco."
CERTIFICATE_TYPE = _PREFIX + "certificate.v1+protobuf"
STATUS_CHANGE_TYPE = _PREFIX + "status-change.v1+protobuf"
IMPORT_OUTCOME_TYPE = _PREFIX + "import-outcome.v1+protobuf"
VERIFICATION_REQUEST_TYPE = _PREFIX + "verification-request.v1+protobuf"
VERIFICATION_RESULT_TYPE = _PREFIX + "verification-result.v1+protobuf"
RECEIPT_TYPE = _PREFIX + "receipt.v1+protobuf"

PAYLOAD_CLASSES: Mapping[str, type[pb_message.Message]] = {
    CERTIFICATE_TYPE: certificate_pb2.CertificateOfOrigin,
    STATUS_CHANGE_TYPE: lifecycle_pb2.StatusChange,
    IMPORT_OUTCOME_TYPE: lifecycle_pb2.ImportOutcome,
    VERIFICATION_REQUEST_TYPE: verification_pb2.VerificationRequest,
    VERIFICATION_RESULT_TYPE: verification_pb2.VerificationResult,
    RECEIPT_TYPE: envelope_pb2.Receipt,
}
"""Payload type -> message class of every payload type of docs/spec.md section 3."""

SUBMITTABLE_TYPES: frozenset[str] = frozenset(PAYLOAD_CLASSES) - {RECEIPT_TYPE}
"""Payload types ``SubmitDocument`` accepts (REQ-SIG-001: never receipts or directories)."""

_AUTHORITY_URI = re.compile(r"^urn:wco:eco:authority:([A-Z]{2}):([a-z0-9][a-z0-9-]{0,63})$")
_NODE_URI = re.compile(r"^urn:wco:eco:node:([A-Z]{2})$")
_MAX_SIGNATURES = 4
_MAX_CHAIN = 4


class EnvelopeRejectedError(Exception):
    """An envelope fails a check of docs/spec.md section 5.

    Attributes:
        reason: the ``ErrorInfo.reason`` a receiver returns (docs/spec.md section 9).
        code: the gRPC status code name that goes with the reason.
    """

    reason: ClassVar[str] = "UNSPECIFIED"
    code: ClassVar[str] = "UNKNOWN"

    def diagnostics(self) -> str:
        """Returns one line naming the reason, the code and the detail."""
        return f"{self.reason} ({self.code}): {self}"


class PayloadTypeUnsupportedError(EnvelopeRejectedError):
    """REQ-SIG-001: the payload type is not one of section 3, or not accepted here."""

    reason = "PAYLOAD_TYPE_UNSUPPORTED"
    code = "INVALID_ARGUMENT"


class SignatureInvalidError(EnvelopeRejectedError):
    """REQ-SIG-004..006: no signature verifies."""

    reason = "SIGNATURE_INVALID"
    code = "INVALID_ARGUMENT"


class SignerUntrustedError(EnvelopeRejectedError):
    """REQ-PKI-001, 002, 004: chain unparsable, profile broken or no path to an anchor."""

    reason = "SIGNER_UNTRUSTED"
    code = "PERMISSION_DENIED"


class SignerExpiredError(EnvelopeRejectedError):
    """REQ-PKI-003: a chain certificate's notAfter has passed."""

    reason = "SIGNER_EXPIRED"
    code = "PERMISSION_DENIED"


class SignerNotYetValidError(EnvelopeRejectedError):
    """REQ-PKI-003: a chain certificate's notBefore is in the future."""

    reason = "SIGNER_NOT_YET_VALID"
    code = "PERMISSION_DENIED"


class SignerRevokedError(EnvelopeRejectedError):
    """REQ-PKI-005: the signer key is revoked in its country's issuer directory."""

    reason = "SIGNER_REVOKED"
    code = "PERMISSION_DENIED"


class PayloadMalformedError(EnvelopeRejectedError):
    """REQ-CO-001: the payload does not parse or carries unknown fields."""

    reason = "PAYLOAD_MALFORMED"
    code = "INVALID_ARGUMENT"


class SignerNotAuthorisedError(EnvelopeRejectedError):
    """REQ-AUTH-001, 002: the signer may not sign this document."""

    reason = "SIGNER_NOT_AUTHORISED"
    code = "PERMISSION_DENIED"


class ReceiptMismatchError(EnvelopeRejectedError):
    """REQ-PUSH-004: a receipt that verifies but does not answer what was sent.

    Not a reason a node returns: the sender keeps the document pending and retries.
    """

    reason = "RECEIPT_MISMATCH"
    code = "FAILED_PRECONDITION"


@dataclass(frozen=True)
class SignerIdentity:
    """The identity a signer certificate's URI names (REQ-PKI-002).

    Attributes:
        uri: the URI subject alternative name.
        country: the country in the URI.
        authority_id: the authority id, or None for a node signer.
    """

    uri: str
    country: str
    authority_id: str | None


@dataclass(frozen=True)
class VerifiedSigner:
    """The signer an envelope was accepted with (docs/spec.md section 5.6 step 6).

    Attributes:
        identity: the identity its URI names.
        key_id: its signature's key id.
        certificate: its leaf certificate.
    """

    identity: SignerIdentity
    key_id: str
    certificate: x509.Certificate


@dataclass(frozen=True)
class VerifiedEnvelope:
    """An envelope that passed :func:`verify_envelope`.

    Attributes:
        payload_type: the envelope's payload type.
        document: the parsed payload.
        signer: the identity of the first valid signature's signer.
        key_id: that signature's key id.
        sending_country: the document's sending country (docs/spec.md section 5.3).
    """

    payload_type: str
    document: pb_message.Message
    signer: SignerIdentity
    key_id: str
    sending_country: str


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-authentication encoding of REQ-SIG-003.

    Args:
        payload_type: the envelope's payload type (encoded as UTF-8).
        payload: the payload bytes.

    Returns:
        ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def key_id(certificate: x509.Certificate) -> str:
    """Key id of REQ-SIG-004: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def parse_strict(payload_type: str, payload: bytes) -> pb_message.Message:
    """Parses a payload as the message of its type, refusing unknown fields (REQ-CO-001).

    Raises:
        PayloadTypeUnsupportedError: the payload type is unknown.
        PayloadMalformedError: the bytes do not parse or carry unknown fields at any depth.
    """
    cls = PAYLOAD_CLASSES.get(payload_type)
    if cls is None:
        raise PayloadTypeUnsupportedError(f"unknown payload type {payload_type!r}")
    document = cls()
    try:
        document.ParseFromString(payload)
    except pb_message.DecodeError as exc:
        raise PayloadMalformedError(
            f"payload does not parse as {cls.DESCRIPTOR.full_name}"
        ) from exc
    path = _unknown_field_path(document, cls.DESCRIPTOR.name)
    if path is not None:
        raise PayloadMalformedError(f"payload carries unknown fields in {path}")
    return document


def _unknown_field_path(msg: pb_message.Message, path: str) -> str | None:
    if len(unknown_fields.UnknownFieldSet(msg)) > 0:
        return path
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if field.is_repeated:
            if field.message_type.GetOptions().map_entry:
                continue
            for index, item in enumerate(value):
                found = _unknown_field_path(item, f"{path}.{field.name}[{index}]")
                if found is not None:
                    return found
        else:
            found = _unknown_field_path(value, f"{path}.{field.name}")
            if found is not None:
                return found
    return None


def sending_country(document: pb_message.Message) -> str:
    """The sending country of a document (docs/spec.md section 5.3).

    Raises:
        PayloadTypeUnsupportedError: the document is not a submittable document.
    """
    if isinstance(document, certificate_pb2.CertificateOfOrigin):
        return document.exporting_country
    if isinstance(document, lifecycle_pb2.StatusChange):
        return document.certificate.exporting_country
    if isinstance(document, lifecycle_pb2.ImportOutcome):
        return document.importing_country
    if isinstance(document, verification_pb2.VerificationRequest):
        return document.requesting_country
    if isinstance(document, verification_pb2.VerificationResult):
        return document.certificate.exporting_country
    raise PayloadTypeUnsupportedError(f"{type(document).__name__} is not a submitted document")


def recipient_country(document: pb_message.Message, *, importing_country: str = "") -> str:
    """The recipient country of a document, where the document itself names it.

    For a CO it is ``importing_country``; for a VerificationRequest the certificate's
    exporting country; for an ImportOutcome the certificate's exporting country. A
    StatusChange and a VerificationResult name only the exporting side, so their recipient is
    the CO's importing country, which the caller passes as ``importing_country``.
    """
    if isinstance(document, certificate_pb2.CertificateOfOrigin):
        return document.importing_country
    if isinstance(document, lifecycle_pb2.ImportOutcome | verification_pb2.VerificationRequest):
        return document.certificate.exporting_country
    return importing_country


class _UnparsableLeafError(SignatureInvalidError):
    """A signature whose leaf is present but is not DER (docs/spec.md section 5.6 step 5)."""


def _signature_valid(signature: envelope_pb2.Signature, message: bytes) -> x509.Certificate:
    """Checks one signature cryptographically (section 5.6 step 4); returns its leaf.

    Raises:
        SignatureInvalidError: the signature is not cryptographically valid
            (``_UnparsableLeafError`` when its leaf is present but does not parse).
    """
    if not signature.certificate_chain:
        raise SignatureInvalidError("signature carries no certificate")
    try:
        leaf = x509.load_der_x509_certificate(signature.certificate_chain[0])
    except ValueError as exc:
        raise _UnparsableLeafError("leaf certificate does not parse") from exc
    if key_id(leaf) != signature.key_id:
        raise SignatureInvalidError("key_id does not match the leaf certificate")
    public_key = leaf.public_key()
    try:
        if signature.algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256:
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
                public_key.curve, ec.SECP256R1
            ):
                raise SignatureInvalidError("ECDSA P-256 signature with a non P-256 key")
            public_key.verify(signature.signature, message, ec.ECDSA(hashes.SHA256()))
        elif signature.algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ED25519:
            if not isinstance(public_key, ed25519.Ed25519PublicKey):
                raise SignatureInvalidError("Ed25519 signature with a non Ed25519 key")
            public_key.verify(signature.signature, message)
        else:
            raise SignatureInvalidError(f"unsupported algorithm {signature.algorithm}")
    except InvalidSignature as exc:
        raise SignatureInvalidError("signature does not verify") from exc
    return leaf


def signer_identity(leaf: x509.Certificate) -> SignerIdentity:
    """Checks the signer profile of REQ-PKI-002 and returns the identity its URI names.

    Raises:
        SignerUntrustedError: the leaf breaks the profile.
    """
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    if len(uris) != 1:
        raise SignerUntrustedError("signer must carry exactly one URI subject alternative name")
    uri = uris[0]
    authority = _AUTHORITY_URI.match(uri)
    node = _NODE_URI.match(uri)
    if authority is not None:
        identity = SignerIdentity(uri=uri, country=authority[1], authority_id=authority[2])
    elif node is not None:
        identity = SignerIdentity(uri=uri, country=node[1], authority_id=None)
    else:
        raise SignerUntrustedError(f"signer URI {uri!r} is not an e-CO signer URI")
    try:
        usage_ext = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound as exc:
        raise SignerUntrustedError("signer has no KeyUsage extension") from exc
    if not usage_ext.critical:
        raise SignerUntrustedError("signer KeyUsage is not critical")
    if not usage_ext.value.digital_signature or usage_ext.value.key_cert_sign:
        raise SignerUntrustedError("signer KeyUsage must have digitalSignature and not keyCertSign")
    try:
        constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is not None and constraints.ca:
        raise SignerUntrustedError("signer certificate is a CA")
    return identity


def _check_validity(chain: Sequence[x509.Certificate], at: dt.datetime) -> None:
    """REQ-PKI-003 for every certificate of the presented chain."""
    for certificate in chain:
        if at > certificate.not_valid_after_utc:
            raise SignerExpiredError(
                f"certificate {certificate.subject.rfc4514_string()} expired "
                f"{certificate.not_valid_after_utc.isoformat()}"
            )
        if at < certificate.not_valid_before_utc:
            raise SignerNotYetValidError(
                f"certificate {certificate.subject.rfc4514_string()} valid from "
                f"{certificate.not_valid_before_utc.isoformat()}"
            )


def _validate_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime,
) -> None:
    """REQ-PKI-004: RFC 5280 path validation with cryptography's verifier."""
    if not anchors:
        raise SignerUntrustedError("no trust anchor configured for the signer's country")
    ee_policy = verification.ExtensionPolicy.permit_all()
    ca_policy = verification.ExtensionPolicy.webpki_defaults_ca()
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store(list(anchors)))
        .time(at)
        .max_chain_depth(_MAX_CHAIN)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, list(intermediates))
    except verification.VerificationError as exc:
        raise SignerUntrustedError(f"path validation failed: {exc}") from exc


def _verify_signer(
    signature: envelope_pb2.Signature,
    leaf: x509.Certificate,
    *,
    trust_anchors: Mapping[str, Sequence[x509.Certificate]],
    at: dt.datetime,
    revoked: Mapping[str, dt.datetime],
) -> SignerIdentity:
    if len(signature.certificate_chain) > _MAX_CHAIN:
        raise SignerUntrustedError(f"chain holds more than {_MAX_CHAIN} certificates")
    intermediates = []
    for der in signature.certificate_chain[1:]:
        try:
            intermediates.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            raise SignerUntrustedError("chain certificate does not parse") from exc
    identity = signer_identity(leaf)
    _check_validity([leaf, *intermediates], at)
    _validate_path(leaf, intermediates, trust_anchors.get(identity.country, ()), at)
    revocation = revoked.get(signature.key_id)
    if revocation is not None and revocation <= at:
        raise SignerRevokedError(f"key {signature.key_id} revoked at {revocation.isoformat()}")
    return identity


def verify_signatures(
    envelope: envelope_pb2.Envelope,
    *,
    trust_anchors: Mapping[str, Sequence[x509.Certificate]],
    at: dt.datetime,
    accepted_types: frozenset[str] | None = SUBMITTABLE_TYPES,
    revoked: Mapping[str, dt.datetime] | None = None,
) -> VerifiedSigner:
    """Verifies an envelope's type, signatures and signer (docs/spec.md section 5.6, steps 1..6).

    Every signature is checked cryptographically in envelope order (step 4). If none is valid,
    the envelope is refused with ``SIGNER_UNTRUSTED`` when some leaf was present but not DER,
    else ``SIGNATURE_INVALID`` (step 5). Then the signer of each valid signature is checked in
    envelope order; the first that passes is returned, and if none passes the error of the
    first valid signature is raised (step 6, REQ-SIG-005). The payload is not parsed.

    Args:
        envelope: the envelope as received.
        trust_anchors: country -> that country's document trust anchors.
        at: verification time (the receiver's current time), timezone-aware.
        accepted_types: payload types accepted (REQ-SIG-001); None accepts any type.
        revoked: key id -> revocation time, from the issuer directories (REQ-PKI-005).

    Returns:
        The accepted signer.

    Raises:
        EnvelopeRejectedError: the subclass names the first failed check.
    """
    if accepted_types is not None and envelope.payload_type not in accepted_types:
        raise PayloadTypeUnsupportedError(f"payload type {envelope.payload_type!r} not accepted")
    if not 1 <= len(envelope.signatures) <= _MAX_SIGNATURES:
        raise SignatureInvalidError(f"envelope must carry 1 to {_MAX_SIGNATURES} signatures")
    message = pae(envelope.payload_type, envelope.payload)
    valid: list[tuple[envelope_pb2.Signature, x509.Certificate]] = []
    problems: list[str] = []
    unparsable_leaf = False
    for index, signature in enumerate(envelope.signatures):
        try:
            valid.append((signature, _signature_valid(signature, message)))
        except SignatureInvalidError as exc:
            unparsable_leaf = unparsable_leaf or isinstance(exc, _UnparsableLeafError)
            problems.append(f"signature {index}: {exc}")
    if not valid:
        detail = "no signature verifies (" + "; ".join(problems) + ")"
        if unparsable_leaf:
            raise SignerUntrustedError(detail)
        raise SignatureInvalidError(detail)
    first_error: EnvelopeRejectedError | None = None
    for signature, leaf in valid:
        try:
            identity = _verify_signer(
                signature, leaf, trust_anchors=trust_anchors, at=at, revoked=revoked or {}
            )
        except EnvelopeRejectedError as exc:
            first_error = first_error or exc
            continue
        return VerifiedSigner(identity=identity, key_id=signature.key_id, certificate=leaf)
    assert first_error is not None
    raise first_error


def verify_envelope(
    envelope: envelope_pb2.Envelope,
    *,
    trust_anchors: Mapping[str, Sequence[x509.Certificate]],
    at: dt.datetime,
    accepted_types: frozenset[str] = SUBMITTABLE_TYPES,
    revoked: Mapping[str, dt.datetime] | None = None,
) -> VerifiedEnvelope:
    """Verifies a submitted envelope in the order of docs/spec.md section 5.4 (steps 4..7).

    Signatures and signer as :func:`verify_signatures` (section 5.6), then payload parsing
    (REQ-CO-001) and signer authorisation (REQ-AUTH-001, REQ-AUTH-002).

    Args:
        envelope: the envelope as received.
        trust_anchors: country -> that country's document trust anchors.
        at: verification time (the receiver's current time), timezone-aware.
        accepted_types: payload types accepted (REQ-SIG-001).
        revoked: key id -> revocation time, from the issuer directories (REQ-PKI-005).

    Returns:
        The parsed document and the signer identity.

    Raises:
        EnvelopeRejectedError: the subclass names the first failed check.
    """
    signer = verify_signatures(
        envelope,
        trust_anchors=trust_anchors,
        at=at,
        accepted_types=accepted_types,
        revoked=revoked,
    )
    identity = signer.identity
    document = parse_strict(envelope.payload_type, envelope.payload)
    if isinstance(document, envelope_pb2.Receipt):
        sender = document.receiver_country
    else:
        sender = sending_country(document)
    if identity.country != sender:
        raise SignerNotAuthorisedError(
            f"signer of {identity.country} may not sign a document sent by {sender!r}"
        )
    authority_id: str | None = None
    if isinstance(document, certificate_pb2.CertificateOfOrigin):
        authority_id = document.issuing_authority.id
    elif isinstance(document, lifecycle_pb2.StatusChange):
        authority_id = document.certificate.issuing_authority_id
    if authority_id is not None and identity.authority_id != authority_id:
        raise SignerNotAuthorisedError(
            f"document of authority {authority_id!r} signed by {identity.uri!r}"
        )
    return VerifiedEnvelope(
        payload_type=envelope.payload_type,
        document=document,
        signer=identity,
        key_id=signer.key_id,
        sending_country=sender,
    )


def verify_receipt(
    receipt_envelope: envelope_pb2.Envelope,
    *,
    receiver_country: str,
    trust_anchors: Sequence[x509.Certificate],
    at: dt.datetime,
    request_id: str,
    payload: bytes,
    payload_type: str,
) -> envelope_pb2.Receipt:
    """Verifies a receipt as a sender must (REQ-PUSH-003, REQ-PUSH-004).

    Args:
        receipt_envelope: the receipt envelope returned by the receiver.
        receiver_country: the country the document was sent to.
        trust_anchors: that country's document trust anchors.
        at: verification time.
        request_id: the request id that was sent.
        payload: the payload bytes that were sent.
        payload_type: the payload type that was sent.

    Returns:
        The verified Receipt.

    Raises:
        EnvelopeRejectedError: signature, signer or payload failure; ``SignerNotAuthorisedError``
            when the signer is not the node signer of ``receiver_country`` or when the
            receipt is signed by another signer; ``ReceiptMismatchError`` when it does not answer
            what was sent.
    """
    verified = verify_envelope(
        receipt_envelope,
        trust_anchors={receiver_country: trust_anchors},
        at=at,
        accepted_types=frozenset({RECEIPT_TYPE}),
    )
    if verified.signer.authority_id is not None or verified.signer.country != receiver_country:
        raise SignerNotAuthorisedError(
            f"receipt signed by {verified.signer.uri!r}, not a node signer"
        )
    receipt = verified.document
    assert isinstance(receipt, envelope_pb2.Receipt)
    expected_digest = hashlib.sha256(payload).hexdigest()
    if receipt.request_id != request_id:
        raise ReceiptMismatchError("receipt answers another request id")
    if receipt.payload_sha256 != expected_digest or receipt.payload_type != payload_type:
        raise ReceiptMismatchError("receipt names another payload")
    if receipt.receiver_country != receiver_country:
        raise ReceiptMismatchError("receipt names another receiver country")
    return receipt


@dataclass(frozen=True)
class VectorOutcome:
    """Result of checking one static test vector against this verifier.

    Attributes:
        name: the vector's directory name.
        expected_reason: the reason the vector states ("" when it must be accepted).
        actual_reason: the reason this verifier reached ("" when it accepted).
        detail: the verifier's message, if it refused.
    """

    name: str
    expected_reason: str
    actual_reason: str
    detail: str

    @property
    def matches(self) -> bool:
        """True when the verifier reached the vector's expected outcome."""
        return self.expected_reason == self.actual_reason


def load_anchors(pem: bytes) -> list[x509.Certificate]:
    """Loads a PEM bundle of trust anchors."""
    return x509.load_pem_x509_certificates(pem)


def run_vector(directory: Path) -> VectorOutcome:
    """Verifies one vector directory (``envelope.binpb``, ``vector.json``, anchors).

    Raises:
        OSError, ValueError: the vector directory is incomplete or unreadable.
    """
    metadata = json.loads((directory / "vector.json").read_text(encoding="utf-8"))
    envelope = envelope_pb2.Envelope()
    envelope.ParseFromString((directory / "envelope.binpb").read_bytes())
    anchors = {
        country: load_anchors((directory / relative).read_bytes())
        for country, relative in metadata["trust_anchors"].items()
    }
    at = dt.datetime.fromisoformat(metadata["verification_time"].replace("Z", "+00:00"))
    accepted = frozenset(metadata.get("accepted_payload_types") or SUBMITTABLE_TYPES)
    try:
        verify_envelope(envelope, trust_anchors=anchors, at=at, accepted_types=accepted)
    except EnvelopeRejectedError as exc:
        actual, detail = exc.reason, str(exc)
    else:
        actual, detail = "", ""
    return VectorOutcome(
        name=metadata["name"],
        expected_reason=metadata["expected"]["reason"],
        actual_reason=actual,
        detail=detail,
    )


def run_vectors(root: Path) -> list[VectorOutcome]:
    """Verifies every vector listed in ``root/index.json``, in index order."""
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    return [run_vector(root / entry["name"]) for entry in index["vectors"]]


def print_vector_results(root: Path, out: TextIO) -> int:
    """Verifies every vector under ``root``, prints one line each; returns an exit code.

    This is the body of ``eco-conformance vectors verify DIR`` and of
    ``python -m conformance.offline [DIR]``: 0 when every vector reached its expected
    outcome, 1 otherwise.
    """
    outcomes = run_vectors(root)
    failed = 0
    for outcome in outcomes:
        expected = outcome.expected_reason or "accept"
        actual = outcome.actual_reason or "accept"
        verdict = "ok  " if outcome.matches else "FAIL"
        if not outcome.matches:
            failed += 1
        out.write(f"{verdict} {outcome.name}: expected {expected}, got {actual}\n")
    out.write(f"{len(outcomes) - failed} passed, {failed} failed\n")
    return 0 if failed == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance.offline [DIR]``: verify the static test vectors."""
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else Path(__file__).resolve().parent / "vectors"
    return print_vector_results(root, sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
