"""Receiver role, profile ``core``: issuer directories (docs/spec.md section 6).

Two directions:

- the node's own directory (TrustService.GetIssuerDirectory) is checked the way a
  partner loading it must check it: an envelope signed by the node signer of the
  node's country under that country's trust anchors, with a version that
  ``newer_than_version`` respects (REQ-DIR-001, REQ-DIR-002);
- XA's directory, signed by XA's node signer and loaded by the node (embedded
  mode writes it into the node's configuration; in target mode the operator loads
  ``<pki>/XA/directory.pb``), must be applied: a revoked key is refused
  ``SIGNER_REVOKED`` (REQ-PKI-005) and an authority may certify only the
  agreements and issue dates it lists (REQ-AUTH-003). What the directory holds is
  described in :mod:`conformance.issuer_directory`.

REQ-DIR-003 (an older or equal directory version is ignored) concerns how a node
loads directories; the protocol has no call to hand a node a directory, so it is
listed as not testable from outside (``eco-conformance matrix``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from conformance import envelopes
from conformance.adapter_client import AdapterClient
from conformance.client import Outcome, Target
from conformance.issuer_directory import (
    AUTHORISED_FROM,
    CHAMBER_AFTER_BROKEN,
    CHAMBER_ENDED,
    CHAMBER_OPEN,
    DIRECTORY_COUNTRY,
    DirectoryPlan,
    directory_plan,
)
from conformance.judge import (
    assert_accepted,
    assert_error_format,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.pki import SuitePki, node_uri
from conformance.receiver import context_for, minimal_certificate, status_request
from conformance.strategies import AGREEMENT_FORMS, CodeLists, date_msg, reference_of, status_change
from wco.eco.conformance.v1 import adapter_pb2
from wco.eco.v1 import (
    certificate_pb2,
    directory_pb2,
    lifecycle_pb2,
    trust_service_pb2,
)

pytestmark = [pytest.mark.profile("core")]

XA = DIRECTORY_COUNTRY
CO = certificate_pb2.CertificateOfOrigin
_LOADED = f" (does the node hold XA's issuer directory <pki>/{XA}/directory.pb?)"


def _get_directory(
    target: Target, newer_than: int = 0
) -> Outcome[trust_service_pb2.GetIssuerDirectoryResponse]:
    return target.call(
        target.trust(XA).GetIssuerDirectory,
        trust_service_pb2.GetIssuerDirectoryRequest(newer_than_version=newer_than),
        caller=XA,
        rpc="TrustService/GetIssuerDirectory",
    )


def _verified_directory(target: Target, newer_than: int = 0) -> directory_pb2.IssuerDirectory:
    """Fetch the node's directory and verify it as REQ-DIR-002 asks of a loading partner."""
    outcome = _get_directory(target, newer_than)
    assert outcome.response is not None, f"REQ-DIR-001: GetIssuerDirectory: {outcome.summary()}"
    envelope = outcome.response.directory
    try:
        envelopes.verify_envelope(
            envelope,
            anchors=x509.load_pem_x509_certificates(target.node_trust_anchors_pem),
            expected_uri=node_uri(target.node_country),
            now=dt.datetime.now(dt.UTC),
            expected_payload_type=envelopes.PAYLOAD_TYPE_DIRECTORY,
        )
    except Exception as exc:
        raise AssertionError(
            f"REQ-DIR-001/REQ-DIR-002: the directory does not verify as an envelope signed by "
            f"{node_uri(target.node_country)}: {exc}"
        ) from None
    directory = directory_pb2.IssuerDirectory()
    try:
        directory.ParseFromString(envelope.payload)
    except Exception as exc:
        raise AssertionError(f"REQ-DIR-001: directory payload does not parse: {exc}") from None
    stripped = directory_pb2.IssuerDirectory()
    stripped.CopyFrom(directory)
    stripped.DiscardUnknownFields()
    assert stripped.ByteSize() == directory.ByteSize(), (
        "REQ-DIR-002/REQ-CO-001: the directory payload carries unknown fields"
    )
    return directory


