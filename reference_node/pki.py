"""Test and pilot PKI generation for e-CO nodes (ADR 0001 "Certificate profiles").

Generates, per country, the document-signing hierarchy (self-signed root,
intermediate CA with pathlen 0, an authority signer leaf
``urn:wco:eco:authority:CC:ID`` and a node signer leaf
``urn:wco:eco:node:CC``, see docs/spec.md REQ-PKI-002) and the TLS material
(one TLS CA, a server and a client certificate, REQ-ACC-001), and writes
them as PEM files in the layout the node configuration expects::

    <dir>/<CC>/anchors.pem        document trust anchor(s)
    <dir>/<CC>/authority.pem      authority signer leaf + intermediate
    <dir>/<CC>/authority.key
    <dir>/<CC>/node-signer.pem    node signer leaf + intermediate
    <dir>/<CC>/node-signer.key
    <dir>/<CC>/tls-ca.pem
    <dir>/<CC>/node-server.pem, node-server.key
    <dir>/<CC>/node-client.pem, node-client.key

Keys are ECDSA P-256 by default; document signers may use Ed25519. This is
for tests and pilots: production PKIs are run by each administration.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CountryPki",
    "IssuedCertificate",
    "KeyType",
    "PrivateKey",
    "make_ca",
    "make_country_pki",
    "make_signer",
    "make_tls_leaf",
    "write_country_pki",
]

KeyType = Literal["ec", "ed25519"]
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_DEFAULT_LIFETIME = dt.timedelta(days=3650)


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported key type {key_type!r}")


def _hash_for(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _window(
    not_before: dt.datetime | None, not_after: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    end = not_after or (start + _DEFAULT_LIFETIME)
    return start, end


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedCertificate:
    """A certificate with its private key.

    Attributes:
        certificate: The X.509 certificate.
        private_key: Its private key.
    """

    certificate: x509.Certificate
    private_key: PrivateKey

    @property
    def cert_pem(self) -> bytes:
        """The certificate as PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        """The certificate as DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _builder(
    *,
    subject: x509.Name,
    issuer: IssuedCertificate | None,
    public_key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        issuer_ski = issuer.certificate.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier
        ).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    return builder


def _sign(
    builder: x509.CertificateBuilder, signer_key: PrivateKey, key: PrivateKey
) -> IssuedCertificate:
    cert = builder.sign(signer_key, _hash_for(signer_key))
    return IssuedCertificate(certificate=cert, private_key=key)


def make_ca(
    *,
    common_name: str,
    country: str,
    issuer: IssuedCertificate | None = None,
    path_length: int | None = None,
    key_type: KeyType = "ec",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> IssuedCertificate:
    """Make a CA certificate: self-signed root when ``issuer`` is None.

    BasicConstraints CA true (critical) and KeyUsage keyCertSign + cRLSign
    (critical), as REQ-PKI-004 requires of CA certificates.
    """
    start, end = _window(not_before, not_after)
    key = _new_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{country} e-CO test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        _builder(
            subject=subject,
            issuer=issuer,
            public_key=key.public_key(),
            not_before=start,
            not_after=end,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return _sign(builder, issuer.private_key if issuer else key, key)


def make_signer(
    *,
    uris: Sequence[str],
    issuer: IssuedCertificate,
    key_type: KeyType = "ec",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    common_name: str | None = None,
    digital_signature: bool = True,
    key_cert_sign: bool = False,
    key_usage_critical: bool = True,
    include_key_usage: bool = True,
    ca: bool | None = False,
) -> IssuedCertificate:
    """Make a document signer leaf (REQ-PKI-002 profile by default).

    The keyword flags produce deliberately broken variants for negative
    tests (wrong key usage, CA leaf, several or no URIs).

    Args:
        uris: The URI subject alternative names, normally exactly one
            (``urn:wco:eco:authority:CC:ID`` or ``urn:wco:eco:node:CC``).
        issuer: Issuing CA (normally the country's intermediate).
        key_type: ``"ec"`` (P-256) or ``"ed25519"``.
        not_before: Start of validity (default: one hour ago).
        not_after: End of validity (default: ten years after the start).
        common_name: Subject CN (default: the first URI).
        digital_signature: KeyUsage digitalSignature bit.
        key_cert_sign: KeyUsage keyCertSign bit.
        key_usage_critical: Whether KeyUsage is critical.
        include_key_usage: Whether to add KeyUsage at all.
        ca: BasicConstraints CA value, or None to omit the extension.
    """
    start, end = _window(not_before, not_after)
    key = _new_key(key_type)
    cn = common_name or (uris[0] if uris else "e-CO signer")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = _builder(
        subject=subject, issuer=issuer, public_key=key.public_key(), not_before=start, not_after=end
    )
    if uris:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(u) for u in uris]),
            critical=False,
        )
    if include_key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=key_cert_sign,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=key_usage_critical,
        )
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=None), critical=True
        )
    return _sign(builder, issuer.private_key, key)


def make_tls_leaf(
    *,
    country: str,
    issuer: IssuedCertificate,
    server: bool,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    dns_names: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1",),
) -> IssuedCertificate:
    """Make a TLS server or client certificate for a country's node (REQ-ACC-001).

    Server: SAN DNS names, IP addresses and ``urn:wco:eco:node:CC``, EKU
    serverAuth. Client: SAN ``urn:wco:eco:node:CC``, EKU clientAuth.
    """
    start, end = _window(not_before, not_after)
    key = ec.generate_private_key(ec.SECP256R1())
    uri = f"urn:wco:eco:node:{country}"
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri)]
    if server:
        names = [
            *(x509.DNSName(d) for d in dns_names),
            *(x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses),
            *names,
        ]
    role = "server" if server else "client"
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{country} e-CO node {role}"),
        ]
    )
    builder = (
        _builder(
            subject=subject,
            issuer=issuer,
            public_key=key.public_key(),
            not_before=start,
            not_after=end,
        )
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    return _sign(builder, issuer.private_key, key)


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryPki:
    """All PKI material of one country's node (ADR 0001).

    Attributes:
        country: ISO 3166-1 alpha-2 code (tests: ``XA``..``XZ``).
        authority_id: Id of the authority signer.
        root: Document trust anchor (self-signed).
        intermediate: Intermediate CA (pathlen 0) issuing the signer leaves.
        authority: Authority signer leaf ``urn:wco:eco:authority:CC:ID``.
        node_signer: Node signer leaf ``urn:wco:eco:node:CC``.
        tls_ca: TLS CA of the country.
        tls_server: TLS server certificate.
        tls_client: TLS client certificate.
    """

    country: str
    authority_id: str
    root: IssuedCertificate
    intermediate: IssuedCertificate
    authority: IssuedCertificate
    node_signer: IssuedCertificate
    tls_ca: IssuedCertificate
    tls_server: IssuedCertificate
    tls_client: IssuedCertificate

    @property
    def anchors_pem(self) -> bytes:
        """The document trust anchors as a PEM bundle."""
        return self.root.cert_pem

    @property
    def authority_chain_pem(self) -> bytes:
        """Authority signer leaf then intermediate, PEM."""
        return self.authority.cert_pem + self.intermediate.cert_pem

    @property
    def node_signer_chain_pem(self) -> bytes:
        """Node signer leaf then intermediate, PEM."""
        return self.node_signer.cert_pem + self.intermediate.cert_pem

    def signer_leaf(
        self,
        *,
        authority_id: str | None = None,
        node: bool = False,
        key_type: KeyType = "ec",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> IssuedCertificate:
        """Issue a further signer leaf under this country's intermediate."""
        uri = (
            f"urn:wco:eco:node:{self.country}"
            if node
            else f"urn:wco:eco:authority:{self.country}:{authority_id or self.authority_id}"
        )
        return make_signer(
            uris=[uri],
            issuer=self.intermediate,
            key_type=key_type,
            not_before=not_before,
            not_after=not_after,
        )


def make_country_pki(
    country: str,
    *,
    authority_id: str | None = None,
    key_type: KeyType = "ec",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> CountryPki:
    """Generate the complete PKI of one country (ADR 0001).

    Args:
        country: ISO 3166-1 alpha-2 code, upper case.
        authority_id: Authority id (default ``<cc>-customs``).
        key_type: Key type of the two document signer leaves; CAs and TLS
            use ECDSA P-256.
        not_before: Start of validity of every certificate (default: one
            hour ago).
        not_after: End of validity (default: ten years after the start).
    """
    if len(country) != 2 or not country.isascii() or not country.isupper():
        raise ValueError("country must be an upper-case ISO 3166-1 alpha-2 code")
    aid = authority_id or f"{country.lower()}-customs"
    start, end = _window(not_before, not_after)
    root = make_ca(
        common_name=f"{country} e-CO Root CA", country=country, not_before=start, not_after=end
    )
    intermediate = make_ca(
        common_name=f"{country} e-CO Signing CA",
        country=country,
        issuer=root,
        path_length=0,
        not_before=start,
        not_after=end,
    )
    authority = make_signer(
        uris=[f"urn:wco:eco:authority:{country}:{aid}"],
        issuer=intermediate,
        key_type=key_type,
        not_before=start,
        not_after=end,
    )
    node_signer = make_signer(
        uris=[f"urn:wco:eco:node:{country}"],
        issuer=intermediate,
        key_type=key_type,
        not_before=start,
        not_after=end,
    )
    tls_ca = make_ca(
        common_name=f"{country} e-CO TLS CA", country=country, not_before=start, not_after=end
    )
    return CountryPki(
        country=country,
        authority_id=aid,
        root=root,
        intermediate=intermediate,
        authority=authority,
        node_signer=node_signer,
        tls_ca=tls_ca,
        tls_server=make_tls_leaf(
            country=country, issuer=tls_ca, server=True, not_before=start, not_after=end
        ),
        tls_client=make_tls_leaf(
            country=country, issuer=tls_ca, server=False, not_before=start, not_after=end
        ),
    )


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    if secret:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


def write_country_pki(pki: CountryPki, directory: Path | str) -> Path:
    """Write ``pki`` as PEM files into ``<directory>/<CC>/`` and return that folder.

    Private keys are written with mode 0600.
    """
    folder = Path(directory) / pki.country
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "anchors.pem", pki.anchors_pem)
    _write(folder / "authority.pem", pki.authority_chain_pem)
    _write(folder / "authority.key", pki.authority.key_pem, secret=True)
    _write(folder / "node-signer.pem", pki.node_signer_chain_pem)
    _write(folder / "node-signer.key", pki.node_signer.key_pem, secret=True)
    _write(folder / "tls-ca.pem", pki.tls_ca.cert_pem)
    _write(folder / "node-server.pem", pki.tls_server.cert_pem)
    _write(folder / "node-server.key", pki.tls_server.key_pem, secret=True)
    _write(folder / "node-client.pem", pki.tls_client.cert_pem)
    _write(folder / "node-client.key", pki.tls_client.key_pem, secret=True)
    return folder
