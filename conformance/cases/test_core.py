"""Receiver role, profile ``core``: push, receipts, retrieval, errors, idempotency.

The suite is the sending administration of XA (and XC). Valid certificates
must be accepted with a verified receipt and read back bit-identical; each
broken rule must be refused with the spec's code and reason and must leave
nothing readable (docs/spec.md sections 3 to 5, 9 to 11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from hypothesis import given, settings

from conformance import envelopes
from conformance.client import Target, refusal_from_status
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_error_format,
    assert_not_readable,
    assert_read_back,
    assert_refused,
    new_request_id,
    signed_submission,
    verify_receipt,
)
from conformance.pki import SuitePki, node_uri
from conformance.receiver import (
    context_for,
    minimal_certificate,
    status_request,
    submit_certificate,
)
from conformance.strategies import (
    CodeLists,
    InvalidCase,
    date_msg,
    invalid_certificates,
    invalid_rule_names,
    reference_of,
    unique_number,
    valid_certificates,
)
from wco.eco.v1 import (
    certificate_pb2,
    directory_pb2,
    envelope_pb2,
    exchange_service_pb2,
    lifecycle_pb2,
    node_service_pb2,
    trust_service_pb2,
)

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
XC = "XC"
#: Field-rule cases are sent from XC, whose issuer directory the node does not hold:
#: with XA's directory loaded, REQ-AUTH-003 (step 7 of section 5.4) would refuse an
#: unknown agreement or an invalid issue date before the field rules (step 8) run.
FIELD_RULE_SENDER = XC
CO = certificate_pb2.CertificateOfOrigin


# ---------------------------------------------------------------------------
# valid certificates


@pytest.mark.requirement(
    "REQ-PUSH-001", "REQ-PUSH-003", "REQ-GET-001", "REQ-SIG-002", "REQ-SIG-003", "REQ-CO-002"
)
def test_valid_certificates_accepted(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, examples: int
) -> None:
    """Every valid CO (whole payload model) is accepted, receipted and read back bit-identical."""
    ctx = context_for(suite_pki, target, XA, code_lists)

    @settings(max_examples=examples)
    @given(co=valid_certificates(ctx))
    def check(co: CO) -> None:
        submission, outcome = submit_certificate(
            target, co, suite_pki.country(XA).authority, caller=XA
        )
        now = dt.datetime.now(dt.UTC)
        assert_accepted(target, submission, outcome, now=now, rule="REQ-PUSH-001/REQ-CO-*")
        status = target.get_status(XA, status_request(co))
        assert status.response is not None, f"REQ-GET-001: status unreadable {status.summary()}"
        st_ = status.response.status
        assert st_.issuer_state == lifecycle_pb2.ISSUER_STATE_ISSUED, st_
        assert st_.import_state == lifecycle_pb2.IMPORT_STATE_RECEIVED, st_

    check()


@pytest.mark.requirement("REQ-PUSH-001", "REQ-PUSH-003", "REQ-GET-001", "REQ-ACC-002")
@pytest.mark.parametrize("country", [XA, XC])
def test_minimal_certificate_accepted_from_each_partner(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, country: str
) -> None:
    """The minimal valid CO from each partner country is accepted and readable by reference."""
    ctx = context_for(suite_pki, target, country, code_lists)
    co = minimal_certificate(ctx)
    submission, outcome = submit_certificate(
        target, co, suite_pki.country(country).authority, caller=country
    )
    assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-PUSH-001")
    by_ref = target.get_document(
        country, exchange_service_pb2.GetDocumentRequest(certificate=reference_of(co))
    )
    assert by_ref.response is not None, f"REQ-GET-001: by reference: {by_ref.summary()}"
    assert by_ref.response.document.request_id == submission.request_id


@pytest.mark.requirement("REQ-SIG-006")
def test_ed25519_signer(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
) -> None:
    """Ed25519 is accepted when the node lists it, else the signature is invalid."""
    ctx = context_for(suite_pki, target, XA, code_lists)
    co = minimal_certificate(ctx)
    submission, outcome = submit_certificate(
        target, co, suite_pki.negative_signers["ed25519-signer"], caller=XA
    )
    if envelope_pb2.SIGNATURE_ALGORITHM_ED25519 in node_info.signature_algorithms:
        assert_accepted(
            target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-SIG-006"
        )
    else:
        assert_refused(
            outcome, code="INVALID_ARGUMENT", reason="SIGNATURE_INVALID", rule="REQ-SIG-006"
        )
        assert_not_readable(target, caller=XA, request_id=submission.request_id)


@pytest.mark.requirement("REQ-CO-015", "REQ-PUSH-003")
def test_retroactive_certificate_gets_warning(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A retroactively issued CO is accepted DELIVERED_WITH_WARNINGS (SHOULD)."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    co.flags.issued_retroactively = True
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    receipt = assert_accepted(
        target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-CO-015"
    )
    assert receipt.delivery_status == envelope_pb2.DELIVERY_STATUS_DELIVERED_WITH_WARNINGS
    assert "ISSUED_RETROACTIVELY" in {f.code for f in receipt.findings}


@pytest.mark.requirement("REQ-CO-006", "REQ-CO-015", "REQ-PUSH-003")
@pytest.mark.parametrize("days_before", [1, 30, 400])
def test_dates_before_issue_accepted_without_finding(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, days_before: int
) -> None:
    """Departure and invoice before the issue date, flag not set: DELIVERED, no finding.

    REQ-CO-006: such dates are allowed, with or without ``flags.issued_retroactively``; a
    receiver does not infer retroactive issue from them (only the flag warns, REQ-CO-015).
    """
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    issue = dt.date(co.issue_date.year, co.issue_date.month, co.issue_date.day)
    earlier = date_msg(issue - dt.timedelta(days=days_before))
    co.transport.departure_date.CopyFrom(earlier)
    co.goods_items[0].invoice_date.CopyFrom(earlier)
    assert not co.flags.issued_retroactively
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    receipt = assert_accepted(
        target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-CO-006"
    )
    status = envelope_pb2.DeliveryStatus.Name(receipt.delivery_status)
    assert receipt.delivery_status == envelope_pb2.DELIVERY_STATUS_DELIVERED, (
        f"REQ-CO-006: dates {days_before} day(s) before the issue date without the "
        f"retroactive flag gave {status} with findings {[f.code for f in receipt.findings]}"
    )
    assert not receipt.findings, f"REQ-CO-006: findings {[f.code for f in receipt.findings]}"


def _undefined_transport_mode(co: CO) -> None:
    co.transport.mode = 42  # type: ignore[assignment]


def _undefined_origin_criterion(co: CO) -> None:
    co.goods_items[0].origin_criterion.type = 42  # type: ignore[assignment]


#: name -> (mutation, field path of the undefined enum number)
UNDEFINED_ENUMS: dict[str, tuple[Mutation, str]] = {
    "transport-mode": (_undefined_transport_mode, "transport.mode"),
    "origin-criterion-type": (
        _undefined_origin_criterion,
        "goods_items[0].origin_criterion.type",
    ),
}


@pytest.mark.requirement("REQ-CO-011", "REQ-CO-001", "REQ-ERR-001")
@pytest.mark.parametrize("name", sorted(UNDEFINED_ENUMS))
def test_undefined_enum_number_is_enum_undefined(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """An undefined enum number, at any depth: FIELD_INVALID, violation reason ENUM_UNDEFINED.

    REQ-CO-011: not PAYLOAD_MALFORMED (an undefined number is not an unknown field,
    REQ-CO-001); the BadRequest names the field with ``FieldViolation.reason``
    ``ENUM_UNDEFINED``.
    """
    mutate, path = UNDEFINED_ENUMS[name]
    sender = FIELD_RULE_SENDER
    co = minimal_certificate(context_for(suite_pki, target, sender, code_lists))
    mutate(co)
    submission, outcome = submit_certificate(
        target, co, suite_pki.country(sender).authority, caller=sender
    )
    refusal = assert_refused(
        outcome, code="INVALID_ARGUMENT", reason="FIELD_INVALID", rule="REQ-CO-011", fields=(path,)
    )
    reasons = {reason for field, reason in refusal.violation_reasons if field == path}
    assert "ENUM_UNDEFINED" in reasons, (
        f"REQ-CO-011: the violation on {path} has reason(s) {sorted(reasons)}, not ENUM_UNDEFINED"
    )
    assert_not_readable(target, caller=sender, request_id=submission.request_id)


# ---------------------------------------------------------------------------
# invalid certificates: property layer and named cases


@pytest.mark.requirement(
    "REQ-CO-002",
    "REQ-CO-003",
    "REQ-CO-004",
    "REQ-CO-005",
    "REQ-CO-006",
    "REQ-CO-007",
    "REQ-CO-008",
    "REQ-CO-009",
    "REQ-CO-010",
    "REQ-CO-011",
    "REQ-CO-012",
    "REQ-CO-013",
    "REQ-CO-014",
    "REQ-PUSH-002",
    "REQ-ERR-001",
    "REQ-ERR-002",
)
@pytest.mark.parametrize("rule", invalid_rule_names())
def test_invalid_certificates_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, examples: int, rule: str
) -> None:
    """Each field rule, broken alone, is refused with its code and reason and stores nothing."""
    sender = FIELD_RULE_SENDER
    ctx = context_for(suite_pki, target, sender, code_lists)

    @settings(max_examples=max(3, examples // 4))
    @given(case=invalid_certificates(ctx, rule))
    def check(case: object) -> None:
        assert isinstance(case, InvalidCase)
        submission, outcome = submit_certificate(
            target, case.certificate, suite_pki.country(sender).authority, caller=sender
        )
        assert_refused(
            outcome,
            code=case.code,
            reason=case.reason,
            rule=f"{'/'.join(case.requirements)} ({case.rule}: {case.field})",
            fields=(case.field,) if case.field else (),
        )
        assert_not_readable(target, caller=sender, request_id=submission.request_id)

    check()


Mutation = Callable[[CO], None]


def _set(path: str, value: object) -> Mutation:
    def mutate(co: CO) -> None:
        parts = path.split(".")
        msg: object = co
        for part in parts[:-1]:
            msg = msg.goods_items[0] if part == "item" else getattr(msg, part)  # type: ignore[attr-defined]
        setattr(msg, parts[-1], value)

    return mutate


def _clear(path: str) -> Mutation:
    def mutate(co: CO) -> None:
        parts = path.split(".")
        msg: object = co
        for part in parts[:-1]:
            msg = msg.goods_items[0] if part == "item" else getattr(msg, part)  # type: ignore[attr-defined]
        msg.ClearField(parts[-1])  # type: ignore[attr-defined]

    return mutate


def _two_items_numbered(first: int, second: int) -> Mutation:
    def mutate(co: CO) -> None:
        extra = certificate_pb2.GoodsItem()
        extra.CopyFrom(co.goods_items[0])
        co.goods_items.append(extra)
        co.goods_items[0].item_number = first
        co.goods_items[1].item_number = second

    return mutate


def _future_issue(co: CO) -> None:
    co.issue_date.CopyFrom(date_msg(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)))


def _invoice_after_issue(co: CO) -> None:
    issue = dt.date(co.issue_date.year, co.issue_date.month, co.issue_date.day)
    co.goods_items[0].invoice_number = "INV-1"
    co.goods_items[0].invoice_date.CopyFrom(date_msg(issue + dt.timedelta(days=10)))


def _rvc(value: str | None) -> Mutation:
    def mutate(co: CO) -> None:
        oc = co.goods_items[0].origin_criterion
        oc.Clear()
        oc.type = certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
        if value is not None:
            oc.rvc_percentage.value = value

    return mutate


def _fob(currency: str, amount: str) -> Mutation:
    def mutate(co: CO) -> None:
        co.goods_items[0].fob_value.currency_code = currency
        co.goods_items[0].fob_value.amount.value = amount

    return mutate


def _replaces(kind: str) -> Mutation:
    def mutate(co: CO) -> None:
        co.replaces.exporting_country = co.exporting_country
        co.replaces.issuing_authority_id = co.issuing_authority.id
        co.replaces.certificate_number = unique_number("OLD")
        if kind == "own":
            co.replaces.certificate_number = co.certificate_number
        elif kind == "country":
            co.replaces.exporting_country = XA if co.exporting_country == XC else XC
        elif kind == "incomplete":
            co.replaces.ClearField("issuing_authority_id")

    return mutate


def _two_violations(co: CO) -> None:
    co.goods_items[0].hs_code = "7701"
    co.goods_items[0].quantity.unit_code = "NOT-A-UNIT"


# name -> (mutation, code, reason, requirements, field paths the BadRequest must name)
NAMED_FIELD_CASES: dict[str, tuple[Mutation, str, str, tuple[str, ...], tuple[str, ...]]] = {
    "missing-certificate-number": (
        _clear("certificate_number"),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002",),
        ("certificate_number",),
    ),
    "missing-issue-date": (
        _clear("issue_date"),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002",),
        ("issue_date",),
    ),
    "missing-exporter-name": (
        _set("exporter.name", ""),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002",),
        ("exporter.name",),
    ),
    "missing-goods-items": (
        _clear("goods_items"),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002",),
        ("goods_items",),
    ),
    "missing-hs-code": (
        _set("item.hs_code", ""),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002",),
        ("goods_items[0].hs_code",),
    ),
    "missing-origin-criterion-type": (
        _clear("item.origin_criterion"),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002",),
        ("goods_items[0].origin_criterion",),
    ),
    "unknown-agreement": (
        _set("agreement_id", "ZZFTA"),
        "INVALID_ARGUMENT",
        "AGREEMENT_UNSUPPORTED",
        ("REQ-CO-003",),
        (),
    ),
    "form-of-other-agreement": (
        _set("form_type", "E"),
        "INVALID_ARGUMENT",
        "AGREEMENT_UNSUPPORTED",
        ("REQ-CO-003",),
        (),
    ),
    "certificate-number-with-space": (
        _set("certificate_number", "AB 123"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-004",),
        ("certificate_number",),
    ),
    "certificate-number-36-chars": (
        _set("certificate_number", "A" * 36),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-004",),
        ("certificate_number",),
    ),
    "unassigned-country": (
        _set("exporter.address.country", "ZZ"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-005",),
        ("exporter.address.country",),
    ),
    "lowercase-country": (
        _set("consignee.address.country", "xb"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-005",),
        ("consignee.address.country",),
    ),
    "invalid-calendar-date": (
        _set("issue_date.day", 31),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-006",),
        ("issue_date",),
    ),
    "issue-date-in-future": (
        _future_issue,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-006",),
        ("issue_date",),
    ),
    "invoice-after-issue": (
        _invoice_after_issue,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-006",),
        ("goods_items[0].invoice_date",),
    ),
    "hs-chapter-77": (
        _set("item.hs_code", "770100"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-007",),
        ("goods_items[0].hs_code",),
    ),
    "hs-code-7-digits": (
        _set("item.hs_code", "0306171"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-007",),
        ("goods_items[0].hs_code",),
    ),
    "hs-edition-unknown": (
        _set("item.hs_edition", "HS2007"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-007",),
        ("goods_items[0].hs_edition",),
    ),
    "item-number-gap": (
        _two_items_numbered(1, 3),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-008",),
        ("goods_items[1].item_number",),
    ),
    "item-number-repeated": (
        _two_items_numbered(1, 1),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-008",),
        ("goods_items[1].item_number",),
    ),
    "item-numbers-descending": (
        _two_items_numbered(2, 1),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-008",),
        ("goods_items[0].item_number",),
    ),
    "item-number-zero-is-missing": (
        _set("item.item_number", 0),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-002", "REQ-CO-008"),
        ("goods_items[0].item_number",),
    ),
    "rvc-above-100": (
        _rvc("100.5"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-009",),
        ("goods_items[0].origin_criterion.rvc_percentage",),
    ),
    "rvc-zero": (
        _rvc("0"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-009",),
        ("goods_items[0].origin_criterion.rvc_percentage",),
    ),
    "quantity-zero": (
        _set("item.quantity.value.value", "0"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-010",),
        ("goods_items[0].quantity.value",),
    ),
    "quantity-exponent": (
        _set("item.quantity.value.value", "1e3"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-010",),
        ("goods_items[0].quantity.value",),
    ),
    "fob-too-many-decimals": (
        _fob("USD", "10.001"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-010",),
        ("goods_items[0].fob_value",),
    ),
    "fob-negative": (
        _fob("USD", "-1.00"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-010",),
        ("goods_items[0].fob_value",),
    ),
    "currency-unknown": (
        _fob("ZZZ", "10"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-010",),
        ("goods_items[0].fob_value",),
    ),
    "unit-unknown": (
        _set("item.quantity.unit_code", "ZZZ"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-010",),
        ("goods_items[0].quantity.unit_code",),
    ),
    "transport-mode-undefined": (
        _set("transport.mode", 42),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-011",),
        ("transport.mode",),
    ),
    "exhibition-without-details": (
        _set("flags.exhibition", True),
        "INVALID_ARGUMENT",
        "FIELD_MISSING",
        ("REQ-CO-012",),
        ("flags.exhibition_details",),
    ),
    "control-character-in-remarks": (
        _set("remarks", "line\x07bell"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-013",),
        ("remarks",),
    ),
    "string-4097-characters": (
        _set("remarks", "x" * 4097),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-013",),
        ("remarks",),
    ),
    "replaces-own-number": (
        _replaces("own"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-014",),
        ("replaces",),
    ),
    "replaces-other-country": (
        _replaces("country"),
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-CO-014",),
        ("replaces",),
    ),
    "two-violations-listed": (
        _two_violations,
        "INVALID_ARGUMENT",
        "FIELD_INVALID",
        ("REQ-ERR-001",),
        ("goods_items[0].hs_code",),
    ),
}


@pytest.mark.requirement(
    "REQ-PUSH-002",
    "REQ-ERR-001",
    "REQ-ERR-002",
    *sorted({r for case in NAMED_FIELD_CASES.values() for r in case[3]}),
)
@pytest.mark.parametrize("name", sorted(NAMED_FIELD_CASES))
def test_named_field_rule(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """Named, deterministic field-rule cases (listable as expected failures)."""
    mutate, code, reason, reqs, fields = NAMED_FIELD_CASES[name]
    sender = FIELD_RULE_SENDER
    co = minimal_certificate(context_for(suite_pki, target, sender, code_lists))
    if name == "invalid-calendar-date":
        co.issue_date.CopyFrom(certificate_pb2.CertificateOfOrigin().issue_date)
        co.issue_date.year, co.issue_date.month, co.issue_date.day = 2025, 2, 30
    else:
        mutate(co)
    submission, outcome = submit_certificate(
        target, co, suite_pki.country(sender).authority, caller=sender
    )
    refusal = assert_refused(
        outcome, code=code, reason=reason, rule=f"{'/'.join(reqs)} {name}", fields=fields
    )
    if name == "two-violations-listed":
        named = refusal.fields
        assert any(f.startswith("goods_items[0].quantity") for f in named), (
            f"REQ-ERR-001: BadRequest must list every violation, got {sorted(named)}"
        )
    assert_not_readable(target, caller=sender, request_id=submission.request_id)


def _too_many_items(co: CO, count: int) -> None:
    template = certificate_pb2.GoodsItem()
    template.CopyFrom(co.goods_items[0])
    del co.goods_items[:]
    for number in range(1, count + 1):
        item = co.goods_items.add()
        item.CopyFrom(template)
        item.item_number = number


@pytest.mark.requirement("REQ-CO-008", "REQ-LIM-001")
def test_too_many_goods_items(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
) -> None:
    """One item more than max_goods_items is RESOURCE_EXHAUSTED MESSAGE_TOO_LARGE."""
    limit = node_info.limits.max_goods_items or 999
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    _too_many_items(co, limit + 1)
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    assert_refused(
        outcome, code="RESOURCE_EXHAUSTED", reason="MESSAGE_TOO_LARGE", rule="REQ-CO-008"
    )
    assert_not_readable(target, caller=XA, request_id=submission.request_id)


@pytest.mark.requirement("REQ-LIM-001")
def test_payload_over_limit(
    target: Target, suite_pki: SuitePki, node_info: node_service_pb2.NodeInfo
) -> None:
    """A payload one byte over max_payload_bytes is refused MESSAGE_TOO_LARGE."""
    limit = node_info.limits.max_payload_bytes or 1024 * 1024
    submission = signed_submission(
        b"\x0a" + b"A" * limit, suite_pki.country(XA).authority, caller=XA
    )
    outcome = target.submit(XA, submission.request)
    assert_refused(
        outcome, code="RESOURCE_EXHAUSTED", reason="MESSAGE_TOO_LARGE", rule="REQ-LIM-001"
    )
    assert_not_readable(target, caller=XA, request_id=submission.request_id)


@pytest.mark.obligation("boundary")
@pytest.mark.requirement("REQ-LIM-001", "REQ-ERR-003")
def test_message_over_limit(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    node_info: node_service_pb2.NodeInfo,
) -> None:
    """A message over max_message_bytes is RESOURCE_EXHAUSTED and the node keeps serving."""
    limit = node_info.limits.max_message_bytes or 4 * 1024 * 1024
    submission = signed_submission(b"x", suite_pki.country(XA).authority, caller=XA)
    submission.request.envelope.signatures[0].certificate_chain.append(b"\0" * (limit + 1))
    outcome = target.submit(XA, submission.request)
    assert outcome.refusal is not None, "REQ-LIM-001: oversized message accepted"
    assert outcome.refusal.code.name == "RESOURCE_EXHAUSTED", (
        f"REQ-LIM-001: expected RESOURCE_EXHAUSTED, got {outcome.refusal.summary()}"
    )
    if outcome.refusal.has_details:
        assert outcome.refusal.reason == "MESSAGE_TOO_LARGE", outcome.refusal.summary()
    assert_not_readable(target, caller=XA, request_id=submission.request_id)
    # the node still serves other callers
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    ok_submission, ok = submit_certificate(target, co, suite_pki.country(XC).authority, caller=XC)
    assert_accepted(target, ok_submission, ok, now=dt.datetime.now(dt.UTC), rule="REQ-LIM-001")


# ---------------------------------------------------------------------------
# envelope, signature, signer, authorisation


def _envelope_case(pki: SuitePki, ctx_co: CO, name: str) -> tuple[envelope_pb2.Envelope, str]:
    """Build the envelope of a named envelope case; return it with the caller."""
    xa = pki.country(XA)
    payload = ctx_co.SerializeToString()
    ptype = envelopes.PAYLOAD_TYPE_CERTIFICATE
    sign = envelopes.sign_envelope
    caller = XA
    if name == "unknown-payload-type":
        env = sign("application/vnd.wco.eco.invoice.v1+protobuf", payload, [xa.authority])
    elif name == "receipt-payload-type":
        env = sign(envelopes.PAYLOAD_TYPE_RECEIPT, payload, [xa.authority])
    elif name == "directory-payload-type":
        env = sign(envelopes.PAYLOAD_TYPE_DIRECTORY, payload, [xa.authority])
    elif name == "no-signature":
        env = envelope_pb2.Envelope(payload_type=ptype, payload=payload)
    elif name == "five-signatures":
        env = sign(ptype, payload, [xa.authority] * 5)
    elif name == "tampered-payload":
        env = envelopes.flip_payload_bit(sign(ptype, payload, [xa.authority]), index=7)
    elif name == "corrupted-signature":
        env = envelopes.corrupt_signature(sign(ptype, payload, [xa.authority]))
    elif name == "key-id-mismatch":
        env = envelopes.with_key_id(sign(ptype, payload, [xa.authority]), "0" * 64)
    elif name == "algorithm-unspecified":
        env = sign(
            ptype, payload, [xa.authority], algorithm=envelope_pb2.SIGNATURE_ALGORITHM_UNSPECIFIED
        )
    elif name == "algorithm-key-mismatch":
        env = sign(
            ptype, payload, [xa.authority], algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ED25519
        )
    elif name == "pae-over-other-type":
        env = sign(envelopes.PAYLOAD_TYPE_STATUS_CHANGE, payload, [xa.authority])
        env.payload_type = ptype
    elif name == "empty-chain":
        env = envelopes.replace_chain(sign(ptype, payload, [xa.authority]), [])
    elif name == "unparsable-leaf":
        env = envelopes.replace_chain(sign(ptype, payload, [xa.authority]), [b"\x30\x03garbage"])
    elif name == "unparsable-intermediate":
        good = sign(ptype, payload, [xa.authority])
        env = envelopes.replace_chain(
            good, [good.signatures[0].certificate_chain[0], b"\x30\x03bad"]
        )
    elif name == "chain-of-five":
        good = sign(ptype, payload, [xa.authority])
        chain = list(good.signatures[0].certificate_chain)
        env = envelopes.replace_chain(good, chain + [chain[1]] * 4)
    elif name == "missing-intermediate":
        good = sign(ptype, payload, [xa.authority])
        env = envelopes.replace_chain(good, [good.signatures[0].certificate_chain[0]])
    elif name in pki.negative_signers:
        env = sign(ptype, payload, [pki.negative_signers[name]])
    elif name == "other-country-authority":
        env = sign(ptype, payload, [pki.country(XC).authority])
    elif name == "node-signer-signs-certificate":
        env = sign(ptype, payload, [xa.node_signer])
    elif name == "caller-is-not-sender":
        env = sign(ptype, payload, [xa.authority])
        caller = XC
    elif name == "first-signature-bad-second-good":
        env = envelopes.corrupt_signature(sign(ptype, payload, [xa.authority, xa.authority]))
    elif name == "first-valid-signer-expired":
        env = sign(ptype, payload, [pki.negative_signers["expired-signer"], xa.authority])
    elif name == "both-signers-fail":
        env = sign(
            ptype,
            payload,
            [pki.negative_signers["expired-signer"], pki.negative_signers["untrusted-root-signer"]],
        )
    elif name == "malformed-payload":
        env = sign(ptype, b"\xff\xff\xff\xff\x0f", [xa.authority])
    elif name == "unknown-field":
        env = sign(ptype, payload + b"\xf8\x3e\x01", [xa.authority])  # field 999, varint 1
    elif name in ("unknown-field-in-goods-item", "unknown-field-in-address"):
        env = sign(ptype, _with_nested_unknown_field(ctx_co, name), [xa.authority])
    elif name == "wrong-wire-type":
        env = sign(ptype, b"\x0d\x01\x02\x03\x04" + payload, [xa.authority])  # field 1 as fixed32
    else:  # pragma: no cover - table and builder are kept in step
        raise AssertionError(f"unknown envelope case {name}")
    return env, caller


def _with_nested_unknown_field(co: CO, name: str) -> bytes:
    """The CO's bytes with field 999 inside its first goods item or the exporter's address."""
    nested = CO()
    nested.CopyFrom(co)
    unknown = b"\xf8\x3e\x01"  # field 999, varint 1
    # Parsing bytes with an unknown field keeps it; CopyFrom carries it into the CO.
    if name == "unknown-field-in-goods-item":
        item = nested.goods_items[0]
        item.CopyFrom(type(item).FromString(item.SerializeToString() + unknown))
    else:
        address = nested.exporter.address
        address.CopyFrom(type(address).FromString(address.SerializeToString() + unknown))
    return nested.SerializeToString()


# name -> (code, reason, requirement ids)
ENVELOPE_CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "unknown-payload-type": ("INVALID_ARGUMENT", "PAYLOAD_TYPE_UNSUPPORTED", ("REQ-SIG-001",)),
    "receipt-payload-type": ("INVALID_ARGUMENT", "PAYLOAD_TYPE_UNSUPPORTED", ("REQ-SIG-001",)),
    "directory-payload-type": ("INVALID_ARGUMENT", "PAYLOAD_TYPE_UNSUPPORTED", ("REQ-SIG-001",)),
    "no-signature": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-005",)),
    "five-signatures": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-005",)),
    "tampered-payload": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-003", "REQ-SIG-005")),
    "corrupted-signature": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-005",)),
    "key-id-mismatch": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-004",)),
    "algorithm-unspecified": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-006",)),
    "algorithm-key-mismatch": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-006",)),
    "pae-over-other-type": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-003",)),
    "empty-chain": ("INVALID_ARGUMENT", "SIGNATURE_INVALID", ("REQ-SIG-004", "REQ-PKI-001")),
    "unparsable-leaf": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-001",)),
    "unparsable-intermediate": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-001",)),
    "chain-of-five": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-001",)),
    "missing-intermediate": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-004",)),
    "wrong-key-usage-signer": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-002",)),
    "ca-flag-signer": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-002",)),
    "expired-signer": ("PERMISSION_DENIED", "SIGNER_EXPIRED", ("REQ-PKI-003",)),
    "expired-intermediate-signer": ("PERMISSION_DENIED", "SIGNER_EXPIRED", ("REQ-PKI-003",)),
    "not-yet-valid-signer": ("PERMISSION_DENIED", "SIGNER_NOT_YET_VALID", ("REQ-PKI-003",)),
    "untrusted-root-signer": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-004",)),
    "other-country-uri-signer": ("PERMISSION_DENIED", "SIGNER_UNTRUSTED", ("REQ-PKI-004",)),
    "other-country-authority": ("PERMISSION_DENIED", "SIGNER_NOT_AUTHORISED", ("REQ-AUTH-001",)),
    "node-signer-signs-certificate": (
        "PERMISSION_DENIED",
        "SIGNER_NOT_AUTHORISED",
        ("REQ-AUTH-002",),
    ),
    "other-authority-signer": ("PERMISSION_DENIED", "SIGNER_NOT_AUTHORISED", ("REQ-AUTH-002",)),
    "caller-is-not-sender": (
        "PERMISSION_DENIED",
        "SENDER_MISMATCH",
        ("REQ-AUTH-004", "REQ-ACC-002"),
    ),
    "both-signers-fail": ("PERMISSION_DENIED", "SIGNER_EXPIRED", ("REQ-SIG-005",)),
    "malformed-payload": ("INVALID_ARGUMENT", "PAYLOAD_MALFORMED", ("REQ-CO-001",)),
    "unknown-field": ("INVALID_ARGUMENT", "PAYLOAD_MALFORMED", ("REQ-CO-001",)),
    "unknown-field-in-goods-item": ("INVALID_ARGUMENT", "PAYLOAD_MALFORMED", ("REQ-CO-001",)),
    "unknown-field-in-address": ("INVALID_ARGUMENT", "PAYLOAD_MALFORMED", ("REQ-CO-001",)),
    "wrong-wire-type": ("INVALID_ARGUMENT", "PAYLOAD_MALFORMED", ("REQ-CO-001",)),
}


@pytest.mark.requirement("REQ-PUSH-002", "REQ-ERR-001", "REQ-ERR-002", "REQ-ERR-003")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.requirement(*ENVELOPE_CASES[name][2]))
        for name in sorted(ENVELOPE_CASES)
    ],
)
def test_envelope_refused(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """Each envelope, signature, signer and authorisation rule, broken alone (section 5.4)."""
    code, reason, reqs = ENVELOPE_CASES[name]
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    envelope, caller = _envelope_case(suite_pki, co, name)
    request_id = new_request_id()
    outcome = target.submit(
        caller, exchange_service_pb2.SubmitDocumentRequest(request_id=request_id, envelope=envelope)
    )
    assert_refused(outcome, code=code, reason=reason, rule=f"{'/'.join(reqs)} {name}")
    assert_not_readable(target, caller=XA, request_id=request_id, certificate=reference_of(co))


@pytest.mark.requirement("REQ-SIG-005")
@pytest.mark.parametrize("name", ["first-signature-bad-second-good", "first-valid-signer-expired"])
def test_second_signature_rescues_first(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, name: str
) -> None:
    """The first signature invalid (or its signer expired), the second good: accepted."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    envelope, caller = _envelope_case(suite_pki, co, name)
    submission = Submission(
        request=exchange_service_pb2.SubmitDocumentRequest(
            request_id=new_request_id(), envelope=envelope
        ),
        caller=caller,
    )
    outcome = target.submit(caller, submission.request)
    assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-SIG-005")