@pytest.mark.requirement("REQ-DIR-001", "REQ-DIR-002")
def test_published_directory_verifies_as_a_partner_loads_it(
    target: Target, suite_pki: SuitePki, adapter: AdapterClient | None
) -> None:
    """The node's directory: node signer, own country, its authority with valid grants."""
    directory = _verified_directory(target)
    assert directory.country == target.node_country, (
        f"REQ-DIR-001: directory of {directory.country!r}, expected {target.node_country!r}"
    )
    assert directory.version > 0, "REQ-DIR-001: directory version 0"
    authority_id = suite_pki.country(target.node_country).authority_id
    if adapter is not None:  # the node says which authority it signs as
        described = adapter.run(
            adapter_pb2.ExecuteRequest(describe=adapter_pb2.DescribeCommand())
        ).describe
        authority_id = described.issuing_authority_id or authority_id
    entries = {e.authority.id: e for e in directory.authorities}
    assert authority_id in entries, (
        f"REQ-DIR-001: the node's authority {authority_id} is not listed ({sorted(entries)})"
    )
    for entry in directory.authorities:
        assert entry.authorisations, f"REQ-DIR-001: {entry.authority.id} has no authorisation"
        for grant in entry.authorisations:
            assert grant.agreement_id, f"REQ-DIR-001: {entry.authority.id} grant without agreement"
        for der in entry.signer_certificates:
            try:
                x509.load_der_x509_certificate(der)
            except ValueError as exc:
                raise AssertionError(
                    f"REQ-DIR-001: a signer certificate of {entry.authority.id} is not DER: {exc}"
                ) from None
    for revocation in directory.revocations:
        assert len(revocation.key_id) == 64, f"REQ-DIR-001: revocation key id {revocation.key_id}"
    configured = {
        a.fingerprint(hashes.SHA256())
        for a in x509.load_pem_x509_certificates(target.node_trust_anchors_pem)
    }
    for der in directory.trust_anchors:
        try:
            anchor = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise AssertionError(f"REQ-DIR-001: a listed trust anchor is not DER: {exc}") from None
        assert anchor.fingerprint(hashes.SHA256()) in configured, (
            "REQ-DIR-001: the directory lists a trust anchor that is not one of the node "
            f"country's anchors ({anchor.subject.rfc4514_string()})"
        )


@pytest.mark.requirement("REQ-DIR-001")
def test_directory_newer_than_version(target: Target) -> None:
    """newer_than_version below the current version returns it; at or above: UNKNOWN_DOCUMENT."""
    current = _verified_directory(target)
    version = current.version
    if version > 1:
        older = _verified_directory(target, newer_than=version - 1)
        assert older.version == version, (
            f"REQ-DIR-001: newer_than_version={version - 1} returned version {older.version}"
        )
    for newer_than in (version, version + 1000):
        outcome = _get_directory(target, newer_than)
        refusal = assert_refused(
            outcome,
            code="NOT_FOUND",
            reason="UNKNOWN_DOCUMENT",
            rule=f"REQ-DIR-001 newer_than_version={newer_than} (current {version})",
        )
        assert_error_format(refusal)


# ---------------------------------------------------------------------------
# XA's directory, loaded by the node


@pytest.fixture(scope="module")
def plan(suite_pki: SuitePki) -> DirectoryPlan:
    """What XA's directory says (derived from the suite PKI)."""
    return directory_plan(suite_pki)


def _certificate(
    suite_pki: SuitePki,
    target: Target,
    code_lists: CodeLists,
    *,
    authority_id: str | None = None,
    agreement: str | None = None,
    issue: dt.date | None = None,
) -> CO:
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    if authority_id is not None:
        co.issuing_authority.id = authority_id
        co.issuing_authority.name = f"{XA} authority {authority_id}"
    if agreement is not None:
        co.agreement_id = agreement
        co.form_type = AGREEMENT_FORMS.get(agreement, co.form_type)
    if issue is not None:
        co.issue_date.CopyFrom(date_msg(issue))
    return co


@pytest.mark.obligation("no-change")
@pytest.mark.requirement("REQ-PKI-005", "REQ-DIR-002", "REQ-PUSH-002")
def test_revoked_signer_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, plan: DirectoryPlan
) -> None:
    """A CO signed by a key XA's directory revoked (time in the past): SIGNER_REVOKED."""
    co = _certificate(suite_pki, target, code_lists)
    signer = suite_pki.negative_signers["revoked-signer"]
    assert signer.key_id == plan.revoked_key_id
    submission = signed_submission(co.SerializeToString(), signer, caller=XA)
    outcome = target.submit(XA, submission.request)
    assert_refused(
        outcome, code="PERMISSION_DENIED", reason="SIGNER_REVOKED", rule="REQ-PKI-005" + _LOADED
    )
    assert_not_readable(
        target, caller=XA, request_id=submission.request_id, certificate=reference_of(co)
    )


