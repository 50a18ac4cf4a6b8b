from google.type import date_pb2 as _date_pb2
from google.type import decimal_pb2 as _decimal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransportMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSPORT_MODE_UNSPECIFIED: _ClassVar[TransportMode]
    TRANSPORT_MODE_SEA: _ClassVar[TransportMode]
    TRANSPORT_MODE_AIR: _ClassVar[TransportMode]
    TRANSPORT_MODE_ROAD: _ClassVar[TransportMode]
    TRANSPORT_MODE_RAIL: _ClassVar[TransportMode]
    TRANSPORT_MODE_MULTIMODAL: _ClassVar[TransportMode]
    TRANSPORT_MODE_FIXED_INSTALLATION: _ClassVar[TransportMode]
    TRANSPORT_MODE_INLAND_WATERWAY: _ClassVar[TransportMode]
    TRANSPORT_MODE_POSTAL: _ClassVar[TransportMode]

class OriginCriterionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_CRITERION_TYPE_UNSPECIFIED: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_PRODUCED_EXCLUSIVELY: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_PRODUCT_SPECIFIC_RULE: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_DE_MINIMIS: _ClassVar[OriginCriterionType]
    ORIGIN_CRITERION_TYPE_ACCUMULATION: _ClassVar[OriginCriterionType]

class TariffShift(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARIFF_SHIFT_UNSPECIFIED: _ClassVar[TariffShift]
    TARIFF_SHIFT_CHAPTER: _ClassVar[TariffShift]
    TARIFF_SHIFT_HEADING: _ClassVar[TariffShift]
    TARIFF_SHIFT_SUBHEADING: _ClassVar[TariffShift]
TRANSPORT_MODE_UNSPECIFIED: TransportMode
TRANSPORT_MODE_SEA: TransportMode
TRANSPORT_MODE_AIR: TransportMode
TRANSPORT_MODE_ROAD: TransportMode
TRANSPORT_MODE_RAIL: TransportMode
TRANSPORT_MODE_MULTIMODAL: TransportMode
TRANSPORT_MODE_FIXED_INSTALLATION: TransportMode
TRANSPORT_MODE_INLAND_WATERWAY: TransportMode
TRANSPORT_MODE_POSTAL: TransportMode
ORIGIN_CRITERION_TYPE_UNSPECIFIED: OriginCriterionType
ORIGIN_CRITERION_TYPE_WHOLLY_OBTAINED: OriginCriterionType
ORIGIN_CRITERION_TYPE_PRODUCED_EXCLUSIVELY: OriginCriterionType
ORIGIN_CRITERION_TYPE_REGIONAL_VALUE_CONTENT: OriginCriterionType
ORIGIN_CRITERION_TYPE_CHANGE_IN_TARIFF_CLASSIFICATION: OriginCriterionType
ORIGIN_CRITERION_TYPE_PRODUCT_SPECIFIC_RULE: OriginCriterionType
ORIGIN_CRITERION_TYPE_DE_MINIMIS: OriginCriterionType
ORIGIN_CRITERION_TYPE_ACCUMULATION: OriginCriterionType
TARIFF_SHIFT_UNSPECIFIED: TariffShift
TARIFF_SHIFT_CHAPTER: TariffShift
TARIFF_SHIFT_HEADING: TariffShift
TARIFF_SHIFT_SUBHEADING: TariffShift

class CertificateOfOrigin(_message.Message):
    __slots__ = ("certificate_number", "agreement_id", "form_type", "exporting_country", "importing_country", "issuing_authority", "issue_date", "issue_place", "exporter", "producers", "consignee", "importer", "transport", "goods_items", "flags", "remarks", "exporter_declaration", "certification", "replaces", "third_party_operator", "original_certificate", "language_code")
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FORM_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPORTING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    IMPORTING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ISSUING_AUTHORITY_FIELD_NUMBER: _ClassVar[int]
    ISSUE_DATE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_PLACE_FIELD_NUMBER: _ClassVar[int]
    EXPORTER_FIELD_NUMBER: _ClassVar[int]
    PRODUCERS_FIELD_NUMBER: _ClassVar[int]
    CONSIGNEE_FIELD_NUMBER: _ClassVar[int]
    IMPORTER_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    GOODS_ITEMS_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    REMARKS_FIELD_NUMBER: _ClassVar[int]
    EXPORTER_DECLARATION_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATION_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    THIRD_PARTY_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    certificate_number: str
    agreement_id: str
    form_type: str
    exporting_country: str
    importing_country: str
    issuing_authority: IssuingAuthority
    issue_date: _date_pb2.Date
    issue_place: str
    exporter: Party
    producers: _containers.RepeatedCompositeFieldContainer[Party]
    consignee: Party
    importer: Party
    transport: TransportDetails
    goods_items: _containers.RepeatedCompositeFieldContainer[GoodsItem]
    flags: CertificateFlags
    remarks: str
    exporter_declaration: ExporterDeclaration
    certification: Certification
    replaces: CertificateReference
    third_party_operator: Party
    original_certificate: CertificateReference
    language_code: str
    def __init__(self, certificate_number: _Optional[str] = ..., agreement_id: _Optional[str] = ..., form_type: _Optional[str] = ..., exporting_country: _Optional[str] = ..., importing_country: _Optional[str] = ..., issuing_authority: _Optional[_Union[IssuingAuthority, _Mapping]] = ..., issue_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., issue_place: _Optional[str] = ..., exporter: _Optional[_Union[Party, _Mapping]] = ..., producers: _Optional[_Iterable[_Union[Party, _Mapping]]] = ..., consignee: _Optional[_Union[Party, _Mapping]] = ..., importer: _Optional[_Union[Party, _Mapping]] = ..., transport: _Optional[_Union[TransportDetails, _Mapping]] = ..., goods_items: _Optional[_Iterable[_Union[GoodsItem, _Mapping]]] = ..., flags: _Optional[_Union[CertificateFlags, _Mapping]] = ..., remarks: _Optional[str] = ..., exporter_declaration: _Optional[_Union[ExporterDeclaration, _Mapping]] = ..., certification: _Optional[_Union[Certification, _Mapping]] = ..., replaces: _Optional[_Union[CertificateReference, _Mapping]] = ..., third_party_operator: _Optional[_Union[Party, _Mapping]] = ..., original_certificate: _Optional[_Union[CertificateReference, _Mapping]] = ..., language_code: _Optional[str] = ...) -> None: ...

class CertificateReference(_message.Message):
    __slots__ = ("exporting_country", "issuing_authority_id", "certificate_number")
    EXPORTING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ISSUING_AUTHORITY_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    exporting_country: str
    issuing_authority_id: str
    certificate_number: str
    def __init__(self, exporting_country: _Optional[str] = ..., issuing_authority_id: _Optional[str] = ..., certificate_number: _Optional[str] = ...) -> None: ...

class IssuingAuthority(_message.Message):
    __slots__ = ("id", "name", "address")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    address: Address
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[_Union[Address, _Mapping]] = ...) -> None: ...