@pytest.mark.requirement("REQ-AUTH-004", "REQ-ACC-002")
def test_recipient_not_the_node(target: Target, suite_pki: SuitePki, code_lists: CodeLists) -> None:
    """A CO addressed to another country (XC) is refused SENDER_MISMATCH."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    co.importing_country = XC
    co.consignee.address.country = XC
    submission, outcome = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    assert_refused(outcome, code="PERMISSION_DENIED", reason="SENDER_MISMATCH", rule="REQ-AUTH-004")
    assert_not_readable(
        target, caller=XA, request_id=submission.request_id, certificate=reference_of(co)
    )


@pytest.mark.obligation("boundary", "exact")
@pytest.mark.requirement("REQ-IDEM-001")
@pytest.mark.parametrize(
    "request_id",
    [
        "",
        "not-a-uuid",
        "6f1c2a0e9d4b4c7e8f0a1b2c3d4e5f60",
        "{6f1c2a0e-9d4b-4c7e}",
        "6f1c2a0e-9d4b-4c7e-8f0a-1b2c3d4e5f6",  # 35 characters: one short
        "6f1c2a0e-9d4b-4c7e-8f0a-1b2c3d4e5f600",  # 37 characters: one long
        "{6f1c2a0e-9d4b-4c7e-8f0a-1b2c3d4e5f60}",  # braces around the canonical form
        "6f1c2a0e_9d4b_4c7e_8f0a_1b2c3d4e5f60",  # 36 characters, other separators
    ],
)
def test_request_id_invalid(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, request_id: str
) -> None:
    """A missing or non-UUID request id is INVALID_ARGUMENT REQUEST_ID_INVALID."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission = signed_submission(
        co.SerializeToString(), suite_pki.country(XA).authority, caller=XA
    )
    submission.request.request_id = request_id
    outcome = target.submit(XA, submission.request)
    assert_refused(
        outcome, code="INVALID_ARGUMENT", reason="REQUEST_ID_INVALID", rule="REQ-IDEM-001"
    )
    assert_not_readable(target, caller=XA, request_id=None, certificate=reference_of(co))


