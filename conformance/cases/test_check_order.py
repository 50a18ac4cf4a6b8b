"""Profile ``core``: the order of checks (docs/spec.md 5.4, and 5.6 for the signer).

A receiver returns the first failing check in the order of section 5.4, so every node
gives the same reason for the same input. Each case breaks two adjacent checks at once
and expects the earlier one's reason; the case id names the pair as
``<step>-<check>/<step>-<check>``. Within step 5 the signatures come before their
signer, and the signer checks follow section 5.6 step 6: profile, validity, path,
revocation. Where a step holds several checks (step 7: signer authorisation, then
sender and recipient) the pair is inside the step. A mandatory field that step 7 reads,
left out, breaks steps 7 and 8 at once: step 7's reason, not FIELD_MISSING (REQ-CHK-002).
The CO without an issue date comes from XA, whose issuer directory is loaded (REQ-AUTH-003
answers); those without an authority id or importing country come from XC, whose
directory is not, so the check named in the pair is the one that answers.

Signers needed only here (an expired CA-flagged leaf, a revoked key under another
root, ...) are issued when the case runs from the suite PKI's keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance import envelopes
from conformance.client import Target
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_refused,
    new_request_id,
    signed_submission,
)
from conformance.pki import Credential, SuitePki, Validity, authority_uri, issue_leaf
from conformance.receiver import context_for, minimal_certificate, submit_certificate
from conformance.strategies import CodeLists
from wco.eco.v1 import certificate_pb2, envelope_pb2, exchange_service_pb2, node_service_pb2

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
XC = "XC"
CO = certificate_pb2.CertificateOfOrigin
_UNKNOWN_TYPE = "application/vnd.wco.eco.invoice.v1+protobuf"
_MALFORMED = b"\xff\xff\xff\xff\x0f"
_UNKNOWN_FIELD = b"\xf8\x3e\x01"  # field 999, varint 1


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a case builder needs."""

    target: Target
    pki: SuitePki
    lists: CodeLists
    limits: node_service_pb2.NodeLimits

    def co(self, sender: str = XA) -> CO:
        """A valid CO from ``sender`` to the node."""
        return minimal_certificate(context_for(self.pki, self.target, sender, self.lists))

    def stored(self) -> Submission:
        """Submit a valid CO from XA and return its (accepted) submission."""
        submission, outcome = submit_certificate(
            self.target, self.co(), self.pki.country(XA).authority, caller=XA
        )
        assert_accepted(self.target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="setup")
        return submission


@dataclass(frozen=True, kw_only=True)
class Pair:
    """Two adjacent checks broken at once.

    Attributes:
        build: Returns the submission breaking both (and may store a document first).
        code: The earlier check's status code.
        reason: The earlier check's reason.
        requirements: The requirement ids of the two checks.
        stored: The request id was stored before (an idempotency case): the original
            must still read back instead of nothing being readable.
    """

    build: Callable[[Context], Submission]
    code: str
    reason: str
    requirements: tuple[str, ...]
    stored: bool = False


def _leaf(
    pki: SuitePki,
    *,
    issuer: Credential | None = None,
    expired: bool = False,
    key: Credential | None = None,
    ca_flag: bool = False,
) -> Credential:
    """An XA authority leaf made now: expired an hour ago, CA-flagged, or with another key."""
    xa = pki.country(XA)
    now = dt.datetime.now(dt.UTC)
    validity = (
        Validity(not_before=now - dt.timedelta(days=2), not_after=now - dt.timedelta(hours=1))
        if expired
        else Validity(not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=1))
    )
    ca = issuer or xa.intermediate
    return issue_leaf(
        cn="XA check-order signer",
        country=XA,
        issuer=ca,
        validity=validity,
        uris=(authority_uri(XA, xa.authority_id),),
        ca_flag=ca_flag,
        key=None if key is None else key.key,
        intermediates=() if issuer is not None else (xa.intermediate.certificate,),
    )


