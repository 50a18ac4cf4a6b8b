"""Field rules of the CO (REQ-CO-002..015) and of lifecycle/verification documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from core_strategies import certificates
from core_testlib import CORE_SETTINGS, TODAY, valid_co
from hypothesis import given
from hypothesis import strategies as st

from reference_node.core import payload_types
from reference_node.core.codelists import default_codelists
from reference_node.core.documents import CertificateRef, Document
from reference_node.core.errors import (
    AgreementUnsupported,
    EcoError,
    FieldInvalid,
    FieldMissing,
    MessageTooLarge,
)
from reference_node.core.limits import Limits
from reference_node.core.validation import validate_document
from wco.eco.v1 import certificate_pb2, envelope_pb2, lifecycle_pb2, verification_pb2

LISTS = default_codelists()
CO = certificate_pb2.CertificateOfOrigin


def _doc(message: object) -> Document:
    type_by_class = {cls: t for t, cls in payload_types.MESSAGE_BY_TYPE.items()}
    payload_type = type_by_class[type(message)]
    return Document(
        payload_type=payload_type,
        kind=payload_types.KIND_BY_TYPE[payload_type],
        message=message,  # type: ignore[arg-type]
        sender_country="XA",
        recipient_country="XB",
        certificate=CertificateRef("XA", "xa-customs", "N1"),
    )


def validate(message: object, *, limits: Limits | None = None) -> list[envelope_pb2.Finding]:
    return validate_document(_doc(message), codelists=LISTS, limits=limits or Limits(), today=TODAY)


def _date(target: object, value: dt.date) -> None:
    target.year, target.month, target.day = value.year, value.month, value.day  # type: ignore[attr-defined]


def _issue(co: CO) -> dt.date:
    return dt.date(co.issue_date.year, co.issue_date.month, co.issue_date.day)


@dataclass(frozen=True)
class Rule:
    """One broken rule: how to break it and what must be reported."""

    name: str
    mutate: Callable[[CO], None]
    error: type[EcoError]
    field: str
    code: str = ""


def _set(path: str, value: object) -> Callable[[CO], None]:
    def mutate(co: CO) -> None:
        *parents, leaf = path.split(".")
        target: object = co
        for part in parents:
            if part.endswith("]"):
                name, index = part[:-1].split("[")
                target = getattr(target, name)[int(index)]
            else:
                target = getattr(target, part)
        if value is None:
            target.ClearField(leaf)  # type: ignore[attr-defined]
        else:
            setattr(target, leaf, value)

    return mutate


def _all(*mutations: Callable[[CO], None]) -> Callable[[CO], None]:
    def mutate(co: CO) -> None:
        for m in mutations:
            m(co)

    return mutate


def _item0(**fields: object) -> Callable[[CO], None]:
    return _all(*(_set(f"goods_items[0].{k.replace('__', '.')}", v) for k, v in fields.items()))


def _days_after_issue(path: str, days: int) -> Callable[[CO], None]:
    def mutate(co: CO) -> None:
        target: object = co
        for part in path.split("."):
            if part.endswith("]"):
                name, index = part[:-1].split("[")
                target = getattr(target, name)[int(index)]
            else:
                target = getattr(target, part)
        _date(target, _issue(co) + dt.timedelta(days=days))

    return mutate


def _clear_replaces_and_originals(co: CO) -> None:
    co.ClearField("replaces")


def _oc(kind: int, *, rvc: str | None = None, shift: int = 0) -> Callable[[CO], None]:
    def mutate(co: CO) -> None:
        oc = co.goods_items[0].origin_criterion
        oc.Clear()
        oc.type = kind  # type: ignore[assignment]
        if rvc is not None:
            oc.rvc_percentage.value = rvc
        oc.tariff_shift = shift  # type: ignore[assignment]

    return mutate


def _fob(currency: str, amount: str) -> Callable[[CO], None]:
    def mutate(co: CO) -> None:
        co.goods_items[0].fob_value.currency_code = currency
        co.goods_items[0].fob_value.amount.value = amount

    return mutate


RVC = certificate_pb2.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
CTC = certificate_pb2.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION
WO = certificate_pb2.ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED

MISSING = [
    Rule("number", _set("certificate_number", ""), FieldMissing, "certificate_number"),
    Rule("agreement", _set("agreement_id", ""), FieldMissing, "agreement_id"),
    Rule("form", _set("form_type", ""), FieldMissing, "form_type"),
    Rule("exporting", _set("exporting_country", ""), FieldMissing, "exporting_country"),
    Rule("importing", _set("importing_country", ""), FieldMissing, "importing_country"),
    Rule("authority-id", _set("issuing_authority.id", ""), FieldMissing, "issuing_authority.id"),
    Rule(
        "authority-name", _set("issuing_authority.name", ""), FieldMissing, "issuing_authority.name"
    ),
    Rule("issue-date", _set("issue_date", None), FieldMissing, "issue_date"),
    Rule("exporter-name", _set("exporter.name", ""), FieldMissing, "exporter.name"),
    Rule(
        "exporter-country",
        _set("exporter.address.country", ""),
        FieldMissing,
        "exporter.address.country",
    ),
    Rule("consignee-name", _set("consignee.name", ""), FieldMissing, "consignee.name"),
    Rule(
        "consignee-country",
        _set("consignee.address.country", ""),
        FieldMissing,
        "consignee.address.country",
    ),
    Rule("items", _set("goods_items", None), FieldMissing, "goods_items"),
    Rule("item-number", _item0(item_number=0), FieldMissing, "goods_items[0].item_number"),
    Rule("description", _item0(description=""), FieldMissing, "goods_items[0].description"),
    Rule("hs-code", _item0(hs_code=""), FieldMissing, "goods_items[0].hs_code"),
    Rule("hs-edition", _item0(hs_edition=""), FieldMissing, "goods_items[0].hs_edition"),
    Rule("origin-type", _oc(0), FieldMissing, "goods_items[0].origin_criterion.type"),
    Rule(
        "quantity", _item0(quantity__value__value=""), FieldMissing, "goods_items[0].quantity.value"
    ),
    Rule("unit", _item0(quantity__unit_code=""), FieldMissing, "goods_items[0].quantity.unit_code"),
    Rule(
        "third-party",
        _all(_set("flags.third_party_invoicing", True), _set("third_party_operator", None)),
        FieldMissing,
        "third_party_operator.name",
    ),
    Rule(
        "back-to-back",
        _all(_set("flags.back_to_back", True), _set("original_certificate", None)),
        FieldMissing,
        "original_certificate",
    ),
    Rule(
        "exhibition",
        _all(_set("flags.exhibition", True), _set("flags.exhibition_details", "")),
        FieldMissing,
        "flags.exhibition_details",
    ),
]

AGREEMENT = [
    Rule("unknown-agreement", _set("agreement_id", "NAFTA"), AgreementUnsupported, "agreement_id"),
    Rule(
        "form-of-other-agreement",
        _all(_set("agreement_id", "ATIGA"), _set("form_type", "AK")),
        AgreementUnsupported,
        "form_type",
    ),
    Rule(
        "lowercase-agreement", _set("agreement_id", "akfta"), AgreementUnsupported, "agreement_id"
    ),
]

INVALID = [
    Rule(
        "number-format",
        _set("certificate_number", "-A1"),
        FieldInvalid,
        "certificate_number",
        "CERTIFICATE_NUMBER_FORMAT",
    ),
    Rule(
        "number-length",
        _set("certificate_number", "A" * 36),
        FieldInvalid,
        "certificate_number",
        "CERTIFICATE_NUMBER_FORMAT",
    ),
    Rule(
        "authority-format",
        _all(_clear_replaces_and_originals, _set("issuing_authority.id", "XA_Customs")),
        FieldInvalid,
        "issuing_authority.id",
        "AUTHORITY_ID_FORMAT",
    ),
    Rule(
        "exporting-unassigned",
        _set("exporting_country", "ZZ"),
        FieldInvalid,
        "exporting_country",
        "COUNTRY_CODE",
    ),
    Rule(
        "importing-lowercase",
        _set("importing_country", "xb"),
        FieldInvalid,
        "importing_country",
        "COUNTRY_CODE",
    ),
    Rule(
        "same-country",
        lambda co: setattr(co, "importing_country", co.exporting_country),
        FieldInvalid,
        "importing_country",
        "SAME_COUNTRY",
    ),
    Rule(
        "address-country",
        _set("exporter.address.country", "QQ"),
        FieldInvalid,
        "exporter.address.country",
        "COUNTRY_CODE",
    ),
    Rule(
        "identifier-country",
        lambda co: co.consignee.identifiers.add(scheme="TIN", value="1", issuing_country="EU"),
        FieldInvalid,
        "consignee.identifiers[-1].issuing_country",
        "COUNTRY_CODE",
    ),
    Rule(
        "origin-country",
        _item0(origin_country="AA"),
        FieldInvalid,
        "goods_items[0].origin_country",
        "COUNTRY_CODE",
    ),
    Rule(
        "transit-country",
        lambda co: co.transport.transit_countries.append("UK"),
        FieldInvalid,
        "transport.transit_countries[-1]",
        "COUNTRY_CODE",
    ),
    Rule(
        "issue-date-invalid",
        _all(_set("issue_date.month", 2), _set("issue_date.day", 30)),
        FieldInvalid,
        "issue_date",
        "DATE_INVALID",
    ),
    Rule(
        "issue-date-year", _set("issue_date.year", 1899), FieldInvalid, "issue_date", "DATE_INVALID"
    ),
    Rule(
        "issue-date-future",
        lambda co: _date(co.issue_date, TODAY + dt.timedelta(days=2)),
        FieldInvalid,
        "issue_date",
        "ISSUE_DATE_FUTURE",
    ),
    Rule(
        "invoice-after-issue",
        _days_after_issue("goods_items[0].invoice_date", 2),
        FieldInvalid,
        "goods_items[0].invoice_date",
        "DATE_AFTER_ISSUE",
    ),
    Rule(
        "declaration-after-issue",
        _days_after_issue("exporter_declaration.date", 2),
        FieldInvalid,
        "exporter_declaration.date",
        "DATE_AFTER_ISSUE",
    ),
    Rule(
        "departure-after-issue",
        _days_after_issue("transport.departure_date", 2),
        FieldInvalid,
        "transport.departure_date",
        "DATE_AFTER_ISSUE",
    ),
    Rule(
        "certification-date",
        _all(
            _set("certification.date.year", 2024),
            _set("certification.date.month", 13),
            _set("certification.date.day", 1),
        ),
        FieldInvalid,
        "certification.date",
        "DATE_INVALID",
    ),
    Rule(
        "hs-short",
        _item0(hs_code="12345"),
        FieldInvalid,
        "goods_items[0].hs_code",
        "HS_CODE_FORMAT",
    ),
    Rule(
        "hs-seven",
        _item0(hs_code="8504401"),
        FieldInvalid,
        "goods_items[0].hs_code",
        "HS_CODE_FORMAT",
    ),
    Rule(
        "hs-fullwidth",
        _item0(hs_code="\uff18\uff15\uff10\uff14\uff14\uff10"),
        FieldInvalid,
        "goods_items[0].hs_code",
        "HS_CODE_FORMAT",
    ),
    Rule(
        "hs-chapter-77",
        _item0(hs_code="770100"),
        FieldInvalid,
        "goods_items[0].hs_code",
        "HS_CODE_CHAPTER",
    ),
    Rule(
        "hs-chapter-98",
        _item0(hs_code="98010000"),
        FieldInvalid,
        "goods_items[0].hs_code",
        "HS_CODE_CHAPTER",
    ),
    Rule(
        "hs-chapter-00",
        _item0(hs_code="000100"),
        FieldInvalid,
        "goods_items[0].hs_code",
        "HS_CODE_CHAPTER",
    ),
    Rule(
        "hs-edition",
        _item0(hs_edition="HS2007"),
        FieldInvalid,
        "goods_items[0].hs_edition",
        "HS_EDITION",
    ),
    Rule(
        "item-sequence",
        _item0(item_number=7),
        FieldInvalid,
        "goods_items[0].item_number",
        "ITEM_NUMBER_SEQUENCE",
    ),
    Rule(
        "origin-undefined",
        _oc(99),
        FieldInvalid,
        "goods_items[0].origin_criterion.type",
        "ENUM_UNDEFINED",
    ),
    Rule(
        "rvc-missing",
        _oc(RVC),
        FieldInvalid,
        "goods_items[0].origin_criterion.rvc_percentage",
        "RVC_REQUIRED",
    ),
    Rule(
        "rvc-zero",
        _oc(RVC, rvc="0"),
        FieldInvalid,
        "goods_items[0].origin_criterion.rvc_percentage.value",
        "RVC_RANGE",
    ),
    Rule(
        "rvc-over-100",
        _oc(RVC, rvc="100.01"),
        FieldInvalid,
        "goods_items[0].origin_criterion.rvc_percentage.value",
        "RVC_RANGE",
    ),
    Rule(
        "rvc-format",
        _oc(RVC, rvc="40%"),
        FieldInvalid,
        "goods_items[0].origin_criterion.rvc_percentage.value",
        "DECIMAL_FORMAT",
    ),
    Rule(
        "rvc-on-wo",
        _oc(WO, rvc="40"),
        FieldInvalid,
        "goods_items[0].origin_criterion.rvc_percentage",
        "RVC_NOT_ALLOWED",
    ),
    Rule(
        "ctc-missing-shift",
        _oc(CTC),
        FieldInvalid,
        "goods_items[0].origin_criterion.tariff_shift",
        "TARIFF_SHIFT_REQUIRED",
    ),
    Rule(
        "ctc-undefined-shift",
        _oc(CTC, shift=9),
        FieldInvalid,
        "goods_items[0].origin_criterion.tariff_shift",
        "ENUM_UNDEFINED",
    ),
    Rule(
        "shift-on-wo",
        _oc(WO, shift=2),
        FieldInvalid,
        "goods_items[0].origin_criterion.tariff_shift",
        "TARIFF_SHIFT_NOT_ALLOWED",
    ),
    Rule(
        "quantity-zero",
        _item0(quantity__value__value="0"),
        FieldInvalid,
        "goods_items[0].quantity.value",
        "QUANTITY_NOT_POSITIVE",
    ),
    Rule(
        "quantity-negative",
        _item0(quantity__value__value="-1"),
        FieldInvalid,
        "goods_items[0].quantity.value",
        "QUANTITY_NOT_POSITIVE",
    ),
    Rule(
        "quantity-exponent",
        _item0(quantity__value__value="1e5"),
        FieldInvalid,
        "goods_items[0].quantity.value",
        "DECIMAL_FORMAT",
    ),
    Rule(
        "quantity-precision",
        _item0(quantity__value__value="1.1234567891"),
        FieldInvalid,
        "goods_items[0].quantity.value",
        "DECIMAL_FORMAT",
    ),
    Rule(
        "quantity-too-big",
        _item0(quantity__value__value="1" * 19),
        FieldInvalid,
        "goods_items[0].quantity.value",
        "DECIMAL_FORMAT",
    ),
    Rule(
        "unit",
        _item0(quantity__unit_code="KILO"),
        FieldInvalid,
        "goods_items[0].quantity.unit_code",
        "UNIT_CODE",
    ),
    Rule(
        "weight-zero",
        _item0(gross_weight__value__value="0.000"),
        FieldInvalid,
        "goods_items[0].gross_weight.value",
        "WEIGHT_NOT_POSITIVE",
    ),
    Rule(
        "currency",
        _fob("usd", "1.00"),
        FieldInvalid,
        "goods_items[0].fob_value.currency_code",
        "CURRENCY_CODE",
    ),
    Rule(
        "fob-negative",
        _fob("USD", "-1.00"),
        FieldInvalid,
        "goods_items[0].fob_value.amount.value",
        "AMOUNT_NEGATIVE",
    ),
    Rule(
        "fob-minor-units",
        _fob("JPY", "100.5"),
        FieldInvalid,
        "goods_items[0].fob_value.amount.value",
        "AMOUNT_MINOR_UNITS",
    ),
    Rule(
        "fob-three-digits-usd",
        _fob("USD", "1.005"),
        FieldInvalid,
        "goods_items[0].fob_value.amount.value",
        "AMOUNT_MINOR_UNITS",
    ),
    Rule(
        "transport-mode",
        _set("transport.mode", 42),
        FieldInvalid,
        "transport.mode",
        "ENUM_UNDEFINED",
    ),
    Rule("control-char", _set("remarks", "a\x00b"), FieldInvalid, "remarks", "CONTROL_CHARACTER"),
    Rule(
        "c1-control",
        _set("issue_place", "a\x85b"),
        FieldInvalid,
        "issue_place",
        "CONTROL_CHARACTER",
    ),
    Rule(
        "escape-in-line",
        lambda co: co.exporter.address.lines.append("x\x1by"),
        FieldInvalid,
        "exporter.address.lines[-1]",
        "CONTROL_CHARACTER",
    ),
    Rule("too-long", _set("remarks", "r" * 4097), FieldInvalid, "remarks", "STRING_TOO_LONG"),
    Rule(
        "replaces-incomplete",
        lambda co: co.replaces.CopyFrom(
            certificate_pb2.CertificateReference(
                exporting_country=co.exporting_country,
                certificate_number="OLD-1" if co.certificate_number != "OLD-1" else "OLD-2",
            )
        ),
        FieldInvalid,
        "replaces.issuing_authority_id",
        "REFERENCE_INCOMPLETE",
    ),
    Rule(
        "replaces-other-authority",
        lambda co: co.replaces.CopyFrom(
            certificate_pb2.CertificateReference(
                exporting_country=co.exporting_country,
                issuing_authority_id="other-office",
                certificate_number="OLD-1" if co.certificate_number != "OLD-1" else "OLD-2",
            )
        ),
        FieldInvalid,
        "replaces.issuing_authority_id",
        "REPLACES_OTHER_ISSUER",
    ),
    Rule(
        "replaces-self",
        lambda co: co.replaces.CopyFrom(
            certificate_pb2.CertificateReference(
                exporting_country=co.exporting_country,
                issuing_authority_id=co.issuing_authority.id,
                certificate_number=co.certificate_number,
            )
        ),
        FieldInvalid,
        "replaces.certificate_number",
        "REPLACES_SELF",
    ),
    Rule(
        "original-bad-number",
        lambda co: co.original_certificate.CopyFrom(
            certificate_pb2.CertificateReference(
                exporting_country="XC", issuing_authority_id="xc-office", certificate_number="#1"
            )
        ),
        FieldInvalid,
        "original_certificate.certificate_number",
        "CERTIFICATE_NUMBER_FORMAT",
    ),
]

ALL_RULES = MISSING + AGREEMENT + INVALID


def _resolve(field: str, co: CO) -> str:
    """Resolve ``[-1]`` indexes of a rule's field path against the mutated CO."""
    if "[-1]" not in field:
        return field
    head, _, tail = field.partition("[-1]")
    target: object = co
    for part in head.split("."):
        target = getattr(target, part)
    return f"{head}[{len(target) - 1}]{tail}"  # type: ignore[arg-type]