@pytest.mark.requirement("REQ-IDEM-001")
def test_uppercase_request_id_accepted(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """An upper-case canonical UUID is a valid request id."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, outcome = submit_certificate(
        target,
        co,
        suite_pki.country(XA).authority,
        caller=XA,
        request_id=new_request_id().upper(),
    )
    assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-IDEM-001")


# ---------------------------------------------------------------------------
# idempotency and duplicates


@pytest.mark.requirement("REQ-IDEM-002", "REQ-PUSH-001")
def test_resubmission_returns_identical_receipt(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """Same request id, same bytes: the original receipt byte for byte, nothing new stored."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    submission, first = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    receipt = assert_accepted(
        target, submission, first, now=dt.datetime.now(dt.UTC), rule="REQ-IDEM-002"
    )
    again = target.submit(XA, submission.request)
    assert again.response is not None, f"REQ-IDEM-002: resubmission refused {again.summary()}"
    assert first.response is not None
    assert again.response.receipt.SerializeToString() == (
        first.response.receipt.SerializeToString()
    ), "REQ-IDEM-002: resubmission returned a different receipt"
    stored = assert_read_back(target, submission)
    assert stored.sequence == receipt.sequence, "REQ-IDEM-002: the document moved in the feed"


@pytest.mark.requirement("REQ-IDEM-003", "REQ-PUSH-002")
@pytest.mark.parametrize("variant", ["other-payload", "tampered-unsigned", "other-type"])
def test_same_request_id_other_bytes(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, variant: str
) -> None:
    """Same request id, other payload: ALREADY_EXISTS DUPLICATE_CONFLICT (before signatures)."""
    ctx = context_for(suite_pki, target, XA, code_lists)
    co = minimal_certificate(ctx)
    submission, first = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    assert_accepted(target, submission, first, now=dt.datetime.now(dt.UTC), rule="REQ-IDEM-003")
    other = minimal_certificate(ctx)
    if variant == "other-payload":
        envelope = envelopes.sign_envelope(
            envelopes.PAYLOAD_TYPE_CERTIFICATE,
            other.SerializeToString(),
            [suite_pki.country(XA).authority],
        )
    elif variant == "tampered-unsigned":
        envelope = envelopes.flip_payload_bit(submission.envelope, index=3)
    else:
        envelope = envelopes.sign_envelope(
            envelopes.PAYLOAD_TYPE_STATUS_CHANGE,
            submission.envelope.payload,
            [suite_pki.country(XA).authority],
        )
    outcome = target.submit(
        XA,
        exchange_service_pb2.SubmitDocumentRequest(
            request_id=submission.request_id, envelope=envelope
        ),
    )
    assert_refused(outcome, code="ALREADY_EXISTS", reason="DUPLICATE_CONFLICT", rule="REQ-IDEM-003")
    assert_read_back(target, submission)
    if variant == "other-payload":
        by_ref = target.get_document(
            XA, exchange_service_pb2.GetDocumentRequest(certificate=reference_of(other))
        )
        assert_refused(by_ref, code="NOT_FOUND", reason="UNKNOWN_DOCUMENT", rule="REQ-PUSH-002")


