"""Test PKI for the reliability tests (docs/spec.md section 5.2, REQ-ACC-001).

Generates, per test country, the hierarchies of docs/adr/0001-architecture.md
("Certificate profiles"): a document root CA -> intermediate CA (pathlen 0) ->
authority signer and node signer leaves, and a TLS CA -> node server and node
client certificates. Extra leaves (a second authority key for rollover, an
expired signer, an expired or foreign TLS client) are made on demand.

Time is a parameter; nothing here reads the clock except the default ``now``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CountryPki", "Credential", "authority_id", "key_id", "make_country"]

_DAY = dt.timedelta(days=1)


def authority_id(country: str) -> str:
    """Return the test issuing authority id of a country (``xa-customs``)."""
    return f"{country.lower()}-customs"


def key_id(cert: x509.Certificate) -> str:
    """Return the REQ-SIG-004 key id: hex SHA-256 of the DER SubjectPublicKeyInfo."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential:
    """A certificate with its private key and the chain above it (excluding the root).

    Attributes:
        cert: The certificate.
        key: Its private key.
        chain: Intermediates towards (excluding) the trust anchor.
    """

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    def chain_der(self) -> list[bytes]:
        """Leaf then intermediates, DER (``Signature.certificate_chain``)."""
        return [c.public_bytes(serialization.Encoding.DER) for c in (self.cert, *self.chain)]

    def chain_pem(self) -> bytes:
        """Leaf then intermediates, PEM bundle."""
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *self.chain)
        )

    def key_pem(self) -> bytes:
        """The private key, PEM PKCS#8 unencrypted."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def key_id(self) -> str:
        """REQ-SIG-004 key id of the certificate."""
        return key_id(self.cert)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _ca(
    *,
    cn: str,
    issuer: Credential | None,
    now: dt.datetime,
    path_length: int | None,
) -> Credential:
    key = _new_key()
    issuer_name = issuer.cert.subject if issuer else _name(cn)
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 30 * _DAY)
        .not_valid_after(now + 3650 * _DAY)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    cert = builder.sign(signing_key, hashes.SHA256())
    return Credential(cert=cert, key=key)


def _leaf(
    *,
    cn: str,
    issuer: Credential,
    uri: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    tls_usage: x509.ObjectIdentifier | None = None,
) -> Credential:
    key = _new_key()
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri)]
    if tls_usage == ExtendedKeyUsageOID.SERVER_AUTH:
        sans = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            *sans,
        ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
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
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    if tls_usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([tls_usage]), critical=False)
    cert = builder.sign(issuer.key, hashes.SHA256())
    chain = (issuer.cert,) if issuer.cert.subject != issuer.cert.issuer else ()
    return Credential(cert=cert, key=key, chain=chain)


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryPki:
    """All key material of one test country.

    Attributes:
        country: ISO code (``XA``..``XZ``).
        now: The time the material was made for.
        root: Document trust anchor (self-signed).
        intermediate: Document intermediate CA (pathlen 0).
        authority: Authority signer of ``authority_id(country)``.
        node_signer: Node signer (receipts, directory).
        tls_ca: TLS CA of the country.
        server: TLS server certificate.
        client: TLS client certificate.
    """

    country: str
    now: dt.datetime
    root: Credential
    intermediate: Credential
    authority: Credential
    node_signer: Credential
    tls_ca: Credential
    server: Credential
    client: Credential

    def new_authority_signer(
        self,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        authority: str | None = None,
    ) -> Credential:
        """Issue another authority signer leaf (rollover key, expired key, ...)."""
        ident = authority or authority_id(self.country)
        return _leaf(
            cn=f"{ident} signer",
            issuer=self.intermediate,
            uri=f"urn:wco:eco:authority:{self.country}:{ident}",
            not_before=not_before or self.now - _DAY,
            not_after=not_after or self.now + 365 * _DAY,
        )

    def new_client(
        self,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Credential:
        """Issue another TLS client certificate of this country."""
        return _leaf(
            cn=f"{self.country} node client",
            issuer=self.tls_ca,
            uri=f"urn:wco:eco:node:{self.country}",
            not_before=not_before or self.now - _DAY,
            not_after=not_after or self.now + 365 * _DAY,
            tls_usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        )

    def write(self, directory: Path) -> Path:
        """Write the ADR 0001 file layout under ``directory/<CC>/`` and return it."""
        out = directory / self.country
        out.mkdir(parents=True, exist_ok=True)
        pem = serialization.Encoding.PEM
        files = {
            "anchors.pem": self.root.cert.public_bytes(pem),
            "authority.pem": self.authority.chain_pem(),
            "authority.key": self.authority.key_pem(),
            "node-signer.pem": self.node_signer.chain_pem(),
            "node-signer.key": self.node_signer.key_pem(),
            "tls-ca.pem": self.tls_ca.cert.public_bytes(pem),
            "node-server.pem": self.server.chain_pem(),
            "node-server.key": self.server.key_pem(),
            "node-client.pem": self.client.chain_pem(),
            "node-client.key": self.client.key_pem(),
        }
        for name, data in files.items():
            (out / name).write_bytes(data)
        return out


def make_country(country: str, *, now: dt.datetime | None = None) -> CountryPki:
    """Generate the full key material of one test country."""
    now = now or dt.datetime.now(dt.UTC)
    root = _ca(cn=f"{country} document root", issuer=None, now=now, path_length=1)
    intermediate = _ca(cn=f"{country} document intermediate", issuer=root, now=now, path_length=0)
    tls_ca = _ca(cn=f"{country} TLS CA", issuer=None, now=now, path_length=0)
    authority = _leaf(
        cn=f"{authority_id(country)} signer",
        issuer=intermediate,
        uri=f"urn:wco:eco:authority:{country}:{authority_id(country)}",
        not_before=now - _DAY,
        not_after=now + 365 * _DAY,
    )
    node_signer = _leaf(
        cn=f"{country} node signer",
        issuer=intermediate,
        uri=f"urn:wco:eco:node:{country}",
        not_before=now - _DAY,
        not_after=now + 365 * _DAY,
    )
    server = _leaf(
        cn=f"{country} node server",
        issuer=tls_ca,
        uri=f"urn:wco:eco:node:{country}",
        not_before=now - _DAY,
        not_after=now + 365 * _DAY,
        tls_usage=ExtendedKeyUsageOID.SERVER_AUTH,
    )
    client = _leaf(
        cn=f"{country} node client",
        issuer=tls_ca,
        uri=f"urn:wco:eco:node:{country}",
        not_before=now - _DAY,
        not_after=now + 365 * _DAY,
        tls_usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    return CountryPki(
        country=country,
        now=now,
        root=root,
        intermediate=intermediate,
        authority=authority,
        node_signer=node_signer,
        tls_ca=tls_ca,
        server=server,
        client=client,
    )