def _check_rule(rule: Rule, co: CO) -> EcoError:
    rule.mutate(co)
    with pytest.raises(rule.error) as info:
        validate(co)
    error = info.value
    fields = [v.field for v in error.violations]
    assert _resolve(rule.field, co) in fields, (rule.name, error.diagnostics())
    if rule.code:
        codes = {v.field: v.code for v in error.violations}
        assert codes[_resolve(rule.field, co)] == rule.code, (rule.name, error.diagnostics())
    if rule.error is FieldMissing:
        assert all(v.code == "FIELD_MISSING" for v in error.violations)
    return error


def test_reference_co_is_valid() -> None:
    assert validate(valid_co()) == []


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.name for r in ALL_RULES])
def test_each_rule_broken_alone_on_the_reference_co(rule: Rule) -> None:
    co = valid_co()
    error = _check_rule(rule, co)
    # On the reference CO exactly one violation is reported.
    assert len(error.violations) == 1, error.diagnostics()
    assert (
        error.reason
        == {
            FieldMissing: "FIELD_MISSING",
            FieldInvalid: "FIELD_INVALID",
            AgreementUnsupported: "AGREEMENT_UNSUPPORTED",
        }[rule.error]
    )


@CORE_SETTINGS
@given(co=certificates())
def test_generated_valid_certificates_pass(co: CO) -> None:
    findings = validate(co)
    codes = [f.code for f in findings]
    assert ("ISSUED_RETROACTIVELY" in codes) == co.flags.issued_retroactively
    rvc_without_fob = [
        i
        for i, item in enumerate(co.goods_items)
        if item.origin_criterion.type == RVC and not item.HasField("fob_value")
    ]
    assert codes.count("FOB_VALUE_MISSING") == len(rvc_without_fob)
    assert all(f.severity == envelope_pb2.FINDING_SEVERITY_WARNING for f in findings)


