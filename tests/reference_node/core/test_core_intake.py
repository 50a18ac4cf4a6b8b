"""The receiver pipeline (section 5.4): parsing, authorisation, lifecycle, receipts."""

from __future__ import annotations

import datetime as dt
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from core_strategies import certificates
from core_testlib import (
    CORE_SETTINGS,
    NOW,
    VALID_FROM,
    World,
    identity,
    new_request_id,
    sign,
    valid_co,
)
from hypothesis import given

from reference_node.core import payload_types
from reference_node.core.codelists import default_codelists
from reference_node.core.directory import (
    AgreementGrant,
    authority_entry,
    build_directory,
    sign_directory,
)
from reference_node.core.documents import CertificateRef, parse_document
from reference_node.core.errors import (
    DuplicateConflict,
    FieldInvalid,
    IllegalTransition,
    MessageTooLarge,
    PayloadMalformed,
    PayloadTypeUnsupported,
    RequestIdInvalid,
    SenderMismatch,
    SignatureInvalid,
    SignerNotAuthorised,
    UnknownDocument,
)
from reference_node.core.intake import (
    ChangePlan,
    VerifiedSubmission,
    check_request_id,
    plan_changes,
    same_submission,
    verify_submission,
)
from reference_node.core.lifecycle import CertificateState, VerificationCase
from reference_node.core.limits import Limits
from reference_node.core.receipts import build_receipt, verify_receipt
from reference_node.core.signing import SigningIdentity, sign_envelope
from reference_node.core.trust import TrustStore
from reference_node.pki import make_country_pki, write_country_pki
from wco.eco.v1 import envelope_pb2, lifecycle_pb2, verification_pb2

LISTS = default_codelists()
UUID = "3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2a"


class MemoryView:
    """An in-memory StateView with the store's write semantics."""

    def __init__(self) -> None:
        self.states: dict[CertificateRef, CertificateState] = {}
        self.request_ids: dict[CertificateRef, str] = {}
        self.cases: dict[str, VerificationCase] = {}

    def certificate_state(self, ref: CertificateRef) -> CertificateState | None:
        return self.states.get(ref)

    def certificate_request_id(self, ref: CertificateRef) -> str | None:
        return self.request_ids.get(ref)

    def verification_case(self, verification_id: str) -> VerificationCase | None:
        return self.cases.get(verification_id)

    def verification_id_used(self, requesting_country: str, verification_id: str) -> bool:
        case = self.cases.get(verification_id)
        return case is not None and case.requesting_country == requesting_country

    def apply(self, verified: VerifiedSubmission, plan: ChangePlan) -> None:
        for state in plan.states_to_write:
            self.states[state.ref] = state
            if state.ref == verified.document.certificate and state.ref not in self.request_ids:
                self.request_ids[state.ref] = verified.request_id
        if plan.verification_to_write is not None:
            self.cases[plan.verification_to_write.verification_id] = plan.verification_to_write


def submit(
    world: World,
    envelope: envelope_pb2.Envelope,
    *,
    caller: str = "XA",
    node: str = "XB",
    trust: TrustStore | None = None,
    request_id: str | None = None,
    limits: Limits | None = None,
) -> VerifiedSubmission:
    return verify_submission(
        request_id=request_id or new_request_id(),
        envelope_bytes_len=envelope.ByteSize(),
        envelope=envelope,
        caller_country=caller,
        node_country=node,
        trust=trust or world.trust,
        codelists=LISTS,
        limits=limits or Limits(),
        now=NOW,
    )


def deliver(
    world: World, view: MemoryView, envelope: envelope_pb2.Envelope, **kwargs: object
) -> ChangePlan:
    verified = submit(world, envelope, **kwargs)  # type: ignore[arg-type]
    node = str(kwargs.get("node", "XB"))
    plan = plan_changes(verified, view, node_country=node, now=NOW)
    view.apply(verified, plan)
    return plan


# -- verify_submission (steps 2, 4-8) ---------------------------------------------------


