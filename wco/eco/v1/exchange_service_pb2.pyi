import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from wco.eco.v1 import certificate_pb2 as _certificate_pb2
from wco.eco.v1 import envelope_pb2 as _envelope_pb2
from wco.eco.v1 import lifecycle_pb2 as _lifecycle_pb2
from wco.eco.v1 import verification_pb2 as _verification_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOCUMENT_KIND_UNSPECIFIED: _ClassVar[DocumentKind]
    DOCUMENT_KIND_CERTIFICATE: _ClassVar[DocumentKind]
    DOCUMENT_KIND_STATUS_CHANGE: _ClassVar[DocumentKind]
    DOCUMENT_KIND_IMPORT_OUTCOME: _ClassVar[DocumentKind]
    DOCUMENT_KIND_VERIFICATION_REQUEST: _ClassVar[DocumentKind]
    DOCUMENT_KIND_VERIFICATION_RESULT: _ClassVar[DocumentKind]
DOCUMENT_KIND_UNSPECIFIED: DocumentKind
DOCUMENT_KIND_CERTIFICATE: DocumentKind
DOCUMENT_KIND_STATUS_CHANGE: DocumentKind
DOCUMENT_KIND_IMPORT_OUTCOME: DocumentKind
DOCUMENT_KIND_VERIFICATION_REQUEST: DocumentKind
DOCUMENT_KIND_VERIFICATION_RESULT: DocumentKind

class SubmitDocumentRequest(_message.Message):
    __slots__ = ("request_id", "envelope")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    envelope: _envelope_pb2.Envelope
    def __init__(self, request_id: _Optional[str] = ..., envelope: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ...) -> None: ...

class SubmitDocumentResponse(_message.Message):
    __slots__ = ("receipt",)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: _envelope_pb2.Envelope
    def __init__(self, receipt: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ...) -> None: ...

class SubmitDocumentStreamRequest(_message.Message):
    __slots__ = ("request_id", "envelope")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    envelope: _envelope_pb2.Envelope
    def __init__(self, request_id: _Optional[str] = ..., envelope: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ...) -> None: ...

class SubmitDocumentStreamResponse(_message.Message):
    __slots__ = ("request_id", "receipt", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    receipt: _envelope_pb2.Envelope
    error: _status_pb2.Status
    def __init__(self, request_id: _Optional[str] = ..., receipt: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class StoredDocument(_message.Message):
    __slots__ = ("request_id", "envelope", "kind", "sender_country", "recipient_country", "certificate", "sequence", "store_time")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STORE_TIME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    envelope: _envelope_pb2.Envelope
    kind: DocumentKind
    sender_country: str
    recipient_country: str
    certificate: _certificate_pb2.CertificateReference
    sequence: int
    store_time: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., envelope: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ..., kind: _Optional[_Union[DocumentKind, str]] = ..., sender_country: _Optional[str] = ..., recipient_country: _Optional[str] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., sequence: _Optional[int] = ..., store_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDocumentRequest(_message.Message):
    __slots__ = ("request_id", "certificate")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    certificate: _certificate_pb2.CertificateReference
    def __init__(self, request_id: _Optional[str] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ...) -> None: ...

class GetDocumentResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: StoredDocument
    def __init__(self, document: _Optional[_Union[StoredDocument, _Mapping]] = ...) -> None: ...

class GetCertificateStatusRequest(_message.Message):
    __slots__ = ("certificate",)
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.CertificateReference
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ...) -> None: ...

class GetCertificateStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _lifecycle_pb2.CertificateStatus
    def __init__(self, status: _Optional[_Union[_lifecycle_pb2.CertificateStatus, _Mapping]] = ...) -> None: ...

class GetVerificationStatusRequest(_message.Message):
    __slots__ = ("verification_id",)
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    def __init__(self, verification_id: _Optional[str] = ...) -> None: ...

class GetVerificationStatusResponse(_message.Message):
    __slots__ = ("verification_id", "certificate", "state", "outcome", "request_document_id", "result_document_id")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    certificate: _certificate_pb2.CertificateReference
    state: _verification_pb2.VerificationState
    outcome: _verification_pb2.VerificationOutcome
    request_document_id: str
    result_document_id: str
    def __init__(self, verification_id: _Optional[str] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., state: _Optional[_Union[_verification_pb2.VerificationState, str]] = ..., outcome: _Optional[_Union[_verification_pb2.VerificationOutcome, str]] = ..., request_document_id: _Optional[str] = ..., result_document_id: _Optional[str] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "kind")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    kind: DocumentKind
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[DocumentKind, str]] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("documents", "next_page_token", "resume_token")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[StoredDocument]
    next_page_token: str
    resume_token: str
    def __init__(self, documents: _Optional[_Iterable[_Union[StoredDocument, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., resume_token: _Optional[str] = ...) -> None: ...

class WatchDocumentsRequest(_message.Message):
    __slots__ = ("cursor", "kind")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    kind: DocumentKind
    def __init__(self, cursor: _Optional[str] = ..., kind: _Optional[_Union[DocumentKind, str]] = ...) -> None: ...

class WatchDocumentsResponse(_message.Message):
    __slots__ = ("document", "cursor")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    document: StoredDocument
    cursor: str
    def __init__(self, document: _Optional[_Union[StoredDocument, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...
