"""Field rules of submitted documents (docs/spec.md sections 4, 7, 8).

:func:`validate_document` applies, after parsing (REQ-CO-001), the static
rules of each document type:

* CertificateOfOrigin: REQ-CO-002..014, and the warnings of REQ-CO-015;
* StatusChange: the field rules of REQ-LC-002;
* ImportOutcome: the static parts of REQ-LC-005 and REQ-LC-006;
* VerificationRequest / VerificationResult: the static parts of
  REQ-VER-001 and REQ-VER-002.

All violations of one kind are collected and reported together: missing
mandatory fields first (``FieldMissing``, listing only those), then
agreement and size rules, then every other rule (``FieldInvalid``). Field
paths use protobuf field names joined by ``.`` with ``[i]`` for repeated
fields, e.g. ``goods_items[2].hs_code``.

This module holds the rules one by one, as the spec states them. A
certificate of origin is first checked by a fast path that only answers "no
rule is broken" (:func:`_fast_certificate`, mostly in
:mod:`reference_node.core.fast_rules`); any other case goes through the
rules here, which name the violations. Both give the same outcome on every
input (see ``tests/reference_node/core/test_core_validation_fast.py``). The
generic string and enum rules (REQ-CO-011, REQ-CO-013) likewise walk the
tree here only when the fast check of
:func:`~reference_node.core.fast_rules.generic_rules_hold` finds a
violation. Formats both paths share are in
:mod:`reference_node.core.rule_helpers`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from reference_node.core.codelists import CodeLists
from reference_node.core.documents import Document
from reference_node.core.errors import (
    AgreementUnsupported,
    FieldInvalid,
    FieldMissing,
    FieldViolation,
    MessageTooLarge,
)
from reference_node.core.fast_rules import certificate_findings, generic_rules_hold
from reference_node.core.limits import Limits
from reference_node.core.rule_helpers import (
    AUTHORITY_ID_RE,
    CERTIFICATE_NUMBER_RE,
    CONTROL_RE,
    MAX_STRING,
    ONE_DAY,
    warning_finding,
)
from wco.eco.v1 import certificate_pb2, envelope_pb2, lifecycle_pb2, verification_pb2

__all__ = [
    "CERTIFICATE_NUMBER_RE",
    "DECIMAL_RE",
    "UUID_RE",
    "decimal_value",
    "validate_document",
]

DECIMAL_RE = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,9})?")
HS_CODE_RE = re.compile(r"[0-9]{6}(?:[0-9]{2}){0,2}")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TS_MIN = -62135596800  # 0001-01-01T00:00:00Z
_TS_MAX = 253402300799  # 9999-12-31T23:59:59Z

_OC = certificate_pb2
_RVC = _OC.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
_CTC = _OC.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION
_USAGE_STATES = frozenset(
    {lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, lifecycle_pb2.IMPORT_STATE_FULLY_USED}
)
_REASON_STATES = frozenset(
    {lifecycle_pb2.IMPORT_STATE_REJECTED, lifecycle_pb2.IMPORT_STATE_PREFERENCE_DENIED}
)
_OUTCOME_STATES = frozenset(
    {
        lifecycle_pb2.IMPORT_STATE_ACCEPTED,
        lifecycle_pb2.IMPORT_STATE_ACCEPTED_WITH_WARNINGS,
        lifecycle_pb2.IMPORT_STATE_REJECTED,
        lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED,
        lifecycle_pb2.IMPORT_STATE_FULLY_USED,
        lifecycle_pb2.IMPORT_STATE_PREFERENCE_DENIED,
    }
)
_STATUS_CHANGE_STATES = frozenset(
    {lifecycle_pb2.ISSUER_STATE_CANCELLED, lifecycle_pb2.ISSUER_STATE_REVOKED}
)


def decimal_value(text: str) -> Decimal | None:
    """Parse a ``google.type.Decimal`` value under REQ-CO-010, or ``None`` if invalid."""
    if DECIMAL_RE.fullmatch(text) is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        return None


class _Collector:
    """Collects violations with their kind (missing or invalid)."""

    __slots__ = ("invalid", "missing")

    def __init__(self) -> None:
        self.missing: list[FieldViolation] = []
        self.invalid: list[FieldViolation] = []

    def miss(self, field: str, description: str = "mandatory field is missing") -> None:
        self.missing.append(FieldViolation(field, description, "FIELD_MISSING"))

    def bad(self, field: str, description: str, code: str) -> None:
        self.invalid.append(FieldViolation(field, description, code))

    def raise_missing(self) -> None:
        if self.missing:
            raise FieldMissing(
                f"{len(self.missing)} mandatory field(s) missing", violations=self.missing
            )

    def raise_invalid(self) -> None:
        if self.invalid:
            raise FieldInvalid(f"{len(self.invalid)} field(s) invalid", violations=self.invalid)


# -- generic rules over the whole message tree (REQ-CO-011, REQ-CO-013) --------------


def _check_tree(message: Message, out: _Collector) -> None:
    """REQ-CO-011 and REQ-CO-013 over the whole message tree."""
    if not generic_rules_hold(message):
        _walk(message, "", out)


def _walk(message: Message, prefix: str, out: _Collector) -> None:
    """Check every string (length, control characters) and enum (defined value)."""
    for fd, value in message.ListFields():
        path = f"{prefix}{fd.name}"
        ftype = fd.type
        if ftype == FieldDescriptor.TYPE_MESSAGE:
            if fd.is_repeated:
                for i, item in enumerate(value):
                    _walk(item, f"{path}[{i}].", out)
            else:
                _walk(value, f"{path}.", out)
        elif ftype == FieldDescriptor.TYPE_STRING:
            if fd.is_repeated:
                for i, item in enumerate(value):
                    _check_string(f"{path}[{i}]", item, out)
            else:
                _check_string(path, value, out)
        elif ftype == FieldDescriptor.TYPE_ENUM:
            enum_type = fd.enum_type
            if enum_type is None:  # pragma: no cover - enum fields always have one
                continue
            defined = enum_type.values_by_number
            if fd.is_repeated:
                for i, item in enumerate(value):
                    if item not in defined:
                        out.bad(f"{path}[{i}]", f"undefined enum value {item}", "ENUM_UNDEFINED")
            elif value not in defined:
                out.bad(path, f"undefined enum value {value}", "ENUM_UNDEFINED")


def _check_string(path: str, value: str, out: _Collector) -> None:
    if len(value) > MAX_STRING:
        out.bad(path, f"longer than {MAX_STRING} characters", "STRING_TOO_LONG")
    if CONTROL_RE.search(value) is not None:
        out.bad(path, "contains a control character", "CONTROL_CHARACTER")


# -- small field helpers --------------------------------------------------------------


def _date(path: str, value: object, out: _Collector) -> dt.date | None:
    """Return a ``google.type.Date`` as a date, reporting invalid ones (REQ-CO-006)."""
    year, month, day = value.year, value.month, value.day  # type: ignore[attr-defined]
    if not 1900 <= year <= 9999:
        out.bad(path, "year must be 1900..9999", "DATE_INVALID")
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        out.bad(path, "not a valid calendar date", "DATE_INVALID")
        return None


def _timestamp_ok(path: str, value: object, out: _Collector) -> None:
    seconds, nanos = value.seconds, value.nanos  # type: ignore[attr-defined]
    if not _TS_MIN <= seconds <= _TS_MAX or not 0 <= nanos <= 999_999_999:
        out.bad(path, "timestamp out of range", "TIMESTAMP_INVALID")


def _decimal(path: str, text: str, out: _Collector) -> Decimal | None:
    value = decimal_value(text)
    if value is None:
        out.bad(path, "not a decimal matching -?[0-9]{1,18}(.[0-9]{1,9})?", "DECIMAL_FORMAT")
    return value


def _country(path: str, code: str, lists: CodeLists, out: _Collector) -> None:
    if code and code not in lists.countries:
        out.bad(path, f"{code!r} is not an ISO 3166-1 alpha-2 code", "COUNTRY_CODE")


def _reference(
    path: str,
    ref: certificate_pb2.CertificateReference,
    lists: CodeLists,
    out: _Collector,
    *,
    missing_is_invalid: bool,
) -> None:
    """Check a certificate reference is complete and well-formed (REQ-CO-014)."""
    parts = (
        ("exporting_country", ref.exporting_country),
        ("issuing_authority_id", ref.issuing_authority_id),
        ("certificate_number", ref.certificate_number),
    )
    for name, value in parts:
        if not value:
            if missing_is_invalid:
                out.bad(f"{path}.{name}", "reference is incomplete", "REFERENCE_INCOMPLETE")
            else:
                out.miss(f"{path}.{name}")
    if ref.exporting_country:
        _country(f"{path}.exporting_country", ref.exporting_country, lists, out)
    if ref.issuing_authority_id and AUTHORITY_ID_RE.fullmatch(ref.issuing_authority_id) is None:
        out.bad(
            f"{path}.issuing_authority_id",
            "must match ^[a-z0-9][a-z0-9-]{0,63}$",
            "AUTHORITY_ID_FORMAT",
        )
    if ref.certificate_number and CERTIFICATE_NUMBER_RE.fullmatch(ref.certificate_number) is None:
        out.bad(
            f"{path}.certificate_number",
            "must match ^[A-Za-z0-9][A-Za-z0-9/.-]{0,34}$",
            "CERTIFICATE_NUMBER_FORMAT",
        )


# -- certificate of origin (REQ-CO-002..015) -----------------------------------------


def _co_missing(co: certificate_pb2.CertificateOfOrigin, out: _Collector) -> None:
    """REQ-CO-002 and the flag-dependent requirements of REQ-CO-012."""
    _co_missing_parts(co, out, items=co.goods_items)


def _co_missing_parts(
    co: certificate_pb2.CertificateOfOrigin, out: _Collector, *, items: Any
) -> None:
    """:func:`_co_missing` with the goods items to look at given separately.

    :func:`_fast_certificate` passes no items: it checks their mandatory
    fields in its own pass over them.
    """
    for name in (
        "certificate_number",
        "agreement_id",
        "form_type",
        "exporting_country",
        "importing_country",
    ):
        if not getattr(co, name):
            out.miss(name)
    if not co.issuing_authority.id:
        out.miss("issuing_authority.id")
    if not co.issuing_authority.name:
        out.miss("issuing_authority.name")
    if not co.HasField("issue_date"):
        out.miss("issue_date")
    for party in ("exporter", "consignee"):
        p = getattr(co, party)
        if not p.name:
            out.miss(f"{party}.name")
        if not p.address.country:
            out.miss(f"{party}.address.country")
    if not co.goods_items:
        out.miss("goods_items", "at least one goods item is required")
    for i, item in enumerate(items):
        quantity = item.quantity
        if (
            item.item_number
            and item.description
            and item.hs_code
            and item.hs_edition
            and item.origin_criterion.type
            and quantity.value.value
            and quantity.unit_code
        ):
            continue  # nothing missing: no path to build
        base = f"goods_items[{i}]"
        if item.item_number == 0:
            out.miss(f"{base}.item_number")
        if not item.description:
            out.miss(f"{base}.description")
        if not item.hs_code:
            out.miss(f"{base}.hs_code")
        if not item.hs_edition:
            out.miss(f"{base}.hs_edition")
        if item.origin_criterion.type == _OC.ORIGIN_CRITERION_TYPE_UNSPECIFIED:
            out.miss(f"{base}.origin_criterion.type")
        if not item.quantity.value.value:
            out.miss(f"{base}.quantity.value")
        if not item.quantity.unit_code:
            out.miss(f"{base}.quantity.unit_code")
    flags = co.flags
    if flags.third_party_invoicing and not co.third_party_operator.name:
        out.miss("third_party_operator.name", "required when flags.third_party_invoicing is set")
    if flags.back_to_back and not co.HasField("original_certificate"):
        out.miss("original_certificate", "required when flags.back_to_back is set")
    if flags.exhibition and not flags.exhibition_details:
        out.miss("flags.exhibition_details", "required when flags.exhibition is set")


def _party(path: str, party: certificate_pb2.Party, lists: CodeLists, out: _Collector) -> None:
    _country(f"{path}.address.country", party.address.country, lists, out)
    for j, ident in enumerate(party.identifiers):
        _country(f"{path}.identifiers[{j}].issuing_country", ident.issuing_country, lists, out)


def _goods_item(
    i: int,
    *,
    item: certificate_pb2.GoodsItem,
    lists: CodeLists,
    out: _Collector,
    latest: dt.date | None,
    findings: list[envelope_pb2.Finding],
) -> None:
    base = f"goods_items[{i}]"
    if item.item_number != i + 1:  # REQ-CO-008
        out.bad(f"{base}.item_number", f"must be {i + 1} (1..n in order)", "ITEM_NUMBER_SEQUENCE")
    hs = item.hs_code  # REQ-CO-007
    if HS_CODE_RE.fullmatch(hs) is None:
        out.bad(f"{base}.hs_code", "must be 6, 8 or 10 digits", "HS_CODE_FORMAT")
    else:
        chapter = int(hs[:2])
        if not 1 <= chapter <= 97 or chapter == 77:
            out.bad(f"{base}.hs_code", f"chapter {hs[:2]} does not exist", "HS_CODE_CHAPTER")
    if item.hs_edition not in lists.hs_editions:
        out.bad(f"{base}.hs_edition", "not in the HS_EDITION code list", "HS_EDITION")
    _origin_criterion(f"{base}.origin_criterion", item, out, findings, base)
    quantity = _decimal(f"{base}.quantity.value", item.quantity.value.value, out)  # REQ-CO-010
    if quantity is not None and quantity <= 0:
        out.bad(f"{base}.quantity.value", "must be greater than zero", "QUANTITY_NOT_POSITIVE")
    if item.quantity.unit_code not in lists.units:
        out.bad(f"{base}.quantity.unit_code", "not in the UNIT code list", "UNIT_CODE")
    if item.HasField("gross_weight"):
        weight = _decimal(f"{base}.gross_weight.value", item.gross_weight.value.value, out)
        if weight is not None and weight <= 0:
            out.bad(
                f"{base}.gross_weight.value", "must be greater than zero", "WEIGHT_NOT_POSITIVE"
            )
        unit = item.gross_weight.unit_code
        if unit and unit not in lists.units:
            out.bad(f"{base}.gross_weight.unit_code", "not in the UNIT code list", "UNIT_CODE")
    if item.HasField("fob_value"):
        _money(f"{base}.fob_value", item.fob_value, lists, out)
    if item.HasField("invoice_date"):
        invoice = _date(f"{base}.invoice_date", item.invoice_date, out)
        if invoice is not None and latest is not None and invoice > latest:
            out.bad(f"{base}.invoice_date", "later than the issue date", "DATE_AFTER_ISSUE")
    _country(f"{base}.origin_country", item.origin_country, lists, out)


def _origin_criterion(
    path: str,
    item: certificate_pb2.GoodsItem,
    out: _Collector,
    findings: list[envelope_pb2.Finding],
    base: str,
) -> None:
    """REQ-CO-009 (undefined enum values are reported by the generic walk)."""
    oc = item.origin_criterion
    has_rvc = oc.HasField("rvc_percentage")
    if oc.type == _RVC:
        if not has_rvc or not oc.rvc_percentage.value:
            out.bad(f"{path}.rvc_percentage", "required for REGIONAL_VALUE_CONTENT", "RVC_REQUIRED")
        else:
            pct = _decimal(f"{path}.rvc_percentage.value", oc.rvc_percentage.value, out)
            if pct is not None and not Decimal(0) < pct <= Decimal(100):
                out.bad(f"{path}.rvc_percentage.value", "must be > 0 and <= 100", "RVC_RANGE")
        if not item.HasField("fob_value"):
            findings.append(
                warning_finding(
                    f"{base}.fob_value", "FOB_VALUE_MISSING", "RVC item without FOB value"
                )
            )
    elif has_rvc:
        out.bad(
            f"{path}.rvc_percentage", "only allowed for REGIONAL_VALUE_CONTENT", "RVC_NOT_ALLOWED"
        )
    if oc.type == _CTC:
        if oc.tariff_shift == _OC.TARIFF_SHIFT_UNSPECIFIED:
            out.bad(
                f"{path}.tariff_shift",
                "required for CHANGE_IN_TARIFF_CLASSIFICATION",
                "TARIFF_SHIFT_REQUIRED",
            )
    elif oc.tariff_shift != _OC.TARIFF_SHIFT_UNSPECIFIED:
        out.bad(
            f"{path}.tariff_shift",
            "only allowed for CHANGE_IN_TARIFF_CLASSIFICATION",
            "TARIFF_SHIFT_NOT_ALLOWED",
        )


def _money(
    path: str, money: certificate_pb2.MonetaryAmount, lists: CodeLists, out: _Collector
) -> None:
    """REQ-CO-010 for a monetary amount."""
    digits = lists.currencies.get(money.currency_code)
    if digits is None:
        out.bad(
            f"{path}.currency_code", "not an ISO 4217 code of the CURRENCY list", "CURRENCY_CODE"
        )
    text = money.amount.value
    amount = _decimal(f"{path}.amount.value", text, out)
    if amount is None:
        return
    if amount < 0:
        out.bad(f"{path}.amount.value", "must not be negative", "AMOUNT_NEGATIVE")
    if digits is not None:
        fraction = text.partition(".")[2]
        if len(fraction) > digits:
            out.bad(
                f"{path}.amount.value",
                f"at most {digits} decimal digits for {money.currency_code}",
                "AMOUNT_MINOR_UNITS",
            )


def _fast_certificate(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, limits: Limits, today: dt.date
) -> list[envelope_pb2.Finding] | None:
    """The findings of a CO that breaks no rule of REQ-CO-002..014, else ``None``.

    ``None`` does not mean a rule is broken, only that the rule-by-rule
    path must decide; a list means that path would raise nothing and
    return these findings (REQ-CO-015). The mandatory fields outside the
    goods items, the agreement, the size and the references are checked by
    the rules of this module; everything else by
    :func:`~reference_node.core.fast_rules.certificate_findings`.
    """
    out = _Collector()
    _co_missing_parts(co, out, items=())
    if (
        out.missing
        or co.agreement_id not in lists.agreements
        or not lists.form_belongs(co.agreement_id, co.form_type)
        or len(co.goods_items) > limits.max_goods_items
    ):
        return None
    findings = certificate_findings(co, lists=lists, today=today)
    if findings is None:
        return None
    _co_references(co, lists=lists, out=out)
    if out.invalid:
        return None
    return _retroactive(co, findings)


def _co_header(
    co: certificate_pb2.CertificateOfOrigin,
    *,
    lists: CodeLists,
    today: dt.date,
    out: _Collector,
) -> dt.date | None:
    """REQ-CO-004..006 on the fields outside the goods items.

    Returns:
        The latest date a goods item's invoice may carry (issue date plus
        one day), or ``None`` when the issue date is invalid.
    """
    # REQ-CO-004
    if CERTIFICATE_NUMBER_RE.fullmatch(co.certificate_number) is None:
        out.bad(
            "certificate_number",
            "must match ^[A-Za-z0-9][A-Za-z0-9/.-]{0,34}$",
            "CERTIFICATE_NUMBER_FORMAT",
        )
    if AUTHORITY_ID_RE.fullmatch(co.issuing_authority.id) is None:
        out.bad(
            "issuing_authority.id", "must match ^[a-z0-9][a-z0-9-]{0,63}$", "AUTHORITY_ID_FORMAT"
        )
    # REQ-CO-005
    _country("exporting_country", co.exporting_country, lists, out)
    _country("importing_country", co.importing_country, lists, out)
    if co.exporting_country == co.importing_country:
        out.bad("importing_country", "must differ from exporting_country", "SAME_COUNTRY")
    _country("issuing_authority.address.country", co.issuing_authority.address.country, lists, out)
    _party("exporter", co.exporter, lists, out)
    for j, producer in enumerate(co.producers):
        _party(f"producers[{j}]", producer, lists, out)
    _party("consignee", co.consignee, lists, out)
    if co.HasField("importer"):
        _party("importer", co.importer, lists, out)
    if co.HasField("third_party_operator"):
        _party("third_party_operator", co.third_party_operator, lists, out)
    for j, transit in enumerate(co.transport.transit_countries):
        if not transit:
            out.bad(f"transport.transit_countries[{j}]", "empty country code", "COUNTRY_CODE")
        _country(f"transport.transit_countries[{j}]", transit, lists, out)
    # REQ-CO-006
    issue = _date("issue_date", co.issue_date, out)
    latest: dt.date | None = None
    if issue is not None:
        if issue > today + ONE_DAY:
            out.bad("issue_date", "later than the current date plus one day", "ISSUE_DATE_FUTURE")
        # 9999-12-31 has no next day; no date is later than it anyway.
        latest = issue + ONE_DAY if issue < dt.date.max else issue
    for path, holder, name in (
        ("exporter_declaration.date", co.exporter_declaration, "date"),
        ("transport.departure_date", co.transport, "departure_date"),
    ):
        if holder.HasField(name):
            value = _date(path, getattr(holder, name), out)
            if value is not None and latest is not None and value > latest:
                out.bad(path, "later than the issue date", "DATE_AFTER_ISSUE")
    if co.certification.HasField("date"):
        _date("certification.date", co.certification.date, out)
    return latest


def _co_references(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, out: _Collector
) -> None:
    """REQ-CO-014: the replaced and the original certificate references."""
    if co.HasField("replaces"):
        _reference("replaces", co.replaces, lists, out, missing_is_invalid=True)
        if co.replaces.exporting_country and co.replaces.exporting_country != co.exporting_country:
            out.bad(
                "replaces.exporting_country",
                "must equal the CO's exporting_country",
                "REPLACES_OTHER_ISSUER",
            )
        if (
            co.replaces.issuing_authority_id
            and co.replaces.issuing_authority_id != co.issuing_authority.id
        ):
            out.bad(
                "replaces.issuing_authority_id",
                "must equal the CO's issuing_authority.id",
                "REPLACES_OTHER_ISSUER",
            )
        if co.replaces.certificate_number == co.certificate_number:
            out.bad(
                "replaces.certificate_number", "must differ from the CO's number", "REPLACES_SELF"
            )
    if co.HasField("original_certificate"):
        _reference(
            "original_certificate", co.original_certificate, lists, out, missing_is_invalid=True
        )


def _retroactive(
    co: certificate_pb2.CertificateOfOrigin, findings: list[envelope_pb2.Finding]
) -> list[envelope_pb2.Finding]:
    """REQ-CO-015: the retroactive-issue warning comes first."""
    if co.flags.issued_retroactively:
        findings.insert(
            0,
            warning_finding(
                "flags.issued_retroactively", "ISSUED_RETROACTIVELY", "CO issued retroactively"
            ),
        )
    return findings


def _precise_certificate(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, today: dt.date
) -> list[envelope_pb2.Finding]:
    """REQ-CO-004..015 rule by rule, naming every violation (section 4).

    The reference for :func:`_fast_certificate`: it reports the violations
    in their order (header rules, goods items, references, then the generic
    rules of the whole tree in field-number order).

    Raises:
        FieldInvalid: At least one rule is broken (all listed).
    """
    out = _Collector()
    findings: list[envelope_pb2.Finding] = []
    latest = _co_header(co, lists=lists, today=today, out=out)
    # REQ-CO-007..010 per item
    for i, item in enumerate(co.goods_items):
        _goods_item(i, item=item, lists=lists, out=out, latest=latest, findings=findings)
    _co_references(co, lists=lists, out=out)
    # REQ-CO-011, REQ-CO-013
    _check_tree(co, out)
    out.raise_invalid()
    return _retroactive(co, findings)


def _validate_certificate(
    co: certificate_pb2.CertificateOfOrigin,
    *,
    lists: CodeLists,
    limits: Limits,
    today: dt.date,
) -> list[envelope_pb2.Finding]:
    """REQ-CO-002..015 in the order of section 4.

    :func:`_fast_certificate` answers when no rule is broken. Otherwise
    the rules run one by one: missing fields, then agreement and size, then
    :func:`_precise_certificate`, which names every violation.
    """
    findings = _fast_certificate(co, lists=lists, limits=limits, today=today)
    if findings is not None:
        return findings
    return _slow_certificate(co, lists=lists, limits=limits, today=today)


def _slow_certificate(
    co: certificate_pb2.CertificateOfOrigin,
    *,
    lists: CodeLists,
    limits: Limits,
    today: dt.date,
) -> list[envelope_pb2.Finding]:
    """REQ-CO-002..015 one rule after the other, naming every violation (section 4)."""
    out = _Collector()
    _co_missing(co, out)
    out.raise_missing()
    # REQ-CO-003
    if co.agreement_id not in lists.agreements:
        raise AgreementUnsupported(
            f"agreement {co.agreement_id!r} is not supported",
            violations=[
                FieldViolation("agreement_id", "not in the AGREEMENT code list", "AGREEMENT")
            ],
        )
    if not lists.form_belongs(co.agreement_id, co.form_type):
        raise AgreementUnsupported(
            f"form type {co.form_type!r} does not belong to agreement {co.agreement_id!r}",
            violations=[
                FieldViolation("form_type", "not a FORM_TYPE of the agreement", "FORM_TYPE")
            ],
        )
    # REQ-CO-008 (count)
    if len(co.goods_items) > limits.max_goods_items:
        raise MessageTooLarge(
            f"{len(co.goods_items)} goods items exceed the limit of {limits.max_goods_items}"
        )
    return _precise_certificate(co, lists=lists, today=today)


# -- lifecycle documents (REQ-LC-002, REQ-LC-005, REQ-LC-006) ------------------------


def _certificate_field(
    holder: Message, lists: CodeLists, out: _Collector
) -> certificate_pb2.CertificateReference:
    ref: certificate_pb2.CertificateReference = holder.certificate  # type: ignore[attr-defined]
    if not holder.HasField("certificate"):
        out.miss("certificate")
    else:
        _reference("certificate", ref, lists, out, missing_is_invalid=False)
    return ref


def _validate_status_change(
    change: lifecycle_pb2.StatusChange, *, lists: CodeLists
) -> list[envelope_pb2.Finding]:
    out = _Collector()
    _certificate_field(change, lists, out)
    if not change.reason:
        out.miss("reason")
    if not change.HasField("effective_time"):
        out.miss("effective_time")
    out.raise_missing()
    if change.new_state not in _STATUS_CHANGE_STATES:
        out.bad("new_state", "a StatusChange sets CANCELLED or REVOKED", "NEW_STATE_INVALID")
    _timestamp_ok("effective_time", change.effective_time, out)
    _check_tree(change, out)
    out.raise_invalid()
    return []


def _validate_import_outcome(
    outcome: lifecycle_pb2.ImportOutcome, *, lists: CodeLists
) -> list[envelope_pb2.Finding]:
    out = _Collector()
    ref = _certificate_field(outcome, lists, out)
    if not outcome.importing_country:
        out.miss("importing_country")
    state = outcome.new_state
    if state in _REASON_STATES and not outcome.reason_code:
        out.miss("reason_code", "required for REJECTED and PREFERENCE_DENIED")
    if state in _USAGE_STATES:
        if not outcome.usages:
            out.miss("usages", "at least one usage is required for PARTIALLY_USED and FULLY_USED")
        if not outcome.import_declaration_number:
            out.miss("import_declaration_number")
    for i, usage in enumerate(outcome.usages):
        if usage.item_number == 0:
            out.miss(f"usages[{i}].item_number")
        if not usage.quantity.value:
            out.miss(f"usages[{i}].quantity.value")
    out.raise_missing()
    if state not in _OUTCOME_STATES:
        out.bad("new_state", "not an import outcome state", "NEW_STATE_INVALID")
    _country("importing_country", outcome.importing_country, lists, out)
    if ref.exporting_country == outcome.importing_country:
        out.bad("importing_country", "must differ from the exporting country", "SAME_COUNTRY")
    if outcome.usages and state not in _USAGE_STATES:
        out.bad("usages", "only PARTIALLY_USED and FULLY_USED carry usages", "USAGES_NOT_ALLOWED")
    for i, usage in enumerate(outcome.usages):
        quantity = _decimal(f"usages[{i}].quantity.value", usage.quantity.value, out)
        if quantity is not None and quantity <= 0:
            out.bad(
                f"usages[{i}].quantity.value", "must be greater than zero", "QUANTITY_NOT_POSITIVE"
            )
    if outcome.HasField("effective_time"):
        _timestamp_ok("effective_time", outcome.effective_time, out)
    _check_tree(outcome, out)
    out.raise_invalid()
    return []


# -- verification documents (REQ-VER-001, REQ-VER-002) -------------------------------


def _verification_id(value: str, out: _Collector) -> None:
    if value and UUID_RE.fullmatch(value) is None:
        out.bad("verification_id", "must be a UUID in canonical form", "UUID_FORMAT")


def _validate_verification_request(
    request: verification_pb2.VerificationRequest, *, lists: CodeLists
) -> list[envelope_pb2.Finding]:
    out = _Collector()
    if not request.verification_id:
        out.miss("verification_id")
    ref = _certificate_field(request, lists, out)
    if not request.requesting_country:
        out.miss("requesting_country")
    if not any(r != verification_pb2.VERIFICATION_REASON_UNSPECIFIED for r in request.reasons):
        out.miss("reasons", "at least one reason other than UNSPECIFIED is required")
    if not request.HasField("response_deadline"):
        out.miss("response_deadline")
    out.raise_missing()
    _verification_id(request.verification_id, out)
    _country("requesting_country", request.requesting_country, lists, out)
    if ref.exporting_country == request.requesting_country:
        out.bad("requesting_country", "must differ from the exporting country", "SAME_COUNTRY")
    for i, reason in enumerate(request.reasons):
        if reason == verification_pb2.VERIFICATION_REASON_UNSPECIFIED:
            out.bad(f"reasons[{i}]", "UNSPECIFIED is not a reason", "REASON_UNSPECIFIED")
    _date("response_deadline", request.response_deadline, out)
    for i, number in enumerate(request.item_numbers):
        if number == 0:
            out.bad(f"item_numbers[{i}]", "item numbers start at 1", "ITEM_NUMBER_INVALID")
    _check_tree(request, out)
    out.raise_invalid()
    return []


def _validate_verification_result(
    result: verification_pb2.VerificationResult, *, lists: CodeLists
) -> list[envelope_pb2.Finding]:
    out = _Collector()
    if not result.verification_id:
        out.miss("verification_id")
    _certificate_field(result, lists, out)
    if result.outcome == verification_pb2.VERIFICATION_OUTCOME_UNSPECIFIED:
        out.miss("outcome")
    partial = result.outcome == verification_pb2.VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED
    if partial and not result.non_originating_items:
        out.miss("non_originating_items", "required for PARTIALLY_CONFIRMED")
    out.raise_missing()
    _verification_id(result.verification_id, out)
    if result.non_originating_items and not partial:
        out.bad(
            "non_originating_items",
            "only PARTIALLY_CONFIRMED names non-originating items",
            "ITEMS_NOT_ALLOWED",
        )
    for i, number in enumerate(result.non_originating_items):
        if number == 0:
            out.bad(f"non_originating_items[{i}]", "item numbers start at 1", "ITEM_NUMBER_INVALID")
    if result.HasField("response_date"):
        _date("response_date", result.response_date, out)
    _check_tree(result, out)
    out.raise_invalid()
    return []


# -- entry point -----------------------------------------------------------------------


def validate_document(
    doc: Document, *, codelists: CodeLists, limits: Limits, today: dt.date
) -> list[envelope_pb2.Finding]:
    """Apply the static field rules of a document (section 5.4 step 8).

    Args:
        doc: The parsed document.
        codelists: Code lists of the receiving node.
        limits: Limits of the receiving node.
        today: The receiver's current UTC date (REQ-CO-006).

    Returns:
        Warning findings that do not prevent acceptance (REQ-CO-015).

    Raises:
        FieldMissing: Mandatory fields are missing (all listed).
        AgreementUnsupported: Agreement or form type not supported (REQ-CO-003).
        MessageTooLarge: More goods items than ``limits.max_goods_items``.
        FieldInvalid: Other field rules are broken (all listed).
    """
    message = doc.message
    if isinstance(message, certificate_pb2.CertificateOfOrigin):
        return _validate_certificate(message, lists=codelists, limits=limits, today=today)
    if isinstance(message, lifecycle_pb2.StatusChange):
        return _validate_status_change(message, lists=codelists)
    if isinstance(message, lifecycle_pb2.ImportOutcome):
        return _validate_import_outcome(message, lists=codelists)
    if isinstance(message, verification_pb2.VerificationRequest):
        return _validate_verification_request(message, lists=codelists)
    if isinstance(message, verification_pb2.VerificationResult):
        return _validate_verification_result(message, lists=codelists)
    raise TypeError(f"no field rules for {type(message).__name__}")