@CORE_SETTINGS
@given(co=certificates(exporting="XA", importing="XB", authority_id="xa-customs"))
def test_generated_certificates_are_accepted_bit_identical(world: World, co: object) -> None:
    envelope = sign(co, world.xa_authority)
    verified = submit(world, envelope)
    assert verified.document.message == co
    assert verified.document.message.SerializeToString() == envelope.payload  # type: ignore[attr-defined]
    assert verified.delivery_status in (
        envelope_pb2.DELIVERY_STATUS_DELIVERED,
        envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS,
    )
    assert (verified.delivery_status == envelope_pb2.DELIVERY_STATUS_DELIVERED) == (
        not verified.findings
    )


@pytest.mark.parametrize(
    "request_id",
    [
        "",
        "abc",
        "3f2b8c1e2d4a4c7e9b1a0f6d5e4c3b2a",
        "{3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2a}",
        "3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2g",
        " 3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2a",
    ],
)
def test_request_id_must_be_a_canonical_uuid(request_id: str) -> None:
    with pytest.raises(RequestIdInvalid):
        check_request_id(request_id)


def test_request_id_accepts_both_cases() -> None:
    check_request_id(UUID)
    check_request_id(UUID.upper())


def test_size_limits(world: World) -> None:
    envelope = sign(valid_co(), world.xa_authority)
    with pytest.raises(MessageTooLarge):
        submit(world, envelope, limits=Limits(max_payload_bytes=len(envelope.payload) - 1))
    with pytest.raises(MessageTooLarge):
        verify_submission(
            request_id=UUID,
            envelope_bytes_len=5 * 1024 * 1024,
            envelope=envelope,
            caller_country="XA",
            node_country="XB",
            trust=world.trust,
            codelists=LISTS,
            limits=Limits(),
            now=NOW,
        )


def test_request_id_checked_before_payload_type(world: World) -> None:
    envelope = sign(valid_co(), world.xa_authority, payload_types.RECEIPT)
    with pytest.raises(RequestIdInvalid):
        submit(world, envelope, request_id="nope")
    with pytest.raises(PayloadTypeUnsupported):
        submit(world, envelope)


@pytest.mark.parametrize(
    "payload_type",
    [payload_types.RECEIPT, payload_types.ISSUER_DIRECTORY, "application/json", ""],
)
def test_unsubmittable_payload_types(world: World, payload_type: str) -> None:
    with pytest.raises(PayloadTypeUnsupported):
        submit(world, sign(valid_co(), world.xa_authority, payload_type))


def test_signature_checked_before_parsing(world: World) -> None:
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE, payload=b"\xff\xff", signers=[world.xa_authority]
    )
    with pytest.raises(PayloadMalformed):
        submit(world, envelope)
    envelope.payload = b"\xff\xfe"
    with pytest.raises(SignatureInvalid):
        submit(world, envelope)


@pytest.mark.parametrize(
    "suffix",
    [
        pytest.param(b"\xf8\x0f\x01", id="unknown-top-level-varint"),
        pytest.param(b"\xa2\x06\x00", id="unknown-length-delimited"),
        pytest.param(b"\x72\x03\xb8\x06\x01", id="unknown-field-inside-goods-item"),
        pytest.param(b"\x0a\x02\xff\xfe", id="invalid-utf8"),
        pytest.param(b"\x72\xff", id="truncated"),
    ],
)
def test_malformed_payloads(world: World, suffix: bytes) -> None:
    envelope = sign_envelope(
        payload_type=payload_types.CERTIFICATE,
        payload=valid_co().SerializeToString() + suffix,
        signers=[world.xa_authority],
    )
    with pytest.raises(PayloadMalformed):
        submit(world, envelope)
    with pytest.raises(PayloadMalformed):
        parse_document(envelope)


def test_authorisation_rules(world: World) -> None:
    co = valid_co()
    # REQ-AUTH-001: an XB authority may not sign an XA certificate.
    with pytest.raises(SignerNotAuthorised):
        submit(world, sign(co, world.xb_authority))
    # REQ-AUTH-002: node signers may not sign certificates.
    with pytest.raises(SignerNotAuthorised):
        submit(world, sign(co, world.xa_node))
    # REQ-AUTH-002: another authority of XA may not sign xa-customs' COs.
    other = identity(
        world.xa.signer_leaf(authority_id="xa-chamber", not_before=VALID_FROM), world.xa
    )
    with pytest.raises(SignerNotAuthorised):
        submit(world, sign(co, other))
    # REQ-AUTH-004: caller and recipient.
    with pytest.raises(SenderMismatch):
        submit(world, sign(co, world.xa_authority), caller="XB")
    with pytest.raises(SenderMismatch):
        submit(world, sign(co, world.xa_authority), node="XC")


