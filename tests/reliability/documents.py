"""Signed test documents for the reliability tests (docs/spec.md sections 4 to 6).

Builds valid certificates of origin (REQ-CO-002..014), signs them as DSSE
envelopes over the PAE of REQ-SIG-003 with ECDSA P-256/SHA-256 (REQ-SIG-006),
and builds signed issuer directories (section 6). Signing is done with
``cryptography`` directly so these tests do not depend on the node's signer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import timestamp_pb2
from google.type import date_pb2, decimal_pb2  # type: ignore[import-untyped]

from wco.eco.v1 import (
    certificate_pb2,
    directory_pb2,
    envelope_pb2,
    lifecycle_pb2,
)

from .pki import CountryPki, Credential, authority_id

__all__ = [
    "CERTIFICATE",
    "ISSUER_DIRECTORY",
    "RECEIPT",
    "STATUS_CHANGE",
    "check_receipt",
    "make_certificate",
    "make_directory",
    "make_status_change",
    "pae",
    "sign",
    "signed_certificate",
]


def _media_type(suffix: str) -> str:
    return f"application/vnd.wco.eco.{suffix}.v1+protobuf"


CERTIFICATE = _media_type("certificate")
STATUS_CHANGE = _media_type("status-change")
ISSUER_DIRECTORY = _media_type("issuer-directory")
RECEIPT = _media_type("receipt")


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding (REQ-SIG-003)."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def sign(payload_type: str, payload: bytes, signer: Credential) -> envelope_pb2.Envelope:
    """Return an envelope over ``payload`` signed by ``signer`` (REQ-SIG-003..006)."""
    signature = signer.key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    return envelope_pb2.Envelope(
        payload_type=payload_type,
        payload=payload,
        signatures=[
            envelope_pb2.Signature(
                algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                key_id=signer.key_id,
                signature=signature,
                certificate_chain=signer.chain_der(),
            )
        ],
    )


def _date(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def make_certificate(
    *,
    exporter: str,
    importer: str,
    number: str | None = None,
    issue_date: dt.date | None = None,
    items: int = 1,
    description: str = "Frozen shrimp, peeled",
) -> certificate_pb2.CertificateOfOrigin:
    """Return a valid ATIGA Form D certificate from ``exporter`` to ``importer``.

    Every mandatory field of REQ-CO-002 is set and every rule of REQ-CO-003..013
    holds, so a node trusting ``exporter`` accepts it.
    """
    day = issue_date or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    number = number or f"{exporter}-{uuid.uuid4().hex[:20].upper()}"
    goods = [
        certificate_pb2.GoodsItem(
            item_number=i + 1,
            marks_and_numbers="N/M",
            package_count=10,
            package_kind="CT",
            description=description,
            hs_code="030617",
            hs_edition="HS2022",
            origin_criterion=certificate_pb2.OriginCriterion(
                type=certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
            ),
            quantity=certificate_pb2.Quantity(
                value=decimal_pb2.Decimal(value="1200.5"), unit_code="KGM"
            ),
            gross_weight=certificate_pb2.Quantity(
                value=decimal_pb2.Decimal(value="1300"), unit_code="KGM"
            ),
            fob_value=certificate_pb2.MonetaryAmount(
                currency_code="USD", amount=decimal_pb2.Decimal(value="15000.00")
            ),
            invoice_number=f"INV-{i + 1}",
            invoice_date=_date(day),
        )
        for i in range(items)
    ]
    return certificate_pb2.CertificateOfOrigin(
        certificate_number=number,
        agreement_id="ATIGA",
        form_type="D",
        exporting_country=exporter,
        importing_country=importer,
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=authority_id(exporter), name=f"{exporter} Customs"
        ),
        issue_date=_date(day),
        issue_place="Port City",
        exporter=certificate_pb2.Party(
            name="Seafood Exports Ltd",
            address=certificate_pb2.Address(lines=["1 Harbour Road"], country=exporter),
        ),
        consignee=certificate_pb2.Party(
            name="Fresh Imports Co",
            address=certificate_pb2.Address(lines=["2 Market Street"], country=importer),
        ),
        transport=certificate_pb2.TransportDetails(
            mode=certificate_pb2.TRANSPORT_MODE_SEA,
            conveyance_name="MV Example",
            departure_date=_date(day),
            port_of_loading="Port A",
            port_of_discharge="Port B",
        ),
        goods_items=goods,
        exporter_declaration=certificate_pb2.ExporterDeclaration(
            place="Port City", date=_date(day), signatory_name="A. Exporter"
        ),
        certification=certificate_pb2.Certification(
            officer_name="B. Officer", place="Port City", date=_date(day)
        ),
    )


def signed_certificate(
    pki: CountryPki,
    *,
    importer: str,
    signer: Credential | None = None,
    number: str | None = None,
    items: int = 1,
    description: str = "Frozen shrimp, peeled",
) -> tuple[certificate_pb2.CertificateOfOrigin, envelope_pb2.Envelope]:
    """Return a valid CO of ``pki.country`` and its envelope signed by its authority."""
    co = make_certificate(
        exporter=pki.country,
        importer=importer,
        number=number,
        items=items,
        description=description,
    )
    return co, sign(CERTIFICATE, co.SerializeToString(), signer or pki.authority)


def make_status_change(
    co: certificate_pb2.CertificateOfOrigin,
    *,
    new_state: str = "ISSUER_STATE_CANCELLED",
) -> lifecycle_pb2.StatusChange:
    """Return a StatusChange (cancellation by default) of ``co`` (REQ-LC-002)."""
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    return lifecycle_pb2.StatusChange(
        certificate=certificate_pb2.CertificateReference(
            exporting_country=co.exporting_country,
            issuing_authority_id=co.issuing_authority.id,
            certificate_number=co.certificate_number,
        ),
        new_state=new_state,
        reason="issued in error",
        effective_time=now,
    )


def make_directory(
    pki: CountryPki,
    *,
    version: int,
    signers: Sequence[Credential],
    revoked: Sequence[tuple[Credential, dt.datetime]] = (),
) -> envelope_pb2.Envelope:
    """Return ``pki.country``'s IssuerDirectory, signed by its node signer (section 6).

    Args:
        pki: The country.
        version: Directory version (REQ-DIR-003).
        signers: Signer certificates listed for the country's authority.
        revoked: Signer certificates revoked, with their revocation times.
    """
    issue = timestamp_pb2.Timestamp()
    issue.FromDatetime(pki.now)
    nxt = timestamp_pb2.Timestamp()
    nxt.FromDatetime(pki.now + dt.timedelta(days=7))
    revocations = []
    for cred, when in revoked:
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(when)
        revocations.append(
            directory_pb2.Revocation(key_id=cred.key_id, revocation_time=ts, reason="compromised")
        )
    directory = directory_pb2.IssuerDirectory(
        country=pki.country,
        version=version,
        issue_time=issue,
        next_update_time=nxt,
        authorities=[
            directory_pb2.AuthorityEntry(
                authority=certificate_pb2.IssuingAuthority(
                    id=authority_id(pki.country), name=f"{pki.country} Customs"
                ),
                authorisations=[
                    directory_pb2.Authorisation(
                        agreement_id=agreement, effective_from=_date(dt.date(2000, 1, 1))
                    )
                    for agreement in ("AKFTA", "ATIGA", "ACFTA", "RCEP", "KCFTA")
                ],
                signer_certificates=[
                    c.cert.public_bytes(serialization.Encoding.DER) for c in signers
                ],
            )
        ],
        revocations=revocations,
        trust_anchors=[pki.root.cert.public_bytes(serialization.Encoding.DER)],
    )
    return sign(ISSUER_DIRECTORY, directory.SerializeToString(), pki.node_signer)


def check_receipt(
    receipt: envelope_pb2.Envelope,
    *,
    receiver: CountryPki,
    sender: str,
    request_id: str,
    envelope: envelope_pb2.Envelope,
) -> envelope_pb2.Receipt:
    """Check a receipt as a sender must (REQ-PUSH-003, REQ-PUSH-004) and return it.

    The receipt must be signed by ``receiver``'s node signer over the PAE of
    its payload and name the request id, payload digest and type, and both
    countries.

    Raises:
        AssertionError: The receipt is not valid for this submission.
    """
    assert receipt.payload_type == RECEIPT, receipt.payload_type
    assert receipt.signatures, "receipt carries no signature"
    expected_key = receiver.node_signer.cert.public_key()
    leaf_der = receiver.node_signer.chain_der()[0]
    valid = False
    for sig in receipt.signatures:
        if not sig.certificate_chain or sig.certificate_chain[0] != leaf_der:
            continue
        assert isinstance(expected_key, ec.EllipticCurvePublicKey)
        expected_key.verify(
            sig.signature, pae(receipt.payload_type, receipt.payload), ec.ECDSA(hashes.SHA256())
        )
        valid = True
    assert valid, "receipt not signed by the receiver's node signer"
    body = envelope_pb2.Receipt.FromString(receipt.payload)
    assert body.request_id == request_id
    assert body.payload_sha256 == hashlib.sha256(envelope.payload).hexdigest()
    assert body.payload_type == envelope.payload_type
    assert body.receiver_country == receiver.country
    assert body.sender_country == sender
    return body
