"""Reports of a conformance run: console summary, JSON and self-contained HTML.

JUnit XML is written by pytest itself (``--junitxml``) with the requirement
ids and profile of each case as properties. Reports are written even when the
run fails (docs/conformance.md "Reports").
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.plugin import PROFILES, CaseResult

__all__ = ["RunMetadata", "console_summary", "final_line", "write_html", "write_json"]


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
    expected_failures: str = ""
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
            },
            "suite_version": self.suite_version,
            "spec_version": self.spec_version,
            "selected_profiles": list(self.selected_profiles),
            "mode": self.mode,
            "target": self.target,
            "seed": self.seed,
            "examples": self.examples,
            "started": self.started,
            "duration_seconds": round(self.duration_seconds, 2),
            "expected_failures_file": self.expected_failures,
            "notes": list(self.notes),
        }


def _counts(results: Iterable[CaseResult]) -> Counter[str]:
    return Counter(r.outcome for r in results)


def profile_verdicts(results: Sequence[CaseResult]) -> dict[str, Counter[str]]:
    """Outcome counts per profile, in profile order."""
    out: dict[str, Counter[str]] = {}
    for profile in ("collection", *PROFILES):
        selected = [r for r in results if r.profile == profile]
        if selected:
            out[profile] = _counts(selected)
    return out


def final_line(results: Sequence[CaseResult]) -> str:
    """The last console line: ``N passed, N failed`` and ``, N skipped`` when any."""
    counts = _counts(results)
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    return line


def console_summary(
    meta: RunMetadata, results: Sequence[CaseResult], *, trailer: Sequence[str] = ()
) -> str:
    """Render the console summary, ending with :func:`final_line`.

    Args:
        meta: The run.
        results: The cases.
        trailer: Lines printed just before the final line (report paths, timing).
    """
    lines = [
        "",
        "=" * 72,
        f"e-CO conformance: {meta.implementation_name or '(unknown implementation)'} "
        f"{meta.implementation_version} (country {meta.node_country}, spec "
        f"{meta.node_spec_version or '?'})",
        f"suite {meta.suite_version}, spec {meta.spec_version}, mode {meta.mode}, "
        f"seed {meta.seed} (replay with --seed {meta.seed}), examples {meta.examples}, "
        f"{meta.duration_seconds:.1f}s",
    ]
    for note in meta.notes:
        lines.append(f"note: {note}")
    lines.append("-" * 72)
    for profile, counts in profile_verdicts(results).items():
        verdict = "PASS" if counts["failed"] == 0 else "FAIL"
        claimed = "claimed" if profile in meta.claimed_profiles else "not claimed"
        extra = f", {counts['xfailed']} failed as expected" if counts["xfailed"] else ""
        skipped = f", {counts['skipped']} skipped" if counts["skipped"] else ""
        lines.append(
            f"{profile:<20} {verdict}  {counts['passed']} passed, {counts['failed']} failed"
            f"{extra}{skipped}  ({claimed})"
        )
    failed = [r for r in results if r.outcome == "failed"]
    if failed:
        lines.append("-" * 72)
        lines.append("failed cases:")
        for result in failed:
            first = _first_line(result.failure or result.note)
            lines.append(f"  {result.case} [{' '.join(result.requirements)}]")
            lines.append(f"      {first}")
            if result.falsifying_example:
                example = result.falsifying_example.splitlines()
                lines.extend(f"      | {line}" for line in example[:12])
                if len(example) > 12:
                    lines.append(f"      | ... ({len(example) - 12} more lines in report.json)")
            if result.replay:
                lines.append(f"      replay: {result.replay}")
    skip_reasons = Counter(
        (r.profile, _first_line(r.failure) or "no reason given")
        for r in results
        if r.outcome == "skipped"
    )
    if skip_reasons:
        lines.append("-" * 72)
        lines.append("skipped cases:")
        for (profile, reason), count in sorted(skip_reasons.items()):
            lines.append(f"  {count} {profile}: {reason}")
    xfailed = _counts(results)["xfailed"]
    lines.append("-" * 72)
    if xfailed:
        lines.append(f"{xfailed} failed as expected (expected-failures list)")
    lines.extend(trailer)
    lines.append(final_line(results))
    return "\n".join(lines)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("E ") or "AssertionError" in stripped:
            return stripped.removeprefix("E").strip()[:300]
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def write_json(
    path: Path, meta: RunMetadata, results: Sequence[CaseResult], matrix: Mapping[str, list[str]]
) -> None:
    """Write the JSON report."""
    data = {
        "metadata": meta.as_dict(),
        "summary": {
            "profiles": {
                p: {
                    "verdict": "pass" if c["failed"] == 0 else "fail",
                    **{k: c[k] for k in ("passed", "failed", "xfailed", "skipped")},
                }
                for p, c in profile_verdicts(results).items()
            },
            "line": final_line(results),
        },
        "cases": [r.as_dict() for r in results],
        "requirements": {k: sorted(v) for k, v in sorted(matrix.items())},
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
.passed{background:#e6f4ea}.failed{background:#fce8e6}.xfailed{background:#fef7e0}
.skipped{background:#f1f3f4}pre{white-space:pre-wrap;font-size:12px;max-height:30em;overflow:auto}
details{margin:2px 0}code{font-size:13px}
"""


