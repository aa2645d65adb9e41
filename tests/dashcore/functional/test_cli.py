"""dash-cli against both executables: named arguments, credentials from stdin or a cookie file,
-getinfo, -generate, -rpcwait, and its error texts."""

from __future__ import annotations

import json
import os
import subprocess
import time
from decimal import Decimal

from ..framework import BIN_DIR


def cli(node, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(BIN_DIR, "dash-cli"), f"-datadir={node.datadir}", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def _cookie(node) -> tuple[str, str]:
    with open(os.path.join(node.net_dir, ".cookie")) as f:
        user, password = f.read().split(":")
    return user, password


def test_named_arguments(node):
    r = cli(node, "-named", "echo", "0", "1", "arg3=3", "arg5=5")
    assert json.loads(r.stdout) == ["0", "1", None, "3", None, "5"]
    r = cli(node, "-named", "echo", "arg0=0", "arg1=1", "arg2=2", "arg1=3")
    assert json.loads(r.stdout) == ["0", "3", "2"]
    r = cli(node, "-named", "echo", "args=[0,1,2,3]", "4")
    assert r.returncode == 8 and r.stderr == "error code: -8\nerror message:\nParameter args specified multiple times\n"
    r = cli(node, "-named", "echo", "0", "1", "arg1=1")
    assert "Parameter arg1 specified twice both as positional and named argument" in r.stderr


def test_credentials(node):
    user, password = _cookie(node)
    r = cli(node, f"-rpcuser={user}", "-stdinrpcpass", "getblockcount", stdin=password)
    assert r.returncode == 0 and int(r.stdout) == node.rpc.getblockcount()
    r = cli(node, f"-rpcuser={user}", "-stdinrpcpass", "echo", stdin="foo")
    assert r.returncode == 1 and r.stderr == "error: Authorization failed: Incorrect rpcuser or rpcpassword\n"
    r = cli(node, f"-rpcuser={user}", "-stdin", "-stdinrpcpass", "echo", stdin=f"{password}\nfoo\nbar")
    assert json.loads(r.stdout) == ["foo", "bar"]
    r = cli(node, "-rpccookiefile=does-not-exist", "-rpcpassword=", "echo")
    assert r.returncode == 1 and r.stderr.startswith("error: Could not locate RPC credentials.")
    r = cli(node, "-rpcport=1", "echo")
    assert r.returncode == 1 and "Could not connect to the server 127.0.0.1:1" in r.stderr


def test_getinfo(node):
    r = cli(node, "-getinfo", "help")
    assert r.returncode == 1 and r.stderr == "error: -getinfo takes no arguments\n"
    assert "\x1b[0m" not in cli(node, "-getinfo", "-color=never").stdout
    assert "\x1b[0m" in cli(node, "-getinfo", "-color=always").stdout
    r = cli(node, "-getinfo", "-color=foo")
    assert r.stderr == "error: Invalid value for -color option. Valid values: always, auto, never.\n"
    lines = dict(line.split(": ", 1) for line in cli(node, "-getinfo").stdout.splitlines() if ": " in line)
    chain = node.rpc.getblockchaininfo()
    network = node.rpc.getnetworkinfo()
    assert lines["Chain"] == "regtest" and int(lines["Blocks"]) == chain["blocks"]
    assert int(lines["Version"]) == network["version"] and Decimal(lines["Difficulty"]) == chain["difficulty"]
    assert lines["Verification progress"] == "%.4f%%" % (chain["verificationprogress"] * 100)
    assert lines["Network"] == (f"in {network['connections_in']}, out {network['connections_out']}, total "
                                f"{network['connections']}, mn_in {network['connections_mn_in']}, mn_out "
                                f"{network['connections_mn_out']}, mn_total {network['connections_mn']}")
    node.rpc.createwallet("gi1")
    node.rpc.createwallet("gi2")
    text = cli(node, "-getinfo", "-rpcwallet=gi1").stdout
    assert "Wallet: gi1" in text and "Balance: 0" in text and "Balances" not in text
    assert "Balance" not in cli(node, "-getinfo", "-rpcwallet=does-not-exist").stdout
    text = cli(node, "-getinfo").stdout
    balances = text.split("Balances\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert {line.split()[1] for line in balances} >= {"gi1", "gi2"}


def test_generate(node):
    node.rpc.createwallet("gen")
    blocks = node.rpc.getblockcount()
    r = cli(node, "-rpcwallet=gen", "-generate", "2")
    out = json.loads(r.stdout)
    assert set(out) == {"address", "blocks"} and len(out["blocks"]) == 2
    assert node.rpc.getblockcount() == blocks + 2
    assert cli(node, "-rpcwallet=gen", "-generate", "foo").stderr == "error: Error parsing JSON: foo\n"
    assert "must be an integer value greater than zero" in cli(node, "-rpcwallet=gen", "-generate", "0").stderr
    r = cli(node, "-rpcwallet=gen", "-generate", "1", "2", "3")
    assert r.stderr == "error: too many arguments (maximum 2 for nblocks and maxtries)\n"
    r = cli(node, "-rpcwallet=nope", "-generate")
    assert r.returncode == 18 and "Requested wallet does not exist or is not loaded" in r.stderr
    node.rpc.createwallet("gen2")
    r = cli(node, "-generate")  # several wallets loaded
    assert r.returncode == 19 and r.stderr.endswith(
        'Wallet file not specified (must request wallet RPC through /wallet/<filename> uri-path).\n'
        'Try adding "-rpcwallet=<filename>" option to dash-cli command line.\n')


def test_rpcwait(fresh_node):
    node = fresh_node
    node.start()
    node.stop()
    start = time.monotonic()
    r = cli(node, "-rpcwait", "-rpcwaittimeout=2", "echo")
    assert r.returncode == 1 and "Could not connect to the server" in r.stderr
    assert time.monotonic() - start >= 2
    proc = subprocess.Popen([os.path.join(BIN_DIR, node.executable), f"-datadir={node.datadir}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = cli(node, "-rpcwait", "getblockcount")
        assert r.returncode == 0 and r.stdout == "0\n"
        assert cli(node, "stop").stdout == "Dash Core server stopping\n"
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
