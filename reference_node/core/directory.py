"""Building and signing issuer directories (docs/spec.md section 6, REQ-DIR-001).

Partners verify and load them with
:meth:`reference_node.core.trust.TrustStore.with_directory`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from google.protobuf.timestamp_pb2 import Timestamp

from reference_node.core import payload_types
from reference_node.core.signing import SigningIdentity, key_id, sign_envelope
from wco.eco.v1 import certificate_pb2, directory_pb2, envelope_pb2

__all__ = [
    "AgreementGrant",
    "RevokedKey",
    "authority_entry",
    "build_directory",
    "sign_directory",
]


def _ts(value: dt.datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(dt.UTC))
    return ts


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementGrant:
    """Permission to certify for one agreement, inclusive dates (``Authorisation``)."""

    agreement_id: str
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokedKey:
    """A revoked signer key (``Revocation``)."""

    key_id: str
    revocation_time: dt.datetime
    reason: str = ""

    @classmethod
    def of_certificate(
        cls, cert: x509.Certificate, *, revocation_time: dt.datetime, reason: str = ""
    ) -> RevokedKey:
        """Revocation of a certificate's key."""
        return cls(key_id=key_id(cert.public_key()), revocation_time=revocation_time, reason=reason)


def authority_entry(
    *,
    authority_id: str,
    name: str,
    grants: Sequence[AgreementGrant],
    signer_certificates: Sequence[x509.Certificate] = (),
) -> directory_pb2.AuthorityEntry:
    """Build one ``AuthorityEntry`` of a directory."""
    entry = directory_pb2.AuthorityEntry(
        authority=certificate_pb2.IssuingAuthority(id=authority_id, name=name),
        signer_certificates=[
            c.public_bytes(serialization.Encoding.DER) for c in signer_certificates
        ],
    )
    for grant in grants:
        auth = entry.authorisations.add(agreement_id=grant.agreement_id)
        for target, value in (
            (auth.effective_from, grant.effective_from),
            (auth.effective_to, grant.effective_to),
        ):
            if value is not None:
                target.year, target.month, target.day = value.year, value.month, value.day
    return entry


def build_directory(
    *,
    country: str,
    version: int,
    issue_time: dt.datetime,
    authorities: Sequence[directory_pb2.AuthorityEntry],
    revocations: Sequence[RevokedKey] = (),
    trust_anchors: Sequence[x509.Certificate] = (),
    next_update_time: dt.datetime | None = None,
) -> directory_pb2.IssuerDirectory:
    """Build a country's ``IssuerDirectory`` (section 6).

    Raises:
        ValueError: ``version`` is not positive.
    """
    if version <= 0:
        raise ValueError("directory versions start at 1")
    directory = directory_pb2.IssuerDirectory(
        country=country,
        version=version,
        issue_time=_ts(issue_time),
        authorities=list(authorities),
        revocations=[
            directory_pb2.Revocation(
                key_id=r.key_id, revocation_time=_ts(r.revocation_time), reason=r.reason
            )
            for r in revocations
        ],
        trust_anchors=[c.public_bytes(serialization.Encoding.DER) for c in trust_anchors],
    )
    if next_update_time is not None:
        directory.next_update_time.CopyFrom(_ts(next_update_time))
    return directory


def sign_directory(
    directory: directory_pb2.IssuerDirectory, *, signer: SigningIdentity
) -> envelope_pb2.Envelope:
    """Sign a directory with the country's node signer (REQ-DIR-001)."""
    return sign_envelope(
        payload_type=payload_types.ISSUER_DIRECTORY,
        payload=directory.SerializeToString(deterministic=True),
        signers=[signer],
    )