def test_missing_field_read_by_authorisation_is_refused_there(world: World) -> None:
    """REQ-CHK-002: a missing field that step 7 reads gets step 7's reason, not FIELD_MISSING."""
    for field, error in (
        ("exporting_country", SignerNotAuthorised),
        ("importing_country", SenderMismatch),
    ):
        co = valid_co()
        co.ClearField(field)
        with pytest.raises(error):
            submit(world, sign(co, world.xa_authority))
    co = valid_co()
    co.issuing_authority.ClearField("id")
    with pytest.raises(SignerNotAuthorised):
        submit(world, sign(co, world.xa_authority))
    outcome = _outcome(lifecycle_pb2.IMPORT_STATE_ACCEPTED)
    outcome.certificate.ClearField("exporting_country")
    envelope = sign_envelope(
        payload_type=payload_types.IMPORT_OUTCOME,
        payload=outcome.SerializeToString(),
        signers=[world.xb_authority],
    )
    with pytest.raises(SenderMismatch):
        submit(world, envelope, caller="XB", node="XA")


def test_directory_authorisation(world: World) -> None:
    def directory_trust(grants: list[AgreementGrant]) -> TrustStore:
        directory = build_directory(
            country="XA",
            version=1,
            issue_time=NOW,
            authorities=[authority_entry(authority_id="xa-customs", name="XA", grants=grants)],
        )
        return world.trust.with_directory(sign_directory(directory, signer=world.xa_node), at=NOW)

    envelope = sign(valid_co(), world.xa_authority)  # AKFTA, issued 2025-05-30
    submit(world, envelope, trust=directory_trust([AgreementGrant(agreement_id="AKFTA")]))
    for grants in (
        [],
        [AgreementGrant(agreement_id="ATIGA")],
        [AgreementGrant(agreement_id="AKFTA", effective_from=dt.date(2025, 5, 31))],
        [AgreementGrant(agreement_id="AKFTA", effective_to=dt.date(2025, 5, 29))],
    ):
        with pytest.raises(SignerNotAuthorised):
            submit(world, envelope, trust=directory_trust(grants))
    inclusive = [
        AgreementGrant(
            agreement_id="AKFTA",
            effective_from=dt.date(2025, 5, 30),
            effective_to=dt.date(2025, 5, 30),
        )
    ]
    submit(world, envelope, trust=directory_trust(inclusive))


# -- plan_changes (step 9) and lifecycle ------------------------------------------------


def _status_change(state: int, number: str = "XA-2025-0001") -> lifecycle_pb2.StatusChange:
    change = lifecycle_pb2.StatusChange(new_state=state, reason="issuer decision")  # type: ignore[arg-type]
    change.certificate.exporting_country = "XA"
    change.certificate.issuing_authority_id = "xa-customs"
    change.certificate.certificate_number = number
    change.effective_time.seconds = 1_748_000_000
    return change


def _outcome(state: int, *usages: tuple[int, str]) -> lifecycle_pb2.ImportOutcome:
    outcome = lifecycle_pb2.ImportOutcome(importing_country="XB", new_state=state)  # type: ignore[arg-type]
    outcome.certificate.exporting_country = "XA"
    outcome.certificate.issuing_authority_id = "xa-customs"
    outcome.certificate.certificate_number = "XA-2025-0001"
    if state in (lifecycle_pb2.IMPORT_STATE_REJECTED, lifecycle_pb2.IMPORT_STATE_PREFERENCE_DENIED):
        outcome.reason_code = "ORIGIN_NOT_MET"
    if usages:
        outcome.import_declaration_number = "DECL-1"
    for number, quantity in usages:
        outcome.usages.add(item_number=number).quantity.value = quantity
    return outcome


def _xb(world: World) -> SigningIdentity:
    return world.xb_authority


