"""Fixtures of the protocol-core tests: one generated test PKI per session."""

from __future__ import annotations

import pytest
from core_testlib import World, make_world


@pytest.fixture(scope="session")
def world() -> World:
    """XA, XB (ECDSA P-256) and XC (Ed25519 signers) test countries."""
    return make_world()
