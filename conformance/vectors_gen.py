"""Generator of the static test vectors in ``conformance/vectors/`` (docs/conformance.md).

Run ``python -m conformance.vectors_gen [--out DIR]``. Each vector is a directory with:

- ``envelope.binpb``: a serialized ``wco.eco.v1.Envelope``;
- ``trust-anchors/<CC>.pem``: the document trust anchors configured for each country;
- ``vector.json``: the expected outcome (``accept`` or ``reject`` with the ``ErrorInfo``
  reason and gRPC code), the verification time, the requirement ids;
- ``README.md``: the same in prose; negative vectors say ``NEGATIVE`` in their title.

``index.json`` lists every vector. The output is deterministic: keys derive from fixed seeds,
times are fixed, certificates and ECDSA signatures use deterministic ECDSA (RFC 6979) and
Ed25519 is deterministic by design, so a test regenerates the vectors and compares bytes.

The vectors cover the envelope checks of docs/spec.md section 5 (steps 4 to 7 of section
5.4): a verifier in any language loads the anchors, verifies the envelope at the stated
time, and must reach the stated outcome.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from conformance.offline import (
    CERTIFICATE_TYPE,
    RECEIPT_TYPE,
    STATUS_CHANGE_TYPE,
    key_id,
    pae,
)
from conformance.pki import (
    Credential,
    PrivateKey,
    Validity,
    authority_uri,
    issue_ca,
    issue_leaf,
)
from wco.eco.v1 import certificate_pb2, envelope_pb2, lifecycle_pb2

__all__ = ["DEFAULT_OUT", "VERIFICATION_TIME", "Vector", "build_vectors", "main", "write_vectors"]

DEFAULT_OUT: Final = Path(__file__).resolve().parent / "vectors"
"""Where the committed vectors live."""

VERIFICATION_TIME: Final = dt.datetime(2026, 1, 15, 12, 0, 0, tzinfo=dt.UTC)
"""The time at which every vector is to be verified (stated in each vector)."""

_VALID_FROM: Final = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_VALID_TO: Final = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
_SEED: Final = b"wco-eco-conformance-vectors-v1/"


def _digest(label: str) -> bytes:
    return hashlib.sha256(_SEED + label.encode()).digest()


def _ec_key(label: str) -> ec.EllipticCurvePrivateKey:
    # The P-256 group order; a seed-derived scalar in [1, n-1].
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(_digest(label), "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _ed_key(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(_digest(label))


def _serial(label: str) -> int:
    return int.from_bytes(_digest("serial/" + label)[:16], "big") >> 1 | 1


def _organization(country: str) -> str:
    return f"{country} test administration"


def _ca(
    label: str,
    country: str,
    *,
    issuer: Credential | None,
    path_length: int | None,
) -> Credential:
    return issue_ca(
        cn=label,
        country=country,
        validity=Validity(
            not_before=_VALID_FROM - dt.timedelta(days=365),
            not_after=_VALID_TO + dt.timedelta(days=365),
        ),
        issuer=issuer,
        path_length=path_length,
        key=_ec_key(label),
        serial=_serial(label),
        organization=_organization(country),
        root_authority_key_id=False,
    )


def _leaf(
    label: str,
    country: str,
    uri: str,
    issuer: Credential,
    *,
    ed25519_key: bool = False,
    not_before: dt.datetime = _VALID_FROM,
    not_after: dt.datetime = _VALID_TO,
    digital_signature: bool = True,
    key_cert_sign: bool = False,
    ca: bool = False,
) -> Credential:
    key: PrivateKey = _ed_key(label) if ed25519_key else _ec_key(label)
    return issue_leaf(
        cn=label,
        country=country,
        issuer=issuer,
        validity=Validity(not_before=not_before, not_after=not_after),
        uris=(uri,),
        digital_signature=digital_signature,
        key_cert_sign=key_cert_sign,
        ca_flag=ca,
        key=key,
        intermediates=(issuer.certificate,),
        serial=_serial(label),
        organization=_organization(country),
    )


@dataclass(frozen=True)
class _CountryHierarchy:
    root: Credential
    intermediate: Credential


def _hierarchy(country: str, tag: str = "") -> _CountryHierarchy:
    root = _ca(f"{country}{tag} document root CA", country, issuer=None, path_length=None)
    intermediate = _ca(
        f"{country}{tag} document intermediate CA", country, issuer=root, path_length=0
    )
    return _CountryHierarchy(root=root, intermediate=intermediate)


def _sign(
    signer: Credential,
    payload_type: str,
    payload: bytes,
    *,
    algorithm: envelope_pb2.SignatureAlgorithm | None = None,
) -> envelope_pb2.Signature:
    message = pae(payload_type, payload)
    if isinstance(signer.key, ed25519.Ed25519PrivateKey):
        raw = signer.key.sign(message)
        default_algorithm = envelope_pb2.SIGNATURE_ALGORITHM_ED25519
    else:
        raw = signer.key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        default_algorithm = envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256
    return envelope_pb2.Signature(
        algorithm=default_algorithm if algorithm is None else algorithm,
        key_id=key_id(signer.chain[0]),
        signature=raw,
        certificate_chain=[c.public_bytes(serialization.Encoding.DER) for c in signer.chain],
    )


def _certificate(
    number: str, *, exporting: str = "XA", authority_id: str = "xa-customs"
) -> certificate_pb2.CertificateOfOrigin:
    """A fixed, valid CO from XA to XB (docs/spec.md section 4)."""
    return certificate_pb2.CertificateOfOrigin(
        certificate_number=number,
        agreement_id="RCEP",
        form_type="RCEP",
        exporting_country=exporting,
        importing_country="XB",
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=authority_id, name=f"{exporting} Customs Service"
        ),
        issue_date={"year": 2026, "month": 1, "day": 10},
        issue_place="Port Alpha",
        exporter=certificate_pb2.Party(
            name="Société Générale d'Export Ωmega",
            address=certificate_pb2.Address(
                lines=["1 Quay Road"], city="Port Alpha", country=exporting
            ),
        ),
        consignee=certificate_pb2.Party(
            name="輸入商事株式会社",
            address=certificate_pb2.Address(lines=["2 Harbour St"], city="Beta", country="XB"),
        ),
        transport=certificate_pb2.TransportDetails(
            mode=certificate_pb2.TRANSPORT_MODE_SEA,
            conveyance_name="MV Test Vector",
            departure_date={"year": 2026, "month": 1, "day": 9},
        ),
        goods_items=[
            certificate_pb2.GoodsItem(
                item_number=1,
                description="Frozen shrimps",
                hs_code="030617",
                hs_edition="HS2022",
                origin_criterion=certificate_pb2.OriginCriterion(
                    type=certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
                ),
                quantity=certificate_pb2.Quantity(value={"value": "1200.5"}, unit_code="KGM"),
                fob_value=certificate_pb2.MonetaryAmount(
                    currency_code="USD", amount={"value": "15000.00"}
                ),
            )
        ],
    )


def _serialize(message: certificate_pb2.CertificateOfOrigin | lifecycle_pb2.StatusChange) -> bytes:
    return message.SerializeToString(deterministic=True)


@dataclass(frozen=True)
class Vector:
    """One static test vector.

    Attributes:
        name: directory name.
        title: one-line title.
        description: what the vector exercises.
        envelope: the envelope.
        anchors: country -> trust anchor certificates for that country.
        reason: expected ErrorInfo reason, or None when the envelope must be accepted.
        code: expected gRPC status code name ("OK" when accepted).
        requirements: requirement ids of docs/spec.md the vector checks.
        accepted_types: the payload types the verifier accepts (default: submittable types).
    """

    name: str
    title: str
    description: str
    envelope: envelope_pb2.Envelope
    anchors: dict[str, list[x509.Certificate]]
    reason: str | None
    code: str
    requirements: tuple[str, ...]
    accepted_types: tuple[str, ...] = field(default=())

    @property
    def negative(self) -> bool:
        """True when the envelope must be refused."""
        return self.reason is not None

    def metadata(self) -> dict[str, object]:
        """The content of ``vector.json``."""
        return {
            "name": self.name,
            "title": self.title,
            "negative": self.negative,
            "expected": {
                "outcome": "reject" if self.negative else "accept",
                "reason": self.reason or "",
                "code": self.code,
            },
            "verification_time": VERIFICATION_TIME.isoformat().replace("+00:00", "Z"),
            "payload_type": self.envelope.payload_type,
            "accepted_payload_types": list(self.accepted_types),
            "trust_anchors": {cc: f"trust-anchors/{cc}.pem" for cc in sorted(self.anchors)},
            "requirements": list(self.requirements),
            "description": self.description,
        }

    def readme(self) -> str:
        """The content of ``README.md``."""
        marker = "NEGATIVE: must be refused" if self.negative else "POSITIVE: must be accepted"
        expected = (
            f"refuse with gRPC `{self.code}` and `ErrorInfo.reason` `{self.reason}`"
            if self.negative
            else "accept; the first valid signature's signer passes every check"
        )
        anchors = "\n".join(f"- `{cc}`: `trust-anchors/{cc}.pem`" for cc in sorted(self.anchors))
        types = (
            ", ".join(f"`{t}`" for t in self.accepted_types)
            if self.accepted_types
            else "every submittable payload type of docs/spec.md section 3"
        )
        return (
            f"# {self.name}: {self.title}\n\n"
            f"**{marker}.**\n\n"
            f"{self.description}\n\n"
            f"- File: `envelope.binpb` (serialized `wco.eco.v1.Envelope`)\n"
            f"- Verification time: {VERIFICATION_TIME.isoformat().replace('+00:00', 'Z')}\n"
            f"- Payload types accepted by the verifier: {types}\n"
            f"- Expected outcome: {expected}\n"
            f"- Requirements: {', '.join(self.requirements)}\n\n"
            f"Trust anchors per country:\n\n{anchors}\n\n"
            "Generated by `python -m conformance.vectors_gen`; do not edit by hand.\n"
        )


def build_vectors() -> list[Vector]:
    """Builds every vector in memory, deterministically."""
    xa = _hierarchy("XA")
    xc = _hierarchy("XC")
    rogue = _hierarchy("XA", " rogue")
    xa_anchors = {"XA": [xa.root.certificate]}

    authority = _leaf("xa-customs signer", "XA", authority_uri("XA", "xa-customs"), xa.intermediate)
    ed_authority = _leaf(
        "xa-customs ed25519 signer",
        "XA",
        authority_uri("XA", "xa-customs"),
        xa.intermediate,
        ed25519_key=True,
    )

    def signed(
        signer: Credential,
        payload: bytes,
        payload_type: str = CERTIFICATE_TYPE,
        *,
        sign_type: str | None = None,
    ) -> envelope_pb2.Envelope:
        return envelope_pb2.Envelope(
            payload_type=payload_type,
            payload=payload,
            signatures=[_sign(signer, sign_type or payload_type, payload)],
        )

    def co(number: str, **kwargs: str) -> bytes:
        return _serialize(_certificate(number, **kwargs))

    vectors: list[Vector] = []

    def add(  # noqa: PLR0917 - one positional per vector column
        name: str,
        title: str,
        description: str,
        envelope: envelope_pb2.Envelope,
        reason: str | None,
        code: str,
        requirements: Sequence[str],
        *,
        anchors: dict[str, list[x509.Certificate]] | None = None,
        accepted_types: Sequence[str] = (),
    ) -> None:
        vectors.append(
            Vector(
                name=name,
                title=title,
                description=description,
                envelope=envelope,
                anchors=anchors or xa_anchors,
                reason=reason,
                code=code,
                requirements=tuple(requirements),
                accepted_types=tuple(accepted_types),
            )
        )

    def mutate(
        envelope: envelope_pb2.Envelope, change: Callable[[envelope_pb2.Envelope], None]
    ) -> envelope_pb2.Envelope:
        copy = envelope_pb2.Envelope()
        copy.CopyFrom(envelope)
        change(copy)
        return copy

    valid = signed(authority, co("XA-V-0001"))
    add(
        "valid-ecdsa-certificate",
        "valid CO signed with ECDSA P-256",
        "A certificate of origin from XA to XB signed by XA's authority `xa-customs` with "
        "ECDSA P-256/SHA-256 (DER signature); chain: signer, XA intermediate; anchor: XA root.",
        valid,
        None,
        "OK",
        ["REQ-SIG-003", "REQ-SIG-004", "REQ-SIG-006", "REQ-PKI-002", "REQ-PKI-004"],
    )
    add(
        "valid-ed25519-certificate",
        "valid CO signed with Ed25519",
        "The same kind of CO signed by an Ed25519 authority key under the ECDSA XA hierarchy. "
        "A verifier that does not implement the optional Ed25519 reports SIGNATURE_INVALID "
        "(REQ-SIG-006) and should list this vector as an expected failure.",
        signed(ed_authority, co("XA-V-0002")),
        None,
        "OK",
        ["REQ-SIG-003", "REQ-SIG-006"],
    )
    status_change = lifecycle_pb2.StatusChange(
        certificate=certificate_pb2.CertificateReference(
            exporting_country="XA",
            issuing_authority_id="xa-customs",
            certificate_number="XA-V-0001",
        ),
        new_state=lifecycle_pb2.ISSUER_STATE_CANCELLED,
        reason="Issued in error",
    )
    status_change.effective_time.FromDatetime(dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC))
    add(
        "valid-status-change",
        "valid StatusChange signed by the issuing authority",
        "A cancellation of XA-V-0001 signed by `xa-customs`.",
        signed(authority, _serialize(status_change), STATUS_CHANGE_TYPE),
        None,
        "OK",
        ["REQ-SIG-001", "REQ-AUTH-002"],
    )
    second_valid = signed(authority, co("XA-V-0003"))
    broken_first = mutate(
        second_valid,
        lambda e: e.signatures.insert(0, _corrupted(e.signatures[0])),
    )
    add(
        "valid-second-signature",
        "first signature broken, second valid",
        "Two signatures; the first does not verify, the second does. One valid signature "
        "whose signer passes is enough.",
        broken_first,
        None,
        "OK",
        ["REQ-SIG-005"],
    )

    def corrupt(e: envelope_pb2.Envelope) -> None:
        e.signatures[0].CopyFrom(_corrupted(e.signatures[0]))

    add(
        "bad-signature",
        "signature bytes altered",
        "The valid ECDSA vector with one byte of the signature value changed.",
        mutate(signed(authority, co("XA-N-0001")), corrupt),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-005", "REQ-SIG-006"],
    )

    def tamper(e: envelope_pb2.Envelope) -> None:
        e.payload = co("XA-N-0099")

    add(
        "tampered-payload",
        "payload replaced after signing",
        "The payload was replaced by another valid CO after the signature was made.",
        mutate(signed(authority, co("XA-N-0002")), tamper),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-002", "REQ-SIG-003"],
    )
    add(
        "wrong-payload-type-in-pae",
        "signature made over another payload type",
        "The signature covers PAE(status-change type, payload) but the envelope says "
        "certificate: the payload type is bound by the PAE.",
        signed(authority, co("XA-N-0003"), sign_type=STATUS_CHANGE_TYPE),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-003"],
    )

    def other_key_id(e: envelope_pb2.Envelope) -> None:
        e.signatures[0].key_id = key_id(xa.intermediate.certificate)

    add(
        "key-id-mismatch",
        "key_id names another key",
        "The signature is valid but `key_id` is the SHA-256 of another certificate's "
        "SubjectPublicKeyInfo (the intermediate's).",
        mutate(signed(authority, co("XA-N-0004")), other_key_id),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-004"],
    )

    def ed_label(e: envelope_pb2.Envelope) -> None:
        e.signatures[0].algorithm = envelope_pb2.SIGNATURE_ALGORITHM_ED25519

    add(
        "algorithm-key-mismatch",
        "algorithm says Ed25519, key is P-256",
        "A valid ECDSA signature labelled SIGNATURE_ALGORITHM_ED25519.",
        mutate(signed(authority, co("XA-N-0005")), ed_label),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-006"],
    )

    def no_algorithm(e: envelope_pb2.Envelope) -> None:
        e.signatures[0].algorithm = envelope_pb2.SIGNATURE_ALGORITHM_UNSPECIFIED

    add(
        "algorithm-unspecified",
        "algorithm UNSPECIFIED",
        "A valid ECDSA signature whose algorithm field is left UNSPECIFIED.",
        mutate(signed(authority, co("XA-N-0006")), no_algorithm),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-006"],
    )
    add(
        "no-signature",
        "envelope without signatures",
        "A CO envelope with an empty signature list.",
        envelope_pb2.Envelope(payload_type=CERTIFICATE_TYPE, payload=co("XA-N-0007")),
        "SIGNATURE_INVALID",
        "INVALID_ARGUMENT",
        ["REQ-SIG-005"],
    )
    add(
        "unsupported-payload-type",
        "unknown payload type",
        "A correctly signed envelope whose payload type is `application/json`.",
        signed(authority, co("XA-N-0008"), "application/json"),
        "PAYLOAD_TYPE_UNSUPPORTED",
        "INVALID_ARGUMENT",
        ["REQ-SIG-001"],
    )
    add(
        "receipt-submitted",
        "a receipt submitted as a document",
        "A correctly signed envelope with the receipt payload type; receipts are never "
        "accepted by SubmitDocument.",
        signed(authority, co("XA-N-0009"), RECEIPT_TYPE),
        "PAYLOAD_TYPE_UNSUPPORTED",
        "INVALID_ARGUMENT",
        ["REQ-SIG-001"],
    )
    expired = _leaf(
        "xa-customs expired signer",
        "XA",
        authority_uri("XA", "xa-customs"),
        xa.intermediate,
        not_before=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2025, 12, 31, tzinfo=dt.UTC),
    )
    add(
        "expired-signer",
        "signer certificate expired",
        "The signer's notAfter (2025-12-31T00:00:00Z) is before the verification time.",
        signed(expired, co("XA-N-0010")),
        "SIGNER_EXPIRED",
        "PERMISSION_DENIED",
        ["REQ-PKI-003"],
    )
    future = _leaf(
        "xa-customs future signer",
        "XA",
        authority_uri("XA", "xa-customs"),
        xa.intermediate,
        not_before=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )
    add(
        "not-yet-valid-signer",
        "signer certificate not yet valid",
        "The signer's notBefore (2026-06-01T00:00:00Z) is after the verification time.",
        signed(future, co("XA-N-0011")),
        "SIGNER_NOT_YET_VALID",
        "PERMISSION_DENIED",
        ["REQ-PKI-003"],
    )
    untrusted = _leaf(
        "xa-customs rogue signer", "XA", authority_uri("XA", "xa-customs"), rogue.intermediate
    )
    add(
        "untrusted-root",
        "signer chains to a root that is not a trust anchor",
        "The signer and its intermediate chain to a root named like XA's but with another key; "
        "only the genuine XA root is configured.",
        signed(untrusted, co("XA-N-0012")),
        "SIGNER_UNTRUSTED",
        "PERMISSION_DENIED",
        ["REQ-PKI-004"],
    )
    wrong_usage = _leaf(
        "xa-customs wrong usage signer",
        "XA",
        authority_uri("XA", "xa-customs"),
        xa.intermediate,
        digital_signature=False,
        key_cert_sign=True,
    )
    add(
        "wrong-key-usage",
        "signer KeyUsage keyCertSign without digitalSignature",
        "The signer's KeyUsage has keyCertSign and lacks digitalSignature.",
        signed(wrong_usage, co("XA-N-0013")),
        "SIGNER_UNTRUSTED",
        "PERMISSION_DENIED",
        ["REQ-PKI-002"],
    )
    ca_leaf = _leaf(
        "xa-customs ca-flag signer",
        "XA",
        authority_uri("XA", "xa-customs"),
        xa.intermediate,
        ca=True,
    )
    add(
        "ca-flag-leaf",
        "signer certificate has BasicConstraints CA true",
        "The signer has digitalSignature but is marked as a CA.",
        signed(ca_leaf, co("XA-N-0014")),
        "SIGNER_UNTRUSTED",
        "PERMISSION_DENIED",
        ["REQ-PKI-002"],
    )

    def drop_intermediate(e: envelope_pb2.Envelope) -> None:
        del e.signatures[0].certificate_chain[1:]

    add(
        "missing-intermediate",
        "chain without its intermediate",
        "Only the signer certificate is carried; the anchor is the XA root, so no path exists.",
        mutate(signed(authority, co("XA-N-0015")), drop_intermediate),
        "SIGNER_UNTRUSTED",
        "PERMISSION_DENIED",
        ["REQ-PKI-001", "REQ-PKI-004"],
    )
    xc_authority = _leaf(
        "xc-customs signer", "XC", authority_uri("XC", "xc-customs"), xc.intermediate
    )
    add(
        "wrong-country-signer",
        "signer of XC signs a CO exported by XA",
        "A valid, trusted XC authority (`xc-customs`, chained to the XC anchor) signs a CO whose "
        "exporting country is XA and whose issuing authority is `xc-customs`.",
        signed(xc_authority, co("XA-N-0016", authority_id="xc-customs")),
        "SIGNER_NOT_AUTHORISED",
        "PERMISSION_DENIED",
        ["REQ-AUTH-001"],
        anchors={"XA": [xa.root.certificate], "XC": [xc.root.certificate]},
    )
    other_uri = _leaf(
        "xc-named signer under XA", "XA", authority_uri("XC", "xc-customs"), xa.intermediate
    )
    add(
        "uri-names-other-country",
        "signer URI names XC but chains to XA",
        "The signer URI claims XC; it chains to XA's root, not to the XC anchor.",
        signed(other_uri, co("XA-N-0017", exporting="XC", authority_id="xc-customs")),
        "SIGNER_UNTRUSTED",
        "PERMISSION_DENIED",
        ["REQ-PKI-004"],
        anchors={"XA": [xa.root.certificate], "XC": [xc.root.certificate]},
    )
    chamber = _leaf("xa-chamber signer", "XA", authority_uri("XA", "xa-chamber"), xa.intermediate)
    add(
        "other-authority-signer",
        "another XA authority signs a CO of xa-customs",
        "A trusted XA authority `xa-chamber` signs a CO whose issuing authority is `xa-customs`.",
        signed(chamber, co("XA-N-0018")),
        "SIGNER_NOT_AUTHORISED",
        "PERMISSION_DENIED",
        ["REQ-AUTH-002"],
    )
    node_signer = _leaf("XA node signer", "XA", "urn:wco:eco:node:XA", xa.intermediate)
    add(
        "node-signer-signs-certificate",
        "the node signer signs a CO",
        "XA's node signer (`urn:wco:eco:node:XA`) signs a CO; only authorities sign COs.",
        signed(node_signer, co("XA-N-0019")),
        "SIGNER_NOT_AUTHORISED",
        "PERMISSION_DENIED",
        ["REQ-AUTH-002"],
    )
    add(
        "malformed-payload",
        "payload is not a CertificateOfOrigin",
        "Correctly signed bytes that do not parse as a CertificateOfOrigin (truncated "
        "length-delimited field).",
        signed(authority, b"\x0a\x10XA-N-0020"),
        "PAYLOAD_MALFORMED",
        "INVALID_ARGUMENT",
        ["REQ-CO-001"],
    )
    add(
        "unknown-field-payload",
        "payload with an unknown field",
        "A valid CO followed by field number 999 (varint 1), correctly signed: a signed "
        "document must be fully understood by its verifier.",
        signed(authority, co("XA-N-0021") + b"\xb8\x3e\x01"),
        "PAYLOAD_MALFORMED",
        "INVALID_ARGUMENT",
        ["REQ-CO-001"],
    )
    return vectors


def _corrupted(signature: envelope_pb2.Signature) -> envelope_pb2.Signature:
    copy = envelope_pb2.Signature()
    copy.CopyFrom(signature)
    raw = bytearray(copy.signature)
    raw[len(raw) // 2] ^= 0x01
    copy.signature = bytes(raw)
    return copy


def write_vectors(out: Path) -> list[Vector]:
    """Writes every vector under ``out`` (replacing what is there) and ``index.json``."""
    vectors = build_vectors()
    if out.exists():
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for vector in vectors:
        directory = out / vector.name
        (directory / "trust-anchors").mkdir(parents=True)
        (directory / "envelope.binpb").write_bytes(vector.envelope.SerializeToString())
        for country, anchors in sorted(vector.anchors.items()):
            pem = b"".join(a.public_bytes(serialization.Encoding.PEM) for a in anchors)
            (directory / "trust-anchors" / f"{country}.pem").write_bytes(pem)
        (directory / "vector.json").write_text(
            json.dumps(vector.metadata(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (directory / "README.md").write_text(vector.readme(), encoding="utf-8")
        index.append(
            {
                "name": vector.name,
                "negative": vector.negative,
                "reason": vector.reason or "",
                "code": vector.code,
                "requirements": list(vector.requirements),
            }
        )
    (out / "index.json").write_text(
        json.dumps(
            {
                "format": 1,
                "verification_time": VERIFICATION_TIME.isoformat().replace("+00:00", "Z"),
                "vectors": index,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return vectors


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m conformance.vectors_gen [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m conformance.vectors_gen",
        description="Write the static envelope test vectors (deterministic).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    vectors = write_vectors(args.out)
    sys.stdout.write(f"wrote {len(vectors)} vectors to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