def test_certificate_then_duplicate_number(world: World) -> None:
    view = MemoryView()
    plan = deliver(world, view, sign(valid_co(), world.xa_authority))
    (state,) = plan.states_to_write
    assert state.issuer_state == lifecycle_pb2.ISSUER_STATE_ISSUED
    assert state.import_state == lifecycle_pb2.IMPORT_STATE_RECEIVED
    assert state.item_quantities == {1: Decimal("100.5"), 2: Decimal("100.5")}
    different_bytes = valid_co()
    different_bytes.remarks = "corrected"
    with pytest.raises(DuplicateConflict):
        deliver(world, view, sign(different_bytes, world.xa_authority))


def test_replacement_moves_old_to_replaced(world: World) -> None:
    view = MemoryView()
    deliver(world, view, sign(valid_co(), world.xa_authority))
    replacement = valid_co("XA-2025-0002")
    replacement.replaces.exporting_country = "XA"
    replacement.replaces.issuing_authority_id = "xa-customs"
    replacement.replaces.certificate_number = "XA-2025-0001"
    plan = deliver(world, view, sign(replacement, world.xa_authority))
    new, old = plan.states_to_write
    assert new.replaces == CertificateRef("XA", "xa-customs", "XA-2025-0001")
    assert old.issuer_state == lifecycle_pb2.ISSUER_STATE_REPLACED
    assert old.replaced_by == CertificateRef("XA", "xa-customs", "XA-2025-0002")
    assert old.to_proto().replaced_by.certificate_number == "XA-2025-0002"
    # A replaced CO is terminal: replacing it again is illegal.
    again = valid_co("XA-2025-0003")
    again.replaces.CopyFrom(replacement.replaces)
    with pytest.raises(IllegalTransition):
        deliver(world, view, sign(again, world.xa_authority))
    unknown = valid_co("XA-2025-0004")
    unknown.replaces.CopyFrom(replacement.replaces)
    unknown.replaces.certificate_number = "NEVER-SEEN"
    with pytest.raises(UnknownDocument):
        deliver(world, view, sign(unknown, world.xa_authority))


def test_status_changes(world: World) -> None:
    view = MemoryView()
    with pytest.raises(UnknownDocument):
        deliver(
            world, view, sign(_status_change(3), world.xa_authority, payload_types.STATUS_CHANGE)
        )
    deliver(world, view, sign(valid_co(), world.xa_authority))
    plan = deliver(
        world, view, sign(_status_change(3), world.xa_authority, payload_types.STATUS_CHANGE)
    )
    assert plan.states_to_write[0].issuer_state == lifecycle_pb2.ISSUER_STATE_CANCELLED
    assert plan.states_to_write[0].reason == "issuer decision"
    for target in (3, 4):  # terminal: nothing changes it
        with pytest.raises(IllegalTransition):
            deliver(
                world,
                view,
                sign(_status_change(target), world.xa_authority, payload_types.STATUS_CHANGE),
            )
    # An importing node may not send a status change about XA's certificate.
    with pytest.raises(SignerNotAuthorised):
        submit(world, sign(_status_change(3), _xb(world), payload_types.STATUS_CHANGE), caller="XB")


def test_used_certificate_cannot_be_cancelled_but_can_be_revoked(world: World) -> None:
    view = MemoryView()
    deliver(world, view, sign(valid_co(), world.xa_authority))
    # The exporting node XA receives outcomes from XB: model that view separately.
    export_view = MemoryView()
    export_view.states = dict(view.states)
    export_view.request_ids = dict(view.request_ids)

    def outcome(o: lifecycle_pb2.ImportOutcome) -> ChangePlan:
        return deliver(
            world,
            export_view,
            sign(o, _xb(world), payload_types.IMPORT_OUTCOME),
            caller="XB",
            node="XA",
        )

    outcome(_outcome(lifecycle_pb2.IMPORT_STATE_ACCEPTED))
    outcome(_outcome(lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, (1, "60")))
    with pytest.raises(FieldInvalid) as exceeded:
        outcome(_outcome(lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, (1, "40.6")))
    assert exceeded.value.violations[0].code == "QUANTITY_EXCEEDED"
    with pytest.raises(FieldInvalid) as unknown_item:
        outcome(_outcome(lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, (3, "1")))
    assert unknown_item.value.violations[0].code == "UNKNOWN_ITEM"
    plan = outcome(_outcome(lifecycle_pb2.IMPORT_STATE_FULLY_USED, (1, "40.5"), (2, "100.5")))
    state = plan.states_to_write[0]
    assert state.used == {1: Decimal("100.5"), 2: Decimal("100.5")}
    assert [u.quantity.value for u in state.to_proto().used_quantities] == ["100.5", "100.5"]
    with pytest.raises(IllegalTransition):  # FULLY_USED is terminal: no double use
        outcome(_outcome(lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, (1, "0.1")))

    view.states = dict(export_view.states)
    with pytest.raises(IllegalTransition):
        deliver(
            world, view, sign(_status_change(3), world.xa_authority, payload_types.STATUS_CHANGE)
        )
    plan = deliver(
        world, view, sign(_status_change(4), world.xa_authority, payload_types.STATUS_CHANGE)
    )
    assert plan.states_to_write[0].issuer_state == lifecycle_pb2.ISSUER_STATE_REVOKED


