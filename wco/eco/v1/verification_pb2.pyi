from google.type import date_pb2 as _date_pb2
from wco.eco.v1 import certificate_pb2 as _certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VerificationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_REASON_UNSPECIFIED: _ClassVar[VerificationReason]
    VERIFICATION_REASON_ORIGIN_DOUBT: _ClassVar[VerificationReason]
    VERIFICATION_REASON_AUTHENTICITY_DOUBT: _ClassVar[VerificationReason]
    VERIFICATION_REASON_RANDOM: _ClassVar[VerificationReason]
    VERIFICATION_REASON_RISK_PROFILE: _ClassVar[VerificationReason]
    VERIFICATION_REASON_OTHER: _ClassVar[VerificationReason]

class VerificationOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_OUTCOME_UNSPECIFIED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_CONFIRMED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_NOT_CONFIRMED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_UNABLE_TO_VERIFY: _ClassVar[VerificationOutcome]

class VerificationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATE_UNSPECIFIED: _ClassVar[VerificationState]
    VERIFICATION_STATE_REQUESTED: _ClassVar[VerificationState]
    VERIFICATION_STATE_ANSWERED: _ClassVar[VerificationState]
VERIFICATION_REASON_UNSPECIFIED: VerificationReason
VERIFICATION_REASON_ORIGIN_DOUBT: VerificationReason
VERIFICATION_REASON_AUTHENTICITY_DOUBT: VerificationReason
VERIFICATION_REASON_RANDOM: VerificationReason
VERIFICATION_REASON_RISK_PROFILE: VerificationReason
VERIFICATION_REASON_OTHER: VerificationReason
VERIFICATION_OUTCOME_UNSPECIFIED: VerificationOutcome
VERIFICATION_OUTCOME_CONFIRMED: VerificationOutcome
VERIFICATION_OUTCOME_NOT_CONFIRMED: VerificationOutcome
VERIFICATION_OUTCOME_PARTIALLY_CONFIRMED: VerificationOutcome
VERIFICATION_OUTCOME_UNABLE_TO_VERIFY: VerificationOutcome
VERIFICATION_STATE_UNSPECIFIED: VerificationState
VERIFICATION_STATE_REQUESTED: VerificationState
VERIFICATION_STATE_ANSWERED: VerificationState

class VerificationRequest(_message.Message):
    __slots__ = ("verification_id", "certificate", "requesting_country", "reasons", "questions", "requested_documents", "response_deadline", "item_numbers")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    REQUESTING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    certificate: _certificate_pb2.CertificateReference
    requesting_country: str
    reasons: _containers.RepeatedScalarFieldContainer[VerificationReason]
    questions: _containers.RepeatedScalarFieldContainer[str]
    requested_documents: _containers.RepeatedScalarFieldContainer[str]
    response_deadline: _date_pb2.Date
    item_numbers: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, verification_id: _Optional[str] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., requesting_country: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[VerificationReason, str]]] = ..., questions: _Optional[_Iterable[str]] = ..., requested_documents: _Optional[_Iterable[str]] = ..., response_deadline: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., item_numbers: _Optional[_Iterable[int]] = ...) -> None: ...

class VerificationResult(_message.Message):
    __slots__ = ("verification_id", "certificate", "outcome", "findings", "non_originating_items", "response_date")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    NON_ORIGINATING_ITEMS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_DATE_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    certificate: _certificate_pb2.CertificateReference
    outcome: VerificationOutcome
    findings: str
    non_originating_items: _containers.RepeatedScalarFieldContainer[int]
    response_date: _date_pb2.Date
    def __init__(self, verification_id: _Optional[str] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., outcome: _Optional[_Union[VerificationOutcome, str]] = ..., findings: _Optional[str] = ..., non_originating_items: _Optional[_Iterable[int]] = ..., response_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...
