"""Faulty variants: state lost at a restart, receipts a sender accepts, refusals without reason.

Restart faults keep something in memory that the spec requires to survive a restart
(docs/spec.md REQ-PULL-003, REQ-IDEM-002..004). The suite restarts the node through the
adapter (``RestartCommand``), which the reference adapter does inside its own process, so
"in memory" here means: belonging to the node opened at start, dropped when the node is
opened again (:func:`_on_open`). Before any restart the variants behave like the reference
node; only the restart cases see the difference.

Receipt faults make the sender (docs/spec.md REQ-PUSH-003/004) ignore one mismatch of a
validly signed receipt. Stream and watch faults answer a refusal with the right code but no
``ErrorInfo`` (REQ-ERR-001) on one streaming path only.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from typing import Any, Final

from .patching import module, patch_method, replace_function, set_constant
from .variants import _variant

_CORE: Final = ("core",)
_PULL: Final = ("pull",)
_SENDER: Final = ("sender",)


def _on_open(hook: Callable[[Any], None]) -> None:
    """Run ``hook(node)`` each time a reference node is opened (start and every restart)."""

    def make(original: Any) -> Any:
        func = original.__func__

        def open_(cls: Any, /, config: Any, **kwargs: Any) -> Any:
            node = func(cls, config, **kwargs)
            hook(node)
            return node

        return classmethod(open_)

    patch_method("service", "Node", "open", make)


# -- restart: tokens and cursors (REQ-PULL-003) --------------------------------------------


@_variant(
    "page-token-key-per-start",
    fault="page tokens and cursors carry a checksum keyed by a secret drawn when the node "
    "starts, so every token issued before a restart is refused PAGE_TOKEN_INVALID after it",
    area="restart",
    requirements=("REQ-PULL-003",),
    profiles=_PULL,
)
def _page_token_key_per_start() -> None:
    tokens = module("core.tokens")
    domain = tokens._DOMAIN

    def draw_key(node: Any) -> None:
        del node
        tokens._DOMAIN = domain + os.urandom(8)

    _on_open(draw_key)


@_variant(
    "page-token-counts-from-start",
    fault="page tokens and cursors encode the position relative to the end of the feed when "
    "the node started, so after a restart a token from before skips the documents after it",
    area="restart",
    requirements=("REQ-PULL-003", "REQ-PULL-004"),
    profiles=_PULL,
)
def _page_token_counts_from_start() -> None:
    base = [0]

    def remember(node: Any) -> None:
        base[0] = node.store.last_sequence()

    _on_open(remember)
    set_constant(
        "server.services",
        "encode_cursor",
        lambda orig: lambda seq: orig(max(0, seq - base[0])),
    )
    set_constant(
        "server.services",
        "decode_cursor",
        lambda orig: lambda token: orig(token) + base[0],
    )


# -- restart: idempotency and certificate numbers (REQ-IDEM-002..004) -----------------------


@_variant(
    "idempotency-in-memory",
    fault="the node looks request ids up in a map of what it stored since it started, so "
    "after a restart a resubmission gets no original receipt and a reused id with other "
    "bytes no DUPLICATE_CONFLICT",
    area="restart",
    requirements=("REQ-IDEM-002", "REQ-IDEM-003"),
    profiles=_CORE,
)
def _idempotency_in_memory() -> None:
    seen: set[tuple[str, str]] = set()
    _on_open(lambda node: seen.clear())

    def forgetful(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def document_by_request(self: Any, sender_country: str, request_id: str) -> Any:
            if (sender_country, request_id) not in seen:
                return None
            return original(self, sender_country, request_id)

        return document_by_request

    def remembering(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def insert_document(self: Any, document: Any) -> Any:
            sequence = original(self, document)
            seen.add((document.sender_country, document.request_id))
            return sequence

        return insert_document

    patch_method("store.sqlite", "SqliteStore", "document_by_request", forgetful)
    patch_method("store.sqlite", "_Reads", "document_by_request", forgetful)
    patch_method("store.sqlite", "_Transaction", "insert_document", remembering)


@_variant(
    "certificate-numbers-in-memory",
    fault="held certificate numbers are checked against a set built since the node started, "
    "so after a restart a CO reusing a held number under a new request id is accepted",
    area="restart",
    requirements=("REQ-IDEM-004",),
    profiles=_CORE,
)
def _certificate_numbers_in_memory() -> None:
    held: set[str] = set()
    _on_open(lambda node: held.clear())

    def forgetful(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def certificate_request_id(self: Any, ref: Any) -> Any:
            if ref.key not in held:
                return None
            return original(self, ref)

        return certificate_request_id

    def remembering(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def put_certificate(self: Any, row: Any) -> None:
            original(self, row)
            held.add(row.key)

        return put_certificate

    patch_method("service", "_TxView", "certificate_request_id", forgetful)
    patch_method("store.sqlite", "_Transaction", "put_certificate", remembering)


@_variant(
    "receipt-sequence-from-start",
    fault="the feed sequence in a receipt is counted from the node's start, so after a "
    "restart receipts name positions already taken",
    area="restart",
    requirements=("REQ-PUSH-003", "REQ-PULL-001"),
    profiles=_CORE,
)
def _receipt_sequence_from_start() -> None:
    base = [0]

    def remember(node: Any) -> None:
        base[0] = node.store.last_sequence()

    _on_open(remember)

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def build_receipt(*, sequence: int, **kwargs: Any) -> Any:
            return original(sequence=max(1, sequence - base[0]), **kwargs)

        return build_receipt

    replace_function("core.receipts", "build_receipt", make)


@_variant(
    "outbox-queue-in-memory",
    fault="the outbox worker delivers only what was queued since the node started, so a "
    "document still pending at a restart stays PENDING for ever",
    area="restart",
    requirements=("REQ-PUSH-006",),
    profiles=_SENDER,
)
def _outbox_queue_in_memory() -> None:
    queued: set[int] = set()
    _on_open(lambda node: queued.clear())

    def remembering(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def enqueue(self: Any, **kwargs: Any) -> int:
            outbox_id = int(original(self, **kwargs))
            queued.add(outbox_id)
            return outbox_id

        return enqueue

    def forgetful(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def due_outbox(self: Any, **kwargs: Any) -> list[Any]:
            return [e for e in original(self, **kwargs) if e.outbox_id in queued]

        return due_outbox

    patch_method("store.sqlite", "_Transaction", "enqueue", remembering)
    patch_method("store.sqlite", "SqliteStore", "due_outbox", forgetful)


# -- sender: receipts (REQ-PUSH-003, REQ-PUSH-004) -------------------------------------------


def _ignore_receipt_mismatch(field: str) -> None:
    """The sender's receipt check tolerates a mismatch in ``field`` alone."""
    errors = module("core.errors")
    from wco.eco.v1 import envelope_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verify_receipt(receipt_envelope: Any, **kwargs: Any) -> Any:
            try:
                return original(receipt_envelope, **kwargs)
            except errors.FieldInvalid as exc:
                if {v.field for v in exc.violations} != {field}:
                    raise
                return envelope_pb2.Receipt.FromString(receipt_envelope.payload)

        return verify_receipt

    replace_function("core.receipts", "verify_receipt", make)


