"""Faulty variants: the readings of docs/spec.md that its clarifications rule out.

Each variant is a node an implementer could have written from the text before it said
which step answers a missing field read by authorisation (REQ-CHK-002), whether a
departure before the issue date warns (REQ-CO-006), how deep unknown fields are refused
(REQ-CO-001), how an undefined enum number is named (REQ-CO-011), which document a
certificate reference reads (REQ-GET-002), which health names are served (REQ-ACC-005),
where the goods item limit stops (REQ-CO-008) and whether a refused CO holds its number
(REQ-DIR-004). docs/conformance-faults-ambiguities.md lists the case that catches each.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from typing import Any, Final

from .patching import module, patch_method, replace_function, set_constant
from .variants import _variant

_CORE: Final = ("core",)
_LIFECYCLE: Final = ("lifecycle",)
_TRANSPORT: Final = ("transport-security",)
_CERTIFICATE_TYPE: Final = "application/vnd.wco.eco.certificate.v1+protobuf"


def _certificate_of(document: Any) -> Any | None:
    """The parsed CertificateOfOrigin of a document, or None for other kinds."""
    from wco.eco.v1 import certificate_pb2

    message = document.message
    return message if isinstance(message, certificate_pb2.CertificateOfOrigin) else None


@_variant(
    "missing-fields-before-authorisation",
    fault="a CO missing a field that authorisation reads (exporting or importing country, "
    "authority id, issue date) is refused FIELD_MISSING before authorisation runs",
    area="authorisation",
    requirements=("REQ-CHK-002", "REQ-CO-002"),
    profiles=_CORE,
)
def _missing_fields_before_authorisation() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def authorise(doc: Any, signer: Any, **kwargs: Any) -> None:
            co = _certificate_of(doc)
            if co is not None:
                missing = [
                    name
                    for name, present in (
                        ("exporting_country", bool(co.exporting_country)),
                        ("importing_country", bool(co.importing_country)),
                        ("issuing_authority.id", bool(co.issuing_authority.id)),
                        ("issue_date", co.HasField("issue_date")),
                    )
                    if not present
                ]
                if missing:
                    raise errors.FieldMissing(
                        "mandatory field(s) missing",
                        violations=[
                            errors.FieldViolation(f, "missing", "FIELD_MISSING") for f in missing
                        ],
                    )
            original(doc, signer, **kwargs)

        return authorise

    replace_function("core.authorisation", "authorise", make)


@_variant(
    "departure-before-issue-warned",
    fault="a CO whose departure date precedes its issue date is taken as issued "
    "retroactively and accepted with the ISSUED_RETROACTIVELY warning, flag or not",
    area="field rules",
    requirements=("REQ-CO-006", "REQ-CO-015"),
    profiles=_CORE,
)
def _departure_before_issue_warned() -> None:
    helpers = module("core.rule_helpers")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def validate_document(doc: Any, **kwargs: Any) -> Any:
            findings = list(original(doc, **kwargs))
            co = _certificate_of(doc)
            if co is None or co.flags.issued_retroactively:
                return findings
            if not co.transport.HasField("departure_date"):
                return findings
            departure, issue = co.transport.departure_date, co.issue_date
            if (departure.year, departure.month, departure.day) < (
                issue.year,
                issue.month,
                issue.day,
            ):
                findings.append(
                    helpers.warning_finding(
                        "transport.departure_date",
                        "ISSUED_RETROACTIVELY",
                        "departure before the issue date",
                    )
                )
            return findings

        return validate_document

    replace_function("core.validation", "validate_document", make)


@_variant(
    "nested-unknown-fields-ignored",
    fault="unknown fields are refused at the top level of a payload only; inside nested "
    "messages (a goods item, an address) they are accepted",
    area="payload",
    requirements=("REQ-CO-001",),
    profiles=_CORE,
)
def _nested_unknown_fields_ignored() -> None:
    from google.protobuf import unknown_fields

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def has_unknown_fields(message: Any) -> bool:
            return len(unknown_fields.UnknownFieldSet(message)) > 0

        return has_unknown_fields

    replace_function("core.trust", "has_unknown_fields", make)


@_variant(
    "enum-undefined-reason-renamed",
    fault="an undefined enum number is FIELD_INVALID, but its violation's reason is "
    "ENUM_VALUE_INVALID instead of ENUM_UNDEFINED",
    area="errors",
    requirements=("REQ-CO-011",),
    profiles=_CORE,
)
def _enum_undefined_reason_renamed() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def validate_document(doc: Any, **kwargs: Any) -> Any:
            try:
                return original(doc, **kwargs)
            except errors.FieldInvalid as exc:
                renamed = [
                    dataclasses.replace(v, code="ENUM_VALUE_INVALID")
                    if v.code == "ENUM_UNDEFINED"
                    else v
                    for v in exc.violations
                ]
                raise errors.FieldInvalid(exc.message, violations=renamed) from None

        return validate_document

    replace_function("core.validation", "validate_document", make)


@_variant(
    "certificate-reference-returns-latest-document",
    fault="GetDocument by certificate reference returns the latest document about the "
    "certificate (e.g. its StatusChange) instead of the CO itself",
    area="retrieval",
    requirements=("REQ-GET-002",),
    profiles=_LIFECYCLE,
)
def _certificate_reference_returns_latest_document() -> None:
    sqlite = module("store.sqlite")
    columns = sqlite._DOC_COLUMNS  # the store's own column list

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def certificate_document(self: Any, certificate_key: str) -> Any:
            row = (
                self._reader()
                .execute(
                    f"SELECT {columns} FROM documents WHERE certificate_key = ? "
                    "ORDER BY sequence DESC LIMIT 1",
                    (certificate_key,),
                )
                .fetchone()
            )
            return sqlite._document(row) if row is not None else None

        return certificate_document

    patch_method("store.sqlite", "SqliteStore", "certificate_document", make)


@_variant(
    "health-overall-name-only",
    fault="the health service answers SERVING for the overall name only; the per-service "
    "names are never set, so they are NOT_FOUND",
    area="transport",
    requirements=("REQ-ACC-005",),
    profiles=_TRANSPORT,
)
def _health_overall_name_only() -> None:
    from grpc_health.v1 import health

    servicer = health.aio.HealthServicer  # type: ignore[attr-defined]
    original = servicer.set

    @functools.wraps(original)
    async def set_status(self: Any, service: str, status: Any) -> None:
        if service == "":
            await original(self, service, status)

    servicer.set = set_status


@_variant(
    "goods-item-limit-above-ceiling",
    fault="the goods item limit defaults to 1000, above the ceiling of 999, and is "
    "published and enforced as such",
    area="limits",
    requirements=("REQ-CO-008",),
    profiles=_CORE,
)
def _goods_item_limit_above_ceiling() -> None:
    set_constant("core.limits", "MAX_GOODS_ITEMS_CEILING", lambda _: 10_000)

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def __init__(self: Any, **kwargs: Any) -> None:  # noqa: N807 - the dataclass's own
            if kwargs.get("max_goods_items", 999) == 999:
                kwargs["max_goods_items"] = 1000
            original(self, **kwargs)

        return __init__

    patch_method("core.limits", "Limits", "__init__", make)


_REFUSED_NUMBERS: set[tuple[str, str, str]] = set()
_REFUSED_LOCK = threading.Lock()


@_variant(
    "refused-certificate-number-kept",
    fault="a CO refused for its signer keeps its certificate number: the same CO re-signed "
    "under a current key is refused DUPLICATE_CONFLICT",
    area="idempotency",
    requirements=("REQ-DIR-004", "REQ-IDEM-004"),
    profiles=_CORE,
)
def _refused_certificate_number_kept() -> None:
    errors = module("core.errors")
    signer_errors = (
        errors.SignerUntrusted,
        errors.SignerExpired,
        errors.SignerNotYetValid,
        errors.SignerRevoked,
    )
    from google.protobuf.message import DecodeError

    from wco.eco.v1 import certificate_pb2

    def number_of(envelope: Any) -> tuple[str, str, str] | None:
        if envelope.payload_type != _CERTIFICATE_TYPE:
            return None
        try:
            co = certificate_pb2.CertificateOfOrigin.FromString(envelope.payload)
        except DecodeError:  # an unparsable payload has no number
            return None
        return (co.exporting_country, co.issuing_authority.id, co.certificate_number)

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verify_submission(*, envelope: Any, **kwargs: Any) -> Any:
            number = number_of(envelope)
            try:
                verified = original(envelope=envelope, **kwargs)
            except signer_errors:
                if number is not None:
                    with _REFUSED_LOCK:
                        _REFUSED_NUMBERS.add(number)
                raise
            with _REFUSED_LOCK:
                kept = number in _REFUSED_NUMBERS
            if kept:
                raise errors.DuplicateConflict("a CO with this reference was already received")
            return verified

        return verify_submission

    replace_function("core.intake", "verify_submission", make)
