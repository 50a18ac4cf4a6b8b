"""The suite PKI follows the certificate profiles (REQ-PKI-*, REQ-ACC-001, ADR 0001)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import verification as xv
from cryptography.x509.oid import ExtendedKeyUsageOID

from conformance.errors import PkiError
from conformance.pki import (
    PROFILE_SIGNERS,
    SuitePki,
    authority_uri,
    generate_pki,
    issue_timed_signer,
    load_pki,
    node_uri,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=NOW)


def _doc_verifier(anchor: x509.Certificate, when: dt.datetime) -> xv.ClientVerifier:
    return (
        xv.PolicyBuilder()
        .store(xv.Store([anchor]))
        .time(when)
        .extension_policies(
            ca_policy=xv.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=xv.ExtensionPolicy.permit_all(),
        )
        .build_client_verifier()
    )


def test_signers_validate_to_their_country_root(pki: SuitePki) -> None:
    for cc in ("XA", "XB", "XC"):
        country = pki.country(cc)
        verifier = _doc_verifier(country.root.certificate, NOW)
        for cred, uri in (
            (country.authority, authority_uri(cc, f"{cc.lower()}-customs")),
            (country.node_signer, node_uri(cc)),
        ):
            verified = verifier.verify(cred.certificate, list(cred.chain[1:]))
            assert verified.chain[-1] == country.root.certificate
            san = cred.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [uri]
            ku = cred.certificate.extensions.get_extension_for_class(x509.KeyUsage)
            assert ku.critical
            assert ku.value.digital_signature
            assert not ku.value.key_cert_sign


def test_intermediate_has_pathlen_zero(pki: SuitePki) -> None:
    bc = pki.country("XA").intermediate.certificate.extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert bc.value.ca
    assert bc.value.path_length == 0


def test_tls_server_certificate_validates_for_localhost_and_ip(pki: SuitePki) -> None:
    country = pki.country("XB")
    for name in (
        xv.DNSName("localhost"),
        xv.IPAddress(__import__("ipaddress").ip_address("127.0.0.1")),
    ):
        verifier = (
            xv.PolicyBuilder()
            .store(xv.Store([country.tls_ca.certificate]))
            .time(NOW)
            .build_server_verifier(name)
        )
        chain = verifier.verify(country.node_server.certificate, [])
        assert chain[0] == country.node_server.certificate


def test_tls_client_certificate_is_client_auth_with_node_uri(pki: SuitePki) -> None:
    country = pki.country("XA")
    verifier = (
        xv.PolicyBuilder()
        .store(xv.Store([country.tls_ca.certificate]))
        .time(NOW)
        .build_client_verifier()
    )
    verified = verifier.verify(country.node_client.certificate, [])
    assert verified.subjects is not None
    eku = country.node_client.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    san = country.node_client.certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [node_uri("XA")]


@pytest.mark.parametrize(
    "name",
    [
        "expired-signer",
        "not-yet-valid-signer",
        "untrusted-root-signer",
        "expired-intermediate-signer",
    ],
)
def test_negative_signers_fail_path_validation(pki: SuitePki, name: str) -> None:
    cred = pki.negative_signers[name]
    with pytest.raises(xv.VerificationError):
        _doc_verifier(pki.country("XA").root.certificate, NOW).verify(
            cred.certificate, list(cred.chain[1:])
        )


@pytest.mark.parametrize(
    "name",
    [
        "wrong-key-usage-signer",
        "ca-flag-signer",
        "other-country-uri-signer",
        "revoked-signer",
        "revoked-later-signer",
        "unlisted-authority-signer",
        "other-authority-signer",
        "ed25519-signer",
    ],
)
def test_profile_negative_signers_still_chain_to_xa(pki: SuitePki, name: str) -> None:
    # These fail only the signer profile or authorisation, never path validation.
    cred = pki.negative_signers[name]
    _doc_verifier(pki.country("XA").root.certificate, NOW).verify(
        cred.certificate, list(cred.chain[1:])
    )


def test_negative_tls_clients_fail(pki: SuitePki) -> None:
    verifier = (
        xv.PolicyBuilder()
        .store(xv.Store([pki.country("XA").tls_ca.certificate]))
        .time(NOW)
        .build_client_verifier()
    )
    for name in ("unknown-ca-client", "expired-client"):
        with pytest.raises(xv.VerificationError):
            verifier.verify(pki.negative_tls_clients[name].certificate, [])


def test_write_and_load_round_trip(pki: SuitePki, tmp_path: Path) -> None:
    written = pki.write(tmp_path)
    for cc in ("XA", "XB", "XC"):
        for f in (
            "anchors.pem",
            "authority.pem",
            "authority.key",
            "node-signer.pem",
            "node-signer.key",
            "tls-ca.pem",
            "node-server.pem",
            "node-server.key",
            "node-client.pem",
            "node-client.key",
        ):
            assert (tmp_path / cc / f).is_file(), f"{cc}/{f}"
    assert (tmp_path / "XA" / "authority.key").stat().st_mode & 0o077 == 0
    loaded = load_pki(tmp_path)
    assert written.path == tmp_path
    assert loaded.country("XA").authority.key_id == pki.country("XA").authority.key_id
    assert loaded.country("XA").authority.chain == pki.country("XA").authority.chain
    assert set(loaded.negative_signers) == set(pki.negative_signers)
    assert loaded.node_country == "XB"


def test_load_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match=r"manifest\.json"):
        load_pki(tmp_path)


def test_naive_time_is_refused() -> None:
    with pytest.raises(PkiError):
        generate_pki(now=dt.datetime(2026, 1, 1))


_CA_RULE_SIGNERS = (
    "pathlen-exceeded-signer",
    "ca-without-key-cert-sign-signer",
    "ca-flag-false-intermediate-signer",
    "basic-constraints-not-critical-intermediate-signer",
    "critical-unknown-extension-signer",
)


@pytest.mark.parametrize("name", sorted(set(PROFILE_SIGNERS) - set(_CA_RULE_SIGNERS)))
def test_leaf_profile_signers_chain_to_xa(pki: SuitePki, name: str) -> None:
    # They break (or bend) one rule of the leaf profile, never path validation.
    cred = pki.negative_signers[name]
    _doc_verifier(pki.country("XA").root.certificate, NOW).verify(
        cred.certificate, list(cred.chain[1:])
    )


@pytest.mark.parametrize("name", _CA_RULE_SIGNERS)
def test_ca_rule_signers_fail_path_validation(pki: SuitePki, name: str) -> None:
    cred = pki.negative_signers[name]
    ku = cred.certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert not ku.value.key_cert_sign
    with pytest.raises(xv.VerificationError):
        _doc_verifier(pki.country("XA").root.certificate, NOW).verify(
            cred.certificate, list(cred.chain[1:])
        )


def test_profile_signers_round_trip(pki: SuitePki, tmp_path: Path) -> None:
    loaded = load_pki(pki.write(tmp_path).path or tmp_path)
    for name in PROFILE_SIGNERS:
        assert loaded.negative_signers[name].chain == pki.negative_signers[name].chain


def test_timed_signer_has_second_granularity(pki: SuitePki) -> None:
    start = NOW + dt.timedelta(seconds=15, microseconds=999)
    cred = issue_timed_signer(pki, not_before=start, not_after=NOW + dt.timedelta(days=1))
    assert cred.certificate.not_valid_before_utc == NOW + dt.timedelta(seconds=15)
    assert cred.chain[1] == pki.country("XA").intermediate.certificate
    ended = issue_timed_signer(
        pki,
        not_before=NOW - dt.timedelta(days=1),
        not_after=NOW + dt.timedelta(days=1),
        intermediate_not_before=NOW - dt.timedelta(days=2),
        intermediate_not_after=NOW - dt.timedelta(seconds=5),
    )
    assert ended.chain[1].not_valid_after_utc == NOW - dt.timedelta(seconds=5)
    _doc_verifier(pki.country("XA").root.certificate, NOW + dt.timedelta(seconds=16)).verify(
        cred.certificate, list(cred.chain[1:])
    )
