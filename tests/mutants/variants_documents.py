"""Faulty variants: checks per document kind, idempotency, transitions, verification.

Each variant is one small fault of a kind the conformance suite once missed: a check
applied to certificates only, a rule skipped for a country whose issuer directory is
loaded, the stream path answering resubmissions by itself, a transition table with one
entry too many, a read showing a state the node refused, a verification case looked up
or revealed too loosely. docs/conformance.md ("Variants by test obligation") lists which case
catches each.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, Final

from .patching import module, patch_method, replace_function, set_constant
from .variants import _variant

_CORE: Final = ("core",)
_LIFECYCLE: Final = ("lifecycle",)
_VERIFICATION: Final = ("verification",)
_CERTIFICATE_TYPE: Final = "application/vnd.wco.eco.certificate.v1+protobuf"


# -- obligation: every check on every document kind ----------------------------------------


@_variant(
    "revocation-only-for-certificates",
    fault="a revoked signer key is refused on certificates only; other documents it signs pass",
    area="trust",
    requirements=("REQ-PKI-005",),
    profiles=_CORE,
)
def _revocation_only_for_certificates() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verify_envelope(self: Any, envelope: Any, *, at: Any) -> Any:
            try:
                return original(self, envelope, at=at)
            except errors.SignerRevoked:
                if envelope.payload_type == _CERTIFICATE_TYPE:
                    raise
            saved = self._revoked
            self._revoked = MappingProxyType({})
            try:
                return original(self, envelope, at=at)
            finally:
                self._revoked = saved

        return verify_envelope

    patch_method("core.trust", "TrustStore", "verify_envelope", make)


_DIRECTORY_SENDER = threading.local()


@_variant(
    "status-change-rules-skipped-with-directory",
    fault="field rules of status changes are skipped when the sending country's issuer "
    "directory is loaded",
    area="field rules",
    requirements=("REQ-LC-002",),
    profiles=_CORE,
)
def _status_change_rules_skipped_with_directory() -> None:
    from wco.eco.v1 import lifecycle_pb2

    def make_authorise(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def authorise(doc: Any, signer: Any, **kwargs: Any) -> None:
            _DIRECTORY_SENDER.loaded = kwargs["trust"].directory(doc.sender_country) is not None
            original(doc, signer, **kwargs)

        return authorise

    def make_validate(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def validate_document(doc: Any, **kwargs: Any) -> Any:
            if isinstance(doc.message, lifecycle_pb2.StatusChange) and getattr(
                _DIRECTORY_SENDER, "loaded", False
            ):
                return []
            return original(doc, **kwargs)

        return validate_document

    replace_function("core.authorisation", "authorise", make_authorise)
    replace_function("core.validation", "validate_document", make_validate)


# -- obligation: idempotency variants ------------------------------------------------------


@_variant(
    "idempotency-compares-envelope-bytes",
    fault="a resubmission is the same document only when its envelope bytes are identical, "
    "so a re-signed payload under its request id is DUPLICATE_CONFLICT",
    area="idempotency",
    requirements=("REQ-IDEM-002",),
    profiles=_CORE,
)
def _idempotency_compares_envelope_bytes() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def idempotent(self: Any, stored: Any, envelope: Any) -> bytes:
            if (
                envelope.SerializeToString()
                != type(envelope).FromString(stored.envelope).SerializeToString()
            ):
                raise errors.DuplicateConflict("request_id already used for other bytes")
            return original(self, stored, envelope)  # type: ignore[no-any-return]

        return idempotent

    patch_method("service", "Node", "_idempotent", make)


class _NoRequestLookup:
    """A write transaction that does not find documents by request id."""

    def __init__(self, tx: Any) -> None:
        self._tx = tx

    def document_by_request(self, _caller: str, _request_id: str) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


@_variant(
    "stream-skips-idempotency-store",
    fault="SubmitDocumentStream does not look request ids up in the store, so a document "
    "stored earlier is processed again instead of getting its original receipt",
    area="idempotency",
    requirements=("REQ-IDEM-002", "REQ-PUSH-005"),
    profiles=_CORE,
)
def _stream_skips_idempotency_store() -> None:
    node_cls = module("service").Node
    intake = module("core.intake")
    prepare, commit = node_cls.prepare_submission, node_cls.commit_submission

    async def submit(
        self: Any,
        *,
        caller: str,
        request_id: str,
        envelope: Any,
        envelope_bytes: bytes,
        request_len: int,
    ) -> bytes:
        # the unary path keeps the store lookups
        prepared = await prepare(
            self, caller=caller, request_id=request_id, envelope=envelope, request_len=request_len
        )
        if isinstance(prepared, bytes):
            return prepared
        return await commit(  # type: ignore[no-any-return]
            self, caller=caller, verified=prepared, envelope=envelope, envelope_bytes=envelope_bytes
        )

    async def stream_prepare(
        self: Any, *, caller: str, request_id: str, envelope: Any, request_len: int
    ) -> Any:
        return intake.verify_submission(
            request_id=request_id,
            envelope_bytes_len=request_len,
            envelope=envelope,
            caller_country=caller,
            node_country=self.country,
            trust=self.trust,
            codelists=self.codelists,
            limits=self.config.limits,
            now=self.clock(),
        )

    def stream_commit(
        self: Any, *, caller: str, verified: Any, envelope: Any, envelope_bytes: bytes
    ) -> Any:
        return self.store.write_async(
            lambda tx: self._commit_received(
                _NoRequestLookup(tx), verified, caller, envelope, envelope_bytes
            )
        )

    patch_method("service", "Node", "submit", lambda _orig: submit)
    patch_method("service", "Node", "prepare_submission", lambda _orig: stream_prepare)
    patch_method("service", "Node", "commit_submission", lambda _orig: stream_commit)


# -- obligation: the lifecycle transition matrix -------------------------------------------


@_variant(
    "accepted-after-partially-used",
    fault="a PARTIALLY_USED certificate may go back to ACCEPTED",
    area="lifecycle",
    requirements=("REQ-LC-005",),
    profiles=_LIFECYCLE,
)
def _accepted_after_partially_used() -> None:
    from wco.eco.v1 import lifecycle_pb2 as lc

    def make(table: Any) -> Any:
        changed = dict(table)
        changed[lc.IMPORT_STATE_PARTIALLY_USED] = changed[
            lc.IMPORT_STATE_PARTIALLY_USED
        ] | frozenset({lc.IMPORT_STATE_ACCEPTED})
        return MappingProxyType(changed)

    set_constant("core.lifecycle", "_IMPORT_TRANSITIONS", make)


@_variant(
    "cancel-after-partial-use",
    fault="only a FULLY_USED certificate counts as used, so a partially used one may be "
    "cancelled or replaced",
    area="lifecycle",
    requirements=("REQ-LC-002", "REQ-LC-004"),
    profiles=_LIFECYCLE,
)
def _cancel_after_partial_use() -> None:
    from wco.eco.v1 import lifecycle_pb2 as lc

    state_cls = module("core.lifecycle").CertificateState
    state_cls.is_used = property(lambda self: self.import_state == lc.IMPORT_STATE_FULLY_USED)


_ATTEMPTED: dict[str, int] = {}


@_variant(
    "read-shows-refused-import-state",
    fault="GetCertificateStatus shows the import state of the last outcome tried, even when "
    "that outcome was refused ILLEGAL_TRANSITION",
    area="lifecycle",
    requirements=("REQ-LC-005", "REQ-LC-010"),
    profiles=_LIFECYCLE,
)
def _read_shows_refused_import_state() -> None:
    errors = module("core.errors")

    def make_apply(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def apply_import_outcome(state: Any, outcome: Any, *, at: Any) -> Any:
            try:
                return original(state, outcome, at=at)
            except errors.IllegalTransition:
                _ATTEMPTED[state.ref.key] = outcome.new_state
                raise

        return apply_import_outcome

    def make_read(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def certificate_state(self: Any, *, caller: str, ref: Any) -> Any:
            state = original(self, caller=caller, ref=ref)
            attempted = _ATTEMPTED.get(ref.key)
            return (
                state if attempted is None else dataclasses.replace(state, import_state=attempted)
            )

        return certificate_state

    replace_function("core.lifecycle", "apply_import_outcome", make_apply)
    patch_method("service", "Node", "certificate_state", make_read)


# -- obligation: verification --------------------------------------------------------------


@_variant(
    "verification-status-leaks-existence",
    fault="GetVerificationStatus answers a case the caller is no party to with another "
    "message than a case that does not exist",
    area="access",
    requirements=("REQ-ACC-004", "REQ-VER-003"),
    profiles=_VERIFICATION,
)
def _verification_status_leaks_existence() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verification_case(self: Any, *, caller: str, verification_id: str) -> Any:
            try:
                return original(self, caller=caller, verification_id=verification_id)
            except errors.UnknownDocument:
                if list(self.store.verifications_by_id(verification_id)):
                    raise errors.UnknownDocument("verification case of other countries") from None
                raise

        return verification_case

    patch_method("service", "Node", "verification_case", make)


class _CaseForAnyCertificate:
    """A state view whose verification cases concern whatever certificate is asked about."""

    def __init__(self, view: Any, certificate: Any) -> None:
        self._view = view
        self._certificate = certificate

    def verification_case(self, verification_id: str) -> Any:
        case = self._view.verification_case(verification_id)
        return None if case is None else dataclasses.replace(case, certificate=self._certificate)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)


@_variant(
    "verification-result-for-another-certificate",
    fault="a VerificationResult is matched to its case by verification id only, so a result "
    "about another certificate answers the case",
    area="verification",
    requirements=("REQ-VER-002",),
    profiles=_VERIFICATION,
)
def _verification_result_for_another_certificate() -> None:
    from wco.eco.v1 import verification_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def plan_changes(verified: Any, view: Any, **kwargs: Any) -> Any:
            if isinstance(verified.document.message, verification_pb2.VerificationResult):
                view = _CaseForAnyCertificate(view, verified.document.certificate)
            return original(verified, view, **kwargs)

        return plan_changes

    replace_function("core.intake", "plan_changes", make)