def _sign(payload: bytes, signer: Credential, *, caller: str = XA, **kwargs: str) -> Submission:
    return signed_submission(payload, signer, caller=caller, **kwargs)


def _size_before_idempotency(c: Context) -> Submission:
    first = c.stored()
    limit = c.limits.max_payload_bytes or 1024 * 1024
    return _sign(b"\x0a" + b"A" * limit, c.pki.country(XA).authority, request_id=first.request_id)


def _idempotency_before_type(c: Context) -> Submission:
    first = c.stored()
    return _sign(
        first.envelope.payload,
        c.pki.country(XA).authority,
        request_id=first.request_id,
        payload_type=_UNKNOWN_TYPE,
    )


def _type_before_signature(c: Context) -> Submission:
    envelope = envelope_pb2.Envelope(payload_type=_UNKNOWN_TYPE, payload=c.co().SerializeToString())
    return Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=new_request_id(), envelope=envelope
        ),
        caller=XA,
    )


def _receipt_type_before_signature(c: Context) -> Submission:
    submission = _sign(
        c.co().SerializeToString(),
        c.pki.country(XA).authority,
        payload_type=envelopes.PAYLOAD_TYPE_RECEIPT,
    )
    submission.request.envelope.CopyFrom(envelopes.corrupt_signature(submission.envelope))
    return submission


def _signature_before_signer(c: Context) -> Submission:
    submission = _sign(c.co().SerializeToString(), c.pki.negative_signers["expired-signer"])
    submission.request.envelope.CopyFrom(envelopes.corrupt_signature(submission.envelope))
    return submission


def _profile_before_validity(c: Context) -> Submission:
    return _sign(c.co().SerializeToString(), _leaf(c.pki, expired=True, ca_flag=True))


def _validity_before_path(c: Context) -> Submission:
    return _sign(
        c.co().SerializeToString(), _leaf(c.pki, issuer=c.pki.untrusted_root, expired=True)
    )


def _path_before_revocation(c: Context) -> Submission:
    revoked = c.pki.negative_signers["revoked-signer"]
    return _sign(c.co().SerializeToString(), _leaf(c.pki, issuer=c.pki.untrusted_root, key=revoked))


def _validity_before_revocation(c: Context) -> Submission:
    revoked = c.pki.negative_signers["revoked-signer"]
    return _sign(c.co().SerializeToString(), _leaf(c.pki, expired=True, key=revoked))


def _signature_before_parsing(c: Context) -> Submission:
    submission = _sign(_MALFORMED, c.pki.country(XA).authority)
    submission.request.envelope.CopyFrom(envelopes.corrupt_signature(submission.envelope))
    return submission


def _signer_before_parsing(c: Context) -> Submission:
    return _sign(_MALFORMED, c.pki.negative_signers["revoked-signer"])


def _expired_before_parsing(c: Context) -> Submission:
    return _sign(
        c.co().SerializeToString() + _UNKNOWN_FIELD, c.pki.negative_signers["expired-signer"]
    )


def _parsing_before_authorisation(c: Context) -> Submission:
    co = c.co(XC)  # a CO of XC, signed by XA's authority and sent by XA
    return _sign(co.SerializeToString() + _UNKNOWN_FIELD, c.pki.country(XA).authority)


def _signer_country_before_sender(c: Context) -> Submission:
    return _sign(c.co(XA).SerializeToString(), c.pki.country(XC).authority, caller=XC)


def _directory_before_sender(c: Context) -> Submission:
    co = c.co(XA)
    co.issuing_authority.id = f"{XA.lower()}-unlisted"
    return _sign(
        co.SerializeToString(), c.pki.negative_signers["unlisted-authority-signer"], caller=XC
    )


def _without(sender: str, path: str) -> Callable[[Context], Submission]:
    """A CO of ``sender`` missing the field at ``path``, signed and sent by ``sender``."""

    def build(c: Context) -> Submission:
        co = c.co(sender)
        holder, _, name = path.rpartition(".")
        (getattr(co, holder) if holder else co).ClearField(name)
        return _sign(co.SerializeToString(), c.pki.country(sender).authority, caller=sender)

    return build


