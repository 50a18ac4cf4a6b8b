"""Envelope signatures (docs/spec.md section 5.1, REQ-SIG-002..006).

Signing covers ``PAE(payload_type, payload)`` (REQ-SIG-003). Verification of
one signature checks the key id (REQ-SIG-004) and the algorithm/key match
(REQ-SIG-006), then the signature itself, and raises on any failure. Chain
and signer checks (section 5.2) live in :mod:`reference_node.core.trust`.

Parsed certificates and key ids are cached by DER bytes, because a node sees
the same few signer chains thousands of times.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from reference_node.core.errors import SignatureInvalid, SignerUntrusted
from reference_node.core.identity import SignerIdentity, identity_of
from reference_node.core.pae import pae
from wco.eco.v1 import envelope_pb2

__all__ = [
    "PrivateKey",
    "PublicKey",
    "SigningIdentity",
    "algorithm_of",
    "key_id",
    "key_id_of_certificate",
    "parse_certificate",
    "sign_envelope",
    "verify_signature",
]

#: Private key types a signer may use (REQ-SIG-006).
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
#: Public key types a signature may be verified with (REQ-SIG-006).
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_CACHE_SIZE = 4096


def key_id(public_key: PublicKeyTypes) -> str:
    """Return the key id: lowercase hex SHA-256 of the DER SPKI (REQ-SIG-004).

    Args:
        public_key: A ``cryptography`` public key object.
    """
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


@lru_cache(maxsize=64)
def _leaf_key_id(der: bytes) -> str:
    return key_id(x509.load_der_x509_certificate(der).public_key())


@lru_cache(maxsize=_CACHE_SIZE)
def parse_certificate(der: bytes) -> x509.Certificate:
    """Parse a DER certificate, cached by its bytes (REQ-PKI-001).

    Raises:
        SignerUntrusted: The bytes are not a parsable X.509 certificate.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
        # Force the lazily parsed parts that later checks rely on.
        cert.public_key()
        _ = cert.not_valid_before_utc, cert.not_valid_after_utc
    except Exception as exc:  # any parse failure means untrusted input
        raise SignerUntrusted("signer certificate is not parsable DER") from exc
    return cert


@lru_cache(maxsize=_CACHE_SIZE)
def _leaf_info(der: bytes) -> tuple[x509.Certificate, str, PublicKey | None]:
    cert = parse_certificate(der)
    try:
        public_key = cert.public_key()
    except Exception:  # unsupported key types are just unusable
        return cert, "", None
    if isinstance(public_key, (ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)):
        return cert, key_id(public_key), public_key
    return cert, key_id(public_key), None


def key_id_of_certificate(cert: x509.Certificate) -> str:
    """Return the key id (REQ-SIG-004) of a certificate's public key."""
    return key_id(cert.public_key())


