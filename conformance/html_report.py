"""The self-contained HTML report of a conformance run (docs/conformance.md "Reports").

One file, no external resources, no script. From the top: the run verdict in words;
the failure summary, one entry per failing case (failed, passed unexpectedly,
error) with the rule and the requirement ids the failure names, expected versus
got, the broken field, the minimal (shrunk) input with that field marked, the last
call the case made (caller, RPC, outcome and the request decoded), the command that
replays the case, and a link to the case's own entry (``#case-N``); then the
profiles with their verdicts, the cases that did not run and why, the
per-requirement view, every case, and the run's metadata. The report is read on
screen and sent as evidence, so nothing in it depends on the reader's window: long
lines wrap, long blocks scroll inside their box.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from conformance.failure_evidence import (
    FieldLine,
    Judgement,
    assertion_message,
    field_lines,
    judgement,
    marked_value,
    readable_request,
)
from conformance.plugin import CaseResult
from conformance.reports import (
    RunMetadata,
    RunOutcome,
    failing,
    final_line,
    headline,
    requirement_view,
)
from conformance.verdicts import ERROR, FAILED, NOT_RUN, SKIPPED, XFAILED, XPASSED

__all__ = ["case_anchor", "failure_anchor", "write_html"]

_CSS: Final = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#202124;max-width:80em;
line-height:1.35}
h1{font-size:1.5em;margin:0 0 .2em}h2{margin:1.4em 0 .4em;font-size:1.25em}
h3{font-size:1.05em;margin:0 0 .4em}h4{font-size:.95em;margin:.8em 0 .2em}
.meta{margin:.2em 0;color:#444}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px;
overflow-wrap:anywhere}
#cases,#requirements,#run,#failure-index{table-layout:fixed}
pre,code{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
pre{white-space:pre-wrap;font-size:12px;max-height:24em;overflow:auto;background:#f8f9fa;
border:1px solid #e0e0e0;padding:6px 8px;margin:.2em 0}
code{font-size:13px}mark{background:#ffd54f;font-weight:bold}
.passed,.PASS{background:#e6f4ea}.failed,.xpassed,.FAIL{background:#fce8e6}
.error,.ERROR,.INTERRUPTED{background:#fde2c8}.xfailed{background:#fef7e0}
.skipped,.not-run,.INCOMPLETE,.NOT-TESTED{background:#f1f3f4}
#verdict{font-size:1.4em;font-weight:bold;padding:.3em .8em;display:inline-block;
border:2px solid #999;margin:.4em 0}
#verdict-reasons{margin:.2em 0}
#failures>ol{padding-left:1.6em}
#failures>ol>li{margin:.8em 0;padding:.6em .8em;border:1px solid #e0b4b0;border-left:6px solid
#d93025;background:#fff}
#failures>ol>li.error{border-left-color:#e37400}
.badge{display:inline-block;padding:0 .4em;border:1px solid #999;font-size:.85em;
margin-right:.3em}
.judged{width:auto;min-width:50%;margin:.3em 0}.judged th{width:9em;background:#f8f9fa}
.reqs{margin:.2em 0;font-size:14px}.reqs small{color:#555}
.call{margin:.2em 0}
pre.replay{user-select:all;max-height:none;overflow-x:auto;overflow-wrap:normal;
background:#202124;color:#f1f3f4;font-size:13px}pre.replay span{white-space:nowrap}
details{margin:2px 0}summary{cursor:pointer}
tr:target,li:target{outline:3px solid #1a73e8;outline-offset:-3px}
tr,li{scroll-margin-top:1em}
.back{font-size:12px;margin-left:.5em}
"""

_LABELS: Final = {
    FAILED: "failed",
    XPASSED: "passed unexpectedly",
    ERROR: "error",
    XFAILED: "failed as expected",
    SKIPPED: "skipped",
    NOT_RUN: "not run",
}
_COLUMNS: Final = (
    ("passed", "passed"),
    ("failed", "failed"),
    ("error", "error"),
    ("skipped", "skipped"),
    ("not run", "not run"),
    ("xfailed", "failed as expected"),
    ("xpassed", "passed unexpectedly"),
)

esc = html.escape


def case_anchor(index: int) -> str:
    """The HTML id of the ``index``-th case entry (``case-0``, ``case-1``, ...)."""
    return f"case-{index}"


def failure_anchor(index: int) -> str:
    """The HTML id of the ``index``-th entry of the failure summary (``failure-1``, ...)."""
    return f"failure-{index}"


