"""Faulty variants: protocol rules at their edges (idempotency, streams, pull, verification).

Each variant reproduces one survivor of mutation testing (docs/conformance-mutation.md,
"Missing cases") by wrapping the function the mutant changed: payload types compared by
order instead of equality (REQ-IDEM-003), the stream limit enforced one request early or
published one too low (REQ-LIM-001), effective times at nanos 0 or 999999999 refused, a
listing without a page token that does not start at the first document (REQ-PULL-001),
verification cases looked up among the wrong requester's (REQ-VER-002/003), and a broken
directory grant that hides the grants after it (REQ-AUTH-003). The cases that catch them
are listed in docs/conformance-faults-protocol.md.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Final

from .patching import module, patch_method, replace_function
from .variants import _variant

_CORE: Final = ("core",)
_LIFECYCLE: Final = ("lifecycle",)
_PULL: Final = ("pull",)
_VERIFICATION: Final = ("verification",)


# -- idempotency (section 10) ---------------------------------------------------------------


@_variant(
    "payload-types-compared-in-order",
    fault="a resubmission under a payload type that sorts before the stored one counts as "
    "the same submission (types compared with <= instead of ==)",
    area="idempotency",
    requirements=("REQ-IDEM-003",),
    profiles=_CORE,
)
def _payload_types_in_order() -> None:
    def make(original: Callable[..., bool]) -> Callable[..., bool]:
        def same_submission(
            payload_type: str, payload_sha256: str, stored_type: str, stored_sha256: str
        ) -> bool:
            if payload_type < stored_type:
                return original(stored_type, payload_sha256, stored_type, stored_sha256)
            return original(payload_type, payload_sha256, stored_type, stored_sha256)

        return same_submission

    replace_function("core.intake", "same_submission", make)


# -- stream length (REQ-LIM-001, REQ-PUSH-005) ----------------------------------------------


@_variant(
    "stream-limit-one-early",
    fault="the max_stream_documents-th request of a stream is refused MESSAGE_TOO_LARGE "
    "(the limit is enforced with >= instead of >)",
    area="limits",
    requirements=("REQ-LIM-001", "REQ-PUSH-005"),
    profiles=_CORE,
)
def _stream_limit_one_early() -> None:
    services = module("server.services")
    # Position of each stage in its stream, keyed by the event it sets once queued.
    positions: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        async def stage(self: Any, caller: str, request: Any, **kwargs: Any) -> bytes:
            previous, queued = kwargs["previous"], kwargs["queued"]
            position = 1 if previous is None else positions.get(previous, 0) + 1
            positions[queued] = position
            limit = self.node.config.limits.max_stream_documents
            if position == limit:
                queued.set()  # the next stage must not wait for this one
                return bytes(await services._refuse_stream_excess(limit))
            return bytes(await original(self, caller, request, **kwargs))

        return stage

    patch_method("server.services", "NodeServicers", "_stream_stage", make)


@_variant(
    "stream-limit-published-one-low",
    fault="GetNodeInfo publishes max_stream_documents one lower than the limit the node "
    "enforces, so the request after the published limit is processed",
    area="limits",
    requirements=("REQ-LIM-001", "REQ-NODE-001"),
    profiles=_CORE,
)
def _stream_limit_published_low() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        async def get_node_info(self: Any, request: Any, context: Any) -> Any:
            response = await original(self, request, context)
            response.node.limits.max_stream_documents -= 1
            return response

        return get_node_info

    patch_method("server.services", "NodeServicers", "get_node_info", make)


# -- effective times (section 7) ------------------------------------------------------------


def _refuse_nanos(nanos: int) -> None:
    def make(original: Callable[..., None]) -> Callable[..., None]:
        def timestamp_ok(path: str, value: Any, out: Any) -> None:
            if value.nanos == nanos:
                out.bad(path, "timestamp out of range", "TIMESTAMP_INVALID")
                return
            original(path, value, out)

        return timestamp_ok

    replace_function("core.validation", "_timestamp_ok", make)


@_variant(
    "whole-second-timestamp-refused",
    fault="a timestamp with nanos = 0 is out of range (0 <= nanos read as 1 <= nanos): a "
    "StatusChange or ImportOutcome at a whole second is refused FIELD_INVALID",
    area="lifecycle",
    requirements=("REQ-LC-002", "REQ-LC-005"),
    profiles=_LIFECYCLE,
)
def _whole_second_refused() -> None:
    _refuse_nanos(0)


@_variant(
    "last-nanosecond-timestamp-refused",
    fault="a timestamp with nanos = 999999999 is out of range (<= read as <): a "
    "StatusChange or ImportOutcome at the last nanosecond of a second is refused",
    area="lifecycle",
    requirements=("REQ-LC-002", "REQ-LC-005"),
    profiles=_LIFECYCLE,
)
def _last_nanosecond_refused() -> None:
    _refuse_nanos(999_999_999)


# -- pull (REQ-PULL-001, REQ-PULL-003) ------------------------------------------------------


@_variant(
    "listing-starts-after-sequence-1",
    fault="ListDocuments without a page token starts after feed sequence 1 instead of 0, so "
    "the first document the node stored is never listed",
    area="pull",
    requirements=("REQ-PULL-001", "REQ-PULL-003"),
    profiles=_PULL,
)
def _unpaged_after_one() -> None:
    tokens = module("core.tokens")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        async def list_documents(self: Any, request: Any, context: Any) -> Any:
            if request.message is not None and not request.message.page_token:
                request.message.page_token = tokens.encode_cursor(1)
            return await original(self, request, context)

        return list_documents

    patch_method("server.services", "NodeServicers", "list_documents", make)


@_variant(
    "listing-skips-callers-first-document",
    fault="ListDocuments without a page token starts after the caller's first document",
    area="pull",
    requirements=("REQ-PULL-001", "REQ-PULL-003"),
    profiles=_PULL,
)
def _unpaged_skips_first() -> None:
    tokens = module("core.tokens")
    exchange = module("server.services").exchange_service_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        async def list_documents(self: Any, request: Any, context: Any) -> Any:
            message = request.message
            if message is None or message.page_token or message.page_size < 0:
                return await original(self, request, context)
            size = message.page_size
            message.page_size = 1
            head = exchange.ListDocumentsResponse.FromString(await original(self, request, context))
            message.page_size = size
            if head.documents:
                message.page_token = tokens.encode_cursor(head.documents[0].sequence)
            return await original(self, request, context)

        return list_documents

    patch_method("server.services", "NodeServicers", "list_documents", make)


# -- verification cases (REQ-VER-002, REQ-VER-003) ------------------------------------------


@_variant(
    "verification-case-earlier-requester",
    fault="a VerificationResult is matched against the case with its verification_id whose "
    "requester sorts before the node's country, not against the node's own case",
    area="verification",
    requirements=("REQ-VER-002", "REQ-VER-003"),
    profiles=_VERIFICATION,
)
def _verification_earlier_requester() -> None:
    codec = module("store.codec")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def verification_case(self: Any, verification_id: str) -> Any:
            if original(self, verification_id) is None:
                return None
            rows = list(self._tx.verifications_by_id(verification_id))
            earlier = [r for r in rows if r.requesting_country < self._country]
            return codec.decode_case((earlier or rows)[0].state)

        return verification_case

    patch_method("service", "_TxView", "verification_case", make)


@_variant(
    "verification-case-without-own-fails",
    fault="looking up a verification_id that only a partner used as requester fails with an "
    "internal error (the node's own cases and all cases joined with 'and' instead of 'or')",
    area="verification",
    requirements=("REQ-VER-002", "REQ-ERR-003"),
    profiles=_VERIFICATION,
)
def _verification_without_own() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def verification_case(self: Any, verification_id: str) -> Any:
            case = original(self, verification_id)
            if case is not None and case.requesting_country != self._country:
                raise IndexError("list index out of range")
            return case

        return verification_case

    patch_method("service", "_TxView", "verification_case", make)


# -- directory grants (REQ-AUTH-003) --------------------------------------------------------


@_variant(
    "grant-search-stops-at-broken-grant",
    fault="a directory grant whose effective_to is no calendar date ends the search through "
    "the authority's grants, so a valid grant listed after it is not seen",
    area="authorisation",
    requirements=("REQ-AUTH-003",),
    profiles=_CORE,
)
def _grant_search_stops() -> None:
    authorisation = module("core.authorisation")

    def make(original: Callable[..., bool]) -> Callable[..., bool]:
        def authority_authorised(directory: Any, **kwargs: Any) -> bool:
            trimmed = type(directory)()
            trimmed.CopyFrom(directory)
            for entry in trimmed.authorities:
                for index, grant in enumerate(entry.authorisations):
                    broken = grant.HasField("effective_to") and (
                        authorisation._date(grant.effective_to) is None
                    )
                    if grant.agreement_id == kwargs["agreement_id"] and broken:
                        del entry.authorisations[index:]
                        break
            return original(trimmed, **kwargs)

        return authority_authorised

    replace_function("core.authorisation", "authority_authorised", make)
