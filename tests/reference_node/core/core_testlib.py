"""Builders of valid documents and signed envelopes for the core tests."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass

from hypothesis import HealthCheck, settings

from reference_node.core import payload_types
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.core.trust import TrustStore
from reference_node.pki import CountryPki, IssuedCertificate, make_country_pki
from wco.eco.v1 import certificate_pb2, envelope_pb2

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
VALID_FROM = NOW - dt.timedelta(days=365)
VALID_TO = NOW + dt.timedelta(days=365 * 5)


def identity(issued: IssuedCertificate, pki: CountryPki) -> SigningIdentity:
    """Signing identity of a leaf issued under ``pki``'s intermediate."""
    return SigningIdentity.from_key(
        private_key=issued.private_key,
        chain=[issued.certificate, pki.intermediate.certificate],
    )


@dataclass(frozen=True)
class World:
    """Two test countries: XA exports to XB."""

    xa: CountryPki
    xb: CountryPki
    xa_ed: CountryPki

    @property
    def trust(self) -> TrustStore:
        return TrustStore(
            anchors={
                "XA": [self.xa.root.certificate],
                "XB": [self.xb.root.certificate],
                "XC": [self.xa_ed.root.certificate],
            }
        )

    @property
    def xa_authority(self) -> SigningIdentity:
        return identity(self.xa.authority, self.xa)

    @property
    def xa_node(self) -> SigningIdentity:
        return identity(self.xa.node_signer, self.xa)

    @property
    def xb_authority(self) -> SigningIdentity:
        return identity(self.xb.authority, self.xb)

    @property
    def xb_node(self) -> SigningIdentity:
        return identity(self.xb.node_signer, self.xb)


def make_world() -> World:
    return World(
        xa=make_country_pki("XA", not_before=VALID_FROM, not_after=VALID_TO),
        xb=make_country_pki("XB", not_before=VALID_FROM, not_after=VALID_TO),
        xa_ed=make_country_pki("XC", key_type="ed25519", not_before=VALID_FROM, not_after=VALID_TO),
    )


def valid_co(
    number: str = "XA-2025-0001", *, items: int = 2
) -> certificate_pb2.CertificateOfOrigin:
    """A valid Form AK CO from XA (authority xa-customs) to XB."""
    co = certificate_pb2.CertificateOfOrigin(
        certificate_number=number,
        agreement_id="AKFTA",
        form_type="AK",
        exporting_country="XA",
        importing_country="XB",
        issue_place="Alpha City",
    )
    co.issuing_authority.id = "xa-customs"
    co.issuing_authority.name = "XA Customs"
    co.issue_date.year, co.issue_date.month, co.issue_date.day = 2025, 5, 30
    co.exporter.name = "Exporter Ltd"
    co.exporter.address.country = "XA"
    co.exporter.address.lines.append("1 Harbour Road")
    co.consignee.name = "Importer Co"
    co.consignee.address.country = "XB"
    co.transport.mode = certificate_pb2.TRANSPORT_MODE_SEA
    co.transport.departure_date.year = 2025
    co.transport.departure_date.month = 5
    co.transport.departure_date.day = 31
    for i in range(items):
        item = co.goods_items.add(
            item_number=i + 1,
            description=f"Goods {i + 1}",
            hs_code="850440",
            hs_edition="HS2022",
        )
        item.origin_criterion.type = certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED
        item.quantity.value.value = "100.5"
        item.quantity.unit_code = "KGM"
        item.fob_value.currency_code = "USD"
        item.fob_value.amount.value = "1000.00"
    return co


def sign(
    message: object, signer: SigningIdentity, payload_type: str = payload_types.CERTIFICATE
) -> envelope_pb2.Envelope:
    payload = message.SerializeToString()  # type: ignore[attr-defined]
    return sign_envelope(payload_type=payload_type, payload=payload, signers=[signer])


def new_request_id() -> str:
    return str(uuid.uuid4())


#: Hypothesis settings of the core tests: modest example counts, no deadline
#: (no timed tests), inheriting the active profile (CI: derandomized).
CORE_SETTINGS = settings(
    max_examples=int(os.environ.get("CORE_MAX_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