@_variant(
    "accept-receipt-with-other-digest",
    fault="the sender takes a receipt whose payload digest is not the SHA-256 of what it "
    "sent as delivery",
    area="sender",
    requirements=("REQ-PUSH-004",),
    profiles=_SENDER,
)
def _accept_receipt_with_other_digest() -> None:
    _ignore_receipt_mismatch("payload_sha256")


@_variant(
    "accept-receipt-for-other-request",
    fault="the sender takes a receipt naming another request id as delivery",
    area="sender",
    requirements=("REQ-PUSH-004",),
    profiles=_SENDER,
)
def _accept_receipt_for_other_request() -> None:
    _ignore_receipt_mismatch("request_id")


@_variant(
    "accept-receipt-for-other-receiver",
    fault="the sender takes a receipt naming another receiving country as delivery",
    area="sender",
    requirements=("REQ-PUSH-003", "REQ-PUSH-004"),
    profiles=_SENDER,
)
def _accept_receipt_for_other_receiver() -> None:
    _ignore_receipt_mismatch("receiver_country")


@_variant(
    "accept-receipt-with-failed-status",
    fault="the sender takes a signed receipt whose delivery status is not DELIVERED as delivery",
    area="sender",
    requirements=("REQ-PUSH-003", "REQ-PUSH-004"),
    profiles=_SENDER,
)
def _accept_receipt_with_failed_status() -> None:
    _ignore_receipt_mismatch("delivery_status")


