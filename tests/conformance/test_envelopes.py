"""The suite's own PAE, key id, signing and receipt verification (REQ-SIG-003..006)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import envelopes
from conformance.errors import EnvelopeVerificationError
from conformance.pki import SuitePki, authority_uri, generate_pki, node_uri

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=NOW)


def test_pae_known_answer() -> None:
    # DSSE's own example: type "http://example.com/HelloWorld", body "hello world".
    assert (
        envelopes.pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert envelopes.pae("", b"") == b"DSSEv1 0  0 "


def test_pae_counts_utf8_bytes() -> None:
    assert envelopes.pae("é", b"x").startswith(b"DSSEv1 2 \xc3\xa9 1 x")


@settings(max_examples=50)
@given(st.text(max_size=30), st.binary(max_size=64))
def test_pae_is_injective_on_the_boundary(ptype: str, body: bytes) -> None:
    encoded = envelopes.pae(ptype, body)
    head, _, rest = encoded.partition(b" ")
    assert head == b"DSSEv1"
    length, _, rest = rest.partition(b" ")
    assert int(length) == len(ptype.encode())
    assert rest[: int(length)] == ptype.encode()
    assert rest.endswith(body)


def test_key_id_is_sha256_of_spki(pki: SuitePki) -> None:
    cert = pki.country("XA").authority.certificate
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert pki.country("XA").authority.key_id == hashlib.sha256(spki).hexdigest()


@pytest.mark.parametrize("signer", ["authority", "ed25519"])
def test_sign_then_verify(pki: SuitePki, signer: str) -> None:
    xa = pki.country("XA")
    cred = xa.authority if signer == "authority" else pki.negative_signers["ed25519-signer"]
    env = envelopes.sign_envelope(envelopes.PAYLOAD_TYPE_CERTIFICATE, b"payload", [cred])
    leaf = envelopes.verify_envelope(
        env,
        anchors=[xa.root.certificate],
        expected_uri=authority_uri("XA", "xa-customs"),
        now=NOW,
        expected_payload_type=envelopes.PAYLOAD_TYPE_CERTIFICATE,
    )
    assert leaf == cred.certificate


@pytest.mark.parametrize(
    "tamper",
    [
        envelopes.flip_payload_bit,
        envelopes.corrupt_signature,
        lambda e: envelopes.with_key_id(e, "00" * 32),
        lambda e: envelopes.replace_chain(e, [b"not a certificate"]),
    ],
    ids=["payload", "signature", "key-id", "chain"],
)
def test_tampered_envelopes_raise(pki: SuitePki, tamper: object) -> None:
    xb = pki.country("XB")
    env = envelopes.sign_envelope(envelopes.PAYLOAD_TYPE_RECEIPT, b"receipt", [xb.node_signer])
    with pytest.raises(EnvelopeVerificationError):
        envelopes.verify_envelope(
            tamper(env),  # type: ignore[operator]
            anchors=[xb.root.certificate],
            expected_uri=node_uri("XB"),
            now=NOW,
        )


def test_wrong_signer_role_or_anchor_raises(pki: SuitePki) -> None:
    xb = pki.country("XB")
    env = envelopes.sign_envelope(envelopes.PAYLOAD_TYPE_RECEIPT, b"r", [xb.authority])
    with pytest.raises(EnvelopeVerificationError, match="URI"):
        envelopes.verify_envelope(
            env, anchors=[xb.root.certificate], expected_uri=node_uri("XB"), now=NOW
        )
    env = envelopes.sign_envelope(envelopes.PAYLOAD_TYPE_RECEIPT, b"r", [xb.node_signer])
    with pytest.raises(EnvelopeVerificationError, match="SIGNER_UNTRUSTED"):
        envelopes.verify_envelope(
            env, anchors=[pki.country("XA").root.certificate], expected_uri=node_uri("XB"), now=NOW
        )
    with pytest.raises(EnvelopeVerificationError, match="SIGNER_EXPIRED"):
        envelopes.verify_envelope(
            env,
            anchors=[xb.root.certificate],
            expected_uri=node_uri("XB"),
            now=NOW + dt.timedelta(days=3000),
        )