@pytest.mark.obligation("no-change")
@pytest.mark.requirement("REQ-PKI-005", "REQ-DIR-002", "REQ-PUSH-002")
def test_revoked_signer_cannot_change_status(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A StatusChange signed by the revoked key is refused and the CO stays ISSUED."""
    co = _certificate(suite_pki, target, code_lists)
    issued = signed_submission(co.SerializeToString(), suite_pki.country(XA).authority, caller=XA)
    assert_accepted(
        target,
        issued,
        target.submit(XA, issued.request),
        now=dt.datetime.now(dt.UTC),
        rule="REQ-PUSH-001" + _LOADED,
    )
    change = status_change(
        reference_of(co), lifecycle_pb2.ISSUER_STATE_CANCELLED, effective=dt.datetime.now(dt.UTC)
    )
    submission = signed_submission(
        change.SerializeToString(),
        suite_pki.negative_signers["revoked-signer"],
        caller=XA,
        payload_type=envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
    )
    outcome = target.submit(XA, submission.request)
    assert_refused(
        outcome, code="PERMISSION_DENIED", reason="SIGNER_REVOKED", rule="REQ-PKI-005" + _LOADED
    )
    assert_not_readable(target, caller=XA, request_id=submission.request_id)
    status = target.get_status(XA, status_request(co))
    assert status.response is not None, f"GetCertificateStatus: {status.summary()}"
    assert status.response.status.issuer_state == lifecycle_pb2.ISSUER_STATE_ISSUED, (
        "REQ-PUSH-002: a refused status change changed the CO: "
        f"{lifecycle_pb2.IssuerState.Name(status.response.status.issuer_state)}"
    )


@pytest.mark.requirement("REQ-PKI-005")
def test_revocation_takes_effect_at_its_time(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, plan: DirectoryPlan
) -> None:
    """A key listed with a revocation time in the future still signs valid documents."""
    signer = suite_pki.negative_signers["revoked-later-signer"]
    assert signer.key_id == plan.revoked_later_key_id
    co = _certificate(suite_pki, target, code_lists)
    submission = signed_submission(co.SerializeToString(), signer, caller=XA)
    assert_accepted(
        target,
        submission,
        target.submit(XA, submission.request),
        now=dt.datetime.now(dt.UTC),
        rule=f"REQ-PKI-005 (revocation time {plan.revoked_later_at.isoformat()} not reached)",
    )


@dataclass(frozen=True, kw_only=True)
class _AuthCase:
    """One REQ-AUTH-003 case: who signs, which agreement, which issue date, accepted or not."""

    signer: str
    authority: Callable[[DirectoryPlan], str]
    agreement: str
    issue: Callable[[DirectoryPlan], dt.date]
    accepted: bool


def _yesterday(_plan: DirectoryPlan) -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def _chamber(plan: DirectoryPlan) -> str:
    return plan.chamber_authority_id


AUTHORISATION_CASES: dict[str, _AuthCase] = {
    "chamber-listed-agreement": _AuthCase(
        signer="other-authority-signer",
        authority=_chamber,
        agreement=CHAMBER_OPEN,
        issue=_yesterday,
        accepted=True,
    ),
    "chamber-agreement-not-granted": _AuthCase(
        signer="other-authority-signer",
        authority=_chamber,
        agreement="RCEP",
        issue=_yesterday,
        accepted=False,
    ),
    "chamber-first-day-of-grant": _AuthCase(
        signer="other-authority-signer",
        authority=_chamber,
        agreement=CHAMBER_OPEN,
        issue=lambda _p: AUTHORISED_FROM,
        accepted=True,
    ),
    "chamber-day-before-grant": _AuthCase(
        signer="other-authority-signer",
        authority=_chamber,
        agreement=CHAMBER_OPEN,
        issue=lambda _p: AUTHORISED_FROM - dt.timedelta(days=1),
        accepted=False,
    ),
    "chamber-last-day-of-grant": _AuthCase(
        signer="other-authority-signer",
        authority=_chamber,
        agreement=CHAMBER_ENDED,
        issue=lambda p: p.chamber_ended_on,
        accepted=True,
    ),
    "chamber-day-after-grant-ended": _AuthCase(
        signer="other-authority-signer",
        authority=_chamber,
        agreement=CHAMBER_ENDED,
        issue=lambda p: p.chamber_ended_on + dt.timedelta(days=1),
        accepted=False,
    ),
    "authority-not-listed": _AuthCase(
        signer="unlisted-authority-signer",
        authority=lambda p: p.unlisted_authority_id,
        agreement=CHAMBER_OPEN,
        issue=_yesterday,
        accepted=False,
    ),
    # Order of checks (section 5.4): authorisation (step 7) comes before the agreement
    # code list (step 8), so an agreement nobody is granted is SIGNER_NOT_AUTHORISED here.
    "agreement-unknown-to-directory-and-code-list": _AuthCase(
        signer="",
        authority=lambda p: p.main_authority_id,
        agreement="ZZFTA",
        issue=_yesterday,
        accepted=False,
    ),
}


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-AUTH-003", "REQ-DIR-002", "REQ-PUSH-002")
@pytest.mark.parametrize("name", sorted(AUTHORISATION_CASES))
def test_authority_authorised_by_directory(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    plan: DirectoryPlan,
    name: str,
) -> None:
    """A CO is accepted only when XA's directory grants its authority the agreement that day."""
    case = AUTHORISATION_CASES[name]
    signer = (
        suite_pki.negative_signers[case.signer] if case.signer else suite_pki.country(XA).authority
    )
    co = _certificate(
        suite_pki,
        target,
        code_lists,
        authority_id=case.authority(plan),
        agreement=case.agreement,
        issue=case.issue(plan),
    )
    submission = signed_submission(co.SerializeToString(), signer, caller=XA)
    outcome = target.submit(XA, submission.request)
    rule = (
        f"REQ-AUTH-003 {name}: {co.issuing_authority.id} / {co.agreement_id} on "
        f"{co.issue_date.year:04d}-{co.issue_date.month:02d}-{co.issue_date.day:02d}" + _LOADED
    )
    if case.accepted:
        assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule=rule)
        return
    assert_refused(outcome, code="PERMISSION_DENIED", reason="SIGNER_NOT_AUTHORISED", rule=rule)
    assert_not_readable(
        target, caller=XA, request_id=submission.request_id, certificate=reference_of(co)
    )


