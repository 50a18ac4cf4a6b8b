"""Reports of a conformance run: console summary and JSON (docs/conformance.md "Reports").

JUnit XML is written by pytest itself (``--junitxml``) and then given the run's
verdict (:func:`finish_junit`); the HTML report is :mod:`conformance.html_report`.
Every report leads with the failures and ends with the run verdict in words.
Reports are written even when the run fails, errs or is interrupted.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from conformance.plugin import PROFILES, CaseResult
from conformance.verdicts import (
    ERROR,
    FAILED,
    NOT_RUN,
    OUTCOMES,
    PASSED,
    SKIPPED,
    XFAILED,
    XPASSED,
    RunState,
    Verdict,
    profile_verdict,
    run_verdict,
)

__all__ = [
    "RunMetadata",
    "RunOutcome",
    "console_summary",
    "failing",
    "final_line",
    "finish_junit",
    "judge_run",
    "requirement_view",
    "write_json",
]

#: Outcomes listed in the failure summary, worst first.
_FAILURE_OUTCOMES: Final = (FAILED, XPASSED, ERROR)
_LABELS: Final = {
    PASSED: "passed",
    FAILED: "failed",
    ERROR: "error",
    SKIPPED: "skipped",
    NOT_RUN: "not run",
    XFAILED: "failed as expected",
    XPASSED: "passed unexpectedly",
}


@dataclass(frozen=True, kw_only=True)
class RunMetadata:
    """What the reports say about the run."""

    implementation_name: str
    implementation_version: str
    node_country: str
    suite_version: str
    spec_version: str
    node_spec_version: str
    claimed_profiles: tuple[str, ...]
    selected_profiles: tuple[str, ...]
    mode: str
    target: str
    seed: int
    examples: int
    started: str
    duration_seconds: float
    finished: str = ""
    expected_failures: str = ""
    expected_failures_sha256: str = ""
    keyword: str = ""
    command: str = ""
    tls_certificate_sha256: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {
            "implementation": {
                "name": self.implementation_name,
                "version": self.implementation_version,
                "country": self.node_country,
                "spec_version": self.node_spec_version,
                "claimed_profiles": list(self.claimed_profiles),
                "tls_certificate_sha256": self.tls_certificate_sha256,
            },
            "suite_version": self.suite_version,
            "spec_version": self.spec_version,
            "selected_profiles": list(self.selected_profiles),
            "keyword": self.keyword,
            "mode": self.mode,
            "target": self.target,
            "seed": self.seed,
            "examples": self.examples,
            "started": self.started,
            "finished": self.finished,
            "duration_seconds": round(self.duration_seconds, 2),
            "expected_failures_file": self.expected_failures,
            "expected_failures_sha256": self.expected_failures_sha256,
            "command": self.command,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """The judged run: the verdict of every selected profile and of the run.

    Attributes:
        verdict: The run verdict.
        profiles: Verdict of each selected profile, in profile order.
        counts: Outcome counts over every case.
        profile_counts: Outcome counts per profile.
        reasons: Why the run is not PASS beyond its cases (interruption, lost
            node, collection error, narrowing), one sentence each.
    """

    verdict: Verdict
    profiles: Mapping[str, Verdict]
    counts: Counter[str]
    profile_counts: Mapping[str, Counter[str]]
    reasons: tuple[str, ...] = ()


def judge_run(
    results: Sequence[CaseResult],
    *,
    selected_profiles: Sequence[str],
    state: RunState = RunState.COMPLETED,
    reasons: Iterable[str] = (),
) -> RunOutcome:
    """Judge every selected profile and the run (conformance/verdicts.py).

    Args:
        results: Every case record, collection errors included.
        selected_profiles: The profiles the run claims to judge.
        state: Whether the run completed, was interrupted or broke.
        reasons: Sentences explaining ``state`` (and any other limit of the run).
    """
    by_profile: dict[str, Counter[str]] = {}
    verdicts: dict[str, Verdict] = {}
    for profile in PROFILES:
        if profile not in selected_profiles:
            continue
        outcomes = [r.outcome for r in results if r.profile == profile]
        by_profile[profile] = Counter(outcomes)
        verdicts[profile] = profile_verdict(outcomes)
    counts = Counter(r.outcome for r in results)
    if any(r.profile == "collection" for r in results) and state is RunState.COMPLETED:
        state = RunState.ERROR
    return RunOutcome(
        verdict=run_verdict(verdicts.values(), state=state),
        profiles=verdicts,
        counts=counts,
        profile_counts=by_profile,
        reasons=tuple(reasons),
    )


def failing(results: Iterable[CaseResult]) -> list[CaseResult]:
    """The cases the failure summary lists: failed, passed unexpectedly, error."""
    order = {o: i for i, o in enumerate(_FAILURE_OUTCOMES)}
    chosen = [r for r in results if r.outcome in order]
    return sorted(chosen, key=lambda r: order[r.outcome])


def _count_words(counts: Counter[str]) -> str:
    failed = counts[FAILED] + counts[XPASSED]
    words = f"{counts[PASSED]} passed, {failed} failed"
    extras = (
        (ERROR, "error" if counts[ERROR] == 1 else "errors"),
        (SKIPPED, "skipped"),
        (NOT_RUN, "not run"),
        (XFAILED, "failed as expected"),
    )
    for outcome, label in extras:
        if counts[outcome]:
            words += f", {counts[outcome]} {label}"
    return words


def final_line(outcome: RunOutcome) -> str:
    """The last console line: the run verdict in words, then the counts.

    For example ``PASS: 222 passed, 0 failed`` or
    ``INCOMPLETE: 15 passed, 0 failed, 42 skipped, 3 not run``.
    """
    return f"{outcome.verdict}: {_count_words(outcome.counts)}"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("E ") or "AssertionError" in stripped:
            return stripped.removeprefix("E").strip()[:300]
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def headline(result: CaseResult) -> str:
    """One line saying what went wrong in a case (expected versus got, when judged)."""
    return _first_line(result.failure or result.note) or _LABELS.get(result.outcome, "")


def _incomplete_reasons(results: Iterable[CaseResult]) -> Counter[tuple[str, str, str]]:
    return Counter(
        (r.profile, r.outcome, r.reason or _first_line(r.failure) or "no reason given")
        for r in results
        if r.outcome in (SKIPPED, NOT_RUN)
    )


def console_summary(
    meta: RunMetadata,
    results: Sequence[CaseResult],
    outcome: RunOutcome,
    *,
    trailer: Sequence[str] = (),
) -> str:
    """Render the console summary: failures first, then profiles, ending with :func:`final_line`.

    Args:
        meta: The run.
        results: The cases.
        outcome: The judged run.
        trailer: Lines printed just before the final line (report paths, timing).
    """
    rule = "-" * 72
    lines = [
        "",
        "=" * 72,
        f"e-CO conformance: {meta.implementation_name or '(unknown implementation)'} "
        f"{meta.implementation_version} (country {meta.node_country}, spec "
        f"{meta.node_spec_version or '?'})",
        f"suite {meta.suite_version}, spec {meta.spec_version}, mode {meta.mode}, "
        f"seed {meta.seed}, examples {meta.examples}, {meta.duration_seconds:.1f}s",
    ]
    lines.extend(f"note: {note}" for note in meta.notes)
    lines.extend(f"{outcome.verdict}: {reason}" for reason in outcome.reasons)
    bad = failing(results)
    if bad:
        lines += [rule, f"{len(bad)} failing case{'s' if len(bad) != 1 else ''}:"]
        for result in bad:
            lines.append(
                f"  {_LABELS[result.outcome].upper()} {result.case} "
                f"[{' '.join(result.requirements)}]"
            )
            lines.append(f"      {headline(result)}")
            if result.falsifying_example:
                example = result.falsifying_example.splitlines()
                lines.extend(f"      | {line}" for line in example[:12])
                if len(example) > 12:
                    lines.append(f"      | ... ({len(example) - 12} more lines in report.json)")
            if result.replay:
                lines.append(f"      replay: {result.replay}")
    lines.append(rule)
    for profile, verdict in outcome.profiles.items():
        claimed = "claimed" if profile in meta.claimed_profiles else "not claimed"
        counts = outcome.profile_counts[profile]
        words = _count_words(counts) if counts else "no case"
        lines.append(f"{profile:<20} {verdict:<11} {words}  ({claimed})")
    reasons = _incomplete_reasons(results)
    if reasons:
        lines += [rule, "cases that did not run to a verdict:"]
        for (profile, kind, reason), count in sorted(reasons.items()):
            lines.append(f"  {count} {kind} in {profile}: {reason}")
    lines.append(rule)
    lines.extend(trailer)
    lines.append(final_line(outcome))
    return "\n".join(lines)


def requirement_view(
    results: Sequence[CaseResult], matrix: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, Any]]:
    """Requirement -> its cases in this run and their verdict.

    A requirement's verdict is judged like a profile over the cases that name it as
    primary; cases that only exercise it are listed apart and do not judge it.
    Requirements of the matrix that no case of this run checks are ``NOT TESTED``.
    """
    primary: dict[str, list[CaseResult]] = {}
    exercised: dict[str, list[str]] = {}
    for result in results:
        for req in result.requirements:
            primary.setdefault(req, []).append(result)
        for req in result.exercised:
            exercised.setdefault(req, []).append(result.case)
    view: dict[str, dict[str, Any]] = {}
    for req in sorted({*matrix, *primary}):
        cases = primary.get(req, [])
        verdict = profile_verdict(r.outcome for r in cases) if cases else None
        view[req] = {
            "verdict": str(verdict) if verdict else "NOT TESTED",
            "cases": {r.case: r.outcome for r in cases},
            "exercised_by": sorted(exercised.get(req, [])),
        }
    return view


def write_json(
    path: Path,
    meta: RunMetadata,
    results: Sequence[CaseResult],
    outcome: RunOutcome,
    matrix: Mapping[str, Sequence[str]],
) -> None:
    """Write the JSON report: verdicts, failures first, every case, the requirement view."""
    data = {
        "metadata": meta.as_dict(),
        "verdict": str(outcome.verdict),
        "verdict_reasons": list(outcome.reasons),
        "summary": {
            "profiles": {
                p: {"verdict": str(v), **{o: outcome.profile_counts[p][o] for o in OUTCOMES}}
                for p, v in outcome.profiles.items()
            },
            "counts": {o: outcome.counts[o] for o in OUTCOMES},
            "line": final_line(outcome),
        },
        "failures": [
            {
                "case": r.case,
                "status": r.outcome,
                "requirements": list(r.requirements),
                "headline": headline(r),
                "falsifying_example": r.falsifying_example,
                "replay": r.replay,
            }
            for r in failing(results)
        ],
        "cases": [r.as_dict() for r in results],
        "requirements": requirement_view(results, matrix),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def finish_junit(path: Path, outcome: RunOutcome, results: Sequence[CaseResult]) -> None:
    """Give pytest's JUnit file the run verdict and the cases that never ran.

    The ``testsuite`` gains the properties ``verdict`` and ``verdict_reason``; a case
    pytest never reported on (interrupted, deselected, no adapter) is added as a
    skipped ``testcase`` with its reason, so no consumer of the file reads a shorter
    run as a complete one. A missing or unreadable file is written anew.
    """
    try:
        tree = ET.parse(path)  # noqa: S314 - the file was just written by pytest itself
        root = tree.getroot()
    except (OSError, ET.ParseError):
        root = ET.Element("testsuites")
        tree = ET.ElementTree(root)
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        suite = ET.SubElement(root, "testsuite", name="eco-conformance")
    props = suite.find("properties")
    if props is None:
        props = ET.Element("properties")
        suite.insert(0, props)
    ET.SubElement(props, "property", name="verdict", value=str(outcome.verdict))
    for reason in outcome.reasons:
        ET.SubElement(props, "property", name="verdict_reason", value=reason)
    reported = {
        f"{case.get('classname', '')}::{case.get('name', '')}" for case in suite.iter("testcase")
    }
    added = 0
    for result in results:
        if result.outcome != NOT_RUN:
            continue
        module, _, name = result.case.partition("::")
        classname = "cases." + module.removesuffix(".py")
        if f"{classname}::{name}" in reported:
            continue
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        ET.SubElement(case, "skipped", message=f"not run: {result.reason or 'no reason given'}")
        added += 1
    if added:
        suite.set("tests", str(int(suite.get("tests", "0")) + added))
        suite.set("skipped", str(int(suite.get("skipped", "0")) + added))
    tree.write(path, encoding="utf-8", xml_declaration=True)
