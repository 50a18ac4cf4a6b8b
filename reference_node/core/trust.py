"""Trust store: envelope and signer verification (docs/spec.md 5.1, 5.2, 6).

:meth:`TrustStore.verify_envelope` implements REQ-SIG-004..006 and
REQ-PKI-001..005 in the order of section 5.4 step 5: signatures first, then
the signer of the first cryptographically valid signature. Path validation is
done by ``cryptography.x509.verification`` with extension policies adapted
to a document-signing leaf; revocation comes from the country's signed
issuer directory (the path validator does no revocation checking).

The store is immutable: :meth:`TrustStore.with_directory` returns a new
store. Parsed certificates and successful path validations are cached (the
latter with the time window during which the result holds), and the caches
are shared by the stores derived from one another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)
from google.protobuf.message import DecodeError

from reference_node.core import payload_types
from reference_node.core.errors import (
    EcoError,
    PayloadMalformed,
    PayloadTypeUnsupported,
    SignatureInvalid,
    SignerExpired,
    SignerNotAuthorised,
    SignerNotYetValid,
    SignerRevoked,
    SignerUntrusted,
)
from reference_node.core.identity import SignerIdentity, identity_of
from reference_node.core.signing import key_id, parse_certificate, verify_signature
from wco.eco.v1 import directory_pb2, envelope_pb2

__all__ = ["TrustStore", "VerifiedSigner", "as_utc", "has_unknown_fields"]

logger = logging.getLogger(__name__)

_MAX_SIGNATURES = 4
_MAX_CHAIN = 4
_PATH_CACHE_SIZE = 4096


def as_utc(at: dt.datetime) -> dt.datetime:
    """Return ``at`` in UTC; naive datetimes are refused (time is explicit).

    Raises:
        ValueError: ``at`` has no time zone.
    """
    if at.tzinfo is None:
        raise ValueError("verification time must be timezone-aware")
    return at.astimezone(dt.UTC)


def has_unknown_fields(message: object) -> bool:
    """Return whether a parsed message tree carries unknown fields (REQ-CO-001).

    Exact: unknown fields always add bytes to the serialized size, and
    ``DiscardUnknownFields`` removes them from the whole tree. The message
    is modified (its unknown fields are dropped).
    """
    before: int = message.ByteSize()  # type: ignore[attr-defined]
    message.DiscardUnknownFields()  # type: ignore[attr-defined]
    after: int = message.ByteSize()  # type: ignore[attr-defined]
    return before != after


@dataclass(frozen=True, slots=True)
class VerifiedSigner:
    """The signer of an envelope after every check of section 5.2 passed.

    Attributes:
        identity: Country and authority id from the leaf URI.
        key_id: Key id of the leaf (REQ-SIG-004).
        certificate: The leaf certificate.
    """

    identity: SignerIdentity
    key_id: str
    certificate: x509.Certificate


@lru_cache(maxsize=4096)
def _leaf_identity(der: bytes) -> tuple[SignerIdentity, str]:
    """Profile check (REQ-PKI-002) and key id of a leaf, cached by its DER bytes."""
    cert = parse_certificate(der)
    return identity_of(cert), key_id(cert.public_key())


@dataclass(frozen=True, slots=True)
class _ChainFacts:
    """What the signer checks need of a certificate chain, computed once per chain."""

    chain: tuple[x509.Certificate, ...]
    not_before: dt.datetime  # latest start of validity in the chain
    not_after: dt.datetime  # earliest end of validity in the chain
    digest: bytes  # key of the validated-path cache


@lru_cache(maxsize=4096)
def _chain_facts(chain_der: tuple[bytes, ...]) -> _ChainFacts:
    """Parse a chain (REQ-PKI-001) and summarise it, cached by its DER bytes.

    Raises:
        SignerUntrusted: A certificate is not parsable DER.
    """
    chain = tuple(parse_certificate(der) for der in chain_der)
    return _ChainFacts(
        chain=chain,
        not_before=max(c.not_valid_before_utc for c in chain),
        not_after=min(c.not_valid_after_utc for c in chain),
        digest=b"\0".join(hashlib.sha256(d).digest() for d in chain_der),
    )


def _check_validity(chain: Sequence[x509.Certificate], at: dt.datetime) -> None:
    """REQ-PKI-003: the first certificate of the chain outside its validity at ``at``.

    Raises:
        SignerExpired: A certificate expired before ``at``.
        SignerNotYetValid: A certificate is valid only after ``at``.
    """
    for cert in chain:
        if at > cert.not_valid_after_utc:
            raise SignerExpired(
                f"certificate {cert.subject.rfc4514_string()} expired "
                f"{cert.not_valid_after_utc.isoformat()}"
            )
        if at < cert.not_valid_before_utc:
            raise SignerNotYetValid(
                f"certificate {cert.subject.rfc4514_string()} valid from "
                f"{cert.not_valid_before_utc.isoformat()}"
            )


def _check_leaf_key_usage(_policy: Policy, _cert: x509.Certificate, ku: x509.KeyUsage) -> None:
    if not ku.digital_signature or ku.key_cert_sign:
        raise ValueError("leaf KeyUsage must have digitalSignature and not keyCertSign")


def _check_leaf_basic_constraints(
    _policy: Policy, _cert: x509.Certificate, bc: x509.BasicConstraints | None
) -> None:
    if bc is not None and bc.ca:
        raise ValueError("leaf must not be a CA")


def _ee_policy() -> ExtensionPolicy:
    """Extension policy of a document-signing leaf (REQ-PKI-002)."""
    return (
        ExtensionPolicy.permit_all()
        .require_present(x509.KeyUsage, Criticality.CRITICAL, _check_leaf_key_usage)
        .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, _check_leaf_basic_constraints)
        .require_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    )


_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()
_EE_POLICY = _ee_policy()


class _PathCache:
    """Bounded, thread-safe cache of successful path validations.

    A validation result holds while ``at`` lies inside the intersection of
    the validity periods of the certificates on the validated path, so the
    window is stored with it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, bytes], tuple[dt.datetime, dt.datetime]] = (
            OrderedDict()
        )

    def hit(self, key: tuple[str, bytes], at: dt.datetime) -> bool:
        with self._lock:
            window = self._entries.get(key)
            if window is None:
                return False
            self._entries.move_to_end(key)
        return window[0] <= at <= window[1]

    def store(self, key: tuple[str, bytes], window: tuple[dt.datetime, dt.datetime]) -> None:
        with self._lock:
            self._entries[key] = window
            self._entries.move_to_end(key)
            while len(self._entries) > _PATH_CACHE_SIZE:
                self._entries.popitem(last=False)


