from google.rpc import status_pb2 as _status_pb2
from wco.eco.v1 import certificate_pb2 as _certificate_pb2
from wco.eco.v1 import envelope_pb2 as _envelope_pb2
from wco.eco.v1 import lifecycle_pb2 as _lifecycle_pb2
from wco.eco.v1 import verification_pb2 as _verification_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecuteRequest(_message.Message):
    __slots__ = ("command_id", "describe", "configure_partner", "issue_certificate", "change_status", "replace_certificate", "record_import_outcome", "request_verification", "respond_verification", "deliver", "get_outbox", "shutdown", "restart")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    CONFIGURE_PARTNER_FIELD_NUMBER: _ClassVar[int]
    ISSUE_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_STATUS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    RECORD_IMPORT_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    RESPOND_VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    DELIVER_FIELD_NUMBER: _ClassVar[int]
    GET_OUTBOX_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    RESTART_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    describe: DescribeCommand
    configure_partner: ConfigurePartnerCommand
    issue_certificate: IssueCertificateCommand
    change_status: ChangeStatusCommand
    replace_certificate: ReplaceCertificateCommand
    record_import_outcome: RecordImportOutcomeCommand
    request_verification: RequestVerificationCommand
    respond_verification: RespondVerificationCommand
    deliver: DeliverCommand
    get_outbox: GetOutboxCommand
    shutdown: ShutdownCommand
    restart: RestartCommand
    def __init__(self, command_id: _Optional[str] = ..., describe: _Optional[_Union[DescribeCommand, _Mapping]] = ..., configure_partner: _Optional[_Union[ConfigurePartnerCommand, _Mapping]] = ..., issue_certificate: _Optional[_Union[IssueCertificateCommand, _Mapping]] = ..., change_status: _Optional[_Union[ChangeStatusCommand, _Mapping]] = ..., replace_certificate: _Optional[_Union[ReplaceCertificateCommand, _Mapping]] = ..., record_import_outcome: _Optional[_Union[RecordImportOutcomeCommand, _Mapping]] = ..., request_verification: _Optional[_Union[RequestVerificationCommand, _Mapping]] = ..., respond_verification: _Optional[_Union[RespondVerificationCommand, _Mapping]] = ..., deliver: _Optional[_Union[DeliverCommand, _Mapping]] = ..., get_outbox: _Optional[_Union[GetOutboxCommand, _Mapping]] = ..., shutdown: _Optional[_Union[ShutdownCommand, _Mapping]] = ..., restart: _Optional[_Union[RestartCommand, _Mapping]] = ...) -> None: ...

class ExecuteResponse(_message.Message):
    __slots__ = ("command_id", "error", "describe", "queued", "outbox", "done")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    error: _status_pb2.Status
    describe: DescribeResult
    queued: QueuedDocument
    outbox: OutboxReport
    done: Done
    def __init__(self, command_id: _Optional[str] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., describe: _Optional[_Union[DescribeResult, _Mapping]] = ..., queued: _Optional[_Union[QueuedDocument, _Mapping]] = ..., outbox: _Optional[_Union[OutboxReport, _Mapping]] = ..., done: _Optional[_Union[Done, _Mapping]] = ...) -> None: ...

