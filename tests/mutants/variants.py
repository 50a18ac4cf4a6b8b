"""Catalogue of faulty reference-node variants (docs/conformance.md, "Faults the suite catches").

Every variant is one small, named fault, applied by wrapping or replacing one
function, method or constant of the reference node (never by copying it).
``profiles`` names the conformance profiles that must catch it: the mutant
test runs only those profiles against the variant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from .patching import module, patch_method, replace_function, set_constant

__all__ = ["VARIANTS", "Variant", "get"]


@dataclass(frozen=True, kw_only=True)
class Variant:
    """One faulty variant of the reference node.

    Attributes:
        name: Command-line name (``python -m tests.mutants.launch NAME ...``).
        fault: What the variant does wrong, in one sentence.
        area: Area of the spec the fault belongs to.
        requirements: Requirement ids the fault breaks.
        profiles: Profiles run against the variant; at least one must fail.
        apply: Applies the fault in the current process.
        gap: When the suite does not catch the fault yet: the case that would.
    """

    name: str
    fault: str
    area: str
    requirements: tuple[str, ...]
    profiles: tuple[str, ...]
    apply: Callable[[], None]
    gap: str = ""


VARIANTS: dict[str, Variant] = {}


def _variant(
    name: str,
    *,
    fault: str,
    area: str,
    requirements: tuple[str, ...],
    profiles: tuple[str, ...],
    gap: str = "",
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(apply: Callable[[], None]) -> Callable[[], None]:
        if name in VARIANTS:
            raise ValueError(f"duplicate variant {name}")
        VARIANTS[name] = Variant(
            name=name,
            fault=fault,
            area=area,
            requirements=requirements,
            profiles=profiles,
            apply=apply,
            gap=gap,
        )
        return apply

    return register


def get(name: str) -> Variant:
    """Return the variant called ``name``.

    Raises:
        KeyError: No such variant.
    """
    return VARIANTS[name]


# -- helpers -------------------------------------------------------------------------------

_CORE: Final = ("core",)


def _wraps(original: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return functools.wraps(original)


def _chain(signature: Any) -> list[Any]:
    signing = module("core.signing")
    return [signing.parse_certificate(der) for der in signature.certificate_chain]


# -- signatures and trust (section 5.1, 5.2) ------------------------------------------------


@_variant(
    "accept-invalid-signature",
    fault="a signature that does not verify is treated as valid (the signer is still checked)",
    area="signatures",
    requirements=("REQ-SIG-004", "REQ-SIG-005", "REQ-SIG-006"),
    profiles=_CORE,
)
def _accept_invalid_signature() -> None:
    errors = module("core.errors")
    signing = module("core.signing")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def verify_signature(signature: Any, *, payload_type: str, payload: bytes) -> Any:
            try:
                return original(signature, payload_type=payload_type, payload=payload)
            except errors.SignatureInvalid:
                if not signature.certificate_chain:
                    raise
                return signing.parse_certificate(signature.certificate_chain[0])

        return verify_signature

    replace_function("core.signing", "verify_signature", make)


@_variant(
    "accept-untrusted-root",
    fault="the signer's chain is not path-validated, so a chain to an unknown root is accepted",
    area="trust",
    requirements=("REQ-PKI-001",),
    profiles=_CORE,
)
def _accept_untrusted_root() -> None:
    patch_method("core.trust", "TrustStore", "_validate_path", lambda _orig: lambda *a, **k: None)


@_variant(
    "ignore-signer-expiry",
    fault="an expired signer (or intermediate) certificate is judged as if still valid",
    area="trust",
    requirements=("REQ-PKI-003",),
    profiles=_CORE,
)
def _ignore_signer_expiry() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _verify_signer(self: Any, signature: Any, at: dt.datetime) -> Any:
            chain = _chain(signature)
            end = min(c.not_valid_after_utc for c in chain)
            if at > end:
                at = end - dt.timedelta(seconds=1)
            return original(self, signature, at)

        return _verify_signer

    patch_method("core.trust", "TrustStore", "_verify_signer", make)


@_variant(
    "accept-not-yet-valid-signer",
    fault="a signer certificate that is not valid yet is judged as if already valid",
    area="trust",
    requirements=("REQ-PKI-003",),
    profiles=_CORE,
)
def _accept_not_yet_valid_signer() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _verify_signer(self: Any, signature: Any, at: dt.datetime) -> Any:
            chain = _chain(signature)
            start = max(c.not_valid_before_utc for c in chain)
            if at < start:
                at = start + dt.timedelta(seconds=1)
            return original(self, signature, at)

        return _verify_signer

    patch_method("core.trust", "TrustStore", "_verify_signer", make)


@_variant(
    "ignore-revocation",
    fault="revocations listed in a partner's signed issuer directory are ignored",
    area="trust",
    requirements=("REQ-PKI-005",),
    profiles=_CORE,
)
def _ignore_revocation() -> None:
    replace_function("core.trust", "_revocations", lambda _orig: lambda directory: {})


def _patch_authorise(adjust: Callable[[Any, Any, dict[str, Any]], Any]) -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def authorise(doc: Any, signer: Any, **kwargs: Any) -> None:
            return original(doc, adjust(doc, signer, kwargs), **kwargs)  # type: ignore[no-any-return]

        return authorise

    replace_function("core.authorisation", "authorise", make)


@_variant(
    "ignore-signer-country",
    fault="a trusted authority of another country may sign documents sent by this country",
    area="authorisation",
    requirements=("REQ-AUTH-001",),
    profiles=_CORE,
)
def _ignore_signer_country() -> None:
    identity = module("core.identity")

    def adjust(doc: Any, signer: Any, _kwargs: dict[str, Any]) -> Any:
        ident = signer.identity
        if ident.is_node or ident.country == doc.sender_country:
            return signer
        return dataclasses.replace(
            signer, identity=identity.SignerIdentity(doc.sender_country, ident.authority_id)
        )

    _patch_authorise(adjust)


@_variant(
    "accept-node-signer-documents",
    fault="a node signer (urn:wco:eco:node:CC) may sign certificates like an issuing authority",
    area="authorisation",
    requirements=("REQ-AUTH-002",),
    profiles=_CORE,
)
def _accept_node_signer_documents() -> None:
    identity = module("core.identity")

    def adjust(doc: Any, signer: Any, _kwargs: dict[str, Any]) -> Any:
        ident = signer.identity
        if not ident.is_node:
            return signer
        authority = doc.certificate.issuing_authority_id or "node"
        return dataclasses.replace(
            signer, identity=identity.SignerIdentity(ident.country, authority)
        )

    _patch_authorise(adjust)


@_variant(
    "accept-sender-mismatch",
    fault="a caller may submit documents whose sending country is not its own",
    area="authorisation",
    requirements=("REQ-ACC-002", "REQ-AUTH-004"),
    profiles=_CORE,
)
def _accept_sender_mismatch() -> None:
    def adjust(doc: Any, signer: Any, kwargs: dict[str, Any]) -> Any:
        kwargs["caller_country"] = doc.sender_country
        return signer

    _patch_authorise(adjust)


# -- payloads and field rules (section 4, REQ-SIG-001, REQ-CO-*) ---------------------------


class _AnySubmittable(frozenset[str]):
    """Every payload type except the ones nodes produce themselves."""

    excluded: frozenset[str] = frozenset()

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item not in self.excluded


class _DefaultMapping(Mapping[str, Any]):
    def __init__(self, data: Mapping[str, Any], default: Any) -> None:
        self._data = dict(data)
        self._default = default

    def __getitem__(self, key: str) -> Any:
        return self._data.get(key, self._default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, self._default)


@_variant(
    "accept-unknown-payload-type",
    fault="an envelope with a payload type the node does not know is processed as a certificate",
    area="payload",
    requirements=("REQ-SIG-001",),
    profiles=_CORE,
)
def _accept_unknown_payload_type() -> None:
    pt = module("core.payload_types")
    from wco.eco.v1 import certificate_pb2, exchange_service_pb2

    submittable = _AnySubmittable(pt.SUBMITTABLE)
    submittable.excluded = frozenset({pt.RECEIPT, pt.ISSUER_DIRECTORY})
    set_constant("core.payload_types", "SUBMITTABLE", lambda _orig: submittable)
    set_constant(
        "core.payload_types",
        "MESSAGE_BY_TYPE",
        lambda orig: _DefaultMapping(orig, certificate_pb2.CertificateOfOrigin),
    )
    set_constant(
        "core.payload_types",
        "KIND_BY_TYPE",
        lambda orig: _DefaultMapping(orig, exchange_service_pb2.DOCUMENT_KIND_CERTIFICATE),
    )


@_variant(
    "accept-unknown-fields",
    fault="a payload carrying fields unknown to the schema is accepted (they are ignored)",
    area="payload",
    requirements=("REQ-CO-001",),
    profiles=_CORE,
)
def _accept_unknown_fields() -> None:
    set_constant("core.documents", "has_unknown_fields", lambda _orig: lambda message: False)


@_variant(
    "accept-missing-field",
    fault="the mandatory fields of a certificate of origin are not checked",
    area="field rules",
    requirements=("REQ-CO-002",),
    profiles=_CORE,
)
def _accept_missing_field() -> None:
    set_constant("core.validation", "_co_missing", lambda _orig: lambda co, out: None)


def _ignore_violations(*codes: str) -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def bad(self: Any, field: str, description: str, code: str) -> None:
            if code in codes:
                return
            original(self, field, description, code)

        return bad

    patch_method("core.validation", "_Collector", "bad", make)


@_variant(
    "accept-invalid-hs-code",
    fault="HS codes are not checked (format and chapter)",
    area="field rules",
    requirements=("REQ-CO-007",),
    profiles=_CORE,
)
def _accept_invalid_hs_code() -> None:
    _ignore_violations("HS_CODE_FORMAT", "HS_CODE_CHAPTER")


@_variant(
    "accept-invalid-country",
    fault="country codes are not checked against ISO 3166-1",
    area="field rules",
    requirements=("REQ-CO-005",),
    profiles=_CORE,
)
def _accept_invalid_country() -> None:
    _ignore_violations("COUNTRY_CODE")


@_variant(
    "accept-invalid-currency",
    fault="currency codes are not checked against ISO 4217",
    area="field rules",
    requirements=("REQ-CO-010",),
    profiles=_CORE,
)
def _accept_invalid_currency() -> None:
    _ignore_violations("CURRENCY_CODE")


@_variant(
    "accept-invalid-request-id",
    fault="the request id is not checked to be a canonical UUID",
    area="idempotency",
    requirements=("REQ-IDEM-001",),
    profiles=_CORE,
)
def _accept_invalid_request_id() -> None:
    replace_function("core.intake", "check_request_id", lambda _orig: lambda request_id: None)


# -- idempotency and duplicates (section 10) -----------------------------------------------


@_variant(
    "store-duplicate-certificate",
    fault="a certificate whose number is already held is stored again under a new request id",
    area="idempotency",
    requirements=("REQ-IDEM-004",),
    profiles=_CORE,
)
def _store_duplicate_certificate() -> None:
    patch_method(
        "service", "_TxView", "certificate_request_id", lambda _orig: lambda self, ref: None
    )


@_variant(
    "new-receipt-for-duplicate",
    fault="a resubmission gets a newly signed receipt instead of the original one",
    area="idempotency",
    requirements=("REQ-IDEM-002",),
    profiles=_CORE,
)
def _new_receipt_for_duplicate() -> None:
    from wco.eco.v1 import envelope_pb2

    signing = module("core.signing")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _idempotent(self: Any, stored: Any, envelope: Any) -> bytes:
            first = envelope_pb2.Envelope.FromString(original(self, stored, envelope))
            receipt = envelope_pb2.Receipt.FromString(first.payload)
            receipt.received_time.FromDatetime(dt.datetime.now(dt.UTC))
            again = signing.sign_envelope(
                payload_type=first.payload_type,
                payload=receipt.SerializeToString(deterministic=True),
                signers=[self.node_signer],
            )
            return again.SerializeToString()  # type: ignore[no-any-return]

        return _idempotent

    patch_method("service", "Node", "_idempotent", make)


@_variant(
    "accept-conflicting-resubmission",
    fault="a request id reused for different bytes returns the first receipt",
    area="idempotency",
    requirements=("REQ-IDEM-003",),
    profiles=_CORE,
)
def _accept_conflicting_resubmission() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _idempotent(self: Any, stored: Any, envelope: Any) -> bytes:
            if stored.receipt is not None:
                return stored.receipt  # type: ignore[no-any-return]
            return original(self, stored, envelope)  # type: ignore[no-any-return]

        return _idempotent

    patch_method("service", "Node", "_idempotent", make)


# -- errors (section 9) --------------------------------------------------------------------


@_variant(
    "wrong-code-duplicate-conflict",
    fault="DUPLICATE_CONFLICT is sent with FAILED_PRECONDITION instead of ALREADY_EXISTS",
    area="errors",
    requirements=("REQ-ERR-002",),
    profiles=_CORE,
)
def _wrong_code_duplicate_conflict() -> None:
    import grpc

    errors = module("core.errors")

    def make(original: Mapping[Any, Any]) -> Mapping[Any, Any]:
        table = dict(original)
        table[errors.DuplicateConflict] = grpc.StatusCode.FAILED_PRECONDITION
        return table

    set_constant("server.status", "CODE_BY_ERROR", make)


@_variant(
    "wrong-reason-expired-signer",
    fault="an expired signer is refused as SIGNER_UNTRUSTED instead of SIGNER_EXPIRED",
    area="errors",
    requirements=("REQ-ERR-002", "REQ-PKI-003"),
    profiles=_CORE,
)
def _wrong_reason_expired_signer() -> None:
    errors = module("core.errors")
    set_constant("core.trust", "SignerExpired", lambda _orig: errors.SignerUntrusted)


# -- durability and retrieval (section 3) --------------------------------------------------


@_variant(
    "receipt-before-commit",
    fault="the receipt is returned but the transaction that stored the document is rolled back",
    area="durability",
    requirements=("REQ-PUSH-001",),
    profiles=_CORE,
)
def _receipt_before_commit() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _commit_received(self: Any, tx: Any, *args: Any) -> bytes:
            tx.conn.execute("SAVEPOINT lost_write")
            receipt = original(self, tx, *args)
            tx.conn.execute("ROLLBACK TO lost_write")
            tx.conn.execute("RELEASE lost_write")
            return receipt  # type: ignore[no-any-return]

        return _commit_received

    patch_method("service", "Node", "_commit_received", make)


@_variant(
    "reserialized-document",
    fault="GetDocument returns the envelope parsed and re-serialized instead of the stored bytes",
    area="retrieval",
    requirements=("REQ-GET-001", "REQ-SIG-002"),
    profiles=_CORE,
)
def _reserialized_document() -> None:
    from wco.eco.v1 import envelope_pb2

    pt = module("core.payload_types")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def get_document(self: Any, **kwargs: Any) -> Any:
            record = original(self, **kwargs)
            envelope = envelope_pb2.Envelope.FromString(record.envelope)
            cls = pt.MESSAGE_BY_TYPE.get(envelope.payload_type)
            if cls is not None:
                envelope.payload = cls.FromString(envelope.payload).SerializeToString(
                    deterministic=True
                )
            return dataclasses.replace(record, envelope=envelope.SerializeToString())

        return get_document

    patch_method("service", "Node", "get_document", make)


# -- receipts (REQ-PUSH-003) ---------------------------------------------------------------


def _patch_receipt(change: Callable[[Any], None]) -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def build_receipt(**kwargs: Any) -> Any:
            envelope = original(**kwargs)
            change(envelope)
            return envelope

        return build_receipt

    replace_function("core.receipts", "build_receipt", make)


@_variant(
    "unsigned-receipt",
    fault="receipts are sent without any signature",
    area="receipts",
    requirements=("REQ-PUSH-003",),
    profiles=_CORE,
)
def _unsigned_receipt() -> None:
    def change(envelope: Any) -> None:
        del envelope.signatures[:]

    _patch_receipt(change)


@_variant(
    "receipt-signed-by-authority",
    fault="receipts are signed by the issuing authority's key instead of the node signer",
    area="receipts",
    requirements=("REQ-PUSH-003",),
    profiles=_CORE,
)
def _receipt_signed_by_authority() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def init(self: Any, **kwargs: Any) -> None:
            kwargs["node_signer"] = kwargs["authority"]
            original(self, **kwargs)

        return init

    patch_method("service", "Node", "__init__", make)


@_variant(
    "receipt-wrong-digest",
    fault="receipts carry a SHA-256 that is not the digest of the payload bytes",
    area="receipts",
    requirements=("REQ-PUSH-003",),
    profiles=_CORE,
)
def _receipt_wrong_digest() -> None:
    import hashlib

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def build_receipt(**kwargs: Any) -> Any:
            verified = kwargs["verified"]
            wrong = hashlib.sha256(verified.payload_sha256.encode("ascii")).hexdigest()
            kwargs["verified"] = dataclasses.replace(verified, payload_sha256=wrong)
            return original(**kwargs)

        return build_receipt

    replace_function("core.receipts", "build_receipt", make)


# -- access (section 2) --------------------------------------------------------------------


@_variant(
    "read-other-country-documents",
    fault="GetDocument returns documents of which the caller is neither sender nor recipient",
    area="access",
    requirements=("REQ-ACC-003",),
    profiles=("transport-security",),
)
def _read_other_country_documents() -> None:
    patch_method(
        "service", "Node", "_visible", lambda _orig: staticmethod(lambda record, caller: True)
    )


@_variant(
    "leak-document-existence",
    fault="another country's document is refused PERMISSION_DENIED, a missing one NOT_FOUND",
    area="access",
    requirements=("REQ-ACC-004",),
    profiles=("transport-security",),
)
def _leak_document_existence() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def get_document(
            self: Any, *, caller: str, request_id: str | None, certificate: Any
        ) -> Any:
            try:
                return original(self, caller=caller, request_id=request_id, certificate=certificate)
            except errors.UnknownDocument:
                exists = (
                    bool(self.store.documents_by_request_id(request_id))
                    if request_id is not None
                    else certificate is not None
                    and self.store.certificate_document(certificate.key) is not None
                )
                if exists:
                    raise errors.SenderMismatch("the document belongs to other countries") from None
                raise

        return get_document

    patch_method("service", "Node", "get_document", make)


@_variant(
    "client-ca-country-unchecked",
    fault="a client certificate is accepted for the country its URI names, whichever "
    "configured partner TLS CA issued it",
    area="transport",
    requirements=("REQ-ACC-001",),
    profiles=("transport-security",),
)
def _client_ca_country_unchecked() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _check(self: Any, cert: Any, now: dt.datetime) -> str:
            try:
                return original(self, cert, now)  # type: ignore[no-any-return]
            except errors.Unauthenticated:
                every = self.all_cas()
                shadow = type(self)(
                    tls_cas=dict.fromkeys(self.countries(), every), clock=self._clock
                )
                return original(shadow, cert, now)  # type: ignore[no-any-return]

        return _check

    patch_method("server.auth", "CallerAuthenticator", "_check", make)


# -- lifecycle (section 7) -----------------------------------------------------------------


@_variant(
    "change-terminal-status",
    fault="a status change is applied to a CANCELLED, REPLACED or REVOKED certificate",
    area="lifecycle",
    requirements=("REQ-LC-002", "REQ-LC-003"),
    profiles=("lifecycle",),
)
def _change_terminal_status() -> None:
    lifecycle = module("core.lifecycle")
    from wco.eco.v1 import lifecycle_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def apply_status_change(state: Any, change: Any, *, at: dt.datetime) -> Any:
            if state.issuer_state in lifecycle.TERMINAL_ISSUER_STATES:
                state = dataclasses.replace(state, issuer_state=lifecycle_pb2.ISSUER_STATE_ISSUED)
            return original(state, change, at=at)

        return apply_status_change

    replace_function("core.lifecycle", "apply_status_change", make)


@_variant(
    "reuse-fully-used-certificate",
    fault="a FULLY_USED certificate accepts further usage (double use)",
    area="lifecycle",
    requirements=("REQ-LC-005", "REQ-LC-006"),
    profiles=("lifecycle",),
)
def _reuse_fully_used_certificate() -> None:
    from types import MappingProxyType

    from wco.eco.v1 import lifecycle_pb2

    def make(original: Mapping[int, frozenset[int]]) -> Mapping[int, frozenset[int]]:
        table = dict(original)
        table[lifecycle_pb2.IMPORT_STATE_FULLY_USED] = frozenset(
            {lifecycle_pb2.IMPORT_STATE_PARTIALLY_USED, lifecycle_pb2.IMPORT_STATE_FULLY_USED}
        )
        return MappingProxyType(table)

    set_constant("core.lifecycle", "_IMPORT_TRANSITIONS", make)


@_variant(
    "ignore-quantity-limit",
    fault="cumulative usage may exceed the goods item's quantity",
    area="lifecycle",
    requirements=("REQ-LC-006",),
    profiles=("lifecycle",),
)
def _ignore_quantity_limit() -> None:
    huge = Decimal("999999999999999999")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def apply_import_outcome(state: Any, outcome: Any, *, at: dt.datetime) -> Any:
            relaxed = dataclasses.replace(
                state, item_quantities=dict.fromkeys(state.item_quantities, huge)
            )
            result = original(relaxed, outcome, at=at)
            return dataclasses.replace(result, item_quantities=state.item_quantities)

        return apply_import_outcome

    replace_function("core.lifecycle", "apply_import_outcome", make)


# -- origin verification (section 8) -------------------------------------------------------


@_variant(
    "accept-second-verification-result",
    fault="a second VerificationResult for an answered case overwrites the first",
    area="verification",
    requirements=("REQ-VER-002",),
    profiles=("verification",),
)
def _accept_second_verification_result() -> None:
    from wco.eco.v1 import verification_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def answer_verification(case: Any, result: Any, *, result_document_id: str) -> Any:
            case = dataclasses.replace(case, state=verification_pb2.VERIFICATION_STATE_REQUESTED)
            return original(case, result, result_document_id=result_document_id)

        return answer_verification

    replace_function("core.lifecycle", "answer_verification", make)


@_variant(
    "reuse-verification-id",
    fault="a requesting country may reuse a verification id (the case is overwritten)",
    area="verification",
    requirements=("REQ-VER-001",),
    profiles=("verification",),
)
def _reuse_verification_id() -> None:
    patch_method(
        "service",
        "_TxView",
        "verification_id_used",
        lambda _orig: lambda self, requesting_country, verification_id: False,
    )


# -- pull (section 10) ---------------------------------------------------------------------


@_variant(
    "lose-pull-cursor",
    fault="ListDocuments' resume_token points at the start of the page just returned, so the "
    "next poll returns those documents again",
    area="pull",
    requirements=("REQ-PULL-003",),
    profiles=("pull",),
)
def _lose_pull_cursor() -> None:
    from wco.eco.v1 import exchange_service_pb2

    tokens = module("core.tokens")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        async def list_documents(self: Any, request: Any, context: Any) -> bytes:
            data: bytes = await original(self, request, context)
            stale = request.require().page_token or tokens.encode_cursor(0)
            # A later occurrence of a scalar field wins when the response is parsed.
            override = exchange_service_pb2.ListDocumentsResponse(resume_token=stale)
            return data + override.SerializeToString()

        return list_documents

    patch_method("server.services", "NodeServicers", "list_documents", make)


@_variant(
    "skip-document-in-pull",
    fault="every listing page of two or more documents silently drops its second document",
    area="pull",
    requirements=("REQ-PULL-001", "REQ-PULL-003"),
    profiles=("pull",),
)
def _skip_document_in_pull() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def list_documents(self: Any, **kwargs: Any) -> list[Any]:
            records = list(original(self, **kwargs))
            if len(records) >= 2:
                del records[1]
            return records

        return list_documents

    patch_method("store.sqlite", "SqliteStore", "list_documents", make)


@_variant(
    "accept-forged-page-token",
    fault="a page token the node never issued is read as 'from the start'",
    area="pull",
    requirements=("REQ-PULL-002",),
    profiles=("pull",),
)
def _accept_forged_page_token() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def decode_cursor(token: str) -> int:
            try:
                return int(original(token))
            except errors.PageTokenInvalid:
                return 0

        return decode_cursor

    replace_function("core.tokens", "decode_cursor", make)


# -- sender role (REQ-PUSH-004, REQ-PUSH-006) ----------------------------------------------


@_variant(
    "retry-under-new-request-id",
    fault="the sender retries a failed submission under a new request id",
    area="sender",
    requirements=("REQ-PUSH-006", "REQ-IDEM-002"),
    profiles=("sender",),
)
def _retry_under_new_request_id() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        async def _attempt(self: Any, entry: Any) -> Any:
            if entry.attempts > 0:
                entry = dataclasses.replace(entry, request_id=str(uuid.uuid4()))
            return await original(self, entry)

        return _attempt

    patch_method("sender.outbox", "OutboxWorker", "_attempt", make)


@_variant(
    "no-retry-after-unavailable",
    fault="the sender gives up (FAILED) after UNAVAILABLE or DEADLINE_EXCEEDED",
    area="sender",
    requirements=("REQ-PUSH-006",),
    profiles=("sender",),
)
def _no_retry_after_unavailable() -> None:
    set_constant("sender.outbox", "RETRYABLE_CODES", lambda _orig: frozenset())


@_variant(
    "retry-after-refusal",
    fault="the sender retries refusals that must not be retried (e.g. INVALID_ARGUMENT)",
    area="sender",
    requirements=("REQ-PUSH-006",),
    profiles=("sender",),
)
def _retry_after_refusal() -> None:
    import grpc

    set_constant(
        "sender.outbox",
        "RETRYABLE_CODES",
        lambda orig: frozenset(orig) | frozenset(grpc.StatusCode),
    )


@_variant(
    "skip-receipt-verification",
    fault="the sender marks a document delivered on any receipt, without verifying it",
    area="sender",
    requirements=("REQ-PUSH-004",),
    profiles=("sender",),
)
def _skip_receipt_verification() -> None:
    from wco.eco.v1 import envelope_pb2

    patch_method(
        "service",
        "Node",
        "verify_delivery_receipt",
        lambda _orig: lambda self, entry, receipt, at: envelope_pb2.DELIVERY_STATUS_DELIVERED,
    )


# -- further catalogues -------------------------------------------------------------------------
# Each ``variants_<obligation>.py`` module beside this one registers more variants with
# ``_variant`` when imported; importing them here makes ``VARIANTS`` the whole catalogue.


def _load_catalogues() -> None:
    import importlib
    import pkgutil
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("variants_"):
            importlib.import_module(f"{__package__}.{info.name}")


_load_catalogues()
