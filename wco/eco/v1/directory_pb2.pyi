import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from wco.eco.v1 import certificate_pb2 as _certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IssuerDirectory(_message.Message):
    __slots__ = ("country", "version", "issue_time", "next_update_time", "authorities", "revocations", "trust_anchors")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    AUTHORITIES_FIELD_NUMBER: _ClassVar[int]
    REVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    TRUST_ANCHORS_FIELD_NUMBER: _ClassVar[int]
    country: str
    version: int
    issue_time: _timestamp_pb2.Timestamp
    next_update_time: _timestamp_pb2.Timestamp
    authorities: _containers.RepeatedCompositeFieldContainer[AuthorityEntry]
    revocations: _containers.RepeatedCompositeFieldContainer[Revocation]
    trust_anchors: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, country: _Optional[str] = ..., version: _Optional[int] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., authorities: _Optional[_Iterable[_Union[AuthorityEntry, _Mapping]]] = ..., revocations: _Optional[_Iterable[_Union[Revocation, _Mapping]]] = ..., trust_anchors: _Optional[_Iterable[bytes]] = ...) -> None: ...

class AuthorityEntry(_message.Message):
    __slots__ = ("authority", "authorisations", "signer_certificates")
    AUTHORITY_FIELD_NUMBER: _ClassVar[int]
    AUTHORISATIONS_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    authority: _certificate_pb2.IssuingAuthority
    authorisations: _containers.RepeatedCompositeFieldContainer[Authorisation]
    signer_certificates: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, authority: _Optional[_Union[_certificate_pb2.IssuingAuthority, _Mapping]] = ..., authorisations: _Optional[_Iterable[_Union[Authorisation, _Mapping]]] = ..., signer_certificates: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Authorisation(_message.Message):
    __slots__ = ("agreement_id", "effective_from", "effective_to")
    AGREEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    agreement_id: str
    effective_from: _date_pb2.Date
    effective_to: _date_pb2.Date
    def __init__(self, agreement_id: _Optional[str] = ..., effective_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., effective_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Revocation(_message.Message):
    __slots__ = ("key_id", "revocation_time", "reason")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    revocation_time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, key_id: _Optional[str] = ..., revocation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...