class DescribeCommand(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeResult(_message.Message):
    __slots__ = ("country", "issuing_authority_id", "implementation_name", "implementation_version", "delivers_unprompted", "unprompted_delivery_bound_ms")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ISSUING_AUTHORITY_ID_FIELD_NUMBER: _ClassVar[int]
    IMPLEMENTATION_NAME_FIELD_NUMBER: _ClassVar[int]
    IMPLEMENTATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    DELIVERS_UNPROMPTED_FIELD_NUMBER: _ClassVar[int]
    UNPROMPTED_DELIVERY_BOUND_MS_FIELD_NUMBER: _ClassVar[int]
    country: str
    issuing_authority_id: str
    implementation_name: str
    implementation_version: str
    delivers_unprompted: bool
    unprompted_delivery_bound_ms: int
    def __init__(self, country: _Optional[str] = ..., issuing_authority_id: _Optional[str] = ..., implementation_name: _Optional[str] = ..., implementation_version: _Optional[str] = ..., delivers_unprompted: _Optional[bool] = ..., unprompted_delivery_bound_ms: _Optional[int] = ...) -> None: ...

class ConfigurePartnerCommand(_message.Message):
    __slots__ = ("country", "address", "tls_ca_pem", "tls_server_name", "deadline_ms")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TLS_CA_PEM_FIELD_NUMBER: _ClassVar[int]
    TLS_SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    country: str
    address: str
    tls_ca_pem: bytes
    tls_server_name: str
    deadline_ms: int
    def __init__(self, country: _Optional[str] = ..., address: _Optional[str] = ..., tls_ca_pem: _Optional[bytes] = ..., tls_server_name: _Optional[str] = ..., deadline_ms: _Optional[int] = ...) -> None: ...

class IssueCertificateCommand(_message.Message):
    __slots__ = ("certificate",)
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.CertificateOfOrigin
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.CertificateOfOrigin, _Mapping]] = ...) -> None: ...

class ChangeStatusCommand(_message.Message):
    __slots__ = ("certificate", "new_state", "reason")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    certificate: _certificate_pb2.CertificateReference
    new_state: _lifecycle_pb2.IssuerState
    reason: str
    def __init__(self, certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., new_state: _Optional[_Union[_lifecycle_pb2.IssuerState, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ReplaceCertificateCommand(_message.Message):
    __slots__ = ("replaced", "certificate")
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    replaced: _certificate_pb2.CertificateReference
    certificate: _certificate_pb2.CertificateOfOrigin
    def __init__(self, replaced: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateOfOrigin, _Mapping]] = ...) -> None: ...

class RecordImportOutcomeCommand(_message.Message):
    __slots__ = ("outcome",)
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    outcome: _lifecycle_pb2.ImportOutcome
    def __init__(self, outcome: _Optional[_Union[_lifecycle_pb2.ImportOutcome, _Mapping]] = ...) -> None: ...

class RequestVerificationCommand(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _verification_pb2.VerificationRequest
    def __init__(self, request: _Optional[_Union[_verification_pb2.VerificationRequest, _Mapping]] = ...) -> None: ...

class RespondVerificationCommand(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _verification_pb2.VerificationResult
    def __init__(self, result: _Optional[_Union[_verification_pb2.VerificationResult, _Mapping]] = ...) -> None: ...

class DeliverCommand(_message.Message):
    __slots__ = ("timeout_ms",)
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    timeout_ms: int
    def __init__(self, timeout_ms: _Optional[int] = ...) -> None: ...

class GetOutboxCommand(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownCommand(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RestartCommand(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Done(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueuedDocument(_message.Message):
    __slots__ = ("request_id", "recipient_country", "certificate", "verification_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    recipient_country: str
    certificate: _certificate_pb2.CertificateReference
    verification_id: str
    def __init__(self, request_id: _Optional[str] = ..., recipient_country: _Optional[str] = ..., certificate: _Optional[_Union[_certificate_pb2.CertificateReference, _Mapping]] = ..., verification_id: _Optional[str] = ...) -> None: ...

class OutboxReport(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[OutboxEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[OutboxEntry, _Mapping]]] = ...) -> None: ...

class OutboxEntry(_message.Message):
    __slots__ = ("request_id", "recipient_country", "status", "attempts", "last_error_reason", "receipt")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    recipient_country: str
    status: _envelope_pb2.DeliveryStatus
    attempts: int
    last_error_reason: str
    receipt: _envelope_pb2.Envelope
    def __init__(self, request_id: _Optional[str] = ..., recipient_country: _Optional[str] = ..., status: _Optional[_Union[_envelope_pb2.DeliveryStatus, str]] = ..., attempts: _Optional[int] = ..., last_error_reason: _Optional[str] = ..., receipt: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ...) -> None: ...
