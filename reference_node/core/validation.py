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

A certificate of origin is first checked by a fast path that only answers
"no rule is broken" (:func:`_fast_certificate`); any other case goes
through the rules one by one, which name the violations. Both give the same
outcome on every input (see ``tests/reference_node/core/test_core_validation_fast.py``).
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

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
from reference_node.core.limits import Limits
from wco.eco.v1 import certificate_pb2, envelope_pb2, lifecycle_pb2, verification_pb2

__all__ = [
    "CERTIFICATE_NUMBER_RE",
    "DECIMAL_RE",
    "UUID_RE",
    "decimal_value",
    "validate_document",
]

CERTIFICATE_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/.\-]{0,34}")
AUTHORITY_ID_RE = re.compile(r"[a-z0-9][a-z0-9\-]{0,63}")
DECIMAL_RE = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,9})?")
HS_CODE_RE = re.compile(r"[0-9]{6}(?:[0-9]{2}){0,2}")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MAX_STRING = 4096
_ONE_DAY = dt.timedelta(days=1)
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

# Per message type: its string, enum and message fields, so the fast check
# below does no descriptor work per call. Message fields whose type has
# nothing to check (e.g. google.type.Date) are left out.
_Plan = tuple[
    tuple[tuple[str, bool], ...],
    tuple[tuple[str, bool, frozenset[int]], ...],
    tuple[tuple[str, bool], ...],
]
_PLANS: dict[object, _Plan] = {}


def _plan(descriptor: Any, visiting: frozenset[str] = frozenset()) -> _Plan:
    plan = _PLANS.get(descriptor)
    if plan is not None:
        return plan
    strings: list[tuple[str, bool]] = []
    enums: list[tuple[str, bool, frozenset[int]]] = []
    messages: list[tuple[str, bool]] = []
    inner = visiting | {descriptor.full_name}
    for fd in descriptor.fields:
        if fd.type == FieldDescriptor.TYPE_STRING:
            strings.append((fd.name, fd.is_repeated))
        elif fd.type == FieldDescriptor.TYPE_ENUM and fd.enum_type is not None:
            enums.append((fd.name, fd.is_repeated, frozenset(fd.enum_type.values_by_number)))
        elif fd.type == FieldDescriptor.TYPE_MESSAGE and fd.message_type is not None:
            sub = fd.message_type
            if sub.full_name in inner or any(_plan(sub, inner)):
                messages.append((fd.name, fd.is_repeated))
    plan = (tuple(strings), tuple(enums), tuple(messages))
    if not visiting:
        _PLANS[descriptor] = plan
    return plan


def _collect(message: Message, strings: list[str]) -> bool:
    """Gather every string of the tree; False as soon as an enum is undefined."""
    plan = _PLANS.get(message.DESCRIPTOR)
    if plan is None:
        plan = _plan(message.DESCRIPTOR)
    string_fields, enum_fields, message_fields = plan
    for name, repeated in string_fields:
        if repeated:
            strings.extend(getattr(message, name))
        else:
            strings.append(getattr(message, name))
    for name, repeated, defined in enum_fields:
        if repeated:
            for number in getattr(message, name):
                if number not in defined:
                    return False
        elif getattr(message, name) not in defined:
            return False
    for name, repeated in message_fields:
        if repeated:
            for item in getattr(message, name):
                if not _collect(item, strings):
                    return False
        elif message.HasField(name) and not _collect(getattr(message, name), strings):
            return False
    return True


def _tree_ok(message: Message) -> bool:
    """Fast check of the generic rules; :func:`_walk` then locates violations."""
    strings: list[str] = []
    # The generated equivalent of _collect (see _gatherer).
    return _gatherer(message.DESCRIPTOR)(message, strings) and _strings_ok(strings)


def _check_tree(message: Message, out: _Collector) -> None:
    """REQ-CO-011 and REQ-CO-013 over the whole message tree."""
    if not _tree_ok(message):
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
    if len(value) > _MAX_STRING:
        out.bad(path, f"longer than {_MAX_STRING} characters", "STRING_TOO_LONG")
    if _CONTROL_RE.search(value) is not None:
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