def _revocations(directory: directory_pb2.IssuerDirectory) -> Mapping[str, dt.datetime]:
    revoked: dict[str, dt.datetime] = {}
    for entry in directory.revocations:
        when = entry.revocation_time.ToDatetime(tzinfo=dt.UTC)
        previous = revoked.get(entry.key_id.lower())
        if previous is None or when < previous:
            revoked[entry.key_id.lower()] = when
    return revoked


class TrustStore:
    """Trust anchors and issuer directories of partner countries (section 5.2, 6).

    Immutable. Build it with the configured anchors per country; load
    signed directories with :meth:`with_directory`.
    """

    __slots__ = (
        "_anchor_set_id",
        "_anchors",
        "_directories",
        "_path_cache",
        "_revoked",
        "_stores",
    )

    def __init__(
        self,
        *,
        anchors: Mapping[str, Sequence[x509.Certificate]],
        directories: Mapping[str, directory_pb2.IssuerDirectory] | None = None,
    ) -> None:
        """Create a trust store.

        Args:
            anchors: Trust anchor certificates per country code.
            directories: Already verified issuer directories per country.
        """
        self._anchors: Mapping[str, tuple[x509.Certificate, ...]] = MappingProxyType(
            {cc: tuple(certs) for cc, certs in anchors.items() if certs}
        )
        self._stores: Mapping[str, Store] = MappingProxyType(
            {cc: Store(list(certs)) for cc, certs in self._anchors.items()}
        )
        digest = hashlib.sha256()
        for cc in sorted(self._anchors):
            digest.update(cc.encode())
            for cert in self._anchors[cc]:
                digest.update(
                    hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()
                )
        self._anchor_set_id = digest.hexdigest()
        self._directories: Mapping[str, directory_pb2.IssuerDirectory] = MappingProxyType(
            dict(directories or {})
        )
        self._revoked: Mapping[str, Mapping[str, dt.datetime]] = MappingProxyType(
            {cc: _revocations(d) for cc, d in self._directories.items()}
        )
        self._path_cache = _PathCache()

    # -- accessors -----------------------------------------------------------------

    @property
    def countries(self) -> frozenset[str]:
        """Countries that have at least one trust anchor."""
        return frozenset(self._anchors)

    def anchors(self, country: str) -> tuple[x509.Certificate, ...]:
        """Trust anchors configured for ``country`` (empty when none)."""
        return self._anchors.get(country, ())

    def directory(self, country: str) -> directory_pb2.IssuerDirectory | None:
        """The loaded issuer directory of ``country``, if any."""
        return self._directories.get(country)

    def _derive(self, directories: Mapping[str, directory_pb2.IssuerDirectory]) -> TrustStore:
        new = TrustStore.__new__(TrustStore)
        new._anchors = self._anchors
        new._stores = self._stores
        new._anchor_set_id = self._anchor_set_id
        new._directories = MappingProxyType(dict(directories))
        new._revoked = MappingProxyType({cc: _revocations(d) for cc, d in new._directories.items()})
        new._path_cache = self._path_cache
        return new

    # -- directories (REQ-DIR-002, REQ-DIR-003) ------------------------------------

    def with_directory(self, envelope: envelope_pb2.Envelope, *, at: dt.datetime) -> TrustStore:
        """Verify a signed issuer directory and return a store that holds it.

        The envelope must carry an ``issuer-directory`` payload signed by the
        node signer (``urn:wco:eco:node:CC``) of the directory's country,
        under that country's configured anchors (REQ-DIR-002). A version not
        higher than the loaded one is ignored: ``self`` is returned
        (REQ-DIR-003).

        Raises:
            PayloadTypeUnsupported: Not an issuer-directory envelope.
            SignatureInvalid, SignerUntrusted, SignerExpired,
            SignerNotYetValid, SignerRevoked: Signature or signer checks.
            PayloadMalformed: The payload does not parse or has unknown fields.
            SignerNotAuthorised: The signer is not the node signer of the
                directory's country.
        """
        if envelope.payload_type != payload_types.ISSUER_DIRECTORY:
            raise PayloadTypeUnsupported("not an issuer directory envelope")
        signer = self.verify_envelope(envelope, at=at)
        directory = directory_pb2.IssuerDirectory()
        try:
            directory.ParseFromString(envelope.payload)
        except DecodeError as exc:
            raise PayloadMalformed("issuer directory payload does not parse") from exc
        if has_unknown_fields(directory):
            raise PayloadMalformed("issuer directory payload has unknown fields")
        if not signer.identity.is_node or signer.identity.country != directory.country:
            raise SignerNotAuthorised(
                "an issuer directory must be signed by its country's node signer"
            )
        current = self._directories.get(directory.country)
        if current is not None and directory.version <= current.version:
            logger.info(
                "ignoring issuer directory %s version %d (holding %d)",
                directory.country,
                directory.version,
                current.version,
            )
            return self
        updated = dict(self._directories)
        updated[directory.country] = directory
        return self._derive(updated)

    # -- envelopes (REQ-SIG-004..006, REQ-PKI-001..005) ----------------------------

    def verify_envelope(
        self, envelope: envelope_pb2.Envelope, *, at: dt.datetime
    ) -> VerifiedSigner:
        """Verify an envelope's signatures and its signer (section 5.1, 5.2).

        Signatures are checked first (REQ-SIG-004..006). The envelope is
        accepted when a cryptographically valid signature's signer passes
        REQ-PKI-001..005; signers are tried in signature order, and when
        none passes the error of the first valid signature's signer is
        raised (REQ-SIG-005).

        Args:
            envelope: The received envelope.
            at: Verification time (the receiver's current time), aware.

        Returns:
            The verified signer.

        Raises:
            SignatureInvalid: No signature verifies, or not 1..4 signatures.
            SignerUntrusted: Unparsable chain, profile or path failure, or no
                anchors for the signer's country.
            SignerExpired, SignerNotYetValid: A chain certificate is outside
                its validity period at ``at``.
            SignerRevoked: The leaf key is revoked in the directory.
        """
        when = as_utc(at)
        signatures = envelope.signatures
        if not 1 <= len(signatures) <= _MAX_SIGNATURES:
            raise SignatureInvalid(
                f"an envelope carries 1 to {_MAX_SIGNATURES} signatures, not {len(signatures)}"
            )
        payload_type = envelope.payload_type
        payload = envelope.payload
        first_error: EcoError | None = None
        unparsable: SignerUntrusted | None = None
        for signature in signatures:
            try:
                verify_signature(signature, payload_type=payload_type, payload=payload)
            except SignatureInvalid:
                continue
            except SignerUntrusted as exc:
                unparsable = unparsable or exc
                continue
            try:
                return self._verify_signer(signature, when)
            except EcoError as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        if unparsable is not None:
            raise unparsable
        raise SignatureInvalid("no signature verifies over the envelope (REQ-SIG-005)")

    def _verify_signer(self, signature: envelope_pb2.Signature, at: dt.datetime) -> VerifiedSigner:
        chain_der = tuple(signature.certificate_chain)
        if len(chain_der) > _MAX_CHAIN:
            raise SignerUntrusted(f"certificate chain longer than {_MAX_CHAIN} (REQ-PKI-001)")
        facts = _chain_facts(chain_der)
        chain = facts.chain
        leaf = chain[0]
        identity, kid = _leaf_identity(chain_der[0])
        if not facts.not_before <= at <= facts.not_after:
            _check_validity(chain, at)
        country = identity.country
        store = self._stores.get(country)
        if store is None:
            raise SignerUntrusted(f"no trust anchors configured for country {country}")
        cache_key = (country, facts.digest)
        if not self._path_cache.hit(cache_key, at):
            self._validate_path(store, leaf, list(chain[1:]), at, cache_key)
        revoked_at = self._revoked.get(country, {}).get(kid)
        if revoked_at is not None and revoked_at <= at:
            raise SignerRevoked(f"signer key {kid} revoked at {revoked_at.isoformat()}")
        return VerifiedSigner(identity=identity, key_id=kid, certificate=leaf)

    def _validate_path(
        self,
        store: Store,
        leaf: x509.Certificate,
        intermediates: list[x509.Certificate],
        at: dt.datetime,
        cache_key: tuple[str, bytes],
    ) -> None:
        verifier = (
            PolicyBuilder()
            .store(store)
            .time(at)
            .max_chain_depth(_MAX_CHAIN)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        try:
            verified = verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            raise SignerUntrusted(f"signer chain does not validate: {exc}") from exc
        start = max(c.not_valid_before_utc for c in verified.chain)
        end = min(c.not_valid_after_utc for c in verified.chain)
        self._path_cache.store(cache_key, (start, end))