class Party(_message.Message):
    __slots__ = ("name", "address", "identifiers", "email", "phone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: Address
    identifiers: _containers.RepeatedCompositeFieldContainer[PartyIdentifier]
    email: str
    phone: str
    def __init__(self, name: _Optional[str] = ..., address: _Optional[_Union[Address, _Mapping]] = ..., identifiers: _Optional[_Iterable[_Union[PartyIdentifier, _Mapping]]] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class PartyIdentifier(_message.Message):
    __slots__ = ("scheme", "value", "issuing_country")
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    scheme: str
    value: str
    issuing_country: str
    def __init__(self, scheme: _Optional[str] = ..., value: _Optional[str] = ..., issuing_country: _Optional[str] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("lines", "city", "postal_code", "region", "country")
    LINES_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedScalarFieldContainer[str]
    city: str
    postal_code: str
    region: str
    country: str
    def __init__(self, lines: _Optional[_Iterable[str]] = ..., city: _Optional[str] = ..., postal_code: _Optional[str] = ..., region: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class TransportDetails(_message.Message):
    __slots__ = ("mode", "conveyance_name", "voyage_number", "departure_date", "port_of_loading", "port_of_discharge", "transit_countries", "route")
    MODE_FIELD_NUMBER: _ClassVar[int]
    CONVEYANCE_NAME_FIELD_NUMBER: _ClassVar[int]
    VOYAGE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_DATE_FIELD_NUMBER: _ClassVar[int]
    PORT_OF_LOADING_FIELD_NUMBER: _ClassVar[int]
    PORT_OF_DISCHARGE_FIELD_NUMBER: _ClassVar[int]
    TRANSIT_COUNTRIES_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    mode: TransportMode
    conveyance_name: str
    voyage_number: str
    departure_date: _date_pb2.Date
    port_of_loading: str
    port_of_discharge: str
    transit_countries: _containers.RepeatedScalarFieldContainer[str]
    route: str
    def __init__(self, mode: _Optional[_Union[TransportMode, str]] = ..., conveyance_name: _Optional[str] = ..., voyage_number: _Optional[str] = ..., departure_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., port_of_loading: _Optional[str] = ..., port_of_discharge: _Optional[str] = ..., transit_countries: _Optional[_Iterable[str]] = ..., route: _Optional[str] = ...) -> None: ...

class GoodsItem(_message.Message):
    __slots__ = ("item_number", "marks_and_numbers", "package_count", "package_kind", "description", "hs_code", "hs_edition", "origin_criterion", "quantity", "gross_weight", "fob_value", "invoice_number", "invoice_date", "origin_country")
    ITEM_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MARKS_AND_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    HS_EDITION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_CRITERION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    GROSS_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    FOB_VALUE_FIELD_NUMBER: _ClassVar[int]
    INVOICE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    INVOICE_DATE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    item_number: int
    marks_and_numbers: str
    package_count: int
    package_kind: str
    description: str
    hs_code: str
    hs_edition: str
    origin_criterion: OriginCriterion
    quantity: Quantity
    gross_weight: Quantity
    fob_value: MonetaryAmount
    invoice_number: str
    invoice_date: _date_pb2.Date
    origin_country: str
    def __init__(self, item_number: _Optional[int] = ..., marks_and_numbers: _Optional[str] = ..., package_count: _Optional[int] = ..., package_kind: _Optional[str] = ..., description: _Optional[str] = ..., hs_code: _Optional[str] = ..., hs_edition: _Optional[str] = ..., origin_criterion: _Optional[_Union[OriginCriterion, _Mapping]] = ..., quantity: _Optional[_Union[Quantity, _Mapping]] = ..., gross_weight: _Optional[_Union[Quantity, _Mapping]] = ..., fob_value: _Optional[_Union[MonetaryAmount, _Mapping]] = ..., invoice_number: _Optional[str] = ..., invoice_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., origin_country: _Optional[str] = ...) -> None: ...

class OriginCriterion(_message.Message):
    __slots__ = ("type", "rvc_percentage", "tariff_shift", "text")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RVC_PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    TARIFF_SHIFT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    type: OriginCriterionType
    rvc_percentage: _decimal_pb2.Decimal
    tariff_shift: TariffShift
    text: str
    def __init__(self, type: _Optional[_Union[OriginCriterionType, str]] = ..., rvc_percentage: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., tariff_shift: _Optional[_Union[TariffShift, str]] = ..., text: _Optional[str] = ...) -> None: ...

class Quantity(_message.Message):
    __slots__ = ("value", "unit_code")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_CODE_FIELD_NUMBER: _ClassVar[int]
    value: _decimal_pb2.Decimal
    unit_code: str
    def __init__(self, value: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., unit_code: _Optional[str] = ...) -> None: ...

class MonetaryAmount(_message.Message):
    __slots__ = ("currency_code", "amount")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    amount: _decimal_pb2.Decimal
    def __init__(self, currency_code: _Optional[str] = ..., amount: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class CertificateFlags(_message.Message):
    __slots__ = ("third_party_invoicing", "back_to_back", "issued_retroactively", "exhibition", "accumulation", "de_minimis", "partial_cumulation", "certified_true_copy", "exhibition_details")
    THIRD_PARTY_INVOICING_FIELD_NUMBER: _ClassVar[int]
    BACK_TO_BACK_FIELD_NUMBER: _ClassVar[int]
    ISSUED_RETROACTIVELY_FIELD_NUMBER: _ClassVar[int]
    EXHIBITION_FIELD_NUMBER: _ClassVar[int]
    ACCUMULATION_FIELD_NUMBER: _ClassVar[int]
    DE_MINIMIS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_CUMULATION_FIELD_NUMBER: _ClassVar[int]
    CERTIFIED_TRUE_COPY_FIELD_NUMBER: _ClassVar[int]
    EXHIBITION_DETAILS_FIELD_NUMBER: _ClassVar[int]
    third_party_invoicing: bool
    back_to_back: bool
    issued_retroactively: bool
    exhibition: bool
    accumulation: bool
    de_minimis: bool
    partial_cumulation: bool
    certified_true_copy: bool
    exhibition_details: str
    def __init__(self, third_party_invoicing: _Optional[bool] = ..., back_to_back: _Optional[bool] = ..., issued_retroactively: _Optional[bool] = ..., exhibition: _Optional[bool] = ..., accumulation: _Optional[bool] = ..., de_minimis: _Optional[bool] = ..., partial_cumulation: _Optional[bool] = ..., certified_true_copy: _Optional[bool] = ..., exhibition_details: _Optional[str] = ...) -> None: ...

class ExporterDeclaration(_message.Message):
    __slots__ = ("place", "date", "signatory_name", "text")
    PLACE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    SIGNATORY_NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    place: str
    date: _date_pb2.Date
    signatory_name: str
    text: str
    def __init__(self, place: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., signatory_name: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class Certification(_message.Message):
    __slots__ = ("officer_name", "place", "date", "text")
    OFFICER_NAME_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    officer_name: str
    place: str
    date: _date_pb2.Date
    text: str
    def __init__(self, officer_name: _Optional[str] = ..., place: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...
