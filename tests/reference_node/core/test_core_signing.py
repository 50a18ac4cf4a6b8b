"""Signatures: sign -> verify round trips and tamper -> raises (REQ-SIG-003..006)."""

from __future__ import annotations

import pytest
from core_testlib import CORE_SETTINGS, World, identity
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from reference_node.core import payload_types
from reference_node.core.errors import SignatureInvalid, SignerUntrusted
from reference_node.core.signing import (
    SigningIdentity,
    key_id,
    sign_envelope,
    verify_signature,
)
from reference_node.pki import make_signer
from wco.eco.v1 import envelope_pb2

TYPES = sorted(payload_types.MESSAGE_BY_TYPE)


def _signers(world: World) -> list[SigningIdentity]:
    return [world.xa_authority, identity(world.xa_ed.authority, world.xa_ed)]


@CORE_SETTINGS
@given(
    payload=st.binary(max_size=512), payload_type=st.sampled_from(TYPES), which=st.integers(0, 1)
)
def test_sign_then_verify_round_trip(
    world: World, payload: bytes, payload_type: str, which: int
) -> None:
    signer = _signers(world)[which]
    envelope = sign_envelope(payload_type=payload_type, payload=payload, signers=[signer])
    assert envelope.payload == payload
    leaf = verify_signature(envelope.signatures[0], payload_type=payload_type, payload=payload)
    assert leaf == signer.certificate
    assert envelope.signatures[0].key_id == signer.key_id


@CORE_SETTINGS
@given(payload=st.binary(min_size=1, max_size=256), data=st.data(), which=st.integers(0, 1))
def test_tampered_payload_raises(
    world: World, payload: bytes, data: st.DataObject, which: int
) -> None:
    signer = _signers(world)[which]
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE, payload=payload, signers=[signer]
    )
    i = data.draw(st.integers(0, len(payload) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(payload)
    tampered[i] ^= 1 << bit
    with pytest.raises(SignatureInvalid):
        verify_signature(
            envelope.signatures[0], payload_type=payload_types.CERTIFICATE, payload=bytes(tampered)
        )


def test_payload_type_is_bound(world: World) -> None:
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE, payload=b"abc", signers=[world.xa_authority]
    )
    with pytest.raises(SignatureInvalid):
        verify_signature(
            envelope.signatures[0], payload_type=payload_types.STATUS_CHANGE, payload=b"abc"
        )


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda s: setattr(s, "key_id", "00" * 32), id="key-id-mismatch"),
        pytest.param(lambda s: setattr(s, "key_id", s.key_id.upper()), id="key-id-uppercase"),
        pytest.param(lambda s: setattr(s, "algorithm", 0), id="algorithm-unspecified"),
        pytest.param(lambda s: setattr(s, "algorithm", 2), id="algorithm-mismatch"),
        pytest.param(lambda s: setattr(s, "algorithm", 77), id="algorithm-unknown"),
        pytest.param(lambda s: setattr(s, "signature", b""), id="empty-signature"),
        pytest.param(lambda s: setattr(s, "signature", b"\x30\x00"), id="garbage-der"),
        pytest.param(lambda s: s.ClearField("certificate_chain"), id="no-chain"),
    ],
)
def test_broken_signature_fields_raise(world: World, mutate: object) -> None:
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE, payload=b"payload", signers=[world.xa_authority]
    )
    signature = envelope.signatures[0]
    mutate(signature)  # type: ignore[operator]
    with pytest.raises(SignatureInvalid) as info:
        verify_signature(signature, payload_type=payload_types.CERTIFICATE, payload=b"payload")
    assert info.value.reason == "SIGNATURE_INVALID"


def test_ed25519_key_with_ecdsa_algorithm_is_invalid(world: World) -> None:
    ed = identity(world.xa_ed.authority, world.xa_ed)
    envelope = sign_envelope(payload_type=payload_types.CERTIFICATE, payload=b"x", signers=[ed])
    envelope.signatures[0].algorithm = envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256
    with pytest.raises(SignatureInvalid):
        verify_signature(
            envelope.signatures[0], payload_type=payload_types.CERTIFICATE, payload=b"x"
        )


def test_unparsable_leaf_is_untrusted(world: World) -> None:
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE, payload=b"x", signers=[world.xa_authority]
    )
    envelope.signatures[0].certificate_chain[0] = b"\x30\x03\x02\x01\x01"
    with pytest.raises(SignerUntrusted) as info:
        verify_signature(
            envelope.signatures[0], payload_type=payload_types.CERTIFICATE, payload=b"x"
        )
    assert info.value.reason == "SIGNER_UNTRUSTED"


def test_other_key_types_are_refused_by_the_signer(world: World) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError, match="curve"):
        SigningIdentity.from_key(private_key=p384, chain=[world.xa.authority.certificate])
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="unsupported"):
        SigningIdentity.from_key(
            private_key=rsa_key,  # type: ignore[arg-type]
            chain=[world.xa.authority.certificate],
        )


def test_key_must_match_leaf(world: World) -> None:
    with pytest.raises(ValueError, match="does not match"):
        SigningIdentity.from_key(
            private_key=world.xb.authority.private_key, chain=[world.xa.authority.certificate]
        )


def test_from_pem_loads_chain_and_reports_algorithm(world: World) -> None:
    ident = SigningIdentity.from_pem(
        key_pem=world.xa.authority.key_pem, chain_pem=world.xa.authority_chain_pem
    )
    assert ident.algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256
    assert len(ident.chain) == 2
    assert ident.identity.authority_id == "xa-customs"
    assert ident.key_id == key_id(world.xa.authority.certificate.public_key())
    ed = SigningIdentity.from_pem(
        key_pem=world.xa_ed.authority.key_pem, chain_pem=world.xa_ed.authority_chain_pem
    )
    assert ed.algorithm == envelope_pb2.SIGNATURE_ALGORITHM_ED25519


def test_sign_envelope_needs_one_to_four_signers(world: World) -> None:
    with pytest.raises(ValueError, match="1 to 4"):
        sign_envelope(payload_type=payload_types.CERTIFICATE, payload=b"", signers=[])
    with pytest.raises(ValueError, match="1 to 4"):
        sign_envelope(
            payload_type=payload_types.CERTIFICATE, payload=b"", signers=[world.xa_authority] * 5
        )


def test_key_id_is_lowercase_sha256_hex(world: World) -> None:
    kid = key_id(world.xa.authority.certificate.public_key())
    assert len(kid) == 64
    assert kid == kid.lower()
    leaf = make_signer(uris=["urn:wco:eco:node:XA"], issuer=world.xa.intermediate)
    assert key_id(leaf.certificate.public_key()) != kid
