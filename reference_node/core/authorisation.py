"""Authorisation of a verified signer for a document (docs/spec.md 5.3).

Implements REQ-AUTH-001..003 (``SIGNER_NOT_AUTHORISED``) and then REQ-AUTH-004
/ REQ-ACC-002 (``SENDER_MISMATCH``), in that order. Absent fields are compared as
empty values, so a missing field read here is refused here, before the field rules
(REQ-CHK-002).
"""

from __future__ import annotations

import datetime as dt

from reference_node.core.documents import Document
from reference_node.core.errors import SenderMismatch, SignerNotAuthorised
from reference_node.core.trust import TrustStore, VerifiedSigner
from wco.eco.v1 import certificate_pb2, directory_pb2, lifecycle_pb2, verification_pb2

__all__ = ["authorise", "authority_authorised"]

#: Documents whose payload does not name the recipient country (section 5.3).
_RECIPIENT_NOT_NAMED = (lifecycle_pb2.StatusChange, verification_pb2.VerificationResult)


def _date(value: object) -> dt.date | None:
    year, month, day = value.year, value.month, value.day  # type: ignore[attr-defined]
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def authority_authorised(
    directory: directory_pb2.IssuerDirectory,
    *,
    authority_id: str,
    agreement_id: str,
    issue_date: dt.date | None,
) -> bool:
    """Whether the directory lists the authority for the agreement on the date (REQ-AUTH-003).

    ``effective_from`` unset means "since always"; ``effective_to`` unset
    means open-ended; both bounds are inclusive. An unknown issue date is
    never covered.
    """
    if issue_date is None:
        return False
    for entry in directory.authorities:
        if entry.authority.id != authority_id:
            continue
        for grant in entry.authorisations:
            if grant.agreement_id != agreement_id:
                continue
            start = _date(grant.effective_from) if grant.HasField("effective_from") else None
            end = _date(grant.effective_to) if grant.HasField("effective_to") else None
            if grant.HasField("effective_from") and start is None:
                continue
            if grant.HasField("effective_to") and end is None:
                continue
            if (start is None or start <= issue_date) and (end is None or issue_date <= end):
                return True
    return False


def authorise(
    doc: Document,
    signer: VerifiedSigner,
    *,
    caller_country: str,
    node_country: str,
    trust: TrustStore,
) -> None:
    """Check the signer may sign ``doc`` and the caller may send it here (section 5.3).

    Args:
        doc: The parsed document.
        signer: The verified signer of its envelope.
        caller_country: Country of the TLS client certificate (REQ-ACC-001).
        node_country: The receiving node's country.
        trust: Trust store holding the issuer directories.

    Raises:
        SignerNotAuthorised: REQ-AUTH-001 (signer country), REQ-AUTH-002
            (documents are signed by an authority, CO and StatusChange by
            the CO's own issuing authority) or REQ-AUTH-003 (directory).
        SenderMismatch: REQ-AUTH-004: the sending country is not the caller,
            or the recipient is not this node.
    """
    identity = signer.identity
    if identity.country != doc.sender_country:  # REQ-AUTH-001
        raise SignerNotAuthorised(
            f"signer of {identity.country} may not sign for sending country {doc.sender_country}"
        )
    if identity.is_node:  # section 3: documents are signed by authorities
        raise SignerNotAuthorised("node signers sign receipts and directories, not documents")
    message = doc.message
    if (
        isinstance(message, (certificate_pb2.CertificateOfOrigin, lifecycle_pb2.StatusChange))
        and identity.authority_id != doc.certificate.issuing_authority_id
    ):  # REQ-AUTH-002
        raise SignerNotAuthorised(
            f"authority {identity.authority_id} is not the CO's issuing authority"
        )
    if isinstance(message, certificate_pb2.CertificateOfOrigin):  # REQ-AUTH-003
        directory = trust.directory(doc.sender_country)
        if directory is not None and not authority_authorised(
            directory,
            authority_id=message.issuing_authority.id,
            agreement_id=message.agreement_id,
            issue_date=_date(message.issue_date),
        ):
            raise SignerNotAuthorised(
                f"authority {message.issuing_authority.id} is not authorised for "
                f"{message.agreement_id} on the issue date in the issuer directory"
            )
    if doc.sender_country != caller_country:  # REQ-AUTH-004
        raise SenderMismatch(
            f"caller {caller_country} may not submit documents sent by {doc.sender_country}"
        )
    recipient = doc.recipient_country
    if isinstance(message, _RECIPIENT_NOT_NAMED):
        # StatusChange / VerificationResult: the recipient is the other party of
        # the certificate; it can only be this node when this node is not the
        # sender. Whether the node holds the CO or case is checked in step 9.
        if doc.sender_country == node_country:
            raise SenderMismatch("the document is not addressed to this node")
    elif recipient != node_country:
        # An absent recipient (e.g. a CO without importing_country) is not this
        # node either: step 7 answers before the field rules (REQ-CHK-002).
        raise SenderMismatch(
            f"the document is addressed to {recipient or 'no country'}, not {node_country}"
        )
