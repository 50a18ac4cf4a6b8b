"""Building blocks of the receiver-role cases (profiles core, lifecycle, transport-security).

The suite acts as the sending administration of XA (and XC): it builds
certificates of origin addressed to the node's country, signs them with its own
authority keys and submits them over mTLS as that country.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.type import decimal_pb2  # type: ignore[import-untyped]

from conformance.client import Outcome, Target
from conformance.judge import Submission, signed_submission
from conformance.pki import Credential, SuitePki
from conformance.strategies import CoContext, CodeLists, date_msg, unique_number
from wco.eco.v1 import certificate_pb2, exchange_service_pb2

__all__ = ["context_for", "minimal_certificate", "status_request", "submit_certificate"]


def context_for(
    pki: SuitePki, target: Target, country: str, code_lists: CodeLists, *, max_items: int = 3
) -> CoContext:
    """Return the CO context of suite country ``country`` sending to the node."""
    return CoContext(
        exporting_country=country,
        importing_country=target.node_country,
        authority_id=pki.country(country).authority_id,
        today=dt.datetime.now(dt.UTC).date(),
        code_lists=code_lists,
        max_items=max_items,
    )


def minimal_certificate(
    ctx: CoContext, *, number: str | None = None
) -> certificate_pb2.CertificateOfOrigin:
    """Return a deterministic valid CO with every mandatory field (REQ-CO-002) and one item.

    The base of the named (deterministic) negative cases: each changes exactly
    one thing in it.
    """
    unit = "KGM" if "KGM" in ctx.code_lists.units else ctx.code_lists.units[0]
    agreement = (
        "AKFTA" if "AKFTA" in ctx.code_lists.agreements else sorted(ctx.code_lists.agreements)[0]
    )
    issue = ctx.today - dt.timedelta(days=1)
    return certificate_pb2.CertificateOfOrigin(
        certificate_number=number or unique_number("N"),
        agreement_id=agreement,
        form_type=ctx.code_lists.agreements[agreement],
        exporting_country=ctx.exporting_country,
        importing_country=ctx.importing_country,
        issuing_authority=certificate_pb2.IssuingAuthority(
            id=ctx.authority_id, name=f"{ctx.exporting_country} Customs Service"
        ),
        issue_date=date_msg(issue),
        issue_place="Capital City",
        exporter=certificate_pb2.Party(
            name="Exporter Co., Ltd.",
            address=certificate_pb2.Address(
                lines=["1 Harbour Road"], city="Port Town", country=ctx.exporting_country
            ),
        ),
        consignee=certificate_pb2.Party(
            name="Importer Trading Corp.",
            address=certificate_pb2.Address(
                lines=["2 Market Street"], city="Inland City", country=ctx.importing_country
            ),
        ),
        goods_items=[
            certificate_pb2.GoodsItem(
                item_number=1,
                description="Frozen shrimp, peeled",
                hs_code="030617",
                hs_edition="HS2022"
                if "HS2022" in ctx.code_lists.hs_editions
                else (ctx.code_lists.hs_editions[0]),
                origin_criterion=certificate_pb2.OriginCriterion(
                    type=certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED, text="WO"
                ),
                quantity=certificate_pb2.Quantity(value=_decimal("1200.5"), unit_code=unit),
            )
        ],
    )


def _decimal(value: str) -> Any:
    return decimal_pb2.Decimal(value=value)


def submit_certificate(
    target: Target,
    co: certificate_pb2.CertificateOfOrigin,
    signer: Credential,
    *,
    caller: str,
    request_id: str | None = None,
) -> tuple[Submission, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
    """Sign ``co`` with ``signer``, submit it as ``caller`` and return both."""
    submission = signed_submission(
        co.SerializeToString(), signer, caller=caller, request_id=request_id
    )
    return submission, target.submit(caller, submission.request)


def status_request(
    co: certificate_pb2.CertificateOfOrigin,
) -> exchange_service_pb2.GetCertificateStatusRequest:
    """Return GetCertificateStatusRequest for a CO."""
    return exchange_service_pb2.GetCertificateStatusRequest(
        certificate=certificate_pb2.CertificateReference(
            exporting_country=co.exporting_country,
            issuing_authority_id=co.issuing_authority.id,
            certificate_number=co.certificate_number,
        )
    )
