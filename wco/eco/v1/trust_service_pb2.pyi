from wco.eco.v1 import envelope_pb2 as _envelope_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetIssuerDirectoryRequest(_message.Message):
    __slots__ = ("newer_than_version",)
    NEWER_THAN_VERSION_FIELD_NUMBER: _ClassVar[int]
    newer_than_version: int
    def __init__(self, newer_than_version: _Optional[int] = ...) -> None: ...

class GetIssuerDirectoryResponse(_message.Message):
    __slots__ = ("directory",)
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    directory: _envelope_pb2.Envelope
    def __init__(self, directory: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ...) -> None: ...
