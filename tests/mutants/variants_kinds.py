"""Faulty variants: envelope checks applied to certificates only (obligation "every-kind").

Each fault is one that a node written certificate-first could have: the check exists
and works for certificates of origin, but the other document kinds (status changes,
import outcomes, verification requests and results) skip it. Caught by
``conformance/cases/test_document_kinds.py::test_envelope_checks_for_every_kind``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .patching import replace_function
from .variants import _variant

_CORE = ("core",)


def _is_certificate(message: Any) -> bool:
    return type(message).__name__ == "CertificateOfOrigin"


@_variant(
    "unknown-fields-checked-for-certificates-only",
    fault="unknown fields are refused in certificates but ignored in every other document kind",
    area="payload",
    requirements=("REQ-CO-001",),
    profiles=_CORE,
)
def _unknown_fields_certificates_only() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def check(message: Any) -> bool:
            return bool(original(message)) if _is_certificate(message) else False

        return check

    replace_function("core.documents", "has_unknown_fields", make)


@_variant(
    "caller-checked-for-certificates-only",
    fault="the caller's country is compared with the sending country of certificates only",
    area="authorisation",
    requirements=("REQ-ACC-002", "REQ-AUTH-004"),
    profiles=_CORE,
)
def _caller_checked_certificates_only() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def authorise(doc: Any, signer: Any, **kwargs: Any) -> None:
            if not _is_certificate(doc.message):
                kwargs["caller_country"] = doc.sender_country
            original(doc, signer, **kwargs)

        return authorise

    replace_function("core.authorisation", "authorise", make)