@pytest.mark.requirement("REQ-IDEM-004", "REQ-PUSH-002")
@pytest.mark.parametrize("variant", ["same-bytes", "other-content"])
def test_reused_certificate_number(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, variant: str
) -> None:
    """A second CO with a held (country, authority, number) is DUPLICATE_CONFLICT."""
    ctx = context_for(suite_pki, target, XA, code_lists)
    co = minimal_certificate(ctx)
    submission, first = submit_certificate(target, co, suite_pki.country(XA).authority, caller=XA)
    assert_accepted(target, submission, first, now=dt.datetime.now(dt.UTC), rule="REQ-IDEM-004")
    again = CO()
    again.CopyFrom(co)
    if variant == "other-content":
        again.remarks = "corrected copy"
    second, outcome = submit_certificate(target, again, suite_pki.country(XA).authority, caller=XA)
    assert_refused(outcome, code="ALREADY_EXISTS", reason="DUPLICATE_CONFLICT", rule="REQ-IDEM-004")
    assert_not_readable(target, caller=XA, request_id=second.request_id)
    stored = assert_read_back(target, submission)
    assert stored.request_id == submission.request_id


@pytest.mark.requirement("REQ-IDEM-002")
def test_request_ids_are_per_caller(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """The idempotency key is (caller country, request id): XC may reuse XA's request id."""
    co_a = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    shared = new_request_id()
    sub_a, out_a = submit_certificate(
        target, co_a, suite_pki.country(XA).authority, caller=XA, request_id=shared
    )
    assert_accepted(target, sub_a, out_a, now=dt.datetime.now(dt.UTC), rule="REQ-IDEM-002")
    co_c = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    sub_c, out_c = submit_certificate(
        target, co_c, suite_pki.country(XC).authority, caller=XC, request_id=shared
    )
    assert_accepted(target, sub_c, out_c, now=dt.datetime.now(dt.UTC), rule="REQ-IDEM-002")


# ---------------------------------------------------------------------------
# streaming submission


@pytest.mark.requirement("REQ-PUSH-005", "REQ-ERR-001")
def test_stream_answers_each_request_in_order(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """Each stream request gets one response in order; a refusal does not end the stream."""
    ctx = context_for(suite_pki, target, XA, code_lists)
    authority = suite_pki.country(XA).authority
    good1 = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    bad_sig = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    bad_sig.request.envelope.CopyFrom(envelopes.corrupt_signature(bad_sig.envelope))
    good2 = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    bad_id = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    bad_id.request.request_id = "not-a-uuid"
    good3 = signed_submission(minimal_certificate(ctx).SerializeToString(), authority, caller=XA)
    batch = [good1, bad_sig, good2, bad_id, good3]
    expected = [
        None,
        ("INVALID_ARGUMENT", "SIGNATURE_INVALID"),
        None,
        ("INVALID_ARGUMENT", "REQUEST_ID_INVALID"),
        None,
    ]
    responses, refusal = target.submit_stream(
        XA,
        [
            exchange_service_pb2.SubmitDocumentStreamRequest(
                request_id=s.request_id, envelope=s.envelope
            )
            for s in batch
        ],
    )
    assert refusal is None, f"REQ-PUSH-005: stream ended with {refusal.summary()}"
    assert len(responses) == len(batch), f"REQ-PUSH-005: {len(responses)} responses for 5"
    now = dt.datetime.now(dt.UTC)
    for index, (sub, response, want) in enumerate(zip(batch, responses, expected, strict=True)):
        assert response.request_id == sub.request_id, f"REQ-PUSH-005: response {index} order"
        if want is None:
            assert response.WhichOneof("result") == "receipt", (
                f"REQ-PUSH-005: response {index}: {response.error}"
            )
            verify_receipt(target, sub, response.receipt, now=now)
            assert_read_back(target, sub)
        else:
            assert response.WhichOneof("result") == "error", f"response {index} accepted"
            parsed = refusal_from_status(response.error)
            assert (parsed.code.name, parsed.reason) == want, (
                f"REQ-PUSH-005: response {index}: expected {want}, got {parsed.summary()}"
            )
            assert_error_format(parsed)
            refused_co = certificate_pb2.CertificateOfOrigin.FromString(sub.envelope.payload)
            assert_not_readable(
                target,
                caller=XA,
                request_id=sub.request_id if want[1] != "REQUEST_ID_INVALID" else None,
                certificate=reference_of(refused_co),
                rule=f"REQ-PUSH-002/REQ-PUSH-005 (stream response {index})",
            )


# ---------------------------------------------------------------------------
# node information, code lists, directory


@pytest.mark.requirement("REQ-NODE-001", "REQ-VERS-001", "REQ-CO-008")
def test_node_info(target: Target, node_info: node_service_pb2.NodeInfo) -> None:
    """GetNodeInfo: country, spec 1.x, ECDSA, v1 agreements, payload types, limits, profiles."""
    assert node_info.country == target.node_country
    assert node_info.spec_version.split(".")[0] == "1", node_info.spec_version
    assert node_info.spec_version == "1.0.0", node_info.spec_version
    assert envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256 in node_info.signature_algorithms
    assert set(node_info.agreements) >= {"AKFTA", "ATIGA", "ACFTA", "RCEP", "KCFTA"}
    assert set(node_info.payload_types) >= {envelopes.PAYLOAD_TYPE_CERTIFICATE}
    assert envelopes.PAYLOAD_TYPE_RECEIPT not in node_info.payload_types
    limits = node_info.limits
    assert limits.max_message_bytes > 0
    assert limits.max_payload_bytes > 0
    assert 0 < limits.max_goods_items <= 999, (
        f"REQ-CO-008: max_goods_items {limits.max_goods_items} is outside 1..999"
    )
    assert limits.max_stream_documents > 0
    assert limits.max_page_size > 0
    known = {"core", "lifecycle", "verification", "pull", "sender", "transport-security"}
    assert set(node_info.conformance_profiles) <= known, node_info.conformance_profiles
    assert "core" in node_info.conformance_profiles


@pytest.mark.requirement("REQ-NODE-002", "REQ-CO-003")
def test_code_lists(target: Target) -> None:
    """GetCodeLists returns the six lists, with the v1 agreements and their forms."""
    outcome = target.call(
        target.node(XA).GetCodeLists,
        node_service_pb2.GetCodeListsRequest(),
        caller=XA,
        rpc="NodeService/GetCodeLists",
    )
    assert outcome.response is not None, outcome.summary()
    lists = {cl.name: cl for cl in outcome.response.code_lists}
    for name in ("AGREEMENT", "FORM_TYPE", "ORIGIN_CRITERION", "UNIT", "CURRENCY", "HS_EDITION"):
        assert name in lists, f"REQ-NODE-002: code list {name} missing"
        assert lists[name].entries, f"REQ-NODE-002: code list {name} empty"
    agreements = {e.code for e in lists["AGREEMENT"].entries}
    assert agreements >= {"AKFTA", "ATIGA", "ACFTA", "RCEP", "KCFTA"}
    forms = {(e.parent_code, e.code) for e in lists["FORM_TYPE"].entries}
    assert forms >= {
        ("AKFTA", "AK"),
        ("ATIGA", "D"),
        ("ACFTA", "E"),
        ("RCEP", "RCEP"),
        ("KCFTA", "KC"),
    }, forms
    assert {e.code for e in lists["HS_EDITION"].entries} >= {"HS2012", "HS2017", "HS2022"}


@pytest.mark.requirement("REQ-DIR-001")
def test_issuer_directory_published(target: Target, suite_now: dt.datetime) -> None:
    """The node's IssuerDirectory is signed by its node signer under its trust anchors."""
    outcome = target.call(
        target.trust(XA).GetIssuerDirectory,
        trust_service_pb2.GetIssuerDirectoryRequest(),
        caller=XA,
        rpc="TrustService/GetIssuerDirectory",
    )
    assert outcome.response is not None, f"REQ-DIR-001: {outcome.summary()}"
    envelope = outcome.response.directory
    anchors = x509.load_pem_x509_certificates(target.node_trust_anchors_pem)
    envelopes.verify_envelope(
        envelope,
        anchors=anchors,
        expected_uri=node_uri(target.node_country),
        now=suite_now,
        expected_payload_type=envelopes.PAYLOAD_TYPE_DIRECTORY,
    )
    directory = directory_pb2.IssuerDirectory.FromString(envelope.payload)
    assert directory.country == target.node_country
    assert directory.version > 0
    assert directory.authorities, "REQ-DIR-001: directory lists no authority"


# ---------------------------------------------------------------------------
# faults found by the mutant run (tests/mutants, docs/conformance.md)


@pytest.mark.requirement("REQ-AUTH-001", "REQ-PUSH-002")
def test_signer_country_checked_alone(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """XA's authority signs a CO of XC that names XA's authority id: SIGNER_NOT_AUTHORISED.

    Only the signer's country is wrong: the authority id matches the CO (REQ-AUTH-002),
    the chain is trusted and the caller is the sending country, so a node that checks the
    authority id but not the country accepts it.
    """
    co = minimal_certificate(context_for(suite_pki, target, XC, code_lists))
    co.issuing_authority.id = suite_pki.country(XA).authority_id
    submission = signed_submission(
        co.SerializeToString(), suite_pki.country(XA).authority, caller=XC
    )
    outcome = target.submit(XC, submission.request)
    assert_refused(
        outcome,
        code="PERMISSION_DENIED",
        reason="SIGNER_NOT_AUTHORISED",
        rule="REQ-AUTH-001 signer of XA for a CO of XC",
    )
    assert_not_readable(
        target, caller=XC, request_id=submission.request_id, certificate=reference_of(co)
    )


def _fields_in_reverse_order(canonical: bytes) -> bytes:
    """Re-encode a serialized message with its top-level fields in descending field order.

    The result parses to the same message but is not what a protobuf encoder writes, so a
    node that re-serializes instead of keeping the received bytes returns other bytes.
    """
    groups: dict[int, list[bytes]] = {}
    pos = 0

    def varint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = canonical[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while pos < len(canonical):
        start = pos
        tag = varint()
        wire = tag & 7
        if wire == 0:
            varint()
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length = varint()
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
        groups.setdefault(tag >> 3, []).append(canonical[start:pos])
    return b"".join(b"".join(groups[number]) for number in sorted(groups, reverse=True))


@pytest.mark.requirement("REQ-GET-001", "REQ-SIG-002")
def test_non_canonical_payload_read_back_unchanged(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A CO encoded with its fields in reverse order is stored and returned byte for byte."""
    co = minimal_certificate(context_for(suite_pki, target, XA, code_lists))
    canonical = co.SerializeToString()
    payload = _fields_in_reverse_order(canonical)
    assert payload != canonical
    assert certificate_pb2.CertificateOfOrigin.FromString(payload) == co
    submission = signed_submission(payload, suite_pki.country(XA).authority, caller=XA)
    outcome = target.submit(XA, submission.request)
    assert_accepted(
        target, submission, outcome, now=dt.datetime.now(dt.UTC), rule="REQ-GET-001 non-canonical"
    )
