"""Fixtures of the reliability and security tests (issue 7, docs/reliability.md).

Provides the test countries' PKI (``XA`` sender, ``XB`` the node under test,
``XC`` a third, also trusted country), a factory of real node subprocesses in
``tmp_path``, and a figures recorder whose numbers are printed at the end of
the run and, when ``ECO_RELIABILITY_FIGURES`` names a file, written there as
JSON (``scripts/reliability_long.py`` uses that).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .node import NodeProcess, Partner
from .pki import CountryPki, make_country

#: Environment variable switching on long mode (500 kills instead of 20+).
LONG_ENV = "ECO_RELIABILITY_LONG"
#: Where to write the figures of the run as JSON.
FIGURES_ENV = "ECO_RELIABILITY_FIGURES"

_FIGURES: dict[str, dict[str, Any]] = {}


def long_mode() -> bool:
    """True when ``ECO_RELIABILITY_LONG`` is set to a non-empty value other than 0."""
    return os.environ.get(LONG_ENV, "") not in ("", "0")


class Figures:
    """Collects the figures one test reports under its own heading."""

    def __init__(self, store: dict[str, dict[str, Any]]) -> None:
        self._store = store

    def record(self, section: str, **values: Any) -> None:
        """Record (add to) the figures of ``section``."""
        self._store.setdefault(section, {}).update(values)

    def add(self, section: str, name: str, amount: int = 1) -> None:
        """Increment a counter of ``section``."""
        bucket = self._store.setdefault(section, {})
        bucket[name] = int(bucket.get(name, 0)) + amount


@pytest.fixture(scope="session")
def figures() -> Figures:
    """The session's figures recorder."""
    return Figures(_FIGURES)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the recorded figures and write them to ``ECO_RELIABILITY_FIGURES``."""
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for section, values in sorted(_FIGURES.items()):
        parts = ", ".join(f"{k}={v}" for k, v in values.items())
        terminalreporter.write_line(f"{section}: {parts}")
    target = os.environ.get(FIGURES_ENV)
    if target:
        Path(target).write_text(json.dumps(_FIGURES, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def xa() -> CountryPki:
    """PKI of XA, the exporting partner country."""
    return make_country("XA")


@pytest.fixture(scope="session")
def xb() -> CountryPki:
    """PKI of XB, the country of the node under test."""
    return make_country("XB")


@pytest.fixture(scope="session")
def xc() -> CountryPki:
    """PKI of XC, a third country the node also trusts."""
    return make_country("XC")


NodeFactory = Callable[..., NodeProcess]


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[NodeFactory]:
    """Make (not start) node subprocesses under ``tmp_path``; all are killed at teardown."""
    made: list[NodeProcess] = []

    def make(
        pki: CountryPki,
        *,
        partners: Sequence[Partner] = (),
        name: str | None = None,
        limits: dict[str, int] | None = None,
        delivery: dict[str, int] | None = None,
        processes: int = 1,
    ) -> NodeProcess:
        node = NodeProcess(
            workdir=tmp_path / (name or pki.country),
            pki=pki,
            partners=partners,
            limits=limits or {},
            delivery=delivery or {},
            processes=processes,
        )
        node.write_config()
        made.append(node)
        return node

    yield make
    for node in made:
        node.kill()


@pytest.fixture
def xb_node(
    node_factory: NodeFactory, xa: CountryPki, xb: CountryPki, xc: CountryPki
) -> Iterator[NodeProcess]:
    """A running XB node trusting XA and XC."""
    node = node_factory(xb, partners=[Partner(pki=xa), Partner(pki=xc)])
    node.start()
    yield node
    node.kill()
