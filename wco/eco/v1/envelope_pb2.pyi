import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignatureAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNATURE_ALGORITHM_UNSPECIFIED: _ClassVar[SignatureAlgorithm]
    SIGNATURE_ALGORITHM_ECDSA_P256_SHA256: _ClassVar[SignatureAlgorithm]
    SIGNATURE_ALGORITHM_ED25519: _ClassVar[SignatureAlgorithm]

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATUS_UNSPECIFIED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_PENDING: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED_WITH_WARNINGS: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED_NOT_READABLE: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_FAILED: _ClassVar[DeliveryStatus]

class FindingSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINDING_SEVERITY_UNSPECIFIED: _ClassVar[FindingSeverity]
    FINDING_SEVERITY_SEVERE: _ClassVar[FindingSeverity]
    FINDING_SEVERITY_WARNING: _ClassVar[FindingSeverity]
    FINDING_SEVERITY_INFO: _ClassVar[FindingSeverity]

class FindingArea(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINDING_AREA_UNSPECIFIED: _ClassVar[FindingArea]
    FINDING_AREA_SCHEMA: _ClassVar[FindingArea]
    FINDING_AREA_MANDATORY_ELEMENT: _ClassVar[FindingArea]
    FINDING_AREA_CODE_LIST: _ClassVar[FindingArea]
    FINDING_AREA_SIGNATURE: _ClassVar[FindingArea]
    FINDING_AREA_BUSINESS_RULE: _ClassVar[FindingArea]
SIGNATURE_ALGORITHM_UNSPECIFIED: SignatureAlgorithm
SIGNATURE_ALGORITHM_ECDSA_P256_SHA256: SignatureAlgorithm
SIGNATURE_ALGORITHM_ED25519: SignatureAlgorithm
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DELIVERY_STATUS_PENDING: DeliveryStatus
DELIVERY_STATUS_DELIVERED: DeliveryStatus
DELIVERY_STATUS_DELIVERED_WITH_WARNINGS: DeliveryStatus
DELIVERY_STATUS_DELIVERED_NOT_READABLE: DeliveryStatus
DELIVERY_STATUS_FAILED: DeliveryStatus
FINDING_SEVERITY_UNSPECIFIED: FindingSeverity
FINDING_SEVERITY_SEVERE: FindingSeverity
FINDING_SEVERITY_WARNING: FindingSeverity
FINDING_SEVERITY_INFO: FindingSeverity
FINDING_AREA_UNSPECIFIED: FindingArea
FINDING_AREA_SCHEMA: FindingArea
FINDING_AREA_MANDATORY_ELEMENT: FindingArea
FINDING_AREA_CODE_LIST: FindingArea
FINDING_AREA_SIGNATURE: FindingArea
FINDING_AREA_BUSINESS_RULE: FindingArea

class Envelope(_message.Message):
    __slots__ = ("payload_type", "payload", "signatures")
    PAYLOAD_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    payload_type: str
    payload: bytes
    signatures: _containers.RepeatedCompositeFieldContainer[Signature]
    def __init__(self, payload_type: _Optional[str] = ..., payload: _Optional[bytes] = ..., signatures: _Optional[_Iterable[_Union[Signature, _Mapping]]] = ...) -> None: ...

class Signature(_message.Message):
    __slots__ = ("algorithm", "key_id", "signature", "certificate_chain")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_CHAIN_FIELD_NUMBER: _ClassVar[int]
    algorithm: SignatureAlgorithm
    key_id: str
    signature: bytes
    certificate_chain: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, algorithm: _Optional[_Union[SignatureAlgorithm, str]] = ..., key_id: _Optional[str] = ..., signature: _Optional[bytes] = ..., certificate_chain: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Receipt(_message.Message):
    __slots__ = ("request_id", "payload_sha256", "payload_type", "receiver_country", "sender_country", "received_time", "delivery_status", "findings", "certificate", "sequence")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_SHA256_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_TYPE_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    SENDER_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_STATUS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    payload_sha256: str
    payload_type: str
    receiver_country: str
    sender_country: str
    received_time: _timestamp_pb2.Timestamp
    delivery_status: DeliveryStatus
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    certificate: CertificateReferenceDigest
    sequence: int
    def __init__(self, request_id: _Optional[str] = ..., payload_sha256: _Optional[str] = ..., payload_type: _Optional[str] = ..., receiver_country: _Optional[str] = ..., sender_country: _Optional[str] = ..., received_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_status: _Optional[_Union[DeliveryStatus, str]] = ..., findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., certificate: _Optional[_Union[CertificateReferenceDigest, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class CertificateReferenceDigest(_message.Message):
    __slots__ = ("exporting_country", "issuing_authority_id", "certificate_number")
    EXPORTING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ISSUING_AUTHORITY_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    exporting_country: str
    issuing_authority_id: str
    certificate_number: str
    def __init__(self, exporting_country: _Optional[str] = ..., issuing_authority_id: _Optional[str] = ..., certificate_number: _Optional[str] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("severity", "area", "field", "code", "message")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    severity: FindingSeverity
    area: FindingArea
    field: str
    code: str
    message: str
    def __init__(self, severity: _Optional[_Union[FindingSeverity, str]] = ..., area: _Optional[_Union[FindingArea, str]] = ..., field: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