@CORE_SETTINGS
@given(co=certificates(), rule=st.sampled_from(ALL_RULES))
def test_generated_certificate_with_one_broken_rule(co: CO, rule: Rule) -> None:
    _check_rule(rule, co)


def test_missing_fields_take_precedence_and_are_listed_together() -> None:
    co = valid_co()
    co.certificate_number = ""
    co.goods_items[1].hs_code = ""
    co.goods_items[0].hs_code = "1"  # invalid, but missing wins
    co.agreement_id = "NOPE"  # unsupported, but missing wins
    with pytest.raises(FieldMissing) as info:
        validate(co)
    assert [v.field for v in info.value.violations] == [
        "certificate_number",
        "goods_items[1].hs_code",
    ]


def test_invalid_fields_are_listed_together() -> None:
    co = valid_co()
    co.goods_items[0].hs_code = "1"
    co.goods_items[1].quantity.unit_code = "ZZZ"
    co.remarks = "\x07"
    with pytest.raises(FieldInvalid) as info:
        validate(co)
    assert sorted(v.field for v in info.value.violations) == [
        "goods_items[0].hs_code",
        "goods_items[1].quantity.unit_code",
        "remarks",
    ]


def test_goods_item_limit_is_message_too_large() -> None:
    co = valid_co(items=3)
    with pytest.raises(MessageTooLarge) as info:
        validate(co, limits=Limits(max_goods_items=2))
    assert info.value.reason == "MESSAGE_TOO_LARGE"
    assert validate(co, limits=Limits(max_goods_items=3)) == []


