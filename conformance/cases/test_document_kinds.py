"""Profile ``core``: every check of section 5.4 on every document kind (docs/spec.md 3, 5, 7, 8).

A node must apply the signer, authorisation and field checks to status changes, import
outcomes, verification requests and verification results exactly as it applies them to
certificates, whichever country sends them: XA, whose issuer directory the node has loaded,
and XC, for which it holds none. Each case here sends one document of one kind
(:mod:`conformance.document_kinds`) with exactly one thing wrong and checks the refusal
(code and reason, REQ-ERR-001/002) and that nothing became readable (REQ-PUSH-002).

The documents other than certificates concern a certificate nobody issued: the checks of
steps 5 to 8 of section 5.4 come before the lifecycle lookup of step 9, so a valid one is
refused NOT_FOUND ``UNKNOWN_DOCUMENT`` (the control case) and a faulty one with the reason
of its fault. A node that looks the certificate up first is wrong twice over: it breaks the
order of checks and answers an unauthenticated caller about existence.

Two outcomes follow the order of checks rather than the field rule: from XA (directory
loaded) a CO whose issue date is not a date, or whose agreement nobody is granted, is
``SIGNER_NOT_AUTHORISED`` (REQ-AUTH-003, step 7: no grant covers it), while from XC it is
``FIELD_INVALID`` / ``AGREEMENT_UNSUPPORTED`` (step 8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import pytest
from google.protobuf.message import Message
from google.type import date_pb2  # type: ignore[import-untyped]

from conformance import document_kinds as kinds
from conformance.client import Outcome, Target
from conformance.judge import (
    assert_accepted,
    assert_not_readable,
    assert_refused,
    signed_submission,
)
from conformance.pki import Credential, SuitePki
from conformance.strategies import CodeLists, reference_of
from wco.eco.v1 import (
    certificate_pb2,
    exchange_service_pb2,
    lifecycle_pb2,
    verification_pb2,
)

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
XC = "XC"
SENDERS: Final = (XA, XC)
_LOADED = f" (does the node hold XA's issuer directory <pki>/{XA}/directory.pb?)"
#: What a valid document of each kind gets (see the module text).
_UNKNOWN: Final = ("NOT_FOUND", "UNKNOWN_DOCUMENT")


def _context(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, sender: str
) -> kinds.DocumentContext:
    return kinds.DocumentContext(
        sender=sender, node_country=target.node_country, pki=suite_pki, code_lists=code_lists
    )


def _send(
    target: Target, kind: str, message: Message, signer: Credential, sender: str
) -> tuple[Any, Outcome[exchange_service_pb2.SubmitDocumentResponse]]:
    submission = signed_submission(
        message.SerializeToString(), signer, caller=sender, payload_type=kinds.KIND_TYPES[kind]
    )
    return submission, target.submit(sender, submission.request)


def _judge(
    target: Target,
    kind: str,
    message: Message,
    submission: Any,
    outcome: Outcome[exchange_service_pb2.SubmitDocumentResponse],
    *,
    expected: tuple[str, str] | None,
    rule: str,
    fields: tuple[str, ...] = (),
) -> None:
    """Accepted when ``expected`` is None, else refused with it and nothing readable."""
    if expected is None:
        assert_accepted(target, submission, outcome, now=dt.datetime.now(dt.UTC), rule=rule)
        return
    code, reason = expected
    assert_refused(outcome, code=code, reason=reason, rule=rule, fields=fields)
    certificate = (
        reference_of(message) if isinstance(message, certificate_pb2.CertificateOfOrigin) else None
    )
    assert_not_readable(
        target,
        caller=submission.caller,
        request_id=submission.request_id,
        certificate=certificate,
        rule=f"REQ-PUSH-002 ({rule})",
    )


def _valid_outcome(kind: str) -> tuple[str, str] | None:
    return None if kind == "certificate" else _UNKNOWN


@pytest.mark.requirement("REQ-PUSH-002", "REQ-LC-001", "REQ-VER-001", "REQ-VER-002")
@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("kind", kinds.KINDS)
def test_valid_document_of_each_kind(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, kind: str, sender: str
) -> None:
    """Control: a valid document passes steps 5 to 8 (a CO is accepted, the others: step 9)."""
    ctx = _context(target, suite_pki, code_lists, sender)
    message = kinds.build(kind, ctx)
    submission, outcome = _send(target, kind, message, suite_pki.country(sender).authority, sender)
    _judge(
        target,
        kind,
        message,
        submission,
        outcome,
        expected=_valid_outcome(kind),
        rule=f"section 5.4: valid {kind} from {sender} about a certificate nobody issued",
    )


# ---------------------------------------------------------------------------
# signer checks: revocation (REQ-PKI-005) and authority (REQ-AUTH-001, REQ-AUTH-002)


@dataclass(frozen=True, kw_only=True)
class _SignerCheck:
    """One signer fault: who signs, from which senders, and what each kind gets."""

    signer: Callable[[SuitePki, str], Credential]
    senders: tuple[str, ...]
    expected: Callable[[str], tuple[str, str] | None]
    rule: str


def _other_country(sender: str) -> str:
    return XC if sender == XA else XA


_NOT_AUTHORISED: Final = ("PERMISSION_DENIED", "SIGNER_NOT_AUTHORISED")
#: Kinds REQ-AUTH-002 binds to the CO's own issuing authority.
_ISSUER_KINDS: Final = frozenset({"certificate", "status-change"})

SIGNER_CHECKS: Final[Mapping[str, _SignerCheck]] = {
    # XA's directory revokes this key (REQ-PKI-005): every kind it signs is refused.
    "revoked-signer": _SignerCheck(
        signer=lambda pki, _s: pki.negative_signers["revoked-signer"],
        senders=(XA,),
        expected=lambda _k: ("PERMISSION_DENIED", "SIGNER_REVOKED"),
        rule="REQ-PKI-005" + _LOADED,
    ),
    # Node signers sign receipts and directories, never documents (section 3, REQ-AUTH-002).
    "node-signer": _SignerCheck(
        signer=lambda pki, s: pki.country(s).node_signer,
        senders=SENDERS,
        expected=lambda _k: _NOT_AUTHORISED,
        rule="REQ-AUTH-002 / section 3 (documents are signed by authorities)",
    ),
    # A trusted authority of the other suite country (REQ-AUTH-001).
    "other-country-authority": _SignerCheck(
        signer=lambda pki, s: pki.country(_other_country(s)).authority,
        senders=SENDERS,
        expected=lambda _k: _NOT_AUTHORISED,
        rule="REQ-AUTH-001",
    ),
    # Another authority of the sending country: it may not sign for the CO's issuer
    # (REQ-AUTH-002), but any authority of the country may sign the other kinds (section 3).
    "other-authority-of-the-country": _SignerCheck(
        signer=lambda pki, _s: pki.negative_signers["other-authority-signer"],
        senders=(XA,),
        expected=lambda k: _NOT_AUTHORISED if k in _ISSUER_KINDS else _valid_outcome(k),
        rule="REQ-AUTH-002 / section 3",
    ),
}

_SIGNER_PARAMS: Final = [
    pytest.param((kind, check, sender), id=f"{kind}-{check}-{sender}")
    for kind in kinds.KINDS
    for check, spec in SIGNER_CHECKS.items()
    for sender in spec.senders
]


@pytest.mark.requirement(
    "REQ-PKI-005", "REQ-AUTH-001", "REQ-AUTH-002", "REQ-DIR-002", "REQ-PUSH-002"
)
@pytest.mark.parametrize("case", _SIGNER_PARAMS)
def test_signer_checked_for_every_kind(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    case: tuple[str, str, str],
) -> None:
    """Revoked keys, node signers and other authorities are judged alike for every kind."""
    kind, check, sender = case
    spec = SIGNER_CHECKS[check]
    message = kinds.build(kind, _context(target, suite_pki, code_lists, sender))
    submission, outcome = _send(target, kind, message, spec.signer(suite_pki, sender), sender)
    _judge(
        target,
        kind,
        message,
        submission,
        outcome,
        expected=spec.expected(kind),
        rule=f"{spec.rule}: {kind} from {sender} signed by {check}",
    )


# ---------------------------------------------------------------------------
# field rules (sections 4, 7, 8)


def _not_a_date(year_offset: int) -> Any:
    return date_pb2.Date(year=dt.datetime.now(dt.UTC).year + year_offset, month=2, day=30)


@dataclass(frozen=True, kw_only=True)
class _FieldRule:
    """One broken field rule of one kind.

    Attributes:
        mutate: Breaks the rule in a valid document.
        reason: The refusal reason (code INVALID_ARGUMENT).
        field: A BadRequest path the refusal must name ("" for none).
        requirements: The rule's requirement ids (for the failure text).
        from_directory_country: The expected (code, reason) when sent from XA, if the
            order of checks makes it differ (REQ-AUTH-003 comes first).
    """

    mutate: Callable[[Any], None]
    reason: str
    field: str
    requirements: str
    from_directory_country: tuple[str, str] | None = None


def _co_issue_date_not_a_date(co: Any) -> None:
    co.issue_date.CopyFrom(_not_a_date(-1))


def _co_invoice_date_not_a_date(co: Any) -> None:
    co.goods_items[0].invoice_date.CopyFrom(_not_a_date(-1))


def _co_unknown_agreement(co: Any) -> None:
    co.agreement_id = "ZZFTA"


def _set_use(declaration: bool, quantity: str | None) -> Callable[[Any], None]:
    def mutate(outcome: Any) -> None:
        outcome.new_state = lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED
        if declaration:
            outcome.import_declaration_number = "DECL-1"
        if quantity is not None:
            outcome.usages.append(
                lifecycle_pb2.ItemUsage(item_number=1, quantity={"value": quantity})
            )

    return mutate


def _assign(name: str, value: object) -> Callable[[Any], None]:
    def mutate(message: Any) -> None:
        setattr(message, name, value)

    return mutate


def _clear(name: str) -> Callable[[Any], None]:
    def mutate(message: Any) -> None:
        message.ClearField(name)

    return mutate


def _clear_sub(parent: str, name: str) -> Callable[[Any], None]:
    def mutate(message: Any) -> None:
        getattr(message, parent).ClearField(name)

    return mutate


def _reasons(*values: int) -> Callable[[Any], None]:
    def mutate(request: Any) -> None:
        del request.reasons[:]
        request.reasons.extend(values)

    return mutate


def _set_date(name: str) -> Callable[[Any], None]:
    def mutate(message: Any) -> None:
        getattr(message, name).CopyFrom(_not_a_date(1))

    return mutate


def _usages_on_acceptance(outcome: Any) -> None:
    outcome.usages.append(lifecycle_pb2.ItemUsage(item_number=1, quantity={"value": "1"}))


_V = verification_pb2
FIELD_RULES: Final[Mapping[str, Mapping[str, _FieldRule]]] = {
    "certificate": {
        "consignee-name-missing": _FieldRule(
            mutate=_clear_sub("consignee", "name"),
            reason="FIELD_MISSING",
            field="consignee.name",
            requirements="REQ-CO-002",
        ),
        "hs-code-too-short": _FieldRule(
            mutate=lambda co: setattr(co.goods_items[0], "hs_code", "0306"),
            reason="FIELD_INVALID",
            field="goods_items[0].hs_code",
            requirements="REQ-CO-007",
        ),
        "invoice-date-not-a-date": _FieldRule(
            mutate=_co_invoice_date_not_a_date,
            reason="FIELD_INVALID",
            field="goods_items[0].invoice_date",
            requirements="REQ-CO-006",
        ),
        "issue-date-not-a-date": _FieldRule(
            mutate=_co_issue_date_not_a_date,
            reason="FIELD_INVALID",
            field="issue_date",
            requirements="REQ-CO-006 / REQ-AUTH-003",
            from_directory_country=_NOT_AUTHORISED,
        ),
        "agreement-unknown": _FieldRule(
            mutate=_co_unknown_agreement,
            reason="AGREEMENT_UNSUPPORTED",
            field="",
            requirements="REQ-CO-003 / REQ-AUTH-003",
            from_directory_country=_NOT_AUTHORISED,
        ),
    },
    "status-change": {
        "reason-missing": _FieldRule(
            mutate=_assign("reason", ""),
            reason="FIELD_MISSING",
            field="reason",
            requirements="REQ-LC-002",
        ),
        "effective-time-missing": _FieldRule(
            mutate=_clear("effective_time"),
            reason="FIELD_MISSING",
            field="effective_time",
            requirements="REQ-LC-002",
        ),
        "new-state-issued": _FieldRule(
            mutate=_assign("new_state", lifecycle_pb2.ISSUER_STATE_ISSUED),
            reason="FIELD_INVALID",
            field="new_state",
            requirements="REQ-LC-002",
        ),
        "certificate-number-format": _FieldRule(
            mutate=lambda c: setattr(c.certificate, "certificate_number", "-not a number"),
            reason="FIELD_INVALID",
            field="certificate.certificate_number",
            requirements="REQ-CO-004 / REQ-CO-014",
        ),
        "reason-control-character": _FieldRule(
            mutate=_assign("reason", "issued\x07in error"),
            reason="FIELD_INVALID",
            field="reason",
            requirements="REQ-CO-013",
        ),
    },
    "import-outcome": {
        "rejected-without-reason-code": _FieldRule(
            mutate=_assign("new_state", lifecycle_pb2.IMPORT_STATE_REJECTED),
            reason="FIELD_MISSING",
            field="reason_code",
            requirements="REQ-LC-005",
        ),
        "use-without-usages": _FieldRule(
            mutate=_set_use(True, None),
            reason="FIELD_MISSING",
            field="usages",
            requirements="REQ-LC-006",
        ),
        "use-without-declaration-number": _FieldRule(
            mutate=_set_use(False, "1"),
            reason="FIELD_MISSING",
            field="import_declaration_number",
            requirements="REQ-LC-006",
        ),
        "use-of-zero-quantity": _FieldRule(
            mutate=_set_use(True, "0"),
            reason="FIELD_INVALID",
            field="usages[0].quantity",
            requirements="REQ-LC-006",
        ),
        "use-quantity-not-a-decimal": _FieldRule(
            mutate=_set_use(True, "1,5"),
            reason="FIELD_INVALID",
            field="usages[0].quantity",
            requirements="REQ-LC-006 / REQ-CO-010",
        ),
    },
    "verification-request": {
        "reasons-missing": _FieldRule(
            mutate=_reasons(),
            reason="FIELD_MISSING",
            field="reasons",
            requirements="REQ-VER-001",
        ),
        "only-unspecified-reason": _FieldRule(
            mutate=_reasons(_V.VERIFICATION_REASON_UNSPECIFIED),
            reason="FIELD_MISSING",
            field="reasons",
            requirements="REQ-VER-001",
        ),
        "deadline-missing": _FieldRule(
            mutate=_clear("response_deadline"),
            reason="FIELD_MISSING",
            field="response_deadline",
            requirements="REQ-VER-001",
        ),
        "verification-id-not-a-uuid": _FieldRule(
            mutate=_assign("verification_id", "case-17"),
            reason="FIELD_INVALID",
            field="verification_id",
            requirements="REQ-VER-001",
        ),
        "deadline-not-a-date": _FieldRule(
            mutate=_set_date("response_deadline"),
            reason="FIELD_INVALID",
            field="response_deadline",
            requirements="REQ-VER-001 / REQ-CO-006",
        ),
    },
    "verification-result": {
        "outcome-missing": _FieldRule(
            mutate=_assign("outcome", _V.VERIFICATION_OUTCOME_UNSPECIFIED),
            reason="FIELD_MISSING",
            field="outcome",
            requirements="REQ-VER-002",
        ),
        "partially-confirmed-without-items": _FieldRule(
            mutate=_assign("outcome", _V.VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED),
            reason="FIELD_MISSING",
            field="non_originating_items",
            requirements="REQ-VER-002",
        ),
        "verification-id-not-a-uuid": _FieldRule(
            mutate=_assign("verification_id", "case-17"),
            reason="FIELD_INVALID",
            field="verification_id",
            requirements="REQ-VER-002",
        ),
        "response-date-not-a-date": _FieldRule(
            mutate=_set_date("response_date"),
            reason="FIELD_INVALID",
            field="response_date",
            requirements="REQ-VER-002 / REQ-CO-006",
        ),
    },
}

_FIELD_PARAMS: Final = [
    pytest.param((kind, name, sender), id=f"{kind}-{name}-{sender}")
    for kind, rules in FIELD_RULES.items()
    for name in rules
    for sender in SENDERS
]


@pytest.mark.requirement(
    "REQ-CO-002",
    "REQ-CO-003",
    "REQ-CO-006",
    "REQ-CO-007",
    "REQ-LC-002",
    "REQ-LC-005",
    "REQ-LC-006",
    "REQ-VER-001",
    "REQ-VER-002",
    "REQ-AUTH-003",
    "REQ-ERR-001",
    "REQ-PUSH-002",
)
@pytest.mark.parametrize("case", _FIELD_PARAMS)
def test_field_rules_for_every_kind(
    target: Target,
    suite_pki: SuitePki,
    code_lists: CodeLists,
    case: tuple[str, str, str],
) -> None:
    """Each field rule of each kind is applied whether or not the sender has a directory."""
    kind, name, sender = case
    rule = FIELD_RULES[kind][name]
    message = kinds.build(kind, _context(target, suite_pki, code_lists, sender))
    rule.mutate(message)
    submission, outcome = _send(target, kind, message, suite_pki.country(sender).authority, sender)
    expected: tuple[str, str] = ("INVALID_ARGUMENT", rule.reason)
    fields: tuple[str, ...] = (rule.field,) if rule.field else ()
    text = f"{rule.requirements}: {kind} from {sender}, {name}"
    if sender == XA and rule.from_directory_country is not None:
        expected, fields, text = rule.from_directory_country, (), text + _LOADED
    _judge(target, kind, message, submission, outcome, expected=expected, rule=text, fields=fields)


# ---------------------------------------------------------------------------
# envelope-level checks: parsing (REQ-CO-001), enum values (REQ-CO-011), the caller
# (REQ-ACC-002, REQ-AUTH-004)

_UNKNOWN_FIELD_999: Final = b"\xb8\x3e\x01"  # field 999, varint 1
_UNDEFINED_ENUM: Final = 97


def _set_undefined_enum(message: Message) -> str:
    """Set the first enum field that holds a value to an undefined number; return its path."""
    for field, value in message.ListFields():
        if field.enum_type is not None:
            if field.is_repeated:
                getattr(message, field.name)[0] = _UNDEFINED_ENUM
                return f"{field.name}[0]"
            setattr(message, field.name, _UNDEFINED_ENUM)
            return field.name
        if field.message_type is not None:
            items = list(value) if field.is_repeated else [value]
            for index, item in enumerate(items):
                inner = _set_undefined_enum(item)
                if inner:
                    where = f"{field.name}[{index}]" if field.is_repeated else field.name
                    return f"{where}.{inner}"
    return ""


@dataclass(frozen=True, kw_only=True)
class _EnvelopeCheck:
    """One check of steps 6 and 7 of section 5.4, broken for any kind."""

    payload: Callable[[Message], bytes]
    caller: Callable[[str], str]
    expected: tuple[str, str]
    rule: str


_ENVELOPE_CHECKS: Final[Mapping[str, _EnvelopeCheck]] = {
    "truncated-payload": _EnvelopeCheck(
        payload=lambda m: m.SerializeToString()[:-1] + b"\xff",
        caller=lambda sender: sender,
        expected=("INVALID_ARGUMENT", "PAYLOAD_MALFORMED"),
        rule="REQ-CO-001 payload that does not parse",
    ),
    "unknown-field": _EnvelopeCheck(
        payload=lambda m: m.SerializeToString() + _UNKNOWN_FIELD_999,
        caller=lambda sender: sender,
        expected=("INVALID_ARGUMENT", "PAYLOAD_MALFORMED"),
        rule="REQ-CO-001 payload with an unknown field",
    ),
    "undefined-enum-value": _EnvelopeCheck(
        payload=lambda m: _with_undefined_enum(m).SerializeToString(),
        caller=lambda sender: sender,
        expected=("INVALID_ARGUMENT", "FIELD_INVALID"),
        rule="REQ-CO-011 enum field with an undefined number",
    ),
    "other-caller": _EnvelopeCheck(
        payload=lambda m: m.SerializeToString(),
        caller=lambda sender: XC if sender == XA else XA,
        expected=("PERMISSION_DENIED", "SENDER_MISMATCH"),
        rule="REQ-AUTH-004/REQ-ACC-002 submitted over another country's connection",
    ),
}


def _with_undefined_enum(message: Message) -> Message:
    copy = type(message)()
    copy.CopyFrom(message)
    assert _set_undefined_enum(copy), f"{type(message).__name__} holds no enum field to break"
    return copy


_ENVELOPE_REQUIREMENTS: Final = {
    "truncated-payload": ("REQ-CO-001",),
    "unknown-field": ("REQ-CO-001",),
    "undefined-enum-value": ("REQ-CO-011",),
    "other-caller": ("REQ-ACC-002", "REQ-AUTH-004"),
}


@pytest.mark.exercises("REQ-PUSH-002", "REQ-ERR-001")
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            (kind, check, sender),
            id=f"{kind}-{check}-{sender}",
            marks=pytest.mark.requirement(*_ENVELOPE_REQUIREMENTS[check]),
        )
        for kind in kinds.KINDS
        for check in _ENVELOPE_CHECKS
        for sender in SENDERS
    ],
)
def test_envelope_checks_for_every_kind(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, case: tuple[str, str, str]
) -> None:
    """Parsing, enum values and the caller are checked alike for every kind (section 5.4)."""
    kind, check, sender = case
    spec = _ENVELOPE_CHECKS[check]
    message = kinds.build(kind, _context(target, suite_pki, code_lists, sender))
    caller = spec.caller(sender)
    submission = signed_submission(
        spec.payload(message),
        suite_pki.country(sender).authority,
        caller=caller,
        payload_type=kinds.KIND_TYPES[kind],
    )
    outcome = target.submit(caller, submission.request)
    _judge(
        target,
        kind,
        message,
        submission,
        outcome,
        expected=spec.expected,
        rule=f"{spec.rule}: {kind} from {sender}",
    )
