"""Faulty variants: the sender role and the outcomes a node issues.

Each variant reproduces a survivor of mutation testing (docs/conformance-mutation.md,
"Missing cases") as one named change of the reference node:

- receipts (docs/spec.md REQ-PUSH-004): the sender takes a receipt signed by the node signer
  of a country other than the recipient;
- background delivery (REQ-PUSH-006): the outbox worker that delivers and retries without the
  adapter's ``deliver`` command stops, either at once or as soon as a retry is scheduled;
- import outcomes (REQ-LC-005): the ImportOutcome the node issues gets the recording time
  instead of the ``effective_time`` it was given.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, Final

from .patching import patch_method, replace_function
from .variants import _variant

_SENDER: Final = ("sender",)
_LIFECYCLE: Final = ("lifecycle",)


# -- receipts (REQ-PUSH-004) ----------------------------------------------------------------


@_variant(
    "accept-receipt-from-any-node-signer",
    fault="the sender takes a receipt signed by the node signer of any trusted country as the "
    "recipient's, not only by the recipient country's node signer",
    area="sender",
    requirements=("REQ-PUSH-004",),
    profiles=_SENDER,
)
def _accept_receipt_from_any_node_signer() -> None:
    class AnyCountry:
        """The trust store, reporting a verified node signer as one of the expected country."""

        def __init__(self, trust: Any, country: str) -> None:
            self._trust = trust
            self._country = country

        def verify_envelope(self, envelope: Any, *, at: Any) -> Any:
            signer = self._trust.verify_envelope(envelope, at=at)
            if not signer.identity.is_node:
                return signer
            identity = dataclasses.replace(signer.identity, country=self._country)
            return dataclasses.replace(signer, identity=identity)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._trust, name)

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def verify_receipt(
            receipt_envelope: Any, *, trust: Any, receiver_country: str, **kwargs: Any
        ) -> Any:
            return original(
                receipt_envelope,
                trust=AnyCountry(trust, receiver_country),
                receiver_country=receiver_country,
                **kwargs,
            )

        return verify_receipt

    replace_function("core.receipts", "verify_receipt", make)


# -- background delivery (REQ-PUSH-006) ----------------------------------------------------


def _background_loop_fails(*, when_idle: bool) -> None:
    """The store's next due time, read only by the background outbox loop, raises TypeError.

    ``when_idle``: when nothing is due (the loop dies at its first idle pass, before anything
    is queued); else when a retry is scheduled for later (the loop dies after the first
    refused attempt). The adapter's ``deliver`` does not read it and still delivers.
    """

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def next_due_time(self: Any) -> Any:
            due = original(self)
            if (due is None) == when_idle:
                raise TypeError("unsupported operand type(s) for the outbox wait")
            return due

        return next_due_time

    patch_method("store.sqlite", "SqliteStore", "next_due_time", make)


@_variant(
    "outbox-loop-dies-when-idle",
    fault="the background outbox loop dies the first time nothing is due, so documents are "
    "delivered and retried only on the adapter's deliver command",
    area="sender",
    requirements=("REQ-PUSH-006",),
    profiles=_SENDER,
)
def _outbox_loop_dies_when_idle() -> None:
    _background_loop_fails(when_idle=True)


@_variant(
    "outbox-loop-dies-at-first-retry",
    fault="the background outbox loop dies once a retry is scheduled for later, so a refused "
    "attempt is retried only on the adapter's deliver command",
    area="sender",
    requirements=("REQ-PUSH-006",),
    profiles=_SENDER,
)
def _outbox_loop_dies_at_first_retry() -> None:
    _background_loop_fails(when_idle=False)


# -- import outcomes (REQ-LC-005) -----------------------------------------------------------


@_variant(
    "import-outcome-effective-time-overwritten",
    fault="the ImportOutcome the node issues carries the time it was recorded instead of the "
    "effective_time its customs gave",
    area="lifecycle",
    requirements=("REQ-LC-005",),
    profiles=_LIFECYCLE,
)
def _import_outcome_effective_time_overwritten() -> None:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def record_import_outcome(self: Any, outcome: Any) -> Any:
            recorded = type(outcome)()
            recorded.CopyFrom(outcome)
            recorded.ClearField("effective_time")
            return original(self, recorded)

        return record_import_outcome

    patch_method("service", "Node", "record_import_outcome", make)