def _css(word: str) -> str:
    return word.replace(" ", "-")


def _label(outcome: str) -> str:
    return _LABELS.get(outcome, outcome)


def _command_html(command: str) -> str:
    """A command line that wraps only between words and copies back character for character."""
    words = " ".join(f"<span>{esc(word)}</span>" for word in command.split(" "))
    return f"<pre class='replay'>{words}</pre>"


def _lines_html(lines: Sequence[FieldLine]) -> str:
    return "\n".join(
        f"<mark>{esc(line.text)}</mark>" if line.marked else esc(line.text) for line in lines
    )


def _judgement_of(result: CaseResult) -> Judgement:
    message = assertion_message(result.failure) or headline(result)
    return judgement(message, result.falsifying_example)


def _requirements_html(result: CaseResult, named: Sequence[str]) -> str:
    first = [r for r in named if r in result.requirements] or list(named)
    others = [r for r in result.requirements if r not in first]
    text = " ".join(f"<b>{esc(r)}</b>" for r in first)
    if first and others:
        text += f" <small>(named by the failure; the case also checks {esc(' '.join(others))})"
        text += "</small>"
    elif others:
        text = esc(" ".join(others))
    return f"<p class='reqs'>Requirements: {text or 'none named'}</p>"


def _judged_table(judged: Judgement, field_value: str, field_found: bool) -> str:
    rows = []
    if judged.rule:
        rows.append(("rule", esc(judged.rule)))
        rows.append(("expected", f"<code>{esc(judged.expected)}</code>"))
        got = f"<code>{esc(judged.got)}</code>"
        if judged.detail:
            got += f" <small>{esc(judged.detail)}</small>"
        rows.append(("got", got))
    else:
        rows.append(("what went wrong", esc(judged.message) or "no failure text"))
    if judged.field:
        shown = f"<code><mark>{esc(judged.field)}</mark></code>"
        if field_value:
            shown += f" = <code>{esc(field_value)}</code>"
        elif not field_found:
            shown += " <small>(not present in the input sent)</small>"
        rows.append(("broken field", shown))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='judged'>{body}</table>"


def _sent_html(result: CaseResult, field: str, *, open_request: bool) -> tuple[str, str, bool]:
    """The last call of a case: its HTML, the broken field's value and whether it was found."""
    if not result.exchanges:
        return "<p class='call'>The case made no call to the node.</p>", "", False
    last = result.exchanges[-1]
    count = len(result.exchanges)
    position = f"call {count} of {count}" if count > 1 else "its only call"
    readable = readable_request(last)
    payload = field_lines(readable.payload, field)
    before = field_lines(readable.before, field)
    value = marked_value(payload) or marked_value(before)
    found = any(line.marked for line in (*payload, *before))
    parts = [_lines_html(before)]
    if readable.payload_label:
        parts.append(f"  payload: ({esc(readable.payload_label)}, decoded below)")
        indented = [FieldLine(text="    " + x.text, marked=x.marked) for x in payload]
        parts.append(_lines_html(indented))
    if readable.after:
        parts.append(esc(readable.after))
    what = "request, decoded" if not readable.note else f"request ({esc(readable.note)})"
    if readable.payload_label:
        what += f": {esc(readable.payload_label)}"
    message = f"<pre>{esc(last.message)}</pre>" if last.message else ""
    html_text = (
        f"<h4>What was sent ({position})</h4>"
        f"<p class='call'><code>{esc(last.caller)}</code> &rarr; <code>{esc(last.rpc)}</code>"
        f" &rarr; <b>{esc(last.outcome)}</b></p>{message}"
        f"<details{' open' if open_request else ''}><summary>{what}</summary>"
        f"<pre class='request'>{chr(10).join(p for p in parts if p)}</pre></details>"
    )
    return html_text, value, found


def _failure_entry(index: int, result: CaseResult, anchor: str) -> str:
    judged = _judgement_of(result)
    example = ""
    example_found = False
    example_value = ""
    if result.falsifying_example:
        lines = field_lines(result.falsifying_example, judged.field)
        example_found = any(line.marked for line in lines)
        example_value = marked_value(lines)
        example = (
            "<h4>Minimal failing input (shrunk)</h4>"
            f"<pre class='example'>{_lines_html(lines)}</pre>"
        )
    sent, sent_value, sent_found = _sent_html(
        result, judged.field, open_request=not result.falsifying_example
    )
    replay = f"<h4>Replay</h4>{_command_html(result.replay)}" if result.replay else ""
    table = _judged_table(
        judged, example_value or sent_value, example_found or sent_found or not judged.field
    )
    return (
        f"<li id='{failure_anchor(index)}' class='{_css(result.outcome)}'>"
        f"<h3><span class='badge {_css(result.outcome)}'>{esc(_label(result.outcome).upper())}"
        f"</span> <a href='#{anchor}'><code>{esc(result.case)}</code></a> "
        f"<small>({esc(result.profile)})</small></h3>"
        f"{_requirements_html(result, judged.requirements)}{table}{example}{sent}{replay}</li>"
    )


