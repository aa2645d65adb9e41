"""dashd's command line and config file, and dash-cli against a running node."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from ..framework import BIN_DIR, NODE_EXECUTABLES


def run(argv: list[str], stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(BIN_DIR, argv[0]), *argv[1:]], input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def cli(node, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run(["dash-cli", f"-datadir={node.datadir}", *args], stdin)


def test_dash_cli(node):
    r = cli(node, "getblockcount")
    assert r.returncode == 0 and r.stdout.strip() == str(node.rpc.getblockcount()) and r.stderr == ""
    r = cli(node, "getblockhash", "0")
    assert r.stdout.strip() == "000008ca1832a4baf228eb1553c03d3a2c8e02399550dd6ea8d65cec3ef23d2e"
    r = cli(node, "-named", "echo", "arg1=x", "arg2={\"a\":1}")
    assert json.loads(r.stdout) == [None, "x", "{\"a\":1}"]
    r = cli(node, "-named", "getblockheader", "blockhash=000008ca1832a4baf228eb1553c03d3a2c8e02399550dd6ea8d65cec3ef23d2e",
            "verbose=false")
    assert r.returncode == 0 and len(r.stdout.strip()) == 160
    assert json.loads(cli(node, "createwallet", "cli-w").stdout)["name"] == "cli-w"
    addr = cli(node, "-rpcwallet=cli-w", "getnewaddress").stdout.strip()
    assert addr.startswith("y")
    r = cli(node, "-stdin", "validateaddress", stdin=addr + "\n")
    assert json.loads(r.stdout)["isvalid"] is True
    r = cli(node, "-rpcwallet=cli-w", "getbalances")
    assert json.loads(r.stdout)["mine"]["trusted"] == 0
    r = cli(node, "nosuchmethod")
    assert r.returncode == 32601 % 256 and r.stderr == "error code: -32601\nerror message:\nMethod not found\n"
    r = cli(node, "-rpcwallet=missing", "getbalance")
    assert r.returncode == 18 and "Requested wallet does not exist" in r.stderr
    r = cli(node, "-rpcport=1", "getblockcount")
    assert r.returncode == 1 and r.stderr.startswith(
        "error: timeout on transient error: Could not connect to the server 127.0.0.1:1")
    r = cli(node, "-rpcpassword=wrong", "-rpcuser=x", "getblockcount")
    assert r.returncode == 1 and "Incorrect rpcuser or rpcpassword" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("executable", NODE_EXECUTABLES)
def test_user_mistakes_at_start_up(executable):
    with tempfile.TemporaryDirectory() as d:
        r = run([executable, f"-datadir={d}"])
        assert r.returncode == 1 and "only regtest is supported" in r.stderr and "Traceback" not in r.stderr
        r = run([executable, f"-datadir={d}", "-regtest", "-testnet"])
        assert r.returncode == 1 and "only regtest is supported" in r.stderr
        r = run([executable, f"-datadir={d}", "-regtest", "-fakearg"])
        assert r.returncode == 1 and "Error parsing command line arguments: Invalid parameter -fakearg" in r.stderr
        r = run([executable, f"-datadir={d}", "-regtest", "-uacomment=a:b"])
        assert r.returncode == 1 and r.stderr == "Error: User Agent comment (a:b) contains unsafe characters.\n"
        r = run([executable, f"-datadir={d}", "-regtest", "-uacomment=" + "a" * 256])
        assert r.returncode == 1 and r.stderr.startswith("Error: Total length of network version string (")
        assert "exceeds maximum length (256)" in r.stderr
        shutil.rmtree(os.path.join(d, "regtest"))
        r = run([executable, f"-datadir={d}/missing", "-regtest"])
        assert r.returncode == 1 and "does not exist" in r.stderr
        r = run([executable, "-help"])
        assert r.returncode == 0 and "Options:" in r.stdout and "-rpcport=<port>" in r.stdout
        assert "0.00001 DASH/kB" in r.stdout and r.stderr == ""
        r = run([executable, "-version"])
        assert r.returncode == 0 and "version" in r.stdout
        assert os.listdir(d) == []
        r = run(["dash-cli", f"-datadir={d}", "getblockcount"])
        assert r.returncode == 1 and "only regtest is supported" in r.stderr


def test_config_file_sections_and_debug_log(fresh_node):
    node = fresh_node
    # the framework's dash.conf is "regtest=1" then "[regtest]" with rpcport: already honoured by start();
    # here a [test] section must be ignored and an unknown key only logged.
    with open(os.path.join(node.datadir, "dash.conf"), "a") as f:
        f.write("[test]\nrpcport=1\n[regtest]\nsomeunknownkey=1\nuacomment=fromconf\n")
    node.start(["-logtimemicros", "-uacomment=cmdline"])
    # a list option takes the command line's values, then the config file's (dashd's GetArgs)
    assert node.rpc.getnetworkinfo()["subversion"].endswith("(cmdline; fromconf)/")
    node.stop()
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        log = f.read()
    assert "Ignoring unknown configuration value someunknownkey" in log
    first = log.splitlines()[0]
    assert first[4] == "-" and first[10] == "T" and first[19] == "." and first[26] == "Z"
    assert sorted(os.listdir(node.net_dir)) == [".lock", "banlist.json", "blocks", "chainstate", "debug.log",
                                               "mempool.dat", "settings.json", "wallets"]
    # as dashd's umask 077: the data directory, wallets and log are the user's alone
    for path, mode in ((node.net_dir, 0o700), (os.path.join(node.net_dir, "wallets"), 0o700),
                       (os.path.join(node.net_dir, "debug.log"), 0o600)):
        assert stat.S_IMODE(os.stat(path).st_mode) == mode, path


def test_settings_file(fresh_node):
    node = fresh_node
    settings = os.path.join(node.net_dir, "settings.json")
    node.start()
    node.stop()
    with open(settings) as f:
        assert json.load(f) == {}  # written at start, as dashd does
    with open(settings, "w") as f:
        json.dump({"wallet": [], "nosuch": [6, 7]}, f)
    node.start()
    node.stop()
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        log = f.read()
    assert "Ignoring unknown rw_settings value nosuch" in log and "Ignoring unknown rw_settings value wallet" not in log
    assert "Setting file arg: nosuch = [6,7]" in log
    assert f'Command-line arg: datadir="{node.datadir}"' in log and "Config file arg: [regtest] rpcport=" in log

    for text, error in (("not json", f"Unable to parse settings file {settings}"),
                        ('"string"', f'Found non-object value "string" in settings file {settings}'),
                        ('{"a": 1, "a": 2}', f"Found duplicate key a in settings file {settings}")):
        with open(settings, "w") as f:
            f.write(text)
        r = run(node.args([]))
        assert r.returncode == 1 and r.stderr == f"Error: Failed loading settings file:\n- {error}\n"
    node.start(["-nosettings", "-rpcauth=x:y$z"])  # off: the broken file is neither read nor rewritten
    node.rpc.createwallet("w", False, False, "", False, False, True)  # load_on_startup: cannot be saved
    node.stop()
    with open(settings) as f:
        assert f.read() == '{"a": 1, "a": 2}'
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        log = f.read()
    assert "Command-line arg: settings=false" in log and "Command-line arg: rpcauth=****" in log
