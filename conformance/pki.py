"""The suite's own test PKI (docs/spec.md section 5.2, REQ-PKI-*, REQ-ACC-001).

The conformance suite never uses the reference node's key material: it
generates, for every test country, a document-signing hierarchy (root CA ->
intermediate CA with pathlen 0 -> authority signer and node signer) and a TLS
hierarchy (TLS CA -> node server certificate and node client certificate),
following the certificate profiles of docs/adr/0001-architecture.md. For the
suite-side partner country (``XA``) it also generates negative variants: an
expired signer, a not-yet-valid signer, a signer with the wrong key usage, a
signer under a root the node does not trust, a signer whose URI names another
country, a CA-flagged leaf, a signer revoked in XA's issuer directory (and one
whose revocation lies in the future), a second XA authority ``xa-chamber``
with limited grants and an authority the directory does not list, an Ed25519
signer, and TLS client certificates from an unknown CA or expired. XA's signed
issuer directory itself is built by :mod:`conformance.issuer_directory`.

For the signer profile (REQ-PKI-002, REQ-PKI-004, REQ-SIG-006) it also generates
signers that each break exactly one rule of the profile and are otherwise
identical to XA's authority signer (:data:`PROFILE_SIGNERS`), and signers that
bend the profile where it leaves freedom and must still be accepted. Signers whose
validity ends or starts a few seconds from the current time are issued when a case
runs, by :func:`issue_timed_signer`, because a PKI may be generated long before the
run that uses it.

Time is a parameter (``now``): nothing here reads the clock.

Files are written in the ADR layout ``<dir>/<CC>/{anchors.pem, authority.pem,
authority.key, node-signer.pem, node-signer.key, tls-ca.pem, node-server.pem,
node-server.key, node-client.pem, node-client.key}`` plus ``<dir>/negative/``
and ``<dir>/manifest.json``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance.errors import PkiError

__all__ = [
    "DEFAULT_NODE_COUNTRY",
    "NEGATIVE_SIGNERS",
    "NEGATIVE_TLS_CLIENTS",
    "PROFILE_SIGNERS",
    "SUITE_COUNTRIES",
    "CountryPki",
    "Credential",
    "PrivateKey",
    "SuitePki",
    "Validity",
    "authority_id_for",
    "authority_uri",
    "generate_pki",
    "issue_ca",
    "issue_leaf",
    "issue_timed_signer",
    "load_pki",
    "node_uri",
    "spki_key_id",
]

logger = logging.getLogger(__name__)

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

#: The countries the suite plays itself (partners of the node under test).
SUITE_COUNTRIES: Final = ("XA", "XC")
#: The default country of the node under test.
DEFAULT_NODE_COUNTRY: Final = "XB"

#: Negative signer variants (all claim to belong to XA unless noted).
NEGATIVE_SIGNERS: Final = (
    "expired-signer",
    "not-yet-valid-signer",
    "wrong-key-usage-signer",
    "untrusted-root-signer",
    "other-country-uri-signer",
    "ca-flag-signer",
    "revoked-signer",
    "ed25519-signer",
    "other-authority-signer",
    "expired-intermediate-signer",
    "revoked-later-signer",
    "unlisted-authority-signer",
)
#: Signer variants of the signer profile (REQ-PKI-002, REQ-PKI-004, REQ-SIG-006): each
#: differs from XA's authority signer in exactly one property. Those ending in
#: ``-accepted-signer`` stay inside the profile and must be accepted.
PROFILE_SIGNERS: Final = (
    "ku-without-digital-signature-signer",
    "ku-with-key-cert-sign-signer",
    "ku-missing-signer",
    "ku-not-critical-signer",
    "san-missing-signer",
    "san-without-uri-signer",
    "two-uris-signer",
    "uri-without-authority-id-signer",
    "uri-lowercase-country-signer",
    "uri-uppercase-authority-signer",
    "uri-trailing-space-signer",
    "p384-key-signer",
    "pathlen-exceeded-signer",
    "ca-without-key-cert-sign-signer",
    "ca-flag-false-intermediate-signer",
    "ku-extra-usages-accepted-signer",
    "no-basic-constraints-accepted-signer",
    "eku-accepted-signer",
    "critical-unknown-extension-signer",
    "basic-constraints-not-critical-intermediate-signer",
    "anchor-in-chain-accepted-signer",
)
#: An extension no verifier knows: under private enterprise number 32473, which RFC 5612
#: reserves for documentation and examples.
UNKNOWN_EXTENSION_OID: Final = x509.ObjectIdentifier("1.3.6.1.4.1.32473.1")
#: Negative TLS client certificates (all name urn:wco:eco:node:XA).
NEGATIVE_TLS_CLIENTS: Final = ("unknown-ca-client", "expired-client")

_LONG: Final = dt.timedelta(days=3650)
_LEAF: Final = dt.timedelta(days=730)
_BACKDATE: Final = dt.timedelta(days=1)


def authority_id_for(country: str) -> str:
    """Return the suite's issuing authority id for a country (``xa-customs``)."""
    return f"{country.lower()}-customs"