def write_html(path: Path, meta: RunMetadata, results: Sequence[CaseResult]) -> None:
    """Write a self-contained HTML report (no external resources)."""
    esc = html.escape
    rows = []
    for profile, counts in profile_verdicts(results).items():
        verdict = "pass" if counts["failed"] == 0 else "fail"
        css = "passed" if verdict == "pass" else "failed"
        claimed = "yes" if profile in meta.claimed_profiles else "no"
        rows.append(
            f"<tr class='{css}'><td>{esc(profile)}</td><td>{verdict.upper()}</td>"
            f"<td>{counts['passed']}</td><td>{counts['failed']}</td>"
            f"<td>{counts['xfailed']}</td><td>{counts['skipped']}</td><td>{claimed}</td></tr>"
        )
    cases = []
    for r in results:
        exchange = "".join(
            f"<li><code>{esc(e.caller)} {esc(e.rpc)}</code> &rarr; <b>{esc(e.outcome)}</b>"
            f"<pre>{esc(e.request)}</pre>"
            + (f"<pre>{esc(e.message)}</pre>" if e.message else "")
            + "</li>"
            for e in r.exchanges[:50]
        )
        detail = ""
        if r.falsifying_example:
            detail += (
                "<details open><summary>falsifying example (shrunk)</summary>"
                f"<pre>{esc(r.falsifying_example)}</pre></details>"
            )
        if r.replay:
            detail += f"<p>replay: <code>{esc(r.replay)}</code></p>"
        if r.failure or r.note:
            detail += f"<details open><summary>failure</summary><pre>{esc(r.note)}\n"
            detail += f"{esc(r.failure)}</pre></details>"
        if exchange:
            detail += (
                f"<details><summary>exchange ({len(r.exchanges)} calls)</summary>"
                f"<ol>{exchange}</ol></details>"
            )
        cases.append(
            f"<tr class='{esc(r.outcome)}'><td>{esc(r.profile)}</td><td><code>{esc(r.case)}</code>"
            f"{detail}</td><td>{esc(' '.join(r.requirements))}</td><td>{esc(r.outcome)}</td>"
            f"<td>{r.duration:.2f}s</td></tr>"
        )
    meta_rows = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(json.dumps(v, ensure_ascii=False))}</td></tr>"
        for k, v in meta.as_dict().items()
    )
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>e-CO conformance report: {esc(meta.implementation_name)}</title>
<style>{_CSS}</style></head><body>
<h1>e-CO conformance report</h1>
<p><b>{esc(meta.implementation_name)} {esc(meta.implementation_version)}</b>
(country {esc(meta.node_country)}) &mdash; {esc(final_line(results))}</p>
<p>Replay this run with <code>eco-conformance run --seed {meta.seed}</code>.</p>
<h2>Profiles</h2>
<table><tr><th>profile</th><th>verdict</th><th>passed</th><th>failed</th>
<th>failed as expected</th><th>skipped</th><th>claimed</th></tr>{"".join(rows)}</table>
<h2>Cases</h2>
<table><tr><th>profile</th><th>case</th><th>requirements</th><th>status</th><th>time</th></tr>
{"".join(cases)}</table>
<h2>Run</h2><table>{meta_rows}</table>
</body></html>
"""
    path.write_text(document, encoding="utf-8")
