"""The suite's ISO 4217 minor-unit table (conformance/iso4217.py, REQ-CO-010)."""

from __future__ import annotations

import re

import pytest

from conformance import iso4217


def test_codes_are_three_upper_case_letters() -> None:
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in iso4217.MINOR_UNITS)


def test_withdrawn_codes_are_not_current() -> None:
    assert not set(iso4217.WITHDRAWN) & set(iso4217.CURRENT)


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("USD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("KWD", 3),
        ("TND", 3),
        ("CLF", 4),
        ("UYW", 4),
        ("XAU", None),
        ("XXX", None),
        ("BGN", 2),
    ],
)
def test_minor_units_of_known_codes(code: str, digits: int | None) -> None:
    assert iso4217.minor_units(code) == digits


def test_digits_are_those_iso_4217_uses() -> None:
    assert set(iso4217.MINOR_UNITS.values()) == {0, 2, 3, 4, None}


def test_unknown_code_raises() -> None:
    with pytest.raises(KeyError):
        iso4217.minor_units("usd")
