"""python -m dashcore.demo: a regtest node and its wallet, driven over JSON-RPC, then stopped.

Starts ``dash-node`` (which spawns ``dash-wallet`` and talks to it through mpipc) in a
fresh data directory, or the executable given with ``--executable`` (``dashd`` runs
both in one process), mines 101 blocks to one wallet, sends 12.5 DASH to another,
mines the transaction and prints both balances and the processes involved.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rpc:
    """JSON-RPC over HTTP with the node's cookie, on one kept-alive connection as
    JSON-RPC libraries (and Dash's test framework) do; a new one after an error."""

    def __init__(self, port: int, datadir: str):
        self.port = port
        self.cookie = os.path.join(datadir, "regtest", ".cookie")
        self._conn: http.client.HTTPConnection | None = None

    def __call__(self, method: str, *params, wallet: str | None = None):
        with open(self.cookie) as f:
            auth = base64.b64encode(f.read().strip().encode()).decode()
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            path = "/" if wallet is None else f"/wallet/{wallet}"
            body = json.dumps({"method": method, "params": list(params), "id": 1})
            self._conn.request("POST", path, body, {"Authorization": f"Basic {auth}"})
            reply = json.loads(self._conn.getresponse().read())
        except (OSError, http.client.HTTPException, ValueError):
            self._conn.close()
            self._conn = None
            raise OSError(f"{method}: no reply from the node") from None
        if reply.get("error"):
            raise RuntimeError(f"{method}: {reply['error']['message']}")
        return reply["result"]


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command) of the processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append((int(entry), cmd))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _executable(name: str) -> str:
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else (shutil.which(name) or name)


class Node:
    """A node process in a fresh data directory, and its RPC; ``with`` stops it and cleans up."""

    def __init__(self, executable: str = "dash-node", *extra_args: str):
        self.executable = executable
        self.datadir = tempfile.mkdtemp(prefix="dash-demo-")
        port = _free_port()
        argv = [_executable(executable), "-regtest", f"-datadir={self.datadir}", f"-rpcport={port}",
                f"-port={_free_port()}", "-listen=0", *extra_args]
        try:
            self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        except OSError as exc:
            shutil.rmtree(self.datadir, ignore_errors=True)
            raise RuntimeError(f"cannot start {executable}: {exc.strerror}") from None
        self.rpc = Rpc(port, self.datadir)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.rpc("getblockcount")
                return
            except (OSError, RuntimeError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"{executable} did not start (exit code {self.process.poll()})") from None
                time.sleep(0.1)

    def stop(self) -> int:
        """Stop it through RPC; its exit code."""
        self.rpc("stop")
        return self.process.wait(60)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.datadir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run(executable: str) -> int:
    try:
        node = Node(executable)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    with node:
        rpc = node.rpc
        print(f"{executable} pid {node.process.pid}, data directory {node.datadir}")
        for pid, cmd in _children(node.process.pid):
            words = cmd.split()
            if os.path.basename(words[0]).startswith("python") and len(words) > 1:
                words = words[1:]  # a console script run by the interpreter
            print(f"  its child pid {pid}: {os.path.basename(words[0])} {' '.join(words[1:])}")
        rpc("createwallet", "alice")
        rpc("createwallet", "bob")
        alice = rpc("getnewaddress", wallet="alice")
        rpc("generatetoaddress", 101, alice)
        print("alice after 101 blocks:", rpc("getbalance", wallet="alice"), "DASH")
        txid = rpc("sendtoaddress", rpc("getnewaddress", wallet="bob"), 12.5, wallet="alice")
        print("alice sent 12.5 DASH to bob:", txid)
        rpc("generatetoaddress", 1, alice)
        print("alice:", rpc("getbalance", wallet="alice"), "DASH; bob:", rpc("getbalance", wallet="bob"), "DASH")
        code = node.stop()
        print(f"{executable} stopped with exit code {code}")
        return 0 if code == 0 else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashcore.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--executable", default="dash-node", help="dash-node (default) or dashd")
    return run(ap.parse_args(argv).executable)


if __name__ == "__main__":
    sys.exit(main())
