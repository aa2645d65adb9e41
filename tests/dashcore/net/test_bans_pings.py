"""Bans kept in banlist.json across restarts, preciousblock between two tips, pings timed by mock time,
and Dash's texts for header errors (the functional framework waits for them in debug.log)."""

from __future__ import annotations

import json
import os
import struct
import time

from dashcore.node.net import protocol as p

from ..framework import assert_raises_rpc_error, wait_until
from .conftest import connect, disconnect, peers_of, sync_blocks

ADDR = "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf"


def _debug_log(node) -> str:
    with open(os.path.join(node.net_dir, "debug.log"), errors="replace") as f:
        return f.read()


def test_bans_are_ordered_expire_on_mock_time_and_survive_a_restart(make_node):
    n0, n1 = make_node("-disablewallet"), make_node("-disablewallet")
    connect(n1, n0)
    n0.rpc.setban("127.0.0.1", "add")
    assert wait_until(lambda: not peers_of(n0, n1))
    n0.rpc.clearbanned()
    now = int(time.time())
    n0.rpc.setmocktime(now)
    n0.rpc.setban("127.0.0.0/32", "add")
    n0.rpc.setban("127.0.0.0/24", "add")
    n0.rpc.setban("192.168.0.1", "add", 1)
    n0.rpc.setban("2001:4d48:ac57:400:cacf:e9ff:fe1d:9c63/19", "add", 1000)
    n0.rpc.setban("192.168.0.2", "add", now + 120, True)
    assert_raises_rpc_error(-23, "IP/Subnet already banned", n0.rpc.setban, "127.0.0.1", "add")
    assert_raises_rpc_error(-30, "Error: Invalid IP/Subnet", n0.rpc.setban, "127.0.0.1/42", "add")
    assert_raises_rpc_error(-8, "Error: Absolute timestamp is in the past", n0.rpc.setban, "10.0.0.1", "add", 123,
                            True)
    assert_raises_rpc_error(-30, "Error: Unban failed", n0.rpc.setban, "10.0.0.1", "remove")
    assert [b["address"] for b in n0.rpc.listbanned()] == [
        "127.0.0.0/24", "127.0.0.0/32", "192.168.0.1/32", "192.168.0.2/32", "2001:4000::/19"]
    n0.rpc.setmocktime(now + 3)
    bans = {b["address"]: b for b in n0.rpc.listbanned()}
    assert "192.168.0.1/32" not in bans
    assert bans["127.0.0.0/24"]["ban_duration"] == 86400 and bans["127.0.0.0/24"]["time_remaining"] == 86397
    assert bans["192.168.0.2/32"]["ban_duration"] == 120 and bans["192.168.0.2/32"]["time_remaining"] == 117

    n0.stop()
    with open(os.path.join(n0.net_dir, "banlist.json")) as f:
        assert len(json.load(f)["banned_nets"]) == 4
    n0.start()
    assert [b["address"] for b in n0.rpc.listbanned()] == [
        "127.0.0.0/24", "127.0.0.0/32", "192.168.0.2/32", "2001:4000::/19"]
    n0.stop()
    os.remove(os.path.join(n0.net_dir, "banlist.json"))
    n0.start()
    assert "Recreating the banlist database" in _debug_log(n0)
    assert n0.rpc.listbanned() == [] and os.path.exists(os.path.join(n0.net_dir, "banlist.json"))


def test_preciousblock_switches_between_tips_of_equal_work(make_node):
    n0, n1 = make_node("-disablewallet"), make_node("-disablewallet")
    c = n0.rpc.generatetoaddress(3, ADDR)[-1]
    g = n1.rpc.generatetoaddress(3, "yfTFJgvq65UZsb9RBbpdYAAzsJoCGXqH2w")[-1]  # not the blocks of n0
    for height in (1, 2, 3):  # as Dash's test does: equal work is not downloaded, so hand the blocks over
        n0.rpc.submitblock(n1.rpc.getblock(n1.rpc.getblockhash(height), 0))
    connect(n1, n0)
    assert len(n0.rpc.getchaintips()) == 2
    assert n0.rpc.getbestblockhash() == c and n1.rpc.getbestblockhash() == g
    n0.rpc.preciousblock(g)
    assert n0.rpc.getbestblockhash() == g
    n0.rpc.preciousblock(c)
    assert n0.rpc.getbestblockhash() == c
    assert_raises_rpc_error(-5, "Block not found", n0.rpc.preciousblock, "00" * 32)
    h = n1.rpc.generatetoaddress(1, ADDR)[0]
    sync_blocks([n0, n1])
    n0.rpc.preciousblock(c)  # less work than the tip now: nothing happens
    assert n0.rpc.getbestblockhash() == h
    disconnect(n1, n0)


def test_pings_are_timed_by_mock_time_and_odd_pongs_logged(make_node, raw_peers):
    n0 = make_node("-disablewallet", "-peertimeout=1", "-debug=net")
    now = int(time.time())
    n0.rpc.setmocktime(now)
    peer = raw_peers(n0)
    peer.handshake()
    first = peer.wait_for("ping")
    n0.rpc.setmocktime(now + 3)
    [info] = n0.rpc.getpeerinfo()
    assert info["pingwait"] == 3 and "pingtime" not in info
    peer.send_raw(p.frame("pong", b""))  # short: cancels the ping
    peer.sync_with_ping()
    assert "pingwait" not in n0.rpc.getpeerinfo()[0]
    peer.send(p.Pong(first.nonce))  # no ping outstanding now
    peer.sync_with_ping()
    n0.rpc.setmocktime(now + 200)  # past the ping interval: a new ping
    second = peer.wait_for("ping", pred=lambda m: m.nonce != first.nonce)
    n0.rpc.setmocktime(now + 229)
    peer.send(p.Pong(second.nonce))
    peer.sync_with_ping()
    [info] = n0.rpc.getpeerinfo()
    assert info["pingtime"] == 29 and info["minping"] == 29 and "pingwait" not in info
    log = _debug_log(n0)
    assert "pong peer=0: Short payload" in log and "pong peer=0: Unsolicited pong without ping, 0 expected" in log


def test_header_errors_are_logged_as_dash_logs_them(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    peer = raw_peers(n0)
    peer.handshake()
    wire = bytearray(p.frame("badmsg", b"\x01d"))
    wire[20:24] = b"\xff" * 4
    peer.send_raw(bytes(wire))
    bad_type = bytearray(p.frame("badmsg", b"\x01d"))
    bad_type[7] = 0
    peer.send_raw(bytes(bad_type))
    peer.sync_with_ping()
    assert n0.rpc.getpeerinfo()[0]["bytesrecv_per_msg"]["*other*"] == 52
    big = raw_peers(n0)
    big.handshake()
    big.send_raw(p.MAGIC + b"badmsg".ljust(12, b"\0") + struct.pack("<I", p.MAX_MESSAGE_SIZE + 1) + b"\0" * 4)
    assert big.wait_for_disconnect()
    log = _debug_log(n0)
    expected = p.checksum(b"\x01d").hex()
    assert f"Header error: Wrong checksum (badmsg, 2 bytes), expected {expected} was ffffffff" in log
    assert "Header error: Invalid message type (bad, 2 bytes)" in log
    assert "Header error: Size too large (badmsg, 3145729 bytes)" in log
