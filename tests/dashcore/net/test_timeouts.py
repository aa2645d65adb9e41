"""Dash's inactivity check on the node's mock clock: peers that never finish the handshake are dropped, with
Dash's log lines, once -peertimeout has passed; -peertimeout must be positive."""

from __future__ import annotations

import os
import socket
import time

import pytest

from dashcore.node.net import protocol as p

from ..framework import wait_until


def _debug_log(node) -> str:
    with open(os.path.join(node.net_dir, "debug.log"), errors="replace") as f:
        return f.read()


def test_handshake_timeouts_follow_mock_time(make_node, raw_peers):
    n0 = make_node("-disablewallet", "-peertimeout=3", "-debug=net")
    now = int(time.time())
    n0.rpc.setmocktime(now)
    no_verack = raw_peers(n0)
    no_verack.send(p.Version(p.PROTOCOL_VERSION, p.NODE_NETWORK, now, p.NetAddress(), p.NetAddress(), 7,
                             "/raw-peer:0.1/", 0, True))
    no_verack.wait_for("verack")
    no_version = raw_peers(n0)
    no_version.send(p.Ping(1))
    silent = socket.create_connection(("127.0.0.1", n0.p2p_port))
    try:
        assert wait_until(lambda: len(n0.rpc.getpeerinfo()) == 3)
        assert wait_until(lambda: "non-version message before version handshake" in _debug_log(n0))
        n0.rpc.setmocktime(now + 3)  # not yet: the check starts once connected + timeout < now
        time.sleep(0.6)
        assert len(n0.rpc.getpeerinfo()) == 3
        n0.rpc.setmocktime(now + 8)
        assert no_verack.wait_for_disconnect(5) and no_version.wait_for_disconnect(5)
        silent.settimeout(5)
        assert silent.recv(1) == b""
    finally:
        silent.close()
    log = _debug_log(n0)
    ids = sorted(int(line.rsplit("peer=", 1)[1]) for line in log.splitlines() if "Added connection peer=" in line)
    assert f"version handshake timeout peer={ids[0]}" in log
    assert f"socket no message in first 3 seconds, 1 0 peer={ids[1]}" in log
    assert f"socket no message in first 3 seconds, 0 0 peer={ids[2]}" in log
    n0.stop()
    with pytest.raises(AssertionError, match="Error: peertimeout must be a positive integer."):
        n0.start(["-peertimeout=0"])
