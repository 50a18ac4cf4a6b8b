"""The self-contained HTML report of a conformance run (docs/conformance.md "Reports").

One file, no external resources. From the top: the run verdict in words, the
failure summary (each failing case with its requirements, expected versus got,
the shrunk input and the replay command, linked to the case's own entry), the
profiles, the cases that did not run and why, the per-requirement view, every
case with an anchor (``#case-N``), and the run's metadata.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from conformance.plugin import CaseResult
from conformance.reports import (
    RunMetadata,
    RunOutcome,
    failing,
    final_line,
    headline,
    requirement_view,
)
from conformance.verdicts import NOT_RUN, SKIPPED

__all__ = ["case_anchor", "write_html"]

_CSS: Final = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
.passed,.PASS{background:#e6f4ea}.failed,.xpassed,.FAIL{background:#fce8e6}
.error,.ERROR,.INTERRUPTED{background:#fde2c8}.xfailed{background:#fef7e0}
.skipped,.not-run,.INCOMPLETE,.NOT-TESTED{background:#f1f3f4}
pre{white-space:pre-wrap;font-size:12px;max-height:30em;overflow:auto;background:#fafafa}
details{margin:2px 0}code{font-size:13px}
#verdict{font-size:1.4em;padding:.4em .8em;display:inline-block;border:1px solid #999}
#failures li{margin:.6em 0}.why{font-weight:bold}
"""


def case_anchor(index: int) -> str:
    """The HTML id of the ``index``-th case entry (``case-0``, ``case-1``, ...)."""
    return f"case-{index}"


def _css(word: str) -> str:
    return word.replace(" ", "-")


def _failure_summary(results: Sequence[CaseResult], anchors: Mapping[str, str]) -> str:
    bad = failing(results)
    if not bad:
        return "<section id='failures'><h2>Failures</h2><p>No case failed.</p></section>"
    items = []
    for r in bad:
        example = (
            f"<pre class='example'>{html.escape(r.falsifying_example)}</pre>"
            if r.falsifying_example
            else ""
        )
        replay = f"<p>replay: <code>{html.escape(r.replay)}</code></p>" if r.replay else ""
        items.append(
            f"<li class='{_css(r.outcome)}'><a href='#{anchors[r.case]}'>"
            f"<code>{html.escape(r.case)}</code></a> <b>{html.escape(r.outcome.upper())}</b> "
            f"[{html.escape(' '.join(r.requirements))}]"
            f"<div class='why'>{html.escape(headline(r))}</div>{example}{replay}</li>"
        )
    return (
        f"<section id='failures'><h2>Failures ({len(bad)})</h2><ol>{''.join(items)}</ol></section>"
    )


def _case_rows(results: Sequence[CaseResult], anchors: Mapping[str, str]) -> str:
    esc = html.escape
    rows = []
    for r in results:
        exchange = "".join(
            f"<li><code>{esc(e.caller)} {esc(e.rpc)}</code> &rarr; <b>{esc(e.outcome)}</b>"
            f"<pre>{esc(e.request)}</pre>"
            + (f"<pre>{esc(e.message)}</pre>" if e.message else "")
            + "</li>"
            for e in r.exchanges[:50]
        )
        detail = ""
        if r.reason:
            detail += f"<p>{esc(r.reason)}</p>"
        if r.falsifying_example:
            detail += (
                "<details open><summary>minimal failing input (shrunk)</summary>"
                f"<pre>{esc(r.falsifying_example)}</pre></details>"
            )
        if r.replay:
            detail += f"<p>replay: <code>{esc(r.replay)}</code></p>"
        if r.failure or r.note:
            detail += f"<details><summary>failure text</summary><pre>{esc(r.note)}\n"
            detail += f"{esc(r.failure)}</pre></details>"
        if exchange:
            detail += (
                f"<details><summary>exchange ({len(r.exchanges)} calls)</summary>"
                f"<ol>{exchange}</ol></details>"
            )
        exercised = (
            f"<br><small>also exercises {esc(' '.join(r.exercised))}</small>" if r.exercised else ""
        )
        rows.append(
            f"<tr id='{anchors[r.case]}' class='{_css(r.outcome)}'><td>{esc(r.profile)}</td>"
            f"<td><code>{esc(r.case)}</code>{detail}</td>"
            f"<td>{esc(' '.join(r.requirements))}{exercised}</td><td>{esc(r.outcome)}</td>"
            f"<td>{r.duration:.2f}s</td></tr>"
        )
    return "".join(rows)


