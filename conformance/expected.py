"""Expected-failure lists per implementation (docs/conformance.md "Expected failures").

A list is a TOML file of ``[[expected]]`` entries::

    [[expected]]
    case = "test_core.py::test_envelope_refusals[expired-signer]"
    reason = "SIGNER_EXPIRED"     # optional: text the failure report must contain
    max_matches = 1               # optional: how many cases the pattern may match
    note = "fix planned for 2.3"  # optional

``case`` is a case id or a wildcard pattern over case ids (``*`` matches any
text, ``?`` one character; brackets are literal, as in parametrized ids). A
pattern that matches more cases than ``max_matches`` (default 1) is an error,
so one broad pattern cannot hide a whole profile. A pattern that matches a
Hypothesis property or stateful case is an error: those are not deterministic
enough to be expected to fail; list the named case instead.

Strict: a listed case that passes fails the run, so fixed bugs are noticed.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.errors import ExpectedFailuresError

__all__ = [
    "ExpectedFailure",
    "ExpectedFailures",
    "Verdict",
    "judge",
    "load_expected_failures",
    "render_expected_failures",
]


@dataclass(frozen=True, kw_only=True)
class ExpectedFailure:
    """One entry of an expected-failures list."""

    case: str
    reason: str = ""
    max_matches: int = 1
    note: str = ""

    def matches(self, case_id: str) -> bool:
        """Whether ``case_id`` is matched by this entry (exact or wildcard)."""
        return case_id == self.case or _pattern(self.case).fullmatch(case_id) is not None


@dataclass(frozen=True, kw_only=True)
class ExpectedFailures:
    """A loaded list."""

    entries: tuple[ExpectedFailure, ...] = ()
    source: str = ""

    def resolve(
        self, case_ids: Sequence[str], *, property_cases: Iterable[str] = ()
    ) -> dict[str, ExpectedFailure]:
        """Map each collected case id to the entry that expects it to fail.

        Args:
            case_ids: Every collected case id.
            property_cases: Ids of Hypothesis-driven cases (may not be listed).

        Returns:
            Case id -> entry (the first matching entry wins).

        Raises:
            ExpectedFailuresError: A pattern exceeds its cap or names a
                Hypothesis case.
        """
        hyp = set(property_cases)
        out: dict[str, ExpectedFailure] = {}
        for entry in self.entries:
            matched = [c for c in case_ids if entry.matches(c)]
            bad = [c for c in matched if c in hyp]
            if bad:
                raise ExpectedFailuresError(
                    f"{self.source}: {entry.case!r} matches the property case {bad[0]!r}; "
                    "Hypothesis cases cannot be expected failures, list the named case instead"
                )
            if len(matched) > entry.max_matches:
                raise ExpectedFailuresError(
                    f"{self.source}: {entry.case!r} matches {len(matched)} cases, more than its "
                    f"max_matches = {entry.max_matches}"
                )
            for case in matched:
                out.setdefault(case, entry)
        return out


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str]:
    escaped = re.escape(text).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(escaped, re.DOTALL)


def _entry(raw: Mapping[str, object], where: str) -> ExpectedFailure:
    case = raw.get("case")
    if not isinstance(case, str) or not case:
        raise ExpectedFailuresError(f"{where}: 'case' must be a non-empty string")
    reason = raw.get("reason", "")
    note = raw.get("note", "")
    cap = raw.get("max_matches", 1)
    if not isinstance(reason, str) or not isinstance(note, str):
        raise ExpectedFailuresError(f"{where}: 'reason' and 'note' must be strings")
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        raise ExpectedFailuresError(f"{where}: 'max_matches' must be an integer >= 1")
    unknown = set(raw) - {"case", "reason", "max_matches", "note"}
    if unknown:
        raise ExpectedFailuresError(f"{where}: unknown keys {sorted(unknown)}")
    return ExpectedFailure(case=case, reason=reason, max_matches=cap, note=note)


def load_expected_failures(path: Path) -> ExpectedFailures:
    """Load and check an expected-failures file.

    Raises:
        ExpectedFailuresError: The file is missing or malformed.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExpectedFailuresError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ExpectedFailuresError(f"{path} is not valid TOML: {exc}") from exc
    unknown = set(data) - {"expected", "implementation"}
    if unknown:
        raise ExpectedFailuresError(f"{path}: unknown top-level keys {sorted(unknown)}")
    raw = data.get("expected", [])
    if not isinstance(raw, list):
        raise ExpectedFailuresError(f"{path}: 'expected' must be an array of tables")
    entries = tuple(_entry(r, f"{path} entry {i + 1}") for i, r in enumerate(raw))
    return ExpectedFailures(entries=entries, source=str(path))


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """How one case counts once expected failures are applied.

    Attributes:
        outcome: ``passed``, ``failed``, ``xfailed`` or ``xpassed`` (listed but passed:
            strict, so it counts as a failure; conformance/verdicts.py).
        note: Explanation added to the report, if any.
    """

    outcome: str
    note: str = ""


def judge(*, passed: bool, failure_text: str, entry: ExpectedFailure | None) -> Verdict:
    """Apply an expected-failure entry to one result (strict).

    Args:
        passed: Whether the case passed.
        failure_text: The failure report (searched for the expected reason).
        entry: The entry expecting a failure, if any.

    Returns:
        The verdict.
    """
    if entry is None:
        return Verdict(outcome="passed" if passed else "failed")
    if passed:
        return Verdict(
            outcome="xpassed",
            note=f"[XPASS(strict)] listed as an expected failure ({entry.case!r}) but passed: "
            "remove it from the expected-failures list",
        )
    if entry.reason and entry.reason not in failure_text:
        return Verdict(
            outcome="failed",
            note=f"expected to fail with {entry.reason!r}, but failed otherwise",
        )
    return Verdict(outcome="xfailed", note=entry.note or entry.reason or "expected failure")


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_expected_failures(
    failures: Sequence[tuple[str, str]], *, implementation: str = ""
) -> str:
    """Render the list a run suggests (``--write-expected-failures``).

    Args:
        failures: ``(case id, reason)`` pairs of the failed named cases.
        implementation: Implementation name and version, for the header.

    Returns:
        TOML text loadable by :func:`load_expected_failures`.
    """
    lines = ["# Expected failures suggested by eco-conformance."]
    if implementation:
        lines.append(f"implementation = {_toml_string(implementation)}")
    for case, reason in failures:
        lines += ["", "[[expected]]", f"case = {_toml_string(case)}"]
        if reason:
            lines.append(f"reason = {_toml_string(reason)}")
    return "\n".join(lines) + "\n"