def _failure_index(bad: Sequence[CaseResult]) -> str:
    """One line per failing case, linked to its entry below: the overview of many failures."""
    rows = []
    for index, result in enumerate(bad, start=1):
        judged = _judgement_of(result)
        what = (
            f"{esc(judged.rule)}: expected <code>{esc(judged.expected)}</code>, got "
            f"<code>{esc(judged.got)}</code>"
            if judged.rule
            else esc(judged.message)
        )
        rows.append(
            f"<tr class='{_css(result.outcome)}'><td>{index}</td>"
            f"<td>{esc(_label(result.outcome))}</td><td><a href='#{failure_anchor(index)}'>"
            f"<code>{esc(result.case)}</code></a></td><td>{what}</td></tr>"
        )
    return (
        "<table id='failure-index'><colgroup><col style='width:3em'><col style='width:9em'>"
        "<col style='width:40%'><col></colgroup><tr><th>#</th><th>outcome</th><th>case</th>"
        f"<th>what failed</th></tr>{''.join(rows)}</table>"
    )


def _failure_summary(results: Sequence[CaseResult], anchors: Mapping[str, str]) -> str:
    bad = failing(results)
    if not bad:
        return "<section id='failures'><h2>Failures</h2><p>No case failed.</p></section>"
    items = "".join(_failure_entry(i, r, anchors[r.case]) for i, r in enumerate(bad, start=1))
    return (
        f"<section id='failures'><h2>Failures ({len(bad)})</h2>{_failure_index(bad)}"
        f"<ol>{items}</ol></section>"
    )


def _case_detail(result: CaseResult) -> str:
    detail = ""
    if result.reason:
        detail += f"<p>{esc(result.reason)}</p>"
    if result.falsifying_example:
        detail += (
            "<details open><summary>minimal failing input (shrunk)</summary>"
            f"<pre>{esc(result.falsifying_example)}</pre></details>"
        )
    if result.replay:
        detail += f"<p>replay:</p>{_command_html(result.replay)}"
    if result.failure or result.note:
        detail += "<details><summary>failure text</summary><pre>"
        detail += f"{esc(result.note)}\n{esc(result.failure)}</pre></details>"
    if result.exchanges:
        calls = "".join(
            f"<li><code>{esc(e.caller)} {esc(e.rpc)}</code> &rarr; <b>{esc(e.outcome)}</b>"
            f"<pre>{esc(e.request)}</pre>"
            + (f"<pre>{esc(e.message)}</pre>" if e.message else "")
            + "</li>"
            for e in result.exchanges[:50]
        )
        detail += (
            f"<details><summary>exchange ({len(result.exchanges)} calls)</summary>"
            f"<ol>{calls}</ol></details>"
        )
    return detail


def _case_rows(
    results: Sequence[CaseResult], anchors: Mapping[str, str], summary: Mapping[str, str]
) -> str:
    rows = []
    for r in results:
        exercised = (
            f"<br><small>also exercises {esc(' '.join(r.exercised))}</small>" if r.exercised else ""
        )
        back = (
            f"<a class='back' href='#{summary[r.case]}'>&uarr; failure summary</a>"
            if r.case in summary
            else ""
        )
        rows.append(
            f"<tr id='{anchors[r.case]}' class='{_css(r.outcome)}'><td>{esc(r.profile)}</td>"
            f"<td><code>{esc(r.case)}</code>{back}{_case_detail(r)}</td>"
            f"<td>{esc(' '.join(r.requirements))}{exercised}</td><td>{esc(_label(r.outcome))}</td>"
            f"<td>{r.duration:.2f}s</td></tr>"
        )
    return "".join(rows)


def _profile_rows(meta: RunMetadata, outcome: RunOutcome) -> str:
    return "".join(
        f"<tr class='{v}'><td>{esc(p)}</td><td><b>{v}</b></td>"
        + "".join(f"<td>{outcome.profile_counts[p][o]}</td>" for o, _ in _COLUMNS)
        + f"<td>{'yes' if p in meta.claimed_profiles else 'no'}</td></tr>"
        for p, v in outcome.profiles.items()
    )


