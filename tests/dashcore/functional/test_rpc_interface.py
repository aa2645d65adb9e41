"""The RPC server of both executables: getrpcinfo, calls that wait for blocks, shutdown while
they wait, -rpcauth and -rpcwhitelist, and start-up errors of the HTTP server."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
import time

import pytest

from ..framework import RPCClient, assert_raises_rpc_error, wait_until

START_ERROR = "Error: Unable to start HTTP server. See debug log for details."


def _client(node) -> RPCClient:
    """A connection of its own (the node's client is one keep-alive connection)."""
    with open(os.path.join(node.net_dir, ".cookie")) as f:
        user, password = f.read().split(":")
    return RPCClient(f"http://{user}:{password}@127.0.0.1:{node.rpc_port}")


def test_getrpcinfo(node):
    info = node.rpc.getrpcinfo()
    assert info["logpath"] == os.path.join(node.net_dir, "debug.log")
    [command] = info["active_commands"]
    assert command["method"] == "getrpcinfo" and command["duration"] >= 0


def test_wait_for_blocks(node):
    rpc = node.rpc
    tip = {"hash": rpc.getbestblockhash(), "height": rpc.getblockcount()}
    assert rpc.waitfornewblock(50) == tip
    assert rpc.waitforblockheight(tip["height"] + 1, 50) == tip
    assert rpc.waitforblock(tip["hash"]) == tip
    assert_raises_rpc_error(-8, "blockhash must be of length 64", rpc.waitforblock, "00")
    woken = []
    rpc2 = _client(node)
    waiter = threading.Thread(target=lambda: woken.append(rpc2.waitfornewblock()))
    waiter.start()
    assert wait_until(lambda: len(rpc.getrpcinfo()["active_commands"]) == 2)
    [new] = rpc.generatetoaddress(1, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    waiter.join(10)
    rpc2.close()
    assert woken == [{"hash": new, "height": tip["height"] + 1}]


def test_stop_lets_a_waiting_call_return(fresh_node):
    node = fresh_node
    node.start()
    genesis = node.rpc.getbestblockhash()
    rpc2 = _client(node)
    rpc2.getblockcount()
    woken = []
    waiter = threading.Thread(target=lambda: woken.append(rpc2.waitfornewblock()))
    waiter.start()
    assert wait_until(lambda: len(node.rpc.getrpcinfo()["active_commands"]) == 2)
    assert node.rpc.stop(wait=300) == "Dash Core server stopping"
    waiter.join(10)
    assert woken == [{"hash": genesis, "height": 0}]
    assert node.process.wait(30) == 0 and node.stderr() == ""
    node.process = None


def test_rpcauth_and_whitelist(fresh_node):
    node = fresh_node
    with open(os.path.join(node.datadir, "dash.conf"), "a") as f:
        # user rt, password below (Bitcoin's rpc_users.py); rt may call getblockcount only
        f.write("rpcauth=rt:93648e835a54c573682c2eb19f882535$"
                "7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144\n"
                "rpcwhitelist=rt:getblockcount\nrpcwhitelist=__cookie__:getblockcount,stop,getrpcinfo\n")
    node.start(["-rpcexternaluser=rt"])
    rt = "Basic " + base64.b64encode(b"rt:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=").decode()
    status, _, data = node.rpc.post(b'{"method":"getblockcount","id":1}', auth=rt)
    assert status == 200 and b'"result":0' in data
    assert node.rpc.post(b'{"method":"getbestblockhash","id":1}', auth=rt)[0] == 403
    assert node.rpc.post(b'{"method":"getbestblockhash","id":1}')[0] == 403
    node.stop()
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        # rt is an -rpcexternaluser: its calls go through the external queue, the cookie user's do not
        assert f.read().count("HTTP: Calling handler for external user") == 2


@pytest.mark.parametrize("extra", [["-rpcauth=foo"], ["-rpcauth=foo:bar"], ["-rpcauth=foo$bar$baz"]])
def test_bad_rpcauth_is_an_init_error(fresh_node, extra):
    _assert_init_error(fresh_node, extra)


def test_unwritable_cookie_is_an_init_error(fresh_node):
    os.makedirs(os.path.join(fresh_node.net_dir, ".cookie.tmp"))
    _assert_init_error(fresh_node, [])


def test_bad_rpcallowip_is_an_init_error(fresh_node):
    _assert_init_error(fresh_node, ["-rpcallowip=1.2.3.4/40"],
                       "Error: Invalid -rpcallowip subnet specification: 1.2.3.4/40. Valid are a single IP (e.g. "
                       "1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0) or a network/CIDR (e.g. "
                       "1.2.3.4/24).\n" + START_ERROR)


def _assert_init_error(node, extra, message=START_ERROR):
    proc = subprocess.run(node.args(extra), capture_output=True, text=True, timeout=60, cwd=node.datadir)
    assert proc.returncode == 1 and proc.stderr.strip() == message, proc.stderr
    assert not os.path.exists(os.path.join(node.net_dir, ".cookie"))


def test_work_queue_is_configurable(fresh_node):
    node = fresh_node
    node.start(["-rpcthreads=1", "-rpcworkqueue=1"])
    statuses = []

    def post(body):
        client = _client(node)
        statuses.append(client.post(body)[0])
        client.close()
    # one call runs (three seconds), one waits: then the next is refused with HTTP 503
    calls = [threading.Thread(target=post, args=(b'{"method":"waitfornewblock","params":[3000],"id":1}',))]
    calls[0].start()
    while 503 not in statuses and calls[0].is_alive():
        calls.append(threading.Thread(target=post, args=(b'{"method":"getblockcount","id":1}',)))
        calls[-1].start()
        time.sleep(0.2)
    for t in calls:
        t.join(10)
    assert 503 in statuses and 200 in statuses
    node.stop()
