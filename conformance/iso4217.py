"""The suite's own copy of the ISO 4217 minor units (docs/spec.md REQ-CO-010).

REQ-CO-010 allows a ``fob_value.amount`` at most the currency's minor-unit digits "(ISO
4217)". The suite judges a node's CURRENCY code list and its amount rule against this
table, never against what the node publishes, so a node whose own table is wrong in one
currency is caught.

Source: ISO 4217 "List One" (current currency and funds codes), maintained for ISO by
SIX Financial Information AG as the ISO 4217 Maintenance Agency, edition published
2026-01-01. The codes are grouped by their minor-unit digits ("N.A." in the list, for
precious metals, testing, unit of account and "no currency" codes, is ``None``: those
codes have no minor unit, so REQ-CO-010 gives no digit rule for them).

:data:`WITHDRAWN` holds the codes withdrawn from List One since 2018 (they are in ISO
4217 "List Three", historic denominations, with the minor units they had): an amount on
a certificate issued just after a switch-over may still be stated in one of them, so a
node that keeps one in its CURRENCY list is not judged wrong for that alone, and the
amount rule is tried with its digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["CURRENT", "MINOR_UNITS", "PUBLISHED", "WITHDRAWN", "minor_units"]

#: Edition of List One the table was written from.
PUBLISHED: Final = "2026-01-01"

#: Minor unit 0 (no decimals).
_NO_MINOR_UNIT: Final = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
    "VND", "VUV", "XAF", "XOF", "XPF",
)  # fmt: skip

#: Minor unit 2.
_TWO_DIGITS: Final = (
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD",
    "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES",
    "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL",
    "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR",
    "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR",
    "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST",
    "XAD", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
)  # fmt: skip

#: Minor unit 3.
_THREE_DIGITS: Final = (
    "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
)  # fmt: skip

#: Minor unit 4 (units of account).
_FOUR_DIGITS: Final = (
    "CLF", "UYW",
)  # fmt: skip

#: Minor unit "N.A." (precious metals, SDR, bond units, the testing code XTS, and XXX,
#: which is ISO 4217's own code for "no currency involved", not a placeholder).
_NOT_APPLICABLE: Final = (
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA",
    "XXX",
)  # fmt: skip


def _table() -> dict[str, int | None]:
    table: dict[str, int | None] = {}
    for codes, digits in (
        (_NO_MINOR_UNIT, 0),
        (_TWO_DIGITS, 2),
        (_THREE_DIGITS, 3),
        (_FOUR_DIGITS, 4),
        (_NOT_APPLICABLE, None),
    ):
        for code in codes:
            if code in table:  # pragma: no cover - a typo in the lists above
                raise ValueError(f"ISO 4217 code {code} listed twice")
            table[code] = digits
    return dict(sorted(table.items()))


#: List One: alphabetic code -> minor-unit digits (``None``: "N.A.").
CURRENT: Final[Mapping[str, int | None]] = MappingProxyType(_table())

#: Codes withdrawn from List One since 2018 (List Three) -> the minor units they had.
WITHDRAWN: Final[Mapping[str, int]] = MappingProxyType(
    {
        "ANG": 2,  # Netherlands Antillean guilder, replaced by XCG
        "BGN": 2,  # Bulgarian lev, replaced by EUR
        "CUC": 2,  # Cuban convertible peso
        "HRK": 2,  # Croatian kuna, replaced by EUR
        "MRO": 2,  # Mauritanian ouguiya, replaced by MRU
        "SLL": 2,  # Sierra Leonean leone, replaced by SLE
        "STD": 2,  # Sao Tome and Principe dobra, replaced by STN
        "VEF": 2,  # Venezuelan bolivar fuerte, replaced by VES
        "ZWL": 2,  # Zimbabwe dollar, replaced by ZWG
    }
)

#: Every code the suite knows (current and recently withdrawn) -> minor-unit digits.
MINOR_UNITS: Final[Mapping[str, int | None]] = MappingProxyType({**WITHDRAWN, **CURRENT})


def minor_units(code: str) -> int | None:
    """The minor-unit digits of an ISO 4217 code (REQ-CO-010).

    Args:
        code: An alphabetic code, compared exactly (upper case).

    Returns:
        The digits, or None for a code whose minor unit is "N.A.".

    Raises:
        KeyError: The code is neither in List One nor recently withdrawn.
    """
    return MINOR_UNITS[code]
