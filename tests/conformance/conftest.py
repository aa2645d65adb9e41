"""Fixtures of the conformance tests: pycapnp peer processes (always cleaned up) and
mpipc connections to them, over a socketpair or a unix socket."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

import pytest


from .peer import Peer, PycapnpClient, close_and_check, connect_to_pycapnp
from .support import C, call, wait_until

TRANSPORTS = ("socketpair", "unix")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


def check_clean(conn) -> None:
    """After a test that passed: every question finished, every import released, every
    export released by the peer, and no Obj left alive in the pycapnp server."""
    gc.collect()
    engine = conn.engine
    assert wait_until(lambda: len(engine.questions) == 0, 2), f"questions never finished: {engine.questions.entries}"
    boot = conn.bootstrap()
    assert call(conn, boot, C["liveObjs"]).count == 0, "pycapnp's Obj still alive: a Release was not sent"
    del boot
    gc.collect()
    assert wait_until(lambda: not engine.imports and len(engine.questions) == 0, 2), \
        f"imports never released: {engine.imports}, questions: {engine.questions.entries}"
    assert wait_until(lambda: len(engine.exports) == 0, 2), f"exports never released: {engine.exports.entries}"


@pytest.fixture(scope="session")
def sock_dir():
    # Short, so unix socket paths stay under the 108-byte limit.
    path = tempfile.mkdtemp(prefix="mpipc-conf-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def server_peer():
    """One pycapnp process serving a fresh Conf on each connection it is given."""
    peer = Peer("pycapnp-server")
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture(scope="session")
def server_path(server_peer, sock_dir):
    path = os.path.join(sock_dir, "capnp-server.sock")
    server_peer.request({"op": "listen", "path": path})
    return path


@pytest.fixture(scope="session")
def client_peer():
    """One pycapnp process running client scenarios on the connections it is given."""
    peer = Peer("pycapnp-client")
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture(params=TRANSPORTS)
def transport(request):
    return request.param


@pytest.fixture
def mpipc_client(request, transport, server_peer, sock_dir):
    """An mpipc Connection (client) to a fresh pycapnp Conf server; closed after the test."""
    path = request.getfixturevalue("server_path") if transport == "unix" else None
    conn = connect_to_pycapnp(server_peer, transport, path, f"mpipc-client-{transport}")
    try:
        yield conn
        report = getattr(request.node, "report_call", None)
        if report is not None and report.passed and conn.alive:
            check_clean(conn)
    finally:
        close_and_check(conn)


@pytest.fixture
def pycapnp_client(transport, client_peer, sock_dir):
    runner = PycapnpClient(client_peer, transport, sock_dir)
    try:
        yield runner
    finally:
        runner.close()


@pytest.fixture
def own_peer():
    """A pycapnp process of this test alone (to be killed); always killed at the end."""
    peers: list = []

    def make(name="pycapnp-own"):
        peer = Peer(name)
        peers.append(peer)
        return peer
    try:
        yield make
    finally:
        for peer in peers:
            peer.kill()
            peer.close()
