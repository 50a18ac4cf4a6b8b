from wco.eco.v1 import envelope_pb2 as _envelope_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetNodeInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetNodeInfoResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: NodeInfo
    def __init__(self, node: _Optional[_Union[NodeInfo, _Mapping]] = ...) -> None: ...

class NodeInfo(_message.Message):
    __slots__ = ("country", "spec_version", "implementation_name", "implementation_version", "agreements", "signature_algorithms", "payload_types", "limits", "conformance_profiles")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    SPEC_VERSION_FIELD_NUMBER: _ClassVar[int]
    IMPLEMENTATION_NAME_FIELD_NUMBER: _ClassVar[int]
    IMPLEMENTATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    AGREEMENTS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_ALGORITHMS_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_TYPES_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    CONFORMANCE_PROFILES_FIELD_NUMBER: _ClassVar[int]
    country: str
    spec_version: str
    implementation_name: str
    implementation_version: str
    agreements: _containers.RepeatedScalarFieldContainer[str]
    signature_algorithms: _containers.RepeatedScalarFieldContainer[_envelope_pb2.SignatureAlgorithm]
    payload_types: _containers.RepeatedScalarFieldContainer[str]
    limits: NodeLimits
    conformance_profiles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, country: _Optional[str] = ..., spec_version: _Optional[str] = ..., implementation_name: _Optional[str] = ..., implementation_version: _Optional[str] = ..., agreements: _Optional[_Iterable[str]] = ..., signature_algorithms: _Optional[_Iterable[_Union[_envelope_pb2.SignatureAlgorithm, str]]] = ..., payload_types: _Optional[_Iterable[str]] = ..., limits: _Optional[_Union[NodeLimits, _Mapping]] = ..., conformance_profiles: _Optional[_Iterable[str]] = ...) -> None: ...

class NodeLimits(_message.Message):
    __slots__ = ("max_message_bytes", "max_payload_bytes", "max_goods_items", "max_stream_documents", "max_page_size")
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_PAYLOAD_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_GOODS_ITEMS_FIELD_NUMBER: _ClassVar[int]
    MAX_STREAM_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    max_message_bytes: int
    max_payload_bytes: int
    max_goods_items: int
    max_stream_documents: int
    max_page_size: int
    def __init__(self, max_message_bytes: _Optional[int] = ..., max_payload_bytes: _Optional[int] = ..., max_goods_items: _Optional[int] = ..., max_stream_documents: _Optional[int] = ..., max_page_size: _Optional[int] = ...) -> None: ...

class GetCodeListsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCodeListsResponse(_message.Message):
    __slots__ = ("code_lists",)
    CODE_LISTS_FIELD_NUMBER: _ClassVar[int]
    code_lists: _containers.RepeatedCompositeFieldContainer[CodeList]
    def __init__(self, code_lists: _Optional[_Iterable[_Union[CodeList, _Mapping]]] = ...) -> None: ...

class CodeList(_message.Message):
    __slots__ = ("name", "version", "entries")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    entries: _containers.RepeatedCompositeFieldContainer[CodeListEntry]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[CodeListEntry, _Mapping]]] = ...) -> None: ...

class CodeListEntry(_message.Message):
    __slots__ = ("code", "description", "parent_code")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    description: str
    parent_code: str
    def __init__(self, code: _Optional[str] = ..., description: _Optional[str] = ..., parent_code: _Optional[str] = ...) -> None: ...
