"""Parsing of submitted documents (docs/spec.md sections 3, 5.3, REQ-CO-001).

:func:`parse_document` turns an envelope's payload into a :class:`Document`:
the parsed message plus what the rest of the pipeline needs to know about
it (kind, sending and recipient country per section 5.3, the certificate it
concerns, the verification case id).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message

from reference_node.core import payload_types
from reference_node.core.errors import PayloadMalformed, PayloadTypeUnsupported
from reference_node.core.trust import has_unknown_fields
from wco.eco.v1 import (
    certificate_pb2,
    envelope_pb2,
    lifecycle_pb2,
    verification_pb2,
)

__all__ = ["CertificateRef", "Document", "parse_document", "parse_payload"]


@dataclass(frozen=True, slots=True)
class CertificateRef:
    """Identifies one CO across nodes (``CertificateReference``).

    Attributes:
        exporting_country: ISO 3166-1 alpha-2.
        issuing_authority_id: Authority id within that country.
        certificate_number: Number given by that authority.
    """

    exporting_country: str
    issuing_authority_id: str
    certificate_number: str

    @classmethod
    def from_proto(
        cls,
        ref: certificate_pb2.CertificateReference | envelope_pb2.CertificateReferenceDigest,
    ) -> CertificateRef:
        """Build from a ``CertificateReference`` (or the receipt's digest form)."""
        return cls(
            exporting_country=ref.exporting_country,
            issuing_authority_id=ref.issuing_authority_id,
            certificate_number=ref.certificate_number,
        )

    @classmethod
    def of_certificate(cls, co: certificate_pb2.CertificateOfOrigin) -> CertificateRef:
        """The reference of a CO itself."""
        return cls(
            exporting_country=co.exporting_country,
            issuing_authority_id=co.issuing_authority.id,
            certificate_number=co.certificate_number,
        )

    @classmethod
    def from_key(cls, key: str) -> CertificateRef:
        """Inverse of :attr:`key`.

        Raises:
            ValueError: Not a key produced by :attr:`key`.
        """
        parts = key.split("/", 2)
        if len(parts) != 3:
            raise ValueError("not a certificate key")
        return cls(parts[0], parts[1], parts[2])

    def to_proto(self) -> certificate_pb2.CertificateReference:
        """The ``CertificateReference`` message."""
        return certificate_pb2.CertificateReference(
            exporting_country=self.exporting_country,
            issuing_authority_id=self.issuing_authority_id,
            certificate_number=self.certificate_number,
        )

    def to_digest(self) -> envelope_pb2.CertificateReferenceDigest:
        """The ``CertificateReferenceDigest`` message used in receipts."""
        return envelope_pb2.CertificateReferenceDigest(
            exporting_country=self.exporting_country,
            issuing_authority_id=self.issuing_authority_id,
            certificate_number=self.certificate_number,
        )

    @property
    def key(self) -> str:
        """Unambiguous string key ``CC/authority-id/number``.

        Country codes have two letters and authority ids contain no ``/``
        (REQ-CO-004), so the number may contain ``/`` and the key still
        splits back uniquely.
        """
        return f"{self.exporting_country}/{self.issuing_authority_id}/{self.certificate_number}"


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed submitted document (section 3, 5.3).

    Attributes:
        payload_type: The envelope's payload type (one of ``SUBMITTABLE``).
        kind: ``DocumentKind`` value.
        message: The parsed payload message.
        sender_country: Sending country per section 5.3.
        recipient_country: Recipient country per section 5.3, or ``""``
            when the payload does not name it (StatusChange and
            VerificationResult: the other party is known only from the CO or
            the verification case the receiver holds).
        certificate: The certificate the document concerns.
        verification_id: Verification case id (verification documents).
    """

    payload_type: str
    kind: int
    message: Message
    sender_country: str
    recipient_country: str
    certificate: CertificateRef
    verification_id: str | None = None


def parse_payload(payload_type: str, payload: bytes) -> Message:
    """Parse ``payload`` as the message of ``payload_type`` (REQ-CO-001).

    Raises:
        PayloadTypeUnsupported: Unknown payload type.
        PayloadMalformed: Does not parse, or has unknown fields anywhere.
    """
    cls = payload_types.MESSAGE_BY_TYPE.get(payload_type)
    if cls is None:
        raise PayloadTypeUnsupported(f"unsupported payload type {payload_type!r}")
    message = cls()
    try:
        message.ParseFromString(payload)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise PayloadMalformed(f"payload does not parse as {cls.DESCRIPTOR.full_name}") from exc
    if not _only_known_fields(message, payload) and has_unknown_fields(cls.FromString(payload)):
        raise PayloadMalformed(
            f"payload has fields unknown to {cls.DESCRIPTOR.full_name} (REQ-CO-001)"
        )
    return message


def _only_known_fields(message: Message, payload: bytes) -> bool:
    """Cheap sufficient test that ``payload`` carries no unknown field (REQ-CO-001).

    Drops the unknown fields of ``message`` (parsed from ``payload``) and
    re-encodes it. If that gives ``payload`` back, parsing ``payload`` gives
    no unknown field, since the encoding of known fields parses to known
    fields only. Otherwise (unknown fields, or an encoding other than the
    canonical one, e.g. other field order) the answer is False and
    :func:`has_unknown_fields` must decide on a fresh parse.
    """
    message.DiscardUnknownFields()
    return message.SerializeToString(deterministic=True) == payload


def parse_document(envelope: envelope_pb2.Envelope) -> Document:
    """Parse a submitted envelope's payload into a :class:`Document` (REQ-CO-001).

    Args:
        envelope: The envelope; its payload bytes are not modified.

    Returns:
        The parsed document with its sending and recipient country.

    Raises:
        PayloadTypeUnsupported: The payload type may not be submitted
            (REQ-SIG-001).
        PayloadMalformed: The payload does not parse or has unknown fields.
    """
    payload_type = envelope.payload_type
    if payload_type not in payload_types.SUBMITTABLE:
        raise PayloadTypeUnsupported(f"payload type {payload_type!r} cannot be submitted")
    message = parse_payload(payload_type, envelope.payload)
    kind = payload_types.KIND_BY_TYPE[payload_type]
    if isinstance(message, certificate_pb2.CertificateOfOrigin):
        return Document(
            payload_type=payload_type,
            kind=kind,
            message=message,
            sender_country=message.exporting_country,
            recipient_country=message.importing_country,
            certificate=CertificateRef.of_certificate(message),
        )
    if isinstance(message, lifecycle_pb2.StatusChange):
        ref = CertificateRef.from_proto(message.certificate)
        return Document(
            payload_type=payload_type,
            kind=kind,
            message=message,
            sender_country=ref.exporting_country,
            recipient_country="",
            certificate=ref,
        )
    if isinstance(message, lifecycle_pb2.ImportOutcome):
        ref = CertificateRef.from_proto(message.certificate)
        return Document(
            payload_type=payload_type,
            kind=kind,
            message=message,
            sender_country=message.importing_country,
            recipient_country=ref.exporting_country,
            certificate=ref,
        )
    if isinstance(message, verification_pb2.VerificationRequest):
        ref = CertificateRef.from_proto(message.certificate)
        return Document(
            payload_type=payload_type,
            kind=kind,
            message=message,
            sender_country=message.requesting_country,
            recipient_country=ref.exporting_country,
            certificate=ref,
            verification_id=message.verification_id,
        )
    if isinstance(message, verification_pb2.VerificationResult):
        ref = CertificateRef.from_proto(message.certificate)
        return Document(
            payload_type=payload_type,
            kind=kind,
            message=message,
            sender_country=ref.exporting_country,
            recipient_country="",
            certificate=ref,
            verification_id=message.verification_id,
        )
    raise PayloadTypeUnsupported(f"payload type {payload_type!r} cannot be submitted")
