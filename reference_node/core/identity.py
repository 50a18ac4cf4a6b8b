"""Signer identities and the signer certificate profile (REQ-PKI-002).

A signer is named by exactly one URI subject alternative name:
``urn:wco:eco:authority:CC:AUTHORITY_ID`` for an issuing authority or
``urn:wco:eco:node:CC`` for a country's node signer (docs/spec.md section 1
and 5.2; ADR 0001 "Certificate profiles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509

from reference_node.core.errors import SignerUntrusted

__all__ = [
    "SignerIdentity",
    "authority_uri",
    "check_profile",
    "identity_of",
    "node_uri",
    "parse_signer_uri",
]

_COUNTRY = r"[A-Z]{2}"
_AUTHORITY_ID = r"[a-z0-9][a-z0-9-]{0,63}"
_AUTHORITY_URI = re.compile(rf"urn:wco:eco:authority:({_COUNTRY}):({_AUTHORITY_ID})")
_NODE_URI = re.compile(rf"urn:wco:eco:node:({_COUNTRY})")


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    """Who signed: a country and, for an issuing authority, its id.

    Attributes:
        country: ISO 3166-1 alpha-2 code from the signer URI.
        authority_id: Issuing authority id, or ``None`` for a node signer.
    """

    country: str
    authority_id: str | None = None

    @property
    def is_node(self) -> bool:
        """True for a node signer (``urn:wco:eco:node:CC``)."""
        return self.authority_id is None

    @property
    def uri(self) -> str:
        """The signer URI this identity is named by."""
        if self.authority_id is None:
            return node_uri(self.country)
        return authority_uri(self.country, self.authority_id)


def authority_uri(country: str, authority_id: str) -> str:
    """Return ``urn:wco:eco:authority:CC:AUTHORITY_ID`` (REQ-PKI-002)."""
    return f"urn:wco:eco:authority:{country}:{authority_id}"


def node_uri(country: str) -> str:
    """Return ``urn:wco:eco:node:CC`` (REQ-PKI-002, REQ-ACC-001)."""
    return f"urn:wco:eco:node:{country}"


def parse_signer_uri(uri: str) -> SignerIdentity:
    """Parse a signer URI into a :class:`SignerIdentity` (REQ-PKI-002).

    Raises:
        SignerUntrusted: The URI is neither an authority nor a node URI.
    """
    match = _AUTHORITY_URI.fullmatch(uri)
    if match is not None:
        return SignerIdentity(country=match.group(1), authority_id=match.group(2))
    match = _NODE_URI.fullmatch(uri)
    if match is not None:
        return SignerIdentity(country=match.group(1))
    raise SignerUntrusted("signer certificate URI is not a WCO e-CO signer URI")


def check_profile(cert: x509.Certificate) -> str:
    """Check the signer leaf profile of REQ-PKI-002 and return its one URI SAN.

    Raises:
        SignerUntrusted: The certificate breaks the profile.
    """
    try:
        extensions = cert.extensions
        key_usage_ext = extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound as exc:
        raise SignerUntrusted("signer certificate has no KeyUsage extension") from exc
    except ValueError as exc:  # duplicate or malformed extensions
        raise SignerUntrusted(f"signer certificate extensions are malformed: {exc}") from exc
    if not key_usage_ext.critical:
        raise SignerUntrusted("signer certificate KeyUsage is not critical")
    key_usage = key_usage_ext.value
    if not key_usage.digital_signature:
        raise SignerUntrusted("signer certificate KeyUsage lacks digitalSignature")
    if key_usage.key_cert_sign:
        raise SignerUntrusted("signer certificate KeyUsage has keyCertSign")
    try:
        basic = extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    if basic is not None and basic.ca:
        raise SignerUntrusted("signer certificate is a CA certificate")
    try:
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise SignerUntrusted("signer certificate has no subject alternative name") from exc
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if len(uris) != 1:
        raise SignerUntrusted("signer certificate must have exactly one URI name")
    return uris[0]


def identity_of(cert: x509.Certificate) -> SignerIdentity:
    """Return the identity of a signer leaf after checking its profile (REQ-PKI-002).

    Args:
        cert: The leaf certificate (``certificate_chain[0]``).

    Returns:
        The signer identity named by the certificate's URI.

    Raises:
        SignerUntrusted: The profile is broken or the URI is not a signer URI.
    """
    return parse_signer_uri(check_profile(cert))
