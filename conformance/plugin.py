"""The pytest plugin that runs the conformance cases (docs/conformance.md).

It provides the fixtures the case modules use (``suite_pki``, ``target``,
``adapter``, ``node_info``, ``code_lists``, ``suite_now``, ``suite_context``),
the markers ``requirement(...)`` and ``profile(...)``, profile selection,
strict expected-failure handling and the per-case records the reports are
built from.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
import shlex
import time
import unittest
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import pytest

from conformance.adapter_client import AdapterClient
from conformance.client import Exchange, Target
from conformance.errors import ExpectedFailuresError, TargetLostError
from conformance.expected import ExpectedFailure, ExpectedFailures, judge
from conformance.pki import SuitePki
from conformance.strategies import CodeLists
from conformance.verdicts import ERROR, FAILED, NOT_RUN, SKIPPED, XFAILED, XPASSED
from wco.eco.v1 import node_service_pb2

__all__ = [
    "ADAPTER_PROFILES",
    "PROFILES",
    "CaseResult",
    "EcoPlugin",
    "SuiteContext",
    "case_id",
    "clean_failure",
    "exercised_of",
    "falsifying_example",
    "register_markers",
    "replay_command",
    "requirements_of",
    "requires",
]

logger = logging.getLogger(__name__)

#: Every profile of the suite, in report order.
PROFILES: Final = ("core", "lifecycle", "verification", "pull", "sender", "transport-security")
#: Profiles whose every case drives the node through the adapter: without one, not run.
ADAPTER_PROFILES: Final = ("sender",)

F = TypeVar("F", bound=Callable[..., Any])


def requires(*requirement_ids: str) -> Callable[[F], F]:
    """Decorate a case with the requirement ids it checks (same as the marker)."""
    mark = pytest.mark.requirement(*requirement_ids)

    def decorate(func: F) -> F:
        return mark(func)  # type: ignore[no-any-return]

    return decorate


def case_id(nodeid: str) -> str:
    """Return the stable case id of a pytest node id (path below ``cases/``)."""
    marker = "cases/"
    index = nodeid.find(marker)
    return nodeid[index + len(marker) :] if index >= 0 else nodeid


@dataclass(kw_only=True)
class SuiteContext:
    """What one run of the suite tests, built by the command line.

    Attributes:
        pki: The suite PKI.
        target: The node under test (receiver-role cases).
        adapter: The adapter client (sender-role cases), or None.
        node_info: What the node said about itself, if it answered.
        code_lists: Code lists intersected with the node's.
        profiles: Profiles selected for this run.
        examples: Hypothesis ``max_examples``.
        seed: The run's seed.
        mode: ``embedded`` or ``target``.
        expected: The expected-failures list.
        keyword: The ``-k`` expression narrowing the run, or "".
        replay_base: The command line that reruns this run (every option but ``-k``).
    """

    pki: SuitePki
    target: Target
    adapter: AdapterClient | None
    node_info: node_service_pb2.NodeInfo | None
    code_lists: CodeLists
    profiles: tuple[str, ...]
    examples: int
    seed: int
    mode: str
    expected: ExpectedFailures = field(default_factory=ExpectedFailures)
    keyword: str = ""
    replay_base: str = "eco-conformance run"


@dataclass(kw_only=True)
class CaseResult:
    """The record of one case for the reports."""

    case: str
    nodeid: str
    profile: str
    requirements: tuple[str, ...]
    exercised: tuple[str, ...] = ()
    outcome: str = NOT_RUN
    reason: str = ""
    duration: float = 0.0
    failure: str = ""
    note: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    property_based: bool = False
    seed: int = 0
    falsifying_example: str = ""
    replay: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {
            "case": self.case,
            "profile": self.profile,
            "requirements": list(self.requirements),
            "exercised_requirements": list(self.exercised),
            "status": self.outcome,
            "reason": self.reason,
            "duration_seconds": round(self.duration, 3),
            "failure": self.failure,
            "note": self.note,
            "property_based": self.property_based,
            "seed": self.seed,
            "falsifying_example": self.falsifying_example,
            "replay": self.replay,
            "exchange": [e.as_dict() for e in self.exchanges],
        }


def _profile_of(item: pytest.Item) -> str:
    mark = item.get_closest_marker("profile")
    return str(mark.args[0]) if mark and mark.args else ""


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    """The requirements a case checks (its primary ones).

    When a parametrized case marks its parameters with ``requirement(...)``, those
    are the primary ids of each parameter and the function's own ids only say what
    every parameter exercises on the way (see :func:`exercised_of`).
    """
    own = _own_requirement_marks(item)
    if own is not None:
        return own
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(a) for a in mark.args)
    return tuple(dict.fromkeys(ids))


def _own_requirement_marks(item: pytest.Item) -> tuple[str, ...] | None:
    callspec = getattr(item, "callspec", None)
    marks = getattr(callspec, "marks", None) or ()
    ids = [str(a) for m in marks if m.name == "requirement" for a in m.args]
    return tuple(dict.fromkeys(ids)) if ids else None


def exercised_of(item: pytest.Item) -> tuple[str, ...]:
    """Requirements a case relies on without judging them as its subject.

    These are the ids of the ``exercises(...)`` marker, plus, for a case whose
    parameters carry their own requirement marks, the function-level ids.
    """
    primary = set(requirements_of(item))
    ids: list[str] = []
    for mark in item.iter_markers("exercises"):
        ids.extend(str(a) for a in mark.args)
    if _own_requirement_marks(item) is not None:
        for mark in item.iter_markers("requirement"):
            ids.extend(str(a) for a in mark.args)
    return tuple(r for r in dict.fromkeys(ids) if r not in primary)


def register_markers(config: pytest.Config) -> None:
    """Register the markers of the case modules (``--strict-markers`` is on)."""
    config.addinivalue_line(
        "markers", "requirement(*ids): requirement ids of docs/spec.md the case checks"
    )
    config.addinivalue_line(
        "markers", "exercises(*ids): requirement ids the case relies on, not its subject"
    )
    config.addinivalue_line(
        "markers", "obligation(*kinds): test obligations the case meets (conformance/obligations)"
    )
    config.addinivalue_line("markers", "profile(name): conformance profile of the case")


_PROPERTY_MARKERS: Final = ("@given(", "run_state_machine_as_test(")


def _is_property(item: pytest.Item) -> bool:
    """Whether a case is a Hypothesis property or state machine (never an expected failure).

    Cases often wrap an inner ``@given`` function or call ``run_state_machine_as_test``,
    so the test function itself is not marked by Hypothesis: its source is looked at too.
    """
    obj = getattr(item, "obj", None)
    if getattr(obj, "is_hypothesis_test", False):
        return True
    try:
        source = inspect.getsource(obj) if callable(obj) else ""
    except (OSError, TypeError):
        source = ""
    if any(marker in source for marker in _PROPERTY_MARKERS):
        return True
    cls = getattr(item, "cls", None)
    return (
        isinstance(cls, type)
        and issubclass(cls, unittest.TestCase)
        and hasattr(cls, "settings")
        and hasattr(cls, "runTest")
    )


class EcoPlugin:
    """Pytest plugin object registered by ``eco-conformance run``.

    Attributes:
        results: Case id -> record, for every case of the selected profiles
            (``not run`` until pytest reports on it).
        collection_errors: Modules that could not be collected.
        interrupted: Whether the run was interrupted (Ctrl-C, SIGINT, SIGTERM).
        target_lost: Why the node is gone, when it stopped answering mid-run.
        internal_error: A pytest-internal error, if one happened.
    """

    def __init__(self, context: SuiteContext) -> None:
        """Create the plugin for one run."""
        self.context = context
        self.results: dict[str, CaseResult] = {}
        self.expected_map: dict[str, ExpectedFailure] = {}
        self.collection_error = ""
        self.collection_errors: list[CaseResult] = []
        self.deselected_profiles: dict[str, int] = {}
        self.interrupted = False
        self.target_lost = ""
        self.internal_error = ""
        self._narrowed: list[pytest.Item] = []
        self._started: dict[str, float] = {}

    # -- configuration and collection ------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        """Register the suite's markers."""
        register_markers(config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Keep the selected profiles and check every case's markers."""
        selected: list[pytest.Item] = []
        deselected: list[pytest.Item] = []
        for item in items:
            profile = _profile_of(item)
            if profile not in PROFILES:
                self.internal_error = f"case {item.nodeid} has no valid profile marker"
                raise pytest.UsageError(f"{self.internal_error} ({profile!r})")
            if not requirements_of(item):
                self.internal_error = f"case {item.nodeid} names no requirement id"
                raise pytest.UsageError(self.internal_error)
            if profile in self.context.profiles:
                selected.append(item)
            else:
                deselected.append(item)
                self.deselected_profiles[profile] = self.deselected_profiles.get(profile, 0) + 1
        if deselected:
            self._own_deselection = {id(i) for i in deselected}
            config.hook.pytest_deselected(items=deselected)
        items[:] = selected

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Cases of a selected profile that ``-k`` left out are recorded as not run."""
        own: set[int] = getattr(self, "_own_deselection", set())
        self._narrowed.extend(
            i for i in items if id(i) not in own and _profile_of(i) in self.context.profiles
        )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Record every case of the selected profiles as ``not run`` before any runs."""
        items = session.items
        ids = [case_id(i.nodeid) for i in items]
        prop = [case_id(i.nodeid) for i in items if _is_property(i)]
        try:
            self.expected_map = self.context.expected.resolve(ids, property_cases=prop)
        except ExpectedFailuresError as exc:
            self.collection_error = exc.diagnostics()
            session.shouldstop = self.collection_error
            items[:] = []
            return
        for item in self._narrowed:
            record = self._record(item)
            record.reason = f"deselected by -k {self.context.keyword!r}"
        without_adapter = self.context.adapter is None
        kept: list[pytest.Item] = []
        for item in items:
            record = self._record(item)
            if without_adapter and record.profile in ADAPTER_PROFILES:
                record.reason = "no adapter given (--adapter or --adapter-address)"
                continue
            kept.append(item)
            item.user_properties.append(("requirements", " ".join(record.requirements)))
            item.user_properties.append(("profile", record.profile))
        if len(kept) != len(items):
            items[:] = kept

    def _record(self, item: pytest.Item) -> CaseResult:
        cid = case_id(item.nodeid)
        record = CaseResult(
            case=cid,
            nodeid=item.nodeid,
            profile=_profile_of(item),
            requirements=requirements_of(item),
            exercised=exercised_of(item),
            property_based=_is_property(item),
            seed=self.context.seed,
        )
        self.results[cid] = record
        return record

    # -- what happened to the run -----------------------------------------

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C (or SIGTERM, turned into KeyboardInterrupt): the run is INTERRUPTED.

        pytest reports its own stops (``session.shouldstop``, collection errors) through
        this hook too, as ``Session.Interrupted``; those are not an operator's interrupt.
        """
        if not excinfo.errisinstance(pytest.Session.Interrupted):
            self.interrupted = True

    def pytest_internalerror(self, excrepr: object, excinfo: object) -> None:
        """An error inside pytest or this plugin: the run is ERROR."""
        self.internal_error = str(excrepr).strip().splitlines()[-1] if str(excrepr) else "?"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A case module that cannot be collected makes the run ERROR, never a silent pass."""
        if report.failed:
            cid = case_id(report.nodeid) + " (collection)"
            self.collection_errors.append(
                CaseResult(
                    case=cid,
                    nodeid=report.nodeid,
                    profile="collection",
                    requirements=(),
                    outcome=ERROR,
                    failure=clean_failure(report.longreprtext),
                    seed=self.context.seed,
                )
            )

    # -- results ----------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        """Apply expected failures (strict) and record the result of each case."""
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        cid = case_id(item.nodeid)
        result = self.results.get(cid)
        if result is None:
            return
        result.exchanges.extend(self.context.target.recorder.take())
        if report.when == "setup":
            self._started[cid] = time.monotonic()
        if call.excinfo is not None and call.excinfo.errisinstance(TargetLostError):
            self.target_lost = str(call.excinfo.value)
            result.outcome = ERROR
            result.failure = f"[{report.when}] {self.target_lost}"
            item.session.shouldstop = self.target_lost
            return
        if report.when == "teardown":
            if report.failed and result.outcome not in (FAILED, ERROR):
                result.outcome = ERROR
                result.failure += "\n[teardown] " + clean_failure(report.longreprtext)
            return
        if report.when == "setup":
            if report.skipped:
                result.outcome = SKIPPED
                result.reason = _skip_reason(report)
            elif report.failed:
                result.outcome = ERROR
                result.failure = "[setup] " + clean_failure(report.longreprtext)
            return
        result.duration = report.duration
        if report.skipped and not hasattr(report, "wasxfail"):
            result.outcome = SKIPPED
            result.reason = _skip_reason(report)
            return
        entry = self.expected_map.get(cid)
        verdict = judge(passed=report.passed, failure_text=report.longreprtext, entry=entry)
        result.outcome = verdict.outcome
        result.note = verdict.note
        result.failure = clean_failure(report.longreprtext) if report.failed else ""
        if verdict.outcome == XFAILED:
            report.outcome = "skipped"
            report.wasxfail = verdict.note
        elif verdict.outcome == XPASSED:
            report.outcome = "failed"
            report.longrepr = verdict.note
            result.failure = verdict.note
        elif verdict.note and report.failed:
            report.longrepr = f"{report.longreprtext}\n{verdict.note}"
            result.failure = f"{result.failure}\n{verdict.note}"
        if result.outcome in (FAILED, XPASSED):
            result.falsifying_example = falsifying_example(result.failure)
            result.replay = replay_command(self.context, item)

    def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
        """A case that reported nothing decisive (no call phase) is not a pass."""
        result = self.results.get(case_id(nodeid))
        if result is not None and result.outcome == NOT_RUN and not result.reason:
            result.reason = "the case did not reach its test body"

    # -- fixtures ---------------------------------------------------------

    @pytest.fixture(scope="session")
    def suite_context(self) -> SuiteContext:
        """The run's context."""
        return self.context

    @pytest.fixture(scope="session")
    def suite_pki(self) -> SuitePki:
        """The suite PKI: paths and loaded keys of every test country."""
        return self.context.pki

    @pytest.fixture(scope="session")
    def target(self) -> Target:
        """The node under test; ``target.exchange("XA")`` calls it over mTLS as XA."""
        return self.context.target

    @pytest.fixture(scope="session")
    def adapter(self) -> AdapterClient | None:
        """The adapter client of the node under test, or None without an adapter."""
        return self.context.adapter

    @pytest.fixture(scope="session")
    def node_info(self) -> node_service_pb2.NodeInfo:
        """What GetNodeInfo reported (REQ-NODE-001); skips when it did not answer."""
        if self.context.node_info is None:
            pytest.skip("the node did not answer GetNodeInfo")
        return self.context.node_info

    @pytest.fixture(scope="session")
    def code_lists(self) -> CodeLists:
        """Code lists valid values are drawn from (suite defaults intersected with the node's)."""
        return self.context.code_lists

    @pytest.fixture
    def suite_now(self) -> dt.datetime:
        """The current time (UTC); the node under test is judged against real time."""
        return dt.datetime.now(dt.UTC)

    @pytest.fixture(scope="session")
    def examples(self) -> int:
        """Hypothesis ``max_examples`` of this run (``--examples``)."""
        return self.context.examples

    # -- summary helpers --------------------------------------------------

    def ordered_results(self) -> Iterator[CaseResult]:
        """Results in profile order, then case id."""
        order = {p: i for i, p in enumerate(("collection", *PROFILES))}
        everything = [*self.collection_errors, *self.results.values()]
        yield from sorted(everything, key=lambda r: (order.get(r.profile, 99), r.case))


_EXAMPLE_STARTS: Final = ("Falsifying example:", "Failing test case:")
_EXAMPLE_ENDS: Final = ("You can reproduce", "Explanation:", "Trying example:", "Highest target")


def falsifying_example(failure: str) -> str:
    """Return the (shrunk) input Hypothesis reported in a failure text, or "".

    Hypothesis attaches it to the exception as ``Falsifying example: ...`` (for
    ``@given``) or ``Failing test case: ...`` (for state machines), which pytest
    prints in the ``E`` lines of the report.
    """
    lines = [line.removeprefix("E").removeprefix("   ") for line in failure.splitlines()]
    out: list[str] = []
    taking = False
    for line in lines:
        text = line.rstrip()
        if any(text.lstrip().startswith(m) for m in _EXAMPLE_STARTS):
            taking = True
        elif taking and any(text.lstrip().startswith(m) for m in _EXAMPLE_ENDS):
            break
        if taking:
            out.append(text)
    return "\n".join(out).strip()


def replay_command(context: SuiteContext, item: pytest.Item) -> str:
    """Return the command line that reruns one case: every option of the run, then ``-k``."""
    name = item.name
    if not re.fullmatch(r"[\w\[\]\-.]+", name):  # not a valid -k identifier: drop the id
        name = name.split("[", 1)[0]
    return f"{context.replay_base} -k {shlex.quote(name)}"


_PACKAGE_ROOT: Final = str(Path(__file__).resolve().parent.parent) + "/"
_INSTALLED_PATH: Final = re.compile(r"[^\s\"'():]*/(?:site|dist)-packages/")


def clean_failure(text: str) -> str:
    """Drop interpreter and installation paths from a failure text.

    ``.venv/lib/python3.11/site-packages/conformance/cases/test_core.py:12`` becomes
    ``conformance/cases/test_core.py:12``: the report is read by people who do not
    have the operator's file system.
    """
    return _INSTALLED_PATH.sub("", text.replace(_PACKAGE_ROOT, ""))


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")
