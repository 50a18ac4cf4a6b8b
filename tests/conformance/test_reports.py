"""Reports: console summary line, JSON metadata and per-case data, self-contained HTML."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.client import Exchange
from conformance.plugin import CaseResult, falsifying_example
from conformance.reports import RunMetadata, console_summary, final_line, write_html, write_json

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


def test_final_line_format() -> None:
    assert final_line(_results()) == "1 passed, 1 failed, 1 skipped"
    assert final_line(_results()[:1]) == "1 passed, 0 failed"


def test_console_summary_per_profile_and_last_line() -> None:
    text = console_summary(META, _results())
    lines = text.splitlines()
    assert lines[-1] == "1 passed, 1 failed, 1 skipped"
    assert any(line.startswith("core") and "FAIL" in line and "(claimed)" in line for line in lines)
    assert any(line.startswith("lifecycle") and "PASS" in line for line in lines)
    assert "--seed 42" in text
    assert "SIGNER_EXPIRED" in text


def test_json_report(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(path, META, _results(), {"REQ-SIG-003": ["test_core.py::test_a"]})
    data = json.loads(path.read_text("utf-8"))
    assert data["metadata"]["implementation"]["name"] == "demo node"
    assert data["metadata"]["implementation"]["claimed_profiles"] == ["core"]
    assert data["metadata"]["seed"] == 42
    assert data["summary"]["profiles"]["core"]["verdict"] == "fail"
    assert data["summary"]["profiles"]["lifecycle"]["verdict"] == "pass"
    case = data["cases"][0]
    assert case["requirements"] == ["REQ-SIG-003"]
    assert case["exchange"][0]["rpc"] == "ExchangeService/SubmitDocument"
    assert case["seed"] == 0 or isinstance(case["seed"], int)


def test_html_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(path, META, _results())
    text = path.read_text("utf-8")
    assert "<script>" not in text.replace('<script>"', "")
    assert "&lt;script&gt;" in text
    assert "http://" not in text
    assert "https://" not in text
    assert "test_core.py::test_b" in text
    assert "1 passed, 1 failed, 1 skipped" in text


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
    text = console_summary(META, [failed], trailer=("ran 1 cases in 1.0 s",))
    lines = text.splitlines()
    assert lines[-1] == "0 passed, 1 failed"
    assert lines[-2] == "ran 1 cases in 1.0 s"
    assert "expected FAILED_PRECONDITION" in text
    assert "      | state.outcome(dice=0, item=1, number=certificates_0, pick=3)" in lines
    assert "      replay: eco-conformance run --seed 42 --examples 25" in text
    write_json(tmp_path / "r.json", META, [failed], {})
    case = json.loads((tmp_path / "r.json").read_text("utf-8"))["cases"][0]
    assert case["falsifying_example"].startswith("Failing test case")
    assert case["replay"].startswith("eco-conformance run --seed 42")
    write_html(tmp_path / "r.html", META, [failed])
    page = (tmp_path / "r.html").read_text("utf-8")
    assert "falsifying example (shrunk)" in page
    assert "state.outcome(dice=0" in page


def test_replay_command_names_the_parametrized_case() -> None:
    from types import SimpleNamespace

    from conformance.plugin import replay_command

    context = SimpleNamespace(mode="embedded", seed=9, examples=25)
    item = SimpleNamespace(name="test_invalid_certificates_refused[money-currency]")
    assert replay_command(context, item) == (  # type: ignore[arg-type]
        "eco-conformance run --seed 9 --examples 25 "
        "-k 'test_invalid_certificates_refused[money-currency]'"
    )
    odd = SimpleNamespace(name="test_x[a b]")
    assert replay_command(context, odd).endswith("-k 'test_x'")  # type: ignore[arg-type]