def _finding(field: str, code: str, message: str) -> envelope_pb2.Finding:
    return envelope_pb2.Finding(
        severity=envelope_pb2.FINDING_SEVERITY_WARNING,
        area=envelope_pb2.FINDING_AREA_BUSINESS_RULE,
        field=field,
        code=code,
        message=message,
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
                _finding(f"{base}.fob_value", "FOB_VALUE_MISSING", "RVC item without FOB value")
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


# -- fast path: every rule at once, answering only "nothing is broken" ----------------
#
# Most submissions break no rule. For them the checks below give the same
# outcome as the rule-by-rule path at a fraction of the cost: each field is
# read once, no field path is built, no Decimal or datetime is created per
# goods item. A CO's fields are read by two hand-written passes (goods
# items, everything else) that also serve the generic rules (REQ-CO-011,
# REQ-CO-013); they are used only while the schema has exactly the strings
# and enums they read, else the generic rules read the fields through code
# generated once per message type from its descriptor (as they do for the
# other document types). Whenever a check fails, or a value is unusual
# enough that the fast check is unsure (e.g. "-0" as an amount), the fast
# path gives up and the rule-by-rule path decides and names the violations,
# so errors and their order are always those of the latter.

_Gatherer = Callable[[Message, list[str]], bool]
_GATHERERS: dict[tuple[object, tuple[str, ...]], _Gatherer] = {}


def _emit_gather(
    descriptor: Any,
    var: str,
    indent: str,
    *,
    lines: list[str],
    strings: list[str],
    names: dict[str, object],
    visiting: frozenset[str],
    skip: tuple[str, ...] = (),
) -> None:
    """Emit the statements that gather ``var``'s strings and check its enums."""
    inner = visiting | {descriptor.full_name}
    for fd in descriptor.fields:
        if fd.name in skip:
            continue
        attr = f"getattr({var}, {fd.name!r})" if keyword.iskeyword(fd.name) else f"{var}.{fd.name}"
        if fd.type == FieldDescriptor.TYPE_STRING:
            if fd.is_repeated:
                lines.append(f"{indent}extend({attr})")
            else:
                strings.append(attr)
        elif fd.type == FieldDescriptor.TYPE_ENUM and fd.enum_type is not None:
            defined = f"_E{len(names)}"
            names[defined] = frozenset(fd.enum_type.values_by_number)
            if fd.is_repeated:
                lines.append(f"{indent}for v in {attr}:")
                lines.append(f"{indent}    if v not in {defined}:")
                lines.append(f"{indent}        return False")
            else:
                lines.append(f"{indent}if {attr} not in {defined}:")
                lines.append(f"{indent}    return False")
        elif fd.type == FieldDescriptor.TYPE_MESSAGE and fd.message_type is not None:
            sub = fd.message_type
            if sub.full_name in inner:  # recursive type: the generic walk
                if fd.is_repeated:
                    lines.append(f"{indent}for v in {attr}:")
                    lines.append(f"{indent}    if not _collect(v, strings):")
                    lines.append(f"{indent}        return False")
                else:
                    lines.append(
                        f"{indent}if {var}.HasField({fd.name!r}) and not _collect({attr}, strings):"
                    )
                    lines.append(f"{indent}    return False")
                continue
            if not any(_plan(sub)):
                continue  # e.g. google.type.Date: nothing to check
            local = f"m{len(names)}"
            names[local] = None
            if fd.is_repeated:
                lines.append(f"{indent}for {local} in {attr}:")
                body: list[str] = []
                _emit_gather(
                    sub,
                    local,
                    indent + "    ",
                    lines=lines,
                    strings=body,
                    names=names,
                    visiting=inner,
                )
                lines.append(
                    f"{indent}    extend(({', '.join(body)},))" if body else f"{indent}    pass"
                )
            else:
                # Unset messages are skipped (an unset message would read as
                # empty strings and enum defaults, which break no rule).
                lines.append(f"{indent}if {var}.HasField({fd.name!r}):")
                lines.append(f"{indent}    {local} = {attr}")
                body = []
                _emit_gather(
                    sub,
                    local,
                    indent + "    ",
                    lines=lines,
                    strings=body,
                    names=names,
                    visiting=inner,
                )
                if body:
                    lines.append(f"{indent}    extend(({', '.join(body)},))")


def _gatherer(descriptor: Any, skip: tuple[str, ...] = ()) -> _Gatherer:
    """Straight-line equivalent of :func:`_collect` for one message type.

    The returned function appends every string of the message tree (except
    the fields named in ``skip``) to its list and returns False as soon as
    an enum value is undefined, like :func:`_collect`.
    """
    key = (descriptor, skip)
    gather = _GATHERERS.get(key)
    if gather is not None:
        return gather
    lines: list[str] = []
    strings: list[str] = []
    names: dict[str, object] = {}
    _emit_gather(
        descriptor,
        "m",
        "    ",
        lines=lines,
        strings=strings,
        names=names,
        visiting=frozenset(),
        skip=skip,
    )
    if strings:
        lines.append(f"    extend(({', '.join(strings)},))")
    source = "\n".join(
        ["def gather(m, strings):", "    extend = strings.extend", *lines, "    return True"]
    )
    namespace: dict[str, Any] = {k: v for k, v in names.items() if v is not None} | {
        "_collect": _collect
    }
    exec(compile(source, f"<gather {descriptor.full_name}>", "exec"), namespace)  # noqa: S102
    gather = cast("_Gatherer", namespace["gather"])
    _GATHERERS[key] = gather
    return gather


def _strings_ok(strings: list[str]) -> bool:
    """REQ-CO-011 over gathered strings: length and control characters."""
    joined = " ".join(strings)
    if len(joined) > _MAX_STRING and max(map(len, strings)) > _MAX_STRING:
        return False
    # Control characters are not printable; the search is needed only when
    # some character is not (e.g. a line feed or a tab, which are allowed).
    return joined.isprintable() or _CONTROL_RE.search(joined) is None


# HS_CODE_RE and a chapter 01..97 other than 77 (REQ-CO-007).
_HS_FAST_RE = re.compile(r"(?:0[1-9]|[1-6][0-9]|7[0-689]|8[0-9]|9[0-7])[0-9]{4}(?:[0-9]{2}){0,2}")
# DECIMAL_RE without a sign and with a non-zero digit: exactly the values > 0.
_POSITIVE_RE = re.compile(r"(?=[0-9.]*[1-9])[0-9]{1,18}(?:\.[0-9]{1,9})?")
# Some values in (0, 100] (REQ-CO-009); others are left to the precise path.
_RVC_FAST_RE = re.compile(r"(?=[0-9.]*[1-9])(?:[0-9]{1,2}(?:\.[0-9]{1,9})?|100(?:\.0{1,9})?)")
_AMOUNT_RES: dict[int, re.Pattern[str]] = {}


def _amount_re(digits: int) -> re.Pattern[str]:
    """Unsigned DECIMAL_RE values with at most ``digits`` decimals (REQ-CO-010)."""
    pattern = _AMOUNT_RES.get(digits)
    if pattern is None:
        places = min(max(digits, 0), 9)
        fraction = rf"(?:\.[0-9]{{1,{places}}})?" if places else ""
        pattern = re.compile(r"[0-9]{1,18}" + fraction)
        _AMOUNT_RES[digits] = pattern
    return pattern


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _checked_leaves(
    descriptor: Any,
    prefix: str = "",
    *,
    skip: tuple[str, ...] = (),
    opaque: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """Paths of the strings and enums of a message tree (what REQ-CO-011/013 read).

    Fields named in ``skip`` are left out; a message field whose type's full
    name is in ``opaque`` is one entry ``path<Type>`` instead of its leaves.
    """
    leaves: list[str] = []
    for fd in descriptor.fields:
        if fd.name in skip:
            continue
        path = prefix + fd.name + ("[]" if fd.is_repeated else "")
        if fd.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_ENUM):
            leaves.append(path)
        elif fd.type == FieldDescriptor.TYPE_MESSAGE and fd.message_type is not None:
            if fd.message_type.full_name in opaque:
                leaves.append(f"{path}<{fd.message_type.name}>")
            else:
                leaves.extend(_checked_leaves(fd.message_type, path + ".", opaque=opaque))
    return tuple(leaves)


# The strings and enums :func:`_items_fast` reads from each goods item. If
# the schema gains one, the fast path is off until the function reads it too.
_ITEM_LEAVES = (
    "marks_and_numbers",
    "package_kind",
    "description",
    "hs_code",
    "hs_edition",
    "origin_criterion.type",
    "origin_criterion.rvc_percentage.value",
    "origin_criterion.tariff_shift",
    "origin_criterion.text",
    "quantity.value.value",
    "quantity.unit_code",
    "gross_weight.value.value",
    "gross_weight.unit_code",
    "fob_value.currency_code",
    "fob_value.amount.value",
    "invoice_number",
    "origin_country",
)
_ITEMS_FAST = _checked_leaves(certificate_pb2.GoodsItem.DESCRIPTOR) == _ITEM_LEAVES
_CRITERION_TYPES = frozenset(_OC.OriginCriterionType.values())
_TARIFF_SHIFTS = frozenset(_OC.TariffShift.values())


_CLEAN_LISTS: dict[int, tuple[CodeLists, bool]] = {}


def _lists_clean(lists: CodeLists) -> bool:
    """Whether no code of the lists a goods item is checked against breaks REQ-CO-011.

    Then a string found in one of these lists needs no length or control
    character check. Computed once per (immutable) :class:`CodeLists`.
    """
    entry = _CLEAN_LISTS.get(id(lists))
    if entry is not None and entry[0] is lists:
        return entry[1]
    codes = [*lists.units, *lists.currencies, *lists.hs_editions, *lists.countries]
    clean = _strings_ok(codes)
    if len(_CLEAN_LISTS) >= 64:
        _CLEAN_LISTS.clear()
    _CLEAN_LISTS[id(lists)] = (lists, clean)
    return clean


def _items_fast(
    items: Any,
    *,
    lists: CodeLists,
    latest: int,
    strings: list[str],
    findings: list[envelope_pb2.Finding],
) -> bool:
    """True if no goods item breaks a rule of REQ-CO-002 and REQ-CO-007..013.

    One pass per item reads each field once. Its enums are checked to be
    defined (REQ-CO-013). Its free-text strings go to ``strings`` for the
    length and control character rules (REQ-CO-011); every other string
    either matches a pattern of digits, dot and minus or is a code of a
    list that :func:`_lists_clean` found clean, so it cannot break them.
    Warnings are appended to ``findings``. A value of an unset message
    reads as empty, which every rule below treats like the absent message
    or leaves to the precise path.
    """
    hs_fullmatch = _HS_FAST_RE.fullmatch
    positive = _POSITIVE_RE.fullmatch
    countries = lists.countries
    units = lists.units
    currencies = lists.currencies
    editions = lists.hs_editions
    amount_res = _AMOUNT_RES
    criterion_types = _CRITERION_TYPES
    tariff_shifts = _TARIFF_SHIFTS
    days_in_month = _DAYS_IN_MONTH
    rvc_type = _RVC
    extend = strings.extend
    for number, item in enumerate(items, 1):
        quantity = item.quantity
        quantity_value = quantity.value.value
        unit = quantity.unit_code
        hs_edition = item.hs_edition
        oc = item.origin_criterion
        kind = oc.type
        shift = oc.tariff_shift
        origin = item.origin_country
        description = item.description
        if (
            item.item_number != number
            or not description
            or not hs_edition
            or not kind
            or not unit
            or hs_fullmatch(item.hs_code) is None
            or hs_edition not in editions
            or positive(quantity_value) is None
            or unit not in units
            or (origin and origin not in countries)
            or kind not in criterion_types
            or shift not in tariff_shifts
            or (shift == _OC.TARIFF_SHIFT_UNSPECIFIED) == (kind == _CTC)
        ):
            return False
        extend(
            (item.marks_and_numbers, item.package_kind, description, oc.text, item.invoice_number)
        )
        money = item.fob_value
        amount = money.amount.value
        if amount:
            digits = currencies.get(money.currency_code)
            if digits is None:
                return False
            pattern = amount_res.get(digits) or _amount_re(digits)
            if pattern.fullmatch(amount) is None:
                return False
            has_fob = True
        elif item.HasField("fob_value"):
            return False
        else:
            has_fob = False
        if kind == rvc_type:
            if _RVC_FAST_RE.fullmatch(oc.rvc_percentage.value) is None:
                return False
            if not has_fob:
                findings.append(
                    _finding(
                        f"goods_items[{number - 1}].fob_value",
                        "FOB_VALUE_MISSING",
                        "RVC item without FOB value",
                    )
                )
        elif oc.HasField("rvc_percentage"):
            return False
        weight = item.gross_weight
        weight_value = weight.value.value
        if weight_value:
            if positive(weight_value) is None:
                return False
            weight_unit = weight.unit_code
            if weight_unit and weight_unit not in units:
                return False
        elif item.HasField("gross_weight"):
            return False
        invoice = item.invoice_date
        year = invoice.year
        if year:  # _date_key, inline
            month = invoice.month
            day = invoice.day
            if (
                not 1900 <= year <= 9999
                or not 1 <= month <= 12
                or not 1 <= day <= days_in_month[month]
                or (month == 2 and day == 29 and not _leap(year))
                or (year * 13 + month) * 32 + day > latest
            ):
                return False
        elif item.HasField("invoice_date"):
            return False
    return True


def _date_key(value: object) -> int | None:
    """An ordered key of a ``google.type.Date`` that :func:`_date` accepts, else None."""
    year, month, day = value.year, value.month, value.day  # type: ignore[attr-defined]
    if (
        not 1900 <= year <= 9999
        or not 1 <= month <= 12
        or not 1 <= day <= _DAYS_IN_MONTH[month]
        or (month == 2 and day == 29 and not _leap(year))
    ):
        return None
    return int((year * 13 + month) * 32 + day)


def _key_of(date: dt.date) -> int:
    """The key :func:`_date_key` gives the same date."""
    return (date.year * 13 + date.month) * 32 + date.day


def _co_header_fast(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, today: dt.date
) -> int | None:
    """:func:`_co_header` as a predicate: the date key of its ``latest`` if no rule is broken.

    Returns None when :func:`_co_header` would report a violation, and may
    return None in other cases too (the precise path then decides).
    """
    countries = lists.countries
    issuing_authority = co.issuing_authority
    exporting = co.exporting_country
    importing = co.importing_country
    if (
        CERTIFICATE_NUMBER_RE.fullmatch(co.certificate_number) is None
        or AUTHORITY_ID_RE.fullmatch(issuing_authority.id) is None
        or (exporting and exporting not in countries)
        or (importing and importing not in countries)
        or exporting == importing
    ):
        return None
    country = issuing_authority.address.country
    if country and country not in countries:
        return None
    # An unset importer or third-party operator reads as an empty party.
    for party in (co.exporter, *co.producers, co.consignee, co.importer, co.third_party_operator):
        country = party.address.country
        if country and country not in countries:
            return None
        for ident in party.identifiers:
            country = ident.issuing_country
            if country and country not in countries:
                return None
    transport = co.transport
    for country in transport.transit_countries:
        if not country or country not in countries:
            return None
    issue = co.issue_date
    issue_key = _date_key(issue)
    if issue_key is None:
        return None
    issue_date = dt.date(issue.year, issue.month, issue.day)
    if issue_date > today + _ONE_DAY:
        return None
    latest = _key_of(issue_date + _ONE_DAY) if issue_date < dt.date.max else issue_key
    for holder, name in ((co.exporter_declaration, "date"), (transport, "departure_date")):
        if holder.HasField(name):
            key = _date_key(getattr(holder, name))
            if key is None or key > latest:
                return None
    certification = co.certification
    if certification.HasField("date") and _date_key(certification.date) is None:
        return None
    return latest


# The strings and enums :func:`_co_top_fast` reads outside the goods items
# (a Party's through :func:`_party_fast`); the hand-written pass is used
# only while the schema has exactly these.
_PARTY_LEAVES = (
    "name",
    "address.lines[]",
    "address.city",
    "address.postal_code",
    "address.region",
    "address.country",
    "identifiers[].scheme",
    "identifiers[].value",
    "identifiers[].issuing_country",
    "email",
    "phone",
)
_TOP_LEAVES = (
    "certificate_number",
    "agreement_id",
    "form_type",
    "exporting_country",
    "importing_country",
    "issuing_authority.id",
    "issuing_authority.name",
    "issuing_authority.address.lines[]",
    "issuing_authority.address.city",
    "issuing_authority.address.postal_code",
    "issuing_authority.address.region",
    "issuing_authority.address.country",
    "issue_place",
    "exporter<Party>",
    "producers[]<Party>",
    "consignee<Party>",
    "importer<Party>",
    "transport.mode",
    "transport.conveyance_name",
    "transport.voyage_number",
    "transport.port_of_loading",
    "transport.port_of_discharge",
    "transport.transit_countries[]",
    "transport.route",
    "flags.exhibition_details",
    "remarks",
    "exporter_declaration.place",
    "exporter_declaration.signatory_name",
    "exporter_declaration.text",
    "certification.officer_name",
    "certification.place",
    "certification.text",
    "replaces.exporting_country",
    "replaces.issuing_authority_id",
    "replaces.certificate_number",
    "third_party_operator<Party>",
    "original_certificate.exporting_country",
    "original_certificate.issuing_authority_id",
    "original_certificate.certificate_number",
    "language_code",
)
_TOP_FAST = (
    _checked_leaves(certificate_pb2.Party.DESCRIPTOR) == _PARTY_LEAVES
    and _checked_leaves(
        certificate_pb2.CertificateOfOrigin.DESCRIPTOR,
        skip=("goods_items",),
        opaque=(certificate_pb2.Party.DESCRIPTOR.full_name,),
    )
    == _TOP_LEAVES
)
_TRANSPORT_MODES = frozenset(_OC.TransportMode.values())


def _party_fast(
    party: certificate_pb2.Party, countries: frozenset[str], strings: list[str]
) -> bool:
    """:func:`_party` as a predicate; gathers the party's strings (REQ-CO-005, REQ-CO-011)."""
    address = party.address
    country = address.country
    if country and country not in countries:
        return False
    strings.extend(address.lines)
    strings.extend(
        (party.name, party.email, party.phone, address.city, address.postal_code, address.region)
    )
    for ident in party.identifiers:
        country = ident.issuing_country
        if country and country not in countries:
            return False
        strings.extend((ident.scheme, ident.value))
    return True


def _co_top_fast(
    co: certificate_pb2.CertificateOfOrigin,
    *,
    lists: CodeLists,
    today: dt.date,
    strings: list[str],
) -> int | None:
    """:func:`_co_header_fast` and the generic rules outside the goods items in one pass.

    Gathers the strings of every field outside the goods items into
    ``strings`` (country codes found in the clean COUNTRY list excepted)
    and checks the one enum there (REQ-CO-011, REQ-CO-013).

    Returns:
        The date key of the latest invoice date allowed, or None when a
        rule may be broken (the precise path then decides).
    """
    countries = lists.countries
    extend = strings.extend
    authority = co.issuing_authority
    address = authority.address
    number = co.certificate_number
    authority_id = authority.id
    exporting = co.exporting_country
    importing = co.importing_country
    country = address.country
    if (
        CERTIFICATE_NUMBER_RE.fullmatch(number) is None
        or AUTHORITY_ID_RE.fullmatch(authority_id) is None
        or (exporting and exporting not in countries)
        or (importing and importing not in countries)
        or exporting == importing
        or (country and country not in countries)
    ):
        return None
    extend(address.lines)
    extend(
        (
            co.agreement_id,
            co.form_type,
            authority.name,
            address.city,
            address.postal_code,
            address.region,
            co.issue_place,
            co.remarks,
            co.language_code,
            co.flags.exhibition_details,
        )
    )
    for party in co.producers:
        if not _party_fast(party, countries, strings):
            return None
    if not _party_fast(co.exporter, countries, strings) or not _party_fast(
        co.consignee, countries, strings
    ):
        return None
    for name in ("importer", "third_party_operator"):
        if co.HasField(name) and not _party_fast(getattr(co, name), countries, strings):
            return None
    transport = co.transport
    if transport.mode not in _TRANSPORT_MODES:
        return None
    for country in transport.transit_countries:
        if not country or country not in countries:
            return None
    extend(
        (
            transport.conveyance_name,
            transport.voyage_number,
            transport.port_of_loading,
            transport.port_of_discharge,
            transport.route,
        )
    )
    if co.HasField("exporter_declaration"):
        declaration = co.exporter_declaration
        extend((declaration.place, declaration.signatory_name, declaration.text))
    certification = co.certification
    extend((certification.officer_name, certification.place, certification.text))
    for name in ("replaces", "original_certificate"):
        if co.HasField(name):
            ref = getattr(co, name)
            extend((ref.exporting_country, ref.issuing_authority_id, ref.certificate_number))
    issue = co.issue_date
    issue_key = _date_key(issue)
    if issue_key is None:
        return None
    issue_date = dt.date(issue.year, issue.month, issue.day)
    if issue_date > today + _ONE_DAY:
        return None
    latest = _key_of(issue_date + _ONE_DAY) if issue_date < dt.date.max else issue_key
    for holder, name in ((co.exporter_declaration, "date"), (transport, "departure_date")):
        if holder.HasField(name):
            key = _date_key(getattr(holder, name))
            if key is None or key > latest:
                return None
    if certification.HasField("date") and _date_key(certification.date) is None:
        return None
    return latest


def _fast_certificate(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, limits: Limits, today: dt.date
) -> list[envelope_pb2.Finding] | None:
    """The findings of a CO that breaks no rule of REQ-CO-002..014, else ``None``.

    ``None`` does not mean a rule is broken, only that the rule-by-rule
    path must decide; a list means that path would raise nothing and
    return these findings (REQ-CO-015).
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
    strings: list[str] = []
    findings: list[envelope_pb2.Finding] = []
    if _TOP_FAST:
        latest = _co_top_fast(co, lists=lists, today=today, strings=strings)
    else:
        latest = _co_header_fast(co, lists=lists, today=today)
        if latest is not None and not _gatherer(co.DESCRIPTOR, ("goods_items",))(co, strings):
            return None
    if latest is None or not _lists_clean(lists):
        return None
    if not _ITEMS_FAST or not _items_fast(
        co.goods_items, lists=lists, latest=latest, strings=strings, findings=findings
    ):
        return None
    _co_references(co, lists=lists, out=out)
    if out.invalid:
        return None
    if not _strings_ok(strings):
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
        if issue > today + _ONE_DAY:
            out.bad("issue_date", "later than the current date plus one day", "ISSUE_DATE_FUTURE")
        # 9999-12-31 has no next day; no date is later than it anyway.
        latest = issue + _ONE_DAY if issue < dt.date.max else issue
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
            _finding(
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
