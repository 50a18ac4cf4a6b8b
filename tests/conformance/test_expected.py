"""Expected-failure lists: strict, wildcard with cap, optional reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ExpectedFailuresError
from conformance.expected import (
    ExpectedFailure,
    ExpectedFailures,
    judge,
    load_expected_failures,
    render_expected_failures,
)

CASES = [
    "test_core.py::test_signer_refusals[expired-signer]",
    "test_core.py::test_signer_refusals[untrusted-root-signer]",
    "test_core.py::test_valid_certificates_accepted",
    "test_lifecycle.py::test_cancel",
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expected.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_exact_and_wildcard_entries_resolve(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[expected]]\ncase = "test_lifecycle.py::test_cancel"\n\n'
        '[[expected]]\ncase = "test_core.py::test_signer_refusals[*]"\nmax_matches = 2\n'
        'reason = "SIGNER_UNTRUSTED"\n',
    )
    resolved = load_expected_failures(path).resolve(CASES)
    assert set(resolved) == {CASES[0], CASES[1], CASES[3]}
    assert resolved[CASES[0]].reason == "SIGNER_UNTRUSTED"


def test_wildcard_over_its_cap_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[expected]]\ncase = "test_core.py::*"\nmax_matches = 2\n')
    with pytest.raises(ExpectedFailuresError, match="matches 3 cases"):
        load_expected_failures(path).resolve(CASES)


def test_property_cases_cannot_be_listed() -> None:
    listed = ExpectedFailures(entries=(ExpectedFailure(case=CASES[2]),))
    with pytest.raises(ExpectedFailuresError, match="Hypothesis"):
        listed.resolve(CASES, property_cases=[CASES[2]])


@pytest.mark.parametrize(
    "text",
    [
        "[[expected]]\ncase = 3\n",
        '[[expected]]\ncase = "x"\nmax_matches = 0\n',
        '[[expected]]\ncase = "x"\ncolour = "red"\n',
        "not toml = = =",
        'other = "key"\n',
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(ExpectedFailuresError):
        load_expected_failures(_write(tmp_path, text))


def test_judge_is_strict() -> None:
    entry = ExpectedFailure(case="c", reason="SIGNER_EXPIRED")
    assert judge(passed=True, failure_text="", entry=None).outcome == "passed"
    assert judge(passed=False, failure_text="x", entry=None).outcome == "failed"
    xpass = judge(passed=True, failure_text="", entry=entry)
    assert xpass.outcome == "xpassed"
    assert "XPASS" in xpass.note
    assert judge(passed=False, failure_text="got SIGNER_EXPIRED", entry=entry).outcome == "xfailed"
    other = judge(passed=False, failure_text="got SIGNER_UNTRUSTED", entry=entry)
    assert other.outcome == "failed"
    assert "SIGNER_EXPIRED" in other.note


def test_rendered_list_loads_back(tmp_path: Path) -> None:
    text = render_expected_failures(
        [(CASES[0], 'PERMISSION_DENIED "SIGNER_EXPIRED"'), (CASES[3], "")],
        implementation="demo 1.0",
    )
    loaded = load_expected_failures(_write(tmp_path, text))
    assert [e.case for e in loaded.entries] == [CASES[0], CASES[3]]
    assert loaded.entries[0].reason == 'PERMISSION_DENIED "SIGNER_EXPIRED"'


def _inner_given_case() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.integers())
    def check(value: int) -> None:
        assert value - value == 0

    check()


def _state_machine_case() -> None:
    from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

    run_state_machine_as_test(RuleBasedStateMachine)


def _named_case() -> None:
    assert 1 + 1 == 2


def test_wrapped_property_cases_are_recognised() -> None:
    from types import SimpleNamespace

    from conformance.plugin import _is_property

    def item(obj: object) -> object:
        return SimpleNamespace(obj=obj, cls=None)

    assert _is_property(item(_inner_given_case))  # type: ignore[arg-type]
    assert _is_property(item(_state_machine_case))  # type: ignore[arg-type]
    assert not _is_property(item(_named_case))  # type: ignore[arg-type]
