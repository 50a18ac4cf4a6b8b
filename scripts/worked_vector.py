"""Write the end-to-end vector of docs/spec.md section 5.7.1.

Usage::

    python scripts/worked_vector.py           # print the vector (JSON)
    python scripts/worked_vector.py --update  # rewrite docs/worked-example-vector.json
    python scripts/worked_vector.py --check   # exit 1 if the committed file differs

The vector extends the worked example of section 5.7 into one complete exchange: the
certificates of XA's document-signing PKI (root, intermediate, the authority leaf holding
the example's P-256 key), the envelope with its chain, the SubmitDocumentRequest, and the
receipt XB's node signer returns, with XB's PKI. Every key is derived from a published
seed, every certificate has fixed serial numbers and dates, and every ECDSA signature
(certificates included) uses RFC 6979 deterministic nonces, so the file is reproduced byte
for byte. The keys are public: never trust them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf import text_format
from google.protobuf.timestamp_pb2 import Timestamp

ROOT = Path(__file__).resolve().parent.parent
VECTOR = ROOT / "docs" / "worked-example-vector.json"
sys.path.insert(0, str(ROOT))

from scripts.worked_example import (  # noqa: E402
    CERTIFICATE_TEXT,
    P256_SCALAR,
    PAYLOAD_TYPE,
    pae,
)
from wco.eco.v1 import (  # noqa: E402
    certificate_pb2,
    envelope_pb2,
    exchange_service_pb2,
)

RECEIPT_TYPE = "application/vnd.wco.eco.receipt.v1+protobuf"
REQUEST_ID = "0f8e2a6c-4d1b-4c3e-9a57-2b6d8e1f3a90"
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2035, 1, 1, tzinfo=dt.UTC)
#: When XB received, stored and receipted the envelope; the time to verify both at.
RECEIVED = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)
_DETERMINISTIC = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


def _key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(f"wco-eco worked example {label}".encode()).digest())
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _name(common_name: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    serial: int,
    path_length: int | None = None,
    uri: str | None = None,
) -> x509.Certificate:
    """A CA certificate (``uri`` None) or a signer leaf (section 5.2), signed deterministically."""
    ca = uri is None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if uri is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


def _pki(country: str, leaf_key: ec.EllipticCurvePrivateKey, uri: str) -> list[x509.Certificate]:
    """Root, intermediate and signer leaf of one country: ``[root, intermediate, leaf]``."""
    root_key, inter_key = _key(f"{country} root"), _key(f"{country} intermediate")
    root_name = _name(f"{country} worked example root CA", country)
    inter_name = _name(f"{country} worked example intermediate CA", country)
    root = _certificate(
        subject=root_name, key=root_key, issuer=root_name, issuer_key=root_key, serial=1,
        path_length=1,
    )  # fmt: skip
    inter = _certificate(
        subject=inter_name, key=inter_key, issuer=root_name, issuer_key=root_key, serial=2,
        path_length=0,
    )  # fmt: skip
    leaf = _certificate(
        subject=_name(uri, country), key=leaf_key, issuer=inter_name, issuer_key=inter_key,
        serial=3, uri=uri,
    )  # fmt: skip
    return [root, inter, leaf]


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _key_id(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def _envelope(
    payload_type: str, payload: bytes, key: ec.EllipticCurvePrivateKey, chain: list[bytes]
) -> envelope_pb2.Envelope:
    """Section 5.5 with one ECDSA P-256 signature; ``chain`` is leaf then intermediate."""
    envelope = envelope_pb2.Envelope(payload_type=payload_type, payload=payload)
    envelope.signatures.add(
        algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
        key_id=_key_id(x509.load_der_x509_certificate(chain[0])),
        signature=key.sign(pae(payload_type, payload), _DETERMINISTIC),
        certificate_chain=chain,
    )
    return envelope


def build() -> dict[str, object]:
    """The vector: every value as lowercase hex or text, in exchange order."""
    authority_key = ec.derive_private_key(int.from_bytes(P256_SCALAR, "big"), ec.SECP256R1())
    xa = _pki("XA", authority_key, "urn:wco:eco:authority:XA:xa-customs")
    node_key = _key("XB node signer")
    xb = _pki("XB", node_key, "urn:wco:eco:node:XB")

    certificate = text_format.Parse(CERTIFICATE_TEXT, certificate_pb2.CertificateOfOrigin())
    payload = certificate.SerializeToString(deterministic=True)
    envelope = _envelope(PAYLOAD_TYPE, payload, authority_key, [_der(xa[2]), _der(xa[1])])
    request = exchange_service_pb2.SubmitDocumentRequest(request_id=REQUEST_ID, envelope=envelope)
    seconds = int((RECEIVED - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds())
    receipt = envelope_pb2.Receipt(
        request_id=REQUEST_ID,
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        payload_type=PAYLOAD_TYPE,
        receiver_country="XB",
        sender_country="XA",
        received_time=Timestamp(seconds=seconds),
        delivery_status=envelope_pb2.DELIVERY_STATUS_DELIVERED,
        certificate=envelope_pb2.CertificateReferenceDigest(
            exporting_country=certificate.exporting_country,
            issuing_authority_id=certificate.issuing_authority.id,
            certificate_number=certificate.certificate_number,
        ),
        sequence=1,
    )
    receipt_payload = receipt.SerializeToString(deterministic=True)
    receipt_envelope = _envelope(
        RECEIPT_TYPE, receipt_payload, node_key, [_der(xb[2]), _der(xb[1])]
    )
    return {
        "description": (
            "End-to-end vector of docs/spec.md section 5.7.1, written by "
            "scripts/worked_vector.py. All keys are public test keys: never trust them."
        ),
        "verification_time": RECEIVED.isoformat().replace("+00:00", "Z"),
        "xa_trust_anchor_der": _der(xa[0]).hex(),
        "xa_intermediate_der": _der(xa[1]).hex(),
        "xa_authority_leaf_der": _der(xa[2]).hex(),
        "payload_type": PAYLOAD_TYPE,
        "payload": payload.hex(),
        "pae": pae(PAYLOAD_TYPE, payload).hex(),
        "key_id": envelope.signatures[0].key_id,
        "signature": envelope.signatures[0].signature.hex(),
        "envelope": envelope.SerializeToString(deterministic=True).hex(),
        "request_id": REQUEST_ID,
        "submit_document_request": request.SerializeToString(deterministic=True).hex(),
        "xb_trust_anchor_der": _der(xb[0]).hex(),
        "xb_intermediate_der": _der(xb[1]).hex(),
        "xb_node_signer_leaf_der": _der(xb[2]).hex(),
        "receipt_type": RECEIPT_TYPE,
        "receipt_text": text_format.MessageToString(receipt),
        "receipt_payload": receipt_payload.hex(),
        "receipt_pae": pae(RECEIPT_TYPE, receipt_payload).hex(),
        "receipt_key_id": receipt_envelope.signatures[0].key_id,
        "receipt_signature": receipt_envelope.signatures[0].signature.hex(),
        "receipt_envelope": receipt_envelope.SerializeToString(deterministic=True).hex(),
    }


def render() -> str:
    """The committed file's exact text."""
    return json.dumps(build(), indent=2) + "\n"


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--update", action="store_true", help=f"rewrite {VECTOR.name}")
    group.add_argument("--check", action="store_true", help=f"fail if {VECTOR.name} is stale")
    options = parser.parse_args()
    text = render()
    if options.update:
        VECTOR.write_text(text, encoding="utf-8")
        return 0
    if options.check:
        if not VECTOR.is_file() or VECTOR.read_text(encoding="utf-8") != text:
            print(f"{VECTOR} is stale: run scripts/worked_vector.py --update")
            return 1
        print(f"{VECTOR} is up to date")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
