"""Fixtures of the P2P suite: real node processes on free ports (always stopped or killed), a raw P2P client."""

from __future__ import annotations

import os
import socket
import time

import pytest

from dashcore.node.net import protocol as p

from ..framework import NODE_EXECUTABLES, Node, wait_until


@pytest.fixture(params=NODE_EXECUTABLES)
def make_node(request):
    """``make_node(*args)``: a started node of the executable under test; all are cleaned up."""
    made: list[Node] = []

    def make(*extra: str, start: bool = True) -> Node:
        n = Node(request.param, extra_args=[f"-uacomment=testnode{len(made)}", *extra])
        made.append(n)
        if start:
            n.start()
        return n

    try:
        yield make
    finally:
        for n in made:
            n.cleanup()


def peers_of(node: Node, other: Node) -> list[dict]:
    tag = f"({other.extra_args[0].split('=', 1)[1]})/"
    return [q for q in node.rpc.getpeerinfo() if q["subver"].endswith(tag)]


def connect(a: Node, b: Node, timeout: float = 15) -> None:
    """As Dash's framework's connect_nodes: a opens a connection to b; wait for the handshake and a ping each way."""
    a.rpc.addnode(f"127.0.0.1:{b.p2p_port}", "onetry")

    def ready() -> bool:
        ab, ba = peers_of(a, b), peers_of(b, a)
        return (len(ab) == 1 and len(ba) == 1 and not ab[0]["inbound"] and ba[0]["inbound"]
                and ab[0]["bytesrecv_per_msg"].get("pong", 0) >= 29 and ba[0]["bytesrecv_per_msg"].get("pong", 0) >= 29)
    assert wait_until(ready, timeout), (a.rpc.getpeerinfo(), b.rpc.getpeerinfo())


def disconnect(a: Node, b: Node) -> None:
    for q in peers_of(a, b):
        a.rpc.disconnectnode(nodeid=q["id"])
    assert wait_until(lambda: not peers_of(a, b) and not peers_of(b, a))


def sync_blocks(nodes: list[Node], timeout: float = 30) -> None:
    assert wait_until(lambda: len({n.rpc.getbestblockhash() for n in nodes}) == 1, timeout), \
        [n.rpc.getblockcount() for n in nodes]


class RawPeer:
    """A P2P peer written with the codec alone: for peers that misbehave, stall or say nothing."""

    def __init__(self, node: Node, port: int | None = None):
        self.sock = socket.create_connection(("127.0.0.1", port or node.p2p_port), timeout=10)
        self.reader = p.MessageReader()
        self.received: list[p.RawMessage] = []

    def send(self, msg: p.Message) -> None:
        self.sock.sendall(msg.to_bytes())

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def handshake(self, start_height: int = 0) -> None:
        self.send(p.Version(p.PROTOCOL_VERSION, p.NODE_NETWORK, int(time.time()), p.NetAddress(), p.NetAddress(),
                            int.from_bytes(os.urandom(8), "little"), "/raw-peer:0.1/", start_height, True))
        self.wait_for("version")
        self.wait_for("verack")
        self.send(p.Verack())

    def read_some(self, timeout: float) -> bool:
        """Read what arrives within ``timeout``; False once the node has closed the connection."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return True
        except ConnectionResetError:
            return False
        if not data:
            return False
        self.received.extend(self.reader.feed(data))
        return True

    def wait_for(self, command: str, timeout: float = 10, pred=None) -> p.Message:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for raw in self.received[seen:]:
                if raw.command == command:
                    msg = p.decode(raw)
                    if pred is None or pred(msg):
                        return msg
            seen = len(self.received)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {command} in {timeout}s; got {[m.command for m in self.received]}")
            if not self.read_some(min(remaining, 0.5)):
                raise AssertionError(f"disconnected while waiting for {command}")

    def sync_with_ping(self, timeout: float = 10) -> None:
        nonce = int.from_bytes(os.urandom(8), "little")
        self.send(p.Ping(nonce))
        self.wait_for("pong", timeout, lambda m: m.nonce == nonce)

    def wait_for_disconnect(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.read_some(0.2):
                return True
        return False

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_peers():
    """``raw_peers(node)`` connects a RawPeer; every one is closed at the end."""
    made: list[RawPeer] = []

    def make(node: Node, port: int | None = None) -> RawPeer:
        r = RawPeer(node, port)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()