@_variant(
    "accept-receipt-for-other-sender",
    fault="the sender does not compare the receipt's sender country with its own",
    area="sender",
    requirements=("REQ-PUSH-003",),
    profiles=_SENDER,
)
def _accept_receipt_for_other_sender() -> None:
    errors = module("core.errors")
    from wco.eco.v1 import envelope_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verify_delivery_receipt(self: Any, entry: Any, receipt: Any, at: Any) -> int:
            try:
                return int(original(self, entry, receipt, at))
            except errors.FieldInvalid as exc:
                if {v.field for v in exc.violations} != {"sender_country"}:
                    raise
                parsed = envelope_pb2.Receipt.FromString(receipt.payload)
                return int(parsed.delivery_status)

        return verify_delivery_receipt

    patch_method("service", "Node", "verify_delivery_receipt", make)


@_variant(
    "accept-receipt-from-any-signer",
    fault="the sender accepts a receipt signed by any trusted signer of the recipient "
    "country, not only its node signer",
    area="sender",
    requirements=("REQ-PUSH-004",),
    profiles=_SENDER,
)
def _accept_receipt_from_any_signer() -> None:
    class AnyRole:
        """The trust store, reporting every verified signer as a node signer."""

        def __init__(self, trust: Any) -> None:
            self._trust = trust

        def verify_envelope(self, envelope: Any, *, at: Any) -> Any:
            signer = self._trust.verify_envelope(envelope, at=at)
            node_identity = dataclasses.replace(signer.identity, authority_id=None)
            return dataclasses.replace(signer, identity=node_identity)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._trust, name)

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verify_receipt(receipt_envelope: Any, *, trust: Any, **kwargs: Any) -> Any:
            return original(receipt_envelope, trust=AnyRole(trust), **kwargs)

        return verify_receipt

    replace_function("core.receipts", "verify_receipt", make)


# -- refusals on streams (REQ-ERR-001, REQ-PUSH-005) -----------------------------------------


@_variant(
    "stream-refusal-without-error-info",
    fault="a document refused inside SubmitDocumentStream is answered with the right code "
    "but a status without ErrorInfo",
    area="errors",
    requirements=("REQ-ERR-001", "REQ-PUSH-005"),
    profiles=_CORE,
)
def _stream_refusal_without_error_info() -> None:
    from google.rpc import status_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def to_rpc_status(error: Any) -> Any:
            full = original(error)
            return status_pb2.Status(code=full.code, message=full.message)

        return to_rpc_status

    set_constant("server.services", "to_rpc_status", make)


@_variant(
    "watch-refusal-without-error-info",
    fault="a refused WatchDocuments (bad cursor, undefined kind) ends with the right code but "
    "no ErrorInfo",
    area="errors",
    requirements=("REQ-ERR-001", "REQ-PULL-002"),
    profiles=_PULL,
)
def _watch_refusal_without_error_info() -> None:
    errors = module("core.errors")
    status = module("server.status")

    def make(original: Any) -> Any:
        handler = original.__wrapped__  # the servicer method below its error mapping

        @functools.wraps(handler)
        async def watch_documents(self: Any, request: Any, context: Any) -> Any:
            try:
                async for item in handler(self, request, context):
                    yield item
            except errors.EcoError as exc:
                await context.abort(status.grpc_code_of(exc), exc.message)

        return watch_documents

    patch_method("server.services", "NodeServicers", "watch_documents", make)