def test_line_feed_and_tab_are_allowed_and_4096_characters_fit() -> None:
    co = valid_co()
    co.remarks = "line 1\nline\t2" + "x" * (4096 - 13)
    assert len(co.remarks) == 4096
    assert validate(co) == []


def test_warnings_for_retroactive_issue_and_rvc_without_fob() -> None:
    co = valid_co()
    co.flags.issued_retroactively = True
    oc = co.goods_items[1].origin_criterion
    oc.type = RVC  # type: ignore[assignment]
    oc.rvc_percentage.value = "40"
    co.goods_items[1].ClearField("fob_value")
    findings = validate(co)
    assert [(f.field, f.code) for f in findings] == [
        ("flags.issued_retroactively", "ISSUED_RETROACTIVELY"),
        ("goods_items[1].fob_value", "FOB_VALUE_MISSING"),
    ]


def test_issue_date_tomorrow_is_accepted() -> None:
    co = valid_co()
    _date(co.issue_date, TODAY + dt.timedelta(days=1))
    assert validate(co) == []


# -- lifecycle and verification documents ------------------------------------------------


def _ref() -> certificate_pb2.CertificateReference:
    return certificate_pb2.CertificateReference(
        exporting_country="XA", issuing_authority_id="xa-customs", certificate_number="N1"
    )


