"""Fixtures of the proxy tests: the test schema's classes and a child process serving them."""

from __future__ import annotations

import gc
import os
import socket
import sys

import pytest

from mpipc import proxy
from mpipc.transport import Connection

from .support import SCHEMA, Child

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from impl import implementations  # noqa: E402


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


@pytest.fixture
def local(m):
    """A Connection pair in this process: (client connection, server connection, impl state)."""
    init_impl, _, _, state = implementations(m)
    a, b = socket.socketpair()
    server = Connection(b, bootstrap=init_impl(), name="local-server")
    client = Connection(a, name="local-client")
    yield client, server, state
    client.close()
    server.close()
    gc.collect()
