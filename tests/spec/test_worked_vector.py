"""The end-to-end vector of docs/spec.md section 5.7.1 (docs/worked-example-vector.json).

The committed file is what ``scripts/worked_vector.py`` writes, and it is one valid
exchange: each value is recomputed here from the published keys and the other values
(PAE, key ids, RFC 6979 signatures, the envelope and request bytes), and the reference
node's verifier accepts the envelope under XA's anchor and the receipt under XB's, at the
vector's verification time, and refuses both a day after the certificates expire.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import text_format

from reference_node.core import errors
from reference_node.core.receipts import verify_receipt
from reference_node.core.trust import TrustStore
from wco.eco.v1 import envelope_pb2, exchange_service_pb2

from ._scripts import ROOT, load_script

VECTOR_FILE = ROOT / "docs" / "worked-example-vector.json"
VECTOR: dict[str, str] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
SPEC = ROOT / "docs" / "spec.md"


def _bytes(name: str) -> bytes:
    value = VECTOR[name]
    assert value == value.lower(), f"{name} is not lowercase hex"
    return bytes.fromhex(value)


def _cert(name: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(_bytes(name))


def _at() -> dt.datetime:
    return dt.datetime.fromisoformat(VECTOR["verification_time"].replace("Z", "+00:00"))


def _pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b" ".join([b"DSSEv1", b"%d" % len(kind), kind, b"%d" % len(payload), payload])


def _key_id(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def test_the_committed_file_is_what_the_script_writes() -> None:
    assert load_script("worked_vector").render() == VECTOR_FILE.read_text(encoding="utf-8")


def test_the_spec_points_to_the_vector() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert "docs/worked-example-vector.json" in text
    assert "### 5.7.1" in text


@pytest.mark.parametrize(
    ("prefix", "leaf"), [("", "xa_authority_leaf_der"), ("receipt_", "xb_node_signer_leaf_der")]
)
def test_pae_key_id_and_signature_recomputed(prefix: str, leaf: str) -> None:
    kind = VECTOR[f"{prefix}type" if prefix else "payload_type"]
    payload = _bytes(f"{prefix}payload")
    assert _pae(kind, payload) == _bytes(f"{prefix}pae")
    cert = _cert(leaf)
    assert _key_id(cert) == VECTOR[f"{prefix}key_id"]
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(_bytes(f"{prefix}signature"), _bytes(f"{prefix}pae"), ec.ECDSA(hashes.SHA256()))


def test_the_authority_signature_is_rfc6979() -> None:
    worked = load_script("worked_example")
    key = ec.derive_private_key(int.from_bytes(worked.P256_SCALAR, "big"), ec.SECP256R1())
    signature = key.sign(_bytes("pae"), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    assert signature == _bytes("signature")
    assert _cert("xa_authority_leaf_der").public_key() == key.public_key()


def test_envelope_and_request_carry_the_chain_without_the_anchor() -> None:
    request = exchange_service_pb2.SubmitDocumentRequest.FromString(
        _bytes("submit_document_request")
    )
    assert request.request_id == VECTOR["request_id"]
    assert request.envelope.SerializeToString(deterministic=True) == _bytes("envelope")
    (signature,) = request.envelope.signatures
    assert list(signature.certificate_chain) == [
        _bytes("xa_authority_leaf_der"),
        _bytes("xa_intermediate_der"),
    ]
    assert request.envelope.payload == _bytes("payload")
    assert signature.signature == _bytes("signature")


def test_receipt_fields() -> None:
    receipt = envelope_pb2.Receipt.FromString(_bytes("receipt_payload"))
    assert receipt == text_format.Parse(VECTOR["receipt_text"], envelope_pb2.Receipt())
    assert receipt.request_id == VECTOR["request_id"]
    assert receipt.payload_sha256 == hashlib.sha256(_bytes("payload")).hexdigest()
    assert receipt.received_time.ToDatetime(tzinfo=dt.UTC) == _at()


def _trust(country: str, anchor: str) -> TrustStore:
    return TrustStore(anchors={country: [_cert(anchor)]})


def test_the_reference_verifier_accepts_the_envelope_and_the_receipt() -> None:
    envelope = envelope_pb2.Envelope.FromString(_bytes("envelope"))
    signer = _trust("XA", "xa_trust_anchor_der").verify_envelope(envelope, at=_at())
    assert (signer.identity.country, signer.identity.authority_id) == ("XA", "xa-customs")
    receipt = verify_receipt(
        envelope_pb2.Envelope.FromString(_bytes("receipt_envelope")),
        trust=_trust("XB", "xb_trust_anchor_der"),
        expected_request_id=VECTOR["request_id"],
        expected_payload_sha256=hashlib.sha256(_bytes("payload")).hexdigest(),
        receiver_country="XB",
        at=_at(),
    )
    assert receipt.sequence == 1


def test_the_vector_expires_with_its_certificates() -> None:
    envelope = envelope_pb2.Envelope.FromString(_bytes("envelope"))
    late = _cert("xa_authority_leaf_der").not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(errors.SignerExpired):
        _trust("XA", "xa_trust_anchor_der").verify_envelope(envelope, at=late)
