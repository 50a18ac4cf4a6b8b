"""Faulty variants for boundaries, exact comparison, the signer profile and check order.

Each variant is one realistic fault visible through the public RPCs, of one of four
kinds (docs/conformance.md, "Variants by test obligation"): a limit or time rule off by one step or
with slack, a value normalised before it is compared, one rule of the signer profile
relaxed, two adjacent checks of section 5.4 swapped. Every variant wraps one function
or method of the reference node; none copies its code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Final

from .patching import module, patch_method, replace_function, set_constant
from .variants import _chain, _variant, _wraps

__all__: list[str] = []

_CORE: Final = ("core",)


# -- boundaries: limits and time rules ------------------------------------------------------


@_variant(
    "signer-expiry-day-of-slack",
    fault="a chain certificate is taken as expired only a day after its notAfter",
    area="trust",
    requirements=("REQ-PKI-003",),
    profiles=_CORE,
)
def _signer_expiry_day_of_slack() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _verify_signer(self: Any, signature: Any, at: dt.datetime) -> Any:
            end = min(c.not_valid_after_utc for c in _chain(signature))
            if end < at <= end + dt.timedelta(days=1):
                at = end
            return original(self, signature, at)

        return _verify_signer

    patch_method("core.trust", "TrustStore", "_verify_signer", make)


@_variant(
    "signer-not-before-hour-of-slack",
    fault="a chain certificate whose notBefore is up to an hour ahead is taken as valid",
    area="trust",
    requirements=("REQ-PKI-003",),
    profiles=_CORE,
)
def _signer_not_before_hour_of_slack() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def _verify_signer(self: Any, signature: Any, at: dt.datetime) -> Any:
            start = max(c.not_valid_before_utc for c in _chain(signature))
            if at < start <= at + dt.timedelta(hours=1):
                at = start
            return original(self, signature, at)

        return _verify_signer

    patch_method("core.trust", "TrustStore", "_verify_signer", make)


@_variant(
    "issue-date-two-days-ahead",
    fault="an issue date up to two days after the current date is accepted (one is allowed)",
    area="fields",
    requirements=("REQ-CO-006",),
    profiles=_CORE,
)
def _issue_date_two_days_ahead() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def validate_document(doc: Any, *, today: dt.date, **kwargs: Any) -> Any:
            return original(doc, today=today + dt.timedelta(days=1), **kwargs)

        return validate_document

    replace_function("core.validation", "validate_document", make)


@_variant(
    "goods-items-limit-off-by-one",
    fault="a CO with exactly max_goods_items items is refused MESSAGE_TOO_LARGE",
    area="limits",
    requirements=("REQ-CO-008", "REQ-LIM-001"),
    profiles=_CORE,
)
def _goods_items_limit_off_by_one() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def validate_document(doc: Any, *, limits: Any, **kwargs: Any) -> Any:
            tighter = dataclasses.replace(limits, max_goods_items=limits.max_goods_items - 1)
            return original(doc, limits=tighter, **kwargs)

        return validate_document

    replace_function("core.validation", "validate_document", make)


@_variant(
    "payload-limit-off-by-one",
    fault="a payload of exactly max_payload_bytes is refused MESSAGE_TOO_LARGE",
    area="limits",
    requirements=("REQ-LIM-001",),
    profiles=_CORE,
)
def _payload_limit_off_by_one() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def check_sizes(*, envelope_bytes_len: int, envelope: Any, limits: Any) -> None:
            if len(envelope.payload) >= limits.max_payload_bytes:
                raise errors.MessageTooLarge("payload at or over the limit")
            original(envelope_bytes_len=envelope_bytes_len, envelope=envelope, limits=limits)

        return check_sizes

    replace_function("core.intake", "check_sizes", make)


@_variant(
    "string-length-in-bytes",
    fault="string lengths are counted in UTF-8 bytes, so 4096 non-ASCII characters are refused",
    area="fields",
    requirements=("REQ-CO-013",),
    profiles=_CORE,
)
def _string_length_in_bytes() -> None:
    errors = module("core.errors")
    from google.protobuf.descriptor import FieldDescriptor

    def too_long(message: Any, path: str) -> list[Any]:
        found = []
        for field, value in message.ListFields():
            values = list(value) if field.is_repeated else [value]
            for i, item in enumerate(values):
                name = f"{path}{field.name}" + (f"[{i}]" if len(values) > 1 else "")
                if field.type == FieldDescriptor.TYPE_STRING and len(item.encode()) > 4096:
                    found.append(errors.FieldViolation(name, "longer than 4096", "TOO_LONG"))
                elif field.type == FieldDescriptor.TYPE_MESSAGE:
                    found += too_long(item, name + ".")
        return found

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def validate_document(doc: Any, **kwargs: Any) -> Any:
            findings = original(doc, **kwargs)
            violations = too_long(doc.message, "")
            if violations:
                raise errors.FieldInvalid("string too long", violations=violations)
            return findings

        return validate_document

    replace_function("core.validation", "validate_document", make)


# -- exact comparison -----------------------------------------------------------------------


@_variant(
    "payload-type-normalised",
    fault="the payload type is stripped and lower-cased before it is checked and signed over",
    area="signatures",
    requirements=("REQ-SIG-001",),
    profiles=_CORE,
)
def _payload_type_normalised() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def verify_submission(*, envelope: Any, **kwargs: Any) -> Any:
            normalised = type(envelope)()
            normalised.CopyFrom(envelope)
            normalised.payload_type = envelope.payload_type.strip().lower()
            return original(envelope=normalised, **kwargs)

        return verify_submission

    replace_function("core.intake", "verify_submission", make)


@_variant(
    "key-id-case-insensitive",
    fault="Signature.key_id is stripped and lower-cased before it is compared",
    area="signatures",
    requirements=("REQ-SIG-004",),
    profiles=_CORE,
)
def _key_id_case_insensitive() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def verify_signature(signature: Any, *, payload_type: str, payload: bytes) -> Any:
            normalised = type(signature)()
            normalised.CopyFrom(signature)
            normalised.key_id = signature.key_id.strip().lower()
            return original(normalised, payload_type=payload_type, payload=payload)

        return verify_signature

    replace_function("core.signing", "verify_signature", make)


@_variant(
    "request-id-stripped",
    fault="white space around the request id is dropped before it is checked",
    area="idempotency",
    requirements=("REQ-IDEM-001",),
    profiles=_CORE,
)
def _request_id_stripped() -> None:
    replace_function(
        "core.intake",
        "check_request_id",
        lambda original: _wraps(original)(lambda request_id: original(request_id.strip())),
    )


@_variant(
    "authority-id-case-insensitive",
    fault="the CO's issuing authority id is compared with the signer's ignoring case and spaces",
    area="authorisation",
    requirements=("REQ-AUTH-002",),
    profiles=_CORE,
)
def _authority_id_case_insensitive() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def authorise(doc: Any, signer: Any, **kwargs: Any) -> None:
            theirs = doc.certificate.issuing_authority_id if doc.certificate else ""
            mine = signer.identity.authority_id
            if mine and theirs != mine and theirs.strip().lower() == mine:
                identity = dataclasses.replace(signer.identity, authority_id=theirs)
                signer = dataclasses.replace(signer, identity=identity)
            original(doc, signer, **kwargs)

        return authorise

    replace_function("core.authorisation", "authorise", make)


@_variant(
    "agreement-code-normalised",
    fault="agreement_id and form_type are stripped and upper-cased before the code list lookup",
    area="fields",
    requirements=("REQ-CO-003",),
    profiles=_CORE,
)
def _agreement_code_normalised() -> None:
    from wco.eco.v1 import certificate_pb2

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def validate_document(doc: Any, **kwargs: Any) -> Any:
            co = doc.message
            if isinstance(co, certificate_pb2.CertificateOfOrigin):
                co.agreement_id = co.agreement_id.strip().upper()
                co.form_type = co.form_type.strip().upper()
            return original(doc, **kwargs)

        return validate_document

    replace_function("core.validation", "validate_document", make)


# -- signer profile -------------------------------------------------------------------------


@_variant(
    "key-usage-any-signing-bit",
    fault="a leaf without digitalSignature is accepted when it has contentCommitment",
    area="trust",
    requirements=("REQ-PKI-002",),
    profiles=_CORE,
)
def _key_usage_any_signing_bit() -> None:
    from cryptography import x509

    def relaxed(ku: Any) -> Any:
        if ku.digital_signature or not ku.content_commitment:
            return ku
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=True,
            key_encipherment=ku.key_encipherment,
            data_encipherment=ku.data_encipherment,
            key_agreement=ku.key_agreement,
            key_cert_sign=ku.key_cert_sign,
            crl_sign=ku.crl_sign,
            encipher_only=False,
            decipher_only=False,
        )

    class _Extension:
        def __init__(self, extension: Any) -> None:
            self.critical = extension.critical
            self.value = relaxed(extension.value)

    class _Extensions:
        def __init__(self, extensions: Any) -> None:
            self._extensions = extensions

        def get_extension_for_class(self, cls: Any) -> Any:
            extension = self._extensions.get_extension_for_class(cls)
            return _Extension(extension) if cls is x509.KeyUsage else extension

    class _Certificate:
        def __init__(self, cert: Any) -> None:
            self._cert = cert
            self.extensions = _Extensions(cert.extensions)

    def make_profile(original: Callable[..., Any]) -> Callable[..., Any]:
        return _wraps(original)(lambda cert: original(_Certificate(cert)))

    def make_policy_check(original: Callable[..., Any]) -> Callable[..., Any]:
        return _wraps(original)(lambda policy, cert, ku: original(policy, cert, relaxed(ku)))

    replace_function("core.identity", "check_profile", make_profile)
    replace_function("core.trust", "_check_leaf_key_usage", make_policy_check)
    trust = module("core.trust")
    set_constant("core.trust", "_EE_POLICY", lambda _old: trust._ee_policy())


# -- order of checks ------------------------------------------------------------------------


@_variant(
    "field-rules-before-revocation",
    fault="the field rules run before the signer's revocation is checked",
    area="order",
    requirements=("REQ-PKI-005",),
    profiles=_CORE,
)
def _field_rules_before_revocation() -> None:
    errors = module("core.errors")
    documents = module("core.documents")
    validation = module("core.validation")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def verify_submission(**kwargs: Any) -> Any:
            try:
                return original(**kwargs)
            except errors.SignerRevoked:
                try:
                    doc = documents.parse_document(kwargs["envelope"])
                except errors.EcoError:
                    pass
                else:
                    validation.validate_document(
                        doc,
                        codelists=kwargs["codelists"],
                        limits=kwargs["limits"],
                        today=kwargs["now"].date(),
                    )
                raise

        return verify_submission

    replace_function("core.intake", "verify_submission", make)


@_variant(
    "parsing-before-signer",
    fault="the payload is parsed before the signer of a valid signature is checked",
    area="order",
    requirements=("REQ-CO-001", "REQ-PKI-003"),
    profiles=_CORE,
)
def _parsing_before_signer() -> None:
    errors = module("core.errors")
    documents = module("core.documents")
    signer_errors = (
        errors.SignerExpired,
        errors.SignerNotYetValid,
        errors.SignerRevoked,
        errors.SignerUntrusted,
    )

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def verify_envelope(self: Any, envelope: Any, *, at: dt.datetime) -> Any:
            try:
                return original(self, envelope, at=at)
            except signer_errors:
                if envelope.payload_type in module("core.payload_types").SUBMITTABLE:
                    documents.parse_document(envelope)
                raise

        return verify_envelope

    patch_method("core.trust", "TrustStore", "verify_envelope", make)


@_variant(
    "sender-before-signer-authorisation",
    fault="the caller/sender match is checked before the signer's authorisation",
    area="order",
    requirements=("REQ-AUTH-001", "REQ-AUTH-004"),
    profiles=_CORE,
)
def _sender_before_signer_authorisation() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @_wraps(original)
        def authorise(doc: Any, signer: Any, *, caller_country: str, **kwargs: Any) -> None:
            if doc.sender_country != caller_country:
                raise errors.SenderMismatch("caller is not the sending country")
            original(doc, signer, caller_country=caller_country, **kwargs)

        return authorise

    replace_function("core.authorisation", "authorise", make)
