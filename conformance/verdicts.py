"""Case outcomes, profile and run verdicts, exit codes (docs/conformance.md "Verdicts").

A verdict says only what happened. Every selected case starts as :data:`NOT_RUN`
and only a report of pytest moves it on, so an interrupted or broken run can never
count a case it did not execute as passed.

Case outcomes:

- ``passed``: ran and met every expectation;
- ``failed``: ran and broke an expectation (evidence of non-conformance);
- ``error``: the suite could not judge it (set-up or tear-down broke, the node
  stopped answering, an internal error);
- ``skipped``: the case itself decided it could not run here (the reason says why);
- ``not run``: never started (deselected with ``-k``, the run was interrupted or
  stopped before it, the profile needs an adapter that was not given);
- ``xfailed``: failed as the expected-failures list says;
- ``xpassed``: listed as an expected failure but passed (strict: counts as failed).

A profile is PASS only when every one of its cases ran and passed or failed as
expected. The run verdict combines the profiles with what happened to the run.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from typing import Final

__all__ = [
    "ERROR",
    "EXIT_CODES",
    "FAILED",
    "NOT_RUN",
    "OUTCOMES",
    "PASSED",
    "SKIPPED",
    "XFAILED",
    "XPASSED",
    "RunState",
    "Verdict",
    "exit_code",
    "profile_verdict",
    "run_verdict",
]

PASSED: Final = "passed"
FAILED: Final = "failed"
ERROR: Final = "error"
SKIPPED: Final = "skipped"
NOT_RUN: Final = "not run"
XFAILED: Final = "xfailed"
XPASSED: Final = "xpassed"

#: Every case outcome, in report order.
OUTCOMES: Final = (PASSED, FAILED, ERROR, SKIPPED, NOT_RUN, XFAILED, XPASSED)

#: Outcomes that are evidence of non-conformance.
_FAILING: Final = frozenset({FAILED, XPASSED})
#: Outcomes that leave a profile unjudged.
_UNFINISHED: Final = frozenset({SKIPPED, NOT_RUN})


class Verdict(enum.StrEnum):
    """A profile's or the run's verdict, in words."""

    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    INCOMPLETE = "INCOMPLETE"
    INTERRUPTED = "INTERRUPTED"
    ERROR = "ERROR"


#: Exit code of ``eco-conformance run`` per verdict (2 is bad usage, 4 a failed preflight).
EXIT_CODES: Final = {
    Verdict.PASS: 0,
    Verdict.FAIL: 1,
    Verdict.INCOMPLETE: 3,
    Verdict.ERROR: 5,
    Verdict.INTERRUPTED: 130,
}
EXIT_USAGE: Final = 2
EXIT_PREFLIGHT: Final = 4


def profile_verdict(outcomes: Iterable[str]) -> Verdict:
    """Judge one profile from the outcomes of its cases.

    FAIL when any case failed (or passed against the expected-failures list);
    otherwise ERROR when any case could not be judged; otherwise INCOMPLETE when any
    case was skipped or not run, or the profile has no case at all; otherwise PASS.
    """
    counts = Counter(outcomes)
    if not counts:
        return Verdict.INCOMPLETE
    if any(counts[o] for o in _FAILING):
        return Verdict.FAIL
    if counts[ERROR]:
        return Verdict.ERROR
    if any(counts[o] for o in _UNFINISHED):
        return Verdict.INCOMPLETE
    return Verdict.PASS


class RunState(enum.StrEnum):
    """What happened to the run as a whole, apart from its cases."""

    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    ERROR = "error"


def run_verdict(profiles: Iterable[Verdict], *, state: RunState = RunState.COMPLETED) -> Verdict:
    """Judge the run from its profiles' verdicts and what happened to it.

    An interrupted run is INTERRUPTED and a run that broke (collection error, the
    node lost mid-run, an internal error) is ERROR, whatever its cases said. Otherwise
    the worst profile verdict wins, in the order FAIL, ERROR, INCOMPLETE, PASS; a run
    with no profile is INCOMPLETE.
    """
    if state is RunState.INTERRUPTED:
        return Verdict.INTERRUPTED
    if state is RunState.ERROR:
        return Verdict.ERROR
    seen = set(profiles)
    if not seen:
        return Verdict.INCOMPLETE
    for verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.INCOMPLETE):
        if verdict in seen:
            return verdict
    return Verdict.PASS


def exit_code(verdict: Verdict) -> int:
    """Return the exit code of a run with this verdict (see :data:`EXIT_CODES`)."""
    return EXIT_CODES[verdict]
