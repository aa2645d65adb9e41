"""What only the split mode has: the dash-wallet process dash-node spawns, -debug=ipc lines from both
processes in one debug.log, either process dying, and a standalone dash-wallet (-ipcbind/-ipcconnect)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from decimal import Decimal

import pytest

from dashcore import address

from ..framework import BIN_DIR, JSONRPCException, Node, RPCClient, assert_raises_rpc_error, free_port, wait_until

OTHER = address.from_pubkey_hash(b"\x77" * 20)
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \{(dash-node|dash-wallet)-(\d+)/[^}]*\} \S")


@pytest.fixture
def split_node():
    """``split_node(extra_args)``: a dash-node in a data directory of its own; all killed and removed after."""
    datadir = tempfile.mkdtemp(prefix="dashcore-split-")
    made: list[Node] = []

    def make(extra_args: list[str] | None = None) -> Node:
        made.append(Node("dash-node", datadir, extra_args))
        return made[-1]
    try:
        yield make
    finally:
        for n in made:
            n.kill()
        shutil.rmtree(datadir, ignore_errors=True)


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def cmdline(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().decode().split("\0")[:-1]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def the_wallet_process(node: Node) -> int:
    [child] = children(node.process.pid)
    argv = cmdline(child)
    # exactly "dash-wallet -ipcfd N" (through the console script's interpreter)
    assert os.path.basename(argv[-3]) == "dash-wallet" and argv[-2] == "-ipcfd" and argv[-1].isdigit(), argv
    return child


def debug_log(node: Node) -> list[str]:
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        return f.read().splitlines()


def test_wallet_process_ipc_log_and_the_wallet_dying(split_node):
    node = split_node(["-debug=ipc"])
    # Wallet RPCs answer -28 until the wallet has registered them, never -32601.
    start_polls = []
    stop_polling = threading.Event()

    def poll() -> None:
        while not stop_polling.is_set():
            try:
                with open(os.path.join(node.net_dir, ".cookie")) as f:
                    user, password = f.read().split(":")
                client = RPCClient(f"http://{user}:{password}@127.0.0.1:{node.rpc_port}", timeout=5)
                client.getbalance()
            except (OSError, ValueError):
                time.sleep(0.01)
                continue
            except JSONRPCException as e:
                start_polls.append(e.code)
                if e.code != -28:
                    return
            else:
                return
            time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        node.start()
        poller.join(10)
    finally:
        stop_polling.set()
        poller.join()
    assert -32601 not in start_polls and start_polls[-1] == -18  # no wallet loaded yet: the wallet answered

    wallet_pid = the_wallet_process(node)
    rpc = node.rpc
    rpc.createwallet("w")
    w = node.wallet("w")
    addr = w.getnewaddress()
    rpc.generatetoaddress(101, addr)
    assert w.getbalance() == Decimal("500")

    lines = debug_log(node)
    assert lines and all(LINE.match(line) for line in lines), [line for line in lines if not LINE.match(line)][:3]
    node_pid = node.process.pid
    assert any(f"{{dash-node-{node_pid}/" in line and "IPC client send RpcActor.call$Params" in line for line in lines)
    assert any(f"{{dash-wallet-{wallet_pid}/" in line and "IPC server recv request" in line
               and "RpcActor.call$Params" in line for line in lines)
    assert any(f"{{dash-node-{node_pid}/scheduler}} IPC client send ChainNotifications.blockConnected$Params" in line
               for line in lines)
    assert any(f"{{dash-wallet-{wallet_pid}/" in line and "IPC client send Chain." in line for line in lines)
    assert any(f"{{dash-wallet-{wallet_pid}/" in line and "loaded wallet 'w'" in line for line in lines)

    # kill -9 the wallet: node RPCs go on, wallet RPCs fail at once with a clear error, stop is clean
    os.kill(wallet_pid, signal.SIGKILL)
    assert wait_until(lambda: not alive(wallet_pid))
    assert rpc.getblockcount() == 101
    started = time.monotonic()
    e = assert_raises_rpc_error(-1, "Wallet process (dash-wallet) is not running", w.getbalance)
    assert time.monotonic() - started < 5 and e.http_status == 500
    assert_raises_rpc_error(-1, "Wallet process (dash-wallet) is not running", rpc.listwallets)
    assert len(rpc.generatetoaddress(2, OTHER)) == 2  # notifications to the dead wallet are dropped
    rpc.setmocktime(2000000000)
    assert rpc.getblockcount() == 103
    assert "Traceback" not in "\n".join(debug_log(node))
    node.stop()  # exit code 0, nothing on stderr
    assert children(node_pid) == []


def test_stop_and_signals_leave_no_process(split_node):
    node = split_node()
    # SIGTERM: the wallet is shut down first, then the node exits 0
    node.start()
    node.rpc.createwallet("t")
    wallet_pid = the_wallet_process(node)
    node.process.send_signal(signal.SIGTERM)
    assert node.process.wait(30) == 0 and node.stderr() == ""
    assert not alive(wallet_pid)
    lines = debug_log(node)
    wallet_done = max(i for i, line in enumerate(lines) if f"dash-wallet-{wallet_pid}/" in line)
    node_done = max(i for i, line in enumerate(lines) if "Shutdown: done" in line and "dash-node-" in line)
    assert wallet_done < node_done
    node.process = None

    # kill -9 of the node: the wallet's connection ends and it exits by itself, its wallet file intact
    node.start()
    assert node.rpc.listwallets() == []  # "t" was not marked load_on_startup
    node.rpc.loadwallet("t", True)
    wallet_pid = the_wallet_process(node)
    node.kill()
    assert wait_until(lambda: not alive(wallet_pid), timeout=15), "dash-wallet outlived dash-node"
    node.start()
    assert node.rpc.listwallets() == ["t"]
    node.stop()


def test_standalone_wallet_with_ipcbind_and_its_own_rpc_server(split_node):
    node = split_node(["-disablewallet", "-ipcbind=unix"])
    node.start()
    sock = os.path.join(node.net_dir, "node.sock")
    assert stat.S_ISSOCK(os.lstat(sock).st_mode) and stat.S_IMODE(os.lstat(sock).st_mode) == 0o600
    rpc = node.rpc
    assert_raises_rpc_error(-32601, "Method not found", rpc.getbalance)  # -disablewallet: no wallet yet

    bad = subprocess.run([os.path.join(BIN_DIR, "dash-wallet"), f"-datadir={node.datadir}", "-ipcconnect=unix",
                          "-server", f"-rpcport={free_port()}", "-rpcauth=nocolon"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: Unable to start HTTP server")
    assert "Traceback" not in bad.stderr

    wallet_port = free_port()
    stderr_path = os.path.join(node.datadir, "wallet-stderr.txt")
    with open(stderr_path, "w") as stderr:
        wallet = subprocess.Popen([os.path.join(BIN_DIR, "dash-wallet"), f"-datadir={node.datadir}", "-ipcconnect=unix",
                                   "-server", f"-rpcport={wallet_port}", "-rpcuser=u", "-rpcpassword=p",
                                   "-debug=ipc"], stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        own = RPCClient(f"http://u:p@127.0.0.1:{wallet_port}")

        def ready() -> bool:
            try:
                own.listwallets()
                return True
            except (OSError, JSONRPCException):
                own.close()
                return False
        assert wait_until(ready, timeout=30), "dash-wallet did not answer on its own RPC port"
        # the wallet's own server and the node's endpoint serve the same wallets
        assert own.createwallet("solo")["name"] == "solo"
        assert rpc.listwallets() == ["solo"]
        addr = node.wallet("solo").getnewaddress()
        rpc.generatetoaddress(101, addr)
        assert (own / "solo").getbalance() == Decimal("500")
        assert node.wallet("solo").getbalances()["mine"]["immature"] == Decimal("50000")
        assert own.help("getbalance").startswith("getbalance")
        assert_raises_rpc_error(-32601, "Method not found", own.getblockcount)  # a wallet, not a node
        lines = debug_log(node)
        assert any(f"{{dash-wallet-{wallet.pid}/" in line and "IPC client send Chain." in line for line in lines)

        assert own.stop() == "Dash Core server stopping"
        own.close()
        assert wallet.wait(30) == 0
        with open(stderr_path) as f:
            assert f.read() == ""
        assert_raises_rpc_error(-32601, "Method not found", rpc.getbalance)  # it unregistered as it stopped
        assert rpc.getblockcount() == 101
    finally:
        if wallet.poll() is None:
            wallet.kill()
            wallet.wait()
    node.stop()
    assert not os.path.exists(sock)


def test_help_lists_dashd_options_and_ipc_ones():
    def options(executable: str) -> set[str]:
        out = subprocess.run([os.path.join(BIN_DIR, executable), "-help"], capture_output=True, text=True,
                             check=True).stdout
        return set(re.findall(r"^  -([a-z?]+)", out, re.M))
    dashd, node, wallet = options("dashd"), options("dash-node"), options("dash-wallet")
    assert node - dashd == {"ipcbind"} and dashd <= node
    assert {"ipcconnect", "ipcfd", "server", "rpcport", "wallet", "datadir", "debug"} <= wallet
    r = subprocess.run([os.path.join(BIN_DIR, "dash-wallet"), "-regtest"], capture_output=True, text=True)
    assert r.returncode == 1 and "-ipcconnect" in r.stderr and "Traceback" not in r.stderr


def test_wallet_takes_ipcfd_with_an_equals_sign_and_its_options_from_construct(tmp_path):
    import socket

    import mpipc
    from dashcore.ipc import process
    from dashcore.util.args import ArgsManager
    from dashcore.init.options import DASH_NODE_OPTIONS

    ours, theirs = socket.socketpair()
    child = subprocess.Popen([os.path.join(BIN_DIR, "dash-wallet"), f"-ipcfd={theirs.fileno()}"],
                             pass_fds=(theirs.fileno(),), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    theirs.close()
    conn = mpipc.Connection(ours, name="test-parent")
    try:
        args = ArgsManager(DASH_NODE_OPTIONS)
        args.parse_command_line([f"-datadir={tmp_path}", "-regtest", "-debug=ipc"])
        init = process.init_client(conn, args)
        assert init.make_echo().echo("over the fd") == "over the fd"
        assert init.make_node() is None and init.make_chain() is None
    finally:
        conn.close()
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0 and out == b"" and err == b""
    with open(tmp_path / "regtest" / "debug.log") as f:
        log = f.read()
    assert f"{{dash-wallet-{child.pid}/" in log and "IPC server recv request" in log and "Echo.echo$Params" in log
