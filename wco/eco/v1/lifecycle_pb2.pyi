import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import decimal_pb2 as _decimal_pb2
from wco.eco.v1 import certificate_pb2 as _certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IssuerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ISSUER_STATE_UNSPECIFIED: _ClassVar[IssuerState]
    ISSUER_STATE_ISSUED: _ClassVar[IssuerState]
    ISSUER_STATE_REPLACED: _ClassVar[IssuerState]
    ISSUER_STATE_CANCELLED: _ClassVar[IssuerState]
    ISSUER_STATE_REVOKED: _ClassVar[IssuerState]

class ImportState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_STATE_UNSPECIFIED: _ClassVar[ImportState]
    IMPORT_STATE_RECEIVED: _ClassVar[ImportState]
    IMPORT_STATE_ACCEPTED: _ClassVar[ImportState]
    IMPORT_STATE_ACCEPTED_WITH_WARNINGS: _ClassVar[ImportState]
    IMPORT_STATE_REJECTED: _ClassVar[ImportState]
    IMPORT_STATE_PARTIALLY_USED: _ClassVar[ImportState]
    IMPORT_STATE_FULLY_USED: _ClassVar[ImportState]
    IMPORT_STATE_PREFERENCE_DENIED: _ClassVar[ImportState]
ISSUER_STATE_UNSPECIFIED: IssuerState
ISSUER_STATE_ISSUED: IssuerState
ISSUER_STATE_REPLACED: IssuerState
ISSUER_STATE_CANCELLED: IssuerState
ISSUER_STATE_REVOKED: IssuerState
IMPORT_STATE_UNSPECIFIED: ImportState
IMPORT_STATE_RECEIVED: ImportState
IMPORT_STATE_ACCEPTED: ImportState
IMPORT_STATE_ACCEPTED_WITH_WARNINGS: ImportState
IMPORT_STATE_REJECTED: ImportState
IMPORT_STATE_PARTIALLY_USED: ImportState
IMPORT_STATE_FULLY_USED: ImportState
IMPORT_STATE_PREFERENCE_DENIED: ImportState

class StatusChange(_message.Message):
    __slots__ = ("certificate", "new_state", "reason", "effective_time", "verification_request_id")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.CertificateReference
    new_state: IssuerState
    reason: str
    effective_time: _timestamp_pb2.Timestamp
    verification_request_id: str
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., new_state: _Optional[_Union[IssuerState, str]] = ..., reason: _Optional[str] = ..., effective_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verification_request_id: _Optional[str] = ...) -> None: ...

class ImportOutcome(_message.Message):
    __slots__ = ("certificate", "importing_country", "new_state", "reason_code", "reason_text", "usages", "import_declaration_number", "effective_time")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    IMPORTING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    USAGES_FIELD_NUMBER: _ClassVar[int]
    IMPORT_DECLARATION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.CertificateReference
    importing_country: str
    new_state: ImportState
    reason_code: str
    reason_text: str
    usages: _containers.RepeatedCompositeFieldContainer[ItemUsage]
    import_declaration_number: str
    effective_time: _timestamp_pb2.Timestamp
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., importing_country: _Optional[str] = ..., new_state: _Optional[_Union[ImportState, str]] = ..., reason_code: _Optional[str] = ..., reason_text: _Optional[str] = ..., usages: _Optional[_Iterable[_Union[ItemUsage, _Mapping]]] = ..., import_declaration_number: _Optional[str] = ..., effective_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ItemUsage(_message.Message):
    __slots__ = ("item_number", "quantity")
    ITEM_NUMBER_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    item_number: int
    quantity: _decimal_pb2.Decimal
    def __init__(self, item_number: _Optional[int] = ..., quantity: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class CertificateStatus(_message.Message):
    __slots__ = ("certificate", "issuer_state", "import_state", "replaced_by", "replaces", "reason", "used_quantities", "update_time")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    ISSUER_STATE_FIELD_NUMBER: _ClassVar[int]
    IMPORT_STATE_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    USED_QUANTITIES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.CertificateReference
    issuer_state: IssuerState
    import_state: ImportState
    replaced_by: _certificate_pb2.CertificateReference
    replaces: _certificate_pb2.CertificateReference
    reason: str
    used_quantities: _containers.RepeatedCompositeFieldContainer[ItemUsage]
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., issuer_state: _Optional[_Union[IssuerState, str]] = ..., import_state: _Optional[_Union[ImportState, str]] = ..., replaced_by: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., replaces: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., reason: _Optional[str] = ..., used_quantities: _Optional[_Iterable[_Union[ItemUsage, _Mapping]]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