@pytest.mark.obligation("accept")
@pytest.mark.requirement("REQ-AUTH-003", "REQ-DIR-002")
@pytest.mark.parametrize("issue", ["yesterday", "first-day-of-grant"])
def test_grant_listed_after_a_broken_one(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, plan: DirectoryPlan, issue: str
) -> None:
    """A valid grant listed after a broken grant of the same agreement still authorises.

    ``xa-chamber`` has two CHAMBER_AFTER_BROKEN grants in XA's directory: the first ends on
    2023-02-30, which is no date, the second is open-ended. Section 6 says nothing about a
    grant with an impossible date; the reading followed here (and by the reference node) is
    that such a grant covers no issue date and the authority's other grants still count, so
    a CO under the second grant is accepted (REQ-AUTH-003), on its first day too.
    """
    day = _yesterday(plan) if issue == "yesterday" else AUTHORISED_FROM
    co = _certificate(
        suite_pki,
        target,
        code_lists,
        authority_id=plan.chamber_authority_id,
        agreement=CHAMBER_AFTER_BROKEN,
        issue=day,
    )
    signer = suite_pki.negative_signers["other-authority-signer"]
    submission = signed_submission(co.SerializeToString(), signer, caller=XA)
    assert_accepted(
        target,
        submission,
        target.submit(XA, submission.request),
        now=dt.datetime.now(dt.UTC),
        rule=(
            f"REQ-AUTH-003 {plan.chamber_authority_id} / {CHAMBER_AFTER_BROKEN} on {day}: "
            "the second grant covers it, the broken first one must not hide it" + _LOADED
        ),
    )


@pytest.mark.obligation("no-change")
@pytest.mark.requirement("REQ-DIR-004", "REQ-PKI-003", "REQ-PUSH-002", "REQ-IDEM-004")
def test_resigned_certificate_is_first_delivery(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A CO refused for its expired signer, re-signed under a current key: accepted.

    REQ-DIR-004: the refused CO was never stored, so the same certificate number under a
    new request id is its first delivery, not a DUPLICATE_CONFLICT (REQ-IDEM-004).
    """
    co = minimal_certificate(context_for(suite_pki, target, DIRECTORY_COUNTRY, code_lists))
    payload = co.SerializeToString()
    expired = signed_submission(
        payload, suite_pki.negative_signers["expired-signer"], caller=DIRECTORY_COUNTRY
    )
    refused = target.submit(DIRECTORY_COUNTRY, expired.request)
    assert_refused(
        refused, code="PERMISSION_DENIED", reason="SIGNER_EXPIRED", rule="REQ-PKI-003 expired"
    )
    resigned = signed_submission(
        payload, suite_pki.country(DIRECTORY_COUNTRY).authority, caller=DIRECTORY_COUNTRY
    )
    assert resigned.request_id != expired.request_id
    outcome = target.submit(DIRECTORY_COUNTRY, resigned.request)
    assert_accepted(
        target, resigned, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-DIR-004 re-signed"
    )
    assert_not_readable(target, caller=DIRECTORY_COUNTRY, request_id=expired.request_id)
