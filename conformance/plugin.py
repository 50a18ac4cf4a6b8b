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
import time
import unittest
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import pytest

from conformance.adapter_client import AdapterClient
from conformance.client import Exchange, Target
from conformance.errors import ExpectedFailuresError
from conformance.expected import ExpectedFailure, ExpectedFailures, judge
from conformance.pki import SuitePki
from conformance.strategies import CodeLists
from wco.eco.v1 import node_service_pb2

__all__ = [
    "PROFILES",
    "CaseResult",
    "EcoPlugin",
    "SuiteContext",
    "case_id",
    "falsifying_example",
    "replay_command",
    "requires",
]

logger = logging.getLogger(__name__)

#: Every profile of the suite, in report order.
PROFILES: Final = ("core", "lifecycle", "verification", "pull", "sender", "transport-security")

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


@dataclass(kw_only=True)
class CaseResult:
    """The record of one case for the reports."""

    case: str
    nodeid: str
    profile: str
    requirements: tuple[str, ...]
    outcome: str = "passed"
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
            "status": self.outcome,
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


def _requirements_of(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(a) for a in mark.args)
    return tuple(dict.fromkeys(ids))


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
    """Pytest plugin object registered by ``eco-conformance run``."""

    def __init__(self, context: SuiteContext) -> None:
        """Create the plugin for one run."""
        self.context = context
        self.results: dict[str, CaseResult] = {}
        self.expected_map: dict[str, ExpectedFailure] = {}
        self.collection_error = ""
        self.deselected_profiles: dict[str, int] = {}
        self._started: dict[str, float] = {}

    # -- configuration and collection ------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        """Register the suite's markers."""
        config.addinivalue_line(
            "markers", "requirement(*ids): requirement ids of docs/spec.md the case checks"
        )
        config.addinivalue_line("markers", "profile(name): conformance profile of the case")

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Keep the selected profiles and apply the expected-failures list."""
        selected: list[pytest.Item] = []
        deselected: list[pytest.Item] = []
        for item in items:
            profile = _profile_of(item)
            if profile not in PROFILES:
                raise pytest.UsageError(
                    f"case {item.nodeid} has no valid profile marker ({profile!r})"
                )
            if not _requirements_of(item):
                raise pytest.UsageError(f"case {item.nodeid} names no requirement id")
            if profile in self.context.profiles:
                selected.append(item)
            else:
                deselected.append(item)
                self.deselected_profiles[profile] = self.deselected_profiles.get(profile, 0) + 1
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = selected

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Record the cases that will run (after every deselection, e.g. ``-k``)."""
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
        for item in items:
            cid = case_id(item.nodeid)
            self.results[cid] = CaseResult(
                case=cid,
                nodeid=item.nodeid,
                profile=_profile_of(item),
                requirements=_requirements_of(item),
                property_based=_is_property(item),
                seed=self.context.seed,
            )
            item.user_properties.append(("requirements", " ".join(_requirements_of(item))))
            item.user_properties.append(("profile", _profile_of(item)))

    # -- results ----------------------------------------------------------

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A case module that cannot be collected is a failed case, never a silent pass."""
        if report.failed:
            cid = case_id(report.nodeid) + " (collection)"
            self.results[cid] = CaseResult(
                case=cid,
                nodeid=report.nodeid,
                profile="collection",
                requirements=(),
                outcome="failed",
                failure=report.longreprtext,
                seed=self.context.seed,
            )

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
        decisive = (report.when == "call") or (report.when == "setup" and not report.passed)
        if report.when == "teardown" and report.failed:
            result.outcome = "failed"
            result.failure += "\n[teardown] " + report.longreprtext
            return
        if not decisive:
            return
        result.duration = report.duration
        if report.skipped and not hasattr(report, "wasxfail"):
            result.outcome = "skipped"
            result.failure = _skip_reason(report)
            return
        entry = self.expected_map.get(cid)
        verdict = judge(passed=report.passed, failure_text=report.longreprtext, entry=entry)
        result.outcome = verdict.outcome
        result.note = verdict.note
        result.failure = report.longreprtext if report.failed else ""
        if verdict.outcome == "xfailed":
            report.outcome = "skipped"
            report.wasxfail = verdict.note
        elif verdict.outcome == "failed" and report.passed:
            report.outcome = "failed"
            report.longrepr = verdict.note
            result.failure = verdict.note
        elif verdict.note and report.failed:
            report.longrepr = f"{report.longreprtext}\n{verdict.note}"
            result.failure = f"{result.failure}\n{verdict.note}"
        if result.outcome == "failed":
            result.falsifying_example = falsifying_example(result.failure)
            result.replay = replay_command(self.context, item)

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
        yield from sorted(self.results.values(), key=lambda r: (order.get(r.profile, 99), r.case))


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
    """Return the command line that reruns one case with the run's seed and examples."""
    name = item.name
    if not re.fullmatch(r"[\w\[\]\-.]+", name):  # not a valid -k identifier: drop the id
        name = name.split("[", 1)[0]
    target = "" if context.mode == "embedded" else " --target ... (same options)"
    return (
        f"eco-conformance run{target} --seed {context.seed} --examples {context.examples} "
        f"-k '{name}'"
    )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")