def test_import_outcome_transitions(world: World) -> None:
    view = MemoryView()
    deliver(world, view, sign(valid_co(), world.xa_authority))

    def outcome(o: lifecycle_pb2.ImportOutcome) -> ChangePlan:
        return deliver(
            world, view, sign(o, _xb(world), payload_types.IMPORT_OUTCOME), caller="XB", node="XA"
        )

    with pytest.raises(IllegalTransition):  # RECEIVED -> PARTIALLY_USED skips acceptance
        outcome(_outcome(lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, (1, "1")))
    outcome(_outcome(lifecycle_pb2.IMPORT_STATE_REJECTED))
    with pytest.raises(IllegalTransition):  # REJECTED is terminal
        outcome(_outcome(lifecycle_pb2.IMPORT_STATE_ACCEPTED))


def test_outcome_from_a_third_country_is_unknown(world: World) -> None:
    view = MemoryView()
    deliver(world, view, sign(valid_co(), world.xa_authority))
    xc = identity(world.xa_ed.authority, world.xa_ed)
    foreign = _outcome(lifecycle_pb2.IMPORT_STATE_ACCEPTED)
    foreign.importing_country = "XC"
    with pytest.raises(UnknownDocument):
        deliver(
            world, view, sign(foreign, xc, payload_types.IMPORT_OUTCOME), caller="XC", node="XA"
        )


def test_verification_exchange(world: World) -> None:
    export_view = MemoryView()  # at XA
    deliver(world, export_view, sign(valid_co(), world.xa_authority))
    request = verification_pb2.VerificationRequest(
        verification_id=UUID, requesting_country="XB", reasons=[1], item_numbers=[1]
    )
    request.certificate.exporting_country = "XA"
    request.certificate.issuing_authority_id = "xa-customs"
    request.certificate.certificate_number = "XA-2025-0001"
    request.response_deadline.year, request.response_deadline.month = 2025, 9
    request.response_deadline.day = 1
    envelope = sign(request, _xb(world), payload_types.VERIFICATION_REQUEST)
    plan = deliver(world, export_view, envelope, caller="XB", node="XA")
    case = plan.verification_to_write
    assert case is not None
    assert case.state == verification_pb2.VERIFICATION_STATE_REQUESTED
    with pytest.raises(DuplicateConflict):
        deliver(world, export_view, envelope, caller="XB", node="XA")
    bad_items = verification_pb2.VerificationRequest()
    bad_items.CopyFrom(request)
    bad_items.verification_id = UUID.replace("3f", "4f")
    bad_items.item_numbers[:] = [9]
    with pytest.raises(FieldInvalid):
        deliver(
            world,
            export_view,
            sign(bad_items, _xb(world), payload_types.VERIFICATION_REQUEST),
            caller="XB",
            node="XA",
        )
    unknown = verification_pb2.VerificationRequest()
    unknown.CopyFrom(request)
    unknown.verification_id = UUID.replace("3f", "5f")
    unknown.certificate.certificate_number = "NOPE"
    with pytest.raises(UnknownDocument):
        deliver(
            world,
            export_view,
            sign(unknown, _xb(world), payload_types.VERIFICATION_REQUEST),
            caller="XB",
            node="XA",
        )

    import_view = MemoryView()  # at XB, which sent the request
    import_view.cases[UUID] = case
    result = verification_pb2.VerificationResult(
        verification_id=UUID, certificate=request.certificate, outcome=2
    )
    result_env = sign(result, world.xa_authority, payload_types.VERIFICATION_RESULT)
    plan = deliver(world, import_view, result_env)
    answered = plan.verification_to_write
    assert answered is not None
    assert answered.state == verification_pb2.VERIFICATION_STATE_ANSWERED
    assert answered.outcome == verification_pb2.VERIFICATION_OUTCOME_NOT_CONFIRMED
    with pytest.raises(IllegalTransition):
        deliver(world, import_view, result_env)
    with pytest.raises(UnknownDocument):
        deliver(world, MemoryView(), result_env)


