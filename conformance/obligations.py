"""Test obligations: what a requirement obliges the suite to try, and which cases do.

A requirement is not covered by one case that names it. A limit must be tried at
the limit and one past it, a comparison with the right value spelled otherwise, a
certificate rule with a certificate that breaks only that rule, a check with every
document kind it applies to, and so on. This module holds:

- :data:`KINDS`: the kinds of obligation, each with what meeting it takes;
- :data:`APPLICABLE`: for every requirement id of docs/spec.md, the kinds that apply
  to it, read from the requirement's text (the reasoning is in :data:`KINDS` and in
  the comment of each line);
- :func:`case_obligations`: the kinds a case meets, from its ``obligation(...)``
  marker, else from its module and name (:data:`MODULE_KINDS`, :func:`_default_kind`);
- :func:`obligation_matrix` and :func:`render_obligations`: requirement x kind ->
  cases, with the unmet obligations listed as gaps (``eco-conformance matrix
  --obligations``, the table of docs/conformance.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "APPLICABLE",
    "KINDS",
    "MODULE_KINDS",
    "OUT_OF_REACH",
    "ObligationRow",
    "case_obligations",
    "obligation_matrix",
    "render_obligations",
]

#: Obligation kind -> what meeting it takes.
KINDS: Final[Mapping[str, str]] = {
    "accept": "valid input of the kinds the rule covers is accepted (and read back)",
    "refuse": "each way of breaking the rule, alone, is refused with its code and reason",
    "boundary": "every limit at exactly the limit (accepted) and one past it (refused); "
    "every time rule at its last accepted and first refused instant",
    "exact": "identifiers, key ids, payload types and codes are compared exactly "
    "(other letter case, surrounding whitespace, lookalike characters are refused)",
    "x509-single": "a signer chain breaking exactly one certificate-profile or path rule",
    "order": "for adjacent steps of section 5.4, input breaking both gets the earlier reason",
    "every-kind": "the check is applied to every document kind it covers, from a country "
    "with a loaded issuer directory and from one without",
    "idempotency": "same request id re-signed, unary then stream and stream then unary, "
    "a conflict inside one stream",
    "transitions": "every transition from every reachable state, reads after each",
    "restart": "the guarantee holds across a restart of the node",
    "receipt-fields": "the sender refuses a validly signed receipt wrong in one field",
    "reasons": "refusals on streams and watches carry the code and the ErrorInfo reason "
    "and domain, like unary ones",
    "third-country": "a third country's probe is answered exactly as for a missing "
    "document, on every read RPC",
    "no-change": "after every refusal nothing became readable and no state moved",
}

#: Requirement id -> obligation kinds that apply to it (docs/spec.md, by section).
APPLICABLE: Final[Mapping[str, tuple[str, ...]]] = {
    # 2. Transport, identity and access
    "REQ-ACC-001": ("refuse",),  # plaintext, no/unknown/expired client certificate
    "REQ-ACC-002": ("refuse", "every-kind"),  # sending and recipient country, all kinds
    "REQ-ACC-003": ("third-country",),  # reads and lists of other countries' documents
    "REQ-ACC-004": ("third-country",),  # same code, reason and message as missing
    "REQ-ACC-005": ("accept",),  # health answers
    "REQ-ACC-006": ("refuse",),  # health/reflection: refused identities, malformed bytes
    "REQ-ACC-007": ("accept",),  # the server certificate's names and usage
    # 3. Flows
    "REQ-PUSH-001": ("accept", "restart"),  # durably committed before the receipt
    "REQ-PUSH-002": ("no-change", "every-kind"),
    "REQ-PUSH-003": ("accept",),
    "REQ-PUSH-004": ("receipt-fields",),  # request id and payload digest must match
    "REQ-PUSH-005": ("accept", "reasons"),  # per-request status in a stream
    "REQ-PUSH-006": ("accept",),  # retries with the same id and bytes
    "REQ-GET-001": ("accept", "restart"),  # bit-identical bytes, also after restart
    "REQ-GET-002": ("accept",),  # by reference: the CO itself, with later documents held
    # 4. The certificate of origin
    "REQ-CO-001": ("refuse", "every-kind", "order"),
    "REQ-CO-002": ("refuse", "every-kind"),
    "REQ-CO-003": ("refuse", "exact"),  # code lists compared exactly
    "REQ-CO-004": ("refuse", "boundary", "exact"),  # 35 characters, pattern
    "REQ-CO-005": ("refuse", "exact"),  # lower case, lookalikes
    "REQ-CO-006": ("refuse", "boundary", "every-kind"),  # years 1900..9999, all dates
    "REQ-CO-007": ("refuse", "boundary"),  # 6/8/10 digits, chapters 01..97
    "REQ-CO-008": ("refuse",),
    "REQ-CO-009": ("refuse",),
    "REQ-CO-010": ("refuse", "boundary"),  # 18 integer and 9 fraction digits
    "REQ-CO-011": ("refuse", "every-kind"),  # unknown enum numbers in every message
    "REQ-CO-012": ("refuse",),
    "REQ-CO-013": ("refuse", "boundary"),  # 4096 characters
    "REQ-CO-014": ("refuse",),
    "REQ-CO-015": ("accept",),
    # 5.1 Envelope
    "REQ-SIG-001": ("refuse", "exact", "order"),  # payload type compared exactly
    "REQ-SIG-002": ("accept",),
    "REQ-SIG-003": ("refuse", "order"),
    "REQ-SIG-004": ("refuse", "exact"),  # lowercase hex key id
    "REQ-SIG-005": ("refuse", "boundary"),  # 1 to 4 signatures
    "REQ-SIG-006": ("accept",),
    "REQ-SIG-007": ("accept", "refuse"),  # both S accepted; BER, trailing bytes, P1363 not
    # 5.2 Signer certificates
    "REQ-PKI-001": ("refuse", "boundary"),  # 1 to 4 certificates
    "REQ-PKI-002": ("refuse", "x509-single"),  # the signer profile, rule by rule
    "REQ-PKI-003": ("refuse", "boundary"),  # notBefore/notAfter at their instants
    "REQ-PKI-004": ("refuse", "x509-single"),  # path validation, CA flags, path length
    "REQ-PKI-005": ("refuse", "every-kind", "boundary"),  # revocation time, every kind
    "REQ-PKI-006": ("x509-single", "accept"),  # one path-profile rule at a time
    # 5.3 Authorisation
    "REQ-AUTH-001": ("refuse", "every-kind"),
    "REQ-AUTH-002": ("refuse", "every-kind"),
    "REQ-AUTH-003": ("refuse", "boundary"),  # grant start and end days
    "REQ-AUTH-004": ("refuse", "every-kind", "order"),
    # 5.4 Order of checks
    "REQ-CHK-001": ("order",),  # adjacent steps broken at once
    "REQ-CHK-002": ("order",),  # a field step 7 reads, missing: step 7's reason
    # 6. Issuer directory and key lifecycle
    "REQ-DIR-001": ("accept",),
    "REQ-DIR-002": ("accept",),
    "REQ-DIR-004": ("accept", "no-change"),  # re-signed after a signer refusal
    # 7. Lifecycle
    "REQ-LC-001": ("refuse", "every-kind"),
    "REQ-LC-002": ("transitions",),
    "REQ-LC-003": ("transitions",),
    "REQ-LC-004": ("accept", "refuse"),
    "REQ-LC-005": ("transitions",),
    "REQ-LC-006": ("refuse", "boundary"),  # the remaining quantity exactly, and beyond
    "REQ-LC-010": ("transitions",),
    # 8. Origin verification
    "REQ-VER-001": ("refuse",),
    "REQ-VER-002": ("refuse",),
    "REQ-VER-003": ("accept", "third-country"),
    # 9. Errors
    "REQ-ERR-001": ("reasons",),
    "REQ-ERR-002": ("reasons",),
    "REQ-ERR-003": ("refuse",),
    "REQ-ERR-004": ("boundary",),  # 20 violations listed, then 21; texts at their limits
    # 10. Idempotency, duplicates, pull
    "REQ-IDEM-001": ("refuse", "exact", "boundary"),  # canonical 36-character form
    "REQ-IDEM-002": ("idempotency", "restart"),
    "REQ-IDEM-003": ("idempotency",),
    "REQ-IDEM-004": ("refuse", "restart"),
    "REQ-PULL-001": ("accept", "boundary"),  # page_size default 50, maximum 1000
    "REQ-PULL-002": ("refuse",),  # tokens the node never issued
    "REQ-PULL-003": ("accept", "restart"),
    "REQ-PULL-004": ("accept", "restart"),
    # 11. Node information and limits
    "REQ-NODE-001": ("accept",),
    "REQ-NODE-002": ("accept",),
    "REQ-LIM-001": ("boundary",),
    # 12. Versioning
    "REQ-VERS-001": ("accept",),
}

#: Case module -> kinds every case of it meets (in addition to accept/refuse).
MODULE_KINDS: Final[Mapping[str, tuple[str, ...]]] = {
    "test_boundaries.py": ("boundary",),
    "test_exact_match.py": ("exact",),
    "test_signer_profile.py": ("x509-single",),
    "test_check_order.py": ("order",),
    "test_document_kinds.py": ("every-kind",),
    "test_idempotency.py": ("idempotency",),
    "test_transition_matrix.py": ("transitions",),
    "test_restart.py": ("restart",),
    "test_streams.py": ("reasons",),
}

#: (requirement, kind) -> why no external case can meet it; shown instead of a gap.
OUT_OF_REACH: Final[Mapping[tuple[str, str], str]] = {
    ("REQ-PKI-005", "boundary"): "a revocation time comes from an issuer directory the node "
    "loads from its configuration (no RPC hands it one), so a revocation instant seconds "
    "away from the case cannot be set up from outside; revocation is tried one hour before "
    "and ten years after the run",
}

_REFUSING: Final = re.compile(
    r"refus|reject|illegal|invalid|unknown|mismatch|conflict|untrusted|expired|revoked|"
    r"not_authori|denied|wrong|malformed|too_large|without|missing|unauthori|cannot|never|"
    r"over_limit|over_quantity|reused|duplicate|exceed"
)


def _default_kind(name: str) -> str:
    """``refuse`` for a case whose name says it expects a refusal, else ``accept``."""
    return "refuse" if _REFUSING.search(name) else "accept"


def case_obligations(case: str, marked: Iterable[str] = ()) -> frozenset[str]:
    """The obligation kinds one case meets.

    Args:
        case: The case id (``test_core.py::test_name[param]``).
        marked: The arguments of its ``obligation(...)`` markers, if any.

    Returns:
        The marked kinds, plus the kinds of its module (:data:`MODULE_KINDS`), plus
        ``accept`` or ``refuse`` from its name.

    Raises:
        ValueError: A marker names a kind that :data:`KINDS` does not define.
    """
    unknown = sorted(set(marked) - set(KINDS))
    if unknown:
        raise ValueError(f"{case}: unknown obligation kind(s) {unknown}")
    module, _, name = case.partition("::")
    return frozenset({*marked, *MODULE_KINDS.get(module, ()), _default_kind(name)})


@dataclass(frozen=True, kw_only=True)
class ObligationRow:
    """One requirement x obligation kind, and the cases that meet it."""

    requirement: str
    kind: str
    cases: tuple[str, ...]
    out_of_reach: str = ""

    @property
    def met(self) -> bool:
        """Whether at least one case meets it (or no external case can)."""
        return bool(self.cases) or bool(self.out_of_reach)


def obligation_matrix(
    case_requirements: Mapping[str, Sequence[str]],
    case_kinds: Mapping[str, frozenset[str]],
    *,
    applicable: Mapping[str, tuple[str, ...]] = APPLICABLE,
) -> list[ObligationRow]:
    """Requirement x applicable kind -> the cases whose primary requirements and kinds match.

    Args:
        case_requirements: Case id -> its primary requirement ids.
        case_kinds: Case id -> the kinds it meets (:func:`case_obligations`).
        applicable: Requirement id -> kinds that apply.
    """
    rows = []
    for req in sorted(applicable):
        for kind in applicable[req]:
            cases = tuple(
                sorted(
                    c
                    for c, reqs in case_requirements.items()
                    if req in reqs and kind in case_kinds.get(c, frozenset())
                )
            )
            rows.append(
                ObligationRow(
                    requirement=req,
                    kind=kind,
                    cases=cases,
                    out_of_reach="" if cases else OUT_OF_REACH.get((req, kind), ""),
                )
            )
    return rows


def _case_list(row: ObligationRow, limit: int = 3) -> str:
    cases = row.cases
    if not cases:
        return f"out of reach: {row.out_of_reach}" if row.out_of_reach else "**gap**"
    shown = ", ".join(f"`{c}`" for c in cases[:limit])
    more = len(cases) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def render_obligations(rows: Sequence[ObligationRow]) -> tuple[str, list[ObligationRow]]:
    """Render the Markdown table and return it with the unmet rows."""
    lines = [
        "| requirement | obligation | cases that meet it |",
        "|-------------|------------|--------------------|",
    ]
    lines += [f"| {r.requirement} | {r.kind} | {_case_list(r)} |" for r in rows]
    gaps = [r for r in rows if not r.met]
    return "\n".join(lines), gaps