def _status_change(**kwargs: object) -> lifecycle_pb2.StatusChange:
    change = lifecycle_pb2.StatusChange(
        certificate=_ref(), new_state=lifecycle_pb2.ISSUER_STATE_CANCELLED, reason="error"
    )
    change.effective_time.seconds = 1_700_000_000
    for k, v in kwargs.items():
        if v is None:
            change.ClearField(k)
        else:
            setattr(change, k, v)
    return change


def test_status_change_rules() -> None:
    assert validate(_status_change()) == []
    with pytest.raises(FieldMissing) as missing:
        validate(_status_change(reason="", effective_time=None))
    assert [v.field for v in missing.value.violations] == ["reason", "effective_time"]
    for state in (0, lifecycle_pb2.ISSUER_STATE_ISSUED, lifecycle_pb2.ISSUER_STATE_REPLACED, 9):
        with pytest.raises(FieldInvalid) as invalid:
            validate(_status_change(new_state=state))
        assert "new_state" in [v.field for v in invalid.value.violations]
    with pytest.raises(FieldMissing) as no_ref:
        validate(_status_change(certificate=None))
    assert [v.field for v in no_ref.value.violations] == ["certificate"]


def _outcome(state: int, **kwargs: object) -> lifecycle_pb2.ImportOutcome:
    outcome = lifecycle_pb2.ImportOutcome(
        certificate=_ref(),
        importing_country="XB",
        new_state=state,  # type: ignore[arg-type]
    )
    for k, v in kwargs.items():
        setattr(outcome, k, v)
    return outcome


