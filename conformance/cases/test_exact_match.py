"""Profile ``core``: identifiers and codes are compared exactly (docs/spec.md 4, 5, 10).

A node must not normalise what it compares: payload types (REQ-SIG-001), key ids
(REQ-SIG-004), request ids (REQ-IDEM-001), the countries and authority id that
authorisation compares with the signer and the node (REQ-AUTH-001, 002, 004), agreement
and form codes (REQ-CO-003), country, HS, unit and currency codes and decimal digits
(REQ-CO-004, 005, 007, 010). Each case sends the right value changed in one way a
normalising node would undo (letter case, surrounding white space, a lookalike
character: Cyrillic for Latin letters, fullwidth for ASCII digits and letters) and
expects the reason the spec gives for a wrong value. Certificate numbers differing
only in letter case are different numbers (REQ-IDEM-004).

Field and authority-id cases are sent from XC (no issuer directory loaded, so
REQ-AUTH-003 does not answer first); envelope and country cases from XA.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from conformance import envelopes
from conformance.client import Target
from conformance.judge import (
    Submission,
    assert_accepted,
    assert_not_readable,
    assert_refused,
    new_request_id,
    signed_submission,
)
from conformance.pki import SuitePki
from conformance.receiver import context_for, minimal_certificate, submit_certificate
from conformance.strategies import CodeLists
from wco.eco.v1 import certificate_pb2

pytestmark = [pytest.mark.profile("core")]

XA = "XA"
XC = "XC"
CO = certificate_pb2.CertificateOfOrigin

#: Latin letters and their Cyrillic lookalikes.
_CYRILLIC = {
    "A": "\u0410",
    "B": "\u0412",
    "C": "\u0421",
    "E": "\u0415",
    "H": "\u041d",
    "K": "\u041a",
    "M": "\u041c",
    "O": "\u041e",
    "P": "\u0420",
    "S": "\u0405",
    "T": "\u0422",
    "X": "\u0425",
    "a": "\u0430",
    "b": "\u044c",
    "c": "\u0441",
    "d": "\u0501",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "x": "\u0445",
    "y": "\u0443",
}


def cyrillic(text: str) -> str:
    """Replace the first letter that has a Cyrillic lookalike by that lookalike."""
    for i, char in enumerate(text):
        if char in _CYRILLIC:
            return text[:i] + _CYRILLIC[char] + text[i + 1 :]
    raise ValueError(f"no letter of {text!r} has a Cyrillic lookalike")


def fullwidth(text: str, *, first_only: bool = True) -> str:
    """Replace the first (or every) ASCII letter or digit by its fullwidth form (U+FF01..)."""
    out = []
    done = False
    for char in text:
        if char.isascii() and char.isalnum() and not (done and first_only):
            out.append(chr(ord(char) + 0xFEE0))
            done = True
        else:
            out.append(char)
    return "".join(out)


def fullwidth_digit(text: str) -> str:
    """Replace the first ASCII digit by its fullwidth form."""
    for i, char in enumerate(text):
        if char.isascii() and char.isdigit():
            return text[:i] + chr(ord(char) + 0xFEE0) + text[i + 1 :]
    raise ValueError(f"{text!r} has no digit")


#: How a right value is spoiled: name -> transformation.
SPOILERS: dict[str, Callable[[str], str]] = {
    "upper-case": str.upper,
    "lower-case": str.lower,
    "leading-space": lambda s: " " + s,
    "trailing-space": lambda s: s + " ",
    "trailing-newline": lambda s: s + "\n",
    "cyrillic-lookalike": cyrillic,
    "fullwidth-character": fullwidth,
    "fullwidth-digit": fullwidth_digit,
}

Build = Callable[[SuitePki, Target, CodeLists, Callable[[str], str]], Submission]


def _payload_type(
    pki: SuitePki, target: Target, lists: CodeLists, f: Callable[[str], str]
) -> Submission:
    co = minimal_certificate(context_for(pki, target, XA, lists))
    return signed_submission(
        co.SerializeToString(),
        pki.country(XA).authority,
        caller=XA,
        payload_type=f(envelopes.PAYLOAD_TYPE_CERTIFICATE),
    )


def _key_id(pki: SuitePki, target: Target, lists: CodeLists, f: Callable[[str], str]) -> Submission:
    co = minimal_certificate(context_for(pki, target, XA, lists))
    submission = signed_submission(co.SerializeToString(), pki.country(XA).authority, caller=XA)
    signature = submission.request.envelope.signatures[0]
    signature.key_id = f(signature.key_id)
    return submission


def _request_id(
    pki: SuitePki, target: Target, lists: CodeLists, f: Callable[[str], str]
) -> Submission:
    co = minimal_certificate(context_for(pki, target, XA, lists))
    for _ in range(100):  # a random UUID without a letter the spoiler needs is redrawn
        try:
            request_id = f(new_request_id())
        except ValueError:
            continue
        return signed_submission(
            co.SerializeToString(), pki.country(XA).authority, caller=XA, request_id=request_id
        )
    raise AssertionError("no request id could be spoiled")  # pragma: no cover


def _certificate(sender: str, change: Callable[[CO, Callable[[str], str], str], None]) -> Build:
    def build(
        pki: SuitePki, target: Target, lists: CodeLists, f: Callable[[str], str]
    ) -> Submission:
        co = minimal_certificate(context_for(pki, target, sender, lists))
        change(co, f, target.node_country)
        return signed_submission(
            co.SerializeToString(), pki.country(sender).authority, caller=sender
        )

    return build


def _exporting(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.exporting_country = f(co.exporting_country)


def _importing(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.importing_country = f(co.importing_country)


def _authority(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.issuing_authority.id = f(co.issuing_authority.id)


def _agreement(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.agreement_id = f(co.agreement_id)


def _form(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.form_type = f(co.form_type)


def _address_country(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.consignee.address.country = f(co.consignee.address.country)


def _hs_edition(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.goods_items[0].hs_edition = f(co.goods_items[0].hs_edition)


def _hs_code(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.goods_items[0].hs_code = f(co.goods_items[0].hs_code)


def _unit(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.goods_items[0].quantity.unit_code = f(co.goods_items[0].quantity.unit_code)


def _currency(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.goods_items[0].fob_value.amount.value = "10.00"
    co.goods_items[0].fob_value.currency_code = f("USD")


def _quantity(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.goods_items[0].quantity.value.value = f(co.goods_items[0].quantity.value.value)


def _number(co: CO, f: Callable[[str], str], _node: str) -> None:
    co.certificate_number = f(co.certificate_number)


_ITEM = "goods_items[0]"
_INVALID = "INVALID_ARGUMENT"
_DENIED = "PERMISSION_DENIED"
# value -> (builder, spoilers, code, reason, field paths, requirement ids)
EXACT_VALUES: dict[
    str, tuple[Build, tuple[str, ...], str, str, tuple[str, ...], tuple[str, ...]]
] = {
    "payload-type": (
        _payload_type,
        (
            "upper-case",
            "leading-space",
            "trailing-space",
            "trailing-newline",
            "cyrillic-lookalike",
            "fullwidth-digit",
        ),
        _INVALID,
        "PAYLOAD_TYPE_UNSUPPORTED",
        (),
        ("REQ-SIG-001",),
    ),
    "key-id": (
        _key_id,
        ("upper-case", "leading-space", "trailing-space", "cyrillic-lookalike", "fullwidth-digit"),
        _INVALID,
        "SIGNATURE_INVALID",
        (),
        ("REQ-SIG-004",),
    ),
    "request-id": (
        _request_id,
        (
            "leading-space",
            "trailing-space",
            "trailing-newline",
            "cyrillic-lookalike",
            "fullwidth-digit",
        ),
        _INVALID,
        "REQUEST_ID_INVALID",
        (),
        ("REQ-IDEM-001",),
    ),
    "exporting-country": (
        _certificate(XA, _exporting),
        ("lower-case", "trailing-space", "cyrillic-lookalike", "fullwidth-character"),
        _DENIED,
        "SIGNER_NOT_AUTHORISED",
        (),
        ("REQ-AUTH-001",),
    ),
    "importing-country": (
        _certificate(XA, _importing),
        ("lower-case", "leading-space", "cyrillic-lookalike", "fullwidth-character"),
        _DENIED,
        "SENDER_MISMATCH",
        (),
        ("REQ-AUTH-004",),
    ),
    "issuing-authority-id": (
        _certificate(XC, _authority),
        ("upper-case", "leading-space", "trailing-space", "cyrillic-lookalike"),
        _DENIED,
        "SIGNER_NOT_AUTHORISED",
        (),
        ("REQ-AUTH-002",),
    ),
    "agreement-id": (
        _certificate(XC, _agreement),
        ("lower-case", "trailing-space", "cyrillic-lookalike"),
        _INVALID,
        "AGREEMENT_UNSUPPORTED",
        (),
        ("REQ-CO-003",),
    ),
    "form-type": (
        _certificate(XC, _form),
        ("lower-case", "leading-space", "cyrillic-lookalike"),
        _INVALID,
        "AGREEMENT_UNSUPPORTED",
        (),
        ("REQ-CO-003",),
    ),
    "address-country": (
        _certificate(XC, _address_country),
        ("trailing-space", "cyrillic-lookalike", "fullwidth-character"),
        _INVALID,
        "FIELD_INVALID",
        ("consignee.address.country",),
        ("REQ-CO-005",),
    ),
    "hs-edition": (
        _certificate(XC, _hs_edition),
        ("lower-case", "trailing-space", "fullwidth-digit"),
        _INVALID,
        "FIELD_INVALID",
        (f"{_ITEM}.hs_edition",),
        ("REQ-CO-007",),
    ),
    "hs-code": (
        _certificate(XC, _hs_code),
        ("trailing-space", "fullwidth-digit"),
        _INVALID,
        "FIELD_INVALID",
        (f"{_ITEM}.hs_code",),
        ("REQ-CO-007",),
    ),
    "unit-code": (
        _certificate(XC, _unit),
        ("lower-case", "trailing-space", "cyrillic-lookalike"),
        _INVALID,
        "FIELD_INVALID",
        (f"{_ITEM}.quantity.unit_code",),
        ("REQ-CO-010",),
    ),
    "currency-code": (
        _certificate(XC, _currency),
        ("lower-case", "trailing-space", "cyrillic-lookalike"),
        _INVALID,
        "FIELD_INVALID",
        (f"{_ITEM}.fob_value",),
        ("REQ-CO-010",),
    ),
    "decimal": (
        _certificate(XC, _quantity),
        ("leading-space", "fullwidth-digit"),
        _INVALID,
        "FIELD_INVALID",
        (f"{_ITEM}.quantity",),
        ("REQ-CO-010",),
    ),
    "certificate-number": (
        _certificate(XC, _number),
        ("trailing-space", "cyrillic-lookalike", "fullwidth-digit"),
        _INVALID,
        "FIELD_INVALID",
        ("certificate_number",),
        ("REQ-CO-004",),
    ),
}

CASES = [
    pytest.param(value, spoiler, id=f"{value}-{spoiler}", marks=pytest.mark.requirement(*row[5]))
    for value, row in EXACT_VALUES.items()
    for spoiler in row[1]
]


@pytest.mark.requirement("REQ-PUSH-002", "REQ-ERR-002")
@pytest.mark.parametrize(("value", "spoiler"), CASES)
def test_value_compared_exactly(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists, value: str, spoiler: str
) -> None:
    """The right value in another case, padded, or with a lookalike is the wrong value."""
    build, _, code, reason, fields, reqs = EXACT_VALUES[value]
    submission = build(suite_pki, target, code_lists, SPOILERS[spoiler])
    outcome = target.submit(submission.caller, submission.request)
    rule = f"{'/'.join(reqs)} {value} {spoiler}"
    assert_refused(outcome, code=code, reason=reason, rule=rule, fields=fields)
    request_id = None if value == "request-id" else submission.request_id
    assert_not_readable(target, caller=submission.caller, request_id=request_id)


@pytest.mark.requirement("REQ-IDEM-004", "REQ-CO-004")
def test_certificate_numbers_differing_in_case_are_distinct(
    target: Target, suite_pki: SuitePki, code_lists: CodeLists
) -> None:
    """A number that differs from a held one only in letter case is a new number."""
    ctx = context_for(suite_pki, target, XA, code_lists)
    first = minimal_certificate(ctx)
    second = CO()
    second.CopyFrom(first)
    second.certificate_number = first.certificate_number.lower()
    assert second.certificate_number != first.certificate_number
    for co in (first, second):
        submission, outcome = submit_certificate(
            target, co, suite_pki.country(XA).authority, caller=XA
        )
        assert_accepted(
            target,
            submission,
            outcome,
            now=dt.datetime.now(dt.UTC),
            rule=f"REQ-IDEM-004 certificate number {co.certificate_number}",
        )
