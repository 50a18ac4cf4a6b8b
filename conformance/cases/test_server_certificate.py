"""Profile ``transport-security``: the node's TLS server certificate (docs/spec.md 2).

REQ-ACC-007: the server certificate chains to the node country's TLS CA (the suite's
``--server-ca``, the CA a partner configures for the node), names the address the suite
dialled in its subject alternative name, carries the node URI ``urn:wco:eco:node:CC`` of
the node's country, and lists serverAuth when it has an extended key usage extension.
The suite opens its own TLS connection with XA's client certificate, verifying the chain
and the name as any gRPC client does, and then reads the certificate the node presented.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from conformance.client import Target
from conformance.pki import SuitePki, node_uri

pytestmark = [pytest.mark.profile("transport-security")]

XA = "XA"


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _server_certificate(target: Target, suite_pki: SuitePki, work: Path) -> x509.Certificate:
    """Handshake as XA, verifying chain and name, and return the node's leaf certificate."""
    client = suite_pki.country(XA).node_client
    cert_file, key_file = work / "client.pem", work / "client.key"
    cert_file.write_bytes(client.chain_pem())
    key_file.write_bytes(client.key_pem())
    context = ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cadata=target.server_ca_pem.decode("ascii")
    )
    context.load_cert_chain(cert_file, key_file)
    context.set_alpn_protocols(["h2"])
    host, port = _host_port(target.address)
    name = target.tls_server_name or host
    try:
        with (
            socket.create_connection((host, port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        raise AssertionError(
            f"REQ-ACC-007: the server certificate does not verify for {name!r} under the "
            f"node's TLS CA: {exc.verify_message}"
        ) from None
    assert der, "REQ-ACC-007: the node presented no server certificate"
    return x509.load_der_x509_certificate(der)


def _names(cert: x509.Certificate) -> tuple[list[str], list[str], list[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], [], []
    return (
        san.get_values_for_type(x509.UniformResourceIdentifier),
        san.get_values_for_type(x509.DNSName),
        [str(ip) for ip in san.get_values_for_type(x509.IPAddress)],
    )


@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-ACC-007")
def test_server_certificate_names_the_node(
    target: Target, suite_pki: SuitePki, tmp_path: Path
) -> None:
    """Chain to the node's TLS CA, the dialled name in the SAN, and the node URI."""
    cert = _server_certificate(target, suite_pki, tmp_path)
    uris, dns, ips = _names(cert)
    expected = node_uri(target.node_country)
    assert expected in uris, (
        f"REQ-ACC-007: the server certificate's URIs are {uris}, without {expected}"
    )
    name = target.tls_server_name or _host_port(target.address)[0]
    try:
        listed = str(ipaddress.ip_address(name)) in ips
    except ValueError:
        listed = name.lower() in (d.lower() for d in dns)
    assert listed, f"REQ-ACC-007: the server certificate names DNS {dns} and IP {ips}, not {name!r}"


@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-ACC-007")
def test_server_certificate_usage(target: Target, suite_pki: SuitePki, tmp_path: Path) -> None:
    """An extended key usage, when present, lists serverAuth."""
    cert = _server_certificate(target, suite_pki, tmp_path)
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    assert ExtendedKeyUsageOID.SERVER_AUTH in list(eku), (
        f"REQ-ACC-007: the server certificate's extended key usage is {list(eku)}, "
        "without serverAuth"
    )