def _unfinished(results: Sequence[CaseResult]) -> str:
    reasons: dict[tuple[str, str, str], int] = {}
    for r in results:
        if r.outcome in (SKIPPED, NOT_RUN):
            key = (r.profile, r.outcome, r.reason or headline(r) or "no reason given")
            reasons[key] = reasons.get(key, 0) + 1
    if not reasons:
        return "<p>Every selected case ran to a verdict.</p>"
    rows = "".join(
        f"<tr><td>{esc(p)}</td><td>{esc(o)}</td><td>{n}</td><td>{esc(why)}</td></tr>"
        for (p, o, why), n in sorted(reasons.items())
    )
    return (
        "<table id='unfinished'><tr><th>profile</th><th>outcome</th><th>cases</th>"
        f"<th>why</th></tr>{rows}</table>"
    )


def _requirement_rows(
    results: Sequence[CaseResult],
    matrix: Mapping[str, Sequence[str]],
    anchors: Mapping[str, str],
) -> str:
    return "".join(
        f"<tr class='{_css(v['verdict'])}'><td><code>{esc(req)}</code></td>"
        f"<td>{esc(v['verdict'])}</td><td>"
        + ", ".join(
            f"<a href='#{anchors[c]}'>{esc(c)}</a> ({esc(_label(o))})"
            for c, o in v["cases"].items()
        )
        + f"</td><td>{len(v['exercised_by'])}</td></tr>"
        for req, v in requirement_view(results, matrix).items()
    )


def write_html(
    path: Path,
    meta: RunMetadata,
    results: Sequence[CaseResult],
    outcome: RunOutcome,
    matrix: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write the self-contained HTML report (failures first, see the module docstring)."""
    anchors = {r.case: case_anchor(i) for i, r in enumerate(results)}
    summary = {r.case: failure_anchor(i) for i, r in enumerate(failing(results), start=1)}
    meta_rows = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(json.dumps(v, ensure_ascii=False))}</td></tr>"
        for k, v in meta.as_dict().items()
    )
    reason_items = "".join(f"<li>{esc(r)}</li>" for r in outcome.reasons)
    reason_items += "".join(f"<li>note: {esc(n)}</li>" for n in meta.notes)
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>e-CO conformance report: {esc(meta.implementation_name)} {outcome.verdict}</title>
<style>{_CSS}</style></head><body>
<h1>e-CO conformance report: {esc(meta.implementation_name)}
{esc(meta.implementation_version)}</h1>
<p class="meta">country {esc(meta.node_country)}, node spec
{esc(meta.node_spec_version or "?")}; suite {esc(meta.suite_version)}, spec
{esc(meta.spec_version)}; mode {esc(meta.mode)}, seed {meta.seed}, examples {meta.examples};
started {esc(meta.started)}, {meta.duration_seconds:.1f} s</p>
<p id="verdict" class="{outcome.verdict}">{esc(final_line(outcome))}</p>
<ul id="verdict-reasons">{reason_items}</ul>
{_failure_summary(results, anchors)}
<h2 id="profiles-heading">Profiles</h2>
<table id="profiles"><tr><th>profile</th><th>verdict</th>
{"".join(f"<th>{label}</th>" for _, label in _COLUMNS)}<th>claimed</th></tr>
{_profile_rows(meta, outcome)}</table>
<h2 id="unfinished-heading">Cases that did not run to a verdict</h2>
{_unfinished(results)}
<h2 id="requirements-heading">Requirements</h2>
<table id="requirements"><colgroup><col style="width:10em"><col style="width:8em"><col>
<col style="width:10em"></colgroup><tr><th>requirement</th><th>verdict</th>
<th>cases (primary)</th><th>also exercised by</th></tr>
{_requirement_rows(results, matrix or {}, anchors)}</table>
<h2 id="cases-heading">Cases</h2>
<table id="cases"><colgroup><col style="width:8em"><col><col style="width:14em">
<col style="width:8em"><col style="width:5em"></colgroup><tr><th>profile</th><th>case</th>
<th>requirements</th><th>status</th><th>time</th></tr>
{_case_rows(results, anchors, summary)}</table>
<h2 id="run-heading">Run</h2>
<p>Replay the whole run:</p>{_command_html(meta.command)}
<table id="run"><colgroup><col style="width:14em"><col></colgroup>{meta_rows}</table>
</body></html>
"""
    path.write_text(document, encoding="utf-8")
