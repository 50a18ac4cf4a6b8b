"""Code lists a node validates against (docs/spec.md REQ-CO-003..010, REQ-NODE-002).

The v1 lists: AGREEMENT with its FORM_TYPE children, ORIGIN_CRITERION, UNIT
(a UN/ECE Recommendation 20 subset), CURRENCY (ISO 4217 alphabetic codes
with their minor-unit digits), HS_EDITION, and COUNTRY (ISO 3166-1 alpha-2
assigned codes plus the user-assigned test codes ``XA``..``XZ``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from wco.eco.v1 import node_service_pb2

__all__ = ["CodeLists", "default_codelists"]

_AGREEMENTS: dict[str, str] = {
    "AKFTA": "ASEAN-Korea Free Trade Area",
    "ATIGA": "ASEAN Trade in Goods Agreement",
    "ACFTA": "ASEAN-China Free Trade Area",
    "RCEP": "Regional Comprehensive Economic Partnership",
    "KCFTA": "Korea-China Free Trade Agreement",
}

# form type -> (agreement, description)
_FORM_TYPES: dict[str, tuple[str, str]] = {
    "AK": ("AKFTA", "Form AK"),
    "D": ("ATIGA", "Form D"),
    "E": ("ACFTA", "Form E"),
    "RCEP": ("RCEP", "RCEP certificate of origin"),
    "KC": ("KCFTA", "Korea-China FTA certificate of origin"),
}

_ORIGIN_CRITERIA: dict[str, str] = {
    "WO": "Wholly obtained or produced",
    "PE": "Produced exclusively from originating materials",
    "RVC": "Regional value content",
    "CTC": "Change in tariff classification",
    "CC": "Change of chapter",
    "CTH": "Change of tariff heading",
    "CTSH": "Change of tariff subheading",
    "PSR": "Product-specific rule",
    "DMI": "De minimis",
    "ACU": "Accumulation",
}

_UNITS: dict[str, str] = {
    "KGM": "kilogram",
    "GRM": "gram",
    "MGM": "milligram",
    "TNE": "tonne (metric ton)",
    "LBR": "pound",
    "ONZ": "ounce",
    "LTR": "litre",
    "MLT": "millilitre",
    "HLT": "hectolitre",
    "MTR": "metre",
    "CMT": "centimetre",
    "MMT": "millimetre",
    "KMT": "kilometre",
    "MTK": "square metre",
    "MTQ": "cubic metre",
    "NAR": "number of articles",
    "PCE": "piece",
    "SET": "set",
    "PR": "pair",
    "DZN": "dozen",
    "GRO": "gross",
    "C62": "one",
    "BX": "box",
    "CT": "carton",
    "BG": "bag",
    "KWH": "kilowatt hour",
    "MWH": "megawatt hour",
    "CTM": "metric carat",
    "NPR": "number of pairs",
    "HUR": "hour",
}

# ISO 4217 alphabetic code -> minor unit digits (current codes).
_CURRENCIES: dict[str, int] = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
    "AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0,
    "BMD": 2, "BND": 2, "BOB": 2, "BOV": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2,
    "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4,
    "CLP": 0, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2,
    "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2,
    "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0,
    "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2,
    "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2,
    "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2,
    "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2,
    "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2,
    "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2,
    "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0,
    "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2,
    "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2,
    "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2,
    "UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2,
    "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XCG": 2,
    "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}  # fmt: skip

# ISO 3166-1 alpha-2 officially assigned codes.
_ISO_COUNTRIES = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
]  # fmt: skip

#: User-assigned test codes XA..XZ (docs/spec.md section 1).
TEST_COUNTRIES: frozenset[str] = frozenset(f"X{chr(c)}" for c in range(ord("A"), ord("Z") + 1))

_HS_EDITIONS = ("HS2012", "HS2017", "HS2022")

_LIST_VERSION = "1"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLists:
    """The code lists of a node (REQ-NODE-002).

    Attributes:
        version: Version string of the lists.
        agreements: AGREEMENT code -> description.
        form_types: FORM_TYPE code -> (agreement code, description).
        origin_criteria: ORIGIN_CRITERION code -> description.
        units: UNIT code (UN/ECE Rec. 20) -> description.
        currencies: CURRENCY code (ISO 4217) -> minor-unit digits.
        hs_editions: HS_EDITION codes.
        countries: ISO 3166-1 alpha-2 codes plus ``XA``..``XZ``.
    """

    version: str = _LIST_VERSION
    agreements: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(_AGREEMENTS))
    form_types: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: MappingProxyType(_FORM_TYPES)
    )
    origin_criteria: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(_ORIGIN_CRITERIA)
    )
    units: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(_UNITS))
    currencies: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(_CURRENCIES))
    hs_editions: frozenset[str] = frozenset(_HS_EDITIONS)
    countries: frozenset[str] = frozenset(_ISO_COUNTRIES) | TEST_COUNTRIES

    def form_belongs(self, agreement_id: str, form_type: str) -> bool:
        """Whether ``form_type`` is a FORM_TYPE of ``agreement_id`` (REQ-CO-003)."""
        entry = self.form_types.get(form_type)
        return entry is not None and entry[0] == agreement_id

    def to_proto(self) -> list[node_service_pb2.CodeList]:
        """The lists as ``CodeList`` messages for ``GetCodeLists`` (REQ-NODE-002)."""

        def entries(
            items: Mapping[str, str], parents: Mapping[str, str] | None = None
        ) -> list[node_service_pb2.CodeListEntry]:
            return [
                node_service_pb2.CodeListEntry(
                    code=code,
                    description=description,
                    parent_code=(parents or {}).get(code, ""),
                )
                for code, description in sorted(items.items())
            ]

        ctc_children = {"CC": "CTC", "CTH": "CTC", "CTSH": "CTC"}
        return [
            node_service_pb2.CodeList(
                name="AGREEMENT", version=self.version, entries=entries(self.agreements)
            ),
            node_service_pb2.CodeList(
                name="FORM_TYPE",
                version=self.version,
                entries=entries(
                    {k: v[1] for k, v in self.form_types.items()},
                    {k: v[0] for k, v in self.form_types.items()},
                ),
            ),
            node_service_pb2.CodeList(
                name="ORIGIN_CRITERION",
                version=self.version,
                entries=entries(self.origin_criteria, ctc_children),
            ),
            node_service_pb2.CodeList(
                name="UNIT", version=self.version, entries=entries(self.units)
            ),
            node_service_pb2.CodeList(
                name="CURRENCY",
                version=self.version,
                entries=entries(
                    {code: f"minor units: {digits}" for code, digits in self.currencies.items()}
                ),
            ),
            node_service_pb2.CodeList(
                name="HS_EDITION",
                version=self.version,
                entries=entries({e: f"Harmonized System {e[2:]}" for e in self.hs_editions}),
            ),
        ]


_DEFAULT = CodeLists()


def default_codelists() -> CodeLists:
    """Return the v1 code lists (REQ-CO-003)."""
    return _DEFAULT
