"""Profile ``core``: the signer certificate profile, one rule at a time (docs/spec.md 5.2).

Every signer of :data:`conformance.pki.PROFILE_SIGNERS` is XA's authority signer with
exactly one property changed, so the refusal can only come from the rule that property
breaks: the leaf profile of REQ-PKI-002 (one URI SAN of the exact signer form, critical
KeyUsage with digitalSignature and without keyCertSign, no BasicConstraints CA true), the
CA rules of path validation of REQ-PKI-004 (BasicConstraints CA true, keyCertSign, path
length), the path-validation profile of REQ-PKI-006 (an unknown critical extension in the
leaf, an intermediate whose BasicConstraints is not critical, the anchor itself presented
after the intermediate, which is accepted), and the key type of REQ-SIG-006 (a P-384 key
under the P-256 algorithm makes the signature invalid). The variants that stay inside the
profile (more key usages than digitalSignature, no BasicConstraints, an extended key usage
the profile does not mention) must be accepted: the profile lists what it requires and
nothing else.

Name constraints are not part of the profile, so no case applies them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conformance.client import Target
from conformance.judge import assert_accepted, assert_not_readable, assert_refused
from conformance.pki import Credential, SuitePki
from conformance.receiver import context_for, minimal_certificate, submit_certificate
from conformance.strategies import CodeLists, reference_of

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
_UNTRUSTED = ("PERMISSION_DENIED", "SIGNER_UNTRUSTED")

# signer name -> (expected (code, reason) or None for accepted, requirement ids)
PROFILE_CASES: dict[str, tuple[tuple[str, str] | None, tuple[str, ...]]] = {
    "ku-without-digital-signature-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "ku-with-key-cert-sign-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "ku-missing-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "ku-not-critical-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "san-missing-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "san-without-uri-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "two-uris-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "uri-without-authority-id-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "uri-lowercase-country-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "uri-uppercase-authority-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "uri-trailing-space-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "ca-flag-signer": (_UNTRUSTED, ("REQ-PKI-002",)),
    "p384-key-signer": (("INVALID_ARGUMENT", "SIGNATURE_INVALID"), ("REQ-SIG-006",)),
    "pathlen-exceeded-signer": (_UNTRUSTED, ("REQ-PKI-004",)),
    "ca-without-key-cert-sign-signer": (_UNTRUSTED, ("REQ-PKI-004",)),
    "ca-flag-false-intermediate-signer": (_UNTRUSTED, ("REQ-PKI-004",)),
    "ku-extra-usages-accepted-signer": (None, ("REQ-PKI-002",)),
    "no-basic-constraints-accepted-signer": (None, ("REQ-PKI-002",)),
    "eku-accepted-signer": (None, ("REQ-PKI-002",)),
    "critical-unknown-extension-signer": (_UNTRUSTED, ("REQ-PKI-006",)),
    "basic-constraints-not-critical-intermediate-signer": (_UNTRUSTED, ("REQ-PKI-006",)),
    "anchor-in-chain-accepted-signer": (None, ("REQ-PKI-006", "REQ-PKI-001")),
}


def _signer(pki: SuitePki, name: str) -> Credential:
    signer = pki.negative_signers.get(name)
    if signer is None:
        pytest.skip(
            f"the suite PKI has no {name}: regenerate it (eco-conformance pki init --force)"
        )
    return signer


@pytest.mark.requirement("REQ-PUSH-002", "REQ-ERR-002")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.requirement(*PROFILE_CASES[name][1]))
        for name in sorted(PROFILE_CASES)
    ],
)
def test_signer_profile_rule(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """A signer that differs from a valid one in one profile property: that rule decides."""
    expected, reqs = PROFILE_CASES[name]
    signer = _signer(suite_pki, name)
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(target, co, signer, caller=XA)
    rule = f"{'/'.join(reqs)} {name}"
    if expected is None:
        assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule=rule)
        return
    assert_refused(outcome, code=expected[0], reason=expected[1], rule=rule)
    assert_not_readable(
        target, caller=XA, request_id=submission.request_id, certificate=reference_of(co)
    )
