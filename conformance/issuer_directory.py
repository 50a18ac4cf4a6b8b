"""XA's signed issuer directory, as the suite publishes it (docs/spec.md section 6).

The node under test loads this directory for partner XA (embedded mode writes it
into the node's configuration as ``[[partners]] directory``; in target mode the
operator loads ``<pki>/XA/directory.pb``, for example with ``eco-node trust
import``). It is what makes REQ-PKI-005 (revocation) and REQ-AUTH-003
(authorities, agreements and effective dates) observable from outside:

- ``xa-customs`` (XA's main authority) may certify every v1 agreement from
  :data:`AUTHORISED_FROM`, open-ended; its signer certificates are listed;
- ``xa-chamber`` (the ``other-authority-signer``) may certify :data:`CHAMBER_OPEN`
  from :data:`AUTHORISED_FROM`, open-ended, and :data:`CHAMBER_ENDED` from
  :data:`AUTHORISED_FROM` to :attr:`DirectoryPlan.chamber_ended_on` inclusive;
  :data:`CHAMBER_AFTER_BROKEN` under two grants, the first ending on an impossible
  date (:data:`BROKEN_GRANT_END`, 30 February), the second from :data:`AUTHORISED_FROM`,
  open-ended; nothing else;
- ``xa-unlisted`` (the ``unlisted-authority-signer``) is not listed at all;
- ``revoked-signer`` is revoked since one hour before the PKI was generated;
  ``revoked-later-signer`` is listed with a revocation time far in the future
  (still valid: a revocation takes effect at its time).

Everything derives from the PKI's ``generated_at``, so the cases can recompute
the plan from a PKI loaded from disk. The directory is signed by XA's node
signer (REQ-DIR-002) with the suite's own signing code.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from google.protobuf import timestamp_pb2
from google.type import date_pb2  # type: ignore[import-untyped]

from conformance import envelopes
from conformance.errors import PkiError
from conformance.pki import SuitePki
from conformance.strategies import AGREEMENT_FORMS, date_msg
from wco.eco.v1 import certificate_pb2, directory_pb2, envelope_pb2

__all__ = [
    "AUTHORISED_FROM",
    "BROKEN_GRANT_END",
    "CHAMBER_AFTER_BROKEN",
    "CHAMBER_ENDED",
    "CHAMBER_OPEN",
    "DIRECTORY_COUNTRY",
    "DIRECTORY_FILE",
    "DIRECTORY_VERSION",
    "DirectoryPlan",
    "build_directory",
    "directory_path",
    "directory_plan",
    "sign_directory",
    "write_directory",
]

logger = logging.getLogger(__name__)

#: The suite country whose directory the node loads (it carries the negative signers).
DIRECTORY_COUNTRY: Final = "XA"
#: File name of the serialized signed envelope, in ``<pki>/XA/``.
DIRECTORY_FILE: Final = "directory.pb"
#: Version of the directory (any positive number; raised whenever the content changes, so a
#: node that loaded an earlier one does not ignore it, REQ-DIR-003).
DIRECTORY_VERSION: Final = 8
#: First issue date every grant of the directory covers (inclusive).
AUTHORISED_FROM: Final = dt.date(2000, 1, 1)
#: The agreement ``xa-chamber`` may certify for, open-ended.
CHAMBER_OPEN: Final = "AKFTA"
#: The agreement ``xa-chamber`` could certify for until ``chamber_ended_on``.
CHAMBER_ENDED: Final = "ATIGA"
#: The agreement ``xa-chamber`` may certify for under its second grant, the first one broken.
CHAMBER_AFTER_BROKEN: Final = "ACFTA"
#: ``effective_to`` of that first grant: no calendar date (2023 is not a leap year either).
BROKEN_GRANT_END: Final = date_pb2.Date(year=2023, month=2, day=30)
_CHAMBER_ENDED_DAYS: Final = 30
_REVOKED_BEFORE: Final = dt.timedelta(hours=1)
_REVOKED_LATER: Final = dt.timedelta(days=3650)
_NEXT_UPDATE: Final = dt.timedelta(days=365)


@dataclass(frozen=True, kw_only=True)
class DirectoryPlan:
    """What XA's directory says, derived from the PKI alone.

    Attributes:
        country: The directory's country (XA).
        version: The directory version.
        issue_time: Publication time (the PKI's ``generated_at``).
        main_authority_id: XA's main authority (``xa-customs``), every agreement.
        chamber_authority_id: ``xa-chamber``, limited grants.
        unlisted_authority_id: An XA authority the directory does not list.
        chamber_ended_on: Last issue date of ``xa-chamber``'s CHAMBER_ENDED grant.
        revoked_key_id: Key id of ``revoked-signer``.
        revoked_at: Its revocation time (in the past).
        revoked_later_key_id: Key id of ``revoked-later-signer``.
        revoked_later_at: Its revocation time (in the future).
    """

    country: str
    version: int
    issue_time: dt.datetime
    main_authority_id: str
    chamber_authority_id: str
    unlisted_authority_id: str
    chamber_ended_on: dt.date
    revoked_key_id: str
    revoked_at: dt.datetime
    revoked_later_key_id: str
    revoked_later_at: dt.datetime


def directory_plan(pki: SuitePki) -> DirectoryPlan:
    """Return the plan of XA's directory for ``pki``.

    Raises:
        PkiError: The PKI lacks XA or one of the negative signers the plan uses.
    """
    xa = pki.country(DIRECTORY_COUNTRY)
    try:
        revoked = pki.negative_signers["revoked-signer"]
        later = pki.negative_signers["revoked-later-signer"]
    except KeyError as exc:
        raise PkiError(
            f"the suite PKI lacks the negative signer {exc.args[0]}; "
            "regenerate it with eco-conformance pki init --force"
        ) from None
    cc = DIRECTORY_COUNTRY.lower()
    at = pki.generated_at
    return DirectoryPlan(
        country=DIRECTORY_COUNTRY,
        version=DIRECTORY_VERSION,
        issue_time=at,
        main_authority_id=xa.authority_id,
        chamber_authority_id=f"{cc}-chamber",
        unlisted_authority_id=f"{cc}-unlisted",
        chamber_ended_on=at.date() - dt.timedelta(days=_CHAMBER_ENDED_DAYS),
        revoked_key_id=revoked.key_id,
        revoked_at=at - _REVOKED_BEFORE,
        revoked_later_key_id=later.key_id,
        revoked_later_at=at + _REVOKED_LATER,
    )


def _timestamp(at: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at.astimezone(dt.UTC).replace(microsecond=0))
    return stamp


def _der(pki: SuitePki, *names: str) -> list[bytes]:
    return [
        pki.negative_signers[n].certificate.public_bytes(serialization.Encoding.DER)
        for n in names
        if n in pki.negative_signers
    ]


def build_directory(pki: SuitePki) -> directory_pb2.IssuerDirectory:
    """Build XA's IssuerDirectory payload as :func:`directory_plan` describes it."""
    plan = directory_plan(pki)
    xa = pki.country(DIRECTORY_COUNTRY)
    start = date_msg(AUTHORISED_FROM)
    main = directory_pb2.AuthorityEntry(
        authority=certificate_pb2.IssuingAuthority(
            id=plan.main_authority_id, name=f"{DIRECTORY_COUNTRY} Customs Service"
        ),
        authorisations=[
            directory_pb2.Authorisation(agreement_id=agreement, effective_from=start)
            for agreement in sorted(AGREEMENT_FORMS)
        ],
        signer_certificates=[
            xa.authority.certificate.public_bytes(serialization.Encoding.DER),
            *_der(pki, "ed25519-signer", "revoked-signer", "revoked-later-signer"),
        ],
    )
    chamber = directory_pb2.AuthorityEntry(
        authority=certificate_pb2.IssuingAuthority(
            id=plan.chamber_authority_id, name=f"{DIRECTORY_COUNTRY} Chamber of Commerce"
        ),
        authorisations=[
            directory_pb2.Authorisation(agreement_id=CHAMBER_OPEN, effective_from=start),
            directory_pb2.Authorisation(
                agreement_id=CHAMBER_ENDED,
                effective_from=start,
                effective_to=date_msg(plan.chamber_ended_on),
            ),
            # A grant naming no real end date covers no issue date; the next grant of the
            # same agreement still counts (REQ-AUTH-003, section 6 says nothing more).
            directory_pb2.Authorisation(
                agreement_id=CHAMBER_AFTER_BROKEN,
                effective_from=start,
                effective_to=BROKEN_GRANT_END,
            ),
            directory_pb2.Authorisation(agreement_id=CHAMBER_AFTER_BROKEN, effective_from=start),
        ],
        signer_certificates=_der(pki, "other-authority-signer"),
    )
    return directory_pb2.IssuerDirectory(
        country=DIRECTORY_COUNTRY,
        version=plan.version,
        issue_time=_timestamp(plan.issue_time),
        next_update_time=_timestamp(plan.issue_time + _NEXT_UPDATE),
        authorities=[main, chamber],
        revocations=[
            directory_pb2.Revocation(
                key_id=plan.revoked_key_id,
                revocation_time=_timestamp(plan.revoked_at),
                reason="key compromise (conformance test)",
            ),
            directory_pb2.Revocation(
                key_id=plan.revoked_later_key_id,
                revocation_time=_timestamp(plan.revoked_later_at),
                reason="scheduled retirement (conformance test)",
            ),
        ],
        trust_anchors=[xa.root.certificate.public_bytes(serialization.Encoding.DER)],
    )


def sign_directory(pki: SuitePki) -> envelope_pb2.Envelope:
    """Return XA's directory as an envelope signed by XA's node signer (REQ-DIR-002)."""
    payload = build_directory(pki).SerializeToString(deterministic=True)
    return envelopes.sign_envelope(
        envelopes.PAYLOAD_TYPE_DIRECTORY, payload, [pki.country(DIRECTORY_COUNTRY).node_signer]
    )


def directory_path(pki: SuitePki) -> Path:
    """Return ``<pki>/XA/directory.pb``.

    Raises:
        PkiError: The PKI was not written to disk.
    """
    if pki.path is None:
        raise PkiError("the suite PKI must be written before its issuer directory")
    return pki.path / DIRECTORY_COUNTRY / DIRECTORY_FILE


def write_directory(pki: SuitePki) -> Path:
    """Write XA's signed directory (binary serialized Envelope) and return its path."""
    path = directory_path(pki)
    path.write_bytes(sign_directory(pki).SerializeToString())
    logger.info("issuer directory of %s written to %s", DIRECTORY_COUNTRY, path)
    return path
