"""Faulty variants: health and reflection outside the protocol's rules (docs/spec.md REQ-ACC-006).

The node serves ``grpc.health.v1.Health`` and server reflection behind
``reference_node.server.guard.ServiceGuard``. Each variant removes one of its two
checks: the caller's identity, or the tolerant parsing of request bytes.
"""

from __future__ import annotations

from typing import Any, Final

from .patching import patch_method, replace_function
from .variants import _variant

_TRANSPORT: Final = ("transport-security",)


@_variant(
    "health-serves-refused-identities",
    fault="health and reflection skip the caller check, so a client certificate the protocol "
    "RPCs refuse (another country's CA, two node URIs, no SAN) is served",
    area="access",
    requirements=("REQ-ACC-006",),
    profiles=_TRANSPORT,
)
def _health_serves_refused_identities() -> None:
    async def caller(self: Any, context: Any) -> None:
        return None

    patch_method("server.guard", "_Admission", "caller", lambda _orig: caller)


@_variant(
    "health-malformed-unknown",
    fault="health and reflection parse requests with the stock deserializer, so bytes that do "
    "not parse end as UNKNOWN (with a logged traceback) instead of PAYLOAD_MALFORMED",
    area="errors",
    requirements=("REQ-ACC-006", "REQ-ERR-003"),
    profiles=_TRANSPORT,
)
def _health_malformed_unknown() -> None:
    def make(_original: Any) -> Any:
        def stock(deserialize: Any) -> Any:
            return deserialize if deserialize is not None else (lambda data: data)

        return stock

    replace_function("server.guard", "tolerant_deserializer", make)
