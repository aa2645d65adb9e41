"""Fixtures of the functional suite: real node processes (always stopped or killed, data removed)."""

from __future__ import annotations

import pytest

from ..framework import NODE_EXECUTABLES, Node


@pytest.fixture(scope="module", params=NODE_EXECUTABLES)
def node(request):
    """One running node shared by a module's tests (each test makes its own wallets)."""
    n = Node(request.param)
    try:
        n.start()
        yield n
        n.stop()
    finally:
        n.cleanup()


@pytest.fixture(params=NODE_EXECUTABLES)
def fresh_node(request):
    """A node of its own, not started: for restart and crash tests."""
    n = Node(request.param)
    try:
        yield n
    finally:
        n.cleanup()
