"""Test PKI for the reliability tests (docs/spec.md section 5.2, REQ-ACC-001).

Generates, per test country, the hierarchies of docs/adr/0001-architecture.md
("Certificate profiles"): a document root CA -> intermediate CA (pathlen 0) ->
authority signer and node signer leaves, and a TLS CA -> node server and node
client certificates. Extra leaves (a second authority key for rollover, an
expired signer, an expired or foreign TLS client) are made on demand.

Certificates are made by ``reference_node.pki`` (``make_ca``, ``make_signer``,
``make_tls_leaf``); this module only fixes the validity periods the tests rely on and keeps
the chain above each leaf. Time is a parameter; nothing here reads the clock except the
default ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reference_node.core.signing import key_id_of_certificate
from reference_node.pki import IssuedCertificate, make_ca, make_signer, make_tls_leaf

__all__ = [
    "CountryPki",
    "Credential",
    "authority_id",
    "key_id",
    "make_country",
    "tls_client_naming",
]

_DAY = dt.timedelta(days=1)


def authority_id(country: str) -> str:
    """Return the test issuing authority id of a country (``xa-customs``)."""
    return f"{country.lower()}-customs"


def key_id(cert: x509.Certificate) -> str:
    """Return the REQ-SIG-004 key id: hex SHA-256 of the DER SubjectPublicKeyInfo."""
    return key_id_of_certificate(cert)


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


def _credential(issued: IssuedCertificate, chain: tuple[x509.Certificate, ...] = ()) -> Credential:
    key = issued.private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("the reliability tests sign with ECDSA P-256 keys only")
    return Credential(cert=issued.certificate, key=key, chain=chain)


def _issued(credential: Credential) -> IssuedCertificate:
    return IssuedCertificate(certificate=credential.cert, private_key=credential.key)


def _ca(
    *,
    cn: str,
    country: str,
    issuer: Credential | None,
    now: dt.datetime,
    path_length: int | None,
) -> Credential:
    issued = make_ca(
        common_name=cn,
        country=country,
        issuer=_issued(issuer) if issuer is not None else None,
        path_length=path_length,
        not_before=now - 30 * _DAY,
        not_after=now + 3650 * _DAY,
    )
    return _credential(issued)


def _signer(
    *, cn: str, issuer: Credential, uri: str, not_before: dt.datetime, not_after: dt.datetime
) -> Credential:
    issued = make_signer(
        uris=[uri],
        issuer=_issued(issuer),
        not_before=not_before,
        not_after=not_after,
        common_name=cn,
    )
    return _credential(issued, (issuer.cert,))


def _tls(
    *, country: str, issuer: Credential, server: bool, now: dt.datetime, **validity: dt.datetime
) -> Credential:
    issued = make_tls_leaf(
        country=country,
        issuer=_issued(issuer),
        server=server,
        not_before=validity.get("not_before") or now - _DAY,
        not_after=validity.get("not_after") or now + 365 * _DAY,
    )
    return _credential(issued)


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
        return _signer(
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
        validity = {
            name: value
            for name, value in (("not_before", not_before), ("not_after", not_after))
            if value is not None
        }
        return _tls(
            country=self.country, issuer=self.tls_ca, server=False, now=self.now, **validity
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
    root = _ca(cn=f"{country} document root", country=country, issuer=None, now=now, path_length=1)
    intermediate = _ca(
        cn=f"{country} document intermediate", country=country, issuer=root, now=now, path_length=0
    )
    tls_ca = _ca(cn=f"{country} TLS CA", country=country, issuer=None, now=now, path_length=0)
    leaf_validity = {"not_before": now - _DAY, "not_after": now + 365 * _DAY}
    return CountryPki(
        country=country,
        now=now,
        root=root,
        intermediate=intermediate,
        authority=_signer(
            cn=f"{authority_id(country)} signer",
            issuer=intermediate,
            uri=f"urn:wco:eco:authority:{country}:{authority_id(country)}",
            **leaf_validity,
        ),
        node_signer=_signer(
            cn=f"{country} node signer",
            issuer=intermediate,
            uri=f"urn:wco:eco:node:{country}",
            **leaf_validity,
        ),
        tls_ca=tls_ca,
        server=_tls(country=country, issuer=tls_ca, server=True, now=now),
        client=_tls(country=country, issuer=tls_ca, server=False, now=now),
    )


def tls_client_naming(issuer: Credential, uris: Sequence[str]) -> Credential:
    """A TLS client certificate issued by ``issuer`` whose SAN lists exactly ``uris``.

    ``uris`` empty: no subject alternative name at all. Used for the identities
    REQ-ACC-001 refuses although the TLS handshake admits them (the issuer is a
    trusted TLS CA): two node URIs, none, or another country's URI.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "odd e-CO node client")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    if uris:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(u) for u in uris]),
            critical=False,
        )
    return Credential(cert=builder.sign(issuer.key, hashes.SHA256()), key=key)