def write_html(
    path: Path,
    meta: RunMetadata,
    results: Sequence[CaseResult],
    outcome: RunOutcome,
    matrix: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write the self-contained HTML report."""
    esc = html.escape
    anchors = {r.case: case_anchor(i) for i, r in enumerate(results)}
    profile_rows = "".join(
        f"<tr class='{v}'><td>{esc(p)}</td><td>{v}</td>"
        + "".join(
            f"<td>{outcome.profile_counts[p][o]}</td>"
            for o in ("passed", "failed", "error", "skipped", "not run", "xfailed", "xpassed")
        )
        + f"<td>{'yes' if p in meta.claimed_profiles else 'no'}</td></tr>"
        for p, v in outcome.profiles.items()
    )
    unfinished = [r for r in results if r.outcome in (SKIPPED, NOT_RUN)]
    reasons: dict[tuple[str, str, str], int] = {}
    for r in unfinished:
        key = (r.profile, r.outcome, r.reason or "no reason given")
        reasons[key] = reasons.get(key, 0) + 1
    unfinished_rows = "".join(
        f"<tr><td>{esc(p)}</td><td>{esc(o)}</td><td>{n}</td><td>{esc(why)}</td></tr>"
        for (p, o, why), n in sorted(reasons.items())
    )
    req_rows = "".join(
        f"<tr class='{_css(v['verdict'])}'><td><code>{esc(req)}</code></td>"
        f"<td>{esc(v['verdict'])}</td><td>"
        + ", ".join(
            f"<a href='#{anchors[c]}'>{esc(c)}</a> ({esc(o)})" for c, o in v["cases"].items()
        )
        + f"</td><td>{len(v['exercised_by'])}</td></tr>"
        for req, v in requirement_view(results, matrix or {}).items()
    )
    meta_rows = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(json.dumps(v, ensure_ascii=False))}</td></tr>"
        for k, v in meta.as_dict().items()
    )
    reason_items = "".join(f"<li>{esc(r)}</li>" for r in outcome.reasons)
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>e-CO conformance report: {esc(meta.implementation_name)} {outcome.verdict}</title>
<style>{_CSS}</style></head><body>
<h1>e-CO conformance report</h1>
<p><b>{esc(meta.implementation_name)} {esc(meta.implementation_version)}</b>
(country {esc(meta.node_country)}), suite {esc(meta.suite_version)}, spec
{esc(meta.spec_version)}, seed {meta.seed}</p>
<p id="verdict" class="{outcome.verdict}">{esc(final_line(outcome))}</p>
<ul id="verdict-reasons">{reason_items}</ul>
{_failure_summary(results, anchors)}
<h2>Profiles</h2>
<table id="profiles"><tr><th>profile</th><th>verdict</th><th>passed</th><th>failed</th>
<th>error</th><th>skipped</th><th>not run</th><th>failed as expected</th>
<th>passed unexpectedly</th><th>claimed</th></tr>{profile_rows}</table>
<h2>Cases that did not run to a verdict</h2>
<table id="unfinished"><tr><th>profile</th><th>outcome</th><th>cases</th><th>why</th></tr>
{unfinished_rows}</table>
<h2>Requirements</h2>
<table id="requirements"><tr><th>requirement</th><th>verdict</th><th>cases (primary)</th>
<th>also exercised by</th></tr>{req_rows}</table>
<h2>Cases</h2>
<table id="cases"><tr><th>profile</th><th>case</th><th>requirements</th><th>status</th>
<th>time</th></tr>{_case_rows(results, anchors)}</table>
<h2>Run</h2><p>Replay: <code>{esc(meta.command)}</code></p><table>{meta_rows}</table>
</body></html>
"""
    path.write_text(document, encoding="utf-8")