def algorithm_of(public_key: object) -> int:
    """Return the ``SignatureAlgorithm`` a key signs with (REQ-SIG-006).

    Raises:
        ValueError: The key is neither EC P-256 nor Ed25519.
    """
    if isinstance(public_key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if isinstance(public_key.curve, ec.SECP256R1):
            return envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256
        raise ValueError(f"unsupported EC curve {public_key.curve.name}")
    if isinstance(public_key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return envelope_pb2.SIGNATURE_ALGORITHM_ED25519
    raise ValueError(f"unsupported key type {type(public_key).__name__}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningIdentity:
    """A private key with its certificate chain, able to sign envelopes.

    Build it with :meth:`from_pem`.

    Attributes:
        private_key: EC P-256 or Ed25519 private key.
        chain: Leaf first, then intermediates towards the trust anchor.
    """

    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...]
    chain_der: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.chain:
            raise ValueError("a signing identity needs a certificate chain")
        if len(self.chain) > 4:
            raise ValueError("a certificate chain holds at most 4 certificates (REQ-PKI-001)")
        algorithm_of(self.private_key)
        if key_id(self.private_key.public_key()) != key_id(self.chain[0].public_key()):
            raise ValueError("private key does not match the leaf certificate")

    @classmethod
    def from_pem(cls, *, key_pem: bytes, chain_pem: bytes) -> SigningIdentity:
        """Load a PKCS#8 (or traditional) PEM key and a PEM chain, leaf first.

        Raises:
            ValueError: The key is unsupported, the chain empty or mismatched.
        """
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, (ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
            raise ValueError(f"unsupported private key type {type(key).__name__}")
        chain = tuple(x509.load_pem_x509_certificates(chain_pem))
        return cls.from_key(private_key=key, chain=chain)

    @classmethod
    def from_key(
        cls, *, private_key: PrivateKey, chain: Sequence[x509.Certificate]
    ) -> SigningIdentity:
        """Build an identity from key and certificate objects, leaf first."""
        chain_t = tuple(chain)
        return cls(
            private_key=private_key,
            chain=chain_t,
            chain_der=tuple(c.public_bytes(serialization.Encoding.DER) for c in chain_t),
        )

    @property
    def certificate(self) -> x509.Certificate:
        """The leaf certificate."""
        return self.chain[0]

    @property
    def key_id(self) -> str:
        """Key id of the leaf's public key (REQ-SIG-004), computed once per leaf."""
        return _leaf_key_id(self.chain_der[0])

    @property
    def algorithm(self) -> int:
        """``SignatureAlgorithm`` value matching the key (REQ-SIG-006)."""
        return algorithm_of(self.private_key)

    @property
    def identity(self) -> SignerIdentity:
        """Signer identity named by the leaf (REQ-PKI-002).

        Raises:
            SignerUntrusted: The leaf breaks the signer profile.
        """
        return identity_of(self.chain[0])

    def sign(self, data: bytes) -> bytes:
        """Sign raw bytes (ECDSA: DER signature; Ed25519: 64 bytes)."""
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return self.private_key.sign(data, _ECDSA_SHA256)
        return self.private_key.sign(data)

    def signature(self, *, payload_type: str, payload: bytes) -> envelope_pb2.Signature:
        """Return a ``Signature`` over ``PAE(payload_type, payload)``."""
        return envelope_pb2.Signature(
            algorithm=cast("envelope_pb2.SignatureAlgorithm", self.algorithm),
            key_id=self.key_id,
            signature=self.sign(pae(payload_type, payload)),
            certificate_chain=list(self.chain_der),
        )


def sign_envelope(
    *, payload_type: str, payload: bytes, signers: Sequence[SigningIdentity]
) -> envelope_pb2.Envelope:
    """Build an envelope signed by each signer, in order (REQ-SIG-003, REQ-SIG-005).

    Args:
        payload_type: One of the payload types of section 3.
        payload: The serialized payload, carried as is (REQ-SIG-002).
        signers: One to four signing identities.

    Raises:
        ValueError: No signer or more than four.
    """
    if not 1 <= len(signers) <= 4:
        raise ValueError("an envelope carries 1 to 4 signatures (REQ-SIG-005)")
    return envelope_pb2.Envelope(
        payload_type=payload_type,
        payload=payload,
        signatures=[s.signature(payload_type=payload_type, payload=payload) for s in signers],
    )


def verify_signature(
    signature: envelope_pb2.Signature, *, payload_type: str, payload: bytes
) -> x509.Certificate:
    """Verify one signature cryptographically (REQ-SIG-004, REQ-SIG-006).

    Only the leaf ``certificate_chain[0]`` is used; chain and signer checks
    are :meth:`reference_node.core.trust.TrustStore.verify_envelope`'s job.

    Args:
        signature: The signature to check.
        payload_type: The envelope's payload type.
        payload: The envelope's payload bytes.

    Returns:
        The parsed leaf certificate.

    Raises:
        SignatureInvalid: No leaf, key id mismatch, unsupported algorithm or
            key/algorithm mismatch, or the signature does not verify.
        SignerUntrusted: The leaf certificate is not parsable DER (REQ-PKI-001).
    """
    if not signature.certificate_chain:
        raise SignatureInvalid("signature carries no signer certificate")
    cert, kid, public_key = _leaf_info(signature.certificate_chain[0])
    if public_key is None:
        raise SignatureInvalid("signer key type is not supported")
    if signature.key_id != kid:
        raise SignatureInvalid("key_id does not match the signer certificate (REQ-SIG-004)")
    data = pae(payload_type, payload)
    algorithm = signature.algorithm
    try:
        if algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256:
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
                public_key.curve, ec.SECP256R1
            ):
                raise SignatureInvalid("key does not match algorithm ECDSA_P256_SHA256")
            public_key.verify(signature.signature, data, _ECDSA_SHA256)
        elif algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ED25519:
            if not isinstance(public_key, ed25519.Ed25519PublicKey):
                raise SignatureInvalid("key does not match algorithm ED25519")
            public_key.verify(signature.signature, data)
        else:
            raise SignatureInvalid("unsupported signature algorithm (REQ-SIG-006)")
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalid("signature does not verify") from exc
    return cert