def test_import_outcome_rules() -> None:
    assert validate(_outcome(lifecycle_pb2.IMPORT_STATE_ACCEPTED)) == []
    with pytest.raises(FieldMissing) as missing:
        validate(_outcome(lifecycle_pb2.IMPORT_STATE_REJECTED))
    assert [v.field for v in missing.value.violations] == ["reason_code"]
    with pytest.raises(FieldMissing) as usage_missing:
        validate(_outcome(lifecycle_pb2.IMPORT_STATE_FULLY_USED))
    assert [v.field for v in usage_missing.value.violations] == [
        "usages",
        "import_declaration_number",
    ]
    used = _outcome(lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, import_declaration_number="D1")
    used.usages.add(item_number=1).quantity.value = "0"
    with pytest.raises(FieldInvalid) as invalid:
        validate(used)
    assert [v.field for v in invalid.value.violations] == ["usages[0].quantity.value"]
    used.usages[0].quantity.value = "1.5"
    assert validate(used) == []
    for state in (0, lifecycle_pb2.IMPORT_STATE_RECEIVED, 42):
        with pytest.raises(FieldInvalid):
            validate(_outcome(state))
    with pytest.raises(FieldInvalid) as same:
        validate(_outcome(lifecycle_pb2.IMPORT_STATE_ACCEPTED, importing_country="XA"))
    assert same.value.violations[0].code == "SAME_COUNTRY"