# -- receipts (REQ-PUSH-003/004) ---------------------------------------------------------


def test_receipt_round_trip_and_mismatches(world: World) -> None:
    verified = submit(world, sign(valid_co(), world.xa_authority))
    receipt_env = build_receipt(
        verified=verified,
        sender_country="XA",
        receiver_country="XB",
        sequence=7,
        received_time=NOW,
        signer=world.xb_node,
    )
    kwargs = {
        "trust": world.trust,
        "expected_request_id": verified.request_id,
        "expected_payload_sha256": verified.payload_sha256,
        "receiver_country": "XB",
        "at": NOW,
    }
    receipt = verify_receipt(receipt_env, **kwargs)  # type: ignore[arg-type]
    assert receipt.sequence == 7
    assert receipt.certificate.certificate_number == "XA-2025-0001"
    assert receipt.delivery_status == envelope_pb2.DELIVERY_STATUS_DELIVERED
    with pytest.raises(FieldInvalid):
        verify_receipt(receipt_env, **{**kwargs, "expected_request_id": UUID})  # type: ignore[arg-type]
    with pytest.raises(FieldInvalid):
        verify_receipt(receipt_env, **{**kwargs, "expected_payload_sha256": "00" * 32})  # type: ignore[arg-type]
    with pytest.raises(SignerNotAuthorised):
        verify_receipt(receipt_env, **{**kwargs, "receiver_country": "XA"})  # type: ignore[arg-type]
    # REQ-SIG-004 / REQ-PUSH-004: the digest is compared exactly; upper-case hex is a mismatch.
    upper = envelope_pb2.Receipt.FromString(receipt_env.payload)
    upper.payload_sha256 = upper.payload_sha256.upper()
    upper_env = sign_envelope(
        payload_type=payload_types.RECEIPT,
        payload=upper.SerializeToString(),
        signers=[world.xb_node],
    )
    with pytest.raises(FieldInvalid):
        verify_receipt(upper_env, **kwargs)  # type: ignore[arg-type]
    by_authority = sign_envelope(
        payload_type=payload_types.RECEIPT,
        payload=receipt_env.payload,
        signers=[world.xb_authority],
    )
    with pytest.raises(SignerNotAuthorised):
        verify_receipt(by_authority, **kwargs)  # type: ignore[arg-type]
    receipt_env.payload += b"\x50\x01"
    with pytest.raises(SignatureInvalid):
        verify_receipt(receipt_env, **kwargs)  # type: ignore[arg-type]


def test_same_submission() -> None:
    assert same_submission("t", "AB", "t", "ab")
    assert not same_submission("t", "ab", "u", "ab")
    assert not same_submission("t", "ab", "t", "cd")


# -- the test PKI on disk ---------------------------------------------------------------


def test_write_country_pki_layout(tmp_path: Path) -> None:
    pki = make_country_pki("XD", not_before=VALID_FROM)
    folder = write_country_pki(pki, tmp_path)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            "anchors.pem",
            "authority.pem",
            "authority.key",
            "node-signer.pem",
            "node-signer.key",
            "tls-ca.pem",
            "node-server.pem",
            "node-server.key",
            "node-client.pem",
            "node-client.key",
        ]
    )
    for key in folder.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    signer = SigningIdentity.from_pem(
        key_pem=(folder / "authority.key").read_bytes(),
        chain_pem=(folder / "authority.pem").read_bytes(),
    )
    from cryptography import x509

    anchors = x509.load_pem_x509_certificates((folder / "anchors.pem").read_bytes())
    trust = TrustStore(anchors={"XD": anchors})
    envelope = sign_envelope(payload_type=payload_types.CERTIFICATE, payload=b"x", signers=[signer])
    assert trust.verify_envelope(envelope, at=NOW).identity.authority_id == "xd-customs"
