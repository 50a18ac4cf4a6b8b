"""Faulty variants: signature encodings and the path-validation profile.

Each is a verifier that another library or platform could plausibly give: one that takes
the IEEE P1363 form or trailing bytes, one that insists on low S, one that ignores unknown
critical extensions or a non-critical BasicConstraints, one that refuses a chain presenting
its anchor. Caught by ``test_signature_encoding.py`` (REQ-SIG-007) and
``test_signer_profile.py`` (REQ-PKI-006).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .patching import module, patch_method, replace_function
from .variants import _variant

_CORE = ("core",)
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _with_signature_bytes(
    transform: Callable[[bytes], bytes | None], *, certificates_only: bool = False
) -> None:
    """Verify each signature with ``transform(bytes)`` instead, when it gives bytes.

    With ``certificates_only``, only the signatures of certificates of origin.
    """
    certificate = module("core.payload_types").CERTIFICATE

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def verify(signature: Any, **kwargs: Any) -> Any:
            if certificates_only and kwargs.get("payload_type") != certificate:
                return original(signature, **kwargs)
            changed = transform(bytes(signature.signature))
            if changed is None:
                return original(signature, **kwargs)
            copy = type(signature)()
            copy.CopyFrom(signature)
            copy.signature = changed
            return original(copy, **kwargs)

        return verify

    replace_function("core.signing", "verify_signature", make)


def _p1363_to_der(raw: bytes) -> bytes | None:
    if len(raw) != 64:
        return None
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


@_variant(
    "ecdsa-p1363-accepted",
    fault="a 64-byte r || s signature is taken as ECDSA (the IEEE P1363 form)",
    area="signatures",
    requirements=("REQ-SIG-007",),
    profiles=_CORE,
)
def _p1363_accepted() -> None:
    _with_signature_bytes(_p1363_to_der)


def _strip_trailing(raw: bytes) -> bytes | None:
    if len(raw) > 2 and raw[0] == 0x30 and raw[1] < 0x80 and len(raw) > raw[1] + 2:
        return raw[: raw[1] + 2]
    return None


@_variant(
    "ecdsa-trailing-bytes-ignored",
    fault="bytes after the DER signature's SEQUENCE are ignored",
    area="signatures",
    requirements=("REQ-SIG-007",),
    profiles=_CORE,
)
def _trailing_ignored() -> None:
    _with_signature_bytes(_strip_trailing)


def _high_s_refused(raw: bytes) -> bytes | None:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    try:
        _r, s = decode_dss_signature(raw)
    except ValueError:
        return None
    return b"" if s > _P256_ORDER // 2 else None


@_variant(
    "ecdsa-low-s-required",
    fault="an ECDSA signature of a CO whose s is above n/2 is refused (a low-S rule)",
    area="signatures",
    requirements=("REQ-SIG-007",),
    profiles=_CORE,
)
def _low_s_required() -> None:
    _with_signature_bytes(_high_s_refused, certificates_only=True)


def _forgive_path_error(fragment: str) -> None:
    """Path validation passes when its only error message names ``fragment``."""
    errors = module("core.errors")

    def make(original: Callable[..., None]) -> Callable[..., None]:
        def validate(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                original(self, *args, **kwargs)
            except errors.SignerUntrusted as exc:
                if fragment not in str(exc):
                    raise

        return validate

    patch_method("core.trust", "TrustStore", "_validate_path", make)


@_variant(
    "unknown-critical-extension-ignored",
    fault="path validation ignores a critical extension it does not know",
    area="signer certificates",
    requirements=("REQ-PKI-006",),
    profiles=_CORE,
)
def _unknown_critical_ignored() -> None:
    _forgive_path_error("unaccounted-for critical extensions")


@_variant(
    "ca-basic-constraints-criticality-ignored",
    fault="path validation takes a CA whose BasicConstraints is not marked critical",
    area="signer certificates",
    requirements=("REQ-PKI-006",),
    profiles=_CORE,
)
def _bc_criticality_ignored() -> None:
    _forgive_path_error("2.5.29.19")


@_variant(
    "anchor-in-chain-refused",
    fault="a chain that presents its trust anchor after the intermediates is refused",
    area="signer certificates",
    requirements=("REQ-PKI-006",),
    profiles=_CORE,
)
def _anchor_in_chain_refused() -> None:
    errors = module("core.errors")

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def verify_signer(self: Any, signature: Any, at: Any) -> Any:
            from cryptography.hazmat.primitives.serialization import Encoding

            anchors = {c.public_bytes(Encoding.DER) for cs in self._anchors.values() for c in cs}
            if any(bytes(der) in anchors for der in signature.certificate_chain[1:]):
                raise errors.SignerUntrusted("the chain must not include its trust anchor")
            return original(self, signature, at)

        return verify_signer

    patch_method("core.trust", "TrustStore", "_verify_signer", make)