def _request(**kwargs: object) -> verification_pb2.VerificationRequest:
    request = verification_pb2.VerificationRequest(
        verification_id="3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2a",
        certificate=_ref(),
        requesting_country="XB",
        reasons=[verification_pb2.VERIFICATION_REASON_RANDOM],
    )
    _date(request.response_deadline, TODAY + dt.timedelta(days=90))
    for k, v in kwargs.items():
        if v is None:
            request.ClearField(k)
        elif isinstance(v, list):
            request.ClearField(k)
            getattr(request, k).extend(v)
        else:
            setattr(request, k, v)
    return request


def test_verification_request_rules() -> None:
    assert validate(_request()) == []
    with pytest.raises(FieldMissing) as missing:
        validate(_request(reasons=None, response_deadline=None))
    assert [v.field for v in missing.value.violations] == ["reasons", "response_deadline"]
    with pytest.raises(FieldMissing):
        validate(_request(reasons=[0]))
    with pytest.raises(FieldInvalid) as bad_id:
        validate(_request(verification_id="not-a-uuid"))
    assert bad_id.value.violations[0].field == "verification_id"
    with pytest.raises(FieldInvalid) as bad_reason:
        validate(_request(reasons=[1, 0, 17]))
    assert [v.field for v in bad_reason.value.violations] == ["reasons[1]", "reasons[2]"]


def test_verification_result_rules() -> None:
    result = verification_pb2.VerificationResult(
        verification_id="3f2b8c1e-2d4a-4c7e-9b1a-0f6d5e4c3b2a",
        certificate=_ref(),
        outcome=verification_pb2.VERIFICATION_OUTCOME_CONFIRMED,
    )
    assert validate(result) == []
    result.outcome = verification_pb2.VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED
    with pytest.raises(FieldMissing) as missing:
        validate(result)
    assert [v.field for v in missing.value.violations] == ["non_originating_items"]
    result.non_originating_items.append(2)
    assert validate(result) == []
    result.outcome = verification_pb2.VERIFICATION_OUTCOME_UNSPECIFIED
    with pytest.raises(FieldMissing):
        validate(result)
    result.outcome = verification_pb2.VERIFICATION_OUTCOME_CONFIRMED
    with pytest.raises(FieldInvalid) as invalid:
        validate(result)
    assert invalid.value.violations[0].code == "ITEMS_NOT_ALLOWED"
