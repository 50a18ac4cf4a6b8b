"""gRPC servicers of the node: ExchangeService, NodeService, TrustService.

Handlers are registered with tolerant request deserializers: a request that
does not parse reaches the handler as such and is refused
``INVALID_ARGUMENT``/``PAYLOAD_MALFORMED`` (never INTERNAL, REQ-ERR-003), and
submissions keep the envelope bytes exactly as they came off the wire so they
are stored and returned bit-identical (REQ-SIG-002, REQ-GET-001). Every RPC
first identifies the caller from its client certificate (REQ-ACC-001).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from reference_node.core import payload_types
from reference_node.core.documents import CertificateRef
from reference_node.core.errors import (
    EcoError,
    FieldInvalid,
    FieldViolation,
    MessageTooLarge,
    PayloadMalformed,
    UnknownDocument,
)
from reference_node.core.intake import VerifiedSubmission
from reference_node.core.tokens import decode_cursor, encode_cursor
from reference_node.server.status import (
    abort_with,
    map_errors,
    map_stream_errors,
    to_rpc_status,
    unavailable_status,
)
from reference_node.service import IMPLEMENTATION_VERSION, SPEC_VERSION, Node
from reference_node.store.base import DocumentRecord
from wco.eco.v1 import (
    envelope_pb2,
    exchange_service_pb2,
    node_service_pb2,
    trust_service_pb2,
)

__all__ = [
    "CONFORMANCE_PROFILES",
    "STREAM_WINDOW",
    "FeedNotifier",
    "NodeServicers",
    "generic_handlers",
]

logger = logging.getLogger(__name__)

#: Profiles the reference node claims (REQ-NODE-001).
CONFORMANCE_PROFILES = ("core", "lifecycle", "verification", "pull", "sender", "transport-security")

_M = TypeVar("_M", bound=Message)
_WATCH_BATCH = 100
#: Documents of one SubmitDocumentStream read ahead and in work before the oldest is answered.
STREAM_WINDOW = 32


@dataclass(frozen=True, slots=True)
class Incoming(Generic[_M]):
    """A request as received: parsed message (or ``None``) and its raw bytes."""

    message: _M | None
    raw: bytes

    def require(self) -> _M:
        """The parsed message.

        Raises:
            PayloadMalformed: The request did not parse.
        """
        if self.message is None:
            raise PayloadMalformed("request is not a parsable message")
        return self.message


def _tolerant(cls: type[_M]) -> Callable[[bytes], Incoming[_M]]:
    def parse(data: bytes) -> Incoming[_M]:
        message = cls()
        try:
            message.ParseFromString(data)
        except (DecodeError, RuntimeError, ValueError):
            return Incoming(None, data)
        return Incoming(message, data)

    return parse


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def raw_field_bytes(data: bytes, number: int) -> bytes:
    """Concatenated bytes of every occurrence of length-delimited field ``number``.

    Parsing the concatenation yields the same message protobuf builds by
    merging the occurrences, so this is exactly the embedded message as sent.

    Raises:
        ValueError: The wire data is malformed.
    """
    pos = 0
    parts: list[bytes] = []
    while pos < len(data):
        key, pos = _varint(data, pos)
        wire = key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            if key >> 3 == number:
                parts.append(data[pos : pos + length])
            pos += length
        else:
            raise ValueError("unsupported wire type")
        if pos > len(data):
            raise ValueError("truncated field")
    return b"".join(parts)


class FeedNotifier:
    """Wakes ``WatchDocuments`` streams when documents are committed (REQ-PULL-004)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.last_sequence = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the serving event loop."""
        self._loop = loop

    def event(self) -> asyncio.Event:
        """The event set at the next commit (take it before reading the feed)."""
        return self._event

    def fire(self) -> None:
        """Wake every waiter (event loop thread only)."""
        self._event.set()
        self._event = asyncio.Event()

    def notify_threadsafe(self, last_sequence: int) -> None:
        """Commit hook: may be called from any thread."""
        self.last_sequence = max(self.last_sequence, last_sequence)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.fire)


def _stored_document(record: DocumentRecord) -> exchange_service_pb2.StoredDocument:
    document = exchange_service_pb2.StoredDocument(
        request_id=record.request_id,
        kind=record.kind,  # type: ignore[arg-type]
        sender_country=record.sender_country,
        recipient_country=record.recipient_country,
        certificate=CertificateRef.from_key(record.certificate_key).to_proto(),
        sequence=record.sequence,
    )
    document.store_time.FromDatetime(record.store_time)
    return document


def _stored_document_bytes(record: DocumentRecord) -> bytes:
    """``StoredDocument`` serialized with the envelope bytes exactly as stored."""
    return _stored_document(record).SerializeToString() + _wrap_field(2, record.envelope)


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _wrap_field(number: int, payload: bytes) -> bytes:
    """Encode ``payload`` as length-delimited field ``number`` (bytes kept as is)."""
    return _encode_varint((number << 3) | 2) + _encode_varint(len(payload)) + payload


async def _refuse_stream_excess(limit: int) -> bytes:
    raise MessageTooLarge(f"a stream carries at most {limit} documents")


def _valid_kind(kind: int) -> int:
    if kind and kind not in payload_types.TYPE_BY_KIND:
        raise FieldInvalid(
            "unknown document kind",
            violations=[FieldViolation("kind", "not a defined DocumentKind", "ENUM_UNDEFINED")],
        )
    return kind


def _ref(ref: Any) -> CertificateRef:
    return CertificateRef.from_proto(ref)


class NodeServicers:
    """The node's gRPC handlers (docs/spec.md sections 2, 3, 6, 10, 11)."""

    def __init__(self, *, node: Node, notifier: FeedNotifier) -> None:
        self.node = node
        self.notifier = notifier

    def _caller(self, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        return self.node.authenticator.caller_country(context)

    # -- ExchangeService ----------------------------------------------------------------

    async def _submit_one(
        self, caller: str, request: Incoming[exchange_service_pb2.SubmitDocumentRequest]
    ) -> bytes:
        message = request.require()
        try:
            envelope_bytes = raw_field_bytes(request.raw, 2)
        except ValueError as exc:
            raise PayloadMalformed("request is not a parsable message") from exc
        return await self.node.submit(
            caller=caller,
            request_id=message.request_id,
            envelope=message.envelope,
            envelope_bytes=envelope_bytes,
            request_len=len(request.raw),
        )

    @map_errors
    async def submit_document(
        self,
        request: Incoming[exchange_service_pb2.SubmitDocumentRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> bytes:
        """SubmitDocument (REQ-PUSH-001..003): returns ``SubmitDocumentResponse`` bytes."""
        caller = self._caller(context)
        receipt = await self._submit_one(caller, request)
        return _wrap_field(1, receipt)

    async def _stream_stage(
        self,
        caller: str,
        request: Incoming[exchange_service_pb2.SubmitDocumentStreamRequest],
        *,
        previous: asyncio.Event | None,
        queued: asyncio.Event,
        earlier_same_id: asyncio.Future[bytes] | None,
    ) -> bytes:
        """One document of a stream: verified concurrently, committed in request order.

        ``previous`` is set once the document before this one has queued its
        store transaction (or failed); this stage queues its own only then and
        sets ``queued``. A request id already used earlier in the same stream
        waits for that document to finish and is then handled exactly as a
        lone submission, so idempotency answers are those of sequential
        processing (REQ-PUSH-005, REQ-IDEM-002).
        """
        prepared: bytes | VerifiedSubmission | None = None
        refusal: Exception | None = None
        try:
            message = request.require()
            try:
                envelope_bytes = raw_field_bytes(request.raw, 2)
            except ValueError as exc:
                raise PayloadMalformed("request is not a parsable message") from exc
            if earlier_same_id is None:
                prepared = await self.node.prepare_submission(
                    caller=caller,
                    request_id=message.request_id,
                    envelope=message.envelope,
                    request_len=len(request.raw),
                )
        except Exception as exc:  # answered in order, after the earlier documents
            refusal = exc
        try:
            if previous is not None:
                await previous.wait()
            if refusal is not None:
                raise refusal
            if earlier_same_id is not None:
                await asyncio.wait([earlier_same_id])
                return await self.node.submit(
                    caller=caller,
                    request_id=message.request_id,
                    envelope=message.envelope,
                    envelope_bytes=envelope_bytes,
                    request_len=len(request.raw),
                )
            if isinstance(prepared, bytes):
                return prepared
            assert prepared is not None
            pending = self.node.commit_submission(
                caller=caller,
                verified=prepared,
                envelope=message.envelope,
                envelope_bytes=envelope_bytes,
            )
            queued.set()
            return await pending
        finally:
            queued.set()

    async def submit_document_stream(
        self,
        requests: AsyncIterator[Incoming[exchange_service_pb2.SubmitDocumentStreamRequest]],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[bytes]:
        """SubmitDocumentStream (REQ-PUSH-005): one response per request, in order.

        Requests are read ahead (up to :data:`STREAM_WINDOW` unanswered) and
        verified concurrently; their store transactions are queued in request
        order, so concurrent documents share group commits and lifecycle rules
        see the stream's earlier documents; answers are sent in request order.
        """
        try:
            caller = self._caller(context)
        except EcoError as exc:
            await abort_with(context, exc)
        limit = self.node.config.limits.max_stream_documents
        window = asyncio.Semaphore(STREAM_WINDOW)
        order: asyncio.Queue[tuple[bytes, asyncio.Task[bytes]] | None] = asyncio.Queue()
        stages: set[asyncio.Task[bytes]] = set()

        by_id: dict[str, asyncio.Future[bytes]] = {}

        def forget(request_id: str, done: asyncio.Future[bytes]) -> None:
            if by_id.get(request_id) is done:
                del by_id[request_id]

        async def read_ahead() -> None:
            count = 0
            previous: asyncio.Event | None = None
            try:
                async for request in requests:
                    await window.acquire()
                    count += 1
                    request_id = request.message.request_id if request.message is not None else ""
                    head = exchange_service_pb2.SubmitDocumentStreamResponse(
                        request_id=request_id
                    ).SerializeToString()
                    if count > limit:
                        stage = asyncio.ensure_future(_refuse_stream_excess(limit))
                    else:
                        queued = asyncio.Event()
                        stage = asyncio.ensure_future(
                            self._stream_stage(
                                caller,
                                request,
                                previous=previous,
                                queued=queued,
                                earlier_same_id=by_id.get(request_id),
                            )
                        )
                        previous = queued
                        if request_id:
                            # Only while it is under way: once done, its outcome is stored.
                            by_id[request_id] = stage
                            stage.add_done_callback(functools.partial(forget, request_id))
                    stages.add(stage)
                    stage.add_done_callback(stages.discard)
                    order.put_nowait((head, stage))
            finally:
                order.put_nowait(None)

        reader = asyncio.ensure_future(read_ahead())
        try:
            while (item := await order.get()) is not None:
                head, stage = item
                try:
                    receipt = await stage
                    response = head + _wrap_field(2, receipt)
                except EcoError as exc:
                    response = head + _wrap_field(3, to_rpc_status(exc).SerializeToString())
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("stream submission failed unexpectedly")
                    response = head + _wrap_field(3, unavailable_status().SerializeToString())
                window.release()
                yield response
            await reader  # a broken request stream ends the call with its error
        finally:
            reader.cancel()
            for stage in list(stages):
                stage.cancel()

    @map_errors
    async def get_document(
        self,
        request: Incoming[exchange_service_pb2.GetDocumentRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> bytes:
        """GetDocument (REQ-GET-001, REQ-ACC-003, REQ-ACC-004)."""
        caller = self._caller(context)
        message = request.require()
        selector = message.WhichOneof("selector")
        request_id = message.request_id if selector == "request_id" else None
        ref = _ref(message.certificate) if selector == "certificate" else None
        if selector is None:
            raise UnknownDocument("no such document")
        record = await self.node.store.read_async(
            lambda: self.node.get_document(caller=caller, request_id=request_id, certificate=ref)
        )
        return _wrap_field(1, _stored_document_bytes(record))

    @map_errors
    async def get_certificate_status(
        self,
        request: Incoming[exchange_service_pb2.GetCertificateStatusRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> exchange_service_pb2.GetCertificateStatusResponse:
        """GetCertificateStatus (section 7, REQ-ACC-003)."""
        caller = self._caller(context)
        ref = _ref(request.require().certificate)
        state = await self.node.store.read_async(
            lambda: self.node.certificate_state(caller=caller, ref=ref)
        )
        return exchange_service_pb2.GetCertificateStatusResponse(status=state.to_proto())

    @map_errors
    async def get_verification_status(
        self,
        request: Incoming[exchange_service_pb2.GetVerificationStatusRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> exchange_service_pb2.GetVerificationStatusResponse:
        """GetVerificationStatus (REQ-VER-003, REQ-ACC-003)."""
        caller = self._caller(context)
        verification_id = request.require().verification_id
        case = await self.node.store.read_async(
            lambda: self.node.verification_case(caller=caller, verification_id=verification_id)
        )
        return exchange_service_pb2.GetVerificationStatusResponse(
            verification_id=case.verification_id,
            certificate=case.certificate.to_proto(),
            state=case.state,  # type: ignore[arg-type]
            outcome=case.outcome,  # type: ignore[arg-type]
            request_document_id=case.request_document_id,
            result_document_id=case.result_document_id or "",
        )

    @map_errors
    async def list_documents(
        self,
        request: Incoming[exchange_service_pb2.ListDocumentsRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> bytes:
        """ListDocuments (REQ-PULL-001..003)."""
        caller = self._caller(context)
        message = request.require()
        limits = self.node.config.limits
        if message.page_size < 0:
            raise FieldInvalid(
                "page_size must not be negative",
                violations=[FieldViolation("page_size", "must be >= 0", "PAGE_SIZE_NEGATIVE")],
            )
        size = min(message.page_size or limits.default_page_size, limits.max_page_size)
        after = decode_cursor(message.page_token) if message.page_token else 0
        kind = _valid_kind(message.kind)
        records = await self.node.store.read_async(
            lambda: self.node.store.list_documents(
                recipient=caller, after=after, kind=kind, limit=size + 1
            )
        )
        more = len(records) > size
        records = records[:size]
        last = records[-1].sequence if records else after
        tail = exchange_service_pb2.ListDocumentsResponse(
            next_page_token=encode_cursor(last) if more else "",
            resume_token=encode_cursor(last),
        ).SerializeToString()
        return b"".join(_wrap_field(1, _stored_document_bytes(r)) for r in records) + tail

    @map_stream_errors
    async def watch_documents(
        self,
        request: Incoming[exchange_service_pb2.WatchDocumentsRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[bytes]:
        """WatchDocuments (REQ-PULL-004): stored documents, then each new one."""
        caller = self._caller(context)
        message = request.require()
        after = decode_cursor(message.cursor) if message.cursor else 0
        kind = _valid_kind(message.kind)
        store = self.node.store
        while True:
            event = self.notifier.event()
            records = await store.read_async(
                lambda start=after: store.list_documents(
                    recipient=caller, after=start, kind=kind, limit=_WATCH_BATCH
                )
            )
            for record in records:
                after = record.sequence
                cursor = exchange_service_pb2.WatchDocumentsResponse(
                    cursor=encode_cursor(after)
                ).SerializeToString()
                yield _wrap_field(1, _stored_document_bytes(record)) + cursor
            if not records:
                await event.wait()

    # -- NodeService --------------------------------------------------------------------

    @map_errors
    async def get_node_info(
        self,
        request: Incoming[node_service_pb2.GetNodeInfoRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> node_service_pb2.GetNodeInfoResponse:
        """GetNodeInfo (REQ-NODE-001)."""
        self._caller(context)
        request.require()
        limits = self.node.config.limits
        info = node_service_pb2.NodeInfo(
            country=self.node.country,
            spec_version=SPEC_VERSION,
            implementation_name=self.node.config.node.implementation_name,
            implementation_version=IMPLEMENTATION_VERSION,
            agreements=sorted(self.node.codelists.agreements),
            signature_algorithms=[
                envelope_pb2.SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                envelope_pb2.SIGNATURE_ALGORITHM_ED25519,
            ],
            payload_types=sorted(payload_types.SUBMITTABLE),
            limits=node_service_pb2.NodeLimits(
                max_message_bytes=limits.max_message_bytes,
                max_payload_bytes=limits.max_payload_bytes,
                max_goods_items=limits.max_goods_items,
                max_stream_documents=limits.max_stream_documents,
                max_page_size=limits.max_page_size,
            ),
            conformance_profiles=list(CONFORMANCE_PROFILES),
        )
        return node_service_pb2.GetNodeInfoResponse(node=info)

    @map_errors
    async def get_code_lists(
        self,
        request: Incoming[node_service_pb2.GetCodeListsRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> node_service_pb2.GetCodeListsResponse:
        """GetCodeLists (REQ-NODE-002)."""
        self._caller(context)
        request.require()
        return node_service_pb2.GetCodeListsResponse(code_lists=self.node.codelists.to_proto())

    # -- TrustService -------------------------------------------------------------------

    @map_errors
    async def get_issuer_directory(
        self,
        request: Incoming[trust_service_pb2.GetIssuerDirectoryRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> trust_service_pb2.GetIssuerDirectoryResponse:
        """GetIssuerDirectory (REQ-DIR-001)."""
        self._caller(context)
        message = request.require()
        if message.newer_than_version and message.newer_than_version >= self.node.directory_version:
            raise UnknownDocument("no newer issuer directory")
        return trust_service_pb2.GetIssuerDirectoryResponse(directory=self.node.directory)


def _identity(data: bytes) -> bytes:
    return data


def _serialize(message: Message | bytes) -> bytes:
    if isinstance(message, bytes):
        return message
    return message.SerializeToString()


def generic_handlers(servicers: NodeServicers) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """The method handlers of the three services, with tolerant deserializers."""
    ex = exchange_service_pb2
    exchange = grpc.method_handlers_generic_handler(
        "wco.eco.v1.ExchangeService",
        {
            "SubmitDocument": grpc.unary_unary_rpc_method_handler(
                servicers.submit_document,
                request_deserializer=_tolerant(ex.SubmitDocumentRequest),
                response_serializer=_identity,
            ),
            "SubmitDocumentStream": grpc.stream_stream_rpc_method_handler(
                servicers.submit_document_stream,
                request_deserializer=_tolerant(ex.SubmitDocumentStreamRequest),
                response_serializer=_identity,
            ),
            "GetDocument": grpc.unary_unary_rpc_method_handler(
                servicers.get_document,
                request_deserializer=_tolerant(ex.GetDocumentRequest),
                response_serializer=_identity,
            ),
            "GetCertificateStatus": grpc.unary_unary_rpc_method_handler(
                servicers.get_certificate_status,
                request_deserializer=_tolerant(ex.GetCertificateStatusRequest),
                response_serializer=_serialize,
            ),
            "GetVerificationStatus": grpc.unary_unary_rpc_method_handler(
                servicers.get_verification_status,
                request_deserializer=_tolerant(ex.GetVerificationStatusRequest),
                response_serializer=_serialize,
            ),
            "ListDocuments": grpc.unary_unary_rpc_method_handler(
                servicers.list_documents,
                request_deserializer=_tolerant(ex.ListDocumentsRequest),
                response_serializer=_identity,
            ),
            "WatchDocuments": grpc.unary_stream_rpc_method_handler(
                servicers.watch_documents,
                request_deserializer=_tolerant(ex.WatchDocumentsRequest),
                response_serializer=_identity,
            ),
        },
    )
    node = grpc.method_handlers_generic_handler(
        "wco.eco.v1.NodeService",
        {
            "GetNodeInfo": grpc.unary_unary_rpc_method_handler(
                servicers.get_node_info,
                request_deserializer=_tolerant(node_service_pb2.GetNodeInfoRequest),
                response_serializer=_serialize,
            ),
            "GetCodeLists": grpc.unary_unary_rpc_method_handler(
                servicers.get_code_lists,
                request_deserializer=_tolerant(node_service_pb2.GetCodeListsRequest),
                response_serializer=_serialize,
            ),
        },
    )
    trust = grpc.method_handlers_generic_handler(
        "wco.eco.v1.TrustService",
        {
            "GetIssuerDirectory": grpc.unary_unary_rpc_method_handler(
                servicers.get_issuer_directory,
                request_deserializer=_tolerant(trust_service_pb2.GetIssuerDirectoryRequest),
                response_serializer=_serialize,
            ),
        },
    )
    return [exchange, node, trust]
