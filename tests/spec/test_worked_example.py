"""The worked signing example of docs/spec.md section 5.7, recomputed from code.

Every labelled block is parsed from the document and recomputed here with code that does
not come from the reference node: protobuf serialization of the given certificate, the
PAE of REQ-SIG-003 (implemented below), key derivation from the given private keys, key
ids (REQ-SIG-004) and signatures (REQ-SIG-006). Both signatures are also verified.
"""

from __future__ import annotations

import hashlib
import importlib
import re

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from google.protobuf import text_format

from wco.eco.v1 import certificate_pb2, envelope_pb2

from ._scripts import ROOT

SPEC = ROOT / "docs" / "spec.md"
_BLOCK = re.compile(r"^```([a-z]+) worked-example:([a-z0-9-]+)\n(.*?)^```$", re.M | re.S)
EXPECTED_LABELS = {
    "certificate",
    "payload-type",
    "payload-hex",
    "pae-hex",
    "ed25519-seed-hex",
    "ed25519-public-key-hex",
    "ed25519-spki-hex",
    "ed25519-key-id",
    "ed25519-signature-hex",
    "p256-private-scalar-hex",
    "p256-public-key-hex",
    "p256-spki-hex",
    "p256-key-id",
    "p256-signature-hex",
    "envelope-hex",
}


def _blocks() -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _BLOCK.finditer(SPEC.read_text(encoding="utf-8")):
        label = match.group(2)
        assert label not in found, f"block {label} appears twice"
        found[label] = match.group(3)
    return found


BLOCKS = _blocks()


def _hex(label: str) -> bytes:
    text = "".join(BLOCKS[label].split())
    assert re.fullmatch(r"(?:[0-9a-f]{2})+", text), f"{label} is not lowercase hex"
    return bytes.fromhex(text)


def _text(label: str) -> str:
    return BLOCKS[label].strip()


def independent_pae(payload_type: str, payload: bytes) -> bytes:
    """REQ-SIG-003, written out field by field."""
    type_bytes = payload_type.encode("utf-8")
    parts = [
        b"DSSEv1",
        str(len(type_bytes)).encode("ascii"),
        type_bytes,
        str(len(payload)).encode("ascii"),
        payload,
    ]
    return b" ".join(parts)


def _payload() -> bytes:
    certificate = text_format.Parse(_text("certificate"), certificate_pb2.CertificateOfOrigin())
    return certificate.SerializeToString(deterministic=True)


def _ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(_hex("ed25519-seed-hex"))


def _p256_key() -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(_hex("p256-private-scalar-hex"), "big")
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _spki(key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_every_block_is_present_once() -> None:
    assert set(BLOCKS) == EXPECTED_LABELS


def test_payload_is_the_serialized_certificate() -> None:
    assert _payload() == _hex("payload-hex")
    parsed = certificate_pb2.CertificateOfOrigin.FromString(_hex("payload-hex"))
    assert parsed.certificate_number == "XA-2025-000001"
    assert parsed.goods_items[0].quantity.value.value == "1200"
    # Field-number order: the first byte is the tag of field 1, length-delimited.
    assert _hex("payload-hex")[0] == (1 << 3) | 2


def test_payload_type_is_the_certificate_type() -> None:
    assert _text("payload-type") == "application/vnd.wco.eco.certificate.v1+protobuf"
    assert len(_text("payload-type").encode()) == 47


def test_pae_bytes() -> None:
    pae = independent_pae(_text("payload-type"), _hex("payload-hex"))
    assert pae == _hex("pae-hex")
    prefix = b"DSSEv1 47 application/vnd.wco.eco.certificate.v1+protobuf 184 "
    assert pae.startswith(prefix)
    assert len(pae) == len(prefix) + 184


def test_reference_node_pae_matches_the_document() -> None:
    try:
        module = importlib.import_module("reference_node.core.pae")
    except ImportError:
        pytest.skip("reference_node.core.pae is not available")
    assert module.pae(_text("payload-type"), _hex("payload-hex")) == _hex("pae-hex")


def test_ed25519_keys_and_key_id() -> None:
    public = _ed25519_key().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == _hex("ed25519-public-key-hex")
    assert _spki(public) == _hex("ed25519-spki-hex")
    assert hashlib.sha256(_spki(public)).hexdigest() == _text("ed25519-key-id")


def test_ed25519_signature_is_reproduced_and_verifies() -> None:
    message = _hex("pae-hex")
    signature = _hex("ed25519-signature-hex")
    assert _ed25519_key().sign(message) == signature
    public = ed25519.Ed25519PublicKey.from_public_bytes(_hex("ed25519-public-key-hex"))
    public.verify(signature, message)
    with pytest.raises(InvalidSignature):
        public.verify(signature, message[:-1] + bytes([message[-1] ^ 1]))


def test_p256_keys_and_key_id() -> None:
    public = _p256_key().public_key()
    point = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert point == _hex("p256-public-key-hex")
    assert _spki(public) == _hex("p256-spki-hex")
    assert hashlib.sha256(_spki(public)).hexdigest() == _text("p256-key-id")


def test_p256_signature_is_reproduced_and_verifies() -> None:
    message = _hex("pae-hex")
    signature = _hex("p256-signature-hex")
    deterministic = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    assert _p256_key().sign(message, deterministic) == signature
    public = serialization.load_der_public_key(_hex("p256-spki-hex"))
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(
            signature, message.replace(b"DSSEv1", b"DSSEv2", 1), ec.ECDSA(hashes.SHA256())
        )


def test_signature_over_the_payload_alone_does_not_verify() -> None:
    """The signature binds the payload type: it is over PAE, not over the payload."""
    public = ed25519.Ed25519PublicKey.from_public_bytes(_hex("ed25519-public-key-hex"))
    with pytest.raises(InvalidSignature):
        public.verify(_hex("ed25519-signature-hex"), _hex("payload-hex"))


def test_envelope_bytes() -> None:
    expected = envelope_pb2.Envelope(payload_type=_text("payload-type"), payload=_payload())
    expected.signatures.add(
        algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
        key_id=_text("p256-key-id"),
        signature=_hex("p256-signature-hex"),
    )
    expected.signatures.add(
        algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ED25519,
        key_id=_text("ed25519-key-id"),
        signature=_hex("ed25519-signature-hex"),
    )
    assert expected.SerializeToString(deterministic=True) == _hex("envelope-hex")
    parsed = envelope_pb2.Envelope.FromString(_hex("envelope-hex"))
    assert parsed.payload == _hex("payload-hex")
    assert [s.key_id for s in parsed.signatures] == [_text("p256-key-id"), _text("ed25519-key-id")]


def test_script_agrees_with_the_document() -> None:
    from ._scripts import load_script

    script = load_script("worked_example")
    document = SPEC.read_text(encoding="utf-8")
    assert script.update(document) == document