def authority_uri(country: str, authority_id: str) -> str:
    """Return the authority signer URI of REQ-PKI-002."""
    return f"urn:wco:eco:authority:{country}:{authority_id}"


def node_uri(country: str) -> str:
    """Return the node URI of REQ-PKI-002 and REQ-ACC-001."""
    return f"urn:wco:eco:node:{country}"


def spki_key_id(certificate: x509.Certificate) -> str:
    """Return the key id of REQ-SIG-004: hex SHA-256 of the DER SubjectPublicKeyInfo."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return digest.finalize().hex()


@dataclass(frozen=True, kw_only=True)
class Credential:
    """A certificate, its private key and the chain a verifier needs.

    Attributes:
        certificate: The leaf (or CA) certificate.
        key: Its private key.
        chain: The certificate followed by intermediates towards (excluding)
            the trust anchor, as carried in ``Signature.certificate_chain``.
    """

    certificate: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]

    def chain_der(self) -> list[bytes]:
        """Return the chain as DER bytes, leaf first (REQ-PKI-001)."""
        return [c.public_bytes(serialization.Encoding.DER) for c in self.chain]

    def chain_pem(self) -> bytes:
        """Return the chain as a PEM bundle, leaf first."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def key_pem(self) -> bytes:
        """Return the private key as unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def key_id(self) -> str:
        """The REQ-SIG-004 key id of the certificate."""
        return spki_key_id(self.certificate)


@dataclass(frozen=True, kw_only=True)
class CountryPki:
    """All key material of one test country.

    Attributes:
        country: ISO 3166-1 alpha-2 test code.
        authority_id: The issuing authority id of ``authority``.
        root: The document-signing trust anchor.
        intermediate: The intermediate CA (pathlen 0) under ``root``.
        authority: The authority signer (URI ``urn:wco:eco:authority:CC:ID``).
        node_signer: The node signer (URI ``urn:wco:eco:node:CC``).
        tls_ca: The country's TLS CA.
        node_server: TLS server certificate (DNS localhost, IP 127.0.0.1).
        node_client: TLS client certificate (EKU clientAuth).
    """

    country: str
    authority_id: str
    root: Credential
    intermediate: Credential
    authority: Credential
    node_signer: Credential
    tls_ca: Credential
    node_server: Credential
    node_client: Credential

    def anchors_pem(self) -> bytes:
        """Return the document trust anchors as PEM."""
        return self.root.certificate.public_bytes(serialization.Encoding.PEM)

    def tls_ca_pem(self) -> bytes:
        """Return the TLS CA certificate as PEM."""
        return self.tls_ca.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True, kw_only=True)
class SuitePki:
    """The complete suite PKI.

    Attributes:
        generated_at: The ``now`` the PKI was generated around.
        node_country: Country of the node under test.
        countries: Key material per country (suite countries and the node's).
        negative_signers: Negative document-signer variants by name.
        negative_tls_clients: Negative TLS client credentials by name.
        untrusted_root: The root of ``untrusted-root-signer``, trusted by no one.
        path: The directory the PKI was written to or loaded from.
    """

    generated_at: dt.datetime
    node_country: str
    countries: Mapping[str, CountryPki]
    negative_signers: Mapping[str, Credential]
    negative_tls_clients: Mapping[str, Credential]
    untrusted_root: Credential
    path: Path | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def suite_countries(self) -> tuple[str, ...]:
        """The countries the suite plays (every country except the node's)."""
        return tuple(sorted(c for c in self.countries if c != self.node_country))

    def country(self, cc: str) -> CountryPki:
        """Return the key material of one country.

        Raises:
            PkiError: The country is not part of this PKI.
        """
        try:
            return self.countries[cc]
        except KeyError:
            raise PkiError(f"the suite PKI has no country {cc!r}") from None

    def write(self, directory: Path) -> SuitePki:
        """Write every file in the ADR layout plus ``negative/`` and ``manifest.json``.

        Args:
            directory: Target directory, created if needed.

        Returns:
            The same PKI with ``path`` set.
        """
        directory.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, object] = {
            "format": 1,
            "generated_at": self.generated_at.isoformat(),
            "node_country": self.node_country,
            "countries": {},
            "negative_signers": {},
            "negative_tls_clients": {},
        }
        countries: dict[str, object] = {}
        for cc, cp in sorted(self.countries.items()):
            cdir = directory / cc
            cdir.mkdir(exist_ok=True)
            _write(cdir / "anchors.pem", cp.anchors_pem())
            _write(cdir / "root.key", cp.root.key_pem())
            _write(cdir / "intermediate.pem", cp.intermediate.chain_pem())
            _write(cdir / "intermediate.key", cp.intermediate.key_pem())
            _write(cdir / "authority.pem", cp.authority.chain_pem())
            _write(cdir / "authority.key", cp.authority.key_pem())
            _write(cdir / "node-signer.pem", cp.node_signer.chain_pem())
            _write(cdir / "node-signer.key", cp.node_signer.key_pem())
            _write(cdir / "tls-ca.pem", cp.tls_ca_pem())
            _write(cdir / "tls-ca.key", cp.tls_ca.key_pem())
            _write(cdir / "node-server.pem", cp.node_server.chain_pem())
            _write(cdir / "node-server.key", cp.node_server.key_pem())
            _write(cdir / "node-client.pem", cp.node_client.chain_pem())
            _write(cdir / "node-client.key", cp.node_client.key_pem())
            countries[cc] = {"authority_id": cp.authority_id}
        manifest["countries"] = countries
        ndir = directory / "negative"
        ndir.mkdir(exist_ok=True)
        _write(ndir / "untrusted-root.pem", self.untrusted_root.chain_pem())
        _write(ndir / "untrusted-root.key", self.untrusted_root.key_pem())
        for name, cred in sorted(self.negative_signers.items()):
            _write(ndir / f"{name}.pem", cred.chain_pem())
            _write(ndir / f"{name}.key", cred.key_pem())
        for name, cred in sorted(self.negative_tls_clients.items()):
            _write(ndir / f"{name}.pem", cred.chain_pem())
            _write(ndir / f"{name}.key", cred.key_pem())
        manifest["negative_signers"] = sorted(self.negative_signers)
        manifest["negative_tls_clients"] = sorted(self.negative_tls_clients)
        manifest["extra"] = dict(self.extra)
        _write(directory / "manifest.json", json.dumps(manifest, indent=2).encode() + b"\n")
        logger.info("suite PKI written to %s", directory)
        return SuitePki(
            generated_at=self.generated_at,
            node_country=self.node_country,
            countries=self.countries,
            negative_signers=self.negative_signers,
            negative_tls_clients=self.negative_tls_clients,
            untrusted_root=self.untrusted_root,
            path=directory,
            extra=self.extra,
        )


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    if path.suffix == ".key":
        path.chmod(0o600)


def _new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, country: str, organization: str | None = None) -> x509.Name:
    org = organization if organization is not None else f"e-CO conformance suite test PKI {country}"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _sign_certificate(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    """Sign a certificate; ECDSA issuers sign deterministically (RFC 6979)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


@dataclass(frozen=True, kw_only=True)
class Validity:
    """A certificate validity period (REQ-PKI-003).

    Attributes:
        not_before: notBefore (timezone-aware).
        not_after: notAfter (timezone-aware).
    """

    not_before: dt.datetime
    not_after: dt.datetime


def issue_ca(
    *,
    cn: str,
    country: str,
    validity: Validity,
    issuer: Credential | None,
    path_length: int | None,
    key: ec.EllipticCurvePrivateKey | None = None,
    serial: int | None = None,
    organization: str | None = None,
    root_authority_key_id: bool = True,
    ca_flag: bool = True,
    key_cert_sign: bool = True,
    basic_constraints_critical: bool = True,
) -> Credential:
    """Issue a CA certificate (REQ-PKI-004: BasicConstraints CA true, keyCertSign).

    Args:
        cn: Common name.
        country: Country of the subject name.
        validity: Validity period.
        issuer: The issuing CA, or None for a self-signed root.
        path_length: BasicConstraints path length.
        key: The CA key (default: a new P-256 key).
        serial: Serial number (default: random).
        organization: Organization of the subject name (default: the suite's).
        root_authority_key_id: Whether a self-signed root carries an AuthorityKeyIdentifier.
        ca_flag: BasicConstraints CA flag (false only for negative variants).
        key_cert_sign: KeyUsage keyCertSign (false only for negative variants).
        basic_constraints_critical: Whether BasicConstraints is marked critical (false
            only for negative variants).

    Returns:
        The CA credential (its chain is the certificate alone).
    """
    ca_key = key if key is not None else _new_ec_key()
    subject = _name(cn, country, organization)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(ca_key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
        .add_extension(
            x509.BasicConstraints(ca=ca_flag, path_length=path_length if ca_flag else None),
            critical=basic_constraints_critical,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=key_cert_sign,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
    )
    signing_key: PrivateKey = issuer.key if issuer else ca_key
    if issuer is not None or root_authority_key_id:
        aki_source = issuer.certificate.public_key() if issuer else ca_key.public_key()
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_source),  # type: ignore[arg-type]
            critical=False,
        )
    cert = _sign_certificate(builder, signing_key)
    return Credential(certificate=cert, key=ca_key, chain=(cert,))


def issue_leaf(
    *,
    cn: str,
    country: str,
    issuer: Credential,
    validity: Validity,
    uris: tuple[str, ...],
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    eku: tuple[x509.ObjectIdentifier, ...] = (),
    digital_signature: bool = True,
    key_cert_sign: bool = False,
    ca_flag: bool | None = False,
    key: PrivateKey | None = None,
    intermediates: tuple[x509.Certificate, ...] = (),
    serial: int | None = None,
    organization: str | None = None,
    content_commitment: bool = False,
    key_encipherment: bool = False,
    key_usage: bool = True,
    key_usage_critical: bool = True,
    san: bool = True,
    unknown_critical_extension: bool = False,
) -> Credential:
    """Issue an end-entity certificate (signer profile of REQ-PKI-002, or a TLS identity).

    Args:
        cn: Common name.
        country: Country of the subject name.
        issuer: The issuing CA.
        validity: Validity period.
        uris: URI subject alternative names.
        dns: DNS subject alternative names.
        ips: IP address subject alternative names.
        eku: Extended key usages (none: no extension).
        digital_signature: KeyUsage digitalSignature.
        key_cert_sign: KeyUsage keyCertSign (set only for negative signers).
        ca_flag: BasicConstraints CA flag, or None for no BasicConstraints.
        key: The leaf key (default: a new P-256 key).
        intermediates: Certificates the chain carries after the leaf.
        serial: Serial number (default: random).
        organization: Organization of the subject name (default: the suite's).
        content_commitment: KeyUsage contentCommitment (nonRepudiation).
        key_encipherment: KeyUsage keyEncipherment.
        key_usage: Whether the KeyUsage extension is present at all.
        key_usage_critical: Whether the KeyUsage extension is marked critical.
        san: Whether the SubjectAlternativeName extension is present at all.
        unknown_critical_extension: Whether the leaf carries the critical extension
            :data:`UNKNOWN_EXTENSION_OID` (only for a negative signer, REQ-PKI-006).

    Returns:
        The credential, chain = leaf then ``intermediates``.
    """
    leaf_key: PrivateKey = key if key is not None else _new_ec_key()
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in uris]
    sans += [x509.DNSName(d) for d in dns]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, country, organization))
        .issuer_name(issuer.certificate.subject)
        .public_key(leaf_key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if ca_flag is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca_flag, path_length=None), critical=True
        )
    if key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=content_commitment,
                key_encipherment=key_encipherment,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=key_cert_sign,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=key_usage_critical,
        )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
    ).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.certificate.public_key()  # type: ignore[arg-type]
        ),
        critical=False,
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if unknown_critical_extension:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(UNKNOWN_EXTENSION_OID, b"\x05\x00"), critical=True
        )
    cert = _sign_certificate(builder, issuer.key)
    return Credential(certificate=cert, key=leaf_key, chain=(cert, *intermediates))


def _country(cc: str, now: dt.datetime) -> CountryPki:
    long = Validity(not_before=now - _BACKDATE, not_after=now + _LONG)
    leaf = Validity(not_before=now - _BACKDATE, not_after=now + _LEAF)
    root = issue_ca(
        cn=f"{cc} document root CA", country=cc, validity=long, issuer=None, path_length=1
    )
    inter = issue_ca(
        cn=f"{cc} document intermediate CA", country=cc, validity=long, issuer=root, path_length=0
    )
    aid = authority_id_for(cc)
    authority = issue_leaf(
        cn=f"{cc} issuing authority {aid}",
        country=cc,
        issuer=inter,
        validity=leaf,
        uris=(authority_uri(cc, aid),),
        intermediates=(inter.certificate,),
    )
    node_signer = issue_leaf(
        cn=f"{cc} node signer",
        country=cc,
        issuer=inter,
        validity=leaf,
        uris=(node_uri(cc),),
        intermediates=(inter.certificate,),
    )
    tls_ca = issue_ca(cn=f"{cc} TLS CA", country=cc, validity=long, issuer=None, path_length=0)
    server = issue_leaf(
        cn=f"{cc} node server",
        country=cc,
        issuer=tls_ca,
        validity=leaf,
        uris=(node_uri(cc),),
        dns=("localhost",),
        ips=("127.0.0.1",),
        eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
        digital_signature=True,
    )
    client = issue_leaf(
        cn=f"{cc} node client",
        country=cc,
        issuer=tls_ca,
        validity=leaf,
        uris=(node_uri(cc),),
        eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    )
    return CountryPki(
        country=cc,
        authority_id=aid,
        root=root,
        intermediate=inter,
        authority=authority,
        node_signer=node_signer,
        tls_ca=tls_ca,
        node_server=server,
        node_client=client,
    )


def generate_pki(
    *,
    now: dt.datetime,
    node_country: str = DEFAULT_NODE_COUNTRY,
    suite_countries: tuple[str, ...] = SUITE_COUNTRIES,
) -> SuitePki:
    """Generate the complete suite PKI around ``now``.

    Args:
        now: The time validity periods are computed from (timezone-aware).
        node_country: Country of the node under test.
        suite_countries: Countries the suite plays; the first one carries the
            negative variants.

    Returns:
        The PKI, not yet written to disk.

    Raises:
        PkiError: ``now`` is naive or the countries overlap.
    """
    if now.tzinfo is None:
        raise PkiError("generate_pki needs a timezone-aware 'now'")
    if node_country in suite_countries:
        raise PkiError(f"node country {node_country} is also a suite country")
    countries = {cc: _country(cc, now) for cc in (*suite_countries, node_country)}
    xa = countries[suite_countries[0]]
    other = countries[suite_countries[1]] if len(suite_countries) > 1 else xa
    cc = xa.country
    aid = xa.authority_id
    uri = authority_uri(cc, aid)
    inter = xa.intermediate
    leaf = Validity(not_before=now - _BACKDATE, not_after=now + _LEAF)
    long = Validity(not_before=now - _BACKDATE, not_after=now + _LONG)
    chain = (inter.certificate,)

    def signer(name: str, **kwargs: object) -> Credential:
        params: dict[str, object] = {
            "cn": f"{cc} negative {name}",
            "country": cc,
            "issuer": inter,
            "validity": leaf,
            "uris": (uri,),
            "intermediates": chain,
        }
        params.update(kwargs)
        return issue_leaf(**params)  # type: ignore[arg-type]

    untrusted_root = issue_ca(
        cn=f"{cc} untrusted root CA", country=cc, validity=long, issuer=None, path_length=1
    )
    untrusted_inter = issue_ca(
        cn=f"{cc} untrusted intermediate CA",
        country=cc,
        validity=long,
        issuer=untrusted_root,
        path_length=0,
    )
    expired_inter = issue_ca(
        cn=f"{cc} expired intermediate CA",
        country=cc,
        validity=Validity(
            not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=30)
        ),
        issuer=xa.root,
        path_length=0,
    )
    negative = {
        "expired-signer": signer(
            "expired-signer",
            validity=Validity(
                not_before=now - dt.timedelta(days=60), not_after=now - dt.timedelta(days=30)
            ),
        ),
        "not-yet-valid-signer": signer(
            "not-yet-valid-signer",
            validity=Validity(
                not_before=now + dt.timedelta(days=30), not_after=now + dt.timedelta(days=400)
            ),
        ),
        "wrong-key-usage-signer": signer(
            "wrong-key-usage-signer", digital_signature=False, key_cert_sign=True
        ),
        "untrusted-root-signer": signer(
            "untrusted-root-signer",
            issuer=untrusted_inter,
            intermediates=(untrusted_inter.certificate,),
        ),
        "other-country-uri-signer": signer(
            "other-country-uri-signer",
            uris=(authority_uri(other.country, other.authority_id),),
        ),
        "ca-flag-signer": signer("ca-flag-signer", ca_flag=True),
        "revoked-signer": signer("revoked-signer"),
        "ed25519-signer": signer("ed25519-signer", key=ed25519.Ed25519PrivateKey.generate()),
        "other-authority-signer": signer(
            "other-authority-signer", uris=(authority_uri(cc, f"{cc.lower()}-chamber"),)
        ),
        "revoked-later-signer": signer("revoked-later-signer"),
        "unlisted-authority-signer": signer(
            "unlisted-authority-signer", uris=(authority_uri(cc, f"{cc.lower()}-unlisted"),)
        ),
        "expired-intermediate-signer": signer(
            "expired-intermediate-signer",
            issuer=expired_inter,
            validity=Validity(
                not_before=now - dt.timedelta(days=300), not_after=now + dt.timedelta(days=300)
            ),
            intermediates=(expired_inter.certificate,),
        ),
    }
    negative.update(_profile_signers(xa, signer, long=long, leaf=leaf))
    unknown_tls_ca = issue_ca(
        cn=f"{cc} unknown TLS CA", country=cc, validity=long, issuer=None, path_length=0
    )
    tls_negative = {
        "unknown-ca-client": issue_leaf(
            cn=f"{cc} node client from unknown CA",
            country=cc,
            issuer=unknown_tls_ca,
            validity=leaf,
            uris=(node_uri(cc),),
            eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
        ),
        "expired-client": issue_leaf(
            cn=f"{cc} expired node client",
            country=cc,
            issuer=xa.tls_ca,
            validity=Validity(
                not_before=now - dt.timedelta(days=60), not_after=now - dt.timedelta(days=30)
            ),
            uris=(node_uri(cc),),
            eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
        ),
    }
    return SuitePki(
        generated_at=now,
        node_country=node_country,
        countries=countries,
        negative_signers=negative,
        negative_tls_clients=tls_negative,
        untrusted_root=untrusted_root,
    )


def _profile_signers(
    xa: CountryPki, signer: Callable[..., Credential], *, long: Validity, leaf: Validity
) -> dict[str, Credential]:
    """The :data:`PROFILE_SIGNERS`: XA authority signers differing in one property each.

    Args:
        xa: XA's key material (its root and intermediate issue the variants).
        signer: Issues a leaf like XA's authority signer, with keyword overrides.
        long: Validity of the extra CA certificates.
        leaf: Validity of the leaves.

    Returns:
        The signers by name (REQ-PKI-002, REQ-PKI-004, REQ-SIG-006).
    """
    cc = xa.country
    uri = authority_uri(cc, xa.authority_id)
    # a CA below XA's intermediate, whose path length 0 allows no CA below it (REQ-PKI-004)
    below_pathlen = issue_ca(
        cn=f"{cc} CA below a pathlen-0 intermediate",
        country=cc,
        validity=long,
        issuer=xa.intermediate,
        path_length=0,
    )
    no_cert_sign_ca = issue_ca(
        cn=f"{cc} intermediate without keyCertSign",
        country=cc,
        validity=long,
        issuer=xa.root,
        path_length=0,
        key_cert_sign=False,
    )
    not_a_ca = issue_ca(
        cn=f"{cc} intermediate with CA false",
        country=cc,
        validity=long,
        issuer=xa.root,
        path_length=None,
        ca_flag=False,
    )
    bc_not_critical_ca = issue_ca(
        cn=f"{cc} intermediate with BasicConstraints not critical",
        country=cc,
        validity=long,
        issuer=xa.root,
        path_length=0,
        basic_constraints_critical=False,
    )
    return {
        "ku-without-digital-signature-signer": signer(
            "ku-without-digital-signature-signer", digital_signature=False, content_commitment=True
        ),
        "ku-with-key-cert-sign-signer": signer("ku-with-key-cert-sign-signer", key_cert_sign=True),
        "ku-missing-signer": signer("ku-missing-signer", key_usage=False),
        "ku-not-critical-signer": signer("ku-not-critical-signer", key_usage_critical=False),
        "san-missing-signer": signer("san-missing-signer", san=False),
        "san-without-uri-signer": signer(
            "san-without-uri-signer", uris=(), dns=(f"{xa.authority_id}.example",)
        ),
        "two-uris-signer": signer("two-uris-signer", uris=(uri, node_uri(cc))),
        "uri-without-authority-id-signer": signer(
            "uri-without-authority-id-signer", uris=(f"urn:wco:eco:authority:{cc}:",)
        ),
        "uri-lowercase-country-signer": signer(
            "uri-lowercase-country-signer",
            uris=(authority_uri(cc.lower(), xa.authority_id),),
        ),
        "uri-uppercase-authority-signer": signer(
            "uri-uppercase-authority-signer",
            uris=(authority_uri(cc, xa.authority_id.upper()),),
        ),
        "uri-trailing-space-signer": signer("uri-trailing-space-signer", uris=(uri + " ",)),
        "p384-key-signer": signer("p384-key-signer", key=ec.generate_private_key(ec.SECP384R1())),
        "pathlen-exceeded-signer": signer(
            "pathlen-exceeded-signer",
            issuer=below_pathlen,
            intermediates=(below_pathlen.certificate, xa.intermediate.certificate),
        ),
        "ca-without-key-cert-sign-signer": signer(
            "ca-without-key-cert-sign-signer",
            issuer=no_cert_sign_ca,
            intermediates=(no_cert_sign_ca.certificate,),
        ),
        "ca-flag-false-intermediate-signer": signer(
            "ca-flag-false-intermediate-signer",
            issuer=not_a_ca,
            intermediates=(not_a_ca.certificate,),
        ),
        "ku-extra-usages-accepted-signer": signer(
            "ku-extra-usages-accepted-signer", content_commitment=True, key_encipherment=True
        ),
        "no-basic-constraints-accepted-signer": signer(
            "no-basic-constraints-accepted-signer", ca_flag=None
        ),
        "eku-accepted-signer": signer(
            "eku-accepted-signer", eku=(ExtendedKeyUsageOID.EMAIL_PROTECTION,)
        ),
        "critical-unknown-extension-signer": signer(
            "critical-unknown-extension-signer", unknown_critical_extension=True
        ),
        "basic-constraints-not-critical-intermediate-signer": signer(
            "basic-constraints-not-critical-intermediate-signer",
            issuer=bc_not_critical_ca,
            intermediates=(bc_not_critical_ca.certificate,),
        ),
        "anchor-in-chain-accepted-signer": signer(
            "anchor-in-chain-accepted-signer",
            intermediates=(xa.intermediate.certificate, xa.root.certificate),
        ),
    }


def issue_timed_signer(
    pki: SuitePki,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    intermediate_not_before: dt.datetime | None = None,
    intermediate_not_after: dt.datetime | None = None,
) -> Credential:
    """Issue, now, an XA authority signer with the given validity (REQ-PKI-003).

    The PKI may have been generated long before the case runs, so signers whose
    validity ends or starts seconds from the current time are made when needed,
    from XA's root and intermediate keys. Times are truncated to whole seconds (the
    granularity of X.509 validity). With ``intermediate_*`` given, the leaf is issued
    by a fresh intermediate under XA's root with that validity instead.

    Args:
        pki: The suite PKI (XA's root and intermediate keys are used).
        not_before: The leaf's notBefore.
        not_after: The leaf's notAfter.
        intermediate_not_before: notBefore of a fresh intermediate, if one is wanted.
        intermediate_not_after: notAfter of that intermediate.

    Returns:
        The credential; its chain carries the intermediate it was issued by.
    """
    xa = pki.country(pki.suite_countries[0])
    issuer = xa.intermediate
    if intermediate_not_before is not None or intermediate_not_after is not None:
        issuer = issue_ca(
            cn=f"{xa.country} timed intermediate CA",
            country=xa.country,
            validity=Validity(
                not_before=_second(intermediate_not_before or not_before),
                not_after=_second(intermediate_not_after or not_after),
            ),
            issuer=xa.root,
            path_length=0,
        )
    return issue_leaf(
        cn=f"{xa.country} timed authority signer",
        country=xa.country,
        issuer=issuer,
        validity=Validity(not_before=_second(not_before), not_after=_second(not_after)),
        uris=(authority_uri(xa.country, xa.authority_id),),
        intermediates=(issuer.certificate,),
    )


def _second(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(microsecond=0)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PkiError(f"cannot read suite PKI file {path}: {exc.strerror}") from exc


def _load_credential(pem: Path, key: Path) -> Credential:
    try:
        certs = tuple(x509.load_pem_x509_certificates(_read(pem)))
        private = serialization.load_pem_private_key(_read(key), password=None)
    except ValueError as exc:
        raise PkiError(f"cannot parse suite PKI file {pem} or {key}: {exc}") from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise PkiError(f"unsupported key type in {key}")
    return Credential(certificate=certs[0], key=private, chain=certs)


def load_pki(directory: Path) -> SuitePki:
    """Load a PKI written by :meth:`SuitePki.write` (``eco-conformance pki init``).

    Args:
        directory: The PKI directory.

    Returns:
        The PKI with ``path`` set.

    Raises:
        PkiError: A file is missing or unreadable.
    """
    try:
        manifest = json.loads(_read(directory / "manifest.json"))
    except json.JSONDecodeError as exc:
        raise PkiError(f"{directory / 'manifest.json'} is not valid JSON: {exc}") from exc
    countries: dict[str, CountryPki] = {}
    for cc, info in manifest["countries"].items():
        cdir = directory / cc
        countries[cc] = CountryPki(
            country=cc,
            authority_id=str(info["authority_id"]),
            root=_load_credential(cdir / "anchors.pem", cdir / "root.key"),
            intermediate=_load_credential(cdir / "intermediate.pem", cdir / "intermediate.key"),
            authority=_load_credential(cdir / "authority.pem", cdir / "authority.key"),
            node_signer=_load_credential(cdir / "node-signer.pem", cdir / "node-signer.key"),
            tls_ca=_load_credential(cdir / "tls-ca.pem", cdir / "tls-ca.key"),
            node_server=_load_credential(cdir / "node-server.pem", cdir / "node-server.key"),
            node_client=_load_credential(cdir / "node-client.pem", cdir / "node-client.key"),
        )
    ndir = directory / "negative"
    return SuitePki(
        generated_at=dt.datetime.fromisoformat(manifest["generated_at"]),
        node_country=str(manifest["node_country"]),
        countries=countries,
        negative_signers={
            n: _load_credential(ndir / f"{n}.pem", ndir / f"{n}.key")
            for n in manifest["negative_signers"]
        },
        negative_tls_clients={
            n: _load_credential(ndir / f"{n}.pem", ndir / f"{n}.key")
            for n in manifest["negative_tls_clients"]
        },
        untrusted_root=_load_credential(ndir / "untrusted-root.pem", ndir / "untrusted-root.key"),
        path=directory,
        extra={str(k): str(v) for k, v in manifest.get("extra", {}).items()},
    )
