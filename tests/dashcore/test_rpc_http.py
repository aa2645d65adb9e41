"""The HTTP side of the RPC server, on a real socket with a small command table: routing,
auth, -rpcauth and -rpcwhitelist, keep-alive and Connection: close, limits, the work queue."""

from __future__ import annotations

import base64
import http.client
import threading

import pytest

from dashcore.interfaces import RpcCommand, RpcReply
from dashcore.rpc.http import (HttpRpcServer, HttpStartError, RpcAuth, WorkQueue, _client_allowed, allowed_networks,
                               bind_addresses, parse_rpcauth, split_host_port)
from dashcore.rpc.server import RpcTable

from .framework import free_port, wait_until

# rpcauth=rt:... of Bitcoin's rpc_users.py: the password is below
RT = "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
RT_PASSWORD = "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="


def _auth(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def served():
    table = RpcTable()
    release = threading.Event()
    table.register(RpcCommand("test", "ping", [], "", lambda req: RpcReply('"pong"')))
    table.register(RpcCommand("test", "block", [], "", lambda req: (release.wait(10), RpcReply("1"))[1]))
    table.set_ready()
    auth = RpcAuth("alice", "secret", [RT], whitelist=["rt:ping"], whitelist_default=False)
    port = free_port()
    server = HttpRpcServer(table, auth, [("127.0.0.1", port)], threads=1, queue_depth=1)
    server.start()
    try:
        yield port, release, server
    finally:
        release.set()
        server.stop()


def _request(port, method="POST", path="/", body=b'{"method":"ping","id":1}', headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body, {**_auth("alice", "secret"), **(headers or {})})
    response = conn.getresponse()
    return conn, response, response.read()


def test_routing_and_methods(served):
    port, _, _ = served
    assert _request(port)[1].status == 200
    assert _request(port, path="/wallet/w1")[1].status == 200
    assert _request(port, path="/other")[1].status == 404
    _, response, data = _request(port, method="GET")
    assert response.status == 405 and data == b"JSONRPC server handles only POST requests"
    # a request line and headers over 8 kB is a bad request, below is just not found
    assert _request(port, method="GET", path="/" + "x" * 1000, body=b"")[1].status == 404
    assert _request(port, method="GET", path="/" + "x" * 10000, body=b"")[1].status == 400


def test_keep_alive_unless_asked_to_close(served):
    port, _, _ = served
    conn, response, data = _request(port)
    assert b'"error":null' in data and conn.sock is not None
    conn.request("POST", "/", b'{"method":"ping","id":2}', _auth("alice", "secret"))
    assert conn.getresponse().read().endswith(b'"id":2}\n') and conn.sock is not None
    conn, response, _ = _request(port, headers={"Connection": "close"})
    assert response.getheader("Connection") == "close" and conn.sock is None


def test_auth_and_whitelist(served):
    port, _, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/", b'{"method":"ping","id":1}')
    response = conn.getresponse()
    assert response.status == 401 and response.getheader("WWW-Authenticate") == 'Basic realm="jsonrpc"'
    response.read()
    assert _request(port, headers=_auth("alice", "wrong"))[1].status == 401
    assert _request(port, headers=_auth("rt", RT_PASSWORD))[1].status == 200
    assert _request(port, headers=_auth("rt", RT_PASSWORD + "x"))[1].status == 401
    # rt may call ping only; alice has no list and the default is to allow
    assert _request(port, body=b'{"method":"block","id":1}', headers=_auth("rt", RT_PASSWORD))[1].status == 403


def test_rpcauth_and_whitelist_options():
    assert parse_rpcauth("u:salt$hash") == ("u", "salt", "hash")
    for bad in ("foo", "foo:bar", "foo:bar:baz", "foo$bar:baz", "foo$bar$baz"):
        with pytest.raises(ValueError, match="Invalid -rpcauth"):
            parse_rpcauth(bad)
    # a user listed twice keeps what both lists allow; any list makes "no list" mean "nothing"
    auth = RpcAuth("a", "b", whitelist=["u:getblockcount, getbestblockhash", "u:getblockcount", "v"])
    assert auth.permit_for("u")("getblockcount", []) and not auth.permit_for("u")("getbestblockhash", [])
    assert not auth.permit_for("v")("getblockcount", [])
    assert auth.permit_for("nobody") is False
    assert RpcAuth("a", "b").permit_for("a") is None


def test_work_queue_refuses_when_full(served):
    port, release, server = served
    results = []

    def call_block():
        results.append(_request(port, body=b'{"method":"block","id":1}')[1].status)
    threads = [threading.Thread(target=call_block) for _ in range(2)]
    for t, load in zip(threads, [(1, 0), (1, 1)]):
        t.start()
        assert wait_until(lambda: server.queue.load == load)
    # one runs (-rpcthreads=1) and one waits (-rpcworkqueue=1): a third is refused
    _, response, data = _request(port)
    assert response.status == 503 and data == b"Work queue depth exceeded"
    release.set()
    for t in threads:
        t.join(10)
    assert results == [200, 200]


def test_external_users_wait_behind_the_others():
    q = WorkQueue(threads=1, depth=1, external_depth=1)
    assert q.enter()
    order = []

    def turn(name, external):
        assert q.enter(external)
        order.append(name)
        q.leave()
    external = threading.Thread(target=turn, args=("external", True))
    external.start()
    assert wait_until(lambda: q.load == (1, 1))
    internal = threading.Thread(target=turn, args=("internal", False))
    internal.start()
    assert wait_until(lambda: q.load == (1, 2))
    # each kind has its own depth
    assert not q.enter(True) and not q.enter(False)
    q.leave()
    external.join(5)
    internal.join(5)
    assert order == ["internal", "external"]
    assert RpcAuth(external_users=["ext"]).is_external(_auth("ext", "any")["Authorization"])
    assert not RpcAuth(external_users=["ext"]).is_external(_auth("other", "x")["Authorization"])


class _Args:
    def __init__(self, **lists):
        self._lists = lists

    def get_list(self, name):
        return self._lists.get(name, [])

    def is_set(self, name):
        return bool(self._lists.get(name))


def test_bind_addresses_and_allowed_clients():
    assert bind_addresses(_Args(), 5) == [("::1", 5), ("127.0.0.1", 5)]
    assert bind_addresses(_Args(rpcbind=["1.2.3.4"]), 5) == [("::1", 5), ("127.0.0.1", 5)]  # needs -rpcallowip
    assert bind_addresses(_Args(rpcallowip=["1.2.3.4"], rpcbind=["1.2.3.4:7", "[::1]:8", "[::1]", "::1"]), 5) == \
        [("1.2.3.4", 7), ("::1", 8), ("::1", 5), ("::1", 5)]
    assert split_host_port("host:x", 5) == ("host", 5)
    networks = allowed_networks(_Args(rpcallowip=["10.0.0.0/255.0.0.0", "192.168.1.7", "fe80::/10"]))
    for host, allowed in (("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("::ffff:10.1.2.3", True),
                          ("10.200.0.1", True), ("192.168.1.7", True), ("192.168.1.8", False), ("fe80::1", True),
                          ("1.1.1.1", False), ("not an address", False)):
        assert _client_allowed(networks, host) is allowed, host
    with pytest.raises(HttpStartError, match="Invalid -rpcallowip subnet specification: 1.2.3.4/40"):
        allowed_networks(_Args(rpcallowip=["1.2.3.4/40"]))


def test_clients_outside_the_allowed_networks_are_refused():
    table = RpcTable()
    table.set_ready()
    port = free_port()
    # an address that cannot be bound is skipped, as long as one can
    server = HttpRpcServer(table, RpcAuth("a", "b"), [("192.0.2.1", port), ("127.0.0.1", port)], allowed=[])
    server.start()
    try:
        assert server.bound == [("127.0.0.1", port)]
        _, response, data = _request(port)
        assert response.status == 403 and data == b""
    finally:
        server.stop()
    with pytest.raises(OSError):
        HttpRpcServer(table, RpcAuth("a", "b"), [("192.0.2.1", port)])
