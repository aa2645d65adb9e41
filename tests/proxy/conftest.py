"""Fixtures of the proxy tests: the test schema's classes and a child process serving them."""

from __future__ import annotations

import pytest

from mpipc import proxy

from .support import SCHEMA, Child


@pytest.fixture(scope="session")
def m():
    """The test schema's classes, made at run time."""
    return proxy.load(SCHEMA)


@pytest.fixture(scope="module")
def child():
    """One child process per test module, serving the test schema's Init."""
    c = Child()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def init(m, child):
    client = m.InitClient(child.connection)
    yield client
    client.close()


@pytest.fixture
def store(init):
    s = init.make_store()
    yield s
    s.close()