def _bad_item(co: CO) -> CO:
    co.goods_items[0].hs_code = "770100"
    return co


def _authorisation_before_fields(c: Context) -> Submission:
    return _sign(_bad_item(c.co(XA)).SerializeToString(), c.pki.country(XC).authority)


def _sender_before_fields(c: Context) -> Submission:
    return _sign(_bad_item(c.co(XA)).SerializeToString(), c.pki.country(XA).authority, caller=XC)


def _revocation_before_fields(c: Context) -> Submission:
    return _sign(_bad_item(c.co(XA)).SerializeToString(), c.pki.negative_signers["revoked-signer"])


def _fields_before_duplicate(c: Context) -> Submission:
    first = c.stored()
    again = CO.FromString(first.envelope.payload)
    return _sign(_bad_item(again).SerializeToString(), c.pki.country(XA).authority)


_INVALID = "INVALID_ARGUMENT"
_DENIED = "PERMISSION_DENIED"
PAIRS: dict[str, Pair] = {
    "2-size/3-idempotency": Pair(
        build=_size_before_idempotency,
        code="RESOURCE_EXHAUSTED",
        reason="MESSAGE_TOO_LARGE",
        requirements=("REQ-LIM-001", "REQ-IDEM-003"),
        stored=True,
    ),
    "3-idempotency/4-payload-type": Pair(
        build=_idempotency_before_type,
        code="ALREADY_EXISTS",
        reason="DUPLICATE_CONFLICT",
        requirements=("REQ-IDEM-003", "REQ-SIG-001"),
        stored=True,
    ),
    "4-payload-type/5-signature": Pair(
        build=_type_before_signature,
        code=_INVALID,
        reason="PAYLOAD_TYPE_UNSUPPORTED",
        requirements=("REQ-SIG-001", "REQ-SIG-005"),
    ),
    "4-receipt-type/5-signature": Pair(
        build=_receipt_type_before_signature,
        code=_INVALID,
        reason="PAYLOAD_TYPE_UNSUPPORTED",
        requirements=("REQ-SIG-001", "REQ-SIG-005"),
    ),
    "5-signature/5-signer": Pair(
        build=_signature_before_signer,
        code=_INVALID,
        reason="SIGNATURE_INVALID",
        requirements=("REQ-SIG-003", "REQ-SIG-005", "REQ-PKI-003"),
    ),
    "5-signer-profile/5-signer-validity": Pair(
        build=_profile_before_validity,
        code=_DENIED,
        reason="SIGNER_UNTRUSTED",
        requirements=("REQ-PKI-002", "REQ-PKI-003"),
    ),
    "5-signer-validity/5-signer-path": Pair(
        build=_validity_before_path,
        code=_DENIED,
        reason="SIGNER_EXPIRED",
        requirements=("REQ-PKI-003", "REQ-PKI-004"),
    ),
    "5-signer-path/5-signer-revocation": Pair(
        build=_path_before_revocation,
        code=_DENIED,
        reason="SIGNER_UNTRUSTED",
        requirements=("REQ-PKI-004", "REQ-PKI-005"),
    ),
    "5-signer-validity/5-signer-revocation": Pair(
        build=_validity_before_revocation,
        code=_DENIED,
        reason="SIGNER_EXPIRED",
        requirements=("REQ-PKI-003", "REQ-PKI-005"),
    ),
    "5-signature/6-parsing": Pair(
        build=_signature_before_parsing,
        code=_INVALID,
        reason="SIGNATURE_INVALID",
        requirements=("REQ-SIG-003", "REQ-SIG-005", "REQ-CO-001"),
    ),
    "5-signer-revoked/6-parsing": Pair(
        build=_signer_before_parsing,
        code=_DENIED,
        reason="SIGNER_REVOKED",
        requirements=("REQ-PKI-005", "REQ-CO-001"),
    ),
    "5-signer-expired/6-unknown-field": Pair(
        build=_expired_before_parsing,
        code=_DENIED,
        reason="SIGNER_EXPIRED",
        requirements=("REQ-PKI-003", "REQ-CO-001"),
    ),
    "6-unknown-field/7-signer-country": Pair(
        build=_parsing_before_authorisation,
        code=_INVALID,
        reason="PAYLOAD_MALFORMED",
        requirements=("REQ-CO-001", "REQ-AUTH-001"),
    ),
    "7-signer-country/7-sender": Pair(
        build=_signer_country_before_sender,
        code=_DENIED,
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-AUTH-001", "REQ-AUTH-004"),
    ),
    "7-directory/7-sender": Pair(
        build=_directory_before_sender,
        code=_DENIED,
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-AUTH-003", "REQ-AUTH-004"),
    ),
    "7-signer-country/8-missing-exporting-country": Pair(
        build=_without(XA, "exporting_country"),
        code=_DENIED,
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-CHK-002", "REQ-AUTH-001", "REQ-CO-002"),
    ),
    "7-signer-authority/8-missing-authority-id": Pair(
        build=_without(XC, "issuing_authority.id"),
        code=_DENIED,
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-CHK-002", "REQ-AUTH-002", "REQ-CO-002"),
    ),
    "7-directory/8-missing-issue-date": Pair(
        build=_without(XA, "issue_date"),
        code=_DENIED,
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-CHK-002", "REQ-AUTH-003", "REQ-CO-002"),
    ),
    "7-recipient/8-missing-importing-country": Pair(
        build=_without(XC, "importing_country"),
        code=_DENIED,
        reason="SENDER_MISMATCH",
        requirements=("REQ-CHK-002", "REQ-AUTH-004", "REQ-CO-002"),
    ),
    "7-signer-country/8-field-rules": Pair(
        build=_authorisation_before_fields,
        code=_DENIED,
        reason="SIGNER_NOT_AUTHORISED",
        requirements=("REQ-AUTH-001", "REQ-CO-007"),
    ),
    "7-sender/8-field-rules": Pair(
        build=_sender_before_fields,
        code=_DENIED,
        reason="SENDER_MISMATCH",
        requirements=("REQ-AUTH-004", "REQ-CO-007"),
    ),
    "5-signer-revoked/8-field-rules": Pair(
        build=_revocation_before_fields,
        code=_DENIED,
        reason="SIGNER_REVOKED",
        requirements=("REQ-PKI-005", "REQ-CO-007"),
    ),
    "8-field-rules/9-duplicate": Pair(
        build=_fields_before_duplicate,
        code=_INVALID,
        reason="FIELD_INVALID",
        requirements=("REQ-CO-007", "REQ-IDEM-004"),
    ),
}


@pytest.mark.requirement("REQ-PUSH-002", "REQ-ERR-002")
@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(p, marks=pytest.mark.requirement("REQ-CHK-001", *PAIRS[p].requirements))
        for p in PAIRS
    ],
)
def test_earlier_check_decides(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
    pair: str,
) -> None:
    """Two adjacent checks of section 5.4 broken at once: the earlier one's reason."""
    case = PAIRS[pair]
    context = Context(target=target, pki=suite_pki, lists=code_lists, limits=node_info.limits)
    submission = case.build(context)
    outcome = target.submit(submission.caller, submission.request)
    assert_refused(outcome, code=case.code, reason=case.reason, rule=f"section 5.4 {pair}")
    if case.stored:
        original = exchange_service_pb2.GetDocumentRequest(request_id=submission.request_id)
        stored = target.get_document(submission.caller, original)
        assert stored.response is not None, f"REQ-PUSH-002: {stored.summary()}"
        kept = stored.response.document.envelope.SerializeToString()
        assert kept != submission.envelope.SerializeToString(), (
            "REQ-PUSH-002: the refused envelope replaced the stored one"
        )
    else:
        assert_not_readable(target, caller=submission.caller, request_id=submission.request_id)
