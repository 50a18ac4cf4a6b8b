"""The suite's section 5.6 verifier with several signatures and broken leaves.

docs/spec.md section 5.6 steps 4 to 6 (REQ-SIG-005, REQ-PKI-001): every cryptographically
valid signature's signer is checked in envelope order, the envelope is accepted with the first
signer that passes, else refused with the error of the first valid signature; with no valid
signature the error is SIGNER_UNTRUSTED when some leaf was present but not DER, otherwise
SIGNATURE_INVALID.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pytest
from cryptography import x509

from conformance import envelopes, offline
from conformance.errors import EnvelopeVerificationError
from conformance.pki import Credential, SuitePki, generate_pki, node_uri
from wco.eco.v1 import envelope_pb2

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
TYPE = envelopes.PAYLOAD_TYPE_CERTIFICATE


@pytest.fixture(scope="module")
def pki() -> SuitePki:
    return generate_pki(now=NOW)


def _anchors(pki: SuitePki) -> Mapping[str, Sequence[x509.Certificate]]:
    return {cc: [pki.country(cc).root.certificate] for cc in pki.countries}


def _signed(*signers: Credential) -> envelope_pb2.Envelope:
    return envelopes.sign_envelope(TYPE, b"payload", list(signers))


def _verify(pki: SuitePki, envelope: envelope_pb2.Envelope) -> offline.VerifiedSigner:
    return offline.verify_signatures(envelope, trust_anchors=_anchors(pki), at=NOW)


def test_accepted_with_the_first_signer_that_passes(pki: SuitePki) -> None:
    xa = pki.country("XA")
    expired = pki.negative_signers["expired-signer"]
    envelope = _signed(expired, xa.authority)
    signer = _verify(pki, envelope)
    assert signer.key_id == xa.authority.key_id
    assert signer.certificate == xa.authority.certificate
    assert signer.identity.authority_id == xa.authority_id


def test_first_passing_signer_wins_over_a_later_one(pki: SuitePki) -> None:
    xa = pki.country("XA")
    ed = pki.negative_signers["ed25519-signer"]
    assert _verify(pki, _signed(ed, xa.authority)).key_id == ed.key_id
    assert _verify(pki, _signed(xa.authority, ed)).key_id == xa.authority.key_id


def test_invalid_signatures_before_a_valid_one_are_skipped(pki: SuitePki) -> None:
    xa = pki.country("XA")
    envelope = envelopes.corrupt_signature(_signed(xa.authority, xa.authority), which=0)
    envelope = envelopes.replace_chain(envelope, [], which=0)
    assert _verify(pki, envelope).key_id == xa.authority.key_id


@pytest.mark.parametrize(
    ("first", "second", "error"),
    [
        ("expired-signer", "wrong-key-usage-signer", offline.SignerExpiredError),
        ("wrong-key-usage-signer", "expired-signer", offline.SignerUntrustedError),
        ("not-yet-valid-signer", "untrusted-root-signer", offline.SignerNotYetValidError),
    ],
)
def test_no_signer_passes_gives_the_first_valid_signatures_error(
    pki: SuitePki, first: str, second: str, error: type[offline.EnvelopeRejectedError]
) -> None:
    signers = pki.negative_signers
    with pytest.raises(offline.EnvelopeRejectedError) as raised:
        _verify(pki, _signed(signers[first], signers[second]))
    assert type(raised.value) is error


def test_an_invalid_first_signature_does_not_choose_the_error(pki: SuitePki) -> None:
    signers = pki.negative_signers
    envelope = envelopes.corrupt_signature(
        _signed(signers["wrong-key-usage-signer"], signers["expired-signer"]), which=0
    )
    with pytest.raises(offline.SignerExpiredError):
        _verify(pki, envelope)


def test_unparsable_leaf_without_a_valid_signature_is_signer_untrusted(pki: SuitePki) -> None:
    xa = pki.country("XA")
    envelope = envelopes.replace_chain(_signed(xa.authority), [b"not a certificate"])
    with pytest.raises(offline.SignerUntrustedError):
        _verify(pki, envelope)
    # also when the other signature is merely invalid, in either order
    pair = _signed(xa.authority, xa.authority)
    broken_first = envelopes.corrupt_signature(
        envelopes.replace_chain(pair, [b"\x30\x03\x02\x01\x01"], which=0), which=1
    )
    broken_second = envelopes.corrupt_signature(
        envelopes.replace_chain(pair, [b"\x30\x03\x02\x01\x01"], which=1), which=0
    )
    for envelope in (broken_first, broken_second):
        with pytest.raises(offline.SignerUntrustedError):
            _verify(pki, envelope)


def test_unparsable_leaf_does_not_hide_a_valid_signature(pki: SuitePki) -> None:
    xa = pki.country("XA")
    envelope = envelopes.replace_chain(
        _signed(xa.authority, xa.authority), [b"not a certificate"], which=0
    )
    assert _verify(pki, envelope).key_id == xa.authority.key_id


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: envelopes.replace_chain(e, []),
        lambda e: envelopes.with_key_id(e, "00" * 32),
        envelopes.corrupt_signature,
    ],
    ids=["empty-chain", "key-id", "signature"],
)
def test_no_valid_signature_and_no_broken_leaf_is_signature_invalid(
    pki: SuitePki, tamper: object
) -> None:
    envelope = tamper(_signed(pki.country("XA").authority))  # type: ignore[operator]
    with pytest.raises(offline.SignatureInvalidError):
        _verify(pki, envelope)


def test_envelopes_verify_envelope_uses_the_same_rules(pki: SuitePki) -> None:
    xb = pki.country("XB")
    receipt_type = envelopes.PAYLOAD_TYPE_RECEIPT
    broken = envelopes.replace_chain(
        envelopes.sign_envelope(receipt_type, b"r", [xb.node_signer]), [b"not DER"]
    )
    with pytest.raises(EnvelopeVerificationError, match="SIGNER_UNTRUSTED"):
        envelopes.verify_envelope(
            broken, anchors=[xb.root.certificate], expected_uri=node_uri("XB"), now=NOW
        )
    expired_first = envelopes.sign_envelope(
        receipt_type, b"r", [pki.negative_signers["expired-signer"], xb.node_signer]
    )
    leaf = envelopes.verify_envelope(
        expired_first, anchors=[xb.root.certificate], expected_uri=node_uri("XB"), now=NOW
    )
    assert leaf == xb.node_signer.certificate
    with pytest.raises(EnvelopeVerificationError, match="PAYLOAD_TYPE_UNSUPPORTED"):
        envelopes.verify_envelope(
            expired_first,
            anchors=[xb.root.certificate],
            expected_uri=node_uri("XB"),
            now=NOW,
            expected_payload_type=envelopes.PAYLOAD_TYPE_DIRECTORY,
        )
