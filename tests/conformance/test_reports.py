"""Reports: verdicts, console summary, JSON metadata and per-case data, JUnit, HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.client import Exchange
from conformance.html_report import write_html
from conformance.plugin import CaseResult, clean_failure, falsifying_example
from conformance.reports import (
    RunMetadata,
    RunOutcome,
    console_summary,
    final_line,
    finish_junit,
    judge_run,
    requirement_view,
    write_json,
)
from conformance.verdicts import RunState, Verdict

META = RunMetadata(
    implementation_name="demo node",
    implementation_version="9.9",
    node_country="XB",
    suite_version="0.1.0",
    spec_version="1.0.0",
    node_spec_version="1.0.0",
    claimed_profiles=("core",),
    selected_profiles=("core", "lifecycle"),
    mode="target",
    target="127.0.0.1:1",
    seed=42,
    examples=5,
    started="2026-01-01T00:00:00+00:00",
    duration_seconds=1.5,
)


def _results() -> list[CaseResult]:
    return [
        CaseResult(
            case="test_core.py::test_a",
            nodeid="x/cases/test_core.py::test_a",
            profile="core",
            requirements=("REQ-SIG-003",),
            outcome="passed",
            exchanges=[
                Exchange(
                    rpc="ExchangeService/SubmitDocument",
                    caller="XA",
                    request='request_id: "<script>"',
                    outcome="OK",
                )
            ],
        ),
        CaseResult(
            case="test_core.py::test_b",
            nodeid="x/cases/test_core.py::test_b",
            profile="core",
            requirements=("REQ-PKI-003",),
            outcome="failed",
            failure="E   AssertionError: REQ-PKI-003: expected PERMISSION_DENIED SIGNER_EXPIRED, "
            "got OK",
        ),
        CaseResult(
            case="test_lifecycle.py::test_c",
            nodeid="n",
            profile="lifecycle",
            requirements=("REQ-LC-002",),
            outcome="xfailed",
            note="known",
        ),
        CaseResult(
            case="test_lifecycle.py::test_d",
            nodeid="n",
            profile="lifecycle",
            requirements=("REQ-LC-002",),
            outcome="skipped",
        ),
    ]


def _judged(results: list[CaseResult], state: RunState = RunState.COMPLETED) -> RunOutcome:
    return judge_run(results, selected_profiles=META.selected_profiles, state=state)


def test_final_line_names_the_verdict() -> None:
    assert final_line(_judged(_results())) == (
        "FAIL: 1 passed, 1 failed, 1 skipped, 1 failed as expected"
    )
    assert final_line(_judged(_results()[:1])) == "INCOMPLETE: 1 passed, 0 failed"
    only_core = judge_run(_results()[:1], selected_profiles=("core",))
    assert final_line(only_core) == "PASS: 1 passed, 0 failed"


def test_profile_verdicts() -> None:
    outcome = _judged(_results())
    assert outcome.profiles == {"core": Verdict.FAIL, "lifecycle": Verdict.INCOMPLETE}
    assert outcome.verdict is Verdict.FAIL
    interrupted = _judged(_results(), RunState.INTERRUPTED)
    assert interrupted.verdict is Verdict.INTERRUPTED


def test_console_summary_failures_first_profiles_and_last_line() -> None:
    text = console_summary(META, _results(), _judged(_results()))
    lines = text.splitlines()
    assert lines[-1] == "FAIL: 1 passed, 1 failed, 1 skipped, 1 failed as expected"
    first_failure = next(i for i, line in enumerate(lines) if "test_core.py::test_b" in line)
    first_profile = next(i for i, line in enumerate(lines) if line.startswith("core "))
    assert first_failure < first_profile
    assert any(line.startswith("core") and "FAIL" in line and "(claimed)" in line for line in lines)
    assert any(line.startswith("lifecycle") and "INCOMPLETE" in line for line in lines)
    assert "seed 42" in text
    assert "SIGNER_EXPIRED" in text


def test_json_report(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    results = _results()
    write_json(path, META, results, _judged(results), {"REQ-SIG-003": ["test_core.py::test_a"]})
    data = json.loads(path.read_text("utf-8"))
    assert data["verdict"] == "FAIL"
    assert data["metadata"]["implementation"]["name"] == "demo node"
    assert data["metadata"]["implementation"]["claimed_profiles"] == ["core"]
    assert data["metadata"]["seed"] == 42
    assert data["summary"]["profiles"]["core"]["verdict"] == "FAIL"
    assert data["summary"]["profiles"]["lifecycle"]["verdict"] == "INCOMPLETE"
    assert [f["case"] for f in data["failures"]] == ["test_core.py::test_b"]
    assert "SIGNER_EXPIRED" in data["failures"][0]["headline"]
    case = data["cases"][0]
    assert case["requirements"] == ["REQ-SIG-003"]
    assert case["exchange"][0]["rpc"] == "ExchangeService/SubmitDocument"
    assert data["requirements"]["REQ-SIG-003"]["verdict"] == "PASS"
    assert data["requirements"]["REQ-PKI-003"]["verdict"] == "FAIL"


def test_requirement_view_separates_exercised_requirements() -> None:
    results = [
        CaseResult(
            case="c1",
            nodeid="n",
            profile="core",
            requirements=("REQ-CO-007",),
            exercised=("REQ-PUSH-002",),
            outcome="passed",
        )
    ]
    view = requirement_view(results, {"REQ-PUSH-002": [], "REQ-X-1": []})
    assert view["REQ-CO-007"]["cases"] == {"c1": "passed"}
    assert view["REQ-PUSH-002"]["verdict"] == "NOT TESTED"
    assert view["REQ-PUSH-002"]["exercised_by"] == ["c1"]


def test_junit_gets_verdict_and_cases_that_never_ran(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="eco-conformance" tests="1" '
        'skipped="0"><testcase classname="cases.test_core" name="test_a"/></testsuite>'
        "</testsuites>",
        encoding="utf-8",
    )
    never = CaseResult(case="test_core.py::test_z", nodeid="n", profile="core", requirements=("R",))
    never.reason = "the run was interrupted before this case"
    outcome = _judged([never], RunState.INTERRUPTED)
    finish_junit(path, outcome, [never])
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "INTERRUPTED"
    assert suite.get("tests") == "2"
    added = [c for c in suite.iter("testcase") if c.get("name") == "test_z"]
    assert added
    skipped = added[0].find("skipped")
    assert skipped is not None
    assert "interrupted" in (skipped.get("message") or "")


def test_html_report_is_self_contained_escaped_and_failures_first(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    results = _results()
    write_html(path, META, results, _judged(results))
    text = path.read_text("utf-8")
    assert "<script>" not in text.replace('<script>"', "")
    assert "&lt;script&gt;" in text
    assert "http://" not in text
    assert "https://" not in text
    assert "FAIL: 1 passed, 1 failed" in text
    summary = text.index("id='failures'")
    entry = text.index("id='case-1'")
    assert summary < text.index('id="profiles"') < entry
    assert "href='#case-1'" in text[summary : text.index('id="profiles"')]


def test_failure_text_has_no_installation_paths() -> None:
    text = (
        "/home/u/.venv/lib/python3.11/site-packages/conformance/cases/test_core.py:12: in f\n"
        "/usr/lib/python3/dist-packages/hypothesis/core.py:3: in g"
    )
    cleaned = clean_failure(text)
    assert "site-packages" not in cleaned
    assert "dist-packages" not in cleaned
    assert cleaned.startswith("conformance/cases/test_core.py:12: in f")


_STATEFUL_FAILURE = """conformance/cases/test_outcomes.py:725: in test_outcome_state_machine
E   AssertionError: REQ-LC-005 FULLY_USED -> PARTIALLY_USED: expected FAILED_PRECONDITION \
ILLEGAL_TRANSITION, but the node accepted
E   Failing test case: <state machine>
E   state = Machine()
E   certificates_0 = state.first()
E   state.outcome(dice=0, item=1, number=certificates_0, pick=3)
E   state.teardown()
E   Explanation:
E       These lines were always and only run by failing test cases:
E   You can reproduce this test case by temporarily adding @reproduce_failure(...)
"""

_GIVEN_FAILURE = """E   AssertionError: REQ-CO-007: expected INVALID_ARGUMENT FIELD_INVALID, got OK
E   Falsifying example: check(
E       case=InvalidCase(rule='hs_code', field='goods_items[0].hs_code'),
E   )
"""


def test_falsifying_example_is_extracted() -> None:
    stateful = falsifying_example(_STATEFUL_FAILURE)
    assert stateful.splitlines()[0] == "Failing test case: <state machine>"
    assert "state.outcome(dice=0, item=1, number=certificates_0, pick=3)" in stateful
    assert "Explanation" not in stateful
    assert "reproduce" not in stateful
    given = falsifying_example(_GIVEN_FAILURE)
    assert given.startswith("Falsifying example: check(")
    assert "case=InvalidCase(rule='hs_code'" in given
    assert falsifying_example("E   AssertionError: plain") == ""


def test_failure_shows_rule_example_and_replay(tmp_path: Path) -> None:
    failed = CaseResult(
        case="test_outcomes.py::test_outcome_state_machine",
        nodeid="n",
        profile="lifecycle",
        requirements=("REQ-LC-005",),
        outcome="failed",
        failure=_STATEFUL_FAILURE,
        property_based=True,
        seed=42,
        falsifying_example=falsifying_example(_STATEFUL_FAILURE),
        replay="eco-conformance run --seed 42 --examples 25 -k 'test_outcome_state_machine'",
    )
    judged = judge_run([failed], selected_profiles=("lifecycle",))
    text = console_summary(META, [failed], judged, trailer=("ran 1 cases in 1.0 s",))
    lines = text.splitlines()
    assert lines[-1] == "FAIL: 0 passed, 1 failed"
    assert lines[-2] == "ran 1 cases in 1.0 s"
    assert "expected FAILED_PRECONDITION" in text
    assert "      | state.outcome(dice=0, item=1, number=certificates_0, pick=3)" in lines
    assert "      replay: eco-conformance run --seed 42 --examples 25" in text
    write_json(tmp_path / "r.json", META, [failed], judged, {})
    case = json.loads((tmp_path / "r.json").read_text("utf-8"))["cases"][0]
    assert case["falsifying_example"].startswith("Failing test case")
    assert case["replay"].startswith("eco-conformance run --seed 42")
    write_html(tmp_path / "r.html", META, [failed], judged)
    page = (tmp_path / "r.html").read_text("utf-8")
    assert "minimal failing input (shrunk)" in page
    assert "state.outcome(dice=0" in page


def test_replay_command_names_the_parametrized_case() -> None:
    from types import SimpleNamespace

    from conformance.plugin import replay_command

    base = "eco-conformance run --target 127.0.0.1:7443 --seed 9 --report-dir out"
    context = SimpleNamespace(replay_base=base)
    item = SimpleNamespace(name="test_invalid_certificates_refused[money-currency]")
    assert replay_command(context, item) == (  # type: ignore[arg-type]
        f"{base} -k 'test_invalid_certificates_refused[money-currency]'"
    )
    odd = SimpleNamespace(name="test_x[a b]")
    assert replay_command(context, odd).endswith("-k test_x")  # type: ignore[arg-type]
