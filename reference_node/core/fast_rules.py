"""The fast path of the field rules of a certificate of origin (docs/spec.md section 4).

Most submissions break no rule. For them the checks here give the same
outcome as the rule-by-rule path of :mod:`reference_node.core.validation`
at a fraction of the cost: each field is read once, no field path is
built, no Decimal or datetime is created per goods item. They only ever
answer "no rule is broken" (REQ-CO-004..013, and the FOB warning of
REQ-CO-015) or "not sure": whenever a check fails, or a value is unusual
enough that the fast check is unsure (e.g. ``"-0"`` as an amount), the
rule-by-rule path decides and names the violations, so errors and their
order are always those of the latter. Nothing here raises a field error.

A CO's fields are read by two hand-written passes (goods items,
everything else) that also serve the generic rules (REQ-CO-011,
REQ-CO-013); they are used only while the schema has exactly the strings
and enums they read, else the generic rules read the fields through code
generated once per message type from its descriptor (as they do for the
other document types, see :func:`generic_rules_hold`).

The mandatory fields (REQ-CO-002), the agreement and size rules (REQ-CO-003,
REQ-CO-008) and the certificate references (REQ-CO-014) are not repeated
here: :mod:`reference_node.core.validation` checks them with its own rules
before and after :func:`certificate_findings`.

``tests/reference_node/core/test_core_validation_fast.py`` checks that the
fast path and the rule-by-rule path agree on the outcome of every input.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from collections.abc import Callable
from typing import Any, cast

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from reference_node.core.codelists import CodeLists
from reference_node.core.rule_helpers import (
    AUTHORITY_ID_RE,
    CERTIFICATE_NUMBER_RE,
    CONTROL_RE,
    MAX_STRING,
    ONE_DAY,
    warning_finding,
)
from wco.eco.v1 import certificate_pb2, envelope_pb2

__all__ = ["certificate_findings", "generic_rules_hold"]

_OC = certificate_pb2
_RVC = _OC.ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT
_CTC = _OC.ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION


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


def generic_rules_hold(message: Message) -> bool:
    """Whether no string or enum of the tree breaks REQ-CO-011 or REQ-CO-013.

    Only a True answer is final; on False, the rule-by-rule walk of
    :mod:`reference_node.core.validation` locates and names the violations.
    """
    strings: list[str] = []
    # The generated equivalent of _collect (see _gatherer).
    return _gatherer(message.DESCRIPTOR)(message, strings) and _strings_ok(strings)


# -- code generated once per message type from its descriptor ------------------------

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

    It exists for speed: :func:`_collect` interprets a plan per message and
    pays a ``getattr`` and a loop per field, while the generated function
    reads each field as a plain attribute in one straight-line body. The
    source is built with ``exec`` once per (type, ``skip``) and cached. Only
    names taken from the compiled-in schema reach that source: protobuf
    field names (identifiers by the protobuf grammar; a Python keyword is
    read through ``getattr`` with its quoted name) and local names made
    here. Submitted input never does; the sets of defined enum values are
    passed in the namespace, not written into the source.
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
    if len(joined) > MAX_STRING and max(map(len, strings)) > MAX_STRING:
        return False
    # Control characters are not printable; the search is needed only when
    # some character is not (e.g. a line feed or a tab, which are allowed).
    return joined.isprintable() or CONTROL_RE.search(joined) is None


# -- certificate of origin: predicates over the goods items and the other fields -----

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
                    warning_finding(
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
    """An ordered key of a ``google.type.Date`` that ``validation._date`` accepts, else None."""
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


def _dates_fast(co: certificate_pb2.CertificateOfOrigin, today: dt.date) -> int | None:
    """The date rules of a CO (REQ-CO-006): the latest key a goods item's dates may have.

    ``None`` when a date is invalid or out of order (the rule-by-rule path
    then names it).
    """
    issue = co.issue_date
    issue_key = _date_key(issue)
    if issue_key is None:
        return None
    issue_date = dt.date(issue.year, issue.month, issue.day)
    if issue_date > today + ONE_DAY:
        return None
    latest = _key_of(issue_date + ONE_DAY) if issue_date < dt.date.max else issue_key
    for holder, name in ((co.exporter_declaration, "date"), (co.transport, "departure_date")):
        if holder.HasField(name):
            key = _date_key(getattr(holder, name))
            if key is None or key > latest:
                return None
    certification = co.certification
    if certification.HasField("date") and _date_key(certification.date) is None:
        return None
    return latest


def _co_header_fast(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, today: dt.date
) -> int | None:
    """``validation._co_header`` as a predicate: its ``latest`` as a date key if it reports nothing.

    Returns None when ``validation._co_header`` would report a violation, and may
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
    return _dates_fast(co, today)


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
    """``validation._party`` as a predicate; gathers its strings (REQ-CO-005, REQ-CO-011)."""
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
    return _dates_fast(co, today)


def certificate_findings(
    co: certificate_pb2.CertificateOfOrigin, *, lists: CodeLists, today: dt.date
) -> list[envelope_pb2.Finding] | None:
    """The FOB warnings of a CO that breaks no rule checked here, else ``None``.

    Checked here: REQ-CO-004..013 on every field, and REQ-CO-002 on the
    goods items. The caller checks the other mandatory fields, the agreement
    and the size first, and the references (REQ-CO-014) after.

    ``None`` does not mean a rule is broken, only that the rule-by-rule
    path must decide. A list holds the ``FOB_VALUE_MISSING`` warnings of
    REQ-CO-015 in goods item order, as that path would return them.
    """
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
    if not _strings_ok(strings):
        return None
    return findings
